use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::components::icon::{Icon, icon};
use zegel_core::Deliver;

use crate::components::app::PaneProps;
use crate::state::{Action, PasswordMode, StrengthView};

/// Generated or custom password, the strength ring, and "send via".
#[function_component]
pub fn PasswordOptions(props: &PaneProps) -> Html {
    let state = &props.state;
    let texts = state.texts;
    let options = &state.settings.password_options;
    let reveal = use_state(|| false);
    let mode = |mode: PasswordMode, id: &'static str, label: &'static str| {
        let dispatch = state.dispatcher();
        html! {
            <div class="choice">
                <input type="radio" name="password-mode" id={id} checked={state.password_mode == mode}
                    onchange={move |_| dispatch.dispatch(Action::PasswordMode(mode))} />
                <label for={id}>{ label }</label>
            </div>
        }
    };
    let on_input = {
        let dispatch = state.dispatcher();
        move |event: InputEvent| {
            dispatch.dispatch(Action::CustomPassword(
                event.target_unchecked_into::<HtmlInputElement>().value(),
            ))
        }
    };
    let toggle_reveal = {
        let reveal = reveal.clone();
        move |_| reveal.set(!*reveal)
    };
    let deliver = |value: Deliver, label: &'static str| {
        html! {
            <option value={value.as_str()} selected={state.deliver == value}>{ label }</option>
        }
    };
    let on_deliver = {
        let dispatch = state.dispatcher();
        move |event: Event| {
            let value = event.target_unchecked_into::<HtmlInputElement>().value();
            dispatch.dispatch(Action::Deliver(if value == "other" {
                Deliver::Other
            } else {
                Deliver::Email
            }));
        }
    };
    html! {
        <>
            <fieldset class="choices" id="password">
                <legend>{ texts.password_legend }</legend>
                if options.generated {
                    { mode(PasswordMode::Generated, "password-generated", texts.password_generated) }
                }
                if options.custom {
                    { mode(PasswordMode::Custom, "password-custom", texts.password_custom) }
                }
                if state.password_mode == PasswordMode::Generated {
                    <p class="hint">{ texts.password_generated_hint }</p>
                } else {
                    <div class="password-row">
                        <label for="custom-password" class="visually-hidden">{ texts.password_input }</label>
                        <input id="custom-password" type={if *reveal { "text" } else { "password" }} autocomplete="new-password"
                            placeholder={texts.password_input} value={state.custom_password.clone()} oninput={on_input}
                            aria-describedby="strength-text" />
                        <button type="button" id="reveal" class="icon" aria-pressed={reveal.to_string()}
                            aria-label={if *reveal { texts.hide_password } else { texts.show_password }}
                            title={if *reveal { texts.hide_password } else { texts.show_password }} onclick={toggle_reveal}>{ icon(Icon::Eye) }</button>
                        <StrengthRing state={props.state.clone()} api={props.api.clone()} />
                    </div>
                }
            </fieldset>
            if state.settings.allow_deliver_other {
                <div class="field">
                    <label for="deliver">{ texts.deliver_legend }</label>
                    <select id="deliver" onchange={on_deliver} aria-describedby={(state.deliver == Deliver::Other).then_some("deliver-hint")}>
                        { deliver(Deliver::Email, texts.deliver_email) }
                        { deliver(Deliver::Other, texts.deliver_other) }
                    </select>
                    if state.deliver == Deliver::Other {
                        <p class="hint" id="deliver-hint">{ texts.deliver_other_hint }</p>
                    }
                </div>
            }
        </>
    }
}

/// The emoji in a ring: red or orange while weak, sunglasses in a green ring when strong. Hovering or
/// focusing it lists what is missing; the same text is read out by screen readers.
#[function_component]
fn StrengthRing(props: &PaneProps) -> Html {
    let texts = props.state.texts;
    let (class, emoji, summary, missing): (&str, &str, &str, Vec<String>) =
        match &props.state.strength {
            StrengthView::Idle => ("idle", "😶", texts.strength_weak, vec![]),
            StrengthView::Checking => ("checking", "🤔", texts.strength_checking, vec![]),
            StrengthView::Unavailable => ("red", "😟", texts.strength_unavailable, vec![]),
            StrengthView::Judged(s) if s.strong_enough => {
                ("green", "😎", texts.strength_strong, vec![])
            }
            StrengthView::Judged(s) => {
                // zxcvbn's feedback by its codes, in the pane's language (never its English text).
                let missing: Vec<String> = s
                    .warning_code
                    .iter()
                    .chain(&s.suggestion_codes)
                    .filter_map(|code| crate::wording::strength_hint(texts.language, code))
                    .map(str::to_owned)
                    .collect();
                (
                    if s.score <= 1 { "red" } else { "orange" },
                    if s.score <= 1 { "😟" } else { "😐" },
                    texts.strength_weak,
                    missing,
                )
            }
        };
    let tooltip = if missing.is_empty() {
        summary.to_owned()
    } else {
        format!(
            "{summary}. {} {}",
            texts.strength_missing,
            missing.join(" ")
        )
    };
    html! {
        <span class="strength-wrap">
            <span id="strength" class={classes!("ring", class)} data-strength={class} tabindex="0" title={tooltip}
                role="img" aria-label={summary}>{ emoji }</span>
            <span id="strength-text" class="tooltip" role="status" aria-live="polite">
                { summary }
                if !missing.is_empty() {
                    <span class="missing">{" "}{ texts.strength_missing }</span>
                    <ul>{ for missing.iter().map(|m| html! { <li>{ m.clone() }</li> }) }</ul>
                }
            </span>
        </span>
    }
}
