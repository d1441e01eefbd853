//! A full disk: writes fail with DiskFull, and everything committed before survives.

use std::process::Command;
use std::sync::Arc;

use heron_store::{MessageRowId, NewMessage, StoreError};

use crate::{MemKeyStore, Seeded, account, folder, open};

struct Mount(std::path::PathBuf);
impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn disk_full_is_a_clear_error_and_loses_nothing_committed() {
    let tmp = tempfile::tempdir().unwrap();
    let mnt = tmp.path().join("small");
    std::fs::create_dir(&mnt).unwrap();
    let ok = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=2m", "tmpfs"])
        .arg(&mnt)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !ok {
        println!("SKIPPED disk_full: cannot mount a tmpfs here (needs root or CAP_SYS_ADMIN)");
        return;
    }
    let _mount = Mount(mnt.clone());
    let data = mnt.join("data");
    let keys = Arc::new(MemKeyStore::default());
    let mut rng = Seeded(7);
    let mut committed = Vec::new();
    let error = {
        let mut store = open(&data, &keys).unwrap();
        let inbox = folder(&mut store, "corp", "INBOX");
        let mut uid = 1;
        loop {
            // Incompressible-looking text so pages fill quickly.
            let body: String = (0..1_500)
                .map(|_| char::from(b'a' + (rng.next_u64() % 26) as u8))
                .collect();
            match store.insert_message(&NewMessage {
                body_text: Some(body),
                ..crate::message(inbox, uid, &format!("fill {uid}"), i64::from(uid))
            }) {
                Ok(id) => committed.push(id),
                Err(e) => break e,
            }
            uid += 1;
            assert!(uid < 10_000, "a 2 MiB disk never filled");
        }
    };
    assert!(
        matches!(error, StoreError::DiskFull(_)),
        "expected DiskFull, got {error:?}"
    );
    assert!(error.to_string().starts_with("The disk is full"), "{error}");
    assert!(
        committed.len() > 5,
        "only {} rows before {error}",
        committed.len()
    );

    let store = open(&data, &keys).unwrap();
    // Blobs on the same full disk fail the same way, without leaving a partial file.
    let big = vec![0x5a_u8; 3 * 1024 * 1024];
    let blob_err = store
        .blobs(&account("corp"))
        .put(&big, &mut rng)
        .unwrap_err();
    assert!(matches!(blob_err, StoreError::DiskFull(_)), "{blob_err:?}");
    assert_eq!(crate::snapshot(&data.join("blobs")).len(), 0);
    for id in &committed {
        let m: Option<_> = store.message(MessageRowId(id.0)).unwrap();
        assert!(m.is_some(), "committed row {id:?} lost");
    }
    assert_eq!(store.integrity_problems().unwrap(), Vec::<String>::new());
    println!(
        "disk full after {} committed messages: {error}",
        committed.len()
    );
}
