//! The sender's page for a held two-factor message: enter the missing mobile numbers (reached through
//! the single-use link in the "enter the phone numbers" e-mail; no other login needed).
//!
//! The page says why the message is held (what the content filter found, in words), offers a country
//! per row (the tenant's `sms_default_country` first), lets the sender remove a recipient from the
//! message, and says how many recipients already have a number ("also sent to N"). No JavaScript: the
//! remove buttons are submit buttons of the same form, so numbers typed in other rows survive a removal.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use zegel_core::policy::Shown;

use crate::portal::{page_language, render_branded};
use crate::state::AppState;
use zegel_mail::held::{COUNTRIES, HeldTexts};
use zegel_mail::i18n::{Texts, fill, texts};
use zegel_service::ServiceError;
use zegel_service::delivery::{SuppliedPhone, remove_held_recipient, supply_phones};
use zegel_service::phones::PhoneError;
use zegel_store::{delivery as store, phones as phone_store};

/// One choice in a row's country list.
struct CountryOption {
    code: String,
    label: String,
    selected: bool,
}

struct Row {
    email: String,
    value: String,
    countries: Vec<CountryOption>,
    valid: bool,
    problem: Option<String>,
    remove_label: String,
}

impl Row {
    /// A row with `country` chosen; the tenant's default country is offered even when the usual list
    /// lacks it.
    fn new(h: &HeldTexts, email: String, value: String, country: &str, default: &str) -> Self {
        let mut codes: Vec<(String, String)> = COUNTRIES
            .iter()
            .map(|(code, calling)| ((*code).to_owned(), format!("{code} {calling}")))
            .collect();
        let default = default.trim().to_ascii_uppercase();
        if !default.is_empty() && !codes.iter().any(|(c, _)| *c == default) {
            codes.insert(0, (default.clone(), default));
        }
        let chosen = country.trim().to_ascii_uppercase();
        Row {
            remove_label: fill(h.remove_label, &[("email", &email)]),
            email,
            value,
            countries: codes
                .into_iter()
                .map(|(code, label)| CountryOption {
                    selected: code == chosen,
                    code,
                    label,
                })
                .collect(),
            valid: false,
            problem: None,
        }
    }

    /// The chosen country, if it is one of those offered.
    fn country(&self) -> Option<&str> {
        self.countries
            .iter()
            .find(|c| c.selected)
            .map(|c| c.code.as_str())
    }
}

#[derive(Template)]
#[template(path = "phones.html")]
struct PhonesPage<'a> {
    t: &'static Texts,
    h: &'static HeldTexts,
    brand: crate::portal::Brand,
    title: &'a str,
    intro: String,
    notice: Option<String>,
    error: Option<String>,
    rows: Vec<Row>,
    also_sent: String,
    token: &'a str,
    done: bool,
}

/// A held message as its page needs it.
struct Held {
    tenant_id: String,
    message_id: String,
    sender: String,
    /// The subject to show: neutral when it is hidden.
    subject: String,
    found: Vec<Shown>,
    /// Recipients without a number, by address.
    missing: Vec<String>,
    /// Recipients with a number.
    others: usize,
    default_country: String,
}

/// A live link's held message.
async fn load(state: &AppState, token: &str, t: &Texts) -> Option<Held> {
    if token.len() != 43 {
        return None;
    }
    let message_id =
        phone_store::request_message(&state.db, &zegel_crypto::hash_token(token), state.now_ms())
            .await
            .ok()??;
    let tenant_id = store::tenant_of(&state.db, &message_id).await.ok()??;
    let message = store::held_message(&state.db, &tenant_id, &message_id)
        .await
        .ok()??;
    if message.status != zegel_store::MessageStatus::Held {
        return None;
    }
    let settings = zegel_service::settings::effective(state, &tenant_id)
        .await
        .ok()?;
    let content = zegel_vault::sealing::open_content(
        &state.keys,
        &tenant_id,
        &message_id,
        &message.sealed_content,
    )
    .ok()?;
    // A hidden subject stays hidden here too: the link may be opened on any device.
    let subject = if content.subject_hidden || settings.hide_subject || content.subject.is_empty() {
        t.neutral_subject.to_owned()
    } else {
        content.subject
    };
    let recipients = store::recipients(&state.db, &message_id).await.ok()?;
    let missing: Vec<String> = recipients
        .iter()
        .filter(|r| !r.has_phone)
        .map(|r| r.email.clone())
        .collect();
    Some(Held {
        tenant_id,
        message_id,
        sender: message.sender_email,
        subject,
        found: content.found,
        others: recipients.len() - missing.len(),
        missing,
        default_country: settings.sms_default_country,
    })
}

