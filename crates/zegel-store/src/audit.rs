//! The audit trail: who did what to which message, when and from where. Never secrets, codes, bodies
//! or file names.
//!
//! The trail is tamper-evident: all entries form one hash chain. Entry `seq = n` stores the hash of
//! entry `n - 1` (`prev_hash`) and its own hash, SHA-256 over a canonical encoding of its fields and
//! `prev_hash` ([`entry_hash`]). The single row of `audit_chain` holds the newest entry's number and
//! hash; every append locks it (`SELECT ... FOR UPDATE` on PostgreSQL; on SQLite the pool's single
//! connection serialises), so the chain never forks. [`verify`] recomputes the chain and names the first
//! entry that does not fit: an edited, removed, inserted or reordered entry, or a cut-off tail.

use sha2::{Digest, Sha256};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{Backend, Db, DbResult};

/// The `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One event to append.
#[derive(Debug, Clone, Default)]
pub struct AuditEvent<'a> {
    /// The tenant, when known.
    pub tenant_id: Option<&'a str>,
    /// The message, when there is one.
    pub message_id: Option<&'a str>,
    /// Who: `sender:<address>`, `recipient:<address>`, `admin:<address>` or `system`.
    pub actor: String,
    /// What happened, e.g. `message.created`, `access.verified`.
    pub event: &'a str,
    /// What it happened to, e.g. `file:<id>` or `recipient:<address>`; never a name or a secret.
    pub detail: Option<String>,
    /// The client's IP address.
    pub ip: Option<String>,
    /// The client's user agent.
    pub user_agent: Option<String>,
}

/// A stored entry.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AuditEntry {
    /// Row id.
    pub id: i64,
    /// Position in the chain (1, 2, ...); none for a row written outside the chain.
    pub seq: Option<i64>,
    /// When (Unix ms).
    pub at: i64,
    /// The tenant.
    pub tenant_id: Option<String>,
    /// The message.
    pub message_id: Option<String>,
    /// Who.
    pub actor: String,
    /// What.
    pub event: String,
    /// What it happened to.
    pub detail: Option<String>,
    /// The client's IP address.
    pub ip: Option<String>,
    /// The client's user agent.
    pub user_agent: Option<String>,
    /// The hash of the entry before.
    pub prev_hash: Option<String>,
    /// This entry's hash.
    pub hash: Option<String>,
}

/// The hash of an entry: SHA-256, hex, over a domain tag, `seq` and `at` as 8-byte big-endian
/// integers, then each optional text field as `0x00` (absent) or `0x01`, an 8-byte big-endian length
/// and the UTF-8 bytes, then `prev_hash`. Lengths make the encoding unambiguous.
#[allow(clippy::too_many_arguments)]
pub fn entry_hash(
    seq: i64,
    at: i64,
    tenant_id: Option<&str>,
    message_id: Option<&str>,
    actor: &str,
    event: &str,
    detail: Option<&str>,
    ip: Option<&str>,
    user_agent: Option<&str>,
    prev_hash: &str,
) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"zegel-audit-v1\0");
    hasher.update(seq.to_be_bytes());
    hasher.update(at.to_be_bytes());
    for field in [
        tenant_id,
        message_id,
        Some(actor),
        Some(event),
        detail,
        ip,
        user_agent,
    ] {
        match field {
            None => hasher.update([0u8]),
            Some(text) => {
                hasher.update([1u8]);
                hasher.update((text.len() as u64).to_be_bytes());
                hasher.update(text.as_bytes());
            }
        }
    }
    hasher.update(prev_hash.as_bytes());
    hex(&hasher.finalize())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl AuditEntry {
    /// The hash this entry's fields give after `prev_hash`.
    pub fn computed_hash(&self, seq: i64, prev_hash: &str) -> String {
        entry_hash(
            seq,
            self.at,
            self.tenant_id.as_deref(),
            self.message_id.as_deref(),
            &self.actor,
            &self.event,
            self.detail.as_deref(),
            self.ip.as_deref(),
            self.user_agent.as_deref(),
            prev_hash,
        )
    }
}

/// Appends an event in a transaction of its own. Never call it while holding a transaction (on
/// SQLite that would wait for the one connection): use [`append_in`] there.
pub async fn append(db: &Db, now: i64, event: &AuditEvent<'_>) -> DbResult<()> {
    let mut tx = db.pool.begin().await?;
    append_in(&mut tx, db.backend, now, event).await?;
    tx.commit().await
}

/// The chain head, locked for the rest of the caller's transaction: `FOR UPDATE` on PostgreSQL; on
/// SQLite a write first, which takes the database's write lock (waiting for it, where a read that later
/// wants to write would fail at once with `SQLITE_BUSY` when another process on the file writes).
async fn lock_head(conn: &mut AnyConnection, backend: Backend) -> DbResult<(i64, String)> {
    let lock = if backend == Backend::Postgres {
        " FOR UPDATE"
    } else {
        sqlx::query("UPDATE audit_chain SET seq = seq WHERE id = 1")
            .execute(&mut *conn)
            .await?;
        ""
    };
    let row = sqlx::query(&format!(
        "SELECT seq, hash FROM audit_chain WHERE id = 1{lock}"
    ))
    .fetch_one(&mut *conn)
    .await?;
    Ok((row.try_get("seq")?, row.try_get("hash")?))
}

