//! Held two-factor messages as their sender reads about them: what was found, named in words, and the
//! texts of the "enter the phone numbers" e-mail and page (seed 000 ch. 02, seed 002 ch. 02).
//!
//! Identifiers are never repeated: a BSN is "BSN", an IBAN "IBAN". Tenant words (trigger and activation
//! words) are quoted as they were found, as the seeds show ("Patiëntendossier"). Dutch texts address
//! the reader formally ("u").

use zegel_core::Language;
use zegel_core::policy::Shown;
use zegel_dlp::Kind;

/// The words of held-message mails and the phone page, in one language.
#[derive(Debug)]
#[allow(missing_docs)]
pub struct HeldTexts {
    pub request_subject: &'static str,
    /// With `{subject}` and `{found}`.
    pub request_intro_found: &'static str,
    /// With `{subject}`: a two-factor message nothing was found in (the sender chose two-factor).
    pub request_intro: &'static str,
    pub request_button: &'static str,
    pub request_note: &'static str,
    pub expired_subject: &'static str,
    pub expired_text: &'static str,
    /// With `{subject}` and `{found}`.
    pub page_intro_found: &'static str,
    /// With `{subject}`.
    pub page_intro: &'static str,
    pub phone_label: &'static str,
    pub country_label: &'static str,
    /// With `{email}`: the remove button's accessible name.
    pub remove_label: &'static str,
    pub remove: &'static str,
    /// With `{email}`.
    pub removed: &'static str,
    pub last_recipient: &'static str,
    /// With `{n}`.
    pub also_sent_to: &'static str,
    pub submit: &'static str,
    pub done_title: &'static str,
    pub done_text: &'static str,
    pub still_missing: &'static str,
    /// With `{number}`.
    pub not_a_number: &'static str,
    /// With `{number}`.
    pub invalid_number: &'static str,
    /// With `{number}`.
    pub not_mobile: &'static str,
    pub bad_country: &'static str,
    pub kind_bsn: &'static str,
    pub kind_iban: &'static str,
    pub kind_personnummer: &'static str,
    pub kind_card: &'static str,
    pub kind_phone: &'static str,
    pub kind_email: &'static str,
    pub kind_unscannable: &'static str,
    /// With `{words}`.
    pub kind_activation: &'static str,
    pub and: &'static str,
    pub quote_open: &'static str,
    pub quote_close: &'static str,
}

const NL: HeldTexts = HeldTexts {
    request_subject: "Voer telefoonnummer(s) van de ontvanger(s) in",
    request_intro_found: "Uw e-mail \u{201c}{subject}\u{201d} bevat gevoelige informatie: {found}. Om dit bericht te kunnen verzenden met tweefactorauthenticatie, hebben wij de mobiele nummers van de volgende ontvanger(s) nodig:",
    request_intro: "Uw e-mail \u{201c}{subject}\u{201d} wordt verzonden met tweefactorauthenticatie. Daarvoor hebben wij de mobiele nummers van de volgende ontvanger(s) nodig:",
    request_button: "Telefoonnummers invoeren",
    request_note: "Deze link werkt één keer en verloopt tegelijk met het bericht.",
    expired_subject: "Uw bericht is niet verzonden",
    expired_text: "Uw bericht \u{201c}{subject}\u{201d} is niet verzonden: er zijn geen telefoonnummers ingevoerd voordat het verliep. Het bericht is verwijderd.",
    page_intro_found: "Uw bericht \u{201c}{subject}\u{201d} bevat gevoelige informatie: {found}. Daarom wordt het verzonden met tweefactorauthenticatie. Vul het mobiele nummer in van elke ontvanger hieronder; zij ontvangen daarop een sms-code.",
    page_intro: "Uw bericht \u{201c}{subject}\u{201d} wordt verzonden met tweefactorauthenticatie. Vul het mobiele nummer in van elke ontvanger hieronder; zij ontvangen daarop een sms-code.",
    phone_label: "Mobiel nummer",
    country_label: "Land",
    remove_label: "{email} uit dit bericht verwijderen",
    remove: "Verwijderen",
    removed: "{email} is uit dit bericht verwijderd.",
    last_recipient: "De laatste ontvanger kan niet worden verwijderd.",
    also_sent_to: "Dit bericht wordt ook verzonden naar {n} ontvanger(s).",
    submit: "Ga door naar verzenden",
    done_title: "Telefoonnummers opgeslagen",
    done_text: "Uw bericht is veilig verzonden.",
    still_missing: "Vul ook de ontbrekende nummers in om het bericht te verzenden.",
    not_a_number: "\u{201c}{number}\u{201d} is geen telefoonnummer.",
    invalid_number: "\u{201c}{number}\u{201d} is geen geldig telefoonnummer in het gekozen land.",
    not_mobile: "\u{201c}{number}\u{201d} is geen mobiel nummer; daarop kan geen sms-code worden ontvangen.",
    bad_country: "Kies een land uit de lijst.",
    kind_bsn: "BSN",
    kind_iban: "IBAN",
    kind_personnummer: "persoonsnummer",
    kind_card: "creditcardnummer",
    kind_phone: "telefoonnummer",
    kind_email: "e-mailadres",
    kind_unscannable: "een bijlage die niet gecontroleerd kon worden",
    kind_activation: "het activeringswoord {words}",
    and: " en ",
    quote_open: "\u{201c}",
    quote_close: "\u{201d}",
};

