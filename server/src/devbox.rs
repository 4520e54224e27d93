//! The built-in dev mailbox at `/dev/mailbox` (HTML) and `/dev/mailbox.json`, and the SMS box at
//! `/dev/sms` and `/dev/sms.json`: what Zegel would have sent, for development and demos. Each exists
//! only with its dev transport (`ZEGEL_MAIL=dev`, `ZEGEL_SMS=dev`).

use askama::Template;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

use crate::state::AppState;
use zegel_mail::DevMail;

/// The dev routes: the mailbox with the dev mail transport, the SMS box with the dev SMS transport.
pub fn router(mail: bool, sms: bool) -> axum::Router<AppState> {
    let mut router = axum::Router::new();
    if mail {
        router = router
            .route("/dev/mailbox", get(page))
            .route("/dev/mailbox.json", get(json))
            .route("/dev/mailbox/{index}", get(html_part));
    }
    if sms {
        router = router
            .route("/dev/sms", get(sms_page))
            .route("/dev/sms.json", get(sms_json));
    }
    router
}

async fn sms_json(State(state): State<AppState>) -> Json<Vec<zegel_mail::sms::DevSms>> {
    Json(state.sms.dev_box().map(|b| b.all()).unwrap_or_default())
}

#[derive(Template)]
#[template(
    source = r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Dev SMS · Zegel</title>
<link rel="stylesheet" href="/static/portal.css"></head><body>
<header class="bar"><span class="brand">Zegel</span><span class="badge">Dev SMS — nothing here left this machine</span></header>
<main class="card"><h1>Dev SMS</h1>
{% if messages.is_empty() %}<p class="lead">No SMS yet.</p>{% endif %}
<ul class="files">{% for sms in messages %}<li><span>{{ sms.to }}</span><span>{{ sms.body }}</span><span class="size">{{ sms.at }}</span></li>
{% endfor %}</ul></main></body></html>"#,
    ext = "html"
)]
struct SmsPage {
    messages: Vec<zegel_mail::sms::DevSms>,
}

async fn sms_page(State(state): State<AppState>) -> Response {
    let mut messages = state.sms.dev_box().map(|b| b.all()).unwrap_or_default();
    messages.reverse();
    match (SmsPage { messages }).render() {
        Ok(html) => Html(html).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

fn mails(state: &AppState) -> Vec<DevMail> {
    state
        .mailer
        .dev_mailbox()
        .map(|m| m.all())
        .unwrap_or_default()
}

async fn json(State(state): State<AppState>) -> Json<Vec<DevMail>> {
    Json(mails(&state))
}

struct Line {
    index: usize,
    to: String,
    subject: String,
    at: String,
    text_html: String,
    has_html: bool,
}

#[derive(Template)]
#[template(
    source = r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Dev mailbox · Zegel</title>
<link rel="stylesheet" href="/static/portal.css"></head><body>
<header class="bar"><span class="brand">Zegel</span><span class="badge">Dev mailbox — nothing here left this machine</span></header>
<main class="card"><h1>Dev mailbox</h1>
{% if lines.is_empty() %}<p class="lead">No mail yet.</p>{% endif %}
{% for line in lines %}<section class="mail"><h2>{{ line.subject }}</h2>
<p class="meta">To {{ line.to }} · {{ line.at }}{% if line.has_html %} · <a href="/dev/mailbox/{{ line.index }}">HTML version</a>{% endif %}</p>
<div class="body plain">{{ line.text_html|safe }}</div></section>
{% endfor %}</main></body></html>"#,
    ext = "html"
)]
struct MailboxPage {
    lines: Vec<Line>,
}

/// Escapes text for HTML and turns http(s) URLs into links, so the dev can click through a flow.
fn linkify(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    for (i, word) in text.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let escaped = askama::filters::escape(word, askama::filters::Html)
            .map(|e| e.to_string())
            .unwrap_or_default();
        if word.starts_with("http://") || word.starts_with("https://") {
            out.push_str(&format!("<a href=\"{escaped}\">{escaped}</a>"));
        } else {
            out.push_str(&escaped);
        }
    }
    out
}

async fn page(State(state): State<AppState>) -> Response {
    let lines = mails(&state)
        .into_iter()
        .enumerate()
        .rev()
        .map(|(index, mail)| Line {
            index,
            to: mail.to,
            subject: mail.subject,
            at: mail.at,
            text_html: mail
                .text
                .lines()
                .map(linkify)
                .collect::<Vec<_>>()
                .join("\n"),
            has_html: mail.html.is_some(),
        })
        .collect();
    match (MailboxPage { lines }).render() {
        Ok(html) => Html(html).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

async fn html_part(State(state): State<AppState>, Path(index): Path<usize>) -> Response {
    match mails(&state).into_iter().nth(index).and_then(|m| m.html) {
        // Shown sandboxed: the mail's HTML is ours, but it is still a document of its own.
        Some(html) => (
            [(
                header::CONTENT_SECURITY_POLICY,
                "sandbox; default-src 'none'; style-src 'unsafe-inline'",
            )],
            Html(html),
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
