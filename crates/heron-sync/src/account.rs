//! From an account in the managed configuration to the options of an IMAP connection.

use std::sync::Arc;

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
    let credential = credential(account, secret)?;
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
        login: account.login().to_owned(),
        auth,
        tls: tls_settings(security)?,
        timeouts: Timeouts::default(),
        limits: ProtocolLimits::default(),
    })
}

/// Builds the submission options of `account`, with the same credential and TLS
/// settings as [`imap_options`].
pub fn smtp_options(
    account: &AccountConfig,
    security: &heron_policy::Security,
    secret: Option<Secret>,
) -> Result<heron_smtp::SmtpOptions> {
    let credential = credential(account, secret)?;
    Ok(heron_smtp::SmtpOptions {
        host: account.smtp.host.clone(),
        port: account.smtp.port,
        security: match account.smtp.security {
            TransportSecurity::Tls => heron_smtp::Security::Tls,
            TransportSecurity::Starttls => heron_smtp::Security::StartTls,
        },
        login: account.login().to_owned(),
        auth: match account.auth {
            AuthMethod::Password => heron_smtp::Auth::Password(credential),
            AuthMethod::Oauth2(_) => heron_smtp::Auth::XOAuth2(credential),
        },
        tls: tls_settings(security)?,
        timeouts: heron_smtp::Timeouts::default(),
    })
}

/// The configured password (test stacks, headless runs), else the keyring's secret.
fn credential(account: &AccountConfig, secret: Option<Secret>) -> Result<Secret> {
    account.password.clone().or(secret).ok_or_else(|| {
        SyncError::Config(format!(
            "No password is stored for the account {}; sign in once to store it",
            account.id
        ))
    })
}

/// TLS client settings from policy: platform roots plus the extra CA files, and the
/// minimum version.
pub fn tls_settings(security: &heron_policy::Security) -> Result<Arc<rustls::ClientConfig>> {
    let mut extra = Vec::new();
    for file in &security.extra_ca_files {
        extra.extend(heron_imap::read_pem_certificates(file).map_err(SyncError::Config)?);
    }
    heron_imap::tls_config(
        &extra,
        true,
        security.minimum_tls_version == TlsVersion::Tls13,
    )
    .map_err(SyncError::Config)
}
