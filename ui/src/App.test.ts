import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { beforeEach, describe, expect, it } from 'vitest';
import App from './App.svelte';
import { STORAGE_KEYS } from './lib/settings/Preferences.svelte';
import { ADA, ADA_ACCOUNT, BUILTIN_NOTICE, FakeBackend } from './test/FakeBackend';

const TODAY = new Date(2025, 10, 29, 9, 30);

function renderApp(backend = new FakeBackend()) {
  return render(App, { props: { backend, storage: localStorage, now: () => TODAY } });
}

function withAda(): FakeBackend {
  const backend = new FakeBackend();
  backend.user = ADA;
  backend.accountList = [ADA_ACCOUNT];
  backend.info = { version: '0.1.0', config_sources: ['/etc/heron/policy.json'], account_count: 1 };
  return backend;
}

beforeEach(() => {
  localStorage.clear();
  delete document.documentElement.dataset.theme;
});

describe('App shell', () => {
  it('does not call the backend before it is mounted', () => {
    const backend = new FakeBackend();
    expect(backend.calls).toEqual([]);
    renderApp(backend);
    expect(backend.calls.sort()).toEqual(['account_permissions', 'accounts', 'app_info', 'privacy_notice', 'profile']);
  });

  it('starts on Mail and switches sections from the rail', async () => {
    renderApp(withAda());
    expect(screen.getByTestId('section-mail')).toBeTruthy();
    expect(screen.getByTestId('rail-mail').getAttribute('aria-current')).toBe('page');

    for (const section of ['calendar', 'directory', 'settings', 'mail'] as const) {
      await fireEvent.click(screen.getByTestId(`rail-${section}`));
      const root = screen.getByTestId(`section-${section}`);
      expect(screen.getByTestId(`rail-${section}`).getAttribute('aria-current')).toBe('page');
      const others = ['mail', 'calendar', 'directory', 'settings'].filter((s) => s !== section);
      for (const other of others) {
        expect(screen.queryByTestId(`section-${other}`)).toBeNull();
        expect(screen.getByTestId(`rail-${other}`).hasAttribute('aria-current')).toBe(false);
      }
      expect(within(root).getByRole('heading', { level: 1 }).textContent).toBe(
        { mail: 'Mail', calendar: 'Calendar', directory: 'Directory', settings: 'Settings' }[
          section
        ],
      );
    }
  });

  it('shows the empty mailbox once an account exists', async () => {
    renderApp(withAda());
    expect(await screen.findByText('No messages yet')).toBeTruthy();
  });

  it('explains that the admin provisions accounts when there is none', async () => {
    renderApp(new FakeBackend());
    expect(await screen.findByText('No mail account yet')).toBeTruthy();
    await fireEvent.click(screen.getByRole('button', { name: 'View accounts' }));
    expect(screen.getByTestId('section-settings')).toBeTruthy();
    expect(screen.getByText('No accounts are set up yet.')).toBeTruthy();
  });

  it('shows today in the calendar in the active locale', async () => {
    renderApp();
    await fireEvent.click(screen.getByTestId('rail-calendar'));
    expect(screen.getByText('November 2025')).toBeTruthy();
    expect(screen.getByTestId('calendar-today').textContent).toContain('November 29, 2025');
    expect(screen.getByText('29').getAttribute('aria-current')).toBe('date');
  });

  it('keeps the directory search disabled with a hint', async () => {
    renderApp();
    await fireEvent.click(screen.getByTestId('rail-directory'));
    const search = screen.getByRole('searchbox', { name: 'Search the directory' });
    expect((search as HTMLInputElement).disabled).toBe(true);
    expect(screen.getByText(/administrator configures LDAP/)).toBeTruthy();
  });
});

