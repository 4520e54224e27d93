//! Sending from the browser: a sender proves their address with a mailed code and gets a session that the
//! message API and the uploads take instead of a bearer token. Outsiders send to the organisation's own
//! addresses only (or not at all); codes are throttled, tried a limited number of times, and expire.

use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::on_both;
use crate::support::TestServer;

const CITIZEN: &str = "burger@example.nl";

async fn post(server: &TestServer, path: &str, body: Value) -> (StatusCode, Value) {
    let response = server
        .client
        .post(format!("{}{path}", server.base))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

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

/// A multipart message from the browser's session (no bearer token).
async fn send(server: &TestServer, to: &str) -> (StatusCode, Value) {
    let meta = json!({
        "subject": "", "body_text": "Hierbij mijn loonstrook.", "kind": "secure_message",
        "recipients": [{"email": to}],
        "auth": {"level": "1fa", "password": "generated", "deliver": "other"}, "language": "nl",
    });
    let form = Form::new()
        .part(
            "meta",
            Part::text(meta.to_string())
                .mime_str("application/json")
                .unwrap(),
        )
        .part(
            "file",
            Part::bytes(b"%PDF-1.4\n".to_vec()).file_name("loonstrook.pdf"),
        );
    let response = server
        .client
        .post(format!("{}/api/v1/messages", server.base))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn outsiders(server: TestServer) {
    server.token("medewerker@gemeente.example").await;
    // Nobody is signed in yet.
    assert_eq!(
        send(&server, "wmo@gemeente.example").await.0,
        StatusCode::UNAUTHORIZED
    );
    // An outsider names the organisation.
    let (status, body) = post(
        &server,
        "/api/v1/senders/challenge",
        json!({"email": CITIZEN}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["field"], "organisation");
    let (status, _) = post(
        &server,
        "/api/v1/senders/challenge",
        json!({"email": CITIZEN, "organisation": "gemeente.example"}),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let code = code_for(&server, CITIZEN).await;
    let mail = server
        .mails()
        .into_iter()
        .rev()
        .find(|m| m.to == CITIZEN)
        .unwrap();
    assert_eq!(mail.subject, "Uw verificatiecode");
    // A wrong code, then the right one.
    let (status, body) = post(
        &server,
        "/api/v1/senders/verify",
        json!({"email": CITIZEN, "code": "000000", "organisation": "gemeente.example"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["field"], "code");
    let response = server
        .client
        .post(format!("{}/api/v1/senders/verify", server.base))
        .json(&json!({"email": CITIZEN, "code": code, "organisation": "gemeente.example"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Strict")
            && cookie.contains("Max-Age=2592000"),
        "{cookie}"
    );
    // The code was used once.
    let (status, _) = post(
        &server,
        "/api/v1/senders/verify",
        json!({"email": CITIZEN, "code": code, "organisation": "gemeente.example"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // To the organisation: yes; to anyone else: no.
    let (status, body) = send(&server, "wmo@gemeente.example").await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(
        body["password"].is_string(),
        "a generated password, shown once"
    );
    let (status, body) = send(&server, "vriend@elders.example").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    // The session is a sender's, never an admin's.
    let admin = server
        .client
        .get(format!("{}/api/v1/admin/settings", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(admin.status(), StatusCode::UNAUTHORIZED);
    // It lasts the tenant's period, then the address is asked again.
    server
        .clock
        .advance(jiff::SignedDuration::from_hours(24 * 31));
    assert_eq!(
        send(&server, "wmo@gemeente.example").await.0,
        StatusCode::UNAUTHORIZED
    );
    server.deliver().await;
}
on_both!(outsiders_send_to_the_organisation_only, outsiders);

async fn staff(server: TestServer) {
    server.token("medewerker@gemeente.example").await;
    let (status, _) = post(
        &server,
        "/api/v1/senders/challenge",
        json!({"email": "medewerker@gemeente.example"}),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "staff need no organisation");
    let code = code_for(&server, "medewerker@gemeente.example").await;
    let (status, _) = post(
        &server,
        "/api/v1/senders/verify",
        json!({"email": "medewerker@gemeente.example", "code": code}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = send(&server, "iemand@elders.example").await;
    assert_eq!(status, StatusCode::CREATED, "staff send to anyone: {body}");
    server.deliver().await;
}
on_both!(staff_send_to_anyone, staff);

async fn throttles(server: TestServer) {
    server.token("medewerker@gemeente.example").await;
    let answers = futures_util::future::join_all((0..20).map(|_| {
        post(
            &server,
            "/api/v1/senders/challenge",
            json!({"email": CITIZEN, "organisation": "gemeente.example"}),
        )
    }))
    .await;
    let accepted = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::ACCEPTED)
        .count();
    assert_eq!(
        accepted,
        zegel_service::senders::CODES_PER_ADDRESS_HOUR as usize,
        "{answers:?}"
    );
    // Tries are counted per code: guessing stops after five.
    server.deliver().await;
    let codes: Vec<String> = server
        .mails()
        .iter()
        .filter(|m| m.to == CITIZEN)
        .filter_map(|m| {
            m.text
                .lines()
                .map(str::trim)
                .find(|l| l.len() == 6 && l.bytes().all(|b| b.is_ascii_digit()))
                .map(str::to_owned)
        })
        .collect();
    for _ in 0..zegel_store::senders::MAX_TRIES_PER_CODE {
        post(
            &server,
            "/api/v1/senders/verify",
            json!({"email": CITIZEN, "code": "999999", "organisation": "gemeente.example"}),
        )
        .await;
    }
    let (status, _) = post(
        &server,
        "/api/v1/senders/verify",
        json!({"email": CITIZEN, "code": codes[0], "organisation": "gemeente.example"}),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "every code's tries are used up"
    );
    // An organisation that takes nothing from outside.
    let admin = server.token("beheer@gemeente.example").await;
    let tenant = zegel_store::tenants::tenant_for_domain(&server.state.db, "gemeente.example")
        .await
        .unwrap()
        .unwrap();
    let user = zegel_store::tenants::ensure_user(
        &server.state.db,
        &tenant.id,
        "beheer@gemeente.example",
        0,
    )
    .await
    .unwrap();
    zegel_store::tenants::set_role(&server.state.db, &tenant.id, &user.id, "admin")
        .await
        .unwrap();
    let patched = server
        .client
        .patch(format!("{}/api/v1/admin/settings", server.base))
        .bearer_auth(&admin)
        .json(&json!({"web_send": {"outsiders": "off"}}))
        .send()
        .await
        .unwrap();
    assert!(patched.status().is_success());
    let (status, _) = post(
        &server,
        "/api/v1/senders/challenge",
        json!({"email": "ander@example.nl", "organisation": "gemeente.example"}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
on_both!(codes_are_throttled_and_tries_counted, throttles);
