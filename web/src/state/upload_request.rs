//! A secure upload request (seed 001 §6.1): the choices the sender makes in its dialog, and the request
//! the draft then makes of the server.

use serde::{Deserialize, Serialize};
use zegel_core::message::Notify;
use zegel_core::upload_request::{
    FileType, RequestRecipient, UploadRequestRequest, UploadRequestTemplate,
};

use super::State;
use crate::office::{Attachment, Item};

/// What the sender chose in the upload request dialog: the kinds of files asked for (none: any kind)
/// and the tenant's template whose text becomes the request's message (none: the draft's own text).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadChoices {
    /// The kinds of files asked for, in [`FileType`]'s order; empty accepts any kind.
    #[serde(default)]
    pub allowed_types: Vec<FileType>,
    /// The chosen template, by name.
    #[serde(default)]
    pub template: Option<String>,
}

impl UploadChoices {
    /// Whether `file_type` is ticked.
    pub fn allows(&self, file_type: FileType) -> bool {
        self.allowed_types.contains(&file_type)
    }

    /// Ticks or unticks a kind of file.
    pub(super) fn tick(&mut self, file_type: FileType, on: bool) {
        self.allowed_types.retain(|t| *t != file_type);
        if on {
            self.allowed_types.push(file_type);
            self.allowed_types.sort();
        }
    }

    /// Chooses the template named `name` among `templates`: its kinds of files replace the ticked ones.
    /// None (or a name the tenant does not have) leaves the ticks as they are, for the sender to adjust.
    pub(super) fn choose_template(
        &mut self,
        name: Option<String>,
        templates: &[UploadRequestTemplate],
    ) {
        let chosen = name.and_then(|name| templates.iter().find(|t| t.name == name));
        self.template = chosen.map(|t| t.name.clone());
        if let Some(template) = chosen {
            self.allowed_types = template.allowed_types.clone();
            self.allowed_types.sort();
            self.allowed_types.dedup();
        }
    }

    /// The chosen template, if the tenant has it.
    pub fn template<'a>(
        &self,
        templates: &'a [UploadRequestTemplate],
    ) -> Option<&'a UploadRequestTemplate> {
        let name = self.template.as_deref()?;
        templates.iter().find(|t| t.name == name)
    }
}

/// The draft's attachments an upload request cannot carry: every one but the body's inline pictures,
/// which go with the body the notification replaces.
pub fn attachments_refused(item: &Item) -> Vec<&Attachment> {
    item.attachments.iter().filter(|a| !a.inline).collect()
}

