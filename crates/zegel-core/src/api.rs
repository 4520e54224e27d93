//! The JSON of the sender API that both sides read: declared once, serialised by the server and
//! deserialised by the task pane (and the tests).
//!
//! [`Created`] is the `201` answer of `POST /api/v1/messages`, [`MessageStatus`] the answer of
//! `GET /api/v1/messages/<id>` and of blocking, unblocking and deleting, [`MessagePage`] the sender's list,
//! [`BlockTarget`] the body of `.../block` and `.../unblock`, [`KnownPhone`] the answer of
//! `GET /api/v1/recipients/<email>/phone`, [`ScanInput`] the body of `POST /api/v1/scan` and
//! [`ScanOutcome`] its answer, and
//! [`ErrorBody`] the body of every error. The sender settings are
//! [`SenderSettings`](crate::settings::SenderSettings), the content filter's decision
//! [`Decision`](crate::policy::Decision).
//!
//! Where the server once built an answer as a JSON map, whose keys serialise in alphabetical order, the
//! struct declares its fields in that order, so the bytes on the wire did not change.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use zegel_dlp::{Finding, Kind};

use crate::message::{AuthLevel, MessageKind, RecipientKind};
use crate::policy::{Decision, Found, Requirement};

/// The `201` answer of `POST /api/v1/uploads` (tus creation; the same facts are in its headers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UploadCreated {
    /// The upload's id, for `"uploads"` in a message's `meta`.
    pub id: String,
    /// Its plaintext length in bytes.
    pub length: u64,
    /// Bytes received so far.
    pub offset: u64,
    /// When it is removed unless a message uses it (RFC 3339).
    pub expires_at: String,
}

/// The `201` answer of `POST /api/v1/messages`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Created {
    /// When the links expire (RFC 3339).
    pub expires_at: String,
    /// The files, with the names recipients will see (the sealed names stay as given).
    pub files: Vec<CreatedFile>,
    /// The message id (the pane puts it in the `X-Zegel-Message` header).
    pub id: String,
    /// The message's kind.
    pub kind: MessageKind,
    /// The recipients' authentication level; none for public files.
    pub level: Option<AuthLevel>,
    /// Two-factor recipients without a mobile number: the message is held until the sender gives them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing_phone_numbers: Vec<String>,
    /// With `"notify": "client"`: the notification the sender's client sends itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification: Option<ClientNotification>,
    /// The password the server generated (whichever delivery), shown once to the sender.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// The recipients.
    pub recipients: Vec<CreatedRecipient>,
    /// Whether the notifications are on their way or wait for phone numbers.
    pub status: CreatedStatus,
}

/// Whether a new message's notifications are on their way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CreatedStatus {
    /// Accepted for delivery (or, with `"notify": "client"`, for the sender's client to send).
    Sent,
    /// Held until the sender gives the missing mobile numbers.
    NeedsPhoneNumbers,
}

/// A recipient of a new message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedRecipient {
    /// The address.
    pub email: String,
    /// To, Cc or Bcc.
    pub kind: RecipientKind,
}

/// A file of a new message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedFile {
    /// The file's id.
    pub id: String,
    /// The name recipients will see (`file_name::display_name`).
    pub name: String,
    /// The plaintext size in bytes.
    pub size: u64,
}

/// The notification a sender's client places in its own mail (`"notify": "client"`); in the task pane
/// the Outlook draft becomes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClientNotification {
    /// The HTML body.
    pub html: String,
    /// The message's one link (`<public url>/m/<token>`); its page asks for the recipient's address.
    pub link: String,
    /// The subject line.
    pub subject: String,
    /// The plain-text body.
    pub text: String,
}

/// What a block or unblock applies to: the body of `POST /api/v1/messages/<id>/block` and `.../unblock`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "target", rename_all = "snake_case")]
pub enum BlockTarget {
    /// One file.
    File {
        /// The file's id.
        file_id: String,
    },
    /// Every file.
    Files,
    /// One recipient.
    Recipient {
        /// The recipient's address.
        email: String,
    },
    /// Every recipient.
    Recipients,
    /// The whole message.
    Message,
}

