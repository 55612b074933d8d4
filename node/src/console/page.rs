//! What every console page shares: the language, the session it is
//! rendered for (or where to send a browser that has none), rendering a
//! template, and refusing a form whose CSRF token is not the session's.

use askama::Template;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::session::{self, COOKIE, Session};
use crate::api::state::ApiState;

/// The value of cookie `name` in the request.
pub(super) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The page's language: `?lang=` if given (and remembered), else the
/// remembered one, else Chinese.
#[derive(Deserialize, Default)]
pub(super) struct LangQuery {
    pub(super) lang: Option<String>,
}

pub(super) fn english(headers: &HeaderMap, query: &LangQuery) -> bool {
    match query.lang.as_deref() {
        Some(lang) => lang == "en",
        None => cookie(headers, "yiyi_lang") == Some("en"),
    }
}

/// Renders `page`, remembering the language if it was chosen now.
pub(super) fn render(page: impl Template, query: &LangQuery, status: StatusCode) -> Response {
    let html = match page.render() {
        Ok(html) => html,
        Err(e) => {
            tracing::error!(error = %e, "a console page did not render");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let mut response = (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        html,
    )
        .into_response();
    if let Some(lang) = query.lang.as_deref().filter(|l| *l == "en" || *l == "zh")
        && let Ok(value) = HeaderValue::from_str(&format!(
            "yiyi_lang={lang}; Path=/office; SameSite=Strict; Max-Age=31536000"
        ))
    {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// The session cookie for `id` (empty and expired: signed out). Secure when
/// the request came over TLS through a proxy that says so.
pub(super) fn session_cookie(headers: &HeaderMap, id: &str) -> HeaderValue {
    let secure = headers
        .get("x-forwarded-proto")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"));
    let age = if id.is_empty() {
        0
    } else {
        session::IDLE.as_secs()
    };
    let value = format!(
        "{COOKIE}={id}; Path=/office; HttpOnly; SameSite=Strict; Max-Age={age}{}",
        if secure { "; Secure" } else { "" }
    );
    HeaderValue::from_str(&value).unwrap_or(HeaderValue::from_static(""))
}

/// The signed-in session, or where to send the browser instead.
pub(super) fn signed_in(
    state: &ApiState,
    headers: &HeaderMap,
    changing: bool,
) -> Result<Session, Redirect> {
    let Some(session) = cookie(headers, COOKIE).and_then(|id| state.sessions.get(id)) else {
        return Err(Redirect::to("/office/login"));
    };
    if session.must_change && !changing {
        return Err(Redirect::to("/office/password"));
    }
    Ok(session)
}

#[derive(Deserialize)]
pub(super) struct CsrfForm {
    #[serde(default)]
    pub(super) csrf: String,
}

/// A form whose CSRF token is not the session's: refused, nothing done.
pub(super) fn forged() -> Response {
    (
        StatusCode::FORBIDDEN,
        "表单已过期或来源不明，请返回刷新后重试（CSRF）",
    )
        .into_response()
}

/// Why a form was not taken: no session (sign in first), or a CSRF token
/// that is not the session's.
pub(super) enum Refusal {
    SignIn(Redirect),
    Forged,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Refusal::SignIn(to) => to.into_response(),
            Refusal::Forged => forged(),
        }
    }
}

/// The session a form was posted in, if its CSRF token is the session's.
pub(super) fn form_session(
    state: &ApiState,
    headers: &HeaderMap,
    csrf: &str,
) -> Result<Session, Refusal> {
    let session = signed_in(state, headers, false).map_err(Refusal::SignIn)?;
    if !session::csrf_matches(&session, csrf) {
        return Err(Refusal::Forged);
    }
    Ok(session)
}

/// The status a page is sent with: 422 when it shows why a form was
/// refused, else 200.
pub(super) fn status_for(error: &Option<String>) -> StatusCode {
    if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    }
}
