//! `zegel scan` on scans: photos, image-only and mixed PDFs read by Tesseract (the generated set in
//! `crates/zegel-dlp/tests/scans`, whose `expected.json` says what each holds and on which page), hard
//! negatives that must stay clean, hostile pictures answered within their limits, and the unscannable
//! finding, naming the page, when OCR is off.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;
use zegel_tests::zegel_bin;

fn scans() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../crates/zegel-dlp/tests/scans")
}

fn expected() -> Vec<Value> {
    let text = std::fs::read_to_string(scans().join("expected.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// `zegel scan --json` of the scans named, with `ZEGEL_OCR=ocr`: one JSON line per file.
fn scan(ocr: &str, files: &[&str]) -> Vec<Value> {
    let output = Command::new(zegel_bin())
        .arg("scan")
        .arg("--json")
        .args(files.iter().map(|f| scans().join(f)))
        .env("ZEGEL_OCR", ocr)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    // 0, or 1 when the policy forces protection for a file.
    assert!(matches!(output.status.code(), Some(0 | 1)), "{stderr}");
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

fn digits(text: &str) -> String {
    text.chars().filter(char::is_ascii_alphanumeric).collect()
}

#[test]
fn scans_are_read_with_every_value_on_its_page() {
    let expected = expected();
    let files: Vec<&str> = expected
        .iter()
        .map(|e| e["file"].as_str().unwrap())
        .collect();
    let started = Instant::now();
    let lines = scan("tesseract", &files);
    eprintln!("{} scans read in {:?}", files.len(), started.elapsed());
    assert_eq!(lines.len(), files.len());
    for (line, want) in lines.iter().zip(&expected) {
        let file = want["file"].as_str().unwrap();
        let findings = line["findings"].as_array().unwrap();
        let protective: Vec<&Value> = findings
            .iter()
            .filter(|f| !matches!(f["kind"].as_str(), Some("nl_phone" | "email")))
            .collect();
        if want["hostile"] == true {
            // Answered, within the limits: unscannable, never a value and never a crash.
            assert!(
                protective.iter().all(|f| f["kind"] == "unscannable"),
                "{file}: {findings:?}"
            );
            continue;
        }
        let wanted = want["findings"].as_array().unwrap();
        if wanted.is_empty() {
            assert!(
                protective.is_empty(),
                "{file}: hard negative with {protective:?}"
            );
            assert_eq!(line["decision"]["action"], "allow", "{file}");
            continue;
        }
        for value in wanted {
            let hit = findings.iter().find(|f| {
                f["kind"] == value["kind"]
                    && digits(f["text"].as_str().unwrap())
                        .contains(&digits(value["value"].as_str().unwrap()))
            });
            let Some(hit) = hit else {
                panic!("{file}: {value} not found in {findings:?}");
            };
            let location = &hit["location"];
            assert_eq!(location["type"], "attachment", "{file}");
            assert_eq!(
                location.get("page").unwrap_or(&Value::Null),
                &value["page"],
                "{file}: the finding names its page"
            );
        }
        assert!(
            findings.iter().all(|f| f["kind"] != "unscannable"),
            "{file}: {findings:?}"
        );
        assert_ne!(line["decision"]["action"], "allow", "{file}");
    }
    // The mixed PDF's value is only on its scanned page: the day-one policy asks 2FA for a BSN.
    let mixed = &lines[files.iter().position(|f| *f == "mixed.pdf").unwrap()];
    assert_eq!(mixed["decision"]["level"], "2fa", "{mixed}");
}

#[test]
fn with_ocr_off_pictures_and_scanned_pages_are_unscannable_by_page() {
    let lines = scan("off", &["verwijsbrief.jpg", "mixed.pdf", "scan-only.pdf"]);
    let unscannable = |line: &Value| -> Vec<Value> {
        line["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["kind"] == "unscannable")
            .cloned()
            .collect()
    };
    let photo = unscannable(&lines[0]);
    assert_eq!(photo.len(), 1, "{photo:?}");
    assert!(
        photo[0]["reason"].as_str().unwrap().contains("OCR"),
        "{photo:?}"
    );
    // The mixed PDF: its text page is read, its scanned page is named.
    let mixed = unscannable(&lines[1]);
    let pages: Vec<&Value> = mixed.iter().map(|f| &f["location"]["page"]).collect();
    assert_eq!(pages, [&Value::from(2)], "{mixed:?}");
    let scan_only = unscannable(&lines[2]);
    let pages: Vec<&Value> = scan_only.iter().map(|f| &f["location"]["page"]).collect();
    assert_eq!(pages, [&Value::from(1), &Value::from(2)], "{scan_only:?}");
    // Unscannable parts are protected by the day-one policy; never allowed through unread.
    for line in &lines {
        assert_ne!(line["decision"]["action"], "allow", "{line}");
    }
}

#[test]
fn hostile_pictures_are_refused_quickly() {
    zegel_bin();
    let started = Instant::now();
    let lines = scan("tesseract", &["bomb.png", "truncated.jpg"]);
    // The bomb is refused from its header; the cut-off JPEG fails to decode in Tesseract's sandbox.
    assert!(started.elapsed() < Duration::from_secs(30));
    let bomb = &lines[0]["findings"][0];
    assert_eq!(bomb["kind"], "unscannable", "{bomb}");
    assert!(
        bomb["reason"].as_str().unwrap().contains("megapixels"),
        "{bomb}"
    );
    // A JPEG cut short still decodes in part, or is unscannable; either way an answer, not a crash.
    assert!(lines[1]["findings"].is_array());
}
