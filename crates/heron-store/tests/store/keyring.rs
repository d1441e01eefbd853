//! The real OS keyring (Secret Service). Run under a private bus:
//! `dbus-run-session -- scripts/with-keyring.sh cargo test -p heron-store`.

use std::sync::Arc;

use heron_model::Secret;
use heron_store::{KeyStore, OsKeyring, OsRandom, Store, StoreError, master_key_entry};

use crate::{Seeded, account};

fn session_bus() -> bool {
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
        println!(
            "SKIPPED keyring test: DBUS_SESSION_BUS_ADDRESS is unset; run under \
             `dbus-run-session -- scripts/with-keyring.sh cargo test -p heron-store`"
        );
        return false;
    }
    true
}

/// A service name no other run uses, so parallel runs and a real keyring never clash.
fn unique_service() -> String {
    let mut b = [0u8; 8];
    heron_store::RandomSource::fill(&mut OsRandom, &mut b).unwrap();
    format!(
        "Heron-test-{}",
        b.iter().map(|x| format!("{x:02x}")).collect::<String>()
    )
}

#[test]
fn real_keyring_round_trip_and_store_lifecycle() {
    if !session_bus() {
        return;
    }
    let ring = OsKeyring::new(unique_service());
    ring.store("probe", b"\x00\x01binary").unwrap();
    assert_eq!(
        ring.load("probe").unwrap().unwrap().as_slice(),
        b"\x00\x01binary"
    );
    ring.delete("probe").unwrap();
    assert!(ring.load("probe").unwrap().is_none());
    ring.delete("probe").unwrap();

    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let ring: Arc<dyn KeyStore> = Arc::new(ring);
    let acc = account("corp");
    {
        let mut store = Store::open(&data, ring.clone(), &mut Seeded(1)).unwrap();
        store
            .store_account_secret(&acc, "imap-password", &Secret::new("hunter2"))
            .unwrap();
        assert_eq!(
            store
                .load_account_secret(&acc, "imap-password")
                .unwrap()
                .unwrap()
                .expose(),
            "hunter2"
        );
    }
    assert!(ring.load(&master_key_entry(&data)).unwrap().is_some());
    let store = Store::open(&data, ring.clone(), &mut Seeded(2)).unwrap();
    let report = store.wipe_all().unwrap();
    assert_eq!(report.secrets_deleted, 2);
    assert!(ring.load(&master_key_entry(&data)).unwrap().is_none());
    assert!(
        ring.load(&heron_store::account_secret_entry(
            &data,
            &acc,
            "imap-password"
        ))
        .unwrap()
        .is_none()
    );
    assert!(!data.exists());
}

/// Child half of the next test: runs with a bus address that leads nowhere.
#[test]
fn keyring_unavailable_child() {
    if std::env::var_os("HERON_KEYRING_CHILD").is_none() {
        return;
    }
    let err = OsKeyring::new(unique_service()).load("x").unwrap_err();
    assert!(
        matches!(err, StoreError::KeyringUnavailable { .. }),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("gnome-keyring") && msg.contains("key-file fallback"),
        "{msg}"
    );
    println!("KEYRING-UNAVAILABLE-MESSAGE: {msg}");
}

#[test]
fn keyring_unavailable_names_the_cause_and_the_fix() {
    // The environment cannot be changed inside this process (set_var is unsafe), so a
    // child copy of this test binary runs with a bus address that leads nowhere.
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "keyring::keyring_unavailable_child",
            "--exact",
            "--nocapture",
        ])
        .env("HERON_KEYRING_CHILD", "1")
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/heron-test-bus",
        )
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("KEYRING-UNAVAILABLE-MESSAGE: The OS keyring is unavailable"),
        "{stdout}"
    );
}
