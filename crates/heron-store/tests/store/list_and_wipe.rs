//! The message list (index-served, keyset pages), flags, deletes and wipes.

use std::sync::Arc;

use heron_model::Secret;
use heron_store::{
    Flags, KeyStore, ListOrder, NewAttachment, NewMessage, PageCursor, SearchOrder, Store,
    account_secret_entry, master_key_entry,
};

use crate::{MemKeyStore, Seeded, account, folder, message, open};

#[test]
fn folder_list_comes_from_the_index_in_keyset_pages() {
    let tmp = tempfile::tempdir().unwrap();
    let keys = Arc::new(MemKeyStore::default());
    let mut store = open(&tmp.path().join("d"), &keys).unwrap();
    let inbox = folder(&mut store, "corp", "INBOX");
    let other = folder(&mut store, "corp", "Archive");
    // Same date for several rows: the id breaks ties so pages neither skip nor repeat.
    for uid in 1..=25u32 {
        store
            .insert_message(&message(inbox, uid, "m", i64::from(uid / 3)))
            .unwrap();
        store
            .insert_message(&message(other, uid, "o", i64::from(uid)))
            .unwrap();
    }
    let plan = store.explain_query_plan(Store::LIST_FOLDER_SQL).unwrap();
    assert!(
        plan.iter().any(|l| l.contains("messages_folder_date")),
        "{plan:?}"
    );
    assert!(
        !plan.iter().any(|l| l.contains("TEMP B-TREE")),
        "sorts instead of using the index: {plan:?}"
    );

    let mut seen = Vec::new();
    let mut cursor: Option<PageCursor> = None;
    let mut pages = 0;
    loop {
        let page = store.list_folder(inbox, cursor, 10).unwrap();
        pages += 1;
        seen.extend(page.items.iter().map(|m| (m.date, m.id)));
        match page.next {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(seen.len(), 25);
    assert!(pages >= 3);
    let mut sorted = seen.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(seen, sorted, "not newest first");
}

#[test]
fn folder_windows_come_in_every_list_order_at_any_offset() {
    let tmp = tempfile::tempdir().unwrap();
    let keys = Arc::new(MemKeyStore::default());
    let mut store = open(&tmp.path().join("d"), &keys).unwrap();
    let inbox = folder(&mut store, "corp", "INBOX");
    for (uid, sender, subject, size, date) in [
        (1, "bob", "Budget", 300, 10),
        (2, "", "alpha", 100, 30),
        (3, "Carol", "Zebra", 200, 20),
    ] {
        let mut m = message(inbox, uid, subject, date);
        m.from_name = sender.to_owned();
        m.from_addr = format!(
            "{}@x.example",
            if sender.is_empty() { "aaron" } else { sender }
        );
        m.size = size;
        store.insert_message(&m).unwrap();
    }
    let uids = |order, offset, limit| {
        let (total, rows) = store.folder_window(inbox, order, offset, limit).unwrap();
        assert_eq!(total, 3);
        rows.iter().map(|m| m.uid).collect::<Vec<_>>()
    };
    assert_eq!(uids(ListOrder::NewestFirst, 0, 10), [2, 3, 1]);
    assert_eq!(uids(ListOrder::OldestFirst, 0, 10), [1, 3, 2]);
    // The address stands in for a missing name; case does not matter.
    assert_eq!(uids(ListOrder::Sender, 0, 10), [2, 1, 3]);
    assert_eq!(uids(ListOrder::Subject, 0, 10), [2, 1, 3]);
    assert_eq!(uids(ListOrder::LargestFirst, 0, 10), [1, 3, 2]);
    assert_eq!(uids(ListOrder::NewestFirst, 1, 1), [3]);
    assert_eq!(uids(ListOrder::NewestFirst, 3, 10), Vec::<u32>::new());
}

#[test]
fn same_uid_replaces_flags_update_delete_never_reuses_ids() {
    let tmp = tempfile::tempdir().unwrap();
    let keys = Arc::new(MemKeyStore::default());
    let mut store = open(&tmp.path().join("d"), &keys).unwrap();
    let inbox = folder(&mut store, "corp", "INBOX");
    let a = store
        .insert_message(&message(inbox, 1, "first", 10))
        .unwrap();
    let again = store
        .insert_message(&message(inbox, 1, "first, edited", 10))
        .unwrap();
    assert_eq!(a, again);
    assert_eq!(
        store
            .search("edited", SearchOrder::Relevance, 10, 0)
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        store
            .search("first", SearchOrder::Relevance, 10, 0)
            .unwrap()
            .len(),
        1
    );
    store.set_flags(a, Flags::SEEN | Flags::FLAGGED).unwrap();
    assert!(
        store
            .message(a)
            .unwrap()
            .unwrap()
            .flags
            .contains(Flags::FLAGGED)
    );
    store.delete_message(a).unwrap();
    assert!(store.message(a).unwrap().is_none());
    assert!(
        store
            .search("edited", SearchOrder::Relevance, 10, 0)
            .unwrap()
            .is_empty()
    );
    let b = store
        .insert_message(&message(inbox, 2, "second", 11))
        .unwrap();
    assert!(b.0 > a.0, "id reused");
}

fn fill_account(store: &mut Store, acc: &str, rng: &mut Seeded) {
    let f = folder(store, acc, "INBOX");
    let blobs = store.blobs(&account(acc));
    let raw = blobs
        .put(format!("raw message of {acc}").as_bytes(), rng)
        .unwrap();
    let att = blobs
        .put(format!("attachment of {acc}").as_bytes(), rng)
        .unwrap();
    store
        .insert_message(&NewMessage {
            body_text: Some(format!("secretword{acc} body")),
            attachments: vec![NewAttachment {
                name: format!("{acc}.pdf"),
                blob: Some(att),
                ..NewAttachment::default()
            }],
            raw_blob: Some(raw),
            ..message(f, 1, &format!("hello from {acc}"), 5)
        })
        .unwrap();
    store
        .store_account_secret(
            &account(acc),
            "imap-password",
            &Secret::new(format!("pw-{acc}")),
        )
        .unwrap();
    store
        .enqueue_operation(&account(acc), "flag", "{\"uid\":1}")
        .unwrap();
    store
        .save_draft(&account(acc), "d", "x@y", "draft")
        .unwrap();
}

#[test]
fn wiping_an_account_removes_its_rows_blobs_secrets_and_keeps_others() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("d");
    let keys = Arc::new(MemKeyStore::default());
    let mut rng = Seeded(3);
    let mut store = open(&data, &keys).unwrap();
    fill_account(&mut store, "alpha", &mut rng);
    fill_account(&mut store, "beta", &mut rng);
    let msg = store
        .search("secretwordalpha", SearchOrder::Relevance, 10, 0)
        .unwrap()[0]
        .id;
    let opened = store.open_attachments_folder(msg, &mut rng).unwrap();
    let kept_dir = opened.dir().to_path_buf();
    std::mem::forget(opened); // simulate a folder left behind
    assert!(kept_dir.exists());
    assert_eq!(store.pending_work().unwrap().unsynced_drafts, 2);

    let report = store.wipe_account(&account("alpha")).unwrap();
    assert_eq!(
        (report.rows_left, report.files_left, report.secrets_left),
        (0, 0, 0)
    );
    assert!(report.rows_deleted >= 5, "{report:?}");
    assert_eq!(report.files_deleted, 2);
    assert_eq!(report.secrets_deleted, 1);
    assert!(!kept_dir.exists());
    assert!(!data.join("blobs/alpha").exists());
    assert!(
        store
            .search("secretwordalpha", SearchOrder::Relevance, 10, 0)
            .unwrap()
            .is_empty()
    );
    assert!(
        keys.load(&account_secret_entry(
            &data,
            &account("alpha"),
            "imap-password"
        ))
        .unwrap()
        .is_none()
    );

    assert_eq!(
        store
            .search("secretwordbeta", SearchOrder::Relevance, 10, 0)
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        store
            .load_account_secret(&account("beta"), "imap-password")
            .unwrap()
            .unwrap()
            .expose(),
        "pw-beta"
    );
    assert_eq!(crate::snapshot(&data.join("blobs/beta")).len(), 2);
    assert_eq!(store.pending_work().unwrap().unsynced_drafts, 1);
}

#[test]
fn wipe_all_deletes_the_master_key_first_then_everything() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("d");
    let keys = Arc::new(MemKeyStore::default());
    let mut rng = Seeded(4);
    let mut store = open(&data, &keys).unwrap();
    fill_account(&mut store, "alpha", &mut rng);
    fill_account(&mut store, "beta", &mut rng);
    *keys.watch_db.lock().unwrap() = Some(data.join(heron_store::DB_FILE));
    let report = store.wipe_all().unwrap();
    assert_eq!(report.secrets_deleted, 3);
    assert!(report.files_deleted >= 5, "{report:?}");
    let log = keys.log.lock().unwrap().clone();
    assert_eq!(
        log[0],
        format!("delete {} db_exists=Some(true)", master_key_entry(&data)),
        "{log:?}"
    );
    assert!(keys.entries.lock().unwrap().is_empty());
    assert!(!data.exists());
}

