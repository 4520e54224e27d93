//! Support for the end-to-end tests (the one test binary, `tests/e2e/main.rs`): the real `zegel` binary as a child
//! process, a real SMTP receiver that collects what Zegel delivers, one HTTP client, the CLI steps every
//! test starts with (a tenant, a token), and waiting with a deadline instead of sleeping.

use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Once;
use std::time::{Duration, Instant};

/// Headless Chromium over WebDriver and the add-in with a fake Office host, for the browser tests.
pub mod browser;
/// A network that breaks halfway through an upload.
pub mod flaky;
/// A local OpenID Connect issuer playing Entra ID for Office single sign-on.
pub mod identity;
/// A bucket on a real S3 API server.
pub mod s3;
/// A real SMTP receiver (the `mailin` protocol implementation over TCP), also the server tests' next hop.
pub mod smtp;
/// A sender's resumable uploads.
pub mod tus;

pub use smtp::{ReceivedMail, SmtpReceiver};

/// The `zegel` binary: `ZEGEL_BIN` (set by `cargo xtask test`), else the workspace's debug build
/// (in `CARGO_TARGET_DIR` when set), built on first use.
pub fn zegel_bin() -> PathBuf {
    if let Some(path) = std::env::var_os("ZEGEL_BIN") {
        return PathBuf::from(path);
    }
    static BUILD: Once = Once::new();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned();
    BUILD.call_once(|| {
        let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args(["build", "-p", "zegel-server", "--bin", "zegel"])
            .current_dir(&root)
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building zegel failed");
    });
    // Where that build went: CARGO_TARGET_DIR when set, as cargo itself decides.
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
        .join("debug/zegel")
}

