//! Search falls back to the server for what is not downloaded: with only headers
//! synced, a word in a body is not in the local index, and the real Dovecot's SEARCH
//! finds the message, answered with its stored row.

use heron_harness::Stack;

use super::send::{keyring_available, machine, runtime};

#[test]
fn a_word_in_a_body_not_downloaded_is_found_by_the_server() {
    if !keyring_available() {
        return;
    }
    let stack = Stack::ensure().unwrap();
    let user = stack.add_user("server-search").unwrap();
    let message = |id: &str, subject: &str, body: &str| {
        format!(
            "Message-ID: <{id}@example.test>\r\nFrom: Wei Zhang <wei@example.test>\r\n\
             Subject: {subject}\r\nDate: Mon, 02 Mar 2026 10:00:00 +0000\r\n\r\n{body}\r\n"
        )
        .into_bytes()
    };
    stack
        .put_in_inbox(
            &user,
            &[
                message(
                    "a",
                    "Quarterly numbers",
                    "The zebracorn project is on track.",
                ),
                message("b", "Lunch", "Nothing to see here."),
            ],
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let heron = machine(&stack, &user, dir.path());
    let mut store = heron.open_store().unwrap();
    let rt = runtime();
    let headers_only = heron_sync::SyncOptions {
        bodies: false,
        ..heron_sync::SyncOptions::default()
    };
    rt.block_on(heron.sync_accounts(&mut store, &headers_only, None))
        .unwrap();
    assert!(
        heron_api::mail::search(&store, "zebracorn", 10)
            .unwrap()
            .is_empty(),
        "the body is not in the local index"
    );

    let found = rt
        .block_on(heron.search_server(&store, "zebracorn", 50))
        .unwrap();
    assert!(found.errors.is_empty(), "{:?}", found.errors);
    let subjects: Vec<&str> = found.items.iter().map(|m| m.subject.as_str()).collect();
    assert_eq!(subjects, ["Quarterly numbers"]);
    // Header filters apply to what comes back.
    let none = rt
        .block_on(heron.search_server(&store, "zebracorn from:carol", 50))
        .unwrap();
    assert!(none.items.is_empty());
    // Once the bodies are downloaded there is nothing left to ask the server about.
    rt.block_on(heron.sync_accounts(&mut store, &heron_sync::SyncOptions::default(), None))
        .unwrap();
    assert_eq!(
        heron_api::mail::search(&store, "zebracorn", 10)
            .unwrap()
            .len(),
        1
    );
    let after = rt
        .block_on(heron.search_server(&store, "zebracorn", 50))
        .unwrap();
    assert!(after.items.is_empty());
}
