//! `cargo xtask bench-sync`: Heron's first full sync and its no-change resync against
//! what people use instead (mbsync pulling into a Maildir, then notmuch indexing it), on
//! the same generated mailbox on the real Dovecot, over IMAPS on loopback.
//!
//! Every process is measured by GNU time (wall seconds, CPU seconds and peak RSS). Heron and the
//! peers each sync their own user, seeded identically, so that neither profits from
//! caches Dovecot built while serving the other. A tool that fails gets a row saying so
//! and its error on stderr; the other tools still run.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use heron_harness::{Stack, User, seed::SeedOptions, servers::Layout};

use crate::process::{Step, fresh_dir, run};

/// Runs the measured command once per label, in order, stopping after the first
/// failure; for each label it leaves `<label>.{time,rc,stdout,stderr}` in the output
/// directory. A shell script, so that the same runner works inside the keyring session
/// heronctl needs (its store key lives in the keyring, so the resync must see the key
/// the first sync made). Between runs it pauses for 1.1 s, unmeasured: mbsync waits
/// for the clock to tick when a Maildir changed within the current second, and the
/// resync would measure that wait instead of the sync.
const MEASURE_SCRIPT: &str = r#"set -u
dir=$1 limit=$2
shift 2
labels=()
while [ "$1" != -- ]; do labels+=("$1"); shift; done
shift
first=1
for label in "${labels[@]}"; do
  [ "$first" = 1 ] || sleep 1.1
  first=0
  /usr/bin/time -f '%e %M %U %S' -o "$dir/$label.time" \
    timeout --kill-after=30 "$limit" "$@" >"$dir/$label.stdout" 2>"$dir/$label.stderr"
  rc=$?
  echo "$rc" >"$dir/$label.rc"
  [ "$rc" -eq 0 ] || exit 0
done
"#;

/// The exit status `timeout` reports when it had to stop the command.
const TIMED_OUT: i32 = 124;

/// What one measured run of one tool gave.
struct Measurement {
    tool: String,
    seconds: Option<f64>,
    /// User plus system CPU time: with two cores and the server on the same machine,
    /// what a tool costs the machine, not only how long it takes.
    cpu_seconds: Option<f64>,
    peak_rss_kib: Option<u64>,
    messages: Option<u64>,
    note: String,
}

/// How one process ended, read back from the files the runner left.
struct Outcome {
    exit_code: i32,
    seconds: Option<f64>,
    cpu_seconds: Option<f64>,
    peak_rss_kib: Option<u64>,
    stdout: String,
    stderr: String,
}

/// Runs the benchmark for each mailbox size and writes the table to
/// `<target>/bench-sync.md`.
pub fn run_benchmark(root: &Path, sizes: &[usize], keep: bool) -> Result<()> {
    if sizes.is_empty() {
        bail!("Give at least one mailbox size with --messages");
    }
    crate::install_deps(root)?;
    for tool in [
        "/usr/bin/time",
        "timeout",
        "mbsync",
        "notmuch",
        "dbus-run-session",
    ] {
        if !tool_exists(tool) {
            bail!("{tool} is missing; scripts/install-deps.sh installs it");
        }
    }
    let target = crate::target_dir(root);
    let heronctl = build_heronctl(root, &target);
    let was_running = Stack::running_at(&Stack::default_dir())?;
    let stack = Stack::ensure()?;
    eprintln!("==> Stack running in {}", stack.info().dir.display());

    let result = (|| -> Result<String> {
        let mut sections = Vec::new();
        for &size in sizes {
            let work = fresh_dir(target.join("bench-sync").join(size.to_string()))?;
            let rows = bench_size(root, &stack, heronctl.as_ref(), size, &work, keep)?;
            sections.push((size, rows));
        }
        Ok(report(&sections))
    })();
    let stopped = if was_running {
        Ok(false)
    } else {
        Stack::stop_at(&stack.info().dir)
    };
    let markdown = result?;
    stopped?;
    print!("{markdown}");
    let out = target.join("bench-sync.md");
    std::fs::write(&out, &markdown).with_context(|| format!("Cannot write {}", out.display()))?;
    eprintln!("==> Written to {}", out.display());
    Ok(())
}

