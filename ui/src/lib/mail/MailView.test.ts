import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import App from '../../App.svelte';
import type { AttachmentView, MessageRow, NewMail, ServerSearch } from '../backend/mailTypes';
import { STORAGE_KEYS } from '../settings/Preferences.svelte';
import {
  ADA,
  ADA_ACCOUNT,
  ADA_FOLDERS,
  BOB_ACCOUNT,
  FakeBackend,
  composerState,
  MAIL_TODAY,
  folder,
  message,
  messages,
  viewOf,
} from '../../test/FakeBackend';
import { ROW_HEIGHT } from './MessageRowView.svelte';
import { SEARCH_DEBOUNCE_MS } from './MailWorkspace.svelte';

const INBOX = 1;
const ARCHIVE = 8;
const PROJECTS = 6;

/** Ada with her folders and `count` read messages in the Inbox (ids 1000001 up). */
function mailBackend(count = 5): FakeBackend {
  const backend = new FakeBackend();
  backend.user = ADA;
  backend.accountList = [ADA_ACCOUNT];
  backend.folderList = ADA_FOLDERS.map((f) => ({ ...f }));
  backend.messages.set(INBOX, messages(INBOX, count));
  return backend;
}

const id = (position: number) => INBOX * 1_000_000 + 1 + position;

async function renderMail(backend: FakeBackend) {
  const result = render(App, { props: { backend, storage: localStorage, now: () => MAIL_TODAY } });
  await screen.findAllByTestId('message-row');
  return result;
}

function row(messageId: number): HTMLElement {
  const found = screen
    .getAllByTestId('message-row')
    .find((el) => el.getAttribute('data-id') === String(messageId));
  if (!found) throw new Error(`row ${messageId} is not rendered`);
  return found;
}

function selectedIds(): number[] {
  return screen
    .getAllByTestId('message-row')
    .filter((el) => el.getAttribute('aria-selected') === 'true')
    .map((el) => Number(el.getAttribute('data-id')));
}

/** A DataTransfer as a browser hands it to drag handlers (jsdom has none). */
function dataTransfer() {
  const data = new Map<string, string>();
  return {
    data,
    get types() {
      return [...data.keys()];
    },
    setData: (type: string, value: string) => data.set(type, value),
    getData: (type: string) => data.get(type) ?? '',
    effectAllowed: 'all',
    dropEffect: 'none',
  };
}

