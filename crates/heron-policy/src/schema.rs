//! The policy schema: the Rust types an admin's file turns into, and next to them the
//! description table ([`Shape`], [`Field`], [`settings_table`]) that validation, the JSON
//! Schema, the reference page and the ADMX templates are all generated from.
//!
//! Built-in defaults live only in the `Default` impls of the types; the table's keys and
//! the defaults' keys are checked against each other by a test, so neither can drift.

use std::path::PathBuf;

use heron_model::{AccountId, Profile, Secret};
use serde::{Deserialize, Serialize};

/// Placeholders allowed in account names, addresses and logins, filled from the OS user.
pub const ACCOUNT_PLACEHOLDERS: &[&str] = &["username", "domain"];

/// Placeholders allowed in signature templates: directory fields of the account's owner.
pub const SIGNATURE_PLACEHOLDERS: &[&str] = &[
    "display_name",
    "email",
    "title",
    "department",
    "phone",
    "username",
    "domain",
];

// ---------------------------------------------------------------------------------------
// Accounts (managed only: users never set these through settings)
// ---------------------------------------------------------------------------------------

/// One provisioned account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountConfig {
    /// Stable id chosen by the admin.
    pub id: AccountId,
    /// The user's name as shown to colleagues (may use `${username}`).
    pub display_name: String,
    /// The primary address, e.g. `${username}@corp.example`.
    pub email: String,
    /// Login name for IMAP and SMTP; the email when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login: Option<String>,
    /// Password, for test stacks and headless runs only: real deployments keep it in the
    /// OS keyring, entered by the user on first use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<Secret>,
    /// How the user authenticates.
    #[serde(default)]
    pub auth: AuthMethod,
    /// Incoming mail server.
    pub imap: Endpoint,
    /// Outgoing (submission) server.
    pub smtp: Endpoint,
    /// One base URL serving both CalDAV and CardDAV.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dav_url: Option<String>,
    /// CalDAV base URL, when calendars live apart from `dav_url`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caldav_url: Option<String>,
    /// CardDAV base URL, when address books live apart from `dav_url`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carddav_url: Option<String>,
    /// Company directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ldap: Option<LdapConfig>,
    /// Profile fields the admin provides until the directory supplies them.
    #[serde(default)]
    pub profile: ProfileFields,
    /// Sending identities; the account's own address is always one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identities: Vec<Identity>,
    /// The server files what is sent through it in the Sent folder itself (Gmail,
    /// Exchange): Heron then does not append its own copy, which would be a duplicate.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub server_files_sent: bool,
}

/// How an account authenticates.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "lowercase")]
pub enum AuthMethod {
    /// A password the user types once; it is kept in the OS keyring.
    #[default]
    Password,
    /// OAuth 2.0 authorisation code flow with PKCE in the system browser.
    Oauth2(OAuth2Config),
}

/// An OAuth 2.0 client registration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OAuth2Config {
    /// A label for support screens, e.g. `microsoft` or `keycloak`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// The authorisation endpoint (https).
    pub authorization_url: String,
    /// The token endpoint (https).
    pub token_url: String,
    /// The public client id registered for Heron.
    pub client_id: String,
    /// Scopes to request.
    #[serde(default)]
    pub scopes: Vec<String>,
}

/// A server address and how to secure the connection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Endpoint {
    /// Host name or IP address.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Transport security.
    #[serde(default)]
    pub security: TransportSecurity,
}

/// How a connection is secured. There is deliberately no plaintext choice.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TransportSecurity {
    /// TLS from the first byte (ports 993, 465).
    #[default]
    Tls,
    /// STARTTLS, required: the connection is abandoned if the server does not offer it.
    Starttls,
}

/// The company directory an account may search.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LdapConfig {
    /// `ldaps://host:port` or `ldap://host:port` (then StartTLS is required).
    pub url: String,
    /// Where people live in the tree.
    pub base_dn: String,
}

/// Optional profile fields provisioned by the admin.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileFields {
    /// Organisational unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    /// Job title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Work phone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

