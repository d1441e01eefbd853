//! [`OutgoingMessage`] to RFC 5322 bytes.
//!
//! Every input is checked before a byte is written: header values for CR, LF, NUL
//! and other control characters, addresses for syntax, content types and ids for
//! shape. The encoders in [`super::encode`] then guarantee the output is 7-bit ASCII
//! with CRLF line endings and short lines, which a final pass verifies again, so a
//! bug here fails the send instead of sending something a server could misread.

use std::collections::HashSet;

use jiff::civil::Weekday;
use jiff::tz::{Offset, TimeZone};

use crate::notes::escape_visible;

use super::address::{ascii_domain, checked_address};
use super::encode::{
    base64_lines, crlf_normalised, file_name_params, fold_header, phrase_tokens, quoted_printable,
    unstructured_tokens,
};
use super::{Address, Attachment, ComposeError, InlineImage, OutgoingMessage, html_to_text};

/// The longest Message-ID (or reference, or content id) accepted, in characters; real
/// ones are under 100, and this keeps every header line far below 998.
const MAX_ID: usize = 250;

/// RFC 6838 §4.2: type and subtype names are at most 127 characters.
const MAX_TYPE_NAME: usize = 127;

/// RFC 5322 §2.1.1: no line may be longer than this, CRLF excluded.
const MAX_LINE: usize = 998;

/// The domain used by [`new_message_id`] when the given one is unusable (`.invalid` is
/// reserved and can never belong to anyone, RFC 2606).
const FALLBACK_ID_DOMAIN: &str = "heron.invalid";

/// Builds the bytes of `msg` as sent over SMTP and stored in Sent.
///
/// The output uses CRLF line endings everywhere, is 7-bit ASCII only (so any server
/// takes it without 8BITMIME), always ends with CRLF, and never contains Bcc.
///
/// Structure: text only is a single text/plain part; text and HTML a
/// multipart/alternative; HTML with inline images puts a multipart/related (HTML then
/// images) inside the alternative; attachments (and inline images when there is no
/// HTML to show them) wrap it all in a multipart/mixed.
///
/// Text and HTML bodies are quoted-printable UTF-8 after their line endings are
/// normalised: every CR, LF or CRLF becomes one CRLF (so the recipient decodes
/// exactly the input with that normalisation). Attachments and images are base64,
/// except message/rfc822 (RFC 2046 forbids base64 for it): it is sent 7bit when the
/// message is 7-bit with lines of at most 998 characters (line endings normalised to
/// CRLF), else as application/octet-stream in base64, keeping its file name.
///
/// Headers: non-ASCII subjects and display names become RFC 2047 encoded words,
/// folded at 78 characters; IDN domains in addresses are written as punycode;
/// non-ASCII or long file names use RFC 2231 plus an ASCII fallback. When there are
/// only Bcc recipients, To is `undisclosed-recipients:;`.
///
/// Errors: [`ComposeError::ForbiddenCharacter`] for a control character in any header
/// input (naming the field), [`ComposeError::InvalidAddress`],
/// [`ComposeError::NoRecipients`] when To, Cc and Bcc are all empty, and
/// [`ComposeError::Invalid`] for a malformed content type, content id or message id,
/// or a date out of range.
pub fn build_message(msg: &OutgoingMessage) -> Result<Vec<u8>, ComposeError> {
    build(msg, Purpose::Send)
}

