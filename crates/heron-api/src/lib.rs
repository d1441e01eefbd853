//! The one surface Heron's shell and `heronctl` call.
//!
//! A [`Heron`] context is opened once per process from the effective configuration.
//! Everything that crosses to the UI is a transport type from [`transport`], and every
//! failure is an [`ApiError`] with a stable [`ErrorCode`] the UI branches on (never the
//! message text, which is for people).

pub mod accounts;
pub mod composer;
pub mod consent;
pub mod diagnostics;
pub mod discover;
pub mod lifecycle;
pub mod local_data;
pub mod mail;
pub mod oauth;
pub mod pdf_preview;
pub mod reader;
pub mod remote;
pub mod send;
pub mod transport;
mod watch;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use heron_model::{AppInfo, Profile};
use heron_policy::{
    EffectivePolicy, OsUser, PolicyDocument, PolicyError, PolicyLoader, PolicyRoots,
    USER_SETTINGS_FILE, UserSettings,
};
use heron_store::KeyStore;
use serde::Serialize;

pub use consent::{AcceptedNotice, NoticeSource, PrivacyNoticeView};
pub use heron_store::Store;
pub use local_data::{KeyLocations, LocalStoreState, RebuildLoss, UnreadableReason};
pub use reader::{LinkRequest, ReaderView, RemoteScope, Served, ViewRequest};
pub use transport::{AccountSummary, KeyStorage, PolicyEvent, StoreStatus};
pub use watch::PolicyWatcher;

/// Stable, machine-readable error kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The configuration could not be read or is invalid.
    InvalidConfig,
    /// The named thing does not exist.
    NotFound,
    /// The setting is locked by the admin (or is the admin's alone).
    SettingLocked,
    /// The value does not fit the setting.
    InvalidValue,
    /// User settings cannot be saved: no data directory was given.
    NoDataDir,
    /// The OS keyring (Secret Service, Keychain, Credential Manager) cannot be reached.
    KeyringUnavailable,
    /// The local store's key is missing or wrong, or its file is damaged.
    StoreUnreadable,
    /// The disk is full; nothing committed before was lost.
    DiskFull,
    /// A wipe finished but found something left; the message says what.
    WipeIncomplete,
    /// Another storage failure; the message says which.
    StorageFailed,
    /// The privacy notice accepted is not the one in force (it changed while shown).
    NoticeVersionMismatch,
    /// The privacy notice in force has not been accepted, so no server is contacted.
    ConsentRequired,
    /// The mail server cannot be reached (network down, server down, wrong address).
    ServerUnreachable,
    /// The server's certificate is not trusted (unknown CA, expired, wrong name).
    CertificateUntrusted,
    /// No secure connection could be made (TLS failed, STARTTLS not offered).
    TlsFailed,
    /// The server refused the login.
    AuthenticationFailed,
    /// The connection was lost or stalled; it is retried.
    ConnectionLost,
    /// The server refused an action; the message has its words.
    ServerRefused,
    /// The server sent something broken or oversized.
    ServerMisbehaved,
    /// A message cannot be built as written: a line break in a header field, an
    /// address that does not parse, no recipient. The message names the field.
    InvalidMessage,
    /// Attachments over the size the admin allows.
    TooLarge,
    /// The action does not fit the current state (editing a message in the outbox,
    /// taking back a send that has begun).
    Conflict,
    /// Another Heron (window or heronctl) is using this data directory.
    AlreadyRunning,
    /// The action is risky (opening an executable attachment) and needs the user's
    /// explicit confirmation; ask, then call again confirming.
    ConfirmationRequired,
    /// No password (or token) is kept for the account yet: the user must sign in before
    /// it syncs or sends.
    SignInRequired,
    /// The admin's policy does not allow it (adding or removing accounts, an account's
    /// domain, removing an account the admin set up).
    NotAllowed,
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

