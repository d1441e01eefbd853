//! A real OAuth 2.0 / OpenID Connect provider in the stack: Debian's glewlwyd (2.7.5),
//! so that the app's sign-in (authorization code with PKCE, loopback redirect, token
//! refresh) runs against real software end to end.
//!
//! # What runs
//!
//! One glewlwyd process per stack, started with the other servers, on
//! `https://127.0.0.1:<base + 443>` with the stack's CA-signed certificate (glewlwyd
//! speaks TLS itself). Its SQLite database lives in `<stack>/idp/` and is made afresh
//! at every stack start from the schema the package ships
//! (`/usr/share/dbconfig-common/data/glewlwyd/install/sqlite3`); everything else is set
//! up through glewlwyd's own admin REST API right after it listens ([`provision`]):
//!
//! * The admin password the schema ships with (`admin`/`password`) is replaced by a
//!   random one kept in `<stack>/idp/admin-password`.
//! * One OpenID Connect plugin instance, [`PLUGIN`], whose issuer is
//!   `https://127.0.0.1:<port>/api/oidc` (the address its discovery document is served
//!   from, as RFC 8414 wants). Tokens are RS256 JWTs signed with a 2048-bit key made
//!   once per stack directory by `openssl` (RS256 being what most providers use); the
//!   public key is at [`Idp::jwks_uri`]. The authorization code grant and refresh are
//!   on; the implicit grant of access tokens, the password, client credentials and
//!   device grants are off (glewlwyd cannot turn off `response_type=id_token`).
//!   PKCE is required of public clients and only `S256` is accepted. The authorization
//!   response carries `iss` (RFC 9207). The ID token and userinfo always carry `email`.
//! * Refresh tokens are one-time use: each refresh answers with a new refresh token and
//!   disables the one used (rotation, as RFC 9700 asks for public clients and as large
//!   providers do), so an app that keeps using an old refresh token fails here as it
//!   would in production. Access tokens last an hour, refresh tokens two weeks.
//! * Scopes [`SCOPES`]: `openid`, `email` and `offline_access`. glewlwyd issues a
//!   refresh token with every code exchange whether or not `offline_access` is asked
//!   for; the scope exists so that apps asking for it, as they must with some
//!   providers, are not refused.
//! * One public client, [`CLIENT_ID`] (`heron`, no secret), allowed `code` and
//!   `refresh_token`.
//! * The stack's users, with the same addresses and passwords as in Dovecot, in
//!   glewlwyd's own user database: the default users at start, and each user
//!   [`crate::Stack::add_user`] creates ([`Idp::add_user`]). A user created before the
//!   stack last restarted is in Dovecot but no longer here: create users per test.
//!
//! # For tests
//!
//! [`crate::Stack::idp`] gives the endpoints, the client id and the CA to trust. A test
//! of the app lets the app build the authorization URL and exchange the code, and
//! plays the user with [`Idp::browser_sign_in`]. A test that only needs the provider's
//! tokens calls [`Idp::sign_in`]. `heron-harness idp` prints the same for a person.
//!
//! # How Dovecot accepts its tokens
//!
//! Not by local JWT validation: glewlwyd marks its access tokens `typ: at+jwt`
//! (RFC 9068), and Debian 12's Dovecot 2.3.19 refuses any JWT whose `typ` is not `JWT`
//! ("Local validation failed: Cannot find 'typ' field", checked with two tokens that
//! differ in `typ` only). Instead Dovecot asks glewlwyd: a second oauth2 passdb, after
//! the local one, whose `tokeninfo_url` is the userinfo endpoint, with the login name
//! taken from the `email` claim: the way Dovecot is set up for a provider whose tokens
//! it cannot read itself (Google's, say). The order and the mode matter:
//!
//! * The harness's own tokens ([`crate::oauth`]) are still validated locally first, so
//!   existing tests see the same results and log lines.
//! * With `tokeninfo_url`, a token glewlwyd refuses (401) is a plain authentication
//!   failure. With `introspection_url` (mode `auth`, same endpoint) Dovecot 2.3.19 turns
//!   the same answer into a *temporary* failure ("No username returned"), telling
//!   clients to retry with a token they should throw away; and an internal failure in
//!   any passdb of the chain makes the whole login a temporary failure. Hence also:
//!   glewlwyd runs whenever Dovecot does, as part of the stack.
//! * RFC 7662 introspection is not usable anyway: glewlwyd lets a client introspect
//!   only tokens issued to that same client (its own test suite checks so), and
//!   `heron` is public, without credentials to introspect with.
//! * Dovecot asks glewlwyd at every login, so a token glewlwyd revokes (a replayed
//!   code revokes what the code gave) stops working at once.
//!
//! # Quirks of glewlwyd 2.7.5 met here
//!
//! * Redirect URIs are compared exactly, port included, so RFC 8252's "any port on
//!   the loopback address" is not available. [`Idp::browser_sign_in`] therefore
//!   registers the loopback redirect URI it finds in the authorization URL with the
//!   client before following it (as an admin would), keeping the most recent
//!   [`MAX_LOOPBACK_REDIRECTS`]; a test can also call [`Idp::allow_redirect_uri`].
//!   An app under test may then pick any free port, as it would in production.
//! * The authorization endpoint always sends the browser to the login page first;
//!   the page calls `GET <authorize URL>&g_continue` once the user has signed in and
//!   consented, and only then does glewlwyd redirect with a code.
//! * Consent is given through `PUT /api/auth/grant/<client>`, which requires the
//!   user to hold glewlwyd's `g_profile` scope: every user gets it.
//! * Subjects (`sub`) are random strings glewlwyd assigns per user, not the address.
//! * The web pages (login, consent) are not served: [`Idp::browser_sign_in`] speaks
//!   the same REST API those pages would.
//! * With SQLite, two requests that insert rows at the same moment (two code
//!   exchanges, say) can make one fail with a 500 `server_error` ("FOREIGN KEY
//!   constraint failed" in its log): glewlwyd shares one connection between threads
//!   and reads back the id of the row it inserted. The harness's own requests take
//!   turns across processes (see `Browser`); an app under test asks on its own, so a
//!   clash with another test's requests remains possible, if rare.
//! * Each liveness probe of the stack (a bare TCP connect) logs "MHD - Error: received
//!   handshake message out of context": harmless.
//! * Its discovery document is not exact: it lists the `implicit` grant (off here) but
//!   not `refresh_token`, not `none` among the token endpoint's authentication methods,
//!   and does not announce the `iss` it sends; a client that trusts discovery alone
//!   may think refresh or public clients unsupported.
//! * glewlwyd has no user of its own after a "No configuration" install, so it runs as
//!   root, like the other servers before they drop privileges; it listens on loopback
//!   only and reaches nothing else.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, ServerName};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use crate::User;
use crate::servers::{self, Layout, Ports};
use crate::tls::TlsFiles;

