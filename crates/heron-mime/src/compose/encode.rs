//! The typed encoders every outgoing byte goes through: header folding, RFC 2047
//! encoded words, RFC 2231 parameters, quoted-printable and base64. All output is
//! 7-bit ASCII; nothing here checks input (the builder has done that).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::address::is_atext;

/// The line length headers are folded to (RFC 5322 §2.1.1 "SHOULD").
pub(super) const FOLD_AT: usize = 78;

/// The longest payload of one encoded word. With `=?utf-8?B?` and `?=` a word is at
/// most 64 characters, so it fits on a line after any header name we write and after
/// `name="` on a parameter line, within [`FOLD_AT`].
const WORD_PAYLOAD: usize = 52;

/// Bytes of text per B-encoded word: 39 bytes are 52 base64 characters.
const B_WORD_BYTES: usize = WORD_PAYLOAD / 4 * 3;

/// Percent-encoded characters per RFC 2231 segment; with ` filename*12*=` and `;`
/// the line stays within [`FOLD_AT`].
const RFC2231_SEGMENT: usize = 56;

/// The longest ASCII file name written as a plain quoted parameter; longer ones use
/// RFC 2231 continuations (and a shortened fallback).
const PLAIN_NAME_MAX: usize = 60;

/// Writes `Name: token token ...` with CRLF, folding before a token (at the space that
/// separates it from the previous one) when the line would pass [`FOLD_AT`]. Tokens
/// longer than a line stay whole; callers keep them well under 998 characters.
pub(super) fn fold_header(out: &mut String, name: &str, tokens: &[String]) {
    out.push_str(name);
    out.push(':');
    let mut line_len = name.len() + 1;
    for (i, token) in tokens.iter().enumerate() {
        // Never fold before the first token or an empty one (that would leave a line
        // of nothing but white space).
        if i > 0 && !token.is_empty() && line_len + 1 + token.len() > FOLD_AT {
            out.push_str("\r\n");
            line_len = 0;
        }
        out.push(' ');
        out.push_str(token);
        line_len += 1 + token.len();
    }
    out.push_str("\r\n");
}

/// Text made of printable ASCII, spaces and tabs, with no `=?` that a reader could
/// mistake for an encoded word.
fn is_plain_ascii(text: &str) -> bool {
    text.chars().all(|c| c == '\t' || (' '..='~').contains(&c)) && !text.contains("=?")
}

/// The tokens of an unstructured header (Subject): the words as they are when the
/// text is plain ASCII that folds at its spaces, else RFC 2047 encoded words (which
/// keep every space, leading and trailing ones included).
pub(super) fn unstructured_tokens(text: &str) -> Vec<String> {
    let plain = is_plain_ascii(text)
        && !text.starts_with([' ', '\t'])
        && !text.ends_with([' ', '\t'])
        && text.split(' ').all(|w| w.len() <= 900);
    if plain {
        text.split(' ').map(str::to_owned).collect()
    } else {
        encoded_words(text)
    }
}

/// The tokens of a display name in an address header: an atom phrase (of short
/// atoms) as is, other short ASCII names quoted, the rest (non-ASCII, long, or
/// looking like an encoded word) as encoded words.
pub(super) fn phrase_tokens(name: &str) -> Vec<String> {
    let atoms = name
        .split(' ')
        .all(|w| !w.is_empty() && w.len() <= PLAIN_NAME_MAX && w.chars().all(is_atext));
    if atoms && !name.contains("=?") {
        return name.split(' ').map(str::to_owned).collect();
    }
    if is_plain_ascii(name) && !name.contains('\t') && name.len() <= PLAIN_NAME_MAX {
        return vec![quoted(name)];
    }
    encoded_words(name)
}

/// A quoted string with `"` and `\` escaped.
pub(super) fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        if matches!(c, '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// Characters a Q-encoded word may carry as themselves anywhere, phrases included
/// (RFC 2047 §5 (3)).
fn q_literal(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'!' | b'*' | b'+' | b'-' | b'/')
}

fn q_len(b: u8) -> usize {
    if q_literal(b) || b == b' ' { 1 } else { 3 }
}

