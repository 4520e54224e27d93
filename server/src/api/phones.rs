//! Sender routes around two-factor access: supplying phone numbers for a held message, asking whether
//! a recipient's number is known (for the pane to prefill), and unlocking a locked recipient.

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::Sender;
use crate::db::audit::{self, AuditEvent};
use crate::db::delivery as store;
use crate::delivery::supply_phones;
use crate::error::{AppError, JsonBody};
use crate::state::AppState;

/// The body of `POST /api/v1/messages/<id>/phones`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhonesBody {
    phones: std::collections::BTreeMap<String, String>,
}

/// Supplies numbers for a held message; releases it when every recipient has one.
#[tracing::instrument(skip_all, err)]
pub async fn supply(
    State(state): State<AppState>,
    sender: Sender,
    Path(message_id): Path<String>,
    JsonBody(body): JsonBody<PhonesBody>,
) -> Result<Json<Value>, AppError> {
    let user = sender.0;
    owned_message(&state, &user, &message_id).await?;
    let numbers: Vec<(String, String)> = body.phones.into_iter().collect();
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
#[tracing::instrument(skip_all, err)]
pub async fn known(
    State(state): State<AppState>,
    sender: Sender,
    Path(email): Path<String>,
) -> Result<Json<Value>, AppError> {
    let user = sender.0;
    let email = zegel_core::address::normalize_email(&email)
        .map_err(|e| AppError::invalid("email", e.to_string()))?;
    let number = crate::phones::remembered(&state, &user.tenant_id, &email)
        .await
        .map_err(AppError::internal)?;
    Ok(Json(json!({
        "email": email,
        "known": number.is_some(),
        "masked": number.as_deref().map(zegel_core::address::mask_phone),
    })))
}

/// The body of `POST /api/v1/messages/<id>/unlock`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnlockBody {
    email: String,
}

/// Unlocks a recipient locked after too many failed attempts.
#[tracing::instrument(skip_all, err)]
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
    user: &crate::db::tenants::User,
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
