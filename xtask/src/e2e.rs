//! The real window under a virtual X server: the end-to-end suite (tauri-driver +
//! WebKitWebDriver, driven by tests/e2e/run.mjs) and the headless demo.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use heron_harness::Stack;

use crate::process::{Background, Step, fresh_dir, run};

/// A virtual X display, stopped when dropped.
struct VirtualDisplay {
    number: u32,
    _server: Background,
}

impl VirtualDisplay {
    fn start(log_dir: &Path) -> Result<Self> {
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

    fn name(&self) -> String {
        format!(":{}", self.number)
    }
}

fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// Runs tests/e2e/run.mjs against the built app in a virtual display.
pub fn run_suite(root: &Path, stack: &Stack, update_screenshots: bool) -> Result<()> {
    let target = crate::target_dir(root);
    let out = fresh_dir(target.join("e2e"))?;
    let app = target.join("debug/heron");
    let config = crate::write_demo_policy(stack, &out.join("policy.json"))?;

    // A fresh data and config home per run: the app starts as on first use, so the
    // privacy notice is shown and must be accepted, and no earlier run's state leaks in.
    let data_home = out.join("xdg-data");
    let config_home = out.join("xdg-config");
    std::fs::create_dir_all(&data_home)?;
    std::fs::create_dir_all(&config_home)?;

    let display = VirtualDisplay::start(&out)?;
    let port = free_port()?;
    let native_port = free_port()?;
    // DISPLAY must be in tauri-driver's own environment: it starts WebKitWebDriver,
    // which starts the app. dbus-run-session gives GTK a session bus of its own.
    let mut driver = Background::spawn(
        "tauri-driver",
        Command::new("dbus-run-session")
            .args(["--", "tauri-driver", "--port", &port.to_string()])
            .args(["--native-port", &native_port.to_string()])
            .args(["--native-driver", "/usr/bin/WebKitWebDriver"])
            .env("DISPLAY", display.name())
            .env("HERON_CONFIG", &config)
            .env("XDG_DATA_HOME", &data_home)
            .env("XDG_CONFIG_HOME", &config_home)
            .env("LANG", "C.UTF-8")
            .env_remove("WAYLAND_DISPLAY"),
        &out.join("tauri-driver.log"),
    )?;
    heron_harness::servers::wait_for_port(port, "tauri-driver", &out.join("tauri-driver.log"))?;
    driver.check_running()?;
    let result = run(
        Step::new("End-to-end: the real window over WebDriver", "timeout")
            .args(["600", "node"])
            .arg(root.join("tests/e2e/run.mjs"))
            .env("HERON_WEBDRIVER", format!("http://127.0.0.1:{port}"))
            .env("HERON_APP", &app)
            .env("HERON_E2E_OUT", &out)
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
