//! Sender authentication for HTTP requests (the rules are `zegel_service::auth`): signed, expiring bearer tokens (`zegel admin token`), or JWTs of an OpenID
//! Connect issuer the tenant trusts (`zegel_service::oidc`). [`Admin`] also requires the admin role.
//!
//! A token is the crypto crate's HMAC-signed envelope around [`TokenClaims`]. The user is looked up on
//! every request, so deleting a user revokes their tokens. Failures are a bare `401` that tells an
//! attacker nothing about why.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use crate::error::AppError;
use crate::state::AppState;
use zegel_store::tenants::User;

/// The authenticated sender of a request.
#[derive(Debug, Clone)]
pub struct Sender(pub User);

/// The sender a bearer token names (a `zgl1.` token or a JWT of a trusted issuer).
async fn bearer_user(parts: &Parts, state: &AppState) -> Result<User, AppError> {
    let header = parts
        .headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or(AppError::Unauthorized)?;
    let token = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .ok_or(AppError::Unauthorized)?
        .trim();
    Ok(zegel_service::auth::authenticate(state, token).await?)
}

/// The name of the browser sender's session cookie (`/send`): `__Host-` prefixed over TLS.
pub fn web_sender_cookie(state: &AppState) -> &'static str {
    if state.config.is_https() {
        "__Host-zsend"
    } else {
        "zsend"
    }
}

impl FromRequestParts<AppState> for Sender {
    type Rejection = AppError;

    /// A bearer token, or (without an `Authorization` header) the session of a sender who proved their
    /// address on `/send`: a SameSite=Strict cookie, so only this site's pages send it.
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if parts.headers.contains_key(AUTHORIZATION) {
            return Ok(Sender(bearer_user(parts, state).await?));
        }
        let token = crate::recipient::cookie(&parts.headers, web_sender_cookie(state))
            .ok_or(AppError::Unauthorized)?;
        let user = zegel_service::senders::session(state, token)
            .await?
            .ok_or(AppError::Unauthorized)?;
        Ok(Sender(user))
    }
}

/// A sender with the admin role (403 for other senders).
#[derive(Debug, Clone)]
pub struct Admin(pub User);

impl FromRequestParts<AppState> for Admin {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        // Admins sign in with a token or their issuer, never with a browser sender's session.
        let user = bearer_user(parts, state).await?;
        if user.role != "admin" {
            return Err(AppError::Forbidden("this needs the admin role".to_owned()));
        }
        Ok(Admin(user))
    }
}
