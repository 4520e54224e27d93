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
//! synced run of sealed chunks, `c<first chunk>s<segment>`, under the blob's own prefix. Appending from the
//! durable chunk count first removes every piece from there on (a piece completed whose progress the
//! database never recorded), so the pieces read back are contiguous; reading checks that they are.
//!
//! A bucket has no locks: the one writer of a resumable blob is the holder of a lease in the database
//! (`zegel-service::uploads`), where the local store takes a file lock. A writer that lost its lease
//! and still completes a piece cannot spoil its successor's: the successor writes in a new segment,
//! the segment is in every piece's name, and reading takes only the pieces of the segments the
//! database recorded.

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
/// The size of one ranged read (streamed as it arrives, so memory does not depend on it).
pub const READ_SIZE: u64 = 32 << 20;

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

impl S3Config {
    /// Reads `s3://bucket/prefix?endpoint=https://…&region=…&path_style=true` (`ZEGEL_BLOBS`) with the
    /// credentials given apart. Without `endpoint` the bucket is AWS's and `region` is required; with one
    /// the region defaults to `us-east-1`, which MinIO and Ceph accept. The error says what is wrong.
    pub fn from_url(
        text: &str,
        access_key_id: String,
        secret_access_key: secrecy::SecretString,
    ) -> Result<Self, String> {
        let url = url::Url::parse(text)
            .ok()
            .filter(|url| url.scheme() == "s3")
            .ok_or_else(|| format!("'{text}' is not like s3://bucket/prefix?region=…"))?;
        let bucket = url.host_str().unwrap_or_default().to_owned();
        let valid_bucket = (3..=63).contains(&bucket.len())
            && bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-');
        if !valid_bucket {
            return Err(format!(
                "'{bucket}' is not a bucket name (3 to 63 lower-case letters, digits, dots and hyphens)"
            ));
        }
        // Read before the URL parser resolves `..`: a prefix is taken as written or refused.
        let written = text.split(['?', '#']).next().unwrap_or_default();
        let prefix = url.path().trim_matches('/').to_owned();
        if written
            .split('/')
            .skip(3)
            .any(|part| part == "." || part == "..")
            || prefix.contains("//")
        {
            return Err(format!("'{prefix}' is not a usable key prefix"));
        }
        let (mut endpoint, mut region, mut path_style) = (None, None, false);
        for (name, value) in url.query_pairs() {
            match &*name {
                "endpoint" => {
                    let parsed = url::Url::parse(&value)
                        .ok()
                        .filter(|e| matches!(e.scheme(), "http" | "https") && e.host().is_some())
                        .ok_or_else(|| format!("endpoint '{value}' is not an http(s) URL"))?;
                    endpoint = Some(parsed.as_str().trim_end_matches('/').to_owned());
                }
                "region" if !value.is_empty() => region = Some(value.into_owned()),
                "path_style" => {
                    path_style = match &*value {
                        "1" | "true" | "yes" => true,
                        "0" | "false" | "no" => false,
                        other => {
                            return Err(format!("path_style '{other}' is neither true nor false"));
                        }
                    }
                }
                other => {
                    return Err(format!(
                        "unknown setting '{other}' (endpoint, region and path_style are known)"
                    ));
                }
            }
        }
        let region = match (region, &endpoint) {
            (Some(region), _) => region,
            (None, Some(_)) => "us-east-1".to_owned(),
            (None, None) => {
                return Err("region is required for AWS (…?region=eu-central-1)".to_owned());
            }
        };
        if access_key_id.is_empty() {
            return Err("the access key id is empty".to_owned());
        }
        Ok(Self {
            bucket,
            prefix,
            endpoint,
            region,
            path_style,
            access_key_id,
            secret_access_key,
        })
    }

