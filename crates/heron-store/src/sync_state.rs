//! What sync reads and writes: folder state, the UIDs known locally, batches of server
//! changes applied in one transaction together with the folder state they lead to, and
//! the operation log with its local effects.

use std::ops::RangeInclusive;

use heron_model::AccountId;
use rusqlite::{OptionalExtension as _, Transaction, params};

use crate::blob::BlobName;
use crate::error::{Result, StoreError};
use crate::store::{Flags, FolderId, MessageRowId, NewMessage, Store, unreferenced};

/// A folder as stored, with its counts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FolderRow {
    /// Row id.
    pub id: FolderId,
    /// Name (decoded).
    pub name: String,
    /// Hierarchy delimiter.
    pub delimiter: String,
    /// Special use (`\Sent`, `INBOX`, ...), or empty.
    pub special_use: String,
    /// UIDVALIDITY the stored UIDs belong to (0 before the first sync).
    pub uidvalidity: u32,
    /// UIDNEXT at the last completed sync.
    pub uidnext: u32,
    /// HIGHESTMODSEQ at the last completed sync (0: not completed, or no CONDSTORE).
    pub highestmodseq: u64,
    /// Messages stored.
    pub total: u64,
    /// Messages without `\Seen`.
    pub unread: u64,
}

/// A message as sync compares it with the server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalMessage {
    /// Row id.
    pub id: MessageRowId,
    /// UID.
    pub uid: u32,
    /// Flags.
    pub flags: Flags,
    /// Message-ID.
    pub message_id: String,
    /// Whether the raw message is stored.
    pub has_body: bool,
    /// Size in bytes.
    pub size: u64,
}

/// The sync position a batch leads to, stored in the same transaction as the batch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FolderState {
    /// UIDVALIDITY.
    pub uidvalidity: u32,
    /// UIDNEXT.
    pub uidnext: u32,
    /// HIGHESTMODSEQ.
    pub highestmodseq: u64,
}

/// One transaction's worth of server changes for a folder.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FolderChanges {
    /// Messages new to the store. One whose Message-ID matches a row left from an old
    /// UIDVALIDITY or a local move takes that row over (keeping its body) instead.
    pub new: Vec<NewMessage>,
    /// (UID, flags, MODSEQ) of known messages whose flags changed.
    pub flags: Vec<(u32, Flags, u64)>,
    /// UIDs the server no longer has.
    pub vanished: Vec<RangeInclusive<u32>>,
    /// The folder state this batch completes, if it does.
    pub state: Option<FolderState>,
    /// Drop every row of an older UIDVALIDITY that no new message took over (set on the
    /// batch that finishes a folder's header sync).
    pub drop_stale: bool,
}

/// A local change applied together with the operation that carries it to the server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LocalChange {
    /// Set and clear flags.
    Flags {
        /// Messages.
        ids: Vec<MessageRowId>,
        /// Flags to set.
        add: Flags,
        /// Flags to clear.
        remove: Flags,
    },
    /// Show the messages in another folder until the server confirms their new UIDs.
    MoveTo {
        /// Messages.
        ids: Vec<MessageRowId>,
        /// Target folder.
        folder: FolderId,
    },
    /// Remove the messages from the local view.
    Remove {
        /// Messages.
        ids: Vec<MessageRowId>,
    },
}

/// One entry of the operation log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OperationRow {
    /// Id (replay order).
    pub id: i64,
    /// Kind (`flags`, `move`, `delete`, ...).
    pub kind: String,
    /// JSON payload.
    pub payload: String,
    /// Attempts so far.
    pub attempts: u32,
    /// Unix time before which it is not retried.
    pub not_before: i64,
}

/// The placeholder UIDVALIDITY of rows moved locally whose server UID is not known yet;
/// RFC 3501 makes 0 invalid on the wire, so it never collides with a real one.
pub const PLACEHOLDER_UIDVALIDITY: u32 = 0;

