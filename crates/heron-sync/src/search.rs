//! Searching the server for what is not downloaded yet: the local index holds the
//! headers of every message but only the bodies that are stored, so words in other
//! bodies are looked up with IMAP `UID SEARCH TEXT`, folder by folder, and answered
//! with the stored rows of those messages.

use heron_imap::{ConnectOptions, SearchKey};
use heron_model::AccountId;
use heron_store::{MessageSummary, Store};

use crate::error::Result;

/// The messages of `account` whose bodies are not stored and that contain every one of
/// `words` on the server, newest first within each folder, at most `limit`.
pub async fn search_undownloaded(
    store: &Store,
    account: &AccountId,
    connect: &ConnectOptions,
    words: &[String],
    limit: usize,
) -> Result<Vec<MessageSummary>> {
    let folders = store.folders_missing_bodies(account)?;
    if folders.is_empty() || words.is_empty() {
        return Ok(Vec::new());
    }
    let mut session = heron_imap::connect(connect).await?;
    let mut out = Vec::new();
    for (folder, name, uidvalidity, _) in folders {
        let selected = session.select(&name, None).await?;
        if selected.uidvalidity != uidvalidity {
            // Changed since the last sync; the next sync sorts it out.
            continue;
        }
        let mut matching: Option<Vec<u32>> = None;
        for word in words {
            let found = session.uid_search(&SearchKey::Text(word.clone())).await?;
            matching = Some(match matching {
                None => found,
                Some(before) => before.into_iter().filter(|u| found.contains(u)).collect(),
            });
        }
        out.extend(store.undownloaded_by_uid(
            folder,
            uidvalidity,
            &matching.unwrap_or_default(),
        )?);
        if out.len() >= limit {
            out.truncate(limit);
            break;
        }
    }
    session.logout().await;
    Ok(out)
}
