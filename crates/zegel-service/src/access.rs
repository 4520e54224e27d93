//! What a recipient can do with their link, shared by the HTML portal and the JSON access API:
//! resolve the link, ask for the password, verify it (opening a session), read the message, download
//! files one by one or as a ZIP.
//!
//! Rules kept here so both front ends obey them: GETs have no side effects (opening is recorded by the
//! POST that verifies, or for public files by the first download, and every download is a POST);
//! codes are single-use, expire, are compared in constant time and throttled, with every count kept
//! atomic in the database (`db::access`); a locked, blocked or expired access looks exactly like an
//! unknown link.

use std::io;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use zegel_core::{Language, MessageKind};

use crate::{ClientInfo, Services};
use zegel_mail::render;
use zegel_store::MessageStatus;
use zegel_store::access as store;
use zegel_store::audit::{self, AuditEvent};
use zegel_store::messages::{self, Access, FileRow, Purpose};
use zegel_vault::blobs::SealContext;
use zegel_vault::sealing::{self, MessageContent, field};

/// A one-time password e-mailed on request is valid this long.
pub const EMAILED_PASSWORD_TTL_MS: i64 = 30 * 60 * 1000;
/// An SMS code is valid this long.
pub const SMS_CODE_TTL_MS: i64 = 10 * 60 * 1000;
/// A recipient may ask for this many passwords per hour.
pub const MAX_SENDS_PER_HOUR: i64 = 5;
pub use zegel_store::access::{FREE_FAILURES, LOCK_AFTER_FAILURES};
/// A recipient session ends after this long without a request...
pub const SESSION_IDLE_MS: i64 = 30 * 60 * 1000;
/// ...and this long after it began, whatever happens.
pub const SESSION_MAX_MS: i64 = 12 * 60 * 60 * 1000;
/// A session's last use is written at most this often (so reading pages is not a write each time).
const SESSION_TOUCH_MS: i64 = 60 * 1000;

/// Why a recipient action was refused.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    /// Unknown, expired, withdrawn or blocked: deliberately indistinguishable.
    #[error("this link is not available")]
    Unavailable,
    /// Too many failures in a row; the sender must unlock.
    #[error("access is locked after too many failed attempts")]
    Locked,
    /// The password or code is wrong (or expired, or used).
    #[error("the password is not correct or has expired")]
    WrongCode,
    /// Tries come too fast.
    #[error("too many attempts; wait {0} seconds")]
    TooManyAttempts(i64),
    /// Too many passwords asked for.
    #[error("too many passwords requested in the last hour")]
    TooManySends,
    /// Too many password checks running at once on this server; nothing was counted.
    #[error("too many password checks at once; try again in a moment")]
    Busy,
    /// No (valid) session for an action that needs one.
    #[error("your session has ended; open the link from the e-mail again")]
    NoSession,
    /// The file was downloaded as often as allowed.
    #[error("the download limit of this file is reached")]
    LimitReached,
    /// This message has no such action (e.g. asking a password for public files).
    #[error("{0}")]
    NotApplicable(&'static str),
    /// Something broke; logged, not shown.
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for AccessError {
    fn from(error: sqlx::Error) -> Self {
        Self::Internal(error.into())
    }
}

/// How the recipient gets in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// Public files: no password.
    Open,
    /// Zegel e-mails a password on request.
    EmailedPassword,
    /// The sender told the recipient the password.
    SenderPassword,
    /// An SMS code to the number the sender gave (2FA).
    Sms,
}

/// The gate of an access.
pub fn gate(access: &Access) -> Gate {
    match (access.kind, access.deliver.as_deref()) {
        (MessageKind::PublicFiles, _) => Gate::Open,
        _ if access.auth_level == Some(zegel_core::AuthLevel::TwoFa) => Gate::Sms,
        (_, Some("other")) => Gate::SenderPassword,
        _ => Gate::EmailedPassword,
    }
}

/// The language of an access (the message's).
pub fn language(access: &Access) -> Language {
    Language::parse(&access.language).unwrap_or_default()
}

/// A link as a recipient follows it.
// One per request and moved out at once: boxing the larger variant would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Link {
    /// A recipient's own link; also public files through the message's one link, as its first recipient.
    Recipient(Access),
    /// The one link of a protected message sent with `"notify": "client"`: the recipient names their
    /// address first.
    Message(MessageLink),
}

/// The one link of a message: every recipient of it.
#[derive(Debug, Clone)]
pub struct MessageLink {
    recipients: Vec<Access>,
}

impl MessageLink {
    /// Every recipient of the message.
    pub fn recipients(&self) -> &[Access] {
        &self.recipients
    }

    /// What is the same for every recipient (language, sender, subject, gate, expiry).
    pub fn message(&self) -> &Access {
        &self.recipients[0]
    }

    /// The recipient with address `email`, if they may still get in. Every recipient is compared (in
    /// constant time), so the lookup costs the same whoever asks.
    fn recipient(&self, email: &str, now: i64) -> Option<&Access> {
        let wanted = zegel_crypto::hash_token(&email.trim().to_lowercase());
        let mut found = None;
        for access in &self.recipients {
            let candidate = zegel_crypto::hash_token(&access.email.to_lowercase());
            if zegel_crypto::ct_eq(&wanted, &candidate) {
                found = Some(access);
            }
        }
        found.filter(|access| access.is_available(now))
    }
}

