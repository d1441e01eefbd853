//! The SMTP stage proxy against the real Postfix: each fault cuts in at its stage, and
//! what Dovecot holds afterwards shows whether Postfix delivered.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use heron_harness::smtp_stage_proxy::{SmtpStageProxy, StageFault};
use heron_harness::{Stack, User};
use lettre::transport::smtp::Error as SmtpError;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, CertificateStore, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use super::{imap_login, message, smtp, stack};

/// How long a message Postfix did not accept gets to show up anyway before the test
/// says it was not delivered. Local LMTP delivery takes milliseconds.
const NOT_DELIVERED_WAIT: Duration = Duration::from_secs(3);

/// A transport to the proxy with implicit TLS, trusting the stack CA, logged in as
/// `user`.
fn smtp_via(proxy: SocketAddr, stack: &Stack, user: &User) -> AsyncSmtpTransport<Tokio1Executor> {
    let pem = std::fs::read(stack.ca_pem()).unwrap();
    let params = TlsParameters::builder("127.0.0.1".to_owned())
        .certificate_store(CertificateStore::None)
        .add_root_certificate(Certificate::from_pem(&pem).unwrap())
        .build_rustls()
        .unwrap();
    AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(proxy.port())
        .tls(Tls::Wrapper(params))
        .timeout(Some(Duration::from_secs(20)))
        .credentials(Credentials::new(
            user.address.clone(),
            user.password.clone(),
        ))
        .build()
}

/// Sends one message from `from` to `to` through the proxy with `subject`.
async fn send_via(
    proxy: &SmtpStageProxy,
    stack: &Stack,
    from: &User,
    to: &User,
    subject: &str,
    body: &str,
) -> Result<(), SmtpError> {
    smtp_via(proxy.addr(), stack, from)
        .send(message(from, to, subject, body))
        .await
        .map(|_| ())
}

/// How many messages with `subject` are in `user`'s INBOX now.
async fn count_in_inbox(stack: &Stack, user: &User, subject: &str) -> usize {
    let mut session = imap_login(stack, user).await;
    session.select("INBOX").await.unwrap();
    let found = session
        .uid_search(format!("SUBJECT \"{subject}\""))
        .await
        .unwrap();
    session.logout().await.unwrap();
    found.len()
}

