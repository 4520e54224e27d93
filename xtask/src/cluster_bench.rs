//! `cargo xtask bench cluster`: several `zegel serve` (release build) on one PostgreSQL database and one
//! data directory, behind nginx. Messages per second through one and through two instances (1,000
//! messages with a 10 kB file, 16 clients at once), the time the outbox takes to hand their 1,000
//! notifications over, and four resumable 1 GiB uploads at once through the balancer, whose PATCHes go
//! to either instance (aggregate against `dd conv=fdatasync` of the same size, peak RSS per instance).
//! The last round runs the two instances on a bucket (`moto_server`, the tests' S3 API server) instead
//! of the shared data directory: the same figures with S3 as the blob store; moto is a Python server,
//! so its upload figure measures moto as much as Zegel.
//! Figures, not assertions. The notifications go to each instance's dev mailbox, so the drain time is
//! Zegel's own work (claiming, opening, completing), not a relay's.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::bench::{Tus, dd_fdatasync_seconds, peak_rss_kib, random_source, start_server};
use crate::{build_zegel, run_cmd, target_dir};

const MESSAGES: usize = 1000;
const CLIENTS: usize = 16;
const UPLOAD_MIB: u64 = 1024;
const METRICS_TOKEN: &str = "bench-metrics-token";

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// nginx in front of `upstreams`; killed when dropped.
struct Balancer {
    port: u16,
    child: Child,
}

impl Balancer {
    fn start(dir: &Path, upstreams: &[u16]) -> anyhow::Result<Self> {
        if !Path::new(crate::deps::NGINX).exists() {
            crate::deps::apt_install(&["nginx"])?;
        }
        let port = free_port()?;
        let path = dir.display().to_string();
        let servers: String = upstreams
            .iter()
            .map(|p| format!("server 127.0.0.1:{p};\n"))
            .collect();
        let config = format!(
            "daemon off;\nworker_processes 2;\npid {path}/nginx.pid;\nerror_log {path}/error.log warn;\n\
             events {{ worker_connections 1024; }}\n\
             http {{\n access_log off;\n client_body_temp_path {path}/body;\n proxy_temp_path {path}/proxy;\n\
             fastcgi_temp_path {path}/fastcgi;\n uwsgi_temp_path {path}/uwsgi;\n scgi_temp_path {path}/scgi;\n\
             upstream zegel {{\n{servers} keepalive 32;\n }}\n\
             server {{\n  listen 127.0.0.1:{port};\n  client_max_body_size 0;\n\
               location / {{\n   proxy_pass http://zegel;\n   proxy_http_version 1.1;\n\
                proxy_set_header Connection \"\";\n   proxy_set_header Host $http_host;\n\
                proxy_request_buffering off;\n   proxy_buffering off;\n  }}\n }}\n}}\n"
        );
        std::fs::write(dir.join("nginx.conf"), config)?;
        let child = Command::new(crate::deps::NGINX)
            .args(["-p", &path, "-c", &format!("{path}/nginx.conf")])
            .stdout(Stdio::null())
            .spawn()
            .context("nginx starts")?;
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                bail!("nginx did not start");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(Self { port, child })
    }
}

impl Drop for Balancer {
    fn drop(&mut self) {
        // SIGTERM, not SIGKILL: nginx's master then stops its workers too.
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 request on its own connection; the status and the body.
fn http(port: u16, head: &str, body: &[u8]) -> anyhow::Result<(u16, String)> {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port))?;
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer)?;
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .context("no HTTP status")?;
    let body = answer
        .split_once("\r\n\r\n")
        .map_or(String::new(), |(_, b)| b.to_owned());
    Ok((status, body))
}

/// `POST /api/v1/messages` with a 10 kB file to `r<i>@example.nl`.
fn post_message(port: u16, token: &str, i: usize) -> anyhow::Result<()> {
    let boundary = "zegel-bench-boundary";
    let meta = format!(
        r#"{{"kind":"public_files","subject":"bench {i}","recipients":[{{"email":"r{i}@example.nl"}}]}}"#
    );
    let file: Vec<u8> = (0..10_000).map(|n| b'a' + ((n + i) % 26) as u8).collect();
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"meta\"\r\nContent-Type: application/json\r\n\r\n{meta}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f{i}.txt\"\r\n\
         Content-Type: text/plain\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let head = format!(
        "POST /api/v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\
         Authorization: Bearer {token}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    );
    let (status, answer) = http(port, &head, &body)?;
    if status != 201 {
        bail!("message {i} answered {status}: {answer}");
    }
    Ok(())
}

/// A figure of `/metrics`: the value of the sample line starting with `sample`.
fn metric(port: u16, sample: &str) -> anyhow::Result<f64> {
    let head = format!(
        "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\
         Authorization: Bearer {METRICS_TOKEN}\r\n\r\n"
    );
    let (status, body) = http(port, &head, &[])?;
    if status != 200 {
        bail!("/metrics answered {status}");
    }
    body.lines()
        .find_map(|l| l.strip_prefix(sample)?.trim().parse().ok())
        .with_context(|| format!("no {sample} in /metrics"))
}

