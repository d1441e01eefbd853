//! Sync against the harness Dovecot (a real server): first sync equals the server, other
//! clients' changes converge, UIDVALIDITY changes re-match by Message-ID, offline actions
//! replay, dropped and stalled connections (a fault proxy in between) never lose or
//! duplicate mail, and every failure is a typed error.

// Test code: a failed unwrap is a failed test, with the error in its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod errors;
mod faults;
mod push;
mod send;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use heron_harness::seed::SeedOptions;
use heron_harness::{Stack, User};
use heron_imap::{
    Auth, ConnectOptions, FetchItems, FlagChange, ImapSession, ProtocolLimits, Security, Timeouts,
    UidRange,
};
use heron_model::{AccountId, Secret};
use heron_store::{Flags, KeyFileStore, MessageRowId, OsRandom, Store};
use heron_sync::{Phase, SyncEvent, SyncOptions, SyncReport, flags_from_imap, oplog, sync_account};

pub fn stack() -> Stack {
    match Stack::ensure() {
        Ok(stack) => stack,
        Err(e) => panic!("the test stack must start: {e:#}"),
    }
}

pub fn options_for(stack: &Stack, user: &User, port: u16, security: Security) -> ConnectOptions {
    let ca = heron_imap::read_pem_certificates(stack.ca_pem()).unwrap();
    ConnectOptions {
        host: "127.0.0.1".to_owned(),
        port,
        security,
        login: user.address.clone(),
        auth: Auth::Password(Secret::new(user.password.clone())),
        tls: heron_imap::tls_config(&ca, false, false).unwrap(),
        timeouts: Timeouts {
            connect: Duration::from_secs(10),
            command: Duration::from_secs(20),
        },
        limits: ProtocolLimits::default(),
    }
}

/// One test's account: a fresh server user and a fresh encrypted store.
pub struct Env {
    pub stack: Stack,
    pub user: User,
    pub dir: tempfile::TempDir,
    pub store: Store,
    pub account: AccountId,
    pub connect: ConnectOptions,
}

pub fn open_store(dir: &Path) -> Store {
    Store::open(
        dir,
        Arc::new(KeyFileStore::new(&dir.join("keys"))),
        &mut OsRandom,
    )
    .unwrap()
}

impl Env {
    pub fn new(prefix: &str, messages: usize) -> Env {
        let stack = stack();
        let user = stack.add_user(prefix).unwrap();
        if messages > 0 {
            let mut seed = SeedOptions::new(messages, "Test User", &user.address);
            // One large attachment in the first thousand would dominate small tests.
            seed.large_attachment_every = 0;
            stack.seed_mailbox(&user, &seed).unwrap();
        }
        let dir = tempfile::tempdir().unwrap();
        let store = open_store(dir.path());
        let connect = options_for(&stack, &user, stack.ports().imaps, Security::Tls);
        Env {
            stack,
            user,
            store,
            dir,
            account: AccountId::new("acct").unwrap(),
            connect,
        }
    }

    pub async fn sync(&mut self) -> heron_sync::Result<SyncReport> {
        let connect = self.connect.clone();
        self.sync_with(&connect).await
    }

    pub async fn sync_with(&mut self, connect: &ConnectOptions) -> heron_sync::Result<SyncReport> {
        sync_account(
            &mut self.store,
            &self.account,
            connect,
            &SyncOptions::default(),
            None,
        )
        .await
    }

    /// A second client on the same mailbox.
    pub async fn other_client(&self) -> ImapSession {
        heron_imap::connect(&self.connect).await.unwrap()
    }

    pub fn folder_id(&self, name: &str) -> heron_store::FolderId {
        self.store
            .folder_named(&self.account, name)
            .unwrap()
            .unwrap()
            .id
    }

    /// The store's messages of a folder as UID → flags.
    pub fn local(&self, folder: &str) -> BTreeMap<u32, Flags> {
        let row = self
            .store
            .folder_named(&self.account, folder)
            .unwrap()
            .unwrap();
        self.store
            .folder_messages(row.id, row.uidvalidity)
            .unwrap()
            .into_iter()
            .map(|m| (m.uid, m.flags))
            .collect()
    }
}

