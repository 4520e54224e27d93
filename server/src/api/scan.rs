//! `POST /api/v1/scan`: what the content filter finds in a message and what the tenant's policy does
//! about it, without storing anything. The body is either JSON (subject, bodies, recipients, or just
//! `text`, and optionally `attachments: [{"name", "content_base64"}]` for clients without multipart,
//! such as classic Outlook's JavaScript-only runtime) or the same multipart as `POST /api/v1/messages`
//! (a `meta` part and `file` parts). Either way the attachments may carry at most [`MAX_SCAN_BYTES`].

use axum::Json;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::header::CONTENT_TYPE;
use base64::Engine as _;
use serde::Deserialize;
use serde_json::Value;

use crate::api::openapi::{ScanRequest, ScanUpload};
use crate::auth::Sender;
use crate::error::{AppError, JsonBody};
use crate::state::AppState;
use zegel_core::api::ErrorBody;
use zegel_service::scan::{Attachment, ScanInput, ScanOutcome, scan_message};

pub use zegel_service::scan::MAX_SCAN_BYTES;

/// The most bytes of a JSON scan request: [`MAX_SCAN_BYTES`] in base64 plus room for the texts. The
/// route's body limit must allow at least this much.
pub const MAX_JSON_SCAN_BYTES: usize = MAX_SCAN_BYTES / 3 * 4 + 8 * 1024 * 1024;

/// An attachment in a JSON scan request.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonAttachment {
    name: String,
    content_base64: String,
}

/// Scans a message.
#[utoipa::path(
    post, path = "/api/v1/scan", tag = "senders",
    request_body(description = "What to scan: JSON, or the same multipart as `POST /api/v1/messages`", content(
        (ScanRequest = "application/json"),
        (inline(ScanUpload) = "multipart/form-data"),
    )),
    responses(
        (status = 200, description = "What the content filter found and what the tenant's policy does about it; nothing is stored", body = ScanOutcome),
        (status = "4XX", description = "The request failed: `401` without a valid sign-in, `404` for what is not the caller's, `400`/`422` for a bad request (`invalid` names the field), `409`, `413`, `429` (with `Retry-After`)", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
#[tracing::instrument(skip_all)]
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
        let too_large = request
            .headers()
            .get(axum::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<usize>().ok())
            .is_some_and(|length| length > MAX_JSON_SCAN_BYTES);
        if too_large {
            return Err(too_large_json());
        }
        let JsonBody(body) = JsonBody::<Value>::from_request(request, &state).await?;
        let mut attachments = Vec::new();
        let input = split_attachments(body, "body", &mut attachments, &mut 0)?;
        (input, attachments)
    };
    let user = sender.0;
    let internal_domains =
        zegel_service::settings::internal_domains(&state, &user.tenant_id).await?;
    let policy = zegel_service::settings::content_filter(&state, &user.tenant_id).await?;
    let readers = state.readers.clone();
    let outcome = tokio::task::spawn_blocking(move || {
        scan_message(&policy, &input, &attachments, &internal_domains, &readers)
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
                let meta = serde_json::from_slice::<Value>(&bytes).map_err(|e| {
                    AppError::bad_request(
                        "malformed_json",
                        format!("the meta part is not valid JSON: {e}"),
                    )
                })?;
                input = Some(split_attachments(
                    meta,
                    "meta",
                    &mut attachments,
                    &mut total,
                )?);
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

fn too_large_json() -> AppError {
    AppError::TooLarge(format!(
        "a JSON scan request may be at most {MAX_JSON_SCAN_BYTES} bytes (attachments at most \
         {MAX_SCAN_BYTES} bytes); send large attachments as multipart file parts"
    ))
}

/// Takes `attachments` (base64 contents) out of a JSON scan body (`field` names it in errors), decodes them onto `out` counting
/// their bytes in `total` against [`MAX_SCAN_BYTES`], and reads the rest as a [`ScanInput`]. Errors
/// name the field: `attachments[1].content_base64`.
fn split_attachments(
    mut body: Value,
    field: &str,
    out: &mut Vec<Attachment>,
    total: &mut usize,
) -> Result<ScanInput, AppError> {
    let listed = body
        .as_object_mut()
        .and_then(|fields| fields.remove("attachments"));
    let input = serde_json::from_value::<ScanInput>(body)
        .map_err(|e| AppError::invalid(field, e.to_string()))?;
    let listed: Vec<JsonAttachment> = match listed {
        None | Some(Value::Null) => Vec::new(),
        Some(list) => serde_json::from_value(list)
            .map_err(|e| AppError::invalid("attachments", e.to_string()))?,
    };
    for (i, attachment) in listed.into_iter().enumerate() {
        // Base64 as Outlook and MIME write it: line breaks are allowed, anything else is an error.
        let compact: String = attachment
            .content_base64
            .chars()
            .filter(|c| !c.is_ascii_whitespace())
            .collect();
        if total.saturating_add(compact.len() / 4 * 3) > MAX_SCAN_BYTES + 2 {
            return Err(AppError::TooLarge(format!(
                "a scan request may carry at most {MAX_SCAN_BYTES} bytes of attachments"
            )));
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(compact.as_bytes())
            .map_err(|e| {
                AppError::invalid(
                    format!("attachments[{i}].content_base64"),
                    format!("not valid base64: {e}"),
                )
            })?;
        *total += bytes.len();
        if *total > MAX_SCAN_BYTES {
            return Err(AppError::TooLarge(format!(
                "a scan request may carry at most {MAX_SCAN_BYTES} bytes of attachments"
            )));
        }
        if attachment.name.trim().is_empty() {
            return Err(AppError::invalid(
                format!("attachments[{i}].name"),
                "every attachment needs a name",
            ));
        }
        out.push(Attachment {
            name: attachment.name,
            bytes,
        });
    }
    Ok(input)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_attachments_count_against_the_same_limit_as_multipart() {
        let body = serde_json::json!({"attachments": [{"name": "a.txt", "content_base64": "aGVsbG8gd29ybGQh"}]});
        let mut out = Vec::new();
        let mut total = MAX_SCAN_BYTES - 11;
        let refused = split_attachments(body.clone(), "body", &mut out, &mut total);
        assert!(matches!(refused, Err(AppError::TooLarge(_))));
        let (mut out, mut total) = (Vec::new(), MAX_SCAN_BYTES - 12);
        split_attachments(body, "body", &mut out, &mut total).unwrap();
        assert_eq!(
            (out[0].name.as_str(), out[0].bytes.as_slice()),
            ("a.txt", &b"hello world!"[..])
        );
        assert_eq!(total, MAX_SCAN_BYTES);
    }
}
