//! Tenant settings over HTTP. Admins: `GET`, `PUT` (the whole document) and `PATCH` (a JSON merge patch,
//! RFC 7396) on `/api/v1/admin/settings`, and the versions under `/api/v1/admin/settings/versions`.
//! Senders: `GET /api/v1/settings`, what the pane may offer, without the content filter's internals.
//!
//! Every handler works on the caller's own tenant only; no route takes a tenant id. Responses carry the
//! version as `ETag`; a `PUT` or `PATCH` with `If-Match` fails with `412` when someone saved in between.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use zegel_core::api::ErrorBody;
use zegel_core::settings::{SenderSettings, TenantSettings};

use crate::api::openapi::{SettingsHistory, SettingsVersion};

use crate::auth::{Admin, Sender};
use crate::error::{AppError, JsonBody};
use crate::state::AppState;
use zegel_service::settings::{self, CurrentSettings, merge::merge_patch};
use zegel_store as db;

fn with_version(current: &CurrentSettings) -> Response {
    let mut response = Json(&current.settings).into_response();
    if let Ok(etag) = HeaderValue::from_str(&format!("\"{}\"", current.version)) {
        response.headers_mut().insert(header::ETAG, etag);
    }
    response
}

/// The version an `If-Match` header asks for: `"3"`, `W/"3"` or `3`; `*` and no header ask for none.
fn if_match(headers: &HeaderMap) -> Result<Option<i64>, AppError> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let text = value.to_str().unwrap_or("").trim();
    if text == "*" {
        return Ok(None);
    }
    text.trim_start_matches("W/")
        .trim_matches('"')
        .parse()
        .map(Some)
        .map_err(|_| {
            AppError::bad_request(
                "bad_if_match",
                "If-Match must be a version as in the ETag, e.g. \"3\"",
            )
        })
}

fn actor(admin: &Admin) -> String {
    format!("admin:{}", admin.0.email)
}

