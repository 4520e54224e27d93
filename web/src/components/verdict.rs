use yew::prelude::*;
use zegel_core::policy::Action as FilterAction;

use crate::components::app::PaneProps;

/// What the content filter found and what the policy does about it, with the terms found, and which
/// attachments it could not check.
#[function_component]
pub fn Verdict(props: &PaneProps) -> Html {
    let state = &props.state;
    let texts = state.texts;
    let unscanned = (!state.unscanned.is_empty()).then(|| {
        html! {
            <p class="warning" id="unscanned">{ texts.unscanned }{" "}{ state.unscanned.join(", ") }</p>
        }
    });
    let Some(decision) = &state.verdict else {
        return unscanned.map_or_else(
            || html! {},
            |note| html! { <section class="verdict allow" role="status">{ note }</section> },
        );
    };
    let headline = match decision.action {
        FilterAction::Allow => None,
        FilterAction::Notify => Some(texts.verdict_notify),
        FilterAction::Auto => Some(texts.verdict_auto),
        FilterAction::Force => Some(texts.verdict_force),
    };
    if headline.is_none() && decision.warnings.is_empty() && unscanned.is_none() {
        return html! {};
    }
    let action = match decision.action {
        FilterAction::Allow => "allow",
        FilterAction::Notify => "notify",
        FilterAction::Auto => "auto",
        FilterAction::Force => "force",
    };
    html! {
        <section id="verdict" class={classes!("verdict", action)} data-action={action} role="status" aria-live="polite">
            if let Some(headline) = headline {
                <p class="headline">{ headline }</p>
                <p class="found">{ texts.found }</p>
                <ul class="reasons">
                    { for decision.reasons.iter().map(|reason| {
                        // A trigger word speaks for itself, in quotes; other kinds by their name.
                        let quoted = reason.terms.iter().map(|t| format!("\u{201c}{t}\u{201d}")).collect::<Vec<_>>().join(", ");
                        let kind = reason.kind.as_str();
                        html! {
                            <li data-kind={kind}>
                                if kind == "trigger_word" && !reason.terms.is_empty() {
                                    <strong>{ quoted }</strong>
                                } else {
                                    <strong>{ texts.finding(kind) }</strong>
                                    if kind == "activation_word" && !reason.terms.is_empty() {
                                        {" "}{ quoted }
                                    } else if !reason.terms.is_empty() {
                                        {" "}{ reason.terms.join(", ") }
                                    }
                                }
                            </li>
                        }
                    }) }
                </ul>
            }
            { for decision.warnings.iter().map(|w| html! { <p class="warning">{ texts.warning(w) }</p> }) }
            { unscanned.unwrap_or_default() }
        </section>
    }
}
