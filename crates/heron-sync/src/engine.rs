//! One account's sync: replay the operation log, list folders, bring each folder's
//! headers up to date (newest first, committed batch by batch, so the list is usable at
//! once), then download bodies newest first, each parsed and indexed in the same
//! transaction that stores it.
//!
//! Resync is cheap when the server has QRESYNC: one SELECT per folder tells what
//! vanished and what changed since the stored HIGHESTMODSEQ, and an unchanged folder
//! costs that one round and no write. Without it, UIDs and flags are compared in full.

use std::collections::{BTreeMap, HashSet};
use std::time::Instant;

use heron_imap::{
    ConnectOptions, FetchItems, Fetched, ImapSession, KnownState, MailboxListing, SpecialUse,
    UidRange,
};
use heron_mime::{IndexFields, index_fields};
use heron_model::AccountId;
use heron_store::{FolderChanges, FolderRow, FolderState, NewAttachment, NewMessage, Store};
use serde::Serialize;
use tokio::sync::broadcast;

use crate::error::Result;
use crate::flags::flags_from_imap;
use crate::oplog;

/// Tuning and limits of a sync.
#[derive(Clone, Debug)]
pub struct SyncOptions {
    /// Headers fetched and committed per batch.
    pub header_batch: u32,
    /// Bodies fetched and committed per batch, at most.
    pub body_batch: usize,
    /// Bytes of bodies per batch, at most (a batch holds at least one message).
    pub body_batch_bytes: u64,
    /// Bodies larger than this are left on the server until opened.
    pub max_body_bytes: u64,
    /// Whether to download bodies at all.
    pub bodies: bool,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            header_batch: 1000,
            // Bounded by bytes too, so messages with big attachments are held in memory
            // only a few at a time. (1,000 per batch measured slower: 12 s vs 9-12 s
            // at 10,000 messages, mostly in the kernel.)
            body_batch: 250,
            body_batch_bytes: 32 * 1024 * 1024,
            max_body_bytes: 50 * 1024 * 1024,
            bodies: true,
        }
    }
}

/// Which part of a sync an event is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Headers (the list).
    Headers,
    /// Bodies (reading and search).
    Bodies,
}

/// What the UI hears while an account syncs.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SyncEvent {
    /// Progress in a folder.
    Progress {
        /// Account.
        account: String,
        /// Folder.
        folder: String,
        /// Phase.
        phase: Phase,
        /// Messages done in this phase of the folder.
        done: u64,
        /// Messages to do in this phase of the folder.
        total: u64,
        /// Bytes downloaded so far in this sync.
        bytes: u64,
    },
    /// New messages arrived in a folder.
    NewMail {
        /// Account.
        account: String,
        /// Folder.
        folder: String,
        /// How many.
        count: u64,
    },
}

/// What one sync of an account did.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SyncReport {
    /// Account (not serialised: the caller's envelope names it).
    #[serde(skip_serializing)]
    pub account: String,
    /// Folders on the server.
    pub folders: u64,
    /// Messages in the store after the sync.
    pub messages: u64,
    /// Messages new in this sync.
    pub new_messages: u64,
    /// Messages removed because the server no longer has them.
    pub removed_messages: u64,
    /// Bodies downloaded.
    pub bodies: u64,
    /// Bytes downloaded.
    pub bytes: u64,
    /// Operations replayed to the server.
    pub operations: u64,
    /// Wall time.
    pub seconds: f64,
}

/// Syncs one account once: connects, replays the operation log, syncs every folder.
pub async fn sync_account(
    store: &mut Store,
    account: &AccountId,
    connect: &ConnectOptions,
    options: &SyncOptions,
    events: Option<&broadcast::Sender<SyncEvent>>,
) -> Result<SyncReport> {
    let started = Instant::now();
    let mut session = heron_imap::connect(connect).await?;
    let mut run = AccountSync {
        store,
        account,
        options,
        events,
        report: SyncReport {
            account: account.to_string(),
            ..SyncReport::default()
        },
    };
    let result = run.all(&mut session).await;
    let mut report = run.report;
    if result.is_ok() {
        session.logout().await;
    }
    result?;
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// Sync order: the inbox first (what people look at), then the special folders, then
/// the rest by name.
fn folder_rank(f: &MailboxListing) -> (u8, String) {
    let rank = match f.special_use {
        Some(SpecialUse::Inbox) => 0,
        Some(SpecialUse::Sent | SpecialUse::Drafts) => 1,
        Some(_) => 2,
        None => 3,
    };
    (rank, f.name.clone())
}

struct AccountSync<'a> {
    store: &'a mut Store,
    account: &'a AccountId,
    options: &'a SyncOptions,
    events: Option<&'a broadcast::Sender<SyncEvent>>,
    report: SyncReport,
}

