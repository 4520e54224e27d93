//! The recipient actions as JSON under `/api/v1/access/<token>/`, for clients other than the HTML
//! portal. Same rules, same session cookie.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use crate::client::Client;
use crate::error::{AppError, JsonBody};
use crate::state::AppState;
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
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChallengeBody {
    email: String,
}

/// `POST challenge`: e-mails the password (or sends the SMS code). On a message's one link the body
/// names the recipient (`{"email"}`); the answer is `202 {"sent": true}` whatever the address.
pub async fn challenge(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Client(client): Client,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    let access = match access::resolve_link(&state, &token).await? {
        Link::Recipient(access) => access,
        Link::Message(link) => {
            let body: ChallengeBody = serde_json::from_slice(&body).map_err(|e| {
                AppError::invalid(
                    "email",
                    format!("send {{\"email\": \"<your address>\"}}: {e}"),
                )
            })?;
            let email = zegel_core::address::normalize_email(&body.email)
                .map_err(|e| AppError::invalid("email", e.to_string()))?;
            access::challenge_by_address(&state, &link, &email, &client);
            return Ok((StatusCode::ACCEPTED, Json(json!({"sent": true}))).into_response());
        }
    };
    let destination = access::challenge(&state, &access, &client).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({"sent": true, "channel": "email", "destination": destination})),
    )
        .into_response())
}

/// The body of `POST verify`.
#[derive(Deserialize)]
pub struct VerifyBody {
    code: String,
    /// On a message's one link: the recipient's address.
    #[serde(default)]
    email: Option<String>,
}

/// `POST verify`: checks the password and sets the session cookie.
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

/// `POST logout`: ends the recipient's session and removes its cookie.
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
