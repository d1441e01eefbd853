import { ALL_INBOXES_USE, type Folder } from '../backend/mailTypes';
import type { AccountSummary } from '../backend/types';
import type { MessageKey } from '../i18n/locale';

/** What a folder is for, from its special-use attribute (RFC 6154), or '' for the user's own. */
export type FolderKind = 'inbox' | 'drafts' | 'sent' | 'archive' | 'junk' | 'trash' | 'flagged' | 'all' | '';

/** The folders every client shows first, in the order people expect them. */
const SPECIAL_ORDER: readonly FolderKind[] = ['inbox', 'drafts', 'sent', 'archive', 'junk', 'trash'];

const KIND_BY_SPECIAL_USE: Record<string, FolderKind> = {
  INBOX: 'inbox',
  '\\Drafts': 'drafts',
  '\\Sent': 'sent',
  '\\Archive': 'archive',
  '\\Junk': 'junk',
  '\\Trash': 'trash',
  '\\Flagged': 'flagged',
  '\\All': 'all',
};

/** Whether `folder` is the unified inbox (every account's inbox together), not a real folder. */
export function isAllInboxes(folder: Folder): boolean {
  return folder.special_use === ALL_INBOXES_USE;
}

export function folderKind(folder: Folder): FolderKind {
  const kind = KIND_BY_SPECIAL_USE[folder.special_use];
  if (kind) return kind;
  // INBOX is special by name in IMAP, whatever the server says about its use.
  return folder.name.toUpperCase() === 'INBOX' ? 'inbox' : '';
}

/** One line of the folder tree: a folder, or a level of the hierarchy the server did not list. */
export interface FolderNode {
  /** `null` for an intermediate level that is not a folder itself. */
  folder: Folder | null;
  kind: FolderKind;
  /** The last level of the name (a special folder is labelled by its kind instead). */
  label: string;
  /** The full name, unique within the account. */
  path: string;
  children: FolderNode[];
}

/** An account's heading and its folders, special ones first. */
export interface AccountFolders {
  account: string;
  /** The account's email address, or the raw account key when the account is unknown. */
  heading: string;
  nodes: FolderNode[];
}

/**
 * The folder tree of every account, in the order of `accounts`: Inbox, Drafts, Sent,
 * Archive, Junk and Trash first (wherever the server nests them), then the rest by name,
 * nested by the account's hierarchy separator. The unified inbox belongs to no account:
 * it is left out (the folder pane shows it above them).
 */
export function buildFolderTree(
  folders: readonly Folder[],
  accounts: readonly AccountSummary[],
  locale: string,
): AccountFolders[] {
  const byAccount = new Map<string, Folder[]>();
  for (const folder of folders) {
    if (isAllInboxes(folder)) continue;
    const list = byAccount.get(folder.account) ?? [];
    list.push(folder);
    byAccount.set(folder.account, list);
  }
  const known = accounts.filter((a) => byAccount.has(a.id));
  const unknown = [...byAccount.keys()].filter((key) => !accounts.some((a) => a.id === key));
  return [
    ...known.map((a) => ({ account: a.id, heading: a.email, nodes: accountTree(byAccount.get(a.id) ?? [], locale) })),
    ...unknown.map((key) => ({ account: key, heading: key, nodes: accountTree(byAccount.get(key) ?? [], locale) })),
  ];
}

/**
 * The separator an account's folder names use. The transport does not carry the server's
 * delimiter, so it is guessed: `/` when any name has one, else `.`.
 */
export function hierarchySeparator(names: readonly string[]): '/' | '.' {
  return names.some((name) => name.includes('/')) ? '/' : '.';
}

