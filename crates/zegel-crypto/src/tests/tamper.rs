//! Every way of damaging or misusing an envelope, and the error each one must give.

use super::{CTX, assert_rejected, data};
use crate::{
    CHUNK_SIZE, ChunkOpener, Context, CryptoError, DataKey, HEADER_LEN, Header, Kek, Keyring,
    TAG_LEN, open_to_vec, seal_to_vec,
};

const FULL: usize = CHUNK_SIZE + TAG_LEN;

/// A keyring and an envelope of `len` bytes sealed under [`CTX`].
fn sealed(len: usize) -> (Keyring, Vec<u8>, Vec<u8>) {
    let ring = Keyring::new_with_generated();
    let pt = data(len, len as u64 + 77);
    let env = seal_to_vec(&ring, &DataKey::generate(), CTX, &pt);
    (ring, env, pt)
}

/// The byte range of chunk `i` in an envelope.
fn chunk(i: usize, env: &[u8]) -> std::ops::Range<usize> {
    let start = HEADER_LEN + i * FULL;
    start..(start + FULL).min(env.len())
}

fn is_decrypt(e: &CryptoError) -> bool {
    matches!(e, CryptoError::Decrypt)
}

#[test]
fn truncation_is_rejected() {
    let (ring, env, _) = sealed(2 * CHUNK_SIZE + 500);

    // The last chunk dropped: the stream now ends on a middle chunk.
    let dropped = &env[..chunk(2, &env).start];
    assert_rejected(
        &ring,
        CTX,
        dropped,
        |e| matches!(e, CryptoError::Truncated),
        "drop last",
    );

    // Cut right after the first full chunk, so no chunk carries the last flag.
    let one = &env[..chunk(1, &env).start];
    assert_rejected(
        &ring,
        CTX,
        one,
        |e| matches!(e, CryptoError::Truncated),
        "after full",
    );

    // Cut in the middle of a chunk: the short piece fails as a last chunk.
    for cut in [
        chunk(1, &env).start + 100,
        env.len() - 1,
        env.len() - TAG_LEN,
    ] {
        assert_rejected(&ring, CTX, &env[..cut], is_decrypt, "mid-chunk");
    }

    // Nothing but the header, or less than a tag after it.
    for cut in [HEADER_LEN, HEADER_LEN + TAG_LEN - 1] {
        assert_rejected(
            &ring,
            CTX,
            &env[..cut],
            |e| matches!(e, CryptoError::Truncated),
            "no chunk",
        );
    }

    // Cut inside the header.
    assert!(matches!(
        open_to_vec(&ring, CTX, &env[..HEADER_LEN - 1]),
        Err(CryptoError::BadHeader(_))
    ));
    let err = super::open_io(&ring, CTX, &env[..HEADER_LEN - 1], &[64]).unwrap_err();
    assert!(matches!(super::crypto_err(&err), CryptoError::Truncated));
    assert!(open_to_vec(&ring, CTX, &[]).is_err());
}

#[test]
fn single_chunk_envelopes_reject_truncation() {
    for len in [0, 1, CHUNK_SIZE] {
        let (ring, env, _) = sealed(len);
        for cut in [HEADER_LEN, env.len() - 1] {
            assert_rejected(&ring, CTX, &env[..cut], |_| true, "single chunk cut");
        }
    }
}

#[test]
fn reordering_and_duplication_are_rejected() {
    let (ring, env, _) = sealed(3 * CHUNK_SIZE + 5);
    let (c0, c1) = (chunk(0, &env), chunk(1, &env));

    let mut swapped = env.clone();
    swapped[c0.clone()].copy_from_slice(&env[c1.clone()]);
    swapped[c1.clone()].copy_from_slice(&env[c0.clone()]);
    assert_rejected(&ring, CTX, &swapped, is_decrypt, "swap 0 and 1");

    let mut duplicated = env[..c1.start].to_vec();
    duplicated.extend_from_slice(&env[c0.clone()]);
    duplicated.extend_from_slice(&env[c1.start..]);
    assert_rejected(&ring, CTX, &duplicated, is_decrypt, "duplicate chunk 0");

    // Replacing the second chunk with the first: same length, wrong position.
    let mut replayed = env.clone();
    replayed[c1].copy_from_slice(&env[c0]);
    assert_rejected(&ring, CTX, &replayed, is_decrypt, "replay chunk 0 as 1");
}

#[test]
fn bit_flips_are_rejected() {
    let (ring, env, _) = sealed(CHUNK_SIZE + 40);
    let flip = |pos: usize, bit: u8| {
        let mut bad = env.clone();
        bad[pos] ^= 1 << bit;
        bad
    };
    let last_tag = env.len() - TAG_LEN;
    let first_tag = HEADER_LEN + CHUNK_SIZE;
    for (pos, what) in [
        (70, "salt first byte"),
        (HEADER_LEN - 1, "salt last byte"),
        (HEADER_LEN, "first chunk body"),
        (HEADER_LEN + 30_000, "first chunk middle"),
        (first_tag, "first chunk tag"),
        (first_tag + TAG_LEN - 1, "first chunk tag end"),
        (first_tag + TAG_LEN, "last chunk body"),
        (last_tag, "last chunk tag"),
        (env.len() - 1, "last byte"),
    ] {
        for bit in [0, 7] {
            assert_rejected(&ring, CTX, &flip(pos, bit), is_decrypt, what);
        }
    }
    for pos in [10, 21, 69] {
        let is_unwrap = |e: &CryptoError| matches!(e, CryptoError::Unwrap);
        assert_rejected(&ring, CTX, &flip(pos, 3), is_unwrap, "wrapped key");
    }
    assert_rejected(
        &ring,
        CTX,
        &flip(9, 1),
        |e| matches!(e, CryptoError::UnknownKek(3)),
        "kek id",
    );
}

