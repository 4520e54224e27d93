//! The server's configuration: defaults, then an optional `zegel.toml`, then `ZEGEL_*` environment
//! variables (the environment wins). Secrets may also come from files named by `ZEGEL_*_FILE`, and are
//! never printed: [`Config::describe`] masks them.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::Url;

/// Why the configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The config file exists but could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The config file is not valid TOML for this schema.
    #[error("{path} is not a valid zegel.toml: {message}")]
    Toml {
        /// The file.
        path: PathBuf,
        /// What the parser said.
        message: String,
    },
    /// A setting has a value that cannot be used.
    #[error("{name}: {message}")]
    Invalid {
        /// The setting's environment name.
        name: &'static str,
        /// What is wrong.
        message: String,
    },
}

/// Where outgoing mail goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailTransportConfig {
    /// The built-in dev mailbox at `/dev/mailbox` (nothing leaves the process).
    Dev,
    /// An SMTP relay; STARTTLS is used when the relay offers it.
    Smtp {
        /// Host name or address.
        host: String,
        /// Port.
        port: u16,
    },
}

/// Where SMS codes go.
#[derive(Debug, Clone)]
pub enum SmsConfig {
    /// The built-in dev box at `/dev/sms`.
    Dev,
    /// Twilio's Messages API, or a provider that speaks it.
    Twilio {
        /// The account SID (also the basic-auth user).
        account_sid: String,
        /// The auth token.
        auth_token: SecretString,
        /// A sender number, or a Messaging Service SID (`MG...`).
        from: String,
        /// The API base URL.
        base_url: String,
    },
}

/// A network in CIDR notation (`10.0.0.0/8`, `::1/128`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    /// The network address (host bits cleared).
    pub addr: IpAddr,
    /// The prefix length.
    pub prefix: u8,
}

impl Cidr {
    /// Parses `addr/prefix`, or a bare address (a single host).
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let (addr, prefix) = match text.split_once('/') {
            Some((addr, prefix)) => (
                addr.parse::<IpAddr>().ok()?,
                Some(prefix.parse::<u8>().ok()?),
            ),
            None => (text.parse::<IpAddr>().ok()?, None),
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        if prefix > max {
            return None;
        }
        Some(Self {
            addr: mask(addr, prefix),
            prefix,
        })
    }

    /// Whether `ip` lies in this network (IPv4-mapped IPv6 addresses count as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        ip.is_ipv4() == self.addr.is_ipv4() && mask(ip, self.prefix) == self.addr
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

fn mask(addr: IpAddr, prefix: u8) -> IpAddr {
    match addr {
        IpAddr::V4(v4) => {
            let bits = u32::from(v4);
            let mask = if prefix == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(prefix))
            };
            IpAddr::V4((bits & mask).into())
        }
        IpAddr::V6(v6) => {
            let bits = u128::from(v6);
            let mask = if prefix == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(prefix))
            };
            IpAddr::V6((bits & mask).into())
        }
    }
}

/// The SMTP gateway (`ZEGEL_SMTP_*`).
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// Where it listens; the gateway is off when unset.
    pub listen: Option<SocketAddr>,
    /// Clients that may relay without authenticating.
    pub relay_networks: Vec<Cidr>,
    /// Shared networks (Exchange Online's outbound ranges) whose clients may relay only with a TLS
    /// client certificate named in [`Self::relay_cert_names`] (or after AUTH).
    pub relay_cert_networks: Vec<Cidr>,
    /// The DNS names (subject alternative names) a client certificate from those networks must carry.
    pub relay_cert_names: Vec<String>,
    /// PEM roots client certificates must chain to; unset: the public web PKI roots.
    pub client_ca: Option<PathBuf>,
    /// Where relayed mail goes (host, port); unset: the `ZEGEL_MAIL` transport.
    pub next_hop: Option<(String, u16)>,
    /// The STARTTLS certificate chain (PEM); STARTTLS is offered only with a key too.
    pub tls_cert: Option<PathBuf>,
    /// The STARTTLS private key (PEM).
    pub tls_key: Option<PathBuf>,
    /// The largest message, in bytes (advertised as SIZE).
    pub max_size: u64,
    /// The most recipients of one message.
    pub max_recipients: usize,
    /// The most connections one client address holds at once (well below the global cap).
    pub max_connections_per_ip: usize,
}

/// Timeouts and caps of the HTTP listener (`ZEGEL_HTTP_*`).
#[derive(Debug, Clone)]
pub struct HttpLimits {
    /// A request's header section must arrive within this time of the connection opening or of the
    /// previous response (so it is the idle keep-alive timeout too).
    pub header_timeout: Duration,
    /// The least a request body must deliver, in bytes per second, averaged over [`Self::body_rate_window`]
    /// of waiting for it.
    pub min_body_rate: u64,
    /// The window the body rate is measured over.
    pub body_rate_window: Duration,
    /// The most connections one client address holds at once.
    pub max_connections_per_ip: usize,
}

/// Office single sign-on for the Outlook add-in: the Entra ID app registration the manifest names in
/// `WebApplicationInfo`, so `Office.auth.getAccessToken` hands the pane and the on-send handler a token
/// for Zegel. The server accepts those tokens through a tenant's trusted issuer (`zegel admin oidc set`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddinSso {
    /// The application (client) id of the registration, a UUID.
    pub client_id: String,
    /// The registration's Application ID URI: `api://<host of the public URL>/<client id>` unless set.
    pub resource: String,
}

