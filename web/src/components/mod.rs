//! The pane's views: function components that render the [`crate::state::State`] and dispatch
//! [`crate::state::Action`]s. Every control has a label a screen reader announces, and all of them work
//! with the keyboard alone (native inputs, buttons and radio groups).

/// The root: loading, sign-in and the steps of the flow.
pub mod app;
/// The file settings behind the gear.
pub mod file_settings;
/// Icons as inline SVG.
pub mod icon;
/// The read-mode pane: log & block.
pub mod logblock;
/// Kind and authentication pickers.
pub mod options;
/// The password choice and the strength ring.
pub mod password;
/// 2FA phone numbers.
pub mod phones;
/// Developer sign-in with a sender token.
pub mod signin;
/// The on/off switch.
pub mod toggle;
/// The upload request's summary and dialog.
pub mod upload_request;
/// The content filter's verdict.
pub mod verdict;
/// Confirming attachments and recipients, sending, and the result.
pub mod wizard;

pub use app::App;
pub use logblock::LogBlock;
