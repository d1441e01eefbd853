//! OAuth 2.0 bearer tokens the stack's Dovecot accepts, without any token server.
//!
//! Dovecot's oauth2 passdb validates JWTs itself ("local validation"): it reads the
//! signing key from a dict keyed by the token's `azp` (absent: `default`), algorithm and
//! `kid`, checks the signature, `exp`, `iat`, `nbf`, the issuer and the audience, and
//! then that `sub` names the account logging in. The stack keeps one HS256 key, made
//! once per stack directory like the TLS files, and tests mint tokens with it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac as _};
use sha2::Sha256;

/// The `kid` of the stack's signing key; Dovecot finds the key by it.
pub const KEY_ID: &str = "heron-harness-1";
/// The `iss` Dovecot accepts (its `issuers` setting).
pub const ISSUER: &str = "https://auth.example.test";
/// The `aud` Dovecot requires (its `client_id` setting).
pub const AUDIENCE: &str = "heron";
/// The signing algorithm; the key's place in the dict depends on it.
const ALGORITHM: &str = "HS256";
/// Bytes of the shared secret: the size of the HMAC-SHA256 block.
const KEY_LEN: usize = 64;

/// Where Dovecot's key dict keeps the stack's key: the dict's root (its `prefix`) and
/// the file at `default/HS256/<kid>` under it, holding the key in standard base64.
#[derive(Clone, Debug)]
pub struct KeyFiles {
    /// The root of the `fs:posix` dict.
    pub dict_root: PathBuf,
    /// The key file.
    pub key: PathBuf,
}

/// The key files in the stack directory's `oauth2/` folder, whether or not they exist.
pub fn files_in(dir: &Path) -> KeyFiles {
    let dict_root = dir.join("keys");
    // Tokens carry no `azp`, so Dovecot looks in `default`.
    let key = dict_root.join("default").join(ALGORITHM).join(KEY_ID);
    KeyFiles { dict_root, key }
}

/// Creates the stack's signing key in `dir` unless it exists, readable by Dovecot's
/// auth process (`owner`) and root only.
pub fn ensure_key(dir: &Path, owner: (u32, u32)) -> Result<KeyFiles> {
    let files = files_in(dir);
    if !files.key.exists() {
        let parent = files.key.parent().context("The key file has a folder")?;
        std::fs::create_dir_all(parent)
            .with_context(|| format!("Cannot create {}", parent.display()))?;
        let mut key = [0u8; KEY_LEN];
        getrandom::fill(&mut key)
            .map_err(|e| anyhow::anyhow!("Cannot draw a random OAuth signing key: {e}"))?;
        write_key_file(&files.key, &key, owner)?;
    }
    Ok(files)
}

fn write_key_file(path: &Path, key: &[u8], (uid, gid): (u32, u32)) -> Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    // Written under another name and renamed, so Dovecot never reads half a key.
    let tmp = path.with_extension("tmp");
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .with_context(|| format!("Cannot write {}", tmp.display()))?;
    // No line break: the whole file is the value Dovecot base64-decodes.
    file.write_all(STANDARD.encode(key).as_bytes())?;
    std::os::unix::fs::chown(&tmp, Some(uid), Some(gid))
        .with_context(|| format!("Cannot give {} to Dovecot", tmp.display()))?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

/// Reads the stack's signing key.
pub fn read_key(files: &KeyFiles) -> Result<Vec<u8>> {
    let text = std::fs::read_to_string(&files.key)
        .with_context(|| format!("Cannot read the OAuth signing key {}", files.key.display()))?;
    let key = STANDARD
        .decode(text.trim())
        .with_context(|| format!("{} is not base64", files.key.display()))?;
    if key.is_empty() {
        bail!("The OAuth signing key {} is empty", files.key.display());
    }
    Ok(key)
}

/// What a token says: whom it is for and when it is valid. Issuer and audience are the
/// ones the stack accepts unless a test changes them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenClaims {
    /// `sub`: the account, which Dovecot compares with the login name.
    pub subject: String,
    /// `iss`.
    pub issuer: String,
    /// `aud`.
    pub audience: String,
    /// `iat`.
    pub issued_at: SystemTime,
    /// `exp`.
    pub expires_at: SystemTime,
    /// Further claims, as real providers add (names, roles, tenant and object ids):
    /// Dovecot ignores them, but they make a token as long as a real one.
    pub extra: BTreeMap<String, String>,
}

