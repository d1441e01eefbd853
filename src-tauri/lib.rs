//! Heron's desktop shell: window setup and Tauri commands.
//!
//! The shell holds no logic of its own: every command is a thin wrapper over heron-api,
//! and is `async` so nothing runs on the main thread. Mail bodies are shown in a frame
//! without scripts that loads only from the `heron-mail:` and `heron-cid:` schemes,
//! answered here from heron-api's reader (see heron-api `reader`).

mod body_keys;
mod drag_out;
mod launch;
#[cfg(target_os = "linux")]
mod notify;
mod rendering;
#[cfg(target_os = "linux")]
mod single_instance;
mod unread;
mod worker;

/// Desktop notifications elsewhere come with those platforms' packaging.
#[cfg(not(target_os = "linux"))]
mod notify {
    #[derive(Clone)]
    pub struct Notifier;

    impl Notifier {
        pub fn start(_app: tauri::AppHandle) -> Self {
            Self
        }

        pub fn show(&self, _title: String, _body: String, _message: i64) -> Result<u32, String> {
            Err("Notifications are not built for this platform yet".to_owned())
        }
    }
}

use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use heron_api::Store;
use heron_api::accounts::{AccountPermissions, NewAccount};
use heron_api::composer::{ComposerInput, ComposerSaved, ComposerState, Correspondent};
use heron_api::discover::{Discovery, DiscoveryOptions};
use heron_api::lifecycle::RemovedAccount;
use heron_api::mail::{FolderView, MessageRow, MessageWindow, ServerSearch};
use heron_api::reader::MessageSource;
use heron_api::send::{QueuedSend, Respond, SendAt};
use heron_api::{
    AcceptedNotice, AccountSummary, ApiError, ErrorCode, Heron, HeronOptions, LinkRequest,
    LocalStoreState, PrivacyNoticeView, ReaderView, RemoteScope, Served, ViewRequest,
};
use heron_model::{AppInfo, Profile};
use tauri::{Emitter as _, Manager as _};
use worker::{SyncState, Worker};

/// What the commands share: the API context (or why it could not be opened: a bad
/// configuration must not crash the app; the UI shows the error instead), the store
/// connection the window reads through, and the background worker.
struct AppState {
    heron: Result<Arc<Heron>, ApiError>,
    store: Mutex<Option<Store>>,
    worker: Worker,
    notifier: notify::Notifier,
    /// Watches the policy files while the app runs (dropped with it).
    _policy_watcher: Option<heron_api::PolicyWatcher>,
    /// A message file (`.eml`) the app was started with, until the window takes it.
    launch_file: Mutex<Option<PathBuf>>,
    /// A `mailto:` link the app was started with (the desktop's handler for such links
    /// runs `heron LINK`), until the window takes it.
    launch_mailto: Mutex<Option<String>>,
    /// Ends the sign-in in the browser that is waiting, if any.
    oauth_cancel: Mutex<Option<tokio::sync::oneshot::Sender<()>>>,
    /// Whether a message body has the focus (its shortcut keys are caught then).
    body_focus: body_keys::BodyFocus,
}

impl AppState {
    fn heron(&self) -> Result<&Heron, ApiError> {
        self.heron.as_deref().map_err(Clone::clone)
    }

    /// Runs `f` on the window's store connection, opening it on first use.
    fn with_store<T>(
        &self,
        f: impl FnOnce(&Heron, &mut Store) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let heron = self.heron()?;
        let mut guard = self.store.lock().unwrap_or_else(PoisonError::into_inner);
        if guard.is_none() {
            *guard = Some(open_app_store(heron)?);
        }
        match guard.as_mut() {
            Some(store) => f(heron, store),
            None => Err(ApiError::new(
                ErrorCode::StorageFailed,
                "The store is not open",
            )),
        }
    }
}

/// Shows the inboxes' unread count on the window title, dock badge and tray.
fn show_unread(app: &tauri::AppHandle, store: &Store) {
    match heron_api::mail::unread_in_inboxes(store) {
        Ok(count) => {
            if let Some(badge) = app.try_state::<unread::UnreadBadge>() {
                badge.show(app, count);
            }
        }
        Err(e) => eprintln!("heron: cannot count unread mail: {}", e.message),
    }
}

/// A store connection for the app, with the app's page cache (see [`WINDOW_CACHE_MIB`]).
fn open_app_store(heron: &Heron) -> Result<Store, ApiError> {
    let store = heron.open_store()?;
    store.limit_cache(WINDOW_CACHE_MIB).map_err(|e| {
        ApiError::new(
            ErrorCode::StorageFailed,
            format!("Cannot set up the store: {e}"),
        )
    })?;
    Ok(store)
}

type State<'a> = tauri::State<'a, AppState>;

/// The page cache of each of the app's two store connections (the window's and the
/// worker's), MiB: the app stays small with a 100,000-message folder open, and lists
/// and searches stay fast.
const WINDOW_CACHE_MIB: u32 = 16;

