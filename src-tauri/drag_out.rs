//! Dragging an attachment out of the window onto the desktop or a file manager: the
//! page gives up its own drag (it could only drag a URL), and Rust starts a toolkit
//! drag of the attachment written to the store's private temporary folder, offered as
//! a `text/uri-list` the way file managers drag files.

use std::path::PathBuf;

use heron_api::{ApiError, ErrorCode};

fn drag_error(why: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        ErrorCode::StorageFailed,
        format!("The attachment cannot be dragged: {why}"),
    )
}

/// Starts dragging `file` from `window`, while the mouse button that began the page's
/// drag is still down. Runs on the window's thread.
#[cfg(target_os = "linux")]
pub async fn start(window: &tauri::WebviewWindow, file: PathBuf) -> Result<(), ApiError> {
    use gtk::prelude::*;

    let uri = gtk::glib::filename_to_uri(&file, None).map_err(drag_error)?;
    let target = window.clone();
    let (done, started) = tokio::sync::oneshot::channel::<Result<(), String>>();
    window
        .run_on_main_thread(move || {
            let Ok(gtk_window) = target.gtk_window() else {
                let _ = done.send(Err("the window has no toolkit window".to_owned()));
                return;
            };
            let targets = gtk::TargetList::new(&[]);
            targets.add_uri_targets(0);
            let uri = uri.to_string();
            let giving = gtk_window.connect_drag_data_get(move |_, _, data, _, _| {
                data.set_uris(&[uri.as_str()]);
            });
            let giving = std::rc::Rc::new(std::cell::Cell::new(Some(giving)));
            let giving_inner = std::rc::Rc::clone(&giving);
            let ending = std::rc::Rc::new(std::cell::Cell::new(None));
            let ending_inner = std::rc::Rc::clone(&ending);
            let handler = gtk_window.connect_drag_end(move |window, _| {
                // One drag, one file: the handlers go with it.
                if let Some(id) = giving_inner.take() {
                    window.disconnect(id);
                }
                if let Some(id) = ending_inner.take() {
                    window.disconnect(id);
                }
            });
            ending.set(Some(handler));
            let started = gtk_window.drag_begin_with_coordinates(
                &targets,
                gtk::gdk::DragAction::COPY,
                1,
                None,
                -1,
                -1,
            );
            if started.is_none() {
                // No drag, so no drag-end: the handlers go now.
                if let Some(id) = giving.take() {
                    gtk_window.disconnect(id);
                }
                if let Some(id) = ending.take() {
                    gtk_window.disconnect(id);
                }
                let _ = done.send(Err("the toolkit did not start it".to_owned()));
                return;
            }
            let _ = done.send(Ok(()));
        })
        .map_err(drag_error)?;
    match started.await {
        Ok(result) => result.map_err(drag_error),
        Err(_) => Err(drag_error("the window's thread did not answer")),
    }
}

/// Elsewhere the platform's own drag comes with its packaging; until then the user
/// saves the attachment instead.
#[cfg(not(target_os = "linux"))]
pub async fn start(_window: &tauri::WebviewWindow, _file: PathBuf) -> Result<(), ApiError> {
    Err(drag_error("not built for this platform yet; use Save"))
}
