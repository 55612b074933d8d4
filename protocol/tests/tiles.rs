//! C2SP tlog-tiles: one spelling per path, the tiles a size has, bundles,
//! and a tree rebuilt from tiles that agrees with the tree it came from.

use yiyi_protocol::merkle::{self, MemoryTree};
use yiyi_protocol::tiles::{
    self, TILE_WIDTH, TileDataError, TileHashes, TileId, TileKind, TilePathError,
};

#[test]
fn paths_are_written_as_the_spec_writes_them() {
    for (tile, path) in [
        (TileId::hashes(0, 0, 256), "tile/0/000"),
        (TileId::hashes(4, 1_234_067, 1), "tile/4/x001/x234/067.p/1"),
        (TileId::hashes(4, 1_234_067, 256), "tile/4/x001/x234/067"),
        (TileId::hashes(1, 999, 255), "tile/1/999.p/255"),
        (TileId::hashes(63, 1000, 256), "tile/63/x001/000"),
        (TileId::entries(5, 256), "tile/entries/005"),
        (
            TileId::entries(1_000_000, 17),
            "tile/entries/x001/x000/000.p/17",
        ),
    ] {
        assert_eq!(tile.path(), path);
        assert_eq!(TileId::parse(path), Ok(tile), "{path}");
    }
    for index in [0, 1, 999, 1000, 1001, 999_999, 1_000_000, u64::MAX] {
        for width in [1, 128, 255, 256] {
            let tile = TileId::hashes(2, index, width);
            assert_eq!(TileId::parse(&tile.path()), Ok(tile));
        }
    }
}

#[test]
fn other_spellings_are_refused() {
    for (path, canonical) in [
        ("tile/00/000", false),
        ("tile/64/000", false),
        ("tile/0/x000/001", false),
        ("tile/0/000.p/0", false),
        ("tile/0/000.p/256", false),
        ("tile/0/000.p/07", false),
        ("tile/entries/000.p/00", false),
    ] {
        let refused = TileId::parse(path).unwrap_err();
        assert_eq!(
            matches!(refused, TilePathError::Form(_)),
            canonical,
            "{path}: {refused}"
        );
    }
    for path in [
        "",
        "tile/",
        "tile/0",
        "tile/0/",
        "tile/0/0",
        "tile/0/0000",
        "tile/0/001/002",
        "tile/0/x1234/000",
        "tile/0/000/",
        "tile/0/000.p/",
        "tile/0/000.p/1/2",
        "tile/x/000",
        "tile/-1/000",
        "tile/0/+01",
        "tile/data/000",
        "tiles/0/000",
        "tile/0/x018/x446/x744/x073/x709/x551/616",
    ] {
        assert!(
            matches!(TileId::parse(path), Err(TilePathError::Form(_))),
            "{path}"
        );
    }
}

#[test]
fn a_tree_has_the_tiles_of_its_size_and_no_more() {
    assert!(tiles::tiles_for(0).is_empty());
    assert_eq!(tiles::tiles_for(1), [TileId::hashes(0, 0, 1)]);
    assert_eq!(
        tiles::tiles_for(256),
        [TileId::hashes(0, 0, 256), TileId::hashes(1, 0, 1)]
    );
    let size = 256 * 256 + 3 * 256 + 7;
    let all = tiles::tiles_for(size);
    assert_eq!(all.len(), 260 + 2 + 1);
    assert!(all.contains(&TileId::hashes(0, 259, 7)));
    assert!(all.contains(&TileId::hashes(1, 1, 3)));
    assert!(all.contains(&TileId::hashes(2, 0, 1)));
    assert_eq!(tiles::bundles_for(size).len(), 260);
    for tile in &all {
        assert!(tiles::exists(tile, size), "{tile}");
    }
    // A partial tile of a smaller tree stays; one wider than the tree is not
    // there, nor a full tile of a partial level, nor one past the end.
    assert!(tiles::exists(&TileId::hashes(0, 259, 1), size));
    assert!(!tiles::exists(&TileId::hashes(0, 259, 8), size));
    assert!(!tiles::exists(&TileId::hashes(0, 259, 256), size));
    assert!(!tiles::exists(&TileId::hashes(0, 260, 1), size));
    assert!(!tiles::exists(&TileId::hashes(2, 0, 2), size));
    assert!(!tiles::exists(&TileId::hashes(3, 0, 1), size));
    assert!(!tiles::exists(&TileId::entries(259, 8), size));
    assert!(!tiles::exists(&TileId::hashes(63, u64::MAX, 256), u64::MAX));
}

#[test]
fn tiles_rebuild_the_tree_they_came_from() {
    let tree = MemoryTree::from_leaves((0..70_000u32).map(|i| i.to_be_bytes()));
    for size in [1, 2, 255, 256, 257, 511, 65_535, 65_536, 65_537, 70_000] {
        let mut fetched = TileHashes::new(size);
        for tile in tiles::tiles_for(size) {
            let TileKind::Hashes(level) = tile.kind else {
                unreachable!()
            };
            let hashes = tiles::read_hashes(&tree, level, tile.index, tile.width).unwrap();
            let bytes = tiles::encode_hashes(&hashes);
            assert_eq!(bytes.len(), 32 * usize::from(tile.width));
            fetched.insert(
                level,
                tile.index,
                tiles::decode_hashes(&bytes, tile.width).unwrap(),
            );
        }
        let root = merkle::range_root(&tree, 0, size).unwrap();
        assert_eq!(fetched.root(size).unwrap(), root, "size {size}");
        for index in [0, size / 2, size - 1] {
            let leaf = merkle::leaf_hash(&(index as u32).to_be_bytes());
            assert_eq!(fetched.leaf(index).unwrap(), leaf);
            let proof = merkle::inclusion_proof(&fetched, index, size).unwrap();
            merkle::verify_inclusion(index, size, &leaf, &proof, &root).unwrap();
        }
    }
    // A tile left out is named.
    let empty = TileHashes::new(300);
    assert_eq!(
        empty.root(300).unwrap_err().to_string(),
        "the tile tile/1/000 is missing"
    );
}

#[test]
fn bundles_carry_each_entry_with_its_length() {
    let entries: Vec<Vec<u8>> = vec![
        b"a".to_vec(),
        vec![],
        "议一议 🏘".as_bytes().to_vec(),
        vec![7; 65_535],
    ];
    let bundle = tiles::encode_bundle(&entries).unwrap();
    assert_eq!(&bundle[..3], [0, 1, b'a']);
    assert_eq!(&bundle[3..5], [0, 0]);
    let decoded = tiles::decode_bundle(&bundle, 4).unwrap();
    assert_eq!(
        decoded,
        entries.iter().map(Vec::as_slice).collect::<Vec<_>>()
    );
    assert!(matches!(
        tiles::decode_bundle(&bundle, 5),
        Err(TileDataError::Bundle(_))
    ));
    assert!(matches!(
        tiles::decode_bundle(&bundle[..bundle.len() - 1], 4),
        Err(TileDataError::Bundle(_))
    ));
    assert!(matches!(
        tiles::decode_bundle(&[0], 1),
        Err(TileDataError::Bundle(_))
    ));
    assert_eq!(
        tiles::encode_bundle(&[vec![0; 65_536]]),
        Err(TileDataError::EntryTooLarge(65_536))
    );
    assert_eq!(TILE_WIDTH, 256);
    assert!(matches!(
        tiles::decode_hashes(&[0; 33], 1),
        Err(TileDataError::Length { .. })
    ));
}
