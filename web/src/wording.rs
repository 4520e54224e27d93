//! Words people read that reach the pane as codes: the password-strength hints (zxcvbn's warnings and
//! suggestions, as `zegel_core::password` codes them) and the server's errors (`code` and `field`). The
//! server's own `message` is English for developers; the pane never shows it, so a Dutch or Swedish
//! pane has no English sentence in it.

use zegel_core::{AuthLevel, Language, MessageKind};

use crate::api::{ApiError, PolicyRefusal};
use crate::i18n::Texts;

/// Picks the text of `language`.
fn pick(language: Language, nl: &'static str, en: &'static str, sv: &'static str) -> &'static str {
    match language {
        Language::Nl => nl,
        Language::En => en,
        Language::Sv => sv,
    }
}

/// A password-strength warning or suggestion code in words; `None` for a code this pane does not know
/// (it is left out rather than shown in English).
pub fn strength_hint(language: Language, code: &str) -> Option<&'static str> {
    let (nl, en, sv) = match code {
        "empty" => (
            "Het wachtwoord is leeg.",
            "The password is empty.",
            "Lösenordet är tomt.",
        ),
        "straight_rows_of_keys" => (
            "Rijen toetsen naast elkaar zijn makkelijk te raden.",
            "Straight rows of keys are easy to guess.",
            "Rader av tangenter i följd är lätta att gissa.",
        ),
        "short_keyboard_patterns" => (
            "Korte toetsenbordpatronen zijn makkelijk te raden.",
            "Short keyboard patterns are easy to guess.",
            "Korta tangentbordsmönster är lätta att gissa.",
        ),
        "repeated_characters" => (
            "Herhalingen als \u{201c}aaa\u{201d} zijn makkelijk te raden.",
            "Repeats like \u{201c}aaa\u{201d} are easy to guess.",
            "Upprepningar som \u{201d}aaa\u{201d} är lätta att gissa.",
        ),
        "repeated_patterns" => (
            "Herhalingen als \u{201c}abcabcabc\u{201d} zijn nauwelijks moeilijker te raden dan \u{201c}abc\u{201d}.",
            "Repeats like \u{201c}abcabcabc\u{201d} are only slightly harder to guess than \u{201c}abc\u{201d}.",
            "Upprepningar som \u{201d}abcabcabc\u{201d} är knappt svårare att gissa än \u{201d}abc\u{201d}.",
        ),
        "top10_password" => (
            "Dit is een van de tien meest gebruikte wachtwoorden.",
            "This is a top-10 common password.",
            "Detta är ett av de tio vanligaste lösenorden.",
        ),
        "top100_password" => (
            "Dit is een van de honderd meest gebruikte wachtwoorden.",
            "This is a top-100 common password.",
            "Detta är ett av de hundra vanligaste lösenorden.",
        ),
        "common_password" => (
            "Dit is een veelgebruikt wachtwoord.",
            "This is a very common password.",
            "Detta är ett mycket vanligt lösenord.",
        ),
        "similar_to_common_password" => (
            "Dit lijkt op een veelgebruikt wachtwoord.",
            "This is similar to a commonly used password.",
            "Detta liknar ett vanligt lösenord.",
        ),
        "sequences" => (
            "Reeksen als abc of 6543 zijn makkelijk te raden.",
            "Sequences like abc or 6543 are easy to guess.",
            "Sekvenser som abc eller 6543 är lätta att gissa.",
        ),
        "recent_years" => (
            "Recente jaartallen zijn makkelijk te raden.",
            "Recent years are easy to guess.",
            "Senare årtal är lätta att gissa.",
        ),
        "word_by_itself" => (
            "Een los woord is makkelijk te raden.",
            "A word by itself is easy to guess.",
            "Ett ensamt ord är lätt att gissa.",
        ),
        "dates" => (
            "Datums zijn vaak makkelijk te raden.",
            "Dates are often easy to guess.",
            "Datum är ofta lätta att gissa.",
        ),
        "names_by_themselves" => (
            "Losse namen en achternamen zijn makkelijk te raden.",
            "Names and surnames by themselves are easy to guess.",
            "Förnamn och efternamn för sig är lätta att gissa.",
        ),
        "common_names" => (
            "Veelvoorkomende namen en achternamen zijn makkelijk te raden.",
            "Common names and surnames are easy to guess.",
            "Vanliga för- och efternamn är lätta att gissa.",
        ),
        "use_a_few_words" => (
            "Gebruik een paar woorden en vermijd bekende uitdrukkingen.",
            "Use a few words, avoid common phrases.",
            "Använd några ord och undvik vanliga fraser.",
        ),
        "no_need_for_symbols" => (
            "Symbolen, cijfers of hoofdletters zijn niet nodig.",
            "No need for symbols, digits, or uppercase letters.",
            "Symboler, siffror eller versaler behövs inte.",
        ),
        "add_another_word" => (
            "Voeg nog een of twee woorden toe; ongebruikelijke woorden zijn beter.",
            "Add another word or two. Uncommon words are better.",
            "Lägg till ett eller två ord. Ovanliga ord är bättre.",
        ),
        "capitalization_does_not_help" => (
            "Hoofdletters helpen weinig.",
            "Capitalization doesn't help very much.",
            "Versaler hjälper inte särskilt mycket.",
        ),
        "all_uppercase" => (
            "Alleen hoofdletters is bijna even makkelijk te raden als alleen kleine letters.",
            "All-uppercase is almost as easy to guess as all-lowercase.",
            "Bara versaler är nästan lika lätt att gissa som bara gemener.",
        ),
        "reversed_words" => (
            "Omgekeerde woorden zijn nauwelijks moeilijker te raden.",
            "Reversed words aren't much harder to guess.",
            "Baklänges skrivna ord är knappt svårare att gissa.",
        ),
        "predictable_substitutions" => (
            "Voorspelbare vervangingen, zoals \u{201c}@\u{201d} voor \u{201c}a\u{201d}, helpen weinig.",
            "Predictable substitutions like \u{201c}@\u{201d} instead of \u{201c}a\u{201d} don't help very much.",
            "Förutsägbara utbyten som \u{201d}@\u{201d} i stället för \u{201d}a\u{201d} hjälper inte mycket.",
        ),
        "longer_keyboard_pattern" => (
            "Gebruik een langer toetsenbordpatroon met meer bochten.",
            "Use a longer keyboard pattern with more turns.",
            "Använd ett längre tangentbordsmönster med fler svängar.",
        ),
        "avoid_repeats" => (
            "Vermijd herhaalde woorden en tekens.",
            "Avoid repeated words and characters.",
            "Undvik upprepade ord och tecken.",
        ),
        "avoid_sequences" => ("Vermijd reeksen.", "Avoid sequences.", "Undvik sekvenser."),
        "avoid_recent_years" => (
            "Vermijd recente jaartallen.",
            "Avoid recent years.",
            "Undvik senare årtal.",
        ),
        "avoid_your_years" => (
            "Vermijd jaartallen die met u te maken hebben.",
            "Avoid years that are associated with you.",
            "Undvik årtal som hör ihop med dig.",
        ),
        "avoid_your_dates" => (
            "Vermijd datums en jaartallen die met u te maken hebben.",
            "Avoid dates and years that are associated with you.",
            "Undvik datum och årtal som hör ihop med dig.",
        ),
        _ => return None,
    };
    Some(pick(language, nl, en, sv))
}

