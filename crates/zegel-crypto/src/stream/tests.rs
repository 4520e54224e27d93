//! Unit tests of the chunk layer: sizes, nonces, state rules and error diagnosis.

use super::*;
use crate::Kek;

const CTX: Context<'static> = Context {
    tenant: "t",
    message: "m",
    file: "f",
};

fn pair() -> (ChunkSealer, ChunkOpener) {
    let key = DataKey::generate();
    let header = Header::new(Kek::generate(1).wrap(&key));
    (
        ChunkSealer::new(&header, &key, CTX),
        ChunkOpener::new(&header, &key, CTX),
    )
}

#[test]
fn sealed_len_and_plaintext_len_agree() {
    let h = HEADER_LEN as u64;
    let c = CHUNK_SIZE as u64;
    let t = TAG_LEN as u64;
    assert_eq!(sealed_len(0), h + t);
    assert_eq!(sealed_len(1), h + 1 + t);
    assert_eq!(sealed_len(c), h + c + t);
    assert_eq!(sealed_len(c + 1), h + c + 1 + 2 * t);
    assert_eq!(sealed_len(3 * c), h + 3 * c + 3 * t);
    for n in [0, 1, 2, c - 1, c, c + 1, 2 * c, 3 * c + 7, 1 << 40] {
        assert_eq!(plaintext_len(sealed_len(n)), Some(n), "{n}");
    }
    for bad in [0, h, h + t - 1, h + c + t + t, h + c + t + 5] {
        assert_eq!(plaintext_len(bad), None, "{bad}");
    }
}

#[test]
fn nonce_layout() {
    assert_eq!(chunk_nonce(0, false), [0; 12]);
    assert_eq!(
        chunk_nonce(0x0102, true),
        [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 1]
    );
    assert_eq!(chunk_nonce(u64::MAX, false)[..3], [0, 0, 0]);
}

#[test]
fn sealer_enforces_chunk_rules() {
    let (mut s, _) = pair();
    let mut short = vec![0u8; CHUNK_SIZE - 1];
    assert!(matches!(
        s.seal_chunk(&mut short, false),
        Err(CryptoError::InvalidChunk(_))
    ));
    let mut long = vec![0u8; CHUNK_SIZE + 1];
    assert!(matches!(
        s.seal_chunk(&mut long, true),
        Err(CryptoError::InvalidChunk(_))
    ));
    let mut full = vec![0u8; CHUNK_SIZE];
    s.seal_chunk(&mut full, false).unwrap();
    let mut empty = Vec::new();
    assert!(matches!(
        s.seal_chunk(&mut empty, true),
        Err(CryptoError::InvalidChunk(_))
    ));
    let mut tail = vec![1u8; 3];
    s.seal_chunk(&mut tail, true).unwrap();
    assert!(s.is_finished());
    let mut more = vec![1u8; 3];
    assert!(matches!(
        s.seal_chunk(&mut more, true),
        Err(CryptoError::InvalidChunk(_))
    ));
}

#[test]
fn opener_poisons_after_error_and_rejects_after_last() {
    let (mut s, mut o) = pair();
    let mut a = vec![7u8; 10];
    s.seal_chunk(&mut a, true).unwrap();
    let mut bad = a.clone();
    bad[0] ^= 1;
    assert!(matches!(
        o.open_chunk(&mut bad, true),
        Err(CryptoError::Decrypt)
    ));
    assert!(bad.is_empty());
    let mut good = a.clone();
    assert!(matches!(
        o.open_chunk(&mut good, true),
        Err(CryptoError::Poisoned)
    ));

    let (mut s, mut o) = pair();
    let mut a = vec![7u8; 10];
    s.seal_chunk(&mut a, true).unwrap();
    let mut copy = a.clone();
    o.open_chunk(&mut a, true).unwrap();
    assert_eq!(a, vec![7u8; 10]);
    assert!(o.is_finished());
    assert!(matches!(
        o.open_chunk(&mut copy, true),
        Err(CryptoError::TrailingData)
    ));
}

#[test]
fn wrong_flag_on_full_chunk_is_diagnosed() {
    let (mut s, mut o) = pair();
    let mut mid = vec![1u8; CHUNK_SIZE];
    s.seal_chunk(&mut mid, false).unwrap();
    assert!(matches!(
        o.open_chunk(&mut mid, true),
        Err(CryptoError::Truncated)
    ));
    assert!(mid.is_empty(), "authentic plaintext must not leak on error");

    let (mut s, mut o) = pair();
    let mut fin = vec![1u8; CHUNK_SIZE];
    s.seal_chunk(&mut fin, true).unwrap();
    assert!(matches!(
        o.open_chunk(&mut fin, false),
        Err(CryptoError::TrailingData)
    ));
}

#[test]
fn counter_overflow_is_an_error() {
    let (mut s, mut o) = pair();
    s.set_counter(u64::MAX);
    o.set_counter(u64::MAX);
    let mut full = vec![0u8; CHUNK_SIZE];
    assert!(matches!(
        s.seal_chunk(&mut full, false),
        Err(CryptoError::CounterOverflow)
    ));
    // The very last counter value can still carry the last chunk.
    let mut last = vec![5u8; 4];
    s.seal_chunk(&mut last, true).unwrap();
    o.open_chunk(&mut last, true).unwrap();
    assert_eq!(last, vec![5u8; 4]);

    let (_, mut o) = pair();
    o.set_counter(u64::MAX);
    let mut full = vec![0u8; FULL_SEALED_CHUNK];
    assert!(matches!(
        o.open_chunk(&mut full, false),
        Err(CryptoError::CounterOverflow)
    ));
}
