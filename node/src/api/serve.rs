//! Serving the API over TCP: the accept loop, with the limits on
//! connections that `axum::serve` does not set.
//!
//! A client that opens connections and trickles its request headers a byte
//! at a time (slowloris) costs the node a socket and a task per connection
//! for as long as it likes, under any request limit, because no request is
//! ever complete. So each connection must finish its headers within
//! [`Limits::header_timeout`] (also while idle between keep-alive
//! requests), its headers fit in [`MAX_HEADER_BYTES`], and one address may
//! hold [`Limits::connections_per_ip`] connections and all addresses
//! together [`Limits::connections`]; past that a new connection is closed
//! at once, before anything is read from it.

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::ServiceExt;

use super::limits::Slot;
use super::state::ApiState;

/// The largest request head (request line and headers) a client may send;
/// a larger one is answered 431. Hyper's smallest allowed buffer is 8 KiB.
pub(super) const MAX_HEADER_BYTES: usize = 16 * 1024;

/// How long open connections get to finish their requests once the node
/// is stopping.
const DRAIN: Duration = Duration::from_secs(10);

/// Serves `router` on `listener` until `shutdown` resolves, then lets open
/// connections finish their requests (for at most [`DRAIN`]).
pub(super) async fn run(
    listener: TcpListener,
    router: axum::Router,
    state: Arc<ApiState>,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let limits = state.limiter.limits();
    let (stopping, stop) = watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, client) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors, or a connection reset before
                    // it was accepted: wait a moment rather than spin.
                    tracing::debug!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Some(slot) = Slot::take(&state.limiter, client.ip()) else {
            drop(stream);
            continue;
        };
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            // What `into_make_service_with_connect_info` would insert: the
            // request limits are per client address.
            request.extensions_mut().insert(ConnectInfo(client));
            router.clone().oneshot(request)
        });
        let mut stop = stop.clone();
        tokio::spawn(async move {
            let _slot = slot;
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_timeout)
                .max_buf_size(MAX_HEADER_BYTES);
            let connection = builder.serve_connection(TokioIo::new(stream), service);
            let mut connection = std::pin::pin!(connection);
            tokio::select! {
                result = connection.as_mut() => {
                    if let Err(e) = result {
                        tracing::trace!(%client, error = %e, "connection ended");
                    }
                    return;
                }
                _ = stop.wait_for(|stopping| *stopping) => {}
            }
            connection.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(DRAIN, connection).await;
        });
    }
    let _ = stopping.send(true);
    drop(stop);
    let _ = tokio::time::timeout(DRAIN, stopping.closed()).await;
    Ok(())
}
