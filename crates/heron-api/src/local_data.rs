//! What Heron keeps on this device: the encrypted store in the data directory, and the
//! keyring entries (or, where an admin allows it, the key file) that unlock it.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError};

use heron_store::{
    KeyFileStore, KeyStore, KeyringWithFallback, LossReport, OsKeyring, Store, StoreError,
};
use serde::Serialize;

use crate::mail::OpenFailure;
use crate::{ApiError, ErrorCode, Heron, KeyStorage};

/// The OS keyring under Heron's service name: where the store's key lives.
pub fn os_keyring() -> Arc<dyn KeyStore> {
    Arc::new(OsKeyring::new(heron_store::KEYRING_SERVICE))
}

/// Where the secrets of a data directory may be kept: the keyring, and the directory of
/// the key-file fallback (used only where no keyring can be reached and the admin's policy
/// `security.key_file_fallback_allowed` allows it).
#[derive(Clone)]
pub struct KeyLocations {
    /// The keyring: the OS's, unless a test or an embedder gives another.
    pub keyring: Arc<dyn KeyStore>,
    /// The key-file directory; `None` when there is no per-user config directory (then
    /// the fallback cannot be used).
    pub key_dir: Option<PathBuf>,
}

impl std::fmt::Debug for KeyLocations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyLocations")
            .field("key_dir", &self.key_dir)
            .finish_non_exhaustive()
    }
}

impl KeyLocations {
    /// `keyring`, or the OS keyring; `key_dir`, or the per-user default
    /// ([`default_key_dir`]).
    pub fn new(keyring: Option<Arc<dyn KeyStore>>, key_dir: Option<PathBuf>) -> Self {
        Self {
            keyring: keyring.unwrap_or_else(os_keyring),
            key_dir: key_dir.or_else(default_key_dir),
        }
    }

    /// The keyring and key file together, which decide where a data directory's secrets are.
    pub(crate) fn with_fallback(&self) -> KeyringWithFallback {
        KeyringWithFallback::new(
            Arc::clone(&self.keyring),
            self.key_dir.as_deref().map(KeyFileStore::in_dir),
        )
    }

    /// Refuses a key directory inside `data_dir`: the key must never sit next to the data
    /// it unlocks (a copy or backup of the data directory would carry both).
    pub(crate) fn check_outside(&self, data_dir: &Path) -> Result<(), ApiError> {
        let Some(key_dir) = &self.key_dir else {
            return Ok(());
        };
        if resolved(key_dir).starts_with(resolved(data_dir)) {
            return Err(ApiError::new(
                ErrorCode::InvalidConfig,
                format!(
                    "The key directory {} is inside the data directory {}: the store's key \
                     must never be kept next to its data; choose a key directory elsewhere",
                    key_dir.display(),
                    data_dir.display()
                ),
            ));
        }
        Ok(())
    }
}

/// Where the key file is kept by default: the per-user config directory, outside the data
/// directory. `$XDG_CONFIG_HOME/heron/keys` (else `$HOME/.config/heron/keys`) on Linux
/// and the BSDs, `~/Library/Application Support/Heron/keys` on macOS,
/// `%APPDATA%\Heron\keys` on Windows. `None` when the variable it needs is unset.
pub fn default_key_dir() -> Option<PathBuf> {
    per_user_key_dir(|name| std::env::var_os(name))
}

fn per_user_key_dir(var: impl Fn(&str) -> Option<OsString>) -> Option<PathBuf> {
    // Absolute paths only: a relative XDG_CONFIG_HOME is invalid by the XDG spec, and a
    // relative HOME would put the key wherever the process happened to start.
    let absolute = |name: &str| var(name).map(PathBuf::from).filter(|p| p.is_absolute());
    #[cfg(windows)]
    let dir = absolute("APPDATA").map(|d| d.join("Heron"));
    #[cfg(target_os = "macos")]
    let dir = absolute("HOME").map(|h| h.join("Library").join("Application Support").join("Heron"));
    #[cfg(not(any(windows, target_os = "macos")))]
    let dir = absolute("XDG_CONFIG_HOME")
        .or_else(|| absolute("HOME").map(|h| h.join(".config")))
        .map(|d| d.join("heron"));
    dir.map(|d| d.join("keys"))
}

/// `path` made absolute, with symbolic links resolved as far as it exists and `.` and
/// `..` applied, so that two spellings of one place compare equal even before the
/// directories are created.
fn resolved(path: &Path) -> PathBuf {
    use std::path::Component;
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut real = PathBuf::new();
    for component in absolute.components() {
        match component {
            Component::Prefix(_) | Component::RootDir => real.push(component),
            Component::CurDir => {}
            // `real` has its links resolved, so its parent is the real parent.
            Component::ParentDir => {
                real.pop();
            }
            Component::Normal(name) => {
                real.push(name);
                if let Ok(canonical) = std::fs::canonicalize(&real) {
                    real = canonical;
                }
            }
        }
    }
    real
}

