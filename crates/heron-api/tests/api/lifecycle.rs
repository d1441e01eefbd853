//! An account the admin removes by policy: synced from the real Dovecot, then dropped by
//! `lifecycle.remove_accounts`; the next start wipes every trace of it from the store,
//! its files and the keyring, and tells the user once.

use heron_harness::Stack;

use super::send::{account, keyring_available, machine_with_policy, synced_machine};

fn files_under(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |entries| {
        entries
            .map(|e| e.unwrap().path())
            .map(|p| if p.is_dir() { files_under(&p) } else { 1 })
            .sum()
    })
}

#[test]
fn an_account_removed_by_policy_is_wiped_on_the_next_start_and_the_user_told_once() {
    if !keyring_available() {
        return;
    }
    let stack = Stack::ensure().unwrap();
    let user = stack.add_user("removed").unwrap();
    stack
        .put_in_inbox(
            &user,
            &[
                b"Message-ID: <removed-1@example.test>\r\nFrom: a@example.test\r\n\
                Subject: Kept until removed\r\n\r\nBody\r\n"
                    .to_vec(),
            ],
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (heron, mut store, _) = synced_machine(&stack, &user, dir.path());
    assert!(store.account_ids().unwrap().contains(&account()));
    // A credential the sign-in left in the keyring.
    store
        .store_account_secret(
            &account(),
            "oauth2-access-token",
            &heron_model::Secret::new("token".to_owned()),
        )
        .unwrap();
    let blobs = store.blobs(&account()).dir().to_path_buf();
    assert!(files_under(&blobs) > 0, "the synced message is stored");
    // Without a removal in the policy, nothing happens.
    assert!(
        heron
            .apply_account_removals(&mut store, 1)
            .unwrap()
            .is_empty()
    );
    drop(store);
    drop(heron);

    let heron = machine_with_policy(&stack, &user, dir.path(), |policy| {
        policy["lifecycle"] = serde_json::json!({"remove_accounts": ["acct"]});
    });
    assert!(
        heron.accounts().is_empty(),
        "gone from the effective configuration"
    );
    let mut store = heron.open_store().unwrap();
    let wiped = heron
        .apply_account_removals(&mut store, 1_800_000_000)
        .unwrap();
    assert_eq!(wiped.len(), 1);
    assert_eq!(wiped[0].account, "acct");
    assert!(!store.account_ids().unwrap().contains(&account()));
    assert_eq!(files_under(&blobs), 0, "no file of the account is left");
    assert!(
        store
            .load_account_secret(&account(), "oauth2-access-token")
            .unwrap()
            .is_none(),
        "its password left the keyring"
    );
    assert!(
        heron_api::mail::search(&store, "removed", 10)
            .unwrap()
            .is_empty()
    );

    // Told once; a second start has nothing more to wipe or tell.
    assert_eq!(heron.removed_accounts_untold(&store).unwrap(), wiped);
    heron.acknowledge_removed_accounts(&mut store).unwrap();
    assert!(heron.removed_accounts_untold(&store).unwrap().is_empty());
    assert!(
        heron
            .apply_account_removals(&mut store, 1_800_000_100)
            .unwrap()
            .is_empty()
    );
}
