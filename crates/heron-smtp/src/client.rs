//! One submission: connect, secure, authenticate, MAIL, RCPT, DATA, QUIT.

use std::error::Error as _;
use std::net::Ipv4Addr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use heron_model::Secret;
use lettre::transport::smtp::Error as LettreError;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};
use lettre::transport::smtp::response::{Response, Severity};
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_rustls::TlsConnector;

use crate::error::{SmtpError, Stage};
use crate::meter::MeteredStream;

/// How the connection is secured. There is no plaintext choice.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Security {
    /// TLS from the first byte (port 465).
    #[default]
    Tls,
    /// STARTTLS, required: abandoned when the server does not offer it.
    StartTls,
}

/// How to log in.
#[derive(Clone, Debug)]
pub enum Auth {
    /// A password, sent with AUTH PLAIN (or LOGIN when PLAIN is not offered).
    Password(Secret),
    /// An OAuth 2.0 access token, sent with SASL XOAUTH2.
    XOAuth2(Secret),
}

/// Timeouts for each step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// TCP connect plus TLS handshake.
    pub connect: Duration,
    /// Waiting for the answer to one command.
    pub command: Duration,
    /// Transferring the message and waiting for the server to accept it (large
    /// attachments over slow links, and servers that scan before answering).
    pub data: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(20),
            command: Duration::from_secs(60),
            data: Duration::from_secs(600),
        }
    }
}

/// Where and how to submit.
#[derive(Clone)]
pub struct SmtpOptions {
    /// Host name or IP address.
    pub host: String,
    /// Port.
    pub port: u16,
    /// Transport security.
    pub security: Security,
    /// Login name.
    pub login: String,
    /// Credentials.
    pub auth: Auth,
    /// TLS client settings (roots from the platform and policy, minimum version).
    pub tls: Arc<rustls::ClientConfig>,
    /// Timeouts.
    pub timeouts: Timeouts,
}

impl std::fmt::Debug for SmtpOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpOptions")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("login", &self.login)
            .finish_non_exhaustive()
    }
}

/// The SMTP envelope: who sends, who receives (To, Cc and Bcc alike).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Envelope {
    /// MAIL FROM.
    pub from: String,
    /// RCPT TO, one per recipient.
    pub to: Vec<String>,
}

/// What we say in EHLO: an address literal rather than the machine's host name, which
/// would tell every recipient's server what the user's computer is called.
fn hello_name() -> ClientId {
    ClientId::Ipv4(Ipv4Addr::LOCALHOST)
}

/// Submits `message` (RFC 5322 bytes with CRLF line endings) and returns the server's
/// acceptance (its words, usually with a queue id).
///
/// Every error except [`SmtpError::DeliveryUncertain`] is certain not to have delivered
/// the message, so retrying it cannot send it twice.
pub async fn send(
    opts: &SmtpOptions,
    envelope: &Envelope,
    message: &[u8],
) -> Result<String, SmtpError> {
    send_recorded(opts, envelope, message, || Ok(())).await
}

