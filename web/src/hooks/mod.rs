//! The pane's effects: loading, following the draft, the content filter, the strength check, known
//! phone numbers and sending. Components stay pure views of the [`crate::state::State`].

/// Start-up: Office.js, the token, the settings, the draft.
pub mod boot;
/// Known 2FA numbers of the recipients.
pub mod phones;
/// Following the draft and the content filter's verdict on it.
pub mod scan;
/// Uploading and turning the draft into the notification.
pub mod send;
/// The lazily loaded password-strength check.
pub mod strength;

pub use boot::{use_boot, use_pane_memo};
pub use phones::{use_known_phones, use_phone_check};
pub use scan::use_scan;
pub use send::send;
pub use strength::use_strength;
