//! The operation log: what the user does to mail (flag, move, delete) is written to the
//! store first, shown at once, and replayed in order against the server until it is
//! done. Each entry records the server's identity of its messages (folder, UIDVALIDITY,
//! UID) and their Message-IDs, so a renumbered folder or a lost reply is resolved by
//! looking the message up instead of guessing.
//!
//! Conflicts follow the server: a message another client expunged stays expunged.

use std::collections::{BTreeMap, HashSet};

use heron_imap::{FetchItems, FlagChange, ImapError, ImapSession, SearchKey, UidRange};
use heron_model::AccountId;
use heron_store::{
    Flags, LocalChange, MessageLocation, MessageRowId, PLACEHOLDER_UIDVALIDITY, Store,
};
use serde::{Deserialize, Serialize};

use crate::error::{Result, SyncError};
use crate::flags::imap_flags;

/// One message an operation is about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    /// Its row in the store.
    pub id: i64,
    /// Its UID when the operation was made.
    pub uid: u32,
    /// Its Message-ID, to find it again.
    pub message_id: String,
}

/// An operation as written to the log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Operation {
    /// Set and clear flags.
    Flags {
        /// Folder name.
        folder: String,
        /// UIDVALIDITY the UIDs belong to.
        uidvalidity: u32,
        /// Messages.
        items: Vec<Item>,
        /// Flags to set (bitmask).
        add: u32,
        /// Flags to clear (bitmask).
        remove: u32,
    },
    /// Move to another folder.
    Move {
        /// Source folder.
        from: String,
        /// UIDVALIDITY the UIDs belong to.
        uidvalidity: u32,
        /// Target folder.
        to: String,
        /// Messages.
        items: Vec<Item>,
    },
    /// Delete for good (\Deleted and UID EXPUNGE of exactly these UIDs).
    Expunge {
        /// Folder name.
        folder: String,
        /// UIDVALIDITY the UIDs belong to.
        uidvalidity: u32,
        /// Messages.
        items: Vec<Item>,
    },
    /// File a sent message in the Sent folder, unless a copy with its Message-ID is
    /// already there (an earlier attempt whose answer was lost).
    SentCopy {
        /// The outbox entry holding the message.
        outbox: i64,
        /// The Sent folder.
        folder: String,
        /// Its Message-ID.
        message_id: String,
    },
    /// Put the latest version of a draft in the Drafts folder: APPEND it, then remove
    /// the older versions (same Message-ID) with UID EXPUNGE of exactly their UIDs.
    UploadDraft {
        /// The draft's row.
        draft: i64,
        /// The Drafts folder.
        folder: String,
    },
    /// Remove every server copy of a draft (sent or discarded).
    DiscardDraft {
        /// The Drafts folder.
        folder: String,
        /// The draft's Message-ID.
        message_id: String,
    },
}

impl Operation {
    /// The kind column of the operation log.
    pub fn kind(&self) -> &'static str {
        match self {
            Operation::Flags { .. } => "flags",
            Operation::Move { .. } => "move",
            Operation::Expunge { .. } => "expunge",
            Operation::SentCopy { .. } => "sent_copy",
            Operation::UploadDraft { .. } => "upload_draft",
            Operation::DiscardDraft { .. } => "discard_draft",
        }
    }

    /// The payload column of the operation log.
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string(self)
            .map_err(|e| SyncError::Config(format!("Cannot record the operation: {e}")))
    }

    fn folder(&self) -> &str {
        match self {
            Operation::Flags { folder, .. }
            | Operation::Expunge { folder, .. }
            | Operation::SentCopy { folder, .. }
            | Operation::UploadDraft { folder, .. }
            | Operation::DiscardDraft { folder, .. } => folder,
            Operation::Move { from, .. } => from,
        }
    }
}

fn locate(store: &Store, ids: &[MessageRowId]) -> Result<BTreeMap<String, Vec<MessageLocation>>> {
    let mut by_folder: BTreeMap<String, Vec<MessageLocation>> = BTreeMap::new();
    for id in ids {
        let loc = store
            .message_location(*id)?
            .ok_or(SyncError::UnknownMessage(id.0))?;
        by_folder
            .entry(loc.folder_name.clone())
            .or_default()
            .push(loc);
    }
    Ok(by_folder)
}

