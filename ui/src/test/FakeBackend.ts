import type { IBackend } from '../lib/backend/IBackend';
import type {
  ComposerAttachment,
  ComposerInput,
  ComposerState,
  Correspondent,
  DraftSaved,
  QueuedSend,
  RespondMode,
} from '../lib/backend/composeTypes';
import {
  ALL_INBOXES,
  ALL_INBOXES_USE,
  type Folder,
  type ListOrder,
  type MailEvents,
  type MessageRow,
  type MessageWindow,
  type ReaderView,
  type ServerSearch,
  type SyncState,
} from '../lib/backend/mailTypes';
import type {
  AcceptedNotice,
  AccountPermissions,
  AccountSummary,
  ApiError,
  AppInfo,
  DiscoveredSettings,
  Discovery,
  LocalStoreState,
  NewAccount,
  PrivacyNoticeView,
  Profile,
  RemovedAccount,
  ServerSettings,
} from '../lib/backend/types';

/** One call of a mail command and its arguments, as the shell would receive them. */
export interface Invocation {
  command: string;
  args: Record<string, unknown>;
}

/**
 * Test double for `IBackend`: canned answers, or one error for every call. The mail
 * commands work on `folderList` and `messages` like the store would (flags change,
 * moved messages leave their folder, conversations are the messages of a `thread_id`,
 * the unified inbox lists every inbox once two accounts have one); the account commands on `accountList`, logging in
 * to `mailServers` as the core would; `emit` plays the shell's events.
 */
export class FakeBackend implements IBackend {
  info: AppInfo = { version: '0.1.0', config_sources: [], account_count: 0 };
  user: Profile | null = null;
  accountList: AccountSummary[] = [];
  /** What the policy lets the user do with accounts: nothing by default, as when IT provisions them. */
  permissions: AccountPermissions = { may_add: false, may_remove: false, allowed_domains: [] };
  /** The server settings `discoverAccount` finds, by the address's domain; none by default. */
  discoverable = new Map<string, DiscoveredSettings[]>();
  /** The mail servers that answer, by host, with the password each accepts, by login. */
  mailServers = new Map<string, Map<string, string>>();
  /** Where each account logs in (its IMAP host) and as whom, by account id, for `signIn`. */
  accountLogins = new Map<string, { host: string; login: string }>();
  #nextAccount = 1;
  /** Accepted already by default, so tests about other things see no dialog. */
  notice: PrivacyNoticeView = { ...BUILTIN_NOTICE, accepted: ACCEPTED, must_accept: false };
  /** A healthy store with its key in the OS keyring, so tests about other things see nothing. */
  storeState: LocalStoreState = STORE_READY;
  /** What a rebuild does: resolve with a state (which becomes current), or reject. */
  rebuildOutcome: { state: LocalStoreState } | { error: ApiError } = { state: STORE_READY };
  /** When set, a rebuild waits for it, so a test can look at the window meanwhile. */
  rebuildGate: Promise<void> | null = null;
  failure: ApiError | null = null;
  calls: string[] = [];

  folderList: Folder[] = [];
  /** Each folder's messages, newest first. */
  messages = new Map<number, MessageRow[]>();
  /** What `readMessage` answers; a plain text view of the row when absent. */
  views = new Map<number, ReaderView>();
  /** What `searchMail` answers for a query; nothing by default. */
  searchResults: (query: string) => MessageRow[] = () => [];
  /** What `searchServer` answers for a query; nothing found, every account asked, by default. */
  serverResults: (query: string) => ServerSearch = () => ({ items: [], errors: [] });
  /** Accounts removed by the administrator and not yet acknowledged (`removedAccounts`). */
  removedAccountList: RemovedAccount[] = [];
  /** The message file the app was started with (`takeLaunchMessage`), handed out once. */
  launchMessage: ReaderView | null = null;
  syncStateList: SyncState[] = [];
  /** What `saveAttachment` resolves with (`null`: the user cancelled the dialog). */
  savedPath: string | null = '/home/ada/Downloads/report.pdf';
  /** Mail and account commands that fail, by command name, with this error. */
  commandFailures = new Map<string, ApiError>();
  /** Mail and account commands that wait for a promise before answering, by command name. */
  gates = new Map<string, Promise<void>>();
  /** Every mail and account command call with its arguments, in order. */
  invocations: Invocation[] = [];
  #listeners = new Map<string, Set<(payload: never) => void>>();

