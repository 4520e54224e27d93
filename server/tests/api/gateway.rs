//! The SMTP gateway in-process: lettre (and a raw TCP client for protocol details) talking to
//! `gateway::serve`, the test suites' SMTP receiver (`zegel_tests::SmtpReceiver`) as the next hop, the
//! outbox stepped by hand.

use std::net::SocketAddr;
use std::sync::Arc;

use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
use zegel_tests::SmtpReceiver;

use crate::on_both;
use crate::support::{Backend, TestServer, secure_message};

/// A test server with the gateway on its own loopback port.
pub(crate) struct Gateway {
    pub(crate) server: TestServer,
    smtp: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Gateway {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Gateway {
    pub(crate) async fn start(backend: &Backend, extra: &[(&str, &str)]) -> Option<Self> {
        Self::start_with_budget(backend, extra, zegel_gateway::DATA_BUDGET_KIB).await
    }

    async fn start_with_budget(
        backend: &Backend,
        extra: &[(&str, &str)],
        budget_kib: u32,
    ) -> Option<Self> {
        let server = TestServer::start_on(backend, extra).await?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let smtp = listener.local_addr().unwrap();
        let state = server.state.gateway();
        let task = tokio::spawn(async move {
            zegel_gateway::serve_with_budget(state, listener, budget_kib)
                .await
                .unwrap();
        });
        // The tenant of zorg.example.
        server.token("arts@zorg.example").await;
        Some(Self { server, smtp, task })
    }

    fn client(&self) -> AsyncSmtpTransport<Tokio1Executor> {
        AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
            .port(self.smtp.port())
            .tls(Tls::None)
            .build()
    }

    pub(crate) async fn send(&self, from: &str, to: &[&str], raw: &[u8]) -> Result<(), String> {
        let envelope = lettre::address::Envelope::new(
            Some(from.parse().unwrap()),
            to.iter().map(|t| t.parse().unwrap()).collect(),
        )
        .unwrap();
        self.client()
            .send_raw(&envelope, raw)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    /// Sends `lines` pipelined in one write and reads `replies` replies (multi-line ones joined).
    async fn dialog(&self, lines: &str, replies: usize) -> Vec<String> {
        let stream = tokio::net::TcpStream::connect(self.smtp).await.unwrap();
        let (read, mut write) = stream.into_split();
        let mut read = tokio::io::BufReader::new(read);
        let mut greeting = String::new();
        read.read_line(&mut greeting).await.unwrap();
        assert!(greeting.starts_with("220 "), "{greeting}");
        write.write_all(lines.as_bytes()).await.unwrap();
        let mut out = Vec::new();
        for _ in 0..replies {
            let mut reply = String::new();
            loop {
                let mut line = String::new();
                if read.read_line(&mut line).await.unwrap() == 0 {
                    break;
                }
                reply.push_str(&line);
                if line.as_bytes().get(3) == Some(&b' ') {
                    break;
                }
            }
            out.push(reply);
        }
        out
    }

    /// `GET` on the API with a bearer token; the JSON answer.
    async fn get_json(&self, token: &str, path: &str) -> Value {
        let response = self
            .server
            .client
            .get(format!("{}{path}", self.server.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        response.json().await.unwrap()
    }
}

/// What the gateway receives in DATA for `raw` sent by lettre (which ends DATA with its own CRLF . CRLF).
fn in_data(raw: &[u8]) -> Vec<u8> {
    [raw, b"\r\n"].concat()
}

/// A clean mail as it travels in DATA (ending in CRLF; the client adds only the final "." line).
fn clean_mail(to: &str) -> Vec<u8> {
    format!(
        "From: Arts <arts@zorg.example>\r\nTo: <{to}>\r\nSubject: Lunch\r\nMessage-ID: <clean-1@zorg.example>\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nZullen we om 12 uur?\r\n\
         .Een regel met een punt.\r\n"
    )
    .into_bytes()
}

on_both!(clean_mail_is_relayed_unchanged, clean_relay, backend);
async fn clean_relay(backend: Backend) {
    let hop = SmtpReceiver::start_on("127.0.0.1:0".parse().unwrap());
    let next = format!("smtp://{}", hop.address);
    let Some(gw) = Gateway::start(&backend, &[("ZEGEL_SMTP_NEXT_HOP", &next)]).await else {
        return;
    };
    let raw = clean_mail("jan@elders.example");
    gw.send("arts@zorg.example", &["jan@elders.example"], &raw)
        .await
        .unwrap();
    assert_eq!(
        gw.server.count("outbox").await,
        1,
        "durably queued before 250"
    );
    gw.server.deliver().await;
    let mails = hop.mails();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].mail_from, "arts@zorg.example");
    assert_eq!(mails[0].rcpt_to, vec!["jan@elders.example".to_owned()]);
    assert_eq!(
        mails[0].raw,
        in_data(&raw),
        "byte for byte: the gateway adds no header"
    );
    assert!(
        gw.server.blob_files().is_empty(),
        "the relay blob is removed"
    );
    assert_eq!(gw.server.count("outbox").await, 0);
}

on_both!(bsn_mail_is_protected_held_and_released, protected, backend);
async fn protected(backend: Backend) {
    let hop = SmtpReceiver::start_on("127.0.0.1:0".parse().unwrap());
    let next = format!("smtp://{}", hop.address);
    let Some(gw) = Gateway::start(&backend, &[("ZEGEL_SMTP_NEXT_HOP", &next)]).await else {
        return;
    };
    let raw = b"From: arts@zorg.example\r\nTo: jan@elders.example\r\nCc: collega@zorg.example\r\n\
        Subject: Verwijzing\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n\
        Het BSN van mevrouw is 111222333.\r\n";
    gw.send(
        "arts@zorg.example",
        &[
            "jan@elders.example",
            "collega@zorg.example",
            "stil@elders.example",
        ],
        raw,
    )
    .await
    .unwrap();
    gw.server.deliver().await;
    // The colleague gets the original; nothing in plaintext went to the external recipients.
    let relayed = hop.mails();
    assert_eq!(relayed.len(), 1);
    assert_eq!(relayed[0].rcpt_to, vec!["collega@zorg.example".to_owned()]);
    assert_eq!(relayed[0].raw, in_data(raw));
    // BSN forces 2FA; the numbers are unknown: held, and the sender is asked for them.
    let mails = gw.server.mails();
    assert!(mails.iter().all(|m| m.to != "jan@elders.example"));
    let ask = mails
        .iter()
        .find(|m| m.to == "arts@zorg.example")
        .expect("the phone-number request");
    assert!(!ask.text.contains("111222333"));
    let token = gw.server.token("arts@zorg.example").await;
    let list: Value = gw
        .server
        .client
        .get(format!("{}/api/v1/messages?sent_by=me", gw.server.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = list["messages"][0]["id"].as_str().unwrap().to_owned();
    let status: Value = gw
        .server
        .client
        .get(format!("{}/api/v1/messages/{id}", gw.server.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let text = status.to_string();
    assert!(text.contains("bcc"), "the Bcc recipient stays Bcc: {text}");
    let released = gw
        .server
        .client
        .post(format!("{}/api/v1/messages/{id}/phones", gw.server.base))
        .bearer_auth(&token)
        .json(&json!({"phones": {"jan@elders.example": "0612345678", "stil@elders.example": "0687654321"}}))
        .send()
        .await
        .unwrap();
    assert!(released.status().is_success(), "{}", released.status());
    let link = gw.server.link_for("jan@elders.example").await;
    let api = gw.server.api_of(&link);
    assert_eq!(gw.server.challenge(&api).await, 202);
    let code = gw.server.code_for("+31612345678").await;
    assert_eq!(gw.server.verify(&api, &code).await, 200);
    let message: Value = gw
        .server
        .client
        .get(format!("{api}/message"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let shown = message.to_string();
    assert!(shown.contains("111222333"), "{shown}");
    assert!(
        !shown.contains("stil@elders.example"),
        "Bcc not revealed: {shown}"
    );
    let events: Vec<String> = sqlx::query_scalar(
        "SELECT event FROM audit_events WHERE event LIKE 'gateway.%' ORDER BY seq",
    )
    .fetch_all(&gw.server.state.db.pool)
    .await
    .unwrap();
    assert_eq!(
        events,
        ["gateway.accepted", "gateway.protected", "gateway.relayed"],
        "relay job for the colleague, the protected message"
    );
}

on_both!(activation_word_forces, activation_word, backend);
async fn activation_word(backend: Backend) {
    let Some(gw) = Gateway::start(&backend, &[]).await else {
        return;
    };
    let tenant = zegel_store::tenants::tenant_for_domain(&gw.server.state.db, "zorg.example")
        .await
        .unwrap()
        .unwrap();
    let mut settings = zegel_service::settings::effective(&gw.server.state, &tenant.id)
        .await
        .unwrap();
    settings.content_filter.activation_words = vec!["zegel-veilig".into()];
    settings.allow_1fa = true;
    zegel_service::settings::save(&gw.server.state, &tenant.id, "test", settings, None)
        .await
        .unwrap();
    let raw = b"From: arts@zorg.example\r\nTo: collega@zorg.example\r\nSubject: zegel-veilig afspraak\r\n\r\nTot morgen.\r\n";
    gw.send("arts@zorg.example", &["collega@zorg.example"], raw)
        .await
        .unwrap();
    gw.server.deliver().await;
    // Even a colleague gets a notification, not the mail (the dev mailbox is the fallback next hop).
    let link = gw.server.link_for("collega@zorg.example").await;
    assert!(link.contains("/m/"));
    assert!(
        gw.server
            .mails()
            .iter()
            .all(|m| !m.text.contains("Tot morgen")),
        "the original never leaves in plaintext"
    );

    // A sensitive value in the subject travels in no e-mail's subject or text: not the notification,
    // not the password mail; the landing page before sign-in shows the neutral title too.
    let raw = b"From: arts@zorg.example\r\nTo: jan@elders.example\r\nSubject: Terugbetaling NL91ABNA0417164300\r\n\r\nZie het portaal.\r\n";
    gw.send("arts@zorg.example", &["jan@elders.example"], raw)
        .await
        .unwrap();
    gw.server.deliver().await;
    let link = gw.server.link_for("jan@elders.example").await;
    let landing = reqwest::get(&link).await.unwrap().text().await.unwrap();
    assert!(!landing.contains("NL91ABNA0417164300"), "{landing}");
    assert_eq!(gw.server.challenge(&gw.server.api_of(&link)).await, 202);
    gw.server.deliver().await;
    let to_jan: Vec<_> = gw
        .server
        .mails()
        .into_iter()
        .filter(|m| m.to == "jan@elders.example")
        .collect();
    assert_eq!(to_jan.len(), 2, "the notification and the password mail");
    for mail in &to_jan {
        assert!(
            !mail.subject.contains("NL91ABNA0417164300")
                && !mail.text.contains("NL91ABNA0417164300")
                && !mail
                    .html
                    .as_deref()
                    .unwrap_or_default()
                    .contains("NL91ABNA0417164300"),
            "{mail:?}"
        );
    }
}

on_both!(next_hop_down_then_up, next_hop_down, backend);
async fn next_hop_down(backend: Backend) {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let next = format!("smtp://127.0.0.1:{port}");
    let Some(gw) = Gateway::start(&backend, &[("ZEGEL_SMTP_NEXT_HOP", &next)]).await else {
        return;
    };
    let raw = clean_mail("jan@elders.example");
    gw.send("arts@zorg.example", &["jan@elders.example"], &raw)
        .await
        .expect("accepted although the next hop is down");
    gw.server.deliver().await;
    assert_eq!(gw.server.count("outbox").await, 1, "kept for a retry");
    let hop = SmtpReceiver::start_on(format!("127.0.0.1:{port}").parse().unwrap());
    gw.server.clock.advance(jiff::SignedDuration::from_secs(60));
    gw.server.deliver().await;
    assert_eq!(hop.mails().len(), 1);
    assert_eq!(hop.mails()[0].raw, in_data(&raw));

    // A permanent refusal: a DSN to the sender through the mail transport (the dev mailbox here).
    hop.refuse_everyone(Some(550));
    gw.send(
        "arts@zorg.example",
        &["weg@elders.example"],
        &clean_mail("weg@elders.example"),
    )
    .await
    .unwrap();
    gw.server.deliver().await;
    gw.server.deliver().await;
    let dsn = gw
        .server
        .mails()
        .into_iter()
        .find(|m| m.to == "arts@zorg.example")
        .expect("a DSN to the sender");
    assert!(dsn.subject.contains("Undelivered"), "{}", dsn.subject);
    assert!(dsn.text.contains("weg@elders.example"));
    assert!(!dsn.text.contains("Zullen we"), "no body of the original");
    assert!(gw.server.blob_files().is_empty());
    gw.server
        .leaves_jobs("the refused relay stays in the outbox, failed for good, after its DSN");
}

on_both!(refusals_and_limits, refusals, backend);
async fn refusals(backend: Backend) {
    let Some(gw) = Gateway::start(
        &backend,
        &[
            ("ZEGEL_SMTP_MAX_SIZE", "2000"),
            ("ZEGEL_SMTP_MAX_RECIPIENTS", "2"),
        ],
    )
    .await
    else {
        return;
    };
    // Unknown sender domain.
    let error = gw
        .send(
            "iemand@elders.example",
            &["jan@elders.example"],
            &clean_mail("x@y.example"),
        )
        .await
        .unwrap_err();
    assert!(error.contains("550"), "{error}");
    // Pipelined: EHLO, MAIL, three RCPTs (limit 2), RSET, NOOP, garbage, an oversize MAIL.
    let replies = gw
        .dialog(
            "EHLO client.test\r\nMAIL FROM:<arts@zorg.example>\r\nRCPT TO:<a@elders.example>\r\n\
             RCPT TO:<b@elders.example>\r\nRCPT TO:<c@elders.example>\r\nRSET\r\nNOOP\r\n\
             \x01\x02 garbage \x7f\r\nMAIL FROM:<arts@zorg.example> SIZE=999999\r\nQUIT\r\n",
            10,
        )
        .await;
    assert!(replies[0].contains("250-SIZE 2000"), "{}", replies[0]);
    assert!(replies[0].contains("PIPELINING") && replies[0].contains("8BITMIME"));
    assert!(
        !replies[0].contains("STARTTLS"),
        "no certificate, no STARTTLS"
    );
    assert!(replies[1].starts_with("250"), "{}", replies[1]);
    assert!(replies[2].starts_with("250") && replies[3].starts_with("250"));
    assert!(replies[4].starts_with("452 4.5.3"), "{}", replies[4]);
    assert!(replies[5].starts_with("250") && replies[6].starts_with("250"));
    assert!(replies[7].starts_with("500"), "{}", replies[7]);
    assert!(replies[8].starts_with("552"), "{}", replies[8]);
    assert!(replies[9].starts_with("221"), "{}", replies[9]);
    // A body over the limit.
    let big = format!(
        "Subject: groot\r\n\r\n{}\r\n",
        "x".repeat(70)
            .repeat(40)
            .chars()
            .collect::<Vec<_>>()
            .chunks(70)
            .map(|c| c.iter().collect::<String>())
            .collect::<Vec<_>>()
            .join("\r\n")
    );
    let error = gw
        .send("arts@zorg.example", &["jan@elders.example"], big.as_bytes())
        .await
        .unwrap_err();
    assert!(error.contains("552"), "{error}");
    // Malformed MIME: answered cleanly with 554, the session goes on.
    let replies = gw
        .dialog(
            "EHLO c\r\nMAIL FROM:<arts@zorg.example>\r\nRCPT TO:<a@elders.example>\r\nDATA\r\n\
             \r\n\r\n.\r\nNOOP\r\n",
            6,
        )
        .await;
    assert!(replies[4].starts_with("554 5.6.0"), "{replies:?}");
    assert!(replies[5].starts_with("250"), "{replies:?}");
    // An overlong line closes the connection with 500.
    let replies = gw
        .dialog(&format!("EHLO {}\r\n", "a".repeat(5000)), 1)
        .await;
    assert!(replies[0].starts_with("500"), "{replies:?}");
    assert_eq!(gw.server.count("outbox").await, 0);
}

on_both!(
    foreign_network_is_refused_and_auth_needs_tls,
    tls_and_auth,
    backend
);
async fn tls_and_auth(backend: Backend) {
    let dir = tempfile::TempDir::new().unwrap();
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert_path = dir.path().join("cert.pem");
    let key_path = dir.path().join("key.pem");
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.signing_key.serialize_pem()).unwrap();
    let (cert_path, key_path) = (
        cert_path.display().to_string(),
        key_path.display().to_string(),
    );
    let Some(gw) = Gateway::start(
        &backend,
        &[
            // Loopback is a foreign network here.
            ("ZEGEL_SMTP_RELAY_NETWORKS", "10.0.0.0/8"),
            ("ZEGEL_SMTP_TLS_CERT", &cert_path),
            ("ZEGEL_SMTP_TLS_KEY", &key_path),
        ],
    )
    .await
    else {
        return;
    };
    let error = gw
        .send(
            "arts@zorg.example",
            &["jan@elders.example"],
            &clean_mail("jan@elders.example"),
        )
        .await
        .unwrap_err();
    assert!(error.contains("550"), "never an open relay: {error}");
    let replies = gw
        .dialog("EHLO c\r\nAUTH PLAIN AGFydHNAem9yZy5leGFtcGxlAHg=\r\n", 2)
        .await;
    assert!(replies[0].contains("STARTTLS"), "{}", replies[0]);
    assert!(!replies[0].contains("AUTH"), "no AUTH before TLS");
    assert!(replies[1].starts_with("538"), "{}", replies[1]);

    let token = gw.server.token("arts@zorg.example").await;
    let tls = TlsParameters::builder("localhost".to_owned())
        .dangerous_accept_invalid_certs(true)
        .build()
        .unwrap();
    let client = |user: &str, password: &str| {
        AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
            .port(gw.smtp.port())
            .tls(Tls::Required(tls.clone()))
            .credentials(Credentials::new(user.to_owned(), password.to_owned()))
            .build()
    };
    let envelope = lettre::address::Envelope::new(
        Some("arts@zorg.example".parse().unwrap()),
        vec!["jan@elders.example".parse().unwrap()],
    )
    .unwrap();
    let raw = clean_mail("jan@elders.example");
    let wrong = client("arts@zorg.example", "zgl1.nope")
        .send_raw(&envelope, &raw)
        .await
        .unwrap_err();
    assert!(
        wrong.to_string().contains("535") || wrong.is_permanent(),
        "{wrong}"
    );
    let other = client("ander@zorg.example", &token)
        .send_raw(&envelope, &raw)
        .await
        .unwrap_err();
    assert!(other.is_permanent(), "{other}");
    client("arts@zorg.example", &token)
        .send_raw(&envelope, &raw)
        .await
        .expect("authenticated over TLS: relayed");
    gw.server.deliver().await;
    assert!(
        gw.server
            .mails()
            .iter()
            .any(|m| m.to == "jan@elders.example" && m.subject == "Lunch")
    );
}

/// A mail as the add-in's sent record travels: the notification text as the body (plus `extra`), and
/// the `X-Zegel-Message` header.
fn sent_record(id: &str, extra: &str) -> Vec<u8> {
    format!(
        "From: arts@zorg.example\r\nTo: jan@elders.example\r\nSubject: Verwijzing\r\n\
         X-Zegel-Message: {id}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n\
         U heeft een beveiligd bericht ontvangen via Zegel.{extra}\r\n"
    )
    .into_bytes()
}

on_both!(
    sent_record_is_relayed_unknown_id_is_protected,
    sent_records,
    backend
);
async fn sent_records(backend: Backend) {
    let hop = SmtpReceiver::start_on("127.0.0.1:0".parse().unwrap());
    let next = format!("smtp://{}", hop.address);
    let Some(gw) = Gateway::start(&backend, &[("ZEGEL_SMTP_NEXT_HOP", &next)]).await else {
        return;
    };
    // The add-in uploaded the message first, then Outlook sends the sent record through the gateway.
    let created = gw
        .server
        .send(&secure_message("jan@elders.example"), &[])
        .await;
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    gw.server.deliver().await;
    let messages = gw.server.count("messages").await;
    let raw = sent_record(&id, "");
    gw.send("arts@zorg.example", &["jan@elders.example"], &raw)
        .await
        .unwrap();
    gw.server.deliver().await;
    assert_eq!(
        gw.server.count("messages").await,
        messages,
        "no second Zegel message"
    );
    let relayed = hop.mails();
    assert_eq!(relayed.len(), 1);
    assert_eq!(relayed[0].rcpt_to, vec!["jan@elders.example".to_owned()]);
    assert_eq!(relayed[0].raw, in_data(&raw), "byte for byte");

    // The header is no way around the scan: a sent record with a BSN is protected all the same.
    gw.send(
        "arts@zorg.example",
        &["jan@elders.example"],
        &sent_record(&id, " Het BSN van mevrouw is 111222333."),
    )
    .await
    .unwrap();
    gw.server.deliver().await;
    assert_eq!(gw.server.count("messages").await, messages + 1);
    assert_eq!(hop.mails().len(), 1, "nothing more relayed");

    // An id Zegel does not know, or one of another tenant's messages, asks for protection: even a
    // clean mail becomes a message and never leaves in plaintext.
    let other = gw.server.token("dokter@andere.example").await;
    let foreign = gw
        .server
        .send_as(
            &other,
            Some(secure_message("jan@elders.example").to_string()),
            &[],
        )
        .await;
    assert_eq!(foreign.status(), 201);
    let foreign: Value = foreign.json().await.unwrap();
    let foreign = foreign["id"].as_str().unwrap().to_owned();
    for forged in ["bestaat-niet", foreign.as_str()] {
        let messages = gw.server.count("messages").await;
        gw.send(
            "arts@zorg.example",
            &["jan@elders.example"],
            &sent_record(forged, " Vervalst."),
        )
        .await
        .unwrap();
        gw.server.deliver().await;
        assert_eq!(
            gw.server.count("messages").await,
            messages + 1,
            "{forged}: protected as a new message"
        );
        assert_eq!(hop.mails().len(), 1, "{forged}: nothing more relayed");
        assert!(
            gw.server
                .mails()
                .iter()
                .all(|m| !m.text.contains("Vervalst")
                    && !m.html.as_deref().unwrap_or("").contains("Vervalst")),
            "{forged}: never in plaintext"
        );
    }
    let token = gw.server.token("arts@zorg.example").await;
    let list = gw.get_json(&token, "/api/v1/messages?sent_by=me").await;
    assert_eq!(list["messages"].as_array().unwrap().len(), 4, "{list}");
    let events: Vec<String> = sqlx::query_scalar(
        "SELECT event FROM audit_events WHERE event LIKE 'gateway.%' ORDER BY seq",
    )
    .fetch_all(&gw.server.state.db.pool)
    .await
    .unwrap();
    assert_eq!(
        events,
        [
            "gateway.accepted",
            "gateway.relayed",
            "gateway.accepted",
            "gateway.protected",
            "gateway.accepted",
            "gateway.protected",
            "gateway.accepted",
            "gateway.protected",
        ]
    );
}

/// A clean subject and body, a text attachment with a BSN.
fn bsn_attachment(subject: &str) -> Vec<u8> {
    format!(
        "From: arts@zorg.example\r\nTo: jan@elders.example\r\nSubject: {subject}\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"grens\"\r\n\r\n\
         --grens\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nZie de bijlage.\r\n\
         --grens\r\nContent-Type: text/plain; name=\"verslag.txt\"\r\n\
         Content-Disposition: attachment; filename=\"verslag.txt\"\r\n\r\n\
         Patient met BSN 111222333.\r\n--grens--\r\n"
    )
    .into_bytes()
}

on_both!(
    attachment_findings_become_secure_files_when_set,
    attachments_as_files,
    backend
);
async fn attachments_as_files(backend: Backend) {
    let Some(gw) = Gateway::start(&backend, &[]).await else {
        return;
    };
    let sender = gw.server.token("arts@zorg.example").await;
    let admin = gw.server.token("ciso@zorg.example").await;
    zegel_server::admin::grant(&gw.server.state, "ciso@zorg.example", "admin")
        .await
        .unwrap();
    // Sends the mail and answers the kind of the message it became.
    let kind_of = async |subject: &str| {
        gw.send(
            "arts@zorg.example",
            &["jan@elders.example"],
            &bsn_attachment(subject),
        )
        .await
        .unwrap();
        let list = gw.get_json(&sender, "/api/v1/messages?sent_by=me").await;
        let id = list["messages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["subject"] == subject)
            .expect("stored as a message")["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let status = gw
            .get_json(&sender, &format!("/api/v1/messages/{id}"))
            .await;
        assert_eq!(status["files"].as_array().unwrap().len(), 1, "{status}");
        status["kind"].as_str().unwrap().to_owned()
    };
    // Off on day one: a secure message.
    assert_eq!(kind_of("Verslag 1").await, "secure_message");
    let response = gw
        .server
        .client
        .patch(format!("{}/api/v1/admin/settings", gw.server.base))
        .bearer_auth(&admin)
        .header("content-type", "application/merge-patch+json")
        .body(json!({"gateway_attachments_as_secure_files": true}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(kind_of("Verslag 2").await, "secure_files");
    assert_eq!(gw.server.count("messages").await, 2);
    // A finding in the body as well: still a secure message.
    let raw = String::from_utf8(bsn_attachment("Verslag 3"))
        .unwrap()
        .replace("Zie de bijlage.", "Zie de bijlage, BSN 111222333.");
    gw.send("arts@zorg.example", &["jan@elders.example"], raw.as_bytes())
        .await
        .unwrap();
    let list = gw.get_json(&sender, "/api/v1/messages?sent_by=me").await;
    let third = list["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["subject"] == "Verslag 3")
        .expect("stored as a message");
    assert_eq!(third["kind"], "secure_message", "{list}");
}

on_both!(memory_budget_defers_mail, memory_budget, backend);
async fn memory_budget(backend: Backend) {
    // A budget of 1 MiB for all DATA in memory: a 2 MB mail is deferred with 452, not stored, and the
    // budget is free again for the next mail.
    let Some(gw) = Gateway::start_with_budget(&backend, &[], 1024).await else {
        return;
    };
    let big = format!(
        "From: arts@zorg.example\r\nTo: jan@elders.example\r\nSubject: Groot\r\n\r\n{}\r\n",
        "de agenda voor morgen\r\n".repeat(100_000)
    );
    let refused = gw
        .send("arts@zorg.example", &["jan@elders.example"], big.as_bytes())
        .await
        .unwrap_err();
    assert!(
        refused.contains("452") || refused.contains("storage"),
        "{refused}"
    );
    assert_eq!(gw.server.count("outbox").await, 0, "nothing stored");
    let small = b"From: arts@zorg.example\r\nTo: jan@elders.example\r\nSubject: Klein\r\n\r\nTot morgen.\r\n";
    gw.send("arts@zorg.example", &["jan@elders.example"], small)
        .await
        .unwrap();
    assert_eq!(gw.server.count("outbox").await, 1);
}

on_both!(a_mail_sent_again_is_stored_once, sent_again, backend);
async fn sent_again(backend: Backend) {
    // A sending server that lost the `250` sends the same mail again (same Message-ID, sender and
    // recipients): it gets `250` again, and there is still one relay job and one message.
    let Some(gw) = Gateway::start(&backend, &[]).await else {
        return;
    };
    let clean = b"From: arts@zorg.example\r\nTo: jan@elders.example\r\nSubject: Lunch\r\nMessage-ID: <twice-1@zorg.example>\r\n\r\nOm 12 uur?\r\n";
    for _ in 0..2 {
        gw.send("arts@zorg.example", &["jan@elders.example"], clean)
            .await
            .unwrap();
    }
    assert_eq!(gw.server.count("outbox").await, 1);
    let sensitive = b"From: arts@zorg.example\r\nTo: jan@elders.example\r\nSubject: Betaling\r\nMessage-ID: <twice-2@zorg.example>\r\n\r\nKaart 4111 1111 1111 1111.\r\n";
    for _ in 0..2 {
        gw.send("arts@zorg.example", &["jan@elders.example"], sensitive)
            .await
            .unwrap();
    }
    assert_eq!(gw.server.count("messages").await, 1);
    // Another recipient list is another mail.
    gw.send(
        "arts@zorg.example",
        &["jan@elders.example", "piet@elders.example"],
        clean,
    )
    .await
    .unwrap();
    assert_eq!(gw.server.count("outbox").await, 3, "one relay job more");
    // After a week the key is forgotten by the maintenance job; the table is what it cleans.
    assert_eq!(gw.server.count("gateway_accepted").await, 3);
}

on_both!(relay_outcomes_are_per_recipient, per_recipient, backend);
async fn per_recipient(backend: Backend) {
    let hop = SmtpReceiver::start_on("127.0.0.1:0".parse().unwrap());
    let next = format!("smtp://{}", hop.address);
    // The next hop refuses refused@ for good (550) and later@ for now (450, mailbox busy).
    hop.refuse("refused@elders.example", 550);
    hop.refuse("later@elders.example", 450);
    let Some(gw) = Gateway::start(&backend, &[("ZEGEL_SMTP_NEXT_HOP", &next)]).await else {
        return;
    };
    let copies = |to: &str| hop.count_to(to);
    let dsns = || {
        gw.server
            .mails()
            .into_iter()
            .filter(|m| m.to == "arts@zorg.example")
            .collect::<Vec<_>>()
    };
    let raw = b"From: Arts <arts@zorg.example>\r\nTo: good@elders.example, refused@elders.example, later@elders.example\r\n\
        Subject: Lunch\r\nMessage-ID: <per-recipient-1@zorg.example>\r\n\r\nZullen we om 12 uur?\r\n";
    gw.send(
        "arts@zorg.example",
        &[
            "good@elders.example",
            "refused@elders.example",
            "later@elders.example",
        ],
        raw,
    )
    .await
    .unwrap();

    // The next hop refuses the envelope at refused@ (550): each recipient is tried on its own.
    gw.server.deliver().await;
    assert_eq!(copies("good@elders.example"), 1, "good@ gets it at once");
    assert_eq!(copies("refused@elders.example"), 0);
    assert_eq!(copies("later@elders.example"), 0);
    let good = hop.mails()[0].clone();
    assert_eq!(good.mail_from, "arts@zorg.example");
    assert_eq!(good.rcpt_to, vec!["good@elders.example".to_owned()]);
    assert_eq!(good.raw, in_data(raw), "byte for byte");
    // One DSN, naming only the recipient refused for good, with the next hop's reason.
    let bounced = dsns();
    assert_eq!(bounced.len(), 1, "one DSN");
    assert!(bounced[0].subject.contains("Undelivered"));
    assert!(
        bounced[0].text.contains("refused@elders.example"),
        "{}",
        bounced[0].text
    );
    assert!(bounced[0].text.contains("550"), "{}", bounced[0].text);
    assert!(!bounced[0].text.contains("good@elders.example"));
    assert!(!bounced[0].text.contains("later@elders.example"));
    assert!(!bounced[0].text.contains("Zullen we"), "no body");
    // later@ (450) waits in the relay job, with its blob.
    assert_eq!(gw.server.count("outbox").await, 1, "the relay job is kept");
    assert!(!gw.server.blob_files().is_empty(), "the blob is kept");

    // Still busy at the next attempt: only later@ is tried, good@ gets no second copy.
    gw.server.clock.advance(jiff::SignedDuration::from_secs(60));
    gw.server.deliver().await;
    assert_eq!(copies("good@elders.example"), 1);
    assert_eq!(copies("later@elders.example"), 0);
    assert_eq!(gw.server.count("outbox").await, 1);

    // The mailbox is free again: later@ gets it once, and the job is done.
    hop.accept("later@elders.example");
    gw.server
        .clock
        .advance(jiff::SignedDuration::from_secs(600));
    gw.server.deliver().await;
    assert_eq!(copies("later@elders.example"), 1);
    assert_eq!(copies("good@elders.example"), 1, "never a second copy");
    assert_eq!(copies("refused@elders.example"), 0);
    let mails = hop.mails();
    assert_eq!(mails.len(), 2);
    assert_eq!(mails[1].rcpt_to, vec!["later@elders.example".to_owned()]);
    assert_eq!(mails[1].raw, in_data(raw));
    assert_eq!(dsns().len(), 1, "no second DSN");
    assert_eq!(gw.server.count("outbox").await, 0);
    assert!(gw.server.blob_files().is_empty(), "the blob is removed");
    gw.server
        .clock
        .advance(jiff::SignedDuration::from_secs(7200));
    assert_eq!(gw.server.deliver().await, 0, "nothing left to do");
}

/// One SMTP transaction from the null sender, pipelined; the final reply.
async fn from_null_sender(gw: &Gateway, header_from: &str, body: &str) -> String {
    let replies = gw
        .dialog(
            &format!(
                "EHLO relay.zorg.example\r\nMAIL FROM:<>\r\nRCPT TO:<jan@elders.example>\r\nDATA\r\n\
                 From: {header_from}\r\nTo: jan@elders.example\r\nSubject: Undeliverable: verwijzing\r\n\
                 MIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n{body}\r\n.\r\nQUIT\r\n"
            ),
            6,
        )
        .await;
    assert!(
        replies[1].starts_with("250"),
        "MAIL FROM:<> from a relay network: {replies:?}"
    );
    assert!(replies[3].starts_with("354"), "{replies:?}");
    replies[4].clone()
}

on_both!(
    null_sender_is_scanned_never_relayed_unscanned,
    null_sender,
    backend
);
async fn null_sender(backend: Backend) {
    let hop = SmtpReceiver::start_on("127.0.0.1:0".parse().unwrap());
    let next = format!("smtp://{}", hop.address);
    let Some(gw) = Gateway::start(&backend, &[("ZEGEL_SMTP_NEXT_HOP", &next)]).await else {
        return;
    };
    // A BSN from `<>`: refused, nothing queued, nothing relayed.
    let reply = from_null_sender(
        &gw,
        "postmaster@zorg.example",
        "Het BSN van mevrouw is 111222333.",
    )
    .await;
    assert!(reply.starts_with("550 5.7.1"), "{reply}");
    // A From: of a domain nobody here serves: refused too (no policy to scan it under).
    let reply = from_null_sender(&gw, "mailer-daemon@elders.example", "Undeliverable.").await;
    assert!(reply.starts_with("550 5.7.1"), "{reply}");
    assert_eq!(gw.server.count("outbox").await, 0);
    assert_eq!(gw.server.count("messages").await, 0);
    gw.server.deliver().await;
    assert!(hop.mails().is_empty(), "nothing went out unscanned");
    // A clean bounce of the tenant's own server passes the scan and is relayed.
    let reply = from_null_sender(
        &gw,
        "postmaster@zorg.example",
        "Your message could not be delivered.",
    )
    .await;
    assert!(reply.starts_with("250"), "{reply}");
    // Queued as a relay job, the only kind of job a clean mail makes. (The test's next hop, `mailin`,
    // does not parse `MAIL FROM:<>`, so the relay itself is not observed here.)
    let purposes: Vec<(String,)> = sqlx::query_as("SELECT purpose FROM outbox")
        .fetch_all(&gw.server.state.db.pool)
        .await
        .unwrap();
    assert_eq!(purposes, vec![("relay".to_owned(),)], "queued for relaying");
    assert_eq!(gw.server.count("messages").await, 0, "nothing to protect");
    gw.server.leaves_jobs(
        "the test's next hop refuses `MAIL FROM:<>`: the bounce's relay fails for good",
    );
}

on_both!(
    one_address_cannot_take_every_smtp_slot,
    per_address_cap,
    backend
);
async fn per_address_cap(backend: Backend) {
    let Some(gw) = Gateway::start(&backend, &[]).await else {
        return;
    };
    let cap = gw.server.state.config.gateway.max_connections_per_ip;
    assert!(cap < zegel_gateway::MAX_CONNECTIONS / 4);
    let connect = |source: [u8; 4]| async move {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind(SocketAddr::from((source, 0))).unwrap();
        let stream = socket.connect(gw.smtp).await.unwrap();
        let mut read = tokio::io::BufReader::new(stream);
        let mut greeting = String::new();
        read.read_line(&mut greeting).await.unwrap();
        (read, greeting)
    };
    // 200 idle connections from one address: only the first `cap` are served.
    let mut idle = Vec::new();
    let mut refused = 0;
    for _ in 0..200 {
        let (stream, greeting) = connect([127, 0, 0, 1]).await;
        if greeting.starts_with("220 ") {
            idle.push(stream);
        } else {
            assert!(greeting.starts_with("421 4.7.0"), "{greeting}");
            refused += 1;
        }
    }
    assert_eq!(idle.len(), cap);
    assert_eq!(refused, 200 - cap);
    // Another client is not locked out.
    let (_other, greeting) = connect([127, 0, 0, 2]).await;
    assert!(greeting.starts_with("220 "), "{greeting}");
}

/// Over STARTTLS, optionally with a client certificate: EHLO, MAIL, RCPT; the RCPT reply.
async fn relay_over_tls(
    gw: &Gateway,
    roots: &rustls::RootCertStore,
    identity: Option<(
        rustls::pki_types::CertificateDer<'static>,
        rustls::pki_types::PrivateKeyDer<'static>,
    )>,
) -> String {
    async fn read_reply<R: tokio::io::AsyncBufRead + Unpin>(read: &mut R) -> String {
        let mut reply = String::new();
        loop {
            let mut line = String::new();
            if read.read_line(&mut line).await.unwrap() == 0 {
                return reply;
            }
            reply.push_str(&line);
            if line.as_bytes().get(3) == Some(&b' ') {
                return reply;
            }
        }
    }
    let stream = tokio::net::TcpStream::connect(gw.smtp).await.unwrap();
    let mut plain = tokio::io::BufReader::new(stream);
    assert!(read_reply(&mut plain).await.starts_with("220"));
    plain
        .get_mut()
        .write_all(b"EHLO connector.test\r\n")
        .await
        .unwrap();
    assert!(read_reply(&mut plain).await.contains("STARTTLS"));
    plain.get_mut().write_all(b"STARTTLS\r\n").await.unwrap();
    assert!(read_reply(&mut plain).await.starts_with("220"));
    let builder = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots.clone());
    let config = match identity {
        Some((cert, key)) => builder.with_client_auth_cert(vec![cert], key).unwrap(),
        None => builder.with_no_client_auth(),
    };
    let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(
            rustls::pki_types::ServerName::try_from("localhost").unwrap(),
            plain.into_inner(),
        )
        .await
        .unwrap();
    let mut tls = tokio::io::BufReader::new(tls);
    tls.get_mut()
        .write_all(b"EHLO connector.test\r\nMAIL FROM:<arts@zorg.example>\r\nRCPT TO:<jan@elders.example>\r\n")
        .await
        .unwrap();
    assert!(read_reply(&mut tls).await.starts_with("250"));
    assert!(read_reply(&mut tls).await.starts_with("250"));
    read_reply(&mut tls).await
}

on_both!(
    shared_networks_relay_only_with_the_certificate_name,
    certificate_names,
    backend
);
async fn certificate_names(backend: Backend) {
    use rcgen::{
        BasicConstraints, CertificateParams, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
        KeyUsagePurpose,
    };
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::TempDir::new().unwrap();
    // A CA of our own signs the gateway's certificate and the connectors' client certificates.
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::from_params(&ca_params, &ca_key);
    let issue = |name: &str, purpose: ExtendedKeyUsagePurpose| {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(vec![name.to_owned()]).unwrap();
        params.extended_key_usages = vec![purpose];
        let cert = params.signed_by(&key, &issuer).unwrap();
        (cert, key)
    };
    let (server_cert, server_key) = issue("localhost", ExtendedKeyUsagePurpose::ServerAuth);
    let write = |name: &str, pem: String| {
        let path = dir.path().join(name);
        std::fs::write(&path, pem).unwrap();
        path.display().to_string()
    };
    let cert_path = write("cert.pem", server_cert.pem());
    let key_path = write("key.pem", server_key.serialize_pem());
    let ca_path = write("ca.pem", ca_cert.pem());
    let hop = SmtpReceiver::start_on("127.0.0.1:0".parse().unwrap());
    let next = format!("smtp://{}", hop.address);
    let Some(gw) = Gateway::start(
        &backend,
        &[
            // Loopback plays Exchange Online's shared ranges: no relay on the address alone.
            ("ZEGEL_SMTP_RELAY_NETWORKS", "10.0.0.0/8"),
            ("ZEGEL_SMTP_RELAY_CERT_NETWORKS", "127.0.0.0/8"),
            ("ZEGEL_SMTP_RELAY_CERT_NAMES", "connector.zorg.example"),
            ("ZEGEL_SMTP_CLIENT_CA", &ca_path),
            ("ZEGEL_SMTP_TLS_CERT", &cert_path),
            ("ZEGEL_SMTP_TLS_KEY", &key_path),
            ("ZEGEL_SMTP_NEXT_HOP", &next),
        ],
    )
    .await
    else {
        return;
    };
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca_cert.der().clone()).unwrap();
    let identity = |name: &str| {
        let (cert, key) = issue(name, ExtendedKeyUsagePurpose::ClientAuth);
        let key: PrivateKeyDer<'static> = PrivatePkcs8KeyDer::from(key.serialize_der()).into();
        (CertificateDer::from(cert.der().to_vec()), key)
    };
    // Without TLS, with TLS but no certificate, with another customer's certificate: refused.
    let error = gw
        .send(
            "arts@zorg.example",
            &["jan@elders.example"],
            &clean_mail("jan@elders.example"),
        )
        .await
        .unwrap_err();
    assert!(error.contains("550"), "{error}");
    let reply = relay_over_tls(&gw, &roots, None).await;
    assert!(reply.starts_with("550 5.7.1"), "{reply}");
    let reply = relay_over_tls(
        &gw,
        &roots,
        Some(identity("connector.other-customer.example")),
    )
    .await;
    assert!(reply.starts_with("550 5.7.1"), "{reply}");
    // The connector's certificate name: relayed.
    let reply = relay_over_tls(&gw, &roots, Some(identity("connector.zorg.example"))).await;
    assert!(reply.starts_with("250"), "{reply}");
    assert_eq!(gw.server.count("outbox").await, 0);
}

on_both!(
    headers_raise_protection_never_lower_it,
    headers_raise_only,
    backend
);
async fn headers_raise_only(backend: Backend) {
    let Some(gw) = Gateway::start(&backend, &[]).await else {
        return;
    };
    let stored = || async {
        sqlx::query_as::<_, (String, Option<String>)>(
            "SELECT kind, auth_level FROM messages ORDER BY created_at, id",
        )
        .fetch_all(&gw.server.state.db.pool)
        .await
        .unwrap()
    };
    // A BSN in the body forces a secure message at 2FA: headers asking for secure files at 1FA do not
    // lower that.
    let raw = b"From: arts@zorg.example\r\nTo: jan@elders.example\r\nSubject: Verwijzing\r\n\
        X-Zegel-Kind: secure_files\r\nX-Zegel-Level: 1fa\r\n\r\nHet BSN van mevrouw is 111222333.\r\n";
    gw.send("arts@zorg.example", &["jan@elders.example"], raw)
        .await
        .unwrap();
    assert_eq!(
        stored().await,
        [("secure_message".to_owned(), Some("2fa".to_owned()))]
    );
    // A clean mail: the headers raise protection to what they ask.
    let raw = b"From: arts@zorg.example\r\nTo: jan@elders.example\r\nSubject: Lunch\r\n\
        X-Zegel-Kind: secure_files\r\nX-Zegel-Level: 2fa\r\n\r\nZullen we om 12 uur?\r\n";
    gw.server.clock.advance(jiff::SignedDuration::from_secs(1));
    gw.send("arts@zorg.example", &["jan@elders.example"], raw)
        .await
        .unwrap();
    let all = stored().await;
    assert_eq!(all.len(), 2);
    assert_eq!(all[1], ("secure_files".to_owned(), Some("2fa".to_owned())));
}

on_both!(
    log_and_block_finds_gateway_mail_by_message_id,
    by_message_id,
    backend
);
async fn by_message_id(backend: Backend) {
    let Some(gw) = Gateway::start(&backend, &[]).await else {
        return;
    };
    let raw = b"From: arts@zorg.example\r\nTo: jan@elders.example\r\nSubject: Verwijzing\r\n\
        Message-ID: <verwijzing-7@mail.zorg.example>\r\n\r\nHet BSN van mevrouw is 111222333.\r\n";
    gw.send("arts@zorg.example", &["jan@elders.example"], raw)
        .await
        .unwrap();
    let token = gw.server.token("arts@zorg.example").await;
    let list = gw.get_json(&token, "/api/v1/messages?sent_by=me").await;
    let id = list["messages"][0]["id"].as_str().unwrap().to_owned();
    // The read pane has the sender's copy, whose Internet Message-ID is the one the gateway saw.
    let query = |message_id: &str| {
        format!(
            "/api/v1/messages?internet_message_id={}",
            url::form_urlencoded::byte_serialize(message_id.as_bytes()).collect::<String>()
        )
    };
    let found = gw
        .get_json(&token, &query("<verwijzing-7@mail.zorg.example>"))
        .await;
    let shown = gw.get_json(&token, &format!("/api/v1/messages/{id}")).await;
    assert_eq!(found, shown, "the same answer as GET /api/v1/messages/<id>");
    assert_eq!(found["id"], id.as_str());
    let status = |token: String, path: String| {
        let server = &gw.server;
        async move {
            server
                .client
                .get(format!("{}{path}", server.base))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    // Without angle brackets too; an unknown id, or another sender's message, is not found.
    assert_eq!(
        status(token.clone(), query("verwijzing-7@mail.zorg.example")).await,
        200
    );
    assert_eq!(
        status(token.clone(), query("<ander@mail.zorg.example>")).await,
        404
    );
    let colleague = gw.server.token("collega@zorg.example").await;
    assert_eq!(
        status(colleague, query("<verwijzing-7@mail.zorg.example>")).await,
        404
    );
    assert_eq!(status(token, query("")).await, 422);
    // Only the hash of the Message-ID is kept.
    let kept: Vec<String> = sqlx::query_scalar("SELECT id_hash FROM message_internet_ids")
        .fetch_all(&gw.server.state.db.pool)
        .await
        .unwrap();
    assert_eq!(kept.len(), 1);
    assert!(!kept[0].contains("verwijzing"));
}