#[test]
fn wipe_unopenable_works_without_the_key() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("d");
    let keys = Arc::new(MemKeyStore::default());
    drop(open(&data, &keys).unwrap());
    keys.entries.lock().unwrap().clear();
    assert!(open(&data, &keys).is_err());
    let report = Store::wipe_unopenable(&data, keys.as_ref()).unwrap();
    assert!(report.files_deleted >= 1);
    assert!(!data.exists());
    // A fresh store can now be created.
    drop(open(&data, &keys).unwrap());
}

#[test]
fn storing_a_message_again_deletes_the_blobs_it_no_longer_uses() {
    // Regression: a re-insert of the same UID replaced the row but left the old raw
    // message and attachment files behind, encrypted but never deleted.
    let tmp = tempfile::tempdir().unwrap();
    let keys = Arc::new(MemKeyStore::default());
    let mut store = open(&tmp.path().join("data"), &keys).unwrap();
    let mut rng = Seeded(7);
    let inbox = folder(&mut store, "corp", "INBOX");
    let blobs = store.blobs(&account("corp"));
    let old_raw = blobs
        .put(b"first version of the raw message", &mut rng)
        .unwrap();
    let old_att = blobs
        .put(b"first version of the attachment", &mut rng)
        .unwrap();
    let kept_att = blobs
        .put(b"an attachment both versions share", &mut rng)
        .unwrap();
    let with = |raw, attachments: Vec<heron_store::BlobName>| NewMessage {
        raw_blob: Some(raw),
        attachments: attachments
            .into_iter()
            .map(|b| NewAttachment {
                name: "a.pdf".into(),
                blob: Some(b),
                ..NewAttachment::default()
            })
            .collect(),
        ..message(inbox, 1, "subject", 5)
    };
    let id = store
        .insert_message(&with(
            old_raw.clone(),
            vec![old_att.clone(), kept_att.clone()],
        ))
        .unwrap();
    let new_raw = blobs
        .put(b"second version of the raw message", &mut rng)
        .unwrap();
    let again = store
        .insert_message(&with(new_raw.clone(), vec![kept_att.clone()]))
        .unwrap();
    assert_eq!(id, again, "same UID, same id");
    assert!(
        !blobs.path_of(&old_raw).exists(),
        "the replaced raw message is deleted"
    );
    assert!(
        !blobs.path_of(&old_att).exists(),
        "the dropped attachment is deleted"
    );
    assert!(
        blobs.path_of(&kept_att).exists(),
        "a still-used attachment stays"
    );
    assert!(blobs.path_of(&new_raw).exists());
}

