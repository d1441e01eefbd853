import type { AccountSummary, AppInfo, Profile } from './types';

/**
 * The one surface the UI talks to. The production app uses `TauriBackend`; tests pass
 * their own implementation to `App`. Every method rejects with an `ApiError`.
 */
export interface IBackend {
  appInfo(): Promise<AppInfo>;
  /** The signed-in user's profile, or `null` when no account is set up. */
  profile(): Promise<Profile | null>;
  accounts(): Promise<AccountSummary[]>;
}
