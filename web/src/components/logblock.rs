//! The read-mode pane, "log & block": opened on a sent item, it finds the message from the item's
//! `X-Zegel-Message` header, shows what happened to it per recipient and file, and blocks or unblocks
//! recipients, files or the whole message (seed 001 ch. 5). Every change is the server's answer to a
//! block or unblock, so the pane never shows a state the server does not hold. Opened on the notice of
//! a reply (which names the sender's first message), it shows the conversation, "Gesprek", first.

use wasm_bindgen::{JsCast, JsValue};
use yew::prelude::*;

use crate::components::icon::{Icon, icon};

use zegel_core::api::{BlockTarget, MessageStatus};
use zegel_core::conversation::Turn;

use crate::api::{Api, ApiError};
use crate::components::signin::SignIn;
use crate::i18n::{self, LogTexts, Texts};
use crate::office;
use crate::signin::{self, SignInError, SingleSignOn};

/// What the pane shows.
#[derive(Debug, Clone, PartialEq, Eq)]
enum View {
    Loading,
    NotInOutlook,
    /// The item carries no Zegel header.
    NoHeader,
    SignIn {
        refused: bool,
    },
    /// The server does not know the message (or it is another sender's).
    NotFound,
    Failed(String),
    Ready,
}

/// The pane's state handles, cloned into the async tasks that change them.
#[derive(Clone, PartialEq)]
struct Handles {
    view: UseStateHandle<View>,
    texts: UseStateHandle<&'static Texts>,
    api: UseStateHandle<Option<Api>>,
    id: UseStateHandle<String>,
    status: UseStateHandle<Option<MessageStatus>>,
    error: UseStateHandle<Option<String>>,
    menu: UseStateHandle<Option<String>>,
    busy: UseStateHandle<bool>,
    sso: UseStateHandle<SingleSignOn>,
    /// The message and its replies, when it has any.
    turns: UseStateHandle<Vec<Turn>>,
}

/// The log & block pane.
#[function_component]
pub fn LogBlock() -> Html {
    let h = Handles {
        view: use_state(|| View::Loading),
        texts: use_state(|| &i18n::EN),
        api: use_state(|| None),
        id: use_state(String::new),
        status: use_state(|| None),
        error: use_state(|| None),
        menu: use_state(|| None),
        busy: use_state(|| false),
        sso: use_state(SingleSignOn::default),
        turns: use_state(Vec::new),
    };
    {
        let h = h.clone();
        use_effect_with((), move |_| yew::platform::spawn_local(boot(h)));
    }
    // An opened menu takes the focus to its first item, as menus do for keyboard users.
    use_effect_with((*h.menu).clone(), |menu| {
        if let Some(key) = menu {
            focus(&format!("#{key}-list button"));
        }
    });
    let texts = *h.texts;
    let log = texts.log;
    let stage = match &*h.view {
        View::Loading => "loading",
        View::NotInOutlook => "not-in-outlook",
        View::NoHeader => "no-header",
        View::SignIn { .. } => "signin",
        View::NotFound => "not-found",
        View::Failed(_) => "failed",
        View::Ready => "logblock",
    };
    let body = match &*h.view {
        View::Loading => html! { <p class="lead" role="status">{ texts.loading }</p> },
        View::NotInOutlook => html! { <p class="lead" role="alert">{ texts.not_in_outlook }</p> },
        View::NoHeader => {
            html! { <p class="lead" id="no-header" role="status">{ log.no_header }</p> }
        }
        View::NotFound => {
            html! { <p class="lead" id="not-found" role="alert">{ log.not_found }</p> }
        }
        View::Failed(message) => html! {
            <p class="lead" role="alert">{ texts.failed }{" "}<span id="failure">{ message.clone() }</span></p>
        },
        View::SignIn { refused } => {
            let h = h.clone();
            let on_token = {
                let h = h.clone();
                Callback::from(move |token: String| {
                    yew::platform::spawn_local(sign_in(h.clone(), token));
                })
            };
            let single_sign_on = *h.sso;
            let on_sso = Callback::from(move |()| {
                yew::platform::spawn_local(sign_in_with_sso(h.clone()));
            });
            html! { <SignIn {texts} refused={*refused} {on_token} {single_sign_on} {on_sso} /> }
        }
        View::Ready => match &*h.status {
            Some(status) => ready(&h, status),
            None => html! {},
        },
    };
    html! {
        <main class="pane logblock" lang={texts.language.code()} data-stage={stage} aria-busy={h.busy.to_string()}>
            <header class="brand"><img src="icons/icon-32.png" alt="" width="24" height="24" /><span>{"Zegel"}</span></header>
            <h1>{ log.title }</h1>
            { body }
        </main>
    }
}

