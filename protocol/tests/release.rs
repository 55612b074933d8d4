//! Release numbers and the schema a release reads.

use prost::Message;
use yiyi_protocol::proto;
use yiyi_protocol::release::{RECORD_KINDS, Release};

#[test]
fn releases_parse_print_and_order() {
    let r: Release = "0.2.0".parse().unwrap();
    assert_eq!(r.to_string(), "0.2.0");
    assert!("0.10.0".parse::<Release>().unwrap() > "0.9.3".parse().unwrap());
    assert!("1.0.0".parse::<Release>().unwrap() > "0.99.99".parse().unwrap());
    assert_eq!(
        "0.3.0-rc.1".parse::<Release>().unwrap(),
        "0.3.0".parse().unwrap()
    );
    for bad in ["", "0.2", "0.2.0.1", "v0.2.0", "0.-1.0", "0.2.x", "0..1"] {
        assert!(bad.parse::<Release>().is_err(), "{bad:?}");
    }
    assert_eq!(Release::current().to_string(), env!("CARGO_PKG_VERSION"));
    assert_eq!(
        Release::from_agent(&Release::current().agent()),
        Some(Release::current())
    );
    assert_eq!(Release::from_agent("rust-libp2p/0.47.0"), None);
}

/// The kinds `--version` lists are exactly the ones this schema decodes: a
/// lone empty body field of each listed number is read, and the next number
/// is not.
#[test]
fn the_listed_record_kinds_are_the_schemas() {
    let decodes = |tag: u32| {
        let mut bytes = Vec::new();
        prost::encoding::encode_key(tag, prost::encoding::WireType::LengthDelimited, &mut bytes);
        bytes.push(0);
        proto::Entry::decode(bytes.as_slice())
            .unwrap()
            .body
            .is_some()
    };
    for (tag, name) in RECORD_KINDS {
        assert!(decodes(*tag), "{name} ({tag})");
    }
    let last = RECORD_KINDS.last().unwrap().0;
    assert!(!decodes(last + 1));
    assert_eq!(RECORD_KINDS.len() as u32, last - RECORD_KINDS[0].0 + 1);
    assert!(Release::current().describe().contains("office-profile"));
}

/// Every record kind added after the first release (0.1.0 read kinds 10–30)
/// names the release that reads it, so that older nodes can say so; the
/// first release's kinds need none.
#[test]
fn every_kind_after_the_first_release_names_its_reader() {
    for (tag, name) in RECORD_KINDS {
        let mut bytes = Vec::new();
        prost::encoding::encode_key(*tag, prost::encoding::WireType::LengthDelimited, &mut bytes);
        bytes.push(0);
        let body = proto::Entry::decode(bytes.as_slice())
            .unwrap()
            .body
            .unwrap();
        let reader = yiyi_protocol::entry::reader_version(&body);
        if *tag <= 30 {
            assert_eq!(reader, "", "{name}");
        } else {
            let release: Release = reader.parse().unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(
                release <= Release::current(),
                "{name} is read from {release}"
            );
        }
    }
}
