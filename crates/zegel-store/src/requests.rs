//! Upload requests and the files received in answer: what a request accepts, and for each answer the
//! `received` message it was delivered in, who sent it and how the malware scanner judged it.

use sqlx::{AnyConnection, Row};

use super::{Db, DbResult};

/// What an upload request accepts from each recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestLimits {
    /// Accepted kinds by content, comma-separated; empty accepts any recognised kind.
    pub allowed_types: String,
    /// Files per recipient.
    pub max_files: i64,
    /// Bytes per recipient.
    pub max_bytes: i64,
}

/// Records what the upload request `message_id` accepts (in its creating transaction).
pub async fn insert_request(
    conn: &mut AnyConnection,
    message_id: &str,
    limits: &RequestLimits,
) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO upload_requests (message_id, allowed_types, max_files, max_bytes) VALUES ($1, $2, $3, $4)",
    )
    .bind(message_id)
    .bind(&limits.allowed_types)
    .bind(limits.max_files)
    .bind(limits.max_bytes)
    .execute(conn)
    .await?;
    Ok(())
}

/// What the upload request `message_id` accepts.
pub async fn request_limits(db: &Db, message_id: &str) -> DbResult<Option<RequestLimits>> {
    let row = sqlx::query(
        "SELECT allowed_types, max_files, max_bytes FROM upload_requests WHERE message_id = $1",
    )
    .bind(message_id)
    .fetch_optional(&db.pool)
    .await?;
    row.map(|row| {
        Ok(RequestLimits {
            allowed_types: row.try_get("allowed_types")?,
            max_files: row.try_get("max_files")?,
            max_bytes: row.try_get("max_bytes")?,
        })
    })
    .transpose()
}

/// A delivery of received files, as inserted.
#[derive(Debug, Clone)]
pub struct NewReceived {
    /// The `received` message the files are in.
    pub message_id: String,
    /// The upload request answered (none for an upload portal).
    pub request_id: Option<String>,
    /// The request's recipient (or portal visitor) whose one answer this is.
    pub answers: Option<String>,
    /// The upload portal the files came through.
    pub portal_id: Option<String>,
    /// The uploader's (verified) address.
    pub from_email: String,
    /// `clean`, `pending` or `unscanned`.
    pub scan: String,
    /// When the files were sent.
    pub created_at: i64,
}

/// Records a delivery in the transaction that stores its message. `false` when the request's recipient
/// answered already (their one use is spent): the caller rolls back.
pub async fn insert_received(conn: &mut AnyConnection, received: &NewReceived) -> DbResult<bool> {
    let done = sqlx::query(
        "INSERT INTO received (message_id, request_id, answers, portal_id, from_email, scan, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
    )
    .bind(&received.message_id)
    .bind(&received.request_id)
    .bind(&received.answers)
    .bind(&received.portal_id)
    .bind(&received.from_email)
    .bind(&received.scan)
    .bind(received.created_at)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A delivery of received files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// The `received` message.
    pub message_id: String,
    /// The request's recipient it answers.
    pub answers: Option<String>,
    /// Who sent the files.
    pub from_email: String,
    /// The scanner's judgement.
    pub scan: String,
    /// Scans tried while the scanner was unreachable.
    pub scan_tries: i64,
    /// When the files were sent.
    pub created_at: i64,
    /// The tenant.
    pub tenant_id: String,
}

const RECEIVED_SELECT: &str = "SELECT r.message_id, r.answers, r.from_email, r.scan, r.scan_tries,
        r.created_at, m.tenant_id
    FROM received r JOIN messages m ON m.id = r.message_id";

fn received_from_row(row: &sqlx::any::AnyRow) -> DbResult<Received> {
    Ok(Received {
        message_id: row.try_get("message_id")?,
        answers: row.try_get("answers")?,
        from_email: row.try_get("from_email")?,
        scan: row.try_get("scan")?,
        scan_tries: row.try_get("scan_tries")?,
        created_at: row.try_get("created_at")?,
        tenant_id: row.try_get("tenant_id")?,
    })
}

/// Every delivery answering the upload request `request_id`, oldest first.
pub async fn received_for_request(db: &Db, request_id: &str) -> DbResult<Vec<Received>> {
    let sql =
        format!("{RECEIVED_SELECT} WHERE r.request_id = $1 ORDER BY r.created_at, r.message_id");
    let rows = sqlx::query(&sql)
        .bind(request_id)
        .fetch_all(&db.pool)
        .await?;
    rows.iter().map(received_from_row).collect()
}

/// The delivery in the `received` message `message_id`.
pub async fn received(db: &Db, message_id: &str) -> DbResult<Option<Received>> {
    let sql = format!("{RECEIVED_SELECT} WHERE r.message_id = $1");
    let row = sqlx::query(&sql)
        .bind(message_id)
        .fetch_optional(&db.pool)
        .await?;
    row.as_ref().map(received_from_row).transpose()
}

/// Whether the request's recipient `recipient_id` has answered (their one use is spent).
pub async fn answered(db: &Db, recipient_id: &str) -> DbResult<bool> {
    Ok(
        sqlx::query("SELECT 1 AS one FROM received WHERE answers = $1")
            .bind(recipient_id)
            .fetch_optional(&db.pool)
            .await?
            .is_some(),
    )
}

/// Up to `limit` deliveries waiting for the malware scanner whose message is still held, fewest tries
/// first.
pub async fn pending_scans(db: &Db, limit: i64) -> DbResult<Vec<Received>> {
    let sql = format!(
        "{RECEIVED_SELECT} WHERE r.scan = 'pending' AND m.status = 'held'
         ORDER BY r.scan_tries, r.created_at LIMIT $1"
    );
    let rows = sqlx::query(&sql).bind(limit).fetch_all(&db.pool).await?;
    rows.iter().map(received_from_row).collect()
}

/// Counts a scan that could not run.
pub async fn count_scan_try(db: &Db, message_id: &str) -> DbResult<()> {
    sqlx::query("UPDATE received SET scan_tries = scan_tries + 1 WHERE message_id = $1")
        .bind(message_id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Records the scanner's judgement of a pending delivery: `false` when it was no longer pending (another
/// instance judged it first), so exactly one instance releases or refuses it.
pub async fn judge(conn: &mut AnyConnection, message_id: &str, scan: &str) -> DbResult<bool> {
    let done =
        sqlx::query("UPDATE received SET scan = $1 WHERE message_id = $2 AND scan = 'pending'")
            .bind(scan)
            .bind(message_id)
            .execute(conn)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Gives a refused delivery's recipient their one use back (the malware scanner refused their files).
pub async fn release_answer(conn: &mut AnyConnection, message_id: &str) -> DbResult<()> {
    sqlx::query("UPDATE received SET answers = NULL WHERE message_id = $1")
        .bind(message_id)
        .execute(conn)
        .await?;
    Ok(())
}
