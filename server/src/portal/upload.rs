//! The page of an upload request, `/u/<token>` (seed 001 §6.1.1): the recipient proves their address
//! with a six-digit code mailed to it (on the request's one link they name the address first), reads
//! the sender's message and what is asked, uploads the files and presses "Verzenden".
//!
//! The steps before the upload work without JavaScript. The files go with the pane's own resumable tus
//! client (`zegel-upload`, wasm, loaded by `/static/upload.js`) under the session cookie, with a
//! progress bar per file; the form then sends the upload ids. `GET` changes nothing.

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use zegel_core::Language;
use zegel_core::settings::FormOfAddress;
use zegel_core::upload_request::{AnswerStatus, FileType};
use zegel_mail::i18n::{Texts, fill, texts_for};
use zegel_service::ServiceError;
use zegel_service::access::{self, AccessError, Link};
use zegel_service::requests::{self, RequestView};
use zegel_store::messages::Access;

use super::{Brand, error_page, language_of, page_language, render, size_text};
use crate::client::Client;
use crate::state::AppState;

/// The words of the upload page, per language.
#[allow(missing_docs)]
pub struct UploadTexts {
    pub title: &'static str,
    pub intro: &'static str,
    pub ask_address: &'static str,
    pub email_label: &'static str,
    pub invalid_address: &'static str,
    pub send_intro: &'static str,
    pub button_send: &'static str,
    pub code_sent: &'static str,
    pub code_sent_to: &'static str,
    pub code_label: &'static str,
    pub button_verify: &'static str,
    pub resend: &'static str,
    pub other_address: &'static str,
    pub wrong_code: &'static str,
    pub too_many_sends: &'static str,
    pub message_from: &'static str,
    pub allowed: &'static str,
    pub limits: &'static str,
    pub choose_files: &'static str,
    pub drop_here: &'static str,
    pub message_label: &'static str,
    pub button_submit: &'static str,
    pub needs_js: &'static str,
    pub uploading: &'static str,
    pub uploaded: &'static str,
    pub upload_failed: &'static str,
    pub too_large: &'static str,
    pub too_many_files: &'static str,
    pub signed_out: &'static str,
    pub remove: &'static str,
    pub no_files: &'static str,
    pub done_title: &'static str,
    pub done_text: &'static str,
    pub scanning_text: &'static str,
    pub answered: &'static str,
    pub wrong_kind: &'static str,
    pub infected: &'static str,
    pub over_limits: &'static str,
    pub types: [&'static str; 7],
    pub from_label: &'static str,
    pub to_label: &'static str,
    pub choose_recipient: &'static str,
    pub to_free_hint: &'static str,
    pub portal_ask: &'static str,
    pub code_sent_plain: &'static str,
    pub too_many_codes: &'static str,
}

const NL: UploadTexts = UploadTexts {
    from_label: "Van",
    to_label: "Naar",
    choose_recipient: "Kies een ontvanger",
    to_free_hint: "Een e-mailadres bij {domains}",
    portal_ask: "Vul uw e-mailadres in. Wij sturen een code naar dat adres om het te bevestigen; daarna kiest u de bestanden.",
    code_sent_plain: "Wij hebben een code naar {email} gestuurd. Hij is {minutes} minuten geldig.",
    too_many_codes: "Er zijn te veel codes aangevraagd. Probeer het over een uur opnieuw.",
    title: "Bestanden uploaden",
    intro: "{sender} vraagt u om bestanden veilig te uploaden.",
    ask_address: "Vul het e-mailadres in waarop u dit verzoek ontving. Wij sturen een code naar dat adres om het te bevestigen.",
    email_label: "Uw e-mailadres",
    invalid_address: "Vul een geldig e-mailadres in, bijvoorbeeld naam@voorbeeld.nl.",
    send_intro: "Bevestig eerst uw e-mailadres. Wij sturen een code van zes cijfers naar:",
    button_send: "Code sturen",
    code_sent: "De code is verstuurd. Hij is {minutes} minuten geldig.",
    code_sent_to: "Als dit verzoek aan {email} is gericht, hebben wij een code naar dat adres gestuurd. Hij is {minutes} minuten geldig.",
    code_label: "Code uit de e-mail",
    button_verify: "Bevestigen",
    resend: "Stuur een nieuwe code",
    other_address: "Een ander e-mailadres invullen",
    wrong_code: "Deze code klopt niet of is verlopen. Probeer het opnieuw of vraag een nieuwe code aan.",
    too_many_sends: "U heeft het afgelopen uur te veel codes aangevraagd. Probeer het later opnieuw.",
    message_from: "Bericht van {sender}",
    allowed: "Toegestane bestanden: {types}.",
    limits: "Hooguit {files} bestanden, samen hooguit {size}.",
    choose_files: "Bestanden kiezen",
    drop_here: "of sleep ze hierheen",
    message_label: "Bericht aan {sender} (niet verplicht)",
    button_submit: "Verzenden",
    needs_js: "Voor het uploaden is JavaScript nodig. Zet het aan in uw browser en laad de pagina opnieuw.",
    uploading: "Bezig met uploaden…",
    uploaded: "Geüpload",
    upload_failed: "Uploaden mislukt. Verwijder het bestand en probeer het opnieuw.",
    too_large: "Dit bestand is groter dan dit verzoek toestaat.",
    too_many_files: "U heeft al zoveel bestanden gekozen als dit verzoek toestaat.",
    signed_out: "Uw sessie is verlopen. Open de link uit de e-mail opnieuw.",
    remove: "Verwijderen",
    no_files: "Kies minstens één bestand.",
    done_title: "Uw bestanden zijn verzonden",
    done_text: "{sender} krijgt bericht. U ontvangt een bevestiging per e-mail.",
    scanning_text: "Uw bestanden worden eerst op virussen gecontroleerd en daarna aan {sender} afgeleverd. U ontvangt dan een bevestiging per e-mail.",
    answered: "U heeft uw bestanden al verzonden. Dit verzoek kan één keer worden gebruikt.",
    wrong_kind: "{name} is geen toegestaan soort bestand. Verwijder het en verzend opnieuw.",
    infected: "De virusscanner vond schadelijke software in {name}. Verwijder dit bestand en verzend opnieuw.",
    over_limits: "De bestanden passen niet binnen dit verzoek: hooguit {files} bestanden, samen hooguit {size}.",
    types: [
        "PDF",
        "afbeeldingen en scans",
        "tekstdocumenten (Word, ODT)",
        "spreadsheets (Excel, CSV)",
        "presentaties",
        "platte tekst",
        "ZIP-archieven",
    ],
};

const NL_JE: UploadTexts = UploadTexts {
    portal_ask: "Vul je e-mailadres in. We sturen een code naar dat adres om het te bevestigen; daarna kies je de bestanden.",
    code_sent_plain: "We hebben een code naar {email} gestuurd. Hij is {minutes} minuten geldig.",
    intro: "{sender} vraagt je om bestanden veilig te uploaden.",
    ask_address: "Vul het e-mailadres in waarop je dit verzoek ontving. We sturen een code naar dat adres om het te bevestigen.",
    email_label: "Je e-mailadres",
    send_intro: "Bevestig eerst je e-mailadres. We sturen een code van zes cijfers naar:",
    code_sent_to: "Als dit verzoek aan {email} is gericht, hebben we een code naar dat adres gestuurd. Hij is {minutes} minuten geldig.",
    too_many_sends: "Je hebt het afgelopen uur te veel codes aangevraagd. Probeer het later opnieuw.",
    needs_js: "Voor het uploaden is JavaScript nodig. Zet het aan in je browser en laad de pagina opnieuw.",
    too_many_files: "Je hebt al zoveel bestanden gekozen als dit verzoek toestaat.",
    signed_out: "Je sessie is verlopen. Open de link uit de e-mail opnieuw.",
    done_title: "Je bestanden zijn verzonden",
    done_text: "{sender} krijgt bericht. Je ontvangt een bevestiging per e-mail.",
    scanning_text: "Je bestanden worden eerst op virussen gecontroleerd en daarna aan {sender} afgeleverd. Je ontvangt dan een bevestiging per e-mail.",
    answered: "Je hebt je bestanden al verzonden. Dit verzoek kan één keer worden gebruikt.",
    ..NL
};

const EN: UploadTexts = UploadTexts {
    from_label: "From",
    to_label: "To",
    choose_recipient: "Choose a recipient",
    to_free_hint: "An e-mail address at {domains}",
    portal_ask: "Enter your e-mail address. We will send a code to that address to confirm it; then you choose the files.",
    code_sent_plain: "We have sent a code to {email}. It is valid for {minutes} minutes.",
    too_many_codes: "Too many codes were asked for. Please try again in an hour.",
    title: "Upload files",
    intro: "{sender} asks you to upload files securely.",
    ask_address: "Enter the e-mail address this request was sent to. We will send a code to that address to confirm it.",
    email_label: "Your e-mail address",
    invalid_address: "Enter a valid e-mail address, for example name@example.com.",
    send_intro: "First confirm your e-mail address. We will send a six-digit code to:",
    button_send: "Send code",
    code_sent: "The code has been sent. It is valid for {minutes} minutes.",
    code_sent_to: "If this request was sent to {email}, we have sent a code to that address. It is valid for {minutes} minutes.",
    code_label: "Code from the e-mail",
    button_verify: "Confirm",
    resend: "Send a new code",
    other_address: "Enter another e-mail address",
    wrong_code: "This code is not correct or has expired. Try again or ask for a new code.",
    too_many_sends: "You asked for too many codes in the last hour. Please try again later.",
    message_from: "Message from {sender}",
    allowed: "Accepted files: {types}.",
    limits: "At most {files} files, {size} together.",
    choose_files: "Choose files",
    drop_here: "or drop them here",
    message_label: "Message to {sender} (optional)",
    button_submit: "Send",
    needs_js: "Uploading needs JavaScript. Turn it on in your browser and reload the page.",
    uploading: "Uploading…",
    uploaded: "Uploaded",
    upload_failed: "The upload failed. Remove the file and try again.",
    too_large: "This file is larger than this request allows.",
    too_many_files: "You have chosen as many files as this request allows.",
    signed_out: "Your session has ended. Open the link from the e-mail again.",
    remove: "Remove",
    no_files: "Choose at least one file.",
    done_title: "Your files have been sent",
    done_text: "{sender} has been told. You will receive a confirmation by e-mail.",
    scanning_text: "Your files are checked for viruses first and then delivered to {sender}. You will then receive a confirmation by e-mail.",
    answered: "You have already sent your files. This request can be used once.",
    wrong_kind: "{name} is not an accepted kind of file. Remove it and send again.",
    infected: "The virus scanner found malicious software in {name}. Remove this file and send again.",
    over_limits: "The files do not fit this request: at most {files} files, {size} together.",
    types: [
        "PDF",
        "pictures and scans",
        "documents (Word, ODT)",
        "spreadsheets (Excel, CSV)",
        "presentations",
        "plain text",
        "ZIP archives",
    ],
};

const SV: UploadTexts = UploadTexts {
    from_label: "Från",
    to_label: "Till",
    choose_recipient: "Välj en mottagare",
    to_free_hint: "En e-postadress på {domains}",
    portal_ask: "Fyll i din e-postadress. Vi skickar en kod till den adressen för att bekräfta den; sedan väljer du filerna.",
    code_sent_plain: "Vi har skickat en kod till {email}. Den gäller i {minutes} minuter.",
    too_many_codes: "För många koder har begärts. Försök igen om en timme.",
    title: "Ladda upp filer",
    intro: "{sender} ber dig att ladda upp filer på ett säkert sätt.",
    ask_address: "Ange den e-postadress som begäran skickades till. Vi skickar en kod till den adressen för att bekräfta den.",
    email_label: "Din e-postadress",
    invalid_address: "Ange en giltig e-postadress, till exempel namn@exempel.se.",
    send_intro: "Bekräfta först din e-postadress. Vi skickar en sexsiffrig kod till:",
    button_send: "Skicka kod",
    code_sent: "Koden har skickats. Den gäller i {minutes} minuter.",
    code_sent_to: "Om begäran skickades till {email} har vi skickat en kod till den adressen. Den gäller i {minutes} minuter.",
    code_label: "Kod från mejlet",
    button_verify: "Bekräfta",
    resend: "Skicka en ny kod",
    other_address: "Ange en annan e-postadress",
    wrong_code: "Koden stämmer inte eller har gått ut. Försök igen eller begär en ny kod.",
    too_many_sends: "Du har begärt för många koder den senaste timmen. Försök igen senare.",
    message_from: "Meddelande från {sender}",
    allowed: "Tillåtna filer: {types}.",
    limits: "Högst {files} filer, sammanlagt högst {size}.",
    choose_files: "Välj filer",
    drop_here: "eller dra dem hit",
    message_label: "Meddelande till {sender} (valfritt)",
    button_submit: "Skicka",
    needs_js: "Uppladdningen kräver JavaScript. Slå på det i webbläsaren och ladda om sidan.",
    uploading: "Laddar upp…",
    uploaded: "Uppladdad",
    upload_failed: "Uppladdningen misslyckades. Ta bort filen och försök igen.",
    too_large: "Filen är större än begäran tillåter.",
    too_many_files: "Du har redan valt så många filer som begäran tillåter.",
    signed_out: "Din session har gått ut. Öppna länken i mejlet igen.",
    remove: "Ta bort",
    no_files: "Välj minst en fil.",
    done_title: "Dina filer har skickats",
    done_text: "{sender} har fått besked. Du får en bekräftelse per e-post.",
    scanning_text: "Dina filer kontrolleras först mot virus och levereras sedan till {sender}. Du får då en bekräftelse per e-post.",
    answered: "Du har redan skickat dina filer. Begäran kan bara användas en gång.",
    wrong_kind: "{name} är inte en tillåten filtyp. Ta bort den och skicka igen.",
    infected: "Virusskannern hittade skadlig kod i {name}. Ta bort filen och skicka igen.",
    over_limits: "Filerna ryms inte i begäran: högst {files} filer, sammanlagt högst {size}.",
    types: [
        "PDF",
        "bilder och skanningar",
        "dokument (Word, ODT)",
        "kalkylblad (Excel, CSV)",
        "presentationer",
        "vanlig text",
        "ZIP-arkiv",
    ],
};

/// The upload page's words in `language`, Dutch in `form`.
pub fn upload_texts(language: Language, form: FormOfAddress) -> &'static UploadTexts {
    match (language, form) {
        (Language::Nl, FormOfAddress::Je) => &NL_JE,
        (Language::Nl, _) => &NL,
        (Language::En, _) => &EN,
        (Language::Sv, _) => &SV,
    }
}

