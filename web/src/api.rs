//! The one typed client of the Zegel API the pane talks to. Every request carries the sender's bearer
//! token; the token is never logged or put in a URL.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use zegel_core::message::MessageRequest;
use zegel_core::{AuthLevel, Language, RecipientKind};

/// Which password options the tenant offers.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PasswordOptions {
    /// Whether senders may use a generated password.
    #[serde(default = "yes")]
    pub generated: bool,
    /// Whether senders may choose their own password.
    #[serde(default = "yes")]
    pub custom: bool,
    /// The zxcvbn score (0–4) a custom password needs.
    #[serde(default = "default_min_score")]
    pub min_score: u8,
}

impl Default for PasswordOptions {
    fn default() -> Self {
        Self {
            generated: true,
            custom: true,
            min_score: default_min_score(),
        }
    }
}

/// The link lifetime a sender may choose.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ExpiryDays {
    /// Preselected.
    pub default: u32,
    /// The longest allowed.
    pub max: u32,
}

impl Default for ExpiryDays {
    fn default() -> Self {
        Self {
            default: 14,
            max: 14,
        }
    }
}

/// The tenant settings that decide which options the pane shows (`GET /api/v1/settings`). A server
/// without that endpoint gets [`Settings::default`]: everything allowed, 14 days.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Settings {
    /// Password options.
    #[serde(default)]
    pub password_options: PasswordOptions,
    /// Whether 1FA (a password) is allowed at all.
    #[serde(default = "yes")]
    pub allow_1fa: bool,
    /// Whether the sender may tell the password another way.
    #[serde(default = "yes")]
    pub allow_deliver_other: bool,
    /// Link lifetime.
    #[serde(default)]
    pub expiry_days: ExpiryDays,
    /// Preselected download limit; `None` is unlimited.
    #[serde(default)]
    pub max_downloads_default: Option<u32>,
    /// The country whose numbers may be typed without a `+` prefix.
    #[serde(default = "default_country")]
    pub sms_default_country: String,
    /// The languages the tenant offers recipients; the first is the default.
    #[serde(default = "all_languages")]
    pub languages: Vec<Language>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            password_options: PasswordOptions::default(),
            allow_1fa: true,
            allow_deliver_other: true,
            expiry_days: ExpiryDays::default(),
            max_downloads_default: None,
            sms_default_country: default_country(),
            languages: all_languages(),
        }
    }
}

fn yes() -> bool {
    true
}

fn default_min_score() -> u8 {
    zegel_core::password::DEFAULT_MIN_SCORE
}

fn default_country() -> String {
    "NL".to_owned()
}

fn all_languages() -> Vec<Language> {
    Language::ALL.to_vec()
}

/// What the content filter wants done, weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FilterAction {
    /// Send as it is.
    Allow,
    /// Recommend protection.
    Notify,
    /// Switched on; the sender may switch it off.
    Auto,
    /// Must be sent securely.
    Force,
}

/// One reason of a decision.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Reason {
    /// The kind of finding, e.g. `nl_bsn`.
    pub kind: String,
    /// What was found.
    #[serde(default)]
    pub terms: Vec<String>,
    /// What this reason asks for.
    pub action: FilterAction,
    /// At which level.
    #[serde(default)]
    pub level: Option<AuthLevel>,
}

/// Something the sender should know, e.g. `{"type": "external_recipients", "count": 2}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Warning {
    /// The kind of warning.
    #[serde(rename = "type", default)]
    pub kind: String,
    /// How many (recipients, attachments).
    #[serde(default)]
    pub count: Option<u64>,
}

/// The content filter's decision on the draft.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Decision {
    /// The strongest action.
    pub action: FilterAction,
    /// The level to protect with.
    #[serde(default)]
    pub level: Option<AuthLevel>,
    /// Why.
    #[serde(default)]
    pub reasons: Vec<Reason>,
    /// What to tell the sender besides.
    #[serde(default, deserialize_with = "lenient_warnings")]
    pub warnings: Vec<Warning>,
}

fn lenient_warnings<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<Warning>, D::Error> {
    let values = Vec::<serde_json::Value>::deserialize(deserializer)?;
    Ok(values
        .into_iter()
        .map(|value| match value {
            serde_json::Value::String(kind) => Warning { kind, count: None },
            other => serde_json::from_value(other).unwrap_or(Warning {
                kind: String::new(),
                count: None,
            }),
        })
        .filter(|w| !w.kind.is_empty())
        .collect())
}