/// A sent message and what happened to it (log & block): `GET /api/v1/messages/<id>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MessageStatus {
    /// The message id.
    pub id: String,
    /// `public_files`, `secure_files` or `secure_message`.
    pub kind: String,
    /// `1fa`, `2fa`, or none for public files.
    pub level: Option<String>,
    /// `active`, `held` (waiting for phone numbers), `expired` or `deleted`.
    pub status: String,
    /// The subject; none once the content is destroyed.
    pub subject: Option<String>,
    /// Created (RFC 3339).
    pub created_at: String,
    /// When the links expire (RFC 3339).
    pub expires_at: String,
    /// When the content was destroyed (RFC 3339).
    pub destroyed_at: Option<String>,
    /// The whole message is blocked.
    pub blocked: bool,
    /// Whether it can still be blocked as a whole (a secure message nobody opened yet).
    pub can_block_message: bool,
    /// Per recipient.
    pub recipients: Vec<RecipientStatus>,
    /// Per file.
    pub files: Vec<FileStatus>,
}

impl MessageStatus {
    /// Whether recipients and the whole message can be blocked: only for a secure message (for the
    /// file kinds the e-mail went out as plain mail, so only files can be).
    pub fn blocks_recipients(&self) -> bool {
        self.kind == MessageKind::SecureMessage.as_str()
    }

    /// Whether the content no longer exists (expired or deleted).
    pub fn is_destroyed(&self) -> bool {
        matches!(self.status.as_str(), "expired" | "deleted")
    }
}

/// One recipient of a sent message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecipientStatus {
    /// The address.
    pub email: String,
    /// `to`, `cc` or `bcc`.
    pub kind: String,
    /// `held` (waiting for phone numbers), `sent` (notification accepted for delivery; `notified_at`
    /// says when the relay took it), `bounced` or `opened`.
    pub status: String,
    /// Blocked by the sender.
    pub blocked: bool,
    /// Locked after too many failed attempts (the sender can unlock).
    pub locked: bool,
    /// When the notification was handed to the mail relay.
    pub notified_at: Option<String>,
    /// When a password or code was last requested.
    pub code_requested_at: Option<String>,
    /// When the recipient last authenticated.
    pub authenticated_at: Option<String>,
    /// When the recipient first opened the message.
    pub opened_at: Option<String>,
    /// Why the last SMS could not be sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sms_error: Option<String>,
}

/// One file of a sent message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FileStatus {
    /// The file's id.
    pub id: String,
    /// Its name; none once the content is destroyed.
    pub name: Option<String>,
    /// Size in bytes.
    pub size: u64,
    /// Blocked by the sender.
    pub blocked: bool,
    /// Every download, oldest first.
    pub downloads: Vec<DownloadStatus>,
}

/// One download of a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DownloadStatus {
    /// The recipient's address.
    pub recipient: String,
    /// When (RFC 3339).
    pub at: String,
}

/// One line of the sender's list (`GET /api/v1/messages`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ListedMessage {
    /// The message id.
    pub id: String,
    /// The subject; none once destroyed.
    pub subject: Option<String>,
    /// `public_files`, `secure_files` or `secure_message`.
    pub kind: String,
    /// `1fa`, `2fa` or none.
    pub level: Option<String>,
    /// `active`, `held`, `expired` or `deleted`.
    pub status: String,
    /// The whole message is blocked.
    pub blocked: bool,
    /// Created (RFC 3339).
    pub created_at: String,
    /// When the links expire (RFC 3339).
    pub expires_at: String,
    /// How many recipients.
    pub recipients: u64,
    /// How many recipients opened it.
    pub opened: u64,
    /// How many files.
    pub files: u64,
    /// Downloads, all files and recipients together.
    pub downloads: u64,
}

/// A page of the sender's messages, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MessagePage {
    /// The messages.
    pub messages: Vec<ListedMessage>,
    /// The cursor for the next (older) page, as `before`; none on the last page.
    pub next: Option<String>,
}

/// What the server knows of a recipient's mobile number: `GET /api/v1/recipients/<email>/phone`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KnownPhone {
    /// The recipient's address (normalised).
    pub email: String,
    /// Whether a number is on file.
    pub known: bool,
    /// The number masked, e.g. `+31******678`.
    pub masked: Option<String>,
}