/// Resolves a link token to an available access.
pub async fn resolve(state: &Services, token: &str) -> Result<Access, AccessError> {
    match resolve_link(state, token).await? {
        Link::Recipient(access) => Ok(access),
        Link::Message(_) => Err(AccessError::Unavailable),
    }
}

/// Resolves a link token of a message (`/m/`): a recipient's own link, or a message's one link. An
/// upload request's link is unknown here.
pub async fn resolve_link(state: &Services, token: &str) -> Result<Link, AccessError> {
    resolve_for(state, token, |p| p != Purpose::UploadRequest).await
}

/// Resolves a link token of an upload request (`/u/`): a recipient's own link, or the request's one
/// link. A message's link is unknown here.
pub async fn resolve_request_link(state: &Services, token: &str) -> Result<Link, AccessError> {
    resolve_for(state, token, |p| p == Purpose::UploadRequest).await
}

async fn resolve_for(
    state: &Services,
    token: &str,
    wanted: impl Fn(Purpose) -> bool,
) -> Result<Link, AccessError> {
    let link = resolve_any(state, token).await?;
    let purpose = match &link {
        Link::Recipient(access) => access.purpose,
        Link::Message(link) => link.message().purpose,
    };
    if wanted(purpose) {
        Ok(link)
    } else {
        Err(AccessError::Unavailable)
    }
}

async fn resolve_any(state: &Services, token: &str) -> Result<Link, AccessError> {
    // Tokens are 43 URL-safe characters; anything else is not worth a database lookup.
    if token.len() != 43
        || !token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(AccessError::Unavailable);
    }
    let hash = zegel_crypto::hash_token(token);
    let now = state.now_ms();
    if let Some(access) = messages::access_by_token(&state.db, &hash).await? {
        if !access.is_available(now) {
            return Err(AccessError::Unavailable);
        }
        return Ok(Link::Recipient(access));
    }
    let recipients = messages::accesses_by_message_link(&state.db, &hash).await?;
    let Some(any) = recipients.first() else {
        return Err(AccessError::Unavailable);
    };
    // The message as a whole must be reachable; each recipient's own blocks apply when they name
    // themselves.
    if any.status != MessageStatus::Active || now >= any.expires_at || any.message_blocked {
        return Err(AccessError::Unavailable);
    }
    if any.kind == MessageKind::PublicFiles {
        let first = zegel_store::links::first_recipient(&state.db, &hash).await?;
        return recipients
            .into_iter()
            .find(|a| Some(&a.recipient_id) == first.as_ref() && a.is_available(now))
            .map(Link::Recipient)
            .ok_or(AccessError::Unavailable);
    }
    Ok(Link::Message(MessageLink { recipients }))
}

/// `challenge` on a message's one link: when `email` is a recipient who may still get in, their
/// password mail or SMS code is sent exactly as from their own link; for any other address nothing is.
/// The caller answers the same either way, and at the same time: both paths have made the same
/// queries (the link's recipients) and comparisons, and the recipient's challenge runs in the
/// background, so neither the answer nor its timing tells who received the message. Its own refusals
/// (too many sends, locked) are logged, not shown, for the same reason.
pub fn challenge_by_address(
    state: &Services,
    link: &MessageLink,
    email: &str,
    client: &ClientInfo,
) {
    let Some(access) = link.recipient(email, state.now_ms()).cloned() else {
        return;
    };
    let state = state.clone();
    let client = client.clone();
    tokio::spawn(async move {
        match challenge(&state, &access, &client).await {
            Ok(_) => {}
            Err(AccessError::Internal(cause)) => {
                tracing::error!(error = format!("{cause:#}"), "challenge by address failed")
            }
            Err(refused) => tracing::info!(reason = %refused, "challenge by address not sent"),
        }
    });
}

/// `verify` on a message's one link for the recipient `email` names; on success the recipient's id and
/// a new session token. Any failure — an address that is not a recipient, a wrong code, a lock or a
/// wait — is the same [`AccessError::WrongCode`], after the work a wrong try costs (a password hash or
/// a code lookup), so the answer tells nothing about the address.
pub async fn verify_by_address(
    state: &Services,
    link: &MessageLink,
    email: &str,
    code: &str,
    client: &ClientInfo,
) -> Result<(String, String), AccessError> {
    if let Some(access) = link.recipient(email, state.now_ms()).cloned() {
        return match verify(state, &access, code, client).await {
            Ok(session) => Ok((access.recipient_id, session)),
            // Load and failures of the server say nothing about the address.
            Err(error @ (AccessError::Internal(_) | AccessError::Busy)) => Err(error),
            Err(_) => Err(AccessError::WrongCode),
        };
    }
    let message = link.message();
    let now = state.now_ms();
    store::claim_try(&state.db, "-", now).await?;
    match message.password_hash.clone() {
        Some(hash) => {
            let candidate = code.trim().chars().take(256).collect::<String>();
            let admission = state
                .password_budget
                .admit()
                .map_err(|_| AccessError::Busy)?;
            admission
                .run(move |memory| memory.verify(&candidate, &hash))
                .await?;
        }
        None => {
            store::claim_code_tries(&state.db, "-", now).await?;
        }
    }
    Err(AccessError::WrongCode)
}

/// The message's subject and body.
pub fn content(state: &Services, access: &Access) -> Result<MessageContent, AccessError> {
    let sealed = access
        .sealed_content
        .as_deref()
        .ok_or(AccessError::Unavailable)?;
    Ok(sealing::open_content(
        &state.keys,
        &access.tenant_id,
        &access.message_id,
        sealed,
    )?)
}