async fn set_head(conn: &mut AnyConnection, seq: i64, hash: &str) -> DbResult<()> {
    sqlx::query("UPDATE audit_chain SET seq = $1, hash = $2 WHERE id = 1")
        .bind(seq)
        .bind(hash)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Appends an event inside the caller's transaction, so the event commits with the change it records.
pub async fn append_in(
    conn: &mut AnyConnection,
    backend: Backend,
    now: i64,
    event: &AuditEvent<'_>,
) -> DbResult<()> {
    let (head_seq, prev_hash) = lock_head(conn, backend).await?;
    let seq = head_seq + 1;
    let hash = entry_hash(
        seq,
        now,
        event.tenant_id,
        event.message_id,
        &event.actor,
        event.event,
        event.detail.as_deref(),
        event.ip.as_deref(),
        event.user_agent.as_deref(),
        &prev_hash,
    );
    sqlx::query(
        "INSERT INTO audit_events (seq, at, tenant_id, message_id, actor, event, detail, ip, user_agent, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(seq)
    .bind(now)
    .bind(event.tenant_id)
    .bind(event.message_id)
    .bind(&event.actor)
    .bind(event.event)
    .bind(&event.detail)
    .bind(&event.ip)
    .bind(&event.user_agent)
    .bind(&prev_hash)
    .bind(&hash)
    .execute(&mut *conn)
    .await?;
    set_head(conn, seq, &hash).await
}

const ENTRY_COLUMNS: &str =
    "id, seq, at, tenant_id, message_id, actor, event, detail, ip, user_agent, prev_hash, hash";

fn entry_from_row(row: &AnyRow) -> DbResult<AuditEntry> {
    Ok(AuditEntry {
        id: row.try_get("id")?,
        seq: row.try_get("seq")?,
        at: row.try_get("at")?,
        tenant_id: row.try_get("tenant_id")?,
        message_id: row.try_get("message_id")?,
        actor: row.try_get("actor")?,
        event: row.try_get("event")?,
        detail: row.try_get("detail")?,
        ip: row.try_get("ip")?,
        user_agent: row.try_get("user_agent")?,
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}

/// Chains the entries written before the chain existed (migration 0004), in id order. Runs at
/// start-up; once the chain has an entry it does nothing, so a row slipped in later stays unchained
/// and [`verify`] reports it.
pub async fn chain_unchained(db: &Db) -> DbResult<()> {
    let mut tx = db.pool.begin().await?;
    let (head_seq, mut prev_hash) = lock_head(&mut tx, db.backend).await?;
    if head_seq != 0 {
        return tx.commit().await;
    }
    let rows = sqlx::query(&format!(
        "SELECT {ENTRY_COLUMNS} FROM audit_events WHERE seq IS NULL ORDER BY id"
    ))
    .fetch_all(&mut *tx)
    .await?;
    let mut seq = 0;
    for row in &rows {
        let entry = entry_from_row(row)?;
        seq += 1;
        let hash = entry.computed_hash(seq, &prev_hash);
        sqlx::query("UPDATE audit_events SET seq = $1, prev_hash = $2, hash = $3 WHERE id = $4")
            .bind(seq)
            .bind(&prev_hash)
            .bind(&hash)
            .bind(entry.id)
            .execute(&mut *tx)
            .await?;
        prev_hash = hash;
    }
    if seq > 0 {
        set_head(&mut tx, seq, &prev_hash).await?;
    }
    tx.commit().await
}

/// Where the chain breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenEntry {
    /// The chain position of the first entry that does not fit (for a cut-off tail: the first missing).
    pub seq: Option<i64>,
    /// Its row id, when the row exists.
    pub id: Option<i64>,
    /// What is wrong, in a sentence.
    pub reason: String,
}

/// The outcome of [`verify`].
#[derive(Debug, Clone)]
pub struct ChainReport {
    /// Entries checked.
    pub entries: i64,
    /// The newest entry's hash, as the head row records it: keep it elsewhere to anchor the chain.
    pub head_hash: String,
    /// The first broken entry; none when the chain is whole.
    pub broken: Option<BrokenEntry>,
}

/// Recomputes the whole chain, in pages, and names the first entry that does not fit.
pub async fn verify(db: &Db) -> DbResult<ChainReport> {
    let head = sqlx::query("SELECT seq, hash FROM audit_chain WHERE id = 1")
        .fetch_one(&db.pool)
        .await?;
    let (head_seq, head_hash): (i64, String) = (head.try_get("seq")?, head.try_get("hash")?);
    let mut report = ChainReport {
        entries: 0,
        head_hash: head_hash.clone(),
        broken: None,
    };
    let mut expected_seq = 1;
    let mut prev_hash = GENESIS.to_owned();
    let mut prev_id = None;
    'pages: loop {
        let rows = sqlx::query(&format!(
            "SELECT {ENTRY_COLUMNS} FROM audit_events WHERE seq >= $1 ORDER BY seq LIMIT 1000"
        ))
        .bind(expected_seq)
        .fetch_all(&db.pool)
        .await?;
        if rows.is_empty() {
            break;
        }
        for row in &rows {
            let entry = entry_from_row(row)?;
            let seq = entry.seq.unwrap_or_default();
            let broken = |reason: String| {
                Some(BrokenEntry {
                    seq: Some(seq),
                    id: Some(entry.id),
                    reason,
                })
            };
            if seq != expected_seq {
                report.broken = Some(BrokenEntry {
                    seq: Some(expected_seq),
                    id: None,
                    reason: format!(
                        "entry {expected_seq} is missing: the chain jumps to entry {seq} (id {})",
                        entry.id
                    ),
                });
                break 'pages;
            }
            if entry.prev_hash.as_deref() != Some(prev_hash.as_str()) {
                report.broken = broken(match prev_id {
                    Some(before) => format!(
                        "entry {seq} (id {}) does not follow entry {} (id {before}): one of them was altered or replaced",
                        entry.id,
                        seq - 1
                    ),
                    None => format!("entry {seq} (id {}) does not start the chain", entry.id),
                });
                break 'pages;
            }
            if entry.hash.as_deref() != Some(entry.computed_hash(seq, &prev_hash).as_str()) {
                report.broken = broken(format!(
                    "entry {seq} (id {}) was altered: its fields do not match its hash",
                    entry.id
                ));
                break 'pages;
            }
            report.entries += 1;
            prev_hash = entry.hash.clone().unwrap_or_default();
            prev_id = Some(entry.id);
            expected_seq += 1;
        }
    }
    if report.broken.is_none() && (expected_seq - 1 != head_seq || prev_hash != head_hash) {
        report.broken = Some(BrokenEntry {
            seq: Some(expected_seq),
            id: None,
            reason: format!(
                "the chain ends at entry {} but its head records entry {head_seq}: entries after {} were removed or the head was altered",
                expected_seq - 1,
                expected_seq - 1
            ),
        });
    }
    if report.broken.is_none() {
        let outside = sqlx::query("SELECT MIN(id) AS id FROM audit_events WHERE seq IS NULL")
            .fetch_one(&db.pool)
            .await?;
        if let Some(id) = outside.try_get::<Option<i64>, _>("id")? {
            report.broken = Some(BrokenEntry {
                seq: None,
                id: Some(id),
                reason: format!("entry id {id} was written outside the chain"),
            });
        }
    }
    Ok(report)
}

/// Which entries an export wants. Times are Unix ms, `from` inclusive, `to` exclusive.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery<'a> {
    /// Only this tenant's entries.
    pub tenant_id: &'a str,
    /// Only this message's.
    pub message_id: Option<&'a str>,
    /// From this time on.
    pub from: Option<i64>,
    /// Before this time.
    pub to: Option<i64>,
    /// At most this many.
    pub limit: i64,
}

/// A tenant's entries, oldest first.
pub async fn entries(db: &Db, query: &AuditQuery<'_>) -> DbResult<Vec<AuditEntry>> {
    let rows = sqlx::query(&format!(
        "SELECT {ENTRY_COLUMNS} FROM audit_events
         WHERE tenant_id = $1 AND ($2 IS NULL OR message_id = $2) AND ($3 IS NULL OR at >= $3) AND ($4 IS NULL OR at < $4)
         ORDER BY seq, id LIMIT $5"
    ))
    .bind(query.tenant_id)
    .bind(query.message_id)
    .bind(query.from)
    .bind(query.to)
    .bind(query.limit)
    .fetch_all(&db.pool)
    .await?;
    rows.iter().map(entry_from_row).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_encoding_is_unambiguous() {
        let a = entry_hash(
            1,
            2,
            Some("t"),
            None,
            "system",
            "x",
            None,
            None,
            None,
            GENESIS,
        );
        // Moving text from one field to the next changes the hash.
        let b = entry_hash(
            1,
            2,
            None,
            Some("t"),
            "system",
            "x",
            None,
            None,
            None,
            GENESIS,
        );
        let c = entry_hash(
            1,
            2,
            Some("t"),
            None,
            "syste",
            "mx",
            None,
            None,
            None,
            GENESIS,
        );
        assert_ne!(a, b);
        assert_ne!(a, c);
        assert_eq!(
            a,
            entry_hash(
                1,
                2,
                Some("t"),
                None,
                "system",
                "x",
                None,
                None,
                None,
                GENESIS
            )
        );
        assert_eq!(a.len(), 64);
    }
}
