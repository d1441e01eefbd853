//! The one surface Heron's shell and `heronctl` call.
//!
//! A [`Heron`] context is opened once per process from the effective configuration.
//! Everything that crosses to the UI is a transport type from [`transport`], and every
//! failure is an [`ApiError`] with a stable [`ErrorCode`] the UI branches on (never the
//! message text, which is for people).

pub mod transport;

use std::path::{Path, PathBuf};

use heron_model::{AppInfo, Profile};
use heron_policy::{EffectiveConfig, PolicyError};
use serde::Serialize;

pub use transport::AccountSummary;

/// Stable, machine-readable error kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The configuration could not be read or is invalid.
    InvalidConfig,
    /// The named thing does not exist.
    NotFound,
}

/// An error as it crosses the API boundary: `{code, message}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    /// What kind of failure; the UI branches on this.
    pub code: ErrorCode,
    /// What happened and what to do, for people.
    pub message: String,
}

impl From<PolicyError> for ApiError {
    fn from(e: PolicyError) -> Self {
        Self {
            code: ErrorCode::InvalidConfig,
            message: e.to_string(),
        }
    }
}

/// How to open a [`Heron`] context.
#[derive(Clone, Debug, Default)]
pub struct HeronOptions {
    /// A configuration file named on the command line; otherwise `HERON_CONFIG` or the
    /// system policy is used.
    pub config_path: Option<PathBuf>,
}

/// The application context: configuration now, store and sync as they arrive.
#[derive(Debug)]
pub struct Heron {
    effective: EffectiveConfig,
}

impl Heron {
    /// Opens the context from the effective configuration.
    pub fn open(options: &HeronOptions) -> Result<Self, ApiError> {
        let effective = heron_policy::load_effective(options.config_path.as_deref())?;
        Ok(Self { effective })
    }

    /// A context over an already loaded configuration (tests, embedders).
    pub fn from_config(effective: EffectiveConfig) -> Self {
        Self { effective }
    }

    /// Facts about this build and its configuration.
    pub fn app_info(&self) -> AppInfo {
        AppInfo {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            config_sources: self
                .effective
                .sources
                .iter()
                .map(|p| p.display().to_string())
                .collect(),
            account_count: self.effective.config.accounts.len(),
        }
    }

    /// The signed-in user's profile: the first provisioned account's, or `None` when no
    /// account is configured yet.
    pub fn profile(&self) -> Option<Profile> {
        self.effective.config.accounts.first().map(|a| a.profile())
    }

    /// The configured accounts, without secrets.
    pub fn accounts(&self) -> Vec<AccountSummary> {
        self.effective
            .config
            .accounts
            .iter()
            .map(AccountSummary::from)
            .collect()
    }

    /// Files the configuration was read from.
    pub fn config_sources(&self) -> &[PathBuf] {
        &self.effective.sources
    }

    /// Checks a configuration file without opening a context: `heronctl policy check`.
    pub fn check_config(path: &Path) -> Result<AccountCount, ApiError> {
        let config = heron_policy::Config::load(path)?;
        Ok(AccountCount(config.accounts.len()))
    }
}

/// How many accounts a checked configuration provisions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct AccountCount(pub usize);

#[cfg(test)]
mod tests {
    use super::*;

    fn write_config(dir: &Path) -> PathBuf {
        let path = dir.join("heron.json");
        std::fs::write(
            &path,
            r#"{"accounts":[{"id":"demo","display_name":"Alice Martin",
                "email":"alice@example.test","password":"s3cret",
                "imap":{"host":"127.0.0.1","port":993},
                "smtp":{"host":"127.0.0.1","port":465},
                "profile":{"department":"Engineering"}}]}"#,
        )
        .unwrap();
        path
    }

    #[test]
    fn profile_comes_from_the_first_provisioned_account() {
        let dir = tempfile::tempdir().unwrap();
        let heron = Heron::open(&HeronOptions {
            config_path: Some(write_config(dir.path())),
        })
        .unwrap();
        let profile = heron.profile().unwrap();
        assert_eq!(profile.email, "alice@example.test");
        assert_eq!(profile.department.as_deref(), Some("Engineering"));
        assert_eq!(heron.app_info().account_count, 1);
    }

    #[test]
    fn account_summaries_carry_no_password() {
        let dir = tempfile::tempdir().unwrap();
        let heron = Heron::open(&HeronOptions {
            config_path: Some(write_config(dir.path())),
        })
        .unwrap();
        let json = serde_json::to_string(&heron.accounts()).unwrap();
        assert!(json.contains("alice@example.test"));
        assert!(!json.contains("s3cret"));
    }

    #[test]
    fn bad_config_is_an_invalid_config_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.json");
        std::fs::write(&path, "{\"accounts\": [}").unwrap();
        let err = Heron::open(&HeronOptions {
            config_path: Some(path),
        })
        .unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidConfig);
        assert!(err.message.contains("bad.json:1:"), "{}", err.message);
    }
}