/// The hash a one-time code is stored under: bound to the recipient, so a code is useless for anyone else.
fn code_hash(recipient_id: &str, code: &str) -> [u8; 32] {
    zegel_crypto::hash_token(&format!("{recipient_id}:{code}"))
}

/// Sends the recipient their password by e-mail (1FA) or a code by SMS (2FA). Returns the masked
/// destination. Every send voids the codes sent before it.
pub async fn challenge(
    state: &Services,
    access: &Access,
    client: &ClientInfo,
) -> Result<String, AccessError> {
    if access.locked {
        return Err(AccessError::Locked);
    }
    let gate = gate(access);
    if !matches!(gate, Gate::EmailedPassword | Gate::Sms) {
        return Err(AccessError::NotApplicable(
            "this message has no password to send",
        ));
    }
    let now = state.now_ms();
    let content = content(state, access)?;
    let keyring = state.keys.keyring();
    let settings = crate::settings::effective(state, &access.tenant_id)
        .await
        .map_err(|e| {
            AccessError::Internal(anyhow::anyhow!("cannot read the tenant settings: {e}"))
        })?;
    // A hidden subject (the tenant hides subjects, or the gateway found a value in it) appears in no
    // SMS and no e-mail: they all name the message neutrally.
    let subject = if content.subject_hidden || settings.hide_subject {
        ""
    } else {
        content.subject.as_str()
    };
    // Everything is read and rendered before the transaction: on SQLite the pool has one connection,
    // and the transaction holds it.
    let (hash, ttl, destination, message) = if gate == Gate::Sms {
        let sealed = zegel_store::phones::recipient_phone(&state.db, &access.recipient_id)
            .await?
            .ok_or(AccessError::Unavailable)?;
        let number = crate::phones::open_for_recipient(
            state,
            &access.tenant_id,
            &access.message_id,
            &access.recipient_id,
            &sealed,
        )?;
        let code = zegel_crypto::numeric_code(6);
        let sms = zegel_mail::sms::OutgoingSms {
            body: zegel_mail::sms::code_text(
                language(access),
                settings.form_of_address,
                &settings.branding.name,
                subject,
                &code,
                SMS_CODE_TTL_MS / 60_000,
            ),
            to: number.clone(),
        };
        (
            code_hash(&access.recipient_id, &code),
            SMS_CODE_TTL_MS,
            zegel_core::address::mask_phone(&number),
            Err(sms),
        )
    } else {
        // A fixed password (the sender's own, or generated and shown to the sender) is sent as it is;
        // otherwise (gateway mail) a fresh one-time password.
        let password = match &access.sealed_password {
            Some(sealed) => String::from_utf8(
                sealing::open_field(
                    &state.keys,
                    &access.tenant_id,
                    &access.message_id,
                    field::PASSWORD,
                    sealed,
                )
                .map_err(anyhow::Error::from)?,
            )
            .map_err(anyhow::Error::from)?,
            // Asking for files and receiving them: a six-digit code proves the address.
            None if access.purpose != Purpose::Message => zegel_crypto::numeric_code(6),
            None => zegel_crypto::generated_password(),
        };
        let from = crate::settings::notification_from(&settings, &state.site.mail_from);
        let valid_minutes = access
            .sealed_password
            .is_none()
            .then_some(EMAILED_PASSWORD_TTL_MS / 60_000);
        let look = crate::settings::look(&settings);
        let code_for = match access.purpose {
            Purpose::Message => None,
            Purpose::UploadRequest => Some(render::CodeFor::Upload {
                sender: &access.sender_email,
            }),
            Purpose::Received => Some(render::CodeFor::Received {
                uploader: content.from.as_deref().unwrap_or(""),
            }),
            // A portal's visit carries the portal's title as its subject.
            Purpose::PortalVisit => Some(render::CodeFor::Portal {
                portal: &content.subject,
            }),
            Purpose::Reply => Some(render::CodeFor::Reply {
                author: content.from.as_deref().unwrap_or(""),
            }),
        };
        let email = match code_for {
            Some(purpose) => render::verification_code(
                language(access),
                purpose,
                &password,
                EMAILED_PASSWORD_TTL_MS / 60_000,
                &access.email,
                &from,
                &look,
            ),
            None => render::password(
                language(access),
                subject,
                &access.sender_email,
                &password,
                valid_minutes,
                &access.email,
                &from,
                &look,
            ),
        };
        // The code row records the send (for throttling) and, for a one-time password, its hash; a
        // fixed password is checked against its Argon2 hash instead, so its row holds no usable hash.
        let hash = if access.sealed_password.is_some() {
            [0u8; 32]
        } else {
            code_hash(&access.recipient_id, &password)
        };
        (
            hash,
            EMAILED_PASSWORD_TTL_MS,
            zegel_core::address::mask_email(&access.email),
            Ok(email),
        )
    };
    // The send limit is counted under the recipient's row lock, in the transaction that records the
    // send: parallel requests (on any instance) queue there, and each sees the sends committed before it.
    let mut tx = state.db.pool.begin().await?;
    if !store::lock_recipient(&mut tx, &access.recipient_id).await? {
        return Err(AccessError::Locked);
    }
    if store::codes_issued_since(&mut tx, &access.recipient_id, now - 3_600_000).await?
        >= MAX_SENDS_PER_HOUR
    {
        return Err(AccessError::TooManySends);
    }
    match message {
        Ok(email) => {
            zegel_outbox::enqueue_email(
                &mut tx,
                &keyring,
                zegel_store::JobPurpose::Password,
                Some(&access.recipient_id),
                email,
                now,
            )
            .await?
        }
        Err(sms) => {
            zegel_outbox::enqueue_sms(
                &mut tx,
                &keyring,
                zegel_store::JobPurpose::SmsCode,
                Some(&access.recipient_id),
                sms,
                now,
            )
            .await?
        }
    }
    store::issue_code(&mut tx, &access.recipient_id, &hash, now, now + ttl).await?;
    store::mark_challenged(&mut tx, &access.recipient_id, now).await?;
    tx.commit().await?;
    state.outbox_wakeup.notify_one();
    audit_event(state, access, "access.challenge_sent", client).await?;
    Ok(destination)
}

