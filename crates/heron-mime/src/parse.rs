//! From raw bytes to [`MessageView`]: mail-parser does the MIME work, this module walks
//! its result within the caps, picks the bodies, lists attachments and runs the checks.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};

use encoding_rs::Encoding;
use mail_parser::{
    Address, HeaderName, HeaderValue, Message, MessageParser, MessagePart, MimeHeaders, PartType,
};

use crate::charset::{
    charset_is_unusable, decode_unlabeled, fallback_encoding, fix_unlabeled_headers,
};
use crate::html::{SanitizeContext, sanitize_html};
use crate::notes::{
    SecurityNote, check_attachment_name, check_invisible, escape_visible, is_hidden_char,
    safe_file_name,
};
use crate::tnef::list_attachments;
use crate::{
    AttachmentView, CalendarPart, DateView, Mailbox, MessageView, NestedMessage, TimeZoneSpec,
    TnefView, ViewOptions,
};

/// The note's reason when the MIME parser itself gave up on a message.
const PARSER_FAILED: &str = "The message structure could not be read; only its headers are shown";

/// How much of an undisplayable message is kept as its raw source in the view.
const RAW_SOURCE_CAP: usize = 1024 * 1024;

/// Parses a raw message into the reader's view model. Never panics; a message that
/// cannot be shown at all comes back with a [`SecurityNote::PartNotDisplayed`] note
/// and its raw source.
pub fn parse(raw: &[u8], opts: &ViewOptions) -> MessageView {
    let result = catch_unwind(AssertUnwindSafe(|| {
        let mut walker = Walker {
            opts,
            fallback: fallback_encoding(opts.fallback_charset.as_deref()),
            parts_left: opts.limits.max_parts,
            bytes_left: opts.limits.max_decoded_bytes,
            limit_noted: Vec::new(),
        };
        walker.message_from_bytes(raw, 0, "")
    }));
    match result {
        Ok(view) => view,
        Err(_) => not_displayable(raw, "", "The message could not be read (internal error)"),
    }
}

/// The decoded bytes of one part of a message, found by the `part_path` the view model
/// gave it (attachments, inline images, nested messages).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartContent {
    /// Decoded content (a nested message's raw source for `message/rfc822`).
    pub bytes: Vec<u8>,
    /// Content type, lower case.
    pub content_type: String,
}

/// Finds the part `part_path` of `raw` and returns its decoded content; `None` when the
/// message has no such part. Never panics. Follows nested messages as [`parse`] does,
/// within the same depth limit.
pub fn part_content(raw: &[u8], part_path: &str, opts: &ViewOptions) -> Option<PartContent> {
    if part_path.is_empty() {
        return None;
    }
    let fallback = fallback_encoding(opts.fallback_charset.as_deref());
    catch_unwind(AssertUnwindSafe(|| {
        let fixed = fix_unlabeled_headers(raw, fallback);
        let msg = MessageParser::new().parse(fixed.as_deref().unwrap_or(raw))?;
        find_part(&msg, part_path, "", 0, opts)
    }))
    .ok()
    .flatten()
}

fn find_part(
    msg: &Message<'_>,
    target: &str,
    prefix: &str,
    depth: usize,
    opts: &ViewOptions,
) -> Option<PartContent> {
    let paths = part_paths(msg, prefix);
    let content = |id: u32| {
        let part = msg.parts.get(id as usize)?;
        Some(PartContent {
            bytes: body_bytes(&part.body).to_vec(),
            content_type: content_type_of(part),
        })
    };
    if let Some((id, _)) = paths.iter().find(|(_, p)| p.as_str() == target) {
        return content(*id);
    }
    if depth + 1 > opts.limits.max_depth {
        return None;
    }
    // The nested message is the deepest part at this level whose path is a prefix of
    // the target; the multiparts around it are prefixes too (`2` and `2.1` for
    // `2.1.1`), and `paths` is a HashMap, so the first match would be a coin toss.
    let (id, path) = paths
        .iter()
        .filter(|(_, p)| target.starts_with(&format!("{p}.")))
        .max_by_key(|(_, p)| p.len())?;
    match &msg.parts.get(*id as usize)?.body {
        PartType::Message(nested) => find_part(nested, target, path, depth + 1, opts),
        PartType::Multipart(_) => None,
        // Read exactly as the view read it (`Walker::message_from_bytes`): unlabeled
        // 8-bit headers decoded first, or the part paths differ.
        other => {
            let bytes = body_bytes(other);
            let fallback = fallback_encoding(opts.fallback_charset.as_deref());
            let fixed = fix_unlabeled_headers(bytes, fallback);
            let nested = MessageParser::new().parse(fixed.as_deref().unwrap_or(bytes))?;
            find_part(&nested, target, path, depth + 1, opts)
        }
    }
}

