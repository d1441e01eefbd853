import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { beforeEach, describe, expect, it } from 'vitest';
import App from '../../App.svelte';
import type { SyncState } from '../backend/mailTypes';
import type { AccountPermissions, AccountSummary, DiscoveredSettings } from '../backend/types';
import { STORAGE_KEYS } from '../settings/Preferences.svelte';
import { ADA, ADA_ACCOUNT, FakeBackend, folder } from '../../test/FakeBackend';

const TODAY = new Date(2025, 10, 29, 9, 30);
const WEI_PASSWORD = 'correct horse battery';

/** What autoconfig publishes for example.net, over https. */
const EXAMPLE_NET: DiscoveredSettings = {
  source: 'autoconfig',
  found_at: 'https://autoconfig.example.net/mail/config-v1.1.xml',
  unverified: false,
  provider: 'Example Net Mail',
  login: 'wei@example.net',
  imap: { host: 'imap.example.net', port: 993, security: 'tls' },
  smtp: { host: 'smtp.example.net', port: 587, security: 'starttls' },
};

/** An account Wei added on this computer earlier. */
const WEI_ACCOUNT: AccountSummary = {
  id: 'acct-wei',
  display_name: 'Wei Zhang',
  email: 'wei@example.net',
  incoming: 'imaps://imap.example.net:993',
  outgoing: 'smtp+starttls://smtp.example.net:587',
  origin: 'user',
  auth: 'password',
  needs_sign_in: false,
};

function renderApp(backend: FakeBackend) {
  return render(App, { props: { backend, storage: localStorage, now: () => TODAY } });
}

/** No account yet; the policy lets the user add (and remove) accounts; example.net's servers answer. */
function selfService(permissions: Partial<AccountPermissions> = {}): FakeBackend {
  const backend = new FakeBackend();
  backend.permissions = { may_add: true, may_remove: true, allowed_domains: [], ...permissions };
  backend.acceptLogin('imap.example.net', 'wei@example.net', WEI_PASSWORD);
  backend.acceptLogin('smtp.example.net', 'wei@example.net', WEI_PASSWORD);
  return backend;
}

function field(testid: string): HTMLInputElement {
  return screen.getByTestId(testid) as HTMLInputElement;
}

async function type(testid: string, value: string) {
  await fireEvent.input(field(testid), { target: { value } });
}

/** Opens the add dialog from the empty mail view and fills in Wei's name and address. */
async function startAdding(email = 'wei@example.net'): Promise<HTMLElement> {
  await fireEvent.click(await screen.findByRole('button', { name: 'Add an account' }));
  const dialog = screen.getByTestId('add-account-dialog');
  await type('account-name', 'Wei Zhang');
  await type('account-email', email);
  return dialog;
}

function authFailed(account: string): SyncState {
  return {
    account,
    state: 'error',
    error: 'imap.example.com refused the login: [AUTHENTICATIONFAILED] Invalid credentials',
    error_code: 'authentication_failed',
    folder: null,
    done: 0,
    total: 0,
    last_success: 1_764_400_000,
  };
}

beforeEach(() => {
  localStorage.clear();
});