/// [`send`], calling `before_data` just before DATA, when the message may start to be
/// delivered: the outbox records "transmitting" there, so that after a crash it knows
/// whether a retry is safe. When `before_data` fails, the send stops without DATA.
pub async fn send_recorded(
    opts: &SmtpOptions,
    envelope: &Envelope,
    message: &[u8],
    before_data: impl FnOnce() -> Result<(), String>,
) -> Result<String, SmtpError> {
    let (from, recipients) = check_envelope(envelope)?;
    check_credentials(opts)?;

    let message = crlf_only(message);
    // lettre ends DATA with CRLF.CRLF whatever the message ends with; the first CRLF
    // of it ends our last line, so one of ours goes, or every message would arrive
    // with an extra empty line.
    let message = message.strip_suffix(b"\r\n").unwrap_or(&message);
    let (mut conn, mechanism, written) = greet(opts).await?;
    let info = conn.server_info().clone();
    let mut mail_options = Vec::new();
    if !message.is_ascii() {
        if !info.supports_feature(Extension::EightBitMime) {
            conn.abort().await;
            return Err(SmtpError::Invalid(
                "The message contains 8-bit data and the server does not accept it".to_owned(),
            ));
        }
        mail_options.push(MailParameter::Body(MailBodyParameter::EightBitMime));
    }
    if !envelope.from.is_ascii() || envelope.to.iter().any(|r| !r.is_ascii()) {
        if !info.supports_feature(Extension::SmtpUtfEight) {
            conn.abort().await;
            return Err(SmtpError::Invalid(
                "An address contains non-ASCII characters and the server does not accept them"
                    .to_owned(),
            ));
        }
        mail_options.push(MailParameter::SmtpUtfEight);
    }

    let result = async {
        log_in(&mut conn, opts, mechanism).await?;
        step(
            opts.timeouts.command,
            "the sender",
            conn.command(Mail::new(Some(from), mail_options)),
        )
        .await?
        .map_err(|e| refused(e, Stage::Sender))?;
        for (address, text) in recipients {
            step(
                opts.timeouts.command,
                "a recipient",
                conn.command(Rcpt::new(address, vec![])),
            )
            .await?
            .map_err(|e| refused(e, Stage::Recipient(text)))?;
        }
        before_data().map_err(SmtpError::NotRecorded)?;
        step(opts.timeouts.command, "DATA", conn.command(Data))
            .await?
            .map_err(|e| refused(e, Stage::Data))?;

        // From here on, a lost connection is only certain not to have delivered while
        // the final dot cannot have been handed to TLS: lettre writes the (dot-stuffed,
        // so never shorter) message, then CRLF.CRLF. Fewer bytes than the message itself
        // means the terminator never left.
        let before = written.load(Ordering::SeqCst);
        let uncertain_or_lost = |reason: String| {
            let sent = written.load(Ordering::SeqCst).saturating_sub(before);
            if sent < message.len() as u64 {
                SmtpError::ConnectionLost(reason)
            } else {
                SmtpError::DeliveryUncertain { reason }
            }
        };
        match timeout(opts.timeouts.data, conn.message(message)).await {
            Err(_) => Err(uncertain_or_lost(
                "the server did not answer in time".to_owned(),
            )),
            Ok(Err(e)) if e.status().is_some() => Err(refused(e, Stage::Data)),
            Ok(Err(e)) => Err(uncertain_or_lost(e.to_string())),
            Ok(Ok(response)) => Ok(response.message().collect::<Vec<_>>().join(" ")),
        }
    }
    .await;
    match &result {
        // Courtesy only: the message is accepted whatever QUIT does.
        Ok(_) => {
            let _ = timeout(Duration::from_secs(5), conn.quit()).await;
        }
        Err(_) => {
            let _ = timeout(Duration::from_secs(5), conn.abort()).await;
        }
    }
    result
}

/// Connects, secures the connection and logs in, then says goodbye without sending
/// anything: whether `opts` would let mail be sent. Adding an account and signing in
/// use it before a password is kept.
pub async fn verify_login(opts: &SmtpOptions) -> Result<(), SmtpError> {
    check_credentials(opts)?;
    let (mut conn, mechanism, _written) = greet(opts).await?;
    let result = log_in(&mut conn, opts, mechanism).await;
    let _ = timeout(Duration::from_secs(5), conn.quit()).await;
    result
}

/// Refuses a login or credential that would break the command it goes in.
fn check_credentials(opts: &SmtpOptions) -> Result<(), SmtpError> {
    if opts.login.is_empty() || opts.login.contains(['\r', '\n', '\0']) {
        return Err(SmtpError::Invalid(
            "The login name is empty or contains a line break".to_owned(),
        ));
    }
    if credentials_have_line_breaks(&opts.auth) {
        return Err(SmtpError::Invalid(
            "The password contains a line break".to_owned(),
        ));
    }
    Ok(())
}

/// Opens and secures the connection, reads the greeting and picks the login mechanism.
async fn greet(
    opts: &SmtpOptions,
) -> Result<
    (
        AsyncSmtpConnection,
        Mechanism,
        Arc<std::sync::atomic::AtomicU64>,
    ),
    SmtpError,
> {
    let mechanisms: &[Mechanism] = match &opts.auth {
        Auth::Password(_) => &[Mechanism::Plain, Mechanism::Login],
        Auth::XOAuth2(_) => &[Mechanism::Xoauth2],
    };
    let (stream, written) = open(opts).await?;
    let mut conn = step(
        opts.timeouts.command,
        "the greeting",
        AsyncSmtpConnection::connect_with_transport(Box::new(stream), &hello_name()),
    )
    .await?
    .map_err(|e| connection_error(e, "the greeting"))?;
    let Some(mechanism) = conn.server_info().get_auth_mechanism(mechanisms) else {
        conn.abort().await;
        return Err(SmtpError::MechanismUnavailable {
            mechanism: match opts.auth {
                Auth::Password(_) => "PLAIN or LOGIN".to_owned(),
                Auth::XOAuth2(_) => "XOAUTH2".to_owned(),
            },
        });
    };
    Ok((conn, mechanism, written))
}

