//! The e-mails Zegel writes: the notification with the link, and the password a recipient asked for.
//! Both come as HTML (one template, inline styles, as mail clients want) and plain text.

use askama::Template;
use zegel_core::{Language, MessageKind};

use crate::OutgoingEmail;
use crate::i18n::{Texts, date_and_time, fill, texts, texts_for};

#[derive(Template)]
#[template(path = "email.html")]
struct EmailHtml<'a> {
    lang: &'a str,
    title: &'a str,
    brand: &'a str,
    logo: Option<&'a str>,
    paragraphs: Vec<String>,
    code: Option<&'a str>,
    button: Option<(&'a str, &'a str)>,
    note: Option<String>,
    body: Option<&'a str>,
    footer: &'a str,
    /// "Questions? Contact ...", and the ways to reach them.
    support: Option<(String, &'a zegel_core::settings::Support)>,
    /// The privacy statement's label and URL.
    privacy: Option<(&'a str, &'a str)>,
}

impl<'a> EmailHtml<'a> {
    /// A page with the tenant's look and nothing else yet.
    fn new(t: &'a Texts, title: &'a str, look: &Look<'a>) -> Self {
        Self {
            lang: t.lang,
            title,
            brand: look.name,
            logo: look.logo.filter(|l| l.starts_with("https://")),
            paragraphs: Vec::new(),
            code: None,
            button: None,
            note: None,
            body: None,
            footer: t.footer,
            support: look
                .support
                .map(|s| (fill(t.support_intro, &[("name", &s.name)]), s)),
            privacy: look.privacy_url.map(|url| (t.privacy_label, url)),
        }
    }

    /// Renders the page in the look's accent colour.
    fn finish(self, look: &Look<'_>) -> String {
        with_color(
            self.render().expect("the e-mail template renders"),
            look.color,
        )
    }
}

/// The subject as mails show it: the neutral title when the sender wrote none.
fn shown_subject<'a>(t: &'a Texts, subject: &'a str) -> &'a str {
    if subject.trim().is_empty() {
        t.neutral_subject
    } else {
        subject
    }
}

/// What a notification says.
#[derive(Debug, Clone)]
pub struct Notification<'a> {
    /// Language of the mail.
    pub language: Language,
    /// What the sender sent.
    pub kind: MessageKind,
    /// The subject (may be empty).
    pub subject: &'a str,
    /// The sender's address.
    pub sender: &'a str,
    /// The body as plain text, for the kinds whose body travels as plain mail.
    pub plain_body: Option<&'a str>,
    /// The files' names and sizes, when the sender chose to list them (else empty).
    pub files: &'a [(String, u64)],
    /// The recipient's link.
    pub link: &'a str,
    /// When the link expires (Unix ms).
    pub expires_at: i64,
    /// The time zone for the expiry date.
    pub timezone: &'a str,
    /// From header.
    pub from: &'a str,
    /// The recipient.
    pub to: &'a str,
}

/// Renders a notification.
pub fn notification(n: &Notification<'_>) -> OutgoingEmail {
    notification_branded(n, &Look::ZEGEL)
}

/// The accent colour of Zegel's own e-mails.
const ZEGEL_GREEN: &str = "#0b6e4f";

/// The host of a link (`zegel.zorg.example` of `https://zegel.zorg.example/m/...`).
fn link_host(link: &str) -> &str {
    link.split_once("://").map_or("", |(_, rest)| {
        rest.split(['/', '?', '#']).next().unwrap_or("")
    })
}

