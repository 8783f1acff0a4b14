//! `chat gen-cert`: test certificates through OpenSSL (the `openssl` crate, no `openssl`
//! command needed, so it works where only our static binaries are, as in the test VM).
//!
//! Two shapes, as the README's `openssl req` recipe makes them:
//! - **self-signed**: `server.pem` and `server.key`, a certificate a client trusts by being
//!   given that very file (`chat connect --tls --ca server.pem`);
//! - **a small test CA** (`--ca`): `ca.pem`/`ca.key`, `server.pem`/`server.key` signed by it,
//!   and for each `--client NAME` a client certificate `NAME.pem`/`NAME.key` whose common
//!   name is `NAME` (mutual TLS: it becomes the nick).
//!
//! Keys are ECDSA P-256 (PKCS#8 PEM, mode 0600), signatures SHA-256, serial numbers random.
//! The server certificate names every `--name` in its subjectAltName (a DNS name, or an IP
//! address when it parses as one), the first also as its common name. Existing files are
//! never overwritten unless `force`, and nothing is written unless every file can be.
//!
//! The building blocks ([`new_ca`], [`issue`], [`self_signed`]) are public for tests that
//! need a certificate the command line does not make, such as an expired one.

use openssl::asn1::Asn1Time;
use openssl::bn::{BigNum, MsbOption};
use openssl::ec::{EcGroup, EcKey};
use openssl::error::ErrorStack;
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::x509::extension::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectAlternativeName,
    SubjectKeyIdentifier,
};
use openssl::x509::{X509Builder, X509NameBuilder, X509};
use std::io::{self, Write};
use std::net::IpAddr;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// A certificate and its private key.
pub struct Credential {
    pub cert: X509,
    pub key: PKey<Private>,
}

/// When a certificate is valid: from `start` (seconds since the epoch) for `days` days.
#[derive(Debug, Clone, Copy)]
pub struct Validity {
    pub start: i64,
    pub days: u32,
}

impl Validity {
    /// `days` days from an hour ago (an hour's leeway for a peer whose clock is behind).
    pub fn days_from_now(days: u32) -> Validity {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        Validity {
            start: now - 3600,
            days,
        }
    }
}

/// What a certificate is for.
#[derive(Debug, Clone)]
pub enum Role {
    /// A TLS server known by these names (DNS names or IP addresses).
    Server(Vec<String>),
    /// A TLS client whose common name is this.
    Client(String),
}

/// What `chat gen-cert` makes (see the module's documentation).
#[derive(Debug, Clone)]
pub struct GenCertOptions {
    /// Where the files go (created if missing).
    pub dir: PathBuf,
    /// The server's names: DNS names or IP addresses.
    pub names: Vec<String>,
    /// A test CA signing the server's (and the clients') certificates, instead of a
    /// self-signed server certificate.
    pub ca: bool,
    /// Common names of client certificates to make (needs `ca`).
    pub clients: Vec<String>,
    pub validity: Validity,
    /// Overwrite files that exist.
    pub force: bool,
}

fn invalid(what: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, what)
}

fn ssl_error(what: &str, e: ErrorStack) -> io::Error {
    io::Error::other(format!("{what}: {e}"))
}

/// Whether `name` can go in a subjectAltName as a DNS name: letters, digits, `-`, `.`, and
/// a leading `*.` wildcard; nothing OpenSSL's extension syntax would read as more (`,`, `:`).
fn valid_dns_name(name: &str) -> bool {
    let rest = name.strip_prefix("*.").unwrap_or(name);
    !rest.is_empty()
        && name.len() <= 253
        && rest.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// Whether `name` is a client's common name chat takes as a nick, and a safe file name:
/// 1-24 of `A-Z a-z 0-9 _ -`, and not one of the CA's or the server's file names.
fn valid_client_name(name: &str) -> bool {
    (1..=24).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        && name != "ca"
        && name != "server"
}

/// A fresh ECDSA P-256 key.
fn new_key() -> Result<PKey<Private>, ErrorStack> {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1)?;
    PKey::from_ec_key(EcKey::generate(&group)?)
}

