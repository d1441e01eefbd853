//! The account lifecycle against the real stack: adding an account (the password tried
//! on the real Dovecot and Postfix before anything is kept), signing in to a managed
//! account, removing one, what the policy forbids, and discovery from a real web server
//! and a real DNS server (dnsmasq).

use std::path::Path;

use heron_api::ErrorCode;
use heron_api::accounts::NewAccount;
use heron_api::discover::{DiscoveryOptions, FoundBy, Security, ServerSettings};
use heron_api::transport::AccountOrigin;
use heron_harness::discovery::{DnsServer, SrvRecord, WebServer, write_autoconfig};
use heron_harness::{Stack, User};

use super::send::{keyring_available, machine_with_policy, runtime};

/// A machine whose policy provisions no account (an unmanaged install that trusts the
/// stack's CA), with `edit` applied to the policy.
fn unmanaged(
    stack: &Stack,
    user: &User,
    dir: &Path,
    edit: impl FnOnce(&mut serde_json::Value),
) -> heron_api::Heron {
    machine_with_policy(stack, user, dir, |policy| {
        policy["accounts"] = serde_json::json!([]);
        edit(policy);
    })
}

fn new_account(stack: &Stack, user: &User, password: &str) -> NewAccount {
    let ports = stack.ports();
    NewAccount {
        display_name: "Added By Hand".into(),
        email: user.address.clone(),
        login: String::new(),
        password: password.to_owned(),
        imap: ServerSettings {
            host: "127.0.0.1".into(),
            port: ports.imaps,
            security: Security::Tls,
        },
        smtp: ServerSettings {
            host: "127.0.0.1".into(),
            port: ports.submissions,
            security: Security::Tls,
        },
    }
}

fn accounts_file(dir: &Path) -> std::path::PathBuf {
    dir.join("data")
        .join(heron_policy::user_accounts::USER_ACCOUNTS_FILE)
}

#[test]
fn an_added_account_is_tried_on_both_servers_then_kept_and_synced() {
    if !keyring_available() {
        return;
    }
    let stack = Stack::ensure().unwrap();
    let user = stack.add_user("added").unwrap();
    stack
        .put_in_inbox(
            &user,
            &[
                b"Message-ID: <added-1@example.test>\r\nFrom: a@example.test\r\n\
                Subject: Welcome to the added account\r\n\r\nHello\r\n"
                    .to_vec(),
            ],
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let heron = unmanaged(&stack, &user, dir.path(), |_| {});
    assert!(heron.account_permissions().may_add);
    let mut store = heron.open_store().unwrap();

    let added = runtime()
        .block_on(heron.add_account(&mut store, &new_account(&stack, &user, &user.password)))
        .unwrap();
    assert_eq!(added.origin, AccountOrigin::User);
    assert!(!added.needs_sign_in);
    assert_eq!(added.email, user.address);

    let listed = heron.account_list(&store);
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, added.id);
    assert!(!listed[0].needs_sign_in, "the password is in the keyring");
    let file = std::fs::read_to_string(accounts_file(dir.path())).unwrap();
    assert!(file.contains(&user.address));
    assert!(
        !file.contains(&user.password),
        "no password in the file: {file}"
    );
    assert!(
        heron.account_permissions().may_add,
        "an account the user added does not make the install managed"
    );

    // It syncs like any account, with the password from the keyring.
    let synced = runtime()
        .block_on(heron.sync_accounts(&mut store, &heron_sync::SyncOptions::default(), None))
        .unwrap();
    assert!(synced[0].error.is_none(), "{:?}", synced[0].error);
    let hits = heron_api::mail::search(&store, "Welcome", 10).unwrap();
    assert_eq!(hits.len(), 1);

    // The same address twice is a conflict, found before any server is asked.
    let mut again = new_account(&stack, &user, &user.password);
    again.imap.port = 1;
    let err = runtime()
        .block_on(heron.add_account(&mut store, &again))
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Conflict);
}

