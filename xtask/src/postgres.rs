//! A throwaway PostgreSQL cluster for the tests: `initdb` in a temporary directory, a free loopback
//! port, trust authentication, stopped and removed when dropped.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::deps::postgres_bin_dir;

/// A running cluster.
pub(crate) struct Cluster {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    as_postgres: bool,
}

impl Cluster {
    /// Creates and starts a cluster.
    pub(crate) fn start() -> anyhow::Result<Self> {
        let bin = postgres_bin_dir().context("PostgreSQL is not installed")?;
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let dir = std::env::temp_dir().join(format!("zegel-pg-{}-{port}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        // PostgreSQL refuses to run as root; then it runs as the postgres user, which must own the dir.
        let as_postgres = Command::new("id")
            .arg("-u")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")?;
        if as_postgres {
            crate::run_cmd(
                Command::new("chown")
                    .args(["-R", "postgres:postgres"])
                    .arg(&dir),
            )?;
        }
        let cluster = Self {
            bin,
            dir,
            port,
            as_postgres,
        };
        let data = cluster.dir.join("data");
        cluster.pg(
            "initdb",
            &[
                "-D",
                &data.display().to_string(),
                "-U",
                "postgres",
                "--auth=trust",
                "--no-sync",
                "-E",
                "UTF8",
                "--locale=C",
            ],
        )?;
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300",
            cluster.dir.display()
        );
        cluster.pg(
            "pg_ctl",
            &[
                "-D",
                &data.display().to_string(),
                "-o",
                &options,
                "-l",
                &cluster.dir.join("log").display().to_string(),
                "-w",
                "start",
            ],
        )?;
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                bail!(
                    "PostgreSQL did not start; see {}",
                    cluster.dir.join("log").display()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        eprintln!("xtask: PostgreSQL runs on 127.0.0.1:{port}");
        Ok(cluster)
    }

    fn pg(&self, tool: &str, args: &[&str]) -> anyhow::Result<()> {
        let program = self.bin.join(tool);
        let mut command = if self.as_postgres {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            Command::new(program)
        };
        command
            .args(args)
            .current_dir(&self.dir)
            .stdout(std::process::Stdio::null());
        crate::run_cmd(&mut command)
    }

    /// Creates the database `name` and returns its URL.
    pub(crate) fn create_database(&self, name: &str) -> anyhow::Result<String> {
        let port = self.port.to_string();
        self.pg(
            "psql",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &port,
                "-U",
                "postgres",
                "-q",
                "-c",
                &format!("CREATE DATABASE {name}"),
            ],
        )?;
        Ok(format!("postgres://postgres@127.0.0.1:{port}/{name}"))
    }

    /// A URL of the cluster's `postgres` database, from which tests create their own databases.
    pub(crate) fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data = self.dir.join("data").display().to_string();
        let _ = self.pg("pg_ctl", &["-D", &data, "-m", "immediate", "stop"]);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
