import type { IBackend } from '../backend/IBackend';
import { toApiError } from '../backend/errors';
import type { SyncState } from '../backend/mailTypes';
import type { AccountPermissions, AccountSummary, ApiError } from '../backend/types';
import { AddAccountFlow } from './AddAccountFlow.svelte';
import { asksToSignIn } from '../mail/MailWorkspace.svelte';

/** The account dialog open now: one at a time. */
export type AccountDialog =
  | { kind: 'add'; flow: AddAccountFlow }
  | { kind: 'signIn'; account: AccountSummary }
  | { kind: 'remove'; account: AccountSummary };

/** An account the user added, signed in to or removed: what the window loads again. */
export interface AccountChange {
  kind: 'added' | 'signedIn' | 'removed';
  account: string;
}

/**
 * Whether the user must sign in to `account` before it syncs: no password is stored
 * yet, or its server refused the stored one.
 */
export function needsSignIn(account: AccountSummary, state: SyncState | undefined): boolean {
  return account.needs_sign_in || (state !== undefined && asksToSignIn(state));
}

/**
 * The user's side of the accounts' lifecycle: adding one, signing in to one, removing one
 * the user added. Each success is reported through `changed`, which loads the accounts
 * (and what depends on them) again, as a change of the administrator's policy does.
 */
export class AccountSetup {
  #backend: IBackend;
  #changed: (change: AccountChange) => unknown;

  dialog = $state.raw<AccountDialog | null>(null);
  /** The sign-in or removal of the open dialog is on its way. */
  busy = $state(false);
  /** Why the open dialog's sign-in or removal failed. */
  error = $state.raw<ApiError | null>(null);

  constructor(backend: IBackend, changed: (change: AccountChange) => unknown) {
    this.#backend = backend;
    this.#changed = changed;
  }

  /** Opens the dialog that adds an account, if the policy allows adding. */
  add(permissions: AccountPermissions): void {
    if (!permissions.may_add) return;
    const flow = new AddAccountFlow(this.#backend, permissions.allowed_domains, (account) => {
      if (this.dialog?.kind === 'add' && this.dialog.flow === flow) this.close();
      void this.#changed({ kind: 'added', account: account.id });
    });
    this.#open({ kind: 'add', flow });
  }

  signIn(account: AccountSummary): void {
    this.#open({ kind: 'signIn', account });
  }

  /** Asks to confirm the removal of `account`; only accounts the user added can go. */
  remove(account: AccountSummary): void {
    if (account.origin !== 'user') return;
    this.#open({ kind: 'remove', account });
  }

  close(): void {
    // A sign-in still waiting for the browser stops waiting.
    if (this.busy && this.dialog?.kind === 'signIn' && this.dialog.account.auth === 'oauth2') {
      void this.#backend.cancelSignIn().catch(() => {});
    }
    this.dialog = null;
    this.busy = false;
    this.error = null;
  }

  /** Signs in to the account of the open dialog with `password`; the dialog closes when the server accepts it. */
  async submitSignIn(password: string): Promise<void> {
    const dialog = this.dialog;
    if (dialog?.kind !== 'signIn' || this.busy) return;
    await this.#run(dialog, () => this.#backend.signIn(dialog.account.id, password), 'signedIn');
  }

  /** Signs in to the OAuth account of the open dialog in the browser; closes when done. */
  async submitOAuth(): Promise<void> {
    const dialog = this.dialog;
    if (dialog?.kind !== 'signIn' || this.busy) return;
    await this.#run(dialog, () => this.#backend.signInOAuth(dialog.account.id), 'signedIn');
  }

  /** Removes the account of the open dialog, once the user confirmed. */
  async confirmRemove(): Promise<void> {
    const dialog = this.dialog;
    if (dialog?.kind !== 'remove' || this.busy) return;
    await this.#run(dialog, () => this.#backend.removeAccount(dialog.account.id), 'removed');
  }

  async #run(
    dialog: Extract<AccountDialog, { account: AccountSummary }>,
    action: () => Promise<void>,
    kind: AccountChange['kind'],
  ): Promise<void> {
    this.busy = true;
    this.error = null;
    try {
      await action();
    } catch (reason) {
      // A dialog closed meanwhile has nowhere to show it; nothing changed.
      if (this.dialog === dialog) {
        this.error = toApiError(reason);
        this.busy = false;
      }
      return;
    }
    if (this.dialog === dialog) this.close();
    // Done even when the dialog was closed meanwhile: the account did change.
    void this.#changed({ kind, account: dialog.account.id });
  }

  #open(dialog: AccountDialog): void {
    this.dialog = dialog;
    this.busy = false;
    this.error = null;
  }
}
