//! The one typed client of the Zegel API the pane talks to. Every request carries the sender's bearer
//! token; the token is never logged or put in a URL.

//!
//! What the server answers is declared once, in `zegel_core` (`api`, `settings::SenderSettings`,
//! `policy::Decision`), and read here as the server writes it.

use serde::de::DeserializeOwned;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use zegel_core::api::{
    BlockTarget, ClientNotification, Created, ErrorBody, KnownPhone, MessageStatus,
    RequiredProtection, ScanInput, ScanOutcome,
};
use zegel_core::message::MessageRequest;
use zegel_core::policy::{Decision, Found};
use zegel_core::settings::SenderSettings;
use zegel_core::upload_request::{UploadRequestCreated, UploadRequestRequest};

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

/// A `422 policy` refusal: the content requires more protection than the message asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyRefusal {
    /// What was found, and where.
    pub found: Vec<Found>,
    /// The least protection the organisation requires.
    pub required: Option<RequiredProtection>,
}

/// The refusal a failed request's status and body describe.
pub(crate) fn refusal(status: u16, body: &str) -> ApiError {
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
            found: detail.found.unwrap_or_default(),
            required: detail.required,
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
    /// A page of the portal: the browser's session cookie (an upload request's recipient), no header.
    Session,
    /// The browser sender's page (`/send`): its session cookie, and a header saying the uploads are the
    /// sender's (a browser may also hold a recipient's session).
    SenderSession,
}

/// The client: relative URLs (the pane is served by the server it talks to) and a bearer token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Api {
    credential: Credential,
}