#[derive(Debug, Deserialize)]
struct ScanAnswer {
    decision: Decision,
}

/// A recipient as the content filter sees it.
#[derive(Debug, Clone, Serialize)]
pub struct ScanRecipient {
    /// Address.
    pub email: String,
    /// To, Cc or Bcc.
    pub kind: RecipientKind,
}

/// The draft as `POST /api/v1/scan` takes it.
#[derive(Debug, Clone, Serialize)]
pub struct ScanRequest {
    /// Subject.
    pub subject: String,
    /// Plain-text body.
    pub body_text: String,
    /// HTML body.
    pub body_html: String,
    /// Recipients.
    pub recipients: Vec<ScanRecipient>,
}

/// What the server knows of a recipient's mobile number (`GET /api/v1/recipients/<email>/phone`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct KnownPhone {
    /// Whether a number is on file.
    pub known: bool,
    /// The number masked, e.g. `+31******678`.
    #[serde(default)]
    pub masked: Option<String>,
}

/// The answer to a successful send.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Sent {
    /// The message id (goes into the `X-Zegel-Message` header).
    pub id: String,
    /// The password Zegel generated (whichever delivery), for the sender to see behind the eye.
    #[serde(default)]
    pub password: Option<String>,
    /// The notification the draft becomes (the pane always asks for `"notify": "client"`, so Zegel sends
    /// none of its own).
    pub notification: Notification,
}

/// The notification a client sends itself (`"notify": "client"`): the Outlook draft becomes it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Notification {
    /// The subject.
    pub subject: String,
    /// Plain text.
    #[serde(default)]
    pub text: String,
    /// HTML, the draft's new body.
    pub html: String,
    /// The one link for the whole message (`<public url>/m/<token>`).
    pub link: String,
}

/// One download of a file (log & block).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Download {
    /// The recipient's address.
    pub recipient: String,
    /// When (RFC 3339).
    pub at: String,
}

/// A file of a sent message and what happened to it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct FileStatus {
    /// Id.
    pub id: String,
    /// Name; none once the content is destroyed.
    #[serde(default)]
    pub name: Option<String>,
    /// Size in bytes.
    #[serde(default)]
    pub size: u64,
    /// Blocked by the sender.
    #[serde(default)]
    pub blocked: bool,
    /// Every download, oldest first.
    #[serde(default)]
    pub downloads: Vec<Download>,
}

/// A recipient of a sent message and what happened to their notification.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RecipientStatus {
    /// Address.
    pub email: String,
    /// `held`, `queued`, `sent`, `bounced` or `opened` (anything else is shown as it is).
    pub status: String,
    /// Blocked by the sender.
    #[serde(default)]
    pub blocked: bool,
    /// Locked after too many failed attempts.
    #[serde(default)]
    pub locked: bool,
    /// First opened (RFC 3339).
    #[serde(default)]
    pub opened_at: Option<String>,
}

/// A sent message's status (`GET /api/v1/messages/<id>`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct MessageStatus {
    /// Id.
    pub id: String,
    /// `public_files`, `secure_files` or `secure_message`.
    pub kind: String,
    /// `1fa`, `2fa` or none.
    #[serde(default)]
    pub level: Option<String>,
    /// `active`, `held`, `expired` or `deleted`.
    #[serde(default)]
    pub status: String,
    /// The subject; none once destroyed.
    #[serde(default)]
    pub subject: Option<String>,
    /// When the links expire (RFC 3339).
    #[serde(default)]
    pub expires_at: String,
    /// The whole message is blocked.
    #[serde(default)]
    pub blocked: bool,
    /// Recipients.
    #[serde(default)]
    pub recipients: Vec<RecipientStatus>,
    /// Files.
    #[serde(default)]
    pub files: Vec<FileStatus>,
}

impl MessageStatus {
    /// Whether recipients and the whole message can be blocked (a secure message; for the file kinds the
    /// e-mail went out as plain mail, so only files can be).
    pub fn blocks_recipients(&self) -> bool {
        self.kind == "secure_message"
    }
}

