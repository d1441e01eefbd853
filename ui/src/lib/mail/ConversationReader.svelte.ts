import type { IBackend } from '../backend/IBackend';
import { toApiError } from '../backend/errors';
import type { MessageRow, ReaderView } from '../backend/mailTypes';
import type { ApiError } from '../backend/types';

/**
 * A conversation in the reader: its messages in every folder of the account, oldest
 * first, each expanded or collapsed. A message is read (`read_message`) the first time
 * it is expanded, and its view kept while the conversation is shown.
 *
 * State is replaced, never mutated, like the list's.
 */
export class ConversationReader {
  #backend: IBackend;
  /** The list's row the conversation was opened from. */
  readonly openedFrom: number;

  rows = $state.raw<readonly MessageRow[]>([]);
  expanded = $state.raw<ReadonlySet<number>>(new Set());
  views = $state.raw<ReadonlyMap<number, ReaderView>>(new Map());
  loading = $state.raw<ReadonlySet<number>>(new Set());
  errors = $state.raw<ReadonlyMap<number, ApiError>>(new Map());

  /** The newest message: the one Reply answers and the one shown expanded at first. */
  readonly newest: MessageRow | undefined = $derived(this.rows[this.rows.length - 1]);

  /** `known`: views read already (the message the list row stands for). */
  constructor(backend: IBackend, openedFrom: number, rows: readonly MessageRow[], known: readonly ReaderView[] = []) {
    this.#backend = backend;
    this.openedFrom = openedFrom;
    this.rows = rows;
    this.views = new Map(known.map((view) => [view.summary.id, view]));
  }

  rowById(id: number): MessageRow | undefined {
    return this.rows.find((row) => row.id === id);
  }

  /** Expands message `id`, reading it if it was not read yet. */
  expand(id: number): void {
    if (!this.rowById(id)) return;
    if (!this.expanded.has(id)) this.expanded = new Set([...this.expanded, id]);
    if (!this.views.has(id) && !this.loading.has(id)) void this.load(id);
  }

  collapse(id: number): void {
    if (!this.expanded.has(id)) return;
    const next = new Set(this.expanded);
    next.delete(id);
    this.expanded = next;
  }

  /** Reads message `id` (again, after a failure). */
  async load(id: number): Promise<void> {
    this.loading = new Set([...this.loading, id]);
    this.errors = without(this.errors, id);
    try {
      const view = await this.#backend.readMessage(id);
      const row = this.rowById(id);
      // The rows' flags are newer than the store's answer when a change is in flight.
      this.setView(row ? { ...view, summary: { ...view.summary, flags: row.flags } } : view);
    } catch (reason) {
      this.errors = new Map([...this.errors, [id, toApiError(reason)]]);
    } finally {
      const next = new Set(this.loading);
      next.delete(id);
      this.loading = next;
    }
  }

  /** A newer view of one of its messages (remote content was allowed). */
  setView(view: ReaderView): void {
    if (!this.rowById(view.summary.id)) return;
    this.views = new Map([...this.views, [view.summary.id, view]]);
  }

  /** Replaces rows (flags changed), and the flags of their views with them. */
  updateRows(change: (row: MessageRow) => MessageRow): void {
    this.rows = this.rows.map(change);
    const views = new Map<number, ReaderView>();
    for (const [id, view] of this.views) views.set(id, { ...view, summary: change(view.summary) });
    this.views = views;
  }
}

function without<K, V>(map: ReadonlyMap<K, V>, key: K): ReadonlyMap<K, V> {
  if (!map.has(key)) return map;
  const next = new Map(map);
  next.delete(key);
  return next;
}
