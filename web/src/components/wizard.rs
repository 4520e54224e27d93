use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::components::icon::{Icon, icon};

use crate::components::app::PaneProps;
use crate::hooks::send::{send, send_sealed};
use crate::state::{Action, Kind, Stage};

/// Step 1 of the wizard: confirm each attachment.
#[function_component]
pub fn ConfirmFiles(props: &PaneProps) -> Html {
    let state = &props.state;
    let texts = state.texts;
    let (back, next) = (state.dispatcher(), state.dispatcher());
    html! {
        <section class="wizard" aria-labelledby="wizard-title">
            <h1 id="wizard-title">{ texts.confirm_title }</h1>
            <fieldset id="confirm-files">
                <legend>{ texts.confirm_files }</legend>
                { for state.files().into_iter().map(|file| {
                    let (id, dispatch) = (format!("file-{}", file.id), state.dispatcher());
                    let file_id = file.id.clone();
                    html! {
                        <div class="confirm">
                            <input type="checkbox" id={id.clone()} checked={state.confirmed_files.contains(&file.id)}
                                onchange={move |e: Event| dispatch.dispatch(Action::ConfirmFile(file_id.clone(), e.target_unchecked_into::<HtmlInputElement>().checked()))} />
                            <label for={id}>{ file.name.clone() }<span class="size">{ zegel_core::format::size(texts.language, file.size) }</span></label>
                        </div>
                    }
                }) }
            </fieldset>
            <div class="actions">
                <button type="button" id="back" onclick={move |_| back.dispatch(Action::Back)}>{ texts.back }</button>
                <button type="button" id="next" class="primary" disabled={!state.files_confirmed()}
                    onclick={move |_| next.dispatch(Action::Next)}>{ texts.next }</button>
            </div>
        </section>
    }
}

/// Step 2: confirm each recipient, then send.
#[function_component]
pub fn ConfirmRecipients(props: &PaneProps) -> Html {
    let state = &props.state;
    let texts = state.texts;
    let back = state.dispatcher();
    let on_send = {
        let (state, api) = (state.clone(), props.api.clone());
        move |_| {
            if let Some(api) = api.clone() {
                yew::platform::spawn_local(send((*state).clone().into(), api, state.dispatcher()));
            }
        }
    };
    html! {
        <section class="wizard" aria-labelledby="wizard-title">
            <h1 id="wizard-title">{ texts.confirm_title }</h1>
            <fieldset id="confirm-recipients">
                <legend>{ texts.confirm_recipients }</legend>
                { for state.recipients().into_iter().enumerate().map(|(i, recipient)| {
                    let (id, dispatch) = (format!("recipient-{i}"), state.dispatcher());
                    let email = recipient.email.clone();
                    html! {
                        <div class="confirm">
                            <input type="checkbox" id={id.clone()} data-email={recipient.email.clone()}
                                checked={state.confirmed_recipients.contains(&recipient.email.to_lowercase())}
                                onchange={move |e: Event| dispatch.dispatch(Action::ConfirmRecipient(email.clone(), e.target_unchecked_into::<HtmlInputElement>().checked()))} />
                            <label for={id}>
                                <span class="kind">{ texts.recipient_kind(recipient.kind) }</span>
                                if !recipient.name.is_empty() { { recipient.name.clone() }{" "} }
                                <span class="address">{ format!("<{}>", recipient.email) }</span>
                            </label>
                        </div>
                    }
                }) }
            </fieldset>
            <div class="actions">
                <button type="button" id="back" onclick={move |_| back.dispatch(Action::Back)}>{ texts.back }</button>
                <button type="button" id="send" class="primary" disabled={!state.recipients_confirmed()} onclick={on_send}>{ texts.send }</button>
            </div>
        </section>
    }
}

/// The result: sent, the generated password behind the eye (to pass on first when the sender tells it
/// themselves), or "press Send".
#[function_component]
pub fn Done(props: &PaneProps) -> Html {
    let state = &props.state;
    let texts = state.texts;
    let reveal = use_state(|| false);
    let copied = use_state(|| false);
    let Stage::Sent {
        id,
        password,
        tell,
        press_send,
    } = &state.stage
    else {
        return html! {};
    };
    let password_view = password.as_ref().map(|password| {
        let toggle = {
            let reveal = reveal.clone();
            move |_| reveal.set(!*reveal)
        };
        let copy = {
            let (password, copied) = (password.clone(), copied.clone());
            move |_| {
                if let Some(window) = web_sys::window() {
                    let _ = window.navigator().clipboard().write_text(&password);
                    copied.set(true);
                }
            }
        };
        let send_now = {
            let (dispatch, id, password) = (state.dispatcher(), id.clone(), password.clone());
            move |_| {
                yew::platform::spawn_local(send_sealed(
                    dispatch.clone(),
                    id.clone(),
                    password.clone(),
                ))
            }
        };
        let intro = if *tell {
            texts.tell_password
        } else if state.deliver == zegel_core::Deliver::Other {
            texts.told_password
        } else {
            texts.emailed_password
        };
        html! {
            <div class="password-result">
                <p id="password-intro">{ intro }</p>
                <div class="password-row">
                    <output id="generated-password" class={classes!("secret", (!*reveal).then_some("hidden"))} aria-live="polite">
                        { if *reveal { password.clone() } else { "•".repeat(12) } }
                    </output>
                    <button type="button" id="reveal-generated" class="icon" aria-pressed={reveal.to_string()}
                        aria-label={if *reveal { texts.hide_password } else { texts.show_password }} onclick={toggle}>{ icon(Icon::Eye) }</button>
                    <button type="button" id="copy" onclick={copy}>{ if *copied { texts.copied } else { texts.copy } }</button>
                </div>
                if *tell {
                    <button type="button" id="send-mail" class="primary" onclick={send_now}>{ texts.send_mail }</button>
                }
            </div>
        }
    });
    html! {
        <section class="done" role="status" data-message-id={id.clone()}>
            <h1>{"✔ "}{ if *tell {
                texts.almost_sent
            } else if state.kind == Kind::UploadRequest {
                texts.upload_sent_title
            } else {
                texts.sent_title
            } }</h1>
            { password_view.unwrap_or_default() }
            if *press_send {
                <p class="hint" id="press-send">{ texts.press_send }</p>
            }
        </section>
    }
}
