//! Mobile numbers as senders type them for 2FA: checked while typing, so the pane can show a green tick
//! before the server (which normalises them again) ever sees them.

/// Country calling codes for numbers typed in national form (leading `0`), by ISO 3166 country.
const COUNTRY_CODES: [(&str, &str); 8] = [
    ("NL", "31"),
    ("BE", "32"),
    ("DE", "49"),
    ("SE", "46"),
    ("GB", "44"),
    ("FR", "33"),
    ("NO", "47"),
    ("DK", "45"),
];

/// The number in E.164 form (`+31612345678`), or `None` while it is not a plausible mobile number.
/// National numbers (`06 1234 5678`) are read in `default_country`.
pub fn normalize(input: &str, default_country: &str) -> Option<String> {
    let mut text: String = input
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')' | '/'))
        .collect();
    if let Some(rest) = text.strip_prefix("00") {
        text = format!("+{rest}");
    }
    let international = if let Some(rest) = text.strip_prefix('+') {
        rest.to_owned()
    } else if let Some(national) = text.strip_prefix('0') {
        let (_, code) = COUNTRY_CODES
            .iter()
            .find(|(country, _)| country.eq_ignore_ascii_case(default_country))?;
        format!("{code}{national}")
    } else {
        return None;
    };
    if !international.chars().all(|c| c.is_ascii_digit()) || international.starts_with('0') {
        return None;
    }
    // E.164 allows at most 15 digits; no mobile number anywhere has fewer than 8.
    if !(8..=15).contains(&international.len()) {
        return None;
    }
    // Dutch numbers have exactly nine digits after the country code.
    if let Some(nsn) = international.strip_prefix("31")
        && nsn.len() != 9
    {
        return None;
    }
    Some(format!("+{international}"))
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn accepts_common_notations() {
        for (typed, expected) in [
            ("06 1234 5678", "+31612345678"),
            ("+31 6 12345678", "+31612345678"),
            ("0031-6-12345678", "+31612345678"),
            ("(06) 12 34 56 78", "+31612345678"),
            ("+46 70 123 45 67", "+46701234567"),
        ] {
            assert_eq!(normalize(typed, "NL").as_deref(), Some(expected), "{typed}");
        }
        assert_eq!(
            normalize("070-123 45 67", "SE").as_deref(),
            Some("+46701234567")
        );
    }

    #[test]
    fn refuses_what_is_not_yet_a_number() {
        for typed in [
            "",
            "06",
            "06 1234 567",
            "+31 6 123456789",
            "phone",
            "+0612345678",
            "612345678",
            "+1234567890123456",
        ] {
            assert_eq!(normalize(typed, "NL"), None, "{typed}");
        }
        assert_eq!(
            normalize("0612345678", "XX"),
            None,
            "national numbers need a known default country"
        );
    }
}