/// A certificate builder with everything but the extensions: a random serial number, the
/// subject `CN=cn` (also the issuer, until a CA's name replaces it), the validity, the public
/// key of `key`.
fn builder(cn: &str, validity: Validity, key: &PKey<Private>) -> Result<X509Builder, ErrorStack> {
    let mut b = X509Builder::new()?;
    b.set_version(2)?;
    let mut serial = BigNum::new()?;
    serial.rand(127, MsbOption::MAYBE_ZERO, false)?;
    let serial = serial.to_asn1_integer()?;
    b.set_serial_number(&serial)?;
    let mut name = X509NameBuilder::new()?;
    name.append_entry_by_nid(Nid::COMMONNAME, cn)?;
    let name = name.build();
    b.set_subject_name(&name)?;
    b.set_issuer_name(&name)?;
    let end = validity.start + i64::from(validity.days) * 86_400;
    let (from, until) = (
        Asn1Time::from_unix(validity.start)?,
        Asn1Time::from_unix(end)?,
    );
    b.set_not_before(&from)?;
    b.set_not_after(&until)?;
    b.set_pubkey(key)?;
    Ok(b)
}

/// A self-signed CA certificate named `cn`, which may sign end-entity certificates only.
pub fn new_ca(cn: &str, validity: Validity) -> Result<Credential, ErrorStack> {
    let key = new_key()?;
    let mut b = builder(cn, validity, &key)?;
    b.append_extension(BasicConstraints::new().critical().ca().pathlen(0).build()?)?;
    b.append_extension(
        KeyUsage::new()
            .critical()
            .key_cert_sign()
            .crl_sign()
            .build()?,
    )?;
    let ski = SubjectKeyIdentifier::new().build(&b.x509v3_context(None, None))?;
    b.append_extension(ski)?;
    b.sign(&key, MessageDigest::sha256())?;
    Ok(Credential {
        cert: b.build(),
        key,
    })
}

/// The end-entity extensions of `role`, then the signature: by `issuer`, or by the
/// certificate's own key when there is none (self-signed).
fn finish(
    mut b: X509Builder,
    role: &Role,
    key: PKey<Private>,
    issuer: Option<&Credential>,
) -> Result<Credential, ErrorStack> {
    b.append_extension(BasicConstraints::new().critical().build()?)?;
    b.append_extension(KeyUsage::new().critical().digital_signature().build()?)?;
    let mut eku = ExtendedKeyUsage::new();
    match role {
        Role::Server(_) => eku.server_auth(),
        Role::Client(_) => eku.client_auth(),
    };
    b.append_extension(eku.build()?)?;
    if let Role::Server(names) = role {
        let mut san = SubjectAlternativeName::new();
        for name in names {
            if name.parse::<IpAddr>().is_ok() {
                san.ip(name);
            } else {
                san.dns(name);
            }
        }
        let ext = san.build(&b.x509v3_context(issuer.map(|i| i.cert.as_ref()), None))?;
        b.append_extension(ext)?;
    }
    let ski = SubjectKeyIdentifier::new().build(&b.x509v3_context(None, None))?;
    b.append_extension(ski)?;
    match issuer {
        Some(ca) => {
            let aki = AuthorityKeyIdentifier::new()
                .keyid(true)
                .build(&b.x509v3_context(Some(&ca.cert), None))?;
            b.append_extension(aki)?;
            b.set_issuer_name(ca.cert.subject_name())?;
            b.sign(&ca.key, MessageDigest::sha256())?;
        }
        None => b.sign(&key, MessageDigest::sha256())?,
    }
    Ok(Credential {
        cert: b.build(),
        key,
    })
}

/// The common name a certificate for `role` carries.
fn common_name(role: &Role) -> &str {
    match role {
        Role::Server(names) => names.first().map_or("localhost", String::as_str),
        Role::Client(cn) => cn,
    }
}

