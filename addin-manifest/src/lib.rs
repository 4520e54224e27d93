//! The Outlook add-in manifest.

/// Renders the manifest for a server reachable at `public_url`.
pub fn render(public_url: &str) -> String {
    public_url.to_owned()
}
