//! Relay jobs: mail the gateway passes on unchanged. The raw bytes are sealed into the blob store (the
//! usual envelope format, context tenant / job id / `relay`), the outbox job carries the envelope; the
//! worker sends the bytes to the next hop with `send_raw`, and on a permanent refusal (or after
//! `MAX_ATTEMPTS`) writes a delivery status notification to the envelope sender. Either way the blob is
//! removed afterwards.
//!
//! Delivery is at least once: a crash between the next hop's `250` and the job's completion sends the
//! same bytes again, with the original's Message-ID as the receiver's idempotency key.

use bytes::Bytes;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use zegel_crypto::DataKey;

use crate::blobs::SealContext;
use crate::db::audit::{self, AuditEvent};
use crate::db::outbox::NewJob;
use crate::outbox::{Payload, seal_payload};
use crate::state::AppState;

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
    state: &AppState,
    tenant_id: &str,
    from: Option<&str>,
    to: Vec<String>,
    ip: Option<String>,
    raw: &[u8],
) -> std::io::Result<PreparedRelay> {
    let job_id = zegel_crypto::random_id();
    let keyring = state.keys.keyring();
    let mut upload = state.blobs.start_upload(
        keyring.clone(),
        &DataKey::generate(),
        context(tenant_id, &job_id),
    );
    let blob_id = upload.blob_id.clone();
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
        kind: "relay".to_owned(),
        purpose: "relay".to_owned(),
        recipient_id: None,
    };
    Ok(PreparedRelay { job, blob_id })
}

/// Reads a relay job's raw bytes.
async fn read(state: &AppState, job_id: &str, relay: &RelayJob) -> std::io::Result<Vec<u8>> {
    let mut stream = std::pin::pin!(state.blobs.open_plaintext(
        &relay.blob_id,
        state.keys.keyring(),
        context(&relay.tenant_id, job_id),
    ));
    let mut raw = Vec::new();
    while let Some(chunk) = stream.next().await {
        raw.extend_from_slice(&chunk?);
    }
    Ok(raw)
}

/// Sends a relay job to the next hop: `Err((permanent, message))` like every outbox send.
pub async fn send(state: &AppState, job_id: &str, relay: &RelayJob) -> Result<(), (bool, String)> {
    let raw = match read(state, job_id, relay).await {
        Ok(raw) => raw,
        Err(error) => {
            // A KEK added by rotation while we run: reload once.
            let _ = state.keys.reload();
            read(state, job_id, relay)
                .await
                .map_err(|_| (true, format!("the relayed message cannot be read: {error}")))?
        }
    };
    state
        .next_hop
        .send_raw(relay.from.as_deref(), &relay.to, &raw)
        .await
        .map_err(|e| (e.permanent, e.message))
}

/// After the next hop accepted: remove the blob, audit `gateway.relayed`.
pub async fn relayed(state: &AppState, job_id: &str, relay: &RelayJob) -> anyhow::Result<()> {
    state.blobs.delete(std::slice::from_ref(&relay.blob_id));
    append(state, relay, "gateway.relayed", job_id).await
}

/// After a permanent refusal or giving up: a DSN to the envelope sender (never for a bounce), then the
/// blob is removed and `gateway.bounced` audited.
pub async fn bounce(
    state: &AppState,
    job_id: &str,
    relay: &RelayJob,
    error: &str,
    permanent: bool,
) -> anyhow::Result<()> {
    if let Some(sender) = &relay.from {
        let headers = read(state, job_id, relay)
            .await
            .map(|raw| header_section(&raw).to_vec())
            .unwrap_or_default();
        let raw = dsn(state, job_id, relay, &headers, error, permanent);
        let mut conn = state.db.pool.acquire().await?;
        let dsn_id = zegel_crypto::random_id();
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
            kind: "email".to_owned(),
            purpose: "dsn".to_owned(),
            recipient_id: None,
        };
        crate::db::outbox::enqueue(&mut conn, &job, state.now_ms()).await?;
        state.outbox_wakeup.notify_one();
    }
    state.blobs.delete(std::slice::from_ref(&relay.blob_id));
    append(state, relay, "gateway.bounced", job_id).await
}

async fn append(
    state: &AppState,
    relay: &RelayJob,
    event: &'static str,
    job_id: &str,
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
            detail: Some(format!("relay:{job_id} recipients:{}", relay.to.len())),
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

/// An RFC 3464 delivery status notification: a human part, the machine-readable status per recipient,
/// and the original's headers (never its body).
fn dsn(
    state: &AppState,
    job_id: &str,
    relay: &RelayJob,
    headers: &[u8],
    error: &str,
    permanent: bool,
) -> String {
    let host = state.config.public_url.host_str().unwrap_or("zegel");
    let domain = state
        .config
        .mail_from
        .rsplit_once('@')
        .map(|(_, d)| d.trim_end_matches('>'))
        .unwrap_or(host)
        .to_owned();
    let boundary = format!("zegel-dsn-{job_id}");
    let now = jiff::Timestamp::from_millisecond(state.now_ms())
        .unwrap_or_else(|_| jiff::Timestamp::now());
    let date =
        jiff::fmt::rfc2822::to_string(&now.to_zoned(jiff::tz::TimeZone::UTC)).unwrap_or_default();
    let status = if permanent { "5.0.0" } else { "4.4.7" };
    let reason = one_line(error);
    let to = relay.from.clone().unwrap_or_default();
    let mut text = format!(
        "From: Mail Delivery System <mailer-daemon@{domain}>\r\n\
         To: <{to}>\r\n\
         Subject: Undelivered Mail Returned to Sender\r\n\
         Date: {date}\r\n\
         Message-ID: <dsn-{job_id}@{domain}>\r\n\
         Auto-Submitted: auto-replied\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=delivery-status; boundary=\"{boundary}\"\r\n\
         \r\n\
         --{boundary}\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         \r\n\
         Your message could not be delivered to these recipients:\r\n\r\n"
    );
    for recipient in &relay.to {
        text.push_str(&format!("  {recipient}\r\n"));
    }
    text.push_str(&format!(
        "\r\nReason: {reason}\r\n\r\n\
         --{boundary}\r\n\
         Content-Type: message/delivery-status\r\n\
         \r\n\
         Reporting-MTA: dns; {host}\r\n\
         X-Zegel-Relay-Job: {job_id}\r\n"
    ));
    for recipient in &relay.to {
        text.push_str(&format!(
            "\r\nFinal-Recipient: rfc822; {recipient}\r\n\
             Action: failed\r\n\
             Status: {status}\r\n\
             Diagnostic-Code: smtp; {reason}\r\n"
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
