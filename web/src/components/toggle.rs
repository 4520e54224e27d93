use yew::prelude::*;

use crate::components::app::PaneProps;
use crate::state::Action;

/// The Zegel switch: grey when off, green when on; locked on when the filter forces.
#[function_component]
pub fn Toggle(props: &PaneProps) -> Html {
    let state = &props.state;
    let texts = state.texts;
    let locked = state.enabled && state.forced();
    let dispatch = state.dispatcher();
    html! {
        <div class="toggle-row">
            <button type="button" id="toggle" role="switch" class={classes!("switch", state.enabled.then_some("on"))}
                aria-checked={state.enabled.to_string()} aria-disabled={locked.to_string()} aria-describedby={locked.then_some("forced")}
                onclick={move |_| dispatch.dispatch(Action::Toggle)}>
                <span class="knob" aria-hidden="true"></span>
                <span class="switch-label">{ texts.toggle }</span>
            </button>
            if locked {
                <p class="hint" id="forced">{ texts.forced }</p>
            }
        </div>
    }
}