/// Splits `text` into RFC 2047 encoded words (UTF-8; B or Q, whichever is shorter for
/// the whole text), each holding whole characters, so a reader that decodes word by
/// word never sees half a character. Adjacent encoded words are joined without the
/// space between them when decoded, so the text comes back exactly.
pub(super) fn encoded_words(text: &str) -> Vec<String> {
    let q_total: usize = text.bytes().map(q_len).sum();
    let b_total = text.len().div_ceil(3) * 4;
    let use_b = b_total < q_total;
    let mut words = Vec::new();
    let mut chunk = String::new();
    let mut chunk_cost = 0;
    for c in text.chars() {
        let mut buf = [0u8; 4];
        let bytes = c.encode_utf8(&mut buf).as_bytes();
        let cost = if use_b {
            bytes.len()
        } else {
            bytes.iter().map(|&b| q_len(b)).sum()
        };
        let budget = if use_b { B_WORD_BYTES } else { WORD_PAYLOAD };
        if chunk_cost + cost > budget && !chunk.is_empty() {
            words.push(encode_word(&chunk, use_b));
            chunk.clear();
            chunk_cost = 0;
        }
        chunk.push(c);
        chunk_cost += cost;
    }
    if !chunk.is_empty() {
        words.push(encode_word(&chunk, use_b));
    }
    words
}

fn encode_word(chunk: &str, use_b: bool) -> String {
    if use_b {
        return format!("=?utf-8?B?{}?=", STANDARD.encode(chunk.as_bytes()));
    }
    let mut out = String::from("=?utf-8?Q?");
    for b in chunk.bytes() {
        if q_literal(b) {
            out.push(char::from(b));
        } else if b == b' ' {
            out.push('_');
        } else {
            out.push_str(&format!("={b:02X}"));
        }
    }
    out.push_str("?=");
    out
}

/// The parameters naming a file: for Content-Disposition (`param` = `filename`) the
/// RFC 2231 form first when the name is not short plain ASCII (mail-parser, like most
/// readers, takes the first `filename` it finds, and RFC 2231 readers prefer it
/// anyway), then a plain `filename="..."` fallback; for Content-Type (`name`) only
/// the fallback. The fallback is ASCII: the name itself if it is short plain ASCII,
/// else one RFC 2047 encoded word (what Outlook-era readers decode), shortened to
/// fit one word while keeping the extension.
pub(super) fn file_name_params(param: &str, name: &str, with_rfc2231: bool) -> Vec<String> {
    let plain = is_plain_ascii(name) && !name.contains('\t') && name.len() <= PLAIN_NAME_MAX;
    let mut out = Vec::new();
    if plain {
        out.push(format!("{param}={}", quoted(name)));
        return out;
    }
    if with_rfc2231 {
        out.extend(rfc2231_params(param, name));
    }
    out.push(format!("{param}={}", quoted(&fallback_name(name))));
    out
}

fn rfc2231_params(param: &str, value: &str) -> Vec<String> {
    let mut segments: Vec<String> = vec![String::new()];
    for c in value.chars() {
        let mut buf = [0u8; 4];
        let mut piece = String::new();
        for &b in c.encode_utf8(&mut buf).as_bytes() {
            if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
                piece.push(char::from(b));
            } else {
                piece.push_str(&format!("%{b:02X}"));
            }
        }
        // Segments end on character boundaries: mail-parser decodes each segment's
        // bytes to text on its own.
        if let Some(last) = segments.last_mut()
            && last.len() + piece.len() <= RFC2231_SEGMENT
        {
            last.push_str(&piece);
        } else {
            segments.push(piece);
        }
    }
    if segments.len() == 1 {
        return vec![format!("{param}*=utf-8''{}", segments[0])];
    }
    segments
        .iter()
        .enumerate()
        .map(|(i, s)| {
            if i == 0 {
                format!("{param}*0*=utf-8''{s}")
            } else {
                format!("{param}*{i}*={s}")
            }
        })
        .collect()
}

/// The ASCII stand-in for a file name that needs RFC 2231.
fn fallback_name(name: &str) -> String {
    let (stem, ext) = split_extension(name);
    if is_plain_ascii(name) && !name.contains('\t') {
        let keep = PLAIN_NAME_MAX.saturating_sub(ext.len() + 1);
        let stem: String = stem.chars().take(keep).collect();
        return format!("{stem}~{ext}");
    }
    let full = encoded_words(name);
    if full.len() == 1 {
        return full.concat();
    }
    let stem: Vec<char> = stem.chars().collect();
    for keep in (0..stem.len()).rev() {
        let short: String = stem[..keep].iter().collect::<String>() + "~" + ext;
        let words = encoded_words(&short);
        if words.len() == 1 {
            return words.concat();
        }
    }
    // Only an absurd extension gets here; a name the recipient can still open.
    "attachment".to_owned()
}

