//! The words of the mails around asking for files: the request to the recipient, the verification code,
//! the notice to staff that files arrived, and the uploader's confirmation or refusal. Texts to
//! uploaders follow the tenant's Dutch form of address; texts to staff say "u".

use zegel_core::Language;
use zegel_core::settings::FormOfAddress;

/// Every sentence of these mails, in one language (and Dutch form).
#[derive(Debug)]
#[allow(missing_docs)]
pub struct RequestTexts {
    pub request_subject: &'static str,
    pub request_intro: &'static str,
    pub request_how: &'static str,
    pub button_upload: &'static str,
    pub code_subject: &'static str,
    pub code_intro_request: &'static str,
    pub code_intro_received: &'static str,
    pub code_intro_portal: &'static str,
    pub code_valid: &'static str,
    pub received_subject: &'static str,
    pub received_intro: &'static str,
    pub received_count: &'static str,
    pub received_how: &'static str,
    pub button_download_all: &'static str,
    pub sent_subject: &'static str,
    pub sent_intro: &'static str,
    pub refused_subject: &'static str,
    pub refused_intro: &'static str,
    pub reply_subject: &'static str,
    pub reply_intro: &'static str,
    pub reply_how: &'static str,
    pub button_read_reply: &'static str,
    pub code_intro_reply: &'static str,
    pub code_intro_sending: &'static str,
}

const NL: RequestTexts = RequestTexts {
    code_intro_sending: "Met deze code bevestigt u uw e-mailadres om beveiligd te versturen via {organisation}:",
    reply_subject: "U heeft een beveiligd antwoord ontvangen",
    reply_intro: "{author} heeft op uw beveiligde bericht geantwoord.",
    reply_how: "Via de knop bevestigt u uw e-mailadres en leest u het antwoord.",
    button_read_reply: "Antwoord lezen",
    code_intro_reply: "Met deze code opent u het antwoord van {author}:",
    request_subject: "Verzoek om bestanden te uploaden",
    request_intro: "{sender} vraagt u om bestanden veilig te uploaden.",
    request_how: "Via de knop bevestigt u eerst uw e-mailadres met een code. Daarna leest u het verzoek en uploadt u de bestanden.",
    button_upload: "Upload bestanden",
    code_subject: "Uw verificatiecode",
    code_intro_request: "Met deze code bevestigt u uw e-mailadres om bestanden te uploaden voor {sender}:",
    code_intro_received: "Met deze code opent u de bestanden die {uploader} voor u heeft geüpload:",
    code_intro_portal: "Met deze code bevestigt u uw e-mailadres om bestanden te versturen via \u{201c}{portal}\u{201d}:",
    code_valid: "De code is {minutes} minuten geldig. Deel hem met niemand: wij vragen er nooit om per telefoon of e-mail.",
    received_subject: "Er zijn bestanden voor u geüpload",
    received_intro: "{uploader} heeft bestanden voor u geüpload.",
    received_count: "Aantal bestanden: {count}",
    received_how: "Via de knop bevestigt u uw e-mailadres met een code. Daarna downloadt u de bestanden los of samen als ZIP.",
    button_download_all: "Download alles",
    sent_subject: "Uw bestanden zijn verzonden",
    sent_intro: "Uw bestanden zijn veilig verzonden aan {recipient}:",
    refused_subject: "Uw bestanden zijn niet afgeleverd",
    refused_intro: "De virusscanner vond schadelijke software in {file}. Uw bestanden zijn daarom niet afgeleverd aan {recipient}. U kunt ze opnieuw uploaden via dezelfde link, zonder dit bestand.",
};

const NL_JE: RequestTexts = RequestTexts {
    code_intro_sending: "Met deze code bevestig je je e-mailadres om beveiligd te versturen via {organisation}:",
    reply_subject: "Je hebt een beveiligd antwoord ontvangen",
    reply_intro: "{author} heeft op je beveiligde bericht geantwoord.",
    reply_how: "Via de knop bevestig je je e-mailadres en lees je het antwoord.",
    code_intro_reply: "Met deze code open je het antwoord van {author}:",
    request_intro: "{sender} vraagt je om bestanden veilig te uploaden.",
    request_how: "Via de knop bevestig je eerst je e-mailadres met een code. Daarna lees je het verzoek en upload je de bestanden.",
    code_subject: "Je verificatiecode",
    code_intro_request: "Met deze code bevestig je je e-mailadres om bestanden te uploaden voor {sender}:",
    code_intro_portal: "Met deze code bevestig je je e-mailadres om bestanden te versturen via \u{201c}{portal}\u{201d}:",
    sent_subject: "Je bestanden zijn verzonden",
    sent_intro: "Je bestanden zijn veilig verzonden aan {recipient}:",
    refused_subject: "Je bestanden zijn niet afgeleverd",
    refused_intro: "De virusscanner vond schadelijke software in {file}. Je bestanden zijn daarom niet afgeleverd aan {recipient}. Je kunt ze opnieuw uploaden via dezelfde link, zonder dit bestand.",
    ..NL
};