impl UploadTexts {
    /// The name of a kind of file.
    pub fn type_name(&self, kind: FileType) -> &'static str {
        let index = FileType::ALL.iter().position(|k| *k == kind).unwrap_or(0);
        self.types[index]
    }
}

/// Where the recipient is on the page.
enum Step {
    /// The request's one link: which address?
    Ask,
    /// Send the code to the recipient's address (shown masked).
    Send { destination: String },
    /// Enter the code (on the one link, for the address named).
    Code { email: Option<String> },
    /// Signed in: upload and send.
    Upload { view: RequestView },
    /// Sent (or answered before).
    Done { text: String },
}

#[derive(Template)]
#[template(path = "upload.html")]
struct UploadPage<'a> {
    t: &'static Texts,
    u: &'static UploadTexts,
    brand: Brand,
    title: String,
    intro: String,
    token: &'a str,
    notice: Option<String>,
    error: Option<String>,
    step: Step,
    /// The upload step's facts, worded.
    sender_message: Option<String>,
    message_from: String,
    allowed: String,
    limits: String,
    accept: String,
    message_label: String,
    max_files: u32,
    max_bytes: u64,
    /// Whether sending needs a file (always, here).
    files_required: bool,
    /// Whether the uploads are a browser sender's (no: a recipient's).
    as_sender: bool,
}

