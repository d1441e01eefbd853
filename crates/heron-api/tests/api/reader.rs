//! The reader against the real Dovecot: a message delivered there is synced, read, and
//! its body served to the isolated view the way the shell serves it. What the view can
//! load is only its own message's parts; remote content loads only once allowed, and
//! then through Rust, bare; links come back to Rust; attachments are saved and opened
//! under safe names only.

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::TcpListener;
use std::sync::mpsc;

use heron_api::{ErrorCode, RemoteScope, ViewRequest};
use heron_harness::Stack;

use super::send::{keyring_available, machine, runtime, synced_machine};

/// A 1x1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0,
    0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

/// An HTTP server on loopback that answers every request with the PNG and reports each
/// request's head: the remote image host of the test.
fn image_host() -> (u16, mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut head = String::new();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                head.push_str(&line);
            }
            let _ = tx.send(head);
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: {}\r\nSet-Cookie: track=1\r\nConnection: close\r\n\r\n",
                PNG.len()
            );
            let _ = stream.write_all(PNG);
        }
    });
    (port, rx)
}

fn newsletter(image_port: u16) -> Vec<u8> {
    let png_b64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGP4z8DwHwAFAAH/iZk9HQAAAABJRU5ErkJggg==";
    format!(
        "Message-ID: <reader-news@example.test>\r\n\
         From: Newsletter <news@shop.example>\r\n\
         To: reader@example.test\r\n\
         Subject: Weekly offers\r\n\
         Date: Mon, 02 Mar 2026 10:00:00 +0000\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n\
         --outer\r\n\
         Content-Type: multipart/related; boundary=\"rel\"\r\n\r\n\
         --rel\r\n\
         Content-Type: text/html; charset=utf-8\r\n\r\n\
         <html><body><p>Offers</p><img src=\"cid:logo@shop\">\
         <img src=\"http://127.0.0.1:{image_port}/pixel.png?u=reader\">\
         <a href=\"https://evil.example/login\">https://www.bank.example/</a>\
         <script>window.parent.pwned = 1</script></body></html>\r\n\
         --rel\r\n\
         Content-Type: image/png\r\n\
         Content-ID: <logo@shop>\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n\
         {png_b64}\r\n\
         --rel--\r\n\
         --outer\r\n\
         Content-Type: application/octet-stream; name=\"invoice.pdf.exe\"\r\n\
         Content-Disposition: attachment; filename=\"invoice.pdf.exe\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n\
         TVqQAAMAAAAEAAAA\r\n\
         --outer\r\n\
         Content-Type: text/plain; name=\"../../notes.txt\"\r\n\
         Content-Disposition: attachment; filename=\"../../notes.txt\"\r\n\r\n\
         plain notes\r\n\
         --outer--\r\n"
    )
    .into_bytes()
}

fn body_of(request: ViewRequest) -> String {
    match request {
        ViewRequest::Serve(served) => {
            assert_eq!(served.status, 200);
            String::from_utf8(served.body).unwrap()
        }
        other => panic!("expected a document, got {other:?}"),
    }
}

