//! What Zegel says and how it gets there: the e-mails it writes ([`render`]) in Dutch, English and
//! Swedish ([`i18n`], and [`held`] for held two-factor messages), the transports that carry them
//! ([`Mailer`]: the built-in dev mailbox or an SMTP relay), and SMS codes ([`sms`]).
//!
//! Nothing here knows the database or the HTTP server: callers hand in what to say and to whom.

pub mod held;
pub mod i18n;
pub mod notices;
pub mod render;
pub mod requests;
pub mod sms;
mod transport;

pub use transport::{DevMail, DevMailbox, Mailer, OutgoingEmail, SendError};
