//! Plain-text decoding and HTML to text.
//!
//! The HTML reader is a small tag stripper, which is enough for *text extraction* (it never renders or
//! sanitises): `<script>`, `<style>` and comments are dropped, block elements end a line, table cells
//! become tabs, inline elements add nothing (so `<b>Patiënten</b>dossier` stays one word), and character
//! references are decoded (`&nbsp;` becomes U+00A0, a group separator).

use std::borrow::Cow;

use super::TextBuf;

/// Bytes as text: UTF-8 (BOM stripped), UTF-16 with a BOM, otherwise Windows-1252.
pub(crate) fn decode_text(b: &[u8]) -> Cow<'_, str> {
    if let Some(rest) = b.strip_prefix(b"\xef\xbb\xbf") {
        return String::from_utf8_lossy(rest);
    }
    if let Some(rest) = b.strip_prefix(b"\xff\xfe") {
        let units = rest
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]));
        return Cow::Owned(
            char::decode_utf16(units)
                .map(|c| c.unwrap_or('\u{fffd}'))
                .collect(),
        );
    }
    if let Some(rest) = b.strip_prefix(b"\xfe\xff") {
        let units = rest
            .chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]));
        return Cow::Owned(
            char::decode_utf16(units)
                .map(|c| c.unwrap_or('\u{fffd}'))
                .collect(),
        );
    }
    match std::str::from_utf8(b) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => Cow::Owned(b.iter().map(|&c| windows_1252(c)).collect()),
    }
}

/// One Windows-1252 byte as a char (0x80–0x9F differ from Latin-1).
fn windows_1252(c: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž',
        '\u{8f}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}',
        'ž', 'Ÿ',
    ];
    match c {
        0x80..=0x9f => HIGH[usize::from(c - 0x80)],
        _ => char::from(c),
    }
}

/// Elements whose start or end breaks a line.
const BLOCKS: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "br",
    "dd",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "tbody",
    "thead",
    "tfoot",
    "title",
    "tr",
    "ul",
    "body",
    "html",
    "head",
];

/// Elements whose content is not text.
const RAW: &[&str] = &["script", "style", "template", "noscript", "xml"];

/// Appends the text of an HTML document to `out`.
pub(crate) fn html_to_text(html: &str, out: &mut TextBuf) {
    let b = html.as_bytes();
    let mut i = 0;
    while i < b.len() && !out.is_full() {
        let Some(lt) = memchr::memchr(b'<', &b[i..]).map(|k| i + k) else {
            push_text(&html[i..], out);
            break;
        };
        push_text(&html[i..lt], out);
        i = lt;
        if b[i..].starts_with(b"<!--") {
            i = memchr::memmem::find(&b[i + 4..], b"-->").map_or(b.len(), |k| i + 4 + k + 3);
            continue;
        }
        let (name, closing, end) = tag(b, i);
        if name.is_empty()
            && !b
                .get(i + 1)
                .is_some_and(|&c| c == b'!' || c == b'?' || c == b'/')
        {
            // A lone '<' in text.
            push_text("<", out);
            i += 1;
            continue;
        }
        i = end;
        let lname = name.to_ascii_lowercase();
        if !closing && RAW.contains(&lname.as_str()) {
            let close = format!("</{lname}");
            i = find_ignore_case(b, i, close.as_bytes()).map_or(b.len(), |k| tag(b, k).2);
            continue;
        }
        if lname == "td" || lname == "th" {
            if closing {
                out.push_char('\t');
            }
        } else if BLOCKS.contains(&lname.as_str()) {
            out.newline();
        }
    }
}

fn push_text(s: &str, out: &mut TextBuf) {
    if !s.is_empty() {
        out.push(&html_escape::decode_html_entities(s));
    }
}

/// The tag at `b[i] == '<'`: its name, whether it is a closing tag, and the offset after its `>`.
fn tag(b: &[u8], i: usize) -> (String, bool, usize) {
    let mut j = i + 1;
    let closing = b.get(j) == Some(&b'/');
    if closing {
        j += 1;
    }
    let start = j;
    while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'-' || b[j] == b':') {
        j += 1;
    }
    let name = String::from_utf8_lossy(&b[start..j]).into_owned();
    // Skip attributes up to '>', honouring quotes.
    let mut quote = None;
    while j < b.len() {
        match (quote, b[j]) {
            (None, b'>') => return (name, closing, j + 1),
            (None, q @ (b'"' | b'\'')) => quote = Some(q),
            (Some(q), c) if c == q => quote = None,
            _ => {}
        }
        j += 1;
    }
    (name, closing, b.len())
}

fn find_ignore_case(b: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    (from..b.len().saturating_sub(needle.len() - 1))
        .find(|&k| b[k..k + needle.len()].eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(html: &str) -> String {
        let mut buf = TextBuf::new(usize::MAX);
        html_to_text(html, &mut buf);
        buf.text
    }

    #[test]
    fn html_text() {
        for (html, want) in [
            (
                "<p>Het <b>BSN</b> is 123&nbsp;456&nbsp;782.</p>",
                "Het BSN is 123\u{a0}456\u{a0}782.\n",
            ),
            ("<b>Patiënten</b>dossier", "Patiëntendossier"),
            (
                "Pati&euml;ntendossier &amp; meer",
                "Patiëntendossier & meer",
            ),
            ("a<script>var x = '<p>06-12345678</p>';</script>b", "ab"),
            ("a<STYLE>p{}</STYLE>b<!-- 123456782 -->c", "abc"),
            (
                "<table><tr><td>BSN</td><td>123456782</td></tr></table>",
                "BSN\t123456782\t\n",
            ),
            ("1 < 2 and <a href='x>y'>link</a>", "1 < 2 and link"),
            ("<p>unclosed", "unclosed"),
            ("<script>never closed", ""),
            ("a<br>b<br/>c", "a\nb\nc"),
        ] {
            assert_eq!(text(html), want, "{html}");
        }
    }

    #[test]
    fn text_decoding() {
        assert_eq!(decode_text(b"\xef\xbb\xbfBSN"), "BSN");
        assert_eq!(decode_text(b"\xff\xfeB\0S\0N\0"), "BSN");
        assert_eq!(decode_text(b"\xfe\xff\0B\0S\0N"), "BSN");
        assert_eq!(
            decode_text(b"Pati\xebntendossier \x80"),
            "Patiëntendossier €"
        );
        assert_eq!(
            decode_text("Patiëntendossier".as_bytes()),
            "Patiëntendossier"
        );
    }
}
