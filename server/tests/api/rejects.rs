//! Bad input gets a clear 4xx with the error shape, and nothing half-stored remains.

use serde_json::{Value, json};

use crate::on_both;
use crate::support::{TestServer, secure_message};

async fn assert_nothing_stored(server: &TestServer) {
    for table in ["messages", "files", "recipients", "outbox"] {
        assert_eq!(server.count(table).await, 0, "{table} must be empty");
    }
    // Give dropped uploads a moment to clean up their temporary files, polling with a deadline.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !server.blob_files().is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "blobs left behind: {:?}",
            server.blob_files()
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

async fn bad_requests(server: TestServer) {
    let token = server.token("arts@zorg.example").await;
    let file = [("data.bin", vec![7u8; 200_000])];
    let cases: Vec<(Option<String>, u16, &str, &str)> = vec![
        (Some("{not json".into()), 400, "malformed_json", "not valid JSON"),
        (Some(json!({"kind": "secret_stuff", "recipients": [{"email": "a@b.nl"}]}).to_string()), 422, "invalid", "unknown variant"),
        (Some(json!({"kind": "public_files", "recipients": [{"email": "not-an-address"}]}).to_string()), 422, "invalid", "recipients[0].email"),
        (Some(json!({"kind": "public_files", "recipients": [{"email": "a@b.nl"}], "expires_in_days": 30}).to_string()), 422, "invalid", "expires_in_days"),
        (Some(json!({"kind": "secure_message", "recipients": [{"email": "a@b.nl"}]}).to_string()), 422, "invalid", "needs auth"),
        (None, 422, "invalid", "meta part is missing"),
    ];
    for (meta, status, code, needle) in cases {
        let response = server.send_as(&token, meta.clone(), &file).await;
        assert_eq!(response.status().as_u16(), status, "{meta:?}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], code, "{meta:?}: {body}");
        assert!(
            body["error"]["message"].as_str().unwrap().contains(needle),
            "{meta:?}: {body}"
        );
    }

    // A weak custom password is refused with zxcvbn's feedback.
    let mut meta = secure_message("a@b.nl");
    meta["auth"]["password"] = json!({"custom": "welkom01"});
    let response = server.send_as(&token, Some(meta.to_string()), &file).await;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["field"], "auth.password");
    assert!(
        !body["error"]["feedback"].as_array().unwrap().is_empty(),
        "{body}"
    );

    // Parts the API does not know, and files without a name.
    let form = reqwest::multipart::Form::new()
        .text("meta", secure_message("a@b.nl").to_string())
        .part(
            "attachment",
            reqwest::multipart::Part::bytes(vec![1, 2, 3]).file_name("x"),
        );
    let response = server
        .client
        .post(format!("{}/api/v1/messages", server.base))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.json::<Value>().await.unwrap()["error"]["code"],
        "unknown_part"
    );
    let form = reqwest::multipart::Form::new()
        .text("meta", secure_message("a@b.nl").to_string())
        .part("file", reqwest::multipart::Part::bytes(vec![1, 2, 3]));
    let response = server
        .client
        .post(format!("{}/api/v1/messages", server.base))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);

    // Not multipart at all.
    let response = server
        .client
        .post(format!("{}/api/v1/messages", server.base))
        .bearer_auth(&token)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.json::<Value>().await.unwrap()["error"]["code"],
        "bad_content_type"
    );

    assert_nothing_stored(&server).await;
}
on_both!(bad_requests_store_nothing, bad_requests);

async fn authentication(server: TestServer) {
    let meta = Some(secure_message("a@b.nl").to_string());
    for token in ["", "zgl1.e30.AAAA", "garbage"] {
        let response = server.send_as(token, meta.clone(), &[]).await;
        assert_eq!(response.status(), 401, "{token:?}");
        assert!(response.headers().contains_key("www-authenticate"));
        assert_eq!(
            response.json::<Value>().await.unwrap()["error"]["code"],
            "unauthorized"
        );
    }
    // A valid token expires.
    let token = server.token("arts@zorg.example").await;
    server.clock.advance(jiff::SignedDuration::from_hours(25));
    assert_eq!(server.send_as(&token, meta, &[]).await.status(), 401);
    assert_nothing_stored(&server).await;
}
on_both!(bad_tokens_are_refused, authentication);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_uploads_store_nothing() {
    let server = TestServer::start_with(None, &[("ZEGEL_MAX_UPLOAD_BYTES", "100000")]).await;
    let response = server
        .send(
            &secure_message("a@b.nl"),
            &[("a.bin", vec![0u8; 60_000]), ("b.bin", vec![0u8; 60_000])],
        )
        .await;
    assert_eq!(response.status(), 413);
    assert_eq!(
        response.json::<Value>().await.unwrap()["error"]["code"],
        "too_large"
    );
    assert_nothing_stored(&server).await;
}
