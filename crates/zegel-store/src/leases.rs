//! Leases on tasks that must run on one instance at a time: one conditional upsert takes or renews a
//! lease, so two instances never both hold it, on either engine.

use crate::{Db, DbResult};

/// Takes the lease `name` for `owner` until `until` (Unix ms) when it is free, expired, or already
/// `owner`'s; answers whether `owner` holds it now.
pub async fn acquire(db: &Db, name: &str, owner: &str, now: i64, until: i64) -> DbResult<bool> {
    let taken = sqlx::query(
        "INSERT INTO task_leases (name, owner, lease_until) VALUES ($1, $2, $3)
         ON CONFLICT (name) DO UPDATE SET owner = $2, lease_until = $3
         WHERE task_leases.lease_until < $4 OR task_leases.owner = $2",
    )
    .bind(name)
    .bind(owner)
    .bind(until)
    .bind(now)
    .execute(&db.pool)
    .await?
    .rows_affected();
    Ok(taken == 1)
}
