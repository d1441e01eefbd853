//! Signing in with OAuth 2.0 (RFC 6749) the way a desktop app must (RFC 8252): the
//! authorisation code flow with PKCE (RFC 7636, S256) in the user's own browser, the
//! code coming back to a one-shot listener on the loopback address.
//!
//! [`Heron::begin_oauth`] opens the listener and gives the URL the shell opens in the
//! browser; [`Heron::finish_oauth`] waits for the browser's redirect, checks `state`,
//! trades the code (with the PKCE verifier) for tokens at the token endpoint, tries
//! the access token on the IMAP server, and only then keeps the tokens in the keyring.
//! Heron never sees the password. Before each use, [`Heron::account_credential`] gives
//! the access token, refreshed with the refresh token when it is about to expire.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use heron_model::{AccountId, Secret};
use heron_policy::{AccountConfig, AuthMethod, OAuth2Config};
use heron_store::{OsRandom, RandomSource, Store};
use serde::Deserialize;
use sha2::{Digest as _, Sha256};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

use crate::local_data::store_error;
use crate::mail::credential_name;
use crate::remote::{ConnectTo, post_form};
use crate::{ApiError, ErrorCode, Heron};

/// The keyring entry of the access token (what IMAP and SMTP log in with).
pub const ACCESS_TOKEN: &str = "oauth2-access-token";
/// The keyring entry of the refresh token.
pub const REFRESH_TOKEN: &str = "oauth2-refresh-token";
/// The keyring entry of the access token's expiry (unix seconds, as text).
pub const EXPIRES_AT: &str = "oauth2-expires-at";
/// An access token this close to its expiry is refreshed before use.
const REFRESH_MARGIN_SECONDS: i64 = 60;
/// The largest token endpoint answer read.
const TOKEN_ANSWER_MAX_BYTES: usize = 64 * 1024;
/// How long the token endpoint may take (it is asked while other uses of the account
/// wait for the new token).
const TOKEN_TIMEOUT: Duration = Duration::from_secs(20);
/// The largest request the loopback listener reads from the browser.
const REDIRECT_MAX_BYTES: usize = 16 * 1024;
/// What the browser shows once it has handed the code over; no mail data in it.
const DONE_PAGE: &str = "<!doctype html><meta charset=utf-8><title>Heron</title>\
    <p style=\"font:16px sans-serif;margin:3em\">You are signed in. You can close this tab \
    and go back to Heron.</p><p style=\"font:16px sans-serif;margin:3em\" lang=zh-CN>\
    已登录。可以关闭此标签页并返回 Heron。</p>";

/// What the browser shows when the sign-in did not complete there.
const REFUSED_PAGE: &str = "<!doctype html><meta charset=utf-8><title>Heron</title>\
    <p style=\"font:16px sans-serif;margin:3em\">The sign-in did not complete. Go back to \
    Heron to see why and try again.</p><p style=\"font:16px sans-serif;margin:3em\" \
    lang=zh-CN>登录未完成。请返回 Heron 查看原因并重试。</p>";

/// A sign-in in progress: the listener the browser will come back to, and the secrets
/// that bind the answer to this request.
#[derive(Debug)]
pub struct OAuthSignIn {
    account: AccountId,
    config: OAuth2Config,
    listener: TcpListener,
    redirect_uri: String,
    verifier: String,
    state: String,
    /// The URL to open in the user's browser.
    pub authorize_url: String,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    expires_in: Option<i64>,
}

#[derive(Deserialize)]
struct TokenRefusal {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
}

fn random_text(bytes: usize) -> Result<String, ApiError> {
    let mut buffer = vec![0u8; bytes];
    OsRandom.fill(&mut buffer).map_err(store_error)?;
    Ok(URL_SAFE_NO_PAD.encode(buffer))
}

