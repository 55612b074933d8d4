//! The day an item's deadline is judged on: `?on=YYYY-MM-DD`, else today in
//! Shanghai. Staff look ahead with it (what turns overdue by Monday if
//! nothing moves), residents and tests look at any day without waiting.

use axum::http::StatusCode;
use serde::Deserialize;
use yiyi_protocol::rules::Date;

use super::error::ApiError;

/// `?on=YYYY-MM-DD`.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct OnQuery {
    #[serde(default)]
    on: Option<String>,
}

impl From<Option<String>> for OnQuery {
    fn from(on: Option<String>) -> OnQuery {
        OnQuery { on }
    }
}

impl OnQuery {
    /// The day asked for, parsed once here; today if none.
    pub(super) fn day(&self) -> Result<Date, ApiError> {
        match &self.on {
            None => Ok(Date::in_shanghai(crate::now_ms())),
            Some(text) => Date::parse(text).map_err(|e| {
                ApiError::new(StatusCode::BAD_REQUEST, "bad-date", e.to_string())
                    .at("on")
                    .in_chinese(e.zh())
            }),
        }
    }
}
