//! A TCP fault proxy between Heron and Dovecot drops and stalls the connection at random
//! points; after each faulty sync a clean one must converge to the server, with no
//! duplicate and no lost message.

use std::net::SocketAddr;
use std::time::Duration;

use heron_harness::fault_proxy::{Fault, FaultProxy, random_fault};
use heron_sync::oplog;

use super::{Env, append, assert_store_equals_server};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundred_random_drops_and_stalls_each_converge_without_duplicates_or_losses() {
    let mut env = Env::new("faults", 120);
    let target: SocketAddr = format!("127.0.0.1:{}", env.stack.ports().imaps)
        .parse()
        .unwrap();
    let proxy = FaultProxy::start(target).unwrap();
    let mut faulty = env.connect.clone();
    faulty.port = proxy.addr().port();
    // A stall must cost a second, not a minute.
    faulty.timeouts.command = Duration::from_secs(1);
    faulty.timeouts.connect = Duration::from_secs(2);

    let mut failures = 0;
    for trial in 0..100u64 {
        // Keep the server changing so faults hit first syncs, resyncs and replays.
        let mut other = env.other_client().await;
        append(
            &mut other,
            "INBOX",
            &format!("trial-{trial}@example.test"),
            &format!("Trial {trial}"),
        )
        .await;
        other.logout().await;
        if trial % 10 == 3 {
            // Local actions in flight when the connection dies.
            let inbox = env.folder_id("INBOX");
            if let Some(m) = env.store.list_folder(inbox, None, 1).unwrap().items.first() {
                oplog::move_messages(&mut env.store, &env.account, &[m.id], "Archive").unwrap();
            }
        }
        // Every fifth trial starts from nothing, so faults also hit first syncs (about a
        // megabyte); a resync moves a few kilobytes, so its faults come early.
        let window = if trial % 5 == 0 {
            env.store.wipe_account(&env.account).unwrap();
            1_000_000
        } else {
            6_000
        };
        proxy.set_fault(random_fault(trial * 7919 + 13, window));
        if env.sync_with(&faulty).await.is_err() {
            failures += 1;
        }
        proxy.set_fault(Fault::None);
        proxy.kill_all();
        env.sync()
            .await
            .unwrap_or_else(|e| panic!("clean sync after trial {trial}: {e}"));
        assert_store_equals_server(&env).await;
        let integrity = env.store.integrity_problems().unwrap();
        assert!(integrity.is_empty(), "trial {trial}: {integrity:?}");
    }
    assert!(
        failures > 50,
        "most trials must actually hit a fault ({failures})"
    );
    assert!(
        env.store
            .pending_operations(&env.account)
            .unwrap()
            .is_empty()
    );
}
