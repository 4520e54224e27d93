//! The settings form of the admin page: the document as form values (to show it, or to show back what
//! was submitted with its error), and form values parsed back into a document.

use zegel_core::Language;
use zegel_core::policy::{Action, Level, Rule, WordRule};
use zegel_core::settings::{Branding, ExpiryDays, PasswordOptions, TenantSettings};
use zegel_core::upload_request::{FileType, TemplateText, UploadRequestTemplate};
use zegel_dlp::Kind;

use crate::error::AppError;

/// The template rows of a submitted form: fields `tpl.<n>.name`, `.nl`, `.sv`, `.en` and `.type`
/// (repeated, one per ticked kind), in the order of `n`.
fn template_rows(pairs: &[(String, String)]) -> Vec<TemplateRow> {
    let mut rows: std::collections::BTreeMap<usize, TemplateRow> = Default::default();
    for (key, value) in pairs {
        let Some(rest) = key.strip_prefix("tpl.") else {
            continue;
        };
        let Some((index, part)) = rest.split_once('.') else {
            continue;
        };
        let Ok(index) = index.parse::<usize>() else {
            continue;
        };
        // A page never has more rows than the limit plus one; more is not a form this page made.
        if index > 64 {
            continue;
        }
        let row = rows.entry(index).or_default();
        match part {
            "name" => row.name = value.clone(),
            "nl" => row.nl = value.clone(),
            "sv" => row.sv = value.clone(),
            "en" => row.en = value.clone(),
            "type" => row.types.push(value.clone()),
            _ => {}
        }
    }
    rows.into_values().collect()
}

/// The kinds with their own rule row (the page names them in its language: `AdminTexts::rule_label`).
pub const RULE_KINDS: [Kind; 7] = [
    Kind::NlBsn,
    Kind::SePersonnummer,
    Kind::CreditCard,
    Kind::Iban,
    Kind::NlPhone,
    Kind::Email,
    Kind::Unscannable,
];

/// One rule row of the form.
#[derive(Debug, Clone)]
pub struct RuleRow {
    /// The kind's API name (`nl_bsn`).
    pub kind: &'static str,
    /// `allow`, `notify`, `auto` or `force`.
    pub action: String,
    /// `1fa` or `2fa`.
    pub level: String,
}

/// One upload-request template of the form (the last one of the page is empty, for a new one).
#[derive(Debug, Clone, Default)]
pub struct TemplateRow {
    /// Its name.
    pub name: String,
    /// Its Dutch text.
    pub nl: String,
    /// Its Swedish text.
    pub sv: String,
    /// Its English text.
    pub en: String,
    /// The API names of the kinds ticked.
    pub types: Vec<String>,
}

impl TemplateRow {
    /// Whether the kind with this API name is ticked.
    pub fn has(&self, kind: &&str) -> bool {
        self.types.iter().any(|t| t == kind)
    }

    fn is_empty(&self) -> bool {
        [&self.name, &self.nl, &self.sv, &self.en]
            .iter()
            .all(|t| t.trim().is_empty())
    }
}

/// Every input of the settings form, as text and checkboxes.
#[derive(Debug, Clone, Default)]
pub struct FormValues {
    /// One domain per line.
    pub internal_domains: String,
    /// Checkbox.
    pub external_only: bool,
    /// Number.
    pub expiry_default: String,
    /// Number.
    pub expiry_max: String,
    /// Number, or empty for no limit.
    pub max_downloads_default: String,
    /// Checkbox.
    pub pw_generated: bool,
    /// Checkbox.
    pub pw_custom: bool,
    /// `3` or `4`.
    pub min_score: String,
    /// Checkbox.
    pub allow_1fa: bool,
    /// Checkbox.
    pub allow_deliver_other: bool,
    /// Two letters.
    pub sms_default_country: String,
    /// The codes of the checked languages.
    pub languages: Vec<String>,
    /// The default language's code.
    pub default_language: String,
    /// Text.
    pub brand_name: String,
    /// `#rrggbb`.
    pub brand_color: String,
    /// URL or empty.
    pub logo_url: String,
    /// Address or empty.
    pub notification_from: String,
    /// Checkbox.
    pub hide_subject: bool,
    /// Whom recipients can ask: a name (empty: no contact shown) and the ways to reach them.
    pub support_name: String,
    /// Address or empty.
    pub support_email: String,
    /// Phone number or empty.
    pub support_phone: String,
    /// URL or empty.
    pub support_url: String,
    /// URL or empty.
    pub privacy_url: String,
    /// `u` or `je`.
    pub form_of_address: String,
    /// Checkbox.
    pub gateway_attachments_as_secure_files: bool,
    /// Checkbox: a confirmation mail to senders by default.
    pub confirm_to_sender: bool,
    /// Checkbox: a mail to senders on each download by default.
    pub notify_sender_on_download: bool,
    /// One row per kind.
    pub rules: Vec<RuleRow>,
    /// Empty (strongest other reason) or a level.
    pub activation_level: String,
    /// One `word | action | level` per line.
    pub trigger_words: String,
    /// One word per line.
    pub activation_words: String,
    /// Checkbox.
    pub warn_external: bool,
    /// Checkbox.
    pub warn_attachments: bool,
    /// The upload-request templates, and an empty row for a new one.
    pub templates: Vec<TemplateRow>,
    /// Checkbox: recipients can reply.
    pub replies_enabled: bool,
    /// Checkbox: a reply may go to every recipient.
    pub replies_to_all: bool,
    /// Number.
    pub max_replies: String,
    /// `to_organisation` or `off`.
    pub web_send_outsiders: String,
    /// Number.
    pub web_send_days: String,
}

