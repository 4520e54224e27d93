//! Tracking: a sender sees per recipient and file what happened to their message, lists their messages
//! page by page, and nobody else sees them. Also the helpers the blocking, audit and retention tests
//! share.

use serde_json::{Value, json};

use crate::on_both;
use crate::support::{TestServer, secure_message};

pub(crate) const SENDER: &str = "arts@zorg.example";
pub(crate) const COLLEAGUE: &str = "secretaris@zorg.example";

/// Sends a message as [`SENDER`] and returns its id.
pub(crate) async fn send_id(
    server: &TestServer,
    meta: &Value,
    files: &[(&str, Vec<u8>)],
) -> String {
    let response = server.send(meta, files).await;
    assert_eq!(response.status(), 201);
    response.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Opens a session for recipient `to` through the JSON access API; returns that API's base URL.
pub(crate) async fn session(server: &TestServer, to: &str) -> String {
    let api = server.api_of(&server.link_for(to).await);
    assert_eq!(server.challenge(&api).await, 202);
    let password = server.password_for(to).await;
    assert_eq!(server.verify(&api, &password).await, 200);
    api
}

/// `GET /api/v1/messages/<id>` as `sender`: status and body.
pub(crate) async fn status_as(server: &TestServer, sender: &str, id: &str) -> (u16, Value) {
    let token = server.token(sender).await;
    let response = server
        .client
        .get(format!("{}/api/v1/messages/{id}", server.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let code = response.status().as_u16();
    (code, response.json().await.unwrap_or(Value::Null))
}

/// The status of a message of [`SENDER`].
pub(crate) async fn status(server: &TestServer, id: &str) -> Value {
    let (code, body) = status_as(server, SENDER, id).await;
    assert_eq!(code, 200, "{body}");
    body
}

/// `POST .../block` (or `unblock`) as `sender`: status and body.
pub(crate) async fn block_as(
    server: &TestServer,
    sender: &str,
    id: &str,
    action: &str,
    target: Value,
) -> (u16, Value) {
    let token = server.token(sender).await;
    let response = server
        .client
        .post(format!("{}/api/v1/messages/{id}/{action}", server.base))
        .bearer_auth(token)
        .json(&target)
        .send()
        .await
        .unwrap();
    let code = response.status().as_u16();
    (code, response.json().await.unwrap_or(Value::Null))
}

/// Blocks or unblocks as [`SENDER`], asserting success; returns the new status.
pub(crate) async fn block(server: &TestServer, id: &str, action: &str, target: Value) -> Value {
    let (code, body) = block_as(server, SENDER, id, action, target).await;
    assert_eq!(code, 200, "{body}");
    body
}

async fn status_per_recipient_and_file(server: TestServer) {
    let mut meta = secure_message("jan@example.nl");
    meta["recipients"] =
        json!([{"email": "jan@example.nl"}, {"email": "piet@example.nl", "kind": "cc"}]);
    let id = send_id(
        &server,
        &meta,
        &[
            ("scan.pdf", vec![7; 1000]),
            ("brief.txt", b"hallo".to_vec()),
        ],
    )
    .await;

    let before = status(&server, &id).await;
    assert_eq!(before["kind"], "secure_message");
    assert_eq!(before["level"], "1fa");
    assert_eq!(before["status"], "active");
    assert_eq!(before["subject"], "Dossier 42");
    assert_eq!(before["blocked"], false);
    assert_eq!(before["can_block_message"], true);
    assert!(before["expires_at"].as_str().unwrap().ends_with('Z'));
    let recipients = before["recipients"].as_array().unwrap();
    assert_eq!(recipients.len(), 2);
    assert!(
        recipients
            .iter()
            .all(|r| r["status"] == "sent" && r["notified_at"].is_null()),
        "{before}"
    );
    let files = before["files"].as_array().unwrap();
    assert_eq!(files[0]["name"], "scan.pdf");
    assert_eq!(files[0]["size"], 1000);
    assert_eq!(files[1]["name"], "brief.txt");

    // Jan gets his notification, asks for the password, signs in, opens the message and downloads.
    let api = session(&server, "jan@example.nl").await;
    let message: Value = server
        .client
        .get(format!("{api}/message"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let file_id = message["files"][0]["id"].as_str().unwrap();
    for _ in 0..2 {
        assert_eq!(
            server
                .client
                .post(format!("{api}/files/{file_id}"))
                .send()
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap()
                .len(),
            1000
        );
    }

    let after = status(&server, &id).await;
    let jan = after["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["email"] == "jan@example.nl")
        .unwrap()
        .clone();
    let piet = after["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["email"] == "piet@example.nl")
        .unwrap()
        .clone();
    assert_eq!(jan["status"], "opened");
    for field in [
        "notified_at",
        "code_requested_at",
        "authenticated_at",
        "opened_at",
    ] {
        assert!(jan[field].is_string(), "{field} of {jan}");
    }
    assert_eq!(jan["blocked"], false);
    assert!(jan.get("sms_error").is_none());
    assert_eq!(piet["status"], "sent");
    assert!(piet["opened_at"].is_null() && piet["code_requested_at"].is_null());
    assert_eq!(piet["kind"], "cc");
    let downloads = after["files"][0]["downloads"].as_array().unwrap();
    assert_eq!(downloads.len(), 2);
    assert_eq!(downloads[0]["recipient"], "jan@example.nl");
    assert!(
        after["files"][1]["downloads"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    // Opened: no longer blockable as a whole.
    assert_eq!(after["can_block_message"], false);

    // A colleague of the same tenant, or a stranger, sees nothing.
    assert_eq!(status_as(&server, COLLEAGUE, &id).await.0, 404);
    assert_eq!(
        status_as(&server, "iemand@elders.example", &id).await.0,
        404
    );
    assert_eq!(
        status_as(&server, SENDER, "0123456789abcdef0123456789abcdef")
            .await
            .0,
        404
    );
    let anonymous = server
        .client
        .get(format!("{}/api/v1/messages/{id}", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
}
on_both!(status_per_recipient_and_file, status_per_recipient_and_file);

async fn held_messages_show_held(server: TestServer) {
    let mut meta = secure_message("jan@example.nl");
    meta["auth"] = json!({"level": "2fa"});
    let id = send_id(&server, &meta, &[]).await;
    let held = status(&server, &id).await;
    assert_eq!(held["status"], "held");
    assert_eq!(held["level"], "2fa");
    assert_eq!(held["recipients"][0]["status"], "held");
}
on_both!(held_messages_show_held, held_messages_show_held);

async fn list_newest_first_in_pages(server: TestServer) {
    let mut ids = Vec::new();
    for n in 0..3 {
        let mut meta = secure_message("jan@example.nl");
        meta["subject"] = json!(format!("Bericht {n}"));
        ids.push(send_id(&server, &meta, &[("a.txt", b"a".to_vec())]).await);
        server.clock.advance(jiff::SignedDuration::from_secs(1));
    }
    // A colleague's message is not in the list.
    let colleague = server.token(COLLEAGUE).await;
    assert_eq!(
        server
            .send_as(
                &colleague,
                Some(secure_message("kees@example.nl").to_string()),
                &[]
            )
            .await
            .status(),
        201
    );

    let token = server.token(SENDER).await;
    let page = |query: String| {
        let request = server
            .client
            .get(format!("{}/api/v1/messages?{query}", server.base))
            .bearer_auth(&token);
        async move {
            let response = request.send().await.unwrap();
            (
                response.status().as_u16(),
                response.json::<Value>().await.unwrap(),
            )
        }
    };
    let (code, first) = page("sent_by=me&limit=2".into()).await;
    assert_eq!(code, 200, "{first}");
    let messages = first["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0]["id"], ids[2].as_str());
    assert_eq!(messages[0]["subject"], "Bericht 2");
    assert_eq!(messages[1]["id"], ids[1].as_str());
    assert_eq!(messages[0]["recipients"], 1);
    assert_eq!(messages[0]["files"], 1);
    assert_eq!(messages[0]["opened"], 0);
    assert_eq!(messages[0]["downloads"], 0);
    let next = first["next"].as_str().unwrap();

    let (_, second) = page(format!("sent_by=me&limit=2&before={next}")).await;
    let messages = second["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["id"], ids[0].as_str());
    assert!(second["next"].is_null());

    assert_eq!(page("sent_by=someone".into()).await.0, 422);
    assert_eq!(page("limit=0".into()).await.0, 422);
    assert_eq!(page("before=garbage".into()).await.0, 422);
    // The default is the sender's own list.
    assert_eq!(
        page(String::new()).await.1["messages"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
}
on_both!(list_newest_first_in_pages, list_newest_first_in_pages);
