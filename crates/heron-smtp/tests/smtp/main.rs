//! Submission against the harness Postfix (a real server delivering to the real
//! Dovecot): both kinds of TLS, refusals with the server's words, messages that arrive
//! byte for byte, and no way for a body to end DATA early.

// Test code: a failed unwrap is a failed test, with the error in its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use heron_harness::{Stack, User};
use heron_imap::{FetchItems, SearchKey, UidRange};
use heron_model::Secret;
use heron_smtp::{Auth, Envelope, Security, SmtpError, SmtpOptions, Timeouts, send};

fn stack() -> Stack {
    match Stack::ensure() {
        Ok(stack) => stack,
        Err(e) => panic!("the test stack must start: {e:#}"),
    }
}

fn options(stack: &Stack, user: &User, security: Security) -> SmtpOptions {
    let ca = heron_imap::read_pem_certificates(stack.ca_pem()).unwrap();
    let port = match security {
        Security::Tls => stack.ports().submissions,
        Security::StartTls => stack.ports().submission,
    };
    SmtpOptions {
        host: "127.0.0.1".to_owned(),
        port,
        security,
        login: user.address.clone(),
        auth: Auth::Password(Secret::new(user.password.clone())),
        tls: heron_imap::tls_config(&ca, false, false).unwrap(),
        timeouts: Timeouts {
            connect: Duration::from_secs(10),
            command: Duration::from_secs(20),
            data: Duration::from_secs(60),
        },
    }
}

fn message(from: &User, to: &User, id: &str, body: &str) -> Vec<u8> {
    format!(
        "From: <{}>\r\nTo: <{}>\r\nSubject: test {id}\r\nMessage-ID: <{id}>\r\n\
         Date: Sun, 29 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=us-ascii\r\n\r\n{body}",
        from.address, to.address
    )
    .into_bytes()
}

fn envelope(from: &User, to: &[&User]) -> Envelope {
    Envelope {
        from: from.address.clone(),
        to: to.iter().map(|u| u.address.clone()).collect(),
    }
}