fn not_displayable(raw: &[u8], part_path: &str, reason: &str) -> MessageView {
    let cut = raw.get(..RAW_SOURCE_CAP).unwrap_or(raw);
    MessageView {
        security_notes: vec![SecurityNote::PartNotDisplayed {
            part_path: part_path.to_owned(),
            reason: reason.to_owned(),
        }],
        raw_source: Some(String::from_utf8_lossy(cut).into_owned()),
        ..MessageView::default()
    }
}

struct Walker<'o> {
    opts: &'o ViewOptions,
    fallback: Option<&'static Encoding>,
    parts_left: usize,
    bytes_left: usize,
    /// Which caps already have a note, so each is reported once per message.
    limit_noted: Vec<&'static str>,
}

impl Walker<'_> {
    fn limit(&mut self, which: &'static str, notes: &mut Vec<SecurityNote>) {
        if !self.limit_noted.contains(&which) {
            self.limit_noted.push(which);
            notes.push(SecurityNote::LimitExceeded {
                limit: which.to_owned(),
            });
        }
    }

    /// Takes `n` decoded bytes from the budget; false once it is spent.
    fn take_bytes(&mut self, n: usize, notes: &mut Vec<SecurityNote>) -> bool {
        if n > self.bytes_left {
            self.bytes_left = 0;
            self.limit("decoded_size", notes);
            return false;
        }
        self.bytes_left -= n;
        true
    }

    fn message_from_bytes(&mut self, raw: &[u8], depth: usize, path: &str) -> MessageView {
        let parser = MessageParser::new();
        let too_big = raw.len() > self.opts.limits.max_message_bytes;
        let fixed = fix_unlabeled_headers(raw, self.fallback);
        let bytes = fixed.as_deref().unwrap_or(raw);
        let parsed = catch_unwind(AssertUnwindSafe(|| {
            if too_big {
                parser.parse_headers(bytes)
            } else {
                parser.parse(bytes)
            }
        }));
        // mail-parser has a debug assertion that malformed nesting can trip (seen with
        // the mutated corpus); whatever the cause, a parser panic still leaves us the
        // headers, which are worth showing next to the raw source.
        let (parsed, structure_failed) = match parsed {
            Ok(parsed) => (parsed, false),
            Err(_) => {
                let headers = catch_unwind(AssertUnwindSafe(|| parser.parse_headers(bytes)));
                (headers.ok().flatten(), true)
            }
        };
        let Some(msg) = parsed else {
            return not_displayable(raw, path, "No message headers were found");
        };
        let mut view = self.message(&msg, depth, path);
        if too_big {
            self.limit("message_size", &mut view.security_notes);
        }
        if structure_failed {
            let fallback = not_displayable(raw, path, PARSER_FAILED);
            view.security_notes.extend(fallback.security_notes);
            view.raw_source = fallback.raw_source;
        }
        view
    }

    fn message(&mut self, msg: &Message<'_>, depth: usize, prefix: &str) -> MessageView {
        let mut view = MessageView::default();
        let notes = &mut view.security_notes;
        let from = mailboxes_raw(msg.header_values(HeaderName::From));
        let sender = mailboxes_raw(msg.header_values(HeaderName::Sender));
        let reply_to = mailboxes_raw(msg.header_values(HeaderName::ReplyTo));
        check_sender(
            &from,
            msg.header_raw(HeaderName::From).unwrap_or_default(),
            sender.first(),
            notes,
        );
        for m in &reply_to {
            check_controls("reply_to", m, notes);
        }
        view.from = from.iter().map(display_mailbox).collect();
        view.sender_header = sender.first().map(display_mailbox);
        view.reply_to = reply_to.iter().map(display_mailbox).collect();
        view.sender = view
            .from
            .first()
            .cloned()
            .or_else(|| view.sender_header.clone())
            .unwrap_or_default();
        view.to = mailboxes(msg.header_values(HeaderName::To));
        view.cc = mailboxes(msg.header_values(HeaderName::Cc));
        view.bcc = mailboxes(msg.header_values(HeaderName::Bcc));
        let subject = msg.subject().unwrap_or_default();
        check_invisible("subject", subject, notes);
        view.subject = display_text(subject);
        view.message_id = msg.message_id().map(display_text);
        view.date = msg.date().and_then(|d| date_view(d, &self.opts.time_zone));

        let paths = part_paths(msg, prefix);
        let path_of = |id: u32| paths.get(&id).cloned().unwrap_or_default();
        let parts_here = msg.parts.len();
        if parts_here > self.parts_left {
            self.limit("parts", notes);
        }
        let usable = parts_here.min(self.parts_left);
        self.parts_left -= usable;
        let usable_id = |id: u32| (id as usize) < usable;

        // Bodies: mail-parser has already chosen them (multipart/alternative, related,
        // mixed inline text); we only convert and sanitise.
        let mut texts = Vec::new();
        for &id in &msg.text_body {
            let Some(part) = msg.parts.get(id as usize).filter(|_| usable_id(id)) else {
                continue;
            };
            if is_calendar(part) || msg.attachments.contains(&id) {
                continue;
            }
            let text = match &part.body {
                PartType::Text(_) => self.part_text(msg, part),
                PartType::Html(_) => {
                    mail_parser::decoders::html::html_to_text(&self.part_text(msg, part))
                }
                _ => continue,
            };
            if self.take_bytes(text.len(), notes) {
                texts.push(text);
            }
        }
        // A multipart without a usable boundary comes back as one text part filed as an
        // attachment; its text is what the sender meant as the body.
        for &id in &msg.attachments {
            let Some(part) = msg.parts.get(id as usize).filter(|_| usable_id(id)) else {
                continue;
            };
            if is_unsplit_multipart(part) {
                let text = match &part.body {
                    PartType::Text(_) => self.part_text(msg, part),
                    other => decode_unlabeled(body_bytes(other), self.fallback),
                };
                if self.take_bytes(text.len(), notes) {
                    texts.push(text);
                }
            }
        }
        // Line endings are the transport's business: the view always uses LF.
        view.text_body = texts.join("\n").replace("\r\n", "\n");
        let has_html = msg.html_body.iter().any(|&id| {
            matches!(
                msg.parts.get(id as usize).map(|p| &p.body),
                Some(PartType::Html(_))
            )
        });
        if has_html {
            let mut html = String::new();
            for &id in &msg.html_body {
                let Some(part) = msg.parts.get(id as usize).filter(|_| usable_id(id)) else {
                    continue;
                };
                if is_calendar(part) || msg.attachments.contains(&id) {
                    continue;
                }
                let piece = match &part.body {
                    PartType::Html(_) => self.part_text(msg, part),
                    PartType::Text(_) => text_as_html(&self.part_text(msg, part)),
                    _ => continue,
                };
                if self.take_bytes(piece.len(), notes) {
                    html.push_str(&piece);
                }
            }
            let ctx = SanitizeContext {
                message_key: self.opts.message_key.clone(),
                max_links_checked: 0,
            };
            let clean = sanitize_html(&html, &ctx);
            view.remote_items_blocked = clean.remote_items_blocked;
            notes.extend(clean.link_notes);
            view.html_body = Some(clean.html);
        }

        for &id in &msg.attachments {
            if !usable_id(id) {
                continue;
            }
            let Some(part) = msg.parts.get(id as usize) else {
                continue;
            };
            if is_unsplit_multipart(part) {
                continue;
            }
            let path = path_of(id);
            self.attachment(part, &path, depth, &mut view);
        }
        view
    }

    /// A text or HTML part's text, re-decoded from its bytes if it declared no usable charset.
    fn part_text(&self, msg: &Message<'_>, part: &MessagePart<'_>) -> String {
        let (PartType::Text(text) | PartType::Html(text)) = &part.body else {
            return String::new();
        };
        let charset = part.content_type().and_then(|c| c.attribute("charset"));
        if !text.contains('\u{FFFD}') || !charset_is_unusable(charset) {
            return text.to_string();
        }
        let raw = msg
            .raw_message
            .get(part.offset_body as usize..part.offset_end as usize)
            .unwrap_or_default();
        let decoded = match part.encoding {
            mail_parser::Encoding::QuotedPrintable => {
                mail_parser::decoders::quoted_printable::quoted_printable_decode(raw)
            }
            mail_parser::Encoding::Base64 => mail_parser::decoders::base64::base64_decode(raw),
            mail_parser::Encoding::None => Some(raw.to_vec()),
        };
        match decoded {
            Some(bytes) => decode_unlabeled(&bytes, self.fallback),
            None => text.to_string(),
        }
    }

    fn attachment(
        &mut self,
        part: &MessagePart<'_>,
        path: &str,
        depth: usize,
        view: &mut MessageView,
    ) {
        let content_type = content_type_of(part);
        let size = part.len();
        if !self.take_bytes(size, &mut view.security_notes) {
            return;
        }
        let nested_subject;
        let derived_name;
        let raw_name = match part.attachment_name() {
            Some(n) => n,
            None => match &part.body {
                PartType::Message(m) => {
                    nested_subject = format!("{}.eml", m.subject().unwrap_or("message"));
                    &nested_subject
                }
                _ => {
                    derived_name = format!("attachment{}", extension_for(&content_type));
                    &derived_name
                }
            },
        };
        let mut warnings = Vec::new();
        let dangerous = check_attachment_name(raw_name, &content_type, &mut warnings);

        if is_calendar(part) {
            let raw = match &part.body {
                PartType::Text(t) => t.to_string(),
                other => String::from_utf8_lossy(body_bytes(other)).into_owned(),
            };
            let method = part
                .content_type()
                .and_then(|c| c.attribute("method"))
                .map(str::to_owned)
                .or_else(|| {
                    raw.lines()
                        .find_map(|l| l.trim().strip_prefix("METHOD:").map(str::to_owned))
                })
                .map(|m| m.trim().to_ascii_uppercase());
            let raw = raw.replace("\r\n", "\n");
            view.calendar_parts.push(CalendarPart {
                part_path: path.to_owned(),
                method,
                raw,
            });
        }
        let is_tnef = matches!(
            content_type.as_str(),
            "application/ms-tnef" | "application/vnd.ms-tnef"
        ) || raw_name.eq_ignore_ascii_case("winmail.dat");
        if is_tnef {
            let listing = list_attachments(body_bytes(&part.body));
            warnings.push(SecurityNote::TnefAttachment {
                part_path: path.to_owned(),
            });
            for name in &listing.names {
                check_attachment_name(name, "", &mut warnings);
            }
            view.tnef.push(TnefView {
                part_path: path.to_owned(),
                attachment_names: listing.names.iter().map(|n| escape_visible(n)).collect(),
                complete: listing.complete,
            });
        }
        if content_type == "message/rfc822"
            || content_type == "message/global"
            || matches!(part.body, PartType::Message(_))
        {
            if depth + 1 > self.opts.limits.max_depth {
                self.limit("depth", &mut warnings);
            } else {
                let nested = catch_unwind(AssertUnwindSafe(|| match &part.body {
                    PartType::Message(m) => self.message(m, depth + 1, path),
                    other => self.message_from_bytes(body_bytes(other), depth + 1, path),
                }));
                let nested = nested.unwrap_or_else(|_| {
                    not_displayable(
                        body_bytes(&part.body),
                        path,
                        "This part could not be displayed (internal error)",
                    )
                });
                view.nested_messages.push(NestedMessage {
                    part_path: path.to_owned(),
                    view: Box::new(nested),
                });
            }
        }
        view.security_notes.extend(warnings.iter().cloned());
        view.attachments.push(AttachmentView {
            file_name: safe_file_name(raw_name),
            original_name: escape_visible(part.attachment_name().unwrap_or_default()),
            content_type,
            size,
            inline: matches!(part.body, PartType::InlineBinary(_))
                || part
                    .content_disposition()
                    .is_some_and(|d| d.ctype().eq_ignore_ascii_case("inline")),
            content_id: part
                .content_id()
                .map(|c| display_text(c.trim().trim_start_matches('<').trim_end_matches('>'))),
            part_path: path.to_owned(),
            dangerous,
            warnings,
        });
    }
}

