//! What can go wrong submitting a message, typed by what the user or the outbox can do
//! about it: wait and retry, fix the password or a recipient, or decide themselves
//! whether a message of uncertain fate goes out again.

/// The SMTP step a server refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stage {
    /// MAIL FROM: the sender address.
    Sender,
    /// RCPT TO: one recipient.
    Recipient(String),
    /// The message itself (the answer to DATA or to its final dot).
    Data,
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stage::Sender => f.write_str("the sender"),
            Stage::Recipient(r) => write!(f, "the recipient {r}"),
            Stage::Data => f.write_str("the message"),
        }
    }
}

/// A submission failure. Only [`SmtpError::DeliveryUncertain`] may have delivered the
/// message; every other variant is certain it did not.
#[derive(Debug, thiserror::Error)]
pub enum SmtpError {
    /// The server could not be reached (refused, no route, DNS).
    #[error("Cannot reach the outgoing mail server {host}:{port}: {reason}")]
    Unreachable {
        /// Host as configured.
        host: String,
        /// Port as configured.
        port: u16,
        /// The system's reason.
        reason: String,
    },
    /// The TLS handshake failed.
    #[error("The secure connection to {host} failed: {reason}")]
    Tls {
        /// Host as configured.
        host: String,
        /// What rustls reported.
        reason: String,
        /// True when the certificate was the problem (untrusted, expired, wrong name).
        certificate: bool,
    },
    /// STARTTLS was required but the server does not offer it (or refused it).
    #[error("The server {host} does not offer STARTTLS, so no secure connection is possible")]
    StartTlsUnavailable {
        /// Host as configured.
        host: String,
    },
    /// The server refused the credentials.
    #[error("The outgoing mail server refused the login: {server_says}")]
    AuthenticationFailed {
        /// The server's words.
        server_says: String,
    },
    /// The server could not check the login just now (a 4xx answer to AUTH, such as
    /// Postfix's 454 when its password service is down): the password may be right, so
    /// this is retried, never reported as a wrong password.
    #[error("The outgoing mail server cannot check the login just now: {server_says}")]
    LoginUnavailable {
        /// The server's words.
        server_says: String,
    },
    /// The configured way of logging in is not offered.
    #[error("The outgoing mail server does not offer the {mechanism} login")]
    MechanismUnavailable {
        /// The mechanism asked for.
        mechanism: String,
    },
    /// A step before the message data took longer than its timeout.
    #[error("The outgoing mail server did not answer in time ({step})")]
    Timeout {
        /// What was waited for.
        step: String,
    },
    /// The connection failed before the message data was complete: nothing was delivered.
    #[error("The connection to the outgoing mail server was lost: {0}")]
    ConnectionLost(String),
    /// The server refused the sender, a recipient or the message.
    #[error("The outgoing mail server refused {stage}: {server_says}")]
    Rejected {
        /// Which step was refused.
        stage: Stage,
        /// The reply code (4xx transient, 5xx permanent).
        code: u16,
        /// The server's words, shown to the user.
        server_says: String,
    },
    /// The whole message, final dot included, may have reached the server, but its
    /// answer never arrived: it may or may not have been delivered.
    #[error(
        "The message may have been sent: the connection was lost before the server confirmed it ({reason})"
    )]
    DeliveryUncertain {
        /// What happened.
        reason: String,
    },
    /// Something the user must fix before sending (an address the server cannot take).
    #[error("{0}")]
    Invalid(String),
    /// The send stopped before DATA because its progress could not be recorded (a full
    /// disk): nothing was delivered.
    #[error("The message was not sent because Heron could not record the send: {0}")]
    NotRecorded(String),
    /// The server answered something that is not SMTP.
    #[error("The outgoing mail server sent an invalid answer: {0}")]
    Protocol(String),
}

impl SmtpError {
    /// A stable code the UI and the outbox branch on.
    pub fn code(&self) -> &'static str {
        match self {
            SmtpError::Unreachable { .. } => "server_unreachable",
            SmtpError::Tls {
                certificate: true, ..
            } => "certificate_untrusted",
            SmtpError::Tls { .. } | SmtpError::StartTlsUnavailable { .. } => "tls_failed",
            SmtpError::AuthenticationFailed { .. } | SmtpError::MechanismUnavailable { .. } => {
                "authentication_failed"
            }
            SmtpError::Timeout { .. } | SmtpError::ConnectionLost(_) => "connection_lost",
            SmtpError::Rejected { code, .. } if *code < 500 => "server_busy",
            SmtpError::LoginUnavailable { .. } => "server_busy",
            SmtpError::Rejected { .. } => "rejected",
            SmtpError::DeliveryUncertain { .. } => "delivery_uncertain",
            SmtpError::Invalid(_) => "invalid_input",
            SmtpError::NotRecorded(_) => "local_store_failed",
            SmtpError::Protocol(_) => "server_misbehaved",
        }
    }

    /// True when trying again later may work without anyone changing anything.
    pub fn is_transient(&self) -> bool {
        match self {
            SmtpError::Unreachable { .. }
            | SmtpError::Timeout { .. }
            | SmtpError::ConnectionLost(_)
            | SmtpError::Protocol(_)
            | SmtpError::LoginUnavailable { .. } => true,
            SmtpError::Rejected { code, .. } => *code < 500,
            SmtpError::Tls { certificate, .. } => !certificate,
            _ => false,
        }
    }

    /// True only when the message may have been delivered: the one failure after which
    /// sending again could deliver it twice.
    pub fn may_have_delivered(&self) -> bool {
        matches!(self, SmtpError::DeliveryUncertain { .. })
    }
}
