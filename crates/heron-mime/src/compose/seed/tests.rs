use super::*;
use crate::compose::{OutgoingMessage, build_message};

/// A reply in a thread: text and HTML (with a script, a remote tracker and an inline
/// logo), and a PDF attachment. 7-bit, so it can also be forwarded as message/rfc822.
const THREAD_MESSAGE: &str = "From: \"Ann Example\" <ann@example.com>\r\n\
To: Me <me@heron.example>, Bob <bob@example.org>\r\n\
Cc: carol@example.org, ME2@Heron.Example, bob@EXAMPLE.org\r\n\
Subject: Re: RE: Aw: =?utf-8?B?5a2j5bqm6K6h5YiS?=\r\n\
Date: Tue, 14 Apr 2026 10:00:00 +0200\r\n\
Message-ID: <m3@example.com>\r\n\
In-Reply-To: <m2@example.com>\r\n\
References: <m1@example.com> <m2@example.com>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"b0\"\r\n\
\r\n\
--b0\r\n\
Content-Type: multipart/related; boundary=\"b1\"\r\n\
\r\n\
--b1\r\n\
Content-Type: multipart/alternative; boundary=\"b2\"\r\n\
\r\n\
--b2\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
\r\n\
Hello team,\r\n\
> earlier quote\r\n\
\r\n\
Plan attached.\r\n\
--b2\r\n\
Content-Type: text/html; charset=utf-8\r\n\
\r\n\
<p>Hello <b>team</b>,</p><script>alert('x')</script>\
<img src=\"http://remote.example/track.gif\" width=\"1\">\
<img src=\"cid:logo@example.com\" alt=\"logo\">\
<div style=\"background-image: url(cid:bgimage)\">bg</div>\
<p onclick=\"steal()\" style=\"background:url(https://remote.example/bg.png)\">Plan attached.</p>\r\n\
--b2--\r\n\
--b1\r\n\
Content-Type: image/png\r\n\
Content-ID: <logo@example.com>\r\n\
Content-Disposition: inline; filename=\"logo.png\"\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
iVBORw0KGgo=\r\n\
--b1\r\n\
Content-Type: image/gif\r\n\
Content-ID: <bgimage>\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
R0lGODlh\r\n\
--b1--\r\n\
--b0\r\n\
Content-Type: application/pdf; name=\"plan.pdf\"\r\n\
Content-Disposition: attachment; filename=\"plan.pdf\"\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
JVBERi0xLjQgZmFrZQ==\r\n\
--b0--\r\n";

const TEXT_ONLY: &str = "From: Bob <bob@example.org>\r\n\
To: me@heron.example\r\n\
Reply-To: Bob's Desk <desk@example.org>\r\n\
Subject: =?utf-8?B?5Zue5aSN77ya?= Fwd: Lunch\r\n\
Message-ID: <t1@example.org>\r\n\
\r\n\
Is <b>noon</b> fine? 5 > 3 & so on.\r\n";

fn own() -> Vec<String> {
    vec![
        "me@heron.example".to_owned(),
        "me2@heron.example".to_owned(),
    ]
}

fn emails(list: &[Address]) -> Vec<&str> {
    list.iter().map(|a| a.email.as_str()).collect()
}

#[test]
fn reply_goes_to_the_sender_with_one_re() {
    let seed = reply_seed(THREAD_MESSAGE.as_bytes(), ReplyMode::Reply, &own());
    assert_eq!(
        seed.to,
        [Address {
            name: Some("Ann Example".into()),
            email: "ann@example.com".into()
        }]
    );
    assert!(seed.cc.is_empty());
    assert_eq!(seed.subject, "Re: 季度计划");
    assert_eq!(seed.in_reply_to.as_deref(), Some("m3@example.com"));
    assert_eq!(
        seed.references,
        ["m1@example.com", "m2@example.com", "m3@example.com"]
    );
}

#[test]
fn reply_all_drops_own_addresses_and_duplicates() {
    let seed = reply_seed(THREAD_MESSAGE.as_bytes(), ReplyMode::ReplyAll, &own());
    assert_eq!(emails(&seed.to), ["ann@example.com", "bob@example.org"]);
    assert_eq!(emails(&seed.cc), ["carol@example.org"]);
}

