//! A sender's resumable uploads (tus 1.0.0 at `/api/v1/uploads`), as the end-to-end tests drive them.

use tokio::io::AsyncWriteExt;

use crate::{Zegel, client};

/// Creates an upload of `length` bytes named `name` under `token`; its id.
pub async fn create(zegel: &Zegel, token: &str, length: u64, name: &str) -> String {
    use base64::Engine as _;
    let created = client()
        .post(format!("{}/api/v1/uploads", zegel.base))
        .bearer_auth(token)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", length.to_string())
        .header(
            "Upload-Metadata",
            format!(
                "filename {}",
                base64::engine::general_purpose::STANDARD.encode(name)
            ),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    created.json::<serde_json::Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The upload's offset by `HEAD` (no side effects); `None` while the server does not answer.
pub async fn offset(zegel: &Zegel, token: &str, id: &str) -> Option<u64> {
    let response = client()
        .head(format!("{}/api/v1/uploads/{id}", zegel.base))
        .bearer_auth(token)
        .header("Tus-Resumable", "1.0.0")
        .send()
        .await
        .ok()?;
    (response.status() == 200).then(|| {
        response.headers()["upload-offset"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap()
    })
}

/// A `PATCH` at `offset` with `body` (bytes, or a stream of `length` bytes); an error when the
/// connection broke.
pub async fn patch(
    zegel: &Zegel,
    token: &str,
    id: &str,
    offset: u64,
    length: u64,
    body: impl Into<reqwest::Body>,
) -> reqwest::Result<reqwest::Response> {
    client()
        .patch(format!("{}/api/v1/uploads/{id}", zegel.base))
        .bearer_auth(token)
        .header("Tus-Resumable", "1.0.0")
        .header("Content-Type", "application/offset+octet-stream")
        .header("Upload-Offset", offset.to_string())
        .header("Content-Length", length.to_string())
        .body(body)
        .send()
        .await
}

/// A `PATCH` from 0 announcing all of `file`, of which only the first `sent` bytes are written: the
/// connection stays open, as when the server dies mid-request.
pub async fn patch_cut_off(
    zegel: &Zegel,
    token: &str,
    id: &str,
    file: &[u8],
    sent: usize,
) -> tokio::net::TcpStream {
    let address = zegel.base.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "PATCH /api/v1/uploads/{id} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\n\
         Tus-Resumable: 1.0.0\r\nContent-Type: application/offset+octet-stream\r\nUpload-Offset: 0\r\n\
         Content-Length: {}\r\n\r\n",
        file.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&file[..sent]).await.unwrap();
    stream.flush().await.unwrap();
    stream
}
