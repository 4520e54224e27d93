//! Upload requests: the sender asks, the recipient proves their address with an e-mailed code, uploads
//! with tus under that session and sends once; files of the wrong kind (by content) or with malware are
//! refused, files wait while clamd is unreachable, and the sender downloads what arrived.

use std::io::Read;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::on_both;
use crate::support::{Backend, TestServer};

const SENDER: &str = "arts@zorg.example";
const PATIENT: &str = "jan@example.nl";

fn pdf() -> Vec<u8> {
    let mut bytes = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n".to_vec();
    bytes.extend((0..200_000u32).map(|i| (i % 251) as u8));
    bytes
}

fn png() -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    bytes.extend(std::iter::repeat_n(7u8, 5000));
    bytes
}

fn eicar() -> Vec<u8> {
    [
        "X5O!P%@AP[4\\PZX54(P^)7CC)7}$",
        "EICAR-STANDARD-ANTIVIRUS-TEST-FILE!",
        "$H+H*",
    ]
    .concat()
    .into_bytes()
}

/// The clamd of the test run (`cargo xtask test` starts one), if any.
fn test_clamd() -> Option<String> {
    match std::env::var("ZEGEL_TEST_CLAMD") {
        Ok(address) => Some(address),
        Err(_) if std::env::var_os("ZEGEL_TEST_REQUIRE_CLAMD").is_some() => {
            panic!("ZEGEL_TEST_CLAMD is not set")
        }
        Err(_) => None,
    }
}

/// Sends an upload request as the sender; the answer's JSON.
async fn ask(server: &TestServer, body: Value) -> (StatusCode, Value) {
    let token = server.token(SENDER).await;
    let response = server
        .client
        .post(format!("{}/api/v1/upload-requests", server.base))
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

/// The upload link in the last request mail to `to`.
async fn upload_link(server: &TestServer, to: &str) -> String {
    server.deliver().await;
    let mail = server
        .mails()
        .into_iter()
        .rev()
        .find(|m| m.to == to && m.text.contains("/u/"))
        .unwrap_or_else(|| panic!("no upload request for {to}"));
    let start = mail.text.find(&format!("{}/u/", server.base)).unwrap();
    mail.text[start..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

/// The six-digit code in the last code mail to `to`.
async fn code_for(server: &TestServer, to: &str) -> String {
    server.deliver().await;
    let mail = server
        .mails()
        .into_iter()
        .rev()
        .find(|m| m.to == to && m.text.lines().any(|l| l.trim().len() == 6))
        .unwrap_or_else(|| panic!("no code mail for {to}"));
    mail.text
        .lines()
        .map(str::trim)
        .find(|l| l.len() == 6 && l.bytes().all(|b| b.is_ascii_digit()))
        .unwrap()
        .to_owned()
}

fn access_api(server: &TestServer, link: &str) -> String {
    link.replace(
        &format!("{}/u/", server.base),
        &format!("{}/api/v1/upload-requests/access/", server.base),
    )
}

/// Proves the address on an upload link (code by e-mail); the session cookie stays in the client.
async fn sign_in(server: &TestServer, link: &str, to: &str) {
    let api = access_api(server, link);
    let sent = server
        .client
        .post(format!("{api}/challenge"))
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), StatusCode::ACCEPTED);
    let code = code_for(server, to).await;
    let verified = server
        .client
        .post(format!("{api}/verify"))
        .json(&json!({"code": code}))
        .send()
        .await
        .unwrap();
    assert_eq!(verified.status(), StatusCode::OK);
}

/// Uploads `bytes` as `name` with tus under the client's session; the upload id (or the creation's
/// status when it is refused).
async fn upload(server: &TestServer, name: &str, bytes: &[u8]) -> Result<String, StatusCode> {
    use base64::Engine;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let created = server
        .client
        .post(format!("{}/api/v1/uploads", server.base))
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", bytes.len().to_string())
        .header("Upload-Metadata", format!("filename {}", b64(name)))
        .send()
        .await
        .unwrap();
    if created.status() != StatusCode::CREATED {
        return Err(created.status());
    }
    let id = created.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let patched = server
        .client
        .patch(format!("{}/api/v1/uploads/{id}", server.base))
        .header("Tus-Resumable", "1.0.0")
        .header("Content-Type", "application/offset+octet-stream")
        .header("Upload-Offset", "0")
        .body(bytes.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), StatusCode::NO_CONTENT);
    Ok(id)
}