/// Renders a notification in a tenant's look: its name (and logo) in the header and its accent colour.
pub fn notification_branded(n: &Notification<'_>, look: &Look<'_>) -> OutgoingEmail {
    let t = texts_for(n.language, look.form);
    let (date, time) = date_and_time(n.expires_at, n.timezone, n.language);
    let is_message = n.kind == MessageKind::SecureMessage;
    // A hidden or missing subject is named once, neutrally: never "Secure message: Secure message".
    let titled = !n.subject.trim().is_empty();
    let (subject_template, neutral, intro_template, button) = match n.kind {
        MessageKind::SecureMessage => (
            t.notify_subject_message,
            t.neutral_subject,
            if titled {
                t.notify_intro_message
            } else {
                t.notify_intro_message_untitled
            },
            t.button_open_message,
        ),
        MessageKind::SecureFiles => (
            t.notify_subject_files,
            t.neutral_subject_files,
            t.notify_intro_files,
            t.button_download_files,
        ),
        // Public files need no sign-in, so they are not called secure.
        MessageKind::PublicFiles => (
            t.notify_subject_public,
            t.neutral_subject_public,
            t.notify_intro_public,
            t.button_download_files,
        ),
    };
    let subject = if titled {
        fill(subject_template, &[("subject", n.subject)])
    } else {
        neutral.to_owned()
    };
    let intro = fill(
        intro_template,
        &[("subject", n.subject), ("sender", n.sender)],
    );
    let expiry = fill(t.link_expires, &[("date", &date), ("time", &time)]);
    // Where the button leads, so a careful reader can tell this mail from a phishing copy.
    let host = link_host(n.link);
    let expiry = if host.is_empty() {
        expiry
    } else {
        format!("{expiry} {}", fill(t.link_host, &[("host", host)]))
    };
    let body = if is_message {
        None
    } else {
        n.plain_body.filter(|b| !b.trim().is_empty())
    };
    let mut paragraphs = vec![intro.clone()];
    if !n.files.is_empty() {
        paragraphs.push(
            crate::notices::notice_texts(n.language)
                .confirm_files
                .to_owned(),
        );
        paragraphs.extend(n.files.iter().map(|(name, size)| {
            format!("{name} ({})", zegel_core::format::size(n.language, *size))
        }));
    }
    let mut page = EmailHtml::new(t, &subject, look);
    page.paragraphs = paragraphs.clone();
    page.button = Some((button, n.link));
    page.note = Some(expiry.clone());
    page.body = body;
    let html = page.finish(look);
    let mut text = format!(
        "{}\n\n{button}: {}\n\n{expiry}\n",
        paragraphs.join("\n"),
        n.link
    );
    if let Some(body) = body {
        text.push_str("\n----------------------------------------\n");
        text.push_str(body);
        text.push('\n');
    }
    text.push_str(&format!("\n{}\n", look.text_footer(t)));
    OutgoingEmail {
        to: n.to.to_owned(),
        from: n.from.to_owned(),
        reply_to: Some(n.sender.to_owned()),
        subject,
        text,
        html: Some(html),
        message_id: zegel_crypto::random_id(),
        zegel_message: None,
    }
}

/// How an e-mail looks: the organisation's name, accent colour (`#rrggbb`) and logo (`https://`).
#[derive(Debug, Clone, Copy)]
pub struct Look<'a> {
    /// The name in the header.
    pub name: &'a str,
    /// The accent colour.
    pub color: &'a str,
    /// The logo's URL.
    pub logo: Option<&'a str>,
    /// Whom recipients can ask.
    pub support: Option<&'a zegel_core::settings::Support>,
    /// The privacy statement.
    pub privacy_url: Option<&'a str>,
    /// How Dutch texts address the recipient.
    pub form: zegel_core::settings::FormOfAddress,
}

impl Look<'_> {
    /// The footer of the plain-text part: Zegel's line, whom to ask and the privacy statement.
    fn text_footer(&self, t: &Texts) -> String {
        let mut lines = vec![t.footer.to_owned()];
        if let Some(support) = self.support {
            let ways: Vec<&str> = [&support.email, &support.phone, &support.url]
                .into_iter()
                .flatten()
                .map(String::as_str)
                .collect();
            lines.push(format!(
                "{} {}",
                fill(t.support_intro, &[("name", &support.name)]),
                ways.join(" · ")
            ));
        }
        if let Some(url) = self.privacy_url {
            lines.push(format!("{}: {url}", t.privacy_label));
        }
        lines.join("\n")
    }
}

impl Look<'static> {
    /// Zegel's own look.
    pub const ZEGEL: Look<'static> = Look {
        name: "Zegel",
        color: ZEGEL_GREEN,
        logo: None,
        support: None,
        privacy_url: None,
        form: zegel_core::settings::FormOfAddress::U,
    };
}

/// Applies an accent colour to rendered HTML; only `#rrggbb` values, so nothing can break out of the
/// style attributes the colour lands in.
fn with_color(html: String, color: &str) -> String {
    let valid = color.len() == 7
        && color.starts_with('#')
        && color[1..].chars().all(|c| c.is_ascii_hexdigit());
    if valid {
        html.replace(ZEGEL_GREEN, color)
    } else {
        html
    }
}

