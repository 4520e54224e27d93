//! The resumable uploader of the portal's pages (an upload request's page) as a wasm module of its own:
//! the pane's tus client (`zegel_web::upload`), authorised by the page's session cookie, so every page
//! uploads the same way.
use wasm_bindgen::prelude::*;
use zegel_web::api::{Api, ApiError};
use zegel_web::upload::{self, Source};

/// Uploads `file` (continuing a kept upload of the same file), calling `progress(bytes)` with what the
/// server holds after each step; resolves to the upload's id, or rejects with why, as a code the page
/// has words for: `session` (signed out), `network`, or the server's code (`too_large`,
/// `upload_quota`, ...).
/// With `as_sender`, the uploads are the browser sender's (`/send`), not a recipient's.
#[wasm_bindgen]
pub async fn upload(
    file: web_sys::File,
    progress: js_sys::Function,
    as_sender: bool,
) -> Result<String, JsValue> {
    let name = file.name();
    let source = Source {
        name: &name,
        blob: &file,
    };
    let report = |offset: u64| {
        let _ = progress.call1(&JsValue::NULL, &JsValue::from_f64(offset as f64));
    };
    let api = if as_sender {
        Api::sender_session()
    } else {
        Api::session()
    };
    api.upload(&source, &report).await.map_err(|error| {
        JsValue::from_str(match &error {
            ApiError::Unauthorized => "session",
            ApiError::Network(_) | ApiError::Missing => "network",
            ApiError::Refused { code, .. } => code,
        })
    })
}

/// Forgets the kept upload address of `file` (after the files were sent).
#[wasm_bindgen]
pub fn forget(file: web_sys::File) {
    let name = file.name();
    upload::forget(&[Source {
        name: &name,
        blob: &file,
    }]);
}

fn main() {}