async fn submit(
    server: &TestServer,
    link: &str,
    uploads: &[String],
    message: &str,
) -> (StatusCode, Value) {
    let response = server
        .client
        .post(format!("{}/submit", access_api(server, link)))
        .json(&json!({"uploads": uploads, "message": message}))
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn status(server: &TestServer, id: &str) -> Value {
    let token = server.token(SENDER).await;
    server
        .client
        .get(format!("{}/api/v1/upload-requests/{id}", server.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn sender_get(server: &TestServer, path: &str) -> reqwest::Response {
    let token = server.token(SENDER).await;
    server
        .client
        .get(format!("{}{path}", server.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
}

async fn the_whole_journey(server: TestServer) {
    let (created, body) = ask(
        &server,
        json!({
            "recipients": [{"email": PATIENT}],
            "message": "Wilt u de scan van uw knie uploaden?",
            "allowed_types": ["pdf", "image"],
            "max_files": 3,
        }),
    )
    .await;
    assert_eq!(created, StatusCode::CREATED, "{body}");
    let id = body["id"].as_str().unwrap().to_owned();
    assert!(body.get("notification").is_none());
    // The mail: a neutral subject, who asks, the button; the sender's message is not in it.
    let link = upload_link(&server, PATIENT).await;
    let mail = server
        .mails()
        .into_iter()
        .find(|m| m.to == PATIENT)
        .unwrap();
    assert_eq!(mail.subject, "Verzoek om bestanden te uploaden");
    assert!(mail.text.contains(SENDER) && mail.text.contains("Upload bestanden"));
    assert!(
        !mail.text.contains("knie"),
        "the request's text is behind the code"
    );
    // Nothing is shown before the address is proven; the page of the link answers without a session.
    let before = server
        .client
        .get(access_api(&server, &link))
        .send()
        .await
        .unwrap();
    assert_eq!(before.status(), StatusCode::UNAUTHORIZED);
    // A message's JSON access API does not know the upload link, and the other way round.
    let crossed = server
        .client
        .post(format!(
            "{}/challenge",
            link.replace("/u/", "/api/v1/access/")
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(crossed.status(), StatusCode::NOT_FOUND);
    // No session: no uploads.
    assert_eq!(
        upload(&server, "scan.pdf", &pdf()).await,
        Err(StatusCode::UNAUTHORIZED)
    );
    sign_in(&server, &link, PATIENT).await;
    let page: Value = server
        .client
        .get(access_api(&server, &link))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["sender"], SENDER);
    assert_eq!(page["message"], "Wilt u de scan van uw knie uploaden?");
    assert_eq!(page["allowed_types"], json!(["pdf", "image"]));
    assert_eq!(page["answered"], false);
    let scan = pdf();
    let photo = png();
    let ids = vec![
        upload(&server, "knie.pdf", &scan).await.unwrap(),
        upload(&server, "foto.png", &photo).await.unwrap(),
    ];
    // A sender of the tenant cannot see the visitor's uploads.
    let token = server.token(SENDER).await;
    let foreign = server
        .client
        .head(format!("{}/api/v1/uploads/{}", server.base, ids[0]))
        .bearer_auth(&token)
        .header("Tus-Resumable", "1.0.0")
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), StatusCode::NOT_FOUND);
    let (sent, body) = submit(&server, &link, &ids, "Hierbij de scan.").await;
    assert_eq!(sent, StatusCode::CREATED, "{body}");
    assert_eq!(body["status"], "delivered");
    assert_eq!(body["files"][0]["file_type"], "pdf");
    assert_eq!(body["files"][1]["file_type"], "image");
    // Once per recipient.
    let (again, _) = submit(&server, &link, &ids, "nog een keer").await;
    assert_eq!(again, StatusCode::CONFLICT);
    // The sender hears, neutrally; the uploader gets a confirmation.
    server.deliver().await;
    let notice = server
        .mails()
        .into_iter()
        .rev()
        .find(|m| m.to == SENDER)
        .expect("a notice to the sender");
    assert_eq!(notice.subject, "Er zijn bestanden voor u geüpload");
    assert!(notice.text.contains("Download alles") && notice.text.contains(PATIENT));
    assert!(
        !notice.text.contains("knie.pdf"),
        "no file names in the notice"
    );
    let confirmation = server
        .mails()
        .into_iter()
        .rev()
        .find(|m| m.to == PATIENT && m.subject == "Uw bestanden zijn verzonden")
        .expect("a confirmation to the uploader");
    assert!(confirmation.text.contains("knie.pdf"));
    // The sender's view: status, files, the download, the ZIP.
    let overview = status(&server, &id).await;
    let answer = &overview["recipients"][0];
    assert_eq!(answer["email"], PATIENT);
    assert_eq!(answer["status"], "delivered");
    assert_eq!(answer["message"], "Hierbij de scan.");
    assert_eq!(answer["files"].as_array().unwrap().len(), 2);
    let file_id = answer["files"][0]["id"].as_str().unwrap();
    let got = sender_get(
        &server,
        &format!("/api/v1/upload-requests/{id}/files/{file_id}"),
    )
    .await;
    assert_eq!(got.status(), StatusCode::OK);
    assert_eq!(got.bytes().await.unwrap().as_ref(), scan.as_slice());
    let zip = sender_get(&server, &format!("/api/v1/upload-requests/{id}/files.zip")).await;
    assert_eq!(zip.status(), StatusCode::OK);
    let bytes = zip.bytes().await.unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let mut names: Vec<String> = archive.file_names().map(str::to_owned).collect();
    names.sort();
    assert_eq!(
        names,
        [format!("{PATIENT}/foto.png"), format!("{PATIENT}/knie.pdf")]
    );
    let mut inside = Vec::new();
    archive
        .by_name(&format!("{PATIENT}/foto.png"))
        .unwrap()
        .read_to_end(&mut inside)
        .unwrap();
    assert_eq!(inside, photo);
    // Another sender of the tenant sees nothing of it.
    let other = server.token("collega@zorg.example").await;
    let refused = server
        .client
        .get(format!("{}/api/v1/upload-requests/{id}", server.base))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::NOT_FOUND);
    // The sender can also open the files in the portal, after proving their own address.
    let staff_link = server.link_for(SENDER).await;
    let staff_api = server.api_of(&staff_link);
    assert_eq!(server.challenge(&staff_api).await, 202);
    let code = code_for(&server, SENDER).await;
    assert_eq!(server.verify(&staff_api, &code).await, 200);
    let message = server.message(&staff_link).await;
    assert_eq!(message["sender"], PATIENT);
    assert_eq!(message["body_text"], "Hierbij de scan.");
    assert_eq!(message["files"].as_array().unwrap().len(), 2);
    // Received files are not listed as messages the sender sent; the request is.
    let list: Value = sender_get(&server, "/api/v1/messages")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["messages"].as_array().unwrap().len(), 1, "{list}");
}
on_both!(the_whole_journey_works, the_whole_journey);

async fn wrong_kinds_and_limits(server: TestServer) {
    let (_, body) = ask(
        &server,
        json!({"recipients": [{"email": PATIENT}], "allowed_types": ["pdf"], "max_files": 2, "max_bytes": 300000}),
    )
    .await;
    let id = body["id"].as_str().unwrap().to_owned();
    let link = upload_link(&server, PATIENT).await;
    sign_in(&server, &link, PATIENT).await;
    // A program that calls itself a PDF is judged by its content.
    let fake = upload(
        &server,
        "uitslag.pdf",
        b"MZ\x90\0\x03\0\0\0 this is a program",
    )
    .await
    .unwrap();
    let (refused, body) = submit(&server, &link, std::slice::from_ref(&fake), "").await;
    assert_eq!(refused, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["field"], "uploads[0]", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("uitslag.pdf")
    );
    // A picture where only PDFs are asked for.
    let photo = upload(&server, "foto.png", &png()).await.unwrap();
    let (refused, _) = submit(&server, &link, std::slice::from_ref(&photo), "").await;
    assert_eq!(refused, StatusCode::UNPROCESSABLE_ENTITY);
    // The request's bytes bound each upload, and its files the open uploads.
    assert_eq!(
        upload(&server, "groot.pdf", &vec![b'%'; 300_001]).await,
        Err(StatusCode::PAYLOAD_TOO_LARGE)
    );
    assert_eq!(
        upload(&server, "derde.pdf", &pdf()).await,
        Err(StatusCode::TOO_MANY_REQUESTS),
        "two files asked for, two uploads open"
    );
    // Nothing was delivered; the recipient can still answer.
    let delete = |id: String| {
        let server = &server;
        async move {
            server
                .client
                .delete(format!("{}/api/v1/uploads/{id}", server.base))
                .header("Tus-Resumable", "1.0.0")
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(delete(fake).await, StatusCode::NO_CONTENT);
    assert_eq!(delete(photo).await, StatusCode::NO_CONTENT);
    let good = upload(&server, "uitslag.pdf", &pdf()).await.unwrap();
    let (sent, body) = submit(&server, &link, &[good], "").await;
    assert!(sent.is_success(), "{body}");
    assert_eq!(
        status(&server, &id).await["recipients"][0]["files"][0]["name"],
        "uitslag.pdf"
    );
    server.deliver().await;
}
on_both!(wrong_kinds_and_limits_are_refused, wrong_kinds_and_limits);

async fn parallel_answers(server: TestServer) {
    ask(&server, json!({"recipients": [{"email": PATIENT}]})).await;
    let link = upload_link(&server, PATIENT).await;
    sign_in(&server, &link, PATIENT).await;
    let id = upload(
        &server,
        "brief.txt",
        b"Beste dokter,\nhierbij mijn vragen.\n",
    )
    .await
    .unwrap();
    let answers = futures_util::future::join_all((0..20).map(|_| {
        let ids = vec![id.clone()];
        let server = &server;
        let link = link.clone();
        async move { submit(server, &link, &ids, "").await.0 }
    }))
    .await;
    let delivered = answers.iter().filter(|s| s.is_success()).count();
    assert_eq!(delivered, 1, "{answers:?}");
    assert_eq!(server.count("received").await, 1);
    server.deliver().await;
}
on_both!(
    one_answer_per_recipient_under_parallel_submits,
    parallel_answers
);

async fn one_link(server: TestServer) {
    let (created, body) = ask(
        &server,
        json!({"recipients": [{"email": PATIENT}, {"email": "piet@example.nl"}], "notify": "client", "language": "sv"}),
    )
    .await;
    assert_eq!(created, StatusCode::CREATED, "{body}");
    let notification = &body["notification"];
    assert_eq!(notification["subject"], "Begäran om att ladda upp filer");
    let link = notification["link"].as_str().unwrap().to_owned();
    assert!(link.contains("/u/"));
    server.deliver().await;
    assert!(
        server.mails().is_empty(),
        "the sender's own mail is the only one"
    );
    let api = access_api(&server, &link);
    // An address that was not asked gets the same answer and no mail.
    let stranger = server
        .client
        .post(format!("{api}/challenge"))
        .json(&json!({"email": "boef@example.org"}))
        .send()
        .await
        .unwrap();
    assert_eq!(stranger.status(), StatusCode::ACCEPTED);
    let asked = server
        .client
        .post(format!("{api}/challenge"))
        .json(&json!({"email": PATIENT}))
        .send()
        .await
        .unwrap();
    assert_eq!(asked.status(), StatusCode::ACCEPTED);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let code = code_for(&server, PATIENT).await;
    let mail = server
        .mails()
        .into_iter()
        .find(|m| m.to == PATIENT)
        .unwrap();
    assert_eq!(mail.subject, "Din verifieringskod");
    assert!(server.mails().iter().all(|m| m.to != "boef@example.org"));
    let verified = server
        .client
        .post(format!("{api}/verify"))
        .json(&json!({"code": code, "email": PATIENT}))
        .send()
        .await
        .unwrap();
    assert_eq!(verified.status(), StatusCode::OK);
    let id = upload(&server, "lista.csv", b"namn;belopp\nJan;12\n")
        .await
        .unwrap();
    let (sent, body) = submit(&server, &link, &[id], "").await;
    assert!(sent.is_success(), "{body}");
    assert_eq!(body["files"][0]["file_type"], "spreadsheet");
    server.deliver().await;
}
on_both!(the_one_link_asks_for_the_address, one_link);

async fn malware(backend: Backend) {
    let Some(clamd) = test_clamd() else { return };
    let Some(server) = TestServer::start_on(&backend, &[("ZEGEL_CLAMD", &clamd)]).await else {
        return;
    };
    ask(&server, json!({"recipients": [{"email": PATIENT}]})).await;
    let link = upload_link(&server, PATIENT).await;
    sign_in(&server, &link, PATIENT).await;
    let bad = upload(&server, "rekening.txt", &eicar()).await.unwrap();
    let good = upload(&server, "brief.pdf", &pdf()).await.unwrap();
    let (refused, body) = submit(&server, &link, &[good.clone(), bad.clone()], "").await;
    assert_eq!(refused, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["code"], "infected");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("rekening.txt")
    );
    assert_eq!(server.count("received").await, 0);
    // Without the infected file it goes through, scanned.
    let (sent, body) = submit(&server, &link, &[good], "").await;
    assert_eq!(sent, StatusCode::CREATED, "{body}");
    server.deliver().await;
}
on_both!(infected_files_are_refused, malware, backend);

/// A TCP port nothing listens on (yet).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn clamd_down(backend: Backend) {
    let Some(clamd) = test_clamd() else { return };
    let port = free_port();
    let address = format!("tcp://127.0.0.1:{port}");
    let Some(server) = TestServer::start_on(&backend, &[("ZEGEL_CLAMD", &address)]).await else {
        return;
    };
    let (_, body) = ask(&server, json!({"recipients": [{"email": PATIENT}]})).await;
    let id = body["id"].as_str().unwrap().to_owned();
    let link = upload_link(&server, PATIENT).await;
    sign_in(&server, &link, PATIENT).await;
    let upload_id = upload(&server, "brief.pdf", &pdf()).await.unwrap();
    let (sent, body) = submit(&server, &link, &[upload_id], "").await;
    assert_eq!(sent, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["status"], "scanning");
    server.deliver().await;
    assert!(
        server.mails().iter().all(|m| m.to != SENDER),
        "nothing is announced before it is scanned"
    );
    let overview = status(&server, &id).await;
    assert_eq!(overview["recipients"][0]["status"], "scanning");
    let file_id = overview["recipients"][0]["files"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let held = sender_get(
        &server,
        &format!("/api/v1/upload-requests/{id}/files/{file_id}"),
    )
    .await;
    assert_eq!(
        held.status(),
        StatusCode::NOT_FOUND,
        "never delivered unscanned"
    );
    // Still down: the round changes nothing.
    assert_eq!(
        zegel_service::requests::judge_pending(&server.state)
            .await
            .unwrap(),
        0
    );
    // clamd comes back on its address: the next round releases the files.
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    let target = clamd.trim_start_matches("tcp://").to_owned();
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            let target = target.clone();
            tokio::spawn(async move {
                let mut outbound = tokio::net::TcpStream::connect(target).await.unwrap();
                let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
            });
        }
    });
    assert_eq!(
        zegel_service::requests::judge_pending(&server.state)
            .await
            .unwrap(),
        1
    );
    server.deliver().await;
    assert!(
        server
            .mails()
            .iter()
            .any(|m| m.to == SENDER && m.subject == "Er zijn bestanden voor u geüpload")
    );
    assert_eq!(
        status(&server, &id).await["recipients"][0]["status"],
        "delivered"
    );
    let got = sender_get(
        &server,
        &format!("/api/v1/upload-requests/{id}/files/{file_id}"),
    )
    .await;
    assert_eq!(got.status(), StatusCode::OK);
}
on_both!(
    files_wait_for_clamd_and_are_delivered_when_it_returns,
    clamd_down,
    backend
);

async fn bad_requests(server: TestServer) {
    for (body, field) in [
        (json!({"recipients": []}), "recipients"),
        (
            json!({"recipients": [{"email": "geen adres"}]}),
            "recipients[0].email",
        ),
        (
            json!({"recipients": [{"email": PATIENT}], "max_files": 0}),
            "max_files",
        ),
        (
            json!({"recipients": [{"email": PATIENT}], "expires_in_days": 999}),
            "expires_in_days",
        ),
    ] {
        let (status, answer) = ask(&server, body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        assert_eq!(answer["error"]["field"], field);
    }
    let (status, answer) = ask(
        &server,
        json!({"recipients": [{"email": PATIENT}], "allowed_types": ["exe"]}),
    )
    .await;
    assert!(status.is_client_error(), "{answer}");
    assert_eq!(server.count("upload_requests").await, 0);
}
on_both!(bad_requests_name_the_field, bad_requests);
