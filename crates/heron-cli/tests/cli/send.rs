//! `heronctl send` against the harness (real Postfix delivering to real Dovecot): a
//! message with everything hard in it arrives intact for every recipient and is filed
//! once in Sent; and sends killed with SIGKILL at random points, thirty times, resume
//! from the outbox without ever delivering a message twice.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use heron_harness::{Stack, User};
use heron_imap::{Auth, ConnectOptions, FetchItems, ProtocolLimits, SearchKey, Security, Timeouts};
use heron_model::Secret;
use heron_store::{OsRandom, Store};
use mail_parser::MimeHeaders as _;

use crate::wipe::real_keyring;

pub(crate) fn ctl(data: &Path, config: &Path, args: &[&str]) -> std::process::Output {
    let mut all = vec![
        "--data-dir",
        data.to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
    ];
    all.extend_from_slice(args);
    crate::heronctl(&all)
}

/// A data directory provisioned for `user`, with the privacy notice accepted.
pub(crate) fn provisioned(stack: &Stack, user: &User, dir: &Path) -> (PathBuf, PathBuf) {
    let config = dir.join("config.json");
    std::fs::write(
        &config,
        serde_json::to_vec(&stack.heron_config("acct", "爱丽丝 Alice", user)).unwrap(),
    )
    .unwrap();
    let data = dir.join("data");
    let notice: serde_json::Value =
        serde_json::from_slice(&ctl(&data, &config, &["privacy", "show", "--json"]).stdout)
            .unwrap();
    let version = notice["version"].as_str().unwrap().to_owned();
    let out = ctl(
        &data,
        &config,
        &["privacy", "accept", "--version", &version],
    );
    assert!(out.status.success());
    (data, config)
}

async fn raw_copy(stack: &Stack, user: &User, message_id: &str) -> Vec<u8> {
    let ca = heron_imap::read_pem_certificates(stack.ca_pem()).unwrap();
    let opts = ConnectOptions {
        host: "127.0.0.1".to_owned(),
        port: stack.ports().imaps,
        security: Security::Tls,
        login: user.address.clone(),
        auth: Auth::Password(Secret::new(user.password.clone())),
        tls: heron_imap::tls_config(&ca, false, false).unwrap(),
        timeouts: Timeouts::default(),
        limits: ProtocolLimits::default(),
    };
    let mut s = heron_imap::connect(&opts).await.unwrap();
    s.select("INBOX", None).await.unwrap();
    let uids = s
        .uid_search(&SearchKey::MessageId(message_id.to_owned()))
        .await
        .unwrap();
    let mut raw = Vec::new();
    s.uid_fetch(
        &heron_imap::UidRange::Set(uids),
        FetchItems {
            body: true,
            ..FetchItems::default()
        },
        None,
        |f| {
            raw = f.body.unwrap_or_default();
            Ok(())
        },
    )
    .await
    .unwrap();
    s.logout().await;
    raw
}

/// Deterministic bytes that compress badly, like a real PDF.
fn noise(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 24) as u8
        })
        .collect()
}

#[test]
fn a_chinese_html_message_with_inline_image_and_5mb_attachment_arrives_intact_and_is_filed_once() {
    if real_keyring().is_none() {
        return;
    }
    let stack = Stack::ensure().unwrap();
    let alice = stack.add_user("send-a").unwrap();
    let bob = stack.add_user("send-b").unwrap();
    let carol = stack.add_user("send-c").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (data, config) = provisioned(&stack, &alice, dir.path());

    let subject = "季度报告：第三季度 (Q3) — 请查收";
    let html = "<p>你好，<b>Bob</b>！</p><p>季度报告见附件。</p><p><img src=\"cid:logo\" alt=\"logo\"></p>";
    let html_file = dir.path().join("body.html");
    std::fs::write(&html_file, html).unwrap();
    let logo = noise(3000, 7);
    let logo_file = dir.path().join("logo.png");
    std::fs::write(&logo_file, &logo).unwrap();
    let report = noise(5 * 1024 * 1024, 11);
    let report_file = dir.path().join("报告 2026.pdf");
    std::fs::write(&report_file, &report).unwrap();

    let out = ctl(
        &data,
        &config,
        &[
            "send",
            "--account",
            "acct",
            "--to",
            &format!("鲍勃 <{}>", bob.address),
            "--cc",
            &carol.address,
            "--subject",
            subject,
            "--html-file",
            html_file.to_str().unwrap(),
            "--inline",
            &format!("logo={}", logo_file.display()),
            "--attach",
            report_file.to_str().unwrap(),
            "--json",
        ],
    );
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let result: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(result["state"], "sent", "{result}");
    assert_eq!(
        result["sent_copy_error"],
        serde_json::Value::Null,
        "{result}"
    );
    let message_id = result["message_id"].as_str().unwrap().to_owned();

    for user in [&bob, &carol] {
        let n = stack
            .wait_for_messages(user, "INBOX", &message_id, 2, Duration::from_secs(15))
            .unwrap();
        assert_eq!(n, 1, "{} has exactly one copy", user.address);
    }
    let raw = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(raw_copy(&stack, &bob, &message_id));
    let parsed = mail_parser::MessageParser::default().parse(&raw).unwrap();
    assert_eq!(parsed.subject(), Some(subject));
    let from = parsed.from().unwrap().first().unwrap();
    assert_eq!(from.name(), Some("爱丽丝 Alice"));
    assert_eq!(parsed.to().unwrap().first().unwrap().name(), Some("鲍勃"));
    assert!(parsed.bcc().is_none());
    assert_eq!(parsed.body_html(0).unwrap().trim_end(), html);
    let text = parsed.body_text(0).unwrap();
    assert!(
        text.contains("季度报告见附件。"),
        "the text part is derived: {text}"
    );
    let mut parts: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    for part in parsed.attachments() {
        let key = part
            .content_id()
            .map(|c| format!("cid:{c}"))
            .or_else(|| part.attachment_name().map(str::to_owned))
            .unwrap();
        parts.insert(key, part.contents().to_vec());
    }
    assert_eq!(parts.len(), 2, "{:?}", parts.keys().collect::<Vec<_>>());
    assert!(
        parts["报告 2026.pdf"] == report,
        "the attachment is byte-equal"
    );
    assert!(parts["cid:logo"] == logo, "the inline image is byte-equal");

    assert_eq!(
        stack.count_messages(&alice, "Sent", &message_id).unwrap(),
        1,
        "exactly one Sent copy"
    );
    let outbox = ctl(&data, &config, &["outbox", "list", "--json"]);
    assert_eq!(String::from_utf8_lossy(&outbox.stdout).trim(), "[]");
}