/// Renders the e-mail carrying a password the recipient asked for.
// Each argument is a distinct part of the mail; a struct for one call site would only rename them.
#[allow(clippy::too_many_arguments)]
pub fn password(
    language: Language,
    subject: &str,
    sender: &str,
    password: &str,
    valid_minutes: Option<i64>,
    to: &str,
    from: &str,
    look: &Look<'_>,
) -> OutgoingEmail {
    let t = texts_for(language, look.form);
    let (title, intro) = if subject.trim().is_empty() {
        (
            t.password_subject_untitled.to_owned(),
            fill(t.password_intro_untitled, &[("sender", sender)]),
        )
    } else {
        (
            fill(t.password_subject, &[("subject", subject)]),
            fill(
                t.password_intro,
                &[("subject", subject), ("sender", sender)],
            ),
        )
    };
    // A one-time password expires, and a new one voids it; the sender's own password does neither.
    let note = match valid_minutes {
        Some(minutes) => format!(
            "{} {}",
            fill(t.password_valid, &[("minutes", &minutes.to_string())]),
            t.password_note
        ),
        None => t.password_note.to_owned(),
    };
    let mut page = EmailHtml::new(t, &title, look);
    page.paragraphs = vec![intro.clone()];
    page.code = Some(password);
    page.note = Some(note.clone());
    let html = page.finish(look);
    OutgoingEmail {
        to: to.to_owned(),
        from: from.to_owned(),
        reply_to: None,
        subject: title,
        text: format!(
            "{intro}\n\n    {password}\n\n{note}\n\n{}\n",
            look.text_footer(t)
        ),
        html: Some(html),
        message_id: zegel_crypto::random_id(),
        zegel_message: None,
    }
}

/// Renders the "enter the phone numbers" e-mail to the sender of a held message.
// Each argument is a distinct part of the mail; a struct for one call site would only rename them.
#[allow(clippy::too_many_arguments)]
pub fn phone_request(
    language: Language,
    subject: &str,
    found: &[zegel_core::policy::Shown],
    missing: &[String],
    link: &str,
    sender: &str,
    from: &str,
    look: &Look<'_>,
) -> OutgoingEmail {
    let t = texts(language);
    let h = crate::held::texts(language);
    let shown_subject = shown_subject(t, subject);
    let found = crate::held::describe(h, found);
    let intro = if found.is_empty() {
        fill(h.request_intro, &[("subject", shown_subject)])
    } else {
        fill(
            h.request_intro_found,
            &[("subject", shown_subject), ("found", &found)],
        )
    };
    let mut page = EmailHtml::new(t, h.request_subject, look);
    page.paragraphs = std::iter::once(intro.clone())
        .chain(missing.iter().cloned())
        .collect();
    page.button = Some((h.request_button, link));
    page.note = Some(h.request_note.to_owned());
    let html = page.finish(look);
    let list: String = missing.iter().map(|m| format!("  - {m}\n")).collect();
    OutgoingEmail {
        to: sender.to_owned(),
        from: from.to_owned(),
        reply_to: None,
        subject: h.request_subject.to_owned(),
        text: format!(
            "{intro}\n\n{list}\n{}: {link}\n\n{}\n",
            h.request_button, h.request_note
        ),
        html: Some(html),
        message_id: zegel_crypto::random_id(),
        zegel_message: None,
    }
}

/// Renders the e-mail telling a sender that a held message expired unsent and was deleted.
pub fn held_expired(
    language: Language,
    subject: &str,
    sender: &str,
    from: &str,
    look: &Look<'_>,
) -> OutgoingEmail {
    let t = texts(language);
    let h = crate::held::texts(language);
    let shown_subject = shown_subject(t, subject);
    let text = fill(h.expired_text, &[("subject", shown_subject)]);
    let mut page = EmailHtml::new(t, h.expired_subject, look);
    page.paragraphs = vec![text.clone()];
    let html = page.finish(look);
    OutgoingEmail {
        to: sender.to_owned(),
        from: from.to_owned(),
        reply_to: None,
        subject: h.expired_subject.to_owned(),
        text: format!("{text}\n\n{}\n", t.footer),
        html: Some(html),
        message_id: zegel_crypto::random_id(),
        zegel_message: None,
    }
}