#[test]
fn the_isolated_view_gets_only_its_message_and_remote_content_only_once_allowed() {
    if !keyring_available() {
        return;
    }
    let stack = Stack::ensure().unwrap();
    let user = stack.add_user("reader").unwrap();
    let (image_port, requests) = image_host();
    stack
        .put_in_inbox(&user, &[newsletter(image_port)])
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (heron, mut store, id) = synced_machine(&stack, &user, dir.path());
    let rt = runtime();

    let view = heron.read_message(&store, id).unwrap();
    assert_eq!(view.sender.address, "news@shop.example");
    assert_eq!((view.remote.blocked, view.remote.loaded), (1, false));
    let body_url = view.body_url.clone().unwrap();
    assert!(body_url.starts_with("heron-mail://"));
    let body = body_of(heron.view_request(&store, &body_url));
    assert!(body.contains("Content-Security-Policy"), "{body}");
    assert!(!body.contains("<script"), "{body}");
    assert!(
        !body.contains("127.0.0.1"),
        "the remote image is not even named: {body}"
    );
    assert!(
        !body.contains("evil.example"),
        "links go through the shell: {body}"
    );
    assert!(requests.try_recv().is_err(), "nothing was fetched");

    // The inline image comes from the message, by the token of this view only.
    let token = body_url
        .trim_start_matches("heron-mail://")
        .split('/')
        .next()
        .unwrap();
    let inline = format!("heron-cid://{token}/logo@shop");
    assert!(body.contains(&inline), "{body}");
    match heron.view_request(&store, &inline) {
        ViewRequest::Serve(s) => {
            assert_eq!((s.status, s.content_type.as_str()), (200, "image/png"))
        }
        other => panic!("{other:?}"),
    }
    for foreign in [
        "heron-cid://0000/logo@shop".to_owned(),
        format!("heron-mail://{token}/../body"),
        format!("heron-mail://{token}/remote/0"),
        "file:///etc/passwd".to_owned(),
    ] {
        match heron.view_request(&store, &foreign) {
            ViewRequest::Serve(s) => assert_eq!(s.status, 404, "{foreign}"),
            other => panic!("{foreign}: {other:?}"),
        }
    }

    // The dark rendering, and previews of raster images only.
    let dark = body_of(heron.view_request(&store, &format!("{body_url}?theme=dark")));
    assert!(dark.contains("invert(") && !body.contains("invert("));
    let preview_base = view.preview_base.clone().unwrap();
    assert!(
        view.attachments
            .iter()
            .any(|a| a.content_type == "image/png")
    );
    for a in &view.attachments {
        let served = match heron.view_request(&store, &format!("{preview_base}{}", a.part_path)) {
            ViewRequest::Serve(s) => s,
            other => panic!("{other:?}"),
        };
        let want = if a.content_type == "image/png" {
            200
        } else {
            415
        };
        assert_eq!(served.status, want, "{} {}", a.file_name, a.content_type);
    }

    // A click on the link comes back with the host it really goes to and why to ask.
    match heron.view_request(&store, &format!("heron-mail://{token}/link/0")) {
        ViewRequest::Link(link) => {
            assert!(link.allowed);
            assert_eq!(link.host, "evil.example");
            let codes: Vec<&str> = link.warnings.iter().map(|w| w.code()).collect();
            assert_eq!(codes, ["link_text_host_mismatch"]);
            // The window opens it by id only; the URL is the one Rust served.
            assert_eq!(
                heron.link_to_open(&link.id).as_deref(),
                Some("https://evil.example/login")
            );
            assert_eq!(heron.link_to_open(&format!("{token}/9")), None);
            assert_eq!(heron.link_to_open("https://evil.example/"), None);
        }
        other => panic!("{other:?}"),
    }

    // Allowed for this message: the image is served through the scheme, fetched by
    // Rust with a bare request.
    let view = heron
        .allow_remote_content(&mut store, id, RemoteScope::Message)
        .unwrap();
    assert!(view.remote.loaded);
    let token = view
        .body_url
        .as_deref()
        .unwrap()
        .trim_start_matches("heron-mail://")
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let body = body_of(heron.view_request(&store, view.body_url.as_deref().unwrap()));
    let proxied = format!("heron-mail://{token}/remote/0");
    assert!(body.contains(&format!("src=\"{proxied}\"")), "{body}");
    let ViewRequest::Remote(url) = heron.view_request(&store, &proxied) else {
        panic!("not a remote item");
    };
    assert_eq!(
        url,
        format!("http://127.0.0.1:{image_port}/pixel.png?u=reader")
    );
    let served = rt.block_on(heron_api::remote::fetch_remote(
        &url,
        heron.web_tls().unwrap(),
    ));
    assert_eq!((served.status, served.body.as_slice()), (200, PNG));
    let head = requests.recv().unwrap().to_ascii_lowercase();
    assert!(
        head.starts_with("get /pixel.png?u=reader http/1.1"),
        "{head}"
    );
    for leak in ["referer", "cookie", "origin", "authorization"] {
        assert!(!head.contains(leak), "{leak} sent: {head}");
    }

    // The sender's allowance is remembered by the store: a new run loads it at once.
    heron
        .allow_remote_content(&mut store, id, RemoteScope::Sender)
        .unwrap();
    drop(store);
    drop(heron);
    let heron = machine(&stack, &user, dir.path());
    let store = heron.open_store().unwrap();
    assert!(heron.read_message(&store, id).unwrap().remote.loaded);
}

