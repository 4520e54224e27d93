//! Whole-buffer helpers for small envelopes such as sealed database fields and message bodies.

use crate::stream::FULL_SEALED_CHUNK;
use crate::{
    CHUNK_SIZE, ChunkOpener, ChunkSealer, Context, CryptoError, DataKey, HEADER_LEN, Header,
    Keyring, sealed_len,
};

/// Seals `plaintext` into a complete envelope, with `key` wrapped by the keyring's newest KEK.
///
/// The result is exactly [`sealed_len`]`(plaintext.len())` bytes.
pub fn seal_to_vec(
    keyring: &Keyring,
    key: &DataKey,
    ctx: Context<'_>,
    plaintext: &[u8],
) -> Vec<u8> {
    seal_with_header(&Header::new(keyring.wrap(key)), key, ctx, plaintext)
}

/// Seals `plaintext` after the given header; the header's wrapped key must wrap `key`.
pub(crate) fn seal_with_header(
    header: &Header,
    key: &DataKey,
    ctx: Context<'_>,
    plaintext: &[u8],
) -> Vec<u8> {
    let total = usize::try_from(sealed_len(plaintext.len() as u64))
        .expect("an envelope of an in-memory plaintext fits in memory");
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(&header.to_bytes());
    let mut sealer = ChunkSealer::new(header, key, ctx);

    let mut chunks = plaintext.chunks(CHUNK_SIZE).peekable();
    if chunks.peek().is_none() {
        // An empty plaintext is one empty last chunk.
        let tag = sealer
            .seal_slice(&mut [], true)
            .expect("a first empty last chunk is valid");
        out.extend_from_slice(&tag);
    }
    while let Some(chunk) = chunks.next() {
        let last = chunks.peek().is_none();
        // Copy first, then encrypt the copy in place, so each byte is touched once more only.
        let start = out.len();
        out.extend_from_slice(chunk);
        let tag = sealer
            .seal_slice(&mut out[start..], last)
            .expect("chunks() yields full chunks before the last");
        out.extend_from_slice(&tag);
    }
    debug_assert_eq!(out.len(), total);
    out
}

/// Opens a complete envelope, unwrapping its data key with `keyring`, under `ctx`.
///
/// Fails if the header is bad, the KEK is unknown, any chunk fails to authenticate, the last
/// chunk is missing, or data follows it.
pub fn open_to_vec(
    keyring: &Keyring,
    ctx: Context<'_>,
    sealed: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let header = Header::parse(sealed)?;
    let key = keyring.unwrap(&header.wrapped)?;
    let mut opener = ChunkOpener::new(&header, &key, ctx);

    let mut body = &sealed[HEADER_LEN..];
    let mut out = Vec::with_capacity(body.len());
    loop {
        // Every chunk but the last is exactly full; whatever is left at the end is the last one.
        let last = body.len() <= FULL_SEALED_CHUNK;
        let take = if last { body.len() } else { FULL_SEALED_CHUNK };
        let start = out.len();
        out.extend_from_slice(&body[..take]);
        match opener.open_slice(&mut out[start..], last) {
            Ok(len) => out.truncate(start + len),
            Err(e) => {
                // Earlier chunks were authentic, but a partial plaintext must not escape.
                zeroize::Zeroize::zeroize(&mut out);
                return Err(e);
            }
        }
        body = &body[take..];
        if last {
            return Ok(out);
        }
    }
}
