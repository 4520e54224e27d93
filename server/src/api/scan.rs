//! `POST /api/v1/scan`: what the content filter finds in a message and what the tenant's policy does
//! about it, without storing anything. The body is either JSON (subject, bodies, recipients, or just
//! `text`) or the same multipart as `POST /api/v1/messages` (a `meta` part and `file` parts).

use axum::Json;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::header::CONTENT_TYPE;

use crate::auth::Sender;
use crate::error::{AppError, JsonBody};
use crate::scan::{Attachment, ScanInput, ScanOutcome, scan_message};
use crate::state::AppState;

/// The most bytes of attachments one scan request may carry.
pub const MAX_SCAN_BYTES: usize = 100 * 1024 * 1024;

/// Scans a message.
#[tracing::instrument(skip_all, err)]
pub async fn scan(
    State(state): State<AppState>,
    sender: Sender,
    request: Request,
) -> Result<Json<ScanOutcome>, AppError> {
    let is_multipart = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let (input, attachments) = if is_multipart {
        let multipart = Multipart::from_request(request, &state)
            .await
            .map_err(|r| AppError::bad_request("malformed_multipart", r.body_text()))?;
        read_multipart(multipart).await?
    } else {
        let JsonBody(input) = JsonBody::<ScanInput>::from_request(request, &state).await?;
        (input, Vec::new())
    };
    let user = sender.0;
    let internal_domains = crate::settings::internal_domains(&state, &user.tenant_id).await?;
    let policy = crate::settings::content_filter(&state, &user.tenant_id).await?;
    let pdf = state.pdf_reader.clone();
    let outcome = tokio::task::spawn_blocking(move || {
        scan_message(&policy, &input, &attachments, &internal_domains, &pdf)
    })
    .await
    .map_err(AppError::internal)?;
    Ok(Json(outcome))
}

async fn read_multipart(
    mut multipart: Multipart,
) -> Result<(ScanInput, Vec<Attachment>), AppError> {
    let malformed = |e: axum::extract::multipart::MultipartError| {
        AppError::bad_request("malformed_multipart", e.body_text())
    };
    let mut input = None;
    let mut attachments = Vec::new();
    let mut total = 0usize;
    while let Some(mut field) = multipart.next_field().await.map_err(malformed)? {
        let name = field.name().map(str::to_owned);
        let file_name = field.file_name().map(str::to_owned);
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(malformed)? {
            total += chunk.len();
            if total > MAX_SCAN_BYTES {
                return Err(AppError::TooLarge(format!(
                    "a scan request may carry at most {MAX_SCAN_BYTES} bytes"
                )));
            }
            bytes.extend_from_slice(&chunk);
        }
        match name.as_deref() {
            Some("meta") => {
                input = Some(serde_json::from_slice::<ScanInput>(&bytes).map_err(|e| {
                    if e.is_data() {
                        AppError::invalid("meta", e.to_string())
                    } else {
                        AppError::bad_request(
                            "malformed_json",
                            format!("the meta part is not valid JSON: {e}"),
                        )
                    }
                })?);
            }
            Some("file") => {
                let name = file_name
                    .ok_or_else(|| AppError::invalid("file", "every file part needs a filename"))?;
                attachments.push(Attachment { name, bytes });
            }
            other => {
                return Err(AppError::bad_request(
                    "unknown_part",
                    format!(
                        "unexpected part '{}': send a 'meta' part and 'file' parts",
                        other.unwrap_or("")
                    ),
                ));
            }
        }
    }
    let input = input.ok_or_else(|| AppError::invalid("meta", "the meta part is missing"))?;
    Ok((input, attachments))
}
