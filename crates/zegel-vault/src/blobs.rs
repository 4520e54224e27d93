//! The blob store: sealed file contents on local disk (S3-compatible storage comes later behind the
//! same interface).
//!
//! Uploads are encrypted on the fly in a blocking thread, so HTTP parsing and encryption+disk writes
//! run on two cores at once, and memory stays at a few chunks whatever the file size. A blob is written
//! to `tmp/` and only renamed into place, after `fsync`, when it is complete; anything left in `tmp/`
//! after a crash is swept at start-up.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use futures_util::Stream;
use tokio::sync::mpsc;
use zegel_crypto::{
    Context, CryptoError, DataKey, Decryptor, Encryptor, HEADER_LEN, Keyring, Segment,
};

use crate::Keys;

/// Ids that bind a ciphertext to its place (tenant, message, file), owned so they can cross threads.
#[derive(Debug, Clone)]
pub struct SealContext {
    /// Tenant id.
    pub tenant: String,
    /// Message id.
    pub message: String,
    /// File id or field name.
    pub file: String,
}

impl SealContext {
    /// Borrows it in the crypto crate's form.
    pub fn as_ctx(&self) -> Context<'_> {
        Context {
            tenant: &self.tenant,
            message: &self.message,
            file: &self.file,
        }
    }
}

/// Sealed blobs in a directory.
#[derive(Debug, Clone)]
pub struct LocalBlobs {
    root: PathBuf,
}

impl LocalBlobs {
    /// Whether blobs can be written: a probe file is created, synced and removed in `tmp/` (`/readyz`).
    pub fn check(&self) -> io::Result<()> {
        let probe = self
            .root
            .join("tmp")
            .join(format!("ready-{}", zegel_crypto::random_id()));
        let result = crate::private_fs::create_file(&probe).and_then(|mut file| {
            file.write_all(b"ready")?;
            file.sync_all()
        });
        let removed = fs::remove_file(&probe);
        result.and(removed)
    }

    /// Opens (creating) the store under `root` and removes unfinished uploads left by a crash.
    pub fn open(root: &Path) -> io::Result<Self> {
        crate::private_fs::create_dir_all(&root.join("tmp"))?;
        for entry in fs::read_dir(root.join("tmp"))? {
            let _ = fs::remove_file(entry?.path());
        }
        Ok(Self {
            root: root.to_owned(),
        })
    }