describe('settings', () => {
  it('switching the language relabels the rail and sets <html lang>', async () => {
    renderApp();
    expect(document.documentElement.lang).toBe('en');
    await fireEvent.click(screen.getByTestId('rail-settings'));
    await fireEvent.change(screen.getByTestId('setting-language'), {
      target: { value: 'zh-CN' },
    });

    expect(screen.getByTestId('rail-mail').getAttribute('aria-label')).toBe('邮件');
    expect(screen.getByTestId('rail-calendar').getAttribute('aria-label')).toBe('日历');
    expect(screen.getByTestId('rail-directory').getAttribute('aria-label')).toBe('通讯录');
    expect(screen.getByTestId('rail-settings').getAttribute('aria-label')).toBe('设置');
    expect(within(screen.getByTestId('section-settings')).getByRole('heading', { level: 1 }).textContent).toBe('设置');
    expect(document.documentElement.lang).toBe('zh-CN');
    expect(localStorage.getItem(STORAGE_KEYS.language)).toBe('zh-CN');

    await fireEvent.click(screen.getByTestId('rail-calendar'));
    expect(screen.getByTestId('calendar-today').textContent).toContain('2025年11月29日');

    await fireEvent.click(screen.getByTestId('rail-settings'));
    await fireEvent.change(screen.getByTestId('setting-language'), { target: { value: 'system' } });
    expect(screen.getByTestId('rail-mail').getAttribute('aria-label')).toBe('Mail');
  });

  it('remembers the language across restarts', () => {
    localStorage.setItem(STORAGE_KEYS.language, 'zh-CN');
    renderApp();
    expect(screen.getByTestId('rail-mail').getAttribute('aria-label')).toBe('邮件');
  });

  it('applies the theme to <html> immediately', async () => {
    renderApp();
    await waitFor(() => expect(document.documentElement.dataset.theme).toBe('light'));
    await fireEvent.click(screen.getByTestId('rail-settings'));
    const theme = screen.getByTestId('setting-theme') as HTMLSelectElement;
    expect([...theme.options].map((o) => o.value)).toEqual(['system', 'light', 'dark']);
    const language = screen.getByTestId('setting-language') as HTMLSelectElement;
    expect([...language.options].map((o) => o.value)).toEqual(['system', 'en', 'zh-CN']);

    await fireEvent.change(theme, { target: { value: 'dark' } });
    expect(document.documentElement.dataset.theme).toBe('dark');
    expect(localStorage.getItem(STORAGE_KEYS.theme)).toBe('dark');
    await fireEvent.change(theme, { target: { value: 'light' } });
    expect(document.documentElement.dataset.theme).toBe('light');
  });

  it('follows the OS colour scheme while set to system', async () => {
    const listeners: (() => void)[] = [];
    const query = {
      matches: true,
      addEventListener: (_: string, listener: () => void) => listeners.push(listener),
      removeEventListener: () => {},
    };
    window.matchMedia = ((q: string) => {
      expect(q).toBe('(prefers-color-scheme: dark)');
      return query;
    }) as unknown as typeof window.matchMedia;
    try {
      renderApp();
      await waitFor(() => expect(document.documentElement.dataset.theme).toBe('dark'));
      query.matches = false;
      listeners.forEach((listener) => listener());
      await waitFor(() => expect(document.documentElement.dataset.theme).toBe('light'));
    } finally {
      delete (window as { matchMedia?: unknown }).matchMedia;
    }
  });

  it('lists accounts and the about details from the backend', async () => {
    renderApp(withAda());
    await fireEvent.click(screen.getByTestId('rail-settings'));
    const accounts = screen.getByTestId('settings-accounts');
    expect(await within(accounts).findByText('imaps://imap.example.com:993')).toBeTruthy();
    const about = screen.getByTestId('settings-about');
    expect(within(about).getByText('0.1.0')).toBeTruthy();
    expect(within(about).getByText('/etc/heron/policy.json')).toBeTruthy();
  });
});

