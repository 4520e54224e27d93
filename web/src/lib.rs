//! Zegel's Outlook task pane: Yew function components compiled to wasm32, served by the server under
//! `/addin/`.
//!
//! The pane reads the draft through [`office`] (the only door to Office.js), asks the server through
//! [`api`], keeps everything it shows in [`state`], and renders it with [`components`]. The password
//! strength check lives in a second wasm module (`src/bin/strength.rs`) loaded only at the password
//! step, because zxcvbn's dictionaries are larger than the whole pane.

use wasm_bindgen::prelude::*;

/// The typed client of the Zegel API.
pub mod api;
/// The views.
pub mod components;
/// Effects: loading, following the draft, scanning, strength, sending.
pub mod hooks;
/// Texts in Dutch, English and Swedish.
pub mod i18n;
/// The bindings to `js/office.js`, the pane's only access to Office.js.
pub mod office;
/// Mobile numbers for 2FA.
pub mod phone;
/// Signing in: Office single sign-on, else the developer token.
pub mod signin;
/// The state and its reducer.
pub mod state;
/// Resumable uploads of the draft's files (tus).
pub mod upload;
/// Words that reach the pane as codes: strength hints and server errors.
pub mod wording;

/// Renders a pane into the page's `#app` element: the log & block pane when the element says
/// `data-pane="logblock"` (`logblock.html`, read mode), else the compose pane. One wasm module serves
/// both, so the read pane adds only its own code to the download and nothing to load twice. A page
/// without `#app` (the portal's upload page, whose module links this library for its uploader) gets no
/// pane.
#[wasm_bindgen(start)]
pub fn start() {
    let root = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("app"));
    let Some(root) = root else {
        return;
    };
    if root.get_attribute("data-pane").as_deref() == Some("logblock") {
        yew::Renderer::<components::LogBlock>::with_root(root).render();
    } else {
        yew::Renderer::<components::App>::with_root(root).render();
    }
}