/// What the confirmation to a sender sums up.
#[derive(Debug, Clone)]
pub struct Sent<'a> {
    /// The language of the mail (the tenant's first).
    pub language: Language,
    /// The subject ("" when the tenant hides subjects: the mail may be read on any device).
    pub subject: &'a str,
    /// The recipients' addresses.
    pub recipients: &'a [String],
    /// The files' names and sizes.
    pub files: &'a [(String, u64)],
    /// Link expiry (Unix ms).
    pub expires_at: i64,
    /// The time zone of dates.
    pub timezone: &'a str,
}

/// Renders the confirmation to a sender: to whom the message went, with which files, until when.
pub fn sender_confirmation(
    sent: &Sent<'_>,
    sender: &str,
    from: &str,
    look: &Look<'_>,
) -> OutgoingEmail {
    let t = texts(sent.language);
    let n = crate::notices::notice_texts(sent.language);
    let shown = shown_subject(t, sent.subject);
    let title = fill(n.confirm_subject, &[("subject", shown)]);
    let (date, time) = crate::i18n::date_and_time(sent.expires_at, sent.timezone, sent.language);
    let expires = fill(
        n.confirm_expires,
        &[(
            "date",
            &zegel_core::format::date_time(sent.language, &date, &time),
        )],
    );
    let files: Vec<String> = sent
        .files
        .iter()
        .map(|(name, size)| {
            format!(
                "{name} ({})",
                zegel_core::format::size(sent.language, *size)
            )
        })
        .collect();
    let mut paragraphs = vec![fill(n.confirm_intro, &[("subject", shown)])];
    paragraphs.extend(sent.recipients.iter().cloned());
    if !files.is_empty() {
        paragraphs.push(n.confirm_files.to_owned());
        paragraphs.extend(files.iter().cloned());
    }
    paragraphs.push(expires);
    let mut page = EmailHtml::new(t, &title, look);
    page.paragraphs = paragraphs.clone();
    page.note = Some(n.confirm_note.to_owned());
    let html = page.finish(look);
    OutgoingEmail {
        to: sender.to_owned(),
        from: from.to_owned(),
        reply_to: None,
        subject: title.clone(),
        text: format!("{}\n\n{}\n", paragraphs.join("\n"), n.confirm_note),
        html: Some(html),
        message_id: zegel_crypto::random_id(),
        zegel_message: None,
    }
}

/// Renders the notice to a sender that `recipient` downloaded `files` at `at` (Unix ms).
#[allow(clippy::too_many_arguments)]
pub fn download_notice(
    language: Language,
    subject: &str,
    recipient: &str,
    files: &[String],
    at: i64,
    timezone: &str,
    sender: &str,
    from: &str,
    look: &Look<'_>,
) -> OutgoingEmail {
    let t = texts(language);
    let n = crate::notices::notice_texts(language);
    let shown = shown_subject(t, subject);
    let title = fill(n.download_subject, &[("subject", shown)]);
    let (date, time) = crate::i18n::date_and_time(at, timezone, language);
    let intro = fill(
        n.download_intro,
        &[
            ("recipient", recipient),
            ("subject", shown),
            (
                "date",
                &zegel_core::format::date_time(language, &date, &time),
            ),
        ],
    );
    let mut page = EmailHtml::new(t, &title, look);
    page.paragraphs = std::iter::once(intro.clone())
        .chain(files.iter().cloned())
        .collect();
    let html = page.finish(look);
    let list: String = files.iter().map(|f| format!("  - {f}\n")).collect();
    OutgoingEmail {
        to: sender.to_owned(),
        from: from.to_owned(),
        reply_to: None,
        subject: title.clone(),
        text: format!("{intro}\n\n{list}\n{}\n", t.footer),
        html: Some(html),
        message_id: zegel_crypto::random_id(),
        zegel_message: None,
    }
}

/// What the mail asking a recipient for files says.
#[derive(Debug, Clone)]
pub struct RequestMail<'a> {
    /// Language of the mail.
    pub language: Language,
    /// The sender who asks.
    pub sender: &'a str,
    /// The recipient's upload link.
    pub link: &'a str,
    /// When the link expires (Unix ms).
    pub expires_at: i64,
    /// The time zone for the expiry date.
    pub timezone: &'a str,
    /// From header.
    pub from: &'a str,
    /// The recipient ("" for the sender's own client to fill in).
    pub to: &'a str,
}

/// The expiry line of a link, with the host its button opens.
fn expiry_line(
    t: &Texts,
    link: &str,
    expires_at: i64,
    timezone: &str,
    language: Language,
) -> String {
    let (date, time) = date_and_time(expires_at, timezone, language);
    let expiry = fill(t.link_expires, &[("date", &date), ("time", &time)]);
    match link_host(link) {
        "" => expiry,
        host => format!("{expiry} {}", fill(t.link_host, &[("host", host)])),
    }
}

