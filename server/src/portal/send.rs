//! Sending from the browser, `/send` (seed 004): own details and a code mailed to the address; then To,
//! Cc and Bcc, a confidential message and files (the shared resumable uploader), options and a password;
//! the notification as the recipients will see it, with its subject; "Transactie starten"; the summary
//! with the password to pass on and the way to withdraw access; "Nieuwe transactie starten".
//!
//! Every step works as a plain form (files need the uploader's script). The message goes through the
//! same intake as the JSON API (`api::messages::finish`). `GET` changes nothing.

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use zegel_core::Language;
use zegel_core::RecipientKind;
use zegel_core::message::MessageRequest;
use zegel_core::settings::{FormOfAddress, TenantSettings};
use zegel_mail::i18n::{Texts, fill, texts_for};
use zegel_service::ServiceError;
use zegel_store::tenants::User;

use super::upload::{UploadTexts, upload_csp, upload_texts};
use super::{Brand, page_language, render};
use crate::auth::web_sender_cookie;
use crate::client::Client;
use crate::state::AppState;

/// The words of `/send`, per language.
#[allow(missing_docs)]
pub struct SendTexts {
    pub title: &'static str,
    pub intro_contact: &'static str,
    pub name_label: &'static str,
    pub phone_label: &'static str,
    pub email_label: &'static str,
    pub organisation_label: &'static str,
    pub button_code: &'static str,
    pub code_sent: &'static str,
    pub code_label: &'static str,
    pub button_verify: &'static str,
    pub wrong_code: &'static str,
    pub from_label: &'static str,
    pub sign_out: &'static str,
    pub to_label: &'static str,
    pub cc_label: &'static str,
    pub bcc_label: &'static str,
    pub addresses_hint: &'static str,
    pub subject_label: &'static str,
    pub message_label: &'static str,
    pub files_label: &'static str,
    pub options_legend: &'static str,
    pub expiry_label: &'static str,
    pub language_label: &'static str,
    pub confirm_label: &'static str,
    pub download_label: &'static str,
    pub password_legend: &'static str,
    pub pw_email: &'static str,
    pub pw_generated: &'static str,
    pub pw_own: &'static str,
    pub pw_none: &'static str,
    pub button_preview: &'static str,
    pub preview_title: &'static str,
    pub button_start: &'static str,
    pub button_back: &'static str,
    pub done_title: &'static str,
    pub summary_expires: &'static str,
    pub summary_password: &'static str,
    pub withdraw: &'static str,
    pub withdrawn: &'static str,
    pub new_transaction: &'static str,
    pub addresses_invalid: &'static str,
    pub no_recipients: &'static str,
    pub outside_only: &'static str,
    pub weak_password: &'static str,
    pub check_input: &'static str,
    pub too_many_codes: &'static str,
    pub not_taken: &'static str,
    pub pw_sms: &'static str,
    pub phones_label: &'static str,
    pub strength_ok: &'static str,
    pub strength_weak: &'static str,
    pub held_for_phones: &'static str,
    pub staff_intro: &'static str,
    pub staff_email_label: &'static str,
    pub staff_button: &'static str,
    pub sso_unavailable: &'static str,
    pub sso_failed: &'static str,
    pub names_label: &'static str,
}

