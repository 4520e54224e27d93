//! Checksums and calendar rules behind the numeric detectors. All inputs are ASCII digit (or IBAN) bytes
//! that the caller has already cut out of the text.

/// A calendar date, used for the personnummer rule "the birth date is not in the future".
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CivilDate {
    /// Year, e.g. 2026.
    pub year: i32,
    /// Month, 1..=12.
    pub month: u32,
    /// Day of the month, 1..=31.
    pub day: u32,
}

impl CivilDate {
    /// The date if it exists in the proleptic Gregorian calendar.
    pub fn new(year: i32, month: u32, day: u32) -> Option<Self> {
        (day >= 1 && day <= days_in_month(year, month)).then_some(Self { year, month, day })
    }

    /// Today's date in UTC from the system clock, where there is one.
    ///
    /// `wasm32-unknown-unknown` has no clock (`SystemTime::now` panics there), so that target gets a fixed
    /// date; the task pane should pass the browser's date with [`crate::Scanner::with_today`].
    pub fn today() -> Self {
        #[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
        {
            if let Ok(d) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
                return Self::from_unix_days((d.as_secs() / 86_400) as i64);
            }
        }
        Self {
            year: 2026,
            month: 1,
            day: 1,
        }
    }

    /// The date `days` days after 1970-01-01 (Howard Hinnant's `civil_from_days`).
    pub fn from_unix_days(days: i64) -> Self {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Self { year, month, day }
    }
}

fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => 0,
    }
}

fn num(d: &[u8]) -> u32 {
    d.iter().fold(0, |acc, c| acc * 10 + u32::from(c - b'0'))
}

