//! The outbox worker: sends what the database says must be sent, retrying with exponential backoff, so
//! nothing is lost across a restart or a relay outage.
//!
//! Payloads are sealed with a fresh data key per job (they hold links, subjects and passwords). A job
//! is deleted only after the relay accepted it; a crash in between means it is sent again with the same
//! Message-ID, which is the best SMTP allows.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use zegel_crypto::{Context, DataKey, Keyring};
use zegel_mail::Mailer;
use zegel_mail::sms::SmsSender;
use zegel_store::{Clock, Db, JobKind, JobPurpose};
use zegel_vault::{Blobs, Keys};

use zegel_mail::OutgoingEmail;
use zegel_store::{messages, outbox};

/// Mail the SMTP gateway passes on unchanged, and the delivery status notifications of what failed.
pub mod relay;

/// What the worker needs: the store, the keys and blobs to open payloads, and the transports.
#[derive(Clone, Debug)]
pub struct Outbox {
    /// The database with the jobs.
    pub db: Db,
    /// Opens sealed payloads.
    pub keys: Arc<Keys>,
    /// Where relay jobs keep their raw bytes.
    pub blobs: Blobs,
    /// Zegel's own e-mails (notifications, passwords, DSNs).
    pub mailer: Arc<Mailer>,
    /// Where relayed mail goes (the gateway's next hop; else the same as `mailer`).
    pub next_hop: Arc<Mailer>,
    /// SMS codes.
    pub sms: Arc<SmsSender>,
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// Wakes the worker when jobs were written.
    pub wakeup: Arc<tokio::sync::Notify>,
    /// This server's host name and the address its own mail comes from, for the DSNs it writes
    /// (`Reporting-MTA`, the Message-ID's domain).
    pub hostname: String,
    /// See `hostname`.
    pub mail_from: String,
    /// How long a claim holds a job ([`LEASE_MS`]); renewed every third of it while a send lasts.
    pub lease_ms: i64,
    /// Set when the instance shuts down: sends under way finish, nothing new is claimed, and jobs
    /// claimed but not started are handed back for another instance to take at once.
    pub stopping: Arc<std::sync::atomic::AtomicBool>,
}

impl Outbox {
    /// Whether the instance is shutting down ([`Outbox::stopping`]).
    pub fn is_stopping(&self) -> bool {
        self.stopping.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// The current time in Unix milliseconds.
    pub fn now_ms(&self) -> i64 {
        self.clock.now().as_millisecond()
    }
}

/// What a job carries.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Payload {
    /// An e-mail.
    Email(OutgoingEmail),
    /// An SMS.
    Sms(zegel_mail::sms::OutgoingSms),
    /// A mail the SMTP gateway relays unchanged to the next hop (its bytes sealed in a blob).
    Relay(relay::RelayJob),
    /// A delivery status notification (bounce) for a relay job that failed, sent through the mail
    /// transport with the null reverse path.
    Dsn {
        /// The original's envelope sender.
        to: String,
        /// The whole DSN (RFC 3464).
        raw: String,
    },
}

/// After this many attempts (about two days with the backoff below) a job is given up.
pub const MAX_ATTEMPTS: i64 = 30;
/// How long a worker's claim on a job lasts unless renewed.
pub const LEASE_MS: i64 = 5 * 60 * 1000;
/// Jobs of one batch sent at the same time (lettre's pool keeps up to ten relay connections).
const CONCURRENCY: usize = 8;

fn context(job_id: &str) -> Context<'_> {
    Context {
        tenant: "system",
        message: job_id,
        file: "outbox",
    }
}

/// Seals a payload for the outbox row `job_id`.
pub fn seal_payload(keyring: &Keyring, job_id: &str, payload: &Payload) -> Vec<u8> {
    let json = serde_json::to_vec(payload).expect("payloads serialise");
    zegel_crypto::seal_to_vec(keyring, &DataKey::generate(), context(job_id), &json)
}

/// Opens a sealed payload (key rotation reads relay jobs' blob ids).
pub fn open_payload(keys: &Keys, job_id: &str, sealed: &[u8]) -> anyhow::Result<Payload> {
    let json =
        keys.with_keyring(|keyring| zegel_crypto::open_to_vec(keyring, context(job_id), sealed))?;
    Ok(serde_json::from_slice(&json)?)
}

