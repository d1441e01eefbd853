//! Drafts and sending through heron-api against the harness servers: a draft saved
//! twice is one copy in the server's Drafts, reopened on a second machine it goes on
//! from there, and sending it removes it from Drafts and files it in Sent. Undo send
//! takes a message back before it leaves; one data directory, one sender.

use std::path::Path;
use std::time::Duration;

use heron_api::send::{DraftContent, SendAt, cancel_send};
use heron_api::{ErrorCode, Heron, HeronOptions};
use heron_harness::{Stack, User};
use heron_policy::{OsUser, PolicyRoots};
use heron_store::Store;

/// Runs only with a session bus (the store keeps its key in the OS keyring);
/// `cargo xtask test` provides one.
pub(crate) fn keyring_available() -> bool {
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
        eprintln!("SKIPPED: needs a session bus with a Secret Service (cargo xtask test runs one)");
        return false;
    }
    true
}

pub(crate) fn machine(stack: &Stack, user: &User, dir: &Path) -> Heron {
    machine_with_policy(stack, user, dir, |_| {})
}

/// [`machine`] with the policy changed first by `edit`.
pub(crate) fn machine_with_policy(
    stack: &Stack,
    user: &User,
    dir: &Path,
    edit: impl FnOnce(&mut serde_json::Value),
) -> Heron {
    let config = dir.join("config.json");
    let mut policy = stack.heron_config("acct", "Alice", user);
    edit(&mut policy);
    std::fs::write(&config, serde_json::to_vec(&policy).unwrap()).unwrap();
    let heron = Heron::open(&HeronOptions {
        config_path: Some(config),
        policy_roots: Some(PolicyRoots::under(&dir.join("etc"))),
        data_dir: Some(dir.join("data")),
        os_user: Some(OsUser {
            username: "alice".into(),
            domain: None,
        }),
        ignore_config_env: true,
        // Never the real per-user config directory.
        key_dir: Some(dir.join("keys")),
        ..HeronOptions::default()
    })
    .unwrap();
    let version = heron.privacy_notice().unwrap().version;
    heron
        .accept_privacy_notice(&version, 1_800_000_000)
        .unwrap();
    heron
}

/// A machine for `user` that has synced its mailbox once, and the newest Inbox message.
pub(crate) fn synced_machine(
    stack: &Stack,
    user: &User,
    dir: &Path,
) -> (Heron, heron_store::Store, i64) {
    let heron = machine(stack, user, dir);
    let mut store = heron.open_store().unwrap();
    runtime()
        .block_on(heron.sync_accounts(&mut store, &heron_sync::SyncOptions::default(), None))
        .unwrap();
    let id = heron_api::mail::list(&store, None, "INBOX", 10, None)
        .unwrap()
        .items[0]
        .id;
    (heron, store, id)
}

pub(crate) fn account() -> heron_model::AccountId {
    heron_model::AccountId::new("acct").unwrap()
}

pub(crate) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn draft_to(bob: &User, subject: &str) -> DraftContent {
    DraftContent {
        to: format!("Bob <{}>", bob.address),
        bcc: "hidden@example.test".to_owned(),
        subject: subject.to_owned(),
        text: Some(format!("{subject}\n")),
        ..DraftContent::default()
    }
}

fn row_in(store: &Store, folder: &str) -> Vec<i64> {
    heron_api::mail::list(store, None, folder, 50, None)
        .unwrap()
        .items
        .iter()
        .map(|m| m.id)
        .collect()
}

#[test]
fn a_draft_lives_once_on_the_server_moves_between_machines_and_leaves_when_sent() {
    if !keyring_available() {
        return;
    }
    let stack = Stack::ensure().unwrap();
    let alice = stack.add_user("drafts-a").unwrap();
    let bob = stack.add_user("drafts-b").unwrap();
    let rt = runtime();

    // Machine A writes and autosaves twice; the server keeps only the newest.
    let dir_a = tempfile::tempdir().unwrap();
    let a = machine(&stack, &alice, dir_a.path());
    let mut store_a = a.open_store().unwrap();
    let saved = a
        .save_draft(
            &mut store_a,
            &account(),
            None,
            draft_to(&bob, "Plan v1"),
            vec![],
        )
        .unwrap();
    let again = a
        .save_draft(
            &mut store_a,
            &account(),
            Some(saved.id),
            draft_to(&bob, "Plan v2"),
            vec![],
        )
        .unwrap();
    assert_eq!((again.id, again.version), (saved.id, 2));
    assert_eq!(
        saved.message_id, again.message_id,
        "one Message-ID for life"
    );
    rt.block_on(a.replay_operations(&mut store_a)).unwrap();
    assert_eq!(
        stack
            .count_messages(&alice, "Drafts", &saved.message_id)
            .unwrap(),
        1
    );
    let d = store_a.draft(saved.id).unwrap().unwrap();
    assert_eq!(d.synced_version, 2, "the server has the newest version");

    // Machine B syncs, opens it, edits it; still one copy on the server.
    let dir_b = tempfile::tempdir().unwrap();
    let b = machine(&stack, &alice, dir_b.path());
    let mut store_b = b.open_store().unwrap();
    rt.block_on(b.sync_accounts(&mut store_b, &heron_sync::SyncOptions::default(), None))
        .unwrap();
    let rows = row_in(&store_b, "Drafts");
    assert_eq!(rows.len(), 1);
    let opened = b.open_draft(&mut store_b, rows[0]).unwrap();
    assert_eq!(opened.message_id, saved.message_id);
    let content: DraftContent =
        serde_json::from_str(&store_b.draft(opened.id).unwrap().unwrap().content).unwrap();
    assert_eq!(content.subject, "Plan v2");
    assert!(
        content.bcc.contains("hidden@example.test"),
        "Bcc survives: {content:?}"
    );
    assert_eq!(
        b.open_draft(&mut store_b, rows[0]).unwrap().id,
        opened.id,
        "opening it again continues the same draft"
    );
    b.save_draft(
        &mut store_b,
        &account(),
        Some(opened.id),
        draft_to(&bob, "Plan v3"),
        vec![],
    )
    .unwrap();
    rt.block_on(b.replay_operations(&mut store_b)).unwrap();
    assert_eq!(
        stack
            .count_messages(&alice, "Drafts", &saved.message_id)
            .unwrap(),
        1
    );

    // B sends it: Bob gets it once, Drafts loses it, Sent has it once.
    b.send_draft(&mut store_b, opened.id, SendAt::Now).unwrap();
    let sent = rt.block_on(b.flush_outbox(&mut store_b)).unwrap();
    assert_eq!(sent[0].report.as_ref().unwrap().sent, 1, "{sent:?}");
    rt.block_on(b.replay_operations(&mut store_b)).unwrap();
    assert_eq!(
        stack
            .wait_for_messages(&bob, "INBOX", &saved.message_id, 2, Duration::from_secs(10))
            .unwrap(),
        1
    );
    assert_eq!(
        stack
            .count_messages(&alice, "Drafts", &saved.message_id)
            .unwrap(),
        0
    );
    assert_eq!(
        stack
            .count_messages(&alice, "Sent", &saved.message_id)
            .unwrap(),
        1
    );
}

