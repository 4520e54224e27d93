//! Findings with bounded memory: exact counts per kind, a bounded sample of the findings themselves.
//!
//! A 200 MB text dense with identifiers holds over a million findings; keeping each one (its text, its
//! location) costs gigabytes, while the policy decision needs only which kinds were found, where, and a
//! few distinct terms to show. [`Findings`] counts every finding and keeps one when it says something
//! the kept ones do not yet say:
//!
//! - a term (matched text, or the reason of an unscannable part) not yet kept for its kind, while fewer
//!   than [`KEPT_TERMS_PER_KIND`] are kept;
//! - a tenant word (trigger or activation) whose folded form is new: the number of these is bounded by
//!   the tenant's word list, and each can carry its own rule, so none may be dropped;
//! - the first finding of its kind in a place (subject, body, or one part of one attachment): places are
//!   bounded by the extraction limits, and the decision asks where things were found.
//!
//! So the decision made from the kept findings equals the one made from all of them, except that a
//! reason lists at most [`KEPT_TERMS_PER_KIND`] identifier terms.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::{Finding, Kind, Location, fold_word};

/// The most distinct terms kept per kind (tenant words and new places aside, see the module docs).
pub const KEPT_TERMS_PER_KIND: usize = 100;

/// The findings of one or more scans: every finding counted, a bounded number kept.
#[derive(Clone, Debug, Default)]
pub struct Findings {
    kept: Vec<Finding>,
    counts: BTreeMap<Kind, u64>,
    /// Per kind, the distinct terms kept.
    terms: HashMap<Kind, HashSet<String>>,
    /// Per kind of tenant word, the folded forms kept.
    words: HashMap<Kind, HashSet<String>>,
    /// Per place, the kinds with a kept finding there (bit `1 << kind as u16`).
    places: HashMap<Location, u16>,
}

impl Findings {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts `finding` and keeps it if it adds something (see the module docs).
    pub fn push(&mut self, finding: Finding) {
        let term = Self::term_of(&finding);
        if self.wants(finding.kind, term, &finding.location) {
            self.keep(finding);
        } else {
            *self.counts.entry(finding.kind).or_default() += 1;
        }
    }

    /// Counts a finding given by its parts and builds it only when it is kept, so a scan that finds a
    /// million values allocates for at most a few hundred of them.
    pub(crate) fn offer(
        &mut self,
        kind: Kind,
        text: &str,
        span: (usize, usize),
        confidence: f32,
        location: &Location,
    ) {
        if self.wants(kind, text, location) {
            self.keep(Finding {
                kind,
                text: text.to_owned(),
                start: span.0,
                end: span.1,
                confidence,
                location: location.clone(),
                reason: None,
            });
        } else {
            *self.counts.entry(kind).or_default() += 1;
        }
    }

    fn term_of(finding: &Finding) -> &str {
        match (&finding.reason, finding.kind) {
            (Some(reason), Kind::Unscannable) => reason,
            _ => &finding.text,
        }
    }

    fn wants(&self, kind: Kind, term: &str, location: &Location) -> bool {
        let bit = 1u16 << kind as u16;
        if self
            .places
            .get(location)
            .is_none_or(|kinds| kinds & bit == 0)
        {
            return true;
        }
        let terms = self.terms.get(&kind);
        if terms.is_some_and(|t| t.contains(term)) {
            return false;
        }
        if matches!(kind, Kind::TriggerWord | Kind::ActivationWord)
            && self
                .words
                .get(&kind)
                .is_none_or(|w| !w.contains(&fold_word(term)))
        {
            return true;
        }
        terms.map_or(0, HashSet::len) < KEPT_TERMS_PER_KIND
    }

