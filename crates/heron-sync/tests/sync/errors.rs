//! Each way a connection can fail is a typed error the UI can show: wrong password,
//! server down, untrusted certificate; and, from scripted peers (faults a real server
//! cannot be made to produce), STARTTLS missing and PREAUTH before TLS.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;

use heron_imap::{ImapError, Security};
use heron_model::Secret;

use super::{options_for, stack};

#[tokio::test]
async fn a_wrong_password_is_authentication_failed() {
    let stack = stack();
    let mut user = stack.add_user("wrongpw").unwrap();
    user.password.push('x');
    let mut opts = options_for(&stack, &user, stack.ports().imaps, Security::Tls);
    let err = heron_imap::connect(&opts).await.unwrap_err();
    assert_eq!(err.code(), "authentication_failed", "{err}");
    assert!(!err.is_transient());
    // The same through STARTTLS on the plain port.
    opts.port = stack.ports().imap;
    opts.security = Security::StartTls;
    opts.auth = heron_imap::Auth::Password(Secret::new("nope".to_owned()));
    let err = heron_imap::connect(&opts).await.unwrap_err();
    assert_eq!(err.code(), "authentication_failed", "{err}");
}

#[tokio::test]
async fn starttls_on_the_plain_port_logs_in() {
    let stack = stack();
    let user = stack.add_user("starttls").unwrap();
    let opts = options_for(&stack, &user, stack.ports().imap, Security::StartTls);
    let session = heron_imap::connect(&opts).await.unwrap();
    assert!(session.has("IMAP4REV1"));
    session.logout().await;
}

#[tokio::test]
async fn a_server_that_is_down_is_server_unreachable() {
    let stack = stack();
    let user = stack.add_user("down").unwrap();
    let mut opts = options_for(&stack, &user, super::free_port(), Security::Tls);
    opts.port = super::free_port();
    let err = heron_imap::connect(&opts).await.unwrap_err();
    assert!(matches!(err, ImapError::Unreachable { .. }), "{err}");
    assert!(err.is_transient());
}

#[tokio::test]
async fn an_untrusted_certificate_is_certificate_untrusted() {
    let stack = stack();
    let user = stack.add_user("untrusted").unwrap();
    let mut opts = options_for(&stack, &user, stack.ports().imaps, Security::Tls);
    // Only the platform roots: the stack's own CA is not among them.
    opts.tls = heron_imap::tls_config(&[], true, false).unwrap();
    let err = heron_imap::connect(&opts).await.unwrap_err();
    assert_eq!(err.code(), "certificate_untrusted", "{err}");
    assert!(!err.is_transient());
}

/// A scripted plaintext peer: sends `greeting`, answers CAPABILITY with `caps`, and
/// records every line the client sent.
fn scripted_peer(
    greeting: &'static str,
    caps: &'static str,
) -> (u16, std::thread::JoinHandle<Vec<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        let (mut sock, _) = listener.accept().unwrap();
        let mut lines = Vec::new();
        sock.write_all(greeting.as_bytes()).unwrap();
        let mut reader = BufReader::new(sock.try_clone().unwrap());
        let mut line = String::new();
        while reader.read_line(&mut line).unwrap_or(0) > 0 {
            lines.push(line.trim_end().to_owned());
            if let Some(tag) = line
                .split(' ')
                .next()
                .filter(|_| line.contains("CAPABILITY"))
            {
                let _ =
                    sock.write_all(format!("* CAPABILITY {caps}\r\n{tag} OK done\r\n").as_bytes());
            } else if let Some(tag) = line.split(' ').next() {
                // Anything else (a STARTTLS the peer did not offer) is refused.
                let _ = sock.write_all(format!("{tag} BAD no\r\n").as_bytes());
            }
            line.clear();
        }
        lines
    });
    (port, handle)
}

#[tokio::test]
async fn starttls_required_but_not_offered_aborts_before_any_credential() {
    let stack = stack();
    let user = stack.add_user("nostarttls").unwrap();
    let (port, peer) = scripted_peer("* OK fake\r\n", "IMAP4rev1 AUTH=PLAIN LOGIN");
    let opts = options_for(&stack, &user, port, Security::StartTls);
    let err = heron_imap::connect(&opts).await.unwrap_err();
    assert!(
        matches!(err, ImapError::StartTlsUnavailable { .. }),
        "{err}"
    );
    let sent = peer.join().unwrap();
    assert!(
        sent.iter().all(|l| !l.contains(&user.password)
            && !l.contains("LOGIN")
            && !l.contains("AUTHENTICATE")),
        "{sent:?}"
    );
}

#[tokio::test]
async fn preauth_before_tls_aborts() {
    let stack = stack();
    let user = stack.add_user("preauth").unwrap();
    let (port, peer) = scripted_peer("* PREAUTH welcome back\r\n", "IMAP4rev1");
    let opts = options_for(&stack, &user, port, Security::StartTls);
    let err = heron_imap::connect(&opts).await.unwrap_err();
    assert!(matches!(err, ImapError::PreauthWithoutTls { .. }), "{err}");
    assert!(
        peer.join().unwrap().is_empty(),
        "nothing may be sent after PREAUTH"
    );
}

#[tokio::test]
async fn bytes_injected_after_the_starttls_answer_break_the_handshake() {
    // The classic STARTTLS injection: a man in the middle appends a response after "OK
    // begin TLS"; a client that buffered it would read it as if it came over TLS.
    let stack = stack();
    let user = stack.add_user("inject").unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let peer = std::thread::spawn(move || {
        let (mut sock, _) = listener.accept().unwrap();
        sock.write_all(b"* OK fake\r\n").unwrap();
        let mut reader = BufReader::new(sock.try_clone().unwrap());
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        sock.write_all(b"* CAPABILITY IMAP4rev1 STARTTLS\r\nh1 OK\r\n")
            .unwrap();
        line.clear();
        reader.read_line(&mut line).unwrap();
        sock.write_all(b"h2 OK begin TLS\r\n* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n")
            .unwrap();
        // Keep the socket open a moment so the client sees the handshake fail.
        std::thread::sleep(std::time::Duration::from_millis(500));
    });
    let opts = options_for(&stack, &user, port, Security::StartTls);
    let err = heron_imap::connect(&opts).await.unwrap_err();
    assert!(
        matches!(err, ImapError::Tls { .. } | ImapError::ConnectionLost(_)),
        "{err}"
    );
    peer.join().unwrap();
}
