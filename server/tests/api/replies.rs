//! Replying securely: a recipient answers with text and a file, the sender reads it after proving their
//! address and answers back, and both sides read the conversation in order; the tenant can switch
//! replies off, and the cap holds under parallel replies.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::on_both;
use crate::support::TestServer;

const SENDER: &str = "arts@zorg.example";
const PATIENT: &str = "jan@example.nl";

fn secure_message(to: &[&str]) -> Value {
    json!({
        "subject": "Uitslag bloedonderzoek",
        "body_text": "Beste Jan, de uitslag is binnen.",
        "kind": "secure_message",
        "recipients": to.iter().map(|email| json!({"email": email})).collect::<Vec<_>>(),
        "auth": {"level": "1fa", "password": "generated", "deliver": "email"},
        "language": "nl",
    })
}

/// Sends the message and signs `to` in on their link (the e-mailed password): their JSON access API.
async fn opened(server: &TestServer, to: &str) -> (String, String) {
    let link = server.link_for(to).await;
    let api = server.api_of(&link);
    assert_eq!(server.challenge(&api).await, 202);
    let password = server.password_for(to).await;
    assert_eq!(server.verify(&api, &password).await, 200);
    (link, api)
}

/// The six-digit code in the last code mail to `to`.
async fn code_for(server: &TestServer, to: &str) -> String {
    server.deliver().await;
    let mail = server
        .mails()
        .into_iter()
        .rev()
        .find(|m| m.to == to && m.text.lines().any(|l| l.trim().len() == 6))
        .unwrap_or_else(|| panic!("no code mail for {to}"));
    mail.text
        .lines()
        .map(str::trim)
        .find(|l| l.len() == 6 && l.bytes().all(|b| b.is_ascii_digit()))
        .unwrap()
        .to_owned()
}

async fn reply(server: &TestServer, api: &str, body: Value) -> (StatusCode, Value) {
    let response = server
        .client
        .post(format!("{api}/replies"))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn upload(server: &TestServer, name: &str, bytes: &[u8]) -> String {
    use base64::Engine;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let created = server
        .client
        .post(format!("{}/api/v1/uploads", server.base))
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", bytes.len().to_string())
        .header("Upload-Metadata", format!("filename {}", b64(name)))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let id = created.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let patched = server
        .client
        .patch(format!("{}/api/v1/uploads/{id}", server.base))
        .header("Tus-Resumable", "1.0.0")
        .header("Content-Type", "application/offset+octet-stream")
        .header("Upload-Offset", "0")
        .body(bytes.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), StatusCode::NO_CONTENT);
    id
}

