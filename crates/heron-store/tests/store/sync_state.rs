//! The store's side of sync: change batches re-key rows by Message-ID, body downloads
//! keep the user's flags, and moves wait as placeholders until the server confirms.

use std::sync::Arc;

use heron_store::{Flags, FolderChanges, FolderState, LocalChange, PLACEHOLDER_UIDVALIDITY};

use crate::{MemKeyStore, account, folder, message, open};

#[test]
fn a_body_download_does_not_undo_a_flag_the_user_set_meanwhile() {
    // Regression: storing a downloaded body replaced the row with the server's flags
    // from the download, hiding a flag change still waiting in the operation log.
    let dir = tempfile::tempdir().unwrap();
    let keys = Arc::new(MemKeyStore::default());
    let mut store = open(dir.path(), &keys).unwrap();
    let inbox = folder(&mut store, "a", "INBOX");
    let mut header_only = message(inbox, 1, "Hello", 1_700_000_000);
    header_only.flags = Flags::SEEN;
    let id = store.insert_message(&header_only).unwrap();
    store
        .enqueue_with_change(
            &account("a"),
            "flags",
            "{}",
            &LocalChange::Flags {
                ids: vec![id],
                add: Flags::FLAGGED,
                remove: Flags::default(),
            },
        )
        .unwrap();
    let mut with_body = message(inbox, 1, "Hello", 1_700_000_000);
    with_body.body_text = Some("the body".into());
    with_body.flags = Flags::SEEN; // the server's, fetched with the body
    store.store_bodies(vec![with_body]).unwrap();
    let row = store.message(id).unwrap().unwrap();
    assert_eq!(row.flags, Flags::SEEN | Flags::FLAGGED);
    assert_eq!(row.id, id, "the row keeps its id");
}

#[test]
fn a_new_server_message_takes_over_a_placeholder_with_its_message_id() {
    let dir = tempfile::tempdir().unwrap();
    let keys = Arc::new(MemKeyStore::default());
    let mut store = open(dir.path(), &keys).unwrap();
    let inbox = folder(&mut store, "a", "INBOX");
    let archive = folder(&mut store, "a", "Archive");
    let id = store
        .insert_message(&message(inbox, 5, "Moved", 1_700_000_000))
        .unwrap();
    store
        .enqueue_with_change(
            &account("a"),
            "move",
            "{}",
            &LocalChange::MoveTo {
                ids: vec![id],
                folder: archive,
            },
        )
        .unwrap();
    let loc = store.message_location(id).unwrap().unwrap();
    assert_eq!(
        (loc.folder, loc.uidvalidity),
        (archive, PLACEHOLDER_UIDVALIDITY)
    );

    // The sync of Archive then finds it under its real UID.
    let mut arrived = message(archive, 40, "Moved", 1_700_000_000);
    arrived.message_id = "<5@test>".into();
    arrived.uidvalidity = 7;
    let removed = store
        .apply_folder_changes(
            archive,
            &FolderChanges {
                new: vec![arrived],
                state: Some(FolderState {
                    uidvalidity: 7,
                    uidnext: 41,
                    highestmodseq: 9,
                }),
                drop_stale: true,
                ..FolderChanges::default()
            },
        )
        .unwrap();
    assert_eq!(removed, 0);
    let loc = store.message_location(id).unwrap().unwrap();
    assert_eq!(
        (loc.folder, loc.uidvalidity, loc.uid),
        (archive, 7, 40),
        "same row, real UID"
    );
    assert_eq!(
        store.folder_messages(archive, 7).unwrap().len(),
        1,
        "no duplicate"
    );
}

#[test]
fn sync_statements_by_folder_and_uid_use_an_index_not_a_scan() {
    // Regression: statements that name (folder, UIDVALIDITY, UID) without the account
    // could not use the unique key and scanned the folder each time; a 100,000-message
    // first sync went quadratic (over seven minutes instead of two).
    let dir = tempfile::tempdir().unwrap();
    let keys = Arc::new(MemKeyStore::default());
    let store = open(dir.path(), &keys).unwrap();
    for sql in [
        "SELECT flags FROM messages WHERE folder = 1 AND uidvalidity = 7 AND uid = 3",
        "UPDATE messages SET flags = 1, modseq = 2 WHERE folder = 1 AND uidvalidity = 7 AND uid = 3",
        "SELECT id FROM messages WHERE folder = 1 AND uidvalidity = 7 AND uid BETWEEN 3 AND 9",
    ] {
        let plan = store.explain_query_plan(sql).unwrap().join("\n");
        assert!(plan.contains("messages_folder_uid"), "{sql}\n{plan}");
    }
}
