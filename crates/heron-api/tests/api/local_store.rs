//! Issue #3: what the window is told about the local store at start
//! (`Heron::local_store_state`), and rebuilding an unreadable store from the server
//! (`Heron::rebuild_local_store`). The keyring is a double given through
//! `HeronOptions::keyring`; the stores, key files and policies are real.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use heron_api::{
    ErrorCode, Heron, HeronOptions, KeyStorage, LocalStoreState, RebuildLoss, UnreadableReason,
};
use heron_policy::PolicyRoots;
use heron_store::{DB_FILE, KeyStore, Result, StoreError, master_key_entry};
use zeroize::Zeroizing;

/// A reachable keyring, in memory, whose entries a test can delete behind Heron's back.
#[derive(Default)]
struct MemKeyring(Mutex<BTreeMap<String, Vec<u8>>>);

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

    fn heron(&self, keyring: Arc<dyn KeyStore>, fallback_allowed: bool) -> Heron {
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
            key_dir: Some(self.dir.path().join("config/heron/keys")),
            keyring: Some(keyring),
            ..HeronOptions::default()
        })
        .unwrap()
    }

    /// The master key's entry name, as the store files it.
    fn master_entry(&self) -> String {
        master_key_entry(&std::fs::canonicalize(self.data()).unwrap())
    }
}

/// A store with something in it, keyed by `keyring`.
fn store_with_canary(heron: &Heron) {
    let mut store = heron.open_store().unwrap();
    store.set_setting("canary", "old cache").unwrap();
}

fn unreadable_parts(state: LocalStoreState) -> (UnreadableReason, String, RebuildLoss) {
    match state {
        LocalStoreState::Unreadable {
            code,
            reason,
            message,
            loss,
        } => {
            assert_eq!(code, ErrorCode::StoreUnreadable);
            (reason, message, loss)
        }
        other => panic!("expected an unreadable store, got {other:?}"),
    }
}

#[test]
fn a_healthy_store_is_ready_and_warns_about_nothing() {
    let m = Machine::new();
    let heron = m.heron(Arc::new(MemKeyring::default()), false);
    let state = heron.local_store_state();
    assert_eq!(
        state,
        LocalStoreState::Ready {
            key_storage: KeyStorage::OsKeyring,
            key_dir: None,
            warnings: vec![],
        }
    );
    assert_eq!(
        serde_json::to_value(&state).unwrap(),
        serde_json::json!({"state": "ready", "key_storage": "os_keyring", "key_dir": null, "warnings": []})
    );
    assert!(m.data().join(DB_FILE).exists(), "the store was not created");
}

#[test]
fn a_store_keyed_by_a_file_is_ready_with_the_warning() {
    let m = Machine::new();
    let heron = m.heron(Arc::new(UnreachableKeyring), true);
    let LocalStoreState::Ready {
        key_storage,
        key_dir,
        warnings,
    } = heron.local_store_state()
    else {
        panic!("the store did not open");
    };
    assert_eq!(key_storage, KeyStorage::KeyFile);
    assert_eq!(
        key_dir,
        Some(m.dir.path().join("config/heron/keys").display().to_string())
    );
    let warning = warnings.join("\n");
    assert!(
        warning.contains("can read the cached mail") && warning.contains("IT department"),
        "the warning says what it means and what to do: {warning}"
    );
    let json = serde_json::to_value(heron.local_store_state()).unwrap();
    assert_eq!(json["state"], "ready");
    assert_eq!(json["key_storage"], "key_file");
}

#[test]
fn a_store_whose_key_was_deleted_is_unreadable_with_what_a_rebuild_would_lose() {
    let m = Machine::new();
    let keyring = Arc::new(MemKeyring::default());
    let heron = m.heron(keyring.clone(), false);
    store_with_canary(&heron);
    keyring.delete(&m.master_entry()).unwrap();

    let state = heron.local_store_state();
    let json = serde_json::to_value(&state).unwrap();
    assert_eq!(json["state"], "unreadable");
    assert_eq!(json["code"], "store_unreadable");
    assert_eq!(json["reason"], "key_missing");
    assert_eq!(json["loss"]["unsent_at_risk"], true);
    let (reason, message, loss) = unreadable_parts(state);
    assert_eq!(reason, UnreadableReason::KeyMissing);
    assert!(
        message.contains("key is missing") && message.contains("rebuilt from the server"),
        "{message}"
    );
    assert!(loss.database_bytes > 0, "{loss:?}");
    assert!(loss.unsent_at_risk);
    assert!(
        keyring.0.lock().unwrap().is_empty(),
        "a new key was created over the existing database"
    );
}