const NL: SendTexts = SendTexts {
    pw_sms: "Sms-code (tweestapsverificatie): de ontvanger krijgt een code op de mobiele telefoon",
    phones_label: "Mobiele nummers voor de sms-code, één per regel: e-mailadres en nummer",
    strength_ok: "Sterk genoeg",
    strength_weak: "Nog te zwak: gebruik een paar ongewone woorden",
    held_for_phones: "Het bericht wacht op mobiele nummers. U krijgt een e-mail om ze in te vullen.",
    title: "Beveiligd versturen",
    intro_contact: "Vul uw gegevens in. Wij sturen een code naar uw e-mailadres om het te bevestigen.",
    name_label: "Uw naam",
    phone_label: "Uw telefoonnummer (niet verplicht)",
    email_label: "Uw e-mailadres",
    organisation_label: "Organisatie (het domein, bijvoorbeeld gemeente.nl)",
    button_code: "Code sturen",
    code_sent: "Wij hebben een code naar {email} gestuurd. Hij is {minutes} minuten geldig.",
    code_label: "Code uit de e-mail",
    button_verify: "Bevestigen",
    wrong_code: "Deze code klopt niet of is verlopen.",
    from_label: "Van",
    sign_out: "Afmelden",
    to_label: "Aan",
    cc_label: "Cc",
    bcc_label: "Bcc",
    addresses_hint: "Scheid adressen met ; of , of een nieuwe regel.",
    subject_label: "Onderwerp (leeg: een neutraal onderwerp)",
    message_label: "Vertrouwelijk bericht",
    files_label: "Bestanden",
    options_legend: "Opties",
    expiry_label: "Dagen beschikbaar (hooguit {max})",
    language_label: "Taal voor de ontvangers",
    confirm_label: "Stuur mij een bevestiging",
    download_label: "Stuur mij een e-mail bij elke download",
    password_legend: "Wachtwoord",
    pw_email: "Per e-mail naar de ontvanger",
    pw_generated: "Genereren: u krijgt het één keer te zien en geeft het zelf door",
    pw_own: "Zelf kiezen",
    pw_none: "Geen: openbare bestanden, iedereen met de link kan ze downloaden",
    button_preview: "Volgende: voorbeeld",
    preview_title: "Zo ziet de ontvanger de e-mail",
    button_start: "Transactie starten",
    button_back: "Terug",
    done_title: "Verzonden",
    summary_expires: "Beschikbaar tot {date}.",
    summary_password: "Wachtwoord, geef het zelf door (het wordt niet opnieuw getoond):",
    withdraw: "Toegang intrekken",
    withdrawn: "De toegang is ingetrokken.",
    new_transaction: "Nieuwe transactie starten",
    addresses_invalid: "Controleer de adressen: {address} is geen geldig e-mailadres.",
    no_recipients: "Vul minstens één ontvanger in.",
    outside_only: "U kunt alleen naar adressen van {organisation} versturen.",
    weak_password: "Kies een sterker wachtwoord.",
    check_input: "Controleer de invoer.",
    too_many_codes: "Er zijn te veel codes aangevraagd. Probeer het over een uur opnieuw.",
    not_taken: "Deze organisatie neemt via deze pagina niets aan van buiten, of de organisatie is onbekend.",
    staff_intro: "Medewerker van de organisatie? Meld u aan met uw organisatieaccount; dan is geen code nodig.",
    staff_email_label: "Uw werk-e-mailadres",
    staff_button: "Aanmelden met organisatieaccount",
    sso_unavailable: "Aanmelden met een organisatieaccount is voor dit adres niet ingesteld. Vraag hierboven een code aan.",
    sso_failed: "Aanmelden is niet gelukt. Probeer het opnieuw, of vraag hierboven een code aan.",
    names_label: "Bestandsnamen tonen in de e-mail aan de ontvangers",
};

const NL_JE: SendTexts = SendTexts {
    held_for_phones: "Het bericht wacht op mobiele nummers. Je krijgt een e-mail om ze in te vullen.",
    intro_contact: "Vul je gegevens in. We sturen een code naar je e-mailadres om het te bevestigen.",
    name_label: "Je naam",
    phone_label: "Je telefoonnummer (niet verplicht)",
    email_label: "Je e-mailadres",
    code_sent: "We hebben een code naar {email} gestuurd. Hij is {minutes} minuten geldig.",
    pw_generated: "Genereren: je krijgt het één keer te zien en geeft het zelf door",
    outside_only: "Je kunt alleen naar adressen van {organisation} versturen.",
    staff_intro: "Medewerker van de organisatie? Meld je aan met je organisatieaccount; dan is geen code nodig.",
    staff_email_label: "Je werk-e-mailadres",
    ..NL
};

