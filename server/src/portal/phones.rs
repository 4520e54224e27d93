//! The sender's page for a held two-factor message: enter the missing mobile numbers (reached through
//! the single-use link in the "enter the phone numbers" e-mail; no other login needed).

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use crate::db::{delivery as store, phones as phone_store};
use crate::delivery::supply_phones;
use crate::error::AppError;
use crate::i18n::{Texts, fill, texts};
use crate::portal::{page_language, render_branded};
use crate::state::AppState;

struct Row {
    email: String,
    value: String,
    valid: bool,
    problem: Option<String>,
}

#[derive(Template)]
#[template(path = "phones.html")]
struct PhonesPage<'a> {
    t: &'static Texts,
    brand: crate::portal::Brand,
    title: &'a str,
    intro: String,
    error: Option<String>,
    rows: Vec<Row>,
    token: &'a str,
    done: bool,
}

/// A live link's message: (tenant id, message id).
async fn resolve(state: &AppState, token: &str) -> Option<(String, String)> {
    if token.len() != 43 {
        return None;
    }
    let message_id =
        phone_store::request_message(&state.db, &zegel_crypto::hash_token(token), state.now_ms())
            .await
            .ok()??;
    let tenant_id = store::tenant_of(&state.db, &message_id).await.ok()??;
    Some((tenant_id, message_id))
}

async fn page(
    state: &AppState,
    token: &str,
    headers: &HeaderMap,
    rows: Option<Vec<Row>>,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let t = texts(page_language(None, headers));
    let Some((tenant_id, message_id)) = resolve(state, token).await else {
        return crate::portal::not_available(t);
    };
    let Ok(Some(message)) = store::held_message(&state.db, &tenant_id, &message_id).await else {
        return crate::portal::not_available(t);
    };
    let subject =
        crate::sealing::open_content(state, &tenant_id, &message_id, &message.sealed_content)
            .map(|c| c.subject)
            .unwrap_or_default();
    let rows = match rows {
        Some(rows) => rows,
        None => match store::recipients(&state.db, &message_id).await {
            Ok(recipients) => recipients
                .into_iter()
                .filter(|r| !r.has_phone)
                .map(|r| Row {
                    email: r.email,
                    value: String::new(),
                    valid: false,
                    problem: None,
                })
                .collect(),
            Err(_) => return crate::portal::not_available(t),
        },
    };
    let brand = crate::portal::Brand::of(state, &tenant_id).await;
    let csp = brand.csp();
    render_branded(
        PhonesPage {
            t,
            brand,
            title: t.phone_request_subject,
            intro: fill(
                t.phones_intro,
                &[(
                    "subject",
                    if subject.is_empty() {
                        t.neutral_subject
                    } else {
                        &subject
                    },
                )],
            ),
            error,
            rows,
            token,
            done: false,
        },
        status,
        csp,
    )
}

/// `GET /phones/<token>`: the form (no side effects).
pub async fn show(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Response {
    page(&state, &token, &headers, None, None, StatusCode::OK).await
}

/// `POST /phones/<token>`: checks each number; releases the message when all are valid.
pub async fn submit(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let t = texts(page_language(None, &headers));
    let Some((tenant_id, message_id)) = resolve(&state, &token).await else {
        return crate::portal::not_available(t);
    };
    let country = match crate::settings::sms_default_country(&state, &tenant_id).await {
        Ok(country) => country,
        Err(_) => return crate::portal::not_available(t),
    };
    // Check every number first so each row gets its tick or its problem.
    let mut rows = Vec::new();
    for i in 0..100 {
        let Some(email) = form.get(&format!("email_{i}")) else {
            break;
        };
        let value = form.get(&format!("phone_{i}")).cloned().unwrap_or_default();
        let checked = if value.trim().is_empty() {
            None
        } else {
            Some(crate::phones::normalize(&value, &country))
        };
        rows.push(Row {
            email: email.clone(),
            valid: matches!(checked, Some(Ok(_))),
            problem: match checked {
                Some(Err(e)) => Some(e.to_string()),
                None => Some(t.phones_still_missing.to_owned()),
                Some(Ok(_)) => None,
            },
            value,
        });
    }
    if rows.is_empty() || rows.iter().any(|r| !r.valid) {
        return page(
            &state,
            &token,
            &headers,
            Some(rows),
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let numbers: Vec<(String, String)> = rows
        .iter()
        .map(|r| (r.email.clone(), r.value.clone()))
        .collect();
    let sender = store::held_message(&state.db, &tenant_id, &message_id)
        .await
        .ok()
        .flatten()
        .map(|m| m.sender_email)
        .unwrap_or_default();
    let done_brand = crate::portal::Brand::of(&state, &tenant_id).await;
    let done_csp = done_brand.csp();
    match supply_phones(
        &state,
        &tenant_id,
        &message_id,
        &numbers,
        &format!("sender:{sender}"),
    )
    .await
    {
        Ok(outcome) if outcome.released => render_branded(
            PhonesPage {
                t,
                brand: done_brand,
                title: t.phones_done_title,
                intro: String::new(),
                error: None,
                rows: Vec::new(),
                token: &token,
                done: true,
            },
            StatusCode::OK,
            done_csp,
        ),
        Ok(_) => {
            page(
                &state,
                &token,
                &headers,
                None,
                Some(t.phones_still_missing.to_owned()),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(AppError::Invalid { message, .. }) => {
            page(
                &state,
                &token,
                &headers,
                Some(rows),
                Some(message),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(error) => {
            tracing::error!(%error, "releasing a held message failed");
            crate::portal::not_available(t)
        }
    }
}