/// Writes an e-mail job inside the caller's transaction.
pub async fn enqueue_email(
    conn: &mut AnyConnection,
    keyring: &Keyring,
    purpose: JobPurpose,
    recipient_id: Option<&str>,
    email: OutgoingEmail,
    now: i64,
) -> Result<(), sqlx::Error> {
    let id = email.message_id.clone();
    let job = outbox::NewJob {
        sealed_payload: seal_payload(keyring, &id, &Payload::Email(email)),
        id,
        kind: JobKind::Email,
        purpose,
        recipient_id: recipient_id.map(str::to_owned),
    };
    outbox::enqueue(conn, &job, now).await
}

/// Writes an SMS job inside the caller's transaction.
pub async fn enqueue_sms(
    conn: &mut AnyConnection,
    keyring: &Keyring,
    purpose: JobPurpose,
    recipient_id: Option<&str>,
    sms: zegel_mail::sms::OutgoingSms,
    now: i64,
) -> Result<(), sqlx::Error> {
    let id = zegel_crypto::random_id();
    let job = outbox::NewJob {
        sealed_payload: seal_payload(keyring, &id, &Payload::Sms(sms)),
        id,
        kind: JobKind::Sms,
        purpose,
        recipient_id: recipient_id.map(str::to_owned),
    };
    outbox::enqueue(conn, &job, now).await
}

/// The delay before attempt `attempts + 1`: 5 s, 10 s, 20 s ... capped at two hours.
pub fn backoff(attempts: i64) -> Duration {
    let exponent = attempts.clamp(1, 20) as u32 - 1;
    Duration::from_secs(5u64.saturating_mul(1 << exponent).min(2 * 3600))
}

/// Processes every job due now; returns how many were handled. Tests call this to step the worker.
pub async fn run_once(state: &Outbox) -> anyhow::Result<usize> {
    let mut handled = 0;
    loop {
        if state.is_stopping() {
            return Ok(handled);
        }
        let now = state.now_ms();
        let jobs = outbox::claim_due(&state.db, now, state.lease_ms, 16).await?;
        if jobs.is_empty() {
            return Ok(handled);
        }
        handled += jobs.len();
        // Jobs wait on the network (relay, SMS provider), so a batch is worked on side by side; each job
        // is independent, and its own lease keeps other workers off it.
        let results: Vec<anyhow::Result<()>> = futures_util::stream::iter(jobs)
            .map(|job| process(state, job))
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        results.into_iter().collect::<anyhow::Result<()>>()?;
    }
}

/// Notes a job's outcome that could not be written: its lease ran out and another instance claimed the
/// job, so that instance finishes it (the recipient may get the mail twice, never none; the stable
/// Message-ID makes a duplicate recognisable).
pub(crate) fn taken_over(written: bool, job: &outbox::ClaimedJob) {
    if !written {
        tracing::warn!(job = %job.id, "the lease ran out and another instance took the job over");
    }
}

/// Runs `work` (a send) while keeping `job`'s lease: renewed every third of the lease between polls
/// of `work`, never at the same time as a write that uses the lease as its token. `None` when another
/// instance took the job over meanwhile (the send is then dropped; that instance sends it).
async fn leased<F: std::future::Future>(
    state: &Outbox,
    job: &mut outbox::ClaimedJob,
    work: F,
) -> anyhow::Result<Option<F::Output>> {
    let mut work = std::pin::pin!(work);
    let period = Duration::from_millis((state.lease_ms / 3).max(1) as u64);
    let mut renewal = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    loop {
        tokio::select! {
            output = &mut work => return Ok(Some(output)),
            _ = renewal.tick() => {
                if !outbox::renew(&state.db, job, state.now_ms(), state.lease_ms).await? {
                    taken_over(false, job);
                    return Ok(None);
                }
            }
        }
    }
}

