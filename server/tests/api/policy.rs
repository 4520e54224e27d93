//! The content policy on `POST /api/v1/messages`: whichever client sends a message, the server scans
//! subject, bodies and attachments and refuses (`422` `policy`, nothing stored) a message less protected
//! than the tenant forces.

use serde_json::{Value, json};

use crate::on_both;
use crate::support::TestServer;

const BSN_BODY: &str = "Het BSN van mevrouw is 111222333.";

fn meta(kind: &str, auth: Option<Value>, to: &str, body: &str) -> Value {
    let mut meta = json!({
        "subject": "Verwijzing",
        "body_text": body,
        "kind": kind,
        "recipients": [{"email": to, "phone": if auth.as_ref().is_some_and(|a| a["level"] == "2fa") { Some("0612345678") } else { None }}],
        "language": "nl"
    });
    if let Some(auth) = auth {
        meta["auth"] = auth;
    }
    meta
}

fn one_fa() -> Option<Value> {
    Some(json!({"level": "1fa", "password": "generated", "deliver": "email"}))
}

fn two_fa() -> Option<Value> {
    Some(json!({"level": "2fa"}))
}

/// Asserts a `policy` refusal with `found` and `required`, and that nothing was stored.
async fn assert_refused(
    server: &TestServer,
    response: reqwest::Response,
    found: Value,
    kind: &str,
    level: &str,
) {
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    let error = &body["error"];
    assert_eq!(error["code"], "policy", "{body}");
    assert_eq!(error["found"], found, "{body}");
    assert_eq!(
        error["required"],
        json!({"kind": kind, "level": level}),
        "{body}"
    );
    let message = error["message"].as_str().unwrap();
    assert!(
        !message.contains("111222333"),
        "no value in the error: {message}"
    );
    assert_eq!(server.count("messages").await, 0, "nothing stored");
    assert_eq!(server.count("files").await, 0);
    assert_eq!(server.count("outbox").await, 0);
    assert!(
        server.blob_files().is_empty(),
        "no blobs left behind: {:?}",
        server.blob_files()
    );
}

async fn refusals(server: TestServer) {
    let attachment = || vec![("brief.txt", b"Geen bijzonderheden.".to_vec())];
    // Public files with a BSN in the (plain) body: no authentication at all.
    let response = server
        .send(
            &meta("public_files", None, "jan@elders.example", BSN_BODY),
            &attachment(),
        )
        .await;
    assert_refused(
        &server,
        response,
        json!([{"kind": "nl_bsn", "where": "body"}]),
        "secure_message",
        "2fa",
    )
    .await;
    // 1FA where the rule says 2FA.
    let response = server
        .send(
            &meta("secure_message", one_fa(), "jan@elders.example", BSN_BODY),
            &attachment(),
        )
        .await;
    assert_refused(
        &server,
        response,
        json!([{"kind": "nl_bsn", "where": "body"}]),
        "secure_message",
        "2fa",
    )
    .await;
    // Secure files at 2FA, but the BSN is in the body, which travels as plain mail.
    let response = server
        .send(
            &meta("secure_files", two_fa(), "jan@elders.example", BSN_BODY),
            &attachment(),
        )
        .await;
    assert_refused(
        &server,
        response,
        json!([{"kind": "nl_bsn", "where": "body"}]),
        "secure_message",
        "2fa",
    )
    .await;
    // The subject and an HTML body count too.
    let mut subject = meta(
        "secure_files",
        two_fa(),
        "jan@elders.example",
        "Zie bijlage.",
    );
    subject["subject"] = json!("Kaart 4111 1111 1111 1111");
    let response = server.send(&subject, &[]).await;
    assert_refused(
        &server,
        response,
        json!([{"kind": "credit_card", "where": "subject"}]),
        "secure_message",
        "1fa",
    )
    .await;
    let mut html = meta("public_files", None, "jan@elders.example", "");
    html["body_html"] = json!("<p>BSN <b>111222333</b></p>");
    let response = server.send(&html, &attachment()).await;
    assert_refused(
        &server,
        response,
        json!([{"kind": "nl_bsn", "where": "body"}]),
        "secure_message",
        "2fa",
    )
    .await;
    // A BSN only in an attachment: public files are not enough ...
    let bsn_file = || vec![("verslag.txt", format!("Verslag\n{BSN_BODY}\n").into_bytes())];
    let response = server
        .send(
            &meta("public_files", None, "jan@elders.example", "Zie bijlage."),
            &bsn_file(),
        )
        .await;
    assert_refused(
        &server,
        response,
        json!([{"kind": "nl_bsn", "where": "attachment"}]),
        "secure_files",
        "2fa",
    )
    .await;
    // ... secure files at 2FA are (the body is clean).
    let response = server
        .send(
            &meta(
                "secure_files",
                two_fa(),
                "jan@elders.example",
                "Zie bijlage.",
            ),
            &bsn_file(),
        )
        .await;
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    // The file part may come before the meta part: it is scanned all the same.
    let token = server.token("arts@zorg.example").await;
    let form = reqwest::multipart::Form::new()
        .part(
            "file",
            reqwest::multipart::Part::bytes(bsn_file()[0].1.clone()).file_name("verslag.txt"),
        )
        .text(
            "meta",
            meta("public_files", None, "jan@elders.example", "Zie bijlage.").to_string(),
        );
    let response = server
        .client
        .post(format!("{}/api/v1/messages", server.base))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["required"]["kind"], "secure_files");
    assert_eq!(server.count("messages").await, 1, "only the accepted one");
}
on_both!(less_protection_than_forced_is_refused, refusals);

