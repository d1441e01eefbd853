//! Mail on heron-api: the store of the data directory, syncing the configured accounts,
//! and the headless reads and actions (`heronctl folders|list|show|search|flag|move|
//! delete`). The window will call the same functions.

use std::path::PathBuf;
use std::sync::PoisonError;

use heron_model::AccountId;
use heron_store::{
    Flags, FolderId, ListOrder, MessageRowId, MessageSummary, OsRandom, PageCursor, SearchOrder,
    Store, StoreError,
};
use heron_sync::{SyncError, SyncEvent, SyncOptions, SyncReport};
use serde::Serialize;
use tokio::sync::broadcast;

use crate::local_data::store_error;
use crate::{ApiError, ErrorCode, Heron, StoreStatus};

/// A folder as the UI and `heronctl folders` show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FolderView {
    /// Account id.
    pub account: String,
    /// Folder row id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Special use (`INBOX`, `\Sent`, ...) or empty.
    pub special_use: String,
    /// Messages stored.
    pub total: u64,
    /// Unread messages.
    pub unread: u64,
    /// UIDVALIDITY.
    pub uidvalidity: u32,
    /// UIDNEXT at the last sync.
    pub uidnext: u32,
    /// HIGHESTMODSEQ at the last sync.
    pub highestmodseq: u64,
}

/// A message in a list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MessageRow {
    /// Row id (stable; used by `show`, `flag`, `move`, `delete`).
    pub id: i64,
    /// Folder row id.
    pub folder: i64,
    /// UID on the server.
    pub uid: u32,
    /// Message-ID.
    pub message_id: String,
    /// Conversation id.
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
    /// Flags by IMAP name.
    pub flags: Vec<&'static str>,
    /// Has attachments.
    pub has_attachments: bool,
    /// Preview text.
    pub preview: String,
    /// In a list of conversations: the conversation this row stands for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conversation: Option<Conversation>,
}

/// A conversation as one row of a folder's list stands for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Conversation {
    /// Its messages in this folder, newest first: what actions on the row act on.
    pub ids: Vec<i64>,
    /// How many messages it has in this folder.
    pub count: u32,
    /// How many of them are unread.
    pub unread: u32,
    /// Whether any is flagged.
    pub flagged: bool,
    /// Whether any has attachments.
    pub has_attachments: bool,
}

impl From<MessageSummary> for MessageRow {
    fn from(m: MessageSummary) -> Self {
        MessageRow {
            id: m.id.0,
            folder: m.folder.0,
            uid: m.uid,
            message_id: m.message_id,
            thread_id: m.thread_id,
            subject: m.subject,
            from_name: m.from_name,
            from_addr: m.from_addr,
            date: m.date,
            size: m.size,
            flags: heron_sync::imap_flags(m.flags),
            has_attachments: m.has_attachments,
            preview: m.preview,
            conversation: None,
        }
    }
}

/// A page of a folder.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MessagePage {
    /// Newest first.
    pub items: Vec<MessageRow>,
    /// Pass back as `before` for the next page: (date, id) of the last row.
    pub next: Option<(i64, i64)>,
}

/// One message as the reader sees it, for `heronctl show`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MessageDetail {
    /// The list row.
    pub summary: MessageRow,
    /// The folder's name.
    pub folder: String,
    /// False while only the headers are stored (the next sync downloads the body).
    pub downloaded: bool,
    /// The reader's view model: sender, recipients, date, text and sanitised HTML
    /// bodies, attachments, nested messages and every security note. Empty until the
    /// body is downloaded.
    pub view: heron_mime::MessageView,
}

/// The outcome of syncing one account.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AccountSync {
    /// Account.
    pub account: String,
    /// What the sync did, when it succeeded.
    #[serde(flatten)]
    pub report: Option<SyncReport>,
    /// Why it failed.
    pub error: Option<ApiError>,
}

/// The result of a user action queued for the server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Queued {
    /// Operation ids in the log.
    pub operations: Vec<i64>,
}

/// Why the store did not open, before it becomes an [`ApiError`].
#[derive(Debug)]
pub(crate) enum OpenFailure {
    /// Refused before the store was touched: no data directory, a key directory inside it.
    Refused(ApiError),
    /// The store's own error (or the key store's).
    Store(StoreError),
}

