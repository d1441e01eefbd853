//! heron-api's policy surface with real files: locking, user settings, reload, watching.

// Test code: a failed unwrap is a failed test, with the error in its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use heron_api::{ErrorCode, Heron, HeronOptions, PolicyEvent};
use heron_policy::{OsUser, PolicyRoots, Source};
use serde_json::json;

mod accounts;
mod composer;
mod consent;
mod conversations;
mod diagnostics;
mod lifecycle;
mod local_store;
mod oauth;
mod reader;
mod send;
mod server_search;
mod store_key;

const GOOD: &str = r#"{
  "accounts": [{
    "id": "corp", "display_name": "${username}", "email": "${username}@corp.example",
    "imap": {"host": "imap.corp.example", "port": 993},
    "smtp": {"host": "smtp.corp.example", "port": 465}
  }],
  "features": {
    "remote_content": {"value": false, "locked": true},
    "camera": false
  }
}"#;

struct Fixture {
    dir: tempfile::TempDir,
    heron: Heron,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let roots = PolicyRoots::under(&dir.path().join("etc"));
        std::fs::create_dir_all(&roots.dir).unwrap();
        std::fs::write(&roots.file, GOOD).unwrap();
        let heron = Heron::open(&HeronOptions {
            config_path: None,
            policy_roots: Some(roots),
            data_dir: Some(dir.path().join("data")),
            os_user: Some(OsUser {
                username: "xiaoming".into(),
                domain: None,
            }),
            ignore_config_env: true,
            ..HeronOptions::default()
        })
        .unwrap();
        Self { dir, heron }
    }

    fn policy_file(&self) -> std::path::PathBuf {
        self.dir.path().join("etc/policies.json")
    }

    fn drop_in(&self, name: &str) -> std::path::PathBuf {
        self.dir.path().join("etc/policies.d").join(name)
    }
}

fn setting(heron: &Heron, key: &str) -> serde_json::Value {
    heron.policy().origins[key].value.clone()
}

#[test]
fn a_locked_setting_cannot_be_changed_through_the_api() {
    let f = Fixture::new();
    let err = f
        .heron
        .set_user_setting("features.remote_content", json!(true))
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::SettingLocked);
    assert_eq!(
        serde_json::to_value(err.code).unwrap(),
        json!("setting_locked")
    );
    assert_eq!(setting(&f.heron, "features.remote_content"), json!(false));
    assert!(!f.dir.path().join("data/user-settings.json").exists());
}

#[test]
fn admin_only_settings_are_refused_as_locked() {
    let f = Fixture::new();
    let err = f
        .heron
        .set_user_setting("security.certificate_exceptions_allowed", json!(true))
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::SettingLocked);
}

#[test]
fn an_unlocked_setting_is_changed_persisted_and_attributed_to_the_user() {
    let f = Fixture::new();
    f.heron
        .set_user_setting("features.camera", json!(true))
        .unwrap();
    let policy = f.heron.policy();
    assert!(policy.settings.features.camera);
    assert_eq!(policy.origins["features.camera"].source, Source::User);
    let saved = std::fs::read_to_string(f.dir.path().join("data/user-settings.json")).unwrap();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&saved).unwrap(),
        json!({"features.camera": true})
    );
    let err = f
        .heron
        .set_user_setting("features.camera", json!("yes"))
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidValue);
    let err = f
        .heron
        .set_user_setting("features.camra", json!(true))
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
}

#[test]
fn placeholders_are_filled_from_the_os_user() {
    let f = Fixture::new();
    assert_eq!(f.heron.accounts()[0].email, "xiaoming@corp.example");
    assert_eq!(f.heron.profile().unwrap().display_name, "xiaoming");
}

