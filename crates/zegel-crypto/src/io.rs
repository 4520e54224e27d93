//! `std::io` adapters over the chunk layer, with constant memory.
//!
//! Each adapter owns exactly one chunk buffer ([`CHUNK_SIZE`] + [`TAG_LEN`](crate::TAG_LEN) bytes, plus one byte
//! of read-ahead for the [`Decryptor`]), whatever the size of the stream. The buffers are
//! allocated once at construction and wiped when the adapter is dropped, because they hold
//! plaintext.

use std::io::{self, Read, Write};

use zeroize::Zeroizing;

use crate::stream::FULL_SEALED_CHUNK;
use crate::{
    CHUNK_SIZE, ChunkOpener, ChunkSealer, Context, CryptoError, DataKey, HEADER_LEN, Header,
    Keyring, Segment,
};

/// Encrypts everything written to it into an envelope written to `inner`.
///
/// The header is written by [`Encryptor::new`]; chunks are written as they fill. A full chunk is
/// held back until at least one more byte arrives, because only then is it known not to be the
/// last one. [`Encryptor::finish`] seals the last chunk and **must** be called: an encryptor
/// dropped without it leaves a truncated stream, which every opener rejects.
///
/// [`Write::flush`] flushes `inner` but cannot flush buffered plaintext, since a chunk can only
/// be sealed once it is full or known to be the last.
pub struct Encryptor<W: Write> {
    inner: W,
    sealer: ChunkSealer,
    buf: Zeroizing<Vec<u8>>,
    poisoned: bool,
}

impl<W: Write> Encryptor<W> {
    /// Writes the envelope header to `inner`, with `key` wrapped by the keyring's newest KEK, and
    /// prepares to seal under `ctx`.
    pub fn new(
        mut inner: W,
        keyring: &Keyring,
        key: &DataKey,
        ctx: Context<'_>,
    ) -> io::Result<Self> {
        let header = Header::new(keyring.wrap(key));
        inner.write_all(&header.to_bytes())?;
        Ok(Self {
            inner,
            sealer: ChunkSealer::new(&header, key, ctx),
            buf: Zeroizing::new(Vec::with_capacity(FULL_SEALED_CHUNK)),
            poisoned: false,
        })
    }

    /// Seals the buffered plaintext as the last chunk, writes it, flushes and returns `inner`.
    pub fn finish(mut self) -> io::Result<W> {
        self.check_usable()?;
        self.seal_and_write(true)?;
        self.inner.flush()?;
        Ok(self.inner)
    }

    /// The underlying writer.
    pub fn get_ref(&self) -> &W {
        &self.inner
    }

    /// Bytes the chunk buffer can hold without reallocating; used to check the memory bound.
    #[cfg(test)]
    pub(crate) fn buffer_capacity(&self) -> usize {
        self.buf.capacity()
    }

    fn check_usable(&self) -> io::Result<()> {
        if self.poisoned {
            return Err(CryptoError::Poisoned.into());
        }
        Ok(())
    }

    /// Seals the buffer in place and writes it out. A failure here leaves the sealer advanced and
    /// the stream half-written, so the encryptor is poisoned.
    fn seal_and_write(&mut self, last: bool) -> io::Result<()> {
        self.poisoned = true;
        self.sealer.seal_chunk(&mut self.buf, last)?;
        self.inner.write_all(&self.buf)?;
        self.buf.clear();
        self.poisoned = false;
        Ok(())
    }
}

impl<W: Write> Write for Encryptor<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.check_usable()?;
        if data.is_empty() {
            return Ok(0);
        }
        if self.buf.len() == CHUNK_SIZE {
            // More data is coming, so the held-back full chunk is not the last one.
            self.seal_and_write(false)?;
        }
        let n = data.len().min(CHUNK_SIZE - self.buf.len());
        self.buf.extend_from_slice(&data[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.check_usable()?;
        self.inner.flush()
    }
}

