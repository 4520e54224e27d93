//! Resumable uploads: who owns each, how far it is durable, the sealed high-water mark and segments that
//! keep its nonces single-use (`zegel-crypto`'s FORMAT.md, "Segments"), and the per-owner quota.
//!
//! Every change that a concurrent request could race is one conditional statement: the quota is one
//! `UPDATE … WHERE open_uploads < max` on the owner's row, progress is written only by the request that
//! holds the current segment number, and using an upload for a message is one `DELETE … RETURNING` in
//! the message's transaction.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{Db, DbResult};

/// Who owns an upload: only the owner sees it; everyone else gets `404`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    /// A signed-in sender (a `users` row id).
    Sender(String),
    /// A recipient of an upload request who proved their address (a `recipients` row id).
    Visitor(String),
}

impl Owner {
    fn kind(&self) -> &'static str {
        match self {
            Owner::Sender(_) => "sender",
            Owner::Visitor(_) => "visitor",
        }
    }

    fn id(&self) -> &str {
        match self {
            Owner::Sender(id) | Owner::Visitor(id) => id,
        }
    }

    fn parse(kind: &str, id: String) -> DbResult<Self> {
        match kind {
            "sender" => Ok(Owner::Sender(id)),
            "visitor" => Ok(Owner::Visitor(id)),
            other => Err(sqlx::Error::Decode(
                format!("unknown upload owner kind {other:?}").into(),
            )),
        }
    }
}

/// An upload as created.
#[derive(Debug, Clone)]
pub struct NewUpload {
    /// Its id.
    pub id: String,
    /// The owner's tenant.
    pub tenant_id: String,
    /// Who owns it.
    pub owner: Owner,
    /// Its resumable blob.
    pub blob_id: String,
    /// The plaintext length (`Upload-Length`).
    pub length: i64,
    /// The file name, sealed.
    pub sealed_name: Option<Vec<u8>>,
    /// The media type the client gave.
    pub file_type: Option<String>,
    /// Creation time.
    pub created_at: i64,
    /// When it is swept unless used.
    pub expires_at: i64,
}

/// An upload's row.
#[derive(Debug, Clone)]
pub struct UploadRow {
    /// Its id.
    pub id: String,
    /// The owner's tenant.
    pub tenant_id: String,
    /// Who owns it.
    pub owner: Owner,
    /// Its resumable blob.
    pub blob_id: String,
    /// The plaintext length.
    pub length: i64,
    /// Plaintext bytes durable on disk (whole chunks, or the length).
    pub durable_offset: i64,
    /// The sealed high-water mark (a chunk index) of the current segment.
    pub sealed_until: i64,
    /// The current segment number.
    pub segment: i64,
    /// The file name, sealed.
    pub sealed_name: Option<Vec<u8>>,
    /// The media type the client gave.
    pub file_type: Option<String>,
    /// Whether every byte is durable.
    pub completed: bool,
    /// Creation time.
    pub created_at: i64,
    /// When it is swept unless used.
    pub expires_at: i64,
}

const COLUMNS: &str =
    "id, tenant_id, owner_kind, owner_id, blob_id, length, durable_offset, sealed_until,
    segment, sealed_name, file_type, completed, created_at, expires_at";

fn from_row(row: &AnyRow) -> DbResult<UploadRow> {
    Ok(UploadRow {
        id: row.try_get("id")?,
        tenant_id: row.try_get("tenant_id")?,
        owner: Owner::parse(
            &row.try_get::<String, _>("owner_kind")?,
            row.try_get("owner_id")?,
        )?,
        blob_id: row.try_get("blob_id")?,
        length: row.try_get("length")?,
        durable_offset: row.try_get("durable_offset")?,
        sealed_until: row.try_get("sealed_until")?,
        segment: row.try_get("segment")?,
        sealed_name: row.try_get("sealed_name")?,
        file_type: row.try_get("file_type")?,
        completed: row.try_get::<i64, _>("completed")? != 0,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
    })
}

/// The most open uploads and open bytes an owner may have.
#[derive(Debug, Clone, Copy)]
pub struct Quota {
    /// Uploads not yet used or deleted.
    pub uploads: i64,
    /// Their lengths added up.
    pub bytes: i64,
}

