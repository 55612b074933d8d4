//! Ed25519 keys written the way C2SP signed notes write them (密钥).
//!
//! A verifier key reads `name+keyid+base64(type || public key)` and a secret
//! key `PRIVATE+KEY+name+keyid+base64(type || seed)`, exactly as Go's
//! `golang.org/x/mod/sumdb/note` writes them, so keys printed on a notice
//! board can be checked with existing tools. The key ID is the first four bytes
//! of `SHA-256(name || "\n" || type || public key)`.

use std::fmt;

use base64::Engine;

use crate::BASE64;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

/// Signature type byte of an Ed25519 note signer (C2SP signed-note).
pub const ALG_ED25519: u8 = 0x01;
/// Signature type byte of an Ed25519 checkpoint cosigner (C2SP tlog-cosignature).
pub const ALG_COSIGNATURE_V1: u8 = 0x04;

const SECRET_PREFIX: &str = "PRIVATE+KEY+";

/// A key that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// Key names must be non-empty with no spaces and no `+`.
    #[error("invalid key name {0:?}: a name must be non-empty, without spaces or '+'")]
    InvalidName(String),
    /// The text is not `name+keyid+base64`.
    #[error("malformed key: expected name+keyid+base64 ({0})")]
    Malformed(&'static str),
    /// The key ID does not match the name and key.
    #[error("key ID {given:08x} does not match the key (it should be {computed:08x})")]
    WrongKeyId {
        /// The ID written in the key.
        given: u32,
        /// The ID computed from name and key.
        computed: u32,
    },
    /// An algorithm this software does not know.
    #[error(
        "unsupported key type 0x{0:02x}: yiyi uses Ed25519 (0x01) and Ed25519 cosignatures (0x04)"
    )]
    UnknownAlgorithm(u8),
    /// Not a valid Ed25519 public key, or a weak (small-order) one.
    #[error("not a usable Ed25519 public key")]
    BadPublicKey,
    /// Could not get randomness from the operating system.
    #[error("the operating system gave no randomness: {0}")]
    Randomness(String),
}

/// Whether `name` may name a key: non-empty, no Unicode space, no `+`.
pub fn is_valid_name(name: &str) -> bool {
    !name.is_empty() && !name.contains(char::is_whitespace) && !name.contains('+')
}

/// Why a public host and office cannot name a ledger's origin.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OriginError {
    /// Not a DNS host name.
    #[error(
        "{0:?} is not a host name (lower-case letters, digits, '-' and '.', at least one dot, an optional :port; no scheme, no path)"
    )]
    Host(String),
    /// The office part is empty, or holds a space or a '+'.
    #[error("{0:?} cannot name a ledger: an origin has no spaces and no '+'")]
    Office(String),
}

/// The origin of an office's ledger under a host the office controls:
/// `host/office`, a scheme-less URL (C2SP tlog-checkpoint's advice), e.g.
/// `gongshi.lixia.example/shunyu`. Witnesses and monitors key logs by
/// origin, so two federations' `yiyi/舜玉社区` would collide; a host is
/// unique. `office` is the office's short name (or its name).
pub fn public_origin(host: &str, office: &str) -> Result<String, OriginError> {
    let (name, port) = match host.split_once(':') {
        Some((name, port)) => (name, Some(port)),
        None => (host, None),
    };
    let label_ok = |l: &str| {
        !l.is_empty()
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    let port_ok = |p: &str| p.parse::<u16>().is_ok_and(|p| p > 0) && !p.starts_with('0');
    if !(name.contains('.') && name.split('.').all(label_ok) && port.is_none_or(port_ok)) {
        return Err(OriginError::Host(host.to_owned()));
    }
    let office = office.trim_matches('/');
    let origin = format!("{host}/{office}");
    if office.is_empty() || !is_valid_name(&origin) {
        return Err(OriginError::Office(office.to_owned()));
    }
    Ok(origin)
}

/// `SHA-256(name || "\n" || alg || public key)[..4]`, big-endian.
pub fn key_id(name: &str, alg: u8, public: &[u8; 32]) -> u32 {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update([alg]);
    h.update(public);
    let digest = h.finalize();
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
}

fn split_key(text: &str) -> Result<(&str, u32, Vec<u8>), KeyError> {
    // Only the first two '+' separate: standard base64 may itself contain '+'.
    let (name, rest) = text.split_once('+').ok_or(KeyError::Malformed("no '+'"))?;
    let (id, b64) = rest
        .split_once('+')
        .ok_or(KeyError::Malformed("no key ID"))?;
    if !is_valid_name(name) {
        return Err(KeyError::InvalidName(name.into()));
    }
    if id.len() != 8 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(KeyError::Malformed("the key ID is not 8 hex digits"));
    }
    let id = u32::from_str_radix(id, 16).map_err(|_| KeyError::Malformed("bad key ID"))?;
    let bytes = BASE64
        .decode(b64)
        .map_err(|_| KeyError::Malformed("the key is not base64"))?;
    if bytes.is_empty() {
        return Err(KeyError::Malformed("empty key"));
    }
    Ok((name, id, bytes))
}