/// How often the policy files are looked at for changes.
const POLICY_POLL: std::time::Duration = std::time::Duration::from_secs(5);

#[tauri::command]
async fn app_info(state: State<'_>) -> Result<AppInfo, ApiError> {
    Ok(state.heron()?.app_info())
}

#[tauri::command]
async fn profile(state: State<'_>) -> Result<Option<Profile>, ApiError> {
    Ok(state.heron()?.profile())
}

/// The accounts with their origin and sign-in state; before the store can be opened
/// (its own dialog is showing), without looking for credentials.
#[tauri::command]
async fn accounts(state: State<'_>) -> Result<Vec<AccountSummary>, ApiError> {
    state
        .with_store(|heron, store| Ok(heron.account_list(store)))
        .or_else(|_| Ok(state.heron()?.accounts()))
}

#[tauri::command]
async fn account_permissions(state: State<'_>) -> Result<AccountPermissions, ApiError> {
    Ok(state.heron()?.account_permissions())
}

/// Looks for an address's servers; sends no credential anywhere.
#[tauri::command]
async fn discover_account(state: State<'_>, email: String) -> Result<Discovery, ApiError> {
    let heron = state.heron.clone()?;
    let tls = heron.web_tls()?;
    heron_api::discover::discover(&email, tls, &DiscoveryOptions::from_env()).await
}

/// Tries the password on the servers the user confirmed, then saves the account; the
/// worker is kicked to sync it. Talks to the servers on a store connection of its own.
#[tauri::command]
async fn add_account(state: State<'_>, account: NewAccount) -> Result<AccountSummary, ApiError> {
    let heron = state.heron.clone()?;
    let added = on_own_connection(move || {
        let mut store = open_app_store(&heron)?;
        block_on(heron.add_account(&mut store, &account))?
    })
    .await?;
    state.worker.kick();
    Ok(added)
}

/// Checks the password with the account's server and keeps it; the worker is kicked.
#[tauri::command]
async fn sign_in(state: State<'_>, account: String, password: String) -> Result<(), ApiError> {
    let heron = state.heron.clone()?;
    on_own_connection(move || {
        let mut store = open_app_store(&heron)?;
        block_on(heron.sign_in(&mut store, &account, &password))?
    })
    .await?;
    state.worker.kick();
    Ok(())
}

/// How long a sign-in in the browser may take.
const OAUTH_WAIT: std::time::Duration = std::time::Duration::from_secs(300);

/// Signs in to an OAuth account in the user's browser: the sign-in page opens there,
/// and the tokens are kept once the server's answer came back and IMAP took the token.
/// A newer sign-in (or `cancel_sign_in`) ends a waiting one.
#[tauri::command]
async fn sign_in_oauth(state: State<'_>, account: String) -> Result<(), ApiError> {
    let heron = state.heron.clone()?;
    let (cancel, cancelled) = tokio::sync::oneshot::channel::<()>();
    if let Some(earlier) = state
        .oauth_cancel
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .replace(cancel)
    {
        let _ = earlier.send(());
    }
    on_own_connection(move || {
        let mut store = open_app_store(&heron)?;
        block_on(async {
            let sign_in = heron.begin_oauth(&account).await?;
            os_open(std::ffi::OsStr::new(&sign_in.authorize_url))?;
            tokio::select! {
                done = heron.finish_oauth(&mut store, sign_in, OAUTH_WAIT) => done,
                _ = cancelled => Err(ApiError::new(
                    ErrorCode::Conflict,
                    "The sign-in was cancelled",
                )),
            }
        })?
    })
    .await?;
    state.worker.kick();
    Ok(())
}

/// Stops waiting for a sign-in in the browser.
#[tauri::command]
async fn cancel_sign_in(state: State<'_>) -> Result<(), ApiError> {
    if let Some(cancel) = state
        .oauth_cancel
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take()
    {
        let _ = cancel.send(());
    }
    Ok(())
}

/// The account leaves the configuration now; the worker wipes its local data before
/// its next pass.
#[tauri::command]
async fn remove_account(state: State<'_>, account: String) -> Result<(), ApiError> {
    state.with_store(|heron, store| heron.remove_account(store, &account))?;
    state.worker.kick();
    Ok(())
}

/// Runs `work` on the blocking pool (it opens a store connection of its own and talks
/// to servers), keeping the window's connection and thread free.
async fn on_own_connection<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tauri::async_runtime::spawn_blocking(work)
        .await
        .map_err(|e| ApiError::new(ErrorCode::StorageFailed, e.to_string()))?
}

/// Runs a future to completion on a runtime of this (blocking-pool) thread.
fn block_on<F: std::future::Future>(future: F) -> Result<F::Output, ApiError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| ApiError::new(ErrorCode::StorageFailed, e.to_string()))?;
    Ok(runtime.block_on(future))
}

