//! Heron's developer entry points: `cargo xtask demo`, `cargo xtask test`,
//! `cargo xtask bench-sync`, and the pieces they are made of. Each step says what it
//! does before it does it, and every process a step starts is stopped when the step
//! ends, also when it fails.

mod bench_sync;
mod bench_ui;
mod e2e;
mod hostile;
mod process;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use heron_harness::{Stack, seed::SeedOptions};

use crate::process::{Step, run};

#[derive(Parser, Debug)]
#[command(name = "cargo xtask", about = "Heron's developer entry points")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Install what is missing, build, start the demo servers with sample mail, provision
    /// a demo account and open the window.
    Demo {
        /// Run the window inside a virtual X server (for machines without a display) and
        /// save a screenshot after it starts.
        #[arg(long)]
        xvfb: bool,
        /// How many messages to seed into the demo mailbox (once per stack).
        #[arg(long, default_value_t = 2000)]
        messages: usize,
    },
    /// Install what is missing, start the real servers, run every test (Rust, UI unit,
    /// end-to-end in the real window), and stop everything it started.
    Test {
        /// Skip the end-to-end suite in the real window.
        #[arg(long)]
        no_e2e: bool,
        /// Copy the end-to-end screenshots to docs/screenshots/.
        #[arg(long)]
        update_screenshots: bool,
    },
    /// Only the end-to-end suite (expects a built app; builds it when missing).
    E2e {
        /// Copy the screenshots to docs/screenshots/.
        #[arg(long)]
        update_screenshots: bool,
    },
    /// Build the installers for this OS (on Debian: a .deb under
    /// target/release/bundle/deb/).
    Bundle,
    /// Benchmark Heron's first sync and no-change resync against mbsync + notmuch on
    /// generated mailboxes; prints a Markdown table and writes target/bench-sync.md.
    BenchSync {
        /// Mailbox size in messages; repeat for several sizes.
        #[arg(long = "messages", default_values_t = [10_000, 100_000])]
        messages: Vec<usize>,
        /// Keep the synced copies and the seeded mailboxes (gigabytes at large sizes).
        #[arg(long)]
        keep: bool,
    },
    /// Measure the message list in the real window: first screen of a folder of N
    /// messages, scrolling frame rate, and the app's memory with it open.
    BenchUi {
        /// Messages in the folder.
        #[arg(long, default_value_t = 100_000)]
        messages: usize,
        /// Reuse the folder seeded and synced by the last run.
        #[arg(long)]
        reuse: bool,
        /// Measure a release build of the app (as shipped) instead of the debug build
        /// the end-to-end suite uses.
        #[arg(long)]
        release: bool,
    },
    /// Start or stop the real-server stack by hand.
    Stack {
        #[command(subcommand)]
        action: StackAction,
    },
}

#[derive(Subcommand, Debug)]
enum StackAction {
    /// Start (or reuse) the stack and print its description.
    Start,
    /// Stop it.
    Stop,
}

