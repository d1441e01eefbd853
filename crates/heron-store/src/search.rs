//! The search box: a pure query parser, and the SQL it becomes.
//!
//! User text never becomes SQL or FTS5 syntax: every value is a bound parameter, and text
//! that goes into an FTS5 `MATCH` expression is always inside an FTS5 string (`"..."`,
//! with `"` doubled), so `*`, `NEAR(`, `OR`, `-`, `:` and `^` are just characters.

/// Which columns a text term must match.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    /// Subject, sender, recipients, body and attachment names.
    Any,
    /// `from:` — the sender's name and address.
    From,
    /// `to:` — the To and Cc names and addresses.
    To,
    /// `subject:`.
    Subject,
}

/// One piece of text to find (a word, or a quoted phrase matched as it is written).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Term {
    /// Where it must occur.
    pub field: Field,
    /// The text, without the quotes.
    pub text: String,
}

/// A parsed search box.
///
/// Terms are ANDed; matching is by substring, case-insensitive for ASCII (trigram
/// index), so `会议` finds `会议纪要` and `meet` finds `meeting`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SearchQuery {
    /// Text terms.
    pub terms: Vec<Term>,
    /// `has:attachment`.
    pub has_attachment: bool,
    /// `is:unread`.
    pub unread: bool,
    /// `is:flagged`.
    pub flagged: bool,
    /// `before:YYYY-MM-DD`: messages dated before the start of that day (UTC), unix seconds.
    pub before: Option<i64>,
    /// `after:YYYY-MM-DD`: messages dated on or after the start of that day (UTC).
    pub after: Option<i64>,
    /// `in:NAME`: only this folder (name compared case-insensitively, as INBOX is).
    pub folder: Option<String>,
}

impl SearchQuery {
    /// True when nothing at all was asked for.
    pub fn is_empty(&self) -> bool {
        *self == SearchQuery::default()
    }
}

/// Parses a search box string. Never fails: anything not understood is searched as text.
pub fn parse_query(input: &str) -> SearchQuery {
    let mut q = SearchQuery::default();
    let chars: Vec<char> = input.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_whitespace() {
            i += 1;
            continue;
        }
        if chars[i] == '"' {
            let (text, next) = read_quoted(&chars, i + 1);
            i = next;
            push_term(&mut q, Field::Any, text);
            continue;
        }
        let start = i;
        while i < chars.len() && !chars[i].is_whitespace() && chars[i] != ':' && chars[i] != '"' {
            i += 1;
        }
        let word: String = chars[start..i].iter().collect();
        let key = word.to_ascii_lowercase();
        let is_key = i < chars.len()
            && chars[i] == ':'
            && matches!(
                key.as_str(),
                "from" | "to" | "subject" | "has" | "is" | "before" | "after" | "in"
            );
        if !is_key {
            // Not a filter: the whole whitespace-delimited token is text.
            while i < chars.len() && !chars[i].is_whitespace() {
                i += 1;
            }
            let token: String = chars[start..i].iter().collect();
            push_term(&mut q, Field::Any, token);
            continue;
        }
        i += 1; // the ':'
        let value = if i < chars.len() && chars[i] == '"' {
            let (text, next) = read_quoted(&chars, i + 1);
            i = next;
            text
        } else {
            let vs = i;
            while i < chars.len() && !chars[i].is_whitespace() {
                i += 1;
            }
            chars[vs..i].iter().collect()
        };
        let lower = value.to_lowercase();
        let understood = match key.as_str() {
            "from" => push_term(&mut q, Field::From, value.clone()),
            "to" => push_term(&mut q, Field::To, value.clone()),
            "subject" => push_term(&mut q, Field::Subject, value.clone()),
            "has" if matches!(lower.as_str(), "attachment" | "attachments") => {
                q.has_attachment = true;
                true
            }
            "is" if lower == "unread" => {
                q.unread = true;
                true
            }
            "is" if lower == "flagged" || lower == "starred" => {
                q.flagged = true;
                true
            }
            "before" => parse_day(&value).map(|d| q.before = Some(d)).is_some(),
            "after" => parse_day(&value).map(|d| q.after = Some(d)).is_some(),
            "in" if !value.is_empty() => {
                q.folder = Some(value.clone());
                true
            }
            _ => false,
        };
        if !understood {
            push_term(&mut q, Field::Any, format!("{word}:{value}"));
        }
    }
    q
}

