//! Checking a parsed document against the description table, collecting every error.

use std::fmt;
use std::path::Path;

use crate::json::{Json, Member, Position, Spanned, SyntaxError};
use crate::schema::{Field, Shape, TextKind, placeholders};

/// One problem in a policy file, with where it is and what would be right.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Where the offending key or value starts; line 0 (`Position::default()`) where the
    /// source has no text to point into (a registry value, a property list key), and
    /// `path` alone says where.
    pub at: Position,
    /// The JSON path, e.g. `$.accounts[0].imap.port`; for the Windows registry the value
    /// under `HKLM\Software\Policies\Heron`, e.g. `features\camera`.
    pub path: String,
    /// What was expected there.
    pub expected: String,
    /// What was found.
    pub found: String,
    /// A close match for an unknown key or placeholder.
    pub did_you_mean: Option<String>,
}

impl Diagnostic {
    /// The diagnostic as `heronctl policy check` prints it, prefixed with the file.
    pub fn render(&self, file: &Path) -> String {
        if self.at.line == 0 {
            format!("{}: {self}", file.display())
        } else {
            format!("{}:{self}", file.display())
        }
    }

    pub(crate) fn from_syntax(e: SyntaxError) -> Self {
        Self {
            at: e.at,
            path: "$".to_owned(),
            expected: e.expected,
            found: e.found,
            did_you_mean: None,
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.at.line > 0 {
            write!(f, "{}:{}: ", self.at.line, self.at.column)?;
        }
        write!(
            f,
            "at {}: expected {}, found {}",
            self.path, self.expected, self.found
        )?;
        if let Some(suggestion) = &self.did_you_mean {
            write!(f, "; did you mean \"{suggestion}\"?")?;
        }
        Ok(())
    }
}

/// Checks `value` against `shape` and returns every problem, in file order.
pub fn validate(value: &Spanned, shape: &Shape, path: &str) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    check(value, shape, path, &mut out);
    out.sort_by_key(|d| d.at);
    out
}

fn push(out: &mut Vec<Diagnostic>, at: Position, path: &str, expected: String, found: String) {
    out.push(Diagnostic {
        at,
        path: path.to_owned(),
        expected,
        found,
        did_you_mean: None,
    });
}

