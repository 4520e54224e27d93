//! What a sender asks Zegel to send, and the rules every request must satisfy.
//!
//! [`MessageRequest`] is the `meta` part of `POST /api/v1/messages`. [`MessageRequest::validate`] turns
//! it into a [`ValidatedMessage`] or says precisely what is wrong, naming the field, so the pane can show
//! the same message the API returns.

use serde::{Deserialize, Serialize};

use crate::address::normalize_email;
use crate::password::check_strength;

/// How much of a message Zegel protects (seed 001 ch. 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    /// Attachments encrypted at rest, link without authentication, body as plain mail.
    PublicFiles,
    /// Attachments encrypted, recipient authenticates, body as plain mail.
    SecureFiles,
    /// Body and attachments encrypted, recipient authenticates.
    SecureMessage,
}

impl MessageKind {
    /// The name used in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PublicFiles => "public_files",
            Self::SecureFiles => "secure_files",
            Self::SecureMessage => "secure_message",
        }
    }

    /// Parses the API name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "public_files" => Some(Self::PublicFiles),
            "secure_files" => Some(Self::SecureFiles),
            "secure_message" => Some(Self::SecureMessage),
            _ => None,
        }
    }

    /// Whether recipients must authenticate.
    pub fn needs_auth(self) -> bool {
        !matches!(self, Self::PublicFiles)
    }

    /// Whether the body travels as plain mail in the notification (it is still stored encrypted).
    pub fn body_in_notification(self) -> bool {
        !matches!(self, Self::SecureMessage)
    }
}

/// Recipient authentication level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum AuthLevel {
    /// A password, by e-mail or told by the sender.
    #[serde(rename = "1fa")]
    OneFa,
    /// An SMS code on top of the mailbox.
    #[serde(rename = "2fa")]
    TwoFa,
}

impl AuthLevel {
    /// The name used in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OneFa => "1fa",
            Self::TwoFa => "2fa",
        }
    }

    /// Parses the API name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "1fa" => Some(Self::OneFa),
            "2fa" => Some(Self::TwoFa),
            _ => None,
        }
    }
}

/// How the password reaches the recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Deliver {
    /// Zegel e-mails it when the recipient asks for it in the portal.
    #[default]
    Email,
    /// The sender tells the recipient another way (phone, in person).
    Other,
}

impl Deliver {
    /// The name used in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Other => "other",
        }
    }
}

/// The password choice of a 1FA message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum PasswordChoice {
    /// `"generated"`: Zegel makes one.
    Generated(GeneratedTag),
    /// `{"custom": "..."}`: the sender's own, which must be strong.
    Custom {
        /// The password itself.
        custom: String,
    },
}

/// The literal string `"generated"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum GeneratedTag {
    /// `"generated"`.
    Generated,
}

/// The `auth` object of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AuthRequest {
    /// `1fa` or `2fa`.
    pub level: AuthLevel,
    /// For 1FA: generated or custom. Defaults to generated.
    #[serde(default)]
    pub password: Option<PasswordChoice>,
    /// For 1FA: e-mail (default) or other.
    #[serde(default)]
    pub deliver: Option<Deliver>,
}

/// To, Cc or Bcc.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RecipientKind {
    /// A To recipient.
    #[default]
    To,
    /// A Cc recipient.
    Cc,
    /// A Bcc recipient: never shown to the others.
    Bcc,
}

impl RecipientKind {
    /// The name used in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::To => "to",
            Self::Cc => "cc",
            Self::Bcc => "bcc",
        }
    }
}

/// One recipient as the sender gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RecipientRequest {
    /// The recipient's address.
    pub email: String,
    /// To, Cc or Bcc; To when absent.
    #[serde(default)]
    pub kind: RecipientKind,
    /// A mobile number for 2FA, in any common notation.
    #[serde(default)]
    pub phone: Option<String>,
}

/// The languages the portal and the e-mails speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Language {
    /// Dutch.
    #[default]
    Nl,
    /// English.
    En,
    /// Swedish.
    Sv,
}