impl OpenFailure {
    pub(crate) fn into_api(self) -> ApiError {
        match self {
            OpenFailure::Refused(e) => e,
            OpenFailure::Store(e) => store_error(e),
        }
    }
}

/// [`ErrorCode::SignInRequired`] for an account with neither a password in the
/// configuration nor a kept secret: nobody has signed in to it yet. `to` says what the
/// sign-in is for ("get its mail").
pub(crate) fn require_sign_in(
    account: &heron_policy::AccountConfig,
    secret: Option<&heron_model::Secret>,
    to: &str,
) -> Result<(), ApiError> {
    if secret.is_none() && account.password.is_none() {
        return Err(ApiError::new(
            ErrorCode::SignInRequired,
            format!("Sign in to {} to {to}", account.email),
        ));
    }
    Ok(())
}

pub(crate) fn sync_error(e: SyncError) -> ApiError {
    let code = match e.code() {
        "server_unreachable" => ErrorCode::ServerUnreachable,
        "certificate_untrusted" => ErrorCode::CertificateUntrusted,
        "tls_failed" | "starttls_unavailable" | "preauth_without_tls" => ErrorCode::TlsFailed,
        "authentication_failed" | "mechanism_unavailable" => ErrorCode::AuthenticationFailed,
        // The server could not check the login now: retried like a lost connection.
        "timeout" | "connection_lost" | "server_busy" => ErrorCode::ConnectionLost,
        "server_refused" => ErrorCode::ServerRefused,
        "limit_exceeded" | "protocol_error" | "invalid_value" => ErrorCode::ServerMisbehaved,
        "disk_full" => ErrorCode::DiskFull,
        "invalid_config" => ErrorCode::InvalidConfig,
        "not_found" => ErrorCode::NotFound,
        _ => ErrorCode::StorageFailed,
    };
    match e {
        SyncError::Store(s) => store_error(s),
        other => ApiError::new(code, other.to_string()),
    }
}

/// The keyring entry holding an account's credential: its password, or the OAuth access
/// token the sign-in in the browser kept (see `oauth`).
pub fn credential_name(account: &heron_policy::AccountConfig) -> &'static str {
    match account.auth {
        heron_policy::AuthMethod::Password => "password",
        heron_policy::AuthMethod::Oauth2(_) => crate::oauth::ACCESS_TOKEN,
    }
}

impl Heron {
    pub(crate) fn data_dir_or_error(&self) -> Result<PathBuf, ApiError> {
        self.data_dir.clone().ok_or_else(|| {
            ApiError::new(
                ErrorCode::NoDataDir,
                "Mail needs a data directory (--data-dir) to keep its encrypted store in",
            )
        })
    }

    /// Opens the encrypted store of the data directory (creating it on first use).
    ///
    /// The key is in the OS keyring. Where none can be reached, the store is refused with
    /// [`ErrorCode::KeyringUnavailable`], unless the policy
    /// `security.key_file_fallback_allowed` allows a key file in the key directory
    /// ([`crate::HeronOptions::key_dir`]); a store created that way keeps using its key
    /// file even once a keyring appears. While a key file is in use, its warning is
    /// written to the log (stderr) at each open and kept for [`Heron::store_status`].
    pub fn open_store(&self) -> Result<Store, ApiError> {
        self.try_open_store()
            .map(|(store, _)| store)
            .map_err(OpenFailure::into_api)
    }

    /// [`Heron::open_store`], keeping the store's own error whole for callers that
    /// branch on its kind (the offer to rebuild needs its loss report), and returning
    /// where the key is kept.
    pub(crate) fn try_open_store(&self) -> Result<(Store, StoreStatus), OpenFailure> {
        let dir = self.data_dir_or_error().map_err(OpenFailure::Refused)?;
        self.keys
            .check_outside(&dir)
            .map_err(OpenFailure::Refused)?;
        let file_allowed = self.with_policy(|p| p.settings.security.key_file_fallback_allowed);
        let (key_store, storage) = self
            .keys
            .with_fallback()
            .for_open(&dir, file_allowed)
            .map_err(OpenFailure::Store)?;
        let store = Store::open(&dir, key_store, &mut OsRandom).map_err(OpenFailure::Store)?;
        for warning in store.warnings() {
            eprintln!("heron: warning: {warning}");
        }
        let status = StoreStatus {
            key_storage: storage.into(),
            key_dir: match storage {
                heron_store::KeyStorage::KeyFile => {
                    self.keys.key_dir.as_ref().map(|d| d.display().to_string())
                }
                heron_store::KeyStorage::OsKeyring => None,
            },
            warnings: store.warnings().to_vec(),
        };
        *self
            .store_status
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(status.clone());
        Ok((store, status))
    }

