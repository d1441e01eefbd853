//! The reader: one message as the window shows it, and what the isolated body view
//! loads. The view is a frame without scripts whose every URL is one of the shell's two
//! schemes, answered here:
//!
//! - `heron-mail://<token>/body` the body document (sanitised HTML, links and allowed
//!   remote content rewritten to the scheme, a CSP that forbids every network load);
//! - `heron-mail://<token>/link/<n>` a click on the n-th link: nothing is loaded, the
//!   shell is told (it checks the link and asks the user when it must);
//! - `heron-mail://<token>/remote/<n>` the n-th remote image, fetched by Rust when the
//!   user allowed remote content for the message or its sender;
//! - `heron-cid://<token>/<content-id>` an inline image of the message.
//!
//! The token is random and names one shown message, so a body can reach nothing of
//! another message, and nothing at all once the reader has moved on.

use std::collections::{HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

pub use heron_mime::CID_SCHEME;
use heron_mime::{AttachmentView, Mailbox, MessageView, SecurityNote, ViewOptions, ViewRewrite};
use heron_store::{MessageRowId, OpenedAttachments, OsRandom, RandomSource, Store, StoreError};
use serde::{Deserialize, Serialize};

use crate::local_data::store_error;
use crate::mail::MessageRow;
use crate::{ApiError, ErrorCode, Heron};

/// The scheme of the body document, link clicks and remote content.
pub const MAIL_SCHEME: &str = "heron-mail";

/// The body document's Content-Security-Policy: nothing runs, nothing loads from the
/// network, images only from the message itself (and `data:`).
pub const BODY_CSP: &str = "default-src 'none'; script-src 'none'; object-src 'none'; \
     style-src 'unsafe-inline'; img-src data: heron-cid: heron-mail:; font-src 'none'; \
     media-src 'none'; connect-src 'none'; frame-src 'none'; child-src 'none'; \
     worker-src 'none'; manifest-src 'none'; form-action 'none'; base-uri 'none'";

/// How many shown bodies keep their token; older ones answer "not found".
const BODY_TOKENS: usize = 32;

/// Remote content: how many bytes one item may have.
pub const REMOTE_ITEM_MAX_BYTES: usize = 5 * 1024 * 1024;

/// The setting (in the encrypted store) listing senders whose remote content loads.
const REMOTE_SENDERS_SETTING: &str = "reader.remote_content_senders";

/// Remote content of the message in the reader.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RemoteContent {
    /// Remote images and styles made inert in this message.
    pub blocked: usize,
    /// Loaded for this message (by the user, or because the sender is allowed).
    pub loaded: bool,
    /// Whether the policy lets the user allow remote content at all.
    pub may_allow: bool,
}

/// A message forwarded inside the one shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NestedSummary {
    /// Its part path.
    pub part_path: String,
    /// Its subject.
    pub subject: String,
    /// Its sender.
    pub sender: Mailbox,
}

/// What the reader shows of one message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReaderView {
    /// The list row.
    pub summary: MessageRow,
    /// Account id.
    pub account: String,
    /// The folder's name.
    pub folder_name: String,
    /// False while only the headers are stored.
    pub downloaded: bool,
    /// The sender: display name and address, both always shown.
    pub sender: Mailbox,
    /// Every From address.
    pub from: Vec<Mailbox>,
    /// Reply-To.
    pub reply_to: Vec<Mailbox>,
    /// To.
    pub to: Vec<Mailbox>,
    /// Cc.
    pub cc: Vec<Mailbox>,
    /// The Date header, unix seconds.
    pub date_unix: Option<i64>,
    /// Subject, with hidden characters made visible.
    pub subject: String,
    /// The text body.
    pub text_body: String,
    /// The isolated body document; `None` for a message without HTML. Add
    /// `?theme=dark` for the dark rendering.
    pub body_url: Option<String>,
    /// Append an image attachment's part path to preview it (raster images only, in a
    /// frame without scripts); `None` until the body is downloaded.
    pub preview_base: Option<String>,
    /// Remote content state.
    pub remote: RemoteContent,
    /// Attachments.
    pub attachments: Vec<AttachmentView>,
    /// Security notes of the whole message.
    pub security_notes: Vec<SecurityNote>,
    /// Forwarded messages inside.
    pub nested: Vec<NestedSummary>,
}

/// The most of a message's source "view source" shows.
pub const MAX_SOURCE_BYTES: usize = 2 * 1024 * 1024;

/// A message's source, for "view source".
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MessageSource {
    /// The source as text.
    pub text: String,
    /// The whole message's size, bytes.
    pub size: u64,
    /// Whether `text` is only the beginning.
    pub truncated: bool,
}

/// Whom an allowance of remote content covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RemoteScope {
    /// This message, while the app runs.
    Message,
    /// Every message from this sender's address, remembered.
    Sender,
}