/// A mail of a title, paragraphs, an optional button and a note, in both parts.
#[allow(clippy::too_many_arguments)]
fn simple_mail(
    t: &Texts,
    look: &Look<'_>,
    title: String,
    paragraphs: Vec<String>,
    button: Option<(&str, &str)>,
    note: Option<String>,
    to: &str,
    from: &str,
    reply_to: Option<&str>,
) -> OutgoingEmail {
    let mut page = EmailHtml::new(t, &title, look);
    page.paragraphs = paragraphs.clone();
    page.button = button;
    page.note = note.clone();
    let html = page.finish(look);
    let mut text = paragraphs.join("\n\n");
    if let Some((label, link)) = button {
        text.push_str(&format!("\n\n{label}: {link}"));
    }
    if let Some(note) = &note {
        text.push_str(&format!("\n\n{note}"));
    }
    text.push_str(&format!("\n\n{}\n", look.text_footer(t)));
    OutgoingEmail {
        to: to.to_owned(),
        from: from.to_owned(),
        reply_to: reply_to.map(str::to_owned),
        subject: title,
        text,
        html: Some(html),
        message_id: zegel_crypto::random_id(),
        zegel_message: None,
    }
}

/// Renders the mail asking a recipient to upload files ("Upload bestanden"): a neutral subject, who
/// asks, how it goes, and where the button leads. The sender's message is shown only on the page, after
/// the recipient proved their address.
pub fn upload_request(m: &RequestMail<'_>, look: &Look<'_>) -> OutgoingEmail {
    let t = texts_for(m.language, look.form);
    let r = crate::requests::request_texts(m.language, look.form);
    simple_mail(
        t,
        look,
        r.request_subject.to_owned(),
        vec![
            fill(r.request_intro, &[("sender", m.sender)]),
            r.request_how.to_owned(),
        ],
        Some((r.button_upload, m.link)),
        Some(expiry_line(t, m.link, m.expires_at, m.timezone, m.language)),
        m.to,
        m.from,
        Some(m.sender),
    )
}

/// What a verification code opens.
#[derive(Debug, Clone, Copy)]
pub enum CodeFor<'a> {
    /// Uploading files for the sender of an upload request.
    Upload {
        /// Who asked.
        sender: &'a str,
    },
    /// Files someone uploaded for the member of staff the code goes to.
    Received {
        /// Who uploaded them.
        uploader: &'a str,
    },
    /// Sending files through an organisation's upload portal.
    Portal {
        /// The portal's title.
        portal: &'a str,
    },
    /// A reply in a conversation.
    Reply {
        /// Who wrote it.
        author: &'a str,
    },
    /// Sending securely from the browser.
    Sending {
        /// The organisation sent under.
        organisation: &'a str,
    },
}

/// Renders a six-digit verification code mail.
pub fn verification_code(
    language: Language,
    purpose: CodeFor<'_>,
    code: &str,
    valid_minutes: i64,
    to: &str,
    from: &str,
    look: &Look<'_>,
) -> OutgoingEmail {
    let t = texts_for(language, look.form);
    let r = crate::requests::request_texts(language, look.form);
    let intro = match purpose {
        CodeFor::Upload { sender } => fill(r.code_intro_request, &[("sender", sender)]),
        CodeFor::Received { uploader } => fill(r.code_intro_received, &[("uploader", uploader)]),
        CodeFor::Portal { portal } => fill(r.code_intro_portal, &[("portal", portal)]),
        CodeFor::Reply { author } => fill(r.code_intro_reply, &[("author", author)]),
        CodeFor::Sending { organisation } => {
            fill(r.code_intro_sending, &[("organisation", organisation)])
        }
    };
    let note = fill(r.code_valid, &[("minutes", &valid_minutes.to_string())]);
    let title = r.code_subject.to_owned();
    let mut page = EmailHtml::new(t, &title, look);
    page.paragraphs = vec![intro.clone()];
    page.code = Some(code);
    page.note = Some(note.clone());
    let html = page.finish(look);
    OutgoingEmail {
        to: to.to_owned(),
        from: from.to_owned(),
        reply_to: None,
        subject: title,
        text: format!(
            "{intro}\n\n    {code}\n\n{note}\n\n{}\n",
            look.text_footer(t)
        ),
        html: Some(html),
        message_id: zegel_crypto::random_id(),
        zegel_message: None,
    }
}