    pub(crate) fn path(&self, blob_id: &str) -> io::Result<PathBuf> {
        // Blob ids are ours (hex), but a path is only ever built from a checked one.
        if blob_id.len() < 8 || !blob_id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "malformed blob id",
            ));
        }
        Ok(self.root.join(&blob_id[..2]).join(blob_id))
    }

    /// Starts a sealed upload of one file.
    pub fn start_upload(
        &self,
        keyring: Arc<Keyring>,
        key: &DataKey,
        ctx: SealContext,
    ) -> SealedUpload {
        let blob_id = zegel_crypto::random_id();
        let tmp = self.root.join("tmp").join(&blob_id);
        let key = DataKey::from_bytes(*key.as_bytes());
        let (sender, mut receiver) = mpsc::channel::<Bytes>(16);
        let worker = tokio::task::spawn_blocking(move || -> io::Result<u64> {
            let result = (|| {
                let file = crate::private_fs::create_file(&tmp)?;
                let mut encryptor = Encryptor::new(
                    BufWriter::with_capacity(1 << 20, file),
                    &keyring,
                    &key,
                    ctx.as_ctx(),
                )?;
                let mut size = 0u64;
                while let Some(chunk) = receiver.blocking_recv() {
                    size += chunk.len() as u64;
                    encryptor.write_all(&chunk)?;
                }
                let file = encryptor
                    .finish()?
                    .into_inner()
                    .map_err(|e| e.into_error())?;
                file.sync_all()?;
                Ok(size)
            })();
            // The rename into place happens in `commit`, once the whole message is known to be good.
            if result.is_err() {
                let _ = fs::remove_file(&tmp);
            }
            result
        });
        SealedUpload {
            blob_id,
            sender: Some(sender),
            worker,
            root: self.root.clone(),
        }
    }

    /// Moves finished uploads into place (after fsync) so they survive a crash.
    pub fn commit(&self, blob_ids: &[String]) -> io::Result<()> {
        for blob_id in blob_ids {
            let target = self.path(blob_id)?;
            let dir = target.parent().expect("blob paths have a parent");
            crate::private_fs::create_dir_all(dir)?;
            fs::rename(self.root.join("tmp").join(blob_id), &target)?;
            File::open(dir)?.sync_all()?;
        }
        Ok(())
    }

    /// Removes blobs (finished or still in `tmp/`); missing ones are fine.
    pub fn delete(&self, blob_ids: &[String]) {
        for blob_id in blob_ids {
            if let Ok(path) = self.path(blob_id) {
                let _ = fs::remove_file(path);
            }
            let _ = fs::remove_file(self.root.join("tmp").join(blob_id));
        }
    }

    /// Streams the plaintext of a blob written in `segments` (one, [`Segment::FIRST`], unless it is a
    /// resumed upload; see `zegel-crypto`'s FORMAT.md, "Segments"), reloading the keyring once for a KEK
    /// added while the server runs. The stream ends with an error, not cleanly, if the blob is missing,
    /// truncated or tampered with, so an HTTP response built on it is aborted rather than completed.
    pub fn open_segmented(
        &self,
        blob_id: &str,
        keys: Arc<Keys>,
        ctx: SealContext,
        segments: Vec<Segment>,
    ) -> impl Stream<Item = io::Result<Bytes>> + Send + 'static {
        let path = self.path(blob_id);
        plaintext_stream(
            move || {
                let path = path
                    .as_ref()
                    .map_err(|e| io::Error::new(e.kind(), e.to_string()))?;
                Ok(BufReader::with_capacity(256 * 1024, File::open(path)?))
            },
            keys,
            ctx,
            segments,
        )
    }

    /// Reads a blob's header (for key rotation).
    pub fn read_header(&self, blob_id: &str) -> io::Result<[u8; HEADER_LEN]> {
        let mut header = [0u8; HEADER_LEN];
        File::open(self.path(blob_id)?)?.read_exact(&mut header)?;
        Ok(header)
    }

    /// Overwrites a blob's fixed-size header in place (key rotation re-wraps the data key; the chunks
    /// are not bound to the wrapped key, so they stay valid).
    pub fn rewrite_header(&self, blob_id: &str, header: &[u8; HEADER_LEN]) -> io::Result<()> {
        let mut file = OpenOptions::new().write(true).open(self.path(blob_id)?)?;
        file.seek(SeekFrom::Start(0))?;
        file.write_all(header)?;
        file.sync_all()
    }
}

