//! Heron's managed configuration: where admins put it, its schema, validation with exact
//! error locations, and the effective (merged, locked) configuration.
//!
//! Parsing is strict: an unknown key is an error with its line and column and a "did you
//! mean", never silently ignored, because a typo in a policy pushed to thousands of
//! machines must not quietly turn a setting off. Every error in a file is reported, not
//! only the first.
//!
//! Resolution of each setting (see docs/POLICIES.md): built-in default, then managed
//! files in order (a later file wins unless an earlier one locked the setting), then the
//! user's own choice, which wins over a managed value unless that value is locked.

pub mod generate;
pub mod json;
mod platform;
pub mod schema;
pub mod user_accounts;
pub mod validate;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use heron_model::AccountId;
use serde::Serialize;

pub use schema::{
    AccountConfig, AuthMethod, Endpoint, LdapConfig, OAuth2Config, Permission, PrivacyNotice,
    ProfileFields, Security, Settings, TlsVersion, TransportSecurity,
};
pub use validate::Diagnostic;

use json::{Json, Spanned};

/// The environment variable naming a configuration file for tests and headless use.
pub const CONFIG_ENV: &str = "HERON_CONFIG";

/// Where the managed policy lives on Linux.
pub const LINUX_POLICY_FILE: &str = "/etc/heron/policies.json";

/// Where further managed policy files live on Linux, read in lexical order.
pub const LINUX_POLICY_DIR: &str = "/etc/heron/policies.d";

/// The file in the data directory holding the user's own settings.
pub const USER_SETTINGS_FILE: &str = "user-settings.json";

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
    /// The file is not valid JSON or does not match the schema; every problem is listed,
    /// one per line.
    #[error("{}", render_all(path, diagnostics))]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Every problem, in file order.
        diagnostics: Vec<Diagnostic>,
    },
    /// An account template needs something the OS user does not provide.
    #[error(
        "Account {account}: {field} uses ${{{placeholder}}}, which this computer's user does not provide; ask your administrator"
    )]
    Placeholder {
        /// The account.
        account: AccountId,
        /// The field.
        field: &'static str,
        /// The placeholder.
        placeholder: String,
    },
    /// The user's accounts file holds something it may not.
    #[error("The accounts file {path} cannot be used: {problem}")]
    UserAccounts {
        /// The file.
        path: PathBuf,
        /// What is wrong, in words.
        problem: String,
    },
    /// The user settings (or accounts) file could not be written.
    #[error("Cannot save {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
}

fn render_all(path: &Path, diagnostics: &[Diagnostic]) -> String {
    let lines: Vec<String> = diagnostics.iter().map(|d| d.render(path)).collect();
    lines.join("\n")
}

fn invalid(path: &Path, diagnostics: Vec<Diagnostic>) -> PolicyError {
    PolicyError::Invalid {
        path: path.to_path_buf(),
        diagnostics,
    }
}

