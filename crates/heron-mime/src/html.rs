//! Sanitising mail HTML: ammonia removes everything that is not on the allowlist, then
//! a pass over ammonia's DOM applies Heron's policy to the URLs and styles that remain
//! (cid rewriting, remote content made inert, link checks).
//!
//! Why two steps: ammonia's attribute filter can change or drop a value but cannot
//! rename an attribute, and remote URLs must survive (inert) so the user can load them
//! later. The second step re-tokenises ammonia's output (which contains no raw-text
//! elements, so the tokenizer alone reads it exactly as a browser would), edits only
//! attributes, and serialises with full escaping, so it cannot reintroduce markup.
//!
//! `<style>` elements are removed with their contents: sanitising whole style sheets
//! (selectors can exfiltrate attribute values through `url()`, `@import`, `@font-face`)
//! needs a real CSS parser, and mail that matters carries its layout inline.

use std::collections::{HashMap, HashSet};
use std::panic::{AssertUnwindSafe, catch_unwind};

use std::cell::RefCell;

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::{
    BufferQueue, Tag, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};
use html5ever::{Attribute, LocalName, QualName, ns};
use serde::Serialize;
use url::{Host, Url};

use crate::css::{UrlDecision, filter_style};
use crate::notes::{SecurityNote, escape_visible};

/// The prefix of the inert attributes that hold remote URLs until the user allows them
/// (`data-heron-remote-src`, `-srcset`, `-background`, `-poster`, `-style`).
pub const REMOTE_ATTR_PREFIX: &str = "data-heron-remote-";

/// The scheme the shell serves inline parts (`cid:` references) from.
pub const CID_SCHEME: &str = "heron-cid";

/// What [`sanitize_html`] needs to know about the message it works on.
#[derive(Clone, Debug, Default)]
pub struct SanitizeContext {
    /// The store's key for this message; it becomes the host part of `heron-cid://`
    /// URLs so an image can only come from its own message.
    pub message_key: String,
    /// How many links are checked for spoofing before the check gives up (a note says
    /// so); 0 means the default (500).
    pub max_links_checked: usize,
}

/// Sanitised HTML, ready for the isolated mail view.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SanitizedHtml {
    /// The HTML fragment. Nothing in it runs or loads from the network.
    pub html: String,
    /// How many remote items (images, backgrounds, style URLs) were made inert: the
    /// number the remote-content bar shows.
    pub remote_items_blocked: usize,
    /// Notes about links (mismatched text, IP hosts, userinfo, IDN hosts).
    pub link_notes: Vec<SecurityNote>,
}

/// Elements kept (without event handlers and unknown attributes): what newsletters and
/// Outlook use for layout.
const ALLOWED_TAGS: &[&str] = &[
    "a",
    "abbr",
    "acronym",
    "address",
    "b",
    "bdi",
    "big",
    "blockquote",
    "br",
    "caption",
    "center",
    "cite",
    "code",
    "col",
    "colgroup",
    "dd",
    "del",
    "details",
    "dfn",
    "div",
    "dl",
    "dt",
    "em",
    "figcaption",
    "figure",
    "font",
    "footer",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "i",
    "img",
    "ins",
    "kbd",
    "li",
    "main",
    "mark",
    "ol",
    "p",
    "pre",
    "q",
    "s",
    "samp",
    "section",
    "article",
    "aside",
    "small",
    "span",
    "strike",
    "strong",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "tt",
    "u",
    "ul",
    "var",
    "wbr",
    "nav",
];

/// Elements removed together with everything inside them: their content is code, a
/// form control's value, or a foreign-content island used for mutation XSS.
const REMOVED_WITH_CONTENT: &[&str] = &[
    "script",
    "style",
    "template",
    "textarea",
    "select",
    "option",
    "button",
    "object",
    "embed",
    "iframe",
    "frame",
    "frameset",
    "noembed",
    "noframes",
    "noscript",
    "svg",
    "math",
    "title",
    "xmp",
    "plaintext",
    "applet",
    "audio",
    "video",
    "canvas",
    "head",
    "datalist",
];

