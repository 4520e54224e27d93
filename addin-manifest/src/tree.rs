//! A small element tree built with quick-xml: names resolved to their namespace, attributes by
//! qualified name, text trimmed.

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

/// An element.
#[derive(Debug, Clone, Default)]
pub(crate) struct Element {
    /// The namespace URI.
    pub ns: String,
    /// The local name.
    pub name: String,
    /// Attributes by qualified name (`xsi:type`, `DefaultValue`), unescaped.
    pub attrs: Vec<(String, String)>,
    /// Child elements in document order.
    pub children: Vec<Element>,
    /// The text content, trimmed.
    pub text: String,
}

impl Element {
    /// An attribute's value.
    pub(crate) fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first child with this local name.
    pub(crate) fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// Every element below this one (depth first, this one included).
    pub(crate) fn descendants(&self) -> Vec<&Element> {
        let mut all = vec![self];
        for child in &self.children {
            all.extend(child.descendants());
        }
        all
    }
}

/// Parses `xml` into its root element.
pub(crate) fn parse(xml: &str) -> Result<Element, String> {
    let mut reader = NsReader::from_str(xml);
    let mut stack: Vec<Element> = Vec::new();
    let mut root = None;
    loop {
        let (resolved, event) = reader
            .read_resolved_event()
            .map_err(|e| format!("malformed XML: {e}"))?;
        let ns = match resolved {
            ResolveResult::Bound(ns) => String::from_utf8_lossy(ns.as_ref()).into_owned(),
            _ => String::new(),
        };
        match event {
            Event::Start(start) => stack.push(element(ns, &start)?),
            Event::Empty(start) => {
                stack.push(element(ns, &start)?);
                close(&mut stack, &mut root);
            }
            Event::End(_) => close(&mut stack, &mut root),
            Event::Text(text) => {
                if let Some(top) = stack.last_mut() {
                    let text = text.decode().map_err(|e| format!("bad text: {e}"))?;
                    top.text.push_str(text.trim());
                }
            }
            Event::GeneralRef(reference) => {
                if let Some(top) = stack.last_mut() {
                    let name = reference
                        .decode()
                        .map_err(|e| format!("bad reference: {e}"))?;
                    top.text.push_str(match name.as_ref() {
                        "amp" => "&",
                        "lt" => "<",
                        "gt" => ">",
                        "quot" => "\"",
                        "apos" => "'",
                        other => return Err(format!("unknown entity &{other};")),
                    });
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !stack.is_empty() {
        return Err("unclosed elements at the end".to_owned());
    }
    root.ok_or_else(|| "no root element".to_owned())
}

fn element(ns: String, start: &quick_xml::events::BytesStart<'_>) -> Result<Element, String> {
    let mut element = Element {
        ns,
        name: String::from_utf8_lossy(start.local_name().as_ref()).into_owned(),
        ..Default::default()
    };
    for attr in start.attributes() {
        let attr = attr.map_err(|e| format!("bad attribute: {e}"))?;
        let value = attr
            .unescape_value()
            .map_err(|e| format!("bad attribute value: {e}"))?
            .into_owned();
        element.attrs.push((
            String::from_utf8_lossy(attr.key.as_ref()).into_owned(),
            value,
        ));
    }
    Ok(element)
}

fn close(stack: &mut Vec<Element>, root: &mut Option<Element>) {
    if let Some(done) = stack.pop() {
        match stack.last_mut() {
            Some(parent) => parent.children.push(done),
            None => *root = Some(done),
        }
    }
}
