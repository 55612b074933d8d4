//! Open311 GeoReport v2: existing civic clients and hotline systems hand
//! residents' concerns to a community node. The office's catalogue is the
//! service list: one service per category (a concern about anything in
//! it) and one per sub-item (`service_code` `category:item`). A client
//! posts a service request with the `api_key` the office issued it in the
//! console; the request becomes a concern in the same intake as the
//! board's (checked by the same rules, kept in the private store), and the
//! client reads back where it stands — `open` or `closed`, with notes from
//! the topic's public course or the office's answer. Reading requests
//! needs the key that sent them: they hold the resident's words. JSON and
//! XML as the specification gives them; errors as its `errors` list.

use std::sync::Arc;

use axum::extract::{Path, Query, RawForm, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use yiyi_protocol::rules::{Consultation, TopicStatus, names};

use super::state::ApiState;
use crate::board::{escape, rfc3339};
use crate::concerns::{ConcernsError, KeptConcern};
use crate::console::choices::CATEGORIES;

/// A category's name in Chinese, as residents know it.
fn category_zh(name: &str) -> String {
    crate::console::choices::label(CATEGORIES, name, false)
}

/// The services: each category, then each sub-item of the catalogue.
async fn services(state: &ApiState) -> Vec<Value> {
    let items: Vec<(String, String)> = state
        .office
        .read(|s| {
            s.catalogue
                .values()
                .filter(|c| !c.withdrawn)
                .map(|c| (names::category_name(c.category).to_owned(), c.name.clone()))
                .collect()
        })
        .await;
    let service = |code: String, name: String, description: String, group: String| {
        json!({
            "service_code": code,
            "service_name": name,
            "description": description,
            "metadata": false,
            "type": "realtime",
            "keywords": "",
            "group": group,
        })
    };
    let mut list: Vec<Value> = names::category_names()
        .into_iter()
        .map(|name| {
            let zh = category_zh(name);
            service(name.into(), zh.clone(), format!("{zh}（其他事项）"), zh)
        })
        .collect();
    list.extend(items.into_iter().map(|(category, item)| {
        let zh = category_zh(&category);
        service(
            format!("{category}:{item}"),
            item.clone(),
            format!("{zh} · {item}"),
            zh,
        )
    }));
    list
}

/// `GET /open311/v2/services.json`.
pub(super) async fn services_json(State(state): State<Arc<ApiState>>) -> Response {
    axum::Json(services(&state).await).into_response()
}

/// `GET /open311/v2/services.xml`.
pub(super) async fn services_xml(State(state): State<Arc<ApiState>>) -> Response {
    let services = services(&state).await;
    xml("services", "service", &services, SERVICE_FIELDS)
}

const SERVICE_FIELDS: &[&str] = &[
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
];

const REQUEST_FIELDS: &[&str] = &[
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
];

/// A list of objects as the specification's XML: `<list><item>…` with
/// each field in order, text escaped, a missing field empty.
fn xml(list: &str, item: &str, objects: &[Value], fields: &[&str]) -> Response {
    let mut out = format!("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<{list}>\n");
    for object in objects {
        out.push_str(&format!("<{item}>"));
        for field in fields {
            let value = match &object[field] {
                Value::String(s) => escape(s),
                Value::Null => String::new(),
                other => other.to_string(),
            };
            out.push_str(&format!("<{field}>{value}</{field}>"));
        }
        out.push_str(&format!("</{item}>\n"));
    }
    out.push_str(&format!("</{list}>\n"));
    ([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], out).into_response()
}

/// JSON or XML, as the path's extension asks.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Xml,
}

impl Format {
    fn of(file: &str) -> Option<(&str, Format)> {
        if let Some(stem) = file.strip_suffix(".json") {
            Some((stem, Format::Json))
        } else {
            file.strip_suffix(".xml").map(|stem| (stem, Format::Xml))
        }
    }

    /// A list of service requests (every answer about requests is one).
    fn requests(self, objects: &[Value], fields: &[&str]) -> Response {
        match self {
            Format::Json => axum::Json(objects).into_response(),
            Format::Xml => xml("service_requests", "request", objects, fields),
        }
    }

