import { describe, expect, it } from 'vitest';
import { ALL_INBOXES, ALL_INBOXES_USE, type Folder } from '../backend/mailTypes';
import {
  buildFolderTree,
  folderKind,
  hierarchySeparator,
  isAllInboxes,
  specialFolder,
  withAllInboxesCounted,
  type FolderNode,
} from './folders';
import { ADA_ACCOUNT, BOB_ACCOUNT, folder } from '../../test/FakeBackend';

const labels = (nodes: FolderNode[]): unknown[] =>
  nodes.map((n) => (n.children.length ? [n.label, labels(n.children)] : n.label));

describe('buildFolderTree', () => {
  it('puts special folders first wherever the server nests them', () => {
    const tree = buildFolderTree(
      [
        folder(1, 'INBOX', 'INBOX'),
        folder(2, 'INBOX.Trash', '\\Trash'),
        folder(3, 'INBOX.Sent', '\\Sent'),
        folder(4, 'INBOX.clients'),
        folder(5, 'INBOX.clients.acme'),
        folder(6, 'Zeta'),
        folder(7, 'alpha'),
        folder(8, 'INBOX.Drafts', '\\Drafts'),
      ],
      [ADA_ACCOUNT],
      'en',
    );
    expect(tree).toHaveLength(1);
    expect(tree[0].heading).toBe('ada@example.com');
    expect(tree[0].nodes.map((n) => n.kind)).toEqual(['inbox', 'drafts', 'sent', 'trash', '', '']);
    expect(labels(tree[0].nodes)).toEqual([
      ['INBOX', [['clients', ['acme']]]],
      'INBOX.Drafts',
      'INBOX.Sent',
      'INBOX.Trash',
      'alpha',
      'Zeta',
    ]);
  });

  it('nests by slash, and shows levels the server did not list', () => {
    const tree = buildFolderTree(
      [folder(1, 'INBOX', 'INBOX'), folder(2, 'Work/2024/Q1'), folder(3, 'Work/Admin'), folder(4, 'Release 1.2')],
      [ADA_ACCOUNT],
      'en',
    );
    expect(labels(tree[0].nodes)).toEqual(['INBOX', 'Release 1.2', ['Work', [['2024', ['Q1']], 'Admin']]]);
    const work = tree[0].nodes[2];
    expect(work.folder).toBeNull();
    expect(work.children[0].folder).toBeNull();
    expect(work.children[0].children[0].folder?.id).toBe(2);
  });

  it('keeps a dotted name whole when its parent is not a folder', () => {
    const tree = buildFolderTree([folder(1, 'INBOX', 'INBOX'), folder(2, 'Release 1.2')], [ADA_ACCOUNT], 'en');
    expect(labels(tree[0].nodes)).toEqual(['INBOX', 'Release 1.2']);
  });

  it('orders accounts as given, then accounts it does not know', () => {
    const tree = buildFolderTree(
      [folder(1, 'INBOX', 'INBOX', 0, 'acct-x'), folder(2, 'INBOX', 'INBOX', 0, 'acct-bob'), folder(3, 'INBOX', 'INBOX')],
      [ADA_ACCOUNT, BOB_ACCOUNT],
      'en',
    );
    expect(tree.map((a) => a.heading)).toEqual(['ada@example.com', 'bob@example.org', 'acct-x']);
  });

  it('leaves the unified inbox out of the accounts, and counts it as its inboxes', () => {
    const all: Folder = { account: '', id: ALL_INBOXES, name: 'All inboxes', special_use: ALL_INBOXES_USE, total: 9, unread: 9 };
    const folders = [all, folder(1, 'INBOX', 'INBOX', 2), folder(2, 'INBOX', 'INBOX', 3, 'acct-bob'), folder(3, 'Junk', '\\Junk', 4)];
    const tree = buildFolderTree(folders, [ADA_ACCOUNT, BOB_ACCOUNT], 'en');
    expect(tree.map((a) => a.heading)).toEqual(['ada@example.com', 'bob@example.org']);
    expect(isAllInboxes(all)).toBe(true);
    expect(folderKind(all)).toBe('');
    expect(withAllInboxesCounted(folders)[0].unread).toBe(5);
  });

  it('finds the special folder of an account', () => {
    const folders = [folder(1, 'Archive', '\\Archive', 0, 'acct-bob'), folder(2, 'Archives', '\\Archive')];
    expect(specialFolder(folders, 'acct-ada', 'archive')?.id).toBe(2);
    expect(specialFolder(folders, 'acct-ada', 'junk')).toBeNull();
  });

  it('guesses the separator', () => {
    expect(hierarchySeparator(['INBOX', 'a/b'])).toBe('/');
    expect(hierarchySeparator(['INBOX', 'INBOX.a'])).toBe('.');
  });
});
