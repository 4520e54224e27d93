//! Expiry and deletion: the job destroys the content of expired messages (no blob, no data key, no
//! sealed field remains) while the tracking record and the audit trail stay; a sender deletes early;
//! the links then show the expired page.

use serde_json::{Value, json};
use sqlx::Row;

use crate::on_both;
use crate::support::{TestServer, secure_message};
use crate::tracking::{COLLEAGUE, SENDER, block_as, send_id, session, status};

/// What is left of a message in the database: wrapped key and sealed content present, the file names'
/// lengths, and the number of recipients, files and downloads.
async fn remains(server: &TestServer, id: &str) -> (bool, bool, Vec<i64>, i64, i64, i64) {
    let pool = &server.state.db.pool;
    let message = sqlx::query(
        "SELECT CASE WHEN wrapped_key IS NULL THEN 0 ELSE 1 END AS key, CASE WHEN sealed_content IS NULL THEN 0 ELSE 1 END AS content
         FROM messages WHERE id = $1",
    )
    .bind(id)
    .fetch_one(pool)
    .await
    .unwrap();
    let names =
        sqlx::query("SELECT sealed_name FROM files WHERE message_id = $1 ORDER BY position")
            .bind(id)
            .fetch_all(pool)
            .await
            .unwrap()
            .iter()
            .map(|row| row.try_get::<Vec<u8>, _>("sealed_name").unwrap().len() as i64)
            .collect();
    let count = |sql: &'static str| async move {
        sqlx::query(sql)
            .bind(id)
            .fetch_one(pool)
            .await
            .unwrap()
            .try_get::<i64, _>("n")
            .unwrap()
    };
    (
        message.try_get::<i64, _>("key").unwrap() == 1,
        message.try_get::<i64, _>("content").unwrap() == 1,
        names,
        count("SELECT COUNT(*) AS n FROM recipients WHERE message_id = $1").await,
        count("SELECT COUNT(*) AS n FROM files WHERE message_id = $1").await,
        count("SELECT COUNT(*) AS n FROM downloads d JOIN files f ON f.id = d.file_id WHERE f.message_id = $1").await,
    )
}

