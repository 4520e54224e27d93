use yew::prelude::*;

use crate::api::Api;
use crate::i18n;
use crate::office;
use crate::signin::{self, SignInError, SingleSignOn};
use crate::state::{Action, PaneMemo, State};
use zegel_core::policy::Decision;
use zegel_core::settings::SenderSettings;

/// Loads everything once: waits for Office.js, signs in (Office single sign-on, else the stored token),
/// reads the settings and the draft, and any verdict the on-send handler left. Sets `api` once signed in.
#[hook]
pub fn use_boot(
    state: UseReducerHandle<State>,
    api: UseStateHandle<Option<Api>>,
    sso: UseStateHandle<SingleSignOn>,
) {
    use_effect_with((), move |_| {
        yew::platform::spawn_local(boot(state.dispatcher(), api, sso));
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
        Ok(settings) => {
            if office::roaming_set(office::TOKEN_KEY, token.trim())
                .await
                .is_err()
            {
                dispatch.dispatch(Action::Failed("roaming settings".to_owned()));
                return;
            }
            api.set(Some(candidate.clone()));
            load(dispatch, api, candidate, settings).await;
        }
        Err(_) => dispatch.dispatch(Action::NeedToken { refused: true }),
    }
}

/// Signs in with Office single sign-on, on the sender's click (Office may ask them to sign in).
pub async fn sign_in_with_sso(
    dispatch: UseReducerDispatcher<State>,
    api: UseStateHandle<Option<Api>>,
    sso: UseStateHandle<SingleSignOn>,
) {
    match signin::with_single_sign_on().await {
        Ok((client, settings)) => {
            api.set(Some(client.clone()));
            load(dispatch, api, client, settings).await;
        }
        Err((status, _)) => {
            // Asked for by a click: say that it failed even where Office says it has none.
            sso.set(match status {
                SingleSignOn::NotTried => SingleSignOn::Failed,
                other => other,
            });
            dispatch.dispatch(Action::NeedToken { refused: false });
        }
    }
}

async fn boot(
    dispatch: UseReducerDispatcher<State>,
    api: UseStateHandle<Option<Api>>,
    sso: UseStateHandle<SingleSignOn>,
) {
    let host = match office::ready().await {
        Ok(host) => host,
        Err(_) => return dispatch.dispatch(Action::NotInOutlook),
    };
    let texts = i18n::for_display_language(&host.display_language);
    dispatch.dispatch(Action::Texts(texts));
    let (signed_in, sso_status) = signin::sign_in_quietly().await;
    sso.set(sso_status);
    let (client, settings) = match signed_in {
        Ok(signed_in) => signed_in,
        Err(SignInError::NeedSignIn { refused }) => {
            return dispatch.dispatch(Action::NeedToken { refused });
        }
        Err(SignInError::Network) => {
            return dispatch.dispatch(Action::Failed(texts.network_error.to_owned()));
        }
    };
    api.set(Some(client.clone()));
    load(dispatch, api, client, settings).await;
}

/// Reads the draft and shows the pane, once signed in.
async fn load(
    dispatch: UseReducerDispatcher<State>,
    api: UseStateHandle<Option<Api>>,
    client: Api,
    settings: SenderSettings,
) {
    let texts = match office::ready().await {
        Ok(host) => i18n::for_display_language(&host.display_language),
        Err(_) => return dispatch.dispatch(Action::NotInOutlook),
    };
    let item = match office::read_item().await {
        Ok(item) => item,
        Err(error) => return dispatch.dispatch(Action::Failed(error.0)),
    };
    // The pane's choices from an earlier opening for this draft (Zegel on or switched off).
    let memo =
        serde_json::from_str::<PaneMemo>(&office::session_value(office::PANE_KEY).await).ok();
    api.set(Some(client));
    dispatch.dispatch(Action::Loaded {
        texts,
        settings: Box::new(settings),
        item,
        memo,
    });
    // The on-send handler may have blocked a send and left its verdict for the pane.
    let left = office::session_value(office::VERDICT_KEY).await;
    if let Ok(decision) = serde_json::from_str::<Decision>(&left) {
        dispatch.dispatch(Action::Verdict(Some(decision)));
    }
    take_send_pressed(&dispatch).await;
    mark_first_render();
}

/// Leads to the wizard when the on-send handler stopped Outlook's Send because Zegel is on (it opened
/// this pane, or found it open: the pane also looks each time it re-reads the draft).
pub async fn take_send_pressed(dispatch: &UseReducerDispatcher<State>) {
    if !office::session_take(office::SEND_PRESSED_KEY)
        .await
        .is_empty()
    {
        dispatch.dispatch(Action::SendPressed);
    }
}

/// Keeps the pane's choices in the item's session data whenever they change, for the on-send handler.
#[hook]
pub fn use_pane_memo(state: UseReducerHandle<State>) {
    let memo = state.loaded().then(|| state.memo());
    use_effect_with(memo, |memo| {
        if let Some(memo) = memo
            && let Ok(json) = serde_json::to_string(memo)
        {
            yew::platform::spawn_local(async move {
                let _ = office::session_set(office::PANE_KEY, &json).await;
            });
        }
    });
}

/// Marks the moment the pane is usable, for `cargo xtask bench pane`.
fn mark_first_render() {
    if let Some(performance) = web_sys::window().and_then(|w| w.performance()) {
        let _ = performance.mark("zegel-ready");
    }
}
