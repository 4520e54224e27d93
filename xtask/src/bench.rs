//! `cargo xtask bench [crypto|upload|dlp|ocr|pane|gateway|cluster]`: figures, not tests. Each figure is printed next to the
//! reference it is judged against, measured in the same run on the same machine.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::{build_zegel, root, run_cmd, target_dir};

/// Runs the named benchmarks (all by default).
pub(crate) fn main(args: &[String]) -> anyhow::Result<()> {
    let all = [
        "crypto", "upload", "dlp", "ocr", "pane", "gateway", "cluster",
    ];
    let chosen: Vec<&str> = if args.is_empty() {
        all.to_vec()
    } else {
        args.iter().map(String::as_str).collect()
    };
    for name in chosen {
        match name {
            "crypto" => crypto()?,
            "upload" => upload()?,
            "dlp" => dlp()?,
            "ocr" => ocr()?,
            "pane" => pane()?,
            "gateway" => gateway()?,
            "cluster" => crate::cluster_bench::run()?,
            other => bail!(
                "unknown benchmark '{other}'; choose from {}",
                all.join(", ")
            ),
        }
    }
    Ok(())
}

fn crypto() -> anyhow::Result<()> {
    println!("== crypto: chunked AES-256-GCM, one core ==");
    let output = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args([
            "run",
            "--quiet",
            "--release",
            "-p",
            "zegel-crypto",
            "--example",
            "throughput",
        ])
        .current_dir(root())
        .stderr(Stdio::inherit())
        .output()?;
    if !output.status.success() {
        bail!("the throughput example failed");
    }
    let ours = String::from_utf8_lossy(&output.stdout).into_owned();
    print!("{ours}");
    // The figure on the wall clock (the last line's `encrypt_mb_s`), for the ratio to OpenSSL's.
    let figure = |name: &str| -> Option<f64> {
        ours.lines()
            .rev()
            .flat_map(str::split_whitespace)
            .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('=')?.parse().ok())
    };
    // OpenSSL's own AES-256-GCM on 64 KiB blocks (the chunk size), one core, as the reference.
    match Command::new("openssl")
        .args([
            "speed",
            "-evp",
            "aes-256-gcm",
            "-bytes",
            "65536",
            "-seconds",
            "3",
        ])
        .output()
    {
        Ok(out) if out.status.success() => {
            let text = String::from_utf8_lossy(&out.stdout);
            if let Some(line) = text
                .lines()
                .rev()
                .find(|l| l.starts_with("AES-256-GCM") || l.starts_with("aes-256-gcm"))
            {
                let kbytes: f64 = line
                    .split_whitespace()
                    .last()
                    .and_then(|v| v.trim_end_matches('k').parse().ok())
                    .unwrap_or(0.0);
                let openssl = kbytes * 1000.0 / 1e6;
                println!("openssl_aes_256_gcm_mb_s={openssl:.0}");
                if openssl > 0.0 {
                    for name in ["encrypt_mb_s", "decrypt_mb_s"] {
                        if let Some(value) = figure(name) {
                            let label = name.trim_end_matches("_mb_s");
                            println!("{label}_vs_openssl={:.2}", value / openssl);
                        }
                    }
                }
            }
        }
        _ => println!("openssl speed: not available"),
    }
    Ok(())
}

