use yew::prelude::*;

use crate::api::Api;
use crate::components::file_settings::FileSettings;
use crate::components::options::{KindPicker, LanguagePicker, LevelPicker};
use crate::components::password::PasswordOptions;
use crate::components::phones::Phones;
use crate::components::signin::SignIn;
use crate::components::toggle::Toggle;
use crate::components::upload_request::UploadRequestDialog;
use crate::components::verdict::Verdict;
use crate::components::wizard::{ConfirmFiles, ConfirmRecipients, Done};
use crate::hooks::boot::{sign_in, sign_in_with_sso};
use crate::hooks::{
    use_boot, use_known_phones, use_pane_memo, use_phone_check, use_scan, use_strength,
};
use crate::i18n;
use crate::signin::SingleSignOn;
use crate::state::{Action, Kind, Stage, State, attachments_refused};
use zegel_core::AuthLevel;

/// What every child gets: the state and the API client.
#[derive(Properties, PartialEq, Clone)]
pub struct PaneProps {
    /// The state.
    pub state: UseReducerHandle<State>,
    /// The API client, once signed in.
    #[prop_or_default]
    pub api: Option<Api>,
}

/// The compose pane.
#[function_component]
pub fn App() -> Html {
    let state = use_reducer(|| State::new(&i18n::EN));
    let api = use_state(|| None::<Api>);
    let sso = use_state(SingleSignOn::default);
    use_boot(state.clone(), api.clone(), sso.clone());
    use_scan(state.clone(), (*api).clone());
    use_strength(state.clone());
    use_known_phones(state.clone(), (*api).clone());
    use_pane_memo(state.clone());
    use_phone_check(state.clone());
    let texts = state.texts;
    let stage_name = match &state.stage {
        Stage::Loading => "loading",
        Stage::NotInOutlook => "not-in-outlook",
        Stage::SignIn { .. } => "signin",
        Stage::Compose => "compose",
        Stage::ConfirmFiles => "confirm-files",
        Stage::ConfirmRecipients => "confirm-recipients",
        Stage::Sending => "sending",
        Stage::Sent { .. } => "sent",
        Stage::Failed(_) => "failed",
    };
    let body = match &state.stage {
        Stage::Loading => html! { <p class="lead" role="status">{ texts.loading }</p> },
        Stage::NotInOutlook => html! { <p class="lead" role="alert">{ texts.not_in_outlook }</p> },
        Stage::SignIn { refused } => {
            let (dispatch, api_handle) = (state.dispatcher(), api.clone());
            let on_token = Callback::from(move |token: String| {
                yew::platform::spawn_local(sign_in(token, dispatch.clone(), api_handle.clone()));
            });
            let on_sso = sso_callback(&state, &api, &sso);
            html! { <SignIn {texts} refused={*refused} {on_token} single_sign_on={*sso} {on_sso} /> }
        }
        Stage::Compose => compose(&state, (*api).clone()),
        Stage::ConfirmFiles => {
            html! { <ConfirmFiles state={state.clone()} api={(*api).clone()} /> }
        }
        Stage::ConfirmRecipients => {
            html! { <ConfirmRecipients state={state.clone()} api={(*api).clone()} /> }
        }
        Stage::Sending => match state.uploaded {
            Some((sent, total)) if total > 0 => {
                let percent = (sent.saturating_mul(100) / total).min(100);
                let label = texts.uploading.replace("{percent}", &percent.to_string());
                html! {
                    <div class="uploading" role="status" aria-live="polite">
                        <p class="lead" id="upload-label">{ label }</p>
                        <progress id="upload-progress" max="100" value={percent.to_string()} aria-labelledby="upload-label"></progress>
                    </div>
                }
            }
            _ => html! { <p class="lead" role="status" aria-live="polite">{ texts.sending }</p> },
        },
        Stage::Sent { .. } => html! { <Done state={state.clone()} api={(*api).clone()} /> },
        Stage::Failed(message) => {
            let back = state.dispatcher();
            html! {
                <div class="failed" role="alert">
                    <p>{ texts.failed }{" "}<span id="failure">{ message.clone() }</span></p>
                    <button type="button" onclick={move |_| back.dispatch(Action::Back)}>{ texts.back }</button>
                </div>
            }
        }
    };
    html! {
        <main class="pane" lang={texts.language.code()} data-stage={stage_name}>
            <header class="brand"><img src="icons/icon-32.png" alt="" width="24" height="24" /><span>{"Zegel"}</span></header>
            { body }
        </main>
    }
}

fn compose(state: &UseReducerHandle<State>, api: Option<Api>) -> Html {
    let texts = state.texts;
    let next = state.dispatcher();
    let options = if state.enabled {
        html! {
            <>
                <KindPicker state={state.clone()} api={api.clone()} />
                <LanguagePicker state={state.clone()} api={api.clone()} />
                if state.kind.asks_auth() {
                    <LevelPicker state={state.clone()} api={api.clone()} />
                    if state.level == AuthLevel::OneFa {
                        <PasswordOptions state={state.clone()} api={api.clone()} />
                    } else {
                        <Phones state={state.clone()} api={api.clone()} />
                    }
                }
                <div class="actions">
                    if state.send_pressed {
                        <p class="hint" id="send-pressed" role="status">{ texts.send_pressed }</p>
                    }
                    if state.recipients().is_empty() {
                        <p class="hint" id="no-recipients">{ texts.no_recipients }</p>
                    }
                    if state.kind == Kind::UploadRequest && !attachments_refused(&state.item).is_empty() {
                        <p class="hint error" id="upload-attachments" role="alert">{ texts.upload_attachments }</p>
                    }
                    <button type="button" id="next" class="primary" disabled={!state.options_complete()}
                        onclick={move |_| next.dispatch(Action::Next)}>{ texts.next }</button>
                </div>
            </>
        }
    } else {
        html! {}
    };
    // The upload request's dialog is modal: the pane behind it takes no focus or clicks.
    let dialog_open = state.upload_dialog.is_some();
    html! {
        <>
            <div class="compose" inert={dialog_open}>
                <div class="topline">
                    <Toggle state={state.clone()} api={api.clone()} />
                    <FileSettings state={state.clone()} api={api.clone()} />
                </div>
                <Verdict state={state.clone()} api={api.clone()} />
                { options }
            </div>
            if dialog_open {
                <UploadRequestDialog state={state.clone()} {api} />
            }
        </>
    }
}

/// Signs in with Office single sign-on when the sender asks for it on the sign-in screen.
fn sso_callback(
    state: &UseReducerHandle<State>,
    api: &UseStateHandle<Option<Api>>,
    sso: &UseStateHandle<SingleSignOn>,
) -> Callback<()> {
    let (dispatch, api, sso) = (state.dispatcher(), api.clone(), sso.clone());
    Callback::from(move |()| {
        yew::platform::spawn_local(sign_in_with_sso(dispatch.clone(), api.clone(), sso.clone()));
    })
}
