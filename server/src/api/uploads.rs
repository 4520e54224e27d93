//! Resumable uploads over tus 1.0.0 (core, creation, termination, expiration) at `/api/v1/uploads`: the
//! protocol's headers here, the rules in `zegel_service::uploads`.
//!
//! Every answer carries `Tus-Resumable: 1.0.0`; every request but `OPTIONS` must send it (`412`
//! otherwise). Errors have the API's JSON shape. A `PATCH` body streams into the sealed blob; the answer's
//! `Upload-Offset` is what is durable, on a 64 KiB chunk boundary unless the upload is complete, so a
//! client continues from there.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use zegel_core::api::{ErrorBody, UploadCreated};
use zegel_service::uploads::{self, UploadInfo};
use zegel_store::uploads::{Owner, Quota};

use crate::auth::Sender;
use crate::error::AppError;
use crate::state::AppState;

/// The protocol version spoken.
const TUS_VERSION: &str = "1.0.0";
/// The extensions supported.
const TUS_EXTENSIONS: &str = "creation,termination,expiration";
/// The one content type of a `PATCH`.
const OFFSET_OCTET_STREAM: &str = "application/offset+octet-stream";

const TUS_RESUMABLE: HeaderName = HeaderName::from_static("tus-resumable");
const TUS_VERSION_HEADER: HeaderName = HeaderName::from_static("tus-version");
const TUS_EXTENSION: HeaderName = HeaderName::from_static("tus-extension");
const TUS_MAX_SIZE: HeaderName = HeaderName::from_static("tus-max-size");
const UPLOAD_LENGTH: HeaderName = HeaderName::from_static("upload-length");
const UPLOAD_OFFSET: HeaderName = HeaderName::from_static("upload-offset");
const UPLOAD_METADATA: HeaderName = HeaderName::from_static("upload-metadata");
const UPLOAD_EXPIRES: HeaderName = HeaderName::from_static("upload-expires");
const UPLOAD_DEFER_LENGTH: HeaderName = HeaderName::from_static("upload-defer-length");

/// Who uploads: a signed-in sender (bearer token), or the recipient of an upload request who proved
/// their address (their session cookie, which SameSite=Strict keeps to this site's own pages).
pub struct Uploader(uploads::Uploader);

impl axum::extract::FromRequestParts<AppState> for Uploader {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        // A bearer token, or the browser sender's session when the page says the uploads are theirs.
        let as_sender = parts
            .headers
            .get("zegel-uploader")
            .is_some_and(|v| v.as_bytes() == b"sender");
        if parts.headers.contains_key(header::AUTHORIZATION) || as_sender {
            let Sender(user) = Sender::from_request_parts(parts, state).await?;
            return Ok(Uploader(uploads::Uploader {
                tenant_id: user.tenant_id,
                owner: Owner::Sender(user.id),
                quota: uploads::SENDER_QUOTA,
                max_length: state.config.max_upload_bytes,
            }));
        }
        let (access, limits) = crate::recipient::upload_session(state, &parts.headers)
            .await
            .ok_or(AppError::Unauthorized)?;
        Ok(Uploader(uploads::Uploader {
            tenant_id: access.tenant_id.clone(),
            owner: zegel_service::requests::visitor(&access),
            quota: Quota {
                uploads: limits.max_files,
                bytes: limits.max_bytes,
            },
            max_length: u64::try_from(limits.max_bytes).unwrap_or_default(),
        }))
    }
}

/// Middleware of the upload routes: refuses a request without `Tus-Resumable: 1.0.0` (but `OPTIONS`)
/// with `412`, and puts the header on every answer.
pub async fn tus_headers(request: Request, next: Next) -> Response {
    let is_patch = request.method() == axum::http::Method::PATCH;
    let speaks_tus = request.method() == axum::http::Method::OPTIONS
        || request
            .headers()
            .get(&TUS_RESUMABLE)
            .is_some_and(|v| v.as_bytes() == TUS_VERSION.as_bytes());
    let mut response = if speaks_tus {
        next.run(request).await
    } else {
        let mut response = AppError::bad_request_status(
            StatusCode::PRECONDITION_FAILED,
            "tus_version",
            format!("send Tus-Resumable: {TUS_VERSION}"),
        )
        .into_response();
        response
            .headers_mut()
            .insert(TUS_VERSION_HEADER, HeaderValue::from_static(TUS_VERSION));
        response
    };
    response
        .headers_mut()
        .insert(TUS_RESUMABLE, HeaderValue::from_static(TUS_VERSION));
    // A refused PATCH leaves its body unread, and the server then closes the connection: saying so
    // keeps the client from sending its next request on a connection that is going away.
    if is_patch && (response.status().is_client_error() || response.status().is_server_error()) {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// What the server supports (tus discovery).
#[utoipa::path(
    options, path = "/api/v1/uploads", tag = "senders",
    responses(
        (status = 204, description = "What the server supports", headers(
            ("Tus-Resumable" = String, description = "1.0.0"),
            ("Tus-Version" = String, description = "1.0.0"),
            ("Tus-Extension" = String, description = "creation,termination,expiration"),
            ("Tus-Max-Size" = u64, description = "The largest upload in bytes"),
        )),
    ),
)]
pub async fn options(State(state): State<AppState>) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    let headers = response.headers_mut();
    headers.insert(TUS_VERSION_HEADER, HeaderValue::from_static(TUS_VERSION));
    headers.insert(TUS_EXTENSION, HeaderValue::from_static(TUS_EXTENSIONS));
    headers.insert(
        TUS_MAX_SIZE,
        HeaderValue::from(state.config.max_upload_bytes),
    );
    response
}

