//! The admin page at `/admin`: every tenant setting in one server-rendered form (askama), with the
//! validation messages of the API and a preview of the notification e-mail in each language offered.
//!
//! No JavaScript: the page's CSP allows no script at all. Sign-in is the admin's bearer token (a
//! `zegel admin token`, or a JWT of a trusted OpenID Connect issuer) pasted once into a form; it starts
//! a server-side session (`db::admin_sessions`: a random token in an HttpOnly, SameSite=Strict browser-
//! session cookie, only its hash stored) that ends after 30 idle minutes, 8 hours, or at logout, which
//! deletes it on the server. The token itself is never kept. The user and role are looked up on every
//! request, so removing the user or the role takes effect at once (an admin by the issuer's admin claim
//! stays one for the session: the claim was checked at sign-in). Admins can also sign in with the
//! organisation's account, the tenant's OpenID Connect issuer ([`crate::sign_in`]). Every POST must come from this
//! origin (`Origin`, else `Sec-Fetch-Site: same-origin`): with the Strict cookie that is the CSRF
//! protection.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use zegel_core::{Language, MessageKind};

use crate::error::AppError;
use crate::state::AppState;
use zegel_mail::render::Notification;
use zegel_service::settings::{self, CurrentSettings};
use zegel_store::{self as db, tenants::User};

/// The settings form: the document as form values and back.
pub mod form;
/// The tenant's upload portals.
pub mod portals;
/// The page's words in English, Dutch and Swedish.
pub mod texts;

use crate::portal::language::{self, LanguageLink};
use form::FormValues;
use texts::{AdminTexts, admin_texts};
use zegel_mail::i18n::fill;

/// The admin pages: no script, styles from this origin, previews framed from this origin only.
const PAGE_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data: https:; form-action 'self'; \
                        frame-src 'self'; frame-ancestors 'none'; base-uri 'none'";
/// The sign-in page: as the other pages, except that its form may lead on to the organisation's identity
/// provider (`/admin/oidc/start` redirects there, and `form-action` covers redirects): any HTTPS origin,
/// and HTTP on loopback only, the same rule as for trusted issuers.
const LOGIN_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data: https:; \
                         form-action 'self' https: http://localhost:* http://127.0.0.1:* http://[::1]:*; \
                         frame-ancestors 'none'; base-uri 'none'";
/// The e-mail preview: e-mails style themselves inline; still no script, and framed only by the page.
const PREVIEW_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; \
                           frame-ancestors 'self'; base-uri 'none'; form-action 'none'";
use zegel_store::admin_sessions::{SESSION_IDLE_MS, SESSION_MAX_MS};

/// The admin page's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin", get(page))
        .route("/admin/login", post(login))
        .route("/admin/logout", post(logout))
        .route("/admin/settings", post(save))
        .route("/admin/preview/{language}", get(preview))
        .route("/admin/portals", get(portals::page).post(portals::create))
        .route("/admin/portals/{id}", post(portals::update))
        .route("/admin/portals/{id}/delete", post(portals::delete))
        .route("/static/admin.css", get(stylesheet))
        .layer(axum::middleware::from_fn(language::remember))
}

/// The page's language: the one chosen with the switch on this browser, else the browser's own.
fn page_texts(headers: &HeaderMap) -> &'static AdminTexts {
    admin_texts(crate::portal::page_language(None, headers))
}

fn cookie_name(state: &AppState) -> &'static str {
    if state.config.is_https() {
        "__Host-zegel-admin"
    } else {
        "zegel-admin"
    }
}

fn cookie_token<'a>(state: &AppState, headers: &'a HeaderMap) -> Option<&'a str> {
    let name = cookie_name(state);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            pair.trim()
                .strip_prefix(name)
                .and_then(|rest| rest.strip_prefix('='))
        })
}

