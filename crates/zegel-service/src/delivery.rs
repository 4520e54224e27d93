//! Getting a stored message to its recipients: notifications with fresh links, and for two-factor
//! messages whose recipients lack a phone number, holding the message until the sender supplies the
//! numbers (seed 000 ch. 2, 002 ch. 02).

use sqlx::AnyConnection;
use zegel_core::{Language, MessageKind};
use zegel_crypto::{DataKey, Keyring};

use crate::ServiceError;
use crate::Services;
use crate::phones;
use zegel_mail::render::{self, Notification};
use zegel_store::MessageStatus;
use zegel_store::audit::{self, AuditEvent};
use zegel_store::messages::Purpose;
use zegel_store::{delivery as store, phones as phone_store};
use zegel_vault::sealing::{self, seal_field};

/// What every notification of a message says.
#[derive(Debug, Clone)]
pub struct NotifySpec {
    /// Language of the mails.
    pub language: Language,
    /// Message kind.
    pub kind: MessageKind,
    /// Subject.
    pub subject: String,
    /// Plain-text body (travels only for the file kinds).
    pub body_text: Option<String>,
    /// The sender's address.
    pub sender_email: String,
    /// Link expiry (Unix ms).
    pub expires_at: i64,
    /// The tenant's settings (From, branding, hidden subject), loaded before the transaction.
    pub settings: zegel_core::settings::TenantSettings,
    /// What the message is for: a message's notification, an upload request's "Upload bestanden" mail
    /// (link to `/u/`), or the notice of received files ("Download alles").
    pub purpose: Purpose,
    /// Received files or a reply: who uploaded or wrote them, and how many files.
    pub uploader: Option<(String, usize)>,
    /// The files' names and sizes, listed in the notification when the sender chose so.
    pub files: Vec<(String, u64)>,
    /// A reply: its conversation's first message and that message's sender, whose notice carries the
    /// message's id (`X-Zegel-Message`) for the pane's read mode.
    pub conversation: Option<(String, String)>,
}

impl NotifySpec {
    /// The mail telling `to` about the message at `link`.
    pub fn mail(&self, state: &Services, link: &str, to: &str) -> zegel_mail::OutgoingEmail {
        let look = crate::settings::look(&self.settings);
        let from = crate::settings::notification_from(&self.settings, &state.site.mail_from);
        match (self.purpose, &self.uploader) {
            (Purpose::UploadRequest, _) => render::upload_request(
                &render::RequestMail {
                    language: self.language,
                    sender: &self.sender_email,
                    link,
                    expires_at: self.expires_at,
                    timezone: &state.site.timezone,
                    from: &from,
                    to,
                },
                &look,
            ),
            (Purpose::Reply, Some((author, count))) => {
                let mut mail = render::reply_received(
                    &self.received(state, author, *count, link, &from, to),
                    &look,
                );
                if let Some((root_id, root_sender)) = &self.conversation
                    && root_sender.eq_ignore_ascii_case(to)
                {
                    mail.zegel_message = Some(root_id.clone());
                }
                mail
            }
            (Purpose::Received, Some((uploader, count))) => render::files_received(
                &self.received(state, uploader, *count, link, &from, to),
                &look,
            ),
            _ => crate::settings::notification(
                &self.settings,
                &Notification {
                    language: self.language,
                    kind: self.kind,
                    subject: &self.subject,
                    sender: &self.sender_email,
                    plain_body: self.body_text.as_deref(),
                    files: &self.files,
                    link,
                    expires_at: self.expires_at,
                    timezone: &state.site.timezone,
                    from: &state.site.mail_from,
                    to,
                },
            ),
        }
    }

    /// What the notice of received files or of a reply says.
    fn received<'a>(
        &self,
        state: &'a Services,
        uploader: &'a str,
        count: usize,
        link: &'a str,
        from: &'a str,
        to: &'a str,
    ) -> render::ReceivedMail<'a> {
        render::ReceivedMail {
            language: self.language,
            uploader,
            count,
            link,
            expires_at: self.expires_at,
            timezone: &state.site.timezone,
            from,
            to,
        }
    }

    /// The path of the recipients' links: `/u/` for an upload request, `/m/` otherwise.
    pub fn link_path(&self) -> &'static str {
        match self.purpose {
            Purpose::UploadRequest => "u",
            _ => "m",
        }
    }
}