/// Checks a password or code; on success returns a new session token.
///
/// Every try is claimed in the database before it is checked (`db::access::claim_try`: counted as a
/// failure in advance, refused while locked or inside the backoff), and a one-time code's tries are
/// claimed the same way, so parallel tries get no more chances than sequential ones.
pub async fn verify(
    state: &Services,
    access: &Access,
    code: &str,
    client: &ClientInfo,
) -> Result<String, AccessError> {
    if access.locked {
        return Err(AccessError::Locked);
    }
    if gate(access) == Gate::Open {
        return Err(AccessError::NotApplicable("public files need no password"));
    }
    let now = state.now_ms();
    let code = code.trim().to_owned();
    let plausible = !code.is_empty() && code.len() <= 256;
    // A fixed password is checked with Argon2id: the place in the hashing budget is taken before the try
    // is counted, so a refusal because of load uses up nothing.
    let admission = match &access.password_hash {
        Some(_) if plausible => Some(
            state
                .password_budget
                .admit()
                .map_err(|_| AccessError::Busy)?,
        ),
        _ => None,
    };
    if !store::claim_try(&state.db, &access.recipient_id, now).await? {
        return Err(
            match store::try_refusal(&state.db, &access.recipient_id, now).await? {
                store::TryRefusal::Locked => AccessError::Locked,
                store::TryRefusal::Wait(ms) => AccessError::TooManyAttempts((ms + 999) / 1000),
            },
        );
    }
    let accepted = match (&access.password_hash, admission) {
        _ if !plausible => false,
        // A fixed password: the custom one, or the generated one told by the sender.
        (Some(hash), Some(admission)) => {
            let hash = hash.clone();
            admission
                .run(move |memory| memory.verify(&code, &hash))
                .await?
        }
        // One-time passwords: compare the hash with every live one that has tries left (claiming a try
        // of each), in constant time.
        _ => {
            let candidate = code_hash(&access.recipient_id, &code);
            let mut matched = None;
            for active in store::claim_code_tries(&state.db, &access.recipient_id, now).await? {
                if zegel_crypto::ct_eq(&candidate, &active.code_hash) {
                    matched = Some(active.id);
                }
            }
            match matched {
                Some(id) => store::spend_code(&state.db, &id).await?,
                None => false,
            }
        }
    };
    if !accepted {
        audit_event(state, access, "access.verification_failed", client).await?;
        if store::lock_if_due(&state.db, &access.recipient_id).await? {
            audit_event(state, access, "access.locked", client).await?;
            return Err(AccessError::Locked);
        }
        return Err(AccessError::WrongCode);
    }
    store::reset_failures(&state.db, &access.recipient_id).await?;
    let session = zegel_crypto::random_token();
    store::create_session(
        &state.db,
        &zegel_crypto::hash_token(&session),
        &access.recipient_id,
        now,
        now + SESSION_MAX_MS,
    )
    .await?;
    store::mark_verified(&state.db, &access.recipient_id, now).await?;
    // Entering the password is opening the message: recorded by this POST, so no GET has to.
    let first_open = {
        let mut conn = state.db.pool.acquire().await?;
        store::mark_first_open(&mut conn, &access.recipient_id, now).await?
    };
    audit_event(state, access, "access.verified", client).await?;
    if first_open {
        audit_event(state, access, "message.opened", client).await?;
    }
    if gate(access) == Gate::Sms {
        confirm_phone(state, access).await?;
    }
    Ok(session)
}

/// The recipient entered a code sent to this message's number: they hold it, so it becomes the number
/// remembered for them (the only way besides an admin that a remembered number changes).
async fn confirm_phone(state: &Services, access: &Access) -> Result<(), AccessError> {
    let Some(sealed) =
        zegel_store::phones::recipient_phone(&state.db, &access.recipient_id).await?
    else {
        return Ok(());
    };
    let number = crate::phones::open_for_recipient(
        state,
        &access.tenant_id,
        &access.message_id,
        &access.recipient_id,
        &sealed,
    )?;
    crate::phones::remember(
        state,
        &access.tenant_id,
        &access.email,
        &number,
        crate::phones::ConfirmedBy::Recipient,
    )
    .await?;
    Ok(())
}

/// Ends the session `token` (from the request's cookie for `recipient_id`, if any): logout.
pub async fn logout(state: &Services, token: Option<&str>) -> Result<(), AccessError> {
    if let Some(token) = token {
        store::end_session(&state.db, &zegel_crypto::hash_token(token)).await?;
    }
    Ok(())
}

