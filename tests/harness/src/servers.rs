//! Configuration and process control for each real server of the stack.
//!
//! Each server gets its own config file and state directory under the stack directory,
//! listens on 127.0.0.1 only, and is started without systemd. The functions here write
//! configuration and start processes; [`crate::Stack`] decides when.

use std::fmt::Write as _;
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use crate::oauth;
use crate::tls::TlsFiles;

/// The loopback ports of one stack; fixed offsets from a base so that the demo, the
/// docs and an admin's `heronctl` can name them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ports {
    /// IMAP with STARTTLS.
    pub imap: u16,
    /// IMAP over implicit TLS.
    pub imaps: u16,
    /// Submission with STARTTLS (required).
    pub submission: u16,
    /// Submission over implicit TLS.
    pub submissions: u16,
    /// Dovecot LMTP, where Postfix delivers.
    pub lmtp: u16,
    /// Dovecot's auth service, Postfix's SASL backend.
    pub sasl: u16,
    /// Radicale (CalDAV and CardDAV) over TLS.
    pub dav: u16,
    /// OpenLDAP with StartTLS available.
    pub ldap: u16,
    /// OpenLDAP over implicit TLS.
    pub ldaps: u16,
    /// glewlwyd, the OAuth 2.0 / OpenID Connect provider, over HTTPS (see
    /// [`crate::idp`]). Zero in the description of a stack an older harness started.
    #[serde(default)]
    pub idp: u16,
}

impl Ports {
    /// The ports of a stack whose base is `base` (default 31000).
    pub fn from_base(base: u16) -> Result<Self> {
        let at = |offset: u16| {
            base.checked_add(offset)
                .with_context(|| format!("Port base {base} is too high"))
        };
        Ok(Self {
            imap: at(143)?,
            imaps: at(993)?,
            submission: at(587)?,
            submissions: at(465)?,
            lmtp: at(24)?,
            sasl: at(12)?,
            dav: at(232)?,
            ldap: at(389)?,
            ldaps: at(636)?,
            idp: at(443)?,
        })
    }

    fn all(&self) -> [(&'static str, u16); 10] {
        [
            ("imap", self.imap),
            ("imaps", self.imaps),
            ("submission", self.submission),
            ("submissions", self.submissions),
            ("lmtp", self.lmtp),
            ("sasl", self.sasl),
            ("dav", self.dav),
            ("ldap", self.ldap),
            ("ldaps", self.ldaps),
            ("idp", self.idp),
        ]
    }

    /// Fails with the name of the first port that something else already listens on.
    pub fn check_free(&self) -> Result<()> {
        for (name, port) in self.all() {
            if port_open(port) {
                bail!(
                    "Port {port} ({name}) on 127.0.0.1 is already in use by another program; \
                     stop it or choose another base with HERON_HARNESS_PORT_BASE"
                );
            }
        }
        Ok(())
    }
}

/// The mail domain of the stack's users.
pub const MAIL_DOMAIN: &str = "example.test";
/// The directory suffix of the organisation in OpenLDAP.
pub const LDAP_BASE_DN: &str = "dc=example,dc=test";
/// The directory's administrator.
pub const LDAP_ADMIN_DN: &str = "cn=admin,dc=example,dc=test";

/// Where each server keeps its files inside the stack directory.
#[derive(Clone, Debug)]
pub struct Layout {
    /// The stack directory.
    pub root: PathBuf,
}

impl Layout {
    fn dir(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }
    /// Dovecot's config file.
    pub fn dovecot_conf(&self) -> PathBuf {
        self.dir("dovecot").join("dovecot.conf")
    }
    /// Dovecot's passwd-file (users and passwords).
    pub fn dovecot_users(&self) -> PathBuf {
        self.dir("dovecot").join("users")
    }
    /// The settings of Dovecot's oauth2 passdb (its `args` file).
    pub fn dovecot_oauth2_conf(&self) -> PathBuf {
        self.dir("dovecot").join("oauth2.conf.ext")
    }
    /// The settings of Dovecot's second oauth2 passdb, which asks the stack's identity
    /// provider about its tokens (see [`crate::idp`]).
    pub fn dovecot_idp_conf(&self) -> PathBuf {
        self.dir("dovecot").join("oauth2-idp.conf.ext")
    }
    /// Where the OAuth signing key lives (see [`crate::oauth`]).
    pub fn oauth_dir(&self) -> PathBuf {
        self.dir("oauth2")
    }
    /// Radicale's htpasswd file.
    pub fn radicale_users(&self) -> PathBuf {
        self.dir("radicale").join("users")
    }
    /// Root of all mailboxes: `<root>/mail/<domain>/<user>/Maildir`.
    pub fn mail_root(&self) -> PathBuf {
        self.dir("mail")
    }
    /// A user's Maildir.
    pub fn maildir(&self, address: &str) -> Result<PathBuf> {
        let (local, domain) = address
            .split_once('@')
            .with_context(|| format!("{address:?} is not an email address"))?;
        Ok(self.mail_root().join(domain).join(local).join("Maildir"))
    }
    /// Postfix's config directory.
    pub fn postfix_dir(&self) -> PathBuf {
        self.dir("postfix")
    }
    /// Log file of a server.
    pub fn log(&self, server: &str) -> PathBuf {
        self.dir("logs").join(format!("{server}.log"))
    }
}

/// The uid and gid mail files belong to: Debian's `mail` user.
pub fn mail_owner() -> Result<(u32, u32)> {
    lookup_user("mail")
}

fn lookup_user(name: &str) -> Result<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").context("Cannot read /etc/passwd")?;
    for line in passwd.lines() {
        let fields: Vec<&str> = line.split(':').collect();
        if fields.len() > 3 && fields[0] == name {
            let uid = fields[2].parse().context("Bad uid in /etc/passwd")?;
            let gid = fields[3].parse().context("Bad gid in /etc/passwd")?;
            return Ok((uid, gid));
        }
    }
    bail!("The system user {name:?} does not exist (is the Debian package installed?)")
}

