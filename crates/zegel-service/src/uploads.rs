//! Resumable uploads (the rules behind tus 1.0.0 at `/api/v1/uploads`): a file sealed over many requests,
//! whose progress lives in the database so a restart or another instance continues it, and which a
//! message later takes as one of its files without copying or re-encrypting a byte.
//!
//! - [`create`] checks the owner's quota in one conditional `UPDATE` and writes the blob's header.
//! - [`append`] streams one request body into the blob: whole 64 KiB chunks are sealed as they fill,
//!   made durable (fsync, then the offset in the database) every [`DURABLE_EVERY_CHUNKS`] and when the
//!   body ends or breaks off; a trailing partial chunk is not taken (the answer's offset stays on a chunk
//!   boundary) unless it is the file's last one.
//! - The nonce rule (`zegel-crypto`'s FORMAT.md, "Segments"): the sealed high-water mark is raised in the
//!   database before any chunk past it is sealed; a request that begins below it (only after a crash
//!   between sealing and making durable) starts a new segment, with a key of its own.
//! - The blob is sealed under the context (tenant, `upload:<id>`, `file`), which the file row of the
//!   message records with the segment list ([`FromUpload`]).

use std::time::Duration;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use zegel_crypto::{CHUNK_SIZE, DataKey, Segment};
use zegel_store::uploads::{self as store, NewUpload, Owner, Quota, UploadRow};
use zegel_vault::Appender;
use zegel_vault::blobs::SealContext;
use zegel_vault::sealing::{open_field, seal_field};

use crate::{ServiceError, Services};

/// The most uploads an owner may have open (created, not yet used by a message or deleted).
pub const MAX_OPEN_UPLOADS: i64 = 20;
/// The most bytes (by `Upload-Length`) an owner's open uploads may add up to.
pub const MAX_OPEN_BYTES: i64 = 64 * 1024 * 1024 * 1024;
/// A sender's quota of open uploads.
pub const SENDER_QUOTA: Quota = Quota {
    uploads: MAX_OPEN_UPLOADS,
    bytes: MAX_OPEN_BYTES,
};
/// How long an upload lives unless a message uses it.
pub const UPLOAD_LIFETIME_MS: i64 = 24 * 3_600_000;
/// The sealed high-water mark goes up in steps of this many chunks (8 MiB), one database write each.
pub const MARK_STEP_CHUNKS: u64 = 128;
/// During a long request, chunks are made durable (fsync and offset) after this many (8 MiB).
pub const DURABLE_EVERY_CHUNKS: u64 = 128;
/// How long a request waits for another one writing the same upload to let go.
const LOCK_WAIT: Duration = Duration::from_secs(3);
/// How long an upload's writer lease (for a blob store without locks: a bucket) lasts unless renewed;
/// the holder renews it every third of that. After a crash the upload goes on once it ran out.
pub const WRITER_LEASE_MS: i64 = 15_000;
/// The writer leases' names: this prefix and the upload id.
const WRITER_LEASE_PREFIX: &str = "upload-writer:";
/// The message part of an upload's seal context is this prefix and the upload id.
const CONTEXT_PREFIX: &str = "upload:";
/// The file part of an upload's seal context.
const CONTEXT_FILE: &str = "file";
/// The field an upload's file name is sealed as.
const NAME_FIELD: &str = "name";

const CHUNK: u64 = CHUNK_SIZE as u64;

/// What a client may know about an upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadInfo {
    /// Its id.
    pub id: String,
    /// The plaintext length.
    pub length: u64,
    /// The durable offset (a whole chunk, or the length).
    pub offset: u64,
    /// When it is swept unless used (Unix ms).
    pub expires_at: i64,
    /// Every byte is there.
    pub completed: bool,
}

impl From<&UploadRow> for UploadInfo {
    fn from(row: &UploadRow) -> Self {
        Self {
            id: row.id.clone(),
            length: row.length as u64,
            offset: row.durable_offset as u64,
            expires_at: row.expires_at,
            completed: row.completed,
        }
    }
}

/// The context an upload's blob is sealed under.
pub fn seal_context(tenant_id: &str, upload_id: &str) -> SealContext {
    SealContext {
        tenant: tenant_id.to_owned(),
        message: format!("{CONTEXT_PREFIX}{upload_id}"),
        file: CONTEXT_FILE.to_owned(),
    }
}

