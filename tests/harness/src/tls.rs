//! A throw-away certificate authority for the test stack.
//!
//! Every server in the stack presents a certificate signed by this CA, and clients are
//! told to trust the CA's PEM file: verification stays on, exactly as in production.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};

/// The files of the stack's PKI.
#[derive(Clone, Debug)]
pub struct TlsFiles {
    /// The CA certificate clients trust.
    pub ca_pem: PathBuf,
    /// The server certificate (leaf), valid for 127.0.0.1, localhost and mail.example.test.
    pub cert_pem: PathBuf,
    /// The server's private key.
    pub key_pem: PathBuf,
}

/// Host names and addresses the server certificate is valid for.
pub const SERVER_NAMES: &[&str] = &["127.0.0.1", "localhost", "mail.example.test"];

/// Where the PKI files live in `dir`, whether or not they exist yet.
pub fn files_in(dir: &Path) -> TlsFiles {
    TlsFiles {
        ca_pem: dir.join("ca.pem"),
        cert_pem: dir.join("server.pem"),
        key_pem: dir.join("server.key"),
    }
}

/// Creates the CA and the server certificate in `dir`, unless they exist already.
pub fn ensure_pki(dir: &Path) -> Result<TlsFiles> {
    let files = files_in(dir);
    if files.ca_pem.exists() && files.cert_pem.exists() && files.key_pem.exists() {
        return Ok(files);
    }
    make_pki(dir, SERVER_NAMES, "mail.example.test")
}

/// Creates a new CA in `dir` and a server certificate it signs for `names` (host names
/// or addresses), replacing any there: a PKI of a test's own, e.g. for a web server
/// under names the stack's certificate does not cover.
pub fn make_pki(dir: &Path, names: &[&str], common_name: &str) -> Result<TlsFiles> {
    let files = files_in(dir);
    std::fs::create_dir_all(dir).with_context(|| format!("Cannot create {}", dir.display()))?;

    let ca_key = KeyPair::generate().context("Cannot generate the test CA key")?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.distinguished_name = name("Heron test CA");
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_cert = ca_params.self_signed(&ca_key)?;
    let issuer = Issuer::new(ca_params, ca_key);

    let server_key = KeyPair::generate().context("Cannot generate the test server key")?;
    let names: Vec<String> = names.iter().map(|s| (*s).to_owned()).collect();
    let mut server_params = CertificateParams::new(names)?;
    server_params.distinguished_name = name(common_name);
    server_params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    server_params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    let server_cert = server_params.signed_by(&server_key, &issuer)?;

    write_private(&files.key_pem, server_key.serialize_pem().as_bytes())?;
    std::fs::write(&files.ca_pem, ca_cert.pem())?;
    // Servers send the chain they are given; the leaf alone is what real servers send
    // most often, and clients then build the chain from their trusted CA.
    std::fs::write(&files.cert_pem, server_cert.pem())?;
    Ok(files)
}

fn name(common_name: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "Heron test stack");
    dn.push(DnType::CommonName, common_name);
    dn
}

/// Writes a file only its owner can read (keys, passwords).
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("Cannot write {}", path.display()))?;
    file.write_all(bytes)?;
    Ok(())
}
