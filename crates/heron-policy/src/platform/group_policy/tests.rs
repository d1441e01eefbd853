use super::*;
use crate::{EffectivePolicy, OsUser, UserSettings};

/// A policy file using every form: locked and plain values, lists, accounts, a notice.
const SAMPLE_JSON: &str = r#"{
  "accounts": [
    {
      "id": "corp",
      "display_name": "${username}",
      "email": "${username}@corp.example",
      "imap": { "host": "imap.corp.example", "port": 993 },
      "smtp": { "host": "smtp.corp.example", "port": 587, "security": "starttls" }
    }
  ],
  "lifecycle": {
    "user_may_add_accounts": { "value": "no", "locked": true },
    "allowed_domains": { "value": ["corp.example"], "locked": true },
    "remove_accounts": ["corp-legacy"]
  },
  "features": {
    "remote_content": { "value": false, "locked": true },
    "camera": false,
    "undo_send_delay_seconds": 10,
    "attachment_size_limit_mb": { "value": 20, "locked": true },
    "external_links": "ask"
  },
  "security": { "minimum_tls_version": { "value": "1.3", "locked": true } },
  "retention": { "wipe_after_days_without_login": { "value": 30, "locked": true } },
  "sync": { "push_folders": ["INBOX", "Projects"] },
  "privacy_notice": {
    "text": "Corp Example processes your work mail on this device only.",
    "version": "2026-03",
    "updated": "2026-03-01",
    "effective": "2026-04-01",
    "contact": "privacy@corp.example"
  },
  "updates": { "value": "off", "locked": true }
}"#;

/// The accounts as an admin types them into the ADMX's multi-line text box.
const ACCOUNTS_TEXT_BOX: &str = r#"[{
  "id": "corp",
  "display_name": "${username}",
  "email": "${username}@corp.example",
  "imap": {"host": "imap.corp.example", "port": 993},
  "smtp": {"host": "smtp.corp.example", "port": 587, "security": "starttls"}
}]"#;

fn sz(text: &str) -> RegistryValue {
    RegistryValue::String(text.to_owned())
}

fn dword(n: u32) -> RegistryValue {
    RegistryValue::Dword(n)
}

/// A REG_MULTI_SZ as the multi-line text box writes it: one string per line.
fn lines(text: &str) -> RegistryValue {
    RegistryValue::MultiString(text.lines().map(str::to_owned).collect())
}

fn key(values: &[(&str, RegistryValue)], keys: Vec<(&str, RegistryKey)>) -> RegistryKey {
    RegistryKey {
        values: values
            .iter()
            .map(|(name, value)| ((*name).to_owned(), value.clone()))
            .collect(),
        keys: keys
            .into_iter()
            .map(|(name, key)| (name.to_owned(), key))
            .collect(),
    }
}

