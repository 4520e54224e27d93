//! A throwaway ClamAV daemon for the tests: `clamd` on a free loopback port with a database of one test
//! signature (the EICAR test file; freshclam cannot reach ClamAV's mirrors here, and the tests need
//! only to know that a match is refused), stopped and removed when dropped.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// The clamd binary Debian's clamav-daemon installs.
pub(crate) const CLAMD: &str = "/usr/sbin/clamd";

/// A running clamd.
pub(crate) struct Clamd {
    child: Child,
    dir: PathBuf,
    port: u16,
}

impl Clamd {
    /// Writes the signature and the configuration and starts clamd; waits until it answers `PING`.
    pub(crate) fn start() -> anyhow::Result<Self> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let dir = std::env::temp_dir().join(format!("zegel-clamd-{}-{port}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("db"))?;
        // An extended (body) signature of the EICAR string, matched anywhere in any file.
        let eicar = [
            "X5O!P%@AP[4\\PZX54(P^)7CC)7}$",
            "EICAR-STANDARD-ANTIVIRUS-TEST-FILE!",
            "$H+H*",
        ]
        .concat();
        let hex: String = eicar.bytes().map(|b| format!("{b:02x}")).collect();
        std::fs::write(
            dir.join("db/zegel-test.ndb"),
            format!("Zegel.Test.EICAR:0:*:{hex}\n"),
        )?;
        let config = dir.join("clamd.conf");
        std::fs::write(
            &config,
            format!(
                "DatabaseDirectory {db}\nTCPSocket {port}\nTCPAddr 127.0.0.1\nForeground yes\n\
                 LogFile {log}\nStreamMaxLength 4000M\nMaxFileSize 4000M\nMaxScanSize 4000M\n",
                db = dir.join("db").display(),
                log = dir.join("clamd.log").display(),
            ),
        )?;
        let child = Command::new(CLAMD)
            .arg("-c")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot start clamd")?;
        let clamd = Self { child, dir, port };
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(90) {
            if clamd.pong() {
                return Ok(clamd);
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        let log = std::fs::read_to_string(clamd.dir.join("clamd.log")).unwrap_or_default();
        bail!("clamd did not answer PING within 90 s:\n{log}")
    }

    fn pong(&self) -> bool {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
        let mut reply = Vec::new();
        stream.write_all(b"zPING\0").is_ok()
            && stream.read_to_end(&mut reply).is_ok()
            && reply == b"PONG\0"
    }

    /// The address in `ZEGEL_CLAMD`'s form.
    pub(crate) fn address(&self) -> String {
        format!("tcp://127.0.0.1:{}", self.port)
    }
}

impl Drop for Clamd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