/// `GET /api/v1/admin/settings`: the settings document in force.
#[utoipa::path(
    get, path = "/api/v1/admin/settings", tag = "admin",
    responses(
        (status = 200, description = "The settings document in force", body = TenantSettings,
            headers(("ETag" = String, description = "The version, e.g. `\"3\"`"))),
        (status = "4XX", description = "The request failed: `401` without a valid sign-in, `404` for what is not the caller's, `400`/`422` for a bad request (`invalid` names the field), `409`, `413`, `429` (with `Retry-After`)", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
#[tracing::instrument(skip_all)]
pub async fn get_settings(
    State(state): State<AppState>,
    admin: Admin,
) -> Result<Response, AppError> {
    Ok(with_version(
        &settings::load(&state, &admin.0.tenant_id).await?,
    ))
}

/// `PUT /api/v1/admin/settings`: replaces the whole document.
#[utoipa::path(
    put, path = "/api/v1/admin/settings", tag = "admin",
    params(("If-Match" = Option<String>, Header, description = "The version the change is based on (`412` when someone saved in between)")),
    request_body = TenantSettings,
    responses(
        (status = 200, description = "The saved document", body = TenantSettings,
            headers(("ETag" = String, description = "The new version"))),
        (status = "4XX", description = "The request failed: `401` without a valid sign-in, `404` for what is not the caller's, `400`/`422` for a bad request (`invalid` names the field), `409`, `413`, `429` (with `Retry-After`)", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
#[tracing::instrument(skip_all)]
pub async fn put_settings(
    State(state): State<AppState>,
    admin: Admin,
    headers: HeaderMap,
    JsonBody(body): JsonBody<Value>,
) -> Result<Response, AppError> {
    let expected = if_match(&headers)?;
    let document = settings::parse_document(&body)?;
    let saved = settings::save(
        &state,
        &admin.0.tenant_id,
        &actor(&admin),
        document,
        expected,
    )
    .await?;
    Ok(with_version(&saved))
}

/// `PATCH /api/v1/admin/settings`: applies a JSON merge patch to the document in force.
#[utoipa::path(
    patch, path = "/api/v1/admin/settings", tag = "admin",
    params(("If-Match" = Option<String>, Header, description = "The version the patch is based on (`412` when someone saved in between)")),
    request_body(content = Object, content_type = "application/merge-patch+json", description = "A JSON merge patch (RFC 7396) on the settings document; sent as `application/json`"),
    responses(
        (status = 200, description = "The saved document", body = TenantSettings,
            headers(("ETag" = String, description = "The new version"))),
        (status = "4XX", description = "The request failed: `401` without a valid sign-in, `404` for what is not the caller's, `400`/`422` for a bad request (`invalid` names the field), `409`, `413`, `429` (with `Retry-After`)", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
#[tracing::instrument(skip_all)]
pub async fn patch_settings(
    State(state): State<AppState>,
    admin: Admin,
    headers: HeaderMap,
    JsonBody(patch): JsonBody<Value>,
) -> Result<Response, AppError> {
    let expected = if_match(&headers)?;
    let current = settings::load(&state, &admin.0.tenant_id).await?;
    let mut document = serde_json::to_value(&current.settings).map_err(AppError::internal)?;
    merge_patch(&mut document, &patch);
    let document = settings::parse_document(&document)?;
    // Without If-Match, the patch applies to the version it was merged onto.
    let expected = Some(expected.unwrap_or(current.version));
    let saved = settings::save(
        &state,
        &admin.0.tenant_id,
        &actor(&admin),
        document,
        expected,
    )
    .await?;
    Ok(with_version(&saved))
}

/// `GET /api/v1/admin/settings/versions`: every version, newest first, with who and when.
#[utoipa::path(
    get, path = "/api/v1/admin/settings/versions", tag = "admin",
    responses(
        (status = 200, description = "Every version, newest first", body = SettingsHistory),
        (status = "4XX", description = "The request failed: `401` without a valid sign-in, `404` for what is not the caller's, `400`/`422` for a bad request (`invalid` names the field), `409`, `413`, `429` (with `Retry-After`)", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
#[tracing::instrument(skip_all)]
pub async fn versions(
    State(state): State<AppState>,
    admin: Admin,
) -> Result<Json<Value>, AppError> {
    let history = db::settings::history(&state.db, &admin.0.tenant_id).await?;
    let versions: Vec<Value> = history
        .iter()
        .map(|v| json!({"version": v.version, "changed_by": v.changed_by, "changed_at": timestamp(v.changed_at)}))
        .collect();
    Ok(Json(
        json!({"current": history.first().map_or(0, |v| v.version), "versions": versions}),
    ))
}

/// `GET /api/v1/admin/settings/versions/{version}`: one earlier version's document.
#[utoipa::path(
    get, path = "/api/v1/admin/settings/versions/{version}", tag = "admin",
    params(("version" = i64, Path, description = "The version number")),
    responses(
        (status = 200, description = "That version's document", body = SettingsVersion),
        (status = "4XX", description = "The request failed: `401` without a valid sign-in, `404` for what is not the caller's, `400`/`422` for a bad request (`invalid` names the field), `409`, `413`, `429` (with `Retry-After`)", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
#[tracing::instrument(skip_all)]
pub async fn version(
    State(state): State<AppState>,
    admin: Admin,
    Path(version): Path<String>,
) -> Result<Json<Value>, AppError> {
    let version: i64 = version.parse().map_err(|_| AppError::NotFound)?;
    let stored = db::settings::version(&state.db, &admin.0.tenant_id, version)
        .await?
        .ok_or(AppError::NotFound)?;
    let document: Value = serde_json::from_str(&stored.document).map_err(AppError::internal)?;
    Ok(Json(json!({
        "version": stored.version,
        "changed_by": stored.changed_by,
        "changed_at": timestamp(stored.changed_at),
        "settings": document,
    })))
}

/// `GET /api/v1/settings`: what a sender's client may offer.
#[utoipa::path(
    get, path = "/api/v1/settings", tag = "senders",
    responses(
        (status = 200, description = "What a sender's client may offer", body = SenderSettings),
        (status = "4XX", description = "The request failed: `401` without a valid sign-in, `404` for what is not the caller's, `400`/`422` for a bad request (`invalid` names the field), `409`, `413`, `429` (with `Retry-After`)", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
#[tracing::instrument(skip_all)]
pub async fn for_sender(
    State(state): State<AppState>,
    sender: Sender,
) -> Result<Json<SenderSettings>, AppError> {
    Ok(Json(
        settings::effective(&state, &sender.0.tenant_id)
            .await?
            .for_senders(),
    ))
}

fn timestamp(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_string())
        .unwrap_or_default()
}
