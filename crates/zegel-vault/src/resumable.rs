//! Blobs written over many requests: the sealed file of a resumable (tus) upload.
//!
//! The blob is created with its header at its final place and grows by whole sealed chunks, one
//! request at a time. Which chunks are durable, and under which segment key the next ones are sealed,
//! is the database's business (`zegel-service::uploads`, FORMAT.md "Segments"); this module only
//! writes: [`LocalBlobs::create_resumable`] writes the header, [`LocalBlobs::lock_resumable`] takes the
//! one writer's lock (an exclusive `flock`, released by the kernel when the process dies, so a
//! `kill -9` never leaves an upload locked), and [`LockedBlob::append`] cuts the file back to the
//! durable chunks and seals from there in a blocking thread, fed chunk by chunk through a channel, so
//! memory stays at a few chunks whatever the size.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};

use tokio::sync::{mpsc, oneshot};
use zegel_crypto::{CHUNK_SIZE, ChunkSealer, DataKey, HEADER_LEN, Header, Keyring, TAG_LEN};

use crate::{Keys, LocalBlobs, SealContext};

/// Bytes of a sealed chunk that is not the last one.
pub const SEALED_CHUNK: u64 = (CHUNK_SIZE + TAG_LEN) as u64;

impl LocalBlobs {
    /// Creates an empty resumable blob (the header with a fresh data key wrapped by the newest KEK) at
    /// its final place, synced, and returns its id.
    pub fn create_resumable(&self, keyring: &Keyring) -> io::Result<String> {
        let blob_id = zegel_crypto::random_id();
        let path = self.path(&blob_id)?;
        let dir = path.parent().expect("blob paths have a parent");
        crate::private_fs::create_dir_all(dir)?;
        let key = DataKey::generate();
        let header = Header::new(keyring.wrap(&key));
        let mut file = crate::private_fs::create_file(&path)?;
        file.write_all(&header.to_bytes())?;
        file.sync_all()?;
        File::open(dir)?.sync_all()?;
        Ok(blob_id)
    }

    /// Takes the one writer's lock on a resumable blob; `None` while another request (of this process or
    /// another one) holds it.
    pub fn lock_resumable(&self, blob_id: &str) -> io::Result<Option<LockedBlob>> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(self.path(blob_id)?)?;
        match file.try_lock() {
            Ok(()) => Ok(Some(LockedBlob { file })),
            Err(TryLockError::WouldBlock) => Ok(None),
            Err(TryLockError::Error(error)) => Err(error),
        }
    }
}

/// A resumable blob this request alone writes (the lock goes with the value).
#[derive(Debug)]
pub struct LockedBlob {
    file: File,
}

impl LockedBlob {
    /// Cuts the blob back to its first `from_chunk` sealed chunks (the durable ones) and starts sealing
    /// from there under the key of segment number `segment`, in a blocking thread. The caller must have
    /// made sure, in the database, that no chunk from there on was ever sealed under that number.
    pub fn append(
        mut self,
        keys: &Keys,
        ctx: SealContext,
        segment: u64,
        from_chunk: u64,
    ) -> io::Result<BlobAppender> {
        let mut header = [0u8; HEADER_LEN];
        self.file.seek(SeekFrom::Start(0))?;
        self.file.read_exact(&mut header)?;
        let header = Header::parse(&header)?;
        let key = keys.with_keyring(|keyring| keyring.unwrap(&header.wrapped))?;
        let durable_len = HEADER_LEN as u64 + from_chunk * SEALED_CHUNK;
        if self.file.metadata()?.len() < durable_len {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "the blob is shorter than its durable offset",
            ));
        }
        self.file.set_len(durable_len)?;
        self.file.seek(SeekFrom::Start(durable_len))?;
        let sealer = ChunkSealer::for_segment(&header, &key, ctx.as_ctx(), segment, from_chunk);
        let (sender, receiver) = mpsc::channel::<Command>(16);
        let worker = tokio::task::spawn_blocking(move || run(self.file, sealer, receiver));
        Ok(BlobAppender {
            sender,
            worker: Some(worker),
        })
    }
}

enum Command {
    Seal(Vec<u8>, bool),
    Sync(oneshot::Sender<io::Result<u64>>),
}

/// Start writing back to disk after this many bytes, so the sync that makes a request's chunks durable
/// finds little left to write.
const WRITE_BACK_BYTES: u64 = 2 << 20;

