//! The words of the portal and the e-mails, in Dutch, English and Swedish.
//!
//! One [`Texts`] value per language, checked by the compiler for completeness. Sentences with a
//! `{name}` placeholder are filled by [`fill`]; templates escape the result, so values are never
//! inserted into HTML unescaped.

use zegel_core::Language;
use zegel_core::settings::FormOfAddress;

/// Every sentence a recipient or sender may read, in one language.
#[derive(Debug)]
#[allow(missing_docs)]
pub struct Texts {
    pub lang: &'static str,
    pub neutral_subject: &'static str,
    pub notify_subject_message: &'static str,
    pub notify_subject_files: &'static str,
    pub neutral_subject_files: &'static str,
    pub notify_subject_public: &'static str,
    pub neutral_subject_public: &'static str,
    pub notify_intro_message: &'static str,
    pub notify_intro_message_untitled: &'static str,
    pub notify_intro_files: &'static str,
    pub notify_intro_public: &'static str,
    pub button_open_message: &'static str,
    pub button_download_files: &'static str,
    pub link_expires: &'static str,
    pub link_host: &'static str,
    pub footer: &'static str,
    pub password_subject: &'static str,
    pub password_subject_untitled: &'static str,
    pub password_intro: &'static str,
    pub password_intro_untitled: &'static str,
    pub password_valid: &'static str,
    pub password_note: &'static str,
    pub channel_intro: &'static str,
    pub channel_intro_untitled: &'static str,
    pub send_password_intro: &'static str,
    pub button_send_password: &'static str,
    pub enter_password_email: &'static str,
    pub enter_password_other: &'static str,
    pub password_label: &'static str,
    pub button_open: &'static str,
    pub resend: &'static str,
    pub password_sent: &'static str,
    pub wrong_password: &'static str,
    pub too_many_attempts: &'static str,
    pub too_many_attempts_minutes: &'static str,
    pub too_many_sends: &'static str,
    pub locked: &'static str,
    pub unavailable_title: &'static str,
    pub unavailable_text: &'static str,
    pub limit_title: &'static str,
    pub limit_text: &'static str,
    pub session_ended: &'static str,
    pub from_label: &'static str,
    pub files_label: &'static str,
    pub download_all: &'static str,
    pub available_until: &'static str,
    pub public_files_intro: &'static str,
    pub secure_badge: &'static str,
    pub send_code_intro: &'static str,
    pub button_send_code: &'static str,
    pub enter_code: &'static str,
    pub code_label: &'static str,
    pub resend_code: &'static str,
    pub code_sent: &'static str,
    pub too_many_code_sends: &'static str,
    pub wrong_code: &'static str,
    pub busy: &'static str,
    pub sign_out: &'static str,
    pub signed_out_title: &'static str,
    pub signed_out_text: &'static str,
    pub home_title: &'static str,
    pub home_text: &'static str,
    pub support_intro: &'static str,
    pub privacy_label: &'static str,
    pub downloads_left: &'static str,
    pub reason_limit: &'static str,
    pub withdrawn_label: &'static str,
    pub zip_note_name: &'static str,
    pub zip_note_intro: &'static str,
    pub session_ended_title: &'static str,
    pub back_to_message: &'static str,
    pub language_label: &'static str,
    pub view_file: &'static str,
    pub show_password: &'static str,
}

