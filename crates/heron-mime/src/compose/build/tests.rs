use mail_parser::{MessageParser, MimeHeaders, PartType};

use super::*;
use crate::compose::encode::crlf_normalised;

/// Deterministic "random" bytes (a 64-bit LCG, high bits).
fn lcg_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed;
    (0..len)
        .map(|_| {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (x >> 56) as u8
        })
        .collect()
}

fn addr(name: Option<&str>, email: &str) -> Address {
    Address::new(name, email).unwrap()
}

fn minimal() -> OutgoingMessage {
    OutgoingMessage {
        from: addr(Some("Ann Example"), "ann@example.com"),
        to: vec![addr(None, "bob@example.org")],
        cc: Vec::new(),
        bcc: Vec::new(),
        reply_to: Vec::new(),
        subject: "Hello".to_owned(),
        text: Some("Hi Bob\n".to_owned()),
        html: None,
        inline_images: Vec::new(),
        attachments: Vec::new(),
        message_id: "0123abcd@example.com".to_owned(),
        date: 1_776_160_800,
        utc_offset_minutes: 480,
        in_reply_to: None,
        references: Vec::new(),
    }
}

fn as_text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap()
}

/// What every output must be: ASCII, CRLF only, lines of at most 998 characters,
/// headers folded to 78, ending in CRLF.
fn assert_wire_form(bytes: &[u8]) {
    assert!(bytes.is_ascii(), "not ASCII");
    assert!(bytes.ends_with(b"\r\n"), "does not end with CRLF");
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\n' {
            assert_eq!(bytes.get(i.wrapping_sub(1)), Some(&b'\r'), "bare LF at {i}");
        }
        if b == b'\r' {
            assert_eq!(bytes.get(i + 1), Some(&b'\n'), "bare CR at {i}");
        }
    }
    for line in bytes.split(|&b| b == b'\n') {
        assert!(line.len() <= 999, "line of {} characters", line.len() - 1);
    }
    let text = as_text(bytes);
    let (head, _) = text.split_once("\r\n\r\n").unwrap();
    for line in head.split("\r\n") {
        assert!(line.len() <= FOLD_LIMIT, "long header line: {line}");
    }
}

const FOLD_LIMIT: usize = crate::compose::encode::FOLD_AT;