impl Language {
    /// Every supported language.
    pub const ALL: [Language; 3] = [Language::Nl, Language::En, Language::Sv];

    /// The ISO 639-1 code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Nl => "nl",
            Self::En => "en",
            Self::Sv => "sv",
        }
    }

    /// The language by its own name, as people look for it in a list or a language switch.
    pub fn native_name(self) -> &'static str {
        match self {
            Self::Nl => "Nederlands",
            Self::En => "English",
            Self::Sv => "Svenska",
        }
    }

    /// Parses an ISO 639-1 code or a language tag such as `nl-NL` or `en_GB`.
    pub fn parse(tag: &str) -> Option<Self> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "nl" => Some(Self::Nl),
            "en" => Some(Self::En),
            "sv" => Some(Self::Sv),
            _ => None,
        }
    }

    /// Picks the best supported language from an HTTP `Accept-Language` header, honouring q-values.
    pub fn from_accept_language(header: &str) -> Option<Self> {
        let mut best: Option<(f32, Self)> = None;
        for item in header.split(',') {
            let mut parts = item.split(';');
            let Some(language) = parts.next().and_then(Self::parse) else {
                continue;
            };
            let q = parts
                .find_map(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .and_then(|q| q.parse::<f32>().ok())
                })
                .unwrap_or(1.0);
            if q > 0.0 && best.is_none_or(|(best_q, _)| q > best_q) {
                best = Some((q, language));
            }
        }
        best.map(|(_, language)| language)
    }
}

/// Who tells the recipients about a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Notify {
    /// The sender's own client (the Outlook mail itself): Zegel sends no notification and answers with
    /// one for the client to send, carrying one link for the whole message.
    Client,
}

/// The `meta` part of `POST /api/v1/messages`, as sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MessageRequest {
    /// The subject line.
    #[serde(default)]
    pub subject: String,
    /// The body as plain text.
    #[serde(default)]
    pub body_text: Option<String>,
    /// The body as HTML (sanitised before anyone sees it).
    #[serde(default)]
    pub body_html: Option<String>,
    /// Who receives it.
    pub recipients: Vec<RecipientRequest>,
    /// What is protected.
    pub kind: MessageKind,
    /// How recipients authenticate; absent for public files.
    #[serde(default)]
    pub auth: Option<AuthRequest>,
    /// Days until the links expire.
    #[serde(default)]
    pub expires_in_days: Option<u32>,
    /// Downloads per file and recipient; unlimited when absent.
    #[serde(default)]
    pub max_downloads: Option<u32>,
    /// The language of the notification and the portal.
    #[serde(default)]
    pub language: Option<Language>,
    /// `"client"`: the sender's client sends the notification; absent: Zegel notifies each recipient.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify: Option<Notify>,
    /// Finished resumable uploads (`/api/v1/uploads`) that become files of the message, after the
    /// multipart `file` parts; each is used once.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub uploads: Vec<String>,
    /// A confirmation mail with the summary to the sender; absent: the tenant's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirm_to_sender: Option<bool>,
    /// A mail to the sender each time a recipient downloads; absent: the tenant's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify_on_download: Option<bool>,
    /// The files' names and sizes in the recipients' notification; absent: not shown (a name can say
    /// more than the sender means to an inbox).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_names_in_notification: Option<bool>,
}

/// The most uploads one message may name.
pub const MAX_UPLOADS_PER_MESSAGE: usize = 100;

/// The limits a request is checked against (from the tenant's settings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestLimits {
    /// Expiry when the request names none.
    pub default_expiry_days: u32,
    /// The longest expiry allowed.
    pub max_expiry_days: u32,
    /// The most recipients in one message.
    pub max_recipients: usize,
    /// The minimum zxcvbn score for custom passwords.
    pub min_password_score: u8,
    /// The language when the request names none.
    pub default_language: Language,
}

impl Default for RequestLimits {
    fn default() -> Self {
        Self {
            default_expiry_days: 14,
            max_expiry_days: 14,
            max_recipients: 100,
            min_password_score: crate::password::DEFAULT_MIN_SCORE,
            default_language: Language::Nl,
        }
    }
}

