//! Asking for files (seed 001 §6.1): a sender's upload request, its recipients' answers, and the files
//! they send.
//!
//! An upload request is a message (purpose `upload_request`) whose body is the sender's explanation: its
//! recipients get links to `/u/<token>`, prove their address with a six-digit code (the access rules of
//! every message: throttles, locks, sessions) and upload with tus under that session (uploads owned by
//! the `visitor`). [`submit`] checks the files (count, size, kind by content), scans them with clamd and
//! delivers them to the sender as a message of its own (purpose `received`, sealed like any other), in
//! one transaction with the `received` row whose unique `answers` makes each recipient's answer one use.
//! When clamd cannot be reached, the files wait, held, until [`judge_pending`] scans them: nothing is
//! delivered unscanned.

use std::io;

use bytes::Bytes;
use futures_util::StreamExt;
use zegel_core::api::ClientNotification;
use zegel_core::message::{ValidatedAuth, ValidatedMessage, ValidatedRecipient};
use zegel_core::settings::TenantSettings;
use zegel_core::upload_request::{
    AnswerStatus, FileType, ReceivedFile, RequestAnswer, ScanState, Submitted, UploadRequestStatus,
    ValidatedUploadRequest,
};
use zegel_core::{AuthLevel, Deliver, Language, MessageKind, RecipientKind};
use zegel_store::messages::{Access, Purpose};
use zegel_store::requests::{self as store, RequestLimits};
use zegel_store::uploads::Owner;

use crate::access::{self, AccessError, Download};
use crate::intake::{self, Origin, ReceivedFrom};
use crate::malware::{ScanError, Verdict};
use crate::uploads::FromUpload;
use crate::{ClientInfo, ServiceError, Services};

/// How many held deliveries one round of [`judge_pending`] scans.
const PENDING_PER_ROUND: i64 = 20;

/// What [`create`] made.
#[derive(Debug, Clone)]
pub struct Created {
    /// The request's id.
    pub id: String,
    /// When its links expire (Unix ms).
    pub expires_at: i64,
    /// The addresses asked.
    pub recipients: Vec<String>,
    /// With `"notify": "client"`: the mail the sender's client sends.
    pub notification: Option<ClientNotification>,
}

/// Sends an upload request: a message of purpose `upload_request` whose recipients are mailed their
/// upload link (or, with `"notify": "client"`, one link for the sender's own mail).
pub async fn create(
    state: &Services,
    user: &zegel_store::tenants::User,
    settings: &TenantSettings,
    request: ValidatedUploadRequest,
    client: &ClientInfo,
) -> Result<Created, ServiceError> {
    if !settings.languages.contains(&request.language) {
        let offered: Vec<&str> = settings.languages.iter().map(|l| l.code()).collect();
        return Err(ServiceError::invalid(
            "language",
            format!("this organisation offers {}", offered.join(", ")),
        ));
    }
    let message = ValidatedMessage {
        subject: String::new(),
        body_text: Some(request.message.clone()).filter(|m| !m.trim().is_empty()),
        body_html: None,
        recipients: request
            .recipients
            .iter()
            .map(|email| ValidatedRecipient {
                email: email.clone(),
                kind: RecipientKind::To,
                phone: None,
            })
            .collect(),
        kind: MessageKind::SecureMessage,
        // The recipient proves their address with a code e-mailed on request.
        auth: Some(ValidatedAuth {
            level: AuthLevel::OneFa,
            custom_password: None,
            deliver: Deliver::Email,
        }),
        expires_in_days: request.expires_in_days,
        max_downloads: None,
        language: request.language,
        notify: request.notify,
        uploads: Vec::new(),
        confirm_to_sender: Some(false),
        notify_on_download: Some(false),
        file_names_in_notification: false,
    };
    let origin = Origin {
        actor: format!("sender:{}", user.email),
        ip: client.ip.clone(),
        user_agent: client.user_agent.clone(),
        one_time_passwords: true,
        purpose: Purpose::UploadRequest,
        request_limits: Some(RequestLimits {
            allowed_types: request
                .allowed_types
                .iter()
                .map(|t| t.as_str())
                .collect::<Vec<_>>()
                .join(","),
            max_files: i64::from(request.max_files),
            max_bytes: i64::try_from(request.max_bytes).map_err(ServiceError::internal)?,
        }),
        ..Origin::default()
    };
    let upload = intake::Upload::new(state, &user.tenant_id);
    let stored = intake::store(state, user, settings, &message, upload, &origin).await?;
    Ok(Created {
        id: stored.id,
        expires_at: stored.expires_at,
        recipients: request.recipients,
        notification: stored.notification,
    })
}

