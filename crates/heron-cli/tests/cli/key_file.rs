//! The key-file fallback as an admin meets it on headless Linux: heronctl with a session
//! bus address that leads nowhere (so the real OS keyring code finds no Secret Service),
//! a policy file allowing the fallback or not, and real key files and stores.

use std::path::{Path, PathBuf};
use std::process::Output;

use heron_store::DB_FILE;

use crate::heronctl_command;
use crate::wipe::real_keyring;

struct Machine {
    dir: tempfile::TempDir,
}

impl Machine {
    fn new(fallback_allowed: bool) -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("policy.json"),
            serde_json::json!({"security": {"key_file_fallback_allowed": fallback_allowed}})
                .to_string(),
        )
        .unwrap();
        Self { dir }
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn keys(&self) -> PathBuf {
        self.dir.path().join("keys")
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).to_str().unwrap().to_owned()
    }

    /// heronctl on this machine's data, policy and key directories, without a keyring.
    fn headless(&self, args: &[&str]) -> Output {
        self.run(args, Some("unix:path=/nonexistent/heron-test-bus"))
    }

    /// heronctl with `bus` as the session bus (`None`: the one this test runs on).
    fn run(&self, args: &[&str], bus: Option<&str>) -> Output {
        let mut command = heronctl_command();
        command
            .args([
                "--data-dir",
                &self.path("data"),
                "--key-dir",
                &self.path("keys"),
            ])
            .args(["--config", &self.path("policy.json")])
            .args(args);
        if let Some(bus) = bus {
            command.env("DBUS_SESSION_BUS_ADDRESS", bus);
        }
        command.output().unwrap()
    }

    fn key_files(&self) -> Vec<PathBuf> {
        files_in(&self.keys())
    }
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    match std::fs::read_dir(dir) {
        Ok(entries) => entries.map(|e| e.unwrap().path()).collect(),
        Err(_) => Vec::new(),
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn without_the_policy_no_keyring_is_keyring_unavailable_naming_the_fix_and_creates_nothing() {
    let m = Machine::new(false);
    let out = m.headless(&["folders"]);
    let err = stderr(&out);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("(keyring_unavailable)"), "{err}");
    assert!(
        err.contains("gnome-keyring") && err.contains("security.key_file_fallback_allowed"),
        "the message names the fixes: {err}"
    );
    assert!(!m.data().exists(), "the data directory was created");
    assert!(!m.keys().exists(), "the key directory was created");
}

#[test]
fn with_the_policy_the_store_opens_with_a_private_key_file_and_a_warning() {
    let m = Machine::new(true);
    let out = m.headless(&["folders", "--json"]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("heron: warning:")
            && err.contains(&m.keys().display().to_string())
            && err.contains("can read the cached mail")
            && err.contains("OS keyring"),
        "the warning is logged: {err}"
    );
    assert!(m.data().join(DB_FILE).exists());
    let keys = m.key_files();
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert!(
        !keys[0].starts_with(m.data()),
        "the key sits next to the data"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&keys[0]).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let key = std::fs::read(&keys[0]).unwrap();
    assert_eq!(key.len(), 32);

    // A second run opens the same store with the same key (a different key would not
    // open it, and a missing one would be refused, not replaced).
    let out = m.headless(&["folders"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("heron: warning:"));
    assert_eq!(m.key_files(), keys);
    assert_eq!(std::fs::read(&keys[0]).unwrap(), key);
}

#[test]
fn wipe_without_a_keyring_deletes_the_key_file_and_the_data() {
    let m = Machine::new(true);
    assert!(m.headless(&["folders"]).status.success());
    assert_eq!(m.key_files().len(), 1);
    let out = m.headless(&["wipe", "--yes", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["wiped"], true);
    assert_eq!(report["deleted"]["secrets_deleted"], 1);
    assert!(m.key_files().is_empty(), "the key file is left");
    assert!(files_in(&m.data()).is_empty(), "files are left");
}

#[test]
fn the_key_file_defaults_to_the_per_user_config_directory_and_wipe_finds_it_there() {
    let m = Machine::new(true);
    let config_home = m.dir.path().join("home-config");
    let run = |args: &[&str]| {
        heronctl_command()
            .args([
                "--data-dir",
                &m.path("data"),
                "--config",
                &m.path("policy.json"),
            ])
            .args(args)
            .env("XDG_CONFIG_HOME", &config_home)
            .env(
                "DBUS_SESSION_BUS_ADDRESS",
                "unix:path=/nonexistent/heron-test-bus",
            )
            .output()
            .unwrap()
    };
    let out = run(&["folders"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let keys = files_in(&config_home.join("heron/keys"));
    assert_eq!(keys.len(), 1, "{keys:?}");
    let out = run(&["wipe", "--yes"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(files_in(&config_home.join("heron/keys")).is_empty());
}

#[test]
fn a_key_dir_inside_the_data_dir_is_refused() {
    let m = Machine::new(true);
    let out = heronctl_command()
        .args([
            "--data-dir",
            &m.path("data"),
            "--config",
            &m.path("policy.json"),
        ])
        .args(["--key-dir", &m.path("data/keys"), "folders"])
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/heron-test-bus",
        )
        .output()
        .unwrap();
    let err = stderr(&out);
    assert!(!out.status.success());
    assert!(
        err.contains("(invalid_config)") && err.contains("inside the data directory"),
        "{err}"
    );
    assert!(!m.data().exists());
}

/// With a real Secret Service (cargo xtask test): a store keyed by a file while the
/// keyring was away keeps opening once it is back, without a key appearing in the
/// keyring; and a wipe with the keyring reachable deletes the key file too.
#[test]
fn when_the_keyring_comes_back_the_file_keyed_store_still_opens_and_wipe_deletes_both() {
    let Some(keyring) = real_keyring() else {
        return;
    };
    let m = Machine::new(true);
    assert!(m.headless(&["folders"]).status.success());
    let entry = heron_store::master_key_entry(&std::fs::canonicalize(m.data()).unwrap());

    let out = m.run(&["folders"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("heron: warning:"),
        "still the key file"
    );
    assert!(
        keyring.load(&entry).unwrap().is_none(),
        "a second key was made in the keyring"
    );

    let out = m.run(&["wipe", "--yes"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(m.key_files().is_empty(), "the key file is left");
    assert!(keyring.load(&entry).unwrap().is_none());
    assert!(files_in(&m.data()).is_empty());
}
