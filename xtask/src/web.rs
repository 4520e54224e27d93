//! Builds the Outlook add-in's web part into `target/addin/`: the pane and the password-strength module
//! compiled for wasm32 and passed through wasm-bindgen-cli at exactly the version in Cargo.lock, the
//! static pages, icons and `launchevent.js`, and a `.gz` twin of every compressible file so the server
//! can send them compressed. Nothing is downloaded at build time except what cargo and rustup install.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

use crate::{cargo, root, run_cmd, target_dir};

const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// Where the built add-in files go (`ZEGEL_ADDIN_DIR` for the server).
pub(crate) fn dist_dir() -> PathBuf {
    target_dir().join("addin")
}

/// Builds everything under [`dist_dir`] and returns it.
pub(crate) fn build() -> anyhow::Result<PathBuf> {
    ensure_wasm_target()?;
    let wasm_bindgen = ensure_wasm_bindgen()?;
    run_cmd(cargo().args([
        "build",
        "--release",
        "--target",
        WASM_TARGET,
        "-p",
        "zegel-web",
    ]))?;
    let out = target_dir().join(WASM_TARGET).join("release");
    let dist = dist_dir();
    if dist.exists() {
        std::fs::remove_dir_all(&dist)
            .with_context(|| format!("cannot clear {}", dist.display()))?;
    }
    let pkg = dist.join("pkg");
    for wasm in [
        "zegel_web.wasm",
        "zegel-strength.wasm",
        "zegel-phone.wasm",
        "zegel-upload.wasm",
    ] {
        run_cmd(
            Command::new(&wasm_bindgen)
                .args(["--target", "web", "--no-typescript", "--out-dir"])
                .arg(&pkg)
                .arg(out.join(wasm)),
        )?;
    }
    copy_dir(&root().join("web/static"), &dist)?;
    std::fs::copy(
        root().join("web/launchevent.js"),
        dist.join("launchevent.js"),
    )
    .context("cannot copy launchevent.js")?;
    compress_all(&dist)?;
    Ok(dist)
}

fn ensure_wasm_target() -> anyhow::Result<()> {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .context("cannot run rustup")?;
    if !String::from_utf8_lossy(&installed.stdout)
        .lines()
        .any(|l| l.trim() == WASM_TARGET)
    {
        run_cmd(Command::new("rustup").args(["target", "add", WASM_TARGET]))?;
    }
    Ok(())
}

/// The version of `package` in Cargo.lock (the first entry of that name).
pub(crate) fn locked_version(package: &str) -> anyhow::Result<String> {
    let lock =
        std::fs::read_to_string(root().join("Cargo.lock")).context("cannot read Cargo.lock")?;
    let needle = format!("name = \"{package}\"\nversion = \"");
    let start = lock
        .find(&needle)
        .with_context(|| format!("{package} is not in Cargo.lock"))?
        + needle.len();
    let end = lock[start..].find('"').context("malformed Cargo.lock")?;
    Ok(lock[start..start + end].to_owned())
}

/// The wasm-bindgen CLI at the library's version, installed with cargo when missing or different.
fn ensure_wasm_bindgen() -> anyhow::Result<PathBuf> {
    let version = locked_version("wasm-bindgen")?;
    let cargo_bin = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .context("neither CARGO_HOME nor HOME is set")?
        .join("bin");
    let candidates = [
        PathBuf::from("wasm-bindgen"),
        cargo_bin.join("wasm-bindgen"),
    ];
    let matches = |binary: &Path| {
        Command::new(binary)
            .arg("--version")
            .output()
            .is_ok_and(|o| {
                String::from_utf8_lossy(&o.stdout).split_whitespace().nth(1)
                    == Some(version.as_str())
            })
    };
    if let Some(found) = candidates.iter().find(|c| matches(c)) {
        return Ok(found.clone());
    }
    eprintln!("xtask: installing wasm-bindgen-cli {version} (the version in Cargo.lock)");
    // `--locked` would ask for dependency versions this registry may lack; the CLI's own version is
    // what must match, and `=` pins it.
    run_cmd(
        Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())).args([
            "install",
            "--debug",
            "--bin",
            "wasm-bindgen",
            "wasm-bindgen-cli",
            "--version",
            &format!("={version}"),
        ]),
    )?;
    let installed = cargo_bin.join("wasm-bindgen");
    if !matches(&installed) {
        bail!(
            "{} does not report version {version} after installing",
            installed.display()
        );
    }
    Ok(installed)
}

fn copy_dir(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in
        std::fs::read_dir(from).with_context(|| format!("cannot read {}", from.display()))?
    {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)
                .with_context(|| format!("cannot copy {}", entry.path().display()))?;
        }
    }
    Ok(())
}

/// Writes `<file>.gz` next to every text and wasm file (PNGs are compressed already).
fn compress_all(dir: &Path) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            compress_all(&path)?;
            continue;
        }
        let compressible = matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("js" | "wasm" | "html" | "css" | "xml")
        );
        if compressible {
            let bytes = std::fs::read(&path)?;
            let mut encoder =
                flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            encoder.write_all(&bytes)?;
            let mut gz = path.clone().into_os_string();
            gz.push(".gz");
            std::fs::write(gz, encoder.finish()?)?;
        }
    }
    Ok(())
}

/// The gzipped size of `path` as the server sends it (its `.gz` twin, or the file itself).
pub(crate) fn transfer_size(path: &Path) -> u64 {
    let mut gz = path.as_os_str().to_owned();
    gz.push(".gz");
    std::fs::metadata(PathBuf::from(gz))
        .or_else(|_| std::fs::metadata(path))
        .map(|m| m.len())
        .unwrap_or(0)
}
