//! The mobile-number check as a wasm module of its own: `zegel_core::phone`, the server's rule, with
//! libphonenumber's metadata, loaded only when the sender chooses 2FA.
use wasm_bindgen::prelude::*;

/// Judges a number as typed (national numbers read in `country`); the verdict as JSON.
#[wasm_bindgen]
pub fn check(input: &str, country: &str) -> String {
    serde_json::to_string(&zegel_core::phone::check(input, country)).unwrap_or_default()
}

fn main() {}