    /// Where the store opened last keeps its key, and the warnings the UI must show while
    /// it is open; `None` before [`Heron::open_store`] succeeded.
    pub fn store_status(&self) -> Option<StoreStatus> {
        self.store_status
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Syncs every configured account once, in order; one account's failure does not
    /// stop the others. Refused until the privacy notice in force is accepted.
    pub async fn sync_accounts(
        &self,
        store: &mut Store,
        options: &SyncOptions,
        events: Option<&broadcast::Sender<SyncEvent>>,
    ) -> Result<Vec<AccountSync>, ApiError> {
        self.require_consent()?;
        let policy = self.policy();
        let options = &SyncOptions {
            max_body_bytes: u64::from(policy.settings.sync.max_body_size_mb) * 1024 * 1024,
            ..options.clone()
        };
        let mut out = Vec::new();
        for account in &policy.accounts {
            let secret = match self.account_credential(store, account).await {
                Ok(secret) => secret,
                Err(e) => {
                    // A refresh token the server no longer takes: the user signs in again.
                    out.push(AccountSync {
                        account: account.id.to_string(),
                        report: None,
                        error: Some(e),
                    });
                    continue;
                }
            };
            if let Err(e) = require_sign_in(account, secret.as_ref(), "get its mail") {
                out.push(AccountSync {
                    account: account.id.to_string(),
                    report: None,
                    error: Some(e),
                });
                continue;
            }
            let result = async {
                let connect = heron_sync::imap_options(account, &policy.settings.security, secret)?;
                heron_sync::sync_account(store, &account.id, &connect, options, events).await
            }
            .await;
            out.push(match result {
                Ok(report) => AccountSync {
                    account: account.id.to_string(),
                    report: Some(report),
                    error: None,
                },
                Err(e) => AccountSync {
                    account: account.id.to_string(),
                    report: None,
                    error: Some(sync_error(e)),
                },
            });
        }
        Ok(out)
    }

    /// Waits until a watched folder (setting `sync.push_folders`) of the first account
    /// changes, or `max` passes; true for a change. Used by `heronctl sync` without `--once` to sync again on new mail.
    pub async fn wait_for_mail(
        &self,
        store: &Store,
        max: std::time::Duration,
    ) -> Result<bool, ApiError> {
        let policy = self.policy();
        let Some(account) = policy.accounts.first() else {
            tokio::time::sleep(max).await;
            return Ok(false);
        };
        let secret = self.account_credential(store, account).await?;
        let connect = heron_sync::imap_options(account, &policy.settings.security, secret)
            .map_err(sync_error)?;
        heron_sync::push::wait_for_change(&connect, &policy.settings.sync.push_folders, max)
            .await
            .map_err(sync_error)
    }
}

/// The folders of every account in the store (or of one).
pub fn folders(store: &Store, account: Option<&AccountId>) -> Result<Vec<FolderView>, ApiError> {
    let ids: Vec<AccountId> = match account {
        Some(a) => vec![a.clone()],
        None => store.account_ids().map_err(store_error)?,
    };
    let mut out = Vec::new();
    for id in ids {
        for f in store.folders(&id).map_err(store_error)? {
            out.push(FolderView {
                account: id.to_string(),
                id: f.id.0,
                name: f.name,
                special_use: f.special_use,
                total: f.total,
                unread: f.unread,
                uidvalidity: f.uidvalidity,
                uidnext: f.uidnext,
                highestmodseq: f.highestmodseq,
            });
        }
    }
    Ok(out)
}

/// The folder id of the unified inbox: every account's inbox in one list.
pub const ALL_INBOXES: i64 = -1;
/// The special use the unified inbox is marked with.
pub const ALL_INBOXES_USE: &str = "ALL_INBOXES";

/// The unified inbox as a folder, when more than one account has an inbox: its counts
/// are the inboxes' together.
pub fn all_inboxes(store: &Store) -> Result<Option<FolderView>, ApiError> {
    let all = folders(store, None)?;
    let inboxes: Vec<&FolderView> = all
        .iter()
        .filter(|f| f.name.eq_ignore_ascii_case("INBOX"))
        .collect();
    if inboxes.len() < 2 {
        return Ok(None);
    }
    Ok(Some(FolderView {
        account: String::new(),
        id: ALL_INBOXES,
        name: "All inboxes".to_owned(),
        special_use: ALL_INBOXES_USE.to_owned(),
        total: inboxes.iter().map(|f| f.total).sum(),
        unread: inboxes.iter().map(|f| f.unread).sum(),
        uidvalidity: 0,
        uidnext: 0,
        highestmodseq: 0,
    }))
}

/// Unread messages in every account's inbox: the count the tray and dock show.
pub fn unread_in_inboxes(store: &Store) -> Result<u64, ApiError> {
    Ok(folders(store, None)?
        .iter()
        .filter(|f| f.name.eq_ignore_ascii_case("INBOX"))
        .map(|f| f.unread)
        .sum())
}

fn find_folder(
    store: &Store,
    account: Option<&AccountId>,
    name: &str,
) -> Result<FolderView, ApiError> {
    let matches: Vec<FolderView> = folders(store, account)?
        .into_iter()
        .filter(|f| f.name == name)
        .collect();
    match matches.len() {
        1 => matches.into_iter().next().ok_or_else(|| not_found(name)),
        0 => Err(not_found(name)),
        _ => Err(ApiError::new(
            ErrorCode::InvalidValue,
            format!("Several accounts have a folder {name:?}; name the account"),
        )),
    }
}

fn not_found(name: &str) -> ApiError {
    ApiError::new(ErrorCode::NotFound, format!("There is no folder {name:?}"))
}

/// A page of a folder, newest first.
pub fn list(
    store: &Store,
    account: Option<&AccountId>,
    folder: &str,
    limit: u32,
    before: Option<(i64, i64)>,
) -> Result<MessagePage, ApiError> {
    let f = find_folder(store, account, folder)?;
    let page = store
        .list_folder(
            FolderId(f.id),
            before.map(|(date, id)| PageCursor {
                date,
                id: MessageRowId(id),
            }),
            limit,
        )
        .map_err(store_error)?;
    Ok(MessagePage {
        items: page.items.into_iter().map(MessageRow::from).collect(),
        next: page.next.map(|c| (c.date, c.id.0)),
    })
}

/// Rows `offset .. offset + items.len()` of a folder, newest first, and its size now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MessageWindow {
    /// Folder row id.
    pub folder: i64,
    /// Position of the first item.
    pub offset: u32,
    /// Messages in the folder.
    pub total: u64,
    /// The rows.
    pub items: Vec<MessageRow>,
}

