//! The store: opening with the key, the typed API over the schema, and wipes.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use heron_model::{AccountId, Secret};
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::blob::{BlobKeys, BlobName, BlobStore, OpenedAttachments, remove_dir_if_exists};
use crate::error::{LossReport, Result, StoreError};
use crate::fsutil;
use crate::key::{
    KeyStore, MasterKey, RandomSource, account_secret_entry, legacy_account_secret_entry,
    master_key_entry,
};
use crate::schema::{self, SCHEMA_VERSION};
use crate::search::{self, SearchOrder};
use crate::words::index_text;

/// The database file inside the data directory.
pub const DB_FILE: &str = "heron.db";
/// Serialises opening: key creation and migrations happen under it.
const LOCK_FILE: &str = "heron.lock";
/// Held for as long as a process sends from this directory (heron-api takes it), so two
/// processes never run one outbox.
pub const INSTANCE_LOCK_FILE: &str = "instance.lock";
/// Every entry Heron itself puts in a data directory. A wipe deletes these and nothing
/// else, so a mistyped directory never loses a user's own files.
pub const OWNED_ENTRIES: &[&str] = &[
    DB_FILE,
    LOCK_FILE,
    INSTANCE_LOCK_FILE,
    "heron.db-wal",
    "heron.db-shm",
    "heron.db-journal",
    BLOBS_DIR,
    TEMP_DIR,
    "user-settings.json",
    // The accounts the user added (heron-policy's USER_ACCOUNTS_FILE).
    "accounts.json",
];
const BLOBS_DIR: &str = "blobs";
const TEMP_DIR: &str = "tmp";

/// IMAP-style message flags as a bitmask (the list filters on them in SQL).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Flags(pub u32);

impl Flags {
    /// `\Seen`.
    pub const SEEN: Flags = Flags(1);
    /// `\Answered`.
    pub const ANSWERED: Flags = Flags(2);
    /// `\Flagged`.
    pub const FLAGGED: Flags = Flags(4);
    /// `\Deleted`.
    pub const DELETED: Flags = Flags(8);
    /// `\Draft`.
    pub const DRAFT: Flags = Flags(16);

    /// True when every flag of `other` is set.
    pub fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }
}

impl std::ops::BitOr for Flags {
    type Output = Flags;
    fn bitor(self, rhs: Flags) -> Flags {
        Flags(self.0 | rhs.0)
    }
}

/// A folder's row id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FolderId(pub i64);

/// A message's row id (never reused, so the UI can hold it across deletes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MessageRowId(pub i64);

/// A folder as the server describes it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FolderInfo {
    /// The mailbox name (decoded from modified UTF-7).
    pub name: String,
    /// The hierarchy delimiter.
    pub delimiter: String,
    /// RFC 6154 special use (`\Sent`, ...), or empty.
    pub special_use: String,
    /// UIDVALIDITY.
    pub uidvalidity: u32,
    /// UIDNEXT.
    pub uidnext: u32,
    /// HIGHESTMODSEQ (0 without CONDSTORE).
    pub highestmodseq: u64,
}

/// An attachment's name and where its bytes are.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewAttachment {
    /// File name as the sender gave it (indexed for search).
    pub name: String,
    /// MIME type.
    pub mime_type: String,
    /// Size in bytes.
    pub size: u64,
    /// The encrypted blob, once downloaded.
    pub blob: Option<BlobName>,
}

/// A message to store: list metadata, optional body text, attachment names.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewMessage {
    /// The folder it is in.
    pub folder: Option<FolderId>,
    /// UIDVALIDITY the UID belongs to.
    pub uidvalidity: u32,
    /// UID.
    pub uid: u32,
    /// Message-ID header.
    pub message_id: String,
    /// Thread id computed by sync.
    pub thread_id: String,
    /// In-Reply-To header.
    pub in_reply_to: String,
    /// Subject.
    pub subject: String,
    /// Sender display name.
    pub from_name: String,
    /// Sender address.
    pub from_addr: String,
    /// To, for display and search ("Name <addr>, ...").
    pub to: String,
    /// Cc, for display and search.
    pub cc: String,
    /// Date header, unix seconds.
    pub date: i64,
    /// INTERNALDATE, unix seconds.
    pub received: i64,
    /// RFC822.SIZE.
    pub size: u64,
    /// Flags.
    pub flags: Flags,
    /// MODSEQ.
    pub modseq: u64,
    /// The first line or so of the text, for the list.
    pub preview: String,
    /// The body as plain text, when downloaded (indexed, not stored elsewhere in the DB).
    pub body_text: Option<String>,
    /// Attachments.
    pub attachments: Vec<NewAttachment>,
    /// The raw message, when downloaded.
    pub raw_blob: Option<BlobName>,
    /// Leave it out of the search index for now: sync stores headers first and the body
    /// moments later, and indexing the headers only to replace them at once doubled the
    /// index work of a first sync. [`Store::index_unindexed_headers`] covers what never
    /// gets a body.
    pub index_later: bool,
}

/// What the message list shows for one message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageSummary {
    /// Row id.
    pub id: MessageRowId,
    /// Folder.
    pub folder: FolderId,
    /// UID.
    pub uid: u32,
    /// Message-ID.
    pub message_id: String,
    /// Thread id.
    pub thread_id: String,
    /// Subject.
    pub subject: String,
    /// Sender name.
    pub from_name: String,
    /// Sender address.
    pub from_addr: String,
    /// Date, unix seconds.
    pub date: i64,
    /// Size in bytes.
    pub size: u64,
    /// Flags.
    pub flags: Flags,
    /// Whether it has attachments.
    pub has_attachments: bool,
    /// Preview text.
    pub preview: String,
}

const SUMMARY_COLUMNS: &str = "m.id, m.folder, m.uid, m.message_id, m.thread_id, m.subject, \
     m.from_name, m.from_addr, m.date, m.size, m.flags, m.has_attachments, m.preview";

fn summary_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<MessageSummary> {
    Ok(MessageSummary {
        id: MessageRowId(r.get(0)?),
        folder: FolderId(r.get(1)?),
        uid: r.get(2)?,
        message_id: r.get(3)?,
        thread_id: r.get(4)?,
        subject: r.get(5)?,
        from_name: r.get(6)?,
        from_addr: r.get(7)?,
        date: r.get(8)?,
        size: r.get(9)?,
        flags: Flags(r.get(10)?),
        has_attachments: r.get(11)?,
        preview: r.get(12)?,
    })
}

/// One conversation in a folder's list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThreadSummary {
    /// Its newest message in the folder.
    pub latest: MessageSummary,
    /// Its messages in the folder, newest first (at most 500): what an action on the
    /// conversation acts on.
    pub ids: Vec<MessageRowId>,
    /// How many of its messages the folder holds.
    pub count: u32,
    /// How many of those are unread.
    pub unread: u32,
    /// Whether any is flagged.
    pub flagged: bool,
    /// Whether any has attachments.
    pub has_attachments: bool,
}

/// How a folder's list is sorted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ListOrder {
    /// By date, newest first.
    #[default]
    NewestFirst,
    /// By date, oldest first.
    OldestFirst,
    /// By sender name (or address), A to Z.
    Sender,
    /// By subject, A to Z.
    Subject,
    /// By size, largest first.
    LargestFirst,
}

impl ListOrder {
    /// The ORDER BY terms over `messages AS m`.
    fn sql(self) -> &'static str {
        match self {
            ListOrder::NewestFirst => "m.date DESC, m.id DESC",
            ListOrder::OldestFirst => "m.date ASC, m.id ASC",
            ListOrder::Sender => {
                "CASE m.from_name WHEN '' THEN m.from_addr ELSE m.from_name END \
                 COLLATE NOCASE ASC, m.date DESC, m.id DESC"
            }
            ListOrder::Subject => "m.subject COLLATE NOCASE ASC, m.date DESC, m.id DESC",
            ListOrder::LargestFirst => "m.size DESC, m.date DESC, m.id DESC",
        }
    }
}

