//! A throwaway S3-compatible server for the tests: `moto_server` (PyPI's `moto`, pinned) in a virtual
//! environment under the target directory, on a free loopback port; stopped when dropped. It speaks the
//! S3 HTTP API, multipart uploads and ranged reads included, and accepts any credentials.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::{run_cmd, target_dir};

/// The moto release the tests were written against.
const MOTO: &str = "moto[server]==5.2.6";

/// A running S3 API server.
pub(crate) struct Moto {
    child: Child,
    port: u16,
}

impl Moto {
    /// Installs moto when missing (Debian's `python3-venv`, then pip in the virtual environment) and
    /// starts it; waits until it listens.
    pub(crate) fn start() -> anyhow::Result<Self> {
        let venv = target_dir().join("moto-venv");
        let server = venv.join("bin/moto_server");
        if !server.exists() {
            eprintln!("xtask: installing {MOTO} from PyPI into {}", venv.display());
            let make_venv = || {
                Command::new("python3")
                    .args(["-m", "venv"])
                    .arg(&venv)
                    .stdout(Stdio::null())
                    .status()
                    .is_ok_and(|s| s.success())
            };
            if !make_venv() {
                crate::deps::apt_install(&["python3-venv"])?;
                let _ = std::fs::remove_dir_all(&venv);
                if !make_venv() {
                    bail!("python3 -m venv does not work even with python3-venv installed");
                }
            }
            run_cmd(
                Command::new(venv.join("bin/pip"))
                    .args(["install", "--quiet", "--disable-pip-version-check", MOTO])
                    .stdout(Stdio::null()),
            )
            .context("cannot install moto from PyPI")?;
        }
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let child = Command::new(&server)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot start moto_server")?;
        let moto = Self { child, port };
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if started.elapsed() > Duration::from_secs(60) {
                bail!("moto_server did not listen within 60 s");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        eprintln!("xtask: an S3 API server (moto) runs on 127.0.0.1:{port}");
        Ok(moto)
    }

    /// Creates the bucket `name` (moto takes an unsigned PUT) and answers its `ZEGEL_BLOBS` URL.
    pub(crate) fn create_bucket(&self, name: &str) -> anyhow::Result<String> {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", self.port))?;
        write!(
            stream,
            "PUT /{name} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.port
        )?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer)?;
        if !answer.starts_with("HTTP/1.1 200") {
            bail!("moto did not create the bucket {name}: {answer}");
        }
        Ok(format!(
            "s3://{name}/zegel?endpoint={}&path_style=true",
            self.endpoint()
        ))
    }

    /// Its endpoint, for `ZEGEL_TEST_S3_ENDPOINT`.
    pub(crate) fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