fn public_key(bytes: &[u8; 32]) -> Result<VerifyingKey, KeyError> {
    let key = VerifyingKey::from_bytes(bytes).map_err(|_| KeyError::BadPublicKey)?;
    if key.is_weak() {
        return Err(KeyError::BadPublicKey);
    }
    Ok(key)
}

/// A named Ed25519 signing key (a node's ledger key, which is also its libp2p
/// identity). Its `Debug` form never shows the secret.
#[derive(Clone)]
pub struct SecretKey {
    name: String,
    key: SigningKey,
    public: VerifyingKey,
}

impl SecretKey {
    /// A fresh key from the operating system's randomness.
    pub fn generate(name: &str) -> Result<SecretKey, KeyError> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| KeyError::Randomness(e.to_string()))?;
        SecretKey::from_seed(name, seed)
    }

    /// The key with this 32-byte Ed25519 seed.
    pub fn from_seed(name: &str, seed: [u8; 32]) -> Result<SecretKey, KeyError> {
        if !is_valid_name(name) {
            return Err(KeyError::InvalidName(name.into()));
        }
        let key = SigningKey::from_bytes(&seed);
        Ok(SecretKey {
            name: name.into(),
            public: key.verifying_key(),
            key,
        })
    }

    /// Parses `PRIVATE+KEY+name+keyid+base64(0x01 || seed)`.
    pub fn parse(text: &str) -> Result<SecretKey, KeyError> {
        let rest = text
            .trim_end_matches(['\n', '\r'])
            .strip_prefix(SECRET_PREFIX)
            .ok_or(KeyError::Malformed("a secret key starts with PRIVATE+KEY+"))?;
        let (name, id, bytes) = split_key(rest)?;
        if bytes[0] != ALG_ED25519 {
            return Err(KeyError::UnknownAlgorithm(bytes[0]));
        }
        let seed: [u8; 32] = bytes[1..]
            .try_into()
            .map_err(|_| KeyError::Malformed("an Ed25519 seed is 32 bytes"))?;
        let key = SecretKey::from_seed(name, seed)?;
        let computed = key_id(name, ALG_ED25519, key.public_bytes());
        if computed != id {
            return Err(KeyError::WrongKeyId {
                given: id,
                computed,
            });
        }
        Ok(key)
    }

    /// The secret key in C2SP form. Write it only to a file of mode 0600.
    pub fn to_secret_string(&self) -> String {
        let mut bytes = vec![ALG_ED25519];
        bytes.extend_from_slice(self.key.as_bytes());
        format!(
            "{SECRET_PREFIX}{}+{:08x}+{}",
            self.name,
            self.id(),
            BASE64.encode(bytes)
        )
    }

    /// The key's name (for a log, its checkpoint origin).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key ID of the note-signing verifier key.
    pub fn id(&self) -> u32 {
        key_id(&self.name, ALG_ED25519, self.public_bytes())
    }

    /// The 32-byte Ed25519 seed, for deriving the libp2p identity.
    pub fn seed(&self) -> [u8; 32] {
        self.key.to_bytes()
    }

    /// The raw public key.
    pub fn public_bytes(&self) -> &[u8; 32] {
        self.public.as_bytes()
    }

    /// The log this key signs.
    pub fn log_key(&self) -> LogKey {
        LogKey(*self.public.as_bytes())
    }

    /// The verifier key that checks this key's note signatures.
    pub fn verifier(&self) -> VerifierKey {
        VerifierKey {
            name: self.name.clone(),
            alg: ALG_ED25519,
            key: self.public,
        }
    }

    /// The verifier key that checks this key's checkpoint cosignatures.
    pub fn cosigner(&self) -> VerifierKey {
        VerifierKey {
            alg: ALG_COSIGNATURE_V1,
            ..self.verifier()
        }
    }

    /// Signs `message` as it is; callers add their domain-separation prefix.
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.key.sign(message).to_bytes()
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SecretKey({}+{:08x}, secret hidden)",
            self.name,
            self.id()
        )
    }
}

/// A named Ed25519 public key with its signature type: `name+keyid+base64`.
#[derive(Clone, PartialEq, Eq)]
pub struct VerifierKey {
    name: String,
    alg: u8,
    key: VerifyingKey,
}

impl VerifierKey {
    /// Parses `name+keyid+base64(type || public key)`, type 0x01 or 0x04.
    pub fn parse(text: &str) -> Result<VerifierKey, KeyError> {
        let (name, id, bytes) = split_key(text.trim())?;
        let alg = bytes[0];
        if alg != ALG_ED25519 && alg != ALG_COSIGNATURE_V1 {
            return Err(KeyError::UnknownAlgorithm(alg));
        }
        let public: [u8; 32] = bytes[1..]
            .try_into()
            .map_err(|_| KeyError::Malformed("an Ed25519 public key is 32 bytes"))?;
        let computed = key_id(name, alg, &public);
        if computed != id {
            return Err(KeyError::WrongKeyId {
                given: id,
                computed,
            });
        }
        Ok(VerifierKey {
            name: name.into(),
            alg,
            key: public_key(&public)?,
        })
    }

