use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::i18n::Texts;
use crate::signin::SingleSignOn;

/// The sign-in form's properties.
#[derive(Properties, PartialEq)]
pub struct SignInProps {
    /// Texts in the display language.
    pub texts: &'static Texts,
    /// Whether a token was just refused.
    pub refused: bool,
    /// Gets the token typed (trimmed, never empty); the pane checks it with the server and stores it.
    pub on_token: Callback<String>,
    /// How Office single sign-on went; unless unavailable, the screen offers it first.
    #[prop_or_default]
    pub single_sign_on: SingleSignOn,
    /// Signs in with Office single sign-on.
    #[prop_or_default]
    pub on_sso: Option<Callback<()>>,
}

/// The sign-in screen of both panes: Office single sign-on (Entra ID) when this Outlook has it, and the
/// development fallback, a sender token from `zegel admin token` kept in the add-in's roaming settings.
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
    let sso = match (&props.on_sso, props.single_sign_on) {
        (Some(on_sso), status) if status != SingleSignOn::Unavailable => {
            let on_sso = on_sso.clone();
            html! {
                <div class="sso">
                    <button type="button" id="sso" class="primary" onclick={move |_| on_sso.emit(())}>{ texts.sso_button() }</button>
                    if status == SingleSignOn::Failed {
                        <p class="hint error" id="sso-failed" role="alert">{ texts.sso_failed() }</p>
                    }
                    <p class="hint">{ texts.sso_or_token() }</p>
                </div>
            }
        }
        _ => html! {},
    };
    html! {
        <form class="signin" id="signin" {onsubmit}>
            <h1>{ texts.signin_title }</h1>
            { sso }
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
