use super::*;

const MINIMAL: &str = r#"{
  "accounts": [{
    "id": "corp",
    "display_name": "王小明",
    "email": "${username}@corp.example",
    "imap": {"host": "imap.corp.example", "port": 993},
    "smtp": {"host": "smtp.corp.example", "port": 587, "security": "starttls"}
  }]
}"#;

fn user() -> OsUser {
    OsUser {
        username: "xiaoming".into(),
        domain: None,
    }
}

fn doc(name: &str, text: &str) -> PolicyDocument {
    PolicyDocument::parse(text, Path::new(name)).unwrap()
}

fn merge(docs: &[PolicyDocument], user_settings: &[(&str, serde_json::Value)]) -> EffectivePolicy {
    let settings = UserSettings(
        user_settings
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect(),
    );
    EffectivePolicy::merge(docs, &settings, &user()).unwrap()
}

#[test]
fn minimal_account_parses_with_secure_defaults_and_filled_placeholders() {
    let effective = merge(&[doc("p.json", MINIMAL)], &[]);
    let account = &effective.accounts[0];
    assert_eq!(account.imap.security, TransportSecurity::Tls);
    assert_eq!(account.smtp.security, TransportSecurity::Starttls);
    assert_eq!(account.login(), "xiaoming@corp.example");
    assert_eq!(account.profile().display_name, "王小明");
    assert!(
        !effective.user_may_add_accounts(),
        "auto: no once an account is managed"
    );
    assert!(
        EffectivePolicy::default().user_may_add_accounts(),
        "auto: yes while nothing is managed"
    );
}

#[test]
fn unknown_key_is_an_error_with_its_position_and_a_suggestion() {
    let text = MINIMAL.replace("\"display_name\"", "\"displayname\"");
    let err = PolicyDocument::parse(&text, Path::new("p.json")).unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("\np.json:4:5: at $.accounts[0].displayname"),
        "{message}"
    );
    assert!(
        message.contains("did you mean \"display_name\""),
        "{message}"
    );
    assert!(
        message.starts_with(
            "p.json:2:16: at $.accounts[0]: expected the required key \"display_name\""
        ),
        "{message}"
    );
}

#[test]
fn plaintext_security_does_not_exist() {
    let text = MINIMAL.replace("\"starttls\"", "\"none\"");
    assert!(PolicyDocument::parse(&text, Path::new("p.json")).is_err());
}

#[test]
fn a_missing_domain_is_a_clear_error_not_an_empty_address() {
    let text = MINIMAL.replace("${username}@corp", "${username}@${domain}.corp");
    let err = EffectivePolicy::merge(&[doc("p.json", &text)], &UserSettings::default(), &user())
        .unwrap_err();
    assert!(err.to_string().contains("uses ${domain}"), "{err}");
}

#[test]
fn later_files_win_unless_an_earlier_one_locks() {
    let first = doc(
        "/etc/heron/policies.json",
        r#"{"features": {"camera": false, "remote_content": {"value": false, "locked": true}}}"#,
    );
    let second = doc(
        "/etc/heron/policies.d/50-site.json",
        r#"{"features": {"camera": true, "remote_content": true}, "updates": "off"}"#,
    );
    let effective = merge(&[first, second], &[]);
    assert!(effective.settings.features.camera);
    assert!(!effective.settings.features.remote_content);
    let remote = &effective.origins["features.remote_content"];
    assert!(remote.locked);
    assert_eq!(
        remote.source,
        Source::Policy("/etc/heron/policies.json".into())
    );
    assert_eq!(
        effective.origins["updates"].source,
        Source::Policy("/etc/heron/policies.d/50-site.json".into())
    );
    assert_eq!(
        effective.origins["features.send_later"].source,
        Source::Default
    );
}

#[test]
fn the_user_beats_a_managed_default_but_never_a_lock_or_an_admin_only_setting() {
    let policy = doc(
        "p.json",
        r#"{"features": {"camera": false, "photo_library": {"value": false, "locked": true}},
            "security": {"certificate_exceptions_allowed": false}}"#,
    );
    let effective = merge(
        &[policy],
        &[
            ("features.camera", serde_json::json!(true)),
            ("features.photo_library", serde_json::json!(true)),
            (
                "security.certificate_exceptions_allowed",
                serde_json::json!(true),
            ),
        ],
    );
    assert!(effective.settings.features.camera);
    assert_eq!(effective.origins["features.camera"].source, Source::User);
    assert!(!effective.settings.features.photo_library);
    assert!(!effective.settings.security.certificate_exceptions_allowed);
}

