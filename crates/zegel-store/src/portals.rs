//! Upload portals, their visits, and counted rate windows.

use sqlx::{AnyConnection, Row};

use super::{Db, DbResult};

/// A portal as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortalRow {
    /// Its id.
    pub id: String,
    /// The tenant.
    pub tenant_id: String,
    /// Its page's address.
    pub slug: String,
    /// The document (JSON).
    pub document: String,
    /// The admin who made it (the owner of its visits' rows).
    pub created_by: String,
    /// Created (Unix ms).
    pub created_at: i64,
    /// Last changed (Unix ms).
    pub updated_at: i64,
}

const SELECT: &str =
    "SELECT id, tenant_id, slug, document, created_by, created_at, updated_at FROM upload_portals";

fn from_row(row: &sqlx::any::AnyRow) -> DbResult<PortalRow> {
    Ok(PortalRow {
        id: row.try_get("id")?,
        tenant_id: row.try_get("tenant_id")?,
        slug: row.try_get("slug")?,
        document: row.try_get("document")?,
        created_by: row.try_get("created_by")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(e) if e.is_unique_violation())
}

/// Stores a new portal; `false` when its slug is taken (by any tenant: slugs are one namespace).
pub async fn insert(db: &Db, portal: &PortalRow) -> DbResult<bool> {
    let done = sqlx::query(
        "INSERT INTO upload_portals (id, tenant_id, slug, document, created_by, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
    )
    .bind(&portal.id)
    .bind(&portal.tenant_id)
    .bind(&portal.slug)
    .bind(&portal.document)
    .bind(&portal.created_by)
    .bind(portal.created_at)
    .bind(portal.updated_at)
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// How an update went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Updated {
    /// Saved.
    Saved,
    /// No such portal of the tenant.
    Missing,
    /// The new slug is another portal's.
    SlugTaken,
}

/// Replaces the slug and document of `tenant_id`'s portal `id`.
pub async fn update(
    db: &Db,
    tenant_id: &str,
    id: &str,
    slug: &str,
    document: &str,
    now: i64,
) -> DbResult<Updated> {
    let result = sqlx::query(
        "UPDATE upload_portals SET slug = $1, document = $2, updated_at = $3 WHERE id = $4 AND tenant_id = $5",
    )
    .bind(slug)
    .bind(document)
    .bind(now)
    .bind(id)
    .bind(tenant_id)
    .execute(&db.pool)
    .await;
    match result {
        Ok(done) if done.rows_affected() == 1 => Ok(Updated::Saved),
        Ok(_) => Ok(Updated::Missing),
        Err(error) if unique_violation(&error) => Ok(Updated::SlugTaken),
        Err(error) => Err(error),
    }
}

/// Deletes `tenant_id`'s portal `id`; `false` when there is none. Files already received stay.
pub async fn delete(db: &Db, tenant_id: &str, id: &str) -> DbResult<bool> {
    let done = sqlx::query("DELETE FROM upload_portals WHERE id = $1 AND tenant_id = $2")
        .bind(id)
        .bind(tenant_id)
        .execute(&db.pool)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// `tenant_id`'s portal `id`.
pub async fn get(db: &Db, tenant_id: &str, id: &str) -> DbResult<Option<PortalRow>> {
    let sql = format!("{SELECT} WHERE id = $1 AND tenant_id = $2");
    let row = sqlx::query(&sql)
        .bind(id)
        .bind(tenant_id)
        .fetch_optional(&db.pool)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// The portal at `/p/<slug>`.
pub async fn by_slug(db: &Db, slug: &str) -> DbResult<Option<PortalRow>> {
    let sql = format!("{SELECT} WHERE slug = $1");
    let row = sqlx::query(&sql)
        .bind(slug)
        .fetch_optional(&db.pool)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// The portal a visit is on.
pub async fn of_visit(db: &Db, visit_message_id: &str) -> DbResult<Option<PortalRow>> {
    let sql =
        format!("{SELECT} WHERE id = (SELECT portal_id FROM portal_visits WHERE message_id = $1)");
    let row = sqlx::query(&sql)
        .bind(visit_message_id)
        .fetch_optional(&db.pool)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Every portal of `tenant_id`, by slug.
pub async fn list(db: &Db, tenant_id: &str) -> DbResult<Vec<PortalRow>> {
    let sql = format!("{SELECT} WHERE tenant_id = $1 ORDER BY slug");
    let rows = sqlx::query(&sql)
        .bind(tenant_id)
        .fetch_all(&db.pool)
        .await?;
    rows.iter().map(from_row).collect()
}

/// Records a visit (in the transaction that stores its message).
pub async fn insert_visit(
    conn: &mut AnyConnection,
    message_id: &str,
    portal_id: &str,
    email_hash: &str,
    now: i64,
) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO portal_visits (message_id, portal_id, email_hash, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(message_id)
    .bind(portal_id)
    .bind(email_hash)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// The newest visit of the address hashed `email_hash` on `portal_id` that is still open at `now`
/// (active, unexpired, and not yet used to send): its message id.
pub async fn open_visit(
    db: &Db,
    portal_id: &str,
    email_hash: &str,
    now: i64,
) -> DbResult<Option<String>> {
    let row = sqlx::query(
        "SELECT v.message_id FROM portal_visits v JOIN messages m ON m.id = v.message_id
         WHERE v.portal_id = $1 AND v.email_hash = $2 AND m.status = 'active' AND m.blocked = 0
           AND m.expires_at > $3
           AND NOT EXISTS (SELECT 1 FROM recipients rc JOIN received r ON r.answers = rc.id
                           WHERE rc.message_id = v.message_id)
         ORDER BY v.created_at DESC LIMIT 1",
    )
    .bind(portal_id)
    .bind(email_hash)
    .bind(now)
    .fetch_optional(&db.pool)
    .await?;
    row.map(|row| row.try_get("message_id")).transpose()
}

/// Counts one hit of `key` in the window starting at `window_start` and answers the window's hits so
/// far, this one included: one upsert, so parallel requests on any instance each see their own count.
pub async fn hit(db: &Db, key: &str, window_start: i64) -> DbResult<i64> {
    let row = sqlx::query(
        "INSERT INTO rate_windows (rate_key, window_start, hits) VALUES ($1, $2, 1)
         ON CONFLICT (rate_key, window_start) DO UPDATE SET hits = rate_windows.hits + 1
         RETURNING hits",
    )
    .bind(key)
    .bind(window_start)
    .fetch_one(&db.pool)
    .await?;
    row.try_get("hits")
}

/// Forgets windows that started before `before`.
pub async fn forget_windows(db: &Db, before: i64) -> DbResult<u64> {
    let done = sqlx::query("DELETE FROM rate_windows WHERE window_start < $1")
        .bind(before)
        .execute(&db.pool)
        .await?;
    Ok(done.rows_affected())
}