/// The signed-in admin: the cookie's session is live and its user still exists with the admin role.
async fn signed_in(state: &AppState, headers: &HeaderMap) -> Result<Option<User>, AppError> {
    let Some(token) = cookie_token(state, headers) else {
        return Ok(None);
    };
    let token_hash = zegel_crypto::hash_token(token);
    let now = state.now_ms();
    let Some(session) =
        db::admin_sessions::live(&state.db, &token_hash, now, SESSION_IDLE_MS).await?
    else {
        return Ok(None);
    };
    let Some(user) = db::tenants::user(&state.db, &session.user_id).await? else {
        return Ok(None);
    };
    if user.role != "admin" && !session.admin_by_claim {
        return Ok(None);
    }
    if now - session.last_seen_at >= 60_000 {
        db::admin_sessions::touch(&state.db, &token_hash, now).await?;
    }
    Ok(Some(user))
}

/// A `Set-Cookie` value for the admin cookie: a browser-session cookie (no Max-Age), or its removal.
fn admin_cookie(state: &AppState, value: Option<&str>) -> Result<HeaderValue, AppError> {
    let secure = if state.config.is_https() {
        "; Secure"
    } else {
        ""
    };
    let cookie = match value {
        Some(value) => format!(
            "{}={value}; Path=/; HttpOnly; SameSite=Strict{secure}",
            cookie_name(state)
        ),
        None => format!(
            "{}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}",
            cookie_name(state)
        ),
    };
    HeaderValue::from_str(&cookie).map_err(AppError::internal)
}

/// Whether a POST comes from a page of this server (CSRF protection beside the Strict cookie).
fn same_origin(state: &AppState, headers: &HeaderMap) -> bool {
    from_origin(
        &state.config.public_url.origin().ascii_serialization(),
        headers,
    )
}

/// Browsers send `Sec-Fetch-Site` (authoritative when present) and `Origin`, which is `null` under the
/// page's `no-referrer` policy; at least one must vouch for `ours`, and none may name another site.
fn from_origin(ours: &str, headers: &HeaderMap) -> bool {
    let site = headers
        .get("sec-fetch-site")
        .map(|v| v.as_bytes() == b"same-origin");
    let origin = headers
        .get(header::ORIGIN)
        .map(|v| v.to_str().unwrap_or(""))
        .filter(|o| *o != "null")
        .map(|o| o == ours);
    !matches!(
        (site, origin),
        (Some(false), _) | (_, Some(false)) | (None, None)
    )
}

fn html(body: String, status: StatusCode, csp: &'static str) -> Response {
    let mut response = (status, Html(body)).into_response();
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(csp),
    );
    response
}

fn render(template: impl Template, status: StatusCode) -> Response {
    render_with(template, status, PAGE_CSP)
}