/// A file of the user's that may not exist yet: `None` when it does not.
pub(crate) fn read_if_present(path: &Path) -> Result<Option<String>, PolicyError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(PolicyError::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

fn read(path: &Path) -> Result<String, PolicyError> {
    std::fs::read_to_string(path).map_err(|source| PolicyError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// A setting's value as one managed file gives it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ManagedValue {
    /// The value.
    pub value: serde_json::Value,
    /// Whether the user (and later files) may not change it.
    pub locked: bool,
}

/// One managed policy file, validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyDocument {
    /// Where it was read from.
    pub path: PathBuf,
    /// Provisioned accounts, templates not yet filled.
    pub accounts: Vec<AccountConfig>,
    /// The privacy notice, if this file sets one.
    pub privacy_notice: Option<PrivacyNotice>,
    /// The settings this file gives, by dotted key.
    pub settings: BTreeMap<String, ManagedValue>,
}

impl PolicyDocument {
    /// Parses and validates policy text; `path` names it in errors and as a source.
    pub fn parse(text: &str, path: &Path) -> Result<Self, PolicyError> {
        let doc = json::parse(text).map_err(|e| invalid(path, vec![Diagnostic::from_syntax(e)]))?;
        let mut diagnostics = validate::validate(&doc, &schema::policy_shape(), "$");
        diagnostics.extend(cross_checks(&doc));
        diagnostics.sort_by_key(|d| d.at);
        if !diagnostics.is_empty() {
            return Err(invalid(path, diagnostics));
        }
        let value = doc.value.to_value();
        let typed = |key: &str| value.get(key).cloned();
        let bad_schema = |e: serde_json::Error| {
            invalid(
                path,
                vec![Diagnostic {
                    at: doc.at,
                    path: "$".into(),
                    expected: "a policy Heron's types accept".into(),
                    found: e.to_string(),
                    did_you_mean: None,
                }],
            )
        };
        let accounts = match typed("accounts") {
            Some(v) => serde_json::from_value(v).map_err(bad_schema)?,
            None => Vec::new(),
        };
        let privacy_notice = match typed("privacy_notice") {
            Some(v) => Some(serde_json::from_value(v).map_err(bad_schema)?),
            None => None,
        };
        let mut settings = BTreeMap::new();
        for spec in schema::settings_table() {
            let pointer = format!("/{}", spec.key.replace('.', "/"));
            if let Some(given) = value.pointer(&pointer) {
                let managed = match given {
                    serde_json::Value::Object(wrapper) => ManagedValue {
                        value: wrapper.get("value").cloned().unwrap_or_default(),
                        locked: wrapper.get("locked") == Some(&serde_json::Value::Bool(true)),
                    },
                    plain => ManagedValue {
                        value: plain.clone(),
                        locked: false,
                    },
                };
                settings.insert(spec.key.to_owned(), managed);
            }
        }
        Ok(Self {
            path: path.to_path_buf(),
            accounts,
            privacy_notice,
            settings,
        })
    }

    /// Reads and validates a policy file.
    pub fn load(path: &Path) -> Result<Self, PolicyError> {
        Self::parse(&read(path)?, path)
    }
}

/// Checks that span more than one value: unique account ids, one notice source.
fn cross_checks(doc: &Spanned) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let Json::Object(top) = &doc.value else {
        return out;
    };
    let member = |members: &[json::Member], key: &str| {
        members
            .iter()
            .find(|m| m.key == key)
            .map(|m| m.value.clone())
    };
    if let Some(Spanned {
        value: Json::Array(accounts),
        ..
    }) = member(top, "accounts")
    {
        let mut seen: BTreeMap<String, json::Position> = BTreeMap::new();
        for (i, account) in accounts.iter().enumerate() {
            let Json::Object(fields) = &account.value else {
                continue;
            };
            if let Some(Spanned {
                at,
                value: Json::String(id),
            }) = member(fields, "id")
            {
                if let Some(first) = seen.get(&id) {
                    out.push(Diagnostic {
                        at,
                        path: format!("$.accounts[{i}].id"),
                        expected: "an id no other account uses".into(),
                        found: format!("\"{id}\", already used at line {}", first.line),
                        did_you_mean: None,
                    });
                } else {
                    seen.insert(id, at);
                }
            }
        }
    }
    if let Some(Spanned {
        at,
        value: Json::Object(notice),
    }) = member(top, "privacy_notice")
    {
        let has_text = member(&notice, "text").is_some();
        let has_file = member(&notice, "file").is_some();
        if has_text == has_file {
            out.push(Diagnostic {
                at,
                path: "$.privacy_notice".into(),
                expected: "exactly one of the keys \"text\" and \"file\"".into(),
                found: if has_text {
                    "both".into()
                } else {
                    "neither".into()
                },
                did_you_mean: None,
            });
        }
    }
    out
}

/// The user's own settings: dotted key to value, persisted as a flat JSON object.
///
/// Kept in a plain JSON file in the data directory for now; the encrypted store takes
/// this over once it exists.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserSettings(pub BTreeMap<String, serde_json::Value>);

