//! The message-list benchmark in the real window: a folder of N messages (100,000 by
//! default) synced from the harness Dovecot, the app started under Xvfb over WebDriver,
//! and tests/e2e/bench-list.mjs measuring in the page how long the folder takes to show
//! its first screen, how smoothly the list scrolls, and how much memory the app and its
//! web processes hold with the folder open.

use std::path::Path;

use anyhow::{Context, Result, bail};
use heron_harness::Stack;
use heron_harness::seed::SeedOptions;

use crate::process::{Step, fresh_dir, run};

pub fn run_benchmark(root: &Path, messages: usize, reuse: bool, release: bool) -> Result<()> {
    let target = crate::target_dir(root);
    let out = target.join("bench-ui");
    let config = out.join("policy.json");
    let data_home = out.join("xdg-data");
    let config_home = out.join("xdg-config");
    let stack = Stack::ensure()?;
    let app = crate::build_app_as(root, release)?;
    if !(reuse && config.exists()) {
        fresh_dir(out.clone())?;
        prepare(
            root,
            &stack,
            &target,
            messages,
            &data_home,
            &config_home,
            &config,
        )?;
    }
    measure(
        root,
        &out,
        &app,
        messages,
        &data_home,
        &config_home,
        &config,
    )
}

/// Seeds one folder of `messages` and syncs it into the app's data directory.
fn prepare(
    root: &Path,
    stack: &Stack,
    target: &Path,
    messages: usize,
    data_home: &Path,
    config_home: &Path,
    config: &Path,
) -> Result<()> {
    // heronctl only prepares the data directory (nothing of it is measured): the debug
    // build the tests use is enough.
    run(Step::new("Building heronctl", "cargo")
        .args(["build", "-p", "heron-cli", "--bin", "heronctl"])
        .cwd(root))?;
    let heronctl = target.join("debug/heronctl");

    // One folder holding every message: the worst case for a list.
    let user = stack.add_user("bench-ui")?;
    let mut options = SeedOptions::new(messages, "Bench User", &user.address);
    options.folders = vec![("INBOX".to_owned(), 1)];
    options.large_attachment_every = 0;
    let seeded = stack.seed_mailbox(&user, &options)?;
    eprintln!(
        "==> Seeded {} messages into {}",
        seeded.total_messages, user.address
    );

    // The app's data directory, synced beforehand by heronctl (the app then resyncs,
    // which changes nothing), with the store's key in a key file as in the e2e suite.
    let key_dir = config_home.join("heron").join("keys");
    let data_dir = data_home.join(crate::e2e::app_identifier(root)?);
    crate::e2e::key_file_store(&data_dir, &key_dir)?;
    crate::write_demo_policy(stack, &user, config)?;
    crate::bench_sync::accept_privacy_notice(&heronctl, &data_dir, config)?;
    run(Step::new("Syncing the folder with heronctl", &heronctl)
        .arg("--data-dir")
        .arg(&data_dir)
        .arg("--key-dir")
        .arg(&key_dir)
        .arg("--config")
        .arg(config)
        .args(["sync", "--once"]))?;
    Ok(())
}

/// Starts the app under Xvfb and runs tests/e2e/bench-list.mjs against it.
fn measure(
    root: &Path,
    out: &Path,
    app: &Path,
    messages: usize,
    data_home: &Path,
    config_home: &Path,
    config: &Path,
) -> Result<()> {
    let display = crate::e2e::VirtualDisplay::start(out)?;
    let (driver, port) = crate::e2e::start_driver(
        &display,
        out,
        config,
        &[],
        &[
            crate::e2e::env_assignment("XDG_DATA_HOME", data_home),
            crate::e2e::env_assignment("XDG_CONFIG_HOME", config_home),
        ],
    )?;
    let result_file = out.join("result.json");
    let measured = run(
        Step::new("Measuring the list in the real window", "timeout")
            .args(["900", "node"])
            .arg(root.join("tests/e2e/bench-list.mjs"))
            .env("HERON_WEBDRIVER", format!("http://127.0.0.1:{port}"))
            .env("HERON_APP", app)
            .env("HERON_BENCH_MESSAGES", messages.to_string())
            .env("HERON_BENCH_OUT", &result_file)
            .env("DISPLAY", display.name())
            .cwd(root),
    );
    drop(driver);
    drop(display);
    measured?;
    let result: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(&result_file)
            .with_context(|| format!("Cannot read {}", result_file.display()))?,
    )?;
    println!("{}", report(messages, &result));
    if result["ok"] != true {
        bail!("a goal was missed (see the table)");
    }
    Ok(())
}

fn report(messages: usize, r: &serde_json::Value) -> String {
    let f = |v: &serde_json::Value| v.as_f64().map_or("n/a".to_owned(), |x| format!("{x:.1}"));
    format!(
        "| Measure ({messages} messages in one folder) | Result | Goal |\n|---|---:|---:|\n\
         | First screen after opening the folder, median of {runs} (ms) | {open_med} | < 100 |\n\
         | First screen, slowest run (ms) | {open_max} | |\n\
         | Jump to the middle, rows shown (ms) | {jump} | |\n\
         | Scrolling: frames per second (3 s fling) | {fps} | 60 |\n\
         | Scrolling: 95th percentile frame time (ms) | {p95} | < 16.7 |\n\
         | Scrolling: frames over 33 ms | {long} | |\n\
         | Memory, app + web processes: PSS (MiB) | {pss} | < 200 |\n\
         | Memory: RSS, shared libraries counted in each process (MiB) | {rss} | |\n\
         | Memory: anonymous (heap, JS, caches) (MiB) | {anon} | |\n\
         | The floor, a bare WebKitGTK window of the same size: PSS (MiB) | {bare_pss} | |\n\
         | The floor: anonymous (MiB) | {bare_anon} | |\n",
        runs = r["open_runs"],
        open_med = f(&r["open_median_ms"]),
        open_max = f(&r["open_max_ms"]),
        jump = f(&r["jump_ms"]),
        fps = f(&r["scroll_fps"]),
        p95 = f(&r["scroll_p95_ms"]),
        long = r["scroll_long_frames"],
        rss = f(&r["rss_mib"]),
        pss = f(&r["pss_mib"]),
        anon = f(&r["anon_mib"]),
        bare_pss = f(&r["bare_pss_mib"]),
        bare_anon = f(&r["bare_anon_mib"]),
    )
}
