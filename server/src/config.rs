//! The server's configuration: defaults, then an optional `zegel.toml`, then `ZEGEL_*` environment
//! variables (the environment wins). Secrets may also come from files named by `ZEGEL_*_FILE`, and are
//! never printed: [`Config::describe`] masks them.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

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
}

impl Config {
    /// Loads the configuration from `zegel.toml` (or the file named by `ZEGEL_CONFIG`) and the process
    /// environment.
    pub fn load() -> Result<Self, ConfigError> {
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
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
        let mail_text = pick("ZEGEL_MAIL", file_config.mail).unwrap_or_else(|| "dev".to_owned());
        let mail = parse_mail(&mail_text)?;
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
        let sms = match env("ZEGEL_SMS").as_deref().unwrap_or("dev") {
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
        Ok(Self {
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
    Ok(GatewayConfig {
        listen,
        relay_networks,
        next_hop,
        tls_cert,
        tls_key,
        max_size,
        max_recipients,
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

    fn load(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_sources(None, &|name| map.get(name).cloned())
    }

    #[test]
    fn office_single_sign_on_takes_a_client_id_and_derives_the_resource() {
        assert_eq!(load(&[]).unwrap().addin_sso, None);
        let config = load(&[
            ("ZEGEL_PUBLIC_URL", "https://zegel.zorg.example/"),
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