/// The public client the app signs in as.
pub const CLIENT_ID: &str = "heron";
/// The name of glewlwyd's OpenID Connect plugin instance: the last part of the issuer
/// and of every endpoint's path.
pub const PLUGIN: &str = "oidc";
/// The scopes a user can grant the app.
pub const SCOPES: &[&str] = &["openid", "email", "offline_access"];
/// The redirect URI [`Idp::sign_in`] uses; never requested, as nothing listens there.
pub const HARNESS_REDIRECT_URI: &str = "http://127.0.0.1/heron-harness/callback";
/// How many loopback redirect URIs the client keeps registered (see the module doc).
pub const MAX_LOOPBACK_REDIRECTS: usize = 64;

/// glewlwyd's own scopes a user needs: `g_profile` lets the user consent.
const PROFILE_SCOPE: &str = "g_profile";
/// The schema the Debian package ships for SQLite, including the `admin` user.
const SCHEMA_SQL: &str = "/usr/share/dbconfig-common/data/glewlwyd/install/sqlite3";
/// The administrator the schema creates, and the password it gives it.
const ADMIN_USER: &str = "admin";
const SCHEMA_ADMIN_PASSWORD: &str = "password";
/// glewlwyd's session cookie (its `session_key` setting).
const SESSION_COOKIE: &str = "GLEWLWYD2_SESSION_ID";
const IO_TIMEOUT: Duration = Duration::from_secs(30);

/// The URL Dovecot asks whether a token is good and whose it is (see the module doc).
pub fn userinfo_url(ports: &Ports) -> String {
    format!("{}/userinfo", issuer_url(ports.idp))
}

fn base_url(port: u16) -> String {
    format!("https://127.0.0.1:{port}")
}

fn issuer_url(port: u16) -> String {
    format!("{}/api/{PLUGIN}", base_url(port))
}

fn dir(layout: &Layout) -> PathBuf {
    layout.root.join("idp")
}

fn conf_path(layout: &Layout) -> PathBuf {
    dir(layout).join("glewlwyd.conf")
}

/// Writes glewlwyd's configuration and a fresh database, and makes the signing key
/// unless the stack directory has one.
pub fn write_config(layout: &Layout, ports: &Ports, tls: &TlsFiles) -> Result<()> {
    let dir = dir(layout);
    std::fs::create_dir_all(&dir).with_context(|| format!("Cannot create {}", dir.display()))?;
    ensure_signing_key(layout)?;
    let db = dir.join("glewlwyd.db");
    // Fresh at each start: the stack's users are added again (see `provision`), and a
    // configuration change reaches the database without any migration.
    for stale in [
        db.clone(),
        dir.join("glewlwyd.db-journal"),
        dir.join("glewlwyd.db-wal"),
        dir.join("glewlwyd.db-shm"),
    ] {
        match std::fs::remove_file(&stale) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("Cannot remove {}", stale.display())),
        }
    }
    if !Path::new(SCHEMA_SQL).exists() {
        bail!("{SCHEMA_SQL} is missing: install Debian's glewlwyd (scripts/install-deps.sh)");
    }
    servers::run_checked(
        // Write-ahead logging, kept in the file: Dovecot's token checks read while a
        // sign-in writes. With the default rollback journal glewlwyd answered one of
        // two overlapping requests with a 500 (a CI run failed on it).
        Command::new("sqlite3")
            .arg(&db)
            .arg(format!(".read {SCHEMA_SQL}"))
            .arg("PRAGMA journal_mode=WAL;"),
        &layout.log("glewlwyd-db"),
        "sqlite3",
    )?;
    let conf = format!(
        r#"# Heron test stack: glewlwyd. Generated by heron-harness; edits are overwritten.
port={port}
bind_address="127.0.0.1"
external_url="{base}"
api_prefix="api"
login_url="login.html"
log_mode="file"
# DEBUG says why a request was refused (a redirect URI, a PKCE verifier).
log_level="DEBUG"
log_file="{log}"
cookie_secure=1
session_key="{cookie}"
admin_scope="g_admin"
profile_scope="{profile}"
user_module_path="/usr/lib/glewlwyd/user"
client_module_path="/usr/lib/glewlwyd/client"
user_auth_scheme_module_path="/usr/lib/glewlwyd/scheme"
plugin_module_path="/usr/lib/glewlwyd/plugin"
use_secure_connection=true
secure_connection_key_file="{key}"
secure_connection_pem_file="{cert}"
hash_algorithm="SHA512"
database =
{{
  type = "sqlite3"
  path = "{db}"
}};
"#,
        port = ports.idp,
        base = base_url(ports.idp),
        log = layout.log("glewlwyd").display(),
        cookie = SESSION_COOKIE,
        profile = PROFILE_SCOPE,
        key = tls.key_pem.display(),
        cert = tls.cert_pem.display(),
        db = db.display(),
    );
    std::fs::write(conf_path(layout), conf)?;
    Ok(())
}

