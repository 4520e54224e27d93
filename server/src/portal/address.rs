//! The page of a message's one link (`"notify": "client"`): the recipient names their address, Zegel
//! sends the password or SMS code to it when it is a recipient (and says the same whatever it is), and
//! the code opens the recipient's own session, as on their own link.

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;
use zegel_core::Language;
use zegel_core::settings::FormOfAddress;

use super::{Brand, render_branded};
use crate::state::AppState;
use zegel_mail::i18n::{Texts, fill, texts_for};
use zegel_service::access::{self, Gate, MessageLink};

/// The words of the address step, per language.
#[allow(missing_docs)]
pub struct AddressTexts {
    pub intro: &'static str,
    pub ask: &'static str,
    pub email_label: &'static str,
    pub button_password: &'static str,
    pub button_code: &'static str,
    pub sent_password: &'static str,
    pub sent_code: &'static str,
    pub other_address: &'static str,
    pub invalid_address: &'static str,
    pub wrong: &'static str,
}

const NL: AddressTexts = AddressTexts {
    intro: "{sender} heeft u een beveiligd bericht gestuurd: \"{subject}\".",
    ask: "Vul het e-mailadres in waarop u dit bericht hebt ontvangen.",
    email_label: "Uw e-mailadres",
    button_password: "Stuur mij een wachtwoord",
    button_code: "Stuur mij een sms-code",
    sent_password: "Als het bericht aan {email} is gericht, hebben wij een wachtwoord naar dat adres gestuurd. Vul het hieronder in.",
    sent_code: "Als het bericht aan {email} is gericht, hebben wij een sms-code gestuurd naar het mobiele nummer dat de afzender heeft opgegeven. Vul de code hieronder in.",
    other_address: "Een ander e-mailadres invullen",
    invalid_address: "Vul een geldig e-mailadres in, bijvoorbeeld naam@voorbeeld.nl.",
    wrong: "Dit wachtwoord of deze code klopt niet of is verlopen. Controleer ook het e-mailadres en probeer het opnieuw.",
};

/// Dutch in the informal "je", for tenants that choose it.
const NL_JE: AddressTexts = AddressTexts {
    intro: "{sender} heeft je een beveiligd bericht gestuurd: \"{subject}\".",
    ask: "Vul het e-mailadres in waarop je dit bericht hebt ontvangen.",
    email_label: "Je e-mailadres",
    button_password: "Stuur me een wachtwoord",
    button_code: "Stuur me een sms-code",
    sent_password: "Als het bericht aan {email} is gericht, hebben we een wachtwoord naar dat adres gestuurd. Vul het hieronder in.",
    sent_code: "Als het bericht aan {email} is gericht, hebben we een sms-code gestuurd naar het mobiele nummer dat de afzender heeft opgegeven. Vul de code hieronder in.",
    other_address: "Een ander e-mailadres invullen",
    invalid_address: "Vul een geldig e-mailadres in, bijvoorbeeld naam@voorbeeld.nl.",
    wrong: "Dit wachtwoord of deze code klopt niet of is verlopen. Controleer ook het e-mailadres en probeer het opnieuw.",
};

const EN: AddressTexts = AddressTexts {
    intro: "{sender} sent you a secure message: \"{subject}\".",
    ask: "Enter the e-mail address at which you received this message.",
    email_label: "Your e-mail address",
    button_password: "Send me a password",
    button_code: "Send me an SMS code",
    sent_password: "If the message was sent to {email}, we have sent a password to that address. Enter it below.",
    sent_code: "If the message was sent to {email}, we have sent an SMS code to the mobile number the sender gave. Enter the code below.",
    other_address: "Enter another e-mail address",
    invalid_address: "Enter a valid e-mail address, for example name@example.com.",
    wrong: "This password or code is not correct or has expired. Check the e-mail address too and try again.",
};

