//! `POST /api/v1/scan`: findings and the policy's decision, nothing stored.

use serde_json::{Value, json};

use crate::on_both;
use crate::support::TestServer;

async fn scan_json(server: TestServer) {
    let token = server.token("arts@zorg.example").await;
    let scan = |body: Value| {
        server
            .client
            .post(format!("{}/api/v1/scan", server.base))
            .bearer_auth(&token)
            .json(&body)
            .send()
    };
    let external: Value = scan(json!({
        "subject": "Verwijzing", "body_text": "BSN 111222333, graag terugbellen.",
        "recipients": [{"email": "huisarts@elders.example", "kind": "to"}]
    }))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(external["decision"]["action"], "force");
    assert_eq!(external["decision"]["level"], "2fa");
    assert_eq!(external["findings"][0]["kind"], "nl_bsn");
    assert_eq!(external["findings"][0]["text"], "111222333");
    assert_eq!(external["findings"][0]["location"]["type"], "body");

    // The default policy protects external mail only: the same text to a colleague is allowed.
    let internal: Value = scan(
        json!({"body_text": "BSN 111222333", "recipients": [{"email": "collega@zorg.example"}]}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(internal["decision"]["action"], "allow");

    // Just a text; HTML bodies are reduced to text first.
    let text: Value = scan(json!({"text": "IBAN NL91ABNA0417164300"}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(text["decision"]["action"], "auto");
    let html: Value = scan(json!({"body_html": "<p>BSN <b>111222333</b></p>"}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(html["findings"][0]["kind"], "nl_bsn");

    let bad = scan(json!({"subject": 3})).await.unwrap();
    assert_eq!(bad.status(), 422);
    let unauthenticated = server
        .client
        .post(format!("{}/api/v1/scan", server.base))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(unauthenticated.status(), 401);
    assert_eq!(
        server.count("messages").await + server.count("outbox").await,
        0,
        "a scan stores nothing"
    );
}
on_both!(scan_answers_with_a_decision, scan_json);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scan_reads_attachments_and_isolates_pdfs() {
    let server = TestServer::start_sqlite().await;
    let token = server.token("arts@zorg.example").await;
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/dlp-corpus/attachments");
    let pdf = std::fs::read(corpus.join("a17_verslag.pdf"))
        .expect("the shared corpus is beside the repository");
    let mut garbage = b"%PDF-1.7\n".to_vec();
    garbage.extend((0..5000u32).map(|i| (i * 131 % 251) as u8));
    let form = reqwest::multipart::Form::new()
        .text(
            "meta",
            json!({"subject": "Verslag", "recipients": [{"email": "x@elders.example"}]})
                .to_string(),
        )
        .part(
            "file",
            reqwest::multipart::Part::bytes(pdf).file_name("verslag.pdf"),
        )
        .part(
            "file",
            reqwest::multipart::Part::bytes(garbage).file_name("kapot.pdf"),
        );
    let response = server
        .client
        .post(format!("{}/api/v1/scan", server.base))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let outcome: Value = response.json().await.unwrap();
    let findings = outcome["findings"].as_array().unwrap();
    let bsn = findings
        .iter()
        .find(|f| f["kind"] == "nl_bsn")
        .expect("the BSN inside the PDF");
    assert_eq!(bsn["location"]["name"], "verslag.pdf");
    let broken = findings
        .iter()
        .find(|f| f["kind"] == "unscannable")
        .expect("the broken PDF is unscannable");
    assert_eq!(broken["location"]["name"], "kapot.pdf");
    assert_eq!(outcome["decision"]["action"], "force");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scan_reads_base64_attachments_in_json() {
    use base64::Engine as _;
    let server = TestServer::start_sqlite().await;
    let token = server.token("arts@zorg.example").await;
    let scan = |body: Value| {
        server
            .client
            .post(format!("{}/api/v1/scan", server.base))
            .bearer_auth(&token)
            .json(&body)
            .send()
    };
    let encoded = base64::engine::general_purpose::STANDARD.encode("Patiënt BSN 111222333\n");
    let outcome: Value = scan(json!({
        "subject": "Verslag", "body_text": "Zie bijlage.",
        "recipients": [{"email": "x@elders.example"}],
        "attachments": [{"name": "notitie.txt", "content_base64": encoded}]
    }))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(outcome["decision"]["action"], "force", "{outcome}");
    let bsn = outcome["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "nl_bsn")
        .expect("the BSN in the attachment");
    assert_eq!(bsn["location"]["name"], "notitie.txt");

    let broken = scan(json!({"attachments": [{"name": "a.txt", "content_base64": "@@@"}]}))
        .await
        .unwrap();
    assert_eq!(broken.status(), 422);
    let error: Value = broken.json().await.unwrap();
    assert_eq!(error["error"]["field"], "attachments[0].content_base64");
    let unknown = scan(json!({"attachments": [{"name": "a.txt", "content_base64": "", "x": 1}]}))
        .await
        .unwrap();
    assert_eq!(unknown.status(), 422);
    let stray = scan(json!({"subject": "x", "attachment": []}))
        .await
        .unwrap();
    assert_eq!(stray.status(), 422, "unknown fields are still refused");

    // The size limit is the multipart one (a unit test next to the code checks it without 100 MB here).
}