fn items(locs: &[MessageLocation]) -> Vec<Item> {
    locs.iter()
        .map(|l| Item {
            id: l.id.0,
            uid: l.uid,
            message_id: l.message_id.clone(),
        })
        .collect()
}

/// The UIDVALIDITY an operation records for messages in one folder: the placeholder
/// when any of them still waits for its UID (then all are found by Message-ID).
fn recorded_uidvalidity(locs: &[MessageLocation]) -> u32 {
    if locs
        .iter()
        .any(|l| l.uidvalidity == PLACEHOLDER_UIDVALIDITY)
    {
        PLACEHOLDER_UIDVALIDITY
    } else {
        locs.first()
            .map_or(PLACEHOLDER_UIDVALIDITY, |l| l.uidvalidity)
    }
}

fn enqueue(
    store: &mut Store,
    account: &AccountId,
    op: &Operation,
    change: &LocalChange,
) -> Result<i64> {
    Ok(store.enqueue_with_change(account, op.kind(), &op.to_json()?, change)?)
}

/// Sets and clears flags on messages; returns the operation ids.
pub fn set_flags(
    store: &mut Store,
    account: &AccountId,
    ids: &[MessageRowId],
    add: Flags,
    remove: Flags,
) -> Result<Vec<i64>> {
    let mut out = Vec::new();
    for (folder, locs) in locate(store, ids)? {
        let op = Operation::Flags {
            folder,
            uidvalidity: recorded_uidvalidity(&locs),
            items: items(&locs),
            add: add.0,
            remove: remove.0,
        };
        let change = LocalChange::Flags {
            ids: locs.iter().map(|l| l.id).collect(),
            add,
            remove,
        };
        out.push(enqueue(store, account, &op, &change)?);
    }
    Ok(out)
}

/// Moves messages to the folder named `target`; returns the operation ids.
pub fn move_messages(
    store: &mut Store,
    account: &AccountId,
    ids: &[MessageRowId],
    target: &str,
) -> Result<Vec<i64>> {
    let target_row = store.folder_named(account, target)?.ok_or_else(|| {
        SyncError::Config(format!("There is no folder named {target:?} in {account}"))
    })?;
    let mut out = Vec::new();
    for (folder, locs) in locate(store, ids)? {
        if folder == target {
            continue;
        }
        let op = Operation::Move {
            from: folder,
            uidvalidity: recorded_uidvalidity(&locs),
            to: target.to_owned(),
            items: items(&locs),
        };
        let change = LocalChange::MoveTo {
            ids: locs.iter().map(|l| l.id).collect(),
            folder: target_row.id,
        };
        out.push(enqueue(store, account, &op, &change)?);
    }
    Ok(out)
}

/// Deletes messages: to the Trash folder, or for good when they are in Trash already
/// (or the account has none); returns the operation ids.
pub fn delete_messages(
    store: &mut Store,
    account: &AccountId,
    ids: &[MessageRowId],
) -> Result<Vec<i64>> {
    let trash = store
        .folders(account)?
        .into_iter()
        .find(|f| f.special_use.eq_ignore_ascii_case("\\Trash"));
    let mut out = Vec::new();
    for (folder, locs) in locate(store, ids)? {
        match &trash {
            Some(t) if t.name != folder => {
                let ids: Vec<MessageRowId> = locs.iter().map(|l| l.id).collect();
                out.extend(move_messages(store, account, &ids, &t.name)?);
            }
            _ => {
                let op = Operation::Expunge {
                    folder,
                    uidvalidity: recorded_uidvalidity(&locs),
                    items: items(&locs),
                };
                let change = LocalChange::Remove {
                    ids: locs.iter().map(|l| l.id).collect(),
                };
                out.push(enqueue(store, account, &op, &change)?);
            }
        }
    }
    Ok(out)
}

