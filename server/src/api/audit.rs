//! `GET /api/v1/admin/audit`: a tenant admin exports the audit trail of one message or of a time
//! range, as JSON or CSV (NEN 7513 asks that logging can be handed over). Entries carry their chain
//! hashes; `zegel admin audit verify` checks the chain itself.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::api::openapi::AuditExport;
use crate::auth::Admin;
use crate::error::AppError;
use crate::state::AppState;
use zegel_core::api::ErrorBody;
use zegel_service::tracking::time;
use zegel_store::audit::{self, AuditEntry, AuditQuery};

/// The most entries one export holds; a larger trail is exported in time ranges.
pub const MAX_EXPORT: i64 = 100_000;

/// The query of `GET /api/v1/admin/audit`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// Only this message's trail.
    message_id: Option<String>,
    /// From this time on: RFC 3339 (`2025-03-01T08:00:00Z`) or a date (midnight, server time zone).
    from: Option<String>,
    /// Before this time, same forms.
    to: Option<String>,
    /// `json` (default) or `csv`.
    format: Option<String>,
}

/// One entry as exported.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = AuditEntry)]
pub(crate) struct ExportedEntry<'a> {
    seq: Option<i64>,
    at: String,
    message_id: Option<&'a str>,
    actor: &'a str,
    event: &'a str,
    detail: Option<&'a str>,
    ip: Option<&'a str>,
    user_agent: Option<&'a str>,
    prev_hash: Option<&'a str>,
    hash: Option<&'a str>,
}

impl<'a> From<&'a AuditEntry> for ExportedEntry<'a> {
    fn from(e: &'a AuditEntry) -> Self {
        Self {
            seq: e.seq,
            at: time(e.at),
            message_id: e.message_id.as_deref(),
            actor: &e.actor,
            event: &e.event,
            detail: e.detail.as_deref(),
            ip: e.ip.as_deref(),
            user_agent: e.user_agent.as_deref(),
            prev_hash: e.prev_hash.as_deref(),
            hash: e.hash.as_deref(),
        }
    }
}

fn parse_time(state: &AppState, field: &str, text: &str) -> Result<i64, AppError> {
    if let Ok(timestamp) = text.parse::<jiff::Timestamp>() {
        return Ok(timestamp.as_millisecond());
    }
    let date: jiff::civil::Date = text.parse().map_err(|_| {
        AppError::invalid(
            field,
            "use an RFC 3339 time (2025-03-01T08:00:00Z) or a date (2025-03-01)",
        )
    })?;
    let zone = jiff::tz::TimeZone::get(&state.config.timezone).unwrap_or(jiff::tz::TimeZone::UTC);
    let zoned = date
        .to_zoned(zone)
        .map_err(|e| AppError::invalid(field, e.to_string()))?;
    Ok(zoned.timestamp().as_millisecond())
}

/// Exports the admin's tenant's trail for a message or a time range (or all of it), oldest first.
#[utoipa::path(
    get, path = "/api/v1/admin/audit", tag = "admin",
    params(AuditParams),
    responses(
        (status = 200, description = "The tenant's audit trail, oldest first, at most 100 000 entries", content(
            (AuditExport = "application/json"),
            (String = "text/csv"),
        )),
        (status = "4XX", description = "The request failed: `401` without a valid sign-in, `404` for what is not the caller's, `400`/`422` for a bad request (`invalid` names the field), `409`, `413`, `429` (with `Retry-After`)", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
#[tracing::instrument(skip_all)]
pub async fn export(
    State(state): State<AppState>,
    Admin(admin): Admin,
    params: Result<Query<AuditParams>, QueryRejection>,
) -> Result<Response, AppError> {
    let Query(params) =
        params.map_err(|rejection| AppError::bad_request("bad_query", rejection.body_text()))?;
    let from = params
        .from
        .as_deref()
        .map(|t| parse_time(&state, "from", t))
        .transpose()?;
    let to = params
        .to
        .as_deref()
        .map(|t| parse_time(&state, "to", t))
        .transpose()?;
    let csv = match params.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(_) => return Err(AppError::invalid("format", "use json or csv")),
    };
    let query = AuditQuery {
        tenant_id: &admin.tenant_id,
        message_id: params.message_id.as_deref(),
        from,
        to,
        limit: MAX_EXPORT + 1,
    };
    let mut entries = audit::entries(&state.db, &query).await?;
    let truncated = entries.len() as i64 > MAX_EXPORT;
    entries.truncate(MAX_EXPORT as usize);
    let exported: Vec<ExportedEntry<'_>> = entries.iter().map(ExportedEntry::from).collect();
    if !csv {
        return Ok(
            Json(serde_json::json!({"events": exported, "truncated": truncated})).into_response(),
        );
    }
    let mut text =
        String::from("seq,at,message_id,actor,event,detail,ip,user_agent,prev_hash,hash\r\n");
    for e in &exported {
        let seq = e.seq.map(|s| s.to_string()).unwrap_or_default();
        let cells = [
            Some(seq.as_str()),
            Some(e.at.as_str()),
            e.message_id,
            Some(e.actor),
            Some(e.event),
            e.detail,
            e.ip,
            e.user_agent,
            e.prev_hash,
            e.hash,
        ];
        let line: Vec<String> = cells
            .iter()
            .map(|cell| csv_cell(cell.unwrap_or("")))
            .collect();
        text.push_str(&line.join(","));
        text.push_str("\r\n");
    }
    let mut response = ([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], text).into_response();
    response.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        header::HeaderValue::from_static("attachment; filename=\"zegel-audit.csv\""),
    );
    if truncated {
        response.headers_mut().insert(
            "x-zegel-truncated",
            header::HeaderValue::from_static("true"),
        );
    }
    Ok(response)
}

/// One CSV cell (RFC 4180): quoted when it holds a separator, quote or line break. A cell a
/// spreadsheet would run as a formula (`=`, `+`, `-`, `@`) gets a leading `'`; user agents are
/// attacker-chosen text.
fn csv_cell(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::csv_cell;

    #[test]
    fn csv_cells_are_quoted_and_defused() {
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("=HYPERLINK(1)"), "'=HYPERLINK(1)");
    }
}