/// Builds heronctl in the release profile; a failed build is a result to report, not a
/// reason to skip the peers.
fn build_heronctl(root: &Path, target: &Path) -> std::result::Result<PathBuf, String> {
    let built = run(Step::new("Building heronctl (release)", "cargo")
        .args(["build", "--release", "-p", "heron-cli", "--bin", "heronctl"])
        .cwd(root));
    let binary = target.join("release/heronctl");
    match built {
        Ok(()) if binary.exists() => Ok(binary),
        Ok(()) => Err(format!(
            "the build finished but {} is missing",
            binary.display()
        )),
        Err(e) => {
            eprintln!("==> heronctl did not build; its rows will say so: {e:#}");
            Err("heronctl did not build (see the cargo output above)".to_owned())
        }
    }
}

fn bench_size(
    root: &Path,
    stack: &Stack,
    heronctl: std::result::Result<&PathBuf, &String>,
    size: usize,
    work: &Path,
    keep: bool,
) -> Result<Vec<Measurement>> {
    eprintln!("==> Mailbox of {size} messages");
    let heron_user = seeded_user(stack, &format!("bench-heron-{size}"), size)?;
    let peer_user = seeded_user(stack, &format!("bench-peer-{size}"), size)?;
    // Seconds a run may take before it counts as hung: generous, as a slow run is a
    // result too.
    let limit = 600 + size / 50;

    let mut rows = Vec::new();
    match heronctl {
        Ok(binary) => rows.extend(bench_heron(root, stack, binary, &heron_user, work, limit)?),
        Err(why) => {
            for tool in ["Heron: first sync", "Heron: no-change resync"] {
                rows.push(not_measured(tool, why));
            }
        }
    }
    rows.extend(bench_peers(stack, &peer_user, work, limit)?);

    if !keep {
        // The synced copies and the users' mail are gigabytes at the large sizes; the
        // logs stay.
        for bulky in ["heron-data", "maildir"] {
            let path = work.join(bulky);
            if path.exists() {
                std::fs::remove_dir_all(&path)
                    .with_context(|| format!("Cannot remove {}", path.display()))?;
            }
        }
        let layout = Layout {
            root: stack.info().dir.clone(),
        };
        for user in [&heron_user, &peer_user] {
            if let Some(home) = layout.maildir(&user.address)?.parent() {
                std::fs::remove_dir_all(home)
                    .with_context(|| format!("Cannot remove {}", home.display()))?;
            }
        }
    }
    Ok(rows)
}

/// A fresh user whose mailbox holds `size` generated messages (the same ones for every
/// user: the generator is deterministic).
fn seeded_user(stack: &Stack, prefix: &str, size: usize) -> Result<User> {
    let user = stack.add_user(prefix)?;
    let started = Instant::now();
    let options = SeedOptions::new(size, "Bench User", &user.address);
    let seeded = stack
        .seed_mailbox(&user, &options)
        .with_context(|| format!("Cannot seed {size} messages for {}", user.address))?;
    eprintln!(
        "==> Seeded {} messages ({:.0} MiB) for {} in {:.1} s",
        seeded.total_messages,
        seeded.total_bytes as f64 / MIB,
        user.address,
        started.elapsed().as_secs_f64()
    );
    Ok(user)
}

const MIB: f64 = 1024.0 * 1024.0;

/// Heron connects to nothing before its privacy notice is accepted; the benchmark
/// accepts the one in force, as a user would on first start.
pub(crate) fn accept_privacy_notice(heronctl: &Path, data: &Path, config: &Path) -> Result<()> {
    let ctl = |args: &[&str]| -> Result<std::process::Output> {
        Command::new(heronctl)
            .arg("--data-dir")
            .arg(data)
            .arg("--config")
            .arg(config)
            .args(args)
            .output()
            .context("Cannot run heronctl")
    };
    let shown = ctl(&["privacy", "show", "--json"])?;
    let notice: serde_json::Value = serde_json::from_slice(&shown.stdout).with_context(|| {
        format!(
            "heronctl privacy show: {}",
            String::from_utf8_lossy(&shown.stderr)
        )
    })?;
    let version = notice["version"].as_str().unwrap_or_default().to_owned();
    let accepted = ctl(&["privacy", "accept", "--version", &version])?;
    if !accepted.status.success() {
        anyhow::bail!(
            "heronctl privacy accept: {}",
            String::from_utf8_lossy(&accepted.stderr)
        );
    }
    Ok(())
}

