//! A tenant's settings: what its admins decide and what senders may choose.
//!
//! [`TenantSettings`] is the document of `GET/PUT/PATCH /api/v1/admin/settings`. [`TenantSettings::validate`]
//! checks and normalises every field, naming the field that is wrong, so the admin page, the API and the
//! task pane say the same thing. [`TenantSettings::enforce`] applies the settings to a validated message
//! request: the pane hides what the tenant hides, and the server refuses it when sent anyway, so hiding an
//! option in the pane is convenience, not security. [`SenderSettings`] is what a sender may see.

use serde::{Deserialize, Serialize};

use crate::address::normalize_email;
use crate::message::{AuthLevel, Deliver, Language, RequestError, RequestLimits, ValidatedMessage};
use crate::policy::ContentFilterPolicy;
use crate::upload_request::{UploadRequestTemplate, validate_templates};

/// The longest link expiry a tenant may set unless its operator allows more (seed 001 §2.4).
pub const DEFAULT_MAX_EXPIRY_DAYS: u32 = 14;
/// The longest expiry an operator may allow a tenant at all.
pub const OPERATOR_MAX_EXPIRY_DAYS: u32 = 3650;
/// The highest default download limit.
pub const MAX_DOWNLOADS_DEFAULT: u32 = 1000;
/// The most internal domains, trigger words or activation words a tenant may list.
pub const MAX_LIST_ENTRIES: usize = 500;
/// The longest trigger or activation word, in characters.
pub const MAX_WORD_CHARS: usize = 100;
/// The longest brand name, in characters.
pub const MAX_BRAND_NAME_CHARS: usize = 100;
/// The longest logo URL, in bytes.
pub const MAX_LOGO_URL_BYTES: usize = 2048;

/// Every ISO 3166-1 alpha-2 code (from Debian's iso-codes).
const ISO_3166_ALPHA2: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ \
BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI \
FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT \
JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ \
MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS \
RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA \
UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

/// Link expiry in days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ExpiryDays {
    /// When the sender names none.
    pub default: u32,
    /// The longest a sender may choose.
    pub max: u32,
}

/// Which 1FA passwords senders may use (seed 001 §3.1: an admin may hide either).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PasswordOptions {
    /// A password Zegel generates.
    pub generated: bool,
    /// The sender's own password.
    pub custom: bool,
    /// The zxcvbn score a custom password needs (3 or 4).
    pub min_score: u8,
}

/// How e-mails and the portal present the tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Branding {
    /// The organisation's name, shown in notifications and as the From display name.
    pub name: String,
    /// The accent colour, `#rrggbb`.
    pub color: String,
    /// An `https://` URL of the logo, or none.
    #[serde(default)]
    pub logo_url: Option<String>,
}

/// How Dutch texts address the recipient: the formal "u" (hospitals, municipalities and law firms) or
/// the informal "je". Swedish "du" and English "you" need no choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum FormOfAddress {
    /// "u", the default.
    #[default]
    U,
    /// "je".
    Je,
}

/// Whom recipients can ask about a message (seed 003's support contact): shown in every mail and portal
/// page. A name and at least one way to reach them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Support {
    /// Who answers, e.g. "Servicedesk Ziekenhuis Noordhaven".
    pub name: String,
    /// Their e-mail address.
    #[serde(default)]
    pub email: Option<String>,
    /// Their phone number, as people should dial it.
    #[serde(default)]
    pub phone: Option<String>,
    /// A help page (`https://`).
    #[serde(default)]
    pub url: Option<String>,
}

/// A tenant's settings document, exactly as the admin API reads and writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TenantSettings {
    /// Domains whose recipients count as colleagues (the tenant's own mail domains on day one).
    pub internal_domains: Vec<String>,
    /// Secure sending for external recipients only (true) or for colleagues too (seed 003). The content
    /// filter's own `external_only` mirrors this field.
    pub external_only: bool,
    /// Default and maximum link expiry.
    pub expiry_days: ExpiryDays,
    /// Downloads per file and recipient when the sender names none; `None` is unlimited.
    #[serde(default)]
    pub max_downloads_default: Option<u32>,
    /// Which passwords senders may use for 1FA.
    pub password_options: PasswordOptions,
    /// Whether 1FA is offered at all (care tenants: 2FA only, never silently downgraded).
    pub allow_1fa: bool,
    /// Whether a sender may tell the password another way ("send via: other").
    pub allow_deliver_other: bool,
    /// The country of phone numbers written without a country code (ISO 3166 alpha-2).
    pub sms_default_country: String,
    /// The languages offered to senders; the first is the default.
    pub languages: Vec<Language>,
    /// Name, colour and logo in e-mails and the portal.
    pub branding: Branding,
    /// The address notifications come from (in one of the tenant's domains); `None` uses the server's.
    #[serde(default)]
    pub notification_from: Option<String>,
    /// Notifications show a neutral subject instead of the message's own.
    pub hide_subject: bool,
    /// Whom recipients can ask about a message; shown in every mail and portal page.
    #[serde(default)]
    pub support: Option<Support>,
    /// How Dutch mails and pages address the recipient ("u" unless the tenant chooses "je").
    #[serde(default)]
    pub form_of_address: FormOfAddress,
    /// The organisation's privacy statement (`https://`), linked from every mail and portal page.
    #[serde(default)]
    pub privacy_url: Option<String>,
    /// The content filter's rules, words and warnings.
    pub content_filter: ContentFilterPolicy,
    /// Mail through the SMTP gateway whose only findings are in attachments becomes "secure files"
    /// (the body travels in the notification) instead of a secure message. Off on day one.
    #[serde(default)]
    pub gateway_attachments_as_secure_files: bool,
    /// Whether senders get a confirmation mail with the summary of what they sent, unless they choose
    /// otherwise per message. Off on day one.
    #[serde(default)]
    pub confirm_to_sender: bool,
    /// Whether senders get a mail each time a recipient downloads, unless they choose otherwise per
    /// message. Off on day one.
    #[serde(default)]
    pub notify_sender_on_download: bool,
    /// Upload requests prepared for senders (seed 001 §6.1 step 2): a name, the request's text in each
    /// language and the kinds of files asked for. None on day one.
    #[serde(default)]
    pub upload_request_templates: Vec<UploadRequestTemplate>,
    /// Replies to secure messages (seeds 000/002 "Beantwoorden"): on, to whom, how many.
    #[serde(default)]
    pub replies: ReplySettings,
    /// Sending from the browser (`/send`, seed 004): who may, and how long a verified address is
    /// remembered on a browser.
    #[serde(default)]
    pub web_send: WebSendSettings,
}