    /// The store's place without credentials, as the configuration shows it.
    pub fn describe(&self) -> String {
        format!(
            "s3://{}/{} (endpoint {}, region {}{})",
            self.bucket,
            self.prefix,
            self.endpoint.as_deref().unwrap_or("AWS"),
            self.region,
            if self.path_style { ", path-style" } else { "" }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::S3Config;

    fn parse(text: &str) -> Result<S3Config, String> {
        S3Config::from_url(text, "key".to_owned(), "secret".to_owned().into())
    }

    #[test]
    fn a_bucket_url_is_read_whole_and_bad_ones_say_what_is_wrong() {
        let config =
            parse("s3://zegel-prod/blobs/v1?endpoint=http://127.0.0.1:9000/&path_style=true")
                .unwrap();
        assert_eq!(config.bucket, "zegel-prod");
        assert_eq!(config.prefix, "blobs/v1");
        assert_eq!(config.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
        assert_eq!(config.region, "us-east-1");
        assert!(config.path_style);
        assert!(!format!("{config:?}").contains("secret"));

        let aws = parse("s3://zegel-prod?region=eu-central-1").unwrap();
        assert_eq!((aws.prefix.as_str(), aws.endpoint), ("", None));
        assert_eq!(aws.region, "eu-central-1");
        assert!(!aws.path_style);

        for (bad, says) in [
            ("/var/lib/zegel", "not like s3://"),
            ("s3://Zegel_Prod?region=x", "not a bucket name"),
            ("s3://zegel-prod", "region is required"),
            ("s3://zegel-prod/a/../b?region=x", "not a usable key prefix"),
            ("s3://zegel-prod?endpoint=ftp://x", "not an http(s) URL"),
            (
                "s3://zegel-prod?region=x&path_style=maybe",
                "neither true nor false",
            ),
            (
                "s3://zegel-prod?region=x&acl=public",
                "unknown setting 'acl'",
            ),
        ] {
            let error = parse(bad).unwrap_err();
            assert!(error.contains(says), "{bad}: {error}");
        }
    }
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
            .with_virtual_hosted_style_request(!config.path_style)
            // Every request has deadlines: a part of 8 MiB needs at least 140 kB/s.
            .with_client_options(
                object_store::ClientOptions::new()
                    .with_connect_timeout(std::time::Duration::from_secs(5))
                    .with_timeout(std::time::Duration::from_secs(60)),
            );
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

    /// An object of the resumable blob `blob_id`: `h` (the header) or `c<first chunk>s<segment>` (a piece).
    fn resumable_key(&self, blob_id: &str, name: &str) -> io::Result<Path> {
        Ok(Path::from(format!("{}/{name}", self.key(blob_id)?)))
    }

    /// The pieces of the resumable blob `blob_id`, by first chunk.
    async fn pieces(&self, blob_id: &str) -> io::Result<Vec<StoredPiece>> {
        use futures_util::TryStreamExt;
        let prefix = self.key(blob_id)?;
        let listed: Vec<object_store::ObjectMeta> = self
            .store
            .list(Some(&prefix))
            .try_collect()
            .await
            .map_err(to_io)?;
        let mut pieces: Vec<StoredPiece> = listed
            .into_iter()
            .filter_map(|meta| {
                let (first, segment) = meta
                    .location
                    .filename()?
                    .strip_prefix('c')?
                    .split_once('s')?;
                Some(StoredPiece {
                    first: first.parse().ok()?,
                    segment: segment.parse().ok()?,
                    location: meta.location,
                    size: meta.size,
                })
            })
            .collect();
        pieces.sort_by_key(|piece| (piece.first, piece.segment));
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
        let (sealed_tx, mut sealed_rx) = mpsc::channel::<PutPayload>(1);
        // Sealing in a blocking thread, into pieces of a part each.
        let sealer = tokio::task::spawn_blocking(move || -> io::Result<u64> {
            let sink = PieceSink {
                parts: Parts::default(),
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
        // Uploading the pieces as parts, at most two in flight; a piece is taken from the sealer only
        // when a part may start, so memory stays at the piece being filled, one waiting and two on the
        // wire.
        let store = self.store.clone();
        let uploader = tokio::spawn(async move {
            let mut upload = store.put_multipart(&location).await.map_err(to_io)?;
            let mut in_flight: futures_util::stream::FuturesOrdered<object_store::UploadPart> =
                futures_util::stream::FuturesOrdered::new();
            let result: io::Result<()> = async {
                loop {
                    while in_flight.len() >= PARTS_IN_FLIGHT {
                        if let Some(done) = futures_util::StreamExt::next(&mut in_flight).await {
                            done.map_err(to_io)?;
                        }
                    }
                    let Some(piece) = sealed_rx.recv().await else {
                        break;
                    };
                    in_flight.push_back(upload.put_part(piece));
                }
                while let Some(done) = futures_util::StreamExt::next(&mut in_flight).await {
                    done.map_err(to_io)?;
                }
                Ok(())
            }
            .await;
            match result {
                Ok(()) => Ok(upload),
                Err(error) => {
                    let _ = upload.abort().await;
                    Err(error)
                }
            }
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
                for piece in pieces {
                    let _ = self.store.delete(&piece.location).await;
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
        // Pieces from `from_chunk` on were never recorded: they go. Before it, a chain of pieces must
        // reach it (which of two pieces of one first chunk counts is the reader's business, by segment).
        let mut ends = std::collections::HashMap::new();
        for piece in self.pieces(blob_id).await? {
            if piece.first >= from_chunk {
                self.store.delete(&piece.location).await.map_err(to_io)?;
            } else {
                let end = piece.first + piece.size / SEALED_CHUNK;
                let longest = ends.entry(piece.first).or_insert(end);
                *longest = end.max(*longest);
            }
        }
        let mut durable = 0;
        while durable < from_chunk {
            match ends.get(&durable) {
                Some(&end) if end > durable => durable = end,
                _ => break,
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
            segment,
            buffer: Parts::default(),
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
            {
                let segments = segments.clone();
                move || {
                    let objects = runtime.block_on(this.objects(&blob_id, &segments))?;
                    Ok(Chain::of(objects, &this.store, &runtime))
                }
            },
            keys,
            ctx,
            segments,
        )
    }

    /// The objects a blob's bytes are in, in order, with their sizes: one object, or (a resumable
    /// upload) its header and contiguous pieces, each of the segment `segments` say its chunks are in
    /// (a piece of another segment is a writer's that lost its lease: never read).
    async fn objects(&self, blob_id: &str, segments: &[Segment]) -> io::Result<Vec<(Path, u64)>> {
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
        for piece in self.pieces(blob_id).await? {
            let recorded = segments
                .iter()
                .rfind(|segment| segment.first_chunk <= piece.first)
                .is_some_and(|segment| segment.number == piece.segment);
            if !recorded {
                continue;
            }
            if piece.first != next || finished {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "the pieces of the blob are not contiguous",
                ));
            }
            next = piece.first + piece.size.div_ceil(SEALED_CHUNK);
            finished = piece.size % SEALED_CHUNK != 0;
            objects.push((piece.location, piece.size));
        }
        Ok(objects)
    }

    /// Reads a blob's header (for key rotation) with one ranged read: of its object, or of a resumable
    /// blob's header object.
    pub async fn read_header(&self, blob_id: &str) -> io::Result<[u8; HEADER_LEN]> {
        let bytes = match self
            .store
            .get_range(&self.key(blob_id)?, 0..HEADER_LEN as u64)
            .await
        {
            Ok(bytes) => bytes,
            Err(object_store::Error::NotFound { .. }) => self
                .store
                .get_range(&self.resumable_key(blob_id, "h")?, 0..HEADER_LEN as u64)
                .await
                .map_err(to_io)?,
            Err(error) => return Err(to_io(error)),
        };
        bytes
            .as_ref()
            .try_into()
            .map_err(|_| io::Error::new(io::ErrorKind::UnexpectedEof, "the blob has no header"))
    }

    /// Replaces a blob's header (key rotation re-wraps the data key). A resumable blob's header is an
    /// object of its own, replaced in one PUT. Other objects cannot be changed in place: the object is
    /// written again, streamed in ranges with the new header, and replaces the old one when complete.
    pub async fn rewrite_header(&self, blob_id: &str, header: &[u8; HEADER_LEN]) -> io::Result<()> {
        Header::parse(header)?;
        let location = self.key(blob_id)?;
        let size = match self.store.head(&location).await {
            Ok(meta) => meta.size,
            Err(object_store::Error::NotFound { .. }) => {
                let header_object = self.resumable_key(blob_id, "h")?;
                self.store.head(&header_object).await.map_err(to_io)?;
                self.store
                    .put(&header_object, PutPayload::from(header.to_vec()))
                    .await
                    .map_err(to_io)?;
                return Ok(());
            }
            Err(error) => return Err(to_io(error)),
        };
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

/// Sealed bytes waiting to go up, kept as the pieces they were written in (no part-sized buffer is
/// ever allocated: large buffers freed and allocated again would stay in the allocator's arenas).
#[derive(Default)]
struct Parts {
    pieces: std::collections::VecDeque<Bytes>,
    len: usize,
}

impl Parts {
    fn push(&mut self, bytes: Bytes) {
        self.len += bytes.len();
        self.pieces.push_back(bytes);
    }

    /// The next `size` bytes as one part, when that many are waiting (a piece is split where the
    /// part ends, without copying).
    fn take(&mut self, size: usize) -> Option<PutPayload> {
        if self.len < size {
            return None;
        }
        let mut part = Vec::new();
        let mut left = size;
        while left > 0 {
            let mut piece = self.pieces.pop_front().expect("enough bytes are waiting");
            if piece.len() > left {
                self.pieces.push_front(piece.split_off(left));
            }
            left -= piece.len();
            part.push(piece);
        }
        self.len -= size;
        Some(part.into_iter().collect())
    }

    /// Everything waiting, as one payload.
    fn take_all(&mut self) -> PutPayload {
        self.len = 0;
        std::mem::take(&mut self.pieces).into_iter().collect()
    }
}

/// A piece object of a resumable blob: `c<first chunk>s<segment>`.
struct StoredPiece {
    first: u64,
    segment: u64,
    location: Path,
    size: u64,
}

/// Collects sealed bytes into parts and hands each to the uploader.
struct PieceSink {
    parts: Parts,
    sender: mpsc::Sender<PutPayload>,
}

impl PieceSink {
    fn send(&self, part: PutPayload) -> io::Result<()> {
        self.sender
            .blocking_send(part)
            .map_err(|_| io::Error::other("the upload to the object store stopped"))
    }

    /// Hands over the last part (what is left).
    fn flush_piece(&mut self) -> io::Result<()> {
        if self.parts.len == 0 {
            return Ok(());
        }
        let last = self.parts.take_all();
        self.send(last)
    }
}

impl io::Write for PieceSink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.parts.push(Bytes::copy_from_slice(buf));
        while let Some(part) = self.parts.take(PART_SIZE) {
            self.send(part)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Bytes of a sealed chunk that is not the last one.
const SEALED_CHUNK: u64 = (CHUNK_SIZE + TAG_LEN) as u64;

/// Objects read one after another in ranged GETs of up to [`READ_SIZE`], each streamed as it arrives,
/// as the decryptor's `Read`, on a blocking thread.
struct Chain {
    store: Arc<dyn ObjectStore>,
    runtime: tokio::runtime::Handle,
    objects: std::collections::VecDeque<(Path, u64)>,
    /// Where in the front object the next range starts.
    position: u64,
    /// The range being read, and the bytes of it still to come.
    range: Option<(
        futures_util::stream::BoxStream<'static, object_store::Result<Bytes>>,
        u64,
    )>,
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
            range: None,
            buffer: Bytes::new(),
        }
    }

    /// The next bytes of the blob; empty at its end.
    fn next_bytes(&mut self) -> io::Result<Bytes> {
        loop {
            if let Some((stream, left)) = &mut self.range {
                match self.runtime.block_on(futures_util::StreamExt::next(stream)) {
                    Some(bytes) => {
                        let bytes = bytes.map_err(to_io)?;
                        *left = left.checked_sub(bytes.len() as u64).ok_or_else(|| {
                            io::Error::new(
                                io::ErrorKind::InvalidData,
                                "the object store answered more than the range",
                            )
                        })?;
                        return Ok(bytes);
                    }
                    None if *left == 0 => self.range = None,
                    None => {
                        return Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "the object store answered a short range",
                        ));
                    }
                }
            }
            let Some((location, size)) = self.objects.front().cloned() else {
                return Ok(Bytes::new());
            };
            if self.position >= size {
                self.objects.pop_front();
                self.position = 0;
                continue;
            }
            let end = (self.position + READ_SIZE).min(size);
            let options = object_store::GetOptions {
                range: Some((self.position..end).into()),
                ..Default::default()
            };
            let answer = self
                .runtime
                .block_on(self.store.get_opts(&location, options))
                .map_err(to_io)?;
            self.range = Some((answer.into_stream(), end - self.position));
            self.position = end;
        }
    }
}

impl Read for Chain {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.buffer.is_empty() {
            self.buffer = self.next_bytes()?;
            if self.buffer.is_empty() {
                return Ok(0);
            }
        }
        let n = out.len().min(self.buffer.len());
        out[..n].copy_from_slice(&self.buffer.split_to(n));
        Ok(n)
    }
}

/// A piece of a resumable blob up to this size is written with one PUT; a larger one (a caller that
/// syncs seldom) streams as a multipart upload of [`PART_SIZE`] parts. The upload path syncs every
/// 8 MiB of plaintext, so its pieces (8 MiB and their tags) take one request each.
const ONE_PUT_PIECE: usize = PART_SIZE + PART_SIZE / 8;

/// Seals chunks into a resumable blob in a bucket (see [`S3Blobs::append`]): each run of chunks up to a
/// [`S3Appender::sync`] becomes one piece object, there once it is written whole.
pub struct S3Appender {
    store: Arc<dyn ObjectStore>,
    base: Path,
    sealer: ChunkSealer,
    /// The segment the chunks are sealed in, part of each piece's name.
    segment: u64,
    /// Sealed bytes of the current piece not yet handed to the store.
    buffer: Parts,
    piece: Option<Piece>,
}

/// The piece being written: its object and, once it outgrew one PUT, its multipart upload with the
/// parts on the wire.
struct Piece {
    location: Path,
    multipart: Option<(
        Box<dyn object_store::MultipartUpload>,
        futures_util::stream::FuturesOrdered<object_store::UploadPart>,
    )>,
}

impl S3Appender {
    /// Seals one plaintext chunk (exactly `CHUNK_SIZE` bytes unless `last`) into the current piece.
    pub async fn seal(&mut self, mut chunk: Vec<u8>, last: bool) -> io::Result<()> {
        if self.piece.is_none() {
            self.piece = Some(Piece {
                location: Path::from(format!(
                    "{}/c{:016}s{}",
                    self.base,
                    self.sealer.next_chunk(),
                    self.segment
                )),
                multipart: None,
            });
        }
        self.sealer
            .seal_chunk(&mut chunk, last)
            .map_err(io::Error::from)?;
        self.buffer.push(Bytes::from(chunk));
        let piece = self.piece.as_mut().expect("a piece was started");
        if piece.multipart.is_none() && self.buffer.len > ONE_PUT_PIECE {
            let upload = self
                .store
                .put_multipart(&piece.location)
                .await
                .map_err(to_io)?;
            piece.multipart = Some((upload, futures_util::stream::FuturesOrdered::new()));
        }
        if let Some((upload, in_flight)) = &mut piece.multipart {
            while self.buffer.len >= PART_SIZE {
                while in_flight.len() >= PARTS_IN_FLIGHT {
                    if let Some(done) = futures_util::StreamExt::next(in_flight).await {
                        done.map_err(to_io)?;
                    }
                }
                let part = self.buffer.take(PART_SIZE).expect("a part is waiting");
                in_flight.push_back(upload.put_part(part));
            }
        }
        Ok(())
    }

    /// Writes the current piece whole; returns how many chunks the blob holds (all of them stored).
    pub async fn sync(&mut self) -> io::Result<u64> {
        if let Some(piece) = self.piece.take() {
            let last = self.buffer.len > 0;
            let bytes = self.buffer.take_all();
            match piece.multipart {
                None => {
                    self.store
                        .put(&piece.location, bytes)
                        .await
                        .map_err(to_io)?;
                }
                Some((mut upload, mut in_flight)) => {
                    if last {
                        in_flight.push_back(upload.put_part(bytes));
                    }
                    let mut written = Ok(());
                    while let Some(done) = futures_util::StreamExt::next(&mut in_flight).await {
                        written = written.and(done);
                    }
                    if let Err(error) = written.and(upload.complete().await.map(|_| ())) {
                        let _ = upload.abort().await;
                        return Err(to_io(error));
                    }
                }
            }
        }
        // After the last chunk the sealer's counter stays on it; count it as written.
        Ok(self.sealer.next_chunk() + u64::from(self.sealer.is_finished()))
    }

    /// Ends the appender; a piece not synced is dropped (its chunks were never durable).
    pub async fn close(mut self) -> io::Result<()> {
        if let Some(Piece {
            multipart: Some((mut upload, _)),
            ..
        }) = self.piece.take()
        {
            upload.abort().await.map_err(to_io)?;
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
    uploader: Option<tokio::task::JoinHandle<io::Result<Box<dyn object_store::MultipartUpload>>>>,
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
            (Ok(size), Ok(mut upload)) => {
                if let Err(error) = upload.complete().await {
                    let _ = upload.abort().await;
                    return Err(to_io(error));
                }
                Ok(size)
            }
            (Err(error), Ok(mut upload)) => {
                let _ = upload.abort().await;
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
                if let Ok(Ok(mut upload)) = uploader.await {
                    let _ = upload.abort().await;
                }
            });
        }
    }
}
