//! Shortcut keys typed while a message body has the focus.
//!
//! A body is shown in a frame without scripts, of an origin of its own, so the keys
//! typed after clicking into it never reach the page, and j, r or Escape did nothing
//! there. The page says when a body takes or loses the focus (`set_body_focus`); while
//! one has it, the main window's web view catches the shortcut keys before WebKit does
//! and sends each to the page as a `body-key` event, which plays it as if typed in the
//! message list. Every other key (arrows, Page Up/Down, Space, Home/End, Tab, Enter,
//! Ctrl+C, Ctrl+A) goes on to the body as before, so it still scrolls, selects, copies
//! and follows links. The body itself sends nothing: it runs no script.

use serde::Serialize;

/// A key the page plays as a shortcut (`KeyboardEvent.key`'s name for it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BodyKey {
    pub key: String,
    pub ctrl: bool,
}

/// The shortcut a key press in a body stands for, if any: `printable` is the character
/// the key types (none for Escape, Delete, Backspace), `name` GDK's name for the key.
/// Alt, Super and Shift+letter are never shortcuts here; Ctrl only with N (new message)
/// and P (print).
pub fn shortcut(
    printable: Option<char>,
    name: &str,
    ctrl: bool,
    other_modifier: bool,
) -> Option<BodyKey> {
    if other_modifier {
        return None;
    }
    let key = match (printable, name) {
        (_, "Escape") => "Escape",
        (_, "Delete" | "KP_Delete") => "Delete",
        (_, "BackSpace") => "Backspace",
        (Some(c), _) if ctrl => match c.to_ascii_lowercase() {
            'n' => "n",
            'p' => "p",
            _ => return None,
        },
        (Some(c), _) => match c {
            'j' | 'k' | 'e' | 'r' | 'a' | 'f' | 'u' | 's' | '#' | '/' | '?' => {
                return Some(BodyKey {
                    key: c.to_string(),
                    ctrl,
                });
            }
            _ => return None,
        },
        (None, _) => return None,
    };
    Some(BodyKey {
        key: key.to_owned(),
        ctrl,
    })
}

#[cfg(target_os = "linux")]
mod gtk_keys {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use gtk::gdk::ModifierType;
    use gtk::glib::Propagation;
    use gtk::prelude::*;
    use tauri::{Emitter, Manager};

    /// Whether a body in the main window has the focus, as the page last said.
    #[derive(Clone, Default)]
    pub struct BodyFocus(Arc<AtomicBool>);

    impl BodyFocus {
        pub fn set(&self, focused: bool) {
            self.0.store(focused, Ordering::Relaxed);
        }

        /// Catches the shortcut keys of the main window's web view while a body has the
        /// focus, and sends them to the page.
        pub fn install(&self, window: &tauri::WebviewWindow) {
            let focus = self.0.clone();
            let app = window.app_handle().clone();
            let installed = window.with_webview(move |webview| {
                webview.inner().connect_key_press_event(move |_, event| {
                    if !focus.load(Ordering::Relaxed) {
                        return Propagation::Proceed;
                    }
                    let state = event.state();
                    let keyval = event.keyval();
                    let name = keyval.name().map(|n| n.to_string()).unwrap_or_default();
                    let found = super::shortcut(
                        keyval.to_unicode(),
                        &name,
                        state.contains(ModifierType::CONTROL_MASK),
                        state.intersects(
                            ModifierType::MOD1_MASK
                                | ModifierType::SUPER_MASK
                                | ModifierType::META_MASK,
                        ),
                    );
                    match found {
                        Some(key) => {
                            let _ = app.emit_to("main", "body-key", key);
                            Propagation::Stop
                        }
                        None => Propagation::Proceed,
                    }
                });
            });
            if let Err(e) = installed {
                eprintln!("heron: shortcuts inside message bodies are off ({e})");
            }
        }
    }
}

#[cfg(target_os = "linux")]
pub use gtk_keys::BodyFocus;

/// Elsewhere the platform shells come with their packaging; the page's own shortcuts
/// work there as everywhere, only those typed inside a body are not caught.
#[cfg(not(target_os = "linux"))]
#[derive(Clone, Default)]
pub struct BodyFocus;

#[cfg(not(target_os = "linux"))]
impl BodyFocus {
    pub fn set(&self, _focused: bool) {}
    pub fn install(&self, _window: &tauri::WebviewWindow) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(k: &str, ctrl: bool) -> Option<BodyKey> {
        Some(BodyKey {
            key: k.to_owned(),
            ctrl,
        })
    }

    #[test]
    fn the_mail_shortcuts_are_caught_in_a_body() {
        for c in ['j', 'k', 'e', 'r', 'a', 'f', 'u', 's', '#', '/', '?'] {
            assert_eq!(
                shortcut(Some(c), "", false, false),
                key(&c.to_string(), false)
            );
        }
        assert_eq!(shortcut(None, "Escape", false, false), key("Escape", false));
        assert_eq!(
            shortcut(Some('\u{7f}'), "Delete", false, false),
            key("Delete", false)
        );
        assert_eq!(
            shortcut(Some('\u{8}'), "BackSpace", false, false),
            key("Backspace", false)
        );
        assert_eq!(shortcut(Some('n'), "n", true, false), key("n", true));
        assert_eq!(shortcut(Some('P'), "P", true, false), key("p", true));
    }

    #[test]
    fn keys_that_scroll_select_copy_or_follow_links_stay_with_the_body() {
        for (printable, name, ctrl) in [
            (None, "Down", false),
            (None, "Page_Down", false),
            (Some(' '), "space", false),
            (None, "Home", false),
            (None, "Tab", false),
            (Some('\r'), "Return", false),
            (Some('c'), "c", true),
            (Some('a'), "a", true),
            (Some('J'), "J", false),
            (Some('x'), "x", false),
        ] {
            assert_eq!(shortcut(printable, name, ctrl, false), None, "{name}");
        }
    }

    #[test]
    fn alt_and_super_combinations_are_never_taken() {
        assert_eq!(shortcut(Some('j'), "j", false, true), None);
        assert_eq!(shortcut(None, "Escape", false, true), None);
    }
}