describe('settings: account status', () => {
  it('shows each account’s sync state and follows the sync-state events', async () => {
    const backend = withAda();
    backend.syncStateList = [
      {
        account: 'acct-ada',
        state: 'idle',
        error: null,
        folder: null,
        done: 0,
        total: 0,
        last_success: Math.floor(new Date(2025, 10, 29, 9, 5).getTime() / 1000),
      },
    ];
    renderApp(backend);
    await waitFor(() => expect(backend.calls).toContain('sync_states'));
    await fireEvent.click(screen.getByTestId('rail-settings'));
    const status = () => within(screen.getByTestId('settings-accounts')).getByTestId('account-status');
    await waitFor(() => expect(status().textContent).toContain('Last synced Nov 29, 2025, 9:05 AM'));
    expect(status().getAttribute('data-state')).toBe('idle');

    backend.emit('sync-state', {
      account: 'acct-ada',
      state: 'syncing',
      error: null,
      folder: 'INBOX',
      done: 120,
      total: 4000,
      last_success: null,
    });
    await waitFor(() => expect(status().textContent).toContain('Syncing Inbox — 120 of 4,000'));
    expect(within(status()).getByRole('progressbar').getAttribute('aria-valuenow')).toBe('120');

    backend.emit('sync-state', {
      account: 'acct-ada',
      state: 'error',
      error: 'Login failed: the server said AUTHENTICATIONFAILED',
      folder: null,
      done: 0,
      total: 0,
      last_success: null,
    });
    await waitFor(() => expect(status().getAttribute('data-state')).toBe('error'));
    expect(status().textContent).toContain("Couldn't sync");
    expect(status().textContent).toContain('AUTHENTICATIONFAILED');
    await fireEvent.click(within(status()).getByRole('button', { name: 'Retry' }));
    expect(backend.callsOf('sync_now')).toHaveLength(1);

    backend.emit('sync-state', {
      account: 'acct-ada',
      state: 'offline',
      error: 'No route to host',
      folder: null,
      done: 0,
      total: 0,
      last_success: null,
    });
    await waitFor(() => expect(status().textContent).toContain('Offline.'));
    expect(status().textContent).toContain('No route to host');
  });

  it('says an account has not synced before its first sync, in Chinese too', async () => {
    localStorage.setItem(STORAGE_KEYS.language, 'zh-CN');
    renderApp(withAda());
    await fireEvent.click(screen.getByTestId('rail-settings'));
    const status = within(screen.getByTestId('settings-accounts')).getByTestId('account-status');
    expect(status.textContent?.trim()).toBe('尚未同步');
  });
});