/// The kinds an upload request accepts (empty: any recognised kind).
fn allowed_types(limits: &RequestLimits) -> Vec<FileType> {
    limits
        .allowed_types
        .split(',')
        .filter_map(FileType::parse)
        .collect()
}

/// What the recipient of an upload request sees after proving their address: what is asked, how much,
/// and whether they answered already.
#[derive(Debug, Clone)]
pub struct RequestView {
    /// The sender who asks.
    pub sender: String,
    /// The sender's explanation.
    pub message: Option<String>,
    /// Accepted kinds (empty: any recognised kind).
    pub allowed_types: Vec<FileType>,
    /// Files allowed.
    pub max_files: u32,
    /// Bytes allowed in all.
    pub max_bytes: u64,
    /// The recipient sent their files already (one use).
    pub answered: bool,
    /// When the link expires (Unix ms).
    pub expires_at: i64,
}

/// The request as its recipient sees it (no side effects).
pub async fn view(state: &Services, access: &Access) -> Result<RequestView, AccessError> {
    let limits = store::request_limits(&state.db, &access.message_id)
        .await?
        .ok_or(AccessError::Unavailable)?;
    let content = access::content(state, access)?;
    Ok(RequestView {
        sender: access.sender_email.clone(),
        message: content.body_text,
        allowed_types: allowed_types(&limits),
        max_files: u32::try_from(limits.max_files).unwrap_or(u32::MAX),
        max_bytes: u64::try_from(limits.max_bytes).unwrap_or_default(),
        answered: store::answered(&state.db, &access.recipient_id).await?,
        expires_at: access.expires_at,
    })
}

/// The owner of the uploads a request's recipient makes under their session.
pub fn visitor(access: &Access) -> Owner {
    Owner::Visitor(access.recipient_id.clone())
}

/// The first bytes of a prepared upload's plaintext (for judging its kind).
async fn head_of(state: &Services, tenant_id: &str, upload: &FromUpload) -> io::Result<Vec<u8>> {
    let mut plain = std::pin::pin!(crate::uploads::plaintext(state, tenant_id, upload));
    let mut head = Vec::new();
    while head.len() < zegel_dlp::file_type::HEAD_BYTES {
        match plain.next().await {
            Some(chunk) => head.extend_from_slice(&chunk?),
            None => break,
        }
    }
    head.truncate(zegel_dlp::file_type::HEAD_BYTES);
    Ok(head)
}

/// Scans files with clamd: clean, the name of the first infected one (with the signature), or
/// unavailable (the files wait).
enum Judgement {
    Clean,
    Infected { file: String, signature: String },
    Unavailable(String),
}

/// A file to scan: its name, size and plaintext.
type ToScan = (
    String,
    u64,
    futures_util::stream::BoxStream<'static, io::Result<Bytes>>,
);

async fn judge(state: &Services, files: Vec<ToScan>) -> Judgement {
    let Some(clamd) = &state.clamd else {
        return Judgement::Clean;
    };
    for (name, size, body) in files {
        match clamd.scan(body, size).await {
            Ok(Verdict::Clean) => {}
            Ok(Verdict::Infected(signature)) => {
                return Judgement::Infected {
                    file: name,
                    signature,
                };
            }
            Err(error @ (ScanError::Unavailable(_) | ScanError::Refused(_))) => {
                return Judgement::Unavailable(error.to_string());
            }
        }
    }
    Judgement::Clean
}

