//! The Outlook add-in manifest (`manifest.xml`, an XML add-in-only manifest for a mail add-in) and the
//! offline checks it must pass.
//!
//! [`render`] fills in the server's public URL, so every URL in the manifest points at the server that
//! serves it (`/addin/manifest.xml`). [`rules::check`] holds the manifest to the rules of Microsoft's
//! [MS-OWEMXML] specification for mail add-ins (schemas 1.0/1.1 and the version overrides 1.0/1.1):
//! required elements and their order, enumerated attribute values, URL and string lengths, and
//! resource references. The rules are written from the specification's text, not copied from its XSD.

/// The checks from [MS-OWEMXML].
pub mod rules;
/// A minimal element tree for the checks.
mod tree;

/// The manifest template; `%BASE_URL%` stands for the server's public URL.
pub const TEMPLATE: &str = include_str!("../manifest.xml");

/// Renders the manifest for a server reachable at `public_url` (with or without a trailing slash).
pub fn render(public_url: &str) -> String {
    let base = public_url.trim_end_matches('/');
    TEMPLATE.replace("%BASE_URL%", &escape_attribute(base))
}

fn escape_attribute(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}
