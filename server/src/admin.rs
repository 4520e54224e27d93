//! `zegel admin ...`: tenants, sender tokens and key rotation, run against the same configuration as
//! `zegel serve`.

use anyhow::{Context as _, bail};
use zegel_crypto::{HEADER_LEN, Keyring, WrappedKey};

use crate::state::AppState;
use zegel_store::{messages, outbox, tenants};

/// Creates a tenant owning `domains`; returns its id.
pub async fn add_tenant(
    state: &AppState,
    name: &str,
    domains: &[String],
) -> anyhow::Result<String> {
    let name = name.trim();
    if name.is_empty() {
        bail!("--name must not be empty");
    }
    if domains.is_empty() {
        bail!("give at least one --domain");
    }
    let mut normalised = Vec::new();
    for domain in domains {
        let domain = domain.trim().trim_start_matches('@').to_ascii_lowercase();
        // The same rules as the domain of an address, by checking a probe address.
        if zegel_core::address::normalize_email(&format!("probe@{domain}")).is_err() {
            bail!("'{domain}' is not a valid mail domain");
        }
        normalised.push(domain);
    }
    let tenant = tenants::create_tenant(&state.db, name, &normalised, state.now_ms()).await?;
    Ok(tenant.id)
}

/// Makes a bearer token for the sender `email` of the tenant owning its domain.
pub async fn token(state: &AppState, email: &str, days: i64) -> anyhow::Result<String> {
    let email = zegel_core::address::normalize_email(email).map_err(|e| anyhow::anyhow!("{e}"))?;
    if !(1..=366).contains(&days) {
        bail!("--days must be between 1 and 366");
    }
    let domain = zegel_core::address::domain_of(&email);
    let tenant = tenants::tenant_for_domain(&state.db, domain)
        .await?
        .with_context(|| {
            format!("no tenant owns the domain {domain}; add one with `zegel admin tenant add`")
        })?;
    let user = tenants::ensure_user(&state.db, &tenant.id, &email, state.now_ms()).await?;
    Ok(zegel_service::auth::issue_token(state, &user, days))
}

/// What a rotation changed.
#[derive(Debug, Default)]
pub struct RotationReport {
    /// The new KEK's id.
    pub new_kek_id: u32,
    /// Data keys re-wrapped.
    pub data_keys: usize,
    /// Sealed database fields re-wrapped.
    pub fields: usize,
    /// Blob headers re-wrapped.
    pub blobs: usize,
}

/// Adds a KEK and re-wraps every data key, sealed field and blob header to it. Old KEKs stay in the
/// keyring, so anything this misses (e.g. written concurrently) still decrypts; running it again is
/// safe.
pub async fn rotate_kek(state: &AppState) -> anyhow::Result<RotationReport> {
    let new_kek_id = state.keys.add_kek()?;
    let keyring = state.keys.keyring();
    let mut report = RotationReport {
        new_kek_id,
        ..Default::default()
    };
    let inventory = messages::all_sealed(&state.db).await?;
    for mut message in inventory.messages {
        let wrapped = WrappedKey::from_slice(&message.wrapped_key)?;
        if let Some(rewrapped) = keyring.rewrap(&wrapped)? {
            message.wrapped_key = rewrapped.to_vec();
            report.data_keys += 1;
        }
        for sealed in [&mut message.sealed_content, &mut message.sealed_password]
            .into_iter()
            .flatten()
        {
            if rewrap_in_place(&keyring, sealed)? {
                report.fields += 1;
            }
        }
        messages::update_message_keys(&state.db, &message).await?;
    }
    for (file_id, mut sealed_name, blob_id) in inventory.files {
        if rewrap_in_place(&keyring, &mut sealed_name)? {
            messages::update_file_name(&state.db, &file_id, &sealed_name).await?;
            report.fields += 1;
        }
        if rewrap_blob(state, &keyring, &blob_id).await? {
            report.blobs += 1;
        }
    }
    // Resumable uploads not yet used by a message: their sealed names and blob headers.
    for (upload_id, sealed_name, blob_id) in zegel_store::uploads::all_sealed(&state.db).await? {
        if let Some(mut sealed_name) = sealed_name
            && rewrap_in_place(&keyring, &mut sealed_name)?
        {
            zegel_store::uploads::update_name(&state.db, &upload_id, &sealed_name).await?;
            report.fields += 1;
        }
        if rewrap_blob(state, &keyring, &blob_id).await? {
            report.blobs += 1;
        }
    }
    for (job_id, mut payload) in outbox::all_payloads(&state.db).await? {
        if rewrap_in_place(&keyring, &mut payload)? {
            outbox::update_payload(&state.db, &job_id, &payload).await?;
            report.fields += 1;
        }
        // The SMTP gateway's relay blobs are referenced only by their outbox job.
        if let Ok(zegel_outbox::Payload::Relay(relay)) =
            zegel_outbox::open_payload(&state.keys, &job_id, &payload)
            && rewrap_blob(state, &keyring, &relay.blob_id).await?
        {
            report.blobs += 1;
        }
    }
    Ok(report)
}