/// Creates an upload (with segment 0 at chunk 0) if the owner's quota allows it; `false` when it does
/// not. The quota check is one conditional `UPDATE` on the owner's row, so it holds for parallel requests.
pub async fn create(db: &Db, upload: &NewUpload, quota: Quota) -> DbResult<bool> {
    let mut tx = db.pool.begin().await?;
    sqlx::query(
        "INSERT INTO upload_quotas (owner_kind, owner_id, open_uploads, open_bytes) VALUES ($1, $2, 0, 0)
         ON CONFLICT (owner_kind, owner_id) DO NOTHING",
    )
    .bind(upload.owner.kind())
    .bind(upload.owner.id())
    .execute(&mut *tx)
    .await?;
    let counted = sqlx::query(
        "UPDATE upload_quotas SET open_uploads = open_uploads + 1, open_bytes = open_bytes + $3
         WHERE owner_kind = $1 AND owner_id = $2 AND open_uploads < $4 AND open_bytes + $3 <= $5",
    )
    .bind(upload.owner.kind())
    .bind(upload.owner.id())
    .bind(upload.length)
    .bind(quota.uploads)
    .bind(quota.bytes)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if counted == 0 {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO uploads (id, tenant_id, owner_kind, owner_id, blob_id, length, durable_offset,
            sealed_until, segment, sealed_name, file_type, completed, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, 0, 0, 0, $7, $8, 0, $9, $10)",
    )
    .bind(&upload.id)
    .bind(&upload.tenant_id)
    .bind(upload.owner.kind())
    .bind(upload.owner.id())
    .bind(&upload.blob_id)
    .bind(upload.length)
    .bind(&upload.sealed_name)
    .bind(&upload.file_type)
    .bind(upload.created_at)
    .bind(upload.expires_at)
    .execute(&mut *tx)
    .await?;
    sqlx::query("INSERT INTO upload_segments (upload_id, segment, first_chunk) VALUES ($1, 0, 0)")
        .bind(&upload.id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(true)
}

/// An upload by id.
pub async fn get(db: &Db, id: &str) -> DbResult<Option<UploadRow>> {
    sqlx::query(&format!("SELECT {COLUMNS} FROM uploads WHERE id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// An upload's segments, `(number, first_chunk)` in order.
pub async fn segments(conn: &mut AnyConnection, id: &str) -> DbResult<Vec<(i64, i64)>> {
    sqlx::query(
        "SELECT segment, first_chunk FROM upload_segments WHERE upload_id = $1 ORDER BY first_chunk",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|row| Ok((row.try_get("segment")?, row.try_get("first_chunk")?)))
    .collect()
}

/// Starts a new segment at `first_chunk` (the durable offset's chunk) after `expected` (the segment
/// the caller read): the number goes up by one, the high-water mark starts over at `first_chunk`, and
/// segments that began at or after it are dropped (their chunks are cut off the blob). `None` when the
/// upload changed meanwhile.
pub async fn start_segment(
    db: &Db,
    id: &str,
    expected: i64,
    durable_offset: i64,
    first_chunk: i64,
) -> DbResult<Option<i64>> {
    let mut tx = db.pool.begin().await?;
    let Some(row) = sqlx::query(
        "UPDATE uploads SET segment = segment + 1, sealed_until = $4
         WHERE id = $1 AND segment = $2 AND durable_offset = $3 AND completed = 0 RETURNING segment",
    )
    .bind(id)
    .bind(expected)
    .bind(durable_offset)
    .bind(first_chunk)
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(None);
    };
    let segment: i64 = row.try_get("segment")?;
    sqlx::query("DELETE FROM upload_segments WHERE upload_id = $1 AND first_chunk >= $2")
        .bind(id)
        .bind(first_chunk)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO upload_segments (upload_id, segment, first_chunk) VALUES ($1, $2, $3)",
    )
    .bind(id)
    .bind(segment)
    .bind(first_chunk)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Some(segment))
}

/// Raises the sealed high-water mark of `segment` to `mark` (before chunks below it are sealed);
/// `false` when the segment is no longer current.
pub async fn raise_sealed_until(db: &Db, id: &str, segment: i64, mark: i64) -> DbResult<bool> {
    let updated = sqlx::query(
        "UPDATE uploads SET sealed_until = $3 WHERE id = $1 AND segment = $2 AND sealed_until <= $3",
    )
    .bind(id)
    .bind(segment)
    .bind(mark)
    .execute(&db.pool)
    .await?
    .rows_affected();
    Ok(updated == 1)
}

/// Records progress of `segment`: `durable_offset` bytes are on disk for good, the high-water mark is
/// `sealed_until`, and the upload is complete or not. `false` when the segment is no longer current.
pub async fn set_durable(
    db: &Db,
    id: &str,
    segment: i64,
    durable_offset: i64,
    sealed_until: i64,
    completed: bool,
) -> DbResult<bool> {
    let updated = sqlx::query(
        "UPDATE uploads SET durable_offset = $3, sealed_until = $4, completed = $5
         WHERE id = $1 AND segment = $2 AND durable_offset <= $3",
    )
    .bind(id)
    .bind(segment)
    .bind(durable_offset)
    .bind(sealed_until)
    .bind(i64::from(completed))
    .execute(&db.pool)
    .await?
    .rows_affected();
    Ok(updated == 1)
}

/// Removes an upload's rows and gives its quota back; its blob id, or `None` if it was gone already.
pub async fn delete(db: &Db, id: &str) -> DbResult<Option<String>> {
    let mut tx = db.pool.begin().await?;
    let blob = remove(&mut tx, id, None).await?.map(|row| row.blob_id);
    tx.commit().await?;
    Ok(blob)
}

/// Takes a complete, unexpired upload of `owner` for a message, in the message's transaction: its
/// row goes (so it is used once) and its quota is given back. `None` when there is no such upload.
pub async fn take_complete(
    conn: &mut AnyConnection,
    id: &str,
    owner: &Owner,
    now: i64,
) -> DbResult<Option<UploadRow>> {
    remove(conn, id, Some((owner, now))).await
}

async fn remove(
    conn: &mut AnyConnection,
    id: &str,
    complete_of: Option<(&Owner, i64)>,
) -> DbResult<Option<UploadRow>> {
    let row = match complete_of {
        None => {
            sqlx::query(&format!(
                "DELETE FROM uploads WHERE id = $1 RETURNING {COLUMNS}"
            ))
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?
        }
        Some((owner, now)) => {
            sqlx::query(&format!(
                "DELETE FROM uploads WHERE id = $1 AND owner_kind = $2 AND owner_id = $3
                    AND completed = 1 AND expires_at > $4 RETURNING {COLUMNS}"
            ))
            .bind(id)
            .bind(owner.kind())
            .bind(owner.id())
            .bind(now)
            .fetch_optional(&mut *conn)
            .await?
        }
    };
    let Some(row) = row.as_ref().map(from_row).transpose()? else {
        return Ok(None);
    };
    sqlx::query(
        "UPDATE upload_quotas SET open_uploads = open_uploads - 1, open_bytes = open_bytes - $3
         WHERE owner_kind = $1 AND owner_id = $2",
    )
    .bind(row.owner.kind())
    .bind(row.owner.id())
    .bind(row.length)
    .execute(&mut *conn)
    .await?;
    Ok(Some(row))
}

/// Up to `limit` uploads whose expiry passed before `now`.
pub async fn expired(db: &Db, now: i64, limit: i64) -> DbResult<Vec<UploadRow>> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM uploads WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2"
    ))
    .bind(now)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// Every upload's id, sealed name and blob id, for key rotation.
pub async fn all_sealed(db: &Db) -> DbResult<Vec<(String, Option<Vec<u8>>, String)>> {
    sqlx::query("SELECT id, sealed_name, blob_id FROM uploads")
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(|row| {
            Ok((
                row.try_get("id")?,
                row.try_get("sealed_name")?,
                row.try_get("blob_id")?,
            ))
        })
        .collect()
}

/// Replaces an upload's sealed name (key rotation).
pub async fn update_name(db: &Db, id: &str, sealed_name: &[u8]) -> DbResult<()> {
    sqlx::query("UPDATE uploads SET sealed_name = $1 WHERE id = $2")
        .bind(sealed_name)
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(())
}
