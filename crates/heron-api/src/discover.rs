//! Finding an address's mail servers, for adding an account without typing them.
//!
//! Looked for, at the same time, and only at the address's own domain:
//! - Mozilla-style autoconfig files: `https://autoconfig.DOMAIN/mail/config-v1.1.xml`
//!   and `https://DOMAIN/.well-known/autoconfig/mail/config-v1.1.xml`, then the first
//!   again over plain HTTP;
//! - RFC 6186 (and RFC 8314) SRV records: `_imaps._tcp`, `_imap._tcp`,
//!   `_submissions._tcp`, `_submission._tcp`.
//!
//! Nothing is asked of anyone else (no central database of providers, no guessing of
//! host names), and no credential is sent: discovery proposes, the user confirms the
//! servers, and only [`crate::Heron::add_account`] logs in, to the servers it is given.
//! A result that could have been forged on the way (plain HTTP; SRV records naming a
//! host outside the domain, which DNS without DNSSEC cannot vouch for) is marked
//! `unverified`, and the UI asks the user to check it. Plaintext servers in an
//! autoconfig file are skipped: Heron only speaks TLS or required STARTTLS.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hickory_resolver::Resolver;
use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolverConfig};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::{RData, RecordType};
use serde::Serialize;

use crate::remote::{ConnectTo, Want, bare_get};
use crate::{ApiError, ErrorCode};

/// How long discovery as a whole may take.
pub const DISCOVERY_TIMEOUT: Duration = Duration::from_secs(20);
/// The largest autoconfig file read.
const AUTOCONFIG_MAX_BYTES: usize = 256 * 1024;

/// Where and how to look. The default is the real world: the system's DNS, and hosts
/// where DNS puts them.
#[derive(Clone, Debug, Default)]
pub struct DiscoveryOptions {
    /// `host:port` to address: connect there instead (the test stack's web server).
    pub connect_to: ConnectTo,
    /// The DNS server to ask instead of the system's (the test stack's).
    pub dns_server: Option<SocketAddr>,
}

impl DiscoveryOptions {
    /// The test hooks from the environment: `HERON_DISCOVERY_CONNECT_TO` as
    /// `host:port=ip:port` pairs separated by commas, and `HERON_DISCOVERY_DNS` as
    /// `ip:port`. Malformed entries are ignored with a warning.
    pub fn from_env() -> Self {
        let mut options = Self::default();
        if let Ok(pairs) = std::env::var("HERON_DISCOVERY_CONNECT_TO") {
            for pair in pairs.split(',').filter(|p| !p.trim().is_empty()) {
                match pair
                    .split_once('=')
                    .map(|(h, a)| (h.trim(), a.trim().parse()))
                {
                    Some((host, Ok(address))) => {
                        options
                            .connect_to
                            .insert(host.to_ascii_lowercase(), address);
                    }
                    _ => eprintln!("heron: ignoring HERON_DISCOVERY_CONNECT_TO entry {pair:?}"),
                }
            }
        }
        if let Ok(dns) = std::env::var("HERON_DISCOVERY_DNS") {
            match dns.trim().parse() {
                Ok(address) => options.dns_server = Some(address),
                Err(_) => eprintln!("heron: ignoring HERON_DISCOVERY_DNS {dns:?}"),
            }
        }
        options
    }
}

/// One server's address and security: the policy's own type, so proposals become
/// account settings as they are.
pub use heron_policy::{Endpoint as ServerSettings, TransportSecurity as Security};

/// Where a proposal came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FoundBy {
    /// `autoconfig.DOMAIN`.
    Autoconfig,
    /// `DOMAIN/.well-known/autoconfig`.
    WellKnown,
    /// RFC 6186 SRV records.
    Srv,
}

/// Servers proposed for an address.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DiscoveredSettings {
    /// How they were found.
    pub source: FoundBy,
    /// The URL or DNS name they were read from, for the user to see.
    pub found_at: String,
    /// They could have been forged on the way: the user must check them.
    pub unverified: bool,
    /// The provider's name, from an autoconfig file.
    pub provider: Option<String>,
    /// The login name to propose.
    pub login: String,
    /// Incoming mail.
    pub imap: ServerSettings,
    /// Outgoing mail.
    pub smtp: ServerSettings,
}