/// The RS256 signing key (PKCS#8 PEM) and its public half, made once per stack
/// directory like the TLS files.
fn ensure_signing_key(layout: &Layout) -> Result<(PathBuf, PathBuf)> {
    let dir = dir(layout);
    let key = dir.join("signing-key.pem");
    let public = dir.join("signing-key.pub.pem");
    if key.exists() && public.exists() {
        return Ok((key, public));
    }
    let private_pem = command_output(
        Command::new("openssl").args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
        ]),
        None,
        "openssl genpkey",
    )?;
    let public_pem = command_output(
        Command::new("openssl").args(["pkey", "-pubout"]),
        Some(&private_pem),
        "openssl pkey",
    )?;
    crate::tls::write_private(&key, &private_pem)?;
    std::fs::write(&public, public_pem)?;
    Ok((key, public))
}

fn command_output(command: &mut Command, stdin: Option<&[u8]>, what: &str) -> Result<Vec<u8>> {
    let mut child = command
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("Cannot run {what} (is Debian's openssl installed?)"))?;
    if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(input)?;
    }
    let out = child.wait_with_output()?;
    if !out.status.success() {
        bail!(
            "{what} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(out.stdout)
}

/// Starts glewlwyd in the background (it has no daemon mode) and returns its pid.
pub fn start(layout: &Layout) -> Result<u32> {
    // The shell starts it in the background and exits, so glewlwyd is re-parented and
    // outlives the caller, like the daemons. Its command line names the config file in
    // the stack directory, which is how the stack recognises its process later.
    let output = Command::new("sh")
        .arg("-c")
        .arg(r#""$0" --config-file="$1" >>"$2" 2>&1 </dev/null & echo $!"#)
        .arg("/usr/bin/glewlwyd")
        .arg(conf_path(layout))
        .arg(layout.log("glewlwyd"))
        .stdin(Stdio::null())
        .output()
        .context("Cannot start glewlwyd")?;
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .context("glewlwyd's pid was not printed")
}

/// Sets a freshly started glewlwyd up (see the module doc) and adds `users`.
pub fn provision(idp: &Idp, layout: &Layout, users: &[User]) -> Result<()> {
    let (key, public) = ensure_signing_key(layout)?;
    let mut admin = idp.browser();
    admin
        .sign_in(ADMIN_USER, SCHEMA_ADMIN_PASSWORD)
        .context("Cannot sign in to a fresh glewlwyd as its administrator")?;

    let password = random_token(24)?;
    admin.json_expect(
        "PUT",
        &format!("/api/user/{ADMIN_USER}"),
        &json!({
            "name": "Heron test stack administrator",
            "password": password,
            "scope": ["g_admin", PROFILE_SCOPE],
            "enabled": true,
        }),
        "replace the administrator's password",
    )?;
    crate::tls::write_private(&idp.admin_password_file, password.as_bytes())?;

    for (name, display, description) in [
        (
            "email",
            "E-mail address",
            "Your e-mail address, in the ID token",
        ),
        (
            "offline_access",
            "Stay signed in",
            "Let the app refresh its access without asking you again",
        ),
    ] {
        admin.json_expect(
            "POST",
            "/api/scope/",
            &json!({
                "name": name,
                "display_name": display,
                "description": description,
                "password_required": true,
                "password_max_age": 0,
                "scheme": {},
            }),
            &format!("add the scope {name}"),
        )?;
    }

    admin.json_expect(
        "POST",
        "/api/mod/plugin/",
        &json!({
            "module": "oidc",
            "name": PLUGIN,
            "display_name": "Heron test stack",
            "enabled": true,
            "parameters": plugin_parameters(&idp.issuer(), &read_text(&key)?, &read_text(&public)?),
        }),
        "add the OpenID Connect plugin",
    )?;

    admin.json_expect(
        "POST",
        "/api/client/",
        &json!({
            "client_id": CLIENT_ID,
            "name": "Heron",
            "description": "Heron desktop mail: a public native client (RFC 8252)",
            "enabled": true,
            "confidential": false,
            "redirect_uri": [],
            "authorization_type": ["code", "refresh_token"],
            "scope": [],
        }),
        "add the client heron",
    )?;

    for user in users {
        add_user_as(&mut admin, user)?;
    }
    Ok(())
}

/// The OpenID Connect plugin's settings (the names are those of glewlwyd's admin page).
fn plugin_parameters(issuer: &str, key_pem: &str, public_pem: &str) -> Value {
    let mut parameters = json!({
        "iss": issuer,
        "jwt-type": "rsa",
        "jwt-key-size": "256",
        "key": key_pem,
        "cert": public_pem,
        "jwks-show": true,
        "access-token-duration": 3600,
        "refresh-token-duration": 1_209_600,
        "code-duration": 600,
        "refresh-token-rolling": true,
        "refresh-token-one-use": "always",
        "subject-type": "public",
        "oauth-as-iss-id": true,
        "allowed-scope": SCOPES,
        "scope": [],
        "additional-parameters": [],
        "claims": [],
        "name-claim": "on-demand",
        "email-claim": "mandatory",
        "scope-claim": "no",
        "address-claim": {
            "type": "no", "formatted": "", "street_address": "", "locality": "",
            "region": "", "postal_code": "", "country": "", "mandatory": false,
        },
    });
    let grants = json!({
        "allow-non-oidc": false,
        "auth-type-code-enabled": true,
        "auth-type-code-revoke-replayed": true,
        "auth-type-token-enabled": false,
        "auth-type-id-token-enabled": true,
        "auth-type-none-enabled": false,
        "auth-type-password-enabled": false,
        "auth-type-client-enabled": false,
        "auth-type-device-enabled": false,
        "auth-type-refresh-enabled": true,
        "pkce-allowed": true,
        "pkce-method-plain-allowed": false,
        "pkce-required": false,
        "pkce-required-public-client": true,
        "pkce-scopes": [],
        "request-parameter-allow": false,
        "introspection-revocation-allowed": false,
        "register-client-allowed": false,
        "session-management-allowed": false,
        "encrypt-out-token-allow": false,
    });
    if let (Some(all), Value::Object(more)) = (parameters.as_object_mut(), grants) {
        all.extend(more);
    }
    parameters
}

fn read_text(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("Cannot read {}", path.display()))
}

fn random_token(bytes: usize) -> Result<String> {
    let mut raw = vec![0u8; bytes];
    getrandom::fill(&mut raw).map_err(|e| anyhow::anyhow!("Cannot draw random bytes: {e}"))?;
    Ok(URL_SAFE_NO_PAD.encode(raw))
}

fn add_user_as(admin: &mut Browser, user: &User) -> Result<()> {
    let local = user.address.split('@').next().unwrap_or(&user.address);
    let mut scopes = vec![PROFILE_SCOPE];
    scopes.extend_from_slice(SCOPES);
    let body = json!({
        "username": user.address,
        "password": user.password,
        "name": local,
        "email": user.address,
        "enabled": true,
        "scope": scopes,
    });
    let added = admin.request_json("POST", "/api/user/", &body)?;
    if added.status == 200 {
        return Ok(());
    }
    // Already there (a second add, or a user kept across calls): make it match.
    if added.status == 400 && added.text().contains("already exist") {
        let path = format!("/api/user/{}", percent_encode(&user.address));
        let updated = admin.request_json("PUT", &path, &body)?;
        if updated.status == 200 {
            return Ok(());
        }
        bail!(
            "glewlwyd did not update the user {} ({}): {}",
            user.address,
            updated.status,
            updated.text()
        );
    }
    bail!(
        "glewlwyd did not add the user {} ({}): {}",
        user.address,
        added.status,
        added.text()
    )
}

/// What a token endpoint answered (RFC 6749 section 5.1, plus the ID token).
#[derive(Clone, Debug, Deserialize)]
pub struct TokenResponse {
    /// The access token: what IMAP and SMTP take over XOAUTH2 or OAUTHBEARER.
    pub access_token: String,
    /// `bearer`.
    pub token_type: String,
    /// Seconds the access token is valid for.
    #[serde(default)]
    pub expires_in: u64,
    /// The refresh token (a new one at every refresh: see the module doc).
    #[serde(default)]
    pub refresh_token: Option<String>,
    /// The OpenID Connect ID token.
    #[serde(default)]
    pub id_token: Option<String>,
    /// The scopes granted, space-separated.
    #[serde(default)]
    pub scope: Option<String>,
}

/// The stack's identity provider, for tests: its endpoints, a browser that signs a
/// user in, and the client side of the token endpoint.
#[derive(Clone, Debug)]
pub struct Idp {
    port: u16,
    ca_pem: PathBuf,
    admin_password_file: PathBuf,
    redirect_lock: PathBuf,
    request_lock: PathBuf,
    log: PathBuf,
}

impl Idp {
    /// The provider of the stack whose files are laid out as `layout`.
    pub fn new(layout: &Layout, ports: &Ports, ca_pem: &Path) -> Self {
        let dir = dir(layout);
        Self {
            port: ports.idp,
            ca_pem: ca_pem.to_path_buf(),
            admin_password_file: dir.join("admin-password"),
            redirect_lock: dir.join("redirects.lock"),
            request_lock: dir.join("requests.lock"),
            log: layout.log("glewlwyd"),
        }
    }

    /// The issuer (`iss` of every token, and what discovery is relative to).
    pub fn issuer(&self) -> String {
        issuer_url(self.port)
    }

    /// The OpenID Connect discovery document.
    pub fn discovery_url(&self) -> String {
        format!("{}/.well-known/openid-configuration", self.issuer())
    }

    /// The authorization endpoint, where the browser goes.
    pub fn authorization_endpoint(&self) -> String {
        format!("{}/auth", self.issuer())
    }

    /// The token endpoint, where the app exchanges codes and refresh tokens.
    pub fn token_endpoint(&self) -> String {
        format!("{}/token", self.issuer())
    }

    /// The userinfo endpoint (Dovecot asks it about tokens).
    pub fn userinfo_endpoint(&self) -> String {
        format!("{}/userinfo", self.issuer())
    }

    /// The public keys that sign ID and access tokens.
    pub fn jwks_uri(&self) -> String {
        format!("{}/jwks", self.issuer())
    }

    /// The client id the app uses ([`CLIENT_ID`]); the client is public, no secret.
    pub fn client_id(&self) -> &'static str {
        CLIENT_ID
    }

    /// The CA certificate to trust for the provider's HTTPS (the stack's CA).
    pub fn ca_pem(&self) -> &Path {
        &self.ca_pem
    }

    /// An authorization request as an app builds it: the code flow for [`CLIENT_ID`]
    /// with `redirect_uri`, `state`, the `S256` challenge of `code_verifier`, a nonce,
    /// and all of [`SCOPES`].
    pub fn authorization_url(
        &self,
        redirect_uri: &str,
        state: &str,
        code_verifier: &str,
    ) -> String {
        let challenge = pkce_s256(code_verifier);
        let scope = SCOPES.join(" ");
        let query = [
            ("response_type", "code"),
            ("client_id", CLIENT_ID),
            ("redirect_uri", redirect_uri),
            ("scope", scope.as_str()),
            ("state", state),
            ("nonce", state),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ];
        format!("{}?{}", self.authorization_endpoint(), form_encode(&query))
    }

    /// The provider's tokens for `user`, for tests that need them without the app:
    /// the whole sign-in an app does (fresh verifier and state, [`Idp::browser_sign_in`]
    /// to [`HARNESS_REDIRECT_URI`], the code exchange).
    pub fn sign_in(&self, user: &User) -> Result<TokenResponse> {
        let verifier = random_token(32)?;
        let state = random_token(16)?;
        let url = self.authorization_url(HARNESS_REDIRECT_URI, &state, &verifier);
        let back = self.browser_sign_in(&url, user)?;
        let query = back.split_once('?').map(|(_, q)| q).unwrap_or_default();
        if query_param(query, "state").as_deref() != Some(state.as_str()) {
            bail!("glewlwyd redirected with another state: {back}");
        }
        let code = query_param(query, "code")
            .with_context(|| format!("glewlwyd redirected without a code: {back}"))?;
        self.exchange_code(&code, &verifier, HARNESS_REDIRECT_URI)
    }

    /// Plays the user's browser: follows `authorize_url` (an authorization request to
    /// [`Idp::authorization_endpoint`]), signs `user` in with their password through
    /// glewlwyd's login API, grants the requested scopes to the client, and returns the
    /// URL glewlwyd finally redirects to, without requesting it: for a good request,
    /// the redirect URI with `code`, `state` and `iss`; for a request glewlwyd refuses
    /// after reading it, the redirect URI with `error`.
    ///
    /// A loopback redirect URI (`http://127.0.0.1:<port>/...`, `localhost`, `[::1]`)
    /// in the request is registered with the client first, since glewlwyd compares
    /// redirect URIs exactly (see the module doc); any other must have been registered
    /// with [`Idp::allow_redirect_uri`].
    pub fn browser_sign_in(&self, authorize_url: &str, user: &User) -> Result<String> {
        let endpoint = self.authorization_endpoint();
        let query = authorize_url
            .strip_prefix(&endpoint)
            .and_then(|rest| rest.strip_prefix('?'))
            .with_context(|| {
                format!("{authorize_url} is not an authorization request to {endpoint}")
            })?;
        let redirect_uri = query_param(query, "redirect_uri")
            .context("The authorization request has no redirect_uri")?;
        if is_loopback_http(&redirect_uri) {
            self.allow_redirect_uri(&redirect_uri)?;
        }

        let mut browser = self.browser();
        let first = browser.get(authorize_url)?;
        let login = match first.location() {
            Some(location) if location.starts_with(&redirect_uri) => {
                return Ok(location.to_owned());
            }
            Some(location) if location.starts_with(&self.login_page()) => location.to_owned(),
            _ => bail!(
                "glewlwyd answered the authorization request with {} instead of its login \
                 page (its log, {}, says why)",
                first.describe(),
                self.log.display()
            ),
        };
        let login_query = login.split_once('?').map(|(_, q)| q).unwrap_or_default();
        let callback = query_param(login_query, "callback_url")
            .context("glewlwyd's login page was given no callback_url")?;
        let client_id = query_param(login_query, "client_id").unwrap_or_default();
        let scope = query_param(login_query, "scope").unwrap_or_default();

        browser
            .sign_in(&user.address, &user.password)
            .with_context(|| {
                format!(
                    "glewlwyd did not sign {} in (a user of the stack? create it with \
                     Stack::add_user)",
                    user.address
                )
            })?;
        // What the consent page does when the user clicks "grant".
        let offered = browser.request_json(
            "GET",
            &format!(
                "/api/auth/grant/{}/{}",
                percent_encode(&client_id),
                percent_encode(&scope)
            ),
            &Value::Null,
        )?;
        if offered.status != 200 {
            bail!(
                "glewlwyd would not show the consent for {client_id}: {}",
                offered.describe()
            );
        }
        let offered: Value = serde_json::from_slice(&offered.body)
            .context("glewlwyd's consent answer is not JSON")?;
        let grantable: Vec<&str> = offered["scope"]
            .as_array()
            .map(|scopes| scopes.iter().filter_map(|s| s["name"].as_str()).collect())
            .unwrap_or_default();
        browser.json_expect(
            "PUT",
            &format!("/api/auth/grant/{}", percent_encode(&client_id)),
            &json!({ "scope": grantable.join(" ") }),
            "record the consent",
        )?;

        // What the login page does when the user clicks "continue".
        let separator = if callback.contains('?') { '&' } else { '?' };
        let last = browser.get(&format!("{callback}{separator}g_continue"))?;
        match last.location() {
            Some(location) if location.starts_with(&redirect_uri) => Ok(location.to_owned()),
            _ => bail!(
                "glewlwyd did not redirect {} back to {redirect_uri} after sign-in: {}",
                user.address,
                last.describe()
            ),
        }
    }

    /// Registers `redirect_uri` (exactly as the app will send it) with the client.
    /// Loopback URIs beyond the newest [`MAX_LOOPBACK_REDIRECTS`] are dropped.
    pub fn allow_redirect_uri(&self, redirect_uri: &str) -> Result<()> {
        // Read, change, write: serialised across processes, so that two tests adding
        // their ports at once do not drop each other's.
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&self.redirect_lock)
            .with_context(|| format!("Cannot open {}", self.redirect_lock.display()))?;
        lock.lock()
            .context("Cannot lock the redirect URI registration")?;
        let mut admin = self.admin()?;
        let path = format!("/api/client/{CLIENT_ID}");
        let current = admin.request_json("GET", &path, &Value::Null)?;
        if current.status != 200 {
            bail!("glewlwyd did not show the client: {}", current.describe());
        }
        let mut client: Value =
            serde_json::from_slice(&current.body).context("glewlwyd's client is not JSON")?;
        let mut uris: Vec<String> = client["redirect_uri"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|u| u.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        if uris.iter().any(|u| u == redirect_uri) {
            return Ok(());
        }
        uris.push(redirect_uri.to_owned());
        while uris.iter().filter(|u| is_loopback_http(u)).count() > MAX_LOOPBACK_REDIRECTS {
            if let Some(oldest) = uris.iter().position(|u| is_loopback_http(u)) {
                uris.remove(oldest);
            }
        }
        client["redirect_uri"] = json!(uris);
        if let Some(object) = client.as_object_mut() {
            // Where glewlwyd found the client, not one of its properties.
            object.remove("source");
        }
        admin.json_expect("PUT", &path, &client, "register the redirect URI")
    }

    /// Adds `user` to glewlwyd's users (or makes an existing one match), with the
    /// scopes a user can grant the app.
    pub fn add_user(&self, user: &User) -> Result<()> {
        let mut admin = self.admin()?;
        add_user_as(&mut admin, user)
    }

    /// Plays the client at the token endpoint: exchanges an authorization code
    /// (RFC 6749 section 4.1.3 with the PKCE verifier of RFC 7636).
    pub fn exchange_code(
        &self,
        code: &str,
        code_verifier: &str,
        redirect_uri: &str,
    ) -> Result<TokenResponse> {
        self.token_request(&[
            ("grant_type", "authorization_code"),
            ("client_id", CLIENT_ID),
            ("code", code),
            ("code_verifier", code_verifier),
            ("redirect_uri", redirect_uri),
        ])
    }

    /// Plays the client at the token endpoint: a refresh (RFC 6749 section 6).
    pub fn refresh(&self, refresh_token: &str) -> Result<TokenResponse> {
        self.token_request(&[
            ("grant_type", "refresh_token"),
            ("client_id", CLIENT_ID),
            ("refresh_token", refresh_token),
        ])
    }

    fn token_request(&self, form: &[(&str, &str)]) -> Result<TokenResponse> {
        let body = form_encode(form);
        let response = self.browser().request(
            "POST",
            &self.token_endpoint(),
            Some(("application/x-www-form-urlencoded", body.into_bytes())),
        )?;
        if response.status != 200 {
            bail!("The token endpoint refused: {}", response.describe());
        }
        serde_json::from_slice(&response.body).with_context(|| {
            format!(
                "The token endpoint's answer is not a token response: {}",
                response.text()
            )
        })
    }

    fn login_page(&self) -> String {
        format!("{}/login.html", base_url(self.port))
    }

    fn browser(&self) -> Browser {
        Browser {
            port: self.port,
            ca_pem: self.ca_pem.clone(),
            request_lock: self.request_lock.clone(),
            cookies: BTreeMap::new(),
        }
    }

    /// A browser signed in as glewlwyd's administrator. A fresh sign-in each time:
    /// glewlwyd wants the admin password re-entered every ten minutes anyway.
    fn admin(&self) -> Result<Browser> {
        let password = read_text(&self.admin_password_file)
            .context("The stack's glewlwyd has not been set up (no admin password)")?;
        let mut admin = self.browser();
        admin.sign_in(ADMIN_USER, password.trim())?;
        Ok(admin)
    }
}