/// Who may send from the browser: staff (addresses of the tenant's domains) to anyone; outsiders to the
/// organisation's own addresses only, or not at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WebSendSettings {
    /// What outsiders may do.
    #[serde(default)]
    pub outsiders: WebSendOutsiders,
    /// Days a verified address stays verified on a browser (1 to 365; 30 by default).
    #[serde(default = "thirty")]
    pub remember_days: u32,
}

fn thirty() -> u32 {
    30
}

impl Default for WebSendSettings {
    fn default() -> Self {
        Self {
            outsiders: WebSendOutsiders::ToOrganisation,
            remember_days: 30,
        }
    }
}

/// What outsiders may send from the browser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum WebSendOutsiders {
    /// To the organisation's own addresses only (citizens to the municipality).
    #[default]
    ToOrganisation,
    /// Nothing: only staff send from the browser.
    Off,
}

/// What recipients may answer with "Beantwoorden".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReplySettings {
    /// Whether recipients can reply at all. On by default.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Whether a reply may go to every recipient (To and Cc) besides the sender. Off by default.
    #[serde(default)]
    pub to_all: bool,
    /// The most replies one conversation may have (1 to 100; 10 by default).
    #[serde(default = "ten")]
    pub max_per_conversation: u32,
}

fn yes() -> bool {
    true
}

fn ten() -> u32 {
    10
}

impl Default for ReplySettings {
    fn default() -> Self {
        Self {
            enabled: true,
            to_all: false,
            max_per_conversation: 10,
        }
    }
}

/// What settings are checked against, beyond the document itself.
#[derive(Debug, Clone, Copy)]
pub struct SettingsContext<'a> {
    /// The longest expiry the operator allows this tenant (14 unless raised).
    pub max_expiry_days_allowed: u32,
    /// The mail domains the tenant owns (notification From addresses must be in one of them).
    pub tenant_domains: &'a [String],
}

/// The settings a sender's client needs: what to offer, never the content filter's words or rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SenderSettings {
    /// Domains whose recipients count as colleagues.
    pub internal_domains: Vec<String>,
    /// Secure sending for external recipients only.
    pub external_only: bool,
    /// Default and maximum link expiry.
    pub expiry_days: ExpiryDays,
    /// The download limit when the sender names none.
    pub max_downloads_default: Option<u32>,
    /// Which passwords senders may use for 1FA.
    pub password_options: PasswordOptions,
    /// Whether 1FA is offered.
    pub allow_1fa: bool,
    /// Whether "send via: other" is offered.
    pub allow_deliver_other: bool,
    /// The default country of phone numbers.
    pub sms_default_country: String,
    /// The languages offered; the first is the default.
    pub languages: Vec<Language>,
    /// Name, colour and logo.
    pub branding: Branding,
    /// Whether the content filter can force secure sending (a rule or trigger word with `force`, or an
    /// activation word): the on-send check fails closed for such tenants when the server is unreachable.
    pub policy_forces: bool,
    /// The tenant's default for a confirmation mail to the sender.
    #[serde(default)]
    pub confirm_to_sender: bool,
    /// The tenant's default for a mail to the sender on each download.
    #[serde(default)]
    pub notify_sender_on_download: bool,
    /// The upload request templates a sender may choose from.
    #[serde(default)]
    pub upload_request_templates: Vec<UploadRequestTemplate>,
}

impl Default for SenderSettings {
    /// What a new tenant offers its senders on day one ([`TenantSettings::day_one`], no domains): every
    /// option allowed, 14 days, Dutch numbers, every language.
    fn default() -> Self {
        TenantSettings::day_one("Zegel", &[]).for_senders()
    }
}

fn error(field: impl Into<String>, message: impl Into<String>) -> RequestError {
    RequestError {
        field: field.into(),
        message: message.into(),
        feedback: Vec::new(),
    }
}

/// Validates and normalises a mail domain (lower case, no leading `@`).
pub fn normalize_domain(domain: &str) -> Option<String> {
    let domain = domain.trim().trim_start_matches('@').to_ascii_lowercase();
    // The same rules as the domain of an address, by checking a probe address.
    normalize_email(&format!("probe@{domain}")).ok()?;
    Some(domain)
}

/// Whether `domain` is `parent` or one of its subdomains.
pub fn within(domain: &str, parent: &str) -> bool {
    domain == parent
        || domain
            .strip_suffix(parent)
            .is_some_and(|rest| rest.ends_with('.'))
}