/// The uid and gid of Dovecot's own processes (`default_internal_user`), which include
/// the auth process that reads the OAuth signing key.
pub fn dovecot_owner() -> Result<(u32, u32)> {
    lookup_user("dovecot")
}

/// Writes Dovecot's configuration: IMAP with STARTTLS and implicit TLS, LMTP and a SASL
/// listener for Postfix, passwd-file users, Maildir, SPECIAL-USE folders. CONDSTORE,
/// QRESYNC and IDLE are on by default in Dovecot 2.3.
///
/// Logins are by password (PLAIN, LOGIN) or by OAuth 2.0 bearer token (XOAUTH2,
/// OAUTHBEARER): the tokens of [`crate::oauth`], which Dovecot validates itself, or
/// those of the stack's identity provider, which Dovecot asks it about ([`crate::idp`]).
/// Each kind only ever reaches its own passdbs, and a token logs in only an account
/// that exists in the passwd-file and only as the account the token names.
pub fn write_dovecot_config(
    layout: &Layout,
    ports: &Ports,
    tls: &TlsFiles,
    oauth_keys: &oauth::KeyFiles,
) -> Result<()> {
    let dir = layout.dir("dovecot");
    std::fs::create_dir_all(dir.join("run"))?;
    std::fs::create_dir_all(dir.join("state"))?;
    std::fs::create_dir_all(layout.dir("logs"))?;
    let (uid, gid) = mail_owner()?;
    let mail_root = layout.mail_root();
    std::fs::create_dir_all(&mail_root)?;
    std::os::unix::fs::chown(&mail_root, Some(uid), Some(gid))
        .with_context(|| format!("Cannot give {} to the mail user", mail_root.display()))?;
    let users = layout.dovecot_users();
    if !users.exists() {
        std::fs::write(&users, "")?;
    }
    let dh = Path::new("/usr/share/dovecot/dh.pem");
    let dh_line = if dh.exists() {
        format!("ssl_dh = <{}\n", dh.display())
    } else {
        String::new()
    };
    let conf = format!(
        r#"# Heron test stack: Dovecot. Generated by heron-harness; edits are overwritten.
base_dir = {run}
state_dir = {state}
log_path = {log}
info_log_path = {log}
protocols = imap lmtp
listen = 127.0.0.1
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
{dh_line}ssl_min_protocol = TLSv1.2
disable_plaintext_auth = yes
auth_mechanisms = plain login xoauth2 oauthbearer
# Failed logins are part of the tests; the default delay would make them slow, and
# the log says why each one failed.
auth_failure_delay = 0
auth_verbose = yes
auth_username_format = %Lu
first_valid_uid = {uid}
first_valid_gid = {gid}
mail_location = maildir:~/Maildir
mail_max_userip_connections = 200

# Passwords: compared with the passwd-file, and never with a token.
passdb {{
  driver = passwd-file
  mechanisms = plain login
  args = scheme=PLAIN username_format=%Lu {users}
}}
# Tokens, step 1: the account must exist. The same passwd-file, only looked up: its
# password is not compared with the token (nopassword, set before the lookup) and a
# found account does not log in by itself (noauthenticate: go on to step 2). An
# unknown account ends the login here.
passdb {{
  driver = passwd-file
  mechanisms = xoauth2 oauthbearer
  args = scheme=PLAIN username_format=%Lu {users}
  default_fields = noauthenticate nopassword
  result_failure = return-fail
  result_internalfail = return-fail
}}
# Tokens, step 2: a JWT signed with the stack's key, unexpired, from the stack's issuer
# for Heron, whose sub is the login name. No token server: Dovecot checks it itself.
# Any other token goes on to step 3.
passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {oauth2_conf}
  result_failure = continue
}}
# Tokens, step 3: one the stack's identity provider (glewlwyd) issued, which Dovecot
# cannot validate itself (typ at+jwt): the provider's userinfo endpoint must accept it,
# and its email claim is the login name. A token it refuses is a plain failure.
passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {idp_conf}
}}
userdb {{
  driver = passwd-file
  args = username_format=%Lu {users}
  default_fields = uid={uid} gid={gid} home={mail_root}/%d/%n
}}