fn body_bytes<'a>(body: &'a PartType<'_>) -> &'a [u8] {
    match body {
        PartType::Text(t) | PartType::Html(t) => t.as_bytes(),
        PartType::Binary(b) | PartType::InlineBinary(b) => b,
        PartType::Message(m) => m.raw_message(),
        PartType::Multipart(_) => &[],
    }
}

fn content_type_of(part: &MessagePart<'_>) -> String {
    match part.content_type() {
        Some(ct) => match ct.subtype() {
            Some(sub) => format!("{}/{}", ct.ctype(), sub).to_ascii_lowercase(),
            None => ct.ctype().to_ascii_lowercase(),
        },
        None if matches!(part.body, PartType::Message(_)) => "message/rfc822".to_owned(),
        None => "text/plain".to_owned(),
    }
}

/// An extension for unnamed parts, so a saved file opens with the right program; only
/// for inert types (an unnamed part never gets an executable extension from us).
fn extension_for(content_type: &str) -> &'static str {
    match content_type {
        "text/calendar" | "application/ics" => ".ics",
        "text/plain" | "message/delivery-status" | "message/disposition-notification" => ".txt",
        "message/rfc822" | "message/global" | "text/rfc822-headers" => ".eml",
        "image/png" => ".png",
        "image/jpeg" => ".jpg",
        "image/gif" => ".gif",
        "application/pdf" => ".pdf",
        "text/vcard" | "text/x-vcard" => ".vcf",
        _ => "",
    }
}