async fn process(state: &Outbox, mut job: outbox::ClaimedJob) -> anyhow::Result<()> {
    if state.is_stopping() {
        outbox::hand_back(&state.db, &job).await?;
        return Ok(());
    }
    // A job that waited behind others of its batch renews first, so its send starts with a whole lease.
    if job.lease_until - state.now_ms() < state.lease_ms / 2
        && !outbox::renew(&state.db, &mut job, state.now_ms(), state.lease_ms).await?
    {
        taken_over(false, &job);
        return Ok(());
    }
    let payload = match open_payload(&state.keys, &job.id, &job.sealed_payload) {
        Ok(payload) => payload,
        Err(error) => {
            tracing::error!(job = %job.id, error = %error, "outbox payload cannot be opened");
            taken_over(
                outbox::give_up(&state.db, &job, "payload cannot be opened").await?,
                &job,
            );
            return Ok(());
        }
    };
    // What was tried and how it ended, without the content: (permanent, message) on failure.
    let sent: Option<Result<(), (bool, String)>> = match &payload {
        Payload::Email(email) => leased(state, &mut job, state.mailer.send(email))
            .await?
            .map(|r| r.map_err(|e| (e.permanent, e.message))),
        Payload::Sms(sms) => leased(state, &mut job, state.sms.send(sms))
            .await?
            .map(|r| r.map_err(|e| (e.permanent, e.message))),
        // Relay outcomes are per recipient (part of the envelope may be refused): the relay settles its job.
        Payload::Relay(relay) => return relay::process(state, &job, relay).await,
        Payload::Dsn { to, raw } => leased(
            state,
            &mut job,
            state
                .mailer
                .send_raw(None, std::slice::from_ref(to), raw.as_bytes()),
        )
        .await?
        .map(|r| r.map_err(|e| (e.permanent, e.message))),
    };
    let Some(outcome) = sent else {
        return Ok(());
    };
    match outcome {
        Ok(()) => {
            taken_over(outbox::complete(&state.db, &job).await?, &job);
            match (&job.recipient_id, job.purpose) {
                (Some(recipient), JobPurpose::Notification) => {
                    messages::mark_notified(&state.db, recipient, state.now_ms(), false).await?;
                    audit_notification(state, recipient, "notification.sent").await?;
                }
                (Some(recipient), JobPurpose::SmsCode) => {
                    zegel_store::phones::set_sms_error(&state.db, recipient, None).await?
                }
                _ => {}
            }
            tracing::info!(job = %job.id, purpose = %job.purpose, "handed to the relay");
        }
        Err((permanent, message)) if permanent || job.attempts >= MAX_ATTEMPTS => {
            tracing::warn!(job = %job.id, attempts = job.attempts, error = %message, "given up");
            taken_over(outbox::give_up(&state.db, &job, &message).await?, &job);
            match (&job.recipient_id, job.purpose) {
                (Some(recipient), JobPurpose::Notification) => {
                    messages::mark_notified(&state.db, recipient, state.now_ms(), true).await?;
                    audit_notification(state, recipient, "notification.bounced").await?;
                }
                (Some(recipient), JobPurpose::SmsCode) => {
                    zegel_store::phones::set_sms_error(&state.db, recipient, Some(&message)).await?
                }
                _ => {}
            }
        }
        Err((_, message)) => {
            let delay = backoff(job.attempts);
            tracing::info!(job = %job.id, attempts = job.attempts, retry_in_s = delay.as_secs(), error = %message, "will be retried");
            let next = state.now_ms() + delay.as_millis() as i64;
            taken_over(
                outbox::retry_later(&state.db, &job, next, &message).await?,
                &job,
            );
        }
    }
    Ok(())
}

/// Records what became of a recipient's notification: the address, never the content.
async fn audit_notification(state: &Outbox, recipient_id: &str, event: &str) -> anyhow::Result<()> {
    if let Some(recipient) = zegel_store::tracking::recipient_ref(&state.db, recipient_id).await? {
        let entry = zegel_store::audit::AuditEvent {
            tenant_id: Some(&recipient.tenant_id),
            message_id: Some(&recipient.message_id),
            actor: "system".to_owned(),
            event,
            detail: Some(format!("recipient:{}", recipient.email)),
            ..Default::default()
        };
        zegel_store::audit::append(&state.db, state.now_ms(), &entry).await?;
    }
    Ok(())
}

/// Runs the worker until the process ends: wakes when jobs are written, when a retry is due, and at
/// least every few seconds (other server instances may have written jobs).
pub fn spawn(state: Outbox) -> tokio::task::JoinHandle<()> {
    let wakeup: Arc<tokio::sync::Notify> = state.wakeup.clone();
    tokio::spawn(async move {
        loop {
            if let Err(error) = run_once(&state).await {
                tracing::error!(
                    error = format!("{error:#}"),
                    "outbox worker failed; retrying"
                );
            }
            if state.is_stopping() {
                return;
            }
            let wait = match outbox::next_due(&state.db).await {
                Ok(Some(due)) => {
                    Duration::from_millis((due - state.now_ms()).clamp(50, 5000) as u64)
                }
                _ => Duration::from_secs(5),
            };
            tokio::select! {
                _ = wakeup.notified() => {}
                _ = tokio::time::sleep(wait) => {}
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff(1), Duration::from_secs(5));
        assert_eq!(backoff(2), Duration::from_secs(10));
        assert_eq!(backoff(5), Duration::from_secs(80));
        assert_eq!(backoff(30), Duration::from_secs(7200));
    }
}
