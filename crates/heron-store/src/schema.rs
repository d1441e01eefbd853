//! The schema, as a versioned list of migrations.
//!
//! `PRAGMA user_version` is the number of migrations applied. Each migration runs in its
//! own transaction together with the version bump, so a crash leaves either the old or the
//! new schema. Never edit a migration that has shipped: append a new one, with a comment
//! saying why.

use rusqlite::Connection;

use crate::error::Result;

/// The migrations, oldest first. Index + 1 is the `user_version` after applying it.
pub(crate) const MIGRATIONS: &[&str] = &[
    // 1: the first schema. Every table is STRICT so a wrong type is an error, not a silent
    // conversion; columns are NOT NULL with defaults so readers need no NULL handling;
    // AUTOINCREMENT where an id leaves the database (UI selection, operation log replay)
    // and must never point at a different row after a delete.
    r#"
    CREATE TABLE accounts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        account_id TEXT NOT NULL UNIQUE,
        display_name TEXT NOT NULL DEFAULT '',
        email TEXT NOT NULL DEFAULT '',
        created INTEGER NOT NULL DEFAULT 0
    ) STRICT;

    -- Names of the keyring entries an account owns, so a wipe can delete each of them.
    -- Only names: the secrets themselves are in the keyring.
    CREATE TABLE account_secrets (
        account INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        PRIMARY KEY (account, name)
    ) STRICT;

    CREATE TABLE folders (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        account INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        delimiter TEXT NOT NULL DEFAULT '/',
        special_use TEXT NOT NULL DEFAULT '',
        uidvalidity INTEGER NOT NULL DEFAULT 0,
        uidnext INTEGER NOT NULL DEFAULT 0,
        highestmodseq INTEGER NOT NULL DEFAULT 0,
        subscribed INTEGER NOT NULL DEFAULT 1,
        UNIQUE (account, name)
    ) STRICT;

    CREATE TABLE messages (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        account INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        folder INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
        uidvalidity INTEGER NOT NULL,
        uid INTEGER NOT NULL,
        message_id TEXT NOT NULL DEFAULT '',
        thread_id TEXT NOT NULL DEFAULT '',
        in_reply_to TEXT NOT NULL DEFAULT '',
        subject TEXT NOT NULL DEFAULT '',
        from_name TEXT NOT NULL DEFAULT '',
        from_addr TEXT NOT NULL DEFAULT '',
        to_text TEXT NOT NULL DEFAULT '',
        cc_text TEXT NOT NULL DEFAULT '',
        date INTEGER NOT NULL DEFAULT 0,
        received INTEGER NOT NULL DEFAULT 0,
        size INTEGER NOT NULL DEFAULT 0,
        flags INTEGER NOT NULL DEFAULT 0,
        modseq INTEGER NOT NULL DEFAULT 0,
        has_attachments INTEGER NOT NULL DEFAULT 0,
        preview TEXT NOT NULL DEFAULT '',
        -- 0 headers only, 1 body text indexed, 2 raw message stored as a blob.
        body_state INTEGER NOT NULL DEFAULT 0,
        raw_blob TEXT NOT NULL DEFAULT '',
        -- The row's rowid in messages_fts: (date << 20) | a 20-bit tie-break, so the
        -- index's own rowid order is date order and "newest first" searches stop after
        -- one page instead of sorting every match. Always set explicitly (unique).
        fts_key INTEGER NOT NULL,
        UNIQUE (account, folder, uidvalidity, uid)
    ) STRICT;
    CREATE UNIQUE INDEX messages_fts_key ON messages (fts_key);
    -- The message list: a folder by date, newest first, with id as the tie-break that
    -- keyset pagination needs. Covers ORDER BY so SQLite never sorts in a temp b-tree.
    CREATE INDEX messages_folder_date ON messages (folder, date DESC, id DESC);
    CREATE INDEX messages_thread ON messages (account, thread_id);
    CREATE INDEX messages_message_id ON messages (account, message_id);

    CREATE TABLE attachments (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        message INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
        name TEXT NOT NULL DEFAULT '',
        mime_type TEXT NOT NULL DEFAULT '',
        size INTEGER NOT NULL DEFAULT 0,
        blob TEXT NOT NULL DEFAULT ''
    ) STRICT;
    CREATE INDEX attachments_message ON attachments (message);

    -- Full-text index. trigram so languages without spaces (Chinese, Japanese) match any
    -- substring of 3+ characters; shorter terms use LIKE over the same columns. rowid is
    -- messages.fts_key. Kept as its own content (not external content) so deleting a message
    -- cannot leave a stale index entry that needs the old text to remove.
    CREATE VIRTUAL TABLE messages_fts USING fts5 (
        subject, from_text, to_text, body, attachment_names,
        tokenize = 'trigram'
    );
    -- Deleting a row removes its tokens from the index at once (SQLite >= 3.42), instead
    -- of leaving them in old segments until a merge: deleted or wiped mail must not stay
    -- searchable, even to someone holding the key.
    INSERT INTO messages_fts (messages_fts, rank) VALUES ('secure-delete', 1);

    -- Every user action that changes the server, written before it is applied
    -- (synchronous=FULL), replayed until done.
    CREATE TABLE operations (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        account INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        payload TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(payload)),
        state TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0,
        created INTEGER NOT NULL DEFAULT 0
    ) STRICT;
    CREATE INDEX operations_pending ON operations (account, state, id);

    CREATE TABLE drafts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        account INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        message_id TEXT NOT NULL DEFAULT '',
        subject TEXT NOT NULL DEFAULT '',
        to_text TEXT NOT NULL DEFAULT '',
        cc_text TEXT NOT NULL DEFAULT '',
        body TEXT NOT NULL DEFAULT '',
        synced INTEGER NOT NULL DEFAULT 0,
        updated INTEGER NOT NULL DEFAULT 0
    ) STRICT;

    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        account INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        message_id TEXT NOT NULL,
        raw_blob TEXT NOT NULL DEFAULT '',
        state TEXT NOT NULL DEFAULT 'queued',
        attempts INTEGER NOT NULL DEFAULT 0,
        created INTEGER NOT NULL DEFAULT 0
    ) STRICT;

    CREATE TABLE calendar_cache (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        account INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        calendar_url TEXT NOT NULL,
        href TEXT NOT NULL,
        etag TEXT NOT NULL DEFAULT '',
        ical TEXT NOT NULL DEFAULT '',
        UNIQUE (account, calendar_url, href)
    ) STRICT;

    CREATE TABLE directory_cache (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        account INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        dn TEXT NOT NULL,
        entry TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(entry)),
        fetched INTEGER NOT NULL DEFAULT 0,
        UNIQUE (account, dn)
    ) STRICT;

    CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL DEFAULT ''
    ) STRICT;
    "#,
    // 2: sync (heron-sync). Retries of the operation log need a reason to show and a time before which
    // not to retry (backoff survives restarts). Deleting a message asks whether any other
    // row still uses its blobs; without these indexes that was a scan of every message
    // per blob, which made expunging from a 100,000-message folder quadratic.
    r#"
    ALTER TABLE operations ADD COLUMN error TEXT NOT NULL DEFAULT '';
    ALTER TABLE operations ADD COLUMN not_before INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX messages_raw_blob ON messages (raw_blob);
    CREATE INDEX attachments_blob ON attachments (blob);
    CREATE INDEX outbox_raw_blob ON outbox (raw_blob);
    -- The bodies still to download, newest first, without reading every row of a folder:
    -- a resync with nothing to download must stay a few index probes at 100,000 messages.
    CREATE INDEX messages_needing_body ON messages (folder, date DESC, id DESC)
        WHERE body_state < 2;
    -- Sync addresses messages by (folder, UIDVALIDITY, UID) without the account: flag
    -- updates, expunges, moves confirmed by COPYUID. The unique key starts with the
    -- account, so without this each of those statements scanned the folder, and a
    -- 100,000-message first sync went quadratic.
    CREATE INDEX messages_folder_uid ON messages (folder, uidvalidity, uid);
    "#,
    // 3: sending (heron-smtp, heron-sync). A draft is the whole message the user is
    // writing (content: JSON owned by heron-api) plus the bytes built from its latest
    // version, which is what goes to the server's Drafts folder. `version` counts local
    // saves and `synced_version` the one the server has, so an edit made while an upload
    // runs is never mistaken for uploaded. The outbox keeps the SMTP envelope, when the
    // message may leave (undo delay, send later) and why the last attempt failed. Its
    // states: queued -> sending (connected, no DATA yet: safe to retry after a crash) ->
    // transmitting (DATA begun: after a crash nobody knows, so the user decides) ->
    // sent; or failed (refused, back to the user), or uncertain.
    r#"
    ALTER TABLE drafts ADD COLUMN content TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(content));
    ALTER TABLE drafts ADD COLUMN raw_blob TEXT NOT NULL DEFAULT '';
    ALTER TABLE drafts ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE drafts ADD COLUMN synced_version INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE drafts ADD COLUMN state TEXT NOT NULL DEFAULT 'editing';
    ALTER TABLE drafts ADD COLUMN error TEXT NOT NULL DEFAULT '';
    CREATE INDEX drafts_raw_blob ON drafts (raw_blob);
    ALTER TABLE outbox ADD COLUMN draft INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE outbox ADD COLUMN envelope TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(envelope));
    ALTER TABLE outbox ADD COLUMN not_before INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE outbox ADD COLUMN error TEXT NOT NULL DEFAULT '';
    ALTER TABLE outbox ADD COLUMN error_code TEXT NOT NULL DEFAULT '';
    ALTER TABLE outbox ADD COLUMN server_reply TEXT NOT NULL DEFAULT '';
    ALTER TABLE outbox ADD COLUMN sent_at INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX outbox_due ON outbox (account, state, not_before);
    "#,
    // 4: words instead of trigrams. A trigram index answers any substring, but every
    // word is a phrase of trigrams shared with thousands of other words, so ranked
    // searches for two common words took 25-50 ms at 100,000 messages. Words (unicode61,
    // case and accents folded; queries match word prefixes) keep posting lists short;
    // Chinese, Japanese and Korean, written without spaces, are indexed as overlapping
    // character pairs by heron_index_text (see words.rs), so any two or more consecutive
    // characters still match. The old index's stored text is re-indexed here.
    r#"
    CREATE VIRTUAL TABLE messages_fts_words USING fts5 (
        subject, from_text, to_text, body, attachment_names,
        tokenize = 'unicode61 remove_diacritics 2'
    );
    INSERT INTO messages_fts_words (messages_fts_words, rank) VALUES ('secure-delete', 1);
    INSERT INTO messages_fts_words (rowid, subject, from_text, to_text, body, attachment_names)
        SELECT rowid, heron_index_text(subject), heron_index_text(from_text),
               heron_index_text(to_text), heron_index_text(body),
               heron_index_text(attachment_names)
        FROM messages_fts;
    DROP TABLE messages_fts;
    ALTER TABLE messages_fts_words RENAME TO messages_fts;
    "#,
    // 5: conversations in a folder's list. Grouping a 100,000-message folder by thread
    // for every window took 140 ms; this table keeps each folder's conversations (a
    // message without a thread id is one of its own, keyed 'row:ID') with their newest
    // message and counts, kept by triggers on every change of a message, so a window
    // of conversations is a range of one index. `newest` is date * 2^32 + id: the
    // list's order, ties broken by id as in the plain list; the date is clamped to
    // 1970..2038 there so the product stays an integer whatever a sender wrote.
    // Written to run again safely.
    r#"
    CREATE INDEX IF NOT EXISTS messages_folder_thread ON messages (folder, thread_id);
    CREATE TABLE IF NOT EXISTS folder_threads (
        folder INTEGER NOT NULL,
        thread TEXT NOT NULL,
        newest INTEGER NOT NULL,
        newest_id INTEGER NOT NULL,
        count INTEGER NOT NULL,
        unread INTEGER NOT NULL,
        flagged INTEGER NOT NULL,
        attachments INTEGER NOT NULL,
        PRIMARY KEY (folder, thread)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS folder_threads_newest ON folder_threads (folder, newest DESC);
    INSERT OR REPLACE INTO folder_threads
        SELECT folder, CASE thread_id WHEN '' THEN 'row:' || id ELSE thread_id END,
               max(max(min(date, 2147483647), 0) * 4294967296 + id), id, count(*), sum((flags & 1) = 0),
               sum((flags & 4) != 0) > 0, sum(has_attachments) > 0
        FROM messages
        GROUP BY folder, CASE thread_id WHEN '' THEN 'row:' || id ELSE thread_id END;
    CREATE TRIGGER IF NOT EXISTS folder_threads_insert AFTER INSERT ON messages BEGIN
        DELETE FROM folder_threads WHERE folder = NEW.folder
            AND thread = CASE NEW.thread_id WHEN '' THEN 'row:' || NEW.id ELSE NEW.thread_id END;
        INSERT INTO folder_threads
            SELECT NEW.folder, NEW.thread_id,
                   max(max(min(date, 2147483647), 0) * 4294967296 + id), id, count(*), sum((flags & 1) = 0),
                   sum((flags & 4) != 0) > 0, sum(has_attachments) > 0
            FROM messages
            WHERE folder = NEW.folder AND thread_id = NEW.thread_id AND NEW.thread_id != ''
            HAVING count(*) > 0;
        INSERT INTO folder_threads
            SELECT NEW.folder, 'row:' || NEW.id, max(min(NEW.date, 2147483647), 0) * 4294967296 + NEW.id, NEW.id, 1,
                   (NEW.flags & 1) = 0, (NEW.flags & 4) != 0, NEW.has_attachments != 0
            WHERE NEW.thread_id = '';
    END;
    CREATE TRIGGER IF NOT EXISTS folder_threads_delete AFTER DELETE ON messages BEGIN
        DELETE FROM folder_threads WHERE folder = OLD.folder
            AND thread = CASE OLD.thread_id WHEN '' THEN 'row:' || OLD.id ELSE OLD.thread_id END;
        INSERT INTO folder_threads
            SELECT OLD.folder, OLD.thread_id,
                   max(max(min(date, 2147483647), 0) * 4294967296 + id), id, count(*), sum((flags & 1) = 0),
                   sum((flags & 4) != 0) > 0, sum(has_attachments) > 0
            FROM messages
            WHERE folder = OLD.folder AND thread_id = OLD.thread_id AND OLD.thread_id != ''
            HAVING count(*) > 0;
    END;
    CREATE TRIGGER IF NOT EXISTS folder_threads_update
        AFTER UPDATE OF folder, thread_id, flags, date, has_attachments ON messages BEGIN
        DELETE FROM folder_threads WHERE folder = OLD.folder
            AND thread = CASE OLD.thread_id WHEN '' THEN 'row:' || OLD.id ELSE OLD.thread_id END;
        INSERT INTO folder_threads
            SELECT OLD.folder, OLD.thread_id,
                   max(max(min(date, 2147483647), 0) * 4294967296 + id), id, count(*), sum((flags & 1) = 0),
                   sum((flags & 4) != 0) > 0, sum(has_attachments) > 0
            FROM messages
            WHERE folder = OLD.folder AND thread_id = OLD.thread_id AND OLD.thread_id != ''
            HAVING count(*) > 0;
        DELETE FROM folder_threads WHERE folder = NEW.folder
            AND thread = CASE NEW.thread_id WHEN '' THEN 'row:' || NEW.id ELSE NEW.thread_id END;
        INSERT INTO folder_threads
            SELECT NEW.folder, NEW.thread_id,
                   max(max(min(date, 2147483647), 0) * 4294967296 + id), id, count(*), sum((flags & 1) = 0),
                   sum((flags & 4) != 0) > 0, sum(has_attachments) > 0
            FROM messages
            WHERE folder = NEW.folder AND thread_id = NEW.thread_id AND NEW.thread_id != ''
            HAVING count(*) > 0;
        INSERT INTO folder_threads
            SELECT NEW.folder, 'row:' || NEW.id, max(min(NEW.date, 2147483647), 0) * 4294967296 + NEW.id, NEW.id, 1,
                   (NEW.flags & 1) = 0, (NEW.flags & 4) != 0, NEW.has_attachments != 0
            WHERE NEW.thread_id = '';
    END;
    "#,
];

/// The newest schema this binary knows.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Applies the migrations the database has not seen; returns how many ran.
pub(crate) fn migrate(conn: &mut Connection) -> Result<usize> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let mut ran = 0;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current.max(0) as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        // PRAGMA takes no parameters; the value is our own integer.
        tx.execute_batch(&format!("PRAGMA user_version = {}", i + 1))?;
        tx.commit()?;
        ran += 1;
    }
    Ok(ran)
}
