//! Intake: a sender's message becomes sealed blobs, sealed rows and its notifications in the outbox —
//! all or nothing. The one place messages are created, for the JSON API (multipart upload) and the SMTP
//! gateway alike: [`Upload`] seals files into the blob store as they arrive, [`check_policy`] refuses a
//! message less protected than the tenant's content policy forces, [`store`] writes everything in one
//! transaction. Any failure removes every blob written so far and leaves no row behind.

use zegel_core::api::ClientNotification;
use zegel_core::message::{Notify, ValidatedMessage};
use zegel_core::policy::Decision;
use zegel_core::{AuthLevel, Deliver};
use zegel_crypto::DataKey;

use crate::delivery::{self, NotifySpec};
use crate::{ServiceError, Services};
use zegel_mail::render;
use zegel_store::MessageStatus;
use zegel_store::audit::{self, AuditEvent};
use zegel_store::links;
use zegel_store::messages::{self, FileRow, NewMessage, NewRecipient, Purpose};
use zegel_vault::Blobs;
use zegel_vault::blobs::SealContext;
use zegel_vault::sealing::{MessageContent, field, seal_field};

/// The longest file name kept (in characters).
const MAX_FILE_NAME_CHARS: usize = 255;

/// Blobs written by a request that are removed unless the request succeeds.
struct PendingBlobs {
    blobs: Blobs,
    ids: Vec<String>,
    armed: bool,
}

impl Drop for PendingBlobs {
    fn drop(&mut self) {
        if self.armed {
            self.blobs.delete_soon(std::mem::take(&mut self.ids));
        }
    }
}

/// A file sealed into the blob store for a message being created.
#[derive(Debug, Clone)]
pub struct UploadedFile {
    /// The file's id.
    pub id: String,
    /// Its (cleaned) name.
    pub name: String,
    /// Its plaintext size.
    pub size: u64,
    /// Its sealed blob (in `tmp/` until the message is stored; in place for an upload's).
    pub blob_id: String,
    /// The finished resumable upload it is made of, taken in the message's transaction.
    pub from_upload: Option<crate::uploads::FromUpload>,
}

/// A message being created: its id, its data key and the files sealed so far (in `tmp/`, removed when
/// the upload is dropped without [`store`] succeeding).
pub struct Upload {
    /// The new message's id.
    pub message_id: String,
    key: DataKey,
    keyring: std::sync::Arc<zegel_crypto::Keyring>,
    tenant_id: String,
    pending: PendingBlobs,
    /// The files sealed so far, in order.
    pub files: Vec<UploadedFile>,
}

impl Upload {
    /// Starts a message of `tenant_id`.
    pub fn new(state: &Services, tenant_id: &str) -> Self {
        Self {
            message_id: zegel_crypto::random_id(),
            key: DataKey::generate(),
            keyring: state.keys.keyring(),
            tenant_id: tenant_id.to_owned(),
            pending: PendingBlobs {
                blobs: state.blobs.clone(),
                ids: Vec::new(),
                armed: true,
            },
            files: Vec::new(),
        }
    }

    /// Starts sealing one file; its blob is removed with the upload unless the message is stored.
    pub fn start_file(&mut self, state: &Services) -> (String, zegel_vault::Upload) {
        let file_id = zegel_crypto::random_id();
        let ctx = SealContext {
            tenant: self.tenant_id.clone(),
            message: self.message_id.clone(),
            file: file_id.clone(),
        };
        let upload = state
            .blobs
            .start_upload(self.keyring.clone(), &self.key, ctx);
        self.pending.ids.push(upload.blob_id().to_owned());
        (file_id, upload)
    }

    /// Makes a blob written elsewhere (still in `tmp/`) part of this upload: committed with the message,
    /// removed with it on failure.
    pub fn adopt_blob(&mut self, blob_id: String) {
        self.pending.ids.push(blob_id);
    }