/// Re-wraps a blob's data key under the newest KEK (only its header is written again); answers whether
/// it was wrapped under an older one.
async fn rewrap_blob(state: &AppState, keyring: &Keyring, blob_id: &str) -> anyhow::Result<bool> {
    let header = state
        .blobs
        .read_header(blob_id)
        .await
        .with_context(|| format!("cannot read blob {blob_id}"))?;
    let Some(new_header) = zegel_crypto::rewrap_header(keyring, &header)? else {
        return Ok(false);
    };
    state
        .blobs
        .rewrite_header(blob_id, &new_header)
        .await
        .with_context(|| format!("cannot rewrite the header of blob {blob_id}"))?;
    Ok(true)
}

fn rewrap_in_place(keyring: &Keyring, sealed: &mut [u8]) -> anyhow::Result<bool> {
    if sealed.len() < HEADER_LEN {
        return Ok(false);
    }
    match zegel_crypto::rewrap_header(keyring, &sealed[..HEADER_LEN])? {
        Some(header) => {
            sealed[..HEADER_LEN].copy_from_slice(&header);
            Ok(true)
        }
        None => Ok(false),
    }
}

/// The tenant owning `domain`, or an error that says how to add one.
async fn tenant_owning(state: &AppState, domain: &str) -> anyhow::Result<tenants::Tenant> {
    let domain = zegel_core::settings::normalize_domain(domain)
        .with_context(|| format!("'{domain}' is not a mail domain"))?;
    tenants::tenant_for_domain(&state.db, &domain)
        .await?
        .with_context(|| {
            format!("no tenant owns the domain {domain}; add one with `zegel admin tenant add`")
        })
}

/// Gives the user `email` a role (`admin` or `sender`), creating the user when needed.
pub async fn grant(state: &AppState, email: &str, role: &str) -> anyhow::Result<()> {
    if !matches!(role, "admin" | "sender") {
        bail!("--role must be admin or sender");
    }
    let email = zegel_core::address::normalize_email(email).map_err(|e| anyhow::anyhow!("{e}"))?;
    let tenant = tenant_owning(state, zegel_core::address::domain_of(&email)).await?;
    let user = tenants::ensure_user(&state.db, &tenant.id, &email, state.now_ms()).await?;
    tenants::set_role(&state.db, &tenant.id, &user.id, role).await?;
    zegel_store::audit::append(
        &state.db,
        state.now_ms(),
        &zegel_store::audit::AuditEvent {
            tenant_id: Some(&tenant.id),
            actor: "system:cli".to_owned(),
            event: if role == "admin" {
                "user.granted_admin"
            } else {
                "user.granted_sender"
            },
            ..Default::default()
        },
    )
    .await?;
    Ok(())
}

/// Sets the longest link expiry the tenant owning `domain` may choose (an operator's decision: 14 days
/// unless agreed otherwise).
pub async fn allow_expiry(state: &AppState, domain: &str, days: u32) -> anyhow::Result<()> {
    if !(1..=zegel_core::settings::OPERATOR_MAX_EXPIRY_DAYS).contains(&days) {
        bail!(
            "--days must be between 1 and {}",
            zegel_core::settings::OPERATOR_MAX_EXPIRY_DAYS
        );
    }
    let tenant = tenant_owning(state, domain).await?;
    tenants::set_max_expiry_days(&state.db, &tenant.id, i64::from(days)).await?;
    Ok(())
}