#[test]
fn header_injection_is_refused_before_anything_is_queued() {
    if real_keyring().is_none() {
        return;
    }
    let stack = Stack::ensure().unwrap();
    let alice = stack.add_user("send-inj").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (data, config) = provisioned(&stack, &alice, dir.path());
    let body = dir.path().join("body.txt");
    std::fs::write(&body, "hello\n").unwrap();
    let injected_subject = "Hello\r\nBcc: victim@example.test";
    let injected_to = format!("{}\r\nRCPT TO:<victim@example.test>", alice.address);
    let injected_name = format!("\"Eve\r\nX-Evil: 1\" <{}>", alice.address);
    for (to, subject) in [
        (alice.address.as_str(), injected_subject),
        (injected_to.as_str(), "ok"),
        (injected_name.as_str(), "ok"),
    ] {
        let out = ctl(
            &data,
            &config,
            &[
                "send",
                "--account",
                "acct",
                "--to",
                to,
                "--subject",
                subject,
                "--body-file",
                body.to_str().unwrap(),
            ],
        );
        assert!(!out.status.success(), "refused: {to:?} / {subject:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("line break") || stderr.contains("control character"),
            "the error says why: {stderr}"
        );
    }
    let outbox = ctl(&data, &config, &["outbox", "list", "--json"]);
    assert_eq!(String::from_utf8_lossy(&outbox.stdout).trim(), "[]");
}

