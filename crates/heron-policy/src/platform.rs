//! Where each OS keeps managed policy, and reading the OS's own policy store.
//!
//! Every OS reads the JSON files of [`PolicyRoots`]; where the OS has a store of its own,
//! that store is read after them, as one more policy document at the end of the merge
//! (so it replaces values the files give, except settings a file already locked):
//!
//! - Linux: `/etc/heron/policies.json`, then `/etc/heron/policies.d/*.json`. No native
//!   store.
//! - Windows: `%ProgramData%\Heron\policies.json` and `policies.d\*.json`, then Group
//!   Policy, `HKLM\Software\Policies\Heron`, in the layout the ADMX templates in
//!   docs/admx write (`group_policy`). Group Policy is the Windows admin's own tool, so
//!   it is read last and wins over a stray local file.
//! - macOS: `/Library/Application Support/Heron/policies.json` and `policies.d/`, then
//!   the managed preferences domain `app.heron.desktop` that MDM writes
//!   (`managed_preferences`): `/Library/Managed Preferences/app.heron.desktop.plist`
//!   (the whole device), then `/Library/Managed Preferences/<user>/app.heron.desktop.plist`
//!   (this user, so it comes later and wins).
//!
//! A native store is converted to the JSON value a policy file would hold and validated
//! as policy text (`document_from_value`), so it means exactly what the same file
//! would; its errors name the store (`HKLM\Software\Policies\Heron`, the plist's path)
//! and the value, since there is no line to point to. Only the Linux locations can run
//! here: the conversions are plain functions compiled and tested on every OS, and only
//! the few lines that touch the registry or `/Library` are behind `cfg`.

use crate::{Fingerprint, PolicyDocument, PolicyError, PolicyLoader, PolicyRoots};

#[cfg(any(windows, test))]
pub(crate) mod group_policy;
#[cfg(any(target_os = "macos", test))]
pub(crate) mod managed_preferences;

#[cfg(target_os = "linux")]
pub(crate) fn system_roots() -> PolicyRoots {
    PolicyRoots {
        file: std::path::PathBuf::from(crate::LINUX_POLICY_FILE),
        dir: std::path::PathBuf::from(crate::LINUX_POLICY_DIR),
        native_store: true,
    }
}

#[cfg(windows)]
pub(crate) fn system_roots() -> PolicyRoots {
    use std::path::PathBuf;
    let program_data = std::env::var_os("ProgramData")
        .map_or_else(|| PathBuf::from(r"C:\ProgramData"), PathBuf::from);
    PolicyRoots {
        native_store: true,
        ..PolicyRoots::under(&program_data.join("Heron"))
    }
}

#[cfg(target_os = "macos")]
pub(crate) fn system_roots() -> PolicyRoots {
    PolicyRoots {
        native_store: true,
        ..PolicyRoots::under(std::path::Path::new("/Library/Application Support/Heron"))
    }
}

#[cfg(not(any(target_os = "linux", windows, target_os = "macos")))]
pub(crate) fn system_roots() -> PolicyRoots {
    PolicyRoots {
        native_store: true,
        ..PolicyRoots::under(std::path::Path::new("/etc/heron"))
    }
}

/// Every managed policy document, in merge order: the JSON files, then the OS's native
/// store when the roots ask for it and no explicit file replaces the system policy.
pub(crate) fn managed_documents(loader: &PolicyLoader) -> Result<Vec<PolicyDocument>, PolicyError> {
    let mut documents = loader
        .policy_files()
        .iter()
        .map(|p| PolicyDocument::load(p))
        .collect::<Result<Vec<_>, _>>()?;
    if reads_native_store(loader) {
        documents.extend(native_documents(loader)?);
    }
    Ok(documents)
}

/// The native store's part of [`PolicyLoader::fingerprint`]: the plist files' times and
/// sizes on macOS; on Windows a hash of the registry values, which have no time of their
/// own that covers the whole tree.
pub(crate) fn native_fingerprint(loader: &PolicyLoader) -> Fingerprint {
    if reads_native_store(loader) {
        native_state(loader)
    } else {
        Vec::new()
    }
}

fn reads_native_store(loader: &PolicyLoader) -> bool {
    loader.explicit.is_none() && loader.roots.native_store
}

#[cfg(windows)]
fn native_documents(_loader: &PolicyLoader) -> Result<Vec<PolicyDocument>, PolicyError> {
    Ok(group_policy::read()?.into_iter().collect())
}

#[cfg(windows)]
fn native_state(_loader: &PolicyLoader) -> Fingerprint {
    vec![(
        std::path::PathBuf::from(group_policy::REGISTRY_PATH),
        group_policy::state(),
    )]
}

#[cfg(target_os = "macos")]
fn native_documents(loader: &PolicyLoader) -> Result<Vec<PolicyDocument>, PolicyError> {
    managed_preferences::read(
        std::path::Path::new(managed_preferences::MANAGED_PREFERENCES_DIR),
        &loader.os_user,
    )
}

#[cfg(target_os = "macos")]
fn native_state(loader: &PolicyLoader) -> Fingerprint {
    managed_preferences::preference_files(
        std::path::Path::new(managed_preferences::MANAGED_PREFERENCES_DIR),
        &loader.os_user,
    )
    .into_iter()
    .map(|path| {
        let meta = std::fs::metadata(&path)
            .ok()
            .and_then(|m| Some((m.modified().ok()?, m.len())));
        (path, meta)
    })
    .collect()
}

#[cfg(not(any(windows, target_os = "macos")))]
fn native_documents(_loader: &PolicyLoader) -> Result<Vec<PolicyDocument>, PolicyError> {
    Ok(Vec::new())
}

#[cfg(not(any(windows, target_os = "macos")))]
fn native_state(_loader: &PolicyLoader) -> Fingerprint {
    Vec::new()
}

/// The policy document a native store gives, from the JSON value a policy file with the
/// same content would hold, validated exactly as that file would be.
///
/// The text validated is generated, so its lines mean nothing to an admin: errors keep
/// their path (which names the key or value in the store) and lose their position.
#[cfg(any(windows, target_os = "macos", test))]
pub(crate) fn document_from_value(
    value: &serde_json::Value,
    source: &std::path::Path,
) -> Result<PolicyDocument, PolicyError> {
    PolicyDocument::parse(&value.to_string(), source).map_err(|error| match error {
        PolicyError::Invalid { path, diagnostics } => PolicyError::Invalid {
            path,
            diagnostics: diagnostics.into_iter().map(without_position).collect(),
        },
        other => other,
    })
}

#[cfg(any(windows, target_os = "macos", test))]
fn without_position(mut diagnostic: crate::Diagnostic) -> crate::Diagnostic {
    diagnostic.at = crate::json::Position::default();
    // The duplicate-id check cites the first id's line, which is a line of the generated
    // text; the path of the second id says enough.
    if let Some((id, _line)) = diagnostic.found.split_once(", already used at line ") {
        diagnostic.found = format!("{id}, already used by an earlier account");
    }
    diagnostic
}

/// A problem in a native store, where `path` alone says where.
#[cfg(any(windows, target_os = "macos", test))]
fn problem(
    path: String,
    expected: impl Into<String>,
    found: impl Into<String>,
) -> crate::Diagnostic {
    crate::Diagnostic {
        at: crate::json::Position::default(),
        path,
        expected: expected.into(),
        found: found.into(),
        did_you_mean: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_system_roots_read_the_native_store() {
        assert!(PolicyRoots::system().native_store);
        assert!(!PolicyRoots::under(std::path::Path::new("/srv/heron")).native_store);
    }
}
