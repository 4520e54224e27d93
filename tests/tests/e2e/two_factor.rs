//! Two-factor access end to end: the real binary, a real SMTP receiver, and a local HTTP endpoint that
//! checks every request the way Twilio's Messages API documents it and answers like Twilio.

use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::post;
use axum::{Form, Json, Router};
use base64::Engine;
use serde_json::{Value, json};
use zegel_tests::browser::Browser;
use zegel_tests::{SmtpReceiver, Zegel, client, link_after, wait_until};

const SID: &str = "AC0123456789abcdef0123456789abcdef";
const AUTH_TOKEN: &str = "twilio-test-auth-token";
const FROM: &str = "+3197010000000";
/// A number the fake provider refuses like Twilio refuses unreachable numbers.
const REFUSED: &str = "+31687654321";

#[derive(Clone, Default)]
struct FakeTwilio {
    sent: Arc<Mutex<Vec<(String, String)>>>,
    problems: Arc<Mutex<Vec<String>>>,
}

async fn create_message(
    State(fake): State<FakeTwilio>,
    Path(account): Path<String>,
    headers: HeaderMap,
    Form(form): Form<std::collections::HashMap<String, String>>,
) -> impl IntoResponse {
    let mut problems = Vec::new();
    if account != format!("{SID}.json").trim_end_matches(".json") && account != SID {
        problems.push(format!("account {account}"));
    }
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{SID}:{AUTH_TOKEN}"))
    );
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(expected.as_str()) {
        problems.push("basic auth".into());
    }
    if headers.get("content-type").and_then(|v| v.to_str().ok())
        != Some("application/x-www-form-urlencoded")
    {
        problems.push("content type".into());
    }
    if form.get("From").map(String::as_str) != Some(FROM) {
        problems.push("From".into());
    }
    let (Some(to), Some(body)) = (form.get("To"), form.get("Body")) else {
        problems.push("To/Body".into());
        fake.problems.lock().unwrap().extend(problems);
        return (
            StatusCode::BAD_REQUEST,
            Json(
                json!({"code": 21604, "message": "A 'To' phone number is required.", "more_info": "https://www.twilio.com/docs/errors/21604", "status": 400}),
            ),
        );
    };
    fake.problems.lock().unwrap().extend(problems);
    if to == REFUSED {
        return (
            StatusCode::BAD_REQUEST,
            Json(
                json!({"code": 21211, "message": "The 'To' number is not a valid phone number.", "more_info": "https://www.twilio.com/docs/errors/21211", "status": 400}),
            ),
        );
    }
    fake.sent.lock().unwrap().push((to.clone(), body.clone()));
    (
        StatusCode::CREATED,
        Json(
            json!({"sid": "SM0123456789abcdef0123456789abcdef", "status": "queued", "to": to, "from": FROM, "body": body, "account_sid": SID}),
        ),
    )
}

async fn start_fake_twilio() -> (String, FakeTwilio) {
    let fake = FakeTwilio::default();
    let app = Router::new()
        .route(
            "/2010-04-01/Accounts/{account}/Messages.json",
            post(create_message),
        )
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, fake)
}

