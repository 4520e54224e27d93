//! Tenant words (trigger and activation words) and the BSN keywords.
//!
//! Tenant words match as whole words, ignoring case, diacritics and Unicode normalisation. Both the words
//! and the text are *folded*: canonical decomposition (NFD), combining marks and invisible format chars
//! (soft hyphen, zero-width space/joiners, word joiner, BOM) dropped, then lower-cased (`ß` → `ss`). So
//! `Patiëntendossier`, `PATIENTENDOSSIER` and `Patie\u{308}ntendossier` fold to the same bytes.
//!
//! Pure-ASCII text is searched as it is (the automaton is ASCII case-insensitive). Other text is folded
//! into a copy, with a sparse offset map that has one entry per non-ASCII char, so every match maps back
//! to byte offsets in the original text.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use unicode_normalization::char::{decompose_canonical, is_combining_mark};

use crate::Kind;
use crate::chars::{char_at, char_before, left_free, right_free};

/// Chars that are invisible in rendered text and are dropped when folding.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{ad}' | '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{2060}' | '\u{feff}'
    )
}

/// Folded forms of U+0080..U+0250 (Latin-1 Supplement, Latin Extended-A and -B), computed once: nearly
/// every non-ASCII char in Dutch and Swedish mail is one of these.
static LATIN: std::sync::LazyLock<Vec<([u8; 8], u8)>> = std::sync::LazyLock::new(|| {
    (0x80u32..0x250)
        .map(|cp| {
            let mut v = Vec::new();
            if let Some(c) = char::from_u32(cp) {
                fold_slow(c, &mut v);
            }
            let mut a = [0u8; 8];
            let n = v.len().min(8);
            a[..n].copy_from_slice(&v[..n]);
            (a, n as u8)
        })
        .collect()
});

/// Appends the folded form of a non-ASCII char to `out`.
fn fold_non_ascii(c: char, out: &mut Vec<u8>) {
    if let Some((bytes, n)) = (c as usize).checked_sub(0x80).and_then(|k| LATIN.get(k)) {
        out.extend_from_slice(&bytes[..usize::from(*n)]);
    } else {
        fold_slow(c, out);
    }
}

fn fold_slow(c: char, out: &mut Vec<u8>) {
    if is_invisible(c) {
        return;
    }
    decompose_canonical(c, |d| {
        if is_combining_mark(d) {
            return;
        }
        if matches!(d, 'ß' | 'ẞ') {
            out.extend_from_slice(b"ss");
            return;
        }
        for l in d.to_lowercase() {
            let mut buf = [0; 4];
            out.extend_from_slice(l.encode_utf8(&mut buf).as_bytes());
        }
    });
}

/// The folded form of a word (see the module docs).
pub(crate) fn fold(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase() as u8);
        } else {
            fold_non_ascii(c, &mut out);
        }
    }
    out
}

/// One non-ASCII char of the original text and the folded bytes it became.
#[derive(Clone, Copy, Debug)]
struct Anchor {
    folded: usize,
    folded_len: usize,
    orig: usize,
    orig_len: usize,
}

/// A folded copy of a text with its map back to the original. For ASCII text it is just the lower-cased
/// copy and the map is empty.
pub(crate) struct Folded {
    bytes: Vec<u8>,
    anchors: Vec<Anchor>,
}

impl Folded {
    pub(crate) fn new(text: &str) -> Self {
        let b = text.as_bytes();
        let mut bytes = Vec::with_capacity(b.len() + 8);
        let mut anchors = Vec::new();
        let mut i = 0;
        while i < b.len() {
            // Copy the ASCII run in bulk; fold one non-ASCII char at a time.
            let run = crate::chars::ascii_run(b, i);
            bytes.extend(b[i..i + run].iter().map(u8::to_ascii_lowercase));
            i += run;
            if let Some(c) = char_at(text, i) {
                let folded = bytes.len();
                fold_non_ascii(c, &mut bytes);
                anchors.push(Anchor {
                    folded,
                    folded_len: bytes.len() - folded,
                    orig: i,
                    orig_len: c.len_utf8(),
                });
                i += c.len_utf8();
            }
        }
        Self { bytes, anchors }
    }

