//! Writing and sending on heron-api: drafts (kept locally first, then in the server's
//! Drafts folder), the outbox (undo send, send later, at most once), the Sent copy, and
//! what `heronctl send` does. The window will call the same functions.

use std::fs::File;
use std::path::PathBuf;

use heron_mime::{Address, Attachment, ComposeError, InlineImage, OutgoingMessage};
use heron_model::AccountId;
use heron_policy::AccountConfig;
use heron_store::{BlobName, OsRandom, OutboxState, RandomSource as _, Store};
use heron_sync::outbox::{OutboxReport, SentCopy, StoredEnvelope};
use serde::{Deserialize, Serialize};

use crate::local_data::store_error;
use crate::mail::{require_sign_in, sync_error};
use crate::{ApiError, ErrorCode, Heron};

/// A draft as the composer and `heronctl send` describe it. Addresses are kept as the
/// user typed them, so a half-written draft is never refused.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DraftContent {
    /// The sending identity's address; the account's own when empty.
    pub from: String,
    /// To, as typed.
    pub to: String,
    /// Cc, as typed.
    pub cc: String,
    /// Bcc, as typed.
    pub bcc: String,
    /// Subject.
    pub subject: String,
    /// Plain text body (derived from the HTML when absent).
    pub text: Option<String>,
    /// HTML body.
    pub html: Option<String>,
    /// Attachments and inline images, stored as encrypted blobs.
    pub attachments: Vec<DraftAttachment>,
    /// The Message-ID replied to.
    pub in_reply_to: Option<String>,
    /// The thread's Message-IDs.
    pub references: Vec<String>,
    /// The window composer's own parts (the user's words apart from the quote), so a
    /// draft reopens as it was written; absent for drafts from elsewhere.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub composer: Option<crate::composer::ComposerParts>,
}

/// A file attached to a draft.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DraftAttachment {
    /// File name as shown and sent.
    pub file_name: String,
    /// MIME type.
    pub content_type: String,
    /// The encrypted blob holding it.
    pub blob: String,
    /// Bytes.
    pub size: u64,
    /// Set for an image shown inside the HTML (`cid:` URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_id: Option<String>,
}

/// A file to attach, as the picker, drag-drop, paste or the CLI hands it over.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewAttachment {
    /// File name.
    pub file_name: String,
    /// MIME type.
    pub content_type: String,
    /// Its bytes.
    pub data: Vec<u8>,
    /// For an inline image.
    pub content_id: Option<String>,
}

/// A saved draft.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DraftSaved {
    /// Draft id.
    pub id: i64,
    /// Local version.
    pub version: i64,
    /// Its Message-ID (the sent message keeps it).
    pub message_id: String,
}

/// When a message may leave.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendAt {
    /// At once (the CLI).
    Now,
    /// After the undo delay the policy sets (`features.undo_send_delay_seconds`).
    AfterUndoDelay,
    /// At this Unix time (send later).
    At(i64),
}

/// A message put in the outbox.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct QueuedSend {
    /// Outbox id (for undo, and to follow it).
    pub outbox: i64,
    /// Unix seconds before which it does not leave.
    pub not_before: i64,
    /// Its Message-ID.
    pub message_id: String,
}

/// An outbox entry as the UI and `heronctl outbox` show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OutboxView {
    /// Outbox id.
    pub id: i64,
    /// Account.
    pub account: String,
    /// Message-ID.
    pub message_id: String,
    /// `queued`, `sending`, `transmitting`, `sent`, `uncertain` or `failed`.
    pub state: &'static str,
    /// Attempts so far.
    pub attempts: u32,
    /// Unix seconds before which it does not leave.
    pub not_before: i64,
    /// The last failure in words (the server's, when it refused).
    pub error: String,
    /// The last failure's code.
    pub error_code: String,
}

/// One account's outbox pass.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AccountOutbox {
    /// Account.
    pub account: String,
    /// What was sent, retried, refused, uncertain.
    #[serde(flatten)]
    pub report: Option<OutboxReport>,
    /// Why the pass could not run.
    pub error: Option<ApiError>,
}

/// Holds the data directory for this process: two Heron processes sending from one
/// outbox could both send a message.
#[derive(Debug)]
pub struct InstanceLock {
    _file: File,
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn compose_error(e: ComposeError) -> ApiError {
    ApiError::new(ErrorCode::InvalidMessage, e.to_string())
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::InvalidMessage, message)
}

