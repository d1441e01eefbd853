//! The stack's OAuth 2.0 provider is real and wired to the mail servers: a sign-in at
//! glewlwyd (authorization code with PKCE, to a loopback redirect URI on a port of the
//! client's choosing) gives an access token that opens the user's mailbox in Dovecot
//! and submits through Postfix, and a refresh token that gives a new working one. What
//! the provider refuses (no PKCE, a wrong verifier, a replayed code, a wrong password)
//! is refused for real.

use std::net::TcpListener;

use heron_harness::idp::Idp;

use super::oauth::{Bearer, assert_refusals_logged, imap_authenticate, smtp_with_token};
use super::{message, stack, wait_for_message};
use lettre::AsyncTransport as _;

/// A value no test repeats: a PKCE verifier (43 characters), a state.
fn random_text() -> String {
    use base64::Engine as _;
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).unwrap();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The value of `name` in the query of `url`.
fn param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        (key == name).then(|| value.to_owned())
    })
}

/// A redirect URI on a loopback port the "app" really holds, as RFC 8252 section 7.3
/// has native apps do; the listener is returned so the port stays taken.
fn loopback_redirect() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    (listener, format!("http://127.0.0.1:{port}/oauth/callback"))
}

/// Signs `user` in as the app would and returns the code, checking the redirect.
fn sign_in_for_code(idp: &Idp, user: &heron_harness::User, redirect_uri: &str) -> (String, String) {
    let verifier = random_text();
    let state = random_text();
    let url = idp.authorization_url(redirect_uri, &state, &verifier);
    let back = idp.browser_sign_in(&url, user).unwrap();
    assert!(
        back.starts_with(&format!("{redirect_uri}?")),
        "not sent back to the app: {back}"
    );
    assert_eq!(param(&back, "state").as_deref(), Some(state.as_str()));
    let issuer = param(&back, "iss").expect("RFC 9207: the issuer in the response");
    assert_eq!(issuer.replace("%3A", ":").replace("%2F", "/"), idp.issuer());
    (param(&back, "code").expect("a code"), verifier)
}

#[tokio::test]
async fn a_sign_in_at_the_provider_gives_tokens_that_open_imap_and_smtp_and_refresh() {
    let stack = stack();
    let alice = stack.add_user("idp").unwrap();
    let idp = stack.idp();
    let (_listener, redirect_uri) = loopback_redirect();

    let (code, verifier) = sign_in_for_code(&idp, &alice, &redirect_uri);
    let tokens = idp.exchange_code(&code, &verifier, &redirect_uri).unwrap();
    assert_eq!(tokens.token_type.to_ascii_lowercase(), "bearer");
    assert!(tokens.id_token.is_some(), "an OpenID Connect sign-in");
    let refresh_token = tokens.refresh_token.clone().expect("a refresh token");

    // The access token opens the mailbox with both mechanisms, and submits mail.
    for (mechanism, auth) in [
        (
            "XOAUTH2",
            Bearer::xoauth2(&alice.address, &tokens.access_token),
        ),
        (
            "OAUTHBEARER",
            Bearer::oauthbearer(&alice.address, &tokens.access_token),
        ),
    ] {
        assert!(
            imap_authenticate(&stack, mechanism, auth).await,
            "{mechanism} with the provider's token did not log in"
        );
    }
    let subject = format!("Provider token proof {}", std::process::id());
    smtp_with_token(&stack, &alice, &tokens.access_token)
        .send(message(
            &alice,
            &alice,
            &subject,
            "Sent with glewlwyd's token.\r\n",
        ))
        .await
        .unwrap();
    wait_for_message(&stack, &alice, &subject).await;

    // It is alice's token: it opens no other mailbox, and Dovecot says why.
    let bob = stack.add_user("idp-other").unwrap();
    assert!(
        !imap_authenticate(
            &stack,
            "XOAUTH2",
            Bearer::xoauth2(&bob.address, &tokens.access_token)
        )
        .await
    );
    assert_refusals_logged(&stack, &bob.address, "did not match", 1).await;

    // A refresh gives a new access token that works, and a new refresh token: the one
    // used is spent.
    let refreshed = idp.refresh(&refresh_token).unwrap();
    assert_ne!(refreshed.access_token, tokens.access_token);
    let next_refresh = refreshed
        .refresh_token
        .clone()
        .expect("a rotated refresh token");
    assert_ne!(next_refresh, refresh_token);
    assert!(
        imap_authenticate(
            &stack,
            "XOAUTH2",
            Bearer::xoauth2(&alice.address, &refreshed.access_token)
        )
        .await,
        "the refreshed access token did not log in"
    );
    assert!(
        idp.refresh(&refresh_token).is_err(),
        "a refresh token works once"
    );
}

#[tokio::test]
async fn the_provider_refuses_a_public_client_without_pkce_a_wrong_verifier_or_password() {
    let stack = stack();
    let user = stack.add_user("idp-refused").unwrap();
    let idp = stack.idp();
    let (_listener, redirect_uri) = loopback_redirect();

    // No code challenge: glewlwyd sends the browser back with an error, not a code.
    let state = random_text();
    let without_pkce = format!(
        "{}?response_type=code&client_id={}&redirect_uri={}&scope=openid&state={state}",
        idp.authorization_endpoint(),
        idp.client_id(),
        redirect_uri.replace(':', "%3A").replace('/', "%2F"),
    );
    let back = idp.browser_sign_in(&without_pkce, &user).unwrap();
    assert!(back.starts_with(&redirect_uri), "{back}");
    assert!(param(&back, "error").is_some(), "{back}");
    assert!(param(&back, "code").is_none(), "{back}");

    // Another verifier than the one the challenge was made from.
    let (code, _verifier) = sign_in_for_code(&idp, &user, &redirect_uri);
    assert!(
        idp.exchange_code(&code, &random_text(), &redirect_uri)
            .is_err()
    );

    // A code works once; replayed, it also revokes what it gave (RFC 6749 section
    // 4.1.2), and Dovecot, which asks the provider about every token, sees that at once.
    let (code, verifier) = sign_in_for_code(&idp, &user, &redirect_uri);
    let tokens = idp.exchange_code(&code, &verifier, &redirect_uri).unwrap();
    let login = || Bearer::xoauth2(&user.address, &tokens.access_token);
    assert!(imap_authenticate(&stack, "XOAUTH2", login()).await);
    assert!(
        idp.exchange_code(&code, &verifier, &redirect_uri).is_err(),
        "a code works once"
    );
    assert!(!imap_authenticate(&stack, "XOAUTH2", login()).await);
    assert!(
        idp.refresh(tokens.refresh_token.as_deref().unwrap())
            .is_err()
    );

    // The wrong password.
    let mut impostor = user.clone();
    impostor.password.push('x');
    let url = idp.authorization_url(&redirect_uri, &random_text(), &random_text());
    assert!(idp.browser_sign_in(&url, &impostor).is_err());
}

#[test]
fn the_harness_can_fetch_tokens_without_an_app() {
    let stack = stack();
    let user = stack.user("carol").unwrap();
    let tokens = stack.idp().sign_in(&user).unwrap();
    assert!(!tokens.access_token.is_empty());
    assert!(tokens.refresh_token.is_some());
}
