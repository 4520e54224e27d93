//! The page of an upload portal, `/p/<slug>` (seed 001 §6.2.1): "Van" (the visitor's address, proven
//! with a six-digit code mailed to it before anything can be sent), "Naar" (the portal's recipients,
//! a choice of them, or an address in the organisation's domains), a message, the files, "Verzenden".
//! The steps before the upload work without JavaScript; the files go with the same uploader as an
//! upload request's page. `GET` changes nothing.

use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use zegel_core::Language;
use zegel_core::portal::{PortalPage, PortalTo};
use zegel_core::upload_request::{AnswerStatus, FileType};
use zegel_mail::i18n::{Texts, fill, texts_for};
use zegel_service::ServiceError;
use zegel_service::access::AccessError;
use zegel_service::portals::{self, Loaded};

use super::upload::{UploadTexts, code_sent, upload_csp, upload_texts};
use super::{Brand, error_page, page_language, render, size_text};
use crate::client::Client;
use crate::state::AppState;

/// Where the visitor is on the page.
enum Step {
    /// "Van": which address?
    Ask,
    /// The code mailed to `email`.
    Code { email: String },
    /// Signed in as `email`: "Naar", message, files.
    Send { email: String },
    /// Sent.
    Done { text: String },
}

#[derive(Template)]
#[template(path = "visit.html")]
struct VisitPage<'a> {
    t: &'static Texts,
    u: &'static UploadTexts,
    brand: Brand,
    title: String,
    intro: String,
    slug: &'a str,
    notice: Option<String>,
    error: Option<String>,
    step: Step,
    portal: PortalPage,
    to_free_hint: String,
    allowed: String,
    limits: String,
    accept: String,
    message_label: String,
    max_files: u32,
    max_bytes: u64,
    /// Whether sending needs a file (always, here).
    files_required: bool,
    /// Whether the uploads are a browser sender's (no: a recipient's).
    as_sender: bool,
    /// The names of a `fixed` portal's recipients, as "Naar" shows them.
    fixed_names: String,
}

impl VisitPage<'_> {
    fn choose(&self) -> bool {
        self.portal.to == PortalTo::Choose
    }

    fn free(&self) -> bool {
        self.portal.to == PortalTo::Free
    }
}

#[allow(clippy::too_many_arguments)]
async fn render_page(
    state: &AppState,
    loaded: &Loaded,
    headers: &HeaderMap,
    step: Step,
    notice: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let language = page_language(None, headers);
    let brand = Brand::of(state, &loaded.row.tenant_id).await;
    let t = texts_for(language, brand.form);
    let u = upload_texts(language, brand.form);
    let portal = portals::page(loaded, language, &brand.name, state.config.max_upload_bytes);
    let kinds = if portal.allowed_types.is_empty() {
        FileType::ALL.to_vec()
    } else {
        portal.allowed_types.clone()
    };
    let names: Vec<&str> = kinds.iter().map(|k| u.type_name(*k)).collect();
    let accept = if portal.allowed_types.is_empty() {
        String::new()
    } else {
        kinds
            .iter()
            .flat_map(|k| k.extensions())
            .map(|e| format!(".{e}"))
            .collect::<Vec<_>>()
            .join(",")
    };
    let size = size_text(
        language,
        i64::try_from(portal.max_bytes).unwrap_or(i64::MAX),
    );
    let fixed: Vec<String> = loaded
        .document
        .recipients
        .iter()
        .map(|r| {
            if r.name.is_empty() {
                r.email.clone()
            } else {
                r.name.clone()
            }
        })
        .collect();
    let csp = upload_csp(&brand);
    let page = VisitPage {
        t,
        u,
        title: portal.title.clone(),
        intro: portal.intro.clone(),
        slug: &loaded.row.slug,
        notice,
        error,
        step,
        to_free_hint: fill(
            u.to_free_hint,
            &[("domains", &portal.allowed_domains.join(", "))],
        ),
        allowed: fill(u.allowed, &[("types", &names.join(", "))]),
        limits: fill(
            u.limits,
            &[("files", &portal.max_files.to_string()), ("size", &size)],
        ),
        accept,
        message_label: fill(
            u.message_label,
            &[("sender", &fixed_or_org(&fixed, &brand))],
        ),
        max_files: portal.max_files,
        max_bytes: portal.max_bytes,
        files_required: true,
        as_sender: false,
        fixed_names: fixed.join(", "),
        portal,
        brand,
    };
    let mut response = render(page, status);
    response
        .headers_mut()
        .insert(header::CONTENT_SECURITY_POLICY, csp);
    response
}

