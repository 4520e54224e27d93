//! `POST /api/v1/messages`: a sender's message becomes sealed blobs, sealed rows and one notification per
//! recipient in the outbox — all or nothing.
//!
//! The body is multipart: a `meta` part (JSON, [`MessageRequest`]) and `file` parts, streamed into the
//! blob store while they arrive. Any failure (bad meta, a broken upload, a database error) removes every
//! blob written so far and leaves no row behind.

use axum::Json;
use axum::extract::multipart::{Field, MultipartError, MultipartRejection};
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use serde_json::{Value, json};
use zegel_core::message::{MessageRequest, RequestLimits, ValidatedMessage};
use zegel_core::{AuthLevel, Deliver};
use zegel_crypto::DataKey;

use crate::auth::Sender;
use crate::blobs::{LocalBlobs, SealContext};
use crate::db::audit::{self, AuditEvent};
use crate::db::messages::{self, FileRow, NewMessage, NewRecipient};
use crate::delivery::{self, NotifySpec};
use crate::error::AppError;
use crate::sealing::{MessageContent, field, seal_field};
use crate::state::AppState;

/// The largest `meta` part.
const MAX_META_BYTES: usize = zegel_core::message::MAX_BODY_BYTES + 1024 * 1024;
/// The longest file name kept (in characters).
const MAX_FILE_NAME_CHARS: usize = 255;

/// Blobs written by a request that are removed unless the request succeeds.
struct PendingBlobs {
    blobs: LocalBlobs,
    ids: Vec<String>,
    armed: bool,
}

impl Drop for PendingBlobs {
    fn drop(&mut self) {
        if self.armed {
            self.blobs.delete(&self.ids);
        }
    }
}

struct UploadedFile {
    id: String,
    name: String,
    size: u64,
    blob_id: String,
}

/// How much of a refused upload is still read (and thrown away) so the client sees the error response
/// instead of a reset connection; a client that keeps sending past this is cut off.
const MAX_DRAIN_BYTES: u64 = 64 * 1024 * 1024;