fn bench_heron(
    root: &Path,
    stack: &Stack,
    heronctl: &Path,
    user: &User,
    work: &Path,
    limit: usize,
) -> Result<Vec<Measurement>> {
    let config = work.join("heron-config.json");
    let policy = stack.heron_config("bench", "Bench User", user);
    std::fs::write(&config, serde_json::to_string_pretty(&policy)?)
        .with_context(|| format!("Cannot write {}", config.display()))?;
    let data = work.join("heron-data");
    std::fs::create_dir_all(&data)?;
    accept_privacy_notice(heronctl, &data, &config)?;
    eprintln!("==> Heron: first sync, then a no-change resync (heronctl sync --once)");
    // A private session bus with an unlocked keyring, as `cargo xtask test` gives the
    // tests: both runs in the same session, so the resync finds the store's key.
    let mut command = Command::new("dbus-run-session");
    command
        .arg("--")
        .arg(root.join("scripts/with-keyring.sh"))
        .args(["bash", "-c", MEASURE_SCRIPT, "measure"])
        .arg(work)
        .arg(limit.to_string())
        .args(["heron-first", "heron-resync", "--"])
        .arg(heronctl)
        .arg("--data-dir")
        .arg(&data)
        .arg("--config")
        .arg(&config)
        .args(["sync", "--once", "--json"]);
    run_quietly(&mut command, &work.join("heron-session.log"))?;

    let mut rows = Vec::new();
    for (label, tool) in [
        ("heron-first", "Heron: first sync"),
        ("heron-resync", "Heron: no-change resync"),
    ] {
        let Some(outcome) = read_outcome(work, label)? else {
            rows.push(not_measured(
                tool,
                "not run: the first sync failed or the keyring session did not start \
                 (see heron-session.log)",
            ));
            continue;
        };
        if outcome.exit_code != 0 {
            eprintln!(
                "==> {tool} failed ({}); its stderr:\n{}",
                describe_exit(outcome.exit_code, limit),
                outcome.stderr.trim_end()
            );
        }
        let messages = heron_message_count(&outcome.stdout);
        let note = if outcome.exit_code != 0 {
            format!(
                "FAILED: {}: {}",
                describe_exit(outcome.exit_code, limit),
                last_line(&outcome.stderr)
            )
        } else if messages.is_none() {
            "exit 0, but no `messages` in its JSON output".to_owned()
        } else {
            String::new()
        };
        rows.push(Measurement {
            tool: tool.to_owned(),
            seconds: outcome.seconds,
            cpu_seconds: outcome.cpu_seconds,
            peak_rss_kib: outcome.peak_rss_kib,
            messages,
            note,
        });
    }
    Ok(rows)
}

/// Sums `messages` over the JSON objects heronctl prints (one per account, as a stream
/// or as an array).
fn heron_message_count(stdout: &str) -> Option<u64> {
    let mut total = None;
    for value in serde_json::Deserializer::from_str(stdout).into_iter::<serde_json::Value>() {
        let value = value.ok()?;
        let accounts = match value {
            serde_json::Value::Array(items) => items,
            other => vec![other],
        };
        for account in accounts {
            let messages = account.get("messages")?.as_u64()?;
            total = Some(total.unwrap_or(0) + messages);
        }
    }
    total
}