/// A certificate for `role` signed by `ca`.
pub fn issue(role: &Role, ca: &Credential, validity: Validity) -> Result<Credential, ErrorStack> {
    let key = new_key()?;
    let b = builder(common_name(role), validity, &key)?;
    finish(b, role, key, Some(ca))
}

/// A self-signed certificate for `role` (no CA: a client trusts this very certificate).
pub fn self_signed(role: &Role, validity: Validity) -> Result<Credential, ErrorStack> {
    let key = new_key()?;
    let b = builder(common_name(role), validity, &key)?;
    finish(b, role, key, None)
}

impl Credential {
    /// Writes `DIR/NAME.pem` (the certificate) and `DIR/NAME.key` (the key, mode 0600).
    pub fn write(&self, dir: &Path, name: &str, force: bool) -> io::Result<()> {
        let pem = self
            .cert
            .to_pem()
            .map_err(|e| ssl_error("certificate", e))?;
        let key = self
            .key
            .private_key_to_pem_pkcs8()
            .map_err(|e| ssl_error("private key", e))?;
        write_file(&dir.join(format!("{name}.pem")), &pem, 0o644, force)?;
        write_file(&dir.join(format!("{name}.key")), &key, 0o600, force)
    }
}

/// Writes `bytes` to a new file `path` of mode `mode` (or over an existing one if `force`).
fn write_file(path: &Path, bytes: &[u8], mode: u32, force: bool) -> io::Result<()> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).mode(mode);
    if force {
        o.create(true).truncate(true);
    } else {
        o.create_new(true);
    }
    let mut f = o
        .open(path)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
    f.write_all(bytes)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))
}

impl GenCertOptions {
    /// The base names (`DIR/NAME.pem`, `DIR/NAME.key`) of the files it writes.
    pub fn files(&self) -> Vec<String> {
        let mut names = Vec::new();
        if self.ca {
            names.push("ca".to_string());
        }
        names.push("server".to_string());
        names.extend(self.clients.iter().cloned());
        names
    }

