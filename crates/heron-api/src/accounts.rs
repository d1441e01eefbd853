//! The account lifecycle the user sees: which accounts there are and where they came
//! from, signing in (the password goes to the keyring only once the server accepted it),
//! adding an account (unmanaged installs, or where the admin allows it) and removing
//! one the user added. The policy decides what is allowed, and every call here checks
//! it again: hiding a button in the UI is not the only guard.

use std::collections::BTreeSet;

use heron_model::{AccountId, Secret};
use heron_policy::user_accounts::{UserAccounts, domain_allowed};
use heron_policy::{AccountConfig, AuthMethod, EffectivePolicy};
use heron_store::Store;
use serde::{Deserialize, Serialize};

use crate::discover::ServerSettings;
use crate::local_data::store_error;
use crate::mail::{credential_name, sync_error};
use crate::transport::{AccountOrigin, AccountSummary};
use crate::{ApiError, ErrorCode, Heron};

/// What the policy lets the user do with accounts now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AccountPermissions {
    /// "Add account" is offered.
    pub may_add: bool,
    /// "Remove" is offered for accounts the user added.
    pub may_remove: bool,
    /// Domains an added account must be in; empty: any.
    pub allowed_domains: Vec<String>,
}

/// An account the user is adding, as the UI confirmed it.
#[derive(Clone, Deserialize)]
pub struct NewAccount {
    /// The user's name as recipients see it; the address's local part when empty.
    #[serde(default)]
    pub display_name: String,
    /// The address.
    pub email: String,
    /// The login name; the address when empty.
    #[serde(default)]
    pub login: String,
    /// The password: tried on both servers, then kept in the keyring only.
    pub password: String,
    /// Incoming mail server.
    pub imap: ServerSettings,
    /// Outgoing mail server.
    pub smtp: ServerSettings,
}

impl std::fmt::Debug for NewAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewAccount")
            .field("email", &self.email)
            .field("login", &self.login)
            .field("imap", &self.imap)
            .field("smtp", &self.smtp)
            .finish_non_exhaustive()
    }
}

fn not_allowed(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::NotAllowed, message)
}

fn permissions(policy: &EffectivePolicy) -> AccountPermissions {
    AccountPermissions {
        may_add: policy.user_may_add_accounts(),
        may_remove: policy.user_may_remove_accounts(),
        allowed_domains: policy.settings.lifecycle.allowed_domains.clone(),
    }
}

/// Checks a server the user typed: a host that parses, a port that is not 0.
fn check_server(which: &str, server: &ServerSettings) -> Result<ServerSettings, ApiError> {
    let host = server.host.trim().to_ascii_lowercase();
    if host.is_empty() || url::Host::parse(&host).is_err() || server.port == 0 {
        return Err(ApiError::new(
            ErrorCode::InvalidValue,
            format!(
                "The {which} server {:?} port {} is not a server address",
                server.host, server.port
            ),
        ));
    }
    Ok(ServerSettings {
        host,
        ..server.clone()
    })
}

impl Heron {
    /// What the user may do with accounts now.
    pub fn account_permissions(&self) -> AccountPermissions {
        self.with_policy(permissions)
    }

    /// The accounts in use with their origin, and whether each still needs the user to
    /// sign in (no password in the policy and none in the keyring).
    pub fn account_list(&self, store: &Store) -> Vec<AccountSummary> {
        let policy = self.policy();
        policy
            .accounts
            .iter()
            .map(|a| {
                let needs_sign_in = a.password.is_none()
                    && !matches!(
                        store.load_account_secret(&a.id, credential_name(a)),
                        Ok(Some(_))
                    );
                AccountSummary::new(a, origin(&policy, &a.id), needs_sign_in)
            })
            .collect()
    }

    /// Checks `password` against the account's IMAP server and, once it is accepted,
    /// keeps it in the keyring; the worker then syncs the account. A refused password
    /// is [`ErrorCode::AuthenticationFailed`] and nothing is kept.
    pub async fn sign_in(
        &self,
        store: &mut Store,
        account: &str,
        password: &str,
    ) -> Result<(), ApiError> {
        self.require_consent()?;
        let policy = self.policy();
        let config = find_account(&policy, account)?;
        if let AuthMethod::Oauth2(_) = config.auth {
            return Err(ApiError::new(
                ErrorCode::InvalidValue,
                format!(
                    "The account {} signs in through your organisation's sign-in page in the \
                     browser, not with a password",
                    config.email
                ),
            ));
        }
        let secret = Secret::new(password.to_owned());
        check_imap_login(config, &policy, &secret).await?;
        store
            .store_account_secret(&config.id, credential_name(config), &secret)
            .map_err(store_error)
    }