/// The folder of an account with this special use, or the usual name.
fn special_folder(store: &Store, account: &AccountId, special_use: &str, fallback: &str) -> String {
    // folder_states, not folders: the counts cost a scan of every message, and this runs
    // at every sync (regression: it made a no-change resync of 100,000 messages 0.5 s).
    store
        .folder_states(account)
        .ok()
        .and_then(|fs| fs.into_iter().find(|f| f.special_use == special_use))
        .map_or_else(|| fallback.to_owned(), |f| f.name)
}

fn drafts_folder(store: &Store, account: &AccountId) -> String {
    special_folder(store, account, "\\Drafts", "Drafts")
}

fn sent_copy(store: &Store, account: &AccountConfig) -> SentCopy {
    if account.server_files_sent {
        SentCopy::ServerFiles
    } else {
        SentCopy::AppendTo(special_folder(store, &account.id, "\\Sent", "Sent"))
    }
}

/// How strictly a draft is turned into a message: for the Drafts folder anything the
/// user typed so far is fine; for sending, every address must parse and someone must
/// receive it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Strictness {
    Draft,
    Send,
}

impl Heron {
    /// Takes the data directory for this process; fails with `already_running` while
    /// another Heron (window or heronctl) holds it. The lock goes with the process, so
    /// a crash never leaves it stuck.
    pub fn lock_instance(&self) -> Result<InstanceLock, ApiError> {
        let dir = self
            .data_dir
            .clone()
            .ok_or_else(|| ApiError::new(ErrorCode::NoDataDir, "Sending needs a data directory"))?;
        std::fs::create_dir_all(&dir).map_err(|e| {
            ApiError::new(
                ErrorCode::StorageFailed,
                format!("Cannot create {}: {e}", dir.display()),
            )
        })?;
        let path: PathBuf = dir.join(heron_store::INSTANCE_LOCK_FILE);
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| {
                ApiError::new(
                    ErrorCode::StorageFailed,
                    format!("Cannot open {}: {e}", path.display()),
                )
            })?;
        match file.try_lock() {
            Ok(()) => Ok(InstanceLock { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => Err(ApiError::new(
                ErrorCode::AlreadyRunning,
                "Heron is already running with this data directory; close it first",
            )),
            Err(std::fs::TryLockError::Error(e)) => Err(ApiError::new(
                ErrorCode::StorageFailed,
                format!("Cannot lock {}: {e}", path.display()),
            )),
        }
    }

    pub(crate) fn account(&self, id: &AccountId) -> Result<AccountConfig, ApiError> {
        self.policy()
            .accounts
            .into_iter()
            .find(|a| &a.id == id)
            .ok_or_else(|| ApiError::new(ErrorCode::NotFound, format!("No account {id}")))
    }

    /// The addresses the user sends as: the account's and its identities'.
    pub fn own_addresses(account: &AccountConfig) -> Vec<String> {
        let mut out = vec![account.email.clone()];
        out.extend(account.identities.iter().map(|i| i.email.clone()));
        out
    }

    /// The signature of the identity sending as `from` (the account's first identity's
    /// when `from` is the account's own address), with profile fields filled in.
    pub fn signature(&self, account: &AccountId, from: &str) -> Result<Option<String>, ApiError> {
        let account = self.account(account)?;
        let identity = account
            .identities
            .iter()
            .find(|i| i.email.eq_ignore_ascii_case(from))
            .or_else(|| account.identities.first());
        Ok(identity.and_then(|i| i.signature.clone()).map(|template| {
            let p = account.profile();
            template
                .replace("${display_name}", &p.display_name)
                .replace("${email}", &p.email)
                .replace("${title}", p.title.as_deref().unwrap_or_default())
                .replace("${department}", p.department.as_deref().unwrap_or_default())
                .replace("${phone}", p.phone.as_deref().unwrap_or_default())
        }))
    }

    /// Saves a draft (a new one when `draft` is None) durably, with its new
    /// attachments, and queues putting it in the server's Drafts folder. Nothing the
    /// user typed is refused here except what can never be sent (a line break in a
    /// header field).
    pub fn save_draft(
        &self,
        store: &mut Store,
        account: &AccountId,
        draft: Option<i64>,
        content: DraftContent,
        new_attachments: Vec<NewAttachment>,
    ) -> Result<DraftSaved, ApiError> {
        self.save_draft_as(store, account, draft, None, content, new_attachments)
    }

    /// Opens stored message `message` (from a Drafts folder: saved there by Heron on
    /// another machine, or by another client) as a draft to go on writing. It keeps its
    /// Message-ID, so saving replaces the server's copy instead of adding one, and a
    /// draft already open locally is continued rather than forked.
    pub fn open_draft(&self, store: &mut Store, message: i64) -> Result<DraftSaved, ApiError> {
        let id = heron_store::MessageRowId(message);
        let location = store
            .message_location(id)
            .map_err(store_error)?
            .ok_or_else(|| ApiError::new(ErrorCode::NotFound, format!("No message {message}")))?;
        let account = AccountId::new(location.account.clone())
            .map_err(|e| ApiError::new(ErrorCode::StorageFailed, e.to_string()))?;
        if let Some(d) = store
            .draft_by_message_id(&account, &location.message_id)
            .map_err(store_error)?
        {
            return Ok(DraftSaved {
                id: d.id,
                version: d.version,
                message_id: d.message_id,
            });
        }
        let raw = store.raw_message(id).map_err(store_error)?.ok_or_else(|| {
            ApiError::new(
                ErrorCode::NotFound,
                format!("Message {message} is not downloaded yet; sync, then try again"),
            )
        })?;
        let back = heron_mime::reopen_draft(&raw);
        let content = DraftContent {
            to: address_list_text(&back.to),
            cc: address_list_text(&back.cc),
            bcc: address_list_text(&back.bcc),
            subject: back.subject,
            text: Some(back.text),
            html: back.html,
            in_reply_to: back.in_reply_to,
            references: back.references,
            ..DraftContent::default()
        };
        let mut files = inline_attachments(back.inline_images);
        files.extend(back.attachments.into_iter().map(|a| NewAttachment {
            file_name: a.file_name,
            content_type: a.content_type,
            data: a.data,
            content_id: None,
        }));
        let saved = self.save_draft_as(store, &account, None, back.message_id, content, files)?;
        // The server holds this version already.
        store
            .mark_draft_uploaded(saved.id, saved.version)
            .map_err(store_error)?;
        Ok(saved)
    }

    fn save_draft_as(
        &self,
        store: &mut Store,
        account: &AccountId,
        draft: Option<i64>,
        keep_message_id: Option<String>,
        mut content: DraftContent,
        new_attachments: Vec<NewAttachment>,
    ) -> Result<DraftSaved, ApiError> {
        let config = self.account(account)?;
        let blobs = store.blobs(account);
        for a in new_attachments {
            let blob = blobs.put(&a.data, &mut OsRandom).map_err(store_error)?;
            content.attachments.push(DraftAttachment {
                file_name: a.file_name,
                content_type: a.content_type,
                blob: blob.as_str().to_owned(),
                size: a.data.len() as u64,
                content_id: a.content_id,
            });
        }
        let existing = match draft {
            Some(id) => Some(
                store
                    .draft(id)
                    .map_err(store_error)?
                    .ok_or_else(|| ApiError::new(ErrorCode::NotFound, format!("No draft {id}")))?,
            ),
            None => None,
        };
        let message_id = match (&existing, keep_message_id) {
            (Some(d), _) => d.message_id.clone(),
            (None, Some(id)) => id,
            (None, None) => new_message_id(&config, &content)?,
        };
        let (raw, _) = build(
            store,
            &config,
            &message_id,
            &content,
            now(),
            Strictness::Draft,
        )?;
        let raw_blob = blobs.put(&raw, &mut OsRandom).map_err(store_error)?;
        let json = serde_json::to_string(&content)
            .map_err(|e| ApiError::new(ErrorCode::StorageFailed, e.to_string()))?;
        let summary = (content.subject.as_str(), content.to.as_str());
        let (id, version) = match existing {
            Some(d) => {
                let v = store
                    .update_draft(d.id, &json, summary, &raw_blob, now())
                    .map_err(store_error)?;
                (d.id, v)
            }
            None => (
                store
                    .create_draft(account, &message_id, &json, summary, &raw_blob, now())
                    .map_err(store_error)?,
                1,
            ),
        };
        heron_sync::oplog::upload_draft(store, account, id, &drafts_folder(store, account))
            .map_err(sync_error)?;
        Ok(DraftSaved {
            id,
            version,
            message_id,
        })
    }

    /// Puts a draft in the outbox. It is checked strictly first (every address, at
    /// least one recipient, the attachment size limit); nothing reaches the network
    /// here. It leaves at `at`; until then [`cancel_send`] takes it back.
    pub fn send_draft(
        &self,
        store: &mut Store,
        draft: i64,
        at: SendAt,
    ) -> Result<QueuedSend, ApiError> {
        let record = store
            .draft(draft)
            .map_err(store_error)?
            .ok_or_else(|| ApiError::new(ErrorCode::NotFound, format!("No draft {draft}")))?;
        let config = self.account(&record.account)?;
        let content: DraftContent = serde_json::from_str(&record.content)
            .map_err(|e| ApiError::new(ErrorCode::StorageFailed, e.to_string()))?;
        let features = self.policy().settings.features;
        let limit = u64::from(features.attachment_size_limit_mb) * 1024 * 1024;
        let total: u64 = content.attachments.iter().map(|a| a.size).sum();
        if total > limit {
            return Err(ApiError::new(
                ErrorCode::TooLarge,
                format!(
                    "The attachments are {} MB; the limit is {} MB",
                    total.div_ceil(1024 * 1024),
                    features.attachment_size_limit_mb
                ),
            ));
        }
        let now = now();
        let not_before = match at {
            SendAt::Now => now,
            SendAt::AfterUndoDelay => now + i64::from(features.undo_send_delay_seconds),
            SendAt::At(t) if t > now && !features.send_later => {
                return Err(ApiError::new(
                    ErrorCode::SettingLocked,
                    "Sending later is turned off by your administrator",
                ));
            }
            SendAt::At(t) => t.max(now),
        };
        let (raw, envelope) = build(
            store,
            &config,
            &record.message_id,
            &content,
            not_before,
            Strictness::Send,
        )?;
        let raw_blob: BlobName = store
            .blobs(&record.account)
            .put(&raw, &mut OsRandom)
            .map_err(store_error)?;
        let outbox = store
            .queue_send(draft, &raw_blob, &envelope.to_json(), not_before, now)
            .map_err(store_error)?;
        Ok(QueuedSend {
            outbox,
            not_before,
            message_id: record.message_id,
        })
    }

    /// Sends what is due in every account's outbox. Refused until the privacy notice
    /// in force is accepted. One account's failure does not stop the others.
    pub async fn flush_outbox(&self, store: &mut Store) -> Result<Vec<AccountOutbox>, ApiError> {
        self.require_consent()?;
        let policy = self.policy();
        let mut out = Vec::new();
        for account in &policy.accounts {
            let result = async {
                // Most syncs find the outbox empty: then no keyring read, no TLS set-up
                // and no durable write (recovering interrupted sends) at every sync.
                let waiting = store
                    .outbox(Some(&account.id))
                    .map_err(store_error)?
                    .iter()
                    .any(|o| {
                        matches!(
                            o.state,
                            OutboxState::Queued | OutboxState::Sending | OutboxState::Transmitting
                        )
                    });
                if !waiting {
                    return Ok(OutboxReport::default());
                }
                // A refused refresh token keeps its code (the user signs in again), and
                // so does an account nobody has signed in to yet: the mail waits.
                let secret = self.account_credential(store, account).await?;
                require_sign_in(account, secret.as_ref(), "send its mail")?;
                let smtp = heron_sync::smtp_options(account, &policy.settings.security, secret)
                    .map_err(sync_error)?;
                let copy = sent_copy(store, account);
                let drafts = drafts_folder(store, &account.id);
                heron_sync::outbox::transmit_due(store, &account.id, &smtp, &copy, &drafts, now)
                    .await
                    .map_err(sync_error)
            }
            .await;
            out.push(match result {
                Ok(report) => AccountOutbox {
                    account: account.id.to_string(),
                    report: Some(report),
                    error: None,
                },
                Err(e) => AccountOutbox {
                    account: account.id.to_string(),
                    report: None,
                    error: Some(e),
                },
            });
        }
        Ok(out)
    }

    /// Replays every account's operation log to its IMAP server (Sent copies, drafts,
    /// flags, moves) without a full sync; returns the first error.
    pub async fn replay_operations(&self, store: &mut Store) -> Result<u64, ApiError> {
        self.require_consent()?;
        let policy = self.policy();
        let mut done = 0;
        for account in &policy.accounts {
            if store
                .pending_operations(&account.id)
                .map_err(store_error)?
                .is_empty()
            {
                continue;
            }
            let secret = self.account_credential(store, account).await?;
            let connect = heron_sync::imap_options(account, &policy.settings.security, secret)
                .map_err(sync_error)?;
            done += heron_sync::oplog::replay_pending(store, &account.id, &connect, now())
                .await
                .map_err(sync_error)?;
        }
        Ok(done)
    }

    /// The user's answer for a message whose delivery is uncertain: send it again, or
    /// count it as sent. False when it is not (any more) uncertain.
    pub fn resolve_uncertain(
        &self,
        store: &mut Store,
        outbox: i64,
        resend: bool,
    ) -> Result<bool, ApiError> {
        let Some(item) = store.outgoing(outbox).map_err(store_error)? else {
            return Ok(false);
        };
        let config = self.account(&item.account)?;
        let copy = sent_copy(store, &config);
        let drafts = drafts_folder(store, &item.account);
        heron_sync::outbox::resolve_uncertain(store, outbox, resend, &copy, &drafts, now())
            .map_err(sync_error)
    }

    pub(crate) fn require_consent(&self) -> Result<(), ApiError> {
        if self.privacy_notice()?.must_accept {
            return Err(ApiError::new(
                ErrorCode::ConsentRequired,
                "The privacy notice must be accepted before Heron connects to any server",
            ));
        }
        Ok(())
    }
}

/// Takes a send back while it waits (undo send, or a scheduled send): the draft is
/// editable again. False when it is too late.
pub fn cancel_send(store: &mut Store, outbox: i64) -> Result<bool, ApiError> {
    store.cancel_send(outbox).map_err(store_error)
}

/// Deletes a draft locally and queues removing its server copies.
pub fn discard_draft(store: &mut Store, draft: i64) -> Result<bool, ApiError> {
    let Some(record) = store.draft(draft).map_err(store_error)? else {
        return Ok(false);
    };
    if !store.delete_draft(draft).map_err(store_error)? {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            "The message is in the outbox; take the send back first",
        ));
    }
    let folder = drafts_folder(store, &record.account);
    heron_sync::oplog::discard_draft(store, &record.account, &record.message_id, &folder)
        .map_err(sync_error)?;
    Ok(true)
}