async fn boot(h: Handles) {
    let host = match office::ready().await {
        // Office.js also loads outside Outlook (the manifest's support link opens this page); it then
        // names no host.
        Ok(host) if !host.host.is_empty() => host,
        _ => return h.view.set(View::NotInOutlook),
    };
    let texts = i18n::for_display_language(&host.display_language);
    h.texts.set(texts);
    // The header first: an e-mail Zegel did not send needs no sign-in to say so.
    let headers = match office::read_headers().await {
        Ok(headers) => headers,
        Err(error) => return h.view.set(View::Failed(error.0)),
    };
    let Some(id) = office::zegel_message_id(&headers) else {
        return h.view.set(View::NoHeader);
    };
    h.id.set(id.clone());
    let (signed_in, sso) = signin::sign_in_quietly().await;
    h.sso.set(sso);
    match signed_in {
        Ok((api, _)) => load(&h, texts, api, &id).await,
        Err(SignInError::NeedSignIn { refused }) => h.view.set(View::SignIn { refused }),
        Err(SignInError::Network) => h.view.set(View::Failed(texts.network_error.to_owned())),
    }
}

/// Signs in with Office single sign-on on the sender's click, and loads.
async fn sign_in_with_sso(h: Handles) {
    match signin::with_single_sign_on().await {
        Ok((api, _)) => {
            let id = (*h.id).clone();
            load(&h, *h.texts, api, &id).await;
        }
        Err((status, _)) => {
            h.sso.set(match status {
                SingleSignOn::NotTried => SingleSignOn::Failed,
                other => other,
            });
            h.view.set(View::SignIn { refused: false });
        }
    }
}

/// Signs in with `token` (stored in the roaming settings once the server accepts it) and loads.
async fn sign_in(h: Handles, token: String) {
    let api = Api::new(token.clone());
    let texts = *h.texts;
    if matches!(api.message_status(&h.id).await, Err(ApiError::Unauthorized)) {
        return h.view.set(View::SignIn { refused: true });
    }
    if let Err(error) = office::roaming_set(office::TOKEN_KEY, &token).await {
        return h.view.set(View::Failed(error.0));
    }
    let id = (*h.id).clone();
    load(&h, texts, api, &id).await;
}

async fn load(h: &Handles, texts: &'static Texts, api: Api, id: &str) {
    match api.message_status(id).await {
        Ok(status) => {
            // The conversation is an addition: without it (an older server) the status still shows.
            let turns = api
                .conversation(id)
                .await
                .map(|c| c.turns)
                .unwrap_or_default();
            h.turns
                .set(if turns.len() > 1 { turns } else { Vec::new() });
            h.status.set(Some(status));
            h.api.set(Some(api));
            h.view.set(View::Ready);
        }
        Err(ApiError::Unauthorized) => h.view.set(View::SignIn { refused: true }),
        Err(ApiError::Missing) => h.view.set(View::NotFound),
        Err(ApiError::Network(_)) => h.view.set(View::Failed(texts.network_error.to_owned())),
        Err(error @ ApiError::Refused { .. }) => h
            .view
            .set(View::Failed(crate::wording::server_error(texts, &error))),
    }
}

/// Blocks or unblocks `target`; the server's answer is the new status, its refusal the error shown.
fn act(h: &Handles, target: BlockTarget, blocked: bool) -> Callback<MouseEvent> {
    let h = h.clone();
    Callback::from(move |_| {
        let (h, target) = (h.clone(), target.clone());
        let Some(api) = (*h.api).clone() else {
            return;
        };
        h.menu.set(None);
        h.busy.set(true);
        yew::platform::spawn_local(async move {
            let texts = *h.texts;
            match api.set_blocked(&h.id, &target, blocked).await {
                Ok(status) => {
                    h.status.set(Some(status));
                    h.error.set(None);
                }
                Err(ApiError::Unauthorized) => h.view.set(View::SignIn { refused: true }),
                Err(ApiError::Missing) => h.view.set(View::NotFound),
                Err(ApiError::Network(_)) => h.error.set(Some(texts.network_error.to_owned())),
                Err(error @ ApiError::Refused { .. }) => {
                    let said = crate::wording::server_error(texts, &error);
                    h.error.set(Some(format!("{} {said}", texts.log.refused)));
                }
            }
            h.busy.set(false);
        });
    })
}

fn refresh(h: &Handles) -> Callback<MouseEvent> {
    let h = h.clone();
    Callback::from(move |_| {
        let h = h.clone();
        let Some(api) = (*h.api).clone() else {
            return;
        };
        yew::platform::spawn_local(async move {
            let texts = *h.texts;
            let id = (*h.id).clone();
            h.error.set(None);
            load(&h, texts, api, &id).await;
        });
    })
}

