//! Upload portals as JSON: the tenant admin manages them (`/api/v1/admin/upload-portals`), and a
//! visitor's client reads one, proves an address and sends files (`/api/v1/portals/<slug>`). The rules
//! are `zegel_service::portals`.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use zegel_core::Language;
use zegel_core::api::ErrorBody;
use zegel_core::portal::{Portal, PortalDocument, PortalList, PortalPage, PortalSubmission};
use zegel_core::upload_request::{AnswerStatus, Submitted};
use zegel_service::portals;

use crate::api::openapi::{ChallengeSent, Verified};
use crate::auth::Admin;
use crate::client::Client;
use crate::error::{AppError, JsonBody};
use crate::state::AppState;

/// `GET /api/v1/admin/upload-portals`: the tenant's portals.
#[utoipa::path(
    get, path = "/api/v1/admin/upload-portals", tag = "admin",
    responses(
        (status = 200, description = "Every portal of the tenant, by slug", body = PortalList),
        (status = "4XX", description = "`401`, `403` without the admin role", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub async fn list(
    State(state): State<AppState>,
    Admin(admin): Admin,
) -> Result<Json<PortalList>, AppError> {
    Ok(Json(PortalList {
        portals: portals::list(&state, &admin.tenant_id).await?,
    }))
}

/// `POST /api/v1/admin/upload-portals`: makes a portal.
#[utoipa::path(
    post, path = "/api/v1/admin/upload-portals", tag = "admin",
    request_body = PortalDocument,
    responses(
        (status = 201, description = "Made; its page is `url`", body = Portal),
        (status = "4XX", description = "`401`, `403`, `409` when the slug is taken, `422` naming the field (recipients and domains must be the tenant's own)", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub async fn create(
    State(state): State<AppState>,
    Admin(admin): Admin,
    JsonBody(document): JsonBody<PortalDocument>,
) -> Result<Response, AppError> {
    let portal = portals::create(&state, &admin, document, state.config.max_upload_bytes).await?;
    Ok((StatusCode::CREATED, Json(portal)).into_response())
}

/// `GET /api/v1/admin/upload-portals/<id>`.
#[utoipa::path(
    get, path = "/api/v1/admin/upload-portals/{id}", tag = "admin",
    params(("id" = String, Path, description = "The portal's id")),
    responses(
        (status = 200, description = "The portal", body = Portal),
        (status = "4XX", description = "`401`, `403`, `404` (also for another tenant's)", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub async fn show(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(id): Path<String>,
) -> Result<Json<Portal>, AppError> {
    Ok(Json(portals::get(&state, &admin.tenant_id, &id).await?))
}

/// `PATCH /api/v1/admin/upload-portals/<id>`: the fields given replace the portal's.
#[utoipa::path(
    patch, path = "/api/v1/admin/upload-portals/{id}", tag = "admin",
    params(("id" = String, Path, description = "The portal's id")),
    request_body(content = Object, description = "Fields of a `PortalDocument` to replace"),
    responses(
        (status = 200, description = "Saved", body = Portal),
        (status = "4XX", description = "`401`, `403`, `404`, `409` when the slug is taken, `422` naming the field", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub async fn update(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(id): Path<String>,
    JsonBody(patch): JsonBody<serde_json::Map<String, serde_json::Value>>,
) -> Result<Json<Portal>, AppError> {
    Ok(Json(
        portals::update(&state, &admin, &id, patch, state.config.max_upload_bytes).await?,
    ))
}

/// `DELETE /api/v1/admin/upload-portals/<id>`: the page goes; files already sent stay.
#[utoipa::path(
    delete, path = "/api/v1/admin/upload-portals/{id}", tag = "admin",
    params(("id" = String, Path, description = "The portal's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = "4XX", description = "`401`, `403`, `404`", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub async fn delete(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    portals::delete(&state, &admin, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The query of a portal's page.
#[derive(Deserialize, utoipa::IntoParams)]
pub struct PageQuery {
    /// `nl`, `sv` or `en` (else the browser's language).
    #[serde(default)]
    lang: Option<String>,
}

/// The language a visitor's client asks for.
fn language(query: Option<&str>, headers: &HeaderMap) -> Language {
    query
        .and_then(Language::parse)
        .or_else(|| {
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Language::from_accept_language)
        })
        .unwrap_or_default()
}

/// `GET /api/v1/portals/<slug>`: what the visitor's page shows.
#[utoipa::path(
    get, path = "/api/v1/portals/{slug}", tag = "access",
    params(("slug" = String, Path, description = "The portal's address"), PageQuery),
    responses(
        (status = 200, description = "The portal", body = PortalPage),
        (status = 404, description = "No such portal", body = ErrorBody),
    ),
)]
pub async fn page(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Query(query): Query<PageQuery>,
    headers: HeaderMap,
) -> Result<Json<PortalPage>, AppError> {
    let loaded = portals::by_slug(&state, &slug).await?;
    let settings = zegel_service::settings::effective(&state, &loaded.row.tenant_id).await?;
    Ok(Json(portals::page(
        &loaded,
        language(query.lang.as_deref(), &headers),
        &settings.branding.name,
        state.config.max_upload_bytes,
    )))
}

/// The body of `POST .../challenge`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChallengeBody {
    email: String,
    /// The language of the code mail (`nl`, `sv`, `en`).
    #[serde(default)]
    language: Option<String>,
}

/// `POST /api/v1/portals/<slug>/challenge`: mails a six-digit code to the visitor's address.
#[utoipa::path(
    post, path = "/api/v1/portals/{slug}/challenge", tag = "access",
    params(("slug" = String, Path, description = "The portal's address")),
    request_body = ChallengeBody,
    responses(
        (status = 202, description = "The code is on its way", body = ChallengeSent),
        (status = "4XX", description = "`404`, `422` for an address that is none, `429` for too many codes from this client or for this address", body = ErrorBody),
    ),
)]
pub async fn challenge(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Client(client): Client,
    headers: HeaderMap,
    JsonBody(body): JsonBody<ChallengeBody>,
) -> Result<Response, AppError> {
    let loaded = portals::by_slug(&state, &slug).await?;
    let email = zegel_core::address::normalize_email(&body.email)
        .map_err(|e| AppError::invalid("email", e.to_string()))?;
    let language = language(body.language.as_deref(), &headers);
    portals::challenge(&state, &loaded, &email, language, &client).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({"sent": true}))).into_response())
}

/// The body of `POST .../verify`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyBody {
    email: String,
    code: String,
}

