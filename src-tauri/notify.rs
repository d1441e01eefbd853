//! Desktop notifications for new mail, through the freedesktop Notifications service
//! on the session bus (GNOME, KDE, dunst, ...). A click on a notification asks the
//! window to open the message (the `open-message` event). The text comes from the UI,
//! which knows the user's language; what it may show (sender and subject, or only "New
//! mail") is the policy's `features.notifications_show_content`.

use std::collections::HashMap;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use dbus::arg::{PropMap, Variant};
use dbus::blocking::Connection;
use dbus::message::MatchRule;
use serde::Serialize;
use tauri::{AppHandle, Emitter as _};

const SERVICE: &str = "org.freedesktop.Notifications";
const PATH: &str = "/org/freedesktop/Notifications";

/// One notification to show.
pub struct Request {
    pub title: String,
    pub body: String,
    /// The message a click opens.
    pub message: i64,
    /// Answered with the notification's id, or why it could not be shown.
    pub reply: Sender<Result<u32, String>>,
}

/// The `open-message` event.
#[derive(Clone, Debug, Serialize)]
pub struct OpenMessage {
    pub id: i64,
}

/// The handle commands use.
#[derive(Clone)]
pub struct Notifier {
    requests: Arc<Mutex<Option<Sender<Request>>>>,
}

impl Notifier {
    /// Starts the notification thread (it connects to the session bus on first use).
    pub fn start(app: AppHandle) -> Self {
        let (tx, rx) = channel();
        let spawned = std::thread::Builder::new()
            .name("heron-notify".to_owned())
            .spawn(move || serve(&app, &rx));
        let requests = match spawned {
            Ok(_) => Some(tx),
            Err(e) => {
                eprintln!("heron: notifications are off: {e}");
                None
            }
        };
        Self {
            requests: Arc::new(Mutex::new(requests)),
        }
    }

    /// Shows a notification; the id the desktop gave it.
    pub fn show(&self, title: String, body: String, message: i64) -> Result<u32, String> {
        let (reply, answer) = channel();
        let sent = self
            .requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .map(|tx| {
                tx.send(Request {
                    title,
                    body,
                    message,
                    reply,
                })
            });
        match sent {
            Some(Ok(())) => answer
                .recv_timeout(Duration::from_secs(5))
                .map_err(|_| "The desktop did not answer in time".to_owned())?,
            _ => Err("Notifications are not available".to_owned()),
        }
    }
}

fn serve(app: &AppHandle, requests: &Receiver<Request>) {
    let shown: Arc<Mutex<HashMap<u32, i64>>> = Arc::default();
    let mut conn: Option<Connection> = None;
    loop {
        if let Some(c) = &conn
            && let Err(e) = c.process(Duration::from_millis(250))
        {
            eprintln!("heron: the session bus went away: {e}");
            conn = None;
        }
        let request = if conn.is_some() {
            match requests.try_recv() {
                Ok(r) => r,
                Err(std::sync::mpsc::TryRecvError::Empty) => continue,
                Err(std::sync::mpsc::TryRecvError::Disconnected) => return,
            }
        } else {
            match requests.recv() {
                Ok(r) => r,
                Err(_) => return,
            }
        };
        if conn.is_none() {
            conn = connect(app, &shown)
                .map_err(|e| eprintln!("heron: no desktop notifications: {e}"))
                .ok();
        }
        let result = match &conn {
            Some(c) => notify(c, &request).map_err(|e| e.to_string()),
            None => Err("There is no session bus for notifications".to_owned()),
        };
        if let Ok(id) = result {
            shown
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(id, request.message);
        }
        let _ = request.reply.send(result);
    }
}

/// Connects and listens for clicks (`ActionInvoked`) and closes.
fn connect(
    app: &AppHandle,
    shown: &Arc<Mutex<HashMap<u32, i64>>>,
) -> Result<Connection, dbus::Error> {
    let conn = Connection::new_session()?;
    let app = app.clone();
    let clicked = shown.clone();
    conn.add_match(
        MatchRule::new_signal(SERVICE, "ActionInvoked"),
        move |(id, _action): (u32, String), _, _| {
            let message = clicked
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .get(&id)
                .copied();
            if let Some(id) = message {
                let _ = app.emit_to("main", "open-message", OpenMessage { id });
            }
            true
        },
    )?;
    let closed = shown.clone();
    conn.add_match(
        MatchRule::new_signal(SERVICE, "NotificationClosed"),
        move |(id, _reason): (u32, u32), _, _| {
            closed
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(&id);
            true
        },
    )?;
    Ok(conn)
}

fn notify(conn: &Connection, request: &Request) -> Result<u32, dbus::Error> {
    let proxy = conn.with_proxy(SERVICE, PATH, Duration::from_secs(3));
    let mut hints = PropMap::new();
    hints.insert(
        "category".to_owned(),
        Variant(Box::new("email.arrived".to_owned())),
    );
    hints.insert(
        "desktop-entry".to_owned(),
        Variant(Box::new("heron".to_owned())),
    );
    let (id,): (u32,) = proxy.method_call(
        SERVICE,
        "Notify",
        (
            "Heron",
            0u32,
            "mail-unread",
            request.title.as_str(),
            escape_markup(&request.body).as_str(),
            vec!["default", "Open"],
            hints,
            -1i32,
        ),
    )?;
    Ok(id)
}

/// Notification bodies may be read as markup (`<b>`, `<a href>`, `<img>`); text from
/// mail must stay text.
fn escape_markup(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
