//! Heron's real-server test harness.
//!
//! One [`Stack`] is a set of real servers from Debian packages, each with its own config
//! and state under one directory, on 127.0.0.1 high ports, started without systemd:
//! Dovecot (IMAP, LMTP, SASL), Postfix (submission, delivering to Dovecot), Radicale
//! (CalDAV/CardDAV), OpenLDAP (the company directory) and glewlwyd (an OAuth 2.0 /
//! OpenID Connect provider, see [`idp`]). Tests, benchmarks and the
//! demo share it: [`Stack::ensure`] starts it or reuses the running one, and each test
//! takes fresh users from [`Stack::add_user`] so parallel tests never see each other's
//! mail. Users log in with their password, with an OAuth 2.0 token from
//! [`Stack::oauth_token`], which Dovecot validates itself (see [`oauth`]), or through a
//! real sign-in at the stack's provider, [`Stack::idp`].

pub mod directory_data;
pub mod discovery;
pub mod fault_proxy;
pub mod idp;
pub mod oauth;
pub mod seed;
pub mod servers;
pub mod smtp_stage_proxy;
pub mod tls;

use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

pub use servers::{LDAP_ADMIN_DN, LDAP_BASE_DN, MAIL_DOMAIN, Ports};

/// Environment variable naming the stack directory (default `/tmp/heron-harness`).
pub const DIR_ENV: &str = "HERON_HARNESS_DIR";
/// Environment variable with the port base (default 31000; IMAPS is base + 993).
pub const PORT_BASE_ENV: &str = "HERON_HARNESS_PORT_BASE";
/// The port base when none is set.
pub const DEFAULT_PORT_BASE: u16 = 31000;
/// The users every stack has, with the people of the same uid in the directory.
pub const DEFAULT_USERS: &[&str] = &["alice", "bob", "carol"];
const LDAP_ADMIN_PASSWORD: &str = "heron-ldap-admin";

/// The generation of the servers' configuration. [`Stack::ensure`] restarts a running
/// stack whose configuration is older, so that a change reaches developer machines
/// with a stack still running, not only CI's fresh ones; a newer one is reused as it
/// is (it serves everything older code expects), so that two checkouts sharing a stack
/// do not restart it under each other's tests. Raise it whenever a generated config
/// changes in a way tests rely on.
///
/// 1: the first stack (a stack.json without a version is taken as this).
/// 2: OAuth 2.0 logins (XOAUTH2, OAUTHBEARER) validated by Dovecot, see [`oauth`].
/// 3: glewlwyd, a real OAuth 2.0 provider, whose tokens Dovecot accepts, see [`idp`].
pub const CONFIG_VERSION: u32 = 3;

/// A mail (and calendar) account on the stack.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Full address, which is also the login.
    pub address: String,
    /// The password, in clear: this is a throw-away loopback stack.
    pub password: String,
}

/// What a running stack is: written to `stack.json` in its directory.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StackInfo {
    /// The stack directory.
    pub dir: PathBuf,
    /// Its ports.
    pub ports: Ports,
    /// The CA that signed every server certificate.
    pub ca_pem: PathBuf,
    /// Server name -> pid of the process to stop.
    pub pids: BTreeMap<String, u32>,
    /// The directory's admin DN password.
    pub ldap_admin_password: String,
    /// The [`CONFIG_VERSION`] the servers were configured with.
    #[serde(default = "first_config_version")]
    pub config_version: u32,
}

fn first_config_version() -> u32 {
    1
}

/// Whether a stack's servers run with everything this harness configures.
fn config_is_current(info: &StackInfo) -> bool {
    info.config_version >= CONFIG_VERSION
}

/// A running stack.
#[derive(Clone, Debug)]
pub struct Stack {
    info: StackInfo,
    layout: servers::Layout,
}

/// The order servers start in; they stop in the reverse order.
const SERVERS: &[&str] = &["dovecot", "postfix", "radicale", "slapd", "glewlwyd"];

impl Stack {
    /// The stack directory from the environment, or the default.
    pub fn default_dir() -> PathBuf {
        std::env::var_os(DIR_ENV)
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/tmp/heron-harness"))
    }

    /// The port base from the environment, or the default.
    pub fn port_base() -> Result<u16> {
        match std::env::var(PORT_BASE_ENV) {
            Ok(text) => text
                .parse()
                .with_context(|| format!("{PORT_BASE_ENV}={text:?} is not a port number")),
            Err(_) => Ok(DEFAULT_PORT_BASE),
        }
    }