  /** What `compose` answers for an account (`null`: the first one). */
  composeAnswer: (account: string | null) => ComposerState = (account) =>
    composerState({ account: account ?? 'acct-ada' });
  /** What `respondTo` answers; by default a reply of Ada's to the stored row, saved as a draft. */
  respondAnswer: (id: number, mode: RespondMode) => ComposerState = (id, mode) => {
    const row = this.findRow(id);
    if (!row) throw { code: 'not_found', message: `No message ${id}` };
    return responseTo(row, mode, this.#nextDraft++);
  };
  /** What `openDraft` answers, by draft id. */
  draftStates = new Map<number, ComposerState>();
  /** The last input saved of each draft, by draft id. */
  savedDrafts = new Map<number, ComposerInput>();
  /** The attachments each draft has in the store, by draft id. */
  draftAttachments = new Map<number, ComposerAttachment[]>();
  /** What `saveDraft` says the time of the save was (unix seconds): 09:31 on the test day. */
  savedAt = Math.floor(new Date(2025, 10, 29, 9, 31).getTime() / 1000);
  /** Outbox messages that have left, so `cancelSend` rejects them with `conflict`. */
  departed = new Set<number>();
  /** The drafts in the outbox, by outbox id. */
  outbox = new Map<number, number>();
  /** The people `recentAddresses` searches. */
  correspondents: Correspondent[] = [];
  #nextDraft = 9001;
  #nextOutbox = 7001;
  #nextBlob = 1;

  appInfo(): Promise<AppInfo> {
    return this.answer('app_info', this.info);
  }

  profile(): Promise<Profile | null> {
    return this.answer('profile', this.user);
  }

  accounts(): Promise<AccountSummary[]> {
    return this.answer('accounts', this.accountList);
  }

  accountPermissions(): Promise<AccountPermissions> {
    return this.answer('account_permissions', this.permissions);
  }

  discoverAccount(email: string): Promise<Discovery> {
    return this.mail('discover_account', { email }, () => {
      const domain = domainOf(email);
      return {
        email,
        found: this.discoverable.get(domain) ?? [],
        tried: [
          `https://autoconfig.${domain}/mail/config-v1.1.xml?emailaddress=${encodeURIComponent(email)}`,
          `https://${domain}/.well-known/autoconfig/mail/config-v1.1.xml`,
          `_imaps._tcp.${domain}`,
          `_submission._tcp.${domain}`,
        ],
      };
    });
  }

  addAccount(account: NewAccount): Promise<AccountSummary> {
    return this.mail('add_account', { account }, () => {
      const domain = domainOf(account.email);
      const allowed = this.permissions.allowed_domains;
      if (!this.permissions.may_add) {
        throw { code: 'not_allowed', message: 'The policy does not allow adding accounts on this computer' };
      }
      if (allowed.length > 0 && !allowed.includes(domain)) {
        throw { code: 'not_allowed', message: `Addresses at ${domain} cannot be added: the policy allows ${allowed.join(', ')}` };
      }
      if (this.accountList.some((a) => a.email.toLowerCase() === account.email.toLowerCase())) {
        throw { code: 'conflict', message: `An account for ${account.email} is set up already` };
      }
      for (const server of [account.imap, account.smtp]) {
        if (!server.host.trim() || server.port < 1 || server.port > 65535) {
          throw { code: 'invalid_value', message: `Invalid server ${server.host}:${server.port}` };
        }
      }
      this.logIn(account.imap.host, account.login, account.password);
      this.logIn(account.smtp.host, account.login, account.password);
      const summary: AccountSummary = {
        id: `acct-user-${this.#nextAccount++}`,
        display_name: account.display_name,
        email: account.email,
        incoming: serverUrl('imap', account.imap),
        outgoing: serverUrl('smtp', account.smtp),
        origin: 'user',
        auth: 'password',
        needs_sign_in: false,
      };
      this.accountList = [...this.accountList, summary];
      this.accountLogins.set(summary.id, { host: account.imap.host, login: account.login });
      this.user ??= profileOf(summary);
      return summary;
    });
  }

  signIn(account: string, password: string): Promise<void> {
    return this.mail('sign_in', { account, password }, () => {
      const login = this.accountLogins.get(account);
      if (!login || !this.accountList.some((a) => a.id === account)) {
        throw { code: 'not_found', message: `No account ${account}` };
      }
      this.logIn(login.host, login.login, password);
      this.accountList = this.accountList.map((a) => (a.id === account ? { ...a, needs_sign_in: false } : a));
      this.syncStateList = this.syncStateList.map(
        (state): SyncState =>
          state.account === account && state.error_code === 'authentication_failed'
            ? { ...state, state: 'idle', error: null, error_code: null }
            : state,
      );
    });
  }

  /** Accounts whose sign-in page would refuse the user (`signInOAuth` rejects). */
  oauthRefusals = new Set<string>();
  /** Set while a sign-in in the browser is waiting: cancelling rejects it. */
  #oauthWaiting: ((reason: unknown) => void) | null = null;

  async signInOAuth(account: string): Promise<void> {
    const summary = await this.mail('sign_in_oauth', { account }, () => {
      const found = this.accountList.find((a) => a.id === account);
      if (!found) throw { code: 'not_found', message: `No account ${account}` };
      if (found.auth !== 'oauth2') throw { code: 'invalid_value', message: 'This account signs in with a password' };
      return found;
    });
    // The browser round trip: a turn of the event loop, during which a cancel wins.
    await new Promise<void>((resolve, reject) => {
      this.#oauthWaiting = reject;
      setTimeout(resolve, 0);
    });
    this.#oauthWaiting = null;
    if (this.oauthRefusals.has(account)) {
      throw { code: 'authentication_failed', message: 'The sign-in server refused: access_denied' };
    }
    this.accountList = this.accountList.map((a) => (a.id === summary.id ? { ...a, needs_sign_in: false } : a));
  }

  /** Where the save dialog puts the diagnostics (`null`: the user cancels). */
  diagnosticsPath: string | null = '/home/ada/Downloads/heron-diagnostics.json';

  exportDiagnostics(): Promise<string | null> {
    return this.mail('export_diagnostics', {}, () => this.diagnosticsPath);
  }

  printMessages(ids: number[], lang: string): Promise<void> {
    return this.mail('print_messages', { ids, lang }, () => {
      if (ids.length === 0 || ids.some((id) => id > 0 && !this.findRow(id))) {
        throw { code: 'not_found', message: 'Nothing to print' };
      }
    });
  }

  setBodyFocus(focused: boolean): Promise<void> {
    return this.mail('set_body_focus', { focused }, () => undefined);
  }

  dragAttachment(id: number, partPath: string): Promise<void> {
    return this.mail('drag_attachment', { id, partPath }, () => {
      if (!this.findRow(id)) throw { code: 'not_found', message: `There is no message ${id}` };
    });
  }

  cancelSignIn(): Promise<void> {
    return this.mail('cancel_sign_in', {}, () => {
      this.#oauthWaiting?.({ code: 'conflict', message: 'The sign-in was cancelled' });
      this.#oauthWaiting = null;
    });
  }

  removeAccount(account: string): Promise<void> {
    return this.mail('remove_account', { account }, () => {
      const summary = this.accountList.find((a) => a.id === account);
      if (!summary) throw { code: 'not_found', message: `No account ${account}` };
      if (summary.origin === 'policy') {
        throw { code: 'not_allowed', message: `Account ${account} is provisioned by the administrator` };
      }
      if (!this.permissions.may_remove) {
        throw { code: 'not_allowed', message: 'The policy does not allow removing accounts on this computer' };
      }
      const gone = new Set(this.folderList.filter((f) => f.account === account).map((f) => f.id));
      this.folderList = this.folderList.filter((f) => !gone.has(f.id));
      for (const id of gone) this.messages.delete(id);
      this.accountList = this.accountList.filter((a) => a.id !== account);
      this.accountLogins.delete(account);
      this.syncStateList = this.syncStateList.filter((state) => state.account !== account);
      if (this.user?.account_id === account) {
        const next = this.accountList[0];
        this.user = next ? profileOf(next) : null;
      }
    });
  }

  /** Makes `host` answer, accepting `password` for `login` (on top of the logins it has). */
  acceptLogin(host: string, login: string, password: string): void {
    const logins = this.mailServers.get(host) ?? new Map<string, string>();
    logins.set(login, password);
    this.mailServers.set(host, logins);
  }

  privacyNotice(): Promise<PrivacyNoticeView> {
    return this.answer('privacy_notice', this.notice);
  }

  acceptPrivacyNotice(version: string): Promise<AcceptedNotice> {
    const accepted = { version, accepted_at_unix: 1_795_000_000 };
    this.notice = {
      ...this.notice,
      accepted,
      must_accept: false,
      previous_accepted_version: null,
    };
    return this.answer(`accept_privacy_notice:${version}`, accepted);
  }

  localStoreState(): Promise<LocalStoreState> {
    return this.answer('local_store_state', this.storeState);
  }

  async rebuildLocalStore(): Promise<LocalStoreState> {
    this.calls.push('rebuild_local_store');
    if (this.rebuildGate) await this.rebuildGate;
    if (this.failure) throw this.failure;
    const outcome = this.rebuildOutcome;
    if ('error' in outcome) throw outcome.error;
    this.storeState = outcome.state;
    return outcome.state;
  }

  quitApp(): Promise<void> {
    return this.answer('quit_app', undefined);
  }

  mailFolders(): Promise<Folder[]> {
    return this.mail('mail_folders', {}, () => {
      const folders = this.folderList.map((folder) => {
        const rows = this.messages.get(folder.id);
        if (!rows) return { ...folder };
        const unread = rows.filter((row) => !row.flags.includes('\\Seen')).length;
        return { ...folder, total: rows.length, unread };
      });
      // As the shell does: the unified inbox comes first once two accounts have an inbox.
      const inboxes = folders.filter(isInbox);
      if (inboxes.length < 2) return folders;
      const sum = (count: (f: Folder) => number) => inboxes.reduce((total, f) => total + count(f), 0);
      const all: Folder = {
        account: '',
        id: ALL_INBOXES,
        name: 'All inboxes',
        special_use: ALL_INBOXES_USE,
        total: sum((f) => f.total),
        unread: sum((f) => f.unread),
      };
      return [all, ...folders];
    });
  }

  mailWindow(folder: number, offset: number, limit: number, order?: ListOrder): Promise<MessageWindow> {
    const args = order === undefined ? { folder, offset, limit } : { folder, offset, limit, order };
    return this.mail('mail_window', args, () => {
      const all = folder === ALL_INBOXES;
      const stored = all ? this.inboxRows() : (this.messages.get(folder) ?? []);
      // The unified inbox spans accounts, whose conversations are apart: it lists messages.
      const rows =
        order === 'conversations' && !all ? conversationRows(stored) : inOrder(stored, order ?? 'newest_first');
      return { folder, offset, total: rows.length, items: rows.slice(offset, offset + limit) };
    });
  }

  readMessage(id: number): Promise<ReaderView> {
    return this.mail('read_message', { id }, () => {
      const view = this.views.get(id);
      if (view) return view;
      const row = this.findRow(id);
      if (!row) throw { code: 'not_found', message: `No message ${id}` };
      return viewOf(row);
    });
  }

  readConversation(id: number): Promise<MessageRow[]> {
    return this.mail('read_conversation', { id }, () => {
      const row = this.findRow(id);
      if (!row) throw { code: 'not_found', message: `There is no message ${id}` };
      const account = this.accountOfFolder(row.folder);
      const thread = [...this.messages.values()]
        .flat()
        .filter((r) => r.thread_id === row.thread_id && this.accountOfFolder(r.folder) === account)
        .sort((a, b) => a.date - b.date || a.id - b.id);
      // A message kept in two folders is one message of the conversation.
      const byMessageId = new Map<string, MessageRow>();
      for (const r of thread) if (!byMessageId.has(r.message_id)) byMessageId.set(r.message_id, r);
      return [...byMessageId.values()];
    });
  }

  searchMail(query: string, limit: number): Promise<MessageRow[]> {
    return this.mail('search_mail', { query, limit }, () => this.searchResults(query).slice(0, limit));
  }

  searchServer(query: string, limit: number): Promise<ServerSearch> {
    return this.mail('search_server', { query, limit }, () => {
      const found = this.serverResults(query);
      return { items: found.items.slice(0, limit), errors: found.errors };
    });
  }

  setFlags(ids: number[], add: string[], remove: string[]): Promise<void> {
    return this.mail('set_flags', { ids, add, remove }, () => {
      for (const [folder, rows] of this.messages) {
        this.messages.set(
          folder,
          rows.map((row) =>
            ids.includes(row.id)
              ? { ...row, flags: [...row.flags.filter((f) => !remove.includes(f) && !add.includes(f)), ...add] }
              : row,
          ),
        );
      }
    });
  }

  moveMessages(ids: number[], folder: number): Promise<void> {
    return this.mail('move_messages', { ids, folder }, () => {
      if (!this.folderList.some((f) => f.id === folder)) {
        throw { code: 'not_found', message: `There is no folder ${folder}` };
      }
      const moving = ids.map((id) => this.findRow(id)).filter((r): r is MessageRow => !!r);
      this.removeRows(ids);
      const target = this.messages.get(folder) ?? [];
      this.messages.set(folder, [...moving.map((row) => ({ ...row, folder })), ...target]);
    });
  }

  deleteMessages(ids: number[]): Promise<void> {
    return this.mail('delete_messages', { ids }, () => this.removeRows(ids));
  }

  syncNow(): Promise<void> {
    return this.mail('sync_now', {}, () => undefined);
  }

  syncStates(): Promise<SyncState[]> {
    return this.mail('sync_states', {}, () => this.syncStateList);
  }

  allowRemoteContent(id: number, scope: 'message' | 'sender'): Promise<ReaderView> {
    return this.mail('allow_remote_content', { id, scope }, () => {
      const view = this.views.get(id) ?? viewOf(this.findRow(id)!);
      const allowed = { ...view, remote: { ...view.remote, loaded: true } };
      this.views.set(id, allowed);
      return allowed;
    });
  }

  openLink(id: string): Promise<void> {
    return this.mail('open_link', { id }, () => undefined);
  }

  saveAttachment(id: number, partPath: string): Promise<string | null> {
    return this.mail('save_attachment', { id, partPath }, () => this.savedPath);
  }

  openAttachment(id: number, partPath: string, confirmed: boolean): Promise<void> {
    return this.mail('open_attachment', { id, partPath, confirmed }, () => undefined);
  }

  notifyNewMail(title: string, body: string, message: number): Promise<void> {
    return this.mail('notify_new_mail', { title, body, message }, () => undefined);
  }

  compose(account: string | null): Promise<ComposerState> {
    return this.mail('compose', { account }, () => this.composeAnswer(account));
  }

  /** The `mailto:` composer the app was started with, handed out once. */
  launchCompose: ComposerState | null = null;

  takeLaunchCompose(): Promise<ComposerState | null> {
    return this.mail('take_launch_compose', {}, () => {
      const state = this.launchCompose;
      this.launchCompose = null;
      return state;
    });
  }

  takeLaunchMessage(): Promise<ReaderView | null> {
    return this.mail('take_launch_message', {}, () => {
      const view = this.launchMessage;
      this.launchMessage = null;
      return view;
    });
  }

  removedAccounts(): Promise<RemovedAccount[]> {
    return this.mail('removed_accounts', {}, () => this.removedAccountList);
  }

  acknowledgeRemovedAccounts(): Promise<void> {
    return this.mail('acknowledge_removed_accounts', {}, () => {
      this.removedAccountList = [];
    });
  }

  respondTo(id: number, mode: RespondMode): Promise<ComposerState> {
    return this.mail('respond_to', { id, mode }, () => {
      const state = this.respondAnswer(id, mode);
      if (state.draft_id !== null) this.draftAttachments.set(state.draft_id, state.attachments);
      return state;
    });
  }

  openDraft(id: number): Promise<ComposerState> {
    return this.mail('open_draft', { id }, () => {
      const state = this.draftStates.get(id);
      if (!state) throw { code: 'not_found', message: `No draft ${id}` };
      this.draftAttachments.set(id, state.attachments);
      return state;
    });
  }

  saveDraft(input: ComposerInput): Promise<DraftSaved> {
    return this.mail('save_draft', { input }, () => {
      const draftId = input.draft_id ?? this.#nextDraft++;
      const kept = (this.draftAttachments.get(draftId) ?? []).filter(
        (a) => !input.removed_attachments.includes(a.blob),
      );
      const added = input.new_attachments.map(
        (file): ComposerAttachment => ({
          blob: `blob-${this.#nextBlob++}`,
          file_name: file.file_name,
          content_type: file.content_type,
          size: base64Size(file.data_base64),
          inline: false,
        }),
      );
      const attachments = [...kept, ...added];
      this.draftAttachments.set(draftId, attachments);
      this.savedDrafts.set(draftId, input);
      const version = this.calls.filter((c) => c === 'save_draft').length;
      return { draft_id: draftId, version, saved_at: this.savedAt, attachments };
    });
  }

  sendDraft(draftId: number, at: number | null): Promise<QueuedSend> {
    return this.mail('send_draft', { draftId, at }, () => {
      const outbox = this.#nextOutbox++;
      this.outbox.set(outbox, draftId);
      return { outbox, not_before: at ?? this.savedAt + 10, message_id: `<draft${draftId}@example.com>` };
    });
  }

  cancelSend(outbox: number): Promise<ComposerState> {
    return this.mail('cancel_send', { outbox }, () => {
      const draftId = this.outbox.get(outbox);
      if (draftId === undefined) throw { code: 'not_found', message: `No message ${outbox} in the outbox` };
      if (this.departed.has(outbox)) throw { code: 'conflict', message: `Message ${outbox} has already been sent` };
      this.outbox.delete(outbox);
      const saved = this.savedDrafts.get(draftId);
      const { from, to, cc, bcc, subject, body_html, plain_text, body_text } = saved ?? composerState();
      return composerState({
        from,
        to,
        cc,
        bcc,
        subject,
        body_html,
        plain_text,
        body_text,
        draft_id: draftId,
        version: 5,
        attachments: this.draftAttachments.get(draftId) ?? [],
      });
    });
  }

  discardDraft(draftId: number): Promise<void> {
    return this.mail('discard_draft', { draftId }, () => {
      this.savedDrafts.delete(draftId);
      this.draftAttachments.delete(draftId);
    });
  }

  recentAddresses(query: string, limit: number): Promise<Correspondent[]> {
    return this.mail('recent_addresses', { query, limit }, () => {
      const needle = query.toLowerCase();
      return this.correspondents
        .filter((c) => c.name.toLowerCase().includes(needle) || c.address.toLowerCase().includes(needle))
        .slice(0, limit);
    });
  }

  onMailEvent<K extends keyof MailEvents>(
    name: K,
    handler: (payload: MailEvents[K]) => void,
  ): Promise<() => void> {
    const set = this.#listeners.get(name) ?? new Set();
    set.add(handler as (payload: never) => void);
    this.#listeners.set(name, set);
    return Promise.resolve(() => set.delete(handler as (payload: never) => void));
  }

  /** Plays a shell event to every listener. */
  emit<K extends keyof MailEvents>(name: K, payload: MailEvents[K]): void {
    for (const handler of this.#listeners.get(name) ?? []) (handler as (p: MailEvents[K]) => void)(payload);
  }

  listenerCount(name: keyof MailEvents): number {
    return this.#listeners.get(name)?.size ?? 0;
  }

  /** The calls of one mail command, with their arguments. */
  callsOf(command: string): Record<string, unknown>[] {
    return this.invocations.filter((i) => i.command === command).map((i) => i.args);
  }

  /** Takes messages out of the store as another client would, without a call. */
  removeForTest(ids: number[]): void {
    this.removeRows(ids);
  }

  /** Logs in to `host` as the core does before it stores a password. */
  private logIn(host: string, login: string, password: string): void {
    const logins = this.mailServers.get(host);
    if (!logins) throw { code: 'server_unreachable', message: `Cannot connect to ${host}: no route to host` };
    if (logins.get(login) !== password) {
      throw { code: 'authentication_failed', message: `${host} refused the login: [AUTHENTICATIONFAILED] Invalid credentials` };
    }
  }

  /** Every inbox's messages together, newest first. */
  private inboxRows(): MessageRow[] {
    return this.folderList
      .filter(isInbox)
      .flatMap((f) => this.messages.get(f.id) ?? [])
      .sort((a, b) => b.date - a.date || b.id - a.id);
  }

  private accountOfFolder(folder: number): string | undefined {
    return this.folderList.find((f) => f.id === folder)?.account;
  }

  private findRow(id: number): MessageRow | undefined {
    for (const rows of this.messages.values()) {
      const row = rows.find((r) => r.id === id);
      if (row) return row;
    }
    return undefined;
  }

  private removeRows(ids: number[]): void {
    for (const [folder, rows] of this.messages) {
      this.messages.set(
        folder,
        rows.filter((row) => !ids.includes(row.id)),
      );
    }
  }

  private async mail<T>(command: string, args: Record<string, unknown>, value: () => T): Promise<T> {
    this.calls.push(command);
    this.invocations.push({ command, args });
    const gate = this.gates.get(command);
    if (gate) await gate;
    const failure = this.commandFailures.get(command) ?? this.failure;
    if (failure) throw failure;
    return value();
  }

  private answer<T>(command: string, value: T): Promise<T> {
    this.calls.push(command);
    return this.failure ? Promise.reject(this.failure) : Promise.resolve(value);
  }
}

export const ADA: Profile = {
  account_id: 'acct-ada',
  display_name: 'Ada Lovelace',
  email: 'ada@example.com',
  department: 'Analytical Engines',
  title: 'Principal Engineer',
  phone: '+44 20 7946 0018',
  avatar_data_url: null,
};

export const ADA_ACCOUNT: AccountSummary = {
  id: 'acct-ada',
  display_name: 'Ada Lovelace',
  email: 'ada@example.com',
  incoming: 'imaps://imap.example.com:993',
  outgoing: 'smtps://smtp.example.com:465',
  origin: 'policy',
  auth: 'password',
  needs_sign_in: false,
};

export const ACCEPTED: AcceptedNotice = { version: '2026-11-01', accepted_at_unix: 1_794_787_200 };

export const BUILTIN_NOTICE: PrivacyNoticeView = {
  version: '2026-11-01',
  updated: '2026-11-01',
  effective: '2026-11-01',
  contact: null,
  text: 'Heron sends no telemetry.',
  text_zh: 'Heron 不发送遥测数据。',
  source: 'builtin',
  accepted: null,
  must_accept: true,
  previous_accepted_version: null,
};

export const STORE_READY: LocalStoreState = {
  state: 'ready',
  key_storage: 'os_keyring',
  key_dir: null,
  warnings: [],
};

export const STORE_KEY_FILE: LocalStoreState = {
  state: 'ready',
  key_storage: 'key_file',
  key_dir: '/home/ada/.config/heron/keys',
  warnings: [
    'The key of your local mail cache is kept in a file in /home/ada/.config/heron/keys instead of the OS keyring',
  ],
};

type Unreadable = Extract<LocalStoreState, { state: 'unreadable' }>;

export const STORE_KEY_MISSING: Unreadable = {
  state: 'unreadable',
  code: 'store_unreadable',
  reason: 'key_missing',
  message:
    'The local cache at /home/ada/.local/share/app.heron.desktop/heron.db cannot be opened because its key is missing from the keyring; it can be rebuilt from the server',
  loss: { database_bytes: 52_428_800, blob_files: 1204, blob_bytes: 734_003_200, unsent_at_risk: true },
};

export const STORE_DAMAGED: Unreadable = {
  state: 'unreadable',
  code: 'store_unreadable',
  reason: 'wrong_key_or_damaged',
  message:
    'The local cache at /data/heron.db cannot be opened: the key is wrong or the file is damaged (file is not a database; cipher_integrity_check: 46 problems, first: HMAC verification failed for page 1)',
  loss: { database_bytes: 188_416, blob_files: 1, blob_bytes: 2048, unsent_at_risk: false },
};

export const STORE_NO_KEYRING: LocalStoreState = {
  state: 'keyring_unavailable',
  message:
    'The OS keyring is unavailable (no Secret Service on the session bus: test): log in to a desktop session, or install and start a Secret Service such as gnome-keyring',
};

// --- Mail fixtures ---------------------------------------------------------------

export const BOB_ACCOUNT: AccountSummary = {
  id: 'acct-bob',
  display_name: 'Bob Li',
  email: 'bob@example.org',
  incoming: 'imaps://imap.example.org:993',
  outgoing: 'smtps://smtp.example.org:465',
  origin: 'policy',
  auth: 'password',
  needs_sign_in: false,
};

/** A folder of Ada's account. */
export function folder(id: number, name: string, special_use = '', unread = 0, account = 'acct-ada'): Folder {
  return { account, id, name, special_use, total: 0, unread };
}

/** Ada's folders, listed in the server's order (not the order the tree shows). */
export const ADA_FOLDERS: Folder[] = [
  folder(6, 'Projects'),
  folder(5, 'Trash', '\\Trash'),
  folder(3, 'Sent', '\\Sent'),
  folder(1, 'INBOX', 'INBOX', 3),
  folder(7, 'Projects/Heron', '', 2),
  folder(4, 'Junk', '\\Junk', 1),
  folder(2, 'Drafts', '\\Drafts'),
  folder(8, 'Archive', '\\Archive'),
  folder(9, 'Accounting'),
];

/** 2025-11-29 09:30 local time: "today" in the mail tests' clock. */
export const MAIL_TODAY = new Date(2025, 10, 29, 9, 30);

/** A message row, dated `id % 1_000_000` minutes before `MAIL_TODAY`. */
export function message(id: number, folderId: number, overrides: Partial<MessageRow> = {}): MessageRow {
  return {
    id,
    folder: folderId,
    uid: id,
    message_id: `<m${id}@example.com>`,
    thread_id: `t${id}`,
    subject: `Subject ${id}`,
    from_name: `Sender ${id}`,
    from_addr: `sender${id}@example.com`,
    date: Math.floor(MAIL_TODAY.getTime() / 1000) - (id % 1_000_000) * 60,
    size: 2048,
    flags: ['\\Seen'],
    has_attachments: false,
    preview: `Preview of message ${id}`,
    ...overrides,
  };
}

/** `count` read messages in `folderId`, ids from `firstId` up, newest first. */
export function messages(folderId: number, count: number, firstId = folderId * 1_000_000 + 1): MessageRow[] {
  return Array.from({ length: count }, (_, k) => message(firstId + k, folderId));
}

/** A plain text reader view of `row`, nothing blocked, nothing to warn about. */
export function viewOf(row: MessageRow, overrides: Partial<ReaderView> = {}): ReaderView {
  return {
    summary: row,
    account: 'acct-ada',
    folder_name: 'INBOX',
    downloaded: true,
    sender: { display_name: row.from_name, address: row.from_addr },
    from: [{ display_name: row.from_name, address: row.from_addr }],
    reply_to: [],
    to: [{ display_name: 'Ada Lovelace', address: 'ada@example.com' }],
    cc: [],
    date_unix: row.date,
    subject: row.subject,
    text_body: `Body of message ${row.id}`,
    body_url: null,
    preview_base: null,
    remote: { blocked: 0, loaded: false, may_allow: true },
    attachments: [],
    security_notes: [],
    nested: [],
    ...overrides,
  };
}

// --- Composer fixtures -----------------------------------------------------------

/** Ada's signature, as the core escapes it into a new message's body. */
export const ADA_SIGNATURE_HTML = '<p><br></p><p class="signature">-- <br>Ada Lovelace<br>Analytical Engines</p>';

/** A new message of Ada's: her signature, one identity, a 25 MB limit, 10 s to undo. */
export function composerState(overrides: Partial<ComposerState> = {}): ComposerState {
  return {
    draft_id: null,
    version: 0,
    account: 'acct-ada',
    identities: [{ address: 'ada@example.com', display_name: 'Ada Lovelace' }],
    from: 'ada@example.com',
    to: '',
    cc: '',
    bcc: '',
    subject: '',
    body_html: ADA_SIGNATURE_HTML,
    plain_text: false,
    body_text: '',
    quote: null,
    attachments: [],
    attachment_limit: 25_000_000,
    undo_seconds: 10,
    ...overrides,
  };
}

/** Ada's answer to `row` as the core drafts it: saved, addressed, the original quoted as text. */
export function responseTo(row: MessageRow, mode: RespondMode, draftId: number): ComposerState {
  const forward = mode === 'forward';
  return composerState({
    draft_id: draftId,
    version: 1,
    to: forward ? '' : `${row.from_name} <${row.from_addr}>`,
    cc: mode === 'reply_all' ? 'Bob Li <bob@example.org>' : '',
    subject: `${forward ? 'Fwd' : 'Re'}: ${row.subject}`,
    quote: { header: `On 29 November 2025, ${row.from_name} wrote:`, text: `Body of message ${row.id}` },
  });
}

/** The domain of an address, lower case, as the core compares it. */
function domainOf(email: string): string {
  return email.slice(email.lastIndexOf('@') + 1).toLowerCase();
}

/** A server as `AccountSummary` shows it: `imaps://host:port` or `imap+starttls://host:port`. */
function serverUrl(scheme: 'imap' | 'smtp', server: ServerSettings): string {
  return `${scheme}${server.security === 'tls' ? 's' : '+starttls'}://${server.host}:${server.port}`;
}

/** The profile of an account added on this computer: only what the user typed is known. */
function profileOf(account: AccountSummary): Profile {
  return {
    account_id: account.id,
    display_name: account.display_name,
    email: account.email,
    department: null,
    title: null,
    phone: null,
    avatar_data_url: null,
  };
}

/** `rows` (stored newest first) in `order`, as the store's `folder_window` sorts them. */
function inOrder(rows: MessageRow[], order: ListOrder): MessageRow[] {
  const text = (value: string) => value.toLowerCase();
  const sender = (row: MessageRow) => text(row.from_name.trim() || row.from_addr);
  switch (order) {
    case 'newest_first':
    case 'conversations':
      return rows;
    case 'oldest_first':
      return [...rows].reverse();
    case 'sender':
      return [...rows].sort((a, b) => sender(a).localeCompare(sender(b)) || b.date - a.date);
    case 'subject':
      return [...rows].sort((a, b) => text(a.subject).localeCompare(text(b.subject)) || b.date - a.date);
    case 'largest_first':
      return [...rows].sort((a, b) => b.size - a.size || b.date - a.date);
  }
}

/**
 * `rows` (stored newest first) by conversation, as the store's `folder_threads_window`
 * lists them: one row per thread, its newest message, newest first, with the markers of
 * all its messages in the folder.
 */
function conversationRows(rows: MessageRow[]): MessageRow[] {
  const threads = new Map<string, MessageRow[]>();
  for (const row of rows) threads.set(row.thread_id, [...(threads.get(row.thread_id) ?? []), row]);
  return [...threads.values()].map(([latest, ...older]) => {
    const all = [latest, ...older];
    return {
      ...latest,
      conversation: {
        ids: all.map((row) => row.id),
        count: all.length,
        unread: all.filter((row) => !row.flags.includes('\\Seen')).length,
        flagged: all.some((row) => row.flags.includes('\\Flagged')),
        has_attachments: all.some((row) => row.has_attachments),
      },
    };
  });
}

/** An account's inbox, as the shell finds it for the unified inbox (by name). */
function isInbox(folder: Folder): boolean {
  return folder.id !== ALL_INBOXES && folder.name.toUpperCase() === 'INBOX';
}

/** The number of bytes a base64 string decodes to. */
function base64Size(data: string): number {
  const padding = data.endsWith('==') ? 2 : data.endsWith('=') ? 1 : 0;
  return Math.floor((data.length * 3) / 4) - padding;
}