fn render_with(template: impl Template, status: StatusCode, csp: &'static str) -> Response {
    match template.render() {
        Ok(body) => html(body, status, csp),
        Err(error) => {
            tracing::error!(%error, "admin template failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

fn forbidden_origin() -> Response {
    (
        StatusCode::FORBIDDEN,
        "this form must be sent from the admin page",
    )
        .into_response()
}

#[derive(Template)]
#[template(path = "admin_login.html")]
struct LoginPage {
    a: &'static AdminTexts,
    switch: Vec<LanguageLink>,
    error: Option<&'static str>,
}

impl LoginPage {
    fn new(a: &'static AdminTexts, error: Option<&'static str>) -> Self {
        Self {
            a,
            switch: language::links(),
            error,
        }
    }
}

/// A language as the page lists it.
struct LanguageChoice {
    code: &'static str,
    label: &'static str,
}

/// One preview of the notification e-mail.
struct Preview {
    code: &'static str,
    label: &'static str,
    title: String,
    from: String,
    subject: String,
}

/// One line of the version history.
struct HistoryLine {
    version: String,
    by: String,
    at: String,
}

#[derive(Template)]
#[template(path = "admin_settings.html")]
struct SettingsPage {
    a: &'static AdminTexts,
    switch: Vec<LanguageLink>,
    title: String,
    tenant_name: String,
    sign_out: String,
    domains_line: String,
    version: i64,
    expiry_max_label: String,
    form: FormValues,
    /// The field and the message of a validation error, the message in the page's language.
    error: Option<(String, String)>,
    saved: bool,
    languages: Vec<LanguageChoice>,
    previews: Vec<Preview>,
    history: Vec<HistoryLine>,
    /// Whether (and in which languages) the content filter reads images and scanned PDF pages.
    ocr_status: String,
    /// Whether received files pass a malware scanner (`ZEGEL_CLAMD`).
    scanner: bool,
    /// The kinds of files an upload-request template can ask for, named in the page's language.
    file_types: Vec<(&'static str, &'static str)>,
}

impl SettingsPage {
    /// The error message when the error is about `field` or something inside it.
    fn err(&self, field: &str) -> Option<&str> {
        let (name, message) = self.error.as_ref()?;
        let inside = name
            .strip_prefix(field)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('.') || rest.starts_with('['));
        inside.then_some(message.as_str())
    }
}

/// What the page says about reading images and scanned pages.
fn ocr_status(state: &AppState, a: &AdminTexts) -> String {
    match state.readers.ocr.as_ref() {
        Some(ocr) if ocr.reads_pdf_pages() => fill(a.ocr_on, &[("languages", ocr.languages())]),
        Some(ocr) => fill(a.ocr_images, &[("languages", ocr.languages())]),
        None => a.ocr_off.to_owned(),
    }
}

/// The sample subject of the preview, per language.
fn sample_subject(language: Language) -> &'static str {
    match language {
        Language::Nl => "Verwijsbrief mevrouw De Vries",
        Language::En => "Referral letter Mrs De Vries",
        Language::Sv => "Remiss fru De Vries",
    }
}

fn sample_notification(
    state: &AppState,
    current: &CurrentSettings,
    admin: &User,
    language: Language,
) -> zegel_mail::OutgoingEmail {
    let link = format!("{}/m/preview", state.config.base_url());
    let expires_at = state.now_ms() + i64::from(current.settings.expiry_days.default) * 86_400_000;
    settings::notification(
        &current.settings,
        &Notification {
            language,
            kind: MessageKind::SecureMessage,
            subject: sample_subject(language),
            sender: &admin.email,
            plain_body: None,
            files: &[],
            link: &link,
            expires_at,
            timezone: &state.config.timezone,
            from: &state.config.mail_from,
            to: "recipient@example.org",
        },
    )
}

async fn settings_page(
    state: &AppState,
    a: &'static AdminTexts,
    admin: &User,
    form: Option<FormValues>,
    error: Option<(String, String)>,
    saved: bool,
) -> Result<SettingsPage, AppError> {
    let current = settings::load(state, &admin.tenant_id).await?;
    let tenant = db::tenants::tenant(&state.db, &admin.tenant_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let history = db::settings::history(&state.db, &admin.tenant_id).await?;
    let page_language = Language::parse(a.lang).unwrap_or_default();
    let previews = current
        .settings
        .languages
        .iter()
        .map(|&language| {
            let mail = sample_notification(state, &current, admin, language);
            Preview {
                code: language.code(),
                label: language.native_name(),
                title: fill(a.preview_frame, &[("language", language.native_name())]),
                from: mail.from,
                subject: mail.subject,
            }
        })
        .collect();
    Ok(SettingsPage {
        a,
        switch: language::links(),
        title: fill(a.settings_title, &[("name", &tenant.name)]),
        sign_out: fill(a.sign_out, &[("email", &admin.email)]),
        domains_line: fill(
            a.domains_line,
            &[("domains", &current.tenant_domains.join(", "))],
        ),
        expiry_max_label: fill(
            a.expiry_max,
            &[("max", &current.max_expiry_days_allowed.to_string())],
        ),
        ocr_status: ocr_status(state, a),
        scanner: state.clamd.is_some(),
        file_types: FormValues::file_types(a.lang),
        tenant_name: tenant.name,
        version: current.version,
        form: form.unwrap_or_else(|| FormValues::from_settings(&current.settings)),
        error,
        saved,
        languages: Language::ALL
            .iter()
            .map(|&l| LanguageChoice {
                code: l.code(),
                label: l.native_name(),
            })
            .collect(),
        previews,
        history: history
            .into_iter()
            .take(20)
            .map(|v| {
                let (date, time) = zegel_mail::i18n::date_and_time(
                    v.changed_at,
                    &state.config.timezone,
                    page_language,
                );
                HistoryLine {
                    version: fill(a.version_line, &[("n", &v.version.to_string())]),
                    by: v.changed_by,
                    at: zegel_core::format::date_time(page_language, &date, &time),
                }
            })
            .collect(),
    })
}

#[derive(Deserialize)]
struct PageQuery {
    saved: Option<String>,
    /// How a sign-in with the organisation's account ended, when it did not.
    sso: Option<String>,
}

/// `GET /admin`: the settings, or the sign-in form.
#[tracing::instrument(skip_all)]
async fn page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<PageQuery>,
) -> Result<Response, AppError> {
    let a = page_texts(&headers);
    let Some(admin) = signed_in(&state, &headers).await? else {
        let error = match query.sso.as_deref() {
            Some("unavailable") => Some(a.sso_unavailable),
            Some("not_admin") => Some(a.sso_not_admin),
            Some(_) => Some(a.sso_failed),
            None => None,
        };
        return Ok(render_with(
            LoginPage::new(a, error),
            StatusCode::OK,
            LOGIN_CSP,
        ));
    };
    let page = settings_page(&state, a, &admin, None, None, query.saved.is_some()).await?;
    Ok(render(page, StatusCode::OK))
}

#[derive(Deserialize)]
struct LoginForm {
    token: String,
}

/// `POST /admin/login`: checks the pasted token and keeps it in the cookie.
#[tracing::instrument(skip_all)]
async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, AppError> {
    if !same_origin(&state, &headers) {
        return Ok(forbidden_origin());
    }
    let a = page_texts(&headers);
    let token = form.token.trim();
    // Bearer tokens are base64url and dots; anything else cannot be one and must not reach a header.
    let plausible = !token.is_empty()
        && token.len() <= 16 * 1024
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    let user = if plausible {
        match zegel_service::auth::authenticate(&state, token).await {
            Ok(user) => Some(user),
            Err(zegel_service::ServiceError::Unauthorized) => None,
            Err(other) => return Err(other.into()),
        }
    } else {
        None
    };
    let Some(user) = user else {
        return Ok(render_with(
            LoginPage::new(a, Some(a.token_invalid)),
            StatusCode::UNAUTHORIZED,
            LOGIN_CSP,
        ));
    };
    if user.role != "admin" {
        return Ok(render_with(
            LoginPage::new(a, Some(a.token_not_admin)),
            StatusCode::FORBIDDEN,
            LOGIN_CSP,
        ));
    }
    start_session(&state, &user).await
}

/// Signs `user` (an admin) in: a fresh random session token in the cookie, only its hash stored, and
/// on to the settings. Whatever proved who they are (a bearer token, an OpenID Connect code) has done
/// its work and is not kept.
pub(crate) async fn start_session(state: &AppState, user: &User) -> Result<Response, AppError> {
    let session = zegel_crypto::random_token();
    let now = state.now_ms();
    // An admin by the issuer's claim rather than by a granted role: the claim holds for the session.
    let by_claim = user.role == "admin"
        && db::tenants::user(&state.db, &user.id)
            .await?
            .is_some_and(|stored| stored.role != "admin");
    db::admin_sessions::create(
        &state.db,
        &zegel_crypto::hash_token(&session),
        &user.id,
        by_claim,
        now,
        now + SESSION_MAX_MS,
    )
    .await?;
    let mut response = Redirect::to("/admin").into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, admin_cookie(state, Some(&session))?);
    Ok(response)
}

/// `POST /admin/logout`: ends the session on the server and removes the cookie.
#[tracing::instrument(skip_all)]
async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, AppError> {
    if !same_origin(&state, &headers) {
        return Ok(forbidden_origin());
    }
    if let Some(token) = cookie_token(&state, &headers) {
        db::admin_sessions::end(&state.db, &zegel_crypto::hash_token(token)).await?;
    }
    let mut response = Redirect::to("/admin").into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, admin_cookie(&state, None)?);
    Ok(response)
}

