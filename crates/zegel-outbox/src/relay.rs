//! Relay jobs: mail the gateway passes on unchanged. The raw bytes are sealed into the blob store (the
//! usual envelope format, context tenant / job id / `relay`), the outbox job carries the envelope; the
//! worker sends the bytes to the next hop with `send_raw` (`process`). Outcomes are per recipient: when
//! the next hop refuses part of the envelope, each recipient is tried on its own; the refused ones (and
//! those still failing after `MAX_ATTEMPTS`) get one delivery status notification to the envelope
//! sender, the ones failing for now stay in the job for a retry. The blob is removed once no recipient
//! is left.
//!
//! Delivery is at least once: a crash between the next hop's `250` and the job's completion sends the
//! same bytes again, with the original's Message-ID as the receiver's idempotency key.

use bytes::Bytes;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use zegel_crypto::DataKey;

use crate::{MAX_ATTEMPTS, Outbox, Payload, backoff, seal_payload};
use zegel_store::audit::{self, AuditEvent};
use zegel_store::outbox::{self, ClaimedJob, NewJob};
use zegel_vault::blobs::SealContext;
use zegel_vault::{Blobs, Keys};

/// What a relay job carries (sealed in the outbox like every payload).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RelayJob {
    /// The sender's tenant (`-` for a bounce passing through), for the blob's context and the audit.
    pub tenant_id: String,
    /// The envelope sender; `None` is the null reverse path `<>`.
    pub from: Option<String>,
    /// The envelope recipients.
    pub to: Vec<String>,
    /// The blob with the raw message.
    pub blob_id: String,
    /// The client's address, for the audit trail.
    #[serde(default)]
    pub ip: Option<String>,
}

fn context(tenant_id: &str, job_id: &str) -> SealContext {
    SealContext {
        tenant: tenant_id.to_owned(),
        message: job_id.to_owned(),
        file: "relay".to_owned(),
    }
}

/// A relay job ready to be written: its blob is sealed and fsynced in `tmp/` (the caller commits it
/// before the transaction, and deletes it on failure).
pub struct PreparedRelay {
    /// The outbox row.
    pub job: NewJob,
    /// The blob to commit.
    pub blob_id: String,
}

/// Seals `raw` into a new blob and builds the relay job for it.
pub async fn prepare(
    keys: &Keys,
    blobs: &Blobs,
    tenant_id: &str,
    from: Option<&str>,
    to: Vec<String>,
    ip: Option<String>,
    raw: &[u8],
) -> std::io::Result<PreparedRelay> {
    let job_id = zegel_crypto::random_id();
    let keyring = keys.keyring();
    let mut upload = blobs.start_upload(
        keyring.clone(),
        &DataKey::generate(),
        context(tenant_id, &job_id),
    );
    let blob_id = upload.blob_id().to_owned();
    upload.write(Bytes::copy_from_slice(raw)).await?;
    upload.finish().await?;
    let relay = RelayJob {
        tenant_id: tenant_id.to_owned(),
        from: from.map(str::to_owned),
        to,
        blob_id: blob_id.clone(),
        ip,
    };
    let job = NewJob {
        sealed_payload: seal_payload(&keyring, &job_id, &Payload::Relay(relay)),
        id: job_id,
        kind: zegel_store::JobKind::Relay,
        purpose: zegel_store::JobPurpose::Relay,
        recipient_id: None,
    };
    Ok(PreparedRelay { job, blob_id })
}

/// Reads a relay job's raw bytes.
async fn read(state: &Outbox, job_id: &str, relay: &RelayJob) -> std::io::Result<Vec<u8>> {
    let mut stream = std::pin::pin!(state.blobs.open_plaintext(
        &relay.blob_id,
        state.keys.clone(),
        context(&relay.tenant_id, job_id),
    ));
    let mut raw = Vec::new();
    while let Some(chunk) = stream.next().await {
        raw.extend_from_slice(&chunk?);
    }
    Ok(raw)
}

/// One recipient the next hop did not take.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Failure {
    recipient: String,
    /// The next hop's answer (or what else went wrong).
    reason: String,
    /// Refused for good (`5.0.0`), else given up after temporary failures (`4.4.7`).
    permanent: bool,
}

