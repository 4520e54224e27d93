//! Outgoing e-mail's transports: the built-in dev mailbox and an SMTP relay.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use lettre::message::{Mailbox, MultiPart, header};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

/// An e-mail ready to send. It travels sealed through the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutgoingEmail {
    /// The recipient address.
    pub to: String,
    /// The From header (a mailbox, possibly with a display name).
    pub from: String,
    /// Where replies go (the sender of the message).
    pub reply_to: Option<String>,
    /// The subject line.
    pub subject: String,
    /// The plain-text part.
    pub text: String,
    /// The HTML part.
    pub html: Option<String>,
    /// A unique id, used as the Message-ID so a retried send can be recognised as the same mail.
    pub message_id: String,
    /// The `X-Zegel-Message` header: the sender's own message this mail is about, for the pane's read
    /// mode (a reply's notice to the first message's sender names that message).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zegel_message: Option<String>,
}

/// The `X-Zegel-Message` header (ids are random hex: nothing to encode).
#[derive(Debug, Clone)]
struct ZegelMessage(String);

impl header::Header for ZegelMessage {
    fn name() -> header::HeaderName {
        header::HeaderName::new_from_ascii_str("X-Zegel-Message")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(s.trim().to_owned()))
    }

    fn display(&self) -> header::HeaderValue {
        header::HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// A failed send.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct SendError {
    /// The relay refused for good (5xx): retrying will not help.
    pub permanent: bool,
    /// The server answered with an SMTP reply (4xx or 5xx), as opposed to a connection, TLS or local
    /// failure: it is reachable, and may have refused only part of the envelope.
    pub answered: bool,
    /// What went wrong (no message content).
    pub message: String,
}

/// A mail kept by the dev transport.
#[derive(Debug, Clone, Serialize)]
pub struct DevMail {
    /// Recipient.
    pub to: String,
    /// From header.
    pub from: String,
    /// Subject.
    pub subject: String,
    /// Plain text.
    pub text: String,
    /// HTML.
    pub html: Option<String>,
    /// When it was "sent" (RFC 3339).
    pub at: String,
}

/// The built-in dev mailbox: the last mails, in memory only (never written to disk, as they hold
/// subjects and passwords).
#[derive(Debug, Default)]
pub struct DevMailbox {
    mails: Mutex<VecDeque<DevMail>>,
}

impl DevMailbox {
    const CAPACITY: usize = 500;

    /// All kept mails, oldest first.
    pub fn all(&self) -> Vec<DevMail> {
        self.mails
            .lock()
            .expect("mailbox lock poisoned")
            .iter()
            .cloned()
            .collect()
    }

    fn push(&self, mail: DevMail) {
        let mut mails = self.mails.lock().expect("mailbox lock poisoned");
        if mails.len() == Self::CAPACITY {
            mails.pop_front();
        }
        mails.push_back(mail);
    }
}

/// Where mail goes.
pub enum Mailer {
    /// The dev mailbox.
    Dev(DevMailbox),
    /// An SMTP relay.
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Dev(_) => "Mailer::Dev",
            Self::Smtp(_) => "Mailer::Smtp",
        })
    }
}

impl Mailer {
    /// The built-in dev mailbox (nothing leaves the process).
    pub fn dev() -> Self {
        Self::Dev(DevMailbox::default())
    }

    /// An SMTP relay at `host`:`port`, STARTTLS when offered, with `credentials` (user, password) when
    /// given. Must run inside a Tokio runtime (lettre's pool needs one).
    pub fn relay(
        host: &str,
        port: u16,
        credentials: Option<(&str, &SecretString)>,
    ) -> anyhow::Result<Self> {
        let tls = TlsParameters::new(host.to_owned())?;
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(port)
            .tls(Tls::Opportunistic(tls))
            .timeout(Some(Duration::from_secs(30)));
        if let Some((user, password)) = credentials {
            builder = builder.credentials(Credentials::new(
                user.to_owned(),
                password.expose_secret().to_owned(),
            ));
        }
        Ok(Self::Smtp(builder.build()))
    }

    /// A transport to the SMTP gateway's next hop (`ZEGEL_SMTP_NEXT_HOP`): plain SMTP, STARTTLS when
    /// offered, no credentials.
    pub fn next_hop(host: &str, port: u16) -> anyhow::Result<Self> {
        let tls = TlsParameters::new(host.to_owned())?;
        Ok(Self::Smtp(
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
                .port(port)
                .tls(Tls::Opportunistic(tls))
                .timeout(Some(Duration::from_secs(60)))
                .build(),
        ))
    }