/// A sending identity with its signature.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Identity {
    /// The From address (may use `${username}`).
    pub email: String,
    /// The From name; the account's display name when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Signature template; directory fields like `${title}` are filled in when sending.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

impl AccountConfig {
    /// The login name sent to the servers.
    pub fn login(&self) -> &str {
        self.login.as_deref().unwrap_or(&self.email)
    }

    /// The CalDAV base URL: `caldav_url`, else `dav_url`.
    pub fn caldav(&self) -> Option<&str> {
        self.caldav_url.as_deref().or(self.dav_url.as_deref())
    }

    /// The CardDAV base URL: `carddav_url`, else `dav_url`.
    pub fn carddav(&self) -> Option<&str> {
        self.carddav_url.as_deref().or(self.dav_url.as_deref())
    }

    /// The profile the user sees for this account.
    pub fn profile(&self) -> Profile {
        Profile {
            account_id: Some(self.id.clone()),
            display_name: self.display_name.clone(),
            email: self.email.clone(),
            department: self.profile.department.clone(),
            title: self.profile.title.clone(),
            phone: self.profile.phone.clone(),
            avatar_data_url: None,
        }
    }
}

/// The privacy notice shown on first run and again whenever its version changes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrivacyNotice {
    /// The notice itself (exactly one of `text` and `file`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// A UTF-8 text or Markdown file holding the notice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<PathBuf>,
    /// The version users accept; a new version is shown again.
    pub version: String,
    /// When the text last changed (YYYY-MM-DD).
    pub updated: String,
    /// From when it applies (YYYY-MM-DD).
    pub effective: String,
    /// Whom to ask: an address or URL.
    pub contact: String,
}

// ---------------------------------------------------------------------------------------
// Settings (every one can be a default the user may change, or locked by the admin)
// ---------------------------------------------------------------------------------------

/// Every lockable setting, typed. `Settings::default()` is the built-in defaults.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Who may add and remove accounts.
    pub lifecycle: Lifecycle,
    /// Features on or off.
    pub features: Features,
    /// Transport and key security.
    pub security: Security,
    /// How long local data is kept.
    pub retention: Retention,
    /// How mail is downloaded and watched.
    pub sync: SyncSettings,
    /// How Heron updates itself.
    pub updates: UpdateMode,
}

/// Who may add and remove accounts, and which accounts the admin removes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lifecycle {
    /// Whether the user may add accounts.
    pub user_may_add_accounts: Permission,
    /// Whether the user may remove accounts.
    pub user_may_remove_accounts: Permission,
    /// Domains users may add accounts for; empty means any.
    pub allowed_domains: Vec<String>,
    /// Account ids to wipe on next start.
    pub remove_accounts: Vec<AccountId>,
}

/// A yes/no that by default depends on whether any account is managed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Permission {
    /// Yes while no account is managed, no once any is.
    #[default]
    Auto,
    /// Always allowed.
    Yes,
    /// Never allowed.
    No,
}

/// Features on or off.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Features {
    /// Load remote images and other remote content (after the user allows it per message).
    pub remote_content: bool,
    /// Offer attaching a photo from the camera.
    pub camera: bool,
    /// Offer attaching from the photo library.
    pub photo_library: bool,
    /// Offer scheduling a message to send later.
    pub send_later: bool,
    /// Seconds a sent message can still be undone; 0 turns undo off.
    pub undo_send_delay_seconds: u32,
    /// Whether notifications show subject and sender, or only "New mail".
    pub notifications_show_content: bool,
    /// Largest attachment a user may send, in MB.
    pub attachment_size_limit_mb: u32,
    /// What happens when a link in a message is clicked.
    pub external_links: ExternalLinks,
}

impl Default for Features {
    fn default() -> Self {
        Self {
            remote_content: true,
            camera: true,
            photo_library: true,
            send_later: true,
            undo_send_delay_seconds: 5,
            notifications_show_content: true,
            attachment_size_limit_mb: 25,
            external_links: ExternalLinks::Ask,
        }
    }
}

/// What a click on a link in a message does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExternalLinks {
    /// Show the real target and ask before opening the browser.
    #[default]
    Ask,
    /// Open in the browser directly.
    Open,
    /// Never open; the target can be copied.
    Block,
}