/// What discovery found for an address, and everywhere it looked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Discovery {
    /// The address asked about.
    pub email: String,
    /// Proposals, the most trustworthy first.
    pub found: Vec<DiscoveredSettings>,
    /// Every place looked at, found or not.
    pub tried: Vec<String>,
}

/// The domain of an address, lowercase and in ASCII (IDNA), or why there is none.
pub fn email_domain(email: &str) -> Result<(String, String), ApiError> {
    let invalid = || {
        ApiError::new(
            ErrorCode::InvalidValue,
            format!("{email:?} is not an email address"),
        )
    };
    let (local, domain) = email.trim().rsplit_once('@').ok_or_else(invalid)?;
    if local.is_empty() || local.contains(char::is_whitespace) {
        return Err(invalid());
    }
    let host = url::Host::parse(domain).map_err(|_| invalid())?;
    match host {
        url::Host::Domain(d) if d.contains('.') => Ok((local.to_owned(), d.to_ascii_lowercase())),
        _ => Err(invalid()),
    }
}

/// Looks for `email`'s servers (see the module's notes). Finding nothing is not an
/// error: the UI then offers manual entry and says where it looked.
pub async fn discover(
    email: &str,
    tls: Arc<rustls::ClientConfig>,
    options: &DiscoveryOptions,
) -> Result<Discovery, ApiError> {
    let (local, domain) = email_domain(email)?;
    let email = format!("{local}@{domain}");
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("emailaddress", &email)
        .finish();
    let autoconfig = [
        (
            FoundBy::Autoconfig,
            format!("https://autoconfig.{domain}/mail/config-v1.1.xml?{query}"),
        ),
        (
            FoundBy::WellKnown,
            format!("https://{domain}/.well-known/autoconfig/mail/config-v1.1.xml?{query}"),
        ),
        (
            FoundBy::Autoconfig,
            format!("http://autoconfig.{domain}/mail/config-v1.1.xml?{query}"),
        ),
    ];
    let fetch = |(by, url): (FoundBy, String)| {
        let tls = Arc::clone(&tls);
        async move {
            // Each source on its own clock: one that never answers (a dropped port)
            // must not cost what the others found.
            let result =
                tokio::time::timeout(DISCOVERY_TIMEOUT, fetch_autoconfig(&url, tls, options))
                    .await
                    .unwrap_or_else(|_| Err("no answer in time".to_owned()));
            (by, url, result)
        }
    };
    let work = async {
        let [first, second, third] = autoconfig.clone();
        let (a, b, c, srv) = tokio::join!(fetch(first), fetch(second), fetch(third), async {
            tokio::time::timeout(DISCOVERY_TIMEOUT, srv_settings(&domain, options))
                .await
                .ok()
                .flatten()
        });
        (vec![a, b, c], srv)
    };
    let (files, srv) = work.await;

    let mut found = Vec::new();
    let mut tried: Vec<String> = autoconfig.iter().map(|(_, u)| without_query(u)).collect();
    for (by, url, result) in files {
        match result {
            Ok((file, all_https, read_from)) => {
                if let Some(settings) = parse_autoconfig(&file, &local, &domain, &email) {
                    found.push(DiscoveredSettings {
                        source: by,
                        found_at: without_query(&read_from),
                        unverified: !all_https,
                        ..settings
                    });
                }
            }
            Err(why) => eprintln!("heron: discovery: {}: {why}", without_query(&url)),
        }
    }
    tried.extend(SRV_NAMES.iter().map(|s| format!("{s}.{domain} (DNS)")));
    if let Some(mut settings) = srv {
        settings.login = email.clone();
        found.push(settings);
    }
    // The most trustworthy first; the same servers once.
    found.sort_by_key(|f| f.unverified);
    let mut seen = Vec::new();
    found.retain(|f| {
        let key = (f.imap.clone(), f.smtp.clone());
        let new = !seen.contains(&key);
        seen.push(key);
        new
    });
    Ok(Discovery {
        email,
        found,
        tried,
    })
}