#[test]
fn round_trip_chinese_html_inline_image_and_5_mb_attachment() {
    let html = "<p>各位好，</p><p>请见附件中的<b>季度报告</b>，以及 <a href=\"https://example.cn/q3\">在线版本</a>。</p>\
                <p><img src=\"cid:chart.1@heron\" alt=\"图表\"></p><ul><li>收入 = 增长</li><li>支出</li></ul>";
    let image = lcg_bytes(30_000, 7);
    let big = lcg_bytes(5 * 1024 * 1024, 42);
    let msg = OutgoingMessage {
        from: addr(Some("张三"), "zhang@example.cn"),
        to: vec![
            addr(Some("李四"), "li@example.cn"),
            addr(Some("Doe, Jane"), "jane@example.com"),
        ],
        cc: vec![addr(Some("王五（财务部）"), "wang@例子.中国")],
        bcc: vec![addr(Some("Secret Boss"), "boss@hidden.example")],
        reply_to: Vec::new(),
        subject: "季度报告：第三季度".to_owned(),
        text: None,
        html: Some(html.to_owned()),
        inline_images: vec![InlineImage {
            content_id: "chart.1@heron".to_owned(),
            content_type: "image/png".to_owned(),
            file_name: "图表.png".to_owned(),
            data: image.clone(),
        }],
        attachments: vec![Attachment {
            file_name: "报告 2026.pdf".to_owned(),
            content_type: "application/pdf".to_owned(),
            data: big.clone(),
        }],
        message_id: new_message_id([0xab; 16], "example.cn"),
        date: 1_776_160_800,
        utc_offset_minutes: 480,
        in_reply_to: Some("orig@example.cn".to_owned()),
        references: vec!["root@example.cn".to_owned(), "orig@example.cn".to_owned()],
    };
    let bytes = build_message(&msg).unwrap();
    assert_wire_form(&bytes);
    let raw = as_text(&bytes);
    assert!(!raw.contains("hidden.example"));
    assert!(!raw.contains("Secret Boss"));
    assert!(!raw.to_ascii_lowercase().contains("\nbcc:"));

    let parsed = MessageParser::new().parse(&bytes).unwrap();
    assert_eq!(parsed.subject(), Some("季度报告：第三季度"));
    let from = parsed.from().unwrap().first().unwrap();
    assert_eq!(from.name(), Some("张三"));
    assert_eq!(from.address(), Some("zhang@example.cn"));
    let to: Vec<_> = parsed
        .to()
        .unwrap()
        .iter()
        .map(|a| (a.name().unwrap(), a.address().unwrap()))
        .collect();
    assert_eq!(
        to,
        [("李四", "li@example.cn"), ("Doe, Jane", "jane@example.com")]
    );
    let cc = parsed.cc().unwrap().first().unwrap();
    assert_eq!(cc.name(), Some("王五（财务部）"));
    assert_eq!(cc.address(), Some("wang@xn--fsqu00a.xn--fiqs8s"));
    assert_eq!(parsed.message_id(), Some(msg.message_id.as_str()));
    assert_eq!(parsed.date().unwrap().to_timestamp(), msg.date);
    assert_eq!(parsed.date().unwrap().tz_hour, 8);

    // Structure: mixed(alternative(text, related(html, image)), attachment).
    let ct = |i: usize| {
        let c = parsed.parts[i].content_type().unwrap();
        format!("{}/{}", c.ctype(), c.subtype().unwrap_or_default())
    };
    assert_eq!(ct(0), "multipart/mixed");
    assert_eq!(ct(1), "multipart/alternative");
    assert_eq!(ct(2), "text/plain");
    assert_eq!(ct(3), "multipart/related");
    assert_eq!(ct(4), "text/html");
    assert_eq!(ct(5), "image/png");
    assert_eq!(ct(6), "application/pdf");

    let expected_text = String::from_utf8(crlf_normalised(html_to_text(html).as_bytes())).unwrap();
    assert!(expected_text.contains("在线版本 (https://example.cn/q3)"));
    assert_eq!(parsed.body_text(0).unwrap(), expected_text);
    assert_eq!(parsed.body_html(0).unwrap(), html);

    let pdf = parsed
        .attachments()
        .find(|p| p.attachment_name() == Some("报告 2026.pdf"))
        .unwrap();
    assert!(pdf.contents() == big.as_slice(), "attachment bytes differ");
    assert!(pdf.content_disposition().unwrap().is_attachment());

    let img = parsed
        .attachments()
        .find(|p| p.content_id() == Some("chart.1@heron"))
        .unwrap();
    assert_eq!(img.attachment_name(), Some("图表.png"));
    assert!(img.content_disposition().unwrap().is_inline());
    assert!(img.contents() == image.as_slice(), "image bytes differ");

    // The file name also reaches readers that only know the fallback forms.
    assert!(raw.contains("filename*=utf-8''%E6%8A%A5%E5%91%8A%202026.pdf"));
    assert!(raw.contains("name=\"=?utf-8?B?"));
}