fn upload() -> anyhow::Result<()> {
    println!(
        "== upload: a 2 GiB file through POST /api/v1/messages, then as tus uploads in 8 MiB PATCHes (one, then four at once, then one into an S3 bucket) =="
    );
    let size_mib: u64 = std::env::var("ZEGEL_BENCH_UPLOAD_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2048);
    let zegel = build_zegel(true)?;
    let dir = target_dir().join("bench-upload");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let source = random_source("bench", size_mib)?;
    let dd_seconds = dd_fdatasync_seconds(&source, &dir)?;

    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let env = [
        ("ZEGEL_DATA_DIR", dir.join("data").display().to_string()),
        ("ZEGEL_LISTEN", format!("127.0.0.1:{port}")),
        ("ZEGEL_LOG", "warn".to_owned()),
        ("ZEGEL_DEV", "1".to_owned()),
    ];
    let zegel_cmd = |args: &[&str]| {
        let mut command = Command::new(&zegel);
        command.args(args).envs(env.iter().map(|(k, v)| (k, v)));
        command
    };
    run_cmd(
        zegel_cmd(&[
            "admin",
            "tenant",
            "add",
            "--name",
            "Bench",
            "--domain",
            "bench.example",
        ])
        .stdout(Stdio::null()),
    )?;
    let token = String::from_utf8(
        zegel_cmd(&["admin", "token", "--email", "bench@bench.example"])
            .output()?
            .stdout,
    )?;
    let mut server = start_server(zegel_cmd(&["serve"]), port)?;
    let meta = r#"meta={"subject":"bench","kind":"public_files","recipients":[{"email":"r@example.nl"}]};type=application/json"#;
    let started = Instant::now();
    let created = dir.join("created.json");
    let output = Command::new("curl")
        .args([
            "-sS",
            "-o",
            &created.display().to_string(),
            "-w",
            "%{http_code}",
            "-H",
            &format!("Authorization: Bearer {}", token.trim()),
        ])
        .args([
            "-F",
            meta,
            "-F",
            &format!("file=@{};filename=big.bin", source.display()),
        ])
        .arg(format!("http://127.0.0.1:{port}/api/v1/messages"))
        .output()
        .context("curl is needed for the upload benchmark")?;
    let upload_seconds = started.elapsed().as_secs_f64();
    let status = String::from_utf8_lossy(&output.stdout).to_string();
    let multipart_peak_kib = peak_rss_kib(server.id());
    // The message goes again, so the disk has room for the uploads below.
    let message_id = std::fs::read(&created)
        .ok()
        .and_then(|json| serde_json::from_slice::<serde_json::Value>(&json).ok())
        .and_then(|created| created["id"].as_str().map(str::to_owned));
    if let Some(id) = message_id {
        let mut delete = Command::new("curl");
        delete.args(["-sS", "-o", "/dev/null", "-X", "DELETE", "-H"]);
        delete.arg(format!("Authorization: Bearer {}", token.trim()));
        delete.arg(format!("http://127.0.0.1:{port}/api/v1/messages/{id}"));
        let _ = delete.status();
    }
    let _ = server.kill();
    let _ = server.wait();
    if status != "201" {
        let _ = std::fs::remove_file(&source);
        let _ = std::fs::remove_dir_all(&dir);
        bail!(
            "the upload failed with HTTP {status}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let bytes = (size_mib * 1024 * 1024) as f64;
    let upload_mb_s = bytes / upload_seconds / 1e6;
    let dd_mb_s = bytes / dd_seconds / 1e6;
    println!("upload_bytes={}", size_mib * 1024 * 1024);
    println!("upload_mb_s={upload_mb_s:.0}");
    println!("dd_fdatasync_mb_s={dd_mb_s:.0}");
    println!("upload_vs_dd={:.0}%", upload_mb_s / dd_mb_s * 100.0);
    println!(
        "server_peak_rss_mib={:.1}",
        multipart_peak_kib as f64 / 1024.0
    );

    // The same file as a resumable (tus) upload in 8 MiB PATCHes, then four such uploads at once, each
    // against a freshly started server so each peak RSS is its own.
    let size = size_mib * 1024 * 1024;
    let tus = Tus {
        port,
        token: token.trim().to_owned(),
        source: &source,
        size,
    };
    for parallel in [1usize, 4] {
        let mut server = start_server(zegel_cmd(&["serve"]), port)?;
        let started = Instant::now();
        let result = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..parallel)
                .map(|_| scope.spawn(|| tus.upload()))
                .collect();
            workers
                .into_iter()
                .map(|w| w.join().expect("an upload thread panicked"))
                .collect::<anyhow::Result<Vec<String>>>()
        });
        let seconds = started.elapsed().as_secs_f64();
        let peak_kib = peak_rss_kib(server.id());
        // The uploads go again (tus termination), so the next round has the disk space.
        if let Ok(ids) = &result {
            for id in ids {
                let _ = tus.request("DELETE", &format!("/api/v1/uploads/{id}"), &[], None);
            }
        }
        let _ = server.kill();
        let _ = server.wait();
        if let Err(error) = result {
            let _ = std::fs::remove_file(&source);
            let _ = std::fs::remove_dir_all(&dir);
            return Err(error.context("the resumable upload failed"));
        }
        let mb_s = bytes * parallel as f64 / seconds / 1e6;
        println!("tus_{parallel}x_8mib_patches_mb_s={mb_s:.0}");
        println!("tus_{parallel}x_vs_dd={:.0}%", mb_s / dd_mb_s * 100.0);
        println!(
            "tus_{parallel}x_server_peak_rss_mib={:.1}",
            peak_kib as f64 / 1024.0
        );
    }
    // The same tus upload with the blobs in a bucket, against a fresh server. The bucket is moto's, a
    // Python S3 server on this machine: its rate measures moto as much as Zegel; the peak RSS is
    // Zegel's alone.
    let result = (|| -> anyhow::Result<()> {
        let moto = crate::moto::Moto::start()?;
        let bucket = moto.create_bucket("bench-upload")?;
        let mut serve = zegel_cmd(&["serve"]);
        serve
            .env("ZEGEL_BLOBS", &bucket)
            .env("ZEGEL_S3_ACCESS_KEY_ID", "bench")
            .env("ZEGEL_S3_SECRET_ACCESS_KEY", "bench");
        let mut server = start_server(serve, port)?;
        let started = Instant::now();
        let uploaded = tus.upload();
        let seconds = started.elapsed().as_secs_f64();
        let peak_kib = peak_rss_kib(server.id());
        let _ = server.kill();
        let _ = server.wait();
        uploaded.context("the resumable upload into the bucket failed")?;
        println!("tus_s3_1x_8mib_patches_mb_s={:.0}", bytes / seconds / 1e6);
        println!(
            "tus_s3_1x_server_peak_rss_mib={:.1}",
            peak_kib as f64 / 1024.0
        );
        Ok(())
    })();
    let _ = std::fs::remove_file(&source);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// `mib` MiB of random bytes in RAM (`/dev/shm`), so reading them does not compete with the disk being
/// measured; the caller removes the file.
pub(crate) fn random_source(name: &str, mib: u64) -> anyhow::Result<std::path::PathBuf> {
    let source = Path::new("/dev/shm").join(format!("zegel-{name}-{}.bin", std::process::id()));
    run_cmd(Command::new("dd").args([
        "if=/dev/urandom",
        &format!("of={}", source.display()),
        "bs=1M",
        &format!("count={mib}"),
        "status=none",
    ]))?;
    Ok(source)
}

/// The reference: seconds for `dd` to write `source` into `dir` and flush it (`conv=fdatasync`), on the
/// disk the data directory is on.
pub(crate) fn dd_fdatasync_seconds(source: &Path, dir: &Path) -> anyhow::Result<f64> {
    let target = dir.join("dd.bin");
    let started = Instant::now();
    run_cmd(Command::new("dd").args([
        &format!("if={}", source.display()),
        &format!("of={}", target.display()),
        "bs=1M",
        "conv=fdatasync",
        "status=none",
    ]))?;
    let seconds = started.elapsed().as_secs_f64();
    std::fs::remove_file(&target)?;
    Ok(seconds)
}

/// Starts `zegel serve` and waits until it accepts connections on `port`.
pub(crate) fn start_server(mut serve: Command, port: u16) -> anyhow::Result<std::process::Child> {
    let mut server = serve.stdout(Stdio::null()).spawn()?;
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            let _ = server.kill();
            bail!("zegel did not start");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(server)
}

/// The peak resident set (VmHWM) of a process in KiB, 0 when unknown.
pub(crate) fn peak_rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .unwrap_or(0)
}