fn check_words(words: &mut [String], field: &str) -> Result<(), RequestError> {
    if words.len() > MAX_LIST_ENTRIES {
        return Err(error(field, format!("at most {MAX_LIST_ENTRIES} words")));
    }
    for (i, word) in words.iter_mut().enumerate() {
        let trimmed = word.trim();
        if trimmed.is_empty() {
            return Err(error(format!("{field}[{i}]"), "must not be empty"));
        }
        if trimmed.chars().count() > MAX_WORD_CHARS || trimmed.chars().any(char::is_control) {
            return Err(error(
                format!("{field}[{i}]"),
                format!("at most {MAX_WORD_CHARS} characters on one line"),
            ));
        }
        *word = trimmed.to_owned();
    }
    Ok(())
}

impl TenantSettings {
    /// What a new Dutch care tenant needs on day one: its own domains internal, secure sending for
    /// external recipients, 14 days, both password options with zxcvbn score 3, 1FA and "send via other"
    /// allowed, Dutch phone numbers, Dutch first then English and Swedish, the care content filter.
    pub fn day_one(tenant_name: &str, tenant_domains: &[String]) -> Self {
        let name: String = tenant_name
            .trim()
            .chars()
            .filter(|c| !c.is_control())
            .take(MAX_BRAND_NAME_CHARS)
            .collect();
        Self {
            internal_domains: tenant_domains.to_vec(),
            external_only: true,
            expiry_days: ExpiryDays {
                default: DEFAULT_MAX_EXPIRY_DAYS,
                max: DEFAULT_MAX_EXPIRY_DAYS,
            },
            max_downloads_default: None,
            password_options: PasswordOptions {
                generated: true,
                custom: true,
                min_score: crate::password::DEFAULT_MIN_SCORE,
            },
            allow_1fa: true,
            allow_deliver_other: true,
            sms_default_country: "NL".to_owned(),
            languages: vec![Language::Nl, Language::En, Language::Sv],
            branding: Branding {
                name: if name.is_empty() {
                    "Zegel".to_owned()
                } else {
                    name
                },
                color: "#0b6e4f".to_owned(),
                logo_url: None,
            },
            notification_from: None,
            support: None,
            form_of_address: FormOfAddress::U,
            privacy_url: None,
            hide_subject: false,
            content_filter: ContentFilterPolicy::default(),
            gateway_attachments_as_secure_files: false,
            confirm_to_sender: false,
            notify_sender_on_download: false,
            upload_request_templates: Vec::new(),
            replies: ReplySettings::default(),
            web_send: WebSendSettings::default(),
        }
    }