/// Attributes allowed on every kept element.
const GENERIC_ATTRIBUTES: &[&str] = &[
    "align",
    "valign",
    "bgcolor",
    "color",
    "width",
    "height",
    "border",
    "cellpadding",
    "cellspacing",
    "dir",
    "lang",
    "title",
    "style",
    "face",
    "size",
    "colspan",
    "rowspan",
    "nowrap",
    "background",
    "alt",
];

/// Sanitises mail HTML for display. Never panics: if the sanitiser fails, the result is
/// empty and a [`SecurityNote::PartNotDisplayed`] note explains why.
pub fn sanitize_html(html: &str, ctx: &SanitizeContext) -> SanitizedHtml {
    match catch_unwind(AssertUnwindSafe(|| sanitize_inner(html, ctx))) {
        Ok(out) => out,
        Err(_) => SanitizedHtml {
            html: String::new(),
            remote_items_blocked: 0,
            link_notes: vec![SecurityNote::PartNotDisplayed {
                part_path: String::new(),
                reason: "The HTML sanitiser failed on this content".to_owned(),
            }],
        },
    }
}

fn builder() -> ammonia::Builder<'static> {
    let mut b = ammonia::Builder::empty();
    let mut tag_attributes: HashMap<&str, HashSet<&str>> = HashMap::new();
    tag_attributes.insert("a", ["href", "name"].into());
    tag_attributes.insert("img", ["src", "srcset", "hspace", "vspace"].into());
    tag_attributes.insert("ol", ["start", "type"].into());
    tag_attributes.insert("ul", ["type"].into());
    tag_attributes.insert("li", ["value", "type"].into());
    tag_attributes.insert("col", ["span"].into());
    tag_attributes.insert("colgroup", ["span"].into());
    tag_attributes.insert("td", ["headers", "scope", "abbr"].into());
    tag_attributes.insert("th", ["headers", "scope", "abbr"].into());
    tag_attributes.insert("hr", ["noshade"].into());
    b.tags(ALLOWED_TAGS.iter().copied().collect())
        .clean_content_tags(REMOVED_WITH_CONTENT.iter().copied().collect())
        .generic_attributes(GENERIC_ATTRIBUTES.iter().copied().collect())
        .generic_attribute_prefixes([REMOTE_ATTR_PREFIX].into())
        .tag_attributes(tag_attributes)
        .url_schemes(["http", "https", "mailto", "cid", "data", CID_SCHEME].into())
        .url_relative(ammonia::UrlRelative::Deny)
        .link_rel(Some("noopener noreferrer"))
        .strip_comments(true);
    b
}

fn sanitize_inner(html: &str, ctx: &SanitizeContext) -> SanitizedHtml {
    let wrapped;
    let html = match body_wrapper(html) {
        Some(open) => {
            wrapped = format!("{open}{html}</div>");
            &wrapped
        }
        None => html,
    };
    let mut clean = builder().clean(html).to_string();
    let mut tokens = tokenize(&clean);
    // The tree can be one that HTML cannot spell: a link inside a link (`<a><table><a>`,
    // the inner one moved out of the table) or a heading inside a heading (`<h1><x><h1>`
    // once ammonia drops `<x>`). Serialised, a browser reads it back as siblings, so it
    // is read back once more here: the links are then checked as the browser will show
    // them, and sanitising the output again changes nothing. Found by the fuzz target.
    for _ in 0..3 {
        if !has_unspellable_nesting(&tokens) {
            break;
        }
        clean = builder().clean(&clean).to_string();
        tokens = tokenize(&clean);
    }
    let mut pass = PolicyPass {
        key: ctx.message_key.clone(),
        max_links: if ctx.max_links_checked == 0 {
            500
        } else {
            ctx.max_links_checked
        },
        links_checked: 0,
        remote: 0,
        notes: Vec::new(),
    };
    let mut out = String::with_capacity(clean.len());
    for (i, token) in tokens.iter().enumerate() {
        match token {
            Token::TagToken(tag) if tag.kind == TagKind::StartTag => {
                let mut attrs = tag.attrs.clone();
                let link_text = if &*tag.name == "a" {
                    anchor_text(&tokens[i + 1..])
                } else {
                    String::new()
                };
                pass.element(&tag.name, &mut attrs, &link_text);
                push_start_tag(&tag.name, &attrs, &mut out);
            }
            other => push_token(other, &mut out),
        }
    }
    SanitizedHtml {
        html: out,
        remote_items_blocked: pass.remote,
        link_notes: pass.notes,
    }
}

