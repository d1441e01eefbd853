//! Where `Heron::open_store` keeps the store's key: the OS keyring, or, when none can be
//! reached and the admin's policy allows it, a key file outside the data directory, with
//! a warning for the UI; and `wipe_local_data` deleting it from both. The keyring is a
//! double (reachable in memory, or never reachable) given through `HeronOptions::keyring`;
//! the key files, stores and policies are real.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use heron_api::local_data::{KeyLocations, wipe_local_data};
use heron_api::{ErrorCode, Heron, HeronOptions, KeyStorage};
use heron_policy::PolicyRoots;
use heron_store::{KeyFileStore, KeyStore, Result, StoreError, master_key_entry};
use zeroize::Zeroizing;

/// A keyring that can never be reached, as on headless Linux without a Secret Service.
struct UnreachableKeyring;

impl KeyStore for UnreachableKeyring {
    fn load(&self, _: &str) -> Result<Option<Zeroizing<Vec<u8>>>> {
        Err(unreachable())
    }
    fn store(&self, _: &str, _: &[u8]) -> Result<()> {
        Err(unreachable())
    }
    fn delete(&self, _: &str) -> Result<()> {
        Err(unreachable())
    }
}

fn unreachable() -> StoreError {
    StoreError::KeyringUnavailable {
        cause: "no Secret Service on the session bus: test".into(),
    }
}

/// A reachable keyring, in memory.
#[derive(Default)]
struct MemKeyring(Mutex<BTreeMap<String, Vec<u8>>>);

impl MemKeyring {
    fn is_empty(&self) -> bool {
        self.0.lock().unwrap().is_empty()
    }
}

impl KeyStore for MemKeyring {
    fn load(&self, entry: &str) -> Result<Option<Zeroizing<Vec<u8>>>> {
        Ok(self
            .0
            .lock()
            .unwrap()
            .get(entry)
            .cloned()
            .map(Zeroizing::new))
    }
    fn store(&self, entry: &str, secret: &[u8]) -> Result<()> {
        self.0
            .lock()
            .unwrap()
            .insert(entry.to_owned(), secret.to_vec());
        Ok(())
    }
    fn delete(&self, entry: &str) -> Result<()> {
        self.0.lock().unwrap().remove(entry);
        Ok(())
    }
}

struct Machine {
    dir: tempfile::TempDir,
}

impl Machine {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// The key directory, outside the data directory as in a real install.
    fn keys(&self) -> PathBuf {
        self.dir.path().join("config/heron/keys")
    }

    fn heron(&self, keyring: Arc<dyn KeyStore>, fallback_allowed: bool) -> Heron {
        self.heron_with_key_dir(keyring, fallback_allowed, self.keys())
    }

    fn heron_with_key_dir(
        &self,
        keyring: Arc<dyn KeyStore>,
        fallback_allowed: bool,
        key_dir: PathBuf,
    ) -> Heron {
        let config = self.dir.path().join("policy.json");
        std::fs::write(
            &config,
            serde_json::json!({"security": {"key_file_fallback_allowed": fallback_allowed}})
                .to_string(),
        )
        .unwrap();
        Heron::open(&HeronOptions {
            config_path: Some(config),
            policy_roots: Some(PolicyRoots::under(&self.dir.path().join("etc"))),
            data_dir: Some(self.data()),
            ignore_config_env: true,
            key_dir: Some(key_dir),
            keyring: Some(keyring),
            ..HeronOptions::default()
        })
        .unwrap()
    }

    fn key_files(&self) -> Vec<PathBuf> {
        match std::fs::read_dir(self.keys()) {
            Ok(entries) => entries.map(|e| e.unwrap().path()).collect(),
            Err(_) => Vec::new(),
        }
    }

    /// A store created without a keyring, its key in the key file.
    fn file_keyed_store(&self) {
        let heron = self.heron(Arc::new(UnreachableKeyring), true);
        let mut store = heron.open_store().unwrap();
        store.set_setting("canary", "file-keyed").unwrap();
    }
}

fn master_entry(data: &Path) -> String {
    master_key_entry(&std::fs::canonicalize(data).unwrap())
}

#[test]
fn without_a_keyring_and_without_the_policy_open_store_is_keyring_unavailable() {
    let m = Machine::new();
    let heron = m.heron(Arc::new(UnreachableKeyring), false);
    let err = heron.open_store().unwrap_err();
    assert_eq!(err.code, ErrorCode::KeyringUnavailable);
    assert_eq!(
        serde_json::to_value(err.code).unwrap(),
        "keyring_unavailable"
    );
    assert!(
        err.message.contains("Secret Service")
            && err.message.contains("security.key_file_fallback_allowed"),
        "the message names the cause and the fixes: {}",
        err.message
    );
    assert_eq!(heron.store_status(), None);
    assert!(!m.data().exists(), "the data directory was created");
    assert!(!m.keys().exists(), "the key directory was created");
}

#[test]
fn with_the_policy_open_store_keeps_the_key_in_a_file_and_reports_the_warning() {
    let m = Machine::new();
    let heron = m.heron(Arc::new(UnreachableKeyring), true);
    drop(heron.open_store().unwrap());
    let status = heron.store_status().unwrap();
    assert_eq!(status.key_storage, KeyStorage::KeyFile);
    assert_eq!(
        status.key_dir.as_deref(),
        Some(m.keys().display().to_string().as_str())
    );
    let warning = status.warnings.join("\n");
    assert!(
        warning.contains("can read the cached mail") && warning.contains("IT department"),
        "the warning says what it means and what to do: {warning}"
    );
    let json = serde_json::to_value(&status).unwrap();
    assert_eq!(json["key_storage"], "key_file");

    let files = m.key_files();
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(
        files[0],
        KeyFileStore::in_dir(&m.keys()).path_of(&master_entry(&m.data()))
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&files[0]).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // A second process: the same key opens the same store.
    let key = std::fs::read(&files[0]).unwrap();
    let again = m.heron(Arc::new(UnreachableKeyring), true);
    drop(again.open_store().unwrap());
    assert_eq!(
        std::fs::read(&files[0]).unwrap(),
        key,
        "the key was replaced"
    );
}