    /// Checks every field and normalises the document in place (domains and colours in lower case, the
    /// country in upper case, words trimmed, the content filter's `external_only` mirroring the top-level
    /// field). The error names the first offending field, e.g. `expiry_days.max`.
    pub fn validate(&mut self, context: &SettingsContext<'_>) -> Result<(), RequestError> {
        if self.internal_domains.len() > MAX_LIST_ENTRIES {
            return Err(error(
                "internal_domains",
                format!("at most {MAX_LIST_ENTRIES} domains"),
            ));
        }
        let mut domains: Vec<String> = Vec::with_capacity(self.internal_domains.len());
        for (i, domain) in self.internal_domains.iter().enumerate() {
            let normalised = normalize_domain(domain).ok_or_else(|| {
                error(
                    format!("internal_domains[{i}]"),
                    format!("'{domain}' is not a mail domain"),
                )
            })?;
            if !domains.contains(&normalised) {
                domains.push(normalised);
            }
        }
        self.internal_domains = domains;

        let allowed = context.max_expiry_days_allowed;
        if self.expiry_days.max == 0 || self.expiry_days.max > allowed {
            let hint = if allowed <= DEFAULT_MAX_EXPIRY_DAYS {
                " (a longer maximum must be agreed with the operator)"
            } else {
                ""
            };
            return Err(error(
                "expiry_days.max",
                format!("must be between 1 and {allowed} days{hint}"),
            ));
        }
        if self.expiry_days.default == 0 || self.expiry_days.default > self.expiry_days.max {
            return Err(error(
                "expiry_days.default",
                format!(
                    "must be between 1 and the maximum of {} days",
                    self.expiry_days.max
                ),
            ));
        }
        if let Some(n) = self.max_downloads_default
            && !(1..=MAX_DOWNLOADS_DEFAULT).contains(&n)
        {
            return Err(error(
                "max_downloads_default",
                format!("must be between 1 and {MAX_DOWNLOADS_DEFAULT}, or null for no limit"),
            ));
        }
        if !(3..=4).contains(&self.password_options.min_score) {
            return Err(error(
                "password_options.min_score",
                "must be 3 or 4 (zxcvbn's score; lower scores are guessable)",
            ));
        }
        if self.allow_1fa && !self.password_options.generated && !self.password_options.custom {
            return Err(error(
                "password_options",
                "1FA needs generated or custom passwords; to offer 2FA only, set allow_1fa to false",
            ));
        }
        let country = self.sms_default_country.trim().to_ascii_uppercase();
        if country.len() != 2 || !ISO_3166_ALPHA2.split(' ').any(|code| code == country) {
            return Err(error(
                "sms_default_country",
                format!(
                    "'{}' is not an ISO 3166 alpha-2 country code such as NL",
                    self.sms_default_country
                ),
            ));
        }
        self.sms_default_country = country;
        if self.languages.is_empty() {
            return Err(error("languages", "offer at least one language"));
        }
        for (i, language) in self.languages.iter().enumerate() {
            if self.languages[..i].contains(language) {
                return Err(error(
                    format!("languages[{i}]"),
                    format!("'{}' is listed twice", language.code()),
                ));
            }
        }

        let name = self.branding.name.trim();
        if name.is_empty()
            || name.chars().count() > MAX_BRAND_NAME_CHARS
            || name.chars().any(char::is_control)
        {
            return Err(error(
                "branding.name",
                format!("1 to {MAX_BRAND_NAME_CHARS} characters on one line"),
            ));
        }
        self.branding.name = name.to_owned();
        let color = self.branding.color.trim().to_ascii_lowercase();
        if color.len() != 7
            || !color.starts_with('#')
            || !color[1..].chars().all(|c| c.is_ascii_hexdigit())
        {
            return Err(error("branding.color", "must be a colour like #0b6e4f"));
        }
        // Buttons and headers carry white text on the brand colour, in the portal and the mails.
        let contrast = contrast_with_white(&color);
        if contrast < MIN_CONTRAST {
            return Err(error(
                "branding.color",
                format!(
                    "gives white text a contrast of only {contrast:.1}:1; choose a darker colour (at least {MIN_CONTRAST}:1, WCAG 2.2 AA)"
                ),
            ));
        }
        self.branding.color = color;
        if let Some(url) = &self.branding.logo_url {
            let url = url.trim();
            let host = url
                .strip_prefix("https://")
                .map(|rest| rest.split(['/', '?', '#']).next().unwrap_or(""));
            let bad_char = url.chars().any(|c| {
                c.is_whitespace()
                    || c.is_control()
                    || matches!(c, '"' | '\'' | '<' | '>' | '\\' | ';' | ',' | '`')
            });
            if url.is_empty() {
                self.branding.logo_url = None;
            } else if !host.is_some_and(is_url_origin_host)
                || bad_char
                || url.len() > MAX_LOGO_URL_BYTES
            {
                return Err(error(
                    "branding.logo_url",
                    "must be an https:// URL of an image, or null",
                ));
            } else {
                self.branding.logo_url = Some(url.to_owned());
            }
        }
        if let Some(support) = &mut self.support {
            validate_support(support)?;
        }
        if let Some(url) = &self.privacy_url {
            self.privacy_url = optional_https_url(url, "privacy_url")?;
        }
        if let Some(from) = &self.notification_from {
            if from.trim().is_empty() {
                self.notification_from = None;
            } else {
                let address = normalize_email(from).map_err(|_| {
                    error(
                        "notification_from",
                        format!("'{from}' is not a bare e-mail address"),
                    )
                })?;
                let domain = crate::address::domain_of(&address);
                if !context.tenant_domains.iter().any(|own| within(domain, own)) {
                    return Err(error(
                        "notification_from",
                        format!(
                            "must be an address in one of the organisation's own domains ({})",
                            context.tenant_domains.join(", ")
                        ),
                    ));
                }
                self.notification_from = Some(address);
            }
        }

        let filter = &mut self.content_filter;
        filter.external_only = self.external_only;
        for (i, rule) in filter.rules.iter().enumerate() {
            if filter.rules[..i].iter().any(|r| r.kind == rule.kind) {
                return Err(error(
                    format!("content_filter.rules[{i}].kind"),
                    format!("'{}' has a rule already", rule.kind.as_str()),
                ));
            }
        }
        if filter.trigger_words.len() > MAX_LIST_ENTRIES {
            return Err(error(
                "content_filter.trigger_words",
                format!("at most {MAX_LIST_ENTRIES} words"),
            ));
        }
        for (i, rule) in filter.trigger_words.iter_mut().enumerate() {
            let word = rule.word.trim();
            if word.is_empty()
                || word.chars().count() > MAX_WORD_CHARS
                || word.chars().any(char::is_control)
            {
                return Err(error(
                    format!("content_filter.trigger_words[{i}].word"),
                    format!("1 to {MAX_WORD_CHARS} characters on one line"),
                ));
            }
            rule.word = word.to_owned();
        }
        check_words(
            &mut filter.activation_words,
            "content_filter.activation_words",
        )?;
        validate_templates(
            &mut self.upload_request_templates,
            "upload_request_templates",
        )?;
        if !(1..=365).contains(&self.web_send.remember_days) {
            return Err(error("web_send.remember_days", "must be between 1 and 365"));
        }
        if !(1..=100).contains(&self.replies.max_per_conversation) {
            return Err(error(
                "replies.max_per_conversation",
                "must be between 1 and 100",
            ));
        }
        Ok(())
    }

    /// Lowers the expiry to what the operator allows now (after `allow-expiry` took days away).
    pub fn clamp_expiry(&mut self, max_expiry_days_allowed: u32) {
        let allowed = max_expiry_days_allowed.max(1);
        self.expiry_days.max = self.expiry_days.max.min(allowed);
        self.expiry_days.default = self.expiry_days.default.min(self.expiry_days.max);
    }

    /// The limits a message request is validated against.
    pub fn request_limits(&self) -> RequestLimits {
        RequestLimits {
            default_expiry_days: self.expiry_days.default,
            max_expiry_days: self.expiry_days.max,
            min_password_score: self.password_options.min_score,
            default_language: self.languages.first().copied().unwrap_or_default(),
            ..RequestLimits::default()
        }
    }

