use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::components::icon::{Icon, icon};

use crate::components::app::PaneProps;
use crate::state::{Action, Kind};

/// The gear: link expiry (at most the tenant's maximum), the download limit, and the mails to the
/// sender (a confirmation, a notice on each download). An upload request has only the expiry: the rest
/// is about downloads of what the sender sends, and an upload request sends nothing.
#[function_component]
pub fn FileSettings(props: &PaneProps) -> Html {
    let state = &props.state;
    let texts = state.texts;
    let toggle = state.dispatcher();
    let expiry = state.dispatcher();
    let downloads = state.dispatcher();
    let confirm = state.dispatcher();
    let notify = state.dispatcher();
    let max = state.settings.expiry_days.max;
    let message = state.kind != Kind::UploadRequest;
    html! {
        <div class="file-settings">
            <button type="button" id="gear" class="icon" aria-expanded={state.file_settings_open.to_string()}
                aria-controls="file-settings" aria-label={texts.file_settings} title={texts.file_settings}
                onclick={move |_| toggle.dispatch(Action::ToggleFileSettings)}>{ icon(Icon::Settings) }</button>
            if state.file_settings_open {
                <div id="file-settings" class="panel">
                    <div class="field">
                        <label for="expiry">{ texts.expiry }</label>
                        <input id="expiry" type="number" min="1" max={max.to_string()} value={state.expiry_input.clone()}
                            aria-invalid={state.expiry_days().is_none().to_string()} aria-describedby="expiry-hint"
                            oninput={move |e: InputEvent| expiry.dispatch(Action::Expiry(e.target_unchecked_into::<HtmlInputElement>().value()))} />
                        <p class="hint" id="expiry-hint">{ texts.expiry_hint(max) }</p>
                    </div>
                    if message {
                        <div class="field">
                            <label for="downloads">{ texts.downloads }</label>
                            <input id="downloads" type="number" min="1" value={state.downloads_input.clone()}
                                aria-invalid={state.max_downloads().is_err().to_string()} aria-describedby="downloads-hint"
                                oninput={move |e: InputEvent| downloads.dispatch(Action::Downloads(e.target_unchecked_into::<HtmlInputElement>().value()))} />
                            <p class="hint" id="downloads-hint">{ texts.downloads_hint }</p>
                        </div>
                        <label class="check">
                            <input id="confirm-to-sender" type="checkbox" checked={state.confirm_to_sender}
                                onchange={move |e: Event| confirm.dispatch(Action::ConfirmToSender(e.target_unchecked_into::<HtmlInputElement>().checked()))} />
                            { texts.confirm_to_sender }
                        </label>
                        <label class="check">
                            <input id="notify-on-download" type="checkbox" checked={state.notify_on_download}
                                onchange={move |e: Event| notify.dispatch(Action::NotifyOnDownload(e.target_unchecked_into::<HtmlInputElement>().checked()))} />
                            { texts.notify_on_download }
                        </label>
                    }
                </div>
            }
        </div>
    }
}
