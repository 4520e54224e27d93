//! Several instances, one system: three real `zegel serve` processes on one PostgreSQL database and one
//! S3 bucket (each with a data directory of its own, sharing nothing on disk but the keyring they are
//! given), behind a real load balancer (nginx), delivering to a real SMTP receiver. Mail comes
//! in through each instance's SMTP gateway in turn while instances are killed with SIGKILL and started
//! again; a client whose connection broke sends the same mail (the same Message-ID) to the next
//! instance, as a mail server would. Afterwards every recipient has one notification (a redelivery after
//! a takeover carries the same Message-ID), every file downloads byte for byte through the load
//! balancer, no outbox job is left leased, and the audit chain is whole.

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sqlx::{Connection, Row};
use zegel_tests::{SmtpReceiver, Zegel, client, free_port, link_after, wait_until};

/// Mails sent through the gateways.
const MAILS: usize = 300;
/// Instances behind the load balancer.
const INSTANCES: usize = 3;
const NGINX: &str = "/usr/sbin/nginx";

/// nginx in front of `upstreams`, on its own port; stopped when dropped.
struct LoadBalancer {
    base: String,
    child: Child,
    _dir: tempfile::TempDir,
}

impl LoadBalancer {
    fn start(upstreams: &[u16]) -> Self {
        let dir = tempfile::TempDir::new().unwrap();
        let port = free_port();
        let path = dir.path().display().to_string();
        let servers: String = upstreams
            .iter()
            .map(|p| format!("server 127.0.0.1:{p} max_fails=1 fail_timeout=1s;\n"))
            .collect();
        // Requests go to the next instance when one is down (connection refused or reset), the
        // non-idempotent ones included: nothing a request does is half-done when its instance dies.
        let config = format!(
            "daemon off;\nworker_processes 1;\npid {path}/nginx.pid;\nerror_log {path}/error.log warn;\n\
             events {{ worker_connections 512; }}\n\
             http {{\n access_log off;\n client_body_temp_path {path}/body;\n proxy_temp_path {path}/proxy;\n\
             fastcgi_temp_path {path}/fastcgi;\n uwsgi_temp_path {path}/uwsgi;\n scgi_temp_path {path}/scgi;\n\
             upstream zegel {{\n{servers} }}\n\
             server {{\n  listen 127.0.0.1:{port};\n  client_max_body_size 64m;\n\
               location / {{\n   proxy_pass http://zegel;\n   proxy_http_version 1.1;\n\
                proxy_set_header Host $http_host;\n   proxy_set_header X-Forwarded-For $remote_addr;\n\
                proxy_connect_timeout 1s;\n   proxy_next_upstream error timeout http_502 non_idempotent;\n\
                proxy_next_upstream_tries 6;\n  }}\n }}\n}}\n"
        );
        std::fs::write(dir.path().join("nginx.conf"), config).unwrap();
        let child = Command::new(NGINX)
            .args(["-p", &path, "-c", &format!("{path}/nginx.conf")])
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("nginx starts");
        wait_until(Duration::from_secs(10), "nginx to listen", || {
            std::net::TcpStream::connect(("127.0.0.1", port)).ok()
        });
        Self {
            base: format!("http://127.0.0.1:{port}"),
            child,
            _dir: dir,
        }
    }
}