/// Newsletters put their background colour (and image) on `<body>`, which a fragment
/// parse drops. This carries those few attributes over to a wrapping `<div>` that then
/// goes through the same sanitiser as everything else (so a remote `background` is made
/// inert and counted). Sanitised output has no `<body>`, so a second pass adds nothing.
fn body_wrapper(html: &str) -> Option<String> {
    if !html.to_ascii_lowercase().contains("<body") {
        return None;
    }
    let tokens = tokenize(html);
    let body = tokens.iter().find_map(|t| match t {
        Token::TagToken(tag) if tag.kind == TagKind::StartTag && &*tag.name == "body" => Some(tag),
        _ => None,
    })?;
    let mut out = String::from("<div");
    let mut style = String::new();
    for attr in &body.attrs {
        let name = &*attr.name.local;
        match name {
            "style" => {
                style.push_str(&attr.value);
                style.push(';');
            }
            "background" => {
                out.push(' ');
                out.push_str(name);
                out.push_str("=\"");
                escape_into(&attr.value, true, &mut out);
                out.push('"');
            }
            // Legacy colour attributes, which a div ignores, become CSS the filter checks.
            "text" => style.push_str(&format!("color: {};", attr.value)),
            "bgcolor" => style.push_str(&format!("background-color: {};", attr.value)),
            _ => {}
        }
    }
    if !style.is_empty() {
        out.push_str(" style=\"");
        escape_into(&style, true, &mut out);
        out.push('"');
    }
    if out == "<div" {
        return None;
    }
    out.push('>');
    Some(out)
}

/// Serialises a start tag with fully escaped attribute values.
fn push_start_tag(name: &str, attrs: &[Attribute], out: &mut String) {
    out.push('<');
    out.push_str(name);
    for attr in attrs {
        out.push(' ');
        out.push_str(&attr.name.local);
        out.push_str("=\"");
        escape_into(&attr.value, true, out);
        out.push('"');
    }
    out.push('>');
}

/// Serialises any token but a start tag (comments and doctypes are dropped).
fn push_token(token: &Token, out: &mut String) {
    match token {
        Token::TagToken(tag) if tag.kind == TagKind::EndTag => {
            out.push_str("</");
            out.push_str(&tag.name);
            out.push('>');
        }
        Token::CharacterTokens(text) => escape_into(text, false, out),
        Token::NullCharacterToken => out.push('\u{FFFD}'),
        _ => {}
    }
}

/// Collects the tokens of ammonia's output.
struct Collect(RefCell<Vec<Token>>);

impl TokenSink for Collect {
    type Handle = ();
    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        if !matches!(token, Token::ParseError(_) | Token::EOFToken) {
            self.0.borrow_mut().push(token);
        }
        TokenSinkResult::Continue
    }
}

pub(crate) fn tokenize(html: &str) -> Vec<Token> {
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    let tokenizer = Tokenizer::new(Collect(RefCell::new(Vec::new())), TokenizerOpts::default());
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    tokenizer.sink.0.take()
}

/// Whether a link starts inside a link, or a heading inside a heading: trees that the
/// parser (foster parenting out of a table) or ammonia (dropping an element between
/// two headings) can build but that HTML cannot spell, so a second parse splits them.
fn has_unspellable_nesting(tokens: &[Token]) -> bool {
    let (mut links, mut headings) = (0usize, 0usize);
    for token in tokens {
        let Token::TagToken(tag) = token else {
            continue;
        };
        let open = match &*tag.name {
            "a" => &mut links,
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => &mut headings,
            _ => continue,
        };
        if tag.kind == TagKind::EndTag {
            *open = open.saturating_sub(1);
        } else if *open > 0 {
            return true;
        } else {
            *open += 1;
        }
    }
    false
}

