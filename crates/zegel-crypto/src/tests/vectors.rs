//! Fixed test vectors, so the format cannot change silently.
//!
//! The expected values were computed by an independent implementation of FORMAT.md in Python
//! (the `cryptography` package's AESGCM and HKDF), not by this crate.

use sha2::{Digest, Sha256};

use super::CTX;
use crate::oneshot::seal_with_header;
use crate::{
    ALGORITHM_AES256GCM_HKDF_SHA256, DataKey, FORMAT_VERSION, HEADER_LEN, Header, Kek, Keyring,
    open_to_vec,
};

/// Lower-case hex of a byte string.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn seq<const N: usize>(start: u8) -> [u8; N] {
    std::array::from_fn(|i| start + i as u8)
}

/// KEK 1 = 00..1f, data key = 80..9f, wrap nonce = a0..ab, salt = c0..df, context
/// ("acme", "msg-1", "body").
fn fixed_envelope(plaintext: &[u8]) -> (Keyring, Vec<u8>) {
    let kek = Kek::from_bytes(1, seq(0x00));
    let key = DataKey::from_bytes(seq(0x80));
    let header = Header {
        version: FORMAT_VERSION,
        algorithm: ALGORITHM_AES256GCM_HKDF_SHA256,
        wrapped: kek.wrap_with_nonce(&key, seq(0xa0)),
        salt: seq(0xc0),
    };
    let sealed = seal_with_header(&header, &key, CTX, plaintext);
    (Keyring::from_keks([kek]).unwrap(), sealed)
}

#[test]
fn small_plaintext_vector() {
    let (ring, sealed) = fixed_envelope(b"Hello, Zegel!");
    assert_eq!(
        hex(&sealed),
        concat!(
            // magic, version, algorithm, KEK id
            "5a45474c",
            "01",
            "01",
            "00000001",
            // wrap nonce, wrapped data key, wrap tag
            "a0a1a2a3a4a5a6a7a8a9aaab",
            "6699feaec14e8438eaec0d588bf74e51e03dcb830622d4fb0497bc1de336eb9e",
            "a986fedc586ba2e882571a0a63b6c91d",
            // salt
            "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf",
            // the only chunk (last flag set): ciphertext, tag
            "5e6320ef6f989e84b94438034d",
            "b3b9a1d09f3b6783fd582e077091a705",
        )
    );
    assert_eq!(open_to_vec(&ring, CTX, &sealed).unwrap(), b"Hello, Zegel!");
    let opened = super::open_io(&ring, CTX, &sealed, &[5]).unwrap();
    assert_eq!(opened, b"Hello, Zegel!");
}

#[test]
fn empty_plaintext_vector() {
    let (ring, sealed) = fixed_envelope(b"");
    assert_eq!(sealed.len(), HEADER_LEN + 16);
    assert_eq!(
        hex(&sealed[HEADER_LEN..]),
        "52071eb4b9fc8dbc3630d0ed62490e35"
    );
    assert_eq!(open_to_vec(&ring, CTX, &sealed).unwrap(), b"");
}

#[test]
fn multi_chunk_vector() {
    // Two full chunks and a 5-byte last one: checks the counter and the flag of middle chunks.
    let pt: Vec<u8> = (0..2 * 65536 + 5).map(|i| (i % 251) as u8).collect();
    let (ring, sealed) = fixed_envelope(&pt);
    assert_eq!(sealed.len(), 131_227);
    assert_eq!(
        hex(&Sha256::digest(&sealed)),
        "0c3f836be5f7c0b2af6229c546be0e214626a683182d63dd452de9a1189ee237"
    );
    assert_eq!(open_to_vec(&ring, CTX, &sealed).unwrap(), pt);
}
