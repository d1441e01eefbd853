//! The corpus: every `tests/corpus/NAME.eml` is parsed with LF and with CRLF line
//! endings and compared with `NAME.expected.json`, the full view model as JSON.
//!
//! The CRLF run is compared on a stable subset: `raw_source` and the `size` of text/*
//! and message/* attachments are left out, because they count line-ending bytes.
//!
//! `HERON_BLESS=1 cargo test -p heron-mime --test mime corpus` rewrites the expected
//! files from the LF run; read the diff before committing it.

use std::fs;
use std::path::{Path, PathBuf};

use heron_mime::{
    Limits, MessageView, SanitizeContext, TimeZoneSpec, ViewOptions, parse, sanitize_html,
};
use serde_json::Value;

fn options() -> ViewOptions {
    ViewOptions {
        time_zone: TimeZoneSpec::Iana("Asia/Shanghai".to_owned()),
        message_key: "corpus".to_owned(),
        fallback_charset: None,
        // Low enough that `nested-beyond-depth-cap` (7 levels) hits it.
        limits: Limits {
            max_depth: 5,
            ..Limits::default()
        },
    }
}

fn fixtures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut out: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .collect();
    out.sort();
    out
}

fn to_lf(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'\r' && raw.get(i + 1) == Some(&b'\n') {
            i += 1;
            continue;
        }
        out.push(raw[i]);
        i += 1;
    }
    out
}

fn to_crlf(lf: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(lf.len() + lf.len() / 20);
    for &b in lf {
        if b == b'\n' {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}

fn stable_subset(mut v: Value) -> Value {
    fn walk(v: &mut Value) {
        match v {
            Value::Object(map) => {
                map.remove("raw_source");
                let line_based = map
                    .get("content_type")
                    .and_then(Value::as_str)
                    .is_some_and(|t| t.starts_with("text/") || t.starts_with("message/"));
                if line_based {
                    map.remove("size");
                }
                map.values_mut().for_each(walk);
            }
            Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    walk(&mut v);
    v
}

/// Sanitising already sanitised HTML must change nothing, at every nesting level.
fn assert_idempotent(view: &MessageView, name: &str) {
    if let Some(html) = &view.html_body {
        let ctx = SanitizeContext {
            message_key: "corpus".to_owned(),
            max_links_checked: 0,
        };
        assert_eq!(
            &sanitize_html(html, &ctx).html,
            html,
            "{name}: sanitising twice changed the HTML"
        );
    }
    for nested in &view.nested_messages {
        assert_idempotent(&nested.view, name);
    }
}

#[test]
fn corpus_matches_expected_with_lf_and_crlf() {
    let bless = std::env::var_os("HERON_BLESS").is_some();
    let mut cases = 0;
    let mut failures = Vec::new();
    for path in fixtures() {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let expected_path = path.with_extension("expected.json");
        let lf = to_lf(&fs::read(&path).unwrap());
        let lf_view = parse(&lf, &options());
        assert_idempotent(&lf_view, &name);
        let lf_json = serde_json::to_value(&lf_view).unwrap();
        if bless {
            let text = serde_json::to_string_pretty(&lf_json).unwrap() + "\n";
            fs::write(&expected_path, text).unwrap();
        }
        let expected: Value = match fs::read_to_string(&expected_path) {
            Ok(text) => serde_json::from_str(&text).unwrap(),
            Err(_) => {
                failures.push(format!("{name}: no {}", expected_path.display()));
                continue;
            }
        };
        if lf_json != expected {
            failures.push(format!(
                "{name} (LF): view differs from expected:\n{}",
                serde_json::to_string_pretty(&lf_json).unwrap()
            ));
        }
        let crlf_json = serde_json::to_value(parse(&to_crlf(&lf), &options())).unwrap();
        if stable_subset(crlf_json.clone()) != stable_subset(expected) {
            failures.push(format!(
                "{name} (CRLF): view differs from expected:\n{}",
                serde_json::to_string_pretty(&crlf_json).unwrap()
            ));
        }
        cases += 1;
    }
    assert!(cases > 0, "no corpus fixtures ran");
    assert!(
        failures.is_empty(),
        "{} of {cases} fixtures failed:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}
