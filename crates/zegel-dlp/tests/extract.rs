//! Attachment extraction on small files made by the real tools of each format (see fixtures/make.py),
//! including hostile ones: each is answered, within its limits, with findings or an unscannable reason.

#![cfg(feature = "extract")]

use std::time::{Duration, Instant};

use zegel_dlp::extract::{InProcess, Limits, OcrInput, PdfPage, Readers, extract};
use zegel_dlp::{Finding, Kind, Location, Scanner, Words};

use Kind::*;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn scanner() -> Scanner {
    Scanner::new(&Words {
        trigger_words: vec!["Patiëntendossier".into()],
        activation_words: vec!["zegel-veilig".into()],
    })
    .with_today(2026, 6, 15)
}

fn scan_with(name: &str, limits: &Limits) -> Vec<Finding> {
    let bytes = fixture(name);
    let findings = scanner().scan_attachment(name, &bytes, limits, &InProcess);
    // Offsets point into the extracted text of the part named by the location.
    let parts = extract(name, &bytes, limits, &InProcess).parts;
    for f in findings.iter().filter(|f| f.kind != Unscannable) {
        let Location::Attachment {
            name: n,
            path,
            page,
        } = &f.location
        else {
            panic!("{name}: {f:?}")
        };
        assert_eq!(n, name);
        let part = parts
            .iter()
            .find(|p| &p.path == path && &p.page == page)
            .expect("finding in an extracted part");
        assert_eq!(&part.text[f.start..f.end], f.text, "{name}");
    }
    findings
}

fn scan(name: &str) -> Vec<Finding> {
    scan_with(name, &Limits::default())
}

fn reasons(findings: &[Finding]) -> Vec<&str> {
    findings
        .iter()
        .filter(|f| f.kind == Unscannable)
        .filter_map(|f| f.reason.as_deref())
        .collect()
}

#[test]
fn every_format_yields_its_values() {
    let table: &[(&str, &[(Kind, &str)])] = &[
        (
            "letter.docx",
            &[
                (TriggerWord, "Patiëntendossier"),
                (NlBsn, "123 456 782"),
                (Iban, "NL91 ABNA 0417 1643 00"),
                (NlPhone, "06-12345678"),
            ],
        ),
        (
            "overview.xlsx",
            &[
                (NlBsn, "123456782"),
                (NlBsn, "111222333"),
                (TriggerWord, "Patiëntendossier"),
                (SePersonnummer, "811218-9876"),
                (Email, "jan.jansen@zkh-noordhaven.nl"),
            ],
        ),
        (
            "huge_dimension.xlsx",
            &[(NlBsn, "123456782"), (SePersonnummer, "811218-9876")],
        ),
        (
            "slides.pptx",
            &[
                (CreditCard, "4111 1111 1111 1111"),
                (ActivationWord, "zegel-veilig"),
                (Iban, "NL91ABNA0417164300"),
            ],
        ),
        (
            "note.odt",
            &[
                (TriggerWord, "Patiëntendossier"),
                (NlPhone, "06 1234 5678"),
                (Email, "jan.jansen@zkh-noordhaven.nl"),
                (NlBsn, "1234.56.782"),
            ],
        ),
        (
            "report.pdf",
            &[
                (TriggerWord, "Patiëntendossier"),
                (NlBsn, "123456782"),
                (SePersonnummer, "811218-9876"),
            ],
        ),
        (
            "page.html",
            &[
                (TriggerWord, "Patiëntendossier"),
                (NlBsn, "123\u{a0}456\u{a0}782"),
                (Iban, "NL91 ABNA 0417 1643 00"),
            ],
        ),
        (
            "notes.txt",
            &[
                (TriggerWord, "Patiëntendossier"),
                (NlBsn, "123456782"),
                (Iban, "nl91 abna 0417 1643 00"),
            ],
        ),
        (
            "legacy.txt",
            &[
                (TriggerWord, "Patiëntendossier"),
                (CreditCard, "4111-1111-1111-1111"),
            ],
        ),
        ("utf16.txt", &[(SePersonnummer, "19811218-9876")]),
        (
            "list.csv",
            &[(NlBsn, "123456782"), (Iban, "NL91ABNA0417164300")],
        ),
        (
            "message.eml",
            &[
                (TriggerWord, "Patiëntendossier"),
                (NlBsn, "123456782"),
                (CreditCard, "4111 1111 1111 1111"),
                (Iban, "NL91 ABNA 0417 1643 00"),
            ],
        ),
        ("nested.zip", &[(SePersonnummer, "811218-9876")]),
        ("laughs.docx", &[(NlBsn, "123456782")]),
    ];
    for (file, want) in table {
        let found = scan(file);
        for (kind, text) in *want {
            assert!(
                found.iter().any(|f| f.kind == *kind && f.text == *text),
                "{file}: no {kind} {text:?} in {found:#?}"
            );
        }
        assert_eq!(reasons(&found), Vec::<&str>::new(), "{file}");
    }
}

