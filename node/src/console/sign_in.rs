//! Signing in and out, and choosing one's own password (the one given by
//! `yiyi-node staff add` works once).

use std::net::SocketAddr;
use std::sync::Arc;

use askama::Template;
use axum::extract::{ConnectInfo, Form, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::page::{
    CsrfForm, LangQuery, Transport, english, forged, render, session_cookie, signed_in,
};
use super::session::{SignInError, csrf_matches};
use crate::api::state::ApiState;

#[derive(Template)]
#[template(path = "console/login.html")]
struct LoginPage {
    en: bool,
    office: String,
    name: String,
    /// Staff may not sign in this way (plain HTTP from another machine).
    insecure: bool,
    error: Option<String>,
}

/// Why a sign-in over plain HTTP from another machine is refused.
fn insecure(en: bool) -> String {
    if en {
        "Signing in here would send the password in clear over the network: open the console over HTTPS (the node's --tls-cert), or on the node's own machine. On a closed network the operator may allow it with --allow-insecure-login.".into()
    } else {
        "在此登录会让密码以明文经过网络：请通过 HTTPS 打开办公台（节点的 --tls-cert），或在节点本机上登录。封闭的内部网络中，管理员可用 --allow-insecure-login 允许。".into()
    }
}

pub(super) async fn login_page(
    State(state): State<Arc<ApiState>>,
    Query(query): Query<LangQuery>,
    transport: Transport,
    headers: HeaderMap,
) -> Response {
    let en = english(&headers, &query);
    let refused = !transport.may_sign_in(&state);
    let page = LoginPage {
        en,
        office: state.office_name().await,
        name: String::new(),
        insecure: refused,
        error: refused.then(|| insecure(en)),
    };
    render(page, &query, StatusCode::OK)
}

#[derive(Deserialize)]
pub(super) struct LoginForm {
    name: String,
    password: String,
}

pub(super) async fn login(
    State(state): State<Arc<ApiState>>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    transport: Transport,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    if !transport.may_sign_in(&state) {
        // Refused before the password is even looked at.
        let en = english(&headers, &LangQuery::default());
        let page = LoginPage {
            en,
            office: state.office_name().await,
            name: form.name.trim().to_owned(),
            insecure: true,
            error: Some(insecure(en)),
        };
        return render(page, &LangQuery::default(), StatusCode::FORBIDDEN);
    }
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
                .append(header::SET_COOKIE, session_cookie(transport, &session.id));
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
                insecure: false,
                error: Some(error.to_string()),
            };
            render(page, &query, StatusCode::UNAUTHORIZED)
        }
    }
}

pub(super) async fn logout(
    State(state): State<Arc<ApiState>>,
    transport: Transport,
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
        .append(header::SET_COOKIE, session_cookie(transport, ""));
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

pub(super) async fn password_page(
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
pub(super) struct PasswordForm {
    #[serde(default)]
    csrf: String,
    old: String,
    new: String,
    again: String,
}

pub(super) async fn password(
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