/// Creates a message.
#[tracing::instrument(skip_all, err, fields(sender = %sender.0.id))]
pub async fn create(
    State(state): State<AppState>,
    sender: Sender,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let mut multipart = multipart.map_err(|rejection| {
        AppError::bad_request(
            "bad_content_type",
            format!(
                "send multipart/form-data with a meta part: {}",
                rejection.body_text()
            ),
        )
    })?;
    let result = create_from(&state, sender, &mut multipart).await;
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
    multipart: &mut Multipart,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let user = sender.0;
    let message_id = zegel_crypto::random_id();
    let key = DataKey::generate();
    let keyring = state.keys.keyring();
    // The tenant's settings decide the defaults and maxima, and which options exist at all.
    let settings = crate::settings::effective(state, &user.tenant_id).await?;
    let limits: RequestLimits = settings.request_limits();
    let mut pending = PendingBlobs {
        blobs: state.blobs.clone(),
        ids: Vec::new(),
        armed: true,
    };
    let mut request: Option<ValidatedMessage> = None;
    let mut files: Vec<UploadedFile> = Vec::new();
    let mut total: u64 = 0;

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
                let file_id = zegel_crypto::random_id();
                let ctx = SealContext {
                    tenant: user.tenant_id.clone(),
                    message: message_id.clone(),
                    file: file_id.clone(),
                };
                let mut upload = state.blobs.start_upload(keyring.clone(), &key, ctx);
                pending.ids.push(upload.blob_id.clone());
                let mut field = field;
                while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
                    total += chunk.len() as u64;
                    if total > state.config.max_upload_bytes {
                        return Err(too_large(state.config.max_upload_bytes));
                    }
                    upload.write(chunk).await?;
                }
                let blob_id = upload.blob_id.clone();
                let size = upload.finish().await?;
                files.push(UploadedFile {
                    id: file_id,
                    name,
                    size,
                    blob_id,
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

    let auth = request.auth.clone();
    let two_factor = auth.as_ref().is_some_and(|a| a.level == AuthLevel::TwoFa);
    // Two-factor recipients need a mobile number: the one the sender gives (which replaces a remembered
    // one), else the remembered one. Without either, the message is held until the sender supplies it.
    let mut numbers: Vec<Option<String>> = Vec::with_capacity(request.recipients.len());
    let mut given: Vec<(String, String)> = Vec::new();
    if two_factor {
        let country = crate::settings::sms_default_country(state, &user.tenant_id).await?;
        for (i, recipient) in request.recipients.iter().enumerate() {
            let number = match recipient.phone.as_deref().filter(|p| !p.trim().is_empty()) {
                Some(raw) => {
                    let e164 = crate::phones::normalize(raw, &country).map_err(|e| {
                        AppError::invalid(
                            format!("recipients[{i}].phone"),
                            format!("{}: {e}", recipient.email),
                        )
                    })?;
                    given.push((recipient.email.clone(), e164.clone()));
                    Some(e164)
                }
                None => crate::phones::remembered(state, &user.tenant_id, &recipient.email)
                    .await
                    .map_err(AppError::internal)?,
            };
            numbers.push(number);
        }
    } else if let Some(i) = request.recipients.iter().position(|r| r.phone.is_some()) {
        return Err(AppError::invalid(
            format!("recipients[{i}].phone"),
            "phone numbers are for 2fa messages only",
        ));
    }
    let missing: Vec<String> = request
        .recipients
        .iter()
        .zip(numbers.iter().chain(std::iter::repeat(&None)))
        .filter(|(_, number)| two_factor && number.is_none())
        .map(|(r, _)| r.email.clone())
        .collect();
    // The password a recipient will need: a generated one told by the sender is returned once; a
    // custom one is kept as a hash, and sealed too when Zegel must e-mail it.
    let mut shown_password = None;
    let (password_hash, sealed_password) = match &auth {
        Some(auth) => match (&auth.custom_password, auth.deliver) {
            (None, Deliver::Email) => (None, None),
            (None, Deliver::Other) => {
                let password = zegel_crypto::generated_password();
                let hash = zegel_crypto::hash_password(&password);
                shown_password = Some(password);
                (Some(hash), None)
            }
            (Some(custom), Deliver::Email) => (
                Some(zegel_crypto::hash_password(custom)),
                Some(seal_field(
                    &keyring,
                    &key,
                    &user.tenant_id,
                    &message_id,
                    field::PASSWORD,
                    custom.as_bytes(),
                )),
            ),
            (Some(custom), Deliver::Other) => (Some(zegel_crypto::hash_password(custom)), None),
        },
        None => (None, None),
    };

    let now = state.now_ms();
    let expires_at = now + i64::from(request.expires_in_days) * 86_400_000;
    let content = MessageContent {
        subject: request.subject.clone(),
        body_text: request.body_text.clone(),
        body_html: request.body_html.clone(),
    };
    let content_json = serde_json::to_vec(&content).expect("content serialises");
    let message = NewMessage {
        id: message_id.clone(),
        tenant_id: user.tenant_id.clone(),
        sender_id: user.id.clone(),
        kind: request.kind.as_str().to_owned(),
        auth_level: auth.as_ref().map(|a| a.level.as_str().to_owned()),
        deliver: auth.as_ref().map(|a| a.deliver.as_str().to_owned()),
        password_hash,
        sealed_password,
        language: request.language.code().to_owned(),
        wrapped_key: keyring.wrap(&key).to_vec(),
        sealed_content: seal_field(
            &keyring,
            &key,
            &user.tenant_id,
            &message_id,
            field::CONTENT,
            &content_json,
        ),
        max_downloads: request.max_downloads.map(i64::from),
        status: if missing.is_empty() { "active" } else { "held" }.to_owned(),
        created_at: now,
        expires_at,
    };
    let file_rows: Vec<FileRow> = files
        .iter()
        .enumerate()
        .map(|(position, file)| FileRow {
            id: file.id.clone(),
            message_id: message_id.clone(),
            position: position as i64,
            sealed_name: seal_field(
                &keyring,
                &key,
                &user.tenant_id,
                &message_id,
                &field::file_name(&file.id),
                file.name.as_bytes(),
            ),
            size: file.size as i64,
            blob_id: file.blob_id.clone(),
            blocked: false,
        })
        .collect();

    let mut recipients = Vec::with_capacity(request.recipients.len());
    let mut phones = Vec::new();
    for (i, recipient) in request.recipients.iter().enumerate() {
        let recipient_id = zegel_crypto::random_id();
        if let Some(Some(number)) = numbers.get(i) {
            let field = crate::phones::field(&recipient_id);
            phones.push((
                recipient_id.clone(),
                seal_field(
                    &keyring,
                    &key,
                    &user.tenant_id,
                    &message_id,
                    &field,
                    number.as_bytes(),
                ),
            ));
        }
        recipients.push(NewRecipient {
            id: recipient_id,
            message_id: message_id.clone(),
            email: recipient.email.clone(),
            kind: recipient.kind.as_str().to_owned(),
            // A placeholder nobody holds the token of: each notification sets a fresh one.
            token_hash: zegel_crypto::hash_token(&zegel_crypto::random_token()).to_vec(),
        });
    }
    let spec = NotifySpec {
        language: request.language,
        kind: request.kind,
        subject: request.subject.clone(),
        body_text: request.body_text.clone(),
        sender_email: user.email.clone(),
        expires_at,
        settings: settings.clone(),
    };

    // Blobs go into place first: a crash after this leaves only unreferenced ciphertext, never a row
    // pointing at a missing blob.
    state.blobs.commit(&pending.ids)?;
    let mut tx = state.db.pool.begin().await?;
    messages::insert_message(&mut tx, &message, &file_rows, &recipients).await?;
    for (recipient_id, sealed) in &phones {
        crate::db::phones::set_recipient_phone(&mut tx, recipient_id, sealed).await?;
    }
    if missing.is_empty() {
        let all: Vec<(String, String)> = recipients
            .iter()
            .map(|r| (r.id.clone(), r.email.clone()))
            .collect();
        delivery::enqueue_notifications(&mut tx, state, &keyring, &spec, &all, now).await?;
    } else {
        delivery::enqueue_phone_request(
            &mut tx,
            state,
            &keyring,
            &message_id,
            &spec,
            &missing,
            &[],
            now,
        )
        .await?;
    }
    tx.commit().await?;
    pending.armed = false;
    for (email, e164) in &given {
        crate::phones::remember(state, &user.tenant_id, email, e164)
            .await
            .map_err(AppError::internal)?;
    }
    state.outbox_wakeup.notify_one();
    audit::append(
        &state.db,
        now,
        &AuditEvent {
            tenant_id: Some(&user.tenant_id),
            message_id: Some(&message_id),
            actor: format!("sender:{}", user.email),
            event: if missing.is_empty() {
                "message.created"
            } else {
                "message.held"
            },
            ..Default::default()
        },
    )
    .await?;

    let mut body = json!({
        "id": message_id,
        "status": if missing.is_empty() { "sent" } else { "needs_phone_numbers" },
        "kind": request.kind,
        "level": auth.as_ref().map(|a| a.level),
        "expires_at": jiff::Timestamp::from_millisecond(expires_at).map(|t| t.to_string()).unwrap_or_default(),
        "recipients": request.recipients.iter().map(|r| json!({"email": r.email, "kind": r.kind})).collect::<Vec<_>>(),
        "files": files.iter().map(|f| json!({"id": f.id, "name": f.name, "size": f.size})).collect::<Vec<_>>(),
    });
    if let Some(password) = shown_password {
        body["password"] = Value::String(password);
    }
    if !missing.is_empty() {
        body["missing_phone_numbers"] = json!(missing);
    }
    Ok((StatusCode::CREATED, Json(body)))
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

fn clean_file_name(name: Option<&str>) -> Result<String, AppError> {
    let name = name.ok_or_else(|| AppError::invalid("file", "every file part needs a filename"))?;
    // Browsers may send a path; only the last component is the name. Control characters never belong
    // in a name that ends up in a Content-Disposition header and a ZIP entry.
    let base = name.rsplit(['/', '\\']).next().unwrap_or("").trim();
    if base.is_empty() || base == "." || base == ".." {
        return Err(AppError::invalid(
            "file",
            format!("'{name}' is not a usable file name"),
        ));
    }
    if base.chars().any(char::is_control) {
        return Err(AppError::invalid(
            "file",
            "file names must not contain control characters",
        ));
    }
    if base.chars().count() > MAX_FILE_NAME_CHARS {
        return Err(AppError::invalid(
            "file",
            format!("file names are limited to {MAX_FILE_NAME_CHARS} characters"),
        ));
    }
    Ok(base.to_owned())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_cleaned() {
        assert_eq!(
            clean_file_name(Some("C:\\Users\\jan\\brief.pdf")).unwrap(),
            "brief.pdf"
        );
        assert_eq!(clean_file_name(Some("../../etc/passwd")).unwrap(), "passwd");
        assert_eq!(
            clean_file_name(Some("rapport 2024 (def).docx")).unwrap(),
            "rapport 2024 (def).docx"
        );
        assert!(clean_file_name(None).is_err());
        assert!(clean_file_name(Some("dir/")).is_err());
        assert!(clean_file_name(Some("a\r\nb.txt")).is_err());
        assert!(clean_file_name(Some(&"x".repeat(300))).is_err());
    }
}
