//! From an account in the managed configuration to the options of an IMAP connection.

use heron_imap::{Auth, ConnectOptions, ProtocolLimits, Security, Timeouts};
use heron_model::Secret;
use heron_policy::{AccountConfig, AuthMethod, TlsVersion, TransportSecurity};

use crate::error::{Result, SyncError};

/// Builds the IMAP connection options of `account`. The credential is the configured
/// password (test stacks, headless runs) or `secret` (from the keyring: the password, or
/// an OAuth access token for an `oauth2` account).
pub fn imap_options(
    account: &AccountConfig,
    security: &heron_policy::Security,
    secret: Option<Secret>,
) -> Result<ConnectOptions> {
    let mut extra = Vec::new();
    for file in &security.extra_ca_files {
        extra.extend(heron_imap::read_pem_certificates(file).map_err(SyncError::Config)?);
    }
    let tls = heron_imap::tls_config(
        &extra,
        true,
        security.minimum_tls_version == TlsVersion::Tls13,
    )
    .map_err(SyncError::Config)?;
    let credential = account.password.clone().or(secret).ok_or_else(|| {
        SyncError::Config(format!(
            "No password is stored for the account {}; sign in once to store it",
            account.id
        ))
    })?;
    let auth = match account.auth {
        AuthMethod::Password => Auth::Password(credential),
        AuthMethod::Oauth2(_) => Auth::XOAuth2(credential),
    };
    Ok(ConnectOptions {
        host: account.imap.host.clone(),
        port: account.imap.port,
        security: match account.imap.security {
            TransportSecurity::Tls => Security::Tls,
            TransportSecurity::Starttls => Security::StartTls,
        },
        login: account
            .login
            .clone()
            .unwrap_or_else(|| account.email.clone()),
        auth,
        tls,
        timeouts: Timeouts::default(),
        limits: ProtocolLimits::default(),
    })
}
