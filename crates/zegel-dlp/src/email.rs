//! The e-mail address detector, anchored on `@`.
//!
//! An address is an ASCII local part (`[A-Za-z0-9._%+-]`, starting with a letter or digit), `@`, and a
//! domain of dot-separated labels (`[A-Za-z0-9-]+`) whose last label is the top-level domain. The TLD
//! must look real: letters only, 2 to 24 of them, and not a common file extension (so that
//! `image001.png@01D9…` content ids and `name@host.docx` typos are not addresses). Checking against the
//! full IANA root zone would need a list that goes stale; this approximation is documented in the crate
//! docs.

use crate::chars::{char_at, char_before};

/// File extensions that look like TLDs but are not delegated ones.
const NOT_TLDS: &[&str] = &[
    "bak", "bmp", "css", "csv", "dat", "dll", "doc", "docx", "eml", "exe", "gif", "heic", "htm",
    "html", "ini", "jpeg", "jpg", "js", "json", "log", "msg", "odp", "ods", "odt", "pdf", "png",
    "ppt", "pptx", "rtf", "svg", "tif", "tiff", "tmp", "txt", "wav", "webp", "xls", "xlsx", "xml",
];

fn is_local(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'%' | b'+' | b'-')
}

fn is_label(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'-'
}

fn real_tld(label: &[u8]) -> bool {
    (2..=24).contains(&label.len())
        && label.iter().all(u8::is_ascii_alphabetic)
        && !NOT_TLDS
            .iter()
            .any(|t| t.as_bytes().eq_ignore_ascii_case(label))
}

/// The address around the `@` at byte `at`, as `(start, end)`, not starting before `min_start`.
pub(crate) fn email_at(text: &str, at: usize, min_start: usize) -> Option<(usize, usize)> {
    let b = text.as_bytes();
    let mut run = at;
    while run > min_start && is_local(b[run - 1]) {
        run -= 1;
    }
    // The address starts at the start of the run or just after a '%' in it, at a letter or digit that
    // does not follow a word char, '.', '+' or '-'.
    let start = (run..at).find(|&s| {
        b[s].is_ascii_alphanumeric()
            && (s == run || b[s - 1] == b'%')
            && !char_before(text, s)
                .is_some_and(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '+' | '-'))
    })?;
    // Domain labels after '@'.
    let mut ends = Vec::new();
    let mut i = at + 1;
    loop {
        let s = i;
        while i < b.len() && is_label(b[i]) {
            i += 1;
        }
        if i == s {
            break;
        }
        ends.push((s, i));
        if b.get(i) == Some(&b'.') && b.get(i + 1).is_some_and(|&c| is_label(c)) {
            i += 1;
        } else {
            break;
        }
    }
    // The last label that can be the TLD: not the first, letters only, not followed by a word char or '-'.
    ends.iter()
        .enumerate()
        .skip(1)
        .rev()
        .find_map(|(k, &(s, e))| {
            let followed_ok = k + 1 < ends.len()
                || !char_at(text, e).is_some_and(|c| c.is_alphanumeric() || matches!(c, '_' | '-'));
            (followed_ok && real_tld(&b[s..e])).then_some((start, e))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        for (input, want) in [
            (
                "mail jan.jansen@zkh-noordhaven.nl.",
                Some("jan.jansen@zkh-noordhaven.nl"),
            ),
            (
                "<a.sjoberg@regionnorrvik.se>",
                Some("a.sjoberg@regionnorrvik.se"),
            ),
            (
                "x: f_l+tag@sub.example.co.uk, y",
                Some("f_l+tag@sub.example.co.uk"),
            ),
            (
                "zegel.test@afzender.example.com",
                Some("zegel.test@afzender.example.com"),
            ),
            ("100%jan@foo.nl", Some("100%jan@foo.nl")),
            ("(%jan@foo.nl)", Some("jan@foo.nl")),
            ("jan@localhost", None),
            ("jan@foo.n", None),
            ("jan@foo.nl1", None),
            ("image001.png@01D9ABCD.12345670", None),
            ("scan@page.pdf", None),
            ("@foo.nl", None),
            ("é@foo.nl", None),
            (".jan@foo.nl", None),
            ("jan@foo.nl-x", None),
            ("jan@foo.nl_x", None),
            ("jan@foo.nlé", None),
        ] {
            let at = input.find('@').expect("test input has @");
            let got = email_at(input, at, 0).map(|(s, e)| &input[s..e]);
            assert_eq!(got, want, "{input}");
        }
    }
}
