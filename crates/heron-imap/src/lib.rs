//! Heron's IMAP client.
//!
//! Wraps async-imap with what a mail client facing hostile servers needs: TLS only
//! (implicit, or STARTTLS that must succeed), credentials never sent in clear, a guard on
//! the byte stream that caps line length, literal size and nesting before the parser sees
//! anything, typed encoders for every string that reaches a command, timeouts on every
//! step, and errors typed by what the user can do about them.

mod connect;
pub mod encode;
mod error;
pub mod guard;
mod session;

pub use connect::{
    Auth, ConnectOptions, ImapStream, Security, Timeouts, connect, read_pem_certificates,
    tls_config,
};
pub use error::{ImapError, Result};
pub use guard::ProtocolLimits;
pub use session::{
    CopyUid, FetchItems, Fetched, FlagChange, IdleOutcome, ImapSession, KnownState, MailboxListing,
    MailboxStatus, SearchKey, Selected, SpecialUse, UidRange, parse_internal_date,
};
