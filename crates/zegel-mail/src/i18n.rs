//! The words of the portal and the e-mails, in Dutch, English and Swedish.
//!
//! One [`Texts`] value per language, checked by the compiler for completeness. Sentences with a
//! `{name}` placeholder are filled by [`fill`]; templates escape the result, so values are never
//! inserted into HTML unescaped.

use zegel_core::Language;

/// Every sentence a recipient or sender may read, in one language.
#[derive(Debug)]
#[allow(missing_docs)]
pub struct Texts {
    pub lang: &'static str,
    pub neutral_subject: &'static str,
    pub notify_subject_message: &'static str,
    pub notify_subject_files: &'static str,
    pub notify_intro_message: &'static str,
    pub notify_intro_files: &'static str,
    pub button_open_message: &'static str,
    pub button_download_files: &'static str,
    pub link_expires: &'static str,
    pub footer: &'static str,
    pub password_subject: &'static str,
    pub password_intro: &'static str,
    pub password_note: &'static str,
    pub channel_intro: &'static str,
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
}

const NL: Texts = Texts {
    lang: "nl",
    neutral_subject: "Beveiligd bericht",
    notify_subject_message: "Beveiligd bericht: {subject}",
    notify_subject_files: "Beveiligde bestanden: {subject}",
    notify_intro_message: "Klik op de knop om het beveiligde bericht \"{subject}\" te openen dat je hebt ontvangen van {sender}.",
    notify_intro_files: "Je hebt veilige bestanden ontvangen van {sender}. Klik op de knop om ze te downloaden.",
    button_open_message: "Open bericht",
    button_download_files: "Download bestanden",
    link_expires: "Link verloopt op {date} om {time}",
    footer: "Veilig verstuurd met Zegel.",
    password_subject: "Je wachtwoord voor \"{subject}\"",
    password_intro: "Gebruik dit wachtwoord om \"{subject}\" te openen dat je hebt ontvangen van {sender}:",
    password_note: "Heb je hier niet om gevraagd? Dan kun je deze e-mail negeren.",
    channel_intro: "Dit is een beveiligd kanaal om toegang te krijgen tot het bericht \"{subject}\" dat je hebt ontvangen van {sender}.",
    send_password_intro: "We sturen je een uniek wachtwoord om toegang te krijgen tot je bericht. De verzender heeft verzocht het wachtwoord naar dit e-mailadres te sturen:",
    button_send_password: "Stuur mijn wachtwoord",
    enter_password_email: "Voer het wachtwoord in dat je per e-mail hebt ontvangen.",
    enter_password_other: "Voer het wachtwoord in dat je van de verzender hebt gekregen.",
    password_label: "Wachtwoord",
    button_open: "Openen",
    resend: "Niet ontvangen? Stuur een nieuw wachtwoord",
    password_sent: "We hebben een wachtwoord naar je e-mailadres gestuurd.",
    wrong_password: "Dit wachtwoord klopt niet of is verlopen. Probeer het opnieuw of vraag een nieuw wachtwoord aan.",
    too_many_attempts: "Te veel pogingen. Wacht even en probeer het dan opnieuw.",
    too_many_sends: "Je hebt het afgelopen uur te vaak een wachtwoord aangevraagd. Probeer het later opnieuw.",
    locked: "De toegang tot dit bericht is geblokkeerd na te veel mislukte pogingen. Vraag de verzender om het te deblokkeren.",
    unavailable_title: "Deze link is niet beschikbaar",
    unavailable_text: "De link is verlopen, door de verzender ingetrokken of bestaat niet. Heb je het bericht nog nodig? Vraag de verzender het opnieuw te sturen.",
    limit_title: "Downloadlimiet bereikt",
    limit_text: "Dit bestand is zo vaak gedownload als de verzender heeft toegestaan.",
    session_ended: "Je sessie is afgelopen. Open de link uit de e-mail opnieuw.",
    from_label: "Van",
    files_label: "Bestanden",
    download_all: "Download alles (ZIP)",
    available_until: "Beschikbaar tot",
    public_files_intro: "{sender} heeft je bestanden gestuurd. Download ze één voor één of allemaal tegelijk.",
    secure_badge: "Beveiligd door Zegel",
    send_code_intro: "We sturen je een unieke SMS-code voor toegang tot het bericht. De verzender heeft verzocht de SMS-code naar dit telefoonnummer te sturen:",
    button_send_code: "Stuur mijn SMS-code",
    enter_code: "Voer de SMS-code in die je is toegestuurd.",
    code_label: "SMS-code",
    resend_code: "Niet ontvangen? Stuur een nieuwe code",
    code_sent: "We hebben een SMS-code naar je telefoon gestuurd.",
    too_many_code_sends: "Je hebt het afgelopen uur te vaak een SMS-code aangevraagd. Probeer het later opnieuw.",
    wrong_code: "Deze code klopt niet of is verlopen. Probeer het opnieuw of vraag een nieuwe code aan.",
    busy: "Er wordt op dit moment erg vaak geprobeerd in te loggen. Probeer het over een paar seconden opnieuw; er is niets meegeteld.",
    sign_out: "Afmelden",
    signed_out_title: "U bent afgemeld",
    signed_out_text: "Uw sessie is beëindigd. Wilt u het bericht opnieuw bekijken, open dan de link uit de e-mail.",
};

