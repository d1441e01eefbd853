//! Inputs the cargo-fuzz target (`fuzz/`, run by `scripts/fuzz.sh`) failed on, kept
//! minimised in `tests/fuzz-regressions/` (each file named after its bug) and checked
//! here with the target's invariants, so they stay fixed without the fuzzer.

use std::fs;
use std::path::Path;

use heron_mime::{MessageView, SanitizeContext, ViewOptions, parse, part_content, sanitize_html};

fn ctx() -> SanitizeContext {
    SanitizeContext {
        message_key: "fuzz-key".to_owned(),
        max_links_checked: 0,
    }
}

fn opts() -> ViewOptions {
    ViewOptions {
        message_key: "fuzz-key".to_owned(),
        ..ViewOptions::default()
    }
}

/// The fuzz target's checks on a view that are not about inertness (tests/mime/hostile.rs
/// has those): stable HTML, and every listed attachment found again by its part path.
fn check_view(view: &MessageView, raw: &[u8], name: &str) {
    if let Some(html) = &view.html_body {
        assert_eq!(
            &sanitize_html(html, &ctx()).html,
            html,
            "{name}: sanitising the view's HTML again changed it"
        );
    }
    for a in &view.attachments {
        // part_content's HashMap order differs per call: try often enough to hit any.
        for _ in 0..32 {
            assert!(
                part_content(raw, &a.part_path, &opts()).is_some(),
                "{name}: part_content does not find part {}",
                a.part_path
            );
        }
    }
    for nested in &view.nested_messages {
        check_view(&nested.view, raw, name);
    }
}

#[test]
fn every_saved_fuzz_input_keeps_the_invariants() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions");
    let mut cases = 0;
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let raw = fs::read(&path).unwrap();
        check_view(&parse(&raw, &opts()), &raw, &name);
        let once = sanitize_html(&String::from_utf8_lossy(&raw), &ctx());
        assert_eq!(
            sanitize_html(&once.html, &ctx()),
            once,
            "{name}: sanitising twice changed the result"
        );
        cases += 1;
    }
    assert!(cases > 0, "no saved fuzz inputs ran");
}

/// Fuzz bug: an inert remote attribute came before ammonia's `rel` on the first pass
/// and after it on the second (`tests/fuzz-regressions/inert-attribute-reordered-on-second-pass.bin`).
#[test]
fn inert_attribute_reordered_on_second_pass() {
    let once = sanitize_html(
        r#"<a background="https://cdn.example/bg.jpg">x</a>"#,
        &ctx(),
    );
    assert_eq!(
        once.html,
        r#"<a rel="noopener noreferrer" data-heron-remote-background="https://cdn.example/bg.jpg">x</a>"#
    );
    assert_eq!(sanitize_html(&once.html, &ctx()), once);
}

/// Fuzz bug: `part_content` looked for the nested message under the first part whose
/// path prefixes the target, in HashMap order, so for `2.1.1` it tried the multipart
/// `2` about half the time and found nothing: an attachment of a forwarded message
/// inside a multipart could not be opened
/// (`tests/fuzz-regressions/nested-part-not-found-behind-multipart-prefix.bin`).
#[test]
fn nested_part_not_found_behind_multipart_prefix() {
    let raw = "From: a@example.com\nContent-Type: multipart/mixed; boundary=outer\n\n\
        --outer\nContent-Type: text/plain\n\nSee the forwarded message.\n\
        --outer\nContent-Type: multipart/mixed; boundary=inner\n\n\
        --inner\nContent-Type: message/rfc822\n\n\
        From: b@example.com\nContent-Type: application/pdf\n\
        Content-Disposition: attachment; filename=report.pdf\n\nPDF\n\
        --inner--\n--outer--\n";
    let view = parse(raw.as_bytes(), &opts());
    let attachment = &view.nested_messages[0].view.attachments[0];
    assert_eq!(attachment.part_path, "2.1.1");
    for _ in 0..64 {
        let found = part_content(raw.as_bytes(), "2.1.1", &opts()).unwrap();
        assert_eq!(found.content_type, "application/pdf");
        assert_eq!(found.bytes.len(), attachment.size);
    }
}

/// Fuzz bug: `<a><table><a>` makes the parser put a link inside a link, which HTML
/// cannot express; the first pass wrote it nested, a second pass (and a browser) read
/// it back as two links side by side, so sanitising was not stable and the link checks
/// saw another text than the user would
/// (`tests/fuzz-regressions/nested-anchor-rebuilt-on-second-pass.bin`).
#[test]
fn nested_anchor_rebuilt_on_second_pass() {
    let once = sanitize_html(
        "<a href=\"https://a.example/\">x<table><tr><td>y</td></tr>z<a href=\"https://b.example/\">w</a></table>",
        &ctx(),
    );
    assert_eq!(
        once.html,
        "<a href=\"https://a.example/\" rel=\"noopener noreferrer\">xz</a>\
         <a href=\"https://b.example/\" rel=\"noopener noreferrer\">w</a>\
         <table><tbody><tr><td>y</td></tr></tbody></table>"
    );
    assert_eq!(sanitize_html(&once.html, &ctx()), once);
}

/// Fuzz bug: `<h1><x><h1>` nests the second heading in `<x>`; ammonia drops `<x>` and
/// leaves a heading inside a heading, which a second pass (and a browser) reads back as
/// two headings (`tests/fuzz-regressions/nested-heading-rebuilt-on-second-pass.bin`).
#[test]
fn nested_heading_rebuilt_on_second_pass() {
    let once = sanitize_html("<h1>a<x-unknown>b<h1>c</h1></x-unknown></h1>", &ctx());
    assert_eq!(once.html, "<h1>ab</h1><h1>c</h1>");
    assert_eq!(sanitize_html(&once.html, &ctx()), once);
}
