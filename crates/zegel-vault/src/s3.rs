//! Sealed blobs in S3-compatible object storage (AWS S3, MinIO, Ceph, Scaleway, Cloudflare R2), through
//! `object_store`: the same envelope as on local disk, in objects under a prefix.
//!
//! Writing streams: the sealing thread hands sealed bytes over in pieces, and `WriteMultipart` uploads
//! them as parts of [`PART_SIZE`] (equal-sized non-final parts, as R2 requires), with at most
//! [`PARTS_IN_FLIGHT`] on the wire, so memory per upload stays a few parts whatever the size. An object
//! is written at its final key and exists only once the multipart upload completes; a failed or
//! dropped upload is aborted. Reading streams too, in ranged GETs of [`READ_SIZE`].
//!
//! This is the store's first part (one-shot blobs); the server does not use it yet: resumable uploads,
//! the configuration and the wiring come with it.

use std::fmt;
use std::io::{self, Read};
use std::sync::Arc;

use bytes::Bytes;
use futures_util::Stream;
use object_store::aws::AmazonS3Builder;
use object_store::path::Path;
use object_store::{ObjectStore, PutPayload, WriteMultipart};
use tokio::sync::mpsc;
use zegel_crypto::{
    CryptoError, DataKey, Decryptor, Encryptor, HEADER_LEN, Header, Keyring, Segment,
};

use crate::{Keys, SealContext};

/// The size of every part but the last.
pub const PART_SIZE: usize = 8 << 20;
/// Parts uploaded at the same time, per blob.
pub const PARTS_IN_FLIGHT: usize = 2;
/// The size of one ranged read.
pub const READ_SIZE: u64 = 4 << 20;

/// Where the blobs are and how to reach them.
#[derive(Clone)]
pub struct S3Config {
    /// The bucket.
    pub bucket: String,
    /// A key prefix inside it (may be empty).
    pub prefix: String,
    /// The endpoint (`https://…`; `None`: AWS for the region).
    pub endpoint: Option<String>,
    /// The region.
    pub region: String,
    /// Path-style requests (`endpoint/bucket/key`), for MinIO and Ceph.
    pub path_style: bool,
    /// The access key id.
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: secrecy::SecretString,
}

impl fmt::Debug for S3Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Config")
            .field("bucket", &self.bucket)
            .field("prefix", &self.prefix)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("path_style", &self.path_style)
            .finish_non_exhaustive()
    }
}

/// Sealed blobs in a bucket.
#[derive(Clone)]
pub struct S3Blobs {
    store: Arc<dyn ObjectStore>,
    prefix: String,
}

impl fmt::Debug for S3Blobs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Blobs")
            .field("store", &self.store.to_string())
            .field("prefix", &self.prefix)
            .finish()
    }
}

fn to_io(error: object_store::Error) -> io::Error {
    match error {
        object_store::Error::NotFound { .. } => io::Error::new(io::ErrorKind::NotFound, error),
        other => io::Error::other(other),
    }
}

