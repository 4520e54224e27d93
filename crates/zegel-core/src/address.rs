//! E-mail addresses as Zegel handles them.
//!
//! Addresses are compared and stored in a normalised form (trimmed, domain in lower case) and shown to
//! recipients only masked, so a forwarded landing page does not reveal the full address.

use std::str::FromStr;

/// Why an address was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{address}' is not a valid e-mail address")]
pub struct InvalidAddress {
    /// The address as given (trimmed).
    pub address: String,
}

/// Validates an e-mail address and returns its normalised form: surrounding whitespace removed and the
/// domain in lower case (the local part is kept as written, as RFC 5321 says it may be case-sensitive).
pub fn normalize_email(input: &str) -> Result<String, InvalidAddress> {
    let trimmed = input.trim();
    let invalid = || InvalidAddress {
        address: trimmed.to_owned(),
    };
    // Display names and comments are not accepted here: the API takes bare addresses.
    if trimmed.contains(['<', '>', '(', ')', ' ', ',', ';']) || trimmed.len() > 254 {
        return Err(invalid());
    }
    let parsed = email_address::EmailAddress::from_str(trimmed).map_err(|_| invalid())?;
    let (local, domain) = (parsed.local_part(), parsed.domain());
    // A deliverable address needs a dotted domain; quoted local parts and IP literals are not used by
    // the people Zegel serves and complicate every later step, so they are refused.
    if !domain.contains('.')
        || domain.starts_with('[')
        || local.starts_with('"')
        || domain.split('.').any(|label| label.is_empty())
    {
        return Err(invalid());
    }
    Ok(format!("{local}@{}", domain.to_ascii_lowercase()))
}

/// The domain part of a normalised address, in lower case.
pub fn domain_of(address: &str) -> &str {
    address.rsplit_once('@').map_or("", |(_, domain)| domain)
}

/// Masks an address for display, e.g. `jan.jansen@outlook.com` becomes `j********n@o*****k.com`: the first
/// and last character of the local part and of the domain's first label stay, the top-level domain stays.
pub fn mask_email(address: &str) -> String {
    let Some((local, domain)) = address.rsplit_once('@') else {
        return mask_word(address);
    };
    let (first_label, rest) = match domain.split_once('.') {
        Some((label, rest)) => (label, Some(rest)),
        None => (domain, None),
    };
    let mut masked = format!("{}@{}", mask_word(local), mask_word(first_label));
    if let Some(rest) = rest {
        masked.push('.');
        masked.push_str(rest);
    }
    masked
}

fn mask_word(word: &str) -> String {
    let chars: Vec<char> = word.chars().collect();
    match chars.len() {
        0 => String::new(),
        1 | 2 => "*".repeat(chars.len()),
        n => {
            let mut out = String::with_capacity(n);
            out.push(chars[0]);
            out.extend(std::iter::repeat_n('*', n - 2));
            out.push(chars[n - 1]);
            out
        }
    }
}

/// Masks a phone number in E.164 form for display: the country prefix (up to three characters after
/// `+`) and the last three digits stay, e.g. `+31612345678` becomes `+31******678`.
pub fn mask_phone(e164: &str) -> String {
    let chars: Vec<char> = e164.chars().collect();
    if chars.len() <= 6 {
        return "*".repeat(chars.len());
    }
    let keep_front = 3.min(chars.len() - 3);
    let mut out: String = chars[..keep_front].iter().collect();
    out.extend(std::iter::repeat_n('*', chars.len() - keep_front - 3));
    out.extend(&chars[chars.len() - 3..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_valid_addresses() {
        for (input, expected) in [
            ("jan@example.nl", "jan@example.nl"),
            ("  Jan.Jansen@Example.NL ", "Jan.Jansen@example.nl"),
            ("a+tag@sub.domain.example", "a+tag@sub.domain.example"),
        ] {
            assert_eq!(normalize_email(input).unwrap(), expected, "{input}");
        }
    }

    #[test]
    fn refuses_invalid_addresses() {
        for input in [
            "",
            "jan",
            "jan@",
            "@example.nl",
            "jan@localhost",
            "jan@@example.nl",
            "Jan <jan@example.nl>",
            "jan@example..nl",
            "jan@[127.0.0.1]",
            "a b@example.nl",
            "jan@example.nl,piet@example.nl",
        ] {
            assert!(
                normalize_email(input).is_err(),
                "{input:?} should be refused"
            );
        }
    }

    #[test]
    fn masks_like_the_portal_shows_them() {
        assert_eq!(
            mask_email("jan.jansen@outlook.com"),
            "j********n@o*****k.com"
        );
        assert_eq!(mask_email("jg@o.nl"), "**@*.nl");
        assert_eq!(mask_email("juliet@gmail.co.uk"), "j****t@g***l.co.uk");
        assert_eq!(mask_phone("+31612345678"), "+31******678");
        assert_eq!(mask_phone("+46701234567"), "+46******567");
        assert_eq!(domain_of("a@b.example"), "b.example");
    }
}