/// The access the session `token` (from the request's cookie for `recipient_id`) opens, if any.
pub async fn session_access(
    state: &Services,
    token: Option<&str>,
    recipient_id: &str,
) -> Result<Access, AccessError> {
    if recipient_id.len() != 32 || !recipient_id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(AccessError::Unavailable);
    }
    let token = token.ok_or(AccessError::NoSession)?;
    let token_hash = zegel_crypto::hash_token(token);
    let now = state.now_ms();
    let session = store::live_session(&state.db, &token_hash, now, SESSION_IDLE_MS)
        .await?
        .ok_or(AccessError::NoSession)?;
    if !zegel_crypto::ct_eq(session.recipient_id.as_bytes(), recipient_id.as_bytes()) {
        return Err(AccessError::NoSession);
    }
    // Using a session keeps it alive (up to its absolute end): the one write a GET may cause.
    if now - session.last_seen_at >= SESSION_TOUCH_MS {
        store::touch_session(&state.db, &token_hash, now).await?;
    }
    let access = messages::access_by_recipient(&state.db, recipient_id)
        .await?
        .ok_or(AccessError::Unavailable)?;
    if !access.is_available(now) {
        return Err(AccessError::Unavailable);
    }
    if access.locked {
        return Err(AccessError::Locked);
    }
    Ok(access)
}

/// The message a recipient id belongs to, only for the look and language of a page about it (an
/// error page, say): it grants nothing. None for an unknown id.
pub async fn look_of_recipient(state: &Services, recipient_id: &str) -> Option<Access> {
    if recipient_id.len() != 32 || !recipient_id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    messages::access_by_recipient(&state.db, recipient_id)
        .await
        .ok()?
}

/// The message a link belongs to, only for the look and language of a page about it: it grants
/// nothing. None for a link that is gone.
pub async fn look_of_link(state: &Services, token: &str) -> Option<Access> {
    match resolve_link(state, token).await.ok()? {
        Link::Recipient(access) => Some(access),
        Link::Message(link) => Some(link.message().clone()),
    }
}

/// A file as a recipient sees it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FileView {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its size in bytes.
    pub size: i64,
    /// How many more times this recipient may download it; none when there is no limit.
    pub downloads_left: Option<i64>,
}

/// What the message page shows.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MessageView {
    /// Subject line.
    pub subject: String,
    /// The sender's address.
    pub sender: String,
    /// Plain-text body.
    pub body_text: Option<String>,
    /// HTML body, sanitised.
    pub body_html: Option<String>,
    /// Files not blocked.
    pub files: Vec<FileView>,
    /// The names of the files the sender withdrew (blocked), so the recipient is told, not left
    /// wondering.
    pub withdrawn: Vec<String>,
}

/// The message for an authenticated (or public) access. Reading changes nothing: the opening was
/// recorded when the recipient verified (or, for public files, by the first download).
pub async fn open_message(state: &Services, access: &Access) -> Result<MessageView, AccessError> {
    let content = content(state, access)?;
    let (files, withdrawn) = files_and_withdrawn(state, access).await?;
    let left = downloads_left(state, access, &files).await?;
    Ok(MessageView {
        subject: content.subject,
        // Received files come from whoever uploaded them.
        sender: content
            .from
            .clone()
            .unwrap_or_else(|| access.sender_email.clone()),
        body_text: content.body_text,
        body_html: content.body_html.as_deref().map(sanitize_html),
        files: files
            .into_iter()
            .zip(left)
            .map(|((file, name), downloads_left)| FileView {
                id: file.id,
                name,
                size: file.size,
                downloads_left,
            })
            .collect(),
        withdrawn,
    })
}

/// How many more downloads the recipient has of each file (none: no limit). Reads only.
async fn downloads_left(
    state: &Services,
    access: &Access,
    files: &[(FileRow, String)],
) -> Result<Vec<Option<i64>>, AccessError> {
    let Some(max) = access.max_downloads else {
        return Ok(vec![None; files.len()]);
    };
    let mut conn = state.db.pool.acquire().await?;
    let mut left = Vec::with_capacity(files.len());
    for (file, _) in files {
        let used = store::download_count(&mut conn, &file.id, &access.recipient_id).await?;
        left.push(Some((max - used).max(0)));
    }
    Ok(left)
}

/// The message's files that are not blocked, with the names to show and save
/// (`zegel_core::file_name::display_name`: spoofing neutralised, the real extension visible).
pub async fn visible_files(
    state: &Services,
    access: &Access,
) -> Result<Vec<(FileRow, String)>, AccessError> {
    Ok(files_and_withdrawn(state, access).await?.0)
}

/// The files a recipient may have (as [`visible_files`]) and the names of those the sender withdrew.
pub(crate) async fn files_and_withdrawn(
    state: &Services,
    access: &Access,
) -> Result<(Vec<(FileRow, String)>, Vec<String>), AccessError> {
    let mut visible = Vec::new();
    let mut withdrawn = Vec::new();
    for file in messages::files_of(&state.db, &access.message_id).await? {
        let name = sealing::open_file_name(
            &state.keys,
            &access.tenant_id,
            &access.message_id,
            &file.id,
            &file.sealed_name,
        )?;
        // The sealed name stays as the sender gave it; recipients see and save the safe one.
        let name = zegel_core::file_name::display_name(&name);
        if file.blocked {
            withdrawn.push(name);
        } else {
            visible.push((file, name));
        }
    }
    Ok((visible, withdrawn))
}

