//! The sans-IO chunk layer: file-key derivation and the STREAM construction over AES-256-GCM.
//!
//! Nothing here reads or writes; callers hand in one chunk at a time, which lets the server drive
//! it from async code and lets [`Encryptor`](crate::Encryptor) and
//! [`Decryptor`](crate::Decryptor) drive it from `std::io`.

use hkdf::Hkdf;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, Tag, UnboundKey};
use sha2::Sha256;
use zeroize::{Zeroize, Zeroizing};

use crate::{CHUNK_SIZE, CryptoError, DataKey, HEADER_LEN, Header, TAG_LEN};

/// The HKDF `info` prefix for file keys; the three context strings follow it.
const FILE_KEY_INFO: &[u8] = b"zegel-v1-file-key";

/// Length of a sealed chunk that is not the last one.
pub(crate) const FULL_SEALED_CHUNK: usize = CHUNK_SIZE + TAG_LEN;

/// What a ciphertext is bound to: opening it under any other context fails on the first chunk.
///
/// The strings are hashed into the file key, so they can be any identifiers the server uses; they
/// are length-prefixed, so `("ab", "c")` and `("a", "bc")` give different keys.
#[derive(Clone, Copy, Debug)]
pub struct Context<'a> {
    /// The tenant (organization) the message belongs to.
    pub tenant: &'a str,
    /// The message id.
    pub message: &'a str,
    /// The file id within the message; by convention the message body uses a fixed name.
    pub file: &'a str,
}

/// Where one segment of an envelope begins and which key seals it (FORMAT.md, "Segments").
///
/// An envelope written in one go is one segment, number 0 from chunk 0: today's format. A resumed
/// upload that must not seal a chunk index again under the same key starts a new segment with a
/// higher number at the chunk where it resumes; the chunk counter stays global.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    /// The segment number, bound into its file key (0: the key of an unsegmented envelope).
    pub number: u64,
    /// The index of the segment's first chunk.
    pub first_chunk: u64,
}

impl Segment {
    /// The one segment of an envelope written in one go.
    pub const FIRST: Segment = Segment {
        number: 0,
        first_chunk: 0,
    };
}

/// Checks a segment list for [`ChunkOpener::with_segments`]: it starts at chunk 0, and both the first
/// chunks and the numbers strictly increase (a number is never used for two segments).
fn check_segments(segments: &[Segment]) -> Result<(), CryptoError> {
    match segments.first() {
        None => return Err(CryptoError::InvalidChunk("a segment list cannot be empty")),
        Some(first) if first.first_chunk != 0 => {
            return Err(CryptoError::InvalidChunk(
                "the first segment must begin at chunk 0",
            ));
        }
        Some(_) => {}
    }
    if segments
        .windows(2)
        .any(|w| w[1].first_chunk <= w[0].first_chunk || w[1].number <= w[0].number)
    {
        return Err(CryptoError::InvalidChunk(
            "segments must increase in first chunk and number",
        ));
    }
    Ok(())
}

/// Encrypted size of a plaintext of `plaintext_len` bytes, header included.
///
/// Every chunk adds a [`TAG_LEN`]-byte tag, and an empty plaintext still has one (empty) chunk.
pub fn sealed_len(plaintext_len: u64) -> u64 {
    let chunks = plaintext_len.div_ceil(CHUNK_SIZE as u64).max(1);
    HEADER_LEN as u64 + plaintext_len + chunks * TAG_LEN as u64
}

/// Plaintext size of an envelope of `sealed_len` bytes, header included; `None` if no valid
/// envelope has that length. The inverse of [`sealed_len`], for example for `Content-Length`.
pub fn plaintext_len(sealed_len: u64) -> Option<u64> {
    let body = sealed_len.checked_sub(HEADER_LEN as u64)?;
    let full = FULL_SEALED_CHUNK as u64;
    let full_chunks = body / full;
    let rest = body % full;
    if rest == 0 {
        // The body ends on a chunk boundary, so its last chunk is a full one; an empty body has
        // no chunk at all and is not a valid envelope.
        return (full_chunks > 0).then(|| full_chunks * CHUNK_SIZE as u64);
    }
    // The last chunk is partial; only the very first chunk may be empty (tag only).
    if rest < TAG_LEN as u64 || (rest == TAG_LEN as u64 && full_chunks > 0) {
        return None;
    }
    Some(full_chunks * CHUNK_SIZE as u64 + rest - TAG_LEN as u64)
}