/// A recipient of an upload request sends their files: finished uploads made under their session, and
/// an optional message. The files must fit the request (count, bytes, kinds by content) and pass the
/// malware scanner; then they are delivered to the sender, once. When clamd is unreachable they are
/// stored, held, and delivered after a later scan.
pub async fn submit(
    state: &Services,
    access: &Access,
    upload_ids: &[String],
    message: Option<String>,
    client: &ClientInfo,
) -> Result<Submitted, ServiceError> {
    if access.purpose != Purpose::UploadRequest {
        return Err(ServiceError::NotFound);
    }
    let limits = store::request_limits(&state.db, &access.message_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let delivery = Delivery {
        staff: vec![access.sender_email.clone()],
        request_id: Some(access.message_id.clone()),
        portal_id: None,
    };
    receive(
        state, access, &limits, upload_ids, message, delivery, client,
    )
    .await
}

/// Where received files go.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The members of staff who get them (the first owns the delivery).
    pub staff: Vec<String>,
    /// The upload request answered.
    pub request_id: Option<String>,
    /// The upload portal they came through.
    pub portal_id: Option<String>,
}

/// Receives files from `uploader` (a request's recipient or a portal's visitor, with a session): checks
/// them against `limits` (count, bytes, kinds by content), scans them, and delivers them to `delivery`'s
/// staff as a `received` message, once per `uploader`.
pub async fn receive(
    state: &Services,
    uploader: &Access,
    limits: &RequestLimits,
    upload_ids: &[String],
    message: Option<String>,
    delivery: Delivery,
    client: &ClientInfo,
) -> Result<Submitted, ServiceError> {
    let access = uploader;
    if store::answered(&state.db, &access.recipient_id).await? {
        return Err(ServiceError::Conflict(
            "files were sent for this request already".into(),
        ));
    }
    let message = message.filter(|m| !m.trim().is_empty());
    if message
        .as_ref()
        .is_some_and(|m| m.len() > zegel_core::upload_request::MAX_MESSAGE_BYTES)
    {
        return Err(ServiceError::invalid(
            "message",
            format!(
                "is longer than {} bytes",
                zegel_core::upload_request::MAX_MESSAGE_BYTES
            ),
        ));
    }
    if upload_ids.is_empty() {
        return Err(ServiceError::invalid("uploads", "add at least one file"));
    }
    if upload_ids.len() as i64 > limits.max_files {
        return Err(ServiceError::invalid(
            "uploads",
            format!("at most {} files", limits.max_files),
        ));
    }
    let allowed = allowed_types(limits);
    let owner = visitor(access);
    let mut prepared = Vec::with_capacity(upload_ids.len());
    let mut kinds = Vec::with_capacity(upload_ids.len());
    let mut total: u64 = 0;
    for (i, id) in upload_ids.iter().enumerate() {
        let field = format!("uploads[{i}]");
        if upload_ids[..i].contains(id) {
            return Err(ServiceError::invalid(field, "names the same upload twice"));
        }
        let upload = crate::uploads::prepare(state, &owner, id, &field).await?;
        total += upload.size;
        if total > u64::try_from(limits.max_bytes).unwrap_or_default() {
            return Err(ServiceError::invalid(
                "uploads",
                format!(
                    "the files are larger than the {} bytes allowed",
                    limits.max_bytes
                ),
            ));
        }
        let head = head_of(state, &access.tenant_id, &upload)
            .await
            .map_err(ServiceError::internal)?;
        let kind = zegel_dlp::file_type::detect(&upload.name, &head);
        match kind {
            Some(kind) if allowed.is_empty() || allowed.contains(&kind) => {}
            _ => {
                let accepted: Vec<&str> = if allowed.is_empty() {
                    FileType::ALL.iter().map(|t| t.as_str()).collect()
                } else {
                    allowed.iter().map(|t| t.as_str()).collect()
                };
                return Err(ServiceError::invalid(
                    field,
                    format!(
                        "{} is not a kind of file this request accepts ({}), judged by its content",
                        upload.name,
                        accepted.join(", ")
                    ),
                ));
            }
        }
        kinds.push(kind);
        prepared.push(upload);
    }
    // Malware first: an infected file is refused, and the uploader can take it out and send again.
    let scan = if state.clamd.is_none() {
        ScanState::Unscanned
    } else {
        let streams = prepared
            .iter()
            .map(|u| {
                (
                    u.name.clone(),
                    u.size,
                    crate::uploads::plaintext(state, &access.tenant_id, u).boxed(),
                )
            })
            .collect();
        match judge(state, streams).await {
            Judgement::Clean => ScanState::Clean,
            Judgement::Infected { file, signature } => {
                tracing::warn!(signature = %signature, "an uploaded file is infected");
                audit(state, access, "files.infected", client).await?;
                return Err(ServiceError::Infected { file });
            }
            Judgement::Unavailable(reason) => {
                tracing::warn!(reason = %reason, "clamd unavailable: received files wait for it");
                ScanState::Pending
            }
        }
    };
    let settings = crate::settings::effective(state, &access.tenant_id).await?;
    let first = delivery
        .staff
        .first()
        .ok_or_else(|| ServiceError::internal(anyhow::anyhow!("a delivery without staff")))?;
    let staff =
        zegel_store::tenants::ensure_user(&state.db, &access.tenant_id, first, state.now_ms())
            .await?;
    let mut upload = intake::Upload::new(state, &access.tenant_id);
    let files: Vec<ReceivedFile> = prepared
        .into_iter()
        .zip(kinds)
        .map(|(from, file_type)| {
            let file = upload.add_upload(from);
            ReceivedFile {
                id: file.id.clone(),
                name: file.name.clone(),
                size: file.size,
                file_type,
            }
        })
        .collect();
    let files_message = ValidatedMessage {
        subject: String::new(),
        body_text: message,
        body_html: None,
        recipients: delivery
            .staff
            .iter()
            .map(|email| ValidatedRecipient {
                email: email.clone(),
                kind: RecipientKind::To,
                phone: None,
            })
            .collect(),
        kind: MessageKind::SecureMessage,
        auth: Some(ValidatedAuth {
            level: AuthLevel::OneFa,
            custom_password: None,
            deliver: Deliver::Email,
        }),
        expires_in_days: settings.expiry_days.default,
        max_downloads: None,
        language: staff_language(&settings),
        notify: None,
        uploads: Vec::new(),
        confirm_to_sender: Some(false),
        notify_on_download: Some(false),
        file_names_in_notification: false,
    };
    let origin = Origin {
        actor: format!("recipient:{}", access.email),
        ip: client.ip.clone(),
        user_agent: client.user_agent.clone(),
        one_time_passwords: true,
        purpose: Purpose::Received,
        received: Some(ReceivedFrom {
            request_id: delivery.request_id.clone(),
            portal_id: delivery.portal_id.clone(),
            answers: Some(access.recipient_id.clone()),
            from_email: access.email.clone(),
            language: access::language(access),
            scan,
        }),
        upload_owner: Some(owner),
        ..Origin::default()
    };
    intake::store(state, &staff, &settings, &files_message, upload, &origin).await?;
    Ok(Submitted {
        status: if scan == ScanState::Pending {
            AnswerStatus::Scanning
        } else {
            AnswerStatus::Delivered
        },
        files,
    })
}

