//! Residents' rounds in the console (征询): staff open an online or card
//! consultation on a meeting's topic, or the residents' evaluation of a
//! topic carried out, print the participation codes as cards with a QR code
//! to the round's page on the board, read the comments that came with the
//! ballots (to sum them up in the meeting's record), and close the round
//! with its tally. Everything goes through [`crate::rounds::Rounds`], as
//! the API's does; each action is audited.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use qrcode::QrCode;
use qrcode::render::svg;
use yiyi_protocol::proto::meeting::Form;
use yiyi_protocol::round::{CloseRound, OpenRound, RoundView};
use yiyi_protocol::rules::{TopicStatus, rounds::DEFAULT_OPTIONS};

use super::audit::note;
use super::gate::urlencode;
use super::page::{Desk, Posted, render, when};
use crate::api::state::ApiState;
use crate::api::transport::Transport;
use crate::office::OfficeError;
use crate::rounds::{KeptBallot, RoundsError};
use crate::staff::Permission;

#[derive(Template)]
#[template(path = "console/rounds.html")]
struct RoundsPage {
    en: bool,
    office: String,
    csrf: String,
    rounds: Vec<RoundView>,
    /// What a consultation round may be opened on: `meeting/topic`, and
    /// how it reads.
    consultations: Vec<(String, String)>,
    /// Topics residents may evaluate: id, title.
    evaluations: Vec<(String, String)>,
    default_options: String,
    error: String,
}

#[derive(Template)]
#[template(path = "console/round.html")]
struct RoundPage {
    en: bool,
    office: String,
    csrf: String,
    round: RoundView,
    /// Ballots cast so far, and how many were changed.
    cast: usize,
    changed: usize,
    /// Comments, oldest first: when, text.
    comments: Vec<(String, String)>,
    codes_kept: usize,
    closes: String,
    error: String,
}

#[derive(Template)]
#[template(path = "console/cards.html")]
struct CardsPage {
    en: bool,
    office: String,
    round: RoundView,
    closes: String,
    /// Each card: the code as printed, its QR code (SVG), the link.
    cards: Vec<(String, String, String)>,
}

/// A refusal as staff read it.
fn say(e: &RoundsError, en: bool) -> String {
    if en {
        return e.to_string();
    }
    match e {
        RoundsError::Office(OfficeError::Rule(rule)) => rule.zh(),
        RoundsError::Unknown(id) => format!("没有征询“{id}”"),
        RoundsError::Request(m) => format!("无效的请求：{m}"),
        other => format!("未能完成：{other}"),
    }
}

/// The rounds, and the form to open one.
pub(super) async fn rounds(State(state): State<Arc<ApiState>>, desk: Desk) -> Response {
    list(&state, &desk, String::new(), StatusCode::OK).await
}

async fn list(state: &ApiState, desk: &Desk, error: String, status: StatusCode) -> Response {
    let (consultations, evaluations) = state
        .office
        .read(|s| {
            let mut consultations = Vec::new();
            for m in s.meetings.values() {
                let by_code = matches!(
                    Form::try_from(m.meeting.form),
                    Ok(Form::Online | Form::Card)
                );
                if !by_code || m.result_formed() {
                    continue;
                }
                for t in &m.meeting.topic_ids {
                    let title = s.topics.get(t).map_or("", |t| t.topic.title.as_str());
                    consultations.push((
                        format!("{}/{t}", m.meeting.id),
                        format!("{} · {t} {title}", m.meeting.id),
                    ));
                }
            }
            let evaluations = s
                .topics
                .values()
                .filter(|t| t.status == TopicStatus::Done && !t.follow_ups.is_empty())
                .map(|t| (t.topic.id.clone(), t.topic.title.clone()))
                .collect();
            (consultations, evaluations)
        })
        .await;
    let page = RoundsPage {
        en: desk.en,
        office: state.office_name().await,
        csrf: desk.session.csrf.clone(),
        rounds: crate::rounds::views(&state.office).await,
        consultations,
        evaluations,
        default_options: DEFAULT_OPTIONS.join("\n"),
        error,
    };
    render(page, &desk.lang, status)
}

