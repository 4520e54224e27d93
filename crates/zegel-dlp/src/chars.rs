//! Byte-level helpers: the scanner walks UTF-8 bytes and decodes a char only at the edges of a candidate.

/// The char that ends just before byte offset `i`, or `None` at the start of the text.
///
/// `i` should be a char boundary; if it is not, the answer is `None` (treated as "no neighbour"), which can
/// only make a boundary check more lenient, never panic.
pub(crate) fn char_before(text: &str, i: usize) -> Option<char> {
    text.get(..i)?.chars().next_back()
}

/// The char that starts at byte offset `i`, or `None` at the end of the text.
pub(crate) fn char_at(text: &str, i: usize) -> Option<char> {
    text.get(i..)?.chars().next()
}

/// True when the char is a letter or a digit in any script: what a value must not touch.
pub(crate) fn is_alnum(c: char) -> bool {
    c.is_alphanumeric()
}

/// True when no letter or digit ends at byte `i` (the left edge of a value may sit at `i`).
pub(crate) fn left_free(text: &str, i: usize) -> bool {
    !char_before(text, i).is_some_and(is_alnum)
}

/// True when no letter or digit starts at byte `i` (the right edge of a value may sit at `i`).
pub(crate) fn right_free(text: &str, i: usize) -> bool {
    !char_at(text, i).is_some_and(is_alnum)
}

/// Length in bytes of a Unicode space separator (category Zs) starting at `i`, or 0.
///
/// Covers ASCII space, NBSP U+00A0, U+1680, U+2000..=U+200A (thin space U+2009 among them), narrow NBSP
/// U+202F, U+205F and U+3000. Tabs and line breaks are not group separators.
pub(crate) fn space_len(b: &[u8], i: usize) -> usize {
    match b.get(i) {
        Some(b' ') => 1,
        Some(0xC2) if b.get(i + 1) == Some(&0xA0) => 2,
        Some(0xE1) if b.get(i + 1) == Some(&0x9A) && b.get(i + 2) == Some(&0x80) => 3,
        Some(0xE2) => match (b.get(i + 1), b.get(i + 2)) {
            (Some(0x80), Some(&x)) if (0x80..=0x8A).contains(&x) || x == 0xAF => 3,
            (Some(0x81), Some(0x9F)) => 3,
            _ => 0,
        },
        Some(0xE3) if b.get(i + 1) == Some(&0x80) && b.get(i + 2) == Some(&0x80) => 3,
        _ => 0,
    }
}

/// A group separator at `i`: the bytes it is made of (so "the same separator again" can be checked) and
/// the offset after it. `punct` lists the ASCII punctuation allowed besides spaces (`-`, `.`).
pub(crate) fn separator<'a>(b: &'a [u8], i: usize, punct: &[u8]) -> Option<(&'a [u8], usize)> {
    let n = space_len(b, i);
    if n > 0 {
        return Some((&b[i..i + n], i + n));
    }
    let c = *b.get(i)?;
    punct.contains(&c).then(|| (&b[i..i + 1], i + 1))
}

/// The offset after exactly `n` ASCII digits at `i`, or `None` when fewer are there.
///
/// It does not look past them: the caller decides whether a following digit is allowed.
pub(crate) fn digits(b: &[u8], i: usize, n: usize) -> Option<usize> {
    let end = i.checked_add(n)?;
    b.get(i..end)?.iter().all(u8::is_ascii_digit).then_some(end)
}

/// Number of consecutive ASCII digits starting at `i`.
pub(crate) fn digit_run(b: &[u8], i: usize) -> usize {
    b.get(i..).map_or(0, |rest| {
        rest.iter().take_while(|c| c.is_ascii_digit()).count()
    })
}

const LANES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// Lanes of `w` that are zero have their high bit set (a lane above a zero lane may be set too).
fn zero_lanes(w: u64) -> u64 {
    w.wrapping_sub(LANES) & !w & HIGH
}

