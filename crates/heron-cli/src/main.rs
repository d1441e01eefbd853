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
    /// Check or show configuration.
    Policy {
        #[command(subcommand)]
        command: PolicyCommand,
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
            eprintln!("heronctl: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let open = || {
        Heron::open(&HeronOptions {
            config_path: cli.config.clone(),
            data_dir: cli.data_dir.clone(),
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
            wipe(dir, *yes, cli.json)?;
        }
        Command::Policy { command } => return policy(command, cli.json, open),
    }
    Ok(())
}

/// `wipe`: without `--yes` a dry run that fails, so a script that forgot the flag notices.
fn wipe(dir: &Path, yes: bool, json: bool) -> anyhow::Result<()> {
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
                "{}: {} bytes of database, {} encrypted files ({} bytes), and the key in the OS keyring",
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
    let summary = local_data::wipe_local_data(dir, local_data::os_keyring())?;
    if json {
        println!("{}", serde_json::json!({"wiped": true, "deleted": summary}));
    } else {
        println!(
            "Wiped {}: key and {} keyring entries deleted, {} files deleted; nothing is left",
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
