//! `heronctl show ID --json` prints exactly what the reader renders: the view model with
//! the sanitised HTML and every security note, for a hostile message delivered to the
//! real Dovecot and synced by `heronctl sync`.

use heron_harness::Stack;

use crate::send::{ctl, provisioned};
use crate::wipe::real_keyring;

const HOSTILE: &str = "Message-ID: <show-hostile@example.test>\r\n\
From: \"support@bank.example\" <attacker@evil.example>\r\n\
To: you@example.test\r\n\
Subject: Your account \u{202E}gnp.exe\r\n\
Date: Mon, 02 Mar 2026 10:00:00 +0000\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"b\"\r\n\
\r\n\
--b\r\n\
Content-Type: text/html; charset=utf-8\r\n\
\r\n\
<p onclick=\"steal()\">Verify</p><script>alert(1)</script>\
<img src=\"https://tracker.example/p.gif\"><svg onload=\"x()\"></svg>\
<a href=\"javascript:alert(1)\">a</a><a href=\"https://evil.example/\">https://bank.example/</a>\r\n\
--b\r\n\
Content-Type: application/octet-stream; name=\"report.pdf.exe\"\r\n\
Content-Disposition: attachment; filename=\"report.pdf.exe\"\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
TVqQAAMAAAAEAAAA\r\n\
--b--\r\n";

#[test]
fn show_json_prints_the_sanitised_view_model_with_its_security_notes() {
    if real_keyring().is_none() {
        return;
    }
    let stack = Stack::ensure().unwrap();
    let user = stack.add_user("show").unwrap();
    stack
        .put_in_inbox(&user, &[HOSTILE.as_bytes().to_vec()])
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (data, config) = provisioned(&stack, &user, dir.path());
    assert!(ctl(&data, &config, &["sync", "--once"]).status.success());
    let list: serde_json::Value =
        serde_json::from_slice(&ctl(&data, &config, &["list", "INBOX", "--json"]).stdout).unwrap();
    let id = list["items"][0]["id"].as_i64().unwrap().to_string();

    let out = ctl(&data, &config, &["show", &id, "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shown: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(shown["downloaded"], true);
    let view = &shown["view"];
    assert_eq!(view["sender"]["address"], "attacker@evil.example");
    let html = view["html_body"].as_str().unwrap();
    for gone in [
        "<script",
        "onclick",
        "<svg",
        "onload",
        "javascript:",
        "tracker.example\"",
    ] {
        assert!(!html.contains(gone), "{gone} in {html}");
    }
    assert!(html.contains("data-heron-remote-src=\"https://tracker.example/p.gif\""));
    assert_eq!(view["remote_items_blocked"], 1);
    let codes: Vec<&str> = view["security_notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["code"].as_str().unwrap())
        .collect();
    for expected in [
        "display_name_contains_other_address",
        "invisible_or_bidi_chars",
        "link_text_host_mismatch",
    ] {
        assert!(
            codes.contains(&expected),
            "{expected} missing from {codes:?}"
        );
    }
    let attachment = &view["attachments"][0];
    assert_eq!(attachment["dangerous"], true);
    assert_eq!(attachment["file_name"], "report.pdf.exe");
}