/// Removes scripts, event handlers, remote resources and anything else that could act or phone home.
pub fn sanitize_html(html: &str) -> String {
    ammonia::Builder::default()
        .rm_tags(["img", "picture", "source", "video", "audio", "track"])
        .url_schemes(["http", "https", "mailto"].into())
        .link_rel(Some("noopener noreferrer nofollow"))
        .clean(html)
        .to_string()
}

/// A download on its way: the name to save it as, its size when known, and the plaintext stream (which
/// ends with an error, never cleanly, when the file cannot be read whole or the download is cut off).
pub struct Download {
    /// The file name to save as.
    pub name: String,
    /// The size in bytes (unknown for a ZIP, which is made on the fly).
    pub size: Option<u64>,
    /// The bytes.
    pub body: futures_util::stream::BoxStream<'static, io::Result<Bytes>>,
}

/// Streams one file as a download, after checking and counting the download limit.
pub async fn download(
    state: &Services,
    access: &Access,
    file_id: &str,
    client: &ClientInfo,
) -> Result<Download, AccessError> {
    let files = visible_files(state, access).await?;
    let (file, name) = files
        .into_iter()
        .find(|(f, _)| f.id == file_id)
        .ok_or(AccessError::Unavailable)?;
    count_downloads(state, access, &[(&file, name.as_str())], client).await?;
    let body = guarded(state, access, &file.id, plaintext(state, access, &file));
    Ok(Download {
        name,
        size: Some(u64::try_from(file.size).unwrap_or_default()),
        body,
    })
}

/// Counts the downloads of `files` as they start, under the recipient's row lock when a limit applies.
/// A file that reached its limit is left out (its index is not in the answer); when none is left,
/// [`AccessError::LimitReached`] (counting nothing). The first download of public files is their opening.
pub(crate) async fn count_downloads(
    state: &Services,
    access: &Access,
    files: &[(&FileRow, &str)],
    client: &ClientInfo,
) -> Result<Vec<usize>, AccessError> {
    let now = state.now_ms();
    // The sender's notice is rendered before the transaction (it reads the tenant's settings).
    let notice_settings = if access.notify_downloads {
        Some(
            crate::settings::effective(state, &access.tenant_id)
                .await
                .map_err(|e| {
                    AccessError::Internal(anyhow::anyhow!("cannot read the tenant settings: {e}"))
                })?,
        )
    } else {
        None
    };
    let mut tx = state.db.pool.begin().await?;
    let mut allowed: Vec<usize> = (0..files.len()).collect();
    if let Some(max) = access.max_downloads {
        if !store::lock_recipient(&mut tx, &access.recipient_id).await? {
            return Err(AccessError::Locked);
        }
        allowed.clear();
        for (i, (file, _)) in files.iter().enumerate() {
            if store::download_count(&mut tx, &file.id, &access.recipient_id).await? < max {
                allowed.push(i);
            }
        }
        if allowed.is_empty() {
            return Err(AccessError::LimitReached);
        }
    }
    let names: Vec<String> = allowed.iter().map(|&i| files[i].1.to_owned()).collect();
    let files: Vec<&FileRow> = allowed.iter().map(|&i| files[i].0).collect();
    for file in &files {
        store::record_download(&mut tx, &file.id, &access.recipient_id, now).await?;
    }
    // The sender asked to hear of each download: the notice commits with the download's count.
    if let Some(settings) = &notice_settings {
        let content = content(state, access)?;
        let subject = if content.subject_hidden {
            ""
        } else {
            content.subject.as_str()
        };
        let mail = zegel_mail::render::download_notice(
            settings.languages.first().copied().unwrap_or_default(),
            subject,
            &access.email,
            &names,
            now,
            &state.site.timezone,
            &access.sender_email,
            &crate::settings::notification_from(settings, &state.site.mail_from),
            &crate::settings::look(settings),
        );
        zegel_outbox::enqueue_email(
            &mut tx,
            &state.keys.keyring(),
            zegel_store::JobPurpose::SenderNotice,
            None,
            mail,
            now,
        )
        .await?;
    }
    let first_open = access.kind == MessageKind::PublicFiles
        && store::mark_first_open(&mut tx, &access.recipient_id, now).await?;
    tx.commit().await?;
    if first_open {
        audit_event(state, access, "message.opened", client).await?;
    }
    for file in &files {
        audit_event_on(
            state,
            access,
            "file.downloaded",
            Some(format!("file:{}", file.id)),
            client,
        )
        .await?;
    }
    Ok(allowed)
}

pub(crate) fn plaintext(
    state: &Services,
    access: &Access,
    file: &FileRow,
) -> impl Stream<Item = io::Result<Bytes>> + Send + 'static {
    // A file made from a resumable upload keeps the context and segments its blob was sealed with.
    let (message, file_part) = file
        .sealed_as
        .clone()
        .unwrap_or_else(|| (access.message_id.clone(), file.id.clone()));
    let ctx = SealContext {
        tenant: access.tenant_id.clone(),
        message,
        file: file_part,
    };
    let segments = crate::uploads::decode_segments(file.segments.as_deref()).unwrap_or_default();
    state
        .blobs
        .open_segmented(&file.blob_id, state.keys.clone(), ctx, segments)
}

/// A running download re-checks that it may go on after this many bytes...
const RECHECK_BYTES: u64 = 2 * 1024 * 1024;
/// ...or this much time, whichever comes first.
const RECHECK_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);