/// A message of conversation `thread` (its root's Message-ID), with flags.
fn in_thread(
    folder: heron_store::FolderId,
    uid: u32,
    thread: &str,
    date: i64,
    flags: Flags,
) -> NewMessage {
    NewMessage {
        thread_id: thread.to_owned(),
        flags,
        ..message(folder, uid, &format!("Re: topic {thread}"), date)
    }
}

#[test]
fn conversations_list_newest_first_with_counts_and_markers() {
    let tmp = tempfile::tempdir().unwrap();
    let keys = Arc::new(MemKeyStore::default());
    let mut store = open(&tmp.path().join("d"), &keys).unwrap();
    let inbox = folder(&mut store, "corp", "INBOX");
    let sent = folder(&mut store, "corp", "Sent");
    for m in [
        in_thread(inbox, 1, "<a@test>", 10, Flags::SEEN),
        in_thread(inbox, 2, "<b@test>", 20, Flags::SEEN | Flags::FLAGGED),
        in_thread(inbox, 3, "<a@test>", 30, Flags::default()),
        // No thread id: a conversation of its own.
        in_thread(inbox, 4, "", 25, Flags::SEEN),
        in_thread(inbox, 5, "", 5, Flags::SEEN),
        in_thread(inbox, 6, "<a@test>", 15, Flags::default()),
        // Another folder's messages are not counted in this folder's list.
        NewMessage {
            message_id: "<sent-1@test>".into(),
            ..in_thread(sent, 1, "<a@test>", 40, Flags::SEEN)
        },
    ] {
        store.insert_message(&m).unwrap();
    }
    let (total, threads) = store.folder_threads_window(inbox, 0, 10).unwrap();
    assert_eq!(total, 4);
    let summary: Vec<(u32, u32, u32, bool)> = threads
        .iter()
        .map(|t| (t.latest.uid, t.count, t.unread, t.flagged))
        .collect();
    assert_eq!(
        summary,
        [
            (3, 3, 2, false),
            (4, 1, 0, false),
            (2, 1, 0, true),
            (5, 1, 0, false)
        ]
    );
    let (_, page) = store.folder_threads_window(inbox, 1, 2).unwrap();
    assert_eq!(
        page.iter().map(|t| t.latest.uid).collect::<Vec<_>>(),
        [4, 2]
    );

    // The whole conversation, across folders, oldest first.
    let newest = threads[0].latest.id;
    let whole: Vec<(heron_store::FolderId, u32)> = store
        .thread_messages(newest)
        .unwrap()
        .iter()
        .map(|m| (m.folder, m.uid))
        .collect();
    assert_eq!(whole, [(inbox, 1), (inbox, 6), (inbox, 3), (sent, 1)]);
    let alone = store.thread_messages(threads[1].latest.id).unwrap();
    assert_eq!(alone.len(), 1);
}

