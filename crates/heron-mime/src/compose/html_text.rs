//! HTML to plain text for the text/plain alternative of an HTML message.
//!
//! html5ever's tokenizer reads the HTML exactly as a browser's would (entities,
//! attributes, broken markup); the sink tells it when an element's content is raw
//! text (`<script>`, `<style>`, `<title>`, ...) just as the tree builder would, so
//! script text can never leak out as content. What remains is a small layout pass:
//! blocks start lines, white space collapses, lists get markers, quotes get `> `.

use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind};

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, Tag, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};

/// Nested lists deeper than this are indented no further.
const MAX_INDENT: usize = 8;

/// Blockquotes deeper than this get no more `> ` (hostile nesting must not multiply
/// the output size).
const MAX_QUOTE_DEPTH: usize = 20;

/// How much of a link's text is kept to compare with its target.
const MAX_LINK_TEXT: usize = 2048;

/// Elements dropped with everything inside them, and how the tokenizer must read
/// their content. `<head>` is not among them (its end tag is optional, so dropping up
/// to `</head>` could drop the whole message); what it holds that shows text
/// (`<title>`, `<style>`, `<script>`) is.
fn dropped(name: &str) -> Option<Option<RawKind>> {
    Some(match name {
        "script" => Some(RawKind::ScriptData),
        "style" | "noscript" | "iframe" | "noembed" | "noframes" | "xmp" => Some(RawKind::Rawtext),
        "title" | "textarea" => Some(RawKind::Rcdata),
        "template" | "object" | "embed" | "svg" | "math" | "canvas" | "audio" | "video"
        | "select" | "datalist" | "button" => None,
        _ => return None,
    })
}

/// Elements that separate paragraphs with a blank line.
fn is_paragraph(name: &str) -> bool {
    matches!(
        name,
        "p" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "table" | "dl" | "figure" | "address"
    )
}

/// Elements that start and end on a line of their own.
fn is_block(name: &str) -> bool {
    matches!(
        name,
        "article"
            | "aside"
            | "body"
            | "center"
            | "dd"
            | "details"
            | "dialog"
            | "dir"
            | "div"
            | "dt"
            | "fieldset"
            | "figcaption"
            | "footer"
            | "form"
            | "header"
            | "hgroup"
            | "html"
            | "legend"
            | "main"
            | "menu"
            | "nav"
            | "section"
            | "summary"
            | "tr"
            | "caption"
            | "thead"
            | "tbody"
            | "tfoot"
    )
}

/// Plain text from HTML: block elements become line breaks (paragraphs and headings
/// a blank line), `<br>` a newline, list items `- ` (or `1. ` in ordered lists),
/// links `text (url)` when the text is not already the URL, blockquote lines `> `,
/// images their alt text; script, style, head and the like are dropped; entities are
/// decoded and white space collapsed as a browser would (kept inside `<pre>`). Lines
/// are separated by `\n`, without trailing spaces. Never panics: should the conversion
/// fail, the result is empty.
pub fn html_to_text(html: &str) -> String {
    catch_unwind(AssertUnwindSafe(|| convert(html))).unwrap_or_default()
}

fn convert(html: &str) -> String {
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    let sink = TextSink(RefCell::new(Layout::default()));
    let tokenizer = Tokenizer::new(sink, TokenizerOpts::default());
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    tokenizer.sink.0.take().finish()
}

struct TextSink(RefCell<Layout>);

impl TokenSink for TextSink {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        self.0.borrow_mut().token(token)
    }
}

enum List {
    Unordered,
    Ordered(u64),
}

#[derive(Default)]
struct Layout {
    /// Finished lines with their quote depth.
    lines: Vec<(usize, String)>,
    /// The line being written and the quote depth it started at.
    cur: String,
    cur_depth: usize,
    /// Current blockquote depth.
    depth: usize,
    /// White space seen since the last word (collapsed to one space).
    space: bool,
    /// Inside `<pre>` (or after `<plaintext>`): white space is kept.
    pre: usize,
    /// A newline right after `<pre>` is not content (as in browsers).
    skip_newline: bool,
    /// The element being dropped and how deeply it nests in itself.
    dropping: Option<(String, usize)>,
    lists: Vec<List>,
    /// The open link: (href, its text so far). A new `<a>` closes it, as in browsers.
    link: Option<(String, String)>,
}

