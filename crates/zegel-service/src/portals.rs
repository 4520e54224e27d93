//! Upload portals (seed 001 §6.2): the admin's long-lived pages where anyone sends files to the
//! organisation.
//!
//! A visit is a message of purpose `portal_visit` whose one recipient is the visitor: the code mailed
//! to the address they give, its throttles and locks, and the session it opens are every recipient's
//! (`access`), and its row expires and is shredded like any message. Before a code is sent, two counted
//! windows (per client address and per visitor address, one upsert each) hold back floods. The files
//! are delivered by [`requests::receive`](crate::requests::receive) to the portal's recipients: never
//! to anyone outside the organisation's domains.

use zegel_core::message::{ValidatedAuth, ValidatedMessage, ValidatedRecipient};
use zegel_core::portal::{
    Portal, PortalChoice, PortalDocument, PortalPage, PortalSubmission, PortalTo,
};
use zegel_core::upload_request::Submitted;
use zegel_core::{AuthLevel, Deliver, Language, MessageKind, RecipientKind};
use zegel_store::messages::{Access, Purpose};
use zegel_store::portals::{self as store, PortalRow, Updated};
use zegel_store::requests::RequestLimits;

use crate::access::{self, AccessError};
use crate::intake::{self, Origin};
use crate::requests::{self, Delivery};
use crate::{ClientInfo, ServiceError, Services};

/// How long a visit (its code and session) lasts at most.
pub const VISIT_DAYS: u32 = 1;
/// Codes one client address may ask for, per hour, across every portal.
pub const CHALLENGES_PER_IP_HOUR: i64 = 30;
/// Codes one visitor address may ask for on one portal, per hour.
pub const CHALLENGES_PER_ADDRESS_HOUR: i64 = 10;
const HOUR_MS: i64 = 3_600_000;

/// A portal with its document read.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The stored row.
    pub row: PortalRow,
    /// Its document.
    pub document: PortalDocument,
}

fn load(row: PortalRow) -> Result<Loaded, ServiceError> {
    let document = serde_json::from_str(&row.document).map_err(ServiceError::internal)?;
    Ok(Loaded { row, document })
}