/// The most rows one window request returns.
pub const MAX_WINDOW: u32 = 500;

/// A window of a folder (by row id) for the virtualised list, in `order`
/// (`newest_first`, the default, `oldest_first`, `sender`, `subject`, `largest_first`).
pub fn window(
    store: &Store,
    folder: i64,
    order: Option<&str>,
    offset: u32,
    limit: u32,
) -> Result<MessageWindow, ApiError> {
    let order = match order.unwrap_or("newest_first") {
        // The unified inbox spans accounts, whose conversations are apart: it lists
        // messages.
        "conversations" if folder != ALL_INBOXES => {
            return conversations_window(store, folder, offset, limit);
        }
        "conversations" => ListOrder::NewestFirst,
        "newest_first" => ListOrder::NewestFirst,
        "oldest_first" => ListOrder::OldestFirst,
        "sender" => ListOrder::Sender,
        "subject" => ListOrder::Subject,
        "largest_first" => ListOrder::LargestFirst,
        other => {
            return Err(ApiError::new(
                ErrorCode::InvalidValue,
                format!("{other:?} is not a list order"),
            ));
        }
    };
    let folders = if folder == ALL_INBOXES {
        store.inbox_folders().map_err(store_error)?
    } else {
        vec![FolderId(folder)]
    };
    let (total, items) = store
        .folders_window(&folders, order, offset, limit.min(MAX_WINDOW))
        .map_err(store_error)?;
    Ok(MessageWindow {
        folder,
        offset,
        total,
        items: items.into_iter().map(MessageRow::from).collect(),
    })
}