async fn conversation_of(server: &TestServer, api: &str) -> Vec<Value> {
    let answer: Value = server
        .client
        .get(format!("{api}/conversation"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["turns"].as_array().unwrap().clone()
}

async fn three_turns(server: TestServer) {
    let sent: Value = server
        .send(&secure_message(&[PATIENT]), &[])
        .await
        .json()
        .await
        .unwrap();
    let id = sent["id"].as_str().unwrap().to_owned();
    let (_, api) = opened(&server, PATIENT).await;
    // The patient answers with a text and a file, uploaded under their session.
    let file = upload(
        &server,
        "lijst-medicijnen.pdf",
        b"%PDF-1.4\nmetformine\n%%EOF\n",
    )
    .await;
    let (status, body) = reply(
        &server,
        &api,
        json!({"text": "Dank u. Mijn medicijnlijst zit erbij.", "uploads": [file]}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["to"], json!([SENDER]));
    // The sender hears neutrally and opens the reply with a code by e-mail.
    let notice_link = server.link_for(SENDER).await;
    let notice = server
        .mails()
        .into_iter()
        .rev()
        .find(|m| m.to == SENDER)
        .unwrap();
    assert_eq!(notice.subject, "U heeft een beveiligd antwoord ontvangen");
    assert!(
        !notice.text.contains("medicijn"),
        "nothing of the reply in the mail"
    );
    let sender_api = server.api_of(&notice_link);
    assert_eq!(server.challenge(&sender_api).await, 202);
    let code = code_for(&server, SENDER).await;
    assert_eq!(server.verify(&sender_api, &code).await, 200);
    let read = server.message(&notice_link).await;
    assert_eq!(read["sender"], PATIENT);
    assert_eq!(read["body_text"], "Dank u. Mijn medicijnlijst zit erbij.");
    assert_eq!(read["files"][0]["name"], "lijst-medicijnen.pdf");
    // The sender answers; the patient reads it with a code by e-mail.
    let (status, body) = reply(
        &server,
        &sender_api,
        json!({"text": "Ontvangen, tot donderdag."}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["to"], json!([PATIENT]));
    let answer_link = server.link_for(PATIENT).await;
    let answer_api = server.api_of(&answer_link);
    assert_eq!(server.challenge(&answer_api).await, 202);
    let code = code_for(&server, PATIENT).await;
    assert_eq!(server.verify(&answer_api, &code).await, 200);
    assert_eq!(
        server.message(&answer_link).await["body_text"],
        "Ontvangen, tot donderdag."
    );
    // Both sides read the conversation in order.
    let turns = conversation_of(&server, &answer_api).await;
    let texts: Vec<&str> = turns.iter().map(|t| t["text"].as_str().unwrap()).collect();
    assert_eq!(
        texts,
        [
            "Beste Jan, de uitslag is binnen.",
            "Dank u. Mijn medicijnlijst zit erbij.",
            "Ontvangen, tot donderdag."
        ]
    );
    assert_eq!(turns[1]["from"], PATIENT);
    assert_eq!(turns[1]["files"][0]["name"], "lijst-medicijnen.pdf");
    let token = server.token(SENDER).await;
    let sender_view: Value = server
        .client
        .get(format!("{}/api/v1/messages/{id}/conversation", server.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(sender_view["turns"].as_array().unwrap().len(), 3);
    // Another sender sees nothing of it.
    let other = server.token("collega@zorg.example").await;
    let hidden = server
        .client
        .get(format!("{}/api/v1/messages/{id}/conversation", server.base))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(hidden.status(), StatusCode::NOT_FOUND);
    // The replies are audited.
    let tenant = zegel_store::tenants::tenant_for_domain(&server.state.db, "zorg.example")
        .await
        .unwrap()
        .unwrap();
    let query = zegel_store::audit::AuditQuery {
        tenant_id: &tenant.id,
        message_id: None,
        from: None,
        to: None,
        limit: 1000,
    };
    let events: Vec<String> = zegel_store::audit::entries(&server.state.db, &query)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.event)
        .collect();
    assert_eq!(events.iter().filter(|e| *e == "reply.created").count(), 2);
}
on_both!(a_conversation_of_three_turns, three_turns);

async fn set_replies(server: &TestServer, replies: Value) {
    let admin = server.token("beheer@zorg.example").await;
    let tenant = zegel_store::tenants::tenant_for_domain(&server.state.db, "zorg.example")
        .await
        .unwrap()
        .unwrap();
    let user =
        zegel_store::tenants::ensure_user(&server.state.db, &tenant.id, "beheer@zorg.example", 0)
            .await
            .unwrap();
    zegel_store::tenants::set_role(&server.state.db, &tenant.id, &user.id, "admin")
        .await
        .unwrap();
    let patched = server
        .client
        .patch(format!("{}/api/v1/admin/settings", server.base))
        .bearer_auth(&admin)
        .json(&json!({"replies": replies}))
        .send()
        .await
        .unwrap();
    assert!(
        patched.status().is_success(),
        "{}",
        patched.text().await.unwrap()
    );
}

async fn rules(server: TestServer) {
    server
        .send(&secure_message(&[PATIENT, "piet@example.nl"]), &[])
        .await;
    let (link, api) = opened(&server, PATIENT).await;
    // Only to the sender unless the organisation allows more.
    let (status, body) = reply(
        &server,
        &api,
        json!({"text": "Aan iedereen", "to_all": true}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["field"], "to_all");
    let (status, _) = reply(&server, &api, json!({"text": "  "})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "an empty reply");
    // With "to all" allowed, the other recipient gets it too.
    set_replies(
        &server,
        json!({"enabled": true, "to_all": true, "max_per_conversation": 3}),
    )
    .await;
    let (status, body) = reply(
        &server,
        &api,
        json!({"text": "Aan iedereen", "to_all": true}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["to"], json!([SENDER, "piet@example.nl"]));
    // Parallel replies: the cap of three holds (one is used already).
    let answers = futures_util::future::join_all(
        (0..10).map(|i| reply(&server, &api, json!({"text": format!("nummer {i}")}))),
    )
    .await;
    let created = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .count();
    assert_eq!(created, 2, "{answers:?}");
    assert!(
        answers
            .iter()
            .all(|(s, _)| matches!(*s, StatusCode::CREATED | StatusCode::CONFLICT))
    );
    // Switched off: no form on the page, and 403 from the API.
    set_replies(&server, json!({"enabled": false})).await;
    let (status, _) = reply(&server, &api, json!({"text": "nog iets"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let page = server.page(&link).await;
    assert!(
        !page.contains("/reply\""),
        "no reply form when replies are off"
    );
    server.deliver().await;
}
on_both!(the_tenant_decides_who_may_reply_and_how_often, rules);

async fn two_factor(server: TestServer) {
    let mut meta = secure_message(&[PATIENT]);
    meta["auth"] = json!({"level": "2fa"});
    meta["recipients"] = json!([{"email": PATIENT, "phone": "+31612345678"}]);
    server.send(&meta, &[]).await;
    let link = server.link_for(PATIENT).await;
    let api = server.api_of(&link);
    assert_eq!(server.challenge(&api).await, 202);
    let code = server.code_for("+31612345678").await;
    assert_eq!(server.verify(&api, &code).await, 200);
    let (status, body) = reply(&server, &api, json!({"text": "Graag een afspraak."})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // The sender answers: the patient opens it with an SMS code to the same number, as before.
    let notice_link = server.link_for(SENDER).await;
    let sender_api = server.api_of(&notice_link);
    assert_eq!(server.challenge(&sender_api).await, 202);
    let code = code_for(&server, SENDER).await;
    assert_eq!(server.verify(&sender_api, &code).await, 200);
    let (status, body) = reply(&server, &sender_api, json!({"text": "Donderdag 10:00."})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let answer_link = server.link_for(PATIENT).await;
    let answer_api = server.api_of(&answer_link);
    let sms_before = server.sms().len();
    assert_eq!(server.challenge(&answer_api).await, 202);
    server.deliver().await;
    assert_eq!(
        server.sms().len(),
        sms_before + 1,
        "an SMS code, as for the first message"
    );
    let code = server.code_for("+31612345678").await;
    assert_eq!(server.verify(&answer_api, &code).await, 200);
    assert_eq!(
        server.message(&answer_link).await["body_text"],
        "Donderdag 10:00."
    );
}
on_both!(
    an_answer_asks_for_the_second_factor_the_recipient_used,
    two_factor
);