fn chunks_of(length: u64) -> u64 {
    length.div_ceil(CHUNK).max(1)
}

/// Who uploads and how much they may: a sender (their quota, the server's largest upload), or an
/// upload request's recipient or portal visitor (the request's or portal's files and bytes).
#[derive(Debug, Clone)]
pub struct Uploader {
    /// The tenant the upload belongs to.
    pub tenant_id: String,
    /// Who owns it.
    pub owner: Owner,
    /// Open uploads and bytes allowed at once.
    pub quota: Quota,
    /// The largest one upload.
    pub max_length: u64,
}

/// Creates an upload of `length` bytes for `uploader`, with the file name and type the client gave.
pub async fn create(
    state: &Services,
    uploader: Uploader,
    length: u64,
    file_name: Option<&str>,
    file_type: Option<&str>,
) -> Result<UploadInfo, ServiceError> {
    let Uploader {
        tenant_id,
        owner,
        quota,
        max_length,
    } = uploader;
    let tenant_id = tenant_id.as_str();
    if length > max_length {
        return Err(ServiceError::TooLarge(format!(
            "uploads are limited to {max_length} bytes"
        )));
    }
    let name = match file_name {
        Some(name) => crate::intake::clean_file_name(Some(name))
            .map_err(|_| ServiceError::bad_request("bad_metadata", "the filename is not usable"))?,
        None => "file".to_owned(),
    };
    let file_type = file_type
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| t.chars().take(255).collect::<String>());
    let id = zegel_crypto::random_id();
    let keyring = state.keys.keyring();
    let blob_id = state.blobs.create_resumable(keyring.clone()).await?;
    let now = state.now_ms();
    let sealed_name = seal_field(
        &keyring,
        &DataKey::generate(),
        tenant_id,
        &format!("{CONTEXT_PREFIX}{id}"),
        NAME_FIELD,
        name.as_bytes(),
    );
    let row = NewUpload {
        id: id.clone(),
        tenant_id: tenant_id.to_owned(),
        owner,
        blob_id: blob_id.clone(),
        length: i64::try_from(length).map_err(ServiceError::internal)?,
        sealed_name: Some(sealed_name),
        file_type,
        created_at: now,
        expires_at: now + UPLOAD_LIFETIME_MS,
    };
    match store::create(&state.db, &row, quota).await {
        Ok(true) => {}
        Ok(false) => {
            state.blobs.delete(std::slice::from_ref(&blob_id)).await;
            return Err(ServiceError::RetryLater {
                code: "upload_quota",
                message: format!(
                    "at most {} open uploads of together {} bytes: finish, use or delete one first",
                    quota.uploads, quota.bytes
                ),
                retry_after_secs: 60,
            });
        }
        Err(error) => {
            state.blobs.delete(std::slice::from_ref(&blob_id)).await;
            return Err(error.into());
        }
    }
    if length == 0 {
        // An empty file is complete at once: its one (empty) last chunk is sealed now.
        let body = futures_util::stream::empty::<Result<Bytes, std::io::Error>>();
        return append(state, &row.owner, &id, 0, body).await;
    }
    Ok(UploadInfo {
        id,
        length,
        offset: 0,
        expires_at: row.expires_at,
        completed: false,
    })
}

/// The upload `id` if `owner` owns it and it has not expired; `NotFound` otherwise (also for another
/// owner's upload, so ids reveal nothing).
async fn owned(state: &Services, owner: &Owner, id: &str) -> Result<UploadRow, ServiceError> {
    match store::get(&state.db, id).await? {
        Some(row) if &row.owner == owner && row.expires_at > state.now_ms() => Ok(row),
        _ => Err(ServiceError::NotFound),
    }
}

/// An upload's progress (no side effects).
pub async fn status(state: &Services, owner: &Owner, id: &str) -> Result<UploadInfo, ServiceError> {
    Ok(UploadInfo::from(&owned(state, owner, id).await?))
}

/// Deletes an upload: its rows, its quota share and its blob.
pub async fn delete(state: &Services, owner: &Owner, id: &str) -> Result<(), ServiceError> {
    owned(state, owner, id).await?;
    if let Some(blob_id) = store::delete(&state.db, id).await? {
        state.blobs.delete(&[blob_id]).await;
    }
    Ok(())
}

