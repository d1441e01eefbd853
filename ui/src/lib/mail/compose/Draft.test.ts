import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ComposerInput } from '../../backend/composeTypes';
import { FakeBackend, composerState } from '../../../test/FakeBackend';
import { AUTOSAVE_DELAY_MS, Draft } from './Draft.svelte';

afterEach(() => {
  vi.useRealTimers();
});

function saves(backend: FakeBackend): ComposerInput[] {
  return backend.callsOf('save_draft').map((args) => args.input as ComposerInput);
}

describe('Draft', () => {
  it('saves once changes pause, and never runs two saves at once', async () => {
    vi.useFakeTimers();
    const backend = new FakeBackend();
    let release = () => {};
    backend.gates.set('save_draft', new Promise<void>((resolve) => (release = resolve)));
    const draft = new Draft(backend, composerState(), 'new');

    draft.edit({ subject: 'P' });
    await vi.advanceTimersByTimeAsync(AUTOSAVE_DELAY_MS - 100);
    draft.edit({ subject: 'Plan' });
    await vi.advanceTimersByTimeAsync(AUTOSAVE_DELAY_MS - 100);
    expect(saves(backend)).toEqual([]);
    await vi.advanceTimersByTimeAsync(100);
    expect(saves(backend).map((s) => s.subject)).toEqual(['Plan']);
    expect(draft.status).toEqual({ state: 'saving' });

    // A change during the save waits for it, then goes with the id the first save got.
    draft.edit({ subject: 'Plan B' });
    await vi.advanceTimersByTimeAsync(AUTOSAVE_DELAY_MS);
    expect(saves(backend)).toHaveLength(1);
    release();
    await vi.advanceTimersByTimeAsync(0);
    expect(saves(backend).map((s) => [s.draft_id, s.subject])).toEqual([
      [null, 'Plan'],
      [9001, 'Plan B'],
    ]);
    expect(draft.draftId).toBe(9001);
    expect(draft.dirty).toBe(false);
    expect(draft.status).toEqual({ state: 'saved', at: backend.savedAt });
    draft.dispose();
  });

  it('keeps the changes when a save fails, and saves them on retry', async () => {
    const backend = new FakeBackend();
    backend.commandFailures.set('save_draft', { code: 'disk_full', message: 'No space left on device' });
    const draft = new Draft(backend, composerState(), 'new');
    draft.edit({ to: 'wei@example.com' });
    expect(await draft.save()).toBe(false);
    expect(draft.status).toEqual({ state: 'failed', error: { code: 'disk_full', message: 'No space left on device' } });
    expect(draft.dirty).toBe(true);
    expect(await draft.flush(false)).toBe(false);

    backend.commandFailures.clear();
    expect(await draft.save()).toBe(true);
    // Tried by save, by flush, and by the retry that worked.
    expect(saves(backend)).toHaveLength(3);
    expect(saves(backend)[2].to).toBe('wei@example.com');
    expect(draft.dirty).toBe(false);
    draft.dispose();
  });

  it('sends new files once, refuses those past the limit, and sends removals', async () => {
    const backend = new FakeBackend();
    const old = { blob: 'blob-old', file_name: 'old.txt', content_type: 'text/plain', size: 4, inline: false };
    const draft = new Draft(backend, composerState({ draft_id: 5, attachment_limit: 10, attachments: [old] }), 'draft');
    backend.draftAttachments.set(5, [old]);

    // 4 + 5 bytes fit in 10; 6 more do not.
    await draft.addFiles([new File(['hello'], 'a.txt', { type: 'text/plain' }), new File(['world!'], 'b.bin')]);
    expect(draft.added.map((a) => a.file_name)).toEqual(['a.txt']);
    expect(draft.refused).toEqual([{ name: 'b.bin', reason: 'too_large' }]);
    expect(draft.fits(1)).toBe(true);
    expect(draft.fits(2)).toBe(false);

    draft.removeAttachment(old);
    expect(draft.listed).toEqual([]);
    expect(await draft.save()).toBe(true);
    expect(saves(backend)[0].new_attachments).toEqual([
      { file_name: 'a.txt', content_type: 'text/plain', data_base64: btoa('hello') },
    ]);
    expect(saves(backend)[0].removed_attachments).toEqual(['blob-old']);
    expect(draft.added).toEqual([]);
    expect(draft.attachments.map((a) => [a.file_name, a.size])).toEqual([['a.txt', 5]]);

    draft.edit({ subject: 'Again' });
    await draft.save();
    expect(saves(backend)[1].new_attachments).toEqual([]);
    expect(saves(backend)[1].removed_attachments).toEqual([]);
    draft.dispose();
  });

  it('starts from the text of its HTML body, and sends no HTML in plain text', async () => {
    const backend = new FakeBackend();
    const draft = new Draft(backend, composerState({ body_html: '<p>Hi</p><p>-- <br>Ada</p>' }), 'new');
    expect(draft.bodyText).toBe('Hi\n-- \nAda');
    expect(draft.initial).toEqual({ subject: '', body: 'Hi\n-- \nAda' });
    draft.edit({ plainText: true, bodyText: 'Just text' });
    await draft.save();
    expect(saves(backend)[0]).toMatchObject({ plain_text: true, body_text: 'Just text', body_html: '' });
    draft.dispose();
  });
});
