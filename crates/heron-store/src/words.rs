//! How text becomes searchable words. The full-text index splits Latin, Cyrillic, Greek
//! and the like into words (FTS5's unicode61 tokenizer, case and accents folded); for
//! languages written without spaces (Chinese, Japanese, Korean) every run of such
//! characters is rewritten here as its overlapping character pairs ("会议纪要" becomes
//! "会议 议纪 纪要"), so a search for any two or more consecutive characters is a phrase
//! of pairs. The same rewriting applies to what is indexed and to what is searched.

/// True for characters of scripts written without spaces between words.
pub(crate) fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF      // Hiragana, Katakana
        | 0x3400..=0x4DBF    // CJK Extension A
        | 0x4E00..=0x9FFF    // CJK Unified Ideographs
        | 0xAC00..=0xD7AF    // Hangul syllables
        | 0xF900..=0xFAFF    // CJK Compatibility Ideographs
        | 0x20000..=0x3134F  // CJK Extensions B-G
    )
}

/// `text` as the index stores it: CJK runs as space-separated character pairs (a lone
/// character stays itself), everything else unchanged.
pub(crate) fn index_text(text: &str) -> String {
    if !text.chars().any(is_cjk) {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len() * 2);
    let mut run: Vec<char> = Vec::new();
    let flush = |run: &mut Vec<char>, out: &mut String| {
        if run.is_empty() {
            return;
        }
        out.push(' ');
        if run.len() == 1 {
            out.push(run[0]);
        } else {
            for pair in run.windows(2) {
                out.push(pair[0]);
                out.push(pair[1]);
                out.push(' ');
            }
        }
        out.push(' ');
        run.clear();
    };
    for c in text.chars() {
        if is_cjk(c) {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// The FTS5 query for one search term: a phrase of its words (CJK as pairs); a single
/// non-CJK word matches as a prefix ("budg" finds "budget"). `None` when
/// the index cannot answer it (a single CJK character, or no word characters at all):
/// those are matched with LIKE instead.
pub(crate) fn phrase_query(term: &str) -> Option<String> {
    // A `*` someone types means "starts with", which single words do anyway.
    let term = term.trim_end_matches('*');
    let word_chars: Vec<char> = term.chars().filter(|c| c.is_alphanumeric()).collect();
    if word_chars.is_empty() {
        return None;
    }
    if word_chars.len() == 1 && is_cjk(word_chars[0]) {
        return None;
    }
    let indexed = index_text(term);
    let quoted = format!("\"{}\"", indexed.trim().replace('"', "\"\""));
    // A single word being typed matches as a prefix ("budg" finds "budget"); what has
    // separators in it (an address, a domain, several words) was typed out whole, and
    // a prefix on its last part ("com*" in "example.com") would only cost time.
    let one_word = term.chars().all(|c| c.is_alphanumeric() && !is_cjk(c));
    Some(if one_word {
        format!("{quoted} *")
    } else {
        quoted
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cjk_runs_become_pairs_and_other_text_is_kept() {
        assert_eq!(index_text("budget review"), "budget review");
        assert_eq!(index_text("今天的会议"), " 今天 天的 的会 会议  ");
        assert_eq!(index_text("Q3会议纪要!"), "Q3 会议 议纪 纪要  !");
        assert_eq!(index_text("会 x"), " 会  x");
        assert_eq!(index_text("カタカナ"), " カタ タカ カナ  ");
    }

    #[test]
    fn terms_become_phrases_with_a_prefix_on_latin_words() {
        assert_eq!(phrase_query("budg").as_deref(), Some("\"budg\" *"));
        assert_eq!(
            phrase_query("会议纪要").as_deref(),
            Some("\"会议 议纪 纪要\"")
        );
        assert_eq!(phrase_query("会议").as_deref(), Some("\"会议\""));
        assert_eq!(
            phrase_query("example.com").as_deref(),
            Some("\"example.com\"")
        );
        assert_eq!(
            phrase_query("say \"hi\"").as_deref(),
            Some("\"say \"\"hi\"\"\"")
        );
        assert_eq!(
            phrase_query("会"),
            None,
            "a lone CJK character goes to LIKE"
        );
        assert_eq!(phrase_query("@@"), None);
    }
}
