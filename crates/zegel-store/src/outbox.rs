//! The transactional outbox: e-mails (and later SMS) to send, written in the same transaction as the
//! change that needs them, claimed by workers with a lease so a crashed worker's job is retried and two
//! workers never send the same job at once.

use sqlx::{AnyConnection, Row};

use super::{Backend, Db, DbResult};

/// A job as written.
#[derive(Debug, Clone)]
pub struct NewJob {
    /// Its id, also the idempotency key (used as the e-mail's Message-ID).
    pub id: String,
    /// How it leaves.
    pub kind: crate::JobKind,
    /// What it is for.
    pub purpose: crate::JobPurpose,
    /// The recipient whose status it updates, if any.
    pub recipient_id: Option<String>,
    /// The sealed payload.
    pub sealed_payload: Vec<u8>,
}

/// A job a worker holds the lease on.
#[derive(Debug, Clone)]
pub struct ClaimedJob {
    /// Its id.
    pub id: String,
    /// How it leaves.
    pub kind: crate::JobKind,
    /// What it is for.
    pub purpose: crate::JobPurpose,
    /// The recipient whose status it updates.
    pub recipient_id: Option<String>,
    /// The sealed payload.
    pub sealed_payload: Vec<u8>,
    /// Attempts so far, this one included.
    pub attempts: i64,
    /// The end of this claim's lease. It is also the claim's fencing token: only the claim that still
    /// holds the lease can finish the job ([`complete`], [`retry_later`], [`give_up`]); a worker whose
    /// lease ran out and was taken over by another instance changes nothing.
    pub lease_until: i64,
}

/// Writes a job due now.
pub async fn enqueue(conn: &mut AnyConnection, job: &NewJob, now: i64) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO outbox (id, kind, purpose, recipient_id, sealed_payload, attempts, next_attempt_at, dead, created_at)
         VALUES ($1, $2, $3, $4, $5, 0, $6, 0, $6)",
    )
    .bind(&job.id)
    .bind(job.kind.as_str())
    .bind(job.purpose.as_str())
    .bind(&job.recipient_id)
    .bind(&job.sealed_payload)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Claims up to `limit` due jobs for `lease_ms`, counting the attempt.
pub async fn claim_due(db: &Db, now: i64, lease_ms: i64, limit: i64) -> DbResult<Vec<ClaimedJob>> {
    let lock = match db.backend {
        Backend::Postgres => "FOR UPDATE SKIP LOCKED",
        // SQLite has a single writer; the UPDATE itself is the lock.
        Backend::Sqlite => "",
    };
    let sql = format!(
        "UPDATE outbox SET lease_until = $1, attempts = attempts + 1
         WHERE id IN (SELECT id FROM outbox
                      WHERE dead = 0 AND next_attempt_at <= $2 AND (lease_until IS NULL OR lease_until < $2)
                      ORDER BY next_attempt_at, created_at, id LIMIT $3 {lock})
         RETURNING id, kind, purpose, recipient_id, sealed_payload, attempts"
    );
    let lease_until = now + lease_ms;
    let rows = sqlx::query(&sql)
        .bind(lease_until)
        .bind(now)
        .bind(limit)
        .fetch_all(&db.pool)
        .await?;
    rows.iter()
        .map(|row| {
            Ok(ClaimedJob {
                id: row.try_get("id")?,
                kind: crate::JobKind::decode(&row.try_get::<String, _>("kind")?)?,
                purpose: crate::JobPurpose::decode(&row.try_get::<String, _>("purpose")?)?,
                recipient_id: row.try_get("recipient_id")?,
                sealed_payload: row.try_get("sealed_payload")?,
                attempts: row.try_get("attempts")?,
                lease_until,
            })
        })
        .collect()
}

/// Extends `job`'s lease to `now + lease_ms` while its claim still holds it, and makes the new lease end
/// the claim's fencing token; answers whether it did (`false`: another instance took the job over).
pub async fn renew(db: &Db, job: &mut ClaimedJob, now: i64, lease_ms: i64) -> DbResult<bool> {
    let lease_until = now + lease_ms;
    if lease_until <= job.lease_until {
        return Ok(true);
    }
    let done = sqlx::query("UPDATE outbox SET lease_until = $1 WHERE id = $2 AND lease_until = $3")
        .bind(lease_until)
        .bind(&job.id)
        .bind(job.lease_until)
        .execute(&db.pool)
        .await?;
    let renewed = done.rows_affected() == 1;
    if renewed {
        job.lease_until = lease_until;
    }
    Ok(renewed)
}

/// Hands a claimed job back untried (an instance shutting down): no lease, the attempt not counted, so
/// any instance takes it at once. Answers whether `job`'s claim still held it.
pub async fn hand_back(db: &Db, job: &ClaimedJob) -> DbResult<bool> {
    let done = sqlx::query(
        "UPDATE outbox SET lease_until = NULL, attempts = attempts - 1 WHERE id = $1 AND lease_until = $2",
    )
    .bind(&job.id)
    .bind(job.lease_until)
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Removes a job that was done, if `job`'s claim still holds it; answers whether it did.
pub async fn complete(db: &Db, job: &ClaimedJob) -> DbResult<bool> {
    let done = sqlx::query("DELETE FROM outbox WHERE id = $1 AND lease_until = $2")
        .bind(&job.id)
        .bind(job.lease_until)
        .execute(&db.pool)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Schedules another attempt, if `job`'s claim still holds the job; answers whether it did.
pub async fn retry_later(
    db: &Db,
    job: &ClaimedJob,
    next_attempt_at: i64,
    error: &str,
) -> DbResult<bool> {
    let done = sqlx::query(
        "UPDATE outbox SET next_attempt_at = $1, lease_until = NULL, last_error = $2
         WHERE id = $3 AND lease_until = $4",
    )
    .bind(next_attempt_at)
    .bind(error)
    .bind(&job.id)
    .bind(job.lease_until)
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Gives a job up for good, if `job`'s claim still holds it: its sealed payload is dropped, the row
/// stays as a record of the failure. Answers whether it did.
pub async fn give_up(db: &Db, job: &ClaimedJob, error: &str) -> DbResult<bool> {
    let done = sqlx::query(
        "UPDATE outbox SET dead = 1, lease_until = NULL, last_error = $1, sealed_payload = $2
         WHERE id = $3 AND lease_until = $4",
    )
    .bind(error)
    .bind(Vec::<u8>::new())
    .bind(&job.id)
    .bind(job.lease_until)
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The earliest time a job becomes due, if any is waiting.
pub async fn next_due(db: &Db) -> DbResult<Option<i64>> {
    let row = sqlx::query(
        "SELECT MIN(CASE WHEN lease_until IS NULL THEN next_attempt_at ELSE lease_until END) AS due FROM outbox WHERE dead = 0",
    )
    .fetch_one(&db.pool)
    .await?;
    row.try_get("due")
}

/// Every sealed payload, for key rotation.
pub async fn all_payloads(db: &Db) -> DbResult<Vec<(String, Vec<u8>)>> {
    let rows = sqlx::query("SELECT id, sealed_payload FROM outbox WHERE dead = 0")
        .fetch_all(&db.pool)
        .await?;
    rows.iter()
        .map(|row| Ok((row.try_get("id")?, row.try_get("sealed_payload")?)))
        .collect()
}

/// Replaces a payload after key rotation.
pub async fn update_payload(db: &Db, id: &str, sealed_payload: &[u8]) -> DbResult<()> {
    sqlx::query("UPDATE outbox SET sealed_payload = $1 WHERE id = $2")
        .bind(sealed_payload.to_vec())
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(())
}
