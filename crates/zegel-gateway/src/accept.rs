//! What the gateway does with a mail it received: parse (mail-parser), scan with the sender's tenant
//! policy, then relay it unchanged, protect it as a Zegel message, or both (internal recipients plain,
//! external ones protected, when the tenant protects external mail only). The `250` is given only after
//! everything is durably stored: blobs fsynced and renamed, one committed transaction.

use std::net::IpAddr;

use bytes::Bytes;
use mail_parser::{MessageParser, MimeHeaders};
use zegel_core::message::{
    AuthLevel, AuthRequest, Deliver, MessageKind, MessageRequest, RecipientKind, RecipientRequest,
};
use zegel_core::policy::{Action, RecipientClass};
use zegel_dlp::{Kind, Location};

use zegel_outbox::relay;
use zegel_service::intake::{Origin, Upload, store};
use zegel_service::scan::{Attachment, ScanInput, ScanRecipient, classify, scan_message};
use zegel_service::{ServiceError, Services};
use zegel_store::audit::{self, AuditEvent};

/// The envelope of one mail transaction.
#[derive(Debug, Clone)]
pub struct Envelope {
    /// The reverse path; `None` is `<>`.
    pub from: Option<String>,
    /// The forward paths.
    pub to: Vec<String>,
    /// The client.
    pub ip: IpAddr,
    /// The sender's tenant (`None` only for `<>`).
    pub tenant_id: Option<String>,
}

/// An SMTP reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The basic code.
    pub code: u16,
    /// The enhanced status code.
    pub esc: [u8; 3],
    /// The text.
    pub text: String,
}

impl Reply {
    /// A reply.
    pub fn new(code: u16, esc: [u8; 3], text: impl Into<String>) -> Self {
        Self {
            code,
            esc,
            text: text.into(),
        }
    }
}

