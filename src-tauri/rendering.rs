//! How WebKit paints Heron's windows.
//!
//! WebKitGTK composites pages with OpenGL by default. On a desktop without a GPU (a
//! virtual desktop, a VM, a thin client) Mesa emulates OpenGL on the CPU, and the
//! 100,000-message list then scrolls at about 30 frames per second; WebKit's software
//! painting keeps it at 60 there (docs/BENCHMARKS.md, `cargo xtask bench-ui`). So Heron
//! paints in software where the system has no GPU render node, and leaves WebKit's
//! default alone where it has one. `HERON_RENDERING=gpu` or `software` overrides the
//! guess, for an admin who knows the machines better.

use std::path::Path;
use std::sync::OnceLock;

/// The variable an admin sets to choose the painting mode.
pub const RENDERING_ENV: &str = "HERON_RENDERING";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Painting {
    /// WebKit's default: compositing with OpenGL, on the GPU.
    Gpu,
    /// WebKit's software painting, without OpenGL compositing.
    Software,
}

/// The painting mode from the admin's setting (`HERON_RENDERING`), else from whether the
/// system has a GPU. A value that is neither `gpu`, `software` nor `auto` is reported
/// and then ignored, so a typo costs speed, never the window.
pub fn choose(setting: Option<&str>, has_gpu: bool) -> (Painting, Option<String>) {
    let guess = if has_gpu {
        Painting::Gpu
    } else {
        Painting::Software
    };
    match setting.map(str::trim) {
        None | Some("") | Some("auto") => (guess, None),
        Some("gpu") => (Painting::Gpu, None),
        Some("software") => (Painting::Software, None),
        Some(other) => (
            guess,
            Some(format!(
                "{RENDERING_ENV}={other:?} is not gpu, software or auto; choosing by the \
                 hardware ({})",
                if has_gpu { "gpu" } else { "software" }
            )),
        ),
    }
}

/// Whether `dri` (normally `/dev/dri`) holds a render node, the device a GPU driver
/// offers for drawing (`renderD128` and up). Mesa's CPU emulation needs none.
pub fn has_render_node(dri: &Path) -> bool {
    std::fs::read_dir(dri).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|entry| entry.file_name().to_string_lossy().starts_with("renderD"))
    })
}

/// The painting mode for this run, decided once; a setting that was not understood is
/// reported on stderr.
pub fn for_this_system() -> Painting {
    static CHOSEN: OnceLock<Painting> = OnceLock::new();
    *CHOSEN.get_or_init(|| {
        let setting = std::env::var(RENDERING_ENV).ok();
        let (painting, problem) =
            choose(setting.as_deref(), has_render_node(Path::new("/dev/dri")));
        if let Some(problem) = problem {
            eprintln!("heron: {problem}");
        }
        painting
    })
}

/// Gives a window's web view this run's painting mode. WebKit switches a page that is
/// already loading over, so this runs right after the window is made.
pub fn apply<R: tauri::Runtime>(window: &tauri::WebviewWindow<R>) {
    if for_this_system() == Painting::Gpu {
        return;
    }
    #[cfg(target_os = "linux")]
    {
        let applied = window.with_webview(|webview| {
            use webkit2gtk::{HardwareAccelerationPolicy, SettingsExt, WebViewExt};
            if let Some(settings) = WebViewExt::settings(&webview.inner()) {
                settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never);
            }
        });
        if let Err(e) = applied {
            eprintln!("heron: cannot choose software painting ({e}); WebKit's default is kept");
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = window;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_gpu_heron_paints_in_software_and_with_one_leaves_webkit_alone() {
        assert_eq!(choose(None, false), (Painting::Software, None));
        assert_eq!(choose(None, true), (Painting::Gpu, None));
        assert_eq!(choose(Some("auto"), false), (Painting::Software, None));
        assert_eq!(choose(Some(""), true), (Painting::Gpu, None));
    }

    #[test]
    fn the_admins_setting_wins_over_the_guess() {
        assert_eq!(choose(Some("gpu"), false), (Painting::Gpu, None));
        assert_eq!(choose(Some(" software "), true), (Painting::Software, None));
    }

    #[test]
    fn a_misspelt_setting_is_reported_and_the_hardware_decides() {
        let (painting, problem) = choose(Some("GPU-please"), false);
        assert_eq!(painting, Painting::Software);
        let problem = problem.unwrap();
        assert!(
            problem.contains("HERON_RENDERING=\"GPU-please\""),
            "{problem}"
        );
        assert!(
            problem.contains("choosing by the hardware (software)"),
            "{problem}"
        );
    }

    #[test]
    fn only_a_render_node_counts_as_a_gpu() {
        let dri = tempfile::tempdir().unwrap();
        assert!(!has_render_node(dri.path()), "an empty /dev/dri");
        std::fs::write(dri.path().join("card0"), b"").unwrap();
        assert!(
            !has_render_node(dri.path()),
            "a display controller alone draws nothing"
        );
        std::fs::write(dri.path().join("renderD128"), b"").unwrap();
        assert!(has_render_node(dri.path()));
        assert!(
            !has_render_node(&dri.path().join("missing")),
            "no /dev/dri at all"
        );
    }
}
