//! What HTTP adds to a recipient's access (the rules are `zegel_service::access`): the session cookie
//! (`__Host-` prefixed over TLS, HttpOnly, SameSite=Strict, no lifetime of its own), and downloads as
//! responses with safe headers.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;
use bytes::BytesMut;
use futures_util::StreamExt;
use zegel_service::access::{self, AccessError, Download, MessageLink};
use zegel_store::messages::Access;

use crate::state::AppState;

/// The cookie name of a recipient's session: `__Host-` prefixed when served over TLS (browsers only
/// accept that prefix with `Secure`).
pub fn session_cookie_name(state: &AppState, recipient_id: &str) -> String {
    if state.site.is_https() {
        format!("__Host-zs-{recipient_id}")
    } else {
        format!("zs-{recipient_id}")
    }
}

/// The `Set-Cookie` value for a new session.
pub fn session_cookie(state: &AppState, recipient_id: &str, token: &str) -> HeaderValue {
    let secure = if state.site.is_https() {
        "; Secure"
    } else {
        ""
    };
    // No Max-Age or Expires: the cookie dies with the browser; the server ends the session earlier
    // (idle or absolute timeout, logout).
    let value = format!(
        "{}={token}; Path=/; HttpOnly; SameSite=Strict{secure}",
        session_cookie_name(state, recipient_id),
    );
    HeaderValue::from_str(&value).expect("cookie values are ASCII")
}

/// The `Set-Cookie` value that removes a session cookie (logout).
pub fn clear_session_cookie(state: &AppState, recipient_id: &str) -> HeaderValue {
    let secure = if state.site.is_https() {
        "; Secure"
    } else {
        ""
    };
    let value = format!(
        "{}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}",
        session_cookie_name(state, recipient_id),
    );
    HeaderValue::from_str(&value).expect("cookie values are ASCII")
}

/// The session token a request carries for `recipient_id`, if any.
pub(crate) fn session_token<'h>(
    state: &AppState,
    headers: &'h HeaderMap,
    recipient_id: &str,
) -> Option<&'h str> {
    cookie(headers, &session_cookie_name(state, recipient_id))
}

/// The value of the cookie `name` a request carries, if any.
pub(crate) fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// Ends the session the request's cookie holds for `recipient_id` (if any): logout.
pub async fn logout(
    state: &AppState,
    headers: &HeaderMap,
    recipient_id: &str,
) -> Result<(), AccessError> {
    access::logout(state, session_token(state, headers, recipient_id)).await
}

/// The access a request's session cookie opens for `recipient_id`, if any.
pub async fn session_access(
    state: &AppState,
    headers: &HeaderMap,
    recipient_id: &str,
) -> Result<Access, AccessError> {
    access::session_access(
        state,
        session_token(state, headers, recipient_id),
        recipient_id,
    )
    .await
}

/// The session a request carries for one of the recipients of a message's one link.
pub async fn session_for_link(
    state: &AppState,
    headers: &HeaderMap,
    link: &MessageLink,
) -> Result<Access, AccessError> {
    let cookies: Vec<&str> = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('=').map(|(name, _)| name))
        .collect();
    for access in link.recipients() {
        let name = session_cookie_name(state, &access.recipient_id);
        if cookies.contains(&name.as_str()) {
            return session_access(state, headers, &access.recipient_id).await;
        }
    }
    Err(AccessError::NoSession)
}

/// Every recipient session the request's cookies open (at most eight are looked at).
async fn sessions(state: &AppState, headers: &HeaderMap) -> Vec<Access> {
    let prefix = session_cookie_name(state, "");
    let recipients: Vec<&str> = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('=').map(|(name, _)| name))
        .filter_map(|name| name.strip_prefix(prefix.as_str()))
        .take(8)
        .collect();
    let mut open = Vec::new();
    for recipient_id in recipients {
        if let Ok(access) = session_access(state, headers, recipient_id).await {
            open.push(access);
        }
    }
    open
}

/// The upload request, portal visit or message (to reply to) whose recipient's session the request
/// carries, with what it accepts: the tus uploads of `/u/<token>`, `/p/<slug>` and a reply's files are
/// made under it. A browser may hold several recipients' sessions; the first one that may upload
/// counts.
pub async fn upload_session(
    state: &AppState,
    headers: &HeaderMap,
) -> Option<(Access, zegel_store::requests::RequestLimits)> {
    for access in sessions(state, headers).await {
        if zegel_store::requests::answered(&state.db, &access.recipient_id)
            .await
            .unwrap_or(true)
        {
            continue;
        }
        let limits = match access.purpose {
            zegel_store::messages::Purpose::UploadRequest => {
                zegel_store::requests::request_limits(&state.db, &access.message_id)
                    .await
                    .ok()
                    .flatten()
            }
            zegel_store::messages::Purpose::PortalVisit => {
                zegel_service::portals::upload_limits(state, &access, state.config.max_upload_bytes)
                    .await
                    .ok()
                    .flatten()
            }
            // A recipient who may reply uploads the reply's files.
            zegel_store::messages::Purpose::Message | zegel_store::messages::Purpose::Reply
                if zegel_service::replies::can_reply(state, &access)
                    .await
                    .unwrap_or(false) =>
            {
                Some(zegel_store::requests::RequestLimits {
                    allowed_types: String::new(),
                    max_files: zegel_service::replies::MAX_FILES as i64,
                    max_bytes: i64::try_from(state.config.max_upload_bytes).unwrap_or(i64::MAX),
                })
            }
            _ => None,
        };
        if let Some(limits) = limits {
            return Some((access, limits));
        }
    }
    None
}

