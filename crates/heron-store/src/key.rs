//! The master key, where it is kept, and randomness.
//!
//! The key is 32 random bytes. It lives in the OS keyring (never next to the data); the
//! key file is a fallback only an admin policy can allow, because a file in the config
//! dir is readable by anything running as the user and is copied by backups.

use std::fmt;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::error::{Result, StoreError};

/// The keyring service every Heron entry is filed under.
pub const KEYRING_SERVICE: &str = "Heron";

/// A source of random bytes; passed in so tests can be deterministic.
pub trait RandomSource {
    /// Fills `buf` with random bytes.
    fn fill(&mut self, buf: &mut [u8]) -> Result<()>;
}

/// The operating system's CSPRNG.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsRandom;

impl RandomSource for OsRandom {
    fn fill(&mut self, buf: &mut [u8]) -> Result<()> {
        getrandom::fill(buf).map_err(|e| StoreError::Random(e.to_string()))
    }
}

/// The 256-bit master key of a data directory.
///
/// Zeroized on drop; `Debug` never prints it. Everything on disk is encrypted under it
/// or under keys derived from it, so deleting it crypto-shreds the whole store.
#[derive(Clone)]
pub struct MasterKey(Zeroizing<[u8; 32]>);

impl MasterKey {
    /// Makes a new random key.
    pub fn generate(rng: &mut dyn RandomSource) -> Result<Self> {
        let mut bytes = Zeroizing::new([0u8; 32]);
        rng.fill(bytes.as_mut())?;
        Ok(Self(bytes))
    }

    /// Wraps key bytes read from a key store.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let arr: [u8; 32] = bytes.try_into().map_err(|_| {
            StoreError::KeyStore(format!(
                "the stored database key has {} bytes instead of 32",
                bytes.len()
            ))
        })?;
        Ok(Self(Zeroizing::new(arr)))
    }

    /// The raw bytes, for the key derivation and the key store.
    pub(crate) fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// `PRAGMA key = "x'..'"`: a raw key, so SQLCipher skips its own PBKDF2 (the key is
    /// already uniformly random) and opening is fast.
    pub(crate) fn sqlcipher_pragma(&self) -> Zeroizing<String> {
        let mut s = Zeroizing::new(String::with_capacity(80));
        s.push_str("PRAGMA key = \"x'");
        for b in self.0.iter() {
            s.push(hex_digit(b >> 4));
            s.push(hex_digit(b & 0xf));
        }
        s.push_str("'\"");
        s
    }
}

fn hex_digit(n: u8) -> char {
    char::from(if n < 10 { b'0' + n } else { b'a' + n - 10 })
}

/// Lower-case hex of bytes (for names, never for secrets).
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .flat_map(|b| [hex_digit(b >> 4), hex_digit(b & 0xf)])
        .collect()
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(<redacted>)")
    }
}

/// Where secrets are kept: the master key and the accounts' passwords and tokens.
///
/// Entries are named by [`master_key_entry`] and [`account_secret_entry`].
pub trait KeyStore: Send + Sync {
    /// Reads an entry; `Ok(None)` when it does not exist.
    fn load(&self, entry: &str) -> Result<Option<Zeroizing<Vec<u8>>>>;
    /// Creates or replaces an entry.
    fn store(&self, entry: &str, secret: &[u8]) -> Result<()>;
    /// Deletes an entry; deleting a missing entry is not an error.
    fn delete(&self, entry: &str) -> Result<()>;
    /// A warning the caller must show in the UI and the logs while this store is in use.
    fn warning(&self) -> Option<String> {
        None
    }
}

/// The keyring entry of a data directory's master key: one per data dir, so two
/// profiles (or a test) never share a key. [`crate::Store::open`] passes the canonical
/// path.
pub fn master_key_entry(data_dir: &Path) -> String {
    format!("database-key:{}", data_dir.display())
}

/// The keyring entry of an account secret (`name` is e.g. `imap-password`) of the
/// store in `data_dir`: one per data directory, like the master key, so two profiles
/// with the same account id never read, overwrite or wipe each other's password.
pub fn account_secret_entry(
    data_dir: &Path,
    account: &heron_model::AccountId,
    name: &str,
) -> String {
    format!("account:{}:{account}:{name}", data_dir.display())
}

/// The name account secrets had before they were kept per data directory; read once
/// and moved (see `Store::load_account_secret`), and deleted by every wipe.
pub(crate) fn legacy_account_secret_entry(account: &heron_model::AccountId, name: &str) -> String {
    format!("account:{account}:{name}")
}

/// The OS keyring: Secret Service on Linux, Keychain on macOS, Credential Manager on
/// Windows; entries under the service [`KEYRING_SERVICE`].
#[derive(Debug, Clone)]
pub struct OsKeyring {
    service: String,
}

impl Default for OsKeyring {
    fn default() -> Self {
        Self::new(KEYRING_SERVICE)
    }
}

impl OsKeyring {
    /// A keyring store filing entries under `service`.
    pub fn new(service: impl Into<String>) -> Self {
        Self {
            service: service.into(),
        }
    }

