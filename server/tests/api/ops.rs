//! What operators ask: `/readyz` checks what the server needs, `/metrics` reports in Prometheus' text
//! format to a scraper with `ZEGEL_METRICS_TOKEN`.

use serde_json::{Value, json};

use crate::on_both;
use crate::support::{Backend, TestServer, secure_message};

const TOKEN: &str = "scrape-4f9c2e71b8a3";

async fn readiness_and_metrics(backend: Backend) {
    let Some(server) = TestServer::start_on(&backend, &[("ZEGEL_METRICS_TOKEN", TOKEN)]).await
    else {
        return;
    };
    let ready = server
        .client
        .get(format!("{}/readyz", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    let body: Value = ready.json().await.unwrap();
    assert_eq!(
        body,
        json!({"status": "ready", "checks": {"database": "ok", "blobs": "ok", "mail": "ok"}})
    );

    // The blob store cannot be written: not ready, and the answer says which part.
    let tmp = server.dir.path().join("blobs").join("tmp");
    assert!(tmp.is_dir(), "the blob store's tmp directory");
    std::fs::remove_dir_all(&tmp).unwrap();
    let not_ready = server
        .client
        .get(format!("{}/readyz", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(not_ready.status(), 503);
    let body: Value = not_ready.json().await.unwrap();
    assert_eq!(body["status"], "not_ready");
    assert_eq!(body["checks"]["database"], "ok");
    assert!(
        body["checks"]["blobs"]
            .as_str()
            .unwrap()
            .starts_with("the blob store cannot be written"),
        "{body}"
    );
    std::fs::create_dir_all(&tmp).unwrap();

    // A message, then the figures: one active message, its notification delivered.
    assert_eq!(
        server
            .send(
                &secure_message("jan@example.nl"),
                &[("a.txt", b"abc".to_vec())]
            )
            .await
            .status(),
        201
    );
    server.link_for("jan@example.nl").await;
    // Without the token, or with another one, there is nothing here: the client's address proves
    // nothing behind a reverse proxy.
    for token in [None, Some("wrong")] {
        let mut request = server.client.get(format!("{}/metrics", server.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        assert_eq!(request.send().await.unwrap().status(), 404, "{token:?}");
    }
    let metrics = server
        .client
        .get(format!("{}/metrics", server.base))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(metrics.status(), 200);
    assert!(
        metrics.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let text = metrics.text().await.unwrap();
    for line in [
        "# TYPE zegel_http_responses_total counter",
        "zegel_messages{status=\"active\"} 1",
        "zegel_outbox_jobs{state=\"pending\"} 0",
        "zegel_outbox_jobs{state=\"dead\"} 0",
        "zegel_outbox_oldest_pending_seconds 0",
        "zegel_downloads_total 0",
        "zegel_uploads_open 0",
        "zegel_notifications{state=\"sent\"} 1",
        "zegel_notifications{state=\"failed\"} 0",
        "# TYPE zegel_received_files gauge",
    ] {
        assert!(text.lines().any(|l| l == line), "{line:?} in:\n{text}");
    }
    let answered_2xx: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("zegel_http_responses_total{class=\"2xx\"} "))
        .unwrap()
        .parse()
        .unwrap();
    assert!(answered_2xx >= 2.0, "{text}");
    assert!(
        !text.contains("jan@example.nl") && !text.contains("a.txt"),
        "figures only"
    );
}
on_both!(
    readiness_and_metrics_tell_operators_what_they_need,
    readiness_and_metrics,
    backend
);