#[test]
fn attachments_save_under_safe_names_and_dangerous_ones_open_only_when_confirmed() {
    if !keyring_available() {
        return;
    }
    let stack = Stack::ensure().unwrap();
    let user = stack.add_user("attach").unwrap();
    stack.put_in_inbox(&user, &[newsletter(9)]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (heron, store, id) = synced_machine(&stack, &user, dir.path());
    let view = heron.read_message(&store, id).unwrap();
    let exe = view
        .attachments
        .iter()
        .find(|a| a.file_name.contains("invoice"))
        .unwrap();
    assert!(exe.dangerous || !exe.warnings.is_empty());
    let notes = view
        .attachments
        .iter()
        .find(|a| a.file_name.contains("notes"))
        .unwrap();

    let downloads = tempfile::tempdir().unwrap();
    let first = heron
        .save_attachment(&store, id, &notes.part_path, downloads.path())
        .unwrap();
    let second = heron
        .save_attachment(&store, id, &notes.part_path, downloads.path())
        .unwrap();
    assert_eq!(
        first.parent().unwrap(),
        downloads.path(),
        "never a path from the mail"
    );
    assert_ne!(first, second, "an existing file is never replaced");
    assert_eq!(std::fs::read(&second).unwrap(), b"plain notes");
    let names: Vec<String> = std::fs::read_dir(downloads.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "no temporary file is left: {names:?}");

    // "Save as": the path the user chose in the dialog, replacing what was there.
    let chosen = downloads.path().join("my notes.txt");
    std::fs::write(&chosen, b"old").unwrap();
    let saved = heron
        .save_attachment_as(&store, id, &notes.part_path, &chosen)
        .unwrap();
    assert_eq!(saved, chosen);
    assert_eq!(std::fs::read(&chosen).unwrap(), b"plain notes");
    assert_eq!(std::fs::read_dir(downloads.path()).unwrap().count(), 3);

    let refused = heron
        .extract_attachment_to_open(&store, id, &exe.part_path, false)
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::ConfirmationRequired);
    let opened = heron
        .extract_attachment_to_open(&store, id, &exe.part_path, true)
        .unwrap();
    assert!(
        opened.starts_with(dir.path().join("data")),
        "{}",
        opened.display()
    );
    assert_eq!(std::fs::read(&opened).unwrap()[..2], *b"MZ");
    assert_eq!(
        heron
            .save_attachment(&store, id, "9.9", downloads.path())
            .unwrap_err()
            .code,
        ErrorCode::NotFound
    );
}

/// A one-page PDF with a line of text in a standard font, with a correct xref.
fn tiny_pdf() -> Vec<u8> {
    let content = "BT /F1 24 Tf 20 40 Td (Invoice 42) Tj ET";
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 240 100] /Contents 4 0 R \
         /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_owned(),
        format!(
            "<< /Length {} >>\nstream\n{content}\nendstream",
            content.len()
        ),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
    ];
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = pdf.len();
    pdf.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        pdf.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    pdf
}

