//! Support for the end-to-end tests: the real `zegel` binary as a child process, and a real SMTP
//! receiver (the `mailin` protocol implementation over TCP) that collects what Zegel delivers.

use std::io::{BufRead, BufReader, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex, Once};
use std::time::{Duration, Instant};

use mailin::{Action, Handler, Response, SessionBuilder};

/// Headless Chromium over WebDriver and the add-in with a fake Office host, for the browser tests.
pub mod browser;
/// A local OpenID Connect issuer playing Entra ID for Office single sign-on.
pub mod identity;

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

/// A mail as the receiver got it.
#[derive(Debug, Clone)]
pub struct ReceivedMail {
    /// Envelope sender.
    pub mail_from: String,
    /// Envelope recipients.
    pub rcpt_to: Vec<String>,
    /// The raw message.
    pub raw: Vec<u8>,
    /// Subject header, decoded.
    pub subject: String,
    /// The text part, decoded.
    pub text: String,
    /// The HTML part, decoded.
    pub html: String,
}

/// A real SMTP receiver on a loopback port.
pub struct SmtpReceiver {
    /// Its address.
    pub address: SocketAddr,
    mails: Arc<Mutex<Vec<ReceivedMail>>>,
}

#[derive(Default)]
struct Collect {
    mails: Arc<Mutex<Vec<ReceivedMail>>>,
    from: String,
    to: Vec<String>,
    data: Vec<u8>,
}

impl Handler for Collect {
    fn mail(&mut self, _ip: IpAddr, _domain: &str, from: &str) -> Response {
        self.from = from.to_owned();
        self.to.clear();
        mailin::response::OK
    }
    fn rcpt(&mut self, to: &str) -> Response {
        self.to.push(to.to_owned());
        mailin::response::OK
    }
    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }
    fn data_end(&mut self) -> Response {
        let raw = std::mem::take(&mut self.data);
        let parsed = mail_parser::MessageParser::default()
            .parse(&raw)
            .expect("a parseable mail");
        let mail = ReceivedMail {
            mail_from: self.from.clone(),
            rcpt_to: self.to.clone(),
            subject: parsed.subject().unwrap_or_default().to_owned(),
            text: parsed
                .body_text(0)
                .map(|t| t.into_owned())
                .unwrap_or_default(),
            html: parsed
                .body_html(0)
                .map(|t| t.into_owned())
                .unwrap_or_default(),
            raw: raw.clone(),
        };
        self.mails.lock().unwrap().push(mail);
        mailin::response::OK
    }
}

impl SmtpReceiver {
    /// Starts on a free port.
    pub fn start() -> Self {
        Self::start_on("127.0.0.1:0".parse().unwrap())
    }

    /// Starts on a given address.
    pub fn start_on(address: SocketAddr) -> Self {
        let listener = TcpListener::bind(address).expect("bind the SMTP receiver");
        let address = listener.local_addr().unwrap();
        let mails: Arc<Mutex<Vec<ReceivedMail>>> = Arc::default();
        let shared = mails.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let mails = shared.clone();
                std::thread::spawn(move || serve(stream, mails));
            }
        });
        Self { address, mails }
    }

    /// Everything received so far.
    pub fn mails(&self) -> Vec<ReceivedMail> {
        self.mails.lock().unwrap().clone()
    }

    /// Waits (up to 30 s) for a mail to `to` whose subject contains `subject_part`.
    pub fn wait_for(&self, to: &str, subject_part: &str) -> ReceivedMail {
        wait_until(
            Duration::from_secs(30),
            &format!("a mail to {to} about {subject_part:?}"),
            || {
                self.mails()
                    .into_iter()
                    .find(|m| m.rcpt_to.iter().any(|r| r == to) && m.subject.contains(subject_part))
            },
        )
    }
}

fn serve(stream: TcpStream, mails: Arc<Mutex<Vec<ReceivedMail>>>) {
    let peer = stream
        .peer_addr()
        .map(|a| a.ip())
        .unwrap_or(IpAddr::from([127, 0, 0, 1]));
    let mut session = SessionBuilder::new("receiver.test").build(
        peer,
        Collect {
            mails,
            ..Default::default()
        },
    );
    // Replies go out in one write each, without Nagle's delay: a multi-line EHLO reply written piecewise
    // would otherwise wait for the client's delayed ACK.
    let _ = stream.set_nodelay(true);
    let mut writer = std::io::BufWriter::new(stream.try_clone().unwrap());
    let mut reader = BufReader::new(stream);
    if session.greeting().write_to(&mut writer).is_err() || writer.flush().is_err() {
        return;
    }
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let response = session.process(&line);
        match response.action {
            Action::NoReply => continue,
            Action::Close => {
                let _ = response.write_to(&mut writer);
                let _ = writer.flush();
                return;
            }
            _ => {
                if response.write_to(&mut writer).is_err() || writer.flush().is_err() {
                    return;
                }
            }
        }
    }
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
        let health = format!("{}/healthz", self.base);
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
        let _ = health;
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