#[test]
fn a_wrong_password_or_an_unreachable_server_adds_nothing() {
    if !keyring_available() {
        return;
    }
    let stack = Stack::ensure().unwrap();
    let user = stack.add_user("wrongpw").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let heron = unmanaged(&stack, &user, dir.path(), |_| {});
    let mut store = heron.open_store().unwrap();

    let err = runtime()
        .block_on(heron.add_account(&mut store, &new_account(&stack, &user, "not-the-password")))
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::AuthenticationFailed, "{err:?}");

    // IMAP accepts, but the outgoing server is not there: still nothing is kept.
    let mut no_smtp = new_account(&stack, &user, &user.password);
    no_smtp.smtp.port = 1;
    let err = runtime()
        .block_on(heron.add_account(&mut store, &no_smtp))
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::ServerUnreachable, "{err:?}");
    assert!(err.message.contains("outgoing"), "{}", err.message);

    assert!(heron.accounts().is_empty());
    assert!(!accounts_file(dir.path()).exists());
    assert!(
        store
            .account_ids()
            .unwrap()
            .iter()
            .all(|id| store.load_account_secret(id, "password").unwrap().is_none()),
        "no password was kept"
    );
}

#[test]
fn the_policy_forbids_adding_before_any_server_is_asked() {
    let stack = Stack::ensure().unwrap();
    let user = stack.add_user("forbidden").unwrap();
    // Port 1: if a refused call reached for the network, the error would say so.
    let mut unreachable = new_account(&stack, &user, &user.password);
    unreachable.imap.port = 1;

    // A managed account makes `auto` mean no.
    let dir = tempfile::tempdir().unwrap();
    let heron = machine_with_policy(&stack, &user, dir.path(), |_| {});
    assert!(!heron.account_permissions().may_add);
    assert!(!heron.account_permissions().may_remove);
    let mut store = heron.open_store().unwrap();
    let err = runtime()
        .block_on(heron.add_account(&mut store, &unreachable))
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::NotAllowed);
    // And the admin's account cannot be removed by the user.
    let err = heron.remove_account(&mut store, "acct").unwrap_err();
    assert_eq!(err.code, ErrorCode::NotAllowed);
    drop(store);

    // Adding allowed, but only for another domain.
    let dir = tempfile::tempdir().unwrap();
    let heron = unmanaged(&stack, &user, dir.path(), |policy| {
        policy["lifecycle"] = serde_json::json!({"allowed_domains": ["corp.test"]});
    });
    assert_eq!(heron.account_permissions().allowed_domains, ["corp.test"]);
    let mut store = heron.open_store().unwrap();
    let err = runtime()
        .block_on(heron.add_account(&mut store, &unreachable))
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::NotAllowed);
    assert!(err.message.contains("corp.test"));
}

#[test]
fn a_managed_account_without_a_password_needs_sign_in_and_sign_in_checks_it() {
    if !keyring_available() {
        return;
    }
    let stack = Stack::ensure().unwrap();
    let user = stack.add_user("signin").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let heron = machine_with_policy(&stack, &user, dir.path(), |policy| {
        policy["accounts"][0]
            .as_object_mut()
            .unwrap()
            .remove("password");
    });
    let mut store = heron.open_store().unwrap();
    let listed = heron.account_list(&store);
    assert_eq!(listed[0].origin, AccountOrigin::Policy);
    assert!(listed[0].needs_sign_in);

    let err = runtime()
        .block_on(heron.sign_in(&mut store, "acct", "wrong"))
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::AuthenticationFailed);
    assert!(heron.account_list(&store)[0].needs_sign_in, "nothing kept");

    runtime()
        .block_on(heron.sign_in(&mut store, "acct", &user.password))
        .unwrap();
    assert!(!heron.account_list(&store)[0].needs_sign_in);
    let synced = runtime()
        .block_on(heron.sync_accounts(&mut store, &heron_sync::SyncOptions::default(), None))
        .unwrap();
    assert!(synced[0].error.is_none(), "{:?}", synced[0].error);

    let err = runtime()
        .block_on(heron.sign_in(&mut store, "nobody", "x"))
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
}

