//! What a sender sees of their sent messages (tracking), what they can stop (blocking), and what is
//! left of a message after its content is destroyed (retention).

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{Db, DbResult};

/// A message as its sender tracks it.
#[derive(Debug, Clone)]
pub struct SentMessage {
    /// Id.
    pub id: String,
    /// Tenant.
    pub tenant_id: String,
    /// The message kind.
    pub kind: zegel_core::MessageKind,
    /// None for public files.
    pub auth_level: Option<zegel_core::AuthLevel>,
    /// `active`, `held`, `expired` or `deleted`.
    pub status: crate::MessageStatus,
    /// The whole message is blocked.
    pub blocked: bool,
    /// Created (Unix ms).
    pub created_at: i64,
    /// Expires (Unix ms).
    pub expires_at: i64,
    /// When the content was destroyed.
    pub destroyed_at: Option<i64>,
    /// Sealed subject and body; none once destroyed.
    pub sealed_content: Option<Vec<u8>>,
}

const SENT_COLUMNS: &str =
    "m.id, m.tenant_id, m.kind, m.auth_level, m.status, m.blocked, m.created_at, m.expires_at,
    m.destroyed_at, m.sealed_content";

fn sent_from_row(row: &AnyRow) -> DbResult<SentMessage> {
    Ok(SentMessage {
        id: row.try_get("id")?,
        tenant_id: row.try_get("tenant_id")?,
        kind: crate::status::message_kind(&row.try_get::<String, _>("kind")?)?,
        auth_level: crate::status::auth_level(row.try_get("auth_level")?)?,
        status: crate::MessageStatus::decode(&row.try_get::<String, _>("status")?)?,
        blocked: row.try_get::<i64, _>("blocked")? != 0,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        destroyed_at: row.try_get("destroyed_at")?,
        sealed_content: row.try_get("sealed_content")?,
    })
}

/// A message if `sender_id` of `tenant_id` sent it.
pub async fn sent_message(
    db: &Db,
    tenant_id: &str,
    sender_id: &str,
    message_id: &str,
) -> DbResult<Option<SentMessage>> {
    let sql = format!(
        "SELECT {SENT_COLUMNS} FROM messages m WHERE m.id = $1 AND m.tenant_id = $2 AND m.sender_id = $3"
    );
    let row = sqlx::query(&sql)
        .bind(message_id)
        .bind(tenant_id)
        .bind(sender_id)
        .fetch_optional(&db.pool)
        .await?;
    row.as_ref().map(sent_from_row).transpose()
}

/// When a message was created.
pub async fn created_at(db: &Db, message_id: &str) -> DbResult<Option<i64>> {
    let row = sqlx::query("SELECT created_at FROM messages WHERE id = $1")
        .bind(message_id)
        .fetch_optional(&db.pool)
        .await?;
    row.map(|r| r.try_get("created_at")).transpose()
}

/// A message in a sender's list, with counts.
#[derive(Debug, Clone)]
pub struct ListedMessage {
    /// The message.
    pub message: SentMessage,
    /// Recipients.
    pub recipients: i64,
    /// Recipients who opened it.
    pub opened: i64,
    /// Files.
    pub files: i64,
    /// Downloads of all files by all recipients.
    pub downloads: i64,
}

/// A sender's messages, newest first: at most `limit`, older than the cursor `(created_at, id)`.
pub async fn list_sent(
    db: &Db,
    tenant_id: &str,
    sender_id: &str,
    before: Option<(i64, &str)>,
    limit: i64,
) -> DbResult<Vec<ListedMessage>> {
    let (before_at, before_id) = before.unwrap_or((i64::MAX, ""));
    let sql = format!(
        "SELECT {SENT_COLUMNS},
            (SELECT COUNT(*) FROM recipients r WHERE r.message_id = m.id) AS n_recipients,
            (SELECT COUNT(*) FROM recipients r WHERE r.message_id = m.id AND r.opened_at IS NOT NULL) AS n_opened,
            (SELECT COUNT(*) FROM files f WHERE f.message_id = m.id) AS n_files,
            (SELECT COUNT(*) FROM downloads d JOIN files f ON f.id = d.file_id WHERE f.message_id = m.id) AS n_downloads
         FROM messages m
         WHERE m.tenant_id = $1 AND m.sender_id = $2 AND m.purpose IN ('message', 'upload_request') AND (m.created_at < $3 OR (m.created_at = $3 AND m.id < $4))
         ORDER BY m.created_at DESC, m.id DESC LIMIT $5"
    );
    let rows = sqlx::query(&sql)
        .bind(tenant_id)
        .bind(sender_id)
        .bind(before_at)
        .bind(before_id)
        .bind(limit)
        .fetch_all(&db.pool)
        .await?;
    rows.iter()
        .map(|row| {
            Ok(ListedMessage {
                message: sent_from_row(row)?,
                recipients: row.try_get("n_recipients")?,
                opened: row.try_get("n_opened")?,
                files: row.try_get("n_files")?,
                downloads: row.try_get("n_downloads")?,
            })
        })
        .collect()
}

