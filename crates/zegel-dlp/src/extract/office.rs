//! Text of OOXML (DOCX, XLSX, PPTX) and ODF (ODT, ODS, ODP) files, streamed from their XML parts.
//!
//! The XML is read as a stream of events (no tree, no DTD, no custom entity expansion), so memory stays
//! proportional to the part and a "billion laughs" file expands nothing. XLSX cells are read as they come;
//! the declared sheet dimension is never used to allocate.

use std::borrow::Cow;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use super::archive::{Archive, read_entry};
use super::{Ctx, TextBuf, child};

/// How an XML vocabulary becomes text; element names are local names (no prefix).
struct Vocab {
    /// Text counts only inside these elements; empty means all text counts.
    text_in: &'static [&'static [u8]],
    /// Text inside these elements never counts (e.g. phonetic runs).
    skip_in: &'static [&'static [u8]],
    /// The end of these elements ends a line.
    line_end: &'static [&'static [u8]],
    /// The end of these elements is a tab (table cells).
    cell_end: &'static [&'static [u8]],
    /// These (empty) elements are a tab.
    tab: &'static [&'static [u8]],
    /// These (empty) elements are a line break.
    line_break: &'static [&'static [u8]],
}

const WORD: Vocab = Vocab {
    text_in: &[b"t", b"delText"],
    skip_in: &[],
    line_end: &[b"p", b"tr"],
    cell_end: &[b"tc"],
    tab: &[b"tab"],
    line_break: &[b"br", b"cr"],
};

const SLIDES: Vocab = Vocab {
    text_in: &[b"t"],
    skip_in: &[],
    line_end: &[b"p"],
    cell_end: &[b"tc"],
    tab: &[b"tab"],
    line_break: &[b"br"],
};

const ODF: Vocab = Vocab {
    text_in: &[b"body"],
    skip_in: &[],
    line_end: &[b"p", b"h", b"table-row"],
    cell_end: &[b"table-cell"],
    tab: &[b"tab"],
    line_break: &[b"line-break"],
};

/// Files embedded in OOXML documents that are worth opening (others, like OLE `.bin` objects, are skipped).
const EMBEDDED: &[&str] = &[
    ".docx", ".xlsx", ".pptx", ".pdf", ".zip", ".odt", ".ods", ".odp", ".txt", ".csv", ".eml",
];

fn is_in(list: &[&[u8]], name: &[u8]) -> bool {
    list.contains(&name)
}

/// Entry names matching `prefix` + number + `.xml`, in numeric order (`slide2` before `slide10`).
fn numbered(names: &[String], prefix: &str) -> Vec<String> {
    let mut v: Vec<(u64, String)> = names
        .iter()
        .filter_map(|n| {
            let num = n.strip_prefix(prefix)?.strip_suffix(".xml")?;
            let k = if num.is_empty() { 0 } else { num.parse().ok()? };
            Some((k, n.clone()))
        })
        .collect();
    v.sort();
    v.into_iter().map(|(_, n)| n).collect()
}

/// DOCX, XLSX or PPTX.
pub(crate) fn ooxml(
    ctx: &mut Ctx<'_>,
    zip: &mut Archive<'_>,
    names: &[String],
    path: &[String],
    depth: usize,
) -> Result<(), String> {
    let mut buf = ctx.text_buf();
    let result = if names.iter().any(|n| n == "xl/workbook.xml") {
        workbook(ctx, zip, names, path, &mut buf)
    } else if names.iter().any(|n| n == "word/document.xml") {
        let mut parts = vec!["word/document.xml".to_owned()];
        for p in [
            "word/header",
            "word/footer",
            "word/footnotes",
            "word/endnotes",
            "word/comments",
        ] {
            parts.extend(numbered(names, p));
        }
        xml_parts(ctx, zip, names, &parts, &WORD, path, &mut buf)
    } else {
        let mut parts = numbered(names, "ppt/slides/slide");
        parts.extend(numbered(names, "ppt/notesSlides/notesSlide"));
        xml_parts(ctx, zip, names, &parts, &SLIDES, path, &mut buf)
    };
    ctx.finish(path, buf);
    result?;
    // Embedded documents (a spreadsheet in a letter, …) are files of their own, one level deeper.
    for (i, name) in names.iter().enumerate() {
        let embedded = ["word/embeddings/", "xl/embeddings/", "ppt/embeddings/"]
            .iter()
            .any(|p| name.starts_with(p));
        if !embedded
            || !EMBEDDED
                .iter()
                .any(|e| name.to_ascii_lowercase().ends_with(e))
            || ctx.stopped
        {
            continue;
        }
        let entry_path = child(path, name);
        if depth + 1 > ctx.limits.max_depth {
            ctx.problem(
                &entry_path,
                format!(
                    "nested too deep (more than {} levels)",
                    ctx.limits.max_depth
                ),
            );
            continue;
        }
        match read_entry(ctx, zip, i, &entry_path) {
            Ok(data) => ctx.file(name, &data, &entry_path, depth + 1),
            Err(reason) => ctx.problem(&entry_path, reason),
        }
    }
    Ok(())
}

