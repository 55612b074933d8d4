//! The API's errors: one type, mapped once to a status and a JSON body
//! (`{"error": kind, "message": …}`).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::actions::ActionError;
use crate::escalation::DeskError;
use crate::office::OfficeError;
use crate::store::StoreError;

/// An error as the API reports it.
pub struct ApiError {
    status: StatusCode,
    kind: &'static str,
    message: String,
    /// The message in Chinese, for a page that shows it to a resident.
    zh: Option<String>,
    /// The form's field it is about, for a page to show it next to.
    field: Option<&'static str>,
    /// Seconds after which asking again may succeed (`Retry-After`).
    retry_after: Option<u32>,
}

impl ApiError {
    pub(super) fn new(
        status: StatusCode,
        kind: &'static str,
        message: impl Into<String>,
    ) -> ApiError {
        ApiError {
            status,
            kind,
            message: message.into(),
            zh: None,
            field: None,
            retry_after: None,
        }
    }

    /// The same, telling the client when to ask again (`Retry-After`).
    pub(super) fn retry_after(mut self, seconds: u32) -> ApiError {
        self.retry_after = Some(seconds);
        self
    }

    /// The same, naming the form's field it is about (`"field"`).
    pub(super) fn at(mut self, field: &'static str) -> ApiError {
        self.field = Some(field);
        self
    }

    /// The same, saying it in Chinese too (`"zh"` in the body).
    pub(super) fn in_chinese(mut self, zh: impl Into<String>) -> ApiError {
        self.zh = Some(zh.into());
        self
    }

    pub(super) fn not_found(what: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not-found", what)
    }
}

impl From<OfficeError> for ApiError {
    fn from(e: OfficeError) -> ApiError {
        match e {
            OfficeError::Rule(rule) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "rule", rule.to_string())
            }
            OfficeError::Desk(DeskError::Matter(e)) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "matter", e.to_string())
            }
            OfficeError::Desk(DeskError::NoParent) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "no-parent", e.to_string())
            }
            OfficeError::Store(StoreError::Rejected(e)) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "entry", e.to_string())
            }
            other => ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                other.to_string(),
            ),
        }
    }
}

impl From<ActionError> for ApiError {
    fn from(e: ActionError) -> ApiError {
        let kind = match e {
            ActionError::Office(e) => return e.into(),
            ActionError::NoMatter(_) => {
                return ApiError::new(StatusCode::NOT_FOUND, "no-matter", e.to_string());
            }
            ActionError::Name(_) => "bad-name",
            ActionError::Key(_) => "bad-key",
            ActionError::Date(_) => "rule",
        };
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, kind, e.to_string())
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::OutOfRange(m) => ApiError::new(StatusCode::BAD_REQUEST, "out-of-range", m),
            StoreError::Frozen => ApiError::new(StatusCode::CONFLICT, "frozen", e.to_string()),
            other => ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                other.to_string(),
            ),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({ "error": self.kind, "message": self.message });
        if let Some(zh) = self.zh {
            body["zh"] = zh.into();
        }
        if let Some(field) = self.field {
            body["field"] = field.into();
        }
        let mut response = (self.status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

/// What most handlers answer.
pub(super) type ApiResult = Result<Json<Value>, ApiError>;
