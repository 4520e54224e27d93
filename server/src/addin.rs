//! The Outlook add-in as the server offers it: `/addin/manifest.xml` rendered for the configured public
//! URL, and the built pane, icons and scripts (`ZEGEL_ADDIN_DIR`, built by `cargo xtask`) under
//! `/addin/`.
//!
//! These routes are merged after the application's default security headers, because the pane differs
//! from the portal on purpose: Outlook on the web frames it, it runs WebAssembly and loads Office.js
//! from Microsoft's CDN. Every response here sets its own headers, [`PANE_CSP`] among them.

use std::path::{Path, PathBuf};

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::state::AppState;

/// Where Office.js comes from in production.
pub const OFFICE_JS_ORIGIN: &str = "https://appsforoffice.microsoft.com";

/// The pane's Content-Security-Policy: scripts only from this server and the Office.js CDN, WebAssembly
/// allowed (`'wasm-unsafe-eval'`, not `'unsafe-eval'`), no inline script or style, API calls only to
/// this server, and framing only by Outlook.
pub const PANE_CSP: &str = "default-src 'none'; \
    script-src 'self' https://appsforoffice.microsoft.com 'wasm-unsafe-eval'; \
    style-src 'self'; img-src 'self' data:; \
    connect-src 'self' https://appsforoffice.microsoft.com; \
    frame-ancestors 'self' https://*.office.com https://*.office365.com https://*.outlook.com \
    https://outlook.live.com https://*.microsoft.com https://*.cloud.microsoft; \
    base-uri 'none'; form-action 'none'";

/// The add-in routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/addin/manifest.xml", get(manifest))
        .route(ALLOWED_SCRIPTS_PATH, get(allowed_scripts))
        .route("/addin/launchevent.js", get(launchevent))
        .route("/addin/{*path}", get(file))
}

fn headers(content_type: &'static str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(PANE_CSP),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    // Revalidate every time: a new server version must never run with an old pane.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers
}

fn not_found() -> Response {
    let mut headers = headers("text/plain; charset=utf-8");
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    (StatusCode::NOT_FOUND, headers, "not found").into_response()
}

async fn manifest(State(state): State<AppState>) -> Response {
    let sso = state
        .config
        .addin_sso
        .as_ref()
        .map(|sso| addin_manifest::WebApplication {
            client_id: &sso.client_id,
            resource: &sso.resource,
        });
    let xml = addin_manifest::render_with(&state.config.base_url(), sso);
    (headers("application/xml; charset=utf-8"), xml).into_response()
}

/// Where classic Outlook on Windows looks, at the root of the origin that serves `launchevent.js`, for the
/// scripts allowed to ask Office for single sign-on tokens and to make cross-origin requests from its
/// JavaScript-only event runtime.
pub const ALLOWED_SCRIPTS_PATH: &str = "/.well-known/microsoft-officeaddins-allowed.json";

/// `{"allowed": ["<public URL>/addin/launchevent.js"]}`: only Zegel's own event script.
async fn allowed_scripts(State(state): State<AppState>) -> Response {
    let body = serde_json::json!({
        "allowed": [format!("{}/addin/launchevent.js", state.config.base_url())],
    });
    (headers("application/json"), body.to_string()).into_response()
}

/// `launchevent.js` with the server's URL in front: classic Outlook runs it without a page, so it cannot
/// find the server from its own location.
async fn launchevent(State(state): State<AppState>) -> Response {
    let Some(dir) = &state.config.addin_dir else {
        return not_found();
    };
    let Ok(script) = tokio::fs::read_to_string(dir.join("launchevent.js")).await else {
        return not_found();
    };
    let base = serde_json::to_string(&state.config.base_url()).expect("a string serialises");
    let body = format!("var ZEGEL_BASE_URL = {base};\n{script}");
    (headers("text/javascript; charset=utf-8"), body).into_response()
}

fn content_type(path: &Path) -> Option<&'static str> {
    Some(match path.extension()?.to_str()? {
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "wasm" => "application/wasm",
        "png" => "image/png",
        "json" => "application/json",
        _ => return None,
    })
}

/// The file under `dir` that `path` names, when it is a plain relative path of known type: no `..`, no
/// hidden files, nothing but letters, digits and `._-/`.
fn resolve(dir: &Path, path: &str) -> Option<(PathBuf, &'static str)> {
    let plain = path.split('/').all(|part| {
        !part.is_empty()
            && !part.starts_with('.')
            && part
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    });
    if !plain {
        return None;
    }
    let full = dir.join(path);
    let kind = content_type(&full)?;
    Some((full, kind))
}

async fn file(
    State(state): State<AppState>,
    UrlPath(path): UrlPath<String>,
    request_headers: HeaderMap,
) -> Response {
    let Some(dir) = &state.config.addin_dir else {
        return not_found();
    };
    let Some((full, kind)) = resolve(dir, &path) else {
        return not_found();
    };
    let accepts_gzip = request_headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|e| e.trim().split(';').next() == Some("gzip"))
        });
    let mut response_headers = headers(kind);
    response_headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if accepts_gzip {
        let mut gz = full.clone().into_os_string();
        gz.push(".gz");
        if let Ok(bytes) = tokio::fs::read(PathBuf::from(gz)).await {
            response_headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            return (response_headers, bytes).into_response();
        }
    }
    match tokio::fs::read(&full).await {
        Ok(bytes) => (response_headers, bytes).into_response(),
        Err(_) => not_found(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_paths_of_known_types_resolve() {
        let dir = Path::new("/srv/addin");
        assert_eq!(
            resolve(dir, "pkg/zegel_web_bg.wasm").map(|r| r.1),
            Some("application/wasm")
        );
        assert_eq!(
            resolve(dir, "taskpane.html").map(|r| r.0),
            Some(PathBuf::from("/srv/addin/taskpane.html"))
        );
        for bad in [
            "../keyring.json",
            "pkg/../../x.js",
            ".hidden.js",
            "a//b.js",
            "x.json.gz",
            "run.sh",
            "a b.js",
            "%2e%2e/x.js",
        ] {
            assert!(resolve(dir, bad).is_none(), "{bad} resolved");
        }
    }

    #[test]
    fn the_pane_csp_allows_wasm_and_office_js_and_nothing_inline() {
        assert!(PANE_CSP.contains("'wasm-unsafe-eval'"));
        assert!(PANE_CSP.contains(OFFICE_JS_ORIGIN));
        for forbidden in [
            "'unsafe-inline'",
            "'unsafe-eval'",
            "*;",
            "data: 'self'; script",
        ] {
            assert!(!PANE_CSP.contains(forbidden), "{forbidden}");
        }
    }
}