/// The PKCE S256 challenge of a verifier.
pub fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn oauth_config(account: &AccountConfig) -> Result<OAuth2Config, ApiError> {
    match &account.auth {
        AuthMethod::Oauth2(config) => Ok(config.clone()),
        AuthMethod::Password => Err(ApiError::new(
            ErrorCode::InvalidValue,
            format!("The account {} signs in with a password", account.email),
        )),
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

fn refused(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::AuthenticationFailed, message)
}

impl Heron {
    /// Starts signing in to an OAuth account: a listener on the loopback address and the
    /// authorisation URL (with PKCE and a random state) for the shell to open in the
    /// browser.
    pub async fn begin_oauth(&self, account: &str) -> Result<OAuthSignIn, ApiError> {
        self.require_consent()?;
        let policy = self.policy();
        let config = crate::accounts::find_account(&policy, account)?;
        let oauth = oauth_config(config)?;
        let listener = TcpListener::bind(("127.0.0.1", 0)).await.map_err(|e| {
            ApiError::new(
                ErrorCode::StorageFailed,
                format!("Cannot listen on the loopback address for the sign-in: {e}"),
            )
        })?;
        let port = listener
            .local_addr()
            .map_err(|e| ApiError::new(ErrorCode::StorageFailed, e.to_string()))?
            .port();
        let redirect_uri = format!("http://127.0.0.1:{port}/callback");
        let verifier = random_text(32)?;
        let state = random_text(24)?;
        let mut url = url::Url::parse(&oauth.authorization_url).map_err(|e| {
            ApiError::new(
                ErrorCode::InvalidConfig,
                format!(
                    "The sign-in address {:?} is not a URL: {e}",
                    oauth.authorization_url
                ),
            )
        })?;
        let scopes = oauth.scopes.join(" ");
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &oauth.client_id)
            .append_pair("redirect_uri", &redirect_uri)
            .append_pair("state", &state)
            .append_pair("code_challenge", &pkce_challenge(&verifier))
            .append_pair("code_challenge_method", "S256")
            .append_pair("login_hint", config.login());
        if !scopes.is_empty() {
            url.query_pairs_mut().append_pair("scope", &scopes);
        }
        // OpenID Connect providers require a nonce with the `openid` scope (it binds an
        // ID token to this request; Heron uses only the access token).
        if oauth.scopes.iter().any(|s| s == "openid") {
            url.query_pairs_mut()
                .append_pair("nonce", &random_text(16)?);
        }
        Ok(OAuthSignIn {
            account: config.id.clone(),
            config: oauth,
            listener,
            redirect_uri,
            verifier,
            state,
            authorize_url: url.to_string(),
        })
    }

    /// Waits up to `wait` for the browser to come back with the code, trades it for
    /// tokens, tries the access token on the IMAP server and keeps the tokens. A
    /// refusal by the user or the server is [`ErrorCode::AuthenticationFailed`].
    pub async fn finish_oauth(
        &self,
        store: &mut Store,
        sign_in: OAuthSignIn,
        wait: Duration,
    ) -> Result<(), ApiError> {
        let code = tokio::time::timeout(wait, receive_code(&sign_in.listener, &sign_in.state))
            .await
            .map_err(|_| {
                ApiError::new(
                    ErrorCode::ConnectionLost,
                    "The sign-in in the browser did not finish in time; try again",
                )
            })??;
        drop(sign_in.listener);
        let tls = self.web_tls()?;
        let answer = token_request(
            &sign_in.config,
            tls,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", &sign_in.redirect_uri),
                ("client_id", &sign_in.config.client_id),
                ("code_verifier", &sign_in.verifier),
            ],
        )
        .await?;
        let policy = self.policy();
        let config = policy
            .accounts
            .iter()
            .find(|a| a.id == sign_in.account)
            .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "The account is gone"))?;
        let access = Secret::new(answer.access_token.clone());
        crate::accounts::check_imap_login(config, &policy, &access).await?;
        keep_tokens(store, &sign_in.account, &answer)
    }

    /// The credential to log in with now: the password (from the policy or the
    /// keyring), or for an OAuth account the access token, refreshed first when it
    /// expires within a minute. `None` when the user has not signed in.
    pub async fn account_credential(
        &self,
        store: &Store,
        account: &AccountConfig,
    ) -> Result<Option<Secret>, ApiError> {
        let AuthMethod::Oauth2(oauth) = &account.auth else {
            return store
                .load_account_secret(&account.id, credential_name(account))
                .map_err(store_error);
        };
        let (stored, fresh) = current_token(store, account)?;
        if stored.is_some() && fresh {
            return Ok(stored);
        }
        // One refresh at a time; whoever waited looks again, and finds the new token.
        let _refreshing = self.token_refresh.lock().await;
        let (stored, fresh) = current_token(store, account)?;
        if stored.is_some() && fresh {
            return Ok(stored);
        }
        let Some(refresh) = store
            .load_account_secret(&account.id, REFRESH_TOKEN)
            .map_err(store_error)?
        else {
            return Ok(stored);
        };
        let answer = token_request(
            oauth,
            self.web_tls()?,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh.expose()),
                ("client_id", &oauth.client_id),
            ],
        )
        .await?;
        keep_refreshed(store, &account.id, &answer)?;
        Ok(Some(Secret::new(answer.access_token)))
    }
}

