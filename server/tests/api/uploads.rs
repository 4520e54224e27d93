//! Resumable uploads (tus 1.0.0 at `/api/v1/uploads`): the protocol's answers, offsets on whole sealed
//! chunks, owners, quotas, expiry, a message made from uploads, and the nonce rule after a crash.

use std::time::Duration;

use reqwest::Response;
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;
use zegel_crypto::{CHUNK_SIZE, HEADER_LEN, TAG_LEN};
use zegel_store::uploads as store;

use crate::on_both;
use crate::support::{TestServer, secure_message};

const CHUNK: u64 = CHUNK_SIZE as u64;

/// Deterministic bytes, different in every chunk.
fn data(len: usize, seed: u32) -> Vec<u8> {
    (0..len as u32)
        .map(|i| (i.wrapping_mul(2_654_435_761).wrapping_add(seed) >> 13) as u8)
        .collect()
}

/// A tus client as one sender.
struct Tus<'a> {
    server: &'a TestServer,
    token: String,
}

impl<'a> Tus<'a> {
    /// Opens a raw connection and sends the head of a `PATCH` at offset 0 that announces `length`
    /// bytes; the caller sends (some of) the body itself.
    async fn raw_patch(&self, id: &str, length: usize) -> tokio::net::TcpStream {
        let address = self.server.base.trim_start_matches("http://");
        let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
        let head = format!(
            "PATCH /api/v1/uploads/{id} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {}\r\n\
             Tus-Resumable: 1.0.0\r\nContent-Type: application/offset+octet-stream\r\nUpload-Offset: 0\r\n\
             Content-Length: {length}\r\n\r\n",
            self.token,
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        stream
    }

    async fn new(server: &'a TestServer, email: &str) -> Self {
        Self {
            server,
            token: server.token(email).await,
        }
    }

    fn url(&self, id: &str) -> String {
        format!("{}/api/v1/uploads/{id}", self.server.base)
    }

    fn request(&self, method: reqwest::Method, url: &str) -> reqwest::RequestBuilder {
        self.server
            .client
            .request(method, url)
            .bearer_auth(&self.token)
            .header("Tus-Resumable", "1.0.0")
    }

    async fn create(&self, length: u64, name: &str) -> Response {
        use base64::Engine;
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        self.request(
            reqwest::Method::POST,
            &format!("{}/api/v1/uploads", self.server.base),
        )
        .header("Upload-Length", length.to_string())
        .header(
            "Upload-Metadata",
            format!("filename {},filetype {}", b64(name), b64("application/pdf")),
        )
        .send()
        .await
        .unwrap()
    }

    /// Creates an upload and returns its id.
    async fn create_id(&self, length: u64, name: &str) -> String {
        let response = self.create(length, name).await;
        assert_eq!(response.status(), 201);
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        location
            .strip_prefix("/api/v1/uploads/")
            .unwrap()
            .to_owned()
    }

    async fn head(&self, id: &str) -> Response {
        self.request(reqwest::Method::HEAD, &self.url(id))
            .send()
            .await
            .unwrap()
    }

    async fn offset(&self, id: &str) -> u64 {
        let response = self.head(id).await;
        assert_eq!(response.status(), 200);
        header_number(&response, "upload-offset")
    }

    async fn patch(&self, id: &str, offset: u64, bytes: &[u8]) -> Response {
        self.request(reqwest::Method::PATCH, &self.url(id))
            .header("Content-Type", "application/offset+octet-stream")
            .header("Upload-Offset", offset.to_string())
            .body(bytes.to_vec())
            .send()
            .await
            .unwrap()
    }

    /// Sends `bytes` in pieces of `piece`, each from the offset the last answer gave (as a tus client
    /// does), and returns how many PATCHes it took.
    async fn upload_all(&self, id: &str, bytes: &[u8], piece: usize) -> usize {
        let mut offset = 0u64;
        let mut patches = 0;
        while offset < bytes.len() as u64 {
            let end = (offset as usize + piece).min(bytes.len());
            let response = self.patch(id, offset, &bytes[offset as usize..end]).await;
            assert_eq!(response.status(), 204, "{:?}", response.text().await);
            offset = header_number(&response, "upload-offset");
            patches += 1;
            assert!(patches < 1000, "no progress");
        }
        patches
    }

    async fn delete(&self, id: &str) -> Response {
        self.request(reqwest::Method::DELETE, &self.url(id))
            .send()
            .await
            .unwrap()
    }
}

fn header_number(response: &Response, name: &str) -> u64 {
    response.headers()[name].to_str().unwrap().parse().unwrap()
}

async fn error_code(response: Response) -> String {
    let body: Value = response.json().await.unwrap();
    body["error"]["code"].as_str().unwrap().to_owned()
}

on_both!(tus_semantics, tus_semantics_on);
async fn tus_semantics_on(server: TestServer) {
    let tus = Tus::new(&server, "arts@zorg.example").await;
    let uploads = format!("{}/api/v1/uploads", server.base);

    let options = server
        .client
        .request(reqwest::Method::OPTIONS, &uploads)
        .send()
        .await
        .unwrap();
    assert_eq!(options.status(), 204);
    let h = options.headers();
    assert_eq!(h["tus-resumable"], "1.0.0");
    assert_eq!(h["tus-version"], "1.0.0");
    assert_eq!(h["tus-extension"], "creation,termination,expiration");
    assert_eq!(
        h["tus-max-size"].to_str().unwrap(),
        server.state.config.max_upload_bytes.to_string()
    );

    // Without Tus-Resumable (or with another version): 412, the JSON error, and the version spoken.
    for version in [None, Some("0.2.2")] {
        let mut request = server
            .client
            .post(&uploads)
            .bearer_auth(&tus.token)
            .header("Upload-Length", "10");
        if let Some(version) = version {
            request = request.header("Tus-Resumable", version);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 412);
        assert_eq!(response.headers()["tus-version"], "1.0.0");
        assert_eq!(response.headers()["tus-resumable"], "1.0.0");
        assert_eq!(error_code(response).await, "tus_version");
    }
    // Without Upload-Length: 400; without sign-in: 401, still a tus answer.
    let response = tus
        .request(reqwest::Method::POST, &uploads)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(response.headers()["tus-resumable"], "1.0.0");
    assert_eq!(error_code(response).await, "upload_length");
    let response = server
        .client
        .post(&uploads)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", "10")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(response.headers()["tus-resumable"], "1.0.0");

    // Past Tus-Max-Size: 413.
    let too_big = tus
        .create(server.state.config.max_upload_bytes + 1, "big.bin")
        .await;
    assert_eq!(too_big.status(), 413);
    assert_eq!(server.count("uploads").await, 0);

    let file = data(3 * CHUNK_SIZE + 1234, 1);
    let created = tus.create(file.len() as u64, "scan.pdf").await;
    assert_eq!(created.status(), 201);
    assert_eq!(created.headers()["tus-resumable"], "1.0.0");
    assert!(created.headers().contains_key("upload-expires"));
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    let body: Value = created.json().await.unwrap();
    let id = body["id"].as_str().unwrap().to_owned();
    assert_eq!(location, format!("/api/v1/uploads/{id}"));
    assert_eq!(body["length"], file.len());
    assert_eq!(body["offset"], 0);

    let head = tus.head(&id).await;
    assert_eq!(head.status(), 200);
    assert_eq!(head.headers()["upload-offset"], "0");
    assert_eq!(
        head.headers()["upload-length"].to_str().unwrap(),
        file.len().to_string()
    );
    assert_eq!(head.headers()["cache-control"], "no-store");
    assert_eq!(head.headers()["tus-resumable"], "1.0.0");

    // The wrong content type is 415, the wrong offset 409, nothing taken.
    let wrong_type = tus
        .request(reqwest::Method::PATCH, &tus.url(&id))
        .header("Content-Type", "application/octet-stream")
        .header("Upload-Offset", "0")
        .body(file[..10].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_type.status(), 415);
    assert_eq!(wrong_type.headers()["tus-resumable"], "1.0.0");
    let wrong_offset = tus.patch(&id, 5, &file[5..100]).await;
    assert_eq!(wrong_offset.status(), 409);
    assert_eq!(error_code(wrong_offset).await, "conflict");
    let no_version = server
        .client
        .patch(tus.url(&id))
        .bearer_auth(&tus.token)
        .header("Content-Type", "application/offset+octet-stream")
        .header("Upload-Offset", "0")
        .body(file[..10].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(no_version.status(), 412);
    assert_eq!(tus.offset(&id).await, 0);

    // 1.5 chunks sent: one whole chunk taken, the partial one left for the next request.
    let first = tus
        .patch(&id, 0, &file[..CHUNK_SIZE + CHUNK_SIZE / 2])
        .await;
    assert_eq!(first.status(), 204);
    assert_eq!(first.headers()["upload-offset"], CHUNK.to_string().as_str());
    assert!(first.headers().contains_key("upload-expires"));
    assert_eq!(tus.offset(&id).await, CHUNK);
    // A clean end brings the sealed high-water mark down to what is durable: the next request
    // continues in the same segment.
    let row = store::get(&server.state.db, &id).await.unwrap().unwrap();
    assert_eq!(
        (row.durable_offset, row.sealed_until, row.segment),
        (CHUNK as i64, 1, 0)
    );
    assert!(!row.completed);

    // The rest, reaching Upload-Length, seals the last (partial) chunk.
    let rest = tus.patch(&id, CHUNK, &file[CHUNK_SIZE..]).await;
    assert_eq!(rest.status(), 204);
    assert_eq!(
        rest.headers()["upload-offset"].to_str().unwrap(),
        file.len().to_string()
    );
    assert_eq!(tus.offset(&id).await, file.len() as u64);
    let row = store::get(&server.state.db, &id).await.unwrap().unwrap();
    assert!(row.completed);
    assert_eq!(row.segment, 0);
    let blob = server
        .dir
        .path()
        .join("blobs")
        .join(&row.blob_id[..2])
        .join(&row.blob_id);
    assert_eq!(
        std::fs::metadata(&blob).unwrap().len(),
        zegel_crypto::sealed_len(file.len() as u64),
        "the blob is an ordinary envelope of the file"
    );
    // A complete upload takes nothing more.
    assert_eq!(tus.patch(&id, file.len() as u64, b"x").await.status(), 409);

    // DELETE removes it and its blob.
    assert_eq!(tus.delete(&id).await.status(), 204);
    assert_eq!(tus.head(&id).await.status(), 404);
    assert_eq!(tus.delete(&id).await.status(), 404);
    assert!(!blob.exists());
    assert_eq!(server.count("uploads").await, 0);

    // An empty file is complete when created.
    let empty = tus.create_id(0, "empty.txt").await;
    let head = tus.head(&empty).await;
    assert_eq!(head.headers()["upload-offset"], "0");
    assert!(
        store::get(&server.state.db, &empty)
            .await
            .unwrap()
            .unwrap()
            .completed
    );
}

on_both!(
    uploads_are_their_owners_alone,
    uploads_are_their_owners_alone_on
);
async fn uploads_are_their_owners_alone_on(server: TestServer) {
    let owner = Tus::new(&server, "arts@zorg.example").await;
    let colleague = Tus::new(&server, "collega@zorg.example").await;
    let outsider = Tus::new(&server, "iemand@ander.example").await;
    let file = data(CHUNK_SIZE * 2, 2);
    let id = owner.create_id(file.len() as u64, "a.pdf").await;
    assert_eq!(owner.patch(&id, 0, &file[..CHUNK_SIZE]).await.status(), 204);
    for other in [&colleague, &outsider] {
        assert_eq!(other.head(&id).await.status(), 404);
        let patch = other.patch(&id, CHUNK, &file[CHUNK_SIZE..]).await;
        assert_eq!(patch.status(), 404);
        // Its body is left unread: the connection closes, and the answer says so.
        assert_eq!(patch.headers()["connection"], "close");
        assert_eq!(error_code(patch).await, "not_found");
        assert_eq!(other.delete(&id).await.status(), 404);
    }
    // Nor can another sender put it into a message.
    let mut meta = secure_message("jan@example.nl");
    meta["uploads"] = json!([id]);
    let response = colleague
        .server
        .send_as(&colleague.token, Some(meta.to_string()), &[])
        .await;
    assert_eq!(response.status(), 422);
    assert_eq!(owner.offset(&id).await, CHUNK);
}

on_both!(expired_uploads_are_swept, expired_uploads_are_swept_on);
async fn expired_uploads_are_swept_on(server: TestServer) {
    let tus = Tus::new(&server, "arts@zorg.example").await;
    let file = data(CHUNK_SIZE * 2, 3);
    let id = tus.create_id(file.len() as u64, "a.pdf").await;
    assert_eq!(tus.patch(&id, 0, &file[..CHUNK_SIZE]).await.status(), 204);
    let kept = tus.create_id(10, "b.pdf").await;
    let blobs_before = server.blob_files().len();
    assert_eq!(blobs_before, 2);

    server.clock.advance(jiff::SignedDuration::from_hours(23));
    assert_eq!(
        zegel_service::uploads::sweep_expired(&server.state)
            .await
            .unwrap(),
        0
    );
    server.clock.advance(jiff::SignedDuration::from_hours(2));
    // A fresh sign-in: the test's tokens last a day.
    let tus = Tus::new(&server, "arts@zorg.example").await;
    // Expired: gone for its owner at once, and swept by the maintenance task.
    assert_eq!(tus.head(&id).await.status(), 404);
    assert_eq!(
        zegel_service::uploads::sweep_expired(&server.state)
            .await
            .unwrap(),
        2
    );
    assert_eq!(server.count("uploads").await, 0);
    assert_eq!(server.count("upload_segments").await, 0);
    assert!(server.blob_files().is_empty());
    assert_eq!(tus.head(&kept).await.status(), 404);
    // The quota is given back.
    use sqlx::Row;
    let row = sqlx::query("SELECT open_uploads, open_bytes FROM upload_quotas")
        .fetch_one(&server.state.db.pool)
        .await
        .unwrap();
    assert_eq!(row.get::<i64, _>("open_uploads"), 0);
    assert_eq!(row.get::<i64, _>("open_bytes"), 0);
}

on_both!(
    the_quota_holds_for_parallel_creates,
    the_quota_holds_for_parallel_creates_on
);
async fn the_quota_holds_for_parallel_creates_on(server: TestServer) {
    let tus = Tus::new(&server, "arts@zorg.example").await;
    let responses = futures_util::future::join_all((0..50).map(|i| {
        let tus = &tus;
        async move { tus.create(1000, &format!("f{i}.pdf")).await }
    }))
    .await;
    let mut created = 0;
    let mut refused = 0;
    for response in responses {
        match response.status().as_u16() {
            201 => created += 1,
            429 => {
                assert_eq!(response.headers()["tus-resumable"], "1.0.0");
                assert_eq!(error_code(response).await, "upload_quota");
                refused += 1;
            }
            other => panic!("unexpected {other}"),
        }
    }
    let max = zegel_service::uploads::MAX_OPEN_UPLOADS;
    assert_eq!((created, refused), (max, 50 - max));
    assert_eq!(server.count("uploads").await, max);
    // Refused creates leave no blob behind.
    assert_eq!(server.blob_files().len() as i64, max);
    // Another sender has a quota of their own.
    let colleague = Tus::new(&server, "collega@zorg.example").await;
    assert_eq!(colleague.create(1000, "x.pdf").await.status(), 201);
}

/// Downloads every file of the message behind the last notification to `to`, by name.
async fn download_all(server: &TestServer, to: &str) -> Vec<(String, Vec<u8>)> {
    let link = server.link_for(to).await;
    let api = server.api_of(&link);
    assert_eq!(server.challenge(&api).await, 202);
    let password = server.password_for(to).await;
    assert_eq!(server.verify(&api, &password).await, 200);
    let message: Value = server
        .client
        .get(format!("{api}/message"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut out = Vec::new();
    for file in message["files"].as_array().unwrap() {
        let download = server
            .client
            .post(format!("{api}/files/{}", file["id"].as_str().unwrap()))
            .send()
            .await
            .unwrap();
        assert_eq!(download.status(), 200);
        out.push((
            file["name"].as_str().unwrap().to_owned(),
            download.bytes().await.unwrap().to_vec(),
        ));
    }
    out
}

on_both!(
    a_message_takes_finished_uploads_once,
    a_message_takes_finished_uploads_once_on
);
async fn a_message_takes_finished_uploads_once_on(server: TestServer) {
    let tus = Tus::new(&server, "arts@zorg.example").await;
    let big = data(5 * CHUNK_SIZE + 999, 4);
    let id = tus.create_id(big.len() as u64, "groot dossier.pdf").await;
    // Pieces that do not end on chunk boundaries: every answer is aligned down and the client goes on.
    assert!(tus.upload_all(&id, &big, 100_000).await > 3);
    let unfinished = tus.create_id(1000, "half.pdf").await;

    // An unfinished upload cannot be sent.
    let mut meta = secure_message("jan@example.nl");
    meta["uploads"] = json!([unfinished]);
    let response = server.send(&meta, &[]).await;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["field"], "uploads[0]");

    meta["uploads"] = json!([id]);
    let response = server
        .send(&meta, &[("klein.txt", b"hallo".to_vec())])
        .await;
    assert_eq!(response.status(), 201, "{:?}", response.text().await);
    let created: Value = response.json().await.unwrap();
    let files = created["files"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    assert_eq!(files[1]["name"], "groot dossier.pdf");
    assert_eq!(files[1]["size"], big.len());

    // The upload is used: gone as an upload, its blob now the message's (not copied).
    assert_eq!(tus.head(&id).await.status(), 404);
    let again = server.send(&meta, &[]).await;
    assert_eq!(again.status(), 422);
    assert_eq!(server.blob_files().len(), 3);

    let downloaded = download_all(&server, "jan@example.nl").await;
    assert_eq!(downloaded.len(), 2);
    assert_eq!(downloaded[0], ("klein.txt".to_owned(), b"hallo".to_vec()));
    assert_eq!(downloaded[1].0, "groot dossier.pdf");
    assert!(
        downloaded[1].1 == big,
        "the downloaded bytes are the uploaded ones"
    );
}

on_both!(
    a_broken_off_patch_keeps_its_whole_chunks,
    a_broken_off_patch_keeps_its_whole_chunks_on
);
async fn a_broken_off_patch_keeps_its_whole_chunks_on(server: TestServer) {
    let tus = Tus::new(&server, "arts@zorg.example").await;
    let file = data(6 * CHUNK_SIZE, 5);
    let id = tus.create_id(file.len() as u64, "a.pdf").await;
    // A client that announces the whole file, sends 3.5 chunks and goes away.
    let mut stream = tus.raw_patch(&id, file.len()).await;
    stream
        .write_all(&file[..3 * CHUNK_SIZE + CHUNK_SIZE / 2])
        .await
        .unwrap();
    stream.flush().await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    drop(stream);
    // The server notices, makes the three whole chunks durable and lets go of the upload.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let row = store::get(&server.state.db, &id).await.unwrap().unwrap();
        if row.durable_offset == 3 * CHUNK as i64 && row.sealed_until == 3 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{row:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(tus.offset(&id).await, 3 * CHUNK);
    let rest = tus.patch(&id, 3 * CHUNK, &file[3 * CHUNK_SIZE..]).await;
    assert_eq!(rest.status(), 204);
    let row = store::get(&server.state.db, &id).await.unwrap().unwrap();
    assert!(row.completed);
    assert_eq!(row.segment, 0, "a clean stop needs no new segment");
}

/// The ciphertext of chunk `index` of a blob.
fn sealed_chunk(path: &std::path::Path, index: u64) -> Vec<u8> {
    let bytes = std::fs::read(path).unwrap();
    let start = HEADER_LEN + index as usize * (CHUNK_SIZE + TAG_LEN);
    bytes[start..start + CHUNK_SIZE + TAG_LEN].to_vec()
}

on_both!(
    resuming_after_a_crash_never_reuses_a_nonce,
    resuming_after_a_crash_never_reuses_a_nonce_on
);
async fn resuming_after_a_crash_never_reuses_a_nonce_on(server: TestServer) {
    let state = &server.state;
    let tus = Tus::new(&server, "arts@zorg.example").await;
    let file = data(6 * CHUNK_SIZE + 10, 6);
    let id = tus.create_id(file.len() as u64, "crash.pdf").await;
    assert_eq!(
        tus.patch(&id, 0, &file[..2 * CHUNK_SIZE]).await.status(),
        204
    );
    let row = store::get(&state.db, &id).await.unwrap().unwrap();
    assert_eq!(
        (row.durable_offset, row.sealed_until),
        (2 * CHUNK as i64, 2)
    );
    let path = server
        .dir
        .path()
        .join("blobs")
        .join(&row.blob_id[..2])
        .join(&row.blob_id);

    // What a request does before a crash: the mark goes up, chunks 2 and 3 (the very bytes the client
    // will send again) are sealed and written, and the process dies before they are made durable.
    assert!(
        store::raise_sealed_until(&state.db, &id, row.segment, 5)
            .await
            .unwrap()
    );
    let locked = state
        .blobs
        .lock_resumable(&row.blob_id)
        .await
        .unwrap()
        .unwrap();
    let mut appender = locked
        .append(
            state.keys.clone(),
            zegel_service::uploads::seal_context(&row.tenant_id, &id),
            row.segment as u64,
            2,
        )
        .await
        .unwrap();
    for i in 2..4 {
        let chunk = file[i * CHUNK_SIZE..(i + 1) * CHUNK_SIZE].to_vec();
        appender.seal(chunk, false).await.unwrap();
    }
    assert_eq!(appender.sync().await.unwrap(), 4);
    appender.close().await.unwrap();
    let before_crash = sealed_chunk(&path, 2);
    assert_eq!(
        tus.offset(&id).await,
        2 * CHUNK,
        "nothing past the durable offset counts"
    );

    // The client resumes at the durable offset with the same bytes: a new segment with its own key, so
    // chunk 2 is sealed again but never under the same key and nonce.
    let resumed = tus.patch(&id, 2 * CHUNK, &file[2 * CHUNK_SIZE..]).await;
    assert_eq!(resumed.status(), 204);
    let row = store::get(&state.db, &id).await.unwrap().unwrap();
    assert!(row.completed);
    assert_eq!(row.segment, 1);
    let mut conn = state.db.pool.acquire().await.unwrap();
    assert_eq!(
        store::segments(&mut conn, &id).await.unwrap(),
        vec![(0, 0), (1, 2)]
    );
    drop(conn);
    let after = sealed_chunk(&path, 2);
    assert!(
        before_crash != after,
        "the same plaintext at the same index must be sealed under another key"
    );
    assert_eq!(
        std::fs::metadata(&path).unwrap().len(),
        zegel_crypto::sealed_len(file.len() as u64),
        "the chunks sealed before the crash were cut off"
    );

    // The blob opens only with its segments, and the recipient gets the bytes the client sent.
    let mut meta = secure_message("jan@example.nl");
    meta["uploads"] = json!([id]);
    let response = server.send(&meta, &[]).await;
    assert_eq!(response.status(), 201, "{:?}", response.text().await);
    let downloaded = download_all(&server, "jan@example.nl").await;
    assert_eq!(downloaded.len(), 1);
    assert!(
        downloaded[0].1 == file,
        "the downloaded bytes are the uploaded ones"
    );
}

on_both!(
    one_request_writes_an_upload_at_a_time,
    one_request_writes_an_upload_at_a_time_on
);
async fn one_request_writes_an_upload_at_a_time_on(server: TestServer) {
    let tus = Tus::new(&server, "arts@zorg.example").await;
    let file = data(4 * CHUNK_SIZE, 7);
    let id = tus.create_id(file.len() as u64, "a.pdf").await;
    // A request that has sent one chunk and is still sending holds the upload...
    let mut stream = tus.raw_patch(&id, file.len()).await;
    stream.write_all(&file[..CHUNK_SIZE + 10]).await.unwrap();
    stream.flush().await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while store::get(&server.state.db, &id)
        .await
        .unwrap()
        .unwrap()
        .sealed_until
        == 0
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the first request never started"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // ...so a second one at the same offset is refused rather than sealing beside it.
    let second = tus.patch(&id, 0, &file).await;
    assert_eq!(second.status(), 409);
    assert_eq!(tus.offset(&id).await, 0);
    // The first one goes on to the end.
    stream.write_all(&file[CHUNK_SIZE + 10..]).await.unwrap();
    stream.flush().await.unwrap();
    let mut answer = vec![0u8; 1024];
    let n = tokio::io::AsyncReadExt::read(&mut stream, &mut answer)
        .await
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]);
    assert!(answer.starts_with("HTTP/1.1 204"), "{answer}");
    assert_eq!(tus.offset(&id).await, file.len() as u64);
}

on_both!(
    an_open_upload_goes_on_after_a_key_rotation,
    an_open_upload_goes_on_after_a_key_rotation_on
);
async fn an_open_upload_goes_on_after_a_key_rotation_on(server: TestServer) {
    let tus = Tus::new(&server, "arts@zorg.example").await;
    let file = data(2 * CHUNK_SIZE + 3, 8);
    let id = tus.create_id(file.len() as u64, "sleutel.pdf").await;
    assert_eq!(tus.patch(&id, 0, &file[..CHUNK_SIZE]).await.status(), 204);

    // The rotation re-wraps the open upload's blob header and sealed name...
    let report = zegel_server::admin::rotate_kek(&server.state)
        .await
        .unwrap();
    assert_eq!((report.new_kek_id, report.blobs), (2, 1));
    assert!(report.fields >= 1, "{report:?}");
    let blob = std::fs::read(&server.blob_files()[0]).unwrap();
    assert_eq!(&blob[6..10], &2u32.to_be_bytes());
    // ...so it goes on, and is sent and read, without KEK 1.
    let path = server.dir.path().join("keyring.json");
    let mut keyring =
        zegel_crypto::Keyring::from_json(&std::fs::read_to_string(&path).unwrap()).unwrap();
    keyring.remove(1).unwrap();
    std::fs::write(&path, keyring.to_json()).unwrap();
    server.state.keys.reload().unwrap();

    assert_eq!(
        tus.patch(&id, CHUNK, &file[CHUNK_SIZE..]).await.status(),
        204
    );
    let mut meta = secure_message("jan@example.nl");
    meta["uploads"] = json!([id]);
    let response = server.send(&meta, &[]).await;
    assert_eq!(response.status(), 201, "{:?}", response.text().await);
    let downloaded = download_all(&server, "jan@example.nl").await;
    assert_eq!(downloaded[0].0, "sleutel.pdf");
    assert!(downloaded[0].1 == file);
}

on_both!(
    the_content_policy_reads_uploads,
    the_content_policy_reads_uploads_on
);
async fn the_content_policy_reads_uploads_on(server: TestServer) {
    let tus = Tus::new(&server, "arts@zorg.example").await;
    let text = b"Patient: mevrouw Jansen, BSN 111222333, geboren 1970.".to_vec();
    let id = tus.create_id(text.len() as u64, "verwijzing.txt").await;
    assert_eq!(tus.patch(&id, 0, &text).await.status(), 204);
    let meta = json!({
        "subject": "Verwijzing", "body_text": "Zie bijlage.", "kind": "public_files",
        "recipients": [{"email": "jan@elders.example"}], "language": "nl", "uploads": [id],
    });
    let response = server.send(&meta, &[]).await;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "policy", "{body}");
    assert_eq!(
        body["error"]["found"],
        json!([{"kind": "nl_bsn", "where": "attachment"}])
    );
    // Refused, nothing is stored and the upload is still there to send better protected.
    assert_eq!(server.count("messages").await, 0);
    assert_eq!(tus.offset(&id).await, text.len() as u64);
    assert_eq!(server.blob_files().len(), 1);
}

on_both!(
    parallel_messages_take_an_upload_once,
    parallel_messages_take_an_upload_once_on
);
async fn parallel_messages_take_an_upload_once_on(server: TestServer) {
    let tus = Tus::new(&server, "arts@zorg.example").await;
    let file = data(CHUNK_SIZE + 5, 9);
    let id = tus.create_id(file.len() as u64, "een keer.pdf").await;
    tus.upload_all(&id, &file, file.len()).await;
    let meta = json!({
        "subject": "Eén keer", "kind": "public_files",
        "recipients": [{"email": "jan@elders.example"}], "language": "nl", "uploads": [id],
    });
    let statuses: Vec<u16> = futures_util::future::join_all(
        (0..5).map(|_| async { server.send(&meta, &[]).await.status().as_u16() }),
    )
    .await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| [201, 409, 422].contains(s)),
        "{statuses:?}"
    );
    assert_eq!(server.count("messages").await, 1);
    assert_eq!(server.count("files").await, 1);
    server.deliver().await;
}