fn rfc3339(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

fn answer(state: &Services, loaded: Loaded) -> Portal {
    Portal {
        id: loaded.row.id,
        url: format!("{}/p/{}", state.site.base_url(), loaded.row.slug),
        document: loaded.document,
        created_at: rfc3339(loaded.row.created_at),
        updated_at: rfc3339(loaded.row.updated_at),
    }
}

fn invalid(error: zegel_core::message::RequestError) -> ServiceError {
    ServiceError::invalid(error.field, error.message)
}

async fn validated(
    state: &Services,
    tenant_id: &str,
    mut document: PortalDocument,
    max_upload_bytes: u64,
) -> Result<PortalDocument, ServiceError> {
    let domains = zegel_store::tenants::domains(&state.db, tenant_id).await?;
    document
        .validate(&domains, max_upload_bytes)
        .map_err(invalid)?;
    Ok(document)
}

async fn audit(
    state: &Services,
    tenant_id: &str,
    actor: String,
    event: &str,
    portal_id: &str,
) -> Result<(), ServiceError> {
    zegel_store::audit::append(
        &state.db,
        state.now_ms(),
        &zegel_store::audit::AuditEvent {
            tenant_id: Some(tenant_id),
            actor,
            event,
            detail: Some(format!("portal:{portal_id}")),
            ..Default::default()
        },
    )
    .await?;
    Ok(())
}

/// Every portal of the admin's tenant.
pub async fn list(state: &Services, tenant_id: &str) -> Result<Vec<Portal>, ServiceError> {
    store::list(&state.db, tenant_id)
        .await?
        .into_iter()
        .map(|row| load(row).map(|l| answer(state, l)))
        .collect()
}

/// One portal of the admin's tenant (`NotFound` for another tenant's).
pub async fn get(state: &Services, tenant_id: &str, id: &str) -> Result<Portal, ServiceError> {
    let row = store::get(&state.db, tenant_id, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    Ok(answer(state, load(row)?))
}

/// Makes a portal.
pub async fn create(
    state: &Services,
    admin: &zegel_store::tenants::User,
    document: PortalDocument,
    max_upload_bytes: u64,
) -> Result<Portal, ServiceError> {
    let document = validated(state, &admin.tenant_id, document, max_upload_bytes).await?;
    let now = state.now_ms();
    let row = PortalRow {
        id: zegel_crypto::random_id(),
        tenant_id: admin.tenant_id.clone(),
        slug: document.slug.clone(),
        document: serde_json::to_string(&document).map_err(ServiceError::internal)?,
        created_by: admin.id.clone(),
        created_at: now,
        updated_at: now,
    };
    if !store::insert(&state.db, &row).await? {
        return Err(ServiceError::Conflict(format!(
            "the address /p/{} is taken: choose another slug",
            document.slug
        )));
    }
    audit(
        state,
        &admin.tenant_id,
        format!("admin:{}", admin.email),
        "portal.created",
        &row.id,
    )
    .await?;
    Ok(answer(state, Loaded { row, document }))
}

/// Changes a portal: the fields of `patch` replace the document's (a JSON merge of the top level).
pub async fn update(
    state: &Services,
    admin: &zegel_store::tenants::User,
    id: &str,
    patch: serde_json::Map<String, serde_json::Value>,
    max_upload_bytes: u64,
) -> Result<Portal, ServiceError> {
    let row = store::get(&state.db, &admin.tenant_id, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let mut merged: serde_json::Value =
        serde_json::from_str(&row.document).map_err(ServiceError::internal)?;
    if let Some(object) = merged.as_object_mut() {
        object.extend(patch);
    }
    let document: PortalDocument = serde_json::from_value(merged)
        .map_err(|e| ServiceError::bad_request("invalid_json", e.to_string()))?;
    let document = validated(state, &admin.tenant_id, document, max_upload_bytes).await?;
    let json = serde_json::to_string(&document).map_err(ServiceError::internal)?;
    let now = state.now_ms();
    match store::update(&state.db, &admin.tenant_id, id, &document.slug, &json, now).await? {
        Updated::Saved => {}
        Updated::Missing => return Err(ServiceError::NotFound),
        Updated::SlugTaken => {
            return Err(ServiceError::Conflict(format!(
                "the address /p/{} is taken: choose another slug",
                document.slug
            )));
        }
    }
    audit(
        state,
        &admin.tenant_id,
        format!("admin:{}", admin.email),
        "portal.updated",
        id,
    )
    .await?;
    get(state, &admin.tenant_id, id).await
}

/// Removes a portal: its page is gone at once; files already sent through it stay with their
/// recipients.
pub async fn delete(
    state: &Services,
    admin: &zegel_store::tenants::User,
    id: &str,
) -> Result<(), ServiceError> {
    if !store::delete(&state.db, &admin.tenant_id, id).await? {
        return Err(ServiceError::NotFound);
    }
    audit(
        state,
        &admin.tenant_id,
        format!("admin:{}", admin.email),
        "portal.deleted",
        id,
    )
    .await
}

/// The portal at `/p/<slug>`.
pub async fn by_slug(state: &Services, slug: &str) -> Result<Loaded, ServiceError> {
    if !zegel_core::portal::valid_slug(slug) {
        return Err(ServiceError::NotFound);
    }
    let row = store::by_slug(&state.db, slug)
        .await?
        .ok_or(ServiceError::NotFound)?;
    load(row)
}

/// What the visitor's page shows, in `language`.
pub fn page(
    loaded: &Loaded,
    language: Language,
    organisation: &str,
    max_upload: u64,
) -> PortalPage {
    let document = &loaded.document;
    PortalPage {
        title: document.title.clone(),
        intro: document.intro.get(language).to_owned(),
        organisation: organisation.to_owned(),
        to: document.to,
        recipients: if document.to == PortalTo::Choose {
            document
                .recipients
                .iter()
                .map(|r| PortalChoice {
                    email: r.email.clone(),
                    name: if r.name.is_empty() {
                        r.email.clone()
                    } else {
                        r.name.clone()
                    },
                })
                .collect()
        } else {
            Vec::new()
        },
        allowed_domains: if document.to == PortalTo::Free {
            document.allowed_domains.clone()
        } else {
            Vec::new()
        },
        allowed_types: document.allowed_types.clone(),
        max_files: document.max_files,
        max_bytes: document.max_bytes.unwrap_or(max_upload),
    }
}

/// What a visit may upload: the portal's files and bytes.
pub fn limits(document: &PortalDocument, max_upload: u64) -> RequestLimits {
    RequestLimits {
        allowed_types: document
            .allowed_types
            .iter()
            .map(|t| t.as_str())
            .collect::<Vec<_>>()
            .join(","),
        max_files: i64::from(document.max_files),
        max_bytes: i64::try_from(document.max_bytes.unwrap_or(max_upload)).unwrap_or(i64::MAX),
    }
}

fn email_hash(email: &str) -> String {
    zegel_crypto::hash_token(&email.trim().to_lowercase())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Counts a code request against the client address's and the visitor address's hourly windows.
async fn throttle(
    state: &Services,
    portal_id: &str,
    hash: &str,
    client: &ClientInfo,
) -> Result<(), ServiceError> {
    let window = state.now_ms() / HOUR_MS * HOUR_MS;
    let refused = || {
        ServiceError::TooManyRequests(
            "too many codes asked for from here or for this address; try again in an hour".into(),
        )
    };
    if let Some(ip) = &client.ip
        && store::hit(&state.db, &format!("portal-ip:{ip}"), window).await? > CHALLENGES_PER_IP_HOUR
    {
        return Err(refused());
    }
    if store::hit(
        &state.db,
        &format!("portal-address:{portal_id}:{hash}"),
        window,
    )
    .await?
        > CHALLENGES_PER_ADDRESS_HOUR
    {
        return Err(refused());
    }
    Ok(())
}

/// The visitor of a visit (its one recipient).
async fn visitor(state: &Services, visit_id: &str) -> Result<Access, ServiceError> {
    let recipients = zegel_store::tracking::recipients(&state.db, visit_id).await?;
    let first = recipients.first().ok_or(ServiceError::NotFound)?;
    zegel_store::messages::access_by_recipient(&state.db, &first.id)
        .await?
        .ok_or(ServiceError::NotFound)
}

/// Starts (or continues) a visit for `email` and mails them a six-digit code.
pub async fn challenge(
    state: &Services,
    loaded: &Loaded,
    email: &str,
    language: Language,
    client: &ClientInfo,
) -> Result<(), ServiceError> {
    let hash = email_hash(email);
    throttle(state, &loaded.row.id, &hash, client).await?;
    let now = state.now_ms();
    let visit_id = match store::open_visit(&state.db, &loaded.row.id, &hash, now).await? {
        Some(id) => id,
        None => start_visit(state, loaded, email, &hash, language, client).await?,
    };
    let access = visitor(state, &visit_id).await?;
    match access::challenge(state, &access, client).await {
        Ok(_) => Ok(()),
        Err(AccessError::TooManySends) => Err(ServiceError::TooManyRequests(format!(
            "at most {} codes per hour; try again later",
            access::MAX_SENDS_PER_HOUR
        ))),
        Err(AccessError::Locked) => Err(ServiceError::Forbidden(
            "too many wrong codes for this address; try again tomorrow".into(),
        )),
        Err(AccessError::Internal(cause)) => Err(ServiceError::internal(cause)),
        Err(_) => Err(ServiceError::NotFound),
    }
}

async fn start_visit(
    state: &Services,
    loaded: &Loaded,
    email: &str,
    hash: &str,
    language: Language,
    client: &ClientInfo,
) -> Result<String, ServiceError> {
    let owner = zegel_store::tenants::user(&state.db, &loaded.row.created_by)
        .await?
        .ok_or_else(|| ServiceError::internal(anyhow::anyhow!("the portal's admin is gone")))?;
    let settings = crate::settings::effective(state, &loaded.row.tenant_id).await?;
    let visit = ValidatedMessage {
        // The visit's subject is the portal's title: the code mail names it.
        subject: loaded.document.title.clone(),
        body_text: None,
        body_html: None,
        recipients: vec![ValidatedRecipient {
            email: email.to_owned(),
            kind: RecipientKind::To,
            phone: None,
        }],
        kind: MessageKind::SecureMessage,
        auth: Some(ValidatedAuth {
            level: AuthLevel::OneFa,
            custom_password: None,
            deliver: Deliver::Email,
        }),
        expires_in_days: VISIT_DAYS,
        max_downloads: None,
        language,
        notify: None,
        uploads: Vec::new(),
        confirm_to_sender: Some(false),
        notify_on_download: Some(false),
        file_names_in_notification: false,
    };
    let origin = Origin {
        actor: format!("visitor:{email}"),
        ip: client.ip.clone(),
        user_agent: client.user_agent.clone(),
        one_time_passwords: true,
        purpose: Purpose::PortalVisit,
        portal_visit: Some((loaded.row.id.clone(), hash.to_owned())),
        ..Origin::default()
    };
    let upload = intake::Upload::new(state, &loaded.row.tenant_id);
    let stored = intake::store(state, &owner, &settings, &visit, upload, &origin).await?;
    Ok(stored.id)
}

/// Checks the visitor's code: their recipient id and a new session token. Any failure is
/// [`AccessError::WrongCode`] (or a wait), whether or not the address started a visit.
pub async fn verify(
    state: &Services,
    loaded: &Loaded,
    email: &str,
    code: &str,
    client: &ClientInfo,
) -> Result<(String, String), AccessError> {
    let hash = email_hash(email);
    let visit = store::open_visit(&state.db, &loaded.row.id, &hash, state.now_ms()).await?;
    let Some(visit) = visit else {
        zegel_store::access::claim_try(&state.db, "-", state.now_ms()).await?;
        return Err(AccessError::WrongCode);
    };
    let access = visitor(state, &visit)
        .await
        .map_err(|_| AccessError::Unavailable)?;
    let session = access::verify(state, &access, code, client).await?;
    Ok((access.recipient_id, session))
}

/// Sends the visitor's files to the portal's recipient(s): checked, scanned and delivered once per
/// visit, and the visitor gets a confirmation.
pub async fn submit(
    state: &Services,
    loaded: &Loaded,
    visit: &Access,
    submission: PortalSubmission,
    max_upload: u64,
    client: &ClientInfo,
) -> Result<Submitted, ServiceError> {
    let on_this_portal = store::of_visit(&state.db, &visit.message_id)
        .await?
        .is_some_and(|p| p.id == loaded.row.id);
    if visit.purpose != Purpose::PortalVisit || !on_this_portal {
        return Err(ServiceError::NotFound);
    }
    let staff = loaded
        .document
        .destination(submission.to.as_deref())
        .map_err(invalid)?;
    let delivery = Delivery {
        staff,
        request_id: None,
        portal_id: Some(loaded.row.id.clone()),
    };
    requests::receive(
        state,
        visit,
        &limits(&loaded.document, max_upload),
        &submission.uploads,
        submission.message,
        delivery,
        client,
    )
    .await
}

/// What a visit may upload (for the tus quota), when `access` is a portal visit.
pub async fn upload_limits(
    state: &Services,
    access: &Access,
    max_upload: u64,
) -> Result<Option<RequestLimits>, ServiceError> {
    if access.purpose != Purpose::PortalVisit {
        return Ok(None);
    }
    match store::of_visit(&state.db, &access.message_id).await? {
        Some(row) => Ok(Some(limits(&load(row)?.document, max_upload))),
        None => Ok(None),
    }
}