/// Transport and key security.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Security {
    /// The oldest TLS version accepted.
    pub minimum_tls_version: TlsVersion,
    /// PEM files with CAs to trust in addition to the platform's roots.
    pub extra_ca_files: Vec<PathBuf>,
    /// Whether users may accept a certificate by its exact fingerprint.
    pub certificate_exceptions_allowed: bool,
    /// Whether the store key may live in a file in the per-user config directory when no
    /// OS keyring can be reached (with a warning while it is used).
    pub key_file_fallback_allowed: bool,
}

/// A TLS protocol version.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum TlsVersion {
    /// TLS 1.2.
    #[default]
    #[serde(rename = "1.2")]
    Tls12,
    /// TLS 1.3.
    #[serde(rename = "1.3")]
    Tls13,
}

/// How long local data is kept.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retention {
    /// Keep message bodies locally for this many days; 0 keeps them forever.
    pub keep_bodies_days: u32,
    /// Wipe local data after this many days without a successful login; 0 never does.
    pub wipe_after_days_without_login: u32,
}

/// How mail is downloaded and watched.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncSettings {
    /// Folders watched for new mail as it arrives (IMAP IDLE, one connection each); the
    /// others are checked at each sync.
    pub push_folders: Vec<String>,
    /// Messages larger than this (MB) stay on the server until opened.
    pub max_body_size_mb: u32,
}

impl Default for SyncSettings {
    fn default() -> Self {
        Self {
            push_folders: vec!["INBOX".to_owned()],
            max_body_size_mb: 50,
        }
    }
}

/// How Heron updates itself.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UpdateMode {
    /// Download and install updates automatically.
    #[default]
    Automatic,
    /// Tell the user; they install.
    Manual,
    /// Never check (updates come through the company's software distribution).
    Off,
}

// ---------------------------------------------------------------------------------------
// The description table
// ---------------------------------------------------------------------------------------

/// What kind of text a string value must be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextKind {
    /// Any text.
    Any,
    /// Any text but the empty string.
    NonEmpty,
    /// An account id: 1 to 64 ASCII letters, digits, `-`, `_`, `.`.
    AccountId,
    /// Text with `${name}` placeholders from the given list.
    Template(&'static [&'static str]),
    /// A URL with one of the given schemes.
    Url(&'static [&'static str]),
    /// A calendar date, `YYYY-MM-DD`.
    Date,
    /// A domain name.
    Domain,
}

/// The shape a JSON value must have.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Shape {
    /// `true` or `false`.
    Bool,
    /// A whole number in a range.
    Integer {
        /// Smallest allowed.
        min: i64,
        /// Largest allowed.
        max: i64,
    },
    /// A string of some kind.
    Text(TextKind),
    /// One of fixed strings.
    OneOf(&'static [&'static str]),
    /// An array of one shape.
    List(Box<Shape>),
    /// An object with known keys.
    Object(Vec<Field>),
    /// An object whose `tag` key selects which other keys it has.
    Tagged {
        /// The selecting key.
        tag: &'static str,
        /// Each tag value and its further keys.
        variants: Vec<(&'static str, Vec<Field>)>,
    },
    /// A setting: the value itself (a default the user may change), or
    /// `{"value": ..., "locked": true}`.
    Lockable(Box<Shape>),
}

/// One key of an object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    /// The key.
    pub name: &'static str,
    /// Its value's shape.
    pub shape: Shape,
    /// Whether the key must be present.
    pub required: bool,
    /// One line for people.
    pub doc: &'static str,
}

fn field(name: &'static str, shape: Shape, doc: &'static str) -> Field {
    Field {
        name,
        shape,
        required: false,
        doc,
    }
}

fn required(name: &'static str, shape: Shape, doc: &'static str) -> Field {
    Field {
        name,
        shape,
        required: true,
        doc,
    }
}

fn text(kind: TextKind) -> Shape {
    Shape::Text(kind)
}

fn list(shape: Shape) -> Shape {
    Shape::List(Box::new(shape))
}

