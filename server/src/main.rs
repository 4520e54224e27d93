//! `zegel`: the server binary and its administration commands.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use zegel_server::config::Config;
use zegel_server::{admin, app, build_state, install_crypto_provider};

#[derive(Parser)]
#[command(
    name = "zegel",
    version,
    about = "Secure e-mail for Outlook: server and administration"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Starts the server (HTTP API, recipient portal, outbox worker).
    Serve {
        /// Development mode, like ZEGEL_DEV=1: the dev mailbox and dev SMS box may be used.
        #[arg(long)]
        dev: bool,
    },
    /// Prints the effective configuration, secrets masked.
    Config,
    /// Scans files for sensitive data with the content filter (`-` reads stdin). Exits with 1 when the
    /// policy forces protection for a file, 2 when a file or an option is wrong, else 0.
    Scan {
        /// One JSON object per file and line.
        #[arg(long)]
        json: bool,
        /// A file holding a content-filter policy in JSON (default: the care organisation's day-one
        /// policy).
        #[arg(long, value_name = "FILE")]
        policy: Option<String>,
        /// A recipient, to decide as for a message to them (repeat for more; without any, the files are
        /// judged as going outside the organisation).
        #[arg(long = "to", value_name = "EMAIL")]
        recipients: Vec<String>,
        /// A mail domain of the organisation: recipients there are internal (repeat for more).
        #[arg(long = "internal-domain", value_name = "DOMAIN")]
        internal_domains: Vec<String>,
        /// A trigger word (repeat for more).
        #[arg(long = "trigger")]
        triggers: Vec<String>,
        /// An activation word (repeat for more).
        #[arg(long = "activation")]
        activations: Vec<String>,
        /// Files to scan.
        #[arg(value_name = "FILE")]
        files: Vec<String>,
    },
    /// Reads a PDF from stdin and writes its pages as JSON (the content filter's isolated PDF reader).
    #[command(hide = true)]
    ExtractPdf,
    /// Runs PROGRAM under memory, CPU and file-size limits (the content filter's page renderer and OCR).
    #[command(hide = true)]
    Sandbox {
        /// Address space, in bytes.
        #[arg(long)]
        memory: u64,
        /// CPU time, in seconds.
        #[arg(long)]
        cpu: u64,
        /// The largest file it may write, in bytes.
        #[arg(long)]
        file_size: u64,
        /// The program.
        program: std::path::PathBuf,
        /// Its arguments.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Administration.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Tenants (organisations).
    Tenant {
        #[command(subcommand)]
        command: TenantCommand,
    },
    /// Prints a signed bearer token for a sender (stdout, nothing else).
    Token {
        /// The sender's address; its domain must belong to a tenant.
        #[arg(long)]
        email: String,
        /// Days the token stays valid.
        #[arg(long, default_value_t = 30)]
        days: i64,
    },
    /// Adds a key-encryption key and re-wraps every data key to it.
    RotateKek,
    /// Gives a user a role: `admin` (may change the tenant's settings) or `sender`.
    Grant {
        /// The user's address; its domain must belong to a tenant.
        #[arg(long)]
        email: String,
        /// `admin` or `sender`.
        #[arg(long)]
        role: String,
    },
    /// The audit trail.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// OpenID Connect issuers a tenant trusts for sign-in.
    Oidc {
        #[command(subcommand)]
        command: OidcCommand,
    },
}

