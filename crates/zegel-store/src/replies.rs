//! Replies: where each one stands in its conversation, and the count of replies per conversation.

use sqlx::{AnyConnection, Row};

use super::{Db, DbResult};

/// Where a reply stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyRow {
    /// The reply (a message of purpose `reply`).
    pub message_id: String,
    /// The message it answers.
    pub parent_id: String,
    /// The conversation's first message.
    pub root_id: String,
    /// The recipient of the parent who wrote it.
    pub author_recipient_id: String,
    /// Its place in the conversation (1 for the first reply).
    pub position: i64,
    /// When it was written.
    pub created_at: i64,
}

fn from_row(row: &sqlx::any::AnyRow) -> DbResult<ReplyRow> {
    Ok(ReplyRow {
        message_id: row.try_get("message_id")?,
        parent_id: row.try_get("parent_id")?,
        root_id: row.try_get("root_id")?,
        author_recipient_id: row.try_get("author_recipient_id")?,
        position: row.try_get("position")?,
        created_at: row.try_get("created_at")?,
    })
}

/// Counts one more reply in the conversation `root_id` if it has fewer than `max`: its place in the
/// conversation, or `None` when the cap is reached. Call in the transaction that stores the reply.
pub async fn claim(conn: &mut AnyConnection, root_id: &str, max: i64) -> DbResult<Option<i64>> {
    let row = sqlx::query(
        "UPDATE messages SET reply_count = reply_count + 1 WHERE id = $1 AND reply_count < $2
         RETURNING reply_count",
    )
    .bind(root_id)
    .bind(max)
    .fetch_optional(conn)
    .await?;
    row.map(|r| r.try_get("reply_count")).transpose()
}

/// Records a reply (in the transaction that stores it).
pub async fn insert(conn: &mut AnyConnection, reply: &ReplyRow) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO replies (message_id, parent_id, root_id, author_recipient_id, position, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&reply.message_id)
    .bind(&reply.parent_id)
    .bind(&reply.root_id)
    .bind(&reply.author_recipient_id)
    .bind(reply.position)
    .bind(reply.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// The reply `message_id`, if it is one.
pub async fn get(db: &Db, message_id: &str) -> DbResult<Option<ReplyRow>> {
    let row = sqlx::query(
        "SELECT message_id, parent_id, root_id, author_recipient_id, position, created_at FROM replies
         WHERE message_id = $1",
    )
    .bind(message_id)
    .fetch_optional(&db.pool)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// Every reply of the conversation `root_id`, oldest first.
pub async fn of_conversation(db: &Db, root_id: &str) -> DbResult<Vec<ReplyRow>> {
    let rows = sqlx::query(
        "SELECT message_id, parent_id, root_id, author_recipient_id, position, created_at FROM replies
         WHERE root_id = $1 ORDER BY position",
    )
    .bind(root_id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter().map(from_row).collect()
}

/// How many replies the conversation `root_id` has.
pub async fn count(db: &Db, root_id: &str) -> DbResult<i64> {
    let row = sqlx::query("SELECT reply_count FROM messages WHERE id = $1")
        .bind(root_id)
        .fetch_optional(&db.pool)
        .await?;
    row.map(|r| r.try_get("reply_count"))
        .transpose()
        .map(Option::unwrap_or_default)
}
