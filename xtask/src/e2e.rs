//! The real window under a virtual X server: the end-to-end suite (tauri-driver +
//! WebKitWebDriver, driven by tests/e2e/run.mjs) and the headless demo.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use heron_harness::Stack;

use crate::process::{Background, Step, fresh_dir, run};

/// A virtual X display, stopped when dropped.
pub(crate) struct VirtualDisplay {
    number: u32,
    _server: Background,
}

impl VirtualDisplay {
    pub(crate) fn start(log_dir: &Path) -> Result<Self> {
        let number = (99..200)
            .find(|n| {
                !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
                    && !Path::new(&format!("/tmp/.X{n}-lock")).exists()
            })
            .context("No free X display number between :99 and :199")?;
        let server = Background::spawn(
            "Xvfb",
            Command::new("Xvfb").arg(format!(":{number}")).args([
                "-screen",
                "0",
                "1440x900x24",
                "-nolisten",
                "tcp",
                "-noreset",
            ]),
            &log_dir.join("xvfb.log"),
        )?;
        let socket = PathBuf::from(format!("/tmp/.X11-unix/X{number}"));
        let deadline = Instant::now() + Duration::from_secs(10);
        while !socket.exists() {
            if Instant::now() > deadline {
                bail!(
                    "Xvfb did not start within 10 s (see {})",
                    log_dir.join("xvfb.log").display()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(Self {
            number,
            _server: server,
        })
    }

    pub(crate) fn name(&self) -> String {
        format!(":{}", self.number)
    }
}

pub(crate) fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// Runs tests/e2e/run.mjs against the built app in a virtual display.
pub fn run_suite(root: &Path, stack: &Stack, update_screenshots: bool) -> Result<()> {
    let target = crate::target_dir(root);
    let out = fresh_dir(target.join("e2e"))?;
    let app = target.join("debug/heron");
    // A fresh account per run, seeded with everyday mail, the hostile corpus (whose
    // loads would reach the sink the suite listens on) and a few known messages.
    let user = stack.add_user("e2e")?;
    // Someone the test account corresponds with, whose own Inbox proves a reply arrived.
    let peer = stack.add_user("e2e-peer")?;
    let sink_port = free_port()?;
    seed_e2e_mailbox(stack, &user, &peer, sink_port)?;
    let config = crate::write_demo_policy(stack, &user, &out.join("policy.json"))?;
    // As in a real deployment, the admin provisions the account without its password:
    // the user signs in on first use, in the window.
    let mut policy: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&config)?)?;
    if let Some(account) = policy["accounts"][0].as_object_mut() {
        account.remove("password");
    }
    // Users may add accounts of their own beside the managed one, and remove them.
    policy["lifecycle"] = serde_json::json!({
        "user_may_add_accounts": "yes",
        "user_may_remove_accounts": "yes",
    });
    std::fs::write(&config, serde_json::to_string_pretty(&policy)?)?;
    // The suite takes Dovecot down and back with the harness's own command.
    run(Step::new("Building heron-harness", "cargo")
        .args(["build", "-p", "heron-harness", "--bin", "heron-harness"])
        .cwd(root))?;

    // A fresh data and config home per run, so no earlier run's state leaks in: the
    // window starts as on first use (the privacy notice is shown and must be accepted).
    // Its local store is made first the way Heron makes one where no keyring can be
    // reached and the policy allows a key file, so the window must show the key-file
    // warning; the suite later deletes that key file to get a store it cannot open.
    let data_home = out.join("xdg-data");
    let config_home = out.join("xdg-config");
    let key_dir = config_home.join("heron").join("keys");
    std::fs::create_dir_all(&data_home)?;
    std::fs::create_dir_all(&config_home)?;
    key_file_store(&data_home.join(app_identifier(root)?), &key_dir)?;

    let display = VirtualDisplay::start(&out)?;
    // Where with-notifications.sh writes the app's session bus, so the suite can ask
    // the notification service what it showed.
    let bus_file = out.join("session-bus");
    // with-keyring.sh gives the app an unlocked Secret Service, as a desktop login has
    // (the app keeps its store's key there), and points XDG_DATA_HOME at the keyring's
    // own throw-away directory, so the app's is set after it, with `env`.
    let (driver, port) = start_driver(
        &display,
        &out,
        &config,
        &[root.join("scripts/with-keyring.sh").into_os_string()],
        &[
            env_assignment("XDG_DATA_HOME", &data_home),
            env_assignment("XDG_CONFIG_HOME", &config_home),
            env_assignment("HERON_BUS_FILE", &bus_file),
            root.join("scripts/with-notifications.sh").into_os_string(),
        ],
    )?;
    let result = run(
        Step::new("End-to-end: the real window over WebDriver", "timeout")
            .args(["600", "node"])
            .arg(root.join("tests/e2e/run.mjs"))
            .env("HERON_WEBDRIVER", format!("http://127.0.0.1:{port}"))
            .env("HERON_APP", &app)
            .env("HERON_E2E_OUT", &out)
            .env("HERON_E2E_KEY_DIR", &key_dir)
            .env("HERON_E2E_EMAIL", &user.address)
            .env("HERON_E2E_PEER", &peer.address)
            .env("HERON_E2E_HARNESS", target.join("debug/heron-harness"))
            .env(heron_harness::DIR_ENV, &stack.info().dir)
            .env("HERON_E2E_SINK_PORT", sink_port.to_string())
            .env("HERON_E2E_HOSTILE", crate::hostile::count().to_string())
            .env("HERON_E2E_BUS_FILE", &bus_file)
            .env("HERON_E2E_PASSWORD", &user.password)
            .env("HERON_E2E_PEER_PASSWORD", &peer.password)
            .env(
                "HERON_E2E_PORTS",
                serde_json::json!({
                    "imaps": stack.ports().imaps,
                    "submissions": stack.ports().submissions,
                })
                .to_string(),
            )
            .env(
                "HERON_E2E_DOVEADM",
                serde_json::to_string(&stack.doveadm_argv())?,
            )
            .env("DISPLAY", display.name())
            .cwd(root),
    );
    drop(driver);
    drop(display);
    result?;
    if update_screenshots {
        let shots = root.join("docs/screenshots");
        std::fs::create_dir_all(&shots)?;
        for entry in std::fs::read_dir(&out)? {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == "png") {
                let name = path.file_name().context("a file has a name")?;
                std::fs::copy(&path, shots.join(name))?;
            }
        }
        eprintln!("==> Screenshots copied to {}", shots.display());
    }
    eprintln!("==> Screenshots of this run are in {}", out.display());
    Ok(())
}