    /// Applies the settings to a validated request: refuses (naming the field) what the tenant does not
    /// offer — never upgrading or downgrading silently — and fills in the default download limit.
    pub fn enforce(&self, mut message: ValidatedMessage) -> Result<ValidatedMessage, RequestError> {
        if !self.languages.contains(&message.language) {
            let offered: Vec<&str> = self.languages.iter().map(|l| l.code()).collect();
            return Err(error(
                "language",
                format!("this organisation offers {}", offered.join(", ")),
            ));
        }
        if let Some(auth) = &message.auth
            && auth.level == AuthLevel::OneFa
        {
            if !self.allow_1fa {
                return Err(error(
                    "auth.level",
                    "this organisation requires 2fa; 1fa is not available",
                ));
            }
            match &auth.custom_password {
                None if !self.password_options.generated => {
                    return Err(error(
                        "auth.password",
                        "generated passwords are not available in this organisation; choose your own",
                    ));
                }
                Some(_) if !self.password_options.custom => {
                    return Err(error(
                        "auth.password",
                        "custom passwords are not available in this organisation; use a generated one",
                    ));
                }
                _ => {}
            }
            if auth.deliver == Deliver::Other && !self.allow_deliver_other {
                return Err(error(
                    "auth.deliver",
                    "this organisation sends passwords by e-mail only; 'other' is not available",
                ));
            }
        }
        if message.max_downloads.is_none() {
            message.max_downloads = self.max_downloads_default;
        }
        Ok(message)
    }

    /// What a sender may see.
    pub fn for_senders(&self) -> SenderSettings {
        SenderSettings {
            internal_domains: self.internal_domains.clone(),
            external_only: self.external_only,
            expiry_days: self.expiry_days,
            max_downloads_default: self.max_downloads_default,
            password_options: self.password_options,
            allow_1fa: self.allow_1fa,
            allow_deliver_other: self.allow_deliver_other,
            sms_default_country: self.sms_default_country.clone(),
            languages: self.languages.clone(),
            branding: self.branding.clone(),
            policy_forces: {
                use crate::policy::Action;
                let filter = &self.content_filter;
                filter.rules.iter().any(|r| r.action == Action::Force)
                    || filter
                        .trigger_words
                        .iter()
                        .any(|w| w.action == Action::Force)
                    || !filter.activation_words.is_empty()
            },
            confirm_to_sender: self.confirm_to_sender,
            notify_sender_on_download: self.notify_sender_on_download,
            upload_request_templates: self.upload_request_templates.clone(),
        }
    }

    /// The content filter as the scanner applies it (with the top-level `external_only`).
    pub fn content_filter_policy(&self) -> ContentFilterPolicy {
        ContentFilterPolicy {
            external_only: self.external_only,
            ..self.content_filter.clone()
        }
    }
}

/// Whether `authority` (the part of an `https://` URL between `//` and the path) is a plain host name
/// with an optional port: letters, digits, `-` and `.`, nothing a Content-Security-Policy header could
/// read as syntax (the logo's origin goes into one). No user info, no IP literal brackets.
pub fn is_url_origin_host(authority: &str) -> bool {
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    };
    let host_ok = !host.is_empty()
        && host.len() <= 253
        && !host.starts_with(['.', '-'])
        && !host.ends_with('-')
        && !host.contains("..")
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.'));
    let port_ok =
        port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()));
    host_ok && port_ok
}

/// Checks and normalises the support contact: a name on one line and at least one way to reach them.
fn validate_support(support: &mut Support) -> Result<(), RequestError> {
    let name = support.name.trim();
    if name.is_empty() || name.chars().count() > MAX_BRAND_NAME_CHARS || name.contains(['\n', '\r'])
    {
        return Err(error(
            "support.name",
            format!("1 to {MAX_BRAND_NAME_CHARS} characters on one line"),
        ));
    }
    support.name = name.to_owned();
    support.email = match support.email.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(email) => Some(normalize_email(email).map_err(|_| {
            error(
                "support.email",
                format!("'{email}' is not a bare e-mail address"),
            )
        })?),
    };
    support.phone = match support.phone.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(phone) => {
            let digits = phone.chars().filter(char::is_ascii_digit).count();
            let allowed = phone
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '(' | ')'));
            if !allowed || !(3..=20).contains(&digits) || phone.len() > 32 {
                return Err(error(
                    "support.phone",
                    format!("'{phone}' is not a phone number like +31 20 123 4567"),
                ));
            }
            Some(phone.to_owned())
        }
    };
    support.url = match &support.url {
        None => None,
        Some(url) => optional_https_url(url, "support.url")?,
    };
    if support.email.is_none() && support.phone.is_none() && support.url.is_none() {
        return Err(error(
            "support",
            "needs an e-mail address, a phone number or a URL besides the name",
        ));
    }
    Ok(())
}

/// An `https://` URL a page may link to, or none for an empty one.
fn optional_https_url(url: &str, field: &str) -> Result<Option<String>, RequestError> {
    let url = url.trim();
    if url.is_empty() {
        return Ok(None);
    }
    let host = url
        .strip_prefix("https://")
        .map(|rest| rest.split(['/', '?', '#']).next().unwrap_or(""));
    let bad_char = url.chars().any(|c| {
        c.is_whitespace() || c.is_control() || matches!(c, '"' | '\'' | '<' | '>' | '\\' | '`')
    });
    if !host.is_some_and(is_url_origin_host) || bad_char || url.len() > MAX_LOGO_URL_BYTES {
        return Err(error(field, "must be an https:// URL, or null"));
    }
    Ok(Some(url.to_owned()))
}