    /// The specification's error list, with `status`.
    fn error(self, status: StatusCode, description: &str) -> Response {
        let error = json!({"code": status.as_u16(), "description": description});
        let mut response = match self {
            Format::Json => axum::Json(vec![error]).into_response(),
            Format::Xml => xml("errors", "error", &[error], &["code", "description"]),
        };
        *response.status_mut() = status;
        response
    }
}

/// The largest service request body, in bytes.
pub(super) const BODY_BYTES: usize = 16 * 1024;

/// `POST /open311/v2/requests.{json,xml}`: a service request, with the
/// client's key; answers its id and, as the notice, the receipt code the
/// resident can follow it by on the board.
pub(super) async fn post_request(
    State(state): State<Arc<ApiState>>,
    Path(file): Path<String>,
    body: Result<RawForm, axum::extract::rejection::RawFormRejection>,
) -> Response {
    let Some(("requests", format)) = Format::of(&file) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let Ok(RawForm(body)) = body else {
        return format.error(
            StatusCode::BAD_REQUEST,
            "a service request is a form (application/x-www-form-urlencoded) of at most 16 KiB",
        );
    };
    let params: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    let request = match yiyi_protocol::open311::service_request(&params) {
        Ok(request) => request,
        Err(e) => return format.error(StatusCode::BAD_REQUEST, &e.to_string()),
    };
    let client = match state.concerns.client(&request.api_key) {
        Ok(Some(client)) => client,
        Ok(None) => {
            return format.error(
                StatusCode::FORBIDDEN,
                "api_key: not a key this office issued",
            );
        }
        Err(e) => return format.error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    };
    let concern = match state.office.read(|s| request.form.check(s)).await {
        Ok(concern) => concern,
        Err(e) => {
            let field = match e.field() {
                "what" => "description",
                "where" => "address_string",
                "category" | "sub_item" => "service_code",
                other => other,
            };
            return format.error(StatusCode::BAD_REQUEST, &format!("{field}: {e}"));
        }
    };
    match state
        .concerns
        .take(concern, crate::now_ms(), Some(&client.name))
    {
        Ok((id, code)) => {
            let answer = json!({
                "service_request_id": format!("C-{id}"),
                "service_notice": format!("回执码 {code}：居民凭此码可在公示栏“我要反映”查询办理进度"),
                "account_id": Value::Null,
            });
            let mut response = format.requests(
                &[answer],
                &["service_request_id", "service_notice", "account_id"],
            );
            *response.status_mut() = StatusCode::CREATED;
            response
        }
        Err(ConcernsError::Full) => format.error(
            StatusCode::SERVICE_UNAVAILABLE,
            "too many concerns are waiting for the office; try again later",
        ),
        Err(e) => format.error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}

/// What `GET` requests take.
#[derive(serde::Deserialize, Default)]
pub(super) struct RequestQuery {
    #[serde(default)]
    api_key: String,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    service_request_id: Option<String>,
    #[serde(default)]
    service_code: Option<String>,
}

/// `GET /open311/v2/requests.{json,xml}` and
/// `GET /open311/v2/requests/{id}.{json,xml}`: the client's own requests
/// (its key), with where each stands.
pub(super) async fn get_requests(
    State(state): State<Arc<ApiState>>,
    Path(file): Path<String>,
    Query(query): Query<RequestQuery>,
) -> Response {
    let (ids, format) = match Format::of(&file) {
        Some(("requests", format)) => (None, format),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    list(&state, query, ids, format).await
}

/// `GET /open311/v2/requests/{id}.{json,xml}`.
pub(super) async fn get_request(
    State(state): State<Arc<ApiState>>,
    Path(file): Path<String>,
    Query(query): Query<RequestQuery>,
) -> Response {
    let Some((id, format)) = Format::of(&file) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let id = id.to_owned();
    list(&state, query, Some(id), format).await
}

async fn list(
    state: &ApiState,
    query: RequestQuery,
    one: Option<String>,
    format: Format,
) -> Response {
    let client = match state.concerns.client(&query.api_key) {
        Ok(Some(client)) => client,
        Ok(None) => {
            return format.error(
                StatusCode::FORBIDDEN,
                "api_key: reading requests needs the key that sent them",
            );
        }
        Err(e) => return format.error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    };
    let kept = match state.concerns.through(&client.name) {
        Ok(kept) => kept,
        Err(e) => return format.error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    };
    let wanted: Option<Vec<String>> = one.clone().map(|id| vec![id]).or_else(|| {
        query
            .service_request_id
            .as_ref()
            .map(|ids| ids.split(',').map(|i| i.trim().to_owned()).collect())
    });
    let office = state.office_name().await;
    let requests: Vec<Value> = state
        .office
        .read(|s| {
            kept.iter()
                .filter(|k| {
                    wanted
                        .as_ref()
                        .is_none_or(|w| w.contains(&format!("C-{}", k.id)))
                })
                .map(|k| request_json(k, s, &office))
                .filter(|r| query.status.as_deref().is_none_or(|st| r["status"] == st))
                .filter(|r| {
                    query
                        .service_code
                        .as_deref()
                        .is_none_or(|c| r["service_code"] == c)
                })
                .collect()
        })
        .await;
    if one.is_some() && requests.is_empty() {
        return format.error(
            StatusCode::NOT_FOUND,
            "no service request with this id was sent with this key",
        );
    }
    format.requests(&requests, REQUEST_FIELDS)
}

/// A concern as a service request: `open` until its topic is done,
/// declined or evaluated, or the office answered it; the notes say where
/// it stands, from the topic's public course.
fn request_json(kept: &KeptConcern, s: &Consultation, office: &str) -> Value {
    let concern = &kept.concern;
    let category = names::category_name(concern.category);
    let code = if concern.sub_item.is_empty() {
        category.to_owned()
    } else {
        format!("{category}:{}", concern.sub_item)
    };
    let mut updated = kept.received_ms;
    let (status, notes) = match (&kept.topic, &kept.reply) {
        (Some(id), _) => match s.topics.get(id) {
            Some(topic) => {
                updated = [
                    Some(topic.proposed_ms),
                    topic.accepted_ms,
                    topic.classified_ms,
                    topic.done_ms,
                ]
                .into_iter()
                .flatten()
                .max()
                .unwrap_or(updated);
                let title = &topic.topic.title;
                match topic.status {
                    TopicStatus::Done | TopicStatus::Evaluated => {
                        let last = topic
                            .progress
                            .last()
                            .map(|(_, p)| p.text.as_str())
                            .unwrap_or_default();
                        (
                            "closed",
                            format!("已转为议题 {id}“{title}”，已办结：{last}"),
                        )
                    }
                    TopicStatus::Declined => {
                        let why = topic
                            .gate
                            .last()
                            .map(|g| g.explanation.as_str())
                            .unwrap_or_default();
                        ("closed", format!("议题 {id}“{title}”不予协商：{why}"))
                    }
                    other => ("open", format!("已转为议题 {id}“{title}”：{}", other.zh())),
                }
            }
            None => ("open", format!("已转为议题 {id}")),
        },
        (None, Some(reply)) => ("closed", format!("社区答复：{reply}")),
        (None, None) => ("open", "已收到，等待社区议题把关".to_owned()),
    };
    json!({
        "service_request_id": format!("C-{}", kept.id),
        "status": status,
        "status_notes": notes,
        "service_name": if concern.sub_item.is_empty() { category_zh(category) } else { concern.sub_item.clone() },
        "service_code": code,
        "description": concern.what,
        "agency_responsible": office,
        "service_notice": "",
        "requested_datetime": rfc3339(kept.received_ms),
        "updated_datetime": rfc3339(updated),
        "expected_datetime": Value::Null,
        "address": concern.place,
        "address_id": Value::Null,
        "zipcode": Value::Null,
        "lat": Value::Null,
        "long": Value::Null,
        "media_url": Value::Null,
    })
}
