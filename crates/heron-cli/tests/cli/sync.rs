//! `heronctl sync` killed with SIGKILL at random points, fifty times, against the
//! harness Dovecot: each time the store still opens and passes its integrity checks, and
//! a final sync converges to exactly the server's state, with no duplicate and no loss.

use std::collections::BTreeMap;
use std::path::Path;

use heron_harness::Stack;
use heron_harness::seed::SeedOptions;
use heron_imap::{Auth, ConnectOptions, FetchItems, ProtocolLimits, Security, Timeouts, UidRange};
use heron_model::{AccountId, Secret};
use heron_store::{OsRandom, Store};

use crate::heronctl;
use crate::wipe::real_keyring;

fn ctl(data: &Path, config: &Path, args: &[&str]) -> std::process::Output {
    let mut all = vec![
        "--data-dir",
        data.to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
    ];
    all.extend_from_slice(args);
    heronctl(&all)
}

/// The server's folders as name → UID → flags bitmask.
async fn server(opts: &ConnectOptions) -> BTreeMap<String, BTreeMap<u32, u32>> {
    let mut s = heron_imap::connect(opts).await.unwrap();
    let mut out = BTreeMap::new();
    for m in s.list().await.unwrap().into_iter().filter(|m| m.selectable) {
        let sel = s.select(&m.name, None).await.unwrap();
        let mut uids = BTreeMap::new();
        if sel.exists > 0 {
            s.uid_fetch(
                &UidRange::From(1),
                FetchItems {
                    flags: true,
                    ..FetchItems::default()
                },
                None,
                |f| {
                    let flags = heron_sync_flags(f.flags.as_deref().unwrap_or_default());
                    uids.insert(f.uid, flags);
                    Ok(())
                },
            )
            .await
            .unwrap();
        }
        out.insert(m.name, uids);
    }
    s.logout().await;
    out
}

/// Another client appends 30 messages and flags 30 others.
async fn change_server(opts: &ConnectOptions, trial: u64) {
    let mut s = heron_imap::connect(opts).await.unwrap();
    for i in 0..30 {
        let raw = format!(
            "Message-ID: <k{trial}-{i}@example.test>\r\nFrom: a@example.test\r\n\
             Subject: trial {trial} #{i}\r\n\r\nbody {trial} {i}\r\n"
        );
        s.append("INBOX", &[], raw.as_bytes()).await.unwrap();
    }
    s.select("INBOX", None).await.unwrap();
    let first = 1 + (trial as u32 * 30) % 1000;
    let uids: Vec<u32> = (first..first + 30).collect();
    // Some of these UIDs may be gone (moved by the seed mix); STORE ignores those.
    let _ = s
        .uid_store(&uids, heron_imap::FlagChange::Add, &["\\Flagged"])
        .await;
    s.logout().await;
}

fn heron_sync_flags(flags: &[String]) -> u32 {
    let names = ["\\seen", "\\answered", "\\flagged", "\\deleted", "\\draft"];
    flags
        .iter()
        .filter_map(|f| names.iter().position(|n| n.eq_ignore_ascii_case(f)))
        .fold(0, |acc, i| acc | (1 << i))
}

