//! Upload portals (seed 001 §6.2): long-lived pages an organisation's admin makes, where anyone can send
//! files to the organisation after proving their own address. The document the admin API reads and
//! writes, its validation, and the JSON the visitor's page reads.

use serde::{Deserialize, Serialize};

use crate::address::normalize_email;
use crate::message::{Language, RequestError};
use crate::settings::{normalize_domain, within};
use crate::upload_request::{DEFAULT_MAX_FILES, FileType, MAX_FILES, MAX_MESSAGE_BYTES};

/// The most recipients a portal names.
pub const MAX_PORTAL_RECIPIENTS: usize = 50;
/// The longest title, in characters.
pub const MAX_TITLE_CHARS: usize = 120;

/// Where a portal's files go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PortalTo {
    /// To the portal's recipients; the visitor sees no "Naar" field.
    Fixed,
    /// To one of the portal's recipients, chosen by the visitor.
    Choose,
    /// To an address the visitor types, within the portal's allowed domains.
    Free,
}

/// A recipient of a portal's files: a member of the organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PortalRecipient {
    /// The address (in one of the tenant's domains).
    pub email: String,
    /// The name visitors see.
    #[serde(default)]
    pub name: String,
}

/// The portal's introduction per language (each optional).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PortalIntro {
    /// Dutch.
    #[serde(default)]
    pub nl: String,
    /// Swedish.
    #[serde(default)]
    pub sv: String,
    /// English.
    #[serde(default)]
    pub en: String,
}

impl PortalIntro {
    /// The introduction in `language`, else in the first language that has one.
    pub fn get(&self, language: Language) -> &str {
        let own = match language {
            Language::Nl => &self.nl,
            Language::Sv => &self.sv,
            Language::En => &self.en,
        };
        [own, &self.nl, &self.en, &self.sv]
            .into_iter()
            .find(|t| !t.trim().is_empty())
            .map_or("", String::as_str)
    }
}

/// An upload portal, as the admin API reads and writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PortalDocument {
    /// The page's address: `/p/<slug>` (3 to 64 of `a-z`, `0-9` and `-`).
    pub slug: String,
    /// The page's title.
    pub title: String,
    /// The introduction on the page, per language.
    #[serde(default)]
    pub intro: PortalIntro,
    /// Where the files go.
    pub to: PortalTo,
    /// The organisation's recipients (`fixed` and `choose`).
    #[serde(default)]
    pub recipients: Vec<PortalRecipient>,
    /// The domains a visitor may type an address in (`free`): the tenant's own.
    #[serde(default)]
    pub allowed_domains: Vec<String>,
    /// The kinds of files accepted, by content; empty accepts any recognised kind.
    #[serde(default)]
    pub allowed_types: Vec<FileType>,
    /// The most files per visit (default 20, at most 100).
    #[serde(default = "default_max_files")]
    pub max_files: u32,
    /// The most bytes per visit (default and at most the server's upload limit).
    #[serde(default)]
    pub max_bytes: Option<u64>,
}

fn default_max_files() -> u32 {
    DEFAULT_MAX_FILES
}

/// Whether `slug` can be a portal's address.
pub fn valid_slug(slug: &str) -> bool {
    (3..=64).contains(&slug.len())
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-')
        && !slug.ends_with('-')
}

