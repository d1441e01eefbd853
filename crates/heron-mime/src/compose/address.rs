//! Checking addresses: what a user types in an address field, and the [`Address`]
//! values the composer hands in.
//!
//! The accepted syntax is RFC 5322's `addr-spec` as mail really uses it: the local part
//! a dot-atom or a quoted string (ASCII only: a non-ASCII local part needs SMTPUTF8 and
//! could not be written in a 7-bit header), the domain a host name (an internationalised
//! one allowed, checked by converting it to punycode) or a bracketed address literal.

use crate::notes::escape_visible;

use super::{Address, ComposeError};

/// The longest local part SMTP accepts (RFC 5321 §4.5.3.1.1).
const MAX_LOCAL_PART: usize = 64;
/// The longest domain name, in its ASCII form.
const MAX_DOMAIN: usize = 253;
/// The longest label of a domain name.
const MAX_LABEL: usize = 63;

impl Address {
    /// Checks a display name and an address and builds the [`Address`]. Surrounding
    /// whitespace is trimmed; an empty name becomes `None`.
    ///
    /// The name may hold any character but control characters (CR, LF, NUL, tab, ...):
    /// those give [`ComposeError::ForbiddenCharacter`] with field `display name`; in
    /// the address, with field `address`. An address that does not parse gives
    /// [`ComposeError::InvalidAddress`].
    pub fn new(name: Option<&str>, email: &str) -> Result<Address, ComposeError> {
        let name = checked_name("display name", name)?;
        let email = checked_email("address", email)?;
        Ok(Address { name, email })
    }
}

/// The name, checked and trimmed (`None` if empty).
pub(super) fn checked_name(
    field: &'static str,
    name: Option<&str>,
) -> Result<Option<String>, ComposeError> {
    let Some(name) = name else {
        return Ok(None);
    };
    if name.chars().any(char::is_control) {
        return Err(ComposeError::ForbiddenCharacter { field });
    }
    let name = name.trim();
    Ok((!name.is_empty()).then(|| name.to_owned()))
}

/// The address, checked and trimmed.
pub(super) fn checked_email(field: &'static str, email: &str) -> Result<String, ComposeError> {
    if email.chars().any(char::is_control) {
        return Err(ComposeError::ForbiddenCharacter { field });
    }
    let email = email.trim();
    if is_valid_email(email) {
        Ok(email.to_owned())
    } else {
        Err(ComposeError::InvalidAddress {
            input: escape_visible(email),
        })
    }
}

/// Checks an [`Address`] whose fields may have been set directly.
pub(super) fn checked_address(field: &'static str, a: &Address) -> Result<Address, ComposeError> {
    Ok(Address {
        name: checked_name(field, a.name.as_deref())?,
        email: checked_email(field, &a.email)?,
    })
}

/// `atext` of RFC 5322: what an unquoted local part (and an atom in a name) may hold.
pub(super) fn is_atext(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c)
}

fn is_valid_email(email: &str) -> bool {
    // The last `@`: a quoted local part may contain one.
    let Some((local, domain)) = email.rsplit_once('@') else {
        return false;
    };
    is_valid_local_part(local) && ascii_domain(domain).is_some()
}

fn is_valid_local_part(local: &str) -> bool {
    if local.is_empty() || local.len() > MAX_LOCAL_PART {
        return false;
    }
    if let Some(inner) = local.strip_prefix('"') {
        let Some(inner) = inner.strip_suffix('"') else {
            return false;
        };
        let mut escaped = false;
        for c in inner.chars() {
            if !(' '..='~').contains(&c) {
                return false;
            }
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                return false;
            }
        }
        return !escaped;
    }
    local
        .split('.')
        .all(|atom| !atom.is_empty() && atom.chars().all(is_atext))
}

/// The domain as it goes into a header: unchanged if ASCII, punycode if it is an IDN;
/// `None` if it is not a usable domain.
pub(super) fn ascii_domain(domain: &str) -> Option<String> {
    if let Some(literal) = domain.strip_prefix('[') {
        let inner = literal.strip_suffix(']')?;
        let ok = !inner.is_empty()
            && inner
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | ':'));
        return ok.then(|| domain.to_owned());
    }
    if domain.is_empty() || domain.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    let ascii = if domain.is_ascii() {
        domain.to_owned()
    } else {
        idna::domain_to_ascii(domain).ok()?
    };
    let labels_ok = ascii.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= MAX_LABEL
            && label
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
    });
    (labels_ok && ascii.len() <= MAX_DOMAIN).then_some(ascii)
}

