//! Tenant settings as the server keeps and applies them.
//!
//! The document itself, its validation and its enforcement on message requests live in
//! `zegel_core::settings` (shared with the task pane). Here: loading the version in force (or the day-one
//! defaults for a tenant that never changed anything), parsing documents from JSON with errors that name
//! the field, saving a new version with its audit event, and the accessors other modules use
//! ([`content_filter`], [`internal_domains`], [`sms_default_country`]).

use serde_json::Value;
use zegel_core::policy::ContentFilterPolicy;
use zegel_core::settings::{SettingsContext, TenantSettings};

use crate::ServiceError;
use crate::Services;
use zegel_mail::OutgoingEmail;
use zegel_mail::render::{self, Notification};
use zegel_store::audit::{self, AuditEvent};
use zegel_store::{self as db, tenants};

/// JSON merge patch (RFC 7396), the body of `PATCH /api/v1/admin/settings`.
pub mod merge;

/// A tenant's settings in force, with what they are checked against.
#[derive(Debug, Clone)]
pub struct CurrentSettings {
    /// The tenant.
    pub tenant_id: String,
    /// The settings (clamped to what the operator allows now).
    pub settings: TenantSettings,
    /// The version in force; 0 for the day-one defaults.
    pub version: i64,
    /// Who made the version in force, if anyone.
    pub changed_by: Option<String>,
    /// When (Unix ms).
    pub changed_at: Option<i64>,
    /// The longest expiry the operator allows this tenant.
    pub max_expiry_days_allowed: u32,
    /// The mail domains the tenant owns.
    pub tenant_domains: Vec<String>,
}

impl CurrentSettings {
    /// The context new versions are validated in.
    pub fn context(&self) -> SettingsContext<'_> {
        SettingsContext {
            max_expiry_days_allowed: self.max_expiry_days_allowed,
            tenant_domains: &self.tenant_domains,
        }
    }
}

/// Loads a tenant's settings in force.
pub async fn load(state: &Services, tenant_id: &str) -> Result<CurrentSettings, ServiceError> {
    let tenant = tenants::tenant(&state.db, tenant_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let tenant_domains = tenants::domains(&state.db, tenant_id).await?;
    let allowed = tenants::max_expiry_days(&state.db, tenant_id).await?;
    let max_expiry_days_allowed = u32::try_from(allowed)
        .unwrap_or(zegel_core::settings::DEFAULT_MAX_EXPIRY_DAYS)
        .max(1);
    let defaults = TenantSettings::day_one(&tenant.name, &tenant_domains);
    let stored = db::settings::current(&state.db, tenant_id).await?;
    let mut current = CurrentSettings {
        tenant_id: tenant_id.to_owned(),
        settings: defaults.clone(),
        version: 0,
        changed_by: None,
        changed_at: None,
        max_expiry_days_allowed,
        tenant_domains,
    };
    if let Some(stored) = stored {
        current.settings = from_stored(&defaults, &stored.document)?;
        current.version = stored.version;
        current.changed_by = Some(stored.changed_by);
        current.changed_at = Some(stored.changed_at);
    }
    current.settings.clamp_expiry(max_expiry_days_allowed);
    Ok(current)
}

/// A stored document laid over the defaults, so fields added to the document after it was stored take
/// their day-one value instead of making old versions unreadable.
pub fn from_stored(
    defaults: &TenantSettings,
    document: &str,
) -> Result<TenantSettings, ServiceError> {
    let stored: Value = serde_json::from_str(document).map_err(ServiceError::internal)?;
    let mut merged = serde_json::to_value(defaults).map_err(ServiceError::internal)?;
    // A merge patch, so nested fields added later get defaults too; a stored `null` stays none.
    merge::merge_patch(&mut merged, &stored);
    serde_json::from_value(merged).map_err(ServiceError::internal)
}

/// The settings in force for a tenant (what message creation and the sender API apply).
pub async fn effective(state: &Services, tenant_id: &str) -> Result<TenantSettings, ServiceError> {
    Ok(load(state, tenant_id).await?.settings)
}

/// Parses a whole settings document, naming the field that is missing, unknown or of the wrong type.
pub fn parse_document(value: &Value) -> Result<TenantSettings, ServiceError> {
    let settings: TenantSettings = serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        let mut field = if path == "." || path.is_empty() {
            String::new()
        } else {
            path
        };
        // A missing field is reported at its parent; name the field itself.
        if let Some(name) = inner
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next())
        {
            field = if field.is_empty() {
                name.to_owned()
            } else {
                format!("{field}.{name}")
            };
        }
        if field.is_empty() {
            field = "body".to_owned();
        }
        ServiceError::invalid(field, inner)
    })?;
    // Nested types of other crates ignore unknown keys; a typo must not vanish silently.
    let known = serde_json::to_value(&settings).map_err(ServiceError::internal)?;
    unknown_key(value, &known, "").map_or(Ok(settings), |field| {
        Err(ServiceError::invalid(field, "unknown field"))
    })
}