const NL: Texts = Texts {
    lang: "nl",
    neutral_subject: "Beveiligd bericht",
    notify_subject_message: "Beveiligd bericht: {subject}",
    notify_subject_files: "Beveiligde bestanden: {subject}",
    neutral_subject_files: "Beveiligde bestanden",
    notify_subject_public: "Bestanden: {subject}",
    neutral_subject_public: "Bestanden",
    notify_intro_message: "{sender} heeft u het beveiligde bericht \u{201c}{subject}\u{201d} gestuurd. Klik op de knop om het te openen.",
    notify_intro_message_untitled: "{sender} heeft u een beveiligd bericht gestuurd. Klik op de knop om het te openen.",
    notify_intro_files: "{sender} heeft u beveiligde bestanden gestuurd. Klik op de knop om ze te downloaden.",
    notify_intro_public: "{sender} heeft u bestanden gestuurd. Klik op de knop om ze te downloaden.",
    button_open_message: "Bericht openen",
    button_download_files: "Bestanden downloaden",
    link_expires: "De link is geldig tot {date} om {time}.",
    link_host: "De knop opent een pagina op {host}.",
    footer: "Beveiligd verstuurd met Zegel.",
    password_subject: "Uw wachtwoord voor \u{201c}{subject}\u{201d}",
    password_subject_untitled: "Uw wachtwoord voor het beveiligde bericht",
    password_intro: "Met dit wachtwoord opent u het bericht \u{201c}{subject}\u{201d} van {sender}:",
    password_intro_untitled: "Met dit wachtwoord opent u het beveiligde bericht van {sender}:",
    password_valid: "Het wachtwoord is {minutes} minuten geldig. Een nieuw wachtwoord vervangt het vorige.",
    password_note: "Hebt u hier niet om gevraagd? Dan kunt u deze e-mail negeren.",
    channel_intro: "{sender} heeft u het beveiligde bericht \u{201c}{subject}\u{201d} gestuurd.",
    channel_intro_untitled: "{sender} heeft u een beveiligd bericht gestuurd.",
    send_password_intro: "Om het bericht te openen, sturen wij u een wachtwoord. De afzender heeft gevraagd het naar dit e-mailadres te sturen:",
    button_send_password: "Stuur mij het wachtwoord",
    enter_password_email: "Vul het wachtwoord in dat u per e-mail hebt ontvangen.",
    enter_password_other: "Vul het wachtwoord in dat u van de afzender hebt gekregen.",
    password_label: "Wachtwoord",
    button_open: "Openen",
    resend: "Niet ontvangen? Stuur een nieuw wachtwoord",
    password_sent: "Wij hebben een wachtwoord naar uw e-mailadres gestuurd.",
    wrong_password: "Dit wachtwoord klopt niet of is verlopen. Probeer het opnieuw of vraag een nieuw wachtwoord aan.",
    too_many_attempts: "Te veel pogingen. Probeer het over {n} seconden opnieuw.",
    too_many_attempts_minutes: "Te veel pogingen. Probeer het over {n} minuten opnieuw.",
    too_many_sends: "U hebt het afgelopen uur te vaak een wachtwoord aangevraagd. Probeer het over een uur opnieuw.",
    locked: "De toegang tot dit bericht is geblokkeerd na te veel mislukte pogingen. Vraag de afzender om het te deblokkeren.",
    unavailable_title: "Deze link is niet beschikbaar",
    unavailable_text: "De link is verlopen, door de afzender ingetrokken of bestaat niet. Hebt u het bericht nog nodig? Vraag de afzender het opnieuw te sturen.",
    limit_title: "Downloadlimiet bereikt",
    limit_text: "Dit bestand is zo vaak gedownload als de afzender heeft toegestaan.",
    session_ended: "Uw sessie is verlopen. Open de link uit de e-mail opnieuw.",
    from_label: "Van",
    files_label: "Bestanden",
    download_all: "Alles downloaden (zip)",
    available_until: "Beschikbaar tot",
    public_files_intro: "{sender} heeft u bestanden gestuurd. Download ze een voor een of allemaal tegelijk.",
    secure_badge: "Beveiligd door Zegel",
    send_code_intro: "Om het bericht te openen, sturen wij u een sms-code. De afzender heeft gevraagd de code naar dit mobiele nummer te sturen:",
    button_send_code: "Stuur mij de sms-code",
    enter_code: "Vul de sms-code in die wij u hebben gestuurd.",
    code_label: "Sms-code",
    resend_code: "Niet ontvangen? Stuur een nieuwe code",
    code_sent: "Wij hebben een sms-code naar uw mobiele telefoon gestuurd.",
    too_many_code_sends: "U hebt het afgelopen uur te vaak een sms-code aangevraagd. Probeer het over een uur opnieuw.",
    wrong_code: "Deze code klopt niet of is verlopen. Probeer het opnieuw of vraag een nieuwe code aan.",
    busy: "Er wordt op dit moment erg vaak geprobeerd in te loggen. Probeer het over een paar seconden opnieuw; er is niets meegeteld.",
    sign_out: "Afmelden",
    signed_out_title: "U bent afgemeld",
    signed_out_text: "Uw sessie is beëindigd. Wilt u het bericht opnieuw bekijken, open dan de link uit de e-mail.",
    support_intro: "Vragen over dit bericht? Neem contact op met {name}:",
    privacy_label: "Privacyverklaring",
    downloads_left: "nog {n} keer te downloaden",
    reason_limit: "downloadlimiet bereikt",
    withdrawn_label: "ingetrokken door de afzender",
    zip_note_name: "Niet in deze zip.txt",
    zip_note_intro: "Deze bestanden zitten niet in deze zip:",
    session_ended_title: "Uw sessie is verlopen",
    back_to_message: "Terug naar het bericht",
    language_label: "Taal",
    view_file: "Bekijken",
    show_password: "Wachtwoord tonen",
    home_title: "Beveiligde berichten",
    home_text: "Via deze server ontvangt u beveiligde berichten en bestanden van organisaties die Zegel gebruiken. Open de link in de e-mail die u hebt ontvangen om uw bericht te lezen.",
};

