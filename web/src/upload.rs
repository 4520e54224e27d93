//! Resumable uploads from the pane: tus 1.0.0 (`/api/v1/uploads`) over `fetch`, one 8 MiB slice of the
//! file (`Blob.slice`) per `PATCH`, so the pane holds one slice whatever the file's size.
//!
//! - After a network drop the upload asks the server where it stands (`HEAD`) and goes on from there,
//!   waiting a little longer each time, until a few tries in a row bring nothing.
//! - After a reload of the pane the same file (its name and size) continues its upload: its
//!   address is kept in the pane's `localStorage` until the message that uses it is sent.
//! - The server's offset is the truth: it may take less than a slice (it keeps whole encrypted
//!   chunks only), and the next `PATCH` starts where it says.

use std::time::Duration;

use base64::Engine;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::api::{Api, ApiError, network, refusal};

/// The bytes sent per `PATCH`.
const SLICE: u64 = 8 * 1024 * 1024;
/// Network failures in a row (without progress) after which the upload gives up.
const TRIES: u32 = 6;
/// The endpoint.
const UPLOADS: &str = "/api/v1/uploads";

/// A file to upload: its name, type and contents.
pub struct Source<'a> {
    /// The file name (sent in `Upload-Metadata`, sealed on the server).
    pub name: &'a str,
    /// The blob.
    pub blob: &'a web_sys::Blob,
}

impl Source<'_> {
    fn size(&self) -> u64 {
        self.blob.size() as u64
    }

    /// What identifies the file across a reload of the pane.
    fn key(&self) -> String {
        format!("zegel.upload.{}.{}", self.size(), self.name)
    }
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// Forgets the kept upload addresses of `sources` (after the message that used them was sent).
pub fn forget(sources: &[Source<'_>]) {
    if let Some(storage) = storage() {
        for source in sources {
            let _ = storage.remove_item(&source.key());
        }
    }
}

async fn sleep(duration: Duration) {
    let millis = i32::try_from(duration.as_millis()).unwrap_or(i32::MAX);
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, millis);
        }
    });
    let _ = JsFuture::from(promise).await;
}

fn header(response: &web_sys::Response, name: &str) -> Option<String> {
    response.headers().get(name).ok().flatten()
}

fn offset_of(response: &web_sys::Response) -> Result<u64, ApiError> {
    header(response, "Upload-Offset")
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| ApiError::Network("the server sent no Upload-Offset".to_owned()))
}

impl Api {
    /// One tus request with the client's credentials: `Err(Network)` only when the server could not be
    /// reached (worth trying again); an answer with an error status is a refusal.
    async fn tus(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: Option<&JsValue>,
    ) -> Result<web_sys::Response, ApiError> {
        let init = web_sys::RequestInit::new();
        init.set_method(method);
        let all = self.headers().await?;
        all.set("Tus-Resumable", "1.0.0").map_err(network)?;
        for (name, value) in headers {
            all.set(name, value).map_err(network)?;
        }
        init.set_headers(&all);
        if let Some(body) = body {
            init.set_body(body);
        }
        let request = web_sys::Request::new_with_str_and_init(url, &init).map_err(network)?;
        let window = web_sys::window().ok_or_else(|| ApiError::Network("no window".to_owned()))?;
        let response: web_sys::Response = JsFuture::from(window.fetch_with_request(&request))
            .await
            .map_err(network)?
            .dyn_into()
            .map_err(network)?;
        match response.status() {
            200..=299 => Ok(response),
            401 | 403 => Err(ApiError::Unauthorized),
            status => {
                let text = match response.text() {
                    Ok(promise) => JsFuture::from(promise)
                        .await
                        .ok()
                        .and_then(|t| t.as_string())
                        .unwrap_or_default(),
                    Err(_) => String::new(),
                };
                Err(refusal(status, &text))
            }
        }
    }

    /// Where a kept upload of `source` stands, if the server still has it unfinished.
    async fn resumable(&self, source: &Source<'_>) -> Option<(String, u64)> {
        let url = storage()?.get_item(&source.key()).ok()??;
        let response = self.tus("HEAD", &url, &[], None).await.ok()?;
        let length: u64 = header(&response, "Upload-Length")?.parse().ok()?;
        let offset = offset_of(&response).ok()?;
        (length == source.size()).then_some((url, offset))
    }

    async fn create(&self, source: &Source<'_>) -> Result<String, ApiError> {
        let b64 = |text: &str| base64::engine::general_purpose::STANDARD.encode(text);
        let kind = source.blob.type_();
        let mut metadata = format!("filename {}", b64(source.name));
        if !kind.is_empty() {
            metadata.push_str(&format!(",filetype {}", b64(&kind)));
        }
        let length = source.size().to_string();
        let response = self
            .tus(
                "POST",
                UPLOADS,
                &[("Upload-Length", &length), ("Upload-Metadata", &metadata)],
                None,
            )
            .await?;
        let url = header(&response, "Location")
            .ok_or_else(|| ApiError::Network("the server sent no Location".to_owned()))?;
        if let Some(storage) = storage() {
            let _ = storage.set_item(&source.key(), &url);
        }
        Ok(url)
    }

    /// Uploads `source` (continuing a kept upload of the same file), telling `progress` the bytes the
    /// server holds after each step; answers the upload's id for the message's `uploads`.
    pub async fn upload(
        &self,
        source: &Source<'_>,
        progress: &dyn Fn(u64),
    ) -> Result<String, ApiError> {
        let size = source.size();
        let (url, mut offset) = match self.resumable(source).await {
            Some(kept) => kept,
            None => (self.create(source).await?, 0),
        };
        progress(offset);
        let mut failures = 0;
        while offset < size {
            let end = (offset + SLICE).min(size);
            let slice = source
                .blob
                .slice_with_f64_and_f64(offset as f64, end as f64)
                .map_err(network)?;
            let sent_offset = offset.to_string();
            let patch = self
                .tus(
                    "PATCH",
                    &url,
                    &[
                        ("Content-Type", "application/offset+octet-stream"),
                        ("Upload-Offset", &sent_offset),
                    ],
                    Some(&slice),
                )
                .await;
            match patch {
                Ok(response) => {
                    offset = offset_of(&response)?;
                    failures = 0;
                }
                // The connection broke (or another request still held the upload): ask where it
                // stands and go on from there after a pause.
                Err(ApiError::Network(_) | ApiError::Refused { status: 409, .. })
                    if failures < TRIES =>
                {
                    failures += 1;
                    sleep(Duration::from_millis(500 << failures)).await;
                    if let Ok(response) = self.tus("HEAD", &url, &[], None).await {
                        offset = offset_of(&response)?;
                    }
                }
                Err(error) => return Err(error),
            }
            progress(offset);
        }
        Ok(url.rsplit('/').next().unwrap_or_default().to_owned())
    }
}
