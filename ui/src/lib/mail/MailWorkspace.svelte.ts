import type { IBackend } from '../backend/IBackend';
import { toApiError } from '../backend/errors';
import type {
  AttachmentView,
  Folder,
  LinkRequest,
  ListOrder,
  MailEvents,
  MessageRow,
  NewMail,
  ReaderView,
  SyncState,
} from '../backend/mailTypes';
import type { RespondMode } from '../backend/composeTypes';
import type { ApiError } from '../backend/types';
import { ComposeSession } from './compose/ComposeSession.svelte';
import { folderKind, specialFolder, type FolderKind } from './folders';
import { MessageList } from './MessageList.svelte';
import type { NewMailNotice } from './newMailNotice';
import { freeTextWords } from './searchQuery';

/** What the workspace asks of the window around it. */
export interface MailWorkspaceHost {
  /** Brings the mail section to the front (a notification was clicked). */
  reveal: () => void;
  /** The words of a new-mail notification, or `null` to show none. */
  describeNewMail: (event: NewMail) => NewMailNotice | null;
  /** Whether the user is looking at mail now (then no notification is needed). */
  watching: () => boolean;
}

const NO_HOST: MailWorkspaceHost = { reveal: () => {}, describeNewMail: () => null, watching: () => true };

export const SEEN = '\\Seen';
export const FLAGGED = '\\Flagged';

/** How long typing must pause before the search runs. */
export const SEARCH_DEBOUNCE_MS = 150;
/** Search results shown at most (the store ranks them; more is noise). */
export const SEARCH_LIMIT = 200;
/** Server results shown at most: each one is a message the server must be asked about. */
export const SERVER_SEARCH_LIMIT = 100;

/** What the user tried to do, to say what failed. `server`: the shell reported a queued
 * action the server refused (the `action-failed` event). */
export type MailAction =
  | 'read'
  | 'unread'
  | 'flag'
  | 'unflag'
  | 'archive'
  | 'junk'
  | 'delete'
  | 'move'
  | 'open'
  | 'remote'
  | 'save'
  | 'openAttachment'
  | 'openLink'
  | 'sync'
  | 'server'
  | 'openFile';

export interface ActionFailure {
  action: MailAction;
  error: ApiError;
}

/**
 * The servers asked about a search's free-text words, for the messages whose bodies are
 * not downloaded (the local index cannot see inside them).
 */
export type ServerSearchState =
  | { state: 'searching' }
  /** `errors`: accounts that could not be asked (the others answered). */
  | { state: 'done'; rows: readonly MessageRow[]; errors: readonly ApiError[] };

/**
 * The mail section's state for the window's lifetime: folders, the list, the open
 * message, search, and what the sync workers are doing. Actions change what is shown at
 * once, then ask the backend; a refusal puts things back and is reported in `failure`.
 * The shell's events keep it current (nothing polls).
 */
export class MailWorkspace {
  #backend: IBackend;
  #unlisten: (() => void)[] = [];
  #started = false;
  #disposed = false;
  #accountOrder: readonly string[] = [];
  #searchTimer: ReturnType<typeof setTimeout> | undefined;
  #searchGeneration = 0;
  /** Bumped when the query changes: a server answer for the query before is dropped. */
  #serverGeneration = 0;
  /** The query the servers were asked about (a re-run of the same search does not ask again). */
  #serverQuery: string | null = null;
  #readGeneration = 0;
  #folderGeneration = 0;

  readonly list: MessageList;
  /** The message being written, and the last one sent while it can be taken back. */
  readonly compose: ComposeSession;
  #host: MailWorkspaceHost;

  folders = $state.raw<readonly Folder[]>([]);
  /** The first answer for the folders came (so "no folders" means none yet, not unknown). */
  foldersLoaded = $state(false);
  foldersError = $state.raw<ApiError | null>(null);
  currentFolder = $state<number | null>(null);