/// Every outbox entry, oldest first.
pub fn outbox(store: &Store) -> Result<Vec<OutboxView>, ApiError> {
    Ok(store
        .outbox(None)
        .map_err(store_error)?
        .into_iter()
        .map(|o| OutboxView {
            id: o.id,
            account: o.account.to_string(),
            message_id: o.message_id,
            state: o.state.as_str(),
            attempts: o.attempts,
            not_before: o.not_before,
            error: o.error,
            error_code: o.error_code,
        })
        .collect())
}

/// True when an outbox entry ended in a state the user must look at.
pub fn needs_attention(state: &str) -> bool {
    state == OutboxState::Failed.as_str() || state == OutboxState::Uncertain.as_str()
}

fn new_message_id(account: &AccountConfig, content: &DraftContent) -> Result<String, ApiError> {
    let mut random = [0u8; 16];
    OsRandom.fill(&mut random).map_err(store_error)?;
    let from = if content.from.is_empty() {
        &account.email
    } else {
        &content.from
    };
    let domain = from.rsplit_once('@').map_or("", |(_, d)| d);
    Ok(heron_mime::new_message_id(random, domain))
}

/// The sender: the account's address or one of its identities, with its name.
fn sender(account: &AccountConfig, from: &str) -> Result<Address, ApiError> {
    if from.is_empty() || from.eq_ignore_ascii_case(&account.email) {
        return Address::new(Some(&account.display_name), &account.email).map_err(compose_error);
    }
    let identity = account
        .identities
        .iter()
        .find(|i| i.email.eq_ignore_ascii_case(from))
        .ok_or_else(|| {
            invalid(format!(
                "{from} is not one of the addresses this account may send as"
            ))
        })?;
    let name = identity
        .display_name
        .as_deref()
        .unwrap_or(&account.display_name);
    Address::new(Some(name), &identity.email).map_err(compose_error)
}

