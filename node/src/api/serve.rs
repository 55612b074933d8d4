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
//!
//! Over HTTPS the TLS handshake is read within the same
//! [`Limits::header_timeout`] as the first request's headers: a client that
//! trickles its hello is a slowloris too. Every response then says
//! `Strict-Transport-Security`, and each request carries [`Https`].

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::ConnectInfo;
use axum::http::{HeaderValue, header};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

use super::limits::Slot;
use super::state::ApiState;

/// The largest request head (request line and headers) a client may send;
/// a larger one is answered 431. Hyper's smallest allowed buffer is 8 KiB.
pub(super) const MAX_HEADER_BYTES: usize = 16 * 1024;

/// How long open connections get to finish their requests once the node
/// is stopping.
const DRAIN: Duration = Duration::from_secs(10);

/// What browsers are told once the node serves HTTPS: only HTTPS here, for
/// a year.
const HSTS: &str = "max-age=31536000";

/// Marks a request that came over the node's own HTTPS (a request
/// extension): session cookies are then `Secure`.
#[derive(Clone, Copy, Debug)]
pub struct Https;

/// Serves `router` on `listener` until `shutdown` resolves, then lets open
/// connections finish their requests (for at most [`DRAIN`]).
pub(super) async fn run(
    listener: TcpListener,
    router: axum::Router,
    state: Arc<ApiState>,
    tls: Option<TlsAcceptor>,
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
        // A response goes out in more than one write over TLS (records);
        // with Nagle's algorithm the second waits for the client's delayed
        // ACK, 40 ms a request (measured by consolebench --https).
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(%client, error = %e, "TCP_NODELAY not set");
        }
        let connection = Connection {
            router: router.clone(),
            client,
            header_timeout: limits.header_timeout,
            stop: stop.clone(),
        };
        let tls = tls.clone();
        tokio::spawn(async move {
            let _slot = slot;
            match tls {
                None => connection.serve(stream, Instant::now(), false).await,
                Some(acceptor) => {
                    let started = Instant::now();
                    let handshake =
                        tokio::time::timeout(connection.header_timeout, acceptor.accept(stream));
                    match handshake.await {
                        Ok(Ok(stream)) => connection.serve(stream, started, true).await,
                        Ok(Err(e)) => tracing::trace!(%client, error = %e, "TLS handshake failed"),
                        Err(_) => tracing::trace!(%client, "TLS handshake too slow"),
                    }
                }
            }
        });
    }
    let _ = stopping.send(true);
    drop(stop);
    let _ = tokio::time::timeout(DRAIN, stopping.closed()).await;
    Ok(())
}

/// One accepted connection's HTTP, over TCP or TLS.
struct Connection {
    router: axum::Router,
    client: SocketAddr,
    header_timeout: Duration,
    stop: watch::Receiver<bool>,
}

impl Connection {
    /// Serves requests on `stream` until the client is done or the node is
    /// stopping; the headers of each must arrive within what is left of the
    /// header timeout counted from `started` (the TLS handshake's start).
    async fn serve<S>(mut self, stream: S, started: Instant, https: bool)
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let (router, client) = (self.router.clone(), self.client);
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            // What `into_make_service_with_connect_info` would insert: the
            // request limits are per client address.
            request.extensions_mut().insert(ConnectInfo(client));
            if https {
                request.extensions_mut().insert(Https);
            }
            let router = router.clone();
            async move {
                let mut response = router.oneshot(request).await?;
                if https {
                    response.headers_mut().insert(
                        header::STRICT_TRANSPORT_SECURITY,
                        HeaderValue::from_static(HSTS),
                    );
                }
                Ok::<_, std::convert::Infallible>(response)
            }
        });
        let left = self
            .header_timeout
            .saturating_sub(started.elapsed())
            .max(Duration::from_millis(1));
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(left)
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
            _ = self.stop.wait_for(|stopping| *stopping) => {}
        }
        connection.as_mut().graceful_shutdown();
        let _ = tokio::time::timeout(DRAIN, connection).await;
    }
}
