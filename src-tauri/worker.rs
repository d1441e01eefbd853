//! The window's background mail work: one task that sends the outbox, replays the
//! user's queued actions, syncs every account and then waits for new mail (IMAP IDLE),
//! a kick from a command (sync now, an action queued, the privacy notice accepted), or
//! a retry timer after a failure. It tells the UI what it does through events; the UI
//! never polls.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use heron_api::Heron;
use heron_api::mail::AccountSync;
use heron_sync::{SyncEvent, SyncOptions};
use serde::Serialize;
use tauri::{AppHandle, Emitter as _};
use tokio::sync::{Notify, broadcast};

/// How long to wait for new mail before syncing anyway.
const RESYNC_EVERY: Duration = Duration::from_secs(300);
/// Retry delays after a failed sync: the n-th retry waits the n-th entry (then the last).
const RETRY_DELAYS: [Duration; 5] = [
    Duration::from_secs(5),
    Duration::from_secs(15),
    Duration::from_secs(30),
    Duration::from_secs(60),
    Duration::from_secs(120),
];
/// Progress events at most this often per account.
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

/// What the worker is doing for one account: the `sync-state` event.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SyncState {
    pub account: String,
    /// `idle`, `syncing`, `offline` or `error`.
    pub state: &'static str,
    pub error: Option<String>,
    /// The error's kind: `authentication_failed` and `sign_in_required` ask the user
    /// to sign in.
    pub error_code: Option<heron_api::ErrorCode>,
    pub folder: Option<String>,
    pub done: u64,
    pub total: u64,
    pub last_success: Option<i64>,
}

/// The `mail-changed` event: folders whose contents or counts changed.
#[derive(Clone, Debug, Serialize)]
pub struct MailChanged {
    pub folders: Vec<i64>,
}

/// The `new-mail` event: new messages in an Inbox after the first sync of the run.
#[derive(Clone, Debug, Serialize)]
pub struct NewMail {
    pub account: String,
    /// The folder's name on the server.
    pub folder: String,
    pub folder_id: i64,
    pub count: u64,
    /// The newest of them: what a notification shows and a click opens.
    pub newest: Option<NewestMessage>,
    /// Whether the policy lets a notification show sender and subject; when not,
    /// `newest` carries only the id.
    pub show_content: bool,
}

/// The newest new message, as much of it as a notification may show.
#[derive(Clone, Debug, Serialize)]
pub struct NewestMessage {
    pub id: i64,
    pub from_name: String,
    pub from_addr: String,
    pub subject: String,
}

/// The handle commands use: kick the worker, read the states.
#[derive(Clone, Default)]
pub struct Worker {
    kick: Arc<Notify>,
    states: Arc<Mutex<HashMap<String, SyncState>>>,
}

impl Worker {
    /// Wakes the worker now (sync now, an action queued, consent given).
    pub fn kick(&self) {
        self.kick.notify_one();
    }

    /// The last state of every account.
    pub fn states(&self) -> Vec<SyncState> {
        let mut out: Vec<SyncState> = self
            .states
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .cloned()
            .collect();
        out.sort_by(|a, b| a.account.cmp(&b.account));
        out
    }

    fn set(&self, app: &AppHandle, state: SyncState) {
        self.states
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(state.account.clone(), state.clone());
        let _ = app.emit("sync-state", state);
    }

    fn last_success(&self, account: &str) -> Option<i64> {
        self.states
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(account)
            .and_then(|s| s.last_success)
    }

