//! Drafts and the outbox: what the user wrote, kept durably until the server has it.
//!
//! Every write here gates a network action, so each runs in one transaction committed
//! with `synchronous=FULL`. A crash between any two statements leaves either the state
//! before or the state after, never a message half queued, and the SMTP states are
//! recorded before the step they describe (see migration 3 for the state machine).

use heron_model::AccountId;
use rusqlite::{OptionalExtension as _, Row, Transaction, params};

use crate::blob::BlobName;
use crate::error::{Result, StoreError};
use crate::store::{Store, unreferenced};

/// Where a draft is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DraftState {
    /// Being written; saves go to the server's Drafts folder.
    Editing,
    /// In the outbox: frozen until it is sent or the send is taken back.
    Outbox,
}

/// A draft as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DraftRecord {
    /// Row id.
    pub id: i64,
    /// Account id.
    pub account: AccountId,
    /// The Message-ID chosen when the draft was created (without angle brackets).
    pub message_id: String,
    /// The draft's content as JSON (its shape belongs to heron-api).
    pub content: String,
    /// The message built from the latest version.
    pub raw_blob: Option<BlobName>,
    /// Local saves so far.
    pub version: i64,
    /// The version the server's Drafts folder holds (0: none).
    pub synced_version: i64,
    /// Editing or in the outbox.
    pub state: DraftState,
    /// Why the last send failed, for the user; empty otherwise.
    pub error: String,
    /// Unix seconds of the last save.
    pub updated: i64,
}

/// Where an outgoing message is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutboxState {
    /// Waiting for its time (undo delay, send later, backoff).
    Queued,
    /// An attempt is connecting; DATA has not begun, so nothing can have been delivered.
    Sending,
    /// DATA has begun: until the server's answer is recorded, it may have been delivered.
    Transmitting,
    /// Accepted by the server.
    Sent,
    /// The connection was lost after the message may have arrived: the user decides.
    Uncertain,
    /// Refused by the server; the draft is back with the user.
    Failed,
}

impl OutboxState {
    /// The name stored in the database and shown in the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxState::Queued => "queued",
            OutboxState::Sending => "sending",
            OutboxState::Transmitting => "transmitting",
            OutboxState::Sent => "sent",
            OutboxState::Uncertain => "uncertain",
            OutboxState::Failed => "failed",
        }
    }

    fn parse(s: &str) -> OutboxState {
        match s {
            "sending" => OutboxState::Sending,
            "transmitting" => OutboxState::Transmitting,
            "sent" => OutboxState::Sent,
            "uncertain" => OutboxState::Uncertain,
            "failed" => OutboxState::Failed,
            _ => OutboxState::Queued,
        }
    }
}

/// An outgoing message as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxRecord {
    /// Row id.
    pub id: i64,
    /// Account id.
    pub account: AccountId,
    /// The draft it was sent from (kept until the server accepts the message).
    pub draft: i64,
    /// Its Message-ID (without angle brackets).
    pub message_id: String,
    /// The bytes to send.
    pub raw_blob: BlobName,
    /// The SMTP envelope as JSON (its shape belongs to heron-sync).
    pub envelope: String,
    /// State.
    pub state: OutboxState,
    /// Attempts started.
    pub attempts: u32,
    /// Unix seconds before which it does not leave.
    pub not_before: i64,
    /// The last failure, in words, and its stable code.
    pub error: String,
    /// The last failure's code (`delivery_uncertain`, `rejected`, ...).
    pub error_code: String,
    /// The server's acceptance.
    pub server_reply: String,
    /// Unix seconds it was accepted.
    pub sent_at: i64,
}

const DRAFT_COLUMNS: &str = "d.id, a.account_id, d.message_id, d.content, d.raw_blob, d.version,
     d.synced_version, d.state, d.error, d.updated";

fn draft_row(r: &Row<'_>) -> rusqlite::Result<DraftRecord> {
    let account: String = r.get(1)?;
    Ok(DraftRecord {
        id: r.get(0)?,
        account: AccountId::new(account.clone()).map_err(|_| bad_text(1, &account))?,
        message_id: r.get(2)?,
        content: r.get(3)?,
        raw_blob: BlobName::parse(&r.get::<_, String>(4)?),
        version: r.get(5)?,
        synced_version: r.get(6)?,
        state: if r.get::<_, String>(7)? == "outbox" {
            DraftState::Outbox
        } else {
            DraftState::Editing
        },
        error: r.get(8)?,
        updated: r.get(9)?,
    })
}