/// What a wipe removed; it is returned only when verification found nothing left.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct WipeSummary {
    /// Database rows deleted (0 when the store could not be opened: its files went whole).
    pub rows_deleted: u64,
    /// Files deleted.
    pub files_deleted: u64,
    /// Keyring entries deleted, the master key first.
    pub secrets_deleted: u64,
}

/// What would be lost by a wipe, for the confirmation an admin or user is shown first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct LocalDataSummary {
    /// Size of the database and its write-ahead log, in bytes.
    pub database_bytes: u64,
    /// Encrypted blob files (raw messages and attachments).
    pub blob_files: u64,
    /// Their size in bytes.
    pub blob_bytes: u64,
}

/// Sizes what `data_dir` holds, without the key (nothing is opened or changed).
pub fn local_data_summary(data_dir: &Path) -> Result<LocalDataSummary, ApiError> {
    let report = Store::loss_report(data_dir).map_err(store_error)?;
    Ok(LocalDataSummary {
        database_bytes: report.database_bytes + report.wal_bytes,
        blob_files: report.blob_files,
        blob_bytes: report.blob_bytes,
    })
}

/// Deletes everything Heron keeps in `data_dir`: the master key first, so every byte left
/// behind by a failed file deletion is unreadable, then the accounts' keyring entries, then
/// the files; then verifies that nothing is left. A store whose key is missing or wrong is
/// wiped too (its accounts' keyring entries cannot be listed without the key).
///
/// Secrets are deleted from the keyring AND the key file. When the keyring cannot be
/// reached, the wipe still works if the store's key is in the key file (then all its
/// secrets are there); otherwise it fails with `keyring_unavailable` before deleting
/// anything, since the key it cannot delete would still open the files' copies.
pub fn wipe_local_data(data_dir: &Path, keys: &KeyLocations) -> Result<WipeSummary, ApiError> {
    let has_store = data_dir.join(heron_store::DB_FILE).exists();
    if !has_store && !only_heron_entries(data_dir)? {
        // A mistyped --data-dir must never cost someone their files.
        return Err(ApiError {
            code: ErrorCode::NotFound,
            message: format!(
                "{} is not a Heron data directory (it has no {} and holds other files); nothing was deleted",
                data_dir.display(),
                heron_store::DB_FILE
            ),
        });
    }
    let key_store = keys
        .with_fallback()
        .for_wipe(data_dir)
        .map_err(store_error)?;
    let report = if has_store {
        match Store::open(data_dir, key_store.clone(), &mut heron_store::OsRandom) {
            Ok(store) => store.wipe_all(),
            // A store this build cannot read (no key, wrong key, damaged, or written by a
            // newer Heron) is exactly the one an admin may need to remove.
            Err(
                StoreError::KeyMissing { .. }
                | StoreError::WrongKeyOrCorrupt { .. }
                | StoreError::NewerSchema { .. },
            ) => Store::wipe_unopenable(data_dir, key_store.as_ref()),
            Err(e) => Err(e),
        }
    } else {
        // Never create a store only to delete it: without a database there are just the
        // files (if any) and the key entry (if any) to remove.
        Store::wipe_unopenable(data_dir, key_store.as_ref())
    }
    .map_err(store_error)?;
    Ok(WipeSummary {
        rows_deleted: report.rows_deleted,
        files_deleted: report.files_deleted,
        secrets_deleted: report.secrets_deleted,
    })
}

/// Whether everything in `dir` (if it exists) is an entry Heron owns.
fn only_heron_entries(dir: &Path) -> Result<bool, ApiError> {
    let unreadable = |e: std::io::Error| ApiError {
        code: ErrorCode::StorageFailed,
        message: format!("Cannot read {}: {e}", dir.display()),
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(true),
        Err(e) => return Err(unreadable(e)),
    };
    for entry in entries {
        let name = entry.map_err(unreadable)?.file_name();
        if !heron_store::OWNED_ENTRIES
            .iter()
            .any(|owned| name == *owned)
        {
            return Ok(false);
        }
    }
    Ok(true)
}