fn action_name(action: Action) -> &'static str {
    match action {
        Action::Allow => "allow",
        Action::Notify => "notify",
        Action::Auto => "auto",
        Action::Force => "force",
    }
}

fn parse_action(text: &str) -> Option<Action> {
    match text.trim().to_ascii_lowercase().as_str() {
        "allow" => Some(Action::Allow),
        "notify" => Some(Action::Notify),
        "auto" => Some(Action::Auto),
        "force" => Some(Action::Force),
        _ => None,
    }
}

impl FormValues {
    /// The form showing `settings`.
    pub fn from_settings(settings: &TenantSettings) -> Self {
        let filter = &settings.content_filter;
        let support = settings.support.as_ref();
        let rules = RULE_KINDS
            .iter()
            .map(|kind| {
                let rule = filter.rule(*kind);
                RuleRow {
                    kind: kind.as_str(),
                    action: action_name(rule.map_or(Action::Allow, |r| r.action)).to_owned(),
                    level: rule.map_or(Level::OneFa, |r| r.level).as_str().to_owned(),
                }
            })
            .collect();
        Self {
            internal_domains: settings.internal_domains.join("\n"),
            external_only: settings.external_only,
            expiry_default: settings.expiry_days.default.to_string(),
            expiry_max: settings.expiry_days.max.to_string(),
            max_downloads_default: settings
                .max_downloads_default
                .map(|n| n.to_string())
                .unwrap_or_default(),
            pw_generated: settings.password_options.generated,
            pw_custom: settings.password_options.custom,
            min_score: settings.password_options.min_score.to_string(),
            allow_1fa: settings.allow_1fa,
            allow_deliver_other: settings.allow_deliver_other,
            sms_default_country: settings.sms_default_country.clone(),
            languages: settings
                .languages
                .iter()
                .map(|l| l.code().to_owned())
                .collect(),
            default_language: settings
                .languages
                .first()
                .copied()
                .unwrap_or_default()
                .code()
                .to_owned(),
            brand_name: settings.branding.name.clone(),
            brand_color: settings.branding.color.clone(),
            logo_url: settings.branding.logo_url.clone().unwrap_or_default(),
            notification_from: settings.notification_from.clone().unwrap_or_default(),
            hide_subject: settings.hide_subject,
            support_name: support.map(|s| s.name.clone()).unwrap_or_default(),
            support_email: support.and_then(|s| s.email.clone()).unwrap_or_default(),
            support_phone: support.and_then(|s| s.phone.clone()).unwrap_or_default(),
            support_url: support.and_then(|s| s.url.clone()).unwrap_or_default(),
            privacy_url: settings.privacy_url.clone().unwrap_or_default(),
            form_of_address: match settings.form_of_address {
                zegel_core::settings::FormOfAddress::U => "u",
                zegel_core::settings::FormOfAddress::Je => "je",
            }
            .to_owned(),
            gateway_attachments_as_secure_files: settings.gateway_attachments_as_secure_files,
            confirm_to_sender: settings.confirm_to_sender,
            notify_sender_on_download: settings.notify_sender_on_download,
            rules,
            activation_level: filter
                .rule(Kind::ActivationWord)
                .map(|r| r.level.as_str().to_owned())
                .unwrap_or_default(),
            trigger_words: filter
                .trigger_words
                .iter()
                .map(|w| {
                    format!(
                        "{} | {} | {}",
                        w.word,
                        action_name(w.action),
                        w.level.as_str()
                    )
                })
                .collect::<Vec<_>>()
                .join("\n"),
            activation_words: filter.activation_words.join("\n"),
            warn_external: filter.warn_external,
            warn_attachments: filter.warn_attachments,
            templates: settings
                .upload_request_templates
                .iter()
                .map(|t| TemplateRow {
                    name: t.name.clone(),
                    nl: t.text.nl.clone(),
                    sv: t.text.sv.clone(),
                    en: t.text.en.clone(),
                    types: t
                        .allowed_types
                        .iter()
                        .map(|k| k.as_str().to_owned())
                        .collect(),
                })
                .chain(std::iter::once(TemplateRow::default()))
                .collect(),
            replies_enabled: settings.replies.enabled,
            replies_to_all: settings.replies.to_all,
            max_replies: settings.replies.max_per_conversation.to_string(),
            web_send_outsiders: match settings.web_send.outsiders {
                zegel_core::settings::WebSendOutsiders::ToOrganisation => "to_organisation",
                zegel_core::settings::WebSendOutsiders::Off => "off",
            }
            .to_owned(),
            web_send_days: settings.web_send.remember_days.to_string(),
        }
    }

