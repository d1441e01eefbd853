//! `heronctl`: Heron without a window, on heron-api.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use heron_api::{Heron, HeronOptions};

/// Heron's headless commands for admins, tests and benchmarks.
#[derive(Parser, Debug)]
#[command(name = "heronctl", version, about)]
struct Cli {
    /// Configuration file (the managed-policy format); default: $HERON_CONFIG, then the
    /// system policy.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    /// Heron's data directory (user settings); default: none, so only defaults and
    /// managed policy apply.
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// Where the store's key file is, when no OS keyring can be reached and the policy
    /// security.key_file_fallback_allowed allows one (wipe deletes it from there too);
    /// must be outside the data directory. Default: the per-user config directory
    /// ($XDG_CONFIG_HOME/heron/keys or ~/.config/heron/keys on Linux), as the app uses.
    #[arg(long, global = true)]
    key_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// List the configured accounts.
    Accounts,
    /// Show the signed-in user's profile.
    Profile,
    /// Delete everything Heron keeps in the data directory (--data-dir): the store's key
    /// first, so nothing left behind can be read, then the files; then verify.
    Wipe {
        /// Really delete; without it, only say what would be deleted.
        #[arg(long)]
        yes: bool,
    },
    /// Send what the outbox holds, then sync every configured account: once with
    /// --once, else keep syncing as mail arrives (IDLE, or polling where the server
    /// cannot push).
    Sync {
        /// Sync once and exit.
        #[arg(long)]
        once: bool,
        /// Headers only: leave bodies on the server.
        #[arg(long)]
        no_bodies: bool,
    },
    /// List the folders of every account.
    Folders {
        /// Only this account.
        #[arg(long)]
        account: Option<String>,
    },
    /// List a folder, newest first.
    List {
        /// Folder name (e.g. INBOX).
        folder: String,
        /// Account, when several have a folder of that name.
        #[arg(long)]
        account: Option<String>,
        /// How many messages.
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Show one message (its id from list or search).
    Show {
        /// Message id.
        id: i64,
    },
    /// Search the local index (from:, to:, subject:, has:attachment, in:folder, ...).
    Search {
        /// The query.
        query: String,
        /// How many results.
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Set or clear flags (seen, flagged, answered, draft); applied to the server by the
    /// next sync.
    Flag {
        /// Message ids.
        #[arg(required = true)]
        ids: Vec<i64>,
        /// Flags to set.
        #[arg(long, value_delimiter = ',')]
        add: Vec<String>,
        /// Flags to clear.
        #[arg(long, value_delimiter = ',')]
        remove: Vec<String>,
    },
    /// Move messages to a folder; applied to the server by the next sync.
    Move {
        /// Target folder.
        #[arg(long)]
        to: String,
        /// Message ids.
        #[arg(required = true)]
        ids: Vec<i64>,
    },
    /// Delete messages (to Trash; from Trash, for good); applied by the next sync.
    Delete {
        /// Message ids.
        #[arg(required = true)]
        ids: Vec<i64>,
    },
    /// Write and send a message: saved as a draft, put in the outbox, sent at most once,
    /// then filed in Sent.
    Send(send::SendArgs),
    /// Reply to a stored message (to everyone with --all), quoting it; sent like `send`.
    Reply(send::RespondArgs),
    /// Forward a stored message (--as-attachment for a .eml); sent like `send`.
    Forward(send::RespondArgs),
    /// List, send, resolve or cancel what is in the outbox.
    Outbox {
        #[command(subcommand)]
        command: send::OutboxCommand,
    },
    /// Show or accept the privacy notice (nothing syncs until it is accepted).
    Privacy {
        #[command(subcommand)]
        command: PrivacyCommand,
    },
    /// Check or show configuration.
    Policy {
        #[command(subcommand)]
        command: PolicyCommand,
    },
}

#[derive(Subcommand, Debug)]
enum PrivacyCommand {
    /// Print the notice in force and whether it is accepted.
    Show,
    /// Accept the notice in force (its version must be named, as the user saw it).
    Accept {
        /// The version accepted.
        #[arg(long)]
        version: String,
    },
}

#[derive(Subcommand, Debug)]
enum PolicyCommand {
    /// Check a configuration file; exit 0 when it is valid, else 1 with every error.
    Check {
        /// The file to check.
        file: PathBuf,
    },
    /// Show the effective configuration with the source of each value, secrets redacted.
    Show,
    /// Write the JSON Schema of policy files.
    Schema {
        /// Where to write it (docs/policy.schema.json).
        #[arg(long)]
        out: PathBuf,
    },
    /// Write the policy reference page.
    Docs {
        /// Where to write it (docs/POLICIES.md).
        #[arg(long)]
        out: PathBuf,
    },
    /// Write the Windows Group Policy templates: DIR/heron.admx and DIR/en-US/heron.adml.
    Admx {
        /// The directory (docs/admx).
        #[arg(long)]
        out: PathBuf,
    },
}

mod mail;
mod send;

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::Policy {
        command: PolicyCommand::Check { file },
    } = &cli.command
    {
        return check(file, cli.json);
    }
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // The error code is what a script branches on, as the UI does.
            match e
                .chain()
                .find_map(|cause| cause.downcast_ref::<heron_api::ApiError>())
                .and_then(|api| serde_json::to_value(api.code).ok())
            {
                Some(serde_json::Value::String(code)) => eprintln!("heronctl: {e:#} ({code})"),
                _ => eprintln!("heronctl: {e:#}"),
            }
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let open = || {
        Heron::open(&HeronOptions {
            config_path: cli.config.clone(),
            data_dir: cli.data_dir.clone(),
            key_dir: cli.key_dir.clone(),
            ..HeronOptions::default()
        })
        .context("Cannot load the configuration")
    };
    match &cli.command {
        Command::Accounts => {
            let accounts = open()?.accounts();
            if cli.json {
                println!("{}", serde_json::to_string_pretty(&accounts)?);
            } else if accounts.is_empty() {
                println!("No accounts are configured.");
            } else {
                for a in accounts {
                    println!(
                        "{}\t{} <{}>\t{}\t{}",
                        a.id, a.display_name, a.email, a.incoming, a.outgoing
                    );
                }
            }
        }
        Command::Profile => {
            let profile = open()?.profile();
            if cli.json {
                println!("{}", serde_json::to_string_pretty(&profile)?);
            } else {
                match profile {
                    Some(p) => println!("{} <{}>", p.display_name, p.email),
                    None => println!("No account is configured, so there is no profile."),
                }
            }
        }
        Command::Wipe { yes } => {
            let dir = cli
                .data_dir
                .as_deref()
                .context("wipe needs --data-dir: the directory whose data to delete")?;
            wipe(dir, cli.key_dir.clone(), *yes, cli.json)?;
        }
        Command::Policy { command } => return policy(command, cli.json, open),
        Command::Privacy { command } => privacy(&open()?, command, cli.json)?,
        Command::Sync { once, no_bodies } => sync(&open()?, *once, *no_bodies, cli.json)?,
        Command::Send(args) => send::send(&open()?, args, cli.json)?,
        Command::Reply(args) => send::respond(&open()?, args, false, cli.json)?,
        Command::Forward(args) => send::respond(&open()?, args, true, cli.json)?,
        Command::Outbox { command } => send::outbox(&open()?, command, cli.json)?,
        other => mail::run(&open()?, other, cli.json)?,
    }
    Ok(())
}

fn privacy(heron: &Heron, command: &PrivacyCommand, json: bool) -> anyhow::Result<()> {
    match command {
        PrivacyCommand::Show => {
            let view = heron.privacy_notice()?;
            if json {
                println!("{}", serde_json::to_string_pretty(&view)?);
            } else {
                println!(
                    "Version {} (effective {})\n\n{}",
                    view.version, view.effective, view.text
                );
                println!(
                    "\n{}",
                    if view.must_accept {
                        "Not accepted yet."
                    } else {
                        "Accepted."
                    }
                );
            }
        }
        PrivacyCommand::Accept { version } => {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or_default();
            heron.accept_privacy_notice(version, now)?;
            if json {
                println!("{}", serde_json::json!({"accepted": version}));
            } else {
                println!("Accepted the privacy notice {version}.");
            }
        }
    }
    Ok(())
}

/// `sync`: one JSON object (or line of text) per account per pass.
fn sync(heron: &Heron, once: bool, no_bodies: bool, json: bool) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("Cannot start the async runtime")?;
    // Sync sends what the outbox holds: one process per data directory.
    let _lock = heron.lock_instance()?;
    let mut store = heron.open_store()?;
    // Accounts the admin removed leave this machine before anything syncs.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    for removed in heron.apply_account_removals(&mut store, now)? {
        eprintln!(
            "{}: removed by your administrator; its local data was wiped from this computer",
            removed.account
        );
    }
    let options = heron_sync::SyncOptions {
        bodies: !no_bodies,
        ..heron_sync::SyncOptions::default()
    };
    runtime.block_on(async {
        loop {
            for r in heron.flush_outbox(&mut store).await? {
                if let Some(e) = r.error {
                    eprintln!("{}: the outbox could not be sent: {}", r.account, e.message);
                }
            }
            let results = heron.sync_accounts(&mut store, &options, None).await?;
            let mut failed = 0;
            for r in &results {
                if json {
                    println!("{}", serde_json::to_string(r)?);
                } else if let Some(rep) = &r.report {
                    println!(
                        "{}: {} folders, {} messages ({} new, {} removed), {} bodies, {} bytes, {} operations, {:.2} s",
                        r.account, rep.folders, rep.messages, rep.new_messages, rep.removed_messages,
                        rep.bodies, rep.bytes, rep.operations, rep.seconds
                    );
                } else if let Some(e) = &r.error {
                    eprintln!("{}: {} ({})", r.account, e.message, serde_json::to_string(&e.code)?);
                }
                if r.error.is_some() {
                    failed += 1;
                }
            }
            if once {
                if failed > 0 {
                    anyhow::bail!("{failed} account(s) could not be synced");
                }
                return Ok(());
            }
            // Errors while waiting (a dropped connection) just mean: sync again.
            let _ = heron
                .wait_for_mail(&store, heron_sync::push::IDLE_RENEW)
                .await;
        }
    })
}