/// Renders the form for `held` with `rows`.
#[allow(clippy::too_many_arguments)]
fn form_page(
    state_brand: crate::portal::Brand,
    held: &Held,
    language: zegel_core::Language,
    token: &str,
    rows: Vec<Row>,
    notice: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let t = texts(language);
    let h = zegel_mail::held::texts(language);
    let found = zegel_mail::held::describe(h, &held.found);
    let intro = if found.is_empty() {
        fill(h.page_intro, &[("subject", &held.subject)])
    } else {
        fill(
            h.page_intro_found,
            &[("subject", &held.subject), ("found", &found)],
        )
    };
    let csp = state_brand.csp();
    render_branded(
        PhonesPage {
            t,
            h,
            brand: state_brand,
            title: h.request_subject,
            intro,
            notice,
            error,
            rows,
            also_sent: if held.others == 0 {
                String::new()
            } else {
                fill(h.also_sent_to, &[("n", &held.others.to_string())])
            },
            token,
            done: false,
        },
        status,
        csp,
    )
}

/// The rows of a held message before anything was typed.
fn fresh_rows(h: &HeldTexts, held: &Held) -> Vec<Row> {
    held.missing
        .iter()
        .map(|email| {
            Row::new(
                h,
                email.clone(),
                String::new(),
                &held.default_country,
                &held.default_country,
            )
        })
        .collect()
}