function accountTree(folders: readonly Folder[], locale: string): FolderNode[] {
  const separator = hierarchySeparator(folders.map((f) => f.name));
  const collator = new Intl.Collator(locale, { sensitivity: 'base', numeric: true });
  const byPath = new Map<string, FolderNode>();
  const roots: FolderNode[] = [];
  const normalise = (path: string) => (path.toUpperCase() === 'INBOX' ? 'INBOX' : path);

  // Special folders are top level wherever the server keeps them (`INBOX.Sent`).
  for (const folder of folders) {
    const kind = folderKind(folder);
    if (!SPECIAL_ORDER.includes(kind)) continue;
    const node: FolderNode = { folder, kind, label: folder.name, path: normalise(folder.name), children: [] };
    byPath.set(node.path, node);
    roots.push(node);
  }
  const names = new Set(folders.map((f) => normalise(f.name)));

  const others = folders.filter((f) => !SPECIAL_ORDER.includes(folderKind(f)));
  // Parents before children, so a listed parent is found when its child is placed.
  others.sort((a, b) => a.name.length - b.name.length);
  for (const folder of others) {
    const parts = folder.name.split(separator);
    if (parts[0].toUpperCase() === 'INBOX') parts[0] = 'INBOX';
    // With `.` as separator, a name like "Release 1.2" is only split when its parent is
    // a real folder: a dot is ordinary text far more often than a level.
    const parentPath = parts.slice(0, -1).join(separator);
    const split = separator === '/' || (parts.length > 1 && names.has(parentPath));
    const levels = split ? parts : [folder.name];

    let siblings = roots;
    let path = '';
    for (let i = 0; i < levels.length; i += 1) {
      path = i === 0 ? levels[0] : `${path}${separator}${levels[i]}`;
      const last = i === levels.length - 1;
      let node = byPath.get(path);
      if (!node) {
        node = { folder: null, kind: '', label: levels[i], path, children: [] };
        byPath.set(path, node);
        siblings.push(node);
      }
      if (last) {
        node.folder = folder;
        node.kind = folderKind(folder);
      }
      siblings = node.children;
    }
  }

  const sortLevel = (nodes: FolderNode[], top: boolean) => {
    nodes.sort((a, b) => {
      if (top) {
        const rank = (n: FolderNode) => {
          const index = SPECIAL_ORDER.indexOf(n.kind);
          return index === -1 ? SPECIAL_ORDER.length : index;
        };
        const byRank = rank(a) - rank(b);
        if (byRank !== 0) return byRank;
      }
      return collator.compare(a.label, b.label);
    });
    for (const node of nodes) sortLevel(node.children, false);
  };
  sortLevel(roots, true);
  return roots;
}

/** The folder of `account` used for `kind` (`\Archive`, `\Junk`, ...), if it has one. */
export function specialFolder(folders: readonly Folder[], account: string, kind: FolderKind): Folder | null {
  return folders.find((f) => f.account === account && folderKind(f) === kind) ?? null;
}

const KIND_LABELS: Partial<Record<FolderKind, MessageKey>> = {
  inbox: 'folder.inbox',
  drafts: 'folder.drafts',
  sent: 'folder.sent',
  archive: 'folder.archive',
  junk: 'folder.junk',
  trash: 'folder.trash',
  flagged: 'folder.flagged',
  all: 'folder.all',
};

/** The catalog key naming a special folder in the user's language; `null` for the others. */
export function kindLabelKey(kind: FolderKind): MessageKey | null {
  return KIND_LABELS[kind] ?? null;
}

/** A folder as menus and titles name it: special folders in the user's language, others by full name. */
export function folderDisplayName(folder: Folder, t: (key: MessageKey) => string): string {
  if (isAllInboxes(folder)) return t('folder.allInboxes');
  const key = kindLabelKey(folderKind(folder));
  return key ? t(key) : folder.name;
}

/**
 * `folders` with the unified inbox's counts made the sum of the inboxes' again, after
 * the inboxes' counts changed here (the shell counts them so when it lists the folders).
 */
export function withAllInboxesCounted(folders: readonly Folder[]): Folder[] {
  const inboxes = folders.filter((f) => !isAllInboxes(f) && folderKind(f) === 'inbox');
  const sum = (count: (f: Folder) => number) => inboxes.reduce((total, f) => total + count(f), 0);
  return folders.map((f) =>
    isAllInboxes(f) ? { ...f, total: sum((i) => i.total), unread: sum((i) => i.unread) } : f,
  );
}