/// The messages in `user`'s INBOX whose Message-ID is `id`, waiting up to `wait` for
/// at least `at_least` of them (delivery through Postfix and LMTP is asynchronous).
pub async fn delivered(
    stack: &Stack,
    user: &User,
    id: &str,
    at_least: usize,
    wait: Duration,
) -> Vec<Vec<u8>> {
    let ca = heron_imap::read_pem_certificates(stack.ca_pem()).unwrap();
    let opts = heron_imap::ConnectOptions {
        host: "127.0.0.1".to_owned(),
        port: stack.ports().imaps,
        security: heron_imap::Security::Tls,
        login: user.address.clone(),
        auth: heron_imap::Auth::Password(Secret::new(user.password.clone())),
        tls: heron_imap::tls_config(&ca, false, false).unwrap(),
        timeouts: heron_imap::Timeouts::default(),
        limits: heron_imap::ProtocolLimits::default(),
    };
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let mut session = heron_imap::connect(&opts).await.unwrap();
        session.select("INBOX", None).await.unwrap();
        let uids = session
            .uid_search(&SearchKey::MessageId(id.to_owned()))
            .await
            .unwrap();
        if uids.len() >= at_least || tokio::time::Instant::now() >= deadline {
            let mut bodies = Vec::new();
            if !uids.is_empty() {
                let items = FetchItems {
                    body: true,
                    ..FetchItems::default()
                };
                session
                    .uid_fetch(
                        &UidRange::Set(uids),
                        items,
                        None,
                        |f: heron_imap::Fetched| {
                            bodies.push(f.body.unwrap_or_default());
                            Ok(())
                        },
                    )
                    .await
                    .unwrap();
            }
            session.logout().await;
            return bodies;
        }
        session.logout().await;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The delivered copy is the sent bytes with the servers' trace headers in front.
fn assert_arrived_intact(copy: &[u8], sent: &[u8]) {
    assert!(
        copy.ends_with(sent),
        "the delivered copy must end with the sent bytes\n--- delivered:\n{}",
        String::from_utf8_lossy(copy)
    );
}

#[tokio::test]
async fn implicit_tls_submission_arrives_byte_equal() {
    let stack = stack();
    let (alice, bob) = (
        stack.add_user("smtp-a").unwrap(),
        stack.add_user("smtp-b").unwrap(),
    );
    let id = "implicit-tls@heron.test";
    let raw = message(&alice, &bob, id, "Hello over implicit TLS.\r\n");
    let reply = send(
        &options(&stack, &alice, Security::Tls),
        &envelope(&alice, &[&bob]),
        &raw,
    )
    .await
    .unwrap();
    assert!(!reply.is_empty(), "the server's acceptance is returned");
    let copies = delivered(&stack, &bob, id, 1, Duration::from_secs(20)).await;
    assert_eq!(copies.len(), 1);
    assert_arrived_intact(&copies[0], &raw);
}

#[tokio::test]
async fn required_starttls_submission_arrives_for_every_recipient() {
    let stack = stack();
    let alice = stack.add_user("smtp-a").unwrap();
    let bob = stack.add_user("smtp-b").unwrap();
    let carol = stack.add_user("smtp-c").unwrap();
    let id = "starttls@heron.test";
    let raw = message(&alice, &bob, id, "Hello over STARTTLS.\r\n");
    send(
        &options(&stack, &alice, Security::StartTls),
        &envelope(&alice, &[&bob, &carol]),
        &raw,
    )
    .await
    .unwrap();
    for user in [&bob, &carol] {
        let copies = delivered(&stack, user, id, 1, Duration::from_secs(20)).await;
        assert_eq!(copies.len(), 1, "{} gets exactly one copy", user.address);
        assert_arrived_intact(&copies[0], &raw);
    }
}

#[tokio::test]
async fn wrong_password_is_an_authentication_error_not_a_retry() {
    let stack = stack();
    let alice = stack.add_user("smtp-a").unwrap();
    let mut opts = options(&stack, &alice, Security::Tls);
    opts.auth = Auth::Password(Secret::new("not-the-password"));
    let err = send(
        &opts,
        &envelope(&alice, &[&alice]),
        b"Subject: x\r\n\r\nx\r\n",
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, SmtpError::AuthenticationFailed { .. }),
        "{err:?}"
    );
    assert_eq!(err.code(), "authentication_failed");
    assert!(!err.is_transient());
    assert!(!err.may_have_delivered());
}

