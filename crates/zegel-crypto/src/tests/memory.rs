//! The streaming adapters hold about one chunk, whatever the size of the stream.
//!
//! The crate forbids `unsafe`, so a counting global allocator is not available; instead these
//! tests stream 16 MiB from `io::repeat` to sinks that never keep the data, and check that the
//! adapters' buffers never grow past one chunk plus read-ahead.

use std::io::{self, Read, Write};

use super::CTX;
use crate::stream::FULL_SEALED_CHUNK;
use crate::{
    CHUNK_SIZE, ChunkOpener, ChunkSealer, CryptoError, DataKey, Decryptor, Encryptor, HEADER_LEN,
    Header, Keyring, TAG_LEN,
};

const TOTAL: u64 = 16 << 20;
const BYTE: u8 = 0x5a;

/// A writer that opens an envelope as it arrives, checks every plaintext byte and keeps nothing
/// but one chunk: the sans-IO opener driven from the write side.
struct OpeningWriter<'k> {
    keyring: &'k Keyring,
    header: Vec<u8>,
    opener: Option<ChunkOpener>,
    pending: Vec<u8>,
    plaintext_seen: u64,
}

impl<'k> OpeningWriter<'k> {
    fn new(keyring: &'k Keyring) -> Self {
        Self {
            keyring,
            header: Vec::new(),
            opener: None,
            pending: Vec::with_capacity(FULL_SEALED_CHUNK + 1),
            plaintext_seen: 0,
        }
    }

    fn open(&mut self, last: bool) -> Result<(), CryptoError> {
        let opener = self.opener.as_mut().expect("header seen");
        opener.open_chunk(&mut self.pending, last)?;
        assert!(self.pending.iter().all(|&b| b == BYTE));
        self.plaintext_seen += self.pending.len() as u64;
        self.pending.clear();
        Ok(())
    }

    fn finish(mut self) -> Result<u64, CryptoError> {
        self.open(true)?;
        assert!(self.pending.capacity() <= FULL_SEALED_CHUNK + 1);
        Ok(self.plaintext_seen)
    }
}

