//! The SMTP gateway's idempotency keys: which mails it already accepted.

use sqlx::AnyConnection;

use super::{Db, DbResult};

/// How long the gateway remembers the mails it accepted (a sending server retries for days at most).
pub const IDEMPOTENCY_MS: i64 = 7 * 86_400_000;

/// Whether a mail with this key was accepted before.
pub async fn accepted(db: &Db, key_hash: &str) -> DbResult<bool> {
    let row = sqlx::query("SELECT 1 AS one FROM gateway_accepted WHERE key_hash = $1")
        .bind(key_hash)
        .fetch_optional(&db.pool)
        .await?;
    Ok(row.is_some())
}

/// Records an accepted mail inside the caller's transaction; a second mail with the same key makes the
/// transaction fail (primary key), so two deliveries racing each other store it once.
pub async fn remember(
    conn: &mut AnyConnection,
    key_hash: &str,
    tenant_id: &str,
    now: i64,
) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO gateway_accepted (key_hash, tenant_id, accepted_at) VALUES ($1, $2, $3)",
    )
    .bind(key_hash)
    .bind(tenant_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Forgets keys accepted before `cutoff`; returns how many.
pub async fn forget_before(db: &Db, cutoff: i64) -> DbResult<u64> {
    let done = sqlx::query("DELETE FROM gateway_accepted WHERE accepted_at < $1")
        .bind(cutoff)
        .execute(&db.pool)
        .await?;
    Ok(done.rows_affected())
}
