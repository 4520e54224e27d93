//! The pane's state and every change to it: one [`State`], changed only by [`Action`]s through
//! `use_reducer`, so each step of the flow can be read in one place.

use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use serde::{Deserialize, Serialize};
use yew::Reducible;
use zegel_core::policy::{Action as FilterAction, Decision};
use zegel_core::settings::SenderSettings;
use zegel_core::upload_request::FileType;
use zegel_core::{AuthLevel, Deliver, Language, MessageKind, RecipientKind};

use crate::i18n::{self, Texts};
use crate::office::Item;
use crate::phone::PhoneVerdict;

/// The upload request's choices, its dialog and the request the draft makes.
mod upload_request;
pub use upload_request::{UploadChoices, attachments_refused};

/// Where the sender is in the flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stage {
    /// Office.js and the settings are loading.
    Loading,
    /// The page was opened outside Outlook.
    NotInOutlook,
    /// No (valid) sender token yet.
    SignIn {
        /// Whether a token was just refused.
        refused: bool,
    },
    /// Choosing options.
    Compose,
    /// Confirming each attachment.
    ConfirmFiles,
    /// Confirming each recipient.
    ConfirmRecipients,
    /// Uploading.
    Sending,
    /// Uploaded; the draft is the notification.
    Sent {
        /// The message id.
        id: String,
        /// The password Zegel generated, shown behind the eye (whichever delivery).
        password: Option<String>,
        /// Whether the sender tells the password themselves and the draft waits until they noted it.
        tell: bool,
        /// Whether the sender must still press Send in Outlook.
        press_send: bool,
    },
    /// Something failed; the sender may go back and retry.
    Failed(String),
}

/// What the sender sends with Zegel: a message of one of the three kinds, or an upload request that
/// asks the recipients for files (seed 001 §6.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Public files.
    PublicFiles,
    /// Secure files.
    SecureFiles,
    /// Secure message.
    SecureMessage,
    /// A secure upload request: nothing of the sender's leaves but the request, and each recipient
    /// proves their address with a code the server e-mails before uploading.
    UploadRequest,
}

impl Kind {
    /// Every kind, in the order the pane offers them.
    pub const ALL: [Kind; 4] = [
        Kind::PublicFiles,
        Kind::SecureFiles,
        Kind::SecureMessage,
        Kind::UploadRequest,
    ];

    /// The name in the pane's memo and element ids: a message kind's as the API writes it.
    pub fn as_str(self) -> &'static str {
        match self.message() {
            Some(kind) => kind.as_str(),
            None => "upload_request",
        }
    }

    /// The kind of message, for the three kinds that send one.
    pub fn message(self) -> Option<MessageKind> {
        match self {
            Kind::PublicFiles => Some(MessageKind::PublicFiles),
            Kind::SecureFiles => Some(MessageKind::SecureFiles),
            Kind::SecureMessage => Some(MessageKind::SecureMessage),
            Kind::UploadRequest => None,
        }
    }

    /// Whether the sender chooses how recipients authenticate (a password or an SMS code).
    pub fn asks_auth(self) -> bool {
        self.message().is_some_and(MessageKind::needs_auth)
    }
}

/// A field the sender has not (yet) filled in validly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Incomplete;

/// Generated or the sender's own password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordMode {
    /// Zegel generates one.
    Generated,
    /// The sender types one.
    Custom,
}

/// A strength verdict as the strength module returns it (`zegel_core::password::check_strength`).
pub use zegel_core::password::Strength;

/// The strength check of the custom password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StrengthView {
    /// Nothing typed.
    Idle,
    /// Loading the checker or checking.
    Checking,
    /// Judged.
    Judged(Strength),
    /// The checker could not be loaded.
    Unavailable,
}

/// A recipient of the draft.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    /// Address as Outlook has it.
    pub email: String,
    /// Display name.
    pub name: String,
    /// To, Cc or Bcc.
    pub kind: RecipientKind,
}

/// The 2FA phone field of one recipient.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PhoneField {
    /// What the sender typed.
    pub input: String,
    /// The country national numbers are read in; `None` is the tenant's default.
    pub country: Option<String>,
    /// The masked number the server already knows.
    pub known: Option<String>,
    /// The verdict on `input` in `country`, as checked (stale verdicts are dropped).
    pub verdict: Option<PhoneVerdict>,
}