/// What the pane says about a refused request: by the error's `code`, and for `invalid` by its `field`.
pub fn server_error(texts: &Texts, error: &ApiError) -> String {
    let language = texts.language;
    let (code, field, policy) = match error {
        ApiError::Refused {
            code,
            field,
            policy,
            ..
        } => (code.as_str(), field.as_deref().unwrap_or(""), policy),
        ApiError::Unauthorized => ("unauthorized", "", &None),
        ApiError::Missing => ("not_found", "", &None),
        ApiError::Network(_) => return texts.network_error.to_owned(),
    };
    if let Some(refusal) = policy {
        return policy_refusal(texts, refusal);
    }
    let text = match code {
        "invalid" => invalid_field(language, field),
        "unauthorized" => pick(
            language,
            "Uw aanmelding is verlopen. Meldt u zich opnieuw aan.",
            "Your sign-in has expired. Please sign in again.",
            "Din inloggning har gått ut. Logga in igen.",
        ),
        "forbidden" => pick(
            language,
            "U heeft hiervoor geen toestemming.",
            "You are not allowed to do this.",
            "Du har inte behörighet till detta.",
        ),
        "not_found" => pick(
            language,
            "Zegel kent dit bericht niet (meer).",
            "Zegel does not know this message (any more).",
            "Zegel känner inte (längre) till detta meddelande.",
        ),
        "conflict" => pick(
            language,
            "Dat kan niet meer: een ontvanger heeft de e-mail al geopend, of de inhoud bestaat niet meer.",
            "Not possible any more: a recipient has already opened this e-mail, or its content no longer exists.",
            "Det går inte längre: en mottagare har redan öppnat meddelandet, eller så finns innehållet inte längre.",
        ),
        "too_large" => pick(
            language,
            "De bijlagen zijn samen te groot om te versturen.",
            "The attachments are too large to send together.",
            "Bilagorna är tillsammans för stora för att skickas.",
        ),
        "too_many_requests" => pick(
            language,
            "Te veel pogingen achter elkaar. Probeert u het over enkele minuten opnieuw.",
            "Too many attempts in a row. Please try again in a few minutes.",
            "För många försök i rad. Försök igen om några minuter.",
        ),
        "internal" => pick(
            language,
            "Er ging op de Zegel-server iets mis. Probeert u het later opnieuw.",
            "Something went wrong on the Zegel server. Please try again later.",
            "Något gick fel på Zegel-servern. Försök igen senare.",
        ),
        _ => pick(
            language,
            "De Zegel-server weigerde dit verzoek.",
            "The Zegel server refused this request.",
            "Zegel-servern avvisade denna begäran.",
        ),
    };
    text.to_owned()
}

