//! Everything the pane says, in Dutch, English and Swedish, chosen from Outlook's display language.
//! Each language is one [`Texts`] value, so a missing text is a compile error, not a blank button.

use zegel_core::Language;
use zegel_core::policy::Warning;
use zegel_core::upload_request::FileType;

/// The pane's texts in one language.
#[derive(Debug, PartialEq, Eq)]
pub struct Texts {
    /// The language.
    pub language: Language,
    /// Shown while Office.js and the settings load.
    pub loading: &'static str,
    /// Shown when the page is opened outside Outlook.
    pub not_in_outlook: &'static str,
    /// The toggle's label.
    pub toggle: &'static str,
    /// When the tenant forces secure sending.
    pub forced: &'static str,
    /// Message-kind picker.
    pub kind_legend: &'static str,
    /// Public files.
    pub kind_public_files: &'static str,
    /// Public files, explained.
    pub kind_public_files_hint: &'static str,
    /// Secure files.
    pub kind_secure_files: &'static str,
    /// Secure files, explained.
    pub kind_secure_files_hint: &'static str,
    /// Secure message.
    pub kind_secure_message: &'static str,
    /// Secure message, explained.
    pub kind_secure_message_hint: &'static str,
    /// Secure upload request.
    pub kind_upload_request: &'static str,
    /// Secure upload request, explained.
    pub kind_upload_request_hint: &'static str,
    /// The upload request dialog's heading.
    pub upload_dialog_title: &'static str,
    /// The template picker.
    pub upload_template: &'static str,
    /// The picker's choice of no template.
    pub upload_no_template: &'static str,
    /// Without a template: where the request's message comes from.
    pub upload_own_text: &'static str,
    /// Before the chosen template's text.
    pub upload_template_text: &'static str,
    /// The file type checkboxes.
    pub upload_types_legend: &'static str,
    /// What no ticked type means.
    pub upload_types_hint: &'static str,
    /// The summary when any type is allowed.
    pub upload_any_type: &'static str,
    /// Before the allowed types in the summary.
    pub upload_allowed: &'static str,
    /// The summary's message line without a template.
    pub upload_message_own: &'static str,
    /// Reopens the dialog.
    pub upload_change: &'static str,
    /// Closes a dialog without keeping its choices.
    pub cancel: &'static str,
    /// An upload request with attachments.
    pub upload_attachments: &'static str,
    /// A server without upload requests.
    pub upload_unavailable: &'static str,
    /// Done, for an upload request.
    pub upload_sent_title: &'static str,
    /// Authentication picker.
    pub level_legend: &'static str,
    /// 1FA.
    pub level_1fa: &'static str,
    /// 2FA.
    pub level_2fa: &'static str,
    /// Password options.
    pub password_legend: &'static str,
    /// Generated password.
    pub password_generated: &'static str,
    /// What a generated password means.
    pub password_generated_hint: &'static str,
    /// Custom password.
    pub password_custom: &'static str,
    /// The custom password field.
    pub password_input: &'static str,
    /// Eye button, reveal.
    pub show_password: &'static str,
    /// Eye button, hide.
    pub hide_password: &'static str,
    /// Copy button.
    pub copy: &'static str,
    /// After copying.
    pub copied: &'static str,
    /// While the strength checker loads or runs.
    pub strength_checking: &'static str,
    /// A strong password.
    pub strength_strong: &'static str,
    /// A weak password.
    pub strength_weak: &'static str,
    /// Heading of the list of what a password lacks.
    pub strength_missing: &'static str,
    /// The strength checker could not be loaded.
    pub strength_unavailable: &'static str,
    /// The recipients' language picker.
    pub recipients_language: &'static str,
    /// Send via.
    pub deliver_legend: &'static str,
    /// By e-mail.
    pub deliver_email: &'static str,
    /// Another way.
    pub deliver_other: &'static str,
    /// Another way, explained.
    pub deliver_other_hint: &'static str,
    /// Phone numbers section.
    pub phones_legend: &'static str,
    /// A valid phone number.
    pub phone_valid: &'static str,
    /// An invalid phone number.
    pub phone_invalid: &'static str,
    /// A landline or service number.
    pub phone_not_mobile: &'static str,
    /// While the number is checked.
    pub phone_checking: &'static str,
    /// The country picker of a phone number.
    pub phone_country: &'static str,
    /// File settings (the gear).
    pub file_settings: &'static str,
    /// Expiry field.
    pub expiry: &'static str,
    /// Download limit field.
    pub downloads: &'static str,
    /// Download limit, explained.
    pub downloads_hint: &'static str,
    /// The checkbox for a confirmation mail to the sender.
    pub confirm_to_sender: &'static str,
    /// The checkbox for a mail on each download.
    pub notify_on_download: &'static str,
    /// Next.
    pub next: &'static str,
    /// Back.
    pub back: &'static str,
    /// Send.
    pub send: &'static str,
    /// The wizard's title.
    pub confirm_title: &'static str,
    /// Confirm attachments.
    pub confirm_files: &'static str,
    /// Confirm recipients.
    pub confirm_recipients: &'static str,
    /// Without recipients.
    pub no_recipients: &'static str,
    /// While uploading.
    pub sending: &'static str,
    /// The files' upload, with `{percent}`.
    pub uploading: &'static str,
    /// Done.
    pub sent_title: &'static str,
    /// When the add-in cannot send by itself.
    pub press_send: &'static str,
    /// After Outlook's Send was stopped because Zegel is on, while options are missing.
    pub send_pressed: &'static str,
    /// A generated password the sender must pass on.
    pub tell_password: &'static str,
    /// A generated password the sender passed on, after sending.
    pub told_password: &'static str,
    /// A generated password Zegel e-mailed to the recipient.
    pub emailed_password: &'static str,
    /// The heading while the draft waits for the sender to note the password.
    pub almost_sent: &'static str,
    /// Sends the draft after the password was noted.
    pub send_mail: &'static str,
    /// Verdict: notify.
    pub verdict_notify: &'static str,
    /// Verdict: switched on.
    pub verdict_auto: &'static str,
    /// Verdict: forced.
    pub verdict_force: &'static str,
    /// Before the list of findings.
    pub found: &'static str,
    /// Sign-in heading.
    pub signin_title: &'static str,
    /// Sign-in explanation.
    pub signin_hint: &'static str,
    /// The token field.
    pub token_label: &'static str,
    /// Save.
    pub save: &'static str,
    /// The token was refused.
    pub signin_failed: &'static str,
    /// The server is unreachable.
    pub network_error: &'static str,
    /// Something went wrong.
    pub failed: &'static str,
    /// Before the names of attachments the live verdict could not check.
    pub unscanned: &'static str,
    /// The log & block pane.
    pub log: &'static LogTexts,
}

