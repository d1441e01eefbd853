//! Proves the harness: every server of the stack is real, reachable over TLS with the
//! stack's CA (verification on), and wired to the others: mail submitted to Postfix as
//! one user arrives in another user's INBOX in Dovecot.

// Test code: a failed unwrap is a failed test, with the error in its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::TryStreamExt as _;
use heron_harness::{Stack, User};
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, CertificateStore, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, ServerName};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

mod idp;
mod oauth;
mod smtp_stage_proxy;

fn stack() -> Stack {
    match Stack::ensure() {
        Ok(stack) => stack,
        Err(e) => panic!("the test stack must start: {e:#}"),
    }
}

fn tls_connector(ca: Option<&std::path::Path>) -> TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    if let Some(ca) = ca {
        for cert in CertificateDer::pem_file_iter(ca).unwrap() {
            roots.add(cert.unwrap()).unwrap();
        }
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    TlsConnector::from(Arc::new(config))
}

async fn tls_connect(stack: &Stack, port: u16) -> std::io::Result<TlsStream<TcpStream>> {
    let tcp = TcpStream::connect(("127.0.0.1", port)).await?;
    let name = ServerName::try_from("127.0.0.1").unwrap().to_owned();
    tls_connector(Some(stack.ca_pem())).connect(name, tcp).await
}

async fn imap_login(stack: &Stack, user: &User) -> async_imap::Session<TlsStream<TcpStream>> {
    let tls = tls_connect(stack, stack.ports().imaps).await.unwrap();
    let mut client = async_imap::Client::new(tls);
    client.read_response().await.unwrap().unwrap();
    client
        .login(&user.address, &user.password)
        .await
        .map_err(|(e, _)| e)
        .unwrap()
}

