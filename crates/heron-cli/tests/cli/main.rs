//! `heronctl` as admins and scripts run it: exit codes, text and JSON output.

// Test code: a failed unwrap is a failed test, with the error in its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod key_file;
mod policies;
mod send;
mod show;
mod sync;
mod wipe;

/// heronctl without the developer's HERON_CONFIG, and with a per-user config directory
/// of its own, so no test reads or writes a key file in the real home.
fn heronctl_command() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_heronctl"));
    command.env_remove("HERON_CONFIG").env(
        "XDG_CONFIG_HOME",
        Path::new(env!("CARGO_TARGET_TMPDIR")).join("heronctl-config"),
    );
    command
}

/// Deterministic "random" kill points within a window that follows how long a run takes
/// on this machine: a run that finished before its kill point halves the window, a
/// killed one widens it, so the kills land all along the runs however fast the build is.
struct KillSchedule {
    state: u64,
    window_ms: u64,
    min_ms: u64,
    max_ms: u64,
    /// No kill earlier than this after the start.
    offset_ms: u64,
}

impl KillSchedule {
    fn new(seed: u64, window_ms: u64, min_ms: u64, max_ms: u64, offset_ms: u64) -> Self {
        KillSchedule {
            state: seed,
            window_ms,
            min_ms,
            max_ms,
            offset_ms,
        }
    }

    /// Starts `command`, waits until the next kill point and sends SIGKILL unless the
    /// run has finished by then. Returns whether it was killed, and its exit status.
    fn run(&mut self, command: &mut Command) -> (bool, std::process::ExitStatus) {
        self.state = self
            .state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let delay = self.offset_ms + (self.state >> 33) % self.window_ms.max(1);
        let mut child = command
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
        }
        let status = child.wait().unwrap();
        // Killed means the signal ended it: a process that exited on its own between
        // the check above and the kill was not killed (it once counted as both killed
        // and confirmed, and the trial tallies came to 31 of 30).
        let killed = std::os::unix::process::ExitStatusExt::signal(&status) == Some(9);
        if killed {
            self.window_ms = (self.window_ms * 3 / 2).min(self.max_ms);
        } else {
            self.window_ms = (self.window_ms / 2).max(self.min_ms);
        }
        (killed, status)
    }
}

fn heronctl(args: &[&str]) -> Output {
    heronctl_command().args(args).output().unwrap()
}

fn repo_file(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

#[test]
fn the_committed_harness_example_is_a_valid_configuration() {
    let example = repo_file("docs/examples/harness.json");
    let out = heronctl(&["policy", "check", example.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("valid, 1 account(s)"));
}

#[test]
fn an_invalid_configuration_fails_with_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.json");
    std::fs::write(&path, "{\n  \"acounts\": []\n}\n").unwrap();
    let out = heronctl(&["policy", "check", path.to_str().unwrap()]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("bad.json:2:"), "{stderr}");
    assert!(stderr.contains("acounts"), "{stderr}");
}

#[test]
fn accounts_json_lists_provisioned_accounts_without_secrets() {
    let example = repo_file("docs/examples/harness.json");
    let out = heronctl(&["--config", example.to_str().unwrap(), "accounts", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let accounts: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(accounts[0]["email"], "alice@example.test");
    assert_eq!(accounts[0]["incoming"], "imaps://127.0.0.1:31993");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("heron-alice-pw"));
}

#[test]
fn without_any_configuration_there_is_no_profile_and_no_error() {
    let out = heronctl(&["profile"]);
    // On a machine with /etc/heron/policies.json this reads it; here there is none.
    if Path::new("/etc/heron/policies.json").exists() {
        return;
    }
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("No account is configured"));
}
