//! Sealing and opening the small encrypted fields of a message (content, file names, passwords), all
//! in the crypto crate's envelope format with the message's data key.

use serde::{Deserialize, Serialize};
use zegel_crypto::{Context, CryptoError, DataKey, Keyring};

use crate::Keys;

/// Field names bound into the envelopes (the "file" part of the crypto context).
pub mod field {
    /// Subject and body.
    pub const CONTENT: &str = "content";
    /// A custom password Zegel e-mails on request.
    pub const PASSWORD: &str = "password";

    /// A file's name.
    pub fn file_name(file_id: &str) -> String {
        format!("name:{file_id}")
    }
}

/// What a sender wrote, sealed as one envelope.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageContent {
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub body_text: Option<String>,
    /// HTML body as the sender gave it (sanitised when shown).
    pub body_html: Option<String>,
    /// E-mails about this message (notification, password) show a neutral subject: the tenant hides
    /// subjects, or the gateway found a sensitive value in it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub subject_hidden: bool,
    /// What the content filter found that made the message two-factor, as the sender of a held
    /// message is told (kinds, and tenant words; never an identifier).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub found: Vec<zegel_core::policy::Shown>,
    /// Files received: who uploaded them (their verified address), shown as the sender.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// The files' names and sizes, when the sender chose to show them in the notification.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub listed_files: Vec<(String, u64)>,
}

/// Seals `plaintext` as field `field` of a message.
pub fn seal_field(
    keyring: &Keyring,
    key: &DataKey,
    tenant: &str,
    message: &str,
    field: &str,
    plaintext: &[u8],
) -> Vec<u8> {
    zegel_crypto::seal_to_vec(
        keyring,
        key,
        Context {
            tenant,
            message,
            file: field,
        },
        plaintext,
    )
}

/// Opens a sealed field, reloading the keyring once if it was sealed with a KEK this process does not
/// know yet (added by a rotation while the server runs).
pub fn open_field(
    keys: &Keys,
    tenant: &str,
    message: &str,
    field: &str,
    sealed: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let ctx = Context {
        tenant,
        message,
        file: field,
    };
    keys.with_keyring(|keyring| zegel_crypto::open_to_vec(keyring, ctx, sealed))
}

/// Opens a message's content.
pub fn open_content(
    keys: &Keys,
    tenant: &str,
    message: &str,
    sealed: &[u8],
) -> anyhow::Result<MessageContent> {
    let json = open_field(keys, tenant, message, field::CONTENT, sealed)?;
    Ok(serde_json::from_slice(&json)?)
}

/// Opens a file's name.
pub fn open_file_name(
    keys: &Keys,
    tenant: &str,
    message: &str,
    file_id: &str,
    sealed: &[u8],
) -> anyhow::Result<String> {
    let bytes = open_field(keys, tenant, message, &field::file_name(file_id), sealed)?;
    Ok(String::from_utf8(bytes)?)
}