/// Messages in the end-to-end account's Inbox besides the seeded ones: the suite reads
/// the first and searches for the second's Chinese words.
const KNOWN_MESSAGES: &[(&str, &str, &str, &str)] = &[
    (
        "e2e-welcome@heron.test",
        "Wei Zhang <wei.zhang@example.test>",
        "Quarterly planning: agenda for Thursday",
        "<p>Hi Alice,</p><p>Here is the agenda for <b>Thursday</b>:</p>\
         <ol><li>Roadmap review</li><li>Hiring plan</li><li>Budget</li></ol>\
         <p>See you there,<br>Wei</p>",
    ),
    (
        "e2e-chinese@heron.test",
        "=?UTF-8?B?5p2O5aic?= <li.na@example.test>",
        "季度预算审批：请在周五前确认",
        "<p>爱丽丝，你好：</p><p>附件是下季度的预算草案，请在周五前审批确认。</p><p>李娜</p>",
    ),
];

fn seed_e2e_mailbox(
    stack: &Stack,
    user: &heron_harness::User,
    peer: &heron_harness::User,
    sink_port: u16,
) -> Result<()> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs() as i64;
    let mut options = heron_harness::seed::SeedOptions::new(1500, "Alice Martin", &user.address);
    options.now_unix = now - 86_400;
    stack.seed_mailbox(user, &options)?;
    let mut messages =
        crate::hostile::messages(&format!("http://127.0.0.1:{sink_port}"), now - 3600);
    for (i, (id, from, subject, html)) in KNOWN_MESSAGES.iter().enumerate() {
        let subject = heron_harness::seed::encode_header(subject);
        messages.push(
            format!(
                "Message-ID: <{id}>\r\nFrom: {from}\r\nTo: Alice Martin <{}>\r\n\
                 Subject: {subject}\r\nDate: {}\r\nMIME-Version: 1.0\r\n\
                 Content-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n",
                user.address,
                heron_harness::seed::rfc5322_date(now - 60 * (i as i64 + 1), 480),
            )
            .into_bytes(),
        );
    }
    messages.push(
        format!(
            "Message-ID: <e2e-from-peer@heron.test>\r\nFrom: Priya Patel <{}>\r\n\
             To: Alice Martin <{}>\r\nSubject: Design review notes\r\nDate: {}\r\n\
             MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
             Hi Alice,\r\n\r\nThe notes from today's design review are below.\r\n",
            peer.address,
            user.address,
            heron_harness::seed::rfc5322_date(now - 30, 0),
        )
        .into_bytes(),
    );
    // A conversation of three: a root and two replies naming it (the list groups them).
    for (i, (id, refs, from, text)) in [
        (
            "e2e-thread-1",
            "",
            "Wei Zhang <wei.zhang@example.test>",
            "Shall we freeze the release on Friday?",
        ),
        (
            "e2e-thread-2",
            "<e2e-thread-1@heron.test>",
            "Priya Patel <priya@example.test>",
            "Friday works for QA.",
        ),
        (
            "e2e-thread-3",
            "<e2e-thread-1@heron.test> <e2e-thread-2@heron.test>",
            "Wei Zhang <wei.zhang@example.test>",
            "Then Friday it is.",
        ),
    ]
    .iter()
    .enumerate()
    {
        let threading = if refs.is_empty() {
            String::new()
        } else {
            format!(
                "References: {refs}\r\nIn-Reply-To: {}\r\n",
                refs.rsplit(' ').next().unwrap_or(refs)
            )
        };
        messages.push(
            format!(
                "Message-ID: <{id}@heron.test>\r\n{threading}From: {from}\r\n\
                 To: Alice Martin <{}>\r\nSubject: {}Release freeze\r\nDate: {}\r\n\
                 MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n",
                user.address,
                if refs.is_empty() { "" } else { "Re: " },
                heron_harness::seed::rfc5322_date(now - 50 + 2 * i as i64, 480),
            )
            .into_bytes(),
        );
    }
    // An attachment whose name needs encoding everywhere it goes (RFC 2231 here, a
    // percent-encoded file URI when dragged out).
    messages.push(
        format!(
            "Message-ID: <e2e-attachment@heron.test>\r\nFrom: Priya Patel <{}>\r\n\
             To: Alice Martin <{}>\r\nSubject: Budget figures attached\r\nDate: {}\r\n\
             MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n\
             --b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe figures are attached.\r\n\
             --b1\r\nContent-Type: text/csv\r\nContent-Transfer-Encoding: base64\r\n\
             Content-Disposition: attachment; filename*=UTF-8''{E2E_ATTACHMENT_NAME_2231}\r\n\r\n\
             {}\r\n--b1--\r\n",
            peer.address,
            user.address,
            heron_harness::seed::rfc5322_date(now - 20, 0),
            base64::Engine::encode(&base64::engine::general_purpose::STANDARD, E2E_ATTACHMENT),
        )
        .into_bytes(),
    );
    stack.put_in_inbox(user, &messages)
}

