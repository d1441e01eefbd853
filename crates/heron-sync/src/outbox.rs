//! Sending what is in the outbox, at most once, and the jobs that follow a send.
//!
//! A message is handed to SMTP only from the outbox, never straight from the composer:
//! "Send" has already stored it durably. Each attempt records `sending` before it
//! connects and `transmitting` just before DATA; the server's answer is recorded as
//! soon as it arrives. After a crash, `sending` is safe to retry (no DATA, no delivery)
//! and `transmitting` becomes `uncertain`: the user decides, Heron never guesses.

use heron_model::AccountId;
use heron_smtp::{Envelope, SmtpError, SmtpOptions};
use heron_store::{OutboxState, Store};
use serde::{Deserialize, Serialize};

use crate::error::{Result, SyncError};
use crate::oplog::{Operation, backoff_seconds};

/// The SMTP envelope as the outbox stores it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredEnvelope {
    /// MAIL FROM.
    pub from: String,
    /// RCPT TO (To, Cc and Bcc).
    pub to: Vec<String>,
}

impl StoredEnvelope {
    /// As JSON for [`Store::queue_send`].
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_owned())
    }
}

/// Where the copy of a sent message goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SentCopy {
    /// APPEND it to this folder (the account's `\Sent` folder).
    AppendTo(String),
    /// The server files sent mail itself (Gmail, Exchange): no copy from Heron.
    ServerFiles,
}

/// What one pass over the outbox did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct OutboxReport {
    /// Accepted by the server.
    pub sent: u64,
    /// Failed for a reason that may pass; queued again with backoff.
    pub retrying: u64,
    /// Refused by the server; back to the user with the server's words.
    pub failed: u64,
    /// May or may not have been delivered; the user decides.
    pub uncertain: u64,
    /// The first failure's message, for a banner.
    pub first_error: Option<String>,
}

/// Sends every queued message of `account` whose time has come. `now` gives Unix
/// seconds (passed in so tests control time).
pub async fn transmit_due(
    store: &mut Store,
    account: &AccountId,
    smtp: &SmtpOptions,
    sent_copy: &SentCopy,
    drafts_folder: &str,
    now: impl Fn() -> i64,
) -> Result<OutboxReport> {
    let mut report = OutboxReport::default();
    store.recover_interrupted_sends(account)?;
    for item in store.due_outgoing(account, now())? {
        if !store.advance_outgoing(item.id, OutboxState::Queued, OutboxState::Sending)? {
            continue;
        }
        let envelope: StoredEnvelope = serde_json::from_str(&item.envelope).map_err(|e| {
            SyncError::Config(format!("The outbox entry {} is unreadable: {e}", item.id))
        })?;
        let raw = store.blobs(account).get(&item.raw_blob)?;
        let envelope = Envelope {
            from: envelope.from,
            to: envelope.to,
        };
        let id = item.id;
        let result = {
            let store = &mut *store;
            heron_smtp::send_recorded(smtp, &envelope, &raw, move || {
                match store.advance_outgoing(id, OutboxState::Sending, OutboxState::Transmitting) {
                    Ok(true) => Ok(()),
                    Ok(false) => Err("the outbox entry changed during the send".to_owned()),
                    Err(e) => Err(e.to_string()),
                }
            })
            .await
        };
        match result {
            Ok(reply) => {
                let follow_up = after_sending(id, &item.message_id, sent_copy, drafts_folder)?;
                store.finish_sent(id, &reply, now(), &follow_up)?;
                report.sent += 1;
            }
            Err(e) => {
                let (state, not_before) = if e.may_have_delivered() {
                    report.uncertain += 1;
                    (OutboxState::Uncertain, 0)
                } else if e.is_transient() || matches!(e, SmtpError::NotRecorded(_)) {
                    report.retrying += 1;
                    (OutboxState::Queued, now() + backoff_seconds(item.attempts))
                } else {
                    report.failed += 1;
                    (OutboxState::Failed, 0)
                };
                store.fail_outgoing(id, state, e.code(), &e.to_string(), not_before)?;
                report.first_error.get_or_insert_with(|| e.to_string());
                // The server or the network is down: the rest would fail the same way.
                if state == OutboxState::Queued {
                    break;
                }
            }
        }
    }
    Ok(report)
}

/// The user's answer for an uncertain message: send it again (it may arrive twice), or
/// treat it as sent (it may not have arrived at all).
pub fn resolve_uncertain(
    store: &mut Store,
    outbox: i64,
    resend: bool,
    sent_copy: &SentCopy,
    drafts_folder: &str,
    now: i64,
) -> Result<bool> {
    let Some(item) = store.outgoing(outbox)? else {
        return Ok(false);
    };
    if item.state != OutboxState::Uncertain {
        return Ok(false);
    }
    if resend {
        store.fail_outgoing(outbox, OutboxState::Queued, "", "", now)?;
        return Ok(true);
    }
    if !store.advance_outgoing(outbox, OutboxState::Uncertain, OutboxState::Transmitting)? {
        return Ok(false);
    }
    let follow_up = after_sending(outbox, &item.message_id, sent_copy, drafts_folder)?;
    store.finish_sent(outbox, "marked as sent by the user", now, &follow_up)?;
    Ok(true)
}

/// The jobs a send leaves, as operation log entries: the Sent copy, and removing the
/// server's copies of the draft (uploaded by this or another machine).
fn after_sending(
    outbox: i64,
    message_id: &str,
    sent_copy: &SentCopy,
    drafts_folder: &str,
) -> Result<Vec<(&'static str, String)>> {
    let mut ops = Vec::new();
    if let SentCopy::AppendTo(folder) = sent_copy {
        ops.push(Operation::SentCopy {
            outbox,
            folder: folder.clone(),
            message_id: message_id.to_owned(),
        });
    }
    ops.push(Operation::DiscardDraft {
        folder: drafts_folder.to_owned(),
        message_id: message_id.to_owned(),
    });
    ops.iter()
        .map(|op| Ok((op.kind(), op.to_json()?)))
        .collect()
}