/// The most bytes of subject a message may have (the RFC 5322 line limit).
pub const MAX_SUBJECT_BYTES: usize = 998;
/// The most bytes of body (text and HTML together) a message may have.
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// A request that passed every check, with addresses normalised and defaults applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatedMessage {
    /// The subject line.
    pub subject: String,
    /// The plain-text body.
    pub body_text: Option<String>,
    /// The HTML body, not yet sanitised.
    pub body_html: Option<String>,
    /// Recipients with normalised addresses, without duplicates.
    pub recipients: Vec<ValidatedRecipient>,
    /// What is protected.
    pub kind: MessageKind,
    /// The authentication, absent for public files.
    pub auth: Option<ValidatedAuth>,
    /// Days until the links expire.
    pub expires_in_days: u32,
    /// Downloads per file and recipient.
    pub max_downloads: Option<u32>,
    /// The notification and portal language.
    pub language: Language,
    /// Who notifies the recipients (`None`: Zegel, one mail each).
    pub notify: Option<Notify>,
    /// Finished uploads that become files of the message, distinct.
    pub uploads: Vec<String>,
    /// A confirmation mail to the sender (`None`: the tenant's default).
    pub confirm_to_sender: Option<bool>,
    /// A mail to the sender on each download (`None`: the tenant's default).
    pub notify_on_download: Option<bool>,
    /// The files' names and sizes in the recipients' notification.
    pub file_names_in_notification: bool,
}

/// A recipient that passed the checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatedRecipient {
    /// The normalised address.
    pub email: String,
    /// To, Cc or Bcc.
    pub kind: RecipientKind,
    /// The phone number as given (normalised by the server, which knows the tenant's country).
    pub phone: Option<String>,
}

/// Authentication that passed the checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatedAuth {
    /// 1FA or 2FA.
    pub level: AuthLevel,
    /// The custom password, or `None` for a generated one.
    pub custom_password: Option<String>,
    /// How the password reaches the recipient.
    pub deliver: Deliver,
}

/// What is wrong with a request: the field and a sentence a sender understands.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct RequestError {
    /// The offending field, e.g. `recipients[2].email` or `auth.password`.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
    /// For weak passwords: zxcvbn's warning and suggestions.
    pub feedback: Vec<String>,
}

impl RequestError {
    pub(crate) fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
            feedback: Vec::new(),
        }
    }
}

impl MessageRequest {
    /// Checks every field against the rules and `limits`.
    pub fn validate(
        self,
        sender: &str,
        limits: &RequestLimits,
    ) -> Result<ValidatedMessage, RequestError> {
        if self.subject.len() > MAX_SUBJECT_BYTES {
            return Err(RequestError::new(
                "subject",
                format!("is longer than {MAX_SUBJECT_BYTES} bytes"),
            ));
        }
        if self.subject.contains(['\r', '\n']) {
            return Err(RequestError::new("subject", "must be a single line"));
        }
        let body_len = self.body_text.as_deref().map_or(0, str::len)
            + self.body_html.as_deref().map_or(0, str::len);
        if body_len > MAX_BODY_BYTES {
            return Err(RequestError::new(
                "body_text",
                format!("the body is larger than {MAX_BODY_BYTES} bytes"),
            ));
        }
        if self.uploads.len() > MAX_UPLOADS_PER_MESSAGE {
            return Err(RequestError::new(
                "uploads",
                format!("at most {MAX_UPLOADS_PER_MESSAGE} uploads per message"),
            ));
        }
        for (i, id) in self.uploads.iter().enumerate() {
            if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(RequestError::new(
                    format!("uploads[{i}]"),
                    "is not an upload id",
                ));
            }
            if self.uploads[..i].contains(id) {
                return Err(RequestError::new(
                    format!("uploads[{i}]"),
                    "names the same upload twice",
                ));
            }
        }
        if self.recipients.is_empty() {
            return Err(RequestError::new(
                "recipients",
                "name at least one recipient",
            ));
        }
        if self.recipients.len() > limits.max_recipients {
            return Err(RequestError::new(
                "recipients",
                format!("at most {} recipients per message", limits.max_recipients),
            ));
        }
        let mut recipients: Vec<ValidatedRecipient> = Vec::with_capacity(self.recipients.len());
        for (i, recipient) in self.recipients.into_iter().enumerate() {
            let email = normalize_email(&recipient.email)
                .map_err(|e| RequestError::new(format!("recipients[{i}].email"), e.to_string()))?;
            // The same address twice would get two links to one message; keep the first, most visible kind.
            if recipients
                .iter()
                .any(|r| r.email.eq_ignore_ascii_case(&email))
            {
                continue;
            }
            recipients.push(ValidatedRecipient {
                email,
                kind: recipient.kind,
                phone: recipient.phone,
            });
        }