fn quoted_list(items: &[&str]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| format!("\"{i}\"")).collect();
    match quoted.as_slice() {
        [] => "nothing".to_owned(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

fn check(value: &Spanned, shape: &Shape, path: &str, out: &mut Vec<Diagnostic>) {
    let at = value.at;
    let found = || value.value.describe();
    match (shape, &value.value) {
        (Shape::Lockable(inner), Json::Object(members)) if !matches!(**inner, Shape::Object(_)) => {
            let wrapper = [
                Field {
                    name: "value",
                    shape: (**inner).clone(),
                    required: true,
                    doc: "",
                },
                Field {
                    name: "locked",
                    shape: Shape::Bool,
                    required: false,
                    doc: "",
                },
            ];
            check_object(at, members, &wrapper, path, out);
        }
        (Shape::Lockable(inner), _) => check(value, inner, path, out),
        (Shape::Bool, Json::Bool(_)) => {}
        (Shape::Bool, _) => push(out, at, path, "true or false".into(), found()),
        (Shape::Integer { min, max }, Json::Number(n)) => match n.parse::<i64>() {
            Ok(i) if (*min..=*max).contains(&i) => {}
            _ => push(
                out,
                at,
                path,
                format!("a whole number from {min} to {max}"),
                found(),
            ),
        },
        (Shape::Integer { min, max }, _) => {
            push(
                out,
                at,
                path,
                format!("a whole number from {min} to {max}"),
                found(),
            );
        }
        (Shape::Text(kind), Json::String(s)) => check_text(at, path, *kind, s, out),
        (Shape::Text(kind), _) => push(out, at, path, describe_text(*kind), found()),
        (Shape::OneOf(choices), Json::String(s)) if choices.contains(&s.as_str()) => {}
        (Shape::OneOf(choices), _) => {
            let did_you_mean = match &value.value {
                Json::String(s) => closest(s, choices.iter().copied()),
                _ => None,
            };
            out.push(Diagnostic {
                at,
                path: path.to_owned(),
                expected: format!("one of {}", quoted_list(choices)),
                found: found(),
                did_you_mean,
            });
        }
        (Shape::List(item), Json::Array(items)) => {
            for (i, v) in items.iter().enumerate() {
                check(v, item, &format!("{path}[{i}]"), out);
            }
        }
        (Shape::List(_), _) => push(out, at, path, "an array".into(), found()),
        (Shape::Object(fields), Json::Object(members)) => {
            check_object(at, members, fields, path, out);
        }
        (Shape::Object(_), _) => push(out, at, path, "an object".into(), found()),
        (Shape::Tagged { tag, variants }, Json::Object(members)) => {
            let names: Vec<&str> = variants.iter().map(|(n, _)| *n).collect();
            let tag_member = members.iter().find(|m| m.key == *tag);
            let chosen = tag_member.and_then(|m| match &m.value.value {
                Json::String(s) => variants.iter().find(|(n, _)| n == s),
                _ => None,
            });
            match (tag_member, chosen) {
                (Some(_), Some((_, fields))) => {
                    let others: Vec<Member> =
                        members.iter().filter(|m| m.key != *tag).cloned().collect();
                    check_object(at, &others, fields, path, out);
                }
                (Some(m), None) => {
                    let did_you_mean = match &m.value.value {
                        Json::String(s) => closest(s, names.iter().copied()),
                        _ => None,
                    };
                    out.push(Diagnostic {
                        at: m.value.at,
                        path: format!("{path}.{tag}"),
                        expected: format!("one of {}", quoted_list(&names)),
                        found: m.value.value.describe(),
                        did_you_mean,
                    });
                }
                (None, _) => push(
                    out,
                    at,
                    path,
                    format!("the key \"{tag}\" ({})", quoted_list(&names)),
                    "no such key".into(),
                ),
            }
        }
        (Shape::Tagged { .. }, _) => push(out, at, path, "an object".into(), found()),
    }
}

fn check_object(
    at: Position,
    members: &[Member],
    fields: &[Field],
    path: &str,
    out: &mut Vec<Diagnostic>,
) {
    for (i, member) in members.iter().enumerate() {
        let member_path = format!("{path}.{}", member.key);
        if members[..i].iter().any(|m| m.key == member.key) {
            push(
                out,
                member.key_at,
                &member_path,
                "each key once".into(),
                format!("\"{}\" a second time", member.key),
            );
            continue;
        }
        match fields.iter().find(|f| f.name == member.key) {
            Some(field) => check(&member.value, &field.shape, &member_path, out),
            None => out.push(Diagnostic {
                at: member.key_at,
                path: member_path,
                expected: if fields.is_empty() {
                    "no keys".to_owned()
                } else if fields.len() > 8 {
                    "a key listed in docs/POLICIES.md".to_owned()
                } else {
                    format!("one of the keys {}", quoted_list(&names(fields)))
                },
                found: format!("the unknown key \"{}\"", member.key),
                did_you_mean: closest(&member.key, fields.iter().map(|f| f.name)),
            }),
        }
    }
    for f in fields.iter().filter(|f| f.required) {
        if !members.iter().any(|m| m.key == f.name) {
            push(
                out,
                at,
                path,
                format!("the required key \"{}\"", f.name),
                "no such key".into(),
            );
        }
    }
}

fn names(fields: &[Field]) -> Vec<&'static str> {
    fields.iter().map(|f| f.name).collect()
}

/// What a text kind accepts, for "expected ..." messages.
pub fn describe_text(kind: TextKind) -> String {
    match kind {
        TextKind::Any => "a string".into(),
        TextKind::NonEmpty => "a non-empty string".into(),
        TextKind::AccountId => "an account id (1 to 64 of the characters A-Z a-z 0-9 - _ .)".into(),
        TextKind::Template(allowed) => {
            let names: Vec<String> = allowed.iter().map(|n| format!("${{{n}}}")).collect();
            format!("a string with only the placeholders {}", names.join(", "))
        }
        TextKind::Url(schemes) => {
            let s: Vec<String> = schemes.iter().map(|s| format!("{s}://")).collect();
            format!("a URL starting with {}", s.join(" or "))
        }
        TextKind::Date => "a date like \"2026-01-31\"".into(),
        TextKind::Domain => "a domain name like \"corp.example\"".into(),
    }
}

fn check_text(at: Position, path: &str, kind: TextKind, s: &str, out: &mut Vec<Diagnostic>) {
    let ok = match kind {
        TextKind::Any => true,
        TextKind::NonEmpty => !s.trim().is_empty(),
        TextKind::AccountId => heron_model::AccountId::new(s).is_ok(),
        TextKind::Template(allowed) => {
            for (start, name) in placeholders(s) {
                if !s[start..].contains('}') {
                    // `${domain` without its brace would fail on every machine later,
                    // with a message about an unknown user field.
                    out.push(Diagnostic {
                        at,
                        path: path.to_owned(),
                        expected: "a placeholder closed with }".to_owned(),
                        found: format!("\"${{{name}\""),
                        did_you_mean: allowed.contains(&name).then(|| format!("${{{name}}}")),
                    });
                } else if !allowed.contains(&name) {
                    out.push(Diagnostic {
                        at,
                        path: path.to_owned(),
                        expected: describe_text(kind),
                        found: format!("\"${{{name}}}\""),
                        did_you_mean: closest(name, allowed.iter().copied())
                            .map(|n| format!("${{{n}}}")),
                    });
                }
            }
            return;
        }
        TextKind::Url(schemes) => schemes.iter().any(|scheme| {
            s.strip_prefix(scheme)
                .and_then(|r| r.strip_prefix("://"))
                .is_some_and(|rest| !rest.is_empty() && !rest.contains(char::is_whitespace))
        }),
        TextKind::Date => is_date(s),
        TextKind::Domain => {
            !s.is_empty()
                && s.split('.').all(|label| {
                    !label.is_empty()
                        && label
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                })
        }
    };
    if !ok {
        push(out, at, path, describe_text(kind), format!("{s:?}"));
    }
}

fn is_date(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    let number = |p: &str, len: usize| {
        (p.len() == len && p.bytes().all(|b| b.is_ascii_digit())).then(|| p.parse::<u32>().ok())
    };
    match parts.as_slice() {
        [y, m, d] => matches!(
            (number(y, 4), number(m, 2), number(d, 2)),
            (Some(Some(_)), Some(Some(1..=12)), Some(Some(1..=31)))
        ),
        _ => false,
    }
}

/// The candidate closest to `word` by edit distance, if it is close enough to be a typo.
pub fn closest<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> Option<String> {
    let limit = (word.chars().count() / 3).max(2);
    candidates
        .map(|c| {
            // A truncated name ("user" for "username") is a typo too, however short.
            let truncated = word.chars().count() >= 3 && c.starts_with(word);
            (if truncated { 1 } else { edit_distance(word, c) }, c)
        })
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c.to_owned())
}

