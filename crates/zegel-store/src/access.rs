//! Recipient access: one-time codes, sessions, failed attempts and downloads.
//!
//! Codes and session tokens are stored only as hashes; the plaintext exists in the e-mail (sealed in
//! the outbox until sent) and in the recipient's browser.
//!
//! Every limit here is decided by the database in one statement or under a row lock, never by reading
//! a count into Rust and writing later: [`claim_try`] and [`claim_code_tries`] are conditional
//! `UPDATE ... WHERE tries < n RETURNING`, and [`lock_recipient`] takes the recipient's row (PostgreSQL
//! row lock; SQLite's write lock) for the transactions that count sends and downloads. So the limits
//! hold under parallel requests and across server instances sharing the database.

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
/// Failed tries in a row that need no waiting; after them every try waits [`backoff_ms`].
pub const FREE_FAILURES: i64 = 5;
/// Failed tries in a row that lock the recipient until the sender unlocks them.
pub const LOCK_AFTER_FAILURES: i64 = 100;
/// The longest wait between tries.
pub const MAX_BACKOFF_MS: i64 = 300_000;

/// How long a try must wait after the last failure, given the failures in a row: nothing for the first
/// [`FREE_FAILURES`], then one second, doubling up to five minutes. [`claim_try`] computes the same
/// in SQL.
pub fn backoff_ms(failures: i64) -> i64 {
    if failures < FREE_FAILURES {
        0
    } else if failures - FREE_FAILURES >= 9 {
        MAX_BACKOFF_MS
    } else {
        1000 << (failures - FREE_FAILURES)
    }
}

/// Claims one try for a recipient, counting it as a failure in advance (a success resets the count):
/// granted only while the recipient is not locked, has fewer than [`LOCK_AFTER_FAILURES`] failures and
/// the backoff after the last failure has passed. Returns whether the try may go ahead. One statement,
/// so parallel tries cannot all see the same count.
pub async fn claim_try(db: &Db, recipient_id: &str, now: i64) -> DbResult<bool> {
    let claimed = sqlx::query(
        "UPDATE recipients SET failed_attempts = failed_attempts + 1, last_failure_at = $1
         WHERE id = $2 AND locked = 0 AND failed_attempts < $3
           AND (failed_attempts < $4 OR last_failure_at IS NULL
                OR last_failure_at <= $1 - CASE
                    WHEN failed_attempts < $4 THEN 0
                    WHEN failed_attempts >= $4 + 9 THEN $5
                    ELSE CAST(1000 AS BIGINT) << CAST(failed_attempts - $4 AS INTEGER) END)
         RETURNING failed_attempts",
    )
    .bind(now)
    .bind(recipient_id)
    .bind(LOCK_AFTER_FAILURES)
    .bind(FREE_FAILURES)
    .bind(MAX_BACKOFF_MS)
    .fetch_optional(&db.pool)
    .await?;
    Ok(claimed.is_some())
}

/// Why [`claim_try`] refused: the recipient is locked (or will be), or must wait this long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TryRefusal {
    /// Locked after too many failures.
    Locked,
    /// The next try is allowed after this many milliseconds.
    Wait(i64),
}

/// Explains a refused [`claim_try`] (read after the refusal, for the message only).
pub async fn try_refusal(db: &Db, recipient_id: &str, now: i64) -> DbResult<TryRefusal> {
    let row = sqlx::query(
        "SELECT locked, failed_attempts, last_failure_at FROM recipients WHERE id = $1",
    )
    .bind(recipient_id)
    .fetch_one(&db.pool)
    .await?;
    let locked: i64 = row.try_get("locked")?;
    let failures: i64 = row.try_get("failed_attempts")?;
    let last: Option<i64> = row.try_get("last_failure_at")?;
    if locked != 0 || failures >= LOCK_AFTER_FAILURES {
        return Ok(TryRefusal::Locked);
    }
    let wait = last.map_or(0, |last| last + backoff_ms(failures) - now);
    Ok(TryRefusal::Wait(wait.max(1)))
}