impl State {
    /// The request the draft makes: its recipients (To, Cc and Bcc alike), the template's text in the
    /// recipients' language or else the draft's own text, the kinds of files asked for, the expiry and
    /// the language, with `"notify": "client"` so the draft itself carries the request's link.
    pub fn upload_request(&self, item: &Item) -> UploadRequestRequest {
        let templates = &self.settings.upload_request_templates;
        let message = match self.upload.template(templates) {
            Some(template) => template.text.get(self.language).to_owned(),
            None => item.body_text.trim().to_owned(),
        };
        UploadRequestRequest {
            recipients: self
                .recipients()
                .into_iter()
                .map(|r| RequestRecipient { email: r.email })
                .collect(),
            message,
            allowed_types: self.upload.allowed_types.clone(),
            max_files: None,
            max_bytes: None,
            expires_in_days: self.expiry_days(),
            language: Some(self.language),
            notify: Some(Notify::Client),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::rc::Rc;

    use yew::Reducible;
    use zegel_core::Language;
    use zegel_core::policy::{Action as FilterAction, Decision};
    use zegel_core::settings::SenderSettings;
    use zegel_core::upload_request::TemplateText;

    use super::*;
    use crate::i18n;
    use crate::office::Address;
    use crate::state::{Action, Kind, PaneMemo, Stage};

    fn address(email: &str) -> Address {
        Address {
            email: email.into(),
            name: String::new(),
        }
    }

    fn referral() -> UploadRequestTemplate {
        UploadRequestTemplate {
            name: "Verwijsbrief".into(),
            text: TemplateText {
                nl: "Wilt u uw verwijsbrief uploaden?".into(),
                sv: "Vill du ladda upp din remiss?".into(),
                en: "Please upload your referral letter.".into(),
            },
            allowed_types: vec![FileType::Image, FileType::Pdf],
        }
    }

    fn settings() -> SenderSettings {
        SenderSettings {
            upload_request_templates: vec![referral()],
            ..SenderSettings::default()
        }
    }

    /// Zegel on for a draft to Jan (To), Piet (Cc) and Anna (Bcc) with a signature picture inline.
    fn loaded(settings: SenderSettings) -> Rc<State> {
        let item = Item {
            body_text: "  Stuurt u mij de jaaropgave?\n".into(),
            to: vec![address("jan@example.nl")],
            cc: vec![address("piet@example.nl")],
            bcc: vec![address("anna@example.nl")],
            attachments: vec![Attachment {
                id: "logo".into(),
                name: "logo.png".into(),
                size: 3,
                inline: true,
                file: true,
            }],
            ..Item::default()
        };
        Rc::new(State::default())
            .reduce(Action::Loaded {
                texts: &i18n::NL,
                settings: Box::new(settings),
                item,
                memo: None,
            })
            .reduce(Action::Toggle)
    }

    #[test]
    fn choosing_the_kind_opens_the_dialog_and_save_keeps_its_choices() {
        let s = loaded(settings()).reduce(Action::Kind(Kind::UploadRequest));
        assert_eq!(s.kind, Kind::UploadRequest);
        assert_eq!(s.upload_dialog, Some(UploadChoices::default()));
        assert!(!s.options_complete(), "not while the dialog is open");
        let s = s
            .reduce(Action::UploadType(FileType::Spreadsheet, true))
            .reduce(Action::UploadType(FileType::Pdf, true))
            .reduce(Action::UploadType(FileType::Spreadsheet, true));
        let cancelled = s.clone().reduce(Action::CancelUploadDialog);
        assert_eq!(cancelled.upload, UploadChoices::default());
        assert_eq!(cancelled.kind, Kind::UploadRequest, "the kind stays chosen");
        let s = s.reduce(Action::SaveUploadDialog);
        assert_eq!(s.upload_dialog, None);
        assert_eq!(
            s.upload.allowed_types,
            [FileType::Pdf, FileType::Spreadsheet]
        );
        assert!(s.options_complete(), "no password or phone numbers asked");
        // Opening it again starts from what was saved; choosing the kind again does not reopen it.
        assert_eq!(
            s.clone().reduce(Action::OpenUploadDialog).upload_dialog,
            Some(s.upload.clone())
        );
        assert_eq!(
            s.clone()
                .reduce(Action::Kind(Kind::UploadRequest))
                .upload_dialog,
            None
        );
        let unticked = s
            .reduce(Action::OpenUploadDialog)
            .reduce(Action::UploadType(FileType::Pdf, false))
            .reduce(Action::SaveUploadDialog);
        assert_eq!(unticked.upload.allowed_types, [FileType::Spreadsheet]);
    }

    #[test]
    fn a_template_fills_the_types_and_its_text_in_the_recipients_language_is_the_message() {
        let s = loaded(settings())
            .reduce(Action::Kind(Kind::UploadRequest))
            .reduce(Action::UploadType(FileType::Archive, true))
            .reduce(Action::UploadTemplate(Some("Verwijsbrief".into())));
        let dialog = s.upload_dialog.clone().unwrap();
        assert_eq!(dialog.allowed_types, [FileType::Pdf, FileType::Image]);
        assert_eq!(dialog.template.as_deref(), Some("Verwijsbrief"));
        let s = s.reduce(Action::SaveUploadDialog);
        assert_eq!(
            s.upload_request(&s.item).message,
            "Wilt u uw verwijsbrief uploaden?"
        );
        let swedish = s.clone().reduce(Action::Language(Language::Sv));
        assert_eq!(
            swedish.upload_request(&swedish.item).message,
            "Vill du ladda upp din remiss?",
            "the text follows the recipients' language, chosen before or after"
        );
        // Back to no template: the draft's own text, the ticks kept for the sender to adjust.
        let own = s
            .reduce(Action::OpenUploadDialog)
            .reduce(Action::UploadTemplate(None))
            .reduce(Action::SaveUploadDialog);
        assert_eq!(own.upload.template, None);
        assert_eq!(own.upload.allowed_types, [FileType::Pdf, FileType::Image]);
        assert_eq!(
            own.upload_request(&own.item).message,
            "Stuurt u mij de jaaropgave?"
        );
        // A name the tenant does not have chooses nothing.
        let unknown = own
            .reduce(Action::OpenUploadDialog)
            .reduce(Action::UploadTemplate(Some("Elders".into())));
        assert_eq!(unknown.upload_dialog.clone().unwrap().template, None);
    }

    #[test]
    fn the_request_body_is_built_from_the_draft() {
        let s = loaded(settings())
            .reduce(Action::Kind(Kind::UploadRequest))
            .reduce(Action::UploadType(FileType::Pdf, true))
            .reduce(Action::SaveUploadDialog)
            .reduce(Action::Expiry("7".into()));
        let json = serde_json::to_value(s.upload_request(&s.item)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "recipients": [
                    {"email": "jan@example.nl"},
                    {"email": "piet@example.nl"},
                    {"email": "anna@example.nl"},
                ],
                "message": "Stuurt u mij de jaaropgave?",
                "allowed_types": ["pdf"],
                "max_files": null,
                "max_bytes": null,
                "expires_in_days": 7,
                "language": "nl",
                "notify": "client",
            })
        );
        // The server reads what the pane writes.
        let back: UploadRequestRequest = serde_json::from_value(json).unwrap();
        assert_eq!(back, s.upload_request(&s.item));
    }

