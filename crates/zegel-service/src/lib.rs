//! What Zegel does, whoever asks: the rules between the adapters (the HTTP API, the recipient portal,
//! the admin page, the SMTP gateway) and the infrastructure (store, vault, mail, outbox).
//!
//! - [`intake`] — the one place messages are created (API and gateway), with the content policy.
//! - [`access`] — what a recipient may do with a link: codes, sessions, downloads, every limit atomic.
//! - [`delivery`] — notifications, held two-factor messages, the maintenance loop; [`retention`] —
//!   expiry and crypto-shredding; [`tracking`] — log & block; [`phones`] — remembered numbers.
//! - [`uploads`] — resumable (tus) uploads, later files of a message.
//! - [`settings`] — tenant settings; [`scan`] — the content filter as the server runs it.
//! - [`auth`] and [`oidc`] — who a sender is; [`sign_in`] — staff signing in to the admin page
//!   or `/send` with the tenant's OpenID Connect issuer.
//!
//! Every operation takes [`Services`] (the handles it needs, no HTTP) and fails with a
//! [`ServiceError`], which each adapter maps to its protocol (HTTP status, SMTP reply).

use std::sync::Arc;

use tokio::sync::Notify;
use zegel_mail::Mailer;
use zegel_store::{Clock, Db};
use zegel_vault::{Blobs, Keys};

pub mod access;
pub mod auth;
pub mod delivery;
mod error;
pub mod intake;
pub mod malware;
pub mod oidc;
pub mod per_ip;
pub mod phones;
pub mod portals;
pub mod replies;
pub mod requests;
pub mod retention;
pub mod scan;
pub mod senders;
pub mod settings;
pub mod sign_in;
pub mod tracking;
pub mod uploads;

pub use error::{ServiceError, policy_message};

/// Where the server is reached and how it writes: what the rules need of the configuration.
#[derive(Debug, Clone)]
pub struct Site {
    /// The URL recipients and senders reach the server at (links are built from it).
    pub public_url: url::Url,
    /// The From address of Zegel's own e-mails (unless a tenant sets its own).
    pub mail_from: String,
    /// The time zone dates in e-mails and pages are shown in.
    pub timezone: String,
}

impl Site {
    /// Whether the portal is served over TLS (decides the `Secure` cookie attribute and its name).
    pub fn is_https(&self) -> bool {
        self.public_url.scheme() == "https"
    }

    /// The public URL without a trailing slash, to append paths to.
    pub fn base_url(&self) -> String {
        self.public_url.as_str().trim_end_matches('/').to_owned()
    }
}

/// Who made a request, for the audit trail and per-client limits.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    /// The client's IP address.
    pub ip: Option<String>,
    /// The client's user agent.
    pub user_agent: Option<String>,
}

/// Everything an operation needs: the infrastructure's handles (cheap to clone).
#[derive(Clone, Debug)]
pub struct Services {
    /// Where the server is reached and how it writes.
    pub site: Arc<Site>,
    /// The database.
    pub db: Db,
    /// The blob store.
    pub blobs: Blobs,
    /// KEKs and the token signer.
    pub keys: Arc<Keys>,
    /// Outgoing mail.
    pub mailer: Arc<Mailer>,
    /// Where the SMTP gateway relays mail (`ZEGEL_SMTP_NEXT_HOP`, else the same as `mailer`).
    pub next_hop: Arc<Mailer>,
    /// Outgoing SMS.
    pub sms: Arc<zegel_mail::sms::SmsSender>,
    /// OpenID Connect issuers' signing keys, cached.
    pub oidc: Arc<oidc::OidcKeys>,
    /// Wakes the outbox worker when jobs were written.
    pub outbox_wakeup: Arc<Notify>,
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// Reads PDFs for the content filter in a crash-isolated child process.
    pub readers: scan::Sandbox,
    /// Argon2id runs under this budget so a burst of passwords cannot exhaust memory.
    pub password_budget: Arc<zegel_vault::PasswordBudget>,
    /// The malware scanner received files pass before anyone can download them; `None` (the embedded
    /// default) delivers them unscanned, as the admin page says.
    pub clamd: Option<malware::Clamd>,
    /// How long the outbox worker's claim on a job lasts unless renewed (Unix ms).
    pub outbox_lease_ms: i64,
}

impl Services {
    /// The current time in Unix milliseconds.
    pub fn now_ms(&self) -> i64 {
        self.clock.now().as_millisecond()
    }

    /// What the outbox worker works with (handles shared with these services).
    pub fn outbox(&self) -> zegel_outbox::Outbox {
        zegel_outbox::Outbox {
            db: self.db.clone(),
            keys: self.keys.clone(),
            blobs: self.blobs.clone(),
            mailer: self.mailer.clone(),
            next_hop: self.next_hop.clone(),
            sms: self.sms.clone(),
            clock: self.clock.clone(),
            wakeup: self.outbox_wakeup.clone(),
            hostname: self
                .site
                .public_url
                .host_str()
                .unwrap_or("zegel")
                .to_owned(),
            mail_from: self.site.mail_from.clone(),
            lease_ms: self.outbox_lease_ms,
            stopping: Arc::default(),
        }
    }
}
