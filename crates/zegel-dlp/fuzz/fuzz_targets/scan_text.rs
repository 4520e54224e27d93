//! Feeds arbitrary text to the scanner: it must not panic, findings must be sorted by start, and every
//! finding's offsets must slice the text to the finding's own text on char boundaries.

#![no_main]

use libfuzzer_sys::fuzz_target;
use zegel_dlp::{Location, Scanner, Words};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let scanner = Scanner::new(&Words {
        trigger_words: vec!["Patiëntendossier".into(), "ß".into()],
        activation_words: vec!["zegel-veilig".into()],
    });
    let findings = scanner.scan_text(&text, Location::Body);
    assert!(findings.windows(2).all(|w| w[0].start <= w[1].start));
    for f in &findings {
        assert!(f.start < f.end, "empty finding {f:?}");
        assert_eq!(text.get(f.start..f.end), Some(f.text.as_str()));
        assert!((0.0..=1.0).contains(&f.confidence));
    }
});