/// Creates an upload (tus creation).
#[utoipa::path(
    post, path = "/api/v1/uploads", tag = "senders",
    params(
        ("Tus-Resumable" = String, Header, description = "1.0.0"),
        ("Upload-Length" = u64, Header, description = "The file's size in bytes"),
        ("Upload-Metadata" = Option<String>, Header, description = "tus metadata: `filename` and `filetype`, base64"),
    ),
    request_body(content = String, content_type = "application/offset+octet-stream", description = "Empty"),
    responses(
        (status = 201, description = "Created; `Location` is the upload's URL", body = UploadCreated, headers(
            ("Location" = String, description = "/api/v1/uploads/{id}"),
            ("Upload-Expires" = String, description = "When the upload is removed unless a message uses it"),
        )),
        (status = "4XX", description = "`400` without a usable `Upload-Length` or metadata, `401`, `412` without `Tus-Resumable: 1.0.0`, `413` past `Tus-Max-Size`, `429` (`upload_quota`) with too many open uploads", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
#[tracing::instrument(skip_all)]
pub async fn create(
    State(state): State<AppState>,
    uploader: Uploader,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    if headers.contains_key(&UPLOAD_DEFER_LENGTH) {
        return Err(AppError::bad_request(
            "defer_length",
            "Upload-Defer-Length is not supported: send Upload-Length",
        ));
    }
    let length = number_header(&headers, &UPLOAD_LENGTH)?
        .ok_or_else(|| AppError::bad_request("upload_length", "send Upload-Length"))?;
    let metadata = parse_metadata(headers.get(&UPLOAD_METADATA))?;
    let info = uploads::create(
        &state,
        uploader.0,
        length,
        metadata.filename.as_deref(),
        metadata.filetype.as_deref(),
    )
    .await?;
    let body = UploadCreated {
        id: info.id.clone(),
        length: info.length,
        offset: info.offset,
        expires_at: jiff::Timestamp::from_millisecond(info.expires_at)
            .map(|t| t.to_string())
            .unwrap_or_default(),
    };
    let mut response = (StatusCode::CREATED, Json(body)).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::LOCATION,
        HeaderValue::from_str(&format!("/api/v1/uploads/{}", info.id))
            .map_err(AppError::internal)?,
    );
    progress_headers(headers, &info);
    Ok(response)
}

/// An upload's offset (tus core; no side effects).
#[utoipa::path(
    head, path = "/api/v1/uploads/{id}", tag = "senders",
    params(
        ("id" = String, Path, description = "The upload's id"),
        ("Tus-Resumable" = String, Header, description = "1.0.0"),
    ),
    responses(
        (status = 200, description = "Where to continue", headers(
            ("Upload-Offset" = u64, description = "Bytes durable so far: continue from here"),
            ("Upload-Length" = u64, description = "The file's size"),
            ("Upload-Expires" = String, description = "When the upload is removed unless a message uses it"),
            ("Cache-Control" = String, description = "no-store"),
        )),
        (status = "4XX", description = "`401`, `404` for what is not the caller's (or expired), `412` without `Tus-Resumable: 1.0.0`; a HEAD answer has no body", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub async fn head(
    State(state): State<AppState>,
    uploader: Uploader,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let info = uploads::status(&state, &uploader.0.owner, &id).await?;
    let mut response = StatusCode::OK.into_response();
    let headers = response.headers_mut();
    progress_headers(headers, &info);
    headers.insert(UPLOAD_LENGTH, HeaderValue::from(info.length));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// Appends bytes at `Upload-Offset` (tus core). The answer's offset may be less than the bytes sent (a
/// whole 64 KiB chunk boundary): the client continues from it.
#[utoipa::path(
    patch, path = "/api/v1/uploads/{id}", tag = "senders",
    params(
        ("id" = String, Path, description = "The upload's id"),
        ("Tus-Resumable" = String, Header, description = "1.0.0"),
        ("Upload-Offset" = u64, Header, description = "Where these bytes begin: the offset `HEAD` answered"),
    ),
    request_body(content = Vec<u8>, content_type = "application/offset+octet-stream", description = "The next bytes of the file"),
    responses(
        (status = 204, description = "Taken; continue from `Upload-Offset`", headers(
            ("Upload-Offset" = u64, description = "Bytes durable now"),
            ("Upload-Expires" = String, description = "When the upload is removed unless a message uses it"),
        )),
        (status = "4XX", description = "`400` without `Upload-Offset` or past `Upload-Length`, `401`, `404`, `409` when `Upload-Offset` is not the upload's offset (or another request is writing it), `412` without `Tus-Resumable: 1.0.0`, `415` for another content type", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
#[tracing::instrument(skip_all)]
pub async fn patch(
    State(state): State<AppState>,
    uploader: Uploader,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, AppError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if content_type.split(';').next().unwrap_or("").trim() != OFFSET_OCTET_STREAM {
        return Err(AppError::bad_request_status(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "bad_content_type",
            format!("send the bytes as {OFFSET_OCTET_STREAM}"),
        ));
    }
    let offset = number_header(&headers, &UPLOAD_OFFSET)?
        .ok_or_else(|| AppError::bad_request("upload_offset", "send Upload-Offset"))?;
    let info = uploads::append(
        &state,
        &uploader.0.owner,
        &id,
        offset,
        body.into_data_stream(),
    )
    .await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    progress_headers(response.headers_mut(), &info);
    Ok(response)
}

/// Deletes an upload and its bytes (tus termination).
#[utoipa::path(
    delete, path = "/api/v1/uploads/{id}", tag = "senders",
    params(
        ("id" = String, Path, description = "The upload's id"),
        ("Tus-Resumable" = String, Header, description = "1.0.0"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = "4XX", description = "`401`, `404` for what is not the caller's, `412` without `Tus-Resumable: 1.0.0`", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub async fn delete(
    State(state): State<AppState>,
    uploader: Uploader,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    uploads::delete(&state, &uploader.0.owner, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `Upload-Offset` and `Upload-Expires` (an HTTP date).
fn progress_headers(headers: &mut HeaderMap, info: &UploadInfo) {
    headers.insert(UPLOAD_OFFSET, HeaderValue::from(info.offset));
    if let Some(expires) = jiff::Timestamp::from_millisecond(info.expires_at)
        .ok()
        .and_then(|t| {
            jiff::fmt::rfc2822::DateTimePrinter::new()
                .timestamp_to_rfc9110_string(&t)
                .ok()
        })
        .and_then(|s| HeaderValue::from_str(&s).ok())
    {
        headers.insert(UPLOAD_EXPIRES, expires);
    }
}

/// A header that must be a non-negative integer, if present.
fn number_header(headers: &HeaderMap, name: &HeaderName) -> Result<Option<u64>, AppError> {
    let Some(value) = headers.get(name) else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|s| s.parse().ok())
        .map(Some)
        .ok_or_else(|| {
            AppError::bad_request(
                "bad_header",
                format!("{name} must be a non-negative integer"),
            )
        })
}

/// The metadata Zegel reads.
#[derive(Debug, Default, PartialEq, Eq)]
struct Metadata {
    filename: Option<String>,
    filetype: Option<String>,
}

/// Parses `Upload-Metadata`: comma-separated `key base64value` pairs (the value may be absent); unknown
/// keys are ignored.
fn parse_metadata(value: Option<&HeaderValue>) -> Result<Metadata, AppError> {
    let mut metadata = Metadata::default();
    let Some(value) = value else {
        return Ok(metadata);
    };
    let bad = |why: &str| AppError::bad_request("bad_metadata", format!("Upload-Metadata: {why}"));
    let text = value.to_str().map_err(|_| bad("not ASCII"))?;
    for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let mut parts = pair.split(' ');
        let key = parts.next().unwrap_or("");
        let encoded = parts.next().unwrap_or("");
        if parts.next().is_some() || key.is_empty() {
            return Err(bad("each pair is a key and a base64 value"));
        }
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(|_| bad("a value is not base64"))?;
        let text = String::from_utf8(decoded).map_err(|_| bad("a value is not UTF-8"));
        match key {
            "filename" => metadata.filename = Some(text?),
            "filetype" => metadata.filetype = Some(text?),
            _ => {}
        }
    }
    Ok(metadata)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_is_read_per_tus() {
        let header = HeaderValue::from_static(
            "filename YnJpZWYucGRm,filetype YXBwbGljYXRpb24vcGRm,is_secret",
        );
        assert_eq!(
            parse_metadata(Some(&header)).unwrap(),
            Metadata {
                filename: Some("brief.pdf".into()),
                filetype: Some("application/pdf".into()),
            }
        );
        assert_eq!(parse_metadata(None).unwrap(), Metadata::default());
        assert!(parse_metadata(Some(&HeaderValue::from_static("filename !!!"))).is_err());
        assert!(parse_metadata(Some(&HeaderValue::from_static("filename a b"))).is_err());
    }
}
