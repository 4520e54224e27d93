//! Two-factor access: numbers, held messages, SMS codes and their rules.

use jiff::SignedDuration;
use serde_json::{Value, json};

use crate::on_both;
use crate::support::TestServer;

fn two_factor(to: &str, phone: Option<&str>) -> Value {
    let mut recipient = json!({"email": to});
    if let Some(phone) = phone {
        recipient["phone"] = json!(phone);
    }
    json!({"subject": "Uitslag", "body_text": "Zie bijlage.", "kind": "secure_files", "recipients": [recipient],
           "auth": {"level": "2fa"}, "language": "en"})
}

/// `GET /api/v1/recipients/<email>/phone` as a sender.
async fn known_phone(server: &TestServer, token: &str, email: &str) -> Value {
    let url = format!("{}/api/v1/recipients/{email}/phone", server.base);
    server
        .client
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn held(server: TestServer) {
    let token = server.token("arts@zorg.example").await;
    let mut meta = two_factor("a@example.nl", None);
    meta["recipients"] =
        json!([{"email": "a@example.nl"}, {"email": "b@example.nl", "phone": "+46 70 123 45 67"}]);
    let created: Value = server
        .send(&meta, &[("x.txt", b"x".to_vec())])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(created["status"], "needs_phone_numbers");
    assert_eq!(created["missing_phone_numbers"], json!(["a@example.nl"]));
    let id = created["id"].as_str().unwrap().to_owned();
    server.deliver().await;
    let ask = server
        .mails()
        .into_iter()
        .find(|m| m.to == "arts@zorg.example")
        .expect("the sender is asked for numbers");
    assert!(
        ask.text.contains("a@example.nl") && !ask.text.contains("b@example.nl"),
        "{}",
        ask.text
    );
    assert!(
        server
            .mails()
            .iter()
            .all(|m| m.to != "a@example.nl" && m.to != "b@example.nl"),
        "held: no notifications"
    );

    let url = format!("{}/api/v1/messages/{id}/phones", server.base);
    let bad = server
        .client
        .post(&url)
        .bearer_auth(&token)
        .json(&json!({"phones": {"a@example.nl": "12"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);
    let body: Value = bad.json().await.unwrap();
    assert_eq!(body["error"]["field"], "phones.a@example.nl");
    let stranger = server
        .client
        .post(&url)
        .bearer_auth(&token)
        .json(&json!({"phones": {"x@example.nl": "0612345678"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(stranger.status(), 422);
    // Another sender of the same tenant cannot touch it.
    let other = server.token("collega@zorg.example").await;
    let foreign = server
        .client
        .post(&url)
        .bearer_auth(&other)
        .json(&json!({"phones": {"a@example.nl": "0612345678"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 404);

    let released: Value = server
        .client
        .post(&url)
        .bearer_auth(&token)
        .json(&json!({"phones": {"a@example.nl": "06-1234 5678"}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(released["status"], "sent");
    server.link_for("a@example.nl").await;
    let b_link = server.link_for("b@example.nl").await;
    // A second release does nothing.
    assert_eq!(
        server
            .client
            .post(&url)
            .bearer_auth(&token)
            .json(&json!({"phones": {}}))
            .send()
            .await
            .unwrap()
            .status(),
        409
    );

    // Numbers a sender gives are for that message only: nothing is remembered yet.
    assert_eq!(
        known_phone(&server, &token, "b@example.nl").await["known"],
        false
    );
    // The recipient confirms a number by entering a code sent to it; then the pane can prefill it.
    let b_api = server.api_of(&b_link);
    assert_eq!(server.challenge(&b_api).await, 202);
    let code = server.code_for("+46701234567").await;
    assert_eq!(server.verify(&b_api, &code).await, 200);
    let known: Value = known_phone(&server, &token, "b@example.nl").await;
    assert_eq!(known["masked"], "+46******567");
    let unknown: Value = known_phone(&server, &token, "nobody@example.nl").await;
    assert_eq!(unknown["known"], false);
    // Another tenant knows nothing of them.
    let outsider = server.token("x@elders.example").await;
    let isolated: Value = known_phone(&server, &outsider, "b@example.nl").await;
    assert_eq!(isolated["known"], false);
    // Another sender's number goes to that sender's message only; it does not replace the confirmed one.
    let colleague = server.token("collega@zorg.example").await;
    let sent = server
        .send_as(
            &colleague,
            Some(two_factor("b@example.nl", Some("0687654321")).to_string()),
            &[],
        )
        .await;
    assert_eq!(sent.status(), 201);
    let own = server.api_of(&server.link_for("b@example.nl").await);
    assert_eq!(server.challenge(&own).await, 202);
    server.code_for("+31687654321").await;
    assert_eq!(
        known_phone(&server, &token, "b@example.nl").await["masked"],
        "+46******567"
    );
    // A message without a number uses the confirmed one.
    assert_eq!(
        server
            .send(&two_factor("b@example.nl", None), &[])
            .await
            .status(),
        201
    );
    let plain = server.api_of(&server.link_for("b@example.nl").await);
    let challenged: Value = server
        .client
        .post(format!("{plain}/challenge"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(challenged["destination"], "+46******567");

    // An admin can change or remove it; a sender cannot.
    let admin_url = format!("{}/api/v1/admin/recipients/b@example.nl/phone", server.base);
    let by_sender = server
        .client
        .put(&admin_url)
        .bearer_auth(&token)
        .json(&json!({"phone": "0687654321"}))
        .send()
        .await
        .unwrap();
    assert_eq!(by_sender.status(), 403);
    let admin = server.token("ciso@zorg.example").await;
    zegel_server::admin::grant(&server.state, "ciso@zorg.example", "admin")
        .await
        .unwrap();
    let bad = server
        .client
        .put(&admin_url)
        .bearer_auth(&admin)
        .json(&json!({"phone": "020 123 4567"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);
    let body: Value = bad.json().await.unwrap();
    assert_eq!(body["error"]["field"], "phone");
    let set: Value = server
        .client
        .put(&admin_url)
        .bearer_auth(&admin)
        .json(&json!({"phone": "0687654321"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(set["masked"], "+31******321");
    assert_eq!(
        known_phone(&server, &token, "b@example.nl").await["masked"],
        "+31******321"
    );
    assert_eq!(
        server
            .count("audit_events WHERE event = 'phone.set' AND detail = 'recipient:b@example.nl'")
            .await,
        1
    );
    let removed = server
        .client
        .delete(&admin_url)
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), 200);
    assert_eq!(
        known_phone(&server, &token, "b@example.nl").await["known"],
        false
    );
}
on_both!(held_messages_wait_for_numbers, held);

async fn invalid_numbers(server: TestServer) {
    let response = server
        .send(&two_factor("a@example.nl", Some("020 123 4567")), &[])
        .await;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["field"], "recipients[0].phone");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("a@example.nl")
    );
    let mut one_factor = two_factor("a@example.nl", Some("0612345678"));
    one_factor["auth"] = json!({"level": "1fa"});
    assert_eq!(server.send(&one_factor, &[]).await.status(), 422);
    assert_eq!(server.count("messages").await, 0);
}
on_both!(invalid_numbers_name_the_recipient, invalid_numbers);

async fn codes(server: TestServer) {
    server
        .send(&two_factor("a@example.nl", Some("0612345678")), &[])
        .await;
    let api = server.api_of(&server.link_for("a@example.nl").await);
    let challenge: Value = server
        .client
        .post(format!("{api}/challenge"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(challenge["destination"], "+31******678");
    let first = server.code_for("+31612345678").await;
    assert_eq!(first.len(), 6);
    // A new code voids the old one.
    assert_eq!(server.challenge(&api).await, 202);
    let second = server.code_for("+31612345678").await;
    assert_eq!(server.verify(&api, &first).await, 401);
    // Codes live ten minutes.
    server.clock.advance(SignedDuration::from_mins(11));
    assert_eq!(server.verify(&api, &second).await, 401);
    // Five sends an hour, then 429.
    for _ in 0..3 {
        assert_eq!(server.challenge(&api).await, 202);
    }
    server.deliver().await;
    assert_eq!(server.challenge(&api).await, 429);
    server.clock.advance(SignedDuration::from_mins(61));
    assert_eq!(server.challenge(&api).await, 202);
    let code = server.code_for("+31612345678").await;
    // Five wrong tries void a code.
    for _ in 0..5 {
        server.clock.advance(SignedDuration::from_mins(1));
        assert_eq!(server.verify(&api, "000000").await, 401);
    }
    server.clock.advance(SignedDuration::from_mins(1));
    assert_eq!(server.verify(&api, &code).await, 401);
    // A fresh code works once.
    server.clock.advance(SignedDuration::from_mins(61));
    assert_eq!(server.challenge(&api).await, 202);
    let code = server.code_for("+31612345678").await;
    assert_eq!(server.verify(&api, &code).await, 200);
    assert_eq!(server.verify(&api, &code).await, 401);
}
on_both!(sms_codes_follow_the_rules, codes);

async fn lockout(server: TestServer) {
    let token = server.token("arts@zorg.example").await;
    let created: Value = server
        .send(&two_factor("a@example.nl", Some("0612345678")), &[])
        .await
        .json()
        .await
        .unwrap();
    let api = server.api_of(&server.link_for("a@example.nl").await);
    loop {
        server.clock.advance(SignedDuration::from_mins(6));
        match server.verify(&api, "123456").await {
            401 => continue,
            403 => break,
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(server.challenge(&api).await, 403);
    let unlock = format!(
        "{}/api/v1/messages/{}/unlock",
        server.base,
        created["id"].as_str().unwrap()
    );
    let response = server
        .client
        .post(&unlock)
        .bearer_auth(&token)
        .json(&json!({"email": "a@example.nl"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        server
            .count("audit_events WHERE event = 'access.unlocked'")
            .await,
        1
    );
    assert_eq!(server.challenge(&api).await, 202);
    let code = server.code_for("+31612345678").await;
    assert_eq!(server.verify(&api, &code).await, 200);
}
on_both!(lockout_until_the_sender_unlocks, lockout);

async fn held_expiry(server: TestServer) {
    let mut meta = two_factor("a@example.nl", None);
    meta["expires_in_days"] = json!(1);
    server.send(&meta, &[("x.txt", b"x".to_vec())]).await;
    assert_eq!(server.blob_files().len(), 1);
    assert_eq!(
        zegel_service::delivery::expire_held(&server.state)
            .await
            .unwrap(),
        0
    );
    server.clock.advance(SignedDuration::from_hours(25));
    assert_eq!(
        zegel_service::delivery::expire_held(&server.state)
            .await
            .unwrap(),
        1
    );
    assert_eq!(server.count("messages").await, 0);
    assert!(server.blob_files().is_empty());
    server.deliver().await;
    assert!(
        server
            .mails()
            .iter()
            .any(|m| m.to == "arts@zorg.example" && m.subject == "Your message was not sent")
    );
}
on_both!(held_messages_expire_and_the_sender_is_told, held_expiry);