/// Dutch in the informal "je", for tenants that write to their recipients that way.
const NL_JE: Texts = Texts {
    lang: "nl",
    neutral_subject: "Beveiligd bericht",
    notify_subject_message: "Beveiligd bericht: {subject}",
    notify_subject_files: "Beveiligde bestanden: {subject}",
    neutral_subject_files: "Beveiligde bestanden",
    notify_subject_public: "Bestanden: {subject}",
    neutral_subject_public: "Bestanden",
    notify_intro_message: "{sender} heeft je het beveiligde bericht \u{201c}{subject}\u{201d} gestuurd. Klik op de knop om het te openen.",
    notify_intro_message_untitled: "{sender} heeft je een beveiligd bericht gestuurd. Klik op de knop om het te openen.",
    notify_intro_files: "{sender} heeft je beveiligde bestanden gestuurd. Klik op de knop om ze te downloaden.",
    notify_intro_public: "{sender} heeft je bestanden gestuurd. Klik op de knop om ze te downloaden.",
    button_open_message: "Bericht openen",
    button_download_files: "Bestanden downloaden",
    link_expires: "De link is geldig tot {date} om {time}.",
    link_host: "De knop opent een pagina op {host}.",
    footer: "Beveiligd verstuurd met Zegel.",
    password_subject: "Je wachtwoord voor \u{201c}{subject}\u{201d}",
    password_subject_untitled: "Je wachtwoord voor het beveiligde bericht",
    password_intro: "Met dit wachtwoord open je het bericht \u{201c}{subject}\u{201d} van {sender}:",
    password_intro_untitled: "Met dit wachtwoord open je het beveiligde bericht van {sender}:",
    password_valid: "Het wachtwoord is {minutes} minuten geldig. Een nieuw wachtwoord vervangt het vorige.",
    password_note: "Heb je hier niet om gevraagd? Dan kun je deze e-mail negeren.",
    channel_intro: "{sender} heeft je het beveiligde bericht \u{201c}{subject}\u{201d} gestuurd.",
    channel_intro_untitled: "{sender} heeft je een beveiligd bericht gestuurd.",
    send_password_intro: "Om het bericht te openen, sturen we je een wachtwoord. De afzender heeft gevraagd het naar dit e-mailadres te sturen:",
    button_send_password: "Stuur me het wachtwoord",
    enter_password_email: "Vul het wachtwoord in dat je per e-mail hebt ontvangen.",
    enter_password_other: "Vul het wachtwoord in dat je van de afzender hebt gekregen.",
    password_label: "Wachtwoord",
    button_open: "Openen",
    resend: "Niet ontvangen? Stuur een nieuw wachtwoord",
    password_sent: "We hebben een wachtwoord naar je e-mailadres gestuurd.",
    wrong_password: "Dit wachtwoord klopt niet of is verlopen. Probeer het opnieuw of vraag een nieuw wachtwoord aan.",
    too_many_attempts: "Te veel pogingen. Probeer het over {n} seconden opnieuw.",
    too_many_attempts_minutes: "Te veel pogingen. Probeer het over {n} minuten opnieuw.",
    too_many_sends: "Je hebt het afgelopen uur te vaak een wachtwoord aangevraagd. Probeer het over een uur opnieuw.",
    locked: "De toegang tot dit bericht is geblokkeerd na te veel mislukte pogingen. Vraag de afzender om het te deblokkeren.",
    unavailable_title: "Deze link is niet beschikbaar",
    unavailable_text: "De link is verlopen, door de afzender ingetrokken of bestaat niet. Heb je het bericht nog nodig? Vraag de afzender het opnieuw te sturen.",
    limit_title: "Downloadlimiet bereikt",
    limit_text: "Dit bestand is zo vaak gedownload als de afzender heeft toegestaan.",
    session_ended: "Je sessie is verlopen. Open de link uit de e-mail opnieuw.",
    from_label: "Van",
    files_label: "Bestanden",
    download_all: "Alles downloaden (zip)",
    available_until: "Beschikbaar tot",
    public_files_intro: "{sender} heeft je bestanden gestuurd. Download ze een voor een of allemaal tegelijk.",
    secure_badge: "Beveiligd door Zegel",
    send_code_intro: "Om het bericht te openen, sturen we je een sms-code. De afzender heeft gevraagd de code naar dit mobiele nummer te sturen:",
    button_send_code: "Stuur me de sms-code",
    enter_code: "Vul de sms-code in die we je hebben gestuurd.",
    code_label: "Sms-code",
    resend_code: "Niet ontvangen? Stuur een nieuwe code",
    code_sent: "We hebben een sms-code naar je mobiele telefoon gestuurd.",
    too_many_code_sends: "Je hebt het afgelopen uur te vaak een sms-code aangevraagd. Probeer het over een uur opnieuw.",
    wrong_code: "Deze code klopt niet of is verlopen. Probeer het opnieuw of vraag een nieuwe code aan.",
    busy: "Er wordt op dit moment erg vaak geprobeerd in te loggen. Probeer het over een paar seconden opnieuw; er is niets meegeteld.",
    sign_out: "Afmelden",
    signed_out_title: "Je bent afgemeld",
    signed_out_text: "Je sessie is beëindigd. Wil je het bericht opnieuw bekijken, open dan de link uit de e-mail.",
    support_intro: "Vragen over dit bericht? Neem contact op met {name}:",
    privacy_label: "Privacyverklaring",
    downloads_left: "nog {n} keer te downloaden",
    reason_limit: "downloadlimiet bereikt",
    withdrawn_label: "ingetrokken door de afzender",
    zip_note_name: "Niet in deze zip.txt",
    zip_note_intro: "Deze bestanden zitten niet in deze zip:",
    session_ended_title: "Je sessie is verlopen",
    back_to_message: "Terug naar het bericht",
    language_label: "Taal",
    view_file: "Bekijken",
    show_password: "Wachtwoord tonen",
    home_title: "Beveiligde berichten",
    home_text: "Via deze server ontvang je beveiligde berichten en bestanden van organisaties die Zegel gebruiken. Open de link in de e-mail die je hebt ontvangen om je bericht te lezen.",
};