/// The text up to the closing `</a>`, bounded: enough to see a host.
fn anchor_text(rest: &[Token]) -> String {
    let mut out = String::new();
    for token in rest {
        match token {
            Token::TagToken(Tag {
                kind: TagKind::EndTag,
                name,
                ..
            }) if &**name == "a" => break,
            Token::CharacterTokens(t) => out.push_str(t),
            _ => {}
        }
        if out.len() > 1000 {
            break;
        }
    }
    out
}

/// Escapes for HTML text and double-quoted attribute values; applied on every pass, so
/// a second pass reproduces the same bytes.
pub(crate) fn escape_into(text: &str, attribute: bool, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '\u{A0}' => out.push_str("&nbsp;"),
            '"' if attribute => out.push_str("&quot;"),
            // Also inside attributes, unlike html5ever: a consumer that scans or
            // re-parses the output carelessly can then never find a tag in a value.
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
}

struct PolicyPass {
    key: String,
    max_links: usize,
    links_checked: usize,
    remote: usize,
    notes: Vec<SecurityNote>,
}

/// Builds the `heron-cid://<message-key>/<content-id>` URL the shell serves an inline
/// part from. The content id is given without angle brackets.
pub fn cid_url(message_key: &str, content_id: &str) -> String {
    format!(
        "{CID_SCHEME}://{}/{}",
        url_component(message_key),
        url_component(content_id)
    )
}

/// Percent-encodes everything but a conservative set, so the result is one URL
/// component and encoding an encoded value is stable.
fn url_component(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~@$!&*+=".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes `%XX` escapes (invalid ones are kept as they are); the result is UTF-8,
/// lossily.
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(h), Some(l)) = (
                bytes.get(i + 1).and_then(|b| hex(*b)),
                bytes.get(i + 2).and_then(|b| hex(*b)),
            )
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Image types a browser decodes without running anything; `data:` is allowed only
/// for these (SVG can carry script and load resources).
fn is_raster_data_url(url: &str) -> bool {
    let lower = url.get(..32).unwrap_or(url).to_ascii_lowercase();
    [
        "data:image/png",
        "data:image/gif",
        "data:image/jpeg",
        "data:image/jpg",
        "data:image/webp",
        "data:image/bmp",
    ]
    .iter()
    .any(|p| lower.starts_with(p) && matches!(lower.as_bytes().get(p.len()), Some(b';' | b',')))
}

fn is_remote(url: &str) -> bool {
    let lower = url
        .trim_start()
        .get(..8)
        .unwrap_or(url)
        .to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://") || lower.starts_with("//")
}

enum ResourceUrl {
    Keep(String),
    Remote,
    Drop,
}

impl PolicyPass {
    /// The policy for a URL that the browser would load (src, background, CSS url()).
    fn resource(&self, url: &str, allow_data: bool) -> ResourceUrl {
        let url = url.trim();
        let lower = url.get(..16).unwrap_or(url).to_ascii_lowercase();
        if let Some(cid) = lower.starts_with("cid:").then(|| url.get(4..)).flatten() {
            let cid = percent_decode(cid);
            let cid = cid.trim().trim_start_matches('<').trim_end_matches('>');
            return ResourceUrl::Keep(cid_url(&self.key, cid));
        }
        let own_prefix = format!("{CID_SCHEME}://{}/", url_component(&self.key));
        if url.starts_with(&own_prefix) && !url.contains(['"', '\'', '(', ')', ' ', '\\']) {
            return ResourceUrl::Keep(url.to_owned());
        }
        if allow_data && is_raster_data_url(url) && !url.contains(['"', '\'', '(', ')', ' ', '\\'])
        {
            return ResourceUrl::Keep(url.to_owned());
        }
        if is_remote(url) {
            return ResourceUrl::Remote;
        }
        ResourceUrl::Drop
    }