/// AUTH with the options' credential.
async fn log_in(
    conn: &mut AsyncSmtpConnection,
    opts: &SmtpOptions,
    mechanism: Mechanism,
) -> Result<(), SmtpError> {
    step(opts.timeouts.command, "logging in", async {
        match &opts.auth {
            Auth::Password(password) => {
                let credentials =
                    Credentials::new(opts.login.clone(), password.expose().to_owned());
                conn.auth(&[mechanism], &credentials)
                    .await
                    .map(drop)
                    .map_err(auth_error)
            }
            Auth::XOAuth2(token) => auth_xoauth2(conn, &opts.login, token.expose()).await,
        }
    })
    .await?
}

/// The longest SMTP command line, CRLF included (RFC 5321, section 4.5.3.1.4). An AUTH
/// whose initial response would make it longer must send the response after the
/// server's 334 instead (RFC 4954, section 4): servers cut longer lines (Postfix at
/// 2048 bytes), and real OAuth tokens, Microsoft's at 1.5 to 2.5 KB, do not fit.
const MAX_COMMAND_LINE: usize = 512;

/// AUTH XOAUTH2, done here rather than by lettre, which gets two things wrong: it always
/// puts the token on the AUTH line, however long, and it takes the challenge a server
/// sends to refuse a token (a 334 carrying a JSON status, to be answered with an empty
/// line before the final 535) for a client error, so a refused token looked like a
/// lost connection and would have been retried instead of reported.
async fn auth_xoauth2(
    conn: &mut AsyncSmtpConnection,
    login: &str,
    token: &str,
) -> Result<(), SmtpError> {
    if token.contains(|c: char| c.is_ascii_control()) || login.contains('\x01') {
        return Err(SmtpError::Invalid(
            "The OAuth token or the login contains a control character".to_owned(),
        ));
    }
    let response = BASE64.encode(format!("user={login}\x01auth=Bearer {token}\x01\x01"));
    let with_initial = format!("AUTH XOAUTH2 {response}\r\n");
    let mut reply = if with_initial.len() <= MAX_COMMAND_LINE {
        conn.command(with_initial).await.map_err(auth_error)?
    } else {
        let go_ahead = conn.command("AUTH XOAUTH2\r\n").await.map_err(auth_error)?;
        if !go_ahead.has_code(334) {
            return Err(unexpected_auth_reply(&go_ahead));
        }
        conn.command(format!("{response}\r\n"))
            .await
            .map_err(auth_error)?
    };
    if reply.has_code(334) {
        // The token was refused: the challenge says why, and the server waits for an
        // empty line before its final answer, which is the error to report.
        reply = conn.command("\r\n").await.map_err(auth_error)?;
    }
    if reply.code().severity == Severity::PositiveCompletion {
        Ok(())
    } else {
        Err(unexpected_auth_reply(&reply))
    }
}

/// An answer to AUTH that is not a success: a 5xx refuses the credentials, a 4xx says
/// the server cannot check them now; or a connection that failed during the login.
fn auth_error(e: LettreError) -> SmtpError {
    match reply_code(&e) {
        Some(code) if code < 500 => SmtpError::LoginUnavailable {
            server_says: server_words(&e),
        },
        Some(_) => SmtpError::AuthenticationFailed {
            server_says: server_words(&e),
        },
        None => connection_error(e, "logging in"),
    }
}

fn unexpected_auth_reply(reply: &Response) -> SmtpError {
    SmtpError::Protocol(format!("unexpected answer {} to AUTH", reply.code()))
}

/// Every line ending becomes CRLF. A bare LF or CR is how "SMTP smuggling" hides a
/// second message (and its own final dot) inside the first on servers that accept them
/// as line endings; after this no byte sequence in the body can end the DATA early.
fn crlf_only(message: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    let clean = message.iter().enumerate().all(|(i, &b)| match b {
        b'\r' => message.get(i + 1) == Some(&b'\n'),
        b'\n' => i > 0 && message[i - 1] == b'\r',
        _ => true,
    });
    if clean {
        return std::borrow::Cow::Borrowed(message);
    }
    let mut out = Vec::with_capacity(message.len() + 64);
    let mut i = 0;
    while i < message.len() {
        match message[i] {
            b'\r' => {
                out.extend_from_slice(b"\r\n");
                if message.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
            }
            b'\n' => out.extend_from_slice(b"\r\n"),
            b => out.push(b),
        }
        i += 1;
    }
    std::borrow::Cow::Owned(out)
}

fn credentials_have_line_breaks(auth: &Auth) -> bool {
    let (Auth::Password(s) | Auth::XOAuth2(s)) = auth;
    s.expose().contains(['\r', '\n', '\0'])
}

