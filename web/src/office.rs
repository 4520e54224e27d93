//! Outlook, as the pane sees it: typed wrappers around `js/office.js`, the one module that touches
//! Office.js. Nothing else in the pane knows Office.js exists.

use serde::Deserialize;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/js/office.js")]
extern "C" {
    #[wasm_bindgen(catch, js_name = ready)]
    async fn js_ready() -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = readItem)]
    async fn js_read_item() -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = readHeaders)]
    async fn js_read_headers() -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = attachmentBlob)]
    async fn js_attachment_blob(id: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = sealDraft)]
    async fn js_seal_draft(
        body_html: &str,
        ids: Vec<String>,
        name: &str,
        value: &str,
        subject: &str,
    ) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = sendItem)]
    async fn js_send_item() -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = sessionValue)]
    async fn js_session_value(key: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = sessionSet)]
    async fn js_session_set(key: &str, value: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = sessionTake)]
    async fn js_session_take(key: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = roamingGet)]
    fn js_roaming_get(key: &str) -> Result<String, JsValue>;
    #[wasm_bindgen(catch, js_name = roamingSet)]
    async fn js_roaming_set(key: &str, value: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = ssoToken)]
    async fn js_sso_token(interactive: bool) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = onItemChanged)]
    async fn js_on_item_changed(listener: &Closure<dyn FnMut()>) -> Result<JsValue, JsValue>;
}

/// The roaming-settings key of the development sender token.
pub const TOKEN_KEY: &str = "zegelToken";
/// The session-data key under which the on-send handler leaves its verdict for the pane.
pub const VERDICT_KEY: &str = "zegelVerdict";
/// The session-data key of the pane's state for the draft, read by the on-send handler.
pub const PANE_KEY: &str = "zegelPane";
/// The session-data key the on-send handler sets when it stopped a send because Zegel is on.
pub const SEND_PRESSED_KEY: &str = "zegelSendPressed";
/// The internet header that marks a draft Zegel sent as a message's notification.
pub const MESSAGE_HEADER: &str = "X-Zegel-Message";
/// The internet header that marks a draft Zegel sent as an upload request's notification. Not
/// [`MESSAGE_HEADER`]: an upload request's id names no message, and the SMTP gateway and the log & block
/// pane look that header's id up among messages.
pub const UPLOAD_REQUEST_HEADER: &str = "X-Zegel-Upload-Request";

/// What a sealed draft is the notification of, named in its internet header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Record<'a> {
    /// A message, by id.
    Message(&'a str),
    /// An upload request, by id.
    UploadRequest(&'a str),
}

impl<'a> Record<'a> {
    /// The header's name and value.
    pub fn header(self) -> (&'static str, &'a str) {
        match self {
            Record::Message(id) => (MESSAGE_HEADER, id),
            Record::UploadRequest(id) => (UPLOAD_REQUEST_HEADER, id),
        }
    }
}

/// What Office.js says about the host.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HostInfo {
    /// `Outlook` inside Outlook.
    pub host: String,
    /// Outlook's display language, e.g. `nl-NL`.
    pub display_language: String,
}

/// A recipient as Outlook lists it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Address {
    /// The e-mail address.
    pub email: String,
    /// The display name, possibly empty.
    pub name: String,
}

/// An attachment of the draft.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Attachment {
    /// Outlook's id.
    pub id: String,
    /// The file name.
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// Whether it is an inline image of the body.
    pub inline: bool,
    /// Whether it is a file (not an attached item or a cloud link).
    pub file: bool,
}

/// The draft as the pane reads it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Item {
    /// Subject line.
    pub subject: String,
    /// Body as plain text.
    pub body_text: String,
    /// Body as HTML.
    pub body_html: String,
    /// To recipients.
    pub to: Vec<Address>,
    /// Cc recipients.
    pub cc: Vec<Address>,
    /// Bcc recipients.
    pub bcc: Vec<Address>,
    /// Attachments.
    pub attachments: Vec<Attachment>,
}

/// Outlook refused or failed; the message is Office's own (English) text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficeError(pub String);

fn error(value: JsValue) -> OfficeError {
    let message = js_sys::Reflect::get(&value, &JsValue::from_str("message"))
        .ok()
        .and_then(|m| m.as_string())
        .or_else(|| value.as_string())
        .unwrap_or_else(|| "Outlook reported an error".to_owned());
    OfficeError(message)
}

fn parse<T: for<'de> Deserialize<'de>>(value: JsValue) -> Result<T, OfficeError> {
    let text = js_sys::JSON::stringify(&value).map_err(error)?;
    serde_json::from_str(&String::from(text)).map_err(|e| OfficeError(e.to_string()))
}

/// Waits until Office.js is ready.
pub async fn ready() -> Result<HostInfo, OfficeError> {
    parse(js_ready().await.map_err(error)?)
}

/// Reads the open draft.
pub async fn read_item() -> Result<Item, OfficeError> {
    parse(js_read_item().await.map_err(error)?)
}