    /// Seals a whole file held in memory (the SMTP gateway's attachments).
    pub async fn add_file(
        &mut self,
        state: &Services,
        name: Option<&str>,
        bytes: bytes::Bytes,
    ) -> Result<(), ServiceError> {
        let name = clean_file_name(name).unwrap_or_else(|_| "attachment".to_owned());
        let (id, mut upload) = self.start_file(state);
        let blob_id = upload.blob_id().to_owned();
        upload.write(bytes).await?;
        let size = upload.finish().await?;
        self.files.push(UploadedFile {
            id,
            name,
            size,
            blob_id,
            from_upload: None,
        });
        Ok(())
    }

    /// Adds a finished resumable upload as the next file: its blob stays where it is (it is neither
    /// copied nor re-encrypted, and not removed if the message fails); the upload is taken, once, in
    /// [`store`]'s transaction.
    pub fn add_upload(&mut self, upload: crate::uploads::FromUpload) -> &UploadedFile {
        self.files.push(UploadedFile {
            id: zegel_crypto::random_id(),
            name: upload.name.clone(),
            size: upload.size,
            blob_id: upload.blob_id.clone(),
            from_upload: Some(upload),
        });
        self.files.last().expect("just pushed")
    }
}

/// What [`store`] made of a message.
#[derive(Debug, Clone)]
pub struct Stored {
    /// The message id.
    pub id: String,
    /// When its links expire (Unix ms).
    pub expires_at: i64,
    /// The password the server generated (any delivery), shown once to the sender.
    pub shown_password: Option<String>,
    /// Two-factor recipients without a number: the message is held until the sender supplies them.
    pub missing: Vec<String>,
    /// With `"notify": "client"`: the notification the sender's client sends, with the message's link.
    pub notification: Option<ClientNotification>,
}

/// Who stores a message, for the audit trail: the event and actor of the entry written with it.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    /// Audit actor, e.g. `sender:arts@zorg.example`.
    pub actor: String,
    /// The client's IP address, when known.
    pub ip: Option<String>,
    /// The client's user agent, when known.
    pub user_agent: Option<String>,
    /// Extra audit events written in the same transaction (the gateway's `gateway.protected`).
    pub events: Vec<&'static str>,
    /// Extra outbox jobs written in the same transaction (the gateway's relay job for internal
    /// recipients of a split mail); their blobs must have been adopted by the upload.
    pub jobs: Vec<zegel_store::outbox::NewJob>,
    /// The gateway's idempotency key, recorded in the same transaction.
    pub idempotency_key: Option<String>,
    /// What the content filter found (sealed with the content; a held message's sender is told).
    pub found: Vec<zegel_core::policy::Shown>,
    /// A generated password e-mailed on request is a fresh one-time password per request (the gateway,
    /// whose sender never sees a password); otherwise it is made once, shown to the sender and e-mailed
    /// as it is.
    pub one_time_passwords: bool,
    /// The Internet Message-ID of the mail the message was made from (the gateway's), recorded as a
    /// hash so the sender's read pane finds the message.
    pub internet_message_id: Option<String>,
    /// What the message is for (a message unless said otherwise).
    pub purpose: Purpose,
    /// An upload request: what it accepts from each recipient.
    pub request_limits: Option<zegel_store::requests::RequestLimits>,
    /// Received files: where they come from and how the scanner judged them.
    pub received: Option<ReceivedFrom>,
    /// Who owns the finished uploads the message takes (the sender when `None`).
    pub upload_owner: Option<zegel_store::uploads::Owner>,
    /// A portal visit: the portal's id and the visitor's address hash, recorded in the same transaction.
    pub portal_visit: Option<(String, String)>,
    /// A reply: its place in the conversation, counted against the conversation's cap in the same
    /// transaction.
    pub reply: Option<ReplyOrigin>,
}

/// Where a reply stands in its conversation.
#[derive(Debug, Clone)]
pub struct ReplyOrigin {
    /// The message answered.
    pub parent_id: String,
    /// The conversation's first message.
    pub root_id: String,
    /// The recipient of the parent who wrote it.
    pub author_recipient_id: String,
    /// Who wrote it (shown as its sender).
    pub author_email: String,
    /// The most replies the conversation may have.
    pub max_replies: i64,
    /// Who sent the conversation's first message (their notice names it for the pane's read mode).
    pub root_sender: String,
}

