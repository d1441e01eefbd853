import type { IBackend } from '../backend/IBackend';
import { toApiError } from '../backend/errors';
import type { MailEvents } from '../backend/mailTypes';
import type { PolicyEvent, RemovedAccount } from '../backend/types';

/** How long the quiet "settings updated" notice stays. */
export const POLICY_NOTICE_MS = 8000;

/**
 * What the administrator changed while Heron runs, to tell the user: a new policy
 * applied, and accounts removed with their mail. What depends on them is loaded again
 * through `reload` (with the policy keys that changed).
 *
 * A policy the core refused as invalid changes nothing for the user: the last good one
 * stays in force, and fixing it is the administrator's job, so it is only logged.
 */
export class AdminChanges {
  #backend: IBackend;
  #reload: (keys: readonly string[]) => unknown;
  #warn: (...data: unknown[]) => void;
  #unlisten: (() => void)[] = [];
  #disposed = false;
  #removedAsked = false;
  #noticeTimer: ReturnType<typeof setTimeout> | undefined;

  /** A new policy applied a moment ago (the quiet notice is shown). */
  policyUpdated = $state(false);
  /** Accounts removed and wiped that the user has not acknowledged yet. */
  removed = $state.raw<readonly RemovedAccount[]>([]);

  constructor(
    backend: IBackend,
    reload: (keys: readonly string[]) => unknown,
    warn: (...data: unknown[]) => void = console.warn,
  ) {
    this.#backend = backend;
    this.#reload = reload;
    this.#warn = warn;
  }

  /** Subscribes to the shell's policy events (they need no store). */
  listen(): void {
    this.#subscribe('policy-changed', (event) => this.#onPolicy(event));
    this.#subscribe('accounts-removed', (accounts) => {
      this.#addRemoved(accounts);
      void this.#reload(accounts.map((removed) => `accounts.${removed.account}`));
    });
  }

  /** Asks, once the local store is open, about removals not shown yet (wiped at start). */
  async loadRemoved(): Promise<void> {
    if (this.#removedAsked) return;
    this.#removedAsked = true;
    try {
      this.#addRemoved(await this.#backend.removedAccounts());
    } catch (reason) {
      this.#warn('Heron: cannot tell which accounts were removed:', toApiError(reason).message);
    }
  }

  /** The user read the notice about the removed accounts: it is not shown again. */
  async acknowledge(): Promise<void> {
    this.removed = [];
    try {
      await this.#backend.acknowledgeRemovedAccounts();
    } catch (reason) {
      // The notice comes back at the next start; nothing the user can do about it now.
      this.#warn('Heron: cannot record that the removed accounts were seen:', toApiError(reason).message);
    }
  }

  dismissPolicyUpdate(): void {
    clearTimeout(this.#noticeTimer);
    this.policyUpdated = false;
  }

  dispose(): void {
    this.#disposed = true;
    clearTimeout(this.#noticeTimer);
    this.#unlisten.splice(0).forEach((unlisten) => unlisten());
  }

  #onPolicy(event: PolicyEvent): void {
    if (event.kind === 'rejected') {
      this.#warn('Heron: the new policy was refused; the previous one stays in force:', event.error.message);
      return;
    }
    this.policyUpdated = true;
    clearTimeout(this.#noticeTimer);
    this.#noticeTimer = setTimeout(() => (this.policyUpdated = false), POLICY_NOTICE_MS);
    void this.#reload(event.keys);
  }

  #addRemoved(accounts: readonly RemovedAccount[]): void {
    const known = new Set(this.removed.map((removed) => removed.account));
    const fresh = accounts.filter((removed) => !known.has(removed.account));
    if (fresh.length > 0) this.removed = [...this.removed, ...fresh];
  }

  #subscribe<K extends keyof MailEvents>(name: K, handler: (payload: MailEvents[K]) => void): void {
    this.#backend.onMailEvent(name, handler).then(
      (unlisten) => (this.#disposed ? unlisten() : this.#unlisten.push(unlisten)),
      () => {
        // Without events nothing is reloaded by itself; the next start shows the changes.
      },
    );
  }
}