/// What to scan: the JSON body of `POST /api/v1/scan` (or its multipart `meta` part) without its
/// `attachments`, and the texts the server scans of every new message.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ScanInput {
    /// The subject line.
    #[serde(default)]
    pub subject: String,
    /// The plain-text body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_text: Option<String>,
    /// The HTML body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_html: Option<String>,
    /// Just a text (scanned as the body).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// The recipients (they decide internal or external).
    #[serde(default)]
    pub recipients: Vec<ScanRecipient>,
}

/// A recipient in a scan request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScanRecipient {
    /// The address.
    pub email: String,
    /// `to`, `cc` or `bcc` (not used by the decision, so any text is accepted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

/// The answer of `POST /api/v1/scan`: the decision and what it is based on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScanOutcome {
    /// What the policy does.
    pub decision: Decision,
    /// What was found: every kind in every place, with at most `zegel_dlp::KEPT_TERMS_PER_KIND`
    /// distinct values per kind (memory stays bounded however many values a text holds).
    pub findings: Vec<Finding>,
    /// How many values of each kind were found in all, kept in `findings` or not.
    pub counts: BTreeMap<Kind, u64>,
}

/// The body of every error answer: `{"error": {"code": "...", "message": "..."}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
}

/// What went wrong, in a stable code and an English message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorDetail {
    /// The stable code clients act on (`invalid`, `policy`, `too_many_requests`, …).
    pub code: String,
    /// An English sentence for developers and logs; clients show their own words for the code.
    pub message: String,
    /// With `invalid`: the offending field, e.g. `recipients[0].phone`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// With `invalid` for a weak password: the strength checker's advice.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub feedback: Vec<String>,
    /// With `policy`: the forced findings and where they were.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub found: Option<Vec<Found>>,
    /// With `policy`: the least protection the message needs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required: Option<RequiredProtection>,
}

/// The least protection a refused message needs (the `required` of a `policy` error).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequiredProtection {
    /// At least this kind.
    pub kind: MessageKind,
    /// At least this level.
    pub level: AuthLevel,
}