/// The kept access token, and whether it is still good for more than a minute (or has
/// no known expiry).
fn current_token(
    store: &Store,
    account: &AccountConfig,
) -> Result<(Option<Secret>, bool), ApiError> {
    let token = store
        .load_account_secret(&account.id, credential_name(account))
        .map_err(store_error)?;
    let expires_at = store
        .load_account_secret(&account.id, EXPIRES_AT)
        .map_err(store_error)?
        .and_then(|s| s.expose().parse::<i64>().ok());
    let fresh = expires_at.is_none_or(|at| at - now() > REFRESH_MARGIN_SECONDS);
    Ok((token, fresh))
}

/// Accepts connections on the listener until one is the browser's redirect carrying
/// `state`: returns its code, or the refusal it carries. Anything else (a favicon, a
/// stray request) gets 404 and the wait goes on.
async fn receive_code(listener: &TcpListener, state: &str) -> Result<String, ApiError> {
    loop {
        let (mut stream, _) = listener
            .accept()
            .await
            .map_err(|e| ApiError::new(ErrorCode::ConnectionLost, e.to_string()))?;
        let Some(target) = read_request_target(&mut stream).await else {
            continue;
        };
        let Ok(url) = url::Url::parse("http://127.0.0.1").and_then(|base| base.join(&target))
        else {
            answer(&mut stream, 400, "").await;
            continue;
        };
        let param = |name: &str| {
            url.query_pairs()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.into_owned())
        };
        if url.path() != "/callback" || param("state").as_deref() != Some(state) {
            answer(&mut stream, 404, "").await;
            continue;
        }
        if let Some(error) = param("error") {
            answer(&mut stream, 200, REFUSED_PAGE).await;
            let why = param("error_description").unwrap_or_default();
            return Err(refused(format!("The sign-in was refused: {error} {why}")));
        }
        match param("code") {
            Some(code) if !code.is_empty() => {
                answer(&mut stream, 200, DONE_PAGE).await;
                return Ok(code);
            }
            _ => answer(&mut stream, 400, "").await,
        }
    }
}

/// The request target of an HTTP GET, or `None` for anything else.
async fn read_request_target(stream: &mut TcpStream) -> Option<String> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 2048];
    while !buffer.windows(4).any(|w| w == b"\r\n\r\n") {
        let read = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut chunk))
            .await
            .ok()?
            .ok()?;
        if read == 0 || buffer.len() + read > REDIRECT_MAX_BYTES {
            return None;
        }
        buffer.extend_from_slice(&chunk[..read]);
    }
    let line = buffer.split(|b| *b == b'\n').next()?;
    let line = std::str::from_utf8(line).ok()?.trim_end();
    let mut parts = line.split(' ');
    (parts.next()? == "GET").then_some(())?;
    Some(parts.next()?.to_owned())
}

async fn answer(stream: &mut TcpStream, status: u16, html: &str) {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        _ => "Not Found",
    };
    let response = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/html; charset=utf-8\r\n\
         Content-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n{html}",
        html.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