/// Whether the 8 bytes of `w` may contain an ASCII digit, `+`, `(` or `@` (no false negatives).
fn may_start_candidate(w: u64) -> bool {
    // Lanes strictly between 0x2F and 0x3A (digits), after the SWAR "hasbetween" trick.
    let low = w & (LANES * 127);
    let digits = (LANES * (127 + 0x3A)).wrapping_sub(low)
        & !w
        & low.wrapping_add(LANES * (127 - 0x2F))
        & HIGH;
    digits
        | zero_lanes(w ^ (LANES * 0x2B))
        | zero_lanes(w ^ (LANES * 0x28))
        | zero_lanes(w ^ (LANES * 0x40))
        != 0
}

/// The offset of the next byte at or after `i` that can start a candidate (an ASCII digit, `+`, `(` or
/// `@`), or `None`. Eight bytes at a time, then byte by byte in the word that may hold one.
pub(crate) fn next_candidate(b: &[u8], mut i: usize) -> Option<usize> {
    let is_candidate = |c: u8| c.is_ascii_digit() || matches!(c, b'+' | b'(' | b'@');
    while i + 8 <= b.len() {
        let w = u64::from_le_bytes(b[i..i + 8].try_into().unwrap_or([0; 8]));
        if may_start_candidate(w)
            && let Some(k) = b[i..i + 8].iter().position(|&c| is_candidate(c))
        {
            return Some(i + k);
        }
        i += 8;
    }
    b.get(i..)?
        .iter()
        .position(|&c| is_candidate(c))
        .map(|k| i + k)
}

/// Length of the run of ASCII bytes starting at `i`, eight bytes at a time.
pub(crate) fn ascii_run(b: &[u8], i: usize) -> usize {
    let mut j = i;
    while j + 8 <= b.len()
        && u64::from_le_bytes(b[j..j + 8].try_into().unwrap_or([0x80; 8])) & HIGH == 0
    {
        j += 8;
    }
    while j < b.len() && b[j].is_ascii() {
        j += 1;
    }
    j - i
}

/// Number of chars in `text[a..b]` (UTF-8 lead bytes), used for the BSN keyword window.
pub(crate) fn char_count(b: &[u8]) -> usize {
    b.iter().filter(|&&c| (c as i8) >= -0x40).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spaces_are_recognised() {
        for (s, n) in [
            (" ", 1),
            ("\u{a0}", 2),
            ("\u{2009}", 3),
            ("\u{202f}", 3),
            ("\u{2007}", 3),
            ("\u{3000}", 3),
            ("\t", 0),
            ("\n", 0),
            ("\u{200b}", 0),
            ("x", 0),
        ] {
            assert_eq!(space_len(s.as_bytes(), 0), n, "{s:?}");
        }
    }

    #[test]
    fn candidate_search_finds_every_candidate_byte() {
        let text =
            "Beste Åsa, zie de bijlage: x(y) a@b +31 é 7 ...........................9".as_bytes();
        let mut want = Vec::new();
        for (i, c) in text.iter().enumerate() {
            if c.is_ascii_digit() || matches!(c, b'+' | b'(' | b'@') {
                want.push(i);
            }
        }
        let mut got = Vec::new();
        let mut i = 0;
        while let Some(k) = next_candidate(text, i) {
            got.push(k);
            i = k + 1;
        }
        assert_eq!(got, want);
        // Every byte value on its own, at every position within a word.
        for c in 0..=255u8 {
            for pos in 0..9 {
                let mut buf = vec![b'x'; 9];
                buf[pos] = c;
                let want = (c.is_ascii_digit() || matches!(c, b'+' | b'(' | b'@')).then_some(pos);
                assert_eq!(next_candidate(&buf, 0), want, "byte {c:#x} at {pos}");
            }
        }
        assert_eq!(ascii_run("abcdefghijé".as_bytes(), 0), 10);
        assert_eq!(ascii_run("abc".as_bytes(), 1), 2);
    }

    #[test]
    fn boundaries_see_unicode_letters() {
        let t = "é123 4";
        assert!(!left_free(t, 2));
        assert!(left_free(t, 0));
        assert!(right_free(t, 5));
        assert!(!right_free(t, 6));
        assert!(right_free(t, t.len()));
        assert_eq!(char_count("aé€".as_bytes()), 3);
    }
}
