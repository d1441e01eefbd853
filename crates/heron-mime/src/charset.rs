//! Text that declares no (usable) charset.
//!
//! mail-parser decodes every labelled charset it knows (with `full_encoding`: GB18030,
//! Big5, Shift_JIS, ISO-2022-JP, KOI8-R, windows-125x, ...). Unlabelled 8-bit text it
//! decodes as lossy UTF-8, which turns a GBK or windows-1251 message into replacement
//! characters. For those we go back to the bytes: valid UTF-8 stays UTF-8; otherwise the
//! user's fallback charset if set, else chardetng's guess (the detector Firefox uses,
//! which tells GBK, Big5, Shift_JIS, EUC-KR, KOI8-R and the windows-125x family apart).

use encoding_rs::Encoding;

/// Decodes bytes of unknown charset as described in the module documentation.
pub(crate) fn decode_unlabeled(bytes: &[u8], fallback: Option<&'static Encoding>) -> String {
    if let Ok(s) = std::str::from_utf8(bytes) {
        return s.to_owned();
    }
    guess(bytes, fallback)
        .decode_without_bom_handling(bytes)
        .0
        .into_owned()
}

/// The encoding to use for bytes that are not UTF-8.
pub(crate) fn guess(bytes: &[u8], fallback: Option<&'static Encoding>) -> &'static Encoding {
    if let Some(f) = fallback {
        return f;
    }
    let mut detector = chardetng::EncodingDetector::new();
    detector.feed(bytes, true);
    detector.guess(None, false)
}

/// The user's fallback label resolved, if it names a charset encoding_rs knows.
pub(crate) fn fallback_encoding(label: Option<&str>) -> Option<&'static Encoding> {
    label.and_then(|l| Encoding::for_label(l.trim().as_bytes()))
}

/// Whether a declared charset is missing or useless, so the bytes need our guess.
pub(crate) fn charset_is_unusable(charset: Option<&str>) -> bool {
    match charset {
        None => true,
        Some(c) => {
            let c = c.trim().to_ascii_lowercase();
            c.is_empty()
                || c == "us-ascii"
                || c == "ascii"
                || c.starts_with("unknown")
                || c == "x-unknown"
                || (Encoding::for_label(c.as_bytes()).is_none()
                    && mail_parser::decoders::charsets::map::charset_decoder(c.as_bytes())
                        .is_none())
        }
    }
}

/// Re-decodes a header block whose raw bytes are not UTF-8 (8-bit headers without
/// encoded words, common from older Chinese and Russian mailers). Returns the new
/// message bytes, or `None` if the headers are fine as they are.
pub(crate) fn fix_unlabeled_headers(
    raw: &[u8],
    fallback: Option<&'static Encoding>,
) -> Option<Vec<u8>> {
    let end = header_end(raw);
    let head = raw.get(..end)?;
    if std::str::from_utf8(head).is_ok() {
        return None;
    }
    let decoded = guess(head, fallback).decode_without_bom_handling(head).0;
    let mut out = decoded.into_owned().into_bytes();
    out.extend_from_slice(raw.get(end..).unwrap_or_default());
    Some(out)
}

/// The offset just after the blank line ending the header block (or the end).
fn header_end(raw: &[u8]) -> usize {
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'\n' {
            match raw.get(i + 1) {
                Some(b'\n') => return i + 2,
                Some(b'\r') if raw.get(i + 2) == Some(&b'\n') => return i + 3,
                _ => {}
            }
        }
        i += 1;
    }
    raw.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_stays_utf8() {
        assert_eq!(
            decode_unlabeled("héllo 你好".as_bytes(), None),
            "héllo 你好"
        );
    }

    #[test]
    fn gbk_is_guessed() {
        let (bytes, _, _) =
            encoding_rs::GBK.encode("这是一封没有声明字符集的中文邮件，内容足够长以便猜测编码。");
        assert_eq!(
            decode_unlabeled(&bytes, None),
            "这是一封没有声明字符集的中文邮件，内容足够长以便猜测编码。"
        );
    }

    #[test]
    fn fallback_wins() {
        assert_eq!(
            decode_unlabeled(b"caf\xe9", fallback_encoding(Some("windows-1252"))),
            "café"
        );
    }

    #[test]
    fn headers_fixed_only_when_needed() {
        assert!(fix_unlabeled_headers(b"Subject: hi\n\nbody\xff", None).is_none());
        let fixed = fix_unlabeled_headers(
            b"Subject: caf\xe9\n\nbody\xff",
            fallback_encoding(Some("windows-1252")),
        );
        assert_eq!(
            fixed.as_deref(),
            Some(&b"Subject: caf\xc3\xa9\n\nbody\xff"[..])
        );
    }
}
