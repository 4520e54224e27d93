//! The OpenID Connect issuers a tenant trusts to sign in its users.

use sqlx::Row;

use super::{Db, DbResult};

/// An issuer a tenant trusts, and how its ID tokens map to users and roles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedIssuer {
    /// The tenant.
    pub tenant_id: String,
    /// The issuer URL, exactly as in the tokens' `iss` claim.
    pub issuer: String,
    /// The audience the tokens must name (`aud`): the client id registered with the issuer.
    pub audience: String,
    /// The claim that holds the user's address, e.g. `email`, `preferred_username` or `upn`.
    pub user_claim: String,
    /// The claim that makes an admin (a string or an array of strings), e.g. `groups` or `roles`.
    pub admin_claim: Option<String>,
    /// The value in `admin_claim` that makes an admin.
    pub admin_value: Option<String>,
    /// A scope the tokens must carry in `scp` (or `scope`), e.g. `access_as_user`.
    pub required_scope: Option<String>,
}

fn from_row(row: &sqlx::any::AnyRow) -> DbResult<TrustedIssuer> {
    Ok(TrustedIssuer {
        tenant_id: row.try_get("tenant_id")?,
        issuer: row.try_get("issuer")?,
        audience: row.try_get("audience")?,
        user_claim: row.try_get("user_claim")?,
        admin_claim: row.try_get("admin_claim")?,
        admin_value: row.try_get("admin_value")?,
        required_scope: row.try_get("required_scope")?,
    })
}

const COLUMNS: &str =
    "tenant_id, issuer, audience, user_claim, admin_claim, admin_value, required_scope";

/// Adds or replaces a tenant's trust in an issuer.
pub async fn set(db: &Db, trusted: &TrustedIssuer, now: i64) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO oidc_issuers (tenant_id, issuer, audience, user_claim, admin_claim, admin_value, required_scope, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (tenant_id, issuer) DO UPDATE SET audience = excluded.audience, user_claim = excluded.user_claim,
            admin_claim = excluded.admin_claim, admin_value = excluded.admin_value,
            required_scope = excluded.required_scope, updated_at = excluded.updated_at",
    )
    .bind(&trusted.tenant_id)
    .bind(&trusted.issuer)
    .bind(&trusted.audience)
    .bind(&trusted.user_claim)
    .bind(&trusted.admin_claim)
    .bind(&trusted.admin_value)
    .bind(&trusted.required_scope)
    .bind(now)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Ends a tenant's trust in an issuer; whether there was one.
pub async fn remove(db: &Db, tenant_id: &str, issuer: &str) -> DbResult<bool> {
    let done = sqlx::query("DELETE FROM oidc_issuers WHERE tenant_id = $1 AND issuer = $2")
        .bind(tenant_id)
        .bind(issuer)
        .execute(&db.pool)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// The tenants' trust entries for one issuer.
pub async fn for_issuer(db: &Db, issuer: &str) -> DbResult<Vec<TrustedIssuer>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM oidc_issuers WHERE issuer = $1 ORDER BY tenant_id"
    ))
    .bind(issuer)
    .fetch_all(&db.pool)
    .await?;
    rows.iter().map(from_row).collect()
}

/// The issuers one tenant trusts.
pub async fn for_tenant(db: &Db, tenant_id: &str) -> DbResult<Vec<TrustedIssuer>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM oidc_issuers WHERE tenant_id = $1 ORDER BY issuer"
    ))
    .bind(tenant_id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter().map(from_row).collect()
}