const EN: SendTexts = SendTexts {
    pw_sms: "SMS code (two-step verification): the recipient gets a code on their mobile phone",
    phones_label: "Mobile numbers for the SMS code, one per line: e-mail address and number",
    strength_ok: "Strong enough",
    strength_weak: "Too weak yet: use a few uncommon words",
    held_for_phones: "The message waits for mobile numbers. You will get an e-mail to fill them in.",
    title: "Send securely",
    intro_contact: "Enter your details. We will send a code to your e-mail address to confirm it.",
    name_label: "Your name",
    phone_label: "Your phone number (optional)",
    email_label: "Your e-mail address",
    organisation_label: "Organisation (its domain, for example municipality.example)",
    button_code: "Send code",
    code_sent: "We have sent a code to {email}. It is valid for {minutes} minutes.",
    code_label: "Code from the e-mail",
    button_verify: "Confirm",
    wrong_code: "This code is not correct or has expired.",
    from_label: "From",
    sign_out: "Sign out",
    to_label: "To",
    cc_label: "Cc",
    bcc_label: "Bcc",
    addresses_hint: "Separate addresses with ; or , or a new line.",
    subject_label: "Subject (empty: a neutral subject)",
    message_label: "Confidential message",
    files_label: "Files",
    options_legend: "Options",
    expiry_label: "Days available (at most {max})",
    language_label: "Language for the recipients",
    confirm_label: "Send me a confirmation",
    download_label: "Mail me on each download",
    password_legend: "Password",
    pw_email: "By e-mail to the recipient",
    pw_generated: "Generate: shown to you once, for you to pass on",
    pw_own: "Choose my own",
    pw_none: "None: public files, anyone with the link can download them",
    button_preview: "Next: preview",
    preview_title: "This is the e-mail the recipient gets",
    button_start: "Start the transaction",
    button_back: "Back",
    done_title: "Sent",
    summary_expires: "Available until {date}.",
    summary_password: "Password, pass it on yourself (it is not shown again):",
    withdraw: "Withdraw access",
    withdrawn: "Access has been withdrawn.",
    new_transaction: "Start a new transaction",
    addresses_invalid: "Check the addresses: {address} is not a valid e-mail address.",
    no_recipients: "Enter at least one recipient.",
    outside_only: "You can send to addresses of {organisation} only.",
    weak_password: "Choose a stronger password.",
    check_input: "Please check what you entered.",
    too_many_codes: "Too many codes were asked for. Please try again in an hour.",
    not_taken: "This organisation takes nothing from outside through this page, or it is unknown.",
    staff_intro: "Staff of the organisation? Sign in with your organisation account; then no code is needed.",
    staff_email_label: "Your work e-mail address",
    staff_button: "Sign in with organisation account",
    sso_unavailable: "Signing in with an organisation account is not set up for this address. Ask for a code above.",
    sso_failed: "Signing in did not succeed. Try again, or ask for a code above.",
    names_label: "Show the file names in the recipients' e-mail",
};

const SV: SendTexts = SendTexts {
    pw_sms: "Sms-kod (tvåstegsverifiering): mottagaren får en kod på sin mobiltelefon",
    phones_label: "Mobilnummer för sms-koden, ett per rad: e-postadress och nummer",
    strength_ok: "Tillräckligt starkt",
    strength_weak: "För svagt ännu: använd några ovanliga ord",
    held_for_phones: "Meddelandet väntar på mobilnummer. Du får ett mejl för att fylla i dem.",
    title: "Skicka säkert",
    intro_contact: "Fyll i dina uppgifter. Vi skickar en kod till din e-postadress för att bekräfta den.",
    name_label: "Ditt namn",
    phone_label: "Ditt telefonnummer (valfritt)",
    email_label: "Din e-postadress",
    organisation_label: "Organisation (domänen, till exempel kommun.se)",
    button_code: "Skicka kod",
    code_sent: "Vi har skickat en kod till {email}. Den gäller i {minutes} minuter.",
    code_label: "Kod från mejlet",
    button_verify: "Bekräfta",
    wrong_code: "Koden stämmer inte eller har gått ut.",
    from_label: "Från",
    sign_out: "Logga ut",
    to_label: "Till",
    cc_label: "Kopia",
    bcc_label: "Dold kopia",
    addresses_hint: "Skilj adresser åt med ; eller , eller en ny rad.",
    subject_label: "Ämne (tomt: ett neutralt ämne)",
    message_label: "Konfidentiellt meddelande",
    files_label: "Filer",
    options_legend: "Alternativ",
    expiry_label: "Dagar tillgängligt (högst {max})",
    language_label: "Språk för mottagarna",
    confirm_label: "Skicka mig en bekräftelse",
    download_label: "Mejla mig vid varje nedladdning",
    password_legend: "Lösenord",
    pw_email: "Per e-post till mottagaren",
    pw_generated: "Generera: visas för dig en gång, för att lämna vidare",
    pw_own: "Välj själv",
    pw_none: "Inget: offentliga filer, alla med länken kan ladda ner dem",
    button_preview: "Nästa: förhandsgranskning",
    preview_title: "Så här ser mottagaren mejlet",
    button_start: "Starta överföringen",
    button_back: "Tillbaka",
    done_title: "Skickat",
    summary_expires: "Tillgängligt till {date}.",
    summary_password: "Lösenord, lämna det vidare själv (det visas inte igen):",
    withdraw: "Dra tillbaka åtkomsten",
    withdrawn: "Åtkomsten har dragits tillbaka.",
    new_transaction: "Starta en ny överföring",
    addresses_invalid: "Kontrollera adresserna: {address} är ingen giltig e-postadress.",
    no_recipients: "Fyll i minst en mottagare.",
    outside_only: "Du kan bara skicka till adresser hos {organisation}.",
    weak_password: "Välj ett starkare lösenord.",
    check_input: "Kontrollera det du fyllt i.",
    too_many_codes: "För många koder har begärts. Försök igen om en timme.",
    not_taken: "Organisationen tar inte emot något utifrån via den här sidan, eller så är den okänd.",
    staff_intro: "Anställd i organisationen? Logga in med ditt organisationskonto, så behövs ingen kod.",
    staff_email_label: "Din e-postadress på jobbet",
    staff_button: "Logga in med organisationskonto",
    sso_unavailable: "Inloggning med organisationskonto är inte inställd för den här adressen. Begär en kod ovan.",
    sso_failed: "Inloggningen lyckades inte. Försök igen, eller begär en kod ovan.",
    names_label: "Visa filnamnen i mejlet till mottagarna",
};

