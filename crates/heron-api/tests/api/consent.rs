//! The privacy notice and consent: first run, persistence, a new version, a wrong version.

use std::path::{Path, PathBuf};

use heron_api::{ErrorCode, Heron, HeronOptions, NoticeSource};
use heron_policy::{OsUser, PolicyRoots};
use serde_json::json;

fn open(dir: &Path) -> Heron {
    Heron::open(&HeronOptions {
        config_path: None,
        policy_roots: Some(PolicyRoots::under(&dir.join("etc"))),
        data_dir: Some(dir.join("data")),
        os_user: Some(OsUser {
            username: "xiaoming".into(),
            domain: None,
        }),
        ignore_config_env: true,
        ..HeronOptions::default()
    })
    .unwrap()
}

fn write_policy_notice(dir: &Path, version: &str) -> PathBuf {
    let roots = PolicyRoots::under(&dir.join("etc"));
    std::fs::create_dir_all(&roots.dir).unwrap();
    let policy = json!({"privacy_notice": {
        "text": "Corp reads nothing.", "version": version, "updated": "2026-10-01",
        "effective": "2026-10-15", "contact": "privacy@corp.example"
    }});
    std::fs::write(&roots.file, policy.to_string()).unwrap();
    roots.file
}

#[test]
fn the_builtin_notice_must_be_accepted_on_first_run() {
    let dir = tempfile::tempdir().unwrap();
    let notice = open(dir.path()).privacy_notice().unwrap();
    assert_eq!(notice.source, NoticeSource::Builtin);
    assert_eq!(notice.version, "2026-11-01");
    assert_eq!(notice.effective, "2026-11-01");
    assert_eq!(notice.contact, None);
    assert!(notice.text.contains("telemetry"));
    assert!(notice.text_zh.as_deref().unwrap().contains("遥测"));
    assert!(notice.must_accept);
    assert_eq!(notice.accepted, None);
    assert_eq!(notice.previous_accepted_version, None);
}

#[test]
fn an_acceptance_is_persisted_and_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let heron = open(dir.path());
    let accepted = heron
        .accept_privacy_notice("2026-11-01", 1_795_000_000)
        .unwrap();
    assert_eq!(accepted.accepted_at_unix, 1_795_000_000);
    assert!(!heron.privacy_notice().unwrap().must_accept);
    drop(heron);

    let notice = open(dir.path()).privacy_notice().unwrap();
    assert!(!notice.must_accept);
    let accepted = notice.accepted.unwrap();
    assert_eq!(accepted.version, "2026-11-01");
    assert_eq!(accepted.accepted_at_unix, 1_795_000_000);
    assert!(!dir.path().join("data/consent.json.tmp").exists());
}

#[test]
fn a_new_policy_version_must_be_accepted_again_and_names_the_previous_one() {
    let dir = tempfile::tempdir().unwrap();
    write_policy_notice(dir.path(), "v1");
    let heron = open(dir.path());
    let notice = heron.privacy_notice().unwrap();
    assert_eq!(notice.source, NoticeSource::Policy);
    assert_eq!(notice.text, "Corp reads nothing.");
    assert_eq!(notice.text_zh, None);
    assert_eq!(notice.contact.as_deref(), Some("privacy@corp.example"));
    heron.accept_privacy_notice("v1", 100).unwrap();

    write_policy_notice(dir.path(), "v2");
    heron.reload().unwrap();
    let notice = heron.privacy_notice().unwrap();
    assert_eq!(notice.version, "v2");
    assert!(notice.must_accept);
    assert_eq!(notice.previous_accepted_version.as_deref(), Some("v1"));

    heron.accept_privacy_notice("v2", 200).unwrap();
    let notice = open(dir.path()).privacy_notice().unwrap();
    assert!(!notice.must_accept);
    assert_eq!(notice.previous_accepted_version, None);
}

#[test]
fn accepting_a_version_not_in_force_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    write_policy_notice(dir.path(), "v2");
    let heron = open(dir.path());
    let err = heron.accept_privacy_notice("v1", 100).unwrap_err();
    assert_eq!(err.code, ErrorCode::NoticeVersionMismatch);
    assert_eq!(
        serde_json::to_value(err.code).unwrap(),
        json!("notice_version_mismatch")
    );
    assert!(heron.privacy_notice().unwrap().must_accept);
    assert!(!dir.path().join("data/consent.json").exists());
}

#[test]
fn without_a_data_dir_acceptance_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let heron = Heron::open(&HeronOptions {
        policy_roots: Some(PolicyRoots::under(&dir.path().join("etc"))),
        ignore_config_env: true,
        ..HeronOptions::default()
    })
    .unwrap();
    let err = heron.accept_privacy_notice("2026-11-01", 1).unwrap_err();
    assert_eq!(err.code, ErrorCode::NoDataDir);
}