/// Dutch.
pub const NL: Texts = Texts {
    language: Language::Nl,
    loading: "Zegel wordt geladen…",
    not_in_outlook: "Open Zegel vanuit Outlook.",
    toggle: "Veilig versturen met Zegel",
    forced: "Uw organisatie verplicht dat deze e-mail veilig wordt verstuurd.",
    kind_legend: "Berichttype",
    kind_public_files: "Openbare bestanden",
    kind_public_files_hint: "Bestanden versleuteld, geen authenticatie; de tekst blijft leesbaar.",
    kind_secure_files: "Beveiligde bestanden",
    kind_secure_files_hint: "Bestanden versleuteld, de ontvanger moet zich authenticeren; de tekst blijft leesbaar.",
    kind_secure_message: "Beveiligd bericht",
    kind_secure_message_hint: "Tekst en bestanden versleuteld, de ontvanger moet zich authenticeren.",
    kind_upload_request: "Beveiligd uploadverzoek",
    kind_upload_request_hint: "U vraagt bestanden op; de ontvanger bevestigt het e-mailadres met een code en uploadt de bestanden versleuteld.",
    upload_dialog_title: "Beveiligd uploadverzoek",
    upload_template: "Sjabloon",
    upload_no_template: "Geen sjabloon (eigen tekst)",
    upload_own_text: "De tekst van uw e-mail wordt het bericht op de uploadpagina.",
    upload_template_text: "Het bericht op de uploadpagina, in de taal van de ontvangers:",
    upload_types_legend: "Toegestane bestandstypen",
    upload_types_hint: "Niets aangevinkt: elk bestandstype is toegestaan.",
    upload_any_type: "Elk bestandstype",
    upload_allowed: "Toegestaan:",
    upload_message_own: "Bericht: de tekst van uw e-mail",
    upload_change: "Wijzigen",
    cancel: "Annuleren",
    upload_attachments: "Een uploadverzoek kan geen bijlagen meesturen. Verwijdert u de bijlagen, of kiest u een ander berichttype.",
    upload_unavailable: "Deze Zegel-server kan (nog) geen uploadverzoeken versturen.",
    upload_sent_title: "Uploadverzoek verzonden",
    level_legend: "Authenticatie",
    level_1fa: "Een-factor authenticatie (wachtwoord)",
    level_2fa: "Tweefactorauthenticatie (sms)",
    password_legend: "Wachtwoord",
    password_generated: "Automatisch gegenereerd wachtwoord",
    password_generated_hint: "Zegel maakt een veilig wachtwoord. Via e-mail krijgt de ontvanger het in een aparte e-mail; via Anders ziet u het na het verzenden.",
    password_custom: "Zelf een wachtwoord kiezen",
    password_input: "Uw wachtwoord",
    show_password: "Toon wachtwoord",
    hide_password: "Verberg wachtwoord",
    copy: "Kopieer",
    copied: "Gekopieerd",
    strength_checking: "Wachtwoord wordt gecontroleerd…",
    strength_strong: "Veilig wachtwoord",
    strength_weak: "Nog niet veilig genoeg",
    strength_missing: "Wat uw wachtwoord nog nodig heeft:",
    strength_unavailable: "De wachtwoordcontrole kon niet worden geladen.",
    recipients_language: "Taal voor de ontvangers",
    deliver_legend: "Verzend via",
    deliver_email: "E-mail",
    deliver_other: "Anders",
    deliver_other_hint: "U vertelt de ontvanger het wachtwoord zelf, bijvoorbeeld telefonisch.",
    phones_legend: "Mobiele nummers voor de sms-code",
    phone_valid: "Geldig nummer",
    phone_invalid: "Vul een mobiel nummer in, bijvoorbeeld 06 12345678",
    phone_not_mobile: "Dit is geen mobiel nummer (bijvoorbeeld een vast nummer): het kan geen sms ontvangen.",
    phone_checking: "Nummer wordt gecontroleerd…",
    phone_country: "Land van het nummer",
    file_settings: "Bestandsinstellingen",
    expiry: "Link verloopt na (dagen)",
    downloads: "Aantal downloads",
    downloads_hint: "Leeg: onbeperkt",
    confirm_to_sender: "Stuur mij een bevestiging",
    notify_on_download: "Stuur mij een melding bij elke download",
    next: "Volgende",
    back: "Terug",
    send: "Verzenden",
    confirm_title: "Ontvanger en bestanden bevestigen",
    confirm_files: "Bevestig uw bijlagen",
    confirm_recipients: "Bevestig uw ontvangers",
    no_recipients: "Voeg eerst een ontvanger toe in Outlook.",
    sending: "Veilig verzenden…",
    uploading: "Bestanden uploaden: {percent} %",
    sent_title: "Veilig verzonden",
    send_pressed: "U klikte op Verzenden terwijl Zegel aan staat. Kies de beveiliging en klik op Volgende om de ontvangers en bestanden te bevestigen.",
    press_send: "Klik in Outlook op Verzenden om af te ronden: de e-mail bevat nu alleen de melding.",
    tell_password: "Vertel de ontvanger dit wachtwoord zelf:",
    told_password: "Het wachtwoord dat u de ontvanger zelf vertelt:",
    emailed_password: "Zegel stuurt de ontvanger dit wachtwoord in een aparte e-mail:",
    almost_sent: "Bijna verzonden",
    send_mail: "E-mail verzenden",
    verdict_notify: "Zegel vond gevoelige informatie. Wij raden u aan deze e-mail veilig te versturen.",
    verdict_auto: "Zegel vond gevoelige informatie en is ingeschakeld. U kunt Zegel uitschakelen.",
    verdict_force: "Zegel vond gevoelige informatie. Uw organisatie verplicht veilig versturen.",
    found: "Gevonden:",
    signin_title: "Aanmelden bij Zegel",
    signin_hint: "Plak uw afzendertoken (van zegel admin token).",
    token_label: "Afzendertoken",
    save: "Opslaan",
    signin_failed: "Dit token werd niet geaccepteerd.",
    network_error: "De Zegel-server is niet bereikbaar.",
    failed: "Er ging iets mis:",
    unscanned: "Niet gecontroleerd (bijgevoegde e-mails, cloudbestanden en zeer grote bestanden):",
    log: &LOG_NL,
};

