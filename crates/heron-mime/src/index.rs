//! What sync stores and indexes for a message: the list's fields, the text to search and
//! the attachment names. Lighter than [`crate::parse`] (no sanitising, no security
//! checks), because it runs for every message of a mailbox; the reader still builds the
//! full view when a message is opened.

use std::panic::{AssertUnwindSafe, catch_unwind};

use mail_parser::{Address, HeaderName, HeaderValue, MessageParser, MimeHeaders};

use crate::charset::{fallback_encoding, fix_unlabeled_headers};

/// The most body text indexed per message: enough for any real mail, bounded for a
/// hostile one.
pub const MAX_INDEXED_TEXT: usize = 512 * 1024;

/// How long the list preview is, in characters.
const PREVIEW_CHARS: usize = 160;

/// The stored and indexed fields of one message.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IndexFields {
    /// Message-ID without angle brackets.
    pub message_id: String,
    /// In-Reply-To without angle brackets (the first id).
    pub in_reply_to: String,
    /// References, oldest first, without angle brackets.
    pub references: Vec<String>,
    /// Subject.
    pub subject: String,
    /// First From display name.
    pub from_name: String,
    /// First From address.
    pub from_addr: String,
    /// To as "Name <addr>, ...".
    pub to: String,
    /// Cc as "Name <addr>, ...".
    pub cc: String,
    /// Date header as unix seconds (0 when missing or unreadable).
    pub date: i64,
    /// Body text (HTML converted to text), capped at [`MAX_INDEXED_TEXT`]; `None` when
    /// only headers were given.
    pub body_text: Option<String>,
    /// A short single-line preview of the body.
    pub preview: String,
    /// Attachments: (file name, MIME type, decoded size).
    pub attachments: Vec<(String, String, u64)>,
}

impl IndexFields {
    /// The conversation a message belongs to: the first of its References, else what it
    /// replies to, else itself.
    pub fn thread_root(&self) -> &str {
        self.references
            .first()
            .map(String::as_str)
            .filter(|s| !s.is_empty())
            .or(Some(self.in_reply_to.as_str()).filter(|s| !s.is_empty()))
            .unwrap_or(&self.message_id)
    }
}

/// Extracts [`IndexFields`] from a raw message, or from its header block alone when
/// `raw` holds only headers. Never panics: what cannot be read is left empty.
pub fn index_fields(raw: &[u8], headers_only: bool) -> IndexFields {
    catch_unwind(AssertUnwindSafe(|| extract(raw, headers_only)))
        .ok()
        .or_else(|| catch_unwind(AssertUnwindSafe(|| extract(raw, true))).ok())
        .unwrap_or_default()
}

fn extract(raw: &[u8], headers_only: bool) -> IndexFields {
    let fixed = fix_unlabeled_headers(raw, fallback_encoding(None));
    let bytes = fixed.as_deref().unwrap_or(raw);
    let parser = MessageParser::new();
    let parsed = if headers_only {
        parser.parse_headers(bytes)
    } else {
        parser.parse(bytes)
    };
    let Some(msg) = parsed else {
        return IndexFields::default();
    };
    let ids = |name: HeaderName<'static>| -> Vec<String> {
        match msg.header(name) {
            Some(HeaderValue::Text(t)) => vec![t.trim().to_owned()],
            Some(HeaderValue::TextList(list)) => list.iter().map(|t| t.trim().to_owned()).collect(),
            _ => Vec::new(),
        }
    };
    let from = msg.from().and_then(|a| a.first());
    let mut f = IndexFields {
        message_id: msg.message_id().unwrap_or_default().trim().to_owned(),
        in_reply_to: ids(HeaderName::InReplyTo)
            .into_iter()
            .next()
            .unwrap_or_default(),
        references: ids(HeaderName::References),
        subject: msg.subject().unwrap_or_default().to_owned(),
        from_name: from
            .and_then(|a| a.name())
            .unwrap_or_default()
            .trim()
            .to_owned(),
        from_addr: from
            .and_then(|a| a.address())
            .unwrap_or_default()
            .trim()
            .to_owned(),
        to: address_text(msg.to()),
        cc: address_text(msg.cc()),
        date: msg.date().map(|d| d.to_timestamp()).unwrap_or_default(),
        ..IndexFields::default()
    };
    if headers_only {
        return f;
    }
    let mut text = String::new();
    for i in 0..msg.text_body.len() {
        if let Some(t) = msg.body_text(i) {
            if !text.is_empty() {
                text.push('\n');
            }
            text.push_str(&t);
            if text.len() >= MAX_INDEXED_TEXT {
                break;
            }
        }
    }
    if text.len() > MAX_INDEXED_TEXT {
        let mut cut = MAX_INDEXED_TEXT;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
    }
    f.preview = preview(&text);
    f.body_text = Some(text);
    for part in msg.attachments() {
        let name = part.attachment_name().unwrap_or_default().to_owned();
        let mime = part
            .content_type()
            .map(|ct| match ct.subtype() {
                Some(sub) => format!("{}/{}", ct.ctype(), sub),
                None => ct.ctype().to_owned(),
            })
            .unwrap_or_else(|| "application/octet-stream".to_owned())
            .to_ascii_lowercase();
        f.attachments
            .push((name, mime, part.contents().len() as u64));
    }
    f
}

