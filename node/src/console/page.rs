//! What every console page shares: the language, the session it is
//! rendered for (or where to send a browser that has none) — [`Desk`] —,
//! a form posted with the session's CSRF token — [`Posted`] —, rendering a
//! template, and showing why a form was refused — [`Feedback`].

use std::sync::Arc;

use askama::Template;
use axum::extract::{FromRequest, FromRequestParts, Query, RawForm, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::session::{self, COOKIE, Session};
use super::write::WriteError;
use crate::api::state::ApiState;
pub(super) use crate::api::transport::Transport;

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

/// The session cookie for `id` (empty and expired: signed out); `Secure`
/// when the request came over HTTPS.
pub(super) fn session_cookie(transport: Transport, id: &str) -> HeaderValue {
    let age = if id.is_empty() {
        0
    } else {
        session::IDLE.as_secs()
    };
    let value = format!(
        "{COOKIE}={id}; Path=/office; HttpOnly; SameSite=Strict; Max-Age={age}{}",
        if transport.secure { "; Secure" } else { "" }
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

/// Why a form was not taken: no session (sign in first), a CSRF token
/// that is not the session's, or a body that is not a form.
pub(super) enum Refusal {
    SignIn(Redirect),
    Forged,
    /// Not a form's body.
    Unreadable,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Refusal::SignIn(to) => to.into_response(),
            Refusal::Forged => forged(),
            Refusal::Unreadable => (StatusCode::BAD_REQUEST, "表单无法读取").into_response(),
        }
    }
}

/// A signed-in person looking at a page: the session and the language
/// (`lang` is the language chosen now, remembered by [`render`]).
pub(super) struct Desk {
    pub(super) session: Session,
    pub(super) en: bool,
    pub(super) lang: LangQuery,
}

impl FromRequestParts<Arc<ApiState>> for Desk {
    type Rejection = Redirect;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<ApiState>,
    ) -> Result<Self, Redirect> {
        let lang = Query::<LangQuery>::from_request_parts(parts, state)
            .await
            .map(|q| q.0)
            .unwrap_or_default();
        let session = signed_in(state, &parts.headers, false)?;
        Ok(Desk {
            en: english(&parts.headers, &lang),
            session,
            lang,
        })
    }
}

/// A form posted in a session with the session's CSRF token: who posted
/// it, and its fields as typed. Anything else is refused before a handler
/// sees it.
pub(super) struct Posted {
    pub(super) desk: Desk,
    pub(super) form: Fields,
}

impl FromRequest<Arc<ApiState>> for Posted {
    type Rejection = Refusal;

    async fn from_request(request: Request, state: &Arc<ApiState>) -> Result<Self, Refusal> {
        let headers = request.headers().clone();
        let session = signed_in(state, &headers, false).map_err(Refusal::SignIn)?;
        let RawForm(body) = RawForm::from_request(request, state)
            .await
            .map_err(|_| Refusal::Unreadable)?;
        let form = Fields(form_urlencoded::parse(&body).into_owned().collect());
        if !session::csrf_matches(&session, form.raw("csrf")) {
            return Err(Refusal::Forged);
        }
        let en = english(&headers, &LangQuery::default());
        Ok(Posted {
            desk: Desk {
                session,
                en,
                lang: LangQuery::default(),
            },
            form,
        })
    }
}

/// A form's fields as typed, in order (a name may repeat: check boxes).
#[derive(Default)]
pub(super) struct Fields(Vec<(String, String)>);