/// Removes uploads whose expiry passed (unfinished, or finished and never used): rows and blobs.
/// Returns how many.
pub async fn sweep_expired(state: &Services) -> anyhow::Result<usize> {
    let mut swept = 0;
    loop {
        let expired = store::expired(&state.db, state.now_ms(), 100).await?;
        if expired.is_empty() {
            return Ok(swept);
        }
        for row in expired {
            if let Some(blob_id) = store::delete(&state.db, &row.id).await? {
                state.blobs.delete(&[blob_id]).await;
                swept += 1;
            }
        }
        zegel_store::leases::forget_expired(&state.db, WRITER_LEASE_PREFIX, state.now_ms()).await?;
    }
}

/// Appends a request body at `offset` (which must be the durable offset, else `Conflict`) and returns
/// the progress after it. The work runs in a task of its own, so a client that goes away mid-body still
/// gets its whole chunks made durable.
pub async fn append<S, E>(
    state: &Services,
    owner: &Owner,
    id: &str,
    offset: u64,
    body: S,
) -> Result<UploadInfo, ServiceError>
where
    S: Stream<Item = Result<Bytes, E>> + Send + 'static,
    E: std::fmt::Display + Send + 'static,
{
    let row = owned(state, owner, id).await?;
    if offset != row.durable_offset as u64 {
        return Err(offset_conflict(&row));
    }
    let state = state.clone();
    tokio::spawn(async move { append_locked(&state, row, offset, body).await })
        .await
        .map_err(ServiceError::internal)?
}

fn offset_conflict(row: &UploadRow) -> ServiceError {
    ServiceError::Conflict(format!(
        "Upload-Offset does not match: the upload is at {}",
        row.durable_offset
    ))
}

async fn append_locked<S, E>(
    state: &Services,
    row: UploadRow,
    offset: u64,
    body: S,
) -> Result<UploadInfo, ServiceError>
where
    S: Stream<Item = Result<Bytes, E>> + Send + 'static,
    E: std::fmt::Display + Send + 'static,
{
    // One writer per upload: on disk the blob's lock, which the kernel drops with a crashed process;
    // in a bucket a lease in the database, which runs out after a crash.
    let deadline = tokio::time::Instant::now() + LOCK_WAIT;
    let busy = || {
        ServiceError::Conflict(
            "another request is writing this upload; ask for its offset and go on from there"
                .to_owned(),
        )
    };
    let lease = if state.blobs.locks_writers() {
        None
    } else {
        loop {
            match WriterLease::take(state, &row.id).await? {
                Some(lease) => break Some(lease),
                None if tokio::time::Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                None => return Err(busy()),
            }
        }
    };
    let locked = loop {
        match state.blobs.lock_resumable(&row.blob_id).await? {
            Some(locked) => break locked,
            None if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            None => return Err(busy()),
        }
    };
    let result = append_under_lock(state, lease.as_ref(), locked, offset, &row.id, body).await;
    if let Some(lease) = lease {
        lease.release().await;
    }
    result
}