    /// The same key as a C2SP cosigner (tlog-cosignature v1), which is how
    /// a witness's cosignatures are checked.
    pub fn to_cosigner(&self) -> VerifierKey {
        VerifierKey {
            alg: ALG_COSIGNATURE_V1,
            ..self.clone()
        }
    }

    /// A note-signing verifier key for a raw Ed25519 public key.
    pub fn from_public(name: &str, public: &[u8; 32]) -> Result<VerifierKey, KeyError> {
        if !is_valid_name(name) {
            return Err(KeyError::InvalidName(name.into()));
        }
        Ok(VerifierKey {
            name: name.into(),
            alg: ALG_ED25519,
            key: public_key(public)?,
        })
    }

    /// The key's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key ID.
    pub fn id(&self) -> u32 {
        key_id(&self.name, self.alg, self.key.as_bytes())
    }

    /// The signature type: [`ALG_ED25519`] or [`ALG_COSIGNATURE_V1`].
    pub fn alg(&self) -> u8 {
        self.alg
    }

    /// Whether this key checks checkpoint cosignatures rather than signatures.
    pub fn is_cosigner(&self) -> bool {
        self.alg == ALG_COSIGNATURE_V1
    }

    /// The raw public key.
    pub fn public_bytes(&self) -> &[u8; 32] {
        self.key.as_bytes()
    }

    /// The log this key signs.
    pub fn log_key(&self) -> LogKey {
        LogKey(*self.key.as_bytes())
    }

    /// Strict Ed25519 verification (`verify_strict`) of `signature` over
    /// `message` as it is.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        let Ok(signature) = Signature::from_slice(signature) else {
            return false;
        };
        self.key.verify_strict(message, &signature).is_ok()
    }
}

impl fmt::Display for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut bytes = vec![self.alg];
        bytes.extend_from_slice(self.key.as_bytes());
        write!(
            f,
            "{}+{:08x}+{}",
            self.name,
            self.id(),
            BASE64.encode(bytes)
        )
    }
}

impl fmt::Debug for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VerifierKey({self})")
    }
}

impl std::str::FromStr for VerifierKey {
    type Err = KeyError;

    fn from_str(s: &str) -> Result<VerifierKey, KeyError> {
        VerifierKey::parse(s)
    }
}
/// A log key (台账公钥): the Ed25519 public key an office signs its ledger
/// with, which names its log everywhere (the store, the federation, peer
/// messages, the API). Shown as 64 hex digits; parsed from those or from a
/// verifier key (`name+keyid+base64`).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct LogKey(pub [u8; 32]);

impl std::ops::Deref for LogKey {
    type Target = [u8; 32];

    fn deref(&self) -> &[u8; 32] {
        &self.0
    }
}

impl std::borrow::Borrow<[u8; 32]> for LogKey {
    fn borrow(&self) -> &[u8; 32] {
        &self.0
    }
}

impl AsRef<[u8]> for LogKey {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl From<[u8; 32]> for LogKey {
    fn from(bytes: [u8; 32]) -> LogKey {
        LogKey(bytes)
    }
}

impl TryFrom<&[u8]> for LogKey {
    type Error = std::array::TryFromSliceError;

    fn try_from(bytes: &[u8]) -> Result<LogKey, Self::Error> {
        Ok(LogKey(bytes.try_into()?))
    }
}

impl TryFrom<Vec<u8>> for LogKey {
    type Error = Vec<u8>;

    fn try_from(bytes: Vec<u8>) -> Result<LogKey, Vec<u8>> {
        <[u8; 32]>::try_from(bytes).map(LogKey)
    }
}

impl PartialEq<[u8]> for LogKey {
    fn eq(&self, other: &[u8]) -> bool {
        self.0.as_slice() == other
    }
}

impl PartialEq<LogKey> for &[u8] {
    fn eq(&self, other: &LogKey) -> bool {
        *self == other.0.as_slice()
    }
}

impl fmt::Display for LogKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for LogKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LogKey({self})")
    }
}

/// A text that is neither a verifier key nor 64 hex digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is neither a verifier key nor a 64-digit hex log key")]
pub struct NotALogKey(pub String);

impl std::str::FromStr for LogKey {
    type Err = NotALogKey;

    fn from_str(text: &str) -> Result<LogKey, NotALogKey> {
        if let Ok(key) = VerifierKey::parse(text) {
            return Ok(key.log_key());
        }
        hex::decode(text)
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .map(LogKey)
            .ok_or_else(|| NotALogKey(text.to_owned()))
    }
}
