//! Messages, their files and their recipients.
//!
//! Everything a person wrote (subject, body, file names) is stored only as sealed envelopes; the rows
//! carry the ids, sizes, flags and times Zegel needs to deliver and track.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{Db, DbResult};

/// What a message row is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Purpose {
    /// A sender's message to its recipients.
    #[default]
    Message,
    /// A sender asks its recipients for files; their links lead to the upload page.
    UploadRequest,
    /// Files someone uploaded, delivered to the member of staff who asked for them.
    Received,
    /// A visit to an upload portal: its one recipient is the visitor, who proves their address.
    PortalVisit,
    /// A reply in a conversation (by a recipient to the sender, or the sender's answer).
    Reply,
}

impl Purpose {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Message => "message",
            Purpose::UploadRequest => "upload_request",
            Purpose::Received => "received",
            Purpose::PortalVisit => "portal_visit",
            Purpose::Reply => "reply",
        }
    }

    fn decode(name: &str) -> DbResult<Self> {
        match name {
            "message" => Ok(Purpose::Message),
            "upload_request" => Ok(Purpose::UploadRequest),
            "received" => Ok(Purpose::Received),
            "portal_visit" => Ok(Purpose::PortalVisit),
            "reply" => Ok(Purpose::Reply),
            other => Err(sqlx::Error::Decode(
                format!("unknown message purpose {other:?}").into(),
            )),
        }
    }
}

/// A message row as inserted.
#[derive(Debug, Clone)]
pub struct NewMessage {
    /// What it is for.
    pub purpose: Purpose,
    /// Its id.
    pub id: String,
    /// The tenant.
    pub tenant_id: String,
    /// The sending user.
    pub sender_id: String,
    /// The message kind.
    pub kind: zegel_core::MessageKind,
    /// None for public files.
    pub auth_level: Option<zegel_core::AuthLevel>,
    /// `email` or `other`.
    pub deliver: Option<String>,
    /// Argon2id hash of a fixed password (custom, or generated and told by the sender).
    pub password_hash: Option<String>,
    /// A custom password that Zegel e-mails on request, sealed.
    pub sealed_password: Option<Vec<u8>>,
    /// `nl`, `en` or `sv`.
    pub language: String,
    /// The message's data key wrapped by the newest KEK.
    pub wrapped_key: Vec<u8>,
    /// Subject and body, sealed.
    pub sealed_content: Vec<u8>,
    /// Downloads per file and recipient.
    pub max_downloads: Option<i64>,
    /// `active` or `held`.
    pub status: crate::MessageStatus,
    /// The sender gets a mail on each download.
    pub notify_downloads: bool,
    /// Creation time.
    pub created_at: i64,
    /// Expiry time.
    pub expires_at: i64,
}

/// A file row.
#[derive(Debug, Clone)]
pub struct FileRow {
    /// Its id.
    pub id: String,
    /// Its message.
    pub message_id: String,
    /// Order in the message.
    pub position: i64,
    /// The file name, sealed.
    pub sealed_name: Vec<u8>,
    /// Plaintext size in bytes.
    pub size: i64,
    /// Where its ciphertext is in the blob store.
    pub blob_id: String,
    /// Blocked by the sender.
    pub blocked: bool,
    /// For a file made from an upload: the message and file parts of the context its blob was sealed
    /// under (`None`: this message's id and the file's id).
    pub sealed_as: Option<(String, String)>,
    /// The blob's segment list, `number:first_chunk` joined by commas (`None`: one segment).
    pub segments: Option<String>,
}

/// A recipient row as inserted.
#[derive(Debug, Clone)]
pub struct NewRecipient {
    /// Its id (also the non-secret id in session URLs).
    pub id: String,
    /// Its message.
    pub message_id: String,
    /// The normalised address.
    pub email: String,
    /// `to`, `cc` or `bcc`.
    pub kind: String,
    /// SHA-256 of the link token.
    pub token_hash: Vec<u8>,
}