/// The pane's choices for the draft, kept in the item's session data (`office::PANE_KEY`): the on-send
/// handler reads them, so Outlook's Send honours the pane even when it is closed, and the pane restores
/// them when it opens again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaneMemo {
    /// Zegel is on (switched on by the sender, automatically, or forced).
    pub on: bool,
    /// The sender switched Zegel off after the content filter switched it on.
    #[serde(default)]
    pub switched_off: bool,
    /// The content filter forces secure sending.
    #[serde(default)]
    pub forced: bool,
    /// The kind chosen. The on-send handler never lets a draft marked `upload_request` go plain, unless
    /// the sender switched Zegel off.
    #[serde(default)]
    pub kind: Option<Kind>,
    /// The authentication level chosen.
    #[serde(default)]
    pub level: Option<AuthLevel>,
    /// The recipients' language chosen.
    #[serde(default)]
    pub language: Option<Language>,
    /// The upload request's file types and template, when that is the kind chosen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upload_request: Option<UploadChoices>,
}

/// Everything the pane shows.
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    /// The flow's step.
    pub stage: Stage,
    /// Texts in the display language.
    pub texts: &'static Texts,
    /// Tenant settings.
    pub settings: SenderSettings,
    /// The draft.
    pub item: Item,
    /// Zegel on or off.
    pub enabled: bool,
    /// Whether the sender switched Zegel off after the filter switched it on.
    pub switched_off: bool,
    /// Message kind, or an upload request.
    pub kind: Kind,
    /// The upload request's saved choices.
    pub upload: UploadChoices,
    /// The upload request dialog's working copy, while it is open (Save keeps it, Cancel drops it).
    pub upload_dialog: Option<UploadChoices>,
    /// Authentication level.
    pub level: AuthLevel,
    /// Password choice (1FA).
    pub password_mode: PasswordMode,
    /// The custom password.
    pub custom_password: String,
    /// Its strength.
    pub strength: StrengthView,
    /// How the password reaches the recipient.
    pub deliver: Deliver,
    /// The language of what recipients get (one of the tenant's languages).
    pub language: Language,
    /// 2FA phone fields by lower-case address.
    pub phones: BTreeMap<String, PhoneField>,
    /// Whether the file settings are open.
    pub file_settings_open: bool,
    /// Expiry as typed.
    pub expiry_input: String,
    /// Download limit as typed (empty: unlimited).
    pub downloads_input: String,
    /// A confirmation mail to the sender (preset from the tenant's default).
    pub confirm_to_sender: bool,
    /// A mail to the sender on each download (preset from the tenant's default).
    pub notify_on_download: bool,
    /// The content filter's decision on the draft.
    pub verdict: Option<Decision>,
    /// Attachments the live verdict could not include (attached items, cloud links, very large files).
    pub unscanned: Vec<String>,
    /// While sending: the files' bytes the server holds, of their total.
    pub uploaded: Option<(u64, u64)>,
    /// Confirmed attachment ids.
    pub confirmed_files: BTreeSet<String>,
    /// Confirmed recipients (lower-case addresses).
    pub confirmed_recipients: BTreeSet<String>,
    /// The sender pressed Outlook's Send while Zegel was on: the pane leads to the wizard.
    pub send_pressed: bool,
}

