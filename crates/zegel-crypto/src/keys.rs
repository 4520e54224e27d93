//! Data keys, key-encryption keys and the wrapping of one by the other.

use std::fmt;

use aes_gcm::aead::{AeadInPlace, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce, Tag};
use rand::RngCore;
use rand::rngs::OsRng;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::CryptoError;

/// Length of a wrap nonce in bytes.
const WRAP_NONCE_LEN: usize = 12;

/// Length of [`WrappedKey::bytes`]: 12-byte nonce, 32-byte encrypted data key, 16-byte tag.
pub const WRAPPED_KEY_LEN: usize = WRAP_NONCE_LEN + 32 + crate::TAG_LEN;

/// Domain separation for the wrap's associated data, so that no other use of a KEK can produce
/// something that unwraps.
const WRAP_AAD_PREFIX: &[u8] = b"zegel-wrap-v1";

/// A random 256-bit per-message data key, zeroized on drop.
///
/// Every message (and its files) gets its own data key; the key itself is stored only wrapped
/// by a [`Kek`], inside each envelope [`Header`](crate::Header).
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct DataKey {
    bytes: [u8; 32],
}

impl DataKey {
    /// Draws a fresh key from the operating system's random number generator.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        OsRng.fill_bytes(&mut bytes);
        Self { bytes }
    }

    /// Wraps existing key material, for example one that was just unwrapped elsewhere.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self { bytes }
    }

    /// The raw key bytes; callers must not log or persist them unwrapped.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.bytes
    }
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Key bytes must never reach logs, so Debug only says that a key is there.
        f.write_str("DataKey(<redacted>)")
    }
}

/// A key-encryption key (KEK) with its id, zeroized on drop.
///
/// KEKs live in the server's [`Keyring`](crate::Keyring) and never touch message data directly:
/// they only wrap and unwrap [`DataKey`]s, which keeps a KEK rotation cheap.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Kek {
    id: u32,
    key: [u8; 32],
}

impl Kek {
    /// Draws a fresh KEK with the given id from the operating system's random number generator.
    pub fn generate(id: u32) -> Self {
        let mut key = [0u8; 32];
        OsRng.fill_bytes(&mut key);
        Self { id, key }
    }

    /// Builds a KEK from stored key material.
    pub fn from_bytes(id: u32, key: [u8; 32]) -> Self {
        Self { id, key }
    }

    /// The id that envelope headers name to say which KEK wrapped their data key.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// The raw key bytes, used only to serialize the keyring.
    pub(crate) fn key_bytes(&self) -> &[u8; 32] {
        &self.key
    }

    /// Wraps `key` under this KEK with a fresh random nonce.
    pub fn wrap(&self, key: &DataKey) -> WrappedKey {
        let mut nonce = [0u8; WRAP_NONCE_LEN];
        OsRng.fill_bytes(&mut nonce);
        self.wrap_with_nonce(key, nonce)
    }

    /// Wraps `key` with an explicit nonce. Only the test vectors need a fixed nonce; everything
    /// else goes through [`Kek::wrap`], because reusing a nonce under one KEK breaks AES-GCM.
    pub(crate) fn wrap_with_nonce(&self, key: &DataKey, nonce: [u8; WRAP_NONCE_LEN]) -> WrappedKey {
        let cipher = Aes256Gcm::new((&self.key).into());
        let mut body = [0u8; 32];
        body.copy_from_slice(key.as_bytes());
        let tag = cipher
            .encrypt_in_place_detached(Nonce::from_slice(&nonce), &wrap_aad(self.id), &mut body)
            .expect("a 32-byte message is far below the AES-GCM length limit");

        let mut bytes = [0u8; WRAPPED_KEY_LEN];
        bytes[..WRAP_NONCE_LEN].copy_from_slice(&nonce);
        bytes[WRAP_NONCE_LEN..WRAP_NONCE_LEN + 32].copy_from_slice(&body);
        bytes[WRAP_NONCE_LEN + 32..].copy_from_slice(&tag);
        WrappedKey {
            kek_id: self.id,
            bytes,
        }
    }

    /// Unwraps a data key that this KEK wrapped.
    ///
    /// Fails with [`CryptoError::UnknownKek`] when `wrapped` names another KEK id and with
    /// [`CryptoError::Unwrap`] when the bytes do not authenticate.
    pub fn unwrap(&self, wrapped: &WrappedKey) -> Result<DataKey, CryptoError> {
        if wrapped.kek_id != self.id {
            return Err(CryptoError::UnknownKek(wrapped.kek_id));
        }
        let cipher = Aes256Gcm::new((&self.key).into());
        let nonce = Nonce::from_slice(&wrapped.bytes[..WRAP_NONCE_LEN]);
        let tag = Tag::from_slice(&wrapped.bytes[WRAP_NONCE_LEN + 32..]);
        let mut body = [0u8; 32];
        body.copy_from_slice(&wrapped.bytes[WRAP_NONCE_LEN..WRAP_NONCE_LEN + 32]);
        // The id in the AAD is the one the header claims; a wrapped key copied next to another
        // KEK id therefore fails here even if that KEK happened to be the same key.
        cipher
            .decrypt_in_place_detached(nonce, &wrap_aad(wrapped.kek_id), &mut body, tag)
            .map_err(|_| CryptoError::Unwrap)?;
        let key = DataKey::from_bytes(body);
        body.zeroize();
        Ok(key)
    }
}

