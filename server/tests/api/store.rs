//! Storage-level behaviour: key rotation, the outbox across a relay outage, and what is at rest.

use std::sync::Arc;

use jiff::SignedDuration;
use serde_json::json;
use zegel_mail::Mailer;

use crate::on_both;
use crate::support::{TestServer, secure_message};

async fn rotation(server: TestServer) {
    let meta = json!({"kind": "public_files", "subject": "Rotatie", "recipients": [{"email": "a@example.nl"}]});
    server
        .send(&meta, &[("a.txt", b"before rotation".to_vec())])
        .await;
    let link = server.link_for("a@example.nl").await;
    // A second message whose notification is still in the outbox during the rotation.
    server.send(&secure_message("b@example.nl"), &[]).await;

    let report = zegel_server::admin::rotate_kek(&server.state)
        .await
        .unwrap();
    assert_eq!(report.new_kek_id, 2);
    assert_eq!(report.data_keys, 2);
    assert_eq!(report.blobs, 1);
    assert!(report.fields >= 4, "{report:?}");

    // Every header now names KEK 2 ...
    let blob = std::fs::read(&server.blob_files()[0]).unwrap();
    assert_eq!(&blob[6..10], &2u32.to_be_bytes());
    // ... and everything opens with a keyring that no longer has KEK 1.
    let path = server.dir.path().join("keyring.json");
    let mut keyring =
        zegel_crypto::Keyring::from_json(&std::fs::read_to_string(&path).unwrap()).unwrap();
    keyring.remove(1).unwrap();
    std::fs::write(&path, keyring.to_json()).unwrap();
    server.state.keys.reload().unwrap();

    let message = server.message(&link).await;
    let id = message["files"][0]["id"].as_str().unwrap();
    let bytes = server
        .client
        .post(format!("{link}/files/{id}"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(bytes.as_ref(), b"before rotation");
    // The queued notification still goes out.
    server.link_for("b@example.nl").await;
}
on_both!(kek_rotation_rewraps_everything, rotation);

async fn outage(server: TestServer) {
    // The relay is down: a port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let mut down = server.state.clone();
    down.mailer = Arc::new(Mailer::relay("127.0.0.1", port, None).unwrap());

    server.send(&secure_message("jan@example.nl"), &[]).await;
    assert_eq!(zegel_outbox::run_once(&down.outbox()).await.unwrap(), 1);
    assert_eq!(
        server.count("outbox WHERE attempts = 1 AND dead = 0").await,
        1,
        "the job stays, to be retried"
    );
    // Not due again until the backoff has passed.
    assert_eq!(zegel_outbox::run_once(&down.outbox()).await.unwrap(), 0);
    server.clock.advance(SignedDuration::from_secs(6));
    assert_eq!(zegel_outbox::run_once(&down.outbox()).await.unwrap(), 1);
    assert_eq!(server.count("outbox WHERE attempts = 2").await, 1);

    // The relay is back: the notification goes out and the job is gone.
    server.clock.advance(SignedDuration::from_secs(11));
    server.link_for("jan@example.nl").await;
    assert_eq!(server.count("outbox").await, 0);
    use sqlx::Row;
    let notified: Option<i64> = sqlx::query("SELECT notified_at FROM recipients")
        .fetch_one(&server.state.db.pool)
        .await
        .unwrap()
        .try_get("notified_at")
        .unwrap();
    assert!(notified.is_some());
}
on_both!(outbox_survives_a_relay_outage, outage);

/// A real SMTP receiver behind a relay that answers only after three seconds (a slow smart host), and
/// the server's services sending through it.
async fn slow_relay(
    server: &TestServer,
) -> (
    zegel_tests::SmtpReceiver,
    zegel_service::Services,
    Arc<std::sync::atomic::AtomicUsize>,
) {
    use tokio::net::{TcpListener, TcpStream};
    let receiver = zegel_tests::SmtpReceiver::start();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let target = receiver.address;
    let connections = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let accepted = connections.clone();
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            accepted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            tokio::spawn(async move {
                tokio::time::sleep(std::time::Duration::from_secs(3)).await;
                if let Ok(mut outbound) = TcpStream::connect(target).await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    });
    let mut slow = (*server.state).clone();
    slow.mailer = Arc::new(Mailer::relay("127.0.0.1", port, None).unwrap());
    (receiver, slow, connections)
}

/// A send that outlasts its lease keeps the job: the worker renews the lease while it waits on the
/// relay, so another instance whose clock passed the first lease end does not claim it, and the
/// recipient gets the mail once.
async fn renewed_lease(server: TestServer) {
    let (receiver, slow, _) = slow_relay(&server).await;
    let mut outbox = slow.outbox();
    outbox.lease_ms = 600;

    server.send(&secure_message("jan@example.nl"), &[]).await;
    let worker = tokio::spawn(async move { zegel_outbox::run_once(&outbox).await.unwrap() });
    // Once the worker holds the job, the shared clock passes the first lease's end, and another
    // instance looks for due jobs.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while server.count("outbox WHERE lease_until IS NOT NULL").await == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the worker claims the job"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    server.clock.advance(SignedDuration::from_secs(1));
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    let now = server.state.now_ms();
    let stolen = zegel_store::outbox::claim_due(&server.state.db, now, 600, 100)
        .await
        .unwrap();
    assert!(stolen.is_empty(), "the renewed lease holds: {stolen:?}");
    assert_eq!(worker.await.unwrap(), 1);
    assert_eq!(server.count("outbox").await, 0, "finished by its claim");
    assert_eq!(receiver.count_to("jan@example.nl"), 1);
}
on_both!(a_long_send_renews_its_lease, renewed_lease);

/// An instance that shuts down finishes the sends under way and hands back the jobs it claimed but did
/// not start: another instance takes them at once, not after the lease, and every mail leaves once.
async fn handed_back(server: TestServer) {
    let (receiver, slow, connections) = slow_relay(&server).await;
    let outbox = slow.outbox();
    let stopping = outbox.stopping.clone();
    for i in 0..12 {
        server
            .send(&secure_message(&format!("r{i}@example.nl")), &[])
            .await;
    }
    let worker = tokio::spawn(async move { zegel_outbox::run_once(&outbox).await.unwrap() });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    // The batch is claimed, and eight sends (as many as run at once) are under way: connected to the
    // relay, which answers only after three seconds.
    while server.count("outbox WHERE lease_until IS NOT NULL").await < 12
        || connections.load(std::sync::atomic::Ordering::SeqCst) < 8
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the worker claims the batch and starts eight sends"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    stopping.store(true, std::sync::atomic::Ordering::SeqCst);
    worker.await.unwrap();
    let sent = (0..12)
        .filter(|i| receiver.count_to(&format!("r{i}@example.nl")) == 1)
        .count();
    assert_eq!(sent, 8, "the sends under way finished (eight at a time)");
    assert_eq!(
        server
            .count("outbox WHERE lease_until IS NULL AND attempts = 0")
            .await,
        4,
        "the rest went back untried"
    );
    // Another instance, at the same moment: no lease to wait for.
    let mut other = slow.clone();
    other.mailer = Arc::new(Mailer::relay("127.0.0.1", receiver.address.port(), None).unwrap());
    assert_eq!(zegel_outbox::run_once(&other.outbox()).await.unwrap(), 4);
    assert_eq!(server.count("outbox").await, 0);
    for i in 0..12 {
        assert_eq!(receiver.count_to(&format!("r{i}@example.nl")), 1, "r{i}");
    }
}
on_both!(
    a_stopping_instance_hands_back_what_it_did_not_start,
    handed_back
);

async fn at_rest(server: TestServer) {
    let mut meta = secure_message("jan@example.nl");
    meta["subject"] = json!("Onderwerp-ZX81");
    meta["body_text"] = json!("Lichaam-QW77 met geheimen");
    meta["auth"] = json!({"level": "1fa", "password": {"custom": "Custom-Geheim-Wachtwoord-991"}, "deliver": "email"});
    server
        .send(
            &meta,
            &[(
                "Bestandsnaam-KL44.txt",
                b"Inhoud-PO12 van het bestand".to_vec(),
            )],
        )
        .await;
    use sqlx::Row;
    let mut dump = Vec::new();
    for (table, columns) in [
        (
            "messages",
            "kind, language, status, sealed_content, sealed_password, password_hash",
        ),
        ("files", "sealed_name, blob_id"),
        ("outbox", "sealed_payload, purpose"),
    ] {
        for row in sqlx::query(&format!("SELECT {columns} FROM {table}"))
            .fetch_all(&server.state.db.pool)
            .await
            .unwrap()
        {
            for i in 0..row.len() {
                if let Ok(Some(bytes)) = row.try_get::<Option<Vec<u8>>, _>(i) {
                    dump.extend(bytes);
                } else if let Ok(Some(text)) = row.try_get::<Option<String>, _>(i) {
                    dump.extend(text.into_bytes());
                }
            }
        }
    }
    for path in server.blob_files() {
        dump.extend(std::fs::read(path).unwrap());
    }
    for secret in [
        "Onderwerp-ZX81",
        "Lichaam-QW77",
        "Bestandsnaam-KL44",
        "Inhoud-PO12",
        "Custom-Geheim-Wachtwoord-991",
    ] {
        assert!(
            !dump.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "{secret} is stored in plaintext"
        );
    }
}
on_both!(nothing_readable_at_rest, at_rest);

/// A task lease is held by one instance at a time, renewed by its holder, and passes on when it lapses.
async fn task_leases(server: TestServer) {
    use zegel_store::leases::acquire;
    let db = &server.state.db;
    let minute = 60_000;
    assert!(
        acquire(db, "maintenance", "a", 0, 5 * minute)
            .await
            .unwrap()
    );
    assert!(
        !acquire(db, "maintenance", "b", minute, 6 * minute)
            .await
            .unwrap()
    );
    // The holder renews it.
    assert!(
        acquire(db, "maintenance", "a", 2 * minute, 7 * minute)
            .await
            .unwrap()
    );
    assert!(
        !acquire(db, "maintenance", "b", 6 * minute, 11 * minute)
            .await
            .unwrap()
    );
    // Lapsed: another instance takes it, and the first one no longer holds it.
    assert!(
        acquire(db, "maintenance", "b", 8 * minute, 13 * minute)
            .await
            .unwrap()
    );
    assert!(
        !acquire(db, "maintenance", "a", 9 * minute, 14 * minute)
            .await
            .unwrap()
    );
    // Another task's lease is its own.
    assert!(
        acquire(db, "other", "a", 9 * minute, 14 * minute)
            .await
            .unwrap()
    );
    // Fifty instances at once: exactly one gets a fresh lease.
    let tries = (0..50).map(|i| {
        let owner = format!("instance-{i}");
        async move { acquire(db, "race", &owner, 0, minute).await.unwrap() }
    });
    let won = futures_util::future::join_all(tries)
        .await
        .into_iter()
        .filter(|&won| won)
        .count();
    assert_eq!(won, 1);
}
on_both!(a_task_lease_has_one_holder, task_leases);

/// A job whose lease ran out and was claimed again belongs to the new claim: the old one can neither
/// complete, retry nor give it up (it was taken over by another instance).
async fn fenced_outbox(server: TestServer) {
    use zegel_store::outbox;
    let db = &server.state.db;
    let mut conn = db.pool.acquire().await.unwrap();
    let job = outbox::NewJob {
        id: "fenced-job".into(),
        kind: zegel_store::JobKind::Email,
        purpose: zegel_store::JobPurpose::SenderNotice,
        recipient_id: None,
        sealed_payload: vec![1, 2, 3],
    };
    // Far in the future, so the server's own worker leaves it alone.
    let later = 1i64 << 50;
    outbox::enqueue(&mut conn, &job, later).await.unwrap();
    drop(conn);
    let minute = 60_000;
    let first = outbox::claim_due(db, later, minute, 100).await.unwrap();
    let first = first.into_iter().find(|j| j.id == "fenced-job").unwrap();
    // Still leased: nobody else gets it.
    let during = outbox::claim_due(db, later + 1, minute, 100).await.unwrap();
    assert!(during.iter().all(|j| j.id != "fenced-job"));
    // The lease runs out; another instance claims it.
    let second = outbox::claim_due(db, later + 2 * minute, minute, 100)
        .await
        .unwrap();
    let second = second.into_iter().find(|j| j.id == "fenced-job").unwrap();
    assert_eq!(second.attempts, 2);
    assert!(!outbox::complete(db, &first).await.unwrap());
    assert!(
        !outbox::retry_later(db, &first, later, "late")
            .await
            .unwrap()
    );
    assert!(!outbox::give_up(db, &first, "late").await.unwrap());
    assert_eq!(
        server.count("outbox").await,
        1,
        "the first claim changed nothing"
    );
    // The new claim renews its lease while it works: the renewed lease is its token from then on, and
    // nobody claims the job while it lasts; the old claim cannot renew.
    let mut second = second;
    let old_token = second.clone();
    assert!(
        outbox::renew(db, &mut second, later + 5 * minute / 2, minute)
            .await
            .unwrap()
    );
    assert_eq!(second.lease_until, later + 7 * minute / 2);
    let mut first = first;
    assert!(
        !outbox::renew(db, &mut first, later + 3 * minute, minute)
            .await
            .unwrap()
    );
    let during = outbox::claim_due(db, later + 3 * minute, minute, 100)
        .await
        .unwrap();
    assert!(
        during.iter().all(|j| j.id != "fenced-job"),
        "the renewed lease holds"
    );
    assert!(!outbox::complete(db, &old_token).await.unwrap());
    assert!(outbox::complete(db, &second).await.unwrap());
    assert_eq!(server.count("outbox").await, 0);
}
on_both!(
    an_outbox_job_taken_over_is_finished_by_its_new_claim,
    fenced_outbox
);
