//! One error type for every HTTP handler (the services' [`zegel_service::ServiceError`] mapped to a status),
//! with a stable JSON shape:
//! `{"error": {"code": "...", "message": "..."}}`.
//!
//! Client errors say precisely what is wrong. Server errors say nothing beyond "internal error": the
//! cause is logged once, here, and never sent to the client.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use zegel_core::api::{ErrorBody, ErrorDetail};

/// An error a handler returns.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The request is malformed (400).
    #[error("{message}")]
    BadRequest {
        /// A stable machine-readable code.
        code: &'static str,
        /// What is wrong.
        message: String,
    },
    /// A field has a value the rules refuse (422).
    #[error("{field}: {message}")]
    Invalid {
        /// The field, e.g. `recipients[0].email`.
        field: String,
        /// What is wrong.
        message: String,
        /// Extra hints (password strength feedback).
        feedback: Vec<String>,
    },
    /// No valid credentials (401).
    #[error("authentication required")]
    Unauthorized,
    /// Valid credentials without the permission (403).
    #[error("{0}")]
    Forbidden(String),
    /// Nothing there, or nothing this caller may know about (404).
    #[error("not found")]
    NotFound,
    /// The action conflicts with the current state (409).
    #[error("{0}")]
    Conflict(String),
    /// The body is larger than allowed (413).
    #[error("{0}")]
    TooLarge(String),
    /// Throttled (429).
    #[error("{0}")]
    TooManyRequests(String),
    /// Throttled, saying when to come back (429 with `Retry-After`).
    #[error("{message}")]
    RetryLater {
        /// A stable machine-readable code.
        code: &'static str,
        /// What is wrong.
        message: String,
        /// Seconds until a new try can succeed.
        retry_after_secs: u64,
    },
    /// A client error with its own status.
    #[error("{message}")]
    WithStatus {
        /// The status (4xx).
        status: StatusCode,
        /// A stable machine-readable code.
        code: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The message is less protected than the tenant's content policy forces (422, code `policy`).
    #[error("{}", zegel_service::policy_message(.0))]
    Policy(zegel_core::policy::Requirement),
    /// Anything else (500); the cause is logged, not shown.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl AppError {
    /// A 400 with a code and message.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::BadRequest {
            code,
            message: message.into(),
        }
    }

    /// A client error with another status than 400 (e.g. 401 for a wrong code), code and message.
    pub fn bad_request_status(
        status: StatusCode,
        code: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Self::WithStatus {
            status,
            code,
            message: message.into(),
        }
    }

    /// A 422 naming the field.
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

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Invalid { .. } | Self::Policy(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::TooManyRequests(_) | Self::RetryLater { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::WithStatus { status, .. } => *status,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::BadRequest { code, .. } => code,
            Self::Invalid { .. } => "invalid",
            Self::Policy(_) => "policy",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden(_) => "forbidden",
            Self::NotFound => "not_found",
            Self::Conflict(_) => "conflict",
            Self::TooLarge(_) => "too_large",
            Self::TooManyRequests(_) => "too_many_requests",
            Self::RetryLater { code, .. } => code,
            Self::WithStatus { code, .. } => code,
            Self::Internal(_) => "internal",
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let Self::Internal(cause) = &self {
            tracing::error!(error = format!("{cause:#}"), "internal error");
        }
        let (field, feedback) = match &self {
            Self::Invalid {
                field, feedback, ..
            } => (Some(field.clone()), feedback.clone()),
            _ => (None, Vec::new()),
        };
        let (found, required) = match &self {
            Self::Policy(required) => (Some(required.found.clone()), Some(required.into())),
            _ => (None, None),
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code().to_owned(),
                message: self.to_string(),
                field,
                feedback,
                found,
                required,
            },
        };
        let mut response = (self.status(), Json(body)).into_response();
        if let Self::RetryLater {
            retry_after_secs, ..
        } = &self
        {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
        }
        response
            .extensions_mut()
            .insert(crate::log::ErrorCode(self.code()));
        if matches!(self, Self::Unauthorized) {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"zegel\""),
            );
        }
        response
    }
}

impl From<zegel_service::ServiceError> for AppError {
    fn from(error: zegel_service::ServiceError) -> Self {
        use zegel_service::ServiceError as E;
        match error {
            E::BadRequest { code, message } => Self::BadRequest { code, message },
            E::Invalid {
                field,
                message,
                feedback,
            } => Self::Invalid {
                field,
                message,
                feedback,
            },
            E::Unauthorized => Self::Unauthorized,
            E::Forbidden(message) => Self::Forbidden(message),
            E::NotFound => Self::NotFound,
            E::Conflict(message) => Self::Conflict(message),
            E::Stale { code, message } => Self::WithStatus {
                status: StatusCode::PRECONDITION_FAILED,
                code,
                message,
            },
            error @ E::Infected { .. } => Self::WithStatus {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                code: "infected",
                message: error.to_string(),
            },
            E::TooLarge(message) => Self::TooLarge(message),
            E::TooManyRequests(message) => Self::TooManyRequests(message),
            E::RetryLater {
                code,
                message,
                retry_after_secs,
            } => Self::RetryLater {
                code,
                message,
                retry_after_secs,
            },
            E::Policy(required) => Self::Policy(required),
            E::Internal(cause) => Self::Internal(cause),
        }
    }
}

impl From<sqlx::Error> for AppError {
    fn from(error: sqlx::Error) -> Self {
        Self::internal(error)
    }
}

impl From<std::io::Error> for AppError {
    fn from(error: std::io::Error) -> Self {
        Self::internal(error)
    }
}

impl From<zegel_core::message::RequestError> for AppError {
    fn from(error: zegel_core::message::RequestError) -> Self {
        Self::Invalid {
            field: error.field,
            message: error.message,
            feedback: error.feedback,
        }
    }
}

/// A JSON body extractor whose rejections use the same error shape as everything else.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(Self(value)),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(AppError::bad_request(
                "bad_content_type",
                "send the body as application/json",
            )),
            Err(JsonRejection::JsonSyntaxError(e)) => Err(AppError::bad_request(
                "malformed_json",
                format!("the body is not valid JSON: {}", e.body_text()),
            )),
            Err(JsonRejection::JsonDataError(e)) => Err(AppError::Invalid {
                field: "body".to_owned(),
                message: e.body_text(),
                feedback: Vec::new(),
            }),
            Err(other) => Err(AppError::bad_request("bad_body", other.body_text())),
        }
    }
}
