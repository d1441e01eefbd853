//! The example policies in crates/heron-policy/tests/policies: one valid file and one per
//! kind of error, each with the exact `heronctl policy check` output expected.

use std::path::Path;
use std::process::Command;

use super::repo_file;

/// Runs `heronctl policy check NAME` in `dir`; returns (success, stdout + stderr).
fn check_in(dir: &Path, name: &str) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_heronctl"))
        .args(["policy", "check", name])
        .current_dir(dir)
        .env_remove("HERON_CONFIG")
        .output()
        .unwrap();
    let mut text = String::from_utf8(out.stdout).unwrap();
    text.push_str(&String::from_utf8(out.stderr).unwrap());
    (out.status.success(), text)
}

#[test]
fn every_example_policy_gives_exactly_the_expected_check_output_with_lf_and_crlf() {
    let dir = repo_file("crates/heron-policy/tests/policies");
    let crlf_dir = tempfile::tempdir().unwrap();
    let bless = std::env::var_os("HERON_BLESS").is_some();
    let mut cases = 0;
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    for name in &names {
        let expected_path = dir.join(name.replace(".json", ".expected.txt"));
        let (success, actual) = check_in(&dir, name);
        assert_eq!(
            success,
            name == "valid.json",
            "{name}: wrong exit status\n{actual}"
        );
        if bless {
            std::fs::write(&expected_path, &actual).unwrap();
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_else(|e| {
            panic!(
                "{}: {e}; write it with HERON_BLESS=1",
                expected_path.display()
            )
        });
        assert_eq!(
            actual,
            expected,
            "{name}: output differs from {} (rerun with HERON_BLESS=1 to accept)",
            expected_path.display()
        );

        let text = std::fs::read_to_string(dir.join(name)).unwrap();
        std::fs::write(crlf_dir.path().join(name), text.replace('\n', "\r\n")).unwrap();
        let (crlf_success, crlf_actual) = check_in(crlf_dir.path(), name);
        assert_eq!(
            (crlf_success, crlf_actual),
            (success, actual),
            "{name} with CRLF"
        );
        cases += 1;
    }
    assert!(cases >= 8, "only {cases} example policies ran");
}

#[test]
fn the_committed_deployment_examples_are_valid() {
    for example in ["corp-managed.json", "oauth2-site.json", "harness.json"] {
        let (success, out) = check_in(&repo_file("docs/examples"), example);
        assert!(success, "{example}: {out}");
    }
}

#[test]
fn show_prints_sources_and_locks_and_redacts_passwords() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.json");
    let text = std::fs::read_to_string(repo_file("docs/examples/corp-managed.json"))
        .unwrap()
        .replace(
            "\"login\": \"${username}\",",
            "\"login\": \"${username}\", \"password\": \"hunter2\",",
        );
    std::fs::write(&policy, text).unwrap();
    let run = |extra: &[&str]| {
        let mut args = vec!["--config", policy.to_str().unwrap(), "policy", "show"];
        args.extend(extra);
        let out = Command::new(env!("CARGO_BIN_EXE_heronctl"))
            .args(&args)
            .env("USER", "xiaoming")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let text = run(&[]);
    assert!(!text.contains("hunter2"));
    assert!(
        text.contains("corp <xiaoming@corp.example> login xiaoming"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "features.remote_content = false  [{}, locked]",
            policy.display()
        )),
        "{text}"
    );
    assert!(text.contains("features.camera = true  [default]"), "{text}");

    let json: serde_json::Value = serde_json::from_str(&run(&["--json"])).unwrap();
    assert_eq!(json["accounts"][0]["account"]["password"], "<redacted>");
    assert_eq!(json["settings"]["updates"]["locked"], true);
    assert_eq!(json["settings"]["updates"]["source"]["kind"], "policy");
    assert!(!json.to_string().contains("hunter2"));
}