impl<const N: usize> From<[(&str, &str); N]> for Fields {
    fn from(pairs: [(&str, &str); N]) -> Self {
        Fields(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }
}

impl Fields {
    /// The first value of `name`, as typed ("" if absent).
    pub(super) fn raw(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// The first value of `name`, trimmed.
    pub(super) fn get(&self, name: &str) -> String {
        self.raw(name).trim().to_owned()
    }

    /// The value of `name` trimmed, or `None` when left empty.
    pub(super) fn given(&self, name: &str) -> Option<String> {
        Some(self.get(name)).filter(|v| !v.is_empty())
    }

    /// Every value of `name` (check boxes), empty ones left out.
    pub(super) fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, v)| k == name && !v.is_empty())
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// The lines of textarea `name`, trimmed, empty ones left out.
    pub(super) fn lines(&self, name: &str) -> Vec<String> {
        self.raw(name)
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// Whether check box `name` was checked.
    pub(super) fn checked(&self, name: &str) -> bool {
        !self.raw(name).is_empty()
    }

    /// A number typed into `name` (0 if it is not one; the rules refuse
    /// what 0 does not allow).
    pub(super) fn number(&self, name: &str) -> u32 {
        self.raw(name).trim().parse().unwrap_or(0)
    }
}

/// What a page says about the form just posted: why it was refused — the
/// rule's message, shown next to the field it concerns, or at the top when
/// it concerns none — and what was typed, so that nothing has to be typed
/// twice. A page shown afresh has `Feedback::default()`.
#[derive(Default)]
pub(super) struct Feedback {
    message: Option<String>,
    field: Option<&'static str>,
    typed: Fields,
    /// Whether the page showed the message next to its field yet.
    shown: std::cell::Cell<bool>,
}

impl Feedback {
    /// `error` refused the form `typed`.
    pub(super) fn refused(error: &WriteError, en: bool, typed: Fields) -> Self {
        Feedback {
            message: Some(error.say(en)),
            field: error.field(),
            typed,
            ..Feedback::default()
        }
    }

    /// The form `typed` refused before it reached the rules, for `message`
    /// (a file of a kind not taken, say).
    pub(super) fn said(message: String, typed: Fields) -> Self {
        Feedback {
            message: Some(message),
            typed,
            ..Feedback::default()
        }
    }

    /// The form `typed` shown again as it was, refused or not (a preview).
    pub(super) fn kept(typed: Fields) -> Self {
        Feedback {
            typed,
            ..Feedback::default()
        }
    }

    /// The message shown at the top: one that concerns no field.
    pub(super) fn general(&self) -> Option<&str> {
        self.message.as_deref().filter(|_| self.field.is_none())
    }

    /// The message shown next to field `name` of the form `part` (the
    /// form's hidden `part` field; "" for a page's only form of its kind).
    pub(super) fn at(&self, name: &str, part: &str) -> Option<&str> {
        let here = self.field == Some(name) && self.typed.raw("part") == part;
        self.shown.set(self.shown.get() || here);
        self.message.as_deref().filter(|_| here)
    }

    /// A message about a field the page had no place for: shown at the end
    /// rather than lost.
    pub(super) fn unshown(&self) -> Option<&str> {
        self.message
            .as_deref()
            .filter(|_| self.field.is_some() && !self.shown.get())
    }

    /// What was typed into `name` of the form `part` ("" if that form was
    /// not the one posted).
    pub(super) fn typed(&self, name: &str, part: &str) -> &str {
        if self.typed.raw("part") == part {
            self.typed.raw(name)
        } else {
            ""
        }
    }

    /// 422 when the page shows a refusal, else 200.
    pub(super) fn status(&self) -> StatusCode {
        if self.message.is_some() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        }
    }
}

/// Notices shown before they are signed (title, body), and the form that
/// asked for them: the page shows them in that form, with the button that
/// signs.
#[derive(Default)]
pub(super) struct Preview {
    form: &'static str,
    pub(super) notices: Vec<(String, String)>,
}

impl Preview {
    pub(super) fn new(form: &'static str, notices: Vec<(String, String)>) -> Self {
        Preview { form, notices }
    }

    /// Whether `form` asked for this preview.
    pub(super) fn of(&self, form: &str) -> bool {
        !self.form.is_empty() && self.form == form
    }
}

/// A moment (ms since the epoch) as staff read it: the day and the time in
/// Shanghai.
pub(super) fn when(ms: i64) -> String {
    let date = yiyi_protocol::rules::Date::in_shanghai(ms);
    let minutes = (ms + 8 * 3_600_000).rem_euclid(86_400_000) / 60_000;
    format!("{date} {:02}:{:02}", minutes / 60, minutes % 60)
}