/// Builds the bytes of `msg` as a draft for the Drafts folder: the same checks and
/// encoding as [`build_message`], except that no recipient is required and Bcc *is*
/// written (as other clients do in drafts, so the Bcc survives when the draft is
/// opened on another device). Never send these bytes: build the message again with
/// [`build_message`].
pub fn build_draft(msg: &OutgoingMessage) -> Result<Vec<u8>, ComposeError> {
    build(msg, Purpose::Draft)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Purpose {
    Send,
    Draft,
}

fn build(msg: &OutgoingMessage, purpose: Purpose) -> Result<Vec<u8>, ComposeError> {
    let from = checked_address("from", &msg.from)?;
    let to = checked_list("to", &msg.to)?;
    let cc = checked_list("cc", &msg.cc)?;
    let bcc = checked_list("bcc", &msg.bcc)?;
    let reply_to = checked_list("reply_to", &msg.reply_to)?;
    if msg.subject.chars().any(|c| c.is_control() && c != '\t') {
        return Err(ComposeError::ForbiddenCharacter { field: "subject" });
    }
    check_id("message id", &msg.message_id, true)?;
    if let Some(id) = &msg.in_reply_to {
        check_id("in reply to", id, false)?;
    }
    for id in &msg.references {
        check_id("references", id, false)?;
    }
    let mut content_ids = HashSet::new();
    let mut images = Vec::with_capacity(msg.inline_images.len());
    for image in &msg.inline_images {
        if !content_ids.insert(image.content_id.as_str()) {
            return Err(ComposeError::Invalid(format!(
                "Two inline images have the content id “{}”; give each image its own",
                escape_visible(&image.content_id)
            )));
        }
        images.push(image_leaf(image)?);
    }
    let attachments = msg
        .attachments
        .iter()
        .map(attachment_leaf)
        .collect::<Result<Vec<_>, _>>()?;
    if purpose == Purpose::Send && to.is_empty() && cc.is_empty() && bcc.is_empty() {
        return Err(ComposeError::NoRecipients);
    }
    let date = rfc5322_date(msg.date, msg.utc_offset_minutes)?;

    let mut head = String::new();
    fold_header(&mut head, "Date", &[date]);
    address_header(&mut head, "From", std::slice::from_ref(&from))?;
    if !reply_to.is_empty() {
        address_header(&mut head, "Reply-To", &reply_to)?;
    }
    if !to.is_empty() {
        address_header(&mut head, "To", &to)?;
    } else if cc.is_empty() && purpose == Purpose::Send {
        // Only Bcc: an empty group says so instead of leaving To out, which some
        // filters count against a message.
        head.push_str("To: undisclosed-recipients:;\r\n");
    }
    if !cc.is_empty() {
        address_header(&mut head, "Cc", &cc)?;
    }
    if purpose == Purpose::Draft && !bcc.is_empty() {
        address_header(&mut head, "Bcc", &bcc)?;
    }
    if !msg.subject.is_empty() {
        fold_header(&mut head, "Subject", &unstructured_tokens(&msg.subject));
    }
    fold_header(&mut head, "Message-ID", &[format!("<{}>", msg.message_id)]);
    if let Some(id) = &msg.in_reply_to {
        fold_header(&mut head, "In-Reply-To", &[format!("<{id}>")]);
    }
    if !msg.references.is_empty() {
        let ids: Vec<String> = msg.references.iter().map(|r| format!("<{r}>")).collect();
        fold_header(&mut head, "References", &ids);
    }
    head.push_str("MIME-Version: 1.0\r\n");

    let root = body_tree(msg, images, attachments);
    let mut leaves = Vec::new();
    root.leaves(&mut leaves);
    let mut boundaries = Boundaries {
        hash: fnv1a(msg.message_id.as_bytes()),
        next: 0,
        leaves,
    };
    let mut out = head.into_bytes();
    root.write(&mut out, &mut boundaries);
    match &root {
        Node::Leaf(leaf) if leaf.quoted_printable && !out.ends_with(b"\r\n") => {
            // A soft line break: the message ends with CRLF (as SMTP wants) without
            // adding a line break to the decoded text.
            out.extend_from_slice(b"=\r\n");
        }
        _ if !out.ends_with(b"\r\n") => out.extend_from_slice(b"\r\n"),
        _ => {}
    }
    verify_wire_form(&out)?;
    Ok(out)
}

fn checked_list(field: &'static str, list: &[Address]) -> Result<Vec<Address>, ComposeError> {
    list.iter().map(|a| checked_address(field, a)).collect()
}

/// Message ids, references and content ids: printable ASCII without spaces or angle
/// brackets. Our own Message-ID must also have the `left@right` form.
fn check_id(field: &'static str, id: &str, needs_at: bool) -> Result<(), ComposeError> {
    if id.chars().any(char::is_control) {
        return Err(ComposeError::ForbiddenCharacter { field });
    }
    let shape_ok = is_valid_id(id)
        && (!needs_at
            || id
                .split_once('@')
                .is_some_and(|(l, r)| !l.is_empty() && !r.is_empty()));
    if shape_ok {
        Ok(())
    } else {
        Err(ComposeError::Invalid(format!(
            "The {field} “{}” is malformed; it must be printable ASCII without spaces or angle brackets{}",
            escape_visible(id),
            if needs_at {
                ", in the form left@right"
            } else {
                ""
            }
        )))
    }
}

/// Printable ASCII without spaces or angle brackets, at most [`MAX_ID`] characters.
pub(super) fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID
        && id
            .chars()
            .all(|c| ('!'..='~').contains(&c) && c != '<' && c != '>')
}

