//! Typed encoders for every string that reaches an IMAP command.
//!
//! Commands are built by string concatenation (async-imap takes the command text as is),
//! so anything that comes from a user, a mail or a server must pass through one of these
//! functions first. Each of them refuses CR, LF and NUL outright: a CRLF smuggled into an
//! argument would end the command early and let the rest run as a command of its own.

use base64::Engine as _;
use base64::alphabet::IMAP_MUTF7;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

/// Why a value cannot be put into an IMAP command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// CR, LF or NUL: never allowed, not even inside a literal.
    #[error("Forbidden control character {ch:?} at byte {position}")]
    ForbiddenControl {
        /// The offending character: `'\r'`, `'\n'` or `'\0'`.
        ch: char,
        /// Byte offset of the character within the argument being encoded.
        position: usize,
    },
    /// The value is not printable ASCII, so only a literal can carry it, and the server
    /// did not announce LITERAL+ (a synchronizing literal needs a round trip the command
    /// builder cannot make).
    #[error("Value needs a literal but the server does not support LITERAL+")]
    NeedsLiteral,
    /// An empty UID set has no valid IMAP syntax.
    #[error("Empty UID set")]
    EmptyUidSet,
    /// UIDs start at 1; 0 means a bug upstream, not a message.
    #[error("UID 0 is not a valid message UID")]
    ZeroUid,
    /// Not a settable system flag and not a keyword atom.
    #[error("Invalid flag {flag:?}")]
    InvalidFlag {
        /// The flag as given by the caller.
        flag: String,
    },
}

/// Modified BASE64 of RFC 3501 §5.1.3: ',' instead of '/', never padded, and strict on
/// decoding so that only the canonical form is accepted.
const MODIFIED_BASE64: GeneralPurpose = GeneralPurpose::new(
    &IMAP_MUTF7,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone),
);

/// System flags a client may set; `\Recent` is server-managed, so it is left out.
const SYSTEM_FLAGS: [&str; 5] = ["\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft"];

/// Encodes a mailbox name as modified UTF-7 and returns it as a quoted string, ready to be
/// placed in a command: `"INBOX"` comes out as `"\"INBOX\""`.
///
/// Quoting is unconditional because modified UTF-7 is printable ASCII, so a quoted string
/// can always carry it and the caller never has to think about atoms versus literals.
pub fn mailbox_name(name: &str) -> Result<String, EncodeError> {
    reject_controls(name)?;
    Ok(quoted(&encode_modified_utf7(name)))
}

/// Decodes a mailbox name as the server sent it (modified UTF-7) into UTF-8 for display.
///
/// Input that is not canonical modified UTF-7 (unterminated shifts, bad base64, lone
/// surrogates, ASCII hidden in base64, raw 8-bit from a server that ignores the RFC), or
/// that would decode to CR, LF or NUL, is returned unchanged: showing the raw name beats losing the mailbox. Because only the
/// canonical form is decoded, `mailbox_name(&decode_mailbox_name(w))` addresses `w` again
/// whenever decoding changed anything; callers addressing a mailbox whose name did not
/// decode must keep the wire name.
pub fn decode_mailbox_name(wire: &str) -> String {
    decode_modified_utf7(wire).unwrap_or_else(|| wire.to_owned())
}

/// Encodes a string argument (search term, header value): a quoted string when every byte
/// is printable ASCII, otherwise a non-synchronizing literal `{N+}\r\n<bytes>`.
///
/// A literal needs LITERAL+ because commands are sent in one piece; without it the server
/// would wait for a continuation we never read, so this returns
/// [`EncodeError::NeedsLiteral`] and the caller must pick another strategy.
pub fn string_arg(s: &str, literal_plus: bool) -> Result<String, EncodeError> {
    reject_controls(s)?;
    if s.bytes().all(is_printable_ascii) {
        Ok(quoted(s))
    } else if literal_plus {
        Ok(format!("{{{}+}}\r\n{s}", s.len()))
    } else {
        Err(EncodeError::NeedsLiteral)
    }
}

