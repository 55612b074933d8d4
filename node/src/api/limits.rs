//! Limits on what the public can make the HTTP API do (限流), so that a
//! node on the open internet keeps serving its office and its peers under
//! a flood: per-IP request rates, a bound on requests in flight, a time
//! limit on each, and a cap on request bodies. The limits on connections
//! themselves (how many, how slow) are applied where they are accepted, in
//! [`super::serve`].
//!
//! The office itself (a request carrying the node's token) is never
//! limited: a flood from the same address, even from loopback, must not
//! lock the office out of its own node.

use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::sync::Semaphore;

/// The limits of the public API.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Requests per second each IP address may make, on average.
    pub per_ip_per_second: f64,
    /// Requests an IP address may make at once before the rate applies.
    pub per_ip_burst: f64,
    /// Public requests being answered at once, all addresses together.
    pub in_flight: usize,
    /// How long one request may take.
    pub timeout: Duration,
    /// The largest request body, in bytes.
    pub body_bytes: usize,
    /// How long a connection may take to send a request's headers (also
    /// the longest a kept-alive connection may sit idle).
    pub header_timeout: Duration,
    /// Connections one IP address may hold open at once.
    pub connections_per_ip: usize,
    /// Connections open at once, all addresses together.
    pub connections: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            // A board page asks for each notice's bundle (and a consistency
            // proof) at once: a resident opening it must not be limited.
            per_ip_per_second: 50.0,
            per_ip_burst: 200.0,
            in_flight: 64,
            timeout: Duration::from_secs(10),
            body_bytes: 256 * 1024,
            header_timeout: Duration::from_secs(10),
            // A browser opens at most 6 per host; 64 leaves room for a
            // community centre's residents behind one address.
            connections_per_ip: 64,
            connections: 1024,
        }
    }
}

/// Addresses remembered at most; past it, the idlest are forgotten (a
/// forgotten address starts again with a full burst, which is harmless).
const MAX_ADDRESSES: usize = 10_000;

/// The limiter's state, shared by the requests.
pub struct Limiter {
    limits: Limits,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
    in_flight: Semaphore,
    refused: AtomicU64,
    /// The connections open now (each [`Slot`] counts one).
    pub(super) connections: Mutex<OpenConnections>,
    /// Connections closed at once for being over a connection limit.
    pub(super) connections_refused: AtomicU64,
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Limiter {
    /// A limiter with these limits.
    pub fn new(limits: Limits) -> Limiter {
        Limiter {
            limits,
            buckets: Mutex::new(HashMap::new()),
            in_flight: Semaphore::new(limits.in_flight),
            refused: AtomicU64::new(0),
            connections: Mutex::default(),
            connections_refused: AtomicU64::new(0),
        }
    }

    /// The limits in force.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Public requests refused so far (rate or in-flight limit).
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }

    /// Connections closed at once so far for being over a connection limit.
    pub fn connections_refused(&self) -> u64 {
        self.connections_refused.load(Ordering::Relaxed)
    }

    /// Connections open now.
    pub fn connections_open(&self) -> usize {
        self.connections
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .total()
    }

    /// Takes one request from `ip`'s bucket; false when it is empty.
    fn admit(&self, ip: IpAddr) -> bool {
        take(
            &self.buckets,
            ip,
            self.limits.per_ip_per_second,
            self.limits.per_ip_burst,
        )
    }

    /// Answers a public request with `answer` if the limits allow it: the
    /// rate of its address, the requests in flight, and the time it may
    /// take; else with a refusal saying why. (The office's requests do not
    /// come here: see the API's middleware.)
    pub(super) async fn public(
        &self,
        ip: IpAddr,
        answer: impl Future<Output = Response>,
    ) -> Response {
        if !self.admit(ip) {
            self.refused.fetch_add(1, Ordering::Relaxed);
            return refuse(
                StatusCode::TOO_MANY_REQUESTS,
                "too many requests from your address: wait a second and try again",
            );
        }
        let Ok(_permit) = self.in_flight.try_acquire() else {
            self.refused.fetch_add(1, Ordering::Relaxed);
            return refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "the node is busy: try again in a moment",
            );
        };
        match tokio::time::timeout(self.limits.timeout, answer).await {
            Ok(response) => response,
            Err(_) => refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "the request took too long and was stopped",
            ),
        }
    }
}