/// `/send`'s words in `language`, Dutch in `form`.
pub fn send_texts(language: Language, form: FormOfAddress) -> &'static SendTexts {
    match (language, form) {
        (Language::Nl, FormOfAddress::Je) => &NL_JE,
        (Language::Nl, _) => &NL,
        (Language::En, _) => &EN,
        (Language::Sv, _) => &SV,
    }
}

/// The signed-out steps: no script; forms to this origin, and on to an identity provider.
const CONTACT_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data: https:; \
                           form-action 'self' https: http://localhost:* http://127.0.0.1:* http://[::1]:*; \
                           frame-ancestors 'none'; base-uri 'none'";

/// Everything the compose step holds, carried through the preview.
#[derive(Debug, Clone, Default, Deserialize)]
pub(super) struct Draft {
    #[serde(default)]
    to: String,
    #[serde(default)]
    cc: String,
    #[serde(default)]
    bcc: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    uploads: String,
    #[serde(default)]
    expiry: String,
    #[serde(default)]
    language: String,
    #[serde(default)]
    confirm: Option<String>,
    #[serde(default)]
    notify_download: Option<String>,
    /// The files' names in the recipients' notification.
    #[serde(default)]
    file_names: Option<String>,
    #[serde(default)]
    password_mode: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    phone: String,
    /// For the SMS code: `address number` per line.
    #[serde(default)]
    phones: String,
}

/// The step shown.
enum Step {
    /// Own details and the organisation.
    Contact { org: String },
    /// The code mailed to `email`.
    Code { email: String, org: String },
    /// Signed in: compose.
    Compose,
    /// The notification as the recipients will see it.
    Preview { subject: String, text: String },
    /// Sent: the summary.
    Done(Box<Summary>),
}

/// What was sent.
struct Summary {
    id: String,
    recipients: Vec<String>,
    files: Vec<String>,
    expires: String,
    password: Option<String>,
    /// Held until the sender gives the recipients' mobile numbers.
    held: bool,
}

#[derive(Template)]
#[template(path = "send.html")]
struct SendPage {
    t: &'static Texts,
    u: &'static UploadTexts,
    s: &'static SendTexts,
    brand: Brand,
    title: String,
    notice: Option<String>,
    error: Option<String>,
    step: Step,
    sender: Option<String>,
    draft: Draft,
    expiry_label: String,
    max_expiry: u32,
    languages: Vec<(&'static str, &'static str)>,
    max_files: u32,
    max_bytes: u64,
    accept: String,
    files_required: bool,
    as_sender: bool,
    /// The draft's fields the preview carries to "Transactie starten".
    carried: Vec<(&'static str, String)>,
    /// The tenant's least password score (the strength meter's bar).
    min_score: u8,
}

impl Draft {
    /// The fields the preview carries on (all but the subject, which it shows to edit).
    fn carried(&self) -> Vec<(&'static str, String)> {
        [
            ("to", &self.to),
            ("cc", &self.cc),
            ("bcc", &self.bcc),
            ("message", &self.message),
            ("uploads", &self.uploads),
            ("expiry", &self.expiry),
            ("language", &self.language),
            ("password_mode", &self.password_mode),
            ("password", &self.password),
            ("name", &self.name),
            ("phone", &self.phone),
            ("phones", &self.phones),
        ]
        .into_iter()
        .map(|(name, value)| (name, value.clone()))
        .collect()
    }

    fn checked(value: &Option<String>) -> bool {
        value.is_some()
    }

