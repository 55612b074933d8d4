//! A small HTTPS client for the tests of the node's own TLS: it completes a
//! real handshake (the server's signature checked with ring), accepts
//! whatever certificate is served — the node's are self-signed — and says
//! which one it was, so that a test asserts the certificate by its
//! SHA-256 fingerprint, as a person compares it by eye.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::DigitallySignedStruct;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use sha2::{Digest, Sha256};

/// Accepts any certificate, remembering its fingerprint; checks the
/// handshake's signatures.
#[derive(Debug)]
struct Recording {
    provider: Arc<CryptoProvider>,
    served: Mutex<Option<String>>,
}

impl ServerCertVerifier for Recording {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        *self.served.lock().unwrap() = Some(fingerprint(end_entity));
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// `AA:BB:…`: a certificate's SHA-256, as `yiyi-node tls self-signed`
/// prints it.
pub fn fingerprint(der: &[u8]) -> String {
    Sha256::digest(der)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// What one HTTPS request got: the certificate served, and the response
/// (head and body, as text).
pub struct Answer {
    /// The served certificate's fingerprint.
    pub certificate: String,
    /// The whole response.
    pub response: String,
}

/// Roots for a ureq agent that trust the PEM certificate at `path`: an
/// HTTPS node's self-signed certificate, as `yiyi --cacert` does.
pub fn roots(path: &std::path::Path) -> ureq::tls::RootCerts {
    let pem = std::fs::read(path).expect("the certificate to trust");
    let certificates: Vec<_> = ureq::tls::parse_pem(&pem)
        .filter_map(|item| match item {
            Ok(ureq::tls::PemItem::Certificate(c)) => Some(c),
            _ => None,
        })
        .collect();
    assert!(!certificates.is_empty(), "no certificate in {path:?}");
    ureq::tls::RootCerts::from(certificates)
}

/// A TLS connection from this client.
pub type Stream = rustls::StreamOwned<rustls::ClientConnection, TcpStream>;

/// Starts TLS over `socket`, naming `host` in SNI, accepting whatever
/// certificate is served; the handshake happens with the first read or
/// write (or [`handshake`]). Returns the stream and the verifier that
/// remembers the certificate.
fn start(socket: TcpStream, host: &str) -> Result<(Stream, Arc<Recording>), String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = Arc::new(Recording {
        provider: provider.clone(),
        served: Mutex::new(None),
    });
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(verifier.clone())
        .with_no_client_auth();
    let name = ServerName::try_from(host.to_owned()).map_err(|e| e.to_string())?;
    let connection =
        rustls::ClientConnection::new(Arc::new(config), name).map_err(|e| e.to_string())?;
    Ok((rustls::StreamOwned::new(connection, socket), verifier))
}

/// TLS over `socket` (naming `host`), the handshake done: what an attacker
/// holds once the node has let it in.
pub fn handshake(socket: TcpStream, host: &str) -> Result<Stream, String> {
    let (mut stream, _) = start(socket, host)?;
    while stream.conn.is_handshaking() {
        stream
            .conn
            .complete_io(&mut stream.sock)
            .map_err(|e| e.to_string())?;
    }
    Ok(stream)
}

/// `GET path` over HTTPS from `address` (`127.0.0.1:port`), naming `host`
/// in SNI and the Host header.
pub fn get(address: &str, host: &str, path: &str) -> Result<Answer, String> {
    let socket = TcpStream::connect(address).map_err(|e| e.to_string())?;
    socket
        .set_read_timeout(Some(Duration::from_secs(15)))
        .map_err(|e| e.to_string())?;
    let (mut tls, verifier) = start(socket, host)?;
    write!(
        tls,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| e.to_string())?;
    let mut response = Vec::new();
    // A server that closes without close_notify ends the read with an
    // error after the bytes: keep what came.
    let _ = tls.read_to_end(&mut response);
    let certificate = verifier
        .served
        .lock()
        .unwrap()
        .clone()
        .ok_or("no certificate was served")?;
    Ok(Answer {
        certificate,
        response: String::from_utf8_lossy(&response).into_owned(),
    })
}
