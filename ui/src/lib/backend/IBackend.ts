import type { AcceptedNotice, AccountSummary, AppInfo, PrivacyNoticeView, Profile } from './types';

/**
 * The one surface the UI talks to. The production app uses `TauriBackend`; tests pass
 * their own implementation to `App`. Every method rejects with an `ApiError`.
 */
export interface IBackend {
  appInfo(): Promise<AppInfo>;
  /** The signed-in user's profile, or `null` when no account is set up. */
  profile(): Promise<Profile | null>;
  accounts(): Promise<AccountSummary[]>;
  /** The privacy notice in force and whether it must be accepted before anything syncs. */
  privacyNotice(): Promise<PrivacyNoticeView>;
  /** Accepts `version`; rejects with `notice_version_mismatch` if another is in force. */
  acceptPrivacyNotice(version: string): Promise<AcceptedNotice>;
  /** Ends the app cleanly (the user declined the privacy notice). */
  quitApp(): Promise<void>;
}