  query = $state('');
  /** Typing paused or a search is running: the results may be about to change. */
  searchPending = $state(false);
  searchError = $state.raw<ApiError | null>(null);
  /** The servers' part of the search; `null` when they are not asked (no free text). */
  serverSearch = $state.raw<ServerSearchState | null>(null);

  /** The message in the reader (its view may still be on its way). */
  openId = $state<number | null>(null);
  view = $state.raw<ReaderView | null>(null);
  viewLoading = $state(false);
  viewError = $state.raw<ApiError | null>(null);

  syncStates = $state.raw<ReadonlyMap<string, SyncState>>(new Map());

  failure = $state.raw<ActionFailure | null>(null);
  /** A link whose target is not what it shows: the user confirms before it opens. */
  linkToConfirm = $state.raw<LinkRequest | null>(null);
  /** A link of a kind Heron does not open (not http, https or mailto). */
  blockedLink = $state.raw<LinkRequest | null>(null);
  /** Where the last attachment was saved, to say so. */
  savedTo = $state<string | null>(null);

  readonly folderById: ReadonlyMap<number, Folder> = $derived(
    new Map(this.folders.map((f) => [f.id, f])),
  );
  /** The first account syncing with a known amount of work, for the progress bar. */
  readonly progress: SyncState | null = $derived(
    [...this.syncStates.values()].find((s) => s.state === 'syncing' && s.total > 0) ?? null,
  );
  /** Accounts that cannot sync now, for the banner. */
  readonly troubled: SyncState[] = $derived(
    [...this.syncStates.values()].filter((s) => s.state === 'offline' || s.state === 'error'),
  );
  readonly searching: boolean = $derived(this.query.trim() !== '');
  /** The rows the servers found that the local results do not show already. */
  readonly serverRows: readonly MessageRow[] = $derived.by(() => {
    const found = this.serverSearch;
    if (found?.state !== 'done') return [];
    const local = new Set((this.list.results ?? []).map((row) => row.id));
    return found.rows.filter((row) => !local.has(row.id));
  });
  /** The reader shows a message file Heron was started with: it is in no folder. */
  readonly openedFromFile: boolean = $derived(this.openId !== null && this.openId < 0);

  constructor(backend: IBackend, host: MailWorkspaceHost = NO_HOST, order: ListOrder = 'newest_first') {
    this.#backend = backend;
    this.#host = host;
    this.list = new MessageList(backend, order);
    this.compose = new ComposeSession(backend);
  }