fn addresses(
    field: &'static str,
    input: &str,
    strictness: Strictness,
) -> Result<Vec<Address>, ApiError> {
    match heron_mime::parse_address_list(field, input) {
        Ok(list) => Ok(list),
        // A draft keeps what the user typed locally; its server copy carries only what
        // parses, so an unfinished address never blocks saving.
        Err(ComposeError::InvalidAddress { .. }) if strictness == Strictness::Draft => Ok(input
            .split([',', ';'])
            .filter_map(|part| heron_mime::parse_address_list(field, part).ok())
            .flatten()
            .collect()),
        Err(e) => Err(compose_error(e)),
    }
}

/// Builds the message bytes (and the envelope) of a draft.
fn build(
    store: &Store,
    account: &AccountConfig,
    message_id: &str,
    content: &DraftContent,
    date: i64,
    strictness: Strictness,
) -> Result<(Vec<u8>, StoredEnvelope), ApiError> {
    let blobs = store.blobs(&account.id);
    let mut attachments = Vec::new();
    let mut inline_images = Vec::new();
    for a in &content.attachments {
        let name = BlobName::parse(&a.blob).ok_or_else(|| {
            ApiError::new(
                ErrorCode::StorageFailed,
                format!("The attachment {} is missing", a.file_name),
            )
        })?;
        let data = blobs.get(&name).map_err(store_error)?.to_vec();
        match &a.content_id {
            Some(cid) => inline_images.push(InlineImage {
                content_id: cid.clone(),
                content_type: a.content_type.clone(),
                file_name: a.file_name.clone(),
                data,
            }),
            None => attachments.push(Attachment {
                file_name: a.file_name.clone(),
                content_type: a.content_type.clone(),
                data,
            }),
        }
    }
    let message = OutgoingMessage {
        from: sender(account, &content.from)?,
        to: addresses("to", &content.to, strictness)?,
        cc: addresses("cc", &content.cc, strictness)?,
        bcc: addresses("bcc", &content.bcc, strictness)?,
        reply_to: Vec::new(),
        subject: content.subject.clone(),
        text: content.text.clone(),
        html: content.html.clone(),
        inline_images,
        attachments,
        message_id: message_id.to_owned(),
        date,
        // UTC on purpose: the Date header would otherwise tell every recipient the
        // sender's time zone; their clients show local time either way.
        utc_offset_minutes: 0,
        in_reply_to: content.in_reply_to.clone(),
        references: content.references.clone(),
    };
    let raw = match strictness {
        Strictness::Send => heron_mime::build_message(&message),
        Strictness::Draft => heron_mime::build_draft(&message),
    }
    .map_err(compose_error)?;
    let envelope = StoredEnvelope {
        from: message.from.email.clone(),
        to: heron_mime::envelope_recipients(&message),
    };
    Ok((raw, envelope))
}