#[test]
fn header_injection_is_refused_naming_the_field() {
    type Mutate = fn(&mut OutgoingMessage, &str);
    let cases: &[(&str, Mutate)] = &[
        ("subject", |m, s| {
            m.subject = format!("Hi{s}Bcc: evil@x.org")
        }),
        ("from", |m, s| m.from.name = Some(format!("Ann{s}"))),
        ("from", |m, s| m.from.email = format!("ann@example.com{s}")),
        ("to", |m, s| m.to[0].name = Some(format!("Bob{s}Cc: x@y.z"))),
        ("to", |m, s| m.to[0].email = format!("bob@example.org{s}")),
        ("cc", |m, s| {
            m.cc = vec![
                addr(None, "c@x.org"),
                Address {
                    name: None,
                    email: format!("c{s}@x.org"),
                },
            ]
        }),
        ("bcc", |m, s| {
            m.bcc = vec![Address {
                name: Some(format!("B{s}")),
                email: "b@x.org".into(),
            }]
        }),
        ("reply_to", |m, s| {
            m.reply_to = vec![Address {
                name: None,
                email: format!("r@x.org{s}"),
            }]
        }),
        ("message id", |m, s| m.message_id = format!("abc{s}@x.org")),
        ("in reply to", |m, s| {
            m.in_reply_to = Some(format!("abc@x.org{s}"))
        }),
        ("references", |m, s| {
            m.references = vec!["ok@x.org".into(), format!("{s}x@y")]
        }),
        ("attachment file name", |m, s| {
            m.attachments = vec![Attachment {
                file_name: format!("a{s}.pdf"),
                content_type: "application/pdf".into(),
                data: vec![1],
            }]
        }),
        ("attachment content type", |m, s| {
            m.attachments = vec![Attachment {
                file_name: "a.pdf".into(),
                content_type: format!("application/pdf{s}"),
                data: vec![1],
            }]
        }),
        ("inline image file name", |m, s| {
            m.inline_images = vec![InlineImage {
                content_id: "i@x".into(),
                content_type: "image/png".into(),
                file_name: format!("i{s}.png"),
                data: vec![1],
            }]
        }),
        ("inline image content id", |m, s| {
            m.inline_images = vec![InlineImage {
                content_id: format!("i@x{s}"),
                content_type: "image/png".into(),
                file_name: "i.png".into(),
                data: vec![1],
            }]
        }),
    ];
    for injection in ["\r", "\n", "\r\n", "\0", "\u{1b}"] {
        for (field, mutate) in cases {
            let mut msg = minimal();
            mutate(&mut msg, injection);
            assert_eq!(
                build_message(&msg),
                Err(ComposeError::ForbiddenCharacter { field }),
                "{field} with {injection:?}"
            );
        }
    }
    // A tab is white space in a subject, not an injection.
    let mut msg = minimal();
    msg.subject = "a\tb".into();
    assert!(build_message(&msg).is_ok());
}

#[test]
fn text_body_comes_back_with_every_line_ending_made_crlf() {
    let long = "y".repeat(2000);
    let input = format!(
        ".\n..\n.hidden\rbare CR\nbare LF\r\nCRLF\r\n{long}\nFrom here\ntrailing \t\n= =3D\n\n\r\nend. \u{3000}中文"
    );
    let mut msg = minimal();
    msg.text = Some(input.clone());
    let bytes = build_message(&msg).unwrap();
    assert_wire_form(&bytes);
    let raw = as_text(&bytes);
    let body = raw.split_once("\r\n\r\n").unwrap().1;
    assert!(
        body.split("\r\n")
            .all(|l| !l.starts_with('.') && l.len() <= 76),
        "{body}"
    );
    assert!(body.contains("=2E\r\n=2E.\r\n=2Ehidden"));
    // The message ends with CRLF, by a soft break, since the text does not.
    assert!(raw.ends_with("=\r\n"));

    let parsed = MessageParser::new().parse(&bytes).unwrap();
    let expected = String::from_utf8(crlf_normalised(input.as_bytes())).unwrap();
    assert_eq!(expected.matches("\r\n").count(), 12);
    assert_eq!(parsed.body_text(0).unwrap(), expected);
}

#[test]
fn text_ending_in_a_newline_keeps_exactly_one() {
    let mut msg = minimal();
    msg.text = Some("line\n".into());
    let bytes = build_message(&msg).unwrap();
    assert!(as_text(&bytes).ends_with("\r\n\r\nline\r\n"));
    let parsed = MessageParser::new().parse(&bytes).unwrap();
    assert_eq!(parsed.body_text(0).unwrap(), "line\r\n");
}

#[test]
fn structure_follows_the_content() {
    let types = |msg: &OutgoingMessage| -> Vec<String> {
        let bytes = build_message(msg).unwrap();
        assert_wire_form(&bytes);
        let parsed = MessageParser::new().parse(&bytes).unwrap();
        parsed
            .parts
            .iter()
            .map(|p| {
                let c = p.content_type().unwrap();
                format!("{}/{}", c.ctype(), c.subtype().unwrap_or_default())
            })
            .collect()
    };
    let mut msg = minimal();
    assert_eq!(types(&msg), ["text/plain"]);
    msg.html = Some("<p>Hi</p>".into());
    assert_eq!(
        types(&msg),
        ["multipart/alternative", "text/plain", "text/html"]
    );
    msg.inline_images = vec![InlineImage {
        content_id: "logo".into(),
        content_type: "IMAGE/PNG".into(),
        file_name: "logo.png".into(),
        data: vec![1, 2, 3],
    }];
    assert_eq!(
        types(&msg),
        [
            "multipart/alternative",
            "text/plain",
            "multipart/related",
            "text/html",
            "image/png"
        ]
    );
    msg.html = None;
    assert_eq!(types(&msg), ["multipart/mixed", "text/plain", "image/png"]);
    msg.inline_images.clear();
    msg.attachments = vec![Attachment {
        file_name: "notes.txt".into(),
        content_type: "text/plain".into(),
        data: "naïve\n".as_bytes().to_vec(),
    }];
    assert_eq!(types(&msg), ["multipart/mixed", "text/plain", "text/plain"]);
    let raw = String::from_utf8(build_message(&msg).unwrap()).unwrap();
    assert!(raw.contains("Content-Type: text/plain; charset=utf-8; name=\"notes.txt\""));
}