impl S3Blobs {
    /// A store for `config` (no request is made yet).
    pub fn new(config: &S3Config) -> io::Result<Self> {
        use secrecy::ExposeSecret;
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&config.bucket)
            .with_region(&config.region)
            .with_access_key_id(&config.access_key_id)
            .with_secret_access_key(config.secret_access_key.expose_secret())
            .with_virtual_hosted_style_request(!config.path_style);
        if let Some(endpoint) = &config.endpoint {
            builder = builder
                .with_endpoint(endpoint)
                .with_allow_http(endpoint.starts_with("http://"));
        }
        let store = builder.build().map_err(to_io)?;
        Ok(Self {
            store: Arc::new(store),
            prefix: config.prefix.trim_matches('/').to_owned(),
        })
    }

    /// The object of `blob_id` (checked: blob ids are ours, hex).
    fn key(&self, blob_id: &str) -> io::Result<Path> {
        if blob_id.len() < 8 || !blob_id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "malformed blob id",
            ));
        }
        let key = format!("{}/{blob_id}", &blob_id[..2]);
        Ok(if self.prefix.is_empty() {
            Path::from(key)
        } else {
            Path::from(format!("{}/{key}", self.prefix))
        })
    }

    /// Whether blobs can be written: a probe object is put and deleted (`/readyz`).
    pub async fn check(&self) -> io::Result<()> {
        let probe = self.key(&format!("ffff{}", zegel_crypto::random_id()))?;
        self.store
            .put(&probe, PutPayload::from_static(b"ready"))
            .await
            .map_err(to_io)?;
        self.store.delete(&probe).await.map_err(to_io)
    }

    /// Starts a sealed upload of one file, straight to its object.
    pub fn start_upload(&self, keyring: Arc<Keyring>, key: &DataKey, ctx: SealContext) -> S3Upload {
        let blob_id = zegel_crypto::random_id();
        let location = self.key(&blob_id).expect("random ids are hex");
        let key = DataKey::from_bytes(*key.as_bytes());
        let (plain_tx, mut plain_rx) = mpsc::channel::<Bytes>(16);
        let (sealed_tx, mut sealed_rx) = mpsc::channel::<Vec<u8>>(4);
        // Sealing in a blocking thread, into pieces of a part each.
        let sealer = tokio::task::spawn_blocking(move || -> io::Result<u64> {
            let sink = PieceSink {
                buffer: Vec::with_capacity(PART_SIZE),
                sender: sealed_tx,
            };
            let mut encryptor = Encryptor::new(sink, &keyring, &key, ctx.as_ctx())?;
            let mut size = 0u64;
            while let Some(chunk) = plain_rx.blocking_recv() {
                size += chunk.len() as u64;
                io::Write::write_all(&mut encryptor, &chunk)?;
            }
            let mut sink = encryptor.finish()?;
            sink.flush_piece()?;
            Ok(size)
        });
        // Uploading the pieces as parts, at most two in flight.
        let store = self.store.clone();
        let uploader = tokio::spawn(async move {
            let upload = store.put_multipart(&location).await.map_err(to_io)?;
            let mut parts = WriteMultipart::new_with_chunk_size(upload, PART_SIZE);
            while let Some(piece) = sealed_rx.recv().await {
                if let Err(error) = parts.wait_for_capacity(PARTS_IN_FLIGHT).await {
                    let _ = parts.abort().await;
                    return Err(to_io(error));
                }
                parts.write(&piece);
            }
            Ok(parts)
        });
        S3Upload {
            blob_id,
            sender: Some(plain_tx),
            sealer: Some(sealer),
            uploader: Some(uploader),
        }
    }

    /// Removes blobs; missing ones are fine.
    pub async fn delete(&self, blob_ids: &[String]) {
        for blob_id in blob_ids {
            if let Ok(key) = self.key(blob_id) {
                let _ = self.store.delete(&key).await;
            }
        }
    }

    /// Streams a blob's plaintext written in `segments` (see `zegel-crypto`'s FORMAT.md), reading the
    /// object in ranges. The stream ends with an error if the object is missing, short or tampered with.
    pub fn open_segmented(
        &self,
        blob_id: &str,
        keys: Arc<Keys>,
        ctx: SealContext,
        segments: Vec<Segment>,
    ) -> impl Stream<Item = io::Result<Bytes>> + Send + 'static {
        let (sender, mut receiver) = mpsc::channel::<io::Result<Bytes>>(4);
        let location = self.key(blob_id);
        let store = self.store.clone();
        let runtime = tokio::runtime::Handle::current();
        tokio::task::spawn_blocking(move || {
            let result = (|| -> io::Result<()> {
                let location = location?;
                let size = runtime.block_on(store.head(&location)).map_err(to_io)?.size;
                let reader = RangedReader {
                    store,
                    location,
                    runtime,
                    position: 0,
                    size,
                    buffer: Bytes::new(),
                };
                let mut decryptor = keys.with_keyring(|keyring| {
                    Decryptor::with_segments(reader.clone(), keyring, ctx.as_ctx(), &segments)
                        .map_err(|error| match CryptoError::from_io_error(&error) {
                            Some(CryptoError::UnknownKek(id)) => CryptoError::UnknownKek(*id),
                            _ => CryptoError::Io(error),
                        })
                })?;
                loop {
                    let mut buf = vec![0u8; 256 * 1024];
                    let mut filled = 0;
                    while filled < buf.len() {
                        let n = decryptor.read(&mut buf[filled..])?;
                        if n == 0 {
                            break;
                        }
                        filled += n;
                    }
                    if filled == 0 {
                        return Ok(());
                    }
                    buf.truncate(filled);
                    if sender.blocking_send(Ok(Bytes::from(buf))).is_err() {
                        return Ok(());
                    }
                }
            })();
            if let Err(error) = result {
                let _ = sender.blocking_send(Err(error));
            }
        });
        futures_util::stream::poll_fn(move |cx| receiver.poll_recv(cx))
    }

    /// Reads a blob's header (for key rotation) with one ranged read.
    pub async fn read_header(&self, blob_id: &str) -> io::Result<[u8; HEADER_LEN]> {
        let bytes = self
            .store
            .get_range(&self.key(blob_id)?, 0..HEADER_LEN as u64)
            .await
            .map_err(to_io)?;
        bytes
            .as_ref()
            .try_into()
            .map_err(|_| io::Error::new(io::ErrorKind::UnexpectedEof, "the blob has no header"))
    }

    /// Replaces a blob's header (key rotation re-wraps the data key). Objects cannot be changed in
    /// place: the object is written again, streamed in ranges with the new header, and replaces the
    /// old one when complete.
    pub async fn rewrite_header(&self, blob_id: &str, header: &[u8; HEADER_LEN]) -> io::Result<()> {
        Header::parse(header)?;
        let location = self.key(blob_id)?;
        let size = self.store.head(&location).await.map_err(to_io)?.size;
        let upload = self.store.put_multipart(&location).await.map_err(to_io)?;
        let mut parts = WriteMultipart::new_with_chunk_size(upload, PART_SIZE);
        parts.write(header);
        let mut position = HEADER_LEN as u64;
        while position < size {
            let end = (position + READ_SIZE).min(size);
            let piece = match self.store.get_range(&location, position..end).await {
                Ok(piece) => piece,
                Err(error) => {
                    let _ = parts.abort().await;
                    return Err(to_io(error));
                }
            };
            if let Err(error) = parts.wait_for_capacity(PARTS_IN_FLIGHT).await {
                let _ = parts.abort().await;
                return Err(to_io(error));
            }
            parts.write(&piece);
            position = end;
        }
        parts.finish().await.map_err(to_io)?;
        Ok(())
    }
}