#[derive(Subcommand)]
enum OidcCommand {
    /// Trusts an issuer for the tenant owning a domain (replaces an earlier entry for the issuer).
    Set {
        /// A mail domain of the tenant.
        #[arg(long)]
        domain: String,
        /// The issuer URL, exactly as in the tokens' `iss` (https, or http on loopback).
        #[arg(long)]
        issuer: String,
        /// The audience tokens must name (the client id registered with the issuer).
        #[arg(long)]
        audience: String,
        /// The claim holding the user's address: email, preferred_username, upn, ...
        #[arg(long, default_value = "email")]
        user_claim: String,
        /// The claim that makes an admin (a string or an array of strings).
        #[arg(long, requires = "admin_value")]
        admin_claim: Option<String>,
        /// The value in the admin claim that makes an admin (e.g. a group id or app role).
        #[arg(long, alias = "admin-group")]
        admin_value: Option<String>,
        /// A scope tokens must carry in `scp`, e.g. access_as_user for Office single sign-on (then ID
        /// tokens and tokens for other scopes do not sign in).
        #[arg(long)]
        scope: Option<String>,
    },
    /// Stops trusting an issuer.
    Remove {
        /// A mail domain of the tenant.
        #[arg(long)]
        domain: String,
        /// The issuer URL.
        #[arg(long)]
        issuer: String,
    },
    /// Lists the issuers a tenant trusts.
    List {
        /// A mail domain of the tenant.
        #[arg(long)]
        domain: String,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recomputes the hash chain; names the first broken entry and exits non-zero when it is broken.
    Verify,
}

#[derive(Subcommand)]
enum TenantCommand {
    /// Creates a tenant owning one or more mail domains.
    Add {
        /// The organisation's name.
        #[arg(long)]
        name: String,
        /// A mail domain the tenant owns (repeat for more).
        #[arg(long = "domain", required = true)]
        domains: Vec<String>,
    },
    /// Lets a tenant choose link expiries up to more (or fewer) days than the default maximum of 14.
    AllowExpiry {
        /// A mail domain of the tenant.
        #[arg(long)]
        domain: String,
        /// The longest expiry its admins may set, in days.
        #[arg(long)]
        days: u32,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The content filter needs no configuration, database or runtime.
    match cli.command {
        Command::ExtractPdf => {
            return ExitCode::from(zegel_service::scan::extract_pdf_child() as u8);
        }
        Command::Sandbox {
            memory,
            cpu,
            file_size,
            program,
            args,
        } => {
            let limits = zegel_service::scan::ChildLimits {
                memory,
                cpu_seconds: cpu,
                file_size,
            };
            return ExitCode::from(
                zegel_service::scan::sandbox_child(limits, &program, &args) as u8
            );
        }
        Command::Scan {
            json,
            policy,
            recipients,
            internal_domains,
            triggers,
            activations,
            files,
        } => {
            let args = zegel_server::cli_scan::ScanArgs {
                json,
                policy,
                recipients,
                internal_domains,
                triggers,
                activations,
                files,
            };
            return ExitCode::from(zegel_server::cli_scan::run(args) as u8);
        }
        _ => {}
    }
    zegel_server::log::init();
    install_crypto_provider();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> anyhow::Result<()> {
    let dev = matches!(command, Command::Serve { dev: true });
    let config = Config::load_with_dev(dev)?;
    match command {
        Command::Config => {
            print!("{}", config.describe());
            Ok(())
        }
        Command::Serve { .. } => serve(config).await,
        Command::Scan { .. } | Command::ExtractPdf | Command::Sandbox { .. } => {
            unreachable!("handled before the runtime starts")
        }
        Command::Admin { command } => {
            let state = build_state(config).await?;
            match command {
                AdminCommand::Tenant {
                    command: TenantCommand::Add { name, domains },
                } => {
                    let id = admin::add_tenant(&state, &name, &domains).await?;
                    println!("{id}");
                }
                AdminCommand::Token { email, days } => {
                    println!("{}", admin::token(&state, &email, days).await?)
                }
                AdminCommand::Tenant {
                    command: TenantCommand::AllowExpiry { domain, days },
                } => {
                    admin::allow_expiry(&state, &domain, days).await?;
                    eprintln!(
                        "the tenant owning {domain} may now set link expiries up to {days} days"
                    );
                }
                AdminCommand::Grant { email, role } => {
                    admin::grant(&state, &email, &role).await?;
                    eprintln!("{email} is now {role}");
                }
                AdminCommand::Oidc { command } => match command {
                    OidcCommand::Set {
                        domain,
                        issuer,
                        audience,
                        user_claim,
                        admin_claim,
                        admin_value,
                        scope,
                    } => {
                        let trust = admin::OidcTrust {
                            domain,
                            issuer,
                            audience,
                            user_claim,
                            admin_claim,
                            admin_value,
                            scope,
                        };
                        admin::oidc_set(&state, &trust).await?;
                        eprintln!(
                            "the tenant owning {} now trusts {}",
                            trust.domain, trust.issuer
                        );
                    }
                    OidcCommand::Remove { domain, issuer } => {
                        admin::oidc_remove(&state, &domain, &issuer).await?
                    }
                    OidcCommand::List { domain } => {
                        for line in admin::oidc_list(&state, &domain).await? {
                            println!("{line}");
                        }
                    }
                },
                AdminCommand::Audit {
                    command: AuditCommand::Verify,
                } => {
                    let report = zegel_store::audit::verify(&state.db).await?;
                    if let Some(broken) = report.broken {
                        anyhow::bail!(
                            "the audit chain is broken after {} good entries: {}",
                            report.entries,
                            broken.reason
                        );
                    }
                    println!(
                        "the audit chain is whole: {} entries, head {}",
                        report.entries, report.head_hash
                    );
                }
                AdminCommand::RotateKek => {
                    let report = admin::rotate_kek(&state).await?;
                    eprintln!(
                        "added KEK {}; re-wrapped {} data keys, {} sealed fields, {} blob headers",
                        report.new_kek_id, report.data_keys, report.fields, report.blobs
                    );
                }
            }
            Ok(())
        }
    }
}

/// The SQLite database file `zegel serve` would use, if it uses one.
fn sqlite_file(config: &Config) -> Option<std::path::PathBuf> {
    use secrecy::ExposeSecret;
    match &config.database_url {
        None => Some(zegel_store::Db::sqlite_file(&config.data_dir)),
        Some(url) => {
            let url = url.expose_secret();
            let rest = url
                .strip_prefix("sqlite://")
                .or_else(|| url.strip_prefix("sqlite:"))?;
            let path = rest.split('?').next().unwrap_or_default();
            (!path.is_empty() && !path.contains(":memory:")).then(|| path.into())
        }
    }
}

/// Holds an exclusive lock beside a SQLite database for as long as this `zegel serve` runs: SQLite is
/// the single-instance default, and a second server on the same file would claim the same outbox jobs
/// and run the same sweeps. The kernel drops the lock with the process, even after `kill -9`.
fn lock_single_instance(config: &Config) -> anyhow::Result<Option<std::fs::File>> {
    let Some(database) = sqlite_file(config) else {
        return Ok(None);
    };
    let path = std::path::PathBuf::from(format!("{}.serve-lock", database.display()));
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| anyhow::anyhow!("cannot open {}: {e}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(std::fs::TryLockError::WouldBlock) => anyhow::bail!(
            "another zegel serve already uses the SQLite database {}: SQLite runs one instance; \
             several instances share a PostgreSQL database (ZEGEL_DATABASE_URL)",
            database.display()
        ),
        Err(std::fs::TryLockError::Error(e)) => {
            anyhow::bail!("cannot lock {}: {e}", path.display())
        }
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let listen = config.listen;
    // Held until the process ends.
    let _single = lock_single_instance(&config)?;
    let state = build_state(config).await?;
    let base = state.config.base_url();
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {listen}: {e}"))?;
    let gateway = zegel_gateway::spawn(state.gateway()).await?;
    let outbox = state.outbox();
    let stopping = outbox.stopping.clone();
    let worker = zegel_outbox::spawn(outbox);
    let maintenance = zegel_service::delivery::spawn_maintenance(state.services.clone());
    zegel_service::requests::spawn_scan_retries(state.services.clone(), state.config.scan_retry);
    let dev = state.mailer.dev_mailbox().is_some();
    tracing::info!(%listen, "zegel is listening");
    println!("Zegel is running at {base}");
    println!("  health:      {base}/healthz");
    println!("  sender API:  {base}/api/v1/messages");
    if let Some(smtp) = state.config.gateway.listen {
        println!("  SMTP gateway: {smtp}");
    }
    if dev {
        println!("  dev mailbox: {base}/dev/mailbox");
    }
    if state.sms.dev_box().is_some() {
        println!("  dev SMS:     {base}/dev/sms");
    }
    let limits = state.config.http.clone();
    let wakeup = state.outbox_wakeup.clone();
    zegel_server::http_server::serve(listener, app(state), limits, shutdown_signal()).await;
    // The outbox finishes the sends under way and hands back what it claimed but did not start, so
    // another instance takes those at once instead of after the lease.
    stopping.store(true, std::sync::atomic::Ordering::SeqCst);
    wakeup.notify_one();
    let mut worker = worker;
    if tokio::time::timeout(OUTBOX_GRACE, &mut worker)
        .await
        .is_err()
    {
        worker.abort();
    }
    maintenance.abort();
    if let Some(gateway) = gateway {
        gateway.abort();
    }
    Ok(())
}

/// How long a shutting-down instance waits for the sends under way.
const OUTBOX_GRACE: std::time::Duration = std::time::Duration::from_secs(20);

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
}
