//! "Beantwoorden" and "Gesprek" on the message page (seeds 000/002): the form that answers the message
//! (text works without JavaScript; files go with the shared uploader), and the conversation in order.

use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use zegel_core::Language;
use zegel_core::settings::FormOfAddress;
use zegel_service::ServiceError;
use zegel_service::replies;
use zegel_store::messages::Access;

use super::{Brand, error_page, language_of, look_of_recipient, size_text};
use crate::client::Client;
use crate::state::AppState;

/// The words of replying, per language.
#[allow(missing_docs)]
pub struct ReplyTexts {
    pub reply_heading: &'static str,
    pub conversation_heading: &'static str,
    pub reply_label: &'static str,
    pub to_all: &'static str,
    pub send: &'static str,
    pub sent: &'static str,
    pub empty: &'static str,
    pub cap: &'static str,
    pub switched_off: &'static str,
}

const NL: ReplyTexts = ReplyTexts {
    reply_heading: "Beantwoorden",
    conversation_heading: "Gesprek",
    reply_label: "Uw antwoord",
    to_all: "Ook aan de andere ontvangers",
    send: "Antwoord versturen",
    sent: "Uw antwoord is beveiligd verzonden.",
    empty: "Schrijf een antwoord of voeg een bestand toe.",
    cap: "Dit gesprek heeft het grootste aantal antwoorden bereikt.",
    switched_off: "Beantwoorden staat uit voor deze organisatie.",
};

const NL_JE: ReplyTexts = ReplyTexts {
    reply_label: "Je antwoord",
    sent: "Je antwoord is beveiligd verzonden.",
    ..NL
};

const EN: ReplyTexts = ReplyTexts {
    reply_heading: "Reply",
    conversation_heading: "Conversation",
    reply_label: "Your reply",
    to_all: "Also to the other recipients",
    send: "Send reply",
    sent: "Your reply was sent securely.",
    empty: "Write a reply or add a file.",
    cap: "This conversation has reached its largest number of replies.",
    switched_off: "Replies are switched off for this organisation.",
};

const SV: ReplyTexts = ReplyTexts {
    reply_heading: "Svara",
    conversation_heading: "Konversation",
    reply_label: "Ditt svar",
    to_all: "Även till de andra mottagarna",
    send: "Skicka svaret",
    sent: "Ditt svar har skickats säkert.",
    empty: "Skriv ett svar eller lägg till en fil.",
    cap: "Konversationen har nått det högsta antalet svar.",
    switched_off: "Svar är avstängda för den här organisationen.",
};

/// Replying's words in `language`, Dutch in `form`.
pub fn reply_texts(language: Language, form: FormOfAddress) -> &'static ReplyTexts {
    match (language, form) {
        (Language::Nl, FormOfAddress::Je) => &NL_JE,
        (Language::Nl, _) => &NL,
        (Language::En, _) => &EN,
        (Language::Sv, _) => &SV,
    }
}

/// A turn of the conversation as the page shows it.
pub struct TurnLine {
    /// Who wrote it.
    pub from: String,
    /// When, in the page's language.
    pub when: String,
    /// Its text.
    pub text: Option<String>,
    /// Its files: names and sizes, worded.
    pub files: Vec<String>,
    /// This is the message on the page.
    pub current: bool,
}

/// What the message page shows of replying.
pub struct ReplyBlock {
    /// The words.
    pub r: &'static ReplyTexts,
    /// Whether the form is offered (replies on, room left).
    pub offered: bool,
    /// Whether "also to the other recipients" is offered.
    pub to_all: bool,
    /// The conversation, when it has more than this message.
    pub turns: Vec<TurnLine>,
}

/// The reply form and the conversation for the recipient of `access`.
pub async fn block(
    state: &AppState,
    access: &Access,
    language: Language,
    form: FormOfAddress,
) -> ReplyBlock {
    let r = reply_texts(language, form);
    let offered = replies::can_reply(state, access).await.unwrap_or(false);
    let to_all = offered
        && zegel_service::settings::effective(state, &access.tenant_id)
            .await
            .is_ok_and(|s| s.replies.to_all)
        && zegel_store::tracking::recipients(&state.db, &access.message_id)
            .await
            .is_ok_and(|all| all.iter().filter(|r| r.kind != "bcc").count() > 1);
    let turns = replies::conversation(state, &access.message_id, Some(&access.email))
        .await
        .unwrap_or_default();
    let turns = if turns.len() > 1 {
        turns
            .into_iter()
            .map(|turn| {
                let when = turn
                    .at
                    .parse::<jiff::Timestamp>()
                    .ok()
                    .map(|at| {
                        let (date, time) = zegel_mail::i18n::date_and_time(
                            at.as_millisecond(),
                            &state.config.timezone,
                            language,
                        );
                        zegel_core::format::date_time(language, &date, &time)
                    })
                    .unwrap_or_default();
                TurnLine {
                    current: turn.id == access.message_id,
                    from: turn.from,
                    when,
                    text: turn.text,
                    files: turn
                        .files
                        .into_iter()
                        .map(|f| {
                            format!(
                                "{} ({})",
                                f.name,
                                size_text(language, i64::try_from(f.size).unwrap_or(i64::MAX))
                            )
                        })
                        .collect(),
                }
            })
            .collect()
    } else {
        Vec::new()
    };
    ReplyBlock {
        r,
        offered,
        to_all,
        turns,
    }
}

#[derive(Deserialize)]
pub(super) struct ReplyForm {
    #[serde(default)]
    text: String,
    #[serde(default)]
    uploads: String,
    #[serde(default)]
    to_all: Option<String>,
}

/// `POST /r/<recipient-id>/reply`: sends the reply, then shows the message page again with a notice.
pub(super) async fn submit(
    State(state): State<AppState>,
    Path(recipient_id): Path<String>,
    Client(client): Client,
    headers: HeaderMap,
    Form(form): Form<ReplyForm>,
) -> Response {
    let access = match crate::recipient::session_access(&state, &headers, &recipient_id).await {
        Ok(access) => access,
        Err(error) => {
            let (brand, language) = look_of_recipient(&state, &recipient_id, &headers).await;
            return error_page(&error, language, brand);
        }
    };
    let uploads = super::upload::upload_ids(&form.uploads);
    let outcome = replies::reply(
        &state,
        &access,
        &form.text,
        &uploads,
        form.to_all.is_some(),
        state.config.max_upload_bytes,
        &client,
    )
    .await;
    let language = language_of(&access);
    let brand = Brand::of(&state, &access.tenant_id).await;
    let r = reply_texts(language, brand.form);
    let (error, status) = match outcome {
        // Back to the message, where the conversation now shows the reply.
        Ok(_) => return Redirect::to(&format!("/r/{recipient_id}?replied=1")).into_response(),
        Err(ServiceError::Internal(cause)) => {
            return crate::error::AppError::Internal(cause).into_response();
        }
        Err(ServiceError::Forbidden(_)) => (r.switched_off.to_owned(), StatusCode::FORBIDDEN),
        Err(ServiceError::Conflict(_)) => (r.cap.to_owned(), StatusCode::CONFLICT),
        Err(ServiceError::Invalid { field, .. }) if field == "text" => {
            (r.empty.to_owned(), StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(_) => {
            let u = super::upload::upload_texts(language, brand.form);
            (u.upload_failed.to_owned(), StatusCode::UNPROCESSABLE_ENTITY)
        }
    };
    super::message_page_with(&state, &access, false, Some(error), status).await
}