fn endpoint_shape() -> Shape {
    Shape::Object(vec![
        required("host", text(TextKind::NonEmpty), "Host name or IP address."),
        required("port", Shape::Integer { min: 1, max: 65535 }, "TCP port."),
        field(
            "security",
            Shape::OneOf(&["tls", "starttls"]),
            "`tls` (default; TLS from the first byte) or `starttls` (required, never optional).",
        ),
    ])
}

/// The shape of one entry of `accounts`.
pub fn account_shape() -> Shape {
    let names = TextKind::Template(ACCOUNT_PLACEHOLDERS);
    let https = TextKind::Url(&["https"]);
    Shape::Object(vec![
        required(
            "id",
            text(TextKind::AccountId),
            "Stable id: 1 to 64 of A-Z a-z 0-9 - _ .",
        ),
        required(
            "display_name",
            text(names),
            "The user's name; may use `${username}`.",
        ),
        required(
            "email",
            text(names),
            "Primary address, e.g. `${username}@corp.example`.",
        ),
        field(
            "login",
            text(names),
            "Login name for IMAP and SMTP; the email when absent.",
        ),
        field(
            "password",
            text(TextKind::Any),
            "Test stacks and headless runs only; users normally type it once into the OS keyring.",
        ),
        field(
            "auth",
            Shape::Tagged {
                tag: "method",
                variants: vec![
                    ("password", vec![]),
                    (
                        "oauth2",
                        vec![
                            field(
                                "provider",
                                text(TextKind::NonEmpty),
                                "Label, e.g. `microsoft`.",
                            ),
                            required("authorization_url", text(https), "Authorisation endpoint."),
                            required("token_url", text(https), "Token endpoint."),
                            required("client_id", text(TextKind::NonEmpty), "Public client id."),
                            field(
                                "scopes",
                                list(text(TextKind::NonEmpty)),
                                "Scopes to request.",
                            ),
                        ],
                    ),
                ],
            },
            "`{\"method\": \"password\"}` (default) or `{\"method\": \"oauth2\", ...}`.",
        ),
        required("imap", endpoint_shape(), "Incoming mail server."),
        required("smtp", endpoint_shape(), "Outgoing (submission) server."),
        field(
            "dav_url",
            text(https),
            "One base URL for CalDAV and CardDAV.",
        ),
        field(
            "caldav_url",
            text(https),
            "CalDAV base URL (overrides `dav_url`).",
        ),
        field(
            "carddav_url",
            text(https),
            "CardDAV base URL (overrides `dav_url`).",
        ),
        field(
            "ldap",
            Shape::Object(vec![
                required(
                    "url",
                    text(TextKind::Url(&["ldaps", "ldap"])),
                    "`ldaps://host:port`, or `ldap://` with StartTLS required.",
                ),
                required(
                    "base_dn",
                    text(TextKind::NonEmpty),
                    "Where people live in the tree.",
                ),
            ]),
            "Company directory.",
        ),
        field(
            "profile",
            Shape::Object(vec![
                field("department", text(TextKind::Any), "Organisational unit."),
                field("title", text(TextKind::Any), "Job title."),
                field("phone", text(TextKind::Any), "Work phone."),
            ]),
            "Profile fields until the directory supplies them.",
        ),
        field(
            "identities",
            list(Shape::Object(vec![
                required("email", text(names), "From address."),
                field("display_name", text(names), "From name."),
                field(
                    "signature",
                    text(TextKind::Template(SIGNATURE_PLACEHOLDERS)),
                    "Signature template, e.g. `${display_name}\\n${title}, ${department}`.",
                ),
            ])),
            "Sending identities with signature templates.",
        ),
        field(
            "server_files_sent",
            Shape::Bool,
            "The server files sent mail in the Sent folder itself (Gmail, Exchange): Heron adds no copy.",
        ),
    ])
}

