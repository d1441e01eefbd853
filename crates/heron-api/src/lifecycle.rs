//! Accounts the admin removes: `lifecycle.remove_accounts` drops them from the effective
//! configuration at once, and the next time the store is open their local data (mail,
//! attachments, drafts, outbox, keyring entries) is wiped from this machine, with a
//! notice for the user saying why.

use heron_model::AccountId;
use heron_store::Store;
use serde::{Deserialize, Serialize};

use crate::local_data::store_error;
use crate::{ApiError, ErrorCode, Heron};

/// The store setting holding removals the user has not yet been told about.
const UNTOLD_SETTING: &str = "lifecycle.removed_untold";

/// The store setting holding accounts the user removed whose data is not wiped yet.
const USER_REMOVED_SETTING: &str = "lifecycle.user_removed_pending";

/// Accounts the user removed whose local data is still to be wiped.
pub(crate) fn queued_user_removals(store: &Store) -> Result<Vec<AccountId>, ApiError> {
    match store.setting(USER_REMOVED_SETTING).map_err(store_error)? {
        None => Ok(Vec::new()),
        Some(raw) => serde_json::from_str(&raw).map_err(|e| {
            ApiError::new(
                ErrorCode::StorageFailed,
                format!("The list of removed accounts still to wipe cannot be read: {e}"),
            )
        }),
    }
}

fn set_queued_user_removals(store: &mut Store, ids: &[AccountId]) -> Result<(), ApiError> {
    let json = serde_json::to_string(ids)
        .map_err(|e| ApiError::new(ErrorCode::StorageFailed, e.to_string()))?;
    store
        .set_setting(USER_REMOVED_SETTING, &json)
        .map_err(store_error)
}

/// Queues the wipe of an account the user removed.
pub(crate) fn queue_user_removal(store: &mut Store, id: &AccountId) -> Result<(), ApiError> {
    let mut ids = queued_user_removals(store)?;
    if !ids.contains(id) {
        ids.push(id.clone());
    }
    set_queued_user_removals(store, &ids)
}

/// An account whose local data was wiped because the policy removed it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemovedAccount {
    /// Account id.
    pub account: String,
    /// Unix seconds of the wipe.
    pub wiped_at: i64,
}

fn untold(store: &Store) -> Result<Vec<RemovedAccount>, ApiError> {
    let raw = store
        .setting(UNTOLD_SETTING)
        .map_err(store_error)?
        .unwrap_or_default();
    Ok(serde_json::from_str(&raw).unwrap_or_default())
}

fn set_untold(store: &mut Store, list: &[RemovedAccount]) -> Result<(), ApiError> {
    let json = serde_json::to_string(list)
        .map_err(|e| ApiError::new(ErrorCode::StorageFailed, e.to_string()))?;
    store
        .set_setting(UNTOLD_SETTING, &json)
        .map_err(store_error)
}

impl Heron {
    /// Wipes the local data of every account the policy removes that this store still
    /// holds, and returns them. Each wipe is verified by the store (nothing of the
    /// account left in rows, files or the keyring) or reported as an error; accounts
    /// already wiped cost nothing, so this runs at every start and policy change.
    pub fn apply_account_removals(
        &self,
        store: &mut Store,
        now: i64,
    ) -> Result<Vec<RemovedAccount>, ApiError> {
        let removed = self.policy().settings.lifecycle.remove_accounts;
        if removed.is_empty() {
            return Ok(Vec::new());
        }
        let present = store.account_ids().map_err(store_error)?;
        let mut wiped = Vec::new();
        for account in removed.iter().filter(|a| present.contains(a)) {
            store.wipe_account(account).map_err(|e| {
                ApiError::new(
                    ErrorCode::WipeIncomplete,
                    format!("The removed account {account} could not be wiped completely: {e}"),
                )
            })?;
            wiped.push(RemovedAccount {
                account: account.to_string(),
                wiped_at: now,
            });
        }
        if !wiped.is_empty() {
            let mut list = untold(store)?;
            list.extend(wiped.iter().cloned());
            set_untold(store, &list)?;
        }
        Ok(wiped)
    }

    /// Wipes the local data of the accounts the user removed
    /// ([`Heron::remove_account`]) and returns them: run by the worker between passes,
    /// so no sync of them is still writing. Each wipe is verified by the store; one that
    /// fails stays queued and is reported.
    pub fn wipe_removed_user_accounts(
        &self,
        store: &mut Store,
    ) -> Result<Vec<AccountId>, ApiError> {
        let queued = queued_user_removals(store)?;
        if queued.is_empty() {
            return Ok(Vec::new());
        }
        let present = store.account_ids().map_err(store_error)?;
        let mut wiped = Vec::new();
        let mut failure = None;
        for id in &queued {
            // Adding an account stored its password, which made its row: it is present
            // unless a wipe already took it.
            if present.contains(id)
                && let Err(e) = store.wipe_account(id)
            {
                failure.get_or_insert(ApiError::new(
                    ErrorCode::WipeIncomplete,
                    format!("The removed account {id} could not be wiped completely: {e}"),
                ));
                continue;
            }
            wiped.push(id.clone());
        }
        let left: Vec<AccountId> = queued
            .into_iter()
            .filter(|id| !wiped.contains(id))
            .collect();
        set_queued_user_removals(store, &left)?;
        match failure {
            Some(e) => Err(e),
            None => Ok(wiped),
        }
    }

    /// Removals the user has not been told about yet (shown once, on the next start).
    pub fn removed_accounts_untold(&self, store: &Store) -> Result<Vec<RemovedAccount>, ApiError> {
        untold(store)
    }

    /// The user has seen the removals.
    pub fn acknowledge_removed_accounts(&self, store: &mut Store) -> Result<(), ApiError> {
        set_untold(store, &[])
    }
}