/// Parses what a user types in an address field: `a@b.c`, `Name <a@b.c>`,
/// `"Doe, Jane" <j@x.y>`, `张三 <zhang@x.cn>`, separated by commas or semicolons
/// (the full-width `，` and `；` that Chinese input methods produce count too). Empty
/// entries are ignored; tabs count as spaces.
///
/// Any CR, LF, NUL or other control character gives
/// [`ComposeError::ForbiddenCharacter`] with the given `field`; the first entry that
/// is not a valid address gives [`ComposeError::InvalidAddress`] naming it.
pub fn parse_address_list(field: &'static str, input: &str) -> Result<Vec<Address>, ComposeError> {
    if input.chars().any(|c| c.is_control() && c != '\t') {
        return Err(ComposeError::ForbiddenCharacter { field });
    }
    let input = input.replace('\t', " ");
    let mut out = Vec::new();
    for entry in split_entries(&input) {
        let entry = entry.trim();
        if entry.is_empty() {
            continue;
        }
        let invalid = || ComposeError::InvalidAddress {
            input: escape_visible(entry),
        };
        let (name, email) = split_entry(entry).ok_or_else(invalid)?;
        let address = match (
            checked_name(field, name.as_deref()),
            checked_email(field, email),
        ) {
            (Ok(name), Ok(email)) => Address { name, email },
            (Err(e @ ComposeError::ForbiddenCharacter { .. }), _)
            | (_, Err(e @ ComposeError::ForbiddenCharacter { .. })) => return Err(e),
            _ => return Err(invalid()),
        };
        out.push(address);
    }
    Ok(out)
}

/// Splits at separators outside quotes and angle brackets. An unterminated quote or
/// bracket keeps the rest together (and that entry then fails to parse).
fn split_entries(input: &str) -> Vec<&str> {
    let mut entries = Vec::new();
    let mut start = 0;
    let mut in_quote = false;
    let mut escaped = false;
    let mut in_angle = false;
    for (i, c) in input.char_indices() {
        if in_quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_quote = false;
            }
            continue;
        }
        match c {
            '"' => in_quote = true,
            '<' => in_angle = true,
            '>' => in_angle = false,
            ',' | ';' | '，' | '；' if !in_angle => {
                entries.push(&input[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    entries.push(&input[start..]);
    entries
}

/// One entry as (display name, address text), or `None` if its shape is wrong.
fn split_entry(entry: &str) -> Option<(Option<String>, &str)> {
    let Some(open) = find_outside_quotes(entry, '<') else {
        // A bare address; a quoted local part keeps its quotes.
        return Some((None, entry));
    };
    let rest = &entry[open + 1..];
    let close = rest.find('>')?;
    if !rest[close + 1..].trim().is_empty() {
        return None;
    }
    let name = unquote_phrase(&entry[..open])?;
    Some(((!name.is_empty()).then_some(name), rest[..close].trim()))
}

fn find_outside_quotes(s: &str, needle: char) -> Option<usize> {
    let mut in_quote = false;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if in_quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_quote = false;
            }
        } else if c == '"' {
            in_quote = true;
        } else if c == needle {
            return Some(i);
        }
    }
    None
}