fn without_query(url: &str) -> String {
    url.split('?').next().unwrap_or(url).to_owned()
}

async fn fetch_autoconfig(
    url: &str,
    tls: Arc<rustls::ClientConfig>,
    options: &DiscoveryOptions,
) -> Result<(String, bool, String), String> {
    let want = Want {
        accept: "application/xml,text/xml",
        types: &[
            "application/xml",
            "text/xml",
            "application/octet-stream",
            "text/plain",
        ],
        max_bytes: AUTOCONFIG_MAX_BYTES,
    };
    let fetched = bare_get(url, tls, &want, &options.connect_to).await?;
    let text = String::from_utf8(fetched.body).map_err(|_| "not UTF-8 text".to_owned())?;
    Ok((text, fetched.all_https, fetched.url.to_string()))
}

/// The first usable IMAP and SMTP servers of an autoconfig file (`clientConfig`
/// version 1.1), with `%EMAILADDRESS%`, `%EMAILLOCALPART%` and `%EMAILDOMAIN%` filled.
/// Servers without TLS or STARTTLS, POP3, and anything malformed are skipped.
pub fn parse_autoconfig(
    xml: &str,
    local: &str,
    domain: &str,
    email: &str,
) -> Option<DiscoveredSettings> {
    use quick_xml::events::Event;

    #[derive(Default)]
    struct Server {
        kind: String,
        host: String,
        port: String,
        socket: String,
        username: String,
    }
    let fill = |s: &str| {
        s.replace("%EMAILADDRESS%", email)
            .replace("%EMAILLOCALPART%", local)
            .replace("%EMAILDOMAIN%", domain)
    };
    let usable = |s: &Server| -> Option<(ServerSettings, String)> {
        let security = match s.socket.trim().to_ascii_uppercase().as_str() {
            "SSL" | "TLS" => Security::Tls,
            "STARTTLS" => Security::Starttls,
            _ => return None,
        };
        let host = s.host.trim().to_ascii_lowercase();
        let valid_host = !host.is_empty() && !host.contains('%') && url::Host::parse(&host).is_ok();
        let port: u16 = s.port.trim().parse().ok().filter(|p| *p != 0)?;
        valid_host.then(|| {
            (
                ServerSettings {
                    host,
                    port,
                    security,
                },
                fill(s.username.trim()),
            )
        })
    };

    /// Adds text to the element it is in.
    fn text_into(
        path: &[String],
        provider: &mut Option<String>,
        current: Option<&mut Server>,
        value: &str,
    ) {
        let leaf = path.last().map(String::as_str).unwrap_or_default();
        let parent = path.len().checked_sub(2).and_then(|i| path.get(i));
        match (parent.map(String::as_str), leaf, current) {
            (Some("emailProvider"), "displayName", _) => {
                provider.get_or_insert_with(String::new).push_str(value);
            }
            (_, "hostname", Some(s)) => s.host.push_str(value),
            (_, "port", Some(s)) => s.port.push_str(value),
            (_, "socketType", Some(s)) => s.socket.push_str(value),
            (_, "username", Some(s)) => s.username.push_str(value),
            _ => {}
        }
    }

    let mut reader = quick_xml::Reader::from_str(xml);
    let mut path: Vec<String> = Vec::new();
    let mut provider: Option<String> = None;
    let mut current: Option<Server> = None;
    let mut imap: Option<(ServerSettings, String)> = None;
    let mut smtp: Option<(ServerSettings, String)> = None;
    loop {
        match reader.read_event() {
            Err(_) => return None,
            Ok(Event::Eof) => break,
            Ok(Event::Start(start)) => {
                let name = start.local_name().as_ref().to_owned();
                if name == "incomingServer" || name == "outgoingServer" {
                    let kind = start
                        .attributes()
                        .flatten()
                        .find(|a| a.key.local_name().as_ref() == "type")
                        .map(|a| a.value.to_ascii_lowercase())
                        .unwrap_or_default();
                    current = Some(Server {
                        kind,
                        ..Server::default()
                    });
                }
                path.push(name);
                if path.len() > 16 {
                    return None;
                }
            }
            Ok(Event::End(_)) => {
                let closed = path.pop().unwrap_or_default();
                if (closed == "incomingServer" || closed == "outgoingServer")
                    && let Some(server) = current.take()
                {
                    match server.kind.as_str() {
                        "imap" if imap.is_none() => imap = usable(&server),
                        "smtp" if smtp.is_none() => smtp = usable(&server),
                        _ => {}
                    }
                }
            }
            Ok(Event::Text(text)) => {
                text_into(
                    &path,
                    &mut provider,
                    current.as_mut(),
                    &text.xml10_content(),
                );
            }
            Ok(Event::GeneralRef(reference)) => {
                // `&amp;` and friends come apart from the text around them.
                let resolved = match reference.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    Ok(None) => match reference.as_ref() {
                        "amp" => "&".to_owned(),
                        "lt" => "<".to_owned(),
                        "gt" => ">".to_owned(),
                        "quot" => "\"".to_owned(),
                        "apos" => "'".to_owned(),
                        _ => return None,
                    },
                    Err(_) => return None,
                };
                text_into(&path, &mut provider, current.as_mut(), &resolved);
            }
            Ok(_) => {}
        }
    }
    let ((imap, imap_login), (smtp, _)) = (imap?, smtp?);
    let provider = provider
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|p| !p.is_empty());
    Some(DiscoveredSettings {
        source: FoundBy::Autoconfig,
        found_at: String::new(),
        unverified: false,
        provider,
        login: if imap_login.is_empty() {
            email.to_owned()
        } else {
            imap_login
        },
        imap,
        smtp,
    })
}