const EN: Texts = Texts {
    lang: "en",
    neutral_subject: "Secure message",
    notify_subject_message: "Secure message: {subject}",
    notify_subject_files: "Secure files: {subject}",
    neutral_subject_files: "Secure files",
    notify_subject_public: "Files: {subject}",
    neutral_subject_public: "Files",
    notify_intro_message: "Click the button to open the secure message \"{subject}\" you received from {sender}.",
    notify_intro_message_untitled: "{sender} sent you a secure message. Click the button to open it.",
    notify_intro_files: "You received secure files from {sender}. Click the button to download them.",
    notify_intro_public: "{sender} sent you files. Click the button to download them.",
    button_open_message: "Open message",
    button_download_files: "Download files",
    link_expires: "Link expires on {date} at {time}",
    link_host: "The button opens a page on {host}.",
    footer: "Sent securely with Zegel.",
    password_subject: "Your password for \"{subject}\"",
    password_subject_untitled: "Your password for the secure message",
    password_intro: "Use this password to open \"{subject}\" that you received from {sender}:",
    password_intro_untitled: "Use this password to open the secure message from {sender}:",
    password_valid: "The password is valid for {minutes} minutes. A new password replaces the previous one.",
    password_note: "Did not ask for it? Then you can ignore this e-mail.",
    channel_intro: "This is a secure channel to access the message \"{subject}\" you received from {sender}.",
    channel_intro_untitled: "{sender} sent you a secure message.",
    send_password_intro: "We will send you a unique password to access your message. The sender asked us to send the password to this e-mail address:",
    button_send_password: "Send my password",
    enter_password_email: "Enter the password we sent you by e-mail.",
    enter_password_other: "Enter the password the sender gave you.",
    password_label: "Password",
    button_open: "Open",
    resend: "Didn't get it? Send a new password",
    password_sent: "We sent a password to your e-mail address.",
    wrong_password: "That password is not correct or has expired. Try again or ask for a new one.",
    too_many_attempts: "Too many attempts. Try again in {n} seconds.",
    too_many_attempts_minutes: "Too many attempts. Try again in {n} minutes.",
    too_many_sends: "You asked for a password too often in the last hour. Try again later.",
    locked: "Access to this message is locked after too many failed attempts. Ask the sender to unlock it.",
    unavailable_title: "This link is not available",
    unavailable_text: "The link has expired, was withdrawn by the sender, or does not exist. If you still need the message, ask the sender to send it again.",
    limit_title: "Download limit reached",
    limit_text: "This file has been downloaded as often as the sender allowed.",
    session_ended: "Your session has ended. Open the link from the e-mail again.",
    from_label: "From",
    files_label: "Files",
    download_all: "Download all (ZIP)",
    available_until: "Available until",
    public_files_intro: "{sender} sent you files. Download them one by one or all at once.",
    secure_badge: "Protected by Zegel",
    send_code_intro: "We will send you a unique SMS code to access the message. The sender asked us to send the SMS code to this phone number:",
    button_send_code: "Send my SMS code",
    enter_code: "Enter the SMS code we sent you.",
    code_label: "SMS code",
    resend_code: "Didn't get one? Send a new code",
    code_sent: "We sent an SMS code to your phone.",
    too_many_code_sends: "You asked for an SMS code too often in the last hour. Try again later.",
    wrong_code: "That code is not correct or has expired. Try again or ask for a new one.",
    busy: "Too many sign-ins are being checked right now. Try again in a few seconds; nothing was counted.",
    sign_out: "Sign out",
    signed_out_title: "You are signed out",
    signed_out_text: "Your session has ended. To see the message again, open the link from the e-mail.",
    support_intro: "Questions about this message? Contact {name}:",
    privacy_label: "Privacy statement",
    downloads_left: "{n} downloads left",
    reason_limit: "download limit reached",
    withdrawn_label: "withdrawn by the sender",
    zip_note_name: "Not in this zip.txt",
    zip_note_intro: "These files are not in this zip:",
    session_ended_title: "Your session has ended",
    back_to_message: "Back to the message",
    language_label: "Language",
    view_file: "View",
    show_password: "Show password",
    home_title: "Secure messages",
    home_text: "Through this server you receive secure messages and files from organisations that use Zegel. Open the link in the e-mail you received to read your message.",
};

