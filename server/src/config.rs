//! The server's configuration: defaults, then an optional `zegel.toml`, then `ZEGEL_*` environment
//! variables (the environment wins). Secrets may also come from files named by `ZEGEL_*_FILE`, and are
//! never printed: [`Config::describe`] masks them.

use std::cell::RefCell;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use url::Url;
use zegel_gateway::{Cidr, GatewayConfig};

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
    /// Where sealed files live (`ZEGEL_BLOBS`): `blobs/` in the data dir unless a directory or an
    /// `s3://` bucket is given.
    pub blobs: BlobsConfig,
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
    /// The key tokens and sessions are signed with (`ZEGEL_TOKEN_SIGNING_KEY`, 64 hex digits), the same
    /// on every instance of a cluster; by default `token-signing.key` in the data dir, made on first
    /// start.
    pub token_signing_key: Option<SigningKey>,
    /// The largest upload (all files of one message together), in bytes.
    pub max_upload_bytes: u64,
    /// The malware scanner (`ZEGEL_CLAMD`: `tcp://host:port` or `unix:/path`); `None` delivers received
    /// files unscanned, as the admin page and the README say.
    pub clamd: Option<zegel_service::malware::ClamdAddress>,
    /// How often received files that wait for an unreachable clamd are tried again
    /// (`ZEGEL_SCAN_RETRY_SECS`, default 30).
    pub scan_retry: std::time::Duration,
    /// How long an instance's claim on an outbox job lasts unless renewed (`ZEGEL_OUTBOX_LEASE_SECS`,
    /// default 300): after a crash, another instance takes the job over once it ran out.
    pub outbox_lease: std::time::Duration,
    /// The time zone dates in e-mails and pages are shown in.
    pub timezone: String,
    /// How the content filter reads pictures and scanned pages (`ZEGEL_OCR`): none set means
    /// Tesseract when it is installed.
    pub ocr: Option<zegel_service::scan::OcrMode>,
    /// The built Outlook add-in (pane, icons, scripts) served under `/addin/`; `cargo xtask run` sets it.
    pub addin_dir: Option<PathBuf>,
    /// Office single sign-on for the add-in (`ZEGEL_ADDIN_CLIENT_ID`): the manifest's `WebApplicationInfo`.
    pub addin_sso: Option<AddinSso>,
    /// The client secret of the app registration admins sign in to the admin page with
    /// (`ZEGEL_OIDC_CLIENT_SECRET`), sent to the issuer's token endpoint; none for a public client (PKCE
    /// alone).
    pub oidc_client_secret: Option<SecretString>,
    /// The bearer token Prometheus sends for `/metrics` (`ZEGEL_METRICS_TOKEN`); without it `/metrics`
    /// answers no one.
    pub metrics_token: Option<SecretString>,
    /// The SMS transport.
    pub sms: SmsConfig,
    /// The SMTP gateway.
    pub gateway: GatewayConfig,
    /// Development mode (`ZEGEL_DEV=1`, `zegel serve --dev`): only then may the dev mailbox and the dev
    /// SMS box, which show every password and code to anyone, be used.
    pub dev: bool,
    /// HTTP timeouts and caps.
    pub http: HttpLimits,
    /// Every key read and the value in effect, secrets masked (what [`Config::describe`] prints).
    described: Vec<(&'static str, String)>,
}

/// The one door every setting comes through: `ZEGEL_NAME` in the environment over `name` in
/// `zegel.toml` (the environment wins; a secret may also come from the file `ZEGEL_NAME_FILE` names).
/// Each key is named once, where it is parsed: the door remembers the keys asked for, so a file key
/// nobody asks for is refused (a typo never passes silently), and the value in effect for each, so
/// [`Config::describe`] lists every key without a second list.
struct Sources<'a> {
    env: &'a dyn Fn(&str) -> Option<String>,
    file: toml::Table,
    file_path: PathBuf,
    asked: RefCell<Vec<&'static str>>,
    shown: RefCell<Vec<(&'static str, String)>>,
}