type Recipients = Vec<(lettre::Address, String)>;

fn check_envelope(envelope: &Envelope) -> Result<(lettre::Address, Recipients), SmtpError> {
    let parse = |s: &str| -> Result<lettre::Address, SmtpError> {
        if s.contains(['\r', '\n', '\0']) {
            return Err(SmtpError::Invalid(format!(
                "The address {:?} contains a line break",
                s.escape_debug().to_string()
            )));
        }
        s.parse::<lettre::Address>()
            .map_err(|e| SmtpError::Invalid(format!("The address {s:?} is not valid: {e}")))
    };
    let from = parse(&envelope.from)?;
    if envelope.to.is_empty() {
        return Err(SmtpError::Invalid(
            "The message has no recipient".to_owned(),
        ));
    }
    let to = envelope
        .to
        .iter()
        .map(|r| Ok((parse(r)?, r.clone())))
        .collect::<Result<Vec<_>, SmtpError>>()?;
    Ok((from, to))
}

/// Awaits `f` within `limit`; a timeout becomes [`SmtpError::Timeout`]. Only for steps
/// before DATA, where a timeout cannot have delivered anything.
async fn step<T>(limit: Duration, what: &str, f: impl Future<Output = T>) -> Result<T, SmtpError> {
    timeout(limit, f).await.map_err(|_| SmtpError::Timeout {
        step: what.to_owned(),
    })
}

fn server_words(e: &LettreError) -> String {
    e.source()
        .map(|s| s.to_string())
        .unwrap_or_else(|| e.to_string())
}

fn reply_code(e: &LettreError) -> Option<u16> {
    e.status().and_then(|c| c.to_string().parse().ok())
}

fn refused(e: LettreError, stage: Stage) -> SmtpError {
    match reply_code(&e) {
        Some(code) => SmtpError::Rejected {
            stage,
            code,
            server_says: server_words(&e),
        },
        None => connection_error(e, "a command"),
    }
}

fn connection_error(e: LettreError, during: &str) -> SmtpError {
    if let Some(code) = reply_code(&e) {
        // A server that greets with 4xx/5xx, or refuses EHLO.
        return SmtpError::Rejected {
            stage: Stage::Sender,
            code,
            server_says: server_words(&e),
        };
    }
    if e.is_response() {
        return SmtpError::Protocol(format!("{during}: {}", server_words(&e)));
    }
    SmtpError::ConnectionLost(format!("{during}: {e}"))
}

async fn open(
    opts: &SmtpOptions,
) -> Result<(MeteredStream, Arc<std::sync::atomic::AtomicU64>), SmtpError> {
    let tcp = timeout(
        opts.timeouts.connect,
        TcpStream::connect((opts.host.as_str(), opts.port)),
    )
    .await
    .map_err(|_| SmtpError::Timeout {
        step: "connecting".to_owned(),
    })?
    .map_err(|e| SmtpError::Unreachable {
        host: opts.host.clone(),
        port: opts.port,
        reason: e.to_string(),
    })?;
    let _ = tcp.set_nodelay(true);
    match opts.security {
        Security::Tls => Ok(MeteredStream::new(handshake(opts, tcp).await?, Vec::new())),
        Security::StartTls => {
            let mut tcp = tcp;
            let greeting = read_reply(&mut tcp, opts).await?;
            expect(&greeting, 220, "the greeting")?;
            write_line(&mut tcp, "EHLO [127.0.0.1]", opts).await?;
            let ehlo = read_reply(&mut tcp, opts).await?;
            expect(&ehlo, 250, "EHLO")?;
            let offers_starttls = ehlo.lines.iter().skip(1).any(|l| {
                l.split_whitespace()
                    .next()
                    .is_some_and(|w| w.eq_ignore_ascii_case("STARTTLS"))
            });
            if !offers_starttls {
                return Err(SmtpError::StartTlsUnavailable {
                    host: opts.host.clone(),
                });
            }
            write_line(&mut tcp, "STARTTLS", opts).await?;
            let go = read_reply(&mut tcp, opts).await?;
            if go.code != 220 {
                return Err(SmtpError::StartTlsUnavailable {
                    host: opts.host.clone(),
                });
            }
            let tls = handshake(opts, tcp).await?;
            // lettre starts by reading a greeting; the real one came before TLS and
            // is not repeated, so the stream serves one of its own.
            Ok(MeteredStream::new(tls, b"220 TLS established\r\n".to_vec()))
        }
    }
}

