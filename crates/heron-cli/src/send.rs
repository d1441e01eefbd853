//! `heronctl send|reply|forward|outbox`: writing a message headlessly goes through the
//! same draft and outbox as the window, so the CLI sends at most once too.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Subcommand;
use heron_api::Heron;
use heron_api::send::{self, DraftContent, NewAttachment, OutboxView, Respond, SendAt};
use heron_model::AccountId;

/// What `heronctl send` takes.
#[derive(clap::Args, Debug)]
pub(crate) struct SendArgs {
    /// The account to send from.
    #[arg(long)]
    account: String,
    /// Send as this identity's address (default: the account's).
    #[arg(long)]
    from: Option<String>,
    /// Recipients (repeat, or separate with commas).
    #[arg(long)]
    to: Vec<String>,
    /// Copy recipients.
    #[arg(long)]
    cc: Vec<String>,
    /// Blind copy recipients.
    #[arg(long)]
    bcc: Vec<String>,
    /// Subject.
    #[arg(long, default_value = "")]
    subject: String,
    /// The plain text body (UTF-8).
    #[arg(long)]
    body_file: Option<PathBuf>,
    /// An HTML body (UTF-8); the text part is derived from it when --body-file is absent.
    #[arg(long)]
    html_file: Option<PathBuf>,
    /// Files to attach.
    #[arg(long)]
    attach: Vec<PathBuf>,
    /// Images the HTML shows as `cid:ID`, as ID=FILE.
    #[arg(long)]
    inline: Vec<String>,
    /// Do not append the identity's signature.
    #[arg(long)]
    no_signature: bool,
}

/// What `heronctl reply` and `heronctl forward` take.
#[derive(clap::Args, Debug)]
pub(crate) struct RespondArgs {
    /// The message answered (its id from list or search).
    id: i64,
    /// Reply to everyone (reply only).
    #[arg(long)]
    all: bool,
    /// Forward to these (forward only; repeat, or separate with commas).
    #[arg(long)]
    to: Vec<String>,
    /// Forward the original as an attached .eml instead of quoting it.
    #[arg(long)]
    as_attachment: bool,
    /// The user's words, put above the quoted original (UTF-8).
    #[arg(long)]
    body_file: Option<PathBuf>,
    /// Do not append the identity's signature.
    #[arg(long)]
    no_signature: bool,
}

/// `heronctl outbox ...`.
#[derive(Subcommand, Debug)]
pub(crate) enum OutboxCommand {
    /// List what is in the outbox and its state.
    List,
    /// Send what is due now, then file the Sent copies.
    Flush,
    /// Decide about a message whose delivery is uncertain.
    Resolve {
        /// Outbox id.
        id: i64,
        /// Send it again (it may arrive twice).
        #[arg(long, conflicts_with = "mark_sent")]
        resend: bool,
        /// Count it as sent (it may not have arrived).
        #[arg(long)]
        mark_sent: bool,
    },
    /// Take back a message that has not left yet.
    Cancel {
        /// Outbox id.
        id: i64,
    },
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("Cannot start the async runtime")
}

fn read_text(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("Cannot read {}", path.display()))
}

/// The MIME type of a file from its extension; the receiving side decides by content
/// anyway, this only helps it pick a viewer.
fn content_type(path: &Path) -> &'static str {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    match ext.as_str() {
        "pdf" => "application/pdf",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "txt" | "log" => "text/plain",
        "csv" => "text/csv",
        "html" | "htm" => "text/html",
        "ics" => "text/calendar",
        "eml" => "message/rfc822",
        "zip" => "application/zip",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        _ => "application/octet-stream",
    }
}

fn attachment(path: &Path, content_id: Option<String>) -> anyhow::Result<NewAttachment> {
    let data = std::fs::read(path).with_context(|| format!("Cannot read {}", path.display()))?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "attachment".to_owned());
    Ok(NewAttachment {
        file_name,
        content_type: content_type(path).to_owned(),
        data,
        content_id,
    })
}

/// `send`: saves the message as a draft, puts it in the outbox, sends it and files the
/// Sent copy. Exits non-zero unless the server accepted it.
pub(crate) fn send(heron: &Heron, args: &SendArgs, json: bool) -> anyhow::Result<()> {
    let _lock = heron.lock_instance()?;
    let mut store = heron.open_store()?;
    let account = AccountId::new(args.account.clone()).context("Not a valid account id")?;
    let mut text = args.body_file.as_deref().map(read_text).transpose()?;
    let html = args.html_file.as_deref().map(read_text).transpose()?;
    let from = args.from.clone().unwrap_or_default();
    if !args.no_signature
        && let Some(signature) = heron.signature(&account, &from)?
        && let Some(body) = text.as_mut()
    {
        body.push_str("\n-- \n");
        body.push_str(&signature);
    }
    let mut attachments = Vec::new();
    for path in &args.attach {
        attachments.push(attachment(path, None)?);
    }
    for spec in &args.inline {
        let (cid, path) = spec
            .split_once('=')
            .context("--inline takes ID=FILE, e.g. logo=logo.png")?;
        attachments.push(attachment(Path::new(path), Some(cid.to_owned()))?);
    }
    let content = DraftContent {
        from,
        to: args.to.join(", "),
        cc: args.cc.join(", "),
        bcc: args.bcc.join(", "),
        subject: args.subject.clone(),
        text,
        html,
        ..DraftContent::default()
    };
    deliver(heron, &mut store, &account, content, attachments, json)
}