/// The server's messages of every folder as name → (UIDVALIDITY, UID → flags).
pub async fn server_state(
    session: &mut ImapSession,
) -> BTreeMap<String, (u32, BTreeMap<u32, Flags>)> {
    let mut out = BTreeMap::new();
    for m in session.list().await.unwrap() {
        if !m.selectable {
            continue;
        }
        let sel = session.select(&m.name, None).await.unwrap();
        let flags = FetchItems {
            flags: true,
            ..FetchItems::default()
        };
        let uids = fetch_all(session, sel.exists, flags)
            .await
            .into_iter()
            .map(|f| {
                (
                    f.uid,
                    flags_from_imap(f.flags.as_deref().unwrap_or_default()),
                )
            })
            .collect();
        out.insert(m.name, (sel.uidvalidity, uids));
    }
    out
}

/// Every message of the selected mailbox with `items`; `exists` is its message count
/// from SELECT (an empty mailbox is not fetched: `1:*` would name nothing).
pub async fn fetch_all(
    session: &mut ImapSession,
    exists: u32,
    items: FetchItems,
) -> Vec<heron_imap::Fetched> {
    let mut out = Vec::new();
    if exists == 0 {
        return out;
    }
    session
        .uid_fetch(&UidRange::From(1), items, None, |f| {
            out.push(f);
            Ok(())
        })
        .await
        .unwrap();
    out
}

/// Asserts the store equals the server: the same folders, and in each the same
/// UIDVALIDITY, UIDs and flags, with no extra rows (duplicates, placeholders, stale).
pub async fn assert_store_equals_server(env: &Env) {
    let mut session = env.other_client().await;
    let server = server_state(&mut session).await;
    session.logout().await;
    let folders = env.store.folders(&env.account).unwrap();
    let local_names: Vec<&str> = folders.iter().map(|f| f.name.as_str()).collect();
    let server_names: Vec<&str> = server.keys().map(String::as_str).collect();
    assert_eq!(local_names, server_names, "folders differ");
    for f in &folders {
        let (uidvalidity, uids) = &server[&f.name];
        assert_eq!(f.uidvalidity, *uidvalidity, "UIDVALIDITY of {}", f.name);
        assert_eq!(&env.local(&f.name), uids, "messages of {} differ", f.name);
        assert_eq!(
            f.total,
            uids.len() as u64,
            "{} has rows beyond its UIDs",
            f.name
        );
    }
}

