//! Sessions of the admin page: the cookie holds a random token, this table only its SHA-256, the user
//! and the times that end it (idle and absolute). Deleting the row is logging out.

use sqlx::Row;

use super::{Db, DbResult};

/// An admin session ends after this long without a request...
pub const SESSION_IDLE_MS: i64 = 30 * 60 * 1000;
/// ...and this long after sign-in.
pub const SESSION_MAX_MS: i64 = 8 * 60 * 60 * 1000;

/// A live admin session.
#[derive(Debug, Clone)]
pub struct AdminSession {
    /// The signed-in user.
    pub user_id: String,
    /// When it was last used (Unix ms).
    pub last_seen_at: i64,
    /// Whether the user is an admin by the issuer's admin claim at sign-in (not by a granted role).
    pub admin_by_claim: bool,
}

/// Stores a new session for `user_id`, ending at `expires_at` at the latest; `admin_by_claim` when the
/// issuer's admin claim, not a granted role, made the user an admin at sign-in.
pub async fn create(
    db: &Db,
    token_hash: &[u8],
    user_id: &str,
    admin_by_claim: bool,
    now: i64,
    expires_at: i64,
) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO admin_sessions (token_hash, user_id, admin_by_claim, created_at, last_seen_at, expires_at)
         VALUES ($1, $2, $3, $4, $4, $5)",
    )
    .bind(token_hash.to_vec())
    .bind(user_id)
    .bind(i64::from(admin_by_claim))
    .bind(now)
    .bind(expires_at)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// The session a token opens at `now`: before its absolute end and used within `idle_ms`.
pub async fn live(
    db: &Db,
    token_hash: &[u8],
    now: i64,
    idle_ms: i64,
) -> DbResult<Option<AdminSession>> {
    let row = sqlx::query(
        "SELECT user_id, last_seen_at, admin_by_claim FROM admin_sessions
         WHERE token_hash = $1 AND expires_at > $2 AND last_seen_at > $3",
    )
    .bind(token_hash.to_vec())
    .bind(now)
    .bind(now - idle_ms)
    .fetch_optional(&db.pool)
    .await?;
    row.map(|row| {
        Ok(AdminSession {
            user_id: row.try_get("user_id")?,
            last_seen_at: row.try_get("last_seen_at")?,
            admin_by_claim: row.try_get::<i64, _>("admin_by_claim")? != 0,
        })
    })
    .transpose()
}

/// Records that a session was used at `now`.
pub async fn touch(db: &Db, token_hash: &[u8], now: i64) -> DbResult<()> {
    sqlx::query(
        "UPDATE admin_sessions SET last_seen_at = $1 WHERE token_hash = $2 AND last_seen_at < $1",
    )
    .bind(now)
    .bind(token_hash.to_vec())
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Ends a session (logout).
pub async fn end(db: &Db, token_hash: &[u8]) -> DbResult<()> {
    sqlx::query("DELETE FROM admin_sessions WHERE token_hash = $1")
        .bind(token_hash.to_vec())
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Deletes sessions that ended (absolute end passed, or idle for `idle_ms`). Returns how many.
pub async fn forget_ended(db: &Db, now: i64, idle_ms: i64) -> DbResult<u64> {
    let done =
        sqlx::query("DELETE FROM admin_sessions WHERE expires_at <= $1 OR last_seen_at <= $2")
            .bind(now)
            .bind(now - idle_ms)
            .execute(&db.pool)
            .await?;
    Ok(done.rows_affected())
}