#[tauri::command]
async fn privacy_notice(state: State<'_>) -> Result<PrivacyNoticeView, ApiError> {
    state.heron()?.privacy_notice()
}

/// The shell supplies the time, so heron-api stays deterministic under test. Accepting
/// lets the worker start syncing.
#[tauri::command]
async fn accept_privacy_notice(
    state: State<'_>,
    version: String,
) -> Result<AcceptedNotice, ApiError> {
    let accepted = state
        .heron()?
        .accept_privacy_notice(&version, worker::unix_now())?;
    state.worker.kick();
    Ok(accepted)
}

/// What the window shows first about the local store: nothing, the key-file warning, or
/// a dialog that blocks it (unreadable: rebuild or quit; no keyring: quit).
#[tauri::command]
async fn local_store_state(state: State<'_>) -> Result<LocalStoreState, ApiError> {
    Ok(state.heron()?.local_store_state())
}

/// Only ever rebuilds an unreadable store; heron-api refuses one that opens.
#[tauri::command]
async fn rebuild_local_store(state: State<'_>) -> Result<LocalStoreState, ApiError> {
    let rebuilt = state.heron()?.rebuild_local_store()?;
    *state.store.lock().unwrap_or_else(PoisonError::into_inner) = None;
    state.worker.kick();
    Ok(rebuilt)
}

/// Declining the privacy notice, or a local store that cannot be used, ends the app: a
/// clean exit, code 0.
#[tauri::command]
async fn quit_app(app: tauri::AppHandle) {
    app.exit(0);
}

#[tauri::command]
async fn mail_folders(state: State<'_>) -> Result<Vec<FolderView>, ApiError> {
    state.with_store(|_, store| {
        let mut folders = heron_api::mail::folders(store, None)?;
        if let Some(all) = heron_api::mail::all_inboxes(store)? {
            folders.insert(0, all);
        }
        Ok(folders)
    })
}

#[tauri::command]
async fn mail_window(
    state: State<'_>,
    folder: i64,
    offset: u32,
    limit: u32,
    order: Option<String>,
) -> Result<MessageWindow, ApiError> {
    state.with_store(|_, store| {
        heron_api::mail::window(store, folder, order.as_deref(), offset, limit)
    })
}

/// Every message of a conversation, oldest first, across the account's folders.
#[tauri::command]
async fn read_conversation(state: State<'_>, id: i64) -> Result<Vec<MessageRow>, ApiError> {
    state.with_store(|_, store| heron_api::mail::conversation(store, id))
}

#[tauri::command]
async fn read_message(state: State<'_>, id: i64) -> Result<ReaderView, ApiError> {
    state.with_store(|heron, store| heron.read_message(store, id))
}

#[tauri::command]
async fn search_mail(
    state: State<'_>,
    query: String,
    limit: u32,
) -> Result<Vec<MessageRow>, ApiError> {
    state.with_store(|_, store| heron_api::mail::search(store, &query, limit.min(1000)))
}

/// Asks the servers about messages whose bodies are not downloaded yet (the local
/// index cannot see inside them). Uses a store connection of its own, so the window's
/// stays free while the servers answer.
#[tauri::command]
async fn search_server(
    state: State<'_>,
    query: String,
    limit: u32,
) -> Result<ServerSearch, ApiError> {
    let heron = state.heron.clone()?;
    on_own_connection(move || {
        let store = open_app_store(&heron)?;
        block_on(heron.search_server(&store, &query, limit.min(500)))?
    })
    .await
}

/// Actions are applied to the store at once and queued for the server; the worker is
/// kicked to replay them now.
#[tauri::command]
async fn set_flags(
    app: tauri::AppHandle,
    state: State<'_>,
    ids: Vec<i64>,
    add: Vec<String>,
    remove: Vec<String>,
) -> Result<(), ApiError> {
    let (add, remove) = (
        heron_api::mail::flags_named(&add)?,
        heron_api::mail::flags_named(&remove)?,
    );
    state.with_store(|_, store| {
        heron_api::mail::flag(store, &ids, add, remove)?;
        show_unread(&app, store);
        Ok(())
    })?;
    state.worker.kick();
    Ok(())
}

#[tauri::command]
async fn move_messages(
    app: tauri::AppHandle,
    state: State<'_>,
    ids: Vec<i64>,
    folder: i64,
) -> Result<(), ApiError> {
    state.with_store(|_, store| {
        heron_api::mail::move_to_folder(store, &ids, folder)?;
        show_unread(&app, store);
        Ok(())
    })?;
    state.worker.kick();
    Ok(())
}

#[tauri::command]
async fn delete_messages(
    app: tauri::AppHandle,
    state: State<'_>,
    ids: Vec<i64>,
) -> Result<(), ApiError> {
    state.with_store(|_, store| {
        heron_api::mail::delete(store, &ids)?;
        show_unread(&app, store);
        Ok(())
    })?;
    state.worker.kick();
    Ok(())
}