/// Where received files come from (a `received` message's origin).
#[derive(Debug, Clone)]
pub struct ReceivedFrom {
    /// The upload request answered (none for an upload portal).
    pub request_id: Option<String>,
    /// The upload portal the files came through.
    pub portal_id: Option<String>,
    /// The request's recipient (or portal visitor) whose one answer this is.
    pub answers: Option<String>,
    /// The uploader's verified address.
    pub from_email: String,
    /// The uploader's language (of their confirmation).
    pub language: zegel_core::Language,
    /// The scanner's judgement: pending holds the message until it is scanned.
    pub scan: zegel_core::upload_request::ScanState,
}

impl ReceivedFrom {
    fn waits_for_scan(&self) -> bool {
        self.scan == zegel_core::upload_request::ScanState::Pending
    }
}

/// Whether `request` is as protected as any finding could ask for (then nothing needs scanning).
pub fn fully_protected(request: &ValidatedMessage) -> bool {
    zegel_core::policy::fully_protected(request.kind, request.auth.as_ref().map(|a| a.level))
}

/// Refuses a message less protected than the policy forces ([`ServiceError::Policy`]), before anything is
/// stored.
pub fn check_policy(decision: &Decision, request: &ValidatedMessage) -> Result<(), ServiceError> {
    match &decision.required {
        Some(required)
            if !required.met_by(request.kind, request.auth.as_ref().map(|a| a.level)) =>
        {
            let kinds: Vec<&str> = required.found.iter().map(|f| f.kind.as_str()).collect();
            tracing::info!(found = ?kinds, "message refused: less protected than the content policy forces");
            Err(ServiceError::Policy(required.clone()))
        }
        _ => Ok(()),
    }
}