/// `POST /api/v1/portals/<slug>/verify`: checks the code; the answer sets the visitor's session cookie.
#[utoipa::path(
    post, path = "/api/v1/portals/{slug}/verify", tag = "access",
    params(("slug" = String, Path, description = "The portal's address")),
    request_body = VerifyBody,
    responses(
        (status = 200, description = "Verified; the answer sets the session cookie", body = Verified),
        (status = "4XX", description = "`401` (`wrong_code`), `403` when locked, `404`, `429` (with `Retry-After`)", body = ErrorBody),
    ),
)]
pub async fn verify(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Client(client): Client,
    JsonBody(body): JsonBody<VerifyBody>,
) -> Result<Response, AppError> {
    let loaded = portals::by_slug(&state, &slug).await?;
    let (recipient_id, session) =
        portals::verify(&state, &loaded, &body.email, &body.code, &client).await?;
    let mut response = Json(json!({"verified": true})).into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        crate::recipient::session_cookie(&state, &recipient_id, &session),
    );
    Ok(response)
}

/// `POST /api/v1/portals/<slug>/submit`: sends the visitor's uploads to the portal's recipient(s).
#[utoipa::path(
    post, path = "/api/v1/portals/{slug}/submit", tag = "access",
    params(("slug" = String, Path, description = "The portal's address")),
    request_body = PortalSubmission,
    responses(
        (status = 201, description = "Delivered", body = Submitted),
        (status = 202, description = "Received; delivered once the malware scanner, unreachable now, has checked the files", body = Submitted),
        (status = "4XX", description = "`401` without a visitor session, `404`, `409` when this visit sent already, `422` naming the field (`to` outside the portal's recipients or domains, a kind not accepted, `infected`)", body = ErrorBody),
    ),
    security(("session" = [])),
)]
pub async fn submit(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    Client(client): Client,
    JsonBody(body): JsonBody<PortalSubmission>,
) -> Result<Response, AppError> {
    let loaded = portals::by_slug(&state, &slug).await?;
    let visit = crate::recipient::visit_session(&state, &headers, &loaded.row.id)
        .await
        .ok_or(AppError::Unauthorized)?;
    let submitted = portals::submit(
        &state,
        &loaded,
        &visit,
        body,
        state.config.max_upload_bytes,
        &client,
    )
    .await?;
    let status = if submitted.status == AnswerStatus::Scanning {
        StatusCode::ACCEPTED
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(submitted)).into_response())
}
