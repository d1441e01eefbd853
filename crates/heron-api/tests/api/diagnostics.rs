//! The diagnostics a user exports: enough for support, nothing of their mail and no
//! secret.

use heron_harness::Stack;

use super::send::{keyring_available, synced_machine};

#[test]
fn exported_diagnostics_hold_the_setup_and_counts_but_no_mail_and_no_secret() {
    if !keyring_available() {
        return;
    }
    let stack = Stack::ensure().unwrap();
    let user = stack.add_user("diag").unwrap();
    stack
        .put_in_inbox(
            &user,
            &[
                b"Message-ID: <diag-1@example.test>\r\nFrom: Secret Sender <boss@corp.example>\r\n\
                Subject: Confidential merger plans\r\n\r\nDo not share.\r\n"
                    .to_vec(),
            ],
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (heron, store, _) = synced_machine(&stack, &user, dir.path());

    let report = heron
        .diagnostics(Some(&store), serde_json::json!({"sync": "idle"}))
        .unwrap();
    let text = serde_json::to_string_pretty(&report).unwrap();
    assert!(text.contains(&user.address), "the account is named");
    assert!(
        text.contains("<redacted>"),
        "the password is redacted: {text}"
    );
    assert!(!text.contains(&user.password), "no password");
    for private in [
        "Confidential",
        "merger",
        "boss@corp.example",
        "Do not share",
    ] {
        assert!(!text.contains(private), "{private} leaked into {text}");
    }
    let inbox = report["local_store"]["folders"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["folder"] == "INBOX")
        .unwrap();
    assert_eq!(inbox["messages"], 1);
    assert_eq!(report["local_store"]["queued_actions"], 0);
    assert_eq!(report["window"]["sync"], "idle");
    assert!(report["privacy_notice"]["accepted"].is_object());

    // Without a store (it could not be opened), the rest is still there.
    let without = heron.diagnostics(None, serde_json::Value::Null).unwrap();
    assert_eq!(without["local_store"]["open"], false);
    assert!(without["accounts"].as_array().is_some_and(|a| a.len() == 1));
}