/// How a new draft starts from a received message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Respond {
    /// To the sender (or its Reply-To).
    Reply,
    /// To the sender and every other recipient, without the user's own addresses.
    ReplyAll,
    /// The original quoted inline, its attachments carried over.
    Forward,
    /// The original attached whole, as a .eml.
    ForwardAsAttachment,
}

/// A draft started from a received message, not yet saved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DraftStart {
    /// The account the original belongs to, which answers it.
    pub account: AccountId,
    /// Recipients, subject, threading headers and the quoted original.
    pub content: DraftContent,
    /// Files carried over (forward) and images the quoted HTML shows.
    pub attachments: Vec<NewAttachment>,
}

/// An address as a user would type it, quoting the name when it needs quotes.
fn address_text(a: &Address) -> String {
    match a.name.as_deref().filter(|n| !n.is_empty()) {
        None => a.email.clone(),
        Some(name)
            if name.contains([
                '"', ',', ';', '<', '>', '@', '(', ')', '[', ']', ':', '\\', '.',
            ]) =>
        {
            format!(
                "\"{}\" <{}>",
                name.replace('\\', "\\\\").replace('"', "\\\""),
                a.email
            )
        }
        Some(name) => format!("{name} <{}>", a.email),
    }
}

fn address_list_text(list: &[Address]) -> String {
    list.iter().map(address_text).collect::<Vec<_>>().join(", ")
}

