//! Test helper for the crash test: writes messages in a loop, one transaction each, and
//! prints each committed row id on its own line after the commit returns. The test kills
//! it with SIGKILL at random points and checks that every printed id survived.
//!
//! Usage: heron-store-writer DATA_DIR KEY_DIR FIRST_UID

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use heron_model::AccountId;
use heron_store::{FolderInfo, KeyFileStore, NewMessage, OsRandom, Store};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args_os().skip(1);
    let usage = "usage: heron-store-writer DATA_DIR KEY_DIR FIRST_UID";
    let data = PathBuf::from(args.next().ok_or(usage)?);
    let keys = PathBuf::from(args.next().ok_or(usage)?);
    let first: u32 = args.next().ok_or(usage)?.to_string_lossy().parse()?;
    let mut store = Store::open(&data, Arc::new(KeyFileStore::new(&keys)), &mut OsRandom)?;
    let account = AccountId::new("crash-test")?;
    let folder = store.upsert_folder(
        &account,
        &FolderInfo {
            name: "INBOX".into(),
            uidvalidity: 1,
            ..FolderInfo::default()
        },
    )?;
    let mut out = std::io::stdout().lock();
    for uid in first.. {
        let id = store.insert_message(&NewMessage {
            folder: Some(folder),
            uidvalidity: 1,
            uid,
            subject: format!("crash test message {uid}"),
            body_text: Some(format!("body of message {uid} ").repeat(20)),
            date: i64::from(uid),
            ..NewMessage::default()
        })?;
        writeln!(out, "{}", id.0)?;
        out.flush()?;
    }
    Ok(())
}