    fn keep(&mut self, finding: Finding) {
        let kind = finding.kind;
        *self.counts.entry(kind).or_default() += 1;
        let term = Self::term_of(&finding).to_owned();
        if matches!(kind, Kind::TriggerWord | Kind::ActivationWord) {
            self.words.entry(kind).or_default().insert(fold_word(&term));
        }
        self.terms.entry(kind).or_default().insert(term);
        *self.places.entry(finding.location.clone()).or_default() |= 1u16 << kind as u16;
        self.kept.push(finding);
    }

    /// The kept findings, in the order they were pushed.
    pub fn kept(&self) -> &[Finding] {
        &self.kept
    }

    /// The kept findings.
    pub fn into_kept(self) -> Vec<Finding> {
        self.kept
    }

    /// How many findings of each kind were pushed (kept or not).
    pub fn counts(&self) -> &BTreeMap<Kind, u64> {
        &self.counts
    }

    /// How many findings were pushed in all.
    pub fn total(&self) -> u64 {
        self.counts.values().sum()
    }

    /// Whether some findings were counted but not kept.
    pub fn is_truncated(&self) -> bool {
        self.total() > self.kept.len() as u64
    }
}

impl Extend<Finding> for Findings {
    fn extend<T: IntoIterator<Item = Finding>>(&mut self, iter: T) {
        for f in iter {
            self.push(f);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{
        Findings, KEPT_TERMS_PER_KIND, Kind, Location, Scanner, TextStream, WINDOW, Words,
    };

    fn scanner() -> Scanner {
        Scanner::new(&Words {
            trigger_words: vec!["Patiëntendossier".into(), "geheim".into()],
            activation_words: vec!["zegel-veilig".into()],
        })
        .with_today(2026, 6, 15)
    }

    /// Nine-digit numbers passing the 11-proef, all different.
    fn bsns() -> impl Iterator<Item = String> {
        (100_000_000u32..).filter_map(|n| {
            let d: Vec<u32> = n.to_string().bytes().map(|b| u32::from(b - b'0')).collect();
            let sum: i64 = (0..8)
                .map(|i| i64::from(d[i]) * (9 - i as i64))
                .sum::<i64>()
                - i64::from(d[8]);
            (sum % 11 == 0).then(|| n.to_string())
        })
    }

    /// A text of about `bytes` bytes dense with BSNs, IBANs, words and non-ASCII chars, so values
    /// straddle every window boundary at some offset.
    fn dense_text(bytes: usize) -> String {
        let mut text = String::with_capacity(bytes + 200);
        let mut numbers = bsns();
        let mut i = 0u32;
        while text.len() < bytes {
            let bsn = numbers.next().unwrap_or_default();
            text.push_str(&format!(
                "BSN {bsn}, rekening NL91 ABNA 0417 1643 00; Patiëntendossier {i} — café. "
            ));
            if i.is_multiple_of(7) {
                text.push_str("GEHEIM zegel-veilig ");
            }
            i += 1;
        }
        text
    }

    #[test]
    fn windows_find_what_one_pass_finds() {
        let text = dense_text(2 * WINDOW + 12_345);
        let scanner = scanner();
        let whole = scanner.scan_text(&text, Location::Body);
        let mut bounded = Findings::new();
        scanner.scan_text_into(&text, &Location::Body, &mut bounded);
        // Every finding counted, per kind, exactly as the one-pass scan.
        for kind in Kind::ALL {
            let n = whole.iter().filter(|f| f.kind == kind).count() as u64;
            assert_eq!(
                bounded.counts().get(&kind).copied().unwrap_or(0),
                n,
                "{kind}"
            );
        }
        assert_eq!(bounded.total(), whole.len() as u64);
        // The kept ones are findings of the one-pass scan, at the same offsets.
        for f in bounded.kept() {
            assert!(whole.contains(f), "{f:?}");
            assert_eq!(&text[f.start..f.end], f.text);
        }
    }

    #[test]
    fn kept_findings_are_bounded_while_counts_are_exact() {
        let text = dense_text(2 * WINDOW);
        let expected_bsns = text.matches("BSN ").count() as u64;
        let mut found = Findings::new();
        scanner().scan_text_into(&text, &Location::Body, &mut found);
        assert!(expected_bsns > 20_000, "{expected_bsns}");
        assert_eq!(found.counts()[&Kind::NlBsn], expected_bsns);
        assert_eq!(found.counts()[&Kind::Iban], expected_bsns);
        assert!(found.is_truncated());
        let bsns = found
            .kept()
            .iter()
            .filter(|f| f.kind == Kind::NlBsn)
            .count();
        assert_eq!(bsns, KEPT_TERMS_PER_KIND);
        // The IBAN is the same every time: one kept.
        let ibans = found.kept().iter().filter(|f| f.kind == Kind::Iban).count();
        assert_eq!(ibans, 1);
        // Tenant words are kept by folded form: both spellings of "geheim" are one word, kept once;
        // each configured word is present.
        let words: Vec<&str> = found
            .kept()
            .iter()
            .filter(|f| matches!(f.kind, Kind::TriggerWord | Kind::ActivationWord))
            .map(|f| f.text.as_str())
            .collect();
        assert_eq!(words, ["Patiëntendossier", "GEHEIM", "zegel-veilig"]);
        assert!(found.kept().len() <= 3 * KEPT_TERMS_PER_KIND);
    }

    #[test]
    fn a_stream_in_odd_pieces_finds_what_one_pass_finds() {
        let text = dense_text(WINDOW + 3 * crate::MARGIN + 777);
        let scanner = scanner();
        let mut whole = Findings::new();
        scanner.scan_text_into(&text, &Location::Body, &mut whole);
        // Pieces of 7,777 bytes cut UTF-8 sequences ("ë", "—", "é") at some boundaries.
        let mut streamed = Findings::new();
        let mut stream = TextStream::new(&scanner, Location::Body);
        for piece in text.as_bytes().chunks(7_777) {
            stream.feed(piece, &mut streamed);
        }
        stream.finish(&mut streamed);
        assert_eq!(streamed.counts(), whole.counts());
        assert_eq!(streamed.kept(), whole.kept());
    }

    #[test]
    fn a_stream_reads_bad_utf8_as_replacement_chars() {
        let scanner = scanner();
        let mut found = Findings::new();
        let mut stream = TextStream::new(&scanner, Location::Body);
        stream.feed(b"BSN \xff123456782 \xe2\x80", &mut found);
        stream.finish(&mut found);
        assert_eq!(found.counts()[&Kind::NlBsn], 1);
        // "BSN " and U+FFFD (three bytes): the number starts at byte 7.
        assert_eq!(found.kept()[0].start, 7);
    }

    #[test]
    fn a_new_place_or_word_is_kept_beyond_the_cap() {
        let scanner = scanner();
        let mut found = Findings::new();
        scanner.scan_text_into(&dense_text(200_000), &Location::Body, &mut found);
        let before = found.kept().len();
        // Each attachment with a BSN is a place of its own: the decision asks where things were.
        for n in 0..3 {
            let place = Location::Attachment {
                name: format!("{n}.txt"),
                path: vec![],
                page: None,
            };
            scanner.scan_text_into("BSN 123456782", &place, &mut found);
        }
        assert_eq!(found.kept().len(), before + 3);
        // A word the cap would otherwise drop, in its own place too.
        scanner.scan_text_into("Het GEHEIM", &Location::Subject, &mut found);
        assert!(
            found
                .kept()
                .iter()
                .any(|f| f.location == Location::Subject && f.kind == Kind::TriggerWord)
        );
        // The same BSN in the body again adds nothing.
        let kept = found.kept().len();
        scanner.scan_text_into("BSN 123456782", &Location::Body, &mut found);
        scanner.scan_text_into("BSN 123456782", &Location::Body, &mut found);
        assert_eq!(found.kept().len(), kept);
    }
}
