//! The SMTP gateway end to end: the real `zegel serve` with `ZEGEL_SMTP_LISTEN`, Python's `smtplib` as an
//! independent SMTP client, and a real SMTP receiver as both the mail transport and the next hop.

use std::process::Command;
use std::time::Duration;

use zegel_tests::{SmtpReceiver, Zegel, client, free_port, link_after, poll, wait_until};

/// Sends `raw` with Python's smtplib; returns (exit ok, stderr).
fn smtplib(port: u16, from: &str, to: &[&str], raw: &str) -> (bool, String) {
    let script = r#"
import smtplib, sys, json
port, sender, rcpts, raw = int(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3]), sys.stdin.read()
with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
    s.ehlo("python.test")
    assert s.has_extn("pipelining") and s.has_extn("size") and s.has_extn("8bitmime"), s.esmtp_features
    s.sendmail(sender, rcpts, raw.encode())
"#;
    let rcpts = format!(
        "[{}]",
        to.iter()
            .map(|t| format!("\"{t}\""))
            .collect::<Vec<_>>()
            .join(",")
    );
    let mut child = Command::new("python3")
        .args(["-c", script, &port.to_string(), from, &rcpts])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs");
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(raw.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn gateway_relays_clean_mail_and_protects_sensitive_mail() {
    let receiver = SmtpReceiver::start();
    let mut zegel = Zegel::new(receiver.address);
    let smtp_port = free_port();
    zegel
        .env
        .push(("ZEGEL_SMTP_LISTEN".into(), format!("127.0.0.1:{smtp_port}")));
    zegel.add_tenant("Zorg", "zorg.example");
    zegel.serve();
    wait_until(Duration::from_secs(10), "the SMTP gateway", || {
        std::net::TcpStream::connect(("127.0.0.1", smtp_port)).ok()
    });

    // Clean: relayed unchanged (the next hop falls back to ZEGEL_MAIL, the receiver).
    let clean = "From: arts@zorg.example\r\nTo: jan@elders.example\r\nSubject: Lunch morgen\r\n\
                 Message-ID: <e2e-clean@zorg.example>\r\n\r\nZullen we om 12 uur?\r\n";
    let (ok, stderr) = smtplib(
        smtp_port,
        "arts@zorg.example",
        &["jan@elders.example"],
        clean,
    );
    assert!(ok, "{stderr}");
    let mail = receiver.wait_for("jan@elders.example", "Lunch morgen");
    assert_eq!(mail.mail_from, "arts@zorg.example");
    assert_eq!(
        String::from_utf8_lossy(&mail.raw).trim_end(),
        clean.trim_end(),
        "byte for byte"
    );

    // Sensitive (a payment card forces 1FA): a notification instead of the mail.
    let sensitive = "From: arts@zorg.example\r\nTo: piet@elders.example\r\nSubject: Betaling\r\n\r\n\
                     Kaart 4111 1111 1111 1111 graag vandaag.\r\n";
    let (ok, stderr) = smtplib(
        smtp_port,
        "arts@zorg.example",
        &["piet@elders.example"],
        sensitive,
    );
    assert!(ok, "{stderr}");
    let notification = wait_until(Duration::from_secs(30), "a notification to piet", || {
        receiver
            .mails()
            .into_iter()
            .find(|m| m.rcpt_to.iter().any(|r| r == "piet@elders.example"))
    });
    assert!(notification.text.contains("/m/"), "{}", notification.text);
    assert!(
        receiver
            .mails()
            .iter()
            .all(|m| !String::from_utf8_lossy(&m.raw).contains("4111 1111")),
        "the original never leaves in plaintext"
    );

    // Refused: an unknown sender domain.
    let (ok, stderr) = smtplib(
        smtp_port,
        "iemand@elders.example",
        &["jan@elders.example"],
        clean,
    );
    assert!(!ok && stderr.contains("550"), "{stderr}");
}

/// A gateway installation: a tenant `zorg.example`, the SMTP gateway on its own port, the mail
/// transport (and, unless `ZEGEL_SMTP_NEXT_HOP` is set, the next hop) at `mail`.
fn gateway(mail: std::net::SocketAddr) -> (Zegel, u16) {
    let mut zegel = Zegel::new(mail);
    let smtp_port = free_port();
    zegel
        .env
        .push(("ZEGEL_SMTP_LISTEN".into(), format!("127.0.0.1:{smtp_port}")));
    zegel.add_tenant("Zorg", "zorg.example");
    (zegel, smtp_port)
}

fn serve(zegel: &mut Zegel, smtp_port: u16) {
    zegel.serve();
    wait_until(Duration::from_secs(10), "the SMTP gateway", || {
        std::net::TcpStream::connect(("127.0.0.1", smtp_port)).ok()
    });
}

/// What the audit trail says, as the tenant's admin sees it in the export.
async fn audit_events(zegel: &Zegel, admin: &str) -> Vec<String> {
    let export: serde_json::Value = client()
        .get(format!("{}/api/v1/admin/audit", zegel.base))
        .bearer_auth(admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let entries = export["events"]
        .as_array()
        .unwrap_or_else(|| panic!("an audit export: {export}"));
    entries
        .iter()
        .filter_map(|e| e["event"].as_str().map(str::to_owned))
        .collect()
}

const BSN_BODY: &str = "Beste Juliet,\r\n\r\nHet burgerservicenummer (BSN) van mevrouw is 111222333.\r\n\
                        Zie het patientdossier, kenmerk GEHEIM-QX41.\r\n\r\nGroet, de arts\r\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bsn_mail_sent_with_lettre_is_held_released_and_read_in_the_portal() {
    use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

    let receiver = SmtpReceiver::start();
    let (mut zegel, smtp_port) = gateway(receiver.address);
    zegel.grant_admin("ciso@zorg.example");
    let admin = zegel.token("ciso@zorg.example");
    serve(&mut zegel, smtp_port);

    // The tenant adds a trigger word; the BSN rule of the day-one policy forces 2FA.
    let patched = client()
        .patch(format!("{}/api/v1/admin/settings", zegel.base))
        .bearer_auth(&admin)
        .json(&serde_json::json!({"content_filter": {"trigger_words": [
            {"word": "patientdossier", "action": "force", "level": "2fa"}
        ]}}))
        .send()
        .await
        .unwrap();
    assert!(
        patched.status().is_success(),
        "{}",
        patched.text().await.unwrap()
    );

    // lettre, a second SMTP client beside smtplib, sends a mail with a BSN and the trigger word.
    let mail = Message::builder()
        .from("Arts <arts@zorg.example>".parse().unwrap())
        .to("juliet@ontvanger.example".parse().unwrap())
        .subject("Overdracht mevrouw De Vries")
        .body(BSN_BODY.to_owned())
        .unwrap();
    let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(smtp_port)
        .timeout(Some(Duration::from_secs(30)))
        .build();
    let response = transport.send(mail).await.expect("the gateway accepts");
    assert!(response.is_positive());
    let answer = response.message().collect::<Vec<_>>().join(" ");
    assert!(answer.contains("protected as message"), "{answer}");

    // 2FA with no number known for the recipient: held, and the sender is asked for it.
    let ask = receiver.wait_for("arts@zorg.example", "telefoonnummer");
    assert!(
        ask.text.contains("juliet@ontvanger.example"),
        "{}",
        ask.text
    );
    assert!(
        receiver
            .mails()
            .iter()
            .all(|m| !m.rcpt_to.iter().any(|r| r == "juliet@ontvanger.example")),
        "held: nothing reaches the recipient yet"
    );
    let phones_link = link_after(&ask.text, &format!("{}/phones/", zegel.base));
    let released = client()
        .post(&phones_link)
        .form(&[
            ("email_0", "juliet@ontvanger.example"),
            ("phone_0", "06 12345678"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(released.status(), 200);

    // Released: the notification reaches the recipient, the mail itself never does.
    let notification = receiver.wait_for("juliet@ontvanger.example", "Overdracht");
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
    assert!(landing.contains("+31******678"), "{landing}");
    assert_eq!(
        browser
            .post(format!("{link}/challenge"))
            .send()
            .await
            .unwrap()
            .status(),
        303
    );
    // The SMS code, from the dev SMS box.
    let body = zegel.wait_for_sms("+31612345678").await;
    let code = zegel_tests::sms_code(&body);
    let verified = browser
        .post(format!("{link}/verify"))
        .form(&[("code", code.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(verified.status(), 303, "code {code} from {body:?}");
    let page = browser
        .get(format!(
            "{}{}",
            zegel.base,
            verified.headers()["location"].to_str().unwrap()
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("111222333") && page.contains("GEHEIM-QX41"),
        "{page}"
    );

    // Nothing the receiver got (the request to the sender, the notification) holds the content.
    let mails = receiver.mails();
    assert!(mails.len() >= 2);
    for mail in &mails {
        let raw = String::from_utf8_lossy(&mail.raw);
        assert!(
            !raw.contains("111222333") && !raw.contains("GEHEIM-QX41"),
            "plaintext reached {:?}: {raw}",
            mail.rcpt_to
        );
    }
    let events = audit_events(&zegel, &admin).await;
    assert!(
        events.iter().any(|e| e == "gateway.protected"),
        "{events:?}"
    );
}

/// The relay jobs in the outbox (read with Python's sqlite3, the server's own database file): attempts,
/// whether a worker holds its lease, and the last error.
fn relay_jobs(zegel: &Zegel) -> Vec<(i64, bool, Option<String>)> {
    let script = r#"
import sqlite3, sys, json
db = sqlite3.connect(sys.argv[1], timeout=10)
rows = db.execute("SELECT attempts, lease_until IS NOT NULL, last_error FROM outbox WHERE kind = 'relay'").fetchall()
print(json.dumps(rows))
"#;
    let output = Command::new("python3")
        .args(["-c", script])
        .arg(zegel.data.path().join("zegel.db"))
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).unwrap();
    rows.iter()
        .map(|row| {
            (
                row[0].as_i64().unwrap(),
                row[1].as_i64().unwrap() != 0,
                row[2].as_str().map(str::to_owned),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relayed_mail_survives_a_next_hop_outage_and_a_crash() {
    use lettre::address::Envelope;
    use lettre::transport::smtp::client::AsyncSmtpConnection;
    use lettre::transport::smtp::extension::ClientId;

    // Notifications and bounces go to the mail transport; the next hop is elsewhere, and down.
    let mail_transport = SmtpReceiver::start();
    let next_hop = std::net::SocketAddr::from(([127, 0, 0, 1], free_port()));
    let (mut zegel, smtp_port) = gateway(mail_transport.address);
    zegel
        .env
        .push(("ZEGEL_SMTP_NEXT_HOP".into(), format!("smtp://{next_hop}")));
    zegel.grant_admin("ciso@zorg.example");
    let admin = zegel.token("ciso@zorg.example");
    serve(&mut zegel, smtp_port);

    // A clean mail with 8-bit text, a folded header and a line that needs dot-stuffing, sent raw by
    // lettre's SMTP connection.
    let raw = "From: Arts <arts@zorg.example>\r\nTo: jan@elders.example\r\n\
               Subject: Vergadering donderdag\r\nMessage-ID: <outage-1@zorg.example>\r\n\
               X-Folded: een lange kop\r\n\tdie doorloopt\r\n\
               Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n\
               Tot donderdag, één uur.\r\n.punt aan het begin\r\n..twee punten\r\n\r\nGroet\r\n";
    let mut connection = AsyncSmtpConnection::connect_tokio1(
        ("127.0.0.1", smtp_port),
        Some(Duration::from_secs(30)),
        &ClientId::Domain("lettre.test".into()),
        None,
        None,
    )
    .await
    .expect("lettre connects");
    let envelope = Envelope::new(
        Some("arts@zorg.example".parse().unwrap()),
        vec!["jan@elders.example".parse().unwrap()],
    )
    .unwrap();
    // lettre ends DATA with CRLF.CRLF itself, so it gets the mail without the last line's CRLF: on the
    // wire the mail is then exactly `raw` followed by `.CRLF`.
    let response = connection
        .send(&envelope, raw.strip_suffix("\r\n").unwrap().as_bytes())
        .await
        .expect("250 with the next hop down");
    let answer = response.message().collect::<Vec<_>>().join(" ");
    assert!(answer.contains("queued for relay"), "{answer}");
    connection.quit().await.unwrap();

    // The first attempt fails on the closed port and the job is scheduled again (lease given back).
    wait_until(Duration::from_secs(15), "a failed first attempt", || {
        let jobs = relay_jobs(&zegel);
        matches!(jobs.as_slice(), [(attempts, false, Some(_))] if *attempts >= 1).then_some(())
    });

    // The server dies; the next hop comes up; a new server delivers the mail, once, byte for byte.
    zegel.stop();
    let receiver = SmtpReceiver::start_on(next_hop);
    serve(&mut zegel, smtp_port);
    let mail = wait_until(Duration::from_secs(60), "the relayed mail", || {
        receiver.mails().into_iter().next()
    });
    assert_eq!(mail.mail_from, "arts@zorg.example");
    assert_eq!(mail.rcpt_to, ["jan@elders.example"]);
    assert_eq!(
        String::from_utf8_lossy(&mail.raw),
        raw,
        "relayed byte for byte"
    );
    // Once the job is done (audited, gone from the outbox), exactly one copy has arrived, and no bounce.
    poll(Duration::from_secs(15), "gateway.relayed", async || {
        audit_events(&zegel, &admin)
            .await
            .iter()
            .any(|e| e == "gateway.relayed")
            .then_some(())
    })
    .await;
    assert!(relay_jobs(&zegel).is_empty());
    assert_eq!(receiver.mails().len(), 1, "delivered exactly once");
    assert!(mail_transport.mails().is_empty(), "no bounce");
}
