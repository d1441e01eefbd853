//! Starting a reply or a forward from a received message.
//!
//! The original is untrusted: it is read through [`crate::parse`] (the reader's
//! parser, with its caps and charset handling) and its HTML through [`sanitize_html`]
//! (via the view). For quoting, the sanitised HTML is then made fit to send: remote
//! items, which the sanitiser only made inert, are dropped entirely (so a reply never
//! carries the original sender's trackers), and inline images are pointed back at
//! `cid:` URLs and carried along.
//!
//! [`sanitize_html`]: crate::sanitize_html

use std::collections::HashSet;
use std::panic::{AssertUnwindSafe, catch_unwind};

use html5ever::tokenizer::{TagKind, Token};
use mail_parser::{HeaderName, HeaderValue, MessageParser, MimeHeaders, PartType};
use serde::{Deserialize, Serialize};

use crate::html::{REMOTE_ATTR_PREFIX, cid_url, escape_into, tokenize};
use crate::notes::safe_file_name;
use crate::{Mailbox, MessageView, ViewOptions, parse};

use super::build::{checked_content_type, is_valid_id};
use super::{Address, Attachment, InlineImage};

/// The message key the original is sanitised under; its `heron-cid://` URLs are
/// turned back into `cid:` URLs for sending.
const ORIGINAL_KEY: &str = "original";

/// How many ids References keeps: the thread's first (its root, which threading
/// relies on) and the most recent ones.
const MAX_REFERENCES: usize = 20;

/// Subject prefixes that mean "reply" (compared ignoring ASCII case, before `:` or
/// the full-width `：`).
const REPLY_PREFIXES: &[&str] = &["re", "aw", "sv", "antw", "回复", "答复", "回覆", "答覆"];

/// Subject prefixes that mean "forward".
const FORWARD_PREFIXES: &[&str] = &["fwd", "fw", "wg", "转发", "轉寄", "转寄"];

/// Whom a reply goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReplyMode {
    /// The sender only (Reply-To if the original has one, else From).
    Reply,
    /// The sender and every other recipient of the original.
    ReplyAll,
}

/// The start of a reply. Text uses `\n` line endings (the builder normalises them).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplySeed {
    /// Recipients: the original's Reply-To (else From); with
    /// [`ReplyMode::ReplyAll`] also its To. The user's own addresses are left out; if
    /// the original was the user's own message, its To recipients take their place.
    pub to: Vec<Address>,
    /// With [`ReplyMode::ReplyAll`], the original's Cc (minus own addresses and
    /// anyone already in `to`).
    pub cc: Vec<Address>,
    /// The subject with one `Re: ` in front (existing `Re:`, `RE:`, `Aw:`, `回复:`,
    /// `答复:`, ... prefixes are replaced, not stacked).
    pub subject: String,
    /// The original's Message-ID.
    pub in_reply_to: Option<String>,
    /// The original's References (or In-Reply-To) plus its Message-ID: the first id
    /// and the last 19 when longer than 20.
    pub references: Vec<String>,
    /// `On <date>, <name> wrote:` then the original text, each line prefixed `> `.
    pub quoted_text: String,
    /// The attribution, then the original HTML sanitised (remote content removed,
    /// scripts and handlers gone) in `<blockquote type="cite">`; a text-only original
    /// is escaped and put in the blockquote.
    pub quoted_html: String,
    /// The original's inline images that `quoted_html` shows (through `cid:` URLs),
    /// to send along with the reply.
    pub inline_images: Vec<InlineImage>,
}

/// The start of a forward. Text uses `\n` line endings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForwardSeed {
    /// The subject with one `Fwd: ` in front.
    pub subject: String,
    /// Inline forward: a "Forwarded message" block (From, Date, Subject, To, Cc) then
    /// the original text. Empty when forwarding as an attachment.
    pub quoted_text: String,
    /// Inline forward: the same block, then the original HTML sanitised as for a
    /// reply. Empty when forwarding as an attachment.
    pub quoted_html: String,
    /// Inline forward: the original's attachments. As attachment: the original
    /// itself, as `message/rfc822` named after its subject.
    pub attachments: Vec<Attachment>,
    /// Inline forward: the original's inline images that `quoted_html` shows.
    pub inline_images: Vec<InlineImage>,
}