/// Conversations `offset ..` of a folder, newest first: each row is the conversation's
/// newest message in the folder, with [`MessageRow::conversation`] set.
fn conversations_window(
    store: &Store,
    folder: i64,
    offset: u32,
    limit: u32,
) -> Result<MessageWindow, ApiError> {
    let (total, threads) = store
        .folder_threads_window(FolderId(folder), offset, limit.min(MAX_WINDOW))
        .map_err(store_error)?;
    Ok(MessageWindow {
        folder,
        offset,
        total,
        items: threads
            .into_iter()
            .map(|t| MessageRow {
                conversation: Some(Conversation {
                    ids: t.ids.iter().map(|id| id.0).collect(),
                    count: t.count,
                    unread: t.unread,
                    flagged: t.flagged,
                    has_attachments: t.has_attachments,
                }),
                ..MessageRow::from(t.latest)
            })
            .collect(),
    })
}

/// Every message of `id`'s conversation in all folders of its account, oldest first
/// (a message kept in two folders once): what the reader shows as the conversation.
pub fn conversation(store: &Store, id: i64) -> Result<Vec<MessageRow>, ApiError> {
    let rows = store
        .thread_messages(MessageRowId(id))
        .map_err(store_error)?;
    if rows.is_empty() {
        return Err(ApiError::new(
            ErrorCode::NotFound,
            format!("There is no message {id}"),
        ));
    }
    Ok(rows.into_iter().map(MessageRow::from).collect())
}

/// One message with its view model (parsed from the stored raw message).
pub fn show(store: &Store, id: i64) -> Result<MessageDetail, ApiError> {
    let missing = || ApiError::new(ErrorCode::NotFound, format!("There is no message {id}"));
    let row = MessageRowId(id);
    let summary = store
        .message(row)
        .map_err(store_error)?
        .ok_or_else(missing)?;
    let location = store
        .message_location(row)
        .map_err(store_error)?
        .ok_or_else(missing)?;
    let raw = match store.raw_message(row) {
        Ok(raw) => raw,
        // A body lost with a power cut is downloaded again by the next sync.
        Err(StoreError::BlobCorrupt { .. } | StoreError::Io { .. }) => None,
        Err(e) => return Err(store_error(e)),
    };
    Ok(MessageDetail {
        summary: summary.into(),
        folder: location.folder_name,
        downloaded: raw.is_some(),
        view: raw
            .map(|raw| heron_mime::parse(&raw, &heron_mime::ViewOptions::default()))
            .unwrap_or_default(),
    })
}

/// Searches the local index of every account.
pub fn search(store: &Store, query: &str, limit: u32) -> Result<Vec<MessageRow>, ApiError> {
    Ok(store
        .search(query, SearchOrder::Relevance, limit, 0)
        .map_err(store_error)?
        .into_iter()
        .map(MessageRow::from)
        .collect())
}

fn by_account(store: &Store, ids: &[i64]) -> Result<Vec<(AccountId, Vec<MessageRowId>)>, ApiError> {
    let mut groups: std::collections::BTreeMap<String, Vec<MessageRowId>> = Default::default();
    for id in ids {
        let loc = store
            .message_location(MessageRowId(*id))
            .map_err(store_error)?
            .ok_or_else(|| {
                ApiError::new(ErrorCode::NotFound, format!("There is no message {id}"))
            })?;
        groups.entry(loc.account).or_default().push(loc.id);
    }
    groups
        .into_iter()
        .map(|(a, ids)| {
            AccountId::new(a)
                .map(|a| (a, ids))
                .map_err(|e| ApiError::new(ErrorCode::StorageFailed, e.to_string()))
        })
        .collect()
}

/// Messages found by the servers among those whose bodies are not downloaded yet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ServerSearch {
    /// The rows (their headers are stored; the bodies download with the next sync).
    pub items: Vec<MessageRow>,
    /// Accounts that could not be asked, and why.
    pub errors: Vec<ApiError>,
}

