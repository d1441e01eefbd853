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
    "mail_folders",
    "mail_window",
    "read_message",
    "search_mail",
    "set_flags",
    "move_messages",
    "delete_messages",
    "sync_now",
    "sync_states",
    "allow_remote_content",
    "open_link",
    "save_attachment",
    "open_attachment",
    "notify_new_mail",
];