#[tauri::command]
async fn sync_now(state: State<'_>) -> Result<(), ApiError> {
    state.heron()?;
    state.worker.kick();
    Ok(())
}

#[tauri::command]
async fn sync_states(state: State<'_>) -> Result<Vec<SyncState>, ApiError> {
    Ok(state.worker.states())
}

#[tauri::command]
async fn allow_remote_content(
    state: State<'_>,
    id: i64,
    scope: RemoteScope,
) -> Result<ReaderView, ApiError> {
    state.with_store(|heron, store| heron.allow_remote_content(store, id, scope))
}

/// Opens a web link from a message in the user's browser, after the UI asked when it
/// had to. The window names the link by the id its `mail-link` event carried; the URL
/// comes from the message as Rust served it, and only http and https are handed to the
/// OS.
#[tauri::command]
async fn open_link(state: State<'_>, id: String) -> Result<(), ApiError> {
    let url = state.heron()?.link_to_open(&id).ok_or_else(|| {
        ApiError::new(
            ErrorCode::NotFound,
            "That link is no longer shown, or is not a web link",
        )
    })?;
    os_open(std::ffi::OsStr::new(&url))
}

/// Saves an attachment where the user chooses in the OS's save dialog (starting in
/// Downloads, with the attachment's safe name); `None` when the dialog is cancelled.
#[tauri::command]
async fn save_attachment(
    app: tauri::AppHandle,
    state: State<'_>,
    id: i64,
    part_path: String,
) -> Result<Option<String>, ApiError> {
    let info = state.with_store(|heron, store| heron.attachment_info(store, id, &part_path))?;
    let Some(path) = choose_save_path(&app, &info.file_name)? else {
        return Ok(None);
    };
    let saved =
        state.with_store(|heron, store| heron.save_attachment_as(store, id, &part_path, &path))?;
    Ok(Some(saved.display().to_string()))
}

/// A message's source, for "view source" (shown as text).
#[tauri::command]
async fn message_source(state: State<'_>, id: i64) -> Result<MessageSource, ApiError> {
    state.with_store(|heron, store| heron.message_source(store, id))
}

/// Saves a whole message as an `.eml` file where the user chooses; `None` when the
/// dialog is cancelled.
#[tauri::command]
async fn save_message(
    app: tauri::AppHandle,
    state: State<'_>,
    id: i64,
) -> Result<Option<String>, ApiError> {
    let name = state.with_store(|heron, store| heron.message_file_name(store, id))?;
    let Some(path) = choose_save_path(&app, &name)? else {
        return Ok(None);
    };
    let saved = state.with_store(|heron, store| heron.save_message_as(store, id, &path))?;
    Ok(Some(saved.display().to_string()))
}

/// Exports the user's diagnostics (heron-api `diagnostics`: no mail, no secret) as a
/// JSON file where they choose; `None` when the dialog is cancelled. Heron sends it
/// nowhere.
#[tauri::command]
async fn export_diagnostics(
    app: tauri::AppHandle,
    state: State<'_>,
) -> Result<Option<String>, ApiError> {
    let window = serde_json::json!({ "sync_states": state.worker.states() });
    let report =
        match state.with_store(|heron, store| heron.diagnostics(Some(store), window.clone())) {
            Ok(report) => report,
            // The store cannot be opened: that is worth reporting too.
            Err(_) => state.heron()?.diagnostics(None, window)?,
        };
    let name = format!("heron-diagnostics-{}.json", worker::unix_now());
    let Some(path) = choose_save_path(&app, &name)? else {
        return Ok(None);
    };
    let text = serde_json::to_vec_pretty(&report)
        .map_err(|e| ApiError::new(ErrorCode::StorageFailed, e.to_string()))?;
    let saved = heron_api::reader::write_file_at(&path, &text)?;
    Ok(Some(saved.display().to_string()))
}

/// The OS's save dialog, starting in Downloads with `name`; `None` when cancelled.
fn choose_save_path(app: &tauri::AppHandle, name: &str) -> Result<Option<PathBuf>, ApiError> {
    use tauri_plugin_dialog::DialogExt as _;
    let mut dialog = app.dialog().file().set_file_name(name);
    if let Ok(downloads) = app.path().download_dir() {
        dialog = dialog.set_directory(downloads);
    }
    dialog
        .blocking_save_file()
        .map(|chosen| {
            chosen.into_path().map_err(|e| {
                ApiError::new(
                    ErrorCode::InvalidValue,
                    format!("Not a file on this computer: {e}"),
                )
            })
        })
        .transpose()
}