/// [`append_locked`] once this request is the upload's one writer.
async fn append_under_lock<S, E>(
    state: &Services,
    lease: Option<&WriterLease>,
    locked: zegel_vault::ResumableBlob,
    offset: u64,
    id: &str,
    body: S,
) -> Result<UploadInfo, ServiceError>
where
    S: Stream<Item = Result<Bytes, E>> + Send + 'static,
    E: std::fmt::Display + Send + 'static,
{
    // Under the lock, the row is what the last writer left.
    let row = store::get(&state.db, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if offset != row.durable_offset as u64 {
        return Err(offset_conflict(&row));
    }
    if row.completed {
        return Err(ServiceError::Conflict("the upload is complete".to_owned()));
    }
    let length = row.length as u64;
    let total_chunks = chunks_of(length);
    let first = offset / CHUNK;
    let mut segment = row.segment;
    let mut mark = row.sealed_until as u64;
    if mark > first {
        // Chunks from `first` on may have been sealed under this segment before a crash: never again
        // under its key.
        segment = store::start_segment(
            &state.db,
            &row.id,
            row.segment,
            row.durable_offset,
            first as i64,
        )
        .await?
        .ok_or_else(|| offset_conflict(&row))?;
        mark = first;
        tracing::info!(
            upload = %row.id,
            segment,
            first_chunk = first,
            "resuming below the sealed high-water mark: a new segment"
        );
    }
    let ctx = seal_context(&row.tenant_id, &row.id);
    let appender = locked
        .append(state.keys.clone(), ctx, segment as u64, first)
        .await?;
    let mut writer = Writer {
        state,
        lease,
        row: &row,
        appender,
        segment,
        mark,
        next: first,
        durable_chunks: first,
        total_chunks,
        length,
    };
    let outcome = writer.stream(body).await;
    // Whatever happened to the body, the whole chunks sealed so far become durable, and with a clean
    // end the mark comes down to what was sealed.
    let settled = writer.settle().await;
    let Writer { appender, next, .. } = writer;
    let closed = appender.close().await;
    let offset = settled?;
    closed?;
    outcome?;
    Ok(UploadInfo {
        id: row.id.clone(),
        length,
        offset,
        expires_at: row.expires_at,
        completed: next == total_chunks && offset == length,
    })
}

/// One request's sealing state.
struct Writer<'a> {
    state: &'a Services,
    /// The writer's lease, for a store without locks.
    lease: Option<&'a WriterLease>,
    row: &'a UploadRow,
    appender: Appender,
    segment: i64,
    /// The sealed high-water mark as stored.
    mark: u64,
    /// The next chunk to seal.
    next: u64,
    /// Chunks recorded as durable.
    durable_chunks: u64,
    total_chunks: u64,
    length: u64,
}

impl Writer<'_> {
    /// Seals the body's whole chunks; a partial chunk at the end is dropped unless it is the last one.
    async fn stream<S, E>(&mut self, body: S) -> Result<(), ServiceError>
    where
        S: Stream<Item = Result<Bytes, E>>,
        E: std::fmt::Display,
    {
        let mut body = std::pin::pin!(body);
        let mut buf: Vec<u8> = Vec::with_capacity(CHUNK_SIZE + zegel_crypto::TAG_LEN);
        if self.length == 0 {
            return self.seal(buf).await;
        }
        while let Some(piece) = body.next().await {
            let mut piece = match piece {
                Ok(piece) => piece,
                Err(error) => {
                    tracing::info!(upload = %self.row.id, %error, "the request body broke off");
                    return Ok(());
                }
            };
            while !piece.is_empty() {
                if self.next == self.total_chunks {
                    return Err(ServiceError::bad_request(
                        "past_length",
                        "the body goes past Upload-Length",
                    ));
                }
                let want = self.chunk_len(self.next) - buf.len();
                let take = want.min(piece.len());
                buf.extend_from_slice(&piece.split_to(take));
                if buf.len() == self.chunk_len(self.next) {
                    let full = std::mem::replace(
                        &mut buf,
                        Vec::with_capacity(CHUNK_SIZE + zegel_crypto::TAG_LEN),
                    );
                    self.seal(full).await?;
                    if self.next - self.durable_chunks >= DURABLE_EVERY_CHUNKS {
                        self.make_durable(self.mark).await?;
                    }
                }
            }
        }
        Ok(())
    }

    /// The plaintext length of chunk `index`.
    fn chunk_len(&self, index: u64) -> usize {
        (self.length - index * CHUNK).min(CHUNK) as usize
    }

    /// Fails once this request's writer lease could not be renewed: another request may be writing.
    fn still_writer(&self) -> Result<(), ServiceError> {
        match self.lease {
            Some(lease) if lease.lost() => Err(ServiceError::Conflict(
                "the upload was resumed elsewhere".to_owned(),
            )),
            _ => Ok(()),
        }
    }

    /// Seals the next chunk, raising the high-water mark in the database first when it is reached.
    async fn seal(&mut self, chunk: Vec<u8>) -> Result<(), ServiceError> {
        self.still_writer()?;
        if self.next >= self.mark {
            let mark = (self.next + MARK_STEP_CHUNKS).min(self.total_chunks);
            if !store::raise_sealed_until(&self.state.db, &self.row.id, self.segment, mark as i64)
                .await?
            {
                return Err(ServiceError::Conflict(
                    "the upload was resumed elsewhere".to_owned(),
                ));
            }
            self.mark = mark;
        }
        let last = self.next + 1 == self.total_chunks;
        self.appender.seal(chunk, last).await?;
        self.next += 1;
        Ok(())
    }

    /// Syncs the blob and records the chunks sealed so far as durable, with `mark` as the high-water mark.
    async fn make_durable(&mut self, mark: u64) -> Result<u64, ServiceError> {
        self.still_writer()?;
        let synced = self.appender.sync().await?;
        debug_assert_eq!(synced, self.next);
        let completed = synced == self.total_chunks;
        let offset = if completed {
            self.length
        } else {
            synced * CHUNK
        };
        if !store::set_durable(
            &self.state.db,
            &self.row.id,
            self.segment,
            offset as i64,
            mark as i64,
            completed,
        )
        .await?
        {
            return Err(ServiceError::Conflict(
                "the upload was resumed elsewhere".to_owned(),
            ));
        }
        self.durable_chunks = synced;
        self.mark = mark;
        Ok(offset)
    }

    /// Makes everything sealed durable and lowers the mark to it: nothing past it was sealed.
    async fn settle(&mut self) -> Result<u64, ServiceError> {
        self.make_durable(self.next).await
    }
}