/// What `zegel admin oidc set` configures.
#[derive(Debug, Clone)]
pub struct OidcTrust {
    /// A domain of the tenant.
    pub domain: String,
    /// The issuer URL, exactly as in the tokens' `iss`.
    pub issuer: String,
    /// The audience (client id) tokens must name.
    pub audience: String,
    /// The claim holding the user's address.
    pub user_claim: String,
    /// The claim that makes an admin.
    pub admin_claim: Option<String>,
    /// The value of `admin_claim` that makes an admin.
    pub admin_value: Option<String>,
    /// A scope the tokens must carry (`scp`), e.g. `access_as_user` for Office single sign-on.
    pub scope: Option<String>,
}

/// Makes the tenant owning `trust.domain` trust an OpenID Connect issuer (replacing an earlier entry
/// for the same issuer).
pub async fn oidc_set(state: &AppState, trust: &OidcTrust) -> anyhow::Result<()> {
    zegel_service::oidc::check_issuer_url(&trust.issuer)
        .map_err(|e| anyhow::anyhow!("--issuer: {e}"))?;
    let nonempty = |name: &str, value: &str| -> anyhow::Result<String> {
        let value = value.trim();
        if value.is_empty() || value.len() > 1024 || value.chars().any(char::is_control) {
            bail!("--{name} must be a non-empty single line");
        }
        Ok(value.to_owned())
    };
    let audience = nonempty("audience", &trust.audience)?;
    let user_claim = nonempty("user-claim", &trust.user_claim)?;
    let admin_value = trust
        .admin_value
        .as_deref()
        .map(|v| nonempty("admin-value", v))
        .transpose()?;
    let admin_claim = match (&trust.admin_claim, &admin_value) {
        (Some(claim), Some(_)) => Some(nonempty("admin-claim", claim)?),
        (None, Some(_)) => Some("groups".to_owned()),
        (_, None) => None,
    };
    let required_scope = trust
        .scope
        .as_deref()
        .map(|v| nonempty("scope", v))
        .transpose()?;
    if required_scope
        .as_deref()
        .is_some_and(|s| s.contains(char::is_whitespace))
    {
        bail!("--scope is one scope, without spaces");
    }
    let tenant = tenant_owning(state, &trust.domain).await?;
    let entry = zegel_store::oidc::TrustedIssuer {
        tenant_id: tenant.id,
        issuer: trust.issuer.trim().to_owned(),
        audience,
        user_claim,
        admin_claim,
        admin_value,
        required_scope,
    };
    zegel_store::oidc::set(&state.db, &entry, state.now_ms()).await?;
    Ok(())
}

/// Ends the trust of the tenant owning `domain` in `issuer`.
pub async fn oidc_remove(state: &AppState, domain: &str, issuer: &str) -> anyhow::Result<()> {
    let tenant = tenant_owning(state, domain).await?;
    if !zegel_store::oidc::remove(&state.db, &tenant.id, issuer.trim()).await? {
        bail!("the tenant owning {domain} does not trust {issuer}");
    }
    Ok(())
}

/// The issuers the tenant owning `domain` trusts, one line each.
pub async fn oidc_list(state: &AppState, domain: &str) -> anyhow::Result<Vec<String>> {
    let tenant = tenant_owning(state, domain).await?;
    let entries = zegel_store::oidc::for_tenant(&state.db, &tenant.id).await?;
    Ok(entries
        .iter()
        .map(|e| {
            let admin = match (&e.admin_claim, &e.admin_value) {
                (Some(claim), Some(value)) => format!(" admin={claim}:{value}"),
                _ => String::new(),
            };
            let scope = e
                .required_scope
                .as_ref()
                .map_or_else(String::new, |s| format!(" scope={s}"));
            format!(
                "{} audience={} user-claim={}{admin}{scope}",
                e.issuer, e.audience, e.user_claim
            )
        })
        .collect())
}
