/// Every command the shell registers. build.rs declares them in the app manifest, so a
/// window can call one only when its capability file allows it; a command missing here
/// cannot be allowed anywhere.
const APP_COMMANDS: &[&str] = &[
    "app_info",
    "profile",
    "accounts",
    "privacy_notice",
    "accept_privacy_notice",
    "local_store_state",
    "rebuild_local_store",
    "quit_app",
];
