//! HTTPS served by the node itself (rustls with ring): a browser gives a
//! page WebCrypto only in a secure context, so a resident's phone can check
//! a notice on the board only over HTTPS, and staff passwords must not
//! travel in clear.
//!
//! The certificate chain and key are read from PEM files and checked before
//! the node serves anything — the key must be the certificate's, the
//! certificate must be valid now — and a [`Certs`] resolver hands each new
//! connection the certificate of the moment: [`watch`] re-reads the files
//! when they change or on SIGHUP, so a renewed certificate needs no restart
//! (one that fails the checks is logged and the old one kept).
//! [`self_signed`] makes a certificate for trying it on a closed network.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use sha2::{Digest, Sha256};
use tokio_rustls::TlsAcceptor;
use yiyi_protocol::rules::Date;

/// How often [`watch`] looks at the files for a change.
const POLL: Duration = Duration::from_secs(2);

/// Where the certificate chain and its key are (PEM).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsFiles {
    /// The certificate, then any intermediates.
    pub cert: PathBuf,
    /// The certificate's private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

/// Why a certificate and key will not be served.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The certificate file cannot be read as PEM certificates.
    #[error("cannot read the certificate {}: {reason}", path.display())]
    Cert {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The key file cannot be read as a PEM private key.
    #[error("cannot read the private key {}: {reason}", path.display())]
    Key {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The key is not the certificate's.
    #[error(
        "the private key {} does not belong to the certificate {} (give the key the certificate was issued for)",
        key.display(),
        cert.display()
    )]
    Mismatch {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
    },
    /// The certificate is not valid now.
    #[error("the certificate {} is valid from {from} to {until} (UTC); it is not valid now", path.display())]
    NotValidNow {
        /// The file.
        path: PathBuf,
        /// Its notBefore, as a date.
        from: Date,
        /// Its notAfter, as a date.
        until: Date,
    },
    /// The certificate cannot be made into a self-signed one, or written.
    #[error("cannot make the certificate: {0}")]
    Make(String),
}

/// The certificate served to each new connection, replaceable while the
/// node runs.
#[derive(Debug)]
pub struct Certs(RwLock<Arc<CertifiedKey>>);

impl Certs {
    fn now(&self) -> Arc<CertifiedKey> {
        self.0.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn replace(&self, with: CertifiedKey) {
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(with);
    }
}

impl ResolvesServerCert for Certs {
    fn resolve(&self, _: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.now())
    }
}

/// The cryptography the node's TLS uses: ring's (already built for
/// libp2p's noise; no other C library in the static binary).
fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Reads and checks `files`: PEM, a key that matches the certificate, a
/// certificate valid at `now`.
pub fn load(files: &TlsFiles, now: SystemTime) -> Result<CertifiedKey, TlsError> {
    let cert_error = |reason: String| TlsError::Cert {
        path: files.cert.clone(),
        reason,
    };
    let chain = CertificateDer::pem_file_iter(&files.cert)
        .map_err(|e| cert_error(e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| cert_error(e.to_string()))?;
    let Some(leaf) = chain.first() else {
        return Err(cert_error("it holds no certificate".into()));
    };
    let (from, until) =
        validity(leaf).ok_or_else(|| cert_error("not an X.509 certificate".into()))?;
    let seconds = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    if seconds < from || seconds > until {
        let day = |s: i64| Date::from_days_since_epoch(s.div_euclid(86_400));
        return Err(TlsError::NotValidNow {
            path: files.cert.clone(),
            from: day(from),
            until: day(until),
        });
    }
    let key = PrivateKeyDer::from_pem_file(&files.key).map_err(|e| TlsError::Key {
        path: files.key.clone(),
        reason: e.to_string(),
    })?;
    let mismatch = || TlsError::Mismatch {
        cert: files.cert.clone(),
        key: files.key.clone(),
    };
    let certified = CertifiedKey::from_der(chain, key, &provider()).map_err(|_| mismatch())?;
    certified.keys_match().map_err(|_| mismatch())?;
    Ok(certified)
}

/// The acceptor for `certs`, speaking HTTP/1.1.
pub fn acceptor(certs: Arc<Certs>) -> Result<TlsAcceptor, TlsError> {
    let mut config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Make(e.to_string()))?
        .with_no_client_auth()
        .with_cert_resolver(certs);
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// The resolver serving `first` until [`watch`] replaces it.
pub fn certs(first: CertifiedKey) -> Arc<Certs> {
    Arc::new(Certs(RwLock::new(Arc::new(first))))
}

/// When each file last changed, to notice a renewal.
fn stamps(files: &TlsFiles) -> Option<(SystemTime, SystemTime, u64)> {
    let cert = std::fs::metadata(&files.cert).ok()?;
    let key = std::fs::metadata(&files.key).ok()?;
    Some((
        cert.modified().ok()?,
        key.modified().ok()?,
        cert.len() ^ key.len(),
    ))
}

/// Re-reads `files` into `certs` when they change (looked at every
/// [`POLL`]) or on SIGHUP, until `stop` resolves. A renewal is often two
/// writes (the certificate, then the key): a pair that does not match yet
/// is kept waiting for the next look, the old certificate served meanwhile.
pub async fn watch(
    files: TlsFiles,
    certs: Arc<Certs>,
    stop: impl std::future::Future<Output = ()>,
) {
    let mut hangup = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
        Ok(hangup) => Some(hangup),
        Err(e) => {
            tracing::warn!(error = %e, "SIGHUP cannot be caught: certificates are re-read when they change");
            None
        }
    };
    let mut stop = std::pin::pin!(stop);
    let mut seen = stamps(&files);
    loop {
        let asked = tokio::select! {
            () = &mut stop => return,
            () = tokio::time::sleep(POLL) => false,
            Some(()) = async {
                match hangup.as_mut() {
                    Some(h) => h.recv().await,
                    None => std::future::pending().await,
                }
            } => true,
        };
        let now = stamps(&files);
        if !asked && now == seen {
            continue;
        }
        match load(&files, SystemTime::now()) {
            Ok(renewed) => {
                certs.replace(renewed);
                seen = now;
                tracing::info!(cert = %files.cert.display(), "serving the certificate re-read from disk");
            }
            Err(e) => {
                // Logged once per change, not every poll.
                seen = now;
                tracing::error!(error = %e, "kept serving the previous certificate");
            }
        }
    }
}