fn address_text(addr: Option<&Address<'_>>) -> String {
    let Some(addr) = addr else {
        return String::new();
    };
    addr.iter()
        .map(|a| {
            let name = a.name().unwrap_or_default().trim();
            let address = a.address().unwrap_or_default().trim();
            if name.is_empty() {
                address.to_owned()
            } else {
                format!("{name} <{address}>")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn preview(text: &str) -> String {
    let mut out = String::new();
    let mut space = false;
    for c in text.chars() {
        if out.chars().count() >= PREVIEW_CHARS {
            break;
        }
        if c.is_whitespace() || c.is_control() {
            space = !out.is_empty();
            continue;
        }
        if space {
            out.push(' ');
            space = false;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAIL: &str = "Message-ID: <m2@example.test>\r\n\
        In-Reply-To: <m1@example.test>\r\n\
        References: <m0@example.test> <m1@example.test>\r\n\
        From: =?UTF-8?B?546L5LyY?= <wang@example.test>\r\n\
        To: Bob <bob@example.test>, carol@example.test\r\n\
        Subject: =?UTF-8?B?5Lya6K6u57qq6KaB?=\r\n\
        Date: Tue, 01 Oct 2024 09:30:00 +0800\r\n\
        MIME-Version: 1.0\r\n\
        Content-Type: multipart/mixed; boundary=b\r\n\r\n\
        --b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
        Hello   there,\r\n  the minutes.\r\n\
        --b\r\nContent-Type: application/pdf; name=\"minutes.pdf\"\r\n\
        Content-Disposition: attachment; filename=\"minutes.pdf\"\r\n\r\nPDFDATA\r\n--b--\r\n";

    #[test]
    fn list_fields_and_index_text_come_from_one_parse() {
        let f = index_fields(MAIL.as_bytes(), false);
        assert_eq!(f.message_id, "m2@example.test");
        assert_eq!(f.in_reply_to, "m1@example.test");
        assert_eq!(f.references, ["m0@example.test", "m1@example.test"]);
        assert_eq!(f.thread_root(), "m0@example.test");
        assert_eq!(f.subject, "会议纪要");
        assert_eq!(
            (f.from_name.as_str(), f.from_addr.as_str()),
            ("王优", "wang@example.test")
        );
        assert_eq!(f.to, "Bob <bob@example.test>, carol@example.test");
        assert_eq!(f.date, 1_727_746_200);
        assert!(
            f.body_text
                .as_deref()
                .unwrap_or_default()
                .contains("the minutes")
        );
        assert_eq!(f.preview, "Hello there, the minutes.");
        assert_eq!(
            f.attachments,
            [("minutes.pdf".to_owned(), "application/pdf".to_owned(), 7)]
        );
    }

    #[test]
    fn headers_only_leaves_the_body_unknown() {
        let header_end = MAIL.find("\r\n\r\n").unwrap() + 4;
        let f = index_fields(&MAIL.as_bytes()[..header_end], true);
        assert_eq!(f.subject, "会议纪要");
        assert_eq!(f.body_text, None);
        assert!(f.attachments.is_empty());
    }

    #[test]
    fn garbage_gives_empty_fields_not_a_panic() {
        for input in [
            &b""[..],
            b"\xff\xfe\x00",
            b"From: \r\n\r\n",
            b"Content-Type: multipart/mixed; boundary=\r\n\r\n--\r\n",
        ] {
            let _ = index_fields(input, false);
            let _ = index_fields(input, true);
        }
        let f = index_fields(b"Subject: only\r\n\r\nbody", false);
        assert_eq!(f.thread_root(), "");
    }
}
