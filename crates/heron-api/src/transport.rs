//! Types that cross the API boundary (IPC to the UI, `heronctl --json`).
//!
//! They are kept apart from the domain types so the domain can change without changing
//! what the UI sees, and so nothing secret crosses by accident.

use heron_policy::{AccountConfig, TransportSecurity};
use serde::Serialize;

/// Where the local store's key is kept, and what the UI must show about it: while it is
/// a key file, a warning stays visible (it is also written to the log at each open).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StoreStatus {
    /// `os_keyring`, or `key_file` (the fallback an admin policy may allow).
    pub key_storage: KeyStorage,
    /// The directory of the key file, when `key_storage` is `key_file`.
    pub key_dir: Option<String>,
    /// What to show while the store is open: what the key file means and what to do.
    /// Empty with the OS keyring.
    pub warnings: Vec<String>,
}

/// Where the store's key (and the accounts' passwords and tokens) are kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyStorage {
    /// The OS keyring (Secret Service, Keychain, Credential Manager).
    OsKeyring,
    /// A file readable only by this OS user, in the per-user config directory.
    KeyFile,
}

impl From<heron_store::KeyStorage> for KeyStorage {
    fn from(k: heron_store::KeyStorage) -> Self {
        match k {
            heron_store::KeyStorage::OsKeyring => KeyStorage::OsKeyring,
            heron_store::KeyStorage::KeyFile => KeyStorage::KeyFile,
        }
    }
}

/// An account as the UI and `heronctl accounts` show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AccountSummary {
    /// Admin-chosen id.
    pub id: String,
    /// The user's name.
    pub display_name: String,
    /// Primary address.
    pub email: String,
    /// `imaps://host:port` or `imap+starttls://host:port`, for support screens.
    pub incoming: String,
    /// `smtps://host:port` or `smtp+starttls://host:port`.
    pub outgoing: String,
    /// The admin's, or added by the user on this computer.
    pub origin: AccountOrigin,
    /// How the user signs in.
    pub auth: AuthKind,
    /// No credential is kept yet: the account does not sync until the user signs in.
    pub needs_sign_in: bool,
}

/// Where an account came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountOrigin {
    /// Set up by the admin's policy; the user cannot remove it.
    Policy,
    /// Added by the user on this computer.
    User,
}

/// How an account signs in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthKind {
    /// A password.
    Password,
    /// OAuth 2.0 through the organisation's sign-in page.
    Oauth2,
}

impl AccountSummary {
    /// The summary of `a`, whose origin and sign-in state the caller knows.
    pub fn new(a: &AccountConfig, origin: AccountOrigin, needs_sign_in: bool) -> Self {
        let url = |scheme: &str, e: &heron_policy::Endpoint| match e.security {
            TransportSecurity::Tls => format!("{scheme}s://{}:{}", e.host, e.port),
            TransportSecurity::Starttls => format!("{scheme}+starttls://{}:{}", e.host, e.port),
        };
        Self {
            id: a.id.to_string(),
            display_name: a.display_name.clone(),
            email: a.email.clone(),
            incoming: url("imap", &a.imap),
            outgoing: url("smtp", &a.smtp),
            origin,
            auth: match a.auth {
                heron_policy::AuthMethod::Password => AuthKind::Password,
                heron_policy::AuthMethod::Oauth2(_) => AuthKind::Oauth2,
            },
            needs_sign_in,
        }
    }
}

/// What the policy watcher tells the UI.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PolicyEvent {
    /// A new policy applies; these dotted keys (and `accounts.<id>`, `privacy_notice`)
    /// changed.
    Changed {
        /// What changed.
        keys: Vec<String>,
    },
    /// The sources changed but are invalid; the last good policy stays in force.
    Rejected {
        /// The same text `heronctl policy check` prints.
        error: crate::ApiError,
    },
}