/// What a certificate is known by: the SHA-256 of the certificate (to
/// compare by eye, as browsers show it) and the base64 SHA-256 of its
/// public key (what Chromium's `--ignore-certificate-errors-spki-list`
/// and HPKP-style pins take).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprints {
    /// `AA:BB:…`, 32 bytes.
    pub certificate: String,
    /// Base64 of the SubjectPublicKeyInfo's SHA-256.
    pub public_key: String,
}

/// The fingerprints of `certified`'s leaf certificate.
pub fn fingerprints(certified: &CertifiedKey) -> Fingerprints {
    use base64::Engine;
    let leaf = certified
        .cert
        .first()
        .map(|c| c.as_ref())
        .unwrap_or_default();
    let certificate = Sha256::digest(leaf)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":");
    let spki = certified
        .key
        .public_key()
        .map(|spki| Sha256::digest(spki.as_ref()).to_vec())
        .unwrap_or_default();
    Fingerprints {
        certificate,
        public_key: base64::engine::general_purpose::STANDARD.encode(spki),
    }
}

/// A self-signed certificate for `names` (host names or IP addresses; the
/// first is its common name), valid for `days` from today, written to
/// `files` (the key readable by its owner only); its fingerprints.
pub fn self_signed(
    names: &[String],
    days: u32,
    files: &TlsFiles,
) -> Result<Fingerprints, TlsError> {
    let make = |e: &dyn std::fmt::Display| TlsError::Make(e.to_string());
    let Some(name) = names.first() else {
        return Err(make(&"no name to make a certificate for"));
    };
    // Each name an IP address or a DNS name, as rcgen tells them apart.
    let mut params = rcgen::CertificateParams::new(names.to_vec()).map_err(|e| make(&e))?;
    // Dates in UTC, as certificates have them: `days` 0 makes one that
    // ended at today's start (for trying the refusal of an expired one).
    let today = Date::from_days_since_epoch(crate::now_ms().div_euclid(86_400_000));
    let end = today.plus_days(i64::from(days));
    params.not_before = rcgen::date_time_ymd(today.year, today.month as u8, today.day as u8)
        - Duration::from_secs(24 * 3600);
    params.not_after = rcgen::date_time_ymd(end.year, end.month as u8, end.day as u8);
    let mut distinguished = rcgen::DistinguishedName::new();
    distinguished.push(rcgen::DnType::CommonName, name.as_str());
    params.distinguished_name = distinguished;
    let key = rcgen::KeyPair::generate().map_err(|e| make(&e))?;
    let cert = params.self_signed(&key).map_err(|e| make(&e))?;
    std::fs::write(&files.cert, cert.pem()).map_err(|e| make(&e))?;
    crate::config::write_private(&files.key, &key.serialize_pem()).map_err(|e| make(&e))?;
    let certified = CertifiedKey::from_der(
        vec![cert.der().clone()],
        PrivateKeyDer::from_pem_file(&files.key).map_err(|e| make(&e))?,
        &provider(),
    )
    .map_err(|e| make(&e))?;
    Ok(fingerprints(&certified))
}

