//! The SMTP gateway end to end: the real `zegel serve` with `ZEGEL_SMTP_LISTEN`, Python's `smtplib` as an
//! independent SMTP client, and a real SMTP receiver as both the mail transport and the next hop.

use std::process::Command;
use std::time::Duration;

use zegel_tests::{SmtpReceiver, Zegel, free_port, wait_until};

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
    zegel.run_ok(&[
        "admin",
        "tenant",
        "add",
        "--name",
        "Zorg",
        "--domain",
        "zorg.example",
    ]);
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
