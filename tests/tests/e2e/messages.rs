//! End-to-end: the real `zegel` binary, delivering by SMTP to a real SMTP receiver, driven over HTTP
//! like a sender and a recipient would.

use std::io::Read;
use std::time::Duration;

use serde_json::{Value, json};
use zegel_tests::{SmtpReceiver, Zegel, client, wait_until};

const SUBJECT: &str = "Dossier Kwartaal-QX19";
const BODY: &str = "Beste Jan,\n\nHierbij de stukken, vertrouwelijk-BV42.\n\nGroet, Anna";
const NAME_A: &str = "uitslag-LM73.pdf";
const NAME_B: &str = "overzicht €-TR88.txt";

fn file_a() -> Vec<u8> {
    // 1.5 MB with a recognisable marker repeated, to be searched for at rest.
    let mut bytes = Vec::with_capacity(1_500_000);
    while bytes.len() < 1_500_000 {
        bytes.extend_from_slice(b"INHOUD-ZK55 ");
        bytes.extend((0..200u8).map(|i| i.wrapping_mul(31)));
    }
    bytes
}

async fn send(zegel: &Zegel, token: &str) -> Value {
    let meta = json!({
        "subject": SUBJECT, "body_text": BODY, "kind": "secure_message",
        "recipients": [{"email": "jan@ontvanger.example"}, {"email": "piet@ontvanger.example", "kind": "bcc"}],
        "auth": {"level": "1fa", "password": "generated", "deliver": "email"}, "language": "nl"
    });
    let file_a = file_a();
    let files: [(&str, &[u8]); 2] = [
        (NAME_A, &file_a),
        (NAME_B, b"regel 1\nregel 2 ZAKELIJK-HH21\n"),
    ];
    let response = zegel.send_message(token, &meta, &files).await;
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_travels_end_to_end_and_nothing_is_readable_at_rest() {
    let receiver = SmtpReceiver::start();
    let mut zegel = Zegel::new(receiver.address);
    zegel.add_tenant("Ziekenhuis", "zorg.example");
    let token = zegel.token("anna@zorg.example");
    let token = token.as_str();
    assert!(
        token.starts_with("zgl1.") && !token.contains('\n'),
        "admin token prints the token and nothing else"
    );
    zegel.serve();

    let created = send(&zegel, token).await;
    let notification = receiver.wait_for("jan@ontvanger.example", SUBJECT);
    assert_eq!(notification.mail_from, "no-reply@zegel.localhost");
    assert!(notification.html.contains("Bericht openen"));
    assert!(
        !notification.text.contains("vertrouwelijk-BV42"),
        "a secure message's body never travels by mail"
    );
    let bcc = receiver.wait_for("piet@ontvanger.example", SUBJECT);
    assert!(!String::from_utf8_lossy(&bcc.raw).contains("jan@ontvanger.example"));
    assert!(
        !String::from_utf8_lossy(&notification.raw).contains("piet@ontvanger.example"),
        "Bcc stays invisible"
    );

    // The recipient follows the link, asks for the password and opens the message.
    let link = notification.link(&zegel.base);
    let browser = client();
    let landing = browser
        .get(&link)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(landing.contains("Stuur mij het wachtwoord"));
    assert_eq!(
        browser
            .post(format!("{link}/challenge"))
            .send()
            .await
            .unwrap()
            .status(),
        303
    );
    let password_mail = receiver.wait_for("jan@ontvanger.example", "wachtwoord");
    let password = password_mail
        .text
        .lines()
        .find(|l| l.starts_with("    "))
        .expect("the password line")
        .trim()
        .to_owned();
    let verified = browser
        .post(format!("{link}/verify"))
        .form(&[("code", password.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(verified.status(), 303);
    let page_url = format!(
        "{}{}",
        zegel.base,
        verified.headers()["location"].to_str().unwrap()
    );
    let page = browser
        .get(&page_url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(SUBJECT)
            && page.contains("vertrouwelijk-BV42")
            && page.contains("uitslag-LM73.pdf")
    );

    // Each file and the ZIP come back byte for byte.
    let files = created["files"].as_array().unwrap();
    let first = browser
        .post(format!(
            "{page_url}/files/{}",
            files[0]["id"].as_str().unwrap()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(first.bytes().await.unwrap().as_ref(), file_a().as_slice());
    let second = browser
        .post(format!(
            "{page_url}/files/{}",
            files[1]["id"].as_str().unwrap()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(
        second.bytes().await.unwrap().as_ref(),
        b"regel 1\nregel 2 ZAKELIJK-HH21\n"
    );
    let zip = browser
        .post(format!("{page_url}/files.zip"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip.to_vec())).unwrap();
    let mut unpacked = Vec::new();
    archive
        .by_name(NAME_A)
        .unwrap()
        .read_to_end(&mut unpacked)
        .unwrap();
    assert_eq!(unpacked, file_a());
    assert!(archive.by_name(NAME_B).is_ok());

    // Stop the server so every byte is on disk, then search the whole data directory (database, WAL,
    // blobs, keys) for anything the sender wrote.
    zegel.stop();
    let needles: [&[u8]; 7] = [
        SUBJECT.as_bytes(),
        b"Kwartaal-QX19",
        b"vertrouwelijk-BV42",
        b"uitslag-LM73",
        b"TR88",
        b"INHOUD-ZK55",
        b"ZAKELIJK-HH21",
    ];
    let mut scanned = 0;
    for entry in walk(zegel.data.path()) {
        let bytes = std::fs::read(&entry).unwrap();
        scanned += bytes.len();
        for needle in needles {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle),
                "{} holds {:?} in plaintext",
                entry.display(),
                String::from_utf8_lossy(needle)
            );
        }
    }
    assert!(
        scanned > 1_500_000,
        "the search saw the blobs ({scanned} bytes)"
    );
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path))
        } else {
            out.push(path)
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_waits_out_a_relay_outage_and_a_restart() {
    // The relay is not there yet.
    let relay = std::net::SocketAddr::from(([127, 0, 0, 1], zegel_tests::free_port()));
    let mut zegel = Zegel::new(relay);
    zegel.add_tenant("Gemeente", "gemeente.example");
    let token = zegel.token("ambtenaar@gemeente.example");
    zegel.serve();
    send(&zegel, &token).await;
    // The server dies with the notification still queued; a new one picks it up.
    std::thread::sleep(Duration::from_millis(300));
    zegel.stop();
    zegel.serve();
    let receiver = SmtpReceiver::start_on(relay);
    let mail = receiver.wait_for("jan@ontvanger.example", SUBJECT);
    assert!(mail.text.contains("/m/"));
}

#[test]
fn the_cli_explains_itself_and_keeps_secrets() {
    let receiver = SmtpReceiver::start();
    let mut zegel = Zegel::new(receiver.address);
    zegel
        .env
        .push(("ZEGEL_SMTP_PASSWORD".into(), "hunter2-secret".into()));
    let config = zegel.run_ok(&["config"]);
    assert!(
        config.contains("ZEGEL_SMTP_PASSWORD = ********") && !config.contains("hunter2"),
        "{config}"
    );

    let unknown = zegel.run(&["admin", "token", "--email", "x@nowhere.example"]);
    assert!(!unknown.status.success());
    assert!(
        String::from_utf8_lossy(&unknown.stderr)
            .contains("no tenant owns the domain nowhere.example")
    );
    let bad = zegel.run(&[
        "admin",
        "tenant",
        "add",
        "--name",
        "X",
        "--domain",
        "not a domain",
    ]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not a valid mail domain"));

    zegel.add_tenant("A", "a.example");
    let taken = zegel.run(&[
        "admin",
        "tenant",
        "add",
        "--name",
        "B",
        "--domain",
        "a.example",
    ]);
    assert!(String::from_utf8_lossy(&taken.stderr).contains("already belongs"));

    let rotated = zegel.run(&["admin", "rotate-kek"]);
    assert!(rotated.status.success());
    assert!(String::from_utf8_lossy(&rotated.stderr).contains("added KEK 2"));
    let keyring = std::fs::metadata(zegel.data.path().join("keyring.json")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        keyring.permissions().mode() & 0o777,
        0o600,
        "the keyring is private"
    );
    wait_until(Duration::from_secs(1), "nothing", || Some(()));
}

#[test]
fn serve_refuses_unsafe_transport_setups_with_a_clear_message() {
    let receiver = SmtpReceiver::start();
    let refused = |extra: &[(&str, &str)], expected: &str| {
        let mut zegel = Zegel::new(receiver.address);
        zegel
            .env
            .extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let output = zegel.run(&["serve"]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{extra:?} must not start");
        assert!(stderr.contains(expected), "{extra:?}: {stderr}");
    };
    // The dev SMS box behind an https:// public URL.
    refused(
        &[("ZEGEL_PUBLIC_URL", "https://zegel.zorg.example")],
        "ZEGEL_ALLOW_DEV_WITH_HTTPS",
    );
    // Outside development mode a dev box is refused, and 2FA needs an SMS provider.
    refused(&[("ZEGEL_DEV", "0")], "ZEGEL_SMS: 'dev'");
    refused(
        &[("ZEGEL_DEV", "0"), ("ZEGEL_SMS", "")],
        "ZEGEL_SMS: is required",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recipient_failures_leave_no_personal_data_in_the_log_and_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let receiver = SmtpReceiver::start();
    let mut zegel = Zegel::new(receiver.address);
    // A data directory zegel creates itself.
    let store = zegel.data.path().join("store");
    zegel.env.extend([
        ("ZEGEL_DATA_DIR".to_owned(), store.display().to_string()),
        ("ZEGEL_LOG".to_owned(), "info".to_owned()),
    ]);
    let log = zegel.data.path().join("zegel.log");
    zegel.log_file = Some(log.clone());
    zegel.add_tenant("Zorg", "zorg.example");
    let token = zegel.token("arts@zorg.example");
    let token = token.as_str();
    zegel.serve();
    let http = client();
    let post = |meta: Value, file_name: &str| {
        let form = reqwest::multipart::Form::new()
            .part(
                "meta",
                reqwest::multipart::Part::text(meta.to_string())
                    .mime_str("application/json")
                    .unwrap(),
            )
            .part(
                "file",
                reqwest::multipart::Part::bytes(b"inhoud".to_vec()).file_name(file_name.to_owned()),
            );
        http.post(format!("{}/api/v1/messages", zegel.base))
            .bearer_auth(token)
            .multipart(form)
            .send()
    };
    // Bad input: an address with a line break that tries to forge a log line, a phone number that is
    // not one, each with a file whose name must not be logged.
    let forged = "iemand@ontvanger.example\nERROR forged-line-KX31";
    let bad = post(
        json!({"subject": "s", "body_text": "b", "kind": "secure_message",
               "recipients": [{"email": forged}], "auth": {"level": "1fa"}}),
        "geheim-rapport-QQ17.pdf",
    )
    .await
    .unwrap();
    assert_eq!(bad.status(), 422);
    let bad = post(
        json!({"subject": "s", "body_text": "b", "kind": "secure_message",
               "recipients": [{"email": "patient.vd@ontvanger.example", "phone": "06-ABC-31337"}],
               "auth": {"level": "2fa"}}),
        "geheim-rapport-QQ17.pdf",
    )
    .await
    .unwrap();
    assert_eq!(bad.status(), 422);
    // A real message, then wrong passwords on its link.
    let sent = post(
        json!({"subject": "Uitslag", "body_text": "b", "kind": "secure_message",
               "recipients": [{"email": "patient.vd@ontvanger.example"}],
               "auth": {"level": "1fa", "password": "generated", "deliver": "email"}}),
        "uitslag-ZP44.pdf",
    )
    .await
    .unwrap();
    assert_eq!(sent.status(), 201);
    let notification = receiver.wait_for("patient.vd@ontvanger.example", "Uitslag");
    let api = notification
        .link(&zegel.base)
        .replace("/m/", "/api/v1/access/");
    assert_eq!(
        http.post(format!("{api}/challenge"))
            .send()
            .await
            .unwrap()
            .status(),
        202
    );
    for code in ["Wrong-Pass-918273", "Wrong-Pass-564738"] {
        let status = http
            .post(format!("{api}/verify"))
            .json(&json!({"code": code}))
            .send()
            .await
            .unwrap()
            .status();
        assert!(status.is_client_error(), "{status}");
    }
    // The phone-number lookup names an address in its path.
    let lookup = http
        .get(format!(
            "{}/api/v1/recipients/patient.vd%40ontvanger.example/phone",
            zegel.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(lookup.status(), 401);
    zegel.stop();

    let text = std::fs::read_to_string(&log).unwrap();
    let refusals = text
        .lines()
        .filter(|l| l.contains("request refused"))
        .count();
    assert!(refusals >= 5, "every refusal is logged:\n{text}");
    assert!(
        text.contains("status=401") && text.contains("status=422"),
        "{text}"
    );
    for secret in [
        "patient.vd",
        "ontvanger.example",
        "Wrong-Pass",
        "918273",
        "31337",
        "geheim-rapport",
        "uitslag-ZP44",
        "Uitslag",
        &token[token.len() - 20..],
    ] {
        assert!(!text.contains(secret), "the log holds {secret:?}:\n{text}");
    }
    for line in text.lines() {
        assert!(
            !line.starts_with("ERROR forged"),
            "a value forged a log line:\n{text}"
        );
    }
    // Created 0700 / 0600, whatever the umask.
    let mode =
        |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&store), 0o700);
    assert_eq!(mode(&store.join("blobs")), 0o700);
    assert_eq!(mode(&store.join("zegel.db")), 0o600);
    assert_eq!(mode(&store.join("keyring.json")), 0o600);
    let mut blobs = 0;
    let mut stack = vec![store.join("blobs")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                assert_eq!(mode(&path), 0o700, "{}", path.display());
                stack.push(path);
            } else {
                assert_eq!(mode(&path), 0o600, "{}", path.display());
                blobs += 1;
            }
        }
    }
    assert!(blobs >= 1, "the sent file is stored");
}

/// A field of `/proc/<pid>/status` in KiB (`VmRSS`, `VmHWM`).
fn memory_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap()
        .lines()
        .find_map(|line| line.strip_prefix(&format!("{field}:")))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} for process {pid}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_wrong_passwords_keeps_the_server_small() {
    let receiver = SmtpReceiver::start();
    let mut zegel = Zegel::new(receiver.address);
    zegel.add_tenant("Zorg", "zorg.example");
    let token = zegel.token("arts@zorg.example");
    zegel.serve();
    let pid = zegel.pid().unwrap();
    // Twelve messages whose generated password the sender tells (hashed on the server), and one more.
    let mut links = Vec::new();
    for i in 0..13 {
        let to = format!("r{i}@ontvanger.example");
        let meta = json!({
            "subject": "Uitslag", "body_text": "Zie bijlage.", "kind": "secure_message",
            "recipients": [{"email": to}],
            "auth": {"level": "1fa", "password": "generated", "deliver": "other"}, "language": "en"
        });
        let created: Value = client()
            .post(format!("{}/api/v1/messages", zegel.base))
            .bearer_auth(&token)
            .multipart(
                reqwest::multipart::Form::new().part(
                    "meta",
                    reqwest::multipart::Part::text(meta.to_string())
                        .mime_str("application/json")
                        .unwrap(),
                ),
            )
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let password = created["password"].as_str().unwrap().to_owned();
        let mail = receiver.wait_for(&to, "Uitslag");
        let api = mail.link(&zegel.base).replace("/m/", "/api/v1/access/");
        links.push((api, password));
    }
    let before = memory_kib(pid, "VmRSS");
    // 60 wrong passwords at once, five on each of twelve links.
    let tasks: Vec<_> = (0..60)
        .map(|i| {
            let url = format!("{}/verify", links[i % 12].0);
            tokio::spawn(async move {
                client()
                    .post(url)
                    .json(&json!({"code": "not-the-password"}))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            })
        })
        .collect();
    for task in tasks {
        let status = task.await.unwrap();
        assert!(status == 401 || status == 429, "{status}");
    }
    // Each Argon2id check needs 19 MiB: unbounded, 60 at once would add over a GiB. The server runs at
    // most one per core (at most eight), each in memory it keeps.
    let cores = std::thread::available_parallelism()
        .map_or(2, usize::from)
        .min(8) as u64;
    let grown = memory_kib(pid, "VmHWM").saturating_sub(before);
    assert!(
        grown < (cores * 20 + 64) * 1024,
        "the server grew by {grown} KiB during the burst"
    );
    // The server still answers, and a right password still opens its message.
    let (api, password) = &links[12];
    let verified = client()
        .post(format!("{api}/verify"))
        .json(&json!({"code": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(verified.status(), 200);
}

/// `ZEGEL_LOG_FORMAT=json`: every line of the log is one JSON object, refused requests included, and
/// still without tokens or addresses.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_can_be_json_lines_for_collectors() {
    let receiver = SmtpReceiver::start();
    let mut zegel = Zegel::new(receiver.address);
    zegel.env.extend([
        ("ZEGEL_LOG_FORMAT".to_owned(), "json".to_owned()),
        ("ZEGEL_LOG".to_owned(), "info".to_owned()),
    ]);
    let log = zegel.data.path().join("zegel.log");
    zegel.log_file = Some(log.clone());
    zegel.serve();
    let http = client();
    let refused = http
        .get(format!("{}/api/v1/settings", zegel.base))
        .bearer_auth("not-a-token-ZT88")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    let gone = http
        .get(format!("{}/m/{}", zegel.base, "Q".repeat(43)))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 404);
    let lines = wait_until(
        std::time::Duration::from_secs(10),
        "the refusal in the log",
        || {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            text.contains("401").then_some(text)
        },
    );
    for line in lines.lines().filter(|l| !l.trim().is_empty()) {
        let event: Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
        assert!(
            event["level"].is_string() && event["fields"].is_object(),
            "{line}"
        );
    }
    assert!(
        !lines.contains("ZT88") && !lines.contains(&"Q".repeat(43)),
        "no token in the log:\n{lines}"
    );
}

/// SQLite is the single-instance default: a second `zegel serve` on the same database refuses to start
/// with a clear message (and exits), while the CLI's other commands still work beside the server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_server_on_the_same_sqlite_file_refuses_to_start() {
    let receiver = SmtpReceiver::start();
    let mut zegel = Zegel::new(receiver.address);
    zegel.add_tenant("Zorg", "zorg.example");
    zegel.serve();
    let free_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut second = std::process::Command::new(zegel_tests::zegel_bin())
        .arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(zegel.env.iter().map(|(k, v)| (k, v)))
        .env("ZEGEL_LISTEN", format!("127.0.0.1:{free_port}"))
        .current_dir(zegel.data.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let status = wait_until(
        Duration::from_secs(20),
        "the second server to give up",
        || second.try_wait().unwrap(),
    );
    let mut stderr = String::new();
    second
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(!status.success());
    assert!(
        stderr.contains("another zegel serve already uses the SQLite database"),
        "{stderr}"
    );
    // The first one still serves, and the CLI still works beside it.
    zegel.token("arts@zorg.example");
    let health = client()
        .get(format!("{}/healthz", zegel.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
}
