//! The recipient actions as JSON under `/api/v1/access/<token>/`, for clients other than the HTML
//! portal. Same rules, same session cookie.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use crate::api::openapi::{AccessMessage, ChallengeSent, SignedOut, Verified};
use crate::client::Client;
use crate::error::{AppError, JsonBody};
use crate::state::AppState;
use zegel_core::api::ErrorBody;
use zegel_service::access::{self, AccessError, Gate, Link};
use zegel_store::messages::Access;

impl From<AccessError> for AppError {
    fn from(error: AccessError) -> Self {
        match error {
            AccessError::Unavailable => AppError::NotFound,
            AccessError::Locked => AppError::Forbidden(
                "access is locked after too many failed attempts; ask the sender to unlock it"
                    .into(),
            ),
            AccessError::WrongCode => AppError::bad_request_status(
                StatusCode::UNAUTHORIZED,
                "wrong_code",
                "the password is not correct or has expired",
            ),
            AccessError::TooManyAttempts(seconds) => AppError::RetryLater {
                code: "too_many_requests",
                message: format!("too many attempts; try again in {seconds} seconds"),
                retry_after_secs: u64::try_from(seconds).unwrap_or(1).max(1),
            },
            AccessError::Busy => AppError::RetryLater {
                code: "busy",
                message: "too many password checks at once; try again in a moment".into(),
                retry_after_secs: 1,
            },
            AccessError::TooManySends => AppError::TooManyRequests(format!(
                "at most {} passwords per hour; try again later",
                access::MAX_SENDS_PER_HOUR
            )),
            AccessError::NoSession => AppError::Unauthorized,
            AccessError::LimitReached => {
                AppError::Conflict("the download limit of this file is reached".into())
            }
            AccessError::NotApplicable(message) => AppError::Conflict(message.to_owned()),
            AccessError::Internal(cause) => AppError::Internal(cause),
        }
    }
}

/// The body of `POST challenge` on a message's one link.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChallengeBody {
    email: String,
}

/// `POST challenge`: e-mails the password (or sends the SMS code). On a message's one link the body
/// names the recipient (`{"email"}`); the answer is `202 {"sent": true}` whatever the address.
#[utoipa::path(
    post, path = "/api/v1/access/{token}/challenge", tag = "access",
    params(("token" = String, Path, description = "The recipient's link token (or the message's one link)")),
    request_body(content = Option<ChallengeBody>, description = "Only on a message's one link: the recipient's address"),
    responses(
        (status = 202, description = "The password (or SMS code) is on its way", body = ChallengeSent),
        (status = "4XX", description = "The request failed: `401` without a valid sign-in, `404` for what is not the caller's, `400`/`422` for a bad request (`invalid` names the field), `409`, `413`, `429` (with `Retry-After`)", body = ErrorBody),
    ),
)]
pub async fn challenge(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Client(client): Client,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    let link = access::resolve_link(&state, &token).await?;
    answer_challenge(&state, link, &body, &client).await
}

/// Sends the code (or password) of `link`: to its recipient, or, on a message's one link, to the address
/// the body names (`202 {"sent": true}` whatever the address, so nothing is told about it).
pub(super) async fn answer_challenge(
    state: &AppState,
    link: Link,
    body: &[u8],
    client: &zegel_service::ClientInfo,
) -> Result<Response, AppError> {
    let access = match link {
        Link::Recipient(access) => access,
        Link::Message(link) => {
            let body: ChallengeBody = serde_json::from_slice(body).map_err(|e| {
                AppError::invalid(
                    "email",
                    format!("send {{\"email\": \"<your address>\"}}: {e}"),
                )
            })?;
            let email = zegel_core::address::normalize_email(&body.email)
                .map_err(|e| AppError::invalid("email", e.to_string()))?;
            access::challenge_by_address(state, &link, &email, client);
            return Ok((StatusCode::ACCEPTED, Json(json!({"sent": true}))).into_response());
        }
    };
    let destination = access::challenge(state, &access, client).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({"sent": true, "channel": "email", "destination": destination})),
    )
        .into_response())
}

/// The body of `POST verify`.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct VerifyBody {
    code: String,
    /// On a message's one link: the recipient's address.
    #[serde(default)]
    email: Option<String>,
}