/// Reads a quoted string starting after the opening quote; an unclosed quote runs to the
/// end (the user is still typing).
fn read_quoted(chars: &[char], mut i: usize) -> (String, usize) {
    let start = i;
    while i < chars.len() && chars[i] != '"' {
        i += 1;
    }
    let text = chars[start..i].iter().collect();
    (text, (i + 1).min(chars.len()))
}

fn push_term(q: &mut SearchQuery, field: Field, text: String) -> bool {
    let text = text.trim().to_owned();
    if text.is_empty() {
        return false;
    }
    q.terms.push(Term { field, text });
    true
}

/// `YYYY-MM-DD` to unix seconds at 00:00 UTC.
fn parse_day(s: &str) -> Option<i64> {
    let mut parts = s.splitn(3, '-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: i64 = parts.next()?.parse().ok()?;
    let d: i64 = parts.next()?.parse().ok()?;
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days_in_month = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1970..=9999).contains(&y) || !(1..=12).contains(&m) {
        return None;
    }
    if d < 1 || d > days_in_month[(m - 1) as usize] {
        return None;
    }
    // Days from civil (H. Hinnant's algorithm).
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some((era * 146_097 + doe - 719_468) * 86_400)
}

/// A LIKE pattern matching `text` anywhere, with `\` as the escape character.
pub(crate) fn like_contains(text: &str) -> String {
    let mut p = String::with_capacity(text.len() + 2);
    p.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

fn columns(field: Field) -> &'static [&'static str] {
    match field {
        Field::Any => &[
            "subject",
            "from_text",
            "to_text",
            "body",
            "attachment_names",
        ],
        Field::From => &["from_text"],
        Field::To => &["to_text"],
        Field::Subject => &["subject"],
    }
}

/// How results are ordered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SearchOrder {
    /// Best match first (bm25; subject and sender weigh more than the body), newest first
    /// within equal rank. Only the [`RANK_WINDOW`] newest matches are scored; older
    /// matches follow them, newest first, so a common word costs the same in a mailbox
    /// of any size and no match is ever left out.
    #[default]
    Relevance,
    /// Newest first. Walks the index in date order and stops after the page, so it is
    /// fast however many messages match.
    Newest,
}

/// How many of the newest matches relevance ranking scores. Scoring is per match, so
/// ranking every match of a common word in a 100,000-message mailbox took 25-35 ms;
/// the newest thousand keep a one-word search near 5 ms (store_bench), and the mail
/// people look for by relevance is rarely older than its thousand newest relatives.
pub const RANK_WINDOW: u32 = 1000;

/// Which matches a compiled query covers, by index key (rowid, which is date order).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KeyRange {
    /// Every match.
    All,
    /// Keys at or above this one (the ranking window).
    AtLeast(i64),
    /// Keys below this one (older than the window).
    Below(i64),
    /// Every match of the text terms and date range, ignoring the row filters
    /// (attachment, unread, flagged, folder): what the ranking window is counted in.
    /// Only for selecting `f.rowid`.
    TextWindow,
}

/// SQL and its parameters for a parsed query. Column names come from this file only.
pub(crate) struct CompiledQuery {
    pub sql: String,
    pub params: Vec<rusqlite::types::Value>,
}

/// Builds the search statement. Ranked by bm25 (subject and sender weigh more than the
/// body), newest first within equal rank, then by id so pages never overlap.
pub(crate) fn compile(
    q: &SearchQuery,
    order: SearchOrder,
    select: &str,
    limit: u32,
    offset: u32,
) -> CompiledQuery {
    compile_in(q, order, select, limit, offset, KeyRange::All)
}

/// True when relevance order has anything to rank (a full-text term).
pub(crate) fn is_ranked(q: &SearchQuery) -> bool {
    q.terms
        .iter()
        .any(|t| crate::words::phrase_query(&t.text).is_some())
}

