//! The recipient actions as JSON under `/api/v1/access/<token>/`, for clients other than the HTML
//! portal. Same rules, same session cookie.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use crate::access::{self, AccessError, ClientInfo, Gate};
use crate::db::messages::Access;
use crate::error::{AppError, JsonBody};
use crate::state::AppState;

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
            AccessError::TooManyAttempts(seconds) => AppError::TooManyRequests(format!(
                "too many attempts; try again in {seconds} seconds"
            )),
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

/// `POST challenge`: e-mails the password.
pub async fn challenge(
    State(state): State<AppState>,
    Path(token): Path<String>,
    client: ClientInfo,
) -> Result<Response, AppError> {
    let access = access::resolve(&state, &token).await?;
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
}

/// `POST verify`: checks the password and sets the session cookie.
pub async fn verify(
    State(state): State<AppState>,
    Path(token): Path<String>,
    client: ClientInfo,
    JsonBody(body): JsonBody<VerifyBody>,
) -> Result<Response, AppError> {
    let access = access::resolve(&state, &token).await?;
    let session = access::verify(&state, &access, &body.code, &client).await?;
    let mut response = Json(json!({"verified": true})).into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        access::session_cookie(&state, &access.recipient_id, &session),
    );
    Ok(response)
}

/// The access for a token: public files need nothing more, everything else the recipient's session.
async fn authorised(
    state: &AppState,
    token: &str,
    headers: &HeaderMap,
) -> Result<Access, AppError> {
    let access = access::resolve(state, token).await?;
    if access::gate(&access) == Gate::Open {
        return Ok(access);
    }
    Ok(access::session_access(state, headers, &access.recipient_id).await?)
}

/// `GET message`.
pub async fn message(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    client: ClientInfo,
) -> Result<Response, AppError> {
    let access = authorised(&state, &token, &headers).await?;
    let view = access::open_message(&state, &access, &client).await?;
    Ok(Json(view).into_response())
}

/// `GET files/<id>`.
pub async fn file(
    State(state): State<AppState>,
    Path((token, file_id)): Path<(String, String)>,
    headers: HeaderMap,
    client: ClientInfo,
) -> Result<Response, AppError> {
    let access = authorised(&state, &token, &headers).await?;
    Ok(access::download(&state, &access, &file_id, &client).await?)
}

/// `GET files.zip`.
pub async fn zip(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    client: ClientInfo,
) -> Result<Response, AppError> {
    let access = authorised(&state, &token, &headers).await?;
    Ok(access::zip(&state, &access, &client).await?)
}