/// A recipient as the sender tracks them.
#[derive(Debug, Clone)]
pub struct TrackedRecipient {
    /// Id.
    pub id: String,
    /// Address.
    pub email: String,
    /// `to`, `cc` or `bcc`.
    pub kind: String,
    /// Blocked by the sender.
    pub blocked: bool,
    /// Locked after too many failed attempts.
    pub locked: bool,
    /// Notification handed to the mail relay.
    pub notified_at: Option<i64>,
    /// The relay finally refused the notification.
    pub delivery_failed: bool,
    /// Last password or code requested.
    pub challenge_sent_at: Option<i64>,
    /// Last authenticated.
    pub verified_at: Option<i64>,
    /// First opened.
    pub opened_at: Option<i64>,
    /// The last SMS failure.
    pub sms_error: Option<String>,
}

/// The recipients of a message, in the order they were given.
pub async fn recipients(db: &Db, message_id: &str) -> DbResult<Vec<TrackedRecipient>> {
    // Recipients have no position column; listing them by address is stable and easy to scan.
    let rows = sqlx::query(
        "SELECT id, email, kind, blocked, locked, notified_at, delivery_failed, challenge_sent_at, verified_at, opened_at,
            sms_error
         FROM recipients WHERE message_id = $1 ORDER BY email",
    )
    .bind(message_id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(TrackedRecipient {
                id: row.try_get("id")?,
                email: row.try_get("email")?,
                kind: row.try_get("kind")?,
                blocked: row.try_get::<i64, _>("blocked")? != 0,
                locked: row.try_get::<i64, _>("locked")? != 0,
                notified_at: row.try_get("notified_at")?,
                delivery_failed: row.try_get::<i64, _>("delivery_failed")? != 0,
                challenge_sent_at: row.try_get("challenge_sent_at")?,
                verified_at: row.try_get("verified_at")?,
                opened_at: row.try_get("opened_at")?,
                sms_error: row.try_get("sms_error")?,
            })
        })
        .collect()
}

/// One download.
#[derive(Debug, Clone)]
pub struct Download {
    /// The file.
    pub file_id: String,
    /// The recipient's address.
    pub recipient: String,
    /// When (Unix ms).
    pub at: i64,
}

/// Every download of a message's files, oldest first.
pub async fn downloads(db: &Db, message_id: &str) -> DbResult<Vec<Download>> {
    let rows = sqlx::query(
        "SELECT d.file_id, r.email, d.at FROM downloads d
            JOIN files f ON f.id = d.file_id JOIN recipients r ON r.id = d.recipient_id
         WHERE f.message_id = $1 ORDER BY d.at, d.id",
    )
    .bind(message_id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(Download {
                file_id: row.try_get("file_id")?,
                recipient: row.try_get("email")?,
                at: row.try_get("at")?,
            })
        })
        .collect()
}

