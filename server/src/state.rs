//! The shared application state every handler and worker receives.

use std::sync::Arc;

use tokio::sync::Notify;

use crate::config::Config;
use zegel_mail::Mailer;
use zegel_store::{Clock, Db};
use zegel_vault::blobs::LocalBlobs;
use zegel_vault::keys::Keys;

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

    /// What the outbox worker works with (handles shared with this state).
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
                .config
                .public_url
                .host_str()
                .unwrap_or("zegel")
                .to_owned(),
            mail_from: self.config.mail_from.clone(),
        }
    }
}