/// English.
pub const EN: Texts = Texts {
    language: Language::En,
    loading: "Loading Zegel…",
    not_in_outlook: "Open Zegel from Outlook.",
    toggle: "Send securely with Zegel",
    forced: "Your organisation requires this e-mail to be sent securely.",
    kind_legend: "Message type",
    kind_public_files: "Public files",
    kind_public_files_hint: "Files encrypted, no authentication; the text stays readable.",
    kind_secure_files: "Secure files",
    kind_secure_files_hint: "Files encrypted, the recipient must authenticate; the text stays readable.",
    kind_secure_message: "Secure message",
    kind_secure_message_hint: "Text and files encrypted, the recipient must authenticate.",
    kind_upload_request: "Secure upload request",
    kind_upload_request_hint: "You ask for files; the recipient confirms their address with a code and uploads them encrypted.",
    upload_dialog_title: "Secure upload request",
    upload_template: "Template",
    upload_no_template: "No template (your own text)",
    upload_own_text: "The text of your e-mail becomes the message on the upload page.",
    upload_template_text: "The message on the upload page, in the recipients' language:",
    upload_types_legend: "Allowed file types",
    upload_types_hint: "Nothing ticked: any file type is allowed.",
    upload_any_type: "Any file type",
    upload_allowed: "Allowed:",
    upload_message_own: "Message: the text of your e-mail",
    upload_change: "Change",
    cancel: "Cancel",
    upload_attachments: "An upload request cannot carry attachments. Remove them, or choose another message type.",
    upload_unavailable: "This Zegel server cannot send upload requests (yet).",
    upload_sent_title: "Upload request sent",
    level_legend: "Authentication",
    level_1fa: "One-factor authentication (password)",
    level_2fa: "Two-factor authentication (SMS)",
    password_legend: "Password",
    password_generated: "Automatically generated password",
    password_generated_hint: "Zegel makes a strong password. Via e-mail the recipient gets it in a separate e-mail; via Other you see it after sending.",
    password_custom: "Create a custom password",
    password_input: "Your password",
    show_password: "Show password",
    hide_password: "Hide password",
    copy: "Copy",
    copied: "Copied",
    strength_checking: "Checking the password…",
    strength_strong: "Strong password",
    strength_weak: "Not strong enough yet",
    strength_missing: "What your password still needs:",
    strength_unavailable: "The password check could not be loaded.",
    recipients_language: "Recipients' language",
    deliver_legend: "Send via",
    deliver_email: "E-mail",
    deliver_other: "Other",
    deliver_other_hint: "You tell the recipient the password yourself, for example by phone.",
    phones_legend: "Mobile numbers for the SMS code",
    phone_valid: "Valid number",
    phone_invalid: "Enter a mobile number, for example +31 6 12345678",
    phone_not_mobile: "This is not a mobile number (a landline, for example): it cannot receive SMS.",
    phone_checking: "Checking the number…",
    phone_country: "Country of the number",
    file_settings: "File settings",
    expiry: "Link expires after (days)",
    downloads: "Download limit",
    downloads_hint: "Empty: unlimited",
    confirm_to_sender: "Send me a confirmation",
    notify_on_download: "Tell me about each download",
    next: "Next",
    back: "Back",
    send: "Send",
    confirm_title: "Confirm recipients and files",
    confirm_files: "Confirm your attachments",
    confirm_recipients: "Confirm your recipients",
    no_recipients: "Add a recipient in Outlook first.",
    sending: "Sending securely…",
    uploading: "Uploading files: {percent}%",
    sent_title: "Sent securely",
    send_pressed: "You pressed Send while Zegel is on. Choose the protection and press Next to confirm the recipients and files.",
    press_send: "Press Send in Outlook to finish: the e-mail now only contains the notification.",
    tell_password: "Tell the recipient this password yourself:",
    told_password: "The password you tell the recipient yourself:",
    emailed_password: "Zegel sends the recipient this password in a separate e-mail:",
    almost_sent: "Almost sent",
    send_mail: "Send e-mail",
    verdict_notify: "Zegel found sensitive information. We recommend sending this e-mail securely.",
    verdict_auto: "Zegel found sensitive information and switched itself on. You may switch it off.",
    verdict_force: "Zegel found sensitive information. Your organisation requires secure sending.",
    found: "Found:",
    signin_title: "Sign in to Zegel",
    signin_hint: "Paste your sender token (from zegel admin token).",
    token_label: "Sender token",
    save: "Save",
    signin_failed: "This token was not accepted.",
    network_error: "The Zegel server cannot be reached.",
    failed: "Something went wrong:",
    unscanned: "Not checked (attached e-mails, cloud files and very large files):",
    log: &LOG_EN,
};