/// What became of one attempt, per recipient.
#[derive(Debug, Default)]
struct Outcome {
    /// Accepted by the next hop.
    delivered: Vec<String>,
    /// Refused for good: (recipient, reason).
    refused: Vec<(String, String)>,
    /// Failed for now: (recipient, reason), kept for the next attempt.
    deferred: Vec<(String, String)>,
}

impl Outcome {
    /// Every recipient ended the same way.
    fn all(relay: &RelayJob, result: Result<(), (bool, String)>) -> Self {
        let with = |reason: &str| {
            relay
                .to
                .iter()
                .map(|r| (r.clone(), reason.to_owned()))
                .collect::<Vec<_>>()
        };
        match result {
            Ok(()) => Self {
                delivered: relay.to.clone(),
                ..Self::default()
            },
            Err((true, reason)) => Self {
                refused: with(&reason),
                ..Self::default()
            },
            Err((false, reason)) => Self {
                deferred: with(&reason),
                ..Self::default()
            },
        }
    }
}

/// Reads the raw bytes (the blob store reloads the keys once for a KEK added by rotation while we run).
async fn read_raw(state: &Outbox, job_id: &str, relay: &RelayJob) -> Result<Vec<u8>, String> {
    read(state, job_id, relay)
        .await
        .map_err(|error| format!("the relayed message cannot be read: {error}"))
}

/// Works on a claimed relay job: sends it to the next hop and settles the job.
///
/// The whole envelope is tried first. lettre gives up the transaction at the first refused RCPT, so
/// when that fails for more than one recipient and the next hop answered (or the failure is
/// permanent), each recipient is tried on its own: the accepted ones are done, the refused ones get
/// one DSN, and the ones failing for now stay in the job (its payload shrinks to them) for a retry, so
/// nobody already accepted is sent the mail again. A single recipient's job ends as its one send does.
pub async fn process(state: &Outbox, job: &ClaimedJob, relay: &RelayJob) -> anyhow::Result<()> {
    let raw = match read_raw(state, &job.id, relay).await {
        Ok(raw) => raw,
        Err(message) => {
            let outcome = Outcome::all(relay, Err((true, message)));
            return settle(state, job, relay, &[], outcome).await;
        }
    };
    let outcome = match state
        .next_hop
        .send_raw(relay.from.as_deref(), &relay.to, &raw)
        .await
    {
        Ok(()) => Outcome::all(relay, Ok(())),
        Err(error) if relay.to.len() > 1 && (error.permanent || error.answered) => {
            tracing::info!(job = %job.id, recipients = relay.to.len(), error = %error.message,
                "the next hop refused the envelope; trying recipient by recipient");
            one_by_one(state, job, relay, &raw).await?
        }
        Err(error) => Outcome::all(relay, Err((error.permanent, error.message))),
    };
    settle(state, job, relay, header_section(&raw), outcome).await
}

/// Sends to each recipient on its own. After each acceptance the job's payload drops that recipient,
/// so a crash before the job is settled does not send it a second copy.
async fn one_by_one(
    state: &Outbox,
    job: &ClaimedJob,
    relay: &RelayJob,
    raw: &[u8],
) -> anyhow::Result<Outcome> {
    let mut outcome = Outcome::default();
    // A failure without an SMTP answer (connection, timeout): the next hop is gone for now, and the
    // recipients not tried yet wait for the next attempt.
    let mut unreachable: Option<String> = None;
    for recipient in &relay.to {
        if let Some(reason) = &unreachable {
            outcome.deferred.push((recipient.clone(), reason.clone()));
            continue;
        }
        match state
            .next_hop
            .send_raw(relay.from.as_deref(), std::slice::from_ref(recipient), raw)
            .await
        {
            Ok(()) => {
                outcome.delivered.push(recipient.clone());
                let rest: Vec<String> = relay
                    .to
                    .iter()
                    .filter(|r| !outcome.delivered.contains(r))
                    .cloned()
                    .collect();
                save_recipients(state, &job.id, relay, rest).await?;
            }
            Err(error) if error.permanent => {
                outcome.refused.push((recipient.clone(), error.message));
            }
            Err(error) => {
                if !error.answered {
                    unreachable = Some(error.message.clone());
                }
                outcome.deferred.push((recipient.clone(), error.message));
            }
        }
    }
    Ok(outcome)
}