/// What the notice of received files says.
#[derive(Debug, Clone)]
pub struct ReceivedMail<'a> {
    /// Language of the mail.
    pub language: Language,
    /// Who uploaded the files (their verified address).
    pub uploader: &'a str,
    /// How many files.
    pub count: usize,
    /// The link to the files.
    pub link: &'a str,
    /// When the link expires (Unix ms).
    pub expires_at: i64,
    /// The time zone for the expiry date.
    pub timezone: &'a str,
    /// From header.
    pub from: &'a str,
    /// The member of staff.
    pub to: &'a str,
}

/// Renders the notice to staff that files were uploaded for them ("Er zijn bestanden voor u geüpload",
/// "Download alles"): a neutral subject, no file names.
pub fn files_received(m: &ReceivedMail<'_>, look: &Look<'_>) -> OutgoingEmail {
    let staff = Look {
        form: zegel_core::settings::FormOfAddress::U,
        ..*look
    };
    let t = texts(m.language);
    let r = crate::requests::request_texts(m.language, staff.form);
    simple_mail(
        t,
        &staff,
        r.received_subject.to_owned(),
        vec![
            fill(r.received_intro, &[("uploader", m.uploader)]),
            fill(r.received_count, &[("count", &m.count.to_string())]),
            r.received_how.to_owned(),
        ],
        Some((r.button_download_all, m.link)),
        Some(expiry_line(t, m.link, m.expires_at, m.timezone, m.language)),
        m.to,
        m.from,
        None,
    )
}

/// Renders the notice of a secure reply ("U heeft een beveiligd antwoord ontvangen", "Antwoord lezen"):
/// a neutral subject, who replied, no text of the reply.
pub fn reply_received(m: &ReceivedMail<'_>, look: &Look<'_>) -> OutgoingEmail {
    let t = texts_for(m.language, look.form);
    let r = crate::requests::request_texts(m.language, look.form);
    simple_mail(
        t,
        look,
        r.reply_subject.to_owned(),
        vec![
            fill(r.reply_intro, &[("author", m.uploader)]),
            r.reply_how.to_owned(),
        ],
        Some((r.button_read_reply, m.link)),
        Some(expiry_line(t, m.link, m.expires_at, m.timezone, m.language)),
        m.to,
        m.from,
        None,
    )
}

/// Renders the uploader's confirmation: which files went to whom.
pub fn upload_sent(
    language: Language,
    recipient: &str,
    files: &[(String, u64)],
    to: &str,
    from: &str,
    look: &Look<'_>,
) -> OutgoingEmail {
    let t = texts_for(language, look.form);
    let r = crate::requests::request_texts(language, look.form);
    let mut paragraphs = vec![fill(r.sent_intro, &[("recipient", recipient)])];
    paragraphs.extend(
        files
            .iter()
            .map(|(name, size)| format!("{name} ({})", zegel_core::format::size(language, *size))),
    );
    simple_mail(
        t,
        look,
        r.sent_subject.to_owned(),
        paragraphs,
        None,
        None,
        to,
        from,
        None,
    )
}