namespace inbox {{
  inbox = yes
  separator = /
  mailbox Drafts {{
    special_use = \Drafts
    auto = subscribe
  }}
  mailbox Sent {{
    special_use = \Sent
    auto = subscribe
  }}
  mailbox Trash {{
    special_use = \Trash
    auto = subscribe
  }}
  mailbox Junk {{
    special_use = \Junk
    auto = subscribe
  }}
  mailbox Archive {{
    special_use = \Archive
    auto = subscribe
  }}
}}

service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps}
    ssl = yes
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {lmtp}
  }}
}}
service auth {{
  inet_listener sasl {{
    address = 127.0.0.1
    port = {sasl}
  }}
  # Keep one auth process for good: a new one first tries the penalty socket closed
  # below, and that costs 5 s before the next greeting, which made any login after a
  # minute of idleness (a resync after a long first sync) look 5 s slow.
  process_min_avail = 1
}}
# Every test connects from 127.0.0.1; one wrong-password test must not slow every
# later login down by up to 15 s (Dovecot's per-IP auth penalty).
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
protocol lmtp {{
  postmaster_address = postmaster@{domain}
}}
"#,
        run = dir.join("run").display(),
        state = dir.join("state").display(),
        log = layout.log("dovecot").display(),
        cert = tls.cert_pem.display(),
        key = tls.key_pem.display(),
        users = users.display(),
        oauth2_conf = layout.dovecot_oauth2_conf().display(),
        idp_conf = layout.dovecot_idp_conf().display(),
        mail_root = mail_root.display(),
        imap = ports.imap,
        imaps = ports.imaps,
        lmtp = ports.lmtp,
        sasl = ports.sasl,
        domain = MAIL_DOMAIN,
    );
    std::fs::write(layout.dovecot_conf(), conf)?;
    std::fs::write(
        layout.dovecot_oauth2_conf(),
        oauth2_passdb_settings(oauth_keys),
    )?;
    std::fs::write(layout.dovecot_idp_conf(), idp_passdb_settings(ports, tls))?;
    Ok(())
}

/// The oauth2 passdb's settings: local validation only (there is no token server to
/// ask), keys from an `fs:posix` dict, the account in `sub`, and the issuer and audience
/// of [`crate::oauth`] required.
fn oauth2_passdb_settings(keys: &oauth::KeyFiles) -> String {
    format!(
        r#"# Heron test stack: Dovecot's oauth2 passdb. Generated by heron-harness.
introspection_mode = local
local_validation_key_dict = fs:posix:prefix={dict}/
username_attribute = sub
issuers = {issuer}
client_id = {audience}
"#,
        dict = keys.dict_root.display(),
        issuer = oauth::ISSUER,
        audience = oauth::AUDIENCE,
    )
}

/// The settings of the passdb for the identity provider's tokens: `tokeninfo` mode
/// against its userinfo endpoint (which takes the token as RFC 6750's `access_token`
/// query parameter), trusting the stack's CA, the account in the `email` claim. Why
/// this mode and not local validation or introspection: see [`crate::idp`].
fn idp_passdb_settings(ports: &Ports, tls: &TlsFiles) -> String {
    format!(
        r#"# Heron test stack: Dovecot's oauth2 passdb for glewlwyd. Generated by heron-harness.
tokeninfo_url = {userinfo}?access_token=
username_attribute = email
tls_ca_cert_file = {ca}
"#,
        userinfo = crate::idp::userinfo_url(ports),
        ca = tls.ca_pem.display(),
    )
}