#[test]
fn a_pdf_attachment_is_previewed_as_pages_rendered_to_images() {
    if !keyring_available() {
        return;
    }
    use base64::Engine as _;
    let stack = Stack::ensure().unwrap();
    let user = stack.add_user("pdf").unwrap();
    let pdf = base64::engine::general_purpose::STANDARD.encode(tiny_pdf());
    let raw = format!(
        "Message-ID: <pdf-preview@example.test>\r\nFrom: Billing <billing@shop.example>\r\n\
         To: you@example.test\r\nSubject: Your invoice\r\nDate: Mon, 02 Mar 2026 10:00:00 +0000\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"p\"\r\n\r\n\
         --p\r\nContent-Type: text/plain\r\n\r\nAttached.\r\n\
         --p\r\nContent-Type: application/pdf; name=\"invoice.pdf\"\r\n\
         Content-Disposition: attachment; filename=\"invoice.pdf\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{pdf}\r\n--p--\r\n"
    );
    stack.put_in_inbox(&user, &[raw.into_bytes()]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (heron, store, id) = synced_machine(&stack, &user, dir.path());
    let view = heron.read_message(&store, id).unwrap();
    let attachment = &view.attachments[0];
    assert_eq!(attachment.content_type, "application/pdf");
    let url = format!("{}{}", view.preview_base.unwrap(), attachment.part_path);

    let document = body_of(heron.view_request(&store, &url));
    assert_eq!(document.matches("<img ").count(), 1, "{document}");
    assert!(!document.contains("<script"));
    let page = match heron.view_request(&store, &format!("{url}?page=1")) {
        ViewRequest::Serve(s) => s,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        (page.status, page.content_type.as_str()),
        (200, "image/png")
    );
    assert!(page.body.starts_with(b"\x89PNG\r\n\x1a\n"));
    assert!(page.body.len() > 1000, "a rendered page, not a blank stub");
    match heron.view_request(&store, &format!("{url}?page=2")) {
        ViewRequest::Serve(s) => assert_eq!(s.status, 404),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_message_file_opens_in_the_reader_with_its_body_and_attachments() {
    if !keyring_available() {
        return;
    }
    let stack = Stack::ensure().unwrap();
    let user = stack.add_user("eml").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let heron = machine(&stack, &user, dir.path());
    let store = heron.open_store().unwrap();
    let file = dir.path().join("forwarded.eml");
    std::fs::write(&file, newsletter(9)).unwrap();

    let view = heron.open_message_file(&store, &file).unwrap();
    assert!(view.summary.id < 0, "not a stored message");
    assert_eq!(view.subject, "Weekly offers");
    assert_eq!(view.sender.address, "news@shop.example");
    let body = body_of(heron.view_request(&store, view.body_url.as_deref().unwrap()));
    assert!(body.contains("Offers") && !body.contains("<script"));
    let notes = view
        .attachments
        .iter()
        .find(|a| a.file_name.contains("notes"))
        .unwrap();
    let saved = heron
        .save_attachment(&store, view.summary.id, &notes.part_path, dir.path())
        .unwrap();
    assert_eq!(std::fs::read(saved).unwrap(), b"plain notes");
    // Read again by its id, as the window does after an action.
    assert_eq!(
        heron.read_message(&store, view.summary.id).unwrap().subject,
        "Weekly offers"
    );
    // View source, and saving the message whole.
    let source = heron.message_source(&store, view.summary.id).unwrap();
    assert!(source.text.contains("Subject: Weekly offers") && !source.truncated);
    let copy = dir.path().join("copy.eml");
    heron
        .save_message_as(&store, view.summary.id, &copy)
        .unwrap();
    assert_eq!(std::fs::read(&copy).unwrap(), std::fs::read(&file).unwrap());
    assert_eq!(
        heron.message_file_name(&store, view.summary.id).unwrap(),
        "Weekly offers.eml"
    );
    let missing = heron.open_message_file(&store, &dir.path().join("nope.eml"));
    assert_eq!(missing.unwrap_err().code, ErrorCode::NotFound);
}

#[test]
fn a_print_document_holds_each_message_whole_with_its_header_and_no_script() {
    if !keyring_available() {
        return;
    }
    let stack = Stack::ensure().unwrap();
    let user = stack.add_user("print").unwrap();
    let long_body: String = (1..=400)
        .map(|i| format!("<p>Paragraph {i} of a long report.</p>"))
        .collect();
    stack
        .put_in_inbox(
            &user,
            &[
                format!(
                    "Message-ID: <p1@example.test>\r\nFrom: Wei <wei@example.test>\r\n\
                     To: alice@example.test\r\nSubject: Report <Q3> & plans\r\n\
                     MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n\
                     <script>alert(1)</script>{long_body}\r\n"
                )
                .into_bytes(),
                b"Message-ID: <p2@example.test>\r\nFrom: ann@example.test\r\n\
                  Subject: Plain\r\n\r\nJust <text> here.\r\n"
                    .to_vec(),
            ],
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (heron, store, _) = synced_machine(&stack, &user, dir.path());
    let ids: Vec<i64> = heron_api::mail::list(&store, None, "INBOX", 10, None)
        .unwrap()
        .items
        .iter()
        .map(|m| m.id)
        .collect();

    // What the reader shows keeps working after it is printed.
    let html_id = ids
        .iter()
        .copied()
        .find(|&i| heron.read_message(&store, i).unwrap().body_url.is_some())
        .unwrap();
    let shown = heron.read_message(&store, html_id).unwrap();
    let url = heron.print_url(&store, &ids, "zh-CN").unwrap();
    let doc = body_of(heron.view_request(&store, &url));
    assert!(
        doc.contains("Content-Security-Policy") && !doc.contains("<script"),
        "{doc}"
    );
    assert!(
        doc.contains("Report &lt;Q3&gt; &amp; plans"),
        "the subject is escaped"
    );
    assert!(
        doc.contains("Just &lt;text&gt; here."),
        "a text body is escaped"
    );
    assert!(
        doc.contains("Paragraph 400 of a long report."),
        "the whole body"
    );
    assert!(
        doc.contains("<dt>发件人</dt>"),
        "labels in the language asked for"
    );
    assert_eq!(doc.matches("<article>").count(), 2);

    assert!(
        body_of(heron.view_request(&store, shown.body_url.as_deref().unwrap()))
            .contains("Paragraph 400")
    );
    // A second print replaces the first's tokens.
    let again = heron.print_url(&store, &ids, "en").unwrap();
    assert!(body_of(heron.view_request(&store, &again)).contains("<dt>From</dt>"));
    assert!(matches!(
        heron.view_request(&store, &url),
        heron_api::ViewRequest::Serve(ref s) if s.status == 404
    ));

    assert!(heron.print_url(&store, &[], "en").is_err());
    assert!(heron.print_url(&store, &[999_999], "en").is_err());
}