/// What the window learns about the local store at start, and shows first: nothing
/// (ready), a warning while the key is in a file, or a dialog when the store cannot be
/// used. Tagged by `state`: `ready`, `unreadable`, `keyring_unavailable`, `error`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum LocalStoreState {
    /// The store opens (it is created on first use).
    Ready {
        /// Where its key is kept.
        key_storage: KeyStorage,
        /// The key file's directory, when `key_storage` is `key_file`.
        key_dir: Option<String>,
        /// What to show while it is open: with a key file, what that means and what to
        /// do (also written to the log). Empty with the OS keyring.
        warnings: Vec<String>,
    },
    /// A database exists but cannot be opened: its key is missing, or the key does not
    /// open it, or the file is damaged. Nothing was created over it;
    /// [`Heron::rebuild_local_store`] replaces it with an empty store that syncs again.
    Unreadable {
        /// Always [`ErrorCode::StoreUnreadable`].
        code: ErrorCode,
        /// Which of the faults it is, for the UI's own words.
        reason: UnreadableReason,
        /// The store's words, with `cipher_integrity_check` when it could run.
        message: String,
        /// What a rebuild would lose.
        loss: RebuildLoss,
    },
    /// The OS keyring cannot be reached and the policy allows no key file (or the
    /// store's key is not in it); the message names the cause and the fix.
    KeyringUnavailable {
        /// What happened and what to do.
        message: String,
    },
    /// Anything else: no data directory, a full disk, a store written by a newer Heron.
    Error {
        /// The kind, as in every [`ApiError`].
        code: ErrorCode,
        /// What happened and what to do.
        message: String,
    },
}

/// Why an existing store cannot be opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UnreadableReason {
    /// Its key is not in the keyring (nor in the key file).
    KeyMissing,
    /// The key does not open it, or the file is damaged.
    WrongKeyOrDamaged,
}

/// What rebuilding an unreadable store would lose, as far as it can be known without
/// the key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct RebuildLoss {
    /// Size of the database and its write-ahead log, in bytes.
    pub database_bytes: u64,
    /// Encrypted blob files (raw messages and attachments).
    pub blob_files: u64,
    /// Their size in bytes.
    pub blob_bytes: u64,
    /// Unsent mail in the outbox and drafts not yet saved to the server may be inside
    /// and would be lost: they cannot be counted without the key, so this is true
    /// whenever they might exist.
    pub unsent_at_risk: bool,
}

impl From<&LossReport> for RebuildLoss {
    fn from(r: &LossReport) -> Self {
        Self {
            database_bytes: r.database_bytes + r.wal_bytes,
            blob_files: r.blob_files,
            blob_bytes: r.blob_bytes,
            unsent_at_risk: r.pending_unknown,
        }
    }
}

impl Heron {
    /// Opens the local store (creating it on first use) and closes it again, to tell the
    /// window what to show first; see [`LocalStoreState`]. Never creates a key over an
    /// existing database. Blocks on file and keyring access, briefly.
    pub fn local_store_state(&self) -> LocalStoreState {
        match self.try_open_store() {
            Ok((_store, status)) => LocalStoreState::Ready {
                key_storage: status.key_storage,
                key_dir: status.key_dir,
                warnings: status.warnings,
            },
            Err(OpenFailure::Store(e)) => match &e {
                StoreError::KeyMissing { at_risk, .. } => LocalStoreState::Unreadable {
                    code: ErrorCode::StoreUnreadable,
                    reason: UnreadableReason::KeyMissing,
                    loss: at_risk.into(),
                    message: e.to_string(),
                },
                StoreError::WrongKeyOrCorrupt { at_risk, .. } => LocalStoreState::Unreadable {
                    code: ErrorCode::StoreUnreadable,
                    reason: UnreadableReason::WrongKeyOrDamaged,
                    loss: at_risk.into(),
                    message: e.to_string(),
                },
                StoreError::KeyringUnavailable { .. } => LocalStoreState::KeyringUnavailable {
                    message: e.to_string(),
                },
                _ => error_state(store_error(e)),
            },
            Err(refused @ OpenFailure::Refused(_)) => error_state(refused.into_api()),
        }
    }

