//! The content-filter policy: from the scanner's findings to one protection decision.
//!
//! A tenant's [`ContentFilterPolicy`] maps each kind of finding to an [`Action`] and a [`Level`]; trigger
//! words carry their own action and level. [`decide`] combines the findings of a message:
//!
//! - Every kind with a rule stronger than [`Action::Allow`] becomes a [`Reason`] listing the distinct matched
//!   terms. Trigger words are grouped by the rule of the configured word they matched.
//! - The activation word always forces protection. Its level is the one its own rule sets, if the policy has
//!   a rule for `activation_word`; otherwise the strongest level of the other reasons, or 1FA.
//! - The strongest action wins. A message is protected once, so its level is the highest level any reason
//!   that asks for protection (notify, auto or force) wants.
//! - With `external_only` and no external recipient the action is [`Action::Allow`]: the reasons are still
//!   reported, so the pane can say what it saw. The activation word is an explicit request and still forces.
//!
//! The pane and the server both call [`decide`], so the sender sees the decision the server enforces.
//! [`Decision::required`] is the part the server enforces on every message ([`Requirement`]): what
//! the forced findings (rules with [`Action::Force`] and activation words) ask for, and
//! [`Requirement::met_by`] says whether a message's kind and level give it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use zegel_dlp::{Finding, Location, Words, fold_word};

/// What a finding is (`nl_bsn`, `trigger_word`, …): the content filter's kinds, named here too so clients
/// that do not scan themselves can read decisions.
pub use zegel_dlp::Kind;

use crate::message::MessageKind;

/// The recipient authentication level a rule asks for (`"1fa"`, `"2fa"`): the same type as a message's.
pub use crate::message::AuthLevel as Level;

/// What the content filter does about a finding, from weakest to strongest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Send as it is.
    Allow,
    /// Tell the sender and suggest protection; the sender decides.
    Notify,
    /// Protect unless the sender turns it off.
    Auto,
    /// Protect; the sender cannot turn it off.
    Force,
}

/// The action and level for one kind of finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Rule {
    /// The kind of finding this rule is about.
    pub kind: Kind,
    /// What to do when it is found.
    pub action: Action,
    /// The recipient authentication level to protect with.
    pub level: Level,
}

/// A tenant trigger word with its own action and level.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WordRule {
    /// The word, matched as a whole word ignoring case, diacritics and Unicode normalisation.
    pub word: String,
    /// What to do when it is found.
    pub action: Action,
    /// The recipient authentication level to protect with.
    pub level: Level,
}

/// A tenant's content-filter settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContentFilterPolicy {
    /// One rule per kind; kinds without a rule are allowed. The first rule for a kind counts.
    pub rules: Vec<Rule>,
    /// Trigger words and what each one does.
    pub trigger_words: Vec<WordRule>,
    /// Words with which a sender asks for protection; they always force it.
    pub activation_words: Vec<String>,
    /// Only act when at least one recipient is external.
    pub external_only: bool,
    /// Warn the sender when a message goes to external recipients.
    pub warn_external: bool,
    /// Warn the sender when a message has attachments.
    pub warn_attachments: bool,
}

impl Default for ContentFilterPolicy {
    /// The day-one care defaults: BSN and personnummer forced at 2FA, payment cards forced at 1FA, IBANs and
    /// unscannable attachments protected automatically at 1FA; external recipients only; no words; a
    /// warning for external recipients, none for attachments.
    fn default() -> Self {
        let rule = |kind, action, level| Rule {
            kind,
            action,
            level,
        };
        ContentFilterPolicy {
            rules: vec![
                rule(Kind::NlBsn, Action::Force, Level::TwoFa),
                rule(Kind::SePersonnummer, Action::Force, Level::TwoFa),
                rule(Kind::CreditCard, Action::Force, Level::OneFa),
                rule(Kind::Iban, Action::Auto, Level::OneFa),
                rule(Kind::Unscannable, Action::Auto, Level::OneFa),
            ],
            trigger_words: Vec::new(),
            activation_words: Vec::new(),
            external_only: true,
            warn_external: true,
            warn_attachments: false,
        }
    }
}

impl ContentFilterPolicy {
    /// The words to build a [`zegel_dlp::Scanner`] with.
    pub fn words(&self) -> Words {
        Words {
            trigger_words: self.trigger_words.iter().map(|w| w.word.clone()).collect(),
            activation_words: self.activation_words.clone(),
        }
    }