/// Wraps a file's plaintext stream so a block, deletion or expiry cuts off a download in progress:
/// every [`RECHECK_BYTES`] or [`RECHECK_INTERVAL`] one cheap query asks whether the message, the
/// recipient and the file are still available, and if not the stream ends with an error, which aborts
/// the response (a client sees a truncated, failed download, never a complete-looking file).
pub(crate) fn guarded(
    state: &Services,
    access: &Access,
    file_id: &str,
    inner: impl Stream<Item = io::Result<Bytes>> + Send + 'static,
) -> futures_util::stream::BoxStream<'static, io::Result<Bytes>> {
    struct Guard {
        state: Services,
        recipient_id: String,
        file_id: String,
        unchecked_bytes: u64,
        /// None until the first chunk: a ZIP starts a file's stream long after the request was checked.
        checked_at: Option<std::time::Instant>,
        stopped: bool,
    }
    let guard = Guard {
        state: state.clone(),
        recipient_id: access.recipient_id.clone(),
        file_id: file_id.to_owned(),
        unchecked_bytes: 0,
        checked_at: None,
        stopped: false,
    };
    futures_util::stream::unfold(
        (Box::pin(inner), guard),
        |(mut inner, mut guard)| async move {
            if guard.stopped {
                return None;
            }
            let item = inner.next().await?;
            if let Ok(chunk) = &item {
                guard.unchecked_bytes += chunk.len() as u64;
                let due = guard
                    .checked_at
                    .is_none_or(|at| at.elapsed() >= RECHECK_INTERVAL);
                if due || guard.unchecked_bytes >= RECHECK_BYTES {
                    guard.unchecked_bytes = 0;
                    guard.checked_at = Some(std::time::Instant::now());
                    let now = guard.state.now_ms();
                    let verdict = zegel_store::tracking::download_allowed(
                        &guard.state.db,
                        &guard.recipient_id,
                        &guard.file_id,
                        now,
                    )
                    .await;
                    let refusal = match verdict {
                        Ok(true) => None,
                        Ok(false) => Some(io::Error::new(
                            io::ErrorKind::PermissionDenied,
                            "the download was blocked or the message expired",
                        )),
                        Err(error) => Some(io::Error::other(error)),
                    };
                    if let Some(error) = refusal {
                        tracing::info!(file = %guard.file_id, "download cut off: {error}");
                        guard.stopped = true;
                        return Some((Err(error), (inner, guard)));
                    }
                }
            }
            Some((item, (inner, guard)))
        },
    )
    .boxed()
}

/// Streams every file the recipient may still download as one ZIP (stored, not compressed: the files
/// are usually compressed already, and this keeps the server's CPU for decryption), named after the
/// message. Files at their download limit or withdrawn by the sender are left out and listed, with why,
/// in a text file inside. A decryption error aborts the response.
pub async fn zip(
    state: &Services,
    access: &Access,
    client: &ClientInfo,
) -> Result<Download, AccessError> {
    let (files, withdrawn) = files_and_withdrawn(state, access).await?;
    if files.is_empty() {
        return Err(AccessError::Unavailable);
    }
    let name = zip_name(state, access).await?;
    let counted: Vec<(&FileRow, &str)> = files
        .iter()
        .map(|(file, name)| (file, name.as_str()))
        .collect();
    let allowed = count_downloads(state, access, &counted, client).await?;
    let t = zegel_mail::i18n::texts(language(access));
    let mut left_out: Vec<String> = files
        .iter()
        .enumerate()
        .filter(|(i, _)| !allowed.contains(i))
        .map(|(_, (_, name))| format!("- {name}: {}", t.reason_limit))
        .collect();
    left_out.extend(
        withdrawn
            .iter()
            .map(|name| format!("- {name}: {}", t.withdrawn_label)),
    );
    let included: Vec<&(FileRow, String)> = allowed.iter().map(|&i| &files[i]).collect();
    let mut names: Vec<String> = included.iter().map(|(_, name)| name.clone()).collect();
    if !left_out.is_empty() {
        names.push(t.zip_note_name.to_owned());
    }
    let mut names = unique_names(names).into_iter();
    let mut sources: Vec<(
        String,
        futures_util::stream::BoxStream<'static, io::Result<Bytes>>,
    )> = included
        .iter()
        .map(|(file, _)| {
            (
                names.next().unwrap_or_default(),
                guarded(state, access, &file.id, plaintext(state, access, file)),
            )
        })
        .collect();
    if let Some(note_name) = names.next() {
        let note = format!("{}\r\n{}\r\n", t.zip_note_intro, left_out.join("\r\n"));
        sources.push((
            note_name,
            futures_util::stream::once(async move { Ok(Bytes::from(note)) }).boxed(),
        ));
    }
    Ok(Download {
        name,
        size: None,
        body: zip_body(state, sources),
    })
}