/// Stores a validated message with its sealed files — the one place the API and the SMTP gateway
/// create messages: blobs into place, then one transaction with the rows, phone numbers, audit entry
/// and either the notifications or (two-factor recipients without a number) the sender's request for
/// them. Any failure removes the upload's blobs.
pub async fn store(
    state: &Services,
    user: &zegel_store::tenants::User,
    settings: &zegel_core::settings::TenantSettings,
    request: &ValidatedMessage,
    upload: Upload,
    origin: &Origin,
) -> Result<Stored, ServiceError> {
    let Upload {
        message_id,
        key,
        keyring,
        mut pending,
        files,
        ..
    } = upload;
    let auth = request.auth.clone();
    let two_factor = auth.as_ref().is_some_and(|a| a.level == AuthLevel::TwoFa);
    // Two-factor recipients need a mobile number: the one the sender gives (for this message only: it
    // never replaces the remembered one, see `phones`), else the remembered one. Without either, the
    // message is held until the sender supplies it.
    let mut numbers: Vec<Option<String>> = Vec::with_capacity(request.recipients.len());
    if two_factor {
        let country = crate::settings::sms_default_country(state, &user.tenant_id).await?;
        for (i, recipient) in request.recipients.iter().enumerate() {
            let number = match recipient.phone.as_deref().filter(|p| !p.trim().is_empty()) {
                Some(raw) => {
                    let e164 = crate::phones::normalize(raw, &country).map_err(|e| {
                        ServiceError::invalid(
                            format!("recipients[{i}].phone"),
                            format!("{}: {e}", recipient.email),
                        )
                    })?;
                    Some(e164)
                }
                None => crate::phones::remembered(state, &user.tenant_id, &recipient.email)
                    .await
                    .map_err(ServiceError::internal)?,
            };
            numbers.push(number);
        }
    } else if let Some(i) = request.recipients.iter().position(|r| r.phone.is_some()) {
        return Err(ServiceError::invalid(
            format!("recipients[{i}].phone"),
            "phone numbers are for 2fa messages only",
        ));
    }
    let missing: Vec<String> = request
        .recipients
        .iter()
        .zip(numbers.iter().chain(std::iter::repeat(&None)))
        .filter(|(_, number)| two_factor && number.is_none())
        .map(|(r, _)| r.email.clone())
        .collect();
    // The password a recipient will need: a generated one is returned once, for the sender to see
    // (and to tell, with "send via: other"); every fixed password is kept as a hash, and sealed too
    // when Zegel must e-mail it.
    let mut shown_password = None;
    let seal_password = |password: &str| {
        seal_field(
            &keyring,
            &key,
            &user.tenant_id,
            &message_id,
            field::PASSWORD,
            password.as_bytes(),
        )
    };
    let (password_hash, sealed_password) = match &auth {
        // Two-factor recipients get SMS codes, no password.
        Some(auth) if auth.level == AuthLevel::TwoFa => (None, None),
        Some(auth) => match (&auth.custom_password, auth.deliver) {
            (None, Deliver::Email) if origin.one_time_passwords => (None, None),
            (None, Deliver::Email) => {
                let password = zegel_crypto::generated_password();
                let hash = hash_password(state, &password).await?;
                let sealed = seal_password(&password);
                shown_password = Some(password);
                (Some(hash), Some(sealed))
            }
            (None, Deliver::Other) => {
                let password = zegel_crypto::generated_password();
                let hash = hash_password(state, &password).await?;
                shown_password = Some(password);
                (Some(hash), None)
            }
            (Some(custom), Deliver::Email) => (
                Some(hash_password(state, custom).await?),
                Some(seal_password(custom)),
            ),
            (Some(custom), Deliver::Other) => (Some(hash_password(state, custom).await?), None),
        },
        None => (None, None),
    };

    let now = state.now_ms();
    let expires_at = now + i64::from(request.expires_in_days) * 86_400_000;
    let content = MessageContent {
        subject: request.subject.clone(),
        body_text: request.body_text.clone(),
        body_html: request.body_html.clone(),
        subject_hidden: settings.hide_subject,
        found: origin.found.clone(),
        from: origin
            .received
            .as_ref()
            .map(|r| r.from_email.clone())
            .or_else(|| origin.reply.as_ref().map(|r| r.author_email.clone())),
        listed_files: if request.file_names_in_notification {
            files.iter().map(|f| (f.name.clone(), f.size)).collect()
        } else {
            Vec::new()
        },
    };
    let waits_for_scan = origin
        .received
        .as_ref()
        .is_some_and(ReceivedFrom::waits_for_scan);
    let content_json = serde_json::to_vec(&content).expect("content serialises");
    let message = NewMessage {
        purpose: origin.purpose,
        id: message_id.clone(),
        tenant_id: user.tenant_id.clone(),
        sender_id: user.id.clone(),
        kind: request.kind,
        auth_level: auth.as_ref().map(|a| a.level),
        deliver: auth.as_ref().map(|a| a.deliver.as_str().to_owned()),
        password_hash,
        sealed_password,
        language: request.language.code().to_owned(),
        wrapped_key: keyring.wrap(&key).to_vec(),
        sealed_content: seal_field(
            &keyring,
            &key,
            &user.tenant_id,
            &message_id,
            field::CONTENT,
            &content_json,
        ),
        max_downloads: request.max_downloads.map(i64::from),
        status: if missing.is_empty() && !waits_for_scan {
            MessageStatus::Active
        } else {
            MessageStatus::Held
        },
        created_at: now,
        expires_at,
        notify_downloads: origin.purpose == Purpose::Message
            && request
                .notify_on_download
                .unwrap_or(settings.notify_sender_on_download),
    };
    let file_rows: Vec<FileRow> = files
        .iter()
        .enumerate()
        .map(|(position, file)| FileRow {
            id: file.id.clone(),
            message_id: message_id.clone(),
            position: position as i64,
            sealed_name: seal_field(
                &keyring,
                &key,
                &user.tenant_id,
                &message_id,
                &field::file_name(&file.id),
                file.name.as_bytes(),
            ),
            size: file.size as i64,
            blob_id: file.blob_id.clone(),
            blocked: false,
            sealed_as: file.from_upload.as_ref().map(|u| u.sealed_as.clone()),
            segments: file
                .from_upload
                .as_ref()
                .and_then(|u| crate::uploads::encode_segments(&u.segments)),
        })
        .collect();

    let mut recipients = Vec::with_capacity(request.recipients.len());
    let mut phones = Vec::new();
    for (i, recipient) in request.recipients.iter().enumerate() {
        let recipient_id = zegel_crypto::random_id();
        if let Some(Some(number)) = numbers.get(i) {
            let field = crate::phones::field(&recipient_id);
            phones.push((
                recipient_id.clone(),
                seal_field(
                    &keyring,
                    &key,
                    &user.tenant_id,
                    &message_id,
                    &field,
                    number.as_bytes(),
                ),
            ));
        }
        recipients.push(NewRecipient {
            id: recipient_id,
            message_id: message_id.clone(),
            email: recipient.email.clone(),
            kind: recipient.kind.as_str().to_owned(),
            // A placeholder nobody holds the token of: each notification sets a fresh one.
            token_hash: zegel_crypto::hash_token(&zegel_crypto::random_token()).to_vec(),
        });
    }
    let spec = NotifySpec {
        conversation: origin
            .reply
            .as_ref()
            .map(|r| (r.root_id.clone(), r.root_sender.clone())),
        files: content.listed_files.clone(),
        language: request.language,
        kind: request.kind,
        subject: request.subject.clone(),
        body_text: request.body_text.clone(),
        sender_email: user.email.clone(),
        expires_at,
        settings: settings.clone(),
        purpose: origin.purpose,
        uploader: origin
            .received
            .as_ref()
            .map(|r| (r.from_email.clone(), files.len()))
            .or_else(|| {
                origin
                    .reply
                    .as_ref()
                    .map(|r| (r.author_email.clone(), files.len()))
            }),
    };

    // With "notify": "client" the sender's client tells the recipients, with one link for the message.
    let client_notified = request.notify == Some(Notify::Client);
    let message_link = client_notified.then(|| {
        let token = zegel_crypto::random_token();
        let link = format!("{}/{}/{token}", state.site.base_url(), spec.link_path());
        (zegel_crypto::hash_token(&token), link)
    });
    let notification = message_link.as_ref().map(|(_, link)| {
        let mail = spec.mail(state, link, "");
        ClientNotification {
            subject: mail.subject,
            text: mail.text,
            html: mail.html.unwrap_or_default(),
            link: link.clone(),
        }
    });

    // Blobs go into place first: a crash after this leaves only unreferenced ciphertext, never a row
    // pointing at a missing blob.
    state.blobs.commit(&pending.ids).await?;
    let mut tx = state.db.pool.begin().await?;
    // Each upload is used once: taking it removes its row, so a second message (or a parallel one)
    // naming it fails here and rolls back.
    let owner = origin
        .upload_owner
        .clone()
        .unwrap_or_else(|| zegel_store::uploads::Owner::Sender(user.id.clone()));
    for upload in files.iter().filter_map(|f| f.from_upload.as_ref()) {
        if zegel_store::uploads::take_complete(&mut tx, &upload.upload_id, &owner, now)
            .await?
            .is_none()
        {
            return Err(ServiceError::Conflict(format!(
                "upload {} was used already, deleted or expired",
                upload.upload_id
            )));
        }
    }
    messages::insert_message(&mut tx, &message, &file_rows, &recipients).await?;
    if let Some(reply) = &origin.reply {
        let Some(position) =
            zegel_store::replies::claim(&mut tx, &reply.root_id, reply.max_replies).await?
        else {
            return Err(ServiceError::Conflict(format!(
                "this conversation has its {} replies already",
                reply.max_replies
            )));
        };
        let row = zegel_store::replies::ReplyRow {
            message_id: message_id.clone(),
            parent_id: reply.parent_id.clone(),
            root_id: reply.root_id.clone(),
            author_recipient_id: reply.author_recipient_id.clone(),
            position,
            created_at: now,
        };
        zegel_store::replies::insert(&mut tx, &row).await?;
    }
    if let Some((portal_id, email_hash)) = &origin.portal_visit {
        zegel_store::portals::insert_visit(&mut tx, &message_id, portal_id, email_hash, now)
            .await?;
    }
    if let Some(limits) = &origin.request_limits {
        zegel_store::requests::insert_request(&mut tx, &message_id, limits).await?;
    }
    if let Some(received) = &origin.received {
        let row = zegel_store::requests::NewReceived {
            message_id: message_id.clone(),
            request_id: received.request_id.clone(),
            answers: received.answers.clone(),
            portal_id: received.portal_id.clone(),
            from_email: received.from_email.clone(),
            scan: received.scan.as_str().to_owned(),
            created_at: now,
        };
        if !zegel_store::requests::insert_received(&mut tx, &row).await? {
            return Err(ServiceError::Conflict(
                "files were sent for this request already".into(),
            ));
        }
    }
    for (recipient_id, sealed) in &phones {
        zegel_store::phones::set_recipient_phone(&mut tx, recipient_id, sealed).await?;
    }
    if let (Some((token_hash, _)), Some(first)) = (&message_link, recipients.first()) {
        links::insert_message_link(&mut tx, token_hash, &message_id, &first.id).await?;
    }
    if let Some(id) = &origin.internet_message_id {
        links::insert_internet_id(&mut tx, &message_id, &internet_id_hash(id)).await?;
    }
    if client_notified && missing.is_empty() {
        // The sender's client sends the only notification.
    } else if origin.purpose == Purpose::PortalVisit {
        // The visitor is on the portal's page: they ask for their code there.
    } else if waits_for_scan {
        // Nobody hears of files before the malware scanner judged them (`requests::judge_pending`).
    } else if missing.is_empty() {
        let all: Vec<(String, String)> = recipients
            .iter()
            .map(|r| (r.id.clone(), r.email.clone()))
            .collect();
        delivery::enqueue_notifications(&mut tx, state, &keyring, &spec, &all, now).await?;
    } else {
        delivery::enqueue_phone_request(
            &mut tx,
            state,
            &keyring,
            &message_id,
            &spec,
            &missing,
            &origin.found,
            now,
        )
        .await?;
    }
    // The sender's confirmation, once the message went out (a held one sends its phone request).
    if let (Some(received), false) = (&origin.received, waits_for_scan) {
        let addresses: Vec<&str> = recipients.iter().map(|r| r.email.as_str()).collect();
        let mail = crate::requests::uploader_confirmation(
            state,
            settings,
            received,
            &addresses.join(", "),
            &files
                .iter()
                .map(|f| (f.name.clone(), f.size))
                .collect::<Vec<_>>(),
        );
        zegel_outbox::enqueue_email(
            &mut tx,
            &keyring,
            zegel_store::JobPurpose::SenderNotice,
            None,
            mail,
            now,
        )
        .await?;
    }
    if missing.is_empty()
        && origin.purpose == Purpose::Message
        && request
            .confirm_to_sender
            .unwrap_or(settings.confirm_to_sender)
    {
        let addresses: Vec<String> = recipients.iter().map(|r| r.email.clone()).collect();
        let names: Vec<(String, u64)> = files.iter().map(|f| (f.name.clone(), f.size)).collect();
        let mail = render::sender_confirmation(
            &render::Sent {
                language: settings.languages.first().copied().unwrap_or_default(),
                subject: if settings.hide_subject {
                    ""
                } else {
                    &request.subject
                },
                recipients: &addresses,
                files: &names,
                expires_at,
                timezone: &state.site.timezone,
            },
            &user.email,
            &crate::settings::notification_from(settings, &state.site.mail_from),
            &crate::settings::look(settings),
        );
        zegel_outbox::enqueue_email(
            &mut tx,
            &keyring,
            zegel_store::JobPurpose::SenderNotice,
            None,
            mail,
            now,
        )
        .await?;
    }
    for job in &origin.jobs {
        zegel_store::outbox::enqueue(&mut tx, job, now).await?;
    }
    if let Some(key) = &origin.idempotency_key {
        zegel_store::gateway::remember(&mut tx, key, &user.tenant_id, now).await?;
    }
    let main_event = match origin.purpose {
        Purpose::UploadRequest => "upload_request.created",
        Purpose::PortalVisit => "portal.visit_started",
        Purpose::Reply => "reply.created",
        Purpose::Received if waits_for_scan => "files.held_for_scan",
        Purpose::Received => "files.received",
        Purpose::Message if missing.is_empty() => "message.created",
        Purpose::Message => "message.held",
    };
    for event in origin.events.iter().copied().chain([main_event]) {
        audit::append_in(
            &mut tx,
            state.db.backend,
            now,
            &AuditEvent {
                tenant_id: Some(&user.tenant_id),
                message_id: Some(&message_id),
                actor: origin.actor.clone(),
                event,
                ip: origin.ip.clone(),
                user_agent: origin.user_agent.clone(),
                ..Default::default()
            },
        )
        .await?;
    }
    tx.commit().await?;
    pending.armed = false;
    state.outbox_wakeup.notify_one();
    Ok(Stored {
        id: message_id,
        expires_at,
        shown_password,
        missing,
        notification,
    })
}