impl AddinSso {
    /// From `ZEGEL_ADDIN_CLIENT_ID` and `ZEGEL_ADDIN_RESOURCE`; none without a client id.
    fn from_settings(
        public_url: &Url,
        client_id: Option<String>,
        resource: Option<String>,
    ) -> Result<Option<Self>, ConfigError> {
        let Some(client_id) = client_id.map(|c| c.trim().to_ascii_lowercase()) else {
            if resource.is_some() {
                return Err(ConfigError::Invalid {
                    name: "ZEGEL_ADDIN_RESOURCE",
                    message: "needs ZEGEL_ADDIN_CLIENT_ID too".to_owned(),
                });
            }
            return Ok(None);
        };
        if !addin_manifest::rules::is_uuid(&client_id) {
            return Err(ConfigError::Invalid {
                name: "ZEGEL_ADDIN_CLIENT_ID",
                message: format!("'{client_id}' is not an application (client) id like 1b7e…-…"),
            });
        }
        let host = public_url.host_str().unwrap_or("localhost");
        let authority = match public_url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        };
        let resource = resource.unwrap_or_else(|| format!("api://{authority}/{client_id}"));
        // Office asks Entra ID for a token to this resource; Entra ID wants the add-in's own domain in
        // it, and the manifest allows at most 250 characters.
        if !resource.starts_with("api://")
            || resource.chars().count() > addin_manifest::rules::LONG_STRING_MAX
            || resource
                .chars()
                .any(|c| c.is_whitespace() || "<>&\"'".contains(c))
        {
            return Err(ConfigError::Invalid {
                name: "ZEGEL_ADDIN_RESOURCE",
                message: format!("'{resource}' is not an api:// Application ID URI"),
            });
        }
        Ok(Some(Self {
            client_id,
            resource,
        }))
    }
}

/// The effective configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where the SQLite database, the blobs and the keyring live.
    pub data_dir: PathBuf,
    /// The HTTP listen address.
    pub listen: SocketAddr,
    /// The URL recipients and senders reach the server at (links in e-mails are built from it).
    pub public_url: Url,
    /// The database: SQLite in the data dir unless a `postgres://` URL is given.
    pub database_url: Option<SecretString>,
    /// The mail transport.
    pub mail: MailTransportConfig,
    /// SMTP user name, when the relay wants one.
    pub smtp_user: Option<String>,
    /// SMTP password.
    pub smtp_password: Option<SecretString>,
    /// The From address of notifications.
    pub mail_from: String,
    /// The keyring file (KEKs); by default `keyring.json` in the data dir, created on first start.
    pub keyring_file: PathBuf,
    /// The keyring itself, as JSON, when given by the environment instead of a file.
    pub keyring: Option<SecretString>,
    /// The largest upload (all files of one message together), in bytes.
    pub max_upload_bytes: u64,
    /// The time zone dates in e-mails and pages are shown in.
    pub timezone: String,
    /// The built Outlook add-in (pane, icons, scripts) served under `/addin/`; `cargo xtask run` sets it.
    pub addin_dir: Option<PathBuf>,
    /// Office single sign-on for the add-in (`ZEGEL_ADDIN_CLIENT_ID`): the manifest's `WebApplicationInfo`.
    pub addin_sso: Option<AddinSso>,
    /// The SMS transport.
    pub sms: SmsConfig,
    /// The SMTP gateway.
    pub gateway: GatewayConfig,
    /// Development mode (`ZEGEL_DEV=1`, `zegel serve --dev`): only then may the dev mailbox and the dev
    /// SMS box, which show every password and code to anyone, be used.
    pub dev: bool,
    /// HTTP timeouts and caps.
    pub http: HttpLimits,
}

/// The shape of `zegel.toml`: every key optional, named like the environment variables without the
/// `ZEGEL_` prefix, in lower case.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    data_dir: Option<PathBuf>,
    listen: Option<String>,
    public_url: Option<String>,
    database_url: Option<String>,
    mail: Option<String>,
    smtp_user: Option<String>,
    smtp_password: Option<String>,
    mail_from: Option<String>,
    keyring_file: Option<PathBuf>,
    max_upload_bytes: Option<u64>,
    timezone: Option<String>,
    addin_dir: Option<PathBuf>,
    addin_client_id: Option<String>,
    addin_resource: Option<String>,
    smtp_listen: Option<String>,
    smtp_relay_networks: Option<String>,
    smtp_next_hop: Option<String>,
    smtp_tls_cert: Option<PathBuf>,
    smtp_tls_key: Option<PathBuf>,
    smtp_max_size: Option<u64>,
    smtp_max_recipients: Option<usize>,
    dev: Option<bool>,
}

impl Config {
    /// Loads the configuration from `zegel.toml` (or the file named by `ZEGEL_CONFIG`) and the process
    /// environment.
    pub fn load() -> Result<Self, ConfigError> {
        Self::load_with_dev(false)
    }

    /// Like [`Config::load`]; `dev` switches development mode on as `ZEGEL_DEV=1` does
    /// (`zegel serve --dev`).
    pub fn load_with_dev(dev: bool) -> Result<Self, ConfigError> {
        let env = |name: &str| {
            if dev && name == "ZEGEL_DEV" {
                return Some("1".to_owned());
            }
            std::env::var(name).ok().filter(|v| !v.is_empty())
        };
        let path = env("ZEGEL_CONFIG").map(PathBuf::from);
        Self::from_sources(path.as_deref(), &env)
    }

