use web_sys::{HtmlElement, HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;
use zegel_core::upload_request::FileType;

use crate::components::app::PaneProps;
use crate::state::Action;

/// What the chosen upload request asks for (the kinds of files, where its message comes from) and a
/// button that opens its dialog again, which gets the focus back when the dialog closes.
#[function_component]
pub fn UploadRequestSummary(props: &PaneProps) -> Html {
    let state = &props.state;
    let texts = state.texts;
    let change = use_node_ref();
    let was_open = use_mut_ref(|| false);
    {
        let change = change.clone();
        use_effect_with(state.upload_dialog.is_some(), move |open| {
            if *was_open.borrow()
                && !*open
                && let Some(button) = change.cast::<HtmlElement>()
            {
                let _ = button.focus();
            }
            *was_open.borrow_mut() = *open;
        });
    }
    let upload = &state.upload;
    let types = if upload.allowed_types.is_empty() {
        texts.upload_any_type.to_owned()
    } else {
        let names: Vec<&str> = upload
            .allowed_types
            .iter()
            .map(|t| texts.file_type(*t))
            .collect();
        names.join(", ")
    };
    let message = match upload.template(&state.settings.upload_request_templates) {
        Some(template) => texts.upload_message_template(&template.name),
        None => texts.upload_message_own.to_owned(),
    };
    let open = state.dispatcher();
    html! {
        <div class="upload-summary" id="upload-summary">
            <p>{ texts.upload_allowed }{" "}<span id="upload-summary-types">{ types }</span></p>
            <p id="upload-summary-message">{ message }</p>
            <button type="button" id="upload-change" class="small" ref={change}
                onclick={move |_| open.dispatch(Action::OpenUploadDialog)}>{ texts.upload_change }</button>
        </div>
    }
}

/// The upload request's dialog (seed 001 §6.1 step 2): one of the organisation's templates, when it has
/// any (it ticks its kinds of files, and its text becomes the request's message), and the kinds of files
/// asked for. Save keeps the choices; Cancel or Escape leaves them as they were. It takes the focus when
/// it opens; the pane behind it is inert meanwhile.
#[function_component]
pub fn UploadRequestDialog(props: &PaneProps) -> Html {
    let state = &props.state;
    let texts = state.texts;
    let heading = use_node_ref();
    {
        let heading = heading.clone();
        use_effect_with((), move |_| {
            if let Some(heading) = heading.cast::<HtmlElement>() {
                let _ = heading.focus();
            }
        });
    }
    let Some(choices) = &state.upload_dialog else {
        return html! {};
    };
    let templates = &state.settings.upload_request_templates;
    let chosen = choices.template(templates);
    let on_template = {
        let dispatch = state.dispatcher();
        move |event: Event| {
            let name = event.target_unchecked_into::<HtmlSelectElement>().value();
            dispatch.dispatch(Action::UploadTemplate(Some(name).filter(|n| !n.is_empty())));
        }
    };
    let escape = state.dispatcher();
    let onkeydown = move |event: KeyboardEvent| {
        if event.key() == "Escape" {
            event.prevent_default();
            escape.dispatch(Action::CancelUploadDialog);
        }
    };
    let (cancel, save) = (state.dispatcher(), state.dispatcher());
    html! {
        <div class="dialog-backdrop">
            <section id="upload-dialog" class="dialog" role="dialog" aria-modal="true"
                aria-labelledby="upload-dialog-title" {onkeydown}>
                <h1 id="upload-dialog-title" tabindex="-1" ref={heading}>{ texts.upload_dialog_title }</h1>
                if !templates.is_empty() {
                    <div class="field">
                        <label for="upload-template">{ texts.upload_template }</label>
                        <select id="upload-template" onchange={on_template}>
                            <option value="" selected={chosen.is_none()}>{ texts.upload_no_template }</option>
                            { for templates.iter().map(|template| html! {
                                <option value={template.name.clone()}
                                    selected={chosen.is_some_and(|c| c.name == template.name)}>{ template.name.clone() }</option>
                            }) }
                        </select>
                    </div>
                }
                if let Some(template) = chosen {
                    <p class="hint" id="upload-template-intro">{ texts.upload_template_text }</p>
                    <blockquote class="template-text" id="upload-template-text" lang={state.language.code()}>
                        { template.text.get(state.language).to_owned() }
                    </blockquote>
                } else {
                    <p class="hint" id="upload-own-text">{ texts.upload_own_text }</p>
                }
                <fieldset id="upload-types" aria-describedby="upload-types-hint">
                    <legend>{ texts.upload_types_legend }</legend>
                    { for FileType::ALL.into_iter().map(|file_type| {
                        let dispatch = state.dispatcher();
                        let id = format!("upload-type-{}", file_type.as_str());
                        html! {
                            <label class="check" for={id.clone()}>
                                <input type="checkbox" {id} value={file_type.as_str()} checked={choices.allows(file_type)}
                                    onchange={move |e: Event| dispatch.dispatch(Action::UploadType(file_type, e.target_unchecked_into::<HtmlInputElement>().checked()))} />
                                { texts.file_type(file_type) }
                            </label>
                        }
                    }) }
                    <p class="hint" id="upload-types-hint">{ texts.upload_types_hint }</p>
                </fieldset>
                <div class="actions">
                    <button type="button" id="upload-cancel" onclick={move |_| cancel.dispatch(Action::CancelUploadDialog)}>{ texts.cancel }</button>
                    <button type="button" id="upload-save" class="primary" onclick={move |_| save.dispatch(Action::SaveUploadDialog)}>{ texts.save }</button>
                </div>
            </section>
        </div>
    }
}
