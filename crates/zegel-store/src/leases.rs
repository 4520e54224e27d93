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

/// Gives up the lease `name` if `owner` holds it (a holder that died lets it run out instead).
pub async fn release(db: &Db, name: &str, owner: &str) -> DbResult<()> {
    sqlx::query("DELETE FROM task_leases WHERE name = $1 AND owner = $2")
        .bind(name)
        .bind(owner)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Removes leases whose names start with `prefix` and that ran out before `now` (the leases of
/// per-object writers, which a dead holder leaves behind).
pub async fn forget_expired(db: &Db, prefix: &str, now: i64) -> DbResult<u64> {
    Ok(
        sqlx::query("DELETE FROM task_leases WHERE name LIKE $1 AND lease_until < $2")
            .bind(format!("{prefix}%"))
            .bind(now)
            .execute(&db.pool)
            .await?
            .rows_affected(),
    )
}
