//! How a request reached the node, as the console's cookies and sign-in
//! and the board's absolute links need to know it.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;

use super::state::ApiState;

/// How a request reached the node: over HTTPS — the node's own, or a TLS
/// proxy's on this machine that says so (`X-Forwarded-Proto: https`; from
/// anywhere else the header proves nothing) — and whether from this
/// machine at a loopback name, as a browser judges a secure context (a
/// browser on this machine that opens the node by a network name is
/// treated as any other).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Transport {
    /// Over HTTPS.
    pub(crate) secure: bool,
    /// From this machine, at a loopback name.
    pub(crate) local: bool,
}

impl<S: Send + Sync> FromRequestParts<S> for Transport {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let from_here = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .is_some_and(|c| c.0.ip().is_loopback());
        let proxied = from_here
            && parts
                .headers
                .get("x-forwarded-proto")
                .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"));
        let own = parts.extensions.get::<crate::api::Https>().is_some();
        let host = parts
            .headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.parse::<axum::http::uri::Authority>().ok());
        let loopback_name = host.is_some_and(|a| {
            let name = a.host().trim_start_matches('[').trim_end_matches(']');
            name == "localhost"
                || name.ends_with(".localhost")
                || name
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        });
        Ok(Transport {
            secure: own || proxied,
            local: from_here && loopback_name,
        })
    }
}

impl Transport {
    /// Whether staff may sign in this way: over HTTPS, from this machine,
    /// or anywhere when the operator allowed it for a closed network.
    pub(crate) fn may_sign_in(self, state: &ApiState) -> bool {
        self.secure || self.local || state.allow_insecure_login
    }
}
