//! `POST /api/v1/messages`: a sender's message becomes sealed blobs, sealed rows and one notification per
//! recipient in the outbox — all or nothing.
//!
//! The body is multipart: a `meta` part (JSON, [`MessageRequest`]) and `file` parts, streamed into the
//! blob store while they arrive; `meta` may name finished resumable uploads (`"uploads"`), which become
//! files after the parts. Any failure (bad meta, a broken upload, a database error) removes every
//! blob written so far and leaves no row behind.

use crate::api::openapi::MessageUpload;
use axum::Json;
use axum::extract::multipart::{Field, MultipartError, MultipartRejection};
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use futures_util::StreamExt;
use zegel_core::api::{Created, CreatedFile, CreatedRecipient, CreatedStatus, ErrorBody};
use zegel_core::message::{MessageRequest, RequestLimits, ValidatedMessage};
use zegel_service::intake::{
    Origin, Upload, UploadedFile, check_policy, clean_file_name, fully_protected, store,
};
use zegel_service::scan::{IntakeScan, ScanInput};

use crate::auth::Sender;
use crate::client::Client;
use crate::error::AppError;
use crate::state::AppState;

/// The largest `meta` part.
const MAX_META_BYTES: usize = zegel_core::message::MAX_BODY_BYTES + 1024 * 1024;
/// How much of a refused upload is still read (and thrown away) so the client sees the error response
/// instead of a reset connection; a client that keeps sending past this is cut off.
const MAX_DRAIN_BYTES: u64 = 64 * 1024 * 1024;