/// Opens a round from the form; then its page, with the cards to print.
pub(super) async fn open(State(state): State<Arc<ApiState>>, posted: Posted) -> Response {
    let Posted { desk, form } = posted;
    let id = form.get("id");
    if !desk.session.role.may(Permission::Record) {
        let why = if desk.en {
            "your role may not open rounds"
        } else {
            "您的角色不能发起征询"
        };
        note(&state, &desk, "open-round", &id, why);
        return list(&state, &desk, why.into(), StatusCode::FORBIDDEN).await;
    }
    let evaluation = form.raw("purpose") == "evaluation";
    let (meeting, topic) = if evaluation {
        (String::new(), form.get("evaluate"))
    } else {
        let subject = form.get("subject");
        let (m, t) = subject.split_once('/').unwrap_or(("", ""));
        (m.to_owned(), t.to_owned())
    };
    let request = OpenRound {
        id: id.clone(),
        purpose: if evaluation {
            "evaluation"
        } else {
            "consultation"
        }
        .into(),
        meeting,
        topic,
        question: form.get("question"),
        options: form.lines("options"),
        codes: form.number("codes"),
        hours: form.number("hours"),
    };
    match state
        .rounds
        .open_round(&state.office, request, crate::now_ms())
        .await
    {
        Ok(_) => {
            note(&state, &desk, "open-round", &id, "");
            Redirect::to(&format!("/office/rounds/{}", urlencode(&id))).into_response()
        }
        Err(e) => {
            let why = say(&e, desk.en);
            note(&state, &desk, "open-round", &id, &why);
            list(&state, &desk, why, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

/// A round: how many ballots so far, the comments, closing.
pub(super) async fn round(
    State(state): State<Arc<ApiState>>,
    desk: Desk,
    Path(id): Path<String>,
) -> Response {
    page(&state, &desk, &id, String::new(), StatusCode::OK).await
}

async fn page(
    state: &ApiState,
    desk: &Desk,
    id: &str,
    error: String,
    status: StatusCode,
) -> Response {
    let Some(round) = crate::rounds::view(&state.office, id).await else {
        return (StatusCode::NOT_FOUND, "没有这一轮征询").into_response();
    };
    // Comments are residents' words: staff who record read them, viewers
    // see only the figures.
    let ballots: Vec<KeptBallot> = match state.rounds.ballots(id) {
        Ok(ballots) => ballots.into_iter().map(|(_, b)| b).collect(),
        Err(e) => {
            tracing::error!(error = %e, "reading a round's ballots");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let mut comments: Vec<(i64, String)> = if desk.session.role.may(Permission::Record) {
        ballots
            .iter()
            .filter(|b| !b.comment.is_empty())
            .map(|b| (b.cast_ms, b.comment.clone()))
            .collect()
    } else {
        Vec::new()
    };
    comments.sort();
    let page = RoundPage {
        en: desk.en,
        office: state.office_name().await,
        csrf: desk.session.csrf.clone(),
        cast: ballots.len(),
        changed: ballots.iter().filter(|b| b.changes > 0).count(),
        comments: comments.into_iter().map(|(t, c)| (when(t), c)).collect(),
        codes_kept: state.rounds.codes(id).map_or(0, |c| c.len()),
        closes: when(round.closes_ms),
        round,
        error,
    };
    render(page, &desk.lang, status)
}

/// Closes a round: its tally is recorded (and an evaluation's result).
pub(super) async fn close(State(state): State<Arc<ApiState>>, posted: Posted) -> Response {
    let Posted { desk, form } = posted;
    let id = form.get("round");
    let error = if !desk.session.role.may(Permission::Record) {
        if desk.en {
            "your role may not close rounds"
        } else {
            "您的角色不能结束征询"
        }
        .to_owned()
    } else {
        let request = CloseRound {
            early_reason: form.get("early_reason"),
        };
        match state.rounds.close(&state.office, &id, request).await {
            Ok(_) => String::new(),
            Err(e) => say(&e, desk.en),
        }
    };
    note(&state, &desk, "close-round", &id, &error);
    if error.is_empty() {
        Redirect::to(&format!("/office/rounds/{}", urlencode(&id))).into_response()
    } else {
        page(&state, &desk, &id, error, StatusCode::UNPROCESSABLE_ENTITY).await
    }
}

/// The codes as a sheet of cards to print and cut: each with its code and
/// a QR code to the round's page on the board, the code in the link's
/// fragment (never sent to a server by the phone that opens it).
pub(super) async fn cards(
    State(state): State<Arc<ApiState>>,
    desk: Desk,
    transport: Transport,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if !desk.session.role.may(Permission::Record) {
        return (StatusCode::FORBIDDEN, "打印参与码需要记录权限").into_response();
    }
    let Some(round) = crate::rounds::view(&state.office, &id).await else {
        return (StatusCode::NOT_FOUND, "没有这一轮征询").into_response();
    };
    let codes = match state.rounds.codes(&id) {
        Ok(codes) => codes,
        Err(e) => {
            tracing::error!(error = %e, "reading a round's codes");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let scheme = if transport.secure { "https" } else { "http" };
    let cards = codes
        .iter()
        .map(|code| {
            let shown = code.to_string();
            let link = format!("{scheme}://{host}/r/{}#c={shown}", urlencode(&id));
            let qr = QrCode::new(link.as_bytes())
                .map(|qr| {
                    let svg = qr
                        .render::<svg::Color<'_>>()
                        .min_dimensions(140, 140)
                        .quiet_zone(true)
                        .build();
                    // Inline in the page: no XML declaration.
                    match svg.find("<svg") {
                        Some(at) => svg[at..].to_owned(),
                        None => svg,
                    }
                })
                .unwrap_or_default();
            (shown, qr, link)
        })
        .collect();
    note(&state, &desk, "print-codes", &id, "");
    let page = CardsPage {
        en: desk.en,
        office: state.office_name().await,
        closes: when(round.closes_ms),
        round,
        cards,
    };
    render(page, &desk.lang, StatusCode::OK)
}
