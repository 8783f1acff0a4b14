//! The handshake rows' TLS client: rustls (over ring), with the server's certificate pinned.
//!
//! A TLS 1.3 client spends more CPU on a full handshake than the server: OpenSSL 3.0's client
//! (the [`crate::tls`] one) parses the server's certificate through its decoders (about 40 %
//! of its instructions under callgrind), verifies the chain and the server's ECDSA signature
//! and does the same X25519 exchange as the server, about 5.1-5.3 M instructions a handshake
//! against the server's 2.4 M. With one core for the server and one for the load generator,
//! such a client is the limit and the rate measured is its own. This one is cheaper:
//!
//! - the certificate is pinned: the server must send exactly the certificate made for the
//!   run, byte for byte, which is then neither parsed nor verified;
//! - the server's signature over the handshake (`CertificateVerify`) is not checked, only its
//!   scheme (ECDSA P-256 with SHA-256, what the certificate's key makes).
//!
//! Neither changes what the server does: it cannot tell, and signs every handshake as for any
//! client. What is given up is the proof that the peer holds the key, which a benchmark on
//! loopback, talking to the server it started on the port it chose, does not need. Everything
//! else is checked as before: TLS 1.3, [`CIPHER`] and [`GROUP`] (the only ones offered), a
//! full handshake (no session offered), and no session ticket sent (counted, as
//! [`crate::tls::TlsClient`] counts them).

use crate::tls::{CIPHER, GROUP};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{
    ClientSessionStore, Resumption, Tls12ClientSessionValue, Tls12Resumption,
    Tls13ClientSessionValue,
};
use rustls::crypto::ring as provider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CipherSuite, ClientConfig, ClientConnection, DigitallySignedStruct, NamedGroup,
    ProtocolVersion, SignatureScheme, StreamOwned,
};
use std::io;
use std::net::TcpStream;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The client config shared by every connection of a run.
#[derive(Clone, Debug)]
pub struct PinnedClient {
    config: Arc<ClientConfig>,
    tickets: Arc<Tickets>,
}

fn err(what: &str, e: impl std::fmt::Display) -> io::Error {
    io::Error::other(format!("{what}: {e}"))
}

impl PinnedClient {
    /// A client accepting only the certificate in `cert` (PEM, the first one in the file).
    pub fn new(cert: &Path) -> io::Result<PinnedClient> {
        let pem = std::fs::read(cert).map_err(|e| err(&cert.display().to_string(), e))?;
        let der = openssl::x509::X509::from_pem(&pem)
            .and_then(|c| c.to_der())
            .map_err(|e| err(&cert.display().to_string(), e))?;
        // Deprecated for having no post-quantum group; X25519 alone is what every row offers.
        #[allow(deprecated)]
        let mut crypto = provider::default_provider();
        crypto.cipher_suites = vec![provider::cipher_suite::TLS13_AES_128_GCM_SHA256];
        crypto.kx_groups = vec![provider::kx_group::X25519];
        let schemes = crypto.signature_verification_algorithms.supported_schemes();
        let tickets = Arc::new(Tickets::default());
        let mut config = ClientConfig::builder_with_provider(Arc::new(crypto))
            .with_protocol_versions(&[&rustls::version::TLS13])
            .map_err(|e| err("TLS", e))?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(Pin { der, schemes }))
            .with_no_client_auth();
        config.resumption = Resumption::store(tickets.clone() as Arc<dyn ClientSessionStore>)
            .tls12_resumption(Tls12Resumption::Disabled);
        Ok(PinnedClient {
            config: Arc::new(config),
            tickets,
        })
    }

    /// Session tickets received so far, by every connection of this client.
    pub fn tickets(&self) -> u64 {
        self.tickets.count.load(Ordering::Relaxed)
    }

    /// A full handshake over `stream` (blocking; its timeouts bound it), checking the version,
    /// cipher suite and group the server chose; returns the connection once done.
    pub fn connect(
        &self,
        stream: TcpStream,
    ) -> io::Result<StreamOwned<ClientConnection, TcpStream>> {
        // An IP address: no SNI is sent, as OpenSSL's client sends none for one.
        let name = ServerName::IpAddress(stream.peer_addr()?.ip().into());
        let conn =
            ClientConnection::new(Arc::clone(&self.config), name).map_err(|e| err("TLS", e))?;
        let mut s = StreamOwned::new(conn, stream);
        while s.conn.is_handshaking() {
            s.conn
                .complete_io(&mut s.sock)
                .map_err(|e| err("TLS handshake", e))?;
        }
        check(&s.conn)?;
        Ok(s)
    }
}

/// What the server chose must be what every row is measured with.
fn check(conn: &ClientConnection) -> io::Result<()> {
    let version = conn.protocol_version();
    let suite = conn.negotiated_cipher_suite().map(|s| s.suite());
    let group = conn.negotiated_key_exchange_group().map(|g| g.name());
    if version != Some(ProtocolVersion::TLSv1_3)
        || suite != Some(CipherSuite::TLS13_AES_128_GCM_SHA256)
        || group != Some(NamedGroup::X25519)
    {
        return Err(io::Error::other(format!(
            "the server chose {version:?} {suite:?} {group:?}, not TLSv1.3 {CIPHER} {GROUP}"
        )));
    }
    if conn.handshake_kind() != Some(rustls::HandshakeKind::Full) {
        return Err(io::Error::other("not a full handshake"));
    }
    Ok(())
}

/// The server's certificate must be `der`; its signature is not verified (module doc).
#[derive(Debug)]
struct Pin {
    der: Vec<u8>,
    schemes: Vec<SignatureScheme>,
}

impl ServerCertVerifier for Pin {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.der.as_slice() && intermediates.is_empty() {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(
                "the server's certificate is not the one made for the run".into(),
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        // TLS 1.2 is never offered.
        Err(rustls::Error::General("TLS 1.2".into()))
    }

    fn verify_tls13_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        if dss.scheme == SignatureScheme::ECDSA_NISTP256_SHA256 {
            Ok(HandshakeSignatureValid::assertion())
        } else {
            Err(rustls::Error::General(format!(
                "the server signed with {:?}, not ECDSA P-256",
                dss.scheme
            )))
        }
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.schemes.clone()
    }
}

/// A session store that keeps nothing and counts the tickets servers send.
#[derive(Debug, Default)]
struct Tickets {
    count: AtomicU64,
}

impl ClientSessionStore for Tickets {
    fn set_kx_hint(&self, _: ServerName<'static>, _: NamedGroup) {}
    fn kx_hint(&self, _: &ServerName<'_>) -> Option<NamedGroup> {
        None
    }
    fn set_tls12_session(&self, _: ServerName<'static>, _: Tls12ClientSessionValue) {}
    fn tls12_session(&self, _: &ServerName<'_>) -> Option<Tls12ClientSessionValue> {
        None
    }
    fn remove_tls12_session(&self, _: &ServerName<'static>) {}
    fn insert_tls13_ticket(&self, _: ServerName<'static>, _: Tls13ClientSessionValue) {
        self.count.fetch_add(1, Ordering::Relaxed);
    }
    fn take_tls13_ticket(&self, _: &ServerName<'static>) -> Option<Tls13ClientSessionValue> {
        None
    }
}
