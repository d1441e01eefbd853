import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { beforeEach, describe, expect, it } from 'vitest';
import App from '../../App.svelte';
import {
  ADA,
  ADA_ACCOUNT,
  BUILTIN_NOTICE,
  FakeBackend,
  STORE_DAMAGED,
  STORE_KEY_FILE,
  STORE_KEY_MISSING,
  STORE_NO_KEYRING,
  STORE_READY,
} from '../../test/FakeBackend';
import { STORAGE_KEYS } from '../settings/Preferences.svelte';
import { formatSize } from './size';

function backendWith(storeState = STORE_READY): FakeBackend {
  const backend = new FakeBackend();
  backend.user = ADA;
  backend.accountList = [ADA_ACCOUNT];
  backend.storeState = storeState;
  return backend;
}

function renderApp(backend: FakeBackend) {
  return render(App, { props: { backend, storage: localStorage, now: () => new Date(2025, 10, 29) } });
}

function appIsInert(): boolean {
  const frame = screen.getByTestId('rail-mail').closest('.frame') as HTMLElement & { inert?: boolean };
  return frame.inert === true || frame.hasAttribute('inert');
}

function storeCalls(backend: FakeBackend): string[] {
  return backend.calls.filter((c) => c.includes('local_store'));
}

/** A promise the test resolves when it has looked at the window mid-rebuild. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open = () => {};
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

beforeEach(() => {
  localStorage.clear();
});

describe('local store at start', () => {
  it('is asked for once, and only after the privacy notice is accepted', async () => {
    const backend = backendWith();
    backend.notice = { ...BUILTIN_NOTICE };
    renderApp(backend);
    await screen.findByTestId('privacy-notice');
    expect(storeCalls(backend)).toEqual([]);

    await fireEvent.click(screen.getByTestId('privacy-accept'));
    await waitFor(() => expect(storeCalls(backend)).toEqual(['local_store_state']));
    await fireEvent.click(screen.getByTestId('rail-settings'));
    await fireEvent.click(screen.getByTestId('rail-mail'));
    expect(storeCalls(backend)).toEqual(['local_store_state']);
  });

  it('shows nothing when the store opens with its key in the OS keyring', async () => {
    const backend = backendWith(STORE_READY);
    renderApp(backend);
    await waitFor(() => expect(storeCalls(backend)).toEqual(['local_store_state']));
    expect(screen.queryByTestId('store-warning')).toBeNull();
    expect(screen.queryByTestId('store-dialog')).toBeNull();
    expect(appIsInert()).toBe(false);
  });
});

describe('key-file warning', () => {
  it('says what the key file means and what to do, without blocking the window', async () => {
    renderApp(backendWith(STORE_KEY_FILE));
    const banner = await screen.findByTestId('store-warning');
    expect(banner.getAttribute('role')).toBe('status');
    expect(banner.textContent).toContain("Heron's key is in a file on this computer");
    expect(banner.textContent).toContain('Anyone who can read your files can read your cached mail.');
    expect(banner.textContent).toContain('Ask IT to set up a keyring (Secret Service).');
    expect(banner.textContent).toContain('/home/ada/.config/heron/keys');
    expect(banner.getAttribute('aria-labelledby')).toBeTruthy();
    expect(appIsInert()).toBe(false);
    expect(screen.queryByTestId('store-dialog')).toBeNull();

    // The rest of the window works with the warning up.
    await fireEvent.click(screen.getByTestId('rail-settings'));
    expect(screen.getByTestId('section-settings')).toBeTruthy();
    expect(screen.getByTestId('store-warning')).toBeTruthy();
  });

  it('is dismissed for this session with a labelled button', async () => {
    renderApp(backendWith(STORE_KEY_FILE));
    await screen.findByTestId('store-warning');
    const dismiss = screen.getByRole('button', { name: 'Dismiss this warning until Heron restarts' });
    await fireEvent.click(dismiss);
    expect(screen.queryByTestId('store-warning')).toBeNull();
  });

  it('comes back at the next start', async () => {
    const backend = backendWith(STORE_KEY_FILE);
    const first = renderApp(backend);
    await fireEvent.click(await screen.findByTestId('store-warning-dismiss'));
    first.unmount();
    renderApp(backend);
    expect(await screen.findByTestId('store-warning')).toBeTruthy();
  });

  it('is in Chinese when the UI is', async () => {
    localStorage.setItem(STORAGE_KEYS.language, 'zh-CN');
    renderApp(backendWith(STORE_KEY_FILE));
    const banner = await screen.findByTestId('store-warning');
    expect(banner.textContent).toContain('Heron 的密钥保存在这台电脑上的一个文件中');
    expect(banner.textContent).toContain('请联系 IT 部门配置密钥环（Secret Service）。');
    expect(screen.getByRole('button', { name: '关闭此警告，直到 Heron 重新启动' })).toBeTruthy();
  });
});

describe('unreadable store dialog', () => {
  it('blocks the window and says why and what a rebuild would delete', async () => {
    renderApp(backendWith(STORE_KEY_MISSING));
    const dialog = await screen.findByTestId('store-dialog');
    expect(dialog.getAttribute('role')).toBe('alertdialog');
    expect(dialog.getAttribute('aria-modal')).toBe('true');
    const title = document.getElementById(dialog.getAttribute('aria-labelledby')!);
    expect(title?.textContent).toBe("Heron can't open its local copy of your mail");
    const description = document.getElementById(dialog.getAttribute('aria-describedby')!);
    expect(description?.textContent).toContain('Its key is missing from the system keyring');
    expect(appIsInert()).toBe(true);
    expect(dialog.contains(document.activeElement)).toBe(true);

    const loss = within(dialog).getByTestId('store-loss');
    expect(loss.textContent).toContain('52 MB');
    expect(loss.textContent).toContain('734 MB in 1,204 files');
    expect(within(dialog).getByTestId('store-unsent-at-risk').textContent).toContain(
      'Unsent messages and drafts that were not saved to the server may be lost.',
    );
    expect(within(dialog).getByRole('button', { name: 'Rebuild from the server' })).toBeTruthy();
    expect(within(dialog).getByRole('button', { name: 'Quit Heron' })).toBeTruthy();
  });

  it('shows the damaged reason and the core’s words, and no unsent line when none are at risk', async () => {
    renderApp(backendWith(STORE_DAMAGED));
    const dialog = await screen.findByTestId('store-dialog');
    expect(within(dialog).getByTestId('store-reason').textContent).toContain(
      "doesn't open it, or the file is damaged",
    );
    expect(within(dialog).queryByTestId('store-unsent-at-risk')).toBeNull();
    expect(within(dialog).getByTestId('store-loss').textContent).toContain('2 kB in 1 file');
    expect(within(dialog).getByTestId('store-message').textContent).toContain(
      'cipher_integrity_check: 46 problems',
    );
  });

  it('says None when no messages were downloaded yet', async () => {
    renderApp(
      backendWith({ ...STORE_DAMAGED, loss: { ...STORE_DAMAGED.loss, blob_files: 0, blob_bytes: 0 } }),
    );
    const loss = await screen.findByTestId('store-loss');
    expect(loss.textContent).toContain('188 kB');
    expect(within(loss).getByText('None')).toBeTruthy();
  });

  it('is not dismissed by Escape, and Tab stays inside', async () => {
    renderApp(backendWith(STORE_KEY_MISSING));
    const dialog = await screen.findByTestId('store-dialog');
    await fireEvent.keyDown(document.activeElement!, { key: 'Escape' });
    expect(screen.getByTestId('store-dialog')).toBeTruthy();

    const quit = within(dialog).getByRole('button', { name: 'Quit Heron' });
    const rebuild = within(dialog).getByRole('button', { name: 'Rebuild from the server' });
    const summary = dialog.querySelector('summary')!;
    await fireEvent.keyDown(dialog, { key: 'Tab' });
    expect(document.activeElement).toBe(summary);
    rebuild.focus();
    await fireEvent.keyDown(rebuild, { key: 'Tab' });
    expect(document.activeElement).toBe(summary);
    await fireEvent.keyDown(summary, { key: 'Tab', shiftKey: true });
    expect(document.activeElement).toBe(rebuild);
    expect(quit).toBeTruthy();
  });

  it('rebuilds once, however often it is clicked, then unblocks the window', async () => {
    const backend = backendWith(STORE_KEY_MISSING);
    const wait = gate();
    backend.rebuildGate = wait.promise;
    renderApp(backend);
    const rebuild = await screen.findByTestId('store-rebuild');
    await fireEvent.click(rebuild);
    await fireEvent.click(rebuild);
    expect(rebuild.textContent?.trim()).toBe('Rebuilding…');
    expect((rebuild as HTMLButtonElement).disabled).toBe(true);
    expect((screen.getByTestId('store-quit') as HTMLButtonElement).disabled).toBe(true);

    wait.open();
    await waitFor(() => expect(screen.queryByTestId('store-dialog')).toBeNull());
    expect(storeCalls(backend)).toEqual(['local_store_state', 'rebuild_local_store']);
    expect(appIsInert()).toBe(false);
    expect(screen.getByTestId('store-rebuilt').textContent).toContain(
      'Your mail downloads again from the server at the next sync.',
    );
    await fireEvent.click(screen.getByRole('button', { name: 'Dismiss this message' }));
    expect(screen.queryByTestId('store-rebuilt')).toBeNull();
  });

  it('shows why a rebuild failed and lets the user try again', async () => {
    const backend = backendWith(STORE_KEY_MISSING);
    backend.rebuildOutcome = {
      error: { code: 'wipe_incomplete', message: 'Wipe did not finish: 1 file left' },
    };
    renderApp(backend);
    await fireEvent.click(await screen.findByTestId('store-rebuild'));
    const error = await screen.findByTestId('store-action-error');
    expect(error.getAttribute('role')).toBe('alert');
    expect(error.textContent).toContain("The local copy couldn't be rebuilt.");
    expect(error.textContent).toContain('Wipe did not finish: 1 file left');
    expect(screen.getByTestId('store-dialog')).toBeTruthy();
    expect(appIsInert()).toBe(true);

    backend.rebuildOutcome = { state: STORE_READY };
    await fireEvent.click(screen.getByTestId('store-rebuild'));
    await waitFor(() => expect(screen.queryByTestId('store-dialog')).toBeNull());
  });

  it('says when another Heron holds the data, by its code', async () => {
    const backend = backendWith(STORE_KEY_MISSING);
    backend.rebuildOutcome = { error: { code: 'already_running', message: 'Heron is already running' } };
    renderApp(backend);
    await fireEvent.click(await screen.findByTestId('store-rebuild'));
    expect((await screen.findByTestId('store-action-error')).textContent).toContain(
      'Another Heron (a window or heronctl) is using this data.',
    );
  });

  it('shows the store as it is now when the rebuild is refused as a conflict', async () => {
    const backend = backendWith(STORE_KEY_MISSING);
    backend.rebuildOutcome = { error: { code: 'conflict', message: 'The local cache opens normally' } };
    renderApp(backend);
    const rebuild = await screen.findByTestId('store-rebuild');
    backend.storeState = STORE_READY; // e.g. the keyring was unlocked meanwhile
    await fireEvent.click(rebuild);
    await waitFor(() => expect(screen.queryByTestId('store-dialog')).toBeNull());
    expect(screen.queryByTestId('store-action-error')).toBeNull();
    expect(storeCalls(backend)).toEqual(['local_store_state', 'rebuild_local_store', 'local_store_state']);
  });

  it('quits with the quit command', async () => {
    const backend = backendWith(STORE_KEY_MISSING);
    renderApp(backend);
    await fireEvent.click(await screen.findByTestId('store-quit'));
    expect(backend.calls).toContain('quit_app');
    expect(backend.calls).not.toContain('rebuild_local_store');
  });

  it('is in Chinese when the UI is', async () => {
    localStorage.setItem(STORAGE_KEYS.language, 'zh-CN');
    renderApp(backendWith(STORE_KEY_MISSING));
    const dialog = await screen.findByTestId('store-dialog');
    expect(dialog.textContent).toContain('Heron 无法打开邮件的本地副本');
    expect(dialog.textContent).toContain('尚未发送的邮件和未保存到服务器的草稿可能会丢失。');
    expect(within(dialog).getByTestId('store-loss').textContent).toContain('734 MB，共 1,204 个文件');
    expect(within(dialog).getByRole('button', { name: '从服务器重建' })).toBeTruthy();
    expect(within(dialog).getByRole('button', { name: '退出 Heron' })).toBeTruthy();
  });
});

describe('keyring unavailable dialog', () => {
  it('blocks the window with the cause and the fix, and offers only to quit', async () => {
    const backend = backendWith(STORE_NO_KEYRING);
    renderApp(backend);
    const dialog = await screen.findByTestId('store-dialog');
    expect(dialog.getAttribute('data-state')).toBe('keyring_unavailable');
    expect(dialog.textContent).toContain("Heron can't reach the system keyring");
    expect(dialog.textContent).toContain('Secret Service, such as gnome-keyring');
    expect(within(dialog).getByTestId('store-message').textContent).toContain('no Secret Service');
    expect(within(dialog).queryByTestId('store-rebuild')).toBeNull();
    expect(appIsInert()).toBe(true);

    await fireEvent.keyDown(document.activeElement!, { key: 'Escape' });
    expect(screen.getByTestId('store-dialog')).toBeTruthy();
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Quit Heron' }));
    expect(backend.calls).toContain('quit_app');
  });
});

describe('other store errors', () => {
  it('show a banner by their code, and Try again asks again', async () => {
    const backend = backendWith({ state: 'error', code: 'disk_full', message: 'The disk is full (ENOSPC)' });
    renderApp(backend);
    const banner = await screen.findByTestId('error-banner');
    expect(banner.getAttribute('data-error-code')).toBe('disk_full');
    expect(banner.textContent).toContain('The disk is full');
    expect(banner.textContent).toContain('ENOSPC');
    expect(appIsInert()).toBe(false);

    backend.storeState = STORE_READY;
    await fireEvent.click(within(banner).getByRole('button', { name: 'Try again' }));
    await waitFor(() => expect(screen.queryByTestId('error-banner')).toBeNull());
  });
});

describe('formatSize', () => {
  it('uses decimal units with at most one decimal under ten', () => {
    expect(formatSize(0, 'en')).toBe('0 kB');
    expect(formatSize(512, 'en')).toBe('0.5 kB');
    expect(formatSize(188_416, 'en')).toBe('188 kB');
    expect(formatSize(52_428_800, 'en')).toBe('52 MB');
    expect(formatSize(1_234_567_890, 'en')).toBe('1.2 GB');
    expect(formatSize(1_234_567_890, 'zh-CN')).toBe('1.2 GB');
  });
});