/// Queues uploading a draft's latest version to the server's Drafts folder, unless an
/// upload of it is already waiting (autosave every few seconds must not pile up one
/// operation per save: the waiting one uploads whatever is newest when it runs).
pub fn upload_draft(
    store: &mut Store,
    account: &AccountId,
    draft: i64,
    folder: &str,
) -> Result<()> {
    let op = Operation::UploadDraft {
        draft,
        folder: folder.to_owned(),
    };
    let waiting = store.pending_operations(account)?.into_iter().any(|row| {
        row.kind == op.kind()
            && serde_json::from_str::<Operation>(&row.payload)
                .is_ok_and(|o| matches!(o, Operation::UploadDraft { draft: d, .. } if d == draft))
    });
    if !waiting {
        store.enqueue_operation(account, op.kind(), &op.to_json()?)?;
    }
    Ok(())
}

/// Queues removing a discarded draft's server copies.
pub fn discard_draft(
    store: &mut Store,
    account: &AccountId,
    message_id: &str,
    folder: &str,
) -> Result<()> {
    let op = Operation::DiscardDraft {
        folder: folder.to_owned(),
        message_id: message_id.to_owned(),
    };
    store.enqueue_operation(account, op.kind(), &op.to_json()?)?;
    Ok(())
}

/// Seconds to wait before the next attempt: doubling from 5 s, at most 15 minutes.
pub fn backoff_seconds(attempts: u32) -> i64 {
    (5i64 << attempts.min(10)).min(15 * 60)
}

/// Connects, replays the account's pending operations and logs out: for work that
/// must reach the server without a whole sync (the Sent copy right after sending).
pub async fn replay_pending(
    store: &mut Store,
    account: &AccountId,
    connect: &heron_imap::ConnectOptions,
    now: i64,
) -> Result<u64> {
    let mut session = heron_imap::connect(connect).await?;
    let done = replay(&mut session, store, account, now).await;
    session.logout().await;
    done
}

/// Replays the account's pending operations in order. Stops at the first one that must
/// wait (backoff) or fails for a network reason (it is retried later); one the server
/// refuses is marked failed, with the server's words, and its folder is compared in full
/// at the next sync so the local view returns to the server's truth.
pub async fn replay(
    session: &mut ImapSession,
    store: &mut Store,
    account: &AccountId,
    now: i64,
) -> Result<u64> {
    let mut done = 0;
    for row in store.pending_operations(account)? {
        if row.not_before > now {
            break;
        }
        let op: Operation = match serde_json::from_str(&row.payload) {
            Ok(op) => op,
            Err(e) => {
                store.finish_operation(row.id, &format!("Unreadable operation: {e}"))?;
                continue;
            }
        };
        match apply(session, store, &op).await {
            Ok(()) => {
                store.finish_operation(row.id, "")?;
                done += 1;
            }
            Err(e) if e.is_transient() => {
                store.retry_operation_later(
                    row.id,
                    now + backoff_seconds(row.attempts),
                    &e.to_string(),
                )?;
                return Err(e);
            }
            Err(e @ SyncError::Store(_)) => return Err(e),
            Err(e) => {
                store.finish_operation(row.id, &e.to_string())?;
                if let Some(f) = store.folder_named(account, op.folder())? {
                    store.forget_modseq(f.id)?;
                }
            }
        }
    }
    Ok(done)
}

/// Finds the current UIDs of `items` in the selected folder: as recorded when the
/// folder was not renumbered, else by Message-ID. Items not found are left out.
async fn resolve(
    session: &mut ImapSession,
    selected_uidvalidity: u32,
    recorded_uidvalidity: u32,
    items: &[Item],
) -> Result<Vec<(Item, u32)>> {
    let mut out = Vec::new();
    if recorded_uidvalidity != PLACEHOLDER_UIDVALIDITY
        && recorded_uidvalidity == selected_uidvalidity
    {
        let uids: Vec<u32> = items.iter().map(|i| i.uid).collect();
        let present = present_uids(session, &uids).await?;
        out.extend(
            items
                .iter()
                .filter(|i| present.contains(&i.uid))
                .map(|i| (i.clone(), i.uid)),
        );
        return Ok(out);
    }
    for item in items {
        if let Some(uid) = find_by_message_id(session, &item.message_id).await? {
            out.push((item.clone(), uid));
        }
    }
    Ok(out)
}

