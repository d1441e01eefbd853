//! The unread count where the desktop shows it: the window's title (every OS's taskbar
//! and window switcher), the dock or launcher badge (macOS; Linux docks that speak the
//! Unity launcher API), and the tray icon's tooltip. The count is the unread mail of
//! every account's inbox, recomputed after each sync pass and each action of the user.

use std::sync::Mutex;
use std::sync::PoisonError;

use tauri::menu::{Menu, MenuItem};
use tauri::tray::{MouseButton, MouseButtonState, TrayIcon, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Manager as _};

/// The product name the title starts with.
const APP_NAME: &str = "Heron";

/// The last count shown, so an unchanged count costs nothing.
#[derive(Default)]
pub struct UnreadBadge {
    shown: Mutex<Option<u64>>,
    tray: Mutex<Option<TrayIcon>>,
}

/// The window title for `count` unread messages.
pub fn title(count: u64) -> String {
    if count == 0 {
        APP_NAME.to_owned()
    } else {
        format!("{APP_NAME} ({count})")
    }
}

impl UnreadBadge {
    /// Puts Heron in the tray: a click shows the window, the menu opens or quits. A
    /// desktop without a tray library (libayatana-appindicator on Linux) gets none, and
    /// nothing else changes.
    pub fn install_tray(&self, app: &AppHandle) {
        let built = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| build_tray(app)));
        match built {
            Ok(Ok(tray)) => {
                *self.tray.lock().unwrap_or_else(PoisonError::into_inner) = Some(tray);
            }
            Ok(Err(e)) => eprintln!("heron: no tray icon: {e}"),
            Err(_) => eprintln!("heron: no tray icon: the desktop's tray library is missing"),
        }
    }

    /// Shows `count` everywhere it is shown, unless it is already.
    pub fn show(&self, app: &AppHandle, count: u64) {
        {
            let mut shown = self.shown.lock().unwrap_or_else(PoisonError::into_inner);
            if *shown == Some(count) {
                return;
            }
            *shown = Some(count);
        }
        if let Some(window) = app.get_webview_window("main") {
            let _ = window.set_title(&title(count));
            // Unsupported places (Windows, Linux without a launcher API) say so; the
            // title already carries the count there.
            let _ = window
                .set_badge_count((count > 0).then(|| i64::try_from(count).unwrap_or(i64::MAX)));
        }
        if let Some(tray) = self
            .tray
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
        {
            let _ = tray.set_tooltip(Some(title(count)));
        }
    }
}

fn build_tray(app: &AppHandle) -> tauri::Result<TrayIcon> {
    let open = MenuItem::with_id(app, "open", "Open Heron", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit", true, None::<&str>)?;
    let menu = Menu::with_items(app, &[&open, &quit])?;
    let mut builder = TrayIconBuilder::with_id("main")
        .tooltip(APP_NAME)
        .menu(&menu)
        .show_menu_on_left_click(false)
        .on_menu_event(|app, event| match event.id().as_ref() {
            "open" => reveal(app),
            "quit" => app.exit(0),
            _ => {}
        })
        .on_tray_icon_event(|tray, event| {
            if let TrayIconEvent::Click {
                button: MouseButton::Left,
                button_state: MouseButtonState::Up,
                ..
            } = event
            {
                reveal(tray.app_handle());
            }
        });
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    builder.build(app)
}

/// Brings the main window to the front.
pub fn reveal(app: &AppHandle) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

#[cfg(test)]
mod tests {
    use super::title;

    #[test]
    fn the_title_carries_the_count_only_when_there_is_unread_mail() {
        assert_eq!(title(0), "Heron");
        assert_eq!(title(1), "Heron (1)");
        assert_eq!(title(12_345), "Heron (12345)");
    }
}