    /// The rule for `kind`, if any.
    pub fn rule(&self, kind: Kind) -> Option<&Rule> {
        self.rules.iter().find(|r| r.kind == kind)
    }
}

/// Whether a recipient is inside the tenant's own domains.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RecipientClass {
    /// A recipient in one of the tenant's domains.
    Internal,
    /// Anyone else.
    External,
}

/// Why a message is (or would be) protected: one kind of finding and what it asks for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Reason {
    /// The kind of finding.
    pub kind: Kind,
    /// Distinct matched texts in order of appearance (for unscannable parts: why they were unscannable).
    pub terms: Vec<String>,
    /// What this reason asks for.
    pub action: Action,
    /// At which level.
    pub level: Level,
}

/// Something the sender should know that does not change the action.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Warning {
    /// The message goes to external recipients.
    ExternalRecipients {
        /// How many.
        count: usize,
    },
    /// The message has attachments.
    Attachments {
        /// How many distinct attachments had findings (0 when none did).
        count: usize,
    },
}

/// The outcome for one message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Decision {
    /// The strongest action that applies.
    pub action: Action,
    /// The level to protect with; `None` when the action is [`Action::Allow`].
    pub level: Option<Level>,
    /// Why, one entry per kind (trigger words: per rule), strongest first.
    pub reasons: Vec<Reason>,
    /// Things to tell the sender.
    pub warnings: Vec<Warning>,
    /// The least protection the tenant forces for this message; `None` when nothing forces any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required: Option<Requirement>,
}

/// Where a forced finding was, as far as the protection it needs is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Place {
    /// The subject line.
    Subject,
    /// The body.
    Body,
    /// An attachment (or something inside one).
    Attachment,
}

impl Place {
    fn of(location: &Location) -> Self {
        match location {
            Location::Subject => Place::Subject,
            Location::Body => Place::Body,
            Location::Attachment { .. } => Place::Attachment,
        }
    }
}

/// One kind of forced finding and where it was (`{"kind": "nl_bsn", "where": "body"}`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Found {
    /// The kind of finding.
    pub kind: Kind,
    /// Where it was.
    #[serde(rename = "where")]
    pub place: Place,
}

/// The least protection a message must have: the forced findings of [`decide`] and what they ask for.
///
/// A forced finding in the subject or the body needs a secure message (the body would otherwise travel
/// as plain mail); forced findings only in attachments need at least secure files. The level is the
/// highest level of the forced rules (an activation word's level as [`decide`] sets it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Requirement {
    /// [`MessageKind::SecureMessage`] or [`MessageKind::SecureFiles`].
    pub kind: MessageKind,
    /// The least recipient authentication level.
    pub level: Level,
    /// The forced kinds and where they were, distinct, in order of appearance.
    pub found: Vec<Found>,
}

impl Requirement {
    /// Whether a message of `kind`, protected at `level` (`None`: no authentication), gives at least
    /// this protection.
    pub fn met_by(&self, kind: MessageKind, level: Option<Level>) -> bool {
        let rank = |kind: MessageKind| match kind {
            MessageKind::PublicFiles => 0,
            MessageKind::SecureFiles => 1,
            MessageKind::SecureMessage => 2,
        };
        rank(kind) >= rank(self.kind) && kind.needs_auth() && level >= Some(self.level)
    }

    /// The message kind that gives this protection while keeping as much of `requested` as allowed:
    /// `requested` when it is enough, else the required kind.
    pub fn raise_kind(&self, requested: MessageKind) -> MessageKind {
        if self.met_by(requested, Some(Level::TwoFa)) {
            requested
        } else {
            self.kind
        }
    }
}

/// How far a message of `kind` at `level` is protected: no finding can ask for more than a secure
/// message at 2FA, so content need not be scanned for such a message.
pub fn fully_protected(kind: MessageKind, level: Option<Level>) -> bool {
    kind == MessageKind::SecureMessage && level == Some(Level::TwoFa)
}

