//! Push: after a sync, wait on the watched folders with IDLE (renewed well before the 29
//! minutes RFC 2177 allows), or poll where the server has no IDLE; a change in any of
//! them starts the next sync.

use std::time::Duration;

use heron_imap::{ConnectOptions, IdleOutcome};

use crate::error::Result;

/// How long one IDLE lasts before it is renewed: well under the 29 minutes after which
/// servers may drop an idle client (RFC 2177), and short enough that a connection that
/// died without a reset (a NAT forgot it, a laptop slept) is noticed within minutes,
/// when the renewal's DONE gets no answer within the command timeout.
pub const IDLE_RENEW: Duration = Duration::from_secs(10 * 60);

/// How often to look for mail when the server cannot push.
pub const POLL_INTERVAL: Duration = Duration::from_secs(5 * 60);

/// The most folders watched at once: one connection each, and servers limit how many
/// connections one user may open (Dovecot: 10 per IP by default).
pub const MAX_PUSH_FOLDERS: usize = 5;

/// Waits until one of `folders` changes (or `max` passes); true for a change. Each
/// folder is watched on its own connection (IDLE covers only the selected mailbox). A
/// dropped or stalled connection is an error, so the caller reconnects and resyncs.
pub async fn wait_for_change(
    connect: &ConnectOptions,
    folders: &[String],
    max: Duration,
) -> Result<bool> {
    let watched: Vec<_> = folders
        .iter()
        .take(MAX_PUSH_FOLDERS)
        .map(|f| Box::pin(watch_folder(connect, f, max)))
        .collect();
    if watched.is_empty() {
        tokio::time::sleep(max).await;
        return Ok(false);
    }
    // The first folder to report (a change, the deadline, or an error) decides; the
    // other watchers are dropped, which closes their connections.
    let (first, _, _) = futures::future::select_all(watched).await;
    first
}

async fn watch_folder(connect: &ConnectOptions, folder: &str, max: Duration) -> Result<bool> {
    let mut session = heron_imap::connect(connect).await?;
    session.select(folder, None).await?;
    let deadline = tokio::time::Instant::now() + max;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        if left.is_zero() {
            session.logout().await;
            return Ok(false);
        }
        let changed = if session.has("IDLE") {
            session.idle(left.min(IDLE_RENEW)).await? == IdleOutcome::Changed
        } else {
            tokio::time::sleep(left.min(POLL_INTERVAL)).await;
            session.noop().await?
        };
        if changed {
            session.logout().await;
            return Ok(true);
        }
    }
}