/// Swedish.
pub const SV: Texts = Texts {
    language: Language::Sv,
    loading: "Zegel laddas…",
    not_in_outlook: "Öppna Zegel från Outlook.",
    toggle: "Skicka säkert med Zegel",
    forced: "Din organisation kräver att detta e-postmeddelande skickas säkert.",
    kind_legend: "Meddelandetyp",
    kind_public_files: "Öppna filer",
    kind_public_files_hint: "Filerna krypteras, ingen autentisering; texten förblir läsbar.",
    kind_secure_files: "Säkra filer",
    kind_secure_files_hint: "Filerna krypteras, mottagaren måste autentisera sig; texten förblir läsbar.",
    kind_secure_message: "Säkert meddelande",
    kind_secure_message_hint: "Text och filer krypteras, mottagaren måste autentisera sig.",
    kind_upload_request: "Säker uppladdningsbegäran",
    kind_upload_request_hint: "Du begär filer; mottagaren bekräftar sin e-postadress med en kod och laddar upp dem krypterade.",
    upload_dialog_title: "Säker uppladdningsbegäran",
    upload_template: "Mall",
    upload_no_template: "Ingen mall (egen text)",
    upload_own_text: "Texten i ditt e-postmeddelande blir meddelandet på uppladdningssidan.",
    upload_template_text: "Meddelandet på uppladdningssidan, på mottagarnas språk:",
    upload_types_legend: "Tillåtna filtyper",
    upload_types_hint: "Inget markerat: alla filtyper är tillåtna.",
    upload_any_type: "Alla filtyper",
    upload_allowed: "Tillåtet:",
    upload_message_own: "Meddelande: texten i ditt e-postmeddelande",
    upload_change: "Ändra",
    cancel: "Avbryt",
    upload_attachments: "En uppladdningsbegäran kan inte ha bilagor. Ta bort bilagorna eller välj en annan meddelandetyp.",
    upload_unavailable: "Den här Zegel-servern kan inte skicka uppladdningsbegäranden (än).",
    upload_sent_title: "Uppladdningsbegäran skickad",
    level_legend: "Autentisering",
    level_1fa: "Enfaktorsautentisering (lösenord)",
    level_2fa: "Tvåfaktorsautentisering (sms)",
    password_legend: "Lösenord",
    password_generated: "Automatiskt genererat lösenord",
    password_generated_hint: "Zegel skapar ett starkt lösenord. Via e-post får mottagaren det i ett separat meddelande; via Annat ser du det efter att du skickat.",
    password_custom: "Skapa ett eget lösenord",
    password_input: "Ditt lösenord",
    show_password: "Visa lösenord",
    hide_password: "Dölj lösenord",
    copy: "Kopiera",
    copied: "Kopierat",
    strength_checking: "Lösenordet kontrolleras…",
    strength_strong: "Starkt lösenord",
    strength_weak: "Inte tillräckligt starkt än",
    strength_missing: "Vad ditt lösenord fortfarande behöver:",
    strength_unavailable: "Lösenordskontrollen kunde inte laddas.",
    recipients_language: "Mottagarnas språk",
    deliver_legend: "Skicka via",
    deliver_email: "E-post",
    deliver_other: "Annat",
    deliver_other_hint: "Du berättar lösenordet för mottagaren själv, till exempel per telefon.",
    phones_legend: "Mobilnummer för sms-koden",
    phone_valid: "Giltigt nummer",
    phone_invalid: "Ange ett mobilnummer, till exempel 070 123 45 67",
    phone_not_mobile: "Detta är inget mobilnummer (till exempel ett fast nummer): det kan inte ta emot sms.",
    phone_checking: "Numret kontrolleras…",
    phone_country: "Numrets land",
    file_settings: "Filinställningar",
    expiry: "Länken upphör efter (dagar)",
    downloads: "Antal nedladdningar",
    downloads_hint: "Tomt: obegränsat",
    confirm_to_sender: "Skicka en bekräftelse till mig",
    notify_on_download: "Meddela mig vid varje nedladdning",
    next: "Nästa",
    back: "Tillbaka",
    send: "Skicka",
    confirm_title: "Bekräfta mottagare och filer",
    confirm_files: "Bekräfta dina bilagor",
    confirm_recipients: "Bekräfta dina mottagare",
    no_recipients: "Lägg först till en mottagare i Outlook.",
    sending: "Skickar säkert…",
    uploading: "Laddar upp filer: {percent} %",
    sent_title: "Skickat säkert",
    send_pressed: "Du tryckte på Skicka medan Zegel är påslaget. Välj skyddet och tryck på Nästa för att bekräfta mottagarna och filerna.",
    press_send: "Tryck på Skicka i Outlook för att slutföra: e-postmeddelandet innehåller nu bara aviseringen.",
    tell_password: "Berätta själv detta lösenord för mottagaren:",
    told_password: "Lösenordet du själv berättar för mottagaren:",
    emailed_password: "Zegel skickar detta lösenord till mottagaren i ett separat e-postmeddelande:",
    almost_sent: "Nästan skickat",
    send_mail: "Skicka e-post",
    verdict_notify: "Zegel hittade känslig information. Vi rekommenderar att skicka detta säkert.",
    verdict_auto: "Zegel hittade känslig information och slogs på. Du kan stänga av Zegel.",
    verdict_force: "Zegel hittade känslig information. Din organisation kräver säker sändning.",
    found: "Hittat:",
    signin_title: "Logga in på Zegel",
    signin_hint: "Klistra in din avsändartoken (från zegel admin token).",
    token_label: "Avsändartoken",
    save: "Spara",
    signin_failed: "Denna token godtogs inte.",
    network_error: "Zegel-servern kan inte nås.",
    failed: "Något gick fel:",
    unscanned: "Inte kontrollerat (bifogade e-postmeddelanden, molnfiler och mycket stora filer):",
    log: &LOG_SV,
};