async fn allowed(server: TestServer) {
    // A clean message goes as public files.
    let response = server
        .send(
            &meta("public_files", None, "jan@elders.example", "Tot morgen."),
            &[("rooster.txt", b"maandag".to_vec())],
        )
        .await;
    assert_eq!(response.status(), 201);
    // The tenant protects external mail only: a BSN to a colleague may go as public files.
    let response = server
        .send(
            &meta("public_files", None, "collega@zorg.example", BSN_BODY),
            &[],
        )
        .await;
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    // IBANs are protected automatically, which the sender may turn off: not enforced.
    let response = server
        .send(
            &meta(
                "public_files",
                None,
                "jan@elders.example",
                "IBAN NL91ABNA0417164300",
            ),
            &[],
        )
        .await;
    assert_eq!(response.status(), 201);
    // One external recipient among colleagues is enough to enforce.
    let mut mixed = meta("public_files", None, "collega@zorg.example", BSN_BODY);
    mixed["recipients"]
        .as_array_mut()
        .unwrap()
        .push(json!({"email": "jan@elders.example"}));
    let response = server.send(&mixed, &[]).await;
    assert_eq!(response.status(), 422);
    // A secure message at 2FA is as protected as anything can ask.
    let response = server
        .send(
            &meta("secure_message", two_fa(), "jan@elders.example", BSN_BODY),
            &[("verslag.txt", BSN_BODY.as_bytes().to_vec())],
        )
        .await;
    assert_eq!(response.status(), 201);
    assert_eq!(server.count("messages").await, 4);
}
on_both!(enough_protection_is_accepted, allowed);

async fn activation(server: TestServer) {
    server.token("arts@zorg.example").await;
    let tenant = zegel_store::tenants::tenant_for_domain(&server.state.db, "zorg.example")
        .await
        .unwrap()
        .unwrap();
    let mut settings = zegel_service::settings::effective(&server.state, &tenant.id)
        .await
        .unwrap();
    settings.content_filter.activation_words = vec!["zegel-veilig".into()];
    zegel_service::settings::save(&server.state, &tenant.id, "test", settings, None)
        .await
        .unwrap();
    // The activation word forces protection, even for a colleague and without any other finding.
    let mut asked = meta("public_files", None, "collega@zorg.example", "Tot morgen.");
    asked["subject"] = json!("Afspraak zegel-veilig");
    let response = server.send(&asked, &[]).await;
    assert_refused(
        &server,
        response,
        json!([{"kind": "activation_word", "where": "subject"}]),
        "secure_message",
        "1fa",
    )
    .await;
    let mut protected = meta(
        "secure_message",
        one_fa(),
        "collega@zorg.example",
        "Tot morgen.",
    );
    protected["subject"] = json!("Afspraak zegel-veilig");
    let response = server.send(&protected, &[]).await;
    assert_eq!(response.status(), 201);
}
on_both!(activation_word_forces_protection, activation);
