//! Where each OS keeps managed policy.
//!
//! Only the Linux locations are exercised here. Windows and macOS read the same JSON
//! format from a file location; their native stores are documented TODOs:
//! - Windows: `HKLM\Software\Policies\Heron` (written by the ADMX templates in
//!   docs/admx) needs a registry crate (e.g. `windows-registry`), which this build does
//!   not pull in yet, so only `%ProgramData%\Heron\policies.json` is read.
//! - macOS: the managed preferences domain (`/Library/Managed Preferences/<user>/
//!   app.heron.desktop.plist`, pushed by MDM) needs a plist reader; until then
//!   `/Library/Application Support/Heron/policies.json` is read.

use std::path::PathBuf;

use crate::PolicyRoots;

#[cfg(target_os = "linux")]
pub(crate) fn system_roots() -> PolicyRoots {
    PolicyRoots {
        file: PathBuf::from(crate::LINUX_POLICY_FILE),
        dir: PathBuf::from(crate::LINUX_POLICY_DIR),
    }
}

#[cfg(windows)]
pub(crate) fn system_roots() -> PolicyRoots {
    // TODO(issue 8): read HKLM\Software\Policies\Heron as well (needs a registry crate).
    let program_data = std::env::var_os("ProgramData")
        .map_or_else(|| PathBuf::from(r"C:\ProgramData"), PathBuf::from);
    PolicyRoots::under(&program_data.join("Heron"))
}

#[cfg(target_os = "macos")]
pub(crate) fn system_roots() -> PolicyRoots {
    // TODO(issue 8): read the managed preferences domain app.heron.desktop (needs a plist reader).
    PolicyRoots::under(std::path::Path::new("/Library/Application Support/Heron"))
}

#[cfg(not(any(target_os = "linux", windows, target_os = "macos")))]
pub(crate) fn system_roots() -> PolicyRoots {
    PolicyRoots::under(std::path::Path::new("/etc/heron"))
}
