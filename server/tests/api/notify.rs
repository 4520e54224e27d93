//! `"notify": "client"`: the sender's client sends the only notification, with one link for the whole
//! message; the link's page asks for the recipient's address, and Zegel sends the password or code only
//! to a recipient, answering the same for any other address.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::on_both;
use crate::support::TestServer;

/// Polls `check` until it holds, for at most ten seconds.
async fn until<F: Future<Output = bool>>(what: &str, mut check: impl FnMut() -> F) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn client_notified(kind: &str, auth: Option<Value>, recipients: Value) -> Value {
    let mut meta = json!({
        "subject": "Uitslag onderzoek",
        "body_text": "Beste collega, hierbij de uitslag.",
        "kind": kind,
        "recipients": recipients,
        "language": "nl",
        "notify": "client"
    });
    if let Some(auth) = auth {
        meta["auth"] = auth;
    }
    meta
}

/// What a side-effect-free request must leave alone.
async fn footprint(server: &TestServer) -> (i64, i64, i64, i64) {
    (
        server.count("outbox").await,
        server.count("access_codes").await,
        server.count("audit_events").await,
        server.count("recipients WHERE opened_at IS NOT NULL").await,
    )
}

async fn challenge_json(server: &TestServer, api: &str, body: Value) -> (u16, String) {
    let response = server
        .client
        .post(format!("{api}/challenge"))
        .json(&body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn verify_json(server: &TestServer, api: &str, email: &str, code: &str) -> (u16, String) {
    let response = server
        .client
        .post(format!("{api}/verify"))
        .json(&json!({"email": email, "code": code}))
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn one_factor(server: TestServer) {
    let meta = client_notified(
        "secure_message",
        Some(json!({"level": "1fa", "password": "generated", "deliver": "email"})),
        json!([{"email": "jan@elders.example"}, {"email": "stil@elders.example", "kind": "bcc"}]),
    );
    let response = server
        .send(&meta, &[("uitslag.txt", b"Hb 8.1".to_vec())])
        .await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    let notification = &created["notification"];
    let link = notification["link"].as_str().unwrap().to_owned();
    assert!(link.starts_with(&format!("{}/m/", server.base)), "{link}");
    assert!(notification["text"].as_str().unwrap().contains(&link));
    assert!(notification["html"].as_str().unwrap().contains(&link));
    assert!(
        notification["subject"]
            .as_str()
            .unwrap()
            .contains("Uitslag onderzoek"),
        "{notification}"
    );
    assert!(
        notification["text"].as_str().unwrap().contains("Klik op"),
        "in the message's language: {notification}"
    );
    // Zegel sends no notification of its own.
    server.deliver().await;
    assert!(server.mails().is_empty(), "{:?}", server.mails());

    // Opening the link asks for the address and changes nothing.
    let before = footprint(&server).await;
    let page = server.client.get(&link).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains("name=\"email\""), "{page}");
    assert!(page.contains("e-mailadres"), "Dutch: {page}");
    assert!(
        page.matches("<script").count() == 1 && page.contains("<script src=\"/static/portal.js\""),
        "no JavaScript but the show toggle"
    );
    assert_eq!(footprint(&server).await, before, "GET has no side effect");

    // The same answer for a recipient and for anyone else; only the recipient gets a mail.
    let api = server.api_of(&link);
    let stranger = challenge_json(&server, &api, json!({"email": "raden@elders.example"})).await;
    let recipient = challenge_json(&server, &api, json!({"email": "Jan@Elders.example"})).await;
    assert_eq!(stranger, recipient);
    assert_eq!(recipient.0, 202);
    until("the password mail", || async {
        server.count("outbox").await == 1
    })
    .await;
    server.deliver().await;
    let mails = server.mails();
    assert_eq!(mails.len(), 1, "exactly one mail from Zegel: {mails:?}");
    assert_eq!(mails[0].to, "jan@elders.example");
    let password = server.password_for("jan@elders.example").await;
    assert_eq!(
        created["password"], password,
        "the sender sees the password the recipient gets"
    );

    // A malformed address is refused as such; a wrong answer is the same for anyone.
    let (status, _) = challenge_json(&server, &api, json!({"email": "geen adres"})).await;
    assert_eq!(status, 422);
    let wrong_stranger = verify_json(&server, &api, "raden@elders.example", &password).await;
    let wrong_recipient = verify_json(&server, &api, "jan@elders.example", "fout").await;
    assert_eq!(wrong_stranger, wrong_recipient);
    assert_eq!(wrong_stranger.0, 401);

    // From here everything is per recipient: the session is bound to the recipient the address named.
    let (status, _) = verify_json(&server, &api, "jan@elders.example", &password).await;
    assert_eq!(status, 200);
    let message: Value = server
        .client
        .get(format!("{api}/message"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(message["body_text"], "Beste collega, hierbij de uitslag.");
    let token = server.token("arts@zorg.example").await;
    let status: Value = server
        .client
        .get(format!(
            "{}/api/v1/messages/{}",
            server.base,
            created["id"].as_str().unwrap()
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let recipients = status["recipients"].as_array().unwrap();
    let opened: Vec<&str> = recipients
        .iter()
        .filter(|r| !r["opened_at"].is_null())
        .map(|r| r["email"].as_str().unwrap())
        .collect();
    assert_eq!(opened, ["jan@elders.example"], "{status}");

    // The portal form: the same page for any address, apart from the address itself.
    let form = |email: &str| {
        server
            .client
            .post(format!("{link}/challenge"))
            .form(&[("email", email)])
            .send()
    };
    let to_recipient = form("stil@elders.example").await.unwrap();
    assert_eq!(to_recipient.status(), 200);
    let to_recipient = to_recipient.text().await.unwrap();
    let to_stranger = form("niemand@elders.example")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        to_recipient.replace("stil@elders.example", "X"),
        to_stranger.replace("niemand@elders.example", "X")
    );
    assert!(to_recipient.contains("name=\"code\""));
    until("the second password mail", || async {
        server.count("outbox").await >= 1
    })
    .await;
    server.deliver().await;
    let password = server.password_for("stil@elders.example").await;
    let opened = server
        .client
        .post(format!("{link}/verify"))
        .form(&[
            ("email", "stil@elders.example"),
            ("code", password.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(opened.status(), 303);
    let location = opened.headers()["location"].to_str().unwrap().to_owned();
    let page = server
        .client
        .get(format!("{}{location}", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("hierbij de uitslag"));
    assert_eq!(server.mails().len(), 2, "only the two password mails, ever");
}
on_both!(
    client_notified_one_factor_sends_only_the_password,
    one_factor
);

async fn two_factor(server: TestServer) {
    let token = server.token("arts@zorg.example").await;
    let meta = client_notified(
        "secure_message",
        Some(json!({"level": "2fa"})),
        json!([{"email": "jan@elders.example", "phone": "06 12345678"}, {"email": "piet@elders.example"}]),
    );
    let created: Value = server.send(&meta, &[]).await.json().await.unwrap();
    assert_eq!(created["status"], "needs_phone_numbers");
    assert!(created["password"].is_null(), "no password for 2FA");
    let link = created["notification"]["link"].as_str().unwrap().to_owned();
    server.deliver().await;
    // Only the sender hears from Zegel (the numbers it lacks); the link waits for them.
    assert!(server.mails().iter().all(|m| m.to == "arts@zorg.example"));
    assert_eq!(server.client.get(&link).send().await.unwrap().status(), 404);
    let released = server
        .client
        .post(format!(
            "{}/api/v1/messages/{}/phones",
            server.base,
            created["id"].as_str().unwrap()
        ))
        .bearer_auth(&token)
        .json(&json!({"phones": {"piet@elders.example": "0687654321"}}))
        .send()
        .await
        .unwrap();
    assert!(released.status().is_success());
    server.deliver().await;
    assert!(
        server.mails().iter().all(|m| m.to == "arts@zorg.example"),
        "no notification after the release either"
    );

    let api = server.api_of(&link);
    let (status, _) = challenge_json(&server, &api, json!({"email": "jan@elders.example"})).await;
    assert_eq!(status, 202);
    until("the SMS code", || async {
        server.count("outbox").await == 1
    })
    .await;
    let code = server.code_for("+31612345678").await;
    assert_eq!(server.sms().len(), 1, "one SMS");
    let (status, _) = verify_json(&server, &api, "jan@elders.example", &code).await;
    assert_eq!(status, 200);
    assert!(server.mails().iter().all(|m| m.to == "arts@zorg.example"));
}
on_both!(client_notified_two_factor_sends_one_sms, two_factor);

async fn public_files(server: TestServer) {
    let meta = client_notified(
        "public_files",
        None,
        json!([{"email": "jan@elders.example"}]),
    );
    let created: Value = server
        .send(&meta, &[("rooster.txt", b"maandag".to_vec())])
        .await
        .json()
        .await
        .unwrap();
    let link = created["notification"]["link"].as_str().unwrap().to_owned();
    assert!(created["password"].is_null());
    server.deliver().await;
    assert!(server.mails().is_empty(), "zero mails from Zegel");
    let before = footprint(&server).await;
    let page = server.client.get(&link).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(
        page.contains("rooster.txt"),
        "the files, no address: {page}"
    );
    assert!(!page.contains("name=\"email\""));
    assert_eq!(footprint(&server).await, before);
    assert_eq!(server.count("downloads").await, 0);
}
on_both!(client_notified_public_files_lead_to_the_files, public_files);

/// The sender's own mails: a confirmation with the summary, and a notice of each download — per
/// message, or from the tenant's default when the message says nothing.
async fn sender_notices(server: TestServer) {
    let sender = "arts@zorg.example";
    let to_sender = |server: &TestServer| -> Vec<zegel_mail::DevMail> {
        server
            .mails()
            .into_iter()
            .filter(|m| m.to == sender)
            .collect()
    };
    let mut meta = json!({"kind": "public_files", "subject": "Röntgenfoto's knie",
        "recipients": [{"email": "jan@elders.example"}], "language": "nl",
        "confirm_to_sender": true, "notify_on_download": true});
    assert_eq!(
        server
            .send(&meta, &[("knie-links.jpg", vec![7; 1500])])
            .await
            .status(),
        201
    );
    let link = server.link_for("jan@elders.example").await;
    let confirmation = to_sender(&server);
    assert_eq!(confirmation.len(), 1, "one confirmation");
    let mail = &confirmation[0];
    // The tenant's first language (Dutch on day one), the subject, whom it went to, what and until when.
    assert_eq!(mail.subject, "Verzonden: Röntgenfoto's knie");
    assert!(
        mail.text.contains("jan@elders.example")
            && mail.text.contains("knie-links.jpg (1,5")
            && mail.text.contains("De links zijn geldig tot"),
        "{}",
        mail.text
    );

    // A download: the sender hears who downloaded what.
    let message = server.message(&link).await;
    let id = message["files"][0]["id"].as_str().unwrap();
    let downloaded = server
        .client
        .post(format!("{link}/files/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(downloaded.status(), 200);
    downloaded.bytes().await.unwrap();
    server.deliver().await;
    let notices: Vec<_> = to_sender(&server)
        .into_iter()
        .filter(|m| m.subject.starts_with("Gedownload"))
        .collect();
    assert_eq!(notices.len(), 1, "one notice per download");
    assert!(
        notices[0].text.contains("jan@elders.example heeft op")
            && notices[0].text.contains("knie-links.jpg"),
        "{}",
        notices[0].text
    );

    // Without a choice, the tenant's default (off on day one): nothing to the sender.
    meta.as_object_mut().unwrap().remove("confirm_to_sender");
    meta.as_object_mut().unwrap().remove("notify_on_download");
    meta["recipients"] = json!([{"email": "piet@elders.example"}]);
    let before = to_sender(&server).len();
    assert_eq!(server.send(&meta, &[]).await.status(), 201);
    server.link_for("piet@elders.example").await;
    assert_eq!(to_sender(&server).len(), before, "off by default");

    // The tenant switches the confirmation on for everyone; a sender can still say no per message.
    let admin = server.token("ciso@zorg.example").await;
    zegel_server::admin::grant(&server.state, "ciso@zorg.example", "admin")
        .await
        .unwrap();
    let patched = server
        .client
        .patch(format!("{}/api/v1/admin/settings", server.base))
        .bearer_auth(&admin)
        .header("content-type", "application/merge-patch+json")
        .body(json!({"confirm_to_sender": true}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 200);
    let view: Value = server
        .client
        .get(format!("{}/api/v1/settings", server.base))
        .bearer_auth(server.token(sender).await)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(view["confirm_to_sender"], true, "the pane presets it");
    meta["recipients"] = json!([{"email": "kees@elders.example"}]);
    assert_eq!(server.send(&meta, &[]).await.status(), 201);
    server.link_for("kees@elders.example").await;
    assert_eq!(to_sender(&server).len(), before + 1, "the tenant's default");
    meta["confirm_to_sender"] = json!(false);
    meta["recipients"] = json!([{"email": "anna@elders.example"}]);
    assert_eq!(server.send(&meta, &[]).await.status(), 201);
    server.link_for("anna@elders.example").await;
    assert_eq!(to_sender(&server).len(), before + 1, "the sender's no");
}
on_both!(
    senders_hear_what_they_sent_and_each_download,
    sender_notices
);

/// The files' names in the notification only when the sender asks for them; a held two-factor message
/// lists them too when it is released later.
async fn file_names_in_the_notification(server: TestServer) {
    let mail_to = |server: &TestServer, to: &str| -> zegel_mail::DevMail {
        server
            .mails()
            .into_iter()
            .rfind(|m| m.to == to && m.text.contains("/m/"))
            .expect("a notification")
    };
    let files = [("uitslag-bloed.pdf", b"%PDF-1.4\n".repeat(200))];
    let meta = json!({"kind": "secure_files", "recipients": [{"email": "jan@elders.example"}],
        "language": "nl", "auth": {"level": "1fa"}, "file_names_in_notification": true});
    let sent = server.send(&meta, &files).await;
    assert_eq!(sent.status(), 201, "{}", sent.text().await.unwrap());
    server.link_for("jan@elders.example").await;
    let mail = mail_to(&server, "jan@elders.example");
    assert!(
        mail.text
            .contains("Met deze bestanden:\nuitslag-bloed.pdf (1,8\u{a0}kB)"),
        "{}",
        mail.text
    );
    assert!(mail.html.unwrap().contains("uitslag-bloed.pdf"));

    // Not asked for: no names.
    let meta = json!({"kind": "secure_files", "recipients": [{"email": "piet@elders.example"}],
        "language": "nl", "auth": {"level": "1fa"}});
    assert_eq!(server.send(&meta, &files).await.status(), 201);
    server.link_for("piet@elders.example").await;
    let mail = mail_to(&server, "piet@elders.example");
    assert!(!mail.text.contains("uitslag-bloed"), "{}", mail.text);
    assert!(!mail.html.unwrap().contains("uitslag-bloed"));

    // Held for a mobile number, then released: the names travel sealed with the message.
    let meta = json!({"kind": "secure_files", "recipients": [{"email": "kees@elders.example"}],
        "language": "nl", "auth": {"level": "2fa"}, "file_names_in_notification": true});
    let created: Value = server.send(&meta, &files).await.json().await.unwrap();
    assert_eq!(created["status"], "needs_phone_numbers", "{created}");
    let id = created["id"].as_str().unwrap();
    let released = server
        .client
        .post(format!("{}/api/v1/messages/{id}/phones", server.base))
        .bearer_auth(server.token("arts@zorg.example").await)
        .json(&json!({"phones": {"kees@elders.example": "+31612345678"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(released.status(), 200, "{}", released.text().await.unwrap());
    server.link_for("kees@elders.example").await;
    let mail = mail_to(&server, "kees@elders.example");
    assert!(mail.text.contains("uitslag-bloed.pdf"), "{}", mail.text);
}
on_both!(
    file_names_show_in_the_notification_when_asked,
    file_names_in_the_notification
);