/// Hashes a password under the server's hashing budget (Argon2id needs tens of MiB each).
async fn hash_password(state: &Services, password: &str) -> Result<String, ServiceError> {
    state
        .password_budget
        .hash(password)
        .await
        .map_err(ServiceError::internal)
}

/// The hash an Internet Message-ID is stored and looked up by: SHA-256 (hex) of the id without
/// surrounding whitespace and angle brackets, so `<a@b>` from Outlook and `a@b` from a parser agree.
pub fn internet_id_hash(id: &str) -> String {
    use sha2::{Digest, Sha256};
    let id = id.trim();
    let id = id.strip_prefix('<').unwrap_or(id);
    let id = id.strip_suffix('>').unwrap_or(id);
    Sha256::digest(id.trim().as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The name a file part is kept under: the last path component, without control characters, at most
/// 255 characters; refused (naming the `file` field) when nothing usable is left.
pub fn clean_file_name(name: Option<&str>) -> Result<String, ServiceError> {
    let name =
        name.ok_or_else(|| ServiceError::invalid("file", "every file part needs a filename"))?;
    // Browsers may send a path; only the last component is the name. Control characters never belong
    // in a name that ends up in a Content-Disposition header and a ZIP entry.
    let base = name.rsplit(['/', '\\']).next().unwrap_or("").trim();
    if base.is_empty() || base == "." || base == ".." {
        return Err(ServiceError::invalid(
            "file",
            format!("'{name}' is not a usable file name"),
        ));
    }
    if base.chars().any(char::is_control) {
        return Err(ServiceError::invalid(
            "file",
            "file names must not contain control characters",
        ));
    }
    if base.chars().count() > MAX_FILE_NAME_CHARS {
        return Err(ServiceError::invalid(
            "file",
            format!("file names are limited to {MAX_FILE_NAME_CHARS} characters"),
        ));
    }
    Ok(base.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_cleaned() {
        assert_eq!(
            clean_file_name(Some("C:\\Users\\jan\\brief.pdf")).unwrap(),
            "brief.pdf"
        );
        assert_eq!(clean_file_name(Some("../../etc/passwd")).unwrap(), "passwd");
        assert_eq!(
            clean_file_name(Some("rapport 2024 (def).docx")).unwrap(),
            "rapport 2024 (def).docx"
        );
        assert!(clean_file_name(None).is_err());
        assert!(clean_file_name(Some("dir/")).is_err());
        assert!(clean_file_name(Some("a\r\nb.txt")).is_err());
        assert!(clean_file_name(Some(&"x".repeat(300))).is_err());
    }
}