const SV: Texts = Texts {
    lang: "sv",
    neutral_subject: "Säkert meddelande",
    notify_subject_message: "Säkert meddelande: {subject}",
    notify_subject_files: "Säkra filer: {subject}",
    neutral_subject_files: "Säkra filer",
    notify_subject_public: "Filer: {subject}",
    neutral_subject_public: "Filer",
    notify_intro_message: "Klicka på knappen för att öppna det säkra meddelandet \"{subject}\" som du har fått från {sender}.",
    notify_intro_message_untitled: "{sender} har skickat ett säkert meddelande till dig. Klicka på knappen för att öppna det.",
    notify_intro_files: "Du har fått säkra filer från {sender}. Klicka på knappen för att ladda ner dem.",
    notify_intro_public: "{sender} har skickat filer till dig. Klicka på knappen för att ladda ner dem.",
    button_open_message: "Öppna meddelandet",
    button_download_files: "Ladda ner filer",
    link_expires: "Länken upphör att gälla {date} kl. {time}",
    link_host: "Knappen öppnar en sida på {host}.",
    footer: "Säkert skickat med Zegel.",
    password_subject: "Ditt lösenord för \"{subject}\"",
    password_subject_untitled: "Ditt lösenord för det säkra meddelandet",
    password_intro: "Använd det här lösenordet för att öppna \"{subject}\" som du har fått från {sender}:",
    password_intro_untitled: "Använd det här lösenordet för att öppna det säkra meddelandet från {sender}:",
    password_valid: "Lösenordet gäller i {minutes} minuter. Ett nytt lösenord ersätter det föregående.",
    password_note: "Har du inte bett om det? Då kan du bortse från det här mejlet.",
    channel_intro: "Det här är en säker kanal för att komma åt meddelandet \"{subject}\" som du har fått från {sender}.",
    channel_intro_untitled: "{sender} har skickat ett säkert meddelande till dig.",
    send_password_intro: "Vi skickar ett unikt lösenord till dig för att komma åt meddelandet. Avsändaren har bett oss skicka lösenordet till den här e-postadressen:",
    button_send_password: "Skicka mitt lösenord",
    enter_password_email: "Ange lösenordet som vi skickade till dig via e-post.",
    enter_password_other: "Ange lösenordet som du har fått av avsändaren.",
    password_label: "Lösenord",
    button_open: "Öppna",
    resend: "Inte fått det? Skicka ett nytt lösenord",
    password_sent: "Vi har skickat ett lösenord till din e-postadress.",
    wrong_password: "Lösenordet är fel eller har gått ut. Försök igen eller begär ett nytt.",
    too_many_attempts: "För många försök. Försök igen om {n} sekunder.",
    too_many_attempts_minutes: "För många försök. Försök igen om {n} minuter.",
    too_many_sends: "Du har begärt ett lösenord för många gånger den senaste timmen. Försök igen senare.",
    locked: "Åtkomsten till meddelandet är spärrad efter för många misslyckade försök. Be avsändaren att låsa upp den.",
    unavailable_title: "Länken är inte tillgänglig",
    unavailable_text: "Länken har gått ut, har dragits tillbaka av avsändaren eller finns inte. Behöver du fortfarande meddelandet? Be avsändaren skicka det igen.",
    limit_title: "Nedladdningsgränsen är nådd",
    limit_text: "Filen har laddats ner så många gånger som avsändaren tillät.",
    session_ended: "Din session har upphört. Öppna länken i mejlet igen.",
    from_label: "Från",
    files_label: "Filer",
    download_all: "Ladda ner alla (ZIP)",
    available_until: "Tillgänglig till",
    public_files_intro: "{sender} har skickat filer till dig. Ladda ner dem en i taget eller alla på en gång.",
    secure_badge: "Skyddat av Zegel",
    send_code_intro: "Vi skickar en unik sms-kod till dig för att komma åt meddelandet. Avsändaren har bett oss skicka sms-koden till det här telefonnumret:",
    button_send_code: "Skicka min sms-kod",
    enter_code: "Ange sms-koden som vi skickade till dig.",
    code_label: "Sms-kod",
    resend_code: "Inte fått någon? Skicka en ny kod",
    code_sent: "Vi har skickat en sms-kod till din telefon.",
    too_many_code_sends: "Du har begärt en sms-kod för många gånger den senaste timmen. Försök igen senare.",
    wrong_code: "Koden är fel eller har gått ut. Försök igen eller begär en ny.",
    busy: "Just nu kontrolleras för många inloggningar. Försök igen om några sekunder; inget räknades.",
    sign_out: "Logga ut",
    signed_out_title: "Du är utloggad",
    signed_out_text: "Din session har avslutats. Öppna länken i mejlet för att se meddelandet igen.",
    support_intro: "Frågor om meddelandet? Kontakta {name}:",
    privacy_label: "Integritetspolicy",
    downloads_left: "kan laddas ner {n} gånger till",
    reason_limit: "nedladdningsgränsen är nådd",
    withdrawn_label: "återkallad av avsändaren",
    zip_note_name: "Inte i denna zip.txt",
    zip_note_intro: "De här filerna finns inte i denna zip:",
    session_ended_title: "Din session har upphört",
    back_to_message: "Tillbaka till meddelandet",
    language_label: "Språk",
    view_file: "Visa",
    show_password: "Visa lösenordet",
    home_title: "Säkra meddelanden",
    home_text: "Via den här servern tar du emot säkra meddelanden och filer från organisationer som använder Zegel. Öppna länken i mejlet du har fått för att läsa ditt meddelande.",
};

