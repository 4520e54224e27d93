//! `zegel`: the server binary and its administration commands.

use std::net::SocketAddr;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;
use zegel_server::config::Config;
use zegel_server::{admin, app, build_state, install_crypto_provider, outbox};

#[derive(Parser)]
#[command(name = "zegel", version, about = "Secure e-mail for Outlook: server and administration")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Starts the server (HTTP API, recipient portal, outbox worker).
    Serve,
    /// Prints the effective configuration, secrets masked.
    Config,
    /// Scans files for sensitive data with the content filter (`-` reads stdin).
    Scan {
        /// One JSON object per file and line.
        #[arg(long)]
        json: bool,
        /// A content-filter policy as JSON (default: the care organisation's day-one policy).
        #[arg(long)]
        policy: Option<String>,
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
    /// Reads a PDF from stdin and writes its text (the content filter's isolated PDF reader).
    #[command(hide = true)]
    ExtractPdf,
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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The content filter needs no configuration, database or runtime.
    match cli.command {
        Command::ExtractPdf => return ExitCode::from(zegel_server::scan::extract_pdf_child() as u8),
        Command::Scan { json, policy, triggers, activations, files } => {
            let args = zegel_server::cli_scan::ScanArgs { json, policy, triggers, activations, files };
            return ExitCode::from(zegel_server::cli_scan::run(args) as u8);
        }
        _ => {}
    }
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_env("ZEGEL_LOG").unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn")))
        .with_writer(std::io::stderr)
        .init();
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
    let config = Config::load()?;
    match command {
        Command::Config => {
            print!("{}", config.describe());
            Ok(())
        }
        Command::Serve => serve(config).await,
        Command::Scan { .. } | Command::ExtractPdf => unreachable!("handled before the runtime starts"),
        Command::Admin { command } => {
            let state = build_state(config).await?;
            match command {
                AdminCommand::Tenant { command: TenantCommand::Add { name, domains } } => {
                    let id = admin::add_tenant(&state, &name, &domains).await?;
                    println!("{id}");
                }
                AdminCommand::Token { email, days } => println!("{}", admin::token(&state, &email, days).await?),
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

async fn serve(config: Config) -> anyhow::Result<()> {
    let listen = config.listen;
    let state = build_state(config).await?;
    let base = state.config.base_url();
    let listener = tokio::net::TcpListener::bind(listen).await.map_err(|e| anyhow::anyhow!("cannot listen on {listen}: {e}"))?;
    let worker = outbox::spawn(state.clone());
    let dev = state.mailer.dev_mailbox().is_some();
    tracing::info!(%listen, "zegel is listening");
    println!("Zegel is running at {base}");
    println!("  health:      {base}/healthz");
    println!("  sender API:  {base}/api/v1/messages");
    if dev {
        println!("  dev mailbox: {base}/dev/mailbox");
    }
    let service = app(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, service).with_graceful_shutdown(shutdown_signal()).await?;
    worker.abort();
    Ok(())
}

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