/// The idempotency key of a mail: SHA-256 over tenant, envelope sender, Message-ID and recipients; none
/// without a Message-ID.
fn idempotency_key(
    tenant_id: &str,
    envelope: &Envelope,
    message_id: Option<&str>,
) -> Option<String> {
    use sha2::{Digest, Sha256};
    let message_id = message_id?.trim();
    if message_id.is_empty() {
        return None;
    }
    let mut to = envelope.to.clone();
    to.sort();
    let mut hash = Sha256::new();
    for part in [
        tenant_id,
        envelope.from.as_deref().unwrap_or(""),
        message_id,
    ]
    .into_iter()
    .chain(to.iter().map(String::as_str))
    {
        hash.update(part.as_bytes());
        hash.update([0]);
    }
    Some(hash.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// Handles a received mail; never panics, always answers.
pub async fn accept(state: &Services, envelope: &Envelope, raw: Vec<u8>) -> Reply {
    match accept_inner(state, envelope, raw).await {
        Ok(reply) => reply,
        Err(ServiceError::Invalid { field, message, .. }) => Reply::new(
            554,
            [5, 6, 0],
            format!("the message cannot be protected: {field}: {message}"),
        ),
        Err(ServiceError::BadRequest { message, .. }) => Reply::new(554, [5, 6, 0], message),
        Err(ServiceError::TooLarge(message)) => Reply::new(552, [5, 3, 4], message),
        Err(error) => {
            tracing::error!(error = %error, "gateway: cannot store a mail; the client will retry");
            Reply::new(
                451,
                [4, 3, 0],
                "temporary failure storing the message, try again later",
            )
        }
    }
}

fn header<'a>(parsed: &'a mail_parser::Message<'a>, name: &'static str) -> Option<&'a str> {
    parsed
        .header_raw(name)
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

fn addresses(address: Option<&mail_parser::Address<'_>>) -> Vec<String> {
    address
        .map(|a| {
            a.iter()
                .filter_map(|a| a.address())
                .map(|a| a.trim().to_ascii_lowercase())
                .collect()
        })
        .unwrap_or_default()
}

async fn accept_inner(
    state: &Services,
    envelope: &Envelope,
    raw: Vec<u8>,
) -> Result<Reply, ServiceError> {
    let parsed = MessageParser::default().parse(&raw[..]);
    let Some(parsed) = parsed.filter(|m| !m.headers().is_empty()) else {
        return Ok(Reply::new(
            554,
            [5, 6, 0],
            "the message cannot be parsed: no RFC 5322 header section",
        ));
    };
    // The null sender (`MAIL FROM:<>`, bounces and receipts) names no tenant: the header's From: must
    // then be an address of a served domain, and the mail is scanned under that tenant's policy like any
    // other. Nothing from `<>` is relayed unscanned.
    let null_sender = envelope.tenant_id.is_none();
    let header_tenant = if null_sender {
        let from = addresses(parsed.from());
        let domain = from
            .first()
            .map(|a| zegel_core::address::domain_of(a).to_ascii_lowercase());
        match domain {
            Some(domain) => zegel_store::tenants::tenant_for_domain(&state.db, &domain)
                .await?
                .map(|t| t.id),
            None => None,
        }
    } else {
        None
    };
    let Some(tenant_id) = envelope.tenant_id.as_deref().or(header_tenant.as_deref()) else {
        return Ok(Reply::new(
            550,
            [5, 7, 1],
            "a mail from the null sender needs a From: address of a domain this gateway serves",
        ));
    };
    // A sending server that lost our `250` sends the same mail again: accept it without a second copy.
    let key = idempotency_key(tenant_id, envelope, parsed.message_id());
    if let Some(key) = &key
        && zegel_store::gateway::accepted(&state.db, key).await?
    {
        tracing::info!("gateway: a mail accepted before came again; not stored twice");
        return Ok(Reply::new(
            250,
            [2, 0, 0],
            "accepted before, not stored again",
        ));
    }
    let settings = zegel_service::settings::effective(state, tenant_id).await?;
    // The add-in's sent record (`X-Zegel-Message` naming a message of this tenant) carries only the
    // notification text; it is scanned like any mail, so the header alone never lets content through.
    // An id Zegel does not know is taken as the add-in asking for protection.
    let unknown_record = match header(&parsed, "X-Zegel-Message") {
        Some(id) => !zegel_store::messages::exists_in_tenant(&state.db, id, tenant_id).await?,
        None => false,
    };
    let kind_header = header(&parsed, "X-Zegel-Kind").map(|k| {
        // The gateway protects when asked to: an unknown or public kind becomes the protected default.
        match MessageKind::parse(&k.to_ascii_lowercase()) {
            Some(MessageKind::SecureFiles) => MessageKind::SecureFiles,
            _ => MessageKind::SecureMessage,
        }
    });
    let level_header = header(&parsed, "X-Zegel-Level")
        .map(|l| AuthLevel::parse(&l.to_ascii_lowercase()).unwrap_or(AuthLevel::TwoFa));

    let subject = parsed.subject().unwrap_or_default().to_owned();
    let has_text = parsed.text_body_count() > 0;
    let has_html = parsed.html_body_count() > 0;
    let body_text = has_text
        .then(|| parsed.body_text(0).map(|t| t.into_owned()))
        .flatten();
    let body_html = has_html
        .then(|| parsed.body_html(0).map(|t| t.into_owned()))
        .flatten();
    let attachments: Vec<Attachment> = parsed
        .attachments()
        .map(|part| Attachment {
            name: part.attachment_name().unwrap_or("attachment").to_owned(),
            bytes: part.contents().to_vec(),
        })
        .collect();
    let internet_message_id = parsed.message_id().map(str::to_owned);
    let to_header = addresses(parsed.to());
    let cc_header = addresses(parsed.cc());
    drop(parsed);

    let input = ScanInput {
        subject,
        body_text,
        body_html,
        text: None,
        recipients: envelope
            .to
            .iter()
            .map(|email| ScanRecipient {
                email: email.clone(),
                kind: None,
            })
            .collect(),
    };
    let policy = settings.content_filter_policy();
    let internal = settings.internal_domains.clone();
    let readers = state.readers.clone();
    let (outcome, input, attachments) = tokio::task::spawn_blocking(move || {
        let outcome = scan_message(&policy, &input, &attachments, &internal, &readers);
        (outcome, input, attachments)
    })
    .await
    .map_err(ServiceError::internal)?;

    let activation = outcome
        .findings
        .iter()
        .any(|f| f.kind == Kind::ActivationWord);
    let explicit = activation || unknown_record || kind_header.is_some() || level_header.is_some();
    let protect = explicit || matches!(outcome.decision.action, Action::Auto | Action::Force);
    if !protect {
        return relay_all(state, tenant_id, envelope, &envelope.to, &raw, key).await;
    }
    // Who gets the protected message: everyone, unless the tenant protects external mail only and the
    // sender did not ask for protection explicitly; then colleagues get the original.
    let (plain, secure): (Vec<String>, Vec<String>) = if explicit || !settings.external_only {
        (Vec::new(), envelope.to.clone())
    } else {
        envelope
            .to
            .iter()
            .cloned()
            .partition(|r| classify(r, &settings.internal_domains) == RecipientClass::Internal)
    };
    if secure.is_empty() {
        return relay_all(state, tenant_id, envelope, &envelope.to, &raw, key).await;
    }
    if null_sender {
        // A protected message needs a sender to answer to and to show in the log; `<>` has none.
        tracing::info!("gateway: a mail from the null sender needs protection; refused");
        return Ok(Reply::new(
            550,
            [5, 7, 1],
            "a mail from the null sender that needs protection is refused; send it from an address",
        ));
    }
    // The headers may ask for more protection than the policy, never for less.
    let mut level = level_header
        .max(outcome.decision.level)
        .unwrap_or(AuthLevel::OneFa);
    if !settings.allow_1fa {
        level = AuthLevel::TwoFa;
    }
    let only_attachments = !attachments.is_empty()
        && outcome
            .findings
            .iter()
            .all(|f| matches!(f.location, Location::Attachment { .. }));
    let mut kind = kind_header.unwrap_or(
        if settings.gateway_attachments_as_secure_files && only_attachments && !activation {
            MessageKind::SecureFiles
        } else {
            MessageKind::SecureMessage
        },
    );
    if let Some(required) = &outcome.decision.required {
        kind = required.raise_kind(kind);
    }
    // A sensitive value in the subject would travel in every notification's subject: hide it.
    let mut settings = settings;
    settings.hide_subject |= outcome
        .findings
        .iter()
        .any(|f| f.location == Location::Subject && f.kind != Kind::ActivationWord);
    let from = envelope.from.clone().unwrap_or_default();
    let request = MessageRequest {
        subject: input.subject,
        body_text: input.body_text,
        body_html: input.body_html,
        recipients: secure
            .iter()
            .map(|email| RecipientRequest {
                email: email.clone(),
                // Envelope recipients in neither To nor Cc were Bcc: kept so, and never shown to
                // the others (the portal lists no other recipients at all).
                kind: if to_header.contains(email) {
                    RecipientKind::To
                } else if cc_header.contains(email) {
                    RecipientKind::Cc
                } else {
                    RecipientKind::Bcc
                },
                phone: None,
            })
            .collect(),
        kind,
        auth: Some(AuthRequest {
            level,
            password: None,
            // 1FA: a one-time password by e-mail; 2FA: SMS codes (no password at all).
            deliver: (level == AuthLevel::OneFa).then_some(Deliver::Email),
        }),
        expires_in_days: None,
        max_downloads: None,
        language: None,
        notify: None,
        uploads: Vec::new(),
        // The tenant's defaults: a gateway mail's sender chose nothing.
        confirm_to_sender: None,
        notify_on_download: None,
        file_names_in_notification: None,
    };
    let user =
        zegel_store::tenants::ensure_user(&state.db, tenant_id, &from, state.now_ms()).await?;
    let validated = settings.enforce(request.validate(&user.email, &settings.request_limits())?)?;

    let mut upload = Upload::new(state, tenant_id);
    for attachment in attachments {
        upload
            .add_file(state, Some(&attachment.name), Bytes::from(attachment.bytes))
            .await?;
    }
    let mut origin = Origin {
        actor: format!("sender:{from}"),
        ip: Some(envelope.ip.to_string()),
        user_agent: None,
        events: vec!["gateway.accepted", "gateway.protected"],
        jobs: Vec::new(),
        idempotency_key: key,
        found: outcome.decision.shown(),
        internet_message_id,
        one_time_passwords: true,
        ..Origin::default()
    };
    if !plain.is_empty() {
        let prepared = relay::prepare(
            &state.keys,
            &state.blobs,
            tenant_id,
            envelope.from.as_deref(),
            plain,
            Some(envelope.ip.to_string()),
            &raw,
        )
        .await?;
        upload.adopt_blob(prepared.blob_id);
        origin.jobs.push(prepared.job);
    }
    let stored = store(state, &user, &settings, &validated, upload, &origin).await?;
    tracing::info!(message = %stored.id, held = !stored.missing.is_empty(), "gateway: protected");
    Ok(Reply::new(
        250,
        [2, 0, 0],
        format!("accepted, protected as message {}", stored.id),
    ))
}

/// Queues the mail unchanged for `to`: blob committed, then one transaction with the job and the
/// `gateway.accepted` entry; on failure the blob is removed.
async fn relay_all(
    state: &Services,
    tenant_id: &str,
    envelope: &Envelope,
    to: &[String],
    raw: &[u8],
    key: Option<String>,
) -> Result<Reply, ServiceError> {
    let prepared = relay::prepare(
        &state.keys,
        &state.blobs,
        tenant_id,
        envelope.from.as_deref(),
        to.to_vec(),
        Some(envelope.ip.to_string()),
        raw,
    )
    .await?;
    let blob = [prepared.blob_id.clone()];
    let result: Result<(), ServiceError> = async {
        state.blobs.commit(&blob).await?;
        let now = state.now_ms();
        let mut tx = state.db.pool.begin().await?;
        zegel_store::outbox::enqueue(&mut tx, &prepared.job, now).await?;
        if let Some(key) = &key {
            zegel_store::gateway::remember(&mut tx, key, tenant_id, now).await?;
        }
        audit::append_in(
            &mut tx,
            state.db.backend,
            now,
            &AuditEvent {
                tenant_id: (tenant_id != "-").then_some(tenant_id),
                actor: format!("sender:{}", envelope.from.as_deref().unwrap_or("<>")),
                event: "gateway.accepted",
                detail: Some(format!("relay:{} recipients:{}", prepared.job.id, to.len())),
                ip: Some(envelope.ip.to_string()),
                ..Default::default()
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
    .await;
    if let Err(error) = result {
        state.blobs.delete(&blob).await;
        return Err(error);
    }
    state.outbox_wakeup.notify_one();
    Ok(Reply::new(
        250,
        [2, 0, 0],
        format!("queued for relay as {}", prepared.job.id),
    ))
}
