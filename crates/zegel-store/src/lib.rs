//! Storage: one store API over SQLite (the embedded default) and PostgreSQL.
//!
//! Queries are written once in the SQL both engines understand (`$1` parameters, `RETURNING`,
//! `ON CONFLICT`) and run through sqlx's `Any` driver; where the engines differ (row locking for the
//! outbox) the store picks the statement by [`Backend`]. Handlers never hold SQL: each aggregate has its
//! module here. Times are Unix milliseconds in `BIGINT` columns.

use std::path::Path;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, ConnectOptions, Executor};

pub use clock::{Clock, ManualClock, SystemClock};
pub use status::{JobKind, JobPurpose, MessageStatus};

/// Recipient access: codes, sessions, downloads.
pub mod access;
/// An admin's sign-in with OpenID Connect in progress.
pub mod admin_oidc_flows;
/// Sessions of the admin page.
pub mod admin_sessions;
/// Append-only audit events.
pub mod audit;
pub mod clock;
/// Delivery: link tokens, held messages, deletion.
pub mod delivery;
/// The SMTP gateway's idempotency keys.
pub mod gateway;
/// Leases on tasks that run on one instance at a time.
pub mod leases;
/// A message's own link and the Internet Message-ID it was made from.
pub mod links;
/// Messages, their files and recipients.
pub mod messages;
/// OpenID Connect issuers tenants trust.
pub mod oidc;
/// Readiness and the figures of `/metrics`.
pub mod ops;
/// The transactional outbox.
pub mod outbox;
/// Phone numbers and held-message links.
pub mod phones;
/// Upload portals, their visits, and counted rate windows.
pub mod portals;
/// Replies and their conversations.
pub mod replies;
/// Upload requests and the files received in answer.
pub mod requests;
/// Senders from the browser: their codes and sessions.
pub mod senders;
/// Versions of tenant settings.
pub mod settings;
mod status;
/// Tenants, their domains and users.
pub mod tenants;
/// Tracking, blocking and destroying sent messages.
pub mod tracking;
/// Resumable uploads: their progress, segments and quotas.
pub mod uploads;

/// Which engine is behind the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite, a file in the data directory.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// The database handle every store function takes.
#[derive(Clone, Debug)]
pub struct Db {
    /// The connection pool.
    pub pool: AnyPool,
    /// The engine.
    pub backend: Backend,
}

/// A database error of the store layer.
pub type DbResult<T> = Result<T, sqlx::Error>;

impl Db {
    /// Connects to `url` (`sqlite:...` or `postgres://...`) and brings the schema up to date.
    pub async fn connect(url: &str) -> DbResult<Self> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("postgres") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        };
        let options: AnyConnectOptions = url
            .parse::<AnyConnectOptions>()?
            .disable_statement_logging();
        let pool = match backend {
            // SQLite allows one writer at a time; a single connection serialises access without
            // SQLITE_BUSY surprises, and every statement here is short.
            Backend::Sqlite => {
                AnyPoolOptions::new()
                    .max_connections(1)
                    .acquire_timeout(Duration::from_secs(30))
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            // WAL for concurrent readers, FULL sync so an acknowledged write survives a
                            // crash, and secure_delete so deleted rows leave no old bytes in the file.
                            conn.execute("PRAGMA journal_mode = WAL").await?;
                            conn.execute("PRAGMA synchronous = FULL").await?;
                            conn.execute("PRAGMA foreign_keys = ON").await?;
                            conn.execute("PRAGMA secure_delete = ON").await?;
                            conn.execute("PRAGMA busy_timeout = 10000").await?;
                            Ok(())
                        })
                    })
                    .connect_with(options)
                    .await?
            }
            Backend::Postgres => {
                AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(30))
                    .connect_with(options)
                    .await?
            }
        };
        let db = Self { pool, backend };
        db.migrate().await?;
        Ok(db)
    }

    /// The SQLite database file of a data directory.
    pub fn sqlite_file(data_dir: &Path) -> std::path::PathBuf {
        data_dir.join("zegel.db")
    }

    /// The SQLite URL for a data directory.
    pub fn sqlite_url(data_dir: &Path) -> String {
        format!(
            "sqlite://{}?mode=rwc",
            Self::sqlite_file(data_dir).display()
        )
    }

    async fn migrate(&self) -> DbResult<()> {
        let migrator = match self.backend {
            Backend::Sqlite => sqlx::migrate!("./migrations/sqlite"),
            Backend::Postgres => sqlx::migrate!("./migrations/postgres"),
        };
        migrator
            .run(&self.pool)
            .await
            .map_err(|e| sqlx::Error::Migrate(Box::new(e)))?;
        // Audit entries written before the chain existed join it once, in order.
        audit::chain_unchained(self).await
    }
}