    /// The form as submitted (`application/x-www-form-urlencoded` pairs; unchecked boxes are absent).
    pub fn from_pairs(pairs: &[(String, String)]) -> Self {
        let text = |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let checked = |name: &str| pairs.iter().any(|(k, _)| k == name);
        let rules = RULE_KINDS
            .iter()
            .map(|kind| RuleRow {
                kind: kind.as_str(),
                action: text(&format!("rule_{}_action", kind.as_str())),
                level: text(&format!("rule_{}_level", kind.as_str())),
            })
            .collect();
        Self {
            internal_domains: text("internal_domains"),
            external_only: checked("external_only"),
            expiry_default: text("expiry_default"),
            expiry_max: text("expiry_max"),
            max_downloads_default: text("max_downloads_default"),
            pw_generated: checked("pw_generated"),
            pw_custom: checked("pw_custom"),
            min_score: text("min_score"),
            allow_1fa: checked("allow_1fa"),
            allow_deliver_other: checked("allow_deliver_other"),
            sms_default_country: text("sms_default_country"),
            languages: pairs
                .iter()
                .filter(|(k, _)| k == "language")
                .map(|(_, v)| v.clone())
                .collect(),
            default_language: text("default_language"),
            brand_name: text("brand_name"),
            brand_color: text("brand_color"),
            logo_url: text("logo_url"),
            notification_from: text("notification_from"),
            hide_subject: checked("hide_subject"),
            support_name: text("support_name"),
            support_email: text("support_email"),
            support_phone: text("support_phone"),
            support_url: text("support_url"),
            privacy_url: text("privacy_url"),
            form_of_address: text("form_of_address"),
            gateway_attachments_as_secure_files: checked("gateway_attachments_as_secure_files"),
            confirm_to_sender: checked("confirm_to_sender"),
            notify_sender_on_download: checked("notify_sender_on_download"),
            rules,
            activation_level: text("activation_level"),
            trigger_words: text("trigger_words"),
            activation_words: text("activation_words"),
            warn_external: checked("warn_external"),
            warn_attachments: checked("warn_attachments"),
            templates: template_rows(pairs),
            replies_enabled: checked("replies_enabled"),
            replies_to_all: checked("replies_to_all"),
            max_replies: text("max_replies"),
            web_send_outsiders: text("web_send_outsiders"),
            web_send_days: text("web_send_days"),
        }
    }

    /// The kinds of files a template can ask for: API name and the page's word for it.
    pub fn file_types(language: &str) -> Vec<(&'static str, &'static str)> {
        let language = Language::parse(language).unwrap_or_default();
        let u = crate::portal::upload::upload_texts(language, Default::default());
        FileType::ALL
            .iter()
            .map(|k| (k.as_str(), u.type_name(*k)))
            .collect()
    }