/// Where the next page of a folder list starts (keyset pagination: stable while new mail
/// arrives, and each page is an index range scan, never an OFFSET skip).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageCursor {
    /// Date of the last row shown.
    pub date: i64,
    /// Id of the last row shown.
    pub id: MessageRowId,
}

/// One page of a folder list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page {
    /// Newest first.
    pub items: Vec<MessageSummary>,
    /// The cursor for the next page, `None` at the end.
    pub next: Option<PageCursor>,
}

/// Work that exists only locally and a rebuild from the server would lose.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PendingWork {
    /// Messages waiting in the outbox.
    pub outbox: u64,
    /// Drafts not yet saved to the server.
    pub unsynced_drafts: u64,
    /// Operations (flags, moves, deletes) not yet applied on the server.
    pub pending_operations: u64,
}

/// What a wipe deleted and what its verification found left (all zero when complete).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WipeReport {
    /// Database rows deleted (messages, folders, operations, ...).
    pub rows_deleted: u64,
    /// Files deleted.
    pub files_deleted: u64,
    /// Keyring entries deleted (including the master key for a full wipe).
    pub secrets_deleted: u64,
    /// Rows still present after the wipe.
    pub rows_left: u64,
    /// Files still present after the wipe.
    pub files_left: u64,
    /// Keyring entries still present after the wipe.
    pub secrets_left: u64,
}

impl WipeReport {
    fn check(self) -> Result<Self> {
        if self.rows_left + self.files_left + self.secrets_left == 0 {
            Ok(self)
        } else {
            Err(StoreError::WipeIncomplete(format!(
                "{} rows, {} files and {} keyring entries are left",
                self.rows_left, self.files_left, self.secrets_left
            )))
        }
    }
}

/// The open, encrypted store of one data directory.
pub struct Store {
    pub(crate) conn: Connection,
    data_dir: PathBuf,
    key_store: Arc<dyn KeyStore>,
    blob_keys: BlobKeys,
    warnings: Vec<String>,
    migrations_run: usize,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("data_dir", &self.data_dir)
            .finish_non_exhaustive()
    }
}

/// True when the directory holds anything of a store (database, log or blobs): then a
/// missing key must never be replaced by a new one.
pub(crate) fn store_exists(data_dir: &Path) -> Result<bool> {
    let db = data_dir.join(DB_FILE);
    let wal = data_dir.join(format!("{DB_FILE}-wal"));
    Ok(db.exists() || wal.exists() || !fsutil::files_under(&data_dir.join(BLOBS_DIR))?.is_empty())
}

fn file_len(p: &Path) -> u64 {
    fs::metadata(p).map(|m| m.len()).unwrap_or(0)
}