/// Opens an attachment with the OS's program for its type, from a private temporary
/// folder; a dangerous one only when `confirmed`.
#[tauri::command]
async fn open_attachment(
    state: State<'_>,
    id: i64,
    part_path: String,
    confirmed: bool,
) -> Result<(), ApiError> {
    let path: PathBuf = state.with_store(|heron, store| {
        heron.extract_attachment_to_open(store, id, &part_path, confirmed)
    })?;
    os_open(path.as_os_str())
}

/// Drags an attachment out of the window (started by the page's own drag): the file is
/// written to the store's private temporary folder and dragged as a file. Dropping it
/// is a save, so a dangerous file needs no confirmation here, as with Save.
#[tauri::command]
async fn drag_attachment(
    window: tauri::WebviewWindow,
    state: State<'_>,
    id: i64,
    part_path: String,
) -> Result<(), ApiError> {
    let path: PathBuf = state
        .with_store(|heron, store| heron.extract_attachment_to_open(store, id, &part_path, true))?;
    drag_out::start(&window, path).await
}

/// Prints messages `ids` (one, or a conversation oldest first) whole: a window of their
/// own shows the print document (headers and full bodies, from the `heron-mail:`
/// scheme, without scripts, allowed no command) and opens the print dialog once it has
/// loaded. The window closes when the dialog is cancelled or the printing has been
/// handed over, so printing reads as a dialog, not as a new window to tidy away.
#[tauri::command]
async fn print_messages(
    app: tauri::AppHandle,
    state: State<'_>,
    ids: Vec<i64>,
    lang: String,
) -> Result<(), ApiError> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static PRINTS: AtomicU64 = AtomicU64::new(0);
    let url = state.with_store(|heron, store| heron.print_url(store, &ids, &lang))?;
    let url = url
        .parse()
        .map_err(|e| ApiError::new(ErrorCode::StorageFailed, format!("{e}")))?;
    let label = format!("print-{}", PRINTS.fetch_add(1, Ordering::Relaxed));
    let title = if lang == "zh-CN" {
        "打印 — Heron"
    } else {
        "Print — Heron"
    };
    tauri::WebviewWindowBuilder::new(&app, label, tauri::WebviewUrl::CustomProtocol(url))
        .title(title)
        .inner_size(820.0, 900.0)
        .on_page_load(|window, payload| {
            if payload.event() == tauri::webview::PageLoadEvent::Finished {
                print_then_close(window);
            }
        })
        .build()
        .map(|window| rendering::apply(&window))
        .map_err(|e| {
            ApiError::new(
                ErrorCode::StorageFailed,
                format!("Cannot open the print window: {e}"),
            )
        })
}

/// The page says a message body took (`true`) or lost the keyboard focus; see
/// `body_keys`.
#[tauri::command]
async fn set_body_focus(state: State<'_>, focused: bool) -> Result<(), ApiError> {
    state.body_focus.set(focused);
    Ok(())
}

/// Opens the print dialog for `window`'s page, and closes the window once the dialog is
/// cancelled or the print job has been handed to the printing system.
#[cfg(target_os = "linux")]
fn print_then_close(window: tauri::WebviewWindow) {
    let closing = window.clone();
    let shown = window.with_webview(move |webview| {
        use webkit2gtk::{PrintOperationExt, PrintOperationResponse};
        let operation = webkit2gtk::PrintOperation::new(&webview.inner());
        let after_print = closing.clone();
        operation.connect_finished(move |_| {
            let _ = after_print.close();
        });
        operation.connect_failed(|_, e| eprintln!("heron: printing failed: {e}"));
        if operation.run_dialog(None::<&gtk::Window>) == PrintOperationResponse::Cancel {
            let _ = closing.close();
        }
    });
    if let Err(e) = shown {
        eprintln!("heron: cannot open the print dialog: {e}");
    }
}

/// Elsewhere the platform's own print dialog; the window stays as a preview.
#[cfg(not(target_os = "linux"))]
fn print_then_close(window: tauri::WebviewWindow) {
    let _ = window.print();
}

/// Hands a URL or a file to the desktop's opener, as one argument: no shell, nothing
/// of it is interpreted on the way.
fn os_open(target: &std::ffi::OsStr) -> Result<(), ApiError> {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "explorer.exe"
    } else {
        "xdg-open"
    };
    std::process::Command::new(opener)
        .arg(target)
        .stdin(std::process::Stdio::null())
        .spawn()
        .map(drop)
        .map_err(|e| {
            ApiError::new(
                ErrorCode::StorageFailed,
                format!("Cannot run {opener}: {e}"),
            )
        })
}

#[tauri::command]
async fn compose(state: State<'_>, account: Option<String>) -> Result<ComposerState, ApiError> {
    state.heron()?.compose(account.as_deref())
}

/// Reply, reply all or forward: the draft is saved at once.
#[tauri::command]
async fn respond_to(state: State<'_>, id: i64, mode: Respond) -> Result<ComposerState, ApiError> {
    state.with_store(|heron, store| heron.compose_response(store, id, mode))
}