/// Proposes a reply to `original` (raw RFC 5322 bytes). `own_addresses` are the
/// user's bare email addresses, compared ignoring case. Never panics; an unreadable
/// original gives a seed with what could be read.
pub fn reply_seed(original: &[u8], mode: ReplyMode, own_addresses: &[String]) -> ReplySeed {
    let orig = Original::read(original);
    let own: HashSet<String> = own_addresses
        .iter()
        .map(|a| a.trim().to_lowercase())
        .collect();
    let is_own = |a: &Address| own.contains(&a.email.to_lowercase());
    let from = addresses(&orig.view.from);
    let reply_to = addresses(&orig.view.reply_to);
    let orig_to = addresses(&orig.view.to);
    let orig_cc = addresses(&orig.view.cc);

    let mut primary = if reply_to.is_empty() { from } else { reply_to };
    // Answering one's own message (from Sent) means writing to its recipients again.
    if !primary.is_empty() && primary.iter().all(is_own) && !orig_to.is_empty() {
        primary = orig_to.clone();
    }
    let mut to = primary.clone();
    let mut cc = Vec::new();
    if mode == ReplyMode::ReplyAll {
        to.extend(orig_to);
        cc = orig_cc;
    }
    let mut seen = HashSet::new();
    let mut keep = |list: Vec<Address>| -> Vec<Address> {
        list.into_iter()
            .filter(|a| !is_own(a) && seen.insert(a.email.to_lowercase()))
            .collect()
    };
    let mut to = keep(to);
    let cc = keep(cc);
    if to.is_empty() && cc.is_empty() {
        // Only the user is left (a note to self): keep them rather than nobody.
        let mut seen = HashSet::new();
        to = primary
            .into_iter()
            .filter(|a| seen.insert(a.email.to_lowercase()))
            .collect();
    }

    let attribution = match &orig.date {
        Some(date) => format!("On {date}, {} wrote:", orig.sender_name()),
        None => format!("{} wrote:", orig.sender_name()),
    };
    let body = orig.view.text_body.trim_end();
    let mut quoted_text = attribution.clone();
    quoted_text.push('\n');
    for line in body.lines() {
        quoted_text.push_str(&quote_line(line));
        quoted_text.push('\n');
    }
    let (inner, cids) = orig.quotable_html();
    let quoted_html = format!(
        "<div>{}</div><blockquote type=\"cite\">{inner}</blockquote>",
        escaped(&attribution)
    );
    let (inline_images, _) = orig.split_parts(&cids);

    ReplySeed {
        to,
        cc,
        subject: format!("Re: {}", strip_prefixes(&orig.view.subject, REPLY_PREFIXES)),
        in_reply_to: orig.message_id.clone(),
        references: orig.references(),
        quoted_text,
        quoted_html,
        inline_images,
    }
}