fn smtp(
    stack: &Stack,
    user: Option<&User>,
    implicit_tls: bool,
) -> AsyncSmtpTransport<Tokio1Executor> {
    let pem = std::fs::read(stack.ca_pem()).unwrap();
    let params = TlsParameters::builder("127.0.0.1".to_owned())
        .certificate_store(CertificateStore::None)
        .add_root_certificate(Certificate::from_pem(&pem).unwrap())
        .build_rustls()
        .unwrap();
    let (port, tls) = if implicit_tls {
        (stack.ports().submissions, Tls::Wrapper(params))
    } else {
        (stack.ports().submission, Tls::Required(params))
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(port)
        .tls(tls)
        .timeout(Some(Duration::from_secs(20)));
    if let Some(user) = user {
        builder = builder.credentials(Credentials::new(
            user.address.clone(),
            user.password.clone(),
        ));
    }
    builder.build()
}

fn message(from: &User, to: &User, subject: &str, body: &str) -> Message {
    Message::builder()
        .from(from.address.parse().unwrap())
        .to(to.address.parse().unwrap())
        .subject(subject)
        .header(ContentType::TEXT_PLAIN)
        .body(body.to_owned())
        .unwrap()
}

/// Waits until `user`'s INBOX holds a message with `subject`, returns its raw bytes.
async fn wait_for_message(stack: &Stack, user: &User, subject: &str) -> Vec<u8> {
    let mut session = imap_login(stack, user).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        session.select("INBOX").await.unwrap();
        let uids = session
            .uid_search(format!("SUBJECT \"{subject}\""))
            .await
            .unwrap();
        if let Some(uid) = uids.into_iter().next() {
            let fetches: Vec<_> = session
                .uid_fetch(uid.to_string(), "BODY.PEEK[]")
                .await
                .unwrap()
                .try_collect()
                .await
                .unwrap();
            let body = fetches[0].body().unwrap().to_vec();
            session.logout().await.unwrap();
            return body;
        }
        assert!(
            Instant::now() < deadline,
            "{subject:?} never reached {}",
            user.address
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn mail_submitted_over_implicit_tls_arrives_in_the_recipients_imap_inbox() {
    let stack = stack();
    let alice = stack.add_user("alice").unwrap();
    let bob = stack.add_user("bob").unwrap();
    let subject = format!("Harness proof {}", std::process::id());
    smtp(&stack, Some(&alice), true)
        .send(message(
            &alice,
            &bob,
            &subject,
            "Hello Bob,\r\nthe stack works.\r\n",
        ))
        .await
        .unwrap();
    let raw = String::from_utf8(wait_for_message(&stack, &bob, &subject).await).unwrap();
    assert!(raw.contains(&format!("From: {}", alice.address)), "{raw}");
    assert!(raw.contains("the stack works."), "{raw}");
}

#[tokio::test]
async fn submission_with_required_starttls_delivers_too() {
    let stack = stack();
    let alice = stack.add_user("starttls").unwrap();
    let bob = stack.add_user("starttls-rcpt").unwrap();
    let subject = format!("STARTTLS proof {}", std::process::id());
    smtp(&stack, Some(&alice), false)
        .send(message(&alice, &bob, &subject, "Sent after STARTTLS.\r\n"))
        .await
        .unwrap();
    wait_for_message(&stack, &bob, &subject).await;
}

#[tokio::test]
async fn postfix_refuses_unauthenticated_and_spoofed_senders() {
    let stack = stack();
    let alice = stack.add_user("spoof").unwrap();
    let bob = stack.add_user("spoof-rcpt").unwrap();
    let anonymous = smtp(&stack, None, true)
        .send(message(&alice, &bob, "anonymous", "x\r\n"))
        .await;
    assert!(
        anonymous.is_err(),
        "unauthenticated submission must be refused"
    );
    let spoofed = smtp(&stack, Some(&alice), true)
        .send(message(&bob, &alice, "spoofed", "x\r\n"))
        .await;
    assert!(spoofed.is_err(), "alice must not send as bob");
}

#[tokio::test]
async fn dovecot_offers_what_heron_sync_relies_on() {
    let stack = stack();
    let user = stack.add_user("caps").unwrap();
    let mut session = imap_login(&stack, &user).await;
    let caps = session.capabilities().await.unwrap();
    for cap in [
        "CONDSTORE",
        "QRESYNC",
        "IDLE",
        "SPECIAL-USE",
        "UIDPLUS",
        "MOVE",
    ] {
        assert!(caps.has_str(cap), "Dovecot must offer {cap}");
    }
    let names: Vec<_> = session
        .list(None, Some("*"))
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    let listed: Vec<&str> = names.iter().map(|n| n.name()).collect();
    for folder in ["INBOX", "Sent", "Drafts", "Trash", "Junk", "Archive"] {
        assert!(listed.contains(&folder), "{folder} missing from {listed:?}");
    }
    session.logout().await.unwrap();
}

#[tokio::test]
async fn wrong_password_is_refused() {
    let stack = stack();
    let mut user = stack.add_user("wrongpw").unwrap();
    user.password.push('x');
    let tls = tls_connect(&stack, stack.ports().imaps).await.unwrap();
    let mut client = async_imap::Client::new(tls);
    client.read_response().await.unwrap().unwrap();
    assert!(client.login(&user.address, &user.password).await.is_err());
}

#[tokio::test]
async fn every_tls_port_presents_a_certificate_signed_by_the_stack_ca_only() {
    let stack = stack();
    let p = stack.ports();
    for port in [p.imaps, p.submissions, p.dav, p.ldaps, p.idp] {
        tls_connect(&stack, port)
            .await
            .unwrap_or_else(|e| panic!("TLS to port {port} with the stack CA: {e}"));
        // Without the CA the same handshake must fail: verification is really on.
        let tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        let name = ServerName::try_from("127.0.0.1").unwrap().to_owned();
        assert!(
            tls_connector(None).connect(name, tcp).await.is_err(),
            "port {port}"
        );
    }
}

#[tokio::test]
async fn radicale_serves_the_users_own_calendar_home_over_tls() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let stack = stack();
    let user = stack.add_user("dav").unwrap();
    let mut tls = tls_connect(&stack, stack.ports().dav).await.unwrap();
    let auth = base64_encode(&format!("{}:{}", user.address, user.password));
    let request = format!(
        "PROPFIND /{addr}/ HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic {auth}\r\n\
         Depth: 0\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        addr = user.address
    );
    tls.write_all(request.as_bytes()).await.unwrap();
    // Radicale closes without a TLS close_notify; what was read before that counts.
    let mut response = Vec::new();
    let _ = tls.read_to_end(&mut response).await;
    let response = String::from_utf8_lossy(&response);
    assert!(
        response.starts_with("HTTP/1.1 207") || response.starts_with("HTTP/1.0 207"),
        "{response}"
    );
}

#[test]
fn openldap_holds_the_organisation() {
    let stack = stack();
    let output = std::process::Command::new("ldapsearch")
        .env("LDAPTLS_CACERT", stack.ca_pem())
        .args(["-x", "-LLL", "-H"])
        .arg(format!("ldaps://127.0.0.1:{}", stack.ports().ldaps))
        .args([
            "-b",
            heron_harness::LDAP_BASE_DN,
            "(objectClass=inetOrgPerson)",
            "mail",
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).unwrap();
    let people = text.lines().filter(|l| l.starts_with("mail: ")).count();
    assert!(people >= 45, "expected about 50 people, found {people}");
    assert!(text.contains("mail: alice@example.test"), "{text}");
}

fn base64_encode(text: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(text)
}
