//! Tenant settings: every version of a tenant's settings document (JSON), who changed it and when.
//! Versions are never updated or deleted; the highest one is in force.

use sqlx::Row;

use super::{Db, DbResult};

/// One stored version of a tenant's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsVersion {
    /// 1 for the first change, then one more per change.
    pub version: i64,
    /// The settings document as JSON.
    pub document: String,
    /// Who made the change, e.g. `admin:ciso@zorg.example`.
    pub changed_by: String,
    /// When (Unix ms).
    pub changed_at: i64,
}

/// Why a version could not be saved.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    /// Someone else saved a version in between (or the caller's `expected` version is not the current one).
    #[error("the settings were changed in the meantime (now version {current})")]
    Stale {
        /// The version in force.
        current: i64,
    },
    /// The database failed.
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

fn from_row(row: &sqlx::any::AnyRow) -> DbResult<SettingsVersion> {
    Ok(SettingsVersion {
        version: row.try_get("version")?,
        document: row.try_get("document")?,
        changed_by: row.try_get("changed_by")?,
        changed_at: row.try_get("changed_at")?,
    })
}

/// The version in force, if the tenant's settings were ever changed.
pub async fn current(db: &Db, tenant_id: &str) -> DbResult<Option<SettingsVersion>> {
    let row = sqlx::query(
        "SELECT version, document, changed_by, changed_at FROM tenant_settings
         WHERE tenant_id = $1 ORDER BY version DESC LIMIT 1",
    )
    .bind(tenant_id)
    .fetch_optional(&db.pool)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// One version of a tenant's settings.
pub async fn version(db: &Db, tenant_id: &str, version: i64) -> DbResult<Option<SettingsVersion>> {
    let row = sqlx::query(
        "SELECT version, document, changed_by, changed_at FROM tenant_settings WHERE tenant_id = $1 AND version = $2",
    )
    .bind(tenant_id)
    .bind(version)
    .fetch_optional(&db.pool)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// Every version of a tenant's settings, newest first, without the documents.
pub async fn history(db: &Db, tenant_id: &str) -> DbResult<Vec<SettingsVersion>> {
    let rows = sqlx::query(
        "SELECT version, '' AS document, changed_by, changed_at FROM tenant_settings
         WHERE tenant_id = $1 ORDER BY version DESC",
    )
    .bind(tenant_id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter().map(from_row).collect()
}

/// Stores `document` as the next version, provided the version in force is still `expected` (0 when
/// there is none yet). Two concurrent saves cannot both win: the second one's version exists already.
pub async fn save(
    db: &Db,
    tenant_id: &str,
    expected: i64,
    document: &str,
    changed_by: &str,
    now: i64,
) -> Result<i64, SaveError> {
    let mut tx = db.pool.begin().await?;
    let current: i64 = sqlx::query(
        "SELECT COALESCE(MAX(version), 0) AS v FROM tenant_settings WHERE tenant_id = $1",
    )
    .bind(tenant_id)
    .fetch_one(&mut *tx)
    .await?
    .try_get("v")?;
    if current != expected {
        return Err(SaveError::Stale { current });
    }
    let next = current + 1;
    let inserted = sqlx::query(
        "INSERT INTO tenant_settings (tenant_id, version, document, changed_by, changed_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (tenant_id, version) DO NOTHING",
    )
    .bind(tenant_id)
    .bind(next)
    .bind(document)
    .bind(changed_by)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    if inserted.rows_affected() == 0 {
        return Err(SaveError::Stale { current: next });
    }
    tx.commit().await?;
    Ok(next)
}
