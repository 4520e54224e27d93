use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::i18n::Texts;

/// The sign-in form's properties.
#[derive(Properties, PartialEq)]
pub struct SignInProps {
    /// Texts in the display language.
    pub texts: &'static Texts,
    /// Whether a token was just refused.
    pub refused: bool,
    /// Gets the token typed (trimmed, never empty); the pane checks it with the server and stores it.
    pub on_token: Callback<String>,
}

/// Development sign-in: a sender token from `zegel admin token`, kept in the add-in's roaming settings.
/// (Production uses the Entra ID token instead.) Both panes use it.
#[function_component]
pub fn SignIn(props: &SignInProps) -> Html {
    let texts = props.texts;
    let input = use_node_ref();
    let onsubmit = {
        let (input, on_token) = (input.clone(), props.on_token.clone());
        move |event: SubmitEvent| {
            event.prevent_default();
            let token = input
                .cast::<HtmlInputElement>()
                .map(|i| i.value())
                .unwrap_or_default();
            if !token.trim().is_empty() {
                on_token.emit(token.trim().to_owned());
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
