use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::components::app::PaneProps;
use crate::state::Action;

/// A mobile number per recipient for 2FA, prefilled (masked) when the server knows it, checked as typed
/// with a green tick.
#[function_component]
pub fn Phones(props: &PaneProps) -> Html {
    let state = &props.state;
    let texts = state.texts;
    html! {
        <fieldset class="phones" id="phones">
            <legend>{ texts.phones_legend }</legend>
            { for state.recipients().into_iter().enumerate().map(|(i, recipient)| {
                let key = recipient.email.to_lowercase();
                let field = state.phones.get(&key).cloned().unwrap_or_default();
                let valid = state.phone_for(&recipient.email).is_ok();
                let typed = !field.input.trim().is_empty();
                let id = format!("phone-{i}");
                let status_id = format!("{id}-status");
                let dispatch = state.dispatcher();
                let oninput = move |event: InputEvent| dispatch.dispatch(Action::Phone {
                    email: key.clone(),
                    input: event.target_unchecked_into::<HtmlInputElement>().value(),
                });
                html! {
                    <div class="phone">
                        <label for={id.clone()}>{ texts.phone_of(&recipient.email) }</label>
                        <div class="phone-row">
                            <input id={id.clone()} type="tel" autocomplete="off" data-email={recipient.email.clone()}
                                placeholder={field.known.clone().unwrap_or_default()} value={field.input.clone()}
                                aria-invalid={(typed && !valid).to_string()} aria-describedby={status_id.clone()} {oninput} />
                            if valid {
                                <span class="tick" aria-hidden="true">{"✔"}</span>
                            }
                        </div>
                        <p class={classes!("hint", (typed && !valid).then_some("error"))} id={status_id}>
                            { match (&field.known, typed, valid) {
                                (_, true, true) => texts.phone_valid.to_owned(),
                                (_, true, false) => texts.phone_invalid.to_owned(),
                                (Some(masked), false, _) => texts.phone_known(masked),
                                (None, false, _) => texts.phone_invalid.to_owned(),
                            } }
                        </p>
                    </div>
                }
            }) }
        </fieldset>
    }
}