const SV: AddressTexts = AddressTexts {
    intro: "{sender} har skickat ett säkert meddelande till dig: \"{subject}\".",
    ask: "Ange den e-postadress där du fick det här meddelandet.",
    email_label: "Din e-postadress",
    button_password: "Skicka ett lösenord till mig",
    button_code: "Skicka en sms-kod till mig",
    sent_password: "Om meddelandet skickades till {email} har vi skickat ett lösenord till den adressen. Ange det nedan.",
    sent_code: "Om meddelandet skickades till {email} har vi skickat en sms-kod till det mobilnummer som avsändaren angav. Ange koden nedan.",
    other_address: "Ange en annan e-postadress",
    invalid_address: "Ange en giltig e-postadress, till exempel namn@exempel.se.",
    wrong: "Lösenordet eller koden är fel eller har gått ut. Kontrollera även e-postadressen och försök igen.",
};

/// The address step's words in `language`, Dutch in the formal "u".
pub fn address_texts(language: Language) -> &'static AddressTexts {
    address_texts_for(language, FormOfAddress::U)
}

/// The address step's words in `language`, Dutch in the tenant's form of address.
pub fn address_texts_for(language: Language, form: FormOfAddress) -> &'static AddressTexts {
    if (language, form) == (Language::Nl, FormOfAddress::Je) {
        return &NL_JE;
    }
    match language {
        Language::Nl => &NL,
        Language::En => &EN,
        Language::Sv => &SV,
    }
}

#[derive(Template)]
#[template(path = "address.html")]
struct AddressPage<'a> {
    t: &'static Texts,
    a: &'static AddressTexts,
    brand: Brand,
    title: String,
    intro: String,
    error: Option<&'a str>,
    token: &'a str,
    sms: bool,
    /// `Some(address)` once an address was given: the code step.
    email: Option<&'a str>,
    sent: String,
}

/// Where the recipient is on the page.
pub enum Step<'a> {
    /// Asking for the address (with an error when the last one was not an address).
    Ask {
        /// The error to show.
        error: Option<&'a str>,
    },
    /// The address was given: asking for the code (with an error after a wrong one).
    Code {
        /// The address as given.
        email: &'a str,
        /// The error to show.
        error: Option<&'a str>,
    },
}

/// Renders the page of a message's one link.
pub async fn page(
    state: &AppState,
    link: &MessageLink,
    token: &str,
    step: Step<'_>,
    status: StatusCode,
) -> Response {
    let message = link.message();
    let language = crate::portal::language_of(message);
    let brand = Brand::of(state, &message.tenant_id).await;
    let t = texts_for(language, brand.form);
    let a = address_texts_for(language, brand.form);
    // Before sign-in the page shows no more than the notification did.
    let subject = match access::content(state, message) {
        Ok(content) if !content.subject.trim().is_empty() && !content.subject_hidden => {
            content.subject
        }
        _ => t.neutral_subject.to_owned(),
    };
    let sms = access::gate(message) == Gate::Sms;
    let (email, error) = match step {
        Step::Ask { error } => (None, error),
        Step::Code { email, error } => (Some(email), error),
    };
    let sent = fill(
        if sms { a.sent_code } else { a.sent_password },
        &[("email", email.unwrap_or_default())],
    );
    let csp = brand.csp();
    render_branded(
        AddressPage {
            t,
            a,
            brand,
            intro: fill(
                a.intro,
                &[("sender", &message.sender_email), ("subject", &subject)],
            ),
            title: subject,
            error,
            token,
            sms,
            email,
            sent,
        },
        status,
        csp,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_fills_its_placeholders() {
        for language in Language::ALL {
            let a = address_texts(language);
            assert!(a.intro.contains("{sender}") && a.intro.contains("{subject}"));
            assert!(a.sent_password.contains("{email}") && a.sent_code.contains("{email}"));
        }
        // Dutch speaks formally.
        assert!(!NL.ask.contains(" je ") && NL.ask.contains(" u "));
    }
}