/// Starts Dovecot (it daemonises) and returns the master's pid.
pub fn start_dovecot(layout: &Layout) -> Result<u32> {
    let pid_file = layout.dir("dovecot").join("run").join("master.pid");
    clear_pid_file(&pid_file)?;
    run_checked(
        Command::new("dovecot").arg("-c").arg(layout.dovecot_conf()),
        &layout.log("dovecot"),
        "dovecot",
    )?;
    read_pid(&pid_file, &layout.log("dovecot"))
}

/// Writes Postfix's configuration: submission with required STARTTLS and over implicit
/// TLS, SASL through Dovecot, delivery over LMTP to Dovecot. Only authenticated users may
/// send, only as their own address, and nothing is relayed anywhere but example.test.
pub fn write_postfix_config(layout: &Layout, ports: &Ports, tls: &TlsFiles) -> Result<()> {
    let dir = layout.postfix_dir();
    std::fs::create_dir_all(&dir)?;
    std::fs::create_dir_all(dir.join("queue"))?;
    std::fs::create_dir_all(dir.join("data"))?;
    let (postfix_uid, postfix_gid) = lookup_user("postfix")?;
    std::os::unix::fs::chown(dir.join("data"), Some(postfix_uid), Some(postfix_gid))?;
    let log = layout.log("postfix");
    std::fs::write(
        dir.join("sender_login"),
        format!(
            "# Each user may send only as themselves.\n/^(.+@{})$/ ${{1}}\n",
            MAIL_DOMAIN.replace('.', "\\.")
        ),
    )?;
    let main_cf = format!(
        r#"# Heron test stack: Postfix. Generated by heron-harness; edits are overwritten.
compatibility_level = 3.6
queue_directory = {queue}
data_directory = {data}
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
mail_owner = postfix
setgid_group = postdrop
myhostname = mail.{domain}
mydomain = {domain}
myorigin = {domain}
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.1/32
alias_maps =
alias_database =
biff = no
smtputf8_enable = yes
message_size_limit = 52428800
maillog_file = {log}
maillog_file_prefixes = {log_dir}
smtpd_peername_lookup = no
disable_vrfy_command = yes
local_transport = error:local delivery is disabled in the test stack
virtual_mailbox_domains = {domain}
virtual_transport = lmtp:inet:127.0.0.1:{lmtp}
# Users come and go while tests run; Dovecot's LMTP refuses unknown ones at RCPT.
smtpd_reject_unlisted_recipient = no
smtpd_tls_cert_file = {cert}
smtpd_tls_key_file = {key}
smtpd_tls_security_level = encrypt
smtpd_tls_auth_only = yes
smtpd_tls_mandatory_protocols = >=TLSv1.2
smtpd_sasl_type = dovecot
smtpd_sasl_path = inet:127.0.0.1:{sasl}
smtpd_sasl_auth_enable = yes
smtpd_sender_login_maps = regexp:{sender_login}
smtpd_sender_restrictions = reject_sender_login_mismatch
smtpd_relay_restrictions = permit_sasl_authenticated, reject
smtpd_recipient_restrictions = permit_sasl_authenticated, reject
smtp_tls_security_level = none
"#,
        queue = dir.join("queue").display(),
        data = dir.join("data").display(),
        domain = MAIL_DOMAIN,
        log = log.display(),
        log_dir = layout.dir("logs").display(),
        lmtp = ports.lmtp,
        cert = tls.cert_pem.display(),
        key = tls.key_pem.display(),
        sasl = ports.sasl,
        sender_login = dir.join("sender_login").display(),
    );
    let mut master_cf =
        String::from("# Heron test stack: Postfix services. Generated by heron-harness.\n");
    writeln!(
        master_cf,
        "127.0.0.1:{} inet n - n - - smtpd\n  -o syslog_name=postfix/submission",
        ports.submission
    )?;
    writeln!(
        master_cf,
        "127.0.0.1:{} inet n - n - - smtpd\n  -o syslog_name=postfix/submissions\n  -o smtpd_tls_wrappermode=yes",
        ports.submissions
    )?;
    for line in [
        "pickup unix n - n 60 1 pickup",
        "cleanup unix n - n - 0 cleanup",
        "qmgr unix n - n 300 1 qmgr",
        "tlsmgr unix - - n 1000? 1 tlsmgr",
        "rewrite unix - - n - - trivial-rewrite",
        "bounce unix - - n - 0 bounce",
        "defer unix - - n - 0 bounce",
        "trace unix - - n - 0 bounce",
        "verify unix - - n - 1 verify",
        "flush unix n - n 1000? 0 flush",
        "proxymap unix - - n - - proxymap",
        "proxywrite unix - - n - 1 proxymap",
        "smtp unix - - n - - smtp",
        "relay unix - - n - - smtp",
        "showq unix n - n - - showq",
        "error unix - - n - - error",
        "retry unix - - n - - error",
        "discard unix - - n - - discard",
        "local unix - n n - - local",
        "virtual unix - n n - - virtual",
        "lmtp unix - - n - - lmtp",
        "anvil unix - - n - 1 anvil",
        "scache unix - - n - 1 scache",
        "postlog unix-dgram n - n - 1 postlogd",
    ] {
        writeln!(master_cf, "{line}")?;
    }
    std::fs::write(dir.join("main.cf"), main_cf)?;
    std::fs::write(dir.join("master.cf"), master_cf)?;
    Ok(())
}