impl<'a> Sources<'a> {
    /// `file`, else `zegel.toml` in the working directory when it exists, and `env`.
    fn open(
        file: Option<&Path>,
        env: &'a dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let default = Path::new("zegel.toml");
        let path = file.or_else(|| default.exists().then_some(default));
        let table = match path {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.to_owned(),
                    source,
                })?;
                text.parse::<toml::Table>().map_err(|e| ConfigError::Toml {
                    path: path.to_owned(),
                    message: e.message().to_owned(),
                })?
            }
            None => toml::Table::new(),
        };
        Ok(Self {
            env,
            file: table,
            file_path: path.unwrap_or(default).to_owned(),
            asked: RefCell::default(),
            shown: RefCell::default(),
        })
    }

    /// The file's name for a setting: `ZEGEL_SMTP_LISTEN` is `smtp_listen`.
    fn file_key(name: &str) -> String {
        name.trim_start_matches("ZEGEL_").to_ascii_lowercase()
    }

    /// A setting's text, if set (numbers and true/false in the file count as text).
    fn text(&self, name: &'static str) -> Result<Option<String>, ConfigError> {
        self.asked.borrow_mut().push(name);
        if let Some(value) = (self.env)(name) {
            return Ok(Some(value));
        }
        match self.file.get(&Self::file_key(name)) {
            None => Ok(None),
            Some(toml::Value::String(text)) => Ok(Some(text.clone())),
            Some(toml::Value::Integer(number)) => Ok(Some(number.to_string())),
            Some(toml::Value::Float(number)) => Ok(Some(number.to_string())),
            Some(toml::Value::Boolean(yes)) => Ok(Some(if *yes { "1" } else { "0" }.to_owned())),
            Some(_) => Err(ConfigError::Invalid {
                name,
                message: format!(
                    "{} in {} must be a string, a number or true/false",
                    Self::file_key(name),
                    self.file_path.display()
                ),
            }),
        }
    }

    /// Records the value in effect, as [`Config::describe`] shows it.
    fn show(&self, name: &'static str, value: impl std::fmt::Display) {
        self.shown.borrow_mut().push((name, value.to_string()));
    }

    /// A setting read by `parse` (whose error says what is wrong with the text), else `default`;
    /// shown as `show` writes it.
    fn value<T>(
        &self,
        name: &'static str,
        default: impl FnOnce() -> T,
        parse: impl FnOnce(&str) -> Result<T, String>,
        show: impl FnOnce(&T) -> String,
    ) -> Result<T, ConfigError> {
        let value = match self.text(name)? {
            Some(text) => parse(&text).map_err(|message| ConfigError::Invalid { name, message })?,
            None => default(),
        };
        self.show(name, show(&value));
        Ok(value)
    }

    /// A secret: the environment, the file `NAME_FILE` names, or the config file. Never shown: the
    /// caller shows it masked.
    fn secret(&self, name: &'static str) -> Result<Option<SecretString>, ConfigError> {
        self.asked.borrow_mut().push(name);
        if let Some(value) = (self.env)(name) {
            return Ok(Some(SecretString::from(value)));
        }
        if let Some(path) = (self.env)(&format!("{name}_FILE")) {
            let value = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
                path: PathBuf::from(&path),
                source,
            })?;
            return Ok(Some(SecretString::from(value.trim().to_owned())));
        }
        Ok(self.text(name)?.map(SecretString::from))
    }

    /// A secret, shown as `********` when set.
    fn masked_secret(&self, name: &'static str) -> Result<Option<SecretString>, ConfigError> {
        let secret = self.secret(name)?;
        self.show(
            name,
            if secret.is_some() {
                "********"
            } else {
                "(not set)"
            },
        );
        Ok(secret)
    }

    /// A yes/no setting (`1`, `true`, `yes` or `0`, `false`, `no`), no when unset.
    fn flag(&self, name: &'static str) -> Result<bool, ConfigError> {
        self.value(
            name,
            || false,
            parse_flag,
            |yes| if *yes { "1" } else { "0" }.to_owned(),
        )
    }

    /// A positive whole number, else `default`.
    fn number(&self, name: &'static str, default: u64) -> Result<u64, ConfigError> {
        self.value(
            name,
            || default,
            |text| {
                text.parse::<u64>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| format!("'{text}' is not a positive number"))
            },
            u64::to_string,
        )
    }

    /// A number of seconds (above 0, at most a day), else `default`.
    fn seconds(&self, name: &'static str, default: f64) -> Result<Duration, ConfigError> {
        self.value(
            name,
            || Duration::from_secs_f64(default),
            |text| {
                text.parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite() && *v > 0.0 && *v <= 86_400.0)
                    .map(Duration::from_secs_f64)
                    .ok_or_else(|| {
                        format!("'{text}' is not a number of seconds (above 0, at most 86400)")
                    })
            },
            |d| d.as_secs_f64().to_string(),
        )
    }

    /// A path to a readable file, if set.
    fn file_path(&self, name: &'static str, unset: &str) -> Result<Option<PathBuf>, ConfigError> {
        self.value(
            name,
            || None,
            |text| {
                let path = PathBuf::from(text);
                if path.is_file() {
                    Ok(Some(path))
                } else {
                    Err(format!("{} is not a readable file", path.display()))
                }
            },
            |path| shown_or(path.as_ref().map(|p| p.display()), unset),
        )
    }

    /// A comma-separated list of networks.
    fn networks(
        &self,
        name: &'static str,
        default: &str,
        example: &str,
    ) -> Result<Vec<Cidr>, ConfigError> {
        let parse = |text: &str| {
            text.split(',')
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(|n| {
                    Cidr::parse(n).ok_or_else(|| format!("'{n}' is not a network like {example}"))
                })
                .collect::<Result<Vec<_>, _>>()
        };
        self.value(
            name,
            || parse(default).expect("default networks parse"),
            parse,
            |networks| {
                networks
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(",")
            },
        )
    }

    /// Every key asked for and the value shown for each; refuses a file key nobody asked for.
    fn finish(self) -> Result<Vec<(&'static str, String)>, ConfigError> {
        let asked = self.asked.into_inner();
        if let Some(key) = self
            .file
            .keys()
            .find(|key| !asked.iter().any(|name| Self::file_key(name) == **key))
        {
            return Err(ConfigError::Toml {
                path: self.file_path,
                message: format!("unknown key '{key}'"),
            });
        }
        Ok(self.shown.into_inner())
    }
}