impl TokenClaims {
    /// A token for `subject`, issued at `issued_at` and valid for `lifetime` after it.
    pub fn new(subject: &str, issued_at: SystemTime, lifetime: Duration) -> Self {
        Self {
            subject: subject.to_owned(),
            issuer: ISSUER.to_owned(),
            audience: AUDIENCE.to_owned(),
            issued_at,
            expires_at: issued_at + lifetime,
            extra: BTreeMap::new(),
        }
    }
}

/// A compact JWS (header.claims.signature) of `claims`, signed with HMAC-SHA256 and
/// `key` under the stack's key id. Any key can be given, so that tests can present a
/// well-formed token signed with the wrong one.
pub fn sign(key: &[u8], claims: &TokenClaims) -> Result<String> {
    let header = serde_json::json!({"alg": ALGORITHM, "typ": "JWT", "kid": KEY_ID});
    let mut body = serde_json::json!({
        "iss": claims.issuer,
        "aud": claims.audience,
        "sub": claims.subject,
        "iat": unix_seconds(claims.issued_at)?,
        "exp": unix_seconds(claims.expires_at)?,
    });
    for (name, value) in &claims.extra {
        // The checked claims stay what the fields say.
        if let Some(object) = body.as_object_mut()
            && !object.contains_key(name)
        {
            object.insert(name.clone(), serde_json::Value::String(value.clone()));
        }
    }
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header)?),
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&body)?)
    );
    let signature = hs256(key, &signing_input)?;
    Ok(format!("{signing_input}.{signature}"))
}

/// The base64url HMAC-SHA256 of the signing input (RFC 7515, section 3.1).
fn hs256(key: &[u8], signing_input: &str) -> Result<String> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key)
        .map_err(|e| anyhow::anyhow!("Unusable HMAC key: {e}"))?;
    mac.update(signing_input.as_bytes());
    Ok(URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
}

fn unix_seconds(time: SystemTime) -> Result<u64> {
    Ok(time
        .duration_since(UNIX_EPOCH)
        .context("A token time before 1970")?
        .as_secs())
}

#[cfg(test)]
mod tests {
    // Test code: a failed unwrap is a failed test.
    #![allow(clippy::unwrap_used)]

    use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};

    use super::*;

    /// The HMAC example of RFC 7515, appendix A.1: the same key and signing input must
    /// give the published signature.
    #[test]
    fn hs256_matches_the_rfc_7515_example() {
        let key = URL_SAFE_NO_PAD
            .decode(
                "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow",
            )
            .unwrap();
        let input = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9\
                     .eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFt\
                     cGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
        assert_eq!(
            hs256(&key, input).unwrap(),
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
        );
    }

    #[test]
    fn a_token_carries_what_dovecot_checks() {
        let issued = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let claims = TokenClaims::new("alice@example.test", issued, Duration::from_secs(600));
        let token = sign(b"secret", &claims).unwrap();
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        let header: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
        assert_eq!(
            header,
            serde_json::json!({"alg": "HS256", "typ": "JWT", "kid": KEY_ID})
        );
        let body: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({
                "iss": ISSUER,
                "aud": AUDIENCE,
                "sub": "alice@example.test",
                "iat": 1_800_000_000u64,
                "exp": 1_800_000_600u64,
            })
        );
        let input = format!("{}.{}", parts[0], parts[1]);
        assert_eq!(parts[2], hs256(b"secret", &input).unwrap());
        assert_ne!(parts[2], hs256(b"other", &input).unwrap());
    }

    #[test]
    fn the_key_is_made_once_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let me = (
            std::fs::metadata(dir.path()).unwrap().uid(),
            std::fs::metadata(dir.path()).unwrap().gid(),
        );
        let files = ensure_key(dir.path(), me).unwrap();
        assert!(files.key.ends_with("keys/default/HS256/heron-harness-1"));
        let key = read_key(&files).unwrap();
        assert_eq!(key.len(), KEY_LEN);
        let text = std::fs::read_to_string(&files.key).unwrap();
        assert!(!text.ends_with('\n'), "Dovecot decodes the whole file");
        ensure_key(dir.path(), me).unwrap();
        assert_eq!(read_key(&files).unwrap(), key, "an existing key is kept");
        let mode = std::fs::metadata(&files.key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