fn inline_attachments(images: Vec<InlineImage>) -> Vec<NewAttachment> {
    images
        .into_iter()
        .map(|i| NewAttachment {
            file_name: i.file_name,
            content_type: i.content_type,
            data: i.data,
            content_id: Some(i.content_id),
        })
        .collect()
}

impl Heron {
    /// Starts a reply or forward of stored message `message`: recipients (the user's
    /// own addresses left out), "Re:"/"Fwd:" once, In-Reply-To and References, and the
    /// original quoted through the sanitiser (it is untrusted: scripts and remote
    /// content do not survive). The composer puts the user's words above the quote.
    pub fn respond_to(
        &self,
        store: &Store,
        message: i64,
        how: Respond,
    ) -> Result<DraftStart, ApiError> {
        let id = heron_store::MessageRowId(message);
        let location = store
            .message_location(id)
            .map_err(store_error)?
            .ok_or_else(|| ApiError::new(ErrorCode::NotFound, format!("No message {message}")))?;
        let raw = store.raw_message(id).map_err(store_error)?.ok_or_else(|| {
            ApiError::new(
                ErrorCode::NotFound,
                format!("Message {message} is not downloaded yet; sync, then try again"),
            )
        })?;
        let account = AccountId::new(location.account.clone())
            .map_err(|e| ApiError::new(ErrorCode::StorageFailed, e.to_string()))?;
        let config = self.account(&account)?;
        let (content, attachments) = match how {
            Respond::Reply | Respond::ReplyAll => {
                let mode = if how == Respond::Reply {
                    heron_mime::ReplyMode::Reply
                } else {
                    heron_mime::ReplyMode::ReplyAll
                };
                let seed = heron_mime::reply_seed(&raw, mode, &Self::own_addresses(&config));
                (
                    DraftContent {
                        to: address_list_text(&seed.to),
                        cc: address_list_text(&seed.cc),
                        subject: seed.subject,
                        text: Some(seed.quoted_text),
                        html: Some(seed.quoted_html).filter(|h| !h.is_empty()),
                        in_reply_to: seed.in_reply_to,
                        references: seed.references,
                        ..DraftContent::default()
                    },
                    inline_attachments(seed.inline_images),
                )
            }
            Respond::Forward | Respond::ForwardAsAttachment => {
                let seed = heron_mime::forward_seed(&raw, how == Respond::ForwardAsAttachment);
                let mut files = inline_attachments(seed.inline_images);
                files.extend(seed.attachments.into_iter().map(|a| NewAttachment {
                    file_name: a.file_name,
                    content_type: a.content_type,
                    data: a.data,
                    content_id: None,
                }));
                (
                    DraftContent {
                        subject: seed.subject,
                        text: Some(seed.quoted_text).filter(|t| !t.is_empty()),
                        html: Some(seed.quoted_html).filter(|h| !h.is_empty()),
                        ..DraftContent::default()
                    },
                    files,
                )
            }
        };
        Ok(DraftStart {
            account,
            content,
            attachments,
        })
    }
}

/// Puts the user's own words above a quoted original: as text, and as escaped HTML
/// when the draft has an HTML part.
pub fn write_above_quote(content: &mut DraftContent, words: &str) {
    let quote = content.text.take().unwrap_or_default();
    content.text = Some(if quote.is_empty() {
        words.to_owned()
    } else {
        format!("{words}\n\n{quote}")
    });
    if let Some(html) = content.html.take() {
        let mut escaped = String::new();
        for line in words.lines() {
            escaped.push_str("<p>");
            for c in line.chars() {
                match c {
                    '&' => escaped.push_str("&amp;"),
                    '<' => escaped.push_str("&lt;"),
                    '>' => escaped.push_str("&gt;"),
                    '"' => escaped.push_str("&quot;"),
                    c => escaped.push(c),
                }
            }
            escaped.push_str("</p>");
        }
        content.html = Some(format!("{escaped}{html}"));
    }
}