/// A ZIP made on the fly of `sources` (entry name, plaintext), stored uncompressed, dated now; the
/// stream ends with an error when any source does.
pub(crate) fn zip_body(
    state: &Services,
    sources: Vec<(
        String,
        futures_util::stream::BoxStream<'static, io::Result<Bytes>>,
    )>,
) -> futures_util::stream::BoxStream<'static, io::Result<Bytes>> {
    let (writer, reader) = tokio::io::duplex(256 * 1024);
    let now = state
        .clock
        .now()
        .to_zoned(jiff::tz::TimeZone::get(&state.site.timezone).unwrap_or(jiff::tz::TimeZone::UTC));
    let modified = async_zip::ZipDateTimeBuilder::new()
        .year(i32::from(now.year()))
        .month(now.month() as u32)
        .day(now.day() as u32)
        .hour(now.hour() as u32)
        .minute(now.minute() as u32)
        .second(now.second() as u32)
        .build();
    let task = tokio::spawn(async move {
        use futures_util::AsyncWriteExt as _;
        let mut zip = async_zip::tokio::write::ZipFileWriter::with_tokio(writer);
        for (name, mut stream) in sources {
            let entry =
                async_zip::ZipEntryBuilder::new(name.into(), async_zip::Compression::Stored)
                    .last_modification_date(modified)
                    .unix_permissions(0o644);
            let mut entry_writer = zip
                .write_entry_stream(entry)
                .await
                .map_err(io::Error::other)?;
            while let Some(chunk) = stream.next().await {
                entry_writer.write_all(&chunk?).await?;
            }
            entry_writer.close().await.map_err(io::Error::other)?;
        }
        zip.close().await.map_err(io::Error::other)?;
        Ok::<(), io::Error>(())
    });
    tokio_util::io::ReaderStream::new(reader)
        .chain(futures_util::stream::once(async move {
            match task.await {
                Ok(Ok(())) => Ok(Bytes::new()),
                Ok(Err(error)) => Err(error),
                Err(join) => Err(io::Error::other(join)),
            }
        }))
        .boxed()
}

/// The ZIP's name: the message's subject, or its neutral name when the subject is hidden (or the tenant
/// hides subjects and the files are public, so the name says no more than the notification did).
async fn zip_name(state: &Services, access: &Access) -> Result<String, AccessError> {
    let content = content(state, access)?;
    let t = zegel_mail::i18n::texts(language(access));
    let hidden = content.subject_hidden
        || (access.kind == MessageKind::PublicFiles
            && crate::settings::effective(state, &access.tenant_id)
                .await
                .map(|s| s.hide_subject)
                .unwrap_or(true));
    let subject = content.subject.trim();
    let base = if hidden || subject.is_empty() {
        match access.kind {
            MessageKind::SecureMessage => t.neutral_subject,
            MessageKind::SecureFiles => t.neutral_subject_files,
            MessageKind::PublicFiles => t.neutral_subject_public,
        }
    } else {
        subject
    };
    // A subject's slashes are not folders; the name is made safe like every file name.
    let base: String = base.replace(['/', '\\'], "-").chars().take(100).collect();
    Ok(zegel_core::file_name::display_name(&format!(
        "{}.zip",
        base.trim()
    )))
}

/// Makes ZIP entry names unique (`a.pdf`, `a (2).pdf`) so no file overwrites another when unpacked.
pub(crate) fn unique_names(names: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    names
        .into_iter()
        .map(|name| {
            let mut candidate = name.clone();
            let mut n = 2;
            while !seen.insert(candidate.to_lowercase()) {
                candidate = match name.rsplit_once('.') {
                    Some((stem, ext)) if !stem.is_empty() => format!("{stem} ({n}).{ext}"),
                    _ => format!("{name} ({n})"),
                };
                n += 1;
            }
            candidate
        })
        .collect()
}

async fn audit_event(
    state: &Services,
    access: &Access,
    event: &str,
    client: &ClientInfo,
) -> Result<(), AccessError> {
    audit_event_on(state, access, event, None, client).await
}

/// An audit event with what it happened to (`file:<id>`).
async fn audit_event_on(
    state: &Services,
    access: &Access,
    event: &str,
    detail: Option<String>,
    client: &ClientInfo,
) -> Result<(), AccessError> {
    audit::append(
        &state.db,
        state.now_ms(),
        &AuditEvent {
            tenant_id: Some(&access.tenant_id),
            message_id: Some(&access.message_id),
            actor: format!("recipient:{}", access.email),
            event,
            detail,
            ip: client.ip.clone(),
            user_agent: client.user_agent.clone(),
        },
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_sanitised() {
        let dirty = r#"<p onclick="x()">Hi <script>alert(1)</script><img src="https://tracker.example/p.gif">
            <a href="javascript:alert(1)">a</a><a href="https://ok.example">b</a><style>body{}</style>
            <iframe src="https://evil.example"></iframe><div style="background:url(https://t.example)">c</div></p>"#;
        let clean = sanitize_html(dirty);
        for bad in [
            "onclick",
            "<script",
            "alert(1)",
            "tracker.example",
            "javascript:",
            "<style",
            "iframe",
            "t.example",
        ] {
            assert!(!clean.contains(bad), "{bad} survived: {clean}");
        }
        assert!(clean.contains("https://ok.example"));
    }

    #[test]
    fn tables_keep_their_structure() {
        // A table of lab values stays a table (the portal's stylesheet draws its borders).
        let html = r#"<table border="1"><thead><tr><th>Test</th><th>Uitslag</th></tr></thead>
            <tbody><tr><td colspan="1">Hb</td><td>8,4 mmol/l</td></tr></tbody></table>"#;
        let clean = sanitize_html(html);
        for tag in ["<table", "<thead>", "<tbody>", "<tr>", "<th>", "<td"] {
            assert!(clean.contains(tag), "{tag} lost: {clean}");
        }
    }

    #[test]
    fn zip_names_are_unique() {
        let names = unique_names(vec![
            "a.pdf".into(),
            "A.pdf".into(),
            "a.pdf".into(),
            "b".into(),
            "b".into(),
        ]);
        assert_eq!(names, ["a.pdf", "A (2).pdf", "a (3).pdf", "b", "b (2)"]);
    }
}
