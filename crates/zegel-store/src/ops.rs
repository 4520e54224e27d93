//! What operators watch: a database ping for `/readyz`, and the counts `/metrics` reports (read on
//! each scrape, so they are the same on every instance).

use sqlx::Row;

use crate::{Db, DbResult};

/// One cheap query: the database answers.
pub async fn ping(db: &Db) -> DbResult<()> {
    sqlx::query("SELECT 1").execute(&db.pool).await.map(|_| ())
}

/// The figures of one scrape.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Figures {
    /// Outbox jobs still to deliver (not dead).
    pub outbox_pending: i64,
    /// Outbox jobs given up on.
    pub outbox_dead: i64,
    /// When the oldest pending job was written (Unix ms), if any.
    pub outbox_oldest_at: Option<i64>,
    /// Messages by status (`active`, `held`, `expired`, `deleted`).
    pub messages: Vec<(String, i64)>,
    /// Downloads recorded.
    pub downloads: i64,
    /// Resumable uploads not yet used by a message.
    pub open_uploads: i64,
    /// Notifications delivered to the relay, and those it refused for good (recipients' state).
    pub notified: i64,
    /// See `notified`.
    pub notify_failed: i64,
    /// Received files by the malware scanner's verdict (`clean`, `pending`, `infected`, `unscanned`).
    pub scans: Vec<(String, i64)>,
}

/// Reads the figures.
pub async fn figures(db: &Db) -> DbResult<Figures> {
    let outbox = sqlx::query(
        "SELECT COALESCE(SUM(CASE WHEN dead = 0 THEN 1 ELSE 0 END), 0) AS pending,
                COALESCE(SUM(CASE WHEN dead <> 0 THEN 1 ELSE 0 END), 0) AS dead,
                MIN(CASE WHEN dead = 0 THEN created_at END) AS oldest
         FROM outbox",
    )
    .fetch_one(&db.pool)
    .await?;
    let messages = sqlx::query("SELECT status, COUNT(*) AS n FROM messages GROUP BY status")
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(|row| Ok((row.try_get("status")?, row.try_get("n")?)))
        .collect::<DbResult<Vec<(String, i64)>>>()?;
    let downloads: i64 = sqlx::query("SELECT COUNT(*) AS n FROM downloads")
        .fetch_one(&db.pool)
        .await?
        .try_get("n")?;
    let open_uploads: i64 = sqlx::query("SELECT COUNT(*) AS n FROM uploads")
        .fetch_one(&db.pool)
        .await?
        .try_get("n")?;
    let recipients = sqlx::query(
        "SELECT COALESCE(SUM(CASE WHEN notified_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS notified,
                COALESCE(SUM(CASE WHEN delivery_failed <> 0 THEN 1 ELSE 0 END), 0) AS failed
         FROM recipients",
    )
    .fetch_one(&db.pool)
    .await?;
    let scans = sqlx::query("SELECT scan, COUNT(*) AS n FROM received GROUP BY scan")
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(|row| Ok((row.try_get("scan")?, row.try_get("n")?)))
        .collect::<DbResult<Vec<(String, i64)>>>()?;
    Ok(Figures {
        notified: recipients.try_get("notified")?,
        notify_failed: recipients.try_get("failed")?,
        scans,
        outbox_pending: outbox.try_get("pending")?,
        outbox_dead: outbox.try_get("dead")?,
        outbox_oldest_at: outbox.try_get("oldest")?,
        messages,
        downloads,
        open_uploads,
    })
}
