//! Plain data types shared by every Heron crate.
//!
//! Nothing here does I/O; everything is `serde`-serialisable so the same types can be
//! stored, sent over IPC at the API boundary and printed by `heronctl --json`.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The identifier an admin gives an account in the managed configuration.
///
/// It is chosen by people (`corp-mail`), so it is validated: ASCII letters, digits,
/// `-`, `_` and `.`, 1 to 64 characters. That keeps it safe to use in file names,
/// keyring entry names and log lines.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AccountId(String);

/// Why a string is not a valid [`AccountId`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidAccountId(pub String);

impl fmt::Display for InvalidAccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Account id {:?} is not valid: use 1 to 64 ASCII letters, digits, '-', '_' or '.'",
            self.0
        )
    }
}

impl std::error::Error for InvalidAccountId {}

impl AccountId {
    /// Checks and wraps an id.
    pub fn new(id: impl Into<String>) -> Result<Self, InvalidAccountId> {
        let id = id.into();
        let valid = !id.is_empty()
            && id.len() <= 64
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
            && id != "."
            && id != "..";
        if valid {
            Ok(Self(id))
        } else {
            Err(InvalidAccountId(id))
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for AccountId {
    type Error = InvalidAccountId;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<AccountId> for String {
    fn from(id: AccountId) -> Self {
        id.0
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What the signed-in employee sees about themselves in the profile panel.
///
/// Provisioned by the admin (policy) and, once the directory is connected, filled from it.
/// The user cannot edit it in Heron; they ask the admin for corrections.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// The account this profile belongs to.
    pub account_id: Option<AccountId>,
    /// The person's name as colleagues see it.
    pub display_name: String,
    /// Primary email address.
    pub email: String,
    /// Organisational unit, when known.
    pub department: Option<String>,
    /// Job title, when known.
    pub title: Option<String>,
    /// Work phone, when known.
    pub phone: Option<String>,
    /// Avatar as a `data:image/...;base64,` URL, when one is known.
    pub avatar_data_url: Option<String>,
}

/// A password or token: serialised as itself (configuration files carry it), but never
/// shown by `Debug`, so it cannot leak into logs or panic messages, and overwritten with
/// zeros when dropped, so it does not linger in freed memory.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// Facts about the running build, shown in Settings > About.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppInfo {
    /// Semantic version of the app.
    pub version: String,
    /// Where the effective configuration came from (file paths), for support.
    pub config_sources: Vec<String>,
    /// How many accounts the configuration provisions.
    pub account_count: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_id_accepts_admin_style_ids_and_rejects_path_tricks() {
        assert!(AccountId::new("corp-mail.2").is_ok());
        for bad in ["", ".", "..", "a/b", "a b", "é", &"x".repeat(65), "a\nb"] {
            assert!(AccountId::new(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn account_id_deserialisation_validates() {
        let ok: Result<AccountId, _> = serde_json::from_str("\"demo\"");
        assert!(ok.is_ok());
        let bad: Result<AccountId, _> = serde_json::from_str("\"../etc\"");
        assert!(bad.is_err());
    }

    #[test]
    fn secret_debug_never_shows_the_value() {
        let s = Secret::new("hunter2");
        assert!(!format!("{s:?}").contains("hunter2"));
        assert_eq!(s.expose(), "hunter2");
    }
}