#[test]
fn sync_killed_fifty_times_at_random_points_still_converges() {
    let Some(keyring) = real_keyring() else {
        return;
    };
    let stack = Stack::ensure().unwrap();
    let user = stack.add_user("kill9").unwrap();
    let mut seed = SeedOptions::new(1500, "Kill Nine", &user.address);
    seed.large_attachment_every = 0;
    stack.seed_mailbox(&user, &seed).unwrap();
    let ca = heron_imap::read_pem_certificates(stack.ca_pem()).unwrap();
    let opts = ConnectOptions {
        host: "127.0.0.1".to_owned(),
        port: stack.ports().imaps,
        security: Security::Tls,
        login: user.address.clone(),
        auth: Auth::Password(Secret::new(user.password.clone())),
        tls: heron_imap::tls_config(&ca, false, false).unwrap(),
        timeouts: Timeouts::default(),
        limits: ProtocolLimits::default(),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.json");
    std::fs::write(
        &config,
        serde_json::to_vec(&stack.heron_config("acct", "Kill Nine", &user)).unwrap(),
    )
    .unwrap();
    let data = dir.path().join("data");
    let notice: serde_json::Value =
        serde_json::from_slice(&ctl(&data, &config, &["privacy", "show", "--json"]).stdout)
            .unwrap();
    let version = notice["version"].as_str().unwrap().to_owned();
    assert!(
        ctl(
            &data,
            &config,
            &["privacy", "accept", "--version", &version]
        )
        .status
        .success()
    );

    // Kill points follow how long a run takes (first syncs long, resyncs short).
    let mut schedule = crate::KillSchedule::new(0x9E37_79B9, 1500, 60, 4000, 20);
    let mut killed = 0;
    for trial in 0..50u64 {
        let (was_killed, _) = schedule.run(
            crate::heronctl_command()
                .args([
                    "--data-dir",
                    data.to_str().unwrap(),
                    "--config",
                    config.to_str().unwrap(),
                ])
                .args(["sync", "--once"]),
        );
        killed += u32::from(was_killed);
        // Whatever point it died at, the store opens and is consistent.
        let store = Store::open(&data, keyring.clone(), &mut OsRandom)
            .unwrap_or_else(|e| panic!("trial {trial}: the store must open: {e}"));
        assert!(
            store.integrity_problems().unwrap().is_empty(),
            "trial {trial}"
        );
        drop(store);
        // Keep work in flight for the next run: other clients add and flag mail, and
        // every tenth trial starts over from an empty store (kills during a first sync).
        runtime.block_on(change_server(&opts, trial));
        if trial % 10 == 9 {
            let out = ctl(&data, &config, &["wipe", "--yes"]);
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(
                ctl(
                    &data,
                    &config,
                    &["privacy", "accept", "--version", &version]
                )
                .status
                .success()
            );
        }
        if trial % 10 == 5 {
            // Queue a user action so kills also land in the middle of a replay.
            let list = ctl(&data, &config, &["list", "INBOX", "--limit", "1", "--json"]);
            let page: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap_or_default();
            if let Some(id) = page["items"][0]["id"].as_i64() {
                let out = ctl(
                    &data,
                    &config,
                    &["flag", &id.to_string(), "--add", "flagged"],
                );
                assert!(
                    out.status.success(),
                    "{}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
        }
    }
    eprintln!("killed {killed} of 50 runs mid-sync");
    assert!(
        killed >= 20,
        "most trials must be killed mid-sync ({killed})"
    );

    let out = ctl(&data, &config, &["sync", "--once", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let server = runtime.block_on(server(&opts));
    let store = Store::open(&data, keyring.clone(), &mut OsRandom).unwrap();
    let account = AccountId::new("acct").unwrap();
    assert!(store.pending_operations(&account).unwrap().is_empty());
    let folders = store.folders(&account).unwrap();
    assert_eq!(folders.len(), server.len());
    for f in folders {
        let local: BTreeMap<u32, u32> = store
            .folder_messages(f.id, f.uidvalidity)
            .unwrap()
            .into_iter()
            .map(|m| (m.uid, m.flags.0))
            .collect();
        assert_eq!(&local, &server[&f.name], "{}", f.name);
        assert_eq!(f.total, local.len() as u64, "{}: duplicates", f.name);
        let bodies = store
            .messages_without_body(f.id, f.uidvalidity, u64::MAX, u32::MAX)
            .unwrap();
        assert!(
            bodies.is_empty(),
            "{}: {} bodies missing",
            f.name,
            bodies.len()
        );
    }
    drop(store);
    let wiped = ctl(&data, &config, &["wipe", "--yes"]);
    assert!(wiped.status.success());
}