/// The shape of `privacy_notice`.
pub fn privacy_notice_shape() -> Shape {
    Shape::Object(vec![
        field(
            "text",
            text(TextKind::NonEmpty),
            "The notice (exactly one of `text` and `file`).",
        ),
        field(
            "file",
            text(TextKind::NonEmpty),
            "A UTF-8 text or Markdown file with the notice.",
        ),
        required(
            "version",
            text(TextKind::NonEmpty),
            "Version users accept; a new one is shown again.",
        ),
        required(
            "updated",
            text(TextKind::Date),
            "When the text last changed (YYYY-MM-DD).",
        ),
        required(
            "effective",
            text(TextKind::Date),
            "From when it applies (YYYY-MM-DD).",
        ),
        required(
            "contact",
            text(TextKind::NonEmpty),
            "Whom to ask: an address or URL.",
        ),
    ])
}

/// One lockable setting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SettingSpec {
    /// Dotted key: `features.remote_content`, or `updates`.
    pub key: &'static str,
    /// The value's shape (without the lock wrapper).
    pub shape: Shape,
    /// One line for people.
    pub doc: &'static str,
    /// Whether the user may change it when the admin has not locked it. Settings that
    /// would weaken security or decide account lifecycle are the admin's alone.
    pub user_may_set: bool,
    /// An example value as JSON text.
    pub example: &'static str,
}

fn setting(
    key: &'static str,
    shape: Shape,
    user_may_set: bool,
    example: &'static str,
    doc: &'static str,
) -> SettingSpec {
    SettingSpec {
        key,
        shape,
        doc,
        user_may_set,
        example,
    }
}

/// Every lockable setting, in the order the reference page lists them. Defaults come
/// from [`Settings::default`].
pub fn settings_table() -> Vec<SettingSpec> {
    let days = || Shape::Integer { min: 0, max: 36500 };
    let yes_no_auto = || Shape::OneOf(&["auto", "yes", "no"]);
    vec![
        setting(
            "lifecycle.user_may_add_accounts",
            yes_no_auto(),
            false,
            "\"no\"",
            "Whether the user may add accounts; `auto`: yes until any account is managed.",
        ),
        setting(
            "lifecycle.user_may_remove_accounts",
            yes_no_auto(),
            false,
            "\"no\"",
            "Whether the user may remove accounts; `auto`: yes until any account is managed.",
        ),
        setting(
            "lifecycle.allowed_domains",
            list(text(TextKind::Domain)),
            false,
            "[\"corp.example\"]",
            "Domains the user may add accounts for; empty: any.",
        ),
        setting(
            "lifecycle.remove_accounts",
            list(text(TextKind::AccountId)),
            false,
            "[\"old-corp\"]",
            "Account ids removed from the effective account list; their local data (mail, drafts, outbox, keyring entries) is wiped on the next start, and the user is told why.",
        ),
        setting(
            "features.remote_content",
            Shape::Bool,
            true,
            "false",
            "Allow loading remote content in messages (always after a per-message choice).",
        ),
        setting(
            "features.camera",
            Shape::Bool,
            true,
            "true",
            "Offer attaching a photo taken with the camera.",
        ),
        setting(
            "features.photo_library",
            Shape::Bool,
            true,
            "true",
            "Offer attaching from the photo library.",
        ),
        setting(
            "features.send_later",
            Shape::Bool,
            true,
            "true",
            "Offer scheduling a message to be sent later.",
        ),
        setting(
            "features.undo_send_delay_seconds",
            Shape::Integer { min: 0, max: 60 },
            true,
            "10",
            "Seconds during which a sent message can be undone; 0 turns undo off.",
        ),
        setting(
            "features.notifications_show_content",
            Shape::Bool,
            true,
            "false",
            "Show sender and subject in notifications, or only \"New mail\".",
        ),
        setting(
            "features.attachment_size_limit_mb",
            Shape::Integer { min: 1, max: 2048 },
            true,
            "20",
            "Largest attachment the user may send, in MB.",
        ),
        setting(
            "features.external_links",
            Shape::OneOf(&["ask", "open", "block"]),
            true,
            "\"ask\"",
            "Clicking a link in a message: `ask` first, `open` directly, or `block`.",
        ),
        setting(
            "security.minimum_tls_version",
            Shape::OneOf(&["1.2", "1.3"]),
            false,
            "\"1.3\"",
            "Oldest TLS version accepted.",
        ),
        setting(
            "security.extra_ca_files",
            list(text(TextKind::NonEmpty)),
            false,
            "[\"/etc/heron/corp-ca.pem\"]",
            "PEM files with CAs trusted in addition to the platform's roots.",
        ),
        setting(
            "security.certificate_exceptions_allowed",
            Shape::Bool,
            false,
            "false",
            "Whether the user may accept an untrusted certificate by its exact fingerprint.",
        ),
        setting(
            "security.key_file_fallback_allowed",
            Shape::Bool,
            false,
            "false",
            "Whether the store key (and the accounts' passwords) may be kept in a file readable only by the user when no OS keyring can be reached: `$XDG_CONFIG_HOME/heron/keys` (else `~/.config/heron/keys`) on Linux, `~/Library/Application Support/Heron/keys` on macOS, `%APPDATA%\\Heron\\keys` on Windows. Anyone who can read the user's files or backups can then read the mail cache, so the app and heronctl show a warning while it is in use. Turning it off later stops new key files; a cache already keyed by a file keeps opening, with the warning, until it is wiped (`heronctl wipe` deletes the key file too).",
        ),
        setting(
            "retention.keep_bodies_days",
            days(),
            true,
            "90",
            "Keep message bodies on the device this many days; 0: forever.",
        ),
        setting(
            "sync.push_folders",
            list(text(TextKind::NonEmpty)),
            true,
            "[\"INBOX\", \"Projects\"]",
            "Folders watched for new mail as it arrives (one IMAP IDLE connection each, at most 5); others are checked at each sync.",
        ),
        setting(
            "sync.max_body_size_mb",
            Shape::Integer { min: 1, max: 2048 },
            true,
            "50",
            "Messages larger than this many MB are downloaded when opened, not during sync.",
        ),
        setting(
            "retention.wipe_after_days_without_login",
            days(),
            false,
            "30",
            "Wipe local data after this many days without a successful login; 0: never.",
        ),
        setting(
            "updates",
            Shape::OneOf(&["automatic", "manual", "off"]),
            true,
            "\"manual\"",
            "`automatic`, `manual` (the user is told), or `off` (company software distribution).",
        ),
    ]
}

