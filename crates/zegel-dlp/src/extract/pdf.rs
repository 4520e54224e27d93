//! PDF text through `pdf-extract`, after checking the structure it would recurse through.
//!
//! `pdf-extract` follows a page's `/Parent` chain and runs form XObjects (`Do`) recursively, without
//! cycle checks: a page that is its own parent, or a form that draws itself, overflows the stack, which
//! aborts the process (no `catch_unwind` can stop that). So the document is loaded with `lopdf` first, and
//! both graphs are walked here with bounded depth; a cycle makes the file malformed. Panics on other bad
//! input are caught by the caller.

use std::collections::HashSet;

use pdf_extract::content::Content;
use pdf_extract::{Dictionary, Document, Object, ObjectId, PlainTextOutput};

/// Deepest `/Parent` chain and form nesting accepted; real files stay far below.
const MAX_DEPTH: usize = 32;
/// Most form invocations followed while checking one document.
const MAX_FORM_VISITS: usize = 20_000;

pub(crate) fn text(bytes: &[u8]) -> Result<String, String> {
    let mut doc = Document::load_mem(bytes).map_err(|e| e.to_string())?;
    if doc.is_encrypted() && doc.decrypt("").is_err() {
        return Err("encrypted PDF".into());
    }
    check_structure(&doc)?;
    let mut out = String::new();
    pdf_extract::output_doc(&doc, &mut PlainTextOutput::new(&mut out))
        .map_err(|e| e.to_string())?;
    Ok(out)
}

fn dict<'a>(doc: &'a Document, o: &'a Object) -> Option<&'a Dictionary> {
    doc.dereference(o).ok()?.1.as_dict().ok()
}

fn check_structure(doc: &Document) -> Result<(), String> {
    let mut visits = 0;
    for (_, page_id) in doc.get_pages() {
        let resources = page_resources(doc, page_id)?;
        let content = doc.get_page_content(page_id).unwrap_or_default();
        forms(doc, &content, resources, &mut Vec::new(), &mut visits)?;
    }
    Ok(())
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
) -> Result<(), String> {
    let Some(resources) = resources else {
        return Ok(());
    };
    let Some(xobjects) = resources.get(b"XObject").ok().and_then(|x| dict(doc, x)) else {
        return Ok(());
    };
    let Ok(ops) = Content::decode(content) else {
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
        forms(doc, &inner, own.or(Some(resources)), path, visits)?;
        path.pop();
    }
    Ok(())
}
