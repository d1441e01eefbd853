//! heron-imap against the harness Dovecot: a real server, reached over TLS verified
//! with the stack's CA.

// Test code: a failed unwrap is a failed test, with the error in its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use heron_harness::{Stack, User};
use heron_imap::{Auth, ConnectOptions, ProtocolLimits, Security, Timeouts};

mod oauth;

fn stack() -> Stack {
    match Stack::ensure() {
        Ok(stack) => stack,
        Err(e) => panic!("the test stack must start: {e:#}"),
    }
}

/// Connection options for `user` on the stack's IMAPS port, logging in with `auth`.
fn options(stack: &Stack, user: &User, auth: Auth) -> ConnectOptions {
    let ca = heron_imap::read_pem_certificates(stack.ca_pem()).unwrap();
    ConnectOptions {
        host: "127.0.0.1".to_owned(),
        port: stack.ports().imaps,
        security: Security::Tls,
        login: user.address.clone(),
        auth,
        tls: heron_imap::tls_config(&ca, false, false).unwrap(),
        timeouts: Timeouts::default(),
        limits: ProtocolLimits::default(),
    }
}