async fn expiry_destroys_content_keeps_tracking(server: TestServer) {
    let mut meta = secure_message("jan@example.nl");
    meta["expires_in_days"] = json!(2);
    let id = send_id(
        &server,
        &meta,
        &[("scan.pdf", vec![3; 5000]), ("b.txt", b"b".to_vec())],
    )
    .await;
    // Another message that lives longer is left alone.
    let mut long = secure_message("piet@example.nl");
    long["expires_in_days"] = json!(7);
    let survivor = send_id(&server, &long, &[("c.txt", b"c".to_vec())]).await;
    let api = session(&server, "jan@example.nl").await;
    let link = api.replace("/api/v1/access/", "/m/");
    let message: Value = server
        .client
        .get(format!("{api}/message"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    server
        .client
        .post(format!(
            "{api}/files/{}",
            message["files"][0]["id"].as_str().unwrap()
        ))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(server.blob_files().len(), 3);

    // Nothing is due yet.
    assert_eq!(
        zegel_service::retention::expire_messages(&server.state)
            .await
            .unwrap(),
        0
    );
    server.clock.advance(jiff::SignedDuration::from_hours(49));
    assert_eq!(
        zegel_service::retention::expire_messages(&server.state)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        zegel_service::retention::expire_messages(&server.state)
            .await
            .unwrap(),
        0,
        "the job is idempotent"
    );

    // No data key, no sealed field and no blob of the message remain; the survivor is whole.
    let (key, content, names, recipients, files, downloads) = remains(&server, &id).await;
    assert!(!key && !content);
    assert_eq!(names, [0, 0]);
    assert_eq!((recipients, files, downloads), (1, 2, 1));
    assert_eq!(
        server.blob_files().len(),
        1,
        "only the survivor's blob is left"
    );
    assert!(remains(&server, &survivor).await.0);
    let codes: i64 = sqlx::query("SELECT COUNT(*) AS n FROM access_codes")
        .fetch_one(&server.state.db.pool)
        .await
        .unwrap()
        .try_get("n")
        .unwrap();
    let sessions: i64 = sqlx::query("SELECT COUNT(*) AS n FROM recipient_sessions")
        .fetch_one(&server.state.db.pool)
        .await
        .unwrap()
        .try_get("n")
        .unwrap();
    assert_eq!((codes, sessions), (0, 0));

    // The sender still sees what happened.
    let tracked = status(&server, &id).await;
    assert_eq!(tracked["status"], "expired");
    assert!(tracked["subject"].is_null() && tracked["destroyed_at"].is_string());
    assert!(tracked["files"][0]["name"].is_null());
    assert_eq!(tracked["files"][0]["size"], 5000);
    assert_eq!(
        tracked["files"][0]["downloads"][0]["recipient"],
        "jan@example.nl"
    );
    assert_eq!(tracked["recipients"][0]["status"], "opened");
    assert_eq!(tracked["can_block_message"], false);

    // The link shows the expired page.
    let landing = server.client.get(&link).send().await.unwrap();
    assert_eq!(landing.status(), 404);
    assert!(
        landing
            .text()
            .await
            .unwrap()
            .contains("De link is verlopen")
    );
    assert_eq!(
        server
            .client
            .get(format!("{api}/message"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );

    // The trail records it and stays whole; key rotation skips what is gone.
    let report = zegel_store::audit::verify(&server.state.db).await.unwrap();
    assert!(report.broken.is_none());
    let expired: i64 = sqlx::query("SELECT COUNT(*) AS n FROM audit_events WHERE event = 'message.expired' AND message_id = $1")
        .bind(&id)
        .fetch_one(&server.state.db.pool)
        .await
        .unwrap()
        .try_get("n")
        .unwrap();
    assert_eq!(expired, 1);
    zegel_server::admin::rotate_kek(&server.state)
        .await
        .unwrap();
}
on_both!(
    expiry_destroys_content_keeps_tracking,
    expiry_destroys_content_keeps_tracking
);

async fn sender_deletes_early(server: TestServer) {
    let id = send_id(
        &server,
        &secure_message("jan@example.nl"),
        &[("scan.pdf", vec![3; 5000])],
    )
    .await;
    let api = session(&server, "jan@example.nl").await;
    assert_eq!(
        server
            .client
            .get(format!("{api}/message"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let url = format!("{}/api/v1/messages/{id}", server.base);

    let colleague = server.token(COLLEAGUE).await;
    assert_eq!(
        server
            .client
            .delete(&url)
            .bearer_auth(&colleague)
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert!(
        remains(&server, &id).await.0,
        "a colleague's delete changes nothing"
    );

    let token = server.token(SENDER).await;
    let deleted = server
        .client
        .delete(&url)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 200);
    let body: Value = deleted.json().await.unwrap();
    assert_eq!(body["status"], "deleted");
    assert_eq!(body["recipients"][0]["status"], "opened");
    assert!(server.blob_files().is_empty());
    let (key, content, names, recipients, files, _) = remains(&server, &id).await;
    assert!(!key && !content);
    assert_eq!((names, recipients, files), (vec![0], 1, 1));

    // The recipient's session and link are dead.
    assert_eq!(
        server
            .client
            .get(format!("{api}/message"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let landing = server
        .client
        .get(api.replace("/api/v1/access/", "/m/"))
        .send()
        .await
        .unwrap();
    assert_eq!(landing.status(), 404);
    assert!(
        landing
            .text()
            .await
            .unwrap()
            .contains("De link is verlopen")
    );

    // Deleting again changes nothing; there is nothing left to block; expiry later skips it.
    assert_eq!(
        server
            .client
            .delete(&url)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let (code, body) = block_as(&server, SENDER, &id, "block", json!({"target": "files"})).await;
    assert_eq!(code, 409, "{body}");
    server
        .clock
        .advance(jiff::SignedDuration::from_hours(24 * 30));
    assert_eq!(
        zegel_service::retention::expire_messages(&server.state)
            .await
            .unwrap(),
        0
    );
    let events: Vec<String> =
        sqlx::query("SELECT event FROM audit_events WHERE message_id = $1 AND event LIKE 'message.%' ORDER BY seq")
            .bind(&id)
            .fetch_all(&server.state.db.pool)
            .await
            .unwrap()
            .iter()
            .map(|row| row.try_get("event").unwrap())
            .collect();
    assert_eq!(
        events,
        ["message.created", "message.opened", "message.deleted"]
    );
}
on_both!(sender_deletes_early, sender_deletes_early);