    fn element(&mut self, tag: &str, attrs: &mut Vec<Attribute>, link_text: &str) {
        let old = std::mem::take(attrs);
        let mut remote_attrs: Vec<(String, String)> = Vec::new();
        for attr in old {
            let name = attr.name.local.to_string();
            let value = attr.value.to_string();
            match name.as_str() {
                "src" | "background" => {
                    match self.resource(&value, tag == "img" && name == "src") {
                        ResourceUrl::Keep(v) => attrs.push(make_attr(&name, &v)),
                        ResourceUrl::Remote => remote_attrs.push((name, value)),
                        ResourceUrl::Drop => {}
                    }
                }
                "srcset" => {
                    if value.split(',').any(|c| is_remote(c.trim())) {
                        remote_attrs.push((name, value));
                    }
                }
                "style" => {
                    let decide = |u: &str| match self.resource(u, true) {
                        ResourceUrl::Keep(v) => UrlDecision::Keep(v),
                        ResourceUrl::Remote => UrlDecision::Remote,
                        ResourceUrl::Drop => UrlDecision::Drop,
                    };
                    let filtered = filter_style(&value, &decide);
                    if !filtered.kept.is_empty() {
                        attrs.push(make_attr("style", &filtered.kept));
                    }
                    if !filtered.remote.is_empty() {
                        remote_attrs.push(("style".to_owned(), filtered.remote.join("; ")));
                    }
                }
                "href" => {
                    // Web links are re-serialised by the URL parser the shell will use,
                    // so what is checked here is exactly what would be opened
                    // (`https:/host`, odd case, IDN hosts all come out canonical).
                    match Url::parse(value.trim()) {
                        Ok(url) if matches!(url.scheme(), "http" | "https") => {
                            self.check_link(url.as_str(), link_text);
                            attrs.push(make_attr("href", url.as_str()));
                        }
                        Ok(url) if url.scheme() == "mailto" => {
                            attrs.push(make_attr("href", url.as_str()));
                        }
                        _ => {}
                    }
                }
                _ => attrs.push(attr),
            }
        }
        for (name, value) in remote_attrs {
            let inert = format!("{REMOTE_ATTR_PREFIX}{name}");
            // Input may already carry an inert attribute of that name (sanitising twice,
            // or a sender imitating us): merge rather than duplicate.
            if let Some(existing) = attrs.iter_mut().find(|a| *a.name.local == inert) {
                let merged = format!("{}; {value}", existing.value);
                existing.value = StrTendril::from_slice(&merged);
            } else {
                attrs.push(make_attr(&inert, &value));
            }
        }
        // Inert attributes always go last (a stable sort keeps the rest in order): on a
        // second pass they arrive as ordinary attributes, ammonia appends `rel` after
        // them, and the output must still be the same bytes. Found by the fuzz target.
        attrs.sort_by_key(|a| a.name.local.starts_with(REMOTE_ATTR_PREFIX));
        for attr in attrs.iter() {
            if let Some(kind) = attr.name.local.strip_prefix(REMOTE_ATTR_PREFIX) {
                self.remote += count_remote(kind, &attr.value);
            }
        }
    }

    fn check_link(&mut self, href: &str, text: &str) {
        if self.links_checked >= self.max_links {
            if self.links_checked == self.max_links {
                self.notes.push(SecurityNote::LimitExceeded {
                    limit: "links".to_owned(),
                });
                self.links_checked += 1;
            }
            return;
        }
        self.links_checked += 1;
        let mut new_notes = Vec::new();
        check_url(href, text, &mut new_notes);
        for note in new_notes {
            if !self.notes.contains(&note) {
                self.notes.push(note);
            }
        }
    }
}

/// The warnings a link earns (the same checks the sanitiser makes for the message's
/// notes): another host in its text, an IP-literal host, userinfo, an IDN host.
pub fn link_warnings(href: &str, text: &str) -> Vec<SecurityNote> {
    let mut notes = Vec::new();
    check_url(href, text, &mut notes);
    notes
}

/// Checks one link target against its visible text; pushes the notes it earns.
pub(crate) fn check_url(href: &str, text: &str, notes: &mut Vec<SecurityNote>) {
    let Ok(url) = Url::parse(href.trim()) else {
        return;
    };
    if !url.username().is_empty() || url.password().is_some() {
        notes.push(SecurityNote::UserinfoInUrl {
            href: escape_visible(href),
        });
    }
    let href_host = match url.host() {
        Some(Host::Ipv4(_) | Host::Ipv6(_)) => {
            notes.push(SecurityNote::IpLiteralHost {
                href: escape_visible(href),
            });
            return;
        }
        Some(Host::Domain(d)) => d.to_ascii_lowercase(),
        None => return,
    };
    if href_host.split('.').any(|label| label.starts_with("xn--")) {
        let (unicode, _) = idna::domain_to_unicode(&href_host);
        notes.push(SecurityNote::IdnHost {
            unicode: escape_visible(&unicode),
            punycode: href_host.clone(),
        });
    }
    if let Some(text_host) = host_shown_in_text(text) {
        let a = href_host.trim_start_matches("www.");
        let b = text_host.trim_start_matches("www.");
        let related = a == b || a.ends_with(&format!(".{b}")) || b.ends_with(&format!(".{a}"));
        if !related {
            notes.push(SecurityNote::LinkTextHostMismatch {
                text_host: escape_visible(&text_host),
                href_host,
            });
        }
    }
}

