//! Raw bytes -> `heron_mime::parse` -> view model -> `sanitize_html`, and the same bytes
//! as HTML straight into `sanitize_html`. Run through `scripts/fuzz.sh`.
//!
//! What must hold for every input (a failed check is a crash libFuzzer keeps):
//! - nothing panics, not even a panic that heron-mime's `catch_unwind` would contain
//!   (libFuzzer's panic hook aborts on any panic; a contained one also shows up as an
//!   "internal error" note, checked here too);
//! - sanitised HTML is a fixed point: sanitising it again changes nothing;
//! - sanitised HTML has no `<script`, no dangerous element, no `on*` attribute and no
//!   `javascript:` (or `vbscript:`) URL in a URL, srcset or style attribute;
//! - every text the view shows has its hidden characters made visible, and every
//!   attachment file name is a safe base name;
//! - `part_content` finds every attachment the view lists, by its part path (if it
//!   has one: see `check_view`);
//! - `prepare_for_view` keeps sanitised HTML inert, and with remote content blocked
//!   leaves no inert remote attribute in it.

#![no_main]

use std::cell::RefCell;

use heron_mime::{
    MessageView, REMOTE_ATTR_PREFIX, SanitizeContext, SecurityNote, TimeZoneSpec, ViewOptions,
    ViewRewrite, escape_visible, parse, part_content, prepare_for_view, sanitize_html,
};
use html5ever::tendril::StrTendril;
use html5ever::tokenizer::{
    BufferQueue, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};
use libfuzzer_sys::fuzz_target;

const MESSAGE_KEY: &str = "fuzz-key";

/// Elements that run code, load things or change how the rest parses; ammonia's
/// allowlist drops them, so seeing one in the output means the allowlist leaked.
const FORBIDDEN_ELEMENTS: &[&str] = &[
    "script",
    "style",
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "applet",
    "svg",
    "math",
    "base",
    "meta",
    "link",
    "form",
    "input",
    "button",
    "textarea",
    "select",
    "template",
    "noscript",
    "video",
    "audio",
    "source",
    "html",
    "head",
    "body",
    "title",
    "xmp",
    "plaintext",
    "noembed",
    "noframes",
];

/// Attributes whose value the browser reads as one URL.
const URL_ATTRIBUTES: &[&str] = &[
    "href",
    "src",
    "background",
    "poster",
    "action",
    "formaction",
];

/// Schemes that run script when loaded or followed.
const SCRIPT_SCHEMES: &[&str] = &["javascript:", "vbscript:", "livescript:"];

fuzz_target!(|data: &[u8]| {
    let opts = ViewOptions {
        time_zone: TimeZoneSpec::Iana("Asia/Shanghai".to_owned()),
        message_key: MESSAGE_KEY.to_owned(),
        ..ViewOptions::default()
    };
    let view = parse(data, &opts);
    check_view(&view, data, &opts);

    // The same bytes as an HTML body: reaches the sanitiser without the MIME layer
    // deciding what is HTML first.
    let html = String::from_utf8_lossy(data);
    let once = sanitize_html(&html, &context());
    assert_no_caught_panic(&once.link_notes, "sanitize_html");
    check_inert(&once.html);
    let twice = sanitize_html(&once.html, &context());
    assert_eq!(
        twice, once,
        "sanitising sanitised HTML changed it:\n first: {:?}\nsecond: {:?}",
        once.html, twice.html
    );
});

fn context() -> SanitizeContext {
    SanitizeContext {
        message_key: MESSAGE_KEY.to_owned(),
        max_links_checked: 0,
    }
}

/// The checks for one view, then for each nested message's view.
fn check_view(view: &MessageView, raw: &[u8], opts: &ViewOptions) {
    assert_no_caught_panic(&view.security_notes, "parse");
    for text in [
        &view.subject,
        &view.sender.display_name,
        &view.sender.address,
    ]
    .into_iter()
    .chain(view.message_id.as_ref())
    {
        assert_visible(text);
    }
    let mailboxes = view
        .from
        .iter()
        .chain(&view.sender_header)
        .chain(&view.reply_to)
        .chain(&view.to)
        .chain(&view.cc)
        .chain(&view.bcc);
    for mailbox in mailboxes {
        assert_visible(&mailbox.display_name);
        assert_visible(&mailbox.address);
    }
    for attachment in &view.attachments {
        let name = &attachment.file_name;
        assert!(!name.is_empty(), "empty attachment file name");
        assert!(
            !name.contains(['/', '\\']) && name != "." && name != "..",
            "attachment file name is not a base name: {name:?}"
        );
        assert_visible(name);
        assert_visible(&attachment.original_name);
        assert!(
            part_content(raw, &attachment.part_path, opts).is_some(),
            "part_content does not find attachment {:?} at part {:?}",
            attachment.original_name,
            attachment.part_path
        );
    }
    for tnef in &view.tnef {
        tnef.attachment_names.iter().for_each(|n| assert_visible(n));
    }
    if let Some(html) = &view.html_body {
        check_inert(html);
        // As tests/mime/corpus.rs checks idempotence: the HTML, not the counts (the
        // view's count covers the whole body, a second pass sees the same markup).
        let again = sanitize_html(html, &context());
        assert_eq!(
            &again.html, html,
            "sanitising the view's HTML again changed it"
        );
        check_prepared_for_view(html);
    }
    for nested in &view.nested_messages {
        check_view(&nested.view, raw, opts);
    }
}

