use std::rc::Rc;

use yew::prelude::*;
use zegel_core::api::ClientNotification;
use zegel_core::message::{
    AuthRequest, GeneratedTag, MessageRequest, Notify, PasswordChoice, RecipientRequest,
};
use zegel_core::{AuthLevel, Deliver, MessageKind};

use crate::api::{Api, ApiError};
use crate::office::{self, Record};
use crate::state::{Action, PasswordMode, State, attachments_refused};
use crate::upload;

/// Sends what the sender chose, always with `"notify": "client"`: a message (its files uploaded first)
/// or an upload request. Either way the draft then becomes the server's notification, loses its
/// attachments, gets the header naming what it records, and Outlook sends it. When the sender must pass
/// a generated password on, the pane shows it first and sends on their click; any generated password
/// stays behind the eye on the summary.
pub async fn send(state: Rc<State>, api: Api, dispatch: UseReducerDispatcher<State>) {
    dispatch.dispatch(Action::Sending);
    let texts = state.texts;
    let fail = |message: String| dispatch.dispatch(Action::Failed(message));
    // Read the draft again: the sender may have typed since the pane last looked.
    let item = match office::read_item().await {
        Ok(item) => item,
        Err(error) => return fail(error.0),
    };
    let accepted = match state.kind.message() {
        Some(kind) => send_message(&state, kind, &api, &dispatch, &item).await,
        None => request_files(&state, &api, &item).await,
    };
    let accepted = match accepted {
        Ok(accepted) => accepted,
        Err(Failure::Said(message)) => return fail(message),
        Err(Failure::Api(error @ ApiError::Refused { .. })) => {
            return fail(crate::wording::server_error(texts, &error));
        }
        Err(Failure::Api(ApiError::Unauthorized)) => {
            return dispatch.dispatch(Action::NeedToken { refused: true });
        }
        Err(Failure::Api(ApiError::Missing | ApiError::Network(_))) => {
            return fail(texts.network_error.to_owned());
        }
    };
    // The draft becomes the notification: the one mail recipients get, from the sender's own mailbox
    // and in their Sent Items.
    if let Err(error) = office::seal_draft(
        &accepted.notification.subject,
        &accepted.notification.html,
        accepted.remove.clone(),
        accepted.record(),
    )
    .await
    {
        return fail(error.0);
    }
    // A password the sender tells the recipient themselves is shown before the draft leaves.
    let tell = accepted.password.is_some() && state.deliver == Deliver::Other;
    if tell {
        return dispatch.dispatch(Action::Sent {
            id: accepted.id,
            password: accepted.password,
            tell: true,
            press_send: false,
        });
    }
    match office::send_item().await {
        Ok(sent_now) => dispatch.dispatch(Action::Sent {
            id: accepted.id,
            password: accepted.password,
            tell: false,
            press_send: !sent_now,
        }),
        Err(error) => fail(error.0),
    }
}

/// Why sending stopped before the draft was sealed.
enum Failure {
    /// Words for the sender, in the pane's language.
    Said(String),
    /// The server refused, or could not be reached.
    Api(ApiError),
}

/// What the server made of the draft.
struct Accepted {
    /// The message's or upload request's id.
    id: String,
    /// Whether it is an upload request.
    upload_request: bool,
    /// The mail the draft becomes.
    notification: ClientNotification,
    /// The password the server generated, if any.
    password: Option<String>,
    /// The attachments to remove from the draft.
    remove: Vec<String>,
}

impl Accepted {
    fn record(&self) -> Record<'_> {
        if self.upload_request {
            Record::UploadRequest(&self.id)
        } else {
            Record::Message(&self.id)
        }
    }
}

