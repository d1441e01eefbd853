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

/** Error codes the core sends today. The UI branches on these, never on message text. */
export type KnownErrorCode = 'invalid_config' | 'not_found';

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