/// (stem, extension with its dot) when the name ends in a short extension.
fn split_extension(name: &str) -> (&str, &str) {
    match name.rfind('.') {
        Some(i) if i > 0 && name.len() - i <= 12 && !name[i..].contains(' ') => {
            (&name[..i], &name[i..])
        }
        _ => (name, ""),
    }
}

/// Normalises line endings: every CR, LF or CRLF becomes one CRLF.
pub(super) fn crlf_normalised(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + data.len() / 32);
    let mut i = 0;
    while i < data.len() {
        match data[i] {
            b'\r' => {
                out.extend_from_slice(b"\r\n");
                if data.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
            }
            b'\n' => out.extend_from_slice(b"\r\n"),
            b => out.push(b),
        }
        i += 1;
    }
    out
}

/// Quoted-printable (RFC 2045 §6.7) of CRLF-normalised data: each CRLF is a hard line
/// break, lines are at most 76 characters (soft breaks never split an `=XX`), `=`,
/// non-ASCII, control characters and white space before a line end are encoded, and a
/// `.` starting a line is written `=2E` (and `From ` as `=46rom `) so no transport
/// that mishandles dot-stuffing or mbox "From " lines can change the text.
pub(super) fn quoted_printable(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + data.len() / 4);
    let mut lines = data.split(|&b| b == b'\n').peekable();
    while let Some(line) = lines.next() {
        let has_next = lines.peek().is_some();
        // `split` leaves each CRLF's CR at the end of its line.
        let line = if has_next {
            line.strip_suffix(b"\r").unwrap_or(line)
        } else {
            line
        };
        qp_line(line, &mut out);
        if has_next {
            out.extend_from_slice(b"\r\n");
        }
    }
    out
}

fn qp_line(line: &[u8], out: &mut Vec<u8>) {
    let mut len = 0;
    for (i, &b) in line.iter().enumerate() {
        let last = i + 1 == line.len();
        let literal = |at_start: bool| match b {
            b'=' => false,
            b' ' | b'\t' => !last,
            b'.' => !at_start,
            b'F' => !(at_start && line[i..].starts_with(b"From ")),
            0x21..=0x7E => true,
            _ => false,
        };
        let mut lit = literal(len == 0);
        let cost = if lit { 1 } else { 3 };
        // The last piece of a line may use the 76th column; others leave it for `=`.
        let limit = if last { 76 } else { 75 };
        if len + cost > limit {
            out.extend_from_slice(b"=\r\n");
            len = 0;
            lit = literal(true);
        }
        if lit {
            out.push(b);
            len += 1;
        } else {
            out.extend_from_slice(format!("={b:02X}").as_bytes());
            len += 3;
        }
    }
}

