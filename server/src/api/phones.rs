//! Sender routes around two-factor access: supplying phone numbers for a held message, asking whether
//! a recipient's number is known (for the pane to prefill), and unlocking a locked recipient; and the
//! admin's routes to set or remove a remembered number (besides the recipient's own confirmation, the
//! only way one changes).

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Value, json};
use zegel_core::api::KnownPhone;

use crate::api::openapi::{PhoneRemoved, PhonesSupplied, Unlocked};
use crate::auth::{Admin, Sender};
use crate::client::Client;
use crate::error::{AppError, JsonBody};
use crate::state::AppState;
use zegel_core::api::ErrorBody;
use zegel_service::ClientInfo;
use zegel_service::delivery::{SuppliedPhone, supply_phones};
use zegel_store::audit::{self, AuditEvent};
use zegel_store::delivery as store;

/// The body of `POST /api/v1/messages/<id>/phones`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PhonesBody {
    phones: std::collections::BTreeMap<String, String>,
}

/// Supplies numbers for a held message; releases it when every recipient has one.
#[utoipa::path(
    post, path = "/api/v1/messages/{id}/phones", tag = "senders",
    params(("id" = String, Path, description = "The message id")),
    request_body = PhonesBody,
    responses(
        (status = 200, description = "The numbers are stored; the message is released once every recipient has one", body = PhonesSupplied),
        (status = "4XX", description = "The request failed: `401` without a valid sign-in, `404` for what is not the caller's, `400`/`422` for a bad request (`invalid` names the field), `409`, `413`, `429` (with `Retry-After`)", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
#[tracing::instrument(skip_all)]
pub async fn supply(
    State(state): State<AppState>,
    sender: Sender,
    Path(message_id): Path<String>,
    JsonBody(body): JsonBody<PhonesBody>,
) -> Result<Json<Value>, AppError> {
    let user = sender.0;
    owned_message(&state, &user, &message_id).await?;
    let numbers: Vec<SuppliedPhone> = body
        .phones
        .into_iter()
        .map(|(email, number)| SuppliedPhone {
            email,
            number,
            country: None,
        })
        .collect();
    let outcome = supply_phones(
        &state,
        &user.tenant_id,
        &message_id,
        &numbers,
        &format!("sender:{}", user.email),
    )
    .await?;
    Ok(Json(if outcome.released {
        json!({"id": message_id, "status": "sent"})
    } else {
        json!({"id": message_id, "status": "needs_phone_numbers", "missing_phone_numbers": outcome.missing})
    }))
}

/// Whether a number is known for a recipient, masked.
#[utoipa::path(
    get, path = "/api/v1/recipients/{email}/phone", tag = "senders",
    params(("email" = String, Path, description = "The recipient's address")),
    responses(
        (status = 200, description = "Whether a number is on file, masked", body = KnownPhone),
        (status = "4XX", description = "The request failed: `401` without a valid sign-in, `404` for what is not the caller's, `400`/`422` for a bad request (`invalid` names the field), `409`, `413`, `429` (with `Retry-After`)", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
#[tracing::instrument(skip_all)]
pub async fn known(
    State(state): State<AppState>,
    sender: Sender,
    Path(email): Path<String>,
) -> Result<Json<KnownPhone>, AppError> {
    let user = sender.0;
    let email = zegel_core::address::normalize_email(&email)
        .map_err(|e| AppError::invalid("email", e.to_string()))?;
    let number = zegel_service::phones::remembered(&state, &user.tenant_id, &email)
        .await
        .map_err(AppError::internal)?;
    Ok(Json(KnownPhone {
        known: number.is_some(),
        masked: number.as_deref().map(zegel_core::address::mask_phone),
        email,
    }))
}

/// The body of `PUT /api/v1/admin/recipients/<email>/phone`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdminPhoneBody {
    phone: String,
}

/// Sets the number remembered for a recipient of the admin's tenant.
#[utoipa::path(
    put, path = "/api/v1/admin/recipients/{email}/phone", tag = "admin",
    params(("email" = String, Path, description = "The recipient's address")),
    request_body = AdminPhoneBody,
    responses(
        (status = 200, description = "The number is stored", body = KnownPhone),
        (status = "4XX", description = "The request failed: `401` without a valid sign-in, `404` for what is not the caller's, `400`/`422` for a bad request (`invalid` names the field), `409`, `413`, `429` (with `Retry-After`)", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
#[tracing::instrument(skip_all)]
pub async fn admin_set(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Client(client): Client,
    Path(email): Path<String>,
    JsonBody(body): JsonBody<AdminPhoneBody>,
) -> Result<Json<KnownPhone>, AppError> {
    let email = zegel_core::address::normalize_email(&email)
        .map_err(|e| AppError::invalid("email", e.to_string()))?;
    let country = zegel_service::settings::sms_default_country(&state, &admin.tenant_id).await?;
    let e164 = zegel_service::phones::normalize(&body.phone, &country)
        .map_err(|e| AppError::invalid("phone", e.to_string()))?;
    zegel_service::phones::remember(
        &state,
        &admin.tenant_id,
        &email,
        &e164,
        zegel_service::phones::ConfirmedBy::Admin,
    )
    .await
    .map_err(AppError::internal)?;
    audit_phone(&state, &admin, &client, "phone.set", &email).await?;
    Ok(Json(KnownPhone {
        email,
        known: true,
        masked: Some(zegel_core::address::mask_phone(&e164)),
    }))
}

/// Removes the number remembered for a recipient of the admin's tenant.
#[utoipa::path(
    delete, path = "/api/v1/admin/recipients/{email}/phone", tag = "admin",
    params(("email" = String, Path, description = "The recipient's address")),
    responses(
        (status = 200, description = "No number is on file any more", body = PhoneRemoved),
        (status = "4XX", description = "The request failed: `401` without a valid sign-in, `404` for what is not the caller's, `400`/`422` for a bad request (`invalid` names the field), `409`, `413`, `429` (with `Retry-After`)", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
#[tracing::instrument(skip_all)]
pub async fn admin_remove(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Client(client): Client,
    Path(email): Path<String>,
) -> Result<Json<Value>, AppError> {
    let email = zegel_core::address::normalize_email(&email)
        .map_err(|e| AppError::invalid("email", e.to_string()))?;
    if zegel_store::phones::forget(&state.db, &admin.tenant_id, &email).await? {
        audit_phone(&state, &admin, &client, "phone.removed", &email).await?;
    }
    Ok(Json(json!({"email": email, "known": false})))
}

async fn audit_phone(
    state: &AppState,
    admin: &zegel_store::tenants::User,
    client: &ClientInfo,
    event: &str,
    email: &str,
) -> Result<(), AppError> {
    audit::append(
        &state.db,
        state.now_ms(),
        &AuditEvent {
            tenant_id: Some(&admin.tenant_id),
            message_id: None,
            actor: format!("admin:{}", admin.email),
            event,
            detail: Some(format!("recipient:{email}")),
            ip: client.ip.clone(),
            user_agent: client.user_agent.clone(),
        },
    )
    .await?;
    Ok(())
}

/// The body of `POST /api/v1/messages/<id>/unlock`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnlockBody {
    email: String,
}

/// Unlocks a recipient locked after too many failed attempts.
#[utoipa::path(
    post, path = "/api/v1/messages/{id}/unlock", tag = "senders",
    params(("id" = String, Path, description = "The message id")),
    request_body = UnlockBody,
    responses(
        (status = 200, description = "The recipient may try again", body = Unlocked),
        (status = "4XX", description = "The request failed: `401` without a valid sign-in, `404` for what is not the caller's, `400`/`422` for a bad request (`invalid` names the field), `409`, `413`, `429` (with `Retry-After`)", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
#[tracing::instrument(skip_all)]
pub async fn unlock(
    State(state): State<AppState>,
    sender: Sender,
    Path(message_id): Path<String>,
    JsonBody(body): JsonBody<UnlockBody>,
) -> Result<Json<Value>, AppError> {
    let user = sender.0;
    owned_message(&state, &user, &message_id).await?;
    let unlocked = store::unlock_recipient(&state.db, &message_id, &body.email).await?;
    if !unlocked {
        return Err(AppError::invalid(
            "email",
            format!("{} is not a recipient of this message", body.email),
        ));
    }
    audit::append(
        &state.db,
        state.now_ms(),
        &AuditEvent {
            tenant_id: Some(&user.tenant_id),
            message_id: Some(&message_id),
            actor: format!("sender:{}", user.email),
            event: "access.unlocked",
            ..Default::default()
        },
    )
    .await?;
    Ok(Json(
        json!({"id": message_id, "email": body.email, "locked": false}),
    ))
}

/// The message if it belongs to this sender; 404 otherwise (also for other senders of the tenant).
async fn owned_message(
    state: &AppState,
    user: &zegel_store::tenants::User,
    message_id: &str,
) -> Result<(), AppError> {
    if store::sender_of(&state.db, &user.tenant_id, message_id)
        .await?
        .as_deref()
        != Some(user.id.as_str())
    {
        return Err(AppError::NotFound);
    }
    Ok(())
}