/// Takes one token from `ip`'s bucket in `buckets` (refilled at `rate` a
/// second up to `burst`); false when it is empty. Past [`MAX_ADDRESSES`]
/// the idlest addresses are forgotten.
fn take(buckets: &Mutex<HashMap<IpAddr, Bucket>>, ip: IpAddr, rate: f64, burst: f64) -> bool {
    let now = Instant::now();
    let mut buckets = buckets.lock().unwrap_or_else(|e| e.into_inner());
    if buckets.len() >= MAX_ADDRESSES && !buckets.contains_key(&ip) {
        let idle = Duration::from_secs_f64(burst / rate);
        buckets.retain(|_, b| now.duration_since(b.at) < idle);
        if buckets.len() >= MAX_ADDRESSES {
            buckets.clear();
        }
    }
    let bucket = buckets.entry(ip).or_insert(Bucket {
        tokens: burst,
        at: now,
    });
    let refill = now.duration_since(bucket.at).as_secs_f64() * rate;
    bucket.tokens = (bucket.tokens + refill).min(burst);
    bucket.at = now;
    if bucket.tokens >= 1.0 {
        bucket.tokens -= 1.0;
        true
    } else {
        false
    }
}

/// A small allowance per address over a long time, for what the public
/// may do only now and then: raise a concern, miss a receipt code.
pub struct Quota {
    per_hour: f64,
    burst: f64,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

impl Quota {
    /// `burst` at once, then `per_hour` an hour, per address.
    pub fn new(per_hour: f64, burst: f64) -> Quota {
        Quota {
            per_hour,
            burst,
            buckets: Mutex::default(),
        }
    }

    /// Takes one from `ip`'s allowance; false when it is spent.
    pub fn take(&self, ip: IpAddr) -> bool {
        take(&self.buckets, ip, self.per_hour / 3600.0, self.burst)
    }

    /// Whether `ip` has any allowance left, without taking from it.
    pub fn peek(&self, ip: IpAddr) -> bool {
        let buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        buckets.get(&ip).is_none_or(|b| {
            let refill = b.at.elapsed().as_secs_f64() * self.per_hour / 3600.0;
            (b.tokens + refill).min(self.burst) >= 1.0
        })
    }
}

fn refuse(status: StatusCode, message: &str) -> Response {
    let mut response = (
        status,
        axum::Json(serde_json::json!({"error": "limited", "message": message})),
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    response
}

/// One open connection counted against its address and the total; given
/// back when dropped, however the connection ends.
pub(super) struct Slot {
    limiter: Arc<Limiter>,
    ip: IpAddr,
}

impl Slot {
    /// A slot for a new connection from `ip`, if the limits allow one.
    /// Over a limit, the refusal is counted.
    pub(super) fn take(limiter: &Arc<Limiter>, ip: IpAddr) -> Option<Slot> {
        let limits: Limits = limiter.limits();
        let mut open = limiter
            .connections
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let total: usize = open.total;
        let mine = open.per_ip.get(&ip).copied().unwrap_or(0);
        if total >= limits.connections || mine >= limits.connections_per_ip {
            limiter.connections_refused.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        open.total += 1;
        *open.per_ip.entry(ip).or_default() += 1;
        Some(Slot {
            limiter: limiter.clone(),
            ip,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self
            .limiter
            .connections
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        open.total -= 1;
        if let Some(mine) = open.per_ip.get_mut(&self.ip) {
            *mine -= 1;
            if *mine == 0 {
                open.per_ip.remove(&self.ip);
            }
        }
    }
}

/// The connections open now, by address.
#[derive(Debug, Default)]
pub(super) struct OpenConnections {
    total: usize,
    per_ip: HashMap<IpAddr, usize>,
}

impl OpenConnections {
    /// Connections open now, all addresses together.
    pub(super) fn total(&self) -> usize {
        self.total
    }
}
