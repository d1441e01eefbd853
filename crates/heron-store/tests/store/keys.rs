//! Key handling that never loses data silently, and schema versioning.

use std::sync::Arc;

use heron_store::{SCHEMA_VERSION, Store, StoreError, master_key_entry};

use crate::{MemKeyStore, account, folder, message, open, snapshot};

fn populated(dir: &std::path::Path, keys: &Arc<MemKeyStore>) {
    let mut store = open(dir, keys).unwrap();
    let inbox = folder(&mut store, "corp", "INBOX");
    for uid in 1..=50 {
        store
            .insert_message(&message(
                inbox,
                uid,
                &format!("subject {uid}"),
                i64::from(uid),
            ))
            .unwrap();
    }
    store
        .save_draft(&account("corp"), "draft", "a@b", "text")
        .unwrap();
}

#[test]
fn wrong_key_is_a_clear_error_and_deletes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let keys = Arc::new(MemKeyStore::default());
    populated(&data, &keys);
    let before = snapshot(&data);
    keys.entries
        .lock()
        .unwrap()
        .insert(master_key_entry(&data), vec![0x11; 32]);
    let err = open(&data, &keys).unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(err, StoreError::WrongKeyOrCorrupt { .. }),
        "{err:?}"
    );
    assert!(msg.contains("cipher_integrity_check"), "{msg}");
    assert!(msg.contains("rebuilt from the server"), "{msg}");
    assert_eq!(snapshot(&data), before, "files changed");
    assert_eq!(
        keys.entries.lock().unwrap()[&master_key_entry(&data)],
        vec![0x11; 32],
        "key replaced"
    );
}

#[test]
fn missing_key_never_creates_a_new_one_and_reports_what_is_at_risk() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let keys = Arc::new(MemKeyStore::default());
    populated(&data, &keys);
    let before = snapshot(&data);
    keys.entries.lock().unwrap().clear();
    let err = open(&data, &keys).unwrap_err();
    match &err {
        StoreError::KeyMissing { at_risk, .. } => {
            assert!(at_risk.database_bytes > 0);
            assert!(at_risk.pending_unknown);
        }
        other => panic!("expected KeyMissing, got {other:?}"),
    }
    let msg = err.to_string();
    assert!(
        msg.contains("key is missing") && msg.contains("unsent mail"),
        "{msg}"
    );
    assert!(
        keys.entries.lock().unwrap().is_empty(),
        "a new key was created"
    );
    assert_eq!(snapshot(&data), before, "files changed");
}

#[test]
fn truncated_database_is_a_clear_error_and_deletes_nothing() {
    for keep in [100_u64, 0, 2] {
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path().join("data");
        let keys = Arc::new(MemKeyStore::default());
        populated(&data, &keys);
        let db = data.join(heron_store::DB_FILE);
        let len = std::fs::metadata(&db).unwrap().len();
        // 100 bytes; half the file; all but the last page.
        let new_len = match keep {
            0 => len / 2,
            2 => len - 4096,
            n => n,
        };
        std::fs::OpenOptions::new()
            .write(true)
            .open(&db)
            .unwrap()
            .set_len(new_len)
            .unwrap();
        let before = snapshot(&data);
        let result = open(&data, &keys);
        let err = match result {
            Err(e) => e,
            // A truncation SQLite cannot see at open shows in the integrity checks.
            Ok(store) => {
                let problems = store.integrity_problems();
                assert!(
                    !matches!(problems, Ok(ref p) if p.is_empty()),
                    "truncation to {new_len} of {len} went unnoticed"
                );
                continue;
            }
        };
        assert!(
            matches!(err, StoreError::WrongKeyOrCorrupt { .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains("cipher_integrity_check"), "{err}");
        assert_eq!(snapshot(&data), before, "files changed");
    }
}

#[test]
fn newer_schema_is_refused_and_reopening_runs_no_migration() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let keys = Arc::new(MemKeyStore::default());
    {
        let mut store = open(&data, &keys).unwrap();
        assert_eq!(store.migrations_run(), SCHEMA_VERSION as usize);
        store.set_setting("k", "v").unwrap();
    }
    {
        let store = open(&data, &keys).unwrap();
        assert_eq!(store.migrations_run(), 0);
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        assert_eq!(store.setting("k").unwrap().as_deref(), Some("v"));
        store
            .force_schema_version_for_test(SCHEMA_VERSION + 1)
            .unwrap();
    }
    let err = open(&data, &keys).unwrap_err();
    assert!(
        matches!(err, StoreError::NewerSchema { found, supported, .. } if found == SCHEMA_VERSION + 1 && supported == SCHEMA_VERSION),
        "{err:?}"
    );
    assert!(err.to_string().contains("update Heron"), "{err}");
    assert!(data.join(heron_store::DB_FILE).exists());
}

#[test]
fn first_run_stores_the_key_before_the_database_exists() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let keys = Arc::new(MemKeyStore::default());
    let store = open(&data, &keys).unwrap();
    let key = keys.entries.lock().unwrap()[&master_key_entry(&data)].clone();
    assert_eq!(key.len(), 32);
    drop(store);
    let _again: Store = open(&data, &keys).unwrap();
    assert_eq!(
        keys.entries.lock().unwrap()[&master_key_entry(&data)],
        key,
        "key changed on reopen"
    );
}

#[test]
fn concurrent_first_opens_share_one_key() {
    // Regression: two openers of a fresh directory both created a key; the second
    // replaced the first, and the database became unreadable.
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let keys = Arc::new(MemKeyStore::default());
    let openers: Vec<_> = (0..8)
        .map(|_| {
            let (data, keys) = (data.clone(), keys.clone());
            std::thread::spawn(move || open(&data, &keys).map(drop))
        })
        .collect();
    for opener in openers {
        opener.join().unwrap().unwrap();
    }
    let mut store = open(&data, &keys).unwrap();
    let inbox = folder(&mut store, "corp", "INBOX");
    store
        .insert_message(&message(inbox, 1, "after the race", 1))
        .unwrap();
}