/// Combines `findings` into one decision under `policy` (see the module docs).
pub fn decide(
    policy: &ContentFilterPolicy,
    findings: &[Finding],
    recipients: &[RecipientClass],
    has_attachments: bool,
) -> Decision {
    let folded_words: Vec<(String, &WordRule)> = policy
        .trigger_words
        .iter()
        .map(|w| (fold_word(&w.word), w))
        .collect();
    // (kind, action, level) -> distinct terms in order of appearance.
    let mut groups: BTreeMap<(Kind, Action, Level), Vec<String>> = BTreeMap::new();
    let mut activation_terms: Vec<String> = Vec::new();
    // Forced findings: (kind, where, level), the activation word's level filled in below.
    let mut forced: Vec<(Kind, Place, Option<Level>)> = Vec::new();
    let add = |terms: &mut Vec<String>, t: &str| {
        if !terms.iter().any(|x| x == t) {
            terms.push(t.to_owned());
        }
    };
    for f in findings {
        let term = match (&f.reason, f.kind) {
            (Some(reason), Kind::Unscannable) => reason.as_str(),
            _ => f.text.as_str(),
        };
        let (action, level) = match f.kind {
            Kind::ActivationWord => {
                add(&mut activation_terms, term);
                forced.push((f.kind, Place::of(&f.location), None));
                continue;
            }
            Kind::TriggerWord => {
                let folded = fold_word(&f.text);
                match folded_words.iter().find(|(w, _)| *w == folded) {
                    Some((_, rule)) => (rule.action, rule.level),
                    // Found with words this policy does not list: protect, but let the sender decide.
                    None => (Action::Notify, Level::OneFa),
                }
            }
            kind => match policy.rule(kind) {
                Some(rule) => (rule.action, rule.level),
                None => continue,
            },
        };
        if action > Action::Allow {
            add(groups.entry((f.kind, action, level)).or_default(), term);
        }
        if action == Action::Force {
            forced.push((f.kind, Place::of(&f.location), Some(level)));
        }
    }
    let mut reasons: Vec<Reason> = groups
        .into_iter()
        .map(|((kind, action, level), terms)| Reason {
            kind,
            terms,
            action,
            level,
        })
        .collect();
    let mut activation_level = None;
    if !activation_terms.is_empty() {
        let level = policy
            .rule(Kind::ActivationWord)
            .map(|r| r.level)
            .or_else(|| reasons.iter().map(|r| r.level).max())
            .unwrap_or(Level::OneFa);
        activation_level = Some(level);
        reasons.push(Reason {
            kind: Kind::ActivationWord,
            terms: activation_terms,
            action: Action::Force,
            level,
        });
    }
    reasons.sort_by(|a, b| (b.action, b.level, a.kind).cmp(&(a.action, a.level, b.kind)));

    let external = recipients
        .iter()
        .filter(|r| **r == RecipientClass::External)
        .count();
    let applies =
        |r: &Reason| !policy.external_only || external > 0 || r.kind == Kind::ActivationWord;
    let action = reasons
        .iter()
        .filter(|r| applies(r))
        .map(|r| r.action)
        .max()
        .unwrap_or(Action::Allow);
    let level = (action > Action::Allow)
        .then(|| reasons.iter().filter(|r| applies(r)).map(|r| r.level).max())
        .flatten();

    let required = requirement(&forced, activation_level, |kind| {
        !policy.external_only || external > 0 || kind == Kind::ActivationWord
    });

    let mut warnings = Vec::new();
    if policy.warn_external && external > 0 {
        warnings.push(Warning::ExternalRecipients { count: external });
    }
    if policy.warn_attachments && has_attachments {
        let mut names: Vec<&str> = findings
            .iter()
            .filter_map(|f| match &f.location {
                Location::Attachment { name, .. } => Some(name.as_str()),
                _ => None,
            })
            .collect();
        names.sort_unstable();
        names.dedup();
        warnings.push(Warning::Attachments { count: names.len() });
    }
    Decision {
        action,
        level,
        reasons,
        warnings,
        required,
    }
}

/// One kind of finding as it may be shown to the sender of a held message: identifiers by their kind
/// only (never the value), tenant words with the words as found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Shown {
    /// What was found.
    pub kind: Kind,
    /// For trigger and activation words: the distinct words as written; empty for every other kind.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub words: Vec<String>,
}

/// The [`Requirement`] of the forced findings that apply.
fn requirement(
    forced: &[(Kind, Place, Option<Level>)],
    activation_level: Option<Level>,
    applies: impl Fn(Kind) -> bool,
) -> Option<Requirement> {
    let mut found: Vec<Found> = Vec::new();
    let mut level = None;
    for &(kind, place, rule_level) in forced.iter().filter(|(kind, ..)| applies(*kind)) {
        level = level.max(rule_level.or(activation_level));
        let entry = Found { kind, place };
        if !found.contains(&entry) {
            found.push(entry);
        }
    }
    let level = level?;
    let kind = if found.iter().all(|f| f.place == Place::Attachment) {
        MessageKind::SecureFiles
    } else {
        MessageKind::SecureMessage
    };
    Some(Requirement { kind, level, found })
}

