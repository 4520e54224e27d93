//! `cargo xtask`: build, run, test and bench orchestration for Zegel, in Rust rather than shell.
//!
//! - `cargo xtask run`: builds the server and starts it on the embedded default (SQLite, local files,
//!   the built-in dev mailbox), with a demo tenant and a printed sender token.
//! - `cargo xtask test`: installs what the tests need when missing (PostgreSQL, Chromium and ChromeDriver
//!   from Debian), builds the add-in's web part, starts a throwaway PostgreSQL cluster, and runs every
//!   test of the workspace against SQLite and PostgreSQL, plus `launchevent.js`'s tests under Node. It
//!   first runs the lint gate, so CI fails on unformatted code or a clippy warning.
//! - `cargo xtask lint`: the lint gate alone: `cargo fmt --all --check`, then
//!   `cargo clippy --workspace --all-targets -- -D warnings`.
//! - `cargo xtask bench [crypto|upload|dlp|ocr|pane|gateway|cluster]`: prints the figures the issues ask for.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{Context, bail};

/// Benchmarks.
mod bench;
/// A throwaway ClamAV daemon for the tests.
mod clamd;
/// `bench cluster`: several instances behind nginx.
mod cluster_bench;
/// Installing missing system packages and toolchain parts.
mod deps;
/// A throwaway S3 API server.
mod moto;
/// `bench gateway`'s reference: a private Postfix fed by `smtp-source`.
mod postfix_bench;
/// A throwaway PostgreSQL cluster.
mod postgres;
/// Building the Outlook add-in's web part (wasm32 pane, static files).
mod web;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("run") => run(&args[1..]),
        Some("test") => test(&args[1..]),
        Some("lint") => lint(),
        Some("bench") => bench::main(&args[1..]),
        Some("web") => {
            web::build().map(|dir| println!("the add-in's web part is in {}", dir.display()))
        }
        _ => {
            eprintln!("usage: cargo xtask <run|test|lint|web|bench> [args]\n");
            eprintln!("  run               build and start the server on the embedded default");
            eprintln!(
                "  test [filter]     the lint gate, then install what tests need and run every test (SQLite and PostgreSQL)"
            );
            eprintln!(
                "  lint              cargo fmt --check and cargo clippy -D warnings on the workspace"
            );
            eprintln!("  web               build the Outlook add-in's web part into target/addin");
            eprintln!(
                "  bench [what]      print benchmark figures: crypto, upload, dlp, ocr, pane, gateway, cluster (default: all)"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("xtask: error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_owned()
}

/// Runs a command, failing with its name when it fails.
pub fn run_cmd(command: &mut Command) -> anyhow::Result<()> {
    let status = command
        .status()
        .with_context(|| format!("cannot start {command:?}"))?;
    if !status.success() {
        bail!("{command:?} failed with {status}");
    }
    Ok(())
}

fn cargo() -> Command {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()));
    command.current_dir(root());
    command
}

/// Builds the `zegel` binary (debug or release) and returns its path.
pub fn build_zegel(release: bool) -> anyhow::Result<PathBuf> {
    let mut command = cargo();
    command.args(["build", "-p", "zegel-server", "--bin", "zegel"]);
    if release {
        command.arg("--release");
    }
    run_cmd(&mut command)?;
    Ok(target_dir()
        .join(if release { "release" } else { "debug" })
        .join("zegel"))
}

/// The cargo target directory.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
}

