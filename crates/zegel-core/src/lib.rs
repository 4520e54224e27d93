//! Zegel's domain types and policy decisions.
//!
//! Pure code only: no I/O, no async runtime. It compiles to `wasm32-unknown-unknown` so the Outlook task
//! pane and the server share one set of rules: what a valid message request is, how addresses are
//! masked, when a password is strong enough, and what the content filter's findings mean.

/// E-mail addresses: validation, normalisation and masking for display.
pub mod address;
/// The JSON of the sender API that the server writes and the task pane reads, declared once.
pub mod api;
/// Replies and conversations: the JSON both sides read.
pub mod conversation;
/// File names as recipients see them: spoofing neutralised, the real extension visible.
pub mod file_name;
/// Dates, times and sizes in each language.
pub mod format;
/// The message a sender asks for: kinds, protection levels, recipients and their validation.
pub mod message;
/// Password strength, judged the same way in the pane and on the server.
pub mod password;
/// Mobile numbers for 2FA, judged the same way in the pane and on the server.
pub mod phone;
/// The content-filter policy: from findings to a protection decision.
pub mod policy;
/// Upload portals: the admin's document, its validation and the visitor's JSON.
pub mod portal;
/// A tenant's settings: validation, what senders see, and their enforcement on message requests.
pub mod settings;
/// Asking for files: upload requests, the templates a tenant prepares for them, and what recipients may
/// send in answer.
pub mod upload_request;

pub use message::{AuthLevel, Deliver, Language, MessageKind, MessageRequest, RecipientKind};