/// The host a link's visible text claims to go to, in punycode form, if the text
/// shows a URL or a bare domain name.
fn host_shown_in_text(text: &str) -> Option<String> {
    for token in text.split_whitespace() {
        let t = token.trim_matches(|c: char| "<>()[]\"',;:!".contains(c));
        if t.contains('@') && !t.contains("://") {
            continue;
        }
        let candidate = if t.contains("://") {
            t.to_owned()
        } else {
            let host_part = t.split('/').next().unwrap_or_default();
            let labels: Vec<&str> = host_part.split('.').collect();
            let tld_ok = labels
                .last()
                .is_some_and(|l| l.chars().count() >= 2 && l.chars().all(char::is_alphabetic));
            if labels.len() < 2 || !tld_ok || labels.iter().any(|l| l.is_empty()) {
                continue;
            }
            format!("http://{t}")
        };
        if let Ok(u) = Url::parse(&candidate)
            && let Some(Host::Domain(h)) = u.host()
            && h.contains('.')
        {
            return Some(h.to_ascii_lowercase());
        }
    }
    None
}

/// What [`prepare_for_view`] does to sanitised HTML as it is served to the isolated view.
pub struct ViewRewrite<'a> {
    /// Maps each link target (`http`, `https`, `mailto`) and the link's visible text to
    /// the URL the view navigates to instead: the shell's own scheme, so a click reaches
    /// Rust and never the network.
    pub link: &'a mut dyn FnMut(&str, &str) -> String,
    /// When the user allowed remote content for this message: maps each remote URL to
    /// the shell's proxy URL for it. `None` leaves remote content inert.
    pub remote: Option<&'a mut dyn FnMut(&str) -> String>,
}

/// Rewrites HTML that [`sanitize_html`] produced for display: link targets and (when
/// allowed) remote resources are replaced by the URLs `rewrite` gives; blocked remote
/// resources are removed. Only attribute
/// values change; the markup is re-serialised with the same escaping, so this cannot
/// add an element or an attribute the sanitiser did not allow.
pub fn prepare_for_view(sanitized: &str, rewrite: &mut ViewRewrite<'_>) -> String {
    let tokens = tokenize(sanitized);
    let mut out = String::with_capacity(sanitized.len());
    for (i, token) in tokens.iter().enumerate() {
        match token {
            Token::TagToken(tag) if tag.kind == TagKind::StartTag => {
                let mut attrs = Vec::with_capacity(tag.attrs.len());
                let mut style_extra = Vec::new();
                for attr in &tag.attrs {
                    let name = &*attr.name.local;
                    let value = &*attr.value;
                    if name == "href" {
                        let text = anchor_text(&tokens[i + 1..]);
                        attrs.push(make_attr("href", &(rewrite.link)(value, &text)));
                        continue;
                    }
                    let Some(kind) = name.strip_prefix(REMOTE_ATTR_PREFIX) else {
                        attrs.push(attr.clone());
                        continue;
                    };
                    // Blocked remote content is left out of the view altogether: what
                    // the view is never given, no bug in it can load.
                    let Some(proxy) = rewrite.remote.as_mut() else {
                        continue;
                    };
                    match kind {
                        "src" | "background" | "poster" if is_remote(value) => {
                            attrs.push(make_attr(kind, &proxy(value.trim())));
                        }
                        "srcset" => {
                            let candidates: Vec<String> = value
                                .split(',')
                                .filter_map(|c| {
                                    let mut words = c.split_whitespace();
                                    let url = words.next().filter(|u| is_remote(u))?;
                                    let rest: Vec<&str> = words.collect();
                                    Some(format!("{} {}", proxy(url), rest.join(" ")))
                                })
                                .collect();
                            if !candidates.is_empty() {
                                attrs.push(make_attr("srcset", candidates.join(", ").trim()));
                            }
                        }
                        "style" => {
                            let proxied = RefCell::new(&mut **proxy);
                            let decide = |u: &str| {
                                if is_remote(u) {
                                    UrlDecision::Keep((proxied.borrow_mut())(u.trim()))
                                } else {
                                    UrlDecision::Drop
                                }
                            };
                            let filtered = filter_style(value, &decide);
                            if !filtered.kept.is_empty() {
                                style_extra.push(filtered.kept);
                            }
                        }
                        _ => {}
                    }
                }
                if !style_extra.is_empty() {
                    let extra = style_extra.join("; ");
                    match attrs.iter_mut().find(|a| &*a.name.local == "style") {
                        Some(style) => {
                            let merged = format!("{}; {extra}", style.value);
                            style.value = StrTendril::from_slice(&merged);
                        }
                        None => attrs.push(make_attr("style", &extra)),
                    }
                }
                push_start_tag(&tag.name, &attrs, &mut out);
            }
            other => push_token(other, &mut out),
        }
    }
    out
}

