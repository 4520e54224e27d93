//! Dates, times and sizes as each language writes them: one formatter for the mails, the portal and the
//! pane, so "17 december 2026 om 14:30" and "1,5 kB" read the same everywhere.

use crate::Language;

const NL_MONTHS: [&str; 12] = [
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
];

const EN_MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// A calendar date: "17 december 2026" (nl), "17 December 2026" (en), "2026-12-17" (sv, as Swedes
/// write dates). `month` is 1 to 12.
pub fn date(language: Language, year: i32, month: u8, day: u8) -> String {
    let index = usize::from(month.clamp(1, 12) - 1);
    match language {
        Language::Nl => format!("{day} {} {year}", NL_MONTHS[index]),
        Language::En => format!("{day} {} {year}", EN_MONTHS[index]),
        Language::Sv => format!("{year:04}-{month:02}-{day:02}"),
    }
}

/// A time of day on the 24-hour clock, as all three write it: "14:30".
pub fn time(hour: u8, minute: u8) -> String {
    format!("{hour:02}:{minute:02}")
}

/// A date and a time joined as the language says it: "17 december 2026 om 14:30",
/// "17 December 2026 at 14:30", "2026-12-17 kl. 14:30".
pub fn date_time(language: Language, date: &str, time: &str) -> String {
    match language {
        Language::Nl => format!("{date} om {time}"),
        Language::En => format!("{date} at {time}"),
        Language::Sv => format!("{date} kl. {time}"),
    }
}

/// A file size in SI units with the language's decimal sign: "1,5 kB" (nl, sv), "1.5 kB" (en);
/// one decimal below 10, none from 10 on.
pub fn size(language: Language, bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    let number = if unit == 0 || value >= 10.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    };
    let number = match language {
        Language::En => number,
        Language::Nl | Language::Sv => number.replace('.', ","),
    };
    // A no-break space keeps the number with its unit.
    format!("{number}\u{a0}{}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_as_each_language_writes_them() {
        assert_eq!(date(Language::Nl, 2026, 12, 17), "17 december 2026");
        assert_eq!(date(Language::En, 2026, 3, 1), "1 March 2026");
        assert_eq!(date(Language::Sv, 2026, 3, 1), "2026-03-01");
        let at = |l| date_time(l, &date(l, 2026, 12, 17), &time(14, 30));
        assert_eq!(at(Language::Nl), "17 december 2026 om 14:30");
        assert_eq!(at(Language::En), "17 December 2026 at 14:30");
        assert_eq!(at(Language::Sv), "2026-12-17 kl. 14:30");
    }

    #[test]
    fn sizes_use_the_decimal_sign_of_the_language() {
        assert_eq!(size(Language::Nl, 1_500), "1,5\u{a0}kB");
        assert_eq!(size(Language::Sv, 1_500), "1,5\u{a0}kB");
        assert_eq!(size(Language::En, 1_500), "1.5\u{a0}kB");
        assert_eq!(size(Language::Nl, 999), "999\u{a0}B");
        assert_eq!(size(Language::Nl, 45_000_000), "45\u{a0}MB");
        assert_eq!(size(Language::En, 2_000_000_000), "2.0\u{a0}GB");
    }
}
