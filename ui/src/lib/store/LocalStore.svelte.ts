import type { IBackend } from '../backend/IBackend';
import { toApiError } from '../backend/errors';
import type { ApiError, LocalStoreState } from '../backend/types';

/** The local store's state as far as the window is concerned: what it shows for it. */
export type LocalStoreView =
  /** Not asked yet, or the answer is on its way: nothing is shown. */
  | 'checking'
  /** Opens, nothing to say. */
  | 'ready'
  /** Opens, with a warning that stays until dismissed (the key is in a file). */
  | 'warning'
  /** A database exists but cannot be opened: a dialog offers to rebuild it, or to quit. */
  | 'unreadable'
  /** The OS keyring cannot be reached: a dialog says why and offers to quit. */
  | 'keyring_unavailable'
  /** Anything else (a full disk, no data directory): a banner with the error. */
  | 'error';

/**
 * Heron's local copy of the user's mail, as the window sees it at start: asked once the
 * privacy notice is accepted, then rebuilt if the user chooses to. An unreadable store or
 * an unreachable keyring blocks the window until the user rebuilds or quits.
 */
export class LocalStore {
  #backend: IBackend;
  state = $state.raw<LocalStoreState | null>(null);
  /** The state could not be asked for at all (no context, IPC failed). */
  loadError = $state.raw<ApiError | null>(null);
  /** Why the last rebuild (or quit) failed; cleared when a rebuild starts. */
  actionError = $state.raw<ApiError | null>(null);
  rebuilding = $state(false);
  /** The store was rebuilt in this session: the window says so once, until dismissed. */
  rebuilt = $state(false);
  /** The user hid the warning; it comes back at the next start. */
  warningDismissed = $state(false);

  readonly view: LocalStoreView = $derived.by(() => {
    const state = this.state;
    if (this.loadError) return 'error';
    if (!state) return 'checking';
    switch (state.state) {
      case 'ready':
        return state.warnings.length > 0 && !this.warningDismissed ? 'warning' : 'ready';
      case 'unreadable':
        return 'unreadable';
      case 'keyring_unavailable':
        return 'keyring_unavailable';
      case 'error':
        return 'error';
    }
  });

  /** Whether the window behind must be unreachable. */
  readonly blocking = $derived(this.view === 'unreadable' || this.view === 'keyring_unavailable');

  /** The failure to show in a banner, in the `error` view. */
  readonly error: ApiError | null = $derived.by(() => {
    if (this.loadError) return this.loadError;
    const state = this.state;
    return state?.state === 'error' ? { code: state.code, message: state.message } : null;
  });

  constructor(backend: IBackend) {
    this.#backend = backend;
  }

  async load(): Promise<void> {
    try {
      this.state = await this.#backend.localStoreState();
      this.loadError = null;
    } catch (reason) {
      this.loadError = toApiError(reason);
    }
  }

  /** Rebuilds an unreadable store; one rebuild at a time, and only from the dialog's state. */
  async rebuild(): Promise<void> {
    if (this.rebuilding || this.state?.state !== 'unreadable') return;
    this.rebuilding = true;
    this.actionError = null;
    try {
      this.state = await this.#backend.rebuildLocalStore();
      this.rebuilt = this.state.state === 'ready';
    } catch (reason) {
      const error = toApiError(reason);
      // The store changed under the dialog: it opens now (`conflict`: nothing was
      // deleted) or the keyring went away. Show what is true now instead of an error.
      if (error.code === 'conflict' || error.code === 'keyring_unavailable') {
        await this.load();
      } else {
        this.actionError = error;
      }
    } finally {
      this.rebuilding = false;
    }
  }

  dismissWarning(): void {
    this.warningDismissed = true;
  }

  dismissRebuilt(): void {
    this.rebuilt = false;
  }

  async quit(): Promise<void> {
    try {
      await this.#backend.quitApp();
    } catch (reason) {
      this.actionError = toApiError(reason);
    }
  }
}