/// Starts Postfix (it daemonises) and returns the master's pid.
pub fn start_postfix(layout: &Layout) -> Result<u32> {
    let dir = layout.postfix_dir();
    let pid_file = dir.join("queue").join("pid").join("master.pid");
    clear_pid_file(&pid_file)?;
    run_checked(
        Command::new("postfix").arg("-c").arg(&dir).arg("start"),
        &layout.log("postfix-start"),
        "postfix",
    )?;
    read_pid(&pid_file, &layout.log("postfix"))
}

/// Writes Radicale's configuration: TLS, htpasswd users, each user sees only their own
/// collections.
pub fn write_radicale_config(layout: &Layout, ports: &Ports, tls: &TlsFiles) -> Result<()> {
    let dir = layout.dir("radicale");
    std::fs::create_dir_all(dir.join("collections"))?;
    let users = layout.radicale_users();
    if !users.exists() {
        std::fs::write(&users, "")?;
    }
    let conf = format!(
        r#"# Heron test stack: Radicale. Generated by heron-harness; edits are overwritten.
[server]
hosts = 127.0.0.1:{port}
ssl = True
certificate = {cert}
key = {key}

[auth]
type = htpasswd
htpasswd_filename = {users}
htpasswd_encryption = plain
delay = 0

[rights]
type = owner_only

[storage]
filesystem_folder = {collections}

[web]
type = none

[logging]
level = warning
"#,
        port = ports.dav,
        cert = tls.cert_pem.display(),
        key = tls.key_pem.display(),
        users = users.display(),
        collections = dir.join("collections").display(),
    );
    std::fs::write(dir.join("config"), conf)?;
    Ok(())
}

