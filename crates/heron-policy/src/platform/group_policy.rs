//! Windows Group Policy: `HKLM\Software\Policies\Heron`, read in exactly the layout the
//! ADMX templates in docs/admx write (see [`crate::generate::admx`]):
//!
//! | Registry, under `HKLM\Software\Policies\Heron` | The same in a policy file |
//! |---|---|
//! | `<section>\<name>`, e.g. `features\camera` | `{"features": {"camera": {"value": V, "locked": true}}}` |
//! | `<name>` for a top-level setting (`updates`) | `{"updates": {"value": V, "locked": true}}` |
//! | `Recommended\<section>\<name>`, `Recommended\<name>` | the plain value `V`: a default the user may change |
//! | `accounts`, `privacy_notice` | the JSON text of `accounts` / `privacy_notice` |
//!
//! Value types, as the ADMX elements write them: a boolean is REG_DWORD 0 or 1, a whole
//! number REG_DWORD (REG_QWORD is read too), a choice REG_SZ, any other setting (the
//! lists) REG_SZ holding JSON, e.g. `["corp.example"]`. `accounts` and `privacy_notice`
//! are REG_MULTI_SZ, one line of the JSON per string, as the multi-line text box writes
//! them (a REG_SZ holding the whole JSON is read too). A setting both locked and under
//! `Recommended` is locked. The ADMX offers under `Recommended` only the settings users
//! may change; any other written there by hand is read like a plain value in a file.
//!
//! Names match ignoring case, as in the registry. An unknown value or key is an error
//! (with a "did you mean"), like an unknown key in a file; the unnamed default value of a
//! key holds no policy and is ignored.
//!
//! The mapping is a plain function over [`RegistryKey`], compiled and tested on every
//! OS; only `read` and `state` (Windows only) touch the registry.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::{Value, json};

use crate::json::{self, Json, Member, Position, Spanned};
use crate::schema::{SettingSpec, Shape, policy_shape, settings_table};
use crate::validate::{self, Diagnostic, closest};
use crate::{PolicyDocument, PolicyError};

use super::problem;

/// The policy key as errors and sources name it.
pub(crate) const REGISTRY_PATH: &str = r"HKLM\Software\Policies\Heron";

/// The policy key under `HKEY_LOCAL_MACHINE`, as the ADMX templates name it.
pub(crate) const POLICY_KEY: &str = r"Software\Policies\Heron";

/// The subkey of values the user may change.
const RECOMMENDED: &str = "Recommended";

/// The values holding JSON text of a whole part of the policy.
const JSON_VALUES: [&str; 2] = ["accounts", "privacy_notice"];

/// A registry key as read: its values and subkeys, by name as stored.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) struct RegistryKey {
    /// The values.
    pub(crate) values: BTreeMap<String, RegistryValue>,
    /// The subkeys.
    pub(crate) keys: BTreeMap<String, RegistryKey>,
}

/// One registry value.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum RegistryValue {
    /// REG_SZ.
    String(String),
    /// REG_MULTI_SZ.
    MultiString(Vec<String>),
    /// REG_DWORD.
    Dword(u32),
    /// REG_QWORD.
    Qword(u64),
    /// A type no policy value has (REG_EXPAND_SZ, REG_BINARY, ...), described for errors.
    Other(String),
}

impl RegistryKey {
    fn value(&self, name: &str) -> Option<&RegistryValue> {
        self.values
            .iter()
            .find(|(stored, _)| stored.eq_ignore_ascii_case(name))
            .map(|(_, value)| value)
    }

    fn key(&self, name: &str) -> Option<&RegistryKey> {
        self.keys
            .iter()
            .find(|(stored, _)| stored.eq_ignore_ascii_case(name))
            .map(|(_, key)| key)
    }

    fn has_values(&self) -> bool {
        self.values.keys().any(|name| !name.is_empty()) || self.keys.values().any(Self::has_values)
    }
}

fn describe(value: &RegistryValue) -> String {
    match value {
        RegistryValue::String(s) => {
            let shown: String = s.chars().take(40).collect();
            let more = if shown.len() < s.len() { "…" } else { "" };
            format!("REG_SZ {shown:?}{more}")
        }
        RegistryValue::MultiString(lines) if lines.len() == 1 => "REG_MULTI_SZ (1 string)".into(),
        RegistryValue::MultiString(lines) => format!("REG_MULTI_SZ ({} strings)", lines.len()),
        RegistryValue::Dword(n) => format!("REG_DWORD {n}"),
        RegistryValue::Qword(n) => format!("REG_QWORD {n}"),
        RegistryValue::Other(kind) => kind.clone(),
    }
}

