//! Why an operation failed, in the rules' words; each adapter maps it to its protocol (the HTTP API to a
//! status and `{"error": {"code", "message"}}`, the SMTP gateway to a reply code).

/// Why an operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The request is malformed.
    #[error("{message}")]
    BadRequest {
        /// A stable machine-readable code.
        code: &'static str,
        /// What is wrong.
        message: String,
    },
    /// A field has a value the rules refuse.
    #[error("{field}: {message}")]
    Invalid {
        /// The field, e.g. `recipients[0].email`.
        field: String,
        /// What is wrong.
        message: String,
        /// Extra hints (password strength feedback).
        feedback: Vec<String>,
    },
    /// No valid credentials.
    #[error("authentication required")]
    Unauthorized,
    /// Valid credentials without the permission.
    #[error("{0}")]
    Forbidden(String),
    /// Nothing there, or nothing this caller may know about.
    #[error("not found")]
    NotFound,
    /// The action conflicts with the current state.
    #[error("{0}")]
    Conflict(String),
    /// The caller's copy is out of date (a settings version that changed meanwhile).
    #[error("{message}")]
    Stale {
        /// A stable machine-readable code.
        code: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The malware scanner found something in this file (named as its uploader named it).
    #[error("the virus scanner found malicious software in {file}: take it out and send again")]
    Infected {
        /// The file's name.
        file: String,
    },
    /// Larger than allowed.
    #[error("{0}")]
    TooLarge(String),
    /// Throttled.
    #[error("{0}")]
    TooManyRequests(String),
    /// Throttled, saying when to come back.
    #[error("{message}")]
    RetryLater {
        /// A stable machine-readable code.
        code: &'static str,
        /// What is wrong.
        message: String,
        /// Seconds until a new try can succeed.
        retry_after_secs: u64,
    },
    /// The message is less protected than the tenant's content policy forces.
    #[error("{}", policy_message(.0))]
    Policy(zegel_core::policy::Requirement),
    /// Anything else; the cause is logged by the adapter, never shown.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ServiceError {
    /// A malformed request with a code and message.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::BadRequest {
            code,
            message: message.into(),
        }
    }

    /// A refused value, naming the field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            message: message.into(),
            feedback: Vec::new(),
        }
    }

    /// Wraps an unexpected failure.
    pub fn internal(error: impl Into<anyhow::Error>) -> Self {
        Self::Internal(error.into())
    }
}

/// The English sentence of a `policy` error: what was found (kinds only, never the values) and what
/// protection the message needs.
pub fn policy_message(required: &zegel_core::policy::Requirement) -> String {
    let mut kinds: Vec<&str> = Vec::new();
    for found in &required.found {
        if !kinds.contains(&found.kind.as_str()) {
            kinds.push(found.kind.as_str());
        }
    }
    let kind = match required.kind {
        zegel_core::MessageKind::SecureFiles => "secure files",
        _ => "a secure message",
    };
    format!(
        "the organisation's content policy requires at least {kind} with {} for this message (found: {})",
        required.level.as_str().to_uppercase(),
        kinds.join(", ")
    )
}

impl From<sqlx::Error> for ServiceError {
    fn from(error: sqlx::Error) -> Self {
        Self::internal(error)
    }
}

impl From<std::io::Error> for ServiceError {
    fn from(error: std::io::Error) -> Self {
        Self::internal(error)
    }
}

impl From<zegel_core::message::RequestError> for ServiceError {
    fn from(error: zegel_core::message::RequestError) -> Self {
        Self::Invalid {
            field: error.field,
            message: error.message,
            feedback: error.feedback,
        }
    }
}