fn main() -> std::process::ExitCode {
    match dispatch(Cli::parse()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn dispatch(cli: Cli) -> Result<()> {
    let root = workspace_root()?;
    match cli.command {
        Cmd::Demo { xvfb, messages } => demo(&root, xvfb, messages),
        Cmd::Test {
            no_e2e,
            update_screenshots,
        } => test(&root, !no_e2e, update_screenshots),
        Cmd::E2e { update_screenshots } => {
            let stack = Stack::ensure()?;
            ensure_ui_deps(&root)?;
            build_app(&root)?;
            e2e::run_suite(&root, &stack, update_screenshots)
        }
        Cmd::BenchUi {
            messages,
            reuse,
            release,
        } => {
            ensure_ui_deps(&root)?;
            bench_ui::run_benchmark(&root, messages, reuse, release)
        }
        Cmd::Bundle => {
            install_deps(&root)?;
            ensure_ui_deps(&root)?;
            run(Step::new(
                "Building installers (tauri build)",
                root.join("ui/node_modules/.bin/tauri"),
            )
            .args(["build", "--ci"])
            .cwd(&root))?;
            eprintln!(
                "==> Installers are under {}",
                target_dir(&root).join("release/bundle").display()
            );
            Ok(())
        }
        Cmd::BenchSync { messages, keep } => bench_sync::run_benchmark(&root, &messages, keep),
        Cmd::Stack { action } => match action {
            StackAction::Start => {
                let stack = Stack::ensure()?;
                println!("{}", serde_json::to_string_pretty(stack.info())?);
                Ok(())
            }
            StackAction::Stop => {
                Stack::stop_at(&Stack::default_dir())?;
                Ok(())
            }
        },
    }
}

fn workspace_root() -> Result<PathBuf> {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map(Path::to_path_buf)
        .context("xtask lives one level below the workspace root")
}

/// System packages and tools: the project's own script, idempotent.
fn install_deps(root: &Path) -> Result<()> {
    run(Step::new("Checking system packages", "bash").arg(root.join("scripts/install-deps.sh")))
}

/// `npm ci` when node_modules is missing or older than the lockfile.
fn ensure_ui_deps(root: &Path) -> Result<()> {
    let ui = root.join("ui");
    let installed = ui.join("node_modules/.package-lock.json");
    let lock = ui.join("package-lock.json");
    let fresh = match (std::fs::metadata(&installed), std::fs::metadata(&lock)) {
        (Ok(i), Ok(l)) => i.modified()? >= l.modified()?,
        _ => false,
    };
    if fresh {
        return Ok(());
    }
    run(Step::new("Installing UI packages (npm ci)", "npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .cwd(&ui))
}

/// The app as users get it (bundled UI, no dev server), debug profile so that it shares
/// the test build's artifacts.
fn build_app(root: &Path) -> Result<PathBuf> {
    build_app_as(root, false)
}

/// The app as `tauri build` makes it: the debug build, or with `release` the optimised
/// one that is shipped, except that the app's own crate keeps debug assertions: only
/// with them does the app read `HERON_CONFIG`, which the benchmark points at its policy
/// (a shipped build reads the managed policy only).
fn build_app_as(root: &Path, release: bool) -> Result<PathBuf> {
    let (what, args, profile): (_, &[&str], _) = if release {
        (
            "Building the app (tauri build --no-bundle, HERON_CONFIG honoured)",
            &[
                "build",
                "--no-bundle",
                "--ci",
                "--",
                "--config",
                "profile.release.package.heron.debug-assertions=true",
            ],
            "release",
        )
    } else {
        (
            "Building the app (tauri build --debug --no-bundle)",
            &["build", "--debug", "--no-bundle", "--ci"],
            "debug",
        )
    };
    run(Step::new(what, root.join("ui/node_modules/.bin/tauri"))
        .args(args.iter().copied())
        .cwd(root))?;
    let binary = target_dir(root).join(profile).join("heron");
    if !binary.exists() {
        bail!("tauri build finished but {} is missing", binary.display());
    }
    Ok(binary)
}

/// Cargo's target directory (CARGO_TARGET_DIR may move it out of the clone).
fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|p| if p.is_absolute() { p } else { root.join(p) })
        .unwrap_or_else(|| root.join("target"))
}

fn test(root: &Path, with_e2e: bool, update_screenshots: bool) -> Result<()> {
    install_deps(root)?;
    ensure_ui_deps(root)?;
    let started = std::time::Instant::now();
    // A stack the developer already runs (say, for the demo) is used and left running.
    let was_running = Stack::running_at(&Stack::default_dir())?;
    let stack = Stack::ensure()?;
    eprintln!("==> Test stack running in {}", stack.info().dir.display());
    let result = (|| -> Result<()> {
        run(Step::new("UI: type and accessibility check", "npm")
            .args(["run", "check"])
            .cwd(root.join("ui")))?;
        run(Step::new("UI: unit tests (Vitest)", "npm")
            .args(["test"])
            .cwd(root.join("ui")))?;
        if with_e2e {
            // Builds ui/dist too, which the Rust tests of the shell embed.
            build_app(root)?;
        } else {
            run(Step::new("UI: production build", "npm")
                .args(["run", "build"])
                .cwd(root.join("ui")))?;
        }
        // A private session bus with an unlocked Secret Service, as a desktop login has:
        // the store keeps its key in the OS keyring and its tests use the real one.
        run(Step::new(
            "Rust: every test of the workspace against the real servers",
            "dbus-run-session",
        )
        .arg("--")
        .arg(root.join("scripts/with-keyring.sh"))
        .args([
            "cargo",
            "test",
            "--workspace",
            "--locked",
            "--features",
            "heron/custom-protocol",
        ])
        .env(heron_harness::DIR_ENV, &stack.info().dir)
        .cwd(root))?;
        // A bounded fuzzing run of the mail parser and sanitiser (longer on demand:
        // scripts/fuzz.sh SECONDS); a crash fails the run and names its input.
        run(Step::new("heron-mime: fuzzing for 60 s", "bash")
            .arg(root.join("scripts/fuzz.sh"))
            .arg("60")
            .cwd(root))?;
        if with_e2e {
            e2e::run_suite(root, &stack, update_screenshots)?;
        }
        Ok(())
    })();
    let stopped = if was_running {
        Ok(false)
    } else {
        Stack::stop_at(&stack.info().dir)
    };
    result?;
    stopped?;
    eprintln!(
        "==> Every test passed in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The managed configuration the demo and the end-to-end suite run with: alice on the
/// stack, with the profile fields an admin would provision.
fn write_demo_policy(stack: &Stack, user: &heron_harness::User, path: &Path) -> Result<PathBuf> {
    let mut policy = stack.heron_config("demo", "Alice Martin", user);
    policy["accounts"][0]["profile"] = serde_json::json!({
        "department": "Engineering / Mail Client",
        "title": "Software Engineer",
        "phone": "+86 21 5555 0101",
    });
    std::fs::write(path, serde_json::to_string_pretty(&policy)?)
        .with_context(|| format!("Cannot write {}", path.display()))?;
    Ok(path.to_path_buf())
}

fn demo(root: &Path, xvfb: bool, messages: usize) -> Result<()> {
    install_deps(root)?;
    ensure_ui_deps(root)?;
    let binary = build_app(root)?;
    let stack = Stack::ensure()?;
    let alice = stack.user("alice")?;
    let marker = stack.info().dir.join("demo-seeded");
    if !marker.exists() {
        eprintln!("==> Seeding {messages} messages into {}", alice.address);
        let options = SeedOptions::new(messages, "Alice Martin", &alice.address);
        stack.seed_mailbox(&alice, &options)?;
        std::fs::write(&marker, messages.to_string())?;
    }
    let config = write_demo_policy(&stack, &alice, &stack.info().dir.join("demo-policy.json"))?;
    eprintln!("==> Managed configuration written to {}", config.display());
    eprintln!(
        "==> Servers: IMAPS 127.0.0.1:{}, SMTPS 127.0.0.1:{}; stop them with `cargo xtask stack stop`",
        stack.ports().imaps,
        stack.ports().submissions
    );
    let display_missing =
        std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none();
    if xvfb {
        e2e::demo_under_xvfb(root, &binary, &config)
    } else if display_missing {
        bail!(
            "No display: DISPLAY and WAYLAND_DISPLAY are unset. Run this from a desktop session, \
             or `cargo xtask demo --xvfb` to run the window in a virtual display and save a screenshot"
        )
    } else {
        run(Step::new("Opening Heron", &binary)
            .env("HERON_CONFIG", &config)
            .cwd(root))
    }
}