impl ApiError {
    /// An error of kind `code` with its message for people.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

impl From<PolicyError> for ApiError {
    fn from(e: PolicyError) -> Self {
        Self::new(ErrorCode::InvalidConfig, e.to_string())
    }
}

/// How to open a [`Heron`] context.
#[derive(Clone, Default)]
pub struct HeronOptions {
    /// A configuration file named on the command line; otherwise `HERON_CONFIG` or the
    /// system policy is used.
    pub config_path: Option<PathBuf>,
    /// Where managed policy files are looked for; the OS's system locations when absent.
    pub policy_roots: Option<PolicyRoots>,
    /// Heron's data directory, holding `user-settings.json`; without one, user settings
    /// cannot be changed.
    pub data_dir: Option<PathBuf>,
    /// The signed-in OS user for account templates; read from the environment when absent.
    pub os_user: Option<OsUser>,
    /// Ignore `HERON_CONFIG` (tests that must not see the developer's environment).
    pub ignore_config_env: bool,
    /// Where the store's key file is kept when no OS keyring can be reached and the
    /// policy `security.key_file_fallback_allowed` allows it (and where a wipe looks for
    /// it). Must be outside the data directory. Default: the per-user config directory,
    /// see [`local_data::default_key_dir`].
    pub key_dir: Option<PathBuf>,
    /// The keyring to keep secrets in instead of the OS's (tests; an embedder with its
    /// own secret store). Default: the OS keyring.
    pub keyring: Option<Arc<dyn KeyStore>>,
}

impl std::fmt::Debug for HeronOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HeronOptions")
            .field("config_path", &self.config_path)
            .field("policy_roots", &self.policy_roots)
            .field("data_dir", &self.data_dir)
            .field("os_user", &self.os_user)
            .field("ignore_config_env", &self.ignore_config_env)
            .field("key_dir", &self.key_dir)
            .field("keyring", &self.keyring.as_ref().map(|_| "<given>"))
            .finish()
    }
}

/// The policy in force and the problem with the newest sources, if any.
#[derive(Debug)]
struct PolicyState {
    effective: EffectivePolicy,
    error: Option<ApiError>,
}

/// The application context: configuration now, store and sync as they arrive.
#[derive(Debug)]
pub struct Heron {
    loader: PolicyLoader,
    state: Arc<Mutex<PolicyState>>,
    /// Held across load-modify-save of the user settings file, so two settings changed
    /// at once (two async commands) both survive.
    settings_write: Mutex<()>,
    /// Where the consent record and the store live.
    data_dir: Option<PathBuf>,
    /// Where the store's secrets may be kept: the keyring and the key-file directory.
    keys: KeyLocations,
    /// Where the last store opened keeps its key, for the UI's warning.
    store_status: Mutex<Option<StoreStatus>>,
    /// The reader's memory: bodies shown, remote content allowed, attachments opened.
    reader: reader::ReaderState,
    /// Held while an OAuth token is refreshed, so two uses at once (the worker's sync
    /// and a search from the window) never both spend a refresh token the provider
    /// rotates: the second finds the first's new token.
    token_refresh: tokio::sync::Mutex<()>,
}

fn os_user_from_env() -> OsUser {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    OsUser {
        username: var("USER").or_else(|| var("USERNAME")).unwrap_or_default(),
        domain: var("USERDOMAIN"),
    }
}

