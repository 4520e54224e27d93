//! The end-to-end suite, one test binary: the real `zegel` binary against real parts (an SMTP receiver,
//! an SMS provider's HTTP endpoint, Python's and lettre's SMTP clients, headless Chromium), one module per
//! area, every one on the helpers of the `zegel_tests` library.

/// The Outlook add-in in Chromium: the compose pane, the on-send check, log & block, single sign-on.
mod addin;
/// Outlook's own Send while Zegel is on, and the words the sender reads.
mod addin_send;
/// The admin page in Chromium.
mod admin_page;
/// Blobs in S3-compatible storage: a 1 GiB file, a resumed upload, key rotation, nothing readable.
mod bucket;
/// Replying and the conversation in Chromium.
mod conversation;
/// The SMTP gateway: relaying, protecting, holding, surviving an outage.
mod gateway;
/// The notification and password mails on a phone and a desktop.
mod mail_layout;
/// A message from sender to recipient, the CLI, and what stays at rest and in the log.
mod messages;
/// The recipient's pages on a phone, in Dutch and Swedish.
mod recipient_pages;
/// Asking for files: the upload page in Chromium, through a broken connection.
mod requests;
/// `zegel scan` on the command line.
mod scan_cli;
/// `zegel scan` on photos and scanned PDFs, read by Tesseract.
mod scans;
/// Sending from the browser (`/send`) in Chromium.
mod send;
/// Two-factor access with an SMS provider that answers like Twilio.
mod two_factor;
/// Resumable uploads across `kill -9` of the server.
mod uploads;
