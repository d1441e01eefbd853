//! The errors callers branch on.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// Everything that can go wrong in the store.
///
/// The variants are the decisions a caller makes: ask the user to fix the keyring, offer
/// to rebuild the cache, tell them to update Heron, tell them to free disk space. The
/// messages say what happened and what to do, because the shell shows them as they are.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The OS keyring cannot be reached (e.g. headless Linux without a Secret Service).
    #[error(
        "The OS keyring is unavailable ({cause}): log in to a desktop session, or install and \
         start a Secret Service such as gnome-keyring; or ask your admin to allow the key-file \
         fallback (policy security.key_file_fallback_allowed)"
    )]
    KeyringUnavailable {
        /// What the keyring backend reported.
        cause: String,
    },

    /// A database exists but its key is gone; a new key is never created over it.
    #[error(
        "The local cache at {path} cannot be opened because its key is missing from the \
         keyring; it can be rebuilt from the server ({at_risk})"
    )]
    KeyMissing {
        /// The database file.
        path: PathBuf,
        /// What a rebuild would lose, as far as it can be known without the key.
        at_risk: LossReport,
    },

    /// The key does not open the database, or the file is damaged.
    #[error(
        "The local cache at {path} cannot be opened: the key is wrong or the file is damaged \
         ({detail}); it can be rebuilt from the server ({at_risk})"
    )]
    WrongKeyOrCorrupt {
        /// The database file.
        path: PathBuf,
        /// The SQLite error and, when it could run, `PRAGMA cipher_integrity_check`.
        detail: String,
        /// What a rebuild would lose, as far as it can be known.
        at_risk: LossReport,
    },

    /// The database was written by a newer Heron; opening it could corrupt it.
    #[error(
        "The local cache at {path} was written by a newer Heron (schema {found}, this version \
         knows up to {supported}): update Heron"
    )]
    NewerSchema {
        /// The database file.
        path: PathBuf,
        /// `PRAGMA user_version` found in the file.
        found: i64,
        /// The newest schema this binary knows.
        supported: i64,
    },

    /// SQLITE_FULL or ENOSPC: nothing of the failed write was kept.
    #[error("The disk is full ({0}): free some space and try again")]
    DiskFull(String),

    /// A file operation failed.
    #[error("Cannot access {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },

    /// Any other SQLite error (a bug or an unexpected state, not a user decision).
    #[error("Database error: {0}")]
    Sqlite(#[source] rusqlite::Error),

    /// An encrypted blob failed authentication: flipped, truncated, reordered or swapped.
    #[error("Stored file {name} is damaged or was altered ({reason}): download the message again")]
    BlobCorrupt {
        /// The blob's file name.
        name: String,
        /// Which check failed.
        reason: &'static str,
    },

    /// The key store (keyring or key file) failed for a reason other than availability.
    #[error("Cannot use the key store: {0}")]
    KeyStore(String),

    /// A state the store cannot handle (a bug or an exhausted limit, not a user decision).
    #[error("Unexpected local store state: {0}")]
    Unexpected(String),

    /// The operating system's random number generator failed.
    #[error("Cannot get random bytes from the operating system: {0}")]
    Random(String),

    /// A row the caller named does not exist.
    #[error("No {what} with id {id}")]
    NotFound {
        /// The kind of row.
        what: &'static str,
        /// Its id.
        id: i64,
    },

    /// The change is not possible in the row's current state (e.g. editing a draft that
    /// is in the outbox); the message says what to do.
    #[error("{0}")]
    Conflict(String),

    /// A wipe ran, but the verification found something left.
    #[error("Wipe did not finish: {0}; try again, then remove the data directory by hand")]
    WipeIncomplete(String),
}

impl StoreError {
    /// Wraps an I/O error with the path it concerns; a full disk becomes [`StoreError::DiskFull`].
    pub fn io(path: impl Into<PathBuf>, source: io::Error) -> Self {
        let path = path.into();
        if is_disk_full(&source) {
            StoreError::DiskFull(format!("{}: {source}", path.display()))
        } else {
            StoreError::Io { path, source }
        }
    }
}

/// ENOSPC (28 on Linux and macOS; ERROR_DISK_FULL 112 / ERROR_HANDLE_DISK_FULL 39 on Windows).
fn is_disk_full(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::StorageFull
        || e.kind() == io::ErrorKind::QuotaExceeded
        || matches!(e.raw_os_error(), Some(28)) && cfg!(unix)
        || matches!(e.raw_os_error(), Some(112 | 39)) && cfg!(windows)
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        if let rusqlite::Error::SqliteFailure(f, _) = &e
            && f.code == rusqlite::ErrorCode::DiskFull
        {
            return StoreError::DiskFull(e.to_string());
        }
        StoreError::Sqlite(e)
    }
}

/// What deleting an unopenable cache would lose, as far as it can be known without the key.
///
/// The outbox and unsynced drafts are rows inside the encrypted database, so they cannot
/// be counted without the key; the report says so instead of guessing. It does report
/// the files, including a non-empty write-ahead log, which means recent writes that were
/// never checkpointed (often the newest drafts or sends).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LossReport {
    /// Size of the database file in bytes (0 when absent).
    pub database_bytes: u64,
    /// Size of the write-ahead log in bytes: recent writes not yet folded into the file.
    pub wal_bytes: u64,
    /// Number of encrypted blob files (raw messages and attachments).
    pub blob_files: u64,
    /// Their total size in bytes.
    pub blob_bytes: u64,
    /// Always true when the key is missing or wrong: unsent mail and unsynced drafts may
    /// exist inside the database but cannot be counted without the key.
    pub pending_unknown: bool,
}

impl fmt::Display for LossReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "database {} bytes, recent unsaved log {} bytes, {} stored files of {} bytes",
            self.database_bytes, self.wal_bytes, self.blob_files, self.blob_bytes
        )?;
        if self.pending_unknown {
            f.write_str(
                "; unsent mail and unsynced drafts cannot be counted without the key and \
                 would be lost",
            )?;
        }
        Ok(())
    }
}

/// Shorthand used throughout the crate.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;