#[test]
fn a_damaged_database_is_unreadable_and_says_what_cipher_integrity_check_found() {
    let m = Machine::new();
    let heron = m.heron(Arc::new(MemKeyring::default()), false);
    store_with_canary(&heron);
    let db = m.data().join(DB_FILE);
    let len = std::fs::metadata(&db).unwrap().len() as usize;
    std::fs::write(&db, vec![0x5a; len]).unwrap();

    let (reason, message, loss) = unreadable_parts(heron.local_store_state());
    assert_eq!(reason, UnreadableReason::WrongKeyOrDamaged);
    assert!(message.contains("cipher_integrity_check"), "{message}");
    assert!(loss.database_bytes >= len as u64, "{loss:?}");
}

#[test]
fn rebuild_replaces_an_unreadable_store_with_an_empty_one_and_keeps_the_settings() {
    let m = Machine::new();
    let keyring = Arc::new(MemKeyring::default());
    let heron = m.heron(keyring.clone(), false);
    store_with_canary(&heron);
    heron
        .set_user_setting("features.camera", serde_json::json!(true))
        .unwrap();
    heron
        .accept_privacy_notice(heron_api::consent::BUILTIN_NOTICE_VERSION, 1_795_000_000)
        .unwrap();
    keyring.delete(&m.master_entry()).unwrap();
    let old_db = std::fs::read(m.data().join(DB_FILE)).unwrap();

    let state = heron.rebuild_local_store().unwrap();
    assert!(
        matches!(
            state,
            LocalStoreState::Ready {
                key_storage: KeyStorage::OsKeyring,
                ..
            }
        ),
        "{state:?}"
    );
    assert_ne!(
        std::fs::read(m.data().join(DB_FILE)).unwrap(),
        old_db,
        "the old database is still there"
    );
    let store = heron.open_store().unwrap();
    assert_eq!(
        store.setting("canary").unwrap(),
        None,
        "the old cache's data"
    );
    assert!(
        keyring.load(&m.master_entry()).unwrap().is_some(),
        "the fresh store has a key in the keyring"
    );
    drop(store);
    // Not part of the cache: the user's settings and their consent to the notice.
    assert!(heron.policy().settings.features.camera);
    assert!(
        std::fs::read_to_string(m.data().join("user-settings.json"))
            .unwrap()
            .contains("features.camera")
    );
    assert!(!heron.privacy_notice().unwrap().must_accept);
}

#[test]
fn rebuild_of_a_store_that_opens_is_a_conflict_and_deletes_nothing() {
    let m = Machine::new();
    let heron = m.heron(Arc::new(MemKeyring::default()), false);
    store_with_canary(&heron);

    let err = heron.rebuild_local_store().unwrap_err();
    assert_eq!(err.code, ErrorCode::Conflict, "{}", err.message);
    assert_eq!(serde_json::to_value(err.code).unwrap(), "conflict");
    let store = heron.open_store().unwrap();
    assert_eq!(
        store.setting("canary").unwrap().as_deref(),
        Some("old cache")
    );
}

#[test]
fn without_a_keyring_the_state_says_so_and_rebuild_deletes_nothing() {
    let m = Machine::new();
    store_with_canary(&m.heron(Arc::new(MemKeyring::default()), false));
    let heron = m.heron(Arc::new(UnreachableKeyring), false);

    let LocalStoreState::KeyringUnavailable { message } = heron.local_store_state() else {
        panic!("expected keyring_unavailable");
    };
    assert!(
        message.contains("Secret Service") && message.contains("key_file_fallback_allowed"),
        "the message names the cause and the fix: {message}"
    );
    assert_eq!(
        serde_json::to_value(heron.local_store_state()).unwrap()["state"],
        "keyring_unavailable"
    );
    let err = heron.rebuild_local_store().unwrap_err();
    assert_eq!(err.code, ErrorCode::KeyringUnavailable, "{}", err.message);
    assert!(m.data().join(DB_FILE).exists(), "the store was deleted");
}

#[test]
fn without_a_data_dir_the_state_is_an_error_with_its_code() {
    let dir = tempfile::tempdir().unwrap();
    let heron = Heron::open(&HeronOptions {
        policy_roots: Some(PolicyRoots::under(&dir.path().join("etc"))),
        ignore_config_env: true,
        keyring: Some(Arc::new(MemKeyring::default())),
        ..HeronOptions::default()
    })
    .unwrap();
    let state = heron.local_store_state();
    assert!(
        matches!(
            state,
            LocalStoreState::Error {
                code: ErrorCode::NoDataDir,
                ..
            }
        ),
        "{state:?}"
    );
    assert_eq!(serde_json::to_value(&state).unwrap()["code"], "no_data_dir");
    assert_eq!(
        heron.rebuild_local_store().unwrap_err().code,
        ErrorCode::NoDataDir
    );
}
