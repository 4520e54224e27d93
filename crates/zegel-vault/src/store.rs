//! The blob store the server works with: the machine's disk ([`LocalBlobs`], the embedded default) or
//! S3-compatible object storage ([`S3Blobs`], for several instances), behind one interface, so no
//! caller knows which one it writes to.
//!
//! The two differ in one place callers must respect: a resumable blob's single writer. On disk the
//! store takes it itself (a file lock the kernel drops with a dead process); a bucket has no locks, so
//! the caller holds a lease in the database first ([`Blobs::locks_writers`] says which).

use std::io;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::Stream;
use futures_util::future::Either;
use zegel_crypto::{DataKey, HEADER_LEN, Keyring, Segment};

use crate::blobs::SealedUpload;
use crate::resumable::{BlobAppender, LockedBlob};
use crate::s3::{S3Appender, S3Blobs, S3Upload};
use crate::{Keys, LocalBlobs, SealContext};

/// Where sealed blobs live.
#[derive(Debug, Clone)]
pub enum Blobs {
    /// A directory on this machine.
    Local(LocalBlobs),
    /// A bucket.
    S3(S3Blobs),
}

impl Blobs {
    /// Whether blobs can be written (`/readyz`): a probe is written and removed.
    pub async fn check(&self) -> io::Result<()> {
        match self {
            Self::Local(local) => {
                let local = local.clone();
                tokio::task::spawn_blocking(move || local.check())
                    .await
                    .map_err(io::Error::other)?
            }
            Self::S3(s3) => s3.check().await,
        }
    }

    /// Starts a sealed upload of one file. On disk it waits in `tmp/` for [`Blobs::commit`]; in a bucket
    /// the object exists once the upload finishes.
    pub fn start_upload(&self, keyring: Arc<Keyring>, key: &DataKey, ctx: SealContext) -> Upload {
        match self {
            Self::Local(local) => Upload::Local(local.start_upload(keyring, key, ctx)),
            Self::S3(s3) => Upload::S3(s3.start_upload(keyring, key, ctx)),
        }
    }

    /// Puts finished uploads in place for good (on disk: renamed out of `tmp/` after fsync; a bucket's
    /// objects are in place already).
    pub async fn commit(&self, blob_ids: &[String]) -> io::Result<()> {
        match self {
            // Renames and a directory sync: short enough to run in place (a hop to the blocking pool
            // cost the SMTP gateway a tenth of its rate in `bench gateway`).
            Self::Local(local) => local.commit(blob_ids),
            Self::S3(_) => Ok(()),
        }
    }

    /// Removes blobs, finished or not, one-shot or resumable; missing ones are fine.
    pub async fn delete(&self, blob_ids: &[String]) {
        match self {
            Self::Local(local) => local.delete(blob_ids),
            Self::S3(s3) => s3.delete(blob_ids).await,
        }
    }

    /// [`Blobs::delete`] from where nothing can wait (a `Drop`): at once on disk, in a task for a bucket.
    pub fn delete_soon(&self, blob_ids: Vec<String>) {
        match self {
            Self::Local(local) => local.delete(&blob_ids),
            Self::S3(s3) => {
                let s3 = s3.clone();
                tokio::spawn(async move { s3.delete(&blob_ids).await });
            }
        }
    }

    /// Streams a blob's plaintext; the stream ends with an error if the blob is missing, truncated or
    /// tampered with.
    pub fn open_plaintext(
        &self,
        blob_id: &str,
        keys: Arc<Keys>,
        ctx: SealContext,
    ) -> impl Stream<Item = io::Result<Bytes>> + Send + 'static {
        self.open_segmented(blob_id, keys, ctx, vec![Segment::FIRST])
    }

    /// [`Blobs::open_plaintext`] for a blob written in `segments` (a resumed upload; see `zegel-crypto`'s
    /// FORMAT.md, "Segments").
    pub fn open_segmented(
        &self,
        blob_id: &str,
        keys: Arc<Keys>,
        ctx: SealContext,
        segments: Vec<Segment>,
    ) -> impl Stream<Item = io::Result<Bytes>> + Send + 'static {
        match self {
            Self::Local(local) => Either::Left(local.open_segmented(blob_id, keys, ctx, segments)),
            Self::S3(s3) => Either::Right(s3.open_segmented(blob_id, keys, ctx, segments)),
        }
    }

    /// Reads a blob's header (key rotation), one-shot or resumable.
    pub async fn read_header(&self, blob_id: &str) -> io::Result<[u8; HEADER_LEN]> {
        match self {
            Self::Local(local) => {
                let (local, blob_id) = (local.clone(), blob_id.to_owned());
                tokio::task::spawn_blocking(move || local.read_header(&blob_id))
                    .await
                    .map_err(io::Error::other)?
            }
            Self::S3(s3) => s3.read_header(blob_id).await,
        }
    }

    /// Replaces a blob's header (key rotation re-wraps the data key; the chunks stay valid).
    pub async fn rewrite_header(&self, blob_id: &str, header: &[u8; HEADER_LEN]) -> io::Result<()> {
        match self {
            Self::Local(local) => {
                let (local, blob_id, header) = (local.clone(), blob_id.to_owned(), *header);
                tokio::task::spawn_blocking(move || local.rewrite_header(&blob_id, &header))
                    .await
                    .map_err(io::Error::other)?
            }
            Self::S3(s3) => s3.rewrite_header(blob_id, header).await,
        }
    }

    /// Creates an empty resumable blob (its header, with a fresh data key) and returns its id.
    pub async fn create_resumable(&self, keyring: Arc<Keyring>) -> io::Result<String> {
        match self {
            Self::Local(local) => {
                let local = local.clone();
                tokio::task::spawn_blocking(move || local.create_resumable(&keyring))
                    .await
                    .map_err(io::Error::other)?
            }
            Self::S3(s3) => s3.create_resumable(&keyring).await,
        }
    }

    /// Whether [`Blobs::lock_resumable`] keeps a resumable blob to one writer by itself. When it does not
    /// (a bucket), the caller must hold the writer's lease in the database before it locks.
    pub fn locks_writers(&self) -> bool {
        matches!(self, Self::Local(_))
    }

    /// The resumable blob `blob_id`, to append to: on disk under its file lock (`None` while another
    /// request of any process holds it); in a bucket at once, under the caller's lease.
    pub async fn lock_resumable(&self, blob_id: &str) -> io::Result<Option<ResumableBlob>> {
        match self {
            Self::Local(local) => {
                let (local, blob_id) = (local.clone(), blob_id.to_owned());
                Ok(
                    tokio::task::spawn_blocking(move || local.lock_resumable(&blob_id))
                        .await
                        .map_err(io::Error::other)??
                        .map(ResumableBlob::Local),
                )
            }
            Self::S3(s3) => Ok(Some(ResumableBlob::S3 {
                store: s3.clone(),
                blob_id: blob_id.to_owned(),
            })),
        }
    }
}

