use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::api::Api;
use crate::hooks::boot::sign_in;
use crate::state::State;

/// The sign-in form's properties.
#[derive(Properties, PartialEq)]
pub struct SignInProps {
    /// The state.
    pub state: UseReducerHandle<State>,
    /// Where the client goes once signed in.
    pub api: UseStateHandle<Option<Api>>,
    /// Whether a token was just refused.
    pub refused: bool,
}

/// Development sign-in: a sender token from `zegel admin token`, kept in the add-in's roaming settings.
/// (Production uses the Entra ID token instead.)
#[function_component]
pub fn SignIn(props: &SignInProps) -> Html {
    let texts = props.state.texts;
    let input = use_node_ref();
    let onsubmit = {
        let (input, dispatch, api) = (input.clone(), props.state.dispatcher(), props.api.clone());
        move |event: SubmitEvent| {
            event.prevent_default();
            let token = input
                .cast::<HtmlInputElement>()
                .map(|i| i.value())
                .unwrap_or_default();
            if !token.trim().is_empty() {
                yew::platform::spawn_local(sign_in(token, dispatch.clone(), api.clone()));
            }
        }
    };
    html! {
        <form class="signin" id="signin" {onsubmit}>
            <h1>{ texts.signin_title }</h1>
            <p class="hint">{ texts.signin_hint }</p>
            <label for="token">{ texts.token_label }</label>
            <input id="token" type="password" autocomplete="off" ref={input} aria-invalid={props.refused.to_string()}
                aria-describedby={props.refused.then_some("token-refused")} />
            if props.refused {
                <p class="hint error" id="token-refused" role="alert">{ texts.signin_failed }</p>
            }
            <button type="submit" class="primary">{ texts.save }</button>
        </form>
    }
}