fn is_unsplit_multipart(part: &MessagePart<'_>) -> bool {
    matches!(
        part.body,
        PartType::Text(_) | PartType::Binary(_) | PartType::InlineBinary(_)
    ) && content_type_of(part).starts_with("multipart/")
}

fn is_calendar(part: &MessagePart<'_>) -> bool {
    matches!(
        content_type_of(part).as_str(),
        "text/calendar" | "application/ics"
    )
}

/// IMAP-style part paths for every part of one message level: a single-part message's
/// body is `1`; the children of a multipart are numbered from 1 under their parent.
fn part_paths(msg: &Message<'_>, prefix: &str) -> HashMap<u32, String> {
    let join = |p: &str, n: usize| {
        if p.is_empty() {
            n.to_string()
        } else {
            format!("{p}.{n}")
        }
    };
    let mut out = HashMap::new();
    let mut stack: Vec<(u32, String)> = Vec::new();
    match msg.parts.first().map(|p| &p.body) {
        Some(PartType::Multipart(children)) => {
            for (i, c) in children.iter().enumerate() {
                stack.push((*c, join(prefix, i + 1)));
            }
        }
        Some(_) => {
            out.insert(0, join(prefix, 1));
        }
        None => {}
    }
    // Bounded by the number of parts: a (malformed) cycle cannot loop forever.
    let mut budget = msg.parts.len();
    while let Some((id, path)) = stack.pop() {
        if budget == 0 {
            break;
        }
        budget -= 1;
        if let Some(PartType::Multipart(children)) = msg.parts.get(id as usize).map(|p| &p.body) {
            for (i, c) in children.iter().enumerate() {
                stack.push((*c, join(&path, i + 1)));
            }
        }
        out.insert(id, path);
    }
    // Malformed nesting (a part listed twice, a cycle) can leave parts the walk above
    // never reached; they still get a path, `u` and their index, so whatever the view
    // lists can be opened (and the path stays one URL segment).
    for id in 0..u32::try_from(msg.parts.len()).unwrap_or(u32::MAX) {
        out.entry(id).or_insert_with(|| {
            if prefix.is_empty() {
                format!("u{id}")
            } else {
                format!("{prefix}.u{id}")
            }
        });
    }
    out
}

