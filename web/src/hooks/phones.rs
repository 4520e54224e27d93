use yew::prelude::*;
use zegel_core::AuthLevel;

use zegel_core::api::KnownPhone;

use crate::api::Api;
use crate::state::{Action, State};

/// With 2FA, asks the server once per recipient whether it knows their mobile number.
#[hook]
pub fn use_known_phones(state: UseReducerHandle<State>, api: Option<Api>) {
    let wanted: Vec<String> = if state.level == AuthLevel::TwoFa && state.enabled {
        state
            .recipients()
            .into_iter()
            .map(|r| r.email.to_lowercase())
            .collect()
    } else {
        Vec::new()
    };
    let asked = use_mut_ref(std::collections::BTreeSet::<String>::new);
    let dispatch = state.dispatcher();
    use_effect_with(wanted, move |wanted| {
        let Some(api) = api else { return };
        for email in wanted {
            if !asked.borrow_mut().insert(email.clone()) {
                continue;
            }
            let (api, dispatch, email) = (api.clone(), dispatch.clone(), email.clone());
            yew::platform::spawn_local(async move {
                if let Ok(KnownPhone {
                    known: true,
                    masked: Some(masked),
                    ..
                }) = api.known_phone(&email).await
                {
                    dispatch.dispatch(Action::PhoneKnown { email, masked });
                }
            });
        }
    });
}

/// Judges each typed number with the server's rule (`crate::phone::check`) whenever its input or
/// country changes; the verdict is dropped when the input moved on meanwhile.
#[hook]
pub fn use_phone_check(state: UseReducerHandle<State>) {
    let pending: Vec<(String, String, String)> = if state.level == AuthLevel::TwoFa && state.enabled
    {
        state
            .phones
            .iter()
            .filter(|(_, f)| f.verdict.is_none() && !f.input.trim().is_empty())
            .map(|(email, f)| (email.clone(), f.input.clone(), state.phone_country(email)))
            .collect()
    } else {
        Vec::new()
    };
    let dispatch = state.dispatcher();
    use_effect_with(pending, move |pending| {
        for (email, input, country) in pending.clone() {
            let dispatch = dispatch.clone();
            yew::platform::spawn_local(async move {
                if let Some(verdict) = crate::phone::check(&input, &country).await {
                    dispatch.dispatch(Action::PhoneChecked {
                        email,
                        input,
                        country,
                        verdict,
                    });
                }
            });
        }
    });
}
