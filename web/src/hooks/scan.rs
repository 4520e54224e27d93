use std::time::Duration;

use yew::prelude::*;

use crate::api::{Api, ScanRecipient, ScanRequest};
use crate::office::{self, Item};
use crate::state::{Action, State};

/// How often the draft is re-read: Outlook has no event for typing in the body.
const POLL: Duration = Duration::from_secs(3);

/// Follows the draft (events for recipients and attachments, polling for subject and body) and asks the
/// content filter about each new version.
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
    use_effect_with(item, move |item| {
        if let Some(api) = api {
            let request = scan_request(item);
            yew::platform::spawn_local(async move {
                if let Ok(decision) = api.scan(&request).await {
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
}

fn scan_request(item: &Item) -> ScanRequest {
    use zegel_core::RecipientKind;
    let lists = [
        (&item.to, RecipientKind::To),
        (&item.cc, RecipientKind::Cc),
        (&item.bcc, RecipientKind::Bcc),
    ];
    ScanRequest {
        subject: item.subject.clone(),
        body_text: item.body_text.clone(),
        body_html: item.body_html.clone(),
        recipients: lists
            .into_iter()
            .flat_map(|(list, kind)| {
                list.iter().map(move |a| ScanRecipient {
                    email: a.email.clone(),
                    kind,
                })
            })
            .collect(),
    }
}