/// `value`, or `unset` (what being unset means) when there is none.
fn shown_or(value: Option<impl std::fmt::Display>, unset: &str) -> String {
    value.map_or_else(|| unset.to_owned(), |v| v.to_string())
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
        let src = Sources::open(file, env)?;
        let mut config = Self::read(&src)?;
        config.described = src.finish()?;
        Ok(config)
    }

    fn read(src: &Sources<'_>) -> Result<Self, ConfigError> {
        let dev = src.value(
            "ZEGEL_DEV",
            || false,
            parse_flag,
            |dev| if *dev { "1 (development mode)" } else { "0" }.to_owned(),
        )?;
        let data_dir = src.value(
            "ZEGEL_DATA_DIR",
            || PathBuf::from("./zegel-data"),
            |text| Ok(PathBuf::from(text)),
            |dir| dir.display().to_string(),
        )?;
        let listen: SocketAddr = src.value(
            "ZEGEL_LISTEN",
            || SocketAddr::from(([127, 0, 0, 1], 8080)),
            |text| {
                text.parse()
                    .map_err(|_| format!("'{text}' is not an address like 127.0.0.1:8080"))
            },
            ToString::to_string,
        )?;
        let public_url = src.value(
            "ZEGEL_PUBLIC_URL",
            || Url::parse(&format!("http://{listen}")).expect("an address is a URL's host"),
            |text| {
                Url::parse(text)
                    .ok()
                    .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
                    .ok_or_else(|| format!("'{text}' is not an http(s) URL"))
            },
            ToString::to_string,
        )?;
        let database_url = src.secret("ZEGEL_DATABASE_URL")?;
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
        src.show(
            "ZEGEL_DATABASE_URL",
            match &database_url {
                Some(url) => mask_url_password(url.expose_secret()),
                None => format!(
                    "sqlite://{}",
                    zegel_store::Db::sqlite_file(&data_dir).display()
                ),
            },
        );
        let blobs = read_blobs(src, &data_dir)?;
        let mail_text = src.text("ZEGEL_MAIL")?;
        let sms_text = src.text("ZEGEL_SMS")?;
        let mail = parse_mail(&dev_default(
            "ZEGEL_MAIL",
            mail_text,
            dev,
            sms_text.as_deref(),
        )?)?;
        if mail == MailTransportConfig::Dev && !dev {
            return Err(not_without_dev("ZEGEL_MAIL", "mailbox"));
        }
        src.show(
            "ZEGEL_MAIL",
            match &mail {
                MailTransportConfig::Dev => "dev".to_owned(),
                MailTransportConfig::Smtp { host, port } => format!("smtp://{host}:{port}"),
            },
        );
        let smtp_user = src.value(
            "ZEGEL_SMTP_USER",
            || None,
            |text| Ok(Some(text.to_owned())),
            |user| shown_or(user.as_ref(), "(not set)"),
        )?;
        let smtp_password = src.masked_secret("ZEGEL_SMTP_PASSWORD")?;
        let mail_from = src.value(
            "ZEGEL_MAIL_FROM",
            || {
                let host = public_url.host_str().unwrap_or("localhost");
                let domain = if host.contains('.') && host.parse::<IpAddr>().is_err() {
                    host
                } else {
                    "zegel.localhost"
                };
                format!("Zegel <no-reply@{domain}>")
            },
            |text| Ok(text.to_owned()),
            Clone::clone,
        )?;
        let keyring_file = src.value(
            "ZEGEL_KEYRING_FILE",
            || data_dir.join("keyring.json"),
            |text| Ok(PathBuf::from(text)),
            |path| path.display().to_string(),
        )?;
        let keyring = src.masked_secret("ZEGEL_KEYRING")?;
        let token_signing_key = src
            .masked_secret("ZEGEL_TOKEN_SIGNING_KEY")?
            .map(|key| parse_key(key.expose_secret().trim()).map(SigningKey))
            .transpose()
            .map_err(|message| ConfigError::Invalid {
                name: "ZEGEL_TOKEN_SIGNING_KEY",
                message,
            })?;
        let max_upload_bytes = src.value(
            "ZEGEL_MAX_UPLOAD_BYTES",
            || 64 * 1024 * 1024 * 1024,
            |text| {
                text.parse()
                    .map_err(|_| format!("'{text}' is not a number of bytes"))
            },
            u64::to_string,
        )?;
        let clamd = src.value(
            "ZEGEL_CLAMD",
            || None,
            |text| zegel_service::malware::ClamdAddress::parse(text).map(Some),
            |address| match address {
                Some(address) => address.to_string(),
                None => "none: received files are not scanned".to_owned(),
            },
        )?;
        let scan_retry = src.value(
            "ZEGEL_SCAN_RETRY_SECS",
            || std::time::Duration::from_secs(30),
            |text| match text.parse::<u64>() {
                Ok(secs) if secs > 0 => Ok(std::time::Duration::from_secs(secs)),
                _ => Err(format!("'{text}' is not a number of seconds above 0")),
            },
            |interval| interval.as_secs().to_string(),
        )?;
        let outbox_lease = src.value(
            "ZEGEL_OUTBOX_LEASE_SECS",
            || std::time::Duration::from_millis(zegel_outbox::LEASE_MS as u64),
            |text| match text.parse::<u64>() {
                Ok(secs) if (3..=3600).contains(&secs) => Ok(std::time::Duration::from_secs(secs)),
                _ => Err(format!(
                    "'{text}' is not a number of seconds from 3 to 3600"
                )),
            },
            |lease| lease.as_secs().to_string(),
        )?;
        let timezone = src.value(
            "ZEGEL_TIMEZONE",
            || "Europe/Amsterdam".to_owned(),
            |text| match jiff::tz::TimeZone::get(text) {
                Ok(_) => Ok(text.to_owned()),
                Err(_) => Err(format!("unknown time zone '{text}'")),
            },
            Clone::clone,
        )?;
        let ocr = src.value(
            "ZEGEL_OCR",
            || None,
            |text| zegel_service::scan::OcrMode::parse(text).map(Some),
            |mode| {
                match mode {
                    None => "tesseract when installed, else off",
                    Some(zegel_service::scan::OcrMode::Tesseract) => "tesseract",
                    Some(zegel_service::scan::OcrMode::Off) => "off",
                }
                .to_owned()
            },
        )?;
        let addin_dir = src.value(
            "ZEGEL_ADDIN_DIR",
            || None,
            |text| Ok(Some(PathBuf::from(text))),
            |dir| shown_or(dir.as_ref().map(|d| d.display()), "(not set)"),
        )?;
        let addin_sso = AddinSso::from_settings(
            &public_url,
            src.text("ZEGEL_ADDIN_CLIENT_ID")?,
            src.text("ZEGEL_ADDIN_RESOURCE")?,
        )?;
        src.show(
            "ZEGEL_ADDIN_CLIENT_ID",
            shown_or(
                addin_sso.as_ref().map(|s| &s.client_id),
                "(not set: no Office single sign-on)",
            ),
        );
        src.show(
            "ZEGEL_ADDIN_RESOURCE",
            shown_or(addin_sso.as_ref().map(|s| &s.resource), "(not set)"),
        );
        let oidc_client_secret = src.masked_secret("ZEGEL_OIDC_CLIENT_SECRET")?;
        let metrics_token = src.masked_secret("ZEGEL_METRICS_TOKEN")?;
        let mail_is_real = mail != MailTransportConfig::Dev;
        let sms_text = dev_default("ZEGEL_SMS", sms_text, dev, mail_is_real.then_some("smtp"))?;
        let sms = match sms_text.as_str() {
            "dev" if !dev => return Err(not_without_dev("ZEGEL_SMS", "SMS box")),
            "dev" => SmsConfig::Dev,
            "twilio" => {
                let required = |name: &'static str| ConfigError::Invalid {
                    name,
                    message: "is required with ZEGEL_SMS=twilio".to_owned(),
                };
                let account_sid = src
                    .text("ZEGEL_TWILIO_ACCOUNT_SID")?
                    .ok_or_else(|| required("ZEGEL_TWILIO_ACCOUNT_SID"))?;
                src.show("ZEGEL_TWILIO_ACCOUNT_SID", &account_sid);
                let auth_token = src
                    .masked_secret("ZEGEL_TWILIO_AUTH_TOKEN")?
                    .ok_or_else(|| required("ZEGEL_TWILIO_AUTH_TOKEN"))?;
                let from = src
                    .text("ZEGEL_TWILIO_FROM")?
                    .ok_or_else(|| required("ZEGEL_TWILIO_FROM"))?;
                src.show("ZEGEL_TWILIO_FROM", &from);
                let base_url = src.value(
                    "ZEGEL_TWILIO_BASE_URL",
                    || "https://api.twilio.com".to_owned(),
                    |text| Ok(text.to_owned()),
                    Clone::clone,
                )?;
                SmsConfig::Twilio {
                    account_sid,
                    auth_token,
                    from,
                    base_url,
                }
            }
            other => {
                return Err(ConfigError::Invalid {
                    name: "ZEGEL_SMS",
                    message: format!("'{other}' is neither 'dev' nor 'twilio'"),
                });
            }
        };
        src.show("ZEGEL_SMS", &sms_text);
        let dev_transport = mail == MailTransportConfig::Dev || matches!(sms, SmsConfig::Dev);
        let allow_https = src.flag("ZEGEL_ALLOW_DEV_WITH_HTTPS")?;
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
        let gateway = read_gateway(src)?;
        let http = HttpLimits {
            header_timeout: src.seconds("ZEGEL_HTTP_HEADER_TIMEOUT", 10.0)?,
            min_body_rate: src.number("ZEGEL_HTTP_MIN_BODY_RATE", 1024)?,
            body_rate_window: src.seconds("ZEGEL_HTTP_BODY_RATE_WINDOW", 20.0)?,
            max_connections_per_ip: src.number("ZEGEL_HTTP_MAX_CONNECTIONS_PER_IP", 128)? as usize,
        };
        Ok(Self {
            dev,
            http,
            gateway,
            addin_dir,
            addin_sso,
            oidc_client_secret,
            metrics_token,
            sms,
            listen,
            public_url,
            database_url,
            blobs,
            mail,
            smtp_user,
            smtp_password,
            mail_from,
            keyring,
            keyring_file,
            token_signing_key,
            max_upload_bytes,
            clamd,
            scan_retry,
            outbox_lease,
            timezone,
            ocr,
            data_dir,
            described: Vec::new(),
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

    /// The effective configuration as `KEY = value` lines, secrets masked: every key that was read, with
    /// the value in effect.
    pub fn describe(&self) -> String {
        self.described
            .iter()
            .map(|(key, value)| format!("{key} = {value}\n"))
            .collect()
    }
}

/// The token-signing key; its `Debug` shows nothing of it.
#[derive(Clone)]
pub struct SigningKey(pub [u8; 32]);

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(********)")
    }
}