/// A 422 `invalid` by the field it names.
fn invalid_field(language: Language, field: &str) -> &'static str {
    let head = field.split(['.', '[']).next().unwrap_or("");
    match head {
        "recipients" if field.ends_with(".phone") => pick(
            language,
            "Het mobiele nummer van een ontvanger kan geen sms ontvangen. Controleer de nummers.",
            "A recipient's mobile number cannot receive SMS. Please check the numbers.",
            "En mottagares mobilnummer kan inte ta emot sms. Kontrollera numren.",
        ),
        "recipients" => pick(
            language,
            "Controleer de ontvangers: een adres is ongeldig, of het zijn er te veel.",
            "Please check the recipients: an address is not valid, or there are too many.",
            "Kontrollera mottagarna: en adress är ogiltig, eller så är de för många.",
        ),
        "subject" => pick(
            language,
            "Het onderwerp is te lang of bestaat uit meer dan één regel.",
            "The subject is too long or has more than one line.",
            "Ämnet är för långt eller har mer än en rad.",
        ),
        "body_text" | "body_html" => pick(
            language,
            "De tekst van de e-mail is te lang.",
            "The text of the e-mail is too long.",
            "Texten i e-postmeddelandet är för lång.",
        ),
        "auth" if field == "auth.password" => pick(
            language,
            "Het wachtwoord is niet sterk genoeg of wordt door uw organisatie niet aangeboden.",
            "The password is not strong enough, or your organisation does not offer this option.",
            "Lösenordet är inte tillräckligt starkt, eller så erbjuder din organisation inte detta alternativ.",
        ),
        "auth" => pick(
            language,
            "Uw organisatie biedt deze beveiliging niet aan.",
            "Your organisation does not offer this protection.",
            "Din organisation erbjuder inte detta skydd.",
        ),
        "expires_in_days" => pick(
            language,
            "Deze looptijd van de link is langer dan uw organisatie toestaat.",
            "This link lifetime is longer than your organisation allows.",
            "Länkens giltighetstid är längre än din organisation tillåter.",
        ),
        "max_downloads" => pick(
            language,
            "Het aantal downloads is ongeldig.",
            "The download limit is not valid.",
            "Antalet nedladdningar är ogiltigt.",
        ),
        "language" => pick(
            language,
            "Uw organisatie biedt deze taal voor ontvangers niet aan.",
            "Your organisation does not offer this language for recipients.",
            "Din organisation erbjuder inte detta språk för mottagare.",
        ),
        "message" => pick(
            language,
            "Het bericht van het uploadverzoek is te lang.",
            "The upload request's message is too long.",
            "Uppladdningsbegärans meddelande är för långt.",
        ),
        "allowed_types" | "max_files" | "max_bytes" => pick(
            language,
            "De Zegel-server weigerde de gekozen bestandstypen of aantallen van het uploadverzoek.",
            "The Zegel server refused the upload request's file types or limits.",
            "Zegel-servern avvisade uppladdningsbegärans filtyper eller gränser.",
        ),
        "file" | "files" | "attachments" => pick(
            language,
            "Een bijlage kon niet worden verstuurd (naam of grootte).",
            "An attachment could not be sent (its name or size).",
            "En bilaga kunde inte skickas (namn eller storlek).",
        ),
        "target" | "file_id" => pick(
            language,
            "Bij openbare en beveiligde bestanden kunt u alleen de bestanden blokkeren.",
            "For public and secure files only the files can be blocked.",
            "För offentliga och säkra filer kan bara filerna blockeras.",
        ),
        _ => pick(
            language,
            "De Zegel-server weigerde dit bericht: een keuze is niet geldig.",
            "The Zegel server refused this message: a choice is not valid.",
            "Zegel-servern avvisade meddelandet: ett val är ogiltigt.",
        ),
    }
}