/// Proposes a forward of `original` (raw RFC 5322 bytes): inline (the original's
/// header summary and body, and its attachments carried over) or as one
/// `message/rfc822` attachment holding the original bytes, named after the subject
/// with `.eml`. Never panics.
pub fn forward_seed(original: &[u8], as_attachment: bool) -> ForwardSeed {
    let orig = Original::read(original);
    let subject = format!(
        "Fwd: {}",
        strip_prefixes(&orig.view.subject, FORWARD_PREFIXES)
    );
    if as_attachment {
        let stem = orig.view.subject.trim().replace(['/', '\\'], "_");
        let stem = if stem.trim_matches([' ', '.']).is_empty() {
            "message".to_owned()
        } else {
            stem
        };
        return ForwardSeed {
            subject,
            quoted_text: String::new(),
            quoted_html: String::new(),
            attachments: vec![Attachment {
                file_name: safe_file_name(&format!("{stem}.eml")),
                content_type: "message/rfc822".to_owned(),
                data: original.to_vec(),
            }],
            inline_images: Vec::new(),
        };
    }
    let list = |boxes: &[Mailbox]| {
        boxes
            .iter()
            .map(mailbox_text)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut summary = vec![
        "---------- Forwarded message ----------".to_owned(),
        format!("From: {}", list(&orig.view.from)),
    ];
    if let Some(date) = &orig.date {
        summary.push(format!("Date: {date}"));
    }
    summary.push(format!("Subject: {}", orig.view.subject));
    summary.push(format!("To: {}", list(&orig.view.to)));
    if !orig.view.cc.is_empty() {
        summary.push(format!("Cc: {}", list(&orig.view.cc)));
    }
    let quoted_text = format!(
        "{}\n\n{}\n",
        summary.join("\n"),
        orig.view.text_body.trim_end()
    );
    let (inner, cids) = orig.quotable_html();
    let summary_html: Vec<String> = summary.iter().map(|l| escaped(l)).collect();
    let quoted_html = format!(
        "<div>{}</div><br><div>{inner}</div>",
        summary_html.join("<br>")
    );
    let (inline_images, attachments) = orig.split_parts(&cids);
    ForwardSeed {
        subject,
        quoted_text,
        quoted_html,
        attachments,
        inline_images,
    }
}

/// What the seeds need from the original.
struct Original {
    view: MessageView,
    message_id: Option<String>,
    /// References, else In-Reply-To.
    thread: Vec<String>,
    /// Its own In-Reply-To (first id).
    in_reply_to: Option<String>,
    /// The Date header in the sender's own time, `YYYY-MM-DD HH:MM +HH:MM`.
    date: Option<String>,
    parts: Vec<OriginalPart>,
}

/// An attachment or inline part of the original, with its decoded bytes.
struct OriginalPart {
    file_name: String,
    content_type: String,
    content_id: Option<String>,
    data: Vec<u8>,
}

impl Original {
    fn read(raw: &[u8]) -> Original {
        let view = parse(
            raw,
            &ViewOptions {
                message_key: ORIGINAL_KEY.to_owned(),
                ..ViewOptions::default()
            },
        );
        let mut orig = Original {
            view,
            message_id: None,
            thread: Vec::new(),
            in_reply_to: None,
            date: None,
            parts: Vec::new(),
        };
        // mail-parser can trip a debug assertion on malformed nesting (see parse.rs);
        // the view above is complete either way, only ids and parts would be missing.
        let _ = catch_unwind(AssertUnwindSafe(|| orig.read_raw(raw)));
        orig
    }

    fn read_raw(&mut self, raw: &[u8]) {
        let Some(msg) = MessageParser::new().parse(raw) else {
            return;
        };
        let ids = |name: HeaderName<'static>| -> Vec<String> {
            let list = match msg.header(name) {
                Some(HeaderValue::Text(t)) => vec![t.to_string()],
                Some(HeaderValue::TextList(l)) => l.iter().map(|t| t.to_string()).collect(),
                _ => Vec::new(),
            };
            list.into_iter()
                .map(|id| id.trim().to_owned())
                .filter(|id| is_valid_id(id))
                .collect()
        };
        self.message_id = msg
            .message_id()
            .map(str::trim)
            .filter(|id| is_valid_id(id))
            .map(str::to_owned);
        self.in_reply_to = ids(HeaderName::InReplyTo).into_iter().next();
        self.thread = ids(HeaderName::References);
        if self.thread.is_empty() {
            self.thread = self.in_reply_to.iter().cloned().collect();
        }
        self.date = msg.date().and_then(|d| {
            let valid = (1..=12).contains(&d.month)
                && (1..=31).contains(&d.day)
                && d.hour < 24
                && d.minute < 60;
            valid.then(|| {
                format!(
                    "{:04}-{:02}-{:02} {:02}:{:02} {}{:02}:{:02}",
                    d.year,
                    d.month,
                    d.day,
                    d.hour,
                    d.minute,
                    if d.tz_before_gmt { '-' } else { '+' },
                    d.tz_hour,
                    d.tz_minute
                )
            })
        });
        for &id in &msg.attachments {
            let Some(part) = msg.parts.get(id as usize) else {
                continue;
            };
            let data = match &part.body {
                PartType::Multipart(_) => continue,
                // Text comes decoded to UTF-8; the builder labels text/* UTF-8 data.
                PartType::Text(t) | PartType::Html(t) => t.as_bytes().to_vec(),
                PartType::Binary(b) | PartType::InlineBinary(b) => b.to_vec(),
                PartType::Message(m) => m.raw_message().to_vec(),
            };
            let declared = part
                .content_type()
                .map(|ct| match ct.subtype() {
                    Some(sub) => format!("{}/{sub}", ct.ctype()),
                    None => ct.ctype().to_owned(),
                })
                .unwrap_or_default();
            let is_message = matches!(part.body, PartType::Message(_));
            let content_type = checked_content_type("", &declared).unwrap_or_else(|_| {
                if is_message {
                    "message/rfc822".to_owned()
                } else {
                    "application/octet-stream".to_owned()
                }
            });
            let name = match (part.attachment_name(), &part.body) {
                (Some(n), _) => n.to_owned(),
                (None, PartType::Message(m)) => {
                    format!("{}.eml", m.subject().unwrap_or("message").replace('/', "_"))
                }
                (None, _) => "attachment".to_owned(),
            };
            let content_id = part
                .content_id()
                .map(|c| {
                    c.trim()
                        .trim_start_matches('<')
                        .trim_end_matches('>')
                        .to_owned()
                })
                .filter(|c| is_valid_id(c));
            self.parts.push(OriginalPart {
                file_name: safe_file_name(&name),
                content_type,
                content_id,
                data,
            });
        }
    }

    fn sender_name(&self) -> String {
        let s = &self.view.sender;
        if !s.display_name.is_empty() {
            s.display_name.clone()
        } else if !s.address.is_empty() {
            s.address.clone()
        } else {
            "The sender".to_owned()
        }
    }

    fn references(&self) -> Vec<String> {
        let mut refs = self.thread.clone();
        if let Some(id) = &self.message_id {
            refs.retain(|r| r != id);
            refs.push(id.clone());
        }
        if refs.len() > MAX_REFERENCES {
            let tail = refs.split_off(refs.len() - (MAX_REFERENCES - 1));
            refs.truncate(1);
            refs.extend(tail);
        }
        refs
    }

    /// The body as HTML fit to quote, and the `heron-cid://` URLs it showed.
    fn quotable_html(&self) -> (String, HashSet<String>) {
        match &self.view.html_body {
            Some(html) => outgoing_html(html),
            None => (
                format!(
                    "<div style=\"white-space: pre-wrap\">{}</div>",
                    escaped(self.view.text_body.trim_end())
                ),
                HashSet::new(),
            ),
        }
    }

    /// The parts as (inline images the HTML shows, other attachments).
    fn split_parts(&self, shown: &HashSet<String>) -> (Vec<InlineImage>, Vec<Attachment>) {
        let mut images = Vec::new();
        let mut attachments = Vec::new();
        for part in &self.parts {
            match &part.content_id {
                Some(cid) if shown.contains(&cid_url(ORIGINAL_KEY, cid)) => {
                    images.push(InlineImage {
                        content_id: cid.clone(),
                        content_type: part.content_type.clone(),
                        file_name: part.file_name.clone(),
                        data: part.data.clone(),
                    });
                }
                _ => attachments.push(Attachment {
                    file_name: part.file_name.clone(),
                    content_type: part.content_type.clone(),
                    data: part.data.clone(),
                }),
            }
        }
        (images, attachments)
    }
}