/// A recipient together with the message they may access: what the portal needs for every request.
#[derive(Debug, Clone)]
pub struct Access {
    /// The recipient's id.
    pub recipient_id: String,
    /// The recipient's address.
    pub email: String,
    /// Blocked by the sender.
    pub recipient_blocked: bool,
    /// Locked after too many failed attempts.
    pub locked: bool,
    /// Failed verifications in a row.
    pub failed_attempts: i64,
    /// When the recipient first opened the message.
    pub opened_at: Option<i64>,
    /// The message id.
    pub message_id: String,
    /// The tenant id.
    pub tenant_id: String,
    /// The sender's address.
    pub sender_email: String,
    /// The message kind.
    pub kind: zegel_core::MessageKind,
    /// None for public files.
    pub auth_level: Option<zegel_core::AuthLevel>,
    /// `email` or `other`.
    pub deliver: Option<String>,
    /// Hash of a fixed password.
    pub password_hash: Option<String>,
    /// Sealed custom password to e-mail on request.
    pub sealed_password: Option<Vec<u8>>,
    /// `nl`, `en` or `sv`.
    pub language: String,
    /// The wrapped data key (absent once the message is destroyed).
    pub wrapped_key: Option<Vec<u8>>,
    /// Sealed subject and body.
    pub sealed_content: Option<Vec<u8>>,
    /// Downloads per file and recipient.
    pub max_downloads: Option<i64>,
    /// `active`, `held`, `expired` or `deleted`.
    pub status: crate::MessageStatus,
    /// The whole message is blocked.
    pub message_blocked: bool,
    /// Expiry time.
    pub expires_at: i64,
    /// The sender gets a mail on each download.
    pub notify_downloads: bool,
    /// What the message is for.
    pub purpose: Purpose,
}

impl Access {
    /// Whether the message can be reached at `now` at all (not expired, deleted, held or blocked).
    pub fn is_available(&self, now: i64) -> bool {
        self.status == crate::MessageStatus::Active
            && now < self.expires_at
            && !self.message_blocked
            && !self.recipient_blocked
    }
}

const ACCESS_SELECT: &str = "SELECT r.id AS recipient_id, r.email, r.blocked AS recipient_blocked, r.locked,
        r.failed_attempts, r.opened_at, m.id AS message_id, m.tenant_id, u.email AS sender_email, m.kind,
        m.auth_level, m.deliver, m.password_hash, m.sealed_password, m.language, m.wrapped_key,
        m.sealed_content, m.max_downloads, m.status, m.blocked AS message_blocked, m.expires_at,
        m.notify_downloads, m.purpose
    FROM recipients r JOIN messages m ON m.id = r.message_id JOIN users u ON u.id = m.sender_id";

fn access_from_row(row: &AnyRow) -> DbResult<Access> {
    Ok(Access {
        recipient_id: row.try_get("recipient_id")?,
        email: row.try_get("email")?,
        recipient_blocked: row.try_get::<i64, _>("recipient_blocked")? != 0,
        locked: row.try_get::<i64, _>("locked")? != 0,
        failed_attempts: row.try_get("failed_attempts")?,
        opened_at: row.try_get("opened_at")?,
        message_id: row.try_get("message_id")?,
        tenant_id: row.try_get("tenant_id")?,
        sender_email: row.try_get("sender_email")?,
        kind: crate::status::message_kind(&row.try_get::<String, _>("kind")?)?,
        auth_level: crate::status::auth_level(row.try_get("auth_level")?)?,
        deliver: row.try_get("deliver")?,
        password_hash: row.try_get("password_hash")?,
        sealed_password: row.try_get("sealed_password")?,
        language: row.try_get("language")?,
        wrapped_key: row.try_get("wrapped_key")?,
        sealed_content: row.try_get("sealed_content")?,
        max_downloads: row.try_get("max_downloads")?,
        status: crate::MessageStatus::decode(&row.try_get::<String, _>("status")?)?,
        message_blocked: row.try_get::<i64, _>("message_blocked")? != 0,
        expires_at: row.try_get("expires_at")?,
        notify_downloads: row.try_get::<i64, _>("notify_downloads")? != 0,
        purpose: Purpose::decode(&row.try_get::<String, _>("purpose")?)?,
    })
}

/// The recipient whose link token hashes to `token_hash`.
pub async fn access_by_token(db: &Db, token_hash: &[u8]) -> DbResult<Option<Access>> {
    let sql = format!("{ACCESS_SELECT} WHERE r.token_hash = $1");
    let row = sqlx::query(&sql)
        .bind(token_hash.to_vec())
        .fetch_optional(&db.pool)
        .await?;
    row.as_ref().map(access_from_row).transpose()
}