fn bench_peers(stack: &Stack, user: &User, work: &Path, limit: usize) -> Result<Vec<Measurement>> {
    let maildir = work.join("maildir");
    std::fs::create_dir_all(&maildir)?;
    let rc = work.join("mbsyncrc");
    std::fs::write(&rc, mbsyncrc(stack, user, &maildir)?)
        .with_context(|| format!("Cannot write {}", rc.display()))?;
    let notmuch_config = work.join("notmuch-config");
    std::fs::write(&notmuch_config, notmuch_config_text(user, &maildir))
        .with_context(|| format!("Cannot write {}", notmuch_config.display()))?;

    eprintln!("==> mbsync: first pull into a Maildir, then a no-change resync");
    let mut mbsync = measure_command(work, limit, &["mbsync-first", "mbsync-resync"]);
    mbsync.arg("mbsync").arg("-c").arg(&rc).arg("-a");
    run_quietly(&mut mbsync, &work.join("mbsync-runner.log"))?;
    let mut rows = Vec::new();
    let mut mbsync_ok = true;
    for (label, tool) in [
        ("mbsync-first", "mbsync: first pull"),
        ("mbsync-resync", "mbsync: no-change resync"),
    ] {
        let row = peer_row(work, label, tool, limit, || {
            count_maildir_messages(&maildir).ok()
        })?;
        mbsync_ok &= row.note.is_empty();
        rows.push(row);
    }

    if mbsync_ok {
        eprintln!("==> notmuch: indexing the Maildir, then a no-change `notmuch new`");
        let mut notmuch = measure_command(work, limit, &["notmuch-first", "notmuch-resync"]);
        notmuch
            .env("NOTMUCH_CONFIG", &notmuch_config)
            .args(["notmuch", "new", "--quiet"]);
        run_quietly(&mut notmuch, &work.join("notmuch-runner.log"))?;
        for (label, tool) in [
            ("notmuch-first", "notmuch new: first index"),
            ("notmuch-resync", "notmuch new: no change"),
        ] {
            rows.push(peer_row(work, label, tool, limit, || {
                notmuch_count(&notmuch_config)
            })?);
        }
    } else {
        for tool in ["notmuch new: first index", "notmuch new: no change"] {
            rows.push(not_measured(tool, "not run: mbsync failed"));
        }
    }

    // What a user of the pair waits for: the pull and the index, one after the other.
    for (first, second, tool) in [
        (0, 2, "mbsync + notmuch: first sync"),
        (1, 3, "mbsync + notmuch: no-change resync"),
    ] {
        let (a, b) = (&rows[first], &rows[second]);
        let both = a.note.is_empty() && b.note.is_empty();
        rows.push(Measurement {
            tool: tool.to_owned(),
            seconds: both.then(|| Some(a.seconds? + b.seconds?)).flatten(),
            cpu_seconds: both
                .then(|| Some(a.cpu_seconds? + b.cpu_seconds?))
                .flatten(),
            peak_rss_kib: both
                .then(|| Some(a.peak_rss_kib?.max(b.peak_rss_kib?)))
                .flatten(),
            messages: b.messages,
            note: if both {
                "sum of seconds, larger peak RSS".to_owned()
            } else {
                "not available: a part failed".to_owned()
            },
        });
    }
    Ok(rows)
}

/// The runner for tools that need no keyring.
fn measure_command(work: &Path, limit: usize, labels: &[&str]) -> Command {
    let mut command = Command::new("bash");
    command
        .args(["-c", MEASURE_SCRIPT, "measure"])
        .arg(work)
        .arg(limit.to_string())
        .args(labels)
        .arg("--");
    command
}

fn peer_row(
    work: &Path,
    label: &str,
    tool: &str,
    limit: usize,
    count: impl Fn() -> Option<u64>,
) -> Result<Measurement> {
    let Some(outcome) = read_outcome(work, label)? else {
        return Ok(not_measured(tool, "not run: the run before it failed"));
    };
    if outcome.exit_code != 0 {
        eprintln!(
            "==> {tool} failed ({}); its stderr:\n{}",
            describe_exit(outcome.exit_code, limit),
            outcome.stderr.trim_end()
        );
    }
    Ok(Measurement {
        tool: tool.to_owned(),
        seconds: outcome.seconds,
        cpu_seconds: outcome.cpu_seconds,
        peak_rss_kib: outcome.peak_rss_kib,
        messages: count(),
        note: if outcome.exit_code == 0 {
            String::new()
        } else {
            format!(
                "FAILED: {}: {}",
                describe_exit(outcome.exit_code, limit),
                last_line(&outcome.stderr)
            )
        },
    })
}