/// A draft read back from a Drafts folder (saved there by Heron on another machine,
/// or by another client), to go on writing it. The server's copy is as untrusted as
/// any mail: its HTML comes through the sanitiser, its inline images back as `cid:`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReopenedDraft {
    /// Its Message-ID, which the sent message keeps.
    pub message_id: Option<String>,
    /// To.
    pub to: Vec<Address>,
    /// Cc.
    pub cc: Vec<Address>,
    /// Bcc (drafts keep it).
    pub bcc: Vec<Address>,
    /// Subject.
    pub subject: String,
    /// The text body.
    pub text: String,
    /// The HTML body, sanitised.
    pub html: Option<String>,
    /// The message it answers.
    pub in_reply_to: Option<String>,
    /// Its References.
    pub references: Vec<String>,
    /// Images the HTML shows.
    pub inline_images: Vec<InlineImage>,
    /// Other attachments.
    pub attachments: Vec<Attachment>,
}

/// Reads a draft from the server back into its parts.
pub fn reopen_draft(raw: &[u8]) -> ReopenedDraft {
    let orig = Original::read(raw);
    let (html, shown) = match &orig.view.html_body {
        Some(h) => {
            let (html, shown) = outgoing_html(h);
            (Some(html), shown)
        }
        None => (None, HashSet::new()),
    };
    let (inline_images, attachments) = orig.split_parts(&shown);
    ReopenedDraft {
        message_id: orig.message_id.clone(),
        to: addresses(&orig.view.to),
        cc: addresses(&orig.view.cc),
        bcc: addresses(&orig.view.bcc),
        subject: orig.view.subject.clone(),
        text: orig.view.text_body.clone(),
        html,
        in_reply_to: orig.in_reply_to.clone(),
        references: orig.thread.clone(),
        inline_images,
        attachments,
    }
}

