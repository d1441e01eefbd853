//! Heron's configuration as an admin writes it.
//!
//! This first version knows the accounts an admin provisions and the CAs they trust; the
//! full managed-policy model (sources merged in order, locked settings, generated schema
//! and templates) grows here. Parsing is strict: an unknown key is an error with its
//! line and column, never silently ignored, because a typo in a policy pushed to
//! thousands of machines must not quietly turn a setting off.

use std::fmt;
use std::path::{Path, PathBuf};

use heron_model::{AccountId, Profile, Secret};
use serde::{Deserialize, Serialize};

/// The environment variable naming a configuration file for tests and headless use.
pub const CONFIG_ENV: &str = "HERON_CONFIG";

/// Where the managed policy lives on Linux when nothing else is named.
pub const LINUX_POLICY_FILE: &str = "/etc/heron/policies.json";

/// A whole configuration file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Accounts provisioned for the user, in the order they are shown.
    #[serde(default)]
    pub accounts: Vec<AccountConfig>,
    /// Transport security settings shared by every account.
    #[serde(default)]
    pub security: SecurityConfig,
}

/// One provisioned account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountConfig {
    /// Stable id chosen by the admin.
    pub id: AccountId,
    /// The user's name as shown to colleagues.
    pub display_name: String,
    /// The primary address.
    pub email: String,
    /// Login name for IMAP and SMTP; the email when absent.
    #[serde(default)]
    pub login: Option<String>,
    /// Password, for test stacks and headless runs only: real deployments keep it in the
    /// OS keyring, entered by the user on first use.
    #[serde(default)]
    pub password: Option<Secret>,
    /// Incoming mail server.
    pub imap: Endpoint,
    /// Outgoing (submission) server.
    pub smtp: Endpoint,
    /// CalDAV/CardDAV base URL.
    #[serde(default)]
    pub dav_url: Option<String>,
    /// Company directory.
    #[serde(default)]
    pub ldap: Option<LdapConfig>,
    /// Profile fields the admin provides until the directory supplies them.
    #[serde(default)]
    pub profile: ProfileFields,
}

/// A server address and how to secure the connection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Endpoint {
    /// Host name or IP address.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Transport security.
    #[serde(default)]
    pub security: TransportSecurity,
}

/// How a connection is secured. There is deliberately no plaintext choice.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TransportSecurity {
    /// TLS from the first byte (ports 993, 465).
    #[default]
    Tls,
    /// STARTTLS, required: the connection is abandoned if the server does not offer it.
    Starttls,
}

/// The company directory an account may search.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LdapConfig {
    /// `ldaps://host:port` or `ldap://host:port` (then StartTLS is required).
    pub url: String,
    /// Where people live in the tree.
    pub base_dn: String,
}

/// Optional profile fields provisioned by the admin.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileFields {
    /// Organisational unit.
    #[serde(default)]
    pub department: Option<String>,
    /// Job title.
    #[serde(default)]
    pub title: Option<String>,
    /// Work phone.
    #[serde(default)]
    pub phone: Option<String>,
}

/// Transport security shared by all accounts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecurityConfig {
    /// PEM files with CAs to trust in addition to the platform's roots.
    #[serde(default)]
    pub extra_ca_files: Vec<PathBuf>,
}

impl AccountConfig {
    /// The login name sent to the servers.
    pub fn login(&self) -> &str {
        self.login.as_deref().unwrap_or(&self.email)
    }

    /// The profile the user sees for this account.
    pub fn profile(&self) -> Profile {
        Profile {
            account_id: Some(self.id.clone()),
            display_name: self.display_name.clone(),
            email: self.email.clone(),
            department: self.profile.department.clone(),
            title: self.profile.title.clone(),
            phone: self.profile.phone.clone(),
            avatar_data_url: None,
        }
    }
}

/// Why a configuration could not be used.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// The file could not be read.
    #[error("Cannot read configuration file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The file is not valid JSON or does not match the schema.
    #[error("{path}:{line}:{column}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
        /// What was wrong.
        message: String,
    },
    /// Two accounts share an id.
    #[error("{path}: account id {id} is used twice; each account needs its own id")]
    DuplicateAccount {
        /// The file.
        path: PathBuf,
        /// The repeated id.
        id: AccountId,
    },
}