impl Heron {
    /// Asks every account's server for the words of `query` in the messages whose
    /// bodies are not downloaded yet (the local index cannot see inside those). Field
    /// filters (`from:`, `subject:`) are applied to the stored headers of what comes
    /// back; the other filters are the local search's.
    pub async fn search_server(
        &self,
        store: &Store,
        query: &str,
        limit: u32,
    ) -> Result<ServerSearch, ApiError> {
        self.require_consent()?;
        let parsed = heron_store::parse_query(query);
        let words: Vec<String> = parsed.terms.iter().map(|t| t.text.clone()).collect();
        let policy = self.policy();
        let mut out = ServerSearch {
            items: Vec::new(),
            errors: Vec::new(),
        };
        if words.is_empty() {
            return Ok(out);
        }
        for account in &policy.accounts {
            let secret = match self.account_credential(store, account).await {
                Ok(secret) => secret,
                Err(e) => {
                    out.errors.push(e);
                    continue;
                }
            };
            let found = async {
                let connect = heron_sync::imap_options(account, &policy.settings.security, secret)?;
                heron_sync::search::search_undownloaded(
                    store,
                    &account.id,
                    &connect,
                    &words,
                    limit as usize,
                )
                .await
            }
            .await;
            match found {
                Ok(rows) => out.items.extend(
                    rows.into_iter()
                        .filter(|m| headers_match(m, &parsed.terms))
                        .map(MessageRow::from),
                ),
                Err(e) => out.errors.push(sync_error(e)),
            }
        }
        out.items.truncate(limit as usize);
        Ok(out)
    }
}

/// Whether a row's stored headers satisfy the field terms (`from:`, `subject:`).
fn headers_match(m: &MessageSummary, terms: &[heron_store::Term]) -> bool {
    terms.iter().all(|t| {
        let needle = t.text.to_lowercase();
        match t.field {
            heron_store::Field::From => format!("{} {}", m.from_name, m.from_addr)
                .to_lowercase()
                .contains(&needle),
            heron_store::Field::Subject => m.subject.to_lowercase().contains(&needle),
            heron_store::Field::Any | heron_store::Field::To => true,
        }
    })
}

/// Sets and clears flags (queued for the server, shown at once).
pub fn flag(store: &mut Store, ids: &[i64], add: Flags, remove: Flags) -> Result<Queued, ApiError> {
    let mut operations = Vec::new();
    for (account, ids) in by_account(store, ids)? {
        operations.extend(
            heron_sync::oplog::set_flags(store, &account, &ids, add, remove).map_err(sync_error)?,
        );
    }
    Ok(Queued { operations })
}

/// Moves messages to the folder `target` of their account.
pub fn move_to(store: &mut Store, ids: &[i64], target: &str) -> Result<Queued, ApiError> {
    let mut operations = Vec::new();
    for (account, ids) in by_account(store, ids)? {
        operations.extend(
            heron_sync::oplog::move_messages(store, &account, &ids, target).map_err(sync_error)?,
        );
    }
    Ok(Queued { operations })
}

/// Moves messages to a folder given by its row id (the window's drag and drop). Every
/// message must be in that folder's account: moving between accounts is refused.
pub fn move_to_folder(store: &mut Store, ids: &[i64], folder: i64) -> Result<Queued, ApiError> {
    let target = folders(store, None)?
        .into_iter()
        .find(|f| f.id == folder)
        .ok_or_else(|| {
            ApiError::new(ErrorCode::NotFound, format!("There is no folder {folder}"))
        })?;
    let groups = by_account(store, ids)?;
    if groups
        .iter()
        .any(|(account, _)| account.as_str() != target.account)
    {
        return Err(ApiError::new(
            ErrorCode::InvalidValue,
            "Messages can only be moved to a folder of their own account",
        ));
    }
    let mut operations = Vec::new();
    for (account, ids) in groups {
        operations.extend(
            heron_sync::oplog::move_messages(store, &account, &ids, &target.name)
                .map_err(sync_error)?,
        );
    }
    Ok(Queued { operations })
}

/// Flags by their IMAP names (`\Seen`, `\Flagged`, ...), as the window sends them;
/// an unknown name is refused rather than ignored.
pub fn flags_named(names: &[String]) -> Result<Flags, ApiError> {
    for name in names {
        if heron_sync::flags_from_imap(std::slice::from_ref(name)) == Flags::default() {
            return Err(ApiError::new(
                ErrorCode::InvalidValue,
                format!("{name:?} is not a flag Heron sets"),
            ));
        }
    }
    Ok(heron_sync::flags_from_imap(names))
}

/// Deletes messages (to Trash, or for good from Trash).
pub fn delete(store: &mut Store, ids: &[i64]) -> Result<Queued, ApiError> {
    let mut operations = Vec::new();
    for (account, ids) in by_account(store, ids)? {
        operations
            .extend(heron_sync::oplog::delete_messages(store, &account, &ids).map_err(sync_error)?);
    }
    Ok(Queued { operations })
}
