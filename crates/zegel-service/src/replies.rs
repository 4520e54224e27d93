//! Replying securely (seeds 000/002 "Beantwoorden" and "Gesprek"): a recipient who proved who they are
//! answers with text and files, and the sender answers back; the whole conversation reads in order on
//! both sides.
//!
//! A reply is a message of purpose `reply` (sealed, logged, blockable, expiring like any other), owned
//! by the conversation's first sender, whose one `replies` row places it in the conversation. Each one
//! is counted against the tenant's cap in the transaction that stores it. A reply to the organisation
//! is opened with a six-digit code mailed to its staff recipient; an answer to an outside recipient
//! asks for what they used before: an SMS code to the same number for two-factor messages, else a code
//! by e-mail. Files go up with tus under the author's session.

use zegel_core::conversation::{Replied, Turn, TurnFile};
use zegel_core::message::{ValidatedAuth, ValidatedMessage, ValidatedRecipient};
use zegel_core::settings::TenantSettings;
use zegel_core::{AuthLevel, Deliver, Language, MessageKind, RecipientKind};
use zegel_store::messages::{Access, Purpose};

use crate::access;
use crate::intake::{self, Origin, ReplyOrigin};
use crate::{ClientInfo, ServiceError, Services};

/// The most files one reply carries.
pub const MAX_FILES: usize = 20;

/// Whether the recipient of `access` may reply now: the tenant allows replies and the conversation has
/// room for one more.
pub async fn can_reply(state: &Services, access: &Access) -> Result<bool, ServiceError> {
    if !matches!(access.purpose, Purpose::Message | Purpose::Reply) {
        return Ok(false);
    }
    let settings = crate::settings::effective(state, &access.tenant_id).await?;
    if !settings.replies.enabled {
        return Ok(false);
    }
    let root = root_of(state, &access.message_id).await?;
    let count = zegel_store::replies::count(&state.db, &root).await?;
    Ok(count < i64::from(settings.replies.max_per_conversation))
}

/// The first message of the conversation `message_id` is in.
async fn root_of(state: &Services, message_id: &str) -> Result<String, ServiceError> {
    Ok(zegel_store::replies::get(&state.db, message_id)
        .await?
        .map_or_else(|| message_id.to_owned(), |r| r.root_id))
}

/// Who wrote a message of the conversation: a reply's author, else the sender.
fn author_of(state: &Services, access: &Access) -> Result<String, ServiceError> {
    if access.purpose == Purpose::Reply {
        let content = access::content(state, access).map_err(|_| ServiceError::NotFound)?;
        if let Some(from) = content.from {
            return Ok(from);
        }
    }
    Ok(access.sender_email.clone())
}

/// Whether `email` is an address of the tenant's own domains.
fn is_staff(settings: &TenantSettings, domains: &[String], email: &str) -> bool {
    let domain = email.rsplit_once('@').map_or("", |(_, d)| d).to_lowercase();
    domains
        .iter()
        .chain(settings.internal_domains.iter())
        .any(|d| zegel_core::settings::within(&domain, d))
}