impl AccountSync<'_> {
    fn emit(&self, event: SyncEvent) {
        if let Some(tx) = self.events {
            // No listener is fine; a slow one learns it lagged from the channel.
            let _ = tx.send(event);
        }
    }

    async fn all(&mut self, session: &mut ImapSession) -> Result<()> {
        self.report.operations = oplog::replay(session, self.store, self.account, now()).await?;

        let mut listing: Vec<MailboxListing> = session
            .list()
            .await?
            .into_iter()
            .filter(|m| m.selectable)
            .collect();
        listing.sort_by_key(folder_rank);
        if !listing
            .iter()
            .any(|m| m.special_use == Some(SpecialUse::Inbox))
        {
            // Every IMAP server has an INBOX; a listing without one is broken, and
            // taking it at its word would delete every local folder.
            return Err(heron_imap::ImapError::Protocol {
                command: "LIST".to_owned(),
                detail: "the server listed no INBOX; nothing was changed locally".to_owned(),
            }
            .into());
        }
        self.report.folders = listing.len() as u64;
        let on_server: HashSet<&str> = listing.iter().map(|m| m.name.as_str()).collect();
        let mut stored: BTreeMap<String, FolderRow> = BTreeMap::new();
        for local in self.store.folder_states(self.account)? {
            if on_server.contains(local.name.as_str()) {
                stored.insert(local.name.clone(), local);
            } else {
                self.store.remove_folder(local.id)?;
            }
        }
        let mut changed = false;
        for m in &listing {
            let delimiter = m.delimiter.as_deref().unwrap_or_default();
            let special_use = m.special_use.map(SpecialUse::as_str).unwrap_or_default();
            let same = stored
                .get(&m.name)
                .is_some_and(|f| f.delimiter == delimiter && f.special_use == special_use);
            if !same {
                self.store
                    .ensure_folder(self.account, &m.name, delimiter, special_use)?;
                changed = true;
            }
        }
        if changed {
            stored = self
                .store
                .folder_states(self.account)?
                .into_iter()
                .map(|f| (f.name.clone(), f))
                .collect();
        }
        let mut rows = Vec::with_capacity(listing.len());
        for m in &listing {
            if let Some(row) = stored.get(&m.name) {
                rows.push(self.folder_headers(session, row.clone()).await?);
            }
        }
        if self.options.bodies {
            for row in &rows {
                self.folder_bodies(session, row).await?;
            }
        } else {
            // Headers-only syncs index by headers (rows an interrupted sync left waiting
            // for their body included).
            for row in &rows {
                self.store.index_unindexed_headers(row.id)?;
            }
        }
        self.report.messages = self.store.message_count(self.account)?;
        Ok(())
    }

    /// Brings a folder's list up to date; returns the folder as it is now.
    async fn folder_headers(
        &mut self,
        session: &mut ImapSession,
        mut row: FolderRow,
    ) -> Result<FolderRow> {
        let known = (row.uidvalidity != 0 && row.highestmodseq != 0).then_some(KnownState {
            uidvalidity: row.uidvalidity,
            highestmodseq: row.highestmodseq,
        });
        let sel = session.select(&row.name, known).await?;
        if sel.uidvalidity != row.uidvalidity {
            // New folder, or the server renumbered it: the old rows stay until each is
            // re-matched by Message-ID (keeping its body) or dropped at the end.
            self.store.reset_folder(row.id, sel.uidvalidity)?;
            row.uidvalidity = sel.uidvalidity;
            row.uidnext = 0;
            row.highestmodseq = 0;
        }
        let state = FolderState {
            uidvalidity: sel.uidvalidity,
            uidnext: sel.uidnext,
            highestmodseq: sel.highestmodseq.unwrap_or(0),
        };
        let mut changes = FolderChanges::default();
        // UIDs to fetch headers for, newest (highest) first.
        let missing: Vec<u32>;
        let incremental = row.highestmodseq != 0 && row.uidnext != 0;
        if incremental && session.qresync() {
            if state.highestmodseq == row.highestmodseq
                && state.uidnext == row.uidnext
                && sel.vanished.is_empty()
            {
                return Ok(row);
            }
            changes.vanished = sel.vanished.clone();
            for f in &sel.changed {
                if f.uid < row.uidnext {
                    changes.flags.push(flag_update(f));
                }
            }
            missing = self
                .new_uids(session, row.id, row.uidvalidity, row.uidnext, state.uidnext)
                .await?;
        } else if incremental && session.condstore() {
            if state.highestmodseq != row.highestmodseq {
                let mut flags = Vec::new();
                session
                    .uid_fetch(
                        &UidRange::Span(1, row.uidnext.saturating_sub(1).max(1)),
                        FetchItems {
                            flags: true,
                            modseq: true,
                            ..FetchItems::default()
                        },
                        Some(row.highestmodseq),
                        |f| {
                            flags.push(flag_update(&f));
                            Ok(())
                        },
                    )
                    .await?;
                changes.flags = flags;
            }
            let server: HashSet<u32> = if sel.exists == 0 {
                HashSet::new()
            } else {
                session
                    .uid_search(&heron_imap::SearchKey::All)
                    .await?
                    .into_iter()
                    .collect()
            };
            changes.vanished = self
                .store
                .folder_messages(row.id, row.uidvalidity)?
                .iter()
                .filter(|m| !server.contains(&m.uid))
                .map(|m| m.uid..=m.uid)
                .collect();
            missing = self
                .new_uids(session, row.id, row.uidvalidity, row.uidnext, state.uidnext)
                .await?;
        } else {
            // First sync, no CONDSTORE, or an interrupted first sync: compare in full.
            let mut server: BTreeMap<u32, Fetched> = BTreeMap::new();
            if sel.exists > 0 {
                session
                    .uid_fetch(
                        &UidRange::From(1),
                        FetchItems {
                            flags: true,
                            modseq: true,
                            ..FetchItems::default()
                        },
                        None,
                        |f| {
                            // Mail that arrived after SELECT is for the next sync: its
                            // UID is at or above the UIDNEXT stored with this one.
                            if state.uidnext == 0 || f.uid < state.uidnext {
                                server.insert(f.uid, f);
                            }
                            Ok(())
                        },
                    )
                    .await?;
            }
            let local = self.store.folder_messages(row.id, row.uidvalidity)?;
            let mut known = HashSet::with_capacity(local.len());
            for m in &local {
                known.insert(m.uid);
                match server.get(&m.uid) {
                    None => changes.vanished.push(m.uid..=m.uid),
                    Some(f) => {
                        let update = flag_update(f);
                        if update.1 != m.flags {
                            changes.flags.push(update);
                        }
                    }
                }
            }
            missing = server
                .keys()
                .rev()
                .copied()
                .filter(|u| !known.contains(u))
                .collect();
            changes.drop_stale = true;
        }

        let total = missing.len() as u64;
        let mut done = 0u64;
        let batches: Vec<&[u32]> = missing
            .chunks(self.options.header_batch.max(1) as usize)
            .collect();
        if batches.is_empty() {
            changes.state = Some(state);
            self.report.removed_messages += self.store.apply_folder_changes(row.id, &changes)?;
        }
        let (bodies_follow, max_body) = (self.options.bodies, self.options.max_body_bytes);
        for (i, batch) in batches.iter().enumerate() {
            let mut new = Vec::with_capacity(batch.len());
            let mut bytes = 0u64;
            session
                .uid_fetch(
                    &UidRange::Set(batch.to_vec()),
                    FetchItems {
                        flags: true,
                        envelope_meta: true,
                        header: true,
                        modseq: true,
                        body: false,
                    },
                    None,
                    |f| {
                        let header = f.header.as_deref().unwrap_or_default();
                        bytes += header.len() as u64;
                        let fields = index_fields(header, true);
                        let mut m = new_message(row.id, state.uidvalidity, &f, &fields, None);
                        // Indexed once, with its body, when the body pass comes next.
                        m.index_later = bodies_follow && m.size <= max_body;
                        new.push(m);
                        Ok(())
                    },
                )
                .await?;
            done += new.len() as u64;
            self.report.bytes += bytes;
            self.report.new_messages += new.len() as u64;
            let last = i + 1 == batches.len();
            let batch_changes = FolderChanges {
                new,
                // Vanished and flag changes go with the first batch; the state with the
                // last, so an interrupted sync starts again from the old state.
                flags: if i == 0 {
                    std::mem::take(&mut changes.flags)
                } else {
                    Vec::new()
                },
                vanished: if i == 0 {
                    std::mem::take(&mut changes.vanished)
                } else {
                    Vec::new()
                },
                state: last.then_some(state),
                drop_stale: last && changes.drop_stale,
            };
            self.report.removed_messages +=
                self.store.apply_folder_changes(row.id, &batch_changes)?;
            self.emit(SyncEvent::Progress {
                account: self.account.to_string(),
                folder: row.name.clone(),
                phase: Phase::Headers,
                done,
                total,
                bytes: self.report.bytes,
            });
        }
        if total > 0 {
            self.emit(SyncEvent::NewMail {
                account: self.account.to_string(),
                folder: row.name.clone(),
                count: total,
            });
        }
        row.uidvalidity = state.uidvalidity;
        row.uidnext = state.uidnext;
        row.highestmodseq = state.highestmodseq;
        Ok(row)
    }

    /// UIDs in `[from, to)` on the server and not stored yet, newest first.
    async fn new_uids(
        &mut self,
        session: &mut ImapSession,
        folder: heron_store::FolderId,
        uidvalidity: u32,
        from: u32,
        to: u32,
    ) -> Result<Vec<u32>> {
        if to <= from || to == 0 {
            return Ok(Vec::new());
        }
        let mut uids = Vec::new();
        session
            .uid_fetch(
                &UidRange::Span(from, to - 1),
                FetchItems::default(),
                None,
                |f| {
                    if f.uid >= from && f.uid < to {
                        uids.push(f.uid);
                    }
                    Ok(())
                },
            )
            .await?;
        let known: HashSet<u32> = self
            .store
            .known_uids_from(folder, uidvalidity, from)?
            .into_iter()
            .collect();
        uids.retain(|u| !known.contains(u));
        uids.sort_unstable_by(|a, b| b.cmp(a));
        uids.dedup();
        Ok(uids)
    }

    /// Waits for a prepared batch and stores it; returns how many messages it held.
    async fn store_prepared(
        &mut self,
        batch: tokio::task::JoinHandle<heron_store::Result<Vec<NewMessage>>>,
        row: &FolderRow,
        done: u64,
        total: u64,
    ) -> Result<u64> {
        let msgs = batch.await.map_err(|e| {
            heron_store::StoreError::Unexpected(format!("Preparing downloaded mail failed: {e}"))
        })??;
        let n = msgs.len() as u64;
        self.store.store_bodies(msgs)?;
        self.report.bodies += n;
        self.emit(SyncEvent::Progress {
            account: self.account.to_string(),
            folder: row.name.clone(),
            phase: Phase::Bodies,
            done: done + n,
            total,
            bytes: self.report.bytes,
        });
        Ok(n)
    }

    /// Downloads the bodies the folder lacks, newest first.
    async fn folder_bodies(&mut self, session: &mut ImapSession, row: &FolderRow) -> Result<()> {
        let need = self.store.messages_without_body(
            row.id,
            row.uidvalidity,
            self.options.max_body_bytes,
            u32::MAX,
        )?;
        if need.is_empty() {
            self.store.index_unindexed_headers(row.id)?;
            return Ok(());
        }
        if session.selected() != Some(row.name.as_str()) {
            let sel = session.select(&row.name, None).await?;
            if sel.uidvalidity != row.uidvalidity {
                // Renumbered since the header pass: the next sync starts it over.
                return Ok(());
            }
        }
        let total = need.len() as u64;
        let mut done = 0u64;
        // A two-stage pipeline: while the server sends batch N+1, a blocking thread
        // parses and encrypts batch N, and batch N-1 goes into the database, so the
        // network, the crypto and SQLite keep both cores busy instead of taking turns.
        let mut preparing: Option<tokio::task::JoinHandle<heron_store::Result<Vec<NewMessage>>>> =
            None;
        for chunk in batches_by_size(
            &need,
            self.options.body_batch,
            self.options.body_batch_bytes,
        ) {
            let uids: Vec<u32> = chunk.iter().map(|m| m.uid).collect();
            let mut fetched = Vec::with_capacity(chunk.len());
            session
                .uid_fetch(
                    &UidRange::Set(uids),
                    FetchItems {
                        flags: true,
                        envelope_meta: true,
                        body: true,
                        modseq: true,
                        header: false,
                    },
                    None,
                    |f| {
                        if f.body.is_some() {
                            fetched.push(f);
                        }
                        Ok(())
                    },
                )
                .await?;
            self.report.bytes += fetched
                .iter()
                .map(|f| f.body.as_ref().map_or(0, Vec::len) as u64)
                .sum::<u64>();
            let blobs = self.store.blobs(self.account);
            let (folder, uidvalidity) = (row.id, row.uidvalidity);
            let next = tokio::task::spawn_blocking(move || {
                prepare_bodies(&blobs, folder, uidvalidity, fetched)
            });
            if let Some(previous) = preparing.replace(next) {
                done += self.store_prepared(previous, row, done, total).await?;
            }
        }
        if let Some(last) = preparing.take() {
            self.store_prepared(last, row, done, total).await?;
        }
        // What the server no longer had, or what is over the cap, is searchable by its
        // headers at least.
        self.store.index_unindexed_headers(row.id)?;
        Ok(())
    }
}

