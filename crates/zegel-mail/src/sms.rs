//! Outgoing SMS: the built-in dev box (`/dev/sms`) and a client of Twilio's Messages API, which many
//! providers copy. SMS leave only through the outbox, like e-mail.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use zegel_core::Language;

/// An SMS ready to send; it travels sealed through the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutgoingSms {
    /// The number in E.164.
    pub to: String,
    /// The text.
    pub body: String,
}

/// A failed send.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct SmsError {
    /// Retrying will not help (e.g. an invalid number).
    pub permanent: bool,
    /// What the provider said (never the message text).
    pub message: String,
}

/// An SMS kept by the dev transport.
#[derive(Debug, Clone, Serialize)]
pub struct DevSms {
    /// Recipient number.
    pub to: String,
    /// Text.
    pub body: String,
    /// When (RFC 3339).
    pub at: String,
}

/// The dev SMS box: the last messages, in memory only.
#[derive(Debug, Default)]
pub struct DevSmsBox {
    messages: Mutex<VecDeque<DevSms>>,
}

impl DevSmsBox {
    /// Everything kept, oldest first.
    pub fn all(&self) -> Vec<DevSms> {
        self.messages
            .lock()
            .expect("sms box lock poisoned")
            .iter()
            .cloned()
            .collect()
    }
}

/// Twilio's Messages API (or a compatible provider).
#[derive(Debug)]
pub struct TwilioClient {
    http: reqwest::Client,
    base_url: String,
    account_sid: String,
    auth_token: SecretString,
    from: String,
}

/// Twilio's error document.
#[derive(Debug, Deserialize)]
struct TwilioError {
    code: Option<i64>,
    message: Option<String>,
    more_info: Option<String>,
}

/// Twilio's answer to a created message.
#[derive(Debug, Deserialize)]
struct TwilioMessage {
    sid: String,
    status: String,
}

impl TwilioClient {
    /// A client for `base_url` (Twilio's API host by default).
    pub fn new(
        base_url: &str,
        account_sid: &str,
        auth_token: SecretString,
        from: &str,
    ) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()?;
        Ok(Self {
            http,
            base_url: base_url.trim_end_matches('/').to_owned(),
            account_sid: account_sid.to_owned(),
            auth_token,
            from: from.to_owned(),
        })
    }

    /// Sends one SMS: `POST /2010-04-01/Accounts/{AccountSid}/Messages.json`, form-encoded, HTTP basic
    /// auth. `429` and `5xx` are temporary; other `4xx` (an invalid number, say) are permanent.
    pub async fn send(&self, sms: &OutgoingSms) -> Result<String, SmsError> {
        let url = format!(
            "{}/2010-04-01/Accounts/{}/Messages.json",
            self.base_url, self.account_sid
        );
        // A Messaging Service SID starts with "MG"; anything else is a sender number or name.
        let from_field = if self.from.starts_with("MG") {
            "MessagingServiceSid"
        } else {
            "From"
        };
        let form = [
            ("To", sms.to.as_str()),
            (from_field, self.from.as_str()),
            ("Body", sms.body.as_str()),
        ];
        let response = self
            .http
            .post(&url)
            .basic_auth(&self.account_sid, Some(self.auth_token.expose_secret()))
            .form(&form)
            .send()
            .await
            .map_err(|e| SmsError {
                permanent: false,
                message: format!("SMS provider unreachable: {e}"),
            })?;
        let status = response.status();
        let body = response.bytes().await.unwrap_or_default();
        if status.is_success() {
            let message: TwilioMessage = serde_json::from_slice(&body).map_err(|_| SmsError {
                permanent: false,
                message: format!("SMS provider answered {status} without a message"),
            })?;
            tracing::info!(sid = %message.sid, status = %message.status, "SMS accepted by the provider");
            return Ok(message.sid);
        }
        let detail = serde_json::from_slice::<TwilioError>(&body)
            .map(|e| {
                format!(
                    "code {} {}{}",
                    e.code.map(|c| c.to_string()).unwrap_or_else(|| "?".into()),
                    e.message.unwrap_or_default(),
                    e.more_info.map(|m| format!(" ({m})")).unwrap_or_default()
                )
            })
            .unwrap_or_else(|_| "no error document".to_owned());
        Err(SmsError {
            permanent: status.is_client_error() && status.as_u16() != 429,
            message: format!("SMS provider answered {status}: {detail}"),
        })
    }
}

/// Where SMS go.
#[derive(Debug)]
pub enum SmsSender {
    /// The dev box.
    Dev(DevSmsBox),
    /// A Twilio-compatible provider.
    Twilio(TwilioClient),
}