#[tauri::command]
async fn open_draft(state: State<'_>, id: i64) -> Result<ComposerState, ApiError> {
    state.with_store(|heron, store| heron.compose_from_draft_message(store, id))
}

/// Saving queues the draft's upload to the server's Drafts; the worker is kicked.
#[tauri::command]
async fn save_draft(state: State<'_>, input: ComposerInput) -> Result<ComposerSaved, ApiError> {
    let saved =
        state.with_store(|heron, store| heron.save_composer(store, input, worker::unix_now()))?;
    state.worker.kick();
    Ok(saved)
}

/// Into the outbox: after the undo delay, or at `at` (send later).
#[tauri::command]
async fn send_draft(
    state: State<'_>,
    draft_id: i64,
    at: Option<i64>,
) -> Result<QueuedSend, ApiError> {
    let when = at.map_or(SendAt::AfterUndoDelay, SendAt::At);
    let queued = state.with_store(|heron, store| heron.send_draft(store, draft_id, when))?;
    state.worker.kick();
    Ok(queued)
}

/// Undo send: the draft comes back to the composer.
#[tauri::command]
async fn cancel_send(state: State<'_>, outbox: i64) -> Result<ComposerState, ApiError> {
    state.with_store(|heron, store| heron.undo_send(store, outbox))
}

#[tauri::command]
async fn discard_draft(state: State<'_>, draft_id: i64) -> Result<(), ApiError> {
    state.with_store(|_, store| heron_api::send::discard_draft(store, draft_id).map(drop))?;
    state.worker.kick();
    Ok(())
}

/// The message a `mailto:` link started the app to write; handed out once.
#[tauri::command]
async fn take_launch_compose(state: State<'_>) -> Result<Option<ComposerState>, ApiError> {
    let link = state
        .launch_mailto
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take();
    link.map(|l| state.heron()?.compose_mailto(&l)).transpose()
}

/// The message file the app was started with (`heron letter.eml`), for the reader;
/// handed out once.
#[tauri::command]
async fn take_launch_message(state: State<'_>) -> Result<Option<ReaderView>, ApiError> {
    let file = state
        .launch_file
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take();
    file.map(|f| state.with_store(|heron, store| heron.open_message_file(store, &f)))
        .transpose()
}

#[tauri::command]
async fn recent_addresses(
    state: State<'_>,
    query: String,
    limit: u32,
) -> Result<Vec<Correspondent>, ApiError> {
    state.with_store(|_, store| {
        heron_api::composer::recent_correspondents(store, &query, limit.min(50))
    })
}

/// Accounts the admin removed whose local data was wiped, not yet shown to the user.
#[tauri::command]
async fn removed_accounts(state: State<'_>) -> Result<Vec<RemovedAccount>, ApiError> {
    state.with_store(|heron, store| heron.removed_accounts_untold(store))
}

#[tauri::command]
async fn acknowledge_removed_accounts(state: State<'_>) -> Result<(), ApiError> {
    state.with_store(|heron, store| heron.acknowledge_removed_accounts(store))
}

/// Shows a desktop notification for new mail in the user's language (the UI writes
/// the text from the `new-mail` event); a click sends `open-message` with `message`.
#[tauri::command]
async fn notify_new_mail(
    state: State<'_>,
    title: String,
    body: String,
    message: i64,
) -> Result<(), ApiError> {
    state
        .notifier
        .show(title, body, message)
        .map(drop)
        .map_err(|e| ApiError::new(ErrorCode::ServerUnreachable, e))
}

/// Answers the isolated body view. The frame has no scripts and no capability; this is
/// the only thing it can reach. The work (reading the store, parsing, rendering a PDF
/// page) runs on the blocking pool, never on the thread that drives the window.
fn answer_view(
    app: &tauri::AppHandle,
    request: &tauri::http::Request<Vec<u8>>,
    responder: tauri::UriSchemeResponder,
) {
    let uri = request.uri().to_string();
    let app = app.clone();
    tauri::async_runtime::spawn_blocking(move || {
        let state = app.state::<AppState>();
        let answer = state.with_store(|heron, store| Ok(heron.view_request(store, &uri)));
        match answer {
            Ok(ViewRequest::Serve(served)) => responder.respond(view_response(served)),
            Ok(ViewRequest::Link(link)) => {
                open_checked_link(&app, link);
                responder.respond(view_response(status_only(204)));
            }
            Ok(ViewRequest::Remote(url)) => {
                let tls = state.heron().and_then(Heron::web_tls);
                tauri::async_runtime::spawn(async move {
                    let served = match tls {
                        Ok(tls) => heron_api::remote::fetch_remote(&url, tls).await,
                        Err(_) => status_only(502),
                    };
                    responder.respond(view_response(served));
                });
            }
            Err(e) => {
                eprintln!("heron: the message view cannot be answered: {}", e.message);
                responder.respond(view_response(status_only(503)));
            }
        }
    });
}

