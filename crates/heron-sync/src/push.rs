//! Push: after a sync, wait on the inbox with IDLE (re-issued before the 29 minutes RFC
//! 2177 allows), or poll where the server has no IDLE; a change starts the next sync.

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

/// Waits until the inbox changes (or `max` passes). Returns true for a change. A
/// dropped or stalled connection is an error, so the caller reconnects and resyncs.
pub async fn wait_for_change(connect: &ConnectOptions, max: Duration) -> Result<bool> {
    let mut session = heron_imap::connect(connect).await?;
    session.select("INBOX", None).await?;
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
