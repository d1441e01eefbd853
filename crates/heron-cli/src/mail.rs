//! The mail commands that read the store or queue actions: folders, list, show, search,
//! flag, move, delete.

use anyhow::Context as _;
use heron_api::Heron;
use heron_api::mail::{self, MessageRow};
use heron_model::AccountId;
use heron_store::Flags;

use crate::Command;

fn account(id: Option<&String>) -> anyhow::Result<Option<AccountId>> {
    id.map(|a| AccountId::new(a.clone()).context("Not a valid account id"))
        .transpose()
}

fn parse_flags(names: &[String]) -> anyhow::Result<Flags> {
    let mut out = Flags::default();
    for n in names {
        out = out
            | match n
                .trim()
                .trim_start_matches('\\')
                .to_ascii_lowercase()
                .as_str()
            {
                "seen" | "read" => Flags::SEEN,
                "flagged" => Flags::FLAGGED,
                "answered" => Flags::ANSWERED,
                "draft" => Flags::DRAFT,
                other => {
                    anyhow::bail!("Unknown flag {other:?}: use seen, flagged, answered or draft")
                }
            };
    }
    Ok(out)
}

fn print_rows(rows: &[MessageRow]) {
    for m in rows {
        let seen = if m.flags.contains(&"\\Seen") {
            ' '
        } else {
            '*'
        };
        println!(
            "{}\t{seen}\t{}\t{} <{}>\t{}",
            m.id, m.date, m.from_name, m.from_addr, m.subject
        );
    }
}

/// Runs one of the store-reading or action commands.
pub(crate) fn run(heron: &Heron, command: &Command, json: bool) -> anyhow::Result<()> {
    let mut store = heron.open_store()?;
    let out = |value: serde_json::Value| println!("{value}");
    match command {
        Command::Folders { account: a } => {
            let list = mail::folders(&store, account(a.as_ref())?.as_ref())?;
            if json {
                out(serde_json::to_value(&list)?);
            } else {
                for f in list {
                    println!(
                        "{}\t{}\t{}\t{} unread\t{}",
                        f.account, f.name, f.total, f.unread, f.special_use
                    );
                }
            }
        }
        Command::List {
            folder,
            account: a,
            limit,
        } => {
            let page = mail::list(&store, account(a.as_ref())?.as_ref(), folder, *limit, None)?;
            if json {
                out(serde_json::to_value(&page)?);
            } else {
                print_rows(&page.items);
            }
        }
        Command::Show { id } => {
            let m = mail::show(&store, *id)?;
            if json {
                out(serde_json::to_value(&m)?);
            } else {
                println!("From: {} <{}>", m.summary.from_name, m.summary.from_addr);
                println!("Subject: {}", m.summary.subject);
                println!("Folder: {}  Flags: {}", m.folder, m.summary.flags.join(" "));
                for note in &m.view.security_notes {
                    println!("Warning: {}", note.code());
                }
                for a in &m.view.attachments {
                    println!(
                        "Attachment: {} ({}, {} bytes)",
                        a.file_name, a.content_type, a.size
                    );
                }
                println!();
                if m.downloaded {
                    println!("{}", m.view.text_body);
                } else {
                    println!("(The body is not downloaded yet; run sync.)");
                }
            }
        }
        Command::Search { query, limit } => {
            let rows = mail::search(&store, query, *limit)?;
            if json {
                out(serde_json::to_value(&rows)?);
            } else {
                print_rows(&rows);
            }
        }
        Command::Flag { ids, add, remove } => {
            let q = mail::flag(&mut store, ids, parse_flags(add)?, parse_flags(remove)?)?;
            out(serde_json::to_value(&q)?);
        }
        Command::Move { to, ids } => {
            let q = mail::move_to(&mut store, ids, to)?;
            out(serde_json::to_value(&q)?);
        }
        Command::Delete { ids } => {
            let q = mail::delete(&mut store, ids)?;
            out(serde_json::to_value(&q)?);
        }
        _ => anyhow::bail!("Not a mail command"),
    }
    Ok(())
}