fn status_only(status: u16) -> Served {
    Served {
        status,
        content_type: "text/plain".to_owned(),
        body: Vec::new(),
    }
}

/// A link clicked in a body: a plain web link opens at once; one that needs a look
/// (another host than its text shows, an IDN or IP host) or a `mailto:` goes to the UI.
fn open_checked_link(app: &tauri::AppHandle, link: LinkRequest) {
    let web = link.url.starts_with("http://") || link.url.starts_with("https://");
    if link.allowed
        && web
        && link.warnings.is_empty()
        && let Err(e) = os_open(std::ffi::OsStr::new(&link.url))
    {
        eprintln!("heron: {}", e.message);
    }
    let _ = app.emit_to("main", "mail-link", link);
}

fn view_response(served: Served) -> tauri::http::Response<Vec<u8>> {
    let response = tauri::http::Response::builder()
        .status(served.status)
        .header("Content-Type", served.content_type)
        .header("Content-Security-Policy", heron_api::reader::BODY_CSP)
        .header("X-Content-Type-Options", "nosniff")
        .header("Referrer-Policy", "no-referrer")
        .header("Cache-Control", "no-store")
        .body(served.body);
    response.unwrap_or_else(|_| tauri::http::Response::new(Vec::new()))
}

/// Builds and runs the app; returns the process exit code.
pub fn run() -> std::process::ExitCode {
    let launch = launch::LaunchRequest::from_args(std::env::args().skip(1));
    // A Heron already runs on this desktop: it opens the link or file; this one ends.
    #[cfg(target_os = "linux")]
    let bus = match single_instance::claim(&launch) {
        single_instance::Instance::Forwarded => return std::process::ExitCode::SUCCESS,
        single_instance::Instance::First(bus) => bus,
    };
    let result = tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .setup(move |app| {
            let body_focus = body_keys::BodyFocus::default();
            if let Some(window) = app.get_webview_window("main") {
                rendering::apply(&window);
                body_focus.install(&window);
            }
            // The per-user data directory (on Linux ~/.local/share/<identifier>): user
            // settings, the privacy consent and the encrypted store.
            let data_dir = match app.path().app_data_dir() {
                Ok(dir) => Some(dir),
                Err(e) => {
                    eprintln!("heron: no per-user data directory ({e}); settings cannot be saved");
                    None
                }
            };
            let heron = Heron::open(&HeronOptions {
                data_dir,
                // HERON_CONFIG replaces the managed policy: fine for the demo and the
                // end-to-end suite (debug builds), but in a release build any user could
                // use it to escape the admin's locked settings.
                ignore_config_env: !cfg!(debug_assertions),
                ..HeronOptions::default()
            })
            .map(Arc::new);
            if let Err(e) = &heron {
                eprintln!("heron: {}", e.message);
            }
            let badge = unread::UnreadBadge::default();
            badge.install_tray(app.handle());
            app.manage(badge);
            let worker = Worker::default();
            let mut watcher = None;
            if let Ok(heron) = &heron {
                worker.clone().start(app.handle().clone(), heron.clone());
                // The admin's changes apply while the app runs: the UI is told what
                // changed, and the worker looks again (accounts added or removed).
                let (handle, kick) = (app.handle().clone(), worker.clone());
                watcher = Some(heron.watch_policy(POLICY_POLL, move |event| {
                    let _ = handle.emit("policy-changed", &event);
                    kick.kick();
                }));
            }
            app.manage(AppState {
                heron,
                store: Mutex::new(None),
                worker,
                notifier: notify::Notifier::start(app.handle().clone()),
                _policy_watcher: watcher,
                oauth_cancel: Mutex::new(None),
                body_focus,
                launch_file: Mutex::new(launch.file),
                launch_mailto: Mutex::new(launch.mailto),
            });
            // Links and files later Herons hand over: kept for the window like this
            // one's own, which is told to take them, and brought to the front.
            #[cfg(target_os = "linux")]
            if let Some(bus) = bus {
                let handle = app.handle().clone();
                single_instance::serve(bus, move |request| {
                    if let Some(state) = handle.try_state::<AppState>() {
                        if request.file.is_some() {
                            *state
                                .launch_file
                                .lock()
                                .unwrap_or_else(PoisonError::into_inner) = request.file.clone();
                        }
                        if request.mailto.is_some() {
                            *state
                                .launch_mailto
                                .lock()
                                .unwrap_or_else(PoisonError::into_inner) = request.mailto.clone();
                        }
                    }
                    if !request.is_empty() {
                        let _ = handle.emit("launch-requested", ());
                    }
                    unread::reveal(&handle);
                });
            }
            Ok(())
        })
        .register_asynchronous_uri_scheme_protocol(
            heron_api::reader::MAIL_SCHEME,
            |ctx, request, responder| answer_view(ctx.app_handle(), &request, responder),
        )
        .register_asynchronous_uri_scheme_protocol(
            heron_mime_cid_scheme(),
            |ctx, request, responder| answer_view(ctx.app_handle(), &request, responder),
        )
        .invoke_handler(tauri::generate_handler![
            app_info,
            profile,
            accounts,
            privacy_notice,
            accept_privacy_notice,
            local_store_state,
            rebuild_local_store,
            quit_app,
            mail_folders,
            mail_window,
            read_message,
            search_mail,
            set_flags,
            move_messages,
            delete_messages,
            sync_now,
            sync_states,
            allow_remote_content,
            open_link,
            save_attachment,
            open_attachment,
            notify_new_mail,
            compose,
            respond_to,
            open_draft,
            save_draft,
            send_draft,
            cancel_send,
            discard_draft,
            recent_addresses,
            take_launch_compose,
            removed_accounts,
            acknowledge_removed_accounts,
            search_server,
            read_conversation,
            sign_in_oauth,
            drag_attachment,
            print_messages,
            export_diagnostics,
            set_body_focus,
            cancel_sign_in,
            account_permissions,
            discover_account,
            add_account,
            sign_in,
            remove_account,
            take_launch_message,
            message_source,
            save_message
        ])
        .run(tauri::generate_context!());
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("heron: the window could not start: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// The scheme inline images are served from (heron-mime writes `cid:` as it).
fn heron_mime_cid_scheme() -> &'static str {
    heron_api::reader::CID_SCHEME
}

#[cfg(test)]
mod tests {
    include!("app_commands.rs");

    fn read_json(path: &str) -> serde_json::Value {
        let full = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
        serde_json::from_str(&std::fs::read_to_string(full).unwrap()).unwrap()
    }

    #[test]
    fn main_window_csp_forbids_eval_inline_code_and_remote_origins() {
        let conf = read_json("tauri.conf.json");
        assert_eq!(conf["app"]["withGlobalTauri"], false);
        let csp = conf["app"]["security"]["csp"].as_object().unwrap();
        assert!(csp.contains_key("default-src"));
        for (directive, sources) in csp {
            let sources = sources.as_str().unwrap();
            for forbidden in ["'unsafe-eval'", "'unsafe-inline'", "*", "https:", "http:"] {
                assert!(
                    !sources.split_whitespace().any(|s| s == forbidden),
                    "{directive} allows {forbidden}"
                );
            }
            for source in sources.split_whitespace() {
                let remote = source.starts_with("http") && source != "http://ipc.localhost";
                assert!(!remote, "{directive} allows the remote origin {source}");
            }
        }
    }

    #[test]
    fn mail_bodies_frame_only_from_the_scheme_and_their_csp_forbids_scripts_and_network() {
        let conf = read_json("tauri.conf.json");
        assert_eq!(conf["app"]["security"]["csp"]["frame-src"], "heron-mail:");
        let csp = heron_api::reader::BODY_CSP;
        let directive = |name: &str| {
            csp.split(';')
                .map(str::trim)
                .find_map(|d| d.strip_prefix(name).map(str::trim))
                .unwrap()
                .to_owned()
        };
        for name in [
            "default-src",
            "script-src",
            "connect-src",
            "frame-src",
            "font-src",
            "media-src",
            "object-src",
            "form-action",
            "base-uri",
        ] {
            assert_eq!(directive(name), "'none'", "{name}");
        }
        assert_eq!(directive("img-src"), "data: heron-cid: heron-mail:");
        assert!(!csp.contains("http:") && !csp.contains("https:") && !csp.contains('*'));
    }

    #[test]
    fn capabilities_allow_only_declared_commands_and_every_command_has_a_window() {
        let capability = read_json("src-tauri/capabilities/main.json");
        let allowed: Vec<&str> = capability["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap())
            .filter(|p| !p.starts_with("core:"))
            .collect();
        for permission in &allowed {
            let command = permission.strip_prefix("allow-").unwrap().replace('-', "_");
            assert!(
                APP_COMMANDS.contains(&command.as_str()),
                "{permission} is not declared"
            );
        }
        for command in APP_COMMANDS {
            let permission = format!("allow-{}", command.replace('_', "-"));
            assert!(
                allowed.contains(&permission.as_str()),
                "{command} is allowed nowhere"
            );
        }
    }

    #[test]
    fn registered_handlers_are_the_declared_commands() {
        let source = include_str!("lib.rs");
        let handler = source
            .split("generate_handler![")
            .nth(1)
            .and_then(|rest| rest.split(']').next())
            .unwrap();
        let mut registered: Vec<&str> = handler
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        let mut declared = APP_COMMANDS.to_vec();
        registered.sort_unstable();
        declared.sort_unstable();
        assert_eq!(registered, declared);
    }
}