/// 32 bytes written as 64 hex digits (the text is never repeated in the error: it is a secret).
fn parse_key(text: &str) -> Result<[u8; 32], String> {
    let digits: Option<Vec<u8>> = text
        .as_bytes()
        .chunks(2)
        .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok())
        .collect();
    digits
        .filter(|_| text.len() == 64)
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or_else(|| "must be 64 hex digits (32 random bytes: openssl rand -hex 32)".to_owned())
}

/// Where sealed files live.
#[derive(Debug, Clone)]
pub enum BlobsConfig {
    /// A directory on this machine.
    Local(PathBuf),
    /// A bucket in S3-compatible storage.
    S3(zegel_vault::s3::S3Config),
}

/// `ZEGEL_BLOBS`: a directory (by default `blobs/` in the data dir) or
/// `s3://bucket/prefix?endpoint=…&region=…&path_style=true`, whose credentials come from
/// `ZEGEL_S3_ACCESS_KEY_ID` and `ZEGEL_S3_SECRET_ACCESS_KEY` (or their `_FILE`s).
fn read_blobs(src: &Sources<'_>, data_dir: &Path) -> Result<BlobsConfig, ConfigError> {
    let text = src.text("ZEGEL_BLOBS")?;
    let key_id = src.secret("ZEGEL_S3_ACCESS_KEY_ID")?;
    let secret = src.masked_secret("ZEGEL_S3_SECRET_ACCESS_KEY")?;
    let blobs = match text {
        Some(text) if text.starts_with("s3:") => {
            let required = |name: &'static str| ConfigError::Invalid {
                name,
                message: "is required when ZEGEL_BLOBS is an s3:// bucket".to_owned(),
            };
            let key_id = key_id.ok_or_else(|| required("ZEGEL_S3_ACCESS_KEY_ID"))?;
            let secret = secret.ok_or_else(|| required("ZEGEL_S3_SECRET_ACCESS_KEY"))?;
            let config = zegel_vault::s3::S3Config::from_url(
                &text,
                key_id.expose_secret().trim().to_owned(),
                secret,
            )
            .map_err(|message| ConfigError::Invalid {
                name: "ZEGEL_BLOBS",
                message,
            })?;
            BlobsConfig::S3(config)
        }
        Some(text) if text.contains("://") => {
            return Err(ConfigError::Invalid {
                name: "ZEGEL_BLOBS",
                message: format!("'{text}' is neither a directory nor an s3:// bucket"),
            });
        }
        Some(text) => BlobsConfig::Local(PathBuf::from(text)),
        None => BlobsConfig::Local(data_dir.join("blobs")),
    };
    src.show(
        "ZEGEL_BLOBS",
        match &blobs {
            BlobsConfig::Local(dir) => dir.display().to_string(),
            BlobsConfig::S3(config) => config.describe(),
        },
    );
    src.show(
        "ZEGEL_S3_ACCESS_KEY_ID",
        match &blobs {
            BlobsConfig::S3(config) => config.access_key_id.clone(),
            BlobsConfig::Local(_) => "(not used)".to_owned(),
        },
    );
    Ok(blobs)
}