/// mbsync's configuration: the user's whole account on the stack, pulled into a fresh
/// Maildir, verifying the server with the stack's CA. isync 1.4 (Debian 12) spells the
/// TLS mode `SSLType`; 1.5 renamed it `TLSType` and still reads the old name. The host
/// is `localhost` (also 127.0.0.1, and a name on the stack's certificate) because 1.4
/// matches only DNS names, not the certificate's IP address.
fn mbsyncrc(stack: &Stack, user: &User, maildir: &Path) -> Result<String> {
    let quoted = |text: &str| -> Result<String> {
        if text.contains(['"', '\\', '\n', '\r']) {
            bail!("{text:?} cannot be quoted safely in an mbsyncrc");
        }
        Ok(format!("\"{text}\""))
    };
    let ca = stack.ca_pem().to_string_lossy().into_owned();
    let path = format!("{}/", maildir.display());
    let inbox = maildir.join("INBOX").to_string_lossy().into_owned();
    Ok(format!(
        "IMAPAccount bench\n\
         Host localhost\n\
         Port {port}\n\
         User {user}\n\
         Pass {pass}\n\
         SSLType IMAPS\n\
         CertificateFile {ca}\n\
         \n\
         IMAPStore bench-far\n\
         Account bench\n\
         \n\
         MaildirStore bench-near\n\
         Path {path}\n\
         Inbox {inbox}\n\
         SubFolders Verbatim\n\
         \n\
         Channel bench\n\
         Far :bench-far:\n\
         Near :bench-near:\n\
         Patterns *\n\
         Create Near\n\
         Sync Pull\n\
         SyncState *\n",
        port = stack.ports().imaps,
        user = quoted(&user.address)?,
        pass = quoted(&user.password)?,
        ca = quoted(&ca)?,
        path = quoted(&path)?,
        inbox = quoted(&inbox)?,
    ))
}

fn notmuch_config_text(user: &User, maildir: &Path) -> String {
    format!(
        "[database]\n\
         path={}\n\
         \n\
         [user]\n\
         name=Bench User\n\
         primary_email={}\n\
         \n\
         [new]\n\
         tags=unread;inbox;\n\
         ignore=.mbsyncstate;.mbsyncstate.journal;.mbsyncstate.new;.mbsyncstate.lock;.uidvalidity\n\
         \n\
         [maildir]\n\
         synchronize_flags=true\n",
        maildir.display(),
        user.address
    )
}

/// Messages notmuch has indexed (distinct Message-IDs).
fn notmuch_count(config: &Path) -> Option<u64> {
    let output = Command::new("notmuch")
        .env("NOTMUCH_CONFIG", config)
        .args(["count", "*"])
        .stdin(Stdio::null())
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    String::from_utf8_lossy(&output.stdout).trim().parse().ok()
}

/// Files in `cur/` and `new/` folders anywhere under `dir`: the messages of a Maildir
/// tree.
fn count_maildir_messages(dir: &Path) -> Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if !entry.file_type()?.is_dir() {
            continue;
        }
        let path = entry.path();
        if matches!(entry.file_name().to_str(), Some("cur" | "new")) {
            for message in std::fs::read_dir(&path)? {
                if message?.file_type()?.is_file() {
                    total += 1;
                }
            }
        } else {
            total += count_maildir_messages(&path)?;
        }
    }
    Ok(total)
}

/// Runs a runner script, its own output going to `log`; the measured commands' output
/// goes to their own files.
fn run_quietly(command: &mut Command, log: &Path) -> Result<()> {
    let out =
        std::fs::File::create(log).with_context(|| format!("Cannot create {}", log.display()))?;
    let status = command
        .stdin(Stdio::null())
        .stdout(out.try_clone()?)
        .stderr(out)
        .status()
        .context("Cannot start the measuring runner")?;
    if !status.success() {
        eprintln!("==> The runner exited with {status}; see {}", log.display());
    }
    Ok(())
}

/// Reads what the runner left for `label`; `None` when it did not run that far.
fn read_outcome(dir: &Path, label: &str) -> Result<Option<Outcome>> {
    let read = |ext: &str| std::fs::read_to_string(dir.join(format!("{label}.{ext}")));
    let Ok(rc) = read("rc") else {
        return Ok(None);
    };
    let exit_code = rc
        .trim()
        .parse()
        .with_context(|| format!("{label}.rc holds {rc:?}, not an exit code"))?;
    // GNU time writes "Command exited with non-zero status N" first when it fails.
    let time = read("time").unwrap_or_default();
    let mut fields = time.lines().last().unwrap_or_default().split_whitespace();
    let seconds = fields.next().and_then(|s| s.parse().ok());
    let peak_rss_kib = fields.next().and_then(|s| s.parse().ok());
    let user: Option<f64> = fields.next().and_then(|s| s.parse().ok());
    let system: Option<f64> = fields.next().and_then(|s| s.parse().ok());
    Ok(Some(Outcome {
        exit_code,
        seconds,
        cpu_seconds: user.zip(system).map(|(u, s)| u + s),
        peak_rss_kib,
        stdout: read("stdout").unwrap_or_default(),
        stderr: read("stderr").unwrap_or_default(),
    }))
}