/// The texts for Outlook's display language (`nl-NL`, `sv-SE`, …); English for any other language.
pub fn for_display_language(tag: &str) -> &'static Texts {
    texts(Language::parse(tag).unwrap_or(Language::En))
}

/// The texts of `language`.
pub fn texts(language: Language) -> &'static Texts {
    match language {
        Language::Nl => &NL,
        Language::En => &EN,
        Language::Sv => &SV,
    }
}

impl Texts {
    /// The name of a kind of finding, as the verdict lists it.
    pub fn finding(&self, kind: &str) -> String {
        let (nl, en, sv) = match kind {
            "nl_bsn" => (
                "BSN",
                "BSN (Dutch citizen service number)",
                "BSN (nederländskt personnummer)",
            ),
            "iban" => ("IBAN", "IBAN", "IBAN"),
            "se_personnummer" => (
                "Zweeds persoonsnummer",
                "Swedish personal identity number",
                "personnummer",
            ),
            "credit_card" => ("creditcardnummer", "payment card number", "kortnummer"),
            "nl_phone" => ("telefoonnummer", "phone number", "telefonnummer"),
            "email" => ("e-mailadres", "e-mail address", "e-postadress"),
            "trigger_word" => ("triggerwoord", "trigger word", "utlösande ord"),
            "activation_word" => ("activeringswoord", "activation word", "aktiveringsord"),
            "unscannable" => (
                "onleesbare bijlage",
                "unreadable attachment",
                "oläslig bilaga",
            ),
            // A kind this pane does not know yet: never show the internal code.
            _ => ("gevoelige gegevens", "sensitive data", "känsliga uppgifter"),
        };
        self.pick(nl, en, sv).to_owned()
    }