    /// Starts the worker on a thread of its own with a single-threaded runtime: its
    /// store connection is used across awaits and cannot be shared between threads.
    pub fn start(self, app: AppHandle, heron: Arc<Heron>) {
        let spawned = std::thread::Builder::new()
            .name("heron-mail-worker".to_owned())
            .spawn(move || {
                match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime.block_on(self.run(app, heron)),
                    Err(e) => eprintln!("heron: the mail worker cannot start: {e}"),
                }
            });
        if let Err(e) = spawned {
            eprintln!("heron: the mail worker cannot start: {e}");
        }
    }

    async fn run(self, app: AppHandle, heron: Arc<Heron>) {
        let mut failures = 0usize;
        let mut store = None;
        loop {
            let ready = heron.privacy_notice().is_ok_and(|n| !n.must_accept)
                && !heron.accounts().is_empty();
            if !ready {
                self.kick.notified().await;
                continue;
            }
            if store.is_none() {
                match crate::open_app_store(&heron) {
                    Ok(s) => store = Some(s),
                    Err(e) => {
                        // The window shows the store's own dialog; wait to be kicked.
                        eprintln!(
                            "heron: the mail worker cannot open the store: {}",
                            e.message
                        );
                        self.kick.notified().await;
                        continue;
                    }
                }
            }
            let Some(s) = store.as_mut() else { continue };
            // Accounts the admin removed leave this machine before anything syncs.
            match heron.apply_account_removals(s, unix_now()) {
                Ok(removed) if !removed.is_empty() => {
                    let _ = app.emit("accounts-removed", removed);
                }
                Ok(_) => {}
                Err(e) => eprintln!("heron: {}", e.message),
            }
            // Accounts the user removed are wiped here, between passes, so no sync of
            // them is still writing.
            if let Err(e) = heron.wipe_removed_user_accounts(s) {
                eprintln!("heron: {}", e.message);
            }
            let ok = self.pass(&app, &heron, s).await;
            failures = if ok { 0 } else { failures + 1 };
            let mut wait = if ok {
                RESYNC_EVERY
            } else {
                RETRY_DELAYS[(failures - 1).min(RETRY_DELAYS.len() - 1)]
            };
            // A message waiting out its undo delay (or sent later) leaves on time.
            if let Some(due) = next_send_due(s) {
                let until = u64::try_from(due - unix_now()).unwrap_or(0);
                wait = wait.min(Duration::from_secs(until));
            }
            let watch = async {
                if ok {
                    // IMAP IDLE on the first account's watched folders.
                    let _ = heron.wait_for_mail(s, wait).await;
                } else {
                    tokio::time::sleep(wait).await;
                }
            };
            tokio::select! {
                () = self.kick.notified() => {}
                () = watch => {}
            }
        }
    }

    /// One pass: outbox, queued actions, sync. True when every account synced.
    async fn pass(&self, app: &AppHandle, heron: &Heron, store: &mut heron_api::Store) -> bool {
        let accounts = heron.accounts();
        for a in &accounts {
            self.set(
                app,
                SyncState {
                    account: a.id.clone(),
                    state: "syncing",
                    last_success: self.last_success(&a.id),
                    ..SyncState::default()
                },
            );
        }
        if let Err(e) = heron.flush_outbox(store).await {
            eprintln!("heron: sending the outbox failed: {}", e.message);
        }
        let (tx, rx) = broadcast::channel(4096);
        let relay = tokio::spawn(relay_progress(self.clone(), app.clone(), rx));
        let result = heron
            .sync_accounts(store, &SyncOptions::default(), Some(&tx))
            .await;
        drop(tx);
        let arrived = relay.await.unwrap_or_default();
        self.announce(app, heron, store, arrived);
        let now = unix_now();
        let all_ok = match result {
            Ok(results) => results.iter().all(|r| self.finish(app, r, now)),
            Err(e) => {
                for a in &accounts {
                    self.set(app, failed_state(&a.id, &e, self.last_success(&a.id)));
                }
                false
            }
        };
        crate::show_unread(app, store);
        if let Ok(folders) = heron_api::mail::folders(store, None) {
            let _ = app.emit(
                "mail-changed",
                MailChanged {
                    folders: folders.iter().map(|f| f.id).collect(),
                },
            );
        }
        all_ok
    }

    /// Emits `new-mail` for the Inboxes that received mail.
    fn announce(
        &self,
        app: &AppHandle,
        heron: &Heron,
        store: &heron_api::Store,
        arrived: Vec<(String, String, u64)>,
    ) {
        if arrived.is_empty() {
            return;
        }
        let show_content = heron.policy().settings.features.notifications_show_content;
        let Ok(folders) = heron_api::mail::folders(store, None) else {
            return;
        };
        for (account, folder, count) in arrived {
            let Some(f) = folders
                .iter()
                .find(|f| f.account == account && f.name == folder && f.special_use == "INBOX")
            else {
                continue;
            };
            let newest = heron_api::mail::window(store, f.id, None, 0, 1)
                .ok()
                .and_then(|w| w.items.into_iter().next())
                .map(|m| NewestMessage {
                    id: m.id,
                    from_name: if show_content {
                        m.from_name
                    } else {
                        String::new()
                    },
                    from_addr: if show_content {
                        m.from_addr
                    } else {
                        String::new()
                    },
                    subject: if show_content {
                        m.subject
                    } else {
                        String::new()
                    },
                });
            let _ = app.emit(
                "new-mail",
                NewMail {
                    account,
                    folder,
                    folder_id: f.id,
                    count,
                    newest,
                    show_content,
                },
            );
        }
    }

    fn finish(&self, app: &AppHandle, result: &AccountSync, now: i64) -> bool {
        match &result.error {
            None => {
                self.set(
                    app,
                    SyncState {
                        account: result.account.clone(),
                        state: "idle",
                        last_success: Some(now),
                        ..SyncState::default()
                    },
                );
                true
            }
            Some(e) => {
                let last = self.last_success(&result.account);
                self.set(app, failed_state(&result.account, e, last));
                // Waiting for the user to sign in is no failure to retry: signing in
                // kicks the worker.
                e.code == heron_api::ErrorCode::SignInRequired
            }
        }
    }
}

