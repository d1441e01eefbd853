//! Search: Chinese and English, each structured filter, hostile input, ranking, pages.

use std::sync::Arc;

use heron_store::{Flags, MessageRowId, NewAttachment, NewMessage, SearchOrder, Store};

use crate::{MemKeyStore, folder, message, open};

const DAY: i64 = 86_400;
const MAR_05_2024: i64 = 1_709_596_800;

struct Corpus {
    store: Store,
    meeting: MessageRowId,
    budget: MessageRowId,
    lunch: MessageRowId,
    _tmp: tempfile::TempDir,
}

fn corpus() -> Corpus {
    let tmp = tempfile::tempdir().unwrap();
    let keys = Arc::new(MemKeyStore::default());
    let (store, meeting, budget, lunch) = fill(&tmp.path().join("d"), &keys);
    Corpus {
        store,
        meeting,
        budget,
        lunch,
        _tmp: tmp,
    }
}

/// A store in `dir` with three messages: Chinese minutes, an English budget review,
/// and a lunch note that mentions the budget in passing.
fn fill(
    dir: &std::path::Path,
    keys: &Arc<MemKeyStore>,
) -> (Store, MessageRowId, MessageRowId, MessageRowId) {
    let mut store = open(dir, keys).unwrap();
    let inbox = folder(&mut store, "corp", "INBOX");
    let archive = folder(&mut store, "corp", "Archive");
    let meeting = store
        .insert_message(&NewMessage {
            from_name: "张伟".into(),
            from_addr: "zhang.wei@example.cn".into(),
            to: "王芳 <wang.fang@example.cn>".into(),
            body_text: Some("请查看附件中的会议纪要，下周一前反馈。".into()),
            attachments: vec![NewAttachment {
                name: "纪要.docx".into(),
                ..NewAttachment::default()
            }],
            ..message(inbox, 1, "第三季度会议纪要", MAR_05_2024)
        })
        .unwrap();
    let budget = store
        .insert_message(&NewMessage {
            from_name: "Alice Martin".into(),
            from_addr: "alice@example.com".into(),
            to: "Bob Li <bob@example.com>".into(),
            cc: "Dana <dana@example.com>".into(),
            body_text: Some("Please review the budget spreadsheet before Friday.".into()),
            attachments: vec![NewAttachment {
                name: "budget-2024.xlsx".into(),
                ..NewAttachment::default()
            }],
            flags: Flags::SEEN | Flags::FLAGGED,
            ..message(inbox, 2, "Quarterly budget review", MAR_05_2024 - 24 * DAY)
        })
        .unwrap();
    let lunch = store
        .insert_message(&NewMessage {
            from_name: "Carol".into(),
            from_addr: "carol@example.org".into(),
            to: "team@example.com".into(),
            body_text: Some(
                "Lunch on Thursday at noon. Someone mentioned the budget, but this is about food and \
                 nothing else, really, a long text about sandwiches and soup and salad."
                    .into(),
            ),
            flags: Flags::SEEN,
            ..message(archive, 3, "Lunch", MAR_05_2024 + 27 * DAY)
        })
        .unwrap();
    (store, meeting, budget, lunch)
}

fn ids(store: &Store, q: &str) -> Vec<MessageRowId> {
    store
        .search(q, SearchOrder::Relevance, 50, 0)
        .unwrap_or_else(|e| panic!("{q:?}: {e}"))
        .iter()
        .map(|m| m.id)
        .collect()
}

fn set(mut v: Vec<MessageRowId>) -> Vec<MessageRowId> {
    v.sort();
    v
}

#[test]
fn chinese_finds_by_four_and_two_characters() {
    let c = corpus();
    assert_eq!(ids(&c.store, "会议纪要"), vec![c.meeting]);
    assert_eq!(ids(&c.store, "会议"), vec![c.meeting]);
    assert_eq!(ids(&c.store, "纪要"), vec![c.meeting]);
    assert_eq!(ids(&c.store, "张伟"), vec![c.meeting]);
    assert_eq!(ids(&c.store, "反馈"), vec![c.meeting]);
    assert!(ids(&c.store, "预算").is_empty());
}

#[test]
fn english_words_phrases_and_attachment_names() {
    let c = corpus();
    assert_eq!(ids(&c.store, "spreadsheet"), vec![c.budget]);
    assert_eq!(ids(&c.store, "SPREADSHEET friday"), vec![c.budget]);
    assert_eq!(ids(&c.store, "\"budget review\""), vec![c.budget]);
    assert!(ids(&c.store, "\"review budget\"").is_empty());
    assert_eq!(ids(&c.store, "budget-2024.xlsx"), vec![c.budget]);
    assert_eq!(ids(&c.store, "dana"), vec![c.budget]);
}

