import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { tick } from 'svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import App from '../../../App.svelte';
import type { ComposerInput } from '../../backend/composeTypes';
import { STORAGE_KEYS } from '../../settings/Preferences.svelte';
import {
  ADA,
  ADA_ACCOUNT,
  ADA_FOLDERS,
  ADA_SIGNATURE_HTML,
  FakeBackend,
  MAIL_TODAY,
  composerState,
  message,
  messages,
  responseTo,
} from '../../../test/FakeBackend';
import { AUTOCOMPLETE_DELAY_MS } from './AddressField.svelte';
import { AUTOSAVE_DELAY_MS } from './Draft.svelte';

const INBOX = 1;
const DRAFTS = 2;
const FIRST = INBOX * 1_000_000 + 1;

/** Ada with her folders and three read messages in the Inbox. */
function mailBackend(): FakeBackend {
  const backend = new FakeBackend();
  backend.user = ADA;
  backend.accountList = [ADA_ACCOUNT];
  backend.folderList = ADA_FOLDERS.map((f) => ({ ...f }));
  backend.messages.set(INBOX, messages(INBOX, 3));
  backend.correspondents = [
    { name: 'Wei Zhang', address: 'wei@example.com' },
    { name: 'Wendy Wu', address: 'wendy@example.com' },
    { name: 'Bob Li', address: 'bob@example.org' },
  ];
  return backend;
}

async function renderMail(backend: FakeBackend) {
  const result = render(App, { props: { backend, storage: localStorage, now: () => MAIL_TODAY } });
  await screen.findAllByTestId('message-row');
  return result;
}

async function newMessage(): Promise<HTMLElement> {
  await fireEvent.click(screen.getByTestId('new-message'));
  return screen.findByTestId('composer');
}

/** Opens the first Inbox message and answers it with the reader's `button`. */
async function respond(button: 'reader-reply' | 'reader-reply-all' | 'reader-forward'): Promise<HTMLElement> {
  const row = screen.getAllByTestId('message-row').find((el) => el.getAttribute('data-id') === String(FIRST))!;
  await fireEvent.click(row);
  await screen.findByRole('heading', { level: 1, name: 'Subject 1000001' });
  await fireEvent.click(screen.getByTestId(button));
  return screen.findByTestId('composer');
}

function field(testid: string): HTMLInputElement {
  return screen.getByTestId(testid) as HTMLInputElement;
}

/** Types `value` into a field as the user would, the caret at its end. */
async function type(testid: string, value: string) {
  const input = field(testid);
  input.value = value;
  input.setSelectionRange?.(value.length, value.length);
  await fireEvent.input(input);
}

/** Writes `html` into the body editor (the user's typing, as the editor leaves it). */
async function write(html: string) {
  const editor = screen.getByTestId('compose-body');
  editor.innerHTML = html;
  await fireEvent.input(editor);
}