/// The language of mails to staff: the tenant's first.
fn staff_language(settings: &TenantSettings) -> Language {
    settings.languages.first().copied().unwrap_or_default()
}

/// The uploader's confirmation of delivered files (rendered for [`intake::store`] and [`judge_pending`]).
pub fn uploader_confirmation(
    state: &Services,
    settings: &TenantSettings,
    received: &ReceivedFrom,
    staff_email: &str,
    files: &[(String, u64)],
) -> zegel_mail::OutgoingEmail {
    zegel_mail::render::upload_sent(
        received.language,
        staff_email,
        files,
        &received.from_email,
        &crate::settings::notification_from(settings, &state.site.mail_from),
        &crate::settings::look(settings),
    )
}

async fn audit(
    state: &Services,
    access: &Access,
    event: &str,
    client: &ClientInfo,
) -> Result<(), ServiceError> {
    zegel_store::audit::append(
        &state.db,
        state.now_ms(),
        &zegel_store::audit::AuditEvent {
            tenant_id: Some(&access.tenant_id),
            message_id: Some(&access.message_id),
            actor: format!("recipient:{}", access.email),
            event,
            ip: client.ip.clone(),
            user_agent: client.user_agent.clone(),
            ..Default::default()
        },
    )
    .await?;
    Ok(())
}

/// The one recipient of a `received` message: the member of staff the files are for.
async fn staff_access(state: &Services, message_id: &str) -> Result<Access, ServiceError> {
    let recipients = zegel_store::tracking::recipients(&state.db, message_id).await?;
    let first = recipients.first().ok_or(ServiceError::NotFound)?;
    zegel_store::messages::access_by_recipient(&state.db, &first.id)
        .await?
        .ok_or(ServiceError::NotFound)
}

