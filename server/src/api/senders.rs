//! Senders from the browser (`/send`) prove their address: `POST /api/v1/senders/challenge` mails a
//! six-digit code, `POST /api/v1/senders/verify` checks it and sets the sender session cookie that the
//! message API and the uploads take instead of a bearer token. The rules are `zegel_service::senders`.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;
use zegel_core::Language;
use zegel_core::api::ErrorBody;

use crate::api::openapi::ChallengeSent;
use crate::auth::web_sender_cookie;
use crate::client::Client;
use crate::error::{AppError, JsonBody};
use crate::state::AppState;

/// The body of `POST /api/v1/senders/challenge`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChallengeBody {
    /// The sender's own address.
    pub email: String,
    /// For someone outside every organisation here: the domain of the organisation they send to.
    #[serde(default)]
    pub organisation: Option<String>,
    /// The language of the code mail.
    #[serde(default)]
    pub language: Option<String>,
}

/// `POST /api/v1/senders/challenge`: mails a six-digit code to the sender's address.
#[utoipa::path(
    post, path = "/api/v1/senders/challenge", tag = "access",
    request_body = ChallengeBody,
    responses(
        (status = 202, description = "The code is on its way", body = ChallengeSent),
        (status = "4XX", description = "`403` when the organisation takes nothing from outside, `422` naming `email` or `organisation`, `429` for too many codes", body = ErrorBody),
    ),
)]
pub async fn challenge(
    State(state): State<AppState>,
    Client(client): Client,
    headers: HeaderMap,
    JsonBody(body): JsonBody<ChallengeBody>,
) -> Result<Response, AppError> {
    let email = zegel_core::address::normalize_email(&body.email)
        .map_err(|e| AppError::invalid("email", e.to_string()))?;
    let language = body
        .language
        .as_deref()
        .and_then(Language::parse)
        .unwrap_or_else(|| crate::portal::page_language(None, &headers));
    zegel_service::senders::challenge(
        &state,
        &email,
        body.organisation.as_deref(),
        language,
        &client,
    )
    .await?;
    Ok((StatusCode::ACCEPTED, Json(json!({"sent": true}))).into_response())
}

/// The body of `POST /api/v1/senders/verify`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyBody {
    /// The sender's own address.
    pub email: String,
    /// The code from the mail.
    pub code: String,
    /// As in the challenge.
    #[serde(default)]
    pub organisation: Option<String>,
}

/// The answer of a verification.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SenderVerified {
    /// Always true.
    pub verified: bool,
    /// The verified address.
    pub email: String,
    /// Until when this browser stays signed in (RFC 3339).
    pub expires_at: String,
}

/// The `Set-Cookie` of a sender session lasting until `expires_at` (or its removal).
pub fn session_cookie(state: &AppState, token: Option<&str>, max_age_secs: i64) -> HeaderValue {
    let secure = if state.config.is_https() {
        "; Secure"
    } else {
        ""
    };
    let value = format!(
        "{}={}; Path=/; Max-Age={}; HttpOnly; SameSite=Strict{secure}",
        web_sender_cookie(state),
        token.unwrap_or(""),
        max_age_secs.max(0),
    );
    HeaderValue::from_str(&value).expect("cookie values are ASCII")
}

/// `POST /api/v1/senders/verify`: checks the code; the answer sets the sender session cookie.
#[utoipa::path(
    post, path = "/api/v1/senders/verify", tag = "access",
    request_body = VerifyBody,
    responses(
        (status = 200, description = "Verified; the answer sets the session cookie", body = SenderVerified),
        (status = "4XX", description = "`403`, `422` naming `code` (wrong, expired or used), `email` or `organisation`", body = ErrorBody),
    ),
)]
pub async fn verify(
    State(state): State<AppState>,
    Client(client): Client,
    JsonBody(body): JsonBody<VerifyBody>,
) -> Result<Response, AppError> {
    let email = zegel_core::address::normalize_email(&body.email)
        .map_err(|e| AppError::invalid("email", e.to_string()))?;
    let verified = zegel_service::senders::verify(
        &state,
        &email,
        &body.code,
        body.organisation.as_deref(),
        &client,
    )
    .await?;
    let max_age = (verified.expires_at - state.now_ms()) / 1000;
    let mut response = Json(SenderVerified {
        verified: true,
        email: verified.user.email,
        expires_at: jiff::Timestamp::from_millisecond(verified.expires_at)
            .map(|t| t.to_string())
            .unwrap_or_default(),
    })
    .into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        session_cookie(&state, Some(&verified.token), max_age),
    );
    Ok(response)
}

/// `POST /api/v1/senders/logout`: ends this browser's sender session.
#[utoipa::path(
    post, path = "/api/v1/senders/logout", tag = "access",
    responses(
        (status = 200, description = "Signed out; the cookie is removed", body = crate::api::openapi::SignedOut),
        (status = "4XX", description = "A malformed request", body = ErrorBody),
    ),
)]
pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    if let Some(token) = crate::recipient::cookie(&headers, web_sender_cookie(&state)) {
        zegel_service::senders::end(&state, token).await?;
    }
    let mut response = Json(json!({"signed_out": true})).into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, session_cookie(&state, None, 0));
    Ok(response)
}
