import type { IBackend } from '../backend/IBackend';
import { toApiError } from '../backend/errors';
import type { ListOrder, MessageRow } from '../backend/mailTypes';
import type { ApiError } from '../backend/types';

/** Rows asked for at a time. A screen shows a few dozen, so one window fills the first. */
export const WINDOW_SIZE = 100;

/** Fetched windows by index (`offset / WINDOW_SIZE`); a hole is a row not known yet. */
type Windows = ReadonlyMap<number, readonly (MessageRow | undefined)[]>;

/** What a local change replaced: put back as it was if the backend refuses the change. */
export interface ListSnapshot {
  windows: Windows;
  total: number;
  results: readonly MessageRow[] | null;
  selected: ReadonlySet<number>;
  focus: number;
  anchor: number;
}

/**
 * The rows of the list pane: a folder of any size, fetched window by window as it
 * scrolls into view and cached, or the results of a search. Also the selection (by
 * message id) and the focused row (by position).
 *
 * State is replaced, never mutated, so each change is one assignment and a snapshot is a
 * handful of references.
 */
export class MessageList {
  #backend: IBackend;
  /** Bumped whenever positions shift (another folder, rows removed, a refresh): an
   * answer to a request made before lands at positions that no longer mean the same. */
  #generation = 0;
  #inFlight = new Set<number>();
  #viewport = { start: 0, end: 0 };
  #anchor = 0;

  folder = $state<number | null>(null);
  /** How the folder is sorted; every window is asked for in this order. */
  order = $state<ListOrder>('newest_first');
  total = $state(0);
  windows = $state.raw<Windows>(new Map());
  /** Search results shown instead of the folder, or `null`. */
  results = $state.raw<readonly MessageRow[] | null>(null);
  selected = $state.raw<ReadonlySet<number>>(new Set());
  /** The position of the row the keyboard acts on. */
  focus = $state(0);
  /** The folder's first window is on its way. */
  loading = $state(false);
  error = $state.raw<ApiError | null>(null);
  /** Bumped when other rows are shown (a folder, new results): the list scrolls to the top. */
  shownSource = $state(0);

  readonly count: number = $derived(this.results ? this.results.length : this.total);