fn ready(h: &Handles, status: &MessageStatus) -> Html {
    let texts = *h.texts;
    let log = texts.log;
    let kind = match status.kind.as_str() {
        "public_files" => texts.kind_public_files,
        "secure_files" => texts.kind_secure_files,
        _ => texts.kind_secure_message,
    };
    let destroyed = status.is_destroyed();
    let recipients_blockable = status.blocks_recipients() && !destroyed;
    let all_recipients_blocked =
        !status.recipients.is_empty() && status.recipients.iter().all(|r| r.blocked);
    let all_files_blocked = !status.files.is_empty() && status.files.iter().all(|f| f.blocked);
    html! {
        <div id="logblock" data-message-id={status.id.clone()} data-kind={status.kind.clone()}>
            if let Some(subject) = &status.subject {
                <p class="subject">{ subject.clone() }</p>
            }
            <p class="hint">{ kind }{" · "}{ log.expires }{" "}{ when(&status.expires_at, texts.language) }</p>
            if destroyed {
                <p class="hint" id="destroyed">{ log.destroyed }</p>
            }
            if recipients_blockable {
                <div class="message-block">
                    <button type="button" id="block-message" role="switch"
                        class={classes!("switch", "danger", status.blocked.then_some("on"))}
                        aria-checked={status.blocked.to_string()} aria-describedby="block-message-hint"
                        disabled={*h.busy} onclick={act(h, BlockTarget::Message, !status.blocked)}>
                        <span class="knob" aria-hidden="true"></span>
                        <span class="switch-label">{ log.block_message }</span>
                    </button>
                    <p class="hint" id="block-message-hint">{ log.block_message_hint }</p>
                </div>
            } else if !status.blocks_recipients() {
                <p class="hint" id="files-only">{ log.files_only }</p>
            }
            if let Some(error) = &*h.error {
                <p class="hint error" id="lb-error" role="alert">{ error.clone() }</p>
            }
            if !h.turns.is_empty() {
                { conversation(&h.turns, texts) }
            }
            <section class="status-section" aria-labelledby="recipients-heading">
                <div class="section-head">
                    <h2 id="recipients-heading">{ log.recipients }</h2>
                    if recipients_blockable {
                        <button type="button" id="block-all-recipients" class="small" disabled={*h.busy}
                            onclick={act(h, BlockTarget::Recipients, !all_recipients_blocked)}>
                            { if all_recipients_blocked { log.unblock_all_recipients } else { log.block_all_recipients } }
                        </button>
                    }
                </div>
                <ul class="status-list" id="recipients">
                    { for status.recipients.iter().enumerate().map(|(i, r)| {
                        let status_text = log.status(&r.status);
                        html! {
                            <li data-email={r.email.clone()} data-status={r.status.clone()} data-blocked={r.blocked.to_string()}>
                                <div class="what">
                                    <span class="name">{ r.email.clone() }</span>
                                    <span class={classes!("badge", format!("status-{}", r.status))}>
                                        { status_text }
                                        if let Some(at) = &r.opened_at {
                                            {" "}{ when(at, texts.language) }
                                        }
                                    </span>
                                    if r.blocked {
                                        <span class="badge blocked">{ log.blocked }</span>
                                    }
                                    if r.locked {
                                        <span class="badge locked">{ log.locked }</span>
                                    }
                                </div>
                                if recipients_blockable {
                                    { menu(h, log, &format!("recipient-{i}"), &r.email, r.blocked,
                                        BlockTarget::Recipient { email: r.email.clone() }) }
                                }
                            </li>
                        }
                    }) }
                </ul>
            </section>
            <section class="status-section" aria-labelledby="files-heading">
                <div class="section-head">
                    <h2 id="files-heading">{ log.files }</h2>
                    if !status.files.is_empty() && !destroyed {
                        <button type="button" id="block-all-files" class="small" disabled={*h.busy}
                            onclick={act(h, BlockTarget::Files, !all_files_blocked)}>
                            { if all_files_blocked { log.unblock_all_files } else { log.block_all_files } }
                        </button>
                    }
                </div>
                if status.files.is_empty() {
                    <p class="hint">{ log.no_files }</p>
                }
                <ul class="status-list" id="files">
                    { for status.files.iter().enumerate().map(|(i, f)| {
                        let name = f.name.clone().unwrap_or_else(|| log.unnamed_file.to_owned());
                        let count = if f.downloads.is_empty() {
                            log.not_downloaded.to_owned()
                        } else {
                            LogTexts::fill(log.downloaded, f.downloads.len())
                        };
                        html! {
                            <li data-file-id={f.id.clone()} data-blocked={f.blocked.to_string()} data-downloads={f.downloads.len().to_string()}>
                                <div class="what">
                                    <span class="name">{ name.clone() }</span>
                                    <span class="size">{ zegel_core::format::size(texts.language, f.size) }</span>
                                    <span class="badge downloads">{ count }</span>
                                    if f.blocked {
                                        <span class="badge blocked">{ log.blocked }</span>
                                    }
                                    if !f.downloads.is_empty() {
                                        <ul class="download-list">
                                            { for f.downloads.iter().map(|d| html! {
                                                <li>{ d.recipient.clone() }{" · "}{ when(&d.at, texts.language) }</li>
                                            }) }
                                        </ul>
                                    }
                                </div>
                                if !destroyed {
                                    { menu(h, log, &format!("file-{i}"), &name, f.blocked,
                                        BlockTarget::File { file_id: f.id.clone() }) }
                                }
                            </li>
                        }
                    }) }
                </ul>
            </section>
            <div class="actions">
                <button type="button" id="refresh" onclick={refresh(h)}>{ log.refresh }</button>
            </div>
        </div>
    }
}

