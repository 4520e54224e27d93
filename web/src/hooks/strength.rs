use wasm_bindgen::prelude::*;
use yew::prelude::*;

use crate::state::{Action, PasswordMode, State, Strength, StrengthView};

#[wasm_bindgen(module = "/js/strength.js")]
extern "C" {
    #[wasm_bindgen(catch, js_name = checkStrength)]
    async fn check_strength(
        password: &str,
        inputs: Vec<String>,
        min_score: u8,
    ) -> Result<JsValue, JsValue>;
}

/// Judges the custom password whenever it changes, with `zegel_core::password::check_strength` in the
/// strength module (loaded on first use). The sender's recipients and subject count as guessable words.
#[hook]
pub fn use_strength(state: UseReducerHandle<State>) {
    let password = if state.password_mode == PasswordMode::Custom {
        state.custom_password.clone()
    } else {
        String::new()
    };
    let mut inputs: Vec<String> = state.recipients().into_iter().map(|r| r.email).collect();
    inputs.push(state.item.subject.clone());
    let min_score = state.settings.password_options.min_score;
    let dispatch = state.dispatcher();
    use_effect_with(password, move |password| {
        if !password.is_empty() {
            let password = password.clone();
            yew::platform::spawn_local(async move {
                let view = match check_strength(&password, inputs, min_score).await {
                    Ok(json) => json
                        .as_string()
                        .and_then(|text| serde_json::from_str::<Strength>(&text).ok())
                        .map(StrengthView::Judged)
                        .unwrap_or(StrengthView::Unavailable),
                    Err(_) => StrengthView::Unavailable,
                };
                dispatch.dispatch(Action::Strength { password, view });
            });
        }
    });
}