    /// Whether the language with this code is checked.
    pub fn offers(&self, code: &&str) -> bool {
        self.languages.iter().any(|l| l == code)
    }

    /// The settings document the form describes (not yet validated: [`zegel_service::settings::save`] does
    /// that). Errors name the document's field, as the API does.
    pub fn to_settings(&self) -> Result<TenantSettings, AppError> {
        let number = |field: &str, text: &str| -> Result<u32, AppError> {
            text.trim()
                .parse()
                .map_err(|_| AppError::invalid(field, "must be a whole number"))
        };
        let lines = |text: &str| -> Vec<String> {
            text.split(['\n', '\r'])
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect()
        };
        let default_language = Language::parse(&self.default_language)
            .ok_or_else(|| AppError::invalid("languages", "choose a default language"))?;
        let mut languages = vec![default_language];
        for language in Language::ALL {
            if language != default_language && self.languages.iter().any(|l| l == language.code()) {
                languages.push(language);
            }
        }
        if !self.languages.iter().any(|l| l == default_language.code()) {
            return Err(AppError::invalid(
                "languages",
                "the default language must be one of the languages offered",
            ));
        }
        let mut rules = Vec::new();
        for (i, row) in self.rules.iter().enumerate() {
            let kind = RULE_KINDS[i];
            let field = format!("content_filter.rules.{}", row.kind);
            let action = parse_action(&row.action)
                .ok_or_else(|| AppError::invalid(&field, "choose an action"))?;
            let level = Level::parse(&row.level)
                .ok_or_else(|| AppError::invalid(&field, "choose 1fa or 2fa"))?;
            if action != Action::Allow {
                rules.push(Rule {
                    kind,
                    action,
                    level,
                });
            }
        }
        if !self.activation_level.is_empty() {
            let level = Level::parse(&self.activation_level).ok_or_else(|| {
                AppError::invalid("content_filter.rules.activation_word", "choose 1fa or 2fa")
            })?;
            rules.push(Rule {
                kind: Kind::ActivationWord,
                action: Action::Force,
                level,
            });
        }
        let mut trigger_words = Vec::new();
        for (i, line) in lines(&self.trigger_words).iter().enumerate() {
            let field = format!("content_filter.trigger_words[{i}]");
            let mut parts = line.split('|').map(str::trim);
            let word = parts.next().unwrap_or("").to_owned();
            let action = match parts.next() {
                None | Some("") => Action::Auto,
                Some(text) => parse_action(text).ok_or_else(|| {
                    AppError::invalid(&field, "the action must be notify, auto or force")
                })?,
            };
            let level = match parts.next() {
                None | Some("") => Level::OneFa,
                Some(text) => Level::parse(text)
                    .ok_or_else(|| AppError::invalid(&field, "the level must be 1fa or 2fa"))?,
            };
            trigger_words.push(WordRule {
                word,
                action,
                level,
            });
        }
        let optional = |text: &str| Some(text.trim().to_owned()).filter(|t| !t.is_empty());
        let mut templates = Vec::new();
        for (i, row) in self.templates.iter().filter(|r| !r.is_empty()).enumerate() {
            let field = format!("upload_request_templates[{i}].allowed_types");
            let allowed_types = row
                .types
                .iter()
                .map(|t| {
                    FileType::parse(t).ok_or_else(|| {
                        AppError::invalid(&field, format!("unknown kind of file {t}"))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            templates.push(UploadRequestTemplate {
                name: row.name.clone(),
                text: TemplateText {
                    nl: row.nl.clone(),
                    sv: row.sv.clone(),
                    en: row.en.clone(),
                },
                allowed_types,
            });
        }
        Ok(TenantSettings {
            upload_request_templates: templates,
            web_send: zegel_core::settings::WebSendSettings {
                outsiders: match self.web_send_outsiders.as_str() {
                    "off" => zegel_core::settings::WebSendOutsiders::Off,
                    _ => zegel_core::settings::WebSendOutsiders::ToOrganisation,
                },
                remember_days: number("web_send.remember_days", &self.web_send_days)?,
            },
            replies: zegel_core::settings::ReplySettings {
                enabled: self.replies_enabled,
                to_all: self.replies_to_all,
                max_per_conversation: number("replies.max_per_conversation", &self.max_replies)?,
            },
            internal_domains: self
                .internal_domains
                .split([',', ' ', '\n', '\r', '\t'])
                .filter(|d| !d.is_empty())
                .map(str::to_owned)
                .collect(),
            external_only: self.external_only,
            expiry_days: ExpiryDays {
                default: number("expiry_days.default", &self.expiry_default)?,
                max: number("expiry_days.max", &self.expiry_max)?,
            },
            max_downloads_default: match self.max_downloads_default.trim() {
                "" => None,
                text => Some(number("max_downloads_default", text)?),
            },
            password_options: PasswordOptions {
                generated: self.pw_generated,
                custom: self.pw_custom,
                min_score: self.min_score.trim().parse().map_err(|_| {
                    AppError::invalid("password_options.min_score", "choose 3 or 4")
                })?,
            },
            allow_1fa: self.allow_1fa,
            allow_deliver_other: self.allow_deliver_other,
            sms_default_country: self.sms_default_country.clone(),
            languages,
            branding: Branding {
                name: self.brand_name.clone(),
                color: self.brand_color.clone(),
                logo_url: optional(&self.logo_url),
            },
            notification_from: optional(&self.notification_from),
            hide_subject: self.hide_subject,
            // No name means no contact; a name without a way to reach it is refused by validation.
            support: optional(&self.support_name).map(|name| zegel_core::settings::Support {
                name,
                email: optional(&self.support_email),
                phone: optional(&self.support_phone),
                url: optional(&self.support_url),
            }),
            privacy_url: optional(&self.privacy_url),
            form_of_address: match self.form_of_address.trim() {
                "" | "u" => zegel_core::settings::FormOfAddress::U,
                "je" => zegel_core::settings::FormOfAddress::Je,
                _ => {
                    return Err(AppError::invalid("form_of_address", "choose u or je"));
                }
            },
            gateway_attachments_as_secure_files: self.gateway_attachments_as_secure_files,
            confirm_to_sender: self.confirm_to_sender,
            notify_sender_on_download: self.notify_sender_on_download,
            content_filter: zegel_core::policy::ContentFilterPolicy {
                rules,
                trigger_words,
                activation_words: lines(&self.activation_words),
                external_only: self.external_only,
                warn_external: self.warn_external,
                warn_attachments: self.warn_attachments,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_round_trips_the_document() {
        let mut settings = TenantSettings::day_one(
            "Zorg",
            &["zorg.example".to_owned(), "afd.zorg.example".to_owned()],
        );
        settings.languages = vec![Language::En, Language::Nl];
        settings.max_downloads_default = Some(3);
        settings.content_filter.trigger_words = vec![WordRule {
            word: "Patiëntendossier".into(),
            action: Action::Force,
            level: Level::TwoFa,
        }];
        settings.content_filter.activation_words = vec!["zegel-veilig".into()];
        settings.content_filter.rules.push(Rule {
            kind: Kind::ActivationWord,
            action: Action::Force,
            level: Level::TwoFa,
        });
        let form = FormValues::from_settings(&settings);
        let back = form.to_settings().unwrap();
        // Rules come back in the page's order.
        let mut want = settings.content_filter.rules.clone();
        let mut got = back.content_filter.rules.clone();
        want.sort_by_key(|r| r.kind.as_str());
        got.sort_by_key(|r| r.kind.as_str());
        assert_eq!(got, want);
        assert_eq!(
            TenantSettings {
                content_filter: settings.content_filter.clone(),
                ..back
            },
            settings
        );
    }

    #[test]
    fn bad_inputs_name_the_field() {
        let base = FormValues::from_settings(&TenantSettings::day_one(
            "Zorg",
            &["zorg.example".to_owned()],
        ));
        type Case = (fn(&mut FormValues), &'static str);
        let cases: Vec<Case> = vec![
            (|f| f.expiry_max = "veertien".into(), "expiry_days.max"),
            (
                |f| f.max_downloads_default = "-1".into(),
                "max_downloads_default",
            ),
            (|f| f.languages = vec!["en".into()], "languages"),
            (
                |f| f.trigger_words = "ok\nuitslag | explode".into(),
                "content_filter.trigger_words[1]",
            ),
        ];
        for (change, field) in cases {
            let mut form = base.clone();
            change(&mut form);
            match form.to_settings() {
                Err(AppError::Invalid { field: got, .. }) => assert_eq!(got, field),
                other => panic!("{field}: {other:?}"),
            }
        }
    }
}