pub(crate) fn network(value: JsValue) -> ApiError {
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

    /// A client on a portal page, authorised by the browser's session cookie.
    pub fn session() -> Self {
        Self {
            credential: Credential::Session,
        }
    }

    /// A client on the browser sender's page, authorised by the sender's session cookie.
    pub fn sender_session() -> Self {
        Self {
            credential: Credential::SenderSession,
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
    pub(crate) async fn bearer(&self) -> Result<Option<String>, ApiError> {
        match &self.credential {
            Credential::Token(token) => Ok(Some(token.clone())),
            Credential::SingleSignOn => crate::office::sso_token(true)
                .await
                .map(Some)
                .map_err(|_| ApiError::Unauthorized),
            Credential::Session | Credential::SenderSession => Ok(None),
        }
    }

    /// The request's headers with the credential (none for a session: the browser sends its cookie).
    pub(crate) async fn headers(&self) -> Result<web_sys::Headers, ApiError> {
        let headers = web_sys::Headers::new().map_err(network)?;
        if let Some(bearer) = self.bearer().await? {
            headers
                .set("Authorization", &format!("Bearer {bearer}"))
                .map_err(network)?;
        }
        if self.credential == Credential::SenderSession {
            headers.set("Zegel-Uploader", "sender").map_err(network)?;
        }
        Ok(headers)
    }

    async fn request(&self, method: &str, path: &str, body: Body) -> Result<String, ApiError> {
        let init = web_sys::RequestInit::new();
        init.set_method(method);
        let headers = self.headers().await?;
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
    pub async fn settings(&self) -> Result<SenderSettings, ApiError> {
        match self.json("GET", "/api/v1/settings", Body::None).await {
            Err(ApiError::Missing) => Ok(SenderSettings::default()),
            other => other,
        }
    }

    /// The content filter's decision; `None` when the server has no content filter. With `files` the
    /// request is multipart (a `meta` part and a `file` part per attachment), else JSON.
    pub async fn scan(
        &self,
        request: &ScanInput,
        files: &[(String, web_sys::Blob)],
    ) -> Result<Option<Decision>, ApiError> {
        let json = serde_json::to_string(request).map_err(|e| ApiError::Network(e.to_string()))?;
        let body = if files.is_empty() {
            Body::Json(json)
        } else {
            Body::Form(form(&json, files)?)
        };
        match self.json::<ScanOutcome>("POST", "/api/v1/scan", body).await {
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
                email: email.to_owned(),
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

    /// A sent message's conversation: the message and every reply, in order.
    pub async fn conversation(
        &self,
        id: &str,
    ) -> Result<zegel_core::conversation::Conversation, ApiError> {
        let path = format!(
            "/api/v1/messages/{}/conversation",
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

    /// Creates the message, its files already uploaded (`meta.uploads`, see [`crate::upload`]); the
    /// answer carries the notification the draft becomes (the pane always asks for
    /// `"notify": "client"`, so Zegel sends none of its own).
    pub async fn send(
        &self,
        meta: &MessageRequest,
    ) -> Result<(Created, ClientNotification), ApiError> {
        let json = serde_json::to_string(meta).map_err(|e| ApiError::Network(e.to_string()))?;
        let form = form(&json, &[])?;
        let path = "/api/v1/messages";
        let mut created: Created = self.json("POST", path, Body::Form(form)).await?;
        let notification = client_notification(created.notification.take(), path)?;
        Ok((created, notification))
    }

    /// Creates an upload request (seed 001 §6.1); like [`Api::send`], the answer carries the notification
    /// the draft becomes (the pane always asks for `"notify": "client"`). [`ApiError::Missing`] when this
    /// server has no upload requests.
    pub async fn create_upload_request(
        &self,
        request: &UploadRequestRequest,
    ) -> Result<(UploadRequestCreated, ClientNotification), ApiError> {
        let json = serde_json::to_string(request).map_err(|e| ApiError::Network(e.to_string()))?;
        let path = "/api/v1/upload-requests";
        let mut created: UploadRequestCreated = self.json("POST", path, Body::Json(json)).await?;
        let notification = client_notification(created.notification.take(), path)?;
        Ok((created, notification))
    }
}

/// The notification a `"notify": "client"` answer must carry.
fn client_notification(
    notification: Option<ClientNotification>,
    path: &str,
) -> Result<ClientNotification, ApiError> {
    notification
        .ok_or_else(|| ApiError::Network(format!("the answer from {path} has no notification")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_default_to_everything_allowed() {
        let settings = SenderSettings::default();
        let json = serde_json::to_string(&settings).unwrap();
        assert_eq!(
            serde_json::from_str::<SenderSettings>(&json).unwrap(),
            settings
        );
        assert_eq!(settings.languages, zegel_core::Language::ALL);
        assert!(
            settings.allow_deliver_other
                && settings.max_downloads_default.is_none()
                && settings.sms_default_country == "NL"
        );
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
        assert_eq!(p.found[0].kind, zegel_core::policy::Kind::NlBsn);
        assert_eq!(
            p.required.map(|r| (r.kind, r.level)),
            Some((
                zegel_core::MessageKind::SecureMessage,
                zegel_core::AuthLevel::TwoFa
            ))
        );
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
    fn an_upload_request_answer_parses_as_the_server_writes_it() {
        let created: UploadRequestCreated = serde_json::from_str(
            r#"{"id":"ur1","expires_at":"2026-12-01T00:00:00Z","recipients":["jan@example.nl"],
                "notification":{"subject":"Uploadverzoek","text":"t","html":"<p>h</p>","link":"https://zegel.example/u/abc"}}"#,
        )
        .unwrap();
        let notification = client_notification(created.notification, "x").unwrap();
        assert_eq!(notification.link, "https://zegel.example/u/abc");
        assert!(matches!(
            client_notification(None, "/api/v1/upload-requests"),
            Err(ApiError::Network(_))
        ));
    }

    #[test]
    fn scan_answers_parse_as_the_server_writes_them() {
        let outcome: ScanOutcome = serde_json::from_str(
            r#"{"decision":{"action":"force","level":"2fa","reasons":[{"kind":"nl_bsn","terms":["111222333"],"action":"force","level":"2fa"}],
                "warnings":[{"type":"external_recipients","count":2},{"type":"attachments","count":0}],
                "required":{"kind":"secure_message","level":"2fa","found":[{"kind":"nl_bsn","where":"body"}]}},
                "findings":[],"counts":{"nl_bsn":1}}"#,
        )
        .unwrap();
        let decision = outcome.decision;
        assert_eq!(decision.action, zegel_core::policy::Action::Force);
        assert_eq!(decision.level, Some(zegel_core::AuthLevel::TwoFa));
        assert_eq!(
            decision.warnings,
            [
                zegel_core::policy::Warning::ExternalRecipients { count: 2 },
                zegel_core::policy::Warning::Attachments { count: 0 }
            ]
        );
    }
}
