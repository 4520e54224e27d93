//! The edges of the HTTP listener: security headers on every response, timeouts for slow and idle
//! clients, a stalled or dripping upload dropped and cleaned, and the per-address connection cap.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::on_both;
use crate::support::{TestServer, secure_message};

fn address(server: &TestServer) -> SocketAddr {
    server.base.trim_start_matches("http://").parse().unwrap()
}

/// Connects from a chosen loopback source address (127.0.0.2 is another client than 127.0.0.1).
async fn connect_from(source: [u8; 4], to: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::from((source, 0))).unwrap();
    socket.connect(to).await.unwrap()
}

/// A one-off `GET` on a fresh connection; the status line and headers, or `None` when the server
/// closed the connection without an answer.
async fn raw_get(stream: &mut TcpStream, path: &str) -> Option<String> {
    let request = format!("GET {path} HTTP/1.1\r\nHost: zegel.test\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut answer))
        .await
        .expect("an answer or a close within 30 s")
        .ok()?;
    (!answer.is_empty()).then(|| String::from_utf8_lossy(&answer).into_owned())
}

/// Waits (with a generous deadline) until the server closes `stream`; the time it took.
async fn closed_after(stream: &mut TcpStream, started: Instant) -> Duration {
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout(Duration::from_secs(30), stream.read(&mut buf)).await {
            Err(_) => panic!("the connection is still open after 30 s"),
            Ok(Ok(0)) | Ok(Err(_)) => return started.elapsed(),
            // hyper may answer a header timeout with a 408 before closing.
            Ok(Ok(_)) => continue,
        }
    }
}

fn assert_security_headers(response: &reqwest::Response, what: &str) {
    let headers = response.headers();
    for (name, value) in [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
        ("cache-control", "no-store"),
    ] {
        assert_eq!(
            headers.get(name).and_then(|v| v.to_str().ok()),
            Some(value),
            "{what}: {name}"
        );
    }
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
        "{what}: {csp}"
    );
}

