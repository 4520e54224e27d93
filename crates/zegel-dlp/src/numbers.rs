//! The numeric detectors. Each `*_at` function is anchored: it looks for one written form of a value that
//! starts exactly at the given offset and checks the value. The scanner calls them only at the starts of
//! digit runs (and at `+`, `(` for phone numbers), so their cost is proportional to the digits in a text.
//!
//! A value never touches a letter or digit on either side; group separators are one Unicode space each
//! (see [`crate::chars::space_len`]), or `-`/`.` where the form allows it; a grouped value uses the same
//! separator throughout.

use crate::chars::{digits, left_free, right_free, separator, space_len};
use crate::checks::{CivilDate, card_ok, elfproef, iban_length, iban_mod97, personnummer_ok};

/// A value found at an anchored position: where it ends and whether it passed its checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Candidate {
    /// Byte offset just after the written value.
    pub end: usize,
    /// Whether the value passed its checksum, length and (where applicable) date checks.
    pub valid: bool,
}

/// A BSN-shaped candidate: 9 digits written as `123456782`, `123 456 782` (any space or `.`, the same
/// separator twice) or `1234.56.782`. Whether it needs a keyword nearby is decided by the scanner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct BsnCandidate {
    pub end: usize,
    pub valid: bool,
    /// Written as `1234.56.782`, the form printed on Dutch identity documents, which needs no keyword.
    pub dotted_423: bool,
}

/// Copies the ASCII digits of `b` into `buf` and returns them (at most `buf.len()` digits).
fn gather_digits<'a>(b: &[u8], buf: &'a mut [u8]) -> &'a [u8] {
    let mut n = 0;
    for &c in b.iter().filter(|c| c.is_ascii_digit()) {
        if n == buf.len() {
            break;
        }
        buf[n] = c;
        n += 1;
    }
    &buf[..n]
}

/// Reads `sizes` digit groups from `i`, separated by one separator that is the same each time.
/// Returns the end offset. `punct` is the punctuation allowed besides spaces.
fn grouped(b: &[u8], i: usize, sizes: &[usize], punct: &[u8]) -> Option<usize> {
    let mut at = digits(b, i, sizes[0])?;
    let mut first_sep: Option<&[u8]> = None;
    for &n in &sizes[1..] {
        let (sep, next) = separator(b, at, punct)?;
        if first_sep.is_some_and(|f| f != sep) {
            return None;
        }
        first_sep = Some(sep);
        at = digits(b, next, n)?;
    }
    Some(at)
}

/// A BSN-shaped value at `s`; the first written form that fits and is not followed by a letter or digit.
pub(crate) fn bsn_at(text: &str, s: usize) -> Option<BsnCandidate> {
    let b = text.as_bytes();
    let forms: [(&[usize], &[u8], bool); 3] = [
        (&[9], b"", false),
        (&[3, 3, 3], b".", false),
        (&[4, 2, 3], b".", true),
    ];
    for (sizes, punct, dotted) in forms {
        let Some(end) = grouped(b, s, sizes, punct) else {
            continue;
        };
        if dotted && b[s + 4] != b'.' {
            continue;
        }
        if right_free(text, end) {
            let mut buf = [0; 9];
            let d = gather_digits(&b[s..end], &mut buf);
            return Some(BsnCandidate {
                end,
                valid: elfproef(d),
                dotted_423: dotted,
            });
        }
    }
    None
}

/// A payment card at `s`: `4-4-4-4` (space, any Unicode space or `-`), 16 digits compact, Amex `4-6-5`
/// or 15 digits compact. Valid with a brand prefix, the brand's length and Luhn.
pub(crate) fn card_at(text: &str, s: usize) -> Option<Candidate> {
    let b = text.as_bytes();
    let forms: [&[usize]; 4] = [&[4, 4, 4, 4], &[16], &[4, 6, 5], &[15]];
    for sizes in forms {
        let Some(end) = grouped(b, s, sizes, b"-") else {
            continue;
        };
        if right_free(text, end) {
            let mut buf = [0; 16];
            return Some(Candidate {
                end,
                valid: card_ok(gather_digits(&b[s..end], &mut buf)),
            });
        }
    }
    None
}

