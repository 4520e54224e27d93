//! The server's configuration: defaults, then an optional `zegel.toml`, then `ZEGEL_*` environment
//! variables (the environment wins). Secrets may also come from files named by `ZEGEL_*_FILE`, and are
//! never printed: [`Config::describe`] masks them.

use std::net::SocketAddr;
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
    /// The SMS transport.
    pub sms: SmsConfig,
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
        let file_config = match file {
            Some(path) => read_file_config(path)?,
            None if Path::new("zegel.toml").exists() => read_file_config(Path::new("zegel.toml"))?,
            None => FileConfig::default(),
        };
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
        Ok(Self {
            addin_dir,
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
            (
                "ZEGEL_SMS",
                match &self.sms {
                    SmsConfig::Dev => "dev".to_owned(),
                    SmsConfig::Twilio { account_sid, from, base_url, .. } => {
                        format!("twilio (account {account_sid}, from {from}, {base_url}, auth token ********)")
                    }
                },
            ),
        ]
        .iter()
        .map(|(key, value)| format!("{key} = {value}\n"))
        .collect()
    }
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
        ] {
            let error = load(&vars).unwrap_err().to_string();
            assert!(error.starts_with(name), "{error}");
        }
    }
}
