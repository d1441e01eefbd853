import type { IBackend } from '../backend/IBackend';
import { toApiError } from '../backend/errors';
import type { ApiError, PrivacyNoticeView } from '../backend/types';

/**
 * The privacy notice in force and the user's consent to it. While `mustAccept`, the
 * window shows only the notice: nothing else can be used and nothing syncs.
 */
export class Consent {
  #backend: IBackend;
  notice = $state.raw<PrivacyNoticeView | null>(null);
  error = $state.raw<ApiError | null>(null);
  busy = $state(false);
  readonly mustAccept = $derived(this.notice?.must_accept ?? false);

  constructor(backend: IBackend) {
    this.#backend = backend;
  }

  async load(): Promise<void> {
    try {
      this.notice = await this.#backend.privacyNotice();
    } catch (reason) {
      // Without a context (a broken configuration) there is no notice; the session's
      // banner already says why.
      this.error = toApiError(reason);
    }
  }

  async accept(): Promise<void> {
    const version = this.notice?.version;
    if (version === undefined || this.busy) return;
    this.busy = true;
    try {
      await this.#backend.acceptPrivacyNotice(version);
      this.error = null;
    } catch (reason) {
      this.error = toApiError(reason);
    } finally {
      // Either way, show what is now in force (a changed notice comes back to be read).
      await this.load();
      this.busy = false;
    }
  }

  async quit(): Promise<void> {
    try {
      await this.#backend.quitApp();
    } catch (reason) {
      this.error = toApiError(reason);
    }
  }
}

/** A `YYYY-MM-DD` date as a local calendar date, or `null` when it is not one. */
export function parseDay(text: string): Date | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return null;
  const date = new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  return Number.isNaN(date.getTime()) ? null : date;
}