const EN: HeldTexts = HeldTexts {
    request_subject: "Enter the phone numbers of your recipients",
    request_intro_found: "Your e-mail \u{201c}{subject}\u{201d} contains sensitive information: {found}. To send it with two-factor authentication we need the mobile numbers of these recipients:",
    request_intro: "Your e-mail \u{201c}{subject}\u{201d} is sent with two-factor authentication. For that we need the mobile numbers of these recipients:",
    request_button: "Enter phone numbers",
    request_note: "This link works once and expires with the message.",
    expired_subject: "Your message was not sent",
    expired_text: "Your message \u{201c}{subject}\u{201d} was not sent: no phone numbers were entered before it expired. The message has been deleted.",
    page_intro_found: "Your message \u{201c}{subject}\u{201d} contains sensitive information: {found}. It is therefore sent with two-factor authentication. Enter the mobile number of each recipient below; they receive an SMS code on it.",
    page_intro: "Your message \u{201c}{subject}\u{201d} is sent with two-factor authentication. Enter the mobile number of each recipient below; they receive an SMS code on it.",
    phone_label: "Mobile number",
    country_label: "Country",
    remove_label: "Remove {email} from this message",
    remove: "Remove",
    removed: "{email} was removed from this message.",
    last_recipient: "The last recipient cannot be removed.",
    also_sent_to: "This message also goes to {n} recipient(s).",
    submit: "Continue to send",
    done_title: "Phone numbers saved",
    done_text: "Your message was sent securely.",
    still_missing: "Enter the missing numbers too, to send the message.",
    not_a_number: "\u{201c}{number}\u{201d} is not a phone number.",
    invalid_number: "\u{201c}{number}\u{201d} is not a valid phone number in the chosen country.",
    not_mobile: "\u{201c}{number}\u{201d} is not a mobile number; it cannot receive an SMS code.",
    bad_country: "Choose a country from the list.",
    kind_bsn: "BSN",
    kind_iban: "IBAN",
    kind_personnummer: "personal identity number",
    kind_card: "payment card number",
    kind_phone: "phone number",
    kind_email: "e-mail address",
    kind_unscannable: "an attachment that could not be checked",
    kind_activation: "the activation word {words}",
    and: " and ",
    quote_open: "\u{201c}",
    quote_close: "\u{201d}",
};

const SV: HeldTexts = HeldTexts {
    request_subject: "Ange mottagarnas telefonnummer",
    request_intro_found: "Ditt mejl \u{201d}{subject}\u{201d} innehåller känslig information: {found}. För att skicka det med tvåfaktorsautentisering behöver vi mobilnumren till dessa mottagare:",
    request_intro: "Ditt mejl \u{201d}{subject}\u{201d} skickas med tvåfaktorsautentisering. För det behöver vi mobilnumren till dessa mottagare:",
    request_button: "Ange telefonnummer",
    request_note: "Länken fungerar en gång och upphör att gälla samtidigt som meddelandet.",
    expired_subject: "Ditt meddelande skickades inte",
    expired_text: "Ditt meddelande \u{201d}{subject}\u{201d} skickades inte: inga telefonnummer angavs innan det gick ut. Meddelandet har raderats.",
    page_intro_found: "Ditt meddelande \u{201d}{subject}\u{201d} innehåller känslig information: {found}. Därför skickas det med tvåfaktorsautentisering. Ange mobilnumret till varje mottagare nedan; de får en sms-kod till det.",
    page_intro: "Ditt meddelande \u{201d}{subject}\u{201d} skickas med tvåfaktorsautentisering. Ange mobilnumret till varje mottagare nedan; de får en sms-kod till det.",
    phone_label: "Mobilnummer",
    country_label: "Land",
    remove_label: "Ta bort {email} från meddelandet",
    remove: "Ta bort",
    removed: "{email} har tagits bort från meddelandet.",
    last_recipient: "Den sista mottagaren kan inte tas bort.",
    also_sent_to: "Det här e-postmeddelandet skickas också till {n} mottagare.",
    submit: "Fortsätt att skicka",
    done_title: "Telefonnumren har sparats",
    done_text: "Ditt meddelande har skickats säkert.",
    still_missing: "Ange även de saknade numren för att skicka meddelandet.",
    not_a_number: "\u{201d}{number}\u{201d} är inget telefonnummer.",
    invalid_number: "\u{201d}{number}\u{201d} är inget giltigt telefonnummer i det valda landet.",
    not_mobile: "\u{201d}{number}\u{201d} är inget mobilnummer; det kan inte ta emot en sms-kod.",
    bad_country: "Välj ett land i listan.",
    kind_bsn: "BSN (nederländskt personnummer)",
    kind_iban: "IBAN",
    kind_personnummer: "personnummer",
    kind_card: "kortnummer",
    kind_phone: "telefonnummer",
    kind_email: "e-postadress",
    kind_unscannable: "en bilaga som inte kunde kontrolleras",
    kind_activation: "aktiveringsordet {words}",
    and: " och ",
    quote_open: "\u{201d}",
    quote_close: "\u{201d}",
};