const EN: Texts = Texts {
    lang: "en",
    neutral_subject: "Secure message",
    notify_subject_message: "Secure message: {subject}",
    notify_subject_files: "Secure files: {subject}",
    notify_intro_message: "Click the button to open the secure message \"{subject}\" you received from {sender}.",
    notify_intro_files: "You received secure files from {sender}. Click the button to download them.",
    button_open_message: "Open message",
    button_download_files: "Download files",
    link_expires: "Link expires on {date} at {time}",
    footer: "Sent securely with Zegel.",
    password_subject: "Your password for \"{subject}\"",
    password_intro: "Use this password to open \"{subject}\" that you received from {sender}:",
    password_note: "Did not ask for it? Then you can ignore this e-mail.",
    channel_intro: "This is a secure channel to access the message \"{subject}\" you received from {sender}.",
    send_password_intro: "We will send you a unique password to access your message. The sender asked us to send the password to this e-mail address:",
    button_send_password: "Send my password",
    enter_password_email: "Enter the password we sent you by e-mail.",
    enter_password_other: "Enter the password the sender gave you.",
    password_label: "Password",
    button_open: "Open",
    resend: "Didn't get it? Send a new password",
    password_sent: "We sent a password to your e-mail address.",
    wrong_password: "That password is not correct or has expired. Try again or ask for a new one.",
    too_many_attempts: "Too many attempts. Wait a moment, then try again.",
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
};

const SV: Texts = Texts {
    lang: "sv",
    neutral_subject: "Säkert meddelande",
    notify_subject_message: "Säkert meddelande: {subject}",
    notify_subject_files: "Säkra filer: {subject}",
    notify_intro_message: "Klicka på knappen för att öppna det säkra meddelandet \"{subject}\" som du har fått från {sender}.",
    notify_intro_files: "Du har fått säkra filer från {sender}. Klicka på knappen för att ladda ner dem.",
    button_open_message: "Öppna meddelandet",
    button_download_files: "Ladda ner filer",
    link_expires: "Länken upphör att gälla {date} kl. {time}",
    footer: "Säkert skickat med Zegel.",
    password_subject: "Ditt lösenord för \"{subject}\"",
    password_intro: "Använd det här lösenordet för att öppna \"{subject}\" som du har fått från {sender}:",
    password_note: "Har du inte bett om det? Då kan du bortse från det här mejlet.",
    channel_intro: "Det här är en säker kanal för att komma åt meddelandet \"{subject}\" som du har fått från {sender}.",
    send_password_intro: "Vi skickar ett unikt lösenord till dig för att komma åt meddelandet. Avsändaren har bett oss skicka lösenordet till den här e-postadressen:",
    button_send_password: "Skicka mitt lösenord",
    enter_password_email: "Ange lösenordet som vi skickade till dig via e-post.",
    enter_password_other: "Ange lösenordet som du har fått av avsändaren.",
    password_label: "Lösenord",
    button_open: "Öppna",
    resend: "Inte fått det? Skicka ett nytt lösenord",
    password_sent: "Vi har skickat ett lösenord till din e-postadress.",
    wrong_password: "Lösenordet är fel eller har gått ut. Försök igen eller begär ett nytt.",
    too_many_attempts: "För många försök. Vänta en stund och försök sedan igen.",
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
};

/// The texts of a language.
pub fn texts(language: Language) -> &'static Texts {
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

/// A date and time as `dd/mm/yyyy` and `HH:MM` in the configured time zone.
pub fn date_and_time(millis: i64, timezone: &str) -> (String, String) {
    let tz = jiff::tz::TimeZone::get(timezone).unwrap_or(jiff::tz::TimeZone::UTC);
    let zoned = jiff::Timestamp::from_millisecond(millis)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .to_zoned(tz);
    (
        zoned.strftime("%d/%m/%Y").to_string(),
        zoned.strftime("%H:%M").to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_placeholders_and_formats_dates() {
        assert_eq!(fill("a {x} b {y}", &[("x", "1"), ("y", "2")]), "a 1 b 2");
        // 2022-11-24T12:35Z is 13:35 in Amsterdam (winter time), the example of seed 000.
        let (date, time) = date_and_time(1_669_293_300_000, "Europe/Amsterdam");
        assert_eq!((date.as_str(), time.as_str()), ("24/11/2022", "13:35"));
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
        }
    }
}
