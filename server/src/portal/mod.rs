//! The recipient portal: server-rendered HTML in Dutch, English and Swedish that works without
//! JavaScript. No GET changes anything on the server (link scanners fetch links): every action,
//! downloads included, is a POST from a form button; a GET of a download address leads back to its page.
//! The one GET that sets something, `/lang/<code>`, sets a preference cookie in the browser only. After the
//! password, the session lives in a browser-session cookie and the URL no longer carries the token.

use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use zegel_core::Language;

use crate::client::Client;
use crate::state::AppState;
use zegel_mail::i18n::{Texts, date_and_time, fill, texts, texts_for};
use zegel_service::ClientInfo;
use zegel_service::access::{self, AccessError, Gate, Link};
use zegel_store::messages::Access;

/// The page of a message's one link: the recipient's address first.
pub mod address;
/// The recipient's own choice of language.
pub mod language;
/// The sender's page for entering missing phone numbers.
pub mod phones;
/// "Beantwoorden" and "Gesprek" on the message page.
pub mod reply;
/// Sending from the browser (`/send`).
pub mod send;
/// The page of an upload request (`/u/<token>`).
pub mod upload;
/// The page of an upload portal (`/p/<slug>`).
pub mod visit;

/// The portal's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/lang/{code}", get(language::choose))
        .route("/robots.txt", get(robots))
        .route("/m/{token}", get(landing))
        .route("/m/{token}/challenge", post(challenge))
        .route("/m/{token}/verify", post(verify))
        .route(
            "/m/{token}/files/{file_id}",
            post(public_download).get(back_to_landing),
        )
        .route(
            "/m/{token}/files/{file_id}/view",
            post(public_view).get(back_to_landing),
        )
        .route(
            "/m/{token}/files.zip",
            post(public_zip).get(back_to_landing),
        )
        .route("/r/{recipient_id}", get(message_page))
        .route(
            "/r/{recipient_id}/files/{file_id}",
            post(session_download).get(back_to_message),
        )
        .route(
            "/r/{recipient_id}/files/{file_id}/view",
            post(session_view).get(back_to_message),
        )
        .route(
            "/r/{recipient_id}/files.zip",
            post(session_zip).get(back_to_message),
        )
        .route("/r/{recipient_id}/logout", post(logout))
        .route("/r/{recipient_id}/reply", post(reply::submit))
        .route("/phones/{token}", get(phones::show).post(phones::submit))
        .route("/static/portal.css", get(stylesheet))
        .route("/static/portal.js", get(script))
        .route("/static/upload.js", get(upload::script))
        .route("/static/send.js", get(send::script))
        .route("/u/{token}", get(upload::page))
        .route("/u/{token}/challenge", post(upload::challenge))
        .route("/u/{token}/verify", post(upload::verify))
        .route("/u/{token}/submit", post(upload::submit))
        .route("/send", get(send::show))
        .route("/send/challenge", post(send::challenge))
        .route("/send/verify", post(send::verify))
        .route("/send/logout", post(send::logout))
        .route("/send/preview", post(send::preview))
        .route("/send/start", post(send::start))
        .route("/send/withdraw/{id}", post(send::withdraw))
        .route("/p/{slug}", get(visit::page))
        .route("/p/{slug}/challenge", post(visit::challenge))
        .route("/p/{slug}/verify", post(visit::verify))
        .route("/p/{slug}/submit", post(visit::submit))
        .route("/static/brand.css", get(brand_stylesheet))
        .layer(axum::middleware::from_fn(language::remember))
}

/// The organisation a page is shown for: its name in the header and its colour through a small
/// stylesheet (inline styles would need a weaker CSP).
pub struct Brand {
    /// The name in the header.
    pub name: String,
    /// The brand stylesheet's URL, when the tenant has its own colour.
    pub css: Option<String>,
    /// The logo's URL (`https://` only).
    pub logo: Option<String>,
    /// Whom recipients can ask, with "Questions? Contact {name}:" in the page's language.
    pub support: Option<zegel_core::settings::Support>,
    /// The organisation's privacy statement.
    pub privacy_url: Option<String>,
    /// The language switch of the page being answered.
    pub languages: Vec<language::LanguageLink>,
    /// How the tenant's Dutch pages address the recipient.
    pub form: zegel_core::settings::FormOfAddress,
}

