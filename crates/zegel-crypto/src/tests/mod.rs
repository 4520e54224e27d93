//! Shared helpers for the cross-module tests.

use std::io::{self, Read, Write};

use crate::{Context, CryptoError, DataKey, Decryptor, Encryptor, Keyring};

/// Memory bounds of the streaming adapters.
mod memory;
/// Property tests over random sizes, splits and buffers.
mod props;
/// KEK rotation by header rewrap.
mod rotation;
/// Round trips at the chunk-boundary sizes.
mod roundtrip;
/// Resumed envelopes: one key per segment.
mod segments;
/// Every way of damaging an envelope, and the error each one gives.
mod tamper;
/// Fixed vectors, computed by an independent implementation of FORMAT.md.
mod vectors;

/// The context most tests seal under.
pub(crate) const CTX: Context<'static> = Context {
    tenant: "acme",
    message: "msg-1",
    file: "body",
};

/// Deterministic, non-repeating test data, so a misplaced chunk never decrypts to the same bytes.
pub(crate) fn data(len: usize, seed: u64) -> Vec<u8> {
    // xorshift64*: fast in debug builds, and good enough to make every chunk distinct.
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 56) as u8
        })
        .collect()
}

/// Seals through [`Encryptor`], writing the plaintext in pieces of the given sizes (cycled).
pub(crate) fn seal_io(
    keyring: &Keyring,
    key: &DataKey,
    ctx: Context<'_>,
    plaintext: &[u8],
    splits: &[usize],
) -> Vec<u8> {
    let mut enc = Encryptor::new(Vec::new(), keyring, key, ctx).unwrap();
    let mut rest = plaintext;
    let mut sizes = splits.iter().copied().cycle();
    while !rest.is_empty() {
        let n = sizes.next().unwrap_or(rest.len()).clamp(1, rest.len());
        // `write` may take less than offered; the test must honour that like any caller.
        let taken = enc.write(&rest[..n]).unwrap();
        assert!(taken > 0 && taken <= n);
        rest = &rest[taken..];
    }
    enc.finish().unwrap()
}

/// Opens through [`Decryptor`], reading with buffers of the given sizes (cycled).
pub(crate) fn open_io(
    keyring: &Keyring,
    ctx: Context<'_>,
    sealed: &[u8],
    read_sizes: &[usize],
) -> io::Result<Vec<u8>> {
    let mut dec = Decryptor::new(sealed, keyring, ctx)?;
    let mut out = Vec::new();
    let mut buf = vec![0u8; read_sizes.iter().copied().max().unwrap_or(1).max(1)];
    let mut sizes = read_sizes.iter().copied().cycle();
    loop {
        let n = sizes.next().unwrap_or(1).max(1);
        match dec.read(&mut buf[..n])? {
            0 => break,
            got => out.extend_from_slice(&buf[..got]),
        }
    }
    // After the end, reads keep returning 0.
    assert_eq!(dec.read(&mut buf[..1])?, 0);
    Ok(out)
}

/// The crate error inside an I/O error from the adapters; panics if there is none.
pub(crate) fn crypto_err(e: &io::Error) -> &CryptoError {
    assert_eq!(e.kind(), io::ErrorKind::InvalidData, "{e}");
    CryptoError::from_io_error(e).unwrap_or_else(|| panic!("not a CryptoError: {e}"))
}

/// Asserts that both the Vec helper and the Decryptor (with several read sizes) reject
/// `sealed`, with an error that `expected` accepts.
pub(crate) fn assert_rejected(
    keyring: &Keyring,
    ctx: Context<'_>,
    sealed: &[u8],
    expected: impl Fn(&CryptoError) -> bool,
    what: &str,
) {
    match crate::open_to_vec(keyring, ctx, sealed) {
        Ok(_) => panic!("{what}: open_to_vec accepted a bad envelope"),
        Err(e) => assert!(expected(&e), "{what}: open_to_vec gave {e:?}"),
    }
    for sizes in [&[1usize << 20][..], &[7, 4096, 1]] {
        match open_io(keyring, ctx, sealed, sizes) {
            Ok(_) => panic!("{what}: Decryptor accepted a bad envelope"),
            Err(e) => {
                let inner = crypto_err(&e);
                assert!(expected(inner), "{what}: Decryptor gave {inner:?}");
            }
        }
    }
}

/// The server moves these across threads (`spawn_blocking`, shared `Arc<Keyring>`), so losing
/// `Send` or `Sync` by a refactoring must fail here rather than in the server's build.
#[test]
fn public_types_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Keyring>();
    check::<DataKey>();
    check::<crate::Kek>();
    check::<crate::Header>();
    check::<crate::ChunkSealer>();
    check::<crate::ChunkOpener>();
    check::<crate::TokenSigner>();
    check::<CryptoError>();
    check::<Encryptor<Vec<u8>>>();
    check::<Decryptor<&'static [u8]>>();
}
