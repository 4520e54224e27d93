use yew::prelude::*;

use crate::api::{Api, ApiError, Decision};
use crate::i18n;
use crate::office;
use crate::state::{Action, State};

/// Loads everything once: waits for Office.js, reads the token, the settings and the draft, and any
/// verdict the on-send handler left. Sets `api` when a token is there.
#[hook]
pub fn use_boot(state: UseReducerHandle<State>, api: UseStateHandle<Option<Api>>) {
    use_effect_with((), move |_| {
        yew::platform::spawn_local(boot(state.dispatcher(), api));
    });
}

/// Signs in with `token`: stores it in the roaming settings when the server accepts it.
pub async fn sign_in(
    token: String,
    dispatch: UseReducerDispatcher<State>,
    api: UseStateHandle<Option<Api>>,
) {
    let candidate = Api::new(token.trim());
    match candidate.settings().await {
        Ok(_) => {
            if office::roaming_set(office::TOKEN_KEY, token.trim())
                .await
                .is_err()
            {
                dispatch.dispatch(Action::Failed("roaming settings".to_owned()));
                return;
            }
            api.set(Some(candidate));
            boot(dispatch, api).await;
        }
        Err(_) => dispatch.dispatch(Action::NeedToken { refused: true }),
    }
}

async fn boot(dispatch: UseReducerDispatcher<State>, api: UseStateHandle<Option<Api>>) {
    let host = match office::ready().await {
        Ok(host) => host,
        Err(_) => return dispatch.dispatch(Action::NotInOutlook),
    };
    let texts = i18n::for_display_language(&host.display_language);
    let token = office::roaming_get(office::TOKEN_KEY);
    if token.is_empty() {
        return dispatch.dispatch(Action::NeedToken { refused: false });
    }
    let client = Api::new(token);
    let settings = match client.settings().await {
        Ok(settings) => settings,
        Err(ApiError::Unauthorized) => {
            return dispatch.dispatch(Action::NeedToken { refused: true });
        }
        Err(_) => return dispatch.dispatch(Action::Failed(texts.network_error.to_owned())),
    };
    let item = match office::read_item().await {
        Ok(item) => item,
        Err(error) => return dispatch.dispatch(Action::Failed(error.0)),
    };
    api.set(Some(client));
    dispatch.dispatch(Action::Loaded {
        texts,
        settings,
        item,
    });
    // The on-send handler may have blocked a send and left its verdict for the pane.
    let left = office::session_value(office::VERDICT_KEY).await;
    if let Ok(decision) = serde_json::from_str::<Decision>(&left) {
        dispatch.dispatch(Action::Verdict(Some(decision)));
    }
    mark_first_render();
}

/// Marks the moment the pane is usable, for `cargo xtask bench pane`.
fn mark_first_render() {
    if let Some(performance) = web_sys::window().and_then(|w| w.performance()) {
        let _ = performance.mark("zegel-ready");
    }
}
