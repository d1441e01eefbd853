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