/// Gives each recipient a fresh link token (only its hash is stored) and writes their notification
/// into the outbox, inside the caller's transaction.
pub async fn enqueue_notifications(
    conn: &mut AnyConnection,
    state: &Services,
    keyring: &Keyring,
    spec: &NotifySpec,
    recipients: &[(String, String)],
    now: i64,
) -> Result<(), sqlx::Error> {
    let base_url = state.site.base_url();
    for (recipient_id, email) in recipients {
        let token = zegel_crypto::random_token();
        store::set_token_hash(&mut *conn, recipient_id, &zegel_crypto::hash_token(&token)).await?;
        let link = format!("{base_url}/{}/{token}", spec.link_path());
        let mail = spec.mail(state, &link, email);
        zegel_outbox::enqueue_email(
            &mut *conn,
            keyring,
            zegel_store::JobPurpose::Notification,
            Some(recipient_id),
            mail,
            now,
        )
        .await?;
    }
    Ok(())
}

/// Writes the "enter the phone numbers" e-mail to the sender of a held message, with a single-use link
/// valid until the message expires.
#[allow(clippy::too_many_arguments)]
pub async fn enqueue_phone_request(
    conn: &mut AnyConnection,
    state: &Services,
    keyring: &Keyring,
    message_id: &str,
    spec: &NotifySpec,
    missing: &[String],
    found: &[zegel_core::policy::Shown],
    now: i64,
) -> Result<(), sqlx::Error> {
    let token = zegel_crypto::random_token();
    phone_store::create_request(
        &mut *conn,
        &zegel_crypto::hash_token(&token),
        message_id,
        now,
        spec.expires_at,
    )
    .await?;
    let link = format!("{}/phones/{token}", state.site.base_url());
    let from = crate::settings::notification_from(&spec.settings, &state.site.mail_from);
    // A hidden subject is not repeated to the sender either: the mail may be read on any device.
    let subject = if spec.settings.hide_subject {
        ""
    } else {
        &spec.subject
    };
    let mail = render::phone_request(
        spec.language,
        subject,
        found,
        missing,
        &link,
        &spec.sender_email,
        &from,
        &crate::settings::look(&spec.settings),
    );
    zegel_outbox::enqueue_email(
        &mut *conn,
        keyring,
        zegel_store::JobPurpose::PhoneRequest,
        None,
        mail,
        now,
    )
    .await
}

/// Opens a message's data key.
pub fn message_key(state: &Services, wrapped: &[u8]) -> anyhow::Result<DataKey> {
    Ok(state.keys.unwrap(wrapped)?)
}

/// The result of supplying phone numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupplyOutcome {
    /// Whether the message went out.
    pub released: bool,
    /// Recipients still without a number.
    pub missing: Vec<String>,
}

/// A phone number a sender gives for a recipient of a held message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuppliedPhone {
    /// The recipient's address.
    pub email: String,
    /// The number as typed.
    pub number: String,
    /// The country a national number belongs to (ISO 3166 alpha-2); the tenant's
    /// `sms_default_country` when absent.
    pub country: Option<String>,
}