/// Waits until a message with `subject` arrived, then a little longer, and returns how
/// many copies there are: a duplicate would arrive right behind the first.
async fn copies_delivered(stack: &Stack, user: &User, subject: &str) -> usize {
    let deadline = Instant::now() + Duration::from_secs(30);
    while count_in_inbox(stack, user, subject).await == 0 {
        assert!(
            Instant::now() < deadline,
            "{subject:?} never reached {}",
            user.address
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    count_in_inbox(stack, user, subject).await
}

/// Asserts that `subject` was not delivered: a control message sent directly to Postfix
/// afterwards arrives (so the recipient's delivery works and is not slow), and after
/// [`NOT_DELIVERED_WAIT`] the subject is still absent.
async fn assert_not_delivered(stack: &Stack, from: &User, to: &User, subject: &str) {
    let started = Instant::now();
    // IMAP SEARCH SUBJECT matches substrings: the control must not contain `subject`.
    let control = subject.replace("Stage proxy", "Control message for");
    smtp(stack, Some(from), true)
        .send(message(from, to, &control, "Sent around the proxy.\r\n"))
        .await
        .unwrap();
    assert_eq!(copies_delivered(stack, to, &control).await, 1);
    if let Some(left) = NOT_DELIVERED_WAIT.checked_sub(started.elapsed()) {
        tokio::time::sleep(left).await;
    }
    assert_eq!(
        count_in_inbox(stack, to, subject).await,
        0,
        "{subject:?} was delivered although Postfix never saw the final dot"
    );
}

fn subject(what: &str) -> String {
    format!("Stage proxy {what} {}", std::process::id())
}

/// A body long enough that a drop after a few hundred bytes lands inside it, with a
/// line that needs dot-stuffing on the way.
fn long_body() -> String {
    let mut body = String::from("Hello,\r\n.a line that starts with a dot\r\n");
    for i in 0..200 {
        body.push_str(&format!("Line {i} of a message that will be cut off.\r\n"));
    }
    body
}

#[tokio::test]
async fn stage_proxy_without_fault_delivers_through_real_postfix() {
    let stack = stack();
    let alice = stack.add_user("proxy").unwrap();
    let bob = stack.add_user("proxy-rcpt").unwrap();
    let proxy = SmtpStageProxy::start(&stack).unwrap();
    let subject = subject("none");
    send_via(&proxy, &stack, &alice, &bob, &subject, &long_body())
        .await
        .unwrap();
    assert_eq!(copies_delivered(&stack, &bob, &subject).await, 1);
    assert_eq!(proxy.connections(), 1);
}

#[tokio::test]
async fn stage_proxy_drop_before_auth_fails_the_client_and_delivers_nothing() {
    let stack = stack();
    let alice = stack.add_user("proxy").unwrap();
    let bob = stack.add_user("proxy-rcpt").unwrap();
    let proxy = SmtpStageProxy::start(&stack).unwrap();
    proxy.set_fault(StageFault::DropBeforeAuth);
    let subject = subject("drop before auth");
    let err = send_via(&proxy, &stack, &alice, &bob, &subject, "x\r\n")
        .await
        .unwrap_err();
    assert!(
        !err.is_permanent(),
        "a dropped connection is no verdict: {err}"
    );
    assert_not_delivered(&stack, &alice, &bob, &subject).await;
}

#[tokio::test]
async fn stage_proxy_drop_during_data_fails_the_client_and_delivers_nothing() {
    let stack = stack();
    let alice = stack.add_user("proxy").unwrap();
    let bob = stack.add_user("proxy-rcpt").unwrap();
    let proxy = SmtpStageProxy::start(&stack).unwrap();
    proxy.set_fault(StageFault::DropDuringData { after_bytes: 300 });
    let subject = subject("drop during data");
    let err = send_via(&proxy, &stack, &alice, &bob, &subject, &long_body())
        .await
        .unwrap_err();
    assert!(
        !err.is_permanent(),
        "a dropped connection is no verdict: {err}"
    );
    assert_not_delivered(&stack, &alice, &bob, &subject).await;
}

#[tokio::test]
async fn stage_proxy_drop_during_data_withholds_the_dot_of_a_whole_message() {
    let stack = stack();
    let alice = stack.add_user("proxy").unwrap();
    let bob = stack.add_user("proxy-rcpt").unwrap();
    let proxy = SmtpStageProxy::start(&stack).unwrap();
    // More bytes than the message has: all of it goes, the final dot does not.
    proxy.set_fault(StageFault::DropDuringData {
        after_bytes: 1 << 20,
    });
    let subject = subject("drop at the dot");
    assert!(
        send_via(&proxy, &stack, &alice, &bob, &subject, "Short.\r\n")
            .await
            .is_err()
    );
    assert_not_delivered(&stack, &alice, &bob, &subject).await;
}

#[tokio::test]
async fn stage_proxy_drop_after_final_dot_fails_the_client_but_delivers_once() {
    let stack = stack();
    let alice = stack.add_user("proxy").unwrap();
    let bob = stack.add_user("proxy-rcpt").unwrap();
    let proxy = SmtpStageProxy::start(&stack).unwrap();
    proxy.set_fault(StageFault::DropAfterFinalDot);
    let subject = subject("drop after dot");
    let err = send_via(&proxy, &stack, &alice, &bob, &subject, &long_body())
        .await
        .unwrap_err();
    assert!(
        !err.is_permanent(),
        "a dropped connection is no verdict: {err}"
    );
    assert_eq!(copies_delivered(&stack, &bob, &subject).await, 1);
}

#[tokio::test]
async fn stage_proxy_drop_before_reply_fails_the_client_but_delivers_once() {
    let stack = stack();
    let alice = stack.add_user("proxy").unwrap();
    let bob = stack.add_user("proxy-rcpt").unwrap();
    let proxy = SmtpStageProxy::start(&stack).unwrap();
    proxy.set_fault(StageFault::DropBeforeReply);
    let subject = subject("drop before reply");
    let err = send_via(&proxy, &stack, &alice, &bob, &subject, "Delivered.\r\n")
        .await
        .unwrap_err();
    assert!(
        !err.is_permanent(),
        "a dropped connection is no verdict: {err}"
    );
    assert_eq!(copies_delivered(&stack, &bob, &subject).await, 1);
}

#[tokio::test]
async fn stage_proxy_stall_before_reply_leaves_the_client_waiting_but_delivers_once() {
    let stack = stack();
    let alice = stack.add_user("proxy").unwrap();
    let bob = stack.add_user("proxy-rcpt").unwrap();
    let proxy = SmtpStageProxy::start(&stack).unwrap();
    proxy.set_fault(StageFault::StallBeforeReply);
    let subject = subject("stall before reply");
    // lettre's timeout only covers connecting: the stalled send waits until the
    // connection goes.
    let sending = tokio::spawn({
        let transport = smtp_via(proxy.addr(), &stack, &alice);
        let message = message(&alice, &bob, &subject, "Stalled.\r\n");
        async move { transport.send(message).await }
    });
    assert_eq!(copies_delivered(&stack, &bob, &subject).await, 1);
    assert!(
        !sending.is_finished(),
        "the client must still wait for the reply to its data"
    );
    assert_eq!(proxy.live_connections(), 1);

    proxy.kill_all();
    let outcome = tokio::time::timeout(Duration::from_secs(5), sending)
        .await
        .expect("kill_all must end the stalled connection")
        .unwrap();
    let err = outcome.unwrap_err();
    assert!(
        !err.is_permanent(),
        "a dropped connection is no verdict: {err}"
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    while proxy.live_connections() > 0 {
        assert!(Instant::now() < deadline, "kill_all left a connection open");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn stage_proxy_reply_to_data_gives_the_clients_verdict_and_delivers_nothing() {
    let stack = stack();
    let alice = stack.add_user("proxy").unwrap();
    let bob = stack.add_user("proxy-rcpt").unwrap();
    let proxy = SmtpStageProxy::start(&stack).unwrap();

    proxy.set_fault_for_next(StageFault::ReplyToData("554 5.7.1 Rejected".to_owned()));
    let rejected = subject("rejected");
    let err = send_via(&proxy, &stack, &alice, &bob, &rejected, "No.\r\n")
        .await
        .unwrap_err();
    assert!(err.is_permanent(), "554 is permanent: {err}");
    assert_eq!(err.status().map(u16::from), Some(554), "{err}");

    proxy.set_fault_for_next(StageFault::ReplyToData(
        "451 4.3.0 Try again later".to_owned(),
    ));
    let deferred = subject("deferred");
    let err = send_via(&proxy, &stack, &alice, &bob, &deferred, "Later.\r\n")
        .await
        .unwrap_err();
    assert!(err.is_transient(), "451 is transient: {err}");
    assert_eq!(err.status().map(u16::from), Some(451), "{err}");

    // The one-shot faults are used up: the third connection is relayed faithfully.
    let fine = subject("after one-shot faults");
    send_via(&proxy, &stack, &alice, &bob, &fine, "Yes.\r\n")
        .await
        .unwrap();
    assert_eq!(copies_delivered(&stack, &bob, &fine).await, 1);
    assert_eq!(proxy.connections(), 3);
    assert_eq!(count_in_inbox(&stack, &bob, &rejected).await, 0);
    assert_eq!(count_in_inbox(&stack, &bob, &deferred).await, 0);
}