/// Whom the message goes to, for its label: the fixed recipients, else the organisation.
fn fixed_or_org(fixed: &[String], brand: &Brand) -> String {
    if fixed.len() == 1 {
        fixed[0].clone()
    } else {
        brand.name.clone()
    }
}

async fn loaded_or_error(
    state: &AppState,
    slug: &str,
    headers: &HeaderMap,
) -> Result<Loaded, Response> {
    portals::by_slug(state, slug).await.map_err(|_| {
        error_page(
            &AccessError::Unavailable,
            page_language(None, headers),
            Brand::zegel(),
        )
    })
}

/// `GET /p/<slug>`: the visitor's step. Changes nothing.
pub(super) async fn page(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Response {
    let loaded = match loaded_or_error(&state, &slug, &headers).await {
        Ok(loaded) => loaded,
        Err(response) => return response,
    };
    let step = match crate::recipient::visit_session(&state, &headers, &loaded.row.id).await {
        Some(visit) => {
            if zegel_store::requests::answered(&state.db, &visit.recipient_id)
                .await
                .unwrap_or(false)
            {
                Step::Ask
            } else {
                Step::Send { email: visit.email }
            }
        }
        None => Step::Ask,
    };
    render_page(&state, &loaded, &headers, step, None, None, StatusCode::OK).await
}

#[derive(Deserialize)]
pub(super) struct AddressForm {
    #[serde(default)]
    email: String,
}

/// `POST /p/<slug>/challenge`: mails the code to the visitor's address.
pub(super) async fn challenge(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Client(client): Client,
    headers: HeaderMap,
    Form(form): Form<AddressForm>,
) -> Response {
    let loaded = match loaded_or_error(&state, &slug, &headers).await {
        Ok(loaded) => loaded,
        Err(response) => return response,
    };
    let language = page_language(None, &headers);
    let brand = Brand::of(&state, &loaded.row.tenant_id).await;
    let u = upload_texts(language, brand.form);
    let Ok(email) = zegel_core::address::normalize_email(&form.email) else {
        let error = Some(u.invalid_address.to_owned());
        return render_page(
            &state,
            &loaded,
            &headers,
            Step::Ask,
            None,
            error,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    match portals::challenge(&state, &loaded, &email, language, &client).await {
        Ok(()) => {
            let notice = Some(code_sent(u.code_sent_plain, Some(&email)));
            let step = Step::Code { email };
            render_page(
                &state,
                &loaded,
                &headers,
                step,
                notice,
                None,
                StatusCode::OK,
            )
            .await
        }
        Err(ServiceError::TooManyRequests(_) | ServiceError::Forbidden(_)) => {
            let error = Some(u.too_many_codes.to_owned());
            render_page(
                &state,
                &loaded,
                &headers,
                Step::Ask,
                None,
                error,
                StatusCode::TOO_MANY_REQUESTS,
            )
            .await
        }
        Err(error) => crate::error::AppError::from(error).into_response(),
    }
}

#[derive(Deserialize)]
pub(super) struct VerifyForm {
    email: String,
    code: String,
}

/// `POST /p/<slug>/verify`: checks the code; the session cookie, then the sending step.
pub(super) async fn verify(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Client(client): Client,
    headers: HeaderMap,
    Form(form): Form<VerifyForm>,
) -> Response {
    let loaded = match loaded_or_error(&state, &slug, &headers).await {
        Ok(loaded) => loaded,
        Err(response) => return response,
    };
    match portals::verify(&state, &loaded, &form.email, &form.code, &client).await {
        Ok((recipient_id, session)) => {
            let mut response = Redirect::to(&format!("/p/{slug}")).into_response();
            response.headers_mut().insert(
                header::SET_COOKIE,
                crate::recipient::session_cookie(&state, &recipient_id, &session),
            );
            response
        }
        Err(AccessError::Internal(cause)) => {
            crate::error::AppError::Internal(cause).into_response()
        }
        Err(error) => {
            let language = page_language(None, &headers);
            let brand = Brand::of(&state, &loaded.row.tenant_id).await;
            let u = upload_texts(language, brand.form);
            let t = texts_for(language, brand.form);
            let (message, status) = match error {
                AccessError::WrongCode => (u.wrong_code.to_owned(), StatusCode::UNAUTHORIZED),
                AccessError::Locked => (u.too_many_codes.to_owned(), StatusCode::FORBIDDEN),
                _ => (t.busy.to_owned(), StatusCode::TOO_MANY_REQUESTS),
            };
            let step = Step::Code {
                email: form.email.clone(),
            };
            render_page(&state, &loaded, &headers, step, None, Some(message), status).await
        }
    }
}

#[derive(Deserialize)]
pub(super) struct SubmitForm {
    #[serde(default)]
    to: Option<String>,
    #[serde(default)]
    uploads: String,
    #[serde(default)]
    message: String,
}

/// `POST /p/<slug>/submit`: sends the files to the portal's recipient(s).
pub(super) async fn submit(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Client(client): Client,
    headers: HeaderMap,
    Form(form): Form<SubmitForm>,
) -> Response {
    let loaded = match loaded_or_error(&state, &slug, &headers).await {
        Ok(loaded) => loaded,
        Err(response) => return response,
    };
    let Some(visit) = crate::recipient::visit_session(&state, &headers, &loaded.row.id).await
    else {
        return Redirect::to(&format!("/p/{slug}")).into_response();
    };
    let language = page_language(None, &headers);
    let brand = Brand::of(&state, &loaded.row.tenant_id).await;
    let u = upload_texts(language, brand.form);
    let uploads = super::upload::upload_ids(&form.uploads);
    let to = form.to.clone().filter(|t| !t.trim().is_empty());
    let destination = loaded.document.destination(to.as_deref());
    let submission = zegel_core::portal::PortalSubmission {
        to,
        message: Some(form.message),
        uploads,
    };
    match portals::submit(
        &state,
        &loaded,
        &visit,
        submission,
        state.config.max_upload_bytes,
        &client,
    )
    .await
    {
        Ok(submitted) => {
            let whom = destination.map(|d| d.join(", ")).unwrap_or_default();
            let template = if submitted.status == AnswerStatus::Scanning {
                u.scanning_text
            } else {
                u.done_text
            };
            let step = Step::Done {
                text: fill(template, &[("sender", &whom)]),
            };
            render_page(&state, &loaded, &headers, step, None, None, StatusCode::OK).await
        }
        Err(ServiceError::Internal(cause)) => {
            crate::error::AppError::Internal(cause).into_response()
        }
        Err(error) => {
            let message = refusal(&error, u, language, &loaded);
            let status = match error {
                ServiceError::Conflict(_) => StatusCode::CONFLICT,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            let step = Step::Send { email: visit.email };
            render_page(&state, &loaded, &headers, step, None, Some(message), status).await
        }
    }
}

/// A refused sending in the page's words.
fn refusal(error: &ServiceError, u: &UploadTexts, language: Language, loaded: &Loaded) -> String {
    match error {
        ServiceError::Infected { file } => fill(u.infected, &[("name", file)]),
        ServiceError::Invalid { field, .. } if field == "to" => match loaded.document.to {
            PortalTo::Choose => u.choose_recipient.to_owned(),
            _ => fill(
                u.to_free_hint,
                &[("domains", &loaded.document.allowed_domains.join(", "))],
            ),
        },
        ServiceError::Invalid { field, .. } if field == "uploads" => {
            let max_bytes = loaded.document.max_bytes.unwrap_or(u64::MAX);
            fill(
                u.over_limits,
                &[
                    ("files", &loaded.document.max_files.to_string()),
                    (
                        "size",
                        &size_text(language, i64::try_from(max_bytes).unwrap_or(i64::MAX)),
                    ),
                ],
            )
        }
        ServiceError::Invalid { message, .. } if message.contains("kind of file") => {
            let name = message.split(" is not").next().unwrap_or_default();
            fill(u.wrong_kind, &[("name", name)])
        }
        ServiceError::Conflict(_) => u.answered.to_owned(),
        _ => u.upload_failed.to_owned(),
    }
}
