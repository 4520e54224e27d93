//! `cargo xtask bench gateway`: the SMTP gateway under load. Several client connections send mails with
//! attachments to the real `zegel serve` (release build); the figures are mails accepted per second
//! (`250` after DATA, which Zegel gives only once the mail is durably stored) and the 99th percentile of
//! the time one mail transaction takes, for clean mail (relayed unchanged to the next hop) and for
//! sensitive mail (a 1 MB attachment with a BSN, stored as a secure message). Then it waits until the
//! next hop has every relayed mail and every notification. Figures, not assertions.

use std::time::{Duration, Instant};

use lettre::Message;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, MultiPart, SinglePart};
use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::extension::ClientId;
use zegel_tests::{SmtpReceiver, Zegel, free_port, wait_until};

/// Client connections sending at the same time.
const CONNECTIONS: usize = 8;

struct Mail {
    envelope: lettre::address::Envelope,
    raw: Vec<u8>,
}

fn mail(n: usize, attachment_name: &str, attachment: &[u8]) -> Mail {
    let message = Message::builder()
        .from("Anna <anna@zorg.example>".parse().unwrap())
        .to(format!("ontvanger{n}@extern.example").parse().unwrap())
        .subject(format!("Overdracht {n}"))
        .multipart(
            MultiPart::mixed()
                .singlepart(SinglePart::plain(
                    "Beste collega,\r\n\r\nIn de bijlage vind je de stukken voor morgen.\r\n\r\nGroet, Anna"
                        .to_owned(),
                ))
                .singlepart(
                    Attachment::new(attachment_name.to_owned())
                        .body(attachment.to_vec(), ContentType::parse("text/plain").unwrap()),
                ),
        )
        .unwrap();
    Mail {
        envelope: message.envelope().clone(),
        raw: message.formatted(),
    }
}

/// Text of `size` bytes that the content filter finds nothing in.
fn clean_text(size: usize) -> Vec<u8> {
    let line =
        b"de afspraak voor het overleg staat in de agenda van de afdeling en iedereen is welkom\n";
    line.iter().copied().cycle().take(size).collect()
}

struct Figures {
    mails_per_s: f64,
    p50_ms: f64,
    p99_ms: f64,
}

async fn send_all(port: u16, mails: Vec<Mail>) -> Figures {
    let mut queues: Vec<Vec<Mail>> = (0..CONNECTIONS).map(|_| Vec::new()).collect();
    for (i, mail) in mails.into_iter().enumerate() {
        queues[i % CONNECTIONS].push(mail);
    }
    let total: usize = queues.iter().map(Vec::len).sum();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for queue in queues {
        tasks.push(tokio::spawn(async move {
            // One SMTP session per task, kept open for all its mails, as a sending mail server does.
            // Without TCP_NODELAY, lettre's separate write of the final "." waits for the server's
            // delayed ACK (40 ms on Linux), and the bench would measure that instead of the gateway.
            let stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .expect("connect to the gateway");
            stream.set_nodelay(true).unwrap();
            let mut connection = AsyncSmtpConnection::connect_with_transport(
                Box::new(stream),
                &ClientId::Domain("bench.zorg.example".to_owned()),
            )
            .await
            .expect("an SMTP session with the gateway");
            let mut latencies = Vec::with_capacity(queue.len());
            for mail in queue {
                let sent = Instant::now();
                connection
                    .send(&mail.envelope, &mail.raw)
                    .await
                    .expect("the gateway accepts the mail");
                latencies.push(sent.elapsed());
            }
            let _ = connection.quit().await;
            latencies
        }));
    }
    let mut latencies = Vec::with_capacity(total);
    for task in tasks {
        latencies.extend(task.await.unwrap());
    }
    let elapsed = started.elapsed();
    latencies.sort();
    let at = |q: f64| {
        latencies[((latencies.len() as f64 * q).ceil() as usize).clamp(1, latencies.len()) - 1]
            .as_secs_f64()
            * 1000.0
    };
    Figures {
        mails_per_s: total as f64 / elapsed.as_secs_f64(),
        p50_ms: at(0.50),
        p99_ms: at(0.99),
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let clean_count: usize = env_or("ZEGEL_BENCH_CLEAN", 2000);
    let sensitive_count: usize = env_or("ZEGEL_BENCH_SENSITIVE", 300);
    let receiver = SmtpReceiver::start();
    let mut zegel = Zegel::new(receiver.address);
    let port = free_port();
    zegel
        .env
        .push(("ZEGEL_SMTP_LISTEN".to_owned(), format!("127.0.0.1:{port}")));
    zegel.env.push((
        "ZEGEL_SMTP_NEXT_HOP".to_owned(),
        format!("smtp://{}", receiver.address),
    ));
    zegel.add_tenant("Bench", "zorg.example");
    zegel.serve();

    let clean_attachment = clean_text(20 * 1024);
    let mut sensitive_attachment = clean_text(1024 * 1024);
    let bsn = b"patient BSN 111222333\n";
    sensitive_attachment[4096..4096 + bsn.len()].copy_from_slice(bsn);

    // Warm up: the first connection and the first of each kind.
    send_all(port, vec![mail(0, "agenda.txt", &clean_attachment)]).await;
    send_all(port, vec![mail(0, "dossier.txt", &sensitive_attachment)]).await;
    // Each warm-up mail leaves as one mail: the relayed original, or the one notification.
    let warm = 2;

    let clean: Vec<Mail> = (1..=clean_count)
        .map(|n| mail(n, "agenda.txt", &clean_attachment))
        .collect();
    let sensitive: Vec<Mail> = (1..=sensitive_count)
        .map(|n| mail(n, "dossier.txt", &sensitive_attachment))
        .collect();

    println!(
        "== gateway: {CONNECTIONS} connections, clean = 20 KB attachment (relayed), sensitive = 1 MB attachment with a BSN (protected) =="
    );
    let figures = send_all(port, clean).await;
    println!("gateway_clean_mails={clean_count}");
    println!("gateway_clean_mails_s={:.0}", figures.mails_per_s);
    println!("gateway_clean_p50_ms={:.1}", figures.p50_ms);
    println!("gateway_clean_p99_ms={:.1}", figures.p99_ms);
    let figures = send_all(port, sensitive).await;
    println!("gateway_sensitive_mails={sensitive_count}");
    println!("gateway_sensitive_mails_s={:.0}", figures.mails_per_s);
    println!("gateway_sensitive_p50_ms={:.1}", figures.p50_ms);
    println!("gateway_sensitive_p99_ms={:.1}", figures.p99_ms);

    // Everything accepted also leaves: relayed originals and notifications reach the next hop.
    let expected = warm + clean_count + sensitive_count;
    let waiting = Instant::now();
    wait_until(
        Duration::from_secs(600),
        "every mail at the next hop",
        || (receiver.mails().len() >= expected).then_some(()),
    );
    println!(
        "gateway_drained_after_s={:.1}",
        waiting.elapsed().as_secs_f64()
    );
    let sensitive_leaked = receiver
        .mails()
        .iter()
        .filter(|m| {
            let parsed = mail_parser::MessageParser::default().parse(&m.raw);
            parsed.is_some_and(|p| {
                p.attachments()
                    .any(|a| a.contents().windows(9).any(|w| w == b"111222333"))
            })
        })
        .count();
    println!("gateway_plaintext_bsn_at_next_hop={sensitive_leaked}");
}

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