    /// A warning of the content filter.
    pub fn warning(&self, warning: &Warning) -> String {
        match *warning {
            Warning::ExternalRecipients { count: n } => match self.language {
                Language::Nl => format!("{n} ontvanger(s) buiten uw organisatie."),
                Language::En => format!("{n} recipient(s) outside your organisation."),
                Language::Sv => format!("{n} mottagare utanför din organisation."),
            },
            Warning::Attachments { .. } => self
                .pick(
                    "Let op uw bijlagen.",
                    "Mind your attachments.",
                    "Tänk på dina bilagor.",
                )
                .to_owned(),
        }
    }

    /// The label of one recipient's phone field.
    pub fn phone_of(&self, email: &str) -> String {
        match self.language {
            Language::Nl => format!("Mobiel nummer van {email}"),
            Language::En => format!("Mobile number of {email}"),
            Language::Sv => format!("Mobilnummer för {email}"),
        }
    }

    /// What the server already knows of a number.
    pub fn phone_known(&self, masked: &str) -> String {
        match self.language {
            Language::Nl => format!("Bekend nummer: {masked}. Laat leeg om het te gebruiken."),
            Language::En => format!("Known number: {masked}. Leave empty to use it."),
            Language::Sv => format!("Känt nummer: {masked}. Lämna tomt för att använda det."),
        }
    }

    /// The expiry limit.
    pub fn expiry_hint(&self, max: u32) -> String {
        match self.language {
            Language::Nl => format!("Maximaal {max} dagen"),
            Language::En => format!("At most {max} days"),
            Language::Sv => format!("Högst {max} dagar"),
        }
    }

    /// A kind of file by the name senders know it by.
    pub fn file_type(&self, file_type: FileType) -> &'static str {
        match file_type {
            FileType::Pdf => "PDF",
            FileType::Image => self.pick(
                "Afbeeldingen en scans",
                "Pictures and scans",
                "Bilder och skanningar",
            ),
            FileType::Document => self.pick(
                "Tekstdocumenten (Word, ODT)",
                "Text documents (Word, ODT)",
                "Textdokument (Word, ODT)",
            ),
            FileType::Spreadsheet => self.pick(
                "Spreadsheets (Excel, CSV)",
                "Spreadsheets (Excel, CSV)",
                "Kalkylblad (Excel, CSV)",
            ),
            FileType::Presentation => self.pick("Presentaties", "Presentations", "Presentationer"),
            FileType::Text => self.pick("Platte tekst", "Plain text", "Oformaterad text"),
            FileType::Archive => self.pick("ZIP-archieven", "ZIP archives", "ZIP-arkiv"),
        }
    }

    /// The summary's message line with a template.
    pub fn upload_message_template(&self, name: &str) -> String {
        match self.language {
            Language::Nl => format!("Bericht: sjabloon \u{201c}{name}\u{201d}"),
            Language::En => format!("Message: template \u{201c}{name}\u{201d}"),
            Language::Sv => format!("Meddelande: mallen \u{201d}{name}\u{201d}"),
        }
    }

    /// A label for To, Cc or Bcc.
    pub fn recipient_kind(&self, kind: zegel_core::RecipientKind) -> &'static str {
        match kind {
            zegel_core::RecipientKind::To => self.pick("Aan", "To", "Till"),
            zegel_core::RecipientKind::Cc => "CC",
            zegel_core::RecipientKind::Bcc => "BCC",
        }
    }

    fn pick(&self, nl: &'static str, en: &'static str, sv: &'static str) -> &'static str {
        match self.language {
            Language::Nl => nl,
            Language::En => en,
            Language::Sv => sv,
        }
    }
}