#[test]
fn removing_an_added_account_drops_it_at_once_and_wipes_it_between_passes() {
    if !keyring_available() {
        return;
    }
    let stack = Stack::ensure().unwrap();
    let user = stack.add_user("removeme").unwrap();
    stack
        .put_in_inbox(
            &user,
            &[
                b"Message-ID: <removeme-1@example.test>\r\nFrom: a@example.test\r\n\
                Subject: Soon gone from this computer\r\n\r\nHello\r\n"
                    .to_vec(),
            ],
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let heron = unmanaged(&stack, &user, dir.path(), |_| {});
    let mut store = heron.open_store().unwrap();
    let added = runtime()
        .block_on(heron.add_account(&mut store, &new_account(&stack, &user, &user.password)))
        .unwrap();
    runtime()
        .block_on(heron.sync_accounts(&mut store, &heron_sync::SyncOptions::default(), None))
        .unwrap();
    assert_eq!(
        heron_api::mail::search(&store, "Soon gone", 10)
            .unwrap()
            .len(),
        1
    );
    let id = heron_model::AccountId::new(added.id.clone()).unwrap();

    heron.remove_account(&mut store, &added.id).unwrap();
    assert!(
        heron.accounts().is_empty(),
        "gone from the configuration at once"
    );
    let wiped = heron.wipe_removed_user_accounts(&mut store).unwrap();
    assert_eq!(wiped, std::slice::from_ref(&id));
    assert!(!store.account_ids().unwrap().contains(&id));
    assert!(
        heron_api::mail::search(&store, "Soon gone", 10)
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .load_account_secret(&id, "password")
            .unwrap()
            .is_none()
    );
    assert!(
        heron
            .wipe_removed_user_accounts(&mut store)
            .unwrap()
            .is_empty()
    );
    // The server still has the mail.
    assert_eq!(stack.message_ids(&user, "INBOX").unwrap().len(), 1);
}

const AUTOCONFIG: &str = r#"<?xml version="1.0"?>
<clientConfig version="1.1">
  <emailProvider id="example.test">
    <domain>example.test</domain>
    <displayName>Example Test Mail</displayName>
    <incomingServer type="imap">
      <hostname>imap.example.test</hostname><port>993</port>
      <socketType>SSL</socketType><username>%EMAILADDRESS%</username>
    </incomingServer>
    <outgoingServer type="smtp">
      <hostname>smtp.example.test</hostname><port>587</port>
      <socketType>STARTTLS</socketType><username>%EMAILADDRESS%</username>
    </outgoingServer>
  </emailProvider>
</clientConfig>"#;

#[test]
fn discovery_reads_autoconfig_over_https_and_http_and_srv_records_from_real_servers() {
    let dir = tempfile::tempdir().unwrap();
    let pki = heron_harness::tls::make_pki(
        &dir.path().join("pki"),
        &["autoconfig.example.test", "example.test"],
        "example.test",
    )
    .unwrap();
    let https_root = dir.path().join("https");
    write_autoconfig(&https_root, AUTOCONFIG).unwrap();
    let http_root = dir.path().join("http");
    write_autoconfig(
        &http_root,
        &AUTOCONFIG.replace("imap.example.test", "imap-over-http.example.test"),
    )
    .unwrap();
    let https = WebServer::start(&https_root, Some(&pki)).unwrap();
    let http = WebServer::start(&http_root, None).unwrap();
    let dns = DnsServer::start(&[
        SrvRecord {
            name: "_imaps._tcp.example.test".into(),
            target: "mail.example.test".into(),
            port: 993,
            priority: 0,
        },
        SrvRecord {
            name: "_submission._tcp.example.test".into(),
            target: "mail.example.test".into(),
            port: 587,
            priority: 0,
        },
        // Elsewhere: not vouched for by the domain.
        SrvRecord {
            name: "_imaps._tcp.hosted.test".into(),
            target: "imap.provider.test".into(),
            port: 993,
            priority: 0,
        },
        SrvRecord {
            name: "_submissions._tcp.hosted.test".into(),
            target: "smtp.provider.test".into(),
            port: 465,
            priority: 0,
        },
    ])
    .unwrap();
    let local = |port: u16| std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let mut options = DiscoveryOptions {
        dns_server: Some(dns.address),
        ..DiscoveryOptions::default()
    };
    options
        .connect_to
        .insert("autoconfig.example.test:443".into(), local(https.port));
    options
        .connect_to
        .insert("example.test:443".into(), local(https.port));
    options
        .connect_to
        .insert("autoconfig.example.test:80".into(), local(http.port));
    // Nothing else answers: every other place refuses at once.
    for domain in ["hosted.test", "nowhere.test"] {
        for host in [
            format!("autoconfig.{domain}:443"),
            format!("{domain}:443"),
            format!("autoconfig.{domain}:80"),
        ] {
            options.connect_to.insert(host, local(1));
        }
    }
    let security = heron_policy::Security {
        extra_ca_files: vec![pki.ca_pem.clone()],
        ..heron_policy::Security::default()
    };
    let tls = heron_sync::tls_settings(&security).unwrap();

    let found = runtime()
        .block_on(heron_api::discover::discover(
            "Ann@Example.test",
            tls.clone(),
            &options,
        ))
        .unwrap();
    assert_eq!(found.email, "Ann@example.test");
    assert!(
        found
            .tried
            .iter()
            .any(|t| t.starts_with("https://autoconfig.example.test/"))
    );
    assert!(
        found
            .tried
            .iter()
            .any(|t| t.contains("_submission._tcp.example.test"))
    );
    // Verified first: autoconfig over HTTPS (both URLs give the same servers, kept once),
    // SRV in the domain; then what came over plain HTTP.
    let summary: Vec<(FoundBy, bool, &str)> = found
        .found
        .iter()
        .map(|f| (f.source, f.unverified, f.imap.host.as_str()))
        .collect();
    assert_eq!(
        summary,
        [
            (FoundBy::Autoconfig, false, "imap.example.test"),
            (FoundBy::Srv, false, "mail.example.test"),
            (FoundBy::Autoconfig, true, "imap-over-http.example.test"),
        ]
    );
    let first = &found.found[0];
    assert_eq!(first.provider.as_deref(), Some("Example Test Mail"));
    assert_eq!(first.login, "Ann@example.test");
    assert_eq!(first.smtp.port, 587);
    assert_eq!(first.smtp.security, Security::Starttls);
    assert_eq!(
        first.found_at,
        "https://autoconfig.example.test/mail/config-v1.1.xml"
    );
    let srv = &found.found[1];
    assert_eq!((srv.imap.port, srv.smtp.port), (993, 587));
    assert_eq!(srv.smtp.security, Security::Starttls);

    // SRV records naming hosts outside the domain are proposed but unverified; nothing
    // else answers for that domain.
    let hosted = runtime()
        .block_on(heron_api::discover::discover(
            "b@hosted.test",
            tls.clone(),
            &options,
        ))
        .unwrap();
    assert_eq!(hosted.found.len(), 1);
    assert!(hosted.found[0].unverified);
    assert_eq!(hosted.found[0].imap.host, "imap.provider.test");
    assert_eq!(hosted.found[0].smtp.security, Security::Tls);

    // A certificate the client does not trust is not a source.
    let untrusting = heron_sync::tls_settings(&heron_policy::Security::default()).unwrap();
    let without_ca = runtime()
        .block_on(heron_api::discover::discover(
            "ann@example.test",
            untrusting,
            &options,
        ))
        .unwrap();
    assert!(
        without_ca
            .found
            .iter()
            .all(|f| f.source == FoundBy::Srv || f.unverified),
        "{:?}",
        without_ca.found
    );

    // Nothing anywhere: an empty answer listing where it looked, not an error.
    let nothing = runtime()
        .block_on(heron_api::discover::discover(
            "c@nowhere.test",
            tls,
            &options,
        ))
        .unwrap();
    assert!(nothing.found.is_empty());
    assert_eq!(nothing.tried.len(), 7);
}
