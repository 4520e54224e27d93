//! Phone numbers for two-factor access: validated and normalised to E.164 with the `phonenumber`
//! crate (libphonenumber's metadata), remembered per tenant and recipient address, sealed at rest.
//!
//! Who may set a remembered number: a number a sender gives is used for that message only. It becomes
//! the remembered one when the recipient confirms it by entering a code sent to it (they hold both the
//! link from their mailbox and the phone), or when a tenant admin sets it. So no sender can redirect
//! the codes of other senders' messages by giving another number.

use phonenumber::country::Id;
use phonenumber::{Mode, Type};
use zegel_crypto::{Context, DataKey};

use crate::db::phones as store;
use crate::sealing;
use crate::state::AppState;

/// Why a number was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    /// Not a phone number at all.
    #[error("'{0}' is not a phone number")]
    Unparsable(String),
    /// A number that does not exist in its country's numbering plan.
    #[error("'{0}' is not a valid phone number")]
    Invalid(String),
    /// A landline or service number, which cannot receive SMS.
    #[error("'{0}' is not a mobile number")]
    NotMobile(String),
}

/// Parses a number written in any common way (`06 12345678`, `+31 (0)6-1234 5678`, `0031612345678`),
/// national formats in `default_country` (ISO 3166 alpha-2), and returns it in E.164 (`+31612345678`).
/// Numbers the library knows to be landlines or service numbers are refused; where it cannot tell
/// (some countries mix mobile and fixed ranges) the number is accepted.
pub fn normalize(input: &str, default_country: &str) -> Result<String, PhoneError> {
    let trimmed = input.trim();
    if trimmed.is_empty() || trimmed.len() > 40 {
        return Err(PhoneError::Unparsable(trimmed.to_owned()));
    }
    let country: Option<Id> = default_country.to_ascii_uppercase().parse().ok();
    // "+31 (0)6 ..." is common in Dutch signatures; the library reads the "(0)" as part of the number.
    let cleaned = trimmed.replace("(0)", "");
    let number = phonenumber::parse(country, &cleaned)
        .map_err(|_| PhoneError::Unparsable(trimmed.to_owned()))?;
    if !number.is_valid() {
        return Err(PhoneError::Invalid(trimmed.to_owned()));
    }
    match number.number_type(&phonenumber::metadata::DATABASE) {
        Type::Mobile | Type::FixedLineOrMobile | Type::PersonalNumber | Type::Unknown => {}
        _ => return Err(PhoneError::NotMobile(trimmed.to_owned())),
    }
    Ok(number.format().mode(Mode::E164).to_string())
}

fn context<'a>(tenant: &'a str, email: &'a str) -> Context<'a> {
    Context {
        tenant,
        message: "phones",
        file: email,
    }
}

/// The remembered number of a recipient, if any.
pub async fn remembered(
    state: &AppState,
    tenant_id: &str,
    email: &str,
) -> anyhow::Result<Option<String>> {
    let email = email.to_ascii_lowercase();
    let Some(sealed) = store::remembered(&state.db, tenant_id, &email).await? else {
        return Ok(None);
    };
    let ctx = context(tenant_id, &email);
    let plain = match zegel_crypto::open_to_vec(&state.keys.keyring(), ctx, &sealed) {
        Err(zegel_crypto::CryptoError::UnknownKek(_)) => {
            state.keys.reload()?;
            zegel_crypto::open_to_vec(&state.keys.keyring(), ctx, &sealed)?
        }
        other => other?,
    };
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
    state: &AppState,
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
    state: &AppState,
    tenant_id: &str,
    message_id: &str,
    recipient_id: &str,
    sealed: &[u8],
) -> anyhow::Result<String> {
    Ok(String::from_utf8(sealing::open_field(
        state,
        tenant_id,
        message_id,
        &field(recipient_id),
        sealed,
    )?)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_the_ways_people_write_numbers() {
        for (input, country, expected) in [
            ("06 12345678", "NL", "+31612345678"),
            ("06-1234 5678", "NL", "+31612345678"),
            ("+31 6 12345678", "NL", "+31612345678"),
            ("+31 (0)6 12345678", "NL", "+31612345678"),
            ("0031612345678", "NL", "+31612345678"),
            ("070-123 4567", "SE", "+46701234567"),
            ("+46 70 123 45 67", "NL", "+46701234567"),
        ] {
            assert_eq!(
                normalize(input, country).as_deref(),
                Ok(expected),
                "{input} in {country}"
            );
        }
    }

    #[test]
    fn refuses_what_cannot_get_an_sms() {
        assert!(matches!(
            normalize("hallo", "NL"),
            Err(PhoneError::Unparsable(_))
        ));
        assert!(matches!(
            normalize("", "NL"),
            Err(PhoneError::Unparsable(_))
        ));
        assert!(matches!(
            normalize("06 1234", "NL"),
            Err(PhoneError::Invalid(_))
        ));
        assert!(matches!(
            normalize("020 123 4567", "NL"),
            Err(PhoneError::NotMobile(_))
        ));
        assert!(matches!(
            normalize("0800 0123", "NL"),
            Err(PhoneError::NotMobile(_) | PhoneError::Invalid(_))
        ));
    }
}