impl Layout {
    fn token(&mut self, token: Token) -> TokenSinkResult<()> {
        match token {
            Token::TagToken(tag) => return self.tag(&tag),
            Token::CharacterTokens(text) => self.text(&text),
            _ => {}
        }
        TokenSinkResult::Continue
    }

    fn tag(&mut self, tag: &Tag) -> TokenSinkResult<()> {
        let name: &str = &tag.name;
        if let Some((dropping, nesting)) = &mut self.dropping {
            if dropping == name && !tag.self_closing {
                match tag.kind {
                    TagKind::StartTag => *nesting += 1,
                    TagKind::EndTag => *nesting -= 1,
                }
                if *nesting == 0 {
                    self.dropping = None;
                }
            }
            return TokenSinkResult::Continue;
        }
        match tag.kind {
            TagKind::StartTag => self.start(tag),
            TagKind::EndTag => {
                self.end(name);
                TokenSinkResult::Continue
            }
        }
    }

    fn attr<'t>(tag: &'t Tag, name: &str) -> Option<&'t str> {
        tag.attrs
            .iter()
            .find(|a| &*a.name.local == name)
            .map(|a| &*a.value)
    }

    fn start(&mut self, tag: &Tag) -> TokenSinkResult<()> {
        let name: &str = &tag.name;
        if let Some(raw) = dropped(name) {
            if tag.self_closing && raw.is_none() {
                return TokenSinkResult::Continue;
            }
            self.dropping = Some((name.to_owned(), 1));
            return match raw {
                Some(kind) => TokenSinkResult::RawData(kind),
                None => TokenSinkResult::Continue,
            };
        }
        match name {
            "br" => self.hard_break(),
            "p" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "table" | "dl" | "figure"
            | "address" => self.ensure_break(2),
            "pre" | "listing" => {
                self.ensure_break(2);
                self.pre += 1;
                self.skip_newline = true;
            }
            "plaintext" => {
                self.ensure_break(1);
                self.pre += 1;
                return TokenSinkResult::Plaintext;
            }
            "blockquote" => {
                self.ensure_break(2);
                self.depth += 1;
            }
            "ul" | "ol" => {
                self.ensure_break(if self.lists.is_empty() { 2 } else { 1 });
                self.lists.push(if name == "ol" {
                    let start = Self::attr(tag, "start")
                        .and_then(|s| s.trim().parse().ok())
                        .unwrap_or(1);
                    List::Ordered(start)
                } else {
                    List::Unordered
                });
            }
            "li" => {
                self.ensure_break(1);
                let indent = "  ".repeat(self.lists.len().saturating_sub(1).min(MAX_INDENT));
                let marker = match self.lists.last_mut() {
                    Some(List::Ordered(n)) => {
                        let m = format!("{n}. ");
                        *n = n.saturating_add(1);
                        m
                    }
                    _ => "- ".to_owned(),
                };
                self.push_raw(&format!("{indent}{marker}"));
            }
            "hr" => {
                self.ensure_break(1);
                self.push_raw("---");
                self.ensure_break(1);
            }
            // Cells on one line, a space apart.
            "td" | "th" if !self.cur.is_empty() => self.space = true,
            "a" => {
                self.close_link();
                let href = Self::attr(tag, "href")
                    .unwrap_or_default()
                    .trim()
                    .to_owned();
                self.link = Some((href, String::new()));
            }
            "img" => {
                if let Some(alt) = Self::attr(tag, "alt") {
                    let alt = alt.to_owned();
                    self.text(&alt);
                }
            }
            _ if is_block(name) => self.ensure_break(1),
            _ => {}
        }
        TokenSinkResult::Continue
    }

    fn end(&mut self, name: &str) {
        match name {
            "pre" | "listing" => {
                self.pre = self.pre.saturating_sub(1);
                self.ensure_break(2);
            }
            "blockquote" => {
                self.ensure_break(2);
                self.depth = self.depth.saturating_sub(1);
            }
            "ul" | "ol" => {
                self.lists.pop();
                self.ensure_break(if self.lists.is_empty() { 2 } else { 1 });
            }
            "a" => self.close_link(),
            "li" => self.ensure_break(1),
            _ if is_paragraph(name) => self.ensure_break(2),
            _ if is_block(name) => self.ensure_break(1),
            _ => {}
        }
    }

    fn close_link(&mut self) {
        if let Some((href, text)) = self.link.take()
            && let Some(shown) = link_suffix(&href, &text)
        {
            self.push_raw(&format!(" ({shown})"));
        }
    }

    fn text(&mut self, text: &str) {
        if self.dropping.is_some() {
            return;
        }
        if let Some((_, link_text)) = &mut self.link
            && link_text.len() < MAX_LINK_TEXT
        {
            link_text.push_str(text);
        }
        for c in text.chars() {
            if self.pre > 0 {
                if std::mem::take(&mut self.skip_newline) && c == '\n' {
                    continue;
                }
                match c {
                    '\n' => self.hard_break(),
                    '\r' => {}
                    c => self.push_char(c),
                }
            } else if matches!(c, ' ' | '\t' | '\n' | '\r' | '\u{C}') {
                self.space = true;
            } else {
                if std::mem::take(&mut self.space) && !self.cur.is_empty() {
                    self.push_char(' ');
                }
                // A no-break space is a space that does not collapse.
                self.push_char(if c == '\u{A0}' { ' ' } else { c });
            }
        }
    }

    fn push_char(&mut self, c: char) {
        if self.cur.is_empty() {
            self.cur_depth = self.depth;
        }
        self.cur.push(c);
    }

    /// Text that is not content (markers, link targets): no space collapsing.
    fn push_raw(&mut self, s: &str) {
        if std::mem::take(&mut self.space) && !self.cur.is_empty() && !s.starts_with(' ') {
            self.push_char(' ');
        }
        for c in s.chars() {
            self.push_char(c);
        }
    }

    fn flush(&mut self) {
        let depth = if self.cur.is_empty() {
            self.depth
        } else {
            self.cur_depth
        };
        let line = std::mem::take(&mut self.cur);
        self.lines.push((depth, line));
    }

    fn hard_break(&mut self) {
        self.flush();
        self.space = false;
    }

    /// Ends the current line if it has text; with `n == 2` also makes sure a blank
    /// line follows (never at the very start).
    fn ensure_break(&mut self, n: usize) {
        self.space = false;
        self.skip_newline = false;
        if !self.cur.is_empty() {
            self.flush();
        }
        if n >= 2 && self.lines.last().is_some_and(|(_, l)| !l.trim().is_empty()) {
            self.flush();
        }
    }

    fn finish(mut self) -> String {
        self.close_link();
        if !self.cur.is_empty() {
            self.flush();
        }
        let lines: Vec<(usize, String)> = self
            .lines
            .into_iter()
            .map(|(d, l)| (d.min(MAX_QUOTE_DEPTH), l.trim_end().to_owned()))
            .collect();
        let Some(first) = lines.iter().position(|(_, l)| !l.is_empty()) else {
            return String::new();
        };
        let last = lines
            .iter()
            .rposition(|(_, l)| !l.is_empty())
            .unwrap_or(first);
        // A blank line is quoted as deeply as the text on both its sides: the depth of
        // the nearest text line after each line, computed in one backward pass.
        let mut next_text_depth = vec![0; lines.len()];
        let mut following = 0;
        for (i, (depth, line)) in lines.iter().enumerate().rev() {
            next_text_depth[i] = following;
            if !line.is_empty() {
                following = *depth;
            }
        }
        let mut out = String::new();
        let mut previous_text_depth = 0;
        for i in first..=last {
            let (depth, line) = &lines[i];
            let depth = if line.is_empty() {
                previous_text_depth.min(next_text_depth[i])
            } else {
                previous_text_depth = *depth;
                *depth
            };
            if i > first {
                out.push('\n');
            }
            if depth > 0 {
                let prefix = "> ".repeat(depth);
                if line.is_empty() {
                    out.push_str(prefix.trim_end());
                } else {
                    out.push_str(&prefix);
                }
            }
            out.push_str(line);
        }
        out
    }
}

