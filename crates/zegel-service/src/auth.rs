//! Sender authentication: signed, expiring bearer tokens (`zegel admin token`), or JWTs of an OpenID
//! Connect issuer the tenant trusts ([`crate::oidc`]).
//!
//! A token is the crypto crate's HMAC-signed envelope around [`TokenClaims`]. The user is looked up on
//! every request, so deleting a user revokes their tokens. Failures are a bare
//! [`ServiceError::Unauthorized`] that tells an attacker nothing about why.

use serde::{Deserialize, Serialize};
use zegel_store::tenants::{self, User};

use crate::{ServiceError, Services};

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
pub fn issue_token(state: &Services, user: &User, days: i64) -> String {
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

/// The user a bearer token names: a built-in `zgl1.` token, else a JWT of a trusted OpenID Connect
/// issuer. Any failure is a bare `401`.
pub async fn authenticate(state: &Services, token: &str) -> Result<User, ServiceError> {
    if !token.starts_with("zgl1.") {
        return crate::oidc::authenticate(state, token).await;
    }
    let payload = state
        .keys
        .signer
        .verify(token)
        .map_err(|_| ServiceError::Unauthorized)?;
    let claims: TokenClaims =
        serde_json::from_slice(&payload).map_err(|_| ServiceError::Unauthorized)?;
    let now = state.clock.now().as_second();
    if claims.v != 1 || claims.exp <= now || claims.iat > now + 300 {
        return Err(ServiceError::Unauthorized);
    }
    let user = tenants::user(&state.db, &claims.sub)
        .await?
        .ok_or(ServiceError::Unauthorized)?;
    if user.tenant_id != claims.tid {
        return Err(ServiceError::Unauthorized);
    }
    Ok(user)
}
