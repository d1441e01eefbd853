import type { IBackend } from '../backend/IBackend';
import { toApiError } from '../backend/errors';
import type { AccountPermissions, AccountSummary, ApiError, AppInfo, Profile } from '../backend/types';

export type SessionStatus = 'loading' | 'ready';

/** What the user may do with accounts while the policy's answer is unknown: nothing. */
export const NO_ACCOUNT_CHANGES: AccountPermissions = { may_add: false, may_remove: false, allowed_domains: [] };

/**
 * What the window knows about the app and the signed-in user, loaded from the backend.
 * The calls are independent: one failing leaves the others' data usable, and the first
 * error is kept for the banner.
 */
export class Session {
  #backend: IBackend;
  #generation = 0;
  status = $state<SessionStatus>('loading');
  appInfo = $state.raw<AppInfo | null>(null);
  profile = $state.raw<Profile | null>(null);
  accounts = $state.raw<AccountSummary[]>([]);
  permissions = $state.raw<AccountPermissions>(NO_ACCOUNT_CHANGES);
  error = $state.raw<ApiError | null>(null);

  constructor(backend: IBackend) {
    this.#backend = backend;
  }

  /**
   * Loads everything. `quietly` (the administrator changed the policy while the window
   * is in use): what is shown stays until the new answers replace it, with no loading
   * state in between.
   */
  async load(quietly = false): Promise<void> {
    const generation = ++this.#generation;
    if (!quietly) this.status = 'loading';
    const [appInfo, profile, accounts, permissions] = await Promise.allSettled([
      this.#backend.appInfo(),
      this.#backend.profile(),
      this.#backend.accounts(),
      this.#backend.accountPermissions(),
    ]);
    // A newer load (e.g. "Try again" clicked twice) owns the state now.
    if (generation !== this.#generation) return;

    this.appInfo = appInfo.status === 'fulfilled' ? appInfo.value : null;
    this.profile = profile.status === 'fulfilled' ? profile.value : null;
    this.accounts = accounts.status === 'fulfilled' ? accounts.value : [];
    this.permissions = permissions.status === 'fulfilled' ? permissions.value : NO_ACCOUNT_CHANGES;
    const failed = [appInfo, profile, accounts, permissions].find((r) => r.status === 'rejected');
    this.error = failed ? toApiError(failed.reason) : null;
    this.status = 'ready';
  }
}
