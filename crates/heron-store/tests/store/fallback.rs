//! The key-file fallback: where a data directory's secrets are (keyring or key file), with
//! real key files and real stores; the keyring is a double that is reachable (in memory)
//! or never reachable, as on headless Linux without a Secret Service.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use heron_model::Secret;
use heron_store::{
    KeyFileStore, KeyStorage, KeyStore, KeyringWithFallback, Result, Store, StoreError,
    account_secret_entry, master_key_entry,
};
use zeroize::Zeroizing;

use crate::{MemKeyStore, Seeded, account, snapshot};

/// A keyring that can never be reached.
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

struct Dirs {
    _tmp: tempfile::TempDir,
    data: PathBuf,
    keys: PathBuf,
}

fn dirs() -> Dirs {
    let tmp = tempfile::tempdir().unwrap();
    Dirs {
        data: tmp.path().join("data"),
        keys: tmp.path().join("config/heron/keys"),
        _tmp: tmp,
    }
}

fn places(keyring: Arc<dyn KeyStore>, keys: &Path) -> KeyringWithFallback {
    KeyringWithFallback::new(keyring, Some(KeyFileStore::in_dir(keys)))
}

fn key_file_of(keys: &Path, data: &Path) -> PathBuf {
    KeyFileStore::in_dir(keys).path_of(&master_key_entry(&std::fs::canonicalize(data).unwrap()))
}

/// Opens the store the way heron-api does: choose the place, then open.
fn open_with(
    places: &KeyringWithFallback,
    data: &Path,
    allowed: bool,
) -> Result<(Store, KeyStorage)> {
    let (keys, storage) = places.for_open(data, allowed)?;
    Ok((Store::open(data, keys, &mut Seeded(7))?, storage))
}

/// A store created while the keyring was unreachable and the policy allowed the fallback.
fn file_keyed_store(d: &Dirs) {
    let (mut store, storage) = open_with(
        &places(Arc::new(UnreachableKeyring), &d.keys),
        &d.data,
        true,
    )
    .unwrap();
    assert_eq!(storage, KeyStorage::KeyFile);
    store.set_setting("canary", "file-keyed").unwrap();
    store
        .store_account_secret(&account("corp"), "password", &Secret::new("hunter2"))
        .unwrap();
}

#[test]
fn without_the_policy_an_unreachable_keyring_is_the_error_and_nothing_is_created() {
    let d = dirs();
    let err = places(Arc::new(UnreachableKeyring), &d.keys)
        .for_open(&d.data, false)
        .err()
        .unwrap();
    assert!(
        matches!(err, StoreError::KeyringUnavailable { .. }),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("Secret Service") && msg.contains("security.key_file_fallback_allowed"),
        "the message names the cause and both fixes: {msg}"
    );
    assert!(!d.data.exists(), "the data directory was created");
    assert!(!d.keys.exists(), "the key directory was created");
}

#[cfg(unix)]
#[test]
fn with_the_policy_a_new_store_keeps_its_key_in_a_private_file_and_warns() {
    use std::os::unix::fs::PermissionsExt;
    let d = dirs();
    file_keyed_store(&d);
    let key_file = key_file_of(&d.keys, &d.data);
    let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    assert_eq!(std::fs::read(&key_file).unwrap().len(), 32);
    assert!(
        !key_file.starts_with(&d.data),
        "the key never sits next to the data"
    );

    let (store, storage) = open_with(
        &places(Arc::new(UnreachableKeyring), &d.keys),
        &d.data,
        true,
    )
    .unwrap();
    assert_eq!(storage, KeyStorage::KeyFile);
    assert_eq!(
        store.setting("canary").unwrap().as_deref(),
        Some("file-keyed"),
        "the second open uses the same key"
    );
    let warning = store.warnings().join("\n");
    assert!(
        warning.contains(&d.keys.display().to_string())
            && warning.contains("can read the cached mail")
            && warning.contains("OS keyring"),
        "{warning}"
    );
}

