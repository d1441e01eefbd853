//! The user's own diagnostics, exported as a file they choose (Settings > Privacy):
//! what support needs to understand a problem, and nothing of the mail itself.
//!
//! It holds Heron's version and the OS, the effective configuration with each value's
//! source (passwords redacted, as `heronctl policy show`), the accounts (addresses and
//! servers, whether each has a credential, never the credential), the privacy notice
//! accepted, the local store's state (schema version, sizes, how much mail each folder
//! holds by name, the outbox and the queued actions) and what the caller adds (the
//! window's sync states). No subject, sender, body or attachment name is in it. Heron
//! sends it nowhere: the user decides what to do with the file.

use heron_store::Store;
use serde_json::{Value, json};

use crate::{ApiError, Heron};

impl Heron {
    /// The diagnostics report (see the module's notes); `store` when it could be opened,
    /// `extra` what the shell knows (sync states).
    pub fn diagnostics(&self, store: Option<&Store>, extra: Value) -> Result<Value, ApiError> {
        let accounts: Vec<Value> = match store {
            Some(store) => self
                .account_list(store)
                .into_iter()
                .map(|a| serde_json::to_value(a).unwrap_or_default())
                .collect(),
            None => self
                .accounts()
                .into_iter()
                .map(|a| serde_json::to_value(a).unwrap_or_default())
                .collect(),
        };
        let store_state = match store {
            None => json!({ "open": false, "state": self.local_store_state() }),
            Some(store) => {
                let folders: Vec<Value> = crate::mail::folders(store, None)?
                    .into_iter()
                    .map(|f| {
                        json!({
                            "account": f.account,
                            "folder": f.name,
                            "special_use": f.special_use,
                            "messages": f.total,
                            "unread": f.unread,
                        })
                    })
                    .collect();
                let pending = store
                    .pending_work()
                    .map_err(crate::local_data::store_error)?;
                json!({
                    "open": true,
                    "schema_version": store.schema_version().map_err(crate::local_data::store_error)?,
                    "key": self.store_status(),
                    "sizes": self.data_dir.as_deref().map(crate::local_data::local_data_summary).transpose()?,
                    "folders": folders,
                    "outbox_unsent": pending.outbox,
                    "drafts_not_on_server": pending.unsynced_drafts,
                    "queued_actions": pending.pending_operations,
                    "integrity_problems": store.integrity_problems().map_err(crate::local_data::store_error)?,
                })
            }
        };
        let notice = self.privacy_notice().ok().map(|n| {
            json!({ "version": n.version, "accepted": n.accepted, "must_accept": n.must_accept })
        });
        Ok(json!({
            "heron": env!("CARGO_PKG_VERSION"),
            "os": std::env::consts::OS,
            "arch": std::env::consts::ARCH,
            "configuration": self.policy_report(),
            "configuration_problem": self.policy_error(),
            "accounts": accounts,
            "privacy_notice": notice,
            "local_store": store_state,
            "window": extra,
        }))
    }
}