    /// Adds an account the user confirmed: refused unless the policy allows adding
    /// and the address's domain, then the password is tried on both servers given (and
    /// no other), and only when both accept it is the account saved (its password in
    /// the keyring, its servers in the accounts file). Returns the new account.
    pub async fn add_account(
        &self,
        store: &mut Store,
        new: &NewAccount,
    ) -> Result<AccountSummary, ApiError> {
        self.require_consent()?;
        let policy = self.policy();
        let allowed = permissions(&policy);
        if !allowed.may_add {
            return Err(not_allowed(
                "Your organisation does not allow adding accounts; ask your IT department",
            ));
        }
        let (local, domain) = crate::discover::email_domain(&new.email)?;
        let email = format!("{local}@{domain}");
        if !domain_allowed(&email, &allowed.allowed_domains) {
            return Err(not_allowed(format!(
                "Your organisation allows only accounts of {}",
                allowed.allowed_domains.join(", ")
            )));
        }
        let taken_address = policy
            .accounts
            .iter()
            .chain(self.saved_user_accounts()?.0.iter())
            .any(|a| a.email.eq_ignore_ascii_case(&email));
        if taken_address {
            return Err(ApiError::new(
                ErrorCode::Conflict,
                format!("An account for {email} is already set up"),
            ));
        }
        let login = match new.login.trim() {
            "" => email.clone(),
            login => login.to_owned(),
        };
        let display_name = match new.display_name.trim() {
            "" => local.clone(),
            name => name.to_owned(),
        };
        let taken_ids = self.taken_ids(&policy, store)?;
        let config: AccountConfig = serde_json::from_value(serde_json::json!({
            "id": UserAccounts::new_id(&email, &taken_ids),
            "display_name": display_name,
            "email": email,
            "login": login,
            "imap": check_server("incoming", &new.imap)?,
            "smtp": check_server("outgoing", &new.smtp)?,
        }))
        .map_err(|e| ApiError::new(ErrorCode::InvalidValue, e.to_string()))?;

        let secret = Secret::new(new.password.clone());
        check_imap_login(&config, &policy, &secret).await?;
        check_smtp_login(&config, &policy, &secret).await?;

        store
            .store_account_secret(&config.id, credential_name(&config), &secret)
            .map_err(store_error)?;
        // Checked again under the lock: two adds of the same address at once (a double
        // click) must not both be saved.
        let saved = self.edit_user_accounts(|accounts| {
            let taken = accounts
                .0
                .iter()
                .any(|a| a.id == config.id || a.email.eq_ignore_ascii_case(&config.email));
            if taken {
                return Err(ApiError::new(
                    ErrorCode::Conflict,
                    format!("An account for {} is already set up", config.email),
                ));
            }
            accounts.0.push(config.clone());
            Ok(())
        });
        if let Err(e) = saved {
            // Not added after all: the password must not outlive it.
            let _ = store.delete_account_secret(&config.id, credential_name(&config));
            return Err(e);
        }
        let policy = self.policy();
        Ok(AccountSummary::new(
            &config,
            origin(&policy, &config.id),
            false,
        ))
    }

    /// Removes an account the user added: it leaves the accounts file at once, and its
    /// local data (mail, drafts, outbox, keyring entries) is wiped from this computer by
    /// [`Heron::wipe_removed_user_accounts`], which the worker runs before its next pass
    /// (so no sync of it is still writing). The mail on the server is not touched.
    /// Accounts the admin set up cannot be removed by the user ([`ErrorCode::NotAllowed`]).
    pub fn remove_account(&self, store: &mut Store, account: &str) -> Result<(), ApiError> {
        let policy = self.policy();
        let saved = self.saved_user_accounts()?;
        let Some(config) = saved.0.iter().find(|a| a.id.as_str() == account) else {
            return Err(
                if policy.accounts.iter().any(|a| a.id.as_str() == account) {
                    not_allowed(
                        "This account was set up by your organisation and cannot be removed here",
                    )
                } else {
                    ApiError::new(
                        ErrorCode::NotFound,
                        format!("There is no account {account}"),
                    )
                },
            );
        };
        if !policy.user_may_remove_accounts() {
            return Err(not_allowed(
                "Your organisation does not allow removing accounts; ask your IT department",
            ));
        }
        let id = config.id.clone();
        // Out of the configuration first: a wipe must never hit an account that is
        // still configured (if queueing then fails, the data stays, unused).
        self.edit_user_accounts(|accounts| {
            accounts.0.retain(|a| a.id != id);
            Ok(())
        })?;
        crate::lifecycle::queue_user_removal(store, &id)
    }