/// The attachment the suite drags out of the window, and its name (季度报告 Q3.csv).
const E2E_ATTACHMENT: &[u8] = b"Quarter,Revenue\r\nQ3,1200\r\n";
const E2E_ATTACHMENT_NAME_2231: &str = "%E5%AD%A3%E5%BA%A6%E6%8A%A5%E5%91%8A%20Q3.csv";

/// Starts tauri-driver (which starts WebKitWebDriver, which starts the app) in the
/// virtual display, on a private session bus: `dbus-run-session -- WRAP... env ENV...
/// tauri-driver`. Returns it with its port once it listens.
pub(crate) fn start_driver(
    display: &VirtualDisplay,
    out: &Path,
    config: &Path,
    wrap: &[std::ffi::OsString],
    env: &[std::ffi::OsString],
) -> Result<(Background, u16)> {
    let port = free_port()?;
    let native_port = free_port()?;
    // DISPLAY must be in tauri-driver's own environment: it starts WebKitWebDriver,
    // which starts the app, and GTK needs a session bus of its own.
    let mut driver = Background::spawn(
        "tauri-driver",
        Command::new("dbus-run-session")
            .arg("--")
            .args(wrap)
            .arg("env")
            .args(env)
            .args(["tauri-driver", "--port", &port.to_string()])
            .args(["--native-port", &native_port.to_string()])
            .args(["--native-driver", "/usr/bin/WebKitWebDriver"])
            .env("DISPLAY", display.name())
            .env("HERON_CONFIG", config)
            .env("LANG", "C.UTF-8")
            .env_remove("WAYLAND_DISPLAY"),
        &out.join("tauri-driver.log"),
    )?;
    heron_harness::servers::wait_for_port(port, "tauri-driver", &out.join("tauri-driver.log"))?;
    driver.check_running()?;
    Ok((driver, port))
}

