//! Files an office publishes beside its ledger (政策宣讲材料): kept by their
//! SHA-256, which the ledger commits to (a `Briefing` record), and served
//! as they are. Stored durably before the record that names them is
//! written, so a record never names a file the node lost.

use sha2::{Digest, Sha256};

use super::{Store, StoreError};

/// The sled tree of files.
const TREE: &str = "files";

impl Store {
    /// Keeps `bytes` of `media_type`; returns their SHA-256. Keeping the
    /// same bytes again changes nothing.
    pub fn put_file(&self, bytes: &[u8], media_type: &str) -> Result<[u8; 32], StoreError> {
        let sha: [u8; 32] = Sha256::digest(bytes).into();
        let tree = self.inner.db.open_tree(TREE)?;
        if tree.get(sha)?.is_none() {
            let mut value = Vec::with_capacity(1 + media_type.len() + bytes.len());
            value.push(media_type.len().min(255) as u8);
            value.extend_from_slice(&media_type.as_bytes()[..media_type.len().min(255)]);
            value.extend_from_slice(bytes);
            tree.insert(sha, value)?;
            tree.flush()?;
        }
        Ok(sha)
    }

    /// The file with this SHA-256, if kept: its media type and bytes.
    pub fn file(&self, sha: &[u8; 32]) -> Result<Option<(String, Vec<u8>)>, StoreError> {
        let tree = self.inner.db.open_tree(TREE)?;
        let Some(value) = tree.get(sha)? else {
            return Ok(None);
        };
        let length = usize::from(*value.first().unwrap_or(&0));
        let media_type = value
            .get(1..1 + length)
            .map(|t| String::from_utf8_lossy(t).into_owned())
            .unwrap_or_default();
        let bytes = value.get(1 + length..).unwrap_or_default().to_vec();
        Ok(Some((media_type, bytes)))
    }
}