impl Config {
    /// Parses configuration text; `path` is only used in error messages.
    pub fn parse(text: &str, path: &Path) -> Result<Self, PolicyError> {
        let config: Config = serde_json::from_str(text).map_err(|e| PolicyError::Invalid {
            path: path.to_path_buf(),
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
        let mut seen = std::collections::BTreeSet::new();
        for account in &config.accounts {
            if !seen.insert(account.id.clone()) {
                return Err(PolicyError::DuplicateAccount {
                    path: path.to_path_buf(),
                    id: account.id.clone(),
                });
            }
        }
        Ok(config)
    }

    /// Reads and parses a configuration file.
    pub fn load(path: &Path) -> Result<Self, PolicyError> {
        let text = std::fs::read_to_string(path).map_err(|source| PolicyError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text, path)
    }
}

/// The configuration in force and where it came from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EffectiveConfig {
    /// The merged configuration.
    pub config: Config,
    /// The files it was read from, in the order applied.
    pub sources: Vec<PathBuf>,
}

impl fmt::Display for EffectiveConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} account(s) from ", self.config.accounts.len())?;
        if self.sources.is_empty() {
            f.write_str("built-in defaults")
        } else {
            let names: Vec<String> = self
                .sources
                .iter()
                .map(|p| p.display().to_string())
                .collect();
            f.write_str(&names.join(", "))
        }
    }
}

/// Finds and loads the configuration: an explicit file (`--config`) wins, then
/// `HERON_CONFIG`, then the system policy file; with none of them, built-in defaults.
pub fn load_effective(explicit: Option<&Path>) -> Result<EffectiveConfig, PolicyError> {
    let from_env = std::env::var_os(CONFIG_ENV).map(PathBuf::from);
    let chosen = explicit.map(Path::to_path_buf).or(from_env).or_else(|| {
        let system = PathBuf::from(LINUX_POLICY_FILE);
        (cfg!(target_os = "linux") && system.exists()).then_some(system)
    });
    match chosen {
        Some(path) => Ok(EffectiveConfig {
            config: Config::load(&path)?,
            sources: vec![path],
        }),
        None => Ok(EffectiveConfig::default()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"{
      "accounts": [{
        "id": "corp",
        "display_name": "王小明",
        "email": "xiaoming@corp.example",
        "imap": {"host": "imap.corp.example", "port": 993},
        "smtp": {"host": "smtp.corp.example", "port": 587, "security": "starttls"}
      }]
    }"#;

    #[test]
    fn minimal_account_parses_with_secure_defaults() {
        let config = Config::parse(MINIMAL, Path::new("p.json")).unwrap();
        let account = &config.accounts[0];
        assert_eq!(account.imap.security, TransportSecurity::Tls);
        assert_eq!(account.smtp.security, TransportSecurity::Starttls);
        assert_eq!(account.login(), "xiaoming@corp.example");
        assert_eq!(account.profile().display_name, "王小明");
    }

    #[test]
    fn unknown_key_is_an_error_with_its_position() {
        let text = MINIMAL.replace("\"display_name\"", "\"displayname\"");
        let err = Config::parse(&text, Path::new("p.json")).unwrap_err();
        match err {
            PolicyError::Invalid { line, message, .. } => {
                assert_eq!(line, 4);
                assert!(message.contains("displayname"), "{message}");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn plaintext_security_does_not_exist() {
        let text = MINIMAL.replace("\"starttls\"", "\"none\"");
        assert!(Config::parse(&text, Path::new("p.json")).is_err());
    }

    #[test]
    fn duplicate_account_ids_are_refused() {
        let mut config = Config::parse(MINIMAL, Path::new("p.json")).unwrap();
        config.accounts.push(config.accounts[0].clone());
        let text = serde_json::to_string(&config).unwrap();
        let err = Config::parse(&text, Path::new("p.json")).unwrap_err();
        assert!(matches!(err, PolicyError::DuplicateAccount { .. }));
    }

    #[test]
    fn explicit_file_wins_and_is_reported_as_source() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.json");
        std::fs::write(&path, MINIMAL).unwrap();
        let effective = load_effective(Some(&path)).unwrap();
        assert_eq!(effective.sources, vec![path]);
        assert_eq!(effective.config.accounts.len(), 1);
    }

    #[test]
    fn missing_file_is_a_read_error_naming_the_path() {
        let err = load_effective(Some(Path::new("/nonexistent/heron.json"))).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/heron.json"));
    }
}