/// What a block or unblock applies to (the body of `.../block` and `.../unblock`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "target", rename_all = "snake_case")]
pub enum BlockTarget {
    /// One file.
    File {
        /// Its id.
        file_id: String,
    },
    /// Every file.
    Files,
    /// One recipient.
    Recipient {
        /// The address.
        email: String,
    },
    /// Every recipient.
    Recipients,
    /// The whole message.
    Message,
}

/// Why a request failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// The token is missing, expired or revoked.
    Unauthorized,
    /// This server has no such endpoint (yet).
    Missing,
    /// The server refused the request: its code, message and the field it names. The pane shows its
    /// own words for the code (`wording::server_error`), never the English message.
    Refused {
        /// HTTP status.
        status: u16,
        /// The server's stable code (`invalid`, `policy`, `too_many_requests`, …).
        code: String,
        /// The server's message (English, for developers and logs).
        message: String,
        /// The offending field, if named.
        field: Option<String>,
        /// For `policy`: what was found and what is required.
        policy: Option<Box<PolicyRefusal>>,
    },
    /// The server could not be reached or answered nonsense.
    Network(String),
}

#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Deserialize)]
struct ErrorDetail {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    field: Option<String>,
    #[serde(default)]
    found: Vec<PolicyFinding>,
    #[serde(default)]
    required: Option<Required>,
}

#[derive(Deserialize)]
struct Required {
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    level: Option<String>,
}

/// One finding a `policy` refusal names.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PolicyFinding {
    /// The content filter's kind, e.g. `nl_bsn`.
    pub kind: String,
}

/// A `422 policy` refusal: the content requires more protection than the message asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyRefusal {
    /// What was found.
    pub found: Vec<PolicyFinding>,
    /// `secure_message` or `secure_files`.
    pub required_kind: Option<String>,
    /// `1fa` or `2fa`.
    pub required_level: Option<String>,
}

/// The refusal a failed request's status and body describe.
fn refusal(status: u16, body: &str) -> ApiError {
    let detail = serde_json::from_str::<ErrorBody>(body)
        .ok()
        .map(|b| b.error);
    let Some(detail) = detail else {
        return ApiError::Refused {
            status,
            code: if status >= 500 { "internal" } else { "" }.to_owned(),
            message: String::new(),
            field: None,
            policy: None,
        };
    };
    let policy = (detail.code == "policy").then(|| {
        Box::new(PolicyRefusal {
            found: detail.found,
            required_kind: detail.required.as_ref().and_then(|r| r.kind.clone()),
            required_level: detail.required.as_ref().and_then(|r| r.level.clone()),
        })
    });
    ApiError::Refused {
        status,
        code: detail.code,
        message: detail.message,
        field: detail.field,
        policy,
    }
}

enum Body {
    None,
    Json(String),
    Form(web_sys::FormData),
}

/// A multipart body: the JSON `meta` part and one `file` part per named blob.
fn form(meta: &str, files: &[(String, web_sys::Blob)]) -> Result<web_sys::FormData, ApiError> {
    let form = web_sys::FormData::new().map_err(network)?;
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/json");
    let parts = js_sys::Array::of1(&JsValue::from_str(meta));
    let meta_blob =
        web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).map_err(network)?;
    form.append_with_blob("meta", &meta_blob).map_err(network)?;
    for (name, blob) in files {
        form.append_with_blob_and_filename("file", blob, name)
            .map_err(network)?;
    }
    Ok(form)
}

/// How the pane proves who the sender is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Credential {
    /// Office single sign-on: a fresh Entra ID token from Office before every request.
    SingleSignOn,
    /// The developer fallback: a sender token from `zegel admin token`, pasted once.
    Token(String),
}

/// The client: relative URLs (the pane is served by the server it talks to) and a bearer token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Api {
    credential: Credential,
}

fn network(value: JsValue) -> ApiError {
    ApiError::Network(
        value
            .as_string()
            .unwrap_or_else(|| "the Zegel server cannot be reached".to_owned()),
    )
}

impl Api {
    /// A client sending the sender token `token` (the developer fallback).
    pub fn new(token: impl Into<String>) -> Self {
        Self {
            credential: Credential::Token(token.into()),
        }
    }

    /// A client signed in through Office single sign-on.
    pub fn single_sign_on() -> Self {
        Self {
            credential: Credential::SingleSignOn,
        }
    }

