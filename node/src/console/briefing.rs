//! Attaching policy briefing materials to a meeting (政策宣讲材料) at the
//! console: files chosen in the browser, posted as a multipart form with
//! the session's CSRF token, kept by their SHA-256, then committed in the
//! ledger by a `Briefing` record — the same action the CLI writes.

use std::sync::Arc;

use axum::extract::{Multipart, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use yiyi_protocol::api::{self, Action};
use yiyi_protocol::rules::record::{BRIEFING_TYPES, MAX_BRIEFING_BYTES, MAX_BRIEFING_FILES};

use super::meetings::meeting_page;
use super::page::{Desk, Feedback, Fields, LangQuery, Refusal, english, signed_in};
use super::session;
use super::write::write;
use crate::api::state::ApiState;
use crate::staff::Permission;

/// The most bytes a briefing form may carry.
pub(super) const BODY_BYTES: usize = (MAX_BRIEFING_BYTES as usize) * 2;

/// A file's media type: as the browser says, else by its name's extension.
fn kind(declared: Option<&str>, name: &str) -> Option<&'static str> {
    if let Some(found) = declared.and_then(|d| BRIEFING_TYPES.iter().find(|t| **t == d)) {
        return Some(found);
    }
    let lower = name.to_ascii_lowercase();
    let by_name = [
        (".pdf", "application/pdf"),
        (".png", "image/png"),
        (".jpg", "image/jpeg"),
        (".jpeg", "image/jpeg"),
        (".txt", "text/plain"),
    ];
    by_name
        .iter()
        .find(|(ext, _)| lower.ends_with(ext))
        .map(|(_, t)| *t)
}

/// A file refused before anything is kept: said on the meeting's page.
fn refused(name: &str, en: bool) -> String {
    if en {
        format!("{name}: a briefing file is a PDF, PNG, JPEG or .txt file of at most 10 MiB")
    } else {
        format!("{name}：宣讲材料须为 PDF、PNG、JPEG 或 .txt 文件，且不超过 10 MiB")
    }
}

pub(super) async fn brief(
    State(state): State<Arc<ApiState>>,
    headers: HeaderMap,
    mut form: Multipart,
) -> Result<Response, Refusal> {
    let session = signed_in(&state, &headers, false).map_err(Refusal::SignIn)?;
    let en = english(&headers, &LangQuery::default());
    let (mut csrf, mut meeting, mut files) = (String::new(), String::new(), Vec::new());
    let mut problem = None;
    while let Some(field) = form.next_field().await.map_err(|_| Refusal::Unreadable)? {
        match field.name().unwrap_or_default() {
            "csrf" => csrf = field.text().await.map_err(|_| Refusal::Unreadable)?,
            "meeting" => meeting = field.text().await.map_err(|_| Refusal::Unreadable)?,
            "file" => {
                let name = field.file_name().unwrap_or_default().to_owned();
                let declared = field.content_type().map(str::to_owned);
                let bytes = field.bytes().await.map_err(|_| Refusal::Unreadable)?;
                // An empty file input posts one part with no name.
                if name.is_empty() && bytes.is_empty() {
                    continue;
                }
                match kind(declared.as_deref(), &name) {
                    Some(kind) if !bytes.is_empty() && bytes.len() as u64 <= MAX_BRIEFING_BYTES => {
                        files.push((name, kind, bytes))
                    }
                    _ => problem = Some(refused(&name, en)),
                }
            }
            _ => {}
        }
    }
    if !session::csrf_matches(&session, &csrf) {
        return Err(Refusal::Forged);
    }
    let desk = Desk {
        session,
        en,
        lang: LangQuery::default(),
    };
    let typed = Fields::from([("meeting", meeting.as_str())]);
    if files.len() > MAX_BRIEFING_FILES {
        problem = Some(if en {
            format!("at most {MAX_BRIEFING_FILES} files at once")
        } else {
            format!("一次最多附上 {MAX_BRIEFING_FILES} 个文件")
        });
    }
    // Nothing is kept for someone who may not record it.
    if !desk.session.role.may(Permission::Record) {
        problem = Some(if en {
            "your role may not attach briefing materials".to_owned()
        } else {
            "您的角色不能附上宣讲材料".to_owned()
        });
    }
    if let Some(problem) = problem {
        let feedback = Feedback::said(problem, typed);
        return Ok(meeting_page(&state, &desk, &meeting, Default::default(), feedback).await);
    }
    // Kept first, durably: the record that names them comes after.
    let mut attached = Vec::new();
    for (name, kind, bytes) in files {
        let store = state.office.store().clone();
        let kept = tokio::task::spawn_blocking(move || store.put_file(&bytes, kind)).await;
        match kept {
            Ok(Ok(sha)) => attached.push(api::Attached {
                name,
                sha256: hex::encode(sha),
            }),
            _ => {
                tracing::error!("keeping a briefing file failed");
                return Err(Refusal::Unreadable);
            }
        }
    }
    let action = Action::Brief(api::Brief {
        meeting: meeting.clone(),
        files: attached,
    });
    Ok(
        match write(&state, &desk.session, Permission::Record, action).await {
            Ok(_) => Redirect::to(&format!("/office/meetings/{meeting}")).into_response(),
            Err(e) => {
                let feedback = Feedback::refused(&e, desk.en, typed);
                meeting_page(&state, &desk, &meeting, Default::default(), feedback).await
            }
        },
    )
}