#[test]
fn a_reply_naming_only_its_parent_joins_the_parents_conversation() {
    let tmp = tempfile::tempdir().unwrap();
    let keys = Arc::new(MemKeyStore::default());
    let mut store = open(&tmp.path().join("d"), &keys).unwrap();
    let inbox = folder(&mut store, "corp", "INBOX");
    // Root <1@test>; its reply <2@test> references it; a reply to <2@test> carries only
    // In-Reply-To, so its own thread id is its parent's Message-ID.
    store
        .insert_message(&in_thread(inbox, 1, "<1@test>", 10, Flags::SEEN))
        .unwrap();
    store
        .insert_message(&in_thread(inbox, 2, "<1@test>", 20, Flags::SEEN))
        .unwrap();
    let third = store
        .insert_message(&in_thread(inbox, 3, "<2@test>", 30, Flags::SEEN))
        .unwrap();
    assert_eq!(store.message(third).unwrap().unwrap().thread_id, "<1@test>");
    let (total, threads) = store.folder_threads_window(inbox, 0, 10).unwrap();
    assert_eq!(total, 1);
    assert_eq!(threads[0].count, 3);
}

#[test]
fn a_message_kept_in_two_folders_appears_once_in_its_conversation() {
    let tmp = tempfile::tempdir().unwrap();
    let keys = Arc::new(MemKeyStore::default());
    let mut store = open(&tmp.path().join("d"), &keys).unwrap();
    let inbox = folder(&mut store, "corp", "INBOX");
    let archive = folder(&mut store, "corp", "Archive");
    let mut copy = in_thread(archive, 9, "<t@test>", 10, Flags::SEEN);
    copy.message_id = "<1@test>".into();
    store.insert_message(&copy).unwrap();
    let asked = store
        .insert_message(&in_thread(inbox, 1, "<t@test>", 10, Flags::SEEN))
        .unwrap();
    store
        .insert_message(&in_thread(inbox, 2, "<t@test>", 20, Flags::SEEN))
        .unwrap();
    let ids: Vec<_> = store
        .thread_messages(asked)
        .unwrap()
        .iter()
        .map(|m| m.id)
        .collect();
    assert_eq!(ids.len(), 2);
    assert!(
        ids.contains(&asked),
        "the row asked about stands for its copy"
    );
}