/// After a failed try: locks the recipient when the failures reached [`LOCK_AFTER_FAILURES`]. Returns
/// true for the one call that locked it.
pub async fn lock_if_due(db: &Db, recipient_id: &str) -> DbResult<bool> {
    let done = sqlx::query(
        "UPDATE recipients SET locked = 1 WHERE id = $1 AND locked = 0 AND failed_attempts >= $2",
    )
    .bind(recipient_id)
    .bind(LOCK_AFTER_FAILURES)
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether a recipient is locked now.
pub async fn is_locked(db: &Db, recipient_id: &str) -> DbResult<bool> {
    let row = sqlx::query("SELECT locked FROM recipients WHERE id = $1")
        .bind(recipient_id)
        .fetch_one(&db.pool)
        .await?;
    Ok(row.try_get::<i64, _>("locked")? != 0)
}

/// Clears the failure counter after a success.
pub async fn reset_failures(db: &Db, recipient_id: &str) -> DbResult<()> {
    sqlx::query("UPDATE recipients SET failed_attempts = 0 WHERE id = $1")
        .bind(recipient_id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Takes the recipient's row for the rest of the caller's transaction (a row lock on PostgreSQL, the
/// write lock on SQLite), so counting and inserting after it cannot interleave with another request
/// for the same recipient on any instance. False when the recipient is locked or gone.
pub async fn lock_recipient(conn: &mut sqlx::AnyConnection, recipient_id: &str) -> DbResult<bool> {
    let done = sqlx::query("UPDATE recipients SET locked = locked WHERE id = $1 AND locked = 0")
        .bind(recipient_id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// How many codes were issued to a recipient since `since` (for throttling sends), inside the
/// caller's transaction after [`lock_recipient`].
pub async fn codes_issued_since(
    conn: &mut sqlx::AnyConnection,
    recipient_id: &str,
    since: i64,
) -> DbResult<i64> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n FROM access_codes WHERE recipient_id = $1 AND created_at >= $2",
    )
    .bind(recipient_id)
    .bind(since)
    .fetch_one(conn)
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

/// Counts one try against every live code of the recipient that has tries left, and returns those
/// codes: the try may be compared with them, and only with them. One statement, so of any number of
/// parallel tries at most [`MAX_TRIES_PER_CODE`] ever see a code.
pub async fn claim_code_tries(db: &Db, recipient_id: &str, now: i64) -> DbResult<Vec<ActiveCode>> {
    let rows = sqlx::query(
        "UPDATE access_codes SET tries = tries + 1
         WHERE recipient_id = $1 AND spent = 0 AND expires_at > $2 AND tries < $3
         RETURNING id, code_hash",
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

/// Marks a code used: codes are single-use. True for the one call that spent it.
pub async fn spend_code(db: &Db, code_id: &str) -> DbResult<bool> {
    let done = sqlx::query("UPDATE access_codes SET spent = 1 WHERE id = $1 AND spent = 0")
        .bind(code_id)
        .execute(&db.pool)
        .await?;
    Ok(done.rows_affected() == 1)
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

/// Records the first opening of a message by a recipient; true for the one call that did.
pub async fn mark_first_open(
    conn: &mut sqlx::AnyConnection,
    recipient_id: &str,
    now: i64,
) -> DbResult<bool> {
    let done =
        sqlx::query("UPDATE recipients SET opened_at = $1 WHERE id = $2 AND opened_at IS NULL")
            .bind(now)
            .bind(recipient_id)
            .execute(conn)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Stores a new session (by its token's hash), used from `now`, ending at `expires_at` at the latest.
pub async fn create_session(
    db: &Db,
    token_hash: &[u8],
    recipient_id: &str,
    now: i64,
    expires_at: i64,
) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO recipient_sessions (token_hash, recipient_id, created_at, last_seen_at, expires_at)
         VALUES ($1, $2, $3, $3, $4)",
    )
    .bind(token_hash.to_vec())
    .bind(recipient_id)
    .bind(now)
    .bind(expires_at)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// A live session: its recipient and when it was last used.
#[derive(Debug, Clone)]
pub struct LiveSession {
    /// The recipient it opens.
    pub recipient_id: String,
    /// When it was last used (Unix ms).
    pub last_seen_at: i64,
}

/// The session a token opens at `now`: not past its absolute end, and used within `idle_ms`.
pub async fn live_session(
    db: &Db,
    token_hash: &[u8],
    now: i64,
    idle_ms: i64,
) -> DbResult<Option<LiveSession>> {
    let row = sqlx::query(
        "SELECT recipient_id, last_seen_at FROM recipient_sessions
         WHERE token_hash = $1 AND expires_at > $2 AND last_seen_at > $3",
    )
    .bind(token_hash.to_vec())
    .bind(now)
    .bind(now - idle_ms)
    .fetch_optional(&db.pool)
    .await?;
    row.map(|row| {
        Ok(LiveSession {
            recipient_id: row.try_get("recipient_id")?,
            last_seen_at: row.try_get("last_seen_at")?,
        })
    })
    .transpose()
}

/// Records that a session was used at `now` (which keeps it from idling out).
pub async fn touch_session(db: &Db, token_hash: &[u8], now: i64) -> DbResult<()> {
    sqlx::query(
        "UPDATE recipient_sessions SET last_seen_at = $1 WHERE token_hash = $2 AND last_seen_at < $1",
    )
    .bind(now)
    .bind(token_hash.to_vec())
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Ends a session (logout).
pub async fn end_session(db: &Db, token_hash: &[u8]) -> DbResult<()> {
    sqlx::query("DELETE FROM recipient_sessions WHERE token_hash = $1")
        .bind(token_hash.to_vec())
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Deletes sessions that ended (absolute end passed, or idle for `idle_ms`). Returns how many.
pub async fn forget_ended_sessions(db: &Db, now: i64, idle_ms: i64) -> DbResult<u64> {
    let done =
        sqlx::query("DELETE FROM recipient_sessions WHERE expires_at <= $1 OR last_seen_at <= $2")
            .bind(now)
            .bind(now - idle_ms)
            .execute(&db.pool)
            .await?;
    Ok(done.rows_affected())
}

/// How often a recipient downloaded a file, inside the caller's transaction.
pub async fn download_count(
    conn: &mut sqlx::AnyConnection,
    file_id: &str,
    recipient_id: &str,
) -> DbResult<i64> {
    let row =
        sqlx::query("SELECT COUNT(*) AS n FROM downloads WHERE file_id = $1 AND recipient_id = $2")
            .bind(file_id)
            .bind(recipient_id)
            .fetch_one(conn)
            .await?;
    row.try_get("n")
}

/// Records a download, inside the caller's transaction.
pub async fn record_download(
    conn: &mut sqlx::AnyConnection,
    file_id: &str,
    recipient_id: &str,
    now: i64,
) -> DbResult<()> {
    sqlx::query("INSERT INTO downloads (file_id, recipient_id, at) VALUES ($1, $2, $3)")
        .bind(file_id)
        .bind(recipient_id)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backoff_doubles_up_to_five_minutes() {
        let waits: Vec<i64> = (0..16).map(backoff_ms).collect();
        assert_eq!(
            waits,
            [
                0, 0, 0, 0, 0, 1000, 2000, 4000, 8000, 16_000, 32_000, 64_000, 128_000, 256_000,
                300_000, 300_000
            ]
        );
    }
}