/// The first key of `given` (recursively) that `known` does not have.
fn unknown_key(given: &Value, known: &Value, path: &str) -> Option<String> {
    let join = |key: &str| {
        if path.is_empty() {
            key.to_owned()
        } else {
            format!("{path}.{key}")
        }
    };
    match (given, known) {
        (Value::Object(given), Value::Object(known)) => {
            given.iter().find_map(|(key, value)| match known.get(key) {
                None => Some(join(key)),
                Some(known) => unknown_key(value, known, &join(key)),
            })
        }
        (Value::Array(given), Value::Array(known)) => given
            .iter()
            .zip(known)
            .enumerate()
            .find_map(|(i, (g, k))| unknown_key(g, k, &format!("{path}[{i}]"))),
        _ => None,
    }
}

/// Validates `settings` and stores them as the next version, provided the version in force is still
/// `expected` (when given); then appends the `settings.changed` audit event. `actor` is e.g.
/// `admin:ciso@zorg.example`.
pub async fn save(
    state: &Services,
    tenant_id: &str,
    actor: &str,
    mut settings: TenantSettings,
    expected: Option<i64>,
) -> Result<CurrentSettings, ServiceError> {
    let current = load(state, tenant_id).await?;
    settings.validate(&current.context())?;
    let document = serde_json::to_string(&settings).map_err(ServiceError::internal)?;
    let now = state.now_ms();
    let version = db::settings::save(
        &state.db,
        tenant_id,
        expected.unwrap_or(current.version),
        &document,
        actor,
        now,
    )
    .await
    .map_err(|error| match error {
        db::settings::SaveError::Stale { current } if expected.is_some() => ServiceError::Stale {
            code: "stale_settings",
            message: format!("the settings are at version {current} now; load them again"),
        },
        db::settings::SaveError::Stale { .. } => {
            ServiceError::Conflict("the settings were changed at the same time; try again".into())
        }
        db::settings::SaveError::Db(error) => ServiceError::from(error),
    })?;
    audit::append(
        &state.db,
        now,
        &AuditEvent {
            tenant_id: Some(tenant_id),
            actor: actor.to_owned(),
            event: "settings.changed",
            ..Default::default()
        },
    )
    .await?;
    Ok(CurrentSettings {
        settings,
        version,
        changed_by: Some(actor.to_owned()),
        changed_at: Some(now),
        ..current
    })
}

/// The content-filter policy of a tenant.
pub async fn content_filter(
    state: &Services,
    tenant_id: &str,
) -> Result<ContentFilterPolicy, ServiceError> {
    Ok(effective(state, tenant_id).await?.content_filter_policy())
}

/// The domains whose recipients count as internal for a tenant's content filter.
pub async fn internal_domains(
    state: &Services,
    tenant_id: &str,
) -> Result<Vec<String>, ServiceError> {
    Ok(effective(state, tenant_id).await?.internal_domains)
}

/// The country whose national number formats senders may use for SMS numbers (ISO 3166 alpha-2).
pub async fn sms_default_country(
    state: &Services,
    tenant_id: &str,
) -> Result<String, ServiceError> {
    Ok(effective(state, tenant_id).await?.sms_default_country)
}

/// The From header of a tenant's notifications: the brand name and the tenant's address when it set
/// one, else the server's `ZEGEL_MAIL_FROM`.
pub fn notification_from(settings: &TenantSettings, server_from: &str) -> String {
    let Some(address) = &settings.notification_from else {
        // The server's address, under the organisation's name: recipients see who writes to them.
        return match server_from.parse::<lettre::message::Mailbox>() {
            Ok(mailbox) => {
                lettre::message::Mailbox::new(Some(settings.branding.name.clone()), mailbox.email)
                    .to_string()
            }
            Err(_) => server_from.to_owned(),
        };
    };
    match address.parse::<lettre::Address>() {
        // lettre quotes or encodes the display name as RFC 5322 needs.
        Ok(address) => {
            lettre::message::Mailbox::new(Some(settings.branding.name.clone()), address).to_string()
        }
        Err(_) => server_from.to_owned(),
    }
}