/// [`compile`] restricted to a range of index keys.
pub(crate) fn compile_in(
    q: &SearchQuery,
    order: SearchOrder,
    select: &str,
    limit: u32,
    offset: u32,
    range: KeyRange,
) -> CompiledQuery {
    use rusqlite::types::Value;
    let mut params: Vec<Value> = Vec::new();
    let mut wheres: Vec<String> = Vec::new();
    let mut matches: Vec<String> = Vec::new();
    for t in &q.terms {
        let cols = columns(t.field);
        match crate::words::phrase_query(&t.text) {
            None => {
                params.push(Value::Text(like_contains(&t.text)));
                let n = params.len();
                let ors: Vec<String> = cols
                    .iter()
                    .map(|c| format!("f.{c} LIKE ?{n} ESCAPE '\\'"))
                    .collect();
                wheres.push(format!("({})", ors.join(" OR ")));
            }
            Some(phrase) if t.field == Field::Any => matches.push(phrase),
            Some(phrase) => matches.push(format!("{{{}}} : {phrase}", cols.join(" "))),
        }
    }
    let ranked = !matches.is_empty();
    if ranked {
        params.push(Value::Text(matches.join(" AND ")));
        wheres.push(format!("messages_fts MATCH ?{}", params.len()));
    }
    match range {
        KeyRange::All | KeyRange::TextWindow => {}
        KeyRange::AtLeast(k) => {
            params.push(Value::Integer(k));
            wheres.push(format!("f.rowid >= ?{}", params.len()));
        }
        KeyRange::Below(k) => {
            params.push(Value::Integer(k));
            wheres.push(format!("f.rowid < ?{}", params.len()));
        }
    }
    // The ranking window is counted in text matches alone (dates included, as they are
    // a key range): counting it in matches that also pass the row filters meant reading
    // the row of every newer text match first.
    let rows = range != KeyRange::TextWindow;
    if q.has_attachment && rows {
        wheres.push("m.has_attachments = 1".into());
    }
    if q.unread && rows {
        wheres.push(format!("(m.flags & {}) = 0", crate::Flags::SEEN.0));
    }
    if q.flagged && rows {
        wheres.push(format!("(m.flags & {}) != 0", crate::Flags::FLAGGED.0));
    }
    // Dates twice: as a key range the index seeks to (its keys are date-ordered), and
    // on the row, exact for the few dates the key clamps.
    if let Some(b) = q.before {
        params.push(Value::Integer(crate::store::fts_key_floor(
            b.saturating_add(1),
        )));
        wheres.push(format!("f.rowid < ?{}", params.len()));
        if rows {
            params.push(Value::Integer(b));
            wheres.push(format!("m.date < ?{}", params.len()));
        }
    }
    if let Some(a) = q.after {
        params.push(Value::Integer(crate::store::fts_key_floor(a)));
        wheres.push(format!("f.rowid >= ?{}", params.len()));
        if rows {
            params.push(Value::Integer(a));
            wheres.push(format!("m.date >= ?{}", params.len()));
        }
    }
    if let Some(folder) = q.folder.as_ref().filter(|_| rows) {
        params.push(Value::Text(folder.clone()));
        wheres.push(format!(
            "m.folder IN (SELECT id FROM folders WHERE name = ?{} COLLATE NOCASE)",
            params.len()
        ));
    }
    let where_sql = if wheres.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", wheres.join(" AND "))
    };
    params.push(Value::Integer(i64::from(limit)));
    let lim = params.len();
    params.push(Value::Integer(i64::from(offset)));
    let off = params.len();
    let sql = if ranked && order == SearchOrder::Relevance {
        // Every match is scored, so the scoring pass must stay narrow: it carries only
        // the index key and the score (joining the message row only when a filter needs
        // it), and the page's rows are read after the sort. Reading every match's row
        // into the sorter made a common word cost twice as much.
        let needs_row = where_sql.contains("m.");
        let join = if needs_row {
            "CROSS JOIN messages AS m ON m.fts_key = f.rowid"
        } else {
            ""
        };
        format!(
            "SELECT {select} FROM (SELECT f.rowid AS k, \
             bm25(messages_fts, 10.0, 5.0, 3.0, 1.0, 2.0) AS score \
             FROM messages_fts AS f {join} {where_sql} \
             ORDER BY score, k DESC LIMIT ?{lim} OFFSET ?{off}) AS hit \
             CROSS JOIN messages AS m ON m.fts_key = hit.k ORDER BY hit.score, hit.k DESC"
        )
    } else {
        // The index's rowid is (date << 20 | tie-break), so rowid order is date order
        // and SQLite can walk it backwards and stop after the page.
        let join = if rows {
            "CROSS JOIN messages AS m ON m.fts_key = f.rowid"
        } else {
            ""
        };
        format!(
            "SELECT {select} FROM messages_fts AS f {join} {where_sql} \
             ORDER BY f.rowid DESC LIMIT ?{lim} OFFSET ?{off}"
        )
    };
    CompiledQuery { sql, params }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn any(t: &str) -> Term {
        Term {
            field: Field::Any,
            text: t.into(),
        }
    }

    #[test]
    fn words_and_phrases() {
        let q = parse_query(r#"budget  "quarterly review" 会议"#);
        assert_eq!(
            q.terms,
            vec![any("budget"), any("quarterly review"), any("会议")]
        );
    }

    #[test]
    fn filters() {
        let q = parse_query(
            r#"from:alice@example.com to:"Bob Li" subject:plan has:attachment is:unread is:flagged before:2024-03-01 after:2024-01-31 in:INBOX"#,
        );
        assert_eq!(
            q.terms,
            vec![
                Term {
                    field: Field::From,
                    text: "alice@example.com".into()
                },
                Term {
                    field: Field::To,
                    text: "Bob Li".into()
                },
                Term {
                    field: Field::Subject,
                    text: "plan".into()
                },
            ]
        );
        assert!(q.has_attachment && q.unread && q.flagged);
        assert_eq!(q.before, Some(1_709_251_200));
        assert_eq!(q.after, Some(1_706_659_200));
        assert_eq!(q.folder.as_deref(), Some("INBOX"));
    }

    #[test]
    fn unknown_or_invalid_filters_are_text() {
        let q = parse_query("foo:bar before:2024-02-30 is:weird http://x");
        assert_eq!(
            q.terms,
            vec![
                any("foo:bar"),
                any("before:2024-02-30"),
                any("is:weird"),
                any("http://x")
            ]
        );
        assert!(q.before.is_none());
    }

    #[test]
    fn hostile_input_stays_text() {
        for s in [
            r#"""#,
            "*",
            "NEAR(",
            "OR",
            "-",
            ":",
            r#"a"b"#,
            "'; DROP TABLE messages; --",
            "^x",
        ] {
            let q = parse_query(s);
            for t in &q.terms {
                assert!(!t.text.is_empty());
            }
        }
        assert_eq!(
            parse_query("\"unclosed phrase").terms,
            vec![any("unclosed phrase")]
        );
        assert_eq!(like_contains("50%_\\"), r"%50\%\_\\%");
    }

    #[test]
    fn lone_cjk_characters_use_like_and_user_text_is_always_a_parameter() {
        let c = compile(
            &parse_query("会 纪要x"),
            SearchOrder::Relevance,
            "m.id",
            10,
            0,
        );
        assert!(c.sql.contains("LIKE"));
        assert!(c.sql.contains("MATCH"));
        assert!(
            !c.sql.contains("会") && !c.sql.contains("纪要"),
            "user text must be a parameter"
        );
    }

    #[test]
    fn day_parsing() {
        assert_eq!(parse_day("1970-01-01"), Some(0));
        assert_eq!(parse_day("2000-03-01"), Some(951_868_800));
        assert_eq!(parse_day("2024-02-29"), Some(1_709_164_800));
        assert_eq!(parse_day("2023-02-29"), None);
        assert_eq!(parse_day("2024-13-01"), None);
        assert_eq!(parse_day("yesterday"), None);
    }
}