fn describe_exit(code: i32, limit: usize) -> String {
    if code == TIMED_OUT {
        format!("timed out after {limit} s")
    } else {
        format!("exit {code}")
    }
}

/// The line of stderr that best says what went wrong: the last one mentioning an
/// error, else the last one.
fn last_line(text: &str) -> String {
    let lines = || text.lines().rev().filter(|l| !l.trim().is_empty());
    let line = lines()
        .find(|l| l.to_lowercase().contains("error"))
        .or_else(|| lines().next())
        .unwrap_or("no output on stderr")
        .trim();
    // A table cell: no pipes, and short.
    let cell: String = line.replace('|', "/").chars().take(160).collect();
    cell
}

fn not_measured(tool: &str, why: &str) -> Measurement {
    Measurement {
        tool: tool.to_owned(),
        seconds: None,
        cpu_seconds: None,
        peak_rss_kib: None,
        messages: None,
        note: why.to_owned(),
    }
}

fn tool_exists(tool: &str) -> bool {
    if tool.contains('/') {
        return Path::new(tool).exists();
    }
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(tool).is_file()))
}

fn tool_version(program: &str) -> String {
    Command::new(program)
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| format!("{program} (version unknown)"))
}

fn report(sections: &[(usize, Vec<Measurement>)]) -> String {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mut out = String::new();
    let _ = writeln!(out, "# Sync benchmark\n");
    let _ = writeln!(
        out,
        "`cargo xtask bench-sync`: each tool syncs a fresh account over IMAPS on loopback \
         from the harness's Dovecot, mailboxes generated by `heron_harness::seed` \
         (Heron and the peers use two identically seeded users, so neither meets caches \
         the other warmed). Heron is `heronctl sync --once --json` (release build) into a \
         fresh data directory; the peers are mbsync (Sync Pull into a Maildir) followed \
         by `notmuch new`. Seconds are wall time, CPU is user + system time of the tool \
         (not the server's), and peak RSS is the process's maximum resident set, all \
         from GNU time. {cpus} CPUs; {}; {}.\n",
        tool_version("mbsync"),
        tool_version("notmuch"),
    );
    let _ = writeln!(
        out,
        "| Mailbox | Tool | Seconds | CPU (s) | Peak RSS (MiB) | Messages | Notes |"
    );
    let _ = writeln!(out, "|---:|---|---:|---:|---:|---:|---|");
    for (size, rows) in sections {
        for row in rows {
            let seconds = row.seconds.map_or("—".to_owned(), |s| format!("{s:.2}"));
            let cpu = row
                .cpu_seconds
                .map_or("—".to_owned(), |s| format!("{s:.2}"));
            let rss = row
                .peak_rss_kib
                .map_or("—".to_owned(), |k| format!("{:.1}", k as f64 / 1024.0));
            let messages = row.messages.map_or("—".to_owned(), |m| m.to_string());
            let _ = writeln!(
                out,
                "| {size} | {} | {seconds} | {cpu} | {rss} | {messages} | {} |",
                row.tool, row.note
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heron_count_sums_accounts_in_a_stream_or_an_array() {
        let stream = r#"{"account":"a","folders":5,"messages":10,"bytes":1,"seconds":0.5}
{"account":"b","folders":1,"messages":3,"bytes":1,"seconds":0.1}"#;
        assert_eq!(heron_message_count(stream), Some(13));
        assert_eq!(
            heron_message_count(r#"[{"messages": 4}, {"messages": 5}]"#),
            Some(9)
        );
        assert_eq!(heron_message_count(""), None);
        assert_eq!(heron_message_count("error"), None);
    }

    #[test]
    fn last_line_makes_a_safe_table_cell() {
        assert_eq!(last_line("a\nerror: x | y\n\n"), "error: x / y");
        assert_eq!(
            last_line("error: unrecognized subcommand 'sync'\n\nFor more, try '--help'.\n"),
            "error: unrecognized subcommand 'sync'"
        );
        assert_eq!(last_line("one\ntwo\n"), "two");
        assert_eq!(last_line(""), "no output on stderr");
    }
}