/// The least contrast white text needs on the brand colour (WCAG 2.2 AA for normal text).
pub const MIN_CONTRAST: f64 = 4.5;

/// The WCAG contrast ratio of white on `color` (`#rrggbb`), 1 to 21.
pub fn contrast_with_white(color: &str) -> f64 {
    let channel = |i: usize| {
        let value = u8::from_str_radix(color.get(i..i + 2).unwrap_or("00"), 16).unwrap_or(0);
        let c = f64::from(value) / 255.0;
        if c <= 0.040_45 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    let luminance = 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
    1.05 / (luminance + 0.05)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::MessageRequest;

    fn context(domains: &[String]) -> SettingsContext<'_> {
        SettingsContext {
            max_expiry_days_allowed: DEFAULT_MAX_EXPIRY_DAYS,
            tenant_domains: domains,
        }
    }

    fn valid() -> TenantSettings {
        TenantSettings::day_one("Zorg Noord", &["zorg.example".to_owned()])
    }

    #[test]
    fn day_one_is_valid_and_normalises() {
        let domains = vec!["zorg.example".to_owned()];
        let mut settings = valid();
        settings.validate(&context(&domains)).unwrap();
        assert_eq!(settings, valid());
        settings.internal_domains = vec![
            "@Zorg.Example".into(),
            "zorg.example".into(),
            "Partner.example".into(),
        ];
        settings.sms_default_country = "se".into();
        settings.branding.color = "#1A4F8B".into();
        settings.notification_from = Some("Zegel@Afd.Zorg.Example".into());
        settings.external_only = false;
        settings.validate(&context(&domains)).unwrap();
        assert_eq!(
            settings.internal_domains,
            ["zorg.example", "partner.example"]
        );
        assert_eq!(settings.sms_default_country, "SE");
        assert_eq!(settings.branding.color, "#1a4f8b");
        assert_eq!(
            settings.notification_from.as_deref(),
            Some("Zegel@afd.zorg.example")
        );
        assert!(
            !settings.content_filter.external_only,
            "the filter mirrors external_only"
        );
    }

    #[test]
    fn every_field_is_named() {
        let domains = vec!["zorg.example".to_owned()];
        type Case = (fn(&mut TenantSettings), &'static str);
        let cases: Vec<Case> = vec![
            (
                |s| s.internal_domains = vec!["not a domain".into()],
                "internal_domains[0]",
            ),
            (|s| s.expiry_days.max = 15, "expiry_days.max"),
            (|s| s.expiry_days.max = 0, "expiry_days.max"),
            (
                |s| {
                    s.expiry_days = ExpiryDays {
                        default: 10,
                        max: 7,
                    }
                },
                "expiry_days.default",
            ),
            (|s| s.expiry_days.default = 0, "expiry_days.default"),
            (
                |s| s.max_downloads_default = Some(0),
                "max_downloads_default",
            ),
            (
                |s| s.max_downloads_default = Some(MAX_DOWNLOADS_DEFAULT + 1),
                "max_downloads_default",
            ),
            (
                |s| s.password_options.min_score = 2,
                "password_options.min_score",
            ),
            (
                |s| s.password_options.min_score = 5,
                "password_options.min_score",
            ),
            (
                |s| (s.password_options.generated, s.password_options.custom) = (false, false),
                "password_options",
            ),
            (
                |s| s.sms_default_country = "XX".into(),
                "sms_default_country",
            ),
            (
                |s| s.sms_default_country = "NLD".into(),
                "sms_default_country",
            ),
            (|s| s.languages = vec![], "languages"),
            (
                |s| s.languages = vec![Language::Nl, Language::Nl],
                "languages[1]",
            ),
            (|s| s.branding.name = " ".into(), "branding.name"),
            (|s| s.branding.name = "a\nb".into(), "branding.name"),
            (|s| s.branding.color = "green".into(), "branding.color"),
            // A light yellow gives white text 1.3:1.
            (|s| s.branding.color = "#ffe066".into(), "branding.color"),
            (
                |s| s.branding.logo_url = Some("http://logo.example/a.png".into()),
                "branding.logo_url",
            ),
            (
                |s| s.branding.logo_url = Some("https://x.example/\"onerror".into()),
                "branding.logo_url",
            ),
            (
                |s| s.branding.logo_url = Some("https://x.example;script-src/a.png".into()),
                "branding.logo_url",
            ),
            (
                |s| s.branding.logo_url = Some("https://x.example'unsafe-inline'/a.png".into()),
                "branding.logo_url",
            ),
            (
                |s| s.branding.logo_url = Some("https://user@x.example/a.png".into()),
                "branding.logo_url",
            ),
            (
                |s| s.branding.logo_url = Some("https://x.example/a.png;b".into()),
                "branding.logo_url",
            ),
            (
                |s| s.notification_from = Some("Zegel <a@zorg.example>".into()),
                "notification_from",
            ),
            (
                |s| s.notification_from = Some("a@elders.example".into()),
                "notification_from",
            ),
            (
                |s| s.notification_from = Some("a@notzorg.example".into()),
                "notification_from",
            ),
            (
                |s| {
                    s.content_filter
                        .rules
                        .push(s.content_filter.rules[0].clone())
                },
                "content_filter.rules[5].kind",
            ),
            (
                |s| {
                    s.content_filter
                        .trigger_words
                        .push(crate::policy::WordRule {
                            word: " ".into(),
                            action: crate::policy::Action::Auto,
                            level: AuthLevel::OneFa,
                        })
                },
                "content_filter.trigger_words[0].word",
            ),
            (
                |s| s.content_filter.activation_words = vec!["ok".into(), "".into()],
                "content_filter.activation_words[1]",
            ),
        ];
        for (change, field) in cases {
            let mut settings = valid();
            change(&mut settings);
            let error = settings.validate(&context(&domains)).expect_err(field);
            assert_eq!(error.field, field, "{error}");
        }
        // 2FA only: no password options needed.
        let mut two_fa_only = valid();
        (
            two_fa_only.allow_1fa,
            two_fa_only.password_options.generated,
            two_fa_only.password_options.custom,
        ) = (false, false, false);
        two_fa_only.validate(&context(&domains)).unwrap();
        // An operator may allow more than 14 days.
        let mut longer = valid();
        longer.expiry_days.max = 90;
        longer
            .validate(&SettingsContext {
                max_expiry_days_allowed: 90,
                tenant_domains: &domains,
            })
            .unwrap();
        longer.clamp_expiry(30);
        assert_eq!(
            longer.expiry_days,
            ExpiryDays {
                default: 14,
                max: 30
            }
        );
    }

    fn message(json: &str, settings: &TenantSettings) -> Result<ValidatedMessage, RequestError> {
        let request: MessageRequest = serde_json::from_str(json).unwrap();
        settings.enforce(request.validate("arts@zorg.example", &settings.request_limits())?)
    }

    #[test]
    fn enforce_refuses_hidden_options() {
        const GENERATED: &str = r#"{"kind":"secure_files","recipients":[{"email":"a@b.example"}],"auth":{"level":"1fa"}}"#;
        const CUSTOM: &str = r#"{"kind":"secure_files","recipients":[{"email":"a@b.example"}],"auth":{"level":"1fa","password":{"custom":"kaas-fiets-Tulp-regen-97"}}}"#;
        const OTHER: &str = r#"{"kind":"secure_files","recipients":[{"email":"a@b.example"}],"auth":{"level":"1fa","deliver":"other"}}"#;
        const TWO_FA: &str = r#"{"kind":"secure_files","recipients":[{"email":"a@b.example"}],"auth":{"level":"2fa"}}"#;
        let all = valid();
        for json in [GENERATED, CUSTOM, OTHER, TWO_FA] {
            message(json, &all).unwrap();
        }
        let mut s = valid();
        s.password_options.generated = false;
        assert_eq!(message(GENERATED, &s).unwrap_err().field, "auth.password");
        message(CUSTOM, &s).unwrap();
        let mut s = valid();
        s.password_options.custom = false;
        assert_eq!(message(CUSTOM, &s).unwrap_err().field, "auth.password");
        let mut s = valid();
        s.allow_1fa = false;
        assert_eq!(message(GENERATED, &s).unwrap_err().field, "auth.level");
        message(TWO_FA, &s).unwrap();
        let mut s = valid();
        s.allow_deliver_other = false;
        assert_eq!(message(OTHER, &s).unwrap_err().field, "auth.deliver");

        let mut s = valid();
        s.expiry_days = ExpiryDays { default: 3, max: 7 };
        s.max_downloads_default = Some(5);
        s.languages = vec![Language::Sv, Language::En];
        s.password_options.min_score = 4;
        let ok = message(GENERATED, &s).unwrap();
        assert_eq!(
            (ok.expires_in_days, ok.max_downloads, ok.language),
            (3, Some(5), Language::Sv)
        );
        let explicit = r#"{"kind":"public_files","recipients":[{"email":"a@b.example"}],"max_downloads":2,"expires_in_days":8}"#;
        assert_eq!(message(explicit, &s).unwrap_err().field, "expires_in_days");
        let dutch =
            r#"{"kind":"public_files","recipients":[{"email":"a@b.example"}],"language":"nl"}"#;
        assert_eq!(message(dutch, &s).unwrap_err().field, "language");
    }

    fn template(name: &str) -> UploadRequestTemplate {
        use crate::upload_request::{FileType, TemplateText};
        UploadRequestTemplate {
            name: name.into(),
            text: TemplateText {
                nl: "Wilt u uw verwijsbrief uploaden?".into(),
                sv: "Vill du ladda upp din remiss?".into(),
                en: "Please upload your referral letter.".into(),
            },
            allowed_types: vec![FileType::Pdf],
        }
    }

    #[test]
    fn upload_request_templates_are_checked_and_reach_senders() {
        use crate::upload_request::{FileType, MAX_MESSAGE_BYTES};
        let domains = vec!["zorg.example".to_owned()];
        // None on day one, and a document written before templates existed reads as none.
        let mut json = serde_json::to_value(valid()).unwrap();
        assert_eq!(json["upload_request_templates"], serde_json::json!([]));
        json.as_object_mut()
            .unwrap()
            .remove("upload_request_templates");
        let older: TenantSettings = serde_json::from_value(json.clone()).unwrap();
        assert!(older.upload_request_templates.is_empty());
        // Unknown fields stay refused, in a template and in its text.
        for unknown in [
            serde_json::json!([{"name": "a", "text": {"nl": "a", "sv": "a", "en": "a"}, "types": []}]),
            serde_json::json!([{"name": "a", "text": {"nl": "a", "sv": "a", "en": "a", "de": "a"}}]),
            serde_json::json!([{"name": "a", "text": {"nl": "a", "en": "a"}}]),
        ] {
            json["upload_request_templates"] = unknown.clone();
            assert!(
                serde_json::from_value::<TenantSettings>(json.clone()).is_err(),
                "{unknown}"
            );
        }

        let mut s = valid();
        let mut intake = template("  Intake ");
        intake.text.nl = " Wilt u uw verwijsbrief uploaden?\n".into();
        intake.allowed_types = vec![FileType::Image, FileType::Pdf, FileType::Image];
        s.upload_request_templates = vec![intake, template(&"j".repeat(80))];
        s.validate(&context(&domains)).unwrap();
        let first = &s.upload_request_templates[0];
        assert_eq!(first.name, "Intake");
        assert_eq!(first.text.nl, "Wilt u uw verwijsbrief uploaden?");
        assert_eq!(first.allowed_types, [FileType::Pdf, FileType::Image]);
        assert_eq!(
            s.for_senders().upload_request_templates,
            s.upload_request_templates
        );
        let sender_json = serde_json::to_string(&s.for_senders()).unwrap();
        assert!(sender_json.contains("Intake"), "{sender_json}");

        type Case = (fn(&mut Vec<UploadRequestTemplate>), &'static str);
        let cases: Vec<Case> = vec![
            (
                |t| *t = (0..21).map(|i| template(&format!("t{i}"))).collect(),
                "upload_request_templates",
            ),
            (
                |t| t[0].name = " ".into(),
                "upload_request_templates[0].name",
            ),
            (
                |t| t[1].name = "j".repeat(81),
                "upload_request_templates[1].name",
            ),
            (
                |t| t[0].name = "In\ntake".into(),
                "upload_request_templates[0].name",
            ),
            (
                |t| t.push(template("intake")),
                "upload_request_templates[2].name",
            ),
            (
                |t| t[0].text.sv = " \n".into(),
                "upload_request_templates[0].text.sv",
            ),
            (
                |t| t[1].text.en = "x".repeat(MAX_MESSAGE_BYTES + 1),
                "upload_request_templates[1].text.en",
            ),
        ];
        for (change, field) in cases {
            let mut bad = s.clone();
            change(&mut bad.upload_request_templates);
            let error = bad.validate(&context(&domains)).expect_err(field);
            assert_eq!(error.field, field, "{error}");
        }
        let mut longest = s.clone();
        longest.upload_request_templates[1].text.nl = "x".repeat(MAX_MESSAGE_BYTES);
        longest.validate(&context(&domains)).unwrap();
    }

    #[test]
    fn senders_see_no_filter_internals() {
        let mut s = valid();
        s.content_filter.activation_words = vec!["geheim-woord".into()];
        let json = serde_json::to_string(&s.for_senders()).unwrap();
        assert!(
            !json.contains("geheim-woord") && !json.contains("rules"),
            "{json}"
        );
        assert!(json.contains("\"password_options\""));
    }

    #[test]
    fn senders_learn_whether_the_policy_forces() {
        use crate::policy::{Action, ContentFilterPolicy};
        let mut s = valid();
        s.content_filter = ContentFilterPolicy::default();
        assert!(
            s.for_senders().policy_forces,
            "the day-one policy forces for BSNs"
        );
        s.content_filter
            .rules
            .iter_mut()
            .for_each(|r| r.action = Action::Auto);
        assert!(!s.for_senders().policy_forces);
        s.content_filter.activation_words = vec!["zegel-veilig".into()];
        assert!(
            s.for_senders().policy_forces,
            "an activation word always forces"
        );
    }

    #[test]
    fn brand_colours_are_checked_for_contrast_with_white() {
        assert!((contrast_with_white("#000000") - 21.0).abs() < 0.01);
        assert!((contrast_with_white("#ffffff") - 1.0).abs() < 0.01);
        assert!(contrast_with_white("#ffe066") < 1.5);
        assert!(
            contrast_with_white("#0b6e4f") >= MIN_CONTRAST,
            "Zegel's own green"
        );
        assert!(contrast_with_white("#aa3300") >= MIN_CONTRAST);
    }

    #[test]
    fn support_contact_and_privacy_statement_are_checked() {
        let domains = ["zorg.example".to_owned()];
        let mut settings = TenantSettings::day_one("Zorg Noord", &domains);
        settings.support = Some(Support {
            name: " Servicedesk Zorg Noord ".into(),
            email: Some("Servicedesk@Zorg.Example".into()),
            phone: Some("+31 20 123 4567".into()),
            url: Some(" ".into()),
        });
        settings.privacy_url = Some("https://zorg.example/privacy".into());
        settings.validate(&context(&domains)).unwrap();
        let support = settings.support.clone().unwrap();
        assert_eq!(support.name, "Servicedesk Zorg Noord");
        assert_eq!(support.email.as_deref(), Some("Servicedesk@zorg.example"));
        assert_eq!(support.url, None);
        for (change, field) in [
            (
                (|s: &mut Support| s.email = Some("geen adres".into())) as fn(&mut Support),
                "support.email",
            ),
            (|s| s.phone = Some("bel ons".into()), "support.phone"),
            (
                |s| s.url = Some("http://zorg.example".into()),
                "support.url",
            ),
            (|s| s.name = "".into(), "support.name"),
            (
                |s| {
                    s.email = None;
                    s.phone = None;
                },
                "support",
            ),
        ] {
            let mut bad = settings.clone();
            change(bad.support.as_mut().unwrap());
            assert_eq!(bad.validate(&context(&domains)).unwrap_err().field, field);
        }
        let mut bad = settings.clone();
        bad.privacy_url = Some("javascript:alert(1)".into());
        assert_eq!(
            bad.validate(&context(&domains)).unwrap_err().field,
            "privacy_url"
        );
    }
}