impl From<&Requirement> for RequiredProtection {
    fn from(required: &Requirement) -> Self {
        Self {
            kind: required.kind,
            level: required.level,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_targets_speak_the_servers_json() {
        let cases = [
            (
                BlockTarget::File {
                    file_id: "f1".into(),
                },
                r#"{"target":"file","file_id":"f1"}"#,
            ),
            (BlockTarget::Files, r#"{"target":"files"}"#),
            (
                BlockTarget::Recipient {
                    email: "a@b.example".into(),
                },
                r#"{"target":"recipient","email":"a@b.example"}"#,
            ),
            (BlockTarget::Recipients, r#"{"target":"recipients"}"#),
            (BlockTarget::Message, r#"{"target":"message"}"#),
        ];
        for (target, json) in cases {
            assert_eq!(serde_json::to_string(&target).unwrap(), json);
            assert_eq!(serde_json::from_str::<BlockTarget>(json).unwrap(), target);
        }
    }

    #[test]
    fn created_keeps_the_key_order_and_leaves_out_what_is_absent() {
        let created = Created {
            expires_at: "2026-12-01T00:00:00Z".into(),
            files: vec![CreatedFile {
                id: "f1".into(),
                name: "a.pdf".into(),
                size: 3,
            }],
            id: "m1".into(),
            kind: MessageKind::SecureFiles,
            level: Some(AuthLevel::OneFa),
            missing_phone_numbers: vec![],
            notification: None,
            password: None,
            recipients: vec![CreatedRecipient {
                email: "a@b.example".into(),
                kind: RecipientKind::To,
            }],
            status: CreatedStatus::Sent,
        };
        let json = serde_json::to_string(&created).unwrap();
        assert_eq!(
            json,
            r#"{"expires_at":"2026-12-01T00:00:00Z","files":[{"id":"f1","name":"a.pdf","size":3}],"id":"m1","kind":"secure_files","level":"1fa","recipients":[{"email":"a@b.example","kind":"to"}],"status":"sent"}"#
        );
        // The same bytes as the JSON map the answer used to be built as.
        let as_map: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(serde_json::to_string(&as_map).unwrap(), json);
        assert_eq!(serde_json::from_str::<Created>(&json).unwrap(), created);

        let held = Created {
            missing_phone_numbers: vec!["a@b.example".into()],
            password: Some("geheim".into()),
            notification: Some(ClientNotification {
                html: "<p>x</p>".into(),
                link: "https://z.example/m/t".into(),
                subject: "s".into(),
                text: "x".into(),
            }),
            status: CreatedStatus::NeedsPhoneNumbers,
            ..created
        };
        let json = serde_json::to_string(&held).unwrap();
        let as_map: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(serde_json::to_string(&as_map).unwrap(), json);
        assert_eq!(as_map["status"], "needs_phone_numbers");
    }

    #[test]
    fn scan_requests_leave_out_what_is_absent_and_refuse_unknown_members() {
        let request = ScanInput {
            subject: "s".into(),
            body_text: Some("b".into()),
            body_html: Some(String::new()),
            text: None,
            recipients: vec![ScanRecipient {
                email: "a@b.example".into(),
                kind: Some("cc".into()),
            }],
        };
        let json = serde_json::to_string(&request).unwrap();
        assert_eq!(
            json,
            r#"{"subject":"s","body_text":"b","body_html":"","recipients":[{"email":"a@b.example","kind":"cc"}]}"#
        );
        assert_eq!(serde_json::from_str::<ScanInput>(&json).unwrap(), request);
        let text: ScanInput = serde_json::from_str(r#"{"text":"BSN 111222333"}"#).unwrap();
        assert_eq!(text.subject, "");
        assert!(text.recipients.is_empty());
        assert!(serde_json::from_str::<ScanInput>(r#"{"body":"x"}"#).is_err());
    }

    #[test]
    fn statuses_read_what_the_server_writes() {
        let status: MessageStatus = serde_json::from_str(
            r#"{"id":"m1","kind":"secure_files","level":"1fa","status":"active","subject":null,"created_at":"x",
                "expires_at":"2026-12-01T00:00:00Z","destroyed_at":null,"blocked":false,"can_block_message":false,
                "recipients":[{"email":"a@b.example","kind":"to","status":"sent","blocked":false,"locked":false,
                  "notified_at":null,"code_requested_at":null,"authenticated_at":null,"opened_at":null}],
                "files":[{"id":"f1","name":"a.pdf","size":3,"blocked":true,
                  "downloads":[{"recipient":"a@b.example","at":"2026-11-23T08:00:00Z"}]}]}"#,
        )
        .unwrap();
        assert!(!status.blocks_recipients(), "only files for the file kinds");
        assert!(!status.is_destroyed());
        assert_eq!(status.recipients[0].sms_error, None);
        assert_eq!(status.files[0].downloads.len(), 1);
        let json = serde_json::to_value(&status).unwrap();
        assert!(
            json["recipients"][0].get("sms_error").is_none(),
            "no SMS error, no member"
        );
        assert_eq!(
            serde_json::from_value::<MessageStatus>(json).unwrap(),
            status
        );
    }

    #[test]
    fn error_bodies_name_only_what_applies() {
        let invalid = ErrorBody {
            error: ErrorDetail {
                code: "invalid".into(),
                message: "x".into(),
                field: Some("recipients[0].phone".into()),
                feedback: vec![],
                found: None,
                required: None,
            },
        };
        let json = serde_json::to_string(&invalid).unwrap();
        assert_eq!(
            json,
            r#"{"error":{"code":"invalid","message":"x","field":"recipients[0].phone"}}"#
        );
        let policy: ErrorBody = serde_json::from_str(
            r#"{"error":{"code":"policy","message":"x","found":[{"kind":"nl_bsn","where":"body"}],"required":{"kind":"secure_message","level":"2fa"}}}"#,
        )
        .unwrap();
        let required = policy.error.required.unwrap();
        assert_eq!(
            (required.kind, required.level),
            (MessageKind::SecureMessage, AuthLevel::TwoFa)
        );
        assert_eq!(policy.error.found.unwrap()[0].kind, Kind::NlBsn);
    }
}
