//! Expiry and deletion (crypto-shredding): when a message expires, or its sender deletes it early, its
//! wrapped data key and every sealed field are erased and its blobs removed. Without the data key no
//! copy of the ciphertext (a backup, a blob missed by a crash) can ever be opened again. What stays is
//! the tracking record (the rows of the message, its recipients, files with sizes, and downloads) and
//! the audit trail.

use crate::ClientInfo;
use crate::Services;
use zegel_store::MessageStatus;
use zegel_store::audit::{self, AuditEvent};
use zegel_store::{delivery, tracking};

/// Why a message's content is destroyed; also its status afterwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Destruction {
    /// Its expiry passed (the background job).
    Expired,
    /// Its sender deleted it.
    Deleted,
}

impl Destruction {
    fn status(self) -> MessageStatus {
        match self {
            Self::Expired => MessageStatus::Expired,
            Self::Deleted => MessageStatus::Deleted,
        }
    }
}

/// Destroys a message's content, audits it in the same transaction, then removes its blobs. Returns
/// false when the message was already destroyed (nothing happens then).
#[tracing::instrument(skip_all, err, fields(message = %message_id))]
pub async fn destroy_message(
    state: &Services,
    tenant_id: &str,
    message_id: &str,
    how: Destruction,
    actor: &str,
    client: Option<&ClientInfo>,
) -> Result<bool, sqlx::Error> {
    // Read before the transaction: on SQLite the transaction holds the only connection.
    let blob_ids = delivery::blob_ids(&state.db, message_id).await?;
    let now = state.now_ms();
    let mut tx = state.db.pool.begin().await?;
    if !tracking::destroy(&mut tx, message_id, how.status(), now).await? {
        return Ok(false);
    }
    audit::append_in(
        &mut tx,
        state.db.backend,
        now,
        &AuditEvent {
            tenant_id: Some(tenant_id),
            message_id: Some(message_id),
            actor: actor.to_owned(),
            event: match how {
                Destruction::Expired => "message.expired",
                Destruction::Deleted => "message.deleted",
            },
            ip: client.and_then(|c| c.ip.clone()),
            user_agent: client.and_then(|c| c.user_agent.clone()),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    // After the commit: a crash in between leaves ciphertext whose key no longer exists.
    state.blobs.delete(&blob_ids).await;
    Ok(true)
}

/// Destroys the content of every active message whose expiry has passed; returns how many. Held
/// messages are handled by `delivery::expire_held` (they were never sent, so they go entirely).
#[tracing::instrument(skip_all, err)]
pub async fn expire_messages(state: &Services) -> anyhow::Result<usize> {
    let mut expired = 0;
    loop {
        let due = tracking::due_for_expiry(&state.db, state.now_ms(), 100).await?;
        if due.is_empty() {
            return Ok(expired);
        }
        for (message_id, tenant_id) in &due {
            if destroy_message(
                state,
                tenant_id,
                message_id,
                Destruction::Expired,
                "system",
                None,
            )
            .await?
            {
                expired += 1;
            }
        }
    }
}
