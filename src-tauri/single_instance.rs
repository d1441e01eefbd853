//! One Heron per desktop session: the desktop runs `heron mailto:…` or `heron file.eml`
//! for every link or file the user opens with it, and a Heron that is already running
//! must take those over instead of a second app starting (which would find its store in
//! use). The first Heron owns a name on the session bus; a later one hands its
//! arguments to it there and exits.

use std::time::Duration;

use dbus::blocking::Connection;
use dbus::channel::MatchingReceiver as _;
use dbus::message::MatchRule;

use crate::launch::LaunchRequest;

/// The name on the session bus (the app's identifier).
pub const BUS_NAME: &str = "app.heron.desktop";
const PATH: &str = "/app/heron/desktop";
const INTERFACE: &str = "app.heron.desktop.Launch";

/// Whether this process runs the app or handed its request to the one that does.
pub enum Instance {
    /// This is the first Heron: it serves the bus name (when there is a bus).
    First(Option<Connection>),
    /// Another Heron took the request; this process exits.
    Forwarded,
}

/// Claims the bus name, or hands `request` to the Heron that has it. Without a session
/// bus (or on any bus error) this process simply runs as the app.
pub fn claim(request: &LaunchRequest) -> Instance {
    let Ok(conn) = Connection::new_session() else {
        return Instance::First(None);
    };
    match conn.request_name(BUS_NAME, false, false, true) {
        Ok(dbus::blocking::stdintf::org_freedesktop_dbus::RequestNameReply::PrimaryOwner)
        | Ok(dbus::blocking::stdintf::org_freedesktop_dbus::RequestNameReply::AlreadyOwner) => {
            Instance::First(Some(conn))
        }
        Ok(_) => {
            let proxy = conn.with_proxy(BUS_NAME, PATH, Duration::from_secs(5));
            let sent: Result<(), dbus::Error> =
                proxy.method_call(INTERFACE, "Open", (request.clone().into_args(),));
            match sent {
                Ok(()) => Instance::Forwarded,
                Err(e) => {
                    // The other Heron does not answer (hung, or quitting): run anyway;
                    // the store's own lock says whether this one can work.
                    eprintln!("heron: the running Heron did not take the request: {e}");
                    Instance::First(None)
                }
            }
        }
        Err(e) => {
            eprintln!("heron: cannot claim {BUS_NAME} on the session bus: {e}");
            Instance::First(Some(conn))
        }
    }
}

/// Answers `Open` calls from later Herons on a thread of its own, passing each request
/// to `deliver`.
pub fn serve(conn: Connection, deliver: impl Fn(LaunchRequest) + Send + 'static) {
    let spawned = std::thread::Builder::new()
        .name("heron-instance".to_owned())
        .spawn(move || {
            conn.start_receive(
                MatchRule::new_method_call()
                    .with_path(PATH)
                    .with_interface(INTERFACE)
                    .with_member("Open"),
                Box::new(move |message, conn| {
                    if let Ok(args) = message.read1::<Vec<String>>() {
                        deliver(LaunchRequest::from_args(args));
                    }
                    let _ = dbus::channel::Sender::send(conn, message.method_return());
                    true
                }),
            );
            loop {
                if let Err(e) = conn.process(Duration::from_secs(3600)) {
                    eprintln!("heron: the session bus went away: {e}");
                    return;
                }
            }
        });
    if let Err(e) = spawned {
        eprintln!("heron: cannot serve other Herons' requests: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_heron_hands_its_request_to_the_first_over_the_bus() {
        // Needs a session bus (cargo xtask test runs one); without one there is nothing
        // to hand over to, and that case is the first branch of `claim`.
        if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
            eprintln!("SKIPPED: needs a session bus");
            return;
        }
        let first = match claim(&LaunchRequest::default()) {
            Instance::First(Some(conn)) => conn,
            _ => panic!("the first Heron must own the name"),
        };
        let (tx, rx) = std::sync::mpsc::channel();
        serve(first, move |request| {
            let _ = tx.send(request);
        });
        let wanted = LaunchRequest {
            file: None,
            mailto: Some("mailto:bob@example.test".to_owned()),
        };
        assert!(matches!(claim(&wanted), Instance::Forwarded));
        let got = rx.recv_timeout(Duration::from_secs(5)).unwrap();
        assert_eq!(got, wanted);
    }
}