/// The app's identifier, which names its data directory (`$XDG_DATA_HOME/<identifier>`).
pub(crate) fn app_identifier(root: &Path) -> Result<String> {
    let path = root.join("tauri.conf.json");
    let conf: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(&path)
            .with_context(|| format!("Cannot read {}", path.display()))?,
    )
    .with_context(|| format!("{} is not JSON", path.display()))?;
    conf["identifier"]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("{} has no identifier", path.display()))
}

/// Creates the local store of `data_dir` with its key in a key file in `key_dir`, as
/// Heron does where no keyring can be reached and the admin's policy allows the
/// fallback. Once a keyring is back, Heron keeps using that key file (and warns).
pub(crate) fn key_file_store(data_dir: &Path, key_dir: &Path) -> Result<()> {
    let key_file = std::sync::Arc::new(heron_store::KeyFileStore::in_dir(key_dir));
    heron_store::Store::open(data_dir, key_file, &mut heron_store::OsRandom)
        .with_context(|| format!("Cannot create a key-file store in {}", data_dir.display()))?;
    Ok(())
}

/// `NAME=value` for `env`.
pub(crate) fn env_assignment(name: &str, value: &Path) -> std::ffi::OsString {
    let mut assignment = std::ffi::OsString::from(format!("{name}="));
    assignment.push(value);
    assignment
}

/// Runs the demo window in a virtual display, saves a screenshot once it has drawn, and
/// stops it.
pub fn demo_under_xvfb(root: &Path, binary: &Path, config: &Path) -> Result<()> {
    let out = fresh_dir(crate::target_dir(root).join("demo"))?;
    let display = VirtualDisplay::start(&out)?;
    let mut app = Background::spawn(
        "heron",
        Command::new("dbus-run-session")
            .arg("--")
            .arg(binary)
            .env("DISPLAY", display.name())
            .env("HERON_CONFIG", config)
            .env_remove("WAYLAND_DISPLAY"),
        &out.join("heron.log"),
    )?;
    std::thread::sleep(Duration::from_secs(8));
    app.check_running()?;
    let shot = out.join("demo.png");
    run(Step::new("Screenshot of the demo window", "import")
        .args(["-window", "root", "-display", &display.name()])
        .arg(&shot))?;
    eprintln!(
        "==> The demo window ran under Xvfb; screenshot: {}",
        shot.display()
    );
    Ok(())
}
