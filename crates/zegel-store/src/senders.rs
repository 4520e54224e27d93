//! Senders from the browser (`/send`): the codes that prove their address, and their sessions.

use sqlx::Row;

use super::{Db, DbResult};

/// Tries one code allows.
pub const MAX_TRIES_PER_CODE: i64 = 5;

/// Records a code sent to the address hashed `email_hash` (only the code's hash is kept).
pub async fn issue_code(
    db: &Db,
    email_hash: &str,
    code_hash: &[u8],
    now: i64,
    expires_at: i64,
) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO sender_codes (id, email_hash, code_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(zegel_crypto::random_id())
    .bind(email_hash)
    .bind(code_hash.to_vec())
    .bind(now)
    .bind(expires_at)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Claims a try of every live code of the address (one conditional `UPDATE`, so parallel tries get no
/// more chances than sequential ones): their ids and hashes.
pub async fn claim_tries(db: &Db, email_hash: &str, now: i64) -> DbResult<Vec<(String, Vec<u8>)>> {
    let rows = sqlx::query(
        "UPDATE sender_codes SET tries = tries + 1
         WHERE email_hash = $1 AND spent = 0 AND expires_at > $2 AND tries < $3
         RETURNING id, code_hash",
    )
    .bind(email_hash)
    .bind(now)
    .bind(MAX_TRIES_PER_CODE)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|row| Ok((row.try_get("id")?, row.try_get("code_hash")?)))
        .collect()
}

/// Spends a code: true for the one call that spent it.
pub async fn spend(db: &Db, id: &str) -> DbResult<bool> {
    let done = sqlx::query("UPDATE sender_codes SET spent = 1 WHERE id = $1 AND spent = 0")
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Opens a session of `user_id` until `expires_at`.
pub async fn create_session(
    db: &Db,
    token_hash: &[u8],
    user_id: &str,
    now: i64,
    expires_at: i64,
) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO sender_sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(token_hash.to_vec())
    .bind(user_id)
    .bind(now)
    .bind(expires_at)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// The user of a live session.
pub async fn session_user(db: &Db, token_hash: &[u8], now: i64) -> DbResult<Option<String>> {
    let row = sqlx::query(
        "SELECT user_id FROM sender_sessions WHERE token_hash = $1 AND expires_at > $2",
    )
    .bind(token_hash.to_vec())
    .bind(now)
    .fetch_optional(&db.pool)
    .await?;
    row.map(|r| r.try_get("user_id")).transpose()
}

/// Ends a session.
pub async fn end_session(db: &Db, token_hash: &[u8]) -> DbResult<()> {
    sqlx::query("DELETE FROM sender_sessions WHERE token_hash = $1")
        .bind(token_hash.to_vec())
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Forgets expired codes and sessions.
pub async fn forget_expired(db: &Db, now: i64) -> DbResult<()> {
    sqlx::query("DELETE FROM sender_codes WHERE expires_at <= $1")
        .bind(now)
        .execute(&db.pool)
        .await?;
    sqlx::query("DELETE FROM sender_sessions WHERE expires_at <= $1")
        .bind(now)
        .execute(&db.pool)
        .await?;
    Ok(())
}