    fn is_mode(&self, mode: &str) -> bool {
        self.password_mode == mode || (self.password_mode.is_empty() && mode == "email")
    }
}

/// The signed-in browser sender, if any.
async fn sender(state: &AppState, headers: &HeaderMap) -> Option<User> {
    let token = crate::recipient::cookie(headers, web_sender_cookie(state))?;
    zegel_service::senders::session(state, token)
        .await
        .ok()
        .flatten()
}

#[allow(clippy::too_many_arguments)]
async fn page(
    state: &AppState,
    headers: &HeaderMap,
    user: Option<&User>,
    step: Step,
    draft: Draft,
    notice: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let language = page_language(None, headers);
    let (brand, settings) = match user {
        Some(user) => (
            Brand::of(state, &user.tenant_id).await,
            zegel_service::settings::effective(state, &user.tenant_id)
                .await
                .ok(),
        ),
        None => (Brand::zegel(), None),
    };
    let t = texts_for(language, brand.form);
    let s = send_texts(language, brand.form);
    let u = upload_texts(language, brand.form);
    let max_expiry = settings.as_ref().map_or(14, |s| s.expiry_days.max);
    let languages = settings
        .as_ref()
        .map(|s| s.languages.clone())
        .unwrap_or_else(|| Language::ALL.to_vec())
        .into_iter()
        .map(|l| (l.code(), l.native_name()))
        .collect();
    // Signed out, the staff's sign-in form leads on to the organisation's identity provider (as on the
    // admin page: any HTTPS origin, HTTP on loopback only).
    let csp = match user {
        Some(_) => upload_csp(&brand),
        None => HeaderValue::from_static(CONTACT_CSP),
    };
    let mut draft = draft;
    if draft.expiry.is_empty() {
        draft.expiry = settings
            .as_ref()
            .map_or(7, |s| s.expiry_days.default)
            .to_string();
    }
    let carried = draft.carried();
    let rendered = SendPage {
        t,
        u,
        s,
        title: s.title.to_owned(),
        notice,
        error,
        step,
        sender: user.map(|u| u.email.clone()),
        draft,
        expiry_label: fill(s.expiry_label, &[("max", &max_expiry.to_string())]),
        max_expiry,
        languages,
        max_files: 20,
        max_bytes: state.config.max_upload_bytes,
        accept: String::new(),
        files_required: false,
        as_sender: true,
        carried,
        min_score: settings
            .as_ref()
            .map_or(3, |s| s.password_options.min_score),
        brand,
    };
    let mut response = render(rendered, status);
    response
        .headers_mut()
        .insert(header::CONTENT_SECURITY_POLICY, csp);
    response
}

#[derive(Deserialize)]
pub(super) struct ShowQuery {
    #[serde(default)]
    org: Option<String>,
    /// Why a sign-in with the organisation's account did not happen (`crate::sign_in`).
    #[serde(default)]
    sso: Option<String>,
}

/// `GET /send[?org=<domain>]`: the contact step, or the compose step for a signed-in sender.
pub(super) async fn show(
    State(state): State<AppState>,
    Query(query): Query<ShowQuery>,
    headers: HeaderMap,
) -> Response {
    let user = sender(&state, &headers).await;
    let step = match &user {
        Some(_) => Step::Compose,
        None => Step::Contact {
            org: query.org.unwrap_or_default(),
        },
    };
    let s = send_texts(page_language(None, &headers), FormOfAddress::U);
    let error = match (&user, query.sso.as_deref()) {
        (None, Some("unavailable")) => Some(s.sso_unavailable.to_owned()),
        (None, Some(_)) => Some(s.sso_failed.to_owned()),
        _ => None,
    };
    page(
        &state,
        &headers,
        user.as_ref(),
        step,
        Draft::default(),
        None,
        error,
        StatusCode::OK,
    )
    .await
}

#[derive(Deserialize)]
pub(super) struct ContactForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    organisation: String,
}