impl Store {
    /// The accounts that have data in the store, by id.
    pub fn account_ids(&self) -> Result<Vec<AccountId>> {
        let mut st = self
            .conn
            .prepare("SELECT account_id FROM accounts ORDER BY account_id")?;
        let ids = st
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(ids
            .into_iter()
            .filter_map(|a| AccountId::new(a).ok())
            .collect())
    }

    /// The folders of an account with their counts, by name.
    pub fn folders(&self, account: &AccountId) -> Result<Vec<FolderRow>> {
        self.folder_rows(
            account,
            ", (SELECT count(*) FROM messages m WHERE m.folder = f.id),
               (SELECT count(*) FROM messages m WHERE m.folder = f.id AND (m.flags & 1) = 0)",
        )
    }

    /// The folders of an account without counts (cheap at any size), by name.
    pub fn folder_states(&self, account: &AccountId) -> Result<Vec<FolderRow>> {
        self.folder_rows(account, "")
    }

    /// The folder rows of an account, with `extra` columns (the counts) or none.
    fn folder_rows(&self, account: &AccountId, extra: &str) -> Result<Vec<FolderRow>> {
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT f.id, f.name, f.delimiter, f.special_use, f.uidvalidity, f.uidnext,
                    f.highestmodseq {extra}
             FROM folders f JOIN accounts a ON a.id = f.account
             WHERE a.account_id = ?1 ORDER BY f.name"
        ))?;
        let rows = st
            .query_map([account.as_str()], folder_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// How many messages an account has stored.
    pub fn message_count(&self, account: &AccountId) -> Result<u64> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM messages INDEXED BY messages_thread
             WHERE account = (SELECT id FROM accounts WHERE account_id = ?1)",
            [account.as_str()],
            |r| r.get::<_, i64>(0),
        )? as u64)
    }

    /// A folder of an account by name.
    pub fn folder_named(&self, account: &AccountId, name: &str) -> Result<Option<FolderRow>> {
        Ok(self
            .folder_states(account)?
            .into_iter()
            .find(|f| f.name == name))
    }

    /// Creates a folder row if it does not exist; updates its name details, never its
    /// sync state (that moves only with [`Store::apply_folder_changes`]).
    pub fn ensure_folder(
        &mut self,
        account: &AccountId,
        name: &str,
        delimiter: &str,
        special_use: &str,
    ) -> Result<FolderId> {
        let tx = self.conn.transaction()?;
        let acc = Self::account_row(&tx, account)?;
        let id = tx.query_row(
            "INSERT INTO folders (account, name, delimiter, special_use) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (account, name) DO UPDATE SET
               delimiter = excluded.delimiter, special_use = excluded.special_use
             RETURNING id",
            params![acc, name, delimiter, special_use],
            |r| r.get(0),
        )?;
        tx.commit()?;
        Ok(FolderId(id))
    }

    /// Deletes a folder the server no longer has, with its messages, index entries and
    /// the blobs only they used.
    pub fn remove_folder(&mut self, folder: FolderId) -> Result<()> {
        let tx = self.conn.transaction()?;
        let ids: Vec<i64> = {
            let mut st = tx.prepare("SELECT id FROM messages WHERE folder = ?1")?;
            st.query_map([folder.0], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?
        };
        let mut doomed = Vec::new();
        for id in ids {
            doomed.extend(delete_row(&tx, id)?);
        }
        tx.execute("DELETE FROM folders WHERE id = ?1", [folder.0])?;
        let unused = unreferenced_pairs(&tx, doomed)?;
        tx.commit()?;
        self.delete_blob_files(unused)
    }

    /// The messages of a folder under `uidvalidity`, by UID.
    pub fn folder_messages(&self, folder: FolderId, uidvalidity: u32) -> Result<Vec<LocalMessage>> {
        let mut st = self.conn.prepare_cached(
            "SELECT id, uid, flags, message_id, body_state, size FROM messages
             WHERE folder = ?1 AND uidvalidity = ?2 ORDER BY uid",
        )?;
        let rows = st
            .query_map(params![folder.0, uidvalidity], local_message)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// The UIDs at or above `from` stored for a folder (a move confirmed by COPYUID is
    /// already here; sync must not fetch it again as new).
    pub fn known_uids_from(
        &self,
        folder: FolderId,
        uidvalidity: u32,
        from: u32,
    ) -> Result<Vec<u32>> {
        let mut st = self.conn.prepare_cached(
            "SELECT uid FROM messages WHERE account = (SELECT account FROM folders WHERE id = ?1)
             AND folder = ?1 AND uidvalidity = ?2 AND uid >= ?3",
        )?;
        let uids = st
            .query_map(params![folder.0, uidvalidity, from], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<u32>>>()?;
        Ok(uids)
    }

    /// Messages of a folder whose raw message is not stored yet, newest first, up to
    /// `limit`, skipping those larger than `max_size` bytes.
    pub fn messages_without_body(
        &self,
        folder: FolderId,
        uidvalidity: u32,
        max_size: u64,
        limit: u32,
    ) -> Result<Vec<LocalMessage>> {
        let mut st = self.conn.prepare_cached(
            "SELECT id, uid, flags, message_id, body_state, size FROM messages
             INDEXED BY messages_needing_body
             WHERE folder = ?1 AND uidvalidity = ?2 AND body_state < 2 AND size <= ?3
             ORDER BY date DESC, id DESC LIMIT ?4",
        )?;
        let rows = st
            .query_map(
                params![folder.0, uidvalidity, max_size as i64, limit],
                local_message,
            )?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// The raw message of a stored message, if downloaded.
    pub fn raw_message(&self, id: MessageRowId) -> Result<Option<zeroize::Zeroizing<Vec<u8>>>> {
        let row: Option<(String, String)> = self
            .conn
            .query_row(
                "SELECT a.account_id, m.raw_blob FROM messages m JOIN accounts a ON a.id = m.account
                 WHERE m.id = ?1",
                [id.0],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((account, blob)) = row else {
            return Err(StoreError::NotFound {
                what: "message",
                id: id.0,
            });
        };
        let (Ok(account), Some(blob)) = (AccountId::new(account), BlobName::parse(&blob)) else {
            return Ok(None);
        };
        Ok(Some(self.blobs(&account).get(&blob)?))
    }

    /// Applies one batch of server changes to a folder and, in the same transaction, the
    /// folder state it leads to: a crash leaves either all of it or none. Returns how
    /// many stored messages the server's expunges removed.
    pub fn apply_folder_changes(
        &mut self,
        folder: FolderId,
        changes: &FolderChanges,
    ) -> Result<u64> {
        let tx = self.conn.transaction()?;
        let uidvalidity: u32 = tx.query_row(
            "SELECT uidvalidity FROM folders WHERE id = ?1",
            [folder.0],
            |r| r.get(0),
        )?;
        let mut doomed = Vec::new();
        let mut removed = 0u64;
        for r in &changes.vanished {
            let ids: Vec<i64> = {
                let mut st = tx.prepare_cached(
                    "SELECT id FROM messages WHERE folder = ?1 AND uidvalidity = ?2
                     AND uid BETWEEN ?3 AND ?4",
                )?;
                st.query_map(params![folder.0, uidvalidity, r.start(), r.end()], |r| {
                    r.get(0)
                })?
                .collect::<rusqlite::Result<_>>()?
            };
            removed += ids.len() as u64;
            for id in ids {
                doomed.extend(delete_row(&tx, id)?);
            }
        }
        for (uid, flags, modseq) in &changes.flags {
            tx.prepare_cached(
                "UPDATE messages SET flags = ?4, modseq = ?5
                 WHERE folder = ?1 AND uidvalidity = ?2 AND uid = ?3",
            )?
            .execute(params![folder.0, uidvalidity, uid, flags.0, *modseq as i64])?;
        }
        let mut fresh = Vec::new();
        for m in &changes.new {
            // A row from an old UIDVALIDITY, or a local move waiting for its UID, with the
            // same Message-ID is the same message: re-key it and keep what was downloaded.
            let adopted: Option<i64> = if m.message_id.is_empty() {
                None
            } else {
                // By (account, message_id): the index that makes this a probe, not a
                // scan of the folder per new message.
                tx.prepare_cached(
                    "SELECT id FROM messages INDEXED BY messages_message_id
                     WHERE account = (SELECT account FROM folders WHERE id = ?1)
                     AND message_id = ?3 AND folder = ?1 AND uidvalidity != ?2 LIMIT 1",
                )?
                .query_row(params![folder.0, m.uidvalidity, m.message_id], |r| r.get(0))
                .optional()?
            };
            match adopted {
                Some(id) => {
                    tx.prepare_cached(
                        "UPDATE messages SET uidvalidity = ?2, uid = ?3, flags = ?4, modseq = ?5
                         WHERE id = ?1",
                    )?
                    .execute(params![
                        id,
                        m.uidvalidity,
                        m.uid,
                        m.flags.0,
                        m.modseq as i64
                    ])?;
                }
                None => fresh.push(m),
            }
        }
        let mut replaced = Vec::new();
        for m in fresh {
            Self::insert_in(&tx, m, &mut replaced)?;
        }
        if changes.drop_stale {
            let pending_ops: i64 = tx.query_row(
                "SELECT count(*) FROM operations o JOIN folders f ON f.account = o.account
                 WHERE f.id = ?1 AND o.state = 'pending'",
                [folder.0],
                |r| r.get(0),
            )?;
            let new_uidvalidity = changes.state.map_or(uidvalidity, |s| s.uidvalidity);
            // Placeholders stay while an operation may still confirm them.
            let ids: Vec<i64> = {
                let mut st = tx.prepare(
                    "SELECT id FROM messages WHERE folder = ?1 AND uidvalidity != ?2
                     AND (uidvalidity != ?3 OR ?4 = 0)",
                )?;
                st.query_map(
                    params![
                        folder.0,
                        new_uidvalidity,
                        PLACEHOLDER_UIDVALIDITY,
                        pending_ops
                    ],
                    |r| r.get(0),
                )?
                .collect::<rusqlite::Result<_>>()?
            };
            for id in ids {
                doomed.extend(delete_row(&tx, id)?);
            }
        }
        if let Some(s) = changes.state {
            tx.execute(
                "UPDATE folders SET uidvalidity = ?2, uidnext = ?3, highestmodseq = ?4 WHERE id = ?1",
                params![folder.0, s.uidvalidity, s.uidnext, s.highestmodseq as i64],
            )?;
        }
        doomed.extend(replaced);
        let unused = unreferenced_pairs(&tx, doomed)?;
        tx.commit()?;
        self.delete_blob_files(unused)?;
        Ok(removed)
    }

    /// Indexes, by their headers, the messages of a folder that have no body and were
    /// stored with [`NewMessage::index_later`]: those over the size cap, or whose download
    /// did not happen. Returns how many.
    pub fn index_unindexed_headers(&mut self, folder: FolderId) -> Result<u64> {
        let n = self.conn.execute(
            "INSERT INTO messages_fts (rowid, subject, from_text, to_text, body, attachment_names)
             SELECT m.fts_key, heron_index_text(m.subject),
                    heron_index_text(m.from_name || ' ' || m.from_addr),
                    heron_index_text(m.to_text || ' ' || m.cc_text), '',
                    heron_index_text((SELECT group_concat(a.name, char(10))
                                      FROM attachments a WHERE a.message = m.id))
             FROM messages m INDEXED BY messages_needing_body
             WHERE m.folder = ?1 AND m.body_state < 2
               AND NOT EXISTS (SELECT 1 FROM messages_fts f WHERE f.rowid = m.fts_key)",
            [folder.0],
        )?;
        Ok(n as u64)
    }

    /// Records a new UIDVALIDITY for a folder: its rows keep the old one (so they can be
    /// re-matched by Message-ID) and its sync position restarts.
    pub fn reset_folder(&mut self, folder: FolderId, uidvalidity: u32) -> Result<()> {
        self.conn.execute(
            "UPDATE folders SET uidvalidity = ?2, uidnext = 0, highestmodseq = 0 WHERE id = ?1",
            params![folder.0, uidvalidity],
        )?;
        Ok(())
    }

    /// Forgets a folder's mod-sequence so the next sync compares every flag (after the
    /// server refused a change that was already shown locally).
    pub fn forget_modseq(&mut self, folder: FolderId) -> Result<()> {
        self.conn.execute(
            "UPDATE folders SET highestmodseq = 0 WHERE id = ?1",
            [folder.0],
        )?;
        Ok(())
    }

    /// Stores downloaded bodies: each message is replaced as a whole (list fields, text,
    /// attachments, raw blob) under its existing id, in one transaction.
    ///
    /// Flags stay as stored: they are the server's as of the last sync plus what the user
    /// changed since (still in the operation log), which the download must not undo.
    pub fn store_bodies(&mut self, mut msgs: Vec<NewMessage>) -> Result<()> {
        {
            let mut st = self.conn.prepare_cached(
                "SELECT flags FROM messages WHERE folder = ?1 AND uidvalidity = ?2 AND uid = ?3",
            )?;
            for m in &mut msgs {
                let folder = m.folder.map_or(0, |f| f.0);
                if let Some(flags) = st
                    .query_row(params![folder, m.uidvalidity, m.uid], |r| r.get(0))
                    .optional()?
                {
                    m.flags = Flags(flags);
                }
            }
        }
        // The rows being replaced were stored from headers alone, and the new rows carry
        // the same headers plus the body: every token of the old index entry is in the
        // new one, so nothing that secure-delete protects can be left behind. Without it
        // a replacement appends a delete marker instead of seeking out each old token,
        // which was most of the time of a first sync.
        self.conn.execute(
            "INSERT INTO messages_fts (messages_fts, rank) VALUES ('secure-delete', 0)",
            [],
        )?;
        let result = self.insert_messages(&msgs).map(|_| ());
        self.conn.execute(
            "INSERT INTO messages_fts (messages_fts, rank) VALUES ('secure-delete', 1)",
            [],
        )?;
        result
    }

    /// Writes an operation and its local effect in one durable transaction, so the user
    /// sees the change at once and it survives any crash until the server has it.
    pub fn enqueue_with_change(
        &mut self,
        account: &AccountId,
        kind: &str,
        payload: &str,
        change: &LocalChange,
    ) -> Result<i64> {
        let (id, doomed) = self.durable(|tx| {
            let acc = Self::account_row(tx, account)?;
            let id: i64 = tx.query_row(
                "INSERT INTO operations (account, kind, payload, created)
                 VALUES (?1, ?2, ?3, unixepoch()) RETURNING id",
                params![acc, kind, payload],
                |r| r.get(0),
            )?;
            let mut doomed = Vec::new();
            match change {
                LocalChange::Flags { ids, add, remove } => {
                    for m in ids {
                        tx.prepare_cached(
                            "UPDATE messages SET flags = (flags | ?2) & ~?3 WHERE id = ?1",
                        )?
                        .execute(params![m.0, add.0, remove.0])?;
                    }
                }
                LocalChange::MoveTo { ids, folder } => {
                    for m in ids {
                        tx.prepare_cached(
                            "UPDATE messages SET folder = ?2, uidvalidity = ?3, uid = ?1 WHERE id = ?1",
                        )?
                        .execute(params![m.0, folder.0, PLACEHOLDER_UIDVALIDITY])?;
                    }
                }
                LocalChange::Remove { ids } => {
                    for m in ids {
                        doomed.extend(delete_row(tx, m.0)?);
                    }
                }
            }
            let unused = unreferenced_pairs(tx, doomed)?;
            Ok((id, unused))
        })?;
        self.delete_blob_files(doomed)?;
        Ok(id)
    }

    /// The pending operations of an account, oldest first.
    pub fn pending_operations(&self, account: &AccountId) -> Result<Vec<OperationRow>> {
        let mut st = self.conn.prepare(
            "SELECT o.id, o.kind, o.payload, o.attempts, o.not_before FROM operations o
             JOIN accounts a ON a.id = o.account
             WHERE a.account_id = ?1 AND o.state = 'pending' ORDER BY o.id",
        )?;
        let rows = st
            .query_map([account.as_str()], |r| {
                Ok(OperationRow {
                    id: r.get(0)?,
                    kind: r.get(1)?,
                    payload: r.get(2)?,
                    attempts: r.get(3)?,
                    not_before: r.get(4)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Marks an operation done (`error` empty) or failed for good (with the server's
    /// words, for the UI), durably.
    pub fn finish_operation(&mut self, id: i64, error: &str) -> Result<()> {
        let state = if error.is_empty() { "done" } else { "failed" };
        self.durable(|tx| {
            tx.execute(
                "UPDATE operations SET state = ?2, error = ?3 WHERE id = ?1",
                params![id, state, error],
            )?;
            Ok(())
        })
    }

    /// Records a failed attempt and when to try again.
    pub fn retry_operation_later(&mut self, id: i64, not_before: i64, error: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE operations SET attempts = attempts + 1, not_before = ?2, error = ?3 WHERE id = ?1",
            params![id, not_before, error],
        )?;
        Ok(())
    }

    /// Gives a message moved locally its UID in the target folder (from COPYUID).
    pub fn confirm_moved(&mut self, id: MessageRowId, uidvalidity: u32, uid: u32) -> Result<()> {
        // A sync may have fetched the moved copy already; then the placeholder is the
        // duplicate and goes.
        let tx = self.conn.transaction()?;
        let folder: Option<i64> = tx
            .query_row(
                "SELECT folder FROM messages WHERE id = ?1 AND uidvalidity = ?2",
                params![id.0, PLACEHOLDER_UIDVALIDITY],
                |r| r.get(0),
            )
            .optional()?;
        let mut doomed = Vec::new();
        if let Some(folder) = folder {
            let exists: bool = tx
                .prepare_cached(
                    "SELECT 1 FROM messages WHERE folder = ?1 AND uidvalidity = ?2 AND uid = ?3",
                )?
                .exists(params![folder, uidvalidity, uid])?;
            if exists {
                doomed.extend(delete_row(&tx, id.0)?);
            } else {
                tx.execute(
                    "UPDATE messages SET uidvalidity = ?2, uid = ?3 WHERE id = ?1",
                    params![id.0, uidvalidity, uid],
                )?;
            }
        }
        let unused = unreferenced_pairs(&tx, doomed)?;
        tx.commit()?;
        self.delete_blob_files(unused)
    }

    pub(crate) fn delete_blob_files(&self, blobs: Vec<(String, String)>) -> Result<()> {
        for (account, blob) in blobs {
            if let (Ok(account), Some(name)) = (AccountId::new(account), BlobName::parse(&blob)) {
                self.blobs(&account).delete(&name)?;
            }
        }
        Ok(())
    }
}

/// A [`LocalMessage`] from `id, uid, flags, message_id, body_state, size`.
fn local_message(r: &rusqlite::Row<'_>) -> rusqlite::Result<LocalMessage> {
    Ok(LocalMessage {
        id: MessageRowId(r.get(0)?),
        uid: r.get(1)?,
        flags: Flags(r.get(2)?),
        message_id: r.get(3)?,
        has_body: r.get::<_, i64>(4)? == 2,
        size: r.get::<_, i64>(5)? as u64,
    })
}

/// A folder row from `id, name, delimiter, special_use, uidvalidity, uidnext,
/// highestmodseq[, total, unread]` (the counts are 0 when the query leaves them out).
fn folder_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<FolderRow> {
    let count = |i: usize| -> rusqlite::Result<u64> {
        Ok(r.get::<_, Option<i64>>(i).unwrap_or(None).unwrap_or(0) as u64)
    };
    Ok(FolderRow {
        id: FolderId(r.get(0)?),
        name: r.get(1)?,
        delimiter: r.get(2)?,
        special_use: r.get(3)?,
        uidvalidity: r.get(4)?,
        uidnext: r.get(5)?,
        highestmodseq: r.get::<_, i64>(6)? as u64,
        total: count(7)?,
        unread: count(8)?,
    })
}

/// Deletes one message row with its index entry and attachment rows; returns the
/// (account, blob) pairs it referenced, for [`unreferenced_pairs`].
fn delete_row(tx: &Transaction<'_>, id: i64) -> Result<Vec<(String, String)>> {
    let row: Option<(String, String, i64)> = tx
        .prepare_cached(
            "SELECT a.account_id, m.raw_blob, m.fts_key FROM messages m
             JOIN accounts a ON a.id = m.account WHERE m.id = ?1",
        )?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    let Some((account, raw, fts_key)) = row else {
        return Ok(Vec::new());
    };
    let mut blobs: Vec<(String, String)> = {
        let mut st =
            tx.prepare_cached("SELECT blob FROM attachments WHERE message = ?1 AND blob != ''")?;
        st.query_map([id], |r| Ok((account.clone(), r.get::<_, String>(0)?)))?
            .collect::<rusqlite::Result<_>>()?
    };
    if !raw.is_empty() {
        blobs.push((account, raw));
    }
    tx.prepare_cached("DELETE FROM messages_fts WHERE rowid = ?1")?
        .execute([fts_key])?;
    tx.prepare_cached("DELETE FROM messages WHERE id = ?1")?
        .execute([id])?;
    Ok(blobs)
}

/// The pairs whose blob no row uses any more.
fn unreferenced_pairs(
    tx: &Transaction<'_>,
    pairs: Vec<(String, String)>,
) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for (account, blob) in pairs {
        if !unreferenced(tx, std::slice::from_ref(&blob))?.is_empty() {
            out.push((account, blob));
        }
    }
    Ok(out)
}

/// Where a message is, as the operation log records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageLocation {
    /// Row id.
    pub id: MessageRowId,
    /// Account id.
    pub account: String,
    /// Folder row.
    pub folder: FolderId,
    /// Folder name.
    pub folder_name: String,
    /// Folder special use.
    pub special_use: String,
    /// UIDVALIDITY of the UID ([`PLACEHOLDER_UIDVALIDITY`] for an unconfirmed move).
    pub uidvalidity: u32,
    /// UID.
    pub uid: u32,
    /// Message-ID.
    pub message_id: String,
    /// Flags.
    pub flags: Flags,
}

impl Store {
    /// Where a message is now.
    pub fn message_location(&self, id: MessageRowId) -> Result<Option<MessageLocation>> {
        Ok(self
            .conn
            .query_row(
                "SELECT m.id, m.folder, f.name, f.special_use, m.uidvalidity, m.uid,
                        m.message_id, m.flags, a.account_id
                 FROM messages m JOIN folders f ON f.id = m.folder
                 JOIN accounts a ON a.id = m.account WHERE m.id = ?1",
                [id.0],
                |r| {
                    Ok(MessageLocation {
                        id: MessageRowId(r.get(0)?),
                        folder: FolderId(r.get(1)?),
                        folder_name: r.get(2)?,
                        special_use: r.get(3)?,
                        uidvalidity: r.get(4)?,
                        uid: r.get(5)?,
                        message_id: r.get(6)?,
                        flags: Flags(r.get(7)?),
                        account: r.get(8)?,
                    })
                },
            )
            .optional()?)
    }
}