    /// Whether this client signs in through Office single sign-on.
    pub fn is_single_sign_on(&self) -> bool {
        self.credential == Credential::SingleSignOn
    }

    /// The bearer token for the next request. Office renews an expiring SSO token itself; when it cannot
    /// (signed out, consent withdrawn), the request is unauthorised like a refused token.
    async fn bearer(&self) -> Result<String, ApiError> {
        match &self.credential {
            Credential::Token(token) => Ok(token.clone()),
            Credential::SingleSignOn => crate::office::sso_token(true)
                .await
                .map_err(|_| ApiError::Unauthorized),
        }
    }

    async fn request(&self, method: &str, path: &str, body: Body) -> Result<String, ApiError> {
        let init = web_sys::RequestInit::new();
        init.set_method(method);
        let headers = web_sys::Headers::new().map_err(network)?;
        headers
            .set("Authorization", &format!("Bearer {}", self.bearer().await?))
            .map_err(network)?;
        headers.set("Accept", "application/json").map_err(network)?;
        match body {
            Body::None => {}
            Body::Json(json) => {
                headers
                    .set("Content-Type", "application/json")
                    .map_err(network)?;
                init.set_body(&JsValue::from_str(&json));
            }
            Body::Form(form) => init.set_body(&form),
        }
        init.set_headers(&headers);
        let request = web_sys::Request::new_with_str_and_init(path, &init).map_err(network)?;
        let window = web_sys::window().ok_or_else(|| ApiError::Network("no window".to_owned()))?;
        let response: web_sys::Response = JsFuture::from(window.fetch_with_request(&request))
            .await
            .map_err(network)?
            .dyn_into()
            .map_err(network)?;
        let text = JsFuture::from(response.text().map_err(network)?)
            .await
            .map_err(network)?
            .as_string()
            .unwrap_or_default();
        match response.status() {
            200..=299 => Ok(text),
            401 | 403 => Err(ApiError::Unauthorized),
            404 | 405 => Err(ApiError::Missing),
            status => Err(refusal(status, &text)),
        }
    }