/// Derives the AES-256-GCM cipher of one segment from the data key, the header's salt, the context
/// and the segment number, with HKDF-SHA256 as described in FORMAT.md. Segment 0 appends nothing to
/// the `info`, so it is the key of an envelope written in one go.
fn file_cipher(header: &Header, key: &DataKey, ctx: Context<'_>, segment: u64) -> ChunkCipher {
    let hk = Hkdf::<Sha256>::new(Some(&header.salt), key.as_bytes());
    let lens = [ctx.tenant, ctx.message, ctx.file].map(|s| {
        u32::try_from(s.len())
            .expect("context strings are identifiers, far below 4 GiB")
            .to_be_bytes()
    });
    let segment_bytes = segment.to_be_bytes();
    let info: [&[u8]; 8] = [
        FILE_KEY_INFO,
        &lens[0],
        ctx.tenant.as_bytes(),
        &lens[1],
        ctx.message.as_bytes(),
        &lens[2],
        ctx.file.as_bytes(),
        if segment == 0 { &[] } else { &segment_bytes },
    ];
    let mut okm = Zeroizing::new([0u8; 32]);
    hk.expand_multi_info(&info, okm.as_mut())
        .expect("32 bytes is a valid HKDF-SHA256 output length");
    // The key schedule is computed once here and reused for every chunk.
    ChunkCipher::new(&okm)
}

/// AES-256-GCM for the chunks: ring's implementation, the assembly rustls already runs for TLS, which
/// picks AES-NI or VAES and carry-less multiplication at run time (the `aes-gcm` crate reached about a
/// quarter of OpenSSL's speed here; key wrapping, 32 bytes at a time, still uses it). AES-GCM is one
/// algorithm: the bytes are the same whichever implementation seals them.
struct ChunkCipher(LessSafeKey);

impl ChunkCipher {
    fn new(key: &[u8; 32]) -> Self {
        let key = UnboundKey::new(&AES_256_GCM, key).expect("a 32-byte key fits AES-256-GCM");
        Self(LessSafeKey::new(key))
    }

    /// Seals `data` in place and returns the tag.
    fn seal(&self, nonce: [u8; 12], aad: [u8; 2], data: &mut [u8]) -> [u8; TAG_LEN] {
        let tag = self
            .0
            .seal_in_place_separate_tag(Nonce::assume_unique_for_key(nonce), Aad::from(aad), data)
            .expect("chunks are far below the AES-GCM length limit");
        let mut bytes = [0u8; TAG_LEN];
        bytes.copy_from_slice(tag.as_ref());
        bytes
    }

    /// Opens `data` in place. On failure ring zeroes `data`: the unauthenticated plaintext never
    /// leaves (and the ciphertext is gone too).
    fn open(&self, nonce: [u8; 12], aad: [u8; 2], data: &mut [u8], tag: [u8; TAG_LEN]) -> bool {
        self.0
            .open_in_place_separate_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad),
                Tag::from(tag),
                data,
                0..,
            )
            .is_ok()
    }
}

/// The nonce of chunk `counter`: 11-byte big-endian counter, then the last-chunk flag.
fn chunk_nonce(counter: u64, last: bool) -> [u8; 12] {
    let mut nonce = [0u8; 12];
    nonce[3..11].copy_from_slice(&counter.to_be_bytes());
    nonce[11] = u8::from(last);
    nonce
}

/// Encrypts one envelope chunk by chunk.
///
/// Chunks must come in order: every one except the last exactly [`CHUNK_SIZE`] bytes, the last
/// one `0..=CHUNK_SIZE` bytes and empty only if it is also the first. The sealer refuses chunks
/// that would break these rules, so whatever it produces [`ChunkOpener`] accepts.
pub struct ChunkSealer {
    cipher: ChunkCipher,
    aad: [u8; 2],
    counter: u64,
    finished: bool,
}

impl ChunkSealer {
    /// Prepares to seal the chunks that follow `header`, under `key` and `ctx`.
    ///
    /// `key` must be the data key that `header.wrapped` wraps, or nobody will be able to open
    /// the result.
    ///
    /// # Panics
    ///
    /// Panics if a context string is 4 GiB or longer.
    pub fn new(header: &Header, key: &DataKey, ctx: Context<'_>) -> Self {
        Self::for_segment(header, key, ctx, 0, 0)
    }

    /// Prepares to seal chunks from index `from_chunk` on under the key of segment number `segment`
    /// (a resumed upload; see FORMAT.md, "Segments"). `from_chunk` is where the segment begins, or
    /// where a later request of the same segment goes on. The caller must never seal a chunk index
    /// twice under one segment number.
    ///
    /// # Panics
    ///
    /// Panics if a context string is 4 GiB or longer.
    pub fn for_segment(
        header: &Header,
        key: &DataKey,
        ctx: Context<'_>,
        segment: u64,
        from_chunk: u64,
    ) -> Self {
        Self {
            cipher: file_cipher(header, key, ctx, segment),
            aad: header.chunk_aad(),
            counter: from_chunk,
            finished: false,
        }
    }