#[test]
fn accounts_merge_by_id_and_removed_accounts_disappear() {
    let first = doc("a.json", MINIMAL);
    let second = doc("b.json", &MINIMAL.replace("王小明", "Wang Xiaoming"));
    let effective = merge(&[first.clone(), second], &[]);
    assert_eq!(effective.accounts.len(), 1);
    assert_eq!(effective.accounts[0].display_name, "Wang Xiaoming");
    assert_eq!(
        effective.account_sources[&effective.accounts[0].id],
        PathBuf::from("b.json")
    );
    let removal = doc("c.json", r#"{"lifecycle": {"remove_accounts": ["corp"]}}"#);
    let effective = merge(&[first, removal], &[]);
    assert!(effective.accounts.is_empty());
}

#[test]
fn changed_keys_name_settings_and_accounts() {
    let before = merge(&[doc("p.json", MINIMAL)], &[]);
    let after = merge(
        &[
            doc("p.json", &MINIMAL.replace("993", "994")),
            doc("q.json", r#"{"updates": "off"}"#),
        ],
        &[],
    );
    assert_eq!(
        after.changed_keys(&before),
        vec!["updates", "accounts.corp"]
    );
    assert!(before.changed_keys(&before).is_empty());
}

#[test]
fn the_report_redacts_passwords() {
    let text = MINIMAL.replace(
        "\"id\": \"corp\",",
        "\"id\": \"corp\", \"password\": \"hunter2\",",
    );
    let report = merge(&[doc("p.json", &text)], &[]).to_report().to_string();
    assert!(!report.contains("hunter2"));
    assert!(report.contains("<redacted>"));
}

#[test]
fn files_are_found_in_lexical_order_under_injected_roots() {
    let dir = tempfile::tempdir().unwrap();
    let roots = PolicyRoots::under(dir.path());
    std::fs::create_dir_all(&roots.dir).unwrap();
    std::fs::write(&roots.file, r#"{"updates": "manual"}"#).unwrap();
    std::fs::write(roots.dir.join("20-b.json"), r#"{"updates": "off"}"#).unwrap();
    std::fs::write(
        roots.dir.join("10-a.json"),
        r#"{"features": {"camera": false}}"#,
    )
    .unwrap();
    std::fs::write(roots.dir.join("README.txt"), "not a policy").unwrap();
    let loader = PolicyLoader {
        roots: roots.clone(),
        explicit: None,
        user_settings: None,
        user_accounts: None,
        os_user: user(),
    };
    assert_eq!(
        loader.policy_files(),
        vec![
            roots.file.clone(),
            roots.dir.join("10-a.json"),
            roots.dir.join("20-b.json")
        ]
    );
    let effective = loader.load().unwrap();
    assert_eq!(effective.settings.updates, schema::UpdateMode::Off);
    assert!(!effective.settings.features.camera);
}

#[test]
fn explicit_file_replaces_the_system_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.json");
    std::fs::write(&path, MINIMAL).unwrap();
    let loader = PolicyLoader {
        roots: PolicyRoots::under(&dir.path().join("nothing")),
        explicit: Some(path.clone()),
        user_settings: None,
        user_accounts: None,
        os_user: user(),
    };
    let effective = loader.load().unwrap();
    assert_eq!(effective.sources, vec![path]);
    assert_eq!(effective.accounts.len(), 1);
}

#[test]
fn missing_file_is_a_read_error_naming_the_path() {
    let err = PolicyDocument::load(Path::new("/nonexistent/heron.json")).unwrap_err();
    assert!(err.to_string().contains("/nonexistent/heron.json"));
}

#[test]
fn user_settings_round_trip_and_reject_unknown_keys() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data/user-settings.json");
    assert_eq!(UserSettings::load(&path).unwrap(), UserSettings::default());
    let mut settings = UserSettings::default();
    settings
        .0
        .insert("features.camera".into(), serde_json::json!(false));
    settings.save(&path).unwrap();
    assert_eq!(UserSettings::load(&path).unwrap(), settings);
    std::fs::write(&path, r#"{"features.camra": false}"#).unwrap();
    let err = UserSettings::load(&path).unwrap_err().to_string();
    assert!(err.contains("did you mean \"features.camera\""), "{err}");
    assert!(check_setting_value("features.camera", &serde_json::json!("no")).is_err());
    assert!(
        check_setting_value("features.undo_send_delay_seconds", &serde_json::json!(10)).is_ok()
    );
}