    async fn json<T: DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        body: Body,
    ) -> Result<T, ApiError> {
        let text = self.request(method, path, body).await?;
        serde_json::from_str(&text)
            .map_err(|e| ApiError::Network(format!("unexpected answer from {path}: {e}")))
    }

    /// The tenant's settings; the defaults when the server has no settings endpoint.
    pub async fn settings(&self) -> Result<Settings, ApiError> {
        match self.json("GET", "/api/v1/settings", Body::None).await {
            Err(ApiError::Missing) => Ok(Settings::default()),
            other => other,
        }
    }

    /// The content filter's decision; `None` when the server has no content filter. With `files` the
    /// request is multipart (a `meta` part and a `file` part per attachment), else JSON.
    pub async fn scan(
        &self,
        request: &ScanRequest,
        files: &[(String, web_sys::Blob)],
    ) -> Result<Option<Decision>, ApiError> {
        let json = serde_json::to_string(request).map_err(|e| ApiError::Network(e.to_string()))?;
        let body = if files.is_empty() {
            Body::Json(json)
        } else {
            Body::Form(form(&json, files)?)
        };
        match self.json::<ScanAnswer>("POST", "/api/v1/scan", body).await {
            Ok(answer) => Ok(Some(answer.decision)),
            Err(ApiError::Missing) => Ok(None),
            Err(other) => Err(other),
        }
    }

    /// Whether the server knows `email`'s mobile number; unknown when it cannot tell.
    pub async fn known_phone(&self, email: &str) -> Result<KnownPhone, ApiError> {
        let path = format!(
            "/api/v1/recipients/{}/phone",
            String::from(js_sys::encode_uri_component(email))
        );
        match self.json("GET", &path, Body::None).await {
            Err(ApiError::Missing) => Ok(KnownPhone {
                known: false,
                masked: None,
            }),
            other => other,
        }
    }

    /// A sent message's status.
    pub async fn message_status(&self, id: &str) -> Result<MessageStatus, ApiError> {
        let path = format!(
            "/api/v1/messages/{}",
            String::from(js_sys::encode_uri_component(id))
        );
        self.json("GET", &path, Body::None).await
    }

    /// Blocks (`blocked`) or unblocks `target`; answers with the new status.
    pub async fn set_blocked(
        &self,
        id: &str,
        target: &BlockTarget,
        blocked: bool,
    ) -> Result<MessageStatus, ApiError> {
        let path = format!(
            "/api/v1/messages/{}/{}",
            String::from(js_sys::encode_uri_component(id)),
            if blocked { "block" } else { "unblock" }
        );
        let json = serde_json::to_string(target).map_err(|e| ApiError::Network(e.to_string()))?;
        self.json("POST", &path, Body::Json(json)).await
    }

    /// Uploads the message and its files.
    pub async fn send(
        &self,
        meta: &MessageRequest,
        files: Vec<(String, web_sys::Blob)>,
    ) -> Result<Sent, ApiError> {
        let json = serde_json::to_string(meta).map_err(|e| ApiError::Network(e.to_string()))?;
        let form = form(&json, &files)?;
        self.json("POST", "/api/v1/messages", Body::Form(form))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_default_to_everything_allowed() {
        let settings: Settings = serde_json::from_str("{}").unwrap();
        assert_eq!(settings, Settings::default());
        assert!(
            settings.allow_1fa
                && settings.password_options.custom
                && settings.password_options.generated
        );
        assert_eq!(settings.expiry_days.max, 14);
    }

    #[test]
    fn block_targets_and_statuses_speak_the_servers_json() {
        let file = BlockTarget::File {
            file_id: "f1".into(),
        };
        assert_eq!(
            serde_json::to_string(&file).unwrap(),
            r#"{"target":"file","file_id":"f1"}"#
        );
        assert_eq!(
            serde_json::to_string(&BlockTarget::Recipients).unwrap(),
            r#"{"target":"recipients"}"#
        );
        let status: MessageStatus = serde_json::from_str(
            r#"{"id":"m1","kind":"secure_files","level":"1fa","status":"active","expires_at":"2026-12-01T00:00:00Z",
                "blocked":false,"can_block_message":false,"created_at":"x","subject":null,
                "recipients":[{"email":"a@b.example","kind":"to","status":"queued","blocked":false,"locked":false,"opened_at":null}],
                "files":[{"id":"f1","name":"a.pdf","size":3,"blocked":true,"downloads":[{"recipient":"a@b.example","at":"2026-11-23T08:00:00Z"}]}]}"#,
        )
        .unwrap();
        assert!(!status.blocks_recipients(), "only files for the file kinds");
        assert_eq!(status.recipients[0].status, "queued");
        assert_eq!(status.files[0].downloads.len(), 1);
    }

    #[test]
    fn refusals_keep_the_code_field_and_policy() {
        let policy = refusal(
            422,
            r#"{"error":{"code":"policy","message":"x","found":[{"kind":"nl_bsn","where":"body"}],"required":{"kind":"secure_message","level":"2fa"}}}"#,
        );
        let ApiError::Refused {
            code,
            policy: Some(p),
            ..
        } = policy
        else {
            panic!("{policy:?}")
        };
        assert_eq!(code, "policy");
        assert_eq!(p.found[0].kind, "nl_bsn");
        assert_eq!(p.required_level.as_deref(), Some("2fa"));
        let invalid = refusal(
            422,
            r#"{"error":{"code":"invalid","message":"x","field":"recipients[0].phone"}}"#,
        );
        assert!(
            matches!(invalid, ApiError::Refused { ref field, policy: None, .. } if field.as_deref() == Some("recipients[0].phone"))
        );
        assert!(
            matches!(refusal(502, "<html>"), ApiError::Refused { ref code, .. } if code == "internal")
        );
    }

    #[test]
    fn decisions_parse_with_unknown_warning_shapes() {
        let decision: Decision = serde_json::from_str(
            r#"{"action":"force","level":"2fa","reasons":[{"kind":"nl_bsn","terms":["111222333"],"action":"force","level":"2fa"}],
                "warnings":[{"type":"external_recipients","count":2},"attachments",{"odd":true}]}"#,
        )
        .unwrap();
        assert_eq!(decision.action, FilterAction::Force);
        assert_eq!(decision.level, Some(AuthLevel::TwoFa));
        assert_eq!(decision.warnings.len(), 2);
        assert_eq!(decision.warnings[1].kind, "attachments");
    }
}