    /// Refuses what would make a useless or unsafe certificate, before any work.
    fn check(&self) -> io::Result<()> {
        if self.names.is_empty() {
            return Err(invalid("at least one --name is needed".into()));
        }
        for name in &self.names {
            if name.parse::<IpAddr>().is_err() && !valid_dns_name(name) {
                return Err(invalid(format!(
                    "{name:?} is neither an IP address nor a DNS name"
                )));
            }
        }
        if !self.clients.is_empty() && !self.ca {
            return Err(invalid(
                "client certificates need a CA to sign them (add --ca)".into(),
            ));
        }
        for (i, cn) in self.clients.iter().enumerate() {
            if !valid_client_name(cn) {
                return Err(invalid(format!(
                    "client name {cn:?}: 1-24 of A-Z a-z 0-9 _ - (it is the nick), not \"ca\" or \"server\""
                )));
            }
            if self.clients[..i].contains(cn) {
                return Err(invalid(format!("client name {cn:?} given twice")));
            }
        }
        if self.validity.days == 0 {
            return Err(invalid("--days must be at least 1".into()));
        }
        if !self.force {
            for name in self.files() {
                for ext in ["pem", "key"] {
                    let path = self.dir.join(format!("{name}.{ext}"));
                    if path.exists() {
                        return Err(io::Error::new(
                            io::ErrorKind::AlreadyExists,
                            format!("{} exists (--force overwrites it)", path.display()),
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}

/// Makes and writes the certificates; returns a line per file pair, for the user.
pub fn generate(opts: &GenCertOptions) -> io::Result<Vec<String>> {
    opts.check()?;
    std::fs::create_dir_all(&opts.dir)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", opts.dir.display())))?;
    let v = opts.validity;
    let server = Role::Server(opts.names.clone());
    let names = opts.names.join(", ");
    let mut said = Vec::new();
    let path = |name: &str| opts.dir.join(name).display().to_string();
    if opts.ca {
        let ca = new_ca("chat test CA", v).map_err(|e| ssl_error("CA", e))?;
        ca.write(&opts.dir, "ca", opts.force)?;
        said.push(format!(
            "{} and {}: the test CA \"chat test CA\"",
            path("ca.pem"),
            path("ca.key")
        ));
        let cred = issue(&server, &ca, v).map_err(|e| ssl_error("server certificate", e))?;
        cred.write(&opts.dir, "server", opts.force)?;
        said.push(format!(
            "{} and {}: the server, for {names}, signed by the CA",
            path("server.pem"),
            path("server.key")
        ));
        for cn in &opts.clients {
            let role = Role::Client(cn.clone());
            let cred = issue(&role, &ca, v).map_err(|e| ssl_error("client certificate", e))?;
            cred.write(&opts.dir, cn, opts.force)?;
            said.push(format!(
                "{} and {}: the client {cn:?}, signed by the CA",
                path(&format!("{cn}.pem")),
                path(&format!("{cn}.key"))
            ));
        }
    } else {
        let cred = self_signed(&server, v).map_err(|e| ssl_error("server certificate", e))?;
        cred.write(&opts.dir, "server", opts.force)?;
        said.push(format!(
            "{} and {}: the server, for {names}, self-signed",
            path("server.pem"),
            path("server.key")
        ));
    }
    Ok(said)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        assert!(valid_dns_name("localhost"));
        assert!(valid_dns_name("chat.example.org"));
        assert!(valid_dns_name("*.example.org"));
        for bad in [
            "",
            ".",
            "a..b",
            "a,b",
            "DNS:x",
            "a b",
            "*",
            "a.*.b",
            "é.example",
        ] {
            assert!(!valid_dns_name(bad), "{bad:?}");
        }
        assert!(valid_client_name("alice"));
        for bad in ["", "ca", "server", "../x", "a b", &"x".repeat(25)] {
            assert!(!valid_client_name(bad), "{bad:?}");
        }
    }

    fn options(dir: &Path) -> GenCertOptions {
        GenCertOptions {
            dir: dir.to_path_buf(),
            names: vec!["localhost".into(), "127.0.0.1".into()],
            ca: true,
            clients: vec!["alice".into()],
            validity: Validity::days_from_now(2),
            force: false,
        }
    }

    #[test]
    fn bad_options_are_refused_before_anything_is_written() {
        let dir = std::env::temp_dir().join(format!("chat-certgen-unit-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mut o = options(&dir);
        o.ca = false;
        assert!(generate(&o).is_err(), "clients without a CA");
        let mut o = options(&dir);
        o.names = vec!["a,b".into()];
        assert!(generate(&o).is_err());
        let mut o = options(&dir);
        o.clients = vec!["bob".into(), "bob".into()];
        assert!(generate(&o).is_err());
        assert!(!dir.exists(), "nothing written");
        // Written once; a second time only with force.
        assert_eq!(generate(&options(&dir)).unwrap().len(), 3);
        let again = generate(&options(&dir)).unwrap_err();
        assert_eq!(again.kind(), io::ErrorKind::AlreadyExists);
        let mut o = options(&dir);
        o.force = true;
        generate(&o).unwrap();
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("alice.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "the key is private");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_server_certificate_verifies_against_the_ca() {
        let v = Validity::days_from_now(1);
        let ca = new_ca("test CA", v).unwrap();
        let server = issue(&Role::Server(vec!["localhost".into()]), &ca, v).unwrap();
        assert!(server.cert.verify(&ca.key).unwrap());
        assert_eq!(
            server.cert.issuer_name().to_der().unwrap(),
            ca.cert.subject_name().to_der().unwrap()
        );
        let own = self_signed(&Role::Server(vec!["10.0.0.1".into()]), v).unwrap();
        assert!(own.cert.verify(&own.key).unwrap());
        let sans = own.cert.subject_alt_names().unwrap();
        assert_eq!(sans.get(0).unwrap().ipaddress(), Some(&[10, 0, 0, 1][..]));
    }
}
