//! The office console (办公台) every node serves at `/office/`: the pages
//! staff work the procedure with, in Chinese by default (English by a
//! toggle), rendered on the server so that they work without script.
//!
//! Templates are askama's: compiled into the binary and checked when it is
//! built, HTML-escaping every value unless told otherwise, so text anyone
//! typed is shown as text. People sign in as themselves ([`session`]); every
//! form carries the session's CSRF token; every page is sent with a strict
//! Content-Security-Policy (no script, no inline style, nothing from
//! elsewhere) and is never cached.

pub mod session;

use std::net::SocketAddr;
use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{ConnectInfo, Form, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;
use yiyi_protocol::rules::TopicStatus;

use crate::api::state::ApiState;
use session::{COOKIE, Session, SignInError, csrf_matches};

const STYLE: &str = include_str!("console/console.css");

/// What every console page is sent with.
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
                   frame-ancestors 'none'; base-uri 'none'";

/// The console's routes.
pub fn router(state: Arc<ApiState>) -> Router<Arc<ApiState>> {
    Router::new()
        .route("/office/", get(today))
        .route("/office/login", get(login_page).post(login))
        .route("/office/logout", axum::routing::post(logout))
        .route("/office/password", get(password_page).post(password))
        .route(
            "/office/console.css",
            get(|| async { ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], STYLE) }),
        )
        .layer(axum::middleware::map_response(secure))
        .with_state(state)
}