#[test]
fn a_bad_file_replacing_a_good_one_keeps_the_last_good_policy_and_reports_the_error() {
    let f = Fixture::new();
    let bad = GOOD.replace("\"camera\": false", "\"camera\": \"off\"");
    std::fs::write(f.policy_file(), bad).unwrap();
    let err = f.heron.reload().unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidConfig);
    let checked = Heron::check_config(&f.policy_file()).unwrap_err();
    assert_eq!(
        err.message, checked.message,
        "the app and heronctl say the same"
    );
    assert!(
        err.message
            .contains(":9:15: at $.features.camera: expected true or false"),
        "{}",
        err.message
    );
    assert_eq!(f.heron.policy_error(), Some(err));
    assert_eq!(f.heron.accounts().len(), 1, "the last good policy stays");
    assert_eq!(setting(&f.heron, "features.camera"), json!(false));

    std::fs::write(
        f.policy_file(),
        GOOD.replace("\"camera\": false", "\"camera\": true"),
    )
    .unwrap();
    assert_eq!(f.heron.reload().unwrap(), vec!["features.camera"]);
    assert_eq!(f.heron.policy_error(), None);
}

fn next(events: &mpsc::Receiver<PolicyEvent>) -> PolicyEvent {
    events.recv_timeout(Duration::from_secs(10)).unwrap()
}

#[test]
fn the_watcher_reports_changed_keys_and_rejected_files() {
    let f = Fixture::new();
    let (sender, events) = mpsc::channel();
    let _watcher = f
        .heron
        .watch_policy(Duration::from_millis(20), move |event| {
            let _ = sender.send(event);
        });

    std::fs::write(
        f.drop_in("50-site.json"),
        r#"{"updates": {"value": "off", "locked": true}}"#,
    )
    .unwrap();
    assert_eq!(
        next(&events),
        PolicyEvent::Changed {
            keys: vec!["updates".into()]
        }
    );
    assert_eq!(
        f.heron.policy().origins["updates"].source,
        Source::Policy(f.drop_in("50-site.json"))
    );

    std::fs::write(f.drop_in("60-broken.json"), "{\"updates\": ").unwrap();
    match next(&events) {
        PolicyEvent::Rejected { error } => {
            assert!(
                error
                    .message
                    .contains("60-broken.json:1:13: at $: expected a JSON value"),
                "{}",
                error.message
            );
        }
        other => panic!("expected a rejection, got {other:?}"),
    }
    assert_eq!(setting(&f.heron, "updates"), json!("off"));

    std::fs::remove_file(f.drop_in("60-broken.json")).unwrap();
    std::fs::remove_file(f.drop_in("50-site.json")).unwrap();
    assert_eq!(
        next(&events),
        PolicyEvent::Changed {
            keys: vec!["updates".into()]
        }
    );
    assert_eq!(f.heron.policy().origins["updates"].source, Source::Default);
    assert!(Path::new(&f.policy_file()).exists());
}

#[test]
fn a_broken_user_settings_file_is_reported_and_the_admins_policy_still_applies() {
    let dir = tempfile::tempdir().unwrap();
    let roots = PolicyRoots::under(&dir.path().join("etc"));
    std::fs::create_dir_all(&roots.dir).unwrap();
    std::fs::write(&roots.file, GOOD).unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    // An admin-only key written by hand: user settings may never carry it.
    std::fs::write(
        data.join("user-settings.json"),
        r#"{"security.certificate_exceptions_allowed": true"#,
    )
    .unwrap();
    let heron = Heron::open(&HeronOptions {
        config_path: None,
        policy_roots: Some(roots),
        data_dir: Some(data),
        os_user: Some(OsUser {
            username: "xiaoming".into(),
            domain: None,
        }),
        ignore_config_env: true,
        ..HeronOptions::default()
    })
    .expect("a bad user settings file must not stop the app");
    assert!(heron.policy_error().is_some(), "the problem is reported");
    assert_eq!(setting(&heron, "features.remote_content"), json!(false));
    assert_eq!(setting(&heron, "features.camera"), json!(false));
}

#[test]
fn settings_changed_at_the_same_time_all_survive() {
    // Regression: load-modify-save without a lock lost one of two concurrent changes.
    let f = Fixture::new();
    std::thread::scope(|scope| {
        for (key, value) in [
            ("features.camera", json!(true)),
            ("features.photo_library", json!(false)),
            ("features.send_later", json!(false)),
            ("features.undo_send_delay_seconds", json!(10)),
        ] {
            let heron = &f.heron;
            scope.spawn(move || {
                for _ in 0..10 {
                    heron.set_user_setting(key, value.clone()).unwrap();
                }
            });
        }
    });
    let saved: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(f.dir.path().join("data/user-settings.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(saved.as_object().unwrap().len(), 4, "{saved}");
}
