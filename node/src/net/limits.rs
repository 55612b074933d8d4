//! Per-peer request limits: a peer may make so many requests a second; the
//! rest are dropped (the peer sees its request fail and retries later), so
//! one peer cannot keep the node busy serving it.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use libp2p::PeerId;

/// Counts each peer's requests in one-second windows.
#[derive(Debug)]
pub struct RateLimit {
    per_second: u32,
    windows: HashMap<PeerId, (Instant, u32)>,
}

impl RateLimit {
    /// At most `per_second` requests per peer per second.
    pub fn new(per_second: u32) -> RateLimit {
        RateLimit {
            per_second: per_second.max(1),
            windows: HashMap::new(),
        }
    }

    /// Whether `peer` may make one more request now.
    pub fn allow(&mut self, peer: PeerId) -> bool {
        let now = Instant::now();
        if self.windows.len() > 10_000 {
            // Forget idle peers rather than grow without bound.
            self.windows
                .retain(|_, (start, _)| now.duration_since(*start) < Duration::from_secs(1));
        }
        let (start, count) = self.windows.entry(peer).or_insert((now, 0));
        if now.duration_since(*start) >= Duration::from_secs(1) {
            *start = now;
            *count = 0;
        }
        *count += 1;
        *count <= self.per_second
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_peer_over_its_limit_is_refused_and_others_are_not() {
        let mut limit = RateLimit::new(3);
        let (a, b) = (PeerId::random(), PeerId::random());
        assert!((0..3).all(|_| limit.allow(a)));
        assert!(!limit.allow(a));
        assert!(limit.allow(b));
    }
}