    /// Starts the stack in the default directory, or reuses it when it is running.
    pub fn ensure() -> Result<Self> {
        Self::ensure_at(&Self::default_dir(), Self::port_base()?)
    }

    /// Starts the stack in `dir`, or reuses it when all its servers are running with a
    /// configuration at least as new as [`CONFIG_VERSION`] (an older one is stopped and
    /// started again with the current configuration; users and mail are kept).
    /// Safe to call from several processes at once: they serialise on a lock file.
    pub fn ensure_at(dir: &Path, port_base: u16) -> Result<Self> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("Cannot create the stack directory {}", dir.display()))?;
        let _lock = lock(dir)?;
        let layout = servers::Layout {
            root: dir.to_path_buf(),
        };
        if let Some(info) = read_info(dir)? {
            if info.ports == Ports::from_base(port_base)?
                && config_is_current(&info)
                && running(&info)
            {
                return Ok(Self { info, layout });
            }
            stop_pids(&info)?;
        }
        let info = start(dir, &layout, port_base)?;
        write_info(dir, &info)?;
        Ok(Self { info, layout })
    }

    /// Whether a stack runs in `dir` (all its servers alive and listening).
    pub fn running_at(dir: &Path) -> Result<bool> {
        Ok(read_info(dir)?.is_some_and(|info| running(&info)))
    }

    /// Stops the stack in `dir`, if one is running; its files stay for inspection.
    pub fn stop_at(dir: &Path) -> Result<bool> {
        if !dir.exists() {
            return Ok(false);
        }
        let _lock = lock(dir)?;
        let Some(info) = read_info(dir)? else {
            return Ok(false);
        };
        stop_pids(&info)?;
        std::fs::remove_file(dir.join("stack.json"))?;
        Ok(true)
    }

    /// Stops Dovecot alone (IMAP unreachable: "offline" for a client), keeping the rest
    /// of the stack; [`Stack::start_dovecot_at`] brings it back with the same mail.
    pub fn stop_dovecot_at(dir: &Path) -> Result<()> {
        let _lock = lock(dir)?;
        let mut info = read_info(dir)?.context("No stack runs there")?;
        if let Some(pid) = info.pids.remove("dovecot")
            && belongs_to_stack("dovecot", pid, &info.dir)
        {
            servers::stop_process(pid, Duration::from_secs(10))
                .with_context(|| format!("Cannot stop dovecot (pid {pid})"))?;
        }
        write_info(dir, &info)
    }

    /// Starts Dovecot again after [`Stack::stop_dovecot_at`] and waits for its ports.
    pub fn start_dovecot_at(dir: &Path) -> Result<()> {
        let _lock = lock(dir)?;
        let mut info = read_info(dir)?.context("No stack runs there")?;
        if info.pids.contains_key("dovecot") {
            return Ok(());
        }
        let layout = servers::Layout {
            root: info.dir.clone(),
        };
        let pid = servers::start_dovecot(&layout)?;
        info.pids.insert("dovecot".to_owned(), pid);
        for port in [
            info.ports.imap,
            info.ports.imaps,
            info.ports.lmtp,
            info.ports.sasl,
        ] {
            servers::wait_for_port(port, "Dovecot", &layout.log("dovecot"))?;
        }
        write_info(dir, &info)
    }

    /// What the stack is.
    pub fn info(&self) -> &StackInfo {
        &self.info
    }

    /// Its ports.
    pub fn ports(&self) -> Ports {
        self.info.ports
    }

    /// The CA certificate clients must trust.
    pub fn ca_pem(&self) -> &Path {
        &self.info.ca_pem
    }

    /// The stack's certificate files: the CA, and the certificate and key every server
    /// presents (for test servers and proxies that must look like the stack).
    pub fn tls_files(&self) -> tls::TlsFiles {
        tls::files_in(&self.info.dir.join("tls"))
    }

    /// The stack's OAuth 2.0 / OpenID Connect provider: its endpoints, and a browser
    /// that signs a user in (see [`idp`]).
    pub fn idp(&self) -> idp::Idp {
        idp::Idp::new(&self.layout, &self.info.ports, &self.info.ca_pem)
    }

    /// Where a server's log is.
    pub fn log(&self, server: &str) -> PathBuf {
        self.layout.log(server)
    }

    /// One of the default users (`alice`, `bob`, `carol`).
    pub fn user(&self, name: &str) -> Result<User> {
        if !DEFAULT_USERS.contains(&name) {
            bail!("{name:?} is not a default user of the stack ({DEFAULT_USERS:?})");
        }
        Ok(default_user(name))
    }

    /// Creates a fresh user no other test uses: `<prefix>-<pid>-<n>@example.test`.
    pub fn add_user(&self, prefix: &str) -> Result<User> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let local = format!("{prefix}-{}-{n}", std::process::id());
        let user = User {
            address: format!("{local}@{MAIL_DOMAIN}"),
            password: format!("pw-{local}"),
        };
        {
            let _lock = lock(&self.info.dir)?;
            register_user(&self.layout, &user)?;
            self.idp()
                .add_user(&user)
                .with_context(|| format!("Cannot add {} to the identity provider", user.address))?;
        }
        self.wait_until_user_can_log_in(&user)?;
        Ok(user)
    }

    /// Dovecot re-reads its passwd-file at most once a second, so a user added right
    /// after a login can be unknown for a moment; a test must not see that.
    fn wait_until_user_can_log_in(&self, user: &User) -> Result<()> {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let status = Command::new("doveadm")
                .arg("-c")
                .arg(self.layout.dovecot_conf())
                .args(["auth", "test", &user.address, &user.password])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status()
                .context("Cannot run doveadm")?;
            if status.success() {
                return Ok(());
            }
            if std::time::Instant::now() > deadline {
                bail!(
                    "Dovecot did not accept the new user {} within 10 s",
                    user.address
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// An OAuth 2.0 access token that logs `user` in over XOAUTH2 or OAUTHBEARER (IMAP,
    /// and submission through Postfix) for `lifetime` from now. Fails for a user the
    /// stack does not have, whose token Dovecot would refuse anyway.
    pub fn oauth_token(&self, user: &User, lifetime: Duration) -> Result<String> {
        if !self.has_user(&user.address)? {
            bail!(
                "{} is not a user of the stack; create it with add_user",
                user.address
            );
        }
        let claims = oauth::TokenClaims::new(&user.address, SystemTime::now(), lifetime);
        self.sign_oauth_token(&claims)
    }

    /// A token with any claims, signed with the stack's key: for tests of what Dovecot
    /// refuses (expired, another issuer, an account that does not exist).
    pub fn sign_oauth_token(&self, claims: &oauth::TokenClaims) -> Result<String> {
        let key = oauth::read_key(&oauth::files_in(&self.layout.oauth_dir()))?;
        oauth::sign(&key, claims)
    }

    fn has_user(&self, address: &str) -> Result<bool> {
        let users = self.layout.dovecot_users();
        let text = std::fs::read_to_string(&users)
            .with_context(|| format!("Cannot read {}", users.display()))?;
        Ok(text.lines().any(|l| {
            l.split(':')
                .next()
                .is_some_and(|u| u.eq_ignore_ascii_case(address))
        }))
    }

    /// Fills a user's mailbox with generated mail and lets Dovecot index it.
    pub fn seed_mailbox(
        &self,
        user: &User,
        options: &seed::SeedOptions,
    ) -> Result<seed::SeedReport> {
        let maildir = self.layout.maildir(&user.address)?;
        let report = seed::seed_maildir(&maildir, options)?;
        self.adopt_maildir(user, &maildir)?;
        Ok(report)
    }

    /// Puts whole messages (raw RFC 5322 bytes, taken as they are, however broken) into
    /// a user's Inbox, as a delivery would, and lets Dovecot index them.
    pub fn put_in_inbox(&self, user: &User, messages: &[Vec<u8>]) -> Result<()> {
        let maildir = self.layout.maildir(&user.address)?;
        for sub in ["cur", "new", "tmp"] {
            std::fs::create_dir_all(maildir.join(sub))?;
        }
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_nanos();
        for (i, raw) in messages.iter().enumerate() {
            let name = format!("{stamp}.heron-put-{i}.localhost");
            let tmp = maildir.join("tmp").join(&name);
            std::fs::write(&tmp, raw)?;
            std::fs::rename(&tmp, maildir.join("new").join(&name))?;
        }
        self.adopt_maildir(user, &maildir)
    }

    /// Hands files written into a user's Maildir to the mail user and makes Dovecot
    /// see them (assigning UIDs).
    pub fn adopt_maildir(&self, user: &User, maildir: &Path) -> Result<()> {
        let home = maildir
            .parent()
            .context("A Maildir has a parent directory")?;
        let (uid, gid) = servers::mail_owner()?;
        servers::run_checked(
            Command::new("chown")
                .arg("-R")
                .arg(format!("{uid}:{gid}"))
                .arg(home),
            &self.layout.log("seed"),
            "chown",
        )?;
        self.doveadm(&["force-resync", "-u", &user.address, "*"])
    }

    /// The command line that runs doveadm against the stack's Dovecot, for a test
    /// outside Rust (the end-to-end suite delivers mail with `doveadm save`).
    pub fn doveadm_argv(&self) -> Vec<String> {
        vec![
            "doveadm".to_owned(),
            "-c".to_owned(),
            self.layout.dovecot_conf().display().to_string(),
        ]
    }

    /// Runs a doveadm command against the stack's Dovecot.
    pub fn doveadm(&self, args: &[&str]) -> Result<()> {
        servers::run_checked(
            Command::new("doveadm")
                .arg("-c")
                .arg(self.layout.dovecot_conf())
                .args(args),
            &self.layout.log("doveadm"),
            "doveadm",
        )
    }

    /// How many messages in `user`'s `folder` have this Message-ID (without angle
    /// brackets), as Dovecot itself sees it: the server's truth for "delivered exactly
    /// once" checks. A folder that does not exist holds none.
    pub fn count_messages(&self, user: &User, folder: &str, message_id: &str) -> Result<usize> {
        let out = Command::new("doveadm")
            .arg("-c")
            .arg(self.layout.dovecot_conf())
            .args(["search", "-u", &user.address, "mailbox", folder])
            .args(["header", "Message-ID", &format!("<{message_id}>")])
            .output()
            .context("Cannot run doveadm (is its Debian package installed?)")?;
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            if stderr.contains("doesn't exist") || stderr.contains("Mailbox not found") {
                return Ok(0);
            }
            bail!("doveadm search failed ({}): {stderr}", out.status);
        }
        Ok(String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| !l.trim().is_empty())
            .count())
    }

    /// The Message-IDs (without angle brackets) of every message in `user`'s `folder`,
    /// one per message, so duplicates show as repeats.
    pub fn message_ids(&self, user: &User, folder: &str) -> Result<Vec<String>> {
        let out = Command::new("doveadm")
            .arg("-c")
            .arg(self.layout.dovecot_conf())
            .args([
                "fetch",
                "-u",
                &user.address,
                "hdr.message-id",
                "mailbox",
                folder,
            ])
            .output()
            .context("Cannot run doveadm (is its Debian package installed?)")?;
        if !out.status.success() {
            bail!(
                "doveadm fetch failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.strip_prefix("hdr.message-id:"))
            .map(|v| {
                v.trim()
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_owned()
            })
            .collect())
    }

    /// Waits until `user`'s `folder` holds at least `at_least` messages with this
    /// Message-ID, or `wait` passes (delivery through Postfix and LMTP is asynchronous),
    /// and returns how many it holds then.
    pub fn wait_for_messages(
        &self,
        user: &User,
        folder: &str,
        message_id: &str,
        at_least: usize,
        wait: Duration,
    ) -> Result<usize> {
        let deadline = std::time::Instant::now() + wait;
        loop {
            let n = self.count_messages(user, folder, message_id)?;
            if n >= at_least || std::time::Instant::now() >= deadline {
                return Ok(n);
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// The managed configuration (the format `heronctl --config` and the app read) that
    /// provisions `user` on this stack, trusting the stack's CA.
    pub fn heron_config(
        &self,
        account_id: &str,
        display_name: &str,
        user: &User,
    ) -> serde_json::Value {
        let ports = self.ports();
        serde_json::json!({
            "accounts": [{
                "id": account_id,
                "display_name": display_name,
                "email": user.address,
                "password": user.password,
                "imap": {"host": "127.0.0.1", "port": ports.imaps, "security": "tls"},
                "smtp": {"host": "127.0.0.1", "port": ports.submissions, "security": "tls"},
                "dav_url": format!("https://127.0.0.1:{}/", ports.dav),
                "ldap": {
                    "url": format!("ldaps://127.0.0.1:{}", ports.ldaps),
                    "base_dn": LDAP_BASE_DN,
                },
            }],
            "security": {"extra_ca_files": [self.ca_pem()]},
        })
    }
}

fn default_user(name: &str) -> User {
    User {
        address: format!("{name}@{MAIL_DOMAIN}"),
        password: format!("heron-{name}-pw"),
    }
}

fn start(dir: &Path, layout: &servers::Layout, port_base: u16) -> Result<StackInfo> {
    if !is_root()? {
        bail!(
            "The test stack runs Postfix and Dovecot under their system users and must be \
             started as root (CI and the dev machines are); run it with sudo"
        );
    }
    let ports = Ports::from_base(port_base)?;
    ports.check_free()?;
    let tls = tls::ensure_pki(&dir.join("tls"))?;
    let oauth_keys = oauth::ensure_key(&layout.oauth_dir(), servers::dovecot_owner()?)?;
    servers::write_dovecot_config(layout, &ports, &tls, &oauth_keys)?;
    servers::write_postfix_config(layout, &ports, &tls)?;
    servers::write_radicale_config(layout, &ports, &tls)?;
    let ldif = directory_data::organisation_ldif(
        LDAP_BASE_DN,
        MAIL_DOMAIN,
        &directory_data::PhotoSource::Bundled,
    )?;
    servers::write_slapd_config(layout, &tls, LDAP_ADMIN_PASSWORD, &ldif)?;
    idp::write_config(layout, &ports, &tls)?;
    for name in DEFAULT_USERS {
        register_user(layout, &default_user(name))?;
    }

    let mut info = StackInfo {
        dir: dir.to_path_buf(),
        ports,
        ca_pem: tls.ca_pem.clone(),
        pids: BTreeMap::new(),
        ldap_admin_password: LDAP_ADMIN_PASSWORD.to_owned(),
        config_version: CONFIG_VERSION,
    };
    if let Err(e) = start_servers(layout, &ports, &tls.ca_pem, &mut info.pids) {
        // Leave nothing half-started behind.
        let _ = stop_pids(&info);
        return Err(e);
    }
    Ok(info)
}

fn start_servers(
    layout: &servers::Layout,
    ports: &Ports,
    ca_pem: &Path,
    pids: &mut BTreeMap<String, u32>,
) -> Result<()> {
    for &server in SERVERS {
        let (pid, listening): (u32, Vec<(u16, &str)>) = match server {
            "dovecot" => (
                servers::start_dovecot(layout)?,
                vec![
                    (ports.imap, "IMAP"),
                    (ports.imaps, "IMAPS"),
                    (ports.lmtp, "LMTP"),
                    (ports.sasl, "SASL"),
                ],
            ),
            "postfix" => (
                servers::start_postfix(layout)?,
                vec![
                    (ports.submission, "submission"),
                    (ports.submissions, "submissions"),
                ],
            ),
            "radicale" => (
                servers::start_radicale(layout)?,
                vec![(ports.dav, "Radicale")],
            ),
            "glewlwyd" => (idp::start(layout)?, vec![(ports.idp, "glewlwyd")]),
            _ => (
                servers::start_slapd(layout, ports)?,
                vec![(ports.ldap, "LDAP"), (ports.ldaps, "LDAPS")],
            ),
        };
        pids.insert(server.to_owned(), pid);
        for (port, what) in listening {
            servers::wait_for_port(port, what, &layout.log(server))?;
        }
        if server == "glewlwyd" {
            let users: Vec<User> = DEFAULT_USERS.iter().map(|n| default_user(n)).collect();
            idp::provision(&idp::Idp::new(layout, ports, ca_pem), layout, &users)?;
        }
    }
    Ok(())
}

fn register_user(layout: &servers::Layout, user: &User) -> Result<()> {
    append_line_once(
        &layout.dovecot_users(),
        &format!("{}:{{PLAIN}}{}::::::", user.address, user.password),
    )?;
    append_line_once(
        &layout.radicale_users(),
        &format!("{}:{}", user.address, user.password),
    )
}

fn append_line_once(path: &Path, line: &str) -> Result<()> {
    let existing = std::fs::read_to_string(path).unwrap_or_default();
    if existing.lines().any(|l| l == line) {
        return Ok(());
    }
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("Cannot open {}", path.display()))?;
    // One write, so a server reading the file never sees half a line.
    file.write_all(format!("{line}\n").as_bytes())?;
    Ok(())
}

fn running(info: &StackInfo) -> bool {
    SERVERS.iter().all(|s| {
        info.pids
            .get(*s)
            .is_some_and(|pid| servers::process_alive(*pid))
    }) && servers::port_open(info.ports.imaps)
        && servers::port_open(info.ports.submissions)
        && servers::port_open(info.ports.idp)
}

fn stop_pids(info: &StackInfo) -> Result<()> {
    for server in SERVERS.iter().rev() {
        if let Some(pid) = info.pids.get(*server)
            && belongs_to_stack(server, *pid, &info.dir)
        {
            servers::stop_process(*pid, Duration::from_secs(10))
                .with_context(|| format!("Cannot stop {server} (pid {pid})"))?;
        }
    }
    Ok(())
}

/// Whether `pid` is still the server the stack started: after a reboot the number may
/// belong to an unrelated process, which must never be signalled.
fn belongs_to_stack(server: &str, pid: u32, dir: &Path) -> bool {
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let cmdline = String::from_utf8_lossy(&cmdline);
    if server == "postfix" {
        // Postfix's master re-executes itself without the config directory in argv; its
        // own pid file in this stack's queue directory says whether it is ours.
        let pid_file = dir.join("postfix/queue/pid/master.pid");
        cmdline.starts_with("/usr/lib/postfix/sbin/master")
            && std::fs::read_to_string(pid_file)
                .is_ok_and(|text| text.trim().parse::<u32>().is_ok_and(|p| p == pid))
    } else {
        cmdline.contains(&*dir.to_string_lossy())
    }
}

fn read_info(dir: &Path) -> Result<Option<StackInfo>> {
    let path = dir.join("stack.json");
    match std::fs::read_to_string(&path) {
        // An unreadable description (older format, torn write) means: start afresh.
        Ok(text) => Ok(serde_json::from_str(&text).ok()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("Cannot read {}", path.display())),
    }
}

fn write_info(dir: &Path, info: &StackInfo) -> Result<()> {
    let tmp = dir.join("stack.json.tmp");
    std::fs::write(&tmp, serde_json::to_vec_pretty(info)?)?;
    std::fs::rename(&tmp, dir.join("stack.json"))?;
    Ok(())
}

/// Holds the stack directory's lock until dropped (closing the file releases it).
fn lock(dir: &Path) -> Result<std::fs::File> {
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join("lock"))
        .context("Cannot open the stack lock file")?;
    file.lock().context("Cannot lock the stack directory")?;
    Ok(file)
}

fn is_root() -> Result<bool> {
    let status =
        std::fs::read_to_string("/proc/self/status").context("Cannot read /proc/self/status")?;
    Ok(status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|rest| rest.split_whitespace().nth(1))
        .is_some_and(|euid| euid == "0"))
}

#[cfg(test)]
mod tests {
    // Test code: a failed unwrap is a failed test.
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// What the first harness wrote: no config version.
    const FIRST_STACK_JSON: &str = r#"{
      "dir": "/tmp/heron-harness",
      "ports": {"imap": 31143, "imaps": 31993, "submission": 31587, "submissions": 31465,
                "lmtp": 31024, "sasl": 31012, "dav": 31232, "ldap": 31389, "ldaps": 31636},
      "ca_pem": "/tmp/heron-harness/tls/ca.pem",
      "pids": {"dovecot": 21490, "postfix": 21746, "radicale": 21753, "slapd": 21762},
      "ldap_admin_password": "heron-ldap-admin"
    }"#;

    #[test]
    fn a_stack_started_by_an_older_harness_is_restarted_not_forgotten() {
        // It must still parse: a description that does not is taken as "no stack", and
        // then its servers would keep the ports while a new stack tries to start.
        let info: StackInfo = serde_json::from_str(FIRST_STACK_JSON).unwrap();
        assert_eq!(info.config_version, 1);
        assert_eq!(info.pids.len(), 4);
        assert!(!config_is_current(&info));
    }

    #[test]
    fn a_stack_as_new_or_newer_is_reused() {
        let mut info: StackInfo = serde_json::from_str(FIRST_STACK_JSON).unwrap();
        info.config_version = CONFIG_VERSION;
        assert!(config_is_current(&info));
        info.config_version = CONFIG_VERSION + 1;
        assert!(
            config_is_current(&info),
            "a newer harness's stack serves older tests"
        );
        let written = serde_json::to_string(&info).unwrap();
        let read: StackInfo = serde_json::from_str(&written).unwrap();
        assert_eq!(read.config_version, CONFIG_VERSION + 1);
    }
}