/// `POST /send/challenge`: mails the code.
pub(super) async fn challenge(
    State(state): State<AppState>,
    Client(client): Client,
    headers: HeaderMap,
    Form(form): Form<ContactForm>,
) -> Response {
    let language = page_language(None, &headers);
    let s = send_texts(language, FormOfAddress::U);
    let org = form.organisation.trim().to_owned();
    let contact = || Step::Contact { org: org.clone() };
    let Ok(email) = zegel_core::address::normalize_email(&form.email) else {
        let u = upload_texts(language, FormOfAddress::U);
        let step = contact();
        return page(
            &state,
            &headers,
            None,
            step,
            Draft::default(),
            None,
            Some(u.invalid_address.to_owned()),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let outcome = zegel_service::senders::challenge(
        &state,
        &email,
        Some(org.as_str()).filter(|o| !o.is_empty()),
        language,
        &client,
    )
    .await;
    let (step, notice, error, status) = match outcome {
        Ok(()) => (
            Step::Code {
                email: email.clone(),
                org: org.clone(),
            },
            Some(fill(
                s.code_sent,
                &[
                    ("email", &email),
                    (
                        "minutes",
                        &(zegel_service::senders::CODE_TTL_MS / 60_000).to_string(),
                    ),
                ],
            )),
            None,
            StatusCode::OK,
        ),
        Err(ServiceError::TooManyRequests(_)) => (
            contact(),
            None,
            Some(s.too_many_codes.to_owned()),
            StatusCode::TOO_MANY_REQUESTS,
        ),
        Err(ServiceError::Internal(cause)) => {
            return crate::error::AppError::Internal(cause).into_response();
        }
        Err(_) => (
            contact(),
            None,
            Some(s.not_taken.to_owned()),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    };
    page(
        &state,
        &headers,
        None,
        step,
        Draft::default(),
        notice,
        error,
        status,
    )
    .await
}

#[derive(Deserialize)]
pub(super) struct CodeForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    organisation: String,
}

/// `POST /send/verify`: checks the code; the session cookie for the tenant's period, then compose.
pub(super) async fn verify(
    State(state): State<AppState>,
    Client(client): Client,
    headers: HeaderMap,
    Form(form): Form<CodeForm>,
) -> Response {
    let org = form.organisation.trim().to_owned();
    match zegel_service::senders::verify(
        &state,
        &form.email,
        &form.code,
        Some(org.as_str()).filter(|o| !o.is_empty()),
        &client,
    )
    .await
    {
        Ok(verified) => {
            let max_age = (verified.expires_at - state.now_ms()) / 1000;
            let mut response = Redirect::to("/send").into_response();
            response.headers_mut().insert(
                header::SET_COOKIE,
                crate::api::senders::session_cookie(&state, Some(&verified.token), max_age),
            );
            response
        }
        Err(ServiceError::Internal(cause)) => {
            crate::error::AppError::Internal(cause).into_response()
        }
        Err(_) => {
            let s = send_texts(page_language(None, &headers), FormOfAddress::U);
            let step = Step::Code {
                email: form.email.clone(),
                org,
            };
            page(
                &state,
                &headers,
                None,
                step,
                Draft::default(),
                None,
                Some(s.wrong_code.to_owned()),
                StatusCode::UNAUTHORIZED,
            )
            .await
        }
    }
}

/// `POST /send/logout`.
pub(super) async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = crate::recipient::cookie(&headers, web_sender_cookie(&state)) {
        let _ = zegel_service::senders::end(&state, token).await;
    }
    let mut response = Redirect::to("/send").into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        crate::api::senders::session_cookie(&state, None, 0),
    );
    response
}

