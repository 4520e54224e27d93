//! Phone numbers for two-factor access: validated and normalised to E.164 by `zegel_core::phone` (the
//! `phonenumber` crate's metadata, the same rule the pane applies), remembered per tenant and recipient
//! address, sealed at rest.
//!
//! Who may set a remembered number: a number a sender gives is used for that message only. It becomes
//! the remembered one when the recipient confirms it by entering a code sent to it (they hold both the
//! link from their mailbox and the phone), or when a tenant admin sets it. So no sender can redirect
//! the codes of other senders' messages by giving another number.

use zegel_crypto::{Context, DataKey};

use crate::Services;
use zegel_store::phones as store;
use zegel_vault::sealing;

/// The one rule for mobile numbers, shared with the pane through `zegel-core`.
pub use zegel_core::phone::{PhoneError, normalize};

fn context<'a>(tenant: &'a str, email: &'a str) -> Context<'a> {
    Context {
        tenant,
        message: "phones",
        file: email,
    }
}

/// The remembered number of a recipient, if any.
pub async fn remembered(
    state: &Services,
    tenant_id: &str,
    email: &str,
) -> anyhow::Result<Option<String>> {
    let email = email.to_ascii_lowercase();
    let Some(sealed) = store::remembered(&state.db, tenant_id, &email).await? else {
        return Ok(None);
    };
    let ctx = context(tenant_id, &email);
    let plain = state
        .keys
        .with_keyring(|keyring| zegel_crypto::open_to_vec(keyring, ctx, &sealed))?;
    Ok(Some(String::from_utf8(plain)?))
}

/// Who vouched for a remembered number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfirmedBy {
    /// The recipient entered a code sent to it.
    Recipient,
    /// A tenant admin set it.
    Admin,
}

impl ConfirmedBy {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Recipient => "recipient",
            Self::Admin => "admin",
        }
    }
}

/// Remembers (or replaces) a recipient's number: only for a confirmation by the recipient or an
/// admin's change (see the module documentation).
pub async fn remember(
    state: &Services,
    tenant_id: &str,
    email: &str,
    e164: &str,
    confirmed_by: ConfirmedBy,
) -> anyhow::Result<()> {
    let email = email.to_ascii_lowercase();
    let sealed = zegel_crypto::seal_to_vec(
        &state.keys.keyring(),
        &DataKey::generate(),
        context(tenant_id, &email),
        e164.as_bytes(),
    );
    store::remember(
        &state.db,
        tenant_id,
        &email,
        &sealed,
        state.now_ms(),
        confirmed_by.as_str(),
    )
    .await?;
    Ok(())
}

/// The field name under which a recipient's number is sealed in a message.
pub fn field(recipient_id: &str) -> String {
    format!("phone:{recipient_id}")
}

/// Opens the number a recipient's codes go to.
pub fn open_for_recipient(
    state: &Services,
    tenant_id: &str,
    message_id: &str,
    recipient_id: &str,
    sealed: &[u8],
) -> anyhow::Result<String> {
    Ok(String::from_utf8(sealing::open_field(
        &state.keys,
        tenant_id,
        message_id,
        &field(recipient_id),
        sealed,
    )?)?)
}