#[test]
fn a_store_keyed_by_a_file_keeps_using_it_when_a_keyring_appears() {
    let d = dirs();
    file_keyed_store(&d);
    let keyring = Arc::new(MemKeyStore::default());
    // Even with the policy withdrawn: the key exists only in the file.
    let (mut store, storage) =
        open_with(&places(keyring.clone(), &d.keys), &d.data, false).unwrap();
    assert_eq!(storage, KeyStorage::KeyFile);
    assert_eq!(
        store.setting("canary").unwrap().as_deref(),
        Some("file-keyed")
    );
    assert_eq!(
        store
            .load_account_secret(&account("corp"), "password")
            .unwrap()
            .unwrap()
            .expose(),
        "hunter2"
    );
    // Secrets follow the master key: a new one goes to the file too, never the keyring.
    store
        .store_account_secret(&account("corp"), "token", &Secret::new("t0ken"))
        .unwrap();
    assert!(
        keyring.entries.lock().unwrap().is_empty(),
        "nothing was put in the keyring"
    );
    assert!(
        KeyFileStore::in_dir(&d.keys)
            .load(&account_secret_entry(
                &std::fs::canonicalize(&d.data).unwrap(),
                &account("corp"),
                "token"
            ))
            .unwrap()
            .is_some()
    );
}

#[test]
fn a_key_file_left_after_the_policy_is_withdrawn_still_opens_without_a_keyring() {
    let d = dirs();
    file_keyed_store(&d);
    let (store, storage) = open_with(
        &places(Arc::new(UnreachableKeyring), &d.keys),
        &d.data,
        false,
    )
    .unwrap();
    assert_eq!(storage, KeyStorage::KeyFile);
    assert_eq!(
        store.setting("canary").unwrap().as_deref(),
        Some("file-keyed")
    );
}

#[test]
fn a_store_keyed_by_the_keyring_never_gets_a_file_key_when_the_keyring_goes_away() {
    let d = dirs();
    let keyring = Arc::new(MemKeyStore::default());
    {
        let (mut store, storage) =
            open_with(&places(keyring.clone(), &d.keys), &d.data, true).unwrap();
        assert_eq!(
            storage,
            KeyStorage::OsKeyring,
            "a reachable keyring is always preferred"
        );
        store.set_setting("canary", "keyring-keyed").unwrap();
    }
    assert!(!d.keys.exists(), "no key file while the keyring works");
    let before = snapshot(&d.data);

    let err = places(Arc::new(UnreachableKeyring), &d.keys)
        .for_open(&d.data, true)
        .err()
        .unwrap();
    assert!(
        matches!(err, StoreError::KeyringUnavailable { .. }),
        "not KeyMissing, and no new key: {err:?}"
    );
    assert!(
        err.to_string().contains("only the keyring can open it"),
        "{err}"
    );
    assert!(!d.keys.exists(), "a key file was created");
    assert_eq!(snapshot(&d.data), before, "files changed");

    // The keyring comes back: the store opens with its own key.
    let (store, storage) = open_with(&places(keyring, &d.keys), &d.data, true).unwrap();
    assert_eq!(storage, KeyStorage::OsKeyring);
    assert_eq!(
        store.setting("canary").unwrap().as_deref(),
        Some("keyring-keyed")
    );
}

#[test]
fn a_reachable_keyring_without_the_key_of_an_existing_store_is_key_missing() {
    let d = dirs();
    let keyring = Arc::new(MemKeyStore::default());
    drop(open_with(&places(keyring.clone(), &d.keys), &d.data, true).unwrap());
    keyring.entries.lock().unwrap().clear();
    let (keys, storage) = places(keyring.clone(), &d.keys)
        .for_open(&d.data, true)
        .unwrap();
    assert_eq!(storage, KeyStorage::OsKeyring);
    let err = Store::open(&d.data, keys, &mut Seeded(8)).unwrap_err();
    assert!(matches!(err, StoreError::KeyMissing { .. }), "{err:?}");
    assert!(keyring.entries.lock().unwrap().is_empty());
    assert!(!d.keys.exists(), "no key was created in a file either");
}