/// Luhn (mod 10) over ASCII digits, the check digit last.
pub(crate) fn luhn(d: &[u8]) -> bool {
    let sum: u32 = d
        .iter()
        .rev()
        .enumerate()
        .map(|(i, c)| {
            let x = u32::from(c - b'0');
            if !i.is_multiple_of(2) {
                if x * 2 > 9 { x * 2 - 9 } else { x * 2 }
            } else {
                x
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// The Dutch 11-proef for a BSN: 9·d1 + 8·d2 + … + 2·d8 − 1·d9 ≡ 0 (mod 11), and not all zeros.
pub(crate) fn elfproef(d: &[u8]) -> bool {
    if d.len() != 9 || d.iter().all(|&c| c == b'0') {
        return false;
    }
    let sum: i32 = d
        .iter()
        .zip([9, 8, 7, 6, 5, 4, 3, 2, -1])
        .map(|(c, w)| w * i32::from(c - b'0'))
        .sum();
    sum.rem_euclid(11) == 0
}

/// IBAN lengths of the 37 SEPA countries (ISO 13616 registry).
const IBAN_LENGTHS: [(&[u8; 2], usize); 37] = [
    (b"AD", 24),
    (b"AT", 20),
    (b"BE", 16),
    (b"BG", 22),
    (b"CH", 21),
    (b"CY", 28),
    (b"CZ", 24),
    (b"DE", 22),
    (b"DK", 18),
    (b"EE", 20),
    (b"ES", 24),
    (b"FI", 18),
    (b"FR", 27),
    (b"GB", 22),
    (b"GI", 23),
    (b"GR", 27),
    (b"HR", 21),
    (b"HU", 28),
    (b"IE", 22),
    (b"IS", 26),
    (b"IT", 27),
    (b"LI", 21),
    (b"LT", 20),
    (b"LU", 20),
    (b"LV", 21),
    (b"MC", 27),
    (b"MT", 31),
    (b"NL", 18),
    (b"NO", 15),
    (b"PL", 28),
    (b"PT", 25),
    (b"RO", 24),
    (b"SE", 24),
    (b"SI", 19),
    (b"SK", 24),
    (b"SM", 27),
    (b"VA", 22),
];

/// The IBAN length of a SEPA country code (case-insensitive), or `None` for any other code.
pub(crate) fn iban_length(cc: [u8; 2]) -> Option<usize> {
    let cc = cc.map(|c| c.to_ascii_uppercase());
    IBAN_LENGTHS
        .iter()
        .find(|(k, _)| **k == cc)
        .map(|&(_, n)| n)
}

/// ISO 7064 mod 97-10 over an IBAN without separators (country, check digits, BBAN; any case).
pub(crate) fn iban_mod97(s: &[u8]) -> bool {
    if s.len() < 5 {
        return false;
    }
    let mut r: u32 = 0;
    for &c in s[4..].iter().chain(&s[..4]) {
        r = match c {
            b'0'..=b'9' => (r * 10 + u32::from(c - b'0')) % 97,
            b'A'..=b'Z' => (r * 100 + u32::from(c - b'A') + 10) % 97,
            b'a'..=b'z' => (r * 100 + u32::from(c - b'a') + 10) % 97,
            _ => return false,
        };
    }
    r == 1
}

/// A card brand by prefix and length: Visa `4` (16), Mastercard `51`–`55` or `2221`–`2720` (16), Amex
/// `34`/`37` (15).
pub(crate) fn card_brand(d: &[u8]) -> Option<&'static str> {
    match d.len() {
        16 if d[0] == b'4' => Some("visa"),
        16 if (51..=55).contains(&num(&d[..2])) || (2221..=2720).contains(&num(&d[..4])) => {
            Some("mastercard")
        }
        15 if matches!(&d[..2], b"34" | b"37") => Some("amex"),
        _ => None,
    }
}

/// A payment card: brand prefix, length and Luhn.
pub(crate) fn card_ok(d: &[u8]) -> bool {
    card_brand(d).is_some() && luhn(d)
}

/// A Swedish personnummer or samordningsnummer (day + 60).
///
/// `d` holds the 10 or 12 digits without separator; `sep` is the separator of the short form (`-`, `+`)
/// if any. Luhn runs over the 10-digit form YYMMDDNNNC, the serial NNN must not be 000 and the date must
/// be real. A 12-digit form carries its century (18, 19 or 20) and takes no `+`. A short form takes the
/// most recent century that does not put the birth date after `today`; `+` means 100 years earlier.
pub(crate) fn personnummer_ok(d: &[u8], sep: Option<u8>, today: CivilDate) -> bool {
    let (century, ten) = match d.len() {
        12 => (Some(num(&d[..2]) as i32), &d[2..]),
        10 => (None, d),
        _ => return false,
    };
    if !luhn(ten) || &ten[6..9] == b"000" {
        return false;
    }
    let yy = num(&ten[..2]) as i32;
    let month = num(&ten[2..4]);
    let mut day = num(&ten[4..6]);
    if day > 60 {
        day -= 60;
    }
    if let Some(cc) = century {
        if !(18..=20).contains(&cc) || sep == Some(b'+') {
            return false;
        }
        return CivilDate::new(cc * 100 + yy, month, day).is_some_and(|born| born <= today);
    }
    let base = today.year.div_euclid(100) * 100 + yy;
    for year in [base, base - 100, base - 200] {
        let Some(born) = CivilDate::new(year, month, day) else {
            continue;
        };
        if born > today {
            continue;
        }
        return sep != Some(b'+') || CivilDate::new(year - 100, month, day).is_some();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    const TODAY: CivilDate = CivilDate {
        year: 2026,
        month: 6,
        day: 15,
    };

    #[test]
    fn luhn_vectors() {
        for (d, ok) in [
            ("4111111111111111", true),
            ("4111111111111112", false),
            ("378282246310005", true),
            ("5555555555554444", true),
            ("0", true),
            ("79927398713", true),
            ("79927398710", false),
        ] {
            assert_eq!(luhn(d.as_bytes()), ok, "{d}");
        }
    }

    #[test]
    fn elfproef_vectors() {
        for (d, ok) in [
            ("111222333", true),
            ("123456782", true),
            ("123456789", false),
            ("000000000", false),
            ("12345678", false),
            ("1234567820", false),
        ] {
            assert_eq!(elfproef(d.as_bytes()), ok, "{d}");
        }
    }

    #[test]
    fn iban_vectors() {
        for (s, ok) in [
            ("NL91ABNA0417164300", true),
            ("nl91abna0417164300", true),
            ("NL91ABNA0417164301", false),
            ("GB82WEST12345698765432", true),
            ("DE89370400440532013000", true),
            ("BE68539007547034", true),
            ("NO9386011117947", true),
            ("MT84MALT011000012345MTLCAST001S", true),
            ("NL91ABNA04171643", false),
            ("NL9", false),
            ("NL91-ABNA0417164300", false),
        ] {
            assert_eq!(iban_mod97(s.as_bytes()), ok, "{s}");
        }
        assert_eq!(iban_length(*b"nl"), Some(18));
        assert_eq!(iban_length(*b"US"), None);
        assert_eq!(IBAN_LENGTHS.len(), 37);
    }

    #[test]
    fn card_vectors() {
        for (d, ok) in [
            ("4111111111111111", true),
            ("5555555555554444", true),
            ("2221000000000009", true),
            ("2720990000000008", false), // Luhn fails
            ("2721000000000004", false), // outside 2221–2720
            ("378282246310005", true),
            ("371449635398431", true),
            ("6011111111111117", false), // Discover: no brand in scope
            ("9894068203249179", false), // gift card, Luhn-valid
            ("411111111111111", false),  // Visa with 15 digits
        ] {
            assert_eq!(card_ok(d.as_bytes()), ok, "{d}");
        }
    }

    #[test]
    fn personnummer_vectors() {
        for (d, sep, ok) in [
            ("8112189876", Some(b'-'), true),
            ("8112189876", None, true),
            ("198112189876", None, true),
            ("198112189876", Some(b'-'), true),
            ("198112189876", Some(b'+'), false), // 12 digits take no '+'
            ("178112189876", None, false),       // century 17
            ("8112189875", None, false),         // Luhn
            ("8113189873", None, false),         // month 13
            ("8112789873", None, true),          // samordningsnummer: day 78 = 18
            ("5560360793", None, false),         // organisationsnummer, month 60
            ("0502290000", None, false),
            ("1212121212", Some(b'+'), true), // 1912 with '+'
            ("201212121212", None, true),
            ("202712121213", None, false), // in the future
        ] {
            assert_eq!(personnummer_ok(d.as_bytes(), sep, TODAY), ok, "{d} {sep:?}");
        }
    }

    #[test]
    fn short_personnummer_takes_most_recent_century() {
        // 261231 is after TODAY in 2026, so a short form means 1926; with '+' it means 1826.
        let d = luhn_complete(b"261231123");
        assert!(personnummer_ok(&d, None, TODAY));
        assert!(personnummer_ok(&d, Some(b'+'), TODAY));
        // Serial 000 never is a personnummer, even with a valid check digit.
        assert!(!personnummer_ok(&luhn_complete(b"811218000"), None, TODAY));
    }

    fn luhn_complete(body: &[u8]) -> Vec<u8> {
        (b'0'..=b'9')
            .map(|c| [body, &[c]].concat())
            .find(|d| luhn(d))
            .expect("a check digit exists")
    }

    #[test]
    fn civil_dates() {
        assert_eq!(
            CivilDate::from_unix_days(0),
            CivilDate {
                year: 1970,
                month: 1,
                day: 1
            }
        );
        assert_eq!(
            CivilDate::from_unix_days(19_723),
            CivilDate {
                year: 2024,
                month: 1,
                day: 1
            }
        );
        assert_eq!(
            CivilDate::from_unix_days(19_782),
            CivilDate {
                year: 2024,
                month: 2,
                day: 29
            }
        );
        assert!(CivilDate::new(2023, 2, 29).is_none());
        assert!(CivilDate::new(2000, 2, 29).is_some());
        assert!(CivilDate::new(1900, 2, 29).is_none());
    }
}