/// The texts of a language, Dutch in the formal "u".
pub fn texts(language: Language) -> &'static Texts {
    texts_for(language, FormOfAddress::U)
}

/// The texts of a language, Dutch in the tenant's form of address.
pub fn texts_for(language: Language, form: FormOfAddress) -> &'static Texts {
    if (language, form) == (Language::Nl, FormOfAddress::Je) {
        return &NL_JE;
    }
    match language {
        Language::Nl => &NL,
        Language::En => &EN,
        Language::Sv => &SV,
    }
}

/// Replaces `{name}` placeholders in `template`.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = template.to_owned();
    for (name, value) in values {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

/// A moment as the date and the time `language` writes ("17 december 2026", "14:30"), in the
/// configured time zone.
pub fn date_and_time(millis: i64, timezone: &str, language: Language) -> (String, String) {
    let tz = jiff::tz::TimeZone::get(timezone).unwrap_or(jiff::tz::TimeZone::UTC);
    let zoned = jiff::Timestamp::from_millisecond(millis)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .to_zoned(tz);
    let (month, day) = (zoned.month().unsigned_abs(), zoned.day().unsigned_abs());
    (
        zegel_core::format::date(language, zoned.year().into(), month, day),
        zegel_core::format::time(zoned.hour().unsigned_abs(), zoned.minute().unsigned_abs()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_placeholders_and_formats_dates() {
        assert_eq!(fill("a {x} b {y}", &[("x", "1"), ("y", "2")]), "a 1 b 2");
        // 2022-11-24T12:35Z is 13:35 in Amsterdam (winter time), the example of seed 000.
        let (date, time) = date_and_time(1_669_293_300_000, "Europe/Amsterdam", Language::Nl);
        assert_eq!(
            (date.as_str(), time.as_str()),
            ("24 november 2022", "13:35")
        );
        let (date, _) = date_and_time(1_669_293_300_000, "Europe/Stockholm", Language::Sv);
        assert_eq!(date, "2022-11-24");
    }

    #[test]
    fn every_language_has_the_placeholders_it_needs() {
        for language in Language::ALL {
            let t = texts(language);
            assert!(
                t.notify_intro_message.contains("{subject}")
                    && t.notify_intro_message.contains("{sender}")
            );
            assert!(t.link_expires.contains("{date}") && t.link_expires.contains("{time}"));
            assert!(t.channel_intro.contains("{subject}") && t.channel_intro.contains("{sender}"));
            assert!(t.password_intro.contains("{subject}"));
            for untitled in [
                t.notify_intro_message_untitled,
                t.password_subject_untitled,
                t.password_intro_untitled,
                t.channel_intro_untitled,
            ] {
                assert!(!untitled.contains("{subject}"), "{untitled}");
            }
            assert!(t.password_valid.contains("{minutes}"));
            assert!(
                t.too_many_attempts.contains("{n}") && t.too_many_attempts_minutes.contains("{n}")
            );
        }
    }

    #[test]
    fn dutch_says_u_and_keeps_to_one_glossary() {
        let all = format!("{NL:?}");
        let words: Vec<&str> = all
            .split(|c: char| !c.is_alphanumeric() && c != '-')
            .collect();
        // The formal "u" throughout, as hospitals, municipalities and law firms write.
        for informal in ["je", "Je", "jij", "jouw", "Jouw", "jou"] {
            assert!(!words.contains(&informal), "'{informal}' in {all}");
        }
        // And the informal table, for tenants that choose "je", is informal throughout.
        let informal = format!("{NL_JE:?}");
        let informal_words: Vec<&str> = informal
            .split(|c: char| !c.is_alphanumeric() && c != '-')
            .collect();
        for formal in [
            "u", "U", "uw", "Uw", "wij", "Wij", "mij", "Hebt", "kunt", "Wilt",
        ] {
            assert!(
                !informal_words.contains(&formal),
                "'{formal}' in {informal}"
            );
        }
        // One word per thing: sms-code, afzender, beveiligd(e); no loan words or variants.
        for variant in [
            "SMS-code",
            "verzender",
            "veilige",
            "secuur",
            "twee-factor",
            "custom",
            "Creëer",
        ] {
            assert!(!all.contains(variant), "'{variant}' in {all}");
        }
    }
}