/// Text for display: tabs become spaces, every other hidden character is shown.
fn display_text(s: &str) -> String {
    escape_visible(&s.replace('\t', " "))
}

fn text_as_html(text: &str) -> String {
    let mut out = String::from("<div style=\"white-space: pre-wrap\">");
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out.push_str("</div>");
    out
}

fn mailboxes_raw<'a>(values: impl Iterator<Item = &'a HeaderValue<'a>>) -> Vec<Mailbox> {
    let mut out = Vec::new();
    for v in values {
        match v {
            HeaderValue::Address(addr) => out.extend(address_list(addr)),
            HeaderValue::Text(t) => out.push(Mailbox {
                display_name: String::new(),
                address: t.to_string(),
            }),
            _ => {}
        }
    }
    out
}

fn address_list(addr: &Address<'_>) -> Vec<Mailbox> {
    addr.iter()
        .map(|a| Mailbox {
            // Only spaces are trimmed: a trailing CR, LF or NUL is evidence to report.
            display_name: a.name().unwrap_or_default().trim_matches(' ').to_owned(),
            address: a.address().unwrap_or_default().trim_matches(' ').to_owned(),
        })
        .collect()
}

fn mailboxes<'a>(values: impl Iterator<Item = &'a HeaderValue<'a>>) -> Vec<Mailbox> {
    mailboxes_raw(values).iter().map(display_mailbox).collect()
}

