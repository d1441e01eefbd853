//! Heron's sending side of MIME: what the user wrote becomes RFC 5322 bytes that any
//! server accepts, and a message being answered or forwarded becomes the start of a
//! new one.
//!
//! - [`parse_address_list`] and [`Address::new`] check what the user typed in the
//!   address fields.
//! - [`build_message`] turns an [`OutgoingMessage`] into the bytes to send (and
//!   [`build_draft`] into those of a draft): 7-bit
//!   ASCII, CRLF line endings, every header value checked so CR, LF and NUL can never
//!   inject a header, non-ASCII text in RFC 2047 encoded words and RFC 2231 parameters,
//!   bodies in quoted-printable or base64. [`envelope_recipients`] lists who gets it.
//! - [`reply_seed`] and [`forward_seed`] read a received message (through the same
//!   parser and sanitiser as the reader) and propose recipients, subject, threading
//!   headers and the quoted original.
//! - [`html_to_text`] makes the text/plain alternative of an HTML body.
//!
//! Like the reading side, nothing here reads the clock, draws random numbers or does
//! I/O: the date, the Message-ID and its randomness come in with the message, so the
//! same input always gives the same bytes.

mod address;
mod build;
mod encode;
mod html_text;
mod seed;

use std::fmt;

use serde::{Deserialize, Serialize};

pub use address::parse_address_list;
pub use build::{build_draft, build_message, envelope_recipients, new_message_id};
pub use html_text::html_to_text;
pub use seed::{
    ForwardSeed, ReopenedDraft, ReplyMode, ReplySeed, forward_seed, reopen_draft, reply_seed,
};

/// Why a message could not be built. The UI branches on [`ComposeError::code`]; the
/// `Display` text (English) says what to fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ComposeError {
    /// A header value holds CR, LF or NUL (header injection) or another control
    /// character. `field` names where: `subject`, `from`, `to`, `cc`, `bcc`,
    /// `reply_to`, `display name`, `address`, `message id`, `in reply to`,
    /// `references`, `attachment file name`, `attachment content type`,
    /// `inline image file name`, `inline image content type`, `inline image content id`.
    ForbiddenCharacter {
        /// The field the character was found in.
        field: &'static str,
    },
    /// An address that does not parse. `input` is the text given, with hidden
    /// characters made visible (see [`crate::escape_visible`]).
    InvalidAddress {
        /// The offending entry as typed.
        input: String,
    },
    /// The message has no recipient at all (To, Cc and Bcc are empty).
    NoRecipients,
    /// Any other structural problem (a malformed content type or content id, a date
    /// out of range, ...), described in the text.
    Invalid(String),
}

impl ComposeError {
    /// The stable code of this error: `forbidden_character`, `invalid_address`,
    /// `no_recipients` or `invalid`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::ForbiddenCharacter { .. } => "forbidden_character",
            Self::InvalidAddress { .. } => "invalid_address",
            Self::NoRecipients => "no_recipients",
            Self::Invalid(_) => "invalid",
        }
    }
}

impl fmt::Display for ComposeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ForbiddenCharacter { field } => write!(
                f,
                "The {field} contains a line break or control character; remove it and try again"
            ),
            Self::InvalidAddress { input } => write!(
                f,
                "“{input}” is not a valid email address; correct or remove it"
            ),
            Self::NoRecipients => write!(
                f,
                "The message has no recipients; add at least one address to To, Cc or Bcc"
            ),
            Self::Invalid(reason) => f.write_str(reason),
        }
    }
}

impl std::error::Error for ComposeError {}

/// One mailbox: an optional display name and an address.
///
/// Build it with [`Address::new`] or [`parse_address_list`], which check it;
/// [`build_message`] checks the fields again, because they are public.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    /// The display name (`None` when there is none; never empty).
    pub name: Option<String>,
    /// `local@domain`. A non-ASCII (IDN) domain is kept as UTF-8: the message headers
    /// carry its punycode form, the SMTP layer decides what the envelope uses.
    pub email: String,
}

/// A file attached to the message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// The name shown to the recipient (any Unicode; no control characters).
    pub file_name: String,
    /// `type/subtype`, without parameters (e.g. `application/pdf`). For a `text/*`
    /// attachment whose data is valid UTF-8, `charset=utf-8` is added when sending.
    pub content_type: String,
    /// The file's bytes.
    pub data: Vec<u8>,
}

/// An image the HTML body shows through a `cid:` URL.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InlineImage {
    /// The Content-ID without angle brackets; the HTML refers to it as
    /// `cid:<content_id>`. Printable ASCII without spaces or angle brackets.
    pub content_id: String,
    /// `type/subtype`, e.g. `image/png`.
    pub content_type: String,
    /// The name shown if the recipient saves the image.
    pub file_name: String,
    /// The image's bytes.
    pub data: Vec<u8>,
}

/// Everything a message to send consists of.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutgoingMessage {
    /// The author.
    pub from: Address,
    /// To recipients.
    pub to: Vec<Address>,
    /// Cc recipients.
    pub cc: Vec<Address>,
    /// Bcc recipients: in the envelope, never in the bytes.
    pub bcc: Vec<Address>,
    /// Where replies should go, if not to `from`.
    pub reply_to: Vec<Address>,
    /// The subject (may be empty).
    pub subject: String,
    /// Plain text body; when `None` and `html` is `Some`, the text part is derived
    /// from the HTML with [`html_to_text`].
    pub text: Option<String>,
    /// HTML body, if any. Sent as written: the composer is trusted with its own HTML.
    pub html: Option<String>,
    /// Images the HTML shows through `cid:` URLs.
    pub inline_images: Vec<InlineImage>,
    /// Attached files.
    pub attachments: Vec<Attachment>,
    /// Without angle brackets, e.g. `abc123@corp.example` (see [`new_message_id`]).
    pub message_id: String,
    /// Unix seconds, for the Date header.
    pub date: i64,
    /// The sender's UTC offset in minutes (east positive), for the Date header.
    pub utc_offset_minutes: i32,
    /// The Message-ID this answers, without angle brackets.
    pub in_reply_to: Option<String>,
    /// The thread's Message-IDs, oldest first, without angle brackets.
    pub references: Vec<String>,
}