fn check_file_name(field: &'static str, name: &str) -> Result<(), ComposeError> {
    if name.chars().any(char::is_control) {
        return Err(ComposeError::ForbiddenCharacter { field });
    }
    Ok(())
}

fn is_token_char(c: char) -> bool {
    ('!'..='~').contains(&c) && !"()<>@,;:\\\"/[]?=".contains(c)
}

/// `type/subtype`, lower-cased.
pub(super) fn checked_content_type(
    field: &'static str,
    value: &str,
) -> Result<String, ComposeError> {
    if value.chars().any(char::is_control) {
        return Err(ComposeError::ForbiddenCharacter { field });
    }
    let lower = value.trim().to_ascii_lowercase();
    let valid = lower.split_once('/').is_some_and(|(t, s)| {
        [t, s]
            .iter()
            .all(|p| !p.is_empty() && p.len() <= MAX_TYPE_NAME && p.chars().all(is_token_char))
    });
    if !valid {
        return Err(ComposeError::Invalid(format!(
            "The {field} “{}” is not of the form type/subtype (such as application/pdf); correct it",
            escape_visible(value)
        )));
    }
    if lower.starts_with("multipart/") {
        return Err(ComposeError::Invalid(format!(
            "The {field} “{lower}” cannot be used for a single file; use application/octet-stream"
        )));
    }
    Ok(lower)
}

/// One MIME entity with its body already encoded.
struct Leaf {
    /// Header lines, each ending in CRLF.
    headers: String,
    /// The encoded body, without a final CRLF (the delimiter after it brings one).
    body: Vec<u8>,
    quoted_printable: bool,
}

enum Node {
    Leaf(Leaf),
    Multi {
        subtype: &'static str,
        params: Vec<String>,
        children: Vec<Node>,
    },
}

impl Node {
    fn leaves<'a>(&'a self, out: &mut Vec<&'a Leaf>) {
        match self {
            Node::Leaf(leaf) => out.push(leaf),
            Node::Multi { children, .. } => children.iter().for_each(|c| c.leaves(out)),
        }
    }

    fn write(&self, out: &mut Vec<u8>, boundaries: &mut Boundaries<'_>) {
        match self {
            Node::Leaf(leaf) => {
                out.extend_from_slice(leaf.headers.as_bytes());
                out.extend_from_slice(b"\r\n");
                out.extend_from_slice(&leaf.body);
            }
            Node::Multi {
                subtype,
                params,
                children,
            } => {
                let boundary = boundaries.take();
                let mut params = params.clone();
                params.push(format!("boundary=\"{boundary}\""));
                let mut headers = String::new();
                param_header(
                    &mut headers,
                    "Content-Type",
                    format!("multipart/{subtype}"),
                    params,
                );
                out.extend_from_slice(headers.as_bytes());
                out.extend_from_slice(b"\r\n");
                for child in children {
                    out.extend_from_slice(b"--");
                    out.extend_from_slice(boundary.as_bytes());
                    out.extend_from_slice(b"\r\n");
                    child.write(out, boundaries);
                    out.extend_from_slice(b"\r\n");
                }
                out.extend_from_slice(b"--");
                out.extend_from_slice(boundary.as_bytes());
                out.extend_from_slice(b"--");
            }
        }
    }
}