impl Store {
    /// Opens the store in `data_dir`, creating it (and its key) on first run.
    ///
    /// The key is created only when the directory holds no store at all, and it is
    /// saved in `key_store` before the database exists, so a database never outlives
    /// its key by a crash. Opening also empties the temp folder of opened attachments.
    pub fn open(
        data_dir: &Path,
        key_store: Arc<dyn KeyStore>,
        rng: &mut dyn RandomSource,
    ) -> Result<Store> {
        fsutil::create_private_dir(data_dir)?;
        // The keyring entry is named after the canonical path, so `./data` and
        // `/home/u/data` find the same key.
        let data_dir = &fs::canonicalize(data_dir).map_err(|e| StoreError::io(data_dir, e))?;
        let db_path = data_dir.join(DB_FILE);
        // Two processes opening a fresh directory at once must not both create a key (the
        // second would replace the first in the keyring, leaving the database unreadable)
        // nor both migrate: opening is serialised on a lock file, released on return.
        let lock_path = data_dir.join(LOCK_FILE);
        let lock = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| StoreError::io(&lock_path, e))?;
        lock.lock().map_err(|e| StoreError::io(&lock_path, e))?;
        let entry = master_key_entry(data_dir);
        let key = match key_store.load(&entry)? {
            Some(bytes) => MasterKey::from_bytes(&bytes)?,
            None if store_exists(data_dir)? => {
                return Err(StoreError::KeyMissing {
                    path: db_path,
                    at_risk: Self::loss_report(data_dir)?,
                });
            }
            None => {
                let key = MasterKey::generate(rng)?;
                key_store.store(&entry, key.as_bytes())?;
                key
            }
        };
        let mut warnings = Vec::new();
        if let Some(w) = key_store.warning() {
            warnings.push(w);
        }
        let mut conn = open_connection(&db_path, &key, data_dir)?;
        let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if found > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema {
                path: db_path,
                found,
                supported: SCHEMA_VERSION,
            });
        }
        let migrations_run = schema::migrate(&mut conn)?;
        remove_dir_if_exists(&data_dir.join(TEMP_DIR))?;
        Ok(Store {
            conn,
            data_dir: data_dir.to_path_buf(),
            key_store,
            blob_keys: BlobKeys::derive(&key)?,
            warnings,
            migrations_run,
        })
    }

    /// How many migrations this open applied (0 when the schema was already current).
    pub fn migrations_run(&self) -> usize {
        self.migrations_run
    }

    /// `EXPLAIN QUERY PLAN` of a statement, one line per step; for tests that pin that a
    /// query is served by an index.
    #[doc(hidden)]
    pub fn explain_query_plan(&self, sql: &str) -> Result<Vec<String>> {
        let mut st = self.conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
        // raw_query: the statement's parameters stay unbound (NULL), which EXPLAIN allows.
        let mut rows = st.raw_query();
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(r.get::<_, String>(3)?);
        }
        Ok(out)
    }

    /// Sets `PRAGMA user_version`; for tests of the newer-schema refusal only.
    #[doc(hidden)]
    pub fn force_schema_version_for_test(&self, version: i64) -> Result<()> {
        self.conn
            .execute_batch(&format!("PRAGMA user_version = {version}"))?;
        Ok(())
    }

    /// Warnings the caller must show in the UI and write to the log (e.g. the key-file
    /// fallback is in use).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// What deleting an unopenable store would lose, as far as can be known without the
    /// key: file sizes only (see [`LossReport`]).
    pub fn loss_report(data_dir: &Path) -> Result<LossReport> {
        let blobs = fsutil::files_under(&data_dir.join(BLOBS_DIR))?;
        Ok(LossReport {
            database_bytes: file_len(&data_dir.join(DB_FILE)),
            wal_bytes: file_len(&data_dir.join(format!("{DB_FILE}-wal"))),
            blob_files: blobs.len() as u64,
            blob_bytes: blobs.iter().map(|p| file_len(p)).sum(),
            pending_unknown: true,
        })
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    /// Runs `PRAGMA integrity_check` and `PRAGMA cipher_integrity_check`; returns the
    /// problems found (empty when the database is sound).
    pub fn integrity_problems(&self) -> Result<Vec<String>> {
        let mut problems: Vec<String> = Vec::new();
        let mut st = self.conn.prepare("PRAGMA integrity_check")?;
        for row in st.query_map([], |r| r.get::<_, String>(0))? {
            let row = row?;
            if row != "ok" {
                problems.push(row);
            }
        }
        problems.extend(cipher_integrity_check(&self.conn)?);
        Ok(problems)
    }

    pub(crate) fn account_row(tx: &Connection, account: &AccountId) -> Result<i64> {
        Ok(tx.query_row(
            "INSERT INTO accounts (account_id, created) VALUES (?1, unixepoch())
             ON CONFLICT (account_id) DO UPDATE SET account_id = excluded.account_id
             RETURNING id",
            [account.as_str()],
            |r| r.get(0),
        )?)
    }

    fn find_account(&self, account: &AccountId) -> Result<Option<i64>> {
        Ok(self
            .conn
            .query_row(
                "SELECT id FROM accounts WHERE account_id = ?1",
                [account.as_str()],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Creates or updates a folder (by account and name) and returns its id.
    pub fn upsert_folder(&mut self, account: &AccountId, folder: &FolderInfo) -> Result<FolderId> {
        let tx = self.conn.transaction()?;
        let acc = Self::account_row(&tx, account)?;
        let id = tx.query_row(
            "INSERT INTO folders (account, name, delimiter, special_use, uidvalidity, uidnext, highestmodseq)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (account, name) DO UPDATE SET
               delimiter = excluded.delimiter, special_use = excluded.special_use,
               uidvalidity = excluded.uidvalidity, uidnext = excluded.uidnext,
               highestmodseq = excluded.highestmodseq
             RETURNING id",
            params![
                acc,
                folder.name,
                folder.delimiter,
                folder.special_use,
                folder.uidvalidity,
                folder.uidnext,
                folder.highestmodseq as i64
            ],
            |r| r.get(0),
        )?;
        tx.commit()?;
        Ok(FolderId(id))
    }

    /// Stores a message's metadata, body text and attachment names, and indexes them for
    /// search, in one transaction: the list and the index never disagree. Storing the same
    /// (folder, UIDVALIDITY, UID) again replaces all of it (body text, raw message and
    /// attachments included) and keeps its id; blob files no longer referenced are deleted.
    /// Changing only flags is [`Store::set_flags`], not a re-insert.
    pub fn insert_message(&mut self, msg: &NewMessage) -> Result<MessageRowId> {
        let mut ids = self.insert_messages(std::slice::from_ref(msg))?;
        ids.pop().ok_or(StoreError::Unexpected(
            "an insert of one message returned no id".to_owned(),
        ))
    }

    /// [`Store::insert_message`] for many messages in one transaction: how sync stores a
    /// batch of fetched headers (one commit per batch instead of per message).
    pub fn insert_messages(&mut self, msgs: &[NewMessage]) -> Result<Vec<MessageRowId>> {
        let tx = self.conn.transaction()?;
        let mut ids = Vec::with_capacity(msgs.len());
        let mut replaced: Vec<(String, String)> = Vec::new();
        for m in msgs {
            ids.push(Self::insert_in(&tx, m, &mut replaced)?);
        }
        let mut unused = Vec::new();
        for (account, blob) in replaced {
            // Another message (or the outbox) may still use the same content.
            if !unreferenced(&tx, std::slice::from_ref(&blob))?.is_empty() {
                unused.push((account, blob));
            }
        }
        tx.commit()?;
        // As in delete_message: files go after the commit, so a crash leaves at worst an
        // orphan file (unreadable without the key), never a row pointing at nothing.
        for (account, blob) in unused {
            if let (Ok(account), Some(name)) = (AccountId::new(account), BlobName::parse(&blob)) {
                self.blobs(&account).delete(&name)?;
            }
        }
        Ok(ids)
    }

    /// Inserts or replaces one message; the blobs the replaced version referenced are
    /// added to `replaced` as (account id, blob name).
    pub(crate) fn insert_in(
        tx: &Transaction<'_>,
        msg: &NewMessage,
        replaced: &mut Vec<(String, String)>,
    ) -> Result<MessageRowId> {
        let folder = msg.folder.ok_or(StoreError::NotFound {
            what: "folder",
            id: 0,
        })?;
        // Cached statements: sync inserts thousands of messages per batch.
        let acc: i64 = tx
            .prepare_cached("SELECT account FROM folders WHERE id = ?1")?
            .query_row([folder.0], |r| r.get(0))
            .optional()?
            .ok_or(StoreError::NotFound {
                what: "folder",
                id: folder.0,
            })?;
        let old: Option<(i64, i64)> = tx
            .prepare_cached(
                "SELECT id, fts_key FROM messages
                 WHERE account = ?1 AND folder = ?2 AND uidvalidity = ?3 AND uid = ?4",
            )?
            .query_row(params![acc, folder.0, msg.uidvalidity, msg.uid], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        if let Some((old_id, _)) = old {
            let account: String = tx
                .prepare_cached("SELECT account_id FROM accounts WHERE id = ?1")?
                .query_row([acc], |r| r.get(0))?;
            let raw: String = tx
                .prepare_cached("SELECT raw_blob FROM messages WHERE id = ?1")?
                .query_row([old_id], |r| r.get(0))?;
            let mut st = tx
                .prepare_cached("SELECT blob FROM attachments WHERE message = ?1 AND blob != ''")?;
            let attachment_blobs = st
                .query_map([old_id], |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            for blob in std::iter::once(raw).chain(attachment_blobs) {
                if !blob.is_empty() {
                    replaced.push((account.clone(), blob));
                }
            }
        }
        let fts_key = match old {
            Some((_, key)) if key >> FTS_TIE_BITS == fts_date(msg.date) => key,
            _ => free_fts_key(tx, msg.date, msg.uid)?,
        };
        let body_state = match (&msg.raw_blob, &msg.body_text) {
            (Some(_), _) => 2,
            (None, Some(_)) => 1,
            (None, None) => 0,
        };
        let id: i64 = tx
            .prepare_cached(
                "INSERT INTO messages (account, folder, uidvalidity, uid, message_id, thread_id,
               in_reply_to, subject, from_name, from_addr, to_text, cc_text, date, received,
               size, flags, modseq, has_attachments, preview, body_state, raw_blob, fts_key)
             VALUES (?1, ?2, ?3, ?4, ?5,
               -- A reply that names only its parent joins the parent's conversation.
               coalesce((SELECT p.thread_id FROM messages AS p INDEXED BY messages_message_id
                         WHERE p.account = ?1 AND p.message_id = ?6 AND p.thread_id != ''
                           AND ?6 != '' LIMIT 1), ?6),
               ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
               ?17, ?18, ?19, ?20, ?21, ?22)
             ON CONFLICT (account, folder, uidvalidity, uid) DO UPDATE SET
               message_id = excluded.message_id, thread_id = excluded.thread_id,
               in_reply_to = excluded.in_reply_to, subject = excluded.subject,
               from_name = excluded.from_name, from_addr = excluded.from_addr,
               to_text = excluded.to_text, cc_text = excluded.cc_text, date = excluded.date,
               received = excluded.received, size = excluded.size, flags = excluded.flags,
               modseq = excluded.modseq, has_attachments = excluded.has_attachments,
               preview = excluded.preview, body_state = excluded.body_state,
               raw_blob = excluded.raw_blob, fts_key = excluded.fts_key
             RETURNING id",
            )?
            .query_row(
                params![
                    acc,
                    folder.0,
                    msg.uidvalidity,
                    msg.uid,
                    msg.message_id,
                    msg.thread_id,
                    msg.in_reply_to,
                    msg.subject,
                    msg.from_name,
                    msg.from_addr,
                    msg.to,
                    msg.cc,
                    msg.date,
                    msg.received,
                    msg.size as i64,
                    msg.flags.0,
                    msg.modseq as i64,
                    !msg.attachments.is_empty(),
                    msg.preview,
                    body_state,
                    msg.raw_blob
                        .as_ref()
                        .map(BlobName::as_str)
                        .unwrap_or_default(),
                    fts_key,
                ],
                |r| r.get(0),
            )?;
        // Replies that arrived before this message named it as their conversation: they
        // join the one it belongs to.
        if !msg.message_id.is_empty() {
            tx.prepare_cached(
                "UPDATE messages INDEXED BY messages_thread
                 SET thread_id = (SELECT thread_id FROM messages WHERE id = ?3)
                 WHERE account = ?1 AND thread_id = ?2
                   AND ?2 != (SELECT thread_id FROM messages WHERE id = ?3)",
            )?
            .execute(params![acc, msg.message_id, id])?;
        }
        tx.prepare_cached("DELETE FROM attachments WHERE message = ?1")?
            .execute([id])?;
        for a in &msg.attachments {
            tx.prepare_cached(
                "INSERT INTO attachments (message, name, mime_type, size, blob) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?.execute(
                params![
                    id,
                    a.name,
                    a.mime_type,
                    a.size as i64,
                    a.blob.as_ref().map(BlobName::as_str).unwrap_or_default()
                ],
            )?;
        }
        if let Some((_, old_key)) = old {
            tx.prepare_cached("DELETE FROM messages_fts WHERE rowid = ?1")?
                .execute([old_key])?;
        }
        if msg.index_later {
            return Ok(MessageRowId(id));
        }
        let names: Vec<&str> = msg.attachments.iter().map(|a| a.name.as_str()).collect();
        tx.prepare_cached(
            "INSERT INTO messages_fts (rowid, subject, from_text, to_text, body, attachment_names)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![
            fts_key,
            index_text(&msg.subject),
            index_text(&format!("{} {}", msg.from_name, msg.from_addr)),
            index_text(&format!("{} {}", msg.to, msg.cc)),
            index_text(msg.body_text.as_deref().unwrap_or_default()),
            index_text(&names.join("\n")),
        ])?;
        Ok(MessageRowId(id))
    }

    /// One message's list row.
    pub fn message(&self, id: MessageRowId) -> Result<Option<MessageSummary>> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {SUMMARY_COLUMNS} FROM messages AS m WHERE m.id = ?1"),
                [id.0],
                summary_from_row,
            )
            .optional()?)
    }

    /// The SQL of [`Store::list_folder`], public to tests so its plan can be checked.
    #[doc(hidden)]
    pub const LIST_FOLDER_SQL: &'static str = "SELECT m.id, m.folder, m.uid, m.message_id, \
         m.thread_id, m.subject, m.from_name, m.from_addr, m.date, m.size, m.flags, \
         m.has_attachments, m.preview FROM messages AS m INDEXED BY messages_folder_date \
         WHERE m.folder = ?1 AND (m.date < ?2 OR (m.date = ?2 AND m.id < ?3)) \
         ORDER BY m.date DESC, m.id DESC LIMIT ?4";

    /// A page of a folder, newest first, read from the (folder, date, id) index.
    pub fn list_folder(
        &self,
        folder: FolderId,
        after: Option<PageCursor>,
        limit: u32,
    ) -> Result<Page> {
        let (date, id) = after.map_or((i64::MAX, i64::MAX), |c| (c.date, c.id.0));
        let mut st = self.conn.prepare_cached(Self::LIST_FOLDER_SQL)?;
        let items = st
            .query_map(params![folder.0, date, id, limit], summary_from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let next = (items.len() == limit as usize && limit > 0)
            .then(|| {
                items.last().map(|m| PageCursor {
                    date: m.date,
                    id: m.id,
                })
            })
            .flatten();
        Ok(Page { items, next })
    }

    /// Folders of `account` holding messages whose bodies are not stored (headers only,
    /// or too big for the policy's body limit): (folder, name, UIDVALIDITY, how many).
    pub fn folders_missing_bodies(
        &self,
        account: &AccountId,
    ) -> Result<Vec<(FolderId, String, u32, u64)>> {
        let mut st = self.conn.prepare_cached(
            "SELECT f.id, f.name, f.uidvalidity, count(*) FROM folders AS f \
             JOIN accounts AS a ON a.id = f.account \
             JOIN messages AS m ON m.folder = f.id AND m.uidvalidity = f.uidvalidity \
             WHERE a.account_id = ?1 AND m.body_state < 2 GROUP BY f.id ORDER BY f.name",
        )?;
        let rows = st
            .query_map([account.as_str()], |r| {
                Ok((
                    FolderId(r.get(0)?),
                    r.get(1)?,
                    r.get::<_, i64>(2)? as u32,
                    r.get::<_, i64>(3)? as u64,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// The messages among `uids` of a folder whose bodies are not stored, newest first.
    pub fn undownloaded_by_uid(
        &self,
        folder: FolderId,
        uidvalidity: u32,
        uids: &[u32],
    ) -> Result<Vec<MessageSummary>> {
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT {SUMMARY_COLUMNS} FROM messages AS m INDEXED BY messages_folder_uid \
             WHERE m.folder = ?1 AND m.uidvalidity = ?2 AND m.uid = ?3 AND m.body_state < 2"
        ))?;
        let mut out = Vec::new();
        for uid in uids {
            if let Some(row) = st
                .query_row(params![folder.0, uidvalidity, uid], summary_from_row)
                .optional()?
            {
                out.push(row);
            }
        }
        out.sort_by(|a, b| b.date.cmp(&a.date).then(b.id.0.cmp(&a.id.0)));
        Ok(out)
    }

    /// Caps this connection's page cache (64 MiB by default, for sync and search
    /// speed). A long-running app with several connections uses less.
    pub fn limit_cache(&self, mib: u32) -> Result<()> {
        self.conn
            .execute_batch(&format!("PRAGMA cache_size = -{}", u64::from(mib) * 1024))?;
        Ok(())
    }

    /// Rows `offset ..` of a folder in `order`, and how many the folder has: what a
    /// virtualised list asks for as it scrolls to any position. By date it is read from
    /// the (folder, date, id) index, so an offset costs a walk of that index only; the
    /// other orders sort the folder's rows for each window (tens of milliseconds at
    /// 100,000; measured by `cargo xtask bench-ui` only for date).
    pub fn folder_window(
        &self,
        folder: FolderId,
        order: ListOrder,
        offset: u32,
        limit: u32,
    ) -> Result<(u64, Vec<MessageSummary>)> {
        let total: i64 = self.conn.query_row(
            "SELECT count(*) FROM messages INDEXED BY messages_folder_date WHERE folder = ?1",
            [folder.0],
            |r| r.get(0),
        )?;
        let order_by = order.sql();
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT {SUMMARY_COLUMNS} FROM messages AS m INDEXED BY messages_folder_date \
             WHERE m.folder = ?1 ORDER BY {order_by} LIMIT ?2 OFFSET ?3"
        ))?;
        let items = st
            .query_map(params![folder.0, limit, offset], summary_from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok((u64::try_from(total).unwrap_or_default(), items))
    }

    /// Every account's inbox (the folder named INBOX, which IMAP makes special by name).
    pub fn inbox_folders(&self) -> Result<Vec<FolderId>> {
        let mut st = self.conn.prepare_cached(
            "SELECT id FROM folders WHERE upper(name) = 'INBOX' ORDER BY account, id",
        )?;
        let ids = st
            .query_map([], |r| Ok(FolderId(r.get(0)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(ids)
    }

    /// [`Store::folder_window`] over several folders at once (the unified inbox): rows
    /// `offset ..` of all of them together in `order`, and how many they hold.
    pub fn folders_window(
        &self,
        folders: &[FolderId],
        order: ListOrder,
        offset: u32,
        limit: u32,
    ) -> Result<(u64, Vec<MessageSummary>)> {
        if let [one] = folders {
            return self.folder_window(*one, order, offset, limit);
        }
        if folders.is_empty() {
            return Ok((0, Vec::new()));
        }
        // Folder ids are integers from the store itself: safe to write into the SQL.
        let list = folders
            .iter()
            .map(|f| f.0.to_string())
            .collect::<Vec<_>>()
            .join(",");
        let total: i64 = self.conn.query_row(
            &format!("SELECT count(*) FROM messages WHERE folder IN ({list})"),
            [],
            |r| r.get(0),
        )?;
        let mut st = self.conn.prepare(&format!(
            "SELECT {SUMMARY_COLUMNS} FROM messages AS m WHERE m.folder IN ({list}) \
             ORDER BY {} LIMIT ?1 OFFSET ?2",
            order.sql()
        ))?;
        let items = st
            .query_map(params![limit, offset], summary_from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok((u64::try_from(total).unwrap_or_default(), items))
    }

    /// Conversations `offset ..` of a folder, the one with the newest message first, and
    /// how many the folder has. A conversation is the folder's messages sharing a thread
    /// id (a message without one is its own); each comes as its newest message with the
    /// count, unread count and markers of all of them.
    pub fn folder_threads_window(
        &self,
        folder: FolderId,
        offset: u32,
        limit: u32,
    ) -> Result<(u64, Vec<ThreadSummary>)> {
        let total: i64 = self.conn.query_row(
            "SELECT count(*) FROM folder_threads WHERE folder = ?1",
            [folder.0],
            |r| r.get(0),
        )?;
        let mut st = self.conn.prepare_cached(
            "SELECT newest_id, count, unread, flagged, attachments
             FROM folder_threads INDEXED BY folder_threads_newest
             WHERE folder = ?1 ORDER BY newest DESC LIMIT ?2 OFFSET ?3",
        )?;
        let groups = st
            .query_map(params![folder.0, limit, offset], |r| {
                Ok((
                    MessageRowId(r.get(0)?),
                    r.get::<_, u32>(1)?,
                    r.get::<_, u32>(2)?,
                    r.get::<_, bool>(3)?,
                    r.get::<_, bool>(4)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut out = Vec::with_capacity(groups.len());
        let mut members = self.conn.prepare_cached(
            "SELECT m.id FROM messages AS m INDEXED BY messages_folder_thread
             WHERE m.folder = ?1 AND m.thread_id = ?2
             ORDER BY m.date DESC, m.id DESC LIMIT 500",
        )?;
        for (id, count, unread, flagged, has_attachments) in groups {
            let Some(latest) = self.message(id)? else {
                continue;
            };
            let ids = if count > 1 {
                members
                    .query_map(params![folder.0, latest.thread_id], |r| {
                        Ok(MessageRowId(r.get(0)?))
                    })?
                    .collect::<rusqlite::Result<Vec<_>>>()?
            } else {
                vec![id]
            };
            out.push(ThreadSummary {
                latest,
                ids,
                count,
                unread,
                flagged,
                has_attachments,
            });
        }
        Ok((u64::try_from(total).unwrap_or_default(), out))
    }

    /// Every message of the conversation `id` belongs to, in all of its account's
    /// folders, oldest first; a message kept in two folders (Inbox and an archive)
    /// appears once.
    pub fn thread_messages(&self, id: MessageRowId) -> Result<Vec<MessageSummary>> {
        let Some((account, thread)) = self
            .conn
            .query_row(
                "SELECT account, thread_id FROM messages WHERE id = ?1",
                [id.0],
                |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)),
            )
            .optional()?
        else {
            return Ok(Vec::new());
        };
        if thread.is_empty() {
            return Ok(self.message(id)?.into_iter().collect());
        }
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT {SUMMARY_COLUMNS} FROM messages AS m INDEXED BY messages_thread
             WHERE m.account = ?1 AND m.thread_id = ?2 ORDER BY m.date ASC, m.id ASC LIMIT 500"
        ))?;
        let all = st
            .query_map(params![account, thread], summary_from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        // The row asked about stands for its copies in other folders.
        let asked = all
            .iter()
            .find(|m| m.id == id)
            .map(|m| m.message_id.clone());
        let mut seen = std::collections::HashSet::new();
        Ok(all
            .into_iter()
            .filter(|m| {
                if m.message_id.is_empty() {
                    true
                } else if Some(&m.message_id) == asked.as_ref() {
                    m.id == id
                } else {
                    seen.insert(m.message_id.clone())
                }
            })
            .collect())
    }

    /// Senders whose name or address contains `query` (case-insensitive, ASCII), with
    /// how many messages each sent: (name, address, count), most frequent first.
    pub fn senders_matching(&self, query: &str, limit: u32) -> Result<Vec<(String, String, i64)>> {
        let pattern = like_pattern(query);
        let mut st = self.conn.prepare_cached(
            "SELECT max(from_name), from_addr, count(*) AS n FROM messages \
             WHERE from_addr != '' AND (from_addr LIKE ?1 ESCAPE '\\' OR from_name LIKE ?1 ESCAPE '\\') \
             GROUP BY lower(from_addr) ORDER BY n DESC, max(date) DESC LIMIT ?2",
        )?;
        let rows = st
            .query_map(params![pattern, limit], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// The To and Cc of sent messages (in folders marked `\Sent`) that contain
    /// `query`, newest first, as "to, cc" text.
    pub fn sent_recipients_matching(&self, query: &str, limit: u32) -> Result<Vec<String>> {
        let pattern = like_pattern(query);
        let mut st = self.conn.prepare_cached(
            "SELECT m.to_text || ', ' || m.cc_text FROM messages AS m JOIN folders AS f ON f.id = m.folder \
             WHERE f.special_use = '\\Sent' AND (m.to_text LIKE ?1 ESCAPE '\\' OR m.cc_text LIKE ?1 ESCAPE '\\') \
             ORDER BY m.date DESC LIMIT ?2",
        )?;
        let rows = st
            .query_map(params![pattern, limit], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<String>>>()?;
        Ok(rows)
    }

    /// Replaces a message's flags.
    pub fn set_flags(&mut self, id: MessageRowId, flags: Flags) -> Result<()> {
        let n = self.conn.execute(
            "UPDATE messages SET flags = ?2 WHERE id = ?1",
            params![id.0, flags.0],
        )?;
        if n == 0 {
            return Err(StoreError::NotFound {
                what: "message",
                id: id.0,
            });
        }
        Ok(())
    }

    /// Deletes a message, its index entry, its attachment rows and the blobs only it used.
    pub fn delete_message(&mut self, id: MessageRowId) -> Result<()> {
        let tx = self.conn.transaction()?;
        let (account, raw, fts_key): (String, String, i64) = tx
            .query_row(
                "SELECT a.account_id, m.raw_blob, m.fts_key FROM messages m JOIN accounts a ON a.id = m.account WHERE m.id = ?1",
                [id.0],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?
            .ok_or(StoreError::NotFound { what: "message", id: id.0 })?;
        let mut blobs: Vec<String> = {
            let mut st =
                tx.prepare("SELECT blob FROM attachments WHERE message = ?1 AND blob != ''")?;
            st.query_map([id.0], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?
        };
        if !raw.is_empty() {
            blobs.push(raw);
        }
        tx.execute("DELETE FROM messages_fts WHERE rowid = ?1", [fts_key])?;
        tx.execute("DELETE FROM messages WHERE id = ?1", [id.0])?;
        let unused = unreferenced(&tx, &blobs)?;
        tx.commit()?;
        // Files go after the commit: a crash leaves an orphan file (harmless, unreadable
        // without the key), never a row pointing at a missing file.
        if let Ok(account) = AccountId::new(account) {
            let store = self.blobs(&account);
            for name in unused.iter().filter_map(|n| BlobName::parse(n)) {
                store.delete(&name)?;
            }
        }
        Ok(())
    }

    /// Searches all accounts. See [`crate::parse_query`] for the syntax and
    /// [`SearchOrder`] for the order; `limit` results per page from `offset`.
    pub fn search(
        &self,
        query: &str,
        order: SearchOrder,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<MessageSummary>> {
        use search::KeyRange;
        let q = search::parse_query(query);
        if order == SearchOrder::Newest || !search::is_ranked(&q) {
            return self.run_search(&search::compile(&q, order, SUMMARY_COLUMNS, limit, offset));
        }
        // The key of the RANK_WINDOW-th newest text match: ranking scores only what is at
        // or above it (and passes the row filters), and what is older follows newest first.
        let edge = search::compile_in(
            &q,
            SearchOrder::Newest,
            "f.rowid",
            1,
            search::RANK_WINDOW - 1,
            KeyRange::TextWindow,
        );
        let edge: Option<i64> = self
            .conn
            .prepare(&edge.sql)?
            .query_row(rusqlite::params_from_iter(edge.params.iter()), |r| r.get(0))
            .optional()?;
        let Some(edge) = edge else {
            return self.run_search(&search::compile(&q, order, SUMMARY_COLUMNS, limit, offset));
        };
        let mut rows = Vec::new();
        if offset < search::RANK_WINDOW {
            rows = self.run_search(&search::compile_in(
                &q,
                SearchOrder::Relevance,
                SUMMARY_COLUMNS,
                limit,
                offset,
                KeyRange::AtLeast(edge),
            ))?;
        }
        let more = limit.saturating_sub(rows.len() as u32);
        if more == 0 {
            return Ok(rows);
        }
        // The page reaches past the window: how many of its matches passed the row
        // filters says where in the older matches it continues.
        let count = search::compile_in(
            &q,
            SearchOrder::Newest,
            "count(*)",
            1,
            0,
            KeyRange::AtLeast(edge),
        );
        let in_window: i64 = self
            .conn
            .prepare(&count.sql)?
            .query_row(rusqlite::params_from_iter(count.params.iter()), |r| {
                r.get(0)
            })?;
        let older_offset = (i64::from(offset) + rows.len() as i64 - in_window).max(0);
        rows.extend(self.run_search(&search::compile_in(
            &q,
            SearchOrder::Newest,
            SUMMARY_COLUMNS,
            more,
            u32::try_from(older_offset).unwrap_or(u32::MAX),
            KeyRange::Below(edge),
        ))?);
        Ok(rows)
    }

    fn run_search(&self, c: &search::CompiledQuery) -> Result<Vec<MessageSummary>> {
        let mut st = self.conn.prepare(&c.sql)?;
        let rows = st
            .query_map(
                rusqlite::params_from_iter(c.params.iter()),
                summary_from_row,
            )?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// The encrypted blob store of an account.
    pub fn blobs(&self, account: &AccountId) -> BlobStore {
        BlobStore::new(
            self.data_dir.join(BLOBS_DIR).join(account.as_str()),
            self.blob_keys.clone(),
        )
    }

    /// Creates the private temp folder for attachments the user opens from a message.
    pub fn open_attachments_folder(
        &self,
        id: MessageRowId,
        rng: &mut dyn RandomSource,
    ) -> Result<OpenedAttachments> {
        OpenedAttachments::create(&self.data_dir.join(TEMP_DIR), id.0, rng)
    }

    /// Saves an account secret (password, token) in the key store and remembers its name
    /// so a wipe deletes it.
    pub fn store_account_secret(
        &mut self,
        account: &AccountId,
        name: &str,
        secret: &Secret,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        let acc = Self::account_row(&tx, account)?;
        tx.execute(
            "INSERT INTO account_secrets (account, name) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
            params![acc, name],
        )?;
        tx.commit()?;
        self.key_store.store(
            &account_secret_entry(&self.data_dir, account, name),
            secret.expose().as_bytes(),
        )
    }

    /// Replaces a secret kept before with [`Store::store_account_secret`] (a refreshed
    /// token): only the key store is written, so a shared reference will do. A name
    /// never kept that way is refused, so a wipe can never miss it.
    pub fn replace_account_secret(
        &self,
        account: &AccountId,
        name: &str,
        secret: &Secret,
    ) -> Result<()> {
        let known: bool = self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM account_secrets s JOIN accounts a ON a.id = s.account
             WHERE a.account_id = ?1 AND s.name = ?2)",
            params![account.as_str(), name],
            |r| r.get(0),
        )?;
        if !known {
            return Err(StoreError::KeyStore(format!(
                "the secret {name} of {account} was never stored, so it is not replaced"
            )));
        }
        self.key_store.store(
            &account_secret_entry(&self.data_dir, account, name),
            secret.expose().as_bytes(),
        )
    }

    /// The keyring names a secret of this store may have: its own, and the one used
    /// before secrets were per data directory (deleted and checked by every wipe).
    fn secret_entries(&self, account: &AccountId, name: &str) -> [String; 2] {
        [
            account_secret_entry(&self.data_dir, account, name),
            legacy_account_secret_entry(account, name),
        ]
    }

    /// Reads an account secret. One kept under the name used before secrets were per
    /// data directory is moved to this store's own name on the way.
    pub fn load_account_secret(&self, account: &AccountId, name: &str) -> Result<Option<Secret>> {
        let [entry, legacy] = self.secret_entries(account, name);
        let mut found = self.key_store.load(&entry)?;
        if found.is_none()
            && let Some(bytes) = self.key_store.load(&legacy)?
        {
            self.key_store.store(&entry, &bytes)?;
            self.key_store.delete(&legacy)?;
            found = Some(bytes);
        }
        match found {
            None => Ok(None),
            Some(bytes) => String::from_utf8(bytes.to_vec())
                .map(|s| Some(Secret::new(s)))
                .map_err(|_| {
                    StoreError::KeyStore(format!("secret {name} of {account} is not text"))
                }),
        }
    }

    /// Deletes an account secret.
    pub fn delete_account_secret(&mut self, account: &AccountId, name: &str) -> Result<()> {
        for entry in self.secret_entries(account, name) {
            self.key_store.delete(&entry)?;
        }
        if let Some(acc) = self.find_account(account)? {
            self.conn.execute(
                "DELETE FROM account_secrets WHERE account = ?1 AND name = ?2",
                params![acc, name],
            )?;
        }
        Ok(())
    }

    /// Runs `f` in a transaction committed with `synchronous=FULL`: for writes that
    /// gate a network action (operation log, outbox, draft saves), which must survive a
    /// power cut, not only a crash. Other writes use NORMAL, which in WAL mode survives a
    /// crash of the app but may lose the last commits on power loss (they are refetched).
    pub(crate) fn durable<T>(
        &mut self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T>,
    ) -> Result<T> {
        self.conn.execute_batch("PRAGMA synchronous = FULL")?;
        let result = (|| {
            let tx = self.conn.transaction()?;
            let v = f(&tx)?;
            tx.commit()?;
            Ok(v)
        })();
        self.conn.execute_batch("PRAGMA synchronous = NORMAL")?;
        result
    }

    /// Appends an operation to the log (durably, before it is applied) and returns its id.
    /// `payload` must be JSON.
    pub fn enqueue_operation(
        &mut self,
        account: &AccountId,
        kind: &str,
        payload: &str,
    ) -> Result<i64> {
        self.durable(|tx| {
            let acc = Self::account_row(tx, account)?;
            Ok(tx.query_row(
                "INSERT INTO operations (account, kind, payload, created) VALUES (?1, ?2, ?3, unixepoch()) RETURNING id",
                params![acc, kind, payload],
                |r| r.get(0),
            )?)
        })
    }

    /// Queues a message to send (durably) and returns its outbox id.
    pub fn enqueue_outgoing(
        &mut self,
        account: &AccountId,
        message_id: &str,
        raw: &BlobName,
    ) -> Result<i64> {
        self.durable(|tx| {
            let acc = Self::account_row(tx, account)?;
            Ok(tx.query_row(
                "INSERT INTO outbox (account, message_id, raw_blob, created) VALUES (?1, ?2, ?3, unixepoch()) RETURNING id",
                params![acc, message_id, raw.as_str()],
                |r| r.get(0),
            )?)
        })
    }

    /// Saves a draft locally (durably) and returns its id; `synced` stays false until sync
    /// has stored it on the server.
    pub fn save_draft(
        &mut self,
        account: &AccountId,
        subject: &str,
        to: &str,
        body: &str,
    ) -> Result<i64> {
        self.durable(|tx| {
            let acc = Self::account_row(tx, account)?;
            Ok(tx.query_row(
                "INSERT INTO drafts (account, subject, to_text, body, updated) VALUES (?1, ?2, ?3, ?4, unixepoch()) RETURNING id",
                params![acc, subject, to, body],
                |r| r.get(0),
            )?)
        })
    }

    /// What only exists locally: shown before the user agrees to rebuild or wipe.
    pub fn pending_work(&self) -> Result<PendingWork> {
        let count = |sql: &str| -> Result<u64> {
            Ok(self.conn.query_row(sql, [], |r| r.get::<_, i64>(0))? as u64)
        };
        Ok(PendingWork {
            outbox: count("SELECT count(*) FROM outbox WHERE state != 'sent'")?,
            unsynced_drafts: count("SELECT count(*) FROM drafts WHERE synced = 0")?,
            pending_operations: count("SELECT count(*) FROM operations WHERE state != 'done'")?,
        })
    }

    /// Reads a setting.
    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()?)
    }

    /// Writes a setting.
    pub fn set_setting(&mut self, key: &str, value: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    /// Removes an account: its keyring entries first, then its rows (and index entries),
    /// its blobs and temp files; deleted text is removed from the index and zeroed in
    /// freed pages (secure delete), and the log is checkpointed; then it verifies that
    /// nothing of it is left.
    pub fn wipe_account(&mut self, account: &AccountId) -> Result<WipeReport> {
        let mut report = WipeReport::default();
        let acc = self.find_account(account)?;
        let (secret_names, message_ids, fts_keys) = match acc {
            Some(acc) => (
                self.column::<String>("SELECT name FROM account_secrets WHERE account = ?1", acc)?,
                self.column::<i64>("SELECT id FROM messages WHERE account = ?1", acc)?,
                self.column::<i64>("SELECT fts_key FROM messages WHERE account = ?1", acc)?,
            ),
            None => (Vec::new(), Vec::new(), Vec::new()),
        };
        for name in &secret_names {
            for entry in self.secret_entries(account, name) {
                self.key_store.delete(&entry)?;
            }
            report.secrets_deleted += 1;
        }
        if let Some(acc) = acc {
            report.rows_deleted = self.durable(|tx| {
                let mut n = 0u64;
                n += tx.execute(
                    "DELETE FROM messages_fts WHERE rowid IN (SELECT fts_key FROM messages WHERE account = ?1)",
                    [acc],
                )? as u64;
                for table in ACCOUNT_TABLES {
                    n += tx.execute(&format!("DELETE FROM {table} WHERE {}", account_filter(table)), [acc])?
                        as u64;
                }
                n += tx.execute("DELETE FROM accounts WHERE id = ?1", [acc])? as u64;
                Ok(n)
            })?;
        }
        // The FTS table is in secure-delete mode and secure_delete is on, so the deleted
        // text is already gone from the index and zeroed in its pages; fold the WAL into
        // the file and truncate it so no old page copies remain there either.
        // The first column is 1 when a reader kept the checkpoint from finishing; then old
        // page copies may remain in the WAL, and the verification below must say so.
        let checkpoint_busy: i64 =
            self.conn
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))?;

        let blob_dir = self.data_dir.join(BLOBS_DIR).join(account.as_str());
        let mut doomed = fsutil::files_under(&blob_dir)?;
        let temp_root = self.data_dir.join(TEMP_DIR);
        let temp_dirs = self.temp_dirs_of(&temp_root, &message_ids)?;
        for d in &temp_dirs {
            doomed.extend(fsutil::files_under(d)?);
        }
        report.files_deleted = doomed.len() as u64;
        remove_dir_if_exists(&blob_dir)?;
        for d in &temp_dirs {
            remove_dir_if_exists(d)?;
        }

        // Verify.
        let mut left = 0u64;
        if let Some(acc) = acc {
            for table in ACCOUNT_TABLES.iter().chain(["accounts"].iter()) {
                let filter = if *table == "accounts" {
                    "id = ?1"
                } else {
                    account_filter(table)
                };
                left += self.conn.query_row(
                    &format!("SELECT count(*) FROM {table} WHERE {filter}"),
                    [acc],
                    |r| r.get::<_, i64>(0),
                )? as u64;
            }
        }
        for key in &fts_keys {
            left += self.conn.query_row(
                "SELECT count(*) FROM messages_fts WHERE rowid = ?1",
                [key],
                |r| r.get::<_, i64>(0),
            )? as u64;
        }
        report.rows_left = left + u64::from(checkpoint_busy != 0);
        report.files_left = fsutil::files_under(&blob_dir)?.len() as u64
            + self.temp_dirs_of(&temp_root, &message_ids)?.len() as u64;
        for name in &secret_names {
            for entry in self.secret_entries(account, name) {
                if self.key_store.load(&entry)?.is_some() {
                    report.secrets_left += 1;
                }
            }
        }
        report.check()
    }

    fn column<T: rusqlite::types::FromSql>(&self, sql: &str, arg: i64) -> Result<Vec<T>> {
        let mut st = self.conn.prepare(sql)?;
        let v = st
            .query_map([arg], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<T>>>()?;
        Ok(v)
    }

    fn temp_dirs_of(&self, temp_root: &Path, ids: &[i64]) -> Result<Vec<PathBuf>> {
        let rd = match fs::read_dir(temp_root) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(StoreError::io(temp_root, e)),
        };
        let prefixes: Vec<String> = ids.iter().map(|id| format!("msg-{id}-")).collect();
        let mut out = Vec::new();
        for ent in rd {
            let ent = ent.map_err(|e| StoreError::io(temp_root, e))?;
            let name = ent.file_name().to_string_lossy().into_owned();
            if prefixes.iter().any(|p| name.starts_with(p.as_str())) {
                out.push(ent.path());
            }
        }
        Ok(out)
    }

    /// Removes everything: the master key FIRST (so every remaining byte is unreadable even
    /// if a file deletion fails), then the accounts' keyring entries, then every file in
    /// the data directory; then verifies.
    pub fn wipe_all(self) -> Result<WipeReport> {
        let mut entries: Vec<String> = Vec::new();
        {
            let mut st = self.conn.prepare(
                "SELECT a.account_id, s.name FROM account_secrets s JOIN accounts a ON a.id = s.account",
            )?;
            let rows =
                st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
            for row in rows {
                let (account, name) = row?;
                if let Ok(account) = AccountId::new(account) {
                    entries.extend(self.secret_entries(&account, &name));
                }
            }
        }
        let Store {
            conn,
            data_dir,
            key_store,
            ..
        } = self;
        drop(conn);
        wipe_files_and_keys(&data_dir, key_store.as_ref(), &entries)
    }

    /// Wipes a data directory whose store cannot be opened (key missing or wrong): deletes
    /// the master key first, then every file. Account keyring entries cannot be listed
    /// without the key; the caller deletes those it knows from the policy.
    pub fn wipe_unopenable(data_dir: &Path, key_store: &dyn KeyStore) -> Result<WipeReport> {
        wipe_files_and_keys(&canonical_data_dir(data_dir), key_store, &[])
    }

    /// Whether `data_dir` holds anything Heron put there (see [`OWNED_ENTRIES`]).
    pub fn holds_heron_data(data_dir: &Path) -> bool {
        OWNED_ENTRIES
            .iter()
            .any(|name| data_dir.join(name).exists())
    }
}

/// The path `open` names the key entry after, also for a directory that no longer
/// exists (then its parent is canonicalised), so a wipe finds the same entry.
pub(crate) fn canonical_data_dir(data_dir: &Path) -> PathBuf {
    if let Ok(dir) = fs::canonicalize(data_dir) {
        return dir;
    }
    match (data_dir.parent(), data_dir.file_name()) {
        (Some(parent), Some(name)) => fs::canonicalize(if parent.as_os_str().is_empty() {
            Path::new(".")
        } else {
            parent
        })
        .map(|p| p.join(name))
        .unwrap_or_else(|_| data_dir.to_path_buf()),
        _ => data_dir.to_path_buf(),
    }
}

/// Tables with an `account` column, children before parents.
const ACCOUNT_TABLES: &[&str] = &[
    "attachments",
    "messages",
    "folders",
    "operations",
    "drafts",
    "outbox",
    "calendar_cache",
    "directory_cache",
    "account_secrets",
];

fn account_filter(table: &str) -> &'static str {
    if table == "attachments" {
        "message IN (SELECT id FROM messages WHERE account = ?1)"
    } else {
        "account = ?1"
    }
}

fn wipe_files_and_keys(
    data_dir: &Path,
    key_store: &dyn KeyStore,
    entries: &[String],
) -> Result<WipeReport> {
    let mut report = WipeReport::default();
    let master = master_key_entry(data_dir);
    // The master key first: from here on every byte below is unreadable, whatever fails.
    for e in [&master].into_iter().chain(entries) {
        if key_store.load(e)?.is_some() {
            report.secrets_deleted += 1;
        }
        key_store.delete(e)?;
    }
    let owned: Vec<PathBuf> = OWNED_ENTRIES.iter().map(|n| data_dir.join(n)).collect();
    report.files_deleted = count_files(&owned)?;
    for path in &owned {
        if path.is_dir() {
            remove_dir_if_exists(path)?;
        } else if let Err(e) = fs::remove_file(path)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            return Err(StoreError::io(path, e));
        }
    }
    // The directory itself goes only when nothing but Heron's entries were in it.
    let _ = fs::remove_dir(data_dir);
    report.files_left = count_files(&owned)?;
    for e in entries.iter().chain([&master]) {
        if key_store.load(e)?.is_some() {
            report.secrets_left += 1;
        }
    }
    report.check()
}

/// Files among `paths` (each a file or a directory, counted recursively).
fn count_files(paths: &[PathBuf]) -> Result<u64> {
    let mut n = 0;
    for p in paths {
        if p.is_dir() {
            n += fsutil::files_under(p)?.len() as u64;
        } else if p.exists() {
            n += 1;
        }
    }
    Ok(n)
}

/// Bits of an FTS key below the date (a tie-break among messages of the same second).
const FTS_TIE_BITS: u32 = 20;

/// The date part of an FTS key: seconds, clamped so the key stays a positive i64.
fn fts_date(date: i64) -> i64 {
    date.clamp(0, (1 << 42) - 1)
}

/// The smallest FTS key of a message dated `date` or later: date filters become a key
/// range the full-text index can seek to, instead of a check of every match's row.
pub(crate) fn fts_key_floor(date: i64) -> i64 {
    fts_date(date) << FTS_TIE_BITS
}

/// A free FTS key for a message dated `date`: its date part orders the index by date;
/// the tie-break starts from the UID and probes upward (a collision needs two messages
/// in the same second, so the probe almost never runs twice).
fn free_fts_key(tx: &Transaction<'_>, date: i64, uid: u32) -> Result<i64> {
    let base = fts_date(date) << FTS_TIE_BITS;
    let mask = (1i64 << FTS_TIE_BITS) - 1;
    let start = i64::from(uid) & mask;
    let mut st = tx.prepare_cached("SELECT 1 FROM messages WHERE fts_key = ?1")?;
    for k in 0..=mask {
        let key = base | ((start + k) & mask);
        if !st.exists([key])? {
            return Ok(key);
        }
    }
    Err(StoreError::Unexpected(format!(
        "more than {mask} messages are dated the same second"
    )))
}

pub(crate) fn unreferenced(tx: &Transaction<'_>, blobs: &[String]) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for b in blobs {
        let used: i64 = tx.query_row(
            "SELECT (SELECT count(*) FROM messages WHERE raw_blob = ?1)
                  + (SELECT count(*) FROM attachments WHERE blob = ?1)
                  + (SELECT count(*) FROM outbox WHERE raw_blob = ?1)
                  + (SELECT count(*) FROM drafts WHERE raw_blob = ?1)
                  + (SELECT count(*) FROM drafts, json_each(drafts.content, '$.attachments') AS a
                     WHERE json_extract(a.value, '$.blob') = ?1)",
            [b],
            |r| r.get(0),
        )?;
        if used == 0 {
            out.push(b.clone());
        }
    }
    Ok(out)
}

/// Runs `PRAGMA cipher_integrity_check`; each row is a problem.
fn cipher_integrity_check(conn: &Connection) -> Result<Vec<String>> {
    let mut st = conn.prepare("PRAGMA cipher_integrity_check")?;
    let rows = st
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Opens the connection: the key as the very first statement, then a read of
/// sqlite_master to prove the key opens the file, then the pragmas.
fn open_connection(db_path: &Path, key: &MasterKey, data_dir: &Path) -> Result<Connection> {
    let conn = Connection::open(db_path)?;
    conn.execute_batch(&key.sqlcipher_pragma())?;
    if let Err(e) = conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    }) {
        let check = match cipher_integrity_check(&conn) {
            Ok(rows) if rows.is_empty() => "cipher_integrity_check: ok".to_owned(),
            Ok(rows) => {
                let n = rows.len();
                let first: Vec<String> = rows.into_iter().take(3).collect();
                format!(
                    "cipher_integrity_check: {n} problems, first: {}",
                    first.join("; ")
                )
            }
            Err(ce) => format!("cipher_integrity_check could not run: {ce}"),
        };
        return Err(StoreError::WrongKeyOrCorrupt {
            path: db_path.to_path_buf(),
            detail: format!("{e}; {check}"),
            at_risk: Store::loss_report(data_dir)?,
        });
    }
    // temp_store in memory: SQLCipher does not encrypt temp files, so sorts and temp
    // tables must never reach the disk. secure_delete: freed pages are zeroed, so wiped
    // rows do not linger in free pages. cache_size 64 MiB: every page read from disk is
    // decrypted and authenticated, so cache misses cost far more than in plain SQLite
    // (measured: ranked searches 2-4x faster than with the default 8 MiB).
    // WAL: readers don't block the writer.
    conn.execute_batch(
        "PRAGMA temp_store = MEMORY;
         PRAGMA secure_delete = ON;
         PRAGMA foreign_keys = ON;
         PRAGMA busy_timeout = 5000;
         PRAGMA cache_size = -65536;",
    )?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Unexpected(format!(
            "cannot switch the database to WAL (got {mode})"
        )));
    }
    conn.execute_batch("PRAGMA synchronous = NORMAL")?;
    // The index's text rewriting (words.rs), for SQL that fills the index (migration 4,
    // header-only indexing) to do exactly what inserts from Rust do.
    conn.create_scalar_function(
        "heron_index_text",
        1,
        rusqlite::functions::FunctionFlags::SQLITE_UTF8
            | rusqlite::functions::FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            let text: Option<String> = ctx.get(0)?;
            Ok(text.map(|t| crate::words::index_text(&t)))
        },
    )?;
    Ok(conn)
}

/// A LIKE pattern matching `text` anywhere, with LIKE's own characters escaped.
fn like_pattern(text: &str) -> String {
    let mut out = String::from("%");
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}
