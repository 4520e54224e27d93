//! The server's set of key-encryption keys and its JSON form.

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

use crate::{CryptoError, DataKey, Kek, WrappedKey};

/// All key-encryption keys the server knows.
///
/// The newest KEK (the one with the highest id) wraps new data keys; every KEK still unwraps,
/// so envelopes written before a rotation stay readable until `zegel admin rotate-kek` has
/// rewrapped them with [`Keyring::rewrap`] or [`rewrap_header`](crate::rewrap_header).
///
/// A keyring is never empty: every constructor yields at least one KEK.
#[derive(Clone)]
pub struct Keyring {
    keys: BTreeMap<u32, Kek>,
}

/// The JSON file: `{"keys":[{"id":1,"key":"<base64 of 32 bytes>"}]}`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyringFile {
    keys: Vec<KeyEntry>,
}

/// One KEK in the JSON file.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyEntry {
    id: u32,
    key: String,
}

impl Drop for KeyEntry {
    fn drop(&mut self) {
        // The base64 text is the secret itself, so it is wiped like the key bytes.
        self.key.zeroize();
    }
}

impl Keyring {
    /// A keyring with one freshly generated KEK, id 1, for a new installation.
    pub fn new_with_generated() -> Self {
        Self::from_keks([Kek::generate(1)]).expect("one KEK is a valid keyring")
    }

    /// Builds a keyring from KEKs; fails on an empty list or a repeated id.
    pub fn from_keks(keks: impl IntoIterator<Item = Kek>) -> Result<Self, CryptoError> {
        let mut keys = BTreeMap::new();
        for kek in keks {
            let id = kek.id();
            if keys.insert(id, kek).is_some() {
                return Err(CryptoError::Keyring(format!("duplicate KEK id {id}")));
            }
        }
        if keys.is_empty() {
            return Err(CryptoError::Keyring("no keys".into()));
        }
        Ok(Self { keys })
    }

    /// Loads the JSON form `{"keys":[{"id":1,"key":"<base64 32 bytes>"},...]}`.
    ///
    /// Keys are standard base64 with padding. Unknown fields, an empty list, repeated ids and
    /// keys that do not decode to exactly 32 bytes are errors, because a half-understood keyring
    /// could silently make data unreadable.
    pub fn from_json(s: &str) -> Result<Self, CryptoError> {
        let file: KeyringFile = serde_json::from_str(s)
            .map_err(|e| CryptoError::Keyring(format!("invalid keyring JSON: {e}")))?;
        let mut keks = Vec::with_capacity(file.keys.len());
        for entry in &file.keys {
            let raw = Zeroizing::new(STANDARD.decode(entry.key.as_bytes()).map_err(|_| {
                CryptoError::Keyring(format!("key {} is not valid base64", entry.id))
            })?);
            let bytes: [u8; 32] = raw
                .as_slice()
                .try_into()
                .map_err(|_| CryptoError::Keyring(format!("key {} is not 32 bytes", entry.id)))?;
            keks.push(Kek::from_bytes(entry.id, bytes));
        }
        Self::from_keks(keks)
    }

    /// Serializes to the JSON form that [`Keyring::from_json`] reads, in id order.
    ///
    /// The result contains every secret key in the clear: store it with mode 0600 and never log
    /// it.
    pub fn to_json(&self) -> String {
        let file = KeyringFile {
            keys: self
                .keys
                .values()
                .map(|kek| KeyEntry {
                    id: kek.id(),
                    key: STANDARD.encode(kek.key_bytes()),
                })
                .collect(),
        };
        serde_json::to_string_pretty(&file).expect("the keyring structure always serializes")
    }

    /// Generates a new KEK with id one above the newest and returns that id.
    ///
    /// New data keys are wrapped by it from now on.
    ///
    /// # Panics
    ///
    /// Panics if the newest id is already `u32::MAX`, which four billion rotations would take.
    pub fn add_generated(&mut self) -> u32 {
        let id = self
            .newest_id()
            .checked_add(1)
            .expect("KEK ids are exhausted");
        self.keys.insert(id, Kek::generate(id));
        id
    }

    /// The id of the KEK that wraps new data keys: the highest id.
    pub fn newest_id(&self) -> u32 {
        *self
            .keys
            .keys()
            .next_back()
            .expect("a keyring is never empty")
    }

    /// All KEK ids, ascending.
    pub fn ids(&self) -> Vec<u32> {
        self.keys.keys().copied().collect()
    }

    /// The KEK with the given id, if the keyring holds it.
    pub fn get(&self, id: u32) -> Option<&Kek> {
        self.keys.get(&id)
    }

    /// Removes the KEK with the given id, for retiring one after every envelope was rewrapped.
    ///
    /// Refuses to remove the last remaining KEK, because a keyring is never empty.
    pub fn remove(&mut self, id: u32) -> Result<Option<Kek>, CryptoError> {
        if self.keys.len() == 1 && self.keys.contains_key(&id) {
            return Err(CryptoError::Keyring("cannot remove the only KEK".into()));
        }
        Ok(self.keys.remove(&id))
    }