#[test]
fn wipe_with_a_reachable_keyring_deletes_from_the_keyring_and_the_key_file() {
    let d = dirs();
    file_keyed_store(&d);
    let keyring = Arc::new(MemKeyStore::default());
    // A copy in the keyring too (however it got there): both must go.
    let master = master_key_entry(&std::fs::canonicalize(&d.data).unwrap());
    keyring.entries.lock().unwrap().insert(
        master.clone(),
        std::fs::read(key_file_of(&d.keys, &d.data)).unwrap(),
    );
    let keys = places(keyring.clone(), &d.keys).for_wipe(&d.data).unwrap();
    let report = Store::open(&d.data, keys, &mut Seeded(9))
        .unwrap()
        .wipe_all()
        .unwrap();
    assert_eq!(report.secrets_deleted, 2, "the master key and the password");
    assert!(keyring.entries.lock().unwrap().is_empty());
    assert_eq!(
        keyring.log.lock().unwrap().first().map(String::as_str),
        Some(format!("delete {master} db_exists=None").as_str()),
        "the master key goes first"
    );
    assert!(crate::snapshot(&d.keys).is_empty(), "a key file is left");
    assert!(!d.data.exists());
}

#[test]
fn wipe_with_an_unreachable_keyring_deletes_the_key_file() {
    let d = dirs();
    file_keyed_store(&d);
    let keys = places(Arc::new(UnreachableKeyring), &d.keys)
        .for_wipe(&d.data)
        .unwrap();
    let report = Store::open(&d.data, keys, &mut Seeded(10))
        .unwrap()
        .wipe_all()
        .unwrap();
    assert_eq!(report.secrets_deleted, 2);
    assert!(crate::snapshot(&d.keys).is_empty(), "a key file is left");
    assert!(!d.data.exists());
}

#[test]
fn wipe_with_an_unreachable_keyring_and_no_key_file_refuses_before_deleting() {
    let d = dirs();
    let keyring = Arc::new(MemKeyStore::default());
    drop(open_with(&places(keyring, &d.keys), &d.data, true).unwrap());
    let before = snapshot(&d.data);
    let err = places(Arc::new(UnreachableKeyring), &d.keys)
        .for_wipe(&d.data)
        .err()
        .unwrap();
    assert!(
        matches!(err, StoreError::KeyringUnavailable { .. }),
        "{err:?}"
    );
    assert_eq!(snapshot(&d.data), before, "files changed");
}

/// A keyring that counts reads of each entry.
#[derive(Default)]
struct CountingKeyring {
    inner: MemKeyStore,
    loads: std::sync::Mutex<Vec<String>>,
}

impl KeyStore for CountingKeyring {
    fn load(&self, entry: &str) -> Result<Option<Zeroizing<Vec<u8>>>> {
        self.loads.lock().unwrap().push(entry.to_owned());
        self.inner.load(entry)
    }
    fn store(&self, entry: &str, secret: &[u8]) -> Result<()> {
        self.inner.store(entry, secret)
    }
    fn delete(&self, entry: &str) -> Result<()> {
        self.inner.delete(entry)
    }
}

#[test]
fn opening_reads_the_master_key_from_the_keyring_once() {
    // Regression (resync time): each keyring read is a D-Bus round trip with a key
    // exchange; choosing the place and then opening the store read the key twice.
    let d = dirs();
    let keyring = Arc::new(CountingKeyring::default());
    let places = places(keyring.clone(), &d.keys);
    drop(open_with(&places, &d.data, false).unwrap());
    let entry = master_key_entry(&std::fs::canonicalize(&d.data).unwrap());
    keyring.loads.lock().unwrap().clear();
    let (mut store, _) = open_with(&places, &d.data, false).unwrap();
    let reads = |k: &CountingKeyring| {
        k.loads
            .lock()
            .unwrap()
            .iter()
            .filter(|e| **e == entry)
            .count()
    };
    assert_eq!(reads(&keyring), 1);
    // Other entries still come from the keyring, and a deleted key is not served on.
    store
        .store_account_secret(&account("a"), "password", &Secret::new("pw"))
        .unwrap();
    assert_eq!(
        store
            .load_account_secret(&account("a"), "password")
            .unwrap()
            .unwrap()
            .expose(),
        "pw"
    );
    store.wipe_all().unwrap();
    assert!(keyring.inner.load(&entry).unwrap().is_none());
}
