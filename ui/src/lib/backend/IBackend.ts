import type {
  AcceptedNotice,
  AccountSummary,
  AppInfo,
  LocalStoreState,
  PrivacyNoticeView,
  Profile,
} from './types';

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
  /**
   * Opens the local store (creating it on first use) and says what to show first: nothing,
   * the key-file warning, or a blocking dialog. Store failures are states, not rejections.
   */
  localStoreState(): Promise<LocalStoreState>;
  /**
   * Deletes an unreadable local store and creates an empty one that syncs again; resolves
   * with the new state. Rejects with `conflict` when the store opens (nothing is deleted).
   */
  rebuildLocalStore(): Promise<LocalStoreState>;
  /** Ends the app cleanly (the privacy notice was declined, or the store cannot be used). */
  quitApp(): Promise<void>;
}