/// Every recipient of the message whose one link (`"notify": "client"`) hashes to `token_hash`, in the
/// order of the query (callers look through all of them).
pub async fn accesses_by_message_link(db: &Db, token_hash: &[u8]) -> DbResult<Vec<Access>> {
    let sql = format!(
        "{ACCESS_SELECT} JOIN message_links l ON l.message_id = m.id WHERE l.token_hash = $1 ORDER BY r.id"
    );
    let rows = sqlx::query(&sql)
        .bind(token_hash.to_vec())
        .fetch_all(&db.pool)
        .await?;
    rows.iter().map(access_from_row).collect()
}

/// The first recipient of a message (by id), for what every recipient of it shares.
pub async fn access_by_message(db: &Db, message_id: &str) -> DbResult<Option<Access>> {
    let sql = format!("{ACCESS_SELECT} WHERE m.id = $1 ORDER BY r.id LIMIT 1");
    let row = sqlx::query(&sql)
        .bind(message_id)
        .fetch_optional(&db.pool)
        .await?;
    row.as_ref().map(access_from_row).transpose()
}

/// A recipient by id.
pub async fn access_by_recipient(db: &Db, recipient_id: &str) -> DbResult<Option<Access>> {
    let sql = format!("{ACCESS_SELECT} WHERE r.id = $1");
    let row = sqlx::query(&sql)
        .bind(recipient_id)
        .fetch_optional(&db.pool)
        .await?;
    row.as_ref().map(access_from_row).transpose()
}

