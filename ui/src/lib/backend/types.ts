// Transport types: exactly what crosses IPC from the Rust shell (heron-api's
// transport module). Field names stay snake_case so nothing is renamed in transit.

export interface AppInfo {
  version: string;
  config_sources: string[];
  account_count: number;
}

export interface Profile {
  account_id: string | null;
  display_name: string;
  email: string;
  department: string | null;
  title: string | null;
  phone: string | null;
  avatar_data_url: string | null;
}

export interface AccountSummary {
  id: string;
  display_name: string;
  email: string;
  /** `imaps://host:port` or `imap+starttls://host:port`, for support screens. */
  incoming: string;
  /** `smtps://host:port` or `smtp+starttls://host:port`. */
  outgoing: string;
  /** `policy`: provisioned by the administrator (the user can never remove it); `user`: added on this computer. */
  origin: 'policy' | 'user';
  auth: 'password' | 'oauth2';
  /** No credential is stored yet: the account does not sync until the user signs in. */
  needs_sign_in: boolean;
}

/** What the policy lets the user do with accounts on this computer. */
export interface AccountPermissions {
  may_add: boolean;
  /** Only accounts of origin `user`: the administrator's stay whatever this says. */
  may_remove: boolean;
  /** The domains an added account's address may be at; empty: any. */
  allowed_domains: string[];
}

/** Where one mail server is, and how the connection is secured (TLS from the start, or STARTTLS). */
export interface ServerSettings {
  host: string;
  port: number;
  security: 'tls' | 'starttls';
}

/** One set of server settings `discover_account` found. */
export interface DiscoveredSettings {
  /** An autoconfig file, the domain's `.well-known` file, or DNS SRV records (RFC 6186). */
  source: 'autoconfig' | 'well_known' | 'srv';
  /** The URL or DNS name the settings were read from, shown to the user. */
  found_at: string;
  /**
   * Read over plain http or unauthenticated DNS, so anyone on the way could have changed
   * them: the user is asked to check the servers before sending a password to them.
   */
  unverified: boolean;
  /** The provider's display name, when the autoconfig file gives one. */
  provider: string | null;
  /** The suggested login name. */
  login: string;
  imap: ServerSettings;
  smtp: ServerSettings;
}

/** What `discover_account` found for an address; it sends no credentials anywhere. */
export interface Discovery {
  email: string;
  found: DiscoveredSettings[];
  /** Every place looked at, to say so when nothing was found. */
  tried: string[];
}

/** An account to add: saved only once both servers accept the login and password. */
export interface NewAccount {
  display_name: string;
  email: string;
  login: string;
  password: string;
  imap: ServerSettings;
  smtp: ServerSettings;
}

/** An account the administrator removed, whose mail was wiped from this computer. */
export interface RemovedAccount {
  /** The account's id (it is gone from `accounts()`, so this is all that is left of it). */
  account: string;
  /** Unix seconds of the wipe. */
  wiped_at: number;
}

/** What the policy watcher tells the UI (heron-api `PolicyEvent`), tagged by `kind`. */
export type PolicyEvent =
  /** A new policy applies; these dotted keys (and `accounts.<id>`, `privacy_notice`) changed. */
  | { kind: 'changed'; keys: string[] }
  /** The policy files changed but are invalid; the last good policy stays in force. */
  | { kind: 'rejected'; error: ApiError };

/** A privacy notice version the user accepted, and when (seconds since the epoch). */
export interface AcceptedNotice {
  version: string;
  accepted_at_unix: number;
}

/** The privacy notice in force (heron-api's `PrivacyNoticeView`). */
export interface PrivacyNoticeView {
  version: string;
  /** YYYY-MM-DD */
  updated: string;
  /** YYYY-MM-DD */
  effective: string;
  contact: string | null;
  /** The notice; English for the built-in notice, the admin's language for a policy one. */
  text: string;
  /** The built-in notice in Simplified Chinese; `null` for a policy notice. */
  text_zh: string | null;
  source: 'builtin' | 'policy';
  accepted: AcceptedNotice | null;
  must_accept: boolean;
  previous_accepted_version: string | null;
}

/** Where the local store's key is kept. */
export type KeyStorage = 'os_keyring' | 'key_file';

/** Why an existing local store cannot be opened. */
export type UnreadableReason = 'key_missing' | 'wrong_key_or_damaged';

/** What rebuilding an unreadable store would delete, as far as it can be known without its key. */
export interface RebuildLoss {
  /** The database and its write-ahead log. */
  database_bytes: number;
  /** Downloaded messages and attachments (encrypted files). */
  blob_files: number;
  blob_bytes: number;
  /** Unsent mail and drafts not saved to the server may be inside (they cannot be counted). */
  unsent_at_risk: boolean;
}

/** The local store at start (heron-api's `LocalStoreState`), tagged by `state`. */
export type LocalStoreState =
  | {
      state: 'ready';
      key_storage: KeyStorage;
      /** The key file's folder, when `key_storage` is `key_file`. */
      key_dir: string | null;
      /** The core's own words (English) for what must stay visible; empty with the OS keyring. */
      warnings: string[];
    }
  | {
      state: 'unreadable';
      code: 'store_unreadable';
      reason: UnreadableReason;
      /** The core's words, with `cipher_integrity_check` when it could run. */
      message: string;
      loss: RebuildLoss;
    }
  | { state: 'keyring_unavailable'; message: string }
  | { state: 'error'; code: ErrorCode; message: string };

/** Error codes the core sends today. The UI branches on these, never on message text. */
export type KnownErrorCode =
  | 'invalid_config'
  | 'not_found'
  | 'no_data_dir'
  | 'notice_version_mismatch'
  | 'store_unreadable'
  | 'keyring_unavailable'
  | 'conflict'
  | 'already_running'
  | 'disk_full'
  | 'authentication_failed'
  | 'sign_in_required'
  | 'server_unreachable'
  | 'certificate_untrusted'
  | 'tls_failed'
  | 'connection_lost'
  | 'not_allowed'
  | 'invalid_value';

/**
 * Codes produced on this side of the boundary: `ipc_failed` when the shell could not be
 * reached or answered with something that is not an `ApiError`.
 */
export type LocalErrorCode = 'ipc_failed';

export type ErrorCode = KnownErrorCode | LocalErrorCode | (string & {});

/** An error as it crosses the API boundary. `message` is for people, `code` for code. */
export interface ApiError {
  code: ErrorCode;
  message: string;
}