async fn security_headers(server: TestServer) {
    let get = |path: &str| server.client.get(format!("{}{path}", server.base)).send();
    for path in [
        "/healthz",
        "/no/such/path",
        "/api/v1/no-such-route",
        "/m/not-a-token",
        "/static/brand.css?c=nothex",
    ] {
        let response = get(path).await.unwrap();
        assert_security_headers(&response, path);
        assert!(
            response
                .headers()
                .get("strict-transport-security")
                .is_none(),
            "no HSTS over http://"
        );
    }
    let unknown = get("/no/such/path").await.unwrap();
    assert_eq!(unknown.status(), 404);
    assert_eq!(
        unknown.json::<Value>().await.unwrap()["error"]["code"],
        "not_found"
    );
    // Errors: no token, a wrong method, a malformed body.
    let unauthorized = server
        .client
        .post(format!("{}/api/v1/messages", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(unauthorized.status(), 401);
    assert_security_headers(&unauthorized, "401");
    let wrong_method = server
        .client
        .delete(format!("{}/healthz", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_method.status(), 405);
    assert_security_headers(&wrong_method, "405");
    // The pane keeps its own policy (Outlook frames it), with the headers every response has.
    let pane = get("/addin/manifest.xml").await.unwrap();
    assert_eq!(pane.headers()["x-content-type-options"], "nosniff");
    assert_eq!(pane.headers()["referrer-policy"], "no-referrer");
    assert!(pane.headers().get("x-frame-options").is_none());
    let unknown_pane_file = get("/addin/nothing.js").await.unwrap();
    assert_eq!(unknown_pane_file.status(), 404);
    assert_eq!(
        unknown_pane_file.headers()["x-content-type-options"],
        "nosniff"
    );
}
on_both!(security_headers_are_on_every_response, security_headers);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_public_url_brings_hsts_everywhere() {
    let server = TestServer::start_with(
        None,
        &[
            ("ZEGEL_PUBLIC_URL", "https://zegel.zorg.example"),
            ("ZEGEL_ALLOW_DEV_WITH_HTTPS", "1"),
        ],
    )
    .await;
    for path in ["/healthz", "/no/such/path", "/addin/manifest.xml", "/m/x"] {
        let response = server
            .client
            .get(format!("{}{path}", server.base))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.headers()["strict-transport-security"],
            "max-age=31536000",
            "{path}"
        );
    }
}

async fn logo_injection(server: TestServer) {
    let admin = server.token("ciso@zorg.example").await;
    zegel_server::admin::grant(&server.state, "ciso@zorg.example", "admin")
        .await
        .unwrap();
    let patch = |body: Value| {
        server
            .client
            .patch(format!("{}/api/v1/admin/settings", server.base))
            .bearer_auth(&admin)
            .header("content-type", "application/merge-patch+json")
            .body(body.to_string())
            .send()
    };
    for logo in [
        "https://x.example;script-src-elem/a.png",
        "https://x.example'unsafe-inline'/a.png",
        "https://x.example/a.png;b",
        "https://user@x.example/a.png",
    ] {
        let response = patch(json!({"branding": {"logo_url": logo}}))
            .await
            .unwrap();
        assert_eq!(response.status(), 422, "{logo}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["field"], "branding.logo_url", "{logo}");
    }
    // A good logo still works, and the CSP names exactly its origin.
    let response =
        patch(json!({"branding": {"logo_url": "https://cdn.zorg.example:8443/logo.png"}}))
            .await
            .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        server
            .send(&secure_message("jan@example.nl"), &[])
            .await
            .status(),
        201
    );
    let link = server.link_for("jan@example.nl").await;
    let landing = server.client.get(&link).send().await.unwrap();
    let csp = landing.headers()["content-security-policy"]
        .to_str()
        .unwrap();
    assert!(
        csp.contains("img-src 'self' data: https://cdn.zorg.example:8443;"),
        "{csp}"
    );
}
on_both!(a_logo_url_cannot_inject_into_the_csp, logo_injection);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_idle_connections_are_closed_while_healthz_answers() {
    let server = TestServer::start_with(None, &[("ZEGEL_HTTP_HEADER_TIMEOUT", "1")]).await;
    let to = address(&server);
    let started = Instant::now();
    // Twenty that never send a byte, twenty that send half a header, one idle after a request.
    let mut silent = Vec::new();
    let mut slow = Vec::new();
    for _ in 0..20 {
        silent.push(TcpStream::connect(to).await.unwrap());
        let mut stream = TcpStream::connect(to).await.unwrap();
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: zegel.test\r\n")
            .await
            .unwrap();
        slow.push(stream);
    }
    let mut kept_alive = TcpStream::connect(to).await.unwrap();
    kept_alive
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: zegel.test\r\n\r\n")
        .await
        .unwrap();
    let mut head = [0u8; 512];
    let n = kept_alive.read(&mut head).await.unwrap();
    assert!(head[..n].starts_with(b"HTTP/1.1 200"));
    // Meanwhile the server answers everyone else.
    for _ in 0..5 {
        let mut fresh = TcpStream::connect(to).await.unwrap();
        let answer = raw_get(&mut fresh, "/healthz").await.expect("an answer");
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    }
    // Each is closed by the header timeout (1 s); the bound is generous for a loaded machine, and far
    // below "never", which is what happened before.
    for stream in silent
        .iter_mut()
        .chain(slow.iter_mut())
        .chain([&mut kept_alive])
    {
        let after = closed_after(stream, started).await;
        assert!(
            after < Duration::from_secs(20),
            "closed only after {after:?}"
        );
    }
}

/// Sends the head and the first part of a multipart upload whose declared length never arrives.
async fn start_upload(server: &TestServer, stream: &mut TcpStream, declared: usize) {
    let token = server.token("arts@zorg.example").await;
    let boundary = "zegelboundary";
    let meta = secure_message("jan@example.nl").to_string();
    let body_start = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"meta\"\r\nContent-Type: application/json\r\n\r\n{meta}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"scan.pdf\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    );
    let head = format!(
        "POST /api/v1/messages HTTP/1.1\r\nHost: zegel.test\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {declared}\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body_start.as_bytes()).await.unwrap();
    stream.write_all(&vec![b'x'; 64 * 1024]).await.unwrap();
}

async fn assert_upload_cleaned(server: &TestServer) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !server.blob_files().is_empty() {
        assert!(
            Instant::now() < deadline,
            "blobs left behind: {:?}",
            server.blob_files()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(server.count("messages").await, 0);
    assert_eq!(server.count("files").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_upload_is_dropped_and_cleaned() {
    let server = TestServer::start_with(
        None,
        &[
            ("ZEGEL_HTTP_BODY_RATE_WINDOW", "1"),
            ("ZEGEL_HTTP_MIN_BODY_RATE", "1024"),
        ],
    )
    .await;
    let mut stream = TcpStream::connect(address(&server)).await.unwrap();
    let started = Instant::now();
    start_upload(&server, &mut stream, 10_000_000).await;
    // Then nothing: the server gives up, answers or closes, and removes the partial blob.
    let after = closed_after(&mut stream, started).await;
    assert!(
        after < Duration::from_secs(20),
        "closed only after {after:?}"
    );
    assert_upload_cleaned(&server).await;
    // The server still takes uploads.
    assert_eq!(
        server
            .send(
                &secure_message("jan@example.nl"),
                &[("a.pdf", vec![1; 1000])]
            )
            .await
            .status(),
        201
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dripping_upload_is_dropped_and_cleaned() {
    let server = TestServer::start_with(
        None,
        &[
            ("ZEGEL_HTTP_BODY_RATE_WINDOW", "0.5"),
            ("ZEGEL_HTTP_MIN_BODY_RATE", "100000"),
        ],
    )
    .await;
    let mut stream = TcpStream::connect(address(&server)).await.unwrap();
    let started = Instant::now();
    start_upload(&server, &mut stream, 10_000_000).await;
    // A few bytes at a time: alive, but far below the minimum rate.
    let (mut read, mut write) = stream.into_split();
    let drip = tokio::spawn(async move {
        for _ in 0..400 {
            if write.write_all(&[b'y'; 16]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout(Duration::from_secs(30), read.read(&mut buf)).await {
            Err(_) => panic!("a dripping upload is still going after 30 s"),
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(_)) => continue,
        }
    }
    drip.abort();
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_upload_cleaned(&server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_cannot_take_every_connection() {
    let server = TestServer::start_with(
        None,
        &[
            ("ZEGEL_HTTP_MAX_CONNECTIONS_PER_IP", "8"),
            ("ZEGEL_HTTP_HEADER_TIMEOUT", "600"),
        ],
    )
    .await;
    let to = address(&server);
    // 127.0.0.1 fills its eight slots with connections that send nothing.
    let mut held = Vec::new();
    for _ in 0..8 {
        held.push(connect_from([127, 0, 0, 1], to).await);
    }
    // Its ninth is closed at once, unanswered (the accept loop counts in order, so the eight are in).
    let mut ninth = connect_from([127, 0, 0, 1], to).await;
    assert_eq!(raw_get(&mut ninth, "/healthz").await, None);
    // Another address is served.
    let mut other = connect_from([127, 0, 0, 2], to).await;
    let answer = raw_get(&mut other, "/healthz").await.expect("an answer");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    // A slot comes back when a connection ends.
    drop(held.pop());
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let mut again = connect_from([127, 0, 0, 1], to).await;
        if let Some(answer) = raw_get(&mut again, "/healthz").await {
            assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
            break;
        }
        assert!(Instant::now() < deadline, "the slot never came back");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn api_audit(server: TestServer) {
    let token = server.token("arts@zorg.example").await;
    let form = reqwest::multipart::Form::new().part(
        "meta",
        reqwest::multipart::Part::text(secure_message("jan@example.nl").to_string())
            .mime_str("application/json")
            .unwrap(),
    );
    let response = server
        .client
        .post(format!("{}/api/v1/messages", server.base))
        .bearer_auth(&token)
        .header("user-agent", "Outlook-Zegel/1.0 (test)")
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let rows: Vec<(Option<String>, Option<String>)> =
        sqlx::query_as("SELECT ip, user_agent FROM audit_events WHERE event = 'message.created'")
            .fetch_all(&server.state.db.pool)
            .await
            .unwrap();
    assert_eq!(
        rows,
        vec![(
            Some("127.0.0.1".to_owned()),
            Some("Outlook-Zegel/1.0 (test)".to_owned())
        )]
    );
}
on_both!(
    api_created_messages_are_audited_with_ip_and_user_agent,
    api_audit
);
