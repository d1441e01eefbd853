//! Opening a session: TCP, TLS (implicit, or STARTTLS that must succeed), the greeting,
//! capabilities and authentication.
//!
//! Everything before TLS, and the greeting and CAPABILITY exchange after it, is read one
//! line at a time without buffering ahead. That is what makes STARTTLS safe against
//! injected commands: bytes a man in the middle appends after the server's "OK, begin
//! TLS" stay in the socket and break the handshake instead of being read as a response.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use heron_model::Secret;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_rustls::TlsConnector;

use crate::error::{ImapError, Result};
use crate::guard::{GuardedStream, ProtocolLimits};
use crate::session::ImapSession;

/// How the connection is secured. There is no plaintext choice.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Security {
    /// TLS from the first byte (port 993).
    #[default]
    Tls,
    /// STARTTLS, required: the connection is abandoned when the server does not offer it.
    StartTls,
}

/// How to log in.
#[derive(Clone, Debug)]
pub enum Auth {
    /// A password, sent with AUTHENTICATE PLAIN (or LOGIN when PLAIN is not offered),
    /// always inside TLS.
    Password(Secret),
    /// An OAuth 2.0 access token, sent with SASL XOAUTH2.
    XOAuth2(Secret),
    /// An OAuth 2.0 access token, sent with SASL OAUTHBEARER (RFC 7628).
    OAuthBearer(Secret),
}

/// Timeouts for each step; a stalled server costs at most one of these.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// TCP connect plus TLS handshake.
    pub connect: Duration,
    /// Waiting for any one response line of a command.
    pub command: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(20),
            command: Duration::from_secs(60),
        }
    }
}

/// Where and how to connect.
#[derive(Clone)]
pub struct ConnectOptions {
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
    /// TLS settings from [`tls_config`].
    pub tls: Arc<rustls::ClientConfig>,
    /// Timeouts.
    pub timeouts: Timeouts,
    /// Limits on what the server may send.
    pub limits: ProtocolLimits,
}

impl std::fmt::Debug for ConnectOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectOptions")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("login", &self.login)
            .finish_non_exhaustive()
    }
}

