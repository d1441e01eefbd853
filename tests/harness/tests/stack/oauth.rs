//! OAuth 2.0 logins on the stack: Dovecot validates the harness's tokens itself (no
//! token server), offers XOAUTH2 and OAUTHBEARER next to the password mechanisms, and
//! Postfix offers them too through Dovecot's auth service. Each refusal is checked
//! against Dovecot's own log line, so a bad token is refused for the reason the test
//! names, not by accident.

use std::time::{Duration, Instant, SystemTime};

use heron_harness::oauth::{self, TokenClaims};
use heron_harness::{MAIL_DOMAIN, Stack, User};
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Certificate, CertificateStore, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};

use super::{message, stack, tls_connect, wait_for_message};

const TEN_MINUTES: Duration = Duration::from_secs(600);

/// SASL XOAUTH2 or OAUTHBEARER for async-imap: the token first, then an empty answer to
/// the error challenge a server sends before it says NO.
pub(super) struct Bearer {
    initial: Vec<u8>,
    sent: bool,
}

impl Bearer {
    pub(super) fn xoauth2(login: &str, token: &str) -> Self {
        let text = format!("user={login}\x01auth=Bearer {token}\x01\x01");
        Self {
            initial: text.into_bytes(),
            sent: false,
        }
    }

    pub(super) fn oauthbearer(login: &str, token: &str) -> Self {
        let text = format!("n,a={login},\x01auth=Bearer {token}\x01\x01");
        Self {
            initial: text.into_bytes(),
            sent: false,
        }
    }
}

impl async_imap::Authenticator for Bearer {
    type Response = Vec<u8>;
    fn process(&mut self, _challenge: &[u8]) -> Vec<u8> {
        if std::mem::replace(&mut self.sent, true) {
            Vec::new()
        } else {
            self.initial.clone()
        }
    }
}

/// Authenticates on IMAPS with `mechanism`; whether Dovecot let the user in.
pub(super) async fn imap_authenticate(stack: &Stack, mechanism: &str, auth: Bearer) -> bool {
    let tls = tls_connect(stack, stack.ports().imaps).await.unwrap();
    let mut client = async_imap::Client::new(tls);
    client.read_response().await.unwrap().unwrap();
    match client.authenticate(mechanism, auth).await {
        Ok(mut session) => {
            session.select("INBOX").await.unwrap();
            session.logout().await.unwrap();
            true
        }
        Err((async_imap::error::Error::No(_), _)) => false,
        Err((e, _)) => panic!("{mechanism}: neither in nor refused: {e}"),
    }
}

/// Submission over implicit TLS, logging in with XOAUTH2 (lettre puts the token on the
/// AUTH line, which Postfix takes for tokens this short).
pub(super) fn smtp_with_token(
    stack: &Stack,
    user: &User,
    token: &str,
) -> AsyncSmtpTransport<Tokio1Executor> {
    let pem = std::fs::read(stack.ca_pem()).unwrap();
    let params = TlsParameters::builder("127.0.0.1".to_owned())
        .certificate_store(CertificateStore::None)
        .add_root_certificate(Certificate::from_pem(&pem).unwrap())
        .build_rustls()
        .unwrap();
    AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(stack.ports().submissions)
        .tls(Tls::Wrapper(params))
        .timeout(Some(Duration::from_secs(20)))
        .authentication(vec![Mechanism::Xoauth2])
        .credentials(Credentials::new(user.address.clone(), token.to_owned()))
        .build()
}