    /// The index of the next chunk to seal.
    pub fn next_chunk(&self) -> u64 {
        self.counter
    }

    /// Seals `buf` in place: plaintext in, ciphertext followed by its tag out.
    ///
    /// A non-last chunk must be exactly [`CHUNK_SIZE`] bytes. Give `buf` a capacity of
    /// [`CHUNK_SIZE`] + [`TAG_LEN`] to avoid a reallocation when the tag is appended.
    pub fn seal_chunk(&mut self, buf: &mut Vec<u8>, last: bool) -> Result<(), CryptoError> {
        let tag = self.seal_slice(buf, last)?;
        buf.extend_from_slice(&tag);
        Ok(())
    }

    /// Whether the last chunk has been sealed.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// Seals `data` in place and returns the tag; the state checks of [`ChunkSealer::seal_chunk`].
    pub(crate) fn seal_slice(
        &mut self,
        data: &mut [u8],
        last: bool,
    ) -> Result<[u8; TAG_LEN], CryptoError> {
        if self.finished {
            return Err(CryptoError::InvalidChunk(
                "the last chunk was already sealed",
            ));
        }
        let next = if last {
            if data.len() > CHUNK_SIZE {
                return Err(CryptoError::InvalidChunk("chunk larger than CHUNK_SIZE"));
            }
            if data.is_empty() && self.counter > 0 {
                return Err(CryptoError::InvalidChunk(
                    "an empty last chunk is allowed only for an empty plaintext",
                ));
            }
            self.counter
        } else {
            if data.len() != CHUNK_SIZE {
                return Err(CryptoError::InvalidChunk(
                    "a non-last chunk must be exactly CHUNK_SIZE bytes",
                ));
            }
            // A non-last chunk needs a counter left over for the chunk after it.
            self.counter
                .checked_add(1)
                .ok_or(CryptoError::CounterOverflow)?
        };
        let tag = self
            .cipher
            .seal(chunk_nonce(self.counter, last), self.aad, data);
        self.counter = next;
        self.finished = last;
        Ok(tag)
    }

    /// Moves the counter, so tests can reach the overflow without sealing 2^64 chunks.
    #[cfg(test)]
    pub(crate) fn set_counter(&mut self, counter: u64) {
        self.counter = counter;
    }
}

/// Decrypts one envelope chunk by chunk, checking order, completeness and authenticity.
///
/// The caller says which chunk is the last one (it knows where the stream ends). After any error
/// the opener is poisoned and refuses further chunks, so a caller that ignores one error cannot
/// go on to accept data from a stream that is known to be bad.
pub struct ChunkOpener {
    cipher: ChunkCipher,
    /// The segments still to come, the next one last: (first chunk, its cipher).
    upcoming: Vec<(u64, ChunkCipher)>,
    /// A full chunk's ciphertext while it is opened, to tell a cut at a chunk boundary from
    /// tampering when it fails (ring zeroes what fails).
    scratch: Box<[u8]>,
    aad: [u8; 2],
    counter: u64,
    finished: bool,
    poisoned: bool,
}

impl ChunkOpener {
    /// Prepares to open the chunks that follow `header` with `key` (the unwrapped data key) under
    /// `ctx`.
    ///
    /// # Panics
    ///
    /// Panics if a context string is 4 GiB or longer.
    pub fn new(header: &Header, key: &DataKey, ctx: Context<'_>) -> Self {
        Self::with_segments(header, key, ctx, &[Segment::FIRST])
            .expect("the first segment alone is a valid list")
    }

    /// Prepares to open an envelope written in `segments` (FORMAT.md, "Segments"): the opener
    /// switches key where each segment begins. `[Segment::FIRST]` is the same as [`ChunkOpener::new`].
    ///
    /// # Errors
    ///
    /// [`CryptoError::InvalidChunk`] when the list is empty, does not begin at chunk 0, or does not
    /// strictly increase in first chunk and number.
    ///
    /// # Panics
    ///
    /// Panics if a context string is 4 GiB or longer.
    pub fn with_segments(
        header: &Header,
        key: &DataKey,
        ctx: Context<'_>,
        segments: &[Segment],
    ) -> Result<Self, CryptoError> {
        check_segments(segments)?;
        let mut upcoming: Vec<(u64, ChunkCipher)> = segments[1..]
            .iter()
            .rev()
            .map(|s| (s.first_chunk, file_cipher(header, key, ctx, s.number)))
            .collect();
        upcoming.shrink_to_fit();
        Ok(Self {
            cipher: file_cipher(header, key, ctx, segments[0].number),
            upcoming,
            scratch: vec![0; CHUNK_SIZE].into_boxed_slice(),
            aad: header.chunk_aad(),
            counter: 0,
            finished: false,
            poisoned: false,
        })
    }

