//! Accounts the user added on this computer (unmanaged installs, or where the admin
//! allows it), kept in `accounts.json` in the data directory.
//!
//! The file has the policy's own `accounts` shape, so it is validated by the same code
//! with the same positional errors, but it may hold nothing else: a user cannot give
//! themselves settings or a privacy notice through it. It never holds a password (the
//! keyring does).
//!
//! User accounts join the effective configuration after the managed files, and only
//! while the policy allows them: adding must be permitted (with `auto`, only while no
//! account is managed), the address must be in `lifecycle.allowed_domains` when that is
//! set, the id must not be a managed account's, and the account must not be one the
//! admin removes. One that does not qualify is set aside with the reason, not deleted,
//! so that `heronctl policy show` and the UI can say why it is not syncing.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use heron_model::AccountId;
use serde::Serialize;

use crate::schema::AccountConfig;
use crate::{EffectivePolicy, PolicyDocument, PolicyError, Source, read_if_present};

/// The file, in the data directory, that holds the user's own accounts.
pub const USER_ACCOUNTS_FILE: &str = "accounts.json";

/// The accounts the user added, as saved.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserAccounts(pub Vec<AccountConfig>);

impl UserAccounts {
    /// Reads the file; a missing file is no accounts. Anything but `accounts` in it, a
    /// password in it, or an account that does not validate is an error with its place.
    pub fn load(path: &Path) -> Result<Self, PolicyError> {
        let Some(text) = read_if_present(path)? else {
            return Ok(Self::default());
        };
        Self::load_text(&text, path)
    }

    /// The accounts in `text`, checked as [`UserAccounts::load`] checks a file.
    fn load_text(text: &str, path: &Path) -> Result<Self, PolicyError> {
        let doc = PolicyDocument::parse(text, path)?;
        let only_accounts = doc.settings.is_empty() && doc.privacy_notice.is_none();
        if !only_accounts {
            return Err(PolicyError::UserAccounts {
                path: path.to_path_buf(),
                problem: "it may hold only \"accounts\"; settings and notices come from the \
                          admin's policy or the user settings file"
                    .to_owned(),
            });
        }
        if let Some(a) = doc.accounts.iter().find(|a| a.password.is_some()) {
            return Err(PolicyError::UserAccounts {
                path: path.to_path_buf(),
                problem: format!(
                    "the account {} has a password in the file; passwords belong in the OS keyring",
                    a.id
                ),
            });
        }
        Ok(Self(doc.accounts))
    }

    /// Writes the file atomically (a temporary file renamed over it), readable only by
    /// the user.
    pub fn save(&self, path: &Path) -> Result<(), PolicyError> {
        let write_error = |source| PolicyError::Write {
            path: path.to_path_buf(),
            source,
        };
        let accounts: Vec<AccountConfig> = self
            .0
            .iter()
            .map(|a| AccountConfig {
                password: None,
                ..a.clone()
            })
            .collect();
        let text = serde_json::to_string_pretty(&serde_json::json!({ "accounts": accounts }))
            .map_err(|e| write_error(std::io::Error::other(e)))?;
        // Never write a file the next start could not read (a duplicate id, a `${` in a
        // name the template check rejects): the old file stays instead.
        Self::load_text(&text, path)?;
        crate::write_atomically(path, &(text + "\n")).map_err(write_error)
    }

    /// An id for a new account of `email` that no account in `taken` has: `user-` and
    /// the address's letters and digits, numbered when needed.
    pub fn new_id(email: &str, taken: &BTreeSet<AccountId>) -> AccountId {
        let mut base: String = email
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .take(48)
            .collect();
        if base.is_empty() {
            base.push_str("account");
        }
        let mut n = 1u32;
        loop {
            let candidate = match n {
                1 => format!("user-{base}"),
                n => format!("user-{base}-{n}"),
            };
            // Always valid: `base` holds only characters ids allow and is short enough.
            if let Ok(id) = AccountId::new(candidate)
                && !taken.contains(&id)
            {
                return id;
            }
            n += 1;
        }
    }
}

/// Why an account the user added is not in use.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SetAside {
    /// Its id.
    pub id: AccountId,
    /// Its address.
    pub email: String,
    /// Why, in words for the user.
    pub reason: String,
}