    /// The original char that folded byte `f` came from, as `(start, end, folded_start, folded_end)`.
    fn origin(&self, f: usize) -> (usize, usize, usize, usize) {
        let k = self.anchors.partition_point(|a| a.folded <= f);
        let Some(a) = k.checked_sub(1).map(|k| self.anchors[k]) else {
            return (f, f + 1, f, f + 1);
        };
        if f < a.folded + a.folded_len {
            (
                a.orig,
                a.orig + a.orig_len,
                a.folded,
                a.folded + a.folded_len,
            )
        } else {
            let o = a.orig + a.orig_len + (f - a.folded - a.folded_len);
            (o, o + 1, f, f + 1)
        }
    }

    /// The original span of a match at folded `start..end`, if it covers whole original chars.
    fn original_span(&self, start: usize, end: usize) -> Option<(usize, usize)> {
        if end <= start {
            return None;
        }
        let (s, _, fs, _) = self.origin(start);
        let (_, e, _, fe) = self.origin(end - 1);
        (fs == start && fe == end).then_some((s, e))
    }
}

/// A letter for the whole-word rule: alphabetic or a combining mark (which belongs to a letter).
fn is_letter(c: char) -> bool {
    c.is_alphabetic() || is_combining_mark(c)
}

/// The compiled tenant words.
#[derive(Clone, Debug)]
pub(crate) struct WordMatcher {
    automaton: Option<AhoCorasick>,
    kinds: Vec<Kind>,
}

impl WordMatcher {
    pub(crate) fn new(words: &[(Kind, &str)]) -> Self {
        let mut patterns: Vec<Vec<u8>> = Vec::new();
        let mut kinds = Vec::new();
        for &(kind, word) in words {
            let folded = fold(word.trim());
            if folded.is_empty()
                || patterns
                    .iter()
                    .zip(&kinds)
                    .any(|(p, k)| *p == folded && *k == kind)
            {
                continue;
            }
            patterns.push(folded);
            kinds.push(kind);
        }
        let automaton = (!patterns.is_empty()).then(|| {
            AhoCorasickBuilder::new()
                .match_kind(MatchKind::Standard)
                .build(&patterns)
                .expect("a handful of folded words always builds")
        });
        Self { automaton, kinds }
    }

    /// Whether there are any words to look for.
    pub(crate) fn is_empty(&self) -> bool {
        self.automaton.is_none()
    }

    /// Whole-word matches in `text` (folded as `folded`) as `(kind, start, end)` byte offsets into `text`.
    pub(crate) fn find(&self, text: &str, folded: &Folded, out: &mut Vec<(Kind, usize, usize)>) {
        let Some(ac) = &self.automaton else { return };
        for m in ac.find_overlapping_iter(&folded.bytes) {
            let Some((s, mut e)) = folded.original_span(m.start(), m.end()) else {
                continue;
            };
            // Combining marks after the last letter belong to it (NFD input).
            while let Some(c) = char_at(text, e).filter(|&c| is_combining_mark(c)) {
                e += c.len_utf8();
            }
            let before = char_before(text, s).is_some_and(is_letter);
            let after = char_at(text, e).is_some_and(is_letter);
            if !before && !after {
                out.push((self.kinds[m.pattern().as_usize()], s, e));
            }
        }
    }
}