/// Splits `messages` into runs of at most `count` messages and `bytes` bytes (a message
/// larger than `bytes` is a batch of its own).
fn batches_by_size(
    messages: &[heron_store::LocalMessage],
    count: usize,
    bytes: u64,
) -> Vec<&[heron_store::LocalMessage]> {
    let mut out = Vec::new();
    let (mut start, mut size) = (0, 0u64);
    for (i, m) in messages.iter().enumerate() {
        if i > start && (i - start >= count.max(1) || size + m.size > bytes) {
            out.push(&messages[start..i]);
            (start, size) = (i, 0);
        }
        size += m.size;
    }
    if start < messages.len() {
        out.push(&messages[start..]);
    }
    out
}

/// Parses, indexes and encrypts one batch of downloaded messages (on a blocking thread).
fn prepare_bodies(
    blobs: &heron_store::BlobStore,
    folder: heron_store::FolderId,
    uidvalidity: u32,
    fetched: Vec<Fetched>,
) -> heron_store::Result<Vec<NewMessage>> {
    let mut out = Vec::with_capacity(fetched.len());
    for f in fetched {
        let raw = f.body.as_deref().unwrap_or_default();
        let fields = index_fields(raw, false);
        // Blob nonces come from the OS: they must be unpredictable, never replayed.
        let blob = blobs.put_refetchable(raw, &mut heron_store::OsRandom)?;
        out.push(new_message(folder, uidvalidity, &f, &fields, Some(blob)));
    }
    Ok(out)
}