  /** Subscribes to the shell's events, loads folders and sync states, opens the first Inbox. */
  async start(accountOrder: readonly string[]): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    this.#accountOrder = accountOrder;
    this.#subscribe('mail-changed', (event) => this.#onMailChanged(event.folders));
    this.#subscribe('sync-state', (state) => this.#onSyncState(state));
    this.#subscribe('new-mail', (event) => this.#onNewMail(event));
    this.#subscribe('open-message', (event) => void this.reveal(event.id));
    this.#subscribe('mail-link', (link) => this.#onLink(link));
    this.#subscribe('action-failed', (event) => this.#onActionFailed(event.message, event.folders));
    await Promise.all([this.loadFolders(), this.#loadSyncStates()]);
    await this.compose.openLaunchRequest();
    await this.#openLaunchMessage();
  }

  /**
   * The administrator added or removed accounts: the folders are loaded again, and when
   * the folder shown went with its account, the first Inbox opens instead.
   */
  async accountsChanged(accountOrder: readonly string[]): Promise<void> {
    if (!this.#started || this.#disposed) return;
    this.#accountOrder = accountOrder;
    const kept = [...this.syncStates].filter(([account]) => accountOrder.includes(account));
    if (kept.length !== this.syncStates.size) this.syncStates = new Map(kept);
    await this.loadFolders();
  }

  dispose(): void {
    this.#disposed = true;
    clearTimeout(this.#searchTimer);
    this.#unlisten.splice(0).forEach((unlisten) => unlisten());
    this.compose.dispose();
  }

  async loadFolders(): Promise<void> {
    const generation = ++this.#folderGeneration;
    try {
      const folders = await this.#backend.mailFolders();
      if (generation !== this.#folderGeneration) return;
      this.folders = folders;
      this.foldersError = null;
      if (this.currentFolder !== null && !folders.some((f) => f.id === this.currentFolder)) {
        this.#forgetFolder();
      }
    } catch (reason) {
      if (generation === this.#folderGeneration) this.foldersError = toApiError(reason);
    } finally {
      this.foldersLoaded = true;
    }
    // The first Inbox opens by itself, also when the folders only arrive with the first sync.
    if (this.currentFolder === null && this.#started && !this.#disposed) {
      const inbox =
        this.#accountOrder.map((account) => specialFolder(this.folders, account, 'inbox')).find(Boolean) ??
        this.folders.find((f) => folderKind(f) === 'inbox');
      // A message file opened meanwhile stays in the reader.
      if (inbox) await this.#showFolder(inbox.id, this.openedFromFile);
    }
  }

  selectFolder(id: number): Promise<void> {
    return this.#showFolder(id, false);
  }

  /**
   * Sorts the folder shown. The open message stays in the reader, and selected when it
   * is among the rows shown first.
   */
  async setOrder(order: ListOrder): Promise<void> {
    await this.list.setOrder(order);
    const open = this.openId;
    if (open === null || this.list.results) return;
    const position = this.list.positionOf(open);
    if (position !== -1) this.list.selectOnly(position);
  }

  // --- Reading ---------------------------------------------------------------------

  /** Shows message `id` in the reader and marks it read if it was not. */
  async openMessage(id: number): Promise<void> {
    const generation = ++this.#readGeneration;
    this.openId = id;
    this.viewLoading = true;
    this.viewError = null;
    const row = this.#shownRow(id);
    if (row && !row.flags.includes(SEEN)) void this.setRead([id], true);
    try {
      const view = await this.#backend.readMessage(id);
      if (generation !== this.#readGeneration) return;
      // The list's flags are newer than the store's answer when a change is in flight.
      const current = this.#shownRow(id);
      this.view = current ? { ...view, summary: { ...view.summary, flags: current.flags } } : view;
    } catch (reason) {
      if (generation !== this.#readGeneration) return;
      this.view = null;
      this.viewError = toApiError(reason);
    } finally {
      if (generation === this.#readGeneration) this.viewLoading = false;
    }
  }

  /**
   * Shows message `id` wherever it is (the user clicked its notification): opens its
   * folder if another one is shown, selects it, and reads it.
   */
  async reveal(id: number): Promise<void> {
    this.#host.reveal();
    let folder: number;
    try {
      folder = (await this.#backend.readMessage(id)).summary.folder;
    } catch (reason) {
      this.failure = { action: 'open', error: toApiError(reason) };
      return;
    }
    if (this.list.results || folder !== this.currentFolder) await this.selectFolder(folder);
    const position = this.list.positionOf(id);
    if (position !== -1) this.list.selectOnly(position);
    await this.openMessage(id);
  }

  closeReader(): void {
    this.#closeReader();
  }

  /** The open message's flags as shown now (the list's, which change optimistically). */
  openRow(): MessageRow | null {
    if (this.openId === null) return null;
    return this.#knownRow(this.openId) ?? null;
  }

  async allowRemote(scope: 'message' | 'sender'): Promise<void> {
    const id = this.openId;
    if (id === null) return;
    try {
      const view = await this.#backend.allowRemoteContent(id, scope);
      if (this.openId === id) this.view = view;
    } catch (reason) {
      this.failure = { action: 'remote', error: toApiError(reason) };
    }
  }

  async saveAttachment(attachment: AttachmentView): Promise<void> {
    const id = this.openId;
    if (id === null) return;
    this.savedTo = null;
    try {
      this.savedTo = await this.#backend.saveAttachment(id, attachment.part_path);
    } catch (reason) {
      this.failure = { action: 'save', error: toApiError(reason) };
    }
  }

  /** Opens an attachment; `confirmed` once the user accepted the warning about it. */
  async openAttachment(attachment: AttachmentView, confirmed: boolean): Promise<void> {
    const id = this.openId;
    if (id === null) return;
    try {
      await this.#backend.openAttachment(id, attachment.part_path, confirmed);
    } catch (reason) {
      this.failure = { action: 'openAttachment', error: toApiError(reason) };
    }
  }

  async confirmLink(): Promise<void> {
    const link = this.linkToConfirm;
    this.linkToConfirm = null;
    if (!link) return;
    try {
      await this.#backend.openLink(link.id);
    } catch (reason) {
      this.failure = { action: 'openLink', error: toApiError(reason) };
    }
  }

  cancelLink(): void {
    this.linkToConfirm = null;
  }

  dismissBlockedLink(): void {
    this.blockedLink = null;
  }

  dismissFailure(): void {
    this.failure = null;
  }

  dismissSaved(): void {
    this.savedTo = null;
  }

  // --- Actions on messages ---------------------------------------------------------

  /**
   * What the toolbar and the shortcuts act on: the selection, else the open message
   * (unless it was opened from a file: it is in no folder, so nothing can be done to it).
   */
  targets(): number[] {
    if (this.list.selected.size > 0) return [...this.list.selected];
    return this.openId === null || this.openedFromFile ? [] : [this.openId];
  }

  setRead(ids: number[], read: boolean): Promise<void> {
    return read
      ? this.#changeFlags('read', ids, [SEEN], [])
      : this.#changeFlags('unread', ids, [], [SEEN]);
  }

  setFlagged(ids: number[], flagged: boolean): Promise<void> {
    return flagged
      ? this.#changeFlags('flag', ids, [FLAGGED], [])
      : this.#changeFlags('unflag', ids, [], [FLAGGED]);
  }

  /** `u`: marks all read, unless all are read already, then all unread. */
  toggleRead(ids: number[]): Promise<void> {
    return this.setRead(ids, !this.#all(ids, SEEN));
  }

  /** `s`: flags all, unless all are flagged already, then unflags them. */
  toggleFlagged(ids: number[]): Promise<void> {
    return this.setFlagged(ids, !this.#all(ids, FLAGGED));
  }

  /** The account all of `ids` belong to, or `null` when they span accounts (or are unknown). */
  accountOf(ids: number[]): string | null {
    const accounts = new Set(
      ids.map((id) => {
        const row = this.#knownRow(id);
        return row ? this.folderById.get(row.folder)?.account : undefined;
      }),
    );
    const [only] = accounts;
    return accounts.size === 1 && only !== undefined ? only : null;
  }

  /** The folder `archive` or `junk` would move `ids` to, or `null` when there is none. */
  targetFolder(ids: number[], kind: FolderKind): Folder | null {
    const account = this.accountOf(ids);
    return account === null ? null : specialFolder(this.folders, account, kind);
  }

  archive(ids: number[]): Promise<void> {
    return this.#moveToSpecial('archive', ids, 'archive');
  }

  junk(ids: number[]): Promise<void> {
    return this.#moveToSpecial('junk', ids, 'junk');
  }

  moveTo(ids: number[], folder: number): Promise<void> {
    return this.#remove('move', ids, folder, () => this.#backend.moveMessages(ids, folder));
  }

  delete(ids: number[]): Promise<void> {
    return this.#remove('delete', ids, null, () => this.#backend.deleteMessages(ids));
  }

  // --- Writing ---------------------------------------------------------------------

  /** Whether `folder` is a Drafts folder (its messages are edited, not answered). */
  isDraftFolder(folder: number): boolean {
    const found = this.folderById.get(folder);
    return found !== undefined && folderKind(found) === 'drafts';
  }

  /** The message Reply, Reply all and Forward answer: the one the reader shows, unless a draft. */
  respondTarget(): number | null {
    const view = this.view;
    if (this.openId === null || view?.summary.id !== this.openId || this.list.selected.size > 1) return null;
    if (this.openedFromFile) return null;
    return this.isDraftFolder(view.summary.folder) ? null : this.openId;
  }

  /** A new message, from the account of the folder shown (else the first account). */
  newMessage(): Promise<void> {
    const folder = this.currentFolder === null ? undefined : this.folderById.get(this.currentFolder);
    return this.compose.newMessage(folder?.account ?? null);
  }

  respond(mode: RespondMode): Promise<void> {
    const id = this.respondTarget();
    return id === null ? Promise.resolve() : this.compose.respond(id, mode);
  }

  // --- Search ----------------------------------------------------------------------

  /** The search box changed: searches once typing pauses; empty text shows the folder again. */
  setQuery(text: string): void {
    this.query = text;
    this.#cancelSearch();
    if (!text.trim()) {
      this.#leaveResults();
      return;
    }
    this.searchPending = true;
    this.#searchTimer = setTimeout(() => void this.#runSearch(text), SEARCH_DEBOUNCE_MS);
  }

  clearSearch(): void {
    this.query = '';
    this.#cancelSearch();
    this.#leaveResults();
  }

  // --- Sync ------------------------------------------------------------------------

  async syncNow(): Promise<void> {
    try {
      await this.#backend.syncNow();
    } catch (reason) {
      this.failure = { action: 'sync', error: toApiError(reason) };
    }
  }

  // --- Internals -------------------------------------------------------------------

  /** A row the list or the server results show now. */
  #shownRow(id: number): MessageRow | undefined {
    const found = this.serverSearch;
    return this.list.rowById(id) ?? (found?.state === 'done' ? found.rows.find((row) => row.id === id) : undefined);
  }

  /** A row shown now, or the open message's (also when no list shows it). */
  #knownRow(id: number): MessageRow | undefined {
    return this.#shownRow(id) ?? (this.view?.summary.id === id ? this.view.summary : undefined);
  }

  async #showFolder(id: number, keepReader: boolean): Promise<void> {
    this.#cancelSearch();
    this.query = '';
    this.serverSearch = null;
    this.currentFolder = id;
    if (!keepReader) this.#closeReader();
    await this.list.open(id);
  }

  /** The folder shown is gone (its account was removed): nothing is shown until another opens. */
  #forgetFolder(): void {
    this.#cancelSearch();
    this.query = '';
    this.serverSearch = null;
    this.currentFolder = null;
    if (!this.openedFromFile) this.#closeReader();
    this.list.close();
  }

  /** Shows the message file Heron was started with, if it was. */
  async #openLaunchMessage(): Promise<void> {
    let view: ReaderView | null;
    try {
      view = await this.#backend.takeLaunchMessage();
    } catch (reason) {
      this.failure = { action: 'openFile', error: toApiError(reason) };
      return;
    }
    if (!view || this.#disposed) return;
    this.#readGeneration += 1;
    this.list.clearSelection();
    this.openId = view.summary.id;
    this.view = view;
    this.viewError = null;
    this.viewLoading = false;
  }

  #subscribe<K extends keyof MailEvents>(name: K, handler: (payload: MailEvents[K]) => void): void {
    this.#backend.onMailEvent(name, handler).then(
      (unlisten) => (this.#disposed ? unlisten() : this.#unlisten.push(unlisten)),
      () => {
        // Without events the view still works; it only stops updating by itself.
      },
    );
  }

  #onMailChanged(folders: number[]): void {
    void this.loadFolders();
    if (this.list.results) {
      if (this.query.trim()) void this.#runSearch(this.query, true);
    } else if (this.currentFolder !== null && folders.includes(this.currentFolder)) {
      void this.list.refresh();
    }
  }

  #onNewMail(event: NewMail): void {
    void this.loadFolders();
    // `mail-changed` normally comes too; refreshing here keeps new mail from waiting on it.
    if (!this.list.results && event.folder_id === this.currentFolder) void this.list.refresh();
    const notice = this.#host.watching() ? null : this.#host.describeNewMail(event);
    if (notice) {
      this.#backend.notifyNewMail(notice.title, notice.body, notice.message).catch(() => {
        // A notification that cannot be shown is no reason to bother the user.
      });
    }
  }

  #onSyncState(state: SyncState): void {
    const next = new Map(this.syncStates);
    next.set(state.account, state);
    this.syncStates = next;
  }

  #onLink(link: LinkRequest): void {
    if (!link.allowed) this.blockedLink = link;
    else if (link.warnings.length > 0) this.linkToConfirm = link;
    // Allowed without warnings: the shell opened it already.
  }