/// Polls `check` until it returns something, or panics after `timeout` naming what it waited for.
pub fn wait_until<T>(timeout: Duration, what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// [`wait_until`] for checks that need the async HTTP client.
pub async fn poll<T>(
    timeout: Duration,
    what: &str,
    mut check: impl AsyncFnMut() -> Option<T>,
) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The HTTP client of a sender or a recipient's browser: it keeps cookies and shows redirects instead of
/// following them.
pub fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The link in `text` that starts with `prefix` (up to the next white space).
pub fn link_after(text: &str, prefix: &str) -> String {
    let start = text
        .find(prefix)
        .unwrap_or_else(|| panic!("no link {prefix}... in {text}"));
    text[start..].split_whitespace().next().unwrap().to_owned()
}

/// Opens the message at `link` with `password` (`POST {link}/verify`, as the portal's form does) and
/// downloads its first file; `base` is where the portal's relative links point.
pub async fn open_and_download(
    recipient: &reqwest::Client,
    base: &str,
    link: &str,
    password: &str,
) -> Vec<u8> {
    let verified = recipient
        .post(format!("{link}/verify"))
        .form(&[("code", password)])
        .send()
        .await
        .unwrap();
    assert_eq!(verified.status(), 303);
    let page_url = format!("{base}{}", verified.headers()["location"].to_str().unwrap());
    let page = recipient
        .get(&page_url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let action = page
        .split("action=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .find(|a| a.contains("/files/") && !a.ends_with("/view"))
        .unwrap_or_else(|| panic!("a file to download on {page}"))
        .to_owned();
    let response = recipient
        .post(format!("{base}{action}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.bytes().await.unwrap().to_vec()
}

/// The recipient opens the message `subject` sent to `to` through the JSON access API: its files, by
/// name, each as a stream of bytes handed to `take`.
pub async fn download_by_api(
    zegel: &Zegel,
    receiver: &SmtpReceiver,
    to: &str,
    subject: &str,
    mut take: impl AsyncFnMut(&str, reqwest::Response),
) {
    let notification = receiver.wait_for(to, subject);
    let api = notification
        .link(&zegel.base)
        .replace("/m/", "/api/v1/access/");
    let browser = client();
    let challenge = browser
        .post(format!("{api}/challenge"))
        .send()
        .await
        .unwrap();
    assert_eq!(challenge.status(), 202);
    let password = receiver
        .wait_for(to, "wachtwoord")
        .text
        .lines()
        .find(|l| l.starts_with("    "))
        .expect("the password line")
        .trim()
        .to_owned();
    let verified = browser
        .post(format!("{api}/verify"))
        .json(&serde_json::json!({"code": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(verified.status(), 200);
    let message: serde_json::Value = browser
        .get(format!("{api}/message"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for file in message["files"].as_array().unwrap() {
        let response = browser
            .post(format!("{api}/files/{}", file["id"].as_str().unwrap()))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        take(file["name"].as_str().unwrap(), response).await;
    }
}

/// A free loopback port.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A `zegel` installation: a data directory and the environment every command of it runs with.
pub struct Zegel {
    /// The data directory.
    pub data: tempfile::TempDir,
    /// `ZEGEL_*` variables.
    pub env: Vec<(String, String)>,
    /// The HTTP base URL.
    pub base: String,
    /// Where `serve` writes the server's log (stderr); inherited when unset.
    pub log_file: Option<std::path::PathBuf>,
    server: Option<Child>,
}

impl Zegel {
    /// A fresh installation delivering mail to `smtp` (host:port).
    pub fn new(smtp: SocketAddr) -> Self {
        let data = tempfile::TempDir::new().unwrap();
        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let env = vec![
            (
                "ZEGEL_DATA_DIR".to_owned(),
                data.path().display().to_string(),
            ),
            ("ZEGEL_LISTEN".to_owned(), format!("127.0.0.1:{port}")),
            ("ZEGEL_PUBLIC_URL".to_owned(), base.clone()),
            ("ZEGEL_MAIL".to_owned(), format!("smtp://{smtp}")),
            // Development mode, with the dev SMS box named explicitly beside the real mail transport;
            // tests with an SMS provider replace it.
            ("ZEGEL_DEV".to_owned(), "1".to_owned()),
            ("ZEGEL_SMS".to_owned(), "dev".to_owned()),
            ("ZEGEL_LOG".to_owned(), "warn".to_owned()),
        ];
        Self {
            data,
            env,
            base,
            log_file: None,
            server: None,
        }
    }

    /// Runs `zegel ARGS` to completion.
    pub fn run(&self, args: &[&str]) -> Output {
        Command::new(zegel_bin())
            .args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .current_dir(self.data.path())
            .output()
            .expect("zegel runs")
    }

    /// Runs `zegel ARGS`, asserts success and returns stdout.
    pub fn run_ok(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(
            output.status.success(),
            "zegel {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    /// `zegel admin tenant add --name NAME --domain DOMAIN`.
    pub fn add_tenant(&self, name: &str, domain: &str) {
        self.run_ok(&["admin", "tenant", "add", "--name", name, "--domain", domain]);
    }

    /// `zegel admin grant --email EMAIL --role admin`.
    pub fn grant_admin(&self, email: &str) {
        self.run_ok(&["admin", "grant", "--email", email, "--role", "admin"]);
    }

    /// A bearer token for `email` (`zegel admin token`), whose domain a tenant owns.
    pub fn token(&self, email: &str) -> String {
        self.run_ok(&["admin", "token", "--email", email])
            .trim()
            .to_owned()
    }

    /// `POST /api/v1/messages` as the holder of `token`: the `meta` part and a `file` part per
    /// `(name, bytes)`.
    pub async fn send_message(
        &self,
        token: &str,
        meta: &serde_json::Value,
        files: &[(&str, &[u8])],
    ) -> reqwest::Response {
        let mut form = reqwest::multipart::Form::new().part(
            "meta",
            reqwest::multipart::Part::text(meta.to_string())
                .mime_str("application/json")
                .unwrap(),
        );
        for (name, bytes) in files {
            form = form.part(
                "file",
                reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(name.to_string()),
            );
        }
        client()
            .post(format!("{}/api/v1/messages", self.base))
            .bearer_auth(token)
            .multipart(form)
            .send()
            .await
            .unwrap()
    }

    /// The body of the first SMS to `to` (E.164) in the dev SMS box, waited for.
    pub async fn wait_for_sms(&self, to: &str) -> String {
        let url = format!("{}/dev/sms.json", self.base);
        poll(
            Duration::from_secs(30),
            &format!("an SMS to {to}"),
            async || {
                let sms: serde_json::Value =
                    client().get(&url).send().await.ok()?.json().await.ok()?;
                sms.as_array()?
                    .iter()
                    .find(|s| s["to"] == to)
                    .and_then(|s| s["body"].as_str().map(str::to_owned))
            },
        )
        .await
    }

    /// Starts `zegel serve` and waits until `/healthz` answers.
    pub fn serve(&mut self) {
        let stderr = match &self.log_file {
            Some(path) => Stdio::from(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .expect("the log file opens"),
            ),
            None => Stdio::inherit(),
        };
        let child = Command::new(zegel_bin())
            .arg("serve")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .current_dir(self.data.path())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("zegel serve starts");
        self.server = Some(child);
        wait_until(Duration::from_secs(30), "zegel to answer /healthz", || {
            let address = self.base.trim_start_matches("http://");
            let mut stream = TcpStream::connect(address).ok()?;
            write!(
                stream,
                "GET /healthz HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
            )
            .ok()?;
            let mut answer = String::new();
            std::io::Read::read_to_string(&mut stream, &mut answer).ok()?;
            answer.starts_with("HTTP/1.1 200").then_some(())
        });
    }

    /// The running server's process id.
    pub fn pid(&self) -> Option<u32> {
        self.server.as_ref().map(Child::id)
    }

    /// Stops the server (SIGKILL: nothing may depend on a clean shutdown).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.server.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Zegel {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The six-digit code in an SMS text ("Uw code van ... : 123456 (10 min. geldig)").
pub fn sms_code(body: &str) -> String {
    body.split(|c: char| !c.is_ascii_digit())
        .find(|word| word.len() == 6)
        .unwrap_or_else(|| panic!("no six-digit code in the SMS {body:?}"))
        .to_owned()
}