/// Addresses as people paste them: separated by `;`, `,`, white space or new lines.
fn addresses(text: &str) -> Vec<String> {
    text.split([';', ',', '\n', '\r', ' ', '\t'])
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The message request the draft describes (checked by `validate` and the tenant's settings).
fn request_of(draft: &Draft, settings: &TenantSettings) -> Result<MessageRequest, String> {
    let sms = draft.password_mode == "sms";
    // "address number" per line: the number may hold spaces, the address may not.
    let phones: Vec<(String, String)> = draft
        .phones
        .lines()
        .filter_map(|line| {
            let line = line.trim();
            let (address, number) = line.split_once(char::is_whitespace)?;
            Some((
                address.trim_end_matches([':', ';', ',']).to_lowercase(),
                number.trim().to_owned(),
            ))
        })
        .collect();
    let phone_of = |address: &str| {
        phones
            .iter()
            .find(|(a, _)| a.eq_ignore_ascii_case(address))
            .map(|(_, n)| n.clone())
    };
    let mut recipients = Vec::new();
    for (list, kind) in [
        (&draft.to, RecipientKind::To),
        (&draft.cc, RecipientKind::Cc),
        (&draft.bcc, RecipientKind::Bcc),
    ] {
        for address in addresses(list) {
            if zegel_core::address::normalize_email(&address).is_err() {
                return Err(address);
            }
            let phone = if sms { phone_of(&address) } else { None };
            recipients.push(serde_json::json!({"email": address, "kind": kind, "phone": phone}));
        }
    }
    let mut body = draft.message.trim().to_owned();
    let contact: Vec<&str> = [draft.name.trim(), draft.phone.trim()]
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect();
    if !contact.is_empty() {
        body.push_str(&format!("\n\n-- \n{}", contact.join(", ")));
    }
    let (kind, auth) = match draft.password_mode.as_str() {
        "none" => ("public_files", serde_json::Value::Null),
        "sms" => ("secure_message", serde_json::json!({"level": "2fa"})),
        "generated" => (
            "secure_message",
            serde_json::json!({"level": "1fa", "password": "generated", "deliver": "other"}),
        ),
        "own" => (
            "secure_message",
            serde_json::json!({"level": "1fa", "password": {"custom": draft.password}, "deliver": "other"}),
        ),
        _ => (
            "secure_message",
            serde_json::json!({"level": "1fa", "password": "generated", "deliver": "email"}),
        ),
    };
    let uploads = super::upload::upload_ids(&draft.uploads);
    let meta = serde_json::json!({
        "subject": draft.subject.trim(),
        "body_text": body,
        "kind": kind,
        "recipients": recipients,
        "auth": auth,
        "expires_in_days": draft.expiry.trim().parse::<u32>().ok(),
        "language": Language::parse(&draft.language).unwrap_or_else(|| settings.languages.first().copied().unwrap_or_default()),
        "uploads": uploads,
        "confirm_to_sender": Draft::checked(&draft.confirm),
        "notify_on_download": Draft::checked(&draft.notify_download),
        "file_names_in_notification": Draft::checked(&draft.file_names),
    });
    serde_json::from_value(meta).map_err(|_| String::new())
}

/// The refusal of a draft in the page's words.
fn refusal(s: &SendTexts, error: &crate::error::AppError, organisation: &str) -> String {
    match error {
        crate::error::AppError::Forbidden(_) => {
            fill(s.outside_only, &[("organisation", organisation)])
        }
        crate::error::AppError::Invalid { field, .. } if field.starts_with("recipients") => {
            s.no_recipients.to_owned()
        }
        crate::error::AppError::Invalid { field, .. } if field.starts_with("auth") => {
            s.weak_password.to_owned()
        }
        _ => s.check_input.to_owned(),
    }
}

/// Checks a draft as the message API would: the validated request, or the page's refusal.
async fn checked(
    state: &AppState,
    user: &User,
    draft: &Draft,
    s: &SendTexts,
) -> Result<(TenantSettings, zegel_core::message::ValidatedMessage), String> {
    let settings = zegel_service::settings::effective(state, &user.tenant_id)
        .await
        .map_err(|_| s.check_input.to_owned())?;
    let request = request_of(draft, &settings).map_err(|address| {
        if address.is_empty() {
            s.check_input.to_owned()
        } else {
            fill(s.addresses_invalid, &[("address", &address)])
        }
    })?;
    if request.recipients.is_empty() {
        return Err(s.no_recipients.to_owned());
    }
    let domains = zegel_store::tenants::domains(&state.db, &user.tenant_id)
        .await
        .map_err(|_| s.check_input.to_owned())?;
    if zegel_service::senders::outside_recipient(
        &settings,
        &domains,
        &user.email,
        request.recipients.iter().map(|r| r.email.as_str()),
    )
    .is_some()
    {
        return Err(fill(
            s.outside_only,
            &[("organisation", &settings.branding.name)],
        ));
    }
    let validated = request
        .validate(&user.email, &settings.request_limits())
        .and_then(|v| settings.enforce(v))
        .map_err(|e| {
            refusal(
                s,
                &crate::error::AppError::invalid(e.field, e.message),
                &settings.branding.name,
            )
        })?;
    Ok((settings, validated))
}

/// The compose step again, with the draft as it was and what is wrong with it.
async fn compose_again(
    state: &AppState,
    headers: &HeaderMap,
    user: &User,
    draft: Draft,
    error: String,
) -> Response {
    page(
        state,
        headers,
        Some(user),
        Step::Compose,
        draft,
        None,
        Some(error),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

/// `POST /send/preview`: the notification as the recipients will see it.
pub(super) async fn preview(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(draft): Form<Draft>,
) -> Response {
    let Some(user) = sender(&state, &headers).await else {
        return Redirect::to("/send").into_response();
    };
    let language = page_language(None, &headers);
    let brand = Brand::of(&state, &user.tenant_id).await;
    let s = send_texts(language, brand.form);
    let (settings, validated) = match checked(&state, &user, &draft, s).await {
        Ok(ok) => ok,
        Err(error) => {
            return compose_again(&state, &headers, &user, draft, error).await;
        }
    };
    let expires_at = state.now_ms() + i64::from(validated.expires_in_days) * 86_400_000;
    let mut files = Vec::new();
    if validated.file_names_in_notification {
        let owner = zegel_store::uploads::Owner::Sender(user.id.clone());
        for id in &validated.uploads {
            if let Ok(upload) = zegel_service::uploads::prepare(&state, &owner, id, "uploads").await
            {
                files.push((upload.name, upload.size));
            }
        }
    }
    let mail = zegel_service::settings::notification(
        &settings,
        &zegel_mail::render::Notification {
            language: validated.language,
            kind: validated.kind,
            subject: &validated.subject,
            sender: &user.email,
            plain_body: validated.body_text.as_deref(),
            files: &files,
            link: &format!("{}/m/…", state.config.base_url()),
            expires_at,
            timezone: &state.config.timezone,
            from: &state.config.mail_from,
            to: "",
        },
    );
    let step = Step::Preview {
        subject: mail.subject,
        text: mail.text,
    };
    page(
        &state,
        &headers,
        Some(&user),
        step,
        draft,
        None,
        None,
        StatusCode::OK,
    )
    .await
}

/// `POST /send/start`: "Transactie starten": the message goes through the API's intake.
pub(super) async fn start(
    State(state): State<AppState>,
    Client(client): Client,
    headers: HeaderMap,
    Form(draft): Form<Draft>,
) -> Response {
    let Some(user) = sender(&state, &headers).await else {
        return Redirect::to("/send").into_response();
    };
    let language = page_language(None, &headers);
    let brand = Brand::of(&state, &user.tenant_id).await;
    let s = send_texts(language, brand.form);
    let (settings, validated) = match checked(&state, &user, &draft, s).await {
        Ok(ok) => ok,
        Err(error) => {
            return compose_again(&state, &headers, &user, draft, error).await;
        }
    };
    let policy = settings.content_filter_policy();
    let scan = zegel_service::scan::IntakeScan::new(&policy, state.readers.clone());
    let upload = zegel_service::intake::Upload::new(&state, &user.tenant_id);
    let created =
        crate::api::messages::finish(&state, &user, &settings, validated, upload, scan, 0, client)
            .await;
    match created {
        Ok(created) => {
            let date = created
                .expires_at
                .parse::<jiff::Timestamp>()
                .map(|at| {
                    let (d, t) = zegel_mail::i18n::date_and_time(
                        at.as_millisecond(),
                        &state.config.timezone,
                        language,
                    );
                    zegel_core::format::date_time(language, &d, &t)
                })
                .unwrap_or_default();
            let summary = Summary {
                id: created.id,
                recipients: created.recipients.into_iter().map(|r| r.email).collect(),
                files: created
                    .files
                    .into_iter()
                    .map(|f| {
                        format!(
                            "{} ({})",
                            f.name,
                            super::size_text(language, i64::try_from(f.size).unwrap_or(0))
                        )
                    })
                    .collect(),
                expires: fill(s.summary_expires, &[("date", &date)]),
                password: created.password.filter(|_| draft.password_mode != "email"),
                held: created.status == zegel_core::api::CreatedStatus::NeedsPhoneNumbers,
            };
            page(
                &state,
                &headers,
                Some(&user),
                Step::Done(Box::new(summary)),
                Draft::default(),
                None,
                None,
                StatusCode::OK,
            )
            .await
        }
        Err(crate::error::AppError::Internal(cause)) => {
            crate::error::AppError::Internal(cause).into_response()
        }
        Err(error) => {
            let message = refusal(s, &error, &settings.branding.name);
            compose_again(&state, &headers, &user, draft, message).await
        }
    }
}

/// `POST /send/withdraw/<id>`: blocks every recipient of a message the sender sent here.
pub(super) async fn withdraw(
    State(state): State<AppState>,
    Client(client): Client,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let Some(user) = sender(&state, &headers).await else {
        return Redirect::to("/send").into_response();
    };
    let outcome = zegel_service::tracking::set_blocked(
        &state,
        &user,
        &id,
        &zegel_service::tracking::BlockTarget::Recipients,
        true,
        &client,
    )
    .await;
    let language = page_language(None, &headers);
    let brand = Brand::of(&state, &user.tenant_id).await;
    let s = send_texts(language, brand.form);
    match outcome {
        Ok(_) => {
            page(
                &state,
                &headers,
                Some(&user),
                Step::Compose,
                Draft::default(),
                Some(s.withdrawn.to_owned()),
                None,
                StatusCode::OK,
            )
            .await
        }
        Err(error) => crate::error::AppError::from(error).into_response(),
    }
}

/// `GET /static/send.js`: the strength meter of a chosen password.
pub(super) async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/send.js"),
    )
        .into_response()
}