/// Looks a setting up by its dotted key.
pub fn setting_spec(key: &str) -> Option<SettingSpec> {
    settings_table().into_iter().find(|s| s.key == key)
}

/// The shape of a whole policy file.
pub fn policy_shape() -> Shape {
    let mut fields = vec![
        field(
            "accounts",
            list(account_shape()),
            "Accounts provisioned for the user.",
        ),
        field(
            "privacy_notice",
            privacy_notice_shape(),
            "The privacy notice users accept.",
        ),
    ];
    for spec in settings_table() {
        let lockable = Shape::Lockable(Box::new(spec.shape.clone()));
        match spec.key.split_once('.') {
            None => fields.push(field(spec.key, lockable, spec.doc)),
            Some((section, name)) => {
                let position = fields.iter().position(|f| f.name == section);
                let index = match position {
                    Some(index) => index,
                    None => {
                        fields.push(field(section, Shape::Object(vec![]), section_doc(section)));
                        fields.len() - 1
                    }
                };
                if let Shape::Object(section_fields) = &mut fields[index].shape {
                    section_fields.push(field(name, lockable, spec.doc));
                }
            }
        }
    }
    Shape::Object(fields)
}

/// One line describing a settings section.
pub fn section_doc(section: &str) -> &'static str {
    match section {
        "lifecycle" => "Who may add and remove accounts.",
        "features" => "Features on or off.",
        "security" => "Transport and key security.",
        "retention" => "How long local data is kept.",
        "sync" => "How mail is downloaded and watched.",
        _ => "",
    }
}

/// Where `${name}` placeholders occur in `text`: (byte offset, name). A `${` without a
/// closing brace is reported with the rest of the text as its name.
pub fn placeholders(text: &str) -> Vec<(usize, &str)> {
    let mut found = Vec::new();
    let mut rest = text;
    let mut offset = 0;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let (name, used) = match after.find('}') {
            Some(end) => (&after[..end], start + 2 + end + 1),
            None => (after, rest.len()),
        };
        found.push((offset + start, name));
        offset += used;
        rest = &rest[used..];
    }
    found
}

