//! The recipient's own choice of language: a switch on every portal page sets the `zl` cookie (a
//! preference in the browser; nothing is stored on the server), and pages are then written in that
//! language instead of the one the sender chose. Mails keep the sender's choice.

use axum::extract::{Path, Query, Request};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use zegel_core::Language;

use crate::state::AppState;

/// The cookie holding the chosen language.
const COOKIE: &str = "zl";

tokio::task_local! {
    /// For the request being answered: the chosen language and the page to come back to.
    static REQUEST: (Option<Language>, String);
}

/// Middleware: remembers the request's chosen language and path while it is answered.
pub(crate) async fn remember(request: Request, next: Next) -> Response {
    let chosen = chosen_in(request.headers());
    let back = page_of(request.uri().path());
    REQUEST.scope((chosen, back), next.run(request)).await
}

/// The language the recipient chose on this browser, if any.
pub(crate) fn chosen() -> Option<Language> {
    REQUEST.try_with(|(chosen, _)| *chosen).ok().flatten()
}

/// The page a language link comes back to, when answering a request.
pub(crate) fn here() -> Option<String> {
    REQUEST.try_with(|(_, back)| back.clone()).ok()
}

fn chosen_in(headers: &HeaderMap) -> Option<Language> {
    crate::recipient::cookie(headers, COOKIE).and_then(Language::parse)
}

/// The GET page a path belongs to: a form's POST address comes back to the page that shows the form.
fn page_of(path: &str) -> String {
    let parts: Vec<&str> = path.split('/').collect();
    match parts.as_slice() {
        ["", prefix @ ("m" | "r" | "u" | "p" | "phones"), id, ..] if is_token(id) => {
            format!("/{prefix}/{id}")
        }
        ["", "admin", "portals", ..] => "/admin/portals".to_owned(),
        ["", "send", ..] => "/send".to_owned(),
        ["", "admin", ..] => "/admin".to_owned(),
        _ => "/".to_owned(),
    }
}

fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 200
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A link of the switch.
pub struct LanguageLink {
    /// The language's code (`lang` attribute).
    pub code: &'static str,
    /// Its name in itself.
    pub label: &'static str,
    /// `/lang/<code>?back=<page>`.
    pub href: String,
}

/// The switch for the page being answered (empty outside a request).
pub fn links() -> Vec<LanguageLink> {
    here().map(|back| links_to(&back)).unwrap_or_default()
}

/// The switch for a page that belongs to no message (an unknown or gone link, the home page): it comes
/// back to `/`, so such a page says nothing about the address asked for (empty outside a request).
pub fn home_links() -> Vec<LanguageLink> {
    here().map(|_| links_to("/")).unwrap_or_default()
}

fn links_to(back: &str) -> Vec<LanguageLink> {
    Language::ALL
        .into_iter()
        .map(|language| LanguageLink {
            code: language.code(),
            label: language.native_name(),
            href: format!("/lang/{}?back={back}", language.code()),
        })
        .collect()
}

#[derive(Deserialize)]
pub(crate) struct Back {
    back: Option<String>,
}

/// `GET /lang/<code>?back=<page>`: remembers the choice in the browser and goes back to the page (only
/// a page of this portal: anything else goes to `/`).
pub(crate) async fn choose(
    axum::extract::State(state): axum::extract::State<AppState>,
    Path(code): Path<String>,
    Query(query): Query<Back>,
) -> Response {
    let back = query
        .back
        .as_deref()
        .map_or_else(|| "/".to_owned(), page_of);
    let Some(language) = Language::parse(&code) else {
        return Redirect::to(&back).into_response();
    };
    let secure = if state.site.is_https() {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{COOKIE}={}; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax{secure}",
        language.code()
    );
    let mut response = Redirect::to(&back).into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::page_of;

    #[test]
    fn links_come_back_only_to_portal_pages() {
        assert_eq!(page_of("/m/abc_DEF-1/challenge"), "/m/abc_DEF-1");
        assert_eq!(page_of("/r/xyz/files/1"), "/r/xyz");
        assert_eq!(page_of("/phones/tok"), "/phones/tok");
        assert_eq!(page_of("/u/tok/verify"), "/u/tok");
        assert_eq!(page_of("/p/inkomen/challenge"), "/p/inkomen");
        assert_eq!(page_of("//evil.example/x"), "/");
        assert_eq!(page_of("https://evil.example/m/abc"), "/");
        assert_eq!(page_of("/m/a%2F..%2F/x"), "/");
        assert_eq!(page_of("/admin/settings"), "/admin");
        assert_eq!(page_of("/admin/portals/abc/delete"), "/admin/portals");
        assert_eq!(page_of("/administrator"), "/");
    }
}
