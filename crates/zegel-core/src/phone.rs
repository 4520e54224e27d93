//! Mobile numbers for two-factor access, judged by one rule in the pane and on the server: parsed and
//! normalised to E.164 with the `phonenumber` crate (libphonenumber's metadata), landlines and service
//! numbers refused.

use phonenumber::country::Id;
use phonenumber::{Mode, Type};

/// Why a number was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    /// Not a phone number at all.
    #[error("'{0}' is not a phone number")]
    Unparsable(String),
    /// A number that does not exist in its country's numbering plan.
    #[error("'{0}' is not a valid phone number")]
    Invalid(String),
    /// A landline or service number, which cannot receive SMS.
    #[error("'{0}' is not a mobile number")]
    NotMobile(String),
}

/// Parses a number written in any common way (`06 12345678`, `+31 (0)6-1234 5678`, `0031612345678`),
/// national formats in `default_country` (ISO 3166 alpha-2), and returns it in E.164 (`+31612345678`).
/// Numbers the library knows to be landlines or service numbers are refused; where it cannot tell
/// (some countries mix mobile and fixed ranges) the number is accepted.
pub fn normalize(input: &str, default_country: &str) -> Result<String, PhoneError> {
    let trimmed = input.trim();
    if trimmed.is_empty() || trimmed.len() > 40 {
        return Err(PhoneError::Unparsable(trimmed.to_owned()));
    }
    let country: Option<Id> = default_country.to_ascii_uppercase().parse().ok();
    // "+31 (0)6 ..." is common in Dutch signatures; the library reads the "(0)" as part of the number.
    let cleaned = trimmed.replace("(0)", "");
    let number = phonenumber::parse(country, &cleaned)
        .map_err(|_| PhoneError::Unparsable(trimmed.to_owned()))?;
    if !number.is_valid() {
        return Err(PhoneError::Invalid(trimmed.to_owned()));
    }
    match number.number_type(&phonenumber::metadata::DATABASE) {
        Type::Mobile | Type::FixedLineOrMobile | Type::PersonalNumber | Type::Unknown => {}
        _ => return Err(PhoneError::NotMobile(trimmed.to_owned())),
    }
    Ok(number.format().mode(Mode::E164).to_string())
}

/// What the pane shows for a number as typed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhoneVerdict {
    /// A mobile number, in E.164.
    Mobile(String),
    /// A real number that cannot receive SMS (a landline, a service number).
    NotMobile,
    /// Not (yet) a valid number.
    NotANumber,
}

/// Judges a number as typed, national numbers read in `country`.
pub fn check(input: &str, country: &str) -> PhoneVerdict {
    match normalize(input, country) {
        Ok(e164) => PhoneVerdict::Mobile(e164),
        Err(PhoneError::NotMobile(_)) => PhoneVerdict::NotMobile,
        Err(_) => PhoneVerdict::NotANumber,
    }
}

/// The countries the pane offers for numbers typed without a country code, with their calling codes:
/// the tenants' usual countries first, then their neighbours. A number typed with `+` or `00` may be
/// from anywhere.
pub const COUNTRIES: [(&str, &str); 16] = [
    ("NL", "+31"),
    ("BE", "+32"),
    ("DE", "+49"),
    ("SE", "+46"),
    ("NO", "+47"),
    ("DK", "+45"),
    ("FI", "+358"),
    ("GB", "+44"),
    ("IE", "+353"),
    ("FR", "+33"),
    ("LU", "+352"),
    ("AT", "+43"),
    ("CH", "+41"),
    ("ES", "+34"),
    ("IT", "+39"),
    ("PL", "+48"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_the_ways_people_write_numbers() {
        for (input, country, expected) in [
            ("06 12345678", "NL", "+31612345678"),
            ("06-1234 5678", "NL", "+31612345678"),
            ("+31 6 12345678", "NL", "+31612345678"),
            ("+31 (0)6 12345678", "NL", "+31612345678"),
            ("0031612345678", "NL", "+31612345678"),
            ("070-123 4567", "SE", "+46701234567"),
            ("+46 70 123 45 67", "NL", "+46701234567"),
        ] {
            assert_eq!(
                normalize(input, country).as_deref(),
                Ok(expected),
                "{input} in {country}"
            );
        }
    }

    #[test]
    fn refuses_what_cannot_get_an_sms() {
        assert!(matches!(
            normalize("hallo", "NL"),
            Err(PhoneError::Unparsable(_))
        ));
        assert!(matches!(
            normalize("", "NL"),
            Err(PhoneError::Unparsable(_))
        ));
        assert!(matches!(
            normalize("06 1234", "NL"),
            Err(PhoneError::Invalid(_))
        ));
        for landline in ["020 1234567", "020 123 4567", "+31 20 123 4567"] {
            assert!(
                matches!(normalize(landline, "NL"), Err(PhoneError::NotMobile(_))),
                "{landline}"
            );
        }
        assert!(matches!(
            normalize("0800 0123", "NL"),
            Err(PhoneError::NotMobile(_) | PhoneError::Invalid(_))
        ));
    }

    #[test]
    fn verdicts_speak_json_the_pane_reads() {
        assert_eq!(
            serde_json::to_string(&check("06 12345678", "NL")).unwrap(),
            r#"{"mobile":"+31612345678"}"#
        );
        assert_eq!(
            serde_json::to_string(&check("020 1234567", "NL")).unwrap(),
            r#""not_mobile""#
        );
        assert_eq!(check("06 12", "NL"), PhoneVerdict::NotANumber);
        assert_eq!(
            check("070 123 45 67", "SE"),
            PhoneVerdict::Mobile("+46701234567".into())
        );
    }

    #[test]
    fn every_offered_country_reads_national_numbers() {
        for (country, code) in COUNTRIES {
            let id: Result<Id, _> = country.parse();
            assert!(id.is_ok(), "{country}");
            assert!(code.starts_with('+'), "{code}");
        }
    }
}
