//! Log & block for senders (seed 001 ch. 5): what happened to a sent message per recipient and file,
//! and stopping a leak after sending by blocking files, recipients or the whole message.
//!
//! Rules: a sender sees and changes only their own messages (anything else is `404`); the whole message
//! can be blocked only while no recipient has opened it (`409`); public and secure files went out as
//! plain mail, so for them only files can be blocked (`422`). Every block and unblock is audited in the
//! transaction that makes it. The portal and the download streams in `crate::access` check the flags on
//! every request and every few MiB, so a block takes effect at once.

pub use zegel_core::api::{
    BlockTarget, DownloadStatus, FileStatus, ListedMessage, MessagePage, MessageStatus,
    RecipientStatus,
};

use crate::ClientInfo;
use crate::ServiceError;
use crate::Services;
use zegel_store::MessageStatus as Status;
use zegel_store::audit::{self, AuditEvent};
use zegel_store::messages;
use zegel_store::tenants::User;
use zegel_store::tracking::{self as store, SentMessage};
use zegel_vault::sealing;

/// A time as RFC 3339.
pub fn time(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

/// A size or count from the database (never negative) as the API writes it.
fn unsigned(n: i64) -> u64 {
    u64::try_from(n).unwrap_or_default()
}

/// The sender's own message, else `404` (also for another sender of the same tenant).
pub async fn own_message(
    state: &Services,
    user: &User,
    message_id: &str,
) -> Result<SentMessage, ServiceError> {
    store::sent_message(&state.db, &user.tenant_id, &user.id, message_id)
        .await?
        .ok_or(ServiceError::NotFound)
}

/// The subject of a message whose content still exists.
pub fn subject(state: &Services, message: &SentMessage) -> Option<String> {
    let sealed = message.sealed_content.as_deref()?;
    match sealing::open_content(&state.keys, &message.tenant_id, &message.id, sealed) {
        Ok(content) => Some(content.subject),
        Err(error) => {
            tracing::error!(message = %message.id, error = format!("{error:#}"), "sealed content cannot be opened");
            None
        }
    }
}

fn is_destroyed(message: &SentMessage) -> bool {
    message.status.is_destroyed()
}

/// The full status of a sender's message.
pub async fn message_status(
    state: &Services,
    user: &User,
    message_id: &str,
) -> Result<MessageStatus, ServiceError> {
    let message = own_message(state, user, message_id).await?;
    let recipients = store::recipients(&state.db, message_id).await?;
    let files = messages::files_of(&state.db, message_id).await?;
    let downloads = store::downloads(&state.db, message_id).await?;
    let held = message.status == Status::Held;
    let any_opened = recipients.iter().any(|r| r.opened_at.is_some());
    let files = files
        .into_iter()
        .map(|file| {
            let name = if is_destroyed(&message) {
                None
            } else {
                sealing::open_file_name(&state.keys, &message.tenant_id, &message.id, &file.id, &file.sealed_name)
                    .map_err(|error| tracing::error!(file = %file.id, error = format!("{error:#}"), "sealed file name cannot be opened"))
                    .ok()
                    .map(|name| zegel_core::file_name::display_name(&name))
            };
            let downloads = downloads
                .iter()
                .filter(|d| d.file_id == file.id)
                .map(|d| DownloadStatus { recipient: d.recipient.clone(), at: time(d.at) })
                .collect();
            FileStatus { id: file.id, name, size: unsigned(file.size), blocked: file.blocked, downloads }
        })
        .collect();
    let recipients = recipients
        .into_iter()
        .map(|r| RecipientStatus {
            status: if held {
                "held"
            } else if r.opened_at.is_some() {
                "opened"
            } else if r.delivery_failed {
                "bounced"
            } else {
                // Accepted for delivery; `notified_at` says when the relay took the notification.
                "sent"
            }
            .to_owned(),
            email: r.email,
            kind: r.kind,
            blocked: r.blocked,
            locked: r.locked,
            notified_at: r.notified_at.map(time),
            code_requested_at: r.challenge_sent_at.map(time),
            authenticated_at: r.verified_at.map(time),
            opened_at: r.opened_at.map(time),
            sms_error: r.sms_error,
        })
        .collect();
    Ok(MessageStatus {
        subject: subject(state, &message),
        can_block_message: message.kind == zegel_core::MessageKind::SecureMessage
            && !any_opened
            && !is_destroyed(&message),
        id: message.id,
        kind: message.kind.as_str().to_owned(),
        level: message.auth_level.map(|l| l.as_str().to_owned()),
        status: message.status.as_str().to_owned(),
        created_at: time(message.created_at),
        expires_at: time(message.expires_at),
        destroyed_at: message.destroyed_at.map(time),
        blocked: message.blocked,
        recipients,
        files,
    })
}

/// Blocks (`blocked`) or unblocks a target of a sender's message, and audits it in the same
/// transaction.
pub async fn set_blocked(
    state: &Services,
    user: &User,
    message_id: &str,
    target: &BlockTarget,
    blocked: bool,
    client: &ClientInfo,
) -> Result<(), ServiceError> {
    let message = own_message(state, user, message_id).await?;
    if is_destroyed(&message) {
        return Err(ServiceError::Conflict(format!(
            "this message was {}: its content no longer exists, so there is nothing to block",
            message.status
        )));
    }
    if message.kind != zegel_core::MessageKind::SecureMessage
        && !matches!(target, BlockTarget::File { .. } | BlockTarget::Files)
    {
        return Err(ServiceError::invalid(
            "target",
            "only files can be blocked for public and secure files: the e-mail itself went out as plain mail",
        ));
    }
    let verb = if blocked { "blocked" } else { "unblocked" };
    let (event, detail) = match target {
        BlockTarget::File { file_id } => (format!("file.{verb}"), Some(format!("file:{file_id}"))),
        BlockTarget::Files => (format!("file.{verb}"), Some("files:all".to_owned())),
        BlockTarget::Recipient { email } => (
            format!("recipient.{verb}"),
            Some(format!("recipient:{}", email.trim().to_lowercase())),
        ),
        BlockTarget::Recipients => (
            format!("recipient.{verb}"),
            Some("recipients:all".to_owned()),
        ),
        BlockTarget::Message => (format!("message.{verb}"), None),
    };
    let mut tx = state.db.pool.begin().await?;
    match target {
        BlockTarget::File { file_id } => {
            if store::set_files_blocked(&mut tx, message_id, Some(file_id), blocked).await? == 0 {
                return Err(ServiceError::invalid(
                    "file_id",
                    format!("{file_id} is not a file of this message"),
                ));
            }
        }
        BlockTarget::Files => {
            store::set_files_blocked(&mut tx, message_id, None, blocked).await?;
        }
        BlockTarget::Recipient { email } => {
            if store::set_recipients_blocked(&mut tx, message_id, Some(email.trim()), blocked)
                .await?
                == 0
            {
                return Err(ServiceError::invalid(
                    "email",
                    format!("{email} is not a recipient of this message"),
                ));
            }
        }
        BlockTarget::Recipients => {
            store::set_recipients_blocked(&mut tx, message_id, None, blocked).await?;
        }
        BlockTarget::Message if blocked => {
            if !store::block_message_if_unopened(&mut tx, message_id).await? {
                return Err(ServiceError::Conflict(
                    "a recipient has already opened this message, so it can no longer be blocked as a whole; block recipients or files instead"
                        .into(),
                ));
            }
        }
        BlockTarget::Message => store::unblock_message(&mut tx, message_id).await?,
    }
    audit::append_in(
        &mut tx,
        state.db.backend,
        state.now_ms(),
        &AuditEvent {
            tenant_id: Some(&user.tenant_id),
            message_id: Some(message_id),
            actor: format!("sender:{}", user.email),
            event: &event,
            detail,
            ip: client.ip.clone(),
            user_agent: client.user_agent.clone(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The sender's messages older than the cursor `before` (from an earlier page's `next`).
pub async fn list(
    state: &Services,
    user: &User,
    before: Option<&str>,
    limit: i64,
) -> Result<MessagePage, ServiceError> {
    let cursor = match before {
        None => None,
        Some(text) => {
            let parsed = text
                .split_once('.')
                .and_then(|(at, id)| Some((at.parse::<i64>().ok()?, id)));
            Some(parsed.ok_or_else(|| {
                ServiceError::invalid("before", "use the `next` value of the previous page")
            })?)
        }
    };
    let rows = store::list_sent(&state.db, &user.tenant_id, &user.id, cursor, limit + 1).await?;
    let more = rows.len() as i64 > limit;
    let rows: Vec<_> = rows.into_iter().take(limit as usize).collect();
    // The cursor is the last message's creation time (ms) and id: stable while new messages arrive.
    let next = if more {
        rows.last()
            .map(|row| format!("{}.{}", row.message.created_at, row.message.id))
    } else {
        None
    };
    let messages = rows
        .into_iter()
        .map(|row| ListedMessage {
            subject: subject(state, &row.message),
            id: row.message.id,
            kind: row.message.kind.as_str().to_owned(),
            level: row.message.auth_level.map(|l| l.as_str().to_owned()),
            status: row.message.status.as_str().to_owned(),
            blocked: row.message.blocked,
            created_at: time(row.message.created_at),
            expires_at: time(row.message.expires_at),
            recipients: unsigned(row.recipients),
            opened: unsigned(row.opened),
            files: unsigned(row.files),
            downloads: unsigned(row.downloads),
        })
        .collect();
    Ok(MessagePage { messages, next })
}