/// Waits until Dovecot's auth process has logged `times` refusals of `address` that say
/// `reason`.
pub(super) async fn assert_refusals_logged(
    stack: &Stack,
    address: &str,
    reason: &str,
    times: usize,
) {
    let who = format!("({address},");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let log = std::fs::read_to_string(stack.log("dovecot")).unwrap();
        let said: Vec<&str> = log
            .lines()
            .filter(|l| l.contains(" auth: ") && l.contains(&who))
            .collect();
        if said.iter().filter(|l| l.contains(reason)).count() >= times {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "not {times} refusals of {address} saying {reason:?}; Dovecot said: {said:#?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The greeting, then each command's full answer, as lines.
async fn converse(
    stack: &Stack,
    port: u16,
    commands: &[&str],
    last_line: fn(&str) -> bool,
) -> Vec<String> {
    let tls = tls_connect(stack, port).await.unwrap();
    let (read, mut write) = tokio::io::split(tls);
    let mut lines = BufReader::new(read).lines();
    let mut said = vec![lines.next_line().await.unwrap().unwrap()];
    for command in commands {
        write
            .write_all(format!("{command}\r\n").as_bytes())
            .await
            .unwrap();
        loop {
            let line = lines.next_line().await.unwrap().unwrap();
            let done = last_line(&line);
            said.push(line);
            if done {
                break;
            }
        }
    }
    said
}

#[tokio::test]
async fn dovecot_and_postfix_offer_both_token_mechanisms_next_to_passwords() {
    let stack = stack();
    let imap = converse(&stack, stack.ports().imaps, &["c CAPABILITY"], |l| {
        l.starts_with("c ")
    })
    .await;
    let caps = imap
        .iter()
        .find(|l| l.starts_with("* CAPABILITY "))
        .unwrap();
    for mechanism in ["PLAIN", "LOGIN", "XOAUTH2", "OAUTHBEARER"] {
        assert!(
            caps.split(' ').any(|c| c == format!("AUTH={mechanism}")),
            "IMAP: {caps}"
        );
    }

    let smtp = converse(
        &stack,
        stack.ports().submissions,
        &["EHLO harness.test"],
        |l| l.starts_with("250 "),
    )
    .await;
    let auth = smtp
        .iter()
        .find_map(|l| l.get(4..).filter(|rest| rest.starts_with("AUTH ")))
        .unwrap_or_else(|| panic!("Postfix offers no AUTH: {smtp:#?}"));
    let offered: Vec<&str> = auth.split(' ').skip(1).collect();
    assert_eq!(
        offered,
        ["PLAIN", "LOGIN", "XOAUTH2", "OAUTHBEARER"],
        "{auth}"
    );
}

#[tokio::test]
async fn a_minted_token_logs_in_over_imap_with_both_mechanisms_and_submits() {
    let stack = stack();
    let alice = stack.add_user("oauth").unwrap();
    let token = stack.oauth_token(&alice, TEN_MINUTES).unwrap();
    assert!(imap_authenticate(&stack, "XOAUTH2", Bearer::xoauth2(&alice.address, &token)).await);
    assert!(
        imap_authenticate(
            &stack,
            "OAUTHBEARER",
            Bearer::oauthbearer(&alice.address, &token)
        )
        .await
    );

    let bob = stack.add_user("oauth-rcpt").unwrap();
    let subject = format!("Token proof {}", std::process::id());
    smtp_with_token(&stack, &alice, &token)
        .send(message(&alice, &bob, &subject, "Sent with a token.\r\n"))
        .await
        .unwrap();
    wait_for_message(&stack, &bob, &subject).await;
    let postfix = std::fs::read_to_string(stack.log("postfix")).unwrap();
    let login = format!("sasl_method=XOAUTH2, sasl_username={}", alice.address);
    assert!(postfix.contains(&login), "Postfix logged no {login}");
}

#[tokio::test]
async fn dovecot_refuses_each_kind_of_bad_token_for_its_reason() {
    let stack = stack();
    type Case = (&'static str, fn(&Stack, &User) -> String, &'static str);
    let cases: [Case; 6] = [
        (
            "expired",
            |s, u| {
                let past = SystemTime::now() - 2 * Duration::from_secs(3600);
                s.sign_oauth_token(&TokenClaims::new(
                    &u.address,
                    past,
                    Duration::from_secs(3600),
                ))
                .unwrap()
            },
            "Token has expired",
        ),
        (
            "signed with another key",
            |_, u| {
                let claims = TokenClaims::new(&u.address, SystemTime::now(), TEN_MINUTES);
                oauth::sign(b"not the stack's key", &claims).unwrap()
            },
            "Incorrect JWT signature",
        ),
        (
            "another user's",
            |s, _| s.oauth_token(&s.user("bob").unwrap(), TEN_MINUTES).unwrap(),
            "did not match 'bob@example.test'",
        ),
        (
            "from another issuer",
            |s, u| {
                let mut claims = TokenClaims::new(&u.address, SystemTime::now(), TEN_MINUTES);
                claims.issuer = "https://login.elsewhere.test".to_owned();
                s.sign_oauth_token(&claims).unwrap()
            },
            "Issuer 'https://login.elsewhere.test' is not allowed",
        ),
        (
            "for another application",
            |s, u| {
                let mut claims = TokenClaims::new(&u.address, SystemTime::now(), TEN_MINUTES);
                claims.audience = "some-other-app".to_owned();
                s.sign_oauth_token(&claims).unwrap()
            },
            "client_id not found in aud field",
        ),
        (
            "the password instead",
            |_, u| u.password.clone(),
            "Not a JWT token",
        ),
    ];
    for (what, token, reason) in cases {
        let user = stack.add_user("oauth-bad").unwrap();
        let token = token(&stack, &user);
        assert!(
            !imap_authenticate(&stack, "XOAUTH2", Bearer::xoauth2(&user.address, &token)).await,
            "a token {what} logged in"
        );
        assert_refusals_logged(&stack, &user.address, reason, 1).await;
    }
}

#[tokio::test]
async fn a_valid_token_for_an_account_that_does_not_exist_is_refused_everywhere() {
    let stack = stack();
    let ghost = User {
        address: format!("ghost-{}@{MAIL_DOMAIN}", std::process::id()),
        password: String::new(),
    };
    assert!(
        stack.oauth_token(&ghost, TEN_MINUTES).is_err(),
        "the harness will not mint for an unknown user"
    );
    // Signed with the stack's key and right in every claim: only the account is missing.
    let claims = TokenClaims::new(&ghost.address, SystemTime::now(), TEN_MINUTES);
    let token = stack.sign_oauth_token(&claims).unwrap();
    assert!(
        !imap_authenticate(
            &stack,
            "OAUTHBEARER",
            Bearer::oauthbearer(&ghost.address, &token)
        )
        .await
    );
    assert_refusals_logged(&stack, &ghost.address, "unknown user", 1).await;

    // Postfix asks Dovecot to authenticate but looks up no mailbox, so this is the check
    // that keeps a ghost from sending.
    let bob = stack.user("bob").unwrap();
    let sent = smtp_with_token(&stack, &ghost, &token)
        .send(message(&ghost, &bob, "from a ghost", "x\r\n"))
        .await;
    assert!(sent.is_err(), "a ghost submitted mail");
    assert_refusals_logged(&stack, &ghost.address, "unknown user", 2).await;
}

#[tokio::test]
async fn a_token_is_not_a_password() {
    let stack = stack();
    let user = stack.add_user("oauth-plain").unwrap();
    let token = stack.oauth_token(&user, TEN_MINUTES).unwrap();
    let tls = tls_connect(&stack, stack.ports().imaps).await.unwrap();
    let mut client = async_imap::Client::new(tls);
    client.read_response().await.unwrap().unwrap();
    assert!(
        client.login(&user.address, &token).await.is_err(),
        "a token logged in as a password"
    );
    assert_refusals_logged(&stack, &user.address, "Password mismatch", 1).await;
}
