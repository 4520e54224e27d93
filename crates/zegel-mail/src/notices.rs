//! The words of the mails to a sender about their own message: the confirmation with its summary, and
//! the notice of a download. Senders are staff: Dutch says "u" whatever the tenant's form for
//! recipients.

use zegel_core::Language;

/// Every sentence of the sender's notices, in one language.
#[derive(Debug)]
#[allow(missing_docs)]
pub struct NoticeTexts {
    pub confirm_subject: &'static str,
    pub confirm_intro: &'static str,
    pub confirm_files: &'static str,
    pub confirm_expires: &'static str,
    pub confirm_note: &'static str,
    pub download_subject: &'static str,
    pub download_intro: &'static str,
}

const NL: NoticeTexts = NoticeTexts {
    confirm_subject: "Verzonden: {subject}",
    confirm_intro: "Uw bericht \u{201c}{subject}\u{201d} is beveiligd verzonden aan:",
    confirm_files: "Met deze bestanden:",
    confirm_expires: "De links zijn geldig tot {date}.",
    confirm_note: "In Outlook ziet u onder Zegel \u{201c}Log & block\u{201d} wie wat heeft geopend en gedownload, en kunt u de toegang intrekken.",
    download_subject: "Gedownload: {subject}",
    download_intro: "{recipient} heeft op {date} uit uw bericht \u{201c}{subject}\u{201d} gedownload:",
};

const EN: NoticeTexts = NoticeTexts {
    confirm_subject: "Sent: {subject}",
    confirm_intro: "Your message \u{201c}{subject}\u{201d} was sent securely to:",
    confirm_files: "With these files:",
    confirm_expires: "The links are valid until {date}.",
    confirm_note: "In Outlook, Zegel's \u{201c}Log & block\u{201d} shows who opened and downloaded what, and lets you withdraw access.",
    download_subject: "Downloaded: {subject}",
    download_intro: "{recipient} downloaded from your message \u{201c}{subject}\u{201d} on {date}:",
};

const SV: NoticeTexts = NoticeTexts {
    confirm_subject: "Skickat: {subject}",
    confirm_intro: "Ditt meddelande \u{201d}{subject}\u{201d} har skickats säkert till:",
    confirm_files: "Med de här filerna:",
    confirm_expires: "Länkarna gäller till {date}.",
    confirm_note: "I Outlook visar Zegels \u{201d}Log & block\u{201d} vem som har öppnat och laddat ner vad, och där kan du dra tillbaka åtkomsten.",
    download_subject: "Nedladdat: {subject}",
    download_intro: "{recipient} laddade ner från ditt meddelande \u{201d}{subject}\u{201d} {date}:",
};

/// The sender's notices in `language`.
pub fn notice_texts(language: Language) -> &'static NoticeTexts {
    match language {
        Language::Nl => &NL,
        Language::En => &EN,
        Language::Sv => &SV,
    }
}
