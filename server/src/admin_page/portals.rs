//! The admin page's upload portals (`/admin/portals`): each portal as a form, and one for a new one.
//! The same rules as the admin API (`zegel_service::portals`); refused values are explained beside the
//! form in the page's language.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use zegel_core::portal::{PortalDocument, PortalIntro, PortalRecipient, PortalTo};
use zegel_core::upload_request::FileType;
use zegel_service::ServiceError;
use zegel_service::portals;

use super::texts::AdminTexts;
use super::{forbidden_origin, page_texts, render, same_origin, signed_in};
use crate::error::AppError;
use crate::portal::language::{self, LanguageLink};
use crate::state::AppState;

/// One portal as form values.
#[derive(Debug, Clone, Default)]
pub struct PortalForm {
    /// The portal's id (`None`: the form for a new one).
    pub id: Option<String>,
    /// Its page's URL (saved portals).
    pub url: String,
    /// Text.
    pub slug: String,
    /// Text.
    pub title: String,
    /// Text.
    pub intro_nl: String,
    /// Text.
    pub intro_sv: String,
    /// Text.
    pub intro_en: String,
    /// `fixed`, `choose` or `free`.
    pub to: String,
    /// One `email | name` per line.
    pub recipients: String,
    /// One domain per line.
    pub allowed_domains: String,
    /// API names of the kinds ticked.
    pub types: Vec<String>,
    /// Number.
    pub max_files: String,
    /// Megabytes, or empty for the server's limit.
    pub max_mb: String,
}

const MB: u64 = 1_000_000;

impl PortalForm {
    fn from_portal(portal: &zegel_core::portal::Portal, max_upload: u64) -> Self {
        let d = &portal.document;
        Self {
            id: Some(portal.id.clone()),
            url: portal.url.clone(),
            slug: d.slug.clone(),
            title: d.title.clone(),
            intro_nl: d.intro.nl.clone(),
            intro_sv: d.intro.sv.clone(),
            intro_en: d.intro.en.clone(),
            to: match d.to {
                PortalTo::Fixed => "fixed",
                PortalTo::Choose => "choose",
                PortalTo::Free => "free",
            }
            .to_owned(),
            recipients: d
                .recipients
                .iter()
                .map(|r| {
                    if r.name.is_empty() {
                        r.email.clone()
                    } else {
                        format!("{} | {}", r.email, r.name)
                    }
                })
                .collect::<Vec<_>>()
                .join("\n"),
            allowed_domains: d.allowed_domains.join("\n"),
            types: d
                .allowed_types
                .iter()
                .map(|t| t.as_str().to_owned())
                .collect(),
            max_files: d.max_files.to_string(),
            max_mb: match d.max_bytes {
                Some(bytes) if bytes < max_upload => (bytes / MB).to_string(),
                _ => String::new(),
            },
        }
    }

    fn new_portal() -> Self {
        Self {
            to: "fixed".to_owned(),
            max_files: zegel_core::upload_request::DEFAULT_MAX_FILES.to_string(),
            ..Self::default()
        }
    }

    fn from_pairs(id: Option<String>, pairs: &[(String, String)]) -> Self {
        let text = |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        Self {
            id,
            url: String::new(),
            slug: text("slug"),
            title: text("title"),
            intro_nl: text("intro_nl"),
            intro_sv: text("intro_sv"),
            intro_en: text("intro_en"),
            to: text("to"),
            recipients: text("recipients"),
            allowed_domains: text("allowed_domains"),
            types: pairs
                .iter()
                .filter(|(k, _)| k == "type")
                .map(|(_, v)| v.clone())
                .collect(),
            max_files: text("max_files"),
            max_mb: text("max_mb"),
        }
    }

    /// Whether the kind with this API name is ticked.
    pub fn has(&self, kind: &&str) -> bool {
        self.types.iter().any(|t| t == kind)
    }