#[test]
fn replies_stored_before_their_parent_join_its_conversation_when_it_arrives() {
    let tmp = tempfile::tempdir().unwrap();
    let keys = Arc::new(MemKeyStore::default());
    let mut store = open(&tmp.path().join("d"), &keys).unwrap();
    let inbox = folder(&mut store, "corp", "INBOX");
    // <3@test> replies to <2@test> (In-Reply-To only) and comes first.
    let early = store
        .insert_message(&in_thread(inbox, 3, "<2@test>", 30, Flags::SEEN))
        .unwrap();
    store
        .insert_message(&in_thread(inbox, 1, "<1@test>", 10, Flags::SEEN))
        .unwrap();
    // <2@test> references the root <1@test>.
    store
        .insert_message(&in_thread(inbox, 2, "<1@test>", 20, Flags::SEEN))
        .unwrap();
    assert_eq!(store.message(early).unwrap().unwrap().thread_id, "<1@test>");
    let (total, threads) = store.folder_threads_window(inbox, 0, 10).unwrap();
    assert_eq!((total, threads[0].count), (1, 3));
    assert_eq!(threads[0].ids.len(), 3);
}

#[test]
fn the_unified_inbox_lists_every_accounts_inbox_together() {
    let tmp = tempfile::tempdir().unwrap();
    let keys = Arc::new(MemKeyStore::default());
    let mut store = open(&tmp.path().join("d"), &keys).unwrap();
    let work = folder(&mut store, "work", "INBOX");
    let home = folder(&mut store, "home", "INBOX");
    let archive = folder(&mut store, "work", "Archive");
    for (f, uid, date) in [
        (work, 1, 10),
        (home, 1, 30),
        (work, 2, 20),
        (archive, 3, 40),
    ] {
        store
            .insert_message(&message(f, uid, "hello", date))
            .unwrap();
    }
    let inboxes = store.inbox_folders().unwrap();
    assert_eq!(inboxes, [work, home]);
    let (total, rows) = store
        .folders_window(&inboxes, ListOrder::NewestFirst, 0, 10)
        .unwrap();
    assert_eq!(total, 3);
    let got: Vec<_> = rows.iter().map(|m| (m.folder, m.date)).collect();
    assert_eq!(got, [(home, 30), (work, 20), (work, 10)]);
    let (_, oldest) = store
        .folders_window(&inboxes, ListOrder::OldestFirst, 1, 1)
        .unwrap();
    assert_eq!(oldest[0].date, 20);
    assert_eq!(
        store
            .folders_window(&[], ListOrder::NewestFirst, 0, 10)
            .unwrap()
            .0,
        0
    );
}

#[test]
fn conversation_rows_follow_flags_deletes_and_folder_removal() {
    let tmp = tempfile::tempdir().unwrap();
    let keys = Arc::new(MemKeyStore::default());
    let mut store = open(&tmp.path().join("d"), &keys).unwrap();
    let inbox = folder(&mut store, "corp", "INBOX");
    let other = folder(&mut store, "corp", "Old");
    let a = store
        .insert_message(&in_thread(inbox, 1, "<a@test>", 10, Flags::default()))
        .unwrap();
    let b = store
        .insert_message(&in_thread(inbox, 2, "<a@test>", 20, Flags::default()))
        .unwrap();
    store
        .insert_message(&in_thread(other, 3, "<a@test>", 30, Flags::default()))
        .unwrap();
    let row = |store: &Store| {
        let (total, t) = store.folder_threads_window(inbox, 0, 10).unwrap();
        t.first()
            .map(|t| (total, t.latest.id, t.count, t.unread, t.flagged))
    };
    assert_eq!(row(&store), Some((1, b, 2, 2, false)));
    store.set_flags(b, Flags::SEEN | Flags::FLAGGED).unwrap();
    assert_eq!(row(&store), Some((1, b, 2, 1, true)));
    // The newest goes: the next one stands for the conversation.
    store.delete_message(b).unwrap();
    assert_eq!(row(&store), Some((1, a, 1, 1, false)));
    store.delete_message(a).unwrap();
    assert_eq!(row(&store), None);
    assert_eq!(store.folder_threads_window(inbox, 0, 10).unwrap().0, 0);
    // Removing a folder takes its conversations with it.
    store.remove_folder(other).unwrap();
    assert_eq!(store.folder_threads_window(other, 0, 10).unwrap().0, 0);
}

