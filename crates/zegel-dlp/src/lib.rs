//! Zegel's content filter: finds sensitive data in outgoing mail.
//!
//! The crate is pure: no I/O, no clock except for today's date (see [`Scanner::with_today`]), no async
//! runtime. With default features it only scans text and compiles to `wasm32-unknown-unknown`, so the
//! Outlook task pane runs the same detectors as the server. The `extract` feature adds `extract`, which
//! turns attachments (PDF, DOCX, XLSX, PPTX, ODF, HTML, EML, ZIP, plain text) into text within hard limits.
//!
//! # Detectors
//!
//! Every value must not touch another letter or digit on either side (punctuation, brackets and
//! whitespace are fine), so a number inside a longer digit run never counts. A *group separator* is one
//! Unicode space (ASCII space, NBSP U+00A0, thin space U+2009, narrow NBSP U+202F, …) or, where the form
//! allows, `-` or `.`; a grouped value uses the same separator throughout.
//!
//! | [`Kind`] | rule |
//! |---|---|
//! | `nl_bsn` | 9 digits (`123456782`, `123 456 782`, `123.456.782`, `1234.56.782`) passing the 11-proef, and either a keyword (`bsn`, `burgerservicenummer`, `sofinummer`, `citizen service number`; whole word, any case, `BSN-nummer` counts) within 300 chars before or after, or the dotted 4-2-3 form printed on identity documents. |
//! | `iban` | Country code of one of the 37 SEPA countries, that country's length, ISO 7064 mod 97 = 1; compact or in groups of four separated by single spaces; any case. |
//! | `se_personnummer` | Personnummer or samordningsnummer (day + 60): `YYMMDD-NNNC`, `YYMMDD+NNNC`, `YYYYMMDD[-]NNNC`, `YYMMDDNNNC`; Luhn over YYMMDDNNNC, a real date not in the future, serial ≠ 000. 12-digit forms carry the century (18, 19, 20); short forms take the most recent century that keeps the date in the past, `+` one century earlier. |
//! | `credit_card` | Luhn, brand prefix and length: Visa `4` (16), Mastercard `51`–`55`/`2221`–`2720` (16), Amex `34`/`37` (15); compact, `4-4-4-4` or Amex `4-6-5` with spaces or dashes. |
//! | `nl_phone` | A Dutch number: the whole written run of digits, spaces, dashes and brackets (optionally from `+`) has 10 national digits once separators are removed, `+31`/`0031` becomes `0` and `(0)` is dropped; shapes `06[1-58]…`, `0[1-57]…`, `085`, `088`, `091`. |
//! | `email` | ASCII local part, `@`, domain labels and an alphabetic TLD that is not a common file extension (an approximation of "a real TLD" that needs no list to keep up to date). |
//! | `trigger_word`, `activation_word` | The tenant's words as whole words (the chars around are not letters; a hyphen is not a letter), ignoring case, diacritics and Unicode normalisation. Plurals and compounds do not match. |
//! | `unscannable` | Only from `extract`: a part that could not be read (encrypted, malformed, over a limit). |
//!
//! Digits inside a valid IBAN belong to the IBAN only; phone numbers and addresses overlapping a protective
//! finding are dropped (see `resolve_overlaps` in the scanner).
//!
//! # Normalisation
//!
//! Words are compared after *folding*: canonical decomposition (NFD), combining marks and invisible format
//! chars dropped, lower case. Pure-ASCII text is searched in place; other text is folded into a copy with a
//! sparse offset map (one entry per non-ASCII char), so every finding's `start..end` are byte offsets into
//! the **original** text, covering any combining marks of its last letter.
//!
//! # Confidence
//!
//! `confidence` is a fixed score per rule, not a probability fitted to data (see [`confidence`]): 1.0 for an
//! exact tenant word or an unscannable part; 0.97–0.99 for checksum-validated identifiers with strong
//! structure or context (IBAN, BSN with keyword); 0.95 for Luhn plus brand or date (card, personnummer);
//! 0.85 for a dotted BSN without a keyword; 0.9 for an address; 0.7 for a phone number, which only has a
//! shape check.
//!
//! # Limits
//!
//! Text scanning is linear in the input: one pass over the bytes (eight at a time) in which anchored
//! detectors run only at the starts of digit runs, `+`, `(` and `@`; one folded copy of the text; one
//! Aho–Corasick pass for the tenant words and four SIMD substring searches for the BSN keywords (only when a
//! 9-digit number passes the 11-proef). Nothing is allocated per char.
//!
//! [`Scanner::scan_text_into`] scans window by window into [`Findings`], which counts every finding but
//! keeps only a bounded number per kind (the decision needs few), so memory stays bounded for any text:
//! the server and `zegel scan` use it.
//!
//! Attachment extraction is bounded by `extract::Limits`: uncompressed bytes read, archive entries,
//! nesting depth, text kept, spreadsheet cells, compression ratio and a deadline. Whatever goes over a limit,
//! is encrypted or is malformed becomes an `unscannable` finding with a reason; every extractor runs under
//! `catch_unwind`, and PDF page-tree and form cycles (which would overflow the PDF library's stack) are
//! refused before it runs. Not extracted (documented gaps): text in images (no OCR; images give no
//! findings, a PDF without a text layer is unscannable), Outlook `.msg` and legacy binary Office files
//! (unscannable), RTF (scanned as plain text, control words and all).

#[cfg(feature = "extract")]
/// Attachment extraction: from file bytes to text, within limits (feature `extract`).
pub mod extract;

