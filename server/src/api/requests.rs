//! Upload requests as JSON: the sender creates one and follows it (`/api/v1/upload-requests`), and the
//! recipient's client proves their address and sends the files (`/api/v1/upload-requests/access/<token>`)
//! after uploading them with tus under the session this sets. The rules are
//! `zegel_service::requests`; the code and session rules are every link's (`zegel_service::access`).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use zegel_core::api::ErrorBody;
use zegel_core::upload_request::{
    AnswerStatus, RequestPage, Submission, Submitted, UploadRequestCreated, UploadRequestRequest,
    UploadRequestStatus,
};
use zegel_service::access::{self, Link};
use zegel_service::requests;
use zegel_store::messages::Access;

use crate::api::openapi::{ChallengeSent, Verified};
use crate::auth::Sender;
use crate::client::Client;
use crate::error::{AppError, JsonBody};
use crate::state::AppState;

fn rfc3339(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

/// `POST /api/v1/upload-requests`: asks the recipients for files.
#[utoipa::path(
    post, path = "/api/v1/upload-requests", tag = "senders",
    request_body = UploadRequestRequest,
    responses(
        (status = 201, description = "Sent: each recipient is mailed their upload link (or, with `\"notify\": \"client\"`, the answer carries the mail for the sender's client)", body = UploadRequestCreated),
        (status = "4XX", description = "`401` without a valid sign-in, `400`/`422` for a bad request (`invalid` names the field)", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub async fn create(
    State(state): State<AppState>,
    Sender(user): Sender,
    Client(client): Client,
    JsonBody(body): JsonBody<UploadRequestRequest>,
) -> Result<Response, AppError> {
    let settings = zegel_service::settings::effective(&state, &user.tenant_id).await?;
    let validated = body
        .validate(&settings.request_limits(), state.config.max_upload_bytes)
        .map_err(|e| AppError::invalid(e.field, e.message))?;
    let created = requests::create(&state, &user, &settings, validated, &client).await?;
    let body = UploadRequestCreated {
        id: created.id,
        expires_at: rfc3339(created.expires_at),
        recipients: created.recipients,
        notification: created.notification,
    };
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// `GET /api/v1/upload-requests/<id>`: where the request stands and what each recipient sent.
#[utoipa::path(
    get, path = "/api/v1/upload-requests/{id}", tag = "senders",
    params(("id" = String, Path, description = "The request's id")),
    responses(
        (status = 200, description = "The request; reading it changes nothing", body = UploadRequestStatus),
        (status = "4XX", description = "`401` without a valid sign-in, `404` for what is not the caller's", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub async fn show(
    State(state): State<AppState>,
    Sender(user): Sender,
    Path(id): Path<String>,
) -> Result<Json<UploadRequestStatus>, AppError> {
    Ok(Json(requests::status(&state, &user, &id).await?))
}

/// `GET /api/v1/upload-requests/<id>/files/<file_id>`: one received file, for the sender who asked.
#[utoipa::path(
    get, path = "/api/v1/upload-requests/{id}/files/{file_id}", tag = "senders",
    params(
        ("id" = String, Path, description = "The request's id"),
        ("file_id" = String, Path, description = "The file's id"),
    ),
    responses(
        (status = 200, description = "The file (recorded as the sender's download)", content_type = "application/octet-stream", body = Vec<u8>),
        (status = "4XX", description = "`401` without a valid sign-in, `404` for what is not the caller's or not (yet) downloadable", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub async fn file(
    State(state): State<AppState>,
    Sender(user): Sender,
    Client(client): Client,
    Path((id, file_id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let download = requests::sender_file(&state, &user, &id, &file_id, &client).await?;
    Ok(crate::recipient::download_response(download)?)
}

/// `GET /api/v1/upload-requests/<id>/files.zip`: every received file as one ZIP, a folder per uploader.
#[utoipa::path(
    get, path = "/api/v1/upload-requests/{id}/files.zip", tag = "senders",
    params(("id" = String, Path, description = "The request's id")),
    responses(
        (status = 200, description = "Every downloadable file (recorded as the sender's downloads)", content_type = "application/zip", body = Vec<u8>),
        (status = "4XX", description = "`401` without a valid sign-in, `404` for what is not the caller's or when nothing is downloadable yet", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub async fn zip(
    State(state): State<AppState>,
    Sender(user): Sender,
    Client(client): Client,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let download = requests::sender_zip(&state, &user, &id, &client).await?;
    Ok(crate::recipient::download_response(download)?)
}

/// `POST .../access/<token>/challenge`: e-mails the recipient a six-digit code.
#[utoipa::path(
    post, path = "/api/v1/upload-requests/access/{token}/challenge", tag = "access",
    params(("token" = String, Path, description = "The recipient's upload link token (or the request's one link)")),
    request_body(content = Option<super::access::ChallengeBody>, description = "Only on a request's one link: the recipient's address"),
    responses(
        (status = 202, description = "The code is on its way", body = ChallengeSent),
        (status = "4XX", description = "`404` for an unknown or ended link, `403` when locked, `429` (with `Retry-After`)", body = ErrorBody),
    ),
)]
pub async fn challenge(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Client(client): Client,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    let link = access::resolve_request_link(&state, &token).await?;
    super::access::answer_challenge(&state, link, &body, &client).await
}

/// The body of `POST verify`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyBody {
    code: String,
    /// On a request's one link: the recipient's address.
    #[serde(default)]
    email: Option<String>,
}

/// `POST .../access/<token>/verify`: checks the code and sets the session cookie the uploads and the
/// submission need.
#[utoipa::path(
    post, path = "/api/v1/upload-requests/access/{token}/verify", tag = "access",
    params(("token" = String, Path, description = "The recipient's upload link token (or the request's one link)")),
    request_body = VerifyBody,
    responses(
        (status = 200, description = "Verified; the answer sets the session cookie", body = Verified),
        (status = "4XX", description = "`401` (`wrong_code`), `403` when locked, `404`, `429` (with `Retry-After`)", body = ErrorBody),
    ),
)]
pub async fn verify(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Client(client): Client,
    JsonBody(body): JsonBody<VerifyBody>,
) -> Result<Response, AppError> {
    let (recipient_id, session) =
        verify_link(&state, &token, &body.code, body.email.as_deref(), &client).await?;
    let mut response = Json(json!({"verified": true})).into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        crate::recipient::session_cookie(&state, &recipient_id, &session),
    );
    Ok(response)
}

/// Checks a code on a request's link (its own, or the one link with the address): the recipient's id
/// and a new session token.
pub(crate) async fn verify_link(
    state: &AppState,
    token: &str,
    code: &str,
    email: Option<&str>,
    client: &zegel_service::ClientInfo,
) -> Result<(String, String), AppError> {
    Ok(match access::resolve_request_link(state, token).await? {
        Link::Recipient(access) => {
            let session = access::verify(state, &access, code, client).await?;
            (access.recipient_id, session)
        }
        Link::Message(link) => {
            access::verify_by_address(state, &link, email.unwrap_or_default(), code, client).await?
        }
    })
}

/// The recipient whose session the request carries for a request's link.
pub(crate) async fn authorised(
    state: &AppState,
    token: &str,
    headers: &HeaderMap,
) -> Result<Access, AppError> {
    Ok(match access::resolve_request_link(state, token).await? {
        Link::Recipient(access) => {
            crate::recipient::session_access(state, headers, &access.recipient_id).await?
        }
        Link::Message(link) => crate::recipient::session_for_link(state, headers, &link).await?,
    })
}

/// `GET .../access/<token>`: what is asked (after verifying; changes nothing).
#[utoipa::path(
    get, path = "/api/v1/upload-requests/access/{token}", tag = "access",
    params(("token" = String, Path, description = "The recipient's upload link token (or the request's one link)")),
    responses(
        (status = 200, description = "The request as its recipient sees it", body = RequestPage),
        (status = "4XX", description = "`401` without a session, `404`", body = ErrorBody),
    ),
    security(("session" = [])),
)]
pub async fn page(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let access = authorised(&state, &token, &headers).await?;
    let view = requests::view(&state, &access).await?;
    Ok(Json(RequestPage {
        sender: view.sender,
        message: view.message,
        allowed_types: view.allowed_types,
        max_files: view.max_files,
        max_bytes: view.max_bytes,
        answered: view.answered,
        expires_at: rfc3339(view.expires_at),
    })
    .into_response())
}

/// `POST .../access/<token>/submit`: sends the uploaded files (and a message) to the sender, once.
#[utoipa::path(
    post, path = "/api/v1/upload-requests/access/{token}/submit", tag = "access",
    params(("token" = String, Path, description = "The recipient's upload link token (or the request's one link)")),
    request_body = Submission,
    responses(
        (status = 201, description = "Delivered to the sender", body = Submitted),
        (status = 202, description = "Received; delivered once the malware scanner, unreachable now, has checked the files", body = Submitted),
        (status = "4XX", description = "`401` without a session, `404`, `409` when sent already, `422` for a file of a kind not asked for (`invalid`) or with malware (`infected`), or too many or too large files", body = ErrorBody),
    ),
    security(("session" = [])),
)]
pub async fn submit(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    Client(client): Client,
    JsonBody(body): JsonBody<Submission>,
) -> Result<Response, AppError> {
    let access = authorised(&state, &token, &headers).await?;
    let submitted = requests::submit(&state, &access, &body.uploads, body.message, &client).await?;
    let status = if submitted.status == AnswerStatus::Scanning {
        StatusCode::ACCEPTED
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(submitted)).into_response())
}
