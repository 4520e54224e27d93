//! What an Outlook client may learn before its user is signed in: whether the tenant owning a mail
//! domain forces protection. The on-send check needs it when Office single sign-on fails and no sender
//! token is stored, to decide between failing closed (the tenant forces) and warning (it does not).
//!
//! The answer is one flag, the same `false` for a domain no tenant owns as for a tenant whose policy
//! never forces, so it tells no more than whether some domain's Zegel tenant forces secure sending.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::state::AppState;
use zegel_core::api::ErrorBody;
use zegel_service::settings;
use zegel_store::tenants;

/// The query of `GET /api/v1/policy`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PolicyQuery {
    /// The sender's mail domain, e.g. `zorg.example`.
    domain: Option<String>,
}

/// The answer of `GET /api/v1/policy`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PolicyHint {
    /// Whether the tenant's content filter can force secure sending.
    pub policy_forces: bool,
}

/// `GET /api/v1/policy?domain=`: whether the tenant owning `domain` forces protection (no sign-in).
#[utoipa::path(
    get, path = "/api/v1/policy", tag = "senders",
    params(PolicyQuery),
    responses(
        (status = 200, description = "Whether the tenant owning the domain forces protection (no sign-in)", body = PolicyHint),
        (status = "4XX", description = "The request failed: `401` without a valid sign-in, `404` for what is not the caller's, `400`/`422` for a bad request (`invalid` names the field), `409`, `413`, `429` (with `Retry-After`)", body = ErrorBody),
    ),
)]
#[tracing::instrument(skip_all)]
pub async fn policy(
    State(state): State<AppState>,
    query: Result<Query<PolicyQuery>, QueryRejection>,
) -> Result<Json<PolicyHint>, AppError> {
    let Query(query) =
        query.map_err(|rejection| AppError::bad_request("bad_query", rejection.body_text()))?;
    let domain = query
        .domain
        .as_deref()
        .and_then(zegel_core::settings::normalize_domain)
        .ok_or_else(|| AppError::invalid("domain", "a mail domain like zorg.example is needed"))?;
    let policy_forces = match tenants::tenant_for_domain(&state.db, &domain).await? {
        Some(tenant) => {
            settings::effective(&state, &tenant.id)
                .await?
                .for_senders()
                .policy_forces
        }
        None => false,
    };
    Ok(Json(PolicyHint { policy_forces }))
}