/// Builds the TLS client settings: the platform's roots (when `platform_roots`) plus
/// `extra_roots` (CAs from policy), TLS 1.2 or newer (1.3 only when `tls13_only`).
/// Certificate verification is never turned off.
pub fn tls_config(
    extra_roots: &[CertificateDer<'static>],
    platform_roots: bool,
    tls13_only: bool,
) -> Result<Arc<rustls::ClientConfig>, String> {
    let mut roots = rustls::RootCertStore::empty();
    if platform_roots {
        // Unreadable system certificates are skipped, as every TLS client does; the
        // remaining ones still verify.
        for cert in rustls_native_certs::load_native_certs().certs {
            let _ = roots.add(cert);
        }
    }
    for cert in extra_roots {
        roots
            .add(cert.clone())
            .map_err(|e| format!("A CA certificate from policy is not usable: {e}"))?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let versions: &[&rustls::SupportedProtocolVersion] = if tls13_only {
        &[&rustls::version::TLS13]
    } else {
        &[&rustls::version::TLS13, &rustls::version::TLS12]
    };
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .map_err(|e| format!("Cannot set up TLS: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// Reads PEM certificates (a policy's extra CA files).
pub fn read_pem_certificates(
    path: &std::path::Path,
) -> Result<Vec<CertificateDer<'static>>, String> {
    use rustls::pki_types::pem::PemObject as _;
    let iter = CertificateDer::pem_file_iter(path)
        .map_err(|e| format!("Cannot read the CA file {}: {e}", path.display()))?;
    iter.collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| format!("The CA file {} is not valid PEM: {e}", path.display()))
}

/// The stream a session runs on.
pub type ImapStream = GuardedStream<tokio_rustls::client::TlsStream<TcpStream>>;

/// Connects, secures, authenticates and returns a ready session.
pub async fn connect(opts: &ConnectOptions) -> Result<ImapSession> {
    if opts.login.contains(['\r', '\n', '\0']) || opts.login.is_empty() {
        return Err(ImapError::AuthenticationFailed {
            server_says: "the login name is empty or contains a line break or NUL".to_owned(),
        });
    }
    let tcp = timeout(
        opts.timeouts.connect,
        TcpStream::connect((opts.host.as_str(), opts.port)),
    )
    .await
    .map_err(|_| ImapError::Timeout {
        step: "connecting".to_owned(),
    })?
    .map_err(|source| ImapError::Unreachable {
        host: opts.host.clone(),
        port: opts.port,
        source,
    })?;
    configure_socket(&tcp);

    let mut tls = match opts.security {
        Security::Tls => {
            let mut tls = handshake(opts, tcp).await?;
            read_greeting(&mut tls, opts, true).await?;
            tls
        }
        Security::StartTls => {
            let mut tcp = tcp;
            read_greeting(&mut tcp, opts, false).await?;
            let caps = capabilities(&mut tcp, opts).await?;
            if !caps.contains("STARTTLS") {
                return Err(ImapError::StartTlsUnavailable {
                    host: opts.host.clone(),
                });
            }
            write_line(&mut tcp, "h2 STARTTLS", opts).await?;
            loop {
                let line = read_line(&mut tcp, opts).await?;
                if let Some(rest) = line.strip_prefix("h2 ") {
                    if !rest.to_ascii_uppercase().starts_with("OK") {
                        return Err(ImapError::StartTlsUnavailable {
                            host: opts.host.clone(),
                        });
                    }
                    break;
                }
                // Untagged lines before the tagged answer mean nothing yet: ignored.
            }
            handshake(opts, tcp).await?
        }
    };
    // Capabilities are re-read inside TLS: anything learnt before it is untrusted.
    let caps = capabilities(&mut tls, opts).await?;
    let client = async_imap::Client::new(GuardedStream::new(tls, opts.limits));
    let session = authenticate(client, &caps, opts).await?;
    ImapSession::start(session, opts).await
}

/// After this much silence TCP starts probing whether the server is still there, and
/// probes this often. A connection that dies without a FIN or RST (a laptop that slept,
/// a NAT or firewall that forgot us) is then noticed within a few minutes, instead of
/// at the next IDLE renewal or never.
const KEEPALIVE_IDLE: Duration = Duration::from_secs(60);
const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(15);

/// Socket options for an IMAP connection. Failures are ignored: the connection works
/// without them, only less promptly.
fn configure_socket(tcp: &TcpStream) {
    // Mail commands are small and interactive; Nagle only adds latency.
    let _ = tcp.set_nodelay(true);
    let keepalive = socket2::TcpKeepalive::new()
        .with_time(KEEPALIVE_IDLE)
        .with_interval(KEEPALIVE_INTERVAL);
    let _ = socket2::SockRef::from(tcp).set_tcp_keepalive(&keepalive);
}

async fn handshake(
    opts: &ConnectOptions,
    tcp: TcpStream,
) -> Result<tokio_rustls::client::TlsStream<TcpStream>> {
    let name = ServerName::try_from(opts.host.clone()).map_err(|e| ImapError::Tls {
        host: opts.host.clone(),
        reason: format!("{:?} is not a valid server name: {e}", opts.host),
        certificate: false,
    })?;
    let connector = TlsConnector::from(opts.tls.clone());
    timeout(opts.timeouts.connect, connector.connect(name, tcp))
        .await
        .map_err(|_| ImapError::Timeout {
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
            ImapError::Tls {
                host: opts.host.clone(),
                reason: e.to_string(),
                certificate,
            }
        })
}

/// The longest line accepted before authentication: greetings and capability lists are
/// short, so anything longer is a broken or hostile server.
const MAX_PREAUTH_LINE: usize = 16 * 1024;

/// Reads one line (without CRLF), a byte at a time so nothing after it is consumed.
async fn read_line<S: AsyncRead + Unpin>(s: &mut S, opts: &ConnectOptions) -> Result<String> {
    let read = async {
        let mut line = Vec::with_capacity(128);
        loop {
            let b = s.read_u8().await.map_err(ImapError::from_io)?;
            if b == b'\n' {
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(String::from_utf8_lossy(&line).into_owned());
            }
            if line.len() >= MAX_PREAUTH_LINE {
                return Err(ImapError::LimitExceeded(format!(
                    "a line before login is longer than {MAX_PREAUTH_LINE} bytes"
                )));
            }
            line.push(b);
        }
    };
    timeout(opts.timeouts.command, read)
        .await
        .map_err(|_| ImapError::Timeout {
            step: "a response before login".to_owned(),
        })?
}

async fn write_line<S: AsyncWrite + Unpin>(
    s: &mut S,
    line: &str,
    opts: &ConnectOptions,
) -> Result<()> {
    let write = async {
        s.write_all(line.as_bytes()).await?;
        s.write_all(b"\r\n").await?;
        s.flush().await
    };
    timeout(opts.timeouts.command, write)
        .await
        .map_err(|_| ImapError::Timeout {
            step: "sending a command".to_owned(),
        })?
        .map_err(ImapError::from_io)
}

async fn read_greeting<S: AsyncRead + Unpin>(
    s: &mut S,
    opts: &ConnectOptions,
    secure: bool,
) -> Result<()> {
    let line = read_line(s, opts).await?;
    let upper = line.to_ascii_uppercase();
    if upper.starts_with("* OK") {
        Ok(())
    } else if upper.starts_with("* PREAUTH") {
        if secure {
            // Logged in as whom? Heron logs in as the configured user or not at all.
            Err(ImapError::Protocol {
                command: "greeting".to_owned(),
                detail: "the server logged us in without credentials (PREAUTH)".to_owned(),
            })
        } else {
            Err(ImapError::PreauthWithoutTls {
                host: opts.host.clone(),
            })
        }
    } else if upper.starts_with("* BYE") {
        Err(ImapError::Refused {
            command: "the connection".to_owned(),
            server_says: line.get(5..).unwrap_or_default().trim().to_owned(),
        })
    } else {
        Err(ImapError::Protocol {
            command: "greeting".to_owned(),
            detail: format!("unexpected greeting {:?}", truncate(&line, 80)),
        })
    }
}

/// Sends CAPABILITY and returns the capabilities, upper-cased.
async fn capabilities<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut S,
    opts: &ConnectOptions,
) -> Result<BTreeSet<String>> {
    write_line(s, "h1 CAPABILITY", opts).await?;
    let mut caps = BTreeSet::new();
    loop {
        let line = read_line(s, opts).await?;
        let upper = line.to_ascii_uppercase();
        if let Some(rest) = upper.strip_prefix("* CAPABILITY ") {
            caps.extend(rest.split_ascii_whitespace().map(str::to_owned));
        } else if let Some(rest) = upper.strip_prefix("H1 ") {
            if rest.starts_with("OK") {
                return Ok(caps);
            }
            return Err(ImapError::Protocol {
                command: "CAPABILITY".to_owned(),
                detail: truncate(&line, 200),
            });
        }
    }
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// SASL PLAIN (RFC 4616): authorisation identity empty, then login and password.
struct PlainAuth<'a> {
    login: &'a str,
    password: &'a str,
}

impl async_imap::Authenticator for PlainAuth<'_> {
    type Response = zeroize::Zeroizing<Vec<u8>>;
    fn process(&mut self, _challenge: &[u8]) -> Self::Response {
        let mut out = zeroize::Zeroizing::new(Vec::new());
        out.push(0);
        out.extend_from_slice(self.login.as_bytes());
        out.push(0);
        out.extend_from_slice(self.password.as_bytes());
        out
    }
}

/// SASL XOAUTH2 or OAUTHBEARER: the token on the first step; an empty reply to the
/// error challenge a server sends when it rejects the token, so it can say NO.
struct BearerAuth<'a> {
    login: &'a str,
    token: &'a str,
    oauthbearer: bool,
    sent: bool,
}