/// A change to the state.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Office.js is not there.
    NotInOutlook,
    /// Outlook's display language is known: every screen from now on (sign-in too) speaks it.
    Texts(&'static Texts),
    /// A token is needed.
    NeedToken {
        /// Whether one was just refused.
        refused: bool,
    },
    /// Everything loaded.
    Loaded {
        /// Display-language texts.
        texts: &'static Texts,
        /// Tenant settings (boxed: the largest part of the largest action, read once).
        settings: Box<SenderSettings>,
        /// The draft.
        item: Item,
        /// The pane's choices for this draft from an earlier opening, if any.
        memo: Option<PaneMemo>,
    },
    /// The sender pressed Outlook's Send while Zegel was on (the on-send handler stopped it).
    SendPressed,
    /// The draft changed in Outlook.
    ItemChanged(Item),
    /// The content filter decided (`None`: no content filter on this server).
    Verdict(Option<Decision>),
    /// The attachments the last scan left out, by name.
    Unscanned(Vec<String>),
    /// The toggle.
    Toggle,
    /// The kind; choosing an upload request opens its dialog.
    Kind(Kind),
    /// Opens the upload request dialog again.
    OpenUploadDialog,
    /// Ticks (or unticks) a kind of file in the dialog.
    UploadType(FileType, bool),
    /// Chooses a template by name in the dialog, or none.
    UploadTemplate(Option<String>),
    /// Keeps the dialog's choices and closes it.
    SaveUploadDialog,
    /// Closes the dialog, keeping the choices from before.
    CancelUploadDialog,
    /// The authentication level.
    Level(AuthLevel),
    /// Generated or custom password.
    PasswordMode(PasswordMode),
    /// The custom password as typed.
    CustomPassword(String),
    /// A strength verdict for `password`.
    Strength {
        /// The password it is about (stale answers are dropped).
        password: String,
        /// The verdict.
        view: StrengthView,
    },
    /// Send via.
    Deliver(Deliver),
    /// The recipients' language.
    Language(Language),
    /// A phone number as typed.
    Phone {
        /// Lower-case address.
        email: String,
        /// Input.
        input: String,
    },
    /// The country a recipient's national number is read in.
    PhoneCountry {
        /// Lower-case address.
        email: String,
        /// ISO 3166 code.
        country: String,
    },
    /// The verdict on a number as typed.
    PhoneChecked {
        /// Lower-case address.
        email: String,
        /// The input it is about.
        input: String,
        /// The country it was read in.
        country: String,
        /// The verdict.
        verdict: PhoneVerdict,
    },
    /// The server knows a number.
    PhoneKnown {
        /// Lower-case address.
        email: String,
        /// Masked number.
        masked: String,
    },
    /// Opens or closes the file settings.
    ToggleFileSettings,
    /// Expiry as typed.
    Expiry(String),
    /// Download limit as typed.
    Downloads(String),
    /// A confirmation mail to the sender, on or off.
    ConfirmToSender(bool),
    /// A mail to the sender on each download, on or off.
    NotifyOnDownload(bool),
    /// Next step of the wizard.
    Next,
    /// Previous step.
    Back,
    /// Confirms (or unconfirms) an attachment.
    ConfirmFile(String, bool),
    /// Confirms (or unconfirms) a recipient.
    ConfirmRecipient(String, bool),
    /// The upload started.
    Sending,
    /// The files' upload went on: bytes the server holds, of the total.
    Uploaded(u64, u64),
    /// The upload succeeded.
    Sent {
        /// Message id.
        id: String,
        /// The generated password, if any.
        password: Option<String>,
        /// Whether the sender must tell it before the draft is sent.
        tell: bool,
        /// Whether the sender must press Send.
        press_send: bool,
    },
    /// The upload or sealing failed.
    Failed(String),
}

impl State {
    /// The state before anything loaded.
    pub fn new(texts: &'static Texts) -> Self {
        let settings = SenderSettings::default();
        Self {
            stage: Stage::Loading,
            texts,
            expiry_input: settings.expiry_days.default.to_string(),
            downloads_input: String::new(),
            confirm_to_sender: false,
            notify_on_download: false,
            settings,
            item: Item::default(),
            enabled: false,
            switched_off: false,
            kind: Kind::SecureMessage,
            upload: UploadChoices::default(),
            upload_dialog: None,
            level: AuthLevel::OneFa,
            password_mode: PasswordMode::Generated,
            custom_password: String::new(),
            strength: StrengthView::Idle,
            deliver: Deliver::Email,
            language: Language::Nl,
            phones: BTreeMap::new(),
            file_settings_open: false,
            verdict: None,
            unscanned: Vec::new(),
            uploaded: None,
            confirmed_files: BTreeSet::new(),
            confirmed_recipients: BTreeSet::new(),
            send_pressed: false,
        }
    }

    /// Whether the settings and the draft are loaded (the pane shows the flow).
    pub fn loaded(&self) -> bool {
        !matches!(
            self.stage,
            Stage::Loading | Stage::NotInOutlook | Stage::SignIn { .. }
        )
    }

    /// The choices the on-send handler and a later opening of the pane need.
    pub fn memo(&self) -> PaneMemo {
        PaneMemo {
            on: self.enabled,
            switched_off: self.switched_off,
            forced: self.forced(),
            kind: Some(self.kind),
            level: Some(self.level),
            language: Some(self.language),
            upload_request: (self.kind == Kind::UploadRequest).then(|| self.upload.clone()),
        }
    }

    /// The first step of the wizard, when the options are complete.
    fn wizard(&self) -> Option<Stage> {
        if !self.options_complete() {
            None
        } else if self.files().is_empty() || self.kind == Kind::UploadRequest {
            // An upload request carries no files: at most the body's inline pictures, which go with it.
            Some(Stage::ConfirmRecipients)
        } else {
            Some(Stage::ConfirmFiles)
        }
    }

