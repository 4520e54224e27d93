//! A test server: the real application on a loopback port, with the dev mailbox, a manual clock and a
//! throwaway data directory and database.

use std::sync::{Arc, Mutex};

use reqwest::multipart::{Form, Part};
use serde_json::Value;
use tempfile::TempDir;
use zegel_mail::DevMail;
use zegel_server::config::Config;
use zegel_server::{AppState, app, build_state_with_clock};
use zegel_service::intake::{Origin, Upload, store};
use zegel_store::ManualClock;

/// Runs a test body once per backend. PostgreSQL runs when `ZEGEL_TEST_POSTGRES_URL` is set; with
/// `ZEGEL_TEST_REQUIRE_POSTGRES=1` (set by `cargo xtask test`) a missing server is a failure, not a skip.
///
/// `on_both!(name, body)` hands `body` a started [`TestServer`]; `on_both!(name, body, backend)` hands
/// it the [`Backend`], for a body that starts its own servers (a gateway, other settings) with
/// [`TestServer::start_on`]. Either way, once the body returns, every server started on that backend
/// must have drained its outbox (see [`Backend::assert_outboxes_drained`]).
#[macro_export]
macro_rules! on_both {
    ($name:ident, $body:ident) => {
        $crate::on_both!(@tests $name, $body, server);
    };
    ($name:ident, $body:ident, backend) => {
        $crate::on_both!(@tests $name, $body, backend);
    };
    (@tests $name:ident, $body:ident, $takes:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                $crate::on_both!(@run $takes, super::$body, $crate::support::Backend::sqlite());
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                $crate::on_both!(@run $takes, super::$body, $crate::support::Backend::postgres());
            }
        }
    };
    (@run server, $body:path, $backend:expr) => {
        let backend = $backend;
        if let Some(server) = $crate::support::TestServer::start_on(&backend, &[]).await {
            $body(server).await;
        }
        backend.assert_outboxes_drained().await;
    };
    (@run backend, $body:path, $backend:expr) => {
        let backend = $backend;
        $body(backend.clone()).await;
        backend.assert_outboxes_drained().await;
    };
}

/// The database engine a test runs on, and the servers the test started on it.
#[derive(Clone)]
pub(crate) struct Backend {
    postgres: bool,
    started: Arc<Mutex<Vec<OutboxCheck>>>,
}

impl Backend {
    pub(crate) fn sqlite() -> Self {
        Self {
            postgres: false,
            started: Arc::default(),
        }
    }

    pub(crate) fn postgres() -> Self {
        Self {
            postgres: true,
            started: Arc::default(),
        }
    }

    /// After the test body: runs the outbox of every server started on this backend until nothing is
    /// due, and fails when a job is left, waiting for a retry or failed for good. A test that leaves
    /// jobs on purpose says so with [`TestServer::leaves_jobs`].
    pub(crate) async fn assert_outboxes_drained(&self) {
        let checks = std::mem::take(&mut *self.started.lock().unwrap());
        for check in checks {
            check.assert_drained().await;
        }
    }
}

/// What the end-of-test outbox check needs of a server, kept beyond the test body: its state (database,
/// keys, transports) and its data directory.
struct OutboxCheck {
    state: AppState,
    _dir: Arc<TempDir>,
    leaves_jobs: Arc<Mutex<Option<String>>>,
}

impl OutboxCheck {
    async fn assert_drained(self) {
        if self.leaves_jobs.lock().unwrap().is_some() {
            return;
        }
        zegel_outbox::run_once(&self.state.outbox())
            .await
            .expect("the outbox runs at the end of the test");
        use sqlx::Row;
        let left: Vec<String> = sqlx::query(
            "SELECT kind, purpose, attempts, dead, last_error FROM outbox ORDER BY created_at",
        )
        .fetch_all(&self.state.db.pool)
        .await
        .unwrap()
        .iter()
        .map(|row| {
            format!(
                "{} ({}): {} attempts, {}, last error {:?}",
                row.get::<String, _>("kind"),
                row.get::<String, _>("purpose"),
                row.get::<i64, _>("attempts"),
                if row.get::<i64, _>("dead") != 0 {
                    "failed for good"
                } else {
                    "waiting for a retry"
                },
                row.get::<Option<String>, _>("last_error"),
            )
        })
        .collect();
        assert!(
            left.is_empty(),
            "the test left jobs in the outbox (call `leaves_jobs` where that is meant):\n{}",
            left.join("\n")
        );
    }
}

