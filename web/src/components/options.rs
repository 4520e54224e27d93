use web_sys::HtmlInputElement;
use yew::prelude::*;
use zegel_core::{AuthLevel, Language};

use crate::components::app::PaneProps;
use crate::components::upload_request::UploadRequestSummary;
use crate::state::{Action, Kind};

/// Public files, secure files, secure message or a secure upload request, as a radio group. Choosing an
/// upload request opens its dialog; while it is chosen, a summary of its choices follows it.
#[function_component]
pub fn KindPicker(props: &PaneProps) -> Html {
    let state = &props.state;
    let texts = state.texts;
    let label = |kind: Kind| match kind {
        Kind::PublicFiles => (texts.kind_public_files, texts.kind_public_files_hint),
        Kind::SecureFiles => (texts.kind_secure_files, texts.kind_secure_files_hint),
        Kind::SecureMessage => (texts.kind_secure_message, texts.kind_secure_message_hint),
        Kind::UploadRequest => (texts.kind_upload_request, texts.kind_upload_request_hint),
    };
    // A forced or automatic verdict asks for authentication: public files are not offered then.
    let protected = state
        .verdict
        .as_ref()
        .is_some_and(|v| v.action >= zegel_core::policy::Action::Auto);
    html! {
        <fieldset class="choices" id="kind">
            <legend>{ texts.kind_legend }</legend>
            { for Kind::ALL.into_iter().filter(|kind| !(protected && *kind == Kind::PublicFiles)).map(|kind| {
                let (label, hint) = label(kind);
                let dispatch = state.dispatcher();
                let id = format!("kind-{}", kind.as_str());
                let hint_id = format!("{id}-hint");
                html! {
                    <div class="choice">
                        <input type="radio" name="kind" id={id.clone()} value={kind.as_str()} checked={state.kind == kind}
                            aria-describedby={hint_id.clone()} onchange={move |_| dispatch.dispatch(Action::Kind(kind))} />
                        <label for={id}>{ label }</label>
                        <p class="hint" id={hint_id}>{ hint }</p>
                        if kind == Kind::UploadRequest && state.kind == kind {
                            <UploadRequestSummary state={state.clone()} api={props.api.clone()} />
                        }
                    </div>
                }
            }) }
        </fieldset>
    }
}

/// 1FA or 2FA. 1FA is left out when the tenant hides it, offers no password option, or the filter
/// forces 2FA.
#[function_component]
pub fn LevelPicker(props: &PaneProps) -> Html {
    let state = &props.state;
    let texts = state.texts;
    let mut levels = vec![];
    if state.one_fa_allowed() {
        levels.push((AuthLevel::OneFa, texts.level_1fa));
    }
    levels.push((AuthLevel::TwoFa, texts.level_2fa));
    let dispatch = state.dispatcher();
    let onchange = move |event: Event| {
        let value = event.target_unchecked_into::<HtmlInputElement>().value();
        if let Some(level) = AuthLevel::parse(&value) {
            dispatch.dispatch(Action::Level(level));
        }
    };
    html! {
        <div class="field">
            <label for="level">{ texts.level_legend }</label>
            <select id="level" onchange={onchange}>
                { for levels.into_iter().map(|(level, label)| html! {
                    <option value={level.as_str()} selected={state.level == level}>{ label }</option>
                }) }
            </select>
        </div>
    }
}

/// The language of what recipients get: only the tenant's languages, its first preselected. Left out
/// when the tenant offers one language.
#[function_component]
pub fn LanguagePicker(props: &PaneProps) -> Html {
    let state = &props.state;
    let texts = state.texts;
    if state.settings.languages.len() < 2 {
        return html! {};
    }
    let dispatch = state.dispatcher();
    let onchange = move |event: Event| {
        let value = event.target_unchecked_into::<HtmlInputElement>().value();
        if let Some(language) = Language::parse(&value) {
            dispatch.dispatch(Action::Language(language));
        }
    };
    html! {
        <div class="field">
            <label for="language">{ texts.recipients_language }</label>
            <select id="language" onchange={onchange}>
                { for state.settings.languages.iter().map(|language| html! {
                    <option value={language.code()} lang={language.code()} selected={state.language == *language}>
                        { language.native_name() }
                    </option>
                }) }
            </select>
        </div>
    }
}