/// `wipe`: without `--yes` a dry run that fails, so a script that forgot the flag notices.
/// Needs no configuration: a broken policy must not keep an admin from wiping.
fn wipe(dir: &Path, key_dir: Option<PathBuf>, yes: bool, json: bool) -> anyhow::Result<()> {
    use heron_api::local_data;
    if !yes {
        let summary = local_data::local_data_summary(dir)?;
        if json {
            println!(
                "{}",
                serde_json::json!({"wiped": false, "would_delete": summary})
            );
        } else {
            println!(
                "{}: {} bytes of database, {} encrypted files ({} bytes), and the key (in the OS keyring or the key file)",
                dir.display(),
                summary.database_bytes,
                summary.blob_files,
                summary.blob_bytes
            );
        }
        anyhow::bail!(
            "Nothing was deleted: add --yes to delete it (unsent mail in the outbox is lost too)"
        );
    }
    let keys = local_data::KeyLocations::new(None, key_dir);
    let summary = local_data::wipe_local_data(dir, &keys)?;
    if json {
        println!("{}", serde_json::json!({"wiped": true, "deleted": summary}));
    } else {
        println!(
            "Wiped {}: {} secrets deleted (the key first; from the keyring and the key file), {} files deleted; nothing is left",
            dir.display(),
            summary.secrets_deleted,
            summary.files_deleted
        );
    }
    Ok(())
}