/// Replaces the job's recipients in its sealed payload.
async fn save_recipients(
    state: &Outbox,
    job_id: &str,
    relay: &RelayJob,
    to: Vec<String>,
) -> anyhow::Result<()> {
    let remaining = RelayJob {
        to,
        ..relay.clone()
    };
    let sealed = seal_payload(&state.keys.keyring(), job_id, &Payload::Relay(remaining));
    zegel_store::outbox::update_payload(&state.db, job_id, &sealed).await?;
    Ok(())
}

/// Ends an attempt: one DSN for the recipients refused (and those given up after `MAX_ATTEMPTS`), then
/// either keeps the job for the recipients failing for now or finishes it (completed when every
/// recipient was accepted, else given up as a record of the failure) and removes the blob, then audits
/// `gateway.relayed` / `gateway.bounced` with the number of recipients each.
async fn settle(
    state: &Outbox,
    job: &ClaimedJob,
    relay: &RelayJob,
    headers: &[u8],
    outcome: Outcome,
) -> anyhow::Result<()> {
    let Outcome {
        delivered,
        refused,
        deferred,
    } = outcome;
    let give_up = !deferred.is_empty() && job.attempts >= MAX_ATTEMPTS;
    let mut failed: Vec<Failure> = refused
        .into_iter()
        .map(|(recipient, reason)| Failure {
            recipient,
            reason,
            permanent: true,
        })
        .collect();
    if give_up {
        failed.extend(deferred.iter().map(|(recipient, reason)| Failure {
            recipient: recipient.clone(),
            reason: reason.clone(),
            permanent: false,
        }));
    }
    // The DSN first: a failure after it at worst sends it twice, never loses it.
    if !failed.is_empty() {
        tracing::warn!(job = %job.id, attempts = job.attempts, recipients = failed.len(),
            error = %failed[0].reason, "relay given up");
        bounce(state, &job.id, relay, headers, &failed).await?;
    }
    // Then the job, before the audit: an audit failure must not send the mail again.
    if let (false, Some((_, reason))) = (give_up, deferred.first()) {
        if deferred.len() < relay.to.len() {
            let to = deferred.iter().map(|(r, _)| r.clone()).collect();
            save_recipients(state, &job.id, relay, to).await?;
        }
        let delay = backoff(job.attempts);
        tracing::info!(job = %job.id, attempts = job.attempts, recipients = deferred.len(),
            retry_in_s = delay.as_secs(), error = %reason, "will be retried");
        let next = state.now_ms() + delay.as_millis() as i64;
        crate::taken_over(
            outbox::retry_later(&state.db, job, next, reason).await?,
            job,
        );
    } else {
        match failed.first() {
            None => crate::taken_over(outbox::complete(&state.db, job).await?, job),
            Some(first) if relay.to.len() == 1 => {
                crate::taken_over(outbox::give_up(&state.db, job, &first.reason).await?, job)
            }
            Some(first) => {
                let error = format!(
                    "{} of {} recipients failed: {}",
                    failed.len(),
                    relay.to.len(),
                    first.reason
                );
                crate::taken_over(outbox::give_up(&state.db, job, &error).await?, job)
            }
        }
        state
            .blobs
            .delete(std::slice::from_ref(&relay.blob_id))
            .await;
    }
    if !delivered.is_empty() {
        tracing::info!(job = %job.id, recipients = delivered.len(), "handed to the next hop");
        append(state, relay, "gateway.relayed", &job.id, delivered.len()).await?;
    }
    if !failed.is_empty() {
        append(state, relay, "gateway.bounced", &job.id, failed.len()).await?;
    }
    Ok(())
}

/// Writes a DSN for `failed` to the envelope sender (never for a bounce).
async fn bounce(
    state: &Outbox,
    job_id: &str,
    relay: &RelayJob,
    headers: &[u8],
    failed: &[Failure],
) -> anyhow::Result<()> {
    if let Some(sender) = &relay.from {
        let dsn_id = zegel_crypto::random_id();
        let raw = dsn(state, job_id, &dsn_id, sender, headers, failed);
        let job = NewJob {
            sealed_payload: seal_payload(
                &state.keys.keyring(),
                &dsn_id,
                &Payload::Dsn {
                    to: sender.clone(),
                    raw,
                },
            ),
            id: dsn_id,
            kind: zegel_store::JobKind::Email,
            purpose: zegel_store::JobPurpose::Dsn,
            recipient_id: None,
        };
        let mut conn = state.db.pool.acquire().await?;
        outbox::enqueue(&mut conn, &job, state.now_ms()).await?;
        state.wakeup.notify_one();
    }
    Ok(())
}

