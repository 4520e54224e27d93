//! Sealed blobs in S3-compatible object storage (AWS S3, MinIO, Ceph, Scaleway, Cloudflare R2), through
//! `object_store`: the same envelope as on local disk, in objects under a prefix.
//!
//! Writing streams: the sealing thread hands sealed bytes over in pieces, and `WriteMultipart` uploads
//! them as parts of [`PART_SIZE`] (equal-sized non-final parts, as R2 requires), with at most
//! [`PARTS_IN_FLIGHT`] on the wire, so memory per upload stays a few parts whatever the size. An object
//! is written at its final key and exists only once the multipart upload completes; a failed or
//! dropped upload is aborted. Reading streams too, in ranged GETs of [`READ_SIZE`].
//!
//! A resumable (tus) upload cannot grow one object: it is a header object `h` and one object per
//! synced run of sealed chunks, `c<first chunk>`, under the blob's own prefix. Appending from the
//! durable chunk count first removes every piece from there on (a piece completed whose progress the
//! database never recorded), so the pieces read back are contiguous; reading checks that they are.
//!
//! The server does not use this store yet: the configuration, the single writer across instances (a
//! database lease where the local store takes a file lock) and the wiring come next.

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
    CHUNK_SIZE, ChunkSealer, DataKey, Encryptor, HEADER_LEN, Header, Keyring, Segment, TAG_LEN,
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

    /// An object of the resumable blob `blob_id`: `h` (the header) or `c<first chunk>` (a piece).
    fn resumable_key(&self, blob_id: &str, name: &str) -> io::Result<Path> {
        Ok(Path::from(format!("{}/{name}", self.key(blob_id)?)))
    }

    /// The pieces of the resumable blob `blob_id`, by first chunk: (first chunk, object, size).
    async fn pieces(&self, blob_id: &str) -> io::Result<Vec<(u64, Path, u64)>> {
        use futures_util::TryStreamExt;
        let prefix = self.key(blob_id)?;
        let listed: Vec<object_store::ObjectMeta> = self
            .store
            .list(Some(&prefix))
            .try_collect()
            .await
            .map_err(to_io)?;
        let mut pieces: Vec<(u64, Path, u64)> = listed
            .into_iter()
            .filter_map(|meta| {
                let first = meta.location.filename()?.strip_prefix('c')?.parse().ok()?;
                Some((first, meta.location, meta.size))
            })
            .collect();
        pieces.sort_by_key(|(first, _, _)| *first);
        Ok(pieces)
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

    /// Removes blobs, one-shot or resumable; missing ones are fine.
    pub async fn delete(&self, blob_ids: &[String]) {
        for blob_id in blob_ids {
            if let Ok(key) = self.key(blob_id) {
                let _ = self.store.delete(&key).await;
            }
            if let (Ok(header), Ok(pieces)) =
                (self.resumable_key(blob_id, "h"), self.pieces(blob_id).await)
            {
                for (_, piece, _) in pieces {
                    let _ = self.store.delete(&piece).await;
                }
                let _ = self.store.delete(&header).await;
            }
        }
    }

    /// Creates an empty resumable blob: its header, with a fresh data key wrapped by the newest KEK.
    pub async fn create_resumable(&self, keyring: &Keyring) -> io::Result<String> {
        let blob_id = zegel_crypto::random_id();
        let header = Header::new(keyring.wrap(&DataKey::generate()));
        self.store
            .put(
                &self.resumable_key(&blob_id, "h")?,
                PutPayload::from(header.to_bytes().to_vec()),
            )
            .await
            .map_err(to_io)?;
        Ok(blob_id)
    }

    /// Starts sealing into the resumable blob `blob_id` from its first `from_chunk` chunks (the durable
    /// ones) under the key of segment number `segment`. The caller must have made sure, in the database,
    /// that it is the one writer and that no chunk from there on was ever sealed under that number.
    pub async fn append(
        &self,
        blob_id: &str,
        keys: &Keys,
        ctx: SealContext,
        segment: u64,
        from_chunk: u64,
    ) -> io::Result<S3Appender> {
        let header = self
            .store
            .get(&self.resumable_key(blob_id, "h")?)
            .await
            .map_err(to_io)?
            .bytes()
            .await
            .map_err(to_io)?;
        let header = Header::parse(&header)?;
        let key = keys.with_keyring(|keyring| keyring.unwrap(&header.wrapped))?;
        let mut durable = 0;
        for (first, piece, size) in self.pieces(blob_id).await? {
            if first >= from_chunk {
                self.store.delete(&piece).await.map_err(to_io)?;
            } else if first == durable {
                durable = first + size / SEALED_CHUNK;
            }
        }
        if durable < from_chunk {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "the blob is shorter than its durable offset",
            ));
        }
        Ok(S3Appender {
            store: self.store.clone(),
            base: self.key(blob_id)?,
            sealer: ChunkSealer::for_segment(&header, &key, ctx.as_ctx(), segment, from_chunk),
            piece: None,
        })
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
        let this = self.clone();
        let blob_id = blob_id.to_owned();
        let runtime = tokio::runtime::Handle::current();
        crate::blobs::plaintext_stream(
            move || {
                let objects = runtime.block_on(this.objects(&blob_id))?;
                Ok(Chain::of(objects, &this.store, &runtime))
            },
            keys,
            ctx,
            segments,
        )
    }

    /// The objects a blob's bytes are in, in order, with their sizes: one object, or (a resumable
    /// upload) its header and contiguous pieces.
    async fn objects(&self, blob_id: &str) -> io::Result<Vec<(Path, u64)>> {
        let key = self.key(blob_id)?;
        match self.store.head(&key).await {
            Ok(meta) => return Ok(vec![(key, meta.size)]),
            Err(object_store::Error::NotFound { .. }) => {}
            Err(error) => return Err(to_io(error)),
        }
        let header = self.resumable_key(blob_id, "h")?;
        let header_size = self.store.head(&header).await.map_err(to_io)?.size;
        let mut objects = vec![(header, header_size)];
        let mut next = 0;
        let mut finished = false;
        for (first, piece, size) in self.pieces(blob_id).await? {
            if first != next || finished {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "the pieces of the blob are not contiguous",
                ));
            }
            next = first + size.div_ceil(SEALED_CHUNK);
            finished = size % SEALED_CHUNK != 0;
            objects.push((piece, size));
        }
        Ok(objects)
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

