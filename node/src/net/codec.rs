//! Framing for yiyi's request-response protocols (`/yiyi/sync/1`,
//! `/yiyi/witness/1`, `/yiyi/escalate/1`): a 4-byte big-endian length, then a protobuf message,
//! with hard caps so that a peer cannot make the node read or allocate
//! without bound.

use std::io;
use std::marker::PhantomData;

use futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use libp2p::StreamProtocol;
use libp2p::request_response::Codec;
use prost::Message;
use yiyi_protocol::proto::{
    EscalationDelivery, EscalationReceipt, SyncRequest, SyncResponse, WitnessRequest,
    WitnessResponse,
};

/// Largest sync request read.
pub const MAX_REQUEST_BYTES: usize = 1024;
/// Largest sync response read.
pub const MAX_RESPONSE_BYTES: usize = 4 * 1024 * 1024;
/// Largest witness request or response read.
pub const MAX_WITNESS_BYTES: usize = yiyi_protocol::witness::MAX_REQUEST_BYTES + 64;

/// Largest escalation delivery or receipt read: an entry, a proof of at
/// most 64 hashes and a checkpoint fit many times over.
pub const MAX_ESCALATION_BYTES: usize = 64 * 1024;

/// A length-prefixed protobuf codec with a size cap each way.
#[derive(Debug)]
pub struct Framed<Req, Resp> {
    max_request: usize,
    max_response: usize,
    _messages: PhantomData<fn() -> (Req, Resp)>,
}

impl<Req, Resp> Clone for Framed<Req, Resp> {
    fn clone(&self) -> Self {
        Framed {
            max_request: self.max_request,
            max_response: self.max_response,
            _messages: PhantomData,
        }
    }
}

/// The sync protocol's codec.
pub type SyncCodec = Framed<SyncRequest, SyncResponse>;
/// The witness protocol's codec.
pub type WitnessCodec = Framed<WitnessRequest, WitnessResponse>;

/// The escalation protocol's codec.
pub type EscalateCodec = Framed<EscalationDelivery, EscalationReceipt>;

impl Default for EscalateCodec {
    fn default() -> EscalateCodec {
        Framed::new(MAX_ESCALATION_BYTES, MAX_ESCALATION_BYTES)
    }
}

impl Default for SyncCodec {
    fn default() -> SyncCodec {
        Framed::new(MAX_REQUEST_BYTES, MAX_RESPONSE_BYTES)
    }
}

impl Default for WitnessCodec {
    fn default() -> WitnessCodec {
        Framed::new(MAX_WITNESS_BYTES, MAX_WITNESS_BYTES)
    }
}

impl<Req, Resp> Framed<Req, Resp> {
    /// A codec reading at most these many bytes per request and response.
    pub fn new(max_request: usize, max_response: usize) -> Self {
        Framed {
            max_request,
            max_response,
            _messages: PhantomData,
        }
    }
}

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

impl<Req, Resp> Codec for Framed<Req, Resp>
where
    Req: Message + Default + Send + 'static,
    Resp: Message + Default + Send + 'static,
{
    type Protocol = StreamProtocol;
    type Request = Req;
    type Response = Resp;

    async fn read_request<T: AsyncRead + Unpin + Send>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
    ) -> io::Result<Req> {
        read_framed(io, self.max_request).await
    }

    async fn read_response<T: AsyncRead + Unpin + Send>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
    ) -> io::Result<Resp> {
        read_framed(io, self.max_response).await
    }

    async fn write_request<T: AsyncWrite + Unpin + Send>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        request: Req,
    ) -> io::Result<()> {
        write_framed(io, &request, self.max_request).await
    }

    async fn write_response<T: AsyncWrite + Unpin + Send>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        response: Resp,
    ) -> io::Result<()> {
        write_framed(io, &response, self.max_response).await
    }
}