#[test]
fn seven_bit_message_attachment_stays_a_message() {
    let original = "From: a@x.org\nTo: b@y.org\nSubject: Old news\n\nBody line\n.\n";
    let mut msg = minimal();
    msg.attachments = vec![Attachment {
        file_name: "Old news.eml".into(),
        content_type: "message/rfc822".into(),
        data: original.as_bytes().to_vec(),
    }];
    let bytes = build_message(&msg).unwrap();
    assert_wire_form(&bytes);
    let raw = as_text(&bytes);
    assert!(raw.contains("Content-Type: message/rfc822; name=\"Old news.eml\"\r\n"));
    assert!(raw.contains("Content-Transfer-Encoding: 7bit\r\n"));
    let parsed = MessageParser::new().parse(&bytes).unwrap();
    let part = parsed.attachments().next().unwrap();
    let PartType::Message(nested) = &part.body else {
        panic!("not a nested message");
    };
    assert_eq!(nested.subject(), Some("Old news"));
    assert_eq!(
        nested.raw_message(),
        crlf_normalised(original.as_bytes()).as_slice()
    );
}

#[test]
fn eight_bit_message_attachment_goes_as_octet_stream() {
    let original =
        "From: a@x.org\nSubject: Grüße\nContent-Type: text/plain; charset=utf-8\n\nGrüße\n";
    let mut msg = minimal();
    msg.attachments = vec![Attachment {
        file_name: "Grüße.eml".into(),
        content_type: "message/rfc822".into(),
        data: original.as_bytes().to_vec(),
    }];
    let bytes = build_message(&msg).unwrap();
    assert_wire_form(&bytes);
    assert!(as_text(&bytes).contains("Content-Type: application/octet-stream;"));
    let parsed = MessageParser::new().parse(&bytes).unwrap();
    let part = parsed.attachments().next().unwrap();
    assert_eq!(part.attachment_name(), Some("Grüße.eml"));
    assert_eq!(part.contents(), original.as_bytes());

    let long_line = format!("From: a@x.org\n\n{}\n", "x".repeat(1000));
    msg.attachments[0].data = long_line.into_bytes();
    assert!(
        as_text(&build_message(&msg).unwrap()).contains("Content-Type: application/octet-stream;")
    );
}

#[test]
fn boundary_found_in_a_part_is_not_used() {
    let mut msg = minimal();
    let taken = format!("=_heron_0_{:016x}", fnv1a(msg.message_id.as_bytes()));
    let original = format!("From: a@x.org\nSubject: trap\n\n--{taken}\n--{taken}--\n");
    msg.attachments = vec![Attachment {
        file_name: "trap.eml".into(),
        content_type: "message/rfc822".into(),
        data: original.clone().into_bytes(),
    }];
    let bytes = build_message(&msg).unwrap();
    let raw = as_text(&bytes);
    assert!(!raw.contains(&format!("boundary=\"{taken}\"")));
    let parsed = MessageParser::new().parse(&bytes).unwrap();
    assert_eq!(parsed.body_text(0).unwrap(), "Hi Bob\r\n");
    let part = parsed.attachments().next().unwrap();
    assert_eq!(
        part.contents(),
        crlf_normalised(original.as_bytes()).as_slice()
    );
}