impl Heron {
    /// Opens the context from the effective configuration. A bad policy at start is an
    /// error (there is no last good policy yet); later bad changes are reported and the
    /// last good policy stays in force.
    pub fn open(options: &HeronOptions) -> Result<Self, ApiError> {
        let loader = PolicyLoader {
            roots: options
                .policy_roots
                .clone()
                .unwrap_or_else(PolicyRoots::system),
            explicit: if options.ignore_config_env {
                options.config_path.clone()
            } else {
                heron_policy::explicit_config(options.config_path.as_deref())
            },
            user_settings: options
                .data_dir
                .as_ref()
                .map(|d| d.join(USER_SETTINGS_FILE)),
            user_accounts: options
                .data_dir
                .as_ref()
                .map(|d| d.join(heron_policy::user_accounts::USER_ACCOUNTS_FILE)),
            os_user: options.os_user.clone().unwrap_or_else(os_user_from_env),
        };
        // A broken user settings file must neither stop the app nor the admin's policy.
        let loaded = loader.load_tolerant()?;
        Ok(Self {
            loader,
            state: Arc::new(Mutex::new(PolicyState {
                effective: loaded.effective,
                error: loaded.user_settings_error.map(ApiError::from),
            })),
            settings_write: Mutex::new(()),
            data_dir: options.data_dir.clone(),
            keys: KeyLocations::new(options.keyring.clone(), options.key_dir.clone()),
            store_status: Mutex::new(None),
            reader: reader::ReaderState::default(),
            token_refresh: tokio::sync::Mutex::new(()),
        })
    }

    fn with_policy<T>(&self, f: impl FnOnce(&EffectivePolicy) -> T) -> T {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        f(&state.effective)
    }

    /// The effective policy in force now.
    pub fn policy(&self) -> EffectivePolicy {
        self.with_policy(Clone::clone)
    }

    /// Facts about this build and its configuration.
    pub fn app_info(&self) -> AppInfo {
        self.with_policy(|p| AppInfo {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            config_sources: p.sources.iter().map(|p| p.display().to_string()).collect(),
            account_count: p.accounts.len(),
        })
    }

    /// The signed-in user's profile: the first provisioned account's, or `None` when no
    /// account is configured yet.
    pub fn profile(&self) -> Option<Profile> {
        self.with_policy(|p| p.accounts.first().map(|a| a.profile()))
    }

    /// The configured accounts, without secrets, without looking for credentials
    /// (`needs_sign_in` is false; [`Heron::account_list`] looks).
    pub fn accounts(&self) -> Vec<AccountSummary> {
        self.with_policy(|p| {
            p.accounts
                .iter()
                .map(|a| AccountSummary::new(a, accounts::origin(p, &a.id), false))
                .collect()
        })
    }

    /// Files the configuration was read from.
    pub fn config_sources(&self) -> Vec<PathBuf> {
        self.with_policy(|p| p.sources.clone())
    }

    /// The effective configuration with each value's source, secrets redacted:
    /// `heronctl policy show --json`.
    pub fn policy_report(&self) -> serde_json::Value {
        self.with_policy(EffectivePolicy::to_report)
    }

    /// Why the newest policy sources were rejected, while the last good policy is kept.
    pub fn policy_error(&self) -> Option<ApiError> {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.error.clone()
    }

    /// Reads the sources again. On success the new policy applies and the changed keys
    /// are returned; on failure the error is returned and remembered, and the last good
    /// policy stays in force.
    pub fn reload(&self) -> Result<Vec<String>, ApiError> {
        reload(&self.loader, &self.state)
    }

    /// Changes one of the user's own settings (dotted key, e.g.
    /// `features.remote_content`) and applies it. Refused with
    /// [`ErrorCode::SettingLocked`] when the admin locked it or it is admin-only.
    pub fn set_user_setting(&self, key: &str, value: serde_json::Value) -> Result<(), ApiError> {
        let Some(spec) = heron_policy::schema::setting_spec(key) else {
            return Err(ApiError::new(
                ErrorCode::NotFound,
                format!("There is no setting {key}"),
            ));
        };
        if !spec.user_may_set {
            return Err(ApiError::new(
                ErrorCode::SettingLocked,
                format!("The setting {key} can only be set by your administrator"),
            ));
        }
        let locked = self.with_policy(|p| p.origins.get(key).is_some_and(|o| o.locked));
        if locked {
            return Err(ApiError::new(
                ErrorCode::SettingLocked,
                format!("Your administrator has locked the setting {key}; ask them to change it"),
            ));
        }
        heron_policy::check_setting_value(key, &value)
            .map_err(|e| ApiError::new(ErrorCode::InvalidValue, e))?;
        let Some(path) = &self.loader.user_settings else {
            return Err(ApiError::new(
                ErrorCode::NoDataDir,
                "User settings cannot be saved because Heron was started without a data directory",
            ));
        };
        {
            let _writing = self
                .settings_write
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            // A broken file is already reported and left out of the policy; saving a good
            // one in its place is how the user gets out of that state.
            let mut settings = UserSettings::load(path).unwrap_or_default();
            settings.0.insert(key.to_owned(), value);
            settings.save(path)?;
        }
        // The setting is saved. If a managed file is broken right now the reload fails,
        // but that problem is the admin's and stays reported through policy_error; it does
        // not make this change fail.
        let _ = self.reload();
        Ok(())
    }

