import type {
  ComposerInput,
  ComposerState,
  Correspondent,
  DraftSaved,
  QueuedSend,
  RespondMode,
} from './composeTypes';
import type {
  Folder,
  ListOrder,
  MailEvents,
  MessageRow,
  MessageWindow,
  ReaderView,
  ServerSearch,
  SyncState,
} from './mailTypes';
import type {
  AcceptedNotice,
  AccountPermissions,
  AccountSummary,
  AppInfo,
  Discovery,
  LocalStoreState,
  NewAccount,
  PrivacyNoticeView,
  Profile,
  RemovedAccount,
} from './types';

/**
 * The one surface the UI talks to. The production app uses `TauriBackend`; tests pass
 * their own implementation to `App`. Every method rejects with an `ApiError`.
 */
export interface IBackend {
  appInfo(): Promise<AppInfo>;
  /** The signed-in user's profile, or `null` when no account is set up. */
  profile(): Promise<Profile | null>;
  accounts(): Promise<AccountSummary[]>;
  /** Whether the policy lets the user add and remove accounts, and at which domains. */
  accountPermissions(): Promise<AccountPermissions>;
  /**
   * Looks up the servers of `email` (autoconfig, `.well-known`, DNS SRV); sends no
   * credentials anywhere. Can take up to about 20 seconds.
   */
  discoverAccount(email: string): Promise<Discovery>;
  /**
   * Logs in to both servers of `account` with its password and saves it (the password in
   * the OS keyring) only when both accept. Rejects with `authentication_failed`,
   * `server_unreachable`, `certificate_untrusted`, `tls_failed`, `connection_lost`,
   * `not_allowed` (the policy forbids it, or the domain is not allowed), `conflict` (the
   * address is set up already) or `invalid_value`.
   */
  addAccount(account: NewAccount): Promise<AccountSummary>;
  /**
   * Stores the password of `account` (by id) once its IMAP server accepts it: for an
   * account that needs signing in, or whose stored password the server refused.
   */
  signIn(account: string, password: string): Promise<void>;
  /**
   * Signs in to an OAuth account in the user's browser: the organisation's sign-in page
   * opens there, and this resolves once the tokens came back and the mail server took
   * them (or rejects: `authentication_failed` when refused, `connection_lost` after five
   * minutes, `conflict` when cancelled).
   */
  signInOAuth(account: string): Promise<void>;
  /**
   * Drags attachment `partPath` of message `id` out of the window as a file, while the
   * page's own drag (which started it and was cancelled) still holds the mouse button.
   */
  dragAttachment(id: number, partPath: string): Promise<void>;
  /**
   * Prints messages `ids` (one, or a conversation oldest first) with their whole bodies,
   * in a print window of the shell's that opens the print dialog; `lang` (`en`, `zh-CN`)
   * chooses its labels.
   */
  printMessages(ids: number[], lang: string): Promise<void>;
  /**
   * Tells the shell whether a message body has the keyboard focus: while it has, the
   * shell catches the shortcut keys typed there and sends them as `body-key` events
   * (see `bodyKeys.ts`).
   */
  setBodyFocus(focused: boolean): Promise<void>;
  /**
   * Saves the user's diagnostics (no mail content, no secret) as a JSON file where they
   * choose in the OS's dialog: its path, or `null` when they cancel.
   */
  exportDiagnostics(): Promise<string | null>;
  /** Stops waiting for a sign-in in the browser. */
  cancelSignIn(): Promise<void>;
  /**
   * Deletes this computer's copy of an account the user added (mail, drafts, outbox,
   * keyring entries); the mail on the server is untouched. Rejects with `not_allowed`
   * for the administrator's accounts, or when the policy forbids removing.
   */
  removeAccount(account: string): Promise<void>;
  /** The privacy notice in force and whether it must be accepted before anything syncs. */
  privacyNotice(): Promise<PrivacyNoticeView>;
  /** Accepts `version`; rejects with `notice_version_mismatch` if another is in force. */
  acceptPrivacyNotice(version: string): Promise<AcceptedNotice>;
  /**
   * Opens the local store (creating it on first use) and says what to show first: nothing,
   * the key-file warning, or a blocking dialog. Store failures are states, not rejections.
   */
  localStoreState(): Promise<LocalStoreState>;
  /**
   * Deletes an unreadable local store and creates an empty one that syncs again; resolves
   * with the new state. Rejects with `conflict` when the store opens (nothing is deleted).
   */
  rebuildLocalStore(): Promise<LocalStoreState>;
  /** Ends the app cleanly (the privacy notice was declined, or the store cannot be used). */
  quitApp(): Promise<void>;