#[test]
fn hidden_content_is_not_text() {
    // The HTML fixture hides a BSN in a script and a card number in a comment; the pixel has no text.
    let found = scan("page.html");
    assert!(
        !found
            .iter()
            .any(|f| f.text.contains("111222333") || f.kind == CreditCard),
        "{found:#?}"
    );
    assert!(scan("pixel.png").is_empty());
}

#[test]
fn nested_parts_carry_their_path() {
    let at = |found: &[Finding], kind: Kind| -> Vec<Vec<String>> {
        found
            .iter()
            .filter(|f| f.kind == kind)
            .map(|f| match &f.location {
                Location::Attachment { path, .. } => path.clone(),
                other => panic!("{other:?}"),
            })
            .collect()
    };
    assert_eq!(
        at(&scan("nested.zip"), SePersonnummer),
        [vec!["inner.zip".to_owned(), "deep/notes.txt".to_owned()]]
    );
    let mail = scan("message.eml");
    assert_eq!(at(&mail, CreditCard), [vec!["kaart.txt".to_owned()]]);
    assert_eq!(at(&mail, Iban), [vec!["attachment-2.eml".to_owned()]]);
    assert!(at(&mail, NlBsn).iter().all(Vec::is_empty));
}

#[test]
fn hostile_and_unreadable_files_are_unscannable() {
    let table: &[(&str, &str)] = &[
        ("encrypted.zip", "encrypted archive"),
        ("encrypted.docx", "encrypted Office document"),
        ("encrypted.odt", "encrypted document"),
        ("encrypted.pdf", "encrypted PDF"),
        ("bomb.zip", "zip bomb"),
        ("lying.zip", "zip bomb"),
        ("deep.zip", "nested too deep"),
        ("garbage.pdf", "malformed PDF"),
        ("truncated.pdf", "malformed PDF"),
        ("truncated.docx", "malformed archive"),
        ("scan.pdf", "PDF without extractable text"),
        ("cycle.pdf", "page tree with a cycle"),
        ("self_form.pdf", "form drawings that draw themselves"),
        ("self_image.pdf", "form drawings that draw themselves"),
        ("unknown.bin", "unsupported format"),
    ];
    for (file, reason) in table {
        let found = scan(file);
        let got = reasons(&found);
        assert!(got.iter().any(|r| r.contains(reason)), "{file}: {got:?}");
        assert!(
            found
                .iter()
                .all(|f| f.kind != Unscannable || (f.start, f.end, f.confidence) == (0, 0, 1.0))
        );
    }
}

#[test]
fn limits_are_enforced() {
    let table: Vec<(&str, Limits, &str)> = vec![
        (
            "many.zip",
            Limits {
                max_entries: 10,
                ..Limits::default()
            },
            "too many archive entries",
        ),
        (
            "bomb.zip",
            Limits {
                max_bytes_read: 1 << 20,
                max_ratio: u64::MAX,
                ..Limits::default()
            },
            "size limit",
        ),
        (
            "letter.docx",
            Limits {
                deadline: Some(Instant::now() - Duration::from_millis(1)),
                ..Limits::default()
            },
            "deadline",
        ),
        (
            "notes.txt",
            Limits {
                max_text: 10,
                ..Limits::default()
            },
            "text limit",
        ),
        (
            "overview.xlsx",
            Limits {
                max_sheet_cells: 3,
                ..Limits::default()
            },
            "spreadsheet too large",
        ),
        (
            "nested.zip",
            Limits {
                max_depth: 1,
                ..Limits::default()
            },
            "nested too deep",
        ),
        (
            "letter.docx",
            Limits {
                max_bytes_read: 1000,
                ..Limits::default()
            },
            "larger than the limit",
        ),
    ];
    for (file, limits, reason) in table {
        let found = scan_with(file, &limits);
        let got = reasons(&found);
        assert!(got.iter().any(|r| r.contains(reason)), "{file}: {got:?}");
    }
    // The deepest allowed level is still read.
    assert!(
        reasons(&scan_with(
            "nested.zip",
            &Limits {
                max_depth: 2,
                ..Limits::default()
            }
        ))
        .is_empty()
    );
}

/// A PDF extractor that panics, like a PDF library on a malformed file.
struct PanickingPdf;

impl Readers for PanickingPdf {
    fn pdf_pages(&self, _: &[u8]) -> Result<Vec<PdfPage>, String> {
        panic!("malformed xref");
    }

    fn ocr(&self, _: OcrInput<'_>) -> Option<Result<String, String>> {
        panic!("broken image");
    }
}

#[test]
fn a_panicking_extractor_is_contained() {
    let found = scanner().scan_attachment(
        "report.pdf",
        &fixture("report.pdf"),
        &Limits::default(),
        &PanickingPdf,
    );
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].kind, Unscannable);
}