impl UserSettings {
    /// Reads the file; a missing file is no settings. Unknown keys and invalid values
    /// are errors (with positions), like in a policy.
    pub fn load(path: &Path) -> Result<Self, PolicyError> {
        let Some(text) = read_if_present(path)? else {
            return Ok(Self::default());
        };
        let doc =
            json::parse(&text).map_err(|e| invalid(path, vec![Diagnostic::from_syntax(e)]))?;
        let fields: Vec<schema::Field> = schema::settings_table()
            .into_iter()
            .filter(|s| s.user_may_set)
            .map(|s| schema::Field {
                name: s.key,
                shape: s.shape,
                required: false,
                doc: s.doc,
            })
            .collect();
        let diagnostics = validate::validate(&doc, &schema::Shape::Object(fields), "$");
        if !diagnostics.is_empty() {
            return Err(invalid(path, diagnostics));
        }
        match doc.value.to_value() {
            serde_json::Value::Object(map) => Ok(Self(map.into_iter().collect())),
            _ => Ok(Self::default()),
        }
    }

    /// Writes the file atomically (a temporary file renamed over it).
    pub fn save(&self, path: &Path) -> Result<(), PolicyError> {
        let write_error = |source| PolicyError::Write {
            path: path.to_path_buf(),
            source,
        };
        let map: serde_json::Map<String, serde_json::Value> =
            self.0.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        let text = serde_json::to_string_pretty(&serde_json::Value::Object(map))
            .map_err(|e| write_error(std::io::Error::other(e)))?;
        write_atomically(path, &(text + "\n")).map_err(write_error)
    }
}

/// Writes `text` whole to a temporary file beside `path`, flushed to disk and readable
/// only by the user, then renamed over `path`: a crash leaves the old file or the new,
/// never half of one.
pub(crate) fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let temporary = path.with_extension("json.tmp");
    {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&temporary)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
    }
    std::fs::rename(&temporary, path)
}

/// Checks one value for a user setting: `Err` says what was expected.
pub fn check_setting_value(key: &str, value: &serde_json::Value) -> Result<(), String> {
    let spec = schema::setting_spec(key).ok_or_else(|| format!("Unknown setting {key}"))?;
    let spanned = json::parse(&value.to_string()).map_err(|e| e.to_string())?;
    match validate::validate(&spanned, &spec.shape, key).first() {
        None => Ok(()),
        Some(d) => Err(format!("{key}: expected {}, found {}", d.expected, d.found)),
    }
}

/// The signed-in OS user, whose name fills `${username}` and `${domain}` in account
/// templates. Passed in, so this crate never asks the OS itself.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OsUser {
    /// Login name, e.g. `xiaoming`.
    pub username: String,
    /// Windows or Kerberos domain, when there is one.
    pub domain: Option<String>,
}

impl OsUser {
    fn lookup(&self, name: &str) -> Option<&str> {
        match name {
            // An unknown user must not turn `${username}@corp` into `@corp`.
            "username" => Some(self.username.as_str()).filter(|u| !u.is_empty()),
            "domain" => self.domain.as_deref(),
            _ => None,
        }
    }
}

/// Where a setting's effective value came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "path", rename_all = "lowercase")]
pub enum Source {
    /// Heron's built-in default.
    Default,
    /// The user's own choice.
    User,
    /// A managed policy file.
    Policy(PathBuf),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Default => f.write_str("default"),
            Source::User => f.write_str("user"),
            Source::Policy(path) => write!(f, "{}", path.display()),
        }
    }
}

/// A setting's effective value with its origin.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EffectiveSetting {
    /// The value in force.
    pub value: serde_json::Value,
    /// Where it came from.
    pub source: Source,
    /// Whether the admin locked it (the user cannot change it).
    pub locked: bool,
}

/// The configuration in force and where each part came from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EffectivePolicy {
    /// Provisioned accounts with templates filled, minus those the policy removes.
    pub accounts: Vec<AccountConfig>,
    /// The file each account came from.
    pub account_sources: BTreeMap<AccountId, PathBuf>,
    /// The privacy notice from the last file that sets one.
    pub privacy_notice: Option<PrivacyNotice>,
    /// Every setting, typed.
    pub settings: Settings,
    /// Every setting by dotted key, with value, source and lock.
    pub origins: BTreeMap<String, EffectiveSetting>,
    /// The managed files applied, in order.
    pub sources: Vec<PathBuf>,
    /// The ids among `accounts` that the user added (the others are the admin's).
    pub user_accounts: std::collections::BTreeSet<AccountId>,
    /// Accounts the user added that the policy does not allow now, and why.
    pub set_aside: Vec<user_accounts::SetAside>,
}

