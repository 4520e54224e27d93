//! The Zegel server: the sender API, the recipient portal, storage, and the workers that deliver mail.
//!
//! [`app`] builds the whole HTTP application from an [`AppState`]; `main` and the tests both use it.
//! See ARCHITECTURE.md at the repository root for the map.

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderValue, header};
use tower_http::set_header::SetResponseHeaderLayer;

/// The Outlook add-in under `/addin/`: the manifest and the built pane.
pub mod addin;
/// Command-line administration: tenants, tokens, key rotation.
pub mod admin;
/// The admin page at `/admin`.
pub mod admin_page;
/// The JSON API.
pub mod api;
/// Sender authentication.
pub mod auth;
/// `zegel scan`.
pub mod cli_scan;
/// Who made a request (address, user agent) as the services want it.
pub mod client;
/// Configuration.
pub mod config;
/// The dev mailbox pages.
pub mod devbox;
/// The error type of handlers.
pub mod error;
/// The HTTP listener: timeouts and a per-address cap.
pub mod http_server;
/// Logging: one escaped line per event, refused requests without personal data.
pub mod log;
/// Health, readiness and metrics for operators.
pub mod ops;
/// The recipient portal.
pub mod portal;
/// A recipient's session cookie and downloads as HTTP responses.
pub mod recipient;
/// Staff signing in with the organisation's account, to the admin page and to `/send`.
pub mod sign_in;
/// Shared state.
pub mod state;

pub use state::AppState;

use crate::config::Config;
use zegel_store::{Clock, SystemClock};

/// The security headers every response carries unless a handler set its own. The CSP allows scripts
/// from this server only: the portal's one progressive enhancement (`/static/portal.js`, the password
/// show toggle); every page works without it.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Builds the HTTP application.
pub fn app(state: AppState) -> Router {
    let mut router = Router::new()
        .merge(ops::router())
        .merge(api::router(state.config.max_upload_bytes))
        .merge(portal::router())
        .merge(admin_page::router())
        .merge(sign_in::router());
    router = router.merge(devbox::router(
        state.mailer.dev_mailbox().is_some(),
        state.sms.dev_box().is_some(),
    ));
    let hsts = state.config.is_https();
    let router = router
        // Unknown paths get the JSON error shape and, through the layers below, every header.
        .fallback(|| async { error::AppError::NotFound })
        .layer(axum::middleware::from_fn(log::log_refusals))
        .layer(axum::middleware::from_fn(ops::count))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        // After the layers: the pane is framed by Outlook and runs wasm, so it sets its own CSP.
        .merge(addin::router())
        // Headers that hold for every response, the pane's included.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        // Links to messages must never be indexed, wherever they are posted.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::HeaderName::from_static("x-robots-tag"),
            HeaderValue::from_static("noindex, nofollow"),
        ));
    // Over `https://` the browser must never again try the site over plain HTTP.
    let router = if hsts {
        router.layer(SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        ))
    } else {
        router
    };
    router.with_state(state)
}

/// The `Strict-Transport-Security` value when the public URL is `https://`: one year. Subdomains are
/// left out on purpose: they belong to the organisation, not to Zegel.
pub const HSTS: &str = "max-age=31536000";

/// Opens everything the configuration names: data dir, keys, database, blob store, mail transport.
pub async fn build_state(config: Config) -> anyhow::Result<AppState> {
    build_state_with_clock(config, Arc::new(SystemClock)).await
}

/// Like [`build_state`], with a clock of the caller's choosing (tests).
pub async fn build_state_with_clock(
    config: Config,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<AppState> {
    use anyhow::Context as _;
    use secrecy::ExposeSecret;
    let keys = zegel_vault::Keys::load_or_create(
        &config.data_dir,
        config.keyring.as_ref(),
        &config.keyring_file,
        config.token_signing_key.as_ref().map(|key| key.0),
    )?;
    let url = match &config.database_url {
        Some(url) => url.expose_secret().to_owned(),
        None => {
            let file = zegel_store::Db::sqlite_file(&config.data_dir);
            zegel_vault::private_fs::touch(&file)
                .with_context(|| format!("cannot create {}", file.display()))?;
            zegel_store::Db::sqlite_url(&config.data_dir)
        }
    };
    let db = zegel_store::Db::connect(&url)
        .await
        .context("cannot open the database")?;
    let blobs = match &config.blobs {
        config::BlobsConfig::Local(dir) => zegel_vault::Blobs::Local(
            zegel_vault::LocalBlobs::open(dir).context("cannot open the blob store")?,
        ),
        config::BlobsConfig::S3(s3) => zegel_vault::Blobs::S3(
            zegel_vault::s3::S3Blobs::new(s3).context("cannot set up the S3 blob store")?,
        ),
    };
    let mailer = Arc::new(match &config.mail {
        config::MailTransportConfig::Dev => zegel_mail::Mailer::dev(),
        config::MailTransportConfig::Smtp { host, port } => {
            let credentials = config
                .smtp_user
                .as_deref()
                .zip(config.smtp_password.as_ref());
            zegel_mail::Mailer::relay(host, *port, credentials)?
        }
    });
    let next_hop = match &config.gateway.next_hop {
        Some((host, port)) => Arc::new(zegel_mail::Mailer::next_hop(host, *port)?),
        None => mailer.clone(),
    };
    let sms = match &config.sms {
        config::SmsConfig::Dev => {
            zegel_mail::sms::SmsSender::Dev(zegel_mail::sms::DevSmsBox::default())
        }
        config::SmsConfig::Twilio {
            account_sid,
            auth_token,
            from,
            base_url,
        } => zegel_mail::sms::SmsSender::Twilio(zegel_mail::sms::TwilioClient::new(
            base_url,
            account_sid,
            auth_token.clone(),
            from,
        )?),
    };
    let site = zegel_service::Site {
        public_url: config.public_url.clone(),
        mail_from: config.mail_from.clone(),
        timezone: config.timezone.clone(),
    };
    let ocr = zegel_service::scan::Ocr::configure(config.ocr)
        .map_err(|error| anyhow::anyhow!("ZEGEL_OCR=tesseract: {error}"))?;
    let clamd = config.clamd.clone().map(zegel_service::malware::Clamd::new);
    let outbox_lease_ms = i64::try_from(config.outbox_lease.as_millis()).unwrap_or(i64::MAX);
    Ok(AppState {
        config: Arc::new(config),
        services: zegel_service::Services {
            site: Arc::new(site),
            db,
            blobs,
            keys: Arc::new(keys),
            mailer,
            next_hop,
            sms: Arc::new(sms),
            oidc: Arc::new(zegel_service::oidc::OidcKeys::new()),
            outbox_wakeup: Arc::new(tokio::sync::Notify::new()),
            clock,
            readers: zegel_service::scan::Sandbox::current(ocr),
            password_budget: Arc::new(zegel_vault::PasswordBudget::for_this_machine()),
            clamd,
            outbox_lease_ms,
        },
    })
}

/// Installs the process-wide TLS crypto provider (ring) once; lettre and sqlx share it.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