impl fmt::Debug for Kek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Only the id is safe to show; the key bytes must never reach logs.
        f.debug_struct("Kek")
            .field("id", &self.id)
            .field("key", &"<redacted>")
            .finish()
    }
}

/// The associated data of a key wrap: a fixed label followed by the KEK id (big-endian).
fn wrap_aad(kek_id: u32) -> [u8; WRAP_AAD_PREFIX.len() + 4] {
    let mut aad = [0u8; WRAP_AAD_PREFIX.len() + 4];
    aad[..WRAP_AAD_PREFIX.len()].copy_from_slice(WRAP_AAD_PREFIX);
    aad[WRAP_AAD_PREFIX.len()..].copy_from_slice(&kek_id.to_be_bytes());
    aad
}

/// A data key wrapped by a KEK: the KEK's id and 60 bytes (nonce, encrypted key, tag).
///
/// The wrapped form is not secret, so it may be stored in a database column or logged.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct WrappedKey {
    /// The id of the KEK that wrapped the key.
    pub kek_id: u32,
    /// 12-byte nonce, then the AES-256-GCM encryption of the 32-byte key with its 16-byte tag.
    pub bytes: [u8; WRAPPED_KEY_LEN],
}

impl WrappedKey {
    /// Serialized length: 4-byte KEK id plus the wrapped bytes.
    pub const SERIALIZED_LEN: usize = 4 + WRAPPED_KEY_LEN;

    /// Serializes as the big-endian KEK id followed by the 60 wrapped bytes (64 bytes in all).
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(Self::SERIALIZED_LEN);
        out.extend_from_slice(&self.kek_id.to_be_bytes());
        out.extend_from_slice(&self.bytes);
        out
    }

    /// Parses the 64-byte form written by [`WrappedKey::to_vec`].
    pub fn from_slice(b: &[u8]) -> Result<Self, CryptoError> {
        if b.len() != Self::SERIALIZED_LEN {
            return Err(CryptoError::BadHeader("wrapped key must be 64 bytes"));
        }
        let kek_id = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
        let mut bytes = [0u8; WRAPPED_KEY_LEN];
        bytes.copy_from_slice(&b[4..]);
        Ok(Self { kek_id, bytes })
    }
}

/// Tests of key wrapping, its binding to the KEK id, and redaction.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_unwrap_round_trip() {
        let kek = Kek::generate(7);
        let key = DataKey::generate();
        let wrapped = kek.wrap(&key);
        assert_eq!(wrapped.kek_id, 7);
        assert_eq!(kek.unwrap(&wrapped).unwrap().as_bytes(), key.as_bytes());
        // Two wraps of the same key differ, because each draws a fresh nonce.
        assert_ne!(kek.wrap(&key), wrapped);
    }

    #[test]
    fn wrapped_key_is_bound_to_its_kek_id() {
        // The same key material under two ids: a wrap relabelled with the other id must fail,
        // because the id is part of the wrap's associated data.
        let material = [9u8; 32];
        let a = Kek::from_bytes(1, material);
        let b = Kek::from_bytes(2, material);
        let mut wrapped = a.wrap(&DataKey::generate());
        wrapped.kek_id = 2;
        assert!(matches!(b.unwrap(&wrapped), Err(CryptoError::Unwrap)));
        assert!(matches!(
            a.unwrap(&wrapped),
            Err(CryptoError::UnknownKek(2))
        ));
    }

    #[test]
    fn wrong_kek_and_tampering_fail() {
        let key = DataKey::generate();
        let wrapped = Kek::generate(1).wrap(&key);
        assert!(matches!(
            Kek::generate(1).unwrap(&wrapped),
            Err(CryptoError::Unwrap)
        ));
        let kek = Kek::generate(1);
        let good = kek.wrap(&key);
        for i in 0..WRAPPED_KEY_LEN {
            let mut bad = good.clone();
            bad.bytes[i] ^= 0x01;
            assert!(
                matches!(kek.unwrap(&bad), Err(CryptoError::Unwrap)),
                "byte {i}"
            );
        }
    }

    #[test]
    fn serialization_round_trip() {
        let wrapped = Kek::generate(0x0102_0304).wrap(&DataKey::generate());
        let v = wrapped.to_vec();
        assert_eq!(v.len(), 64);
        assert_eq!(&v[..4], &[1, 2, 3, 4]);
        assert_eq!(WrappedKey::from_slice(&v).unwrap(), wrapped);
        assert!(WrappedKey::from_slice(&v[..63]).is_err());
        assert!(WrappedKey::from_slice(&[0u8; 65]).is_err());
    }

    #[test]
    fn debug_does_not_show_key_bytes() {
        let kek = Kek::from_bytes(3, [0xAB; 32]);
        let shown = format!("{kek:?} {:?}", DataKey::from_bytes([0xAB; 32]));
        assert!(!shown.to_lowercase().contains("ab, "), "{shown}");
        assert!(!shown.contains("171"), "{shown}");
        assert!(shown.contains("id: 3"), "{shown}");
    }
}
