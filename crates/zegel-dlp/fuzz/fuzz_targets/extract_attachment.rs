//! Feeds arbitrary bytes to the attachment extractors under small limits: nothing may panic, and every
//! finding must point into the extracted text of its part.
//!
//! The first byte picks the file name (and so the extension the format detection falls back on); the rest
//! is the file. Seed with `../tests/fixtures` so the fuzzer starts from real DOCX, XLSX, PDF, EML and ZIP.

#![no_main]

use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use zegel_dlp::extract::{InProcess, Limits, extract};
use zegel_dlp::{Kind, Location, Scanner, Words};

const NAMES: [&str; 12] = [
    "a.docx", "a.xlsx", "a.pptx", "a.odt", "a.pdf", "a.eml", "a.zip", "a.html", "a.txt", "a.csv", "a", "a.bin",
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, bytes)) = data.split_first() else { return };
    let name = NAMES[usize::from(pick) % NAMES.len()];
    let limits = Limits {
        max_bytes_read: 8 << 20,
        max_entries: 200,
        max_depth: 4,
        max_text: 1 << 20,
        deadline: Some(Instant::now() + Duration::from_secs(2)),
        max_sheet_cells: 50_000,
        max_ratio: 100,
        ..Limits::default()
    };
    let scanner = Scanner::new(&Words { trigger_words: vec!["Patiëntendossier".into()], activation_words: vec![] });
    let parts = extract(name, bytes, &limits, &InProcess).parts;
    for f in scanner.scan_attachment(name, bytes, &limits, &InProcess) {
        if f.kind == Kind::Unscannable {
            continue;
        }
        let Location::Attachment { path, page, .. } = &f.location else { panic!("attachment finding elsewhere") };
        // The deadline may cut the second extraction short, so a part may be missing; if present it agrees.
        if let Some(part) = parts.iter().find(|p| &p.path == path && &p.page == page) {
            assert_eq!(part.text.get(f.start..f.end), Some(f.text.as_str()));
        }
    }
});