impl EffectivePolicy {
    /// Merges built-in defaults, managed files (in order) and the user's settings.
    pub fn merge(
        documents: &[PolicyDocument],
        user: &UserSettings,
        os_user: &OsUser,
    ) -> Result<Self, PolicyError> {
        let defaults = serde_json::to_value(Settings::default()).unwrap_or_default();
        let mut origins = BTreeMap::new();
        let mut tree = defaults.clone();
        for spec in schema::settings_table() {
            let pointer = format!("/{}", spec.key.replace('.', "/"));
            let mut effective = EffectiveSetting {
                value: defaults.pointer(&pointer).cloned().unwrap_or_default(),
                source: Source::Default,
                locked: false,
            };
            for doc in documents {
                if effective.locked {
                    break;
                }
                if let Some(managed) = doc.settings.get(spec.key) {
                    effective = EffectiveSetting {
                        value: managed.value.clone(),
                        source: Source::Policy(doc.path.clone()),
                        locked: managed.locked,
                    };
                }
            }
            if let Some(value) = user.0.get(spec.key)
                && spec.user_may_set
                && !effective.locked
            {
                effective.value = value.clone();
                effective.source = Source::User;
            }
            if let Some(slot) = tree.pointer_mut(&pointer) {
                *slot = effective.value.clone();
            }
            origins.insert(spec.key.to_owned(), effective);
        }
        let settings: Settings = serde_json::from_value(tree).map_err(|e| {
            invalid(
                Path::new("user settings"),
                vec![Diagnostic {
                    at: json::Position::default(),
                    path: "$".into(),
                    expected: "settings Heron's types accept".into(),
                    found: e.to_string(),
                    did_you_mean: None,
                }],
            )
        })?;

        let mut accounts: Vec<AccountConfig> = Vec::new();
        let mut account_sources = BTreeMap::new();
        let mut privacy_notice = None;
        for doc in documents {
            for account in &doc.accounts {
                let filled = fill_account(account, os_user)?;
                match accounts.iter_mut().find(|a| a.id == account.id) {
                    Some(existing) => *existing = filled,
                    None => accounts.push(filled),
                }
                account_sources.insert(account.id.clone(), doc.path.clone());
            }
            if doc.privacy_notice.is_some() {
                privacy_notice.clone_from(&doc.privacy_notice);
            }
        }
        accounts.retain(|a| !settings.lifecycle.remove_accounts.contains(&a.id));
        account_sources.retain(|id, _| accounts.iter().any(|a| &a.id == id));
        Ok(Self {
            accounts,
            account_sources,
            privacy_notice,
            settings,
            origins,
            sources: documents.iter().map(|d| d.path.clone()).collect(),
            user_accounts: std::collections::BTreeSet::new(),
            set_aside: Vec::new(),
        })
    }

    /// Whether the user may add accounts now.
    pub fn user_may_add_accounts(&self) -> bool {
        self.permits(self.settings.lifecycle.user_may_add_accounts)
    }

    /// Whether the user may remove accounts now.
    pub fn user_may_remove_accounts(&self) -> bool {
        self.permits(self.settings.lifecycle.user_may_remove_accounts)
    }

    fn permits(&self, permission: Permission) -> bool {
        match permission {
            Permission::Auto => self
                .accounts
                .iter()
                .all(|a| self.user_accounts.contains(&a.id)),
            Permission::Yes => true,
            Permission::No => false,
        }
    }

    /// The effective configuration as JSON, every value with its source and lock, and
    /// secrets (passwords) replaced by `"<redacted>"`: `heronctl policy show --json`.
    pub fn to_report(&self) -> serde_json::Value {
        let accounts: Vec<serde_json::Value> = self
            .accounts
            .iter()
            .map(|a| {
                let mut value = serde_json::to_value(a).unwrap_or_default();
                if let Some(password) = value.get_mut("password") {
                    *password = serde_json::json!("<redacted>");
                }
                serde_json::json!({
                    "account": value,
                    "source": self.account_source(&a.id),
                })
            })
            .collect();
        serde_json::json!({
            "sources": self.sources,
            "accounts": accounts,
            "set_aside": self.set_aside,
            "privacy_notice": self.privacy_notice,
            "settings": self.origins,
        })
    }