impl Brand {
    /// Zegel's own look, for pages that belong to no tenant (unknown links).
    pub fn zegel() -> Self {
        Self {
            name: "Zegel".to_owned(),
            css: None,
            logo: None,
            support: None,
            privacy_url: None,
            languages: language::home_links(),
            form: zegel_core::settings::FormOfAddress::U,
        }
    }

    /// A tenant's look from its settings; Zegel's when they cannot be read.
    pub async fn of(state: &AppState, tenant_id: &str) -> Self {
        match zegel_service::settings::effective(state, tenant_id).await {
            Ok(settings) => {
                let color = settings
                    .branding
                    .color
                    .trim_start_matches('#')
                    .to_ascii_lowercase();
                let css = (color.len() == 6
                    && color.bytes().all(|b| b.is_ascii_hexdigit())
                    && color != "0b6e4f")
                    .then(|| format!("/static/brand.css?c={color}"));
                let name = settings.branding.name.trim();
                let logo = settings
                    .branding
                    .logo_url
                    .as_deref()
                    .and_then(|l| url::Url::parse(l).ok())
                    .filter(|u| u.scheme() == "https" && logo_origin(u).is_some())
                    .map(|u| u.to_string());
                Self {
                    name: if name.is_empty() {
                        "Zegel".to_owned()
                    } else {
                        name.to_owned()
                    },
                    css,
                    logo,
                    support: settings.support.clone(),
                    privacy_url: settings.privacy_url.clone(),
                    languages: language::links(),
                    form: settings.form_of_address,
                }
            }
            Err(_) => Self::zegel(),
        }
    }
}

impl Brand {
    /// The page's Content-Security-Policy when it shows a logo from the tenant's own host; `None` keeps
    /// the default policy (images from this server only).
    pub fn csp(&self) -> Option<HeaderValue> {
        let logo = url::Url::parse(self.logo.as_deref()?).ok()?;
        let origin = logo_origin(&logo)?;
        HeaderValue::from_str(&format!(
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: {origin}; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        ))
        .ok()
    }
}

/// The logo's origin (`https://host[:port]`) when it is one a Content-Security-Policy can name without
/// risk: settings validation already refuses anything else, and this check holds for settings stored
/// before that rule too.
pub(crate) fn logo_origin(logo: &url::Url) -> Option<String> {
    let origin = logo.origin().ascii_serialization();
    let authority = origin.strip_prefix("https://")?;
    zegel_core::settings::is_url_origin_host(authority).then_some(origin)
}

/// Renders a page of a tenant, with the policy its logo needs.
pub(crate) fn render_branded(
    template: impl Template,
    status: StatusCode,
    csp: Option<HeaderValue>,
) -> Response {
    let mut response = render(template, status);
    if let Some(csp) = csp {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    response
}

#[derive(Deserialize)]
struct BrandQuery {
    c: String,
}

/// `GET /static/brand.css?c=rrggbb`: the portal's accent colour as CSS variables.
async fn brand_stylesheet(Query(query): Query<BrandQuery>) -> Response {
    let c = query.c.to_ascii_lowercase();
    if c.len() != 6 || !c.bytes().all(|b| b.is_ascii_hexdigit()) {
        return StatusCode::NOT_FOUND.into_response();
    }
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        format!(":root {{ --green: #{c}; --green-dark: #{c}; }}\n"),
    )
        .into_response()
}

/// A file line on a page.
pub struct FileLine {
    id: String,
    name: String,
    size_text: String,
    /// "nog 2 keer te downloaden", or why it can no longer be downloaded.
    left_text: Option<String>,
    /// At its download limit: shown, not offered.
    exhausted: bool,
    /// Its name promises a PDF or a picture: "View" is offered beside the download.
    viewable: bool,
}

#[derive(Template)]
#[template(path = "landing.html")]
struct LandingPage<'a> {
    t: &'static Texts,
    brand: Brand,
    title: String,
    intro: String,
    notice: Option<&'a str>,
    error: Option<String>,
    show_send: bool,
    send_intro: &'static str,
    send_button: &'static str,
    code_label: &'static str,
    code_input_type: &'static str,
    resend_label: &'static str,
    destination: String,
    show_code: bool,
    code_intro: &'a str,
    can_resend: bool,
    token: &'a str,
    files: Vec<FileLine>,
    file_base: String,
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage {
    t: &'static Texts,
    /// The uploader's words (the reply form's files).
    u: &'static upload::UploadTexts,
    brand: Brand,
    notice: Option<String>,
    error: Option<String>,
    /// "Beantwoorden" and "Gesprek".
    reply: reply::ReplyBlock,
    max_files: u32,
    max_bytes: u64,
    accept: String,
    files_required: bool,
    as_sender: bool,
    title: String,
    sender: String,
    expires: String,
    body_html: Option<String>,
    body_text: Option<String>,
    files: Vec<FileLine>,
    /// Files the sender withdrew.
    withdrawn: Vec<String>,
    /// Whether "download all" gives something: more than one file still downloadable.
    zip_offered: bool,
    file_base: String,
}