impl Write for OpeningWriter<'_> {
    fn write(&mut self, mut data: &[u8]) -> io::Result<usize> {
        let offered = data.len();
        if self.opener.is_none() {
            let n = data.len().min(HEADER_LEN - self.header.len());
            self.header.extend_from_slice(&data[..n]);
            data = &data[n..];
            if self.header.len() == HEADER_LEN {
                let header = Header::parse(&self.header)?;
                let key = self.keyring.unwrap(&header.wrapped)?;
                self.opener = Some(ChunkOpener::new(&header, &key, CTX));
            }
        }
        while !data.is_empty() {
            // A full chunk is known to be a middle one only once a byte after it arrives.
            if self.pending.len() == FULL_SEALED_CHUNK {
                self.open(false)?;
            }
            let n = data.len().min(FULL_SEALED_CHUNK - self.pending.len());
            self.pending.extend_from_slice(&data[..n]);
            data = &data[n..];
        }
        Ok(offered)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A reader that produces an envelope of `TOTAL` bytes of `BYTE` on demand: the sans-IO sealer
/// driven from the read side.
struct SealingReader {
    header: Option<[u8; HEADER_LEN]>,
    sealer: ChunkSealer,
    remaining: u64,
    out: Vec<u8>,
    pos: usize,
}

impl SealingReader {
    fn new(keyring: &Keyring, key: &DataKey) -> Self {
        let header = Header::new(keyring.wrap(key));
        Self {
            header: Some(header.to_bytes()),
            sealer: ChunkSealer::new(&header, key, CTX),
            remaining: TOTAL,
            out: Vec::with_capacity(FULL_SEALED_CHUNK),
            pos: 0,
        }
    }
}

impl Read for SealingReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(h) = self.header.take() {
            self.out.clear();
            self.out.extend_from_slice(&h);
            self.pos = 0;
        }
        if self.pos == self.out.len() {
            if self.sealer.is_finished() {
                return Ok(0);
            }
            let n = self.remaining.min(CHUNK_SIZE as u64) as usize;
            self.remaining -= n as u64;
            self.out.clear();
            self.out.resize(n, BYTE);
            self.sealer.seal_chunk(&mut self.out, self.remaining == 0)?;
            self.pos = 0;
        }
        let n = buf.len().min(self.out.len() - self.pos);
        buf[..n].copy_from_slice(&self.out[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[test]
fn encryptor_streams_16_mib_in_one_chunk_of_memory() {
    let ring = Keyring::new_with_generated();
    let key = DataKey::generate();
    let mut enc = Encryptor::new(OpeningWriter::new(&ring), &ring, &key, CTX).unwrap();
    let capacity = enc.buffer_capacity();
    assert!(capacity <= CHUNK_SIZE + TAG_LEN, "{capacity}");

    let copied = io::copy(&mut io::repeat(BYTE).take(TOTAL), &mut enc).unwrap();
    assert_eq!(copied, TOTAL);
    assert_eq!(
        enc.buffer_capacity(),
        capacity,
        "the buffer must never grow"
    );
    let sink = enc.finish().unwrap();
    assert_eq!(sink.finish().unwrap(), TOTAL);
}

#[test]
fn decryptor_streams_16_mib_in_one_chunk_of_memory() {
    let ring = Keyring::new_with_generated();
    let key = DataKey::generate();
    let mut dec = Decryptor::new(SealingReader::new(&ring, &key), &ring, CTX).unwrap();
    let capacity = dec.buffer_capacity();
    assert!(capacity <= CHUNK_SIZE + TAG_LEN + 1, "{capacity}");

    // Check the content as it passes, keeping nothing.
    let mut buf = vec![0u8; 10_000];
    let mut total = 0u64;
    loop {
        let n = dec.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        assert!(buf[..n].iter().all(|&b| b == BYTE));
        total += n as u64;
    }
    assert_eq!(total, TOTAL);
    assert_eq!(
        dec.buffer_capacity(),
        capacity,
        "the buffer must never grow"
    );
}

#[test]
fn encryptor_dropped_without_finish_is_rejected() {
    let ring = Keyring::new_with_generated();
    let mut out = Vec::new();
    {
        let mut enc = Encryptor::new(&mut out, &ring, &DataKey::generate(), CTX).unwrap();
        enc.write_all(&vec![1u8; 2 * CHUNK_SIZE + 3]).unwrap();
        // Dropped here without finish(): the last chunk is never sealed.
    }
    // Both full chunks went out as middle chunks once the next byte arrived; the 3 buffered
    // bytes were lost with the encryptor.
    assert_eq!(out.len(), HEADER_LEN + 2 * FULL_SEALED_CHUNK);
    assert!(matches!(
        crate::open_to_vec(&ring, CTX, &out),
        Err(CryptoError::Truncated)
    ));
}

#[test]
fn writer_errors_poison_the_encryptor() {
    /// Accepts the header and then fails every write.
    struct Failing(usize);
    impl Write for Failing {
        fn write(&mut self, data: &[u8]) -> io::Result<usize> {
            if self.0 >= HEADER_LEN {
                return Err(io::Error::other("disk full"));
            }
            self.0 += data.len();
            Ok(data.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let ring = Keyring::new_with_generated();
    let mut enc = Encryptor::new(Failing(0), &ring, &DataKey::generate(), CTX).unwrap();
    let chunk = vec![0u8; CHUNK_SIZE];
    enc.write_all(&chunk).unwrap();
    let err = enc.write_all(&chunk).unwrap_err();
    assert_eq!(err.to_string(), "disk full");
    let err = enc.write(b"x").unwrap_err();
    assert!(matches!(
        CryptoError::from_io_error(&err),
        Some(CryptoError::Poisoned)
    ));
    assert!(enc.finish().is_err());
}
