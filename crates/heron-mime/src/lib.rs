//! Heron's MIME. On the reading side, any message, however broken or hostile,
//! becomes a [`MessageView`] that the reader can show safely.
//!
//! - [`parse`] turns raw RFC 5322 bytes into the view model: sender (name and address,
//!   always both), recipients, date in the user's zone, subject, a text body, sanitised
//!   HTML, attachments with safe names, nested messages, calendar parts, the contents
//!   of winmail.dat, and [`SecurityNote`]s about spoofing, hidden characters, dangerous
//!   files and deceptive links.
//! - [`sanitize_html`] is the HTML policy on its own (ammonia plus Heron's URL and CSS
//!   rules); [`parse`] uses it for the HTML body.
//!
//! And the sending side: [`build_message`] turns an [`OutgoingMessage`] into 7-bit
//! RFC 5322 bytes, [`parse_address_list`] checks what the user typed, and
//! [`reply_seed`] / [`forward_seed`] start a reply or forward from a received message.
//!
//! Nothing here reads the clock, the network or the file system: time zone and limits
//! come in through [`ViewOptions`]. Parsing never panics on any input; should a bug
//! make it panic anyway, the panic is caught and the view says the message could not
//! be displayed and carries its raw source.

mod charset;
mod compose;
mod css;
mod html;
mod index;
mod notes;
mod parse;
mod tnef;

pub use compose::{
    Address, Attachment, ComposeError, ForwardSeed, InlineImage, OutgoingMessage, ReopenedDraft,
    ReplyMode, ReplySeed, build_draft, build_message, envelope_recipients, forward_seed,
    html_to_text, new_message_id, parse_address_list, reopen_draft, reply_seed,
};
pub use html::{
    CID_SCHEME, REMOTE_ATTR_PREFIX, SanitizeContext, SanitizedHtml, ViewRewrite, cid_url,
    link_warnings, percent_decode, prepare_for_view, sanitize_html,
};
pub use index::{IndexFields, MAX_INDEXED_TEXT, index_fields};
pub use notes::{SecurityNote, escape_visible, safe_file_name};
pub use parse::{PartContent, parse, part_content};

use serde::Serialize;

/// The user's time zone, for showing dates. Passed in, never read from the system, so
/// output is the same on every machine.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum TimeZoneSpec {
    /// Coordinated Universal Time.
    #[default]
    Utc,
    /// A fixed offset from UTC in minutes (east positive), e.g. 480 for UTC+8.
    FixedOffsetMinutes(i32),
    /// An IANA zone name such as `Asia/Shanghai`, resolved against the time zone
    /// database bundled into the binary (daylight saving applied per date). An unknown
    /// name falls back to UTC.
    Iana(String),
}

/// Safety caps. Defaults fit real mail with a wide margin; tests lower them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// How deep message/rfc822 parts are shown nested; deeper ones are listed as
    /// attachments with a [`SecurityNote::LimitExceeded`] note.
    pub max_depth: usize,
    /// How many MIME parts are looked at in total, nested messages included.
    pub max_parts: usize,
    /// How many decoded bytes (bodies and attachments) are taken in total.
    pub max_decoded_bytes: usize,
    /// Raw messages longer than this are shown by their headers only.
    pub max_message_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_depth: 8,
            max_parts: 2_000,
            max_decoded_bytes: 128 * 1024 * 1024,
            max_message_bytes: 256 * 1024 * 1024,
        }
    }
}

/// Everything [`parse`] needs besides the bytes.
#[derive(Clone, Debug, Default)]
pub struct ViewOptions {
    /// The zone dates are shown in.
    pub time_zone: TimeZoneSpec,
    /// The store's key for the message, used in `heron-cid://` URLs.
    pub message_key: String,
    /// The user's choice for 8-bit text that declares no charset (a WHATWG label such
    /// as `gbk` or `windows-1251`); `None` means: UTF-8 if valid, else a statistical
    /// guess (chardetng).
    pub fallback_charset: Option<String>,
    /// Safety caps.
    pub limits: Limits,
}

