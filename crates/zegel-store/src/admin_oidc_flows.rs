//! An admin's sign-in with OpenID Connect in progress (the authorization code flow with PKCE): created
//! when the browser is sent to the issuer, taken (deleted) when it comes back, so each is used once. Only
//! SHA-256 hashes of the flow's secrets are stored: the `state`, the nonce and the PKCE code verifier,
//! which the browser keeps.

use sqlx::Row;

use super::{Db, DbResult};

/// A sign-in flow lasts at most this long.
pub const FLOW_TTL_MS: i64 = 10 * 60 * 1000;

/// A sign-in flow in progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminOidcFlow {
    /// SHA-256 of the `state` parameter.
    pub state_hash: Vec<u8>,
    /// SHA-256 of the PKCE code verifier (the browser's cookie).
    pub verifier_hash: Vec<u8>,
    /// SHA-256 of the nonce the ID token must carry.
    pub nonce_hash: Vec<u8>,
    /// The tenant whose issuer signs the admin in.
    pub tenant_id: String,
    /// That issuer.
    pub issuer: String,
    /// When the flow ends unused (Unix ms).
    pub expires_at: i64,
}

/// Stores a new flow, and forgets the flows that ended unused.
pub async fn create(db: &Db, flow: &AdminOidcFlow, now: i64) -> DbResult<()> {
    sqlx::query("DELETE FROM admin_oidc_flows WHERE expires_at <= $1")
        .bind(now)
        .execute(&db.pool)
        .await?;
    sqlx::query(
        "INSERT INTO admin_oidc_flows (state_hash, verifier_hash, nonce_hash, tenant_id, issuer, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(flow.state_hash.clone())
    .bind(flow.verifier_hash.clone())
    .bind(flow.nonce_hash.clone())
    .bind(&flow.tenant_id)
    .bind(&flow.issuer)
    .bind(now)
    .bind(flow.expires_at)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Takes the flow `state_hash` names: deletes it and returns it when it was still live at `now`. One
/// statement, so of two requests with the same state at most one gets the flow.
pub async fn take(db: &Db, state_hash: &[u8], now: i64) -> DbResult<Option<AdminOidcFlow>> {
    let row = sqlx::query(
        "DELETE FROM admin_oidc_flows WHERE state_hash = $1
         RETURNING state_hash, verifier_hash, nonce_hash, tenant_id, issuer, expires_at",
    )
    .bind(state_hash.to_vec())
    .fetch_optional(&db.pool)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let flow = AdminOidcFlow {
        state_hash: row.try_get("state_hash")?,
        verifier_hash: row.try_get("verifier_hash")?,
        nonce_hash: row.try_get("nonce_hash")?,
        tenant_id: row.try_get("tenant_id")?,
        issuer: row.try_get("issuer")?,
        expires_at: row.try_get("expires_at")?,
    };
    Ok((flow.expires_at > now).then_some(flow))
}
