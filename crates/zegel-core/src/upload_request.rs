//! Asking for files (seed 001 §6.1): an upload request a sender sends, what a recipient may upload in
//! answer, and the JSON both sides read.

use serde::{Deserialize, Serialize};
pub use zegel_dlp::file_type::FileType;

use crate::address::normalize_email;
use crate::api::ClientNotification;
use crate::message::{Language, Notify, RequestError, RequestLimits};

/// The longest message a request carries, in bytes.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;
/// The most files one recipient may upload when the sender names no number.
pub const DEFAULT_MAX_FILES: u32 = 20;
/// The most files a sender may allow.
pub const MAX_FILES: u32 = 100;

/// A recipient of an upload request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RequestRecipient {
    /// The address asked for files.
    pub email: String,
}

/// The body of `POST /api/v1/upload-requests`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UploadRequestRequest {
    /// Who is asked; each gets their own link and uploads once.
    pub recipients: Vec<RequestRecipient>,
    /// The sender's explanation, shown on the upload page after the recipient proved their address.
    #[serde(default)]
    pub message: String,
    /// The kinds of files accepted, judged by content; empty accepts any kind the server recognises.
    #[serde(default)]
    pub allowed_types: Vec<FileType>,
    /// The most files each recipient may send (default 20, at most 100).
    #[serde(default)]
    pub max_files: Option<u32>,
    /// The most bytes each recipient may send in all (default and at most the server's upload limit).
    #[serde(default)]
    pub max_bytes: Option<u64>,
    /// Days the request's links stay valid (the tenant's default and maximum apply).
    #[serde(default)]
    pub expires_in_days: Option<u32>,
    /// The language of the mail and the upload page (the tenant's first when left out).
    #[serde(default)]
    pub language: Option<Language>,
    /// `"client"`: the sender's own mail (the Outlook draft) carries the request, with one link on which
    /// each recipient names their address; Zegel then mails nobody and answers with that mail. Left out,
    /// Zegel mails each recipient their own link.
    #[serde(default)]
    pub notify: Option<Notify>,
}

/// The most upload request templates a tenant keeps.
pub const MAX_TEMPLATES: usize = 20;
/// The longest template name, in characters.
pub const MAX_TEMPLATE_NAME_CHARS: usize = 80;

/// A template's request text in each language the pane and the upload page speak; all three are
/// required, so a sender's choice of language never finds a template without words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TemplateText {
    /// Dutch.
    pub nl: String,
    /// Swedish.
    pub sv: String,
    /// English.
    pub en: String,
}

impl TemplateText {
    /// The text in `language`.
    pub fn get(&self, language: Language) -> &str {
        match language {
            Language::Nl => &self.nl,
            Language::Sv => &self.sv,
            Language::En => &self.en,
        }
    }

    fn each_mut(&mut self) -> [(Language, &mut String); 3] {
        [
            (Language::Nl, &mut self.nl),
            (Language::Sv, &mut self.sv),
            (Language::En, &mut self.en),
        ]
    }
}

/// An upload request an organisation prepares for its senders (seed 001 §6.1 step 2): choosing it in
/// the pane fills the kinds of files asked for and makes its text the request's message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UploadRequestTemplate {
    /// What senders pick it by (1 to 80 characters on one line, unique regardless of case).
    pub name: String,
    /// The request's message in each language.
    pub text: TemplateText,
    /// The kinds of files asked for; empty accepts any kind the server recognises.
    #[serde(default)]
    pub allowed_types: Vec<FileType>,
}

/// Checks and normalises a tenant's templates in place (names and texts trimmed, kinds sorted and
/// distinct), naming the offending field under `field`, e.g. `upload_request_templates[1].name`.
pub fn validate_templates(
    templates: &mut [UploadRequestTemplate],
    field: &str,
) -> Result<(), RequestError> {
    if templates.len() > MAX_TEMPLATES {
        return Err(RequestError::new(
            field,
            format!("at most {MAX_TEMPLATES} templates"),
        ));
    }
    for i in 0..templates.len() {
        let (earlier, rest) = templates.split_at_mut(i);
        let template = &mut rest[0];
        let name = template.name.trim();
        if name.is_empty()
            || name.chars().count() > MAX_TEMPLATE_NAME_CHARS
            || name.chars().any(char::is_control)
        {
            return Err(RequestError::new(
                format!("{field}[{i}].name"),
                format!("1 to {MAX_TEMPLATE_NAME_CHARS} characters on one line"),
            ));
        }
        // Senders tell templates apart by name alone, in a list where "Intake" and "intake" look alike.
        if earlier
            .iter()
            .any(|t| t.name.to_lowercase() == name.to_lowercase())
        {
            return Err(RequestError::new(
                format!("{field}[{i}].name"),
                format!("'{name}' is the name of another template"),
            ));
        }
        template.name = name.to_owned();
        for (language, text) in template.text.each_mut() {
            let trimmed = text.trim();
            let text_field = format!("{field}[{i}].text.{}", language.code());
            if trimmed.is_empty() {
                return Err(RequestError::new(text_field, "must not be empty"));
            }
            if trimmed.len() > MAX_MESSAGE_BYTES {
                return Err(RequestError::new(
                    text_field,
                    format!("is longer than {MAX_MESSAGE_BYTES} bytes"),
                ));
            }
            *text = trimmed.to_owned();
        }
        template.allowed_types.sort();
        template.allowed_types.dedup();
    }
    Ok(())
}