/// A Swedish personnummer or samordningsnummer at `s`: `YYYYMMDD-NNNC`, `YYMMDD-NNNC` (or `+`),
/// `YYYYMMDDNNNC` or `YYMMDDNNNC`.
pub(crate) fn personnummer_at(text: &str, s: usize, today: CivilDate) -> Option<Candidate> {
    let b = text.as_bytes();
    let mut buf = [0; 12];
    for lead in [8, 6] {
        if let Some(e) = digits(b, s, lead)
            && let Some(&sep @ (b'-' | b'+')) = b.get(e)
            && let Some(end) = digits(b, e + 1, 4)
            && right_free(text, end)
        {
            let d = gather_digits(&b[s..end], &mut buf);
            return Some(Candidate {
                end,
                valid: personnummer_ok(d, Some(sep), today),
            });
        }
    }
    for n in [12, 10] {
        if let Some(end) = digits(b, s, n)
            && right_free(text, end)
        {
            return Some(Candidate {
                end,
                valid: personnummer_ok(&b[s..end], None, today),
            });
        }
    }
    None
}

/// An IBAN whose country code starts at `h`: two letters of a SEPA country, two check digits, then the
/// rest of the country's length either compact or in groups of four separated by single spaces. Upper or
/// lower case. Valid when ISO 7064 mod 97 = 1.
pub(crate) fn iban_at(text: &str, h: usize) -> Option<Candidate> {
    let b = text.as_bytes();
    let head = b.get(h..h + 4)?;
    let letters = head[0].is_ascii_alphabetic() && head[1].is_ascii_alphabetic();
    let check_digits = head[2].is_ascii_digit() && head[3].is_ascii_digit();
    if !letters || !check_digits || !left_free(text, h) {
        return None;
    }
    let rest = iban_length([head[0], head[1]])? - 4;
    let alnum = |from: usize, n: usize| {
        b.get(from..from + n)
            .is_some_and(|g| g.iter().all(u8::is_ascii_alphanumeric))
    };
    let mut buf = [0u8; 34];
    buf[..4].copy_from_slice(head);
    if alnum(h + 4, rest) && right_free(text, h + 4 + rest) {
        let end = h + 4 + rest;
        buf[4..4 + rest].copy_from_slice(&b[h + 4..end]);
        return Some(Candidate {
            end,
            valid: iban_mod97(&buf[..4 + rest]),
        });
    }
    let mut at = h + 4;
    let mut filled = 4;
    let mut left = rest;
    while left > 0 {
        let n = left.min(4);
        let sp = space_len(b, at);
        if sp == 0 || !alnum(at + sp, n) {
            return None;
        }
        buf[filled..filled + n].copy_from_slice(&b[at + sp..at + sp + n]);
        filled += n;
        at += sp + n;
        left -= n;
    }
    right_free(text, at).then(|| Candidate {
        end: at,
        valid: iban_mod97(&buf[..filled]),
    })
}

/// Whether a phone number may start at `p`: the char there is `+`, `(` or a digit and the one before is
/// not a letter, digit, `_`, `+` or `(`.
pub(crate) fn phone_may_start(text: &str, p: usize) -> bool {
    let b = text.as_bytes();
    matches!(b.get(p), Some(b'+' | b'(' | b'0'..=b'9'))
        && !crate::chars::char_before(text, p)
            .is_some_and(|c| c.is_alphanumeric() || matches!(c, '_' | '+' | '('))
}

fn phone_char_len(b: &[u8], i: usize) -> usize {
    match b.get(i) {
        Some(b'0'..=b'9' | b'-' | b'(' | b')') => 1,
        _ => space_len(b, i),
    }
}

/// The whole written phone-like number at `p` (a run of digits, spaces, `-` and brackets, optionally
/// starting with `+`), ending at its last digit. Valid when it is a Dutch number: 10 digits nationally
/// once the separators are removed, `+31`/`0031` is replaced by `0` and an optional `(0)` is dropped, in
/// one of the shapes `06[1-58]…`, `0[1-57]…`, `085`, `088`, `091`.
pub(crate) fn phone_at(text: &str, p: usize) -> Option<Candidate> {
    let b = text.as_bytes();
    let q = if matches!(b.get(p), Some(b'+' | b'(')) {
        p + 1
    } else {
        p
    };
    if !b.get(q).is_some_and(u8::is_ascii_digit) {
        return None;
    }
    // The end of the run, and the end of each digit group in it (the last one is the candidate end).
    let mut i = q;
    let mut last_group_end = q;
    let mut prev_group_end = None;
    loop {
        let n = phone_char_len(b, i);
        if n == 0 {
            break;
        }
        if b[i].is_ascii_digit() && !b.get(i + 1).is_some_and(u8::is_ascii_digit) {
            prev_group_end = Some(last_group_end).filter(|&e| e > q);
            last_group_end = i + 1;
        }
        i += n;
    }
    let mut end = last_group_end;
    // A value must not run into a word: back off to the previous digit group if it does.
    if crate::chars::char_at(text, end).is_some_and(|c| c.is_alphanumeric() || c == '_') {
        end = prev_group_end?;
    }
    if end < q + 2 {
        return None;
    }
    Some(Candidate {
        end,
        valid: dutch_phone(&b[p..end]),
    })
}