/// Appends a small message with a known Message-ID.
pub async fn append(session: &mut ImapSession, folder: &str, id: &str, subject: &str) {
    let raw = format!(
        "Message-ID: <{id}>\r\nFrom: Other <other@example.test>\r\nTo: x@example.test\r\n\
         Subject: {subject}\r\nDate: Mon, 02 Mar 2026 10:00:00 +0000\r\n\r\nBody of {subject}\r\n"
    );
    session.append(folder, &[], raw.as_bytes()).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_sync_of_a_seeded_mailbox_equals_the_server_bodies_byte_equal() {
    let mut env = Env::new("first", 300);
    let (events, mut heard) = tokio::sync::broadcast::channel(10_000);
    let connect = env.connect.clone();
    let report = sync_account(
        &mut env.store,
        &env.account,
        &connect,
        &SyncOptions::default(),
        Some(&events),
    )
    .await
    .unwrap();
    assert_eq!(report.messages, 300);

    // Progress for the UI: per folder, headers then bodies, ending at done == total;
    // new mail announced per folder, adding up to every message.
    let (mut announced, mut finished) = (0, std::collections::BTreeSet::new());
    while let Ok(event) = heard.try_recv() {
        match event {
            SyncEvent::NewMail { count, .. } => announced += count,
            SyncEvent::Progress {
                folder,
                phase,
                done,
                total,
                bytes,
                ..
            } => {
                assert!(
                    done <= total && bytes > 0,
                    "{folder} {phase:?} {done}/{total}"
                );
                if done == total {
                    finished.insert((folder, phase));
                }
            }
        }
    }
    assert_eq!(announced, 300);
    assert!(
        finished.contains(&("INBOX".to_owned(), Phase::Headers)),
        "{finished:?}"
    );
    assert!(
        finished.contains(&("INBOX".to_owned(), Phase::Bodies)),
        "{finished:?}"
    );
    assert_eq!(report.new_messages, 300);
    assert_eq!(report.bodies, 300);
    assert_store_equals_server(&env).await;

    // Every stored body is the server's bytes exactly.
    let mut session = env.other_client().await;
    for folder in env.store.folders(&env.account).unwrap() {
        let sel = session.select(&folder.name, None).await.unwrap();
        let body = FetchItems {
            body: true,
            ..FetchItems::default()
        };
        let server_bodies: BTreeMap<u32, Vec<u8>> = fetch_all(&mut session, sel.exists, body)
            .await
            .into_iter()
            .map(|f| (f.uid, f.body.unwrap_or_default()))
            .collect();
        for m in env
            .store
            .folder_messages(folder.id, folder.uidvalidity)
            .unwrap()
        {
            assert!(m.has_body, "{} uid {} has no body", folder.name, m.uid);
            let raw = env.store.raw_message(m.id).unwrap().unwrap();
            assert!(
                raw.as_slice() == server_bodies[&m.uid].as_slice(),
                "{} uid {}",
                folder.name,
                m.uid
            );
        }
    }
    session.logout().await;

    // Bodies are indexed: a word from one message's text finds it.
    let inbox = env.folder_id("INBOX");
    let first = env
        .store
        .list_folder(inbox, None, 1)
        .unwrap()
        .items
        .remove(0);
    let hits = env
        .store
        .search(
            &format!("\"{}\"", first.subject),
            heron_store::SearchOrder::Newest,
            50,
            0,
        )
        .unwrap();
    assert!(
        hits.iter().any(|h| h.id == first.id),
        "search for {:?}",
        first.subject
    );

    // A second sync of an unchanged mailbox downloads nothing and changes nothing.
    let again = env.sync().await.unwrap();
    assert_eq!(
        (again.new_messages, again.bodies, again.removed_messages),
        (0, 0, 0)
    );
    assert_store_equals_server(&env).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_client_adds_flags_moves_and_expunges_between_syncs() {
    let mut env = Env::new("between", 60);
    env.sync().await.unwrap();
    let mut other = env.other_client().await;
    other.select("INBOX", None).await.unwrap();
    let inbox = env.local("INBOX");
    let uids: Vec<u32> = inbox.keys().copied().collect();
    other
        .uid_store(&uids[0..3], FlagChange::Add, &["\\Flagged", "\\Seen"])
        .await
        .unwrap();
    other
        .uid_store(&uids[3..4], FlagChange::Remove, &["\\Seen"])
        .await
        .unwrap();
    other.uid_move(&uids[4..6], "Archive").await.unwrap();
    other
        .uid_store(&uids[6..8], FlagChange::Add, &["\\Deleted"])
        .await
        .unwrap();
    other.uid_expunge(&uids[6..8]).await.unwrap();
    append(&mut other, "INBOX", "new-1@example.test", "Fresh one").await;
    other.create("Fresh folder").await.unwrap();
    append(
        &mut other,
        "Fresh folder",
        "new-2@example.test",
        "In a new folder",
    )
    .await;
    other.logout().await;

    let report = env.sync().await.unwrap();
    assert_eq!(report.new_messages, 4, "2 moved + 2 appended");
    assert_eq!(report.removed_messages, 4, "2 moved away + 2 expunged");
    assert_store_equals_server(&env).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_client_changing_the_mailbox_during_a_sync_converges_after_resync() {
    let mut env = Env::new("during", 400);
    let connect = env.connect.clone();
    let meddler = tokio::spawn(async move {
        let mut other = heron_imap::connect(&connect).await.unwrap();
        for round in 0..20u32 {
            let sel = other.select("INBOX", None).await.unwrap();
            let uids: Vec<u32> = fetch_all(&mut other, sel.exists, FetchItems::default())
                .await
                .iter()
                .map(|f| f.uid)
                .collect();
            let pick = uids[(round as usize * 7) % uids.len()];
            match round % 4 {
                0 => other
                    .uid_store(&[pick], FlagChange::Add, &["\\Flagged"])
                    .await
                    .unwrap(),
                1 => {
                    other.uid_move(&[pick], "Archive").await.unwrap();
                }
                2 => {
                    other
                        .uid_store(&[pick], FlagChange::Add, &["\\Deleted"])
                        .await
                        .unwrap();
                    other.uid_expunge(&[pick]).await.unwrap();
                }
                _ => {
                    append(
                        &mut other,
                        "INBOX",
                        &format!("during-{round}@example.test"),
                        "During",
                    )
                    .await
                }
            }
            tokio::time::sleep(Duration::from_millis(40)).await;
        }
        other.logout().await;
    });
    let first = env.sync().await;
    meddler.await.unwrap();
    first.unwrap();
    env.sync().await.unwrap();
    assert_store_equals_server(&env).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uidvalidity_change_rematches_by_message_id_and_keeps_bodies() {
    let mut env = Env::new("uidvalidity", 0);
    let mut other = env.other_client().await;
    other.create("Reports").await.unwrap();
    for i in 0..5 {
        append(
            &mut other,
            "Reports",
            &format!("r{i}@example.test"),
            &format!("Report {i}"),
        )
        .await;
    }
    env.sync().await.unwrap();
    let before = env
        .store
        .folder_named(&env.account, "Reports")
        .unwrap()
        .unwrap();

    // Recreate the folder: same messages, new UIDVALIDITY, and one message fewer.
    other.delete_mailbox("Reports").await.unwrap();
    other.create("Reports").await.unwrap();
    for i in 1..5 {
        append(
            &mut other,
            "Reports",
            &format!("r{i}@example.test"),
            &format!("Report {i}"),
        )
        .await;
    }
    other.logout().await;
    let report = env.sync().await.unwrap();
    let after = env
        .store
        .folder_named(&env.account, "Reports")
        .unwrap()
        .unwrap();
    assert_ne!(before.uidvalidity, after.uidvalidity);
    assert_eq!(
        report.bodies, 0,
        "re-matched messages keep their downloaded bodies"
    );
    assert_store_equals_server(&env).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_flag_move_and_delete_are_queued_then_replayed() {
    let mut env = Env::new("offline", 30);
    env.sync().await.unwrap();
    let inbox = env.folder_id("INBOX");
    let page = env.store.list_folder(inbox, None, 6).unwrap();
    let ids: Vec<MessageRowId> = page.items.iter().map(|m| m.id).collect();
    let ids_msg: Vec<String> = page.items.iter().map(|m| m.message_id.clone()).collect();

    oplog::set_flags(
        &mut env.store,
        &env.account,
        &ids[0..2],
        Flags::FLAGGED,
        Flags::SEEN,
    )
    .unwrap();
    oplog::move_messages(&mut env.store, &env.account, &ids[2..4], "Archive").unwrap();
    oplog::delete_messages(&mut env.store, &env.account, &ids[4..6]).unwrap();
    // Shown at once.
    assert!(
        env.store
            .message(ids[0])
            .unwrap()
            .unwrap()
            .flags
            .contains(Flags::FLAGGED)
    );
    assert_eq!(
        env.store.message(ids[2]).unwrap().unwrap().folder,
        env.folder_id("Archive")
    );

    // Offline: nothing reachable. The sync fails with a typed error; the log stays.
    let mut offline = env.connect.clone();
    offline.port = free_port();
    let err = env.sync_with(&offline).await.unwrap_err();
    assert_eq!(err.code(), "server_unreachable");
    assert_eq!(env.store.pending_operations(&env.account).unwrap().len(), 3);

    // Back online: replayed in order, and the store equals the server.
    let report = env.sync().await.unwrap();
    assert_eq!(report.operations, 3);
    assert!(
        env.store
            .pending_operations(&env.account)
            .unwrap()
            .is_empty()
    );
    assert_store_equals_server(&env).await;
    let mut other = env.other_client().await;
    other.select("Archive", None).await.unwrap();
    for mid in &ids_msg[2..4] {
        assert_eq!(
            other
                .uid_search(&heron_imap::SearchKey::MessageId(mid.clone()))
                .await
                .unwrap()
                .len(),
            1
        );
    }
    other.select("INBOX", None).await.unwrap();
    for mid in &ids_msg[4..6] {
        assert!(
            other
                .uid_search(&heron_imap::SearchKey::MessageId(mid.clone()))
                .await
                .unwrap()
                .is_empty()
        );
    }
    other.logout().await;
    // The moved messages kept their row ids (the UI's selection survives).
    assert_eq!(
        env.store.message(ids[2]).unwrap().unwrap().folder,
        env.folder_id("Archive")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_move_whose_target_no_longer_has_it_follows_the_server() {
    let mut env = Env::new("conflict", 10);
    env.sync().await.unwrap();
    let inbox = env.folder_id("INBOX");
    let victim = env
        .store
        .list_folder(inbox, None, 1)
        .unwrap()
        .items
        .remove(0);
    oplog::move_messages(&mut env.store, &env.account, &[victim.id], "Archive").unwrap();
    // Meanwhile another client expunges it on the server.
    let mut other = env.other_client().await;
    other.select("INBOX", None).await.unwrap();
    other
        .uid_store(&[victim.uid], FlagChange::Add, &["\\Deleted"])
        .await
        .unwrap();
    other.uid_expunge(&[victim.uid]).await.unwrap();
    other.logout().await;
    env.sync().await.unwrap();
    assert!(
        env.store.message(victim.id).unwrap().is_none(),
        "expunged on the server wins"
    );
    assert_store_equals_server(&env).await;
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_over_the_size_cap_keep_their_bodies_on_the_server() {
    let mut env = Env::new("sizecap", 0);
    let mut other = env.other_client().await;
    append(&mut other, "INBOX", "small@example.test", "Small").await;
    let big = format!(
        "Message-ID: <big@example.test>\r\nFrom: a@example.test\r\nSubject: Big\r\n\r\n{}\r\n",
        "x".repeat(300_000)
    );
    other.append("INBOX", &[], big.as_bytes()).await.unwrap();
    other.logout().await;
    let options = SyncOptions {
        max_body_bytes: 100_000,
        ..SyncOptions::default()
    };
    let connect = env.connect.clone();
    let report = sync_account(&mut env.store, &env.account, &connect, &options, None)
        .await
        .unwrap();
    assert_eq!((report.new_messages, report.bodies), (2, 1));
    let inbox = env.folder_id("INBOX");
    let row = env
        .store
        .folder_named(&env.account, "INBOX")
        .unwrap()
        .unwrap();
    let local = env.store.folder_messages(inbox, row.uidvalidity).unwrap();
    let big = local
        .iter()
        .find(|m| m.message_id == "big@example.test")
        .unwrap();
    assert!(
        !big.has_body && big.size > 300_000,
        "listed, body left on the server"
    );
    // Searchable by its headers all the same.
    let hits = env
        .store
        .search("subject:Big", heron_store::SearchOrder::Newest, 10, 0)
        .unwrap();
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_store_equals_server(&env).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_headers_only_sync_is_searchable_by_headers_and_a_later_sync_adds_bodies() {
    let mut env = Env::new("headers-only", 40);
    let options = SyncOptions {
        bodies: false,
        ..SyncOptions::default()
    };
    let connect = env.connect.clone();
    let report = sync_account(&mut env.store, &env.account, &connect, &options, None)
        .await
        .unwrap();
    assert_eq!((report.new_messages, report.bodies), (40, 0));
    let inbox = env.folder_id("INBOX");
    let first = env
        .store
        .list_folder(inbox, None, 1)
        .unwrap()
        .items
        .remove(0);
    let query = format!("\"{}\"", first.subject);
    let hits = env
        .store
        .search(&query, heron_store::SearchOrder::Newest, 50, 0)
        .unwrap();
    assert!(hits.iter().any(|h| h.id == first.id), "{query}");
    let report = env.sync().await.unwrap();
    assert_eq!(report.bodies, 40);
    let hits = env
        .store
        .search(&query, heron_store::SearchOrder::Newest, 50, 0)
        .unwrap();
    assert!(
        hits.iter().any(|h| h.id == first.id),
        "still found once the body is in"
    );
    assert_store_equals_server(&env).await;
}