    fn entry(&self, entry: &str) -> Result<keyring::Entry> {
        keyring::Entry::new(&self.service, entry).map_err(map_keyring_error)
    }
}

fn map_keyring_error(e: keyring::Error) -> StoreError {
    match e {
        keyring::Error::PlatformFailure(inner) | keyring::Error::NoStorageAccess(inner) => {
            let cause = if cfg!(target_os = "linux") {
                format!("no Secret Service on the session bus: {inner}")
            } else {
                inner.to_string()
            };
            StoreError::KeyringUnavailable { cause }
        }
        other => StoreError::KeyStore(other.to_string()),
    }
}

impl KeyStore for OsKeyring {
    fn load(&self, entry: &str) -> Result<Option<Zeroizing<Vec<u8>>>> {
        match self.entry(entry)?.get_secret() {
            Ok(v) => Ok(Some(Zeroizing::new(v))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(map_keyring_error(e)),
        }
    }

    fn store(&self, entry: &str, secret: &[u8]) -> Result<()> {
        self.entry(entry)?
            .set_secret(secret)
            .map_err(map_keyring_error)
    }

    fn delete(&self, entry: &str) -> Result<()> {
        match self.entry(entry)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(map_keyring_error(e)),
        }
    }
}

/// The documented fallback: one 0600 file per entry in a 0700 directory under the config
/// dir. Only for installs whose admin policy allows it; it always carries a warning.
#[derive(Debug, Clone)]
pub struct KeyFileStore {
    dir: PathBuf,
}

impl KeyFileStore {
    /// A key-file store in `config_dir/keys`. The caller has checked the policy.
    pub fn new(config_dir: &Path) -> Self {
        Self::in_dir(&config_dir.join("keys"))
    }

    /// A key-file store keeping its files directly in `dir` (e.g. `~/.config/heron/keys`).
    /// The caller has checked the policy, and that `dir` is outside the data directory.
    pub fn in_dir(dir: &Path) -> Self {
        Self {
            dir: dir.to_path_buf(),
        }
    }

    /// The file an entry is kept in: named by a hash of the entry so the name (which may
    /// contain a path or an account id) is always a safe file name.
    pub fn path_of(&self, entry: &str) -> PathBuf {
        let digest = Sha256::digest(entry.as_bytes());
        self.dir.join(format!("{}.key", hex(&digest[..16])))
    }
}

impl KeyStore for KeyFileStore {
    fn load(&self, entry: &str) -> Result<Option<Zeroizing<Vec<u8>>>> {
        let path = self.path_of(entry);
        match fs::read(&path) {
            Ok(v) => Ok(Some(Zeroizing::new(v))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(StoreError::io(path, e)),
        }
    }

    fn store(&self, entry: &str, secret: &[u8]) -> Result<()> {
        crate::fsutil::create_private_dir(&self.dir)?;
        let path = self.path_of(entry);
        let mut tmp =
            tempfile::NamedTempFile::new_in(&self.dir).map_err(|e| StoreError::io(&self.dir, e))?;
        // NamedTempFile is created 0600 on Unix; the rename keeps the mode.
        tmp.write_all(secret)
            .and_then(|()| tmp.as_file().sync_all())
            .map_err(|e| StoreError::io(tmp.path(), e))?;
        tmp.persist(&path)
            .map_err(|e| StoreError::io(&path, e.error))?;
        crate::fsutil::sync_dir(&self.dir)
    }

    fn delete(&self, entry: &str) -> Result<()> {
        let path = self.path_of(entry);
        match fs::remove_file(&path) {
            Ok(()) => crate::fsutil::sync_dir(&self.dir),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(StoreError::io(path, e)),
        }
    }

    fn warning(&self) -> Option<String> {
        Some(format!(
            "The key of your local mail cache is kept in a file in {} instead of the OS \
             keyring, because no keyring was available when the cache was created: anyone who \
             can read this user's files (or their backups) can read the cached mail. Ask your \
             IT department to set up an OS keyring (on Linux, a Secret Service such as \
             gnome-keyring); the cache moves into it only when it is wiped and created again",
            self.dir.display()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted_and_pragma_is_raw_hex() {
        let k = MasterKey::from_bytes(&[0xab; 32]).unwrap();
        assert_eq!(format!("{k:?}"), "MasterKey(<redacted>)");
        let p = k.sqlcipher_pragma();
        assert!(p.starts_with("PRAGMA key = \"x'abab"));
        assert!(p.ends_with("ab'\""));
        assert_eq!(p.len(), "PRAGMA key = \"x''\"".len() + 64);
    }

    #[test]
    fn wrong_length_key_is_refused() {
        assert!(MasterKey::from_bytes(&[1; 31]).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn key_file_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let s = KeyFileStore::new(dir.path());
        s.store("e", b"secret").unwrap();
        let mode = fs::metadata(s.path_of("e")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let dmode = fs::metadata(dir.path().join("keys"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(dmode & 0o777, 0o700);
        assert_eq!(s.load("e").unwrap().unwrap().as_slice(), b"secret");
        s.delete("e").unwrap();
        s.delete("e").unwrap();
        assert!(s.load("e").unwrap().is_none());
        assert!(s.warning().is_some());
    }
}