/// The page's Content-Security-Policy: the portal's, plus the uploader's wasm and its requests to
/// this server (and the tenant's logo host, when it has one).
pub(super) fn upload_csp(brand: &Brand) -> HeaderValue {
    let logo = brand
        .logo
        .as_deref()
        .and_then(|l| url::Url::parse(l).ok())
        .and_then(|u| super::logo_origin(&u))
        .map(|origin| format!(" {origin}"))
        .unwrap_or_default();
    HeaderValue::from_str(&format!(
        "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; \
         style-src 'self'; img-src 'self' data:{logo}; form-action 'self'; frame-ancestors 'none'; \
         base-uri 'none'"
    ))
    .expect("the policy is ASCII")
}

#[allow(clippy::too_many_arguments)]
async fn render_page(
    state: &AppState,
    access: &Access,
    token: &str,
    step: Step,
    notice: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let language = language_of(access);
    let brand = Brand::of(state, &access.tenant_id).await;
    let t = texts_for(language, brand.form);
    let u = upload_texts(language, brand.form);
    let sender = access.sender_email.as_str();
    let (sender_message, allowed, limits, accept, max_files, max_bytes) = match &step {
        Step::Upload { view } => {
            let kinds = if view.allowed_types.is_empty() {
                FileType::ALL.to_vec()
            } else {
                view.allowed_types.clone()
            };
            let names: Vec<&str> = kinds.iter().map(|k| u.type_name(*k)).collect();
            let accept: Vec<String> = kinds
                .iter()
                .flat_map(|k| k.extensions())
                .map(|e| format!(".{e}"))
                .collect();
            let size = size_text(language, i64::try_from(view.max_bytes).unwrap_or(i64::MAX));
            (
                view.message.clone(),
                fill(u.allowed, &[("types", &names.join(", "))]),
                fill(
                    u.limits,
                    &[("files", &view.max_files.to_string()), ("size", &size)],
                ),
                // Any kind asked: no filter in the picker (the content is judged anyway).
                if view.allowed_types.is_empty() {
                    String::new()
                } else {
                    accept.join(",")
                },
                view.max_files,
                view.max_bytes,
            )
        }
        _ => (None, String::new(), String::new(), String::new(), 0, 0),
    };
    let csp = upload_csp(&brand);
    let page = UploadPage {
        t,
        u,
        title: u.title.to_owned(),
        intro: fill(u.intro, &[("sender", sender)]),
        token,
        notice,
        error,
        step,
        sender_message,
        message_from: fill(u.message_from, &[("sender", sender)]),
        allowed,
        limits,
        accept,
        message_label: fill(u.message_label, &[("sender", sender)]),
        max_files,
        max_bytes,
        files_required: true,
        as_sender: false,
        brand,
    };
    let mut response = render(page, status);
    response
        .headers_mut()
        .insert(header::CONTENT_SECURITY_POLICY, csp);
    response
}