/// What the reader serves: links routed through the shell, remote content either
/// proxied or, when blocked, gone.
fn check_prepared_for_view(html: &str) {
    let mut link = |_: &str, _: &str| "heron-mail://link/1".to_owned();
    let mut proxy = |_: &str| "heron-remote://proxy/1".to_owned();
    let allowed = prepare_for_view(
        html,
        &mut ViewRewrite {
            link: &mut link,
            remote: Some(&mut proxy),
        },
    );
    check_inert(&allowed);
    let blocked = prepare_for_view(
        html,
        &mut ViewRewrite {
            link: &mut link,
            remote: None,
        },
    );
    check_inert(&blocked);
    for token in tokens(&blocked) {
        if let Token::TagToken(tag) = token {
            assert!(
                !tag.attrs
                    .iter()
                    .any(|a| a.name.local.starts_with(REMOTE_ATTR_PREFIX)),
                "blocked remote content left in the view: {blocked:?}"
            );
        }
    }
}

/// heron-mime turns a panic it caught into a note whose reason says "internal error"
/// (parse) or "sanitiser failed" (sanitize_html). libFuzzer's panic hook normally aborts
/// first; this catches the case where a panic hook is not in the way.
fn assert_no_caught_panic(notes: &[SecurityNote], wherefrom: &str) {
    for note in notes {
        if let SecurityNote::PartNotDisplayed { reason, .. } = note {
            assert!(
                !reason.contains("internal error") && !reason.contains("sanitiser failed"),
                "{wherefrom} caught a panic: {reason}"
            );
        }
    }
}

fn assert_visible(text: &str) {
    assert_eq!(
        escape_visible(text),
        text,
        "a shown text still hides characters"
    );
}

/// Checks sanitised HTML the way a browser would read it.
fn check_inert(html: &str) {
    let lower = html.to_ascii_lowercase();
    // Text and attribute values have `<` escaped, so this can only be a real tag.
    assert!(!lower.contains("<script"), "<script in output: {html:?}");
    for token in tokens(html) {
        let Token::TagToken(tag) = token else {
            continue;
        };
        if tag.kind != TagKind::StartTag {
            continue;
        }
        assert!(
            !FORBIDDEN_ELEMENTS.contains(&&*tag.name),
            "element <{}> in output: {html:?}",
            tag.name
        );
        for attr in &tag.attrs {
            let name = attr.name.local.to_ascii_lowercase();
            assert!(
                !name.starts_with("on"),
                "event handler {name} in output: {html:?}"
            );
            // What a URL parser sees: ASCII tab and newline removed anywhere, leading
            // spaces and control characters ignored. Only the scheme matters:
            // `https://x/javascript:` and `https://javascript:@x/` are harmless.
            let value: String = attr
                .value
                .chars()
                .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
                .collect::<String>()
                .to_ascii_lowercase();
            let urls: Vec<&str> = match name.as_str() {
                n if URL_ATTRIBUTES.contains(&n) => vec![value.as_str()],
                "srcset" => value.split(',').collect(),
                // CSS: whatever follows each `url(` (quotes and spaces skipped).
                "style" => value
                    .split("url(")
                    .skip(1)
                    .map(|u| u.trim_start_matches(['"', '\'', ' ']))
                    .collect(),
                _ => Vec::new(),
            };
            for url in urls {
                let url = url.trim_start_matches(|c: char| c <= ' ');
                assert!(
                    !SCRIPT_SCHEMES.iter().any(|s| url.starts_with(s)),
                    "script URL in {name} in output: {html:?}"
                );
            }
        }
    }
}

struct Collect(RefCell<Vec<Token>>);

impl TokenSink for Collect {
    type Handle = ();
    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        self.0.borrow_mut().push(token);
        TokenSinkResult::Continue
    }
}

fn tokens(html: &str) -> Vec<Token> {
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    let tokenizer = Tokenizer::new(Collect(RefCell::new(Vec::new())), TokenizerOpts::default());
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    tokenizer.sink.0.take()
}
