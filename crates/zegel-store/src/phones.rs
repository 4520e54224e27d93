//! Remembered phone numbers (sealed), the numbers of a message's recipients, and the sender's
//! single-use links for held messages.

use sqlx::Row;

use super::{Db, DbResult};

/// The sealed remembered number of a recipient.
pub async fn remembered(db: &Db, tenant_id: &str, email: &str) -> DbResult<Option<Vec<u8>>> {
    let row = sqlx::query(
        "SELECT sealed_phone FROM recipient_phones WHERE tenant_id = $1 AND email = $2",
    )
    .bind(tenant_id)
    .bind(email)
    .fetch_optional(&db.pool)
    .await?;
    row.map(|row| row.try_get("sealed_phone")).transpose()
}

/// Remembers or replaces a number, noting who vouched for it (`recipient` or `admin`).
pub async fn remember(
    db: &Db,
    tenant_id: &str,
    email: &str,
    sealed: &[u8],
    now: i64,
    confirmed_by: &str,
) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO recipient_phones (tenant_id, email, sealed_phone, updated_at, confirmed_by)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (tenant_id, email) DO UPDATE SET sealed_phone = EXCLUDED.sealed_phone,
            updated_at = EXCLUDED.updated_at, confirmed_by = EXCLUDED.confirmed_by",
    )
    .bind(tenant_id)
    .bind(email)
    .bind(sealed.to_vec())
    .bind(now)
    .bind(confirmed_by)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Forgets a remembered number; true when there was one.
pub async fn forget(db: &Db, tenant_id: &str, email: &str) -> DbResult<bool> {
    let done = sqlx::query("DELETE FROM recipient_phones WHERE tenant_id = $1 AND email = $2")
        .bind(tenant_id)
        .bind(email)
        .execute(&db.pool)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Sets the number a recipient's codes go to for one message.
pub async fn set_recipient_phone(
    conn: &mut sqlx::AnyConnection,
    recipient_id: &str,
    sealed: &[u8],
) -> DbResult<()> {
    sqlx::query("UPDATE recipients SET sealed_phone = $1 WHERE id = $2")
        .bind(sealed.to_vec())
        .bind(recipient_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The sealed number of a recipient of a message.
pub async fn recipient_phone(db: &Db, recipient_id: &str) -> DbResult<Option<Vec<u8>>> {
    let row = sqlx::query("SELECT sealed_phone FROM recipients WHERE id = $1")
        .bind(recipient_id)
        .fetch_one(&db.pool)
        .await?;
    row.try_get("sealed_phone")
}

/// Records the last SMS failure of a recipient (shown to the sender), or clears it.
pub async fn set_sms_error(db: &Db, recipient_id: &str, error: Option<&str>) -> DbResult<()> {
    sqlx::query("UPDATE recipients SET sms_error = $1 WHERE id = $2")
        .bind(error)
        .bind(recipient_id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Stores a single-use link for the sender of a held message.
pub async fn create_request(
    conn: &mut sqlx::AnyConnection,
    token_hash: &[u8],
    message_id: &str,
    now: i64,
    expires_at: i64,
) -> DbResult<()> {
    sqlx::query("INSERT INTO phone_requests (token_hash, message_id, created_at, expires_at, used) VALUES ($1, $2, $3, $4, 0)")
        .bind(token_hash.to_vec())
        .bind(message_id)
        .bind(now)
        .bind(expires_at)
        .execute(conn)
        .await?;
    Ok(())
}

/// The message a live, unused link belongs to.
pub async fn request_message(db: &Db, token_hash: &[u8], now: i64) -> DbResult<Option<String>> {
    let row = sqlx::query("SELECT message_id FROM phone_requests WHERE token_hash = $1 AND used = 0 AND expires_at > $2")
        .bind(token_hash.to_vec())
        .bind(now)
        .fetch_optional(&db.pool)
        .await?;
    row.map(|row| row.try_get("message_id")).transpose()
}

/// Spends every link of a message (once its numbers are in).
pub async fn spend_requests(conn: &mut sqlx::AnyConnection, message_id: &str) -> DbResult<()> {
    sqlx::query("UPDATE phone_requests SET used = 1 WHERE message_id = $1")
        .bind(message_id)
        .execute(conn)
        .await?;
    Ok(())
}
