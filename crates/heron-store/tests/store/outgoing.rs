//! Drafts and the outbox: the state machine that makes sending at-most-once, and blobs
//! that live exactly as long as a draft or an outgoing message needs them.

use std::sync::Arc;

use heron_store::{DraftState, OsRandom, OutboxState, StoreError};

use crate::{MemKeyStore, account, open};

#[test]
fn a_draft_in_the_outbox_is_frozen_until_the_send_is_taken_back() {
    let dir = tempfile::tempdir().unwrap();
    let keys = Arc::new(MemKeyStore::default());
    let mut store = open(dir.path(), &keys).unwrap();
    let acc = account("a");
    let blobs = store.blobs(&acc);
    let v1 = blobs.put(b"version 1", &mut OsRandom).unwrap();
    let draft = store
        .create_draft(&acc, "d1@x", "{}", ("Hi", "bob@x"), &v1, 10)
        .unwrap();
    let v2 = blobs.put(b"version 2", &mut OsRandom).unwrap();
    assert_eq!(
        store
            .update_draft(draft, "{}", ("Hi", "bob@x"), &v2, 11)
            .unwrap(),
        2
    );
    assert!(
        !blobs.path_of(&v1).exists(),
        "the replaced version's blob is gone"
    );

    let sent_bytes = blobs.put(b"final", &mut OsRandom).unwrap();
    let outbox = store.queue_send(draft, &sent_bytes, "{}", 20, 12).unwrap();
    assert_eq!(
        store.draft(draft).unwrap().unwrap().state,
        DraftState::Outbox
    );
    let err = store
        .update_draft(draft, "{}", ("Hi", "bob@x"), &v2, 13)
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    assert!(matches!(
        store
            .queue_send(draft, &sent_bytes, "{}", 20, 13)
            .unwrap_err(),
        StoreError::Conflict(_)
    ));
    assert!(
        store.due_outgoing(&acc, 19).unwrap().is_empty(),
        "undo window"
    );
    assert_eq!(store.due_outgoing(&acc, 20).unwrap().len(), 1);

    assert!(store.cancel_send(outbox).unwrap());
    assert_eq!(
        store.draft(draft).unwrap().unwrap().state,
        DraftState::Editing
    );
    assert!(store.outbox(None).unwrap().is_empty());
    assert!(!blobs.path_of(&sent_bytes).exists());
    assert!(blobs.path_of(&v2).exists(), "the draft keeps its own bytes");
}

#[test]
fn a_send_that_has_begun_cannot_be_taken_back() {
    let dir = tempfile::tempdir().unwrap();
    let keys = Arc::new(MemKeyStore::default());
    let mut store = open(dir.path(), &keys).unwrap();
    let acc = account("a");
    let raw = store.blobs(&acc).put(b"m", &mut OsRandom).unwrap();
    let draft = store
        .create_draft(&acc, "d@x", "{}", ("", ""), &raw, 1)
        .unwrap();
    let outbox = store.queue_send(draft, &raw, "{}", 1, 1).unwrap();
    assert!(
        store
            .advance_outgoing(outbox, OutboxState::Queued, OutboxState::Sending)
            .unwrap()
    );
    assert!(!store.cancel_send(outbox).unwrap());
    assert!(
        !store
            .advance_outgoing(outbox, OutboxState::Queued, OutboxState::Sending)
            .unwrap(),
        "two workers cannot both start the same message"
    );
    assert_eq!(store.outgoing(outbox).unwrap().unwrap().attempts, 1);
}

#[test]
fn after_a_crash_sending_is_retried_and_transmitting_is_uncertain() {
    let dir = tempfile::tempdir().unwrap();
    let keys = Arc::new(MemKeyStore::default());
    let acc = account("a");
    let (sending, transmitting) = {
        let mut store = open(dir.path(), &keys).unwrap();
        let mut queue = |id: &str| {
            let raw = store.blobs(&acc).put(id.as_bytes(), &mut OsRandom).unwrap();
            let draft = store
                .create_draft(&acc, id, "{}", ("", ""), &raw, 1)
                .unwrap();
            store.queue_send(draft, &raw, "{}", 1, 1).unwrap()
        };
        let a = queue("a@x");
        let b = queue("b@x");
        store
            .advance_outgoing(a, OutboxState::Queued, OutboxState::Sending)
            .unwrap();
        store
            .advance_outgoing(b, OutboxState::Queued, OutboxState::Sending)
            .unwrap();
        store
            .advance_outgoing(b, OutboxState::Sending, OutboxState::Transmitting)
            .unwrap();
        (a, b)
        // The store is dropped here without any further step, as a kill would.
    };
    let mut store = open(dir.path(), &keys).unwrap();
    assert_eq!(store.recover_interrupted_sends(&acc).unwrap(), (1, 1));
    assert_eq!(
        store.outgoing(sending).unwrap().unwrap().state,
        OutboxState::Queued
    );
    let t = store.outgoing(transmitting).unwrap().unwrap();
    assert_eq!(t.state, OutboxState::Uncertain);
    assert_eq!(t.error_code, "delivery_uncertain");
}