/// The first step of a recipient without a session.
fn first_step(access: &Access, code_requested: bool) -> Step {
    if code_requested {
        Step::Code { email: None }
    } else {
        Step::Send {
            destination: zegel_core::address::mask_email(&access.email),
        }
    }
}

/// The page for a recipient with a session: the upload form, or "sent" when they answered.
async fn signed_in_page(state: &AppState, access: &Access, token: &str) -> Response {
    let language = language_of(access);
    match requests::view(state, access).await {
        Ok(view) if view.answered => {
            let brand = Brand::of(state, &access.tenant_id).await;
            let u = upload_texts(language, brand.form);
            let step = Step::Done {
                text: u.answered.to_owned(),
            };
            render_page(state, access, token, step, None, None, StatusCode::OK).await
        }
        Ok(view) => {
            let step = Step::Upload { view };
            render_page(state, access, token, step, None, None, StatusCode::OK).await
        }
        Err(error) => {
            let brand = Brand::of(state, &access.tenant_id).await;
            error_page(&error, language, brand)
        }
    }
}

#[derive(Deserialize)]
pub(super) struct PageQuery {
    #[serde(default)]
    sent: Option<String>,
}

/// `GET /u/<token>`: the step the recipient is at. Changes nothing.
pub(super) async fn page(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Query(query): Query<PageQuery>,
    headers: HeaderMap,
) -> Response {
    match access::resolve_request_link(&state, &token).await {
        Ok(Link::Recipient(access)) => {
            if let Ok(signed_in) =
                crate::recipient::session_access(&state, &headers, &access.recipient_id).await
            {
                return signed_in_page(&state, &signed_in, &token).await;
            }
            let sent = query.sent.is_some();
            let brand = Brand::of(&state, &access.tenant_id).await;
            let u = upload_texts(language_of(&access), brand.form);
            let notice = sent.then(|| code_sent(u.code_sent, None));
            let step = first_step(&access, sent);
            render_page(&state, &access, &token, step, notice, None, StatusCode::OK).await
        }
        Ok(Link::Message(link)) => {
            if let Ok(signed_in) = crate::recipient::session_for_link(&state, &headers, &link).await
            {
                return signed_in_page(&state, &signed_in, &token).await;
            }
            let access = link.message().clone();
            render_page(
                &state,
                &access,
                &token,
                Step::Ask,
                None,
                None,
                StatusCode::OK,
            )
            .await
        }
        Err(error) => error_page(&error, page_language(None, &headers), Brand::zegel()),
    }
}