#[test]
fn a_message_dated_after_2038_or_before_1970_does_not_break_the_conversation_list() {
    let tmp = tempfile::tempdir().unwrap();
    let keys = Arc::new(MemKeyStore::default());
    let mut store = open(&tmp.path().join("d"), &keys).unwrap();
    let inbox = folder(&mut store, "corp", "INBOX");
    // 2100-01-01, and a date before the epoch: a spammer's or a broken client's.
    store
        .insert_message(&in_thread(
            inbox,
            1,
            "<far@test>",
            4_102_444_800,
            Flags::SEEN,
        ))
        .unwrap();
    store
        .insert_message(&in_thread(inbox, 2, "", -86_400, Flags::SEEN))
        .unwrap();
    store
        .insert_message(&in_thread(inbox, 3, "<far@test>", 10, Flags::default()))
        .unwrap();
    let (total, rows) = store.folder_threads_window(inbox, 0, 10).unwrap();
    assert_eq!(total, 2);
    assert_eq!((rows[0].latest.uid, rows[0].count), (1, 2));
}

/// Regression: account secrets were named after the account id alone, so two data
/// directories (two profiles, or a test beside another) with the same account id read
/// each other's password, and wiping one deleted the other's.
#[test]
fn two_data_directories_keep_their_own_secrets_for_the_same_account() {
    let keys = Arc::new(MemKeyStore::default());
    let tmp = tempfile::tempdir().unwrap();
    let (a_dir, b_dir) = (tmp.path().join("a"), tmp.path().join("b"));
    let mut a = open(&a_dir, &keys).unwrap();
    let mut b = open(&b_dir, &keys).unwrap();
    let acc = account("corp");
    a.store_account_secret(&acc, "imap-password", &Secret::new("for-a"))
        .unwrap();
    assert!(
        b.load_account_secret(&acc, "imap-password")
            .unwrap()
            .is_none(),
        "b never signed in"
    );
    b.store_account_secret(&acc, "imap-password", &Secret::new("for-b"))
        .unwrap();
    let secret = |s: &Store| {
        s.load_account_secret(&acc, "imap-password")
            .unwrap()
            .map(|x| x.expose().to_owned())
    };
    assert_eq!(secret(&a).as_deref(), Some("for-a"));
    assert_eq!(secret(&b).as_deref(), Some("for-b"));

    b.wipe_account(&acc).unwrap();
    assert_eq!(secret(&b), None);
    assert_eq!(
        secret(&a).as_deref(),
        Some("for-a"),
        "a's password survives b's wipe"
    );
}

/// A secret kept under the old, per-account name is found once and moved to the data
/// directory's own name; a wipe leaves neither.
#[test]
fn a_secret_under_the_old_name_is_moved_to_the_data_directorys_own() {
    let keys = Arc::new(MemKeyStore::default());
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let mut store = open(&data, &keys).unwrap();
    let acc = account("corp");
    // Known to the store (as every stored secret is), but kept under the old name.
    store
        .store_account_secret(&acc, "imap-password", &Secret::new("old"))
        .unwrap();
    let canonical = std::fs::canonicalize(&data).unwrap();
    let new_name = account_secret_entry(&canonical, &acc, "imap-password");
    keys.delete(&new_name).unwrap();
    keys.store("account:corp:imap-password", b"old").unwrap();

    let found = store.load_account_secret(&acc, "imap-password").unwrap();
    assert_eq!(found.map(|s| s.expose().to_owned()).as_deref(), Some("old"));
    assert!(keys.load("account:corp:imap-password").unwrap().is_none());
    assert!(keys.load(&new_name).unwrap().is_some());

    keys.store("account:corp:imap-password", b"stale copy")
        .unwrap();
    let report = store.wipe_account(&acc).unwrap();
    assert_eq!(report.secrets_left, 0, "{report:?}");
    assert!(keys.load("account:corp:imap-password").unwrap().is_none());
    assert!(keys.load(&new_name).unwrap().is_none());
}