/// Takes phone numbers for recipients of a held message; when every recipient has one, releases the
/// message. Invalid numbers are refused with 422 naming the recipient.
pub async fn supply_phones(
    state: &Services,
    tenant_id: &str,
    message_id: &str,
    numbers: &[SuppliedPhone],
    actor: &str,
) -> Result<SupplyOutcome, ServiceError> {
    let message = store::held_message(&state.db, tenant_id, message_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if message.status != MessageStatus::Held {
        return Err(ServiceError::Conflict(
            "this message is not waiting for phone numbers".into(),
        ));
    }
    let settings = crate::settings::effective(state, tenant_id).await?;
    let country = settings.sms_default_country.clone();
    let recipients = store::recipients(&state.db, message_id).await?;
    let mut normalised: Vec<(String, String, String)> = Vec::new(); // recipient id, email, e164
    for SuppliedPhone {
        email,
        number: raw,
        country: chosen,
    } in numbers
    {
        let Some(recipient) = recipients
            .iter()
            .find(|r| r.email.eq_ignore_ascii_case(email.trim()))
        else {
            return Err(ServiceError::invalid(
                format!("phones.{email}"),
                format!("{email} is not a recipient of this message"),
            ));
        };
        if raw.trim().is_empty() {
            continue;
        }
        let e164 = phones::normalize(raw, chosen.as_deref().unwrap_or(&country)).map_err(|e| {
            ServiceError::invalid(format!("phones.{}", recipient.email), e.to_string())
        })?;
        normalised.push((recipient.id.clone(), recipient.email.clone(), e164));
    }
    let key = message_key(state, &message.wrapped_key).map_err(ServiceError::internal)?;
    let keyring = state.keys.keyring();
    let now = state.now_ms();
    let missing: Vec<String> = recipients
        .iter()
        .filter(|r| !r.has_phone && !normalised.iter().any(|(id, _, _)| *id == r.id))
        .map(|r| r.email.clone())
        .collect();
    let mut tx = state.db.pool.begin().await?;
    for (recipient_id, _, e164) in &normalised {
        let sealed = seal_field(
            &keyring,
            &key,
            tenant_id,
            message_id,
            &phones::field(recipient_id),
            e164.as_bytes(),
        );
        phone_store::set_recipient_phone(&mut tx, recipient_id, &sealed).await?;
    }
    let released = missing.is_empty();
    if released {
        let content =
            sealing::open_content(&state.keys, tenant_id, message_id, &message.sealed_content)
                .map_err(ServiceError::internal)?;
        // A subject hidden when the message was stored (by the tenant, or because the gateway found a
        // value in it) stays hidden in the notifications sent now.
        let mut settings = settings;
        settings.hide_subject |= content.subject_hidden;
        let spec = NotifySpec {
            language: Language::parse(&message.language).unwrap_or_default(),
            kind: message.kind,
            subject: content.subject,
            body_text: content.body_text,
            sender_email: message.sender_email.clone(),
            expires_at: message.expires_at,
            settings,
            purpose: Purpose::Message,
            uploader: None,
            files: content.listed_files,
            conversation: None,
        };
        let all: Vec<(String, String)> = recipients
            .iter()
            .map(|r| (r.id.clone(), r.email.clone()))
            .collect();
        store::set_status(&mut tx, message_id, MessageStatus::Active).await?;
        phone_store::spend_requests(&mut tx, message_id).await?;
        // A message whose sender's client sent the notification (one link) gets no second one.
        if !zegel_store::links::has_message_link(&mut tx, message_id).await? {
            enqueue_notifications(&mut tx, state, &keyring, &spec, &all, now).await?;
        }
    }
    // The numbers are for this message only: a remembered number changes only when the recipient
    // confirms one or an admin sets it (`phones`).
    tx.commit().await?;
    if released {
        state.outbox_wakeup.notify_one();
        audit::append(
            &state.db,
            now,
            &AuditEvent {
                tenant_id: Some(tenant_id),
                message_id: Some(message_id),
                actor: actor.to_owned(),
                event: "message.released",
                ..Default::default()
            },
        )
        .await?;
    }
    Ok(SupplyOutcome { released, missing })
}

/// Removes a recipient from a held message (the phone page's "remove"), audited in the same
/// transaction. The last recipient cannot be removed (422); a message no longer held is a 409.
pub async fn remove_held_recipient(
    state: &Services,
    tenant_id: &str,
    message_id: &str,
    email: &str,
    actor: &str,
) -> Result<(), ServiceError> {
    store::held_message(&state.db, tenant_id, message_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let now = state.now_ms();
    let mut tx = state.db.pool.begin().await?;
    match store::remove_held_recipient(&mut tx, message_id, email).await? {
        store::HeldRemoval::Removed => {}
        store::HeldRemoval::NotHeld => {
            return Err(ServiceError::Conflict(
                "this message is not waiting for phone numbers".into(),
            ));
        }
        store::HeldRemoval::NotRecipient => {
            return Err(ServiceError::invalid(
                "email",
                format!("{email} is not a recipient of this message"),
            ));
        }
        store::HeldRemoval::LastRecipient => {
            return Err(ServiceError::invalid(
                "email",
                "the last recipient of a message cannot be removed",
            ));
        }
    }
    audit::append_in(
        &mut tx,
        state.db.backend,
        now,
        &AuditEvent {
            tenant_id: Some(tenant_id),
            message_id: Some(message_id),
            actor: actor.to_owned(),
            event: "recipient.removed",
            detail: Some(format!("recipient:{}", email.trim().to_ascii_lowercase())),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Deletes held messages whose expiry passed without numbers, and tells each sender. Returns how many.
pub async fn expire_held(state: &Services) -> anyhow::Result<usize> {
    let now = state.now_ms();
    let expired = store::expired_held(&state.db, now).await?;
    let keyring = state.keys.keyring();
    for message in &expired {
        let settings = crate::settings::effective(state, &message.tenant_id).await?;
        let subject = sealing::open_content(
            &state.keys,
            &message.tenant_id,
            &message.id,
            &message.sealed_content,
        )
        .ok()
        .filter(|c| !c.subject_hidden && !settings.hide_subject)
        .map(|c| c.subject)
        .unwrap_or_default();
        let blob_ids = store::blob_ids(&state.db, &message.id).await?;
        let from = crate::settings::notification_from(&settings, &state.site.mail_from);
        let mail = render::held_expired(
            Language::parse(&message.language).unwrap_or_default(),
            &subject,
            &message.sender_email,
            &from,
            &crate::settings::look(&settings),
        );
        let mut tx = state.db.pool.begin().await?;
        zegel_outbox::enqueue_email(
            &mut tx,
            &keyring,
            zegel_store::JobPurpose::HeldExpired,
            None,
            mail,
            now,
        )
        .await?;
        store::delete_message(&mut tx, &message.id).await?;
        tx.commit().await?;
        state.blobs.delete(&blob_ids).await;
        audit::append(
            &state.db,
            now,
            &AuditEvent {
                tenant_id: Some(&message.tenant_id),
                message_id: Some(&message.id),
                actor: "system".into(),
                event: "message.deleted_unreleased",
                ..Default::default()
            },
        )
        .await?;
    }
    if !expired.is_empty() {
        state.outbox_wakeup.notify_one();
    }
    Ok(expired.len())
}

/// Runs the periodic jobs until the process ends.
pub fn spawn_maintenance(state: Services) -> tokio::task::JoinHandle<()> {
    let instance = zegel_crypto::random_id();
    tokio::spawn(async move {
        loop {
            // One instance at a time runs the sweeps; the lease outlives a missed round or two.
            let now = state.now_ms();
            match zegel_store::leases::acquire(
                &state.db,
                MAINTENANCE_LEASE,
                &instance,
                now,
                now + MAINTENANCE_LEASE_MS,
            )
            .await
            {
                Ok(true) => maintain(&state).await,
                Ok(false) => {}
                Err(error) => tracing::error!(error = %error, "the maintenance lease failed"),
            }
            tokio::time::sleep(std::time::Duration::from_secs(60)).await;
        }
    })
}

/// The lease the maintenance rounds run under.
pub const MAINTENANCE_LEASE: &str = "maintenance";
/// How long a maintenance lease lasts unless renewed (each round renews it).
pub const MAINTENANCE_LEASE_MS: i64 = 5 * 60_000;

/// One maintenance round: held messages, expiry and crypto-shredding, ended sessions, uploads, keys.
async fn maintain(state: &Services) {
    if let Err(error) = expire_held(state).await {
        tracing::error!(error = format!("{error:#}"), "maintenance failed");
    }
    if let Err(error) = crate::retention::expire_messages(state).await {
        tracing::error!(error = format!("{error:#}"), "expiring messages failed");
    }
    if let Err(error) = zegel_store::access::forget_ended_sessions(
        &state.db,
        state.now_ms(),
        crate::access::SESSION_IDLE_MS,
    )
    .await
    {
        tracing::error!(error = %error, "forgetting ended sessions failed");
    }
    if let Err(error) = zegel_store::admin_sessions::forget_ended(
        &state.db,
        state.now_ms(),
        zegel_store::admin_sessions::SESSION_IDLE_MS,
    )
    .await
    {
        tracing::error!(error = %error, "forgetting ended admin sessions failed");
    }
    if let Err(error) = crate::uploads::sweep_expired(state).await {
        tracing::error!(
            error = format!("{error:#}"),
            "sweeping expired uploads failed"
        );
    }
    if let Err(error) = zegel_store::senders::forget_expired(&state.db, state.now_ms()).await {
        tracing::error!(error = %error, "forgetting sender codes and sessions failed");
    }
    let day_ago = state.now_ms() - 86_400_000;
    if let Err(error) = zegel_store::portals::forget_windows(&state.db, day_ago).await {
        tracing::error!(error = %error, "forgetting rate windows failed");
    }
    let week_ago = state.now_ms() - zegel_store::gateway::IDEMPOTENCY_MS;
    if let Err(error) = zegel_store::gateway::forget_before(&state.db, week_ago).await {
        tracing::error!(error = %error, "forgetting gateway keys failed");
    }
}
