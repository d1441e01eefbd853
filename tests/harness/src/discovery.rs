//! What account discovery looks at, served for real on 127.0.0.1: autoconfig files from
//! a web server (Python's `http.server`, over HTTPS with a certificate of the test's own
//! and over plain HTTP) and SRV records from dnsmasq (Debian's `dnsmasq-base`).
//!
//! The names (`autoconfig.DOMAIN`, `DOMAIN`) are not in any DNS the machine asks, so
//! the client is told where to connect instead (heron-api's `DiscoveryOptions`), the
//! way `curl --connect-to` does; TLS is still verified against the name.

use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::tls;

/// The web server's little program: serve `root`, over TLS when given a certificate.
const WEB_SERVER: &str = r#"
import functools, http.server, ssl, sys
port, root, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=root)
server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
if cert:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
print("ready", flush=True)
server.serve_forever()
"#;

/// A running web server, stopped on drop.
#[derive(Debug)]
pub struct WebServer {
    child: Child,
    /// Its port on 127.0.0.1.
    pub port: u16,
}

impl WebServer {
    /// Serves the files under `root` on a free port; over HTTPS with `tls` (its
    /// certificate and key), else plain HTTP.
    pub fn start(root: &Path, tls: Option<&tls::TlsFiles>) -> Result<Self> {
        let port = free_tcp_port()?;
        let (cert, key) = tls.map_or((PathBuf::new(), PathBuf::new()), |t| {
            (t.cert_pem.clone(), t.key_pem.clone())
        });
        let child = Command::new("python3")
            .arg("-c")
            .arg(WEB_SERVER)
            .arg(port.to_string())
            .arg(root)
            .arg(&cert)
            .arg(&key)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("Cannot start python3's http.server (install python3)")?;
        let server = Self { child, port };
        wait_for_tcp(port, "the discovery web server")?;
        Ok(server)
    }
}

impl Drop for WebServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// dnsmasq answering only the given SRV records, stopped on drop.
#[derive(Debug)]
pub struct DnsServer {
    child: Child,
    /// Where it answers (UDP and TCP on 127.0.0.1).
    pub address: SocketAddr,
}

/// One SRV record: `_imaps._tcp.example.test` pointing at `target:port`.
#[derive(Clone, Debug)]
pub struct SrvRecord {
    /// The owner name, e.g. `_imaps._tcp.example.test`.
    pub name: String,
    /// The target host.
    pub target: String,
    /// The port.
    pub port: u16,
    /// Its priority (lower first).
    pub priority: u16,
}

impl DnsServer {
    /// Starts dnsmasq with exactly `records` and nothing else (no upstream, no hosts
    /// file, no DHCP).
    pub fn start(records: &[SrvRecord]) -> Result<Self> {
        let port = free_udp_and_tcp_port()?;
        let mut command = Command::new("dnsmasq");
        command
            .arg("--keep-in-foreground")
            .arg("--conf-file=/dev/null")
            .arg(format!("--port={port}"))
            .arg("--listen-address=127.0.0.1")
            .arg("--bind-interfaces")
            .arg("--no-resolv")
            .arg("--no-hosts")
            .arg("--no-poll")
            .arg("--pid-file")
            .arg("--user=root")
            .arg("--log-facility=-");
        for r in records {
            command.arg(format!(
                "--srv-host={},{},{},{}",
                r.name, r.target, r.port, r.priority
            ));
        }
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("Cannot start dnsmasq (Debian package dnsmasq-base)")?;
        let server = Self {
            child,
            address: SocketAddr::from(([127, 0, 0, 1], port)),
        };
        wait_for_tcp(port, "dnsmasq")?;
        Ok(server)
    }
}

impl Drop for DnsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Writes `xml` where autoconfig clients look for it under `root`: both
/// `mail/config-v1.1.xml` (autoconfig.DOMAIN) and
/// `.well-known/autoconfig/mail/config-v1.1.xml` (DOMAIN).
pub fn write_autoconfig(root: &Path, xml: &str) -> Result<()> {
    for dir in [root.join("mail"), root.join(".well-known/autoconfig/mail")] {
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join("config-v1.1.xml"), xml)?;
    }
    Ok(())
}

fn free_tcp_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn free_udp_and_tcp_port() -> Result<u16> {
    for _ in 0..50 {
        let port = free_tcp_port()?;
        if UdpSocket::bind(("127.0.0.1", port)).is_ok() {
            return Ok(port);
        }
    }
    bail!("No port free for both UDP and TCP")
}

fn wait_for_tcp(port: u16, what: &str) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    bail!("{what} did not start listening on port {port}")
}