/// The lease that makes a request the one writer of an upload whose blob is in a store without locks
/// (a bucket): taken in the database, renewed in the background every third of [`WRITER_LEASE_MS`],
/// given up at the end of the request. Losing it (the database unreachable for that long, so another
/// request may have taken over) stops the request before its next chunk or sync. Besides, what it
/// would record is fenced by the segment number in the database, and a piece it still completes is
/// named by its segment, which readers skip.
struct WriterLease {
    name: String,
    owner: String,
    db: zegel_store::Db,
    lost: std::sync::Arc<std::sync::atomic::AtomicBool>,
    renewal: tokio::task::JoinHandle<()>,
}

impl WriterLease {
    /// Takes the lease of upload `id`, or `None` while another request holds it.
    async fn take(state: &Services, id: &str) -> Result<Option<Self>, ServiceError> {
        let name = format!("{WRITER_LEASE_PREFIX}{id}");
        let owner = zegel_crypto::random_id();
        let now = state.now_ms();
        if !zegel_store::leases::acquire(&state.db, &name, &owner, now, now + WRITER_LEASE_MS)
            .await?
        {
            return Ok(None);
        }
        let lost = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let renewal = {
            let (state, name, owner, lost) =
                (state.clone(), name.clone(), owner.clone(), lost.clone());
            tokio::spawn(async move {
                let every = Duration::from_millis(WRITER_LEASE_MS as u64 / 3);
                loop {
                    tokio::time::sleep(every).await;
                    let now = state.now_ms();
                    let renewed = zegel_store::leases::acquire(
                        &state.db,
                        &name,
                        &owner,
                        now,
                        now + WRITER_LEASE_MS,
                    )
                    .await;
                    if !matches!(renewed, Ok(true)) {
                        tracing::warn!(lease = %name, "an upload's writer lease was lost");
                        lost.store(true, std::sync::atomic::Ordering::SeqCst);
                        return;
                    }
                }
            })
        };
        Ok(Some(Self {
            name,
            owner,
            db: state.db.clone(),
            lost,
            renewal,
        }))
    }