/// The sealing thread: seals chunks in order, writes them, and syncs on request. A second thread syncs
/// in the background every [`WRITE_BACK_BYTES`], so the disk writes while the next bytes arrive rather
/// than all at once at the end of a request; a failure there fails the next requested sync (an error
/// the kernel reported once is never lost). The lock is released when both are done with the file.
fn run(
    file: File,
    mut sealer: ChunkSealer,
    mut receiver: mpsc::Receiver<Command>,
) -> io::Result<()> {
    let background = file.try_clone()?;
    let failed = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (nudge, nudged) = std::sync::mpsc::sync_channel::<()>(1);
    let flusher = {
        let failed = failed.clone();
        std::thread::Builder::new()
            .name("zegel-writeback".to_owned())
            .spawn(move || {
                while nudged.recv().is_ok() {
                    if background.sync_data().is_err() {
                        failed.store(true, std::sync::atomic::Ordering::SeqCst);
                    }
                }
            })?
    };
    let result = seal_and_write(file, &mut sealer, &mut receiver, &nudge, &failed);
    drop(nudge);
    let _ = flusher.join();
    result
}

fn seal_and_write(
    file: File,
    sealer: &mut ChunkSealer,
    receiver: &mut mpsc::Receiver<Command>,
    nudge: &std::sync::mpsc::SyncSender<()>,
    failed: &std::sync::atomic::AtomicBool,
) -> io::Result<()> {
    let mut writer = BufWriter::with_capacity(1 << 20, file);
    let mut unsynced = 0u64;
    while let Some(command) = receiver.blocking_recv() {
        match command {
            Command::Seal(mut chunk, last) => {
                sealer
                    .seal_chunk(&mut chunk, last)
                    .map_err(io::Error::from)?;
                writer.write_all(&chunk)?;
                unsynced += chunk.len() as u64;
                if unsynced >= WRITE_BACK_BYTES {
                    writer.flush()?;
                    // A sync already waiting covers these bytes too.
                    let _ = nudge.try_send(());
                    unsynced = 0;
                }
            }
            Command::Sync(reply) => {
                let result = writer
                    .flush()
                    .and_then(|()| writer.get_ref().sync_data())
                    .and_then(|()| {
                        if failed.load(std::sync::atomic::Ordering::SeqCst) {
                            Err(io::Error::other("a background sync of the blob failed"))
                        } else {
                            Ok(())
                        }
                    })
                    // After the last chunk the sealer's counter stays on it; count it as written.
                    .map(|()| sealer.next_chunk() + u64::from(sealer.is_finished()));
                let failed = result.is_err();
                let _ = reply.send(result);
                if failed {
                    return Err(io::Error::other("syncing the blob failed"));
                }
            }
        }
    }
    writer.flush()
}

/// Seals chunks into a locked resumable blob (see [`LockedBlob::append`]).
pub struct BlobAppender {
    sender: mpsc::Sender<Command>,
    worker: Option<tokio::task::JoinHandle<io::Result<()>>>,
}

impl BlobAppender {
    /// Hands one plaintext chunk to the sealing thread: exactly [`CHUNK_SIZE`] bytes unless `last`.
    /// Waits when the thread is behind (back-pressure).
    pub async fn seal(&mut self, chunk: Vec<u8>, last: bool) -> io::Result<()> {
        self.sender
            .send(Command::Seal(chunk, last))
            .await
            .map_err(|_| io::Error::other("the sealing thread stopped"))
    }

    /// Writes and syncs everything sealed so far; returns how many chunks the blob holds (all of them
    /// on disk for good).
    pub async fn sync(&mut self) -> io::Result<u64> {
        let (reply, answer) = oneshot::channel();
        if self.sender.send(Command::Sync(reply)).await.is_err() {
            return Err(self.stopped().await);
        }
        match answer.await {
            Ok(result) => result,
            Err(_) => Err(self.stopped().await),
        }
    }

    /// Ends the thread (releasing the lock once it has written what it holds).
    pub async fn close(mut self) -> io::Result<()> {
        drop(self.sender);
        match self.worker.take() {
            Some(worker) => worker.await.map_err(io::Error::other)?,
            // A failed sync already waited for the thread and reported its error.
            None => Err(io::Error::other("the sealing thread stopped")),
        }
    }

    async fn stopped(&mut self) -> io::Error {
        match self.worker.take() {
            Some(worker) => match worker.await {
                Ok(Err(error)) => error,
                Ok(Ok(())) => io::Error::other("the sealing thread stopped"),
                Err(error) => io::Error::other(error),
            },
            None => io::Error::other("the sealing thread stopped"),
        }
    }
}