/// An upload request that passed [`UploadRequestRequest::validate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatedUploadRequest {
    /// Normalised, distinct addresses.
    pub recipients: Vec<String>,
    /// The sender's message.
    pub message: String,
    /// Accepted kinds (empty: any recognised kind), sorted and distinct.
    pub allowed_types: Vec<FileType>,
    /// Files per recipient.
    pub max_files: u32,
    /// Bytes per recipient.
    pub max_bytes: u64,
    /// Days valid.
    pub expires_in_days: u32,
    /// Language of the mail and page.
    pub language: Language,
    /// Who tells the recipients.
    pub notify: Option<Notify>,
}

impl UploadRequestRequest {
    /// Checks the request against the tenant's `limits` and the server's largest upload, naming the
    /// field that is wrong.
    pub fn validate(
        self,
        limits: &RequestLimits,
        max_upload_bytes: u64,
    ) -> Result<ValidatedUploadRequest, RequestError> {
        if self.recipients.is_empty() {
            return Err(RequestError::new(
                "recipients",
                "name at least one recipient",
            ));
        }
        if self.recipients.len() > limits.max_recipients {
            return Err(RequestError::new(
                "recipients",
                format!("at most {} recipients per request", limits.max_recipients),
            ));
        }
        let mut recipients: Vec<String> = Vec::with_capacity(self.recipients.len());
        for (i, recipient) in self.recipients.into_iter().enumerate() {
            let email = normalize_email(&recipient.email)
                .map_err(|e| RequestError::new(format!("recipients[{i}].email"), e.to_string()))?;
            if !recipients.iter().any(|r| r.eq_ignore_ascii_case(&email)) {
                recipients.push(email);
            }
        }
        if self.message.len() > MAX_MESSAGE_BYTES {
            return Err(RequestError::new(
                "message",
                format!("is longer than {MAX_MESSAGE_BYTES} bytes"),
            ));
        }
        let max_files = self.max_files.unwrap_or(DEFAULT_MAX_FILES);
        if max_files == 0 || max_files > MAX_FILES {
            return Err(RequestError::new(
                "max_files",
                format!("must be between 1 and {MAX_FILES}"),
            ));
        }
        let max_bytes = self.max_bytes.unwrap_or(max_upload_bytes);
        if max_bytes == 0 || max_bytes > max_upload_bytes {
            return Err(RequestError::new(
                "max_bytes",
                format!("must be between 1 and {max_upload_bytes} bytes"),
            ));
        }
        let expires_in_days = self.expires_in_days.unwrap_or(limits.default_expiry_days);
        if expires_in_days == 0 || expires_in_days > limits.max_expiry_days {
            return Err(RequestError::new(
                "expires_in_days",
                format!("must be between 1 and {} days", limits.max_expiry_days),
            ));
        }
        let mut allowed_types = self.allowed_types;
        allowed_types.sort();
        allowed_types.dedup();
        Ok(ValidatedUploadRequest {
            recipients,
            message: self.message,
            allowed_types,
            max_files,
            max_bytes,
            expires_in_days,
            language: self.language.unwrap_or(limits.default_language),
            notify: self.notify,
        })
    }
}

/// The `201` answer of `POST /api/v1/upload-requests`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UploadRequestCreated {
    /// The request's id.
    pub id: String,
    /// When its links expire (RFC 3339).
    pub expires_at: String,
    /// The addresses asked.
    pub recipients: Vec<String>,
    /// With `"notify": "client"`: the mail the sender's client sends itself, with the request's one link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification: Option<ClientNotification>,
}

/// Where an upload request stands for one recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AnswerStatus {
    /// Nothing sent yet.
    Waiting,
    /// Files sent; they wait for the malware scanner (never delivered unscanned).
    Scanning,
    /// Files sent and ready.
    Delivered,
    /// The scanner found malware; nothing can be downloaded.
    Refused,
}

/// How a received file was checked for malware.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ScanState {
    /// The scanner found nothing.
    Clean,
    /// Waiting for the scanner.
    Pending,
    /// The scanner found malware.
    Infected,
    /// No scanner is configured on this server.
    Unscanned,
}