/// Fills `${name}` placeholders from `lookup`; the name of the first unknown one is the
/// error.
pub fn fill_placeholders<'a>(
    template: &str,
    lookup: impl Fn(&str) -> Option<&'a str>,
) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            return Err(after.to_owned());
        };
        let name = &after[..end];
        out.push_str(lookup(name).ok_or_else(|| name.to_owned())?);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Fills a signature template from the sender's directory profile; fields the directory
/// does not know become empty, and lines left empty by that are dropped.
pub fn render_signature(template: &str, profile: &Profile) -> String {
    let lookup = |name: &str| -> Option<String> {
        Some(match name {
            "display_name" => profile.display_name.clone(),
            "email" => profile.email.clone(),
            "title" => profile.title.clone().unwrap_or_default(),
            "department" => profile.department.clone().unwrap_or_default(),
            "phone" => profile.phone.clone().unwrap_or_default(),
            _ => String::new(),
        })
    };
    template
        .lines()
        .filter_map(|line| {
            let mut out = String::new();
            let mut rest = line;
            let mut had_placeholder = false;
            let mut all_empty = true;
            while let Some(start) = rest.find("${") {
                out.push_str(&rest[..start]);
                let after = &rest[start + 2..];
                let Some(end) = after.find('}') else { break };
                let value = lookup(&after[..end]).unwrap_or_default();
                had_placeholder = true;
                all_empty &= value.is_empty();
                out.push_str(&value);
                rest = &after[end + 1..];
            }
            out.push_str(rest);
            (!(had_placeholder && all_empty)).then_some(out)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf_keys(value: &serde_json::Value, prefix: &str, out: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(map) => {
                for (k, v) in map {
                    let key = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    leaf_keys(v, &key, out);
                }
            }
            _ => out.push(prefix.to_owned()),
        }
    }

    #[test]
    fn the_table_and_the_typed_defaults_name_the_same_settings() {
        let defaults = serde_json::to_value(Settings::default()).unwrap();
        let mut from_types = Vec::new();
        leaf_keys(&defaults, "", &mut from_types);
        let mut from_table: Vec<String> =
            settings_table().iter().map(|s| s.key.to_owned()).collect();
        from_types.sort();
        from_table.sort();
        assert_eq!(from_types, from_table);
    }

    #[test]
    fn every_enum_choice_in_the_table_deserialises_into_the_types() {
        for spec in settings_table() {
            if let Shape::OneOf(choices) = spec.shape {
                for choice in choices {
                    let mut value = serde_json::to_value(Settings::default()).unwrap();
                    let pointer = format!("/{}", spec.key.replace('.', "/"));
                    *value.pointer_mut(&pointer).unwrap() = serde_json::json!(choice);
                    serde_json::from_value::<Settings>(value)
                        .unwrap_or_else(|e| panic!("{} = {choice}: {e}", spec.key));
                }
            }
        }
    }

    #[test]
    fn placeholders_are_found_and_filled() {
        assert_eq!(
            placeholders("${username}@${domain"),
            vec![(0, "username"), (12, "domain")]
        );
        let filled = fill_placeholders("${username}@corp.example", |n| {
            (n == "username").then_some("xiaoming")
        });
        assert_eq!(filled.unwrap(), "xiaoming@corp.example");
        assert_eq!(
            fill_placeholders("${domain}", |_| None).unwrap_err(),
            "domain"
        );
    }

    #[test]
    fn signatures_drop_lines_whose_directory_fields_are_unknown() {
        let profile = Profile {
            display_name: "王小明".into(),
            email: "xm@corp.example".into(),
            title: Some("Engineer".into()),
            ..Profile::default()
        };
        let signature = render_signature("${display_name}\n${title}\n${phone}\n--", &profile);
        assert_eq!(signature, "王小明\nEngineer\n--");
    }
}
