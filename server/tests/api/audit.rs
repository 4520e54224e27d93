//! The audit trail: events of the whole life of a message, chained so that `zegel admin audit verify`
//! (the real binary, against this test's database) finds an edited or removed entry and names it; the
//! admin export as JSON and CSV, limited to the admin's tenant and free of secrets and names.

use std::process::Output;

use serde_json::{Value, json};

use crate::on_both;
use crate::support::{TestServer, secure_message};
use crate::tracking::{SENDER, block, send_id, session};

/// Runs `zegel admin audit verify` against the test server's data directory and database.
fn verify_cli(server: &TestServer) -> Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_zegel"));
    command
        .args(["admin", "audit", "verify"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("ZEGEL_DATA_DIR", server.dir.path())
        .env("ZEGEL_DEV", "1")
        .env("ZEGEL_MAIL", "dev")
        .env("ZEGEL_LOG", "warn");
    if let Some(url) = &server.state.config.database_url {
        use secrecy::ExposeSecret;
        command.env("ZEGEL_DATABASE_URL", url.expose_secret());
    }
    command.output().expect("zegel runs")
}

async fn sql(server: &TestServer, statement: &str) {
    sqlx::query(statement)
        .execute(&server.state.db.pool)
        .await
        .unwrap();
}

async fn events(server: &TestServer) -> Vec<String> {
    use sqlx::Row;
    sqlx::query("SELECT event FROM audit_events ORDER BY seq")
        .fetch_all(&server.state.db.pool)
        .await
        .unwrap()
        .iter()
        .map(|row| row.try_get("event").unwrap())
        .collect()
}

async fn chain_detects_tampering(server: TestServer) {
    let id = send_id(
        &server,
        &secure_message("jan@example.nl"),
        &[("geheim-dossier.pdf", vec![1; 100])],
    )
    .await;
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
    let file_id = message["files"][0]["id"].as_str().unwrap().to_owned();
    server
        .client
        .post(format!("{api}/files/{file_id}"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    block(
        &server,
        &id,
        "block",
        json!({"target": "file", "file_id": file_id}),
    )
    .await;
    block(
        &server,
        &id,
        "unblock",
        json!({"target": "file", "file_id": file_id}),
    )
    .await;
    assert_eq!(server.verify(&api, "wrong").await, 401);

    let trail = events(&server).await;
    for expected in [
        "message.created",
        "notification.sent",
        "access.challenge_sent",
        "access.verified",
        "message.opened",
        "file.downloaded",
        "file.blocked",
        "file.unblocked",
        "access.verification_failed",
    ] {
        assert!(
            trail.iter().any(|e| e == expected),
            "{expected} missing from {trail:?}"
        );
    }

    let report = zegel_store::audit::verify(&server.state.db).await.unwrap();
    assert!(report.broken.is_none(), "{:?}", report.broken);
    assert_eq!(report.entries as usize, trail.len());
    let whole = verify_cli(&server);
    assert!(
        whole.status.success(),
        "{}",
        String::from_utf8_lossy(&whole.stderr)
    );
    assert!(String::from_utf8_lossy(&whole.stdout).contains(&format!("{} entries", trail.len())));

    // Someone with database access rewrites who downloaded the file.
    sql(
        &server,
        "UPDATE audit_events SET actor = 'recipient:someone@else.nl' WHERE seq = 6",
    )
    .await;
    let broken = verify_cli(&server);
    assert!(!broken.status.success());
    let stderr = String::from_utf8_lossy(&broken.stderr);
    assert!(
        stderr.contains("entry 6 ") && stderr.contains("altered"),
        "{stderr}"
    );
    assert!(stderr.contains("after 5 good entries"), "{stderr}");

    // Recomputing that entry's own hash does not help: the next entry no longer follows it.
    let entry = zegel_store::audit::entries(
        &server.state.db,
        &zegel_store::audit::AuditQuery {
            tenant_id: &tenant(&server).await,
            limit: 100,
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .into_iter()
    .find(|e| e.seq == Some(6))
    .unwrap();
    let forged = entry.computed_hash(6, entry.prev_hash.as_deref().unwrap());
    sql(
        &server,
        &format!("UPDATE audit_events SET hash = '{forged}' WHERE seq = 6"),
    )
    .await;
    let stderr = String::from_utf8_lossy(&verify_cli(&server).stderr).into_owned();
    assert!(
        stderr.contains("entry 7 ") && stderr.contains("does not follow entry 6"),
        "{stderr}"
    );

    // Removing an entry is found too.
    sql(&server, "DELETE FROM audit_events WHERE seq = 6").await;
    let stderr = String::from_utf8_lossy(&verify_cli(&server).stderr).into_owned();
    assert!(stderr.contains("entry 6 is missing"), "{stderr}");
}
on_both!(chain_detects_tampering, chain_detects_tampering);

async fn cut_off_tail_is_found(server: TestServer) {
    send_id(&server, &secure_message("jan@example.nl"), &[]).await;
    server.deliver().await;
    sql(
        &server,
        "DELETE FROM audit_events WHERE seq = (SELECT MAX(seq) FROM audit_events)",
    )
    .await;
    let report = zegel_store::audit::verify(&server.state.db).await.unwrap();
    let broken = report.broken.expect("a removed last entry is found");
    assert!(broken.reason.contains("were removed"), "{}", broken.reason);
    assert!(!verify_cli(&server).status.success());
}
on_both!(cut_off_tail_is_found, cut_off_tail_is_found);

async fn tenant(server: &TestServer) -> String {
    zegel_store::tenants::tenant_for_domain(&server.state.db, "zorg.example")
        .await
        .unwrap()
        .unwrap()
        .id
}

async fn admin_export(server: TestServer) {
    let mut meta = secure_message("jan@example.nl");
    meta["auth"] = json!({"level": "1fa", "password": {"custom": "paars-olifant-Zwemt-traag-81"}, "deliver": "email"});
    let id = send_id(&server, &meta, &[("geheim-dossier.pdf", vec![1; 100])]).await;
    let other = send_id(&server, &secure_message("kees@example.nl"), &[]).await;
    let api = session(&server, "jan@example.nl").await;
    server
        .client
        .get(format!("{api}/message"))
        .send()
        .await
        .unwrap();
    // Another tenant's trail never shows up.
    let stranger = server.token("arts@elders.example").await;
    assert_eq!(
        server
            .send_as(
                &stranger,
                Some(secure_message("jan@example.nl").to_string()),
                &[]
            )
            .await
            .status(),
        201
    );

    let sender_token = server.token(SENDER).await;
    let url = format!("{}/api/v1/admin/audit", server.base);
    let forbidden = server
        .client
        .get(&url)
        .bearer_auth(&sender_token)
        .send()
        .await
        .unwrap();
    assert_eq!(forbidden.status(), 403);

    server.token("beheer@zorg.example").await;
    zegel_server::admin::grant(&server.state, "beheer@zorg.example", "admin")
        .await
        .unwrap();
    let admin = server.token("beheer@zorg.example").await;
    let get = |query: String| {
        server
            .client
            .get(format!("{url}?{query}"))
            .bearer_auth(&admin)
            .send()
    };

    let trail: Value = get(format!("message_id={id}"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let events = trail["events"].as_array().unwrap();
    assert!(events.iter().all(|e| e["message_id"] == id.as_str()));
    let names: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(names[0], "message.created");
    assert!(
        names.contains(&"message.opened") && names.contains(&"notification.sent"),
        "{names:?}"
    );
    assert_eq!(events[0]["actor"], format!("sender:{SENDER}"));
    assert!(events[0]["hash"].as_str().unwrap().len() == 64);
    assert_eq!(trail["truncated"], false);

    let everything: Value = get(String::new()).await.unwrap().json().await.unwrap();
    let all = everything["events"].as_array().unwrap();
    assert!(all.iter().any(|e| e["message_id"] == other.as_str()));
    assert!(
        all.iter()
            .all(|e| e["actor"] != "sender:arts@elders.example"),
        "another tenant's events leak"
    );
    let text = everything.to_string();
    for secret in ["geheim-dossier", "Dossier 42", "Beste Jan", "paars-olifant"] {
        assert!(!text.contains(secret), "{secret} is in the audit trail");
    }

    // A time range: nothing before the clock started, everything up to now.
    use zegel_store::Clock;
    let later = (server.clock.now() + jiff::SignedDuration::from_hours(1)).to_string();
    let none: Value = get("to=2000-01-01".into())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(none["events"].as_array().unwrap().is_empty());
    let range: Value = get(format!("from=2000-01-01&to={later}"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(range["events"].as_array().unwrap().len(), all.len());
    assert_eq!(get("from=yesterday".into()).await.unwrap().status(), 422);
    assert_eq!(get("format=xml".into()).await.unwrap().status(), 422);

    let csv = get(format!("message_id={id}&format=csv")).await.unwrap();
    assert_eq!(csv.status(), 200);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = csv.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "seq,at,message_id,actor,event,detail,ip,user_agent,prev_hash,hash"
    );
    assert_eq!(lines.len(), events.len() + 1);
    assert!(lines[1].contains("message.created"));
}
on_both!(admin_export, admin_export);
