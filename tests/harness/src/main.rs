//! `heron-harness`: start, inspect, seed and stop the real-server test stack by hand.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use heron_harness::{Stack, seed::SeedOptions};

/// The real-server test stack (Dovecot, Postfix, Radicale, OpenLDAP, glewlwyd on 127.0.0.1).
#[derive(Parser, Debug)]
#[command(name = "heron-harness", about)]
struct Cli {
    /// Stack directory (default: $HERON_HARNESS_DIR or /tmp/heron-harness).
    #[arg(long, global = true)]
    dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Start the stack, or reuse it if it runs; print its description as JSON.
    Start,
    /// Stop every server the stack started.
    Stop,
    /// Stop or start Dovecot alone: clients see the IMAP server go away and come back.
    Dovecot {
        /// `stop` or `start`.
        #[arg(value_parser = ["stop", "start"])]
        action: String,
    },
    /// Fill a user's mailbox with generated mail.
    Seed {
        /// A default user: alice, bob or carol.
        #[arg(long, default_value = "alice")]
        user: String,
        /// How many messages.
        #[arg(long, default_value_t = 1000)]
        messages: usize,
        /// Seed of the generator (same seed, same mail).
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Print what an app needs to sign in at the stack's OAuth 2.0 provider, as JSON.
    Idp,
    /// Write the managed configuration that provisions a default user on this stack.
    Config {
        /// A default user: alice, bob or carol.
        #[arg(long, default_value = "alice")]
        user: String,
        /// Where to write it (stdout when absent).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

fn main() -> std::process::ExitCode {
    match run(Cli::parse()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("heron-harness: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    let dir = cli.dir.unwrap_or_else(Stack::default_dir);
    let ensure = || Stack::ensure_at(&dir, Stack::port_base()?);
    match cli.command {
        Cmd::Start => {
            let stack = ensure()?;
            println!("{}", serde_json::to_string_pretty(stack.info())?);
        }
        Cmd::Stop => {
            if Stack::stop_at(&dir)? {
                eprintln!("Stopped the stack in {}", dir.display());
            } else {
                eprintln!("No stack was running in {}", dir.display());
            }
        }
        Cmd::Dovecot { action } => {
            if action == "stop" {
                Stack::stop_dovecot_at(&dir)?;
            } else {
                Stack::start_dovecot_at(&dir)?;
            }
        }
        Cmd::Seed {
            user,
            messages,
            seed,
        } => {
            let stack = ensure()?;
            let user = stack.user(&user)?;
            let mut options = SeedOptions::new(messages, "Alice Martin", &user.address);
            options.seed = seed;
            let started = std::time::Instant::now();
            let report = stack.seed_mailbox(&user, &options)?;
            eprintln!(
                "Seeded {} messages ({} bytes) for {} in {:.1} s",
                report.total_messages,
                report.total_bytes,
                user.address,
                started.elapsed().as_secs_f64()
            );
        }
        Cmd::Idp => {
            let idp = ensure()?.idp();
            let about = serde_json::json!({
                "issuer": idp.issuer(),
                "discovery": idp.discovery_url(),
                "authorization_endpoint": idp.authorization_endpoint(),
                "token_endpoint": idp.token_endpoint(),
                "userinfo_endpoint": idp.userinfo_endpoint(),
                "jwks_uri": idp.jwks_uri(),
                "client_id": idp.client_id(),
                "scopes": heron_harness::idp::SCOPES,
                "ca_pem": idp.ca_pem(),
            });
            println!("{}", serde_json::to_string_pretty(&about)?);
        }
        Cmd::Config { user, out } => {
            let stack = ensure()?;
            let u = stack.user(&user)?;
            let name = match user.as_str() {
                "alice" => "Alice Martin",
                "bob" => "Bob Chen",
                _ => "Carol Li",
            };
            let text = serde_json::to_string_pretty(&stack.heron_config(&user, name, &u))?;
            match out {
                Some(path) => std::fs::write(&path, text)
                    .with_context(|| format!("Cannot write {}", path.display()))?,
                None => println!("{text}"),
            }
        }
    }
    Ok(())
}