impl ScanState {
    /// The name in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            ScanState::Clean => "clean",
            ScanState::Pending => "pending",
            ScanState::Infected => "infected",
            ScanState::Unscanned => "unscanned",
        }
    }

    /// Parses the stored name.
    pub fn parse(name: &str) -> Option<Self> {
        [Self::Clean, Self::Pending, Self::Infected, Self::Unscanned]
            .into_iter()
            .find(|s| s.as_str() == name)
    }

    /// Whether a file in this state may be downloaded.
    pub fn downloadable(self) -> bool {
        matches!(self, ScanState::Clean | ScanState::Unscanned)
    }
}

/// A file received in answer to a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReceivedFile {
    /// The file's id (for `.../files/<file_id>`).
    pub id: String,
    /// Its name as the uploader gave it (cleaned).
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its kind by content.
    pub file_type: Option<FileType>,
}

/// One recipient of an upload request and what they sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequestAnswer {
    /// The recipient's address.
    pub email: String,
    /// Where it stands.
    pub status: AnswerStatus,
    /// When the files were sent (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uploaded_at: Option<String>,
    /// How the files were checked for malware.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scan: Option<ScanState>,
    /// The recipient's own message, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The files sent (empty until then).
    pub files: Vec<ReceivedFile>,
}

/// The answer of `GET /api/v1/upload-requests/<id>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UploadRequestStatus {
    /// The request's id.
    pub id: String,
    /// `active`, `expired`, `blocked` or `deleted`.
    pub status: String,
    /// When it was sent (RFC 3339).
    pub created_at: String,
    /// When its links expire (RFC 3339).
    pub expires_at: String,
    /// Accepted kinds (empty: any recognised kind).
    pub allowed_types: Vec<FileType>,
    /// Files per recipient.
    pub max_files: u32,
    /// Bytes per recipient.
    pub max_bytes: u64,
    /// Each recipient and what they sent.
    pub recipients: Vec<RequestAnswer>,
}

/// The answer of `GET /api/v1/upload-requests/access/<token>`: the request as its recipient sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequestPage {
    /// The sender who asks.
    pub sender: String,
    /// The sender's explanation.
    pub message: Option<String>,
    /// Accepted kinds (empty: any recognised kind).
    pub allowed_types: Vec<FileType>,
    /// Files allowed.
    pub max_files: u32,
    /// Bytes allowed in all.
    pub max_bytes: u64,
    /// The files were sent already (each recipient answers once).
    pub answered: bool,
    /// When the link expires (RFC 3339).
    pub expires_at: String,
}

/// The body of `POST /api/v1/upload-requests/access/<token>/submit`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Submission {
    /// Finished uploads (tus ids) made under the recipient's session.
    pub uploads: Vec<String>,
    /// A message to the sender.
    #[serde(default)]
    pub message: Option<String>,
}

/// The answer of a submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Submitted {
    /// `delivered`, or `scanning` when the malware scanner is unreachable and the files wait for it.
    pub status: AnswerStatus,
    /// The files sent.
    pub files: Vec<ReceivedFile>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> RequestLimits {
        RequestLimits {
            default_expiry_days: 14,
            max_expiry_days: 30,
            max_recipients: 50,
            min_password_score: 3,
            default_language: Language::Nl,
        }
    }

    fn request(json: serde_json::Value) -> UploadRequestRequest {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn defaults_and_normalisation() {
        let v = request(serde_json::json!({
            "recipients": [{"email": "Jan@Example.NL"}, {"email": "jan@example.nl"}],
            "allowed_types": ["pdf", "image", "pdf"],
        }))
        .validate(&limits(), 1000)
        .unwrap();
        assert_eq!(
            v.recipients,
            ["Jan@example.nl"],
            "the first spelling, domain in lower case"
        );
        assert_eq!(v.allowed_types, [FileType::Pdf, FileType::Image]);
        assert_eq!(
            (v.max_files, v.max_bytes, v.expires_in_days),
            (20, 1000, 14)
        );
        assert_eq!(v.language, Language::Nl);
    }

    #[test]
    fn each_wrong_field_is_named() {
        let field = |json| request(json).validate(&limits(), 1000).unwrap_err().field;
        assert_eq!(field(serde_json::json!({"recipients": []})), "recipients");
        assert_eq!(
            field(serde_json::json!({"recipients": [{"email": "nope"}]})),
            "recipients[0].email"
        );
        let one = serde_json::json!([{"email": "a@b.nl"}]);
        assert_eq!(
            field(serde_json::json!({"recipients": one, "max_files": 0})),
            "max_files"
        );
        assert_eq!(
            field(serde_json::json!({"recipients": one, "max_bytes": 1001})),
            "max_bytes"
        );
        assert_eq!(
            field(serde_json::json!({"recipients": one, "expires_in_days": 31})),
            "expires_in_days"
        );
        assert_eq!(
            field(
                serde_json::json!({"recipients": one, "message": "x".repeat(MAX_MESSAGE_BYTES + 1)})
            ),
            "message"
        );
        assert!(
            serde_json::from_value::<UploadRequestRequest>(
                serde_json::json!({"recipients": one, "allowed_types": ["exe"]})
            )
            .is_err()
        );
    }
}
