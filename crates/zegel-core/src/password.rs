//! Password strength as senders see it in the pane and as the server enforces it.
//!
//! Both sides call [`check_strength`], so a password the pane shows as strong is never refused by the
//! server and the other way round.

use zxcvbn::Score;
use zxcvbn::feedback::{Suggestion, Warning};

/// The minimum zxcvbn score a custom password needs unless a tenant asks for more.
pub const DEFAULT_MIN_SCORE: u8 = 3;

/// The verdict on a candidate password (as JSON, what the pane's strength module hands the pane).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Strength {
    /// zxcvbn's score, 0 (very weak) to 4 (very strong).
    pub score: u8,
    /// Whether the score reaches the required minimum.
    pub strong_enough: bool,
    /// zxcvbn's warning, if any (English).
    pub warning: Option<String>,
    /// zxcvbn's suggestions for a stronger password (English).
    pub suggestions: Vec<String>,
    /// The warning as a stable code (`common_password`, …), for clients that say it in their own words.
    pub warning_code: Option<String>,
    /// The suggestions as stable codes (`add_another_word`, …).
    pub suggestion_codes: Vec<String>,
}

/// The stable code of a zxcvbn warning.
fn warning_code(warning: Warning) -> &'static str {
    match warning {
        Warning::StraightRowsOfKeysAreEasyToGuess => "straight_rows_of_keys",
        Warning::ShortKeyboardPatternsAreEasyToGuess => "short_keyboard_patterns",
        Warning::RepeatsLikeAaaAreEasyToGuess => "repeated_characters",
        Warning::RepeatsLikeAbcAbcAreOnlySlightlyHarderToGuess => "repeated_patterns",
        Warning::ThisIsATop10Password => "top10_password",
        Warning::ThisIsATop100Password => "top100_password",
        Warning::ThisIsACommonPassword => "common_password",
        Warning::ThisIsSimilarToACommonlyUsedPassword => "similar_to_common_password",
        Warning::SequencesLikeAbcAreEasyToGuess => "sequences",
        Warning::RecentYearsAreEasyToGuess => "recent_years",
        Warning::AWordByItselfIsEasyToGuess => "word_by_itself",
        Warning::DatesAreOftenEasyToGuess => "dates",
        Warning::NamesAndSurnamesByThemselvesAreEasyToGuess => "names_by_themselves",
        Warning::CommonNamesAndSurnamesAreEasyToGuess => "common_names",
    }
}

/// The stable code of a zxcvbn suggestion.
fn suggestion_code(suggestion: Suggestion) -> &'static str {
    match suggestion {
        Suggestion::UseAFewWordsAvoidCommonPhrases => "use_a_few_words",
        Suggestion::NoNeedForSymbolsDigitsOrUppercaseLetters => "no_need_for_symbols",
        Suggestion::AddAnotherWordOrTwo => "add_another_word",
        Suggestion::CapitalizationDoesntHelpVeryMuch => "capitalization_does_not_help",
        Suggestion::AllUppercaseIsAlmostAsEasyToGuessAsAllLowercase => "all_uppercase",
        Suggestion::ReversedWordsArentMuchHarderToGuess => "reversed_words",
        Suggestion::PredictableSubstitutionsDontHelpVeryMuch => "predictable_substitutions",
        Suggestion::UseALongerKeyboardPatternWithMoreTurns => "longer_keyboard_pattern",
        Suggestion::AvoidRepeatedWordsAndCharacters => "avoid_repeats",
        Suggestion::AvoidSequences => "avoid_sequences",
        Suggestion::AvoidRecentYears => "avoid_recent_years",
        Suggestion::AvoidYearsThatAreAssociatedWithYou => "avoid_your_years",
        Suggestion::AvoidDatesAndYearsThatAreAssociatedWithYou => "avoid_your_dates",
    }
}

/// Judges `password` with zxcvbn, penalising words from `user_inputs` (the sender's and recipients'
/// addresses, the subject) because an attacker would try those first.
pub fn check_strength(password: &str, user_inputs: &[&str], min_score: u8) -> Strength {
    if password.is_empty() {
        return Strength {
            score: 0,
            strong_enough: false,
            warning: Some("The password is empty.".to_owned()),
            suggestions: vec![
                "Use a few words that are not common, or a generated password.".to_owned(),
            ],
            warning_code: Some("empty".to_owned()),
            suggestion_codes: vec!["use_a_few_words".to_owned()],
        };
    }
    // zxcvbn's cost grows with length; beyond 256 characters the score cannot get better anyway.
    let judged: String = password.chars().take(256).collect();
    let entropy = zxcvbn::zxcvbn(&judged, user_inputs);
    let score = match entropy.score() {
        Score::Zero => 0,
        Score::One => 1,
        Score::Two => 2,
        Score::Three => 3,
        _ => 4,
    };
    let feedback = entropy.feedback();
    Strength {
        score,
        strong_enough: score >= min_score,
        warning: feedback.and_then(|f| f.warning()).map(|w| w.to_string()),
        suggestions: feedback
            .map(|f| f.suggestions().iter().map(|s| s.to_string()).collect())
            .unwrap_or_default(),
        warning_code: feedback
            .and_then(|f| f.warning())
            .map(|w| warning_code(w).to_owned()),
        suggestion_codes: feedback
            .map(|f| {
                f.suggestions()
                    .iter()
                    .copied()
                    .map(|s| suggestion_code(s).to_owned())
                    .collect()
            })
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_passwords_are_refused_with_feedback() {
        for weak in ["", "password", "welkom01", "jan.jansen"] {
            let verdict = check_strength(weak, &["jan.jansen@example.nl"], DEFAULT_MIN_SCORE);
            assert!(
                !verdict.strong_enough,
                "{weak:?} judged strong: {verdict:?}"
            );
            assert!(
                verdict.warning.is_some() || !verdict.suggestions.is_empty(),
                "{weak:?} has no feedback"
            );
        }
    }

    #[test]
    fn feedback_comes_with_stable_codes_too() {
        let verdict = check_strength("password", &[], DEFAULT_MIN_SCORE);
        assert!(
            matches!(
                verdict.warning_code.as_deref(),
                Some("top10_password" | "top100_password" | "common_password")
            ),
            "{verdict:?}"
        );
        assert_eq!(verdict.suggestion_codes.len(), verdict.suggestions.len());
        assert_eq!(
            check_strength("", &[], 3).warning_code.as_deref(),
            Some("empty"),
            "the empty password has a code of its own"
        );
    }

    #[test]
    fn strong_passwords_pass() {
        let verdict = check_strength("kaas-fiets-Tulp-regen-97", &[], DEFAULT_MIN_SCORE);
        assert!(verdict.strong_enough, "{verdict:?}");
        assert!(verdict.score >= 3);
    }
}
