use yew::prelude::*;
use zegel_core::message::{
    AuthRequest, GeneratedTag, MessageRequest, Notify, PasswordChoice, RecipientRequest,
};
use zegel_core::{AuthLevel, Deliver};

use crate::api::{Api, ApiError};
use crate::office;
use crate::state::{Action, PasswordMode, State};
use crate::upload;

/// Uploads the draft with the chosen options (`"notify": "client"`), turns the draft into the server's
/// notification, removes its attachments, sets the `X-Zegel-Message` header
/// and lets Outlook send it. When the sender must pass a generated password on, the pane shows it first
/// and sends on their click; any generated password stays behind the eye on the summary.
pub async fn send(state: std::rc::Rc<State>, api: Api, dispatch: UseReducerDispatcher<State>) {
    dispatch.dispatch(Action::Sending);
    let texts = state.texts;
    let fail = |message: String| dispatch.dispatch(Action::Failed(message));
    // Read the draft again: the sender may have typed since the pane last looked.
    let item = match office::read_item().await {
        Ok(item) => item,
        Err(error) => return fail(error.0),
    };
    let mut files = Vec::new();
    let mut uploaded_ids = Vec::new();
    for attachment in item.attachments.iter().filter(|a| a.file) {
        match office::attachment_blob(&attachment.id).await {
            Ok(blob) => files.push((attachment.name.clone(), blob)),
            Err(error) => return fail(error.0),
        }
        uploaded_ids.push(attachment.id.clone());
    }
    let mut meta = match request(&state, &item) {
        Ok(meta) => meta,
        Err(message) => return fail(message),
    };
    let refused = |error: ApiError| match error {
        error @ ApiError::Refused { .. } => fail(crate::wording::server_error(texts, &error)),
        ApiError::Unauthorized => dispatch.dispatch(Action::NeedToken { refused: true }),
        ApiError::Missing | ApiError::Network(_) => fail(texts.network_error.to_owned()),
    };
    // The files go first, each as a resumable upload with the progress shown; the message then names
    // them. A reload of the pane continues where the uploads stood.
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
        match api.upload(source, &progress).await {
            Ok(id) => meta.uploads.push(id),
            Err(error) => return refused(error),
        }
        done += source.blob.size() as u64;
    }
    let (sent, notification) = match api.send(&meta).await {
        Ok(answer) => answer,
        Err(error) => return refused(error),
    };
    upload::forget(&sources);
    // The draft becomes the notification: the one mail recipients get, from the sender's own mailbox
    // and in their Sent Items.
    if let Err(error) = office::seal_draft(
        &notification.subject,
        &notification.html,
        uploaded_ids,
        &sent.id,
    )
    .await
    {
        return fail(error.0);
    }
    // A password the sender tells the recipient themselves is shown before the draft leaves.
    let tell = sent.password.is_some() && state.deliver == Deliver::Other;
    if tell {
        return dispatch.dispatch(Action::Sent {
            id: sent.id,
            password: sent.password,
            tell: true,
            press_send: false,
        });
    }
    match office::send_item().await {
        Ok(sent_now) => dispatch.dispatch(Action::Sent {
            id: sent.id,
            password: sent.password,
            tell: false,
            press_send: !sent_now,
        }),
        Err(error) => fail(error.0),
    }
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

fn request(state: &State, item: &office::Item) -> Result<MessageRequest, String> {
    let two_fa = state.kind.needs_auth() && state.level == AuthLevel::TwoFa;
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
    let auth = state.kind.needs_auth().then(|| match state.level {
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
        kind: state.kind,
        auth,
        expires_in_days: state.expiry_days(),
        max_downloads: state.max_downloads().ok().flatten(),
        language: Some(state.language),
        // The Outlook mail itself is the notification: Zegel sends none of its own (seed 001 §7.2).
        notify: Some(Notify::Client),
        uploads: Vec::new(),
        confirm_to_sender: Some(state.confirm_to_sender),
        notify_on_download: Some(state.notify_on_download),
    })
}
