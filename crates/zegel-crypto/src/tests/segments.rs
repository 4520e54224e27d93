//! Segments: a resumed envelope switches key where a segment begins, and a single segment is exactly
//! the format of an envelope written in one go.

use super::{CTX, data};
use crate::{
    CHUNK_SIZE, ChunkOpener, ChunkSealer, CryptoError, DataKey, Decryptor, HEADER_LEN, Header,
    Keyring, Segment, TAG_LEN,
};
use std::io::Read;

/// Seals `plain` chunk by chunk: `(segment, range of chunk indices)` in order, as a resumed upload
/// would, and returns the envelope.
fn seal_segments(
    header: &Header,
    key: &DataKey,
    plain: &[u8],
    parts: &[(u64, std::ops::Range<u64>)],
) -> Vec<u8> {
    let chunks = plain.len().div_ceil(CHUNK_SIZE).max(1) as u64;
    let mut out = header.to_bytes().to_vec();
    for (number, range) in parts {
        let mut sealer = ChunkSealer::for_segment(header, key, CTX, *number, range.start);
        for i in range.clone() {
            assert_eq!(sealer.next_chunk(), i);
            let start = i as usize * CHUNK_SIZE;
            let end = (start + CHUNK_SIZE).min(plain.len());
            let mut buf = plain[start..end].to_vec();
            sealer.seal_chunk(&mut buf, i == chunks - 1).unwrap();
            out.extend_from_slice(&buf);
        }
    }
    out
}

fn open_segments(
    keyring: &Keyring,
    sealed: &[u8],
    segments: &[Segment],
) -> std::io::Result<Vec<u8>> {
    let mut plain = Vec::new();
    Decryptor::with_segments(sealed, keyring, CTX, segments)?.read_to_end(&mut plain)?;
    Ok(plain)
}

#[test]
fn one_segment_is_the_plain_format() {
    let keyring = Keyring::new_with_generated();
    let key = DataKey::generate();
    let plain = data(3 * CHUNK_SIZE + 5, 1);
    let header = Header::new(keyring.wrap(&key));
    // Two requests of segment 0 (the second going on at chunk 2) make an ordinary envelope.
    let sealed = seal_segments(&header, &key, &plain, &[(0, 0..2), (0, 2..4)]);
    assert!(crate::open_to_vec(&keyring, CTX, &sealed).unwrap() == plain);
    assert!(open_segments(&keyring, &sealed, &[Segment::FIRST]).unwrap() == plain);
}

#[test]
fn a_resumed_segment_uses_another_key_and_opens_only_with_its_boundary() {
    let keyring = Keyring::new_with_generated();
    let key = DataKey::generate();
    let plain = data(5 * CHUNK_SIZE + 77, 2);
    // Segment 0 sealed chunks 0..4, a crash kept only 0..2; segment 3 resumes at chunk 2.
    let header = Header::new(keyring.wrap(&key));
    let crashed = seal_segments(&header, &key, &plain, &[(0, 0..4)]);
    let resumed = seal_segments(&header, &key, &plain, &[(0, 0..2), (3, 2..6)]);
    let chunk = |sealed: &[u8], i: usize| {
        sealed[HEADER_LEN + i * (CHUNK_SIZE + TAG_LEN)..][..CHUNK_SIZE + TAG_LEN].to_vec()
    };
    // The same headers (same salt) and the same plaintext: chunk 1 is identical, chunk 2 is not,
    // because segment 3 seals it under another key.
    assert!(crashed[..HEADER_LEN] == header.to_bytes()[..]);
    assert!(chunk(&crashed, 1) == chunk(&resumed, 1));
    assert!(chunk(&crashed, 2) != chunk(&resumed, 2));

    let segments = [
        Segment::FIRST,
        Segment {
            number: 3,
            first_chunk: 2,
        },
    ];
    assert!(open_segments(&keyring, &resumed, &segments).unwrap() == plain);
    // Without the boundary, or with it in the wrong place or number, chunk 2 fails.
    for wrong in [
        &[Segment::FIRST][..],
        &[
            Segment::FIRST,
            Segment {
                number: 3,
                first_chunk: 3,
            },
        ],
        &[
            Segment::FIRST,
            Segment {
                number: 2,
                first_chunk: 2,
            },
        ],
    ] {
        let error = open_segments(&keyring, &resumed, wrong).unwrap_err();
        assert!(
            matches!(super::crypto_err(&error), CryptoError::Decrypt),
            "{wrong:?}: {error}"
        );
    }
}

#[test]
fn a_segment_may_start_at_chunk_zero_and_the_last_chunk_may_be_a_segment_of_its_own() {
    let keyring = Keyring::new_with_generated();
    let key = DataKey::generate();
    let plain = data(2 * CHUNK_SIZE + 1, 3);
    let header = Header::new(keyring.wrap(&key));
    let sealed = seal_segments(&header, &key, &plain, &[(1, 0..2), (4, 2..3)]);
    let segments = [
        Segment {
            number: 1,
            first_chunk: 0,
        },
        Segment {
            number: 4,
            first_chunk: 2,
        },
    ];
    assert!(open_segments(&keyring, &sealed, &segments).unwrap() == plain);
    assert!(crate::open_to_vec(&keyring, CTX, &sealed).is_err());
}

#[test]
fn malformed_segment_lists_are_refused() {
    let keyring = Keyring::new_with_generated();
    let key = DataKey::generate();
    let header = Header::new(keyring.wrap(&key));
    let seg = |number, first_chunk| Segment {
        number,
        first_chunk,
    };
    for bad in [
        &[][..],
        &[seg(0, 1)],
        &[seg(0, 0), seg(1, 0)],
        &[seg(0, 0), seg(2, 5), seg(1, 6)],
        &[seg(0, 0), seg(2, 5), seg(3, 4)],
    ] {
        assert!(
            matches!(
                ChunkOpener::with_segments(&header, &key, CTX, bad),
                Err(CryptoError::InvalidChunk(_))
            ),
            "{bad:?}"
        );
    }
}