#[test]
fn long_and_tricky_headers_fold_and_round_trip() {
    let mut msg = minimal();
    msg.subject = "A rather long subject line that goes on and on, well past the seventy-eight character mark".into();
    msg.to = (0..12)
        .map(|i| {
            addr(
                Some(&format!("Person Number {i}")),
                &format!("p{i}@example.org"),
            )
        })
        .collect();
    msg.cc = vec![
        addr(Some("O'Brien \"Bob\" \\ Jr."), "bob@example.org"),
        addr(Some(&"长名字".repeat(30)), "long@example.org"),
        addr(Some("=?utf-8?Q?not_encoded?="), "tricky@example.org"),
        addr(Some(&"x".repeat(1200)), "atom@example.org"),
    ];
    let bytes = build_message(&msg).unwrap();
    assert_wire_form(&bytes);
    let parsed = MessageParser::new().parse(&bytes).unwrap();
    assert_eq!(parsed.subject(), Some(msg.subject.as_str()));
    let to: Vec<_> = parsed
        .to()
        .unwrap()
        .iter()
        .map(|a| a.name().unwrap())
        .collect();
    let expected: Vec<String> = (0..12).map(|i| format!("Person Number {i}")).collect();
    assert_eq!(to, expected);
    let names: Vec<_> = parsed
        .cc()
        .unwrap()
        .iter()
        .map(|a| a.name().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "O'Brien \"Bob\" \\ Jr.",
            "长名字".repeat(30).as_str(),
            "=?utf-8?Q?not_encoded?=",
            "x".repeat(1200).as_str(),
        ]
    );

    for subject in [
        "  leading and trailing spaces  ",
        "looks =?utf-8?B?like?= a word",
        "two  spaces\tand a tab",
        &"x".repeat(1500),
        &"混合 mixed 文字 text ".repeat(10),
        "emoji 😀 and combining é",
    ] {
        msg.subject = subject.to_owned();
        let bytes = build_message(&msg).unwrap();
        assert_wire_form(&bytes);
        let parsed = MessageParser::new().parse(&bytes).unwrap();
        assert_eq!(parsed.subject(), Some(subject), "{subject}");
    }
}

#[test]
fn long_and_unusual_file_names_round_trip() {
    for name in [
        "plain.pdf".to_owned(),
        format!("{}.docx", "季度报告".repeat(20)),
        format!("{}.txt", "a".repeat(150)),
        "quote\" and back\\slash.txt".to_owned(),
        "=?utf-8?B?dHJhcA==?=.txt".to_owned(),
        "percent % star * tick '.bin".to_owned(),
    ] {
        let mut msg = minimal();
        msg.attachments = vec![Attachment {
            file_name: name.clone(),
            content_type: "application/octet-stream".into(),
            data: vec![0, 1, 2],
        }];
        let bytes = build_message(&msg).unwrap();
        assert_wire_form(&bytes);
        let parsed = MessageParser::new().parse(&bytes).unwrap();
        let part = parsed.attachments().next().unwrap();
        assert_eq!(part.attachment_name(), Some(name.as_str()));
    }
}

#[test]
fn bcc_only_message_says_undisclosed_recipients() {
    let mut msg = minimal();
    msg.to.clear();
    msg.bcc = vec![addr(None, "hidden@example.org")];
    let bytes = build_message(&msg).unwrap();
    let raw = as_text(&bytes);
    assert!(raw.contains("\r\nTo: undisclosed-recipients:;\r\n"));
    assert!(!raw.contains("hidden@example.org"));
    assert_eq!(envelope_recipients(&msg), ["hidden@example.org"]);
}

#[test]
fn drafts_need_no_recipients_and_keep_bcc() {
    let mut msg = minimal();
    msg.to.clear();
    assert!(build_draft(&msg).is_ok());
    msg.bcc = vec![addr(Some("秘书"), "hidden@example.org")];
    let bytes = build_draft(&msg).unwrap();
    assert_wire_form(&bytes);
    assert!(!as_text(&bytes).contains("undisclosed-recipients"));
    let parsed = MessageParser::new().parse(&bytes).unwrap();
    let bcc = parsed.bcc().unwrap().first().unwrap();
    assert_eq!(bcc.name(), Some("秘书"));
    assert_eq!(bcc.address(), Some("hidden@example.org"));
    msg.subject = "x\r\nBcc: y@z.org".into();
    assert_eq!(
        build_draft(&msg),
        Err(ComposeError::ForbiddenCharacter { field: "subject" })
    );
}

