//! `/yiyi/sync/1` framing: a 4-byte big-endian length, then a protobuf
//! message, with hard caps so that a peer cannot make the node read or
//! allocate without bound.

use std::io;

use futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use libp2p::StreamProtocol;
use libp2p::request_response::Codec;
use prost::Message;
use yiyi_protocol::proto::{SyncRequest, SyncResponse};

/// Largest sync request read.
pub const MAX_REQUEST_BYTES: usize = 1024;
/// Largest sync response read.
pub const MAX_RESPONSE_BYTES: usize = 4 * 1024 * 1024;

/// The sync protocol's codec.
#[derive(Clone, Copy, Debug, Default)]
pub struct SyncCodec;

async fn read_framed<T: AsyncRead + Unpin + Send, M: Message + Default>(
    io: &mut T,
    max: usize,
) -> io::Result<M> {
    let mut length = [0u8; 4];
    io.read_exact(&mut length).await?;
    let length = u32::from_be_bytes(length) as usize;
    if length > max {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("a {length}-byte message is over the {max}-byte limit"),
        ));
    }
    let mut bytes = vec![0; length];
    io.read_exact(&mut bytes).await?;
    M::decode(bytes.as_slice()).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

async fn write_framed<T: AsyncWrite + Unpin + Send, M: Message>(
    io: &mut T,
    message: &M,
    max: usize,
) -> io::Result<()> {
    let bytes = message.encode_to_vec();
    if bytes.len() > max {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "message over the limit",
        ));
    }
    io.write_all(&(bytes.len() as u32).to_be_bytes()).await?;
    io.write_all(&bytes).await?;
    io.close().await
}

impl Codec for SyncCodec {
    type Protocol = StreamProtocol;
    type Request = SyncRequest;
    type Response = SyncResponse;

    async fn read_request<T: AsyncRead + Unpin + Send>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
    ) -> io::Result<SyncRequest> {
        read_framed(io, MAX_REQUEST_BYTES).await
    }

    async fn read_response<T: AsyncRead + Unpin + Send>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
    ) -> io::Result<SyncResponse> {
        read_framed(io, MAX_RESPONSE_BYTES).await
    }

    async fn write_request<T: AsyncWrite + Unpin + Send>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        request: SyncRequest,
    ) -> io::Result<()> {
        write_framed(io, &request, MAX_REQUEST_BYTES).await
    }

    async fn write_response<T: AsyncWrite + Unpin + Send>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        response: SyncResponse,
    ) -> io::Result<()> {
        write_framed(io, &response, MAX_RESPONSE_BYTES).await
    }
}