    /// Opens `buf` in place: ciphertext and tag in, plaintext out.
    ///
    /// A non-last chunk must be exactly [`CHUNK_SIZE`] + [`TAG_LEN`] bytes. Errors:
    /// [`CryptoError::Decrypt`] when the tag does not match (tampering, reordering, wrong key or
    /// context), [`CryptoError::Truncated`] when a chunk passed as last is really a middle chunk
    /// or is shorter than a tag, [`CryptoError::TrailingData`] when a chunk passed as non-last is
    /// really the last one or a chunk follows the last one. On error `buf` is cleared.
    pub fn open_chunk(&mut self, buf: &mut Vec<u8>, last: bool) -> Result<(), CryptoError> {
        match self.open_slice(buf, last) {
            Ok(len) => {
                buf.truncate(len);
                Ok(())
            }
            Err(e) => {
                buf.zeroize();
                buf.clear();
                Err(e)
            }
        }
    }

    /// Whether the last chunk has been opened and authenticated: only then is the plaintext
    /// complete.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// Opens a chunk (ciphertext followed by tag) in place and returns the plaintext length;
    /// poisons the opener on any error.
    pub(crate) fn open_slice(
        &mut self,
        chunk: &mut [u8],
        last: bool,
    ) -> Result<usize, CryptoError> {
        if self.poisoned {
            return Err(CryptoError::Poisoned);
        }
        let result = self.open_unpoisoned(chunk, last);
        if result.is_err() {
            self.poisoned = true;
        }
        result
    }

    fn open_unpoisoned(&mut self, chunk: &mut [u8], last: bool) -> Result<usize, CryptoError> {
        if self.finished {
            return Err(CryptoError::TrailingData);
        }
        if chunk.len() < TAG_LEN {
            return Err(CryptoError::Truncated);
        }
        let next = if last {
            if chunk.len() > FULL_SEALED_CHUNK {
                return Err(CryptoError::InvalidChunk(
                    "chunk larger than a sealed chunk",
                ));
            }
            if chunk.len() == TAG_LEN && self.counter > 0 {
                return Err(CryptoError::InvalidChunk(
                    "an empty last chunk is allowed only for an empty plaintext",
                ));
            }
            self.counter
        } else {
            if chunk.len() != FULL_SEALED_CHUNK {
                return Err(CryptoError::InvalidChunk(
                    "a non-last chunk must be exactly CHUNK_SIZE + TAG_LEN bytes",
                ));
            }
            self.counter
                .checked_add(1)
                .ok_or(CryptoError::CounterOverflow)?
        };

        // A segment begins here: its key opens this chunk and those after it.
        if self
            .upcoming
            .last()
            .is_some_and(|(first, _)| *first == self.counter)
        {
            let (_, cipher) = self.upcoming.pop().expect("checked above");
            self.cipher = cipher;
        }
        let (data, tag) = chunk.split_at_mut(chunk.len() - TAG_LEN);
        let mut tag_bytes = [0u8; TAG_LEN];
        tag_bytes.copy_from_slice(tag);
        let nonce = chunk_nonce(self.counter, last);
        let full = data.len() == CHUNK_SIZE;
        if full {
            self.scratch.copy_from_slice(data);
        }
        if !self.cipher.open(nonce, self.aad, data, tag_bytes) {
            if !full {
                return Err(CryptoError::Decrypt);
            }
            data.copy_from_slice(&self.scratch);
            return Err(self.diagnose(data, tag_bytes, last));
        }
        self.counter = next;
        self.finished = last;
        Ok(data.len())
    }

    /// Explains a full-size chunk that failed authentication: if it authenticates with the
    /// opposite last-chunk flag, the stream was cut (or extended) exactly at a chunk boundary.
    /// Anything else is reported as [`CryptoError::Decrypt`]. The retry happens only on the
    /// error path; valid streams pay one copy of each full chunk into the scratch buffer.
    fn diagnose(&self, data: &mut [u8], tag: [u8; TAG_LEN], last: bool) -> CryptoError {
        let nonce = chunk_nonce(self.counter, !last);
        if self.cipher.open(nonce, self.aad, data, tag) {
            // The chunk is authentic, but the caller must not see it; wipe the plaintext.
            data.zeroize();
            if last {
                CryptoError::Truncated
            } else {
                CryptoError::TrailingData
            }
        } else {
            CryptoError::Decrypt
        }
    }

    /// Moves the counter, so tests can reach the overflow without opening 2^64 chunks.
    #[cfg(test)]
    pub(crate) fn set_counter(&mut self, counter: u64) {
        self.counter = counter;
    }
}

/// Unit tests of the chunk layer.
#[cfg(test)]
mod tests;