#[derive(Template)]
#[template(path = "notice.html")]
struct NoticePage<'a> {
    t: &'static Texts,
    brand: Brand,
    title: &'a str,
    text: &'a str,
    /// A way back (to the message or its link), when there is one to go to.
    back: Option<String>,
}

/// The language a page about `access` is written in: the recipient's choice, else the message's.
pub(crate) fn language_of(access: &Access) -> Language {
    language::chosen().unwrap_or_else(|| access::language(access))
}

/// The language for a page: the one the recipient chose on this browser, else the message's, else the
/// browser's, else Dutch.
pub(crate) fn page_language(access: Option<&Access>, headers: &HeaderMap) -> Language {
    if let Some(chosen) = language::chosen() {
        return chosen;
    }
    access.map(access::language).unwrap_or_else(|| {
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .and_then(Language::from_accept_language)
            .unwrap_or_default()
    })
}

pub(crate) fn render(template: impl Template, status: StatusCode) -> Response {
    match template.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(error) => {
            tracing::error!(%error, "template failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// `/`: what this server is, in the browser's language, naming no organisation that uses it.
async fn home(headers: HeaderMap) -> Response {
    let t = texts(page_language(None, &headers));
    render(
        NoticePage {
            t,
            brand: Brand::zegel(),
            title: t.home_title,
            text: t.home_text,
            back: None,
        },
        StatusCode::OK,
    )
}

/// No page of the portal belongs in a search engine (every response also says `X-Robots-Tag`).
async fn robots() -> &'static str {
    "User-agent: *\nDisallow: /\n"
}

/// The page for a link that is unknown, used up or expired.
pub(crate) fn not_available(t: &'static Texts) -> Response {
    render(
        NoticePage {
            t,
            brand: Brand::zegel(),
            title: t.unavailable_title,
            text: t.unavailable_text,
            back: None,
        },
        StatusCode::NOT_FOUND,
    )
}

/// "Too many attempts", with the wait in seconds (or minutes, from two minutes on).
fn too_many_attempts(t: &Texts, seconds: i64) -> String {
    let seconds = seconds.max(1);
    let (template, value) = if seconds >= 120 {
        (t.too_many_attempts_minutes, (seconds + 59) / 60)
    } else {
        (t.too_many_attempts, seconds)
    };
    fill(template, &[("n", &value.to_string())])
}

/// Turns an access error into the page a recipient sees.
fn error_page(error: &AccessError, language: Language, brand: Brand) -> Response {
    error_page_back(error, language, brand, None)
}

/// The look and language of a page about the link `token`: its organisation's and its message's, or
/// Zegel's and the browser's for a link that is gone.
async fn look_of_link(state: &AppState, token: &str, headers: &HeaderMap) -> (Brand, Language) {
    look(state, access::look_of_link(state, token).await, headers).await
}

/// The look and language of a page about the recipient `recipient_id` (see [`look_of_link`]).
async fn look_of_recipient(
    state: &AppState,
    recipient_id: &str,
    headers: &HeaderMap,
) -> (Brand, Language) {
    look(
        state,
        access::look_of_recipient(state, recipient_id).await,
        headers,
    )
    .await
}

async fn look(state: &AppState, access: Option<Access>, headers: &HeaderMap) -> (Brand, Language) {
    match access {
        Some(access) => (
            Brand::of(state, &access.tenant_id).await,
            language_of(&access),
        ),
        None => (Brand::zegel(), page_language(None, headers)),
    }
}

/// [`error_page`] with a way back to `back` (the message page, or the link's landing page) for the
/// errors after which it still works: a download limit or a throttle, not a gone link or session.
fn error_page_back(
    error: &AccessError,
    language: Language,
    brand: Brand,
    back: Option<String>,
) -> Response {
    let t = texts_for(language, brand.form);
    let back = back.filter(|_| {
        matches!(
            error,
            AccessError::LimitReached
                | AccessError::TooManyAttempts(_)
                | AccessError::TooManySends
                | AccessError::Busy
        )
    });
    let attempts: String;
    let (status, title, text) = match error {
        AccessError::Unavailable | AccessError::NotApplicable(_) => (
            StatusCode::NOT_FOUND,
            t.unavailable_title,
            t.unavailable_text,
        ),
        AccessError::LimitReached => (StatusCode::GONE, t.limit_title, t.limit_text),
        AccessError::Locked => (StatusCode::FORBIDDEN, t.unavailable_title, t.locked),
        AccessError::NoSession => (
            StatusCode::UNAUTHORIZED,
            t.session_ended_title,
            t.session_ended,
        ),
        AccessError::TooManySends => (
            StatusCode::TOO_MANY_REQUESTS,
            t.unavailable_title,
            t.too_many_sends,
        ),
        AccessError::TooManyAttempts(seconds) => {
            attempts = too_many_attempts(t, *seconds);
            (
                StatusCode::TOO_MANY_REQUESTS,
                t.unavailable_title,
                attempts.as_str(),
            )
        }
        AccessError::Busy => (StatusCode::TOO_MANY_REQUESTS, t.unavailable_title, t.busy),
        AccessError::WrongCode => (
            StatusCode::UNAUTHORIZED,
            t.unavailable_title,
            t.wrong_password,
        ),
        AccessError::Internal(cause) => {
            tracing::error!(error = format!("{cause:#}"), "portal error");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                t.unavailable_title,
                t.unavailable_text,
            )
        }
    };
    let csp = brand.csp();
    let mut response = render_branded(
        NoticePage {
            t,
            brand,
            title,
            text,
            back,
        },
        status,
        csp,
    );
    if let Some(seconds) = retry_after(error) {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

/// The `Retry-After` seconds of a throttled action.
fn retry_after(error: &AccessError) -> Option<u64> {
    match error {
        AccessError::TooManyAttempts(seconds) => Some(u64::try_from(*seconds).unwrap_or(1).max(1)),
        AccessError::Busy => Some(1),
        _ => None,
    }
}

/// A size as the page's language writes it: `12 kB`, `3,4 MB`.
pub fn size_text(language: Language, bytes: i64) -> String {
    zegel_core::format::size(language, u64::try_from(bytes).unwrap_or(0))
}

#[derive(Deserialize)]
struct LandingQuery {
    sent: Option<String>,
}

struct LandingState<'a> {
    notice: Option<&'a str>,
    error: Option<String>,
    code_requested: bool,
}

async fn render_landing(
    state: &AppState,
    access: &Access,
    token: &str,
    page: LandingState<'_>,
    status: StatusCode,
) -> Response {
    let language = language_of(access);
    let brand = Brand::of(state, &access.tenant_id).await;
    let t = texts_for(language, brand.form);
    let content = match access::content(state, access) {
        Ok(content) => content,
        Err(error) => return error_page(&error, language, brand),
    };
    // Before sign-in the landing page shows no more than the notification did.
    let titled = !(content.subject.trim().is_empty() || content.subject_hidden);
    let subject = if titled {
        content.subject.clone()
    } else {
        t.neutral_subject.to_owned()
    };
    let gate = access::gate(access);
    let (files, intro) = if gate == Gate::Open {
        let files = match access::visible_files(state, access).await {
            Ok(files) => files,
            Err(error) => return error_page(&error, language, brand),
        };
        let lines = files
            .into_iter()
            .map(|(f, name)| FileLine {
                id: f.id,
                size_text: size_text(language, f.size),
                left_text: None,
                exhausted: false,
                viewable: crate::recipient::looks_viewable(&name),
                name,
            })
            .collect();
        (
            lines,
            fill(t.public_files_intro, &[("sender", &access.sender_email)]),
        )
    } else {
        (
            Vec::new(),
            fill(
                if titled {
                    t.channel_intro
                } else {
                    t.channel_intro_untitled
                },
                &[("subject", &subject), ("sender", &access.sender_email)],
            ),
        )
    };
    let sms = gate == Gate::Sms;
    let (show_send, show_code, code_intro) = match gate {
        Gate::Open => (false, false, ""),
        Gate::SenderPassword => (false, true, t.enter_password_other),
        Gate::EmailedPassword => (
            !page.code_requested,
            page.code_requested,
            t.enter_password_email,
        ),
        Gate::Sms => (!page.code_requested, page.code_requested, t.enter_code),
    };
    let destination = if sms {
        match zegel_store::phones::recipient_phone(&state.db, &access.recipient_id).await {
            Ok(Some(sealed)) => zegel_service::phones::open_for_recipient(
                state,
                &access.tenant_id,
                &access.message_id,
                &access.recipient_id,
                &sealed,
            )
            .map(|number| zegel_core::address::mask_phone(&number))
            .unwrap_or_default(),
            _ => String::new(),
        }
    } else {
        zegel_core::address::mask_email(&access.email)
    };
    let csp = brand.csp();
    render_branded(
        LandingPage {
            t,
            brand,
            title: subject,
            intro,
            notice: page.notice,
            error: page.error,
            show_send,
            send_intro: if sms {
                t.send_code_intro
            } else {
                t.send_password_intro
            },
            send_button: if sms {
                t.button_send_code
            } else {
                t.button_send_password
            },
            code_label: if sms { t.code_label } else { t.password_label },
            code_input_type: if sms { "text" } else { "password" },
            resend_label: if sms { t.resend_code } else { t.resend },
            destination,
            show_code,
            code_intro,
            can_resend: matches!(gate, Gate::EmailedPassword | Gate::Sms),
            token,
            files,
            file_base: format!("/m/{token}"),
        },
        status,
        csp,
    )
}

async fn landing(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Query(query): Query<LandingQuery>,
    headers: HeaderMap,
) -> Response {
    match access::resolve_link(&state, &token).await {
        // Opening the mail's link again with a valid session goes straight to the message: no new
        // password or code is needed (or sent).
        Ok(Link::Message(link)) => {
            if let Ok(access) = crate::recipient::session_for_link(&state, &headers, &link).await {
                return Redirect::to(&format!("/r/{}", access.recipient_id)).into_response();
            }
            address::page(
                &state,
                &link,
                &token,
                address::Step::Ask { error: None },
                StatusCode::OK,
            )
            .await
        }
        Ok(Link::Recipient(access)) => {
            if access::gate(&access) != Gate::Open
                && crate::recipient::session_access(&state, &headers, &access.recipient_id)
                    .await
                    .is_ok()
            {
                return Redirect::to(&format!("/r/{}", access.recipient_id)).into_response();
            }
            let sent = query.sent.is_some();
            let t = texts(language_of(&access));
            let notice = if access::gate(&access) == Gate::Sms {
                t.code_sent
            } else {
                t.password_sent
            };
            let page = LandingState {
                notice: sent.then_some(notice),
                error: None,
                code_requested: sent,
            };
            render_landing(&state, &access, &token, page, StatusCode::OK).await
        }
        Err(error) => error_page(&error, page_language(None, &headers), Brand::zegel()),
    }
}

/// The form of `challenge` on a message's one link.
#[derive(Deserialize)]
struct AddressForm {
    email: String,
}

async fn challenge(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Client(client): Client,
    headers: HeaderMap,
    form: Result<Form<AddressForm>, FormRejection>,
) -> Response {
    let access = match access::resolve_link(&state, &token).await {
        Ok(Link::Recipient(access)) => access,
        Ok(Link::Message(link)) => {
            let a = address::address_texts(language_of(link.message()));
            let email = form
                .ok()
                .and_then(|Form(form)| zegel_core::address::normalize_email(&form.email).ok());
            let Some(email) = email else {
                let step = address::Step::Ask {
                    error: Some(a.invalid_address),
                };
                return address::page(
                    &state,
                    &link,
                    &token,
                    step,
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await;
            };
            access::challenge_by_address(&state, &link, &email, &client);
            let step = address::Step::Code {
                email: &email,
                error: None,
            };
            return address::page(&state, &link, &token, step, StatusCode::OK).await;
        }
        Err(error) => return error_page(&error, page_language(None, &headers), Brand::zegel()),
    };
    match access::challenge(&state, &access, &client).await {
        Ok(_) => Redirect::to(&format!("/m/{token}?sent=1")).into_response(),
        Err(AccessError::TooManySends) => {
            let t = texts(language_of(&access));
            let message = if access::gate(&access) == Gate::Sms {
                t.too_many_code_sends
            } else {
                t.too_many_sends
            };
            let page = LandingState {
                notice: None,
                error: Some(message.to_owned()),
                code_requested: true,
            };
            render_landing(&state, &access, &token, page, StatusCode::TOO_MANY_REQUESTS).await
        }
        Err(error) => {
            let brand = Brand::of(&state, &access.tenant_id).await;
            error_page(&error, language_of(&access), brand)
        }
    }
}

#[derive(Deserialize)]
struct VerifyForm {
    code: String,
    /// On a message's one link: the address the recipient named.
    #[serde(default)]
    email: Option<String>,
}

async fn verify(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Client(client): Client,
    headers: HeaderMap,
    Form(form): Form<VerifyForm>,
) -> Response {
    let access = match access::resolve_link(&state, &token).await {
        Ok(Link::Recipient(access)) => access,
        Ok(Link::Message(link)) => {
            return verify_by_address(&state, &link, &token, &form, &client).await;
        }
        Err(error) => return error_page(&error, page_language(None, &headers), Brand::zegel()),
    };
    let t = texts(language_of(&access));
    match access::verify(&state, &access, &form.code, &client).await {
        Ok(session) => {
            let mut response = Redirect::to(&format!("/r/{}", access.recipient_id)).into_response();
            response.headers_mut().insert(
                header::SET_COOKIE,
                crate::recipient::session_cookie(&state, &access.recipient_id, &session),
            );
            response
        }
        Err(
            error @ (AccessError::WrongCode | AccessError::TooManyAttempts(_) | AccessError::Busy),
        ) => {
            let message = match error {
                AccessError::WrongCode if access::gate(&access) == Gate::Sms => {
                    t.wrong_code.to_owned()
                }
                AccessError::WrongCode => t.wrong_password.to_owned(),
                AccessError::Busy => t.busy.to_owned(),
                AccessError::TooManyAttempts(seconds) => too_many_attempts(t, seconds),
                _ => t.wrong_password.to_owned(),
            };
            let status = if matches!(error, AccessError::WrongCode) {
                StatusCode::UNAUTHORIZED
            } else {
                StatusCode::TOO_MANY_REQUESTS
            };
            let page = LandingState {
                notice: None,
                error: Some(message),
                code_requested: true,
            };
            let mut response = render_landing(&state, &access, &token, page, status).await;
            if let Some(seconds) = retry_after(&error) {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            }
            response
        }
        Err(error) => {
            let brand = Brand::of(&state, &access.tenant_id).await;
            error_page(&error, language_of(&access), brand)
        }
    }
}

async fn verify_by_address(
    state: &AppState,
    link: &access::MessageLink,
    token: &str,
    form: &VerifyForm,
    client: &ClientInfo,
) -> Response {
    let a = address::address_texts(language_of(link.message()));
    let email = form.email.as_deref().unwrap_or_default().trim();
    match access::verify_by_address(state, link, email, &form.code, client).await {
        Ok((recipient_id, session)) => {
            let mut response = Redirect::to(&format!("/r/{recipient_id}")).into_response();
            response.headers_mut().insert(
                header::SET_COOKIE,
                crate::recipient::session_cookie(state, &recipient_id, &session),
            );
            response
        }
        Err(AccessError::WrongCode) => {
            let step = address::Step::Code {
                email,
                error: Some(a.wrong),
            };
            address::page(state, link, token, step, StatusCode::UNAUTHORIZED).await
        }
        Err(error) => {
            let brand = Brand::of(state, &link.message().tenant_id).await;
            error_page(&error, language_of(link.message()), brand)
        }
    }
}

async fn public_access(state: &AppState, token: &str) -> Result<Access, AccessError> {
    let access = access::resolve(state, token).await?;
    // Only public files download straight from the link; everything else needs a session.
    if access::gate(&access) != Gate::Open {
        return Err(AccessError::Unavailable);
    }
    Ok(access)
}

async fn public_download(
    State(state): State<AppState>,
    Path((token, file_id)): Path<(String, String)>,
    Client(client): Client,
    headers: HeaderMap,
) -> Response {
    public_file(&state, &token, &file_id, &client, &headers, Shown::Saved).await
}

/// `POST /m/<token>/files/<id>/view`: a public PDF or picture shown in the browser.
async fn public_view(
    State(state): State<AppState>,
    Path((token, file_id)): Path<(String, String)>,
    Client(client): Client,
    headers: HeaderMap,
) -> Response {
    public_file(&state, &token, &file_id, &client, &headers, Shown::Viewed).await
}

/// How a file leaves: saved as a download, or viewed in the browser (when its bytes allow).
#[derive(Clone, Copy)]
enum Shown {
    Saved,
    Viewed,
}

impl Shown {
    async fn respond(self, download: access::Download) -> Result<Response, AccessError> {
        match self {
            Shown::Saved => crate::recipient::download_response(download),
            Shown::Viewed => crate::recipient::view_response(download).await,
        }
    }
}

async fn public_file(
    state: &AppState,
    token: &str,
    file_id: &str,
    client: &ClientInfo,
    headers: &HeaderMap,
    shown: Shown,
) -> Response {
    let result = async {
        let access = public_access(state, token).await?;
        shown
            .respond(access::download(state, &access, file_id, client).await?)
            .await
    }
    .await;
    match result {
        Ok(response) => response,
        Err(error) => {
            let (brand, language) = look_of_link(state, token, headers).await;
            let back = Some(format!("/m/{token}"));
            error_page_back(&error, language, brand, back)
        }
    }
}

async fn public_zip(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Client(client): Client,
    headers: HeaderMap,
) -> Response {
    let result = async {
        let access = public_access(&state, &token).await?;
        crate::recipient::download_response(access::zip(&state, &access, &client).await?)
    }
    .await;
    match result {
        Ok(response) => response,
        Err(error) => {
            let (brand, language) = look_of_link(&state, &token, &headers).await;
            let back = Some(format!("/m/{token}"));
            error_page_back(&error, language, brand, back)
        }
    }
}

#[derive(Deserialize)]
struct MessageQuery {
    #[serde(default)]
    replied: Option<String>,
}

async fn message_page(
    State(state): State<AppState>,
    Path(recipient_id): Path<String>,
    Query(query): Query<MessageQuery>,
    headers: HeaderMap,
) -> Response {
    let access = match crate::recipient::session_access(&state, &headers, &recipient_id).await {
        Ok(access) => access,
        Err(error) => {
            let (brand, language) = look_of_recipient(&state, &recipient_id, &headers).await;
            return error_page(&error, language, brand);
        }
    };
    message_page_with(
        &state,
        &access,
        query.replied.is_some(),
        None,
        StatusCode::OK,
    )
    .await
}

/// The message page of `access` (saying a reply went out, or with an error above it).
pub(crate) async fn message_page_with(
    state: &AppState,
    access: &Access,
    replied: bool,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let recipient_id = &access.recipient_id;
    let language = language_of(access);
    let brand = Brand::of(state, &access.tenant_id).await;
    let t = texts_for(language, brand.form);
    let view = match access::open_message(state, access).await {
        Ok(view) => view,
        Err(error) => return error_page(&error, language, brand),
    };
    let (date, time) = date_and_time(access.expires_at, &state.config.timezone, language);
    let reply = reply::block(state, access, language, brand.form).await;
    let notice = replied.then(|| reply.r.sent.to_owned());
    // The reply form's uploader needs its wasm and requests to this server.
    let csp = if reply.offered {
        Some(upload::upload_csp(&brand))
    } else {
        brand.csp()
    };
    let u = upload::upload_texts(language, brand.form);
    render_branded(
        MessagePage {
            t,
            u,
            title: if view.subject.trim().is_empty() {
                t.neutral_subject.to_owned()
            } else {
                view.subject
            },
            sender: view.sender,
            expires: zegel_core::format::date_time(language, &date, &time),
            body_html: view.body_html,
            body_text: view.body_text,
            zip_offered: view
                .files
                .iter()
                .filter(|f| f.downloads_left != Some(0))
                .count()
                > 1,
            files: view
                .files
                .into_iter()
                .map(|f| FileLine {
                    left_text: f.downloads_left.map(|n| {
                        if n == 0 {
                            t.reason_limit.to_owned()
                        } else {
                            fill(t.downloads_left, &[("n", &n.to_string())])
                        }
                    }),
                    exhausted: f.downloads_left == Some(0),
                    viewable: crate::recipient::looks_viewable(&f.name),
                    id: f.id,
                    name: f.name,
                    size_text: size_text(language, f.size),
                })
                .collect(),
            withdrawn: view.withdrawn,
            file_base: format!("/r/{recipient_id}"),
            notice,
            error,
            reply,
            brand,
            max_files: zegel_service::replies::MAX_FILES as u32,
            max_bytes: state.config.max_upload_bytes,
            accept: String::new(),
            files_required: false,
            as_sender: false,
        },
        status,
        csp,
    )
}

async fn session_download(
    State(state): State<AppState>,
    Path((recipient_id, file_id)): Path<(String, String)>,
    Client(client): Client,
    headers: HeaderMap,
) -> Response {
    session_file(
        &state,
        &recipient_id,
        &file_id,
        &client,
        &headers,
        Shown::Saved,
    )
    .await
}

/// `POST /r/<id>/files/<file>/view`: a PDF or picture of the message shown in the browser.
async fn session_view(
    State(state): State<AppState>,
    Path((recipient_id, file_id)): Path<(String, String)>,
    Client(client): Client,
    headers: HeaderMap,
) -> Response {
    session_file(
        &state,
        &recipient_id,
        &file_id,
        &client,
        &headers,
        Shown::Viewed,
    )
    .await
}

async fn session_file(
    state: &AppState,
    recipient_id: &str,
    file_id: &str,
    client: &ClientInfo,
    headers: &HeaderMap,
    shown: Shown,
) -> Response {
    let result = async {
        let access = crate::recipient::session_access(state, headers, recipient_id).await?;
        shown
            .respond(access::download(state, &access, file_id, client).await?)
            .await
    }
    .await;
    match result {
        Ok(response) => response,
        Err(error) => {
            let (brand, language) = look_of_recipient(state, recipient_id, headers).await;
            let back = Some(format!("/r/{recipient_id}"));
            error_page_back(&error, language, brand, back)
        }
    }
}

async fn session_zip(
    State(state): State<AppState>,
    Path(recipient_id): Path<String>,
    Client(client): Client,
    headers: HeaderMap,
) -> Response {
    let result = async {
        let access = crate::recipient::session_access(&state, &headers, &recipient_id).await?;
        crate::recipient::download_response(access::zip(&state, &access, &client).await?)
    }
    .await;
    match result {
        Ok(response) => response,
        Err(error) => {
            let (brand, language) = look_of_recipient(&state, &recipient_id, &headers).await;
            let back = Some(format!("/r/{recipient_id}"));
            error_page_back(&error, language, brand, back)
        }
    }
}

/// `GET` of a public download address: the landing page's address, where the download is a button.
async fn back_to_landing(Path(params): Path<Vec<(String, String)>>) -> Response {
    let token = params
        .iter()
        .find(|(key, _)| key == "token")
        .map(|(_, value)| value.as_str())
        .unwrap_or_default();
    Redirect::to(&format!("/m/{token}")).into_response()
}

/// `GET` of a download address behind a session: the message page, where the download is a button.
async fn back_to_message(Path(params): Path<Vec<(String, String)>>) -> Response {
    let recipient_id = params
        .iter()
        .find(|(key, _)| key == "recipient_id")
        .map(|(_, value)| value.as_str())
        .unwrap_or_default();
    Redirect::to(&format!("/r/{recipient_id}")).into_response()
}

/// `POST /r/<id>/logout`: ends the session on the server and removes the cookie.
async fn logout(
    State(state): State<AppState>,
    Path(recipient_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let (brand, language) = look_of_recipient(&state, &recipient_id, &headers).await;
    if recipient_id.len() != 32 || !recipient_id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return error_page(&AccessError::Unavailable, language, brand);
    }
    if let Err(error) = crate::recipient::logout(&state, &headers, &recipient_id).await {
        return error_page(&error, language, brand);
    }
    let t = texts_for(language, brand.form);
    let csp = brand.csp();
    let mut response = render_branded(
        NoticePage {
            t,
            brand,
            title: t.signed_out_title,
            text: t.signed_out_text,
            back: None,
        },
        StatusCode::OK,
        csp,
    );
    response.headers_mut().insert(
        header::SET_COOKIE,
        crate::recipient::clear_session_cookie(&state, &recipient_id),
    );
    response
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/portal.css"),
    )
        .into_response()
}

/// `GET /static/portal.js`: the password show toggle.
async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/portal.js"),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::size_text;
    use zegel_core::Language;

    #[test]
    fn sizes_read_well() {
        assert_eq!(size_text(Language::Nl, 0), "0\u{a0}B");
        assert_eq!(size_text(Language::Nl, 1_500), "1,5\u{a0}kB");
        assert_eq!(size_text(Language::En, 1_500), "1.5\u{a0}kB");
        assert_eq!(size_text(Language::Nl, -1), "0\u{a0}B");
    }
}