#[test]
fn sends_killed_thirty_times_at_random_points_never_deliver_twice() {
    let Some(keyring) = real_keyring() else {
        return;
    };
    let stack = Stack::ensure().unwrap();
    let alice = stack.add_user("kill-send").unwrap();
    let bob = stack.add_user("kill-recv").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (data, config) = provisioned(&stack, &alice, dir.path());
    let body = dir.path().join("body.txt");
    // Big enough that kills also land while DATA is being written.
    std::fs::write(&body, "line of the body\n".repeat(40_000)).unwrap();

    // Kill points follow how long a send takes on this machine.
    let mut schedule = crate::KillSchedule::new(0x5DEE_CE66, 1200, 50, 5000, 10);
    let mut killed = 0;
    let mut confirmed = 0;
    for trial in 0..30u64 {
        let (was_killed, status) = schedule.run(
            crate::heronctl_command()
                .args([
                    "--data-dir",
                    data.to_str().unwrap(),
                    "--config",
                    config.to_str().unwrap(),
                ])
                .args(["send", "--account", "acct", "--to", &bob.address])
                .args(["--subject", &format!("kill trial {trial}")])
                .args(["--body-file", body.to_str().unwrap()]),
        );
        if was_killed {
            killed += 1;
        }
        if status.success() {
            confirmed += 1;
        }
    }
    // Resume: whatever was interrupted before DATA goes out now; what was interrupted
    // during DATA waits for the user as "uncertain".
    let out = ctl(&data, &config, &["outbox", "flush", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let store = Store::open(&data, keyring.clone(), &mut OsRandom).unwrap();
    assert!(store.integrity_problems().unwrap().is_empty());
    let left = store.outbox(None).unwrap();
    for entry in &left {
        assert_eq!(
            entry.state,
            heron_store::OutboxState::Uncertain,
            "after the flush only uncertain messages wait: {entry:?}"
        );
    }
    // Drafts still being "written": killed before Send put them in the outbox. (An
    // uncertain message keeps its draft too, frozen in the outbox state.)
    let unsent_drafts: Vec<_> = store
        .drafts(None)
        .unwrap()
        .into_iter()
        .filter(|d| d.state == heron_store::DraftState::Editing)
        .collect();
    drop(store);

    // Let Postfix deliver everything it accepted, then count by Message-ID.
    std::thread::sleep(Duration::from_secs(3));
    let ids = stack.message_ids(&bob, "INBOX").unwrap();
    let mut per_id: BTreeMap<&str, usize> = BTreeMap::new();
    for id in &ids {
        *per_id.entry(id.as_str()).or_default() += 1;
    }
    let twice: Vec<_> = per_id.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "delivered twice: {twice:?}");
    for d in &unsent_drafts {
        assert!(
            !per_id.contains_key(d.message_id.as_str()),
            "a draft that never reached the outbox was not sent"
        );
    }
    // Every message is accounted for: delivered once, waiting as uncertain, a draft
    // killed before "Send" stored it in the outbox, or killed before anything was
    // stored at all (the user was never told it was saved). Every send heronctl
    // confirmed was delivered.
    let uncertain_delivered = left
        .iter()
        .filter(|e| per_id.contains_key(e.message_id.as_str()))
        .count();
    let stored = per_id.len() + (left.len() - uncertain_delivered) + unsent_drafts.len();
    assert!(
        stored <= 30,
        "delivered {}, uncertain {} ({} of them delivered), unsent drafts {}",
        per_id.len(),
        left.len(),
        uncertain_delivered,
        unsent_drafts.len()
    );
    assert!(confirmed <= per_id.len(), "a confirmed send is delivered");
    assert_eq!(killed + confirmed, 30, "each trial was killed or confirmed");
    assert!(
        confirmed >= 1 && killed >= 10,
        "kills {killed}, confirmed {confirmed}"
    );
    eprintln!(
        "kill -9 send: {killed} killed, {confirmed} confirmed, {} delivered, {} uncertain, \
         {} drafts, {} killed before anything was stored",
        per_id.len(),
        left.len(),
        unsent_drafts.len(),
        30 - stored
    );
}

#[test]
fn a_reply_to_all_reaches_the_others_threaded_and_quoting_the_original() {
    if real_keyring().is_none() {
        return;
    }
    let stack = Stack::ensure().unwrap();
    let alice = stack.add_user("reply-a").unwrap();
    let bob = stack.add_user("reply-b").unwrap();
    let carol = stack.add_user("reply-c").unwrap();
    let dir_a = tempfile::tempdir().unwrap();
    let (data_a, config_a) = provisioned(&stack, &alice, dir_a.path());
    let dir_b = tempfile::tempdir().unwrap();
    let (data_b, config_b) = provisioned(&stack, &bob, dir_b.path());

    let body = dir_a.path().join("body.txt");
    std::fs::write(&body, "Can we meet on Tuesday?\n").unwrap();
    let out = ctl(
        &data_a,
        &config_a,
        &[
            "send",
            "--account",
            "acct",
            "--to",
            &bob.address,
            "--cc",
            &carol.address,
        ]
        .into_iter()
        .chain([
            "--subject",
            "Meeting",
            "--body-file",
            body.to_str().unwrap(),
        ])
        .chain(["--json"])
        .collect::<Vec<_>>(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sent: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let original = sent["message_id"].as_str().unwrap().to_owned();
    assert_eq!(
        stack
            .wait_for_messages(&bob, "INBOX", &original, 1, Duration::from_secs(15))
            .unwrap(),
        1
    );

    assert!(
        ctl(&data_b, &config_b, &["sync", "--once"])
            .status
            .success()
    );
    let list: serde_json::Value =
        serde_json::from_slice(&ctl(&data_b, &config_b, &["list", "INBOX", "--json"]).stdout)
            .unwrap();
    let id = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["subject"] == "Meeting")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let words = dir_b.path().join("reply.txt");
    std::fs::write(&words, "Tuesday works.\n").unwrap();
    let out = ctl(
        &data_b,
        &config_b,
        &[
            "reply",
            &id.to_string(),
            "--all",
            "--body-file",
            words.to_str().unwrap(),
            "--json",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reply: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let reply_id = reply["message_id"].as_str().unwrap().to_owned();

    // Alice (the sender) and Carol (in Cc) both get it; Bob does not send to himself.
    for user in [&alice, &carol] {
        assert_eq!(
            stack
                .wait_for_messages(user, "INBOX", &reply_id, 2, Duration::from_secs(15))
                .unwrap(),
            1,
            "{}",
            user.address
        );
    }
    assert_eq!(stack.count_messages(&bob, "INBOX", &reply_id).unwrap(), 0);
    let raw = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(raw_copy(&stack, &alice, &reply_id));
    let parsed = mail_parser::MessageParser::default().parse(&raw).unwrap();
    assert_eq!(parsed.subject(), Some("Re: Meeting"));
    assert_eq!(parsed.in_reply_to().as_text(), Some(original.as_str()));
    let text = parsed.body_text(0).unwrap();
    assert!(text.starts_with("Tuesday works."), "{text}");
    assert!(text.contains("> Can we meet on Tuesday?"), "{text}");
}