#[test]
fn arbitrary_bytes_never_panic() {
    // Cheap stand-in for the fuzz target: truncations and bit flips of every fixture.
    let names = [
        "letter.docx",
        "overview.xlsx",
        "slides.pptx",
        "note.odt",
        "report.pdf",
        "message.eml",
        "nested.zip",
        "page.html",
    ];
    for name in names {
        let bytes = fixture(name);
        for cut in [0, 1, 4, 30, 100, bytes.len() / 3, bytes.len() - 1] {
            let _ = extract(
                name,
                &bytes[..cut.min(bytes.len())],
                &Limits::default(),
                &InProcess,
            );
        }
        let mut x: u32 = 12345;
        for _ in 0..20 {
            let mut flipped = bytes.clone();
            for _ in 0..8 {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                let i = (x as usize >> 4) % flipped.len();
                flipped[i] ^= 1 << (x % 8);
            }
            let _ = scanner().scan_attachment(name, &flipped, &Limits::default(), &InProcess);
        }
    }
}

fn scan_fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/scans/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// OCR that records what it is asked to read and "reads" a BSN everywhere.
#[derive(Default)]
struct RecordingOcr(std::cell::RefCell<Vec<String>>);

impl Readers for RecordingOcr {
    fn pdf_pages(&self, bytes: &[u8]) -> Result<Vec<PdfPage>, String> {
        zegel_dlp::extract::pdf_pages_in_process(bytes)
    }

    fn ocr(&self, input: OcrInput<'_>) -> Option<Result<String, String>> {
        self.0.borrow_mut().push(match input {
            OcrInput::Image(_) => "image".to_owned(),
            OcrInput::PdfPage { page, .. } => format!("page {page}"),
        });
        Some(Ok("BSN: 111222333".to_owned()))
    }
}

fn pages(findings: &[Finding], kind: Kind) -> Vec<Option<u32>> {
    findings
        .iter()
        .filter(|f| f.kind == kind)
        .map(|f| match &f.location {
            Location::Attachment { page, .. } => *page,
            other => panic!("{other:?}"),
        })
        .collect()
}

#[test]
fn pictures_and_scanned_pages_go_to_ocr_page_by_page() {
    for (file, asked, bsn_pages) in [
        ("mixed.pdf", vec!["page 2"], vec![Some(2)]),
        (
            "scan-only.pdf",
            vec!["page 1", "page 2"],
            vec![Some(1), Some(2)],
        ),
        ("inkomen.png", vec!["image"], vec![None]),
        ("verwijsbrief.jpg", vec!["image"], vec![None]),
    ] {
        let ocr = RecordingOcr::default();
        let found = scanner().scan_attachment(file, &scan_fixture(file), &Limits::default(), &ocr);
        assert_eq!(*ocr.0.borrow(), asked, "{file}");
        assert_eq!(pages(&found, NlBsn), bsn_pages, "{file}: {found:?}");
        assert!(reasons(&found).is_empty(), "{file}: {found:?}");
    }
    // The mixed PDF's text page is read as text, and named.
    let parts = extract(
        "mixed.pdf",
        &scan_fixture("mixed.pdf"),
        &Limits::default(),
        &InProcess,
    )
    .parts;
    assert_eq!(parts.len(), 1, "{parts:?}");
    assert_eq!(parts[0].page, Some(1));
}

#[test]
fn without_ocr_every_picture_is_unscannable_and_named() {
    let found = scanner().scan_attachment(
        "scan-only.pdf",
        &scan_fixture("scan-only.pdf"),
        &Limits::default(),
        &InProcess,
    );
    assert_eq!(pages(&found, Unscannable), [Some(1), Some(2)]);
    assert!(reasons(&found).iter().all(|r| r.contains("OCR is off")));
    let heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic";
    for (file, bytes, reason) in [
        ("IMG_0001.HEIC", heic.to_vec(), "no decoder"),
        ("foto.jpg", scan_fixture("verwijsbrief.jpg"), "OCR is off"),
        ("bom.png", scan_fixture("bomb.png"), "megapixels"),
        (
            "kapot.png",
            b"\x89PNG\r\n\x1a\n\0\0".to_vec(),
            "broken header",
        ),
    ] {
        let found = scanner().scan_attachment(file, &bytes, &Limits::default(), &InProcess);
        assert_eq!(reasons(&found).len(), 1, "{file}: {found:?}");
        assert!(reasons(&found)[0].contains(reason), "{file}: {found:?}");
    }
}

#[test]
fn the_ocr_page_budget_holds_and_bombs_never_reach_ocr() {
    let ocr = RecordingOcr::default();
    let limits = Limits {
        max_ocr_pages: 1,
        ..Limits::default()
    };
    let found = scanner().scan_attachment(
        "scan-only.pdf",
        &scan_fixture("scan-only.pdf"),
        &limits,
        &ocr,
    );
    assert_eq!(*ocr.0.borrow(), ["page 1"]);
    assert_eq!(pages(&found, Unscannable), [Some(2)]);
    assert!(
        reasons(&found)[0].contains("budget of 1 OCR pages"),
        "{found:?}"
    );
    let ocr = RecordingOcr::default();
    let found = scanner().scan_attachment(
        "bomb.png",
        &scan_fixture("bomb.png"),
        &Limits::default(),
        &ocr,
    );
    assert!(
        ocr.0.borrow().is_empty(),
        "the bomb is refused from its header"
    );
    assert_eq!(pages(&found, Unscannable), [None]);
}