/// Sanitised HTML made fit to send: inert remote attributes dropped, this message's
/// `heron-cid://` URLs written as `cid:` again. Returns the HTML and the
/// `heron-cid://` URLs it used. The input is the sanitiser's output (no raw-text
/// elements), so the tokenizer reads it exactly as a browser would, and everything
/// is escaped again on the way out.
fn outgoing_html(sanitized: &str) -> (String, HashSet<String>) {
    let own_prefix = cid_url(ORIGINAL_KEY, "");
    let mut used = HashSet::new();
    let mut out = String::with_capacity(sanitized.len());
    for token in tokenize(sanitized) {
        match token {
            Token::TagToken(tag) if tag.kind == TagKind::StartTag => {
                out.push('<');
                out.push_str(&tag.name);
                for attr in &tag.attrs {
                    let name: &str = &attr.name.local;
                    if name.starts_with(REMOTE_ATTR_PREFIX) {
                        continue;
                    }
                    let mut value: String = attr.value.to_string();
                    if matches!(name, "src" | "background")
                        && let Some(rest) = value.strip_prefix(&own_prefix)
                    {
                        let rest = rest.to_owned();
                        used.insert(value);
                        value = format!("cid:{rest}");
                    } else if name == "style" && value.contains(&own_prefix) {
                        value = style_cids(&value, &own_prefix, &mut used);
                    }
                    out.push(' ');
                    out.push_str(name);
                    out.push_str("=\"");
                    escape_into(&value, true, &mut out);
                    out.push('"');
                }
                out.push('>');
            }
            Token::TagToken(tag) => {
                out.push_str("</");
                out.push_str(&tag.name);
                out.push('>');
            }
            Token::CharacterTokens(text) => escape_into(&text, false, &mut out),
            _ => {}
        }
    }
    (out, used)
}

/// A style value with `url(heron-cid://original/x)` written as `url(cid:x)`; records
/// the URLs. The id runs as far as the characters [`cid_url`] leaves unescaped.
fn style_cids(style: &str, own_prefix: &str, used: &mut HashSet<String>) -> String {
    let mut out = String::with_capacity(style.len());
    let mut rest = style;
    while let Some(at) = rest.find(own_prefix) {
        out.push_str(&rest[..at]);
        let after = &rest[at + own_prefix.len()..];
        let end = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || "-._~@$!&*+=%".contains(c)))
            .unwrap_or(after.len());
        used.insert(format!("{own_prefix}{}", &after[..end]));
        out.push_str("cid:");
        out.push_str(&after[..end]);
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

fn escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_into(text, false, &mut out);
    out
}

fn addresses(boxes: &[Mailbox]) -> Vec<Address> {
    boxes
        .iter()
        .filter_map(|m| Address::new(Some(&m.display_name), &m.address).ok())
        .collect()
}

fn mailbox_text(m: &Mailbox) -> String {
    if m.display_name.is_empty() {
        m.address.clone()
    } else {
        format!("{} <{}>", m.display_name, m.address)
    }
}

fn quote_line(line: &str) -> String {
    if line.is_empty() {
        ">".to_owned()
    } else if line.starts_with('>') {
        format!(">{line}")
    } else {
        format!("> {line}")
    }
}

/// The subject without any leading run of the given prefixes (`Re: Aw: RE[2]: x`
/// gives `x`).
fn strip_prefixes<'a>(subject: &'a str, prefixes: &[&str]) -> &'a str {
    let mut s = subject.trim();
    'outer: loop {
        for p in prefixes {
            let Some(head) = s.get(..p.len()) else {
                continue;
            };
            if !head.eq_ignore_ascii_case(p) {
                continue;
            }
            let mut rest = s[p.len()..].trim_start();
            // A counter some clients add: `Re[2]:`, `Re(2):`.
            if let Some(r) = rest.strip_prefix(['[', '(']) {
                let digits = r.trim_start_matches(|c: char| c.is_ascii_digit());
                if let Some(r) = digits.strip_prefix([']', ')']) {
                    rest = r.trim_start();
                }
            }
            if let Some(r) = rest.strip_prefix([':', '：']) {
                s = r.trim_start();
                continue 'outer;
            }
        }
        return s;
    }
}

#[cfg(test)]
mod tests;