impl async_imap::Authenticator for BearerAuth<'_> {
    type Response = zeroize::Zeroizing<Vec<u8>>;
    fn process(&mut self, _challenge: &[u8]) -> Self::Response {
        if self.sent {
            return zeroize::Zeroizing::new(Vec::new());
        }
        self.sent = true;
        let text = if self.oauthbearer {
            format!(
                "n,a={},\x01auth=Bearer {}\x01\x01",
                self.login.replace('=', "=3D").replace(',', "=2C"),
                self.token
            )
        } else {
            format!("user={}\x01auth=Bearer {}\x01\x01", self.login, self.token)
        };
        zeroize::Zeroizing::new(text.into_bytes())
    }
}

async fn authenticate(
    client: async_imap::Client<ImapStream>,
    caps: &BTreeSet<String>,
    opts: &ConnectOptions,
) -> Result<async_imap::Session<ImapStream>> {
    let has = |c: &str| caps.contains(c);
    let login = opts.login.as_str();
    let attempt = async {
        match &opts.auth {
            Auth::Password(password) => {
                let password = password.expose();
                if password.contains(['\r', '\n', '\0']) {
                    return Err(ImapError::AuthenticationFailed {
                        server_says: "the password contains a line break or NUL".to_owned(),
                    });
                }
                if has("AUTH=PLAIN") {
                    client
                        .authenticate("PLAIN", PlainAuth { login, password })
                        .await
                        .map_err(|(e, _)| auth_error(e))
                } else if !has("LOGINDISABLED") {
                    client
                        .login(login, password)
                        .await
                        .map_err(|(e, _)| auth_error(e))
                } else {
                    Err(ImapError::MechanismUnavailable {
                        mechanism: "password".to_owned(),
                    })
                }
            }
            Auth::XOAuth2(token) | Auth::OAuthBearer(token) => {
                let oauthbearer = matches!(opts.auth, Auth::OAuthBearer(_));
                let mechanism = if oauthbearer {
                    "OAUTHBEARER"
                } else {
                    "XOAUTH2"
                };
                if !has(&format!("AUTH={mechanism}")) {
                    return Err(ImapError::MechanismUnavailable {
                        mechanism: mechanism.to_owned(),
                    });
                }
                // The SASL message separates its fields with \x01: a control character in
                // the token could add fields of its own (a different user, say).
                if token.expose().chars().any(char::is_control) {
                    return Err(ImapError::AuthenticationFailed {
                        server_says: "the access token contains a control character".to_owned(),
                    });
                }
                let auth = BearerAuth {
                    login,
                    token: token.expose(),
                    oauthbearer,
                    sent: false,
                };
                client
                    .authenticate(mechanism, auth)
                    .await
                    .map_err(|(e, _)| auth_error(e))
            }
        }
    };
    timeout(opts.timeouts.command, attempt)
        .await
        .map_err(|_| ImapError::Timeout {
            step: "logging in".to_owned(),
        })?
}