describe('profile panel', () => {
  it('opens from the avatar, shows the profile, and closes with Esc', async () => {
    renderApp(withAda());
    const avatar = screen.getByTestId('avatar');
    await waitFor(() => expect(avatar.textContent).toContain('AL'));
    expect(avatar.getAttribute('aria-label')).toBe('Your profile: Ada Lovelace');

    avatar.focus();
    await fireEvent.click(avatar);
    const panel = screen.getByTestId('profile-panel');
    expect(panel.getAttribute('role')).toBe('dialog');
    expect(panel.getAttribute('aria-modal')).toBe('true');
    expect(panel.contains(document.activeElement)).toBe(true);
    for (const text of [
      'Ada Lovelace',
      'ada@example.com',
      'Analytical Engines',
      '+44 20 7946 0018',
      'acct-ada',
    ]) {
      expect(within(panel).getAllByText(text).length).toBeGreaterThan(0);
    }
    expect(within(panel).getByText(/managed by your organisation/)).toBeTruthy();

    await fireEvent.keyDown(document.activeElement!, { key: 'Escape' });
    expect(screen.queryByTestId('profile-panel')).toBeNull();
    await waitFor(() => expect(document.activeElement).toBe(avatar));
  });

  it('closes from its close button', async () => {
    renderApp(withAda());
    await fireEvent.click(screen.getByTestId('avatar'));
    await fireEvent.click(screen.getByRole('button', { name: 'Close' }));
    expect(screen.queryByTestId('profile-panel')).toBeNull();
  });

  it('keeps Tab inside the dialog', async () => {
    renderApp(withAda());
    await fireEvent.click(screen.getByTestId('avatar'));
    const close = screen.getByRole('button', { name: 'Close' });
    expect(document.activeElement).toBe(close);
    await fireEvent.keyDown(close, { key: 'Tab' });
    expect(document.activeElement).toBe(close);
    await fireEvent.keyDown(close, { key: 'Tab', shiftKey: true });
    expect(document.activeElement).toBe(close);
  });

  it('shows a Chinese name by its last character', async () => {
    const backend = withAda();
    backend.user = { ...ADA, display_name: '王小明', avatar_data_url: null };
    renderApp(backend);
    await waitFor(() => expect(screen.getByTestId('avatar').textContent?.trim()).toBe('明'));
  });

  it('shows the photo when the profile has one', async () => {
    const backend = withAda();
    backend.user = { ...ADA, avatar_data_url: 'data:image/png;base64,iVBORw0KGgo=' };
    renderApp(backend);
    await waitFor(() =>
      expect(screen.getByTestId('avatar').querySelector('img')?.getAttribute('src')).toBe(
        'data:image/png;base64,iVBORw0KGgo=',
      ),
    );
  });

  it('says no account is set up when there is no profile', async () => {
    renderApp(new FakeBackend());
    await fireEvent.click(screen.getByTestId('avatar'));
    const panel = screen.getByTestId('profile-panel');
    expect(within(panel).getByText('No account is set up yet')).toBeTruthy();
    expect(within(panel).getByText(/administrator provisions accounts/)).toBeTruthy();
  });
});

describe('error banner', () => {
  it('shows the message of an invalid_config error', async () => {
    const backend = new FakeBackend();
    backend.failure = {
      code: 'invalid_config',
      message: '/etc/heron/policy.json: line 4: unknown key "imap_hots"',
    };
    renderApp(backend);
    const banner = await screen.findByTestId('error-banner');
    expect(banner.getAttribute('role')).toBe('alert');
    expect(banner.getAttribute('data-error-code')).toBe('invalid_config');
    expect(banner.textContent).toContain('unknown key "imap_hots"');
    expect(banner.textContent).toContain('configuration could not be read');
  });

  it('goes away when a retry succeeds', async () => {
    const backend = new FakeBackend();
    backend.failure = { code: 'not_found', message: 'No such account' };
    renderApp(backend);
    await screen.findByTestId('error-banner');
    backend.failure = null;
    await fireEvent.click(screen.getByRole('button', { name: 'Try again' }));
    await waitFor(() => expect(screen.queryByTestId('error-banner')).toBeNull());
  });
});

/** Whether the app behind a modal is unreachable (`inert`, as property or attribute). */
function appIsInert(): boolean {
  const frame = screen.getByTestId('rail-mail').closest('.frame') as HTMLElement & {
    inert?: boolean;
  };
  return frame.inert === true || frame.hasAttribute('inert');
}

function needingConsent(): FakeBackend {
  const backend = withAda();
  backend.notice = { ...BUILTIN_NOTICE };
  return backend;
}