/// Hands out boundaries `=_heron_<n>_<hash of the message id>`, skipping any that
/// occurs in a part. Quoted-printable writes `=` only as `=XX` or a soft break and
/// base64 has no `_`, so `=_` cannot occur in them; a message/rfc822 part sent 7bit
/// can hold anything, which is why every part is checked. The counter comes before
/// the fixed-length hash so no boundary is a prefix of another (`…_1` of `…_10`):
/// some readers match delimiter lines by prefix.
struct Boundaries<'a> {
    hash: u64,
    next: u64,
    leaves: Vec<&'a Leaf>,
}

impl Boundaries<'_> {
    fn take(&mut self) -> String {
        loop {
            let candidate = format!("=_heron_{}_{:016x}", self.next, self.hash);
            self.next += 1;
            let used = self.leaves.iter().any(|leaf| {
                contains(&leaf.body, candidate.as_bytes())
                    || leaf.headers.contains(candidate.as_str())
            });
            if !used {
                return candidate;
            }
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    let Some((&first, rest)) = needle.split_first() else {
        return true;
    };
    let mut from = 0;
    while let Some(found) = haystack
        .get(from..)
        .and_then(|h| h.iter().position(|&b| b == first))
    {
        let at = from + found;
        if haystack
            .get(at + 1..)
            .is_some_and(|after| after.starts_with(rest))
        {
            return true;
        }
        from = at + 1;
    }
    false
}

/// 64-bit FNV-1a: a fixed, dependency-free hash, so boundaries depend only on the id.
fn fnv1a(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn body_tree(msg: &OutgoingMessage, images: Vec<Leaf>, attachments: Vec<Leaf>) -> Node {
    let text = match (&msg.text, &msg.html) {
        (Some(text), _) => text.clone(),
        (None, Some(html)) => html_to_text(html),
        (None, None) => String::new(),
    };
    let text_part = Node::Leaf(text_leaf("plain", &text));
    let (body, loose_images) = match &msg.html {
        None => (text_part, images),
        Some(html) => {
            let html_leaf = Node::Leaf(text_leaf("html", html));
            let html_node = if images.is_empty() {
                html_leaf
            } else {
                let mut children = vec![html_leaf];
                children.extend(images.into_iter().map(Node::Leaf));
                Node::Multi {
                    subtype: "related",
                    params: vec!["type=\"text/html\"".to_owned()],
                    children,
                }
            };
            (
                Node::Multi {
                    subtype: "alternative",
                    params: Vec::new(),
                    children: vec![text_part, html_node],
                },
                Vec::new(),
            )
        }
    };
    if loose_images.is_empty() && attachments.is_empty() {
        return body;
    }
    let mut children = vec![body];
    children.extend(loose_images.into_iter().map(Node::Leaf));
    children.extend(attachments.into_iter().map(Node::Leaf));
    Node::Multi {
        subtype: "mixed",
        params: Vec::new(),
        children,
    }
}

fn text_leaf(subtype: &str, text: &str) -> Leaf {
    Leaf {
        headers: format!(
            "Content-Type: text/{subtype}; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n"
        ),
        body: quoted_printable(&crlf_normalised(text.as_bytes())),
        quoted_printable: true,
    }
}

/// `Name: value; p1; p2`, folded between parameters.
fn param_header(out: &mut String, name: &str, value: String, params: Vec<String>) {
    let mut tokens = Vec::with_capacity(params.len() + 1);
    tokens.push(value);
    tokens.extend(params);
    let last = tokens.len() - 1;
    for token in &mut tokens[..last] {
        token.push(';');
    }
    fold_header(out, name, &tokens);
}

/// Content-Type and Content-Disposition of a file part.
fn file_headers(content_type: &str, data: &[u8], disposition: &str, file_name: &str) -> String {
    let mut type_params = Vec::new();
    if content_type.starts_with("text/") && std::str::from_utf8(data).is_ok() {
        type_params.push("charset=utf-8".to_owned());
    }
    let mut disposition_params = Vec::new();
    if !file_name.is_empty() {
        type_params.extend(file_name_params("name", file_name, false));
        disposition_params.extend(file_name_params("filename", file_name, true));
    }
    let mut headers = String::new();
    param_header(
        &mut headers,
        "Content-Type",
        content_type.to_owned(),
        type_params,
    );
    param_header(
        &mut headers,
        "Content-Disposition",
        disposition.to_owned(),
        disposition_params,
    );
    headers
}

fn image_leaf(image: &InlineImage) -> Result<Leaf, ComposeError> {
    check_file_name("inline image file name", &image.file_name)?;
    let content_type = checked_content_type("inline image content type", &image.content_type)?;
    check_id("inline image content id", &image.content_id, false)?;
    let mut headers = file_headers(&content_type, &image.data, "inline", &image.file_name);
    fold_header(
        &mut headers,
        "Content-ID",
        &[format!("<{}>", image.content_id)],
    );
    headers.push_str("Content-Transfer-Encoding: base64\r\n");
    Ok(Leaf {
        headers,
        body: base64_lines(&image.data),
        quoted_printable: false,
    })
}

fn attachment_leaf(attachment: &Attachment) -> Result<Leaf, ComposeError> {
    check_file_name("attachment file name", &attachment.file_name)?;
    let content_type = checked_content_type("attachment content type", &attachment.content_type)?;
    // RFC 2046 §5.2: message/rfc822, partial and external-body allow only 7bit, 8bit
    // or binary; 8bit and binary would need 8BITMIME/BINARYMIME, which this output
    // avoids. A message that is not 7-bit clean therefore goes as an opaque file
    // (still named .eml, so the recipient's client opens it as a message).
    let is_message = content_type.starts_with("message/") && content_type != "message/global";
    let (content_type, encoding, body) = match is_message.then(|| seven_bit(&attachment.data)) {
        Some(Some(body)) => (content_type, "7bit", body),
        Some(None) => (
            "application/octet-stream".to_owned(),
            "base64",
            base64_lines(&attachment.data),
        ),
        None => (content_type, "base64", base64_lines(&attachment.data)),
    };
    let mut headers = file_headers(
        &content_type,
        &attachment.data,
        "attachment",
        &attachment.file_name,
    );
    headers.push_str(&format!("Content-Transfer-Encoding: {encoding}\r\n"));
    Ok(Leaf {
        headers,
        body,
        quoted_printable: false,
    })
}

/// The data with CRLF line endings if it is 7-bit (no NUL, no byte above 127) with
/// lines of at most 998 characters.
fn seven_bit(data: &[u8]) -> Option<Vec<u8>> {
    let body = crlf_normalised(data);
    let clean = body.iter().all(|&b| b != 0 && b < 0x80)
        && body.split(|&b| b == b'\n').all(|line| {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            line.len() <= MAX_LINE
        });
    clean.then_some(body)
}

fn address_header(out: &mut String, name: &str, list: &[Address]) -> Result<(), ComposeError> {
    let mut tokens = Vec::new();
    for (i, a) in list.iter().enumerate() {
        let addr = header_address(a)?;
        let mut mailbox = match &a.name {
            Some(display) => {
                let mut t = phrase_tokens(display);
                t.push(format!("<{addr}>"));
                t
            }
            None => vec![addr],
        };
        if i + 1 < list.len()
            && let Some(last) = mailbox.last_mut()
        {
            last.push(',');
        }
        tokens.extend(mailbox);
    }
    fold_header(out, name, &tokens);
    Ok(())
}

/// The address as written in a header: the domain in its ASCII (punycode) form.
fn header_address(a: &Address) -> Result<String, ComposeError> {
    let invalid = || ComposeError::InvalidAddress {
        input: escape_visible(&a.email),
    };
    let (local, domain) = a.email.rsplit_once('@').ok_or_else(invalid)?;
    let domain = ascii_domain(domain).ok_or_else(invalid)?;
    if !local.is_ascii() {
        return Err(invalid());
    }
    Ok(format!("{local}@{domain}"))
}

/// `Tue, 14 Apr 2026 10:00:00 +0800` for the instant and offset given.
fn rfc5322_date(unix: i64, offset_minutes: i32) -> Result<String, ComposeError> {
    let offset = offset_minutes
        .checked_mul(60)
        .filter(|_| offset_minutes.abs() < 24 * 60)
        .and_then(|s| Offset::from_seconds(s).ok())
        .ok_or_else(|| {
            ComposeError::Invalid(format!(
                "The time zone offset of {offset_minutes} minutes is out of range; check the computer's time zone"
            ))
        })?;
    let out_of_range = || {
        ComposeError::Invalid(
            "The message date is out of range; check the computer's clock".to_owned(),
        )
    };
    let zoned = jiff::Timestamp::from_second(unix)
        .map_err(|_| out_of_range())?
        .to_zoned(TimeZone::fixed(offset));
    if !(1900..=9999).contains(&zoned.year()) {
        return Err(out_of_range());
    }
    let weekday = match zoned.weekday() {
        Weekday::Monday => "Mon",
        Weekday::Tuesday => "Tue",
        Weekday::Wednesday => "Wed",
        Weekday::Thursday => "Thu",
        Weekday::Friday => "Fri",
        Weekday::Saturday => "Sat",
        Weekday::Sunday => "Sun",
    };
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = usize::try_from(zoned.month() - 1)
        .ok()
        .and_then(|m| MONTHS.get(m))
        .ok_or_else(out_of_range)?;
    let sign = if offset_minutes < 0 { '-' } else { '+' };
    let abs = offset_minutes.unsigned_abs();
    Ok(format!(
        "{weekday}, {} {month} {} {:02}:{:02}:{:02} {sign}{:02}{:02}",
        zoned.day(),
        zoned.year(),
        zoned.hour(),
        zoned.minute(),
        zoned.second(),
        abs / 60,
        abs % 60
    ))
}

/// The last line of defence: what the encoders promise, checked on the real bytes.
fn verify_wire_form(out: &[u8]) -> Result<(), ComposeError> {
    let mut line_len = 0;
    let mut prev = 0u8;
    for &b in out {
        let ok = b.is_ascii()
            && b != 0
            && (b != b'\n' || prev == b'\r')
            && (prev != b'\r' || b == b'\n');
        if !ok {
            return Err(internal_error());
        }
        if b == b'\n' {
            line_len = 0;
        } else if b != b'\r' {
            line_len += 1;
            if line_len > MAX_LINE {
                return Err(internal_error());
            }
        }
        prev = b;
    }
    Ok(())
}

fn internal_error() -> ComposeError {
    ComposeError::Invalid(
        "Heron could not encode this message correctly (internal error); please report it"
            .to_owned(),
    )
}

/// The envelope recipients: the To, Cc and Bcc addresses in that order, each once
/// (compared case-insensitively; the first spelling is kept). IDN domains stay UTF-8:
/// the SMTP layer decides between SMTPUTF8 and punycode. The addresses are not
/// checked here: use this after [`build_message`] accepted the message.
pub fn envelope_recipients(msg: &OutgoingMessage) -> Vec<String> {
    let mut seen = HashSet::new();
    msg.to
        .iter()
        .chain(&msg.cc)
        .chain(&msg.bcc)
        .map(|a| a.email.trim())
        .filter(|email| seen.insert(email.to_lowercase()))
        .map(str::to_owned)
        .collect()
}

/// A new Message-ID, without angle brackets: `<32 hex digits of random>@<domain>`.
/// The domain (normally the sender's) is lower-cased and an IDN converted to
/// punycode; if it is not a usable host name, `heron.invalid` is used instead.
pub fn new_message_id(random: [u8; 16], domain: &str) -> String {
    let hex: String = random.iter().map(|b| format!("{b:02x}")).collect();
    format!("{hex}@{}", id_domain(domain))
}

fn id_domain(domain: &str) -> String {
    let domain = domain.trim().trim_end_matches('.');
    if domain.starts_with('[') {
        return FALLBACK_ID_DOMAIN.to_owned();
    }
    match ascii_domain(domain) {
        Some(ascii)
            if ascii
                .split('.')
                .all(|l| !l.starts_with('-') && !l.ends_with('-')) =>
        {
            ascii.to_ascii_lowercase()
        }
        _ => FALLBACK_ID_DOMAIN.to_owned(),
    }
}

#[cfg(test)]
mod tests;
