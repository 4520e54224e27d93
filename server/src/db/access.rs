//! Recipient access: one-time codes, sessions, failed attempts and downloads.
//!
//! Codes and session tokens are stored only as hashes; the plaintext exists in the e-mail (sealed in
//! the outbox until sent) and in the recipient's browser.

use sqlx::Row;

use super::{Db, DbResult};

/// A code that can still be tried.
#[derive(Debug, Clone)]
pub struct ActiveCode {
    /// Its id.
    pub id: String,
    /// SHA-256 of the code.
    pub code_hash: Vec<u8>,
}

/// The most wrong tries one code takes before it is void.
pub const MAX_TRIES_PER_CODE: i64 = 5;

/// How many codes were issued to a recipient since `since` (for throttling sends).
pub async fn codes_issued_since(db: &Db, recipient_id: &str, since: i64) -> DbResult<i64> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n FROM access_codes WHERE recipient_id = $1 AND created_at >= $2",
    )
    .bind(recipient_id)
    .bind(since)
    .fetch_one(&db.pool)
    .await?;
    row.try_get("n")
}

/// Issues a new code, voiding every earlier one of the recipient ("send a new one").
pub async fn issue_code(
    conn: &mut sqlx::AnyConnection,
    recipient_id: &str,
    code_hash: &[u8],
    now: i64,
    expires_at: i64,
) -> DbResult<()> {
    sqlx::query("UPDATE access_codes SET spent = 1 WHERE recipient_id = $1 AND spent = 0")
        .bind(recipient_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO access_codes (id, recipient_id, code_hash, created_at, expires_at, tries, spent)
         VALUES ($1, $2, $3, $4, $5, 0, 0)",
    )
    .bind(zegel_crypto::random_id())
    .bind(recipient_id)
    .bind(code_hash.to_vec())
    .bind(now)
    .bind(expires_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The recipient's codes that are unspent, unexpired and have tries left.
pub async fn active_codes(db: &Db, recipient_id: &str, now: i64) -> DbResult<Vec<ActiveCode>> {
    let rows = sqlx::query(
        "SELECT id, code_hash FROM access_codes
         WHERE recipient_id = $1 AND spent = 0 AND expires_at > $2 AND tries < $3",
    )
    .bind(recipient_id)
    .bind(now)
    .bind(MAX_TRIES_PER_CODE)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(ActiveCode {
                id: row.try_get("id")?,
                code_hash: row.try_get("code_hash")?,
            })
        })
        .collect()
}

/// Marks a code used: codes are single-use.
pub async fn spend_code(db: &Db, code_id: &str) -> DbResult<bool> {
    let done = sqlx::query("UPDATE access_codes SET spent = 1 WHERE id = $1 AND spent = 0")
        .bind(code_id)
        .execute(&db.pool)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Counts a wrong try against every active code of the recipient (the try could have been meant for
/// any of them).
pub async fn count_wrong_try(db: &Db, recipient_id: &str) -> DbResult<()> {
    sqlx::query("UPDATE access_codes SET tries = tries + 1 WHERE recipient_id = $1 AND spent = 0")
        .bind(recipient_id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Records a failed verification and returns the number of failures in a row; locks the recipient at
/// `lock_after`.
pub async fn record_failure(
    db: &Db,
    recipient_id: &str,
    now: i64,
    lock_after: i64,
) -> DbResult<i64> {
    let row = sqlx::query(
        "UPDATE recipients SET failed_attempts = failed_attempts + 1, last_failure_at = $1,
            locked = CASE WHEN failed_attempts + 1 >= $2 THEN 1 ELSE locked END
         WHERE id = $3 RETURNING failed_attempts",
    )
    .bind(now)
    .bind(lock_after)
    .bind(recipient_id)
    .fetch_one(&db.pool)
    .await?;
    row.try_get("failed_attempts")
}

/// The time of the last failed verification.
pub async fn last_failure(db: &Db, recipient_id: &str) -> DbResult<Option<i64>> {
    let row = sqlx::query("SELECT last_failure_at FROM recipients WHERE id = $1")
        .bind(recipient_id)
        .fetch_one(&db.pool)
        .await?;
    row.try_get("last_failure_at")
}

/// Clears the failure counter after a success.
pub async fn reset_failures(db: &Db, recipient_id: &str) -> DbResult<()> {
    sqlx::query("UPDATE recipients SET failed_attempts = 0 WHERE id = $1")
        .bind(recipient_id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Records when a recipient last asked for a password or code (tracking), inside the caller's
/// transaction.
pub async fn mark_challenged(
    conn: &mut sqlx::AnyConnection,
    recipient_id: &str,
    now: i64,
) -> DbResult<()> {
    sqlx::query("UPDATE recipients SET challenge_sent_at = $1 WHERE id = $2")
        .bind(now)
        .bind(recipient_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Records when a recipient last authenticated (tracking).
pub async fn mark_verified(db: &Db, recipient_id: &str, now: i64) -> DbResult<()> {
    sqlx::query("UPDATE recipients SET verified_at = $1 WHERE id = $2")
        .bind(now)
        .bind(recipient_id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Stores a new session (by its token's hash).
pub async fn create_session(
    db: &Db,
    token_hash: &[u8],
    recipient_id: &str,
    now: i64,
    expires_at: i64,
) -> DbResult<()> {
    sqlx::query("INSERT INTO recipient_sessions (token_hash, recipient_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(token_hash.to_vec())
        .bind(recipient_id)
        .bind(now)
        .bind(expires_at)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// The recipient a live session token belongs to.
pub async fn session_recipient(db: &Db, token_hash: &[u8], now: i64) -> DbResult<Option<String>> {
    let row = sqlx::query(
        "SELECT recipient_id FROM recipient_sessions WHERE token_hash = $1 AND expires_at > $2",
    )
    .bind(token_hash.to_vec())
    .bind(now)
    .fetch_optional(&db.pool)
    .await?;
    row.map(|row| row.try_get("recipient_id")).transpose()
}

/// How often a recipient downloaded a file.
pub async fn download_count(db: &Db, file_id: &str, recipient_id: &str) -> DbResult<i64> {
    let row =
        sqlx::query("SELECT COUNT(*) AS n FROM downloads WHERE file_id = $1 AND recipient_id = $2")
            .bind(file_id)
            .bind(recipient_id)
            .fetch_one(&db.pool)
            .await?;
    row.try_get("n")
}

/// Records a download.
pub async fn record_download(db: &Db, file_id: &str, recipient_id: &str, now: i64) -> DbResult<()> {
    sqlx::query("INSERT INTO downloads (file_id, recipient_id, at) VALUES ($1, $2, $3)")
        .bind(file_id)
        .bind(recipient_id)
        .bind(now)
        .execute(&db.pool)
        .await?;
    Ok(())
}