fn flag_update(f: &Fetched) -> (u32, heron_store::Flags, u64) {
    (
        f.uid,
        flags_from_imap(f.flags.as_deref().unwrap_or_default()),
        f.modseq.unwrap_or(0),
    )
}

fn new_message(
    folder: heron_store::FolderId,
    uidvalidity: u32,
    f: &Fetched,
    fields: &IndexFields,
    raw_blob: Option<heron_store::BlobName>,
) -> NewMessage {
    let received = f.internal_date.unwrap_or_default();
    NewMessage {
        folder: Some(folder),
        uidvalidity,
        uid: f.uid,
        message_id: fields.message_id.clone(),
        thread_id: fields.thread_root().to_owned(),
        in_reply_to: fields.in_reply_to.clone(),
        subject: fields.subject.clone(),
        from_name: fields.from_name.clone(),
        from_addr: fields.from_addr.clone(),
        to: fields.to.clone(),
        cc: fields.cc.clone(),
        // A missing or absurd Date header sorts by arrival instead.
        date: if fields.date > 0 {
            fields.date
        } else {
            received
        },
        received,
        size: u64::from(f.size.unwrap_or_default()),
        flags: flags_from_imap(f.flags.as_deref().unwrap_or_default()),
        modseq: f.modseq.unwrap_or_default(),
        preview: fields.preview.clone(),
        body_text: fields.body_text.clone(),
        attachments: fields
            .attachments
            .iter()
            .map(|(name, mime, size)| NewAttachment {
                name: name.clone(),
                mime_type: mime.clone(),
                size: *size,
                blob: None,
            })
            .collect(),
        raw_blob,
        index_later: false,
    }
}

/// Unix seconds now (the one place sync reads the clock; the operation log's backoff is
/// computed from it).
pub(crate) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use heron_store::{Flags, LocalMessage, MessageRowId};

    fn msg(size: u64) -> LocalMessage {
        LocalMessage {
            id: MessageRowId(1),
            uid: 1,
            flags: Flags::default(),
            message_id: String::new(),
            has_body: false,
            size,
        }
    }

    #[test]
    fn body_batches_respect_count_and_bytes_and_never_drop_a_message() {
        let sizes = [10, 10, 10, 100, 10, 10, 10, 10];
        let msgs: Vec<LocalMessage> = sizes.iter().map(|s| msg(*s)).collect();
        let batches = batches_by_size(&msgs, 3, 50);
        let lens: Vec<usize> = batches.iter().map(|b| b.len()).collect();
        // 3 by count; the 100-byte one alone; then 3 by count; then the rest.
        assert_eq!(lens, [3, 1, 3, 1]);
        assert_eq!(lens.iter().sum::<usize>(), msgs.len());
        assert!(batches_by_size(&[], 3, 50).is_empty());
        assert_eq!(batches_by_size(&msgs, 0, 0).len(), msgs.len());
    }
}