fn count_remote(kind: &str, value: &str) -> usize {
    match kind {
        "srcset" => value.split(',').filter(|c| is_remote(c.trim())).count(),
        "style" => value.to_ascii_lowercase().matches("url(").count(),
        _ => 1,
    }
}

fn make_attr(name: &str, value: &str) -> Attribute {
    Attribute {
        name: QualName::new(None, ns!(), LocalName::from(name)),
        value: StrTendril::from_slice(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> SanitizeContext {
        SanitizeContext {
            message_key: "m1".to_owned(),
            max_links_checked: 0,
        }
    }

    #[test]
    fn remote_image_becomes_inert_and_is_counted() {
        let out = sanitize_html(
            r#"<img src="https://t.example/p.gif" width=1 height=1>"#,
            &ctx(),
        );
        assert_eq!(
            out.html,
            r#"<img width="1" height="1" data-heron-remote-src="https://t.example/p.gif">"#
        );
        assert_eq!(out.remote_items_blocked, 1);
    }

    #[test]
    fn cid_is_rewritten_to_heron_scheme() {
        let out = sanitize_html(r#"<img src="cid:logo@example.com">"#, &ctx());
        assert_eq!(out.html, r#"<img src="heron-cid://m1/logo@example.com">"#);
    }

    #[test]
    fn foreign_heron_cid_is_dropped() {
        let out = sanitize_html(r#"<img src="heron-cid://other/x">"#, &ctx());
        assert_eq!(out.html, "<img>");
    }

    #[test]
    fn links_get_rel_and_only_web_or_mailto_hrefs() {
        let out = sanitize_html(
            r#"<a href="javascript:alert(1)">x</a><a href="file:///etc/passwd">y</a><a href="https://a.example/">z</a>"#,
            &ctx(),
        );
        assert_eq!(
            out.html,
            r#"<a rel="noopener noreferrer">x</a><a rel="noopener noreferrer">y</a><a href="https://a.example/" rel="noopener noreferrer">z</a>"#
        );
    }

    #[test]
    fn data_urls_only_for_raster_images() {
        let out = sanitize_html(
            r#"<img src="data:image/png;base64,iVBORw0KGgo="><img src="data:image/svg+xml;base64,PHN2Zz4="><a href="data:text/html,x">d</a>"#,
            &ctx(),
        );
        assert_eq!(
            out.html,
            r#"<img src="data:image/png;base64,iVBORw0KGgo="><img><a rel="noopener noreferrer">d</a>"#
        );
    }

    #[test]
    fn link_text_host_mismatch_is_noted() {
        let out = sanitize_html(
            r#"<a href="https://evil.example/login">https://www.paypal.com/</a>"#,
            &ctx(),
        );
        assert_eq!(
            out.link_notes,
            [SecurityNote::LinkTextHostMismatch {
                text_host: "www.paypal.com".into(),
                href_host: "evil.example".into()
            }]
        );
        let ok = sanitize_html(
            r#"<a href="https://www.paypal.com/x">paypal.com</a>"#,
            &ctx(),
        );
        assert!(ok.link_notes.is_empty());
    }

    #[test]
    fn ip_userinfo_and_idn_links_are_noted() {
        let out = sanitize_html(
            r#"<a href="http://192.168.1.1/">a</a><a href="https://bank.com@evil.example/">b</a><a href="https://аpple.com/">c</a>"#,
            &ctx(),
        );
        let codes: Vec<_> = out.link_notes.iter().map(SecurityNote::code).collect();
        assert_eq!(codes, ["ip_literal_host", "userinfo_in_url", "idn_host"]);
        assert!(out.link_notes.contains(&SecurityNote::IdnHost {
            unicode: "аpple.com".into(),
            punycode: "xn--pple-43d.com".into()
        }));
    }

    #[test]
    fn body_colours_survive_on_a_wrapper() {
        let out = sanitize_html(
            r##"<html><body bgcolor="#fafafa" text="#333" background="https://t.example/bg.jpg" onload="x()"><p>hi</p></body></html>"##,
            &ctx(),
        );
        assert_eq!(
            out.html,
            r##"<div style="background-color: #fafafa; color: #333" data-heron-remote-background="https://t.example/bg.jpg"><p>hi</p></div>"##
        );
        assert_eq!(out.remote_items_blocked, 1);
        assert_eq!(sanitize_html(&out.html, &ctx()), out);
    }

    #[test]
    fn style_urls_are_made_inert() {
        let out = sanitize_html(
            r#"<div style="color:red;background-image:url(https://t.example/bg.png)">x</div>"#,
            &ctx(),
        );
        assert_eq!(out.remote_items_blocked, 1);
        let again = sanitize_html(&out.html, &ctx());
        assert_eq!(again, out);
    }
    fn served(html: &str, remote: bool) -> String {
        let sanitized = sanitize_html(html, &ctx()).html;
        let mut links = 0;
        let mut link = |_: &str, _: &str| {
            links += 1;
            format!("heron-mail://t/link/{links}")
        };
        let mut proxies = Vec::new();
        let mut proxy = |u: &str| {
            proxies.push(u.to_owned());
            format!("heron-mail://t/remote/{}", proxies.len())
        };
        let mut rewrite = ViewRewrite {
            link: &mut link,
            remote: if remote { Some(&mut proxy) } else { None },
        };
        prepare_for_view(&sanitized, &mut rewrite)
    }

    #[test]
    fn served_links_go_to_the_shell_scheme() {
        let out = served(r#"<a href="https://a.example/x?y=1&z=2">a</a>"#, false);
        assert_eq!(
            out,
            r#"<a href="heron-mail://t/link/1" rel="noopener noreferrer">a</a>"#
        );
    }

    #[test]
    fn remote_content_stays_inert_until_allowed() {
        let html = r#"<img src="https://t.example/p.gif"><div style="color: red; background-image: url(https://t.example/bg.png)">x</div><img srcset="https://t.example/a.png 1x, https://t.example/b.png 2x">"#;
        let blocked = served(html, false);
        for loading in [" src=", " srcset=", " background="] {
            assert!(!blocked.contains(loading), "{blocked}");
        }
        assert!(blocked.contains(r#" style="color: red">"#), "{blocked}");
        assert!(!blocked.contains("t.example"), "{blocked}");
        let allowed = served(html, true);
        assert_eq!(
            allowed,
            r#"<img src="heron-mail://t/remote/1"><div style="color: red; background-image: url(&quot;heron-mail://t/remote/2&quot;)">x</div><img srcset="heron-mail://t/remote/3 1x, heron-mail://t/remote/4 2x">"#
        );
        assert!(!allowed.contains("t.example"), "{allowed}");
    }

    #[test]
    fn serving_cannot_add_markup_through_attribute_values() {
        let out = served(
            r#"<img src="https://t.example/&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;">"#,
            true,
        );
        assert!(!out.contains("<script"), "{out}");
        assert_eq!(out.matches('<').count(), 1, "{out}");
    }
}