    /// Replaces an unreadable store with an empty one that syncs again from the server:
    /// deletes the data directory's store, its files and its key (see
    /// [`wipe_local_data`]), keeps the user's settings, opens a fresh store and returns
    /// the new state.
    ///
    /// Only an unreadable store is rebuilt: one that opens is refused with
    /// [`ErrorCode::Conflict`] and left alone, and an unreachable keyring or another
    /// failure is returned as its error (rebuilding would not help). Refused with
    /// [`ErrorCode::AlreadyRunning`] while another Heron uses the data directory.
    pub fn rebuild_local_store(&self) -> Result<LocalStoreState, ApiError> {
        let dir = self.data_dir_or_error()?;
        let _instance = self.lock_instance()?;
        match self.local_store_state() {
            LocalStoreState::Unreadable { .. } => {}
            LocalStoreState::Ready { .. } => {
                return Err(ApiError::new(
                    ErrorCode::Conflict,
                    "The local cache opens normally, so it was not rebuilt; nothing was deleted",
                ));
            }
            LocalStoreState::KeyringUnavailable { message } => {
                return Err(ApiError::new(ErrorCode::KeyringUnavailable, message));
            }
            LocalStoreState::Error { code, message } => return Err(ApiError { code, message }),
        }
        {
            // The user's own settings are not part of the cache: they survive the rebuild.
            let _writing = self
                .settings_write
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let settings_path = dir.join(heron_policy::USER_SETTINGS_FILE);
            let settings = match std::fs::read(&settings_path) {
                Ok(bytes) => Some(bytes),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => {
                    return Err(ApiError::new(
                        ErrorCode::StorageFailed,
                        format!(
                            "Cannot read {}: {e}; nothing was deleted",
                            settings_path.display()
                        ),
                    ));
                }
            };
            wipe_local_data(&dir, &self.keys)?;
            if let Some(bytes) = settings {
                let restored = std::fs::create_dir_all(&dir)
                    .and_then(|()| std::fs::write(&settings_path, bytes));
                if let Err(e) = restored {
                    // The cache is gone either way; losing the settings is not a reason to
                    // leave the user without one.
                    eprintln!(
                        "heron: warning: the user settings could not be kept across the \
                         rebuild ({}: {e}); they are back to their defaults",
                        settings_path.display()
                    );
                }
            }
        }
        Ok(self.local_store_state())
    }
}

fn error_state(e: ApiError) -> LocalStoreState {
    LocalStoreState::Error {
        code: e.code,
        message: e.message,
    }
}

/// The store's errors as the UI and `heronctl` see them.
pub(crate) fn store_error(e: StoreError) -> ApiError {
    let code = match &e {
        StoreError::KeyringUnavailable { .. } => ErrorCode::KeyringUnavailable,
        StoreError::KeyMissing { .. } | StoreError::WrongKeyOrCorrupt { .. } => {
            ErrorCode::StoreUnreadable
        }
        StoreError::DiskFull(_) => ErrorCode::DiskFull,
        StoreError::WipeIncomplete(_) => ErrorCode::WipeIncomplete,
        StoreError::NotFound { .. } => ErrorCode::NotFound,
        StoreError::Conflict(_) => ErrorCode::Conflict,
        _ => ErrorCode::StorageFailed,
    };
    ApiError {
        code,
        message: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| {
            vars.iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| OsString::from(v))
        }
    }

    #[cfg(not(any(windows, target_os = "macos")))]
    #[test]
    fn the_key_dir_is_in_the_xdg_config_home_else_in_dot_config() {
        let dir = per_user_key_dir(env(&[("XDG_CONFIG_HOME", "/x/cfg"), ("HOME", "/home/u")]));
        assert_eq!(dir, Some(PathBuf::from("/x/cfg/heron/keys")));
        let dir = per_user_key_dir(env(&[("HOME", "/home/u")]));
        assert_eq!(dir, Some(PathBuf::from("/home/u/.config/heron/keys")));
        // A relative XDG_CONFIG_HOME is invalid (XDG spec) and ignored.
        let dir = per_user_key_dir(env(&[("XDG_CONFIG_HOME", "cfg"), ("HOME", "/home/u")]));
        assert_eq!(dir, Some(PathBuf::from("/home/u/.config/heron/keys")));
        assert_eq!(per_user_key_dir(env(&[("HOME", "")])), None);
        assert_eq!(per_user_key_dir(env(&[])), None);
    }

    #[cfg(target_os = "macos")]
    #[test]
    fn the_key_dir_is_in_application_support() {
        let dir = per_user_key_dir(env(&[("HOME", "/Users/u")]));
        assert_eq!(
            dir,
            Some(PathBuf::from(
                "/Users/u/Library/Application Support/Heron/keys"
            ))
        );
    }

    #[cfg(windows)]
    #[test]
    fn the_key_dir_is_in_appdata() {
        let dir = per_user_key_dir(env(&[("APPDATA", r"C:\Users\u\AppData\Roaming")]));
        assert_eq!(
            dir,
            Some(PathBuf::from(r"C:\Users\u\AppData\Roaming\Heron\keys"))
        );
    }

    #[test]
    fn a_key_dir_is_compared_to_the_data_dir_after_resolving_dots() {
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path().join("data");
        let keys = |dir: PathBuf| KeyLocations {
            keyring: Arc::new(OsKeyring::default()),
            key_dir: Some(dir),
        };
        assert!(keys(data.join("keys")).check_outside(&data).is_err());
        assert!(keys(data.clone()).check_outside(&data).is_err());
        assert!(
            keys(tmp.path().join("x/../data/k"))
                .check_outside(&data)
                .is_err()
        );
        assert!(
            keys(tmp.path().join("data-keys"))
                .check_outside(&data)
                .is_ok()
        );
        assert!(
            keys(tmp.path().join("config/heron/keys"))
                .check_outside(&data)
                .is_ok()
        );
    }
}