#[test]
fn with_a_keyring_open_store_uses_it_and_warns_about_nothing() {
    let m = Machine::new();
    let keyring = Arc::new(MemKeyring::default());
    let heron = m.heron(keyring.clone(), true);
    drop(heron.open_store().unwrap());
    let status = heron.store_status().unwrap();
    assert_eq!(status.key_storage, KeyStorage::OsKeyring);
    assert_eq!(status.key_dir, None);
    assert!(status.warnings.is_empty(), "{:?}", status.warnings);
    assert!(!keyring.is_empty(), "the key is in the keyring");
    assert!(!m.keys().exists(), "a key directory was created");
}

#[test]
fn a_store_keyed_by_a_file_keeps_its_key_file_when_the_keyring_comes_back() {
    let m = Machine::new();
    m.file_keyed_store();
    let keyring = Arc::new(MemKeyring::default());
    // The policy was withdrawn meanwhile: the existing key file is still the only key.
    let heron = m.heron(keyring.clone(), false);
    let store = heron.open_store().unwrap();
    assert_eq!(
        store.setting("canary").unwrap().as_deref(),
        Some("file-keyed")
    );
    assert_eq!(
        heron.store_status().unwrap().key_storage,
        KeyStorage::KeyFile
    );
    assert!(keyring.is_empty(), "a second key was made in the keyring");
}

#[test]
fn a_store_keyed_by_the_keyring_is_not_given_a_key_file_when_the_keyring_is_gone() {
    let m = Machine::new();
    let keyring = Arc::new(MemKeyring::default());
    drop(m.heron(keyring.clone(), true).open_store().unwrap());
    let err = m
        .heron(Arc::new(UnreachableKeyring), true)
        .open_store()
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::KeyringUnavailable, "{}", err.message);
    assert!(m.key_files().is_empty(), "a key file was made");
    let store = m.heron(keyring, true).open_store().unwrap();
    assert!(store.warnings().is_empty());
}

#[test]
fn a_key_dir_inside_the_data_dir_is_refused_before_anything_is_created() {
    let m = Machine::new();
    let inside = m.data().join("keys");
    let err = m
        .heron_with_key_dir(Arc::new(UnreachableKeyring), true, inside)
        .open_store()
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidConfig);
    assert!(
        err.message.contains("inside the data directory"),
        "{}",
        err.message
    );
    assert!(!m.data().exists());
}

#[cfg(unix)]
#[test]
fn a_key_dir_inside_the_data_dir_is_refused_under_another_spelling() {
    let m = Machine::new();
    std::fs::create_dir_all(m.data()).unwrap();
    let alias = m.dir.path().join("alias");
    std::os::unix::fs::symlink(m.data(), &alias).unwrap();
    let spelled = alias.join("sub/../keys");
    let err = m
        .heron_with_key_dir(Arc::new(UnreachableKeyring), true, spelled)
        .open_store()
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidConfig, "{}", err.message);
}

#[test]
fn wipe_without_a_keyring_deletes_the_key_file_and_the_data() {
    let m = Machine::new();
    m.file_keyed_store();
    let keys = KeyLocations {
        keyring: Arc::new(UnreachableKeyring),
        key_dir: Some(m.keys()),
    };
    let summary = wipe_local_data(&m.data(), &keys).unwrap();
    assert_eq!(summary.secrets_deleted, 1);
    assert!(m.key_files().is_empty(), "the key file is left");
    assert!(!m.data().exists());
}

#[test]
fn wipe_with_a_keyring_deletes_from_the_keyring_and_the_key_file() {
    let m = Machine::new();
    m.file_keyed_store();
    let keyring = Arc::new(MemKeyring::default());
    // A copy of the key in the keyring too (however it got there): both must go.
    let key_file = KeyFileStore::in_dir(&m.keys()).path_of(&master_entry(&m.data()));
    keyring
        .store(&master_entry(&m.data()), &std::fs::read(key_file).unwrap())
        .unwrap();
    let keys = KeyLocations {
        keyring: keyring.clone(),
        key_dir: Some(m.keys()),
    };
    let summary = wipe_local_data(&m.data(), &keys).unwrap();
    assert_eq!(summary.secrets_deleted, 1);
    assert!(keyring.is_empty(), "the keyring still holds the key");
    assert!(m.key_files().is_empty(), "the key file is left");
    assert!(!m.data().exists());
}

#[test]
fn wipe_without_a_keyring_of_a_keyring_keyed_store_refuses_and_deletes_nothing() {
    let m = Machine::new();
    drop(
        m.heron(Arc::new(MemKeyring::default()), true)
            .open_store()
            .unwrap(),
    );
    let keys = KeyLocations {
        keyring: Arc::new(UnreachableKeyring),
        key_dir: Some(m.keys()),
    };
    let err = wipe_local_data(&m.data(), &keys).unwrap_err();
    assert_eq!(err.code, ErrorCode::KeyringUnavailable, "{}", err.message);
    assert!(m.data().join(heron_store::DB_FILE).exists());
}