impl Drop for LoadBalancer {
    fn drop(&mut self) {
        // SIGTERM, not SIGKILL: nginx's master then stops its workers too.
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

/// One instance on `http` and `smtp`, with a data directory of its own: `shared` names the database,
/// the bucket, the keys and the public URL.
fn instance(receiver: SocketAddr, shared: &[(&str, String)], http: u16, smtp: u16) -> Zegel {
    let mut zegel = Zegel::new(receiver);
    zegel.base = format!("http://127.0.0.1:{http}");
    let own = [
        ("ZEGEL_LISTEN", format!("127.0.0.1:{http}")),
        ("ZEGEL_SMTP_LISTEN", format!("127.0.0.1:{smtp}")),
    ];
    for (name, value) in own.iter().chain(shared) {
        zegel.env.retain(|(n, _)| n != name);
        zegel.env.push(((*name).to_owned(), value.clone()));
    }
    zegel
}

/// The mail `i`: a payment card number makes the gateway protect it; its attachment is its own.
fn mail(i: usize) -> (String, String, Vec<u8>) {
    let to = format!("ontvanger{i}@elders.example");
    let attachment: Vec<u8> = format!("Factuur {i}\n")
        .into_bytes()
        .into_iter()
        .chain((0..20_000).map(|n| b'a' + ((n * 7 + i) % 26) as u8))
        .collect();
    let encoded = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &attachment);
    let lines: Vec<&str> = encoded
        .as_bytes()
        .chunks(76)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    let raw = format!(
        "From: arts@zorg.example\r\nTo: {to}\r\nSubject: Betaling {i}\r\n\
         Message-ID: <fault-{i}@zorg.example>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"grens\"\r\n\r\n\
         --grens\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         Kaart 4111 1111 1111 1111 graag vandaag.\r\n\
         --grens\r\nContent-Type: application/octet-stream\r\n\
         Content-Disposition: attachment; filename=\"factuur-{i}.txt\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{}\r\n--grens--\r\n",
        lines.join("\r\n")
    );
    (to, raw, attachment)
}

/// The Message-ID header of a received mail.
fn message_id(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    text.lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("message-id")
                .then(|| value.trim().to_owned())
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_instances_behind_a_load_balancer_survive_being_killed() {
    let Some(database) = crate::support::fresh_postgres_database().await else {
        return;
    };
    if !std::path::Path::new(NGINX).exists() {
        assert!(
            std::env::var("ZEGEL_TEST_REQUIRE_POSTGRES").is_err(),
            "{NGINX} is missing (cargo xtask test installs it)"
        );
        eprintln!("{NGINX} is missing: skipping the fault test (cargo xtask test runs it)");
        return;
    }
    let Some(bucket) = zegel_tests::s3::Bucket::create() else {
        return;
    };
    let receiver = SmtpReceiver::start();
    // The keys every instance is given: one keyring file, one token-signing key.
    let keys = tempfile::TempDir::new().unwrap();
    std::fs::write(
        keys.path().join("keyring.json"),
        zegel_crypto::Keyring::new_with_generated().to_json(),
    )
    .unwrap();
    let ports: Vec<(u16, u16)> = (0..INSTANCES).map(|_| (free_port(), free_port())).collect();
    let balancer = LoadBalancer::start(&ports.iter().map(|(http, _)| *http).collect::<Vec<_>>());
    let mut shared = vec![
        ("ZEGEL_DATABASE_URL", database.clone()),
        (
            "ZEGEL_KEYRING_FILE",
            keys.path().join("keyring.json").display().to_string(),
        ),
        ("ZEGEL_TOKEN_SIGNING_KEY", "5a".repeat(32)),
        ("ZEGEL_PUBLIC_URL", balancer.base.clone()),
        // A job whose instance died is taken over after three seconds.
        ("ZEGEL_OUTBOX_LEASE_SECS", "3".to_owned()),
    ];
    let bucket_settings = bucket.settings();
    for (name, value) in &bucket_settings {
        shared.push((name.as_str(), value.clone()));
    }
    let mut instances: Vec<(Zegel, u16)> = ports
        .iter()
        .map(|&(http, smtp)| (instance(receiver.address, &shared, http, smtp), smtp))
        .collect();
    instances[0].0.add_tenant("Zorg", "zorg.example");
    for (zegel, _) in &mut instances {
        zegel.serve();
    }
    let smtp_ports: Vec<u16> = instances.iter().map(|(_, smtp)| *smtp).collect();
    let instances = Arc::new(std::sync::Mutex::new(instances));

    // Kill one instance at a random moment, start it again, over and over, while mail comes in.
    let done = Arc::new(AtomicBool::new(false));
    let killer = {
        let (instances, done) = (instances.clone(), done.clone());
        std::thread::spawn(move || {
            let mut kills = 0;
            let mut seed = 0x2545_f491_u64;
            while !done.load(Ordering::SeqCst) {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                std::thread::sleep(Duration::from_millis(300 + seed % 700));
                let victim = (seed / 7) as usize % INSTANCES;
                let mut all = instances.lock().unwrap();
                all[victim].0.stop();
                kills += 1;
                all[victim].0.serve();
            }
            kills
        })
    };

    // Each mail goes to the instances in turn; a refused or broken session is sent again, with the
    // same Message-ID, to the next one.
    let mut expected = Vec::with_capacity(MAILS);
    let mut retried = 0;
    for i in 0..MAILS {
        let (to, raw, attachment) = mail(i);
        let mut attempt = i;
        loop {
            let port = smtp_ports[attempt % INSTANCES];
            let mailer = zegel_mail::Mailer::next_hop("127.0.0.1", port).unwrap();
            match mailer
                .send_raw(
                    Some("arts@zorg.example"),
                    std::slice::from_ref(&to),
                    raw.as_bytes(),
                )
                .await
            {
                Ok(()) => break,
                Err(error) => {
                    assert!(
                        attempt < i + 60,
                        "mail {i} was not accepted in 60 tries: {error}"
                    );
                    attempt += 1;
                    retried += 1;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
        expected.push((to, attachment));
    }
    done.store(true, Ordering::SeqCst);
    let kills = killer.join().unwrap();
    assert!(kills >= 3, "instances were killed ({kills} times)");
    eprintln!("{MAILS} mails, {kills} kills, {retried} sessions sent again");

    // Every recipient gets their notification; a job taken over after its instance died may arrive
    // twice, then with the same Message-ID.
    wait_until(
        Duration::from_secs(120),
        "a notification to every recipient",
        || {
            let mails = receiver.mails();
            expected
                .iter()
                .all(|(to, _)| mails.iter().any(|m| m.rcpt_to.contains(to)))
                .then_some(())
        },
    );
    let mails = receiver.mails();
    for (to, _) in &expected {
        let mut ids: Vec<String> = mails
            .iter()
            .filter(|m| m.rcpt_to.contains(to))
            .map(|m| message_id(&m.raw))
            .collect();
        if ids.len() > 1 {
            eprintln!("{to}: {} copies of one notification", ids.len());
        }
        ids.dedup();
        assert_eq!(ids.len(), 1, "one notification to {to}: {ids:?}");
    }

    // Every file, byte for byte, through the load balancer (the instances still being whole).
    for (i, (to, attachment)) in expected.iter().enumerate() {
        let notification = mails.iter().find(|m| m.rcpt_to.contains(to)).unwrap();
        let link = link_after(&notification.text, &format!("{}/m/", balancer.base));
        let browser = client();
        let asked = browser
            .post(format!("{link}/challenge"))
            .send()
            .await
            .unwrap();
        assert_eq!(asked.status(), 303, "mail {i}");
        let password = receiver
            .wait_for(to, "wachtwoord")
            .text
            .lines()
            .find(|l| l.starts_with("    "))
            .expect("the password line")
            .trim()
            .to_owned();
        let file = zegel_tests::open_and_download(&browser, &balancer.base, &link, &password).await;
        assert_eq!(&file[..], &attachment[..], "mail {i}");
    }

    // The outbox drained with no job left leased, and the audit chain is whole.
    let mut db = sqlx::PgConnection::connect(&database).await.unwrap();
    let leased: i64 =
        sqlx::query("SELECT COUNT(*) AS n FROM outbox WHERE lease_until IS NOT NULL OR dead = 0")
            .fetch_one(&mut db)
            .await
            .unwrap()
            .try_get("n")
            .unwrap();
    assert_eq!(leased, 0, "no job left waiting or leased");
    let messages: i64 = sqlx::query("SELECT COUNT(*) AS n FROM messages")
        .fetch_one(&mut db)
        .await
        .unwrap()
        .try_get("n")
        .unwrap();
    assert_eq!(messages as usize, MAILS, "each mail stored once");
    {
        let all = instances.lock().unwrap();
        let verified = all[0].0.run_ok(&["admin", "audit", "verify"]);
        assert!(verified.contains("whole"), "{verified}");
        for (zegel, _) in all.iter() {
            assert!(
                !zegel.data.path().join("blobs").exists(),
                "the blobs are in the bucket, not on an instance's disk"
            );
        }
    }
    assert!(
        bucket.list().await.len() >= MAILS,
        "every mail's files are in the bucket"
    );
}