/// Where a registry value or key is, below the policy key: `Recommended\features\camera`.
fn location(parts: &[&str]) -> String {
    parts
        .iter()
        .filter(|p| !p.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join("\\")
}

/// The policy document the ADMX templates' registry values stand for, or `None` when
/// Group Policy sets nothing (the key is missing or holds no values).
pub(crate) fn document_from_registry(
    root: &RegistryKey,
) -> Result<Option<PolicyDocument>, PolicyError> {
    if !root.has_values() {
        return Ok(None);
    }
    let path = Path::new(REGISTRY_PATH);
    let value =
        policy_from_registry(root).map_err(|diagnostics| crate::invalid(path, diagnostics))?;
    super::document_from_value(&value, path).map(Some)
}

/// The JSON value of a policy file with the same content as the registry tree under the
/// policy key, or every problem found, each naming its registry value.
pub(crate) fn policy_from_registry(root: &RegistryKey) -> Result<Value, Vec<Diagnostic>> {
    let specs = settings_table();
    let mut out = Vec::new();
    check_names(root, &specs, &mut out);
    let mut document = serde_json::Map::new();

    let fields = match policy_shape() {
        Shape::Object(fields) => fields,
        _ => Vec::new(),
    };
    let mut texts = Vec::new();
    for name in JSON_VALUES {
        let (Some(value), Some(field)) = (root.value(name), fields.iter().find(|f| f.name == name))
        else {
            continue;
        };
        let text = match value {
            RegistryValue::MultiString(lines) => lines.join("\n"),
            RegistryValue::String(text) => text.clone(),
            other => {
                let expected = "REG_MULTI_SZ (or REG_SZ) holding JSON";
                out.push(problem(name.to_owned(), expected, describe(other)));
                continue;
            }
        };
        if let Some(spanned) = json_text(&text, &field.shape, name, &mut out) {
            document.insert(name.to_owned(), spanned.value.to_value());
            texts.push(Member {
                key: name.to_owned(),
                key_at: Position::default(),
                value: spanned,
            });
        }
    }
    // Unique account ids and one notice source, checked on the texts as written so the
    // lines cited are lines of the registry value.
    let top = Spanned {
        at: Position::default(),
        value: Json::Object(texts),
    };
    out.extend(crate::cross_checks(&top).into_iter().map(|mut d| {
        d.path = d.path.trim_start_matches("$.").to_owned();
        in_text(d)
    }));

    for spec in &specs {
        let (section, name) = match spec.key.split_once('.') {
            Some((section, name)) => (Some(section), name),
            None => (None, spec.key),
        };
        let locked = section_key(root, section).and_then(|k| k.value(name));
        let recommended = root
            .key(RECOMMENDED)
            .and_then(|r| section_key(r, section))
            .and_then(|k| k.value(name));
        let (value, locked, at) = match (locked, recommended) {
            (Some(value), _) => (value, true, location(&[section.unwrap_or(""), name])),
            (None, Some(value)) => (
                value,
                false,
                location(&[RECOMMENDED, section.unwrap_or(""), name]),
            ),
            (None, None) => continue,
        };
        let Some(value) = setting_value(value, &spec.shape, &at, &mut out) else {
            continue;
        };
        let value = if locked {
            json!({"value": value, "locked": true})
        } else {
            value
        };
        match section {
            Some(section) => {
                let entry = document
                    .entry(section.to_owned())
                    .or_insert_with(|| Value::Object(serde_json::Map::new()));
                if let Value::Object(members) = entry {
                    members.insert(name.to_owned(), value);
                }
            }
            None => {
                document.insert(name.to_owned(), value);
            }
        }
    }
    if out.is_empty() {
        Ok(Value::Object(document))
    } else {
        Err(out)
    }
}

/// The key of a setting's section under `parent` (`parent` itself for a top-level one).
fn section_key<'a>(parent: &'a RegistryKey, section: Option<&str>) -> Option<&'a RegistryKey> {
    match section {
        Some(section) => parent.key(section),
        None => Some(parent),
    }
}

/// Reports values and keys the ADMX layout does not have.
fn check_names(root: &RegistryKey, specs: &[SettingSpec], out: &mut Vec<Diagnostic>) {
    let sections: BTreeSet<&str> = specs
        .iter()
        .filter_map(|s| s.key.split_once('.').map(|(section, _)| section))
        .collect();
    let top_level: Vec<&str> = specs
        .iter()
        .filter(|s| !s.key.contains('.'))
        .map(|s| s.key)
        .collect();
    let in_section = |section: &str| -> Vec<&str> {
        specs
            .iter()
            .filter_map(|s| s.key.split_once('.'))
            .filter(|(s, _)| *s == section)
            .map(|(_, name)| name)
            .collect()
    };
    let root_values: Vec<&str> = JSON_VALUES
        .iter()
        .copied()
        .chain(top_level.clone())
        .collect();
    let root_keys: Vec<&str> = sections.iter().copied().chain([RECOMMENDED]).collect();
    check_key(root, "", &root_values, &root_keys, out);
    let section_names: Vec<&str> = sections.iter().copied().collect();
    if let Some(recommended) = root.key(RECOMMENDED) {
        check_key(recommended, RECOMMENDED, &top_level, &section_names, out);
    }
    for section in &sections {
        let names = in_section(section);
        if let Some(key) = root.key(section) {
            check_key(key, section, &names, &[], out);
        }
        if let Some(key) = root.key(RECOMMENDED).and_then(|r| r.key(section)) {
            check_key(key, &location(&[RECOMMENDED, section]), &names, &[], out);
        }
    }
}

