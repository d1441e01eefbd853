use super::*;
use crate::{EffectivePolicy, UserSettings};

const CORP_PLIST: &str = include_str!("../../../tests/managed-preferences/corp.plist");
const CORP_JSON: &str = include_str!("../../../tests/managed-preferences/corp.json");

fn user() -> OsUser {
    OsUser {
        username: "xiaoming".into(),
        domain: None,
    }
}

fn effective(documents: &[PolicyDocument]) -> EffectivePolicy {
    EffectivePolicy::merge(documents, &UserSettings::default(), &user()).unwrap()
}

fn plist_error(xml_body: &str) -> String {
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version=\"1.0\">\n{xml_body}\n</plist>\n"
    );
    document_from_plist(xml.as_bytes(), Path::new("/m/app.heron.desktop.plist"))
        .unwrap_err()
        .to_string()
}

#[test]
fn an_mdm_plist_gives_the_same_policy_as_the_json_file() {
    let path = Path::new("/Library/Managed Preferences/app.heron.desktop.plist");
    let from_plist = document_from_plist(CORP_PLIST.as_bytes(), path).unwrap();
    let from_file = PolicyDocument::parse(CORP_JSON, path).unwrap();
    assert_eq!(from_plist, from_file);
    let effective = effective(&[from_plist]);
    assert_eq!(effective, self::effective(&[from_file]));
    assert_eq!(effective.accounts[0].email, "xiaoming@corp.example");
    assert!(effective.origins["features.remote_content"].locked);
    assert!(!effective.origins["features.camera"].locked);
}

#[test]
fn a_binary_plist_reads_like_the_xml_one() {
    let path = Path::new("/m/app.heron.desktop.plist");
    let value = plist::Value::from_reader_xml(CORP_PLIST.as_bytes()).unwrap();
    let mut binary = Vec::new();
    value.to_writer_binary(&mut binary).unwrap();
    assert!(binary.starts_with(b"bplist00"));
    assert_eq!(
        document_from_plist(&binary, path).unwrap(),
        document_from_plist(CORP_PLIST.as_bytes(), path).unwrap()
    );
}

#[test]
fn bad_types_are_errors_naming_the_key() {
    let message = plist_error(
        "<dict>
           <key>features</key>
           <dict>
             <key>camera</key><string>yes</string>
             <key>undo_send_delay_seconds</key><real>2.5</real>
           </dict>
           <key>privacy_notice</key>
           <dict>
             <key>text</key><string>t</string>
             <key>version</key><string>1</string>
             <key>updated</key><string>2026-03-01</string>
             <key>effective</key><date>2026-04-01T00:00:00Z</date>
             <key>contact</key><data>AAEC</data>
           </dict>
         </dict>",
    );
    let expected = [
        "/m/app.heron.desktop.plist: at $.privacy_notice.effective: expected a string, number, boolean, array or dictionary (a date is a <string> like 2026-01-31), found <date>",
        "/m/app.heron.desktop.plist: at $.privacy_notice.contact: expected a string, number, boolean, array or dictionary, found <data>",
    ];
    assert_eq!(message.lines().collect::<Vec<_>>(), expected, "{message}");

    // With every value convertible, the policy's own checks run, naming the key path.
    let message = plist_error(
        "<dict>
           <key>features</key>
           <dict>
             <key>camera</key><string>yes</string>
             <key>undo_send_delay_seconds</key><real>2.5</real>
             <key>camra</key><true/>
           </dict>
         </dict>",
    );
    let expected = [
        "/m/app.heron.desktop.plist: at $.features.camera: expected true or false, found the string \"yes\"",
        "/m/app.heron.desktop.plist: at $.features.undo_send_delay_seconds: expected a whole number from 0 to 60, found the number 2.5",
        "/m/app.heron.desktop.plist: at $.features.camra: expected one of the keys \"remote_content\", \"camera\", \"photo_library\", \"send_later\", \"undo_send_delay_seconds\", \"notifications_show_content\", \"attachment_size_limit_mb\" or \"external_links\", found the unknown key \"camra\"; did you mean \"camera\"?",
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
fn a_plist_that_is_not_a_policy_dictionary_is_a_clear_error() {
    assert_eq!(
        plist_error("<array><string>x</string></array>"),
        "/m/app.heron.desktop.plist: at $: expected a dictionary of policy keys, found an array"
    );
    let message = document_from_plist(b"not a plist", Path::new("/m/p.plist"))
        .unwrap_err()
        .to_string();
    assert!(
        message.starts_with("/m/p.plist: at $: expected a property list (XML or binary), found "),
        "{message}"
    );
}

#[test]
fn duplicate_account_ids_do_not_cite_lines_of_generated_text() {
    let account = "<dict>
        <key>id</key><string>corp</string>
        <key>display_name</key><string>C</string>
        <key>email</key><string>c@corp.example</string>
        <key>imap</key><dict><key>host</key><string>i</string><key>port</key><integer>993</integer></dict>
        <key>smtp</key><dict><key>host</key><string>s</string><key>port</key><integer>465</integer></dict>
      </dict>";
    let message = plist_error(&format!(
        "<dict><key>accounts</key><array>{account}{account}</array></dict>"
    ));
    assert_eq!(
        message,
        "/m/app.heron.desktop.plist: at $.accounts[1].id: expected an id no other account uses, found \"corp\", already used by an earlier account"
    );
}

#[test]
fn the_device_file_is_read_before_the_users_and_missing_files_are_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let device = dir.path().join("app.heron.desktop.plist");
    let users = dir.path().join("xiaoming").join("app.heron.desktop.plist");
    assert_eq!(
        preference_files(dir.path(), &user()),
        vec![device.clone(), users.clone()]
    );
    assert_eq!(read(dir.path(), &user()).unwrap(), Vec::new());

    let plist = |camera: &str| {
        format!(
            "<plist version=\"1.0\"><dict><key>features</key><dict><key>camera</key>{camera}</dict></dict></plist>"
        )
    };
    std::fs::write(&device, plist("<true/>")).unwrap();
    std::fs::create_dir(users.parent().unwrap()).unwrap();
    std::fs::write(&users, plist("<false/>")).unwrap();
    let documents = read(dir.path(), &user()).unwrap();
    let paths: Vec<&Path> = documents.iter().map(|d| d.path.as_path()).collect();
    assert_eq!(paths, vec![device.as_path(), users.as_path()]);
    let effective = effective(&documents);
    assert_eq!(
        effective.origins["features.camera"].value,
        serde_json::json!(false)
    );
    assert_eq!(
        effective.origins["features.camera"].source,
        crate::Source::Policy(users.clone())
    );
}

#[test]
fn a_user_name_that_is_not_a_plain_name_reads_only_the_device_file() {
    let dir = Path::new("/m");
    for username in ["", ".", "..", "../etc", "a/b"] {
        let os_user = OsUser {
            username: username.into(),
            domain: None,
        };
        assert_eq!(
            preference_files(dir, &os_user),
            vec![dir.join("app.heron.desktop.plist")],
            "{username:?}"
        );
    }
}

#[test]
fn the_domain_is_the_bundle_identifier() {
    let conf = include_str!("../../../../../tauri.conf.json");
    let conf: serde_json::Value = serde_json::from_str(conf).unwrap();
    assert_eq!(conf["identifier"], DOMAIN);
}