/// Runs the cluster benchmark.
pub(crate) fn run() -> anyhow::Result<()> {
    println!(
        "== cluster: {MESSAGES} messages through one and two instances behind nginx, their outbox, four 1 GiB uploads =="
    );
    let zegel = build_zegel(true)?;
    let postgres = crate::postgres::Cluster::start()?;
    let dir = target_dir().join("bench-cluster");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let source = random_source("cluster", UPLOAD_MIB)?;
    let result = (|| {
        for instances in [1usize, 2] {
            round(&zegel, &postgres, &dir, &source, instances, None)?;
        }
        let moto = crate::moto::Moto::start()?;
        let bucket = moto.create_bucket("bench-cluster")?;
        round(&zegel, &postgres, &dir, &source, 2, Some(&bucket))
    })();
    let _ = std::fs::remove_file(&source);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// One round: `instances` behind nginx; the blobs in `bucket` (an `s3://` URL on moto) when given.
fn round(
    zegel: &Path,
    postgres: &crate::postgres::Cluster,
    dir: &Path,
    source: &Path,
    instances: usize,
    bucket: Option<&str>,
) -> anyhow::Result<()> {
    let name = format!("{instances}x{}", if bucket.is_some() { "_s3" } else { "" });
    let here = dir.join(&name);
    std::fs::create_dir_all(here.join("nginx"))?;
    let database = postgres.create_database(&format!("bench_cluster_{name}"))?;
    let ports: Vec<u16> = (0..instances)
        .map(|_| free_port())
        .collect::<anyhow::Result<_>>()?;
    let balancer = Balancer::start(&here.join("nginx"), &ports)?;
    let mut shared = vec![
        ("ZEGEL_DATABASE_URL", database),
        ("ZEGEL_DATA_DIR", here.join("data").display().to_string()),
        (
            "ZEGEL_PUBLIC_URL",
            format!("http://127.0.0.1:{}", balancer.port),
        ),
        ("ZEGEL_DEV", "1".to_owned()),
        ("ZEGEL_LOG", "warn".to_owned()),
        ("ZEGEL_METRICS_TOKEN", METRICS_TOKEN.to_owned()),
    ];
    if let Some(bucket) = bucket {
        shared.push(("ZEGEL_BLOBS", bucket.to_owned()));
        shared.push(("ZEGEL_S3_ACCESS_KEY_ID", "bench".to_owned()));
        shared.push(("ZEGEL_S3_SECRET_ACCESS_KEY", "bench".to_owned()));
    }
    let command = |args: &[&str], port: Option<u16>| {
        let mut command = Command::new(zegel);
        command
            .args(args)
            .envs(shared.iter().map(|(k, v)| (k, v)))
            .current_dir(&here);
        if let Some(port) = port {
            command.env("ZEGEL_LISTEN", format!("127.0.0.1:{port}"));
        }
        command
    };
    run_cmd(
        command(
            &[
                "admin",
                "tenant",
                "add",
                "--name",
                "Bench",
                "--domain",
                "bench.example",
            ],
            None,
        )
        .stdout(Stdio::null()),
    )?;
    let token = String::from_utf8(
        command(&["admin", "token", "--email", "bench@bench.example"], None)
            .output()?
            .stdout,
    )?
    .trim()
    .to_owned();
    let mut servers = Vec::new();
    for port in &ports {
        servers.push(start_server(command(&["serve"], Some(*port)), *port)?);
    }
    let outcome = (|| -> anyhow::Result<()> {
        // Messages, 16 clients at once through the balancer.
        let started = Instant::now();
        std::thread::scope(|scope| {
            let workers: Vec<_> = (0..CLIENTS)
                .map(|client| {
                    let token = &token;
                    scope.spawn(move || {
                        (client..MESSAGES)
                            .step_by(CLIENTS)
                            .try_for_each(|i| post_message(balancer.port, token, i))
                    })
                })
                .collect();
            workers
                .into_iter()
                .try_for_each(|w| w.join().expect("a client thread panicked"))
        })?;
        let posted = started.elapsed().as_secs_f64();
        println!(
            "cluster_{name}_messages_per_s={:.0}",
            MESSAGES as f64 / posted
        );
        // The outbox: until every notification was handed over.
        let deadline = Instant::now() + Duration::from_secs(300);
        loop {
            let pending = metric(balancer.port, "zegel_outbox_jobs{state=\"pending\"}")?;
            let sent = metric(balancer.port, "zegel_notifications{state=\"sent\"}")?;
            if pending == 0.0 && sent >= MESSAGES as f64 {
                break;
            }
            if Instant::now() > deadline {
                bail!("the outbox did not drain: {pending} pending, {sent} sent");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let drained = started.elapsed().as_secs_f64();
        println!(
            "cluster_{name}_outbox_{MESSAGES}_notifications_done_s={drained:.1} (after the last 201: {:.1} s)",
            drained - posted
        );
        if instances < 2 {
            return Ok(());
        }
        // Four resumable uploads at once, their PATCHes spread over the instances.
        let dd_mb_s = (UPLOAD_MIB << 20) as f64 / dd_fdatasync_seconds(source, &here)? / 1e6;
        let tus = Tus {
            port: balancer.port,
            token: token.clone(),
            source,
            size: UPLOAD_MIB << 20,
        };
        let started = Instant::now();
        std::thread::scope(|scope| {
            let workers: Vec<_> = (0..4).map(|_| scope.spawn(|| tus.upload())).collect();
            workers
                .into_iter()
                .map(|w| w.join().expect("an upload thread panicked"))
                .collect::<anyhow::Result<Vec<String>>>()
        })?;
        let mb_s = 4.0 * (UPLOAD_MIB << 20) as f64 / started.elapsed().as_secs_f64() / 1e6;
        println!("cluster_{name}_tus_4x_1gib_mb_s={mb_s:.0}");
        println!("dd_fdatasync_mb_s={dd_mb_s:.0}");
        println!("cluster_{name}_tus_4x_vs_dd={:.0}%", mb_s / dd_mb_s * 100.0);
        Ok(())
    })();
    for (i, server) in servers.iter_mut().enumerate() {
        println!(
            "cluster_{name}_instance_{i}_peak_rss_mib={:.1}",
            peak_rss_kib(server.id()) as f64 / 1024.0
        );
        let _ = server.kill();
        let _ = server.wait();
    }
    drop(balancer);
    outcome
}
