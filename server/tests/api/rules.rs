//! The rules around codes, sessions, expiry, limits and integrity.

use jiff::SignedDuration;
use serde_json::{Value, json};

use crate::on_both;
use crate::support::{TestServer, secure_message};

async fn codes(server: TestServer) {
    // One-time passwords: gateway mail, whose sender sees no password.
    server.send_one_time("jan@example.nl").await;
    let api = server.api_of(&server.link_for("jan@example.nl").await);

    assert_eq!(server.challenge(&api).await, 202);
    let first = server.password_for("jan@example.nl").await;
    // "Send a new one" voids the previous password.
    assert_eq!(server.challenge(&api).await, 202);
    let second = server.password_for("jan@example.nl").await;
    assert_ne!(first, second);
    assert_eq!(server.verify(&api, &first).await, 401);

    // Passwords expire after 30 minutes.
    server.clock.advance(SignedDuration::from_mins(31));
    assert_eq!(server.verify(&api, &second).await, 401);

    // At most five sends an hour.
    for _ in 0..3 {
        assert_eq!(server.challenge(&api).await, 202);
    }
    server.deliver().await;
    assert_eq!(server.challenge(&api).await, 429);
    let body: Value = server
        .client
        .post(format!("{api}/challenge"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("per hour")
    );
    server.clock.advance(SignedDuration::from_mins(61));
    assert_eq!(server.challenge(&api).await, 202);
    let fresh = server.password_for("jan@example.nl").await;
    assert_eq!(server.verify(&api, &fresh).await, 200);
}
on_both!(codes_expire_are_single_use_and_throttled, codes);

async fn generated(server: TestServer) {
    // Whichever delivery, the sender sees the password the server generated; e-mailed on request, it is
    // the same password every time.
    let created: Value = server
        .send(&secure_message("jan@example.nl"), &[])
        .await
        .json()
        .await
        .unwrap();
    let shown = created["password"].as_str().unwrap().to_owned();
    let api = server.api_of(&server.link_for("jan@example.nl").await);
    for _ in 0..2 {
        assert_eq!(server.challenge(&api).await, 202);
        assert_eq!(server.password_for("jan@example.nl").await, shown);
    }
    let hash: String = sqlx::query_scalar("SELECT password_hash FROM messages")
        .fetch_one(&server.state.db.pool)
        .await
        .unwrap();
    assert!(hash.starts_with("$argon2id$") && !hash.contains(&shown));
    assert_eq!(server.verify(&api, &shown).await, 200);

    let mut other = secure_message("piet@example.nl");
    other["auth"]["deliver"] = json!("other");
    let created: Value = server.send(&other, &[]).await.json().await.unwrap();
    assert!(created["password"].is_string());
    let mut custom = secure_message("piet@example.nl");
    custom["auth"]["password"] = json!({"custom": "kaas-fiets-Tulp-regen-97"});
    let created: Value = server.send(&custom, &[]).await.json().await.unwrap();
    assert!(
        created.get("password").is_none(),
        "the sender's own is not echoed"
    );
}
on_both!(generated_passwords_are_shown_to_the_sender, generated);

async fn tries(server: TestServer) {
    server.send_one_time("jan@example.nl").await;
    let api = server.api_of(&server.link_for("jan@example.nl").await);
    server
        .client
        .post(format!("{api}/challenge"))
        .send()
        .await
        .unwrap();
    let password = server.password_for("jan@example.nl").await;
    // Five wrong tries void the code, even the right one after them.
    for _ in 0..5 {
        assert_eq!(server.verify(&api, "wrong").await, 401);
    }
    server.clock.advance(SignedDuration::from_mins(10));
    assert_eq!(server.verify(&api, &password).await, 401);

    // After five failures in a row, tries must wait.
    assert_eq!(server.verify(&api, "wrong").await, 429);

    // A hundred failures in a row lock the recipient out, whatever they try next.
    loop {
        server.clock.advance(SignedDuration::from_mins(6));
        match server.verify(&api, "wrong").await {
            401 => continue,
            403 => break,
            other => panic!("unexpected status {other}"),
        }
    }
    let row: (i64, i64) = {
        use sqlx::Row;
        let row = sqlx::query("SELECT failed_attempts, locked FROM recipients")
            .fetch_one(&server.state.db.pool)
            .await
            .unwrap();
        (
            row.try_get("failed_attempts").unwrap(),
            row.try_get("locked").unwrap(),
        )
    };
    assert_eq!(row, (100, 1));
    assert_eq!(
        server
            .client
            .post(format!("{api}/challenge"))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(
        server
            .count("audit_events WHERE event = 'access.locked'")
            .await,
        1
    );
}
on_both!(wrong_tries_void_codes_and_lock, tries);

async fn expiry(server: TestServer) {
    let mut meta = secure_message("jan@example.nl");
    meta["expires_in_days"] = json!(2);
    server.send(&meta, &[("a.txt", b"x".to_vec())]).await;
    let link = server.link_for("jan@example.nl").await;
    assert_eq!(server.client.get(&link).send().await.unwrap().status(), 200);
    server.clock.advance(SignedDuration::from_hours(49));
    let expired = server.client.get(&link).send().await.unwrap();
    assert_eq!(expired.status(), 404);
    let unknown = server
        .client
        .get(format!("{}/m/{}", server.base, "A".repeat(43)))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    // Expired and unknown links look the same.
    assert_eq!(expired.text().await.unwrap(), unknown.text().await.unwrap());
    assert_eq!(
        server
            .client
            .post(format!("{}/challenge", server.api_of(&link)))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}
on_both!(expired_links_look_unknown, expiry);

async fn limits(server: TestServer) {
    let meta = json!({"kind": "public_files", "recipients": [{"email": "a@example.nl"}], "max_downloads": 1});
    server.send(&meta, &[("a.txt", b"x".to_vec())]).await;
    let link = server.link_for("a@example.nl").await;
    let message = server.message(&link).await;
    let id = message["files"][0]["id"].as_str().unwrap();
    assert_eq!(
        server
            .client
            .post(format!("{link}/files/{id}"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let used_up = server
        .client
        .post(format!("{link}/files/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(used_up.status(), 410);
    assert!(used_up.text().await.unwrap().contains("Downloadlimiet"));
    assert_eq!(
        server
            .client
            .post(format!("{}/files/{id}", server.api_of(&link)))
            .send()
            .await
            .unwrap()
            .status(),
        409
    );
}
on_both!(download_limits_hold, limits);

async fn sessions(server: TestServer) {
    let mut meta = secure_message("jan@example.nl");
    meta["recipients"] = json!([{"email": "jan@example.nl"}, {"email": "eve@example.nl"}]);
    server.send(&meta, &[("a.txt", b"x".to_vec())]).await;
    let jan = server.api_of(&server.link_for("jan@example.nl").await);
    let eve = server.api_of(&server.link_for("eve@example.nl").await);
    server
        .client
        .post(format!("{eve}/challenge"))
        .send()
        .await
        .unwrap();
    let password = server.password_for("eve@example.nl").await;
    assert_eq!(
        server
            .client
            .post(format!("{eve}/verify"))
            .json(&json!({"code": password}))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        server
            .client
            .get(format!("{eve}/message"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    // Eve's session opens Eve's access, not Jan's.
    assert_eq!(
        server
            .client
            .get(format!("{jan}/message"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    // Sessions end.
    server.clock.advance(SignedDuration::from_mins(61));
    assert_eq!(
        server
            .client
            .get(format!("{eve}/message"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
}
on_both!(sessions_belong_to_one_recipient, sessions);

async fn tampering(server: TestServer) {
    let content: Vec<u8> = (0..200_000u32).map(|i| i as u8).collect();
    let meta = json!({"kind": "public_files", "recipients": [{"email": "a@example.nl"}]});
    server.send(&meta, &[("a.bin", content)]).await;
    let link = server.link_for("a@example.nl").await;
    // Flip one byte in the middle of the blob.
    let blob = server.blob_files().into_iter().next().unwrap();
    let mut bytes = std::fs::read(&blob).unwrap();
    bytes[150_000] ^= 1;
    std::fs::write(&blob, bytes).unwrap();
    let message = server.message(&link).await;
    let id = message["files"][0]["id"].as_str().unwrap();
    // The headers usually go out before the damage is found, and the body then breaks off; when the
    // damage is found first, the connection closes without an answer. Never a clean end.
    let aborted = |sent: Result<reqwest::Response, reqwest::Error>| async move {
        match sent {
            Ok(response) => {
                assert_eq!(response.status(), 200);
                response.bytes().await.is_err()
            }
            Err(error) => error.is_request() || error.is_body(),
        }
    };
    let download = server
        .client
        .post(format!("{link}/files/{id}"))
        .send()
        .await;
    assert!(
        aborted(download).await,
        "a tampered file must abort the download, not end it cleanly"
    );
    let zip = server.client.post(format!("{link}/files.zip")).send().await;
    assert!(aborted(zip).await, "a tampered file must abort the ZIP");
}
on_both!(tampered_blobs_abort_downloads, tampering);