pub(crate) struct TestServer {
    pub state: AppState,
    pub base: String,
    pub client: reqwest::Client,
    pub clock: Arc<ManualClock>,
    pub dir: Arc<TempDir>,
    /// The PostgreSQL database, when not on SQLite (a second instance shares it).
    pub database_url: Option<String>,
    server: tokio::task::JoinHandle<()>,
    /// Why this test leaves jobs in the outbox, when it does on purpose.
    leaves_jobs: Arc<Mutex<Option<String>>>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// A fresh PostgreSQL database for one test, or None when PostgreSQL is not configured.
pub(crate) async fn fresh_postgres_database() -> Option<String> {
    let Ok(admin_url) = std::env::var("ZEGEL_TEST_POSTGRES_URL") else {
        assert!(
            std::env::var("ZEGEL_TEST_REQUIRE_POSTGRES").is_err(),
            "ZEGEL_TEST_REQUIRE_POSTGRES is set but ZEGEL_TEST_POSTGRES_URL is not"
        );
        eprintln!(
            "ZEGEL_TEST_POSTGRES_URL is not set: skipping the PostgreSQL run (cargo xtask test runs it)"
        );
        return None;
    };
    use sqlx::{Connection, Executor};
    let name = format!("zt_{}", zegel_crypto::random_id());
    let mut conn = sqlx::PgConnection::connect(&admin_url)
        .await
        .expect("connect to the test PostgreSQL");
    conn.execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .expect("create test database");
    let (base, _) = admin_url.rsplit_once('/').expect("URL has a database path");
    Some(format!("{base}/{name}"))
}

impl TestServer {
    pub(crate) async fn start_sqlite() -> Self {
        Self::start_with(None, &[]).await
    }

    /// Starts on `backend` with extra `ZEGEL_*` settings, or `None` when PostgreSQL is not configured.
    /// The server's outbox is checked when the test body is done.
    pub(crate) async fn start_on(backend: &Backend, extra: &[(&str, &str)]) -> Option<Self> {
        let database = if backend.postgres {
            Some(fresh_postgres_database().await?)
        } else {
            None
        };
        let server = Self::start_with(database, extra).await;
        backend.started.lock().unwrap().push(OutboxCheck {
            state: server.state.clone(),
            _dir: server.dir.clone(),
            leaves_jobs: server.leaves_jobs.clone(),
        });
        Some(server)
    }

    /// This test leaves jobs in the outbox on purpose (`why`: held, failed for good, waiting for a
    /// retry): the end-of-test check lets them be.
    pub(crate) fn leaves_jobs(&self, why: &str) {
        *self.leaves_jobs.lock().unwrap() = Some(why.to_owned());
    }

    /// Starts with extra `ZEGEL_*` settings.
    pub(crate) async fn start_with(database_url: Option<String>, extra: &[(&str, &str)]) -> Self {
        let dir = Arc::new(TempDir::new().unwrap());
        let data_dir = dir.path().to_owned();
        let clock = Arc::new(ManualClock::new(jiff::Timestamp::now()));
        Self::launch(dir, &data_dir, database_url, extra, clock).await
    }

    /// Another instance of the server on the same database, data directory (keys, blobs) and clock, as
    /// when several run behind a load balancer. Its own dev mailbox stays empty unless it runs the
    /// outbox.
    pub(crate) async fn second_instance(&self) -> Self {
        Self::launch(
            Arc::new(TempDir::new().unwrap()),
            self.dir.path(),
            self.database_url.clone(),
            &[],
            self.clock.clone(),
        )
        .await
    }