fn failed_state(account: &str, e: &heron_api::ApiError, last_success: Option<i64>) -> SyncState {
    use heron_api::ErrorCode as C;
    let offline = matches!(e.code, C::ServerUnreachable | C::ConnectionLost);
    SyncState {
        account: account.to_owned(),
        state: if offline { "offline" } else { "error" },
        error: Some(e.message.clone()),
        error_code: Some(e.code),
        last_success,
        ..SyncState::default()
    }
}

/// Turns the engine's events into `sync-state` progress (throttled), and collects the
/// folders with new mail: (account, folder, count).
async fn relay_progress(
    worker: Worker,
    app: AppHandle,
    mut rx: broadcast::Receiver<SyncEvent>,
) -> Vec<(String, String, u64)> {
    let mut last_sent: HashMap<String, Instant> = HashMap::new();
    let mut arrived = Vec::new();
    loop {
        match rx.recv().await {
            Ok(SyncEvent::Progress {
                account,
                folder,
                done,
                total,
                ..
            }) => {
                let due = last_sent
                    .get(&account)
                    .is_none_or(|t| t.elapsed() >= PROGRESS_EVERY);
                if due || done == total {
                    last_sent.insert(account.clone(), Instant::now());
                    let last_success = worker.last_success(&account);
                    worker.set(
                        &app,
                        SyncState {
                            account,
                            state: "syncing",
                            folder: Some(folder),
                            done,
                            total,
                            last_success,
                            ..SyncState::default()
                        },
                    );
                }
            }
            Ok(SyncEvent::NewMail {
                account,
                folder,
                count,
            }) => {
                // The first sync of a run fills the store; only mail after that is new
                // to the user.
                if worker.last_success(&account).is_some() {
                    arrived.push((account, folder, count));
                }
            }
            Err(broadcast::error::RecvError::Lagged(_)) => {}
            Err(broadcast::error::RecvError::Closed) => return arrived,
        }
    }
}

/// When the next queued message may leave.
fn next_send_due(store: &heron_api::Store) -> Option<i64> {
    heron_api::send::outbox(store)
        .ok()?
        .iter()
        .filter(|o| o.state == "queued")
        .map(|o| o.not_before)
        .min()
}

pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
