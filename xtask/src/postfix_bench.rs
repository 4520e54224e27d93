//! The gateway beside a stock Postfix relay, both fed by Postfix's own load generator in the same run:
//! `smtp-source` (8 sessions, 2,000 clean mails of 20 kB) against a private Postfix instance (its own
//! configuration, queue and port; relaying to `smtp-sink`) and against Zegel's SMTP gateway (relaying
//! to the same sink). The figure is mails accepted per second, each run twice.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::{run_cmd, target_dir};

const SESSIONS: &str = "8";
const MAILS: u32 = 2000;
const LENGTH: &str = "20480";
const SMTP_SOURCE: &str = "/usr/sbin/smtp-source";

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

fn wait_for_port(port: u16, what: &str) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            bail!("{what} did not listen on {port}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}

/// A child process killed when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A private Postfix instance; stopped when dropped.
struct Postfix {
    conf: String,
}

impl Postfix {
    /// Configures and starts Postfix on `port`, relaying everything from loopback to `sink`.
    fn start(dir: &Path, port: u16, sink: u16) -> anyhow::Result<Self> {
        let conf = dir.join("conf");
        for sub in ["conf", "queue", "data"] {
            std::fs::create_dir_all(dir.join(sub))?;
        }
        run_cmd(Command::new("chown").arg("postfix").arg(dir.join("data")))?;
        let d = dir.display();
        std::fs::write(
            conf.join("main.cf"),
            format!(
                "compatibility_level = 3.6\nqueue_directory = {d}/queue\ndata_directory = {d}/data\n\
                 mail_owner = postfix\nsetgid_group = postdrop\ninet_interfaces = 127.0.0.1\n\
                 inet_protocols = ipv4\nmyhostname = bench.localdomain\nmydestination =\n\
                 mynetworks = 127.0.0.0/8\nrelayhost = [127.0.0.1]:{sink}\n\
                 smtpd_relay_restrictions = permit_mynetworks, reject\nmaillog_file = /dev/stdout\n"
            ),
        )?;
        // Debian's services, unchrooted (the private queue has no chroot tree), with smtpd on `port`.
        let master: String = std::fs::read_to_string("/etc/postfix/master.cf")?
            .lines()
            .map(|line| {
                let fields: Vec<&str> = line.split_whitespace().collect();
                // Comments, continuation lines (indented) and short lines stay as they are.
                if line.starts_with(['#', ' ', '\t']) || fields.len() < 8 {
                    return format!("{line}\n");
                }
                if fields[0] == "smtp" && fields[1] == "inet" {
                    return format!("127.0.0.1:{port} inet n - n - - smtpd\n");
                }
                let mut fields = fields;
                if fields[4] == "y" || fields[4] == "-" {
                    fields[4] = "n";
                }
                format!("{}\n", fields.join(" "))
            })
            .collect();
        std::fs::write(conf.join("master.cf"), master)?;
        // Postfix runs a configuration other than the default only when the default one names it.
        let default = std::fs::read_to_string("/etc/postfix/main.cf").unwrap_or_default();
        let conf_text = conf.display().to_string();
        if !default.contains(&conf_text) {
            std::fs::write(
                "/etc/postfix/main.cf",
                format!("{default}\nalternate_config_directories = {conf_text}\n"),
            )?;
        }
        let postfix = Self { conf: conf_text };
        // Its log goes to standard output (no syslog here), which nobody reads.
        for step in ["check", "start"] {
            run_cmd(
                Command::new("postfix")
                    .args(["-c", &postfix.conf, step])
                    .stdout(Stdio::null()),
            )?;
        }
        wait_for_port(port, "Postfix")?;
        Ok(postfix)
    }
}

impl Drop for Postfix {
    fn drop(&mut self) {
        let _ = Command::new("postfix")
            .args(["-c", &self.conf, "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// `smtp-source` against `port`: mails accepted per second.
fn smtp_source(port: u16) -> anyhow::Result<f64> {
    let started = Instant::now();
    run_cmd(
        Command::new(SMTP_SOURCE)
            .args([
                "-s",
                SESSIONS,
                "-m",
                &MAILS.to_string(),
                "-l",
                LENGTH,
                "-f",
                "arts@zorg.example",
                "-t",
                "jan@extern.example",
            ])
            .arg(format!("127.0.0.1:{port}"))
            .stdout(Stdio::null()),
    )?;
    Ok(f64::from(MAILS) / started.elapsed().as_secs_f64())
}

/// Runs the comparison with the release `zegel` binary.
pub(crate) fn compare(zegel: &Path) -> anyhow::Result<()> {
    if !Path::new(SMTP_SOURCE).exists() {
        crate::deps::apt_install(&["postfix"])?;
    }
    println!(
        "== gateway beside Postfix: smtp-source, {SESSIONS} sessions, {MAILS} clean mails of {LENGTH} bytes, both relaying to smtp-sink =="
    );
    let dir = target_dir().join("bench-postfix");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let sink_port = free_port()?;
    let _sink = Running(
        Command::new("smtp-sink")
            // As root, it must be told whom to run as once it listens.
            .args(["-u", "postfix", &format!("127.0.0.1:{sink_port}"), "1024"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("smtp-sink starts")?,
    );
    wait_for_port(sink_port, "smtp-sink")?;
    let postfix_port = free_port()?;
    let postfix = Postfix::start(&dir.join("postfix"), postfix_port, sink_port)?;

    let (http, gateway) = (free_port()?, free_port()?);
    let env = [
        ("ZEGEL_DATA_DIR", dir.join("zegel").display().to_string()),
        ("ZEGEL_LISTEN", format!("127.0.0.1:{http}")),
        ("ZEGEL_SMTP_LISTEN", format!("127.0.0.1:{gateway}")),
        (
            "ZEGEL_SMTP_NEXT_HOP",
            format!("smtp://127.0.0.1:{sink_port}"),
        ),
        ("ZEGEL_LOG", "warn".to_owned()),
        ("ZEGEL_DEV", "1".to_owned()),
    ];
    let zegel_cmd = |args: &[&str]| {
        let mut command = Command::new(zegel);
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
            "zorg.example",
        ])
        .stdout(Stdio::null()),
    )?;
    let server = Running(crate::bench::start_server(zegel_cmd(&["serve"]), http)?);
    wait_for_port(gateway, "the gateway")?;

    for round in 1..=2 {
        let postfix_rate = smtp_source(postfix_port)?;
        let zegel_rate = smtp_source(gateway)?;
        println!("round_{round}_postfix_mails_s={postfix_rate:.0}");
        println!("round_{round}_zegel_gateway_mails_s={zegel_rate:.0}");
        println!(
            "round_{round}_zegel_vs_postfix={:.2}",
            zegel_rate / postfix_rate
        );
    }
    drop(server);
    drop(postfix);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