/// The open visit of portal `portal_id` whose session the request carries, if any.
pub async fn visit_session(
    state: &AppState,
    headers: &HeaderMap,
    portal_id: &str,
) -> Option<Access> {
    for access in sessions(state, headers).await {
        if access.purpose != zegel_store::messages::Purpose::PortalVisit {
            continue;
        }
        let on_portal = zegel_store::portals::of_visit(&state.db, &access.message_id)
            .await
            .ok()
            .flatten()
            .is_some_and(|p| p.id == portal_id);
        if on_portal {
            return Some(access);
        }
    }
    None
}

/// A download as a response: `application/octet-stream` (or `application/zip`), saved under its name,
/// never sniffed or cached. A stream that ends with an error aborts the response.
pub fn download_response(download: Download) -> Result<Response, AccessError> {
    let content_type = if download.size.is_none() {
        "application/zip"
    } else {
        "application/octet-stream"
    };
    let mut response = Response::builder()
        .header(header::CONTENT_TYPE, content_type)
        .header(
            header::CONTENT_DISPOSITION,
            content_disposition(&download.name),
        )
        .header("x-content-type-options", "nosniff")
        .header(header::CACHE_CONTROL, "no-store");
    if let Some(size) = download.size {
        response = response.header(header::CONTENT_LENGTH, size);
    }
    response
        .body(Body::from_stream(download.body))
        .map_err(|e| AccessError::Internal(e.into()))
}

/// A `Content-Disposition: attachment` header with an ASCII fallback and the RFC 5987 UTF-8 name.
pub fn content_disposition(name: &str) -> HeaderValue {
    disposition("attachment", name)
}

/// A `Content-Disposition` header of `kind` (`attachment` or `inline`) naming `name` safely.
fn disposition(kind: &'static str, name: &str) -> HeaderValue {
    let fallback: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    HeaderValue::from_str(&format!(
        "{kind}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(kind))
}

/// The policy of a file shown in the browser: a sandbox (no script, no plugin, an opaque origin, no
/// forms), nothing loaded but the file itself, and never framed by another page.
pub const VIEW_CSP: &str = "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'";

/// The types a recipient can look at in the browser, told by the file's first bytes, never by its
/// name: PDF and the common pictures. SVG and HTML are not among them: they can carry scripts.
pub fn viewable_type(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if head.starts_with(b"\xff\xd8\xff") {
        Some("image/jpeg")
    } else if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// Whether the page offers "View" for a file: its name promises a viewable type. The bytes decide
/// when it is opened ([`view_response`]); a file that is not what its name says is downloaded.
pub fn looks_viewable(name: &str) -> bool {
    let extension = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    matches!(
        extension.as_deref(),
        Some("pdf" | "png" | "jpg" | "jpeg" | "gif" | "webp")
    )
}

/// A file shown in the browser: `Content-Disposition: inline` with its sniffed type under
/// [`VIEW_CSP`] when its first bytes are a viewable type, else the ordinary download.
pub async fn view_response(download: Download) -> Result<Response, AccessError> {
    let Download {
        name,
        size,
        mut body,
    } = download;
    let mut head = BytesMut::new();
    while head.len() < 12 {
        match body.next().await {
            Some(Ok(bytes)) => head.extend_from_slice(&bytes),
            Some(Err(error)) => return Err(AccessError::Internal(error.into())),
            None => break,
        }
    }
    let head = head.freeze();
    let kind = viewable_type(&head);
    let body = futures_util::stream::once(async move { Ok(head) })
        .chain(body)
        .boxed();
    let download = Download { name, size, body };
    let Some(kind) = kind else {
        return download_response(download);
    };
    let mut response = Response::builder()
        .header(header::CONTENT_TYPE, kind)
        .header(
            header::CONTENT_DISPOSITION,
            disposition("inline", &download.name),
        )
        .header(header::CONTENT_SECURITY_POLICY, VIEW_CSP)
        .header("x-content-type-options", "nosniff")
        .header(header::CACHE_CONTROL, "no-store");
    if let Some(size) = download.size {
        response = response.header(header::CONTENT_LENGTH, size);
    }
    response
        .body(Body::from_stream(download.body))
        .map_err(|e| AccessError::Internal(e.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_pdfs_and_pictures_are_viewable_by_content() {
        assert_eq!(viewable_type(b"%PDF-1.7\n"), Some("application/pdf"));
        assert_eq!(viewable_type(b"\x89PNG\r\n\x1a\n\0\0"), Some("image/png"));
        assert_eq!(viewable_type(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(viewable_type(b"<svg xmlns="), None);
        assert_eq!(viewable_type(b"<html><script>"), None);
        assert_eq!(viewable_type(b"%PD"), None);
        assert!(looks_viewable("Scan.PDF") && looks_viewable("foto.jpeg"));
        assert!(!looks_viewable("plaatje.svg") && !looks_viewable("pdf"));
    }

    #[test]
    fn download_names_are_safe_headers() {
        let header = content_disposition("rapport \"Q1\"\r\n€.pdf");
        let text = header.to_str().unwrap();
        assert!(
            text.starts_with("attachment; filename=\"rapport _Q1___"),
            "{text}"
        );
        assert!(
            text.contains("filename*=UTF-8''rapport%20%22Q1%22%0D%0A%E2%82%AC.pdf"),
            "{text}"
        );
    }
}