/// `GET /phones/<token>`: the form (no side effects).
pub async fn show(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Response {
    let language = page_language(None, &headers);
    let t = texts(language);
    let Some(held) = load(&state, &token, t).await else {
        return crate::portal::not_available(t);
    };
    let rows = fresh_rows(zegel_mail::held::texts(language), &held);
    let brand = crate::portal::Brand::of(&state, &held.tenant_id).await;
    form_page(
        brand,
        &held,
        language,
        &token,
        rows,
        None,
        None,
        StatusCode::OK,
    )
}

/// The problem with a number, in the page's language.
fn phone_problem(h: &HeldTexts, error: &PhoneError) -> String {
    let (template, number) = match error {
        PhoneError::Unparsable(n) => (h.not_a_number, n),
        PhoneError::Invalid(n) => (h.invalid_number, n),
        PhoneError::NotMobile(n) => (h.not_mobile, n),
    };
    fill(template, &[("number", number)])
}

/// `POST /phones/<token>`: removes a recipient (the `remove` button of a row), or checks each number
/// and releases the message when all are valid.
pub async fn submit(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let language = page_language(None, &headers);
    let t = texts(language);
    let h = zegel_mail::held::texts(language);
    let Some(held) = load(&state, &token, t).await else {
        return crate::portal::not_available(t);
    };
    let brand = crate::portal::Brand::of(&state, &held.tenant_id).await;
    let actor = format!("sender:{}", held.sender);
    // The rows as posted, for the recipients still missing a number (anything else is ignored).
    let mut rows = Vec::new();
    for i in 0..100 {
        let Some(email) = form.get(&format!("email_{i}")) else {
            break;
        };
        let value = form.get(&format!("phone_{i}")).cloned().unwrap_or_default();
        let chosen = form
            .get(&format!("country_{i}"))
            .map_or(held.default_country.as_str(), String::as_str);
        let mut row = Row::new(h, email.clone(), value, chosen, &held.default_country);
        if row.country().is_none() {
            row.problem = Some(h.bad_country.to_owned());
        }
        rows.push(row);
    }

    if let Some(index) = form.get("remove") {
        let Some(email) = index
            .parse::<usize>()
            .ok()
            .and_then(|i| rows.get(i))
            .map(|r| r.email.clone())
        else {
            return form_page(
                brand,
                &held,
                language,
                &token,
                fresh_rows(h, &held),
                None,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            );
        };
        return remove(&state, held, brand, language, &token, rows, &email, &actor).await;
    }

    // Check every number first so each row gets its tick or its problem.
    for row in &mut rows {
        if row.problem.is_some() {
            continue;
        }
        if row.value.trim().is_empty() {
            row.problem = Some(h.still_missing.to_owned());
            continue;
        }
        let country = row.country().unwrap_or_default().to_owned();
        match zegel_service::phones::normalize(&row.value, &country) {
            Ok(_) => row.valid = true,
            Err(error) => row.problem = Some(phone_problem(h, &error)),
        }
    }
    if rows.is_empty() || rows.iter().any(|r| !r.valid) {
        return form_page(
            brand,
            &held,
            language,
            &token,
            rows,
            None,
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    let numbers: Vec<SuppliedPhone> = rows
        .iter()
        .map(|r| SuppliedPhone {
            email: r.email.clone(),
            number: r.value.clone(),
            country: r.country().map(str::to_owned),
        })
        .collect();
    match supply_phones(&state, &held.tenant_id, &held.message_id, &numbers, &actor).await {
        Ok(outcome) if outcome.released => done(brand, language, &token),
        Ok(_) => {
            // Someone was added or a number vanished in between: show the form as it is now.
            let Some(held) = load(&state, &token, t).await else {
                return crate::portal::not_available(t);
            };
            let rows = fresh_rows(h, &held);
            form_page(
                brand,
                &held,
                language,
                &token,
                rows,
                None,
                Some(h.still_missing.to_owned()),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Err(ServiceError::Invalid { .. } | ServiceError::Conflict(_) | ServiceError::NotFound) => {
            crate::portal::not_available(t)
        }
        Err(error) => {
            tracing::error!(%error, "releasing a held message failed");
            crate::portal::not_available(t)
        }
    }
}

/// The page after the message went out.
fn done(brand: crate::portal::Brand, language: zegel_core::Language, token: &str) -> Response {
    let t = texts(language);
    let h = zegel_mail::held::texts(language);
    let csp = brand.csp();
    render_branded(
        PhonesPage {
            t,
            h,
            brand,
            title: h.done_title,
            intro: String::new(),
            notice: None,
            error: None,
            rows: Vec::new(),
            also_sent: String::new(),
            token,
            done: true,
        },
        StatusCode::OK,
        csp,
    )
}

/// Removes `email` from the held message, then shows the form again with the numbers typed in the
/// other rows, or releases the message when nobody is missing a number any more.
#[allow(clippy::too_many_arguments)]
async fn remove(
    state: &AppState,
    held: Held,
    brand: crate::portal::Brand,
    language: zegel_core::Language,
    token: &str,
    rows: Vec<Row>,
    email: &str,
    actor: &str,
) -> Response {
    let t = texts(language);
    let h = zegel_mail::held::texts(language);
    match remove_held_recipient(state, &held.tenant_id, &held.message_id, email, actor).await {
        Ok(()) => {}
        Err(ServiceError::Invalid { .. }) => {
            return form_page(
                brand,
                &held,
                language,
                token,
                rows,
                None,
                Some(h.last_recipient.to_owned()),
                StatusCode::UNPROCESSABLE_ENTITY,
            );
        }
        Err(ServiceError::Conflict(_) | ServiceError::NotFound) => {
            return crate::portal::not_available(t);
        }
        Err(error) => {
            tracing::error!(%error, "removing a recipient failed");
            return crate::portal::not_available(t);
        }
    }
    let Some(after) = load(state, token, t).await else {
        return crate::portal::not_available(t);
    };
    if after.missing.is_empty() {
        // Everyone left has a number: the message goes out now.
        return match supply_phones(state, &after.tenant_id, &after.message_id, &[], actor).await {
            Ok(outcome) if outcome.released => done(brand, language, token),
            Ok(_) => crate::portal::not_available(t),
            Err(error) => {
                tracing::error!(%error, "releasing a held message failed");
                crate::portal::not_available(t)
            }
        };
    }
    // Keep what was typed in the rows that remain; problems are shown again only on sending.
    let mut rows: Vec<Row> = rows
        .into_iter()
        .filter(|r| {
            after
                .missing
                .iter()
                .any(|m| m.eq_ignore_ascii_case(&r.email))
        })
        .map(|mut r| {
            r.problem = None;
            r
        })
        .collect();
    for email in &after.missing {
        if !rows.iter().any(|r| r.email.eq_ignore_ascii_case(email)) {
            rows.push(Row::new(
                h,
                email.clone(),
                String::new(),
                &after.default_country,
                &after.default_country,
            ));
        }
    }
    form_page(
        brand,
        &after,
        language,
        token,
        rows,
        Some(fill(h.removed, &[("email", email)])),
        None,
        StatusCode::OK,
    )
}