/// The held-message texts of a language.
pub fn texts(language: Language) -> &'static HeldTexts {
    match language {
        Language::Nl => &NL,
        Language::En => &EN,
        Language::Sv => &SV,
    }
}

/// The countries a sender can pick for a recipient's mobile number: ISO 3166 code and calling code,
/// shown as "NL +31" (no country names, so the list reads the same in every language).
pub const COUNTRIES: [(&str, &str); 24] = [
    ("NL", "+31"),
    ("BE", "+32"),
    ("DE", "+49"),
    ("LU", "+352"),
    ("FR", "+33"),
    ("GB", "+44"),
    ("IE", "+353"),
    ("SE", "+46"),
    ("NO", "+47"),
    ("DK", "+45"),
    ("FI", "+358"),
    ("IS", "+354"),
    ("AT", "+43"),
    ("CH", "+41"),
    ("ES", "+34"),
    ("PT", "+351"),
    ("IT", "+39"),
    ("PL", "+48"),
    ("CZ", "+420"),
    ("GR", "+30"),
    ("TR", "+90"),
    ("MA", "+212"),
    ("SR", "+597"),
    ("US", "+1"),
];

/// What was found, in words: "BSN, IBAN en “Patiëntendossier”". Empty when nothing was.
pub fn describe(t: &HeldTexts, found: &[Shown]) -> String {
    let quote = |words: &[String]| -> Vec<String> {
        words
            .iter()
            .map(|w| format!("{}{w}{}", t.quote_open, t.quote_close))
            .collect()
    };
    let mut parts: Vec<String> = Vec::new();
    for shown in found {
        match shown.kind {
            Kind::TriggerWord => parts.extend(quote(&shown.words)),
            Kind::ActivationWord => parts.push(
                t.kind_activation
                    .replace("{words}", &quote(&shown.words).join(", ")),
            ),
            kind => {
                let name = match kind {
                    Kind::NlBsn => t.kind_bsn,
                    Kind::Iban => t.kind_iban,
                    Kind::SePersonnummer => t.kind_personnummer,
                    Kind::CreditCard => t.kind_card,
                    Kind::NlPhone => t.kind_phone,
                    Kind::Email => t.kind_email,
                    _ => t.kind_unscannable,
                };
                if !parts.iter().any(|p| p == name) {
                    parts.push(name.to_owned());
                }
            }
        }
    }
    match parts.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{}{}{last}", init.join(", "), t.and),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(kind: Kind, words: &[&str]) -> Shown {
        Shown {
            kind,
            words: words.iter().map(|w| (*w).to_owned()).collect(),
        }
    }

    #[test]
    fn found_things_are_named_in_words() {
        let found = [
            shown(Kind::NlBsn, &[]),
            shown(Kind::TriggerWord, &["Patiëntendossier"]),
            shown(Kind::Iban, &[]),
        ];
        assert_eq!(
            describe(texts(Language::Nl), &found),
            "BSN, \u{201c}Patiëntendossier\u{201d} en IBAN"
        );
        assert_eq!(
            describe(texts(Language::Sv), &[shown(Kind::SePersonnummer, &[])]),
            "personnummer"
        );
        assert_eq!(
            describe(
                texts(Language::En),
                &[
                    shown(Kind::ActivationWord, &["zegel-veilig"]),
                    shown(Kind::Unscannable, &[]),
                ]
            ),
            "the activation word \u{201c}zegel-veilig\u{201d} and an attachment that could not be checked"
        );
        assert_eq!(describe(texts(Language::En), &[]), "");
    }

    #[test]
    fn every_language_has_its_placeholders() {
        for language in Language::ALL {
            let t = texts(language);
            for (text, names) in [
                (t.request_intro_found, &["{subject}", "{found}"][..]),
                (t.request_intro, &["{subject}"][..]),
                (t.page_intro_found, &["{subject}", "{found}"][..]),
                (t.page_intro, &["{subject}"][..]),
                (t.expired_text, &["{subject}"][..]),
                (t.remove_label, &["{email}"][..]),
                (t.removed, &["{email}"][..]),
                (t.also_sent_to, &["{n}"][..]),
                (t.not_a_number, &["{number}"][..]),
                (t.invalid_number, &["{number}"][..]),
                (t.not_mobile, &["{number}"][..]),
                (t.kind_activation, &["{words}"][..]),
            ] {
                for name in names {
                    assert!(text.contains(name), "{language:?}: {text}");
                }
            }
        }
        // Dutch addresses the sender formally.
        for text in [
            NL.request_intro_found,
            NL.page_intro_found,
            NL.expired_text,
            NL.done_text,
        ] {
            assert!(!text.contains(" je ") && !text.starts_with("Je "), "{text}");
        }
        // Every country offered is one the phone number library knows.
        for (code, _) in COUNTRIES {
            assert!(code.parse::<phonenumber::country::Id>().is_ok(), "{code}");
        }
    }
}