/// Levenshtein distance over characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            let best = (previous[j] + cost)
                .min(previous[j + 1] + 1)
                .min(current[j] + 1);
            current.push(best);
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse;
    use crate::schema::policy_shape;

    fn errors(text: &str) -> Vec<String> {
        let doc = parse(text).unwrap();
        validate(&doc, &policy_shape(), "$")
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn every_error_is_reported_not_only_the_first() {
        let found = errors(
            r#"{"features": {"remote_contnet": false, "camera": "yes"},
                "updates": {"value": "sometimes", "locked": true}}"#,
        );
        assert_eq!(found.len(), 3, "{found:#?}");
        assert!(
            found[0].contains("did you mean \"remote_content\""),
            "{}",
            found[0]
        );
        assert!(found[1].contains("at $.features.camera: expected true or false"));
        assert!(found[2].contains("at $.updates.value: expected one of"));
    }

    #[test]
    fn lock_wrappers_and_plain_values_are_both_accepted() {
        assert!(
            errors(
                r#"{"features": {"camera": false, "send_later": {"value": true, "locked": true}}}"#
            )
            .is_empty()
        );
        assert_eq!(
            errors(r#"{"features": {"camera": {"locked": true}}}"#).len(),
            1
        );
    }

    #[test]
    fn edit_distance_suggests_only_close_words() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(
            closest("acounts", ["accounts", "security"].into_iter()).as_deref(),
            Some("accounts")
        );
        assert_eq!(closest("zzz", ["accounts"].into_iter()), None);
    }

    #[test]
    fn dates_are_checked() {
        assert!(is_date("2026-02-28"));
        assert!(!is_date("2026-13-01"));
        assert!(!is_date("26-01-01"));
    }
}
