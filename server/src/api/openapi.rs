//! The OpenAPI 3.1 document of the JSON API, generated from the handlers' `#[utoipa::path]` attributes
//! and the request and answer types (`ToSchema`, behind zegel-core's `openapi` feature), served at
//! `GET /api/v1/openapi.json` and committed as `docs/openapi.json` (a test keeps the two equal).
//!
//! Where a handler answers with a small JSON object built in place, the type here describes it; these
//! types only document.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use utoipa::openapi::encoding::Encoding;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, RefOr};
use utoipa::{Modify, OpenApi, ToSchema};
use zegel_core::api::{CreatedStatus, ScanInput, ScanRecipient};
use zegel_core::message::MessageRequest;
use zegel_core::settings::TenantSettings;

use super::{
    access, audit, messages, phones, portals, requests, scan, senders, settings, signin, tracking,
    uploads,
};

/// The document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Zegel JSON API",
        description = "Senders create and follow messages, recipients' clients open them, tenant admins \
                       manage settings, phone numbers and the audit trail. Every error answer is an \
                       `ErrorBody`: `{\"error\": {\"code\", \"message\"}}`.",
        license(name = "AGPL-3.0-or-later", identifier = "AGPL-3.0-or-later"),
    ),
    paths(
        messages::create,
        uploads::options,
        uploads::create,
        uploads::head,
        uploads::patch,
        uploads::delete,
        scan::scan,
        requests::create,
        requests::show,
        requests::file,
        requests::zip,
        requests::challenge,
        requests::verify,
        requests::page,
        requests::submit,
        senders::challenge,
        senders::verify,
        senders::logout,
        portals::list,
        portals::create,
        portals::show,
        portals::update,
        portals::delete,
        portals::page,
        portals::challenge,
        portals::verify,
        portals::submit,
        tracking::list,
        tracking::show,
        tracking::delete,
        tracking::block,
        tracking::unblock,
        phones::supply,
        phones::unlock,
        phones::known,
        settings::for_sender,
        signin::policy,
        access::challenge,
        access::verify,
        access::logout,
        access::message,
        access::reply,
        access::conversation,
        tracking::conversation,
        access::file,
        access::download_needs_post,
        access::zip,
        access::zip_needs_post,
        settings::get_settings,
        settings::put_settings,
        settings::patch_settings,
        settings::versions,
        settings::version,
        phones::admin_set,
        phones::admin_remove,
        audit::export,
        serve,
    ),
    modifiers(&Security, &MultipartEncoding),
    tags(
        (name = "senders", description = "A sender's client (the Outlook task pane): a bearer token or an OpenID Connect JWT of the tenant."),
        (name = "access", description = "Recipients' clients other than the HTML portal: the link token, then the session cookie."),
        (name = "admin", description = "Tenant admins: a bearer token with the admin role."),
        (name = "meta", description = "This document."),
    ),
)]
pub struct ApiDoc;

/// The document as pretty JSON, with a final newline (as committed in `docs/openapi.json`).
pub fn document_json() -> String {
    let mut json = ApiDoc::openapi()
        .to_pretty_json()
        .expect("the OpenAPI document serialises");
    json.push('\n');
    json
}

/// `GET /api/v1/openapi.json`: the document (no sign-in, no side effects).
#[utoipa::path(
    get, path = "/api/v1/openapi.json", tag = "meta",
    responses((status = 200, description = "This OpenAPI document", content_type = "application/json", body = Object)),
)]
pub async fn serve() -> Response {
    static DOCUMENT: std::sync::LazyLock<String> = std::sync::LazyLock::new(document_json);
    (
        [(header::CONTENT_TYPE, "application/json")],
        DOCUMENT.as_str(),
    )
        .into_response()
}

/// The security schemes: `bearer` for senders and admins, `session` for a recipient's cookie.
struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A signed token from `zegel admin token`, or a JWT of an OpenID Connect issuer \
                         the tenant trusts",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "__Host-zs-<recipient id>",
                "The recipient's session, set by `POST /api/v1/access/{token}/verify`; the name carries \
                 the recipient (`zs-<recipient id>` when the public URL is plain HTTP)",
            ))),
        );
    }
}

/// The parts of the multipart bodies: `meta` is JSON, `file` the bytes.
struct MultipartEncoding;

impl Modify for MultipartEncoding {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for path in ["/api/v1/messages", "/api/v1/scan"] {
            let Some(operation) = openapi
                .paths
                .paths
                .get_mut(path)
                .and_then(|item| item.post.as_mut())
            else {
                continue;
            };
            let Some(content) = operation.request_body.as_mut().and_then(|body| match body {
                RefOr::T(body) => match body.content.get_mut("multipart/form-data") {
                    Some(RefOr::T(content)) => Some(content),
                    _ => None,
                },
                RefOr::Ref(_) => None,
            }) else {
                continue;
            };
            encode(content);
        }
    }
}