        let auth = match (self.kind.needs_auth(), self.auth) {
            (false, Some(_)) => {
                return Err(RequestError::new(
                    "auth",
                    "public files have no authentication; leave auth out",
                ));
            }
            (false, None) => None,
            (true, None) => {
                return Err(RequestError::new(
                    "auth",
                    format!("{} needs auth", self.kind.as_str()),
                ));
            }
            (true, Some(auth)) => Some(validate_auth(auth, sender, &recipients, limits)?),
        };

        let expires_in_days = self.expires_in_days.unwrap_or(limits.default_expiry_days);
        if expires_in_days == 0 || expires_in_days > limits.max_expiry_days {
            return Err(RequestError::new(
                "expires_in_days",
                format!("must be between 1 and {} days", limits.max_expiry_days),
            ));
        }
        if self.max_downloads == Some(0) {
            return Err(RequestError::new(
                "max_downloads",
                "must be at least 1, or left out for no limit",
            ));
        }
        Ok(ValidatedMessage {
            subject: self.subject,
            body_text: self.body_text,
            body_html: self.body_html,
            recipients,
            kind: self.kind,
            auth,
            expires_in_days,
            max_downloads: self.max_downloads,
            language: self.language.unwrap_or(limits.default_language),
            notify: self.notify,
            uploads: self.uploads,
            confirm_to_sender: self.confirm_to_sender,
            notify_on_download: self.notify_on_download,
            file_names_in_notification: self.file_names_in_notification.unwrap_or(false),
        })
    }
}