/// The log & block pane's texts in one language (`{}` marks where a value goes).
#[derive(Debug, PartialEq, Eq)]
pub struct LogTexts {
    /// The pane's heading.
    pub title: &'static str,
    /// The item carries no `X-Zegel-Message` header.
    pub no_header: &'static str,
    /// The server does not know the message (or it is another sender's).
    pub not_found: &'static str,
    /// Reload the status.
    pub refresh: &'static str,
    /// The heading of the conversation (replies to the message), "Gesprek".
    pub conversation: &'static str,
    /// How the sender answers a reply.
    pub answer_hint: &'static str,
    /// A turn's files.
    pub turn_files: &'static str,
    /// Before the expiry time.
    pub expires: &'static str,
    /// The content was destroyed (expired or deleted).
    pub destroyed: &'static str,
    /// Recipients heading.
    pub recipients: &'static str,
    /// Files heading.
    pub files: &'static str,
    /// A message without files.
    pub no_files: &'static str,
    /// Recipient status `held`.
    pub held: &'static str,
    /// Recipient status `queued`.
    pub queued: &'static str,
    /// Recipient status `sent`.
    pub sent: &'static str,
    /// Recipient status `bounced`.
    pub bounced: &'static str,
    /// Recipient status `opened`.
    pub opened: &'static str,
    /// Blocked by the sender.
    pub blocked: &'static str,
    /// Locked after failed attempts.
    pub locked: &'static str,
    /// A file nobody downloaded.
    pub not_downloaded: &'static str,
    /// Download count, `{}` = the count.
    pub downloaded: &'static str,
    /// A destroyed file's name.
    pub unnamed_file: &'static str,
    /// The menu button's label, `{}` = the recipient or file.
    pub actions_for: &'static str,
    /// Block one.
    pub block: &'static str,
    /// Unblock one.
    pub unblock: &'static str,
    /// Block every file.
    pub block_all_files: &'static str,
    /// Unblock every file.
    pub unblock_all_files: &'static str,
    /// Block every recipient.
    pub block_all_recipients: &'static str,
    /// Unblock every recipient.
    pub unblock_all_recipients: &'static str,
    /// The message switch.
    pub block_message: &'static str,
    /// When the message switch works.
    pub block_message_hint: &'static str,
    /// For the file kinds.
    pub files_only: &'static str,
    /// Before the server's reason for a refusal.
    pub refused: &'static str,
}

impl LogTexts {
    /// `template` with `{}` replaced by `value`.
    pub fn fill(template: &str, value: impl std::fmt::Display) -> String {
        template.replacen("{}", &value.to_string(), 1)
    }

    /// A recipient status in words; an unknown status as the server wrote it.
    pub fn status<'a>(&'a self, status: &'a str) -> &'a str {
        match status {
            "held" => self.held,
            "queued" => self.queued,
            "sent" => self.sent,
            "bounced" => self.bounced,
            "opened" => self.opened,
            other => other,
        }
    }
}

/// Dutch.
pub const LOG_NL: LogTexts = LogTexts {
    title: "Loggen & blokkeren",
    no_header: "Deze e-mail is niet met Zegel verstuurd: er is niets te volgen of te blokkeren.",
    not_found: "Zegel kent deze e-mail niet, of hij is door iemand anders verstuurd.",
    refresh: "Vernieuwen",
    conversation: "Gesprek",
    answer_hint: "Beantwoorden doet u met de knop in de e-mail over het antwoord.",
    turn_files: "Bestanden:",
    expires: "Links verlopen op",
    destroyed: "De inhoud van deze e-mail bestaat niet meer (verlopen of verwijderd).",
    recipients: "Ontvangers",
    files: "Bestanden",
    no_files: "Geen bestanden.",
    held: "Wacht op telefoonnummers",
    queued: "In de wachtrij",
    sent: "Verstuurd",
    bounced: "Onbestelbaar",
    opened: "Geopend",
    blocked: "Geblokkeerd",
    locked: "Vergrendeld",
    not_downloaded: "Niet gedownload",
    downloaded: "{}× gedownload",
    unnamed_file: "(verwijderd bestand)",
    actions_for: "Acties voor {}",
    block: "Blokkeren",
    unblock: "Deblokkeren",
    block_all_files: "Alle bestanden blokkeren",
    unblock_all_files: "Alle bestanden deblokkeren",
    block_all_recipients: "Alle ontvangers blokkeren",
    unblock_all_recipients: "Alle ontvangers deblokkeren",
    block_message: "Blokkeer deze e-mail",
    block_message_hint: "Kan alleen zolang geen ontvanger de e-mail heeft geopend.",
    files_only: "Bij openbare en beveiligde bestanden kunt u alleen de bestanden blokkeren: de e-mail zelf ging als gewone mail.",
    refused: "Niet gelukt:",
};