/// Whether `email`'s domain is one of `allowed` (any, when `allowed` is empty). A listed
/// domain also allows its subdomains.
pub fn domain_allowed(email: &str, allowed: &[String]) -> bool {
    if allowed.is_empty() {
        return true;
    }
    let Some((_, domain)) = email.rsplit_once('@') else {
        return false;
    };
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    allowed.iter().any(|a| {
        let a = a
            .trim_start_matches("*.")
            .trim_end_matches('.')
            .to_ascii_lowercase();
        domain == a || domain.ends_with(&format!(".{a}"))
    })
}

impl EffectivePolicy {
    /// Adds the user's accounts that the policy allows (see the module's notes); the
    /// others are listed in [`EffectivePolicy::set_aside`].
    pub fn with_user_accounts(mut self, user: &UserAccounts, path: &Path) -> Self {
        let may_add = self.user_may_add_accounts();
        for account in &user.0 {
            let reason = if self.accounts.iter().any(|a| a.id == account.id) {
                Some("an account your organisation set up has the same id".to_owned())
            } else if self
                .settings
                .lifecycle
                .remove_accounts
                .contains(&account.id)
            {
                Some("your organisation removed it".to_owned())
            } else if !may_add {
                Some("your organisation does not allow accounts added by users".to_owned())
            } else if !domain_allowed(&account.email, &self.settings.lifecycle.allowed_domains) {
                Some(format!(
                    "your organisation allows only accounts of {}",
                    self.settings.lifecycle.allowed_domains.join(", ")
                ))
            } else {
                None
            };
            match reason {
                Some(reason) => self.set_aside.push(SetAside {
                    id: account.id.clone(),
                    email: account.email.clone(),
                    reason,
                }),
                None => {
                    self.accounts.push(account.clone());
                    self.account_sources
                        .insert(account.id.clone(), path.to_path_buf());
                    self.user_accounts.insert(account.id.clone());
                }
            }
        }
        self
    }

    /// Whether `id` is an account the user added (not the admin's).
    pub fn is_user_account(&self, id: &AccountId) -> bool {
        self.user_accounts.contains(id)
    }

    /// Where an account came from: a policy file, or the user.
    pub fn account_source(&self, id: &AccountId) -> Option<Source> {
        if self.is_user_account(id) {
            return Some(Source::User);
        }
        self.account_sources
            .get(id)
            .map(|p: &PathBuf| Source::Policy(p.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{OsUser, UserSettings};

    fn account(id: &str, email: &str) -> AccountConfig {
        serde_json::from_value(serde_json::json!({
            "id": id, "display_name": "A", "email": email,
            "imap": {"host": "imap.example.test", "port": 993, "security": "tls"},
            "smtp": {"host": "smtp.example.test", "port": 465, "security": "tls"}
        }))
        .unwrap()
    }

    fn policy(text: &str) -> EffectivePolicy {
        let docs = if text.is_empty() {
            Vec::new()
        } else {
            vec![PolicyDocument::parse(text, Path::new("p.json")).unwrap()]
        };
        EffectivePolicy::merge(&docs, &UserSettings::default(), &OsUser::default()).unwrap()
    }

    const MANAGED: &str = r#"{"accounts":[{"id":"corp","display_name":"C","email":"c@corp.test",
        "imap":{"host":"i","port":993,"security":"tls"},"smtp":{"host":"s","port":465,"security":"tls"}}]}"#;