/// The display name a phrase stands for: quoted parts taken literally (backslash
/// escapes removed), runs of spaces outside quotes collapsed. `None` if a quote is
/// left open.
fn unquote_phrase(phrase: &str) -> Option<String> {
    let mut out = String::new();
    let mut in_quote = false;
    let mut escaped = false;
    let mut space = false;
    for c in phrase.trim().chars() {
        if in_quote {
            if escaped {
                out.push(c);
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_quote = false;
            } else {
                out.push(c);
            }
        } else if c == '"' {
            if space {
                out.push(' ');
                space = false;
            }
            in_quote = true;
        } else if c == ' ' {
            space = !out.is_empty();
        } else {
            if space {
                out.push(' ');
                space = false;
            }
            out.push(c);
        }
    }
    (!in_quote).then(|| out.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(name: Option<&str>, email: &str) -> Address {
        Address {
            name: name.map(str::to_owned),
            email: email.to_owned(),
        }
    }

    #[test]
    fn parses_the_usual_forms() {
        let list = parse_address_list(
            "to",
            r#"a@b.c, Ann Example <ann@example.com>; "Doe, Jane" <j@x.y>，张三 <zhang@x.cn>"#,
        )
        .unwrap();
        assert_eq!(
            list,
            [
                addr(None, "a@b.c"),
                addr(Some("Ann Example"), "ann@example.com"),
                addr(Some("Doe, Jane"), "j@x.y"),
                addr(Some("张三"), "zhang@x.cn"),
            ]
        );
    }

    #[test]
    fn quoted_names_keep_separators_and_escapes() {
        let list = parse_address_list(
            "to",
            r#""Smith; John \"JJ\"" <john@x.org>;;  , <bare@x.org>"#,
        )
        .unwrap();
        assert_eq!(
            list,
            [
                addr(Some(r#"Smith; John "JJ""#), "john@x.org"),
                addr(None, "bare@x.org"),
            ]
        );
    }

    #[test]
    fn empty_input_is_an_empty_list() {
        assert_eq!(parse_address_list("cc", " , ;\t ").unwrap(), []);
    }

    #[test]
    fn quoted_local_part_and_idn_domain_are_accepted() {
        let list = parse_address_list("to", r#""john doe"@x.org, 李四 <li@例子.中国>"#).unwrap();
        assert_eq!(
            list,
            [
                addr(None, "\"john doe\"@x.org"),
                addr(Some("李四"), "li@例子.中国"),
            ]
        );
    }

    #[test]
    fn invalid_entries_are_named() {
        for bad in [
            "a@",
            "<>",
            "a b@c",
            "x@y>z",
            "@x.org",
            "a..b@x.org",
            "a@x..org",
            "Ann <a@x.org",
            "\"Ann <a@x.org>",
            "Ann <a@x.org> trailing",
            "a@[1.2.3.4",
            "张三@x.cn",
            "a@exa mple.com",
        ] {
            let err = parse_address_list("to", &format!("ok@x.org, {bad}")).unwrap_err();
            assert_eq!(
                err,
                ComposeError::InvalidAddress {
                    input: bad.to_owned()
                },
                "{bad}"
            );
        }
    }

    #[test]
    fn control_characters_name_the_field() {
        for input in [
            "a@b.c\r\nBcc: x@y.z",
            "Ann\n <a@b.c>",
            "a@b.c\0",
            "\"A\rB\" <a@b.c>",
            "a\u{1}@b.c",
        ] {
            assert_eq!(
                parse_address_list("cc", input),
                Err(ComposeError::ForbiddenCharacter { field: "cc" }),
                "{input:?}"
            );
        }
    }

    #[test]
    fn address_new_checks_and_trims() {
        assert_eq!(
            Address::new(Some("  Ann  "), " ann@x.org "),
            Ok(addr(Some("Ann"), "ann@x.org"))
        );
        assert_eq!(
            Address::new(Some(" "), "a@x.org"),
            Ok(addr(None, "a@x.org"))
        );
        assert_eq!(
            Address::new(Some("A\tB"), "a@x.org"),
            Err(ComposeError::ForbiddenCharacter {
                field: "display name"
            })
        );
        assert_eq!(
            Address::new(None, "a@x.org\r\n"),
            Err(ComposeError::ForbiddenCharacter { field: "address" })
        );
        assert_eq!(
            Address::new(None, "a@x.org>"),
            Err(ComposeError::InvalidAddress {
                input: "a@x.org>".into()
            })
        );
        assert!(Address::new(None, "user@[IPv6:2001:db8::1]").is_ok());
        assert!(Address::new(None, &format!("{}@x.org", "a".repeat(65))).is_err());
    }

    #[test]
    fn idn_domains_become_punycode_for_headers() {
        assert_eq!(
            ascii_domain("例子.中国").as_deref(),
            Some("xn--fsqu00a.xn--fiqs8s")
        );
        assert_eq!(ascii_domain("Example.COM").as_deref(), Some("Example.COM"));
        assert_eq!(ascii_domain("x.org."), None);
        assert_eq!(ascii_domain("a<b.org"), None);
    }
}
