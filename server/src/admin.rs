//! `zegel admin ...`: tenants, sender tokens and key rotation, run against the same configuration as
//! `zegel serve`.

use anyhow::{Context as _, bail};
use zegel_crypto::{HEADER_LEN, Keyring, WrappedKey};

use crate::db::{messages, outbox, tenants};
use crate::state::AppState;

/// Creates a tenant owning `domains`; returns its id.
pub async fn add_tenant(state: &AppState, name: &str, domains: &[String]) -> anyhow::Result<String> {
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
        .with_context(|| format!("no tenant owns the domain {domain}; add one with `zegel admin tenant add`"))?;
    let user = tenants::ensure_user(&state.db, &tenant.id, &email, state.now_ms()).await?;
    Ok(crate::auth::issue_token(state, &user, days))
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
    let mut report = RotationReport { new_kek_id, ..Default::default() };
    let inventory = messages::all_sealed(&state.db).await?;
    for mut message in inventory.messages {
        let wrapped = WrappedKey::from_slice(&message.wrapped_key)?;
        if let Some(rewrapped) = keyring.rewrap(&wrapped)? {
            message.wrapped_key = rewrapped.to_vec();
            report.data_keys += 1;
        }
        for sealed in [&mut message.sealed_content, &mut message.sealed_password].into_iter().flatten() {
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
        let header = state.blobs.read_header(&blob_id).with_context(|| format!("cannot read blob {blob_id}"))?;
        if let Some(new_header) = zegel_crypto::rewrap_header(&keyring, &header)? {
            state.blobs.rewrite_header(&blob_id, &new_header)?;
            report.blobs += 1;
        }
    }
    for (job_id, mut payload) in outbox::all_payloads(&state.db).await? {
        if rewrap_in_place(&keyring, &mut payload)? {
            outbox::update_payload(&state.db, &job_id, &payload).await?;
            report.fields += 1;
        }
    }
    Ok(report)
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