/// What to show after a link's text: its target, unless the text already shows it
/// or the target is not something a reader could follow.
fn link_suffix(href: &str, text: &str) -> Option<String> {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let lower = href.to_ascii_lowercase();
    let followable = ["http://", "https://", "mailto:", "ftp://"]
        .iter()
        .any(|s| lower.starts_with(s));
    if text.is_empty() || !followable {
        return None;
    }
    let bare = |s: &str| {
        let l = s.to_ascii_lowercase();
        l.strip_prefix("mailto:")
            .or_else(|| l.strip_prefix("https://"))
            .or_else(|| l.strip_prefix("http://"))
            .unwrap_or(&l)
            .trim_end_matches('/')
            .to_owned()
    };
    (bare(href) != bare(&text)).then(|| href.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_and_breaks() {
        assert_eq!(
            html_to_text("<p>One\n  two</p><p>Three<br>four<br><br>five</p><div>six</div>seven"),
            "One two\n\nThree\nfour\n\nfive\n\nsix\nseven"
        );
    }

    #[test]
    fn lists_get_markers_and_nesting() {
        assert_eq!(
            html_to_text(
                "<p>Intro</p><ul><li>a</li><li>b<ul><li>b1</li></ul></li></ul><ol start=3><li>x<li>y</ol>end"
            ),
            "Intro\n\n- a\n- b\n  - b1\n\n3. x\n4. y\n\nend"
        );
    }

    #[test]
    fn links_show_their_target_when_it_differs() {
        assert_eq!(
            html_to_text(
                r##"See <a href="https://example.com/report">the report</a>, <a href="https://example.com/">example.com</a>, <a href="mailto:a@x.org">a@x.org</a>, <a href="javascript:x()">js</a> and <a href="#top">top</a>."##
            ),
            "See the report (https://example.com/report), example.com, a@x.org, js and top."
        );
    }

    #[test]
    fn blockquotes_are_prefixed() {
        assert_eq!(
            html_to_text(
                "<p>Reply</p><blockquote><p>Quoted one</p><p>two</p><blockquote>deeper</blockquote></blockquote>after"
            ),
            "Reply\n\n> Quoted one\n>\n> two\n>\n> > deeper\n\nafter"
        );
    }

    #[test]
    fn entities_are_decoded() {
        assert_eq!(
            html_to_text(
                "Fish &amp; chips &lt;3 &quot;q&quot; &#x4E2D;&#25991; a&nbsp;&nbsp;b &copy;"
            ),
            "Fish & chips <3 \"q\" 中文 a  b ©"
        );
    }

    #[test]
    fn script_style_and_head_are_dropped() {
        let html = "<html><head><title>T</title><style>p { color: red } a > b {}</style></head><body>\
                    <script>document.write('<p>injected</p>'); if (a < b) {}</script>\
                    <p>Visible</p><noscript>nojs</noscript><svg><text>svg</text></svg><SCRIPT>x()</SCRIPT>tail</body></html>";
        assert_eq!(html_to_text(html), "Visible\n\ntail");
    }

    #[test]
    fn pre_keeps_white_space() {
        assert_eq!(
            html_to_text("<pre>\n  a  b\n    c</pre>d"),
            "  a  b\n    c\n\nd"
        );
    }

    #[test]
    fn tables_images_and_rules() {
        assert_eq!(
            html_to_text(
                "<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table><img alt=\"Logo\"><hr>x"
            ),
            "a b\nc\n\nLogo\n---\nx"
        );
    }

    #[test]
    fn hostile_nesting_stays_linear() {
        let html = format!(
            "{}{}{}",
            "<blockquote>".repeat(5_000),
            "<a href=\"https://x.example/\">".repeat(5_000),
            "x<br>".repeat(5_000)
        );
        let text = html_to_text(&html);
        assert!(text.len() < 1_000_000, "{} bytes", text.len());
        assert!(text.starts_with(&"> ".repeat(MAX_QUOTE_DEPTH)));
        let blank_lines = html_to_text(&"<p>a</p>".repeat(20_000));
        assert_eq!(blank_lines.lines().count(), 20_000 * 2 - 1);
    }

    #[test]
    fn garbage_never_panics() {
        for html in [
            "",
            "<",
            "</p></blockquote></ul></a>",
            "<a href=\"https://x\">unclosed",
            "<script>never closed",
            &"<blockquote>".repeat(10_000),
            &"<ul><li>".repeat(10_000),
            "<plaintext><b>raw</b>",
            "\0\u{FFFF}<p\0>",
        ] {
            let _ = html_to_text(html);
        }
        assert_eq!(html_to_text("<plaintext><b>raw</b>"), "<b>raw</b>");
    }
}
