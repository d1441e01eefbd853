//! `heronctl wipe` against the real OS keyring (a Secret Service on the session bus, as
//! `cargo xtask test` provides): the key goes first, then every file, and nothing is left.

use std::path::Path;
use std::sync::Arc;

use heron_store::{
    DB_FILE, KEYRING_SERVICE, KeyStore, OsKeyring, OsRandom, Store, master_key_entry,
};

use crate::heronctl;

pub(crate) fn real_keyring() -> Option<Arc<dyn KeyStore>> {
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
        eprintln!("SKIPPED: needs a session bus with a Secret Service (cargo xtask test runs one)");
        return None;
    }
    Some(Arc::new(OsKeyring::new(KEYRING_SERVICE)))
}

fn files_under(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .map(|e| e.unwrap().path())
        .map(|p| if p.is_dir() { files_under(&p) } else { 1 })
        .sum()
}

/// A store with something in it; returns its master key entry.
fn make_store(data: &Path, keyring: &Arc<dyn KeyStore>) -> String {
    let mut store = Store::open(data, keyring.clone(), &mut OsRandom).unwrap();
    store.set_setting("canary", "heronctl-wipe-canary").unwrap();
    drop(store);
    let entry = master_key_entry(&std::fs::canonicalize(data).unwrap());
    assert!(
        keyring.load(&entry).unwrap().is_some(),
        "the store keeps its key in the keyring"
    );
    entry
}

#[test]
fn wipe_without_yes_deletes_nothing_and_fails() {
    let Some(keyring) = real_keyring() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let entry = make_store(&data, &keyring);
    let out = heronctl(&["--data-dir", data.to_str().unwrap(), "wipe"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--yes"));
    assert!(data.join(DB_FILE).exists());
    assert!(keyring.load(&entry).unwrap().is_some());
    keyring.delete(&entry).unwrap();
}

#[test]
fn wipe_deletes_the_key_and_every_file() {
    let Some(keyring) = real_keyring() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let entry = make_store(&data, &keyring);
    let out = heronctl(&[
        "--data-dir",
        data.to_str().unwrap(),
        "wipe",
        "--yes",
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["wiped"], true);
    assert!(report["deleted"]["secrets_deleted"].as_u64().unwrap() >= 1);
    assert!(
        keyring.load(&entry).unwrap().is_none(),
        "the master key is gone"
    );
    assert_eq!(files_under(&data), 0, "no file is left");
}

#[test]
fn wipe_removes_a_store_whose_key_is_already_gone() {
    let Some(keyring) = real_keyring() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let entry = make_store(&data, &keyring);
    keyring.delete(&entry).unwrap();
    let out = heronctl(&["--data-dir", data.to_str().unwrap(), "wipe", "--yes"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(files_under(&data), 0);
}

#[test]
fn wipe_refuses_a_directory_that_is_not_heron_data_and_deletes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let documents = dir.path().join("Documents");
    std::fs::create_dir_all(documents.join("tmp")).unwrap();
    std::fs::write(documents.join("thesis.odt"), "years of work").unwrap();
    std::fs::write(documents.join("tmp").join("notes.txt"), "notes").unwrap();
    let out = heronctl(&["--data-dir", documents.to_str().unwrap(), "wipe", "--yes"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not a Heron data directory"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(files_under(&documents), 2, "every file is still there");
}

#[test]
fn wipe_of_a_store_beside_other_files_deletes_only_herons_entries() {
    let Some(keyring) = real_keyring() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let entry = make_store(&data, &keyring);
    std::fs::write(data.join("not-heron.txt"), "keep me").unwrap();
    let out = heronctl(&["--data-dir", data.to_str().unwrap(), "wipe", "--yes"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(keyring.load(&entry).unwrap().is_none());
    assert!(!data.join(DB_FILE).exists());
    assert_eq!(
        std::fs::read_to_string(data.join("not-heron.txt")).unwrap(),
        "keep me"
    );
}