    fn lost(&self) -> bool {
        self.lost.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Gives the lease up, so the next request need not wait for it to run out.
    async fn release(self) {
        self.renewal.abort();
        if let Err(error) = zegel_store::leases::release(&self.db, &self.name, &self.owner).await {
            tracing::warn!(lease = %self.name, %error, "giving up an upload's writer lease failed");
        }
    }
}

impl Drop for WriterLease {
    fn drop(&mut self) {
        // Never renewed past its request, even one that panicked: it then runs out.
        self.renewal.abort();
    }
}

/// A finished upload about to become a file of a message (see [`prepare`]).
#[derive(Debug, Clone)]
pub struct FromUpload {
    /// The upload's id.
    pub upload_id: String,
    /// Its file name (opened).
    pub name: String,
    /// Its plaintext length.
    pub size: u64,
    /// Its blob.
    pub blob_id: String,
    /// The message and file parts of the context the blob is sealed under.
    pub sealed_as: (String, String),
    /// The blob's segments.
    pub segments: Vec<Segment>,
}

/// Checks that upload `id` is complete, `owner`'s and unexpired, and gets what a message needs of it.
/// It is taken (used once) only in the message's transaction.
pub async fn prepare(
    state: &Services,
    owner: &Owner,
    id: &str,
    field: &str,
) -> Result<FromUpload, ServiceError> {
    let gone = || ServiceError::invalid(field, "no such upload (or it expired or was used)");
    let row = owned(state, owner, id).await.map_err(|_| gone())?;
    if !row.completed {
        return Err(ServiceError::invalid(field, "the upload is not complete"));
    }
    let ctx = seal_context(&row.tenant_id, &row.id);
    let name = match &row.sealed_name {
        Some(sealed) => String::from_utf8(
            open_field(&state.keys, &ctx.tenant, &ctx.message, NAME_FIELD, sealed)
                .map_err(ServiceError::internal)?,
        )
        .map_err(ServiceError::internal)?,
        None => "file".to_owned(),
    };
    let mut conn = state.db.pool.acquire().await?;
    let segments: Vec<Segment> = store::segments(&mut conn, &row.id)
        .await?
        .into_iter()
        .map(|(number, first_chunk)| Segment {
            number: number as u64,
            first_chunk: first_chunk as u64,
        })
        .collect();
    // Every upload has at least its first segment: none means another message (or a DELETE) took it
    // after the row was read.
    if segments.is_empty() {
        return Err(gone());
    }
    Ok(FromUpload {
        upload_id: row.id.clone(),
        name,
        size: row.length as u64,
        blob_id: row.blob_id,
        sealed_as: (ctx.message, ctx.file),
        segments,
    })
}

/// Whether upload `id` is still `owner`'s to use: after reading it failed, tells a race with another
/// message or a `DELETE` (the caller's request is refused) from a broken blob (an internal error).
pub async fn still_there(state: &Services, owner: &Owner, id: &str) -> Result<bool, ServiceError> {
    match owned(state, owner, id).await {
        Ok(_) => Ok(true),
        Err(ServiceError::NotFound) => Ok(false),
        Err(error) => Err(error),
    }
}

/// A prepared upload's plaintext, streamed from its blob (for the content filter).
pub fn plaintext(
    state: &Services,
    tenant_id: &str,
    upload: &FromUpload,
) -> impl Stream<Item = std::io::Result<Bytes>> + Send + 'static {
    state.blobs.open_segmented(
        &upload.blob_id,
        state.keys.clone(),
        SealContext {
            tenant: tenant_id.to_owned(),
            message: upload.sealed_as.0.clone(),
            file: upload.sealed_as.1.clone(),
        },
        upload.segments.clone(),
    )
}

/// A segment list as a file row keeps it: `None` for the one segment of an ordinary blob.
pub fn encode_segments(segments: &[Segment]) -> Option<String> {
    if segments.is_empty() || segments == [Segment::FIRST] {
        return None;
    }
    Some(
        segments
            .iter()
            .map(|s| format!("{}:{}", s.number, s.first_chunk))
            .collect::<Vec<_>>()
            .join(","),
    )
}

/// A file row's segment list (see [`encode_segments`]).
pub fn decode_segments(text: Option<&str>) -> Result<Vec<Segment>, ServiceError> {
    let Some(text) = text else {
        return Ok(vec![Segment::FIRST]);
    };
    text.split(',')
        .map(|part| {
            let (number, first) = part
                .split_once(':')
                .ok_or_else(|| ServiceError::internal(anyhow::anyhow!("bad segment list")))?;
            Ok(Segment {
                number: number.parse().map_err(ServiceError::internal)?,
                first_chunk: first.parse().map_err(ServiceError::internal)?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segment_lists_round_trip() {
        assert_eq!(encode_segments(&[Segment::FIRST]), None);
        assert_eq!(decode_segments(None).unwrap(), vec![Segment::FIRST]);
        let list = vec![
            Segment::FIRST,
            Segment {
                number: 3,
                first_chunk: 17,
            },
        ];
        let text = encode_segments(&list).unwrap();
        assert_eq!(text, "0:0,3:17");
        assert_eq!(decode_segments(Some(&text)).unwrap(), list);
    }
}