#[tokio::test]
async fn spoofed_sender_is_refused_with_the_servers_words_and_nothing_arrives() {
    let stack = stack();
    let alice = stack.add_user("smtp-a").unwrap();
    let bob = stack.add_user("smtp-b").unwrap();
    let id = "spoofed@heron.test";
    let raw = message(&bob, &alice, id, "Pretending to be bob.\r\n");
    let err = send(
        &options(&stack, &alice, Security::Tls),
        &envelope(&bob, &[&alice]),
        &raw,
    )
    .await
    .unwrap_err();
    match &err {
        SmtpError::Rejected {
            code, server_says, ..
        } => {
            assert!((500..600).contains(code), "{err:?}");
            assert!(!server_says.is_empty());
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert!(!err.is_transient() && !err.may_have_delivered());
    let copies = delivered(&stack, &alice, id, 1, Duration::from_secs(2)).await;
    assert!(copies.is_empty());
}

#[tokio::test]
async fn dot_lines_and_bare_line_breaks_arrive_as_one_message() {
    let stack = stack();
    let alice = stack.add_user("smtp-a").unwrap();
    let bob = stack.add_user("smtp-b").unwrap();
    let id = "dots@heron.test";
    // A smuggling attempt: a bare-LF "dot line" followed by a whole second SMTP
    // transaction. Servers that took "\n.\n" as the end of DATA would deliver two
    // messages; Heron sends CRLF only, so the second stays text inside the first.
    let smuggled = format!(
        ".\r\n..\r\n.hidden\r\nbare\nlf\rcr\n.\nMAIL FROM:<{a}>\r\nRCPT TO:<{b}>\r\nDATA\r\n\
         Message-ID: <smuggled@heron.test>\r\n\r\nsecond\r\n.\r\nend\r\n",
        a = alice.address,
        b = bob.address
    );
    let raw = message(&alice, &bob, id, &smuggled);
    send(
        &options(&stack, &alice, Security::Tls),
        &envelope(&alice, &[&bob]),
        &raw,
    )
    .await
    .unwrap();
    let copies = delivered(&stack, &bob, id, 1, Duration::from_secs(20)).await;
    assert_eq!(copies.len(), 1);
    let normalised = String::from_utf8(raw)
        .unwrap()
        .replace("\r\n", "\n")
        .replace('\r', "\n")
        .replace('\n', "\r\n");
    assert_arrived_intact(&copies[0], normalised.as_bytes());
    let second = delivered(
        &stack,
        &bob,
        "smuggled@heron.test",
        1,
        Duration::from_secs(2),
    )
    .await;
    assert!(second.is_empty(), "no second message may be smuggled in");
}

#[tokio::test]
async fn untrusted_certificate_and_closed_port_are_told_apart() {
    let stack = stack();
    let alice = stack.add_user("smtp-a").unwrap();
    let mut opts = options(&stack, &alice, Security::Tls);
    opts.tls = heron_imap::tls_config(&[], false, false).unwrap();
    let err = send(&opts, &envelope(&alice, &[&alice]), b"x\r\n")
        .await
        .unwrap_err();
    assert_eq!(err.code(), "certificate_untrusted", "{err:?}");

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let mut opts = options(&stack, &alice, Security::Tls);
    opts.port = port;
    let err = send(&opts, &envelope(&alice, &[&alice]), b"x\r\n")
        .await
        .unwrap_err();
    assert_eq!(err.code(), "server_unreachable", "{err:?}");
    assert!(err.is_transient());
}

/// Whether an XOAUTH2 response for `login` and `token` fits on the AUTH line itself
/// (RFC 4954 allows it within SMTP's 512-byte command line), the same sum the client
/// makes: tests use it to be sure which of the two ways they exercise.
fn fits_on_the_auth_line(login: &str, token: &str) -> bool {
    let response = format!("user={login}\x01auth=Bearer {token}\x01\x01").len();
    "AUTH XOAUTH2 \r\n".len() + response.div_ceil(3) * 4 <= 512
}

fn xoauth2_options(stack: &Stack, user: &User, token: String) -> SmtpOptions {
    let mut opts = options(stack, user, Security::Tls);
    opts.auth = Auth::XOAuth2(Secret::new(token));
    opts
}

#[tokio::test]
async fn xoauth2_submission_arrives() {
    let stack = stack();
    // A short name, so that the token goes on the AUTH line itself.
    let alice = stack.add_user("o").unwrap();
    let bob = stack.add_user("smtp-oauth-b").unwrap();
    let token = stack.oauth_token(&alice, Duration::from_secs(600)).unwrap();
    assert!(fits_on_the_auth_line(&alice.address, &token));
    let id = "xoauth2@heron.test";
    let raw = message(&alice, &bob, id, "Sent with an OAuth token.\r\n");
    send(
        &xoauth2_options(&stack, &alice, token),
        &envelope(&alice, &[&bob]),
        &raw,
    )
    .await
    .unwrap();
    let copies = delivered(&stack, &bob, id, 1, Duration::from_secs(20)).await;
    assert_eq!(copies.len(), 1);
    assert_arrived_intact(&copies[0], &raw);
}

/// Postfix cuts command lines at 2048 bytes, so a token of the size Microsoft issues
/// (1.5 to 2.5 KB) on the AUTH line arrived as "Invalid base64 data in initial
/// response"; it must follow the server's 334 instead.
#[tokio::test]
async fn a_provider_sized_xoauth2_token_is_sent_after_the_go_ahead() {
    use heron_harness::oauth::TokenClaims;
    let stack = stack();
    let alice = stack.add_user("smtp-oauth-long").unwrap();
    let bob = stack.add_user("smtp-oauth-b").unwrap();
    let mut claims = TokenClaims::new(
        &alice.address,
        std::time::SystemTime::now(),
        Duration::from_secs(600),
    );
    for (name, value) in [
        ("name", "Alice Martin".to_owned()),
        ("roles", "Mail.Send Mail.ReadWrite ".repeat(20)),
        ("tid", "0b7e1c2a-5d3f-4e8a-9c61-2f4b8d9e0a13".to_owned()),
        ("wids", "b79fbf4d-3ef9-4689-8143-76b194e85509 ".repeat(25)),
    ] {
        claims.extra.insert(name.to_owned(), value);
    }
    let token = stack.sign_oauth_token(&claims).unwrap();
    assert!((2000..3000).contains(&token.len()), "{}", token.len());
    assert!(!fits_on_the_auth_line(&alice.address, &token));
    let id = "xoauth2-long@heron.test";
    let raw = message(&alice, &bob, id, "Sent with a long OAuth token.\r\n");
    send(
        &xoauth2_options(&stack, &alice, token),
        &envelope(&alice, &[&bob]),
        &raw,
    )
    .await
    .unwrap();
    let copies = delivered(&stack, &bob, id, 1, Duration::from_secs(20)).await;
    assert_eq!(copies.len(), 1);
}

#[tokio::test]
async fn a_refused_xoauth2_token_is_an_authentication_error_and_nothing_is_sent() {
    use heron_harness::oauth::TokenClaims;
    use std::time::SystemTime;
    let stack = stack();
    // Both ways of sending the token: on the AUTH line, and after it (a token made
    // longer with a claim Dovecot does not check).
    for long in [false, true] {
        let alice = stack.add_user("smtp-oauth-refused").unwrap();
        let bob = stack.add_user("smtp-oauth-other").unwrap();
        let claims = |address: &str, issued_at: SystemTime, lifetime: Duration| {
            let mut claims = TokenClaims::new(address, issued_at, lifetime);
            if long {
                claims.extra.insert("name".to_owned(), "x".repeat(600));
            }
            claims
        };
        let now = SystemTime::now();
        let hour = Duration::from_secs(3600);
        let expired = claims(&alice.address, now - 2 * hour, hour);
        let valid = claims(&alice.address, now, hour);
        let bobs = claims(&bob.address, now, hour);
        let tokens = [
            ("expired", stack.sign_oauth_token(&expired).unwrap()),
            (
                "signed with another key",
                heron_harness::oauth::sign(b"not the stack's key", &valid).unwrap(),
            ),
            ("another user's", stack.sign_oauth_token(&bobs).unwrap()),
        ];
        for (_, token) in &tokens {
            assert_eq!(fits_on_the_auth_line(&alice.address, token), !long);
        }
        for (what, token) in tokens {
            let id = format!(
                "refused-{}-{long}@heron.test",
                what.replace([' ', '\''], "-")
            );
            let raw = message(&alice, &bob, &id, "Must not arrive.\r\n");
            let err = send(
                &xoauth2_options(&stack, &alice, token),
                &envelope(&alice, &[&bob]),
                &raw,
            )
            .await
            .unwrap_err();
            let SmtpError::AuthenticationFailed { server_says } = &err else {
                panic!("{what} token: {err:?}");
            };
            assert!(
                server_says.contains("5.7.8"),
                "the server's final refusal is reported: {server_says:?}"
            );
            assert_eq!(err.code(), "authentication_failed");
            assert!(!err.is_transient() && !err.may_have_delivered());
            let copies = delivered(&stack, &bob, &id, 1, Duration::from_secs(1)).await;
            assert!(copies.is_empty(), "{what} token: nothing may arrive");
        }
    }
}