/// A `policy` refusal: what was found and which protection the organisation requires.
fn policy_refusal(texts: &Texts, refusal: &PolicyRefusal) -> String {
    let language = texts.language;
    let mut found: Vec<String> = Vec::new();
    for item in &refusal.found {
        let name = texts.finding(item.kind.as_str());
        if !found.contains(&name) {
            found.push(name);
        }
    }
    let kind = match refusal.required.map(|r| r.kind) {
        Some(MessageKind::SecureFiles) => texts.kind_secure_files,
        _ => texts.kind_secure_message,
    };
    let level = match refusal.required.map(|r| r.level) {
        Some(AuthLevel::TwoFa) => texts.level_2fa,
        _ => texts.level_1fa,
    };
    let found = found.join(", ");
    match language {
        Language::Nl => format!(
            "Deze e-mail bevat gevoelige informatie ({found}). Uw organisatie verplicht hiervoor: {kind}, {level}."
        ),
        Language::En => format!(
            "This e-mail contains sensitive information ({found}). Your organisation requires: {kind}, {level}."
        ),
        Language::Sv => format!(
            "Detta e-postmeddelande innehåller känslig information ({found}). Din organisation kräver: {kind}, {level}."
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{EN, NL, SV};
    use zegel_core::api::RequiredProtection;
    use zegel_core::policy::{Found, Kind, Place};

    const CODES: [&str; 28] = [
        "empty",
        "straight_rows_of_keys",
        "short_keyboard_patterns",
        "repeated_characters",
        "repeated_patterns",
        "top10_password",
        "top100_password",
        "common_password",
        "similar_to_common_password",
        "sequences",
        "recent_years",
        "word_by_itself",
        "dates",
        "names_by_themselves",
        "common_names",
        "use_a_few_words",
        "no_need_for_symbols",
        "add_another_word",
        "capitalization_does_not_help",
        "all_uppercase",
        "reversed_words",
        "predictable_substitutions",
        "longer_keyboard_pattern",
        "avoid_repeats",
        "avoid_sequences",
        "avoid_recent_years",
        "avoid_your_years",
        "avoid_your_dates",
    ];

    #[test]
    fn every_strength_code_has_words_in_every_language() {
        for code in CODES {
            for language in Language::ALL {
                assert!(
                    strength_hint(language, code).is_some(),
                    "{code} in {language:?}"
                );
            }
            assert_ne!(
                strength_hint(Language::Nl, code),
                strength_hint(Language::En, code),
                "{code}"
            );
        }
        assert_eq!(strength_hint(Language::Nl, "something_new"), None);
    }

    #[test]
    fn the_strength_codes_are_zegel_cores() {
        // Every code zegel-core can produce for a few weak passwords is one this module knows.
        for password in [
            "",
            "password",
            "aaaaaa",
            "abcdef",
            "qwertyuiop",
            "2019",
            "P@ssw0rd",
            "jan1980",
        ] {
            let verdict = zegel_core::password::check_strength(password, &[], 3);
            for code in verdict.warning_code.iter().chain(&verdict.suggestion_codes) {
                assert!(CODES.contains(&code.as_str()), "{code}");
            }
        }
    }

    fn refused(code: &str, field: Option<&str>) -> ApiError {
        ApiError::Refused {
            status: 422,
            code: code.to_owned(),
            message: "an English sentence for developers".to_owned(),
            field: field.map(str::to_owned),
            policy: None,
        }
    }

    #[test]
    fn server_errors_are_said_in_the_panes_language_never_in_the_servers_words() {
        for texts in [&NL, &EN, &SV] {
            for error in [
                refused("invalid", Some("recipients[0].phone")),
                refused("invalid", Some("language")),
                refused("invalid", Some("auth.password")),
                refused("invalid", Some("message")),
                refused("too_many_requests", None),
                refused("something_new", None),
            ] {
                let said = server_error(texts, &error);
                assert!(!said.contains("English sentence"), "{said}");
            }
        }
        assert!(
            server_error(&NL, &refused("invalid", Some("recipients[1].phone"))).contains("sms")
        );
        assert!(server_error(&SV, &refused("invalid", Some("language"))).contains("språk"));
        assert!(server_error(&NL, &refused("invalid", Some("message"))).contains("uploadverzoek"));
    }

    #[test]
    fn a_policy_refusal_names_what_was_found_and_what_is_required() {
        let error = ApiError::Refused {
            status: 422,
            code: "policy".to_owned(),
            message: "policy".to_owned(),
            field: None,
            policy: Some(Box::new(PolicyRefusal {
                found: vec![
                    Found {
                        kind: Kind::NlBsn,
                        place: Place::Body,
                    },
                    Found {
                        kind: Kind::NlBsn,
                        place: Place::Attachment,
                    },
                ],
                required: Some(RequiredProtection {
                    kind: MessageKind::SecureMessage,
                    level: AuthLevel::TwoFa,
                }),
            })),
        };
        let said = server_error(&NL, &error);
        assert!(said.contains("(BSN)"), "{said}");
        assert!(
            said.contains("Beveiligd bericht") && said.contains("Tweefactor"),
            "{said}"
        );
        assert!(!said.contains("nl_bsn"));
    }
}