/// The read item's raw internet headers (empty when Outlook has none to give).
pub async fn read_headers() -> Result<String, OfficeError> {
    Ok(js_read_headers()
        .await
        .map_err(error)?
        .as_string()
        .unwrap_or_default())
}

/// The Zegel message id in a raw header block: the first `X-Zegel-Message` field (name matched
/// case-insensitively, folded continuation lines unfolded), trimmed; `None` when absent or empty.
pub fn zegel_message_id(headers: &str) -> Option<String> {
    let mut lines = headers
        .split('\n')
        .map(|l| l.trim_end_matches('\r'))
        .peekable();
    while let Some(line) = lines.next() {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        if line.starts_with([' ', '\t']) || !name.trim().eq_ignore_ascii_case(MESSAGE_HEADER) {
            continue;
        }
        let mut value = value.trim().to_owned();
        while let Some(next) = lines.next_if(|l| l.starts_with([' ', '\t'])) {
            value.push_str(next.trim());
        }
        return (!value.is_empty()).then_some(value);
    }
    None
}

/// An attachment's content.
pub async fn attachment_blob(id: &str) -> Result<web_sys::Blob, OfficeError> {
    js_attachment_blob(id)
        .await
        .map_err(error)?
        .dyn_into()
        .map_err(|_| OfficeError("not a Blob".to_owned()))
}

/// Replaces the body (and the subject, unless `subject` is empty), removes the attachments and sets the
/// header naming what the draft is now the notification of.
pub async fn seal_draft(
    subject: &str,
    body_html: &str,
    attachment_ids: Vec<String>,
    record: Record<'_>,
) -> Result<(), OfficeError> {
    let (name, value) = record.header();
    js_seal_draft(body_html, attachment_ids, name, value, subject)
        .await
        .map_err(error)?;
    Ok(())
}

/// Sends the draft; `false` when this Outlook cannot send from an add-in and the sender must press Send.
pub async fn send_item() -> Result<bool, OfficeError> {
    Ok(js_send_item()
        .await
        .map_err(error)?
        .as_bool()
        .unwrap_or(false))
}

/// A session-data value, or an empty string.
pub async fn session_value(key: &str) -> String {
    js_session_value(key)
        .await
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default()
}

/// Stores a session-data value; `false` when this Outlook keeps no session data.
pub async fn session_set(key: &str, value: &str) -> Result<bool, OfficeError> {
    Ok(js_session_set(key, value)
        .await
        .map_err(error)?
        .as_bool()
        .unwrap_or(false))
}

/// Reads and removes a session-data value; an empty string when it is not there.
pub async fn session_take(key: &str) -> String {
    js_session_take(key)
        .await
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default()
}

/// A roaming setting, or an empty string.
pub fn roaming_get(key: &str) -> String {
    js_roaming_get(key).unwrap_or_default()
}

/// Stores a roaming setting (an empty value removes it).
pub async fn roaming_set(key: &str, value: &str) -> Result<(), OfficeError> {
    js_roaming_set(key, value).await.map_err(error)?;
    Ok(())
}

/// A bearer token for Zegel from Office single sign-on (Entra ID); `interactive` lets Office ask the
/// user to sign in or consent. Never stored: Office caches and renews it, so ask before each request.
pub async fn sso_token(interactive: bool) -> Result<String, OfficeError> {
    js_sso_token(interactive)
        .await
        .map_err(|value| {
            // Office's numeric code (13000: no single sign-on here, 13001: not signed in, ...) leads.
            let code = js_sys::Reflect::get(&value, &JsValue::from_str("code"))
                .ok()
                .and_then(|c| c.as_f64());
            let OfficeError(message) = error(value);
            OfficeError(match code {
                Some(code) => format!("{code}: {message}"),
                None => message,
            })
        })?
        .as_string()
        .filter(|token| !token.is_empty())
        .ok_or_else(|| OfficeError("Office returned no token".to_owned()))
}

/// Calls `listener` whenever recipients or attachments change, for as long as the pane lives.
pub async fn on_item_changed(listener: impl FnMut() + 'static) -> Result<(), OfficeError> {
    let closure = Closure::<dyn FnMut()>::new(listener);
    js_on_item_changed(&closure).await.map_err(error)?;
    // Outlook keeps calling it until the pane closes, which ends the wasm instance too.
    closure.forget();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::zegel_message_id;

    #[test]
    fn finds_the_zegel_header_in_a_raw_header_block() {
        let headers = "Received: from a\r\n\tby b\r\nSubject: x-zegel-message: no\r\nx-zegel-MESSAGE:  m-12\r\n 34\r\nTo: j@x\r\n";
        assert_eq!(zegel_message_id(headers).as_deref(), Some("m-1234"));
        assert_eq!(zegel_message_id("Subject: hi\nTo: j@x\n"), None);
        assert_eq!(zegel_message_id("X-Zegel-Message:   \r\n"), None);
        assert_eq!(zegel_message_id(""), None);
    }
}