describe('adding an account', () => {
  it('finds the servers, shows where they came from, and adds the account once both accept the password', async () => {
    const backend = selfService();
    backend.discoverable.set('example.net', [EXAMPLE_NET]);
    renderApp(backend);

    const dialog = await startAdding();
    expect(dialog.getAttribute('role')).toBe('dialog');
    expect(dialog.getAttribute('aria-modal')).toBe('true');
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Find settings' }));

    const found = await within(dialog).findByTestId('found-at');
    expect(found.textContent).toContain('Example Net Mail');
    expect(found.textContent).toContain('https://autoconfig.example.net/mail/config-v1.1.xml');
    expect(within(dialog).queryByTestId('unverified-warning')).toBeNull();
    expect(field('imap-host').value).toBe('imap.example.net');
    expect(field('imap-port').value).toBe('993');
    expect((screen.getByTestId('imap-security') as HTMLSelectElement).value).toBe('tls');
    expect(field('smtp-host').value).toBe('smtp.example.net');
    expect(field('smtp-port').value).toBe('587');
    expect((screen.getByTestId('smtp-security') as HTMLSelectElement).value).toBe('starttls');
    expect(field('account-login').value).toBe('wei@example.net');
    // Discovery got the address only; the password is asked for now, next to where it goes.
    expect(backend.callsOf('discover_account')).toEqual([{ email: 'wei@example.net' }]);
    expect(document.activeElement).toBe(field('account-password'));
    expect(screen.getByTestId('password-destination').textContent).toContain(
      'sent only to imap.example.net and smtp.example.net',
    );

    await type('account-password', WEI_PASSWORD);
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Sign in and add' }));
    await waitFor(() => expect(screen.queryByTestId('add-account-dialog')).toBeNull());
    expect(backend.callsOf('add_account')).toEqual([
      {
        account: {
          display_name: 'Wei Zhang',
          email: 'wei@example.net',
          login: 'wei@example.net',
          password: WEI_PASSWORD,
          imap: { host: 'imap.example.net', port: 993, security: 'tls' },
          smtp: { host: 'smtp.example.net', port: 587, security: 'starttls' },
        },
      },
    ]);

    // The account is there: mail starts for it, and Settings lists it.
    await waitFor(() => expect(backend.calls).toContain('mail_folders'));
    expect(await screen.findByText('No messages yet')).toBeTruthy();
    await fireEvent.click(screen.getByTestId('rail-settings'));
    const item = within(screen.getByTestId('settings-accounts')).getByTestId('account');
    expect(item.textContent).toContain('wei@example.net');
    expect(within(item).getByTestId('account-origin').textContent?.trim()).toBe('Added on this computer');
    expect(within(item).getByText('smtp+starttls://smtp.example.net:587')).toBeTruthy();
  });

  it('says where it looked when nothing is found, and takes the settings typed in', async () => {
    const backend = selfService();
    renderApp(backend);
    const dialog = await startAdding();
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Find settings' }));

    const nothing = await within(dialog).findByTestId('nothing-found');
    expect(nothing.textContent).toContain('No settings were found for example.net');
    expect(within(nothing).getAllByRole('listitem').map((li) => li.textContent)).toContain('_imaps._tcp.example.net');
    expect(field('imap-host').value).toBe('');
    expect(field('account-login').value).toBe('wei@example.net');
    expect(document.activeElement).toBe(field('imap-host'));

    // Sent incomplete: each missing field says what it needs, and nothing is sent.
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Sign in and add' }));
    expect(backend.callsOf('add_account')).toEqual([]);
    expect(dialog.textContent).toContain("Enter the server's name, such as mail.example.com.");
    expect(dialog.textContent).toContain('Enter your password.');
    expect(field('imap-host').getAttribute('aria-invalid')).toBe('true');
    expect(document.activeElement).toBe(field('imap-host'));

    await type('imap-host', 'imap.example.net');
    await type('smtp-host', 'smtp.example.net');
    // STARTTLS: the port left at the usual one follows.
    await fireEvent.change(screen.getByTestId('smtp-security'), { target: { value: 'starttls' } });
    expect(field('smtp-port').value).toBe('587');
    await type('account-password', WEI_PASSWORD);
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Sign in and add' }));
    await waitFor(() => expect(screen.queryByTestId('add-account-dialog')).toBeNull());
    expect(backend.callsOf('add_account')[0].account).toMatchObject({
      imap: { host: 'imap.example.net', port: 993, security: 'tls' },
      smtp: { host: 'smtp.example.net', port: 587, security: 'starttls' },
    });
    expect(backend.accountList.map((a) => a.email)).toEqual(['wei@example.net']);
  });

  it('refuses an address at a domain the policy does not allow before asking anything', async () => {
    const backend = selfService({ allowed_domains: ['example.com', 'example.org'] });
    renderApp(backend);
    const dialog = await startAdding();
    expect(dialog.textContent).toContain('Your organisation allows addresses at example.com and example.org.');

    await fireEvent.click(within(dialog).getByRole('button', { name: 'Find settings' }));
    const problem = within(dialog).getByTestId('identity-problem');
    expect(problem.textContent).toContain(
      "Addresses at example.net can't be added: your organisation allows only example.com or example.org.",
    );
    expect(field('account-email').getAttribute('aria-invalid')).toBe('true');
    expect(document.activeElement).toBe(field('account-email'));
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Enter settings manually' }));
    expect(screen.queryByTestId('add-account-settings')).toBeNull();

    await type('account-email', 'wei@');
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Find settings' }));
    expect(within(dialog).getByTestId('identity-problem').textContent).toContain('Enter an email address such as');
    expect(backend.callsOf('discover_account')).toEqual([]);
    expect(backend.callsOf('add_account')).toEqual([]);

    // An allowed address goes on.
    await type('account-email', 'wei@Example.org');
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Find settings' }));
    await within(dialog).findByTestId('nothing-found');
    expect(backend.callsOf('discover_account')).toEqual([{ email: 'wei@Example.org' }]);
  });

  it('keeps everything but the password when the server refuses the login, and says why', async () => {
    const backend = selfService();
    backend.discoverable.set('example.net', [EXAMPLE_NET]);
    renderApp(backend);
    const dialog = await startAdding();
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Find settings' }));
    await within(dialog).findByTestId('found-at');
    await type('imap-host', 'mail.example.net');
    backend.acceptLogin('mail.example.net', 'wei@example.net', WEI_PASSWORD);
    await type('account-password', 'wrong password');
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Sign in and add' }));

    const error = await within(dialog).findByTestId('add-account-error');
    expect(error.getAttribute('role')).toBe('alert');
    expect(error.textContent).toContain("The server didn't accept the user name or password.");
    expect(error.textContent).toContain('[AUTHENTICATIONFAILED]');
    expect(field('imap-host').value).toBe('mail.example.net');
    expect(field('smtp-host').value).toBe('smtp.example.net');
    expect(field('account-login').value).toBe('wei@example.net');
    expect(dialog.textContent).toContain('Wei Zhang');
    expect(field('account-password').value).toBe('');
    expect(document.activeElement).toBe(field('account-password'));
    expect(backend.accountList).toEqual([]);

    // Another failure keeps the password: only a refused password is typed again.
    backend.commandFailures.set('add_account', { code: 'server_unreachable', message: 'Cannot connect to mail.example.net' });
    await type('account-password', WEI_PASSWORD);
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Sign in and add' }));
    await waitFor(() =>
      expect(within(dialog).getByTestId('add-account-error').getAttribute('data-error-code')).toBe('server_unreachable'),
    );
    expect(within(dialog).getByTestId('add-account-error').textContent).toContain("Heron couldn't reach the server.");
    expect(field('account-password').value).toBe(WEI_PASSWORD);

    // Back to the address and on again: nothing typed is lost.
    backend.commandFailures.delete('add_account');
    await fireEvent.click(within(dialog).getByTestId('add-account-back'));
    expect(field('account-email').value).toBe('wei@example.net');
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Enter settings manually' }));
    expect(field('imap-host').value).toBe('mail.example.net');
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Sign in and add' }));
    await waitFor(() => expect(screen.queryByTestId('add-account-dialog')).toBeNull());
    expect(backend.accountList.map((a) => a.incoming)).toEqual(['imaps://mail.example.net:993']);
  });

  it('lets the user choose among several findings and warns about unverified ones', async () => {
    const backend = selfService();
    const srv: DiscoveredSettings = {
      ...EXAMPLE_NET,
      source: 'srv',
      found_at: '_imaps._tcp.example.net',
      unverified: true,
      provider: null,
      imap: { host: 'mx.example.net', port: 993, security: 'tls' },
      smtp: { host: 'mx.example.net', port: 465, security: 'tls' },
    };
    backend.discoverable.set('example.net', [EXAMPLE_NET, srv]);
    renderApp(backend);
    const dialog = await startAdding();
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Find settings' }));

    const choices = await within(dialog).findByTestId('found-choices');
    expect(choices.textContent).toContain('Heron found 2 sets of settings.');
    const radios = within(choices).getAllByRole('radio') as HTMLInputElement[];
    expect(radios.map((r) => r.checked)).toEqual([true, false]);
    expect(within(choices).getByText('Not verified')).toBeTruthy();

    await fireEvent.click(radios[1]);
    expect(field('imap-host').value).toBe('mx.example.net');
    expect(field('smtp-port').value).toBe('465');
    const warning = within(dialog).getByTestId('unverified-warning');
    expect(warning.textContent).toContain('Check these servers before you sign in');
    expect(warning.textContent).toContain('_imaps._tcp.example.net');
    expect(choices.textContent).toContain('Found in the DNS records _imaps._tcp.example.net');
    expect(screen.getByTestId('password-destination').textContent).toContain('sent only to mx.example.net,');

    await fireEvent.click(radios[0]);
    expect(field('imap-host').value).toBe('imap.example.net');
    expect(within(dialog).queryByTestId('unverified-warning')).toBeNull();
  });

  it('can stop looking, or go on by hand, and drops the late answer', async () => {
    const backend = selfService();
    backend.discoverable.set('example.net', [EXAMPLE_NET]);
    let answer = () => {};
    backend.gates.set('discover_account', new Promise<void>((resolve) => (answer = resolve)));
    renderApp(backend);
    const dialog = await startAdding();
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Find settings' }));

    const looking = within(dialog).getByTestId('add-account-discovering');
    expect(within(looking).getByRole('status').textContent).toContain('Looking up the mail servers for example.net');
    expect(looking.textContent).toContain('your password isn');
    expect(document.activeElement).toBe(within(dialog).getByRole('button', { name: 'Stop looking' }));
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Stop looking' }));
    expect(field('account-name').value).toBe('Wei Zhang');
    expect(field('account-email').value).toBe('wei@example.net');

    await fireEvent.click(within(dialog).getByRole('button', { name: 'Find settings' }));
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Enter settings manually' }));
    expect(screen.getByTestId('add-account-settings')).toBeTruthy();
    answer();
    await waitFor(() => expect(backend.callsOf('discover_account')).toHaveLength(2));
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(within(dialog).queryByTestId('found-at')).toBeNull();
    expect(field('imap-host').value).toBe('');
  });

  it('closes with Escape at any step and gives the focus back to the button that opened it', async () => {
    const backend = selfService();
    backend.accountList = [WEI_ACCOUNT];
    renderApp(backend);
    await fireEvent.click(screen.getByTestId('rail-settings'));
    const add = await screen.findByTestId('add-account');
    add.focus();
    await fireEvent.click(add);
    expect(document.activeElement).toBe(field('account-name'));
    await fireEvent.keyDown(document.activeElement!, { key: 'Escape' });
    expect(screen.queryByTestId('add-account-dialog')).toBeNull();
    await waitFor(() => expect(document.activeElement).toBe(add));
  });

  it('speaks Chinese in Chinese', async () => {
    localStorage.setItem(STORAGE_KEYS.language, 'zh-CN');
    renderApp(selfService());
    await fireEvent.click(await screen.findByRole('button', { name: '添加账户' }));
    const dialog = screen.getByTestId('add-account-dialog');
    expect(within(dialog).getByRole('heading', { name: '添加账户' })).toBeTruthy();
    expect(within(dialog).getByLabelText('邮箱地址')).toBeTruthy();
    expect(within(dialog).getByRole('button', { name: '查找设置' })).toBeTruthy();
  });
});

