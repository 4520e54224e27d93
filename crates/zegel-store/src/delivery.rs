//! Store functions for delivering messages: link tokens, held messages, deletion.

use sqlx::{AnyConnection, Row};

use super::{Db, DbResult};

/// Replaces a recipient's link token hash (a fresh link per notification).
pub async fn set_token_hash(
    conn: &mut AnyConnection,
    recipient_id: &str,
    token_hash: &[u8],
) -> DbResult<()> {
    sqlx::query("UPDATE recipients SET token_hash = $1 WHERE id = $2")
        .bind(token_hash.to_vec())
        .bind(recipient_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Sets a message's status.
pub async fn set_status(
    conn: &mut AnyConnection,
    message_id: &str,
    status: crate::MessageStatus,
) -> DbResult<()> {
    sqlx::query("UPDATE messages SET status = $1 WHERE id = $2")
        .bind(status.as_str())
        .bind(message_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The parts of a message that delivery needs.
#[derive(Debug, Clone)]
pub struct MessageForDelivery {
    /// Id.
    pub id: String,
    /// Tenant.
    pub tenant_id: String,
    /// Status.
    pub status: crate::MessageStatus,
    /// Kind.
    pub kind: zegel_core::MessageKind,
    /// Language.
    pub language: String,
    /// Wrapped data key.
    pub wrapped_key: Vec<u8>,
    /// Sealed content.
    pub sealed_content: Vec<u8>,
    /// Sender address.
    pub sender_email: String,
    /// Expiry.
    pub expires_at: i64,
}

const SELECT: &str =
    "SELECT m.id, m.tenant_id, m.status, m.kind, m.language, m.wrapped_key, m.sealed_content,
        u.email AS sender_email, m.expires_at
    FROM messages m JOIN users u ON u.id = m.sender_id";

fn from_row(row: &sqlx::any::AnyRow) -> DbResult<MessageForDelivery> {
    Ok(MessageForDelivery {
        id: row.try_get("id")?,
        tenant_id: row.try_get("tenant_id")?,
        status: crate::MessageStatus::decode(&row.try_get::<String, _>("status")?)?,
        kind: crate::status::message_kind(&row.try_get::<String, _>("kind")?)?,
        language: row.try_get("language")?,
        wrapped_key: row.try_get("wrapped_key")?,
        sealed_content: row.try_get("sealed_content")?,
        sender_email: row.try_get("sender_email")?,
        expires_at: row.try_get("expires_at")?,
    })
}

/// A message of a tenant (any status), for delivery.
pub async fn held_message(
    db: &Db,
    tenant_id: &str,
    message_id: &str,
) -> DbResult<Option<MessageForDelivery>> {
    let sql =
        format!("{SELECT} WHERE m.id = $1 AND m.tenant_id = $2 AND m.wrapped_key IS NOT NULL");
    let row = sqlx::query(&sql)
        .bind(message_id)
        .bind(tenant_id)
        .fetch_optional(&db.pool)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Held messages whose expiry has passed.
pub async fn expired_held(db: &Db, now: i64) -> DbResult<Vec<MessageForDelivery>> {
    let sql = format!(
        "{SELECT} WHERE m.status = 'held' AND m.purpose = 'message' AND m.expires_at <= $1"
    );
    let rows = sqlx::query(&sql).bind(now).fetch_all(&db.pool).await?;
    rows.iter().map(from_row).collect()
}

/// A recipient as delivery sees it.
#[derive(Debug, Clone)]
pub struct DeliveryRecipient {
    /// Id.
    pub id: String,
    /// Address.
    pub email: String,
    /// Whether a phone number is set for this message.
    pub has_phone: bool,
}

/// The recipients of a message.
pub async fn recipients(db: &Db, message_id: &str) -> DbResult<Vec<DeliveryRecipient>> {
    let rows = sqlx::query(
        "SELECT id, email, CASE WHEN sealed_phone IS NULL THEN 0 ELSE 1 END AS has_phone FROM recipients
         WHERE message_id = $1 ORDER BY email",
    )
    .bind(message_id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(DeliveryRecipient {
                id: row.try_get("id")?,
                email: row.try_get("email")?,
                has_phone: row.try_get::<i64, _>("has_phone")? != 0,
            })
        })
        .collect()
}

/// The blob ids of a message's files.
pub async fn blob_ids(db: &Db, message_id: &str) -> DbResult<Vec<String>> {
    let rows = sqlx::query("SELECT blob_id FROM files WHERE message_id = $1")
        .bind(message_id)
        .fetch_all(&db.pool)
        .await?;
    rows.iter().map(|row| row.try_get("blob_id")).collect()
}

/// Deletes a message and everything hanging off it.
pub async fn delete_message(conn: &mut AnyConnection, message_id: &str) -> DbResult<()> {
    sqlx::query("DELETE FROM messages WHERE id = $1")
        .bind(message_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The tenant of a message.
pub async fn tenant_of(db: &Db, message_id: &str) -> DbResult<Option<String>> {
    let row = sqlx::query("SELECT tenant_id FROM messages WHERE id = $1")
        .bind(message_id)
        .fetch_optional(&db.pool)
        .await?;
    row.map(|row| row.try_get("tenant_id")).transpose()
}

/// The sending user of a message of a tenant.
pub async fn sender_of(db: &Db, tenant_id: &str, message_id: &str) -> DbResult<Option<String>> {
    let row = sqlx::query("SELECT sender_id FROM messages WHERE id = $1 AND tenant_id = $2")
        .bind(message_id)
        .bind(tenant_id)
        .fetch_optional(&db.pool)
        .await?;
    row.map(|row| row.try_get("sender_id")).transpose()
}

/// Unlocks a recipient of a message and clears its failure count; false when there is no such recipient.
pub async fn unlock_recipient(db: &Db, message_id: &str, email: &str) -> DbResult<bool> {
    let done = sqlx::query("UPDATE recipients SET locked = 0, failed_attempts = 0 WHERE message_id = $1 AND LOWER(email) = LOWER($2)")
        .bind(message_id)
        .bind(email.trim())
        .execute(&db.pool)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// What became of a request to remove a recipient from a held message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeldRemoval {
    /// The recipient is gone.
    Removed,
    /// The message is not (or no longer) held.
    NotHeld,
    /// No recipient of the message has this address.
    NotRecipient,
    /// It is the message's only recipient.
    LastRecipient,
}

/// Removes the recipient `email` from the held message `message_id` inside the caller's transaction,
/// unless it is the last one. The message row is locked first (a no-op update: a row lock on
/// PostgreSQL, the write lock on SQLite), so two removals at once cannot leave a message without
/// recipients, and a message released in between is not touched.
pub async fn remove_held_recipient(
    conn: &mut AnyConnection,
    message_id: &str,
    email: &str,
) -> DbResult<HeldRemoval> {
    let locked =
        sqlx::query("UPDATE messages SET status = 'held' WHERE id = $1 AND status = 'held'")
            .bind(message_id)
            .execute(&mut *conn)
            .await?
            .rows_affected();
    if locked == 0 {
        return Ok(HeldRemoval::NotHeld);
    }
    let rows = sqlx::query("SELECT id, email FROM recipients WHERE message_id = $1")
        .bind(message_id)
        .fetch_all(&mut *conn)
        .await?;
    let mut target = None;
    for row in &rows {
        let address: String = row.try_get("email")?;
        if address.eq_ignore_ascii_case(email.trim()) {
            target = Some(row.try_get::<String, _>("id")?);
        }
    }
    let Some(recipient_id) = target else {
        return Ok(HeldRemoval::NotRecipient);
    };
    if rows.len() <= 1 {
        return Ok(HeldRemoval::LastRecipient);
    }
    sqlx::query("DELETE FROM recipients WHERE id = $1")
        .bind(&recipient_id)
        .execute(&mut *conn)
        .await?;
    Ok(HeldRemoval::Removed)
}
