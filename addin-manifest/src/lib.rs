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

/// Where the template takes the `WebApplicationInfo` element (an XML comment, so the template itself
/// stays a valid manifest).
const WEB_APPLICATION_INFO: &str = "<!--%WEB_APPLICATION_INFO%-->";

/// The scopes the add-in asks Office for: the user's identity only (`openid`, and `profile`, which
/// Office's single sign-on always needs); Zegel calls no Microsoft Graph API.
pub const SSO_SCOPES: [&str; 2] = ["openid", "profile"];

/// The Entra ID app registration Office's single sign-on (`Office.auth.getAccessToken`) asks tokens for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebApplication<'a> {
    /// The application (client) id, a UUID.
    pub client_id: &'a str,
    /// The Application ID URI, `api://<the add-in's host>/<client id>`.
    pub resource: &'a str,
}

/// Renders the manifest for a server reachable at `public_url` (with or without a trailing slash),
/// without single sign-on.
pub fn render(public_url: &str) -> String {
    render_with(public_url, None)
}

/// Renders the manifest, with `WebApplicationInfo` for `sso` when given.
pub fn render_with(public_url: &str, sso: Option<WebApplication<'_>>) -> String {
    let base = public_url.trim_end_matches('/');
    let info = sso.map_or_else(String::new, |app| {
        let scopes: String = SSO_SCOPES
            .iter()
            .map(|s| format!("<Scope>{}</Scope>", escape_attribute(s)))
            .collect();
        format!(
            "<WebApplicationInfo>\n        <Id>{}</Id>\n        <Resource>{}</Resource>\n        <Scopes>{scopes}</Scopes>\n      </WebApplicationInfo>",
            escape_attribute(app.client_id),
            escape_attribute(app.resource)
        )
    });
    TEMPLATE
        .replace("%BASE_URL%", &escape_attribute(base))
        .replace(WEB_APPLICATION_INFO, &info)
}

fn escape_attribute(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}