const OUTBOX_COLUMNS: &str = "o.id, a.account_id, o.draft, o.message_id, o.raw_blob, o.envelope,
     o.state, o.attempts, o.not_before, o.error, o.error_code, o.server_reply, o.sent_at";

fn outbox_row(r: &Row<'_>) -> rusqlite::Result<OutboxRecord> {
    let account: String = r.get(1)?;
    let blob: String = r.get(4)?;
    Ok(OutboxRecord {
        id: r.get(0)?,
        account: AccountId::new(account.clone()).map_err(|_| bad_text(1, &account))?,
        draft: r.get(2)?,
        message_id: r.get(3)?,
        raw_blob: BlobName::parse(&blob).ok_or_else(|| bad_text(4, &blob))?,
        envelope: r.get(5)?,
        state: OutboxState::parse(&r.get::<_, String>(6)?),
        attempts: r.get::<_, i64>(7)?.max(0) as u32,
        not_before: r.get(8)?,
        error: r.get(9)?,
        error_code: r.get(10)?,
        server_reply: r.get(11)?,
        sent_at: r.get(12)?,
    })
}

fn bad_text(column: usize, value: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        column,
        rusqlite::types::Type::Text,
        format!("unexpected value {value:?}").into(),
    )
}

/// Blobs no row uses any more among `candidates`, with their account, for deletion
/// after the transaction commits.
fn orphans(
    tx: &Transaction<'_>,
    account: &str,
    candidates: &[String],
) -> Result<Vec<(String, String)>> {
    let named: Vec<String> = candidates
        .iter()
        .filter(|b| !b.is_empty())
        .cloned()
        .collect();
    Ok(unreferenced(tx, &named)?
        .into_iter()
        .map(|b| (account.to_owned(), b))
        .collect())
}

