//! Heron's desktop shell: window setup and Tauri commands.
//!
//! The shell holds no logic of its own: every command is a one-line wrapper over
//! heron-api, and is `async` so nothing runs on the main thread.

use heron_api::{
    AcceptedNotice, AccountSummary, ApiError, Heron, HeronOptions, LocalStoreState,
    PrivacyNoticeView,
};
use heron_model::{AppInfo, Profile};

/// What the commands share: the API context, or why it could not be opened. A bad
/// configuration must not crash the app; the UI shows the error instead.
struct AppState {
    heron: Result<Heron, ApiError>,
}

impl AppState {
    fn heron(&self) -> Result<&Heron, ApiError> {
        self.heron.as_ref().map_err(Clone::clone)
    }
}

type State<'a> = tauri::State<'a, AppState>;

#[tauri::command]
async fn app_info(state: State<'_>) -> Result<AppInfo, ApiError> {
    Ok(state.heron()?.app_info())
}

#[tauri::command]
async fn profile(state: State<'_>) -> Result<Option<Profile>, ApiError> {
    Ok(state.heron()?.profile())
}

#[tauri::command]
async fn accounts(state: State<'_>) -> Result<Vec<AccountSummary>, ApiError> {
    Ok(state.heron()?.accounts())
}

#[tauri::command]
async fn privacy_notice(state: State<'_>) -> Result<PrivacyNoticeView, ApiError> {
    state.heron()?.privacy_notice()
}

/// The shell supplies the time, so heron-api stays deterministic under test.
#[tauri::command]
async fn accept_privacy_notice(
    state: State<'_>,
    version: String,
) -> Result<AcceptedNotice, ApiError> {
    state.heron()?.accept_privacy_notice(&version, unix_now())
}

/// What the window shows first about the local store: nothing, the key-file warning, or
/// a dialog that blocks it (unreadable: rebuild or quit; no keyring: quit).
#[tauri::command]
async fn local_store_state(state: State<'_>) -> Result<LocalStoreState, ApiError> {
    Ok(state.heron()?.local_store_state())
}

/// Only ever rebuilds an unreadable store; heron-api refuses one that opens.
#[tauri::command]
async fn rebuild_local_store(state: State<'_>) -> Result<LocalStoreState, ApiError> {
    state.heron()?.rebuild_local_store()
}

/// Declining the privacy notice, or a local store that cannot be used, ends the app: a
/// clean exit, code 0.
#[tauri::command]
async fn quit_app(app: tauri::AppHandle) {
    app.exit(0);
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Builds and runs the app; returns the process exit code.
pub fn run() -> std::process::ExitCode {
    let result = tauri::Builder::default()
        .setup(|app| {
            use tauri::Manager as _;
            // The per-user data directory (on Linux ~/.local/share/<identifier>): user
            // settings, the privacy consent and the encrypted store.
            let data_dir = match app.path().app_data_dir() {
                Ok(dir) => Some(dir),
                Err(e) => {
                    eprintln!("heron: no per-user data directory ({e}); settings cannot be saved");
                    None
                }
            };
            let heron = Heron::open(&HeronOptions {
                data_dir,
                // HERON_CONFIG replaces the managed policy: fine for the demo and the
                // end-to-end suite (debug builds), but in a release build any user could
                // use it to escape the admin's locked settings.
                ignore_config_env: !cfg!(debug_assertions),
                ..HeronOptions::default()
            });
            if let Err(e) = &heron {
                eprintln!("heron: {}", e.message);
            }
            app.manage(AppState { heron });
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            app_info,
            profile,
            accounts,
            privacy_notice,
            accept_privacy_notice,
            local_store_state,
            rebuild_local_store,
            quit_app
        ])
        .run(tauri::generate_context!());
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("heron: the window could not start: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    include!("app_commands.rs");

    fn read_json(path: &str) -> serde_json::Value {
        let full = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
        serde_json::from_str(&std::fs::read_to_string(full).unwrap()).unwrap()
    }

    #[test]
    fn main_window_csp_forbids_eval_inline_code_and_remote_origins() {
        let conf = read_json("tauri.conf.json");
        assert_eq!(conf["app"]["withGlobalTauri"], false);
        let csp = conf["app"]["security"]["csp"].as_object().unwrap();
        assert!(csp.contains_key("default-src"));
        for (directive, sources) in csp {
            let sources = sources.as_str().unwrap();
            for forbidden in ["'unsafe-eval'", "'unsafe-inline'", "*", "https:", "http:"] {
                assert!(
                    !sources.split_whitespace().any(|s| s == forbidden),
                    "{directive} allows {forbidden}"
                );
            }
            for source in sources.split_whitespace() {
                let remote = source.starts_with("http") && source != "http://ipc.localhost";
                assert!(!remote, "{directive} allows the remote origin {source}");
            }
        }
    }

    #[test]
    fn capabilities_allow_only_declared_commands_and_every_command_has_a_window() {
        let capability = read_json("src-tauri/capabilities/main.json");
        let allowed: Vec<&str> = capability["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap())
            .filter(|p| !p.starts_with("core:"))
            .collect();
        for permission in &allowed {
            let command = permission.strip_prefix("allow-").unwrap().replace('-', "_");
            assert!(
                APP_COMMANDS.contains(&command.as_str()),
                "{permission} is not declared"
            );
        }
        for command in APP_COMMANDS {
            let permission = format!("allow-{}", command.replace('_', "-"));
            assert!(
                allowed.contains(&permission.as_str()),
                "{command} is allowed nowhere"
            );
        }
    }

    #[test]
    fn registered_handlers_are_the_declared_commands() {
        let source = include_str!("lib.rs");
        let handler = source
            .split("generate_handler![")
            .nth(1)
            .and_then(|rest| rest.split(']').next())
            .unwrap();
        let mut registered: Vec<&str> = handler
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        let mut declared = APP_COMMANDS.to_vec();
        registered.sort_unstable();
        declared.sort_unstable();
        assert_eq!(registered, declared);
    }
}