/// A minimal tus client over plain HTTP/1.1 (one connection per request), reading the file in 1 MiB
/// pieces so the client's own memory stays small.
pub(crate) struct Tus<'a> {
    pub(crate) port: u16,
    pub(crate) token: String,
    pub(crate) source: &'a Path,
    pub(crate) size: u64,
}

/// The size of every PATCH.
const PATCH_BYTES: u64 = 8 * 1024 * 1024;

impl Tus<'_> {
    /// Creates an upload, sends the file in 8 MiB PATCHes (each from the offset the last answer gave)
    /// and returns the upload's id.
    pub(crate) fn upload(&self) -> anyhow::Result<String> {
        let (status, headers) = self.request(
            "POST",
            "/api/v1/uploads",
            &[("Upload-Length", self.size.to_string())],
            None,
        )?;
        if status != 201 {
            bail!("creating the upload answered {status}");
        }
        let location = header(&headers, "location")?;
        let mut offset = 0;
        while offset < self.size {
            let len = PATCH_BYTES.min(self.size - offset);
            let (status, headers) = self.request(
                "PATCH",
                &location,
                &[
                    ("Content-Type", "application/offset+octet-stream".to_owned()),
                    ("Upload-Offset", offset.to_string()),
                ],
                Some((offset, len)),
            )?;
            if status != 204 {
                bail!("a PATCH at {offset} answered {status}");
            }
            offset = header(&headers, "upload-offset")?.parse()?;
        }
        Ok(location.trim_start_matches("/api/v1/uploads/").to_owned())
    }

    /// One request; the body is `len` bytes of the source file from `offset`. Returns the status and
    /// the headers (names in lower case).
    pub(crate) fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, String)],
        body: Option<(u64, u64)>,
    ) -> anyhow::Result<(u16, Vec<(String, String)>)> {
        use std::io::{Read, Seek, SeekFrom, Write};
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", self.port))?;
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\
             Authorization: Bearer {}\r\nTus-Resumable: 1.0.0\r\nContent-Length: {}\r\n",
            self.token,
            body.map_or(0, |(_, len)| len)
        );
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes())?;
        if let Some((offset, len)) = body {
            let mut file = std::fs::File::open(self.source)?;
            file.seek(SeekFrom::Start(offset))?;
            let mut buf = vec![0u8; 1 << 20];
            let mut left = len;
            while left > 0 {
                let n = (buf.len() as u64).min(left) as usize;
                file.read_exact(&mut buf[..n])?;
                stream.write_all(&buf[..n])?;
                left -= n as u64;
            }
        }
        let mut answer = String::new();
        stream.read_to_string(&mut answer)?;
        let mut lines = answer.split("\r\n");
        let status = lines
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|s| s.parse().ok())
            .context("no HTTP status line")?;
        let headers = lines
            .take_while(|l| !l.is_empty())
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        Ok((status, headers))
    }
}