/// Encodes UIDs as an IMAP sequence set, sorted, without duplicates and with consecutive
/// runs collapsed (`1:5,7,9:12`), which keeps commands short for large selections.
pub fn uid_set(uids: &[u32]) -> Result<String, EncodeError> {
    let mut sorted = uids.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let (&first, rest) = sorted.split_first().ok_or(EncodeError::EmptyUidSet)?;
    if first == 0 {
        return Err(EncodeError::ZeroUid);
    }

    let mut out = String::new();
    let (mut start, mut end) = (first, first);
    for &uid in rest {
        // Sorted and deduplicated, so `uid > end` and the subtraction cannot underflow.
        if uid - end == 1 {
            end = uid;
        } else {
            push_range(&mut out, start, end);
            (start, end) = (uid, uid);
        }
    }
    push_range(&mut out, start, end);
    Ok(out)
}

/// Encodes a parenthesised flag list such as `(\Seen \Flagged)` for STORE or APPEND.
///
/// Only settable system flags (matched case-insensitively, written in canonical case) and
/// keyword atoms are accepted; anything else could change the meaning of the command.
pub fn flag_list(flags: &[&str]) -> Result<String, EncodeError> {
    let mut encoded = Vec::with_capacity(flags.len());
    for &flag in flags {
        reject_controls(flag)?;
        let system = SYSTEM_FLAGS
            .iter()
            .find(|system| system.eq_ignore_ascii_case(flag));
        match system {
            Some(&system) => encoded.push(system),
            None if !flag.is_empty() && flag.bytes().all(is_atom_char) => encoded.push(flag),
            None => {
                return Err(EncodeError::InvalidFlag {
                    flag: flag.to_owned(),
                });
            }
        }
    }
    Ok(format!("({})", encoded.join(" ")))
}

fn reject_controls(s: &str) -> Result<(), EncodeError> {
    match s
        .char_indices()
        .find(|&(_, ch)| matches!(ch, '\r' | '\n' | '\0'))
    {
        Some((position, ch)) => Err(EncodeError::ForbiddenControl { ch, position }),
        None => Ok(()),
    }
}

fn is_printable_ascii(byte: u8) -> bool {
    (0x20..=0x7e).contains(&byte)
}

/// RFC 3501 ATOM-CHAR: printable ASCII except SP and atom-specials.
fn is_atom_char(byte: u8) -> bool {
    (0x21..=0x7e).contains(&byte) && !b"(){%*\"\\]".contains(&byte)
}

fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for ch in s.chars() {
        if matches!(ch, '"' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out.push('"');
    out
}

fn push_range(out: &mut String, start: u32, end: u32) {
    if !out.is_empty() {
        out.push(',');
    }
    if start == end {
        out.push_str(&start.to_string());
    } else {
        out.push_str(&format!("{start}:{end}"));
    }
}

fn encode_modified_utf7(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut pending: Vec<u8> = Vec::new();
    for ch in name.chars() {
        if ch.is_ascii() && is_printable_ascii(ch as u8) {
            flush_shifted(&mut out, &mut pending);
            if ch == '&' {
                out.push_str("&-");
            } else {
                out.push(ch);
            }
        } else {
            let mut units = [0u16; 2];
            for unit in ch.encode_utf16(&mut units) {
                pending.extend_from_slice(&unit.to_be_bytes());
            }
        }
    }
    flush_shifted(&mut out, &mut pending);
    out
}

/// Writes one shifted run; whole runs are encoded at once because splitting them would
/// produce a different (non-canonical) spelling of the same name.
fn flush_shifted(out: &mut String, pending: &mut Vec<u8>) {
    if !pending.is_empty() {
        out.push('&');
        MODIFIED_BASE64.encode_string(&pending, out);
        out.push('-');
        pending.clear();
    }
}

fn decode_modified_utf7(wire: &str) -> Option<String> {
    let mut out = String::with_capacity(wire.len());
    let mut rest = wire;
    while let Some((plain, shifted)) = rest.split_once('&') {
        out.push_str(plain);
        let (base64, after) = shifted.split_once('-')?;
        if base64.is_empty() {
            out.push('&');
        } else {
            let bytes = MODIFIED_BASE64.decode(base64).ok()?;
            let (units, odd) = bytes.as_chunks::<2>();
            if !odd.is_empty() {
                return None;
            }
            for ch in char::decode_utf16(units.iter().map(|&pair| u16::from_be_bytes(pair))) {
                out.push(ch.ok()?);
            }
        }
        rest = after;
    }
    out.push_str(rest);
    // A name the encoder would refuse must not come back from the decoder either, or
    // the caller could display it but never address it.
    if reject_controls(&out).is_err() {
        return None;
    }
    // Re-encoding catches every non-canonical spelling at once (ASCII inside base64,
    // split runs, raw 8-bit or control characters), so two wire names never decode to
    // the same display name.
    (encode_modified_utf7(&out) == wire).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3501_example_round_trips() {
        let name = "~peter/mail/台北/日本語";
        let wire = "~peter/mail/&U,BTFw-/&ZeVnLIqe-";
        assert_eq!(encode_modified_utf7(name), wire);
        assert_eq!(mailbox_name(name).unwrap(), format!("\"{wire}\""));
        assert_eq!(decode_mailbox_name(wire), name);
    }

    #[test]
    fn plain_names_are_quoted() {
        assert_eq!(mailbox_name("INBOX").unwrap(), "\"INBOX\"");
        assert_eq!(mailbox_name("").unwrap(), "\"\"");
        assert_eq!(mailbox_name("a\"b\\c").unwrap(), r#""a\"b\\c""#);
    }

    #[test]
    fn ampersand_round_trips() {
        assert_eq!(encode_modified_utf7("Tom & Jerry"), "Tom &- Jerry");
        assert_eq!(decode_mailbox_name("Tom &- Jerry"), "Tom & Jerry");
        assert_eq!(encode_modified_utf7("&&台"), "&-&-&U,A-");
        assert_eq!(decode_mailbox_name("&-&-&U,A-"), "&&台");
    }

    #[test]
    fn chinese_names_round_trip() {
        for name in ["收件箱", "已发送邮件", "草稿箱/2024 年", "垃圾邮件&广告"] {
            let wire = encode_modified_utf7(name);
            assert!(wire.bytes().all(is_printable_ascii), "{wire}");
            assert_eq!(decode_mailbox_name(&wire), name);
        }
    }

    #[test]
    fn emoji_use_surrogate_pairs() {
        // U+1F600 is D83D DE00 in UTF-16.
        assert_eq!(encode_modified_utf7("😀"), "&2D3eAA-");
        assert_eq!(decode_mailbox_name("&2D3eAA-"), "😀");
        assert_eq!(decode_mailbox_name("Fun &2D3eAA- stuff"), "Fun 😀 stuff");
    }

    #[test]
    fn invalid_modified_utf7_is_returned_unchanged() {
        for wire in [
            "&",          // unterminated shift
            "&U,BTFw",    // missing '-'
            "&AGE-",      // 'a' hidden in base64
            "&2D0-",      // lone high surrogate
            "&3gA-",      // lone low surrogate
            "&U,B-",      // trailing bits set
            "&U,A=-",     // padding
            "&U!A-",      // not a base64 character
            "&AA-",       // odd number of bytes
            "&AAA-",      // NUL, which no command could carry back
            "&U,A-&U,A-", // split run: not what an encoder would write
            "台北",       // raw UTF-8 from a server ignoring the RFC
            "tab\there",  // raw control character
        ] {
            assert_eq!(decode_mailbox_name(wire), wire);
        }
    }

    #[test]
    fn round_trip_over_generated_names() {
        const POOL: &[char] = &[
            'a',
            'Z',
            '0',
            ' ',
            '&',
            '-',
            '/',
            '.',
            '"',
            '\\',
            '~',
            '+',
            ',',
            '\t',
            '\u{7f}',
            '\u{80}',
            'é',
            'ß',
            '台',
            '北',
            '語',
            '\u{ffff}',
            '😀',
            '🦀',
            '\u{10ffff}',
        ];
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move || {
            // Knuth's MMIX LCG: deterministic, no crate needed.
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) as usize
        };
        for _ in 0..500 {
            let len = next() % 12;
            let name: String = (0..len).map(|_| POOL[next() % POOL.len()]).collect();
            let wire = encode_modified_utf7(&name);
            assert!(wire.bytes().all(is_printable_ascii), "{name:?} -> {wire}");
            assert_eq!(decode_mailbox_name(&wire), name, "{wire}");
            assert_eq!(mailbox_name(&name).unwrap(), quoted(&wire));
        }
    }

    #[test]
    fn control_characters_are_rejected_everywhere() {
        for (ch, input) in [('\r', "ab\rc"), ('\n', "ab\nc"), ('\0', "ab\0c")] {
            let expected = Err(EncodeError::ForbiddenControl { ch, position: 2 });
            assert_eq!(mailbox_name(input), expected);
            assert_eq!(string_arg(input, false), expected);
            assert_eq!(string_arg(input, true), expected);
            assert_eq!(flag_list(&["\\Seen", input]), expected);
        }
        // Position is a byte offset, also after multi-byte characters.
        assert_eq!(
            string_arg("台\r\n", true),
            Err(EncodeError::ForbiddenControl {
                ch: '\r',
                position: 3
            })
        );
    }

    #[test]
    fn string_args_quote_printable_ascii() {
        assert_eq!(string_arg("hello world", false).unwrap(), "\"hello world\"");
        assert_eq!(string_arg("", false).unwrap(), "\"\"");
        assert_eq!(
            string_arg(r#"say "hi" \o/"#, false).unwrap(),
            r#""say \"hi\" \\o/""#
        );
    }

    #[test]
    fn string_args_use_literal_plus_for_non_ascii() {
        assert_eq!(string_arg("台北", true).unwrap(), "{6+}\r\n台北");
        assert_eq!(string_arg("a\tb", true).unwrap(), "{3+}\r\na\tb");
        assert_eq!(string_arg("台北", false), Err(EncodeError::NeedsLiteral));
    }

    #[test]
    fn uid_sets_are_sorted_deduplicated_and_compressed() {
        assert_eq!(uid_set(&[7]).unwrap(), "7");
        assert_eq!(
            uid_set(&[12, 1, 2, 3, 4, 5, 7, 9, 10, 11, 3]).unwrap(),
            "1:5,7,9:12"
        );
        assert_eq!(uid_set(&[1, 3, 5]).unwrap(), "1,3,5");
        assert_eq!(
            uid_set(&[u32::MAX, u32::MAX - 1]).unwrap(),
            "4294967294:4294967295"
        );
        assert_eq!(uid_set(&[]), Err(EncodeError::EmptyUidSet));
        assert_eq!(uid_set(&[3, 0]), Err(EncodeError::ZeroUid));
    }

    #[test]
    fn flag_lists_accept_system_flags_and_keywords() {
        assert_eq!(
            flag_list(&["\\Seen", "\\Flagged"]).unwrap(),
            r"(\Seen \Flagged)"
        );
        assert_eq!(
            flag_list(&["\\seen", "$Forwarded", "Junk"]).unwrap(),
            r"(\Seen $Forwarded Junk)"
        );
        assert_eq!(flag_list(&[]).unwrap(), "()");
    }

    #[test]
    fn flag_lists_reject_anything_else() {
        for flag in [
            "",
            "\\Recent",
            "\\*",
            "\\Custom",
            "two words",
            "a(b",
            "x]",
            "50%",
            "\"q\"",
            "é",
        ] {
            assert_eq!(
                flag_list(&[flag]),
                Err(EncodeError::InvalidFlag {
                    flag: flag.to_owned()
                }),
                "{flag:?}"
            );
        }
    }
}