    #[test]
    fn no_password_or_phone_is_asked_and_attachments_are_refused() {
        let s = loaded(settings())
            .reduce(Action::Kind(Kind::UploadRequest))
            .reduce(Action::SaveUploadDialog)
            .reduce(Action::Level(zegel_core::AuthLevel::TwoFa))
            .reduce(Action::Downloads("nonsense".into()));
        assert!(!s.kind.asks_auth());
        assert!(
            s.options_complete(),
            "no phone numbers, and the download limit does not apply"
        );
        assert!(
            attachments_refused(&s.item).is_empty(),
            "an inline picture goes with the body"
        );
        assert_eq!(
            s.clone().reduce(Action::Next).stage,
            Stage::ConfirmRecipients,
            "no files to confirm"
        );
        let mut item = s.item.clone();
        item.attachments.push(Attachment {
            id: "a1".into(),
            name: "brief.pdf".into(),
            size: 10,
            inline: false,
            file: true,
        });
        let attached = s.reduce(Action::ItemChanged(item));
        assert_eq!(attachments_refused(&attached.item).len(), 1);
        assert!(!attached.options_complete());
        assert_eq!(attached.reduce(Action::Next).stage, Stage::Compose);
    }

    #[test]
    fn the_content_filter_does_not_change_the_kind() {
        let s = loaded(settings())
            .reduce(Action::Kind(Kind::UploadRequest))
            .reduce(Action::SaveUploadDialog);
        for action in [FilterAction::Auto, FilterAction::Force] {
            let judged = s.clone().reduce(Action::Verdict(Some(Decision {
                action,
                level: Some(zegel_core::AuthLevel::TwoFa),
                reasons: vec![],
                warnings: vec![],
                required: None,
            })));
            assert_eq!(judged.kind, Kind::UploadRequest);
            assert!(judged.enabled && judged.options_complete());
        }
    }

    #[test]
    fn the_memo_marks_an_upload_request_and_restores_its_choices() {
        let s = loaded(settings())
            .reduce(Action::Kind(Kind::UploadRequest))
            .reduce(Action::UploadTemplate(Some("Verwijsbrief".into())))
            .reduce(Action::SaveUploadDialog);
        let json = serde_json::to_string(&s.memo()).unwrap();
        assert!(
            json.contains(r#""on":true"#) && json.contains(r#""kind":"upload_request""#),
            "the on-send handler sees Zegel on: {json}"
        );
        assert!(
            json.contains(
                r#""uploadRequest":{"allowedTypes":["pdf","image"],"template":"Verwijsbrief"}"#
            ),
            "{json}"
        );
        let reopen = |settings: SenderSettings| {
            Rc::new(State::default()).reduce(Action::Loaded {
                texts: &i18n::NL,
                settings: Box::new(settings),
                item: s.item.clone(),
                memo: serde_json::from_str::<PaneMemo>(&json).ok(),
            })
        };
        let reopened = reopen(settings());
        assert_eq!(reopened.kind, Kind::UploadRequest);
        assert_eq!(reopened.upload, s.upload);
        assert_eq!(reopened.upload_dialog, None, "saved before: no dialog");
        let removed = reopen(SenderSettings::default());
        assert_eq!(
            removed.upload.template, None,
            "a template the tenant removed"
        );
        // A message kind's memo carries no upload choices, and older memos still read.
        let message = loaded(settings()).memo();
        assert_eq!(message.upload_request, None);
        let older: PaneMemo =
            serde_json::from_str(r#"{"on":true,"kind":"secure_files","level":"2fa"}"#).unwrap();
        assert_eq!(older.kind, Some(Kind::SecureFiles));
    }
}
