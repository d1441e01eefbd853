//! Conversations from a real sync: replies that reference their root (or only their
//! parent) are one row of the list, and the whole conversation spans folders.

use heron_harness::Stack;

use super::send::{keyring_available, machine, runtime};

fn message(id: &str, refs: &str, subject: &str, date: &str) -> Vec<u8> {
    let mut m = format!(
        "Message-ID: <{id}@example.test>\r\nFrom: Ann <ann@example.test>\r\n\
         To: alice@example.test\r\nSubject: {subject}\r\nDate: {date}\r\n"
    );
    if !refs.is_empty() {
        m.push_str(&format!("In-Reply-To: {refs}\r\n"));
    }
    m.push_str("\r\nText\r\n");
    m.into_bytes()
}

#[test]
fn replies_are_one_row_in_the_list_of_conversations_and_the_conversation_spans_folders() {
    if !keyring_available() {
        return;
    }
    let stack = Stack::ensure().unwrap();
    let user = stack.add_user("threads").unwrap();
    stack
        .put_in_inbox(
            &user,
            &[
                message("root", "", "Plan", "Mon, 2 Mar 2026 09:00:00 +0000"),
                message("other", "", "Lunch", "Mon, 2 Mar 2026 10:00:00 +0000"),
                // Names only its parent, which names the root.
                message(
                    "reply2",
                    "<reply1@example.test>",
                    "Re: Plan",
                    "Mon, 2 Mar 2026 12:00:00 +0000",
                ),
                message(
                    "reply1",
                    "<root@example.test>",
                    "Re: Plan",
                    "Mon, 2 Mar 2026 11:00:00 +0000",
                ),
            ],
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let heron = machine(&stack, &user, dir.path());
    let mut store = heron.open_store().unwrap();
    runtime()
        .block_on(heron.sync_accounts(&mut store, &heron_sync::SyncOptions::default(), None))
        .unwrap();
    let inbox = heron_api::mail::folders(&store, None)
        .unwrap()
        .into_iter()
        .find(|f| f.name == "INBOX")
        .unwrap();

    let list = heron_api::mail::window(&store, inbox.id, Some("conversations"), 0, 50).unwrap();
    let rows: Vec<(&str, u32)> = list
        .items
        .iter()
        .map(|r| (r.subject.as_str(), r.conversation.as_ref().unwrap().count))
        .collect();
    // reply2 was stored before reply1 (it was appended first) and still joins the
    // root's conversation once reply1 links the two.
    assert_eq!(rows, [("Re: Plan", 3), ("Lunch", 1)]);
    assert_eq!(list.total, 2);

    let newest = &list.items[0];
    let whole = heron_api::mail::conversation(&store, newest.id).unwrap();
    assert!(
        whole.windows(2).all(|w| w[0].date <= w[1].date),
        "oldest first"
    );
    assert!(heron_api::mail::conversation(&store, 999_999).is_err());
}