async fn handshake(
    opts: &SmtpOptions,
    tcp: TcpStream,
) -> Result<tokio_rustls::client::TlsStream<TcpStream>, SmtpError> {
    let name = ServerName::try_from(opts.host.clone()).map_err(|e| SmtpError::Tls {
        host: opts.host.clone(),
        reason: format!("{:?} is not a valid server name: {e}", opts.host),
        certificate: false,
    })?;
    let connector = TlsConnector::from(opts.tls.clone());
    timeout(opts.timeouts.connect, connector.connect(name, tcp))
        .await
        .map_err(|_| SmtpError::Timeout {
            step: "the TLS handshake".to_owned(),
        })?
        .map_err(|e| {
            let certificate = e
                .get_ref()
                .and_then(|r| r.downcast_ref::<rustls::Error>())
                .is_some_and(|r| {
                    matches!(
                        r,
                        rustls::Error::InvalidCertificate(_)
                            | rustls::Error::NoCertificatesPresented
                    )
                });
            SmtpError::Tls {
                host: opts.host.clone(),
                reason: e.to_string(),
                certificate,
            }
        })
}

/// A reply read before TLS.
struct Reply {
    code: u16,
    lines: Vec<String>,
}

fn expect(reply: &Reply, code: u16, what: &str) -> Result<(), SmtpError> {
    if reply.code == code {
        return Ok(());
    }
    if (400..600).contains(&reply.code) {
        return Err(SmtpError::Rejected {
            stage: Stage::Sender,
            code: reply.code,
            server_says: reply.lines.join(" "),
        });
    }
    Err(SmtpError::Protocol(format!(
        "unexpected answer {} to {what}",
        reply.code
    )))
}

/// Replies before TLS are short; anything longer is a broken or hostile server.
const MAX_PLAIN_LINE: usize = 4096;
const MAX_PLAIN_LINES: usize = 64;

/// Reads one (possibly multi-line) reply a byte at a time, so nothing after it is
/// consumed: bytes sent after "220 go ahead" must reach the TLS handshake and fail it.
async fn read_reply<S: AsyncRead + Unpin>(
    s: &mut S,
    opts: &SmtpOptions,
) -> Result<Reply, SmtpError> {
    let read = async {
        let mut lines = Vec::new();
        loop {
            let mut line = Vec::with_capacity(128);
            loop {
                let b = s
                    .read_u8()
                    .await
                    .map_err(|e| SmtpError::ConnectionLost(e.to_string()))?;
                if b == b'\n' {
                    break;
                }
                if line.len() >= MAX_PLAIN_LINE {
                    return Err(SmtpError::Protocol("a reply line is too long".to_owned()));
                }
                line.push(b);
            }
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            let text = String::from_utf8_lossy(&line).into_owned();
            let code = text
                .get(..3)
                .and_then(|c| c.parse::<u16>().ok())
                .ok_or_else(|| {
                    SmtpError::Protocol(format!("{:?} is not an SMTP reply", truncate(&text)))
                })?;
            let last = text.as_bytes().get(3) != Some(&b'-');
            lines.push(text.get(4..).unwrap_or_default().to_owned());
            if last {
                return Ok(Reply { code, lines });
            }
            if lines.len() >= MAX_PLAIN_LINES {
                return Err(SmtpError::Protocol("a reply has too many lines".to_owned()));
            }
        }
    };
    timeout(opts.timeouts.command, read)
        .await
        .map_err(|_| SmtpError::Timeout {
            step: "a reply before TLS".to_owned(),
        })?
}

async fn write_line<S: AsyncWrite + Unpin>(
    s: &mut S,
    line: &str,
    opts: &SmtpOptions,
) -> Result<(), SmtpError> {
    let write = async {
        s.write_all(line.as_bytes()).await?;
        s.write_all(b"\r\n").await?;
        s.flush().await
    };
    timeout(opts.timeouts.command, write)
        .await
        .map_err(|_| SmtpError::Timeout {
            step: "sending a command".to_owned(),
        })?
        .map_err(|e| SmtpError::ConnectionLost(e.to_string()))
}

fn truncate(s: &str) -> String {
    s.chars().take(80).collect()
}

#[cfg(test)]
mod tests {
    use super::crlf_only;

    #[test]
    fn bare_cr_and_lf_become_crlf_so_nothing_can_end_data_early() {
        assert_eq!(crlf_only(b"a\r\nb").as_ref(), b"a\r\nb");
        assert_eq!(crlf_only(b"a\n.\nb").as_ref(), b"a\r\n.\r\nb");
        assert_eq!(crlf_only(b"a\r.\rb\r").as_ref(), b"a\r\n.\r\nb\r\n");
        assert_eq!(crlf_only(b"\n\r\n\r").as_ref(), b"\r\n\r\n\r\n");
    }
}