#[test]
fn reply_uses_reply_to_and_quotes_text_only_originals_escaped() {
    let seed = reply_seed(TEXT_ONLY.as_bytes(), ReplyMode::Reply, &own());
    assert_eq!(
        seed.to,
        [Address {
            name: Some("Bob's Desk".into()),
            email: "desk@example.org".into()
        }]
    );
    assert_eq!(seed.subject, "Re: Fwd: Lunch");
    assert_eq!(seed.references, ["t1@example.org"]);
    assert_eq!(
        seed.quoted_text,
        "Bob wrote:\n> Is <b>noon</b> fine? 5 > 3 & so on.\n"
    );
    assert_eq!(
        seed.quoted_html,
        "<div>Bob wrote:</div><blockquote type=\"cite\"><div style=\"white-space: pre-wrap\">\
         Is &lt;b&gt;noon&lt;/b&gt; fine? 5 &gt; 3 &amp; so on.</div></blockquote>"
    );
}

#[test]
fn replying_to_own_message_writes_to_its_recipients() {
    let sent = THREAD_MESSAGE.replace(
        "From: \"Ann Example\" <ann@example.com>",
        "From: Me <ME@heron.example>",
    );
    let seed = reply_seed(sent.as_bytes(), ReplyMode::Reply, &own());
    assert_eq!(emails(&seed.to), ["bob@example.org"]);
    let note_to_self = "From: me@heron.example\r\nTo: me@heron.example\r\nSubject: x\r\n\r\nx\r\n";
    let seed = reply_seed(note_to_self.as_bytes(), ReplyMode::ReplyAll, &own());
    assert_eq!(emails(&seed.to), ["me@heron.example"]);
}

#[test]
fn quoted_text_has_attribution_and_prefixes() {
    let seed = reply_seed(THREAD_MESSAGE.as_bytes(), ReplyMode::Reply, &own());
    assert_eq!(
        seed.quoted_text,
        "On 2026-04-14 10:00 +02:00, Ann Example wrote:\n> Hello team,\n>> earlier quote\n>\n> Plan attached.\n"
    );
}

#[test]
fn quoted_html_is_sanitised_and_keeps_inline_images() {
    let seed = reply_seed(THREAD_MESSAGE.as_bytes(), ReplyMode::Reply, &own());
    let html = &seed.quoted_html;
    assert!(html.starts_with(
        "<div>On 2026-04-14 10:00 +02:00, Ann Example wrote:</div><blockquote type=\"cite\">"
    ));
    assert!(html.ends_with("</blockquote>"));
    for gone in [
        "<script",
        "alert",
        "remote.example",
        "onclick",
        "steal",
        "heron-cid",
    ] {
        assert!(!html.contains(gone), "{gone} survived in {html}");
    }
    assert!(html.contains("<img src=\"cid:logo@example.com\" alt=\"logo\">"));
    assert!(html.contains("url(&quot;cid:bgimage&quot;)"), "{html}");
    assert!(html.contains("<b>team</b>"));
    assert_eq!(seed.inline_images.len(), 2);
    assert_eq!(seed.inline_images[1].content_id, "bgimage");
    assert_eq!(seed.inline_images[0].content_id, "logo@example.com");
    assert_eq!(seed.inline_images[0].content_type, "image/png");
    assert_eq!(seed.inline_images[0].file_name, "logo.png");
    assert_eq!(seed.inline_images[0].data, b"\x89PNG\r\n\x1a\n");
}

#[test]
fn reply_seed_builds_into_a_message() {
    let seed = reply_seed(THREAD_MESSAGE.as_bytes(), ReplyMode::ReplyAll, &own());
    let msg = OutgoingMessage {
        from: Address::new(Some("Me"), "me@heron.example").unwrap(),
        to: seed.to,
        cc: seed.cc,
        bcc: Vec::new(),
        reply_to: Vec::new(),
        subject: seed.subject,
        text: Some(format!("Sounds good.\n\n{}", seed.quoted_text)),
        html: Some(format!("<p>Sounds good.</p>{}", seed.quoted_html)),
        inline_images: seed.inline_images,
        attachments: Vec::new(),
        message_id: "r1@heron.example".into(),
        date: 1_776_164_400,
        utc_offset_minutes: 120,
        in_reply_to: seed.in_reply_to,
        references: seed.references,
    };
    let bytes = build_message(&msg).unwrap();
    let parsed = mail_parser::MessageParser::new().parse(&bytes).unwrap();
    assert_eq!(parsed.subject(), Some("Re: 季度计划"));
    assert_eq!(parsed.in_reply_to().as_text(), Some("m3@example.com"));
    assert_eq!(parsed.references().as_text_list().map(|l| l.len()), Some(3));
}