    /// Builds the configuration from an optional file and an environment lookup (tests pass their own).
    pub fn from_sources(
        file: Option<&Path>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let mut file_config = match file {
            Some(path) => read_file_config(path)?,
            None if Path::new("zegel.toml").exists() => read_file_config(Path::new("zegel.toml"))?,
            None => FileConfig::default(),
        };
        let gateway = parse_gateway(env, &mut file_config)?;
        let pick = |name: &'static str, from_file: Option<String>| env(name).or(from_file);
        let secret = |name: &'static str,
                      from_file: Option<String>|
         -> Result<Option<SecretString>, ConfigError> {
            if let Some(value) = env(name) {
                return Ok(Some(SecretString::from(value)));
            }
            let file_var = format!("{name}_FILE");
            if let Some(path) = env(&file_var) {
                let value = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
                    path: PathBuf::from(&path),
                    source,
                })?;
                return Ok(Some(SecretString::from(value.trim().to_owned())));
            }
            Ok(from_file.map(SecretString::from))
        };

        let data_dir = env("ZEGEL_DATA_DIR")
            .map(PathBuf::from)
            .or(file_config.data_dir)
            .unwrap_or_else(|| PathBuf::from("./zegel-data"));
        let listen_text =
            pick("ZEGEL_LISTEN", file_config.listen).unwrap_or_else(|| "127.0.0.1:8080".to_owned());
        let listen: SocketAddr = listen_text.parse().map_err(|_| ConfigError::Invalid {
            name: "ZEGEL_LISTEN",
            message: format!("'{listen_text}' is not an address like 127.0.0.1:8080"),
        })?;
        let public_url_text = pick("ZEGEL_PUBLIC_URL", file_config.public_url)
            .unwrap_or_else(|| format!("http://{listen}"));
        let public_url = Url::parse(&public_url_text)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
            .ok_or_else(|| ConfigError::Invalid {
                name: "ZEGEL_PUBLIC_URL",
                message: format!("'{public_url_text}' is not an http(s) URL"),
            })?;
        let dev = match env("ZEGEL_DEV") {
            Some(text) => flag("ZEGEL_DEV", &text)?,
            None => file_config.dev.unwrap_or(false),
        };
        let sms_text = env("ZEGEL_SMS");
        let mail_text = pick("ZEGEL_MAIL", file_config.mail);
        let mail = parse_mail(&dev_default(
            "ZEGEL_MAIL",
            mail_text,
            dev,
            sms_text.as_deref(),
        )?)?;
        if mail == MailTransportConfig::Dev && !dev {
            return Err(not_without_dev("ZEGEL_MAIL", "mailbox"));
        }
        let database_url = secret("ZEGEL_DATABASE_URL", file_config.database_url)?;
        if let Some(url) = &database_url {
            let url = url.expose_secret();
            if !(url.starts_with("postgres://")
                || url.starts_with("postgresql://")
                || url.starts_with("sqlite:"))
            {
                return Err(ConfigError::Invalid {
                    name: "ZEGEL_DATABASE_URL",
                    message: "must start with postgres://, postgresql:// or sqlite:".to_owned(),
                });
            }
        }
        let max_upload_bytes = match env("ZEGEL_MAX_UPLOAD_BYTES") {
            Some(text) => text.parse().map_err(|_| ConfigError::Invalid {
                name: "ZEGEL_MAX_UPLOAD_BYTES",
                message: format!("'{text}' is not a number of bytes"),
            })?,
            None => file_config
                .max_upload_bytes
                .unwrap_or(64 * 1024 * 1024 * 1024),
        };
        let timezone = pick("ZEGEL_TIMEZONE", file_config.timezone)
            .unwrap_or_else(|| "Europe/Amsterdam".to_owned());
        if jiff::tz::TimeZone::get(&timezone).is_err() {
            return Err(ConfigError::Invalid {
                name: "ZEGEL_TIMEZONE",
                message: format!("unknown time zone '{timezone}'"),
            });
        }
        let mail_from = pick("ZEGEL_MAIL_FROM", file_config.mail_from).unwrap_or_else(|| {
            let host = public_url.host_str().unwrap_or("localhost");
            let domain = if host.contains('.') && host.parse::<std::net::IpAddr>().is_err() {
                host
            } else {
                "zegel.localhost"
            };
            format!("Zegel <no-reply@{domain}>")
        });
        let keyring_file = env("ZEGEL_KEYRING_FILE")
            .map(PathBuf::from)
            .or(file_config.keyring_file)
            .unwrap_or_else(|| data_dir.join("keyring.json"));
        let mail_is_real = mail != MailTransportConfig::Dev;
        let sms_text = dev_default("ZEGEL_SMS", sms_text, dev, mail_is_real.then_some("smtp"))?;
        let sms = match sms_text.as_str() {
            "dev" if !dev => return Err(not_without_dev("ZEGEL_SMS", "SMS box")),
            "dev" => SmsConfig::Dev,
            "twilio" => {
                let required = |name: &'static str| {
                    env(name).ok_or(ConfigError::Invalid {
                        name,
                        message: "is required with ZEGEL_SMS=twilio".to_owned(),
                    })
                };
                SmsConfig::Twilio {
                    account_sid: required("ZEGEL_TWILIO_ACCOUNT_SID")?,
                    auth_token: secret("ZEGEL_TWILIO_AUTH_TOKEN", None)?.ok_or(
                        ConfigError::Invalid {
                            name: "ZEGEL_TWILIO_AUTH_TOKEN",
                            message: "is required with ZEGEL_SMS=twilio".to_owned(),
                        },
                    )?,
                    from: required("ZEGEL_TWILIO_FROM")?,
                    base_url: env("ZEGEL_TWILIO_BASE_URL")
                        .unwrap_or_else(|| "https://api.twilio.com".to_owned()),
                }
            }
            other => {
                return Err(ConfigError::Invalid {
                    name: "ZEGEL_SMS",
                    message: format!("'{other}' is neither 'dev' nor 'twilio'"),
                });
            }
        };
        let addin_dir = env("ZEGEL_ADDIN_DIR")
            .map(PathBuf::from)
            .or(file_config.addin_dir);
        let addin_sso = AddinSso::from_settings(
            &public_url,
            env("ZEGEL_ADDIN_CLIENT_ID").or(file_config.addin_client_id),
            env("ZEGEL_ADDIN_RESOURCE").or(file_config.addin_resource),
        )?;
        let dev_transport = mail == MailTransportConfig::Dev || matches!(sms, SmsConfig::Dev);
        let allow_https = match env("ZEGEL_ALLOW_DEV_WITH_HTTPS") {
            Some(text) => flag("ZEGEL_ALLOW_DEV_WITH_HTTPS", &text)?,
            None => false,
        };
        if public_url.scheme() == "https" && dev_transport && !allow_https {
            return Err(ConfigError::Invalid {
                name: "ZEGEL_PUBLIC_URL",
                message: "is https:// while the dev mailbox or dev SMS box is on, which shows every \
                          password and code to anyone who opens /dev/mailbox or /dev/sms; configure \
                          ZEGEL_MAIL and ZEGEL_SMS, or set ZEGEL_ALLOW_DEV_WITH_HTTPS=1 if this server \
                          is a test system"
                    .to_owned(),
            });
        }
        let http = parse_http(env)?;
        Ok(Self {
            dev,
            http,
            gateway,
            addin_dir,
            addin_sso,
            sms,
            listen,
            public_url,
            database_url,
            mail,
            smtp_user: pick("ZEGEL_SMTP_USER", file_config.smtp_user),
            smtp_password: secret("ZEGEL_SMTP_PASSWORD", file_config.smtp_password)?,
            mail_from,
            keyring: env("ZEGEL_KEYRING").map(SecretString::from),
            keyring_file,
            max_upload_bytes,
            timezone,
            data_dir,
        })
    }

    /// Whether the portal is served over TLS (decides the `Secure` cookie attribute and its name).
    pub fn is_https(&self) -> bool {
        self.public_url.scheme() == "https"
    }

    /// The public URL without a trailing slash, to append paths to.
    pub fn base_url(&self) -> String {
        self.public_url.as_str().trim_end_matches('/').to_owned()
    }

    /// The effective configuration as `KEY = value` lines, secrets masked.
    pub fn describe(&self) -> String {
        let masked = |secret: &Option<SecretString>| {
            if secret.is_some() {
                "********"
            } else {
                "(not set)"
            }
        };
        let database = match &self.database_url {
            Some(url) => mask_url_password(url.expose_secret()),
            None => format!("sqlite://{}", self.data_dir.join("zegel.db").display()),
        };
        let mail = match &self.mail {
            MailTransportConfig::Dev => "dev".to_owned(),
            MailTransportConfig::Smtp { host, port } => format!("smtp://{host}:{port}"),
        };
        [
            ("ZEGEL_DEV", if self.dev { "1 (development mode)" } else { "0" }.to_owned()),
            ("ZEGEL_DATA_DIR", self.data_dir.display().to_string()),
            ("ZEGEL_LISTEN", self.listen.to_string()),
            ("ZEGEL_PUBLIC_URL", self.public_url.to_string()),
            ("ZEGEL_DATABASE_URL", database),
            ("ZEGEL_MAIL", mail),
            ("ZEGEL_SMTP_USER", self.smtp_user.clone().unwrap_or_else(|| "(not set)".to_owned())),
            ("ZEGEL_SMTP_PASSWORD", masked(&self.smtp_password).to_owned()),
            ("ZEGEL_MAIL_FROM", self.mail_from.clone()),
            ("ZEGEL_KEYRING_FILE", self.keyring_file.display().to_string()),
            ("ZEGEL_KEYRING", masked(&self.keyring).to_owned()),
            ("ZEGEL_MAX_UPLOAD_BYTES", self.max_upload_bytes.to_string()),
            ("ZEGEL_TIMEZONE", self.timezone.clone()),
            ("ZEGEL_ADDIN_DIR", self.addin_dir.as_ref().map_or_else(|| "(not set)".to_owned(), |d| d.display().to_string())),
            ("ZEGEL_ADDIN_CLIENT_ID", self.addin_sso.as_ref().map_or_else(|| "(not set: no Office single sign-on)".to_owned(), |s| s.client_id.clone())),
            ("ZEGEL_ADDIN_RESOURCE", self.addin_sso.as_ref().map_or_else(|| "(not set)".to_owned(), |s| s.resource.clone())),
            (
                "ZEGEL_SMS",
                match &self.sms {
                    SmsConfig::Dev => "dev".to_owned(),
                    SmsConfig::Twilio { account_sid, from, base_url, .. } => {
                        format!("twilio (account {account_sid}, from {from}, {base_url}, auth token ********)")
                    }
                },
            ),
            ("ZEGEL_SMTP_LISTEN", self.gateway.listen.map_or_else(|| "(not set: gateway off)".to_owned(), |l| l.to_string())),
            ("ZEGEL_SMTP_RELAY_NETWORKS", self.gateway.relay_networks.iter().map(ToString::to_string).collect::<Vec<_>>().join(",")),
            ("ZEGEL_SMTP_NEXT_HOP", self.gateway.next_hop.as_ref().map_or_else(|| "(not set: the ZEGEL_MAIL transport)".to_owned(), |(h, p)| format!("smtp://{h}:{p}"))),
            ("ZEGEL_SMTP_TLS_CERT", self.gateway.tls_cert.as_ref().map_or_else(|| "(not set: no STARTTLS)".to_owned(), |p| p.display().to_string())),
            ("ZEGEL_SMTP_TLS_KEY", self.gateway.tls_key.as_ref().map_or_else(|| "(not set)".to_owned(), |p| p.display().to_string())),
            ("ZEGEL_SMTP_MAX_SIZE", self.gateway.max_size.to_string()),
            ("ZEGEL_SMTP_MAX_RECIPIENTS", self.gateway.max_recipients.to_string()),
            ("ZEGEL_SMTP_MAX_CONNECTIONS_PER_IP", self.gateway.max_connections_per_ip.to_string()),
            ("ZEGEL_SMTP_RELAY_CERT_NETWORKS", self.gateway.relay_cert_networks.iter().map(ToString::to_string).collect::<Vec<_>>().join(",")),
            ("ZEGEL_SMTP_RELAY_CERT_NAMES", self.gateway.relay_cert_names.join(",")),
            ("ZEGEL_SMTP_CLIENT_CA", self.gateway.client_ca.as_ref().map_or_else(|| "(not set: public web PKI roots)".to_owned(), |p| p.display().to_string())),
            ("ZEGEL_HTTP_HEADER_TIMEOUT", format!("{}", self.http.header_timeout.as_secs_f64())),
            ("ZEGEL_HTTP_MIN_BODY_RATE", self.http.min_body_rate.to_string()),
            ("ZEGEL_HTTP_BODY_RATE_WINDOW", format!("{}", self.http.body_rate_window.as_secs_f64())),
            ("ZEGEL_HTTP_MAX_CONNECTIONS_PER_IP", self.http.max_connections_per_ip.to_string()),
        ]
        .iter()
        .map(|(key, value)| format!("{key} = {value}\n"))
        .collect()
    }
}