    async fn launch(
        dir: Arc<TempDir>,
        data_dir: &std::path::Path,
        database_url: Option<String>,
        extra: &[(&str, &str)],
        clock: Arc<ManualClock>,
    ) -> Self {
        zegel_server::install_crypto_provider();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let base = format!("http://{address}");
        let mut vars: Vec<(String, String)> = vec![
            ("ZEGEL_DATA_DIR".into(), data_dir.display().to_string()),
            ("ZEGEL_LISTEN".into(), address.to_string()),
            ("ZEGEL_PUBLIC_URL".into(), base.clone()),
            ("ZEGEL_DEV".into(), "1".into()),
            ("ZEGEL_MAIL".into(), "dev".into()),
        ];
        if let Some(url) = &database_url {
            vars.push(("ZEGEL_DATABASE_URL".into(), url.clone()));
        }
        vars.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let config = Config::from_sources(None, &|name| {
            // The last value wins: extra settings override the defaults above.
            vars.iter()
                .rev()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        })
        .unwrap();
        let mut state = build_state_with_clock(config, clock.clone()).await.unwrap();
        // The PDF reader and OCR run under `zegel`; here the running executable is the test binary.
        state.readers.program = env!("CARGO_BIN_EXE_zegel").into();
        // The binary's own listener, with its timeouts and per-address cap.
        let app = app(state.clone());
        let limits = state.config.http.clone();
        let server = tokio::spawn(async move {
            zegel_server::http_server::serve(listener, app, limits, std::future::pending()).await;
        });
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self {
            state,
            base,
            client,
            clock,
            dir,
            database_url,
            server,
            leaves_jobs: Arc::default(),
        }
    }

    /// A bearer token for a sender of the tenant owning `zorg.example` (created on first use).
    pub(crate) async fn token(&self, email: &str) -> String {
        let domain = email.rsplit_once('@').unwrap().1;
        if zegel_store::tenants::tenant_for_domain(&self.state.db, domain)
            .await
            .unwrap()
            .is_none()
        {
            zegel_server::admin::add_tenant(
                &self.state,
                &format!("Tenant {domain}"),
                &[domain.to_owned()],
            )
            .await
            .unwrap();
        }
        zegel_server::admin::token(&self.state, email, 1)
            .await
            .unwrap()
    }

    /// Posts a message as `arts@zorg.example`.
    pub(crate) async fn send(&self, meta: &Value, files: &[(&str, Vec<u8>)]) -> reqwest::Response {
        let token = self.token("arts@zorg.example").await;
        self.send_as(&token, Some(meta.to_string()), files).await
    }

    pub(crate) async fn send_as(
        &self,
        token: &str,
        meta: Option<String>,
        files: &[(&str, Vec<u8>)],
    ) -> reqwest::Response {
        let mut form = Form::new();
        if let Some(meta) = meta {
            form = form.part(
                "meta",
                Part::text(meta).mime_str("application/json").unwrap(),
            );
        }
        for (name, bytes) in files {
            form = form.part(
                "file",
                Part::bytes(bytes.clone()).file_name(name.to_string()),
            );
        }
        self.client
            .post(format!("{}/api/v1/messages", self.base))
            .bearer_auth(token)
            .multipart(form)
            .send()
            .await
            .unwrap()
    }

    /// Stores a 1FA secure message to `to` as the SMTP gateway does: its e-mailed passwords are one-time
    /// passwords (a message made through the API has one fixed password, shown to its sender).
    pub(crate) async fn send_one_time(&self, to: &str) {
        self.token("arts@zorg.example").await;
        let state = &self.state;
        let tenant = zegel_store::tenants::tenant_for_domain(&state.db, "zorg.example")
            .await
            .unwrap()
            .unwrap();
        let user = zegel_store::tenants::ensure_user(
            &state.db,
            &tenant.id,
            "arts@zorg.example",
            state.now_ms(),
        )
        .await
        .unwrap();
        let settings = zegel_service::settings::effective(state, &tenant.id)
            .await
            .unwrap();
        let request: zegel_core::MessageRequest =
            serde_json::from_value(secure_message(to)).unwrap();
        let validated = settings
            .enforce(
                request
                    .validate(&user.email, &settings.request_limits())
                    .unwrap(),
            )
            .unwrap();
        let upload = Upload::new(state, &tenant.id);
        let origin = Origin {
            actor: "sender:arts@zorg.example".into(),
            one_time_passwords: true,
            ..Origin::default()
        };
        store(state, &user, &settings, &validated, upload, &origin)
            .await
            .unwrap();
    }

