//! Blocking after sending: each target takes effect on the recipient's next request and cuts off a
//! download in progress; the whole message only while nobody opened it; only files for the file kinds;
//! unblocking restores access; other senders get 404.

use serde_json::{Value, json};

use crate::on_both;
use crate::support::{TestServer, secure_message};
use crate::tracking::{COLLEAGUE, block, block_as, send_id, session, status};

/// Large enough that a download is still running when the block arrives, whatever the socket buffers
/// hold (the stream re-checks every 2 MiB).
const BIG: usize = 24 * 1024 * 1024;

fn big_file() -> Vec<u8> {
    (0..BIG).map(|i| (i % 251) as u8).collect()
}

/// Starts a download, reads its first chunk, runs `block`, then reads on: the body must fail before
/// it is complete. Returns how many bytes arrived.
async fn cut_off<F: std::future::Future<Output = ()>>(
    server: &TestServer,
    url: &str,
    block: F,
) -> usize {
    let mut response = server.client.post(url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let mut received = response
        .chunk()
        .await
        .unwrap()
        .expect("a first chunk")
        .len();
    block.await;
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => received += chunk.len(),
            Ok(None) => panic!("the download completed ({received} bytes) although it was blocked"),
            Err(_) => break,
        }
    }
    assert!(received < BIG, "received {received} of {BIG} bytes");
    received
}

async fn message_files(server: &TestServer, api: &str) -> (u16, Vec<Value>) {
    let response = server
        .client
        .get(format!("{api}/message"))
        .send()
        .await
        .unwrap();
    let code = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    (code, body["files"].as_array().cloned().unwrap_or_default())
}

