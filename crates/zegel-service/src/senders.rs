//! Senders from the browser (`/send`, seed 004): a person proves their address with a six-digit code
//! mailed to it, and the browser keeps a sender session for the tenant's period (30 days by default).
//! Staff (addresses of the tenant's domains) send to anyone; outsiders send under the organisation they
//! name, to its own addresses only, unless the tenant switched that off.
//!
//! The session is a user of the tenant like any sender's token: the message API, the resumable uploads
//! and log & block take it as they take a bearer token, and `intake` is the one place messages are made.

use zegel_core::Language;
use zegel_core::settings::{TenantSettings, WebSendOutsiders};
use zegel_store::tenants::{Tenant, User};

use crate::{ClientInfo, ServiceError, Services};

/// A code is valid this long.
pub const CODE_TTL_MS: i64 = 30 * 60 * 1000;
/// Codes one client address may ask for per hour.
pub const CODES_PER_IP_HOUR: i64 = 30;
/// Codes one address may be sent per hour.
pub const CODES_PER_ADDRESS_HOUR: i64 = 5;
const HOUR_MS: i64 = 3_600_000;

fn email_hash(email: &str) -> String {
    zegel_crypto::hash_token(&email.trim().to_lowercase())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn code_hash(hash: &str, code: &str) -> [u8; 32] {
    zegel_crypto::hash_token(&format!("{hash}:{}", code.trim()))
}

fn domain_of(email: &str) -> String {
    email
        .rsplit_once('@')
        .map_or("", |(_, d)| d)
        .to_ascii_lowercase()
}

/// Whether `email` is one of the tenant's own people (an address of its domains).
pub fn is_staff(settings: &TenantSettings, tenant_domains: &[String], email: &str) -> bool {
    let domain = domain_of(email);
    tenant_domains
        .iter()
        .chain(settings.internal_domains.iter())
        .any(|d| zegel_core::settings::within(&domain, d))
}

/// For a sender outside the organisation: the first recipient who is not one of its people (they may
/// write to its own addresses only). `None` for staff, and when every recipient is the organisation's.
pub fn outside_recipient<'a>(
    settings: &TenantSettings,
    tenant_domains: &[String],
    sender: &str,
    mut recipients: impl Iterator<Item = &'a str>,
) -> Option<&'a str> {
    if is_staff(settings, tenant_domains, sender) {
        return None;
    }
    recipients.find(|r| !is_staff(settings, tenant_domains, r))
}

/// The organisation a browser sender sends under: their own (staff), else the one they name, when it
/// lets outsiders send. `Forbidden` when it does not, `invalid` naming `organisation` when none fits.
pub async fn tenant_for(
    state: &Services,
    email: &str,
    organisation: Option<&str>,
) -> Result<Tenant, ServiceError> {
    if let Some(tenant) =
        zegel_store::tenants::tenant_for_domain(&state.db, &domain_of(email)).await?
    {
        return Ok(tenant);
    }
    let named = organisation
        .map(|o| o.trim().trim_start_matches('@').to_ascii_lowercase())
        .filter(|o| !o.is_empty())
        .ok_or_else(|| {
            ServiceError::invalid("organisation", "name the organisation you send to")
        })?;
    let tenant = zegel_store::tenants::tenant_for_domain(&state.db, &named)
        .await?
        .ok_or_else(|| {
            ServiceError::invalid(
                "organisation",
                "no organisation with that domain uses this server",
            )
        })?;
    let settings = crate::settings::effective(state, &tenant.id).await?;
    if settings.web_send.outsiders == WebSendOutsiders::Off {
        return Err(ServiceError::Forbidden(
            "this organisation receives no messages from outside through the browser".into(),
        ));
    }
    Ok(tenant)
}