async fn token_request(
    oauth: &OAuth2Config,
    tls: Arc<rustls::ClientConfig>,
    form: &[(&str, &str)],
) -> Result<TokenAnswer, ApiError> {
    let answer = tokio::time::timeout(
        TOKEN_TIMEOUT,
        post_form(
            &oauth.token_url,
            tls,
            form,
            TOKEN_ANSWER_MAX_BYTES,
            &ConnectTo::new(),
        ),
    )
    .await
    .unwrap_or_else(|_| Err("no answer in time".to_owned()));
    let (status, body) = answer.map_err(|why| {
        ApiError::new(
            ErrorCode::ServerUnreachable,
            format!("The sign-in server could not be reached: {why}"),
        )
    })?;
    if (200..300).contains(&status) {
        return serde_json::from_slice(&body).map_err(|e| {
            ApiError::new(
                ErrorCode::ServerMisbehaved,
                format!("The sign-in server's answer is not a token: {e}"),
            )
        });
    }
    match serde_json::from_slice::<TokenRefusal>(&body) {
        Ok(refusal) => Err(refused(format!(
            "The sign-in server refused: {} {}",
            refusal.error,
            refusal.error_description.unwrap_or_default()
        ))),
        Err(_) => Err(ApiError::new(
            ErrorCode::ServerMisbehaved,
            format!("The sign-in server answered {status}"),
        )),
    }
}

/// Keeps the tokens of a sign-in (registering their names, so a wipe finds them).
fn keep_tokens(
    store: &mut Store,
    account: &AccountId,
    answer: &TokenAnswer,
) -> Result<(), ApiError> {
    let expires = answer.expires_in.map(|s| now().saturating_add(s));
    let keep = |store: &mut Store, name: &str, value: &str| {
        store
            .store_account_secret(account, name, &Secret::new(value.to_owned()))
            .map_err(store_error)
    };
    keep(store, ACCESS_TOKEN, &answer.access_token)?;
    keep(
        store,
        EXPIRES_AT,
        &expires.map_or_else(String::new, |e| e.to_string()),
    )?;
    if let Some(refresh) = &answer.refresh_token {
        keep(store, REFRESH_TOKEN, refresh)?;
    }
    Ok(())
}

/// Keeps refreshed tokens through a shared store (the names were registered at sign-in).
fn keep_refreshed(
    store: &Store,
    account: &AccountId,
    answer: &TokenAnswer,
) -> Result<(), ApiError> {
    let replace = |name: &str, value: String| {
        store
            .replace_account_secret(account, name, &Secret::new(value))
            .map_err(store_error)
    };
    replace(ACCESS_TOKEN, answer.access_token.clone())?;
    replace(
        EXPIRES_AT,
        answer
            .expires_in
            .map_or_else(String::new, |s| now().saturating_add(s).to_string()),
    )?;
    // A server that rotates refresh tokens sends a new one; the old one is dead.
    if let Some(refresh) = &answer.refresh_token {
        replace(REFRESH_TOKEN, refresh.clone())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pkce_challenge_is_rfc_7636s_example() {
        // RFC 7636, appendix B.
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    async fn browser(port: u16, request: &str) -> String {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut out = String::new();
        stream.read_to_string(&mut out).await.unwrap();
        out
    }

    #[tokio::test]
    async fn the_listener_takes_only_the_redirect_with_its_state() {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let waiting = tokio::spawn(async move { receive_code(&listener, "s1").await });
        let favicon = browser(port, "GET /favicon.ico HTTP/1.1\r\nHost: x\r\n\r\n").await;
        assert!(favicon.starts_with("HTTP/1.1 404"), "{favicon}");
        let forged = browser(port, "GET /callback?code=evil&state=other HTTP/1.1\r\n\r\n").await;
        assert!(forged.starts_with("HTTP/1.1 404"), "{forged}");
        let post = browser(port, "POST /callback?code=x&state=s1 HTTP/1.1\r\n\r\n").await;
        assert!(post.is_empty() || post.starts_with("HTTP/1.1 4"), "{post}");
        let real = browser(port, "GET /callback?code=c%2B1&state=s1 HTTP/1.1\r\n\r\n").await;
        assert!(
            real.starts_with("HTTP/1.1 200") && real.contains("signed in"),
            "{real}"
        );
        assert_eq!(waiting.await.unwrap().unwrap(), "c+1");
    }

    #[tokio::test]
    async fn a_refusal_in_the_browser_is_an_authentication_failure() {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let waiting = tokio::spawn(async move { receive_code(&listener, "s2").await });
        browser(
            port,
            "GET /callback?error=access_denied&state=s2 HTTP/1.1\r\n\r\n",
        )
        .await;
        let err = waiting.await.unwrap().unwrap_err();
        assert_eq!(err.code, ErrorCode::AuthenticationFailed);
        assert!(err.message.contains("access_denied"));
    }
}
