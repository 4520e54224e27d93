//! Installs what the tests need when it is missing, so a fresh machine (and CI) needs nothing by hand.

use std::path::PathBuf;
use std::process::Command;

use anyhow::bail;

use crate::run_cmd;

/// The directory of PostgreSQL's server binaries, if installed.
pub(crate) fn postgres_bin_dir() -> Option<PathBuf> {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .map(|entry| entry.path().join("bin"))
        .filter(|bin| bin.join("initdb").exists() && bin.join("postgres").exists())
        .collect();
    versions.sort();
    versions.pop()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Installs Debian packages (with `apt-get update` first), as root or through sudo.
pub(crate) fn apt_install(packages: &[&str]) -> anyhow::Result<()> {
    eprintln!("xtask: installing {} from Debian", packages.join(", "));
    let sudo = !is_root();
    let apt = |args: &[&str]| {
        let mut command = if sudo {
            Command::new("sudo")
        } else {
            Command::new("apt-get")
        };
        if sudo {
            command.arg("apt-get");
        }
        command.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        command
    };
    run_cmd(&mut apt(&["update", "-q"]))?;
    let mut install = apt(&["install", "-y", "-q", "--no-install-recommends"]);
    install.args(packages);
    run_cmd(&mut install)
}

/// Everything `cargo xtask test` needs.
pub(crate) fn ensure_for_tests() -> anyhow::Result<()> {
    if postgres_bin_dir().is_none() {
        apt_install(&["postgresql"])?;
        if postgres_bin_dir().is_none() {
            bail!(
                "PostgreSQL was installed but its binaries are not under /usr/lib/postgresql/*/bin"
            );
        }
    }
    // The add-in's browser tests drive Debian's Chromium over WebDriver.
    let browser = ["/usr/bin/chromium", "/usr/bin/chromedriver"];
    if browser
        .iter()
        .any(|path| !std::path::Path::new(path).exists())
    {
        apt_install(&["chromium", "chromium-driver"])?;
        if let Some(missing) = browser
            .iter()
            .find(|path| !std::path::Path::new(path).exists())
        {
            bail!("chromium and chromium-driver were installed but {missing} is missing");
        }
    }
    // The content filter reads scans with Tesseract (Dutch, Swedish and English data) and renders PDF
    // pages with poppler's pdftoppm.
    let ocr = [
        "/usr/bin/tesseract",
        "/usr/bin/pdftoppm",
        "/usr/share/tesseract-ocr/5/tessdata/nld.traineddata",
        "/usr/share/tesseract-ocr/5/tessdata/swe.traineddata",
        "/usr/share/tesseract-ocr/5/tessdata/eng.traineddata",
    ];
    if ocr.iter().any(|path| !std::path::Path::new(path).exists()) {
        apt_install(&[
            "tesseract-ocr",
            "tesseract-ocr-nld",
            "tesseract-ocr-swe",
            "tesseract-ocr-eng",
            "poppler-utils",
        ])?;
        if let Some(missing) = ocr.iter().find(|path| !std::path::Path::new(path).exists()) {
            bail!("Tesseract and poppler-utils were installed but {missing} is missing");
        }
    }
    // Received files are scanned by ClamAV's daemon; the tests start their own with a test signature.
    if !std::path::Path::new(crate::clamd::CLAMD).exists() {
        apt_install(&["clamav-daemon"])?;
        if !std::path::Path::new(crate::clamd::CLAMD).exists() {
            bail!(
                "clamav-daemon was installed but {} is missing",
                crate::clamd::CLAMD
            );
        }
    }
    // The fault test runs several instances behind a real load balancer.
    if !std::path::Path::new(NGINX).exists() {
        apt_install(&["nginx"])?;
        if !std::path::Path::new(NGINX).exists() {
            bail!("nginx was installed but {NGINX} is missing");
        }
    }
    // The gateway's end-to-end test uses Python's smtplib as a second, independent SMTP client.
    if !has_python3() {
        apt_install(&["python3"])?;
        if !has_python3() {
            bail!("python3 was installed but does not run");
        }
    }
    Ok(())
}

/// The load balancer of the fault test (Debian's nginx).
pub(crate) const NGINX: &str = "/usr/sbin/nginx";

fn has_python3() -> bool {
    std::process::Command::new("python3")
        .arg("--version")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}