impl Decision {
    /// What was found, one entry per kind in the order of the reasons (strongest first), in a form that
    /// never repeats an identifier (see [`Shown`]).
    pub fn shown(&self) -> Vec<Shown> {
        let mut out: Vec<Shown> = Vec::new();
        for reason in &self.reasons {
            let words = matches!(reason.kind, Kind::TriggerWord | Kind::ActivationWord);
            let entry = match out.iter().position(|s| s.kind == reason.kind) {
                Some(i) => &mut out[i],
                None => {
                    out.push(Shown {
                        kind: reason.kind,
                        words: Vec::new(),
                    });
                    out.last_mut().expect("just pushed")
                }
            };
            if words {
                for term in &reason.terms {
                    if !entry.words.contains(term) {
                        entry.words.push(term.clone());
                    }
                }
            }
        }
        out
    }

    /// One English sentence (or two) for the sender, e.g. "Protection required (2FA): your message contains
    /// a Dutch citizen service number (BSN) and sensitive terms: 'Patiëntendossier'."
    ///
    /// Identifiers are counted, never repeated, so the summary is safe to show and to log; tenant words and
    /// unscannable reasons are quoted.
    pub fn summary(&self) -> String {
        let level = self
            .level
            .map(|l| format!(" ({})", l.as_str().to_uppercase()))
            .unwrap_or_default();
        let head = match self.action {
            Action::Force => format!("Protection required{level}"),
            Action::Auto => format!("This message will be protected{level}"),
            Action::Notify => format!("Consider protecting this message{level}"),
            Action::Allow if self.reasons.is_empty() => "No sensitive content found".to_owned(),
            Action::Allow => "No protection needed for internal recipients".to_owned(),
        };
        let mut parts: Vec<String> = Vec::new();
        let mut by_kind: BTreeMap<Kind, Vec<&str>> = BTreeMap::new();
        for r in &self.reasons {
            let terms = by_kind.entry(r.kind).or_default();
            for t in &r.terms {
                if !terms.contains(&t.as_str()) {
                    terms.push(t);
                }
            }
        }
        for (kind, terms) in &by_kind {
            parts.push(describe(*kind, terms));
        }
        let mut out = head;
        if !parts.is_empty() {
            out.push_str(": your message contains ");
            out.push_str(&join_english(&parts));
        }
        out.push('.');
        for w in &self.warnings {
            match w {
                Warning::ExternalRecipients { count: 1 } => {
                    out.push_str(" It goes to 1 external recipient.")
                }
                Warning::ExternalRecipients { count } => {
                    out.push_str(&format!(" It goes to {count} external recipients."))
                }
                Warning::Attachments { .. } => {
                    out.push_str(" Check the attachments before sending.")
                }
            }
        }
        out
    }
}

fn quoted(terms: &[&str]) -> String {
    join_english(&terms.iter().map(|t| format!("'{t}'")).collect::<Vec<_>>())
}

fn describe(kind: Kind, terms: &[&str]) -> String {
    let n = terms.len();
    let counted = |one: &str, many: &str| {
        if n == 1 {
            one.to_owned()
        } else {
            format!("{n} {many}")
        }
    };
    match kind {
        Kind::NlBsn => counted(
            "a Dutch citizen service number (BSN)",
            "Dutch citizen service numbers (BSN)",
        ),
        Kind::Iban => counted(
            "a bank account number (IBAN)",
            "bank account numbers (IBAN)",
        ),
        Kind::SePersonnummer => counted(
            "a Swedish personal identity number",
            "Swedish personal identity numbers",
        ),
        Kind::CreditCard => counted("a payment card number", "payment card numbers"),
        Kind::NlPhone => counted("a phone number", "phone numbers"),
        Kind::Email => counted("an e-mail address", "e-mail addresses"),
        Kind::TriggerWord => format!("sensitive terms: {}", quoted(terms)),
        Kind::ActivationWord => format!("the request {}", quoted(terms)),
        Kind::Unscannable => format!(
            "attachments that could not be checked ({})",
            terms.join("; ")
        ),
    }
}

fn join_english(parts: &[String]) -> String {
    match parts {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Table-driven tests of [`decide`] and [`Decision::summary`].
#[cfg(test)]
mod tests;