    fn newest(&self) -> &Kek {
        self.keys
            .values()
            .next_back()
            .expect("a keyring is never empty")
    }

    /// Wraps a data key with the newest KEK.
    pub fn wrap(&self, key: &DataKey) -> WrappedKey {
        self.newest().wrap(key)
    }

    /// Unwraps a data key with whichever KEK its id names.
    ///
    /// Fails with [`CryptoError::UnknownKek`] if the keyring lacks that KEK and with
    /// [`CryptoError::Unwrap`] if the wrapped bytes do not authenticate.
    pub fn unwrap(&self, w: &WrappedKey) -> Result<DataKey, CryptoError> {
        self.keys
            .get(&w.kek_id)
            .ok_or(CryptoError::UnknownKek(w.kek_id))?
            .unwrap(w)
    }

    /// Rewraps a data key with the newest KEK; `Ok(None)` when it already is wrapped by it.
    ///
    /// A key already under the newest KEK is returned as `None` without being unwrapped, so a
    /// rotation pass over many envelopes only pays for the ones it changes.
    pub fn rewrap(&self, w: &WrappedKey) -> Result<Option<WrappedKey>, CryptoError> {
        if w.kek_id == self.newest_id() {
            return Ok(None);
        }
        let key = self.unwrap(w)?;
        Ok(Some(self.wrap(&key)))
    }
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Only the ids are safe to show.
        f.debug_struct("Keyring").field("ids", &self.ids()).finish()
    }
}

/// Tests of the keyring JSON form, rotation and removal.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_round_trip_keeps_keys() {
        let mut ring = Keyring::new_with_generated();
        assert_eq!(ring.ids(), vec![1]);
        assert_eq!(ring.add_generated(), 2);
        let wrapped_by_1 = {
            let key = DataKey::from_bytes([5; 32]);
            ring.get(1).unwrap().wrap(&key)
        };
        let loaded = Keyring::from_json(&ring.to_json()).unwrap();
        assert_eq!(loaded.ids(), vec![1, 2]);
        assert_eq!(loaded.newest_id(), 2);
        assert_eq!(loaded.unwrap(&wrapped_by_1).unwrap().as_bytes(), &[5; 32]);
    }

    #[test]
    fn json_shape() {
        let ring = Keyring::from_keks([Kek::from_bytes(4, [0; 32])]).unwrap();
        let v: serde_json::Value = serde_json::from_str(&ring.to_json()).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"keys": [{"id": 4, "key": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}]})
        );
    }

    #[test]
    fn bad_json_is_rejected() {
        let key = STANDARD.encode([1u8; 32]);
        let short = STANDARD.encode([1u8; 31]);
        for bad in [
            "".to_string(),
            "{}".to_string(),
            r#"{"keys":[]}"#.to_string(),
            format!(r#"{{"keys":[{{"id":1,"key":"{key}"}},{{"id":1,"key":"{key}"}}]}}"#),
            format!(r#"{{"keys":[{{"id":1,"key":"{short}"}}]}}"#),
            r#"{"keys":[{"id":1,"key":"not base64!"}]}"#.to_string(),
            format!(r#"{{"keys":[{{"id":1,"key":"{key}","extra":true}}]}}"#),
            format!(r#"{{"keys":[{{"id":-1,"key":"{key}"}}]}}"#),
        ] {
            assert!(
                matches!(Keyring::from_json(&bad), Err(CryptoError::Keyring(_))),
                "{bad}"
            );
        }
        let good = format!(r#"{{"keys":[{{"id":3,"key":"{key}"}},{{"id":1,"key":"{key}"}}]}}"#);
        assert_eq!(Keyring::from_json(&good).unwrap().ids(), vec![1, 3]);
    }

    #[test]
    fn wrap_uses_newest_and_rewrap_moves_to_it() {
        let mut ring = Keyring::new_with_generated();
        let key = DataKey::generate();
        let old = ring.wrap(&key);
        assert_eq!(old.kek_id, 1);
        assert_eq!(ring.rewrap(&old).unwrap(), None);
        ring.add_generated();
        let new = ring.rewrap(&old).unwrap().unwrap();
        assert_eq!(new.kek_id, 2);
        assert_eq!(ring.unwrap(&new).unwrap().as_bytes(), key.as_bytes());
        assert_eq!(ring.wrap(&key).kek_id, 2);
        assert!(ring.remove(1).unwrap().is_some());
        assert!(matches!(ring.unwrap(&old), Err(CryptoError::UnknownKek(1))));
        assert!(matches!(ring.rewrap(&old), Err(CryptoError::UnknownKek(1))));
        assert!(ring.remove(2).is_err());
    }

    #[test]
    fn debug_shows_only_ids() {
        let ring = Keyring::from_keks([Kek::from_bytes(1, [0xCD; 32])]).unwrap();
        assert_eq!(format!("{ring:?}"), "Keyring { ids: [1] }");
    }
}