pub(super) fn code_sent(template: &str, email: Option<&str>) -> String {
    fill(
        template,
        &[
            (
                "minutes",
                &(access::EMAILED_PASSWORD_TTL_MS / 60_000).to_string(),
            ),
            ("email", email.unwrap_or_default()),
        ],
    )
}

#[derive(Deserialize)]
pub(super) struct AddressForm {
    #[serde(default)]
    email: Option<String>,
}

/// `POST /u/<token>/challenge`: mails the code (on the one link: to the address named, if it was asked).
pub(super) async fn challenge(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Client(client): Client,
    headers: HeaderMap,
    Form(form): Form<AddressForm>,
) -> Response {
    match access::resolve_request_link(&state, &token).await {
        Ok(Link::Recipient(access)) => match access::challenge(&state, &access, &client).await {
            Ok(_) => Redirect::to(&format!("/u/{token}?sent=1")).into_response(),
            Err(AccessError::TooManySends) => {
                let brand = Brand::of(&state, &access.tenant_id).await;
                let u = upload_texts(language_of(&access), brand.form);
                let step = Step::Code { email: None };
                let error = Some(u.too_many_sends.to_owned());
                render_page(
                    &state,
                    &access,
                    &token,
                    step,
                    None,
                    error,
                    StatusCode::TOO_MANY_REQUESTS,
                )
                .await
            }
            Err(error) => {
                let brand = Brand::of(&state, &access.tenant_id).await;
                error_page(&error, language_of(&access), brand)
            }
        },
        Ok(Link::Message(link)) => {
            let access = link.message().clone();
            let brand = Brand::of(&state, &access.tenant_id).await;
            let u = upload_texts(language_of(&access), brand.form);
            let email = form
                .email
                .as_deref()
                .and_then(|e| zegel_core::address::normalize_email(e).ok());
            let Some(email) = email else {
                let error = Some(u.invalid_address.to_owned());
                return render_page(
                    &state,
                    &access,
                    &token,
                    Step::Ask,
                    None,
                    error,
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await;
            };
            access::challenge_by_address(&state, &link, &email, &client);
            let notice = Some(code_sent(u.code_sent_to, Some(&email)));
            let step = Step::Code { email: Some(email) };
            render_page(&state, &access, &token, step, notice, None, StatusCode::OK).await
        }
        Err(error) => error_page(&error, page_language(None, &headers), Brand::zegel()),
    }
}

#[derive(Deserialize)]
pub(super) struct VerifyForm {
    code: String,
    #[serde(default)]
    email: Option<String>,
}

/// `POST /u/<token>/verify`: checks the code; the session cookie, then the upload step.
pub(super) async fn verify(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Client(client): Client,
    headers: HeaderMap,
    Form(form): Form<VerifyForm>,
) -> Response {
    let link = match access::resolve_request_link(&state, &token).await {
        Ok(link) => link,
        Err(error) => return error_page(&error, page_language(None, &headers), Brand::zegel()),
    };
    let access = match &link {
        Link::Recipient(access) => access.clone(),
        Link::Message(link) => link.message().clone(),
    };
    let verified = crate::api::requests::verify_link(
        &state,
        &token,
        &form.code,
        form.email.as_deref(),
        &client,
    )
    .await;
    match verified {
        Ok((recipient_id, session)) => {
            let mut response = Redirect::to(&format!("/u/{token}")).into_response();
            response.headers_mut().insert(
                header::SET_COOKIE,
                crate::recipient::session_cookie(&state, &recipient_id, &session),
            );
            response
        }
        Err(error) => {
            let brand = Brand::of(&state, &access.tenant_id).await;
            let language = language_of(&access);
            let u = upload_texts(language, brand.form);
            let t = texts_for(language, brand.form);
            let (message, status) = match error.status() {
                StatusCode::UNAUTHORIZED => (u.wrong_code.to_owned(), StatusCode::UNAUTHORIZED),
                StatusCode::TOO_MANY_REQUESTS => (t.busy.to_owned(), StatusCode::TOO_MANY_REQUESTS),
                _ => return error.into_response(),
            };
            let step = Step::Code {
                email: form.email.clone(),
            };
            render_page(&state, &access, &token, step, None, Some(message), status).await
        }
    }
}

/// The finished uploads the shared uploader writes into its form: ids separated by commas.
pub(super) fn upload_ids(field: &str) -> Vec<String> {
    field
        .split(',')
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(str::to_owned)
        .collect()
}

#[derive(Deserialize)]
pub(super) struct SubmitForm {
    /// The finished uploads, comma-separated (the uploader fills it in).
    #[serde(default)]
    uploads: String,
    #[serde(default)]
    message: String,
}

/// `POST /u/<token>/submit`: sends the uploaded files to the sender, once.
pub(super) async fn submit(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Client(client): Client,
    headers: HeaderMap,
    Form(form): Form<SubmitForm>,
) -> Response {
    let access = match crate::api::requests::authorised(&state, &token, &headers).await {
        Ok(access) => access,
        Err(_) => {
            return match access::resolve_request_link(&state, &token).await {
                Ok(_) => Redirect::to(&format!("/u/{token}")).into_response(),
                Err(error) => error_page(&error, page_language(None, &headers), Brand::zegel()),
            };
        }
    };
    let ids = upload_ids(&form.uploads);
    let language = language_of(&access);
    let brand = Brand::of(&state, &access.tenant_id).await;
    let u = upload_texts(language, brand.form);
    let sender = access.sender_email.clone();
    match requests::submit(&state, &access, &ids, Some(form.message), &client).await {
        Ok(submitted) => {
            let template = if submitted.status == AnswerStatus::Scanning {
                u.scanning_text
            } else {
                u.done_text
            };
            let step = Step::Done {
                text: fill(template, &[("sender", &sender)]),
            };
            render_page(&state, &access, &token, step, None, None, StatusCode::OK).await
        }
        Err(error) => {
            let status = match &error {
                ServiceError::Conflict(_) => StatusCode::CONFLICT,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            let message = match &error {
                ServiceError::Infected { file } => fill(u.infected, &[("name", file)]),
                ServiceError::Invalid { field, .. } if field == "uploads" => {
                    over_limits(&state, &access, u, language).await
                }
                ServiceError::Invalid { field, message, .. } if field.starts_with("uploads[") => {
                    let name = upload_name(&state, &access, &ids, field).await;
                    if message.contains("kind of file") {
                        fill(u.wrong_kind, &[("name", &name)])
                    } else {
                        u.upload_failed.to_owned()
                    }
                }
                ServiceError::Conflict(_) => u.answered.to_owned(),
                ServiceError::Internal(_) => {
                    return crate::error::AppError::from(error).into_response();
                }
                _ => u.upload_failed.to_owned(),
            };
            let view = match requests::view(&state, &access).await {
                Ok(view) => view,
                Err(error) => return error_page(&error, language, brand),
            };
            let step = if view.answered {
                Step::Done {
                    text: u.answered.to_owned(),
                }
            } else {
                Step::Upload { view }
            };
            render_page(&state, &access, &token, step, None, Some(message), status).await
        }
    }
}

async fn over_limits(
    state: &AppState,
    access: &Access,
    u: &UploadTexts,
    language: Language,
) -> String {
    match requests::view(state, access).await {
        Ok(view) => fill(
            u.over_limits,
            &[
                ("files", &view.max_files.to_string()),
                (
                    "size",
                    &size_text(language, i64::try_from(view.max_bytes).unwrap_or(i64::MAX)),
                ),
            ],
        ),
        Err(_) => u.upload_failed.to_owned(),
    }
}

/// The file name of the upload a field (`uploads[2]`) names.
async fn upload_name(state: &AppState, access: &Access, ids: &[String], field: &str) -> String {
    let index: Option<usize> = field
        .strip_prefix("uploads[")
        .and_then(|rest| rest.strip_suffix(']'))
        .and_then(|i| i.parse().ok());
    let Some(id) = index.and_then(|i| ids.get(i)) else {
        return String::new();
    };
    zegel_service::uploads::prepare(state, &requests::visitor(access), id, field)
        .await
        .map(|upload| upload.name)
        .unwrap_or_default()
}

/// `GET /static/upload.js`: starts the uploader on the upload page.
pub(super) async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/upload.js"),
    )
        .into_response()
}