fn display_mailbox(m: &Mailbox) -> Mailbox {
    Mailbox {
        display_name: display_text(&m.display_name),
        address: display_text(&m.address),
    }
}

fn check_controls(header: &str, m: &Mailbox, notes: &mut Vec<SecurityNote>) {
    for text in [&m.display_name, &m.address] {
        if text.chars().any(|c| c.is_control()) {
            notes.push(SecurityNote::ControlCharsInSender {
                header: header.to_owned(),
                shown: escape_visible(text),
            });
        }
    }
    check_invisible(header, &m.display_name, notes);
}

/// The address-looking token in a display name, if any (`"ceo@corp.com" <x@evil>`).
fn address_in_name(name: &str) -> Option<String> {
    name.split(|c: char| c.is_whitespace() || "<>\"'()[],;".contains(c))
        .find(|t| {
            let mut it = t.splitn(2, '@');
            matches!((it.next(), it.next()), (Some(l), Some(d)) if !l.is_empty() && d.contains('.'))
        })
        .map(|t| t.trim_end_matches('.').to_ascii_lowercase())
}

/// The From checks: missing, several, control characters, encoded words hiding an
/// address, names that name another address, and a differing Sender.
pub(crate) fn check_sender(
    from: &[Mailbox],
    raw_from: &str,
    sender: Option<&Mailbox>,
    notes: &mut Vec<SecurityNote>,
) {
    if from.iter().all(|m| m.address.is_empty()) {
        notes.push(SecurityNote::MissingFrom);
    }
    if from.len() > 1 {
        notes.push(SecurityNote::SeveralFromAddresses {
            count: from.len(),
            shown: from
                .iter()
                .map(|m| escape_visible(&m.address))
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    let has_encoded_word = raw_from.contains("=?");
    for m in from {
        check_controls("from", m, notes);
        let address = m.address.to_ascii_lowercase();
        let named = address_in_name(&m.display_name);
        let decoded_looks_like_address = m.display_name.contains('@')
            || m.address.contains("=?")
            || m.address.chars().any(is_hidden_char);
        if has_encoded_word && decoded_looks_like_address {
            notes.push(SecurityNote::EncodedWordHidesAddress {
                shown: escape_visible(&m.display_name),
                address: escape_visible(&m.address),
            });
        }
        if let Some(named) = named
            && named != address
        {
            notes.push(SecurityNote::DisplayNameContainsOtherAddress {
                shown: escape_visible(&m.display_name),
                address: escape_visible(&m.address),
            });
        }
    }
    if let Some(s) = sender {
        check_controls("sender", s, notes);
        if let Some(f) = from.first()
            && !s.address.is_empty()
            && !s.address.eq_ignore_ascii_case(&f.address)
        {
            notes.push(SecurityNote::SenderDiffersFromFrom {
                sender: escape_visible(&s.address),
                from: escape_visible(&f.address),
            });
        }
    }
}

fn date_view(d: &mail_parser::DateTime, tz: &TimeZoneSpec) -> Option<DateView> {
    if d.year == 0 || d.month == 0 || d.month > 12 || d.day == 0 || d.day > 31 {
        return None;
    }
    let unix = d.to_timestamp();
    let ts = jiff::Timestamp::from_second(unix).ok()?;
    let zone = match tz {
        TimeZoneSpec::Utc => jiff::tz::TimeZone::UTC,
        TimeZoneSpec::FixedOffsetMinutes(m) => jiff::tz::Offset::from_seconds(m.saturating_mul(60))
            .map(jiff::tz::TimeZone::fixed)
            .unwrap_or(jiff::tz::TimeZone::UTC),
        TimeZoneSpec::Iana(name) => {
            jiff::tz::TimeZone::get(name).unwrap_or(jiff::tz::TimeZone::UTC)
        }
    };
    let local = ts
        .to_zoned(zone)
        .strftime("%Y-%m-%d %H:%M:%S %:z")
        .to_string();
    let sign = if d.tz_before_gmt { '-' } else { '+' };
    Some(DateView {
        unix,
        local,
        sender_offset: format!("{sign}{:02}:{:02}", d.tz_hour, d.tz_minute),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mb(name: &str, addr: &str) -> Mailbox {
        Mailbox {
            display_name: name.into(),
            address: addr.into(),
        }
    }

    fn codes(notes: &[SecurityNote]) -> Vec<&'static str> {
        notes.iter().map(SecurityNote::code).collect()
    }

    #[test]
    fn missing_from() {
        let mut n = Vec::new();
        check_sender(&[], "", None, &mut n);
        assert_eq!(codes(&n), ["missing_from"]);
    }

    #[test]
    fn several_from() {
        let mut n = Vec::new();
        check_sender(
            &[mb("", "a@x.com"), mb("", "b@y.com")],
            "a@x.com, b@y.com",
            None,
            &mut n,
        );
        assert_eq!(codes(&n), ["several_from_addresses"]);
    }

    #[test]
    fn encoded_word_hiding_address() {
        let mut n = Vec::new();
        check_sender(
            &[mb("ceo@corp.com", "x@evil.example")],
            "=?utf-8?q?ceo=40corp.com?= <x@evil.example>",
            None,
            &mut n,
        );
        assert_eq!(
            codes(&n),
            [
                "encoded_word_hides_address",
                "display_name_contains_other_address"
            ]
        );
    }

    #[test]
    fn display_name_with_other_address() {
        let mut n = Vec::new();
        check_sender(
            &[mb("support@bank.com", "x@evil.example")],
            "\"support@bank.com\" <x@evil.example>",
            None,
            &mut n,
        );
        assert_eq!(codes(&n), ["display_name_contains_other_address"]);
        let mut n = Vec::new();
        check_sender(
            &[mb("Ann (ann@corp.com)", "ANN@corp.com")],
            "",
            None,
            &mut n,
        );
        assert!(n.is_empty());
    }

    #[test]
    fn control_chars_in_name() {
        let mut n = Vec::new();
        check_sender(&[mb("boss@corp.com\0", "x@evil.example")], "", None, &mut n);
        assert!(n.contains(&SecurityNote::ControlCharsInSender {
            header: "from".into(),
            shown: "boss@corp.com<U+0000>".into()
        }));
    }

    #[test]
    fn bidi_in_name() {
        let mut n = Vec::new();
        check_sender(&[mb("Ann\u{202E}moc.knab", "a@x.com")], "", None, &mut n);
        assert_eq!(codes(&n), ["invisible_or_bidi_chars"]);
    }

    #[test]
    fn sender_differs() {
        let mut n = Vec::new();
        check_sender(
            &[mb("", "a@x.com")],
            "",
            Some(&mb("", "list@y.com")),
            &mut n,
        );
        assert_eq!(codes(&n), ["sender_differs_from_from"]);
        let mut n = Vec::new();
        check_sender(&[mb("", "a@x.com")], "", Some(&mb("", "A@X.com")), &mut n);
        assert!(n.is_empty());
    }

    #[test]
    fn date_in_user_zone() {
        let d = mail_parser::DateTime {
            year: 2026,
            month: 3,
            day: 29,
            hour: 1,
            minute: 30,
            second: 0,
            tz_before_gmt: false,
            tz_hour: 0,
            tz_minute: 0,
        };
        let v = date_view(&d, &TimeZoneSpec::Iana("Europe/Berlin".into())).unwrap();
        assert_eq!(v.local, "2026-03-29 03:30:00 +02:00");
        let v = date_view(&d, &TimeZoneSpec::FixedOffsetMinutes(480)).unwrap();
        assert_eq!(v.local, "2026-03-29 09:30:00 +08:00");
    }

    fn view_with(raw: &str, limits: crate::Limits) -> MessageView {
        parse(
            raw.as_bytes(),
            &ViewOptions {
                limits,
                ..ViewOptions::default()
            },
        )
    }

    const THREE_PARTS: &str = "From: a@example.com\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nbody\n--b\nContent-Type: application/pdf\nContent-Disposition: attachment; filename=a.pdf\n\nAAAA\n--b\nContent-Type: application/pdf\nContent-Disposition: attachment; filename=b.pdf\n\nBBBB\n--b--\n";

    #[test]
    fn part_cap_stops_listing_and_says_so() {
        let v = view_with(
            THREE_PARTS,
            crate::Limits {
                max_parts: 3,
                ..Default::default()
            },
        );
        assert_eq!(v.attachments.len(), 1);
        assert!(v.security_notes.contains(&SecurityNote::LimitExceeded {
            limit: "parts".into()
        }));
    }

    #[test]
    fn decoded_size_cap_stops_taking_content_and_says_so() {
        let v = view_with(
            THREE_PARTS,
            crate::Limits {
                max_decoded_bytes: 8,
                ..Default::default()
            },
        );
        // "body" and a.pdf's four bytes fit; b.pdf does not.
        assert_eq!(v.text_body, "body");
        assert_eq!(v.attachments.len(), 1);
        assert!(v.security_notes.contains(&SecurityNote::LimitExceeded {
            limit: "decoded_size".into()
        }));
    }

    #[test]
    fn oversized_message_is_shown_by_its_headers() {
        let v = view_with(
            THREE_PARTS,
            crate::Limits {
                max_message_bytes: 10,
                ..Default::default()
            },
        );
        assert_eq!(v.sender.address, "a@example.com");
        assert!(v.attachments.is_empty());
        assert!(v.security_notes.contains(&SecurityNote::LimitExceeded {
            limit: "message_size".into()
        }));
    }

    #[test]
    fn zero_width_in_subject_is_shown_and_noted() {
        let v = view_with(
            "From: a@example.com\nSubject: =?utf-8?q?Pay=E2=80=8Bpal?=\n\nx",
            crate::Limits::default(),
        );
        assert_eq!(v.subject, "Pay<U+200B>pal");
        assert_eq!(codes(&v.security_notes), ["invisible_or_bidi_chars"]);
    }

    #[test]
    fn unparseable_input_keeps_raw_source() {
        let v = view_with("", crate::Limits::default());
        assert_eq!(codes(&v.security_notes), ["part_not_displayed"]);
        assert_eq!(v.raw_source.as_deref(), Some(""));
    }

    #[test]
    fn fallback_charset_applies_to_unlabeled_body() {
        let mut raw = b"From: a@example.com\nContent-Type: text/plain\n\n".to_vec();
        raw.extend_from_slice(b"caf\xe9");
        let opts = ViewOptions {
            fallback_charset: Some("windows-1252".into()),
            ..ViewOptions::default()
        };
        assert_eq!(parse(&raw, &opts).text_body, "café");
    }

    #[test]
    fn unlabeled_html_is_redecoded_too() {
        let mut raw = b"From: a@example.com\nContent-Type: text/html\n\n<p>".to_vec();
        raw.extend_from_slice(b"caf\xe9</p>");
        let opts = ViewOptions {
            fallback_charset: Some("windows-1252".into()),
            ..ViewOptions::default()
        };
        let v = parse(&raw, &opts);
        assert_eq!(v.html_body.as_deref(), Some("<p>café</p>"));
        assert_eq!(v.text_body.trim(), "café");
    }

    #[test]
    fn garbage_never_panics() {
        let opts = ViewOptions::default();
        for input in [
            &b""[..],
            b"\0\0\0",
            b"From: \xff\xfe\n\n",
            b"Content-Type: multipart/mixed; boundary=a\n\n--a\n--a--",
        ] {
            let _ = parse(input, &opts);
        }
    }
}
