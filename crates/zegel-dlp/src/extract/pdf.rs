//! PDF text through `pdf-extract`, page by page, after checking the structure it would recurse through;
//! and which pages draw images (a scanned page is an image with little or no text).
//!
//! `pdf-extract` follows a page's `/Parent` chain and runs form XObjects (`Do`) recursively, without
//! cycle checks: a page that is its own parent, or a form that draws itself, overflows the stack, which
//! aborts the process (no `catch_unwind` can stop that). So the document is loaded with `lopdf` first, and
//! both graphs are walked here with bounded depth; a cycle makes the file malformed. Panics on other bad
//! input are caught by the caller.

use std::collections::HashSet;

use pdf_extract::content::Content;
use pdf_extract::{Dictionary, Document, Object, ObjectId, PlainTextOutput};

use super::PdfPage;

/// Deepest `/Parent` chain and form nesting accepted; real files stay far below.
const MAX_DEPTH: usize = 32;
/// Most form invocations followed while checking one document.
const MAX_FORM_VISITS: usize = 20_000;

/// Most pages read from one PDF; the rest are not read (a document of thousands of pages is no letter).
const MAX_PAGES: usize = 2_000;

pub(crate) fn pages(bytes: &[u8]) -> Result<Vec<PdfPage>, String> {
    let mut doc = Document::load_mem(bytes).map_err(|e| e.to_string())?;
    if doc.is_encrypted() && doc.decrypt("").is_err() {
        return Err("encrypted PDF".into());
    }
    let images = check_structure(&doc)?;
    let mut pages = Vec::new();
    for (number, images) in images.into_iter().take(MAX_PAGES) {
        let mut text = String::new();
        pdf_extract::output_doc_page(&doc, &mut PlainTextOutput::new(&mut text), number)
            .map_err(|e| e.to_string())?;
        pages.push(PdfPage { text, images });
    }
    Ok(pages)
}

fn dict<'a>(doc: &'a Document, o: &'a Object) -> Option<&'a Dictionary> {
    doc.dereference(o).ok()?.1.as_dict().ok()
}

/// Checks every page's structure; answers, for each page number, whether it draws images.
fn check_structure(doc: &Document) -> Result<Vec<(u32, bool)>, String> {
    let mut visits = 0;
    let mut pages = Vec::new();
    for (number, page_id) in doc.get_pages() {
        let resources = page_resources(doc, page_id)?;
        let content = doc.get_page_content(page_id).unwrap_or_default();
        let mut images = false;
        forms(
            doc,
            &content,
            resources,
            &mut Vec::new(),
            &mut visits,
            &mut images,
        )?;
        pages.push((number, images));
    }
    Ok(pages)
}

/// The page's resources, inherited along a `/Parent` chain that must end without a cycle.
fn page_resources(doc: &Document, page_id: ObjectId) -> Result<Option<&Dictionary>, String> {
    let mut seen = HashSet::new();
    let mut resources = None;
    let mut cur = page_id;
    loop {
        if !seen.insert(cur) || seen.len() > MAX_DEPTH {
            return Err("page tree with a cycle".into());
        }
        let Ok(node) = doc.get_dictionary(cur) else {
            return Ok(resources);
        };
        if resources.is_none() {
            resources = node.get(b"Resources").ok().and_then(|r| dict(doc, r));
        }
        match node.get(b"Parent").and_then(Object::as_reference) {
            Ok(parent) => cur = parent,
            Err(_) => return Ok(resources),
        }
    }
}

/// Walks the XObjects a content stream draws (`/Name Do`), as `pdf-extract` will: each is run as a form
/// with its own resources or else its caller's.
fn forms(
    doc: &Document,
    content: &[u8],
    resources: Option<&Dictionary>,
    path: &mut Vec<ObjectId>,
    visits: &mut usize,
    images: &mut bool,
) -> Result<(), String> {
    let Ok(ops) = Content::decode(content) else {
        return Ok(());
    };
    // An inline image is `BI ... ID <data> EI`.
    *images |= ops.operations.iter().any(|o| o.operator == "BI");
    let Some(resources) = resources else {
        return Ok(());
    };
    let Some(xobjects) = resources.get(b"XObject").ok().and_then(|x| dict(doc, x)) else {
        return Ok(());
    };
    for op in ops.operations.iter().filter(|o| o.operator == "Do") {
        *visits += 1;
        if *visits > MAX_FORM_VISITS {
            return Err("too many nested drawings".into());
        }
        let Some(name) = op.operands.first().and_then(|o| o.as_name().ok()) else {
            continue;
        };
        let Ok(entry) = xobjects.get(name) else {
            continue;
        };
        let Ok((id, obj)) = doc.dereference(entry) else {
            continue;
        };
        // `pdf-extract` runs any XObject stream as a form, whatever its subtype, so every one is followed.
        let Ok(stream) = obj.as_stream() else {
            continue;
        };
        if stream
            .dict
            .get(b"Subtype")
            .and_then(Object::as_name)
            .is_ok_and(|subtype| subtype == b"Image")
        {
            *images = true;
        }
        if id.is_some_and(|id| path.contains(&id)) || path.len() >= MAX_DEPTH {
            return Err("form drawings that draw themselves".into());
        }
        let own = stream
            .dict
            .get(b"Resources")
            .ok()
            .and_then(|r| dict(doc, r));
        let inner = stream
            .decompressed_content()
            .unwrap_or_else(|_| stream.content.clone());
        path.push(id.unwrap_or((0, 0)));
        forms(doc, &inner, own.or(Some(resources)), path, visits, images)?;
        path.pop();
    }
    Ok(())
}