/// `policy check`: every error on its own line on stderr, exit 1; or "valid" and exit 0.
fn check(file: &Path, json: bool) -> ExitCode {
    match Heron::check_config(file) {
        Ok(count) => {
            if json {
                println!(
                    "{}",
                    serde_json::json!({"valid": true, "accounts": count.0})
                );
            } else {
                println!("{}: valid, {} account(s)", file.display(), count.0);
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            if json {
                let errors: Vec<&str> = e.message.lines().collect();
                println!("{}", serde_json::json!({"valid": false, "errors": errors}));
            } else {
                eprintln!("{}", e.message);
            }
            ExitCode::FAILURE
        }
    }
}

fn write(path: &Path, text: &str) -> anyhow::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("Cannot create {}", parent.display()))?;
    }
    std::fs::write(path, text).with_context(|| format!("Cannot write {}", path.display()))
}

fn policy(
    command: &PolicyCommand,
    json: bool,
    open: impl Fn() -> anyhow::Result<Heron>,
) -> anyhow::Result<()> {
    use heron_policy::generate;
    match command {
        // Handled in main, which owns the exit code.
        PolicyCommand::Check { .. } => {}
        PolicyCommand::Show => {
            let heron = open()?;
            if json {
                println!("{}", serde_json::to_string_pretty(&heron.policy_report())?);
            } else {
                print!("{}", heron.policy());
            }
        }
        PolicyCommand::Schema { out } => write(out, &generate::json_schema())?,
        PolicyCommand::Docs { out } => write(out, &generate::reference_markdown())?,
        PolicyCommand::Admx { out } => {
            write(&out.join("heron.admx"), &generate::admx())?;
            write(&out.join("en-US").join("heron.adml"), &generate::adml())?;
        }
    }
    Ok(())
}
