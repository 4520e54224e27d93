//! Held two-factor messages and hidden subjects: the phone page (why the message is held, a country
//! per row, removing a recipient, "also sent to N"), and no hidden subject in any SMS or e-mail on any
//! path (API 1FA and 2FA, held and released, held and expired, the gateway).

use jiff::SignedDuration;
use serde_json::json;
use zegel_core::policy::{Action, Level, WordRule};
use zegel_core::settings::TenantSettings;

use crate::gateway::Gateway;
use crate::on_both;
use crate::support::{Backend, TestServer};

/// Changes the settings of the tenant owning `zorg.example`.
async fn change_settings(server: &TestServer, change: impl FnOnce(&mut TenantSettings)) {
    server.token("arts@zorg.example").await;
    let tenant = zegel_store::tenants::tenant_for_domain(&server.state.db, "zorg.example")
        .await
        .unwrap()
        .unwrap();
    let mut settings = zegel_service::settings::effective(&server.state, &tenant.id)
        .await
        .unwrap();
    change(&mut settings);
    zegel_service::settings::save(&server.state, &tenant.id, "test", settings, None)
        .await
        .unwrap();
}

/// The link in the last "enter the phone numbers" mail to the sender.
async fn phones_link(server: &TestServer) -> String {
    server.deliver().await;
    let mail = server
        .mails()
        .into_iter()
        .rev()
        .find(|m| m.to == "arts@zorg.example" && m.text.contains("/phones/"))
        .expect("a phone-number request");
    let start = mail.text.find(&format!("{}/phones/", server.base)).unwrap();
    mail.text[start..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

/// Every text that left: each mail's subject, text and HTML, and each SMS.
fn everything_sent(server: &TestServer) -> Vec<String> {
    let mut out = Vec::new();
    for mail in server.mails() {
        out.push(mail.subject);
        out.push(mail.text);
        out.extend(mail.html);
    }
    out.extend(server.sms().into_iter().map(|s| s.body));
    out
}

async fn page(server: &TestServer, link: &str, language: &str) -> (u16, String) {
    let response = server
        .client
        .get(link)
        .header("accept-language", language)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn post(
    server: &TestServer,
    link: &str,
    language: &str,
    form: &[(&str, &str)],
) -> (u16, String) {
    let response = server
        .client
        .post(link)
        .header("accept-language", language)
        .form(form)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

fn two_factor(subject: &str, recipients: serde_json::Value) -> serde_json::Value {
    json!({"subject": subject, "body_text": "Zie het portaal.", "kind": "secure_message",
           "recipients": recipients, "auth": {"level": "2fa"}, "language": "nl"})
}

const HIDDEN: &str = "Geheim dossier Jansen-de Vries";

on_both!(a_hidden_subject_is_in_no_sms_or_mail, hidden_subject_api);
async fn hidden_subject_api(server: TestServer) {
    change_settings(&server, |s| {
        s.hide_subject = true;
        s.allow_1fa = true;
    })
    .await;

    // 1FA, the password by e-mail.
    let one = json!({"subject": HIDDEN, "body_text": "Zie bijlage.", "kind": "secure_message",
        "recipients": [{"email": "een@elders.example"}],
        "auth": {"level": "1fa", "password": "generated", "deliver": "email"}, "language": "nl"});
    assert_eq!(server.send(&one, &[]).await.status(), 201);
    let link = server.link_for("een@elders.example").await;
    assert_eq!(server.challenge(&server.api_of(&link)).await, 202);
    server.password_for("een@elders.example").await;

    // 2FA with the number given: the SMS code.
    let two = two_factor(
        HIDDEN,
        json!([{"email": "twee@elders.example", "phone": "+31612345678"}]),
    );
    assert_eq!(server.send(&two, &[]).await.status(), 201);
    let link = server.link_for("twee@elders.example").await;
    assert_eq!(server.challenge(&server.api_of(&link)).await, 202);
    server.code_for("+31612345678").await;

    // 2FA held: the phone-number request, the page, then the notification and SMS after release.
    let held = two_factor(HIDDEN, json!([{"email": "drie@elders.example"}]));
    let created = server.send(&held, &[]).await;
    assert_eq!(created.status(), 201);
    let link = phones_link(&server).await;
    let (status, shown) = page(&server, &link, "nl").await;
    assert_eq!(status, 200);
    assert!(!shown.contains(HIDDEN), "{shown}");
    let (status, done) = post(
        &server,
        &link,
        "nl",
        &[
            ("email_0", "drie@elders.example"),
            ("phone_0", "0687654321"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{done}");
    let link = server.link_for("drie@elders.example").await;
    assert_eq!(server.challenge(&server.api_of(&link)).await, 202);
    server.code_for("+31687654321").await;

    // 2FA held until it expires: the "not sent" mail.
    let expiring = two_factor(HIDDEN, json!([{"email": "vier@elders.example"}]));
    assert_eq!(server.send(&expiring, &[]).await.status(), 201);
    server.deliver().await;
    server.clock.advance(SignedDuration::from_hours(24 * 400));
    assert_eq!(
        zegel_service::delivery::expire_held(&server.state)
            .await
            .unwrap(),
        1
    );
    server.deliver().await;

    let mails = server.mails();
    let sms = server.sms();
    // Notification and password (1FA), notification (2FA), request and notification (held and
    // released), request and "not sent" (held and expired); two SMS.
    assert!(mails.len() >= 7, "{} mails", mails.len());
    assert_eq!(sms.len(), 2);
    assert!(
        mails
            .iter()
            .any(|m| m.to == "arts@zorg.example" && m.subject.contains("niet verzonden")),
        "the expiry mail was sent"
    );
    for text in everything_sent(&server) {
        assert!(!text.contains(HIDDEN), "the hidden subject left in: {text}");
        assert!(
            !text.contains("Jansen"),
            "part of the hidden subject left in: {text}"
        );
    }

    // The search can fail: with hide_subject off, the subject is in the SMS and the mails.
    change_settings(&server, |s| s.hide_subject = false).await;
    let visible = two_factor(
        "Zichtbaar onderwerp",
        json!([{"email": "vijf@elders.example", "phone": "+31611223344"}]),
    );
    assert_eq!(server.send(&visible, &[]).await.status(), 201);
    let link = server.link_for("vijf@elders.example").await;
    assert_eq!(server.challenge(&server.api_of(&link)).await, 202);
    server.code_for("+31611223344").await;
    let last_sms = server.sms().pop().unwrap();
    assert!(
        last_sms.body.contains("Zichtbaar onderwerp"),
        "{}",
        last_sms.body
    );
}

on_both!(
    gateway_mail_with_a_bsn_in_the_subject_hides_it_when_held_and_released,
    hidden_subject_gateway,
    backend
);
async fn hidden_subject_gateway(backend: Backend) {
    let Some(gw) = Gateway::start(&backend, &[]).await else {
        return;
    };
    let server = &gw.server;
    let raw = b"From: arts@zorg.example\r\nTo: jan@elders.example, piet@elders.example\r\n\
        Subject: Verwijzing mevrouw Jansen BSN 111222333\r\nMIME-Version: 1.0\r\n\
        Content-Type: text/plain\r\n\r\nZie het portaal.\r\n";
    gw.send(
        "arts@zorg.example",
        &["jan@elders.example", "piet@elders.example"],
        raw,
    )
    .await
    .unwrap();
    let link = phones_link(server).await;

    // The page says why (the kind, never the number), and nobody else gets the message yet.
    let (status, shown) = page(server, &link, "en").await;
    assert_eq!(status, 200);
    assert!(
        shown.contains("contains sensitive information: BSN."),
        "{shown}"
    );
    assert!(
        !shown.contains("111222333") && !shown.contains("Jansen"),
        "{shown}"
    );
    assert!(
        !shown.contains("also goes to"),
        "no one else: nothing to say: {shown}"
    );

    // Remove piet; what was typed for jan stays.
    let (status, after) = post(
        server,
        &link,
        "en",
        &[
            ("email_0", "jan@elders.example"),
            ("country_0", "SE"),
            ("phone_0", "070-123 45 67"),
            ("email_1", "piet@elders.example"),
            ("phone_1", ""),
            ("remove", "1"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{after}");
    assert!(
        after.contains("piet@elders.example was removed from this message."),
        "{after}"
    );
    assert!(after.contains("value=\"070-123 45 67\""), "{after}");
    assert!(after.contains("<option value=\"SE\" selected>"), "{after}");
    assert!(!after.contains("name=\"email_1\""), "{after}");

    // A Swedish number with its country releases the message.
    let (status, done) = post(
        server,
        &link,
        "en",
        &[
            ("email_0", "jan@elders.example"),
            ("country_0", "SE"),
            ("phone_0", "070-123 45 67"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{done}");
    assert!(done.contains("Phone numbers saved"), "{done}");
    let jan = server.link_for("jan@elders.example").await;
    assert_eq!(server.challenge(&server.api_of(&jan)).await, 202);
    server.code_for("+46701234567").await;
    server.deliver().await;

    assert!(
        server.mails().iter().all(|m| m.to != "piet@elders.example"),
        "a removed recipient gets nothing"
    );
    let removed: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_events WHERE event = 'recipient.removed' \
         AND detail = 'recipient:piet@elders.example'",
    )
    .fetch_one(&server.state.db.pool)
    .await
    .unwrap();
    assert_eq!(removed, 1);
    assert_eq!(server.sms().len(), 1);
    for text in everything_sent(server) {
        assert!(
            !text.contains("111222333") && !text.contains("Jansen"),
            "the hidden subject left in: {text}"
        );
    }
}

on_both!(
    the_phone_page_says_why_in_three_languages,
    held_page,
    backend
);
async fn held_page(backend: Backend) {
    let Some(gw) = Gateway::start(&backend, &[]).await else {
        return;
    };
    let server = &gw.server;
    change_settings(server, |s| {
        s.content_filter.trigger_words = vec![WordRule {
            word: "Patiëntendossier".into(),
            action: Action::Force,
            level: Level::TwoFa,
        }];
        s.sms_default_country = "BE".into();
    })
    .await;
    let tenant = zegel_store::tenants::tenant_for_domain(&server.state.db, "zorg.example")
        .await
        .unwrap()
        .unwrap();
    zegel_service::phones::remember(
        &server.state,
        &tenant.id,
        "bekend@elders.example",
        "+31611111111",
        zegel_service::phones::ConfirmedBy::Admin,
    )
    .await
    .unwrap();
    let raw = "From: arts@zorg.example\r\nTo: jan@elders.example, bekend@elders.example\r\n\
        Subject: Overdracht\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
        Het Patiëntendossier van mevrouw, BSN 111222333.\r\n";
    gw.send(
        "arts@zorg.example",
        &["jan@elders.example", "bekend@elders.example"],
        raw.as_bytes(),
    )
    .await
    .unwrap();
    let link = phones_link(server).await;

    // The request mail names what was found, in words, and never the number.
    let request = server
        .mails()
        .into_iter()
        .find(|m| m.to == "arts@zorg.example")
        .unwrap();
    assert!(
        request
            .text
            .contains("bevat gevoelige informatie: BSN en \u{201c}Patiëntendossier\u{201d}."),
        "{}",
        request.text
    );
    assert!(!request.text.contains("111222333"));
    assert!(request.text.contains("jan@elders.example"));
    assert!(!request.text.contains("bekend@elders.example"));

    let (_, nl) = page(server, &link, "nl").await;
    assert!(
        nl.contains("bevat gevoelige informatie: BSN en &#8220;Patiëntendossier&#8221;")
            || nl.contains("bevat gevoelige informatie: BSN en \u{201c}Patiëntendossier\u{201d}"),
        "{nl}"
    );
    assert!(
        nl.contains("Dit bericht wordt ook verzonden naar 1 ontvanger(s)."),
        "{nl}"
    );
    assert!(
        nl.contains("<option value=\"BE\" selected>BE +32</option>"),
        "{nl}"
    );
    assert!(
        nl.contains("jan@elders.example uit dit bericht verwijderen"),
        "{nl}"
    );
    assert!(!nl.contains("bekend@elders.example"), "{nl}");
    assert_eq!(
        nl.matches("<script").count(),
        1,
        "no JavaScript but the show toggle"
    );
    let (_, sv) = page(server, &link, "sv").await;
    assert!(sv.contains("innehåller känslig information: BSN"), "{sv}");
    assert!(
        sv.contains("Det här e-postmeddelandet skickas också till 1 mottagare."),
        "{sv}"
    );
    let (_, en) = page(server, &link, "en").await;
    assert!(
        en.contains("This message also goes to 1 recipient(s)."),
        "{en}"
    );

    // A landline is refused in the page's language, not in English.
    let (status, refused) = post(
        server,
        &link,
        "nl",
        &[
            ("email_0", "jan@elders.example"),
            ("country_0", "NL"),
            ("phone_0", "020 123 4567"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(refused.contains("is geen mobiel nummer"), "{refused}");
    assert!(!refused.contains("not a mobile number"), "{refused}");
    // A country that is not offered is refused too.
    let (status, refused) = post(
        server,
        &link,
        "nl",
        &[
            ("email_0", "jan@elders.example"),
            ("country_0", "XX"),
            ("phone_0", "0612345678"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(refused.contains("Kies een land uit de lijst."), "{refused}");

    // Removing the only recipient without a number sends the message to the others at once.
    let (status, done) = post(
        server,
        &link,
        "nl",
        &[
            ("email_0", "jan@elders.example"),
            ("phone_0", ""),
            ("remove", "0"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{done}");
    assert!(done.contains("Telefoonnummers opgeslagen"), "{done}");
    server.link_for("bekend@elders.example").await;
    assert!(server.mails().iter().all(|m| m.to != "jan@elders.example"));
}

on_both!(the_last_recipient_cannot_be_removed, last_recipient);
async fn last_recipient(server: TestServer) {
    let held = two_factor("Uitslag", json!([{"email": "enig@elders.example"}]));
    assert_eq!(server.send(&held, &[]).await.status(), 201);
    let link = phones_link(&server).await;
    let (status, shown) = page(&server, &link, "en").await;
    assert_eq!(status, 200);
    // Nothing was found by a filter: the page says only that the message is two-factor.
    assert!(
        shown.contains("is sent with two-factor authentication") && !shown.contains("sensitive"),
        "{shown}"
    );
    let (status, refused) = post(
        &server,
        &link,
        "en",
        &[("email_0", "enig@elders.example"), ("remove", "0")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        refused.contains("The last recipient cannot be removed."),
        "{refused}"
    );
    assert_eq!(server.count("recipients").await, 1);
    // A remove naming no row changes nothing either.
    let (status, _) = post(&server, &link, "en", &[("remove", "7")]).await;
    assert_eq!(status, 422);
    assert_eq!(server.count("recipients").await, 1);
}
