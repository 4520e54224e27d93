//! The HTTP listener: hyper's HTTP/1 server under an accept loop of its own, because `axum::serve`
//! offers no timeouts and no per-client cap. A slow or idle client holds a connection only briefly:
//!
//! - a request's header section must arrive within `ZEGEL_HTTP_HEADER_TIMEOUT` of the connection
//!   opening or of the previous response (hyper's header read timer), so the same timeout closes a
//!   connection that sends nothing, one that sends its header slowly, and an idle keep-alive one;
//! - a request body must keep up `ZEGEL_HTTP_MIN_BODY_RATE` bytes per second over each
//!   `ZEGEL_HTTP_BODY_RATE_WINDOW` of waiting for it ([`min_body_rate`]); a stalled or dripping upload
//!   fails, the handler sees an error and removes what it stored, the connection closes. Time the
//!   server spends working or sending (a long download) never counts against the client;
//! - one client address holds at most `ZEGEL_HTTP_MAX_CONNECTIONS_PER_IP` connections; more are closed
//!   at once.

use std::future::Future;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request};
use futures_util::StreamExt as _;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::time::Instant;
use tower::ServiceExt as _;

use crate::config::HttpLimits;
use zegel_service::per_ip::PerIpLimit;

/// How long open requests may finish after a shutdown signal.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Serves `app` on `listener` until `shutdown` completes, then lets open requests finish (briefly).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: HttpLimits,
    shutdown: impl Future<Output = ()>,
) {
    let per_ip = PerIpLimit::new(limits.max_connections_per_ip);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    let app = app.layer(axum::middleware::map_request_with_state(
        limits.clone(),
        min_body_rate,
    ));
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: wait a moment instead of spinning.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Some(slot) = per_ip.try_acquire(peer.ip()) else {
            tracing::debug!("connection refused: too many from one address");
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let io = TokioIo::new(stream);
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            app.clone().oneshot(request.map(Body::new))
        });
        let connection = graceful.watch(builder.serve_connection(io, service));
        tokio::spawn(async move {
            let _slot = slot;
            if let Err(error) = connection.await {
                tracing::debug!(%error, "connection ended");
            }
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await;
}

/// The error a too slow request body ends with.
#[derive(Debug, thiserror::Error)]
#[error("the request body arrived slower than the minimum rate")]
pub struct BodyTooSlow;

/// Wraps every request body so that it fails when the client sends slower than the minimum rate: the
/// time spent waiting for the next chunk is added up, and each time it reaches the window, the bytes
/// that arrived meanwhile must reach `rate × window`. Time the handler spends between reads does not
/// count against the client.
pub async fn min_body_rate(
    axum::extract::State(limits): axum::extract::State<HttpLimits>,
    request: Request,
) -> Request {
    let window = limits.body_rate_window;
    let needed = (limits.min_body_rate as f64 * window.as_secs_f64()) as u64;
    request.map(|body| {
        let stream = body.into_data_stream();
        let state = (stream, Duration::ZERO, 0u64, false);
        let limited = futures_util::stream::unfold(
            state,
            move |(mut stream, mut waited, mut received, failed)| async move {
                if failed {
                    return None;
                }
                let started = Instant::now();
                let left = window.saturating_sub(waited);
                let next = tokio::time::timeout(left, stream.next()).await;
                waited += started.elapsed();
                let item = match next {
                    Ok(Some(Ok(chunk))) => {
                        received += chunk.len() as u64;
                        Some(Ok(chunk))
                    }
                    Ok(Some(Err(error))) => Some(Err(axum::BoxError::from(error))),
                    Ok(None) => None,
                    Err(_) => Some(Err(axum::BoxError::from(BodyTooSlow))),
                };
                let failed = matches!(item, Some(Err(_)));
                if !failed && waited >= window {
                    if received < needed {
                        return Some((
                            Err(axum::BoxError::from(BodyTooSlow)),
                            (stream, waited, received, true),
                        ));
                    }
                    waited = Duration::ZERO;
                    received = 0;
                }
                item.map(|item| (item, (stream, waited, received, failed)))
            },
        );
        Body::from_stream(limited)
    })
}