async fn present_uids(session: &mut ImapSession, uids: &[u32]) -> Result<HashSet<u32>> {
    let mut present = HashSet::new();
    if uids.is_empty() {
        return Ok(present);
    }
    session
        .uid_fetch(
            &UidRange::Set(uids.to_vec()),
            FetchItems::default(),
            None,
            |f| {
                present.insert(f.uid);
                Ok(())
            },
        )
        .await?;
    Ok(present)
}

async fn find_by_message_id(session: &mut ImapSession, message_id: &str) -> Result<Option<u32>> {
    if message_id.is_empty() {
        return Ok(None);
    }
    let found = session
        .uid_search(&SearchKey::MessageId(message_id.to_owned()))
        .await?;
    Ok(found.last().copied())
}

/// Selects `folder` and returns the UIDs `items` have there now.
async fn current_uids(
    session: &mut ImapSession,
    folder: &str,
    recorded_uidvalidity: u32,
    items: &[Item],
) -> Result<Vec<u32>> {
    let sel = session.select(folder, None).await?;
    let found = resolve(session, sel.uidvalidity, recorded_uidvalidity, items).await?;
    Ok(found.iter().map(|(_, u)| *u).collect())
}

async fn apply(session: &mut ImapSession, store: &mut Store, op: &Operation) -> Result<()> {
    match op {
        Operation::Flags {
            folder,
            uidvalidity,
            items,
            add,
            remove,
        } => {
            let uids = current_uids(session, folder, *uidvalidity, items).await?;
            if uids.is_empty() {
                return Ok(());
            }
            let add = imap_flags(Flags(*add));
            let remove = imap_flags(Flags(*remove));
            if !add.is_empty() {
                session.uid_store(&uids, FlagChange::Add, &add).await?;
            }
            if !remove.is_empty() {
                session
                    .uid_store(&uids, FlagChange::Remove, &remove)
                    .await?;
            }
            Ok(())
        }
        Operation::Expunge {
            folder,
            uidvalidity,
            items,
        } => {
            let uids = current_uids(session, folder, *uidvalidity, items).await?;
            if uids.is_empty() {
                return Ok(());
            }
            session
                .uid_store(&uids, FlagChange::Add, &["\\Deleted"])
                .await?;
            // Without UIDPLUS the messages stay marked \Deleted: a bare EXPUNGE would
            // also remove what other clients only marked.
            if session.has("UIDPLUS") {
                session.uid_expunge(&uids).await?;
            }
            Ok(())
        }
        Operation::SentCopy {
            outbox,
            folder,
            message_id,
        } => {
            let Some(item) = store.outgoing(*outbox)? else {
                return Ok(());
            };
            select_or_create(session, folder).await?;
            let present = session
                .uid_search(&SearchKey::MessageId(message_id.clone()))
                .await?;
            if present.is_empty() {
                let raw = store.blobs(&item.account).get(&item.raw_blob)?;
                session.append(folder, &["\\Seen"], &raw).await?;
            }
            store.forget_sent(*outbox)?;
            Ok(())
        }
        Operation::UploadDraft { draft, folder } => {
            let Some(d) = store.draft(*draft)? else {
                // Sent or discarded since: DiscardDraft cleans the server up.
                return Ok(());
            };
            let Some(blob) = d.raw_blob.as_ref() else {
                return Ok(());
            };
            if d.version <= d.synced_version {
                return Ok(());
            }
            let raw = store.blobs(&d.account).get(blob)?;
            select_or_create(session, folder).await?;
            let older = session
                .uid_search(&SearchKey::MessageId(d.message_id.clone()))
                .await?;
            let appended = session.append(folder, &["\\Draft", "\\Seen"], &raw).await?;
            let older: Vec<u32> = older
                .into_iter()
                .filter(|u| appended.is_none_or(|(_, new)| new != *u))
                .collect();
            remove_exactly(session, &older).await?;
            store.mark_draft_uploaded(d.id, d.version)?;
            Ok(())
        }
        Operation::DiscardDraft { folder, message_id } => {
            match session.select(folder, None).await {
                Ok(_) => {}
                // No Drafts folder: nothing to remove.
                Err(ImapError::Refused { .. }) => return Ok(()),
                Err(e) => return Err(e.into()),
            }
            let uids = session
                .uid_search(&SearchKey::MessageId(message_id.clone()))
                .await?;
            remove_exactly(session, &uids).await
        }
        Operation::Move {
            from,
            uidvalidity,
            to,
            items,
        } => {
            let sel = session.select(from, None).await?;
            let found = resolve(session, sel.uidvalidity, *uidvalidity, items).await?;
            let mut confirmed: HashSet<i64> = HashSet::new();
            if !found.is_empty() {
                let uids: Vec<u32> = found.iter().map(|(_, u)| *u).collect();
                if let Some(copy) = session.uid_move(&uids, to).await? {
                    for (src, dst) in copy.source.iter().zip(copy.target.iter()) {
                        if let Some((item, _)) = found.iter().find(|(_, u)| u == src) {
                            store.confirm_moved(MessageRowId(item.id), copy.uidvalidity, *dst)?;
                            confirmed.insert(item.id);
                        }
                    }
                }
            }
            if confirmed.len() == items.len() {
                return Ok(());
            }
            // Not in the source (an earlier attempt moved them and its reply was lost,
            // or another client deleted them), or no COPYUID: look in the target.
            let moved_now: HashSet<i64> = found.iter().map(|(i, _)| i.id).collect();
            let target = session.select(to, None).await?;
            for item in items.iter().filter(|i| !confirmed.contains(&i.id)) {
                match find_by_message_id(session, &item.message_id).await? {
                    Some(uid) => {
                        store.confirm_moved(MessageRowId(item.id), target.uidvalidity, uid)?
                    }
                    None if !moved_now.contains(&item.id) => {
                        // Expunged on the server: the server wins.
                        match store.delete_message(MessageRowId(item.id)) {
                            Ok(()) | Err(heron_store::StoreError::NotFound { .. }) => {}
                            Err(e) => return Err(e.into()),
                        }
                    }
                    // Moved but not findable (no Message-ID): the next sync of the
                    // target brings it in; the placeholder goes with that sync.
                    None => {}
                }
            }
            Ok(())
        }
    }
}