    #[test]
    fn user_accounts_round_trip_without_passwords() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(USER_ACCOUNTS_FILE);
        let mut a = account("user-a", "a@example.test");
        a.password = Some(heron_model::Secret::new("never written".to_owned()));
        UserAccounts(vec![a.clone()]).save(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("never written"), "{text}");
        let loaded = UserAccounts::load(&path).unwrap();
        a.password = None;
        assert_eq!(loaded.0, vec![a]);
        assert_eq!(
            UserAccounts::load(&dir.path().join("none.json")).unwrap().0,
            vec![]
        );
    }

    #[test]
    fn user_accounts_file_cannot_carry_settings_or_passwords() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(USER_ACCOUNTS_FILE);
        std::fs::write(&path, r#"{"features": {"remote_content": true}}"#).unwrap();
        let err = UserAccounts::load(&path).unwrap_err().to_string();
        assert!(err.contains("only \"accounts\""), "{err}");
        std::fs::write(
            &path,
            r#"{"accounts":[{"id":"u","display_name":"U","email":"u@x.test","password":"p",
            "imap":{"host":"i","port":993,"security":"tls"},"smtp":{"host":"s","port":465,"security":"tls"}}]}"#,
        )
        .unwrap();
        let err = UserAccounts::load(&path).unwrap_err().to_string();
        assert!(err.contains("OS keyring"), "{err}");
        std::fs::write(&path, r#"{"accounts":[{"id":"u"}]}"#).unwrap();
        let err = UserAccounts::load(&path).unwrap_err().to_string();
        assert!(err.contains("1:"), "positions are given: {err}");
    }

    #[test]
    fn user_accounts_join_an_unmanaged_install_and_do_not_make_it_managed() {
        let p = policy("").with_user_accounts(
            &UserAccounts(vec![account("user-a", "a@example.test")]),
            Path::new("accounts.json"),
        );
        assert_eq!(p.accounts.len(), 1);
        assert!(p.is_user_account(&p.accounts[0].id));
        assert_eq!(p.account_source(&p.accounts[0].id), Some(Source::User));
        assert!(
            p.user_may_add_accounts(),
            "a user account does not lock adding"
        );
        assert!(p.set_aside.is_empty());
    }

    #[test]
    fn user_accounts_are_set_aside_once_an_account_is_managed() {
        let p = policy(MANAGED).with_user_accounts(
            &UserAccounts(vec![account("user-a", "a@example.test")]),
            Path::new("accounts.json"),
        );
        assert_eq!(p.accounts.len(), 1);
        assert_eq!(p.accounts[0].id.as_str(), "corp");
        assert_eq!(p.set_aside.len(), 1);
        assert!(p.set_aside[0].reason.contains("does not allow"));
    }

    #[test]
    fn allowed_domains_and_removals_and_id_clashes_set_user_accounts_aside() {
        let managed_allowing = r#"{"lifecycle":{"user_may_add_accounts":"yes",
            "allowed_domains":["corp.test"],"remove_accounts":["user-gone"]},
            "accounts":[{"id":"corp","display_name":"C","email":"c@corp.test",
            "imap":{"host":"i","port":993,"security":"tls"},"smtp":{"host":"s","port":465,"security":"tls"}}]}"#;
        let p = policy(managed_allowing).with_user_accounts(
            &UserAccounts(vec![
                account("user-ok", "me@eu.corp.test"),
                account("user-other", "me@gmail.test"),
                account("user-gone", "gone@corp.test"),
                account("corp", "c2@corp.test"),
            ]),
            Path::new("accounts.json"),
        );
        let ids: Vec<&str> = p.accounts.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids, ["corp", "user-ok"]);
        let aside: Vec<&str> = p.set_aside.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(aside, ["user-other", "user-gone", "corp"]);
        assert!(p.set_aside[0].reason.contains("corp.test"));
    }

    #[test]
    fn domain_allowed_matches_domains_and_subdomains_only() {
        let allowed = vec!["corp.test".to_owned()];
        assert!(domain_allowed("a@corp.test", &allowed));
        assert!(domain_allowed("a@CORP.test", &allowed));
        assert!(domain_allowed("a@mail.corp.test", &allowed));
        assert!(!domain_allowed("a@evilcorp.test", &allowed));
        assert!(!domain_allowed("a@corp.test.evil", &allowed));
        assert!(!domain_allowed("no-at-sign", &allowed));
        assert!(domain_allowed("anything@x", &[]));
    }

    #[test]
    fn new_ids_are_valid_and_unique() {
        let mut taken = BTreeSet::new();
        let first = UserAccounts::new_id("Ann.Lee@Example.test", &taken);
        assert_eq!(first.as_str(), "user-ann.lee_example.test");
        taken.insert(first);
        let second = UserAccounts::new_id("ann.lee@example.test", &taken);
        assert_eq!(second.as_str(), "user-ann.lee_example.test-2");
        let odd = UserAccounts::new_id("张三@例子.test", &BTreeSet::new());
        assert!(odd.as_str().starts_with("user-"));
    }
}