  /** Where each known message is, so lookups by id do not scan (selections can be large). */
  readonly #windowIndex: ReadonlyMap<number, { row: MessageRow; position: number }> = $derived.by(() => {
    const index = new Map<number, { row: MessageRow; position: number }>();
    for (const [window, rows] of this.windows) {
      rows.forEach((row, k) => row && index.set(row.id, { row, position: window * WINDOW_SIZE + k }));
    }
    return index;
  });
  readonly #resultIndex: ReadonlyMap<number, { row: MessageRow; position: number }> = $derived(
    new Map((this.results ?? []).map((row, position) => [row.id, { row, position }])),
  );
  /** In a list by conversation: each message's conversation row, by message id. */
  readonly #conversationIndex: ReadonlyMap<number, MessageRow> = $derived.by(() => {
    const index = new Map<number, MessageRow>();
    for (const rows of this.windows.values()) {
      for (const row of rows) row?.conversation?.ids.forEach((id) => index.set(id, row));
    }
    return index;
  });

  constructor(backend: IBackend, order: ListOrder = 'newest_first') {
    this.#backend = backend;
    this.order = order;
  }

  /**
   * Sorts the folder in `order`: the cached windows were in the old order, so they are
   * dropped and the folder is shown again from its top. Search results (ranked by the
   * store) stay as they are; the folder comes back sorted when they are left.
   */
  async setOrder(order: ListOrder): Promise<void> {
    if (order === this.order) return;
    this.order = order;
    if (this.folder === null) return;
    if (this.results) {
      this.windows = new Map();
      this.#restart();
      return;
    }
    await this.open(this.folder);
  }

  /** Shows `folder` from its top; asks for the first window only. */
  async open(folder: number): Promise<void> {
    this.folder = folder;
    this.results = null;
    this.windows = new Map();
    this.total = 0;
    this.selected = new Set();
    this.focus = 0;
    this.#anchor = 0;
    this.#viewport = { start: 0, end: 0 };
    this.#restart();
    this.shownSource += 1;
    this.loading = true;
    const generation = this.#generation;
    await this.#fetch(0);
    if (generation === this.#generation) this.loading = false;
  }

  /** Shows nothing (the folder is gone). */
  close(): void {
    this.folder = null;
    this.results = null;
    this.windows = new Map();
    this.total = 0;
    this.selected = new Set();
    this.focus = 0;
    this.#anchor = 0;
    this.loading = false;
    this.error = null;
    this.#restart();
    this.shownSource += 1;
  }

  rowAt(position: number): MessageRow | undefined {
    if (this.results) return this.results[position];
    return this.windows.get(Math.floor(position / WINDOW_SIZE))?.[position % WINDOW_SIZE];
  }

  rowById(id: number): MessageRow | undefined {
    return this.#resultIndex.get(id)?.row ?? this.#windowIndex.get(id)?.row;
  }

  /** The row that stands for message `id`: its own, or its conversation's. */
  rowHolding(id: number): MessageRow | undefined {
    return this.rowById(id) ?? (this.results ? undefined : this.#conversationIndex.get(id));
  }

  positionOf(id: number): number {
    const index = this.results ? this.#resultIndex : this.#windowIndex;
    return index.get(id)?.position ?? -1;
  }

  /** The selected rows that are known (a selection never holds rows not loaded). */
  selectedRows(): MessageRow[] {
    return [...this.selected].map((id) => this.rowById(id)).filter((r): r is MessageRow => !!r);
  }

  /** The list shows rows `start .. end`: fetches the windows among them not cached yet. */
  ensureRange(start: number, end: number): void {
    this.#viewport = { start, end };
    if (this.results || this.folder === null || end <= start) return;
    const last = Math.min(end, this.total) - 1;
    for (let index = Math.floor(start / WINDOW_SIZE); index <= Math.floor(last / WINDOW_SIZE); index += 1) {
      if (!this.#inFlight.has(index) && !this.#complete(index)) void this.#fetch(index);
    }
  }

  /**
   * Fetches what is on screen again (the folder changed), then swaps it in at once so
   * nothing flickers. Other windows are dropped; the selection keeps the ids still shown.
   */
  async refresh(): Promise<void> {
    const folder = this.folder;
    if (this.results || folder === null) return;
    const focusedId = this.rowAt(this.focus)?.id;
    this.#restart();
    const generation = this.#generation;
    const first = Math.floor(this.#viewport.start / WINDOW_SIZE);
    const last = Math.max(first, Math.floor((this.#viewport.end - 1) / WINDOW_SIZE));
    const indexes = Array.from({ length: last - first + 1 }, (_, k) => first + k);
    indexes.forEach((index) => this.#inFlight.add(index));
    try {
      const pages = await Promise.all(
        indexes.map((index) => this.#backend.mailWindow(folder, index * WINDOW_SIZE, WINDOW_SIZE, this.order)),
      );
      if (generation !== this.#generation) return;
      this.windows = new Map(pages.map((page, k) => [indexes[k], page.items]));
      this.total = pages[pages.length - 1].total;
      this.error = null;
      const shown = new Set(pages.flatMap((page) => page.items.map((row) => row.id)));
      this.selected = new Set([...this.selected].filter((id) => shown.has(id)));
      const focusAt = focusedId === undefined ? -1 : this.positionOf(focusedId);
      this.focus = this.#clamp(focusAt === -1 ? this.focus : focusAt);
      this.#anchor = this.focus;
    } catch (reason) {
      if (generation === this.#generation) this.error = toApiError(reason);
    } finally {
      if (generation === this.#generation) indexes.forEach((index) => this.#inFlight.delete(index));
    }
  }

  /** Shows search results; `keepSelection` when they are the same search run again. */
  showResults(rows: readonly MessageRow[], keepSelection = false): void {
    const focusedId = keepSelection ? this.rowAt(this.focus)?.id : undefined;
    const ids = new Set(rows.map((row) => row.id));
    this.results = rows;
    this.selected = keepSelection ? new Set([...this.selected].filter((id) => ids.has(id))) : new Set();
    const focusAt = focusedId === undefined ? 0 : rows.findIndex((row) => row.id === focusedId);
    this.focus = this.#clamp(focusAt === -1 ? this.focus : focusAt);
    this.#anchor = this.focus;
    if (!keepSelection) this.shownSource += 1;
  }

  /** Back from search results to the folder (whose cache may be stale: refresh it). */
  clearResults(): void {
    this.results = null;
    this.selected = new Set();
    this.focus = 0;
    this.#anchor = 0;
    this.shownSource += 1;
  }

  /** Replaces rows (flags changed) wherever they are shown. */
  updateRows(change: (row: MessageRow) => MessageRow): void {
    if (this.results) this.results = this.results.map(change);
    const next = new Map<number, (MessageRow | undefined)[]>();
    for (const [index, rows] of this.windows) {
      const copy: (MessageRow | undefined)[] = [];
      rows.forEach((row, k) => (copy[k] = row && change(row)));
      next.set(index, copy);
    }
    this.windows = next;
  }

  /** Takes rows out at once (moved or deleted); the rows after them move up. */
  removeRows(ids: Iterable<number>): ListSnapshot {
    const snapshot = this.snapshot();
    const gone = new Set(ids);
    const focusedBefore = this.focus;
    let removedBeforeFocus = 0;
    if (this.results) {
      removedBeforeFocus = this.results.slice(0, focusedBefore).filter((r) => gone.has(r.id)).length;
      this.results = this.results.filter((r) => !gone.has(r.id));
    }
    const known: [number, MessageRow][] = [];
    for (const [index, rows] of [...this.windows].sort((a, b) => a[0] - b[0])) {
      rows.forEach((row, k) => row && known.push([index * WINDOW_SIZE + k, row]));
    }
    const removed = known.filter(([, row]) => gone.has(row.id)).map(([position]) => position);
    if (removed.length > 0) {
      const next = new Map<number, (MessageRow | undefined)[]>();
      let shift = 0;
      for (const [position, row] of known) {
        if (gone.has(row.id)) {
          shift += 1;
          continue;
        }
        const moved = position - shift;
        const index = Math.floor(moved / WINDOW_SIZE);
        const rows = next.get(index) ?? [];
        rows[moved % WINDOW_SIZE] = row;
        next.set(index, rows);
      }
      this.windows = next;
      this.total = Math.max(0, this.total - removed.length);
      if (!this.results) removedBeforeFocus = removed.filter((p) => p < focusedBefore).length;
      this.#restart();
    }
    this.selected = new Set([...this.selected].filter((id) => !gone.has(id)));
    this.focus = this.#clamp(focusedBefore - removedBeforeFocus);
    this.#anchor = this.focus;
    return snapshot;
  }

  snapshot(): ListSnapshot {
    return {
      windows: this.windows,
      total: this.total,
      results: this.results,
      selected: this.selected,
      focus: this.focus,
      anchor: this.#anchor,
    };
  }

  restore(snapshot: ListSnapshot): void {
    this.windows = snapshot.windows;
    this.total = snapshot.total;
    this.results = snapshot.results;
    this.selected = snapshot.selected;
    this.focus = snapshot.focus;
    this.#anchor = snapshot.anchor;
    this.#restart();
  }

  /** Nothing selected (a message not in the list was opened). */
  clearSelection(): void {
    if (this.selected.size > 0) this.selected = new Set();
  }

  /** A plain click: this row only. */
  selectOnly(position: number): void {
    const row = this.rowAt(position);
    this.selected = new Set(row ? [row.id] : []);
    this.focus = position;
    this.#anchor = position;
  }

  /** Ctrl/Cmd-click: adds or removes this row. */
  toggle(position: number): void {
    const row = this.rowAt(position);
    if (!row) return;
    const next = new Set(this.selected);
    if (next.has(row.id)) next.delete(row.id);
    else next.add(row.id);
    this.selected = next;
    this.focus = position;
    this.#anchor = position;
  }

  /** Shift-click: every loaded row from the last plain or Ctrl click to this one. */
  selectRange(position: number): void {
    const from = Math.min(this.#anchor, position);
    const to = Math.max(this.#anchor, position);
    const ids = new Set<number>();
    for (let p = from; p <= to; p += 1) {
      const row = this.rowAt(p);
      if (row) ids.add(row.id);
    }
    this.selected = ids;
    this.focus = position;
  }

  /** Moves the focus by `delta` rows, selecting the new row (or extending to it). */
  moveFocus(delta: number, extend: boolean): number {
    const position = this.#clamp(this.focus + delta);
    if (extend) this.selectRange(position);
    else this.selectOnly(position);
    return position;
  }

  #restart(): void {
    this.#generation += 1;
    this.#inFlight.clear();
  }

  #clamp(position: number): number {
    return Math.max(0, Math.min(position, this.count - 1));
  }

  #complete(index: number): boolean {
    const rows = this.windows.get(index);
    if (!rows) return false;
    const expected = Math.min(WINDOW_SIZE, this.total - index * WINDOW_SIZE);
    for (let k = 0; k < expected; k += 1) if (!rows[k]) return false;
    return true;
  }

  async #fetch(index: number): Promise<void> {
    const folder = this.folder;
    if (folder === null) return;
    const generation = this.#generation;
    this.#inFlight.add(index);
    try {
      const page = await this.#backend.mailWindow(folder, index * WINDOW_SIZE, WINDOW_SIZE, this.order);
      if (generation !== this.#generation) return;
      // The folder grew or shrank since the other windows came: they may be shifted, so
      // only this one is trusted; the others are asked for again when shown.
      const next = new Map(page.total === this.total ? this.windows : []);
      next.set(index, page.items);
      this.windows = next;
      this.total = page.total;
      this.error = null;
    } catch (reason) {
      if (generation === this.#generation) this.error = toApiError(reason);
    } finally {
      if (generation === this.#generation) this.#inFlight.delete(index);
    }
  }
}