impl Store {
    /// Creates a draft (durably) and returns its id. `raw` is the message built from
    /// `content`; `message_id` stays the draft's for its whole life, sent copy included.
    pub fn create_draft(
        &mut self,
        account: &AccountId,
        message_id: &str,
        content: &str,
        summary: (&str, &str),
        raw: &BlobName,
        now: i64,
    ) -> Result<i64> {
        self.durable(|tx| {
            let acc = Self::account_row(tx, account)?;
            Ok(tx.query_row(
                "INSERT INTO drafts (account, message_id, subject, to_text, content, raw_blob,
                                     version, updated)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?7) RETURNING id",
                params![
                    acc,
                    message_id,
                    summary.0,
                    summary.1,
                    content,
                    raw.as_str(),
                    now
                ],
                |r| r.get(0),
            )?)
        })
    }

    /// Saves a new version of a draft (durably) and returns its version number. A draft
    /// in the outbox cannot change: [`StoreError::Conflict`].
    pub fn update_draft(
        &mut self,
        id: i64,
        content: &str,
        summary: (&str, &str),
        raw: &BlobName,
        now: i64,
    ) -> Result<i64> {
        let (version, doomed) = self.durable(|tx| {
            let old: Option<(String, String, String, String)> = tx
                .query_row(
                    "SELECT a.account_id, d.raw_blob, d.state, d.content FROM drafts d
                     JOIN accounts a ON a.id = d.account WHERE d.id = ?1",
                    [id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )
                .optional()?;
            let Some((account, old_blob, state, old_content)) = old else {
                return Err(StoreError::NotFound { what: "draft", id });
            };
            if state == "outbox" {
                return Err(StoreError::Conflict(
                    "The message is in the outbox; take the send back to edit it".to_owned(),
                ));
            }
            let version: i64 = tx.query_row(
                "UPDATE drafts SET content = ?2, subject = ?3, to_text = ?4, raw_blob = ?5,
                        version = version + 1, updated = ?6, error = ''
                 WHERE id = ?1 RETURNING version",
                params![id, content, summary.0, summary.1, raw.as_str(), now],
                |r| r.get(0),
            )?;
            let mut candidates = vec![old_blob];
            candidates.extend(attachment_blobs(tx, &old_content)?);
            Ok((version, orphans(tx, &account, &candidates)?))
        })?;
        self.delete_blob_files(doomed)?;
        Ok(version)
    }

    /// One draft.
    pub fn draft(&self, id: i64) -> Result<Option<DraftRecord>> {
        Ok(self
            .conn
            .query_row(
                &format!(
                    "SELECT {DRAFT_COLUMNS} FROM drafts d JOIN accounts a ON a.id = d.account
                     WHERE d.id = ?1"
                ),
                [id],
                draft_row,
            )
            .optional()?)
    }

    /// The drafts of an account (all accounts when `None`), newest first.
    pub fn drafts(&self, account: Option<&AccountId>) -> Result<Vec<DraftRecord>> {
        let mut st = self.conn.prepare(&format!(
            "SELECT {DRAFT_COLUMNS} FROM drafts d JOIN accounts a ON a.id = d.account
             WHERE ?1 IS NULL OR a.account_id = ?1 ORDER BY d.updated DESC, d.id DESC"
        ))?;
        let rows = st
            .query_map([account.map(AccountId::as_str)], draft_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// The draft with this Message-ID in an account, if any: a draft reopened from the
    /// server's Drafts folder continues the local one instead of forking it.
    pub fn draft_by_message_id(
        &self,
        account: &AccountId,
        message_id: &str,
    ) -> Result<Option<DraftRecord>> {
        Ok(self
            .conn
            .query_row(
                &format!(
                    "SELECT {DRAFT_COLUMNS} FROM drafts d JOIN accounts a ON a.id = d.account
                     WHERE a.account_id = ?1 AND d.message_id = ?2"
                ),
                params![account.as_str(), message_id],
                draft_row,
            )
            .optional()?)
    }

    /// Records that the server's Drafts folder holds `version` (if no newer version was
    /// saved since, the draft is in sync).
    pub fn mark_draft_uploaded(&mut self, id: i64, version: i64) -> Result<()> {
        self.durable(|tx| {
            tx.execute(
                "UPDATE drafts SET synced_version = max(synced_version, ?2), synced = (version <= ?2)
                 WHERE id = ?1",
                params![id, version],
            )?;
            Ok(())
        })
    }

    /// Deletes a draft (discarded by the user, or sent) with its blobs. Returns false
    /// when it does not exist or is in the outbox.
    pub fn delete_draft(&mut self, id: i64) -> Result<bool> {
        let doomed = self.durable(|tx| delete_draft_in(tx, id, false))?;
        let Some(doomed) = doomed else {
            return Ok(false);
        };
        self.delete_blob_files(doomed)?;
        Ok(true)
    }

    /// Puts a draft in the outbox (durably), to leave no earlier than `not_before`, and
    /// returns the outbox id.
    pub fn queue_send(
        &mut self,
        draft: i64,
        raw: &BlobName,
        envelope: &str,
        not_before: i64,
        now: i64,
    ) -> Result<i64> {
        let (id, doomed) = self.durable(|tx| {
            let row: Option<(i64, String, String)> = tx
                .query_row(
                    "SELECT account, message_id, state FROM drafts WHERE id = ?1",
                    [draft],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            let Some((account, message_id, state)) = row else {
                return Err(StoreError::NotFound { what: "draft", id: draft });
            };
            if state == "outbox" {
                return Err(StoreError::Conflict(
                    "The message is already in the outbox".to_owned(),
                ));
            }
            tx.execute(
                "UPDATE drafts SET state = 'outbox', error = '' WHERE id = ?1",
                [draft],
            )?;
            // An earlier attempt the server refused is replaced by this one.
            let mut st = tx.prepare_cached(
                "DELETE FROM outbox WHERE draft = ?1 AND state = 'failed' RETURNING raw_blob",
            )?;
            let refused = st
                .query_map([draft], |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            drop(st);
            let id: i64 = tx.query_row(
                "INSERT INTO outbox (account, message_id, raw_blob, created, draft, envelope, not_before)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
                params![account, message_id, raw.as_str(), now, draft, envelope, not_before],
                |r| r.get(0),
            )?;
            let owner: String = tx.query_row(
                "SELECT account_id FROM accounts WHERE id = ?1",
                [account],
                |r| r.get(0),
            )?;
            Ok((id, orphans(tx, &owner, &refused)?))
        })?;
        self.delete_blob_files(doomed)?;
        Ok(id)
    }

    /// Takes a send back while it is still waiting (undo send, or a scheduled send):
    /// the draft returns to editing. Returns false when it is too late (an attempt has
    /// begun) or the message is not in the outbox.
    pub fn cancel_send(&mut self, outbox: i64) -> Result<bool> {
        let doomed = self.durable(|tx| {
            let row: Option<(String, i64, String, String)> = tx
                .query_row(
                    "SELECT a.account_id, o.draft, o.raw_blob, o.state FROM outbox o
                     JOIN accounts a ON a.id = o.account WHERE o.id = ?1",
                    [outbox],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )
                .optional()?;
            let Some((account, draft, blob, state)) = row else {
                return Ok(None);
            };
            if !matches!(state.as_str(), "queued" | "failed") {
                return Ok(None);
            }
            tx.execute("DELETE FROM outbox WHERE id = ?1", [outbox])?;
            tx.execute("UPDATE drafts SET state = 'editing' WHERE id = ?1", [draft])?;
            Ok(Some(orphans(tx, &account, &[blob])?))
        })?;
        let Some(doomed) = doomed else {
            return Ok(false);
        };
        self.delete_blob_files(doomed)?;
        Ok(true)
    }

    /// One outgoing message.
    pub fn outgoing(&self, id: i64) -> Result<Option<OutboxRecord>> {
        Ok(self
            .conn
            .query_row(
                &format!(
                    "SELECT {OUTBOX_COLUMNS} FROM outbox o JOIN accounts a ON a.id = o.account
                     WHERE o.id = ?1"
                ),
                [id],
                outbox_row,
            )
            .optional()?)
    }

    /// The outbox of an account (all accounts when `None`), oldest first.
    pub fn outbox(&self, account: Option<&AccountId>) -> Result<Vec<OutboxRecord>> {
        let mut st = self.conn.prepare(&format!(
            "SELECT {OUTBOX_COLUMNS} FROM outbox o JOIN accounts a ON a.id = o.account
             WHERE ?1 IS NULL OR a.account_id = ?1 ORDER BY o.id"
        ))?;
        let rows = st
            .query_map([account.map(AccountId::as_str)], outbox_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// The queued messages of an account whose time has come, oldest first.
    pub fn due_outgoing(&self, account: &AccountId, now: i64) -> Result<Vec<OutboxRecord>> {
        let mut st = self.conn.prepare(&format!(
            "SELECT {OUTBOX_COLUMNS} FROM outbox o JOIN accounts a ON a.id = o.account
             WHERE a.account_id = ?1 AND o.state = 'queued' AND o.not_before <= ?2
             ORDER BY o.not_before, o.id"
        ))?;
        let rows = st
            .query_map(params![account.as_str(), now], outbox_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// After a crash: an attempt that had not begun DATA delivered nothing and is queued
    /// again; one that had may have delivered, and becomes uncertain. Returns how many
    /// of each. Only the single running instance may call this.
    pub fn recover_interrupted_sends(&mut self, account: &AccountId) -> Result<(u64, u64)> {
        self.durable(|tx| {
            let acc = Self::account_row(tx, account)?;
            let requeued = tx.execute(
                "UPDATE outbox SET state = 'queued' WHERE account = ?1 AND state = 'sending'",
                [acc],
            )?;
            let uncertain = tx.execute(
                "UPDATE outbox SET state = 'uncertain', error_code = 'delivery_uncertain',
                        error = 'Heron stopped while the message was being transmitted'
                 WHERE account = ?1 AND state = 'transmitting'",
                [acc],
            )?;
            Ok((requeued as u64, uncertain as u64))
        })
    }

    /// Moves a message to `to` if it is in `from` (durably); returns whether it was.
    /// The SMTP client records each step before taking it.
    pub fn advance_outgoing(
        &mut self,
        id: i64,
        from: OutboxState,
        to: OutboxState,
    ) -> Result<bool> {
        self.durable(|tx| {
            let bump = i64::from(to == OutboxState::Sending);
            Ok(tx.execute(
                "UPDATE outbox SET state = ?3, attempts = attempts + ?4 WHERE id = ?1 AND state = ?2",
                params![id, from.as_str(), to.as_str(), bump],
            )? == 1)
        })
    }

    /// The server accepted the message: records it, deletes the draft it came from, and
    /// appends `follow_up` operations (the Sent copy, removing the server's draft) in the
    /// same transaction, so none is lost or done twice.
    pub fn finish_sent(
        &mut self,
        id: i64,
        server_reply: &str,
        now: i64,
        follow_up: &[(&str, String)],
    ) -> Result<()> {
        let doomed = self.durable(|tx| {
            let (account, draft): (i64, i64) = tx.query_row(
                "SELECT account, draft FROM outbox WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            tx.execute(
                "UPDATE outbox SET state = 'sent', server_reply = ?2, sent_at = ?3, error = '',
                        error_code = '' WHERE id = ?1",
                params![id, server_reply, now],
            )?;
            for (kind, payload) in follow_up {
                tx.execute(
                    "INSERT INTO operations (account, kind, payload, created) VALUES (?1, ?2, ?3, ?4)",
                    params![account, kind, payload, now],
                )?;
            }
            Ok(delete_draft_in(tx, draft, true)?.unwrap_or_default())
        })?;
        self.delete_blob_files(doomed)
    }

    /// A failed attempt: back to `queued` until `not_before` (transient), or to
    /// `failed` or `uncertain` (the user decides; a failed draft returns to editing).
    pub fn fail_outgoing(
        &mut self,
        id: i64,
        state: OutboxState,
        code: &str,
        error: &str,
        not_before: i64,
    ) -> Result<()> {
        self.durable(|tx| {
            tx.execute(
                "UPDATE outbox SET state = ?2, error_code = ?3, error = ?4, not_before = ?5
                 WHERE id = ?1",
                params![id, state.as_str(), code, error, not_before],
            )?;
            if state == OutboxState::Failed {
                tx.execute(
                    "UPDATE drafts SET state = 'editing', error = ?2
                     WHERE id = (SELECT draft FROM outbox WHERE id = ?1)",
                    params![id, error],
                )?;
            }
            Ok(())
        })
    }

    /// Forgets a sent message once its Sent copy is on the server (or not wanted).
    pub fn forget_sent(&mut self, id: i64) -> Result<()> {
        let doomed = self.durable(|tx| {
            let row: Option<(String, String)> = tx
                .query_row(
                    "SELECT a.account_id, o.raw_blob FROM outbox o
                     JOIN accounts a ON a.id = o.account WHERE o.id = ?1 AND o.state = 'sent'",
                    [id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let Some((account, blob)) = row else {
                return Ok(Vec::new());
            };
            tx.execute("DELETE FROM outbox WHERE id = ?1", [id])?;
            orphans(tx, &account, &[blob])
        })?;
        self.delete_blob_files(doomed)
    }
}

/// The blobs a draft's content names as attachments.
fn attachment_blobs(tx: &Transaction<'_>, content: &str) -> Result<Vec<String>> {
    let mut st = tx.prepare_cached(
        "SELECT json_extract(value, '$.blob') FROM json_each(?1, '$.attachments')
         WHERE json_type(value, '$.blob') = 'text'",
    )?;
    let rows = st
        .query_map([content], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Deletes a draft row (an outbox one only when `even_in_outbox`); returns the blobs
/// left unused, or None when there was nothing to delete.
fn delete_draft_in(
    tx: &Transaction<'_>,
    id: i64,
    even_in_outbox: bool,
) -> Result<Option<Vec<(String, String)>>> {
    let row: Option<(String, String, String, String)> = tx
        .query_row(
            "SELECT a.account_id, d.raw_blob, d.content, d.state FROM drafts d
             JOIN accounts a ON a.id = d.account WHERE d.id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    let Some((account, blob, content, state)) = row else {
        return Ok(None);
    };
    if state == "outbox" && !even_in_outbox {
        return Ok(None);
    }
    let mut candidates = vec![blob];
    candidates.extend(attachment_blobs(tx, &content)?);
    tx.execute("DELETE FROM drafts WHERE id = ?1", [id])?;
    Ok(Some(orphans(tx, &account, &candidates)?))
}