/// One file being sealed into the store.
pub enum Upload {
    /// Into `tmp/` on disk.
    Local(SealedUpload),
    /// Into its object in a bucket.
    S3(S3Upload),
}

impl Upload {
    /// The blob's id.
    pub fn blob_id(&self) -> &str {
        match self {
            Self::Local(upload) => &upload.blob_id,
            Self::S3(upload) => &upload.blob_id,
        }
    }

    /// Hands a piece of plaintext to the sealing thread (waits when it is behind: back-pressure).
    pub async fn write(&mut self, chunk: Bytes) -> io::Result<()> {
        match self {
            Self::Local(upload) => upload.write(chunk).await,
            Self::S3(upload) => upload.write(chunk).await,
        }
    }

    /// Seals the last chunk, makes the blob durable and returns the plaintext size.
    pub async fn finish(self) -> io::Result<u64> {
        match self {
            Self::Local(upload) => upload.finish().await,
            Self::S3(upload) => upload.finish().await,
        }
    }
}

/// A resumable blob one request appends to (see [`Blobs::lock_resumable`]).
#[derive(Debug)]
pub enum ResumableBlob {
    /// On disk, with its file lock.
    Local(LockedBlob),
    /// In a bucket (the lease is the caller's).
    S3 {
        /// The bucket.
        store: S3Blobs,
        /// The blob.
        blob_id: String,
    },
}

impl ResumableBlob {
    /// Cuts the blob back to its first `from_chunk` sealed chunks (the durable ones) and starts sealing
    /// from there under the key of segment number `segment`. The caller must have made sure, in the
    /// database, that no chunk from there on was ever sealed under that number.
    pub async fn append(
        self,
        keys: Arc<Keys>,
        ctx: SealContext,
        segment: u64,
        from_chunk: u64,
    ) -> io::Result<Appender> {
        match self {
            Self::Local(locked) => tokio::task::spawn_blocking(move || {
                locked
                    .append(&keys, ctx, segment, from_chunk)
                    .map(Appender::Local)
            })
            .await
            .map_err(io::Error::other)?,
            Self::S3 { store, blob_id } => store
                .append(&blob_id, &keys, ctx, segment, from_chunk)
                .await
                .map(|appender| Appender::S3(Box::new(appender))),
        }
    }
}

/// Seals chunks into a resumable blob.
pub enum Appender {
    /// On disk.
    Local(BlobAppender),
    /// In a bucket (boxed: it carries the sealer's key schedule).
    S3(Box<S3Appender>),
}

impl Appender {
    /// Seals one plaintext chunk: exactly `CHUNK_SIZE` bytes unless `last`.
    pub async fn seal(&mut self, chunk: Vec<u8>, last: bool) -> io::Result<()> {
        match self {
            Self::Local(appender) => appender.seal(chunk, last).await,
            Self::S3(appender) => appender.seal(chunk, last).await,
        }
    }

    /// Makes everything sealed so far durable; returns how many chunks the blob holds.
    pub async fn sync(&mut self) -> io::Result<u64> {
        match self {
            Self::Local(appender) => appender.sync().await,
            Self::S3(appender) => appender.sync().await,
        }
    }

    /// Ends the appender (what was not synced is not durable).
    pub async fn close(self) -> io::Result<()> {
        match self {
            Self::Local(appender) => appender.close().await,
            Self::S3(appender) => appender.close().await,
        }
    }
}
