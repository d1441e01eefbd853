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

#[test]
fn the_unified_inbox_spans_two_real_accounts_and_counts_their_unread_mail() {
    if !keyring_available() {
        return;
    }
    let stack = Stack::ensure().unwrap();
    let work = stack.add_user("uniwork").unwrap();
    let home = stack.add_user("unihome").unwrap();
    stack
        .put_in_inbox(
            &work,
            &[message(
                "w1",
                "",
                "Work news",
                "Mon, 2 Mar 2026 09:00:00 +0000",
            )],
        )
        .unwrap();
    stack
        .put_in_inbox(
            &home,
            &[message(
                "h1",
                "",
                "Home news",
                "Mon, 2 Mar 2026 10:00:00 +0000",
            )],
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let heron = super::send::machine_with_policy(&stack, &work, dir.path(), |policy| {
        let mut second = policy["accounts"][0].clone();
        second["id"] = "home".into();
        second["email"] = home.address.clone().into();
        second["password"] = home.password.clone().into();
        policy["accounts"].as_array_mut().unwrap().push(second);
    });
    let mut store = heron.open_store().unwrap();
    let synced = runtime()
        .block_on(heron.sync_accounts(&mut store, &heron_sync::SyncOptions::default(), None))
        .unwrap();
    assert!(synced.iter().all(|s| s.error.is_none()), "{synced:?}");

    let all = heron_api::mail::all_inboxes(&store).unwrap().unwrap();
    assert_eq!(all.id, heron_api::mail::ALL_INBOXES);
    assert_eq!((all.total, all.unread), (2, 2));
    assert_eq!(heron_api::mail::unread_in_inboxes(&store).unwrap(), 2);
    let list = heron_api::mail::window(&store, all.id, None, 0, 10).unwrap();
    let subjects: Vec<&str> = list.items.iter().map(|r| r.subject.as_str()).collect();
    assert_eq!(subjects, ["Home news", "Work news"]);
    // Conversations do not span accounts: the unified inbox lists messages.
    let as_threads = heron_api::mail::window(&store, all.id, Some("conversations"), 0, 10).unwrap();
    assert_eq!(as_threads.items.len(), 2);
    assert!(as_threads.items.iter().all(|r| r.conversation.is_none()));

    heron_api::mail::flag(
        &mut store,
        &[list.items[0].id],
        heron_store::Flags::SEEN,
        heron_store::Flags::default(),
    )
    .unwrap();
    assert_eq!(heron_api::mail::unread_in_inboxes(&store).unwrap(), 1);
}