fn check_key(
    key: &RegistryKey,
    at: &str,
    value_names: &[&str],
    key_names: &[&str],
    out: &mut Vec<Diagnostic>,
) {
    let known = |names: &[&str], name: &str| names.iter().any(|n| n.eq_ignore_ascii_case(name));
    let expected = |what: &str, names: &[&str]| match names {
        [] => format!("no {what}s here"),
        names if names.len() > 8 => format!("a {what} listed in docs/POLICIES.md"),
        names => {
            let quoted: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
            format!("one of the {what}s {}", quoted.join(", "))
        }
    };
    for name in key.values.keys() {
        if !name.is_empty() && !known(value_names, name) {
            out.push(Diagnostic {
                did_you_mean: closest(name, value_names.iter().copied()),
                ..problem(
                    location(&[at, name]),
                    expected("value", value_names),
                    format!("the unknown value \"{name}\""),
                )
            });
        }
    }
    for name in key.keys.keys() {
        if !known(key_names, name) {
            out.push(Diagnostic {
                did_you_mean: closest(name, key_names.iter().copied()),
                ..problem(
                    location(&[at, name]),
                    expected("key", key_names),
                    format!("the unknown key \"{name}\""),
                )
            });
        }
    }
}

/// A setting's value: the registry types the ADMX element writes, then the setting's
/// own checks (range, choices, list items).
fn setting_value(
    value: &RegistryValue,
    shape: &Shape,
    at: &str,
    out: &mut Vec<Diagnostic>,
) -> Option<Value> {
    // Mirrors the element kinds of `generate::admx`: `boolean` with enabled/disabled
    // values, `decimal`, `enum` of strings, and a `text` box holding JSON for the rest.
    let converted = match (shape, value) {
        (Shape::Bool, RegistryValue::Dword(0)) => json!(false),
        (Shape::Bool, RegistryValue::Dword(1)) => json!(true),
        (Shape::Bool, other) => {
            out.push(problem(at.to_owned(), "REG_DWORD 0 or 1", describe(other)));
            return None;
        }
        (Shape::Integer { .. }, RegistryValue::Dword(n)) => json!(n),
        (Shape::Integer { .. }, RegistryValue::Qword(n)) => json!(n),
        (Shape::Integer { min, max }, other) => {
            out.push(problem(
                at.to_owned(),
                format!("a REG_DWORD from {min} to {max}"),
                describe(other),
            ));
            return None;
        }
        (Shape::OneOf(_), RegistryValue::String(s)) => json!(s),
        (Shape::OneOf(_), other) => {
            out.push(problem(at.to_owned(), "REG_SZ", describe(other)));
            return None;
        }
        (_, RegistryValue::String(text)) => {
            return json_text(text, shape, at, out).map(|s| s.value.to_value());
        }
        (_, other) => {
            let expected = if matches!(shape, Shape::List(_)) {
                "REG_SZ holding a JSON array"
            } else {
                "REG_SZ holding JSON"
            };
            out.push(problem(at.to_owned(), expected, describe(other)));
            return None;
        }
    };
    let Ok(spanned) = json::parse(&converted.to_string()) else {
        out.push(problem(
            at.to_owned(),
            "a value Heron can read",
            converted.to_string(),
        ));
        return None;
    };
    let problems = validate::validate(&spanned, shape, at);
    if problems.is_empty() {
        Some(converted)
    } else {
        out.extend(problems.into_iter().map(|mut d| {
            // A single registry value: its name says where, a column would not.
            d.at = Position::default();
            d
        }));
        None
    }
}

/// The JSON text of a registry value, parsed and checked against `shape`; problems cite
/// lines and columns of that text (a REG_MULTI_SZ's strings are its lines).
fn json_text(text: &str, shape: &Shape, at: &str, out: &mut Vec<Diagnostic>) -> Option<Spanned> {
    let spanned = match json::parse(text) {
        Ok(spanned) => spanned,
        Err(e) => {
            out.push(in_text(Diagnostic {
                path: at.to_owned(),
                ..Diagnostic::from_syntax(e)
            }));
            return None;
        }
    };
    let problems = validate::validate(&spanned, shape, at);
    if problems.is_empty() {
        Some(spanned)
    } else {
        out.extend(problems.into_iter().map(in_text));
        None
    }
}