/// One round of the malware scanner over held deliveries: clean ones are released (the sender's notice
/// and the uploader's confirmation go out), infected ones refused (the uploader is told and may send
/// again), and those clamd still cannot scan stay held. Each delivery is judged by one instance.
pub async fn judge_pending(state: &Services) -> anyhow::Result<usize> {
    if state.clamd.is_none() {
        return Ok(0);
    }
    let mut released = 0;
    for pending in store::pending_scans(&state.db, PENDING_PER_ROUND).await? {
        let staff = staff_access(state, &pending.message_id).await?;
        let files = access::files_and_withdrawn(state, &staff).await?.0;
        let streams = files
            .iter()
            .map(|(file, name)| {
                (
                    name.clone(),
                    u64::try_from(file.size).unwrap_or_default(),
                    access::plaintext(state, &staff, file).boxed(),
                )
            })
            .collect();
        let judgement = judge(state, streams).await;
        let settings = crate::settings::effective(state, &pending.tenant_id).await?;
        let request = match &pending.answers {
            Some(recipient) => zegel_store::messages::access_by_recipient(&state.db, recipient)
                .await?
                .map(|a| access::language(&a)),
            None => None,
        };
        let received = ReceivedFrom {
            request_id: None,
            portal_id: None,
            answers: pending.answers.clone(),
            from_email: pending.from_email.clone(),
            language: request.unwrap_or_else(|| staff_language(&settings)),
            scan: ScanState::Pending,
        };
        let now = state.now_ms();
        let keyring = state.keys.keyring();
        match judgement {
            Judgement::Unavailable(reason) => {
                tracing::info!(reason = %reason, "received files still wait for clamd");
                store::count_scan_try(&state.db, &pending.message_id).await?;
            }
            Judgement::Infected { file, signature } => {
                tracing::warn!(signature = %signature, "held received files are infected");
                let mail = zegel_mail::render::upload_refused(
                    received.language,
                    &file,
                    &staff.email,
                    &received.from_email,
                    &crate::settings::notification_from(&settings, &state.site.mail_from),
                    &crate::settings::look(&settings),
                );
                let mut tx = state.db.pool.begin().await?;
                if store::judge(&mut tx, &pending.message_id, ScanState::Infected.as_str()).await? {
                    store::release_answer(&mut tx, &pending.message_id).await?;
                    zegel_outbox::enqueue_email(
                        &mut tx,
                        &keyring,
                        zegel_store::JobPurpose::SenderNotice,
                        None,
                        mail,
                        now,
                    )
                    .await?;
                    tx.commit().await?;
                    audit_message(state, &staff, "files.infected").await?;
                }
            }
            Judgement::Clean => {
                let names: Vec<(String, u64)> = files
                    .iter()
                    .map(|(f, name)| (name.clone(), u64::try_from(f.size).unwrap_or_default()))
                    .collect();
                let spec = crate::delivery::NotifySpec {
                    language: staff_language(&settings),
                    kind: MessageKind::SecureMessage,
                    subject: String::new(),
                    body_text: None,
                    sender_email: staff.email.clone(),
                    expires_at: staff.expires_at,
                    settings: settings.clone(),
                    purpose: Purpose::Received,
                    uploader: Some((pending.from_email.clone(), files.len())),
                    files: Vec::new(),
                    conversation: None,
                };
                let everyone: Vec<(String, String)> =
                    zegel_store::tracking::recipients(&state.db, &pending.message_id)
                        .await?
                        .into_iter()
                        .map(|r| (r.id, r.email))
                        .collect();
                let addresses: Vec<&str> = everyone.iter().map(|(_, e)| e.as_str()).collect();
                let confirmation = uploader_confirmation(
                    state,
                    &settings,
                    &received,
                    &addresses.join(", "),
                    &names,
                );
                let mut tx = state.db.pool.begin().await?;
                if store::judge(&mut tx, &pending.message_id, ScanState::Clean.as_str()).await? {
                    zegel_store::delivery::set_status(
                        &mut tx,
                        &pending.message_id,
                        zegel_store::MessageStatus::Active,
                    )
                    .await?;
                    crate::delivery::enqueue_notifications(
                        &mut tx, state, &keyring, &spec, &everyone, now,
                    )
                    .await?;
                    zegel_outbox::enqueue_email(
                        &mut tx,
                        &keyring,
                        zegel_store::JobPurpose::SenderNotice,
                        None,
                        confirmation,
                        now,
                    )
                    .await?;
                    tx.commit().await?;
                    state.outbox_wakeup.notify_one();
                    audit_message(state, &staff, "files.received").await?;
                    released += 1;
                }
            }
        }
    }
    Ok(released)
}