#[test]
fn undo_send_takes_a_message_back_before_it_leaves() {
    if !keyring_available() {
        return;
    }
    let stack = Stack::ensure().unwrap();
    let alice = stack.add_user("undo-a").unwrap();
    let bob = stack.add_user("undo-b").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let heron = machine(&stack, &alice, dir.path());
    let mut store = heron.open_store().unwrap();
    let draft = heron
        .save_draft(&mut store, &account(), None, draft_to(&bob, "Oops"), vec![])
        .unwrap();
    let queued = heron
        .send_draft(&mut store, draft.id, SendAt::AfterUndoDelay)
        .unwrap();
    assert!(
        queued.not_before
            >= std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs() as i64
                + 4,
        "the policy's 5 s undo delay"
    );
    // During the delay nothing leaves, even when the outbox is flushed.
    let report = runtime().block_on(heron.flush_outbox(&mut store)).unwrap();
    assert_eq!(report[0].report.as_ref().unwrap().sent, 0);
    let err = heron
        .save_draft(
            &mut store,
            &account(),
            Some(draft.id),
            draft_to(&bob, "x"),
            vec![],
        )
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Conflict, "frozen while in the outbox");
    assert!(cancel_send(&mut store, queued.outbox).unwrap());
    assert!(heron_api::send::outbox(&store).unwrap().is_empty());
    heron
        .save_draft(
            &mut store,
            &account(),
            Some(draft.id),
            draft_to(&bob, "Fixed"),
            vec![],
        )
        .unwrap();
    assert_eq!(
        stack
            .wait_for_messages(&bob, "INBOX", &draft.message_id, 1, Duration::from_secs(2))
            .unwrap(),
        0
    );
}

#[test]
fn one_data_directory_has_one_sender() {
    let dir = tempfile::tempdir().unwrap();
    let heron = Heron::open(&HeronOptions {
        config_path: None,
        policy_roots: Some(PolicyRoots::under(&dir.path().join("etc"))),
        data_dir: Some(dir.path().join("data")),
        os_user: None,
        ignore_config_env: true,
        ..HeronOptions::default()
    })
    .unwrap();
    let first = heron.lock_instance().unwrap();
    let err = heron.lock_instance().unwrap_err();
    assert_eq!(err.code, ErrorCode::AlreadyRunning);
    drop(first);
    heron.lock_instance().unwrap();
}

/// Regression: queued mail of an account nobody has signed in to yet was reported as a
/// configuration problem (`invalid_config`), and a refresh token the server refused lost
/// its code the same way; the user is asked to sign in, and the message waits.
#[test]
fn mail_queued_before_signing_in_waits_and_asks_for_a_sign_in() {
    if !keyring_available() {
        return;
    }
    let stack = Stack::ensure().unwrap();
    let alice = stack.add_user("unsigned-a").unwrap();
    let bob = stack.add_user("unsigned-b").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let heron = machine_with_policy(&stack, &alice, dir.path(), |policy| {
        policy["accounts"][0]
            .as_object_mut()
            .unwrap()
            .remove("password");
    });
    let mut store = heron.open_store().unwrap();
    let draft = heron
        .save_draft(
            &mut store,
            &account(),
            None,
            draft_to(&bob, "Waiting"),
            vec![],
        )
        .unwrap();
    heron.send_draft(&mut store, draft.id, SendAt::Now).unwrap();

    let report = runtime().block_on(heron.flush_outbox(&mut store)).unwrap();
    let err = report[0]
        .error
        .as_ref()
        .unwrap_or_else(|| panic!("nothing can be sent: {report:?}"));
    assert_eq!(err.code, ErrorCode::SignInRequired, "{err:?}");
    assert!(err.message.contains(&alice.address), "{}", err.message);
    let outbox = heron_api::send::outbox(&store).unwrap();
    assert_eq!(outbox.len(), 1, "the message waits in the outbox");
}
