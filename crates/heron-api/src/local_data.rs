//! What Heron keeps on this device: the encrypted store in the data directory, and the
//! keyring entries that unlock it.

use std::path::Path;
use std::sync::Arc;

use heron_store::{KeyStore, OsKeyring, Store, StoreError};
use serde::Serialize;

use crate::{ApiError, ErrorCode};

/// The OS keyring under Heron's service name: where the store's key lives.
pub fn os_keyring() -> Arc<dyn KeyStore> {
    Arc::new(OsKeyring::new(heron_store::KEYRING_SERVICE))
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
pub fn wipe_local_data(
    data_dir: &Path,
    key_store: Arc<dyn KeyStore>,
) -> Result<WipeSummary, ApiError> {
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