/// The headers every console response carries.
async fn secure(mut response: Response) -> Response {
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::CACHE_CONTROL, "no-store"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

/// The value of cookie `name` in the request.
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
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
struct LangQuery {
    lang: Option<String>,
}

fn english(headers: &HeaderMap, query: &LangQuery) -> bool {
    match query.lang.as_deref() {
        Some(lang) => lang == "en",
        None => cookie(headers, "yiyi_lang") == Some("en"),
    }
}

/// Renders `page`, remembering the language if it was chosen now.
fn render(page: impl Template, query: &LangQuery, status: StatusCode) -> Response {
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
fn session_cookie(headers: &HeaderMap, id: &str) -> HeaderValue {
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
fn signed_in(state: &ApiState, headers: &HeaderMap, changing: bool) -> Result<Session, Redirect> {
    let Some(session) = cookie(headers, COOKIE).and_then(|id| state.sessions.get(id)) else {
        return Err(Redirect::to("/office/login"));
    };
    if session.must_change && !changing {
        return Err(Redirect::to("/office/password"));
    }
    Ok(session)
}

#[derive(Template)]
#[template(path = "console/login.html")]
struct LoginPage {
    en: bool,
    office: String,
    name: String,
    error: Option<String>,
}

async fn login_page(
    State(state): State<Arc<ApiState>>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let page = LoginPage {
        en: english(&headers, &query),
        office: state.office_name().await,
        name: String::new(),
        error: None,
    };
    render(page, &query, StatusCode::OK)
}

#[derive(Deserialize)]
struct LoginForm {
    name: String,
    password: String,
}

async fn login(
    State(state): State<Arc<ApiState>>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let pause = state.sessions.pause_for(client.ip());
    if !pause.is_zero() {
        tokio::time::sleep(pause).await;
    }
    // Argon2 takes tens of milliseconds of CPU: off the async threads.
    let sessions = state.sessions.clone();
    let (name, password) = (form.name.trim().to_owned(), form.password);
    let signed = {
        let name = name.clone();
        tokio::task::spawn_blocking(move || sessions.sign_in(&name, &password, client.ip())).await
    };
    match signed {
        Ok(Ok(session)) => {
            let to = if session.must_change {
                "/office/password"
            } else {
                "/office/"
            };
            let mut response = Redirect::to(to).into_response();
            response
                .headers_mut()
                .append(header::SET_COOKIE, session_cookie(&headers, &session.id));
            response
        }
        outcome => {
            let error = match outcome {
                Ok(Err(e)) => e,
                _ => SignInError::Wrong,
            };
            if let SignInError::Accounts(e) = &error {
                tracing::error!(error = %e, "reading the staff accounts");
            }
            let query = LangQuery::default();
            let page = LoginPage {
                en: english(&headers, &query),
                office: state.office_name().await,
                name,
                error: Some(error.to_string()),
            };
            render(page, &query, StatusCode::UNAUTHORIZED)
        }
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// A form whose CSRF token is not the session's: refused, nothing done.
fn forged() -> Response {
    (
        StatusCode::FORBIDDEN,
        "表单已过期或来源不明，请返回刷新后重试（CSRF）",
    )
        .into_response()
}

async fn logout(
    State(state): State<Arc<ApiState>>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    let session = match signed_in(&state, &headers, true) {
        Ok(session) => session,
        Err(to) => return to.into_response(),
    };
    if !csrf_matches(&session, &form.csrf) {
        return forged();
    }
    state.sessions.sign_out(&session.id);
    let mut response = Redirect::to("/office/login").into_response();
    response
        .headers_mut()
        .append(header::SET_COOKIE, session_cookie(&headers, ""));
    response
}

#[derive(Template)]
#[template(path = "console/password.html")]
struct PasswordPage {
    en: bool,
    office: String,
    csrf: String,
    must_change: bool,
    error: Option<String>,
}

async fn password_page(
    State(state): State<Arc<ApiState>>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let session = match signed_in(&state, &headers, true) {
        Ok(session) => session,
        Err(to) => return to.into_response(),
    };
    let page = PasswordPage {
        en: english(&headers, &query),
        office: state.office_name().await,
        csrf: session.csrf,
        must_change: session.must_change,
        error: None,
    };
    render(page, &query, StatusCode::OK)
}

#[derive(Deserialize)]
struct PasswordForm {
    #[serde(default)]
    csrf: String,
    old: String,
    new: String,
    again: String,
}

async fn password(
    State(state): State<Arc<ApiState>>,
    headers: HeaderMap,
    Form(form): Form<PasswordForm>,
) -> Response {
    let session = match signed_in(&state, &headers, true) {
        Ok(session) => session,
        Err(to) => return to.into_response(),
    };
    if !csrf_matches(&session, &form.csrf) {
        return forged();
    }
    let en = english(&headers, &LangQuery::default());
    let error = if form.new != form.again {
        Some(if en {
            "the two new passwords differ".to_owned()
        } else {
            "两次输入的新密码不一致".to_owned()
        })
    } else {
        let staff = state.sessions.staff().clone();
        let name = session.name.clone();
        let changed =
            tokio::task::spawn_blocking(move || staff.change_password(&name, &form.old, &form.new))
                .await;
        match changed {
            Ok(Ok(())) => None,
            Ok(Err(crate::staff::StaffError::WrongPassword)) => Some(if en {
                "the current password is wrong".to_owned()
            } else {
                "当前密码不正确".to_owned()
            }),
            Ok(Err(crate::staff::StaffError::WeakPassword(why))) => Some(if en {
                why
            } else {
                format!(
                    "新密码不可用：至少 {} 个字符，且不能与当前密码相同",
                    crate::staff::MIN_PASSWORD_CHARS
                )
            }),
            Ok(Err(e)) => Some(e.to_string()),
            Err(e) => Some(e.to_string()),
        }
    };
    match error {
        None => {
            state.sessions.password_changed(&session.id);
            Redirect::to("/office/").into_response()
        }
        Some(error) => {
            let page = PasswordPage {
                en,
                office: state.office_name().await,
                csrf: session.csrf,
                must_change: session.must_change,
                error: Some(error),
            };
            render(
                page,
                &LangQuery::default(),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
    }
}

#[derive(Template)]
#[template(path = "console/today.html")]
struct TodayPage {
    en: bool,
    office: String,
    name: String,
    role: &'static str,
    csrf: String,
    /// Topics waiting for gate-keeping: id and title.
    proposed: Vec<(String, String)>,
}

async fn today(
    State(state): State<Arc<ApiState>>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let session = match signed_in(&state, &headers, false) {
        Ok(session) => session,
        Err(to) => return to.into_response(),
    };
    let proposed = state
        .office
        .read(|s| {
            s.topics
                .values()
                .filter(|t| t.status == TopicStatus::Proposed)
                .map(|t| (t.topic.id.clone(), t.topic.title.clone()))
                .collect()
        })
        .await;
    let en = english(&headers, &query);
    let page = TodayPage {
        en,
        office: state.office_name().await,
        name: session.name,
        role: if en {
            session.role.name()
        } else {
            session.role.zh()
        },
        csrf: session.csrf,
        proposed,
    };
    render(page, &query, StatusCode::OK)
}