function saves(backend: FakeBackend): ComposerInput[] {
  return backend.callsOf('save_draft').map((args) => args.input as ComposerInput);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeEach(() => {
  localStorage.clear();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('composer', () => {
  it('opens a new message with the signature and the caret in To, from the button or Ctrl+N', async () => {
    const backend = mailBackend();
    await renderMail(backend);
    const composer = await newMessage();
    expect(backend.callsOf('compose')).toEqual([{ account: 'acct-ada' }]);
    expect(within(composer).getByRole('heading', { level: 2 }).textContent).toBe('New message');
    const body = screen.getByTestId('compose-body');
    expect(body.getAttribute('role')).toBe('textbox');
    expect(body.getAttribute('aria-multiline')).toBe('true');
    expect(body.innerHTML).toBe(ADA_SIGNATURE_HTML);
    expect(document.activeElement).toBe(field('compose-to'));
    // One identity: no From to choose; Cc and Bcc wait to be asked for.
    expect(screen.queryByTestId('compose-from')).toBeNull();
    expect(screen.queryByTestId('compose-cc')).toBeNull();
    await fireEvent.click(screen.getByTestId('compose-show-cc'));
    expect(document.activeElement).toBe(field('compose-cc'));
    // The reader makes room for it.
    expect(screen.queryByTestId('reader')).toBeNull();

    // Esc closes it; nothing was written, so nothing is saved.
    await fireEvent.keyDown(field('compose-cc'), { key: 'Escape' });
    await waitFor(() => expect(screen.queryByTestId('composer')).toBeNull());
    expect(saves(backend)).toEqual([]);
    expect(screen.getByTestId('reader')).toBeTruthy();

    await fireEvent.keyDown(screen.getByTestId('message-list'), { key: 'n', ctrlKey: true });
    expect(await screen.findByTestId('composer')).toBeTruthy();
    expect(backend.callsOf('compose')).toHaveLength(2);
  });

  it('opens the message a mailto: link started the app with, once', async () => {
    const backend = mailBackend();
    backend.launchCompose = composerState({ to: 'wei@example.com', subject: 'From a link' });
    await renderMail(backend);
    const composer = await screen.findByTestId('composer');
    expect((within(composer).getByTestId('compose-to') as HTMLInputElement).value).toBe('wei@example.com');
    expect((within(composer).getByTestId('compose-subject') as HTMLInputElement).value).toBe('From a link');
    expect(backend.calls.filter((c) => c.startsWith('take_launch_compose'))).toHaveLength(1);
  });

  it('offers a choice of identities when there are several', async () => {
    const backend = mailBackend();
    backend.composeAnswer = () =>
      composerState({
        identities: [
          { address: 'ada@example.com', display_name: 'Ada Lovelace' },
          { address: 'engines@example.com', display_name: 'Analytical Engines' },
        ],
        from: 'Ada Lovelace <ada@example.com>',
      });
    await renderMail(backend);
    await newMessage();
    const from = screen.getByTestId('compose-from') as HTMLSelectElement;
    expect(from.value).toBe('ada@example.com');
    expect([...from.options].map((o) => o.textContent)).toEqual([
      'Ada Lovelace <ada@example.com>',
      'Analytical Engines <engines@example.com>',
    ]);
    await fireEvent.change(from, { target: { value: 'engines@example.com' } });
    await fireEvent.click(screen.getByTestId('compose-close'));
    await waitFor(() => expect(saves(backend)).toHaveLength(1));
    expect(saves(backend)[0].from).toBe('engines@example.com');
  });

  it('suggests addresses for the entry being typed and puts the one picked in its place', async () => {
    const backend = mailBackend();
    await renderMail(backend);
    await newMessage();
    const to = field('compose-to');
    expect(to.getAttribute('role')).toBe('combobox');

    await type('compose-to', 'bob@example.org, w');
    await type('compose-to', 'bob@example.org, we');
    expect(backend.callsOf('recent_addresses')).toEqual([]);
    await sleep(AUTOCOMPLETE_DELAY_MS + 60);
    expect(backend.callsOf('recent_addresses')).toEqual([{ query: 'we', limit: 8 }]);

    const options = await screen.findAllByTestId('autocomplete-option');
    expect(options.map((o) => o.textContent)).toEqual(['Wei Zhang wei@example.com', 'Wendy Wu wendy@example.com']);
    expect(screen.getByRole('listbox', { name: 'Suggested addresses' }).id).toBe(to.getAttribute('aria-controls'));
    expect(to.getAttribute('aria-expanded')).toBe('true');
    expect(to.getAttribute('aria-activedescendant')).toBe(options[0].id);

    await fireEvent.keyDown(to, { key: 'ArrowDown' });
    expect(to.getAttribute('aria-activedescendant')).toBe(options[1].id);
    expect(options[1].getAttribute('aria-selected')).toBe('true');
    await fireEvent.keyDown(to, { key: 'Enter' });
    expect(to.value).toBe('bob@example.org, Wendy Wu <wendy@example.com>, ');
    expect(screen.queryByRole('listbox', { name: 'Suggested addresses' })).toBeNull();
    expect(to.getAttribute('aria-expanded')).toBe('false');

    // Esc closes the suggestions, not the composer; a click picks one too.
    await type('compose-to', `${to.value}zh`);
    await screen.findAllByTestId('autocomplete-option');
    await fireEvent.keyDown(to, { key: 'Escape' });
    expect(screen.queryByRole('listbox', { name: 'Suggested addresses' })).toBeNull();
    expect(screen.getByTestId('composer')).toBeTruthy();
    await type('compose-to', 'zha');
    const [wei] = await screen.findAllByTestId('autocomplete-option');
    await fireEvent.mouseDown(wei);
    expect(to.value).toBe('Wei Zhang <wei@example.com>, ');
  });

  it('answers a message as a saved draft, quoting the original as text only', async () => {
    const backend = mailBackend();
    const hostile = '<img src=x onerror="alert(1)"><b>bold</b>\n<script>alert(2)</script>';
    backend.respondAnswer = (id, mode) => ({
      ...responseTo(backend.messages.get(INBOX)![0], mode, 9001),
      quote: { header: 'On 29 November 2025, <i>Mallory</i> wrote:', text: hostile },
    });
    await renderMail(backend);
    const composer = await respond('reader-reply');
    expect(backend.callsOf('respond_to')).toEqual([{ id: FIRST, mode: 'reply' }]);
    expect(composer.dataset.draftId).toBe('9001');
    expect(within(composer).getByRole('heading', { level: 2 }).textContent).toBe('Reply');
    expect(field('compose-to').value).toBe('Sender 1000001 <sender1000001@example.com>');
    expect(field('compose-subject').value).toBe('Re: Subject 1000001');
    // The caret goes where the user writes.
    expect(document.activeElement).toBe(screen.getByTestId('compose-body'));

    const quote = screen.getByTestId('compose-quote');
    const toggle = within(quote).getByRole('button', { name: 'Show quoted text' });
    expect(toggle.getAttribute('aria-expanded')).toBe('false');
    expect(quote.textContent).not.toContain('alert');
    await fireEvent.click(toggle);
    expect(toggle.getAttribute('aria-expanded')).toBe('true');
    expect(quote.textContent).toContain('On 29 November 2025, <i>Mallory</i> wrote:');
    expect(quote.textContent).toContain(hostile);
    expect(composer.querySelector('img, b, i, script')).toBeNull();
    // The quote is not part of what the user edits.
    expect(screen.getByTestId('compose-body').textContent).not.toContain('alert');
  });

  it('answers all with r, a and f from the list, never while typing', async () => {
    const backend = mailBackend();
    await renderMail(backend);
    const list = screen.getByTestId('message-list');
    await fireEvent.click(screen.getAllByTestId('message-row')[0]);
    await screen.findByRole('heading', { level: 1, name: 'Subject 1000001' });
    await fireEvent.keyDown(list, { key: 'a' });
    await screen.findByTestId('composer');
    expect(backend.callsOf('respond_to')).toEqual([{ id: FIRST, mode: 'reply_all' }]);
    expect(field('compose-cc').value).toBe('Bob Li <bob@example.org>');

    await fireEvent.keyDown(field('compose-subject'), { key: 'f' });
    await fireEvent.keyDown(screen.getByTestId('compose-send'), { key: 'r' });
    expect(backend.callsOf('respond_to')).toHaveLength(1);

    await fireEvent.keyDown(list, { key: 'f' });
    await waitFor(() => expect(backend.callsOf('respond_to')).toHaveLength(2));
    expect(backend.callsOf('respond_to')[1]).toEqual({ id: FIRST, mode: 'forward' });
    await waitFor(() => expect(field('compose-subject').value).toBe('Fwd: Subject 1000001'));
    expect(document.activeElement).toBe(field('compose-to'));
  });

  it('saves by itself once typing pauses, and says when', async () => {
    const backend = mailBackend();
    await renderMail(backend);
    await newMessage();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const status = screen.getByTestId('compose-status');
    await type('compose-subject', 'Q');
    await vi.advanceTimersByTimeAsync(AUTOSAVE_DELAY_MS - 500);
    await write(`<div>Numbers attached soon</div>${ADA_SIGNATURE_HTML}`);
    await vi.advanceTimersByTimeAsync(AUTOSAVE_DELAY_MS - 500);
    await type('compose-subject', 'Quarterly plan');
    await vi.advanceTimersByTimeAsync(AUTOSAVE_DELAY_MS - 100);
    expect(saves(backend)).toEqual([]);
    expect(status.textContent?.trim()).toBe('');

    await vi.advanceTimersByTimeAsync(100);
    await tick();
    expect(saves(backend)).toHaveLength(1);
    expect(saves(backend)[0]).toMatchObject({
      draft_id: null,
      account: 'acct-ada',
      from: 'ada@example.com',
      subject: 'Quarterly plan',
      body_html: `<div>Numbers attached soon</div>${ADA_SIGNATURE_HTML}`,
      body_text: 'Numbers attached soon\n\n-- \nAda Lovelace\nAnalytical Engines',
      plain_text: false,
    });
    expect(status.textContent?.trim()).toBe('Saved at 9:31 AM');
    expect(screen.getByTestId('composer').dataset.draftId).toBe('9001');

    await type('compose-subject', 'Quarterly plan v2');
    await vi.advanceTimersByTimeAsync(AUTOSAVE_DELAY_MS);
    await tick();
    expect(saves(backend).map((s) => [s.draft_id, s.subject])).toEqual([
      [null, 'Quarterly plan'],
      [9001, 'Quarterly plan v2'],
    ]);
  });

  it('says a save failed, keeps the message open, and saves on Try again', async () => {
    const backend = mailBackend();
    backend.commandFailures.set('save_draft', { code: 'disk_full', message: 'No space left on device' });
    await renderMail(backend);
    await newMessage();
    await type('compose-to', 'wei@example.com');
    await fireEvent.click(screen.getByTestId('compose-send'));
    const status = screen.getByTestId('compose-status');
    await waitFor(() => expect(within(status).getByRole('alert').textContent).toBe('Not saved: No space left on device'));
    expect(screen.getByTestId('compose-error').textContent).toContain("Couldn't send the message.");
    expect(backend.callsOf('send_draft')).toEqual([]);

    // Esc does not close a message that could not be saved.
    await fireEvent.keyDown(field('compose-subject'), { key: 'Escape' });
    await waitFor(() => expect(saves(backend)).toHaveLength(2));
    expect(screen.getByTestId('composer')).toBeTruthy();

    backend.commandFailures.clear();
    await fireEvent.click(screen.getByTestId('compose-retry'));
    await waitFor(() => expect(status.textContent?.trim()).toBe('Saved at 9:31 AM'));
  });

  it('keeps the message open with the reason when sending fails', async () => {
    const backend = mailBackend();
    backend.commandFailures.set('send_draft', { code: 'invalid_address', message: 'Not an address: wei@' });
    await renderMail(backend);
    await newMessage();
    await type('compose-to', 'wei@');
    await fireEvent.click(screen.getByTestId('compose-send'));
    const error = await screen.findByTestId('compose-error');
    expect(error.getAttribute('role')).toBe('alert');
    expect(error.textContent).toContain('Not an address: wei@');
    expect(screen.getByTestId('composer')).toBeTruthy();
    expect(screen.queryByTestId('send-undo')).toBeNull();
  });

  it('asks for a recipient before sending', async () => {
    const backend = mailBackend();
    await renderMail(backend);
    await newMessage();
    await type('compose-subject', 'Plan');
    await fireEvent.keyDown(field('compose-subject'), { key: 'Enter', ctrlKey: true });
    const error = screen.getByTestId('compose-recipients-error');
    expect(error.textContent).toBe('Add at least one recipient in To, Cc or Bcc.');
    expect(field('compose-to').getAttribute('aria-invalid')).toBe('true');
    expect(document.activeElement).toBe(field('compose-to'));
    expect(backend.callsOf('send_draft')).toEqual([]);
    await type('compose-to', 'w');
    expect(screen.queryByTestId('compose-recipients-error')).toBeNull();
  });

  it('warns about a mentioned attachment that is missing before it sends', async () => {
    const backend = mailBackend();
    // The signature's own mention does not count.
    backend.composeAnswer = () => composerState({ body_html: '<p>-- <br>Any attachments are confidential.</p>' });
    await renderMail(backend);
    await newMessage();
    await type('compose-to', 'wei@example.com');
    await write('<div>Thanks, the plan is fine.</div><p>-- <br>Any attachments are confidential.</p>');
    await fireEvent.keyDown(field('compose-subject'), { key: 'Enter', ctrlKey: true });
    await waitFor(() => expect(backend.callsOf('send_draft')).toHaveLength(1));
    await screen.findByTestId('send-undo');

    await newMessage();
    await type('compose-to', 'wei@example.com');
    await write('<div>我附上了报价单。</div><p>-- <br>Any attachments are confidential.</p>');
    await fireEvent.keyDown(screen.getByTestId('compose-body'), { key: 'Enter', ctrlKey: true });
    const dialog = screen.getByTestId('attachment-reminder');
    expect(dialog.textContent).toContain('You mentioned an attachment but none is attached. Send anyway?');
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByTestId('attachment-reminder')).toBeNull();
    expect(backend.callsOf('send_draft')).toHaveLength(1);

    await fireEvent.click(screen.getByTestId('compose-send'));
    await fireEvent.click(screen.getByTestId('attachment-reminder-confirm'));
    await waitFor(() => expect(backend.callsOf('send_draft')).toHaveLength(2));
  });

  it('sends with Ctrl+Enter, counts down, and Undo brings the message back to edit', async () => {
    const backend = mailBackend();
    await renderMail(backend);
    await newMessage();
    await type('compose-to', 'wei@example.com');
    await type('compose-subject', 'Plan');
    await fireEvent.keyDown(field('compose-subject'), { key: 'Enter', ctrlKey: true });
    await waitFor(() => expect(backend.callsOf('send_draft')).toEqual([{ draftId: 9001, at: null }]));
    expect(saves(backend)).toHaveLength(1);
    expect(saves(backend)[0]).toMatchObject({ to: 'wei@example.com', subject: 'Plan' });
    await waitFor(() => expect(screen.queryByTestId('composer')).toBeNull());

    const toast = screen.getByTestId('send-undo');
    expect(within(toast).getByText('Sending in 10s…')).toBeTruthy();
    await sleep(1100);
    expect(within(toast).getByText('Sending in 9s…')).toBeTruthy();

    await fireEvent.click(within(toast).getByTestId('send-undo-action'));
    await waitFor(() => expect(backend.callsOf('cancel_send')).toEqual([{ outbox: 7001 }]));
    const composer = await screen.findByTestId('composer');
    expect(composer.dataset.draftId).toBe('9001');
    expect(field('compose-to').value).toBe('wei@example.com');
    expect(field('compose-subject').value).toBe('Plan');
    expect(screen.queryByTestId('send-undo')).toBeNull();
  });

  it('says when it is too late to undo', async () => {
    const backend = mailBackend();
    backend.composeAnswer = () => composerState({ undo_seconds: 0 });
    await renderMail(backend);
    await newMessage();
    await type('compose-to', 'wei@example.com');
    await fireEvent.click(screen.getByTestId('compose-send'));
    const toast = await screen.findByTestId('send-undo');
    expect(toast.textContent).toContain('Sent to the outbox');
    expect(within(toast).queryByTestId('send-undo-action')).toBeNull();

    backend.composeAnswer = () => composerState();
    await newMessage();
    await type('compose-to', 'wei@example.com');
    await fireEvent.click(screen.getByTestId('compose-send-later'));
    await fireEvent.click(await screen.findByTestId('send-later-hour'));
    const scheduled = await screen.findByTestId('send-scheduled');
    backend.departed.add(7002);
    await fireEvent.click(within(scheduled).getByTestId('send-undo-action'));
    const failure = await screen.findByTestId('compose-failure');
    expect(failure.getAttribute('role')).toBe('alert');
    expect(failure.textContent).toContain('Too late to undo: the message has already been sent.');
    expect(screen.queryByTestId('composer')).toBeNull();
  });

  it('sends later at the time chosen, or at a date and time picked', async () => {
    const backend = mailBackend();
    await renderMail(backend);
    await newMessage();
    await type('compose-to', 'wei@example.com');
    await fireEvent.click(screen.getByTestId('compose-send-later'));
    const menu = screen.getByTestId('send-later-menu');
    expect(within(menu).getByTestId('send-later-hour').textContent).toContain('10:30 AM');
    expect(within(menu).getByTestId('send-later-tomorrow').textContent).toContain('Sun, Nov 30, 8:00 AM');
    const monday = within(menu).getByTestId('send-later-monday');
    expect(monday.textContent).toContain('Monday morning');
    await fireEvent.click(monday);
    const at = Math.floor(new Date(2025, 11, 1, 8, 0).getTime() / 1000);
    await waitFor(() => expect(backend.callsOf('send_draft')).toEqual([{ draftId: 9001, at }]));
    const toast = await screen.findByTestId('send-scheduled');
    expect(toast.textContent).toContain('Scheduled for Mon, Dec 1, 8:00 AM');

    await newMessage();
    await type('compose-to', 'wei@example.com');
    await fireEvent.click(screen.getByTestId('compose-send-later'));
    await fireEvent.click(screen.getByTestId('send-later-pick'));
    const when = screen.getByTestId('send-later-input') as HTMLInputElement;
    expect(document.activeElement).toBe(when);
    await fireEvent.input(when, { target: { value: '2025-11-28T10:00' } });
    await fireEvent.click(screen.getByTestId('send-later-confirm'));
    expect(screen.getByTestId('send-later-menu').textContent).toContain('Pick a time in the future.');
    await fireEvent.input(when, { target: { value: '2025-12-02T09:15' } });
    await fireEvent.click(screen.getByTestId('send-later-confirm'));
    const picked = Math.floor(new Date(2025, 11, 2, 9, 15).getTime() / 1000);
    await waitFor(() => expect(backend.callsOf('send_draft')[1]).toEqual({ draftId: 9002, at: picked }));
  });

  it('attaches chosen and dropped files, and refuses what goes past the limit', async () => {
    const backend = mailBackend();
    backend.composeAnswer = () => composerState({ attachment_limit: 1000 });
    await renderMail(backend);
    const composer = await newMessage();
    const input = screen.getByTestId('compose-file-input') as HTMLInputElement;
    const notes = new File(['n'.repeat(600)], 'notes.txt', { type: 'text/plain' });
    const big = new File(['b'.repeat(500)], 'big.pdf', { type: 'application/pdf' });
    Object.defineProperty(input, 'files', { value: [notes, big], configurable: true });
    await fireEvent.change(input);

    const refused = await screen.findByTestId('compose-attach-error');
    expect(refused.getAttribute('role')).toBe('alert');
    expect(refused.textContent).toContain('“big.pdf” wasn\'t attached: attachments can add up to 1 kB at most.');
    await waitFor(() => expect(screen.getAllByTestId('compose-attachment')).toHaveLength(1));
    expect(screen.getByTestId('compose-attachment').textContent).toContain('notes.txt');
    expect(screen.getByTestId('compose-attachment').textContent).toContain('0.6 kB');

    const small = new File(['s'.repeat(300)], 'small.csv', { type: 'text/csv' });
    const drag = { types: ['Files'], files: [small], dropEffect: 'none' };
    await fireEvent.dragEnter(screen.getByTestId('compose-subject'), { dataTransfer: drag });
    expect(within(composer).getByTestId('compose-drop-zone').textContent).toContain('Drop files to attach them');
    await fireEvent.drop(screen.getByTestId('compose-body'), { dataTransfer: drag });
    expect(within(composer).queryByTestId('compose-drop-zone')).toBeNull();
    await waitFor(() => expect(screen.getAllByTestId('compose-attachment')).toHaveLength(2));

    await fireEvent.click(screen.getByRole('button', { name: 'Remove small.csv' }));
    await fireEvent.click(screen.getByTestId('compose-close'));
    await waitFor(() => expect(saves(backend)).toHaveLength(1));
    expect(saves(backend)[0].new_attachments).toEqual([
      { file_name: 'notes.txt', content_type: 'text/plain', data_base64: btoa('n'.repeat(600)) },
    ]);
  });

  it('puts pasted pictures in the body and other pasted files in the attachments', async () => {
    const backend = mailBackend();
    await renderMail(backend);
    await newMessage();
    const body = screen.getByTestId('compose-body');
    const picture = new File([new Uint8Array([137, 80, 78, 71])], 'image.png', { type: 'image/png' });
    const sheet = new File(['a,b'], 'figures.csv', { type: 'text/csv' });
    await fireEvent.paste(body, { clipboardData: { files: [picture, sheet], types: ['Files'] } });
    await waitFor(() => expect(body.querySelector('img')).not.toBeNull());
    expect(body.querySelector('img')!.getAttribute('src')).toBe('data:image/png;base64,iVBORw==');
    await waitFor(() => expect(screen.getByTestId('compose-attachment').textContent).toContain('figures.csv'));

    await fireEvent.click(screen.getByTestId('compose-close'));
    await waitFor(() => expect(saves(backend)).toHaveLength(1));
    expect(saves(backend)[0].body_html).toContain('<img src="data:image/png;base64,iVBORw==">');
    expect(saves(backend)[0].new_attachments.map((a) => a.file_name)).toEqual(['figures.csv']);
  });

  it('asks before discarding, then deletes the draft and shows the reader again', async () => {
    const backend = mailBackend();
    await renderMail(backend);
    await respond('reader-forward');
    await fireEvent.click(screen.getByTestId('compose-discard'));
    const dialog = screen.getByTestId('discard-confirm');
    expect(dialog.textContent).toContain('Discard this draft?');
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(backend.callsOf('discard_draft')).toEqual([]);
    expect(screen.getByTestId('composer')).toBeTruthy();

    await fireEvent.click(screen.getByTestId('compose-discard'));
    await fireEvent.click(screen.getByTestId('discard-confirm-confirm'));
    await waitFor(() => expect(backend.callsOf('discard_draft')).toEqual([{ draftId: 9001 }]));
    await waitFor(() => expect(screen.queryByTestId('composer')).toBeNull());
    expect(await screen.findByRole('heading', { level: 1, name: 'Subject 1000001' })).toBeTruthy();
    expect(saves(backend)).toEqual([]);
  });

  it('closes with Esc keeping what was written, and opens drafts to go on writing', async () => {
    const backend = mailBackend();
    backend.messages.set(DRAFTS, [message(801, DRAFTS, { subject: 'Unfinished' })]);
    backend.draftStates.set(801, composerState({ draft_id: 801, to: 'wei@example.com', subject: 'Unfinished' }));
    await renderMail(backend);
    await newMessage();
    await type('compose-subject', 'Later');
    await fireEvent.keyDown(field('compose-subject'), { key: 'Escape' });
    await waitFor(() => expect(screen.queryByTestId('composer')).toBeNull());
    expect(saves(backend).map((s) => s.subject)).toEqual(['Later']);

    const drafts = screen.getAllByTestId('folder').find((f) => f.getAttribute('data-folder-id') === String(DRAFTS))!;
    await fireEvent.click(drafts);
    await fireEvent.click(await screen.findByText('Unfinished'));
    await screen.findByRole('heading', { level: 1, name: 'Unfinished' });
    expect(screen.queryByTestId('reader-reply')).toBeNull();
    await fireEvent.click(screen.getByTestId('reader-edit-draft'));
    const composer = await screen.findByTestId('composer');
    expect(backend.callsOf('open_draft')).toEqual([{ id: 801 }]);
    expect(composer.dataset.draftId).toBe('801');
    expect(field('compose-subject').value).toBe('Unfinished');
  });

  it('gives way to a message opened from the list, saving what was written', async () => {
    const backend = mailBackend();
    await renderMail(backend);
    await newMessage();
    await type('compose-subject', 'Half done');
    await fireEvent.click(screen.getAllByTestId('message-row')[1]);
    expect(await screen.findByRole('heading', { level: 1, name: 'Subject 1000002' })).toBeTruthy();
    expect(screen.queryByTestId('composer')).toBeNull();
    expect(saves(backend).map((s) => s.subject)).toEqual(['Half done']);
  });

  it('switches to plain text, keeping the words', async () => {
    const backend = mailBackend();
    await renderMail(backend);
    await newMessage();
    await write(`<div>Hello <b>Wei</b></div>${ADA_SIGNATURE_HTML}`);
    await fireEvent.click(screen.getByTestId('compose-plain-text'));
    // Formatting would be lost: the user confirms.
    await fireEvent.click(screen.getByTestId('plain-text-confirm-confirm'));
    const text = screen.getByTestId('compose-body') as HTMLTextAreaElement;
    expect(text.tagName).toBe('TEXTAREA');
    expect(text.value).toBe('Hello Wei\n\n-- \nAda Lovelace\nAnalytical Engines');
    expect(screen.getByTestId('compose-plain-text').getAttribute('aria-pressed')).toBe('true');
    expect(screen.getByTestId('format-bold').hasAttribute('disabled')).toBe(true);
    await fireEvent.input(text, { target: { value: 'Hello Wei <b>' } });
    await fireEvent.click(screen.getByTestId('compose-close'));
    await waitFor(() => expect(saves(backend)).toHaveLength(1));
    expect(saves(backend)[0]).toMatchObject({ plain_text: true, body_text: 'Hello Wei <b>', body_html: '' });
  });

  it('inserts links to web and mail addresses only', async () => {
    const backend = mailBackend();
    await renderMail(backend);
    await newMessage();
    const body = screen.getByTestId('compose-body');
    await fireEvent.click(screen.getByTestId('format-link'));
    const dialog = screen.getByTestId('link-dialog');
    expect(document.activeElement).toBe(screen.getByTestId('link-url'));
    await fireEvent.input(screen.getByTestId('link-url'), { target: { value: 'javascript:alert(1)' } });
    await fireEvent.click(screen.getByTestId('link-insert'));
    expect(within(dialog).getByRole('alert').textContent).toContain('Enter a web address');
    expect(body.querySelector('a')).toBeNull();

    await fireEvent.input(screen.getByTestId('link-url'), { target: { value: 'example.com/plan' } });
    await fireEvent.click(screen.getByTestId('link-insert'));
    expect(screen.queryByTestId('link-dialog')).toBeNull();
    const link = body.querySelector('a')!;
    expect(link.getAttribute('href')).toBe('https://example.com/plan');
    expect(link.textContent).toBe('https://example.com/plan');
  });

  it('lists its shortcuts in the help sheet', async () => {
    await renderMail(mailBackend());
    await fireEvent.click(screen.getByTestId('shortcuts-button'));
    const dialog = screen.getByTestId('shortcuts-dialog');
    for (const text of ['Reply', 'Reply all', 'Forward', 'New message', 'Ctrl + N', 'Ctrl + Enter']) {
      expect(within(dialog).getAllByText(text).length, text).toBeGreaterThan(0);
    }
  });

  it('speaks Chinese', async () => {
    localStorage.setItem(STORAGE_KEYS.language, 'zh-CN');
    const backend = mailBackend();
    await renderMail(backend);
    await fireEvent.click(screen.getByRole('button', { name: /新邮件/ }));
    const composer = await screen.findByTestId('composer');
    expect(within(composer).getByLabelText('收件人')).toBe(field('compose-to'));
    expect(within(composer).getByLabelText('主题')).toBe(field('compose-subject'));
    expect(screen.getByTestId('compose-send').textContent?.trim()).toBe('发送');
    await fireEvent.click(screen.getByTestId('compose-send'));
    expect(screen.getByTestId('compose-recipients-error').textContent).toBe(
      '请在收件人、抄送或密送中至少填写一个地址。',
    );
  });
});