  /** Every folder of every account, with its message and unread counts. */
  mailFolders(): Promise<Folder[]>;
  /**
   * Up to `limit` rows of `folder` from `offset` in `order` (newest first when not
   * given), and the folder's total now. By `conversations`, a row stands for a whole
   * conversation and the total counts conversations. `ALL_INBOXES` lists every inbox.
   */
  mailWindow(folder: number, offset: number, limit: number, order?: ListOrder): Promise<MessageWindow>;
  /**
   * What the reader shows of message `id` (a negative id: a message file the app was
   * started with, kept in memory). Does not mark it read.
   */
  readMessage(id: number): Promise<ReaderView>;
  /**
   * Every message of message `id`'s conversation in the folders of its account (Sent
   * included), oldest first; a message kept in two folders is listed once.
   */
  readConversation(id: number): Promise<MessageRow[]>;
  /** Up to `limit` downloaded messages matching `query` (the store's `from:` ... syntax). */
  searchMail(query: string, limit: number): Promise<MessageRow[]>;
  /**
   * Asks the servers (IMAP SEARCH) for the free-text words of `query` among the messages
   * whose bodies are not downloaded yet, which the local index cannot see inside. An
   * account that cannot be asked is reported in `errors`; the others still answer.
   */
  searchServer(query: string, limit: number): Promise<ServerSearch>;
  /** Adds and removes IMAP flags (`\Seen`, `\Flagged`) on messages; synced later. */
  setFlags(ids: number[], add: string[], remove: string[]): Promise<void>;
  /** Moves messages to `folder` (of the same account); synced later. */
  moveMessages(ids: number[], folder: number): Promise<void>;
  /** Deletes messages (to Trash, or for good from Trash, as the account's policy says). */
  deleteMessages(ids: number[]): Promise<void>;
  /** Starts a sync of every account now; progress arrives as `sync-state` events. */
  syncNow(): Promise<void>;
  /** What each account's sync worker is doing now. */
  syncStates(): Promise<SyncState[]>;
  /**
   * Loads the remote content of message `id`, for this message only or for every message
   * from its sender; resolves with the view as it is now. Rejects when policy forbids it.
   */
  allowRemoteContent(id: number, scope: 'message' | 'sender'): Promise<ReaderView>;
  /** Opens in the browser the web link of a `mail-link` event, by its `id` (after the user confirmed when asked). */
  openLink(id: string): Promise<void>;
  /**
   * Asks where to save attachment `partPath` of message `id` and saves it; resolves with
   * the saved path, or `null` when the user cancelled the save dialog.
   */
  saveAttachment(id: number, partPath: string): Promise<string | null>;
  /**
   * Opens an attachment with the system's app for its type. A dangerous one is refused
   * unless `confirmed` (the user saw the warning and chose to open it).
   */
  openAttachment(id: number, partPath: string, confirmed: boolean): Promise<void>;
  /**
   * Shows a desktop notification for new mail, in the words the UI chose (in the user's
   * language); clicking it sends the `open-message` event with `message`.
   */
  notifyNewMail(title: string, body: string, message: number): Promise<void>;

  /** A new message from `account` (`null`: the first account), not saved until it changes. */
  compose(account: string | null): Promise<ComposerState>;
  /**
   * A reply, reply to all or forward of stored message `id`. The core saves it as a draft
   * at once, so `draft_id` is set.
   */
  respondTo(id: number, mode: RespondMode): Promise<ComposerState>;
  /** Draft `id` (a message in a Drafts folder), to go on writing it. */
  openDraft(id: number): Promise<ComposerState>;
  /**
   * Saves the message being written (creating the draft when `draft_id` is `null`); the
   * new files are stored and the removed ones dropped.
   */
  saveDraft(input: ComposerInput): Promise<DraftSaved>;
  /**
   * Queues saved draft `draftId` in the outbox: to leave at `at` (unix seconds), or when
   * `null` once the undo delay (`undo_seconds`) has passed.
   */
  sendDraft(draftId: number, at: number | null): Promise<QueuedSend>;
  /**
   * Takes message `outbox` back out of the outbox; resolves with it as a draft to edit.
   * Rejects with `conflict` when it has already left.
   */
  cancelSend(outbox: number): Promise<ComposerState>;
  /** Deletes draft `draftId` and its attachments. */
  discardDraft(draftId: number): Promise<void>;
  /** Up to `limit` people the user wrote to or heard from whose name or address matches `query`. */
  recentAddresses(query: string, limit: number): Promise<Correspondent[]>;

  /** Calls `handler` for every `name` event from the shell; resolves with an unsubscribe. */
  onMailEvent<K extends keyof MailEvents>(
    name: K,
    handler: (payload: MailEvents[K]) => void,
  ): Promise<() => void>;
  /**
   * What Heron was started to write: a `mailto:` link it was opened with (once; later
   * calls resolve with `null`).
   */
  takeLaunchCompose(): Promise<ComposerState | null>;
  /**
   * The message file (`.eml`) Heron was started with, for the reader (once; later calls
   * resolve with `null`). Its `summary.id` is negative: it is in no folder.
   */
  takeLaunchMessage(): Promise<ReaderView | null>;

  /** Accounts the administrator removed whose mail was wiped, not yet shown to the user. */
  removedAccounts(): Promise<RemovedAccount[]>;
  /** The user saw the notice about the removed accounts: it is not shown again. */
  acknowledgeRemovedAccounts(): Promise<void>;
}
