import { describe, expect, it, vi } from 'vitest';
import { FakeBackend } from '../../test/FakeBackend';
import { AdminChanges } from './AdminChanges.svelte';

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('AdminChanges', () => {
  it('lists a removed account once when the start and the event both tell of it', async () => {
    const backend = new FakeBackend();
    backend.removedAccountList = [{ account: 'acct-old', wiped_at: 1 }];
    const reload = vi.fn();
    const changes = new AdminChanges(backend, reload);
    changes.listen();
    await flush();
    backend.emit('accounts-removed', [
      { account: 'acct-old', wiped_at: 1 },
      { account: 'acct-new', wiped_at: 2 },
    ]);
    await changes.loadRemoved();
    await changes.loadRemoved();
    expect(changes.removed.map((r) => r.account)).toEqual(['acct-old', 'acct-new']);
    expect(backend.callsOf('removed_accounts')).toHaveLength(1);
    expect(reload).toHaveBeenCalledWith(['accounts.acct-old', 'accounts.acct-new']);
    changes.dispose();
    expect(backend.listenerCount('accounts-removed')).toBe(0);
  });

  it('hides the notice even when the acknowledgement cannot be recorded, and logs why', async () => {
    const backend = new FakeBackend();
    backend.removedAccountList = [{ account: 'acct-old', wiped_at: 1 }];
    backend.commandFailures.set('acknowledge_removed_accounts', { code: 'storage_failed', message: 'disk I/O error' });
    const warn = vi.fn();
    const changes = new AdminChanges(backend, () => {}, warn);
    await changes.loadRemoved();
    await changes.acknowledge();
    expect(changes.removed).toEqual([]);
    expect(warn).toHaveBeenCalledWith(expect.any(String), 'disk I/O error');
  });

  it('passes the changed keys on, and takes the quiet notice away after a while', async () => {
    vi.useFakeTimers();
    try {
      const backend = new FakeBackend();
      const reload = vi.fn();
      const changes = new AdminChanges(backend, reload);
      changes.listen();
      await vi.advanceTimersByTimeAsync(0);
      backend.emit('policy-changed', { kind: 'changed', keys: ['privacy_notice', 'sync.interval'] });
      expect(reload).toHaveBeenCalledWith(['privacy_notice', 'sync.interval']);
      expect(changes.policyUpdated).toBe(true);
      await vi.advanceTimersByTimeAsync(8000);
      expect(changes.policyUpdated).toBe(false);
      changes.dispose();
    } finally {
      vi.useRealTimers();
    }
  });
});