/// A person or role in an address header: name and address, always both (the name is
/// empty when the header gives none). Hidden characters are shown as `<U+XXXX>`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Mailbox {
    /// The display name, or empty.
    pub display_name: String,
    /// The address as written (empty for a group without members or a broken header).
    pub address: String,
}

/// A date in the message and in the user's zone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DateView {
    /// Seconds since the Unix epoch.
    pub unix: i64,
    /// The time in the user's zone, `YYYY-MM-DD HH:MM:SS +HH:MM`.
    pub local: String,
    /// The offset the sender wrote, `+HH:MM`.
    pub sender_offset: String,
}

/// One attachment (or inline part that is not body text).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AttachmentView {
    /// The name reduced to a safe base name (see [`safe_file_name`]).
    pub file_name: String,
    /// The name as the message gave it (empty if none), hidden characters made visible.
    pub original_name: String,
    /// `type/subtype`, lower case.
    pub content_type: String,
    /// Decoded size in bytes.
    pub size: usize,
    /// Whether the sender marked it inline (typically an image in the HTML).
    pub inline: bool,
    /// The Content-ID without angle brackets, if any.
    pub content_id: Option<String>,
    /// IMAP-style part path (`2`, `1.3`).
    pub part_path: String,
    /// Opening it may run code: the shell asks for confirmation first.
    pub dangerous: bool,
    /// The notes about this attachment (also in the message's list).
    pub warnings: Vec<SecurityNote>,
}

/// A message/rfc822 part shown as a message of its own.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NestedMessage {
    /// The part path of the message/rfc822 part.
    pub part_path: String,
    /// The nested message's view.
    pub view: Box<MessageView>,
}

/// A text/calendar part, kept raw for the calendar to interpret later.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CalendarPart {
    /// Its part path.
    pub part_path: String,
    /// The iTIP method (`REQUEST`, `CANCEL`, ...), upper case, if known.
    pub method: Option<String>,
    /// The iCalendar text.
    pub raw: String,
}

/// What a winmail.dat contains.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TnefView {
    /// The winmail.dat's part path.
    pub part_path: String,
    /// The names of the packed attachments, hidden characters made visible.
    pub attachment_names: Vec<String>,
    /// False if the blob was not readable to the end.
    pub complete: bool,
}

/// The reader's view of one message. Field names are stable: `heronctl show --json`
/// prints this, and tests compare it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MessageView {
    /// Who the reader names as the sender: the first From mailbox (else Sender).
    pub sender: Mailbox,
    /// Every From mailbox.
    pub from: Vec<Mailbox>,
    /// The Sender header, if present.
    pub sender_header: Option<Mailbox>,
    /// Reply-To mailboxes.
    pub reply_to: Vec<Mailbox>,
    /// To mailboxes.
    pub to: Vec<Mailbox>,
    /// Cc mailboxes.
    pub cc: Vec<Mailbox>,
    /// Bcc mailboxes (only in sent copies and drafts).
    pub bcc: Vec<Mailbox>,
    /// The Date header, if it parsed.
    pub date: Option<DateView>,
    /// The subject, hidden characters made visible; empty if none.
    pub subject: String,
    /// The Message-ID without angle brackets.
    pub message_id: Option<String>,
    /// The body as text: text/plain parts, or the HTML body made readable as text.
    pub text_body: String,
    /// The sanitised HTML body, if the message has HTML.
    pub html_body: Option<String>,
    /// Remote items the HTML would have loaded; the remote-content bar shows this.
    pub remote_items_blocked: usize,
    /// Attachments and non-text inline parts.
    pub attachments: Vec<AttachmentView>,
    /// message/rfc822 parts, shown nested.
    pub nested_messages: Vec<NestedMessage>,
    /// text/calendar parts.
    pub calendar_parts: Vec<CalendarPart>,
    /// winmail.dat contents.
    pub tnef: Vec<TnefView>,
    /// Everything the user should be warned about, in the order found.
    pub security_notes: Vec<SecurityNote>,
    /// The raw message (lossy UTF-8, at most 1 MiB) when it could not be displayed;
    /// `None` otherwise (the store has the bytes).
    pub raw_source: Option<String>,
}