async fn send(zegel: &Zegel, token: &str, to: &str, phone: Option<&str>) -> Value {
    let mut recipient = json!({"email": to});
    if let Some(phone) = phone {
        recipient["phone"] = json!(phone);
    }
    let meta = json!({"subject": "Patiëntendossier 234-567", "body_text": "Zie bijlage.", "kind": "secure_message",
        "recipients": [recipient], "auth": {"level": "2fa"}, "language": "nl"});
    let form = reqwest::multipart::Form::new().text("meta", meta.to_string());
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
async fn a_held_two_factor_message_is_released_and_opened_with_an_sms_code() {
    let (twilio, fake) = start_fake_twilio().await;
    let receiver = SmtpReceiver::start();
    let mut zegel = Zegel::new(receiver.address);
    zegel.env.extend(
        [
            ("ZEGEL_SMS", "twilio"),
            ("ZEGEL_TWILIO_ACCOUNT_SID", SID),
            ("ZEGEL_TWILIO_AUTH_TOKEN", AUTH_TOKEN),
            ("ZEGEL_TWILIO_FROM", FROM),
            ("ZEGEL_TWILIO_BASE_URL", twilio.as_str()),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned())),
    );
    zegel.add_tenant("Ziekenhuis", "zorg.example");
    let token = zegel.token("arts@zorg.example");
    let token = token.as_str();
    zegel.serve();

    // A new recipient: no number is known, so the message is held and the sender is asked.
    let created = send(&zegel, token, "juliet@ontvanger.example", None).await;
    assert_eq!(created["status"], "needs_phone_numbers");
    assert_eq!(
        created["missing_phone_numbers"],
        json!(["juliet@ontvanger.example"])
    );
    let ask = receiver.wait_for("arts@zorg.example", "telefoonnummer");
    assert!(
        ask.text.contains("juliet@ontvanger.example")
            && ask.text.contains("Patiëntendossier 234-567")
    );
    assert!(
        receiver
            .mails()
            .iter()
            .all(|m| !m.rcpt_to.contains(&"juliet@ontvanger.example".to_owned())),
        "held: nothing to the recipient yet"
    );

    // The numbers page: an invalid number is refused, a valid one releases the message.
    let page_link = link_after(&ask.text, &format!("{}/phones/", zegel.base));
    // On a phone it fits the screen and reads in Dutch (a GET changes nothing).
    let phone = Browser::phone(390).await;
    let path = page_link.trim_start_matches(&zegel.base);
    phone
        .goto(&format!("{}/lang/nl?back={path}", zegel.base))
        .await;
    phone.assert_fits("the phone numbers page", "nl").await;
    phone.screenshot("phones-page-nl-390").await;
    let sender_browser = client();
    let page = sender_browser
        .get(&page_link)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("juliet@ontvanger.example"));
    let bad = sender_browser
        .post(&page_link)
        .form(&[
            ("email_0", "juliet@ontvanger.example"),
            ("phone_0", "020 123 4567"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);
    // In the page's language (Dutch without an Accept-Language), never the library's English.
    let bad = bad.text().await.unwrap();
    assert!(bad.contains("is geen mobiel nummer"), "{bad}");
    let good = sender_browser
        .post(&page_link)
        .form(&[
            ("email_0", "juliet@ontvanger.example"),
            ("phone_0", "06 12345678"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(good.status(), 200);
    assert!(
        good.text()
            .await
            .unwrap()
            .contains("Telefoonnummers opgeslagen")
    );
    // The link was single-use.
    assert_eq!(
        sender_browser
            .get(&page_link)
            .send()
            .await
            .unwrap()
            .status(),
        404
    );

    // The recipient asks for the SMS code; it arrives at the provider; it opens the message.
    let notification = receiver.wait_for("juliet@ontvanger.example", "Patiëntendossier");
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
    assert!(
        landing.contains("Stuur mij de sms-code") && landing.contains("+31******678"),
        "{landing}"
    );
    phone.goto(&link).await;
    phone.assert_fits("the SMS code landing page", "nl").await;
    phone.screenshot("sms-landing-nl-390").await;
    phone.close().await;
    assert_eq!(
        browser
            .post(format!("{link}/challenge"))
            .send()
            .await
            .unwrap()
            .status(),
        303
    );
    let (to, body) = wait_until(std::time::Duration::from_secs(30), "the SMS", || {
        fake.sent.lock().unwrap().first().cloned()
    });
    assert_eq!(to, "+31612345678");
    let code = zegel_tests::sms_code(&body);
    assert!(
        body.starts_with("Uw code van ")
            && body.ends_with("(10 min. geldig)")
            && code.len() == 6
            && code.bytes().all(|b| b.is_ascii_digit()),
        "{body}"
    );
    let verified = browser
        .post(format!("{link}/verify"))
        .form(&[("code", code.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(verified.status(), 303);
    let page = browser
        .get(format!(
            "{}{}",
            zegel.base,
            verified.headers()["location"].to_str().unwrap()
        ))
        .send()
        .await
        .unwrap();
    assert!(page.text().await.unwrap().contains("Zie bijlage."));
    assert!(
        fake.problems.lock().unwrap().is_empty(),
        "requests differ from Twilio's API: {:?}",
        fake.problems.lock().unwrap()
    );

    // A second message to the same recipient needs no number: it was remembered.
    let second = send(&zegel, token, "juliet@ontvanger.example", None).await;
    assert_eq!(second["status"], "sent");
    let known: Value = client()
        .get(format!(
            "{}/api/v1/recipients/juliet@ontvanger.example/phone",
            zegel.base
        ))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        known,
        json!({"email": "juliet@ontvanger.example", "known": true, "masked": "+31******678"})
    );

    // A number the provider refuses: the SMS job fails for good and the recipient gets no code.
    let refused = send(
        &zegel,
        token,
        "romeo@ontvanger.example",
        Some("06 87654321"),
    )
    .await;
    assert_eq!(refused["status"], "sent");
    let mail = receiver.wait_for("romeo@ontvanger.example", "Patiëntendossier");
    let link = mail.link(&zegel.base);
    assert_eq!(
        client()
            .post(format!("{link}/challenge"))
            .send()
            .await
            .unwrap()
            .status(),
        303
    );
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert_eq!(
        fake.sent.lock().unwrap().len(),
        1,
        "nothing reached the refused number"
    );
}
