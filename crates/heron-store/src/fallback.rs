//! The OS keyring with the key-file fallback an admin policy may allow.
//!
//! Each data directory keeps all its secrets (the master key and the accounts' passwords
//! and tokens) in ONE place, the place its master key was created in, decided when its
//! store is opened:
//!
//! - the keyring holds the master key: the keyring;
//! - the keyring is reachable but lacks it, and the key file has it: the key file (the
//!   store was created while no keyring was reachable; a keyring that appears later must
//!   not make it unopenable, and the key is not moved into it: a keyring can be a
//!   throw-away session one, and a moved key lost with it would cost the outbox);
//! - neither holds it: the keyring creates it, or, only when the keyring cannot be reached
//!   and the policy allows the fallback, the key file does. A store that already exists
//!   never gets a new key (its key can only be in the unreachable keyring).
//!
//! One place per store, rather than a store that reads both and writes wherever it can,
//! because then a password changed while the keyring was away would be shadowed by the
//! stale copy in the keyring when it came back. A wipe deletes from both places.

use std::path::Path;
use std::sync::Arc;

use zeroize::Zeroizing;

use crate::error::{Result, StoreError};
use crate::key::{KeyFileStore, KeyStore, master_key_entry};
use crate::store::{canonical_data_dir, store_exists};

/// Where a data directory's secrets are kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyStorage {
    /// The OS keyring (Secret Service, Keychain, Credential Manager).
    OsKeyring,
    /// A 0600 file in the per-user config directory: the fallback a policy may allow.
    KeyFile,
}

/// The keyring and the key-file directory, which together decide where the secrets of a
/// data directory are (see the module documentation).
#[derive(Clone)]
pub struct KeyringWithFallback {
    keyring: Arc<dyn KeyStore>,
    key_file: Option<KeyFileStore>,
}

impl std::fmt::Debug for KeyringWithFallback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyringWithFallback")
            .field("key_file", &self.key_file)
            .finish_non_exhaustive()
    }
}

impl KeyringWithFallback {
    /// `keyring` is normally [`crate::OsKeyring`]; `key_file` is `None` when there is no
    /// per-user config directory to keep a key file in (then the fallback cannot be used).
    pub fn new(keyring: Arc<dyn KeyStore>, key_file: Option<KeyFileStore>) -> Self {
        Self { keyring, key_file }
    }

    /// The key store to open `data_dir`'s store with, and which one it is.
    ///
    /// `file_allowed` is the policy `security.key_file_fallback_allowed`: it decides only
    /// whether a NEW key may be created in a file. A key already in a file is used even
    /// when the policy no longer allows it: refusing would strand the cache (and its
    /// outbox) without removing the file; wiping is how an admin removes it.
    ///
    /// Without the policy, an unreachable keyring is [`StoreError::KeyringUnavailable`]
    /// and nothing is created.
    pub fn for_open(
        &self,
        data_dir: &Path,
        file_allowed: bool,
    ) -> Result<(Arc<dyn KeyStore>, KeyStorage)> {
        let data_dir = canonical_data_dir(data_dir);
        let entry = master_key_entry(&data_dir);
        let keyring = || (Arc::clone(&self.keyring), KeyStorage::OsKeyring);
        let cause = match self.keyring.load(&entry) {
            // Store::open reads the key again: served from here, not a second round trip
            // to the Secret Service (a D-Bus session and a key exchange each time).
            Ok(Some(key)) => {
                return Ok((
                    Arc::new(Remembered {
                        inner: Arc::clone(&self.keyring),
                        entry,
                        secret: std::sync::Mutex::new(Some(key)),
                    }),
                    KeyStorage::OsKeyring,
                ));
            }
            Ok(None) => {
                return Ok(match self.file_holding(&entry)? {
                    Some(file) => file,
                    None => keyring(),
                });
            }
            Err(StoreError::KeyringUnavailable { cause }) => cause,
            Err(e) => return Err(e),
        };
        if let Some(file) = self.file_holding(&entry)? {
            return Ok(file);
        }
        let unavailable = |more: &str| StoreError::KeyringUnavailable {
            cause: format!("{cause}{more}"),
        };
        if !file_allowed {
            return Err(unavailable(""));
        }
        let Some(file) = &self.key_file else {
            return Err(unavailable(
                "; the key-file fallback is allowed, but there is no per-user config \
                 directory to keep the key file in (HOME, or APPDATA on Windows, is \
                 not set)",
            ));
        };
        if store_exists(&data_dir)? {
            return Err(unavailable(
                "; the existing cache's key is not in the key file, so only the keyring can \
                 open it",
            ));
        }
        Ok((Arc::new(file.clone()), KeyStorage::KeyFile))
    }

