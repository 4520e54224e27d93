//! Staff sign in with the organisation's account, at two doors: the admin page (`/admin`) and sending
//! from the browser (`/send`, where signed-in staff skip the mailed code). The authorization code flow
//! with PKCE against the tenant's trusted OpenID Connect issuer; `zegel_service::sign_in` does the
//! protocol.
//!
//! `GET /<door>/oidc/start?email=<address>` sends the browser to the issuer named by the address's
//! tenant, with a short-lived flow cookie per door (the PKCE code verifier: HttpOnly, SameSite=Lax so it
//! comes back with the issuer's redirect, ten minutes) that binds the flow to this browser.
//! `GET /<door>/oidc/callback` finishes it: the admin door asks for the admin role and starts an admin
//! session; the sending door starts a sender session. Each door's redirect URI is its own, and the
//! issuer redeems a code only for the URI it was issued for. Every outcome but success is a redirect to
//! the door with `sso=unavailable|failed|not_admin`, which the page shows; the reason is in the log.

use axum::Router;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use secrecy::ExposeSecret;
use zegel_service::sign_in::{self, Callback, FLOW_TTL_MS, Finish, Start};

use crate::client::Client;
use crate::error::AppError;
use crate::state::AppState;

/// Where staff sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Door {
    /// The admin page: admins only.
    Admin,
    /// Sending from the browser.
    Send,
}

impl Door {
    /// The page this door opens.
    fn page(self) -> &'static str {
        match self {
            Door::Admin => "/admin",
            Door::Send => "/send",
        }
    }

    fn flow_cookie_name(self, state: &AppState) -> &'static str {
        match (self, state.config.is_https()) {
            (Door::Admin, true) => "__Host-zegel-admin-oidc",
            (Door::Admin, false) => "zegel-admin-oidc",
            (Door::Send, true) => "__Host-zegel-send-oidc",
            (Door::Send, false) => "zegel-send-oidc",
        }
    }

    /// Where the issuer sends the browser back to: the redirect URI to register with the issuer.
    fn redirect_uri(self, state: &AppState) -> String {
        format!("{}{}/oidc/callback", state.config.base_url(), self.page())
    }

    /// Back to the door's page, which says why the sign-in did not happen.
    fn back(self, outcome: &'static str) -> Response {
        Redirect::to(&format!("{}?sso={outcome}", self.page())).into_response()
    }
}

/// The page that moves on after a sign-in: no script, nothing loaded.
const ONWARD_CSP: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
/// The longest parameter read (codes and states are far shorter; Entra ID's codes are about 1 kB).
const MAX_PARAMETER_BYTES: usize = 4096;

/// The sign-in routes of both doors.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/admin/oidc/start",
            get(|state, query| start(Door::Admin, state, query)),
        )
        .route(
            "/admin/oidc/callback",
            get(|state, client, headers, query| {
                callback(Door::Admin, state, client, headers, query)
            }),
        )
        .route(
            "/send/oidc/start",
            get(|state, query| start(Door::Send, state, query)),
        )
        .route(
            "/send/oidc/callback",
            get(|state, client, headers, query| {
                callback(Door::Send, state, client, headers, query)
            }),
        )
}

/// A `Set-Cookie` value for the door's flow cookie, or its removal.
fn flow_cookie(
    state: &AppState,
    door: Door,
    verifier: Option<&str>,
) -> Result<HeaderValue, AppError> {
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
        door.flow_cookie_name(state)
    ))
    .map_err(AppError::internal)
}

/// The one value of the query parameter `name`: none when it is missing, repeated or too long.
fn parameter<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    let mut values = pairs.iter().filter(|(key, _)| key == name);
    match (values.next(), values.next()) {
        (Some((_, value)), None) if value.len() <= MAX_PARAMETER_BYTES => Some(value),
        _ => None,
    }
}

/// `GET /<door>/oidc/start?email=<address>`: on to the issuer of the address's tenant.
#[tracing::instrument(skip_all)]
async fn start(
    door: Door,
    State(state): State<AppState>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let email = parameter(&pairs, "email").unwrap_or_default();
    let started = sign_in::start(&state, email, &door.redirect_uri(&state))
        .await
        .unwrap_or_else(|error| {
            tracing::error!(%error, "sign-in could not start");
            Start::Failed
        });
    Ok(match started {
        Start::Redirect {
            authorization_url,
            verifier,
        } => {
            let mut response = Redirect::to(&authorization_url).into_response();
            response.headers_mut().insert(
                header::SET_COOKIE,
                flow_cookie(&state, door, Some(&verifier))?,
            );
            response
        }
        Start::Unavailable => door.back("unavailable"),
        Start::Failed => door.back("failed"),
    })
}

/// `GET /<door>/oidc/callback?code=..&state=..` (or `?error=..&state=..`): the issuer's answer.
#[tracing::instrument(skip_all)]
async fn callback(
    door: Door,
    State(state): State<AppState>,
    Client(client): Client,
    headers: HeaderMap,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let verifier = crate::recipient::cookie(&headers, door.flow_cookie_name(&state));
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
            sign_in::finish(&state, callback, &door.redirect_uri(&state), client_secret).await
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
            tracing::info!(error, "sign-in with OpenID Connect: the issuer refused");
            match flow_state {
                Some(flow_state) => sign_in::abandon(&state, flow_state)
                    .await
                    .map(|()| Finish::Failed),
                None => Ok(Finish::Failed),
            }
        }
    };
    let mut response = match (door, finished) {
        (Door::Admin, Ok(Finish::SignedIn(user))) if user.role == "admin" => {
            onward(door, crate::admin_page::start_session(&state, &user).await?)
        }
        (Door::Admin, Ok(Finish::SignedIn(user))) => {
            tracing::info!(
                tenant = user.tenant_id,
                "admin sign-in with OpenID Connect: the user is no admin"
            );
            door.back("not_admin")
        }
        (Door::Send, Ok(Finish::SignedIn(user))) => {
            let session =
                zegel_service::senders::start_session(&state, user, "sender.signed_in", &client)
                    .await?;
            let max_age = (session.expires_at - state.now_ms()) / 1000;
            let mut response = onward(door, Redirect::to("/send").into_response());
            response.headers_mut().insert(
                header::SET_COOKIE,
                crate::api::senders::session_cookie(&state, Some(&session.token), max_age),
            );
            response
        }
        (_, Ok(Finish::Failed)) => door.back("failed"),
        (_, Err(error)) => {
            tracing::error!(%error, "sign-in could not finish");
            door.back("failed")
        }
    };
    // The flow is used up: its cookie goes.
    response
        .headers_mut()
        .append(header::SET_COOKIE, flow_cookie(&state, door, None)?);
    Ok(response)
}

/// Turns the redirect that starts a session into a page of this origin that moves on by itself. The
/// session cookies are SameSite=Strict, and browsers do not send them on a navigation another site
/// started, through every redirect of it: the issuer's redirect to the callback would carry on to a
/// signed-out page. A refresh from this page is a navigation this site starts.
fn onward(door: Door, redirect: Response) -> Response {
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
    let page = door.page();
    Response::from_parts(
        parts,
        Body::from(format!(
            "<!doctype html><html><head><meta charset=\"utf-8\">\
             <meta name=\"robots\" content=\"noindex\">\
             <meta http-equiv=\"refresh\" content=\"0; url={page}\">\
             <title>Zegel</title></head><body><p><a href=\"{page}\">{page}</a></p></body></html>"
        )),
    )
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