    /// Watches the policy sources, polling every `interval`; every change is reloaded and
    /// reported through `on_event`. Watching stops when the returned value is dropped.
    pub fn watch_policy(
        &self,
        interval: std::time::Duration,
        on_event: impl Fn(PolicyEvent) + Send + 'static,
    ) -> PolicyWatcher {
        watch::start(
            self.loader.clone(),
            Arc::clone(&self.state),
            interval,
            on_event,
        )
    }

    /// The privacy notice in force (the policy's, or Heron's own) and whether the user
    /// must accept it before anything syncs.
    pub fn privacy_notice(&self) -> Result<PrivacyNoticeView, ApiError> {
        let notice = self.with_policy(|p| p.privacy_notice.clone());
        consent::notice_view(notice.as_ref(), self.data_dir.as_deref())
    }

    /// Records that the user accepted the notice `version` at `now_unix` (seconds since
    /// the epoch, passed in by the caller). Refused with
    /// [`ErrorCode::NoticeVersionMismatch`] unless `version` is the one in force.
    pub fn accept_privacy_notice(
        &self,
        version: &str,
        now_unix: i64,
    ) -> Result<AcceptedNotice, ApiError> {
        let in_force = self.privacy_notice()?.version;
        consent::accept(&in_force, version, now_unix, self.data_dir.as_deref())
    }

    /// Checks a configuration file without opening a context: `heronctl policy check`.
    /// The error lists every problem, one per line.
    pub fn check_config(path: &Path) -> Result<AccountCount, ApiError> {
        let document = PolicyDocument::load(path)?;
        Ok(AccountCount(document.accounts.len()))
    }
}

fn reload(loader: &PolicyLoader, state: &Mutex<PolicyState>) -> Result<Vec<String>, ApiError> {
    let loaded = loader.load_tolerant();
    let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
    match loaded {
        Ok(loaded) => {
            let changed = loaded.effective.changed_keys(&state.effective);
            state.effective = loaded.effective;
            state.error = loaded.user_settings_error.map(ApiError::from);
            Ok(changed)
        }
        Err(e) => {
            let error = ApiError::from(e);
            state.error = Some(error.clone());
            Err(error)
        }
    }
}

/// How many accounts a checked configuration provisions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct AccountCount(pub usize);

#[cfg(test)]
mod tests {
    use super::*;

    /// A context with one provisioned account (`alice@example.test`), for unit tests of
    /// the modules; the directory holding its configuration comes with it.
    pub(crate) fn heron_with_account() -> (tempfile::TempDir, Heron) {
        let dir = tempfile::tempdir().unwrap();
        let heron = Heron::open(&HeronOptions {
            config_path: Some(write_config(dir.path())),
            ignore_config_env: true,
            ..HeronOptions::default()
        })
        .unwrap();
        (dir, heron)
    }

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
            ..HeronOptions::default()
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
            ..HeronOptions::default()
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
            ..HeronOptions::default()
        })
        .unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidConfig);
        assert!(err.message.contains("bad.json:1:"), "{}", err.message);
    }
}
