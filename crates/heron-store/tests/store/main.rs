#![allow(clippy::unwrap_used, clippy::expect_used)]
// Tests may panic on setup failures: a failed unwrap is a failed test.

//! Integration tests of heron-store against real files, a real SQLCipher database,
//! real process kills, a real full disk and (when a session bus exists) the real keyring.

mod canary;
mod crash;
mod disk_full;
mod fallback;
mod keyring;
mod keys;
mod list_and_wipe;
mod outgoing;
mod search;
mod sync_state;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use heron_model::AccountId;
use heron_store::{
    FolderId, FolderInfo, KeyStore, NewMessage, RandomSource, Result, Store, StoreError,
};
use zeroize::Zeroizing;

/// An in-memory key store: a test double for logic tests only. `deleted_while` records,
/// for each deletion, whether the data dir's database still existed at that moment.
#[derive(Default)]
pub struct MemKeyStore {
    pub entries: Mutex<BTreeMap<String, Vec<u8>>>,
    pub log: Mutex<Vec<String>>,
    pub watch_db: Mutex<Option<std::path::PathBuf>>,
}

impl KeyStore for MemKeyStore {
    fn load(&self, entry: &str) -> Result<Option<Zeroizing<Vec<u8>>>> {
        Ok(self
            .entries
            .lock()
            .unwrap()
            .get(entry)
            .cloned()
            .map(Zeroizing::new))
    }
    fn store(&self, entry: &str, secret: &[u8]) -> Result<()> {
        self.entries
            .lock()
            .unwrap()
            .insert(entry.into(), secret.to_vec());
        Ok(())
    }
    fn delete(&self, entry: &str) -> Result<()> {
        let db_exists = self.watch_db.lock().unwrap().as_ref().map(|p| p.exists());
        self.log
            .lock()
            .unwrap()
            .push(format!("delete {entry} db_exists={db_exists:?}"));
        self.entries.lock().unwrap().remove(entry);
        Ok(())
    }
}

/// A seeded xorshift generator: deterministic randomness for keys, nonces and kill times.
pub struct Seeded(pub u64);

impl Seeded {
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
}

impl RandomSource for Seeded {
    fn fill(&mut self, buf: &mut [u8]) -> Result<()> {
        for b in buf {
            *b = self.next_u64() as u8;
        }
        Ok(())
    }
}

pub fn open(dir: &Path, keys: &Arc<MemKeyStore>) -> Result<Store, StoreError> {
    Store::open(dir, keys.clone(), &mut Seeded(0x9e37_79b9_7f4a_7c15))
}

pub fn account(name: &str) -> AccountId {
    AccountId::new(name).unwrap()
}

pub fn folder(store: &mut Store, acc: &str, name: &str) -> FolderId {
    store
        .upsert_folder(
            &account(acc),
            &FolderInfo {
                name: name.into(),
                delimiter: "/".into(),
                uidvalidity: 7,
                uidnext: 1,
                ..FolderInfo::default()
            },
        )
        .unwrap()
}

pub fn message(folder: FolderId, uid: u32, subject: &str, date: i64) -> NewMessage {
    NewMessage {
        folder: Some(folder),
        uidvalidity: 7,
        uid,
        message_id: format!("<{uid}@test>"),
        subject: subject.into(),
        date,
        ..NewMessage::default()
    }
}

/// Names and sizes of every file under `dir`, to show nothing was deleted.
pub fn snapshot(dir: &Path) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else {
                out.insert(e.path().display().to_string(), e.metadata().unwrap().len());
            }
        }
    }
    out
}
