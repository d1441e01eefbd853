import type { IBackend } from '../backend/IBackend';
import { toApiError } from '../backend/errors';
import type { AccountSummary, ApiError, AppInfo, Profile } from '../backend/types';

export type SessionStatus = 'loading' | 'ready';

/**
 * What the window knows about the app and the signed-in user, loaded from the backend.
 * The three calls are independent: one failing leaves the others' data usable, and the
 * first error is kept for the banner.
 */
export class Session {
  #backend: IBackend;
  #generation = 0;
  status = $state<SessionStatus>('loading');
  appInfo = $state.raw<AppInfo | null>(null);
  profile = $state.raw<Profile | null>(null);
  accounts = $state.raw<AccountSummary[]>([]);
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
    const [appInfo, profile, accounts] = await Promise.allSettled([
      this.#backend.appInfo(),
      this.#backend.profile(),
      this.#backend.accounts(),
    ]);
    // A newer load (e.g. "Try again" clicked twice) owns the state now.
    if (generation !== this.#generation) return;

    this.appInfo = appInfo.status === 'fulfilled' ? appInfo.value : null;
    this.profile = profile.status === 'fulfilled' ? profile.value : null;
    this.accounts = accounts.status === 'fulfilled' ? accounts.value : [];
    const failed = [appInfo, profile, accounts].find((r) => r.status === 'rejected');
    this.error = failed ? toApiError(failed.reason) : null;
    this.status = 'ready';
  }
}