fn auth_error(e: async_imap::error::Error) -> ImapError {
    match e {
        async_imap::error::Error::No(text) | async_imap::error::Error::Bad(text) => {
            login_refusal(server_words(&text))
        }
        other => ImapError::from_client("login", other),
    }
}

/// A login the server refused: a wrong password, unless the server says it could not
/// check it (`[UNAVAILABLE]`, RFC 5530), which passes by itself.
fn login_refusal(server_says: String) -> ImapError {
    if server_says.to_ascii_uppercase().contains("[UNAVAILABLE]") {
        ImapError::LoginUnavailable { server_says }
    } else {
        ImapError::AuthenticationFailed { server_says }
    }
}

/// The server's own words from async-imap's rendering of a NO or BAD response
/// (`code: …, info: Some("…")`), which otherwise reaches the user as Rust debug text.
fn server_words(text: &str) -> String {
    let Some(start) = text.find("info: Some(\"") else {
        return text.trim().to_owned();
    };
    let rest = &text[start + "info: Some(\"".len()..];
    let inner = rest.strip_suffix("\")").unwrap_or(rest);
    inner.replace("\\\"", "\"").trim().to_owned()
}

#[cfg(test)]
mod tests {
    // Test code: a failed unwrap is a failed test.
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_login_the_server_could_not_check_is_retried_not_a_wrong_password() {
        let unavailable = login_refusal(
            "[UNAVAILABLE] Temporary authentication failure. [host:2026-11-29 23:40:01]".to_owned(),
        );
        assert_eq!(unavailable.code(), "server_busy");
        assert!(unavailable.is_transient());
        let wrong = login_refusal("[AUTHENTICATIONFAILED] Authentication failed.".to_owned());
        assert_eq!(wrong.code(), "authentication_failed");
        assert!(!wrong.is_transient());
    }

    #[test]
    fn a_refused_login_reads_as_the_servers_words() {
        assert_eq!(
            server_words(
                r#"code: None, info: Some("[AUTHENTICATIONFAILED] Authentication failed.")"#
            ),
            "[AUTHENTICATIONFAILED] Authentication failed."
        );
        assert_eq!(server_words(" plain words "), "plain words");
        assert_eq!(
            server_words(r#"code: None, info: Some("say \"no\"")"#),
            "say \"no\""
        );
    }

    #[tokio::test]
    async fn imap_sockets_probe_a_silent_connection() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let tcp = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        configure_socket(&tcp);
        let sock = socket2::SockRef::from(&tcp);
        assert!(sock.keepalive().unwrap(), "keepalive is on");
        assert!(tcp.nodelay().unwrap());
    }
}