/// A DER element: its tag, its content, and what follows it.
fn element(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (length, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 || rest.len() < count {
            return None;
        }
        let length = rest[..count]
            .iter()
            .fold(0usize, |n, b| (n << 8) | usize::from(*b));
        (length, &rest[count..])
    };
    (rest.len() >= length).then(|| (tag, &rest[..length], &rest[length..]))
}

/// An X.509 time (UTCTime or GeneralizedTime, `…Z`) as seconds since the
/// epoch.
fn time(tag: u8, text: &[u8]) -> Option<i64> {
    let text = std::str::from_utf8(text).ok()?.strip_suffix('Z')?;
    let (year, rest) = match tag {
        0x17 if text.len() == 12 => {
            let yy: i32 = text[..2].parse().ok()?;
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, &text[2..])
        }
        0x18 if text.len() == 14 => (text[..4].parse().ok()?, &text[4..]),
        _ => return None,
    };
    let date = Date::parse(&format!("{year:04}-{}-{}", &rest[..2], &rest[2..4])).ok()?;
    let number = |at: usize| rest.get(at..at + 2)?.parse::<i64>().ok();
    Some(date.days_since_epoch() * 86_400 + number(4)? * 3600 + number(6)? * 60 + number(8)?)
}

/// A certificate's validity (notBefore, notAfter) in seconds since the
/// epoch, read from its DER: rustls never checks the certificate it serves.
fn validity(der: &[u8]) -> Option<(i64, i64)> {
    let (0x30, certificate, _) = element(der)? else {
        return None;
    };
    let (0x30, tbs, _) = element(certificate)? else {
        return None;
    };
    let mut rest = tbs;
    // [0] version (optional), serial number, signature algorithm, issuer.
    if rest.first() == Some(&0xa0) {
        rest = element(rest)?.2;
    }
    for _ in 0..3 {
        rest = element(rest)?.2;
    }
    let (0x30, validity, _) = element(rest)? else {
        return None;
    };
    let (tag, from, after) = element(validity)?;
    let (until_tag, until, _) = element(after)?;
    Some((time(tag, from)?, time(until_tag, until)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn files(dir: &Path, name: &str) -> TlsFiles {
        TlsFiles {
            cert: dir.join(format!("{name}.crt")),
            key: dir.join(format!("{name}.key")),
        }
    }

    #[test]
    fn a_self_signed_certificate_loads_and_its_validity_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let files = files(dir.path(), "board");
        let printed = self_signed(&["board.shunyu.example".into()], 30, &files).unwrap();
        let loaded = load(&files, SystemTime::now()).unwrap();
        assert_eq!(fingerprints(&loaded), printed);
        assert_eq!(printed.certificate.len(), 32 * 3 - 1);
        let (from, until) = validity(loaded.cert[0].as_ref()).unwrap();
        assert!(until - from > 29 * 86_400 && until - from < 33 * 86_400);
        // Past its end it is refused, saying when it was valid.
        let later = SystemTime::now() + Duration::from_secs(40 * 86_400);
        let refused = load(&files, later).unwrap_err();
        assert!(matches!(refused, TlsError::NotValidNow { .. }), "{refused}");
    }

    #[test]
    fn a_key_that_is_not_the_certificate_s_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let one = files(dir.path(), "one");
        let two = files(dir.path(), "two");
        self_signed(&["one.example".into()], 30, &one).unwrap();
        self_signed(&["two.example".into()], 30, &two).unwrap();
        let crossed = TlsFiles {
            cert: one.cert.clone(),
            key: two.key.clone(),
        };
        let refused = load(&crossed, SystemTime::now()).unwrap_err();
        assert!(matches!(refused, TlsError::Mismatch { .. }), "{refused}");
        let not_pem = TlsFiles {
            cert: one.key.clone(),
            key: one.key.clone(),
        };
        assert!(matches!(
            load(&not_pem, SystemTime::now()).unwrap_err(),
            TlsError::Cert { .. }
        ));
    }

    #[test]
    fn x509_times_are_read_in_both_forms() {
        assert_eq!(time(0x17, b"700101000000Z"), Some(0));
        assert_eq!(time(0x18, b"20261205123000Z"), Some(1_796_473_800));
        assert_eq!(time(0x17, b"491231235959Z"), Some(2_524_607_999));
        assert_eq!(time(0x17, b"7001010000Z"), None);
        assert_eq!(element(&[0x30, 0x82, 0x00]), None);
    }
}