#[test]
fn each_structured_filter() {
    let c = corpus();
    let s = &c.store;
    assert_eq!(ids(s, "from:alice"), vec![c.budget]);
    assert_eq!(ids(s, "from:zhang.wei@example.cn"), vec![c.meeting]);
    assert_eq!(ids(s, "from:张伟"), vec![c.meeting]);
    assert_eq!(ids(s, "to:bob"), vec![c.budget]);
    assert_eq!(ids(s, "to:dana"), vec![c.budget], "cc counts as to:");
    assert!(ids(s, "to:alice").is_empty());
    assert_eq!(ids(s, "subject:lunch"), vec![c.lunch]);
    assert!(ids(s, "subject:spreadsheet").is_empty());
    assert_eq!(
        set(ids(s, "has:attachment")),
        set(vec![c.meeting, c.budget])
    );
    assert_eq!(ids(s, "is:unread"), vec![c.meeting]);
    assert_eq!(ids(s, "is:flagged"), vec![c.budget]);
    assert_eq!(ids(s, "before:2024-03-01"), vec![c.budget]);
    assert_eq!(ids(s, "after:2024-03-05"), vec![c.lunch, c.meeting]);
    assert_eq!(ids(s, "in:archive"), vec![c.lunch]);
    assert_eq!(ids(s, "in:INBOX budget"), vec![c.budget]);
    assert_eq!(
        ids(
            s,
            "budget has:attachment is:flagged from:alice after:2024-01-01"
        ),
        vec![c.budget]
    );
}

#[test]
fn hostile_input_never_is_a_syntax_error() {
    let c = corpus();
    let hostile = [
        "\"",
        "\"\"",
        "*",
        "NEAR(",
        "NEAR(a b)",
        "OR",
        "AND",
        "NOT",
        "-",
        ":",
        "a:b",
        "^",
        "(",
        ")",
        "budget*",
        "-budget",
        "subject:\"",
        "from:",
        "{subject}:x",
        "'",
        "'; DROP TABLE messages; --",
        "%",
        "_",
        "\\",
        "a\"b",
        "\u{0}",
        "body:x",
        "x OR y",
        "会\"议",
        "in:\"Inbox\" OR 1=1",
    ];
    for q in hostile {
        c.store
            .search(q, SearchOrder::Relevance, 10, 0)
            .unwrap_or_else(|e| panic!("{q:?} failed: {e}"));
    }
    // Wildcards and operators are literal text, not syntax.
    assert!(ids(&c.store, "%").is_empty());
    assert!(ids(&c.store, "*").is_empty());
    // Every word matches as a prefix anyway; a typed `*` changes nothing.
    assert_eq!(ids(&c.store, "budg*"), ids(&c.store, "budg"));
    assert_eq!(ids(&c.store, "subject:budget OR 1=1").len(), 0);
    assert_eq!(ids(&c.store, "Quarterly").len(), 1);
}