#[test]
fn trailing_data_is_rejected() {
    // After a partial last chunk, extra bytes make it a longer chunk that fails its tag.
    let (ring, env, _) = sealed(100);
    for extra in [&b"x"[..], &[0u8; TAG_LEN], &[0u8; FULL + 3]] {
        let mut bad = env.clone();
        bad.extend_from_slice(extra);
        assert_rejected(&ring, CTX, &bad, |_| true, "after partial last chunk");
    }

    // After a full last chunk, the chunk itself authenticates as last: that is trailing data.
    let (ring, env, _) = sealed(CHUNK_SIZE);
    for extra in [&b"x"[..], &[0u8; TAG_LEN]] {
        let mut bad = env.clone();
        bad.extend_from_slice(extra);
        let is_trailing = |e: &CryptoError| matches!(e, CryptoError::TrailingData);
        assert_rejected(&ring, CTX, &bad, is_trailing, "after full last chunk");
    }

    // A whole second envelope appended.
    let (ring, env, _) = sealed(10);
    let mut twice = env.clone();
    twice.extend_from_slice(&env);
    assert_rejected(&ring, CTX, &twice, |_| true, "two envelopes");
}

#[test]
fn wrong_or_unknown_kek_is_rejected() {
    let (_, env, _) = sealed(10);
    let impostor = Keyring::from_keks([Kek::generate(1)]).unwrap();
    assert_rejected(
        &impostor,
        CTX,
        &env,
        |e| matches!(e, CryptoError::Unwrap),
        "wrong KEK",
    );
    let elsewhere = Keyring::from_keks([Kek::generate(2), Kek::generate(5)]).unwrap();
    assert_rejected(
        &elsewhere,
        CTX,
        &env,
        |e| matches!(e, CryptoError::UnknownKek(1)),
        "unknown KEK id",
    );
}

#[test]
fn wrong_context_is_rejected() {
    let (ring, env, pt) = sealed(CHUNK_SIZE + 1);
    assert_eq!(open_to_vec(&ring, CTX, &env).unwrap(), pt);
    let others = [
        Context {
            tenant: "acme2",
            ..CTX
        },
        Context {
            message: "msg-2",
            ..CTX
        },
        Context {
            file: "attachment-1",
            ..CTX
        },
        Context {
            tenant: "",
            message: "",
            file: "",
        },
    ];
    for ctx in others {
        assert_rejected(&ring, ctx, &env, is_decrypt, &format!("{ctx:?}"));
    }

    // The length prefixes keep field boundaries apart: moving one character between fields
    // must change the key.
    let a = Context {
        tenant: "ab",
        message: "c",
        file: "d",
    };
    let b = Context {
        tenant: "a",
        message: "bc",
        file: "d",
    };
    let env = seal_to_vec(&ring, &DataKey::generate(), a, b"boundary");
    assert_rejected(&ring, b, &env, is_decrypt, "shifted boundary");
}

#[test]
fn wrong_data_key_is_rejected() {
    let ring = Keyring::new_with_generated();
    let env = seal_to_vec(&ring, &DataKey::generate(), CTX, b"secret");
    let header = Header::parse(&env).unwrap();

    // The sans-IO opener given another data key.
    let mut opener = ChunkOpener::new(&header, &DataKey::generate(), CTX);
    let mut body = env[HEADER_LEN..].to_vec();
    assert!(matches!(
        opener.open_chunk(&mut body, true),
        Err(CryptoError::Decrypt)
    ));

    // A header whose wrapped key is a valid wrap, by the same KEK, of another data key: the
    // rotation-friendly format must still reject it, through the key derivation.
    let mut swapped = env.clone();
    let other = Header {
        wrapped: ring.wrap(&DataKey::generate()),
        ..header
    };
    swapped[..HEADER_LEN].copy_from_slice(&other.to_bytes());
    assert_rejected(&ring, CTX, &swapped, is_decrypt, "other data key");
}

#[test]
fn bad_header_fields_are_rejected() {
    let (ring, env, _) = sealed(10);
    for (pos, value, what) in [
        (0, b'X', "bad magic"),
        (3, b'l', "bad magic"),
        (4, 2, "unsupported version"),
        (4, 0, "unsupported version"),
        (5, 2, "unsupported algorithm"),
    ] {
        let mut bad = env.clone();
        bad[pos] = value;
        assert_rejected(
            &ring,
            CTX,
            &bad,
            |e| matches!(e, CryptoError::BadHeader(m) if *m == what),
            what,
        );
    }
}
