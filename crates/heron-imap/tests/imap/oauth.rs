//! OAuth 2.0 logins (XOAUTH2, OAUTHBEARER) against Dovecot's own token validation: a
//! good token logs in, and every bad one is an authentication failure after exactly one
//! attempt with the configured mechanism, never a retry with another.

use std::time::{Duration, Instant, SystemTime};

use heron_harness::oauth::TokenClaims;
use heron_harness::{Stack, User};
use heron_imap::{Auth, ImapError};
use heron_model::Secret;

use crate::{options, stack};

#[derive(Clone, Copy, Debug)]
enum Mechanism {
    XOAuth2,
    OAuthBearer,
}

impl Mechanism {
    const ALL: [Mechanism; 2] = [Mechanism::XOAuth2, Mechanism::OAuthBearer];

    fn auth(self, token: String) -> Auth {
        match self {
            Mechanism::XOAuth2 => Auth::XOAuth2(Secret::new(token)),
            Mechanism::OAuthBearer => Auth::OAuthBearer(Secret::new(token)),
        }
    }

    /// How Dovecot names it in its log.
    fn name(self) -> &'static str {
        match self {
            Mechanism::XOAuth2 => "XOAUTH2",
            Mechanism::OAuthBearer => "OAUTHBEARER",
        }
    }
}

fn token(stack: &Stack, user: &User) -> String {
    stack.oauth_token(user, Duration::from_secs(600)).unwrap()
}

#[tokio::test]
async fn xoauth2_logs_in_and_selects_inbox() {
    let stack = stack();
    let user = stack.add_user("imap-xoauth2").unwrap();
    let auth = Mechanism::XOAuth2.auth(token(&stack, &user));
    let mut session = heron_imap::connect(&options(&stack, &user, auth))
        .await
        .unwrap();
    let inbox = session.select("INBOX", None).await.unwrap();
    assert_eq!(inbox.exists, 0, "a fresh user's INBOX is empty");
    assert!(inbox.uidvalidity > 0);
    assert_eq!(session.selected(), Some("INBOX"));
    session.logout().await;
}

#[tokio::test]
async fn oauthbearer_logs_in_and_selects_inbox() {
    let stack = stack();
    let user = stack.add_user("imap-oauthbearer").unwrap();
    let auth = Mechanism::OAuthBearer.auth(token(&stack, &user));
    let mut session = heron_imap::connect(&options(&stack, &user, auth))
        .await
        .unwrap();
    session.select("INBOX", None).await.unwrap();
    assert_eq!(session.selected(), Some("INBOX"));
    session.logout().await;
}

#[tokio::test]
async fn an_expired_token_is_refused() {
    let stack = stack();
    for mechanism in Mechanism::ALL {
        let user = stack.add_user("imap-expired").unwrap();
        let two_hours_ago = SystemTime::now() - Duration::from_secs(2 * 3600);
        let claims = TokenClaims::new(&user.address, two_hours_ago, Duration::from_secs(3600));
        let token = stack.sign_oauth_token(&claims).unwrap();
        assert_refused_after_one_attempt(&stack, &user, mechanism, token).await;
    }
}

#[tokio::test]
async fn a_token_signed_with_another_key_is_refused() {
    let stack = stack();
    for mechanism in Mechanism::ALL {
        let user = stack.add_user("imap-wrongkey").unwrap();
        let claims = TokenClaims::new(&user.address, SystemTime::now(), Duration::from_secs(600));
        // Well-formed, same key id, every claim right: only the signature is wrong.
        let token = heron_harness::oauth::sign(b"not the stack's key", &claims).unwrap();
        assert_refused_after_one_attempt(&stack, &user, mechanism, token).await;
    }
}

#[tokio::test]
async fn a_token_for_another_user_does_not_log_in() {
    let stack = stack();
    for mechanism in Mechanism::ALL {
        let alice = stack.add_user("imap-victim").unwrap();
        let mallory = stack.add_user("imap-other").unwrap();
        // Mallory's own valid token, presented with Alice's login name.
        let token = token(&stack, &mallory);
        assert_refused_after_one_attempt(&stack, &alice, mechanism, token).await;
    }
}

/// Logs in as `user` with `token` and checks the refusal: the typed error and its code,
/// and Dovecot's own record that the connection made one attempt, with `mechanism`.
async fn assert_refused_after_one_attempt(
    stack: &Stack,
    user: &User,
    mechanism: Mechanism,
    token: String,
) {
    let opts = options(stack, user, mechanism.auth(token));
    let err = match heron_imap::connect(&opts).await {
        Ok(_) => panic!(
            "{mechanism:?} with a bad token logged in as {}",
            user.address
        ),
        Err(e) => e,
    };
    assert!(
        matches!(err, ImapError::AuthenticationFailed { .. }),
        "{mechanism:?}: {err:?}"
    );
    assert_eq!(err.code(), "authentication_failed");

    let failures = failed_logins(stack, user).await;
    assert_eq!(
        failures.len(),
        1,
        "one connection, one refused login: {failures:#?}"
    );
    let line = &failures[0];
    assert!(line.contains("1 attempts"), "no second attempt: {line}");
    assert!(
        line.contains(&format!("method={},", mechanism.name())),
        "only {} was tried: {line}",
        mechanism.name()
    );
}

/// imap-login's lines for `user`'s connections that ended without logging in. Dovecot
/// writes one when the client hangs up, with the attempts made and the last mechanism;
/// this waits for the first, then a moment more for any later connection's.
async fn failed_logins(stack: &Stack, user: &User) -> Vec<String> {
    let who = format!("user=<{}>", user.address);
    let read = || {
        std::fs::read_to_string(stack.log("dovecot"))
            .unwrap()
            .lines()
            .filter(|l| l.contains("imap-login:") && l.contains(&who))
            .filter(|l| l.contains("auth failed"))
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while read().is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    read()
}

#[tokio::test]
async fn a_token_carrying_its_own_sasl_fields_is_refused_before_it_is_sent() {
    // \x01 separates the fields of the XOAUTH2 and OAUTHBEARER messages: a token with
    // one could name a different user or add fields of its own.
    let stack = stack();
    let user = stack.add_user("imap-oauth-ctl").unwrap();
    for mechanism in Mechanism::ALL {
        let forged = format!("{}\x01user=someone-else\x01", token(&stack, &user));
        let err = heron_imap::connect(&options(&stack, &user, mechanism.auth(forged)))
            .await
            .err()
            .unwrap();
        assert!(
            matches!(err, ImapError::AuthenticationFailed { .. }),
            "{mechanism:?}: {err:?}"
        );
        assert_eq!(err.code(), "authentication_failed");
    }
}