async fn audit_message(state: &Services, staff: &Access, event: &str) -> anyhow::Result<()> {
    zegel_store::audit::append(
        &state.db,
        state.now_ms(),
        &zegel_store::audit::AuditEvent {
            tenant_id: Some(&staff.tenant_id),
            message_id: Some(&staff.message_id),
            actor: "system:clamd".into(),
            event,
            ..Default::default()
        },
    )
    .await?;
    Ok(())
}

/// Runs [`judge_pending`] every `interval` until the process ends.
pub fn spawn_scan_retries(state: Services, interval: std::time::Duration) {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(interval).await;
            if let Err(error) = judge_pending(&state).await {
                tracing::error!(error = format!("{error:#}"), "scanning held files failed");
            }
        }
    });
}

/// An upload request of `user` (404 for anyone else's, and for messages).
async fn own_request(
    state: &Services,
    user: &zegel_store::tenants::User,
    id: &str,
) -> Result<(zegel_store::tracking::SentMessage, RequestLimits), ServiceError> {
    let message = zegel_store::tracking::sent_message(&state.db, &user.tenant_id, &user.id, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let limits = store::request_limits(&state.db, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    Ok((message, limits))
}

fn rfc3339(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

/// Where an upload request stands, with what each recipient sent (no side effects).
pub async fn status(
    state: &Services,
    user: &zegel_store::tenants::User,
    id: &str,
) -> Result<UploadRequestStatus, ServiceError> {
    let (message, limits) = own_request(state, user, id).await?;
    let now = state.now_ms();
    let received = store::received_for_request(&state.db, id).await?;
    let mut answers = Vec::new();
    for recipient in zegel_store::tracking::recipients(&state.db, id).await? {
        // A refused delivery no longer holds the recipient's one use; it is still theirs to see.
        let delivery = received
            .iter()
            .filter(|r| {
                r.answers.as_deref() == Some(recipient.id.as_str())
                    || (r.answers.is_none() && r.from_email.eq_ignore_ascii_case(&recipient.email))
            })
            .max_by_key(|r| r.created_at);
        let Some(delivery) = delivery else {
            answers.push(RequestAnswer {
                email: recipient.email,
                status: AnswerStatus::Waiting,
                uploaded_at: None,
                scan: None,
                message: None,
                files: Vec::new(),
            });
            continue;
        };
        let scan = ScanState::parse(&delivery.scan).unwrap_or(ScanState::Pending);
        let staff = staff_access(state, &delivery.message_id).await?;
        let (files, message_text) = if staff.wrapped_key.is_some() {
            let content = access::content(state, &staff).map_err(access_error)?;
            let files = access::files_and_withdrawn(state, &staff)
                .await
                .map_err(access_error)?
                .0;
            let mut listed = Vec::with_capacity(files.len());
            for (file, name) in files {
                let file_type = if scan.downloadable() {
                    file_kind(state, &staff, &file, &name).await
                } else {
                    None
                };
                listed.push(ReceivedFile {
                    id: file.id,
                    name,
                    size: u64::try_from(file.size).unwrap_or_default(),
                    file_type,
                });
            }
            (listed, content.body_text)
        } else {
            (Vec::new(), None)
        };
        answers.push(RequestAnswer {
            email: recipient.email,
            status: match scan {
                ScanState::Pending => AnswerStatus::Scanning,
                ScanState::Infected => AnswerStatus::Refused,
                ScanState::Clean | ScanState::Unscanned => AnswerStatus::Delivered,
            },
            uploaded_at: Some(rfc3339(delivery.created_at)),
            scan: Some(scan),
            message: message_text,
            files,
        });
    }
    let status = if message.destroyed_at.is_some() {
        "deleted"
    } else if message.blocked {
        "blocked"
    } else if now >= message.expires_at {
        "expired"
    } else {
        "active"
    };
    Ok(UploadRequestStatus {
        id: message.id,
        status: status.to_owned(),
        created_at: rfc3339(message.created_at),
        expires_at: rfc3339(message.expires_at),
        allowed_types: allowed_types(&limits),
        max_files: u32::try_from(limits.max_files).unwrap_or(u32::MAX),
        max_bytes: u64::try_from(limits.max_bytes).unwrap_or_default(),
        recipients: answers,
    })
}

/// A received file's kind by content (for the sender's overview).
async fn file_kind(
    state: &Services,
    staff: &Access,
    file: &zegel_store::messages::FileRow,
    name: &str,
) -> Option<FileType> {
    let mut plain = std::pin::pin!(access::plaintext(state, staff, file));
    let mut head = Vec::new();
    while head.len() < zegel_dlp::file_type::HEAD_BYTES {
        match plain.next().await {
            Some(Ok(chunk)) => head.extend_from_slice(&chunk),
            Some(Err(_)) => return None,
            None => break,
        }
    }
    head.truncate(zegel_dlp::file_type::HEAD_BYTES);
    zegel_dlp::file_type::detect(name, &head)
}

fn access_error(error: AccessError) -> ServiceError {
    match error {
        AccessError::Internal(cause) => ServiceError::internal(cause),
        _ => ServiceError::NotFound,
    }
}

/// The deliveries of `user`'s upload request `id` whose files may be downloaded, as their staff access.
async fn downloadable(
    state: &Services,
    user: &zegel_store::tenants::User,
    id: &str,
) -> Result<Vec<(Access, String)>, ServiceError> {
    own_request(state, user, id).await?;
    let now = state.now_ms();
    let mut out = Vec::new();
    for delivery in store::received_for_request(&state.db, id).await? {
        let scan = ScanState::parse(&delivery.scan).unwrap_or(ScanState::Pending);
        if !scan.downloadable() {
            continue;
        }
        let staff = staff_access(state, &delivery.message_id).await?;
        if staff.is_available(now) {
            out.push((staff, delivery.from_email));
        }
    }
    Ok(out)
}

/// The sender downloads one received file of their upload request (counted and audited like any
/// download).
pub async fn sender_file(
    state: &Services,
    user: &zegel_store::tenants::User,
    id: &str,
    file_id: &str,
    client: &ClientInfo,
) -> Result<Download, ServiceError> {
    for (staff, _) in downloadable(state, user, id).await? {
        let files = access::visible_files(state, &staff)
            .await
            .map_err(access_error)?;
        if files.iter().any(|(f, _)| f.id == file_id) {
            return access::download(state, &staff, file_id, client)
                .await
                .map_err(access_error);
        }
    }
    Err(ServiceError::NotFound)
}

/// The sender downloads every received file of their upload request as one ZIP, a folder per uploader.
pub async fn sender_zip(
    state: &Services,
    user: &zegel_store::tenants::User,
    id: &str,
    client: &ClientInfo,
) -> Result<Download, ServiceError> {
    let mut names = Vec::new();
    let mut sources = Vec::new();
    for (staff, uploader) in downloadable(state, user, id).await? {
        let files = access::visible_files(state, &staff)
            .await
            .map_err(access_error)?;
        let counted: Vec<(&zegel_store::messages::FileRow, &str)> =
            files.iter().map(|(f, n)| (f, n.as_str())).collect();
        access::count_downloads(state, &staff, &counted, client)
            .await
            .map_err(access_error)?;
        let folder = uploader.replace(['/', '\\'], "-");
        for (file, name) in &files {
            names.push(format!("{folder}/{name}"));
            sources.push(access::guarded(
                state,
                &staff,
                &file.id,
                access::plaintext(state, &staff, file),
            ));
        }
    }
    if sources.is_empty() {
        return Err(ServiceError::NotFound);
    }
    let entries = access::unique_names(names)
        .into_iter()
        .zip(sources)
        .collect();
    Ok(Download {
        name: format!("upload-{}.zip", &id[..id.len().min(8)]),
        size: None,
        body: access::zip_body(state, entries),
    })
}