/// Starts Radicale in the background (it has no daemon mode) and returns its pid.
pub fn start_radicale(layout: &Layout) -> Result<u32> {
    // Debian's interpreter, which has the radicale module, whatever python3 is first on
    // PATH. The shell starts it in the background and exits, so Radicale is re-parented
    // and outlives the caller, like the daemons.
    let output = Command::new("sh")
        .arg("-c")
        .arg(r#""$0" -m radicale --config "$1" >>"$2" 2>&1 </dev/null & echo $!"#)
        .arg("/usr/bin/python3")
        .arg(layout.dir("radicale").join("config"))
        .arg(layout.log("radicale"))
        .stdin(Stdio::null())
        .output()
        .context("Cannot start radicale")?;
    let pid = String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .context("Radicale's pid was not printed")?;
    Ok(pid)
}

/// Writes slapd's configuration and loads the organisation into a fresh database.
pub fn write_slapd_config(
    layout: &Layout,
    tls: &TlsFiles,
    admin_password: &str,
    ldif: &str,
) -> Result<()> {
    let dir = layout.dir("ldap");
    let db = dir.join("db");
    std::fs::create_dir_all(&db)?;
    let conf = format!(
        r#"# Heron test stack: OpenLDAP. Generated by heron-harness; edits are overwritten.
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
pidfile {pid}
argsfile {args}
modulepath /usr/lib/ldap
moduleload back_mdb
TLSCACertificateFile {ca}
TLSCertificateFile {cert}
TLSCertificateKeyFile {key}

database mdb
maxsize 268435456
suffix "{base}"
rootdn "{admin}"
rootpw {admin_password}
directory {db}
index objectClass eq
index cn,sn,givenName,displayName,mail,uid eq,sub
# The directory is company-internal: readable by anyone who can reach it, which in the
# stack means loopback only. Passwords are never readable.
access to attrs=userPassword
  by self write
  by anonymous auth
  by * none
access to *
  by * read
"#,
        pid = dir.join("slapd.pid").display(),
        args = dir.join("slapd.args").display(),
        ca = tls.ca_pem.display(),
        cert = tls.cert_pem.display(),
        key = tls.key_pem.display(),
        base = LDAP_BASE_DN,
        admin = LDAP_ADMIN_DN,
        db = db.display(),
    );
    let conf_path = dir.join("slapd.conf");
    std::fs::write(&conf_path, conf)?;
    if !db.join("data.mdb").exists() {
        let ldif_path = dir.join("organisation.ldif");
        std::fs::write(&ldif_path, ldif)?;
        run_checked(
            Command::new("slapadd")
                .arg("-f")
                .arg(&conf_path)
                .arg("-l")
                .arg(&ldif_path),
            &layout.log("slapadd"),
            "slapadd",
        )?;
    }
    Ok(())
}

/// Starts slapd (it daemonises) and returns its pid.
pub fn start_slapd(layout: &Layout, ports: &Ports) -> Result<u32> {
    let dir = layout.dir("ldap");
    let urls = format!(
        "ldap://127.0.0.1:{}/ ldaps://127.0.0.1:{}/",
        ports.ldap, ports.ldaps
    );
    clear_pid_file(&dir.join("slapd.pid"))?;
    run_checked(
        Command::new("slapd")
            .arg("-f")
            .arg(dir.join("slapd.conf"))
            .arg("-h")
            .arg(urls),
        &layout.log("slapd"),
        "slapd",
    )?;
    read_pid(&dir.join("slapd.pid"), &layout.log("slapd"))
}

/// Runs a command that must succeed, with its output appended to `log`; on failure the
/// error carries the end of the log.
pub fn run_checked(command: &mut Command, log: &Path, what: &str) -> Result<()> {
    if let Some(parent) = log.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)?;
    let err = out.try_clone()?;
    let status = command
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .status()
        .with_context(|| format!("Cannot run {what} (is its Debian package installed?)"))?;
    if !status.success() {
        bail!(
            "{what} failed ({status}); its log ends with:\n{}",
            log_tail(log)
        );
    }
    Ok(())
}

/// The last lines of a log file, for error messages.
pub fn log_tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(15)..].join("\n")
}

/// Removes a pid file left by an earlier run, so that [`read_pid`] after a start can only
/// see the new server's.
fn clear_pid_file(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e).with_context(|| format!("Cannot remove the stale {}", path.display())),
    }
}

fn read_pid(path: &Path, log: &Path) -> Result<u32> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Ok(text) = std::fs::read_to_string(path)
            && let Ok(pid) = text.trim().parse()
        {
            return Ok(pid);
        }
        if Instant::now() > deadline {
            bail!(
                "No pid file at {} after 15 s; log:\n{}",
                path.display(),
                log_tail(log)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Whether something accepts TCP connections on 127.0.0.1:`port`.
pub fn port_open(port: u16) -> bool {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
}

/// Waits until `port` accepts connections.
pub fn wait_for_port(port: u16, what: &str, log: &Path) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !port_open(port) {
        if Instant::now() > deadline {
            bail!(
                "{what} did not listen on 127.0.0.1:{port} within 20 s; log:\n{}",
                log_tail(log)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}

/// Whether a process is running (and not a zombie).
pub fn process_alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state is the first field after the parenthesised command name.
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_some_and(|state| state != "Z" && state != "X"),
        Err(_) => false,
    }
}

/// Stops a process: SIGTERM, then SIGKILL if it is still there after `grace`.
pub fn stop_process(pid: u32, grace: Duration) -> Result<()> {
    if !process_alive(pid) {
        return Ok(());
    }
    signal(pid, "TERM")?;
    let deadline = Instant::now() + grace;
    while process_alive(pid) {
        if Instant::now() > deadline {
            signal(pid, "KILL")?;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}

fn signal(pid: u32, name: &str) -> Result<()> {
    // `kill` rather than libc: the workspace forbids unsafe code.
    let status = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(pid.to_string())
        .stderr(Stdio::null())
        .status()
        .context("Cannot run kill")?;
    if !status.success() && process_alive(pid) {
        bail!("Cannot send SIG{name} to {pid}");
    }
    Ok(())
}