/// Decrypts an envelope read from `inner`.
///
/// [`Read::read`] returns `Ok(0)` only after the chunk marked as last has authenticated; a
/// truncated, extended, reordered or modified stream yields an error of kind
/// [`io::ErrorKind::InvalidData`] that wraps a [`CryptoError`] (see
/// [`CryptoError::from_io_error`]). Plaintext is released one authenticated chunk at a time, so a
/// caller that stops at an error has seen only authentic data, but not necessarily all of it.
///
/// To know whether a full chunk is the last one, the decryptor reads one byte past it.
pub struct Decryptor<R: Read> {
    inner: R,
    opener: ChunkOpener,
    /// Plaintext of the current chunk in `buf[pos..]`, or ciphertext while a chunk is filled.
    buf: Zeroizing<Vec<u8>>,
    pos: usize,
    /// The read-ahead byte: the first byte of the next chunk.
    carry: Option<u8>,
    state: State,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Reading,
    Done,
    Failed,
}

impl<R: Read> Decryptor<R> {
    /// Reads and parses the header, unwraps the data key with `keyring` and prepares to open
    /// under `ctx`.
    pub fn new(inner: R, keyring: &Keyring, ctx: Context<'_>) -> io::Result<Self> {
        Self::with_segments(inner, keyring, ctx, &[Segment::FIRST])
    }

    /// Like [`Decryptor::new`], for an envelope written in `segments` (a resumed upload; see
    /// [`ChunkOpener::with_segments`]).
    pub fn with_segments(
        mut inner: R,
        keyring: &Keyring,
        ctx: Context<'_>,
        segments: &[Segment],
    ) -> io::Result<Self> {
        let mut header = [0u8; HEADER_LEN];
        if fill(&mut inner, &mut header)? < HEADER_LEN {
            return Err(CryptoError::Truncated.into());
        }
        let header = Header::parse(&header)?;
        let key = keyring.unwrap(&header.wrapped)?;
        Ok(Self {
            inner,
            opener: ChunkOpener::with_segments(&header, &key, ctx, segments)?,
            buf: Zeroizing::new(Vec::with_capacity(FULL_SEALED_CHUNK + 1)),
            pos: 0,
            carry: None,
            state: State::Reading,
        })
    }

    /// The underlying reader.
    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    /// Bytes the chunk buffer can hold without reallocating; used to check the memory bound.
    #[cfg(test)]
    pub(crate) fn buffer_capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// Reads the next chunk plus one byte of read-ahead and opens it.
    fn next_chunk(&mut self) -> Result<(), CryptoError> {
        let buf = &mut *self.buf;
        // The buffer still holds the previous chunk's plaintext, which is about to be overwritten;
        // growing it from there writes only the few bytes past that length, not a whole chunk.
        buf.resize(FULL_SEALED_CHUNK + 1, 0);
        let mut filled = 0;
        if let Some(b) = self.carry.take() {
            buf[0] = b;
            filled = 1;
        }
        filled += fill(&mut self.inner, &mut buf[filled..])?;
        buf.truncate(filled);

        // A chunk followed by at least one more byte is a middle chunk; otherwise the stream
        // ended and this is the last one, however long it is.
        let last = filled <= FULL_SEALED_CHUNK;
        if !last {
            self.carry = buf.pop();
        }
        self.opener.open_chunk(buf, last)?;
        self.pos = 0;
        if last {
            self.state = State::Done;
        }
        Ok(())
    }
}

impl<R: Read> Read for Decryptor<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        loop {
            let available = &self.buf[self.pos.min(self.buf.len())..];
            if !available.is_empty() {
                let n = available.len().min(out.len());
                out[..n].copy_from_slice(&available[..n]);
                self.pos += n;
                return Ok(n);
            }
            match self.state {
                State::Done => return Ok(0),
                State::Failed => return Err(CryptoError::Poisoned.into()),
                State::Reading => {
                    if let Err(e) = self.next_chunk() {
                        self.state = State::Failed;
                        self.buf.clear();
                        return Err(e.into());
                    }
                }
            }
        }
    }
}

/// Reads into `buf` until it is full or the reader reaches end of file; returns the count.
/// Unlike `read_exact`, a short count is not an error, because the caller decides what it means.
fn fill<R: Read>(reader: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}