impl SmsSender {
    /// The dev box, when that is the transport.
    pub fn dev_box(&self) -> Option<&DevSmsBox> {
        match self {
            Self::Dev(dev) => Some(dev),
            Self::Twilio(_) => None,
        }
    }

    /// Sends one SMS.
    pub async fn send(&self, sms: &OutgoingSms) -> Result<(), SmsError> {
        match self {
            Self::Dev(dev) => {
                let mut messages = dev.messages.lock().expect("sms box lock poisoned");
                if messages.len() == 500 {
                    messages.pop_front();
                }
                messages.push_back(DevSms {
                    to: sms.to.clone(),
                    body: sms.body.clone(),
                    at: jiff::Timestamp::now().to_string(),
                });
                Ok(())
            }
            Self::Twilio(client) => client.send(sms).await.map(|_| ()),
        }
    }
}

/// GSM 03.38's basic character set: text made only of these fits 160 characters in one SMS.
const GSM7: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

/// The code SMS: "Your code from <organisation> for "<subject>": 123456 (valid for 10 min.)", shortened
/// so it is one SMS segment (160 GSM-7 characters, or 70 when the text needs Unicode): the subject first,
/// then the organisation's name.
pub fn code_text(
    language: Language,
    form: zegel_core::settings::FormOfAddress,
    organisation: &str,
    subject: &str,
    code: &str,
    valid_minutes: i64,
) -> String {
    let (before, neutral, valid) = match language {
        Language::Nl if form == zegel_core::settings::FormOfAddress::Je => (
            "Je code van {org} voor",
            "je beveiligde bericht",
            "{n} min. geldig",
        ),
        Language::Nl => (
            "Uw code van {org} voor",
            "uw beveiligde bericht",
            "{n} min. geldig",
        ),
        Language::En => (
            "Your code from {org} for",
            "your secure message",
            "valid {n} min.",
        ),
        Language::Sv => (
            "Din kod från {org} för",
            "ditt säkra meddelande",
            "gäller {n} min.",
        ),
    };
    let valid = valid.replace("{n}", &valid_minutes.to_string());
    let organisation: String = organisation
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let organisation: String = organisation.chars().take(40).collect();
    let before = before.replace("{org}", &organisation);
    let whole = |subject: &str| {
        if subject.is_empty() {
            format!("{before} {neutral}: {code} ({valid})")
        } else {
            format!("{before} \"{subject}\": {code} ({valid})")
        }
    };
    let subject: String = subject.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut candidate = whole(&subject);
    let fits = |text: &str| {
        if text.chars().all(|c| GSM7.contains(c)) {
            text.chars().count() <= 160
        } else {
            text.chars().count() <= 70
        }
    };
    let mut keep = subject.chars().count();
    while !fits(&candidate) && keep > 0 {
        keep -= 1;
        let shortened: String = subject
            .chars()
            .take(keep)
            .collect::<String>()
            .trim_end()
            .to_owned()
            + "…";
        candidate = if keep == 0 {
            whole("")
        } else {
            whole(&shortened)
        };
    }
    candidate
}

#[cfg(test)]
mod tests {
    use super::*;
    use zegel_core::settings::FormOfAddress;

    #[test]
    fn code_texts_fit_one_segment() {
        assert_eq!(
            code_text(Language::Nl, FormOfAddress::Je, "ZHN", "", "123456", 10),
            "Je code van ZHN voor je beveiligde bericht: 123456 (10 min. geldig)"
        );
        assert_eq!(
            code_text(
                Language::En,
                FormOfAddress::U,
                "ZHN",
                "Dossier 42",
                "123456",
                10
            ),
            "Your code from ZHN for \"Dossier 42\": 123456 (valid 10 min.)"
        );
        assert_eq!(
            code_text(
                Language::Nl,
                FormOfAddress::U,
                "Ziekenhuis Noordhaven",
                "",
                "123456",
                10
            ),
            "Uw code van Ziekenhuis Noordhaven voor uw beveiligde bericht: 123456 (10 min. geldig)"
        );
        let long = "Verslag ".repeat(40);
        let text = code_text(Language::Sv, FormOfAddress::U, "ZHN", &long, "654321", 10);
        assert!(
            text.chars().count() <= 160 && text.ends_with("…\": 654321 (gäller 10 min.)"),
            "{text}"
        );
        // ë is not GSM-7: the message is Unicode and must stay within 70 characters.
        let unicode = code_text(
            Language::Nl,
            FormOfAddress::U,
            "ZHN",
            "Patiëntendossier van mevrouw Jansen-de Vries, afdeling cardiologie",
            "111111",
            10,
        );
        assert!(unicode.chars().count() <= 70, "{unicode}");
        assert!(unicode.ends_with(": 111111 (10 min. geldig)"), "{unicode}");
    }
}
