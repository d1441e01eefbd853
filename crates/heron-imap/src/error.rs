//! What can go wrong talking to an IMAP server, typed by what the user or the sync
//! engine can do about it: fix the password, trust a certificate, wait for the network,
//! or report a server that misbehaves.

use std::io;

use crate::encode::EncodeError;
use crate::guard::LimitExceeded;

/// An IMAP failure.
#[derive(Debug, thiserror::Error)]
pub enum ImapError {
    /// The server could not be reached (refused, no route, DNS).
    #[error("Cannot reach the mail server {host}:{port}: {source}")]
    Unreachable {
        /// Host as configured.
        host: String,
        /// Port as configured.
        port: u16,
        /// The system's reason.
        source: io::Error,
    },
    /// The TLS handshake failed; most often the certificate is not trusted.
    #[error("The secure connection to {host} failed: {reason}")]
    Tls {
        /// Host as configured.
        host: String,
        /// What rustls reported.
        reason: String,
        /// True when the server's certificate was the problem (untrusted, expired, wrong
        /// name), so the UI can say "certificate" rather than "network".
        certificate: bool,
    },
    /// STARTTLS was required but the server does not offer it (or refused it).
    #[error("The server {host} does not offer STARTTLS, so no secure connection is possible")]
    StartTlsUnavailable {
        /// Host as configured.
        host: String,
    },
    /// The server greeted with PREAUTH before TLS: a connection we cannot trust.
    #[error("The server {host} tried to log in before the connection was secure")]
    PreauthWithoutTls {
        /// Host as configured.
        host: String,
    },
    /// The server refused the credentials.
    #[error("The server refused the login: {server_says}")]
    AuthenticationFailed {
        /// The server's words (shown to the user, never parsed).
        server_says: String,
    },
    /// The server could not check the login just now (`NO [UNAVAILABLE]`, RFC 5530:
    /// Dovecot's answer when its password service fails): the password may be right, so
    /// this is retried, never reported as a wrong password.
    #[error("The mail server cannot check the login just now: {server_says}")]
    LoginUnavailable {
        /// The server's words.
        server_says: String,
    },
    /// The configured way of logging in is not offered by the server. Heron never falls
    /// back to a weaker mechanism on its own.
    #[error("The server does not offer the {mechanism} login")]
    MechanismUnavailable {
        /// The mechanism asked for.
        mechanism: String,
    },
    /// A step took longer than its timeout: a stalled or very slow connection.
    #[error("The mail server did not answer in time ({step})")]
    Timeout {
        /// What was waited for.
        step: String,
    },
    /// The connection closed or failed in the middle of a command.
    #[error("The connection to the mail server was lost: {0}")]
    ConnectionLost(String),
    /// The server sent more than a protocol limit allows.
    #[error("The mail server sent an oversized response: {0}")]
    LimitExceeded(String),
    /// The server answered NO to a command.
    #[error("The server refused {command}: {server_says}")]
    Refused {
        /// The command's name.
        command: String,
        /// The server's words.
        server_says: String,
    },
    /// The server answered BAD, or something unparsable.
    #[error("The server did not understand {command}: {detail}")]
    Protocol {
        /// The command's name.
        command: String,
        /// What went wrong.
        detail: String,
    },
    /// A value could not be encoded safely into a command (CR/LF/NUL, ...).
    #[error("Cannot send this value to the server: {0}")]
    Encode(#[from] EncodeError),
}

impl ImapError {
    /// True when retrying later can help (network trouble), false when a person must
    /// act first (password, certificate, configuration, a server that refuses).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            ImapError::Unreachable { .. }
                | ImapError::Timeout { .. }
                | ImapError::ConnectionLost(_)
                | ImapError::LoginUnavailable { .. }
        ) || matches!(
            self,
            ImapError::Tls {
                certificate: false,
                ..
            }
        )
    }

    /// A stable code the UI and the CLI branch on.
    pub fn code(&self) -> &'static str {
        match self {
            ImapError::Unreachable { .. } => "server_unreachable",
            ImapError::Tls {
                certificate: true, ..
            } => "certificate_untrusted",
            ImapError::Tls { .. } => "tls_failed",
            ImapError::StartTlsUnavailable { .. } => "starttls_unavailable",
            ImapError::PreauthWithoutTls { .. } => "preauth_without_tls",
            ImapError::AuthenticationFailed { .. } => "authentication_failed",
            ImapError::LoginUnavailable { .. } => "server_busy",
            ImapError::MechanismUnavailable { .. } => "mechanism_unavailable",
            ImapError::Timeout { .. } => "timeout",
            ImapError::ConnectionLost(_) => "connection_lost",
            ImapError::LimitExceeded(_) => "limit_exceeded",
            ImapError::Refused { .. } => "server_refused",
            ImapError::Protocol { .. } => "protocol_error",
            ImapError::Encode(_) => "invalid_value",
        }
    }

    /// Classifies an I/O error from the connection (a limit breach comes through as one).
    pub(crate) fn from_io(e: io::Error) -> ImapError {
        if let Some(limit) = e.get_ref().and_then(|r| r.downcast_ref::<LimitExceeded>()) {
            return ImapError::LimitExceeded(limit.to_string());
        }
        ImapError::ConnectionLost(e.to_string())
    }

    /// Classifies an async-imap error for `command`.
    pub(crate) fn from_client(command: &str, e: async_imap::error::Error) -> ImapError {
        use async_imap::error::Error as E;
        match e {
            E::Io(io) => ImapError::from_io(io),
            E::ConnectionLost => ImapError::ConnectionLost("closed by the server".to_owned()),
            E::No(text) => ImapError::Refused {
                command: command.to_owned(),
                server_says: text,
            },
            E::Bad(text) => ImapError::Protocol {
                command: command.to_owned(),
                detail: text,
            },
            other => ImapError::Protocol {
                command: command.to_owned(),
                detail: other.to_string(),
            },
        }
    }
}

/// Result with [`ImapError`].
pub type Result<T, E = ImapError> = std::result::Result<T, E>;