    /// The document the form describes (validated by the service); errors name the document's field.
    fn document(&self) -> Result<PortalDocument, ServiceError> {
        let lines = |text: &str| -> Vec<String> {
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect()
        };
        let to = match self.to.as_str() {
            "fixed" => PortalTo::Fixed,
            "choose" => PortalTo::Choose,
            "free" => PortalTo::Free,
            _ => return Err(ServiceError::invalid("to", "choose fixed, choose or free")),
        };
        let recipients = lines(&self.recipients)
            .into_iter()
            .map(|line| match line.split_once('|') {
                Some((email, name)) => PortalRecipient {
                    email: email.trim().to_owned(),
                    name: name.trim().to_owned(),
                },
                None => PortalRecipient {
                    email: line,
                    name: String::new(),
                },
            })
            .collect();
        let allowed_types = self
            .types
            .iter()
            .map(|t| {
                FileType::parse(t)
                    .ok_or_else(|| ServiceError::invalid("allowed_types", "unknown kind of file"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let max_files = self
            .max_files
            .trim()
            .parse()
            .map_err(|_| ServiceError::invalid("max_files", "must be a whole number"))?;
        let max_bytes = match self.max_mb.trim() {
            "" => None,
            text => Some(
                text.parse::<u64>()
                    .map_err(|_| ServiceError::invalid("max_bytes", "must be a whole number"))?
                    .saturating_mul(MB),
            ),
        };
        Ok(PortalDocument {
            slug: self.slug.clone(),
            title: self.title.clone(),
            intro: PortalIntro {
                nl: self.intro_nl.clone(),
                sv: self.intro_sv.clone(),
                en: self.intro_en.clone(),
            },
            to,
            recipients,
            allowed_domains: lines(&self.allowed_domains),
            allowed_types,
            max_files,
            max_bytes,
        })
    }
}

#[derive(Template)]
#[template(path = "admin_portals.html")]
struct PortalsPage {
    a: &'static AdminTexts,
    switch: Vec<LanguageLink>,
    forms: Vec<PortalForm>,
    /// The form a refusal is about (its id, or `new`) and the refusal in the page's language.
    error: Option<(String, String)>,
    notice: Option<&'static str>,
    file_types: Vec<(&'static str, &'static str)>,
}

impl PortalsPage {
    fn error_for(&self, form: &PortalForm) -> Option<&str> {
        let (key, message) = self.error.as_ref()?;
        (key == form.id.as_deref().unwrap_or("new")).then_some(message.as_str())
    }
}

#[derive(Deserialize)]
pub(super) struct PageQuery {
    #[serde(default)]
    saved: Option<String>,
    #[serde(default)]
    deleted: Option<String>,
}

async fn portals_page(
    state: &AppState,
    a: &'static AdminTexts,
    tenant_id: &str,
    submitted: Option<PortalForm>,
    error: Option<(String, String)>,
    notice: Option<&'static str>,
) -> Result<PortalsPage, AppError> {
    let max_upload = state.config.max_upload_bytes;
    let mut forms: Vec<PortalForm> = portals::list(state, tenant_id)
        .await?
        .iter()
        .map(|p| PortalForm::from_portal(p, max_upload))
        .collect();
    forms.push(PortalForm::new_portal());
    // The form that was refused shows what was entered.
    if let Some(submitted) = submitted {
        let key = submitted.id.clone();
        if let Some(slot) = forms.iter_mut().find(|f| f.id == key) {
            let url = std::mem::take(&mut slot.url);
            *slot = PortalForm { url, ..submitted };
        }
    }
    Ok(PortalsPage {
        a,
        switch: language::links(),
        forms,
        error,
        notice,
        file_types: super::form::FormValues::file_types(a.lang),
    })
}

/// `GET /admin/portals`.
pub(super) async fn page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<PageQuery>,
) -> Result<Response, AppError> {
    let Some(admin) = signed_in(&state, &headers).await? else {
        return Ok(Redirect::to("/admin").into_response());
    };
    let a = page_texts(&headers);
    let notice = if query.saved.is_some() {
        Some(a.portal_saved)
    } else if query.deleted.is_some() {
        Some(a.portal_deleted)
    } else {
        None
    };
    let page = portals_page(&state, a, &admin.tenant_id, None, None, notice).await?;
    Ok(render(page, StatusCode::OK))
}

/// `POST /admin/portals` (new) and `POST /admin/portals/<id>` (change).
async fn save(
    state: AppState,
    headers: HeaderMap,
    id: Option<String>,
    pairs: Vec<(String, String)>,
) -> Result<Response, AppError> {
    if !same_origin(&state, &headers) {
        return Ok(forbidden_origin());
    }
    let Some(admin) = signed_in(&state, &headers).await? else {
        return Ok(Redirect::to("/admin").into_response());
    };
    let a = page_texts(&headers);
    let form = PortalForm::from_pairs(id.clone(), &pairs);
    let max_upload = state.config.max_upload_bytes;
    let outcome = match form.document() {
        Ok(document) => match &id {
            None => portals::create(&state, &admin, document, max_upload).await,
            Some(id) => {
                let patch = match serde_json::to_value(&document) {
                    Ok(serde_json::Value::Object(map)) => map,
                    _ => {
                        return Err(AppError::internal(anyhow::anyhow!(
                            "a document is an object"
                        )));
                    }
                };
                portals::update(&state, &admin, id, patch, max_upload).await
            }
        },
        Err(error) => Err(error),
    };
    let key = id.clone().unwrap_or_else(|| "new".to_owned());
    let (message, status) = match outcome {
        Ok(_) => return Ok(Redirect::to("/admin/portals?saved=1").into_response()),
        Err(ServiceError::Invalid { field, message, .. }) => (
            a.field_error(&field, &message),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(ServiceError::Conflict(_)) => (a.slug_taken.to_owned(), StatusCode::CONFLICT),
        Err(error) => return Err(error.into()),
    };
    let page = portals_page(
        &state,
        a,
        &admin.tenant_id,
        Some(form),
        Some((key, message)),
        None,
    )
    .await?;
    Ok(render(page, status))
}

pub(super) async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    save(state, headers, None, pairs).await
}

pub(super) async fn update(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    save(state, headers, Some(id), pairs).await
}

/// `POST /admin/portals/<id>/delete`.
pub(super) async fn delete(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    if !same_origin(&state, &headers) {
        return Ok(forbidden_origin());
    }
    let Some(admin) = signed_in(&state, &headers).await? else {
        return Ok(Redirect::to("/admin").into_response());
    };
    portals::delete(&state, &admin, &id).await?;
    Ok(Redirect::to("/admin/portals?deleted=1").into_response())
}
