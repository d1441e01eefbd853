//! Signing in with OAuth 2.0 against a real authorisation server (glewlwyd, started by
//! the harness): the code comes back to Heron's loopback listener, the tokens open the
//! real Dovecot, and an expired access token is refreshed before use.

use std::io::{Read as _, Write as _};
use std::time::Duration;

use heron_api::ErrorCode;
use heron_harness::{Stack, User};

use super::send::{keyring_available, machine_with_policy, runtime};

/// One test at a time talks to the authorisation server: glewlwyd keeps its state in
/// SQLite and can fail one of two overlapping sign-ins with a 500 (`server_error`),
/// which is the test stack's limit, not what these tests are about.
static ONE_SIGN_IN_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn sign_in_turn() -> std::sync::MutexGuard<'static, ()> {
    ONE_SIGN_IN_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A machine whose one account signs in through the stack's authorisation server.
fn oauth_machine(stack: &Stack, user: &User, dir: &std::path::Path) -> heron_api::Heron {
    let idp = stack.idp();
    machine_with_policy(stack, user, dir, |policy| {
        let account = policy["accounts"][0].as_object_mut().unwrap();
        account.remove("password");
        account.insert(
            "auth".into(),
            serde_json::json!({
                "method": "oauth2",
                "provider": "glewlwyd",
                "authorization_url": idp.authorization_endpoint(),
                "token_url": idp.token_endpoint(),
                "client_id": idp.client_id(),
                "scopes": heron_harness::idp::SCOPES,
            }),
        );
    })
}

/// What the user's browser does with the redirect: a plain GET to the loopback URL.
fn follow_redirect(url: &str) -> String {
    let url = url::Url::parse(url).unwrap();
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", url.port().unwrap())).unwrap();
    let target = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    };
    write!(stream, "GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
    let mut page = String::new();
    stream.read_to_string(&mut page).unwrap();
    page
}

fn query(url: &str, name: &str) -> String {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .unwrap()
}