/// ODT, ODS or ODP: the text of `content.xml`.
pub(crate) fn odf(ctx: &mut Ctx<'_>, zip: &mut Archive<'_>, path: &[String]) -> Result<(), String> {
    if let Some(i) = zip.index_for_name("META-INF/manifest.xml") {
        let manifest = read_entry(ctx, zip, i, path)?;
        if memchr::memmem::find(&manifest, b"encryption-data").is_some() {
            return Err("encrypted document".into());
        }
    }
    let i = zip
        .index_for_name("content.xml")
        .ok_or("malformed document: no content.xml")?;
    let xml = read_entry(ctx, zip, i, path)?;
    let mut buf = ctx.text_buf();
    let result = xml_text(ctx, &xml, &ODF, &mut buf);
    ctx.finish(path, buf);
    result
}

fn entry(
    ctx: &mut Ctx<'_>,
    zip: &mut Archive<'_>,
    names: &[String],
    name: &str,
    path: &[String],
) -> Result<Vec<u8>, String> {
    let i = names
        .iter()
        .position(|n| n == name)
        .ok_or_else(|| format!("malformed document: no {name}"))?;
    read_entry(ctx, zip, i, path)
}

fn xml_parts(
    ctx: &mut Ctx<'_>,
    zip: &mut Archive<'_>,
    names: &[String],
    parts: &[String],
    vocab: &Vocab,
    path: &[String],
    buf: &mut TextBuf,
) -> Result<(), String> {
    for part in parts {
        let xml = entry(ctx, zip, names, part, path)?;
        xml_text(ctx, &xml, vocab, buf)?;
        buf.newline();
        if buf.is_full() {
            break;
        }
    }
    Ok(())
}

fn reader(xml: &[u8]) -> Reader<&[u8]> {
    let mut r = Reader::from_reader(xml);
    let c = r.config_mut();
    c.check_end_names = false;
    c.trim_text(false);
    r
}