/// A click on a link in a message body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LinkRequest {
    /// Names the link for [`Heron::link_to_open`]: the window asks to open a link by
    /// this id, never by a URL of its own.
    pub id: String,
    /// The link, canonical as the URL parser wrote it.
    pub url: String,
    /// Only `http`, `https` and `mailto` links may be opened.
    pub allowed: bool,
    /// Why the user must confirm first; empty when the link may open at once.
    pub warnings: Vec<SecurityNote>,
    /// The host as it will be contacted (punycode for an IDN host).
    pub host: String,
}

/// A response of the body view's schemes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Served {
    /// HTTP status.
    pub status: u16,
    /// Content-Type.
    pub content_type: String,
    /// Body.
    pub body: Vec<u8>,
}

impl Served {
    fn not_found() -> Self {
        Self::status(404)
    }

    fn status(status: u16) -> Self {
        Self {
            status,
            content_type: "text/plain".to_owned(),
            body: Vec::new(),
        }
    }
}

/// What a request of the body view asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ViewRequest {
    /// Answer it with this.
    Serve(Served),
    /// The user clicked a link; answer 204 (the frame stays) and tell the UI.
    Link(LinkRequest),
    /// Remote content to fetch (allowed for this message); answer with what
    /// [`fetch_remote`](crate::remote::fetch_remote) returns.
    Remote(String),
}

/// One body being shown.
#[derive(Debug)]
struct ShownBody {
    token: String,
    message: i64,
    /// Link targets and their text, by index, as last served.
    links: Vec<(String, String)>,
    /// Remote URLs, by index, as last served (empty unless allowed).
    remote: Vec<String>,
    /// For a print document: the messages it prints, each with its own token (whose
    /// links, remote content and inline images it uses). Empty for a body.
    print: Vec<(i64, String)>,
    /// The language of the print document's labels (`en`, `zh-CN`).
    print_lang: String,
    /// Made for a print: kept apart from the reader's tokens (see `print_url`).
    for_print: bool,
}

/// The reader's memory: bodies shown, messages whose remote content the user allowed in
/// this run, attachments opened (their private folders live until the app ends).
#[derive(Debug, Default)]
pub(crate) struct ReaderState {
    shown: Mutex<VecDeque<ShownBody>>,
    remote_messages: Mutex<HashSet<i64>>,
    opened: Mutex<Vec<OpenedAttachments>>,
    /// Message files opened from outside the store (an .eml the app was started with),
    /// by their negative ids.
    external: Mutex<Vec<(i64, std::sync::Arc<Vec<u8>>)>>,
}

