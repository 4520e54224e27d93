//! What operators and load balancers ask: `/healthz` (the process answers), `/readyz` (it can do its
//! work: the database, the blob store and the mail transport answer) and `/metrics` (Prometheus text
//! format, for a scraper with `ZEGEL_METRICS_TOKEN`). Counts come from the database on each scrape, so
//! every instance reports the same totals; answers by status class are this instance's own.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use secrecy::ExposeSecret;
use serde_json::json;

use crate::state::AppState;

/// Answers of this instance by status class (1xx … 5xx).
static ANSWERS: [AtomicU64; 5] = [const { AtomicU64::new(0) }; 5];

/// The operations routes.
pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .route("/metrics", get(metrics))
}

/// Middleware: counts every answer by its status class.
pub async fn count(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let class = usize::from(response.status().as_u16() / 100).clamp(1, 5) - 1;
    ANSWERS[class].fetch_add(1, Ordering::Relaxed);
    response
}

/// `GET /readyz`: `200` when the database, the blob store and the mail transport answer, else `503`
/// naming what does not (never a secret or an address).
async fn ready(State(state): State<AppState>) -> Response {
    let database = match tokio::time::timeout(
        std::time::Duration::from_secs(5),
        zegel_store::ops::ping(&state.db),
    )
    .await
    {
        Ok(Ok(())) => Ok(()),
        Ok(Err(error)) => Err(format!("the database refused a query: {error}")),
        Err(_) => Err("the database did not answer in 5 s".to_owned()),
    };
    let blobs =
        match tokio::time::timeout(std::time::Duration::from_secs(5), state.blobs.check()).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => Err(format!("the blob store cannot be written: {error}")),
            Err(_) => Err("the blob store did not answer in 5 s".to_owned()),
        };
    let mail = state.mailer.check().await;
    let checks = [("database", database), ("blobs", blobs), ("mail", mail)];
    let ready = checks.iter().all(|(_, result)| result.is_ok());
    let body = json!({
        "status": if ready { "ready" } else { "not_ready" },
        "checks": checks
            .iter()
            .map(|(name, result)| {
                (
                    (*name).to_owned(),
                    match result {
                        Ok(()) => json!("ok"),
                        Err(error) => json!(error),
                    },
                )
            })
            .collect::<serde_json::Map<_, _>>(),
    });
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, [(header::CACHE_CONTROL, "no-store")], Json(body)).into_response()
}

/// Whether the scrape may see the figures: it sends the `ZEGEL_METRICS_TOKEN` bearer (compared in
/// constant time). A client's address proves nothing: behind a reverse proxy on the same machine every
/// visitor arrives from loopback.
fn may_scrape(state: &AppState, headers: &HeaderMap) -> bool {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match (&state.config.metrics_token, token) {
        (Some(expected), Some(given)) => {
            zegel_crypto::ct_eq(expected.expose_secret().as_bytes(), given.as_bytes())
        }
        _ => false,
    }
}

/// `GET /metrics`: the outbox, messages, downloads and uploads from the database, and this instance's
/// answers by status class, in Prometheus' text format; `404` without the token (or when none is set).
async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if !may_scrape(&state, &headers) {
        return crate::error::AppError::NotFound.into_response();
    }
    let figures = match zegel_store::ops::figures(&state.db).await {
        Ok(figures) => figures,
        Err(error) => {
            tracing::error!(%error, "metrics: the database did not answer");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    let now = state.now_ms();
    let mut out = String::new();
    let mut family = |name: &str, kind: &str, help: &str, samples: &[(String, f64)]| {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} {kind}");
        for (labels, value) in samples {
            let _ = writeln!(out, "{name}{labels} {value}");
        }
    };
    family(
        "zegel_http_responses_total",
        "counter",
        "Answers of this instance by status class.",
        &ANSWERS
            .iter()
            .enumerate()
            .map(|(i, n)| {
                (
                    format!("{{class=\"{}xx\"}}", i + 1),
                    n.load(Ordering::Relaxed) as f64,
                )
            })
            .collect::<Vec<_>>(),
    );
    family(
        "zegel_outbox_jobs",
        "gauge",
        "Mails, SMS and relays in the outbox: pending (to deliver) and dead (given up).",
        &[
            (
                "{state=\"pending\"}".to_owned(),
                figures.outbox_pending as f64,
            ),
            ("{state=\"dead\"}".to_owned(), figures.outbox_dead as f64),
        ],
    );
    family(
        "zegel_outbox_oldest_pending_seconds",
        "gauge",
        "Age of the oldest pending outbox job (0 when none).",
        &[(
            String::new(),
            figures
                .outbox_oldest_at
                .map_or(0.0, |at| ((now - at).max(0) as f64) / 1000.0),
        )],
    );
    family(
        "zegel_messages",
        "gauge",
        "Messages by status.",
        &figures
            .messages
            .iter()
            .filter(|(status, _)| status.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
            .map(|(status, n)| (format!("{{status=\"{status}\"}}"), *n as f64))
            .collect::<Vec<_>>(),
    );
    family(
        "zegel_downloads_total",
        "counter",
        "Downloads recorded.",
        &[(String::new(), figures.downloads as f64)],
    );
    family(
        "zegel_notifications",
        "gauge",
        "Recipients' notifications: handed to the relay, or refused by it for good.",
        &[
            ("{state=\"sent\"}".to_owned(), figures.notified as f64),
            (
                "{state=\"failed\"}".to_owned(),
                figures.notify_failed as f64,
            ),
        ],
    );
    family(
        "zegel_received_files",
        "gauge",
        "Deliveries of received files by the malware scanner's verdict.",
        &figures
            .scans
            .iter()
            .filter(|(scan, _)| scan.bytes().all(|b| b.is_ascii_lowercase()))
            .map(|(scan, n)| (format!("{{scan=\"{scan}\"}}"), *n as f64))
            .collect::<Vec<_>>(),
    );
    family(
        "zegel_uploads_open",
        "gauge",
        "Resumable uploads not yet used by a message.",
        &[(String::new(), figures.open_uploads as f64)],
    );
    (
        [
            (
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        out,
    )
        .into_response()
}