    /// The dotted keys whose effective value, source or lock differ from `before`, plus
    /// `accounts.<id>` for changed accounts and `privacy_notice`: what the UI is told.
    pub fn changed_keys(&self, before: &EffectivePolicy) -> Vec<String> {
        let mut changed: Vec<String> = self
            .origins
            .iter()
            .filter(|(key, now)| before.origins.get(*key) != Some(*now))
            .map(|(key, _)| key.clone())
            .collect();
        let ids: std::collections::BTreeSet<&AccountId> = self
            .accounts
            .iter()
            .chain(&before.accounts)
            .map(|a| &a.id)
            .collect();
        for id in ids {
            let find = |p: &EffectivePolicy| p.accounts.iter().find(|a| &a.id == id).cloned();
            if find(self) != find(before) {
                changed.push(format!("accounts.{id}"));
            }
        }
        if self.privacy_notice != before.privacy_notice {
            changed.push("privacy_notice".to_owned());
        }
        changed
    }
}

impl fmt::Display for EffectivePolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Accounts:")?;
        if self.accounts.is_empty() {
            writeln!(f, "  (none)")?;
        }
        for a in &self.accounts {
            let source = self
                .account_source(&a.id)
                .map_or_else(String::new, |s| s.to_string());
            writeln!(
                f,
                "  {} <{}> login {}  [{source}]",
                a.id,
                a.email,
                a.login()
            )?;
        }
        for aside in &self.set_aside {
            writeln!(
                f,
                "  {} <{}> not in use: {}",
                aside.id, aside.email, aside.reason
            )?;
        }
        if let Some(notice) = &self.privacy_notice {
            writeln!(
                f,
                "Privacy notice: version {} effective {}",
                notice.version, notice.effective
            )?;
        }
        writeln!(f, "Settings:")?;
        for (key, setting) in &self.origins {
            let lock = if setting.locked { ", locked" } else { "" };
            writeln!(f, "  {key} = {}  [{}{lock}]", setting.value, setting.source)?;
        }
        Ok(())
    }
}

fn fill_account(account: &AccountConfig, os_user: &OsUser) -> Result<AccountConfig, PolicyError> {
    let fill = |field: &'static str, template: &str| {
        schema::fill_placeholders(template, |name| os_user.lookup(name)).map_err(|placeholder| {
            PolicyError::Placeholder {
                account: account.id.clone(),
                field,
                placeholder,
            }
        })
    };
    let mut filled = account.clone();
    filled.display_name = fill("display_name", &account.display_name)?;
    filled.email = fill("email", &account.email)?;
    filled.login = account
        .login
        .as_deref()
        .map(|l| fill("login", l))
        .transpose()?;
    for identity in &mut filled.identities {
        identity.email = fill("identities.email", &identity.email)?;
        identity.display_name = identity
            .display_name
            .as_deref()
            .map(|n| fill("identities.display_name", n))
            .transpose()?;
    }
    Ok(filled)
}

/// Where managed policy files are looked for; injectable so tests need no `/etc`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyRoots {
    /// The main policy file (read first, when it exists).
    pub file: PathBuf,
    /// A directory of further `*.json` policy files, read in lexical order.
    pub dir: PathBuf,
    /// Whether the OS's own policy store is read too, after the files: Group Policy on
    /// Windows, the managed preferences domain on macOS (see docs/POLICIES.md). Set by
    /// [`PolicyRoots::system`], not by [`PolicyRoots::under`], so tests never see it.
    pub native_store: bool,
}

impl PolicyRoots {
    /// This OS's system locations (see docs/POLICIES.md).
    pub fn system() -> Self {
        platform::system_roots()
    }

    /// Roots under one directory: `DIR/policies.json` and `DIR/policies.d/`.
    pub fn under(dir: &Path) -> Self {
        Self {
            file: dir.join("policies.json"),
            dir: dir.join("policies.d"),
            native_store: false,
        }
    }
}

/// Everything needed to (re)compute the effective policy.
#[derive(Clone, Debug)]
pub struct PolicyLoader {
    /// System locations.
    pub roots: PolicyRoots,
    /// `--config` or `HERON_CONFIG`: when set, this file is the only managed policy.
    pub explicit: Option<PathBuf>,
    /// The user settings file, when there is a data directory.
    pub user_settings: Option<PathBuf>,
    /// The user's own accounts ([`user_accounts::USER_ACCOUNTS_FILE`]), when there is a
    /// data directory.
    pub user_accounts: Option<PathBuf>,
    /// Fills account templates.
    pub os_user: OsUser,
}