fn encode(content: &mut Content) {
    content.encoding.insert(
        "meta".into(),
        Encoding::builder()
            .content_type(Some("application/json"))
            .build(),
    );
    content.encoding.insert(
        "file".into(),
        Encoding::builder()
            .content_type(Some("application/octet-stream"))
            .build(),
    );
}

/// The multipart body of `POST /api/v1/messages`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct MessageUpload {
    /// The message (JSON).
    meta: MessageRequest,
    /// The files, one part each, with their names in the part's `filename`.
    #[schema(value_type = Option<Vec<String>>, format = Binary)]
    file: Option<Vec<Vec<u8>>>,
}

/// The multipart body of `POST /api/v1/scan`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ScanUpload {
    /// What to scan besides the files (JSON).
    meta: ScanInput,
    /// The attachments, one part each, with their names in the part's `filename`.
    #[schema(value_type = Option<Vec<String>>, format = Binary)]
    file: Option<Vec<Vec<u8>>>,
}

/// The JSON body of `POST /api/v1/scan`: a `ScanInput` and, for clients without multipart, the
/// attachments in base64.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ScanRequest {
    /// The subject line.
    subject: Option<String>,
    /// The plain-text body.
    body_text: Option<String>,
    /// The HTML body.
    body_html: Option<String>,
    /// Just a text (scanned as the body).
    text: Option<String>,
    /// The recipients (they decide internal or external).
    recipients: Option<Vec<ScanRecipient>>,
    /// The attachments.
    attachments: Option<Vec<ScanAttachment>>,
}

/// An attachment in a JSON scan request.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ScanAttachment {
    /// The file name.
    name: String,
    /// The content, base64.
    #[schema(content_encoding = "base64")]
    content_base64: String,
}

/// The answer of `POST /api/v1/messages/{id}/phones`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct PhonesSupplied {
    /// The message id.
    id: String,
    /// `sent` once every recipient has a number, else `needs_phone_numbers`.
    status: CreatedStatus,
    /// With `needs_phone_numbers`: who still has none.
    missing_phone_numbers: Option<Vec<String>>,
}

/// The answer of `POST /api/v1/messages/{id}/unlock`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Unlocked {
    /// The message id.
    id: String,
    /// The recipient.
    email: String,
    /// Always `false`.
    locked: bool,
}

/// The answer of `DELETE /api/v1/admin/recipients/{email}/phone`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct PhoneRemoved {
    /// The recipient's address (normalised).
    email: String,
    /// Always `false`.
    known: bool,
}

/// The answer of `GET /api/v1/admin/settings/versions`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct SettingsHistory {
    /// The version in force (0 before the first save).
    current: i64,
    /// Every version, newest first.
    versions: Vec<SettingsVersionInfo>,
}

/// One version of the settings.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct SettingsVersionInfo {
    /// The version number.
    version: i64,
    /// Who saved it (`admin:<address>`, …).
    changed_by: String,
    /// When (RFC 3339).
    changed_at: String,
}

/// The answer of `GET /api/v1/admin/settings/versions/{version}`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct SettingsVersion {
    /// The version number.
    version: i64,
    /// Who saved it.
    changed_by: String,
    /// When (RFC 3339).
    changed_at: String,
    /// The document as saved then.
    settings: TenantSettings,
}

/// The JSON answer of `GET /api/v1/admin/audit`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct AuditExport {
    /// The entries, oldest first.
    events: Vec<audit::ExportedEntry<'static>>,
    /// Whether more entries matched than one export holds (ask again for a later time range).
    truncated: bool,
}

/// The answer of `POST /api/v1/access/{token}/challenge`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ChallengeSent {
    /// Always `true` (on a message's one link whatever the address).
    sent: bool,
    /// `email` (not on a message's one link).
    channel: Option<String>,
    /// Where it went, masked (not on a message's one link).
    destination: Option<String>,
}

/// The answer of `POST /api/v1/access/{token}/verify`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Verified {
    /// Always `true`.
    verified: bool,
}

/// The answer of `POST /api/v1/access/{token}/logout`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct SignedOut {
    /// Always `true`.
    signed_out: bool,
}

/// The answer of `GET /api/v1/access/{token}/message`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct AccessMessage {
    /// The subject line.
    subject: String,
    /// The sender's address.
    sender: String,
    /// The plain-text body.
    body_text: Option<String>,
    /// The HTML body, sanitised.
    body_html: Option<String>,
    /// The files not blocked.
    files: Vec<AccessFile>,
}

/// A file as a recipient sees it.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct AccessFile {
    /// Its id.
    id: String,
    /// Its name.
    name: String,
    /// Its size in bytes.
    size: i64,
}