/// What Group Policy writes for [`SAMPLE_JSON`] with the ADMX templates.
fn sample_tree() -> RegistryKey {
    key(
        &[
            ("accounts", lines(ACCOUNTS_TEXT_BOX)),
            (
                "privacy_notice",
                lines(
                    "{\"text\": \"Corp Example processes your work mail on this device only.\",\n\
                     \"version\": \"2026-03\", \"updated\": \"2026-03-01\",\n\
                     \"effective\": \"2026-04-01\", \"contact\": \"privacy@corp.example\"}",
                ),
            ),
            ("updates", sz("off")),
        ],
        vec![
            (
                "lifecycle",
                key(
                    &[
                        ("user_may_add_accounts", sz("no")),
                        ("allowed_domains", sz(r#"["corp.example"]"#)),
                    ],
                    vec![],
                ),
            ),
            (
                "features",
                key(
                    &[
                        ("remote_content", dword(0)),
                        ("attachment_size_limit_mb", dword(20)),
                    ],
                    vec![],
                ),
            ),
            (
                "security",
                key(&[("minimum_tls_version", sz("1.3"))], vec![]),
            ),
            (
                "retention",
                key(&[("wipe_after_days_without_login", dword(30))], vec![]),
            ),
            (
                "Recommended",
                key(
                    &[],
                    vec![
                        (
                            "lifecycle",
                            key(&[("remove_accounts", sz(r#"["corp-legacy"]"#))], vec![]),
                        ),
                        (
                            "features",
                            key(
                                &[
                                    ("camera", dword(0)),
                                    ("undo_send_delay_seconds", dword(10)),
                                    ("external_links", sz("ask")),
                                ],
                                vec![],
                            ),
                        ),
                        (
                            "sync",
                            key(&[("push_folders", sz(r#"["INBOX", "Projects"]"#))], vec![]),
                        ),
                    ],
                ),
            ),
        ],
    )
}

fn user() -> OsUser {
    OsUser {
        username: "xiaoming".into(),
        domain: None,
    }
}

fn effective(documents: &[PolicyDocument]) -> EffectivePolicy {
    EffectivePolicy::merge(documents, &UserSettings::default(), &user()).unwrap()
}

fn registry_error(tree: &RegistryKey) -> String {
    document_from_registry(tree).unwrap_err().to_string()
}

#[test]
fn a_registry_tree_written_by_the_admx_gives_the_same_policy_as_the_json_file() {
    let from_registry = document_from_registry(&sample_tree()).unwrap().unwrap();
    let from_file = PolicyDocument::parse(SAMPLE_JSON, Path::new(REGISTRY_PATH)).unwrap();
    assert_eq!(from_registry, from_file);
    let effective = effective(&[from_registry]);
    assert_eq!(effective, self::effective(&[from_file]));
    assert_eq!(effective.accounts[0].email, "xiaoming@corp.example");
    assert!(effective.origins["features.remote_content"].locked);
    assert!(!effective.origins["features.camera"].locked);
    assert_eq!(
        effective.origins["updates"].source.to_string(),
        r"HKLM\Software\Policies\Heron"
    );
}

#[test]
fn recommended_values_are_defaults_and_a_locked_value_wins_over_its_recommended_one() {
    let tree = key(
        &[],
        vec![
            (
                "features",
                key(
                    &[
                        ("camera", dword(1)),
                        ("attachment_size_limit_mb", RegistryValue::Qword(25)),
                    ],
                    vec![],
                ),
            ),
            (
                "Recommended",
                key(
                    &[("updates", sz("manual"))],
                    vec![("features", key(&[("camera", dword(0))], vec![]))],
                ),
            ),
        ],
    );
    let document = document_from_registry(&tree).unwrap().unwrap();
    let camera = &document.settings["features.camera"];
    assert_eq!((camera.value.clone(), camera.locked), (json!(true), true));
    assert_eq!(
        document.settings["features.attachment_size_limit_mb"].value,
        json!(25)
    );
    let updates = &document.settings["updates"];
    assert_eq!(
        (updates.value.clone(), updates.locked),
        (json!("manual"), false)
    );
}

#[test]
fn bad_registry_types_are_errors_naming_the_value_never_panics() {
    let tree = key(
        &[
            ("accounts", RegistryValue::Dword(1)),
            ("updates", RegistryValue::Other("REG_EXPAND_SZ".into())),
        ],
        vec![
            (
                "features",
                key(
                    &[
                        ("camera", sz("yes")),
                        ("send_later", dword(2)),
                        ("undo_send_delay_seconds", sz("10")),
                    ],
                    vec![],
                ),
            ),
            (
                "lifecycle",
                key(
                    &[(
                        "allowed_domains",
                        RegistryValue::MultiString(vec!["corp.example".into()]),
                    )],
                    vec![],
                ),
            ),
            ("Recommended", key(&[("updates", dword(1))], vec![])),
        ],
    );
    let message = registry_error(&tree);
    let expected = [
        r"HKLM\Software\Policies\Heron: at accounts: expected REG_MULTI_SZ (or REG_SZ) holding JSON, found REG_DWORD 1",
        r"HKLM\Software\Policies\Heron: at lifecycle\allowed_domains: expected REG_SZ holding a JSON array, found REG_MULTI_SZ (1 string)",
        r#"HKLM\Software\Policies\Heron: at features\camera: expected REG_DWORD 0 or 1, found REG_SZ "yes""#,
        r"HKLM\Software\Policies\Heron: at features\send_later: expected REG_DWORD 0 or 1, found REG_DWORD 2",
        r#"HKLM\Software\Policies\Heron: at features\undo_send_delay_seconds: expected a REG_DWORD from 0 to 60, found REG_SZ "10""#,
        r"HKLM\Software\Policies\Heron: at updates: expected REG_SZ, found REG_EXPAND_SZ",
    ];
    for line in expected {
        assert!(
            message.lines().any(|l| l == line),
            "{line}\nnot in\n{message}"
        );
    }
    assert_eq!(message.lines().count(), expected.len(), "{message}");
}

#[test]
fn values_of_the_right_type_are_checked_like_a_file_with_the_value_named() {
    let tree = key(
        &[(
            "accounts",
            lines(&ACCOUNTS_TEXT_BOX.replace("993", "99999")),
        )],
        vec![
            (
                "features",
                key(&[("undo_send_delay_seconds", dword(600))], vec![]),
            ),
            ("Recommended", key(&[("updates", sz("sometimes"))], vec![])),
            (
                "lifecycle",
                key(
                    &[("allowed_domains", sz(r#"["corp.example", "not a domain"]"#))],
                    vec![],
                ),
            ),
        ],
    );
    let message = registry_error(&tree);
    let expected = [
        r"HKLM\Software\Policies\Heron: at accounts[0].imap.port (line 5, column 49): expected a whole number from 1 to 65535, found the number 99999",
        r"HKLM\Software\Policies\Heron: at features\undo_send_delay_seconds: expected a whole number from 0 to 60, found the number 600",
        r#"HKLM\Software\Policies\Heron: at Recommended\updates: expected one of "automatic", "manual" or "off", found the string "sometimes""#,
        r#"HKLM\Software\Policies\Heron: at lifecycle\allowed_domains[1] (line 1, column 18): expected a domain name like "corp.example", found "not a domain""#,
    ];
    for line in expected {
        assert!(
            message.lines().any(|l| l == line),
            "{line}\nnot in\n{message}"
        );
    }
    assert_eq!(message.lines().count(), expected.len(), "{message}");
}

#[test]
fn broken_json_in_a_text_box_cites_its_line_and_column() {
    let tree = key(
        &[("accounts", lines("[{\n  \"id\": \"corp\",\n}]"))],
        vec![],
    );
    let message = registry_error(&tree);
    assert!(
        message
            .starts_with(r"HKLM\Software\Policies\Heron: at accounts (line 3, column 1): expected"),
        "{message}"
    );
}

#[test]
fn duplicate_account_ids_cite_lines_of_the_registry_value() {
    let two = format!(
        "[{},\n{}]",
        ACCOUNTS_TEXT_BOX
            .trim_start_matches('[')
            .trim_end_matches(']'),
        ACCOUNTS_TEXT_BOX
            .trim_start_matches('[')
            .trim_end_matches(']'),
    );
    let message = registry_error(&key(&[("accounts", lines(&two))], vec![]));
    assert_eq!(
        message,
        r#"HKLM\Software\Policies\Heron: at accounts[1].id (line 9, column 9): expected an id no other account uses, found "corp", already used at line 2"#
    );
}

#[test]
fn unknown_values_and_keys_are_errors_with_a_suggestion() {
    let tree = key(
        &[("", sz("")), ("acounts", sz("[]"))],
        vec![
            ("featurs", key(&[], vec![])),
            (
                "features",
                key(&[("camra", dword(0))], vec![("deeper", key(&[], vec![]))]),
            ),
            ("Recommended", key(&[("accounts", sz("[]"))], vec![])),
        ],
    );
    let message = registry_error(&tree);
    let expected = [
        r#"HKLM\Software\Policies\Heron: at acounts: expected one of the values "accounts", "privacy_notice", "updates", found the unknown value "acounts"; did you mean "accounts"?"#,
        r#"HKLM\Software\Policies\Heron: at featurs: expected one of the keys "features", "lifecycle", "retention", "security", "sync", "Recommended", found the unknown key "featurs"; did you mean "features"?"#,
        r#"HKLM\Software\Policies\Heron: at Recommended\accounts: expected one of the values "updates", found the unknown value "accounts""#,
        r#"HKLM\Software\Policies\Heron: at features\camra: expected one of the values "remote_content", "camera", "photo_library", "send_later", "undo_send_delay_seconds", "notifications_show_content", "attachment_size_limit_mb", "external_links", found the unknown value "camra"; did you mean "camera"?"#,
        r#"HKLM\Software\Policies\Heron: at features\deeper: expected no keys here, found the unknown key "deeper""#,
    ];
    for line in expected {
        assert!(
            message.lines().any(|l| l == line),
            "{line}\nnot in\n{message}"
        );
    }
    assert_eq!(message.lines().count(), expected.len(), "{message}");
}

#[test]
fn names_match_ignoring_case_as_in_the_registry() {
    let tree = key(
        &[("Updates", sz("off"))],
        vec![(
            "recommended",
            key(
                &[],
                vec![("Features", key(&[("Camera", dword(0))], vec![]))],
            ),
        )],
    );
    let document = document_from_registry(&tree).unwrap().unwrap();
    assert!(document.settings["updates"].locked);
    assert_eq!(document.settings["features.camera"].value, json!(false));
}

#[test]
fn a_policy_key_without_values_is_no_policy() {
    let empty = key(
        &[],
        vec![
            ("features", key(&[], vec![])),
            ("Recommended", key(&[], vec![])),
        ],
    );
    assert_eq!(document_from_registry(&empty).unwrap(), None);
    assert_eq!(
        document_from_registry(&RegistryKey::default()).unwrap(),
        None
    );
}

/// Pins the reader to the generator: each setting's policy in docs/admx writes the key,
/// value name and registry type the reader expects.
#[test]
fn the_reader_expects_the_keys_and_types_the_generated_admx_writes() {
    let admx = crate::generate::admx();
    let policy = |name: &str| {
        admx.split("<policy ")
            .find(|p| p.starts_with(&format!("name=\"{name}\" ")))
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("no policy {name} in the ADMX"))
    };
    for name in JSON_VALUES {
        let p = policy(name);
        assert!(p.contains(&format!("key=\"{POLICY_KEY}\"")), "{p}");
        assert!(
            p.contains(&format!("<multiText id=\"{name}\" valueName=\"{name}\"")),
            "{p}"
        );
    }
    for spec in settings_table() {
        let (section, name) = match spec.key.split_once('.') {
            Some((section, name)) => (Some(section), name),
            None => (None, spec.key),
        };
        let mut forms = vec![(spec.key.replace('.', "_"), Vec::new())];
        if spec.user_may_set {
            forms.push((format!("{}_recommended", forms[0].0), vec![RECOMMENDED]));
        }
        for (policy_name, prefix) in forms {
            let p = policy(&policy_name);
            let mut parts = vec![POLICY_KEY];
            parts.extend(prefix);
            parts.extend(section);
            assert!(p.contains(&format!("key=\"{}\"", parts.join("\\"))), "{p}");
            assert!(p.contains(&format!("valueName=\"{name}\"")), "{p}");
            // The element decides the registry type the reader accepts.
            let (element, sample) = match spec.shape {
                Shape::Bool => ("<enabledValue><decimal value=\"1\" />", dword(1)),
                Shape::Integer { min, .. } => ("<decimal id=", dword(u32::try_from(min).unwrap())),
                Shape::OneOf(choices) => ("<enum id=", sz(choices[0])),
                _ => ("<text id=", sz("[]")),
            };
            assert!(p.contains(element), "{}: {p}", spec.key);
            let mut out = Vec::new();
            assert!(
                setting_value(&sample, &spec.shape, spec.key, &mut out).is_some(),
                "{}: {out:?}",
                spec.key
            );
        }
    }
}

#[test]
fn registry_strings_end_at_their_terminators() {
    let wide = |s: &str| s.encode_utf16().collect::<Vec<u16>>();
    assert_eq!(string_from_wide(&wide("ask\0")), "ask");
    assert_eq!(string_from_wide(&wide("ask")), "ask");
    assert_eq!(string_from_wide(&wide("ask\0junk\0")), "ask");
    assert_eq!(
        strings_from_wide(&wide("[{\0\"id\": \"corp\"}]\0\0")),
        vec!["[{".to_owned(), "\"id\": \"corp\"}]".to_owned()]
    );
    assert_eq!(strings_from_wide(&wide("\0")), Vec::<String>::new());
    assert_eq!(strings_from_wide(&[]), Vec::<String>::new());
}
