//! Running the commands a step is made of, and the long-lived helpers of the
//! end-to-end suite, so that none of them outlives the step.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// One command with a human description.
pub struct Step {
    what: String,
    command: Command,
}

impl Step {
    /// A step running `program`.
    pub fn new(what: &str, program: impl AsRef<OsStr>) -> Self {
        Self {
            what: what.to_owned(),
            command: Command::new(program),
        }
    }
    /// Adds an argument.
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.command.arg(arg);
        self
    }
    /// Adds arguments.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.command.args(args);
        self
    }
    /// Sets an environment variable.
    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.command.env(key, value);
        self
    }
    /// Sets the working directory.
    pub fn cwd(mut self, dir: impl AsRef<Path>) -> Self {
        self.command.current_dir(dir);
        self
    }
}

/// Runs a step to completion, its output going to ours; fails when it fails.
pub fn run(mut step: Step) -> Result<()> {
    eprintln!("==> {}", step.what);
    let status = step
        .command
        .stdin(Stdio::null())
        .status()
        .with_context(|| format!("Cannot start: {}", step.what))?;
    if !status.success() {
        bail!("{} failed ({status})", step.what);
    }
    Ok(())
}

/// A background process that is stopped (SIGTERM, then SIGKILL) when dropped.
pub struct Background {
    name: String,
    child: Child,
}

impl Background {
    /// Starts `command` in its own process group with output to `log`.
    pub fn spawn(name: &str, command: &mut Command, log: &Path) -> Result<Self> {
        use std::os::unix::process::CommandExt as _;
        let out = std::fs::File::create(log)
            .with_context(|| format!("Cannot create {}", log.display()))?;
        let child = command
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .process_group(0)
            .spawn()
            .with_context(|| format!("Cannot start {name}"))?;
        Ok(Self {
            name: name.to_owned(),
            child,
        })
    }

    /// Fails if the process has exited already.
    pub fn check_running(&mut self) -> Result<()> {
        if let Some(status) = self.child.try_wait()? {
            bail!("{} exited early ({status})", self.name);
        }
        Ok(())
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        // The whole process group: helpers such as dbus-run-session have children.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.child.wait();
    }
}

/// A directory made fresh for output.
pub fn fresh_dir(path: PathBuf) -> Result<PathBuf> {
    if path.exists() {
        std::fs::remove_dir_all(&path)
            .with_context(|| format!("Cannot clear {}", path.display()))?;
    }
    std::fs::create_dir_all(&path).with_context(|| format!("Cannot create {}", path.display()))?;
    Ok(path)
}