fn random_token() -> Result<String, ApiError> {
    let mut bytes = [0u8; 16];
    OsRandom.fill(&mut bytes).map_err(store_error)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

fn view_options(token: &str) -> ViewOptions {
    ViewOptions {
        message_key: token.to_owned(),
        ..ViewOptions::default()
    }
}

fn raw_message(store: &Store, id: i64) -> Result<Option<Vec<u8>>, ApiError> {
    match store.raw_message(MessageRowId(id)) {
        Ok(raw) => Ok(raw.map(|r| r.to_vec())),
        // A body lost with a power cut is downloaded again by the next sync.
        Err(StoreError::BlobCorrupt { .. } | StoreError::Io { .. }) => Ok(None),
        Err(e) => Err(store_error(e)),
    }
}

fn not_downloaded() -> ApiError {
    ApiError::new(
        ErrorCode::NotFound,
        "This message is not downloaded yet; it will be with the next sync",
    )
}

fn no_message(id: i64) -> ApiError {
    ApiError::new(ErrorCode::NotFound, format!("There is no message {id}"))
}

impl Heron {
    fn remote_allowed_by_policy(&self) -> bool {
        self.with_policy(|p| p.settings.features.remote_content)
    }

    fn remote_senders(store: &Store) -> Result<Vec<String>, ApiError> {
        let raw = store
            .setting(REMOTE_SENDERS_SETTING)
            .map_err(store_error)?
            .unwrap_or_default();
        Ok(serde_json::from_str(&raw).unwrap_or_default())
    }

    fn remote_loaded(&self, store: &Store, id: i64, sender: &str) -> Result<bool, ApiError> {
        if !self.remote_allowed_by_policy() {
            return Ok(false);
        }
        let by_message = self
            .reader
            .remote_messages
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(&id);
        let sender = sender.to_ascii_lowercase();
        Ok(by_message || (!sender.is_empty() && Self::remote_senders(store)?.contains(&sender)))
    }

    /// A message's raw bytes: from the store, or an opened file (negative ids).
    fn raw_of(&self, store: &Store, id: i64) -> Result<Option<Vec<u8>>, ApiError> {
        if id < 0 {
            return Ok(self
                .reader
                .external
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .iter()
                .find(|(i, _)| *i == id)
                .map(|(_, raw)| raw.to_vec()));
        }
        raw_message(store, id)
    }

    /// Opens a message file (`.eml`) from outside the store for the reader: it gets a
    /// negative id, lives in memory while the app runs, and is read, previewed, saved
    /// and opened like stored mail. Files over the message size limit are refused.
    pub fn open_message_file(&self, store: &Store, path: &Path) -> Result<ReaderView, ApiError> {
        let limit = heron_mime::Limits::default().max_message_bytes;
        let meta = std::fs::metadata(path).map_err(|e| {
            ApiError::new(
                ErrorCode::NotFound,
                format!("Cannot open {}: {e}", path.display()),
            )
        })?;
        if meta.len() > limit as u64 {
            return Err(ApiError::new(
                ErrorCode::TooLarge,
                format!("{} is larger than {limit} bytes", path.display()),
            ));
        }
        let raw = std::fs::read(path).map_err(|e| {
            ApiError::new(
                ErrorCode::NotFound,
                format!("Cannot read {}: {e}", path.display()),
            )
        })?;
        let id = {
            let mut external = self
                .reader
                .external
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let id = external.iter().map(|(i, _)| *i).min().unwrap_or(0) - 1;
            external.push((id, std::sync::Arc::new(raw)));
            id
        };
        self.read_message(store, id)
    }

    /// One message for the reader. Its body gets a fresh token; the previous tokens of
    /// the same message stop working.
    pub fn read_message(&self, store: &Store, id: i64) -> Result<ReaderView, ApiError> {
        let token = random_token()?;
        let raw = self.raw_of(store, id)?;
        let downloaded = raw.is_some();
        let view = raw
            .as_ref()
            .map(|raw| heron_mime::parse(raw, &view_options(&token)))
            .unwrap_or_default();
        let (summary, account, folder_name) = if id < 0 {
            let raw = raw.ok_or_else(|| no_message(id))?;
            (file_row(id, &view, raw.len()), String::new(), String::new())
        } else {
            let summary = store
                .message(MessageRowId(id))
                .map_err(store_error)?
                .ok_or_else(|| no_message(id))?;
            let location = store
                .message_location(MessageRowId(id))
                .map_err(store_error)?
                .ok_or_else(|| no_message(id))?;
            (
                summary.into(),
                location.account.to_string(),
                location.folder_name,
            )
        };
        let loaded = self.remote_loaded(store, id, &view.sender.address)?;
        if downloaded {
            let mut shown = self
                .reader
                .shown
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            shown.retain(|b| b.message != id);
            if shown.len() >= BODY_TOKENS {
                shown.pop_front();
            }
            shown.push_back(ShownBody {
                token: token.clone(),
                message: id,
                links: Vec::new(),
                remote: Vec::new(),
                print: Vec::new(),
                print_lang: String::new(),
                for_print: false,
            });
        }
        let body_url = view
            .html_body
            .as_ref()
            .map(|_| format!("{MAIL_SCHEME}://{token}/body"));
        let preview_base = downloaded.then(|| format!("{MAIL_SCHEME}://{token}/part/"));
        Ok(reader_view(
            summary,
            account,
            folder_name,
            downloaded,
            view,
            (body_url, preview_base),
            RemoteContent {
                blocked: 0,
                loaded,
                may_allow: self.remote_allowed_by_policy(),
            },
        ))
    }

    /// Allows remote content for one message (this run) or its sender (remembered), and
    /// returns the message again with it loaded.
    pub fn allow_remote_content(
        &self,
        store: &mut Store,
        id: i64,
        scope: RemoteScope,
    ) -> Result<ReaderView, ApiError> {
        if !self.remote_allowed_by_policy() {
            return Err(ApiError::new(
                ErrorCode::SettingLocked,
                "Your administrator does not allow loading remote content in messages",
            ));
        }
        match scope {
            RemoteScope::Message => {
                self.reader
                    .remote_messages
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .insert(id);
            }
            RemoteScope::Sender => {
                let raw = self.raw_of(store, id)?.ok_or_else(|| no_message(id))?;
                let view = heron_mime::parse(&raw, &ViewOptions::default());
                let sender = view.sender.address.to_ascii_lowercase();
                if sender.is_empty() || !view.security_notes.iter().all(allows_trusting_sender) {
                    return Err(ApiError::new(
                        ErrorCode::Conflict,
                        "This message's sender cannot be trusted (its From is suspicious); \
                         load its remote content for this message only",
                    ));
                }
                let mut senders = Self::remote_senders(store)?;
                if !senders.contains(&sender) {
                    senders.push(sender);
                    let json = serde_json::to_string(&senders).map_err(|e| {
                        ApiError::new(ErrorCode::StorageFailed, format!("Cannot save: {e}"))
                    })?;
                    store
                        .set_setting(REMOTE_SENDERS_SETTING, &json)
                        .map_err(store_error)?;
                }
            }
        }
        self.read_message(store, id)
    }

    /// Answers a request of the isolated body view (`heron-mail:` or `heron-cid:`).
    /// Anything not recognised is 404; nothing here ever touches the network.
    pub fn view_request(&self, store: &Store, uri: &str) -> ViewRequest {
        match self.view_request_inner(store, uri) {
            Ok(request) => request,
            Err(e) => {
                eprintln!(
                    "heron: the message view's request {uri:?} failed: {}",
                    e.message
                );
                ViewRequest::Serve(Served::status(500))
            }
        }
    }

    fn view_request_inner(&self, store: &Store, uri: &str) -> Result<ViewRequest, ApiError> {
        let Some((scheme, rest)) = uri.split_once("://") else {
            return Ok(ViewRequest::Serve(Served::not_found()));
        };
        let rest = rest.split('#').next().unwrap_or_default();
        let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
        let dark = query.split('&').any(|p| p == "theme=dark");
        let (token, path) = rest.split_once('/').unwrap_or((rest, ""));
        let Some(message) = self.shown_message(token) else {
            return Ok(ViewRequest::Serve(Served::not_found()));
        };
        if scheme == CID_SCHEME {
            return self
                .inline_part(store, token, message, path)
                .map(ViewRequest::Serve);
        }
        if scheme != MAIL_SCHEME {
            return Ok(ViewRequest::Serve(Served::not_found()));
        }
        let index = |p: &str| p.parse::<usize>().ok();
        match path.split_once('/') {
            None if path == "body" => self
                .body_document(store, token, message, dark)
                .map(ViewRequest::Serve),
            None if path == "print" => self.print_document(store, token).map(ViewRequest::Serve),
            Some(("part", part_path)) => {
                let page = query
                    .split('&')
                    .find_map(|p| p.strip_prefix("page="))
                    .and_then(|n| n.parse::<usize>().ok());
                self.preview_part(store, token, message, part_path, page)
                    .map(ViewRequest::Serve)
            }
            Some(("link", n)) => Ok(self
                .with_shown(token, |b| index(n).and_then(|i| b.links.get(i).cloned()))
                .flatten()
                .map_or(ViewRequest::Serve(Served::not_found()), |(href, text)| {
                    let mut link = link_request(&href, &text);
                    link.id = format!("{token}/{n}");
                    ViewRequest::Link(link)
                })),
            Some(("remote", n)) => Ok(self
                .with_shown(token, |b| index(n).and_then(|i| b.remote.get(i).cloned()))
                .flatten()
                .map_or(ViewRequest::Serve(Served::not_found()), ViewRequest::Remote)),
            _ => Ok(ViewRequest::Serve(Served::not_found())),
        }
    }

    /// The web link a `mail-link` event named (`token/n`), checked again, for opening
    /// in the browser after the user confirmed; `None` for an unknown id, a body no
    /// longer shown, or a link that is not http/https.
    pub fn link_to_open(&self, id: &str) -> Option<String> {
        let (token, n) = id.split_once('/')?;
        let n = n.parse::<usize>().ok()?;
        let (href, text) = self
            .with_shown(token, |b| b.links.get(n).cloned())
            .flatten()?;
        let link = link_request(&href, &text);
        let web = link.url.starts_with("http://") || link.url.starts_with("https://");
        (link.allowed && web).then_some(link.url)
    }

    fn shown_message(&self, token: &str) -> Option<i64> {
        self.with_shown(token, |b| b.message)
    }

    fn with_shown<T>(&self, token: &str, f: impl FnOnce(&mut ShownBody) -> T) -> Option<T> {
        let mut shown = self
            .reader
            .shown
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        shown.iter_mut().find(|b| b.token == token).map(f)
    }

    fn body_document(
        &self,
        store: &Store,
        token: &str,
        id: i64,
        dark: bool,
    ) -> Result<Served, ApiError> {
        let Some(raw) = self.raw_of(store, id)? else {
            return Ok(Served::not_found());
        };
        let view = heron_mime::parse(&raw, &view_options(token));
        let Some(html) = view.html_body.as_deref() else {
            return Ok(Served::not_found());
        };
        let remote_on = self.remote_loaded(store, id, &view.sender.address)?;
        let body = self.prepared_body(token, html, remote_on);
        Ok(Served {
            status: 200,
            content_type: "text/html; charset=utf-8".to_owned(),
            body: body_document(&body, dark).into_bytes(),
        })
    }

    /// A document to print: messages `ids` (one, or a conversation oldest first), each
    /// with its header and whole body, light, without scripts like every body. Returns
    /// its `heron-mail://` URL; `lang` chooses the labels (`zh-CN`, else English).
    pub fn print_url(&self, store: &Store, ids: &[i64], lang: &str) -> Result<String, ApiError> {
        if ids.is_empty() || ids.len() > 200 {
            return Err(ApiError::new(
                ErrorCode::InvalidValue,
                "Print one message, or a conversation of at most 200",
            ));
        }
        // Each message gets a token of its own (its links, remote content and inline
        // images), beside the reader's: printing must not take the tokens of what the
        // reader shows. The previous print's tokens go.
        let mut parts = Vec::with_capacity(ids.len());
        for &id in ids {
            if self.raw_of(store, id)?.is_some() {
                parts.push((id, random_token()?));
            } else if store
                .message(MessageRowId(id))
                .map_err(store_error)?
                .is_none()
                && id >= 0
            {
                return Err(no_message(id));
            }
        }
        let Some((first, _)) = parts.first().cloned() else {
            return Err(ApiError::new(
                ErrorCode::NotFound,
                "Nothing to print: the message is not downloaded yet",
            ));
        };
        let token = random_token()?;
        let mut shown = self
            .reader
            .shown
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        shown.retain(|b| !b.for_print);
        for (id, part_token) in &parts {
            shown.push_back(ShownBody {
                token: part_token.clone(),
                message: *id,
                links: Vec::new(),
                remote: Vec::new(),
                print: Vec::new(),
                print_lang: String::new(),
                for_print: true,
            });
        }
        shown.push_back(ShownBody {
            token: token.clone(),
            message: first,
            links: Vec::new(),
            remote: Vec::new(),
            print: parts,
            print_lang: lang.to_owned(),
            for_print: true,
        });
        Ok(format!("{MAIL_SCHEME}://{token}/print"))
    }

    fn print_document(&self, store: &Store, token: &str) -> Result<Served, ApiError> {
        let Some((parts, lang)) =
            self.with_shown(token, |b| (b.print.clone(), b.print_lang.clone()))
        else {
            return Ok(Served::not_found());
        };
        let labels: [&str; 5] = if lang == "zh-CN" {
            ["发件人", "收件人", "抄送", "日期", "（无主题）"]
        } else {
            ["From", "To", "Cc", "Date", "(no subject)"]
        };
        let mailboxes = |boxes: &[heron_mime::Mailbox]| {
            boxes
                .iter()
                .map(|m| match m.display_name.trim() {
                    "" => m.address.clone(),
                    name => format!("{name} <{}>", m.address),
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut out = String::new();
        for (id, part_token) in parts {
            let Some(raw) = self.raw_of(store, id)? else {
                continue;
            };
            let view = heron_mime::parse(&raw, &view_options(&part_token));
            let subject = match view.subject.trim() {
                "" => labels[4],
                s => s,
            };
            out.push_str("<article><h1>");
            out.push_str(&crate::composer::escape(subject));
            out.push_str("</h1><dl>");
            let date = view
                .date
                .as_ref()
                .map(|d| d.local.clone())
                .unwrap_or_default();
            for (label, value) in [
                (labels[0], mailboxes(&view.from)),
                (labels[1], mailboxes(&view.to)),
                (labels[2], mailboxes(&view.cc)),
                (labels[3], date),
            ] {
                if !value.is_empty() {
                    out.push_str(&format!(
                        "<dt>{label}</dt><dd>{}</dd>",
                        crate::composer::escape(&value)
                    ));
                }
            }
            out.push_str("</dl><div class=\"body\">");
            match view.html_body.as_deref() {
                Some(html) => {
                    let remote_on = self.remote_loaded(store, id, &view.sender.address)?;
                    out.push_str(&self.prepared_body(&part_token, html, remote_on));
                }
                None => {
                    out.push_str("<pre>");
                    out.push_str(&crate::composer::escape(&view.text_body));
                    out.push_str("</pre>");
                }
            }
            out.push_str("</div></article>");
        }
        Ok(Served {
            status: 200,
            content_type: "text/html; charset=utf-8".to_owned(),
            body: format!(
                "<!DOCTYPE html><html lang=\"{}\"><head><meta charset=\"utf-8\">\
                 <meta http-equiv=\"Content-Security-Policy\" content=\"{BODY_CSP}\">\
                 <meta name=\"referrer\" content=\"no-referrer\">\
                 <style>{BODY_STYLE}{PRINT_STYLE}</style></head><body>{out}</body></html>",
                if lang == "zh-CN" { "zh-CN" } else { "en" }
            )
            .into_bytes(),
        })
    }

    /// A sanitised HTML body with its links and (allowed) remote content pointed at the
    /// token's own URLs, which are remembered for it.
    fn prepared_body(&self, token: &str, html: &str, remote_on: bool) -> String {
        let mut links = Vec::new();
        let mut remote = Vec::new();
        let mut link = |href: &str, text: &str| {
            links.push((href.to_owned(), text.to_owned()));
            format!("{MAIL_SCHEME}://{token}/link/{}", links.len() - 1)
        };
        let mut proxy = |url: &str| {
            remote.push(url.to_owned());
            format!("{MAIL_SCHEME}://{token}/remote/{}", remote.len() - 1)
        };
        let body = heron_mime::prepare_for_view(
            html,
            &mut ViewRewrite {
                link: &mut link,
                remote: if remote_on { Some(&mut proxy) } else { None },
            },
        );
        self.with_shown(token, |b| {
            b.links = links;
            b.remote = remote;
        });
        body
    }

    fn inline_part(
        &self,
        store: &Store,
        token: &str,
        id: i64,
        content_id: &str,
    ) -> Result<Served, ApiError> {
        let Some(raw) = self.raw_of(store, id)? else {
            return Ok(Served::not_found());
        };
        let view = heron_mime::parse(&raw, &view_options(token));
        let wanted = heron_mime::percent_decode(content_id);
        let Some(part) = view
            .attachments
            .iter()
            .find(|a| a.content_id.as_deref() == Some(wanted.as_str()))
        else {
            return Ok(Served::not_found());
        };
        if !is_raster_image(&part.content_type) {
            return Ok(Served::not_found());
        }
        Ok(
            match heron_mime::part_content(&raw, &part.part_path, &view_options(token)) {
                Some(content) => Served {
                    status: 200,
                    content_type: part.content_type.clone(),
                    body: content.bytes,
                },
                None => Served::not_found(),
            },
        )
    }

    /// An attachment shown in the app's preview: a raster image as it is, a PDF as a
    /// page of its pages rendered to images by Rust (`page` from 1 for one of them);
    /// nothing that can run or load anything.
    fn preview_part(
        &self,
        store: &Store,
        token: &str,
        id: i64,
        part_path: &str,
        page: Option<usize>,
    ) -> Result<Served, ApiError> {
        let part_path = heron_mime::percent_decode(part_path);
        let (info, bytes) = match self.attachment(store, id, &part_path) {
            Ok(found) => found,
            Err(e) if e.code == ErrorCode::NotFound => return Ok(Served::not_found()),
            Err(e) => return Err(e),
        };
        if is_raster_image(&info.content_type) {
            return Ok(Served {
                status: 200,
                content_type: info.content_type,
                body: bytes,
            });
        }
        if info.content_type != "application/pdf" {
            return Ok(Served::status(415));
        }
        if let Some(page) = page {
            return Ok(
                match page
                    .checked_sub(1)
                    .and_then(|i| crate::pdf_preview::page_png(&bytes, i))
                {
                    Some(png) => Served {
                        status: 200,
                        content_type: "image/png".to_owned(),
                        body: png,
                    },
                    None => Served::not_found(),
                },
            );
        }
        let Some(count) = crate::pdf_preview::page_count(&bytes) else {
            return Ok(Served::status(422));
        };
        let shown = count.min(crate::pdf_preview::MAX_PAGES);
        let mut body = String::from("<div class=\"pdf\">");
        for n in 1..=shown {
            body.push_str(&format!(
                "<img src=\"{MAIL_SCHEME}://{token}/part/{part_path}?page={n}\" alt=\"{n}\">"
            ));
        }
        if count > shown {
            body.push_str(&format!("<p>{shown} / {count}</p>"));
        }
        body.push_str("</div>");
        Ok(Served {
            status: 200,
            content_type: "text/html; charset=utf-8".to_owned(),
            body: body_document(&body, false)
                .replace("</style>", &format!("{PDF_STYLE}</style>"))
                .into_bytes(),
        })
    }

    /// An attachment's name, type and bytes.
    fn attachment(
        &self,
        store: &Store,
        id: i64,
        part_path: &str,
    ) -> Result<(AttachmentView, Vec<u8>), ApiError> {
        let raw = self.raw_of(store, id)?.ok_or_else(not_downloaded)?;
        let opts = ViewOptions::default();
        let view = heron_mime::parse(&raw, &opts);
        let missing = || {
            ApiError::new(
                ErrorCode::NotFound,
                format!("Message {id} has no attachment {part_path}"),
            )
        };
        let info = all_attachments(&view)
            .into_iter()
            .find(|a| a.part_path == part_path)
            .cloned()
            .ok_or_else(missing)?;
        let content = heron_mime::part_content(&raw, part_path, &opts).ok_or_else(missing)?;
        Ok((info, content.bytes))
    }

    /// Saves an attachment into `dir` under its safe file name (never a path from the
    /// mail; an existing file is not replaced, a number is added instead) and returns
    /// the file written. The file appears complete or not at all.
    pub fn save_attachment(
        &self,
        store: &Store,
        id: i64,
        part_path: &str,
        dir: &Path,
    ) -> Result<PathBuf, ApiError> {
        let (info, bytes) = self.attachment(store, id, part_path)?;
        write_new_file(dir, &info.file_name, &bytes)
    }

    /// A message's source as text, for "view source": at most `MAX_SOURCE_BYTES`
    /// (the rest is cut, and said so), 8-bit bytes shown as the replacement character.
    pub fn message_source(&self, store: &Store, id: i64) -> Result<MessageSource, ApiError> {
        let raw = self.raw_of(store, id)?.ok_or_else(not_downloaded)?;
        Ok(MessageSource {
            text: String::from_utf8_lossy(&raw[..raw.len().min(MAX_SOURCE_BYTES)]).into_owned(),
            size: raw.len() as u64,
            truncated: raw.len() > MAX_SOURCE_BYTES,
        })
    }

    /// Saves the whole message as an `.eml` file at `path` (chosen in the save dialog).
    pub fn save_message_as(
        &self,
        store: &Store,
        id: i64,
        path: &Path,
    ) -> Result<PathBuf, ApiError> {
        let raw = self.raw_of(store, id)?.ok_or_else(not_downloaded)?;
        write_file_at(path, &raw)
    }

    /// A safe file name for saving message `id` as `.eml` (from its subject).
    pub fn message_file_name(&self, store: &Store, id: i64) -> Result<String, ApiError> {
        let view = self.read_message(store, id)?;
        let subject: String = view.subject.chars().take(80).collect();
        let base = if subject.trim().is_empty() {
            "message".to_owned()
        } else {
            subject
        };
        Ok(heron_store::safe_base_name(&format!("{base}.eml")))
    }

    /// An attachment's description (for the name a save dialog suggests).
    pub fn attachment_info(
        &self,
        store: &Store,
        id: i64,
        part_path: &str,
    ) -> Result<AttachmentView, ApiError> {
        self.attachment(store, id, part_path).map(|(info, _)| info)
    }

    /// Saves an attachment as `path`, which the user chose in the OS's save dialog (and
    /// confirmed replacing, if it exists). Written through a temporary file in the same
    /// folder, so the file is complete or untouched.
    pub fn save_attachment_as(
        &self,
        store: &Store,
        id: i64,
        part_path: &str,
        path: &Path,
    ) -> Result<PathBuf, ApiError> {
        let (_, bytes) = self.attachment(store, id, part_path)?;
        write_file_at(path, &bytes)
    }

    /// Writes an attachment into a private temporary folder for the OS to open, and
    /// returns its path. A dangerous one (executable, script, double extension) needs
    /// `confirmed`: without it the answer is [`ErrorCode::ConfirmationRequired`].
    pub fn extract_attachment_to_open(
        &self,
        store: &Store,
        id: i64,
        part_path: &str,
        confirmed: bool,
    ) -> Result<PathBuf, ApiError> {
        let (info, bytes) = self.attachment(store, id, part_path)?;
        if (info.dangerous || !info.warnings.is_empty()) && !confirmed {
            return Err(ApiError::new(
                ErrorCode::ConfirmationRequired,
                format!(
                    "{} could harm this computer; opening it needs your confirmation",
                    info.file_name
                ),
            ));
        }
        let folder = store
            .open_attachments_folder(MessageRowId(id), &mut OsRandom)
            .map_err(store_error)?;
        let path = write_new_file(folder.dir(), &info.file_name, &bytes)?;
        self.reader
            .opened
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(folder);
        Ok(path)
    }
}

/// The list row of a message opened from a file (it is in no folder).
fn file_row(id: i64, view: &MessageView, size: usize) -> MessageRow {
    MessageRow {
        id,
        folder: 0,
        uid: 0,
        message_id: view.message_id.clone().unwrap_or_default(),
        thread_id: String::new(),
        subject: view.subject.clone(),
        from_name: view.sender.display_name.clone(),
        from_addr: view.sender.address.clone(),
        date: view.date.as_ref().map_or(0, |d| d.unix),
        size: size as u64,
        flags: vec!["\\Seen"],
        has_attachments: !view.attachments.is_empty(),
        preview: view.text_body.chars().take(200).collect(),
        conversation: None,
    }
}

/// A From the user may trust for "always load from this sender": no spoofing note.
fn allows_trusting_sender(note: &SecurityNote) -> bool {
    !matches!(
        note,
        SecurityNote::MissingFrom
            | SecurityNote::EncodedWordHidesAddress { .. }
            | SecurityNote::ControlCharsInSender { .. }
            | SecurityNote::SeveralFromAddresses { .. }
            | SecurityNote::DisplayNameContainsOtherAddress { .. }
            | SecurityNote::SenderDiffersFromFrom { .. }
    )
}

/// Attachments of the message and of the messages nested in it.
fn all_attachments(view: &MessageView) -> Vec<&AttachmentView> {
    let mut out: Vec<&AttachmentView> = view.attachments.iter().collect();
    for nested in &view.nested_messages {
        out.extend(all_attachments(&nested.view));
    }
    out
}

fn reader_view(
    summary: MessageRow,
    account: String,
    folder_name: String,
    downloaded: bool,
    view: MessageView,
    (body_url, preview_base): (Option<String>, Option<String>),
    remote: RemoteContent,
) -> ReaderView {
    ReaderView {
        summary,
        account,
        folder_name,
        downloaded,
        sender: view.sender,
        from: view.from,
        reply_to: view.reply_to,
        to: view.to,
        cc: view.cc,
        date_unix: view.date.map(|d| d.unix),
        subject: view.subject,
        text_body: view.text_body,
        body_url,
        preview_base,
        remote: RemoteContent {
            blocked: view.remote_items_blocked,
            ..remote
        },
        attachments: view.attachments,
        security_notes: view.security_notes,
        nested: view
            .nested_messages
            .into_iter()
            .map(|n| NestedSummary {
                part_path: n.part_path,
                subject: n.view.subject,
                sender: n.view.sender,
            })
            .collect(),
    }
}

/// Checks a clicked link: only web and mail links may open; the others are refused.
pub fn link_request(href: &str, text: &str) -> LinkRequest {
    match url::Url::parse(href.trim()) {
        Ok(url) if matches!(url.scheme(), "http" | "https" | "mailto") => LinkRequest {
            id: String::new(),
            host: url.host_str().unwrap_or_default().to_owned(),
            warnings: heron_mime::link_warnings(url.as_str(), text),
            url: url.to_string(),
            allowed: true,
        },
        _ => LinkRequest {
            id: String::new(),
            url: heron_mime::escape_visible(href),
            allowed: false,
            warnings: Vec::new(),
            host: String::new(),
        },
    }
}

/// The document the isolated view loads: the sanitised body with the base style. The
/// CSP is repeated in a meta element, in case a shell ever drops the header. In the
/// dark theme the page is inverted and its images inverted back, so mail made for white
/// paper stays readable with its colour relations kept (the reader offers the original
/// colours too).
fn body_document(body: &str, dark: bool) -> String {
    let dark_style = if dark { DARK_STYLE } else { "" };
    format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{BODY_CSP}\">\
         <meta name=\"referrer\" content=\"no-referrer\">\
         <meta http-equiv=\"x-dns-prefetch-control\" content=\"off\">\
         <meta name=\"color-scheme\" content=\"light\">\
         <style>{BODY_STYLE}{dark_style}</style></head><body>{body}</body></html>"
    )
}

/// Paper: each message's header above its body, a page break between messages.
const PRINT_STYLE: &str = "article+article{break-before:page}\
     h1{font-size:18px;margin:0 0 8px}\
     dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:0 0 12px;\
     padding-bottom:12px;border-bottom:1px solid #ccc;font-size:13px}\
     dt{color:#555}dd{margin:0}";

/// Readable defaults that leave the sender's own styles in charge.
const BODY_STYLE: &str = "html{background:#fff;color:#1f1f1f}\
     body{margin:16px;font:14px/1.5 system-ui,-apple-system,'Segoe UI','Noto Sans',\
     'Noto Sans CJK SC','Microsoft YaHei',sans-serif;overflow-wrap:anywhere}\
     img{max-width:100%;height:auto}table{max-width:100%}\
     pre{white-space:pre-wrap}blockquote{margin:0 0 0 8px;padding-left:12px;\
     border-left:3px solid #c8c8c8;color:#555}a{color:#0b57d0}";

/// PDF pages in the preview: grey desk, white pages.
const PDF_STYLE: &str = "html,body{background:#525659;margin:0}\
     .pdf{display:flex;flex-direction:column;align-items:center;gap:12px;padding:12px}\
     .pdf img{max-width:100%;box-shadow:0 1px 4px rgba(0,0,0,.5);background:#fff}\
     .pdf p{color:#fff}";

/// The dark rendering: invert lightness, keep hues; media inverted back.
const DARK_STYLE: &str = "html{filter:invert(0.88) hue-rotate(180deg)}\
     img,video,[style*=\"background-image\"]{filter:invert(1) hue-rotate(180deg)}";

fn is_raster_image(content_type: &str) -> bool {
    matches!(
        content_type,
        "image/png" | "image/jpeg" | "image/jpg" | "image/gif" | "image/webp" | "image/bmp"
    )
}

/// Writes `bytes` as a new file `name` in `dir` (`name (2).ext` and so on when taken),
/// through a temporary file, so a failure leaves nothing behind.
fn write_new_file(dir: &Path, name: &str, bytes: &[u8]) -> Result<PathBuf, ApiError> {
    use std::io::Write as _;
    let io_error = |path: &Path, e: std::io::Error| write_error(path, &e);
    let name = heron_store::safe_base_name(name);
    let (stem, ext) = match name.rsplit_once('.') {
        Some((s, e)) if !s.is_empty() => (s.to_owned(), format!(".{e}")),
        _ => (name.clone(), String::new()),
    };
    let mut temp = tempfile_in(dir).map_err(|e| io_error(dir, e))?;
    temp.write_all(bytes)
        .and_then(|()| temp.as_file().sync_all())
        .map_err(|e| io_error(dir, e))?;
    for n in 1..1000 {
        let candidate = if n == 1 {
            dir.join(&name)
        } else {
            dir.join(format!("{stem} ({n}){ext}"))
        };
        match temp.persist_noclobber(&candidate) {
            Ok(_) => return Ok(candidate),
            Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => temp = e.file,
            Err(e) => return Err(io_error(&candidate, e.error)),
        }
    }
    Err(ApiError::new(
        ErrorCode::StorageFailed,
        format!("{} has too many files named {name}", dir.display()),
    ))
}

/// Writes `bytes` as `path` (replacing it) through a temporary file in the same folder,
/// so the file is complete or untouched.
pub fn write_file_at(path: &Path, bytes: &[u8]) -> Result<PathBuf, ApiError> {
    use std::io::Write as _;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::InvalidValue,
                format!("{} is not a file path", path.display()),
            )
        })?;
    let failed = |e: std::io::Error| write_error(path, &e);
    let mut temp = tempfile_in(dir).map_err(failed)?;
    temp.write_all(bytes)
        .and_then(|()| temp.as_file().sync_all())
        .map_err(failed)?;
    temp.persist(path).map_err(|e| failed(e.error))?;
    Ok(path.to_path_buf())
}

fn write_error(path: &Path, e: &std::io::Error) -> ApiError {
    let code = if e.raw_os_error() == Some(28) {
        ErrorCode::DiskFull
    } else {
        ErrorCode::StorageFailed
    };
    ApiError::new(code, format!("Cannot write {}: {e}", path.display()))
}

fn tempfile_in(dir: &Path) -> std::io::Result<tempfile::NamedTempFile> {
    tempfile::Builder::new().prefix(".heron-").tempfile_in(dir)
}