    /// The key store a wipe of `data_dir` deletes from: the keyring and the key file both
    /// when the keyring is reachable; the key file alone when the keyring cannot be
    /// reached but the key file holds the store's key (then the store's secrets are all
    /// in the file). Otherwise the keyring's error: the key may be in it, and a wipe that
    /// cannot delete the key cannot promise that nothing left is readable.
    pub fn for_wipe(&self, data_dir: &Path) -> Result<Arc<dyn KeyStore>> {
        let entry = master_key_entry(&canonical_data_dir(data_dir));
        match self.keyring.load(&entry) {
            Ok(_) => Ok(match &self.key_file {
                Some(file) => Arc::new(KeyringAndKeyFile {
                    keyring: Arc::clone(&self.keyring),
                    key_file: file.clone(),
                }),
                None => Arc::clone(&self.keyring),
            }),
            Err(StoreError::KeyringUnavailable { cause }) => match self.file_holding(&entry)? {
                Some((file, _)) => Ok(file),
                None => Err(StoreError::KeyringUnavailable {
                    cause: format!(
                        "{cause}; the cache's key is not in the key file, so it can only be \
                         deleted from the keyring"
                    ),
                }),
            },
            Err(e) => Err(e),
        }
    }

    /// The key file as a key store, when it holds `entry`.
    fn file_holding(&self, entry: &str) -> Result<Option<(Arc<dyn KeyStore>, KeyStorage)>> {
        let Some(file) = &self.key_file else {
            return Ok(None);
        };
        Ok(file.load(entry)?.map(|_| {
            (
                Arc::new(file.clone()) as Arc<dyn KeyStore>,
                KeyStorage::KeyFile,
            )
        }))
    }
}

/// Both places, for a wipe: reads the keyring first, then the key file; deletes from both.
struct KeyringAndKeyFile {
    keyring: Arc<dyn KeyStore>,
    key_file: KeyFileStore,
}

impl KeyStore for KeyringAndKeyFile {
    fn load(&self, entry: &str) -> Result<Option<Zeroizing<Vec<u8>>>> {
        match self.keyring.load(entry)? {
            Some(secret) => Ok(Some(secret)),
            None => self.key_file.load(entry),
        }
    }

    fn store(&self, entry: &str, secret: &[u8]) -> Result<()> {
        self.keyring.store(entry, secret)
    }

    fn delete(&self, entry: &str) -> Result<()> {
        self.keyring.delete(entry)?;
        self.key_file.delete(entry)
    }
}

/// A key store that already read one entry: serves it from memory, and everything else
/// (and every write) from the store it wraps.
struct Remembered {
    inner: Arc<dyn KeyStore>,
    entry: String,
    secret: std::sync::Mutex<Option<Zeroizing<Vec<u8>>>>,
}

impl Remembered {
    fn slot(&self) -> std::sync::MutexGuard<'_, Option<Zeroizing<Vec<u8>>>> {
        self.secret
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl KeyStore for Remembered {
    fn load(&self, entry: &str) -> Result<Option<Zeroizing<Vec<u8>>>> {
        if entry == self.entry
            && let Some(secret) = self.slot().as_ref()
        {
            return Ok(Some(secret.clone()));
        }
        self.inner.load(entry)
    }

    fn store(&self, entry: &str, secret: &[u8]) -> Result<()> {
        self.inner.store(entry, secret)?;
        if entry == self.entry {
            *self.slot() = Some(Zeroizing::new(secret.to_vec()));
        }
        Ok(())
    }

    fn delete(&self, entry: &str) -> Result<()> {
        if entry == self.entry {
            *self.slot() = None;
        }
        self.inner.delete(entry)
    }

    fn warning(&self) -> Option<String> {
        self.inner.warning()
    }
}