const EN: RequestTexts = RequestTexts {
    code_intro_sending: "With this code you confirm your e-mail address to send securely through {organisation}:",
    reply_subject: "You have received a secure reply",
    reply_intro: "{author} replied to your secure message.",
    reply_how: "The button asks you to confirm your e-mail address; then you read the reply.",
    button_read_reply: "Read the reply",
    code_intro_reply: "With this code you open the reply from {author}:",
    request_subject: "Request to upload files",
    request_intro: "{sender} asks you to upload files securely.",
    request_how: "The button first asks you to confirm your e-mail address with a code. Then you read the request and upload the files.",
    button_upload: "Upload files",
    code_subject: "Your verification code",
    code_intro_request: "With this code you confirm your e-mail address to upload files for {sender}:",
    code_intro_received: "With this code you open the files {uploader} uploaded for you:",
    code_intro_portal: "With this code you confirm your e-mail address to send files through \u{201c}{portal}\u{201d}:",
    code_valid: "The code is valid for {minutes} minutes. Share it with no one: we never ask for it by phone or e-mail.",
    received_subject: "Files have been uploaded for you",
    received_intro: "{uploader} uploaded files for you.",
    received_count: "Number of files: {count}",
    received_how: "The button asks you to confirm your e-mail address with a code. Then you download the files one by one or together as a ZIP.",
    button_download_all: "Download all",
    sent_subject: "Your files have been sent",
    sent_intro: "Your files were sent securely to {recipient}:",
    refused_subject: "Your files were not delivered",
    refused_intro: "The virus scanner found malicious software in {file}, so your files were not delivered to {recipient}. You can upload them again with the same link, without this file.",
};

const SV: RequestTexts = RequestTexts {
    code_intro_sending: "Med den här koden bekräftar du din e-postadress för att skicka säkert via {organisation}:",
    reply_subject: "Du har fått ett säkert svar",
    reply_intro: "{author} har svarat på ditt säkra meddelande.",
    reply_how: "Knappen ber dig bekräfta din e-postadress; sedan läser du svaret.",
    button_read_reply: "Läs svaret",
    code_intro_reply: "Med den här koden öppnar du svaret från {author}:",
    request_subject: "Begäran om att ladda upp filer",
    request_intro: "{sender} ber dig att ladda upp filer på ett säkert sätt.",
    request_how: "Knappen ber dig först bekräfta din e-postadress med en kod. Sedan läser du begäran och laddar upp filerna.",
    button_upload: "Ladda upp filer",
    code_subject: "Din verifieringskod",
    code_intro_request: "Med den här koden bekräftar du din e-postadress för att ladda upp filer till {sender}:",
    code_intro_received: "Med den här koden öppnar du filerna som {uploader} har laddat upp till dig:",
    code_intro_portal: "Med den här koden bekräftar du din e-postadress för att skicka filer via \u{201d}{portal}\u{201d}:",
    code_valid: "Koden gäller i {minutes} minuter. Dela den inte med någon: vi ber aldrig om den per telefon eller e-post.",
    received_subject: "Filer har laddats upp till dig",
    received_intro: "{uploader} har laddat upp filer till dig.",
    received_count: "Antal filer: {count}",
    received_how: "Knappen ber dig bekräfta din e-postadress med en kod. Sedan laddar du ner filerna en och en eller tillsammans som ZIP.",
    button_download_all: "Ladda ner allt",
    sent_subject: "Dina filer har skickats",
    sent_intro: "Dina filer har skickats säkert till {recipient}:",
    refused_subject: "Dina filer levererades inte",
    refused_intro: "Virusskannern hittade skadlig kod i {file}, så dina filer levererades inte till {recipient}. Du kan ladda upp dem igen via samma länk, utan den här filen.",
};

/// These mails' texts in `language`, Dutch in `form`.
pub fn request_texts(language: Language, form: FormOfAddress) -> &'static RequestTexts {
    match (language, form) {
        (Language::Nl, FormOfAddress::Je) => &NL_JE,
        (Language::Nl, _) => &NL,
        (Language::En, _) => &EN,
        (Language::Sv, _) => &SV,
    }
}