    /// Sends a raw message unchanged with the given envelope (`from: None` is the null reverse path
    /// `<>`). The dev mailbox keeps one decoded copy per recipient.
    pub async fn send_raw(
        &self,
        from: Option<&str>,
        to: &[String],
        raw: &[u8],
    ) -> Result<(), SendError> {
        let permanent = |message: String| SendError {
            permanent: true,
            answered: false,
            message,
        };
        match self {
            Self::Dev(mailbox) => {
                let parsed = mail_parser::MessageParser::default().parse(raw);
                let from_header = parsed
                    .as_ref()
                    .and_then(|m| m.from())
                    .and_then(|a| a.first())
                    .and_then(|a| a.address())
                    .unwrap_or_default()
                    .to_owned();
                for recipient in to {
                    mailbox.push(DevMail {
                        to: recipient.clone(),
                        from: from_header.clone(),
                        subject: parsed
                            .as_ref()
                            .and_then(|m| m.subject())
                            .unwrap_or_default()
                            .to_owned(),
                        text: parsed
                            .as_ref()
                            .and_then(|m| m.body_text(0))
                            .map(|t| t.into_owned())
                            .unwrap_or_default(),
                        html: parsed
                            .as_ref()
                            .and_then(|m| m.body_html(0))
                            .map(|t| t.into_owned()),
                        at: jiff::Timestamp::now().to_string(),
                    });
                }
                Ok(())
            }
            Self::Smtp(transport) => {
                let from = match from {
                    Some(address) => Some(
                        address
                            .parse::<lettre::Address>()
                            .map_err(|e| permanent(format!("invalid sender: {e}")))?,
                    ),
                    None => None,
                };
                let to = to
                    .iter()
                    .map(|a| a.parse::<lettre::Address>())
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| permanent(format!("invalid recipient: {e}")))?;
                let envelope = lettre::address::Envelope::new(from, to)
                    .map_err(|e| permanent(format!("invalid envelope: {e}")))?;
                // lettre ends DATA with CRLF "." CRLF itself; the message's own final CRLF is that
                // first CRLF, so without this the receiver would get one line break more than we did.
                let raw = raw.strip_suffix(b"\r\n").unwrap_or(raw);
                transport
                    .send_raw(&envelope, raw)
                    .await
                    .map(|_| ())
                    .map_err(|error| SendError {
                        permanent: error.is_permanent(),
                        answered: error.status().is_some(),
                        message: format!("SMTP: {error}"),
                    })
            }
        }
    }

    /// Whether mail can leave: the SMTP relay answers a connection (within the transport's own
    /// timeout); the dev mailbox always can. For `/readyz`; the error names no address or secret.
    pub async fn check(&self) -> Result<(), String> {
        match self {
            Self::Dev(_) => Ok(()),
            Self::Smtp(transport) => match transport.test_connection().await {
                Ok(true) => Ok(()),
                Ok(false) => Err("the SMTP relay did not answer NOOP".to_owned()),
                Err(error) => Err(format!("the SMTP relay is unreachable: {error}")),
            },
        }
    }

    /// The dev mailbox, when that is the transport.
    pub fn dev_mailbox(&self) -> Option<&DevMailbox> {
        match self {
            Self::Dev(mailbox) => Some(mailbox),
            Self::Smtp(_) => None,
        }
    }

    /// Sends one e-mail.
    pub async fn send(&self, email: &OutgoingEmail) -> Result<(), SendError> {
        match self {
            Self::Dev(mailbox) => {
                mailbox.push(DevMail {
                    to: email.to.clone(),
                    from: email.from.clone(),
                    subject: email.subject.clone(),
                    text: email.text.clone(),
                    html: email.html.clone(),
                    at: jiff::Timestamp::now().to_string(),
                });
                Ok(())
            }
            Self::Smtp(transport) => {
                let message = build_message(email)?;
                transport
                    .send(message)
                    .await
                    .map(|_| ())
                    .map_err(|error| SendError {
                        permanent: error.is_permanent(),
                        answered: error.status().is_some(),
                        message: format!("SMTP: {error}"),
                    })
            }
        }
    }
}

fn build_message(email: &OutgoingEmail) -> Result<Message, SendError> {
    let permanent = |message: String| SendError {
        permanent: true,
        answered: false,
        message,
    };
    let from: Mailbox = email
        .from
        .parse()
        .map_err(|e| permanent(format!("invalid From: {e}")))?;
    let to: Mailbox = email
        .to
        .parse()
        .map_err(|e| permanent(format!("invalid To: {e}")))?;
    let mut builder = Message::builder()
        .from(from)
        .to(to)
        .subject(email.subject.clone())
        .message_id(Some(format!("<{}@zegel>", email.message_id)));
    if let Some(id) = &email.zegel_message {
        builder = builder.header(ZegelMessage(id.clone()));
    }
    if let Some(reply_to) = &email.reply_to {
        builder = builder.reply_to(
            reply_to
                .parse()
                .map_err(|e| permanent(format!("invalid Reply-To: {e}")))?,
        );
    }
    let result = match &email.html {
        Some(html) => builder.multipart(MultiPart::alternative_plain_html(
            email.text.clone(),
            html.clone(),
        )),
        None => builder
            .header(header::ContentType::TEXT_PLAIN)
            .body(email.text.clone()),
    };
    result.map_err(|e| permanent(format!("cannot build the e-mail: {e}")))
}
