//! The window's composer against the real Postfix and Dovecot: a reply keeps the
//! user's words apart from the quote while it is written, pasted images become inline
//! parts, the sent message carries words, quote, image and file, and arrives; undo
//! brings a queued message back as it was written; autocomplete knows the people the
//! user corresponds with.

use std::time::Duration;

use base64::Engine as _;
use heron_api::composer::{AddedFile, ComposerInput};
use heron_api::send::{Respond, SendAt};
use heron_harness::Stack;
use mail_parser::{MessageParser, MimeHeaders as _};

use super::send::{keyring_available, machine, runtime, synced_machine};

const PNG_B64: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGP4z8DwHwAFAAH/iZk9HQAAAABJRU5ErkJggg==";

fn input_from(state: &heron_api::composer::ComposerState) -> ComposerInput {
    ComposerInput {
        draft_id: state.draft_id,
        account: state.account.clone(),
        from: state.from.clone(),
        to: state.to.clone(),
        cc: state.cc.clone(),
        bcc: state.bcc.clone(),
        subject: state.subject.clone(),
        body_html: state.body_html.clone(),
        plain_text: state.plain_text,
        body_text: state.body_text.clone(),
        new_attachments: Vec::new(),
        removed_attachments: Vec::new(),
    }
}

#[test]
fn a_reply_written_in_the_composer_arrives_with_words_quote_image_and_file() {
    if !keyring_available() {
        return;
    }
    let stack = Stack::ensure().unwrap();
    let alice = stack.add_user("compose-a").unwrap();
    let bob = stack.add_user("compose-b").unwrap();
    let original = format!(
        "Message-ID: <compose-original@example.test>\r\nFrom: Bob Builder <{}>\r\n\
         To: Alice <{}>\r\nSubject: Budget draft\r\nDate: Mon, 02 Mar 2026 10:00:00 +0000\r\n\
         Content-Type: text/html; charset=utf-8\r\n\r\n<p>Can you review <b>the numbers</b>?</p>\
         <script>alert(1)</script>\r\n",
        bob.address, alice.address
    );
    stack
        .put_in_inbox(&alice, &[original.into_bytes()])
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (heron, mut store, id) = synced_machine(&stack, &alice, dir.path());
    let rt = runtime();

    // Autocomplete knows Bob from his mail.
    let found = heron_api::composer::recent_correspondents(&store, "build", 8).unwrap();
    assert_eq!(found[0].address, bob.address);
    assert_eq!(found[0].name, "Bob Builder");

    let state = heron
        .compose_response(&mut store, id, Respond::Reply)
        .unwrap();
    assert!(state.draft_id.is_some(), "a reply is saved at once");
    assert_eq!(state.subject, "Re: Budget draft");
    assert!(state.to.contains(&bob.address));
    let quote = state.quote.clone().unwrap();
    assert!(quote.text.contains("the numbers"), "{}", quote.text);
    assert!(
        !state.body_html.contains("numbers"),
        "the quote is not the user's to edit"
    );

    let mut input = input_from(&state);
    input.body_html = format!(
        "<p>Looks good, see the <b>chart</b>:</p><img src=\"data:image/png;base64,{PNG_B64}\"><p onclick=\"x()\">Thanks</p>"
    );
    input.new_attachments.push(AddedFile {
        file_name: "numbers.csv".to_owned(),
        content_type: "text/csv".to_owned(),
        data_base64: base64::engine::general_purpose::STANDARD.encode("q1,100\nq2,120\n"),
    });
    let saved = heron
        .save_composer(&mut store, input, 1_800_000_000)
        .unwrap();
    assert_eq!(saved.attachments.len(), 2, "{:?}", saved.attachments);

    // Reopened, the draft is as written: words (with the image back as data:), quote apart.
    let again = heron.composer_state(&store, saved.draft_id).unwrap();
    assert!(
        again.body_html.contains("<b>chart</b>"),
        "{}",
        again.body_html
    );
    assert!(again.body_html.contains("data:image/png;base64,"));
    assert!(
        !again.body_html.contains("onclick"),
        "the user's HTML is sanitised too"
    );
    assert_eq!(again.quote, state.quote);

    // Undo: queued, taken back, the same draft returns.
    let queued = heron
        .send_draft(&mut store, saved.draft_id, SendAt::AfterUndoDelay)
        .unwrap();
    let back = heron.undo_send(&mut store, queued.outbox).unwrap();
    assert_eq!(back.draft_id, Some(saved.draft_id));
    assert!(back.body_html.contains("<b>chart</b>"));

    let queued = heron
        .send_draft(&mut store, saved.draft_id, SendAt::Now)
        .unwrap();
    rt.block_on(heron.flush_outbox(&mut store)).unwrap();
    let message_id = queued.message_id.clone();
    assert_eq!(
        stack
            .wait_for_messages(&bob, "INBOX", &message_id, 1, Duration::from_secs(20))
            .unwrap(),
        1
    );

    // What Bob got: the words, the quote, the inline image referenced by cid, the file.
    let bob_dir = tempfile::tempdir().unwrap();
    let bob_heron = machine(&stack, &bob, bob_dir.path());
    let mut bob_store = bob_heron.open_store().unwrap();
    rt.block_on(bob_heron.sync_accounts(&mut bob_store, &heron_sync::SyncOptions::default(), None))
        .unwrap();
    let row = heron_api::mail::list(&bob_store, None, "INBOX", 10, None)
        .unwrap()
        .items
        .into_iter()
        .find(|m| m.message_id == message_id)
        .unwrap();
    let raw = bob_store
        .raw_message(heron_store::MessageRowId(row.id))
        .unwrap()
        .unwrap();
    let parsed = MessageParser::default().parse(&raw[..]).unwrap();
    let html = parsed.body_html(0).unwrap().into_owned();
    assert!(html.contains("<b>chart</b>"), "{html}");
    assert!(html.contains("the numbers"), "the quote is sent: {html}");
    assert!(!html.contains("<script"), "{html}");
    let cid = html
        .split("cid:")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    assert!(
        parsed.parts.iter().any(|p| p.content_id() == Some(cid)),
        "the image part {cid} is in the message"
    );
    assert!(
        parsed
            .attachments()
            .any(|a| a.attachment_name() == Some("numbers.csv"))
    );
    assert_eq!(
        parsed.in_reply_to().as_text(),
        Some("compose-original@example.test")
    );
}