/// Bytes of a sealed chunk that is not the last one.
const SEALED_CHUNK: u64 = (CHUNK_SIZE + TAG_LEN) as u64;

/// Objects read one after another in ranged GETs, as the decryptor's `Read`, on a blocking thread.
struct Chain {
    store: Arc<dyn ObjectStore>,
    runtime: tokio::runtime::Handle,
    objects: std::collections::VecDeque<(Path, u64)>,
    position: u64,
    buffer: Bytes,
}

impl Chain {
    fn of(
        objects: Vec<(Path, u64)>,
        store: &Arc<dyn ObjectStore>,
        runtime: &tokio::runtime::Handle,
    ) -> Self {
        Self {
            store: store.clone(),
            runtime: runtime.clone(),
            objects: objects.into(),
            position: 0,
            buffer: Bytes::new(),
        }
    }
}

impl Read for Chain {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.buffer.is_empty() {
            let Some((location, size)) = self.objects.front().cloned() else {
                return Ok(0);
            };
            if self.position >= size {
                self.objects.pop_front();
                self.position = 0;
                continue;
            }
            let end = (self.position + READ_SIZE).min(size);
            self.buffer = self
                .runtime
                .block_on(self.store.get_range(&location, self.position..end))
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

/// Seals chunks into a resumable blob in a bucket (see [`S3Blobs::append`]): each run of chunks up to a
/// [`S3Appender::sync`] becomes one piece object, there once its multipart upload completes.
pub struct S3Appender {
    store: Arc<dyn ObjectStore>,
    base: Path,
    sealer: ChunkSealer,
    piece: Option<WriteMultipart>,
}

impl S3Appender {
    /// Seals one plaintext chunk (exactly `CHUNK_SIZE` bytes unless `last`) into the current piece.
    pub async fn seal(&mut self, mut chunk: Vec<u8>, last: bool) -> io::Result<()> {
        if self.piece.is_none() {
            let location = Path::from(format!("{}/c{:016}", self.base, self.sealer.next_chunk()));
            let upload = self.store.put_multipart(&location).await.map_err(to_io)?;
            self.piece = Some(WriteMultipart::new_with_chunk_size(upload, PART_SIZE));
        }
        self.sealer
            .seal_chunk(&mut chunk, last)
            .map_err(io::Error::from)?;
        let parts = self.piece.as_mut().expect("a piece was started");
        parts
            .wait_for_capacity(PARTS_IN_FLIGHT)
            .await
            .map_err(to_io)?;
        parts.write(&chunk);
        Ok(())
    }

    /// Completes the current piece; returns how many chunks the blob holds (all of them stored).
    pub async fn sync(&mut self) -> io::Result<u64> {
        if let Some(parts) = self.piece.take() {
            parts.finish().await.map_err(to_io)?;
        }
        // After the last chunk the sealer's counter stays on it; count it as written.
        Ok(self.sealer.next_chunk() + u64::from(self.sealer.is_finished()))
    }

    /// Ends the appender; a piece not synced is aborted (its chunks were never durable).
    pub async fn close(mut self) -> io::Result<()> {
        if let Some(parts) = self.piece.take() {
            parts.abort().await.map_err(to_io)?;
        }
        Ok(())
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