async fn each_target_mid_session(server: TestServer) {
    let mut meta = secure_message("jan@example.nl");
    meta["recipients"] = json!([{"email": "jan@example.nl"}, {"email": "piet@example.nl"}]);
    let id = send_id(
        &server,
        &meta,
        &[("groot.bin", big_file()), ("klein.txt", b"klein".to_vec())],
    )
    .await;
    let jan = session(&server, "jan@example.nl").await;
    let piet = session(&server, "piet@example.nl").await;
    let (code, files) = message_files(&server, &jan).await;
    assert_eq!(code, 200);
    let big_id = files[0]["id"].as_str().unwrap().to_owned();
    let small_id = files[1]["id"].as_str().unwrap().to_owned();

    // One file: hidden from the message, its download refused, a running download cut off.
    let url = format!("{jan}/files/{big_id}");
    cut_off(&server, &url, async {
        let after = block(
            &server,
            &id,
            "block",
            json!({"target": "file", "file_id": big_id}),
        )
        .await;
        assert_eq!(after["files"][0]["blocked"], true);
        assert_eq!(after["files"][1]["blocked"], false);
    })
    .await;
    let (_, files) = message_files(&server, &jan).await;
    assert_eq!(files.len(), 1);
    assert_eq!(files[0]["id"], small_id.as_str());
    assert_eq!(server.client.post(&url).send().await.unwrap().status(), 404);
    let zip = server
        .client
        .post(format!("{jan}/files.zip"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip.to_vec())).unwrap();
    let mut names: Vec<&str> = archive.file_names().collect();
    names.sort();
    assert_eq!(names, ["Not in this zip.txt", "klein.txt"]);
    // The withdrawn file is not in the ZIP, only named, with why.
    let mut note = String::new();
    std::io::Read::read_to_string(
        &mut archive.by_name("Not in this zip.txt").unwrap(),
        &mut note,
    )
    .unwrap();
    assert!(
        note.contains("groot.bin") && note.contains("withdrawn by the sender"),
        "{note}"
    );
    block(
        &server,
        &id,
        "unblock",
        json!({"target": "file", "file_id": big_id}),
    )
    .await;
    assert_eq!(message_files(&server, &jan).await.1.len(), 2);

    // All files: a running ZIP is cut off; nothing is left to download.
    cut_off(&server, &format!("{jan}/files.zip"), async {
        let after = block(&server, &id, "block", json!({"target": "files"})).await;
        assert!(
            after["files"]
                .as_array()
                .unwrap()
                .iter()
                .all(|f| f["blocked"] == true)
        );
    })
    .await;
    assert!(message_files(&server, &piet).await.1.is_empty());
    assert_eq!(
        server
            .client
            .post(format!("{piet}/files.zip"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    block(&server, &id, "unblock", json!({"target": "files"})).await;
    assert_eq!(message_files(&server, &piet).await.1.len(), 2);

    // One recipient: their session, downloads and the portal page are refused; the other reads on.
    cut_off(&server, &url, async {
        let after = block(
            &server,
            &id,
            "block",
            json!({"target": "recipient", "email": "Jan@Example.nl"}),
        )
        .await;
        let jan_status = after["recipients"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["email"] == "jan@example.nl")
            .unwrap()
            .clone();
        assert_eq!(jan_status["blocked"], true);
    })
    .await;
    assert_eq!(message_files(&server, &jan).await.0, 404);
    assert_eq!(server.client.post(&url).send().await.unwrap().status(), 404);
    let landing = server
        .client
        .get(jan.replace("/api/v1/access/", "/m/"))
        .send()
        .await
        .unwrap();
    assert_eq!(landing.status(), 404);
    assert!(landing.text().await.unwrap().contains("niet beschikbaar"));
    assert_eq!(message_files(&server, &piet).await.0, 200);
    block(
        &server,
        &id,
        "unblock",
        json!({"target": "recipient", "email": "jan@example.nl"}),
    )
    .await;
    assert_eq!(
        message_files(&server, &jan).await.0,
        200,
        "the session is still valid after unblocking"
    );

    // All recipients.
    cut_off(&server, &format!("{piet}/files/{big_id}"), async {
        block(&server, &id, "block", json!({"target": "recipients"})).await;
    })
    .await;
    assert_eq!(message_files(&server, &jan).await.0, 404);
    assert_eq!(message_files(&server, &piet).await.0, 404);
    let after = block(&server, &id, "unblock", json!({"target": "recipients"})).await;
    assert!(
        after["recipients"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["blocked"] == false)
    );
    assert_eq!(message_files(&server, &piet).await.0, 200);

    // Both opened the message: it cannot be blocked as a whole any more.
    let (code, body) = block_as(
        &server,
        crate::tracking::SENDER,
        &id,
        "block",
        json!({"target": "message"}),
    )
    .await;
    assert_eq!(code, 409);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("already opened"),
        "{body}"
    );
    assert_eq!(status(&server, &id).await["blocked"], false);

    // Targets that do not exist.
    let (code, body) = block_as(
        &server,
        crate::tracking::SENDER,
        &id,
        "block",
        json!({"target": "file", "file_id": "nope"}),
    )
    .await;
    assert_eq!(
        (code, body["error"]["field"].as_str()),
        (422, Some("file_id"))
    );
    let (code, body) = block_as(
        &server,
        crate::tracking::SENDER,
        &id,
        "block",
        json!({"target": "recipient", "email": "x@y.nl"}),
    )
    .await;
    assert_eq!(
        (code, body["error"]["field"].as_str()),
        (422, Some("email"))
    );
    assert_eq!(
        block_as(
            &server,
            crate::tracking::SENDER,
            &id,
            "block",
            json!({"target": "everything"})
        )
        .await
        .0,
        422
    );

    // Another sender of the tenant can neither block nor unblock.
    assert_eq!(
        block_as(&server, COLLEAGUE, &id, "block", json!({"target": "files"}))
            .await
            .0,
        404
    );
    assert_eq!(
        block_as(
            &server,
            COLLEAGUE,
            &id,
            "unblock",
            json!({"target": "files"})
        )
        .await
        .0,
        404
    );
}
on_both!(each_target_mid_session, each_target_mid_session);

async fn whole_message_before_anyone_opens(server: TestServer) {
    let id = send_id(
        &server,
        &secure_message("jan@example.nl"),
        &[("a.txt", b"a".to_vec())],
    )
    .await;
    let link = server.link_for("jan@example.nl").await;
    let api = server.api_of(&link);
    // Fetching the landing page is not opening.
    assert_eq!(server.client.get(&link).send().await.unwrap().status(), 200);
    assert_eq!(server.challenge(&api).await, 202);
    let password = server.password_for("jan@example.nl").await;

    let after = block(&server, &id, "block", json!({"target": "message"})).await;
    assert_eq!(after["blocked"], true);
    let landing = server.client.get(&link).send().await.unwrap();
    assert_eq!(landing.status(), 404);
    assert!(
        landing
            .text()
            .await
            .unwrap()
            .contains("door de afzender ingetrokken")
    );
    assert_eq!(server.verify(&api, &password).await, 404);

    let after = block(&server, &id, "unblock", json!({"target": "message"})).await;
    assert_eq!(after["blocked"], false);
    assert_eq!(server.verify(&api, &password).await, 200);
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
    assert_eq!(
        status(&server, &id).await["recipients"][0]["status"],
        "opened"
    );
}
on_both!(
    whole_message_before_anyone_opens,
    whole_message_before_anyone_opens
);

async fn file_kinds_block_only_files(server: TestServer) {
    for kind in ["public_files", "secure_files"] {
        let mut meta = json!({"kind": kind, "subject": "Foto's", "body_text": "Zie bijlage.", "recipients": [{"email": "a@example.nl"}]});
        if kind == "secure_files" {
            meta["auth"] = json!({"level": "1fa", "password": "generated", "deliver": "email"});
        }
        let id = send_id(&server, &meta, &[("x.jpg", vec![1, 2, 3])]).await;
        for target in [
            json!({"target": "message"}),
            json!({"target": "recipients"}),
            json!({"target": "recipient", "email": "a@example.nl"}),
        ] {
            let (code, body) =
                block_as(&server, crate::tracking::SENDER, &id, "block", target).await;
            assert_eq!(code, 422, "{kind}: {body}");
            assert!(
                body["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("only files"),
                "{body}"
            );
        }
        block(&server, &id, "block", json!({"target": "files"})).await;
        if kind == "public_files" {
            let link = server.link_for("a@example.nl").await;
            let message = server.message(&link).await;
            assert!(message["files"].as_array().unwrap().is_empty());
            assert_eq!(
                server
                    .client
                    .post(format!("{link}/files.zip"))
                    .send()
                    .await
                    .unwrap()
                    .status(),
                404
            );
        }
    }
}
on_both!(file_kinds_block_only_files, file_kinds_block_only_files);