impl PortalDocument {
    /// Checks and normalises the document for a tenant owning `tenant_domains` on a server whose largest
    /// upload is `max_upload_bytes`, naming the offending field. Recipients and allowed domains must be
    /// the tenant's own: a portal never delivers to outsiders.
    pub fn validate(
        &mut self,
        tenant_domains: &[String],
        max_upload_bytes: u64,
    ) -> Result<(), RequestError> {
        self.slug = self.slug.trim().to_ascii_lowercase();
        if !valid_slug(&self.slug) {
            return Err(RequestError::new(
                "slug",
                "3 to 64 lower-case letters, digits and hyphens, not starting or ending with a hyphen",
            ));
        }
        self.title = self.title.trim().to_owned();
        if self.title.is_empty()
            || self.title.chars().count() > MAX_TITLE_CHARS
            || self.title.chars().any(char::is_control)
        {
            return Err(RequestError::new(
                "title",
                format!("1 to {MAX_TITLE_CHARS} characters on one line"),
            ));
        }
        for (code, text) in [
            ("nl", &mut self.intro.nl),
            ("sv", &mut self.intro.sv),
            ("en", &mut self.intro.en),
        ] {
            *text = text.trim().to_owned();
            if text.len() > MAX_MESSAGE_BYTES {
                return Err(RequestError::new(
                    format!("intro.{code}"),
                    format!("is longer than {MAX_MESSAGE_BYTES} bytes"),
                ));
            }
        }
        let own = |domain: &str| tenant_domains.iter().any(|d| within(domain, d));
        if self.recipients.len() > MAX_PORTAL_RECIPIENTS {
            return Err(RequestError::new(
                "recipients",
                format!("at most {MAX_PORTAL_RECIPIENTS} recipients"),
            ));
        }
        let mut seen: Vec<String> = Vec::new();
        for (i, recipient) in self.recipients.iter_mut().enumerate() {
            let email = normalize_email(&recipient.email)
                .map_err(|e| RequestError::new(format!("recipients[{i}].email"), e.to_string()))?;
            let domain = email.rsplit_once('@').map_or("", |(_, d)| d);
            if !own(domain) {
                return Err(RequestError::new(
                    format!("recipients[{i}].email"),
                    "must be an address of the organisation's own domains",
                ));
            }
            if seen.iter().any(|s| s.eq_ignore_ascii_case(&email)) {
                return Err(RequestError::new(
                    format!("recipients[{i}].email"),
                    "is named twice",
                ));
            }
            seen.push(email.clone());
            recipient.email = email;
            recipient.name = recipient.name.trim().to_owned();
            if recipient.name.chars().count() > MAX_TITLE_CHARS
                || recipient.name.chars().any(char::is_control)
            {
                return Err(RequestError::new(
                    format!("recipients[{i}].name"),
                    format!("at most {MAX_TITLE_CHARS} characters on one line"),
                ));
            }
        }
        for (i, domain) in self.allowed_domains.iter_mut().enumerate() {
            let normal = normalize_domain(domain).filter(|d| own(d)).ok_or_else(|| {
                RequestError::new(
                    format!("allowed_domains[{i}]"),
                    "must be one of the organisation's own domains",
                )
            })?;
            *domain = normal;
        }
        match self.to {
            PortalTo::Fixed | PortalTo::Choose if self.recipients.is_empty() => {
                return Err(RequestError::new(
                    "recipients",
                    "name at least one recipient",
                ));
            }
            PortalTo::Free if self.allowed_domains.is_empty() => {
                return Err(RequestError::new(
                    "allowed_domains",
                    "name at least one domain visitors may send to",
                ));
            }
            _ => {}
        }
        if self.max_files == 0 || self.max_files > MAX_FILES {
            return Err(RequestError::new(
                "max_files",
                format!("must be between 1 and {MAX_FILES}"),
            ));
        }
        let max_bytes = self.max_bytes.unwrap_or(max_upload_bytes);
        if max_bytes == 0 || max_bytes > max_upload_bytes {
            return Err(RequestError::new(
                "max_bytes",
                format!("must be between 1 and {max_upload_bytes} bytes"),
            ));
        }
        self.max_bytes = Some(max_bytes);
        self.allowed_types.sort();
        self.allowed_types.dedup();
        Ok(())
    }

    /// Where a visitor's files go: the portal's recipients (`fixed`), the one chosen (`choose`, by
    /// address), or the address typed (`free`, within the allowed domains); the field that is wrong
    /// otherwise.
    pub fn destination(&self, to: Option<&str>) -> Result<Vec<String>, RequestError> {
        match self.to {
            PortalTo::Fixed => Ok(self.recipients.iter().map(|r| r.email.clone()).collect()),
            PortalTo::Choose => {
                let wanted = to.unwrap_or_default().trim();
                self.recipients
                    .iter()
                    .find(|r| r.email.eq_ignore_ascii_case(wanted))
                    .map(|r| vec![r.email.clone()])
                    .ok_or_else(|| RequestError::new("to", "choose one of the portal's recipients"))
            }
            PortalTo::Free => {
                let email = normalize_email(to.unwrap_or_default())
                    .map_err(|e| RequestError::new("to", e.to_string()))?;
                let domain = email.rsplit_once('@').map_or("", |(_, d)| d).to_owned();
                if self.allowed_domains.iter().any(|d| within(&domain, d)) {
                    Ok(vec![email])
                } else {
                    Err(RequestError::new(
                        "to",
                        format!(
                            "this portal sends to addresses at {} only",
                            self.allowed_domains.join(", ")
                        ),
                    ))
                }
            }
        }
    }
}

/// A portal as the admin API answers it: its id, the document, and when it changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Portal {
    /// Its id.
    pub id: String,
    /// Its page: `<public url>/p/<slug>`.
    pub url: String,
    /// The document.
    #[serde(flatten)]
    pub document: PortalDocument,
    /// Created (RFC 3339).
    pub created_at: String,
    /// Last changed (RFC 3339).
    pub updated_at: String,
}

/// The admin API's list of portals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PortalList {
    /// Every portal of the tenant, by slug.
    pub portals: Vec<Portal>,
}

/// A recipient a visitor can choose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PortalChoice {
    /// The address (the value of `to`).
    pub email: String,
    /// The name to show.
    pub name: String,
}

/// The answer of `GET /api/v1/portals/<slug>`: what a visitor's page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PortalPage {
    /// The title.
    pub title: String,
    /// The introduction in the language asked for.
    pub intro: String,
    /// The organisation's name.
    pub organisation: String,
    /// Where the files go.
    pub to: PortalTo,
    /// With `choose`: whom the visitor can choose.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recipients: Vec<PortalChoice>,
    /// With `free`: the domains the visitor may type an address in.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_domains: Vec<String>,
    /// Accepted kinds (empty: any recognised kind).
    pub allowed_types: Vec<FileType>,
    /// Files per visit.
    pub max_files: u32,
    /// Bytes per visit.
    pub max_bytes: u64,
}