/// Blocks the whole message unless a recipient has opened it; false when one has (checked in the
/// same statement, so an open cannot slip in between).
pub async fn block_message_if_unopened(
    conn: &mut AnyConnection,
    message_id: &str,
) -> DbResult<bool> {
    let done = sqlx::query(
        "UPDATE messages SET blocked = 1 WHERE id = $1
            AND NOT EXISTS (SELECT 1 FROM recipients WHERE message_id = $1 AND opened_at IS NOT NULL)",
    )
    .bind(message_id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Unblocks the whole message.
pub async fn unblock_message(conn: &mut AnyConnection, message_id: &str) -> DbResult<()> {
    sqlx::query("UPDATE messages SET blocked = 0 WHERE id = $1")
        .bind(message_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Blocks or unblocks one file of a message (or all, when `file_id` is none); returns how many files
/// matched.
pub async fn set_files_blocked(
    conn: &mut AnyConnection,
    message_id: &str,
    file_id: Option<&str>,
    blocked: bool,
) -> DbResult<u64> {
    let done = sqlx::query(
        "UPDATE files SET blocked = $1 WHERE message_id = $2 AND ($3 IS NULL OR id = $3)",
    )
    .bind(i64::from(blocked))
    .bind(message_id)
    .bind(file_id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected())
}

/// Blocks or unblocks one recipient of a message by address (or all, when `email` is none); returns
/// how many matched.
pub async fn set_recipients_blocked(
    conn: &mut AnyConnection,
    message_id: &str,
    email: Option<&str>,
    blocked: bool,
) -> DbResult<u64> {
    let done =
        sqlx::query("UPDATE recipients SET blocked = $1 WHERE message_id = $2 AND ($3 IS NULL OR LOWER(email) = LOWER($3))")
            .bind(i64::from(blocked))
            .bind(message_id)
            .bind(email)
            .execute(&mut *conn)
            .await?;
    Ok(done.rows_affected())
}

/// Whether a download that is running may go on: the message is active, unexpired and unblocked, and
/// neither the recipient nor the file is blocked. One indexed lookup, cheap enough to repeat every few
/// MiB.
pub async fn download_allowed(
    db: &Db,
    recipient_id: &str,
    file_id: &str,
    now: i64,
) -> DbResult<bool> {
    let row = sqlx::query(
        "SELECT m.status, m.blocked AS message_blocked, m.expires_at, r.blocked AS recipient_blocked, f.blocked AS file_blocked
         FROM recipients r JOIN messages m ON m.id = r.message_id JOIN files f ON f.message_id = m.id
         WHERE r.id = $1 AND f.id = $2",
    )
    .bind(recipient_id)
    .bind(file_id)
    .fetch_optional(&db.pool)
    .await?;
    let Some(row) = row else { return Ok(false) };
    Ok(
        crate::MessageStatus::decode(&row.try_get::<String, _>("status")?)?
            == crate::MessageStatus::Active
            && row.try_get::<i64, _>("expires_at")? > now
            && row.try_get::<i64, _>("message_blocked")? == 0
            && row.try_get::<i64, _>("recipient_blocked")? == 0
            && row.try_get::<i64, _>("file_blocked")? == 0,
    )
}

/// Who a recipient is, for the audit trail of their notification.
#[derive(Debug, Clone)]
pub struct RecipientRef {
    /// The tenant.
    pub tenant_id: String,
    /// The message.
    pub message_id: String,
    /// The address.
    pub email: String,
}

/// The tenant, message and address of a recipient.
pub async fn recipient_ref(db: &Db, recipient_id: &str) -> DbResult<Option<RecipientRef>> {
    let row = sqlx::query(
        "SELECT m.tenant_id, m.id AS message_id, r.email FROM recipients r JOIN messages m ON m.id = r.message_id WHERE r.id = $1",
    )
    .bind(recipient_id)
    .fetch_optional(&db.pool)
    .await?;
    row.map(|row| {
        Ok(RecipientRef {
            tenant_id: row.try_get("tenant_id")?,
            message_id: row.try_get("message_id")?,
            email: row.try_get("email")?,
        })
    })
    .transpose()
}

/// Active messages whose expiry has passed, and received files still held for the malware scanner (at
/// most `limit`): id and tenant.
pub async fn due_for_expiry(db: &Db, now: i64, limit: i64) -> DbResult<Vec<(String, String)>> {
    let rows = sqlx::query(
        "SELECT id, tenant_id FROM messages
         WHERE (status = 'active' OR (status = 'held' AND purpose = 'received')) AND expires_at <= $1
         ORDER BY expires_at LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|row| Ok((row.try_get("id")?, row.try_get("tenant_id")?)))
        .collect()
}

/// Destroys a message's content (crypto-shredding): the wrapped data key, the sealed subject, body,
/// password and file names, the sealed phone numbers, codes, sessions, phone links and unsent mail go;
/// the rows of the message, its recipients, files (with sizes) and downloads stay as the tracking
/// record. Only an `active` or `held` message is destroyed; returns false for one already gone.
pub async fn destroy(
    conn: &mut AnyConnection,
    message_id: &str,
    status: crate::MessageStatus,
    now: i64,
) -> DbResult<bool> {
    let done = sqlx::query(
        "UPDATE messages SET wrapped_key = NULL, sealed_content = NULL, sealed_password = NULL, password_hash = NULL,
            status = $1, destroyed_at = $2
         WHERE id = $3 AND status IN ('active', 'held')",
    )
    .bind(status.as_str())
    .bind(now)
    .bind(message_id)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    // Empty rather than NULL: the column is NOT NULL, and an empty envelope opens to nothing.
    sqlx::query("UPDATE files SET sealed_name = $1 WHERE message_id = $2")
        .bind(Vec::<u8>::new())
        .bind(message_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("UPDATE recipients SET sealed_phone = NULL WHERE message_id = $1")
        .bind(message_id)
        .execute(&mut *conn)
        .await?;
    for table in ["access_codes", "recipient_sessions"] {
        sqlx::query(&format!("DELETE FROM {table} WHERE recipient_id IN (SELECT id FROM recipients WHERE message_id = $1)"))
            .bind(message_id)
            .execute(&mut *conn)
            .await?;
    }
    sqlx::query("DELETE FROM outbox WHERE dead = 0 AND recipient_id IN (SELECT id FROM recipients WHERE message_id = $1)")
        .bind(message_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM phone_requests WHERE message_id = $1")
        .bind(message_id)
        .execute(&mut *conn)
        .await?;
    Ok(true)
}