/// Inserts a message with its files and recipients (call inside the transaction that also writes the
/// outbox rows).
pub async fn insert_message(
    conn: &mut AnyConnection,
    message: &NewMessage,
    files: &[FileRow],
    recipients: &[NewRecipient],
) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO messages (id, tenant_id, sender_id, kind, auth_level, deliver, password_hash, sealed_password,
            language, wrapped_key, sealed_content, max_downloads, status, blocked, created_at, expires_at,
            notify_downloads, purpose)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 0, $14, $15, $16, $17)",
    )
    .bind(&message.id)
    .bind(&message.tenant_id)
    .bind(&message.sender_id)
    .bind(message.kind.as_str())
    .bind(message.auth_level.map(zegel_core::AuthLevel::as_str))
    .bind(&message.deliver)
    .bind(&message.password_hash)
    .bind(&message.sealed_password)
    .bind(&message.language)
    .bind(&message.wrapped_key)
    .bind(&message.sealed_content)
    .bind(message.max_downloads)
    .bind(message.status.as_str())
    .bind(message.created_at)
    .bind(message.expires_at)
    .bind(i64::from(message.notify_downloads))
    .bind(message.purpose.as_str())
    .execute(&mut *conn)
    .await?;
    for file in files {
        sqlx::query(
            "INSERT INTO files (id, message_id, position, sealed_name, size, blob_id, blocked,
                seal_message, seal_file, segments)
             VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8, $9)",
        )
        .bind(&file.id)
        .bind(&file.message_id)
        .bind(file.position)
        .bind(&file.sealed_name)
        .bind(file.size)
        .bind(&file.blob_id)
        .bind(file.sealed_as.as_ref().map(|(message, _)| message.clone()))
        .bind(file.sealed_as.as_ref().map(|(_, file)| file.clone()))
        .bind(&file.segments)
        .execute(&mut *conn)
        .await?;
    }
    for recipient in recipients {
        sqlx::query(
            "INSERT INTO recipients (id, message_id, email, kind, token_hash) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&recipient.id)
        .bind(&recipient.message_id)
        .bind(&recipient.email)
        .bind(&recipient.kind)
        .bind(&recipient.token_hash)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

fn file_from_row(row: &AnyRow) -> DbResult<FileRow> {
    Ok(FileRow {
        id: row.try_get("id")?,
        message_id: row.try_get("message_id")?,
        position: row.try_get("position")?,
        sealed_name: row.try_get("sealed_name")?,
        size: row.try_get("size")?,
        blob_id: row.try_get("blob_id")?,
        blocked: row.try_get::<i64, _>("blocked")? != 0,
        sealed_as: match (
            row.try_get::<Option<String>, _>("seal_message")?,
            row.try_get::<Option<String>, _>("seal_file")?,
        ) {
            (Some(message), Some(file)) => Some((message, file)),
            _ => None,
        },
        segments: row.try_get("segments")?,
    })
}

/// The files of a message, in order.
pub async fn files_of(db: &Db, message_id: &str) -> DbResult<Vec<FileRow>> {
    let rows = sqlx::query(
        "SELECT id, message_id, position, sealed_name, size, blob_id, blocked, seal_message, seal_file,
            segments FROM files WHERE message_id = $1 ORDER BY position",
    )
    .bind(message_id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter().map(file_from_row).collect()
}

/// Every file's blob id and every message's sealed fields, for key rotation.
pub async fn all_sealed(db: &Db) -> DbResult<SealedInventory> {
    let messages = sqlx::query("SELECT id, wrapped_key, sealed_content, sealed_password FROM messages WHERE wrapped_key IS NOT NULL")
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(|row| {
            Ok(SealedMessage {
                id: row.try_get("id")?,
                wrapped_key: row.try_get("wrapped_key")?,
                sealed_content: row.try_get("sealed_content")?,
                sealed_password: row.try_get("sealed_password")?,
            })
        })
        .collect::<DbResult<Vec<_>>>()?;
    // Files of destroyed messages have no name and no blob left.
    let files = sqlx::query(
        "SELECT f.id, f.sealed_name, f.blob_id FROM files f JOIN messages m ON m.id = f.message_id WHERE m.wrapped_key IS NOT NULL",
    )
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(|row| Ok((row.try_get("id")?, row.try_get("sealed_name")?, row.try_get("blob_id")?)))
        .collect::<DbResult<Vec<_>>>()?;
    Ok(SealedInventory { messages, files })
}

/// The sealed columns of one message.
#[derive(Debug, Clone)]
pub struct SealedMessage {
    /// Message id.
    pub id: String,
    /// Wrapped data key.
    pub wrapped_key: Vec<u8>,
    /// Sealed content.
    pub sealed_content: Option<Vec<u8>>,
    /// Sealed password.
    pub sealed_password: Option<Vec<u8>>,
}

/// Everything sealed in the database, for key rotation.
#[derive(Debug, Clone)]
pub struct SealedInventory {
    /// Messages.
    pub messages: Vec<SealedMessage>,
    /// Files: id, sealed name, blob id.
    pub files: Vec<(String, Vec<u8>, String)>,
}

/// Replaces a message's wrapped key and sealed fields after a key rotation.
pub async fn update_message_keys(db: &Db, message: &SealedMessage) -> DbResult<()> {
    sqlx::query("UPDATE messages SET wrapped_key = $1, sealed_content = $2, sealed_password = $3 WHERE id = $4")
        .bind(&message.wrapped_key)
        .bind(&message.sealed_content)
        .bind(&message.sealed_password)
        .bind(&message.id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Replaces a file's sealed name after a key rotation.
pub async fn update_file_name(db: &Db, file_id: &str, sealed_name: &[u8]) -> DbResult<()> {
    sqlx::query("UPDATE files SET sealed_name = $1 WHERE id = $2")
        .bind(sealed_name.to_vec())
        .bind(file_id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Records that a recipient opened the message (the first time only).
pub async fn mark_opened(db: &Db, recipient_id: &str, now: i64) -> DbResult<()> {
    sqlx::query("UPDATE recipients SET opened_at = $1 WHERE id = $2 AND opened_at IS NULL")
        .bind(now)
        .bind(recipient_id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Records that a recipient's notification was handed to the mail relay, or finally failed.
pub async fn mark_notified(db: &Db, recipient_id: &str, now: i64, failed: bool) -> DbResult<()> {
    if failed {
        sqlx::query("UPDATE recipients SET delivery_failed = 1 WHERE id = $1")
            .bind(recipient_id)
            .execute(&db.pool)
            .await?;
    } else {
        sqlx::query("UPDATE recipients SET notified_at = $1 WHERE id = $2")
            .bind(now)
            .bind(recipient_id)
            .execute(&db.pool)
            .await?;
    }
    Ok(())
}

/// Whether `message_id` is a message of `tenant_id` (the gateway recognises the add-in's sent records).
pub async fn exists_in_tenant(db: &Db, message_id: &str, tenant_id: &str) -> DbResult<bool> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM messages WHERE id = $1 AND tenant_id = $2")
        .bind(message_id)
        .bind(tenant_id)
        .fetch_one(&db.pool)
        .await?;
    Ok(row.try_get::<i64, _>("n")? > 0)
}
