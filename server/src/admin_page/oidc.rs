//! The admin's sign-in with the organisation's account: the authorization code flow with PKCE against
//! the tenant's trusted OpenID Connect issuer (`zegel_service::admin_sign_in` does the protocol).
//!
//! `GET /admin/oidc/start?email=<address>` sends the browser to the issuer named by the address's tenant,
//! with a short-lived flow cookie (the PKCE code verifier: HttpOnly, SameSite=Lax so it comes back with
//! the issuer's redirect, ten minutes) that binds the flow to this browser. `GET /admin/oidc/callback`
//! finishes it and starts the admin session. Every outcome but success is a redirect to `/admin` with
//! `sso=unavailable|failed|not_admin`, which the page shows; the reason is in the log.

use axum::Router;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use secrecy::ExposeSecret;
use zegel_service::admin_sign_in::{self, Callback, FLOW_TTL_MS, Finish, Start};

use crate::error::AppError;
use crate::state::AppState;

/// The page that moves on to `/admin` after a sign-in: no script, nothing loaded.
const ONWARD_CSP: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
/// That page: on to the settings at once, and a link for a browser that does not refresh.
const ONWARD_PAGE: &str = "<!doctype html><html><head><meta charset=\"utf-8\">\
    <meta name=\"robots\" content=\"noindex\"><meta http-equiv=\"refresh\" content=\"0; url=/admin\">\
    <title>Zegel</title></head><body><p><a href=\"/admin\">/admin</a></p></body></html>";
/// The longest parameter read (codes and states are far shorter; Entra ID's codes are about 1 kB).
const MAX_PARAMETER_BYTES: usize = 4096;

/// The sign-in routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/oidc/start", get(start))
        .route("/admin/oidc/callback", get(callback))
}

fn flow_cookie_name(state: &AppState) -> &'static str {
    if state.config.is_https() {
        "__Host-zegel-admin-oidc"
    } else {
        "zegel-admin-oidc"
    }
}

/// A `Set-Cookie` value for the flow cookie, or its removal.
fn flow_cookie(state: &AppState, verifier: Option<&str>) -> Result<HeaderValue, AppError> {
    let secure = if state.config.is_https() {
        "; Secure"
    } else {
        ""
    };
    let (value, max_age) = match verifier {
        Some(verifier) => (verifier, FLOW_TTL_MS / 1000),
        None => ("", 0),
    };
    HeaderValue::from_str(&format!(
        "{}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}",
        flow_cookie_name(state)
    ))
    .map_err(AppError::internal)
}

/// Where the issuer sends the browser back to: the redirect URI to register with the issuer.
fn redirect_uri(state: &AppState) -> String {
    format!("{}/admin/oidc/callback", state.config.base_url())
}

/// The one value of the query parameter `name`: none when it is missing, repeated or too long.
fn parameter<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    let mut values = pairs.iter().filter(|(key, _)| key == name);
    match (values.next(), values.next()) {
        (Some((_, value)), None) if value.len() <= MAX_PARAMETER_BYTES => Some(value),
        _ => None,
    }
}

/// Back to the admin page, which says why the sign-in did not happen.
fn back_to_page(outcome: &'static str) -> Response {
    Redirect::to(&format!("/admin?sso={outcome}")).into_response()
}

/// `GET /admin/oidc/start?email=<address>`: on to the issuer of the address's tenant.
#[tracing::instrument(skip_all)]
async fn start(
    State(state): State<AppState>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let email = parameter(&pairs, "email").unwrap_or_default();
    let started = admin_sign_in::start(&state, email, &redirect_uri(&state))
        .await
        .unwrap_or_else(|error| {
            tracing::error!(%error, "admin sign-in could not start");
            Start::Failed
        });
    Ok(match started {
        Start::Redirect {
            authorization_url,
            verifier,
        } => {
            let mut response = Redirect::to(&authorization_url).into_response();
            response
                .headers_mut()
                .insert(header::SET_COOKIE, flow_cookie(&state, Some(&verifier))?);
            response
        }
        Start::Unavailable => back_to_page("unavailable"),
        Start::Failed => back_to_page("failed"),
    })
}

/// `GET /admin/oidc/callback?code=..&state=..` (or `?error=..&state=..`): the issuer's answer.
#[tracing::instrument(skip_all)]
async fn callback(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let verifier = crate::recipient::cookie(&headers, flow_cookie_name(&state));
    let flow_state = parameter(&pairs, "state");
    let finished = match (
        parameter(&pairs, "error"),
        flow_state,
        parameter(&pairs, "code"),
    ) {
        (None, Some(flow_state), Some(code)) => {
            let client_secret = state
                .config
                .oidc_client_secret
                .as_ref()
                .map(|secret| secret.expose_secret());
            let callback = Callback {
                state: flow_state,
                code,
                verifier,
            };
            admin_sign_in::finish(&state, callback, &redirect_uri(&state), client_secret).await
        }
        (error, flow_state, _) => {
            // The issuer refused (or the user cancelled), or the answer is malformed: the flow is
            // over either way.
            let error: String = error
                .unwrap_or("no state or code")
                .chars()
                .filter(char::is_ascii_graphic)
                .take(64)
                .collect();
            tracing::info!(
                error,
                "admin sign-in with OpenID Connect: the issuer refused"
            );
            match flow_state {
                Some(flow_state) => admin_sign_in::abandon(&state, flow_state)
                    .await
                    .map(|()| Finish::Failed),
                None => Ok(Finish::Failed),
            }
        }
    };
    let mut response = match finished {
        Ok(Finish::Admin(user)) => onward(super::start_session(&state, &user).await?),
        Ok(Finish::NotAdmin) => back_to_page("not_admin"),
        Ok(Finish::Failed) => back_to_page("failed"),
        Err(error) => {
            tracing::error!(%error, "admin sign-in could not finish");
            back_to_page("failed")
        }
    };
    // The flow is used up: its cookie goes.
    response
        .headers_mut()
        .append(header::SET_COOKIE, flow_cookie(&state, None)?);
    Ok(response)
}

/// Turns the redirect to `/admin` that starts a session into a page of this origin that moves on by
/// itself. The session cookie is SameSite=Strict, and browsers do not send it on a navigation another
/// site started, through every redirect of it: the issuer's redirect to the callback would carry on to
/// a signed-out `/admin`. A refresh from this page is a navigation this site starts.
fn onward(redirect: Response) -> Response {
    let (mut parts, _) = redirect.into_parts();
    parts.headers.remove(header::LOCATION);
    parts.status = StatusCode::OK;
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    parts.headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(ONWARD_CSP),
    );
    Response::from_parts(parts, Body::from(ONWARD_PAGE))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parameter_is_read_only_when_given_once() {
        let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
            list.iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()
        };
        assert_eq!(parameter(&pairs(&[("state", "a")]), "state"), Some("a"));
        assert_eq!(parameter(&pairs(&[("code", "a")]), "state"), None);
        assert_eq!(
            parameter(&pairs(&[("state", "a"), ("state", "b")]), "state"),
            None
        );
        let long = "x".repeat(MAX_PARAMETER_BYTES + 1);
        assert_eq!(parameter(&pairs(&[("code", &long)]), "code"), None);
    }
}