    /// The accounts file as saved (whether or not the policy lets them be used now).
    fn saved_user_accounts(&self) -> Result<UserAccounts, ApiError> {
        match &self.loader.user_accounts {
            Some(path) => Ok(UserAccounts::load(path)?),
            None => Ok(UserAccounts::default()),
        }
    }

    /// Every id in use: the policy's accounts, the saved user accounts (also those set
    /// aside), those the admin removes and those removed but not wiped yet.
    fn taken_ids(
        &self,
        policy: &EffectivePolicy,
        store: &Store,
    ) -> Result<BTreeSet<AccountId>, ApiError> {
        Ok(policy
            .accounts
            .iter()
            .map(|a| a.id.clone())
            .chain(self.saved_user_accounts()?.0.into_iter().map(|a| a.id))
            .chain(policy.settings.lifecycle.remove_accounts.iter().cloned())
            .chain(crate::lifecycle::queued_user_removals(store)?)
            .collect())
    }

    /// Loads, changes and saves the accounts file under the settings lock, then applies
    /// it.
    fn edit_user_accounts(
        &self,
        change: impl FnOnce(&mut UserAccounts) -> Result<(), ApiError>,
    ) -> Result<(), ApiError> {
        let Some(path) = &self.loader.user_accounts else {
            return Err(ApiError::new(
                ErrorCode::NoDataDir,
                "Accounts cannot be saved because Heron was started without a data directory",
            ));
        };
        {
            let _writing = self
                .settings_write
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let mut accounts = UserAccounts::load(path)?;
            change(&mut accounts)?;
            accounts.save(path)?;
        }
        // Saved. A broken managed file makes the reload fail, but that is the admin's
        // problem, reported through policy_error.
        let _ = self.reload();
        Ok(())
    }
}

/// Where account `id` of `policy` came from.
pub(crate) fn origin(policy: &EffectivePolicy, id: &AccountId) -> AccountOrigin {
    if policy.is_user_account(id) {
        AccountOrigin::User
    } else {
        AccountOrigin::Policy
    }
}

pub(crate) fn find_account<'a>(
    policy: &'a EffectivePolicy,
    id: &str,
) -> Result<&'a AccountConfig, ApiError> {
    policy
        .accounts
        .iter()
        .find(|a| a.id.as_str() == id)
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, format!("There is no account {id}")))
}

/// Logs in to the account's IMAP server with `secret` (and logs out).
pub(crate) async fn check_imap_login(
    account: &AccountConfig,
    policy: &EffectivePolicy,
    secret: &Secret,
) -> Result<(), ApiError> {
    let without_configured = AccountConfig {
        password: None,
        ..account.clone()
    };
    let options = heron_sync::imap_options(
        &without_configured,
        &policy.settings.security,
        Some(secret.clone()),
    )
    .map_err(sync_error)?;
    let session = heron_imap::connect(&options)
        .await
        .map_err(|e| sync_error(e.into()))?;
    session.logout().await;
    Ok(())
}

/// Logs in to the account's submission server with `secret` and says goodbye.
async fn check_smtp_login(
    account: &AccountConfig,
    policy: &EffectivePolicy,
    secret: &Secret,
) -> Result<(), ApiError> {
    let options =
        heron_sync::smtp_options(account, &policy.settings.security, Some(secret.clone()))
            .map_err(sync_error)?;
    heron_smtp::verify_login(&options).await.map_err(|e| {
        let code = match e.code() {
            "server_unreachable" => ErrorCode::ServerUnreachable,
            "certificate_untrusted" => ErrorCode::CertificateUntrusted,
            "tls_failed" => ErrorCode::TlsFailed,
            "authentication_failed" => ErrorCode::AuthenticationFailed,
            "connection_lost" => ErrorCode::ConnectionLost,
            // The server cannot check the login now (a 4xx): its words say so, and the
            // user tries again rather than doubting the password.
            "server_busy" => ErrorCode::ServerRefused,
            "invalid_input" => ErrorCode::InvalidValue,
            _ => ErrorCode::ServerMisbehaved,
        };
        ApiError::new(code, format!("The outgoing mail server: {e}"))
    })
}
