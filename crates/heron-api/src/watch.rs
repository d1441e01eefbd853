//! Live reload: poll the policy sources and apply changes while Heron runs.
//!
//! Polling modification times and sizes (not inotify) keeps this dependency-free and
//! identical on every OS; policy files change rarely and are tiny, so a poll every few
//! seconds costs nothing.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use heron_policy::PolicyLoader;

use crate::transport::PolicyEvent;
use crate::{PolicyState, reload};

/// A running policy watcher; dropping it stops the thread.
#[derive(Debug)]
pub struct PolicyWatcher {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for PolicyWatcher {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            thread.thread().unpark();
            let _ = thread.join();
        }
    }
}

pub(crate) fn start(
    loader: PolicyLoader,
    state: Arc<Mutex<PolicyState>>,
    interval: Duration,
    on_event: impl Fn(PolicyEvent) + Send + 'static,
) -> PolicyWatcher {
    let stop = Arc::new(AtomicBool::new(false));
    let stop_flag = Arc::clone(&stop);
    // Taken before the thread starts, so a change made right after this returns is seen.
    let mut last = loader.fingerprint();
    let thread = std::thread::spawn(move || {
        while !stop_flag.load(Ordering::Relaxed) {
            std::thread::park_timeout(interval);
            if stop_flag.load(Ordering::Relaxed) {
                break;
            }
            let now = loader.fingerprint();
            if now == last {
                continue;
            }
            last = now;
            match reload(&loader, &state) {
                Ok(keys) if keys.is_empty() => {}
                Ok(keys) => on_event(PolicyEvent::Changed { keys }),
                Err(error) => on_event(PolicyEvent::Rejected { error }),
            }
        }
    });
    PolicyWatcher {
        stop,
        thread: Some(thread),
    }
}