fn validate_auth(
    auth: AuthRequest,
    sender: &str,
    recipients: &[ValidatedRecipient],
    limits: &RequestLimits,
) -> Result<ValidatedAuth, RequestError> {
    if auth.level == AuthLevel::TwoFa {
        if auth.password.is_some() || auth.deliver.is_some() {
            return Err(RequestError::new(
                "auth",
                "2fa uses SMS codes; leave password and deliver out",
            ));
        }
        return Ok(ValidatedAuth {
            level: AuthLevel::TwoFa,
            custom_password: None,
            deliver: Deliver::Email,
        });
    }
    let custom_password = match auth.password {
        None | Some(PasswordChoice::Generated(_)) => None,
        Some(PasswordChoice::Custom { custom }) => {
            let mut inputs: Vec<&str> = vec![sender];
            inputs.extend(recipients.iter().map(|r| r.email.as_str()));
            let strength = check_strength(&custom, &inputs, limits.min_password_score);
            if !strength.strong_enough {
                let mut error = RequestError::new(
                    "auth.password",
                    format!(
                        "the password is too weak (score {} of 4, needs {})",
                        strength.score, limits.min_password_score
                    ),
                );
                error.feedback.extend(strength.warning);
                error.feedback.extend(strength.suggestions);
                return Err(error);
            }
            Some(custom)
        }
    };
    Ok(ValidatedAuth {
        level: AuthLevel::OneFa,
        custom_password,
        deliver: auth.deliver.unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(json: &str) -> Result<ValidatedMessage, String> {
        let request: MessageRequest =
            serde_json::from_str(json).map_err(|e| format!("json: {e}"))?;
        request
            .validate("sender@zorg.example", &RequestLimits::default())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn accepts_well_formed_requests() {
        let ok = request(
            r#"{"subject":"Dossier","body_text":"Hallo","kind":"secure_message",
                "recipients":[{"email":"Jan@Example.NL"},{"email":"piet@example.nl","kind":"bcc"}],
                "auth":{"level":"1fa","password":"generated","deliver":"other"},"language":"en"}"#,
        )
        .unwrap();
        assert_eq!(ok.recipients[0].email, "Jan@example.nl");
        assert_eq!(ok.recipients[1].kind, RecipientKind::Bcc);
        assert_eq!(ok.expires_in_days, 14);
        assert_eq!(ok.language, Language::En);
        assert_eq!(ok.auth.unwrap().deliver, Deliver::Other);

        let public =
            request(r#"{"kind":"public_files","recipients":[{"email":"a@b.example"}]}"#).unwrap();
        assert!(public.auth.is_none());
    }

    #[test]
    fn names_the_field_that_is_wrong() {
        let cases = [
            (
                r#"{"kind":"secret","recipients":[]}"#,
                "json: unknown variant",
            ),
            (
                r#"{"kind":"public_files","recipients":[]}"#,
                "recipients: name at least one",
            ),
            (
                r#"{"kind":"public_files","recipients":[{"email":"nope"}]}"#,
                "recipients[0].email",
            ),
            (
                r#"{"kind":"secure_message","recipients":[{"email":"a@b.example"}]}"#,
                "auth: secure_message needs auth",
            ),
            (
                r#"{"kind":"public_files","recipients":[{"email":"a@b.example"}],"auth":{"level":"1fa"}}"#,
                "auth: public files",
            ),
            (
                r#"{"kind":"public_files","recipients":[{"email":"a@b.example"}],"expires_in_days":15}"#,
                "expires_in_days: must be between 1 and 14",
            ),
            (
                r#"{"kind":"public_files","recipients":[{"email":"a@b.example"}],"expires_in_days":0}"#,
                "expires_in_days",
            ),
            (
                r#"{"kind":"secure_files","recipients":[{"email":"a@b.example"}],"auth":{"level":"1fa","password":{"custom":"welkom123"}}}"#,
                "auth.password: the password is too weak",
            ),
            (
                r#"{"kind":"public_files","recipients":[{"email":"a@b.example"}],"max_downloads":0}"#,
                "max_downloads",
            ),
            (
                r#"{"kind":"public_files","recipients":[{"email":"a@b.example"}],"colour":1}"#,
                "json: unknown field",
            ),
            (
                r#"{"kind":"public_files","subject":"a\nb","recipients":[{"email":"a@b.example"}]}"#,
                "subject: must be a single line",
            ),
        ];
        for (json, expected) in cases {
            let error = request(json).expect_err(json);
            assert!(
                error.contains(expected),
                "{json}\n  gave: {error}\n  expected: {expected}"
            );
        }
    }

    #[test]
    fn weak_password_error_carries_feedback() {
        let request: MessageRequest = serde_json::from_str(
            r#"{"kind":"secure_files","recipients":[{"email":"a@b.example"}],"auth":{"level":"1fa","password":{"custom":"password1"}}}"#,
        )
        .unwrap();
        let error = request
            .validate("s@x.example", &RequestLimits::default())
            .unwrap_err();
        assert!(!error.feedback.is_empty());
    }

    #[test]
    fn picks_language_from_accept_language() {
        assert_eq!(
            Language::from_accept_language("sv-SE,sv;q=0.9,en;q=0.8"),
            Some(Language::Sv)
        );
        assert_eq!(
            Language::from_accept_language("de-DE, en;q=0.5, nl;q=0.7"),
            Some(Language::Nl)
        );
        assert_eq!(Language::from_accept_language("de-DE"), None);
        assert_eq!(
            Language::from_accept_language("nl;q=0, en"),
            Some(Language::En)
        );
    }
}