/// English.
pub const LOG_EN: LogTexts = LogTexts {
    title: "Log & block",
    no_header: "This e-mail was not sent with Zegel: there is nothing to track or block.",
    not_found: "Zegel does not know this e-mail, or someone else sent it.",
    refresh: "Refresh",
    conversation: "Conversation",
    answer_hint: "To answer, use the button in the e-mail about the reply.",
    turn_files: "Files:",
    expires: "Links expire on",
    destroyed: "The content of this e-mail no longer exists (expired or deleted).",
    recipients: "Recipients",
    files: "Files",
    no_files: "No files.",
    held: "Waiting for phone numbers",
    queued: "Queued",
    sent: "Sent",
    bounced: "Bounced",
    opened: "Opened",
    blocked: "Blocked",
    locked: "Locked",
    not_downloaded: "Not downloaded",
    downloaded: "Downloaded {}×",
    unnamed_file: "(deleted file)",
    actions_for: "Actions for {}",
    block: "Block",
    unblock: "Unblock",
    block_all_files: "Block all files",
    unblock_all_files: "Unblock all files",
    block_all_recipients: "Block all recipients",
    unblock_all_recipients: "Unblock all recipients",
    block_message: "Block this e-mail",
    block_message_hint: "Only possible while no recipient has opened it.",
    files_only: "For public and secure files only the files can be blocked: the e-mail itself went out as plain mail.",
    refused: "Not done:",
};

/// Swedish.
pub const LOG_SV: LogTexts = LogTexts {
    title: "Logga & blockera",
    no_header: "Det här e-postmeddelandet skickades inte med Zegel: det finns inget att följa eller blockera.",
    not_found: "Zegel känner inte till det här meddelandet, eller så skickades det av någon annan.",
    refresh: "Uppdatera",
    conversation: "Konversation",
    answer_hint: "Svara med knappen i mejlet om svaret.",
    turn_files: "Filer:",
    expires: "Länkarna upphör",
    destroyed: "Innehållet i meddelandet finns inte längre (utgånget eller raderat).",
    recipients: "Mottagare",
    files: "Filer",
    no_files: "Inga filer.",
    held: "Väntar på telefonnummer",
    queued: "I kö",
    sent: "Skickat",
    bounced: "Studsade",
    opened: "Öppnat",
    blocked: "Blockerad",
    locked: "Låst",
    not_downloaded: "Inte nedladdad",
    downloaded: "Nedladdad {} ggr",
    unnamed_file: "(raderad fil)",
    actions_for: "Åtgärder för {}",
    block: "Blockera",
    unblock: "Avblockera",
    block_all_files: "Blockera alla filer",
    unblock_all_files: "Avblockera alla filer",
    block_all_recipients: "Blockera alla mottagare",
    unblock_all_recipients: "Avblockera alla mottagare",
    block_message: "Blockera detta e-postmeddelande",
    block_message_hint: "Går bara så länge ingen mottagare har öppnat det.",
    files_only: "För offentliga och säkra filer kan bara filerna blockeras: själva e-postmeddelandet gick som vanlig e-post.",
    refused: "Gick inte:",
};

/// Escapes text for HTML.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_request_texts_are_in_each_language_and_dutch_says_u() {
        assert_eq!(NL.kind_upload_request, "Beveiligd uploadverzoek");
        assert_eq!(SV.kind_upload_request, "Säker uppladdningsbegäran");
        assert_eq!(EN.kind_upload_request, "Secure upload request");
        for texts in [&NL, &EN, &SV] {
            let names: Vec<&str> = FileType::ALL.iter().map(|t| texts.file_type(*t)).collect();
            for (i, name) in names.iter().enumerate() {
                assert!(!names[..i].contains(name), "{name} twice");
            }
        }
        let dutch = [
            NL.kind_upload_request_hint,
            NL.upload_own_text,
            NL.upload_template_text,
            NL.upload_types_hint,
            NL.upload_message_own,
            NL.upload_attachments,
            NL.upload_unavailable,
        ];
        for text in dutch {
            let words: Vec<&str> = text
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .collect();
            assert!(
                !words
                    .iter()
                    .any(|w| ["je", "jij", "jou", "jouw"].contains(w)),
                "{text}"
            );
        }
    }

    #[test]
    fn picks_the_display_language() {
        assert_eq!(for_display_language("nl-NL").language, Language::Nl);
        assert_eq!(for_display_language("sv-SE").language, Language::Sv);
        assert_eq!(for_display_language("de-DE").language, Language::En);
    }
}