#[test]
fn references_keep_the_root_and_the_latest() {
    let ids: Vec<String> = (1..=30).map(|i| format!("<id{i}@x.org>")).collect();
    let raw = format!(
        "From: a@x.org\r\nMessage-ID: <new@x.org>\r\nReferences: {}\r\nSubject: s\r\n\r\nx\r\n",
        ids.join(" ")
    );
    let seed = reply_seed(raw.as_bytes(), ReplyMode::Reply, &[]);
    assert_eq!(seed.references.len(), 20);
    assert_eq!(seed.references[0], "id1@x.org");
    assert_eq!(seed.references[1], "id13@x.org");
    assert_eq!(seed.references[19], "new@x.org");
}

#[test]
fn forward_inline_carries_summary_body_and_attachments() {
    let seed = forward_seed(THREAD_MESSAGE.as_bytes(), false);
    assert_eq!(seed.subject, "Fwd: Re: RE: Aw: 季度计划");
    assert_eq!(
        seed.quoted_text,
        "---------- Forwarded message ----------\n\
         From: Ann Example <ann@example.com>\n\
         Date: 2026-04-14 10:00 +02:00\n\
         Subject: Re: RE: Aw: 季度计划\n\
         To: Me <me@heron.example>, Bob <bob@example.org>\n\
         Cc: carol@example.org, ME2@Heron.Example, bob@EXAMPLE.org\n\
         \n\
         Hello team,\n> earlier quote\n\nPlan attached.\n"
    );
    assert!(
        seed.quoted_html
            .contains("From: Ann Example &lt;ann@example.com&gt;<br>")
    );
    for gone in ["<script", "remote.example", "onclick"] {
        assert!(!seed.quoted_html.contains(gone), "{gone}");
    }
    assert_eq!(
        seed.attachments,
        [Attachment {
            file_name: "plan.pdf".into(),
            content_type: "application/pdf".into(),
            data: b"%PDF-1.4 fake".to_vec(),
        }]
    );
    assert_eq!(seed.inline_images.len(), 2);
}

#[test]
fn forward_as_attachment_wraps_the_original() {
    let seed = forward_seed(THREAD_MESSAGE.as_bytes(), true);
    assert!(seed.quoted_text.is_empty() && seed.quoted_html.is_empty());
    assert!(seed.inline_images.is_empty());
    assert_eq!(seed.attachments.len(), 1);
    let a = &seed.attachments[0];
    assert_eq!(a.file_name, "Re_ RE_ Aw_ 季度计划.eml");
    assert_eq!(a.content_type, "message/rfc822");
    assert_eq!(a.data, THREAD_MESSAGE.as_bytes());

    // 7-bit, so it is sent as a real message/rfc822 part, byte for byte.
    let msg = OutgoingMessage {
        from: Address::new(None, "me@heron.example").unwrap(),
        to: vec![Address::new(None, "dave@example.net").unwrap()],
        cc: Vec::new(),
        bcc: Vec::new(),
        reply_to: Vec::new(),
        subject: seed.subject,
        text: Some("FYI".into()),
        html: None,
        inline_images: Vec::new(),
        attachments: seed.attachments,
        message_id: "f1@heron.example".into(),
        date: 1_776_164_400,
        utc_offset_minutes: 0,
        in_reply_to: None,
        references: Vec::new(),
    };
    let bytes = build_message(&msg).unwrap();
    let parsed = mail_parser::MessageParser::new().parse(&bytes).unwrap();
    let part = parsed.attachments().next().unwrap();
    let PartType::Message(nested) = &part.body else {
        panic!("not forwarded as a message");
    };
    assert_eq!(nested.raw_message(), THREAD_MESSAGE.as_bytes());
    assert_eq!(nested.subject(), Some("Re: RE: Aw: 季度计划"));
}