/// `POST /admin/settings`: saves the form as the next version, or shows it again with the error.
#[tracing::instrument(skip_all)]
async fn save(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    if !same_origin(&state, &headers) {
        return Ok(forbidden_origin());
    }
    let Some(admin) = signed_in(&state, &headers).await? else {
        return Ok(Redirect::to("/admin").into_response());
    };
    let a = page_texts(&headers);
    let values = FormValues::from_pairs(&pairs);
    let expected = pairs
        .iter()
        .find(|(k, _)| k == "version")
        .and_then(|(_, v)| v.parse::<i64>().ok());
    let outcome = match values.to_settings() {
        Ok(document) => settings::save(
            &state,
            &admin.tenant_id,
            &format!("admin:{}", admin.email),
            document,
            expected,
        )
        .await
        .map_err(AppError::from),
        Err(error) => Err(error),
    };
    match outcome {
        Ok(_) => Ok(Redirect::to("/admin?saved=1").into_response()),
        Err(AppError::Invalid { field, message, .. }) => {
            let message = a.field_error(&field, &message);
            let error = Some((field, message));
            let page = settings_page(&state, a, &admin, Some(values), error, false).await?;
            Ok(render(page, StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(AppError::WithStatus { .. } | AppError::Conflict(_)) => {
            let message = a.conflict.to_owned();
            let page = settings_page(
                &state,
                a,
                &admin,
                Some(values),
                Some(("version".to_owned(), message)),
                false,
            )
            .await?;
            Ok(render(page, StatusCode::CONFLICT))
        }
        Err(error) => Err(error),
    }
}

/// `GET /admin/preview/{language}`: the notification e-mail as recipients would get it now.
#[tracing::instrument(skip_all)]
async fn preview(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(language): Path<String>,
) -> Result<Response, AppError> {
    let admin = signed_in(&state, &headers)
        .await?
        .ok_or(AppError::Unauthorized)?;
    let language = Language::parse(&language)
        .filter(|l| l.code() == language)
        .ok_or(AppError::NotFound)?;
    let current = settings::load(&state, &admin.tenant_id).await?;
    let mail = sample_notification(&state, &current, &admin, language);
    let mut response = html(mail.html.unwrap_or_default(), StatusCode::OK, PREVIEW_CSP);
    response.headers_mut().insert(
        header::X_FRAME_OPTIONS,
        HeaderValue::from_static("SAMEORIGIN"),
    );
    Ok(response)
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/admin.css"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posts_must_come_from_this_origin() {
        let ours = "http://127.0.0.1:8080";
        let headers = |pairs: &[(&'static str, &'static str)]| {
            let mut map = HeaderMap::new();
            for (name, value) in pairs {
                map.insert(*name, HeaderValue::from_static(value));
            }
            map
        };
        for (pairs, ok) in [
            (vec![("origin", "http://127.0.0.1:8080")], true),
            (
                vec![("origin", "null"), ("sec-fetch-site", "same-origin")],
                true,
            ),
            (vec![("sec-fetch-site", "same-origin")], true),
            (
                vec![
                    ("origin", "http://127.0.0.1:8080"),
                    ("sec-fetch-site", "same-origin"),
                ],
                true,
            ),
            (vec![], false),
            (vec![("origin", "null")], false),
            (vec![("origin", "https://evil.example")], false),
            (
                vec![
                    ("origin", "https://evil.example"),
                    ("sec-fetch-site", "same-origin"),
                ],
                false,
            ),
            (
                vec![
                    ("origin", "http://127.0.0.1:8080"),
                    ("sec-fetch-site", "cross-site"),
                ],
                false,
            ),
            (vec![("sec-fetch-site", "same-site")], false),
        ] {
            assert_eq!(from_origin(ours, &headers(&pairs)), ok, "{pairs:?}");
        }
    }
}