/// Streams the plaintext of the envelope `open` reads, decrypted on a blocking thread in pieces of
/// 256 KiB. `open` runs again once when the keyring is reloaded for a KEK this process did not know
/// yet. The stream ends with an error, not cleanly, if the envelope is missing, truncated or tampered
/// with, so an HTTP response built on it is aborted rather than completed.
pub(crate) fn plaintext_stream<R: Read>(
    open: impl Fn() -> io::Result<R> + Send + 'static,
    keys: Arc<Keys>,
    ctx: SealContext,
    segments: Vec<Segment>,
) -> impl Stream<Item = io::Result<Bytes>> + Send + 'static {
    let (sender, mut receiver) = mpsc::channel::<io::Result<Bytes>>(4);
    tokio::task::spawn_blocking(move || {
        let result = (|| -> io::Result<()> {
            let mut decryptor = keys.with_keyring(|keyring| {
                Decryptor::with_segments(open()?, keyring, ctx.as_ctx(), &segments).map_err(
                    |error| match CryptoError::from_io_error(&error) {
                        Some(CryptoError::UnknownKek(id)) => CryptoError::UnknownKek(*id),
                        _ => CryptoError::Io(error),
                    },
                )
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
                    // The client went away; stop reading.
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

/// One file being sealed into the store.
pub struct SealedUpload {
    /// The blob's id.
    pub blob_id: String,
    sender: Option<mpsc::Sender<Bytes>>,
    worker: tokio::task::JoinHandle<io::Result<u64>>,
    root: PathBuf,
}

impl SealedUpload {
    /// Hands a piece of plaintext to the sealing thread (waits when it is behind: back-pressure).
    pub async fn write(&mut self, chunk: Bytes) -> io::Result<()> {
        let sender = self.sender.as_ref().expect("write after finish");
        if sender.send(chunk).await.is_err() {
            // The worker stopped early: its error is reported by `finish`.
            return Err(io::Error::other("the sealing worker stopped"));
        }
        Ok(())
    }

    /// Seals the last chunk, syncs the file and returns the plaintext size. The blob stays in `tmp/`
    /// until [`LocalBlobs::commit`].
    pub async fn finish(mut self) -> io::Result<u64> {
        drop(self.sender.take());
        let worker = std::mem::replace(&mut self.worker, tokio::task::spawn_blocking(|| Ok(0)));
        worker.await.map_err(io::Error::other)?
    }
}

impl Drop for SealedUpload {
    fn drop(&mut self) {
        // An upload dropped before `finish` (a failed request) must not leave a file behind; the worker
        // sees the closed channel, finishes the partial blob, and we remove it.
        if self.sender.take().is_some() {
            let tmp = self.root.join("tmp").join(&self.blob_id);
            let worker = std::mem::replace(&mut self.worker, tokio::task::spawn_blocking(|| Ok(0)));
            tokio::spawn(async move {
                let _ = worker.await;
                let _ = tokio::fs::remove_file(tmp).await;
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use futures_util::StreamExt;

    use super::*;

    /// A blob sealed under a KEK that another process (`zegel admin rotate-kek`) added after this one
    /// loaded its keyring still streams: the store reloads the keyring once.
    #[tokio::test]
    async fn a_blob_sealed_under_a_kek_added_elsewhere_streams_after_one_reload() {
        let dir = tempfile::TempDir::new().unwrap();
        let keyring_file = dir.path().join("keyring.json");
        let ours = Arc::new(Keys::load_or_create(dir.path(), None, &keyring_file, None).unwrap());
        let theirs = Keys::load_or_create(dir.path(), None, &keyring_file, None).unwrap();
        let new_kek = theirs.add_kek().unwrap();
        assert!(!ours.keyring().ids().contains(&new_kek));

        let blobs = LocalBlobs::open(&dir.path().join("blobs")).unwrap();
        let ctx = SealContext {
            tenant: "t".to_owned(),
            message: "m".to_owned(),
            file: "f".to_owned(),
        };
        let key = DataKey::generate();
        let mut upload = blobs.start_upload(theirs.keyring(), &key, ctx.clone());
        let blob_id = upload.blob_id.clone();
        upload
            .write(Bytes::from_static(b"sealed after rotation"))
            .await
            .unwrap();
        upload.finish().await.unwrap();
        blobs.commit(std::slice::from_ref(&blob_id)).unwrap();

        let mut plain = Vec::new();
        let mut stream =
            std::pin::pin!(blobs.open_segmented(&blob_id, ours.clone(), ctx, vec![Segment::FIRST]));
        while let Some(chunk) = stream.next().await {
            plain.extend_from_slice(&chunk.unwrap());
        }
        assert_eq!(plain, b"sealed after rotation");
        assert!(ours.keyring().ids().contains(&new_kek));
    }
}