fn read_gateway(src: &Sources<'_>) -> Result<GatewayConfig, ConfigError> {
    let listen = src.value(
        "ZEGEL_SMTP_LISTEN",
        || None,
        |text| {
            text.parse::<SocketAddr>()
                .map(Some)
                .map_err(|_| format!("'{text}' is not an address like 127.0.0.1:2525"))
        },
        |listen| shown_or(listen.as_ref(), "(not set: gateway off)"),
    )?;
    let relay_networks = src.networks(
        "ZEGEL_SMTP_RELAY_NETWORKS",
        "127.0.0.0/8,::1/128",
        "10.0.0.0/8 or ::1/128",
    )?;
    let relay_cert_networks = src.networks("ZEGEL_SMTP_RELAY_CERT_NETWORKS", "", "40.92.0.0/15")?;
    let relay_cert_names = src.value(
        "ZEGEL_SMTP_RELAY_CERT_NAMES",
        Vec::new,
        |text| {
            text.split(',')
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
                        Err(format!("'{n}' is not a DNS name"))
                    }
                })
                .collect::<Result<Vec<_>, _>>()
        },
        |names| names.join(","),
    )?;
    if !relay_cert_networks.is_empty() && relay_cert_names.is_empty() {
        return Err(ConfigError::Invalid {
            name: "ZEGEL_SMTP_RELAY_CERT_NAMES",
            message:
                "is required with ZEGEL_SMTP_RELAY_CERT_NETWORKS: the certificate names those \
                      networks must present"
                    .to_owned(),
        });
    }
    let next_hop = src.value(
        "ZEGEL_SMTP_NEXT_HOP",
        || None,
        |text| match parse_mail(text) {
            Ok(MailTransportConfig::Smtp { host, port }) => Ok(Some((host, port))),
            _ => Err(format!("'{text}' is not smtp://HOST:PORT")),
        },
        |hop| {
            shown_or(
                hop.as_ref().map(|(h, p)| format!("smtp://{h}:{p}")),
                "(not set: the ZEGEL_MAIL transport)",
            )
        },
    )?;
    let tls_cert = src.file_path("ZEGEL_SMTP_TLS_CERT", "(not set: no STARTTLS)")?;
    let tls_key = src.file_path("ZEGEL_SMTP_TLS_KEY", "(not set)")?;
    let client_ca = src.file_path("ZEGEL_SMTP_CLIENT_CA", "(not set: public web PKI roots)")?;
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
    let max_size = src.number("ZEGEL_SMTP_MAX_SIZE", 50 * 1024 * 1024)?;
    let max_recipients = src.number("ZEGEL_SMTP_MAX_RECIPIENTS", 100)? as usize;
    let max_connections_per_ip = src.number("ZEGEL_SMTP_MAX_CONNECTIONS_PER_IP", 20)? as usize;
    if max_connections_per_ip > zegel_gateway::MAX_CONNECTIONS / 4 {
        return Err(ConfigError::Invalid {
            name: "ZEGEL_SMTP_MAX_CONNECTIONS_PER_IP",
            message: format!(
                "must stay well below the gateway's {} connections: at most {}",
                zegel_gateway::MAX_CONNECTIONS,
                zegel_gateway::MAX_CONNECTIONS / 4
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

/// A yes/no value: `1`, `true`, `yes` or `0`, `false`, `no`.
fn parse_flag(text: &str) -> Result<bool, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" => Ok(true),
        "0" | "false" | "no" => Ok(false),
        _ => Err(format!("'{text}' is neither 1 nor 0")),
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
    fn the_blob_store_is_a_directory_or_a_bucket_with_its_credentials() {
        let local = load(&[("ZEGEL_DATA_DIR", "/srv/zegel")]).unwrap();
        assert!(
            matches!(&local.blobs, BlobsConfig::Local(dir) if dir == Path::new("/srv/zegel/blobs"))
        );
        let bucket = "s3://zegel-blobs/prod?endpoint=http://127.0.0.1:9000&path_style=true";
        let (name, message) = refused(&[("ZEGEL_BLOBS", bucket)]);
        assert_eq!(name, "ZEGEL_S3_ACCESS_KEY_ID");
        assert!(message.contains("s3://"), "{message}");
        assert_eq!(
            refused(&[("ZEGEL_BLOBS", bucket), ("ZEGEL_S3_ACCESS_KEY_ID", "minio")]).0,
            "ZEGEL_S3_SECRET_ACCESS_KEY"
        );
        let dir = tempfile::TempDir::new().unwrap();
        let secret_file = dir.path().join("secret");
        std::fs::write(&secret_file, "Geheim-S3-Sleutel\n").unwrap();
        let config = load(&[
            ("ZEGEL_BLOBS", bucket),
            ("ZEGEL_S3_ACCESS_KEY_ID", "minio"),
            (
                "ZEGEL_S3_SECRET_ACCESS_KEY_FILE",
                secret_file.to_str().unwrap(),
            ),
        ])
        .unwrap();
        let BlobsConfig::S3(s3) = &config.blobs else {
            panic!("{:?}", config.blobs)
        };
        assert_eq!(
            (s3.bucket.as_str(), s3.prefix.as_str()),
            ("zegel-blobs", "prod")
        );
        assert!(s3.path_style);
        assert_eq!(
            secrecy::ExposeSecret::expose_secret(&s3.secret_access_key),
            "Geheim-S3-Sleutel"
        );
        let described = config.describe();
        assert!(
            described.contains("ZEGEL_BLOBS = s3://zegel-blobs/prod"),
            "{described}"
        );
        assert!(!described.contains("Geheim-S3-Sleutel"), "{described}");
        assert!(!format!("{config:?}").contains("Geheim-S3-Sleutel"));
        let (name, message) = refused(&[
            ("ZEGEL_BLOBS", "s3://zegel-blobs"),
            ("ZEGEL_S3_ACCESS_KEY_ID", "a"),
            ("ZEGEL_S3_SECRET_ACCESS_KEY", "b"),
        ]);
        assert_eq!(name, "ZEGEL_BLOBS");
        assert!(message.contains("region is required"), "{message}");
        assert_eq!(refused(&[("ZEGEL_BLOBS", "gs://zegel")]).0, "ZEGEL_BLOBS");
    }

    #[test]
    fn a_token_signing_key_is_64_hex_digits_and_never_shown() {
        let key = "0f".repeat(32);
        let config = load(&[("ZEGEL_TOKEN_SIGNING_KEY", &key)]).unwrap();
        assert_eq!(config.token_signing_key.as_ref().unwrap().0, [0x0f; 32]);
        assert!(!config.describe().contains(&key));
        assert!(!format!("{config:?}").contains("15, 15"));
        for bad in ["0f", "zz".repeat(32).as_str()] {
            let (name, message) = refused(&[("ZEGEL_TOKEN_SIGNING_KEY", bad)]);
            assert_eq!(name, "ZEGEL_TOKEN_SIGNING_KEY");
            assert!(
                message.contains("64 hex digits") && !message.contains(bad),
                "{message}"
            );
        }
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

    #[test]
    fn every_setting_has_a_file_twin_the_environment_wins_and_unknown_keys_are_refused() {
        let dir = tempfile::TempDir::new().unwrap();
        let file = dir.path().join("zegel.toml");
        std::fs::write(
            &file,
            "dev = false\nmail = \"smtp://mail.example:2525\"\nsms = \"twilio\"\n\
             twilio_account_sid = \"AC123\"\ntwilio_auth_token = \"t0ken\"\n\
             twilio_from = \"+31201234567\"\nkeyring = \"{}\"\nsmtp_max_size = 1000\n\
             smtp_max_connections_per_ip = 7\nhttp_header_timeout = 2.5\n\
             timezone = \"Europe/Stockholm\"\n",
        )
        .unwrap();
        let env = |name: &str| (name == "ZEGEL_TIMEZONE").then(|| "Europe/Amsterdam".to_owned());
        let config = Config::from_sources(Some(&file), &env).unwrap();
        assert!(!config.dev);
        assert!(
            matches!(&config.sms, SmsConfig::Twilio { account_sid, .. } if account_sid == "AC123")
        );
        assert!(config.keyring.is_some());
        assert_eq!(config.gateway.max_size, 1000);
        assert_eq!(config.gateway.max_connections_per_ip, 7);
        assert_eq!(config.http.header_timeout, Duration::from_millis(2500));
        assert_eq!(config.timezone, "Europe/Amsterdam", "the environment wins");
        let described = config.describe();
        assert!(!described.contains("t0ken"), "{described}");
        assert!(
            described.contains("ZEGEL_TWILIO_AUTH_TOKEN = ********"),
            "{described}"
        );
        for line in described.lines() {
            let key = line.split(" = ").next().unwrap();
            assert_eq!(
                described
                    .lines()
                    .filter(|l| l.starts_with(&format!("{key} = ")))
                    .count(),
                1,
                "{key} is described once"
            );
        }

        std::fs::write(&file, "lisen = \"127.0.0.1:9090\"\n").unwrap();
        let dev = |name: &str| (name == "ZEGEL_DEV").then(|| "1".to_owned());
        let error = Config::from_sources(Some(&file), &dev)
            .unwrap_err()
            .to_string();
        assert!(error.contains("unknown key 'lisen'"), "{error}");
    }
}
