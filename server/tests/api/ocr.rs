//! Scans in the server: a photographed letter is read by OCR wherever the content filter runs (the
//! pane's scan, the message intake), once per file thanks to the cache, and a page over its time budget
//! is unscannable rather than waited for.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use serde_json::{Value, json};
use zegel_service::scan::{Attachment, Ocr, Sandbox, ScanInput, scan_message};

use crate::support::TestServer;

fn scan_file(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../crates/zegel-dlp/tests/scans/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[tokio::test]
async fn a_photographed_letter_is_read_once_and_forces_two_factor() {
    let server = TestServer::start_sqlite().await;
    let ocr = server
        .state
        .readers
        .ocr
        .clone()
        .expect("Tesseract is installed, so OCR is on by default");
    let photo = scan_file("verwijsbrief.jpg");
    let token = server.token("arts@zorg.example").await;
    // The pane's live verdict: the photo's BSN is found...
    let scanned: Value = server
        .client
        .post(format!("{}/api/v1/scan", server.base))
        .bearer_auth(&token)
        .json(&json!({
            "subject": "Verwijzing",
            "body_text": "Zie de bijlage.",
            "recipients": [{"email": "huisarts@elders.example"}],
            "attachments": [{
                "name": "verwijsbrief.jpg",
                "content_base64": base64::engine::general_purpose::STANDARD.encode(&photo),
            }],
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(scanned["decision"]["level"], "2fa", "{scanned}");
    assert_eq!(scanned["findings"][0]["kind"], "nl_bsn", "{scanned}");
    let hits = ocr.cache_hits();
    // ... and the intake refuses the photo as public files without reading it again.
    let meta = json!({
        "subject": "Verwijzing",
        "body_text": "Zie de bijlage.",
        "kind": "public_files",
        "recipients": [{"email": "huisarts@elders.example"}],
        "language": "nl"
    });
    let response = server
        .send(&meta, &[("verwijsbrief.jpg", photo.clone())])
        .await;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["required"]["level"], "2fa", "{body}");
    assert_eq!(
        ocr.cache_hits(),
        hits + 1,
        "the intake used the cached text"
    );
    assert_eq!(server.count("messages").await, 0);
}

#[test]
fn a_page_over_its_time_budget_is_unscannable() {
    let ocr = Ocr::find()
        .expect("Tesseract is installed")
        .with_page_timeout(Duration::from_millis(1));
    let readers = Sandbox {
        program: env!("CARGO_BIN_EXE_zegel").into(),
        ocr: Some(Arc::new(ocr)),
    };
    let outcome = scan_message(
        &Default::default(),
        &ScanInput::default(),
        &[Attachment {
            name: "scan-only.pdf".into(),
            bytes: scan_file("scan-only.pdf"),
        }],
        &[],
        &readers,
    );
    let reasons: Vec<(Option<u32>, &str)> = outcome
        .findings
        .iter()
        .map(|f| {
            let zegel_dlp::Location::Attachment { page, .. } = f.location else {
                panic!("{f:?}")
            };
            (page, f.reason.as_deref().unwrap_or_default())
        })
        .collect();
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    for (n, (page, reason)) in reasons.iter().enumerate() {
        assert_eq!(*page, Some(n as u32 + 1));
        assert!(reason.contains("took too long"), "{reason}");
    }
}