/// `POST verify`: checks the password and sets the session cookie.
#[utoipa::path(
    post, path = "/api/v1/access/{token}/verify", tag = "access",
    params(("token" = String, Path, description = "The recipient's link token (or the message's one link)")),
    request_body = VerifyBody,
    responses(
        (status = 200, description = "Verified; the answer sets the session cookie", body = Verified),
        (status = "4XX", description = "The request failed: `401` without a valid sign-in, `404` for what is not the caller's, `400`/`422` for a bad request (`invalid` names the field), `409`, `413`, `429` (with `Retry-After`)", body = ErrorBody),
    ),
)]
pub async fn verify(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Client(client): Client,
    JsonBody(body): JsonBody<VerifyBody>,
) -> Result<Response, AppError> {
    let (recipient_id, session) = match access::resolve_link(&state, &token).await? {
        Link::Recipient(access) => {
            let session = access::verify(&state, &access, &body.code, &client).await?;
            (access.recipient_id, session)
        }
        Link::Message(link) => {
            let email = body.email.as_deref().unwrap_or_default();
            access::verify_by_address(&state, &link, email, &body.code, &client).await?
        }
    };
    let mut response = Json(json!({"verified": true})).into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        crate::recipient::session_cookie(&state, &recipient_id, &session),
    );
    Ok(response)
}

/// The access for a token: public files need nothing more, everything else the recipient's session
/// (on a message's one link: the session of whichever of its recipients the request carries).
async fn authorised(
    state: &AppState,
    token: &str,
    headers: &HeaderMap,
) -> Result<Access, AppError> {
    let access = match access::resolve_link(state, token).await? {
        Link::Recipient(access) => access,
        Link::Message(link) => {
            return Ok(crate::recipient::session_for_link(state, headers, &link).await?);
        }
    };
    if access::gate(&access) == Gate::Open {
        return Ok(access);
    }
    Ok(crate::recipient::session_access(state, headers, &access.recipient_id).await?)
}

/// `GET message`: reads the message; changes nothing.
#[utoipa::path(
    get, path = "/api/v1/access/{token}/message", tag = "access",
    params(("token" = String, Path, description = "The recipient's link token (or the message's one link)")),
    responses(
        (status = 200, description = "The message; reading it changes nothing", body = AccessMessage),
        (status = "4XX", description = "The request failed: `401` without a valid sign-in, `404` for what is not the caller's, `400`/`422` for a bad request (`invalid` names the field), `409`, `413`, `429` (with `Retry-After`)", body = ErrorBody),
    ),
    security((), ("session" = [])),
)]
pub async fn message(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let access = authorised(&state, &token, &headers).await?;
    let view = access::open_message(&state, &access).await?;
    Ok(Json(view).into_response())
}

/// `POST files/<id>`: downloads a file, counting it as it starts.
#[utoipa::path(
    post, path = "/api/v1/access/{token}/files/{file_id}", tag = "access",
    params(
        ("token" = String, Path, description = "The recipient's link token (or the message's one link)"),
        ("file_id" = String, Path, description = "The file's id"),
    ),
    responses(
        (status = 200, description = "The file (counted as a download as it starts)", content_type = "application/octet-stream", body = Vec<u8>),
        (status = "4XX", description = "The request failed: `401` without a valid sign-in, `404` for what is not the caller's, `400`/`422` for a bad request (`invalid` names the field), `409`, `413`, `429` (with `Retry-After`)", body = ErrorBody),
    ),
    security((), ("session" = [])),
)]
pub async fn file(
    State(state): State<AppState>,
    Path((token, file_id)): Path<(String, String)>,
    headers: HeaderMap,
    Client(client): Client,
) -> Result<Response, AppError> {
    let access = authorised(&state, &token, &headers).await?;
    Ok(crate::recipient::download_response(
        access::download(&state, &access, &file_id, &client).await?,
    )?)
}

/// `POST files.zip`: every file as one ZIP, all counted as it starts (or none, when one is at its limit).
#[utoipa::path(
    post, path = "/api/v1/access/{token}/files.zip", tag = "access",
    params(("token" = String, Path, description = "The recipient's link token (or the message's one link)")),
    responses(
        (status = 200, description = "Every file as one ZIP (all counted as it starts)", content_type = "application/zip", body = Vec<u8>),
        (status = "4XX", description = "The request failed: `401` without a valid sign-in, `404` for what is not the caller's, `400`/`422` for a bad request (`invalid` names the field), `409`, `413`, `429` (with `Retry-After`)", body = ErrorBody),
    ),
    security((), ("session" = [])),
)]
pub async fn zip(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    Client(client): Client,
) -> Result<Response, AppError> {
    let access = authorised(&state, &token, &headers).await?;
    Ok(crate::recipient::download_response(
        access::zip(&state, &access, &client).await?,
    )?)
}

