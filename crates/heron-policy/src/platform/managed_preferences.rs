//! macOS managed preferences: the preference domain `app.heron.desktop` (the app's
//! bundle identifier in tauri.conf.json) that an MDM configuration profile fills, which
//! macOS writes as property lists under `/Library/Managed Preferences`:
//!
//! 1. `/Library/Managed Preferences/app.heron.desktop.plist`, for the whole device;
//! 2. `/Library/Managed Preferences/<user>/app.heron.desktop.plist`, for the signed-in
//!    user, read after the device's so it wins (unless the device's locked a setting).
//!
//! The top-level dictionary is a policy file in plist form: the same keys and nesting,
//! `<dict>` for an object, `<array>`, `<string>`, `<integer>`, `<true/>`/`<false/>`, and
//! `{"value": ..., "locked": true}` as a `<dict>` with those two keys. A `<date>`, `<data>`
//! or UID has no JSON form and is an error naming its key. Everything macOS puts in the
//! domain is enforced by the OS; what the user may change in Heron is decided, as in a
//! file, by `locked`.
//!
//! The conversion and the lookup are compiled and tested on every OS; only the call with
//! the real `/Library/Managed Preferences` is macOS-only.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::validate::Diagnostic;
use crate::{OsUser, PolicyDocument, PolicyError};

use super::problem;

/// The preference domain: Heron's bundle identifier.
pub(crate) const DOMAIN: &str = "app.heron.desktop";

/// Where macOS keeps the preferences MDM manages.
#[cfg(target_os = "macos")]
pub(crate) const MANAGED_PREFERENCES_DIR: &str = "/Library/Managed Preferences";

/// How deep dictionaries and arrays may nest, as in a JSON policy file.
const MAX_DEPTH: usize = 64;

/// The plist files of the domain under `dir`, in merge order: the device's, then the
/// user's (left out when the user name could not name a directory).
pub(crate) fn preference_files(dir: &Path, os_user: &OsUser) -> Vec<PathBuf> {
    let file = format!("{DOMAIN}.plist");
    let mut files = vec![dir.join(&file)];
    let user = os_user.username.as_str();
    if !user.is_empty() && user != "." && user != ".." && !user.contains(['/', '\0']) {
        files.push(dir.join(user).join(&file));
    }
    files
}

/// The policy documents of the domain under `dir`; a missing file is no policy.
pub(crate) fn read(dir: &Path, os_user: &OsUser) -> Result<Vec<PolicyDocument>, PolicyError> {
    let mut documents = Vec::new();
    for path in preference_files(dir, os_user) {
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(source) => return Err(PolicyError::Read { path, source }),
        };
        documents.push(document_from_plist(&bytes, &path)?);
    }
    Ok(documents)
}

/// The policy document a plist file (XML or binary) gives; `path` names it.
pub(crate) fn document_from_plist(
    bytes: &[u8],
    path: &Path,
) -> Result<PolicyDocument, PolicyError> {
    let plist = plist::Value::from_reader(std::io::Cursor::new(bytes)).map_err(|e| {
        crate::invalid(
            path,
            vec![problem(
                "$".to_owned(),
                "a property list (XML or binary)",
                e.to_string(),
            )],
        )
    })?;
    let value =
        policy_from_plist(&plist).map_err(|diagnostics| crate::invalid(path, diagnostics))?;
    super::document_from_value(&value, path)
}

/// The JSON value of the policy file the plist's top-level dictionary stands for, or
/// every value that has no JSON form, by its key path (`$.privacy_notice.effective`).
pub(crate) fn policy_from_plist(plist: &plist::Value) -> Result<Value, Vec<Diagnostic>> {
    if plist.as_dictionary().is_none() {
        return Err(vec![problem(
            "$".to_owned(),
            "a dictionary of policy keys",
            describe(plist),
        )]);
    }
    let mut out = Vec::new();
    let value = to_json(plist, "$", 0, &mut out);
    match value {
        Some(value) if out.is_empty() => Ok(value),
        _ => Err(out),
    }
}

fn describe(value: &plist::Value) -> String {
    match value {
        plist::Value::Array(_) => "an array".into(),
        plist::Value::Dictionary(_) => "a dictionary".into(),
        plist::Value::Boolean(b) => b.to_string(),
        plist::Value::Data(_) => "<data>".into(),
        plist::Value::Date(_) => "<date>".into(),
        plist::Value::Real(r) => r.to_string(),
        plist::Value::Integer(i) => i.to_string(),
        plist::Value::String(s) => format!("{s:?}"),
        plist::Value::Uid(_) => "a UID".into(),
        _ => "a value of an unknown plist type".into(),
    }
}

fn to_json(
    value: &plist::Value,
    path: &str,
    depth: usize,
    out: &mut Vec<Diagnostic>,
) -> Option<Value> {
    let no_json_form = |out: &mut Vec<Diagnostic>, hint: &str| {
        out.push(problem(
            path.to_owned(),
            format!("a string, number, boolean, array or dictionary{hint}"),
            describe(value),
        ));
        None
    };
    if depth > MAX_DEPTH {
        out.push(problem(
            path.to_owned(),
            format!("at most {MAX_DEPTH} levels of nesting"),
            "more",
        ));
        return None;
    }
    match value {
        plist::Value::Dictionary(dict) => {
            let mut members = serde_json::Map::new();
            for (key, item) in dict {
                if let Some(v) = to_json(item, &format!("{path}.{key}"), depth + 1, out) {
                    members.insert(key.clone(), v);
                }
            }
            Some(Value::Object(members))
        }
        plist::Value::Array(items) => {
            let mut converted = Vec::new();
            for (i, item) in items.iter().enumerate() {
                if let Some(v) = to_json(item, &format!("{path}[{i}]"), depth + 1, out) {
                    converted.push(v);
                }
            }
            Some(Value::Array(converted))
        }
        plist::Value::Boolean(b) => Some(Value::Bool(*b)),
        plist::Value::String(s) => Some(Value::String(s.clone())),
        plist::Value::Integer(i) => i
            .as_signed()
            .map(Value::from)
            .or_else(|| i.as_unsigned().map(Value::from)),
        // A whole number written as <real> is still checked as one, and reported if it
        // is not whole.
        plist::Value::Real(r) => match serde_json::Number::from_f64(*r) {
            Some(n) => Some(Value::Number(n)),
            None => no_json_form(out, ""),
        },
        plist::Value::Date(_) => no_json_form(out, " (a date is a <string> like 2026-01-31)"),
        _ => no_json_form(out, ""),
    }
}

#[cfg(test)]
mod tests;