/// The Dutch numbering-plan check on a written number (see [`phone_at`]).
fn dutch_phone(written: &[u8]) -> bool {
    // Keep digits, '+' and brackets; drop spaces and dashes. A phone number has at most ~20 of those.
    let mut sig = [0u8; 24];
    let mut n = 0;
    for &c in written {
        if matches!(c, b'0'..=b'9' | b'+' | b'(' | b')') {
            if n == sig.len() {
                return false;
            }
            sig[n] = c;
            n += 1;
        }
    }
    let sig = &sig[..n];
    let mut national = [0u8; 10];
    let all_digits = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_digit);
    let mut put = |parts: &[&[u8]]| -> bool {
        let len: usize = parts.iter().map(|p| p.len()).sum();
        if len != 10 {
            return false;
        }
        let mut k = 0;
        for p in parts {
            national[k..k + p.len()].copy_from_slice(p);
            k += p.len();
        }
        true
    };
    let filled = if let Some(rest) = sig
        .strip_prefix(b"+31")
        .or_else(|| sig.strip_prefix(b"0031"))
    {
        let rest = rest.strip_prefix(b"(0)").unwrap_or(rest);
        all_digits(rest) && rest[0] != b'0' && put(&[b"0", rest])
    } else if let Some(rest) = sig.strip_prefix(b"(") {
        // (0AA) or (0AAA) area code in brackets.
        match rest.iter().position(|&c| c == b')') {
            Some(close @ 2..=4) => {
                let (area, sub) = (&rest[..close], &rest[close + 1..]);
                area[0] == b'0' && all_digits(area) && all_digits(sub) && put(&[area, sub])
            }
            _ => false,
        }
    } else {
        all_digits(sig) && put(&[sig])
    };
    filled
        && national[0] == b'0'
        && match national[1] {
            b'6' => matches!(national[2], b'1'..=b'5' | b'8'),
            b'1'..=b'5' | b'7' => true,
            b'8' => matches!(national[2], b'5' | b'8'),
            b'9' => national[2] == b'1',
            _ => false,
        }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TODAY: CivilDate = CivilDate {
        year: 2026,
        month: 6,
        day: 15,
    };

    /// `(input, expected)`: the value is looked for at the first char of `input`; `expected` is the
    /// written value and whether it is valid, or `None` when no value of this shape starts there.
    fn check(
        name: &str,
        f: impl Fn(&str) -> Option<Candidate>,
        table: &[(&str, Option<(&str, bool)>)],
    ) {
        for &(input, want) in table {
            let got = f(input).map(|c| (&input[..c.end], c.valid));
            assert_eq!(got, want, "{name}: {input:?}");
        }
    }

    #[test]
    fn bsn_forms() {
        let f = |t: &str| {
            bsn_at(t, 0).map(|c| Candidate {
                end: c.end,
                valid: c.valid,
            })
        };
        check(
            "bsn",
            f,
            &[
                ("123456782", Some(("123456782", true))),
                ("123456782.", Some(("123456782", true))),
                ("123 456 782)", Some(("123 456 782", true))),
                (
                    "123\u{a0}456\u{a0}782",
                    Some(("123\u{a0}456\u{a0}782", true)),
                ),
                (
                    "123\u{2009}456\u{2009}782",
                    Some(("123\u{2009}456\u{2009}782", true)),
                ),
                ("123.456.782", Some(("123.456.782", true))),
                ("1234.56.782", Some(("1234.56.782", true))),
                ("123456789", Some(("123456789", false))),
                ("123 456.782", None),  // mixed separators
                ("123-456-782", None),  // dashes are not a BSN form
                ("1234567820", None),   // inside a longer digit run
                ("123456782a", None),   // touches a letter
                ("123456782é", None),   // touches a non-ASCII letter
                ("123  456 782", None), // two spaces
                ("12345678", None),
            ],
        );
        assert!(bsn_at("1234.56.782", 0).is_some_and(|c| c.dotted_423));
        assert!(bsn_at("123.456.782", 0).is_some_and(|c| !c.dotted_423));
    }

    #[test]
    fn card_forms() {
        check(
            "card",
            |t| card_at(t, 0),
            &[
                ("4111111111111111", Some(("4111111111111111", true))),
                ("4111 1111 1111 1111", Some(("4111 1111 1111 1111", true))),
                ("4111-1111-1111-1111.", Some(("4111-1111-1111-1111", true))),
                (
                    "4111\u{a0}1111\u{a0}1111\u{a0}1111",
                    Some(("4111\u{a0}1111\u{a0}1111\u{a0}1111", true)),
                ),
                ("3782 822463 10005", Some(("3782 822463 10005", true))),
                ("3782-822463-10005", Some(("3782-822463-10005", true))),
                ("378282246310005", Some(("378282246310005", true))),
                ("4111 1111 1111 1112", Some(("4111 1111 1111 1112", false))),
                ("9894068203249179", Some(("9894068203249179", false))),
                ("4111 1111-1111 1111", None),
                ("4111.1111.1111.1111", None),
                ("41111111111111110", None),
                ("4111111111111111x", None),
            ],
        );
    }

    #[test]
    fn personnummer_forms() {
        check(
            "pnr",
            |t| personnummer_at(t, 0, TODAY),
            &[
                ("811218-9876", Some(("811218-9876", true))),
                ("811218+9876", Some(("811218+9876", true))),
                ("19811218-9876", Some(("19811218-9876", true))),
                ("198112189876", Some(("198112189876", true))),
                ("8112189876", Some(("8112189876", true))),
                ("811278-9873", Some(("811278-9873", true))),
                ("811218-9875", Some(("811218-9875", false))),
                ("556036-0793", Some(("556036-0793", false))),
                ("811218 9876", None),
                ("811218-98761", None),
                ("81121898760", None),
            ],
        );
    }

    #[test]
    fn iban_forms() {
        check(
            "iban",
            |t| iban_at(t, 0),
            &[
                ("NL91ABNA0417164300", Some(("NL91ABNA0417164300", true))),
                ("nl91abna0417164300.", Some(("nl91abna0417164300", true))),
                (
                    "NL91 ABNA 0417 1643 00",
                    Some(("NL91 ABNA 0417 1643 00", true)),
                ),
                (
                    "NL91\u{a0}ABNA\u{a0}0417\u{a0}1643\u{a0}00",
                    Some(("NL91\u{a0}ABNA\u{a0}0417\u{a0}1643\u{a0}00", true)),
                ),
                (
                    "nl91 abna 0417 1643 00",
                    Some(("nl91 abna 0417 1643 00", true)),
                ),
                (
                    "GB82 WEST 1234 5698 7654 32",
                    Some(("GB82 WEST 1234 5698 7654 32", true)),
                ),
                ("NO93 8601 1117 947", Some(("NO93 8601 1117 947", true))),
                ("NL91ABNA0417164301", Some(("NL91ABNA0417164301", false))),
                ("NL91ABNA04171643001", None), // too long
                ("NL91ABNA041716430", None),   // too short
                ("NL91 ABNA 0417 164 300", None),
                ("US91ABNA0417164300", None), // not SEPA
                ("AB12 CDEF 3456", None),
            ],
        );
        assert_eq!(iban_at("xNL91ABNA0417164300", 1), None);
    }

    #[test]
    fn phone_forms() {
        let valid = [
            "06-12345678",
            "06 1234 5678",
            "06 12 34 56 78",
            "0612345678",
            "+31 6 12345678",
            "+31 (0)6 12345678",
            "+31612345678",
            "0031 6 12345678",
            "020-1234567",
            "020 123 4567",
            "020-123 45 67",
            "(020) 123 4567",
            "+31 20 123 4567",
            "0031 20 1234567",
            "0229-567890",
            "0229 56 78 90",
            "+31 229 567890",
            "085-1234567",
            "088 123 4567",
            "0912345678",
            "06\u{a0}12345678",
        ];
        for v in valid {
            assert_eq!(
                phone_at(v, 0),
                Some(Candidate {
                    end: v.len(),
                    valid: true
                }),
                "{v}"
            );
        }
        check(
            "phone",
            |t| phone_at(t, 0),
            &[
                ("06-12345678 (mobiel)", Some(("06-12345678", true))),
                ("06-12345678 2x", Some(("06-12345678", true))),
                ("06-1234567", Some(("06-1234567", false))),
                ("020-12345", Some(("020-12345", false))),
                ("0612345678x", None),
                ("+46 70 123 45 67", Some(("+46 70 123 45 67", false))),
                ("+32 2 123 45 67", Some(("+32 2 123 45 67", false))),
                ("0031 06 12345678", Some(("0031 06 12345678", false))),
                ("06912345678", Some(("06912345678", false))),
                ("0692345678", Some(("0692345678", false))),
                ("0812345678", Some(("0812345678", false))),
                ("12-03-2024", Some(("12-03-2024", false))),
                ("+ 31", None),
                ("5", None),
            ],
        );
        assert!(phone_may_start("bel 0612345678", 4));
        assert!(!phone_may_start("x0612345678", 1));
        assert!(!phone_may_start("(020)", 1));
    }
}