/// Renders the uploader's notice that the malware scanner refused their files.
pub fn upload_refused(
    language: Language,
    file: &str,
    recipient: &str,
    to: &str,
    from: &str,
    look: &Look<'_>,
) -> OutgoingEmail {
    let t = texts_for(language, look.form);
    let r = crate::requests::request_texts(language, look.form);
    simple_mail(
        t,
        look,
        r.refused_subject.to_owned(),
        vec![fill(
            r.refused_intro,
            &[("file", file), ("recipient", recipient)],
        )],
        None,
        None,
        to,
        from,
        None,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_mails_speak_each_language_and_name_no_content() {
        for language in Language::ALL {
            let mail = upload_request(
                &RequestMail {
                    language,
                    sender: "arts@zorg.example",
                    link: "https://zegel.zorg.example/u/abc",
                    expires_at: 1_669_293_300_000,
                    timezone: "Europe/Amsterdam",
                    from: "Zegel <no-reply@zorg.example>",
                    to: "jan@example.nl",
                },
                &Look::ZEGEL,
            );
            assert!(mail.text.contains("https://zegel.zorg.example/u/abc"));
            assert!(mail.text.contains("zegel.zorg.example."), "{}", mail.text);
            assert!(mail.text.contains("arts@zorg.example"));
            let code = verification_code(
                language,
                CodeFor::Upload {
                    sender: "arts@zorg.example",
                },
                "123456",
                30,
                "jan@example.nl",
                "z@zorg.example",
                &Look::ZEGEL,
            );
            assert!(code.text.contains("123456") && code.text.contains("30"));
            let received = files_received(
                &ReceivedMail {
                    language,
                    uploader: "jan@example.nl",
                    count: 3,
                    link: "https://zegel.zorg.example/m/xyz",
                    expires_at: 1_669_293_300_000,
                    timezone: "Europe/Amsterdam",
                    from: "z@zorg.example",
                    to: "arts@zorg.example",
                },
                &Look::ZEGEL,
            );
            assert!(received.text.contains('3') && received.text.contains("jan@example.nl"));
        }
        let nl = files_received(
            &ReceivedMail {
                language: Language::Nl,
                uploader: "jan@example.nl",
                count: 1,
                link: "https://z.example/m/x",
                expires_at: 0,
                timezone: "UTC",
                from: "z@z.example",
                to: "a@z.example",
            },
            &Look::ZEGEL,
        );
        assert_eq!(nl.subject, "Er zijn bestanden voor u geüpload");
        assert!(nl.text.contains("Download alles"));
        let je = Look {
            form: zegel_core::settings::FormOfAddress::Je,
            ..Look::ZEGEL
        };
        let sent = upload_sent(
            Language::Nl,
            "arts@zorg.example",
            &[("scan.pdf".into(), 2048)],
            "jan@example.nl",
            "z@z.example",
            &je,
        );
        assert_eq!(sent.subject, "Je bestanden zijn verzonden");
        assert!(sent.text.contains("scan.pdf"));
    }

    #[test]
    fn notification_escapes_and_links() {
        let mail = notification(&Notification {
            language: Language::En,
            kind: MessageKind::SecureMessage,
            subject: "<b>Dossier</b>",
            sender: "arts@zorg.example",
            plain_body: Some("secret body"),
            files: &[],
            link: "https://zegel.example/m/abc",
            expires_at: 1_669_293_300_000,
            timezone: "Europe/Amsterdam",
            from: "Zegel <no-reply@zegel.example>",
            to: "jan@example.nl",
        });
        let html = mail.html.unwrap();
        assert!(
            !html.contains("<b>Dossier") && html.contains("Dossier"),
            "subject must be escaped"
        );
        assert!(html.contains("https://zegel.example/m/abc"));
        assert!(
            mail.text.contains("24 November 2022 at 13:35"),
            "{}",
            mail.text
        );
        // A secure message's body never travels in the notification.
        assert!(!mail.text.contains("secret body") && !html.contains("secret body"));
        assert_eq!(mail.subject, "Secure message: <b>Dossier</b>");
        // Where the button leads, to tell it from a phishing copy.
        assert!(
            mail.text
                .contains("The button opens a page on zegel.example.")
                && html.contains("The button opens a page on zegel.example."),
            "{}",
            mail.text
        );
        assert_eq!(link_host("http://127.0.0.1:8080/m/x?y"), "127.0.0.1:8080");
        assert_eq!(link_host("no link"), "");
    }

    #[test]
    fn files_notification_carries_the_plain_body() {
        let mail = notification(&Notification {
            language: Language::Nl,
            kind: MessageKind::SecureFiles,
            subject: "",
            sender: "arts@zorg.example",
            plain_body: Some("Zie bijlage"),
            files: &[("verslag.pdf".to_owned(), 2_500_000)],
            link: "https://zegel.example/m/abc",
            expires_at: 0,
            timezone: "UTC",
            from: "Zegel <no-reply@zegel.example>",
            to: "jan@example.nl",
        });
        assert!(mail.text.contains("Zie bijlage"));
        // The sender chose to list the files: name and size, in the text and the HTML.
        let listed = "verslag.pdf (2,5\u{a0}MB)";
        assert!(
            mail.text
                .contains("Met deze bestanden:\nverslag.pdf (2,5\u{a0}MB)"),
            "{}",
            mail.text
        );
        assert!(mail.html.as_deref().unwrap().contains(listed));
        // Without a subject the mail is named once.
        assert_eq!(mail.subject, "Beveiligde bestanden");
    }
}
