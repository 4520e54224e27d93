//! The fixed-length envelope header and its in-place rewrap for KEK rotation.

use rand::RngCore;
use rand::rngs::OsRng;

use crate::keys::WRAPPED_KEY_LEN;
use crate::{CryptoError, HEADER_LEN, Keyring, WrappedKey};

/// The first four bytes of every envelope.
pub const MAGIC: [u8; 4] = *b"ZEGL";
/// The only format version this crate writes and reads.
pub const FORMAT_VERSION: u8 = 1;
/// Algorithm suite 1: AES-256-GCM chunks of 64 KiB, keys derived with HKDF-SHA256.
pub const ALGORITHM_AES256GCM_HKDF_SHA256: u8 = 1;
/// Length of the per-envelope salt in bytes.
pub const SALT_LEN: usize = 32;

// Byte offsets inside the header; the layout is described in FORMAT.md.
const OFF_VERSION: usize = 4;
const OFF_ALGORITHM: usize = 5;
const OFF_KEK_ID: usize = 6;
const OFF_WRAPPED: usize = 10;
const OFF_SALT: usize = OFF_WRAPPED + WRAPPED_KEY_LEN;
const _: () = assert!(OFF_SALT + SALT_LEN == HEADER_LEN);

/// The envelope header: format version, algorithm, wrapped data key and salt.
///
/// [`Header::parse`] accepts only the version and algorithm this crate knows; a `Header` built
/// by hand with other values serializes faithfully but will not parse back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// Format version, [`FORMAT_VERSION`].
    pub version: u8,
    /// Algorithm suite, [`ALGORITHM_AES256GCM_HKDF_SHA256`].
    pub algorithm: u8,
    /// The data key, wrapped by a KEK of the server's keyring.
    pub wrapped: WrappedKey,
    /// Random per-envelope salt for the file-key derivation.
    pub salt: [u8; SALT_LEN],
}

impl Header {
    /// A header for the current version and algorithm with a fresh random salt.
    ///
    /// The salt makes every envelope's file key distinct even when one data key seals several
    /// envelopes under the same [`Context`](crate::Context), for example when a file is replaced.
    pub fn new(wrapped: WrappedKey) -> Self {
        let mut salt = [0u8; SALT_LEN];
        OsRng.fill_bytes(&mut salt);
        Self {
            version: FORMAT_VERSION,
            algorithm: ALGORITHM_AES256GCM_HKDF_SHA256,
            wrapped,
            salt,
        }
    }

    /// Serializes to the fixed [`HEADER_LEN`]-byte layout.
    pub fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        out[..OFF_VERSION].copy_from_slice(&MAGIC);
        out[OFF_VERSION] = self.version;
        out[OFF_ALGORITHM] = self.algorithm;
        out[OFF_KEK_ID..OFF_WRAPPED].copy_from_slice(&self.wrapped.kek_id.to_be_bytes());
        out[OFF_WRAPPED..OFF_SALT].copy_from_slice(&self.wrapped.bytes);
        out[OFF_SALT..].copy_from_slice(&self.salt);
        out
    }

    /// Parses the first [`HEADER_LEN`] bytes of `b`; any bytes after them are ignored, so a
    /// whole envelope may be passed.
    ///
    /// Checks magic, version and algorithm. It cannot check the wrapped key or the salt: those
    /// are authenticated only when the key is unwrapped and the first chunk is opened.
    pub fn parse(b: &[u8]) -> Result<Self, CryptoError> {
        if b.len() < HEADER_LEN {
            return Err(CryptoError::BadHeader("too short"));
        }
        if b[..OFF_VERSION] != MAGIC {
            return Err(CryptoError::BadHeader("bad magic"));
        }
        if b[OFF_VERSION] != FORMAT_VERSION {
            return Err(CryptoError::BadHeader("unsupported version"));
        }
        if b[OFF_ALGORITHM] != ALGORITHM_AES256GCM_HKDF_SHA256 {
            return Err(CryptoError::BadHeader("unsupported algorithm"));
        }
        let kek_id = u32::from_be_bytes(
            b[OFF_KEK_ID..OFF_WRAPPED]
                .try_into()
                .expect("four bytes by construction"),
        );
        let mut wrapped = [0u8; WRAPPED_KEY_LEN];
        wrapped.copy_from_slice(&b[OFF_WRAPPED..OFF_SALT]);
        let mut salt = [0u8; SALT_LEN];
        salt.copy_from_slice(&b[OFF_SALT..HEADER_LEN]);
        Ok(Self {
            version: b[OFF_VERSION],
            algorithm: b[OFF_ALGORITHM],
            wrapped: WrappedKey {
                kek_id,
                bytes: wrapped,
            },
            salt,
        })
    }

    /// The associated data of every chunk: the version and algorithm bytes.
    ///
    /// The KEK id and wrapped key are left out on purpose so that a rotation can rewrite them
    /// without touching the chunks; the salt is bound through the key derivation instead.
    pub(crate) fn chunk_aad(&self) -> [u8; 2] {
        [self.version, self.algorithm]
    }
}