/// The BSN keywords: `bsn`, `burgerservicenummer`, `sofinummer`, `citizen service number`, matched as whole
/// words (`BSN-nummer` counts), case-insensitive.
///
/// Each keyword is a SIMD substring search over the folded text: with four fixed needles that is several
/// times faster than one automaton, whose prefilter would stop at every `s` and `c`.
#[derive(Clone, Debug)]
pub(crate) struct BsnKeywords(Vec<memchr::memmem::Finder<'static>>);

impl BsnKeywords {
    pub(crate) fn new() -> Self {
        let needles = [
            "bsn",
            "burgerservicenummer",
            "sofinummer",
            "citizen service number",
        ];
        Self(
            needles
                .iter()
                .map(|n| memchr::memmem::Finder::new(n.as_bytes()).into_owned())
                .collect(),
        )
    }

    /// All keyword spans in `text` (folded as `folded`), sorted.
    pub(crate) fn find(&self, text: &str, folded: &Folded) -> Vec<(usize, usize)> {
        let mut out: Vec<(usize, usize)> = self
            .0
            .iter()
            .flat_map(|f| {
                f.find_iter(&folded.bytes)
                    .map(move |p| (p, p + f.needle().len()))
            })
            .filter_map(|(s, e)| folded.original_span(s, e))
            .filter(|&(s, e)| left_free(text, s) && right_free(text, e))
            .collect();
        out.sort_unstable();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(words: &[(Kind, &str)], text: &str) -> Vec<(Kind, String)> {
        let m = WordMatcher::new(words);
        let mut out = Vec::new();
        m.find(text, &Folded::new(text), &mut out);
        out.into_iter()
            .map(|(k, s, e)| (k, text[s..e].to_owned()))
            .collect()
    }

    const T: Kind = Kind::TriggerWord;
    const A: Kind = Kind::ActivationWord;

    #[test]
    fn latin_table_matches_the_slow_path() {
        for cp in 0x80u32..0x250 {
            let Some(c) = char::from_u32(cp) else {
                continue;
            };
            let (mut fast, mut slow) = (Vec::new(), Vec::new());
            fold_non_ascii(c, &mut fast);
            fold_slow(c, &mut slow);
            assert_eq!(fast, slow, "U+{cp:04X}");
        }
    }

    #[test]
    fn folding() {
        assert_eq!(fold("Patiëntendossier"), b"patientendossier");
        assert_eq!(fold("Patie\u{308}ntendossier"), b"patientendossier");
        assert_eq!(fold("PATIËNTENDOSSIER"), b"patientendossier");
        assert_eq!(fold("Straße"), b"strasse");
        assert_eq!(fold("Ångström"), b"angstrom");
        assert_eq!(fold("pati\u{ad}ënten"), b"patienten");
    }

    #[test]
    fn whole_words_ignoring_case_diacritics_and_normalisation() {
        let w = [(T, "Patiëntendossier"), (A, "zegel-veilig")];
        for (text, want) in [
            (
                "Het Patiëntendossier is bijgewerkt",
                vec![(T, "Patiëntendossier")],
            ),
            ("het patientendossier.", vec![(T, "patientendossier")]),
            ("PATIËNTENDOSSIER", vec![(T, "PATIËNTENDOSSIER")]),
            (
                "het Patie\u{308}ntendossier van",
                vec![(T, "Patie\u{308}ntendossier")],
            ),
            ("de patiëntendossier-export", vec![(T, "patiëntendossier")]),
            ("(patiëntendossier)", vec![(T, "patiëntendossier")]),
            ("patiëntendossiers", vec![]),
            ("patiëntendossiers-overzicht", vec![]),
            ("patiëntendossierbeheer", vec![]),
            ("hetpatiëntendossier", vec![]),
            ("patiënt-dossier", vec![]),
            ("Patiënten-\ndossier", vec![]),
            ("Patiëntendossierë", vec![]),
            ("Patiëntendossiere\u{301} x", vec![]),
            ("Graag zegel-veilig versturen", vec![(A, "zegel-veilig")]),
            ("[ZEGEL-VEILIG]", vec![(A, "ZEGEL-VEILIG")]),
            ("Zegel-veilig", vec![(A, "Zegel-veilig")]),
            ("zegel-veiligheid", vec![]),
            ("zegelveilig", vec![]),
            ("zegel veilig", vec![]),
            ("zegel-\nveilig", vec![]),
            (
                "Åsa: zegel-veilig, én patiëntendossier",
                vec![(A, "zegel-veilig"), (T, "patiëntendossier")],
            ),
        ] {
            let want: Vec<(Kind, String)> =
                want.into_iter().map(|(k, s)| (k, s.to_owned())).collect();
            assert_eq!(matches(&w, text), want, "{text:?}");
        }
    }

    #[test]
    fn offsets_point_into_the_original() {
        let text = "Ökad ß Straße: PATIE\u{308}NTENDOSSIER, klaar";
        let got = matches(&[(T, "patiëntendossier"), (T, "strasse")], text);
        assert_eq!(
            got,
            vec![
                (T, "Straße".to_owned()),
                (T, "PATIE\u{308}NTENDOSSIER".to_owned())
            ]
        );
        // 'ss' inside a longer folded char never starts a match.
        assert!(matches(&[(T, "s")], "ß").is_empty());
        assert!(matches(&[], "anything").is_empty());
        assert!(matches(&[(T, "  "), (T, "\u{308}")], "  x").is_empty());
    }

    #[test]
    fn bsn_keywords() {
        let k = BsnKeywords::new();
        let text =
            "BSN-nummer, burgerservicenummer: Citizen Service Number; sofinummer; bsnr; xbsn";
        let got: Vec<&str> = k
            .find(text, &Folded::new(text))
            .into_iter()
            .map(|(s, e)| &text[s..e])
            .collect();
        assert_eq!(
            got,
            [
                "BSN",
                "burgerservicenummer",
                "Citizen Service Number",
                "sofinummer"
            ]
        );
    }
}