/// `GET`/`HEAD` of a download: a download is a POST, so a link scanner's fetch counts nothing.
#[utoipa::path(
    get, path = "/api/v1/access/{token}/files/{file_id}", tag = "access",
    params(
        ("token" = String, Path, description = "The recipient's link token"),
        ("file_id" = String, Path, description = "The file's id"),
    ),
    responses((status = 405, description = "A download starts with `POST`; `GET` and `HEAD` never count one", body = ErrorBody)),
)]
pub async fn download_needs_post() -> Response {
    let mut response = AppError::bad_request_status(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "a download starts with POST; GET and HEAD never count one",
    )
    .into_response();
    response
        .headers_mut()
        .insert(header::ALLOW, axum::http::HeaderValue::from_static("POST"));
    response
}

/// `GET`/`HEAD` of the ZIP: as [`download_needs_post`].
#[utoipa::path(
    get, path = "/api/v1/access/{token}/files.zip", tag = "access",
    params(("token" = String, Path, description = "The recipient's link token")),
    responses((status = 405, description = "A download starts with `POST`; `GET` and `HEAD` never count one", body = ErrorBody)),
)]
pub async fn zip_needs_post() -> Response {
    download_needs_post().await
}

/// `POST logout`: ends the recipient's session and removes its cookie.
#[utoipa::path(
    post, path = "/api/v1/access/{token}/logout", tag = "access",
    params(("token" = String, Path, description = "The recipient's link token")),
    responses(
        (status = 200, description = "The session is ended and its cookie removed", body = SignedOut),
        (status = "4XX", description = "The request failed: `401` without a valid sign-in, `404` for what is not the caller's, `400`/`422` for a bad request (`invalid` names the field), `409`, `413`, `429` (with `Retry-After`)", body = ErrorBody),
    ),
    security(("session" = [])),
)]
pub async fn logout(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let access = access::resolve(&state, &token).await?;
    crate::recipient::logout(&state, &headers, &access.recipient_id).await?;
    let mut response = Json(json!({"signed_out": true})).into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        crate::recipient::clear_session_cookie(&state, &access.recipient_id),
    );
    Ok(response)
}

/// `POST replies`: answers the message (text and finished uploads made under the session), to its
/// author (and with `to_all`, where the organisation allows, its other To and Cc recipients).
#[utoipa::path(
    post, path = "/api/v1/access/{token}/replies", tag = "access",
    params(("token" = String, Path, description = "The recipient's link token (or the message's one link)")),
    request_body = zegel_core::conversation::ReplyRequest,
    responses(
        (status = 201, description = "Sent, sealed like any message", body = zegel_core::conversation::Replied),
        (status = "4XX", description = "`401` without a session, `403` when replies are switched off, `404`, `409` when the conversation has its replies already, `413`, `422` naming the field", body = ErrorBody),
    ),
    security(("session" = [])),
)]
pub async fn reply(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    Client(client): Client,
    JsonBody(body): JsonBody<zegel_core::conversation::ReplyRequest>,
) -> Result<Response, AppError> {
    let access = authorised(&state, &token, &headers).await?;
    if access::gate(&access) == Gate::Open {
        return Err(AppError::Forbidden(
            "public files have no verified recipient to reply".into(),
        ));
    }
    let replied = zegel_service::replies::reply(
        &state,
        &access,
        &body.text,
        &body.uploads,
        body.to_all,
        state.config.max_upload_bytes,
        &client,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(replied)).into_response())
}

/// `GET conversation`: the message's conversation in order, the turns this recipient wrote or received.
#[utoipa::path(
    get, path = "/api/v1/access/{token}/conversation", tag = "access",
    params(("token" = String, Path, description = "The recipient's link token (or the message's one link)")),
    responses(
        (status = 200, description = "The conversation; reading it changes nothing", body = zegel_core::conversation::Conversation),
        (status = "4XX", description = "`401` without a session, `404`", body = ErrorBody),
    ),
    security(("session" = [])),
)]
pub async fn conversation(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let access = authorised(&state, &token, &headers).await?;
    let turns =
        zegel_service::replies::conversation(&state, &access.message_id, Some(&access.email))
            .await?;
    Ok(Json(zegel_core::conversation::Conversation { turns }).into_response())
}
