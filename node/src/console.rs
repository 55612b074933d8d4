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

mod audit;
mod briefing;
mod carry_out;
pub(crate) mod choices;
mod clients;
mod concerns;
mod gate;
mod joint;
mod matters;
mod meetings;
mod notices;
mod offices;
mod oversight;
mod page;
mod rounds;
pub mod session;
mod setup;
mod sign_in;
mod today;
mod topics;
mod write;

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use axum::routing::get;

use crate::api::state::ApiState;

const STYLE: &str = include_str!("console/console.css");

/// What every console page is sent with.
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
                   frame-ancestors 'none'; base-uri 'none'";

/// The console's routes.
pub fn router(state: Arc<ApiState>) -> Router<Arc<ApiState>> {
    Router::new()
        .route("/office/", get(today::today))
        .route(
            "/office/topics/new",
            get(topics::new_topic).post(topics::take_in),
        )
        .route("/office/topics/{id}", get(gate::topic))
        .route("/office/topics/accept", axum::routing::post(gate::accept))
        .route("/office/topics/decline", axum::routing::post(gate::decline))
        .route("/office/topics/refer", axum::routing::post(gate::refer))
        .route("/office/topics/approve", axum::routing::post(gate::approve))
        .route("/office/topics/mediate", axum::routing::post(gate::mediate))
        .route(
            "/office/topics/oversee",
            axum::routing::post(oversight::oversee),
        )
        .route(
            "/office/topics/designate",
            axum::routing::post(oversight::designate),
        )
        .route(
            "/office/topics/progress",
            axum::routing::post(carry_out::progress),
        )
        .route(
            "/office/topics/supervise",
            axum::routing::post(carry_out::supervise),
        )
        .route(
            "/office/topics/followup",
            axum::routing::post(carry_out::followup),
        )
        .route(
            "/office/topics/evaluate",
            axum::routing::post(carry_out::evaluate),
        )
        .route(
            "/office/meetings/new",
            get(meetings::new_meeting).post(meetings::schedule),
        )
        .route("/office/meetings/step", axum::routing::post(meetings::step))
        .route(
            "/office/meetings/brief",
            axum::routing::post(briefing::brief)
                .layer(axum::extract::DefaultBodyLimit::max(briefing::BODY_BYTES)),
        )
        .route(
            "/office/meetings/outcome",
            axum::routing::post(meetings::outcome),
        )
        .route("/office/meetings/{id}", get(meetings::meeting))
        .route("/office/setup", get(setup::setup))
        .route(
            "/office/setup/participant",
            axum::routing::post(setup::participant),
        )
        .route(
            "/office/setup/catalogue",
            axum::routing::post(setup::catalogue),
        )
        .route("/office/matters", get(matters::matters))
        .route(
            "/office/matters/intake",
            axum::routing::post(matters::intake),
        )
        .route(
            "/office/matters/coordinate",
            axum::routing::post(matters::coordinate),
        )
        .route(
            "/office/matters/redispatch",
            axum::routing::post(matters::redispatch),
        )
        .route(
            "/office/matters/decide",
            axum::routing::post(matters::decide),
        )
        .route(
            "/office/matters/dispatch",
            axum::routing::post(matters::dispatch),
        )
        .route(
            "/office/matters/resolve",
            axum::routing::post(matters::resolve),
        )
        .route(
            "/office/topics/escalate",
            axum::routing::post(matters::escalate),
        )
        .route("/office/notices", get(notices::notices))
        .route(
            "/office/notices/correct",
            axum::routing::post(notices::correct),
        )
        .route("/office/assignments", get(joint::assignments))
        .route("/office/assignments/send", axum::routing::post(joint::send))
        .route(
            "/office/assignments/reply",
            axum::routing::post(joint::reply),
        )
        .route("/office/joint", get(joint::joint))
        .route("/office/joint/member", axum::routing::post(joint::member))
        .route("/office/joint/study", axum::routing::post(joint::study))
        .route("/office/offices", get(offices::offices))
        .route("/office/offices/admit", axum::routing::post(offices::admit))
        .route(
            "/office/offices/revoke",
            axum::routing::post(offices::revoke),
        )
        .route(
            "/office/offices/department",
            axum::routing::post(offices::department),
        )
        .route("/office/audit", get(audit::audit))
        .route("/office/concerns", get(concerns::concerns))
        .route(
            "/office/concerns/answer",
            axum::routing::post(concerns::answer),
        )
        .route("/office/concerns/join", axum::routing::post(concerns::join))
        .route("/office/clients", get(clients::clients))
        .route("/office/clients/issue", axum::routing::post(clients::issue))
        .route(
            "/office/clients/revoke",
            axum::routing::post(clients::revoke),
        )
        .route("/office/rounds", get(rounds::rounds))
        .route("/office/rounds/open", axum::routing::post(rounds::open))
        .route("/office/rounds/close", axum::routing::post(rounds::close))
        .route("/office/rounds/{id}", get(rounds::round))
        .route("/office/rounds/{id}/cards", get(rounds::cards))
        .route(
            "/office/login",
            get(sign_in::login_page).post(sign_in::login),
        )
        .route("/office/logout", axum::routing::post(sign_in::logout))
        .route(
            "/office/password",
            get(sign_in::password_page).post(sign_in::password),
        )
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