/// Moves a position inside a value's JSON text into the path, since the error as a whole
/// names the policy key, not that value.
fn in_text(mut d: Diagnostic) -> Diagnostic {
    if d.at.line > 0 {
        d.path = format!("{} (line {}, column {})", d.path, d.at.line, d.at.column);
        d.at = Position::default();
    }
    d
}

/// The text of a REG_SZ: up to its terminating NUL.
pub(crate) fn string_from_wide(wide: &[u16]) -> String {
    let end = wide.iter().position(|c| *c == 0).unwrap_or(wide.len());
    String::from_utf16_lossy(&wide[..end])
}

/// The strings of a REG_MULTI_SZ: NUL-terminated strings, ended by an empty one.
pub(crate) fn strings_from_wide(wide: &[u16]) -> Vec<String> {
    wide.split(|c| *c == 0)
        .take_while(|s| !s.is_empty())
        .map(String::from_utf16_lossy)
        .collect()
}

/// How deep the policy key is read: `Heron\Recommended\features` is the deepest key the
/// ADMX writes; a deeper one is an unknown key whatever it holds.
#[cfg(windows)]
const MAX_DEPTH: usize = 3;

/// Reads Group Policy's values for Heron: `None` when it sets nothing.
#[cfg(windows)]
pub(crate) fn read() -> Result<Option<PolicyDocument>, PolicyError> {
    match read_tree()? {
        Some(tree) => document_from_registry(&tree),
        None => Ok(None),
    }
}

/// The registry values' state for change detection: a hash of the whole tree.
#[cfg(windows)]
pub(crate) fn state() -> Option<(std::time::SystemTime, u64)> {
    use std::hash::{Hash as _, Hasher as _};
    let tree = read_tree().ok()??;
    let mut hasher = std::hash::DefaultHasher::new();
    tree.hash(&mut hasher);
    Some((std::time::SystemTime::UNIX_EPOCH, hasher.finish()))
}

#[cfg(windows)]
fn read_tree() -> Result<Option<RegistryKey>, PolicyError> {
    // HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND) and (ERROR_PATH_NOT_FOUND).
    const NOT_FOUND: [i32; 2] = [0x8007_0002_u32 as i32, 0x8007_0003_u32 as i32];
    let read_error = |source: std::io::Error| PolicyError::Read {
        path: REGISTRY_PATH.into(),
        source,
    };
    let key = match windows_registry::LOCAL_MACHINE.open(POLICY_KEY) {
        Ok(key) => key,
        Err(e) if NOT_FOUND.contains(&e.code().0) => return Ok(None),
        Err(e) => return Err(read_error(e.into())),
    };
    read_key(&key, 0)
        .map(Some)
        .map_err(|e| read_error(e.into()))
}

#[cfg(windows)]
fn read_key(key: &windows_registry::Key, depth: usize) -> windows_registry::Result<RegistryKey> {
    let mut tree = RegistryKey::default();
    for (name, value) in key.values()? {
        tree.values.insert(name, registry_value(&value));
    }
    for name in key.keys()? {
        let subkey = if depth < MAX_DEPTH {
            read_key(&key.open(&name)?, depth + 1)?
        } else {
            RegistryKey::default()
        };
        tree.keys.insert(name, subkey);
    }
    Ok(tree)
}

#[cfg(windows)]
fn registry_value(value: &windows_registry::Value) -> RegistryValue {
    use windows_registry::Type;
    let bytes: &[u8] = value;
    match value.ty() {
        Type::U32 => <[u8; 4]>::try_from(bytes).map_or_else(
            |_| RegistryValue::Other("a REG_DWORD of the wrong size".into()),
            |b| RegistryValue::Dword(u32::from_le_bytes(b)),
        ),
        Type::U64 => <[u8; 8]>::try_from(bytes).map_or_else(
            |_| RegistryValue::Other("a REG_QWORD of the wrong size".into()),
            |b| RegistryValue::Qword(u64::from_le_bytes(b)),
        ),
        Type::String => RegistryValue::String(string_from_wide(value.as_wide())),
        Type::MultiString => RegistryValue::MultiString(strings_from_wide(value.as_wide())),
        Type::ExpandString => RegistryValue::Other("REG_EXPAND_SZ".into()),
        Type::Bytes => RegistryValue::Other("REG_BINARY".into()),
        Type::Other(code) => RegistryValue::Other(format!("a value of registry type {code}")),
    }
}

#[cfg(test)]
mod tests;
