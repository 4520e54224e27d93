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

impl FromRequestParts<AppState> for Sender {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
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
        Ok(Sender(
            zegel_service::auth::authenticate(state, token).await?,
        ))
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
        let Sender(user) = Sender::from_request_parts(parts, state).await?;
        if user.role != "admin" {
            return Err(AppError::Forbidden("this needs the admin role".to_owned()));
        }
        Ok(Admin(user))
    }
}
