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
  incoming: string;
  outgoing: string;
}

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

/** Error codes the core sends today. The UI branches on these, never on message text. */
export type KnownErrorCode =
  | 'invalid_config'
  | 'not_found'
  | 'no_data_dir'
  | 'notice_version_mismatch';

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