/// Collects sealed bytes into pieces of a part and hands each to the uploader.
struct PieceSink {
    buffer: Vec<u8>,
    sender: mpsc::Sender<Vec<u8>>,
}

impl PieceSink {
    fn flush_piece(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let piece = std::mem::replace(&mut self.buffer, Vec::with_capacity(PART_SIZE));
        self.sender
            .blocking_send(piece)
            .map_err(|_| io::Error::other("the upload to the object store stopped"))
    }
}

impl io::Write for PieceSink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let room = PART_SIZE - self.buffer.len();
        let n = room.min(buf.len());
        self.buffer.extend_from_slice(&buf[..n]);
        if self.buffer.len() == PART_SIZE {
            self.flush_piece()?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// An object read in ranged GETs, as the decryptor's `Read`, on a blocking thread.
#[derive(Clone)]
struct RangedReader {
    store: Arc<dyn ObjectStore>,
    location: Path,
    runtime: tokio::runtime::Handle,
    position: u64,
    size: u64,
    buffer: Bytes,
}

impl Read for RangedReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.buffer.is_empty() {
            if self.position >= self.size {
                return Ok(0);
            }
            let end = (self.position + READ_SIZE).min(self.size);
            self.buffer = self
                .runtime
                .block_on(self.store.get_range(&self.location, self.position..end))
                .map_err(to_io)?;
            if self.buffer.is_empty() {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the object store answered an empty range",
                ));
            }
            self.position += self.buffer.len() as u64;
        }
        let n = out.len().min(self.buffer.len());
        out[..n].copy_from_slice(&self.buffer.split_to(n));
        Ok(n)
    }
}

/// One file being sealed into a bucket.
pub struct S3Upload {
    /// The blob's id.
    pub blob_id: String,
    sender: Option<mpsc::Sender<Bytes>>,
    sealer: Option<tokio::task::JoinHandle<io::Result<u64>>>,
    uploader: Option<tokio::task::JoinHandle<io::Result<WriteMultipart>>>,
}

impl S3Upload {
    /// Hands a piece of plaintext to the sealing thread (waits when it is behind: back-pressure).
    pub async fn write(&mut self, chunk: Bytes) -> io::Result<()> {
        let sender = self.sender.as_ref().expect("write after finish");
        if sender.send(chunk).await.is_err() {
            return Err(io::Error::other("the sealing worker stopped"));
        }
        Ok(())
    }

    /// Seals the last chunk, completes the multipart upload and returns the plaintext size. A failure
    /// aborts the upload: no object is left.
    pub async fn finish(mut self) -> io::Result<u64> {
        drop(self.sender.take());
        let sealer = self.sealer.take().expect("finish once");
        let uploader = self.uploader.take().expect("finish once");
        let sealed = sealer.await.map_err(io::Error::other)?;
        let parts = uploader.await.map_err(io::Error::other)?;
        match (sealed, parts) {
            (Ok(size), Ok(parts)) => {
                parts.finish().await.map_err(to_io)?;
                Ok(size)
            }
            (Err(error), Ok(parts)) => {
                let _ = parts.abort().await;
                Err(error)
            }
            (_, Err(error)) => Err(error),
        }
    }
}

impl Drop for S3Upload {
    fn drop(&mut self) {
        // Dropped before `finish` (a failed request): the upload is aborted, nothing stays.
        if let (Some(sender), Some(uploader)) = (self.sender.take(), self.uploader.take()) {
            drop(sender);
            let sealer = self.sealer.take();
            tokio::spawn(async move {
                if let Some(sealer) = sealer {
                    let _ = sealer.await;
                }
                if let Ok(Ok(parts)) = uploader.await {
                    let _ = parts.abort().await;
                }
            });
        }
    }
}
