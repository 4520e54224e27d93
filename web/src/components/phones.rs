use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::components::app::PaneProps;
use crate::phone::{PhoneVerdict, countries, country_label};
use crate::state::Action;

/// A mobile number per recipient for 2FA: a country picker (the tenant's default first) for numbers
/// typed without a country code, the number, prefilled (masked) when the server knows it, and a green
/// tick only once the server's rule says it is a mobile number.
#[function_component]
pub fn Phones(props: &PaneProps) -> Html {
    let state = &props.state;
    let texts = state.texts;
    let offered = countries(&state.settings.sms_default_country);
    html! {
        <fieldset class="phones" id="phones">
            <legend>{ texts.phones_legend }</legend>
            { for state.recipients().into_iter().enumerate().map(|(i, recipient)| {
                let key = recipient.email.to_lowercase();
                let field = state.phones.get(&key).cloned().unwrap_or_default();
                let country = state.phone_country(&key);
                let valid = state.phone_for(&recipient.email).is_ok();
                let typed = !field.input.trim().is_empty();
                let refused = typed && matches!(field.verdict, Some(PhoneVerdict::NotMobile | PhoneVerdict::NotANumber));
                let id = format!("phone-{i}");
                let status_id = format!("{id}-status");
                let country_id = format!("{id}-country");
                let on_input = {
                    let (dispatch, email) = (state.dispatcher(), key.clone());
                    move |event: InputEvent| dispatch.dispatch(Action::Phone {
                        email: email.clone(),
                        input: event.target_unchecked_into::<HtmlInputElement>().value(),
                    })
                };
                let on_country = {
                    let (dispatch, email) = (state.dispatcher(), key.clone());
                    move |event: Event| dispatch.dispatch(Action::PhoneCountry {
                        email: email.clone(),
                        country: event.target_unchecked_into::<HtmlSelectElement>().value(),
                    })
                };
                let status = match (&field.known, typed, &field.verdict) {
                    (_, true, Some(PhoneVerdict::Mobile(_))) => texts.phone_valid.to_owned(),
                    (_, true, Some(PhoneVerdict::NotMobile)) => texts.phone_not_mobile.to_owned(),
                    (_, true, Some(PhoneVerdict::NotANumber)) => texts.phone_invalid.to_owned(),
                    (_, true, None) => texts.phone_checking.to_owned(),
                    (Some(masked), false, _) => texts.phone_known(masked),
                    (None, false, _) => texts.phone_invalid.to_owned(),
                };
                html! {
                    <div class="phone">
                        <label for={id.clone()}>{ texts.phone_of(&recipient.email) }</label>
                        <div class="phone-row">
                            <label for={country_id.clone()} class="visually-hidden">{ texts.phone_country }</label>
                            <select id={country_id} class="country" title={texts.phone_country} onchange={on_country}>
                                { for offered.iter().map(|c| html! {
                                    <option value={c.clone()} selected={*c == country}>{ country_label(c) }</option>
                                }) }
                            </select>
                            <input id={id.clone()} type="tel" autocomplete="off" data-email={recipient.email.clone()}
                                placeholder={field.known.clone().unwrap_or_default()} value={field.input.clone()}
                                aria-invalid={refused.to_string()} aria-describedby={status_id.clone()} oninput={on_input} />
                            if valid && typed {
                                <span class="tick" aria-hidden="true">{"✔"}</span>
                            }
                        </div>
                        <p class={classes!("hint", refused.then_some("error"))} id={status_id}>{ status }</p>
                    </div>
                }
            }) }
        </fieldset>
    }
}