describe('privacy notice', () => {
  it('blocks the app on first run with the notice, its version and dates', async () => {
    renderApp(needingConsent());
    const dialog = await screen.findByTestId('privacy-notice');
    expect(dialog.getAttribute('role')).toBe('dialog');
    expect(dialog.getAttribute('aria-modal')).toBe('true');
    expect(dialog.contains(document.activeElement)).toBe(true);
    expect(within(dialog).getByText('Heron sends no telemetry.')).toBeTruthy();
    expect(screen.getByTestId('privacy-notice-version').textContent).toBe('2026-11-01');
    expect(within(dialog).getAllByText('November 1, 2026')).toHaveLength(2);
    expect(appIsInert()).toBe(true);
  });

  it('shows the built-in notice in Chinese when the UI is in Chinese', async () => {
    localStorage.setItem(STORAGE_KEYS.language, 'zh-CN');
    renderApp(needingConsent());
    const dialog = await screen.findByTestId('privacy-notice');
    expect(within(dialog).getByText('Heron 不发送遥测数据。')).toBeTruthy();
    expect(within(dialog).getAllByText('2026年11月1日')).toHaveLength(2);
  });

  it('says which version was accepted before when the notice changed', async () => {
    const backend = needingConsent();
    backend.notice = {
      ...BUILTIN_NOTICE,
      source: 'policy',
      version: 'v2',
      text_zh: null,
      contact: 'privacy@corp.example',
      previous_accepted_version: 'v1',
    };
    renderApp(backend);
    expect((await screen.findByTestId('privacy-notice-changed')).textContent).toContain(
      'accepted version v1',
    );
    expect(screen.getByText('privacy@corp.example')).toBeTruthy();
  });

  it('accepting calls the backend and closes the notice', async () => {
    const backend = needingConsent();
    renderApp(backend);
    await fireEvent.click(await screen.findByTestId('privacy-accept'));
    await waitFor(() => expect(screen.queryByTestId('privacy-notice')).toBeNull());
    expect(backend.calls).toContain('accept_privacy_notice:2026-11-01');
    expect(appIsInert()).toBe(false);
  });

  it('declining explains why, Back returns, and Quit quits', async () => {
    const backend = needingConsent();
    renderApp(backend);
    await fireEvent.click(await screen.findByTestId('privacy-decline'));
    const declined = screen.getByTestId('privacy-declined');
    expect(declined.textContent).toContain('Nothing has been synced');
    expect(declined.textContent).toContain("your organisation's IT support");
    expect(screen.getByText('Heron cannot be used without accepting')).toBeTruthy();

    await fireEvent.click(screen.getByTestId('privacy-back'));
    expect(screen.getByTestId('privacy-accept')).toBeTruthy();

    await fireEvent.click(screen.getByTestId('privacy-decline'));
    await fireEvent.click(screen.getByTestId('privacy-quit'));
    expect(backend.calls).toContain('quit_app');
    expect(backend.calls.some((c) => c.startsWith('accept_privacy_notice'))).toBe(false);
  });

  it('Settings > Privacy shows the accepted version and what is kept locally', async () => {
    renderApp(withAda());
    await fireEvent.click(screen.getByTestId('rail-settings'));
    await waitFor(() =>
      expect(screen.getByTestId('privacy-accepted').textContent).toContain('version 2026-11-01'),
    );
    expect(screen.getByTestId('privacy-accepted').textContent).toContain('2026');
    const stored = within(screen.getByTestId('privacy-stored')).getAllByRole('listitem');
    expect(stored).toHaveLength(4);
    expect(screen.getByText('None of it is sent anywhere by Heron.')).toBeTruthy();
  });

  it('Settings > Privacy exports the user’s diagnostics where they choose, and says so', async () => {
    const backend = withAda();
    renderApp(backend);
    await fireEvent.click(screen.getByTestId('rail-settings'));
    const button = await screen.findByTestId('export-diagnostics');
    expect(button.textContent).toContain('Export diagnostics');

    backend.diagnosticsPath = null; // the user cancels the save dialog
    await fireEvent.click(button);
    await waitFor(() => expect(backend.callsOf('export_diagnostics')).toHaveLength(1));
    expect(screen.queryByTestId('diagnostics-exported')).toBeNull();

    backend.diagnosticsPath = '/home/ada/Downloads/heron-diagnostics.json';
    await fireEvent.click(button);
    expect((await screen.findByTestId('diagnostics-exported')).textContent).toContain(
      '/home/ada/Downloads/heron-diagnostics.json',
    );

    backend.commandFailures.set('export_diagnostics', { code: 'disk_full', message: 'No space left on device' });
    await fireEvent.click(button);
    expect((await screen.findByTestId('diagnostics-error')).textContent).toContain('No space left on device');
  });
});