/// Text of a character or predefined entity reference (`&#233;`, `&amp;`); other entities are dropped.
fn reference(r: &quick_xml::events::BytesRef<'_>) -> Option<Cow<'static, str>> {
    if let Ok(Some(c)) = r.resolve_char_ref() {
        return Some(Cow::Owned(c.to_string()));
    }
    let name = std::str::from_utf8(r).ok()?;
    quick_xml::escape::resolve_predefined_entity(name).map(Cow::Borrowed)
}

fn malformed(e: quick_xml::Error) -> String {
    format!("malformed document XML: {e}")
}

/// Streams one XML part into `buf` according to `vocab`.
fn xml_text(ctx: &Ctx<'_>, xml: &[u8], vocab: &Vocab, buf: &mut TextBuf) -> Result<(), String> {
    let mut r = reader(xml);
    let mut inside = 0usize; // depth inside `text_in` elements
    let mut skipping = 0usize; // depth inside `skip_in` elements
    let all_text = vocab.text_in.is_empty();
    let mut events = 0u32;
    loop {
        events = events.wrapping_add(1);
        if events.is_multiple_of(4096) && ctx.out_of_time() {
            return Err("deadline exceeded while reading a document".into());
        }
        if buf.is_full() {
            return Ok(());
        }
        let counts = (all_text || inside > 0) && skipping == 0;
        match r.read_event().map_err(malformed)? {
            Event::Start(e) => {
                let n = e.local_name();
                if is_in(vocab.text_in, n.as_ref()) {
                    inside += 1;
                }
                if is_in(vocab.skip_in, n.as_ref()) {
                    skipping += 1;
                }
            }
            Event::End(e) => {
                let n = e.local_name();
                if is_in(vocab.text_in, n.as_ref()) {
                    inside = inside.saturating_sub(1);
                }
                if is_in(vocab.skip_in, n.as_ref()) {
                    skipping = skipping.saturating_sub(1);
                }
                if is_in(vocab.line_end, n.as_ref()) {
                    buf.newline();
                } else if is_in(vocab.cell_end, n.as_ref()) {
                    buf.push_char('\t');
                }
            }
            Event::Empty(e) => empty_element(&e, vocab, buf, all_text || inside > 0),
            Event::Text(t) if counts => buf.push(&String::from_utf8_lossy(&t)),
            Event::CData(t) if counts => buf.push(&String::from_utf8_lossy(&t)),
            Event::GeneralRef(g) if counts => {
                if let Some(s) = reference(&g) {
                    buf.push(&s);
                }
            }
            Event::Eof => return Ok(()),
            _ => {}
        }
    }
}

fn empty_element(e: &BytesStart<'_>, vocab: &Vocab, buf: &mut TextBuf, in_body: bool) {
    let n = e.local_name();
    if is_in(vocab.tab, n.as_ref()) || is_in(vocab.cell_end, n.as_ref()) {
        buf.push_char('\t');
    } else if is_in(vocab.line_break, n.as_ref()) || is_in(vocab.line_end, n.as_ref()) {
        buf.newline();
    } else if in_body && n.as_ref() == b"s" {
        // ODF `<text:s text:c="3"/>`: that many spaces (bounded).
        let count = e
            .attributes()
            .flatten()
            .find(|a| a.key.local_name().as_ref() == b"c")
            .and_then(|a| {
                std::str::from_utf8(&a.value)
                    .ok()?
                    .trim()
                    .parse::<usize>()
                    .ok()
            })
            .unwrap_or(1)
            .clamp(1, 64);
        for _ in 0..count {
            buf.push_char(' ');
        }
    }
}

/// XLSX: shared strings, then every sheet row by row, cells separated by tabs.
fn workbook(
    ctx: &mut Ctx<'_>,
    zip: &mut Archive<'_>,
    names: &[String],
    path: &[String],
    buf: &mut TextBuf,
) -> Result<(), String> {
    let shared = if names.iter().any(|n| n == "xl/sharedStrings.xml") {
        let xml = entry(ctx, zip, names, "xl/sharedStrings.xml", path)?;
        shared_strings(ctx, &xml)?
    } else {
        Vec::new()
    };
    for sheet in numbered(names, "xl/worksheets/sheet") {
        let xml = entry(ctx, zip, names, &sheet, path)?;
        sheet_text(ctx, &xml, &shared, buf)?;
        buf.newline();
        if buf.is_full() {
            break;
        }
    }
    Ok(())
}

/// The shared-string table: one string per `<si>`, phonetic runs (`<rPh>`) left out.
fn shared_strings(ctx: &Ctx<'_>, xml: &[u8]) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let (mut in_t, mut in_rph) = (false, false);
    let mut r = reader(xml);
    let mut events = 0u32;
    loop {
        events = events.wrapping_add(1);
        if events.is_multiple_of(4096) && ctx.out_of_time() {
            return Err("deadline exceeded while reading a spreadsheet".into());
        }
        match r.read_event().map_err(malformed)? {
            Event::Start(e) => match e.local_name().as_ref() {
                b"t" => in_t = true,
                b"rPh" => in_rph = true,
                _ => {}
            },
            Event::End(e) => match e.local_name().as_ref() {
                b"t" => in_t = false,
                b"rPh" => in_rph = false,
                b"si" => out.push(std::mem::take(&mut cur)),
                _ => {}
            },
            Event::Empty(e) if e.local_name().as_ref() == b"si" => out.push(String::new()),
            Event::Text(t) if in_t && !in_rph => cur.push_str(&String::from_utf8_lossy(&t)),
            Event::GeneralRef(g) if in_t && !in_rph => {
                if let Some(s) = reference(&g) {
                    cur.push_str(&s);
                }
            }
            Event::Eof => return Ok(out),
            _ => {}
        }
    }
}

/// A number as Excel stores it, written the way a person would read it (`1.23456782E8` → `123456782`).
fn number_text(v: &str) -> Cow<'_, str> {
    if v.contains(['E', 'e'])
        && let Ok(x) = v.parse::<f64>()
        && x.fract() == 0.0
        && x.abs() < 1e17
    {
        return Cow::Owned(format!("{x:.0}"));
    }
    Cow::Borrowed(v)
}

