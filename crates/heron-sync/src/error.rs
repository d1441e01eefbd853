//! Sync failures: the IMAP error (typed by what the user can do) or the store's.

use heron_imap::ImapError;
use heron_store::StoreError;

/// A sync failure.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// Talking to the server failed.
    #[error(transparent)]
    Imap(#[from] ImapError),
    /// Reading or writing the local store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The account's configuration cannot be used (no password, unreadable CA file).
    #[error("{0}")]
    Config(String),
    /// A message the user acted on is not in the store (any more).
    #[error("Message {0} is not in the local store")]
    UnknownMessage(i64),
}

impl SyncError {
    /// A stable code for the UI and the CLI.
    pub fn code(&self) -> &'static str {
        match self {
            SyncError::Imap(e) => e.code(),
            SyncError::Store(StoreError::DiskFull(_)) => "disk_full",
            SyncError::Store(_) => "storage_failed",
            SyncError::Config(_) => "invalid_config",
            SyncError::UnknownMessage(_) => "not_found",
        }
    }

    /// True when trying again later may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, SyncError::Imap(e) if e.is_transient())
    }
}

/// Result with [`SyncError`].
pub type Result<T, E = SyncError> = std::result::Result<T, E>;
