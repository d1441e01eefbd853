//! Heron's encrypted local store.
//!
//! Everything Heron keeps on disk goes through this crate: one SQLCipher database for
//! all accounts (accounts, folders, messages, flags, the operation log, drafts, outbox,
//! calendar and directory caches, settings), a full-text index inside it, and
//! AEAD-encrypted blob files for raw messages and attachments. The master key is 32
//! random bytes kept in the OS keyring ([`OsKeyring`]), never next to the data; every
//! other key is derived from it, so deleting it crypto-shreds the store. Where no keyring
//! can be reached, an admin policy may allow a key file in the per-user config directory
//! instead ([`KeyringWithFallback`] decides which holds a data directory's secrets).
//!
//! Nothing is ever deleted implicitly: a missing or wrong key is an error
//! ([`StoreError::KeyMissing`], [`StoreError::WrongKeyOrCorrupt`]) that tells the caller
//! what a rebuild would lose; only [`Store::wipe_account`], [`Store::wipe_all`] and
//! [`Store::wipe_unopenable`] delete data.

#![warn(missing_docs)]

mod blob;
mod error;
mod fallback;
mod fsutil;
mod key;
mod outgoing;
mod schema;
mod search;
mod store;
mod sync_state;
mod words;

pub use blob::{
    BlobName, BlobReader, BlobStore, CHUNK as BLOB_CHUNK, INFO_BLOB_ENC, INFO_BLOB_NAME,
    OpenedAttachments, from_read_error, safe_base_name,
};
pub use error::{LossReport, Result, StoreError};
pub use fallback::{KeyStorage, KeyringWithFallback};
pub use key::{
    KEYRING_SERVICE, KeyFileStore, KeyStore, MasterKey, OsKeyring, OsRandom, RandomSource,
    account_secret_entry, master_key_entry,
};
pub use outgoing::{DraftRecord, DraftState, OutboxRecord, OutboxState};
pub use schema::SCHEMA_VERSION;
pub use search::{Field, RANK_WINDOW, SearchOrder, SearchQuery, Term, parse_query};
pub use store::{
    DB_FILE, Flags, FolderId, FolderInfo, INSTANCE_LOCK_FILE, ListOrder, MessageRowId,
    MessageSummary, NewAttachment, NewMessage, OWNED_ENTRIES, Page, PageCursor, PendingWork, Store,
    WipeReport,
};
pub use sync_state::{
    FolderChanges, FolderRow, FolderState, LocalChange, LocalMessage, MessageLocation,
    OperationRow, PLACEHOLDER_UIDVALIDITY,
};