/// `reply` and `forward`: the draft starts from the stored original, the user's words
/// go above the quote, then it is sent like `send`.
pub(crate) fn respond(
    heron: &Heron,
    args: &RespondArgs,
    forward: bool,
    json: bool,
) -> anyhow::Result<()> {
    let _lock = heron.lock_instance()?;
    let mut store = heron.open_store()?;
    let how = match (forward, args.all, args.as_attachment) {
        (false, false, _) => Respond::Reply,
        (false, true, _) => Respond::ReplyAll,
        (true, _, false) => Respond::Forward,
        (true, _, true) => Respond::ForwardAsAttachment,
    };
    let start = heron.respond_to(&store, args.id, how)?;
    let mut content = start.content;
    if forward {
        anyhow::ensure!(!args.to.is_empty(), "Say whom to forward to with --to");
        content.to = args.to.join(", ");
    }
    let mut words = args
        .body_file
        .as_deref()
        .map(read_text)
        .transpose()?
        .unwrap_or_default();
    if !args.no_signature
        && let Some(signature) = heron.signature(&start.account, "")?
    {
        words.push_str("\n-- \n");
        words.push_str(&signature);
    }
    send::write_above_quote(&mut content, &words);
    deliver(
        heron,
        &mut store,
        &start.account,
        content,
        start.attachments,
        json,
    )
}

/// Saves the draft, puts it in the outbox, sends it and files the Sent copy; exits
/// non-zero unless the server accepted it.
fn deliver(
    heron: &Heron,
    store: &mut heron_store::Store,
    account: &AccountId,
    content: DraftContent,
    attachments: Vec<NewAttachment>,
    json: bool,
) -> anyhow::Result<()> {
    let store = &mut *store;
    let draft = heron.save_draft(store, account, None, content, attachments)?;
    let queued = heron.send_draft(store, draft.id, SendAt::Now)?;
    let runtime = runtime()?;
    runtime.block_on(heron.flush_outbox(store))?;
    let entry = send::outbox(store)?
        .into_iter()
        .find(|o| o.id == queued.outbox);
    // The Sent copy: a failure here leaves it queued for the next sync, the message
    // itself is sent either way.
    let filed = runtime.block_on(heron.replay_operations(store));
    let state = entry.as_ref().map_or("sent", |e| e.state);
    if json {
        println!(
            "{}",
            serde_json::json!({
                "message_id": queued.message_id,
                "outbox": queued.outbox,
                "state": state,
                "error": entry.as_ref().map(|e| &e.error),
                "error_code": entry.as_ref().map(|e| &e.error_code),
                "sent_copy_error": filed.as_ref().err().map(|e| &e.message),
            })
        );
    } else {
        println!("<{}>: {state}", queued.message_id);
        if let Err(e) = &filed {
            eprintln!(
                "The Sent copy will be filed by the next sync: {}",
                e.message
            );
        }
    }
    match entry {
        None => Ok(()),
        Some(e) if e.state == "sent" => Ok(()),
        Some(e) => anyhow::bail!("The message was not sent ({}): {}", e.state, e.error),
    }
}

fn print_outbox(list: &[OutboxView], json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string(list)?);
    } else if list.is_empty() {
        println!("The outbox is empty.");
    } else {
        for o in list {
            println!(
                "{}\t{}\t{}\t<{}>\t{}",
                o.id, o.account, o.state, o.message_id, o.error
            );
        }
    }
    Ok(())
}

/// `outbox list|flush|resolve|cancel`.
pub(crate) fn outbox(heron: &Heron, command: &OutboxCommand, json: bool) -> anyhow::Result<()> {
    let _lock = heron.lock_instance()?;
    let mut store = heron.open_store()?;
    match command {
        OutboxCommand::List => print_outbox(&send::outbox(&store)?, json)?,
        OutboxCommand::Flush => {
            let runtime = runtime()?;
            let results = runtime.block_on(heron.flush_outbox(&mut store))?;
            let filed = runtime.block_on(heron.replay_operations(&mut store));
            if json {
                println!("{}", serde_json::to_string(&results)?);
            }
            print_outbox(&send::outbox(&store)?, json)?;
            if let Err(e) = filed {
                eprintln!(
                    "The Sent copies will be filed by the next sync: {}",
                    e.message
                );
            }
            if let Some(e) = results.iter().find_map(|r| r.error.as_ref()) {
                anyhow::bail!("{}", e.message);
            }
        }
        OutboxCommand::Resolve {
            id,
            resend,
            mark_sent,
        } => {
            if !resend && !mark_sent {
                anyhow::bail!("Say --resend or --mark-sent");
            }
            if !heron.resolve_uncertain(&mut store, *id, *resend)? {
                anyhow::bail!("Outbox entry {id} is not waiting for a decision");
            }
            print_outbox(&send::outbox(&store)?, json)?;
        }
        OutboxCommand::Cancel { id } => {
            if !send::cancel_send(&mut store, *id)? {
                anyhow::bail!("Outbox entry {id} has already left or does not exist");
            }
            print_outbox(&send::outbox(&store)?, json)?;
        }
    }
    Ok(())
}