fn header(headers: &[(String, String)], name: &str) -> anyhow::Result<String> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .with_context(|| format!("no {name} header"))
}

fn dlp() -> anyhow::Result<()> {
    dense_scan()?;
    println!("== dlp: the content filter on the development corpus ==");
    let corpus = root().join("../shared/dlp-corpus");
    if !corpus.exists() {
        bail!("the development corpus is expected at {}", corpus.display());
    }
    run_cmd(
        Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args([
                "run",
                "--quiet",
                "--release",
                "-p",
                "zegel-dlp",
                "--all-features",
                "--example",
                "corpus_eval",
                "--",
            ])
            .arg(&corpus)
            .current_dir(root()),
    )
}

/// Reading scans, on one core (`taskset -c 0`), release build: seconds per page rendered at A4 300 dpi
/// (3508 px long side) and read by Tesseract through `zegel scan`, next to pdftoppm and Tesseract alone on
/// the same pages; then the typical mail (a 3 KB body and one scanned 2-page PDF, as an EML) end to end.
fn ocr() -> anyhow::Result<()> {
    println!("== ocr: scanned pages through Tesseract, one core ==");
    let zegel = build_zegel(true)?;
    let scans = root().join("crates/zegel-dlp/tests/scans");
    let pdf = scans.join("scan-only.pdf");
    let one_core = |program: &Path| {
        let mut command = Command::new("taskset");
        command.args(["-c", "0"]).arg(program);
        command
    };
    let best_of = |runs: usize, mut run: Box<dyn FnMut() -> anyhow::Result<()>>| {
        let mut best = Duration::MAX;
        for _ in 0..runs {
            let started = Instant::now();
            run()?;
            best = best.min(started.elapsed());
        }
        anyhow::Ok(best)
    };
    let zegel_pages = {
        let pdf = pdf.clone();
        best_of(
            3,
            Box::new(move || {
                let out = one_core(&zegel)
                    .args(["scan", "--json"])
                    .arg(&pdf)
                    .env("ZEGEL_OCR", "tesseract")
                    .output()?;
                if !scanned(out.status) || !String::from_utf8_lossy(&out.stdout).contains("nl_bsn")
                {
                    bail!("zegel scan did not read the scanned PDF");
                }
                Ok(())
            }),
        )?
    };
    let reference = {
        let pdf = pdf.clone();
        best_of(
            3,
            Box::new(move || {
                for page in ["1", "2"] {
                    let page_image = one_core(Path::new("pdftoppm"))
                        .args(["-f", page, "-l", page, "-scale-to", "3508", "-gray"])
                        .arg(&pdf)
                        .output()?;
                    let mut tesseract = one_core(Path::new("tesseract"))
                        .args([
                            "stdin",
                            "stdout",
                            "-l",
                            "nld+swe+eng",
                            "--psm",
                            "3",
                            "--dpi",
                            "300",
                        ])
                        .env("OMP_THREAD_LIMIT", "1")
                        .stdin(Stdio::piped())
                        .stdout(Stdio::null())
                        .stderr(Stdio::null())
                        .spawn()?;
                    std::io::Write::write_all(
                        &mut tesseract.stdin.take().context("stdin")?,
                        &page_image.stdout,
                    )?;
                    tesseract.wait()?;
                }
                Ok(())
            }),
        )?
    };
    println!(
        "ocr_seconds_per_a4_page_300dpi={:.2} (zegel scan, sandboxed, best of 3)",
        zegel_pages.as_secs_f64() / 2.0
    );
    println!(
        "reference_pdftoppm_tesseract_seconds_per_page={:.2}",
        reference.as_secs_f64() / 2.0
    );

    // The typical mail: a 3 KB body and the scanned 2-page PDF as an attachment.
    let dir = target_dir().join("bench-ocr");
    std::fs::create_dir_all(&dir)?;
    let mail = dir.join("verwijzing.eml");
    let mut body = String::new();
    while body.len() < 3_000 {
        body.push_str("Geachte collega, hierbij stuur ik u de verwijzing van mevrouw Jansen met de gescande formulieren. ");
    }
    let attachment = std::fs::read(&pdf)?;
    let encoded: String = {
        use base64::Engine;
        let text = base64::engine::general_purpose::STANDARD.encode(&attachment);
        text.as_bytes()
            .chunks(76)
            .map(|line| format!("{}\r\n", String::from_utf8_lossy(line)))
            .collect()
    };
    std::fs::write(
        &mail,
        format!(
            "From: arts@zorg.example\r\nTo: huisarts@elders.example\r\nSubject: Verwijzing\r\n\
             MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
             --b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n\
             --b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"scan.pdf\"\r\n\
             Content-Transfer-Encoding: base64\r\n\r\n{encoded}--b--\r\n"
        ),
    )?;
    let zegel = build_zegel(true)?;
    let started = Instant::now();
    let out = one_core(&zegel)
        .args(["scan", "--json"])
        .arg(&mail)
        .env("ZEGEL_OCR", "tesseract")
        .output()?;
    let elapsed = started.elapsed();
    let text = String::from_utf8_lossy(&out.stdout);
    if !scanned(out.status) || !text.contains("nl_bsn") {
        bail!("zegel scan did not find the BSN on the scanned page of the mail: {text}");
    }
    println!(
        "typical_mail_3kb_body_2_page_scan_seconds={:.2} (one core, end to end)",
        elapsed.as_secs_f64()
    );
    Ok(())
}

