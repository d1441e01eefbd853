import type { IBackend } from '../backend/IBackend';
import { toApiError } from '../backend/errors';
import {
  ALL_INBOXES,
  type AttachmentView,
  type Conversation,
  type Folder,
  type LinkRequest,
  type ListOrder,
  type MailEvents,
  type MessageRow,
  type NewMail,
  type ReaderView,
  type SyncState,
} from '../backend/mailTypes';
import type { RespondMode } from '../backend/composeTypes';
import type { ApiError } from '../backend/types';
import { replayBodyKey, watchBodyFocus } from './bodyKeys';
import { ComposeSession } from './compose/ComposeSession.svelte';
import { ConversationReader } from './ConversationReader.svelte';
import { folderKind, specialFolder, withAllInboxesCounted, type FolderKind } from './folders';
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

/** Whether a sync state asks the user to sign in: no password kept yet, or refused. */
export function asksToSignIn(state: SyncState): boolean {
  return state.error_code === 'authentication_failed' || state.error_code === 'sign_in_required';
}

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
  | 'openFile'
  | 'print';

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
  /** The message the reader shows, unless it shows a conversation. */
  view = $state.raw<ReaderView | null>(null);
  /** The conversation the reader shows, when a conversation row with more than one message was opened. */
  conversation = $state.raw<ConversationReader | null>(null);
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
  /**
   * Accounts that cannot sync now, for the banner. One whose server refused the password
   * is not among them: the user is asked to sign in to it instead.
   */
  readonly troubled: SyncState[] = $derived(
    [...this.syncStates.values()].filter(
      (s) => (s.state === 'offline' || s.state === 'error') && !asksToSignIn(s),
    ),
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
    this.#subscribe('launch-requested', () => void this.#onLaunchRequested());
    this.#subscribe('body-key', (pressed) => replayBodyKey(pressed));
    this.#unlisten.push(
      watchBodyFocus((inside) => {
        this.#backend.setBodyFocus(inside).catch(() => {
          // Without it only the shortcuts inside a body are lost.
        });
      }),
    );
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

  /**
   * The user signed in to `account` again, and its server accepted the password: the
   * refusal of the old one is over (the next sync says how the account is doing).
   */
  signedIn(account: string): void {
    const state = this.syncStates.get(account);
    if (!state || !asksToSignIn(state)) return;
    const next = new Map(this.syncStates);
    next.set(account, { ...state, state: 'idle', error: null, error_code: null });
    this.syncStates = next;
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
    // By conversation, the open message may be in a row that stands for others too.
    const holder = this.list.rowHolding(open);
    const position = holder ? this.list.positionOf(holder.id) : -1;
    if (position !== -1) this.list.selectOnly(position);
  }

  // --- Reading ---------------------------------------------------------------------

  /**
   * Shows message `id` in the reader and marks it read if it was not. A conversation row
   * shows its whole conversation (every folder of the account) when it has more than one
   * message, and marks all its messages in the folder read.
   */
  async openMessage(id: number): Promise<void> {
    const generation = ++this.#readGeneration;
    this.openId = id;
    this.viewLoading = true;
    this.viewError = null;
    const row = this.#shownRow(id);
    const grouped = row?.conversation;
    if (grouped ? grouped.unread > 0 : row && !row.flags.includes(SEEN)) void this.setRead(grouped?.ids ?? [id], true);
    try {
      const [view, thread] = await Promise.all([
        this.#backend.readMessage(id),
        // Without its conversation (the shell could not say) the message is shown alone.
        grouped ? this.#backend.readConversation(id).catch(() => null) : null,
      ]);
      if (generation !== this.#readGeneration) return;
      // The list's flags are newer than the store's answer when a change is in flight.
      const current = this.#shownRow(id);
      const shown = current ? { ...view, summary: { ...view.summary, flags: current.flags } } : view;
      if (thread && thread.length > 1) {
        this.#showConversation(id, thread, shown);
      } else {
        this.conversation = null;
        this.view = shown;
      }
    } catch (reason) {
      if (generation !== this.#readGeneration) return;
      this.view = null;
      this.conversation = null;
      this.viewError = toApiError(reason);
    } finally {
      if (generation === this.#readGeneration) this.viewLoading = false;
    }
  }

  /**
   * Expands or collapses message `id` of the conversation shown. Expanded the first
   * time, it is read, and marked read like a message opened from the list.
   */
  toggleConversationMessage(id: number): void {
    const conversation = this.conversation;
    if (!conversation) return;
    if (conversation.expanded.has(id)) conversation.collapse(id);
    else this.#expandConversationMessage(conversation, id);
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
    if (this.list.results || !this.#listsAnyOf([folder])) await this.selectFolder(folder);
    // By conversation, its conversation's row is selected and opened.
    const holder = this.list.rowHolding(id);
    const position = holder ? this.list.positionOf(holder.id) : -1;
    if (position !== -1) this.list.selectOnly(position);
    await this.openMessage(holder?.id ?? id);
  }

  closeReader(): void {
    this.#closeReader();
  }

  /** The open message's flags as shown now (the list's, which change optimistically). */
  openRow(): MessageRow | null {
    if (this.openId === null) return null;
    return this.#knownRow(this.openId) ?? null;
  }

  /** Loads the remote content of message `id` (the open one, or one of its conversation). */
  async allowRemote(id: number, scope: 'message' | 'sender'): Promise<void> {
    try {
      const view = await this.#backend.allowRemoteContent(id, scope);
      if (this.view?.summary.id === id) this.view = view;
      this.conversation?.setView(view);
    } catch (reason) {
      this.failure = { action: 'remote', error: toApiError(reason) };
    }
  }

  async saveAttachment(id: number, attachment: AttachmentView): Promise<void> {
    this.savedTo = null;
    try {
      this.savedTo = await this.#backend.saveAttachment(id, attachment.part_path);
    } catch (reason) {
      this.failure = { action: 'save', error: toApiError(reason) };
    }
  }

  /** Opens an attachment of message `id`; `confirmed` once the user accepted the warning about it. */
  async openAttachment(id: number, attachment: AttachmentView, confirmed: boolean): Promise<void> {
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
   * A conversation row stands for all its messages in the folder.
   */
  targets(): number[] {
    if (this.list.selected.size > 0) return this.messageIds(this.list.selected);
    return this.openId === null || this.openedFromFile ? [] : this.messageIds([this.openId]);
  }

  /** The messages the list's rows `ids` stand for: a conversation row, all its messages in the folder. */
  messageIds(ids: Iterable<number>): number[] {
    const all = new Set<number>();
    for (const id of ids) for (const one of this.list.rowById(id)?.conversation?.ids ?? [id]) all.add(one);
    return [...all];
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
        // A message of a conversation row is in the row's folder.
        const folder = (this.#knownRow(id) ?? this.list.rowHolding(id))?.folder;
        return folder === undefined ? undefined : this.folderById.get(folder)?.account;
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
    // The unified inbox only shows the inboxes: nothing can be moved into it.
    if (folder === ALL_INBOXES) return Promise.resolve();
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

  /**
   * The message Reply, Reply all and Forward answer: the one the reader shows, unless a
   * draft; in a conversation, its newest message that is not a draft.
   */
  respondTarget(): number | null {
    if (this.openId === null || this.list.selected.size > 1 || this.openedFromFile) return null;
    const conversation = this.conversation;
    if (conversation) {
      const answerable = conversation.rows.filter((row) => !this.isDraftFolder(row.folder));
      return answerable[answerable.length - 1]?.id ?? null;
    }
    const view = this.view;
    if (view?.summary.id !== this.openId) return null;
    return this.isDraftFolder(view.summary.folder) ? null : this.openId;
  }

  /**
   * A new message, from the account of the folder shown (else the first account: the
   * unified inbox is no account's).
   */
  newMessage(): Promise<void> {
    const folder = this.currentFolder === null ? undefined : this.folderById.get(this.currentFolder);
    return this.compose.newMessage(folder?.account || null);
  }

  respond(mode: RespondMode): Promise<void> {
    const id = this.respondTarget();
    return id === null ? Promise.resolve() : this.compose.respond(id, mode);
  }

  /** Answers message `id` of the conversation the reader shows. */
  respondTo(id: number, mode: RespondMode): Promise<void> {
    return this.compose.respond(id, mode);
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

  /** A row shown now, or the open message's or its conversation's (also when no list shows it). */
  #knownRow(id: number): MessageRow | undefined {
    return (
      this.#shownRow(id) ??
      (this.view?.summary.id === id ? this.view.summary : undefined) ??
      this.conversation?.rowById(id)
    );
  }

  /** Whether the folder shown lists messages of any of `folders` (the unified inbox, every inbox's). */
  #listsAnyOf(folders: readonly number[]): boolean {
    const current = this.currentFolder;
    if (current === null) return false;
    if (folders.includes(current)) return true;
    if (current !== ALL_INBOXES) return false;
    return folders.some((id) => {
      const folder = this.folderById.get(id);
      return folder !== undefined && folderKind(folder) === 'inbox';
    });
  }

  /** The reader shows the conversation of list row `id`, with its newest message expanded. */
  #showConversation(id: number, thread: readonly MessageRow[], view: ReaderView): void {
    // The list's flags are newer than the store's answer when a change is in flight: the
    // messages of a row the list shows all read are read.
    const listed = this.list.rowHolding(id)?.conversation;
    const rows = thread.map((row) => {
      const known = this.#shownRow(row.id);
      if (known) return { ...row, flags: known.flags };
      const read = listed?.unread === 0 && listed.ids.includes(row.id) && !row.flags.includes(SEEN);
      return read ? { ...row, flags: [...row.flags, SEEN] } : row;
    });
    const conversation = new ConversationReader(this.#backend, id, rows, [view]);
    this.view = null;
    this.conversation = conversation;
    const newest = conversation.newest;
    if (newest) this.#expandConversationMessage(conversation, newest.id);
  }

  #expandConversationMessage(conversation: ConversationReader, id: number): void {
    conversation.expand(id);
    const row = conversation.rowById(id);
    if (row && !row.flags.includes(SEEN)) void this.setRead([id], true);
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

  /** A link or file handed over while Heron runs: opened as the ones it started with. */
  async #onLaunchRequested(): Promise<void> {
    this.#host.reveal();
    await this.compose.openLaunchRequest();
    await this.#openLaunchMessage();
  }

  /** Prints messages `ids` whole in a print window of the shell's, labels in `lang`. */
  async print(ids: readonly number[], lang: string): Promise<void> {
    try {
      await this.#backend.printMessages([...ids], lang);
    } catch (reason) {
      this.failure = { action: 'print', error: toApiError(reason) };
    }
  }

  /** Starts dragging an attachment out of the window as a file (the shell's drag). */
  async dragAttachment(id: number, attachment: AttachmentView): Promise<void> {
    try {
      await this.#backend.dragAttachment(id, attachment.part_path);
    } catch (reason) {
      this.failure = { action: 'save', error: toApiError(reason) };
    }
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
    this.conversation = null;
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
    } else if (this.#listsAnyOf(folders)) {
      void this.list.refresh();
    }
  }

  #onNewMail(event: NewMail): void {
    void this.loadFolders();
    // `mail-changed` normally comes too; refreshing here keeps new mail from waiting on it.
    if (!this.list.results && this.#listsAnyOf([event.folder_id])) void this.list.refresh();
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
    this.conversation = null;
    this.viewError = null;
    this.viewLoading = false;
  }

  /** Whether all of `ids` have `flag`; a conversation row's markers speak for its messages. */
  #all(ids: number[], flag: string): boolean {
    return (
      ids.length > 0 &&
      ids.every((id) => {
        const grouped = this.list.rowHolding(id)?.conversation;
        if (grouped) return flag === SEEN ? grouped.unread === 0 : grouped.flagged;
        return this.#knownRow(id)?.flags.includes(flag) ?? false;
      })
    );
  }

  async #changeFlags(action: MailAction, ids: number[], add: string[], remove: string[]): Promise<void> {
    if (ids.length === 0) return;
    const flagsBefore = new Map<number, string[]>();
    for (const id of ids) {
      const row = this.#knownRow(id);
      if (row) flagsBefore.set(id, row.flags);
    }
    const markersBefore = this.#conversationsOf(ids);
    const changed = (flags: string[]) => [...flags.filter((f) => !remove.includes(f) && !add.includes(f)), ...add];
    this.#applyFlags(
      new Map([...flagsBefore].map(([id, flags]) => [id, changed(flags)])),
      new Map([...markersBefore].map(([row, markers]) => [row, this.#markersAfter(markers, ids, add, remove)])),
    );
    try {
      await this.#backend.setFlags(ids, add, remove);
    } catch (reason) {
      // Put back as they were, where they are still shown.
      this.#applyFlags(
        new Map([...flagsBefore].filter(([id]) => this.#knownRow(id))),
        new Map([...markersBefore].filter(([row]) => this.list.rowById(row)?.conversation)),
      );
      this.failure = { action, error: toApiError(reason) };
    }
  }

  /** The markers of the conversation rows that stand for any of `ids`, by row id. */
  #conversationsOf(ids: number[]): Map<number, Conversation> {
    const found = new Map<number, Conversation>();
    for (const id of ids) {
      const row = this.list.rowHolding(id);
      if (row?.conversation) found.set(row.id, row.conversation);
    }
    return found;
  }

  /**
   * A conversation row's markers once `add` and `remove` apply to `ids`. When only some
   * of its messages change (from the reader), the others' flags are known while the
   * reader shows them; one not known is taken to stay as it was.
   */
  #markersAfter(markers: Conversation, ids: number[], add: string[], remove: string[]): Conversation {
    const acted = new Set(ids);
    const whole = markers.ids.every((id) => acted.has(id));
    let { unread, flagged } = markers;
    if (add.includes(SEEN) || remove.includes(SEEN)) {
      if (whole) {
        unread = add.includes(SEEN) ? 0 : markers.count;
      } else {
        for (const id of markers.ids.filter((one) => acted.has(one))) {
          const flags = this.#knownRow(id)?.flags;
          if (flags) unread += Number(remove.includes(SEEN)) - Number(!flags.includes(SEEN));
        }
      }
    }
    if (add.includes(FLAGGED)) {
      flagged = true;
    } else if (remove.includes(FLAGGED)) {
      const others = markers.ids.filter((id) => !acted.has(id)).map((id) => this.#knownRow(id)?.flags);
      flagged = others.every((flags) => flags !== undefined && !flags.includes(FLAGGED)) ? false : flagged;
    }
    return { ...markers, unread: Math.max(0, Math.min(markers.count, unread)), flagged };
  }

  /**
   * Sets the flags of messages (`flags`, id to flags) and the markers of conversation
   * rows (`markers`, row id to markers) wherever they are shown, and adjusts the folders'
   * unread counts by the difference.
   */
  #applyFlags(flags: Map<number, string[]>, markers: Map<number, Conversation>): void {
    const unreadDelta = new Map<number, number>();
    const count = (folder: number, delta: number) => {
      if (delta !== 0) unreadDelta.set(folder, (unreadDelta.get(folder) ?? 0) + delta);
    };
    // A conversation row's markers count for its messages in its folder.
    const counted = new Set<number>();
    for (const [id, next] of markers) {
      const row = this.list.rowById(id);
      if (!row?.conversation) continue;
      row.conversation.ids.forEach((one) => counted.add(one));
      count(row.folder, next.unread - row.conversation.unread);
    }
    for (const [id, next] of flags) {
      const row = this.#knownRow(id);
      if (row && !counted.has(id)) count(row.folder, Number(row.flags.includes(SEEN)) - Number(next.includes(SEEN)));
    }
    const change = (row: MessageRow): MessageRow => {
      const flagsNext = flags.get(row.id);
      const markersNext = row.conversation ? markers.get(row.id) : undefined;
      if (!flagsNext && !markersNext) return row;
      return { ...row, flags: flagsNext ?? row.flags, ...(markersNext && { conversation: markersNext }) };
    };
    this.list.updateRows(change);
    const found = this.serverSearch;
    if (found?.state === 'done') this.serverSearch = { ...found, rows: found.rows.map(change) };
    const view = this.view;
    if (view && flags.has(view.summary.id)) {
      this.view = { ...view, summary: { ...view.summary, flags: flags.get(view.summary.id)! } };
    }
    this.conversation?.updateRows(change);
    if (unreadDelta.size > 0) {
      this.folders = withAllInboxesCounted(
        this.folders.map((f) =>
          unreadDelta.has(f.id) ? { ...f, unread: Math.max(0, f.unread + unreadDelta.get(f.id)!) } : f,
        ),
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
    // A conversation row counts for all its messages in its folder.
    const total = (list: MessageRow[]) => list.reduce((sum, r) => sum + (r.conversation?.count ?? 1), 0);
    const unread = (list: MessageRow[]) =>
      list.reduce((sum, r) => sum + (r.conversation ? r.conversation.unread : Number(!r.flags.includes(SEEN))), 0);
    this.folders = withAllInboxesCounted(
      this.folders.map((folder) => {
        const leaving = rows.filter((r) => r.folder === folder.id && folder.id !== target);
        const arriving = folder.id === target ? rows.filter((r) => r.folder !== target) : [];
        if (leaving.length === 0 && arriving.length === 0) return folder;
        return {
          ...folder,
          total: Math.max(0, folder.total - total(leaving) + total(arriving)),
          unread: Math.max(0, folder.unread - unread(leaving) + unread(arriving)),
        };
      }),
    );
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
