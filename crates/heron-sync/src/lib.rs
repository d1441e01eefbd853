//! Heron's sync engine: keeps the local store equal to the IMAP server.
//!
//! [`sync_account`] does one pass for an account (operation log first, then folders,
//! headers, bodies); [`push::wait_for_change`] waits for the server to report new mail;
//! [`oplog`] records what the user does and replays it to the server; [`outbox`] sends
//! what the user wrote, at most once.

mod account;
mod engine;
mod error;
mod flags;
pub mod oplog;
pub mod outbox;
pub mod push;
pub mod search;

pub use account::{imap_options, smtp_options, tls_settings};
pub use engine::{Phase, SyncEvent, SyncOptions, SyncReport, sync_account};
pub use error::{Result, SyncError};
pub use flags::{flags_from_imap, imap_flags};