fn parse_gateway(
    env: &dyn Fn(&str) -> Option<String>,
    file: &mut FileConfig,
) -> Result<GatewayConfig, ConfigError> {
    let listen = match env("ZEGEL_SMTP_LISTEN").or(file.smtp_listen.take()) {
        Some(text) => Some(
            text.parse::<SocketAddr>()
                .map_err(|_| ConfigError::Invalid {
                    name: "ZEGEL_SMTP_LISTEN",
                    message: format!("'{text}' is not an address like 127.0.0.1:2525"),
                })?,
        ),
        None => None,
    };
    let networks_text = env("ZEGEL_SMTP_RELAY_NETWORKS")
        .or(file.smtp_relay_networks.take())
        .unwrap_or_else(|| "127.0.0.0/8,::1/128".to_owned());
    let relay_networks = networks_text
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|n| {
            Cidr::parse(n).ok_or_else(|| ConfigError::Invalid {
                name: "ZEGEL_SMTP_RELAY_NETWORKS",
                message: format!("'{n}' is not a network like 10.0.0.0/8 or ::1/128"),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let relay_cert_networks = env("ZEGEL_SMTP_RELAY_CERT_NETWORKS")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|n| {
            Cidr::parse(n).ok_or_else(|| ConfigError::Invalid {
                name: "ZEGEL_SMTP_RELAY_CERT_NETWORKS",
                message: format!("'{n}' is not a network like 40.92.0.0/15"),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let relay_cert_names = env("ZEGEL_SMTP_RELAY_CERT_NAMES")
        .unwrap_or_default()
        .split(',')
        .map(|n| n.trim().trim_end_matches('.').to_ascii_lowercase())
        .filter(|n| !n.is_empty())
        .map(|n| {
            let valid = n.len() <= 253
                && n.split('.').all(|label| {
                    !label.is_empty()
                        && label.len() <= 63
                        && label
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'*')
                });
            if valid {
                Ok(n)
            } else {
                Err(ConfigError::Invalid {
                    name: "ZEGEL_SMTP_RELAY_CERT_NAMES",
                    message: format!("'{n}' is not a DNS name"),
                })
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    if !relay_cert_networks.is_empty() && relay_cert_names.is_empty() {
        return Err(ConfigError::Invalid {
            name: "ZEGEL_SMTP_RELAY_CERT_NAMES",
            message:
                "is required with ZEGEL_SMTP_RELAY_CERT_NETWORKS: the certificate names those \
                      networks must present"
                    .to_owned(),
        });
    }
    let next_hop = match env("ZEGEL_SMTP_NEXT_HOP").or(file.smtp_next_hop.take()) {
        Some(text) => match parse_mail(&text) {
            Ok(MailTransportConfig::Smtp { host, port }) => Some((host, port)),
            _ => {
                return Err(ConfigError::Invalid {
                    name: "ZEGEL_SMTP_NEXT_HOP",
                    message: format!("'{text}' is not smtp://HOST:PORT"),
                });
            }
        },
        None => None,
    };
    let path =
        |name: &'static str, from_file: Option<PathBuf>| -> Result<Option<PathBuf>, ConfigError> {
            match env(name).map(PathBuf::from).or(from_file) {
                Some(path) if !path.is_file() => Err(ConfigError::Invalid {
                    name,
                    message: format!("{} is not a readable file", path.display()),
                }),
                other => Ok(other),
            }
        };
    let tls_cert = path("ZEGEL_SMTP_TLS_CERT", file.smtp_tls_cert.take())?;
    let tls_key = path("ZEGEL_SMTP_TLS_KEY", file.smtp_tls_key.take())?;
    let client_ca = path("ZEGEL_SMTP_CLIENT_CA", None)?;
    if !relay_cert_names.is_empty() && tls_cert.is_none() {
        return Err(ConfigError::Invalid {
            name: "ZEGEL_SMTP_RELAY_CERT_NAMES",
            message: "needs STARTTLS: set ZEGEL_SMTP_TLS_CERT and ZEGEL_SMTP_TLS_KEY".to_owned(),
        });
    }
    if tls_cert.is_some() != tls_key.is_some() {
        return Err(ConfigError::Invalid {
            name: if tls_cert.is_some() {
                "ZEGEL_SMTP_TLS_KEY"
            } else {
                "ZEGEL_SMTP_TLS_CERT"
            },
            message: "ZEGEL_SMTP_TLS_CERT and ZEGEL_SMTP_TLS_KEY go together".to_owned(),
        });
    }
    let number =
        |name: &'static str, from_file: Option<u64>, default: u64| -> Result<u64, ConfigError> {
            let value = match env(name) {
                Some(text) => text.parse::<u64>().map_err(|_| ConfigError::Invalid {
                    name,
                    message: format!("'{text}' is not a positive number"),
                })?,
                None => from_file.unwrap_or(default),
            };
            if value == 0 {
                return Err(ConfigError::Invalid {
                    name,
                    message: "must be at least 1".to_owned(),
                });
            }
            Ok(value)
        };
    let max_size = number(
        "ZEGEL_SMTP_MAX_SIZE",
        file.smtp_max_size.take(),
        50 * 1024 * 1024,
    )?;
    let max_recipients = number(
        "ZEGEL_SMTP_MAX_RECIPIENTS",
        file.smtp_max_recipients.take().map(|n| n as u64),
        100,
    )? as usize;
    let max_connections_per_ip = number("ZEGEL_SMTP_MAX_CONNECTIONS_PER_IP", None, 20)? as usize;
    if max_connections_per_ip > crate::gateway::MAX_CONNECTIONS / 4 {
        return Err(ConfigError::Invalid {
            name: "ZEGEL_SMTP_MAX_CONNECTIONS_PER_IP",
            message: format!(
                "must stay well below the gateway's {} connections: at most {}",
                crate::gateway::MAX_CONNECTIONS,
                crate::gateway::MAX_CONNECTIONS / 4
            ),
        });
    }
    Ok(GatewayConfig {
        max_connections_per_ip,
        relay_cert_networks,
        relay_cert_names,
        client_ca,
        listen,
        relay_networks,
        next_hop,
        tls_cert,
        tls_key,
        max_size,
        max_recipients,
    })
}

/// A yes/no setting: `1`, `true`, `yes` or `0`, `false`, `no`.
fn flag(name: &'static str, text: &str) -> Result<bool, ConfigError> {
    match text.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" => Ok(true),
        "0" | "false" | "no" => Ok(false),
        _ => Err(ConfigError::Invalid {
            name,
            message: format!("'{text}' is neither 1 nor 0"),
        }),
    }
}

/// A transport setting with development mode's default: `dev` when unset in development mode, unless
/// the other transport is a real one (a dev box is never used silently beside a real transport; naming
/// it explicitly is a choice). Outside development mode the setting is required.
fn dev_default(
    name: &'static str,
    value: Option<String>,
    dev: bool,
    other: Option<&str>,
) -> Result<String, ConfigError> {
    let other_is_real = other.is_some_and(|o| o != "dev");
    match value {
        Some(value) => Ok(value),
        None if dev && !other_is_real => Ok("dev".to_owned()),
        None if name == "ZEGEL_SMS" => Err(ConfigError::Invalid {
            name,
            message:
                "is required: two-factor codes need an SMS provider (ZEGEL_SMS=twilio); Zegel \
                      refuses to start rather than let 2FA quietly become 1FA (in development \
                      mode, ZEGEL_SMS=dev names the dev SMS box explicitly)"
                    .to_owned(),
        }),
        None => Err(ConfigError::Invalid {
            name,
            message:
                "is required: smtp://HOST:PORT (in development mode, ZEGEL_MAIL=dev names the \
                      dev mailbox explicitly)"
                    .to_owned(),
        }),
    }
}

fn not_without_dev(name: &'static str, what: &str) -> ConfigError {
    ConfigError::Invalid {
        name,
        message: format!(
            "'dev' shows every password and code to anyone who opens the dev {what}; it needs \
             development mode (ZEGEL_DEV=1 or zegel serve --dev)"
        ),
    }
}

fn parse_http(env: &dyn Fn(&str) -> Option<String>) -> Result<HttpLimits, ConfigError> {
    let seconds = |name: &'static str, default: f64| -> Result<Duration, ConfigError> {
        let value = match env(name) {
            Some(text) => text
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && *v > 0.0 && *v <= 86_400.0)
                .ok_or_else(|| ConfigError::Invalid {
                    name,
                    message: format!(
                        "'{text}' is not a number of seconds (above 0, at most 86400)"
                    ),
                })?,
            None => default,
        };
        Ok(Duration::from_secs_f64(value))
    };
    let number =
        |name: &'static str, default: u64| -> Result<u64, ConfigError> {
            match env(name) {
                Some(text) => text.parse::<u64>().ok().filter(|v| *v > 0).ok_or_else(|| {
                    ConfigError::Invalid {
                        name,
                        message: format!("'{text}' is not a positive number"),
                    }
                }),
                None => Ok(default),
            }
        };
    Ok(HttpLimits {
        header_timeout: seconds("ZEGEL_HTTP_HEADER_TIMEOUT", 10.0)?,
        min_body_rate: number("ZEGEL_HTTP_MIN_BODY_RATE", 1024)?,
        body_rate_window: seconds("ZEGEL_HTTP_BODY_RATE_WINDOW", 20.0)?,
        max_connections_per_ip: number("ZEGEL_HTTP_MAX_CONNECTIONS_PER_IP", 128)? as usize,
    })
}

fn read_file_config(path: &Path) -> Result<FileConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    toml::from_str(&text).map_err(|e| ConfigError::Toml {
        path: path.to_owned(),
        message: e.message().to_owned(),
    })
}

fn parse_mail(text: &str) -> Result<MailTransportConfig, ConfigError> {
    if text == "dev" {
        return Ok(MailTransportConfig::Dev);
    }
    let invalid = || ConfigError::Invalid {
        name: "ZEGEL_MAIL",
        message: format!("'{text}' is neither 'dev' nor smtp://HOST:PORT"),
    };
    let url = Url::parse(text).map_err(|_| invalid())?;
    if url.scheme() != "smtp" {
        return Err(invalid());
    }
    let host = url
        .host_str()
        .ok_or_else(invalid)?
        .trim_matches(['[', ']'])
        .to_owned();
    Ok(MailTransportConfig::Smtp {
        host,
        port: url.port().unwrap_or(25),
    })
}

fn mask_url_password(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("********"));
            parsed.to_string()
        }
        Ok(parsed) => parsed.to_string(),
        Err(_) => "(unparsable)".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// Loads in development mode unless `vars` say otherwise.
    fn load(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = [("ZEGEL_DEV", "1")]
            .iter()
            .chain(vars)
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_sources(None, &|name| map.get(name).cloned())
    }

    fn refused(vars: &[(&str, &str)]) -> (&'static str, String) {
        match load(vars) {
            Err(ConfigError::Invalid { name, message }) => (name, message),
            other => panic!("{vars:?} should be refused, got {other:?}"),
        }
    }

    #[test]
    fn dev_boxes_need_development_mode_and_are_never_used_silently() {
        let dev = load(&[]).unwrap();
        assert!(dev.dev);
        assert_eq!(dev.mail, MailTransportConfig::Dev);
        assert!(matches!(dev.sms, SmsConfig::Dev));
        // Outside development mode both transports are required, and `dev` is refused.
        assert_eq!(refused(&[("ZEGEL_DEV", "0")]).0, "ZEGEL_MAIL");
        assert_eq!(
            refused(&[("ZEGEL_DEV", "0"), ("ZEGEL_MAIL", "dev")]).0,
            "ZEGEL_MAIL"
        );
        let (name, message) = refused(&[("ZEGEL_DEV", "0"), ("ZEGEL_MAIL", "smtp://mx:25")]);
        assert_eq!(name, "ZEGEL_SMS");
        assert!(message.contains("2FA"), "{message}");
        assert_eq!(
            refused(&[
                ("ZEGEL_DEV", "0"),
                ("ZEGEL_MAIL", "smtp://mx:25"),
                ("ZEGEL_SMS", "dev")
            ])
            .0,
            "ZEGEL_SMS"
        );
        // In development mode a real mail transport does not silently bring the dev SMS box along.
        assert_eq!(refused(&[("ZEGEL_MAIL", "smtp://mx:25")]).0, "ZEGEL_SMS");
        let twilio = [
            ("ZEGEL_SMS", "twilio"),
            ("ZEGEL_TWILIO_ACCOUNT_SID", "AC1"),
            ("ZEGEL_TWILIO_AUTH_TOKEN", "secret"),
            ("ZEGEL_TWILIO_FROM", "+3197000000000"),
        ];
        assert_eq!(refused(&twilio).0, "ZEGEL_MAIL");
        // Named explicitly in development mode, a dev box may sit beside a real transport.
        let mixed = load(&[("ZEGEL_MAIL", "smtp://mx:25"), ("ZEGEL_SMS", "dev")]).unwrap();
        assert!(matches!(mixed.sms, SmsConfig::Dev));
        // A production setup.
        let production = load(
            &[
                [("ZEGEL_DEV", "0"), ("ZEGEL_MAIL", "smtp://mx:25")].as_slice(),
                &twilio,
            ]
            .concat(),
        )
        .unwrap();
        assert!(!production.dev);
        assert!(production.describe().contains("ZEGEL_DEV = 0"));
    }

    #[test]
    fn https_with_a_dev_transport_needs_an_explicit_yes() {
        let https = ("ZEGEL_PUBLIC_URL", "https://zegel.zorg.example");
        let (name, message) = refused(&[https]);
        assert_eq!(name, "ZEGEL_PUBLIC_URL");
        assert!(message.contains("ZEGEL_ALLOW_DEV_WITH_HTTPS"), "{message}");
        assert!(
            refused(&[https, ("ZEGEL_MAIL", "smtp://mx:25"), ("ZEGEL_SMS", "dev")])
                .1
                .contains("dev SMS box")
        );
        let allowed = load(&[https, ("ZEGEL_ALLOW_DEV_WITH_HTTPS", "1")]).unwrap();
        assert!(allowed.is_https());
        assert_eq!(
            refused(&[https, ("ZEGEL_ALLOW_DEV_WITH_HTTPS", "maybe")]).0,
            "ZEGEL_ALLOW_DEV_WITH_HTTPS"
        );
    }

    #[test]
    fn http_limits_have_defaults_and_are_validated() {
        let config = load(&[]).unwrap();
        assert_eq!(config.http.header_timeout, Duration::from_secs(10));
        assert_eq!(config.gateway.max_connections_per_ip, 20);
        let config = load(&[("ZEGEL_HTTP_HEADER_TIMEOUT", "0.5")]).unwrap();
        assert_eq!(config.http.header_timeout, Duration::from_millis(500));
        for (name, value) in [
            ("ZEGEL_HTTP_BODY_RATE_WINDOW", "0"),
            ("ZEGEL_HTTP_HEADER_TIMEOUT", "soon"),
            ("ZEGEL_HTTP_MIN_BODY_RATE", "-3"),
            ("ZEGEL_HTTP_MAX_CONNECTIONS_PER_IP", "0"),
            ("ZEGEL_SMTP_MAX_CONNECTIONS_PER_IP", "200"),
        ] {
            assert_eq!(refused(&[(name, value)]).0, name);
        }
    }

    #[test]
    fn office_single_sign_on_takes_a_client_id_and_derives_the_resource() {
        assert_eq!(load(&[]).unwrap().addin_sso, None);
        let config = load(&[
            ("ZEGEL_PUBLIC_URL", "https://zegel.zorg.example/"),
            ("ZEGEL_ALLOW_DEV_WITH_HTTPS", "1"),
            (
                "ZEGEL_ADDIN_CLIENT_ID",
                " 3F8E2C1A-7B4D-4E9A-9C21-5D6F7A8B9C0D ",
            ),
        ])
        .unwrap();
        assert_eq!(
            config.addin_sso,
            Some(AddinSso {
                client_id: "3f8e2c1a-7b4d-4e9a-9c21-5d6f7a8b9c0d".into(),
                resource: "api://zegel.zorg.example/3f8e2c1a-7b4d-4e9a-9c21-5d6f7a8b9c0d".into(),
            })
        );
        assert!(
            config
                .describe()
                .contains("ZEGEL_ADDIN_CLIENT_ID = 3f8e2c1a")
        );
        let local = load(&[(
            "ZEGEL_ADDIN_CLIENT_ID",
            "3f8e2c1a-7b4d-4e9a-9c21-5d6f7a8b9c0d",
        )])
        .unwrap();
        assert_eq!(
            local.addin_sso.unwrap().resource,
            "api://127.0.0.1:8080/3f8e2c1a-7b4d-4e9a-9c21-5d6f7a8b9c0d"
        );
        for (vars, name) in [
            (
                vec![("ZEGEL_ADDIN_CLIENT_ID", "zegel")],
                "ZEGEL_ADDIN_CLIENT_ID",
            ),
            (
                vec![
                    (
                        "ZEGEL_ADDIN_CLIENT_ID",
                        "3f8e2c1a-7b4d-4e9a-9c21-5d6f7a8b9c0d",
                    ),
                    ("ZEGEL_ADDIN_RESOURCE", "https://zegel.zorg.example"),
                ],
                "ZEGEL_ADDIN_RESOURCE",
            ),
            (
                vec![("ZEGEL_ADDIN_RESOURCE", "api://zegel.zorg.example/x")],
                "ZEGEL_ADDIN_RESOURCE",
            ),
        ] {
            match load(&vars) {
                Err(ConfigError::Invalid { name: got, .. }) => assert_eq!(got, name),
                other => panic!("{vars:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn defaults_are_the_embedded_setup() {
        let config = load(&[]).unwrap();
        assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(config.public_url.as_str(), "http://127.0.0.1:8080/");
        assert_eq!(config.mail, MailTransportConfig::Dev);
        assert!(config.database_url.is_none());
        assert_eq!(
            config.keyring_file,
            PathBuf::from("./zegel-data/keyring.json")
        );
    }

    #[test]
    fn environment_wins_and_secrets_are_masked() {
        let config = load(&[
            ("ZEGEL_MAIL", "smtp://mail.example:2525"),
            ("ZEGEL_SMS", "dev"),
            ("ZEGEL_DATABASE_URL", "postgres://zegel:hunter2@db/zegel"),
            ("ZEGEL_SMTP_PASSWORD", "123456"),
        ])
        .unwrap();
        assert_eq!(
            config.mail,
            MailTransportConfig::Smtp {
                host: "mail.example".into(),
                port: 2525
            }
        );
        let described = config.describe();
        assert!(!described.contains("hunter2"), "{described}");
        assert!(!described.contains("123456"), "{described}");
        assert!(described.contains("ZEGEL_SMTP_PASSWORD = ********"));
    }

    #[test]
    fn gateway_defaults_and_networks() {
        let config = load(&[]).unwrap();
        assert!(config.gateway.listen.is_none());
        assert_eq!(config.gateway.max_size, 50 * 1024 * 1024);
        assert_eq!(config.gateway.max_recipients, 100);
        assert!(config.gateway.next_hop.is_none());
        let loopback = |ip: &str| {
            config
                .gateway
                .relay_networks
                .iter()
                .any(|n| n.contains(ip.parse().unwrap()))
        };
        assert!(loopback("127.0.0.1"));
        assert!(loopback("::1"));
        assert!(loopback("::ffff:127.0.0.2"));
        assert!(!loopback("10.0.0.1"));
        let config = load(&[
            ("ZEGEL_SMTP_LISTEN", "127.0.0.1:2525"),
            ("ZEGEL_SMTP_RELAY_NETWORKS", "10.1.0.0/16, 2001:db8::/32"),
            ("ZEGEL_SMTP_NEXT_HOP", "smtp://mx.example:25"),
        ])
        .unwrap();
        assert_eq!(config.gateway.listen.unwrap().port(), 2525);
        let net = config.gateway.relay_networks[0];
        assert!(net.contains("10.1.200.3".parse().unwrap()));
        assert!(!net.contains("10.2.0.1".parse().unwrap()));
        assert!(config.gateway.relay_networks[1].contains("2001:db8::5".parse().unwrap()));
        assert_eq!(config.gateway.next_hop, Some(("mx.example".to_owned(), 25)));
        assert!(
            config
                .describe()
                .contains("ZEGEL_SMTP_NEXT_HOP = smtp://mx.example:25")
        );
    }

    #[test]
    fn bad_values_name_the_setting() {
        for (vars, name) in [
            (vec![("ZEGEL_LISTEN", "nope")], "ZEGEL_LISTEN"),
            (vec![("ZEGEL_MAIL", "carrier-pigeon")], "ZEGEL_MAIL"),
            (vec![("ZEGEL_PUBLIC_URL", "ftp://x")], "ZEGEL_PUBLIC_URL"),
            (
                vec![("ZEGEL_DATABASE_URL", "mysql://x")],
                "ZEGEL_DATABASE_URL",
            ),
            (vec![("ZEGEL_TIMEZONE", "Mars/Olympus")], "ZEGEL_TIMEZONE"),
            (vec![("ZEGEL_SMTP_LISTEN", "2525")], "ZEGEL_SMTP_LISTEN"),
            (
                vec![("ZEGEL_SMTP_RELAY_NETWORKS", "10.0.0.0/33")],
                "ZEGEL_SMTP_RELAY_NETWORKS",
            ),
            (
                vec![("ZEGEL_SMTP_RELAY_NETWORKS", "127.0.0.1/8,lan")],
                "ZEGEL_SMTP_RELAY_NETWORKS",
            ),
            (
                vec![("ZEGEL_SMTP_NEXT_HOP", "http://mx.example")],
                "ZEGEL_SMTP_NEXT_HOP",
            ),
            (
                vec![("ZEGEL_SMTP_TLS_CERT", "/nonexistent/cert.pem")],
                "ZEGEL_SMTP_TLS_CERT",
            ),
            (vec![("ZEGEL_SMTP_MAX_SIZE", "50M")], "ZEGEL_SMTP_MAX_SIZE"),
            (vec![("ZEGEL_SMTP_MAX_SIZE", "0")], "ZEGEL_SMTP_MAX_SIZE"),
            (
                vec![("ZEGEL_SMTP_MAX_RECIPIENTS", "-1")],
                "ZEGEL_SMTP_MAX_RECIPIENTS",
            ),
        ] {
            let error = load(&vars).unwrap_err().to_string();
            assert!(error.starts_with(name), "{error}");
        }
    }
}