/// Rewraps a serialized header to the keyring's newest KEK; `Ok(None)` when it already is.
///
/// `header` may be a whole envelope; only its first [`HEADER_LEN`] bytes are read. The result
/// keeps the salt, version and algorithm, so writing it over the first [`HEADER_LEN`] bytes of
/// the envelope leaves every chunk valid. This is what `zegel admin rotate-kek` does to blob
/// headers and sealed database fields.
///
/// The old wrapped key is unwrapped first, so a header that does not authenticate under its
/// KEK is reported instead of being replaced by a valid-looking one.
pub fn rewrap_header(
    keyring: &Keyring,
    header: &[u8],
) -> Result<Option<[u8; HEADER_LEN]>, CryptoError> {
    let mut parsed = Header::parse(header)?;
    match keyring.rewrap(&parsed.wrapped)? {
        None => Ok(None),
        Some(wrapped) => {
            parsed.wrapped = wrapped;
            Ok(Some(parsed.to_bytes()))
        }
    }
}

/// Tests of the header layout, parsing and rewrap errors.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DataKey, Kek};

    fn sample() -> Header {
        Header::new(Kek::generate(0xA1B2_C3D4).wrap(&DataKey::generate()))
    }

    #[test]
    fn layout_and_round_trip() {
        let h = sample();
        let b = h.to_bytes();
        assert_eq!(&b[..4], b"ZEGL");
        assert_eq!(b[4], 1);
        assert_eq!(b[5], 1);
        assert_eq!(&b[6..10], &[0xA1, 0xB2, 0xC3, 0xD4]);
        assert_eq!(&b[10..70], &h.wrapped.bytes);
        assert_eq!(&b[70..102], &h.salt);
        assert_eq!(Header::parse(&b).unwrap(), h);

        // A longer slice parses from its prefix, so a whole envelope can be passed.
        let mut longer = b.to_vec();
        longer.extend_from_slice(b"chunks...");
        assert_eq!(Header::parse(&longer).unwrap(), h);
        assert_ne!(Header::new(h.wrapped.clone()).salt, h.salt);
    }

    #[test]
    fn rejects_bad_fields() {
        let b = sample().to_bytes();
        let cases: [(usize, &str); 3] = [
            (0, "bad magic"),
            (4, "unsupported version"),
            (5, "unsupported algorithm"),
        ];
        for (offset, expected) in cases {
            let mut bad = b;
            bad[offset] ^= 0x01;
            match Header::parse(&bad) {
                Err(CryptoError::BadHeader(m)) => assert_eq!(m, expected),
                other => panic!("offset {offset}: {other:?}"),
            }
        }
        assert!(matches!(
            Header::parse(&b[..HEADER_LEN - 1]),
            Err(CryptoError::BadHeader("too short"))
        ));
    }

    #[test]
    fn rewrap_header_rejects_unauthentic_wrapped_key() {
        let mut ring = Keyring::new_with_generated();
        let mut b = Header::new(ring.wrap(&DataKey::generate())).to_bytes();
        ring.add_generated();
        b[OFF_WRAPPED + 20] ^= 0x40;
        assert!(matches!(rewrap_header(&ring, &b), Err(CryptoError::Unwrap)));
        b[OFF_KEK_ID + 3] = 9;
        assert!(matches!(
            rewrap_header(&ring, &b),
            Err(CryptoError::UnknownKek(9))
        ));
    }
}