#[test]
fn forward_names_and_prefixes() {
    let seed = forward_seed(TEXT_ONLY.as_bytes(), true);
    assert_eq!(seed.subject, "Fwd: 回复： Fwd: Lunch");
    assert_eq!(seed.attachments[0].file_name, "回复： Fwd_ Lunch.eml");
    let seed = forward_seed(b"From: a@x.org\r\nSubject: a/b\\c\r\n\r\nx", true);
    assert_eq!(seed.attachments[0].file_name, "a_b_c.eml");
    let seed = forward_seed(b"From: a@x.org\r\n\r\nx", true);
    assert_eq!(seed.subject, "Fwd: ");
    assert_eq!(seed.attachments[0].file_name, "message.eml");
}

#[test]
fn subject_prefixes_are_recognised() {
    for (subject, expected) in [
        ("Hello", "Hello"),
        ("Re: Hello", "Hello"),
        ("RE: re: Hello", "Hello"),
        ("Aw: Hello", "Hello"),
        ("回复：Hello", "Hello"),
        ("答复: 回复: Hello", "Hello"),
        ("Re[2]: Hello", "Hello"),
        ("Re : Hello", "Hello"),
        ("Reply: Hello", "Reply: Hello"),
        ("Rechnung: Januar", "Rechnung: Januar"),
        ("Re: Fwd: Hello", "Fwd: Hello"),
    ] {
        assert_eq!(
            strip_prefixes(subject, REPLY_PREFIXES),
            expected,
            "{subject}"
        );
    }
    assert_eq!(strip_prefixes("FW: Fwd: 转发: x", FORWARD_PREFIXES), "x");
}

#[test]
fn unreadable_originals_give_an_empty_seed() {
    for raw in [&b""[..], b"\0\0\0", b"garbage without headers"] {
        let seed = reply_seed(raw, ReplyMode::ReplyAll, &own());
        assert!(seed.subject.starts_with("Re: "));
        let _ = forward_seed(raw, false);
        let _ = forward_seed(raw, true);
    }
}

#[test]
fn a_draft_reopened_from_the_server_has_every_part_it_was_saved_with() {
    let addr = |name: &str, email: &str| crate::compose::Address::new(Some(name), email).unwrap();
    let draft = OutgoingMessage {
        from: addr("Me", "me@heron.example"),
        to: vec![addr("张三", "zhang@example.cn")],
        cc: vec![addr("Bob", "bob@example.org")],
        bcc: vec![addr("Secret", "hidden@example.org")],
        reply_to: vec![],
        subject: "草稿：计划".to_owned(),
        text: Some("First line\nsecond line\n".to_owned()),
        html: Some("<p>First <b>line</b></p><p><img src=\"cid:chart\"></p>".to_owned()),
        inline_images: vec![crate::compose::InlineImage {
            content_id: "chart".to_owned(),
            content_type: "image/png".to_owned(),
            file_name: "chart.png".to_owned(),
            data: vec![0x89, b'P', b'N', b'G', 1, 2, 3],
        }],
        attachments: vec![crate::compose::Attachment {
            file_name: "预算.xlsx".to_owned(),
            content_type: "application/octet-stream".to_owned(),
            data: (0..5000u32).map(|i| (i * 7) as u8).collect(),
        }],
        message_id: "draft-1@heron.example".to_owned(),
        date: 1_800_000_000,
        utc_offset_minutes: 0,
        in_reply_to: Some("m3@example.com".to_owned()),
        references: vec!["m1@example.com".to_owned(), "m3@example.com".to_owned()],
    };
    let raw = crate::compose::build_draft(&draft).unwrap();
    let back = reopen_draft(&raw);
    assert_eq!(back.message_id.as_deref(), Some("draft-1@heron.example"));
    assert_eq!(back.to, draft.to);
    assert_eq!(back.cc, draft.cc);
    assert_eq!(back.bcc, draft.bcc, "drafts keep Bcc");
    assert_eq!(back.subject, draft.subject);
    assert_eq!(back.text.replace("\r\n", "\n"), "First line\nsecond line\n");
    let html = back.html.unwrap();
    assert!(
        html.contains("<b>line</b>") && html.contains("src=\"cid:chart\""),
        "{html}"
    );
    assert_eq!(back.inline_images.len(), 1);
    assert_eq!(back.inline_images[0].data, draft.inline_images[0].data);
    assert_eq!(back.attachments.len(), 1);
    assert_eq!(back.attachments[0].file_name, "预算.xlsx");
    assert_eq!(back.attachments[0].data, draft.attachments[0].data);
    assert_eq!(back.in_reply_to.as_deref(), Some("m3@example.com"));
    assert_eq!(back.references, draft.references);
}