/// Byte-level helpers for UTF-8 text.
mod chars;
/// Checksums (Luhn, 11-proef, mod 97) and calendar rules.
mod checks;
/// Findings with bounded memory: exact counts, a bounded sample.
mod collect;
/// The e-mail address detector.
mod email;
/// What kind of file a received file is, by its content (allowed types of upload requests).
pub mod file_type;
/// The numeric detectors (BSN, IBAN, personnummer, card, phone).
mod numbers;
/// The scanner that runs all detectors over a text.
mod scanner;
/// Scanning a text that arrives in pieces.
mod stream;
/// Tenant words, folding and the BSN keywords.
mod words;

pub use checks::CivilDate;
pub use collect::{Findings, KEPT_TERMS_PER_KIND};
pub use scanner::{MARGIN, Scanner, WINDOW};
pub use stream::TextStream;

/// The folded form of a word: what tenant-word matching compares (NFD, combining marks and invisible
/// format chars dropped, lower case). Two words match each other exactly when their folded forms are equal,
/// so the policy can tell which configured word a finding came from.
pub fn fold_word(word: &str) -> String {
    String::from_utf8_lossy(&words::fold(word.trim())).into_owned()
}

use serde::{Deserialize, Serialize};

/// What a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Dutch citizen service number (burgerservicenummer).
    NlBsn,
    /// International bank account number of a SEPA country.
    Iban,
    /// Swedish personnummer or samordningsnummer.
    SePersonnummer,
    /// Payment card number (Visa, Mastercard, Amex).
    CreditCard,
    /// Dutch phone number.
    NlPhone,
    /// E-mail address.
    Email,
    /// One of the tenant's trigger words.
    TriggerWord,
    /// The tenant's activation word: the sender asks for protection.
    ActivationWord,
    /// A part that could not be scanned (encrypted, malformed, over a limit).
    Unscannable,
}

impl Kind {
    /// Every kind, in declaration order.
    pub const ALL: [Kind; 9] = [
        Kind::NlBsn,
        Kind::Iban,
        Kind::SePersonnummer,
        Kind::CreditCard,
        Kind::NlPhone,
        Kind::Email,
        Kind::TriggerWord,
        Kind::ActivationWord,
        Kind::Unscannable,
    ];

    /// The snake_case name, as in JSON and the corpus.
    pub fn as_str(&self) -> &'static str {
        match self {
            Kind::NlBsn => "nl_bsn",
            Kind::Iban => "iban",
            Kind::SePersonnummer => "se_personnummer",
            Kind::CreditCard => "credit_card",
            Kind::NlPhone => "nl_phone",
            Kind::Email => "email",
            Kind::TriggerWord => "trigger_word",
            Kind::ActivationWord => "activation_word",
            Kind::Unscannable => "unscannable",
        }
    }

    /// Whether this kind on its own can make a mail sensitive. Phone numbers and addresses cannot: nearly
    /// every signature has them.
    pub fn is_protective(&self) -> bool {
        !matches!(self, Kind::NlPhone | Kind::Email)
    }

    /// The kind with this snake_case name.
    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a finding was made.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Location {
    /// The subject line.
    Subject,
    /// The message body.
    Body,
    /// An attachment.
    Attachment {
        /// The attachment's file name.
        name: String,
        /// The path inside archives or mails, outermost first; empty for the attachment itself.
        path: Vec<String>,
        /// The PDF page, numbered from 1, for findings in a PDF.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        page: Option<u32>,
    },
}

/// One sensitive value (or one unscannable part).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Finding {
    /// What was found.
    pub kind: Kind,
    /// The matched text as written (empty for unscannable parts).
    pub text: String,
    /// Byte offset of the start in the scanned text (0 for unscannable parts).
    pub start: usize,
    /// Byte offset just after the end in the scanned text (0 for unscannable parts).
    pub end: usize,
    /// How sure the detector is, 0..=1 (see [`confidence`]).
    pub confidence: f32,
    /// Where it was found.
    pub location: Location,
    /// For unscannable parts: why, e.g. "encrypted archive".
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub reason: Option<String>,
}

impl Finding {
    /// A finding for a part that could not be scanned.
    pub fn unscannable(location: Location, reason: impl Into<String>) -> Self {
        Finding {
            kind: Kind::Unscannable,
            text: String::new(),
            start: 0,
            end: 0,
            confidence: confidence::UNSCANNABLE,
            location,
            reason: Some(reason.into()),
        }
    }
}

/// The tenant's words, from the policy.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Words {
    /// Words that mark a mail as sensitive (e.g. "Patiëntendossier").
    pub trigger_words: Vec<String>,
    /// Words with which a sender asks for protection (e.g. "zegel-veilig").
    pub activation_words: Vec<String>,
}

/// The confidence scale: a fixed score per rule, documented so the pane and audit log can explain it.
pub mod confidence {
    /// An exact, whole-word match of a configured tenant word.
    pub const WORD: f32 = 1.0;
    /// A part that could not be scanned: it is certain that it was not scanned.
    pub const UNSCANNABLE: f32 = 1.0;
    /// IBAN: SEPA country, exact length and mod 97 (a random string passes 1 time in 97).
    pub const IBAN: f32 = 0.99;
    /// BSN that passes the 11-proef with a BSN keyword within the window.
    pub const BSN_WITH_KEYWORD: f32 = 0.97;
    /// BSN in the dotted 4-2-3 form of identity documents, without a keyword.
    pub const BSN_DOTTED: f32 = 0.85;
    /// Personnummer: Luhn, a real past date and a non-zero serial.
    pub const PERSONNUMMER: f32 = 0.95;
    /// Payment card: brand prefix, brand length and Luhn.
    pub const CARD: f32 = 0.95;
    /// E-mail address: syntax and a plausible TLD.
    pub const EMAIL: f32 = 0.9;
    /// Dutch phone number: shape only, no checksum exists.
    pub const PHONE: f32 = 0.7;
}

#[cfg(test)]
mod tests;
