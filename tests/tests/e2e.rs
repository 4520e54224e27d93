//! End-to-end: the real `zegel` binary, delivering by SMTP to a real SMTP receiver, driven over HTTP
//! like a sender and a recipient would.

use std::io::Read;
use std::time::Duration;

use serde_json::{Value, json};
use zegel_tests::{ReceivedMail, SmtpReceiver, Zegel, wait_until};

const SUBJECT: &str = "Dossier Kwartaal-QX19";
const BODY: &str = "Beste Jan,\n\nHierbij de stukken, vertrouwelijk-BV42.\n\nGroet, Anna";
const NAME_A: &str = "uitslag-LM73.pdf";
const NAME_B: &str = "overzicht €-TR88.txt";

fn link_in(mail: &ReceivedMail, base: &str) -> String {
    let start = mail
        .text
        .find(&format!("{base}/m/"))
        .expect("a link in the notification");
    mail.text[start..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

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
    let form = reqwest::multipart::Form::new()
        .part(
            "meta",
            reqwest::multipart::Part::text(meta.to_string())
                .mime_str("application/json")
                .unwrap(),
        )
        .part(
            "file",
            reqwest::multipart::Part::bytes(file_a()).file_name(NAME_A),
        )
        .part(
            "file",
            reqwest::multipart::Part::bytes(b"regel 1\nregel 2 ZAKELIJK-HH21\n".to_vec())
                .file_name(NAME_B),
        );
    let response = client()
        .post(format!("{}/api/v1/messages", zegel.base))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_travels_end_to_end_and_nothing_is_readable_at_rest() {
    let receiver = SmtpReceiver::start();
    let mut zegel = Zegel::new(receiver.address);
    zegel.run_ok(&[
        "admin",
        "tenant",
        "add",
        "--name",
        "Ziekenhuis",
        "--domain",
        "zorg.example",
    ]);
    let token = zegel.run_ok(&["admin", "token", "--email", "anna@zorg.example"]);
    let token = token.trim();
    assert!(
        token.starts_with("zgl1.") && !token.contains('\n'),
        "admin token prints the token and nothing else"
    );
    zegel.serve();

    let created = send(&zegel, token).await;
    let notification = receiver.wait_for("jan@ontvanger.example", SUBJECT);
    assert_eq!(notification.mail_from, "no-reply@zegel.localhost");
    assert!(notification.html.contains("Open bericht"));
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
    let link = link_in(&notification, &zegel.base);
    let browser = client();
    let landing = browser
        .get(&link)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(landing.contains("Stuur mijn wachtwoord"));
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
    zegel.run_ok(&[
        "admin",
        "tenant",
        "add",
        "--name",
        "Gemeente",
        "--domain",
        "gemeente.example",
    ]);
    let token = zegel.run_ok(&["admin", "token", "--email", "ambtenaar@gemeente.example"]);
    zegel.serve();
    send(&zegel, token.trim()).await;
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

    zegel.run_ok(&[
        "admin",
        "tenant",
        "add",
        "--name",
        "A",
        "--domain",
        "a.example",
    ]);
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