/// How a tenant's e-mails look.
pub fn look(settings: &TenantSettings) -> render::Look<'_> {
    render::Look {
        name: &settings.branding.name,
        color: &settings.branding.color,
        logo: settings.branding.logo_url.as_deref(),
        support: settings.support.as_ref(),
        privacy_url: settings.privacy_url.as_deref(),
        form: settings.form_of_address,
    }
}

/// Renders a notification as a tenant's settings want it: From its own address with its name, its name
/// and colour in the header, and a neutral subject when `hide_subject` is on. `n.from` is the server's
/// From, used when the tenant set none.
pub fn notification(settings: &TenantSettings, n: &Notification<'_>) -> OutgoingEmail {
    let from = notification_from(settings, n.from);
    let subject = if settings.hide_subject { "" } else { n.subject };
    let branded = Notification {
        subject,
        from: &from,
        ..n.clone()
    };
    render::notification_branded(&branded, &look(settings))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn day_one() -> Value {
        serde_json::to_value(TenantSettings::day_one(
            "Zorg",
            &["zorg.example".to_owned()],
        ))
        .unwrap()
    }

    #[test]
    fn parse_names_the_field() {
        parse_document(&day_one()).unwrap();
        let cases = [
            (
                "/password_options/min_score",
                json!("3"),
                "password_options.min_score",
            ),
            ("/languages/1", json!("de"), "languages[1]"),
            (
                "/content_filter/rules/0/action",
                json!("explode"),
                "content_filter.rules[0].action",
            ),
            ("/allow_1fa", json!(1), "allow_1fa"),
        ];
        for (pointer, value, field) in cases {
            let mut doc = day_one();
            *doc.pointer_mut(pointer).unwrap() = value;
            match parse_document(&doc) {
                Err(ServiceError::Invalid { field: got, .. }) => assert_eq!(got, field),
                other => panic!("{pointer}: {other:?}"),
            }
        }
        let mut missing = day_one();
        missing["branding"].as_object_mut().unwrap().remove("color");
        missing.as_object_mut().unwrap().remove("hide_subject");
        assert!(
            matches!(parse_document(&missing), Err(ServiceError::Invalid { field, .. }) if field == "branding.color")
        );
        let mut unknown = day_one();
        unknown["content_filter"]["rules"][1]["levle"] = json!("2fa");
        assert!(
            matches!(parse_document(&unknown), Err(ServiceError::Invalid { field, .. }) if field == "content_filter.rules[1].levle")
        );
        let mut top = day_one();
        top["colour"] = json!("#fff");
        assert!(
            matches!(parse_document(&top), Err(ServiceError::Invalid { field, .. }) if field == "colour")
        );
    }

    #[test]
    fn stored_documents_gain_new_fields() {
        let defaults = TenantSettings::day_one("Zorg", &["zorg.example".to_owned()]);
        let mut old = serde_json::to_value(&defaults).unwrap();
        old.as_object_mut().unwrap().remove("hide_subject");
        old["branding"].as_object_mut().unwrap().remove("color");
        old["allow_1fa"] = json!(false);
        let read = from_stored(&defaults, &old.to_string()).unwrap();
        assert!(!read.allow_1fa && !read.hide_subject);
        assert_eq!(read.branding.color, defaults.branding.color);
        assert_eq!(read.max_downloads_default, None, "a stored null stays none");
    }

    #[test]
    fn from_header_carries_the_brand() {
        let mut settings = TenantSettings::day_one("Zorg, Noord", &["zorg.example".to_owned()]);
        // Without an address of its own the server's address is used, under the brand's name.
        settings.branding.name = "ZHN Veilig".into();
        let from = notification_from(&settings, "Zegel <no-reply@zegel.example>");
        let parsed: lettre::message::Mailbox = from.parse().unwrap();
        assert_eq!(parsed.name.as_deref(), Some("ZHN Veilig"));
        assert_eq!(parsed.email.to_string(), "no-reply@zegel.example");
        settings.branding.name = "Zorg, Noord".into();
        settings.notification_from = Some("veilig@zorg.example".into());
        let from = notification_from(&settings, "x");
        let parsed: lettre::message::Mailbox = from.parse().unwrap();
        assert_eq!(parsed.name.as_deref(), Some("Zorg, Noord"));
        assert_eq!(parsed.email.to_string(), "veilig@zorg.example");
    }
}