/// Uploads the draft's files, each as a resumable upload with the progress shown, then creates the
/// message naming them. A reload of the pane continues where the uploads stood.
async fn send_message(
    state: &State,
    kind: MessageKind,
    api: &Api,
    dispatch: &UseReducerDispatcher<State>,
    item: &office::Item,
) -> Result<Accepted, Failure> {
    let mut files = Vec::new();
    let mut uploaded_ids = Vec::new();
    for attachment in item.attachments.iter().filter(|a| a.file) {
        let blob = office::attachment_blob(&attachment.id)
            .await
            .map_err(|error| Failure::Said(error.0))?;
        files.push((attachment.name.clone(), blob));
        uploaded_ids.push(attachment.id.clone());
    }
    let mut meta = request(state, kind, item).map_err(Failure::Said)?;
    let sources: Vec<upload::Source<'_>> = files
        .iter()
        .map(|(name, blob)| upload::Source { name, blob })
        .collect();
    let total: u64 = files.iter().map(|(_, blob)| blob.size() as u64).sum();
    let mut done = 0;
    for source in &sources {
        let before = done;
        let progress_dispatch = dispatch.clone();
        let progress = move |sent: u64| {
            progress_dispatch.dispatch(Action::Uploaded(before + sent, total));
        };
        let id = api.upload(source, &progress).await.map_err(Failure::Api)?;
        meta.uploads.push(id);
        done += source.blob.size() as u64;
    }
    let (created, notification) = api.send(&meta).await.map_err(Failure::Api)?;
    upload::forget(&sources);
    Ok(Accepted {
        id: created.id,
        upload_request: false,
        notification,
        password: created.password,
        remove: uploaded_ids,
    })
}

/// Asks the server for an upload request. A draft with attachments is refused (read again here: one
/// may have been added since the options were checked); the body's inline pictures go with the body.
async fn request_files(state: &State, api: &Api, item: &office::Item) -> Result<Accepted, Failure> {
    let texts = state.texts;
    if !attachments_refused(item).is_empty() {
        return Err(Failure::Said(texts.upload_attachments.to_owned()));
    }
    let (created, notification) = api
        .create_upload_request(&state.upload_request(item))
        .await
        .map_err(|error| match error {
            ApiError::Missing => Failure::Said(texts.upload_unavailable.to_owned()),
            other => Failure::Api(other),
        })?;
    Ok(Accepted {
        id: created.id,
        upload_request: true,
        notification,
        password: None,
        remove: item.attachments.iter().map(|a| a.id.clone()).collect(),
    })
}

/// Sends the sealed draft after the sender noted the generated password (which stays behind the eye).
pub async fn send_sealed(dispatch: UseReducerDispatcher<State>, id: String, password: String) {
    match office::send_item().await {
        Ok(sent) => dispatch.dispatch(Action::Sent {
            id,
            password: Some(password),
            tell: false,
            press_send: !sent,
        }),
        Err(error) => dispatch.dispatch(Action::Failed(error.0)),
    }
}

fn request(
    state: &State,
    kind: MessageKind,
    item: &office::Item,
) -> Result<MessageRequest, String> {
    let two_fa = kind.needs_auth() && state.level == AuthLevel::TwoFa;
    let mut recipients = Vec::new();
    for recipient in state.recipients() {
        let phone = if two_fa {
            state
                .phone_for(&recipient.email)
                .map_err(|_| recipient.email.clone())?
        } else {
            None
        };
        recipients.push(RecipientRequest {
            email: recipient.email,
            kind: recipient.kind,
            phone,
        });
    }
    let auth = kind.needs_auth().then(|| match state.level {
        AuthLevel::TwoFa => AuthRequest {
            level: AuthLevel::TwoFa,
            password: None,
            deliver: None,
        },
        AuthLevel::OneFa => AuthRequest {
            level: AuthLevel::OneFa,
            password: Some(match state.password_mode {
                PasswordMode::Generated => PasswordChoice::Generated(GeneratedTag::Generated),
                PasswordMode::Custom => PasswordChoice::Custom {
                    custom: state.custom_password.clone(),
                },
            }),
            deliver: Some(if state.settings.allow_deliver_other {
                state.deliver
            } else {
                Deliver::Email
            }),
        },
    });
    Ok(MessageRequest {
        subject: item.subject.clone(),
        body_text: Some(item.body_text.clone()).filter(|b| !b.is_empty()),
        body_html: Some(item.body_html.clone()).filter(|b| !b.is_empty()),
        recipients,
        kind,
        auth,
        expires_in_days: state.expiry_days(),
        max_downloads: state.max_downloads().ok().flatten(),
        language: Some(state.language),
        // The Outlook mail itself is the notification: Zegel sends none of its own (seed 001 §7.2).
        notify: Some(Notify::Client),
        uploads: Vec::new(),
        confirm_to_sender: Some(state.confirm_to_sender),
        notify_on_download: Some(state.notify_on_download),
        file_names_in_notification: None,
    })
}
