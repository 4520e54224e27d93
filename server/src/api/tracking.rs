//! Sender routes for log & block: a message's status, the sender's list, blocking and unblocking, and
//! deleting a message early. Only the sender's own messages: anything else is `404`.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::auth::Sender;
use crate::client::Client;
use crate::error::{AppError, JsonBody};
use crate::state::AppState;
use zegel_core::api::{ErrorBody, MessagePage};
use zegel_service::retention::{self, Destruction};
use zegel_service::tracking::{self, BlockTarget, MessageStatus};

/// The most messages one page lists.
pub const MAX_PAGE: i64 = 100;

/// The query of `GET /api/v1/messages`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only `me` (the default): a sender lists their own messages.
    sent_by: Option<String>,
    /// Page size, 1 to 100 (default 20).
    limit: Option<i64>,
    /// The `next` cursor of the previous page.
    before: Option<String>,
    /// The Internet Message-ID of a mail the gateway protected (the sender's copy carries it): answers
    /// with that message's status, as `GET /api/v1/messages/<id>` does.
    internet_message_id: Option<String>,
}

/// `GET /api/v1/messages?sent_by=me&limit=&before=`: the sender's messages, newest first; with
/// `internet_message_id=<id>`, the status of the sender's message made from that mail (else `404`).
#[utoipa::path(
    get, path = "/api/v1/messages", tag = "senders",
    params(ListQuery),
    responses(
        (status = 200, description = "A page of the sender's messages, newest first; with `internet_message_id`, that message's `MessageStatus`", body = MessagePage),
        (status = "4XX", description = "The request failed: `401` without a valid sign-in, `404` for what is not the caller's, `400`/`422` for a bad request (`invalid` names the field), `409`, `413`, `429` (with `Retry-After`)", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
#[tracing::instrument(skip_all)]
pub async fn list(
    State(state): State<AppState>,
    Sender(user): Sender,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Response, AppError> {
    let Query(query) =
        query.map_err(|rejection| AppError::bad_request("bad_query", rejection.body_text()))?;
    if let Some(internet_id) = &query.internet_message_id {
        if internet_id.trim().is_empty() || internet_id.len() > 998 {
            return Err(AppError::invalid(
                "internet_message_id",
                "give the Message-ID of the mail, e.g. <id@host>",
            ));
        }
        let hash = zegel_service::intake::internet_id_hash(internet_id);
        let id =
            zegel_store::links::message_by_internet_id(&state.db, &user.tenant_id, &user.id, &hash)
                .await?
                .ok_or(AppError::NotFound)?;
        return Ok(Json(tracking::message_status(&state, &user, &id).await?).into_response());
    }
    if query.sent_by.as_deref().is_some_and(|who| who != "me") {
        return Err(AppError::invalid(
            "sent_by",
            "only sent_by=me is supported: a sender lists their own messages",
        ));
    }
    let limit = query.limit.unwrap_or(20);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(AppError::invalid(
            "limit",
            format!("the limit is 1 to {MAX_PAGE}"),
        ));
    }
    Ok(Json(tracking::list(&state, &user, query.before.as_deref(), limit).await?).into_response())
}

/// `GET /api/v1/messages/<id>`: the status per recipient and file.
#[utoipa::path(
    get, path = "/api/v1/messages/{id}", tag = "senders",
    params(("id" = String, Path, description = "The message id")),
    responses(
        (status = 200, description = "The status per recipient and file", body = MessageStatus),
        (status = "4XX", description = "The request failed: `401` without a valid sign-in, `404` for what is not the caller's, `400`/`422` for a bad request (`invalid` names the field), `409`, `413`, `429` (with `Retry-After`)", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
#[tracing::instrument(skip_all)]
pub async fn show(
    State(state): State<AppState>,
    Sender(user): Sender,
    Path(id): Path<String>,
) -> Result<Json<MessageStatus>, AppError> {
    Ok(Json(tracking::message_status(&state, &user, &id).await?))
}

/// `POST /api/v1/messages/<id>/block` with a [`BlockTarget`]; answers with the new status.
#[utoipa::path(
    post, path = "/api/v1/messages/{id}/block", tag = "senders",
    params(("id" = String, Path, description = "The message id")),
    request_body = BlockTarget,
    responses(
        (status = 200, description = "Blocked; the message's status", body = MessageStatus),
        (status = "4XX", description = "The request failed: `401` without a valid sign-in, `404` for what is not the caller's, `400`/`422` for a bad request (`invalid` names the field), `409`, `413`, `429` (with `Retry-After`)", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
#[tracing::instrument(skip_all)]
pub async fn block(
    State(state): State<AppState>,
    Sender(user): Sender,
    Path(id): Path<String>,
    Client(client): Client,
    JsonBody(target): JsonBody<BlockTarget>,
) -> Result<Json<MessageStatus>, AppError> {
    tracking::set_blocked(&state, &user, &id, &target, true, &client).await?;
    Ok(Json(tracking::message_status(&state, &user, &id).await?))
}

/// `POST /api/v1/messages/<id>/unblock` with a [`BlockTarget`]; answers with the new status.
#[utoipa::path(
    post, path = "/api/v1/messages/{id}/unblock", tag = "senders",
    params(("id" = String, Path, description = "The message id")),
    request_body = BlockTarget,
    responses(
        (status = 200, description = "Unblocked; the message's status", body = MessageStatus),
        (status = "4XX", description = "The request failed: `401` without a valid sign-in, `404` for what is not the caller's, `400`/`422` for a bad request (`invalid` names the field), `409`, `413`, `429` (with `Retry-After`)", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
#[tracing::instrument(skip_all)]
pub async fn unblock(
    State(state): State<AppState>,
    Sender(user): Sender,
    Path(id): Path<String>,
    Client(client): Client,
    JsonBody(target): JsonBody<BlockTarget>,
) -> Result<Json<MessageStatus>, AppError> {
    tracking::set_blocked(&state, &user, &id, &target, false, &client).await?;
    Ok(Json(tracking::message_status(&state, &user, &id).await?))
}

/// `DELETE /api/v1/messages/<id>`: destroys the content now (as expiry would); the links show the
/// expired page and the tracking record stays. Deleting again changes nothing.
#[utoipa::path(
    delete, path = "/api/v1/messages/{id}", tag = "senders",
    params(("id" = String, Path, description = "The message id")),
    responses(
        (status = 200, description = "The content is destroyed; the message's status", body = MessageStatus),
        (status = "4XX", description = "The request failed: `401` without a valid sign-in, `404` for what is not the caller's, `400`/`422` for a bad request (`invalid` names the field), `409`, `413`, `429` (with `Retry-After`)", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
#[tracing::instrument(skip_all)]
pub async fn delete(
    State(state): State<AppState>,
    Sender(user): Sender,
    Path(id): Path<String>,
    Client(client): Client,
) -> Result<Json<MessageStatus>, AppError> {
    let message = tracking::own_message(&state, &user, &id).await?;
    retention::destroy_message(
        &state,
        &message.tenant_id,
        &id,
        Destruction::Deleted,
        &format!("sender:{}", user.email),
        Some(&client),
    )
    .await?;
    Ok(Json(tracking::message_status(&state, &user, &id).await?))
}

/// `GET /api/v1/messages/<id>/conversation`: the sender's message and every reply, in order.
#[utoipa::path(
    get, path = "/api/v1/messages/{id}/conversation", tag = "senders",
    params(("id" = String, Path, description = "The message's id")),
    responses(
        (status = 200, description = "The conversation", body = zegel_core::conversation::Conversation),
        (status = "4XX", description = "`401`, `404` for another sender's message", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub async fn conversation(
    State(state): State<AppState>,
    sender: Sender,
    Path(id): Path<String>,
) -> Result<Json<zegel_core::conversation::Conversation>, AppError> {
    let user = sender.0;
    zegel_store::tracking::sent_message(&state.db, &user.tenant_id, &user.id, &id)
        .await?
        .ok_or(AppError::NotFound)?;
    let turns = zegel_service::replies::conversation(&state, &id, None).await?;
    Ok(Json(zegel_core::conversation::Conversation { turns }))
}