describe('accounts in Settings', () => {
  it('offers nothing the policy forbids', async () => {
    const backend = new FakeBackend();
    backend.user = ADA;
    backend.accountList = [ADA_ACCOUNT, WEI_ACCOUNT];
    renderApp(backend);
    await fireEvent.click(screen.getByTestId('rail-settings'));
    const card = screen.getByTestId('settings-accounts');
    await waitFor(() => expect(within(card).getAllByTestId('account')).toHaveLength(2));
    expect(within(card).queryByTestId('add-account')).toBeNull();
    expect(within(card).queryByTestId('account-remove')).toBeNull();
    expect(within(card).queryByTestId('account-sign-in')).toBeNull();
    expect(card.textContent).toContain('Accounts set up by your organisation are added and removed by your administrator.');
    const origins = within(card).getAllByTestId('account-origin').map((o) => o.textContent?.trim());
    expect(origins).toEqual(['Set up by your organisation', 'Added on this computer']);
  });

  it('says the organisation provides the accounts when none can be added', async () => {
    renderApp(new FakeBackend());
    expect(await screen.findByText('No mail account yet')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Add an account' })).toBeNull();
    await fireEvent.click(screen.getByRole('button', { name: 'View accounts' }));
    const card = screen.getByTestId('settings-accounts');
    expect(card.textContent).toContain('Your organisation provides the accounts for Heron.');
    expect(card.textContent).not.toContain('added and removed by your administrator');
  });

  it('offers adding, and removing only the accounts the user added, when the policy allows', async () => {
    const backend = selfService();
    backend.user = ADA;
    backend.accountList = [ADA_ACCOUNT, WEI_ACCOUNT];
    renderApp(backend);
    await fireEvent.click(screen.getByTestId('rail-settings'));
    const card = screen.getByTestId('settings-accounts');
    await waitFor(() => expect(within(card).getAllByTestId('account')).toHaveLength(2));
    expect(within(card).getByTestId('add-account')).toBeTruthy();
    const [ada, wei] = within(card).getAllByTestId('account');
    expect(within(ada).queryByRole('button', { name: /Remove/ })).toBeNull();
    expect(within(wei).getByRole('button', { name: 'Remove wei@example.net' })).toBeTruthy();
  });

  it('removes an account the user added once confirmed, and keeps it when cancelled', async () => {
    const backend = selfService();
    backend.user = ADA;
    backend.accountList = [ADA_ACCOUNT, WEI_ACCOUNT];
    backend.accountLogins.set('acct-wei', { host: 'imap.example.net', login: 'wei@example.net' });
    backend.folderList = [folder(1, 'INBOX', 'INBOX'), folder(21, 'INBOX', 'INBOX', 0, 'acct-wei')];
    renderApp(backend);
    await fireEvent.click(screen.getByTestId('rail-settings'));
    const card = screen.getByTestId('settings-accounts');
    const remove = await within(card).findByRole('button', { name: 'Remove wei@example.net' });

    await fireEvent.click(remove);
    const confirm = screen.getByTestId('remove-account');
    expect(confirm.getAttribute('role')).toBe('alertdialog');
    expect(within(confirm).getByRole('heading').textContent).toBe('Remove wei@example.net from Heron?');
    expect(confirm.textContent).toContain('downloaded mail, drafts, messages waiting in the outbox, and the saved password');
    expect(confirm.textContent).toContain('Your mail on the server is not touched.');
    // Cancel has the focus: Enter alone never removes anything.
    expect(document.activeElement?.textContent?.trim()).toBe('Cancel');
    await fireEvent.click(within(confirm).getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByTestId('remove-account')).toBeNull();
    expect(backend.callsOf('remove_account')).toEqual([]);

    await fireEvent.click(remove);
    await fireEvent.click(screen.getByTestId('remove-account-confirm'));
    await waitFor(() => expect(screen.queryByTestId('remove-account')).toBeNull());
    expect(backend.callsOf('remove_account')).toEqual([{ account: 'acct-wei' }]);
    await waitFor(() => expect(within(card).getAllByTestId('account')).toHaveLength(1));
    expect(card.textContent).not.toContain('wei@example.net');
    // The Remove button went with the account: the focus stays in the Accounts card.
    expect(document.activeElement).toBe(within(card).getByRole('heading', { name: 'Accounts' }));
    // The folders are loaded again without the removed account's.
    expect(backend.folderList.map((f) => f.account)).toEqual(['acct-ada']);
    await waitFor(() => expect(backend.callsOf('mail_folders').length).toBeGreaterThanOrEqual(2));
  });

  it('shows the core’s refusal in the confirmation and removes nothing', async () => {
    const backend = selfService();
    backend.accountList = [WEI_ACCOUNT];
    backend.commandFailures.set('remove_account', { code: 'not_allowed', message: 'The policy does not allow removing accounts' });
    renderApp(backend);
    await fireEvent.click(screen.getByTestId('rail-settings'));
    await fireEvent.click(await screen.findByRole('button', { name: 'Remove wei@example.net' }));
    await fireEvent.click(screen.getByTestId('remove-account-confirm'));
    const error = await screen.findByTestId('remove-account-error');
    expect(error.textContent).toContain("Your organisation doesn't allow removing this account.");
    expect(backend.accountList).toEqual([WEI_ACCOUNT]);
  });
});

describe('signing in', () => {
  function needingSignIn(): FakeBackend {
    const backend = new FakeBackend();
    backend.user = ADA;
    backend.accountList = [{ ...ADA_ACCOUNT, needs_sign_in: true }];
    backend.accountLogins.set('acct-ada', { host: 'imap.example.com', login: 'ada' });
    backend.acceptLogin('imap.example.com', 'ada', 'analytical engine');
    return backend;
  }

  it('asks in the mail view, and the banner goes once the server accepts the password', async () => {
    const backend = needingSignIn();
    renderApp(backend);
    const banner = await screen.findByTestId('sign-in-banner');
    expect(banner.textContent).toContain('Sign in to ada@example.com to get your mail');

    await fireEvent.click(within(banner).getByRole('button', { name: 'Sign in to ada@example.com' }));
    const dialog = screen.getByTestId('sign-in-dialog');
    expect(within(dialog).getByRole('heading').textContent).toBe('Sign in to ada@example.com');
    expect(dialog.textContent).toContain('imap.example.com');
    const password = within(dialog).getByLabelText('Password') as HTMLInputElement;
    expect(document.activeElement).toBe(password);

    await fireEvent.input(password, { target: { value: 'difference engine' } });
    await fireEvent.click(screen.getByTestId('sign-in-submit'));
    const error = await within(dialog).findByTestId('sign-in-error');
    expect(error.textContent).toContain("The server didn't accept the user name or password.");
    expect(password.value).toBe('');
    expect(screen.getByTestId('sign-in-banner')).toBeTruthy();

    await fireEvent.input(password, { target: { value: 'analytical engine' } });
    await fireEvent.click(screen.getByTestId('sign-in-submit'));
    await waitFor(() => expect(screen.queryByTestId('sign-in-dialog')).toBeNull());
    expect(backend.callsOf('sign_in')).toEqual([
      { account: 'acct-ada', password: 'difference engine' },
      { account: 'acct-ada', password: 'analytical engine' },
    ]);
    await waitFor(() => expect(screen.queryByTestId('sign-in-banner')).toBeNull());
  });

  it('asks again when the server refuses the stored password, in place of the sync error', async () => {
    const backend = needingSignIn();
    backend.accountList = [ADA_ACCOUNT];
    renderApp(backend);
    await waitFor(() => expect(backend.listenerCount('sync-state')).toBe(1));
    expect(screen.queryByTestId('sign-in-banner')).toBeNull();

    backend.syncStateList = [authFailed('acct-ada')];
    backend.emit('sync-state', authFailed('acct-ada'));
    expect(await screen.findByTestId('sign-in-banner')).toBeTruthy();
    expect(screen.queryByTestId('sync-banner')).toBeNull();

    await fireEvent.click(screen.getByTestId('rail-settings'));
    const status = within(screen.getByTestId('settings-accounts')).getByTestId('account-status');
    expect(status.textContent).toContain("The server didn't accept the saved password.");
    await fireEvent.click(within(status).getByRole('button', { name: 'Sign in to ada@example.com' }));
    const dialog = screen.getByTestId('sign-in-dialog');
    expect(dialog.textContent).toContain('It may have been changed');
    await fireEvent.input(within(dialog).getByLabelText('Password'), { target: { value: 'analytical engine' } });
    await fireEvent.click(screen.getByTestId('sign-in-submit'));
    await waitFor(() => expect(screen.queryByTestId('sign-in-dialog')).toBeNull());
    await waitFor(() => expect(status.getAttribute('data-sign-in')).toBeNull());
    await fireEvent.click(screen.getByTestId('rail-mail'));
    expect(screen.queryByTestId('sign-in-banner')).toBeNull();
  });

  it('signs in to an OAuth account in the browser, and says so while it waits', async () => {
    const backend = needingSignIn();
    backend.accountList = [{ ...ADA_ACCOUNT, auth: 'oauth2', needs_sign_in: true }];
    renderApp(backend);
    await fireEvent.click(within(await screen.findByTestId('sign-in-banner')).getByRole('button'));
    const dialog = screen.getByTestId('sign-in-dialog');
    expect(dialog.textContent).toContain("signs in through your organisation's sign-in page");
    expect(dialog.textContent).toContain('Heron never sees your password');
    expect(within(dialog).queryByLabelText('Password')).toBeNull();
    await fireEvent.click(within(dialog).getByTestId('sign-in-oauth'));
    expect(screen.getByTestId('sign-in-oauth-status').textContent).toContain('Waiting for you');
    await waitFor(() => expect(screen.queryByTestId('sign-in-dialog')).toBeNull());
    expect(backend.callsOf('sign_in_oauth')).toEqual([{ account: ADA_ACCOUNT.id }]);
    expect(backend.callsOf('sign_in')).toEqual([]);
    await waitFor(() => expect(screen.queryByTestId('sign-in-banner')).toBeNull());
  });

  it('shows a refusal from the sign-in page, and cancelling stops the wait', async () => {
    const backend = needingSignIn();
    backend.accountList = [{ ...ADA_ACCOUNT, auth: 'oauth2', needs_sign_in: true }];
    backend.oauthRefusals.add(ADA_ACCOUNT.id);
    renderApp(backend);
    await fireEvent.click(within(await screen.findByTestId('sign-in-banner')).getByRole('button'));
    await fireEvent.click(screen.getByTestId('sign-in-oauth'));
    const refusal = await screen.findByTestId('sign-in-error');
    expect(refusal.getAttribute('data-error-code')).toBe('authentication_failed');
    backend.oauthRefusals.clear();
    await fireEvent.click(screen.getByTestId('sign-in-oauth'));
    await fireEvent.click(within(screen.getByTestId('sign-in-dialog')).getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByTestId('sign-in-dialog')).toBeNull();
    await waitFor(() => expect(backend.callsOf('cancel_sign_in')).toHaveLength(1));
    expect(screen.getByTestId('sign-in-banner')).toBeTruthy();
  });
});
