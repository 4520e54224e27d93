//! Sender authentication: signed, expiring bearer tokens (`zegel admin token`), or JWTs of an OpenID
//! Connect issuer the tenant trusts (`crate::oidc`). [`Admin`] also requires the admin role.
//!
//! A token is the crypto crate's HMAC-signed envelope around [`TokenClaims`]. The user is looked up on
//! every request, so deleting a user revokes their tokens. Failures are a bare `401` that tells an
//! attacker nothing about why.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::state::AppState;
use zegel_store::tenants::{self, User};

/// What a sender token asserts.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenClaims {
    /// Format version.
    pub v: u8,
    /// The user id.
    pub sub: String,
    /// The tenant id.
    pub tid: String,
    /// Issued at (Unix seconds).
    pub iat: i64,
    /// Expires at (Unix seconds).
    pub exp: i64,
}

/// Makes a token for `user`, valid for `days`.
pub fn issue_token(state: &AppState, user: &User, days: i64) -> String {
    let now = state.clock.now().as_second();
    let claims = TokenClaims {
        v: 1,
        sub: user.id.clone(),
        tid: user.tenant_id.clone(),
        iat: now,
        exp: now + days * 86_400,
    };
    state
        .keys
        .signer
        .sign(&serde_json::to_vec(&claims).expect("claims serialise"))
}

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
        Ok(Sender(authenticate(state, token).await?))
    }
}

/// The user a bearer token names: a built-in `zgl1.` token, else a JWT of a trusted OpenID Connect
/// issuer. Any failure is a bare `401`.
pub async fn authenticate(state: &AppState, token: &str) -> Result<User, AppError> {
    if !token.starts_with("zgl1.") {
        return crate::oidc::authenticate(state, token).await;
    }
    let payload = state
        .keys
        .signer
        .verify(token)
        .map_err(|_| AppError::Unauthorized)?;
    let claims: TokenClaims =
        serde_json::from_slice(&payload).map_err(|_| AppError::Unauthorized)?;
    let now = state.clock.now().as_second();
    if claims.v != 1 || claims.exp <= now || claims.iat > now + 300 {
        return Err(AppError::Unauthorized);
    }
    let user = tenants::user(&state.db, &claims.sub)
        .await?
        .ok_or(AppError::Unauthorized)?;
    if user.tenant_id != claims.tid {
        return Err(AppError::Unauthorized);
    }
    Ok(user)
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
