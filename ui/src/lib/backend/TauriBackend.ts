import { invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
import type { IBackend } from './IBackend';
import type {
  ComposerInput,
  ComposerState,
  Correspondent,
  DraftSaved,
  QueuedSend,
  RespondMode,
} from './composeTypes';
import { toApiError } from './errors';
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
 * `IBackend` over Tauri commands. Names match `generate_handler!` in src-tauri/lib.rs;
 * argument keys are camelCase, as Tauri maps them to the commands' snake_case parameters.
 */
export class TauriBackend implements IBackend {
  appInfo(): Promise<AppInfo> {
    return call<AppInfo>('app_info');
  }

  profile(): Promise<Profile | null> {
    return call<Profile | null>('profile');
  }

  accounts(): Promise<AccountSummary[]> {
    return call<AccountSummary[]>('accounts');
  }

  accountPermissions(): Promise<AccountPermissions> {
    return call<AccountPermissions>('account_permissions');
  }

  discoverAccount(email: string): Promise<Discovery> {
    return call<Discovery>('discover_account', { email });
  }

  addAccount(account: NewAccount): Promise<AccountSummary> {
    return call<AccountSummary>('add_account', { account });
  }

  signIn(account: string, password: string): Promise<void> {
    return call<void>('sign_in', { account, password });
  }

  signInOAuth(account: string): Promise<void> {
    return call<void>('sign_in_oauth', { account });
  }

  exportDiagnostics(): Promise<string | null> {
    return call<string | null>('export_diagnostics');
  }

  printMessages(ids: number[], lang: string): Promise<void> {
    return call<void>('print_messages', { ids, lang });
  }

  setBodyFocus(focused: boolean): Promise<void> {
    return call<void>('set_body_focus', { focused });
  }

  dragAttachment(id: number, partPath: string): Promise<void> {
    return call<void>('drag_attachment', { id, partPath });
  }

  cancelSignIn(): Promise<void> {
    return call<void>('cancel_sign_in');
  }

  removeAccount(account: string): Promise<void> {
    return call<void>('remove_account', { account });
  }

  privacyNotice(): Promise<PrivacyNoticeView> {
    return call<PrivacyNoticeView>('privacy_notice');
  }

  acceptPrivacyNotice(version: string): Promise<AcceptedNotice> {
    return call<AcceptedNotice>('accept_privacy_notice', { version });
  }

  localStoreState(): Promise<LocalStoreState> {
    return call<LocalStoreState>('local_store_state');
  }

  rebuildLocalStore(): Promise<LocalStoreState> {
    return call<LocalStoreState>('rebuild_local_store');
  }

  quitApp(): Promise<void> {
    return call<void>('quit_app');
  }

  mailFolders(): Promise<Folder[]> {
    return call<Folder[]>('mail_folders');
  }

  mailWindow(folder: number, offset: number, limit: number, order?: ListOrder): Promise<MessageWindow> {
    // Without an order the key is left out: the shell's default (newest first) applies.
    const args = order === undefined ? { folder, offset, limit } : { folder, offset, limit, order };
    return call<MessageWindow>('mail_window', args);
  }

  readMessage(id: number): Promise<ReaderView> {
    return call<ReaderView>('read_message', { id });
  }

  readConversation(id: number): Promise<MessageRow[]> {
    return call<MessageRow[]>('read_conversation', { id });
  }

  searchMail(query: string, limit: number): Promise<MessageRow[]> {
    return call<MessageRow[]>('search_mail', { query, limit });
  }

  searchServer(query: string, limit: number): Promise<ServerSearch> {
    return call<ServerSearch>('search_server', { query, limit });
  }

  setFlags(ids: number[], add: string[], remove: string[]): Promise<void> {
    return call<void>('set_flags', { ids, add, remove });
  }

  moveMessages(ids: number[], folder: number): Promise<void> {
    return call<void>('move_messages', { ids, folder });
  }

  deleteMessages(ids: number[]): Promise<void> {
    return call<void>('delete_messages', { ids });
  }

  syncNow(): Promise<void> {
    return call<void>('sync_now');
  }

  syncStates(): Promise<SyncState[]> {
    return call<SyncState[]>('sync_states');
  }

  allowRemoteContent(id: number, scope: 'message' | 'sender'): Promise<ReaderView> {
    return call<ReaderView>('allow_remote_content', { id, scope });
  }

  openLink(id: string): Promise<void> {
    return call<void>('open_link', { id });
  }

  saveAttachment(id: number, partPath: string): Promise<string | null> {
    return call<string | null>('save_attachment', { id, partPath });
  }

  openAttachment(id: number, partPath: string, confirmed: boolean): Promise<void> {
    return call<void>('open_attachment', { id, partPath, confirmed });
  }

  notifyNewMail(title: string, body: string, message: number): Promise<void> {
    return call<void>('notify_new_mail', { title, body, message });
  }

  compose(account: string | null): Promise<ComposerState> {
    return call<ComposerState>('compose', { account });
  }

  respondTo(id: number, mode: RespondMode): Promise<ComposerState> {
    return call<ComposerState>('respond_to', { id, mode });
  }

  openDraft(id: number): Promise<ComposerState> {
    return call<ComposerState>('open_draft', { id });
  }

  saveDraft(input: ComposerInput): Promise<DraftSaved> {
    return call<DraftSaved>('save_draft', { input });
  }

  sendDraft(draftId: number, at: number | null): Promise<QueuedSend> {
    return call<QueuedSend>('send_draft', { draftId, at });
  }

  cancelSend(outbox: number): Promise<ComposerState> {
    return call<ComposerState>('cancel_send', { outbox });
  }

  discardDraft(draftId: number): Promise<void> {
    return call<void>('discard_draft', { draftId });
  }

  recentAddresses(query: string, limit: number): Promise<Correspondent[]> {
    return call<Correspondent[]>('recent_addresses', { query, limit });
  }

  async onMailEvent<K extends keyof MailEvents>(
    name: K,
    handler: (payload: MailEvents[K]) => void,
  ): Promise<() => void> {
    try {
      return await listen<MailEvents[K]>(name, (event) => handler(event.payload));
    } catch (reason) {
      throw toApiError(reason);
    }
  }

  takeLaunchCompose(): Promise<ComposerState | null> {
    return call<ComposerState | null>('take_launch_compose');
  }

  takeLaunchMessage(): Promise<ReaderView | null> {
    return call<ReaderView | null>('take_launch_message');
  }

  removedAccounts(): Promise<RemovedAccount[]> {
    return call<RemovedAccount[]>('removed_accounts');
  }

  acknowledgeRemovedAccounts(): Promise<void> {
    return call<void>('acknowledge_removed_accounts');
  }
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (reason) {
    throw toApiError(reason);
  }
}