/// The PKCE `S256` code challenge of a verifier (RFC 7636 section 4.2).
pub fn pkce_s256(code_verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(code_verifier.as_bytes()))
}

/// Whether `uri` is a plain-HTTP loopback redirect URI of RFC 8252 section 7.3.
fn is_loopback_http(uri: &str) -> bool {
    let Some(rest) = uri.strip_prefix("http://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = match authority.strip_prefix("[::1]") {
        Some(port) => return port.is_empty() || port.starts_with(':'),
        None => authority.split(':').next().unwrap_or_default(),
    };
    host == "127.0.0.1" || host.eq_ignore_ascii_case("localhost")
}

/// The value of `name` in a query string, percent- and `+`-decoded.
fn query_param(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (percent_decode(key) == name).then(|| percent_decode(value))
    })
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&hi), Some(&lo)) if hi.is_ascii_hexdigit() && lo.is_ascii_hexdigit() => {
                text.get(i + 1..i + 3)
                    .and_then(|hex| u8::from_str_radix(hex, 16).ok())
            }
            _ => None,
        };
        match (escaped, bytes[i]) {
            (Some(byte), _) => {
                out.push(byte);
                i += 3;
            }
            (None, b'+') => {
                out.push(b' ');
                i += 1;
            }
            (None, byte) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn form_encode(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Percent-encodes everything but RFC 3986's unreserved characters: right for form
/// values, query values and single path segments alike.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// An HTTP answer.
struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn location(&self) -> Option<&str> {
        if (300..400).contains(&self.status) {
            self.header("location")
        } else {
            None
        }
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn describe(&self) -> String {
        match self.location() {
            Some(location) => format!("{} to {location}", self.status),
            None => format!("{} {}", self.status, self.text()),
        }
    }
}

/// A minimal HTTPS user agent for the provider alone, with a cookie jar: one request
/// per connection (`Connection: close`), redirects returned rather than followed.
///
/// Requests from every process of the harness go one at a time: glewlwyd 2.7.5 shares
/// one SQLite connection between its threads and reads back the id of a row it has
/// just inserted, so two token requests at once can each read the other's id and one
/// fails ("FOREIGN KEY constraint failed", a 500 `server_error` to the client).
struct Browser {
    port: u16,
    ca_pem: PathBuf,
    request_lock: PathBuf,
    cookies: BTreeMap<String, String>,
}

impl Browser {
    /// Signs in through `POST /api/auth` and keeps the session cookie.
    fn sign_in(&mut self, username: &str, password: &str) -> Result<()> {
        self.json_expect(
            "POST",
            "/api/auth",
            &json!({ "username": username, "password": password }),
            &format!("sign {username} in"),
        )
    }

    fn get(&mut self, url: &str) -> Result<Response> {
        self.request("GET", url, None)
    }

    fn request_json(&mut self, method: &str, path: &str, body: &Value) -> Result<Response> {
        let body = if body.is_null() {
            None
        } else {
            Some(("application/json", serde_json::to_vec(body)?))
        };
        self.request(method, path, body)
    }

    /// A JSON request that must answer 200.
    fn json_expect(&mut self, method: &str, path: &str, body: &Value, what: &str) -> Result<()> {
        let response = self.request_json(method, path, body)?;
        if response.status != 200 {
            bail!("glewlwyd did not {what}: {}", response.describe());
        }
        Ok(())
    }

    /// `target` is a path on the provider or a full URL of it.
    fn request(
        &mut self,
        method: &str,
        target: &str,
        body: Option<(&str, Vec<u8>)>,
    ) -> Result<Response> {
        let base = base_url(self.port);
        let path = match target.strip_prefix(&base) {
            Some(path) => path,
            None if target.starts_with('/') => target,
            None => bail!("{target} is not on the stack's identity provider ({base})"),
        };
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\
             Accept: */*\r\nUser-Agent: heron-harness\r\n",
            self.port
        );
        if !self.cookies.is_empty() {
            let jar: Vec<String> = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            head.push_str(&format!("Cookie: {}\r\n", jar.join("; ")));
        }
        let payload = match body {
            Some((content_type, bytes)) => {
                head.push_str(&format!(
                    "Content-Type: {content_type}\r\nContent-Length: {}\r\n",
                    bytes.len()
                ));
                bytes
            }
            None if method == "GET" => Vec::new(),
            None => {
                head.push_str("Content-Length: 0\r\n");
                Vec::new()
            }
        };
        head.push_str("\r\n");

        let serialised = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&self.request_lock)
            .with_context(|| format!("Cannot open {}", self.request_lock.display()))?;
        serialised
            .lock()
            .context("Cannot take the turn to ask glewlwyd")?;
        let mut stream = self.connect()?;
        let mut request = head.into_bytes();
        request.extend_from_slice(&payload);
        stream
            .write_all(&request)
            .and_then(|()| stream.flush())
            .with_context(|| format!("Cannot send {method} {path} to glewlwyd"))?;
        let response = read_response(&mut stream)
            .with_context(|| format!("No answer from glewlwyd to {method} {path}"))?;
        for (name, value) in &response.headers {
            let cookie = value.split(';').next().unwrap_or_default();
            if name.eq_ignore_ascii_case("set-cookie")
                && let Some((key, val)) = cookie.split_once('=')
            {
                self.cookies
                    .insert(key.trim().to_owned(), val.trim().to_owned());
            }
        }
        Ok(response)
    }

    fn connect(&self) -> Result<rustls::StreamOwned<rustls::ClientConnection, TcpStream>> {
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_file_iter(&self.ca_pem)
            .with_context(|| format!("Cannot read the CA {}", self.ca_pem.display()))?
        {
            roots
                .add(cert.context("A bad certificate in the CA file")?)
                .context("The CA certificate is not usable")?;
        }
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .context("No TLS versions")?
        .with_root_certificates(roots)
        .with_no_client_auth();
        let name = ServerName::try_from("127.0.0.1")
            .context("127.0.0.1 is a server name")?
            .to_owned();
        let connection =
            rustls::ClientConnection::new(Arc::new(config), name).context("Cannot set up TLS")?;
        let tcp = TcpStream::connect(("127.0.0.1", self.port))
            .with_context(|| format!("Cannot connect to glewlwyd on 127.0.0.1:{}", self.port))?;
        tcp.set_read_timeout(Some(IO_TIMEOUT))?;
        tcp.set_write_timeout(Some(IO_TIMEOUT))?;
        Ok(rustls::StreamOwned::new(connection, tcp))
    }
}

/// Reads one HTTP/1.1 response: the body by `Content-Length`, chunks, or up to the end
/// of the connection. A peer that closes without TLS close_notify still gives a whole
/// response when its length is known.
fn read_response(stream: &mut impl std::io::Read) -> Result<Response> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        let n = match stream.read(&mut chunk) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => 0,
            Err(e) => return Err(e.into()),
        };
        if n == 0 {
            return parse_response(&buffer, true)?
                .context("The connection closed in the middle of a response");
        }
        buffer.extend_from_slice(&chunk[..n]);
        if let Some(response) = parse_response(&buffer, false)? {
            return Ok(response);
        }
    }
}

/// The response in `bytes` if it is complete (`at_end`: nothing more will come).
fn parse_response(bytes: &[u8], at_end: bool) -> Result<Option<Response>> {
    let Some(head_end) = bytes.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Ok(None);
    };
    let head = String::from_utf8_lossy(&bytes[..head_end]);
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status: u16 = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .with_context(|| format!("Not an HTTP status line: {status_line:?}"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let rest = &bytes[head_end + 4..];
    let find = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    let body = if let Some(length) = find("content-length") {
        let length: usize = length.parse().context("A bad Content-Length")?;
        if rest.len() < length {
            return Ok(None);
        }
        rest[..length].to_vec()
    } else if find("transfer-encoding").is_some_and(|t| t.eq_ignore_ascii_case("chunked")) {
        match dechunk(rest)? {
            Some(body) => body,
            None => return Ok(None),
        }
    } else if at_end {
        rest.to_vec()
    } else {
        return Ok(None);
    };
    Ok(Some(Response {
        status,
        headers,
        body,
    }))
}

/// A chunked body, or `None` while its last chunk has not arrived.
fn dechunk(mut bytes: &[u8]) -> Result<Option<Vec<u8>>> {
    let mut body = Vec::new();
    loop {
        let Some(line_end) = bytes.windows(2).position(|w| w == b"\r\n") else {
            return Ok(None);
        };
        let size_text = String::from_utf8_lossy(&bytes[..line_end]);
        let size_text = size_text.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16)
            .with_context(|| format!("A bad chunk size {size_text:?}"))?;
        let data = &bytes[line_end + 2..];
        if size == 0 {
            return Ok(Some(body));
        }
        if data.len() < size + 2 {
            return Ok(None);
        }
        body.extend_from_slice(&data[..size]);
        bytes = &data[size + 2..];
    }
}

#[cfg(test)]
mod tests {
    // Test code: a failed unwrap is a failed test.
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// RFC 7636, appendix B.
    #[test]
    fn the_s256_challenge_matches_rfc_7636() {
        assert_eq!(
            pkce_s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn loopback_redirects_are_recognised_with_any_port() {
        for uri in [
            "http://127.0.0.1:49152/callback",
            "http://127.0.0.1/",
            "http://localhost:8080/oauth?x=1",
            "http://[::1]:1234/cb",
        ] {
            assert!(is_loopback_http(uri), "{uri}");
        }
        for uri in [
            "https://127.0.0.1:49152/callback",
            "http://127.0.0.1.example.test/cb",
            "http://example.test/cb",
            "com.example.heron:/callback",
        ] {
            assert!(!is_loopback_http(uri), "{uri}");
        }
    }

    #[test]
    fn query_values_are_decoded_and_values_encoded() {
        let query = "client_id=heron&scope=openid+email&redirect_uri=http%3A%2F%2F127.0.0.1%3A5%2Fcb&g_continue";
        assert_eq!(query_param(query, "scope").unwrap(), "openid email");
        assert_eq!(
            query_param(query, "redirect_uri").unwrap(),
            "http://127.0.0.1:5/cb"
        );
        assert_eq!(query_param(query, "g_continue").unwrap(), "");
        assert_eq!(query_param(query, "state"), None);
        assert_eq!(query_param("a=%zz%4", "a").unwrap(), "%zz%4");
        assert_eq!(
            percent_encode("alice@example.test openid/~"),
            "alice%40example.test%20openid%2F~"
        );
    }

    #[test]
    fn responses_are_read_by_length_by_chunks_and_to_the_end() {
        let by_length = b"HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:9/cb?code=x\r\nContent-Length: 2\r\n\r\nok";
        let response = parse_response(by_length, false).unwrap().unwrap();
        assert_eq!(response.status, 302);
        assert_eq!(response.location(), Some("http://127.0.0.1:9/cb?code=x"));
        assert_eq!(response.body, b"ok");
        assert!(
            parse_response(&by_length[..by_length.len() - 1], false)
                .unwrap()
                .is_none()
        );

        let chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n";
        assert_eq!(
            parse_response(chunked, false).unwrap().unwrap().body,
            b"abcde"
        );
        assert!(parse_response(&chunked[..40], false).unwrap().is_none());

        let to_end = b"HTTP/1.1 200 OK\r\n\r\nall of it";
        assert!(parse_response(to_end, false).unwrap().is_none());
        assert_eq!(
            parse_response(to_end, true).unwrap().unwrap().body,
            b"all of it"
        );
    }
}