fn run(args: &[String]) -> anyhow::Result<()> {
    if !args.is_empty() {
        bail!(
            "`cargo xtask run` takes no arguments; configure with ZEGEL_* variables or zegel.toml"
        );
    }
    let addin_dir = web::build()?;
    let zegel = build_zegel(false)?;
    // A demo tenant so a newcomer can send at once; adding it again fails harmlessly.
    let domain = std::env::var("ZEGEL_DEMO_DOMAIN").unwrap_or_else(|_| "example.com".to_owned());
    // Development mode (the dev mailbox and SMS box) unless the caller configured otherwise.
    let dev = std::env::var("ZEGEL_DEV").unwrap_or_else(|_| "1".to_owned());
    let _ = Command::new(&zegel)
        .args([
            "admin", "tenant", "add", "--name", "Demo", "--domain", &domain,
        ])
        .env("ZEGEL_DEV", &dev)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status();
    let sender = format!("demo@{domain}");
    let token = Command::new(&zegel)
        .args(["admin", "token", "--email", &sender])
        .env("ZEGEL_DEV", &dev)
        .output()
        .context("cannot run zegel")?;
    if token.status.success() {
        println!(
            "Sender token for {sender} (valid 30 days):\n{}",
            String::from_utf8_lossy(&token.stdout).trim()
        );
        println!(
            "Try: curl -H \"Authorization: Bearer $TOKEN\" -F 'meta={{\"subject\":\"Hallo\",\"body_text\":\"Test\",\"kind\":\"secure_message\",\"recipients\":[{{\"email\":\"jan@example.nl\"}}],\"auth\":{{\"level\":\"1fa\"}}}}' http://127.0.0.1:8080/api/v1/messages\n"
        );
    }
    println!(
        "Outlook add-in manifest: <public URL>/addin/manifest.xml (see README, \"Sideloading the add-in\")\n"
    );
    let mut serve = Command::new(&zegel);
    serve.arg("serve").env("ZEGEL_DEV", &dev);
    // The server serves the pane from the fresh build unless the caller chose a directory.
    if std::env::var_os("ZEGEL_ADDIN_DIR").is_none() {
        serve.env("ZEGEL_ADDIN_DIR", &addin_dir);
    }
    let status = serve.status().context("cannot start zegel serve")?;
    if !status.success() {
        bail!("zegel serve exited with {status}");
    }
    Ok(())
}

/// The lint gate: formatting, then clippy with every warning an error. `--workspace` includes the pane
/// (`web/`, not a default member), checked for the host: its code has no wasm32-only parts, so a second
/// clippy run for `wasm32-unknown-unknown` would see the same code.
fn lint() -> anyhow::Result<()> {
    run_cmd(cargo().args(["fmt", "--all", "--check"]))
        .context("the code is not formatted: run `cargo fmt --all`")?;
    run_cmd(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))
    .context(
        "clippy found warnings (denied): fix them, or allow one where it is wrong, with a comment",
    )?;
    Ok(())
}

fn test(args: &[String]) -> anyhow::Result<()> {
    lint()?;
    deps::ensure_for_tests()?;
    let addin_dir = web::build()?;
    run_cmd(
        Command::new("node")
            .args(["--test", "web/tests/"])
            .current_dir(root()),
    )?;
    // The pane's unit tests (state, phone numbers, texts, API shapes) are plain logic: this one explicit
    // run builds zegel-web for the host; the workspace run below leaves it out.
    run_cmd(cargo().args(["test", "-p", "zegel-web", "--lib"]))?;
    let cluster =
        postgres::Cluster::start().context("cannot start a throwaway PostgreSQL cluster")?;
    let clamd = clamd::Clamd::start().context("cannot start a throwaway clamd")?;
    let s3 = moto::Moto::start().context("cannot start a throwaway S3 API server")?;
    let zegel = build_zegel(false)?;
    let mut command = cargo();
    // The workspace's default members: everything but the wasm32-only pane, which `web::build` compiled.
    command
        .args(["test", "--no-fail-fast"])
        .env("ZEGEL_TEST_ADDIN_DIR", &addin_dir)
        .env("ZEGEL_TEST_POSTGRES_URL", cluster.url())
        .env("ZEGEL_TEST_REQUIRE_POSTGRES", "1")
        .env("ZEGEL_TEST_CLAMD", clamd.address())
        .env("ZEGEL_TEST_REQUIRE_CLAMD", "1")
        .env("ZEGEL_TEST_S3_ENDPOINT", s3.endpoint())
        .env("ZEGEL_TEST_REQUIRE_S3", "1")
        .env("ZEGEL_BIN", &zegel);
    let filters: Vec<&String> = args.iter().filter(|a| a.as_str() != "--").collect();
    if !filters.is_empty() {
        command.arg("--").args(filters);
    }
    let result = run_cmd(&mut command);
    drop(s3);
    drop(clamd);
    drop(cluster);
    result
}
