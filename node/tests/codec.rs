//! Peer messages from a later release: the request-response codecs read a
//! message carrying fields this build does not know as the message it knows,
//! the extra fields ignored rather than refused (docs/LEDGER.md,
//! "Compatibility"); a known field with the wrong wire type is still refused.

use futures::executor::block_on;
use futures::io::Cursor;
use libp2p::StreamProtocol;
use libp2p::request_response::Codec;
use prost::Message;
use prost::encoding::{WireType, encode_key, encode_varint};
use yiyi_node::net::{EscalateCodec, SyncCodec, WitnessCodec};
use yiyi_protocol::proto::{
    EscalationDelivery, EscalationReceipt, SyncRequest, SyncResponse, WitnessRequest,
    WitnessResponse,
};

/// `message` as a later release might send it: with fields 40 (text) and 41
/// (a number) after its own, framed with its length.
fn framed_with_more(message: &impl Message) -> Vec<u8> {
    let mut bytes = message.encode_to_vec();
    encode_key(40, WireType::LengthDelimited, &mut bytes);
    encode_varint(6, &mut bytes);
    bytes.extend_from_slice("新字".as_bytes());
    encode_key(41, WireType::Varint, &mut bytes);
    encode_varint(300, &mut bytes);
    let mut framed = (bytes.len() as u32).to_be_bytes().to_vec();
    framed.extend_from_slice(&bytes);
    framed
}

fn protocol() -> StreamProtocol {
    StreamProtocol::new("/yiyi/test/1")
}

/// Reads `request` and `response` through `codec`, each with fields added
/// as a later release might send them: each reads as itself.
macro_rules! reads_with_more {
    ($codec:expr, $request:expr, $response:expr) => {{
        let mut codec = $codec;
        let request = $request;
        let read =
            block_on(codec.read_request(&protocol(), &mut Cursor::new(framed_with_more(&request))))
                .expect("a request with more fields is read");
        assert_eq!(read, request);
        let response = $response;
        let read = block_on(
            codec.read_response(&protocol(), &mut Cursor::new(framed_with_more(&response))),
        )
        .expect("a response with more fields is read");
        assert_eq!(read, response);
    }};
}

#[test]
fn a_later_release_s_extra_fields_are_ignored_in_every_peer_message() {
    reads_with_more!(
        SyncCodec::default(),
        SyncRequest {
            log: vec![7; 32],
            from: 3,
            limit: 256,
            entry: vec![9; 32]
        },
        SyncResponse {
            entries: vec![vec![1, 2, 3]],
            checkpoint: "yiyi/lixia\n4\nroot\n".into(),
            size: 4,
            log: vec![7; 32],
            lineage: vec![vec![8; 32]]
        }
    );
    reads_with_more!(
        WitnessCodec::default(),
        WitnessRequest {
            body: b"old 0\n\ncheckpoint".to_vec()
        },
        WitnessResponse {
            status: 200,
            body: "— yiyi/lixia abc".into()
        }
    );
    reads_with_more!(
        EscalateCodec::default(),
        EscalationDelivery {
            entry: vec![9; 40],
            inclusion_proof: vec![vec![1; 32]],
            checkpoint: "yiyi/lixia/quancheng\n1\nroot\n".into()
        },
        EscalationReceipt {
            receipt_entry: vec![5; 10],
            refused: String::new()
        }
    );
}

#[test]
fn a_known_field_of_the_wrong_type_is_still_refused() {
    // SyncRequest.from (2) sent as text.
    let mut bytes = Vec::new();
    encode_key(2, WireType::LengthDelimited, &mut bytes);
    encode_varint(3, &mut bytes);
    bytes.extend_from_slice(b"ten");
    let mut framed = (bytes.len() as u32).to_be_bytes().to_vec();
    framed.extend_from_slice(&bytes);
    let error = block_on(SyncCodec::default().read_request(&protocol(), &mut Cursor::new(framed)))
        .expect_err("refused");
    assert!(error.to_string().contains("from"), "{error}");
}