/// The SRV names looked up, IMAP first, implicit TLS before STARTTLS.
const SRV_NAMES: &[&str] = &[
    "_imaps._tcp",
    "_imap._tcp",
    "_submissions._tcp",
    "_submission._tcp",
];

/// Servers from SRV records, when both an IMAP and a submission record name one.
async fn srv_settings(domain: &str, options: &DiscoveryOptions) -> Option<DiscoveredSettings> {
    let resolver = match options.dns_server {
        Some(server) => {
            let mut udp = ConnectionConfig::udp();
            udp.port = server.port();
            let mut tcp = ConnectionConfig::tcp();
            tcp.port = server.port();
            let config = ResolverConfig::from_parts(
                None,
                Vec::new(),
                vec![NameServerConfig::new(server.ip(), true, vec![udp, tcp])],
            );
            Resolver::builder_with_config(config, TokioRuntimeProvider::default()).build()
        }
        None => match Resolver::builder_tokio() {
            Ok(builder) => builder.build(),
            Err(e) => {
                eprintln!("heron: discovery: no system DNS configuration: {e}");
                return None;
            }
        },
    };
    let resolver = match resolver {
        Ok(r) => r,
        Err(e) => {
            eprintln!("heron: discovery: cannot make a DNS resolver: {e}");
            return None;
        }
    };
    let lookup = |service: &'static str, security: Security| {
        let resolver = &resolver;
        async move {
            let name = format!("{service}.{domain}.");
            let answers = resolver.lookup(name.as_str(), RecordType::SRV).await.ok()?;
            let mut records: Vec<_> = answers
                .answers()
                .iter()
                .filter_map(|r| match &r.data {
                    RData::SRV(srv) => Some(srv.clone()),
                    _ => None,
                })
                .collect();
            // Lowest priority first, then the heaviest; "." means "not offered here".
            records.sort_by_key(|s| (s.priority, std::cmp::Reverse(s.weight)));
            let best = records.into_iter().next()?;
            let host = best.target.to_ascii();
            let host = host.trim_end_matches('.').to_ascii_lowercase();
            (!host.is_empty() && best.port != 0).then(|| {
                (
                    name.trim_end_matches('.').to_owned(),
                    ServerSettings {
                        host,
                        port: best.port,
                        security,
                    },
                )
            })
        }
    };
    let (imaps, imap, submissions, submission) = tokio::join!(
        lookup("_imaps._tcp", Security::Tls),
        lookup("_imap._tcp", Security::Starttls),
        lookup("_submissions._tcp", Security::Tls),
        lookup("_submission._tcp", Security::Starttls),
    );
    let (imap_name, imap) = imaps.or(imap)?;
    let (_, smtp) = submissions.or(submission)?;
    let in_domain = |host: &str| host == domain || host.ends_with(&format!(".{domain}"));
    Some(DiscoveredSettings {
        source: FoundBy::Srv,
        found_at: imap_name,
        unverified: !(in_domain(&imap.host) && in_domain(&smtp.host)),
        provider: None,
        login: String::new(),
        imap,
        smtp,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1">
  <emailProvider id="example.test">
    <domain>example.test</domain>
    <displayName>Example &amp; Co</displayName>
    <incomingServer type="pop3">
      <hostname>pop.example.test</hostname><port>995</port><socketType>SSL</socketType>
      <username>%EMAILADDRESS%</username>
    </incomingServer>
    <incomingServer type="imap">
      <hostname>plain.example.test</hostname><port>143</port><socketType>plain</socketType>
      <username>%EMAILADDRESS%</username>
    </incomingServer>
    <incomingServer type="imap">
      <hostname>IMAP.example.test</hostname><port>993</port><socketType>SSL</socketType>
      <username>%EMAILLOCALPART%</username>
    </incomingServer>
    <outgoingServer type="smtp">
      <hostname>smtp.example.test</hostname><port>587</port><socketType>STARTTLS</socketType>
      <username>%EMAILADDRESS%</username>
    </outgoingServer>
  </emailProvider>
</clientConfig>"#;

    #[test]
    fn autoconfig_takes_the_first_secure_imap_and_smtp_and_fills_placeholders() {
        let s = parse_autoconfig(FILE, "ann", "example.test", "ann@example.test").unwrap();
        assert_eq!(s.provider.as_deref(), Some("Example & Co"));
        assert_eq!(
            s.imap,
            ServerSettings {
                host: "imap.example.test".into(),
                port: 993,
                security: Security::Tls
            }
        );
        assert_eq!(s.smtp.security, Security::Starttls);
        assert_eq!(s.smtp.port, 587);
        assert_eq!(s.login, "ann");
    }

    #[test]
    fn autoconfig_without_a_secure_pair_or_malformed_gives_nothing() {
        let plain_only = FILE.replace("SSL", "plain").replace("STARTTLS", "plain");
        assert!(parse_autoconfig(&plain_only, "a", "d.test", "a@d.test").is_none());
        assert!(parse_autoconfig("<clientConfig><emailProvider>", "a", "d", "a@d").is_none());
        assert!(parse_autoconfig("not xml at all <<<", "a", "d", "a@d").is_none());
        let bad_port = FILE.replace("<port>993</port>", "<port>99999</port>");
        let s = parse_autoconfig(&bad_port, "a", "d.test", "a@d.test");
        assert!(s.is_none(), "the only secure IMAP server has a bad port");
        let odd_host = FILE.replace("IMAP.example.test", "%EMAILDOMAIN%x y");
        assert!(parse_autoconfig(&odd_host, "a", "d.test", "a@d.test").is_none());
    }

    #[test]
    fn email_domains_are_lowercase_ascii() {
        assert_eq!(
            email_domain("Ann@Example.TEST").unwrap(),
            ("Ann".to_owned(), "example.test".to_owned())
        );
        assert_eq!(
            email_domain("张@例子.测试").unwrap().1,
            "xn--fsqu00a.xn--0zwm56d"
        );
        for bad in [
            "",
            "ann",
            "@example.test",
            "ann@",
            "ann@localhost",
            "a b@x.test",
            "a@[1.2.3.4]",
        ] {
            assert!(email_domain(bad).is_err(), "{bad}");
        }
    }
}
