//! Heron's submission client, on lettre's SMTP connection.
//!
//! - Implicit TLS (port 465) or STARTTLS that must succeed (port 587). Everything before
//!   TLS is read one line at a time, so bytes a man in the middle appends after the
//!   server's "220 go ahead" break the handshake instead of being read as answers.
//! - AUTH PLAIN (or LOGIN when PLAIN is not offered) with a password, XOAUTH2 with a
//!   token; never a weaker mechanism behind the user's back.
//! - At most once: [`send`] reports [`SmtpError::DeliveryUncertain`] whenever the final
//!   dot of DATA may have reached the server but its answer did not reach us. The caller
//!   must then ask the user instead of sending again; every other failure is certain
//!   not to have delivered anything.

mod client;
mod error;
mod meter;

pub use client::{
    Auth, Envelope, Security, SmtpOptions, Timeouts, send, send_recorded, verify_login,
};
pub use error::{SmtpError, Stage};
