//! The SMTP gateway inside `zegel serve` (`ZEGEL_SMTP_LISTEN`): the organisation's mail server uses it as
//! its outbound smart host. Commands are parsed by `smtp-proto` (Stalwart's parser), DATA is received
//! (dot-unstuffed) by its `DataReceiver`, STARTTLS is `tokio-rustls`. Relaying is allowed from
//! `ZEGEL_SMTP_RELAY_NETWORKS` or after AUTH PLAIN/LOGIN over TLS (user = the sender address, password =
//! a `zgl1.` sender token); everyone else gets `550 5.7.1 relaying denied` at RCPT. What happens to an
//! accepted mail is [`accept`]; relay jobs and bounces are [`relay`].
//!
//! Limits: `ZEGEL_SMTP_MAX_SIZE` (SIZE, `552`), `ZEGEL_SMTP_MAX_RECIPIENTS` (`452`), command lines of
//! 4 KiB (`smtp_proto::request::receiver::MAX_LINE_LENGTH`), five minutes per command, ten for DATA,
//! [`MAX_CONNECTIONS`] at once and `ZEGEL_SMTP_MAX_CONNECTIONS_PER_IP` from one address, [`DATA_BUDGET_KIB`] of DATA in memory across sessions (`452` past it),
//! and a connection is closed after [`MAX_ERRORS`] bad commands.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use smtp_proto::request::receiver::{DataReceiver, RequestReceiver};
use smtp_proto::{EhloResponse, Error as ProtoError, Request};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;

use zegel_service::Services;

/// What happens to a received mail.
pub mod accept;
mod config;
pub use accept::{Envelope, Reply};
pub use config::{Cidr, GatewayConfig};

/// What the gateway works with: the services, and its own settings (`ZEGEL_SMTP_*`).
#[derive(Clone, Debug)]
pub struct GatewayState {
    /// The rules and the infrastructure.
    pub services: Services,
    /// The gateway's settings.
    pub config: Arc<GatewayConfig>,
}

impl std::ops::Deref for GatewayState {
    type Target = Services;

    fn deref(&self) -> &Services {
        &self.services
    }
}

