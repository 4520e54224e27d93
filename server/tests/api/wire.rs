//! The sender API's answers are the `zegel_core::api` types the task pane reads: every answer the pane
//! uses deserialises into its shared type and serialises back to exactly the JSON the server sent, so
//! no member is lost, renamed or added on either side.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use zegel_core::api::{
    BlockTarget, Created, CreatedStatus, ErrorBody, KnownPhone, MessagePage, MessageStatus,
    ScanOutcome,
};
use zegel_core::policy::Action;
use zegel_core::settings::SenderSettings;

use crate::on_both;
use crate::support::{TestServer, secure_message};

/// `body` read as `T`, asserting that `T` writes it back unchanged.
fn round_trip<T: DeserializeOwned + Serialize>(body: &Value) -> T {
    let read: T = serde_json::from_value(body.clone()).unwrap_or_else(|e| panic!("{e}: {body}"));
    // Through text, as on the wire (a value read as `f32` is written as the `f32` it is).
    let written: Value = serde_json::from_str(&serde_json::to_string(&read).unwrap()).unwrap();
    assert_eq!(&written, body);
    read
}

/// A request as the sender: status and JSON body.
async fn call(server: &TestServer, request: reqwest::RequestBuilder) -> (u16, Value) {
    let token = server.token("arts@zorg.example").await;
    let response = request.bearer_auth(token).send().await.unwrap();
    let code = response.status().as_u16();
    (code, response.json().await.unwrap())
}

on_both!(
    answers_read_as_the_shared_types,
    answers_read_as_the_shared_types_on
);
async fn answers_read_as_the_shared_types_on(server: TestServer) {
    let base = server.base.clone();
    let client = server.client.clone();

    let (code, body) = call(&server, client.get(format!("{base}/api/v1/settings"))).await;
    assert_eq!(code, 200, "{body}");
    let settings: SenderSettings = round_trip(&body);
    assert!(settings.allow_1fa && settings.policy_forces);

    let mut meta = secure_message("jan@example.nl");
    meta["notify"] = json!("client");
    let response = server
        .send(&meta, &[("rapport.pdf", b"%PDF-1.4 nothing".to_vec())])
        .await;
    assert_eq!(response.status(), 201);
    let created: Created = round_trip(&response.json().await.unwrap());
    assert_eq!(created.status, CreatedStatus::Sent);
    assert!(created.password.is_some() && created.notification.is_some());
    assert_eq!(created.files[0].name, "rapport.pdf");

    let id = &created.id;
    let (code, body) = call(&server, client.get(format!("{base}/api/v1/messages/{id}"))).await;
    assert_eq!(code, 200, "{body}");
    let status: MessageStatus = round_trip(&body);
    assert!(status.blocks_recipients() && status.can_block_message);

    let target = BlockTarget::File {
        file_id: created.files[0].id.clone(),
    };
    let (code, body) = call(
        &server,
        client
            .post(format!("{base}/api/v1/messages/{id}/block"))
            .json(&target),
    )
    .await;
    assert_eq!(code, 200, "{body}");
    let blocked: MessageStatus = round_trip(&body);
    assert!(blocked.files[0].blocked);

    let (code, body) = call(&server, client.get(format!("{base}/api/v1/messages"))).await;
    assert_eq!(code, 200, "{body}");
    let page: MessagePage = round_trip(&body);
    assert_eq!(page.messages[0].id, *id);
    assert_eq!(page.messages[0].files, 1);

    let (code, body) = call(
        &server,
        client.get(format!("{base}/api/v1/recipients/jan@example.nl/phone")),
    )
    .await;
    assert_eq!(code, 200, "{body}");
    let phone: KnownPhone = round_trip(&body);
    assert!(!phone.known && phone.masked.is_none());

    let (code, body) = call(
        &server,
        client.post(format!("{base}/api/v1/scan")).json(&json!({
            "subject": "Verwijzing", "body_text": "BSN 111222333.",
            "recipients": [{"email": "huisarts@elders.example", "kind": "to"}]
        })),
    )
    .await;
    assert_eq!(code, 200, "{body}");
    let outcome: ScanOutcome = round_trip(&body);
    assert_eq!(outcome.decision.action, Action::Force);

    // Errors: a field the rules refuse, and a message less protected than the policy forces.
    let mut invalid = secure_message("jan@example.nl");
    invalid["recipients"] = json!([{"email": "not an address"}]);
    let response = server.send(&invalid, &[]).await;
    assert_eq!(response.status(), 422);
    let error: ErrorBody = round_trip(&response.json().await.unwrap());
    assert_eq!(error.error.code, "invalid");
    assert_eq!(error.error.field.as_deref(), Some("recipients[0].email"));

    let public = json!({
        "subject": "Verwijzing", "body_text": "BSN 111222333.", "kind": "public_files",
        "recipients": [{"email": "jan@example.nl"}]
    });
    let response = server.send(&public, &[]).await;
    assert_eq!(response.status(), 422);
    let error: ErrorBody = round_trip(&response.json().await.unwrap());
    assert_eq!(error.error.code, "policy");
    assert!(error.error.found.is_some() && error.error.required.is_some());
}
