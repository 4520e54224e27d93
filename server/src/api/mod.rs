//! The JSON API under `/api/v1`: senders create messages; recipients' actions for non-HTML clients.

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::middleware::from_fn;
use axum::routing::{get, head, post};

use crate::state::AppState;

/// Recipient actions as JSON.
pub mod access;
/// The audit trail export for tenant admins.
pub mod audit;
/// Creating messages.
pub mod messages;
/// The OpenAPI document of this API.
pub mod openapi;
/// Phone numbers and unlocking (two-factor access).
pub mod phones;
/// Upload portals: the admin's pages, and visitors sending files.
pub mod portals;
/// Upload requests: asking for files, and answering.
pub mod requests;
/// The content filter as a service.
pub mod scan;
/// Senders from the browser prove their address.
pub mod senders;
/// Tenant settings: the admin API and what senders see.
pub mod settings;
/// What a client may learn before sign-in (whether a domain's tenant forces protection).
pub mod signin;
/// Log & block: a sender's messages, their status, blocking and deleting.
pub mod tracking;
/// Resumable uploads (tus 1.0.0).
pub mod uploads;

/// The API routes. `max_upload_bytes` bounds the message upload body.
pub fn router(max_upload_bytes: u64) -> Router<AppState> {
    // Multipart bodies carry the files; the limit here is the whole upload plus room for the meta part.
    let upload_limit =
        usize::try_from(max_upload_bytes.saturating_add(16 * 1024 * 1024)).unwrap_or(usize::MAX);
    Router::new()
        .route(
            "/api/v1/messages",
            post(messages::create).layer(DefaultBodyLimit::max(upload_limit)),
        )
        .route(
            "/api/v1/scan",
            post(scan::scan).layer(DefaultBodyLimit::max(
                scan::MAX_JSON_SCAN_BYTES.max(scan::MAX_SCAN_BYTES + 1024 * 1024),
            )),
        )
        .route("/api/v1/messages/{id}/phones", post(phones::supply))
        .route("/api/v1/messages/{id}/unlock", post(phones::unlock))
        .route("/api/v1/messages", get(tracking::list))
        .route(
            "/api/v1/messages/{id}",
            get(tracking::show).delete(tracking::delete),
        )
        .route("/api/v1/messages/{id}/block", post(tracking::block))
        .route("/api/v1/messages/{id}/unblock", post(tracking::unblock))
        .route("/api/v1/admin/audit", get(audit::export))
        .route("/api/v1/recipients/{email}/phone", get(phones::known))
        .route(
            "/api/v1/admin/recipients/{email}/phone",
            axum::routing::put(phones::admin_set).delete(phones::admin_remove),
        )
        .route("/api/v1/access/{token}/challenge", post(access::challenge))
        .route("/api/v1/access/{token}/verify", post(access::verify))
        .route("/api/v1/access/{token}/logout", post(access::logout))
        .route("/api/v1/access/{token}/message", get(access::message))
        .route("/api/v1/access/{token}/replies", post(access::reply))
        .route(
            "/api/v1/access/{token}/conversation",
            get(access::conversation),
        )
        .route(
            "/api/v1/messages/{id}/conversation",
            get(tracking::conversation),
        )
        .route(
            "/api/v1/access/{token}/files/{file_id}",
            post(access::file).get(access::download_needs_post),
        )
        .route(
            "/api/v1/access/{token}/files.zip",
            post(access::zip).get(access::zip_needs_post),
        )
        .route("/api/v1/settings", get(settings::for_sender))
        .route("/api/v1/policy", get(signin::policy))
        .route(
            "/api/v1/admin/settings",
            get(settings::get_settings)
                .put(settings::put_settings)
                .patch(settings::patch_settings),
        )
        .route("/api/v1/admin/settings/versions", get(settings::versions))
        .route(
            "/api/v1/admin/settings/versions/{version}",
            get(settings::version),
        )
        // tus: each handler checks and answers the protocol's version (an unrouted method stays a 405).
        .route(
            "/api/v1/uploads",
            post(uploads::create.layer(from_fn(uploads::tus_headers)))
                .options(uploads::options.layer(from_fn(uploads::tus_headers))),
        )
        .route(
            "/api/v1/uploads/{id}",
            head(uploads::head.layer(from_fn(uploads::tus_headers)))
                .patch(uploads::patch.layer(from_fn(uploads::tus_headers)))
                .delete(uploads::delete.layer(from_fn(uploads::tus_headers))),
        )
        .route("/api/v1/upload-requests", post(requests::create))
        .route("/api/v1/upload-requests/{id}", get(requests::show))
        .route(
            "/api/v1/upload-requests/{id}/files/{file_id}",
            get(requests::file),
        )
        .route("/api/v1/upload-requests/{id}/files.zip", get(requests::zip))
        .route(
            "/api/v1/upload-requests/access/{token}",
            get(requests::page),
        )
        .route(
            "/api/v1/upload-requests/access/{token}/challenge",
            post(requests::challenge),
        )
        .route(
            "/api/v1/upload-requests/access/{token}/verify",
            post(requests::verify),
        )
        .route(
            "/api/v1/upload-requests/access/{token}/submit",
            post(requests::submit),
        )
        .route(
            "/api/v1/admin/upload-portals",
            get(portals::list).post(portals::create),
        )
        .route(
            "/api/v1/admin/upload-portals/{id}",
            get(portals::show)
                .patch(portals::update)
                .delete(portals::delete),
        )
        .route("/api/v1/portals/{slug}", get(portals::page))
        .route("/api/v1/portals/{slug}/challenge", post(portals::challenge))
        .route("/api/v1/portals/{slug}/verify", post(portals::verify))
        .route("/api/v1/portals/{slug}/submit", post(portals::submit))
        .route("/api/v1/senders/challenge", post(senders::challenge))
        .route("/api/v1/senders/verify", post(senders::verify))
        .route("/api/v1/senders/logout", post(senders::logout))
        .route("/api/v1/openapi.json", get(openapi::serve))
}