/// A cheap summary of the sources' state (paths, sizes, modification times): when it
/// changes, the policy is read again.
pub type Fingerprint = Vec<(PathBuf, Option<(SystemTime, u64)>)>;

impl PolicyLoader {
    /// The managed files that apply, in the order they are merged.
    pub fn policy_files(&self) -> Vec<PathBuf> {
        if let Some(explicit) = &self.explicit {
            return vec![explicit.clone()];
        }
        let mut files = Vec::new();
        if self.roots.file.exists() {
            files.push(self.roots.file.clone());
        }
        if let Ok(entries) = std::fs::read_dir(&self.roots.dir) {
            let mut extra: Vec<PathBuf> = entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "json") && p.is_file())
                .collect();
            extra.sort();
            files.extend(extra);
        }
        files
    }

    /// Reads every source and merges them, tolerating a broken user settings file: the
    /// user's own choices are then left out (and the problem returned), but the admin's
    /// policy still applies. A broken managed file is an error.
    pub fn load_tolerant(&self) -> Result<LoadedPolicy, PolicyError> {
        let documents = platform::managed_documents(self)?;
        let with_user = match &self.user_settings {
            Some(path) => UserSettings::load(path),
            None => Ok(UserSettings::default()),
        }
        .and_then(|user| EffectivePolicy::merge(&documents, &user, &self.os_user));
        let (effective, mut user_settings_error) = match with_user {
            Ok(effective) => (effective, None),
            Err(user_error) => (
                EffectivePolicy::merge(&documents, &UserSettings::default(), &self.os_user)?,
                Some(user_error),
            ),
        };
        let effective = match self.add_user_accounts(effective.clone()) {
            Ok(with_accounts) => with_accounts,
            Err(accounts_error) => {
                user_settings_error.get_or_insert(accounts_error);
                effective
            }
        };
        Ok(LoadedPolicy {
            effective,
            user_settings_error,
        })
    }

    /// `effective` with the user's own accounts the policy allows.
    fn add_user_accounts(
        &self,
        effective: EffectivePolicy,
    ) -> Result<EffectivePolicy, PolicyError> {
        match &self.user_accounts {
            Some(path) => {
                let accounts = user_accounts::UserAccounts::load(path)?;
                Ok(effective.with_user_accounts(&accounts, path))
            }
            None => Ok(effective),
        }
    }

    /// Reads every source and merges them.
    pub fn load(&self) -> Result<EffectivePolicy, PolicyError> {
        let documents = platform::managed_documents(self)?;
        let user = match &self.user_settings {
            Some(path) => UserSettings::load(path)?,
            None => UserSettings::default(),
        };
        self.add_user_accounts(EffectivePolicy::merge(&documents, &user, &self.os_user)?)
    }

    /// The sources' current state.
    pub fn fingerprint(&self) -> Fingerprint {
        let mut paths = self.policy_files();
        paths.extend(self.user_settings.clone());
        paths.extend(self.user_accounts.clone());
        if self.explicit.is_none() {
            paths.push(self.roots.file.clone());
        }
        paths
            .into_iter()
            .map(|p| {
                let meta = std::fs::metadata(&p)
                    .ok()
                    .and_then(|m| Some((m.modified().ok()?, m.len())));
                (p, meta)
            })
            .chain(platform::native_fingerprint(self))
            .collect()
    }
}

/// The policy in force and, when the user's own settings file could not be used, why.
#[derive(Debug)]
pub struct LoadedPolicy {
    /// The merged policy (without the user's settings when they were unusable).
    pub effective: EffectivePolicy,
    /// The problem with the user settings file, if any.
    pub user_settings_error: Option<PolicyError>,
}

/// `--config` or else `HERON_CONFIG`.
pub fn explicit_config(from_command_line: Option<&Path>) -> Option<PathBuf> {
    from_command_line
        .map(Path::to_path_buf)
        .or_else(|| std::env::var_os(CONFIG_ENV).map(PathBuf::from))
}

#[cfg(test)]
mod tests;