function newMail(folderId: number, name: string, count: number): NewMail {
  return { account: 'acct-ada', folder: name, folder_id: folderId, count, newest: null, show_content: true };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeEach(() => {
  localStorage.clear();
});

describe('folder tree', () => {
  it('lists special folders first in the usual order, then the rest by name, nested', async () => {
    const backend = mailBackend();
    backend.folderList = backend.folderList.map((f) => (f.id === 7 ? { ...f, unread: 1234 } : f));
    await renderMail(backend);

    const folders = screen.getAllByTestId('folder');
    expect(folders.map((f) => f.querySelector('.name')?.textContent)).toEqual([
      'Inbox',
      'Drafts',
      'Sent',
      'Archive',
      'Junk',
      'Trash',
      'Accounting',
      'Projects',
      'Heron',
    ]);
    expect(folders.slice(0, 6).map((f) => f.getAttribute('data-special-use'))).toEqual([
      'INBOX',
      '\\Drafts',
      '\\Sent',
      '\\Archive',
      '\\Junk',
      '\\Trash',
    ]);
    // Projects/Heron sits inside Projects.
    const heron = folders[8];
    expect(heron.getAttribute('data-folder-id')).toBe('7');
    expect(heron.closest('li')?.parentElement?.closest('li')?.textContent).toContain('Projects');
    expect(within(heron).getByTestId('unread-badge').textContent?.trim()).toBe('1,234');
    expect(heron.getAttribute('aria-label')).toBe('Heron, 1,234 unread');
    expect(within(folders[4]).getByTestId('unread-badge').textContent?.trim()).toBe('1');
    expect(within(folders[1]).queryByTestId('unread-badge')).toBeNull();
    expect(screen.getByRole('heading', { name: 'ada@example.com' })).toBeTruthy();
    // The Inbox is open and marked as the current folder.
    expect(folders[0].getAttribute('aria-current')).toBe('true');
  });

  it('groups folders under each account’s address', async () => {
    const backend = mailBackend();
    backend.accountList = [ADA_ACCOUNT, BOB_ACCOUNT];
    backend.folderList.push(folder(20, 'INBOX', 'INBOX', 0, 'acct-bob'));
    await renderMail(backend);
    const headings = screen.getAllByRole('heading', { level: 2 }).map((h) => h.textContent);
    expect(headings).toContain('ada@example.com');
    expect(headings).toContain('bob@example.org');
    expect(screen.getAllByTestId('folder').filter((f) => f.getAttribute('data-special-use') === 'INBOX')).toHaveLength(2);
  });

  it('refreshes the counts when new mail arrives', async () => {
    const backend = mailBackend();
    await renderMail(backend);
    const before = backend.callsOf('mail_folders').length;
    backend.folderList = backend.folderList.map((f) => (f.id === PROJECTS ? { ...f, unread: 4 } : f));
    backend.emit('new-mail', newMail(PROJECTS, 'Projects', 4));
    await waitFor(() => expect(backend.callsOf('mail_folders').length).toBe(before + 1));
    const projects = screen.getAllByTestId('folder').find((f) => f.getAttribute('data-folder-id') === String(PROJECTS))!;
    await waitFor(() => expect(within(projects).getByTestId('unread-badge').textContent?.trim()).toBe('4'));
  });

  it('shows new mail in the open folder when it arrives', async () => {
    const backend = mailBackend(2);
    await renderMail(backend);
    backend.messages.set(INBOX, [message(77, INBOX, { subject: 'Just arrived', flags: [] }), ...backend.messages.get(INBOX)!]);
    backend.emit('new-mail', newMail(INBOX, 'INBOX', 1));
    expect(await screen.findByText('Just arrived')).toBeTruthy();
    const inbox = screen.getAllByTestId('folder')[0];
    await waitFor(() => expect(within(inbox).getByTestId('unread-badge').textContent?.trim()).toBe('1'));
  });

  it('moves a dragged selection to the folder it is dropped on', async () => {
    const backend = mailBackend();
    await renderMail(backend);
    await fireEvent.click(row(id(0)));
    await fireEvent.click(row(id(2)), { ctrlKey: true });
    const transfer = dataTransfer();
    await fireEvent.dragStart(row(id(2)), { dataTransfer: transfer });
    expect(JSON.parse(transfer.getData('application/x-heron-messages'))).toEqual([id(0), id(2)]);

    const projects = screen.getAllByTestId('folder').find((f) => f.getAttribute('data-folder-id') === String(PROJECTS))!;
    await fireEvent.dragOver(projects, { dataTransfer: transfer });
    await fireEvent.drop(projects, { dataTransfer: transfer });
    expect(backend.callsOf('move_messages')).toEqual([{ ids: [id(0), id(2)], folder: PROJECTS }]);
    const shown = screen.getAllByTestId('message-row').map((el) => Number(el.getAttribute('data-id')));
    expect(shown).toEqual([id(1), id(3), id(4)]);
  });
});

describe('message list', () => {
  it('asks for the first window only, and for more as it scrolls', async () => {
    const backend = mailBackend(100_000);
    await renderMail(backend);
    expect(backend.callsOf('mail_window')).toEqual([{ folder: INBOX, offset: 0, limit: 100, order: 'newest_first' }]);

    const list = screen.getByTestId('message-list');
    const spacer = list.querySelector('.spacer') as HTMLElement;
    expect(spacer.style.height).toBe(`${100_000 * ROW_HEIGHT}px`);
    const drawn = screen.getAllByTestId('message-row').length;
    expect(drawn).toBeGreaterThan(5);
    expect(drawn).toBeLessThan(40);

    list.scrollTop = 50_000 * ROW_HEIGHT;
    await fireEvent.scroll(list);
    // Rows of windows not fetched yet are placeholders meanwhile.
    await waitFor(() =>
      expect(backend.callsOf('mail_window').map((c) => c.offset)).toEqual([0, 49_900, 50_000]),
    );
    expect((await screen.findAllByTestId('message-row')).some((el) => el.getAttribute('data-id') === String(id(50_000)))).toBe(true);
    expect(row(id(50_000)).getAttribute('aria-posinset')).toBe('50001');
    expect(row(id(50_000)).getAttribute('aria-setsize')).toBe('100000');

    // Scrolling back needs no request: the first window is cached.
    list.scrollTop = 0;
    await fireEvent.scroll(list);
    await screen.findByText('Subject 1000001');
    expect(backend.callsOf('mail_window')).toHaveLength(3);
  });

  it('shows sender, subject, preview, date, and unread, flagged and attachment marks', async () => {
    const backend = mailBackend(0);
    const today = Math.floor(MAIL_TODAY.getTime() / 1000);
    backend.messages.set(INBOX, [
      message(11, INBOX, { flags: [], from_name: 'Alice Martin', has_attachments: true, date: today - 3600 }),
      message(12, INBOX, { flags: ['\\Seen', '\\Flagged'], from_name: '', from_addr: 'bob@example.com', date: today - 40 * 86_400 }),
      message(13, INBOX, { date: Math.floor(new Date(2023, 2, 5, 12).getTime() / 1000) }),
    ]);
    await renderMail(backend);

    const alice = row(11);
    expect(alice.classList.contains('unread')).toBe(true);
    expect(alice.textContent).toContain('Alice Martin');
    expect(alice.textContent).toContain('Subject 11');
    expect(alice.textContent).toContain('Preview of message 11');
    expect(alice.querySelector('time')?.textContent?.trim()).toBe('8:30 AM');
    expect(alice.textContent).toContain('Unread, Has attachments');

    const bob = row(12);
    expect(bob.classList.contains('unread')).toBe(false);
    expect(bob.textContent).toContain('bob@example.com');
    expect(bob.querySelector('time')?.textContent?.trim()).toBe('Oct 20');
    expect(bob.querySelector('.flag')).toBeTruthy();

    expect(row(13).querySelector('time')?.textContent?.trim()).toBe('3/5/2023');
  });

  it('selects with click, toggles with Ctrl-click and selects a range with Shift-click', async () => {
    await renderMail(mailBackend(8));
    const list = screen.getByTestId('message-list');
    expect(list.getAttribute('role')).toBe('listbox');
    expect(list.getAttribute('aria-multiselectable')).toBe('true');

    await fireEvent.click(row(id(1)));
    expect(selectedIds()).toEqual([id(1)]);
    expect(list.getAttribute('aria-activedescendant')).toBe(row(id(1)).id);

    await fireEvent.click(row(id(4)), { shiftKey: true });
    expect(selectedIds()).toEqual([id(1), id(2), id(3), id(4)]);

    await fireEvent.click(row(id(2)), { ctrlKey: true });
    expect(selectedIds()).toEqual([id(1), id(3), id(4)]);
    await fireEvent.click(row(id(6)), { metaKey: true });
    expect(selectedIds()).toEqual([id(1), id(3), id(4), id(6)]);

    expect(screen.getByText('4 selected')).toBeTruthy();
    expect(screen.getByTestId('bulk-toolbar')).toBeTruthy();
    // The reader does not show one of several selected messages.
    expect(screen.getByTestId('reader').textContent).toContain('4 messages selected');
  });

  it('flags at once, and puts the flag back with an error when the backend refuses', async () => {
    const backend = mailBackend();
    await renderMail(backend);
    await fireEvent.click(row(id(0)));

    let release = () => {};
    backend.gates.set('set_flags', new Promise<void>((resolve) => (release = resolve)));
    backend.commandFailures.set('set_flags', { code: 'store_busy', message: 'The local store is busy' });
    await fireEvent.click(screen.getByTestId('bulk-flag'));
    expect(row(id(0)).querySelector('.flag')).toBeTruthy();
    expect(backend.callsOf('set_flags')).toEqual([{ ids: [id(0)], add: ['\\Flagged'], remove: [] }]);

    release();
    const error = await screen.findByTestId('mail-error');
    expect(error.getAttribute('role')).toBe('alert');
    expect(error.textContent).toContain("Couldn't flag the messages.");
    expect(error.textContent).toContain('The local store is busy');
    expect(row(id(0)).querySelector('.flag')).toBeNull();
  });

  it('archives the selection into the account’s Archive folder', async () => {
    const backend = mailBackend();
    await renderMail(backend);
    await fireEvent.click(row(id(1)));
    await fireEvent.click(row(id(2)), { shiftKey: true });
    await fireEvent.click(screen.getByTestId('bulk-archive'));
    expect(backend.callsOf('move_messages')).toEqual([{ ids: [id(1), id(2)], folder: ARCHIVE }]);
    expect(screen.getAllByTestId('message-row').map((el) => Number(el.getAttribute('data-id')))).toEqual([
      id(0),
      id(3),
      id(4),
    ]);
  });

  it('keeps the toolbars’ tooltips in step with their labels as the message changes', async () => {
    await renderMail(mailBackend());
    await fireEvent.click(row(id(0)));
    const read = screen.getByTestId('bulk-read');
    expect([read.getAttribute('aria-label'), read.title]).toEqual(['Mark as unread', 'Mark as unread']);
    await fireEvent.click(read);
    expect([read.getAttribute('aria-label'), read.title]).toEqual(['Mark as read', 'Mark as read']);

    const flag = await screen.findByTestId('reader-flag');
    expect([flag.getAttribute('aria-pressed'), flag.title, flag.classList.contains('flagged')]).toEqual([
      'false',
      'Flag',
      false,
    ]);
    await fireEvent.click(flag);
    expect([flag.getAttribute('aria-pressed'), flag.title, flag.classList.contains('flagged')]).toEqual([
      'true',
      'Remove flag',
      true,
    ]);
  });

  it('brings deleted rows back when the delete is refused', async () => {
    const backend = mailBackend();
    backend.commandFailures.set('delete_messages', { code: 'not_found', message: 'No message 1000002' });
    await renderMail(backend);
    await fireEvent.click(row(id(1)));
    await fireEvent.click(screen.getByTestId('bulk-delete'));
    expect((await screen.findByTestId('mail-error')).textContent).toContain("Couldn't delete the messages.");
    expect(screen.getAllByTestId('message-row')).toHaveLength(5);
    expect(row(id(1))).toBeTruthy();
  });

  it('fetches again when its folder changes, keeping the selection', async () => {
    const backend = mailBackend();
    await renderMail(backend);
    await fireEvent.click(row(id(3)));
    backend.messages.set(INBOX, [message(99, INBOX, { subject: 'Fresh news' }), ...backend.messages.get(INBOX)!]);

    backend.emit('mail-changed', { folders: [PROJECTS] });
    await sleep(10);
    expect(screen.queryByText('Fresh news')).toBeNull();

    backend.emit('mail-changed', { folders: [INBOX] });
    expect(await screen.findByText('Fresh news')).toBeTruthy();
    expect(selectedIds()).toEqual([id(3)]);
    expect(screen.getByTestId('message-list').getAttribute('aria-activedescendant')).toBe(row(id(3)).id);
  });
});

describe('reader', () => {
  it('opens a message, marks it read at once, and shows sender name and address', async () => {
    const backend = mailBackend(3);
    const unread = message(id(0), INBOX, { flags: [], subject: 'Quarterly plan', from_name: 'Alice Martin', from_addr: 'alice@example.com' });
    backend.messages.set(INBOX, [unread, ...messages(INBOX, 2, id(1))]);
    backend.folderList = backend.folderList.map((f) => (f.id === INBOX ? { ...f, unread: 1 } : f));
    backend.views.set(
      unread.id,
      viewOf(unread, {
        to: [
          { display_name: 'Bob', address: 'bob@example.com' },
          { display_name: 'Carol', address: 'carol@example.com' },
          { display_name: '', address: 'dan@example.com' },
        ],
        cc: [
          { display_name: 'Eve', address: 'eve@example.com' },
          { display_name: 'Fay', address: 'fay@example.com' },
        ],
      }),
    );
    await renderMail(backend);
    const inbox = screen.getAllByTestId('folder')[0];
    expect(within(inbox).getByTestId('unread-badge').textContent?.trim()).toBe('1');

    await fireEvent.click(row(unread.id));
    expect(backend.callsOf('set_flags')).toEqual([{ ids: [unread.id], add: ['\\Seen'], remove: [] }]);
    expect(row(unread.id).classList.contains('unread')).toBe(false);
    expect(within(inbox).queryByTestId('unread-badge')).toBeNull();

    const reader = screen.getByTestId('reader');
    expect(await within(reader).findByRole('heading', { level: 1, name: 'Quarterly plan' })).toBeTruthy();
    expect(reader.dataset.messageId).toBe(String(unread.id));
    expect(screen.getByTestId('reader-sender').textContent).toBe('Alice Martin <alice@example.com>');
    expect(screen.getByTestId('reader-recipients').textContent).toBe('to Bob, Carol and 3 others');
    expect(reader.textContent).toContain('Saturday, November 29, 2025');

    await fireEvent.click(within(reader).getByRole('button', { name: 'Details' }));
    const details = screen.getByTestId('reader-details');
    expect(details.textContent).toContain('dan@example.com');
    expect(details.textContent).toContain('Eve <eve@example.com>');
  });

  it('does not mark a read message again', async () => {
    const backend = mailBackend();
    await renderMail(backend);
    await fireEvent.click(row(id(0)));
    await screen.findByRole('heading', { level: 1, name: 'Subject 1000001' });
    expect(backend.callsOf('set_flags')).toEqual([]);
  });

  it('shows an HTML body only in an empty sandbox, never as markup of its own', async () => {
    const backend = mailBackend();
    const first = backend.messages.get(INBOX)![0];
    backend.views.set(first.id, viewOf(first, { body_url: 'heron-mail://message/1000001/body' }));
    await renderMail(backend);
    await fireEvent.click(row(first.id));

    const frame = (await screen.findByTestId('reader-body')) as HTMLIFrameElement;
    expect(frame.tagName).toBe('IFRAME');
    expect(frame.getAttribute('sandbox')).toBe('');
    // Nothing but these attributes: no allow-* token, no `allow`, no `srcdoc`.
    expect(frame.getAttributeNames().filter((name) => !name.startsWith('data-')).sort()).toEqual(
      ['class', 'referrerpolicy', 'sandbox', 'src', 'title'],
    );
    expect(frame.getAttribute('src')).toBe('heron-mail://message/1000001/body');
    expect(frame.getAttribute('referrerpolicy')).toBe('no-referrer');
    expect(frame.hasAttribute('allow')).toBe(false);
    expect(frame.hasAttribute('srcdoc')).toBe(false);
    expect(frame.getAttribute('title')).toBe('Message: Subject 1000001');
  });

  it('renders the body dark in the dark theme, and in the sender\'s colours on request', async () => {
    localStorage.setItem('heron.ui.theme', 'dark');
    const backend = mailBackend();
    const first = backend.messages.get(INBOX)![0];
    backend.views.set(first.id, viewOf(first, { body_url: 'heron-mail://message/1000001/body' }));
    await renderMail(backend);
    await fireEvent.click(row(first.id));
    const frame = await screen.findByTestId('reader-body');
    expect(frame.getAttribute('src')).toBe('heron-mail://message/1000001/body?theme=dark');
    const toggle = screen.getByTestId('reader-original-colours');
    expect(toggle.getAttribute('aria-pressed')).toBe('false');
    await fireEvent.click(toggle);
    expect(toggle.getAttribute('aria-pressed')).toBe('true');
    expect(screen.getByTestId('reader-body').getAttribute('src')).toBe('heron-mail://message/1000001/body');
    localStorage.removeItem('heron.ui.theme');
  });

  it('shows a text body as text, markup and all', async () => {
    const backend = mailBackend();
    const first = backend.messages.get(INBOX)![0];
    const hostile = '<img src=x onerror="alert(1)"><b>bold</b>\n<script>alert(2)</script>';
    backend.views.set(first.id, viewOf(first, { text_body: hostile, subject: '<i>Hi</i>' }));
    await renderMail(backend);
    await fireEvent.click(row(first.id));

    const body = await screen.findByTestId('reader-body');
    expect(body.textContent).toBe(hostile);
    const reader = screen.getByTestId('reader');
    expect(reader.querySelector('img, b, i, script')).toBeNull();
    expect(within(reader).getByRole('heading', { level: 1 }).textContent).toBe('<i>Hi</i>');
  });

  it('says when the body is not downloaded yet', async () => {
    const backend = mailBackend();
    const first = backend.messages.get(INBOX)![0];
    backend.views.set(first.id, viewOf(first, { downloaded: false, text_body: '' }));
    await renderMail(backend);
    await fireEvent.click(row(first.id));
    expect((await screen.findByTestId('reader-not-downloaded')).textContent).toContain('downloads with the next sync');
  });

  it('offers to load blocked remote content for the message or the sender', async () => {
    const backend = mailBackend();
    const [first, second] = backend.messages.get(INBOX)!;
    backend.views.set(first.id, viewOf(first, { remote: { blocked: 3, loaded: false, may_allow: true } }));
    backend.views.set(second.id, viewOf(second, { remote: { blocked: 1, loaded: false, may_allow: true } }));
    await renderMail(backend);

    await fireEvent.click(row(first.id));
    const bar = await screen.findByTestId('remote-bar');
    expect(bar.textContent).toContain('3 remote images were blocked to protect your privacy.');
    await fireEvent.click(within(bar).getByRole('button', { name: 'Always for this sender' }));
    expect(backend.callsOf('allow_remote_content')).toEqual([{ id: first.id, scope: 'sender' }]);
    await waitFor(() => expect(screen.queryByTestId('remote-bar')).toBeNull());

    await fireEvent.click(row(second.id));
    const again = await screen.findByTestId('remote-bar');
    expect(again.textContent).toContain('1 remote image was blocked');
    await fireEvent.click(within(again).getByRole('button', { name: 'Load for this message' }));
    expect(backend.callsOf('allow_remote_content')[1]).toEqual({ id: second.id, scope: 'message' });
  });

  it('has no buttons to load remote content when policy forbids it', async () => {
    const backend = mailBackend();
    const first = backend.messages.get(INBOX)![0];
    backend.views.set(first.id, viewOf(first, { remote: { blocked: 2, loaded: false, may_allow: false } }));
    await renderMail(backend);
    await fireEvent.click(row(first.id));
    const bar = await screen.findByTestId('remote-bar');
    expect(within(bar).queryAllByRole('button')).toHaveLength(0);
    expect(bar.textContent).toContain('Your organisation does not allow loading them.');
  });

  it('asks before opening a dangerous attachment, and opens a safe one directly', async () => {
    const backend = mailBackend();
    const first = backend.messages.get(INBOX)![0];
    const attachment = (over: Partial<AttachmentView>): AttachmentView => ({
      file_name: 'report.pdf',
      original_name: 'report.pdf',
      content_type: 'application/pdf',
      size: 734_003,
      inline: false,
      content_id: null,
      part_path: '2',
      dangerous: false,
      warnings: [],
      ...over,
    });
    backend.views.set(
      first.id,
      viewOf(first, {
        attachments: [
          attachment({}),
          attachment({
            file_name: 'invoice.pdf.exe',
            original_name: 'invoice.pdf.exe',
            content_type: 'application/octet-stream',
            part_path: '3',
            dangerous: true,
            warnings: [{ code: 'double_extension', file_name: 'invoice.pdf.exe' }],
          }),
        ],
      }),
    );
    await renderMail(backend);
    await fireEvent.click(row(first.id));
    const [safe, dangerous] = await screen.findAllByTestId('attachment');
    expect(safe.textContent).toContain('734 kB');

    await fireEvent.click(within(safe).getByRole('button', { name: 'Open report.pdf' }));
    expect(backend.callsOf('open_attachment')).toEqual([{ id: first.id, partPath: '2', confirmed: false }]);

    await fireEvent.click(within(dangerous).getByRole('button', { name: 'Open invoice.pdf.exe' }));
    const dialog = screen.getByTestId('attachment-confirm');
    expect(dialog.getAttribute('role')).toBe('alertdialog');
    expect(dialog.textContent).toContain('This file is a program or script.');
    expect(dialog.textContent).toContain('“invoice.pdf.exe” has two extensions');
    expect(backend.callsOf('open_attachment')).toHaveLength(1);
    // Cancel has the focus: Enter alone never opens it.
    expect(document.activeElement?.textContent?.trim()).toBe('Cancel');

    await fireEvent.keyDown(document.activeElement!, { key: 'Escape' });
    expect(screen.queryByTestId('attachment-confirm')).toBeNull();
    expect(backend.callsOf('open_attachment')).toHaveLength(1);

    await fireEvent.click(within(dangerous).getByRole('button', { name: 'Open invoice.pdf.exe' }));
    await fireEvent.click(screen.getByTestId('attachment-confirm-confirm'));
    expect(backend.callsOf('open_attachment')[1]).toEqual({ id: first.id, partPath: '3', confirmed: true });

    await fireEvent.click(within(safe).getByRole('button', { name: 'Save report.pdf' }));
    expect(backend.callsOf('save_attachment')).toEqual([{ id: first.id, partPath: '2' }]);
    expect((await screen.findByTestId('attachment-saved')).textContent).toContain('/home/ada/Downloads/report.pdf');
  });

  it('drags an attachment out as a file through the shell, not as the page’s own drag', async () => {
    const backend = mailBackend();
    const first = backend.messages.get(INBOX)![0];
    backend.views.set(
      first.id,
      viewOf(first, {
        attachments: [
          {
            file_name: '季度报告 Q3.csv',
            original_name: '季度报告 Q3.csv',
            content_type: 'text/csv',
            size: 27,
            inline: false,
            content_id: null,
            part_path: '2',
            dangerous: false,
            warnings: [],
          },
        ],
      }),
    );
    await renderMail(backend);
    await fireEvent.click(row(first.id));
    const chip = await screen.findByTestId('attachment');
    expect(chip.getAttribute('draggable')).toBe('true');
    const started = await fireEvent.dragStart(chip);
    expect(started).toBe(false); // the page's drag was cancelled
    await waitFor(() => expect(backend.callsOf('drag_attachment')).toEqual([{ id: first.id, partPath: '2' }]));
  });

  it('opens a mailto: link handed over while it runs, and comes to the front', async () => {
    const backend = mailBackend();
    await renderMail(backend);
    expect(screen.queryByTestId('composer')).toBeNull();
    backend.launchCompose = composerState({ to: 'wei@example.com', subject: 'Clicked in a browser' });
    backend.emit('launch-requested', null);
    const composer = await screen.findByTestId('composer');
    expect((within(composer).getByTestId('compose-subject') as HTMLInputElement).value).toBe('Clicked in a browser');
    expect(backend.calls.filter((c) => c === 'take_launch_compose')).toHaveLength(2);
  });

  it('previews a raster image attachment in an empty sandbox, never an SVG', async () => {
    const backend = mailBackend();
    const first = backend.messages.get(INBOX)![0];
    const image = (file_name: string, content_type: string, part_path: string): AttachmentView => ({
      file_name,
      original_name: file_name,
      content_type,
      size: 2048,
      inline: false,
      content_id: null,
      part_path,
      dangerous: false,
      warnings: [],
    });
    backend.views.set(
      first.id,
      viewOf(first, {
        preview_base: 'heron-mail://preview/1000001/',
        attachments: [
          image('photo.jpg', 'image/jpeg', '2'),
          image('logo.svg', 'image/svg+xml', '3'),
          image('report.pdf', 'application/pdf', '4'),
        ],
      }),
    );
    await renderMail(backend);
    await fireEvent.click(row(first.id));
    const [photo, logo, pdf] = await screen.findAllByTestId('attachment');
    expect(within(logo).queryByTestId('attachment-preview-button')).toBeNull();
    expect(within(pdf).getByRole('button', { name: 'Preview report.pdf' })).toBeTruthy();
    await fireEvent.click(within(photo).getByRole('button', { name: 'Preview photo.jpg' }));
    const dialog = screen.getByTestId('attachment-preview');
    const frame = dialog.querySelector('iframe')!;
    expect(frame.getAttribute('sandbox')).toBe('');
    expect(frame.getAttribute('src')).toBe('heron-mail://preview/1000001/2');
    await fireEvent.keyDown(document.activeElement!, { key: 'Escape' });
    expect(screen.queryByTestId('attachment-preview')).toBeNull();
  });

  it('explains every security note in words, and unknown ones generically', async () => {
    const backend = mailBackend();
    const first = backend.messages.get(INBOX)![0];
    backend.views.set(
      first.id,
      viewOf(first, {
        security_notes: [
          { code: 'sender_differs_from_from', sender: 'mailer@bulk.example', from: 'ceo@example.com' },
          { code: 'link_text_host_mismatch', text_host: 'bank.example', href_host: 'evil.example' },
          { code: 'invisible_or_bidi_chars', field: 'subject', shown: 'Invoice<U+202E>fdp.exe' },
          { code: 'something_new_in_core' },
        ],
      }),
    );
    await renderMail(backend);
    await fireEvent.click(row(first.id));
    const notes = await screen.findByTestId('security-notes');
    const items = within(notes).getAllByRole('listitem').map((li) => li.textContent);
    expect(items).toEqual([
      'Sent by mailer@bulk.example on behalf of ceo@example.com.',
      'A link shows bank.example but goes to evil.example.',
      'The subject contains invisible or text-reversing characters: Invoice<U+202E>fdp.exe',
      'Heron found something unusual in this message. Be careful with its links and attachments.',
    ]);
  });

  it('confirms links that do not go where they say, and reports blocked ones', async () => {
    const backend = mailBackend();
    await renderMail(backend);
    backend.emit('mail-link', { id: 't/0', url: 'https://ok.example/', allowed: true, warnings: [], host: 'ok.example' });
    await sleep(10);
    expect(screen.queryByTestId('link-confirm')).toBeNull();

    backend.emit('mail-link', {
      id: 't/1',
      url: 'https://evil.example/login',
      allowed: true,
      warnings: [{ code: 'link_text_host_mismatch', text_host: 'bank.example', href_host: 'evil.example' }],
      host: 'evil.example',
    });
    const dialog = await screen.findByTestId('link-confirm');
    expect(dialog.textContent).toContain('This link goes to evil.example (not what the text shows). Open it?');
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Open link' }));
    expect(backend.callsOf('open_link')).toEqual([{ id: 't/1' }]);
    await waitFor(() => expect(screen.queryByTestId('link-confirm')).toBeNull());

    backend.emit('mail-link', { id: 't/2', url: 'file:///etc/passwd', allowed: false, warnings: [], host: '' });
    const notice = await screen.findByTestId('link-blocked');
    expect(notice.textContent).toContain("Heron doesn't open links of this kind");
    expect(notice.textContent).toContain('file:///etc/passwd');
    expect(backend.callsOf('open_link')).toHaveLength(1);
  });
});

describe('notifications', () => {
  it('asks the shell for a notification in the user’s words unless Mail is in view', async () => {
    const backend = mailBackend();
    await renderMail(backend);
    const arrived: NewMail = {
      ...newMail(INBOX, 'INBOX', 1),
      newest: { id: 42, from_name: 'Alice Martin', from_addr: 'alice@example.com', subject: 'Lunch?' },
    };
    screen.getByTestId('message-list').focus();
    backend.emit('new-mail', arrived);
    await sleep(10);
    expect(backend.callsOf('notify_new_mail')).toEqual([]);

    await fireEvent.click(screen.getByTestId('rail-calendar'));
    backend.emit('new-mail', arrived);
    await waitFor(() =>
      expect(backend.callsOf('notify_new_mail')).toEqual([{ title: 'Alice Martin', body: 'Lunch?', message: 42 }]),
    );
  });

  it('opening a notification shows its message in its folder, from any section', async () => {
    const backend = mailBackend();
    backend.messages.set(PROJECTS, [message(601, PROJECTS, { subject: 'Design review', flags: [] })]);
    await renderMail(backend);
    await fireEvent.click(screen.getByTestId('rail-calendar'));
    backend.emit('open-message', { id: 601 });
    const heading = await screen.findByRole('heading', { level: 1, name: 'Design review' });
    expect(heading).toBeTruthy();
    expect(screen.getByTestId('rail-mail').getAttribute('aria-current')).toBe('page');
    const projects = screen.getAllByTestId('folder').find((f) => f.getAttribute('data-folder-id') === String(PROJECTS))!;
    expect(projects.getAttribute('aria-current')).toBe('true');
    expect(selectedIds()).toEqual([601]);
  });
});

describe('search', () => {
  it('waits for typing to pause, shows results and filter chips, and Esc goes back', async () => {
    const backend = mailBackend();
    const hits: MessageRow[] = [message(501, INBOX, { subject: 'Report from Alice' })];
    backend.searchResults = (query) => (query.includes('report') ? hits : []);
    await renderMail(backend);

    const box = screen.getByTestId('search-box') as HTMLInputElement;
    for (const text of ['f', 'from:al', 'from:alice is:unread report']) {
      await fireEvent.input(box, { target: { value: text } });
    }
    expect(backend.callsOf('search_mail')).toEqual([]);
    await sleep(SEARCH_DEBOUNCE_MS + 50);
    expect(backend.callsOf('search_mail')).toEqual([{ query: 'from:alice is:unread report', limit: 200 }]);

    expect(await screen.findByText('Report from Alice')).toBeTruthy();
    expect(screen.getAllByTestId('message-row')).toHaveLength(1);
    expect(screen.getByText('Results from mail on this computer, then from the server')).toBeTruthy();
    const chips = screen.getAllByTestId('search-chip');
    expect(chips.map((c) => c.textContent?.trim())).toEqual(['From: alice', 'Unread']);

    await fireEvent.click(within(chips[1]).getByRole('button', { name: 'Remove filter: Unread' }));
    expect(box.value).toBe('from:alice report');

    await fireEvent.keyDown(box, { key: 'Escape' });
    expect(box.value).toBe('');
    await waitFor(() => expect(screen.getAllByTestId('message-row')).toHaveLength(5));
  });

  it('opens a result in the reader', async () => {
    const backend = mailBackend();
    const hit = backend.messages.get(INBOX)![3];
    backend.searchResults = () => [hit];
    await renderMail(backend);
    await fireEvent.input(screen.getByTestId('search-box'), { target: { value: 'subject:4' } });
    await waitFor(() => expect(screen.getAllByTestId('message-row')).toHaveLength(1));
    await fireEvent.click(row(hit.id));
    expect(await screen.findByRole('heading', { level: 1, name: hit.subject })).toBeTruthy();
  });
});

describe('search on the server', () => {
  const zebra = (id: number, subject: string, over: Partial<MessageRow> = {}) =>
    message(id, INBOX, { subject, preview: '', ...over });

  async function search(text: string) {
    await fireEvent.input(screen.getByTestId('search-box'), { target: { value: text } });
  }

  it('asks the servers once the local results are in, and shows what they alone found below them', async () => {
    const backend = mailBackend();
    const local = zebra(501, 'Zebra minutes');
    const remote = zebra(502, 'Zebra crossing plans', { flags: [] });
    backend.views.set(remote.id, viewOf(remote, { downloaded: false, text_body: '' }));
    backend.searchResults = () => [local];
    backend.serverResults = () => ({ items: [local, remote], errors: [] });
    let release = () => {};
    backend.gates.set('search_server', new Promise<void>((resolve) => (release = resolve)));
    await renderMail(backend);

    await search('zebra');
    const section = await screen.findByTestId('server-results');
    expect(backend.callsOf('search_mail')).toEqual([{ query: 'zebra', limit: 200 }]);
    expect(backend.callsOf('search_server')).toEqual([{ query: 'zebra', limit: 100 }]);
    expect(screen.getAllByTestId('message-row').map((el) => Number(el.getAttribute('data-id')))).toEqual([501]);
    expect(within(section).getByRole('heading').textContent).toBe('On the server (not downloaded yet)');
    expect(section.textContent).toContain('Searching the server…');
    // Below the local results.
    const list = screen.getByTestId('message-list');
    expect(list.compareDocumentPosition(section) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();

    release();
    await waitFor(() => expect(section.textContent).not.toContain('Searching the server…'));
    // What the local results show already is not shown twice.
    const found = within(section).getAllByTestId('server-row');
    expect(found.map((el) => Number(el.getAttribute('data-id')))).toEqual([502]);
    expect(found[0].textContent).toContain('Zebra crossing plans');

    // Mail changing runs the local search again, but does not ask the servers again.
    backend.emit('mail-changed', { folders: [INBOX] });
    await waitFor(() => expect(backend.callsOf('search_mail')).toHaveLength(2));
    await sleep(10);
    expect(backend.callsOf('search_server')).toHaveLength(1);
    expect(within(section).getAllByTestId('server-row')).toHaveLength(1);

    // A result opens in the reader like any other, and is marked read.
    await fireEvent.click(found[0]);
    expect(await screen.findByRole('heading', { level: 1, name: 'Zebra crossing plans' })).toBeTruthy();
    expect(screen.getByTestId('reader-not-downloaded')).toBeTruthy();
    expect(backend.callsOf('set_flags')).toEqual([{ ids: [502], add: ['\\Seen'], remove: [] }]);
    expect(within(section).getByTestId('server-row').getAttribute('aria-current')).toBe('true');

    // Once its body is downloaded, the local search finds it: it leaves the server's section.
    backend.searchResults = () => [local, remote];
    backend.emit('mail-changed', { folders: [INBOX] });
    await waitFor(() => expect(within(section).queryAllByTestId('server-row')).toHaveLength(0));
    expect(screen.getAllByTestId('message-row')).toHaveLength(2);
  });

  it('does not ask the servers about filters alone', async () => {
    const backend = mailBackend();
    backend.searchResults = () => [zebra(501, 'From Alice')];
    await renderMail(backend);
    await search('from:alice is:unread');
    expect(await screen.findByText('From Alice')).toBeTruthy();
    await sleep(10);
    expect(backend.callsOf('search_server')).toEqual([]);
    expect(screen.queryByTestId('server-results')).toBeNull();
    expect(screen.getByText('Results from mail on this computer')).toBeTruthy();
  });

  it('says which accounts could not be searched, and shows what the others found', async () => {
    const backend = mailBackend();
    backend.serverResults = () => ({
      items: [zebra(502, 'Zebra crossing plans')],
      errors: [{ code: 'auth_failed', message: 'bob@example.org: the server refused the login' }],
    });
    await renderMail(backend);
    await search('zebra');
    const problem = await screen.findByTestId('server-errors');
    expect(problem.textContent?.trim()).toBe(
      'Some accounts could not be searched: bob@example.org: the server refused the login',
    );
    expect(within(screen.getByTestId('server-results')).getAllByTestId('server-row')).toHaveLength(1);
    // No local results: said so, above the server's.
    expect(screen.getByTestId('list-empty').textContent).toContain('No messages on this computer match your search.');
  });

  it('ignores a server answer that comes after the query changed', async () => {
    const backend = mailBackend();
    backend.serverResults = (query): ServerSearch => ({
      items: [query === 'zebra' ? zebra(502, 'About zebras') : zebra(503, 'About yaks')],
      errors: [],
    });
    let releaseZebra = () => {};
    backend.gates.set('search_server', new Promise<void>((resolve) => (releaseZebra = resolve)));
    await renderMail(backend);

    await search('zebra');
    await waitFor(() => expect(backend.callsOf('search_server')).toHaveLength(1));
    let releaseYak = () => {};
    backend.gates.set('search_server', new Promise<void>((resolve) => (releaseYak = resolve)));
    await search('yak');
    await waitFor(() => expect(backend.callsOf('search_server')).toHaveLength(2));

    releaseZebra();
    await sleep(10);
    const section = screen.getByTestId('server-results');
    expect(within(section).queryAllByTestId('server-row')).toHaveLength(0);
    expect(section.textContent).toContain('Searching the server…');

    releaseYak();
    await waitFor(() => expect(within(section).getAllByTestId('server-row')).toHaveLength(1));
    expect(section.textContent).toContain('About yaks');
    expect(section.textContent).not.toContain('About zebras');

    // Leaving the search hides the section.
    await fireEvent.keyDown(screen.getByTestId('search-box'), { key: 'Escape' });
    await waitFor(() => expect(screen.queryByTestId('server-results')).toBeNull());
  });
});

describe('sorting', () => {
  function shown(): number[] {
    return screen.getAllByTestId('message-row').map((el) => Number(el.getAttribute('data-id')));
  }

  it('reloads the folder in the order chosen in the menu, and remembers the order', async () => {
    const backend = mailBackend(0);
    backend.messages.set(INBOX, [
      message(11, INBOX, { from_name: 'Carol', subject: 'Budget', size: 10_000 }),
      message(12, INBOX, { from_name: 'alice', subject: 'Weekly plan', size: 300 }),
      message(13, INBOX, { from_name: 'Bob', subject: 'Agenda', size: 5_000_000 }),
    ]);
    await renderMail(backend);
    expect(shown()).toEqual([11, 12, 13]);
    await fireEvent.click(row(12));

    const button = screen.getByTestId('sort-menu');
    expect(button.getAttribute('aria-label')).toBe('Sort: Newest first');
    expect(button.getAttribute('aria-haspopup')).toBe('menu');
    await fireEvent.click(button);
    const options = screen.getAllByTestId('sort-option');
    expect(options.map((o) => [o.getAttribute('data-order'), o.textContent?.trim(), o.getAttribute('aria-checked')])).toEqual([
      ['newest_first', 'Newest first', 'true'],
      ['oldest_first', 'Oldest first', 'false'],
      ['sender', 'Sender (A to Z)', 'false'],
      ['subject', 'Subject (A to Z)', 'false'],
      ['largest_first', 'Largest first', 'false'],
    ]);
    expect(document.activeElement).toBe(options[0]);
    await fireEvent.keyDown(options[0], { key: 'ArrowDown' });
    await fireEvent.keyDown(options[1], { key: 'ArrowDown' });
    expect(document.activeElement).toBe(options[2]);

    await fireEvent.click(options[2]);
    await waitFor(() => expect(shown()).toEqual([12, 13, 11]));
    expect(screen.queryAllByTestId('sort-option')).toHaveLength(0);
    expect(document.activeElement).toBe(button);
    expect(backend.callsOf('mail_window').slice(-1)[0]).toEqual({ folder: INBOX, offset: 0, limit: 100, order: 'sender' });
    expect(button.getAttribute('aria-label')).toBe('Sort: Sender (A to Z)');
    expect(localStorage.getItem(STORAGE_KEYS.mailOrder)).toBe('sender');
    // The open message stays open, and selected where it is now.
    expect(selectedIds()).toEqual([12]);
    expect(screen.getByRole('heading', { level: 1, name: 'Weekly plan' })).toBeTruthy();

    await fireEvent.click(button);
    await fireEvent.click(screen.getAllByTestId('sort-option').find((o) => o.getAttribute('data-order') === 'largest_first')!);
    await waitFor(() => expect(shown()).toEqual([13, 11, 12]));

    // Another folder is sorted the same way; so is the list after the next start.
    await fireEvent.click(screen.getAllByTestId('folder').find((f) => f.getAttribute('data-folder-id') === String(ARCHIVE))!);
    expect(backend.callsOf('mail_window').slice(-1)[0]).toMatchObject({ folder: ARCHIVE, order: 'largest_first' });
  });

  it('starts in the order chosen last time', async () => {
    localStorage.setItem(STORAGE_KEYS.mailOrder, 'oldest_first');
    const backend = mailBackend(3);
    await renderMail(backend);
    expect(shown()).toEqual([id(2), id(1), id(0)]);
    expect(backend.callsOf('mail_window')).toEqual([{ folder: INBOX, offset: 0, limit: 100, order: 'oldest_first' }]);
  });

  it('is not offered for search results, which keep the store’s ranking', async () => {
    const backend = mailBackend();
    backend.searchResults = () => [message(501, INBOX)];
    await renderMail(backend);
    await fireEvent.input(screen.getByTestId('search-box'), { target: { value: 'from:alice' } });
    await waitFor(() => expect(screen.getAllByTestId('message-row')).toHaveLength(1));
    expect(screen.queryByTestId('sort-menu')).toBeNull();
  });
});

describe('conversations', () => {
  const SENT = 3;
  const NOW = Math.floor(MAIL_TODAY.getTime() / 1000);
  const HOUR = 3600;

  /**
   * Ada's Inbox with a conversation of two messages there (one unread, one flagged with
   * an attachment) and her reply in Sent, and a message alone in its conversation.
   */
  function conversationBackend(): FakeBackend {
    const backend = mailBackend(0);
    const plan = (messageId: number, folderId: number, hoursAgo: number, over: Partial<MessageRow>) =>
      message(messageId, folderId, { thread_id: 'plan', subject: 'Re: Quarterly plan', date: NOW - hoursAgo * HOUR, ...over });
    backend.messages.set(INBOX, [
      plan(103, INBOX, 1, { from_name: 'Alice Martin', flags: [], preview: 'Sounds good, see you Monday' }),
      message(201, INBOX, { thread_id: 'lunch', subject: 'Lunch?', date: NOW - 2 * HOUR }),
      plan(101, INBOX, 5, {
        subject: 'Quarterly plan',
        from_name: 'Alice Martin',
        flags: ['\\Seen', '\\Flagged'],
        has_attachments: true,
        preview: 'Here is the plan',
      }),
    ]);
    backend.messages.set(SENT, [
      plan(102, SENT, 3, { from_name: 'Ada Lovelace', from_addr: 'ada@example.com', preview: 'Thanks, looks fine' }),
    ]);
    return backend;
  }

  function shown(): number[] {
    return screen.getAllByTestId('message-row').map((el) => Number(el.getAttribute('data-id')));
  }

  function inbox(): HTMLElement {
    return screen.getAllByTestId('folder').find((f) => f.getAttribute('data-folder-id') === String(INBOX))!;
  }

  it('are listed when the toggle is on, each row with its count and markers, and the choice is remembered', async () => {
    const backend = conversationBackend();
    const first = await renderMail(backend);
    expect(shown()).toEqual([103, 201, 101]);
    const toggle = screen.getByTestId('conversations-toggle');
    expect([toggle.getAttribute('aria-pressed'), toggle.getAttribute('aria-label')]).toEqual(['false', 'Group by conversation']);

    await fireEvent.click(toggle);
    await waitFor(() => expect(shown()).toEqual([103, 201]));
    expect(toggle.getAttribute('aria-pressed')).toBe('true');
    expect(backend.callsOf('mail_window').slice(-1)[0]).toEqual({ folder: INBOX, offset: 0, limit: 100, order: 'conversations' });
    expect(screen.getByTestId('message-list').closest('.pane')?.textContent).toContain('2 conversations');
    expect(localStorage.getItem(STORAGE_KEYS.mailConversations)).toBe('on');
    // Conversations come newest first: there is nothing to sort.
    expect(screen.getByTestId('sort-menu').hasAttribute('disabled')).toBe(true);

    // The row stands for the conversation: its count, and the markers of all its messages.
    const plan = row(103);
    expect(within(plan).getByTestId('conversation-count').textContent?.trim()).toBe('2');
    expect(plan.classList.contains('unread')).toBe(true);
    expect(plan.querySelector('.flag')).toBeTruthy();
    expect(plan.textContent).toContain('2 messages in this conversation, Unread, Flagged, Has attachments');
    expect(within(row(201)).queryByTestId('conversation-count')).toBeNull();

    first.unmount();
    const calls = backend.callsOf('mail_window').length;
    await renderMail(backend);
    expect(backend.callsOf('mail_window')[calls]).toEqual({ folder: INBOX, offset: 0, limit: 100, order: 'conversations' });
    expect(shown()).toEqual([103, 201]);

    // Off again: the folder comes back sorted as it was.
    await fireEvent.click(screen.getByTestId('conversations-toggle'));
    await waitFor(() => expect(shown()).toEqual([103, 201, 101]));
    expect(backend.callsOf('mail_window').slice(-1)[0]).toMatchObject({ order: 'newest_first' });
    expect(localStorage.getItem(STORAGE_KEYS.mailConversations)).toBe('off');
  });

  it('act on all the messages of a row: selection, bulk actions and drag', async () => {
    localStorage.setItem(STORAGE_KEYS.mailConversations, 'on');
    const backend = conversationBackend();
    await renderMail(backend);
    expect(within(inbox()).getByTestId('unread-badge').textContent?.trim()).toBe('1');

    // Ctrl-click selects the rows without opening them; the actions take all their messages.
    await fireEvent.click(row(103), { ctrlKey: true });
    await fireEvent.click(row(201), { ctrlKey: true });
    await fireEvent.click(screen.getByTestId('bulk-read'));
    expect(backend.callsOf('set_flags')).toEqual([{ ids: [103, 101, 201], add: ['\\Seen'], remove: [] }]);
    expect(row(103).classList.contains('unread')).toBe(false);
    expect(within(inbox()).queryByTestId('unread-badge')).toBeNull();

    // Not all flagged: all are flagged at once; refused, the markers are put back.
    let release = () => {};
    backend.gates.set('set_flags', new Promise<void>((resolve) => (release = resolve)));
    backend.commandFailures.set('set_flags', { code: 'store_busy', message: 'The local store is busy' });
    await fireEvent.click(screen.getByTestId('bulk-flag'));
    expect(backend.callsOf('set_flags')[1]).toEqual({ ids: [103, 101, 201], add: ['\\Flagged'], remove: [] });
    expect(row(201).querySelector('.flag')).toBeTruthy();
    release();
    expect(await screen.findByTestId('mail-error')).toBeTruthy();
    expect(row(103).querySelector('.flag')).toBeTruthy();
    expect(row(201).querySelector('.flag')).toBeNull();
    backend.gates.delete('set_flags');
    backend.commandFailures.delete('set_flags');

    await fireEvent.click(row(201));
    await fireEvent.click(row(103), { ctrlKey: true });
    const transfer = dataTransfer();
    await fireEvent.dragStart(row(103), { dataTransfer: transfer });
    expect(JSON.parse(transfer.getData('application/x-heron-messages'))).toEqual([201, 103, 101]);

    await fireEvent.click(row(103));
    await fireEvent.click(screen.getByTestId('bulk-archive'));
    expect(backend.callsOf('move_messages')).toEqual([{ ids: [103, 101], folder: ARCHIVE }]);
    expect(shown()).toEqual([201]);
    const archive = screen.getAllByTestId('folder').find((f) => f.getAttribute('data-folder-id') === String(ARCHIVE))!;
    await fireEvent.click(archive);
    await waitFor(() => expect(shown()).toEqual([103]));
    expect(within(row(103)).getByTestId('conversation-count').textContent?.trim()).toBe('2');

    // Dropped on a folder, the row's messages go with it; a refusal brings the row back.
    backend.commandFailures.set('move_messages', { code: 'not_found', message: 'No message 103' });
    const drag = dataTransfer();
    await fireEvent.dragStart(row(103), { dataTransfer: drag });
    const projects = screen.getAllByTestId('folder').find((f) => f.getAttribute('data-folder-id') === String(PROJECTS))!;
    await fireEvent.dragOver(projects, { dataTransfer: drag });
    await fireEvent.drop(projects, { dataTransfer: drag });
    expect(backend.callsOf('move_messages')[1]).toEqual({ ids: [103, 101], folder: PROJECTS });
    expect((await screen.findByTestId('mail-error')).textContent).toContain("Couldn't move the messages.");
    expect(shown()).toEqual([103]);
  });

  it('open in the reader with the newest message expanded; expanding another reads it', async () => {
    localStorage.setItem(STORAGE_KEYS.mailConversations, 'on');
    const backend = conversationBackend();
    await renderMail(backend);
    await fireEvent.click(row(103));

    const reader = screen.getByTestId('reader');
    const conversation = await within(reader).findByTestId('conversation');
    expect(backend.callsOf('read_conversation')).toEqual([{ id: 103 }]);
    // Opening marks all the row's messages in the folder read.
    expect(backend.callsOf('set_flags')).toEqual([{ ids: [103, 101], add: ['\\Seen'], remove: [] }]);
    expect(within(reader).getByRole('heading', { level: 1 }).textContent).toBe('Quarterly plan');
    expect(reader.textContent).toContain('3 messages');

    const items = within(conversation).getAllByTestId('conversation-message');
    expect(items.map((item) => Number(item.getAttribute('data-id')))).toEqual([101, 102, 103]);
    const toggles = within(conversation).getAllByTestId('conversation-toggle');
    expect(toggles.map((t) => t.getAttribute('aria-expanded'))).toEqual(['false', 'false', 'true']);
    expect(toggles[0].textContent).toContain('Alice Martin');
    expect(within(items[0]).getByTestId('conversation-snippet').textContent).toBe('Here is the plan');
    // Ada's reply is in Sent: it says so.
    expect(within(items[1]).getByTestId('message-folder').textContent).toBe('Sent');
    expect(within(items[2]).getByTestId('reader-body').textContent).toBe('Body of message 103');
    expect(within(items[2]).queryByTestId('conversation-snippet')).toBeNull();
    // The newest was read with the row: nothing asked twice.
    expect(backend.callsOf('read_message')).toEqual([{ id: 103 }]);

    await fireEvent.click(toggles[0]);
    expect(toggles[0].getAttribute('aria-expanded')).toBe('true');
    expect(await within(items[0]).findByText('Body of message 101')).toBeTruthy();
    expect(backend.callsOf('read_message')).toEqual([{ id: 103 }, { id: 101 }]);
    expect(toggles[0].getAttribute('aria-controls')).toBe(within(items[0]).getByTestId('reader-body').parentElement?.id);
    await fireEvent.click(toggles[2]);
    expect(toggles[2].getAttribute('aria-expanded')).toBe('false');
    expect(within(items[2]).queryByTestId('reader-body')).toBeNull();

    // A message's own actions act on it alone: unflagged, the row has no flag left.
    const actions = within(items[0]).getByTestId('message-actions');
    expect(actions.getAttribute('aria-label')).toBe('Actions for the message from Alice Martin');
    await fireEvent.click(within(actions).getByTestId('message-flag'));
    expect(backend.callsOf('set_flags')[1]).toEqual({ ids: [101], add: [], remove: ['\\Flagged'] });
    expect(row(103).querySelector('.flag')).toBeNull();
    expect(screen.getByTestId('reader-flag').getAttribute('aria-pressed')).toBe('false');

    // The keyboard moves on through the rows; a conversation of one is shown as a message.
    await fireEvent.keyDown(screen.getByTestId('message-list'), { key: 'j' });
    expect(await within(reader).findByRole('heading', { level: 1, name: 'Lunch?' })).toBeTruthy();
    expect(within(reader).queryByTestId('conversation')).toBeNull();
    await fireEvent.keyDown(screen.getByTestId('message-list'), { key: 'k' });
    expect(await within(reader).findByTestId('conversation')).toBeTruthy();

    // Reply answers the message it belongs to.
    await fireEvent.click(within(screen.getAllByTestId('conversation-message')[2]).getByTestId('message-reply'));
    expect(backend.callsOf('respond_to')).toEqual([{ id: 103, mode: 'reply' }]);
  });
});

describe('all inboxes', () => {
  const BOB_INBOX = 20;

  /** Ada's and Bob's inboxes, an unread message in each, interleaved by date. */
  function twoAccounts(): FakeBackend {
    const backend = mailBackend(0);
    backend.accountList = [ADA_ACCOUNT, BOB_ACCOUNT];
    backend.folderList.push(folder(20, 'INBOX', 'INBOX', 0, 'acct-bob'), folder(21, 'Archive', '\\Archive', 0, 'acct-bob'));
    backend.messages.set(INBOX, [message(11, INBOX, { flags: [] }), message(13, INBOX)]);
    backend.messages.set(BOB_INBOX, [message(12, BOB_INBOX, { flags: [], subject: 'For Bob' })]);
    return backend;
  }

  it('come first, above the accounts, and list every inbox with the account of each row', async () => {
    const backend = twoAccounts();
    await renderMail(backend);
    const all = screen.getAllByTestId('folder')[0];
    expect(all.getAttribute('data-folder-id')).toBe('-1');
    expect(all.querySelector('.name')?.textContent).toBe('All inboxes');
    expect(all.getAttribute('aria-label')).toBe('All inboxes, 2 unread');
    const heading = screen.getByRole('heading', { name: 'ada@example.com' });
    expect(all.compareDocumentPosition(heading) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();

    await fireEvent.click(all);
    await waitFor(() =>
      expect(screen.getAllByTestId('message-row').map((el) => Number(el.getAttribute('data-id')))).toEqual([11, 12, 13]),
    );
    expect(backend.callsOf('mail_window').slice(-1)[0]).toEqual({ folder: -1, offset: 0, limit: 100, order: 'newest_first' });
    expect(screen.getByRole('heading', { level: 2, name: 'All inboxes' })).toBeTruthy();
    expect(within(row(11)).getByTestId('row-account').textContent).toBe('ada@example.com');
    expect(within(row(12)).getByTestId('row-account').textContent).toBe('bob@example.org');

    // Reading Bob's message counts it read in his inbox and in all of them.
    await fireEvent.click(row(12));
    const bobInbox = screen.getAllByTestId('folder').find((f) => f.getAttribute('data-folder-id') === String(BOB_INBOX))!;
    expect(within(bobInbox).queryByTestId('unread-badge')).toBeNull();
    expect(within(all).getByTestId('unread-badge').textContent?.trim()).toBe('1');
    // Archived into Bob's own Archive.
    await fireEvent.keyDown(screen.getByTestId('message-list'), { key: 'e' });
    expect(backend.callsOf('move_messages')).toEqual([{ ids: [12], folder: 21 }]);

    // New mail in any inbox shows here.
    backend.messages.set(BOB_INBOX, [message(5, BOB_INBOX, { subject: 'Just arrived for Bob', flags: [] })]);
    backend.emit('new-mail', { ...newMail(BOB_INBOX, 'INBOX', 1), account: 'acct-bob' });
    expect(await screen.findByText('Just arrived for Bob')).toBeTruthy();
  });

  it('take no drop: nothing can be moved into them', async () => {
    const backend = twoAccounts();
    await renderMail(backend);
    const all = screen.getAllByTestId('folder')[0];
    const transfer = dataTransfer();
    await fireEvent.dragStart(row(11), { dataTransfer: transfer });
    // Not cancelled: the drag is not taken.
    expect(await fireEvent.dragOver(all, { dataTransfer: transfer })).toBe(true);
    expect(all.classList.contains('drop')).toBe(false);
    await fireEvent.drop(all, { dataTransfer: transfer });
    expect(backend.callsOf('move_messages')).toEqual([]);
    expect(screen.getAllByTestId('message-row')).toHaveLength(2);
  });
});

describe('printing', () => {
  it('prints the message whole through the shell from the toolbar and with Ctrl+P, and nothing without one', async () => {
    const backend = mailBackend();
    await renderMail(backend);
    const list = screen.getByTestId('message-list');
    expect(await fireEvent.keyDown(list, { key: 'p', ctrlKey: true })).toBe(true);
    expect(backend.callsOf('print_messages')).toEqual([]);

    await fireEvent.click(row(id(0)));
    await screen.findByRole('heading', { level: 1, name: 'Subject 1000001' });
    const button = screen.getByTestId('reader-print');
    expect([button.getAttribute('aria-label'), button.title, button.getAttribute('aria-keyshortcuts')]).toEqual([
      'Print',
      'Print (Ctrl+P)',
      'Control+P',
    ]);
    await fireEvent.click(button);
    expect(await fireEvent.keyDown(list, { key: 'p', ctrlKey: true })).toBe(false);
    await waitFor(() =>
      expect(backend.callsOf('print_messages')).toEqual([
        { ids: [id(0)], lang: 'en' },
        { ids: [id(0)], lang: 'en' },
      ]),
    );
  });

  it('prints one message of a conversation, or the whole conversation oldest first', async () => {
    localStorage.setItem(STORAGE_KEYS.mailConversations, 'on');
    const backend = mailBackend(0);
    const now = Math.floor(MAIL_TODAY.getTime() / 1000);
    backend.messages.set(INBOX, [
      message(2, INBOX, { thread_id: 'plan', date: now - 60 }),
      message(1, INBOX, { thread_id: 'plan', date: now - 600 }),
    ]);
    await renderMail(backend);
    await fireEvent.click(row(2));
    const [, newest] = await screen.findAllByTestId('conversation-message');
    await fireEvent.click(within(newest).getByTestId('message-print'));
    await waitFor(() => expect(backend.callsOf('print_messages')).toEqual([{ ids: [2], lang: 'en' }]));
    await fireEvent.click(screen.getByTestId('reader-print'));
    await waitFor(() => expect(backend.callsOf('print_messages')[1]).toEqual({ ids: [1, 2], lang: 'en' }));
  });
});

describe('a message file Heron was started with', () => {
  it('is shown in the reader with what works outside a folder only', async () => {
    const backend = mailBackend();
    backend.launchCompose = null;
    const file = message(-1, 0, { subject: 'Letter from a file', flags: [] });
    const pdf: AttachmentView = {
      file_name: 'report.pdf',
      original_name: 'report.pdf',
      content_type: 'application/pdf',
      size: 734_003,
      inline: false,
      content_id: null,
      part_path: '2',
      dangerous: false,
      warnings: [],
    };
    backend.launchMessage = viewOf(file, {
      folder_name: '',
      attachments: [pdf],
      preview_base: 'heron-mail://preview/-1/',
    });
    await renderMail(backend);

    const reader = screen.getByTestId('reader');
    expect(await within(reader).findByRole('heading', { level: 1, name: 'Letter from a file' })).toBeTruthy();
    expect(reader.getAttribute('data-message-id')).toBe('-1');
    expect(within(reader).getByTestId('reader-file-note').textContent?.trim()).toBe('Opened from a file');
    expect(within(reader).getByTestId('reader-body').textContent).toBe('Body of message -1');
    for (const testid of [
      'reader-reply',
      'reader-reply-all',
      'reader-forward',
      'reader-archive',
      'reader-delete',
      'reader-read',
      'reader-flag',
      'move-button',
    ]) {
      expect(within(reader).queryByTestId(testid), testid).toBeNull();
    }
    // Not marked read: it is in no folder.
    expect(backend.callsOf('set_flags')).toEqual([]);

    // Its attachments are saved, opened and previewed like any other's.
    const attachment = within(reader).getByTestId('attachment');
    await fireEvent.click(within(attachment).getByTestId('attachment-save'));
    await fireEvent.click(within(attachment).getByTestId('attachment-open'));
    expect(backend.callsOf('save_attachment')).toEqual([{ id: -1, partPath: '2' }]);
    expect(backend.callsOf('open_attachment')).toEqual([{ id: -1, partPath: '2', confirmed: false }]);
    await fireEvent.click(within(attachment).getByTestId('attachment-preview-button'));
    expect(screen.getByTestId('attachment-preview').querySelector('iframe')?.getAttribute('src')).toBe(
      'heron-mail://preview/-1/2',
    );
    await fireEvent.keyDown(document.activeElement!, { key: 'Escape' });

    // The shortcuts leave it alone too.
    for (const key of ['#', 'e', 'u', 's', 'r', 'f']) await fireEvent.keyDown(document.body, { key });
    expect(backend.callsOf('delete_messages')).toEqual([]);
    expect(backend.callsOf('move_messages')).toEqual([]);
    expect(backend.callsOf('set_flags')).toEqual([]);
    expect(backend.callsOf('respond_to')).toEqual([]);

    // Asked for once, after the mailto: composer.
    const asked = backend.invocations.map((i) => i.command);
    expect(asked.filter((c) => c === 'take_launch_message')).toHaveLength(1);
    expect(asked.indexOf('take_launch_compose')).toBeLessThan(asked.indexOf('take_launch_message'));

    // Another message replaces it, with all its actions.
    await fireEvent.click(row(id(0)));
    expect(await screen.findByTestId('reader-archive')).toBeTruthy();
    expect(screen.queryByTestId('reader-file-note')).toBeNull();
  });

  it('is shown before the first sync brings folders, and stays when they come', async () => {
    const backend = mailBackend();
    backend.folderList = [];
    backend.messages.clear();
    backend.launchMessage = viewOf(message(-1, 0, { subject: 'Letter from a file' }), { folder_name: '' });
    render(App, { props: { backend, storage: localStorage, now: () => MAIL_TODAY } });
    expect(await screen.findByRole('heading', { level: 1, name: 'Letter from a file' })).toBeTruthy();

    backend.folderList = ADA_FOLDERS.map((f) => ({ ...f }));
    backend.messages.set(INBOX, messages(INBOX, 2));
    backend.emit('mail-changed', { folders: [INBOX] });
    expect(await screen.findAllByTestId('message-row')).toHaveLength(2);
    expect(screen.getByRole('heading', { level: 1, name: 'Letter from a file' })).toBeTruthy();
    expect(screen.getByTestId('reader-file-note')).toBeTruthy();
  });

  it('says so when the file cannot be opened', async () => {
    const backend = mailBackend();
    backend.commandFailures.set('take_launch_message', {
      code: 'too_large',
      message: '/home/ada/huge.eml is larger than 52428800 bytes',
    });
    await renderMail(backend);
    const error = await screen.findByTestId('mail-error');
    expect(error.textContent).toContain("Couldn't open the message file Heron was started with.");
    expect(error.textContent).toContain('huge.eml is larger');
  });
});

describe('administrator changes', () => {
  it('reload accounts and folders in place when the policy changes, with a quiet notice', async () => {
    const backend = mailBackend();
    await renderMail(backend);
    const accountCalls = () => backend.calls.filter((c) => c === 'accounts').length;
    const before = { accounts: accountCalls(), folders: backend.callsOf('mail_folders').length };
    backend.accountList = [ADA_ACCOUNT, BOB_ACCOUNT];
    backend.folderList.push(folder(20, 'INBOX', 'INBOX', 0, 'acct-bob'));

    backend.emit('policy-changed', { kind: 'changed', keys: ['accounts.acct-bob'] });
    const notice = await screen.findByTestId('policy-changed');
    expect(notice.getAttribute('role')).toBe('status');
    expect(notice.textContent).toContain("Your administrator updated Heron's settings");
    expect(await screen.findByRole('heading', { name: 'bob@example.org' })).toBeTruthy();
    expect(accountCalls()).toBe(before.accounts + 1);
    expect(backend.callsOf('mail_folders')).toHaveLength(before.folders + 1);
    // Nothing flashed: the list stayed as it was.
    expect(screen.getAllByTestId('message-row')).toHaveLength(5);

    await fireEvent.click(within(notice).getByRole('button', { name: 'Dismiss' }));
    expect(screen.queryByTestId('policy-changed')).toBeNull();

    // A new privacy notice is loaded again too (to be accepted if it must be).
    const notices = backend.calls.filter((c) => c === 'privacy_notice').length;
    backend.emit('policy-changed', { kind: 'changed', keys: ['privacy_notice'] });
    await waitFor(() => expect(backend.calls.filter((c) => c === 'privacy_notice')).toHaveLength(notices + 1));
  });

  it('only log a policy the core refused: it is the administrator’s to fix', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const backend = mailBackend();
      await renderMail(backend);
      const accounts = backend.calls.filter((c) => c === 'accounts').length;
      backend.emit('policy-changed', {
        kind: 'rejected',
        error: { code: 'invalid_config', message: 'policy.json: line 3: expected a string' },
      });
      await sleep(10);
      expect(screen.queryByTestId('policy-changed')).toBeNull();
      expect(backend.calls.filter((c) => c === 'accounts')).toHaveLength(accounts);
      expect(warn).toHaveBeenCalledWith(expect.any(String), 'policy.json: line 3: expected a string');
    } finally {
      warn.mockRestore();
    }
  });

  it('tell at start which accounts were removed, until the user says OK', async () => {
    const backend = mailBackend();
    backend.removedAccountList = [{ account: 'acct-old', wiped_at: 1_764_400_000 }];
    await renderMail(backend);
    const banner = await screen.findByTestId('accounts-removed');
    expect(banner.getAttribute('role')).toBe('status');
    expect(banner.textContent).toContain(
      'Your administrator removed the account acct-old from Heron. Its mail was deleted from this computer.',
    );
    expect(backend.callsOf('acknowledge_removed_accounts')).toEqual([]);
    await fireEvent.click(within(banner).getByRole('button', { name: 'OK' }));
    expect(screen.queryByTestId('accounts-removed')).toBeNull();
    expect(backend.callsOf('acknowledge_removed_accounts')).toHaveLength(1);
    expect(backend.callsOf('removed_accounts')).toHaveLength(1);
  });

  it('take away the folders of accounts removed while Heron runs', async () => {
    const backend = mailBackend();
    backend.accountList = [ADA_ACCOUNT, BOB_ACCOUNT];
    backend.folderList.push(folder(20, 'INBOX', 'INBOX', 0, 'acct-bob'));
    backend.messages.set(20, [message(2001, 20, { subject: 'Mail of Bob' })]);
    backend.syncStateList = [
      { account: 'acct-bob', state: 'offline', error: 'No route to host', folder: null, done: 0, total: 0, last_success: null },
    ];
    await renderMail(backend);
    expect(await screen.findByTestId('sync-banner')).toBeTruthy();
    const bobInbox = screen.getAllByTestId('folder').find((f) => f.getAttribute('data-folder-id') === '20')!;
    await fireEvent.click(bobInbox);
    await fireEvent.click(await screen.findByText('Mail of Bob'));
    expect(await screen.findByRole('heading', { level: 1, name: 'Mail of Bob' })).toBeTruthy();

    backend.accountList = [ADA_ACCOUNT];
    backend.folderList = backend.folderList.filter((f) => f.account !== 'acct-bob');
    backend.messages.delete(20);
    backend.emit('accounts-removed', [
      { account: 'acct-bob', wiped_at: 1_764_400_000 },
      { account: 'acct-carol', wiped_at: 1_764_400_000 },
    ]);
    const banner = await screen.findByTestId('accounts-removed');
    expect(banner.textContent).toContain(
      'Your administrator removed the accounts acct-bob and acct-carol from Heron. Their mail was deleted from this computer.',
    );
    // Ada's Inbox takes the place of the folder that went.
    expect(await screen.findByText('Subject 1000001')).toBeTruthy();
    expect(screen.queryByText('Mail of Bob')).toBeNull();
    expect(screen.getAllByTestId('folder')[0].getAttribute('aria-current')).toBe('true');
    expect(screen.queryByRole('heading', { name: 'bob@example.org' })).toBeNull();
    expect(screen.queryByTestId('sync-banner')).toBeNull();
  });
});

describe('keyboard', () => {
  it('shortcut keys typed in a message body reach the page through the shell', async () => {
    const backend = mailBackend();
    const first = backend.messages.get(INBOX)![0];
    backend.views.set(first.id, viewOf(first, { body_url: 'heron-mail://message/1000001/body' }));
    await renderMail(backend);
    await fireEvent.click(row(first.id));
    const body = (await screen.findByTestId('reader-body')) as HTMLIFrameElement;
    expect(body.tagName).toBe('IFRAME');

    // Clicking into the body takes the focus from the page: the shell is told.
    body.tabIndex = 0; // jsdom focuses a frame only with a tabindex; browsers always do
    body.focus();
    window.dispatchEvent(new FocusEvent('blur'));
    await waitFor(() => expect(backend.callsOf('set_body_focus')).toEqual([{ focused: true }]));

    // The shell sends j back as an event: the next message opens, the list has the focus.
    backend.emit('body-key', { key: 'j', ctrl: false });
    expect(await screen.findByRole('heading', { level: 1, name: 'Subject 1000002' })).toBeTruthy();
    expect(document.activeElement).toBe(screen.getByTestId('message-list'));
    await waitFor(() => expect(backend.callsOf('set_body_focus')).toEqual([{ focused: true }, { focused: false }]));

    backend.emit('body-key', { key: '?', ctrl: false });
    expect(await screen.findByRole('dialog', { name: 'Keyboard shortcuts' })).toBeTruthy();
  });

  it('j and k move and open, Enter opens, # deletes and the next message opens', async () => {
    const backend = mailBackend();
    await renderMail(backend);
    const list = screen.getByTestId('message-list');
    list.focus();

    await fireEvent.keyDown(list, { key: 'j' });
    expect(selectedIds()).toEqual([id(0)]);
    await fireEvent.keyDown(list, { key: 'j' });
    await fireEvent.keyDown(list, { key: 'ArrowDown' });
    expect(selectedIds()).toEqual([id(2)]);
    await fireEvent.keyDown(list, { key: 'k' });
    expect(selectedIds()).toEqual([id(1)]);
    expect(await screen.findByRole('heading', { level: 1, name: 'Subject 1000002' })).toBeTruthy();
    expect(backend.callsOf('read_message').map((c) => c.id)).toEqual([id(0), id(1), id(2), id(1)]);

    await fireEvent.keyDown(list, { key: 'ArrowDown', shiftKey: true });
    expect(selectedIds()).toEqual([id(1), id(2)]);
    await fireEvent.keyDown(list, { key: 'Enter' });
    expect(selectedIds()).toEqual([id(2)]);

    await fireEvent.keyDown(list, { key: '#' });
    expect(backend.callsOf('delete_messages')).toEqual([{ ids: [id(2)] }]);
    expect(screen.getAllByTestId('message-row').map((el) => Number(el.getAttribute('data-id')))).toEqual([
      id(0),
      id(1),
      id(3),
      id(4),
    ]);
    // The message below takes the deleted one's place in the reader.
    expect(await screen.findByRole('heading', { level: 1, name: 'Subject 1000004' })).toBeTruthy();
    expect(selectedIds()).toEqual([id(3)]);
  });

  it('u, s and e act on the selection; typing in the search box is left alone', async () => {
    const backend = mailBackend();
    await renderMail(backend);
    await fireEvent.click(row(id(0)));
    const list = screen.getByTestId('message-list');
    await fireEvent.keyDown(list, { key: 'u' });
    await fireEvent.keyDown(list, { key: 's' });
    expect(backend.callsOf('set_flags')).toEqual([
      { ids: [id(0)], add: [], remove: ['\\Seen'] },
      { ids: [id(0)], add: ['\\Flagged'], remove: [] },
    ]);
    await fireEvent.keyDown(screen.getByTestId('search-box'), { key: 'e' });
    expect(backend.callsOf('move_messages')).toEqual([]);
    await fireEvent.keyDown(list, { key: 'e' });
    expect(backend.callsOf('move_messages')).toEqual([{ ids: [id(0)], folder: ARCHIVE }]);
  });

  it('/ focuses search, ? opens the shortcuts, Esc closes them', async () => {
    await renderMail(mailBackend());
    const list = screen.getByTestId('message-list');
    await fireEvent.keyDown(list, { key: '/' });
    expect(document.activeElement).toBe(screen.getByTestId('search-box'));

    list.focus();
    await fireEvent.keyDown(list, { key: '?' });
    const dialog = screen.getByTestId('shortcuts-dialog');
    expect(dialog.getAttribute('aria-modal')).toBe('true');
    expect(dialog.contains(document.activeElement)).toBe(true);
    expect(dialog.textContent).toContain('Next message');
    // j does nothing under the dialog.
    await fireEvent.keyDown(document.activeElement!, { key: 'j' });
    expect(selectedIds()).toEqual([]);
    await fireEvent.keyDown(document.activeElement!, { key: 'Tab' });
    expect(dialog.contains(document.activeElement)).toBe(true);
    await fireEvent.keyDown(document.activeElement!, { key: 'Escape' });
    expect(screen.queryByTestId('shortcuts-dialog')).toBeNull();
  });
});

describe('layout', () => {
  it('resizes panes from the keyboard and remembers the sizes', async () => {
    await renderMail(mailBackend());
    const [folders, list] = screen.getAllByRole('separator');
    expect(folders.getAttribute('aria-valuenow')).toBe('232');
    await fireEvent.keyDown(folders, { key: 'ArrowRight' });
    expect(folders.getAttribute('aria-valuenow')).toBe('248');
    await fireEvent.keyDown(list, { key: 'ArrowLeft', shiftKey: true });
    expect(list.getAttribute('aria-valuenow')).toBe('316');
    await fireEvent.keyDown(list, { key: 'Home' });
    expect(list.getAttribute('aria-valuenow')).toBe('280');
    expect(JSON.parse(localStorage.getItem(STORAGE_KEYS.mailPanes)!)).toMatchObject({ folders: 248, list: 280 });
  });

  it('in list-only layout the reader replaces the list and Esc goes back', async () => {
    localStorage.setItem(STORAGE_KEYS.mailLayout, 'list-only');
    await renderMail(mailBackend());
    expect(screen.queryByTestId('reader')).toBeNull();
    await fireEvent.click(row(id(1)));
    expect(await screen.findByRole('heading', { level: 1, name: 'Subject 1000002' })).toBeTruthy();
    expect(screen.queryByTestId('message-list')).toBeNull();

    await fireEvent.keyDown(document.body, { key: 'Escape' });
    expect(await screen.findByTestId('message-list')).toBeTruthy();
    expect(screen.queryByTestId('reader')).toBeNull();
    expect(selectedIds()).toEqual([id(1)]);
  });

  it('is chosen in Settings', async () => {
    await renderMail(mailBackend());
    await fireEvent.click(screen.getByTestId('rail-settings'));
    const select = screen.getByTestId('setting-mail-layout') as HTMLSelectElement;
    expect([...select.options].map((o) => o.value)).toEqual(['three-pane', 'reader-below', 'list-only']);
    await fireEvent.change(select, { target: { value: 'reader-below' } });
    expect(localStorage.getItem(STORAGE_KEYS.mailLayout)).toBe('reader-below');
    await fireEvent.click(screen.getByTestId('rail-mail'));
    expect(screen.getByTestId('section-mail').getAttribute('data-layout')).toBe('reader-below');
    expect(screen.getAllByRole('separator')[1].getAttribute('aria-orientation')).toBe('horizontal');
  });
});

describe('sync state', () => {
  it('shows progress, and a banner with Retry when an account cannot sync', async () => {
    const backend = mailBackend();
    backend.syncStateList = [
      { account: 'acct-ada', state: 'syncing', error: null, folder: 'INBOX', done: 120, total: 4000, last_success: null },
    ];
    await renderMail(backend);
    expect((await screen.findByTestId('sync-progress')).textContent).toContain('Syncing Inbox — 120 of 4,000');

    backend.emit('sync-state', {
      account: 'acct-ada',
      state: 'error',
      error: 'Login failed: the server said AUTHENTICATIONFAILED',
      folder: null,
      done: 0,
      total: 0,
      last_success: null,
    });
    const banner = await screen.findByTestId('sync-banner');
    expect(screen.queryByTestId('sync-progress')).toBeNull();
    expect(banner.textContent).toContain("ada@example.com couldn't sync");
    expect(banner.textContent).toContain('AUTHENTICATIONFAILED');
    await fireEvent.click(within(banner).getByRole('button', { name: 'Retry' }));
    expect(backend.callsOf('sync_now')).toHaveLength(1);
  });
});

describe('in Chinese', () => {
  it('names folders, dates and counts the Chinese way', async () => {
    localStorage.setItem(STORAGE_KEYS.language, 'zh-CN');
    const backend = mailBackend();
    backend.folderList = backend.folderList.map((f) => (f.id === 7 ? { ...f, unread: 12_345 } : f));
    const first = backend.messages.get(INBOX)![0];
    backend.views.set(
      first.id,
      viewOf(first, {
        remote: { blocked: 2, loaded: false, may_allow: true },
        security_notes: [{ code: 'missing_from' }],
      }),
    );
    await renderMail(backend);
    const folders = screen.getAllByTestId('folder').map((f) => f.querySelector('.name')?.textContent);
    expect(folders.slice(0, 6)).toEqual(['收件箱', '草稿', '已发送', '归档', '垃圾邮件', '已删除']);
    const heron = screen.getAllByTestId('folder').find((f) => f.getAttribute('data-folder-id') === '7')!;
    expect(within(heron).getByTestId('unread-badge').textContent?.trim()).toBe('12,345');
    expect(heron.getAttribute('aria-label')).toBe('Heron，12,345 封未读');

    await fireEvent.click(row(first.id));
    expect((await screen.findByTestId('remote-bar')).textContent).toContain('为保护你的隐私，已阻止 2 张远程图片。');
    expect(screen.getByTestId('security-notes').textContent).toContain('这封邮件没有发件人地址。');
    expect(screen.getByTestId('reader').textContent).toContain('2025年11月29日');
  });
});