#[test]
fn a_sent_message_takes_its_draft_and_follow_up_jobs_in_one_step() {
    let dir = tempfile::tempdir().unwrap();
    let keys = Arc::new(MemKeyStore::default());
    let mut store = open(dir.path(), &keys).unwrap();
    let acc = account("a");
    let blobs = store.blobs(&acc);
    let attachment = blobs.put(b"attached file", &mut OsRandom).unwrap();
    let content = format!(
        r#"{{"attachments":[{{"file_name":"a.txt","blob":"{}"}}]}}"#,
        attachment.as_str()
    );
    let draft_raw = blobs.put(b"draft bytes", &mut OsRandom).unwrap();
    let draft = store
        .create_draft(&acc, "s@x", &content, ("", ""), &draft_raw, 1)
        .unwrap();
    let raw = blobs.put(b"sent bytes", &mut OsRandom).unwrap();
    let outbox = store.queue_send(draft, &raw, "{}", 1, 1).unwrap();
    store
        .advance_outgoing(outbox, OutboxState::Queued, OutboxState::Sending)
        .unwrap();
    store
        .advance_outgoing(outbox, OutboxState::Sending, OutboxState::Transmitting)
        .unwrap();
    store
        .finish_sent(outbox, "250 ok", 5, &[("sent_copy", "{}".to_owned())])
        .unwrap();
    assert!(store.draft(draft).unwrap().is_none());
    assert!(
        !blobs.path_of(&attachment).exists(),
        "the draft's attachment went with it"
    );
    assert!(!blobs.path_of(&draft_raw).exists());
    assert!(blobs.path_of(&raw).exists(), "kept for the Sent copy");
    assert_eq!(store.pending_operations(&acc).unwrap().len(), 1);
    assert_eq!(
        store.pending_work().unwrap().outbox,
        0,
        "sent is not pending"
    );
    store.forget_sent(outbox).unwrap();
    assert!(store.outgoing(outbox).unwrap().is_none());
    assert!(!blobs.path_of(&raw).exists());
}

#[test]
fn a_refused_message_returns_to_the_user_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let keys = Arc::new(MemKeyStore::default());
    let mut store = open(dir.path(), &keys).unwrap();
    let acc = account("a");
    let raw = store.blobs(&acc).put(b"m", &mut OsRandom).unwrap();
    let draft = store
        .create_draft(&acc, "r@x", "{}", ("", ""), &raw, 1)
        .unwrap();
    let outbox = store.queue_send(draft, &raw, "{}", 1, 1).unwrap();
    store
        .fail_outgoing(
            outbox,
            OutboxState::Failed,
            "rejected",
            "550 no such user",
            0,
        )
        .unwrap();
    let d = store.draft(draft).unwrap().unwrap();
    assert_eq!(d.state, DraftState::Editing);
    assert_eq!(d.error, "550 no such user");
    // The user fixes it and sends again: the failed entry is replaced.
    store.update_draft(draft, "{}", ("", ""), &raw, 2).unwrap();
    assert_eq!(
        store.draft(draft).unwrap().unwrap().error,
        "",
        "a new version clears it"
    );
    let again = store.queue_send(draft, &raw, "{}", 3, 3).unwrap();
    let ids: Vec<i64> = store.outbox(None).unwrap().iter().map(|o| o.id).collect();
    assert_eq!(ids, vec![again], "the refused attempt {outbox} is replaced");
    assert!(
        store.blobs(&acc).path_of(&raw).exists(),
        "still used by the new entry"
    );
}
