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
/// The state and its reducer.
pub mod state;

/// Renders the pane into the page's `#app` element.
#[wasm_bindgen(start)]
pub fn start() {
    let root = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("app"));
    match root {
        Some(root) => {
            yew::Renderer::<components::App>::with_root(root).render();
        }
        None => {
            yew::Renderer::<components::App>::new().render();
        }
    }
}