    /// The draft's recipients, To first, each address once.
    pub fn recipients(&self) -> Vec<Recipient> {
        let mut seen = BTreeSet::new();
        let lists = [
            (&self.item.to, RecipientKind::To),
            (&self.item.cc, RecipientKind::Cc),
            (&self.item.bcc, RecipientKind::Bcc),
        ];
        lists
            .into_iter()
            .flat_map(|(list, kind)| list.iter().map(move |a| (a, kind)))
            .filter(|(a, _)| !a.email.is_empty() && seen.insert(a.email.to_lowercase()))
            .map(|(a, kind)| Recipient {
                email: a.email.clone(),
                name: a.name.clone(),
                kind,
            })
            .collect()
    }

    /// Attachments that are uploaded (files, inline images included).
    pub fn files(&self) -> Vec<&crate::office::Attachment> {
        self.item.attachments.iter().filter(|a| a.file).collect()
    }

    /// Whether the content filter forces secure sending.
    pub fn forced(&self) -> bool {
        self.verdict
            .as_ref()
            .is_some_and(|v| v.action == FilterAction::Force)
    }

    /// The lowest level the filter allows (forced decisions only).
    pub fn required_level(&self) -> Option<AuthLevel> {
        self.verdict
            .as_ref()
            .filter(|v| v.action == FilterAction::Force)
            .and_then(|v| v.level)
    }

    /// Whether 1FA may be chosen: the tenant allows it, offers a password option, and the filter does
    /// not force 2FA.
    pub fn one_fa_allowed(&self) -> bool {
        let options = &self.settings.password_options;
        self.settings.allow_1fa
            && (options.generated || options.custom)
            && self.required_level() != Some(AuthLevel::TwoFa)
    }

    /// The phone number to send for `email`: E.164 when typed validly, `None` when the known one is used.
    /// `Err` when neither is there.
    pub fn phone_for(&self, email: &str) -> Result<Option<String>, Incomplete> {
        let field = self
            .phones
            .get(&email.to_lowercase())
            .cloned()
            .unwrap_or_default();
        if field.input.trim().is_empty() {
            return if field.known.is_some() {
                Ok(None)
            } else {
                Err(Incomplete)
            };
        }
        match field.verdict {
            Some(PhoneVerdict::Mobile(e164)) => Ok(Some(e164)),
            _ => Err(Incomplete),
        }
    }

    /// The country `email`'s national number is read in.
    pub fn phone_country(&self, email: &str) -> String {
        self.phones
            .get(&email.to_lowercase())
            .and_then(|f| f.country.clone())
            .unwrap_or_else(|| self.settings.sms_default_country.to_ascii_uppercase())
    }

    /// The expiry in days, when valid.
    pub fn expiry_days(&self) -> Option<u32> {
        self.expiry_input
            .trim()
            .parse()
            .ok()
            .filter(|d| (1..=self.settings.expiry_days.max).contains(d))
    }

    /// The download limit: `Ok(None)` for unlimited, `Err` when the input is not a positive number.
    pub fn max_downloads(&self) -> Result<Option<u32>, Incomplete> {
        let text = self.downloads_input.trim();
        if text.is_empty() {
            return Ok(None);
        }
        text.parse()
            .ok()
            .filter(|n| *n >= 1)
            .map(Some)
            .ok_or(Incomplete)
    }

    /// Whether the options are complete, so Next may be pressed.
    pub fn options_complete(&self) -> bool {
        if !self.enabled || self.recipients().is_empty() || self.expiry_days().is_none() {
            return false;
        }
        if self.kind == Kind::UploadRequest {
            return self.upload_dialog.is_none() && attachments_refused(&self.item).is_empty();
        }
        if self.max_downloads().is_err() {
            return false;
        }
        if !self.kind.asks_auth() {
            return true;
        }
        match self.level {
            AuthLevel::OneFa => {
                self.one_fa_allowed()
                    && match self.password_mode {
                        PasswordMode::Generated => self.settings.password_options.generated,
                        PasswordMode::Custom => {
                            self.settings.password_options.custom
                                && matches!(&self.strength, StrengthView::Judged(s) if s.strong_enough)
                        }
                    }
            }
            AuthLevel::TwoFa => self
                .recipients()
                .iter()
                .all(|r| self.phone_for(&r.email).is_ok()),
        }
    }

    /// Whether every attachment is confirmed.
    pub fn files_confirmed(&self) -> bool {
        self.files()
            .iter()
            .all(|f| self.confirmed_files.contains(&f.id))
    }

