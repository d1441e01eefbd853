import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { afterEach, describe, expect, it } from 'vitest';
import { TauriBackend } from './TauriBackend';

afterEach(() => clearMocks());

describe('TauriBackend', () => {
  it('calls the shell commands by their exact names', async () => {
    const called: string[] = [];
    mockIPC((cmd) => {
      called.push(cmd);
      if (cmd === 'app_info') return { version: '0.1.0', config_sources: [], account_count: 0 };
      if (cmd === 'profile') return null;
      if (cmd === 'accounts') return [];
      if (cmd === 'accept_privacy_notice') return { version: 'v1', accepted_at_unix: 1 };
      if (cmd === 'local_store_state' || cmd === 'rebuild_local_store') {
        return { state: 'ready', key_storage: 'os_keyring', key_dir: null, warnings: [] };
      }
      if (cmd === 'quit_app') return null;
      throw new Error(`unexpected command ${cmd}`);
    });
    const backend = new TauriBackend();
    expect((await backend.appInfo()).version).toBe('0.1.0');
    expect(await backend.profile()).toBeNull();
    expect(await backend.accounts()).toEqual([]);
    expect((await backend.acceptPrivacyNotice('v1')).version).toBe('v1');
    expect((await backend.localStoreState()).state).toBe('ready');
    expect((await backend.rebuildLocalStore()).state).toBe('ready');
    await backend.quitApp();
    expect(called).toEqual([
      'app_info',
      'profile',
      'accounts',
      'accept_privacy_notice',
      'local_store_state',
      'rebuild_local_store',
      'quit_app',
    ]);
  });

  it('calls the mail commands with camelCase argument keys', async () => {
    const called: [string, unknown][] = [];
    mockIPC((cmd, args) => {
      called.push([cmd, args]);
      switch (cmd) {
        case 'mail_folders':
        case 'search_mail':
        case 'read_conversation':
        case 'sync_states':
        case 'removed_accounts':
          return [];
        case 'search_server':
          return { items: [], errors: [] };
        case 'mail_window':
          return { folder: 1, offset: 0, total: 0, items: [] };
        case 'read_message':
        case 'allow_remote_content':
          return { subject: 'Hi' };
        case 'save_attachment':
          return null;
        default:
          return null;
      }
    });
    const backend = new TauriBackend();
    await backend.mailFolders();
    await backend.mailWindow(1, 100, 100);
    await backend.mailWindow(1, 0, 100, 'largest_first');
    await backend.mailWindow(-1, 0, 100, 'conversations');
    await backend.readMessage(7);
    await backend.readMessage(-1);
    expect(await backend.readConversation(7)).toEqual([]);
    await backend.searchMail('from:ann', 200);
    expect(await backend.searchServer('zebracorn', 50)).toEqual({ items: [], errors: [] });
    await backend.setFlags([7, 8], ['\\Seen'], ['\\Flagged']);
    await backend.moveMessages([7], 4);
    await backend.deleteMessages([8]);
    await backend.syncNow();
    await backend.syncStates();
    await backend.allowRemoteContent(7, 'sender');
    await backend.openLink('token/3');
    expect(await backend.saveAttachment(7, '2.1')).toBeNull();
    await backend.openAttachment(7, '2.1', true);
    await backend.notifyNewMail('Alice Martin', 'Quarterly plan', 7);
    expect(await backend.takeLaunchMessage()).toBeNull();
    expect(await backend.removedAccounts()).toEqual([]);
    await backend.acknowledgeRemovedAccounts();
    expect(called).toEqual([
      ['mail_folders', {}],
      ['mail_window', { folder: 1, offset: 100, limit: 100 }],
      ['mail_window', { folder: 1, offset: 0, limit: 100, order: 'largest_first' }],
      ['mail_window', { folder: -1, offset: 0, limit: 100, order: 'conversations' }],
      ['read_message', { id: 7 }],
      ['read_message', { id: -1 }],
      ['read_conversation', { id: 7 }],
      ['search_mail', { query: 'from:ann', limit: 200 }],
      ['search_server', { query: 'zebracorn', limit: 50 }],
      ['set_flags', { ids: [7, 8], add: ['\\Seen'], remove: ['\\Flagged'] }],
      ['move_messages', { ids: [7], folder: 4 }],
      ['delete_messages', { ids: [8] }],
      ['sync_now', {}],
      ['sync_states', {}],
      ['allow_remote_content', { id: 7, scope: 'sender' }],
      ['open_link', { id: 'token/3' }],
      ['save_attachment', { id: 7, partPath: '2.1' }],
      ['open_attachment', { id: 7, partPath: '2.1', confirmed: true }],
      ['notify_new_mail', { title: 'Alice Martin', body: 'Quarterly plan', message: 7 }],
      ['take_launch_message', {}],
      ['removed_accounts', {}],
      ['acknowledge_removed_accounts', {}],
    ]);
  });

  it('calls the composer commands with camelCase argument keys', async () => {
    const called: [string, unknown][] = [];
    mockIPC((cmd, args) => {
      called.push([cmd, args]);
      switch (cmd) {
        case 'save_draft':
          return { draft_id: 12, version: 2, saved_at: 1_764_400_000, attachments: [] };
        case 'send_draft':
          return { outbox: 40, not_before: 1_764_400_010, message_id: '<a@example.com>' };
        case 'recent_addresses':
          return [{ name: 'Wei Zhang', address: 'wei@example.com' }];
        case 'discard_draft':
          return null;
        default:
          return { draft_id: 12 };
      }
    });
    const backend = new TauriBackend();
    const input = {
      draft_id: null,
      account: 'acct-ada',
      from: 'ada@example.com',
      to: 'wei@example.com',
      cc: '',
      bcc: '',
      subject: 'Plan',
      body_html: '<p>Hi</p>',
      plain_text: false,
      body_text: 'Hi',
      new_attachments: [{ file_name: 'a.txt', content_type: 'text/plain', data_base64: 'aGk=' }],
      removed_attachments: ['blob-1'],
    };
    await backend.compose(null);
    await backend.compose('acct-bob');
    await backend.respondTo(7, 'reply_all');
    await backend.openDraft(9);
    expect((await backend.saveDraft(input)).draft_id).toBe(12);
    expect((await backend.sendDraft(12, null)).outbox).toBe(40);
    await backend.sendDraft(12, 1_764_403_600);
    await backend.cancelSend(40);
    await backend.discardDraft(12);
    expect(await backend.recentAddresses('wei', 8)).toEqual([{ name: 'Wei Zhang', address: 'wei@example.com' }]);
    await backend.takeLaunchCompose();
    expect(called).toEqual([
      ['compose', { account: null }],
      ['compose', { account: 'acct-bob' }],
      ['respond_to', { id: 7, mode: 'reply_all' }],
      ['open_draft', { id: 9 }],
      ['save_draft', { input }],
      ['send_draft', { draftId: 12, at: null }],
      ['send_draft', { draftId: 12, at: 1_764_403_600 }],
      ['cancel_send', { outbox: 40 }],
      ['discard_draft', { draftId: 12 }],
      ['recent_addresses', { query: 'wei', limit: 8 }],
      ['take_launch_compose', {}],
    ]);
  });

  it('calls the account commands with camelCase argument keys', async () => {
    const called: [string, unknown][] = [];
    const summary = {
      id: 'acct-wei',
      display_name: 'Wei Zhang',
      email: 'wei@example.net',
      incoming: 'imaps://imap.example.net:993',
      outgoing: 'smtp+starttls://smtp.example.net:587',
      origin: 'user',
      auth: 'password',
      needs_sign_in: false,
    };
    mockIPC((cmd, args) => {
      called.push([cmd, args]);
      switch (cmd) {
        case 'account_permissions':
          return { may_add: true, may_remove: true, allowed_domains: ['example.net'] };
        case 'discover_account':
          return { email: 'wei@example.net', found: [], tried: ['_imaps._tcp.example.net'] };
        case 'add_account':
          return summary;
        default:
          return null;
      }
    });
    const backend = new TauriBackend();
    const account = {
      display_name: 'Wei Zhang',
      email: 'wei@example.net',
      login: 'wei',
      password: 'correct horse',
      imap: { host: 'imap.example.net', port: 993, security: 'tls' as const },
      smtp: { host: 'smtp.example.net', port: 587, security: 'starttls' as const },
    };
    expect(await backend.accountPermissions()).toEqual({
      may_add: true,
      may_remove: true,
      allowed_domains: ['example.net'],
    });
    expect((await backend.discoverAccount('wei@example.net')).tried).toEqual(['_imaps._tcp.example.net']);
    expect(await backend.addAccount(account)).toEqual(summary);
    await backend.signIn('acct-wei', 'new password');
    await backend.removeAccount('acct-wei');
    expect(called).toEqual([
      ['account_permissions', {}],
      ['discover_account', { email: 'wei@example.net' }],
      ['add_account', { account }],
      ['sign_in', { account: 'acct-wei', password: 'new password' }],
      ['remove_account', { account: 'acct-wei' }],
    ]);
  });

  it('passes an account command’s refusal through with its code', async () => {
    mockIPC(() => {
      throw { code: 'authentication_failed', message: 'imap.example.net refused the login: AUTHENTICATIONFAILED' };
    });
    await expect(new TauriBackend().signIn('acct-wei', 'wrong')).rejects.toEqual({
      code: 'authentication_failed',
      message: 'imap.example.net refused the login: AUTHENTICATIONFAILED',
    });
  });

  it('delivers shell events to the handler until unlistened', async () => {
    mockIPC(() => null, { shouldMockEvents: true });
    const { emit } = await import('@tauri-apps/api/event');
    const seen: number[][] = [];
    const unlisten = await new TauriBackend().onMailEvent('mail-changed', (payload) => seen.push(payload.folders));
    await emit('mail-changed', { folders: [1, 2] });
    unlisten();
    await emit('mail-changed', { folders: [3] });
    expect(seen).toEqual([[1, 2]]);
  });

  it('passes the shell’s {code, message} through unchanged', async () => {
    mockIPC(() => {
      throw { code: 'invalid_config', message: 'policy.json: line 2: expected a string' };
    });
    await expect(new TauriBackend().appInfo()).rejects.toEqual({
      code: 'invalid_config',
      message: 'policy.json: line 2: expected a string',
    });
  });
});