/// Base64 in lines of 76 characters separated by CRLF (no CRLF after the last).
pub(super) fn base64_lines(data: &[u8]) -> Vec<u8> {
    let encoded = STANDARD.encode(data);
    let mut out = Vec::with_capacity(encoded.len() + encoded.len() / 76 * 2);
    for (i, chunk) in encoded.as_bytes().chunks(76).enumerate() {
        if i > 0 {
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(chunk);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_qp(data: &[u8]) -> Vec<u8> {
        mail_parser::decoders::quoted_printable::quoted_printable_decode(data).unwrap()
    }

    #[test]
    fn folding_keeps_lines_short_and_unfolds_to_the_same_text() {
        let tokens: Vec<String> =
            "one two three four five six seven eight nine ten eleven twelve thirteen fourteen"
                .split(' ')
                .map(str::to_owned)
                .collect();
        let mut out = String::new();
        fold_header(&mut out, "Subject", &tokens);
        assert!(out.split("\r\n").all(|l| l.len() <= FOLD_AT));
        assert!(out.contains("\r\n "));
        assert_eq!(
            out.trim_end().replace("\r\n", ""),
            format!("Subject: {}", tokens.join(" "))
        );
    }

    #[test]
    fn encoded_words_hold_whole_characters() {
        let text = "季度报告：第三季度".repeat(5);
        let words = encoded_words(&text);
        assert!(words.len() > 1);
        let mut decoded = String::new();
        for w in &words {
            assert!(w.len() <= 64, "{w}");
            let payload = w
                .strip_prefix("=?utf-8?B?")
                .unwrap()
                .strip_suffix("?=")
                .unwrap();
            decoded.push_str(std::str::from_utf8(&STANDARD.decode(payload).unwrap()).unwrap());
        }
        assert_eq!(decoded, text);
    }

    #[test]
    fn mostly_ascii_text_uses_q() {
        assert_eq!(
            encoded_words("Café au lait"),
            ["=?utf-8?Q?Caf=C3=A9_au_lait?="]
        );
    }

    #[test]
    fn names_are_atoms_quoted_or_encoded() {
        assert_eq!(phrase_tokens("Ann Example"), ["Ann", "Example"]);
        assert_eq!(phrase_tokens("Doe, Jane"), ["\"Doe, Jane\""]);
        assert_eq!(phrase_tokens("A \"B\" C"), [r#""A \"B\" C""#]);
        assert_eq!(phrase_tokens("张三"), ["=?utf-8?B?5byg5LiJ?="]);
        let tricky = phrase_tokens("=?x?=");
        assert_eq!(tricky.len(), 1);
        assert!(tricky[0].starts_with("=?utf-8?"), "{tricky:?}");
    }

    #[test]
    fn qp_encodes_trailing_space_equals_dots_and_long_lines() {
        let input = crlf_normalised(b"a = b \r\n.\r\n..x\r\nFrom me\r\n\t");
        let qp = quoted_printable(&input);
        assert_eq!(
            String::from_utf8(qp.clone()).unwrap(),
            "a =3D b=20\r\n=2E\r\n=2E.x\r\n=46rom me\r\n=09"
        );
        assert_eq!(decode_qp(&qp), input);

        let long = "x".repeat(2000) + " é";
        let qp = quoted_printable(long.as_bytes());
        assert!(qp.split(|&b| b == b'\n').all(|l| l.len() <= 77));
        assert_eq!(decode_qp(&qp), long.as_bytes());
    }

    #[test]
    fn soft_breaks_never_split_an_escape() {
        let text = "é".repeat(100);
        let qp = String::from_utf8(quoted_printable(text.as_bytes())).unwrap();
        for line in qp.split("\r\n") {
            let body = line.strip_suffix('=').unwrap_or(line);
            assert_eq!(body.len() % 3, 0, "{line}");
            assert!(line.len() <= 76);
        }
        assert_eq!(decode_qp(qp.as_bytes()), text.as_bytes());
    }

    #[test]
    fn every_line_ending_becomes_one_crlf() {
        assert_eq!(
            crlf_normalised(b"a\rb\nc\r\nd\r\r\ne\n\r"),
            b"a\r\nb\r\nc\r\nd\r\n\r\ne\r\n\r\n"
        );
    }

    #[test]
    fn file_name_parameters() {
        assert_eq!(
            file_name_params("filename", "a.pdf", true),
            ["filename=\"a.pdf\""]
        );
        assert_eq!(
            file_name_params("filename", "报告 2026.pdf", true),
            [
                "filename*=utf-8''%E6%8A%A5%E5%91%8A%202026.pdf",
                "filename=\"=?utf-8?B?5oql5ZGKIDIwMjYucGRm?=\""
            ]
        );
        let long = "季度报告".repeat(20) + ".pdf";
        let params = file_name_params("filename", &long, true);
        assert!(params[0].starts_with("filename*0*=utf-8''"));
        assert!(params.iter().all(|p| p.len() + 2 <= FOLD_AT));
        let fallback = params.last().unwrap();
        assert!(fallback.len() <= 75, "{fallback}");
        assert_eq!(file_name_params("name", &long, false).len(), 1);
        let ascii = "a".repeat(100) + ".txt";
        let params = file_name_params("filename", &ascii, true);
        assert_eq!(
            params.last().unwrap(),
            &format!("filename=\"{}~.txt\"", "a".repeat(55))
        );
    }

    #[test]
    fn base64_lines_are_76_wide() {
        let data: Vec<u8> = (0..=255).cycle().take(1000).collect();
        let b = base64_lines(&data);
        let lines: Vec<&[u8]> = b.split(|&c| c == b'\n').collect();
        assert!(lines[..lines.len() - 1].iter().all(|l| l.len() == 77));
        let joined: Vec<u8> = b.into_iter().filter(|c| !b"\r\n".contains(c)).collect();
        assert_eq!(STANDARD.decode(joined).unwrap(), data);
    }
}
