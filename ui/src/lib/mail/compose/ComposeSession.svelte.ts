import type { IBackend } from '../../backend/IBackend';
import type { ComposerState, Correspondent, QueuedSend, RespondMode } from '../../backend/composeTypes';
import { toApiError } from '../../backend/errors';
import type { ApiError } from '../../backend/types';
import { Draft, type DraftKind } from './Draft.svelte';

/** How long "Sent to the outbox" stays once nothing can be undone any more. */
export const SENT_NOTICE_MS = 6000;

/** What failed outside an open message: opening one, or taking a sent one back. */
export interface ComposeFailure {
  action: 'open' | 'undo';
  error: ApiError;
}

/** A message handed to the outbox, while it can be taken back. */
export interface SentNotice {
  outbox: number;
  /** When a scheduled message leaves (unix seconds); `null` when it was sent now. */
  at: number | null;
  /** Seconds left to undo a message sent now; 0 when the undo delay is over. */
  remaining: number;
}

/**
 * The mail section's writing: the one message being written (only one at a time), and
 * the last one sent while it can still be taken back. Opening another message saves the
 * open one first, so closing never loses anything; a save that fails keeps it open.
 */
export class ComposeSession {
  #backend: IBackend;
  #generation = 0;
  #countdown: ReturnType<typeof setInterval> | undefined;
  #noticeTimer: ReturnType<typeof setTimeout> | undefined;
  #disposed = false;

  draft = $state.raw<Draft | null>(null);
  /** A message is on its way to the composer. */
  opening = $state(false);
  failure = $state.raw<ComposeFailure | null>(null);
  sent = $state.raw<SentNotice | null>(null);
  readonly active: boolean = $derived(this.draft !== null || this.opening);

  constructor(backend: IBackend) {
    this.#backend = backend;
  }

  /** A new message from `account` (`null`: the first account). */
  newMessage(account: string | null): Promise<void> {
    return this.#open('new', 'open', () => this.#backend.compose(account));
  }

  /** A reply, reply to all or forward of stored message `id`. */
  respond(id: number, mode: RespondMode): Promise<void> {
    return this.#open(mode, 'open', () => this.#backend.respondTo(id, mode));
  }

  /** A message the app was started to write (a `mailto:` link), if any. */
  async openLaunchRequest(): Promise<void> {
    const state = await this.#backend.takeLaunchCompose().catch(() => null);
    if (state !== null) await this.#open('new', 'open', () => Promise.resolve(state));
  }

  /** Goes on writing draft `id`. */
  editDraft(id: number): Promise<void> {
    return this.#open('draft', 'open', () => this.#backend.openDraft(id));
  }

  /** People the user corresponds with whose name or address matches `query`, for suggestions. */
  lookup(query: string, limit: number): Promise<Correspondent[]> {
    return this.#backend.recentAddresses(query, limit);
  }

  /** Closes the composer, keeping the draft; `false` when it could not be saved (it stays open). */
  async close(): Promise<boolean> {
    const draft = this.draft;
    if (!draft) return true;
    if (!(await draft.flush(false))) return false;
    this.#drop(draft);
    return true;
  }

  /** Deletes the open message; it stays open when the core refuses. */
  async discard(): Promise<void> {
    const draft = this.draft;
    if (draft && (await draft.discard())) this.#drop(draft);
  }

  /**
   * Saves the open message and hands it to the outbox, to leave at `at` (unix seconds)
   * or, when `null`, after the undo delay. It stays open when either step fails.
   */
  async send(at: number | null): Promise<boolean> {
    const draft = this.draft;
    if (!draft || draft.sending) return false;
    draft.sending = true;
    draft.error = null;
    try {
      if (!(await draft.flush(true)) || draft.draftId === null) {
        if (draft.status.state === 'failed') draft.error = { action: 'send', error: draft.status.error };
        return false;
      }
      const queued = await this.#backend.sendDraft(draft.draftId, at);
      this.#drop(draft);
      this.#showSent(queued, at, at === null ? draft.undoSeconds : 0);
      return true;
    } catch (reason) {
      draft.error = { action: 'send', error: toApiError(reason) };
      return false;
    } finally {
      draft.sending = false;
    }
  }

  /** Takes the last sent message back out of the outbox and opens it again. */
  async undoSend(): Promise<void> {
    const notice = this.sent;
    if (!notice) return;
    this.dismissSent();
    // Taken back first, whatever is open: the undo delay is running out.
    let state: ComposerState;
    try {
      state = await this.#backend.cancelSend(notice.outbox);
    } catch (reason) {
      this.failure = { action: 'undo', error: toApiError(reason) };
      return;
    }
    // Back in Drafts now, so nothing is lost if the open message cannot make room for it.
    await this.#open('draft', 'undo', () => Promise.resolve(state));
  }

  dismissSent(): void {
    clearInterval(this.#countdown);
    clearTimeout(this.#noticeTimer);
    this.sent = null;
  }

  dismissFailure(): void {
    this.failure = null;
  }

  dispose(): void {
    this.#disposed = true;
    this.dismissSent();
    this.draft?.dispose();
  }

  async #open(kind: DraftKind, action: ComposeFailure['action'], load: () => Promise<ComposerState>): Promise<void> {
    const generation = ++this.#generation;
    this.failure = null;
    // The open message is saved before another one takes its place.
    if (!(await this.close()) || generation !== this.#generation) return;
    this.opening = true;
    try {
      const state = await load();
      if (generation !== this.#generation || this.#disposed) return;
      this.draft = new Draft(this.#backend, state, kind);
    } catch (reason) {
      if (generation === this.#generation) this.failure = { action, error: toApiError(reason) };
    } finally {
      if (generation === this.#generation) this.opening = false;
    }
  }

  #drop(draft: Draft): void {
    draft.dispose();
    if (this.draft === draft) this.draft = null;
  }

  #showSent(queued: QueuedSend, at: number | null, seconds: number): void {
    this.dismissSent();
    this.sent = { outbox: queued.outbox, at, remaining: seconds };
    if (at !== null) return;
    if (seconds <= 0) {
      this.#noticeTimer = setTimeout(() => this.dismissSent(), SENT_NOTICE_MS);
      return;
    }
    this.#countdown = setInterval(() => {
      const notice = this.sent;
      if (!notice) return;
      this.sent = { ...notice, remaining: notice.remaining - 1 };
      if (notice.remaining - 1 > 0) return;
      clearInterval(this.#countdown);
      this.#noticeTimer = setTimeout(() => this.dismissSent(), SENT_NOTICE_MS);
    }, 1000);
  }
}