/// One worksheet: rows become lines, cells are separated by tabs.
fn sheet_text(
    ctx: &mut Ctx<'_>,
    xml: &[u8],
    shared: &[String],
    buf: &mut TextBuf,
) -> Result<(), String> {
    let mut r = reader(xml);
    let mut cell_type: Vec<u8> = Vec::new();
    let mut value = String::new();
    let (mut in_v, mut in_is_t) = (false, false);
    let mut events = 0u32;
    loop {
        events = events.wrapping_add(1);
        if events.is_multiple_of(4096) && ctx.out_of_time() {
            return Err("deadline exceeded while reading a spreadsheet".into());
        }
        if buf.is_full() {
            return Ok(());
        }
        match r.read_event().map_err(malformed)? {
            Event::Start(e) => match e.local_name().as_ref() {
                b"c" => {
                    if !ctx.charge_cells(1) {
                        return Err(format!(
                            "spreadsheet too large (more than {} cells)",
                            ctx.limits.max_sheet_cells
                        ));
                    }
                    cell_type = e
                        .attributes()
                        .flatten()
                        .find(|a| a.key.as_ref() == b"t")
                        .map(|a| a.value.into_owned())
                        .unwrap_or_default();
                    value.clear();
                }
                b"v" => in_v = true,
                b"t" => in_is_t = true,
                _ => {}
            },
            Event::End(e) => match e.local_name().as_ref() {
                b"v" => in_v = false,
                b"t" => in_is_t = false,
                b"c" => {
                    match cell_type.as_slice() {
                        b"s" => {
                            if let Some(s) = value
                                .trim()
                                .parse::<usize>()
                                .ok()
                                .and_then(|k| shared.get(k))
                            {
                                buf.push(s);
                            }
                        }
                        b"e" => {}
                        b"str" | b"inlineStr" | b"b" => buf.push(&value),
                        _ => buf.push(&number_text(value.trim())),
                    }
                    buf.push_char('\t');
                }
                b"row" => buf.newline(),
                _ => {}
            },
            Event::Text(t) if in_v || in_is_t => value.push_str(&String::from_utf8_lossy(&t)),
            Event::GeneralRef(g) if in_v || in_is_t => {
                if let Some(s) = reference(&g) {
                    value.push_str(&s);
                }
            }
            Event::Eof => return Ok(()),
            _ => {}
        }
        // A single cell's text is bounded by the part it comes from, which the byte budget bounds.
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excel_numbers_read_as_written() {
        assert_eq!(number_text("123456782"), "123456782");
        assert_eq!(number_text("1.23456782E8"), "123456782");
        assert_eq!(number_text("4.5E-3"), "4.5E-3");
        assert_eq!(number_text("12.5"), "12.5");
    }

    #[test]
    fn numbered_parts_sort_numerically() {
        let names: Vec<String> = [
            "ppt/slides/slide10.xml",
            "ppt/slides/slide2.xml",
            "ppt/slides/_rels/slide2.xml.rels",
            "ppt/slides/slide1.xml",
        ]
        .map(str::to_owned)
        .to_vec();
        assert_eq!(
            numbered(&names, "ppt/slides/slide"),
            [
                "ppt/slides/slide1.xml",
                "ppt/slides/slide2.xml",
                "ppt/slides/slide10.xml"
            ]
        );
    }
}