    /// Runs the outbox worker once.
    pub(crate) async fn deliver(&self) -> usize {
        zegel_outbox::run_once(&self.state.outbox()).await.unwrap()
    }

    pub(crate) fn mails(&self) -> Vec<DevMail> {
        self.state.mailer.dev_mailbox().unwrap().all()
    }

    /// The link of the last notification sent to `to`.
    pub(crate) async fn link_for(&self, to: &str) -> String {
        self.deliver().await;
        let mail = self
            .mails()
            .into_iter()
            .rev()
            .find(|m| m.to == to && m.text.contains("/m/"))
            .unwrap_or_else(|| panic!("no notification for {to}"));
        let start = mail.text.find(&format!("{}/m/", self.base)).unwrap();
        mail.text[start..]
            .split_whitespace()
            .next()
            .unwrap()
            .to_owned()
    }

    /// The password in the last password e-mail to `to`.
    pub(crate) async fn password_for(&self, to: &str) -> String {
        self.deliver().await;
        let mail = self
            .mails()
            .into_iter()
            .rev()
            .find(|m| m.to == to && !m.text.contains("/m/"))
            .expect("a password mail");
        mail.text.split("\n\n").nth(1).unwrap().trim().to_owned()
    }

    /// The text of the page at `url` (a full URL), fetched with the server's cookie-keeping client.
    pub(crate) async fn page(&self, url: &str) -> String {
        self.client
            .get(url)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// `POST challenge` on the JSON API of a link; the status.
    pub(crate) async fn challenge(&self, api: &str) -> u16 {
        self.client
            .post(format!("{api}/challenge"))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    /// `POST verify` on the JSON API of a link; the status.
    pub(crate) async fn verify(&self, api: &str, code: &str) -> u16 {
        self.client
            .post(format!("{api}/verify"))
            .json(&serde_json::json!({"code": code}))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    /// The SMS kept by the dev transport.
    pub(crate) fn sms(&self) -> Vec<zegel_mail::sms::DevSms> {
        self.state.sms.dev_box().unwrap().all()
    }

    /// The code in the last SMS to `to`.
    pub(crate) async fn code_for(&self, to: &str) -> String {
        self.deliver().await;
        let sms = self
            .sms()
            .into_iter()
            .rev()
            .find(|s| s.to == to)
            .expect("an SMS");
        // "Uw code van ... : 123456 (10 min. geldig)": the one group of six digits.
        sms.body
            .split(|c: char| !c.is_ascii_digit())
            .find(|word| word.len() == 6)
            .unwrap_or_else(|| panic!("no code in the SMS {:?}", sms.body))
            .to_owned()
    }

    /// The message behind a public link (or an open session), as the JSON access API answers it.
    pub(crate) async fn message(&self, link: &str) -> Value {
        self.client
            .get(format!("{}/message", self.api_of(link)))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// The JSON access API URL of a link.
    pub(crate) fn api_of(&self, link: &str) -> String {
        link.replace("/m/", "/api/v1/access/")
    }

    /// Counts rows of a table.
    pub(crate) async fn count(&self, table: &str) -> i64 {
        use sqlx::Row;
        sqlx::query(&format!("SELECT COUNT(*) AS n FROM {table}"))
            .fetch_one(&self.state.db.pool)
            .await
            .unwrap()
            .try_get("n")
            .unwrap()
    }

    /// Every file under the blob store (finished and temporary).
    pub(crate) fn blob_files(&self) -> Vec<std::path::PathBuf> {
        fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, out)
                } else {
                    out.push(path)
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.dir.path().join("blobs"), &mut out);
        out
    }
}

/// The default meta of a 1FA secure message to one recipient.
pub(crate) fn secure_message(to: &str) -> Value {
    serde_json::json!({
        "subject": "Dossier 42",
        "body_text": "Beste Jan, zie de bijlage.",
        "kind": "secure_message",
        "recipients": [{"email": to}],
        "auth": {"level": "1fa", "password": "generated", "deliver": "email"},
        "language": "en"
    })
}