/// The body of `POST /api/v1/portals/<slug>/submit`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PortalSubmission {
    /// With `choose`: one of the portal's recipients; with `free`: an address in its allowed domains.
    #[serde(default)]
    pub to: Option<String>,
    /// A message to the recipient.
    #[serde(default)]
    pub message: Option<String>,
    /// Finished uploads (tus ids) made under the visitor's session.
    pub uploads: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn portal(json: serde_json::Value) -> PortalDocument {
        serde_json::from_value(json).unwrap()
    }

    fn domains() -> Vec<String> {
        vec!["gemeente.example".to_owned()]
    }

    #[test]
    fn a_portal_delivers_to_the_organisation_only() {
        let mut p = portal(serde_json::json!({
            "slug": "Inkomen", "title": " Inkomensgegevens ", "to": "choose",
            "recipients": [{"email": "Wmo@Gemeente.example", "name": "Team Wmo"}, {"email": "bijstand@gemeente.example"}],
        }));
        p.validate(&domains(), 1000).unwrap();
        assert_eq!(
            (p.slug.as_str(), p.title.as_str()),
            ("inkomen", "Inkomensgegevens")
        );
        assert_eq!(p.recipients[0].email, "Wmo@gemeente.example");
        assert_eq!(p.max_bytes, Some(1000));
        assert_eq!(
            p.destination(Some("bijstand@gemeente.example")).unwrap(),
            ["bijstand@gemeente.example"]
        );
        assert_eq!(
            p.destination(Some("boef@elders.example"))
                .unwrap_err()
                .field,
            "to"
        );
        assert_eq!(p.destination(None).unwrap_err().field, "to");

        let mut outsider = portal(serde_json::json!({
            "slug": "x-portaal", "title": "X", "to": "fixed", "recipients": [{"email": "iemand@elders.example"}],
        }));
        assert_eq!(
            outsider.validate(&domains(), 1000).unwrap_err().field,
            "recipients[0].email"
        );
        let mut free = portal(serde_json::json!({
            "slug": "vrij", "title": "Vrij", "to": "free", "allowed_domains": ["elders.example"],
        }));
        assert_eq!(
            free.validate(&domains(), 1000).unwrap_err().field,
            "allowed_domains[0]"
        );
        let mut free = portal(serde_json::json!({
            "slug": "vrij", "title": "Vrij", "to": "free", "allowed_domains": ["gemeente.example"],
        }));
        free.validate(&domains(), 1000).unwrap();
        assert_eq!(
            free.destination(Some("wie@gemeente.example")).unwrap(),
            ["wie@gemeente.example"]
        );
        assert_eq!(
            free.destination(Some("wie@elders.example"))
                .unwrap_err()
                .field,
            "to"
        );
        let mut fixed = portal(serde_json::json!({
            "slug": "vast", "title": "Vast", "to": "fixed", "recipients": [{"email": "post@gemeente.example"}],
        }));
        fixed.validate(&domains(), 1000).unwrap();
        assert_eq!(
            fixed.destination(Some("ignored@elders.example")).unwrap(),
            ["post@gemeente.example"]
        );
    }

    #[test]
    fn bad_documents_name_the_field() {
        let field =
            |json: serde_json::Value| portal(json).validate(&domains(), 1000).unwrap_err().field;
        let base = |extra: serde_json::Value| {
            let mut v = serde_json::json!({"slug": "ok-slug", "title": "T", "to": "fixed", "recipients": [{"email": "a@gemeente.example"}]});
            v.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            v
        };
        assert_eq!(field(base(serde_json::json!({"slug": "a"}))), "slug");
        assert_eq!(field(base(serde_json::json!({"slug": "../etc"}))), "slug");
        assert_eq!(field(base(serde_json::json!({"title": ""}))), "title");
        assert_eq!(
            field(base(serde_json::json!({"recipients": []}))),
            "recipients"
        );
        assert_eq!(
            field(base(serde_json::json!({"max_files": 0}))),
            "max_files"
        );
        assert_eq!(
            field(base(serde_json::json!({"max_bytes": 1001}))),
            "max_bytes"
        );
        assert_eq!(
            field(base(
                serde_json::json!({"recipients": [{"email": "a@gemeente.example"}, {"email": "A@gemeente.example"}]})
            )),
            "recipients[1].email"
        );
    }

    #[test]
    fn the_intro_falls_back_to_another_language() {
        let intro = PortalIntro {
            nl: "Welkom".into(),
            ..Default::default()
        };
        assert_eq!(intro.get(Language::Sv), "Welkom");
        assert_eq!(PortalIntro::default().get(Language::Nl), "");
    }
}