  #onActionFailed(message: string, folders: number[]): void {
    this.failure = { action: 'server', error: { code: 'action_failed', message } };
    this.#onMailChanged(folders);
  }

  async #loadSyncStates(): Promise<void> {
    try {
      const states = await this.#backend.syncStates();
      const next = new Map(this.syncStates);
      // An event that came meanwhile is newer than this answer.
      for (const state of states) if (!next.has(state.account)) next.set(state.account, state);
      this.syncStates = next;
    } catch {
      // Sync progress is informative only; the states arrive with the next events.
    }
  }

  #closeReader(): void {
    this.#readGeneration += 1;
    this.openId = null;
    this.view = null;
    this.viewError = null;
    this.viewLoading = false;
  }

  #all(ids: number[], flag: string): boolean {
    const rows = ids.map((id) => this.#knownRow(id));
    return rows.length > 0 && rows.every((row) => row?.flags.includes(flag));
  }

  async #changeFlags(action: MailAction, ids: number[], add: string[], remove: string[]): Promise<void> {
    if (ids.length === 0) return;
    const before = new Map<number, string[]>();
    for (const id of ids) {
      const row = this.#knownRow(id);
      if (row) before.set(id, row.flags);
    }
    this.#applyFlags(before, (flags) => [...flags.filter((f) => !remove.includes(f) && !add.includes(f)), ...add]);
    try {
      await this.#backend.setFlags(ids, add, remove);
    } catch (reason) {
      const now = new Map<number, string[]>();
      for (const id of before.keys()) {
        const row = this.#knownRow(id);
        if (row) now.set(id, row.flags);
      }
      this.#applyFlags(now, (_, id) => before.get(id) ?? []);
      this.failure = { action, error: toApiError(reason) };
    }
  }

  /** Sets the flags of the rows in `current` (id to flags now) and adjusts unread counts. */
  #applyFlags(current: Map<number, string[]>, next: (flags: string[], id: number) => string[]): void {
    const changed = new Map<number, string[]>();
    const unreadDelta = new Map<number, number>();
    for (const [id, flags] of current) {
      const flagsNext = next(flags, id);
      changed.set(id, flagsNext);
      const row = this.#knownRow(id);
      if (!row) continue;
      const delta = Number(flags.includes(SEEN)) - Number(flagsNext.includes(SEEN));
      if (delta !== 0) unreadDelta.set(row.folder, (unreadDelta.get(row.folder) ?? 0) + delta);
    }
    const change = (row: MessageRow) => (changed.has(row.id) ? { ...row, flags: changed.get(row.id)! } : row);
    this.list.updateRows(change);
    const found = this.serverSearch;
    if (found?.state === 'done') this.serverSearch = { ...found, rows: found.rows.map(change) };
    const view = this.view;
    if (view && changed.has(view.summary.id)) {
      this.view = { ...view, summary: { ...view.summary, flags: changed.get(view.summary.id)! } };
    }
    if (unreadDelta.size > 0) {
      this.folders = this.folders.map((f) =>
        unreadDelta.has(f.id) ? { ...f, unread: Math.max(0, f.unread + unreadDelta.get(f.id)!) } : f,
      );
    }
  }

  async #moveToSpecial(action: MailAction, ids: number[], kind: FolderKind): Promise<void> {
    const target = this.targetFolder(ids, kind);
    if (!target) return;
    await this.#remove(action, ids, target.id, () => this.#backend.moveMessages(ids, target.id));
  }

  /** Takes `ids` out of the list at once, then asks the backend; puts them back if refused. */
  async #remove(action: MailAction, ids: number[], target: number | null, call: () => Promise<void>): Promise<void> {
    if (ids.length === 0) return;
    const rows = ids.map((id) => this.#shownRow(id)).filter((r): r is MessageRow => !!r);
    const foldersBefore = this.folders;
    const openBefore = this.openId;
    const openListed = openBefore !== null && this.list.positionOf(openBefore) !== -1;
    const listBefore = this.list.removeRows(ids);
    const serverBefore = this.serverSearch;
    if (serverBefore?.state === 'done') {
      this.serverSearch = { ...serverBefore, rows: serverBefore.rows.filter((row) => !ids.includes(row.id)) };
    }
    const serverAfter = this.serverSearch;
    this.folders = this.folders.map((folder) => {
      const leaving = rows.filter((r) => r.folder === folder.id && folder.id !== target);
      const arriving = folder.id === target ? rows.filter((r) => r.folder !== target) : [];
      if (leaving.length === 0 && arriving.length === 0) return folder;
      const unread = (list: MessageRow[]) => list.filter((r) => !r.flags.includes(SEEN)).length;
      return {
        ...folder,
        total: Math.max(0, folder.total - leaving.length + arriving.length),
        unread: Math.max(0, folder.unread - unread(leaving) + unread(arriving)),
      };
    });
    // The reader moves on to the row that took the open message's place, as it would
    // after reading it and pressing Delete in any desktop client.
    if (openBefore !== null && ids.includes(openBefore)) {
      const next = openListed ? this.list.rowAt(this.list.focus) : undefined;
      if (next) {
        this.list.selectOnly(this.list.focus);
        void this.openMessage(next.id);
      } else {
        this.#closeReader();
      }
    }
    try {
      await call();
    } catch (reason) {
      this.list.restore(listBefore);
      // Unless another search replaced them meanwhile.
      if (this.serverSearch === serverAfter) this.serverSearch = serverBefore;
      this.folders = foldersBefore;
      if (openBefore !== null && openBefore !== this.openId) void this.openMessage(openBefore);
      this.failure = { action, error: toApiError(reason) };
    }
  }

  /** The query changed: pending answers are dropped (the results shown stay until new ones come). */
  #cancelSearch(): void {
    clearTimeout(this.#searchTimer);
    this.#searchGeneration += 1;
    this.#serverGeneration += 1;
    this.#serverQuery = null;
    this.searchPending = false;
    this.searchError = null;
  }

  #leaveResults(): void {
    this.serverSearch = null;
    if (!this.list.results) return;
    this.list.clearResults();
    void this.list.refresh();
  }

  async #runSearch(text: string, keepSelection = false): Promise<void> {
    const generation = ++this.#searchGeneration;
    this.searchPending = true;
    try {
      const rows = await this.#backend.searchMail(text, SEARCH_LIMIT);
      if (generation !== this.#searchGeneration) return;
      this.list.showResults(rows, keepSelection);
      this.searchError = null;
      // Once per query: a search run again because mail changed keeps the servers' answer.
      if (this.#serverQuery !== text) void this.#searchServer(text);
    } catch (reason) {
      if (generation === this.#searchGeneration) this.searchError = toApiError(reason);
    } finally {
      if (generation === this.#searchGeneration) this.searchPending = false;
    }
  }

  /**
   * Asks the servers about the free-text words of `text`, after the local results came.
   * Filters alone are answered by the stored headers, so then the servers are not asked.
   */
  async #searchServer(text: string): Promise<void> {
    const generation = this.#serverGeneration;
    this.#serverQuery = text;
    if (freeTextWords(text).length === 0) {
      this.serverSearch = null;
      return;
    }
    this.serverSearch = { state: 'searching' };
    try {
      const found = await this.#backend.searchServer(text, SERVER_SEARCH_LIMIT);
      if (generation === this.#serverGeneration) {
        this.serverSearch = { state: 'done', rows: found.items, errors: found.errors };
      }
    } catch (reason) {
      if (generation === this.#serverGeneration) {
        this.serverSearch = { state: 'done', rows: [], errors: [toApiError(reason)] };
      }
    }
  }
}
