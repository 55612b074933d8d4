//! The node's secret key on disk: one line in C2SP form, mode 0600.

use std::fs;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use yiyi_protocol::{KeyError, SecretKey};

/// Why a key file could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    /// The file system refused.
    #[error("{path}: {source}")]
    Io {
        /// The key file.
        path: String,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The file does not hold a secret key.
    #[error("{path}: {source}")]
    Key {
        /// The key file.
        path: String,
        /// What is wrong with the key.
        source: KeyError,
    },
}

/// Writes `key` to a new file (never overwriting one) readable only by its
/// owner.
pub fn write(path: &Path, key: &SecretKey) -> Result<(), KeyFileError> {
    let io = |source| KeyFileError::Io {
        path: path.display().to_string(),
        source,
    };
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(io)?;
    file.write_all(format!("{}\n", key.to_secret_string()).as_bytes())
        .map_err(io)?;
    file.sync_all().map_err(io)
}

/// Reads a secret key file.
pub fn read(path: &Path) -> Result<SecretKey, KeyFileError> {
    let text = fs::read_to_string(path).map_err(|source| KeyFileError::Io {
        path: path.display().to_string(),
        source,
    })?;
    SecretKey::parse(text.trim()).map_err(|source| KeyFileError::Key {
        path: path.display().to_string(),
        source,
    })
}
