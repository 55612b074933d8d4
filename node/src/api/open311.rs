//! Open311 GeoReport v2 (the part that lists services): existing civic
//! clients and hotline systems find what a community node takes concerns
//! about. The office's catalogue is the service list: one service per
//! category (a concern about anything in it) and one per sub-item of the
//! catalogue (`service_code` `category:item`), in JSON and in XML as the
//! specification gives them.

use std::sync::Arc;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use yiyi_protocol::rules::names;

use super::state::ApiState;
use crate::board::escape;
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
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<services>\n");
    for service in services(&state).await {
        xml.push_str("<service>");
        for field in [
            "service_code",
            "service_name",
            "description",
            "metadata",
            "type",
            "keywords",
            "group",
        ] {
            let value = match &service[field] {
                Value::String(s) => escape(s),
                other => other.to_string(),
            };
            xml.push_str(&format!("<{field}>{value}</{field}>"));
        }
        xml.push_str("</service>\n");
    }
    xml.push_str("</services>\n");
    ([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], xml).into_response()
}