#[test]
fn no_recipients_is_an_error() {
    let mut msg = minimal();
    msg.to.clear();
    assert_eq!(build_message(&msg), Err(ComposeError::NoRecipients));
    assert_eq!(ComposeError::NoRecipients.code(), "no_recipients");
}

#[test]
fn malformed_types_and_ids_are_invalid() {
    for content_type in [
        "application",
        "text/plain; charset=x",
        "a b/c",
        "multipart/mixed",
        "/x",
    ] {
        let mut msg = minimal();
        msg.attachments = vec![Attachment {
            file_name: "a".into(),
            content_type: content_type.into(),
            data: Vec::new(),
        }];
        let err = build_message(&msg).unwrap_err();
        assert_eq!(err.code(), "invalid", "{content_type}");
    }
    for id in ["", "no-at-sign", "<a@b>", "a b@c", "é@x.org"] {
        let mut msg = minimal();
        msg.message_id = id.into();
        assert_eq!(build_message(&msg).unwrap_err().code(), "invalid", "{id}");
    }
    let mut msg = minimal();
    msg.html = Some("<img src=cid:x>".into());
    let image = InlineImage {
        content_id: "x".into(),
        content_type: "image/png".into(),
        file_name: "x.png".into(),
        data: Vec::new(),
    };
    msg.inline_images = vec![image.clone(), image];
    assert_eq!(build_message(&msg).unwrap_err().code(), "invalid");
    let mut msg = minimal();
    msg.to = vec![Address {
        name: None,
        email: "not an address".into(),
    }];
    assert_eq!(
        build_message(&msg),
        Err(ComposeError::InvalidAddress {
            input: "not an address".into()
        })
    );
}

#[test]
fn dates_are_rfc5322_in_the_senders_offset() {
    assert_eq!(
        rfc5322_date(0, 0).unwrap(),
        "Thu, 1 Jan 1970 00:00:00 +0000"
    );
    assert_eq!(
        rfc5322_date(1_776_160_800, 480).unwrap(),
        "Tue, 14 Apr 2026 18:00:00 +0800"
    );
    assert_eq!(
        rfc5322_date(1_776_160_800, -330).unwrap(),
        "Tue, 14 Apr 2026 04:30:00 -0530"
    );
    assert!(rfc5322_date(i64::MAX, 0).is_err());
    assert!(rfc5322_date(0, 24 * 60).is_err());
    assert!(rfc5322_date(-3_000_000_000, 0).is_err());
}

#[test]
fn same_input_gives_same_bytes() {
    let mut msg = minimal();
    msg.html = Some("<p>x</p>".into());
    assert_eq!(build_message(&msg), build_message(&msg));
}

#[test]
fn envelope_is_deduplicated_ignoring_case() {
    let mut msg = minimal();
    msg.to = vec![addr(None, "A@x.org"), addr(None, "b@例子.中国")];
    msg.cc = vec![addr(None, "a@X.org"), addr(None, "c@x.org")];
    msg.bcc = vec![addr(None, "C@x.org"), addr(None, "d@x.org")];
    assert_eq!(
        envelope_recipients(&msg),
        ["A@x.org", "b@例子.中国", "c@x.org", "d@x.org"]
    );
}

#[test]
fn message_ids_are_hex_at_a_clean_domain() {
    let random = [
        0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee,
        0xff,
    ];
    assert_eq!(
        new_message_id(random, "Corp.Example."),
        "00112233445566778899aabbccddeeff@corp.example"
    );
    assert!(new_message_id(random, "例子.中国").ends_with("@xn--fsqu00a.xn--fiqs8s"));
    for bad in ["", "a b", "x@y", "[1.2.3.4]", "-bad.example", "a..b", "<x>"] {
        assert!(
            new_message_id(random, bad).ends_with("@heron.invalid"),
            "{bad}"
        );
    }
}

#[test]
fn error_messages_say_what_to_fix() {
    let errors = [
        ComposeError::ForbiddenCharacter { field: "subject" },
        ComposeError::InvalidAddress { input: "x@".into() },
        ComposeError::NoRecipients,
    ];
    for e in errors {
        let text = e.to_string();
        assert!(!text.ends_with('.'), "{text}");
        assert!(
            text.chars().next().is_some_and(|c| !c.is_lowercase()),
            "{text}"
        );
    }
}