/// "Gesprek": the message and its replies, oldest first, each with who wrote it, when, its text and
/// its files' names.
fn conversation(turns: &[Turn], texts: &'static Texts) -> Html {
    let log = texts.log;
    html! {
        <section class="status-section" aria-labelledby="conversation-heading">
            <div class="section-head">
                <h2 id="conversation-heading">{ log.conversation }</h2>
            </div>
            <ol class="status-list conversation" id="conversation">
                { for turns.iter().map(|turn| html! {
                    <li data-turn={turn.id.clone()}>
                        <div class="what">
                            <span class="name">{ turn.from.clone() }</span>
                            <span class="badge">{ when(&turn.at, texts.language) }</span>
                            if let Some(text) = &turn.text {
                                <p class="turn-text">{ text.clone() }</p>
                            }
                            if !turn.files.is_empty() {
                                <p class="hint">{ log.turn_files }{" "}{
                                    turn.files.iter()
                                        .map(|f| format!("{} ({})", f.name, zegel_core::format::size(texts.language, f.size)))
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                }</p>
                            }
                        </div>
                    </li>
                }) }
            </ol>
            <p class="hint" id="answer-hint">{ log.answer_hint }</p>
        </section>
    }
}

/// The "more" menu of one recipient or file: block or unblock. `key` names its elements (`<key>-menu`,
/// `<key>-list`, `block-<key>` / `unblock-<key>`); Escape closes it and returns the focus.
fn menu(
    h: &Handles,
    log: &LogTexts,
    key: &str,
    label: &str,
    blocked: bool,
    target: BlockTarget,
) -> Html {
    let open = h.menu.as_deref() == Some(key);
    let toggle = {
        let (menu, key) = (h.menu.clone(), key.to_owned());
        move |_: MouseEvent| menu.set((!open).then(|| key.clone()))
    };
    let onkeydown = {
        let (menu, key) = (h.menu.clone(), key.to_owned());
        move |event: KeyboardEvent| {
            if event.key() == "Escape" {
                event.prevent_default();
                menu.set(None);
                focus(&format!("#{key}-menu"));
            }
        }
    };
    let (item_id, item_label) = if blocked {
        (format!("unblock-{key}"), log.unblock)
    } else {
        (format!("block-{key}"), log.block)
    };
    html! {
        <div class="menu-wrap">
            <button type="button" class="icon" id={format!("{key}-menu")} aria-haspopup="menu"
                aria-expanded={open.to_string()} aria-controls={format!("{key}-list")}
                aria-label={LogTexts::fill(log.actions_for, label)} onclick={toggle}>{ icon(Icon::More) }</button>
            if open {
                <ul class="menu" role="menu" id={format!("{key}-list")} {onkeydown}>
                    <li role="none">
                        <button type="button" role="menuitem" id={item_id} disabled={*h.busy}
                            onclick={act(h, target, !blocked)}>{ item_label }</button>
                    </li>
                </ul>
            }
        </div>
    }
}

/// An RFC 3339 time in the browser's time zone, written as the mails and the portal write it (as it came
/// when the browser cannot read it).
fn when(at: &str, language: zegel_core::Language) -> String {
    use zegel_core::format;
    let date = js_sys::Date::new(&JsValue::from_str(at));
    if date.get_time().is_nan() {
        return at.to_owned();
    }
    let day = format::date(
        language,
        date.get_full_year() as i32,
        (date.get_month() + 1) as u8,
        date.get_date() as u8,
    );
    let time = format::time(date.get_hours() as u8, date.get_minutes() as u8);
    format::date_time(language, &day, &time)
}

/// Focuses the first element matching `selector`, if any.
fn focus(selector: &str) {
    let element = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.query_selector(selector).ok().flatten())
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
    if let Some(element) = element {
        let _ = element.focus();
    }
}