/// Creates a message.
#[utoipa::path(
    post, path = "/api/v1/messages", tag = "senders",
    request_body(content = inline(MessageUpload), content_type = "multipart/form-data", description = "One `meta` part (JSON, a `MessageRequest`) and any number of `file` parts (the files, streamed)"),
    responses(
        (status = 201, description = "The message is stored and its notifications queued (or held for phone numbers)", body = Created),
        (status = "4XX", description = "The request failed: `401` without a valid sign-in, `404` for what is not the caller's, `400`/`422` for a bad request (`invalid` names the field), `409`, `413`, `429` (with `Retry-After`)", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
#[tracing::instrument(skip_all, fields(sender = %sender.0.id))]
pub async fn create(
    State(state): State<AppState>,
    sender: Sender,
    Client(client): Client,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, Json<Created>), AppError> {
    let mut multipart = multipart.map_err(|rejection| {
        AppError::bad_request(
            "bad_content_type",
            format!(
                "send multipart/form-data with a meta part: {}",
                rejection.body_text()
            ),
        )
    })?;
    let result = create_from(&state, sender, client, &mut multipart).await;
    if result.is_err() {
        drain(&mut multipart).await;
    }
    result
}

async fn drain(multipart: &mut Multipart) {
    let mut drained = 0u64;
    while let Ok(Some(mut field)) = multipart.next_field().await {
        while let Ok(Some(chunk)) = field.chunk().await {
            drained += chunk.len() as u64;
            if drained > MAX_DRAIN_BYTES {
                return;
            }
        }
    }
}

async fn create_from(
    state: &AppState,
    sender: Sender,
    client: zegel_service::ClientInfo,
    multipart: &mut Multipart,
) -> Result<(StatusCode, Json<Created>), AppError> {
    let user = sender.0;
    // The tenant's settings decide the defaults and maxima, and which options exist at all.
    let settings = zegel_service::settings::effective(state, &user.tenant_id).await?;
    let limits: RequestLimits = settings.request_limits();
    let mut upload = Upload::new(state, &user.tenant_id);
    let mut request: Option<ValidatedMessage> = None;
    let mut total: u64 = 0;
    // The content policy holds whichever client sent the message: everything is scanned on the way in,
    // unless the message is already as protected as any finding could ask for.
    let policy = settings.content_filter_policy();
    let mut scan = IntakeScan::new(&policy, state.readers.clone());

    while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
        match field.name() {
            Some("meta") => {
                if request.is_some() {
                    return Err(AppError::bad_request(
                        "duplicate_meta",
                        "send exactly one meta part",
                    ));
                }
                let bytes = read_limited(field, MAX_META_BYTES).await?;
                let parsed: MessageRequest = serde_json::from_slice(&bytes).map_err(|e| {
                    if e.is_data() {
                        AppError::invalid("meta", e.to_string())
                    } else {
                        AppError::bad_request(
                            "malformed_json",
                            format!("the meta part is not valid JSON: {e}"),
                        )
                    }
                })?;
                request = Some(settings.enforce(parsed.validate(&user.email, &limits)?)?);
            }
            Some("file") => {
                let name = clean_file_name(field.file_name())?;
                let (file_id, mut sealing) = upload.start_file(state);
                let mut scanned = (!request.as_ref().is_some_and(fully_protected))
                    .then(|| scan.attachment(&name));
                let mut field = field;
                while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
                    total += chunk.len() as u64;
                    if total > state.config.max_upload_bytes {
                        return Err(too_large(state.config.max_upload_bytes));
                    }
                    if let Some(scanned) = &mut scanned {
                        scanned.push(&chunk);
                    }
                    sealing.write(chunk).await?;
                }
                let blob_id = sealing.blob_id().to_owned();
                let size = sealing.finish().await?;
                if let Some(scanned) = scanned {
                    scan.scan_attachment(scanned)
                        .await
                        .map_err(AppError::internal)?;
                }
                upload.files.push(UploadedFile {
                    id: file_id,
                    name,
                    size,
                    blob_id,
                    from_upload: None,
                });
            }
            Some(other) => {
                return Err(AppError::bad_request(
                    "unknown_part",
                    format!("unexpected part '{other}': send one 'meta' part and 'file' parts"),
                ));
            }
            None => {
                return Err(AppError::bad_request(
                    "unknown_part",
                    "every part needs a name ('meta' or 'file')",
                ));
            }
        }
    }
    let request = request.ok_or_else(|| AppError::invalid("meta", "the meta part is missing"))?;
    let created = finish(
        state, &user, &settings, request, upload, scan, total, client,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// What every client's message goes through once its files are in: the outsider rule, the finished
/// resumable uploads (checked, scanned), the content policy, and `intake::store`. The JSON API and the
/// browser sender's page (`/send`) both end here.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn finish(
    state: &AppState,
    user: &zegel_store::tenants::User,
    settings: &zegel_core::settings::TenantSettings,
    request: ValidatedMessage,
    mut upload: Upload,
    mut scan: IntakeScan,
    mut total: u64,
    client: zegel_service::ClientInfo,
) -> Result<Created, AppError> {
    // Someone outside the organisation (a browser sender of `/send`) writes to its own people only.
    let domains = zegel_store::tenants::domains(&state.db, &user.tenant_id).await?;
    if let Some(outside) = zegel_service::senders::outside_recipient(
        settings,
        &domains,
        &user.email,
        request.recipients.iter().map(|r| r.email.as_str()),
    ) {
        return Err(AppError::Forbidden(format!(
            "from outside the organisation you can send to its own addresses only, not to {outside}"
        )));
    }
    // Finished resumable uploads follow the file parts: checked (complete, the sender's, unexpired),
    // scanned from their sealed blobs like any attachment, and taken in the message's transaction.
    let owner = zegel_store::uploads::Owner::Sender(user.id.clone());
    for (i, id) in request.uploads.iter().enumerate() {
        let prepared =
            zegel_service::uploads::prepare(state, &owner, id, &format!("uploads[{i}]")).await?;
        total += prepared.size;
        if total > state.config.max_upload_bytes {
            return Err(too_large(state.config.max_upload_bytes));
        }
        if !fully_protected(&request) {
            let mut scanned = scan.attachment(&prepared.name);
            if scanned.wants(prepared.size) {
                let mut plain = std::pin::pin!(zegel_service::uploads::plaintext(
                    state,
                    &user.tenant_id,
                    &prepared
                ));
                while let Some(chunk) = plain.next().await {
                    match chunk {
                        Ok(chunk) => scanned.push(&chunk),
                        // Taken by a parallel message or deleted while it was read: refused like a
                        // used one.
                        Err(_)
                            if !zegel_service::uploads::still_there(state, &owner, id).await? =>
                        {
                            return Err(AppError::invalid(
                                format!("uploads[{i}]"),
                                "no such upload (or it expired or was used)",
                            ));
                        }
                        Err(error) => return Err(AppError::internal(error)),
                    }
                }
            } else {
                // Past the scan limit nothing of it would be kept: it is not read (nor decrypted).
                scanned.skip(prepared.size);
            }
            scan.scan_attachment(scanned)
                .await
                .map_err(AppError::internal)?;
        }
        upload.add_upload(prepared);
    }
    if !fully_protected(&request) {
        let texts = ScanInput {
            subject: request.subject.clone(),
            body_text: request.body_text.clone(),
            body_html: request.body_html.clone(),
            ..ScanInput::default()
        };
        let recipients = request.recipients.iter().map(|r| r.email.clone()).collect();
        let decision = scan
            .decide(
                settings.content_filter_policy(),
                texts,
                recipients,
                settings.internal_domains.clone(),
            )
            .await
            .map_err(AppError::internal)?;
        check_policy(&decision, &request)?;
    }
    let files = upload.files.clone();
    let origin = Origin {
        actor: format!("sender:{}", user.email),
        ip: client.ip,
        user_agent: client.user_agent,
        ..Origin::default()
    };
    let stored = store(state, user, settings, &request, upload, &origin).await?;
    let missing = stored.missing;
    let auth = request.auth.as_ref();
    let body = Created {
        expires_at: jiff::Timestamp::from_millisecond(stored.expires_at)
            .map(|t| t.to_string())
            .unwrap_or_default(),
        // The names recipients will see (the sealed names stay as given).
        files: files
            .iter()
            .map(|f| CreatedFile {
                id: f.id.clone(),
                name: zegel_core::file_name::display_name(&f.name),
                size: f.size,
            })
            .collect(),
        id: stored.id,
        kind: request.kind,
        level: auth.map(|a| a.level),
        status: if missing.is_empty() {
            CreatedStatus::Sent
        } else {
            CreatedStatus::NeedsPhoneNumbers
        },
        missing_phone_numbers: missing,
        notification: stored.notification,
        password: stored.shown_password,
        recipients: request
            .recipients
            .iter()
            .map(|r| CreatedRecipient {
                email: r.email.clone(),
                kind: r.kind,
            })
            .collect(),
    };
    Ok(body)
}

async fn read_limited(mut field: Field<'_>, limit: usize) -> Result<Vec<u8>, AppError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
        if bytes.len() + chunk.len() > limit {
            return Err(AppError::TooLarge(format!(
                "the meta part is larger than {limit} bytes"
            )));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

fn too_large(limit: u64) -> AppError {
    AppError::TooLarge(format!(
        "the upload is larger than the limit of {limit} bytes"
    ))
}

fn multipart_error(error: MultipartError) -> AppError {
    let status = error.status();
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::TooLarge(error.body_text())
    } else {
        AppError::bad_request(
            "malformed_multipart",
            format!("the multipart body is malformed: {}", error.body_text()),
        )
    }
}