/// Selects `folder`, creating it first when the server says it does not exist.
async fn select_or_create(session: &mut ImapSession, folder: &str) -> Result<()> {
    match session.select(folder, None).await {
        Ok(_) => Ok(()),
        Err(ImapError::Refused { .. }) => {
            session.create(folder).await?;
            session.select(folder, None).await?;
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

/// Marks exactly `uids` of the selected folder deleted and expunges exactly them
/// (UIDPLUS); without UIDPLUS they stay marked, since a bare EXPUNGE would also remove
/// what other clients only marked.
async fn remove_exactly(session: &mut ImapSession, uids: &[u32]) -> Result<()> {
    if uids.is_empty() {
        return Ok(());
    }
    session
        .uid_store(uids, FlagChange::Add, &["\\Deleted"])
        .await?;
    if session.has("UIDPLUS") {
        session.uid_expunge(uids).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff_seconds(0), 5);
        assert_eq!(backoff_seconds(1), 10);
        assert_eq!(backoff_seconds(3), 40);
        assert_eq!(backoff_seconds(30), 900);
    }

    #[test]
    fn operations_are_stored_as_tagged_json() {
        let op = Operation::Move {
            from: "INBOX".into(),
            uidvalidity: 7,
            to: "Archive".into(),
            items: vec![Item {
                id: 1,
                uid: 42,
                message_id: "a@b".into(),
            }],
        };
        let json = serde_json::to_string(&op).unwrap();
        assert!(json.starts_with(r#"{"kind":"move""#), "{json}");
        assert_eq!(serde_json::from_str::<Operation>(&json).unwrap(), op);
    }
}