#[test]
fn ranked_then_newest_first_and_paginated() {
    let c = corpus();
    // "budget" is in the subject of the older message and only the body of the newer one.
    assert_eq!(ids(&c.store, "budget"), vec![c.budget, c.lunch]);

    let tmp = tempfile::tempdir().unwrap();
    let keys = Arc::new(MemKeyStore::default());
    let mut store = open(&tmp.path().join("d"), &keys).unwrap();
    let f = folder(&mut store, "corp", "INBOX");
    let mut expected = Vec::new();
    for uid in 1..=25u32 {
        let id = store
            .insert_message(&NewMessage {
                body_text: Some("identical pagination body".into()),
                ..message(f, uid, "same", 1_000 + i64::from(uid))
            })
            .unwrap();
        expected.push(id);
    }
    expected.reverse(); // newest first within equal rank
    let mut got = Vec::new();
    for page in 0..3 {
        let rows = store
            .search("pagination", SearchOrder::Relevance, 10, page * 10)
            .unwrap();
        assert_eq!(rows.len(), if page < 2 { 10 } else { 5 });
        got.extend(rows.iter().map(|m| m.id));
    }
    assert_eq!(got, expected);
    assert!(
        store
            .search("pagination", SearchOrder::Relevance, 10, 30)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn newest_order_walks_the_index_by_date() {
    let c = corpus();
    let newest = |q: &str| -> Vec<MessageRowId> {
        c.store
            .search(q, SearchOrder::Newest, 50, 0)
            .unwrap()
            .iter()
            .map(|m| m.id)
            .collect()
    };
    assert_eq!(newest("budget"), vec![c.lunch, c.budget]);
    assert_eq!(newest("has:attachment"), vec![c.meeting, c.budget]);
    assert_eq!(newest("会议"), vec![c.meeting]);
    assert_eq!(newest(""), vec![c.lunch, c.meeting, c.budget]);
    let plan = c
        .store
        .explain_query_plan(
            "SELECT m.id FROM messages_fts AS f CROSS JOIN messages AS m ON m.fts_key = f.rowid \
             WHERE messages_fts MATCH 'budget' ORDER BY f.rowid DESC LIMIT 10",
        )
        .unwrap();
    assert!(!plan.iter().any(|l| l.contains("TEMP B-TREE")), "{plan:?}");
}

#[test]
fn messages_in_the_same_second_and_date_changes_keep_the_index_consistent() {
    let tmp = tempfile::tempdir().unwrap();
    let keys = Arc::new(MemKeyStore::default());
    let mut store = open(&tmp.path().join("d"), &keys).unwrap();
    let f = folder(&mut store, "corp", "INBOX");
    // UIDs that collide in the 20-bit tie-break, all in the same second.
    for uid in [5u32, 5 + (1 << 20), 5 + (2 << 20), 6] {
        store
            .insert_message(&NewMessage {
                body_text: Some("samesecond".into()),
                ..message(f, uid, "s", 1_000)
            })
            .unwrap();
    }
    assert_eq!(
        store
            .search("samesecond", SearchOrder::Newest, 50, 0)
            .unwrap()
            .len(),
        4
    );
    // Re-storing with a new date moves the index entry; no stale duplicate remains.
    let id = store
        .insert_message(&NewMessage {
            body_text: Some("samesecond moved".into()),
            ..message(f, 6, "s", 2_000)
        })
        .unwrap();
    let rows = store
        .search("samesecond", SearchOrder::Newest, 50, 0)
        .unwrap();
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[0].id, id);
    assert_eq!(store.integrity_problems().unwrap(), Vec::<String>::new());
}

#[test]
fn ranking_covers_the_newest_window_and_every_older_match_still_follows_once() {
    let tmp = tempfile::tempdir().unwrap();
    let keys = Arc::new(MemKeyStore::default());
    let mut store = open(&tmp.path().join("d"), &keys).unwrap();
    let inbox = folder(&mut store, "corp", "INBOX");
    let window = heron_store::RANK_WINDOW as usize;
    let total = window + 150;
    // Every message mentions "budget" in its body; one in the window and one older
    // than it have it in the subject too, which ranks higher.
    let mut batch = Vec::new();
    for i in 0..total {
        let uid = i as u32 + 1;
        let subject = if i == total - 10 || i == 20 {
            format!("budget review {i}")
        } else {
            format!("note {i}")
        };
        let mut m = message(inbox, uid, &subject, MAR_05_2024 + i as i64 * 60);
        m.body_text = Some(format!("the budget for item {i}"));
        if i % 3 == 0 {
            m.attachments = vec![NewAttachment {
                name: format!("item-{i}.pdf"),
                ..NewAttachment::default()
            }];
        }
        batch.push(m);
    }
    store.insert_messages(&batch).unwrap();

    let first = store
        .search("budget", SearchOrder::Relevance, 10, 0)
        .unwrap();
    assert_eq!(
        first[0].subject,
        format!("budget review {}", total - 10),
        "the subject match inside the window ranks first"
    );
    // Paging through everything returns each match exactly once, across the edge of
    // the window (ranked above it, newest first below it).
    let mut seen = std::collections::BTreeSet::new();
    let mut offset = 0;
    loop {
        let page = store
            .search("budget", SearchOrder::Relevance, 97, offset)
            .unwrap();
        if page.is_empty() {
            break;
        }
        for m in &page {
            assert!(seen.insert(m.id), "{} returned twice", m.subject);
        }
        offset += page.len() as u32;
    }
    assert_eq!(seen.len(), total, "no match is left out");
    // The same with a row filter, whose matches are spread over the window's edge.
    let with_attachment: Vec<_> = (0..)
        .map(|page| {
            store
                .search("budget has:attachment", SearchOrder::Relevance, 7, page * 7)
                .unwrap()
        })
        .take_while(|p| !p.is_empty())
        .flatten()
        .map(|m| m.id)
        .collect();
    assert_eq!(
        with_attachment.len(),
        total.div_ceil(3),
        "every third has one"
    );
    let distinct: std::collections::BTreeSet<_> = with_attachment.iter().collect();
    assert_eq!(
        distinct.len(),
        with_attachment.len(),
        "no match twice across pages"
    );
    // Beyond the window, results are newest first.
    let older = store
        .search("budget", SearchOrder::Relevance, 150, window as u32)
        .unwrap();
    assert!(older.windows(2).all(|w| w[0].date >= w[1].date));
    assert!(older.iter().any(|m| m.subject == "budget review 20"));
}

#[test]
fn the_word_index_migration_keeps_every_message_findable() {
    let tmp = tempfile::tempdir().unwrap();
    let keys = Arc::new(MemKeyStore::default());
    let dir = tmp.path().join("d");
    let queries = [
        "会议纪要",
        "会议",
        "budget",
        "quart",
        "zhang.wei@example.cn",
        "from:张伟",
    ];
    let before: Vec<Vec<MessageRowId>> = {
        let (c, ..) = fill(&dir, &keys);
        let found = queries.iter().map(|q| ids(&c, q)).collect();
        // Pretend the database predates migration 4: it re-indexes on the next open.
        c.force_schema_version_for_test(3).unwrap();
        found
    };
    let store = open(&dir, &keys).unwrap();
    assert_eq!(
        store.migrations_run() as i64,
        heron_store::SCHEMA_VERSION - 3
    );
    let after: Vec<Vec<MessageRowId>> = queries.iter().map(|q| ids(&store, q)).collect();
    assert_eq!(after, before);
    assert!(before.iter().all(|hits| !hits.is_empty()), "{before:?}");
    assert!(store.integrity_problems().unwrap().is_empty());
}