async fn append(
    state: &Outbox,
    relay: &RelayJob,
    event: &'static str,
    job_id: &str,
    recipients: usize,
) -> anyhow::Result<()> {
    let tenant = (relay.tenant_id != "-").then_some(relay.tenant_id.as_str());
    audit::append(
        &state.db,
        state.now_ms(),
        &AuditEvent {
            tenant_id: tenant,
            message_id: None,
            actor: format!("sender:{}", relay.from.as_deref().unwrap_or("<>")),
            event,
            detail: Some(format!("relay:{job_id} recipients:{recipients}")),
            ip: relay.ip.clone(),
            ..Default::default()
        },
    )
    .await?;
    Ok(())
}

/// The header section of a raw message (up to the first empty line).
fn header_section(raw: &[u8]) -> &[u8] {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| p + 2)
        .or_else(|| raw.windows(2).position(|w| w == b"\n\n").map(|p| p + 1))
        .unwrap_or(raw.len());
    &raw[..end]
}

/// One line, printable ASCII only (diagnostics from remote servers go into a header-like field).
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                ' '
            }
        })
        .take(900)
        .collect()
}

/// An RFC 3464 delivery status notification: a human part, the machine-readable status per failed
/// recipient, and the original's headers (never its body).
fn dsn(
    state: &Outbox,
    job_id: &str,
    dsn_id: &str,
    to: &str,
    headers: &[u8],
    failed: &[Failure],
) -> String {
    let host = state.hostname.as_str();
    let domain = state
        .mail_from
        .rsplit_once('@')
        .map(|(_, d)| d.trim_end_matches('>'))
        .unwrap_or(host)
        .to_owned();
    let now = jiff::Timestamp::from_millisecond(state.now_ms())
        .unwrap_or_else(|_| jiff::Timestamp::now());
    let date =
        jiff::fmt::rfc2822::to_string(&now.to_zoned(jiff::tz::TimeZone::UTC)).unwrap_or_default();
    let boundary = format!("zegel-dsn-{dsn_id}");
    let mut text = format!(
        "From: Mail Delivery System <mailer-daemon@{domain}>\r\n\
         To: <{to}>\r\n\
         Subject: Undelivered Mail Returned to Sender\r\n\
         Date: {date}\r\n\
         Message-ID: <dsn-{dsn_id}@{domain}>\r\n\
         Auto-Submitted: auto-replied\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=delivery-status; boundary=\"{boundary}\"\r\n\
         \r\n\
         --{boundary}\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         \r\n\
         Your message could not be delivered to these recipients:\r\n"
    );
    for failure in failed {
        text.push_str(&format!(
            "\r\n  {}\r\n  Reason: {}\r\n",
            failure.recipient,
            one_line(&failure.reason)
        ));
    }
    text.push_str(&format!(
        "\r\n--{boundary}\r\n\
         Content-Type: message/delivery-status\r\n\
         \r\n\
         Reporting-MTA: dns; {host}\r\n\
         X-Zegel-Relay-Job: {job_id}\r\n"
    ));
    for failure in failed {
        let status = if failure.permanent { "5.0.0" } else { "4.4.7" };
        text.push_str(&format!(
            "\r\nFinal-Recipient: rfc822; {}\r\n\
             Action: failed\r\n\
             Status: {status}\r\n\
             Diagnostic-Code: smtp; {}\r\n",
            failure.recipient,
            one_line(&failure.reason)
        ));
    }
    text.push_str(&format!(
        "\r\n--{boundary}\r\nContent-Type: text/rfc822-headers\r\n\r\n"
    ));
    text.push_str(&String::from_utf8_lossy(headers));
    if !text.ends_with("\r\n") {
        text.push_str("\r\n");
    }
    text.push_str(&format!("\r\n--{boundary}--\r\n"));
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_section_stops_at_the_blank_line() {
        assert_eq!(
            header_section(b"Subject: x\r\nTo: y\r\n\r\nbody\r\n"),
            b"Subject: x\r\nTo: y\r\n"
        );
        assert_eq!(header_section(b"Subject: x\n\nbody"), b"Subject: x\n");
        assert_eq!(header_section(b"no body"), b"no body");
    }

    #[test]
    fn diagnostics_are_one_printable_line() {
        assert_eq!(one_line("550 no\r\nInjected: yes"), "550 no  Injected: yes");
    }
}