/// Whether `zegel scan` ran through: 0, or 1 when the policy forces protection.
fn scanned(status: std::process::ExitStatus) -> bool {
    matches!(status.code(), Some(0 | 1))
}

/// `zegel scan` of a 200 MB text dense with identifiers (about 1.3 million findings): the whole
/// process's peak RSS (VmHWM, polled from /proc every millisecond) and throughput.
fn dense_scan() -> anyhow::Result<()> {
    println!("== dlp: zegel scan of a 200 MB text dense with identifiers ==");
    let size: usize = std::env::var("ZEGEL_BENCH_DLP_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200)
        * 1_000_000;
    let zegel = build_zegel(true)?;
    let dir = target_dir().join("bench-dlp");
    std::fs::create_dir_all(&dir)?;
    let file = dir.join("dense.txt");
    std::fs::write(&file, dense_text(size))?;

    let started = Instant::now();
    let mut child = Command::new(&zegel)
        .args(["scan", "--json", "--trigger", "Patiëntendossier"])
        .arg(&file)
        .stdout(Stdio::piped())
        .spawn()?;
    let pid = child.id();
    let mut stdout = child.stdout.take().context("piped stdout")?;
    let reader = std::thread::spawn(move || {
        let mut out = String::new();
        let _ = std::io::Read::read_to_string(&mut stdout, &mut out);
        out
    });
    let mut peak_kib = 0u64;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if let Some(kib) = std::fs::read_to_string(format!("/proc/{pid}/status"))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmHWM:"))
                    .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
            })
        {
            peak_kib = peak_kib.max(kib);
        }
        std::thread::sleep(Duration::from_millis(1));
    };
    let seconds = started.elapsed().as_secs_f64();
    let output = reader.join().unwrap_or_default();
    let _ = std::fs::remove_file(&file);
    if !scanned(status) {
        bail!("zegel scan failed: {status}");
    }
    let line: serde_json::Value =
        serde_json::from_str(output.trim()).context("zegel scan --json printed no JSON")?;
    let counted: u64 = line["counts"]
        .as_object()
        .map(|m| m.values().filter_map(serde_json::Value::as_u64).sum())
        .unwrap_or(0);
    let kept = line["findings"].as_array().map_or(0, Vec::len);
    println!("dense_bytes={size}");
    println!("dense_findings_counted={counted}");
    println!("dense_findings_kept={kept}");
    println!("dense_counts={}", line["counts"]);
    println!(
        "dense_peak_rss_mib={:.1} (limit 256)",
        peak_kib as f64 / 1024.0
    );
    println!(
        "dense_mb_s={:.0} (whole process, at least 100)",
        size as f64 / seconds / 1e6
    );
    Ok(())
}