#[test]
fn signing_in_in_the_browser_keeps_tokens_that_sync_and_refresh() {
    let _turn = sign_in_turn();
    if !keyring_available() {
        return;
    }
    let stack = Stack::ensure().unwrap();
    let user = stack.add_user("oauth").unwrap();
    stack
        .put_in_inbox(
            &user,
            &[
                b"Message-ID: <oauth-1@example.test>\r\nFrom: a@example.test\r\n\
                Subject: Read with a token\r\n\r\nHello\r\n"
                    .to_vec(),
            ],
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let heron = oauth_machine(&stack, &user, dir.path());
    let mut store = heron.open_store().unwrap();
    let account = heron.policy().accounts[0].clone();
    assert!(heron.account_list(&store)[0].needs_sign_in);
    assert_eq!(
        heron.account_list(&store)[0].auth,
        heron_api::transport::AuthKind::Oauth2
    );

    let rt = runtime();
    let sign_in = rt.block_on(heron.begin_oauth("acct")).unwrap();
    let authorize = sign_in.authorize_url.clone();
    assert_eq!(query(&authorize, "code_challenge_method"), "S256");
    assert_eq!(query(&authorize, "login_hint"), user.address);
    // The user signs in at the provider's page; the browser then follows the redirect.
    let browser = {
        let idp = stack.idp();
        let user = user.clone();
        std::thread::spawn(move || {
            let redirect = idp.browser_sign_in(&authorize, &user).unwrap();
            follow_redirect(&redirect)
        })
    };
    rt.block_on(heron.finish_oauth(&mut store, sign_in, Duration::from_secs(60)))
        .unwrap();
    let page = browser.join().unwrap();
    assert!(
        page.starts_with("HTTP/1.1 200") && page.contains("signed in"),
        "{page}"
    );
    assert!(!heron.account_list(&store)[0].needs_sign_in);
    let access = store
        .load_account_secret(&account.id, heron_api::oauth::ACCESS_TOKEN)
        .unwrap()
        .unwrap();
    assert!(
        store
            .load_account_secret(&account.id, heron_api::oauth::REFRESH_TOKEN)
            .unwrap()
            .is_some()
    );

    // The token opens the real Dovecot.
    let synced = rt
        .block_on(heron.sync_accounts(&mut store, &heron_sync::SyncOptions::default(), None))
        .unwrap();
    assert!(synced[0].error.is_none(), "{:?}", synced[0].error);
    assert_eq!(
        heron_api::mail::search(&store, "token", 10).unwrap().len(),
        1
    );

    // Once it is about to expire, the next use refreshes it first.
    store
        .replace_account_secret(
            &account.id,
            heron_api::oauth::EXPIRES_AT,
            &heron_model::Secret::new("0".to_owned()),
        )
        .unwrap();
    let fresh = rt
        .block_on(heron.account_credential(&store, &account))
        .unwrap()
        .unwrap();
    assert_ne!(fresh.expose(), access.expose(), "a new access token");

    // Two uses at once (the worker and the window, each with its own connection) when
    // the token expires: one refresh, both get the new token. glewlwyd rotates refresh
    // tokens, so a second refresh with the same one would be refused.
    store
        .replace_account_secret(
            &account.id,
            heron_api::oauth::EXPIRES_AT,
            &heron_model::Secret::new("0".to_owned()),
        )
        .unwrap();
    let tokens: Vec<String> = std::thread::scope(|scope| {
        let users: Vec<_> = (0..2)
            .map(|_| {
                scope.spawn(|| {
                    let own = heron.open_store().unwrap();
                    runtime()
                        .block_on(heron.account_credential(&own, &account))
                        .unwrap()
                        .unwrap()
                        .expose()
                        .to_owned()
                })
            })
            .collect();
        users.into_iter().map(|u| u.join().unwrap()).collect()
    });
    assert_eq!(tokens[0], tokens[1], "one refresh served both");
    assert_ne!(tokens[0], fresh.expose());
    let synced = rt
        .block_on(heron.sync_accounts(&mut store, &heron_sync::SyncOptions::default(), None))
        .unwrap();
    assert!(synced[0].error.is_none(), "{:?}", synced[0].error);
}

#[test]
fn a_refusal_or_a_forged_state_keeps_nothing() {
    let _turn = sign_in_turn();
    if !keyring_available() {
        return;
    }
    let stack = Stack::ensure().unwrap();
    let user = stack.add_user("oauthno").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let heron = oauth_machine(&stack, &user, dir.path());
    let mut store = heron.open_store().unwrap();
    let rt = runtime();

    let sign_in = rt.block_on(heron.begin_oauth("acct")).unwrap();
    let state = query(&sign_in.authorize_url, "state");
    let redirect = query(&sign_in.authorize_url, "redirect_uri");
    let browser = std::thread::spawn(move || {
        // A page that is not the provider's, guessing: ignored.
        let forged = follow_redirect(&format!("{redirect}?code=stolen&state=guess"));
        // The user said no at the provider.
        let refused = follow_redirect(&format!("{redirect}?error=access_denied&state={state}"));
        (forged, refused)
    });
    let err = rt
        .block_on(heron.finish_oauth(&mut store, sign_in, Duration::from_secs(30)))
        .unwrap_err();
    let (forged, _) = browser.join().unwrap();
    assert!(forged.starts_with("HTTP/1.1 404"), "{forged}");
    assert_eq!(err.code, ErrorCode::AuthenticationFailed);
    assert!(err.message.contains("access_denied"), "{}", err.message);
    assert!(heron.account_list(&store)[0].needs_sign_in, "nothing kept");

    // Nobody comes back: the wait ends with a clear error.
    let sign_in = rt.block_on(heron.begin_oauth("acct")).unwrap();
    let err = rt
        .block_on(heron.finish_oauth(&mut store, sign_in, Duration::from_millis(300)))
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::ConnectionLost);
}