/// Connections served at once; more get `421`.
pub const MAX_CONNECTIONS: usize = 200;
/// Bad commands before a connection is closed.
pub const MAX_ERRORS: u32 = 20;
/// KiB of DATA all sessions together may hold in memory; a mail that would go past it gets `452` (the
/// sending server retries later) instead of the process running out of memory.
pub const DATA_BUDGET_KIB: u32 = 1024 * 1024;
/// Failed AUTH attempts before a connection is closed.
const MAX_AUTH_FAILURES: u32 = 3;
const MAX_LINE: usize = smtp_proto::request::receiver::MAX_LINE_LENGTH;
const COMMAND_TIMEOUT: Duration = Duration::from_secs(300);
const DATA_TIMEOUT: Duration = Duration::from_secs(600);
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// Loads the STARTTLS certificate and key, when configured.
pub fn tls_acceptor(state: &GatewayState) -> anyhow::Result<Option<TlsAcceptor>> {
    use anyhow::Context as _;
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let gateway = &state.config;
    let (Some(cert), Some(key)) = (&gateway.tls_cert, &gateway.tls_key) else {
        return Ok(None);
    };
    let certs = CertificateDer::pem_file_iter(cert)
        .with_context(|| format!("cannot read {}", cert.display()))?
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("{} holds no valid PEM certificate", cert.display()))?;
    let key = PrivateKeyDer::from_pem_file(key)
        .with_context(|| format!("{} holds no PEM private key", key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?;
    let builder = if gateway.relay_cert_names.is_empty() {
        builder.with_no_client_auth()
    } else {
        // A client certificate is asked for, not required: other clients relay by network or AUTH.
        let mut roots = rustls::RootCertStore::empty();
        match &gateway.client_ca {
            Some(ca) => {
                for cert in CertificateDer::pem_file_iter(ca)
                    .with_context(|| format!("cannot read {}", ca.display()))?
                {
                    roots
                        .add(cert.with_context(|| {
                            format!("{} holds a bad PEM certificate", ca.display())
                        })?)
                        .with_context(|| {
                            format!("{} holds an unusable CA certificate", ca.display())
                        })?;
                }
            }
            None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        }
        let verifier =
            rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .allow_unauthenticated()
                .build()
                .context("cannot set up client certificate checks")?;
        builder.with_client_cert_verifier(verifier)
    };
    let config = builder
        .with_single_cert(certs, key)
        .context("the STARTTLS certificate and key do not match")?;
    Ok(Some(TlsAcceptor::from(Arc::new(config))))
}

/// The configured name a verified client certificate carries (as a DNS subject alternative name), if
/// any. The chain was verified by the TLS handshake; this checks the name.
fn client_cert_name(
    certs: Option<&[rustls::pki_types::CertificateDer<'_>]>,
    names: &[String],
) -> Option<String> {
    let end_entity = certs?.first()?;
    let parsed = rustls::server::ParsedCertificate::try_from(end_entity).ok()?;
    names
        .iter()
        .find(|name| {
            rustls::pki_types::ServerName::try_from(name.as_str()).is_ok_and(|server_name| {
                rustls::client::verify_server_name(&parsed, &server_name).is_ok()
            })
        })
        .cloned()
}

/// Serves SMTP on `listener` until the task is dropped.
pub async fn serve(state: GatewayState, listener: TcpListener) -> anyhow::Result<()> {
    serve_with_budget(state, listener, DATA_BUDGET_KIB).await
}

/// [`serve`] with another DATA memory budget (KiB), for tests.
pub async fn serve_with_budget(
    state: GatewayState,
    listener: TcpListener,
    budget_kib: u32,
) -> anyhow::Result<()> {
    let tls = tls_acceptor(&state)?;
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let per_ip = zegel_service::per_ip::PerIpLimit::new(state.config.max_connections_per_ip);
    let budget = Arc::new(Semaphore::new(budget_kib as usize));
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                tracing::warn!(error = %error, "gateway: accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let state = state.clone();
        let tls = tls.clone();
        let slots = slots.clone();
        let budget = budget.clone();
        let per_ip = per_ip.clone();
        tokio::spawn(async move {
            let mut stream: Box<dyn Io> = Box::new(stream);
            // One address gets a few slots only, so it cannot take the ones everyone else needs.
            let Some(_slot) = per_ip.try_acquire(peer.ip()) else {
                let _ = stream
                    .write_all(
                        b"421 4.7.0 too many connections from your address, try again later\r\n",
                    )
                    .await;
                return;
            };
            let Ok(_permit) = slots.try_acquire() else {
                let _ = stream
                    .write_all(b"421 4.7.0 too many connections, try again later\r\n")
                    .await;
                return;
            };
            let mut session = Session::new(state, peer.ip(), tls, budget);
            if let Err(error) = session.run(stream).await {
                tracing::debug!(error = %error, "gateway: connection ended");
            }
        });
    }
}

/// Binds `ZEGEL_SMTP_LISTEN` and serves in a task, when configured.
pub async fn spawn(state: GatewayState) -> anyhow::Result<Option<tokio::task::JoinHandle<()>>> {
    let Some(listen) = state.config.listen else {
        return Ok(None);
    };
    let listener = TcpListener::bind(listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen for SMTP on {listen}: {e}"))?;
    // Fail at start, not at the first STARTTLS, when the certificate is unusable.
    tls_acceptor(&state)?;
    tracing::info!(%listen, "SMTP gateway is listening");
    Ok(Some(tokio::spawn(async move {
        if let Err(error) = serve(state, listener).await {
            tracing::error!(error = format!("{error:#}"), "SMTP gateway stopped");
        }
    })))
}

/// Bytes read but not consumed yet.
#[derive(Default)]
struct Input {
    buf: Vec<u8>,
    pos: usize,
}

impl Input {
    fn rest(&self) -> &[u8] {
        &self.buf[self.pos..]
    }

    fn consume(&mut self, n: usize) {
        self.pos += n;
        if self.pos >= self.buf.len() {
            self.buf.clear();
            self.pos = 0;
        }
    }

    /// Reads more; `Ok(false)` at end of stream.
    async fn fill(&mut self, stream: &mut Box<dyn Io>, wait: Duration) -> std::io::Result<bool> {
        let mut chunk = [0u8; 16 * 1024];
        let n = tokio::time::timeout(wait, stream.read(&mut chunk))
            .await
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "timeout"))??;
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(n > 0)
    }
}

struct Session {
    state: GatewayState,
    ip: IpAddr,
    tls_acceptor: Option<TlsAcceptor>,
    budget: Arc<Semaphore>,
    tls: bool,
    /// The configured certificate name the client proved over TLS.
    cert_name: Option<String>,
    helo: bool,
    user: Option<zegel_store::tenants::User>,
    from: Option<Envelope>,
    errors: u32,
    auth_failures: u32,
    hostname: String,
}

enum Next {
    Continue,
    Close,
    StartTls,
}

fn reply(code: u16, esc: [u8; 3], text: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let _ = smtp_proto::Response::new(code, esc[0], esc[1], esc[2], text).write(&mut out);
    out
}

impl Session {
    fn new(
        state: GatewayState,
        ip: IpAddr,
        tls_acceptor: Option<TlsAcceptor>,
        budget: Arc<Semaphore>,
    ) -> Self {
        let hostname = state
            .site
            .public_url
            .host_str()
            .unwrap_or("zegel")
            .to_owned();
        Self {
            state,
            ip,
            tls_acceptor,
            budget,
            tls: false,
            cert_name: None,
            helo: false,
            user: None,
            from: None,
            errors: 0,
            auth_failures: 0,
            hostname,
        }
    }

    /// Whether the client may relay without AUTH: from a trusted network, or from a shared network
    /// (Exchange Online's) with a client certificate of a configured name.
    fn relay_network(&self) -> bool {
        let gateway = &self.state.config;
        gateway.relay_networks.iter().any(|n| n.contains(self.ip))
            || (self.cert_name.is_some()
                && gateway
                    .relay_cert_networks
                    .iter()
                    .any(|n| n.contains(self.ip)))
    }

    async fn run(&mut self, mut stream: Box<dyn Io>) -> std::io::Result<()> {
        let greeting = format!("220 {} Zegel ESMTP\r\n", self.hostname);
        stream.write_all(greeting.as_bytes()).await?;
        let mut input = Input::default();
        let mut receiver = RequestReceiver::default();
        loop {
            let rest = input.rest();
            // The parser limits lines it buffers itself; a long line that arrived whole is caught here.
            if rest.len() > MAX_LINE && !rest[..MAX_LINE].contains(&b'\n') {
                stream
                    .write_all(&reply(500, [5, 5, 2], "line too long, closing"))
                    .await?;
                return Ok(());
            }
            let mut iter = rest.iter();
            let parsed = receiver.ingest(&mut iter).map(|r| r.into_owned());
            let consumed = rest.len() - iter.as_slice().len();
            input.consume(consumed);
            let request = match parsed {
                Ok(request) => request,
                Err(ProtoError::NeedsMoreData { .. }) => {
                    match input.fill(&mut stream, COMMAND_TIMEOUT).await {
                        Ok(true) => continue,
                        Ok(false) => return Ok(()),
                        Err(error) => {
                            let _ = stream
                                .write_all(b"421 4.4.2 timeout, closing the connection\r\n")
                                .await;
                            return Err(error);
                        }
                    }
                }
                Err(ProtoError::ResponseTooLong) => {
                    stream
                        .write_all(&reply(500, [5, 5, 2], "line too long, closing"))
                        .await?;
                    return Ok(());
                }
                Err(error) => {
                    stream.write_all(&parse_error(&error)).await?;
                    self.errors += 1;
                    if self.errors >= MAX_ERRORS {
                        stream
                            .write_all(b"421 4.7.0 too many errors, closing\r\n")
                            .await?;
                        return Ok(());
                    }
                    continue;
                }
            };
            match self.command(request, &mut stream, &mut input).await? {
                Next::Continue => {}
                Next::Close => return Ok(()),
                Next::StartTls => {
                    let acceptor = self.tls_acceptor.clone().expect("checked before");
                    // Anything pipelined after STARTTLS is discarded (RFC 3207 §4.2: no injection).
                    input = Input::default();
                    receiver = RequestReceiver::default();
                    let tls = tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(stream))
                        .await
                        .map_err(|_| {
                            std::io::Error::new(std::io::ErrorKind::TimedOut, "TLS handshake")
                        })??;
                    self.cert_name = client_cert_name(
                        tls.get_ref().1.peer_certificates(),
                        &self.state.config.relay_cert_names,
                    );
                    if let Some(name) = &self.cert_name {
                        tracing::info!(certificate = %name, "gateway: client certificate accepted");
                    }
                    stream = Box::new(tls);
                    self.tls = true;
                    self.helo = false;
                    self.from = None;
                    self.user = None;
                }
            }
        }
    }

    async fn command(
        &mut self,
        request: Request<String>,
        stream: &mut Box<dyn Io>,
        input: &mut Input,
    ) -> std::io::Result<Next> {
        let out = match request {
            Request::Ehlo { .. } => {
                self.helo = true;
                self.from = None;
                let mut ehlo = EhloResponse::new(self.hostname.as_str());
                ehlo.capabilities = smtp_proto::EXT_PIPELINING
                    | smtp_proto::EXT_SIZE
                    | smtp_proto::EXT_8BIT_MIME
                    | smtp_proto::EXT_SMTP_UTF8
                    | smtp_proto::EXT_ENHANCED_STATUS_CODES;
                if self.tls_acceptor.is_some() && !self.tls {
                    ehlo.capabilities |= smtp_proto::EXT_START_TLS;
                }
                if self.tls && self.user.is_none() {
                    ehlo.capabilities |= smtp_proto::EXT_AUTH;
                    ehlo.auth_mechanisms = smtp_proto::AUTH_PLAIN | smtp_proto::AUTH_LOGIN;
                }
                ehlo.size = self.state.config.max_size as usize;
                let mut out = Vec::new();
                let _ = ehlo.write(&mut out);
                out
            }
            Request::Helo { .. } => {
                self.helo = true;
                self.from = None;
                format!("250 {}\r\n", self.hostname).into_bytes()
            }
            Request::Lhlo { .. } => reply(500, [5, 5, 1], "this is not an LMTP server"),
            Request::StartTls => {
                if self.tls_acceptor.is_none() || self.tls {
                    reply(502, [5, 5, 1], "STARTTLS is not available")
                } else {
                    stream
                        .write_all(&reply(220, [2, 0, 0], "ready to start TLS"))
                        .await?;
                    return Ok(Next::StartTls);
                }
            }
            Request::Auth {
                mechanism,
                initial_response,
            } => {
                let out = self
                    .auth(mechanism, initial_response, stream, input)
                    .await?;
                if self.auth_failures >= MAX_AUTH_FAILURES {
                    stream.write_all(&out).await?;
                    stream
                        .write_all(
                            b"421 4.7.0 too many failed attempts, closing
",
                        )
                        .await?;
                    return Ok(Next::Close);
                }
                out
            }
            Request::Mail { from } => self.mail(from).await,
            Request::Rcpt { to } => self.rcpt(to),
            Request::Data => return self.data(stream, input).await,
            Request::Bdat { .. } => reply(502, [5, 5, 1], "CHUNKING is not offered, use DATA"),
            Request::Rset => {
                self.from = None;
                reply(250, [2, 0, 0], "OK")
            }
            Request::Noop { .. } => reply(250, [2, 0, 0], "OK"),
            Request::Vrfy { .. } => reply(252, [2, 5, 0], "cannot verify, send and we will try"),
            Request::Quit => {
                stream.write_all(&reply(221, [2, 0, 0], "bye")).await?;
                return Ok(Next::Close);
            }
            Request::Expn { .. }
            | Request::Help { .. }
            | Request::Etrn { .. }
            | Request::Atrn { .. }
            | Request::Burl { .. } => reply(502, [5, 5, 1], "command not implemented"),
        };
        stream.write_all(&out).await?;
        Ok(Next::Continue)
    }

    async fn mail(&mut self, from: smtp_proto::MailFrom<String>) -> Vec<u8> {
        if !self.helo {
            return reply(503, [5, 5, 1], "send EHLO first");
        }
        if self.from.is_some() {
            return reply(503, [5, 5, 1], "a transaction is already open; RSET first");
        }
        let max = self.state.config.max_size;
        if from.size as u64 > max {
            return reply(
                552,
                [5, 3, 4],
                &format!("the message is larger than {max} bytes"),
            );
        }
        let allowed = self.relay_network() || self.user.is_some();
        let address = from.address.trim().to_ascii_lowercase();
        let mut envelope = Envelope {
            from: None,
            to: Vec::new(),
            ip: self.ip,
            tenant_id: None,
        };
        if !allowed {
            // Outsiders learn nothing about which domains are served: they are refused at RCPT.
            envelope.from = Some(address);
            self.from = Some(envelope);
            return reply(250, [2, 1, 0], "OK");
        }
        if address.is_empty() {
            if self.user.is_some() && !self.relay_network() {
                return reply(
                    550,
                    [5, 7, 1],
                    "the null sender is accepted from relay networks only",
                );
            }
            self.from = Some(envelope);
            return reply(250, [2, 1, 0], "OK");
        }
        if let Some(user) = &self.user
            && !user.email.eq_ignore_ascii_case(&address)
        {
            return reply(
                550,
                [5, 7, 1],
                "you are authenticated as another address; send as yourself",
            );
        }
        let domain = zegel_core::address::domain_of(&address).to_ascii_lowercase();
        match zegel_store::tenants::tenant_for_domain(&self.state.db, &domain).await {
            Ok(Some(tenant)) => {
                envelope.from = Some(address);
                envelope.tenant_id = Some(tenant.id);
                self.from = Some(envelope);
                reply(250, [2, 1, 0], "OK")
            }
            Ok(None) => reply(
                550,
                [5, 7, 1],
                "the sender's domain is not served by this gateway",
            ),
            Err(error) => {
                tracing::error!(error = %error, "gateway: tenant lookup failed");
                reply(451, [4, 3, 0], "temporary failure, try again later")
            }
        }
    }

    fn rcpt(&mut self, to: smtp_proto::RcptTo<String>) -> Vec<u8> {
        let allowed = self.relay_network() || self.user.is_some();
        let max = self.state.config.max_recipients;
        let Some(envelope) = &mut self.from else {
            return reply(503, [5, 5, 1], "send MAIL FROM first");
        };
        if !allowed {
            return reply(550, [5, 7, 1], "relaying denied");
        }
        if envelope.to.len() >= max {
            return reply(
                452,
                [4, 5, 3],
                &format!("too many recipients (at most {max})"),
            );
        }
        let Ok(address) = zegel_core::address::normalize_email(&to.address) else {
            return reply(553, [5, 1, 3], "the recipient address is not valid");
        };
        if !envelope.to.contains(&address) {
            envelope.to.push(address);
        }
        reply(250, [2, 1, 5], "OK")
    }

    async fn data(&mut self, stream: &mut Box<dyn Io>, input: &mut Input) -> std::io::Result<Next> {
        let ready = self.from.as_ref().is_some_and(|e| !e.to.is_empty());
        if !ready {
            let out = if self.from.is_none() {
                reply(503, [5, 5, 1], "send MAIL FROM first")
            } else {
                reply(554, [5, 5, 1], "no valid recipients")
            };
            stream.write_all(&out).await?;
            return Ok(Next::Continue);
        }
        stream
            .write_all(b"354 end data with <CR><LF>.<CR><LF>\r\n")
            .await?;
        let max = self.state.config.max_size as usize;
        let deadline = tokio::time::Instant::now() + DATA_TIMEOUT;
        let mut receiver = DataReceiver::new();
        let mut data = Vec::new();
        let mut too_large = false;
        // Memory held for this mail, released when it has been handled.
        let mut reserved: Option<tokio::sync::OwnedSemaphorePermit> = None;
        let mut out_of_budget = false;
        loop {
            let rest = input.rest();
            let mut iter = rest.iter();
            let done = receiver.ingest(&mut iter, &mut data);
            let consumed = rest.len() - iter.as_slice().len();
            input.consume(consumed);
            if data.len() > max {
                too_large = true;
                data.clear();
            }
            let needed = data.len().div_ceil(1024) as u32;
            let held = reserved.as_ref().map_or(0, |p| p.num_permits() as u32);
            if out_of_budget {
                // Read to the end (the reply comes after the final dot), keeping nothing.
                data.clear();
            } else if needed > held {
                // Reserve in steps of 1 MiB so the semaphore is not touched for every packet.
                match self
                    .budget
                    .clone()
                    .try_acquire_many_owned((needed - held).max(1024))
                {
                    Ok(more) => match &mut reserved {
                        Some(permit) => permit.merge(more),
                        None => reserved = Some(more),
                    },
                    Err(_) => {
                        out_of_budget = true;
                        data = Vec::new();
                        reserved = None;
                    }
                }
            }
            if done {
                break;
            }
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match input.fill(stream, left).await {
                Ok(true) => {}
                Ok(false) => return Ok(Next::Close),
                Err(error) => {
                    let _ = stream
                        .write_all(b"421 4.4.2 timeout in DATA, closing the connection\r\n")
                        .await;
                    return Err(error);
                }
            }
        }
        let envelope = self.from.take().expect("checked above");
        let out = if too_large {
            reply(
                552,
                [5, 3, 4],
                &format!("the message is larger than {max} bytes"),
            )
        } else if out_of_budget {
            tracing::warn!("gateway: DATA memory budget used up; asking the client to retry");
            reply(
                452,
                [4, 3, 1],
                "insufficient system storage, try again later",
            )
        } else {
            let answer = accept::accept(&self.state, &envelope, data).await;
            reply(answer.code, answer.esc, &answer.text)
        };
        drop(reserved);
        stream.write_all(&out).await?;
        Ok(Next::Continue)
    }

    async fn read_line(
        &mut self,
        stream: &mut Box<dyn Io>,
        input: &mut Input,
    ) -> std::io::Result<Option<String>> {
        loop {
            let rest = input.rest();
            if let Some(end) = rest.iter().position(|b| *b == b'\n') {
                let line = String::from_utf8_lossy(&rest[..end]).trim().to_owned();
                input.consume(end + 1);
                return Ok(Some(line));
            }
            if rest.len() > MAX_LINE {
                return Ok(None);
            }
            if !input.fill(stream, COMMAND_TIMEOUT).await? {
                return Ok(None);
            }
        }
    }

    async fn auth(
        &mut self,
        mechanism: u64,
        initial: String,
        stream: &mut Box<dyn Io>,
        input: &mut Input,
    ) -> std::io::Result<Vec<u8>> {
        if !self.tls {
            return Ok(reply(
                538,
                [5, 7, 11],
                "encryption required: STARTTLS first",
            ));
        }
        if self.user.is_some() || self.from.is_some() {
            return Ok(reply(503, [5, 5, 1], "AUTH is not allowed now"));
        }
        let b64 = base64::engine::general_purpose::STANDARD;
        let decode = |text: &str| b64.decode(text.trim()).ok();
        let mut ask = async |this: &mut Self, prompt: &[u8]| -> std::io::Result<Option<Vec<u8>>> {
            stream.write_all(prompt).await?;
            match this.read_line(stream, input).await? {
                Some(line) if line == "*" => Ok(None),
                Some(line) => Ok(decode(&line)),
                None => Ok(None),
            }
        };
        let credentials: Option<(String, String)> = match mechanism {
            smtp_proto::AUTH_PLAIN => {
                let response = if initial.is_empty() {
                    ask(self, b"334 \r\n").await?
                } else {
                    decode(&initial)
                };
                response.and_then(|bytes| {
                    let mut parts = bytes.split(|b| *b == 0).skip(1);
                    let user = String::from_utf8(parts.next()?.to_vec()).ok()?;
                    let password = String::from_utf8(parts.next()?.to_vec()).ok()?;
                    Some((user, password))
                })
            }
            smtp_proto::AUTH_LOGIN => {
                let user = if initial.is_empty() {
                    ask(self, b"334 VXNlcm5hbWU6\r\n").await?
                } else {
                    decode(&initial)
                };
                match user {
                    Some(user) => ask(self, b"334 UGFzc3dvcmQ6\r\n").await?.and_then(|p| {
                        Some((String::from_utf8(user).ok()?, String::from_utf8(p).ok()?))
                    }),
                    None => None,
                }
            }
            _ => return Ok(reply(504, [5, 5, 4], "use AUTH PLAIN or LOGIN")),
        };
        let Some((user, password)) = credentials else {
            return Ok(reply(
                501,
                [5, 5, 2],
                "malformed or cancelled authentication",
            ));
        };
        let authenticated = if password.starts_with("zgl1.") {
            zegel_service::auth::authenticate(&self.state, password.trim())
                .await
                .ok()
                .filter(|u| u.email.eq_ignore_ascii_case(user.trim()))
        } else {
            None
        };
        match authenticated {
            Some(found) => {
                self.user = Some(found);
                Ok(reply(235, [2, 7, 0], "authenticated"))
            }
            None => {
                self.auth_failures += 1;
                Ok(reply(535, [5, 7, 8], "authentication failed"))
            }
        }
    }
}

fn parse_error(error: &ProtoError) -> Vec<u8> {
    match error {
        ProtoError::UnknownCommand => reply(500, [5, 5, 1], "unknown command"),
        ProtoError::InvalidSenderAddress => reply(501, [5, 1, 7], "invalid sender address"),
        ProtoError::InvalidRecipientAddress => reply(501, [5, 1, 3], "invalid recipient address"),
        ProtoError::SyntaxError { syntax } => {
            reply(501, [5, 5, 2], &format!("syntax error, expected: {syntax}"))
        }
        ProtoError::InvalidParameter { param } => {
            reply(501, [5, 5, 4], &format!("invalid parameter {param}"))
        }
        ProtoError::UnsupportedParameter { .. } => reply(504, [5, 5, 4], "unsupported parameter"),
        _ => reply(500, [5, 5, 2], "syntax error"),
    }
}
