import { describe, expect, it } from 'vitest';
import { FakeBackend, messages } from '../../test/FakeBackend';
import { MessageList, WINDOW_SIZE } from './MessageList.svelte';

const FOLDER = 3;

function backendWith(count: number): FakeBackend {
  const backend = new FakeBackend();
  backend.messages.set(FOLDER, messages(FOLDER, count, 1));
  return backend;
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('MessageList', () => {
  it('caches windows and asks for each once', async () => {
    const backend = backendWith(450);
    const list = new MessageList(backend);
    await list.open(FOLDER);
    expect(list.count).toBe(450);
    list.ensureRange(0, 30);
    list.ensureRange(180, 230);
    list.ensureRange(190, 240);
    await flush();
    expect(backend.callsOf('mail_window').map((c) => c.offset)).toEqual([0, 100, 200]);
    expect(list.rowAt(199)?.id).toBe(200);
    expect(list.rowAt(300)).toBeUndefined();
  });

  it('closes the gap of removed rows, and refetches the windows left short', async () => {
    const backend = backendWith(250);
    const list = new MessageList(backend);
    await list.open(FOLDER);
    list.ensureRange(90, 110);
    await flush();
    list.selectOnly(98);
    list.selectRange(101);
    const snapshot = list.removeRows([99, 100, 101, 102]);
    expect(list.total).toBe(246);
    expect(list.rowAt(97)?.id).toBe(98);
    expect(list.rowAt(98)?.id).toBe(103);
    // Window 1 lost four rows off its end: they are fetched again when shown.
    expect(list.rowAt(196)).toBeUndefined();
    expect(list.selected.size).toBe(0);
    expect(list.focus).toBe(98);

    backend.removeForTest([99, 100, 101, 102]);
    list.ensureRange(180, 200);
    await flush();
    expect(backend.callsOf('mail_window').map((c) => c.offset)).toEqual([0, 100, 100]);
    expect(list.rowAt(196)?.id).toBe(201);

    list.restore(snapshot);
    expect(list.total).toBe(250);
    expect(list.rowAt(98)?.id).toBe(99);
    expect([...list.selected]).toEqual([99, 100, 101, 102]);
  });

  it('drops an answer that comes after the folder changed', async () => {
    const backend = backendWith(300);
    backend.messages.set(9, messages(9, 3, 9001));
    const list = new MessageList(backend);
    await list.open(FOLDER);
    let release = () => {};
    backend.gates.set('mail_window', new Promise<void>((resolve) => (release = resolve)));
    list.ensureRange(WINDOW_SIZE, WINDOW_SIZE + 10);
    const opening = list.open(9);
    release();
    await opening;
    await flush();
    expect(list.folder).toBe(9);
    expect(list.count).toBe(3);
    expect(list.rowAt(0)?.id).toBe(9001);
    expect(list.rowAt(WINDOW_SIZE)).toBeUndefined();
  });

  it('drops the windows of the old order when sorted, and the answers still on their way', async () => {
    const backend = backendWith(250);
    const list = new MessageList(backend);
    await list.open(FOLDER);
    list.ensureRange(100, 120);
    await flush();
    expect(list.rowAt(100)?.id).toBe(101);

    let release = () => {};
    backend.gates.set('mail_window', new Promise<void>((resolve) => (release = resolve)));
    list.ensureRange(200, 220);
    // The old order's window 2 answers first, after the sort: it is dropped.
    const sorting = list.setOrder('oldest_first');
    release();
    await sorting;
    await flush();
    expect(list.order).toBe('oldest_first');
    expect(backend.callsOf('mail_window').slice(-2)).toEqual([
      { folder: FOLDER, offset: 200, limit: WINDOW_SIZE, order: 'newest_first' },
      { folder: FOLDER, offset: 0, limit: WINDOW_SIZE, order: 'oldest_first' },
    ]);
    // Only the new first window is known: the newest-first rows are gone from the cache.
    expect([...list.windows.keys()]).toEqual([0]);
    expect(list.rowAt(0)?.id).toBe(250);
    expect(list.rowAt(100)).toBeUndefined();
    expect(list.rowAt(200)).toBeUndefined();

    // The same order again asks for nothing.
    await list.setOrder('oldest_first');
    expect(backend.callsOf('mail_window')).toHaveLength(4);
  });

  it('finds the conversation row that stands for a message', async () => {
    const backend = new FakeBackend();
    const rows = messages(FOLDER, 4, 1).map((row, k) => ({ ...row, thread_id: k < 3 ? 'plan' : 'other' }));
    backend.messages.set(FOLDER, rows);
    const list = new MessageList(backend, 'conversations');
    await list.open(FOLDER);
    expect(list.count).toBe(2);
    expect(list.rowAt(0)?.conversation).toEqual({ ids: [1, 2, 3], count: 3, unread: 0, flagged: false, has_attachments: false });
    expect(list.rowHolding(3)?.id).toBe(1);
    expect(list.rowHolding(4)?.id).toBe(4);
    expect(list.rowById(3)).toBeUndefined();
    expect(list.rowHolding(99)).toBeUndefined();
  });
});