    /// Whether every recipient is confirmed.
    pub fn recipients_confirmed(&self) -> bool {
        let recipients = self.recipients();
        !recipients.is_empty()
            && recipients
                .iter()
                .all(|r| self.confirmed_recipients.contains(&r.email.to_lowercase()))
    }

    /// Puts the level and password mode within what the tenant and the filter allow.
    fn fit_options(&mut self) {
        if !self.one_fa_allowed() {
            self.level = AuthLevel::TwoFa;
        }
        let options = &self.settings.password_options;
        if self.password_mode == PasswordMode::Generated && !options.generated && options.custom {
            self.password_mode = PasswordMode::Custom;
        }
        if self.password_mode == PasswordMode::Custom && !options.custom && options.generated {
            self.password_mode = PasswordMode::Generated;
        }
        if !self.settings.allow_deliver_other {
            self.deliver = Deliver::Email;
        }
        if !self.settings.languages.contains(&self.language) {
            self.language = self.settings.languages.first().copied().unwrap_or_default();
        }
    }

    fn apply_verdict(&mut self, verdict: Option<Decision>) {
        if let Some(decision) = &verdict {
            match decision.action {
                FilterAction::Force => self.enabled = true,
                FilterAction::Auto if !self.switched_off => self.enabled = true,
                _ => {}
            }
            let raises = matches!(decision.action, FilterAction::Auto | FilterAction::Force);
            if raises && decision.level == Some(AuthLevel::TwoFa) && self.level != AuthLevel::TwoFa
            {
                let first_time = self.verdict.as_ref().map(|v| (v.action, v.level))
                    != Some((decision.action, decision.level));
                if first_time {
                    self.level = AuthLevel::TwoFa;
                }
            }
            // An upload request stays one: the sender asks for files, and nothing of theirs leaves.
            if raises && self.kind == Kind::PublicFiles {
                self.kind = Kind::SecureMessage;
            }
        }
        self.verdict = verdict;
        self.fit_options();
    }
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let unchanged = match &action {
            Action::ItemChanged(item) => *item == self.item,
            Action::Unscanned(names) => *names == self.unscanned,
            _ => false,
        };
        if unchanged {
            return self;
        }
        let mut s = (*self).clone();
        match action {
            Action::NotInOutlook => s.stage = Stage::NotInOutlook,
            Action::Texts(texts) => s.texts = texts,
            Action::NeedToken { refused } => s.stage = Stage::SignIn { refused },
            Action::Loaded {
                texts,
                settings,
                item,
                memo,
            } => {
                s.texts = texts;
                s.expiry_input = settings
                    .expiry_days
                    .default
                    .min(settings.expiry_days.max)
                    .to_string();
                s.downloads_input = settings
                    .max_downloads_default
                    .map(|n| n.to_string())
                    .unwrap_or_default();
                s.confirm_to_sender = settings.confirm_to_sender;
                s.notify_on_download = settings.notify_sender_on_download;
                // The tenant's first language, unless the sender chose another for this draft.
                s.language = settings.languages.first().copied().unwrap_or_default();
                s.settings = *settings;
                s.item = item;
                s.stage = Stage::Compose;
                if let Some(memo) = memo {
                    s.language = memo.language.unwrap_or(s.language);
                    s.enabled = memo.on;
                    s.switched_off = memo.switched_off && !memo.on;
                    s.kind = memo.kind.unwrap_or(s.kind);
                    s.level = memo.level.unwrap_or(s.level);
                    if let Some(mut upload) = memo.upload_request {
                        // A template the tenant has since removed is no longer chosen.
                        if upload
                            .template(&s.settings.upload_request_templates)
                            .is_none()
                        {
                            upload.template = None;
                        }
                        s.upload = upload;
                    }
                }
                s.fit_options();
            }
            Action::SendPressed => {
                s.send_pressed = true;
                if s.stage == Stage::Compose
                    && let Some(step) = s.wizard()
                {
                    s.stage = step;
                }
            }
            Action::ItemChanged(item) => s.item = item,
            Action::Verdict(verdict) => s.apply_verdict(verdict),
            Action::Unscanned(names) => s.unscanned = names,
            Action::Toggle => {
                if !(s.enabled && s.forced()) {
                    s.enabled = !s.enabled;
                    s.switched_off = !s.enabled;
                }
            }
            Action::Kind(kind) => {
                if kind == Kind::UploadRequest && s.kind != Kind::UploadRequest {
                    s.upload_dialog = Some(s.upload.clone());
                } else if kind != Kind::UploadRequest {
                    s.upload_dialog = None;
                }
                s.kind = kind;
            }
            Action::OpenUploadDialog => {
                if s.kind == Kind::UploadRequest {
                    s.upload_dialog = Some(s.upload.clone());
                }
            }
            Action::UploadType(file_type, on) => {
                if let Some(dialog) = &mut s.upload_dialog {
                    dialog.tick(file_type, on);
                }
            }
            Action::UploadTemplate(name) => {
                if let Some(dialog) = &mut s.upload_dialog {
                    dialog.choose_template(name, &s.settings.upload_request_templates);
                }
            }
            Action::SaveUploadDialog => {
                if let Some(dialog) = s.upload_dialog.take() {
                    s.upload = dialog;
                }
            }
            Action::CancelUploadDialog => s.upload_dialog = None,
            Action::Level(level) => {
                if level == AuthLevel::TwoFa || s.one_fa_allowed() {
                    s.level = level;
                }
            }
            Action::PasswordMode(mode) => {
                s.password_mode = mode;
                s.fit_options();
            }
            Action::CustomPassword(password) => {
                s.strength = if password.is_empty() {
                    StrengthView::Idle
                } else {
                    StrengthView::Checking
                };
                s.custom_password = password;
            }
            Action::Strength { password, view } => {
                if password == s.custom_password && !password.is_empty() {
                    s.strength = view;
                }
            }
            Action::Language(language) => {
                if s.settings.languages.contains(&language) {
                    s.language = language;
                }
            }
            Action::Deliver(deliver) => {
                if deliver == Deliver::Email || s.settings.allow_deliver_other {
                    s.deliver = deliver;
                }
            }
            Action::Phone { email, input } => {
                let field = s.phones.entry(email).or_default();
                if field.input != input {
                    field.verdict = None;
                }
                field.input = input;
            }
            Action::PhoneCountry { email, country } => {
                let field = s.phones.entry(email).or_default();
                field.verdict = None;
                field.country = Some(country);
            }
            Action::PhoneChecked {
                email,
                input,
                country,
                verdict,
            } => {
                if s.phones.get(&email).is_some_and(|f| f.input == input)
                    && s.phone_country(&email) == country
                    && let Some(field) = s.phones.get_mut(&email)
                {
                    field.verdict = Some(verdict);
                }
            }
            Action::PhoneKnown { email, masked } => {
                s.phones.entry(email).or_default().known = Some(masked)
            }
            Action::ToggleFileSettings => s.file_settings_open = !s.file_settings_open,
            Action::Expiry(text) => s.expiry_input = text,
            Action::Downloads(text) => s.downloads_input = text,
            Action::ConfirmToSender(on) => s.confirm_to_sender = on,
            Action::NotifyOnDownload(on) => s.notify_on_download = on,
            Action::Next => {
                s.stage = match s.stage {
                    Stage::Compose if s.options_complete() => s.wizard().unwrap_or(Stage::Compose),
                    Stage::ConfirmFiles if s.files_confirmed() => Stage::ConfirmRecipients,
                    ref other => other.clone(),
                }
            }
            Action::Back => {
                s.stage = match s.stage {
                    Stage::ConfirmRecipients
                        if !s.files().is_empty() && s.kind != Kind::UploadRequest =>
                    {
                        Stage::ConfirmFiles
                    }
                    Stage::ConfirmFiles | Stage::ConfirmRecipients | Stage::Failed(_) => {
                        Stage::Compose
                    }
                    ref other => other.clone(),
                }
            }
            Action::ConfirmFile(id, yes) => {
                if yes {
                    s.confirmed_files.insert(id);
                } else {
                    s.confirmed_files.remove(&id);
                }
            }
            Action::ConfirmRecipient(email, yes) => {
                if yes {
                    s.confirmed_recipients.insert(email.to_lowercase());
                } else {
                    s.confirmed_recipients.remove(&email.to_lowercase());
                }
            }
            Action::Sending => {
                s.stage = Stage::Sending;
                s.uploaded = None;
            }
            Action::Uploaded(sent, total) => s.uploaded = Some((sent, total)),
            Action::Sent {
                id,
                password,
                tell,
                press_send,
            } => {
                s.stage = Stage::Sent {
                    id,
                    password,
                    tell,
                    press_send,
                }
            }
            Action::Failed(message) => s.stage = Stage::Failed(message),
        }
        Rc::new(s)
    }
}

