//! The password-strength checker as a wasm module of its own.
use wasm_bindgen::prelude::*;

/// Judges a password.
#[wasm_bindgen]
pub fn check(password: &str, inputs: Vec<String>, min_score: u8) -> String {
    let inputs: Vec<&str> = inputs.iter().map(String::as_str).collect();
    serde_json::to_string(&zegel_core::password::check_strength(
        password, &inputs, min_score,
    ))
    .unwrap_or_default()
}

fn main() {}