/// Mails `email` a six-digit code that proves the address, after the hourly windows per client and
/// per address.
pub async fn challenge(
    state: &Services,
    email: &str,
    organisation: Option<&str>,
    language: Language,
    client: &ClientInfo,
) -> Result<(), ServiceError> {
    let tenant = tenant_for(state, email, organisation).await?;
    let hash = email_hash(email);
    let window = state.now_ms() / HOUR_MS * HOUR_MS;
    let refused = || {
        ServiceError::TooManyRequests(
            "too many codes asked for from here or for this address; try again in an hour".into(),
        )
    };
    if let Some(ip) = &client.ip
        && zegel_store::portals::hit(&state.db, &format!("send-ip:{ip}"), window).await?
            > CODES_PER_IP_HOUR
    {
        return Err(refused());
    }
    if zegel_store::portals::hit(&state.db, &format!("send-address:{hash}"), window).await?
        > CODES_PER_ADDRESS_HOUR
    {
        return Err(refused());
    }
    let code = zegel_crypto::numeric_code(6);
    let now = state.now_ms();
    let settings = crate::settings::effective(state, &tenant.id).await?;
    let mail = zegel_mail::render::verification_code(
        language,
        zegel_mail::render::CodeFor::Sending {
            organisation: &settings.branding.name,
        },
        &code,
        CODE_TTL_MS / 60_000,
        email,
        &crate::settings::notification_from(&settings, &state.site.mail_from),
        &crate::settings::look(&settings),
    );
    let mut tx = state.db.pool.begin().await?;
    zegel_outbox::enqueue_email(
        &mut tx,
        &state.keys.keyring(),
        zegel_store::JobPurpose::Password,
        None,
        mail,
        now,
    )
    .await?;
    tx.commit().await?;
    zegel_store::senders::issue_code(
        &state.db,
        &hash,
        &code_hash(&hash, &code),
        now,
        now + CODE_TTL_MS,
    )
    .await?;
    state.outbox_wakeup.notify_one();
    Ok(())
}

/// A verified sender: their user and the session token for their browser, valid until `expires_at`.
#[derive(Debug, Clone)]
pub struct Verified {
    /// The sender as a user of the organisation.
    pub user: User,
    /// The session token (only its hash is stored).
    pub token: String,
    /// When the session ends (Unix ms).
    pub expires_at: i64,
}

/// Checks the code mailed to `email` (each try counted in the database first): a session on success,
/// `invalid` naming `code` otherwise.
pub async fn verify(
    state: &Services,
    email: &str,
    code: &str,
    organisation: Option<&str>,
    client: &ClientInfo,
) -> Result<Verified, ServiceError> {
    let tenant = tenant_for(state, email, organisation).await?;
    let hash = email_hash(email);
    let now = state.now_ms();
    let candidate = code_hash(&hash, code);
    let mut matched = None;
    for (id, stored) in zegel_store::senders::claim_tries(&state.db, &hash, now).await? {
        if zegel_crypto::ct_eq(&candidate, &stored) {
            matched = Some(id);
        }
    }
    let spent = match matched {
        Some(id) => zegel_store::senders::spend(&state.db, &id).await?,
        None => false,
    };
    if !spent {
        return Err(ServiceError::invalid(
            "code",
            "the code is not correct or has expired",
        ));
    }
    let user = zegel_store::tenants::ensure_user(&state.db, &tenant.id, email, now).await?;
    start_session(state, user, "sender.verified", client).await
}

/// A browser session for `user` (verified by a code, or signed in with the organisation's account),
/// for the tenant's period, audited as `event`.
pub async fn start_session(
    state: &Services,
    user: User,
    event: &'static str,
    client: &ClientInfo,
) -> Result<Verified, ServiceError> {
    let now = state.now_ms();
    let settings = crate::settings::effective(state, &user.tenant_id).await?;
    let token = zegel_crypto::random_token();
    let expires_at = now + i64::from(settings.web_send.remember_days) * 86_400_000;
    zegel_store::senders::create_session(
        &state.db,
        &zegel_crypto::hash_token(&token),
        &user.id,
        now,
        expires_at,
    )
    .await?;
    zegel_store::audit::append(
        &state.db,
        now,
        &zegel_store::audit::AuditEvent {
            tenant_id: Some(&user.tenant_id),
            actor: format!("sender:{}", user.email),
            event,
            ip: client.ip.clone(),
            user_agent: client.user_agent.clone(),
            ..Default::default()
        },
    )
    .await?;
    Ok(Verified {
        user,
        token,
        expires_at,
    })
}

/// The sender a browser session belongs to, while it lasts.
pub async fn session(state: &Services, token: &str) -> Result<Option<User>, ServiceError> {
    let now = state.now_ms();
    let Some(user_id) =
        zegel_store::senders::session_user(&state.db, &zegel_crypto::hash_token(token), now)
            .await?
    else {
        return Ok(None);
    };
    Ok(zegel_store::tenants::user(&state.db, &user_id).await?)
}

/// Ends a browser session.
pub async fn end(state: &Services, token: &str) -> Result<(), ServiceError> {
    zegel_store::senders::end_session(&state.db, &zegel_crypto::hash_token(token)).await?;
    Ok(())
}
