//! The shared application state every handler and worker receives.

use std::sync::{Arc, Mutex};

use jiff::Timestamp;
use tokio::sync::Notify;

use crate::config::Config;
use zegel_mail::Mailer;
use zegel_store::Db;
use zegel_vault::blobs::LocalBlobs;
use zegel_vault::keys::Keys;

/// Where "now" comes from; tests set it to check expiry without waiting.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current time.
    fn now(&self) -> Timestamp;
}

/// The system clock.
#[derive(Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A clock tests move by hand.
#[derive(Debug)]
pub struct ManualClock(Mutex<Timestamp>);

impl ManualClock {
    /// A clock standing at `at`.
    pub fn new(at: Timestamp) -> Self {
        Self(Mutex::new(at))
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: jiff::SignedDuration) {
        let mut now = self.0.lock().expect("clock lock poisoned");
        *now = now.checked_add(by).expect("clock overflow");
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().expect("clock lock poisoned")
    }
}

/// Everything a request or job needs.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The configuration.
    pub config: Arc<Config>,
    /// The database.
    pub db: Db,
    /// The blob store.
    pub blobs: LocalBlobs,
    /// KEKs and the token signer.
    pub keys: Arc<Keys>,
    /// Outgoing mail.
    pub mailer: Arc<Mailer>,
    /// Where the SMTP gateway relays mail (`ZEGEL_SMTP_NEXT_HOP`, else the same as `mailer`).
    pub next_hop: Arc<Mailer>,
    /// Outgoing SMS.
    pub sms: Arc<zegel_mail::sms::SmsSender>,
    /// OpenID Connect issuers' signing keys, cached.
    pub oidc: Arc<crate::oidc::OidcKeys>,
    /// Wakes the outbox worker when jobs were written.
    pub outbox_wakeup: Arc<Notify>,
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// Reads PDFs for the content filter in a crash-isolated child process.
    pub pdf_reader: crate::scan::ChildProcessPdf,
    /// Argon2id runs under this budget so a burst of passwords cannot exhaust memory.
    pub password_budget: Arc<zegel_vault::hashing::PasswordBudget>,
}

impl AppState {
    /// The current time in Unix milliseconds.
    pub fn now_ms(&self) -> i64 {
        self.clock.now().as_millisecond()
    }
}