/// About `size` bytes of a patient list: every line a distinct BSN with its keyword, every eighth an
/// IBAN too, now and then the trigger word (about one finding per 150 bytes).
fn dense_text(size: usize) -> Vec<u8> {
    use std::io::Write as _;
    let mut out = Vec::with_capacity(size + 256);
    let mut n: u64 = 10_000_000;
    let mut line = 0u64;
    while out.len() < size {
        // The next eight digits whose 11-proef check digit exists.
        let bsn = loop {
            n += 1;
            let digits: Vec<u64> = format!("{n:08}")
                .bytes()
                .map(|b| u64::from(b - b'0'))
                .collect();
            let sum: u64 = digits.iter().zip((2..=9).rev()).map(|(d, w)| d * w).sum();
            let check = sum % 11;
            if check < 10 {
                break format!("{n:08}{check}");
            }
        };
        line += 1;
        let _ = write!(
            out,
            "Patiënt {line:08}, BSN {bsn}: controle na zes weken op de polikliniek cardiologie, \
             de uitslag volgt per brief aan de huisarts en de patiënt zelf. "
        );
        if line.is_multiple_of(8) {
            let _ = write!(out, "Rekening NL91 ABNA 0417 1643 00.");
        }
        if line.is_multiple_of(50) {
            let _ = write!(out, " Patiëntendossier bijgewerkt.");
        }
        out.push(b'\n');
    }
    out
}

/// The compose pane: transfer size before the password step and time to a usable pane, in headless
/// Chromium against the real server (the driver is `tests/examples/pane_bench.rs`).
fn pane() -> anyhow::Result<()> {
    println!("== pane: the Outlook compose pane in headless Chromium ==");
    crate::deps::ensure_for_tests()?;
    let addin = crate::web::build()?;
    let zegel = build_zegel(false)?;
    for (file, what) in [
        ("pkg/zegel_web_bg.wasm", "pane wasm"),
        ("pkg/zegel-strength_bg.wasm", "strength wasm"),
    ] {
        println!(
            "{what}: {} KB gzipped",
            crate::web::transfer_size(&addin.join(file)) / 1024
        );
    }
    run_cmd(
        Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args([
                "run",
                "--quiet",
                "-p",
                "zegel-tests",
                "--example",
                "pane_bench",
            ])
            .current_dir(root())
            .env("ZEGEL_BIN", &zegel)
            .env("ZEGEL_TEST_ADDIN_DIR", &addin),
    )
}

/// The SMTP gateway: mails per second and p99 acceptance latency for clean and sensitive mail against the
/// release build (the driver is `tests/examples/gateway_bench.rs`; `ZEGEL_BENCH_CLEAN` and
/// `ZEGEL_BENCH_SENSITIVE` set the counts).
fn gateway() -> anyhow::Result<()> {
    let zegel = build_zegel(true)?;
    run_cmd(
        Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args([
                "run",
                "--quiet",
                "--release",
                "-p",
                "zegel-tests",
                "--example",
                "gateway_bench",
            ])
            .current_dir(root())
            .env("ZEGEL_BIN", &zegel),
    )?;
    crate::postfix_bench::compare(&zegel)
}