impl Default for State {
    fn default() -> Self {
        Self::new(&i18n::EN)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::office::{Address, Attachment};

    fn loaded(settings: SenderSettings) -> Rc<State> {
        let item = Item {
            to: vec![Address {
                email: "jan@example.nl".into(),
                name: "Jan".into(),
            }],
            attachments: vec![Attachment {
                id: "a1".into(),
                name: "x.pdf".into(),
                size: 3,
                inline: false,
                file: true,
            }],
            ..Item::default()
        };
        Rc::new(State::default()).reduce(Action::Loaded {
            texts: &i18n::EN,
            settings: Box::new(settings),
            item,
            memo: None,
        })
    }

    fn verdict(action: FilterAction, level: AuthLevel) -> Option<Decision> {
        Some(Decision {
            action,
            level: Some(level),
            reasons: vec![],
            warnings: vec![],
            required: None,
        })
    }

    #[test]
    fn next_needs_a_strong_custom_password() {
        let s = loaded(SenderSettings::default())
            .reduce(Action::Toggle)
            .reduce(Action::PasswordMode(PasswordMode::Custom));
        let s = s.reduce(Action::CustomPassword("welkom".into()));
        assert!(!s.options_complete());
        let weak = Strength {
            score: 1,
            strong_enough: false,
            warning: None,
            suggestions: vec![],
            warning_code: None,
            suggestion_codes: vec![],
        };
        let s = s.reduce(Action::Strength {
            password: "welkom".into(),
            view: StrengthView::Judged(weak),
        });
        assert!(!s.options_complete());
        let s = s.reduce(Action::CustomPassword("kaas-fiets-Tulp-regen-97".into()));
        let strong = Strength {
            score: 4,
            strong_enough: true,
            warning: None,
            suggestions: vec![],
            warning_code: None,
            suggestion_codes: vec![],
        };
        let stale = s.clone().reduce(Action::Strength {
            password: "welkom".into(),
            view: StrengthView::Judged(strong.clone()),
        });
        assert!(
            !stale.options_complete(),
            "a verdict on an older password is dropped"
        );
        let s = s.reduce(Action::Strength {
            password: "kaas-fiets-Tulp-regen-97".into(),
            view: StrengthView::Judged(strong),
        });
        assert!(s.options_complete());
        let s = s.reduce(Action::Next);
        assert_eq!(s.stage, Stage::ConfirmFiles);
        let s = s.reduce(Action::Next);
        assert_eq!(
            s.stage,
            Stage::ConfirmFiles,
            "the attachment is not confirmed yet"
        );
        let s = s
            .reduce(Action::ConfirmFile("a1".into(), true))
            .reduce(Action::Next);
        assert_eq!(s.stage, Stage::ConfirmRecipients);
        assert!(!s.recipients_confirmed());
        assert!(
            s.reduce(Action::ConfirmRecipient("JAN@example.nl".into(), true))
                .recipients_confirmed()
        );
    }

    #[test]
    fn forced_verdicts_lock_the_toggle_and_raise_the_level() {
        let s = loaded(SenderSettings::default()).reduce(Action::Verdict(verdict(
            FilterAction::Force,
            AuthLevel::TwoFa,
        )));
        assert!(s.enabled && s.forced());
        assert_eq!(s.level, AuthLevel::TwoFa);
        let s = s
            .reduce(Action::Toggle)
            .reduce(Action::Level(AuthLevel::OneFa));
        assert!(s.enabled, "a forced Zegel cannot be switched off");
        assert_eq!(s.level, AuthLevel::TwoFa, "nor lowered to 1FA");
    }

    #[test]
    fn automatic_verdicts_can_be_switched_off() {
        let s = loaded(SenderSettings::default()).reduce(Action::Verdict(verdict(
            FilterAction::Auto,
            AuthLevel::OneFa,
        )));
        assert!(s.enabled);
        let s = s.reduce(Action::Toggle).reduce(Action::Verdict(verdict(
            FilterAction::Auto,
            AuthLevel::OneFa,
        )));
        assert!(
            !s.enabled,
            "a rescan does not switch Zegel back on against the sender's choice"
        );
    }

    #[test]
    fn hidden_options_are_never_chosen() {
        let settings = SenderSettings {
            allow_1fa: false,
            allow_deliver_other: false,
            ..SenderSettings::default()
        };
        let s = loaded(settings)
            .reduce(Action::Level(AuthLevel::OneFa))
            .reduce(Action::Deliver(Deliver::Other));
        assert_eq!(s.level, AuthLevel::TwoFa);
        assert_eq!(s.deliver, Deliver::Email);
        let mut settings = SenderSettings::default();
        settings.password_options.generated = false;
        assert_eq!(loaded(settings).password_mode, PasswordMode::Custom);
    }

    #[test]
    fn two_fa_needs_a_number_per_recipient() {
        let s = loaded(SenderSettings::default())
            .reduce(Action::Toggle)
            .reduce(Action::Level(AuthLevel::TwoFa));
        assert!(!s.options_complete());
        let typed = s.clone().reduce(Action::Phone {
            email: "jan@example.nl".into(),
            input: "06 1234 5678".into(),
        });
        assert!(!typed.options_complete(), "not before the check said so");
        let checked = |input: &str, country: &str, verdict: PhoneVerdict| Action::PhoneChecked {
            email: "jan@example.nl".into(),
            input: input.into(),
            country: country.into(),
            verdict,
        };
        let stale = typed.clone().reduce(checked(
            "06 1234",
            "NL",
            PhoneVerdict::Mobile("+316".into()),
        ));
        assert!(
            !stale.options_complete(),
            "a verdict on older input is dropped"
        );
        let landline = typed
            .clone()
            .reduce(checked("06 1234 5678", "NL", PhoneVerdict::NotMobile));
        assert!(!landline.options_complete(), "a landline is never ticked");
        let typed = typed.reduce(checked(
            "06 1234 5678",
            "NL",
            PhoneVerdict::Mobile("+31612345678".into()),
        ));
        assert!(typed.options_complete());
        let other_country = typed.clone().reduce(Action::PhoneCountry {
            email: "jan@example.nl".into(),
            country: "SE".into(),
        });
        assert!(
            !other_country.options_complete(),
            "another country is checked again"
        );
        assert_eq!(other_country.phone_country("JAN@example.nl"), "SE");
        assert_eq!(
            typed.phone_for("jan@example.nl"),
            Ok(Some("+31612345678".into()))
        );
        let known = s.reduce(Action::PhoneKnown {
            email: "jan@example.nl".into(),
            masked: "+31******678".into(),
        });
        assert_eq!(known.phone_for("jan@example.nl"), Ok(None));
        assert!(known.options_complete());
    }

    #[test]
    fn the_memo_restores_the_senders_choices_and_send_leads_to_the_wizard() {
        let s = loaded(SenderSettings::default())
            .reduce(Action::Toggle)
            .reduce(Action::Kind(Kind::SecureFiles));
        let memo = s.memo();
        assert!(memo.on && !memo.switched_off);
        let json = serde_json::to_string(&memo).unwrap();
        assert!(
            json.contains(r#""on":true"#) && json.contains(r#""switchedOff":false"#),
            "{json}"
        );
        // The pane opens again for the same draft (after Outlook's Send was stopped).
        let reopened = Rc::new(State::default()).reduce(Action::Loaded {
            texts: &i18n::EN,
            settings: Box::default(),
            item: s.item.clone(),
            memo: serde_json::from_str(&json).ok(),
        });
        assert!(reopened.enabled);
        assert_eq!(reopened.kind, Kind::SecureFiles);
        let pressed = reopened.reduce(Action::SendPressed);
        assert_eq!(
            pressed.stage,
            Stage::ConfirmFiles,
            "Send leads to the wizard"
        );
        // Switched off after the filter switched it on: the memo says so, and a rescan keeps it off.
        let off = loaded(SenderSettings::default())
            .reduce(Action::Verdict(verdict(
                FilterAction::Auto,
                AuthLevel::OneFa,
            )))
            .reduce(Action::Toggle);
        assert!(off.memo().switched_off && !off.memo().on);
        // Send pressed with incomplete options stays on the options, with the hint.
        let incomplete = loaded(SenderSettings::default())
            .reduce(Action::Toggle)
            .reduce(Action::PasswordMode(PasswordMode::Custom))
            .reduce(Action::SendPressed);
        assert_eq!(incomplete.stage, Stage::Compose);
        assert!(incomplete.send_pressed);
    }

    #[test]
    fn the_recipients_language_is_one_the_tenant_offers() {
        let settings = SenderSettings {
            languages: vec![Language::Sv, Language::En],
            ..SenderSettings::default()
        };
        let s = loaded(settings);
        assert_eq!(s.language, Language::Sv, "the tenant's first language");
        assert_eq!(
            s.clone().reduce(Action::Language(Language::Nl)).language,
            Language::Sv,
            "a language the tenant does not offer is never chosen"
        );
        assert_eq!(
            s.reduce(Action::Language(Language::En)).language,
            Language::En
        );
    }
}
