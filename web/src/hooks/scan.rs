use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::time::Duration;

use yew::prelude::*;
use zegel_core::api::{ScanInput, ScanRecipient};

use crate::api::Api;
use crate::office::{self, Attachment, Item};
use crate::state::{Action, State};

/// How often the draft is re-read: Outlook has no event for typing in the body.
const POLL: Duration = Duration::from_secs(3);
/// How long the draft must stay the same before it is scanned (a burst of changes is one scan).
const DEBOUNCE: Duration = Duration::from_millis(400);
/// The most attachment bytes the live verdict uploads; larger sets are checked on send and by the server.
const LIVE_SCAN_MAX_BYTES: u64 = 25 * 1024 * 1024;

/// Attachment contents read from Outlook, by attachment id, so a file is read once per draft.
type Contents = Rc<RefCell<HashMap<String, web_sys::Blob>>>;

/// Follows the draft (events for recipients and attachments, polling for subject and body) and asks the
/// content filter about each new version, attachments included (files only: attached e-mails and cloud
/// links are named in the verdict as not checked).
#[hook]
pub fn use_scan(state: UseReducerHandle<State>, api: Option<Api>) {
    let item = state.item.clone();
    let dispatch = state.dispatcher();
    let loaded = api.is_some();
    use_effect_with(loaded, move |loaded| {
        if *loaded {
            let on_change = dispatch.clone();
            yew::platform::spawn_local(async move {
                let _ = office::on_item_changed(move || {
                    let dispatch = on_change.clone();
                    yew::platform::spawn_local(refresh(dispatch));
                })
                .await;
            });
            yew::platform::spawn_local(async move {
                loop {
                    yew::platform::time::sleep(POLL).await;
                    refresh(dispatch.clone()).await;
                }
            });
        }
    });
    let dispatch = state.dispatcher();
    let contents: Contents = use_mut_ref(HashMap::new);
    let generation = use_mut_ref(|| 0_u64);
    use_effect_with(item, move |item| {
        if let Some(api) = api {
            let request = scan_request(item);
            let attachments = item.attachments.clone();
            let mine = {
                let mut current = generation.borrow_mut();
                *current += 1;
                *current
            };
            let stale = move || *generation.borrow() != mine;
            yew::platform::spawn_local(async move {
                yew::platform::time::sleep(DEBOUNCE).await;
                if stale() {
                    return;
                }
                let (files, unscanned) = attachment_contents(&attachments, &contents).await;
                if stale() {
                    return;
                }
                dispatch.dispatch(Action::Unscanned(unscanned));
                if let Ok(decision) = api.scan(&request, &files).await
                    && !stale()
                {
                    dispatch.dispatch(Action::Verdict(decision));
                }
            });
        }
    });
}

async fn refresh(dispatch: UseReducerDispatcher<State>) {
    if let Ok(item) = office::read_item().await {
        // The reducer keeps the same item when nothing changed, so the scan effect does not rerun.
        dispatch.dispatch(Action::ItemChanged(item));
    }
    crate::hooks::boot::take_send_pressed(&dispatch).await;
}

/// The files to scan with their names, read from Outlook once per attachment id, and the names of the
/// attachments left out: attached items and cloud links (Outlook has no file content for them), files
/// Outlook would not hand over, and files past [`LIVE_SCAN_MAX_BYTES`].
async fn attachment_contents(
    attachments: &[Attachment],
    contents: &Contents,
) -> (Vec<(String, web_sys::Blob)>, Vec<String>) {
    contents
        .borrow_mut()
        .retain(|id, _| attachments.iter().any(|a| &a.id == id));
    let mut files = Vec::new();
    let mut unscanned = Vec::new();
    let mut total = 0_u64;
    for attachment in attachments {
        if !attachment.file || total.saturating_add(attachment.size) > LIVE_SCAN_MAX_BYTES {
            unscanned.push(attachment.name.clone());
            continue;
        }
        total = total.saturating_add(attachment.size);
        let cached = contents.borrow().get(&attachment.id).cloned();
        let blob = match cached {
            Some(blob) => blob,
            None => match office::attachment_blob(&attachment.id).await {
                Ok(blob) => {
                    contents
                        .borrow_mut()
                        .insert(attachment.id.clone(), blob.clone());
                    blob
                }
                Err(_) => {
                    unscanned.push(attachment.name.clone());
                    continue;
                }
            },
        };
        files.push((attachment.name.clone(), blob));
    }
    (files, unscanned)
}

fn scan_request(item: &Item) -> ScanInput {
    use zegel_core::RecipientKind;
    let lists = [
        (&item.to, RecipientKind::To),
        (&item.cc, RecipientKind::Cc),
        (&item.bcc, RecipientKind::Bcc),
    ];
    ScanInput {
        subject: item.subject.clone(),
        body_text: Some(item.body_text.clone()),
        body_html: Some(item.body_html.clone()),
        text: None,
        recipients: lists
            .into_iter()
            .flat_map(|(list, kind)| {
                list.iter().map(move |a| ScanRecipient {
                    email: a.email.clone(),
                    kind: Some(kind.as_str().to_owned()),
                })
            })
            .collect(),
    }
}
