//! A message's own link (`"notify": "client"`: one link for every recipient) and the Internet
//! Message-ID of the mail the gateway made a message from.

use sqlx::{AnyConnection, Row};

use super::{Db, DbResult};

/// Records a message's one link (the SHA-256 of its token) and the recipient public files count
/// downloads for; call inside the message's transaction.
pub async fn insert_message_link(
    conn: &mut AnyConnection,
    token_hash: &[u8],
    message_id: &str,
    first_recipient_id: &str,
) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO message_links (token_hash, message_id, first_recipient_id) VALUES ($1, $2, $3)",
    )
    .bind(token_hash.to_vec())
    .bind(message_id)
    .bind(first_recipient_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether a message's notification was the sender's own (it has a message link).
pub async fn has_message_link(conn: &mut AnyConnection, message_id: &str) -> DbResult<bool> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM message_links WHERE message_id = $1")
        .bind(message_id)
        .fetch_one(conn)
        .await?;
    Ok(row.try_get::<i64, _>("n")? > 0)
}

/// The first recipient of the message whose link hashes to `token_hash`.
pub async fn first_recipient(db: &Db, token_hash: &[u8]) -> DbResult<Option<String>> {
    let row = sqlx::query("SELECT first_recipient_id FROM message_links WHERE token_hash = $1")
        .bind(token_hash.to_vec())
        .fetch_optional(&db.pool)
        .await?;
    row.map(|row| row.try_get("first_recipient_id")).transpose()
}

/// Records the hash of the Internet Message-ID a message was made from; call inside its transaction.
pub async fn insert_internet_id(
    conn: &mut AnyConnection,
    message_id: &str,
    id_hash: &str,
) -> DbResult<()> {
    sqlx::query("INSERT INTO message_internet_ids (message_id, id_hash) VALUES ($1, $2)")
        .bind(message_id)
        .bind(id_hash)
        .execute(conn)
        .await?;
    Ok(())
}

/// The newest message of `sender_id` (in `tenant_id`) made from the mail with this Message-ID hash.
pub async fn message_by_internet_id(
    db: &Db,
    tenant_id: &str,
    sender_id: &str,
    id_hash: &str,
) -> DbResult<Option<String>> {
    let row = sqlx::query(
        "SELECT m.id FROM message_internet_ids i JOIN messages m ON m.id = i.message_id
         WHERE i.id_hash = $1 AND m.tenant_id = $2 AND m.sender_id = $3
         ORDER BY m.created_at DESC, m.id LIMIT 1",
    )
    .bind(id_hash)
    .bind(tenant_id)
    .bind(sender_id)
    .fetch_optional(&db.pool)
    .await?;
    row.map(|row| row.try_get("id")).transpose()
}
