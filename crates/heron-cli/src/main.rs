//! `heronctl`: Heron without a window, on heron-api.

use std::path::PathBuf;
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
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// List the configured accounts.
    Accounts,
    /// Show the signed-in user's profile.
    Profile,
    /// Check or show configuration.
    Policy {
        #[command(subcommand)]
        command: PolicyCommand,
    },
}

#[derive(Subcommand, Debug)]
enum PolicyCommand {
    /// Check a configuration file; exit 0 when it is valid.
    Check {
        /// The file to check.
        file: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
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
        Command::Policy {
            command: PolicyCommand::Check { file },
        } => {
            let count = Heron::check_config(file)?;
            if cli.json {
                println!(
                    "{}",
                    serde_json::json!({"valid": true, "accounts": count.0})
                );
            } else {
                println!("{}: valid, {} account(s)", file.display(), count.0);
            }
        }
    }
    Ok(())
}