/// The recipient of `author` answers the message they opened: `text` and finished uploads they made
/// under their session, to its author (and with `to_all`, where the tenant allows, to its other To and
/// Cc recipients).
pub async fn reply(
    state: &Services,
    author: &Access,
    text: &str,
    upload_ids: &[String],
    to_all: bool,
    max_upload: u64,
    client: &ClientInfo,
) -> Result<Replied, ServiceError> {
    if !matches!(author.purpose, Purpose::Message | Purpose::Reply) {
        return Err(ServiceError::NotFound);
    }
    let settings = crate::settings::effective(state, &author.tenant_id).await?;
    if !settings.replies.enabled {
        return Err(ServiceError::Forbidden(
            "replies are switched off for this organisation".into(),
        ));
    }
    if to_all && !settings.replies.to_all {
        return Err(ServiceError::invalid(
            "to_all",
            "this organisation lets replies go to the sender only",
        ));
    }
    let text = text.trim();
    if text.is_empty() && upload_ids.is_empty() {
        return Err(ServiceError::invalid("text", "write a reply or add a file"));
    }
    if text.len() > zegel_core::upload_request::MAX_MESSAGE_BYTES {
        return Err(ServiceError::invalid(
            "text",
            format!(
                "is longer than {} bytes",
                zegel_core::upload_request::MAX_MESSAGE_BYTES
            ),
        ));
    }
    if upload_ids.len() > MAX_FILES {
        return Err(ServiceError::invalid(
            "uploads",
            format!("at most {MAX_FILES} files per reply"),
        ));
    }
    let root_id = root_of(state, &author.message_id).await?;
    let root = zegel_store::messages::access_by_message(&state.db, &root_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let owner = zegel_store::tenants::user_by_email(&state.db, &root.tenant_id, &root.sender_email)
        .await?
        .ok_or(ServiceError::NotFound)?;
    // To whom: the parent's author, and with `to_all` its other To and Cc recipients.
    let mut to = vec![author_of(state, author)?];
    if to_all {
        for other in zegel_store::tracking::recipients(&state.db, &author.message_id).await? {
            if other.kind != "bcc"
                && !other.email.eq_ignore_ascii_case(&author.email)
                && !to.iter().any(|t| t.eq_ignore_ascii_case(&other.email))
            {
                to.push(other.email);
            }
        }
    }
    to.retain(|t| !t.eq_ignore_ascii_case(&author.email));
    if to.is_empty() {
        return Err(ServiceError::invalid(
            "to_all",
            "there is nobody to reply to",
        ));
    }
    // The organisation's people open a reply with a code by e-mail; an outside recipient with what they
    // used before: an SMS code to the same number for two-factor conversations.
    let domains = zegel_store::tenants::domains(&state.db, &author.tenant_id).await?;
    let two_factor = root.auth_level == Some(AuthLevel::TwoFa)
        && to.iter().all(|t| !is_staff(&settings, &domains, t));
    let mut recipients = Vec::with_capacity(to.len());
    for email in &to {
        let phone = if two_factor {
            crate::phones::remembered(state, &author.tenant_id, email)
                .await
                .map_err(ServiceError::internal)?
        } else {
            None
        };
        recipients.push(ValidatedRecipient {
            email: email.clone(),
            kind: RecipientKind::To,
            phone,
        });
    }
    let language = if to.iter().all(|t| is_staff(&settings, &domains, t)) {
        settings.languages.first().copied().unwrap_or_default()
    } else {
        access::language(&root)
    };
    let mut upload = intake::Upload::new(state, &author.tenant_id);
    let owner_of_uploads = zegel_store::uploads::Owner::Visitor(author.recipient_id.clone());
    let mut total = 0u64;
    for (i, id) in upload_ids.iter().enumerate() {
        let field = format!("uploads[{i}]");
        if upload_ids[..i].contains(id) {
            return Err(ServiceError::invalid(field, "names the same upload twice"));
        }
        let prepared = crate::uploads::prepare(state, &owner_of_uploads, id, &field).await?;
        total += prepared.size;
        if total > max_upload {
            return Err(ServiceError::TooLarge(format!(
                "a reply's files are limited to {max_upload} bytes together"
            )));
        }
        upload.add_upload(prepared);
    }
    let message = ValidatedMessage {
        subject: access::content(state, &root)
            .map(|c| c.subject)
            .unwrap_or_default(),
        body_text: Some(text.to_owned()).filter(|t| !t.is_empty()),
        body_html: None,
        recipients,
        kind: MessageKind::SecureMessage,
        auth: Some(ValidatedAuth {
            level: if two_factor {
                AuthLevel::TwoFa
            } else {
                AuthLevel::OneFa
            },
            custom_password: None,
            deliver: Deliver::Email,
        }),
        expires_in_days: settings.expiry_days.default,
        max_downloads: None,
        language,
        notify: None,
        uploads: Vec::new(),
        confirm_to_sender: Some(false),
        notify_on_download: Some(false),
        file_names_in_notification: false,
    };
    let origin = Origin {
        actor: format!("recipient:{}", author.email),
        ip: client.ip.clone(),
        user_agent: client.user_agent.clone(),
        one_time_passwords: true,
        purpose: Purpose::Reply,
        upload_owner: Some(owner_of_uploads),
        reply: Some(ReplyOrigin {
            parent_id: author.message_id.clone(),
            root_id: root_id.clone(),
            author_recipient_id: author.recipient_id.clone(),
            author_email: author.email.clone(),
            max_replies: i64::from(settings.replies.max_per_conversation),
            root_sender: root.sender_email.clone(),
        }),
        ..Origin::default()
    };
    let stored = intake::store(state, &owner, &settings, &message, upload, &origin).await?;
    Ok(Replied { id: stored.id, to })
}

fn rfc3339(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

/// One turn of the conversation: who wrote it, when, its text and its files' names.
async fn turn(state: &Services, message: &Access, created_at: i64) -> Result<Turn, ServiceError> {
    let content = if message.wrapped_key.is_some() {
        access::content(state, message).ok()
    } else {
        None
    };
    let from = match (
        &message.purpose,
        content.as_ref().and_then(|c| c.from.clone()),
    ) {
        (Purpose::Reply, Some(from)) => from,
        _ => message.sender_email.clone(),
    };
    let files = if content.is_some() {
        access::visible_files(state, message)
            .await
            .map_err(|_| ServiceError::NotFound)?
            .into_iter()
            .map(|(file, name)| TurnFile {
                name,
                size: u64::try_from(file.size).unwrap_or_default(),
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(Turn {
        id: message.message_id.clone(),
        from,
        at: rfc3339(created_at),
        text: content.and_then(|c| c.body_text),
        files,
    })
}

/// The conversation `message_id` is in, in order, as the participant `email` sees it: the turns they
/// wrote or received. The sender of the first message sees every turn (`email` = `None`).
pub async fn conversation(
    state: &Services,
    message_id: &str,
    email: Option<&str>,
) -> Result<Vec<Turn>, ServiceError> {
    let root_id = root_of(state, message_id).await?;
    let mut ids: Vec<(String, i64)> = Vec::new();
    let root_created = zegel_store::tracking::created_at(&state.db, &root_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    ids.push((root_id.clone(), root_created));
    for reply in zegel_store::replies::of_conversation(&state.db, &root_id).await? {
        ids.push((reply.message_id, reply.created_at));
    }
    let mut turns = Vec::with_capacity(ids.len());
    for (id, created_at) in ids {
        let recipients = zegel_store::tracking::recipients(&state.db, &id).await?;
        let Some(first) = recipients.first() else {
            continue;
        };
        let Some(message) =
            zegel_store::messages::access_by_recipient(&state.db, &first.id).await?
        else {
            continue;
        };
        let shown = turn(state, &message, created_at).await?;
        let visible = match email {
            None => true,
            Some(email) => {
                shown.from.eq_ignore_ascii_case(email)
                    || recipients
                        .iter()
                        .any(|r| r.email.eq_ignore_ascii_case(email))
            }
        };
        if visible {
            turns.push(shown);
        }
    }
    Ok(turns)
}

/// The language of a conversation's page for its participant.
pub fn language(access: &Access) -> Language {
    access::language(access)
}
