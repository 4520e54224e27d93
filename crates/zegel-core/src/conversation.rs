//! Replies and the conversation ("Beantwoorden" and "Gesprek"): the JSON both sides read.

use serde::{Deserialize, Serialize};

/// The body of `POST /api/v1/access/<token>/replies`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReplyRequest {
    /// The reply's text.
    #[serde(default)]
    pub text: String,
    /// Finished uploads (tus ids) made under the recipient's session.
    #[serde(default)]
    pub uploads: Vec<String>,
    /// Also to the message's other To and Cc recipients (where the organisation allows).
    #[serde(default)]
    pub to_all: bool,
}

/// The `201` answer of a reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Replied {
    /// The reply's id.
    pub id: String,
    /// Whom it went to.
    pub to: Vec<String>,
}

/// A file of a turn.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TurnFile {
    /// Its name.
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
}

/// One turn of a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Turn {
    /// The message's id.
    pub id: String,
    /// Who wrote it.
    pub from: String,
    /// When (RFC 3339).
    pub at: String,
    /// Its text (none once its content was destroyed).
    pub text: Option<String>,
    /// Its files' names and sizes.
    pub files: Vec<TurnFile>,
}

/// The answer of `GET .../conversation`: the turns in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Conversation {
    /// Oldest first.
    pub turns: Vec<Turn>,
}
