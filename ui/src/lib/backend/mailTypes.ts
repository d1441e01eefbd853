// Mail transport types: exactly what crosses IPC from the shell's mail commands
// (heron-api's `mail` and `reader` modules). Field names stay snake_case.

import type { BodyKey } from '../mail/bodyKeys';
import type { ApiError, ErrorCode, PolicyEvent, RemovedAccount } from './types';

/** A folder of one account (heron-api `FolderView`). */
export interface Folder {
  account: string;
  id: number;
  /** The server's name, hierarchy separated by `/` or `.` (as the server uses). */
  name: string;
  /** `INBOX`, `\Sent`, `\Drafts`, `\Trash`, `\Junk`, `\Archive`, `\Flagged`, `\All` or ''. */
  special_use: string;
  total: number;
  unread: number;
}

/** A message in a list (heron-api `MessageRow`). */
export interface MessageRow {
  id: number;
  folder: number;
  uid: number;
  message_id: string;
  thread_id: string;
  subject: string;
  from_name: string;
  from_addr: string;
  /** Unix seconds. */
  date: number;
  size: number;
  /** IMAP names: `\Seen`, `\Flagged`, `\Answered`, `\Draft`, `\Deleted`. */
  flags: string[];
  has_attachments: boolean;
  preview: string;
  /**
   * In a list by conversation: the conversation this row stands for (the row is its
   * newest message in the folder). Absent from any other list.
   */
  conversation?: Conversation;
}

/** A conversation as one row of a folder's list stands for it (heron-api `Conversation`). */
export interface Conversation {
  /** Its messages in this folder, newest first: what an action on the row acts on. */
  ids: number[];
  /** How many messages it has in this folder. */
  count: number;
  /** How many of them are unread. */
  unread: number;
  /** Whether any of them is flagged. */
  flagged: boolean;
  /** Whether any of them has attachments. */
  has_attachments: boolean;
}

/**
 * The folder id of the unified inbox: every account's inbox in one list. `mail_folders`
 * lists it first when two or more accounts have an inbox; it is not a real folder, so
 * nothing can be moved into it.
 */
export const ALL_INBOXES = -1;
/** The `special_use` the unified inbox is marked with. */
export const ALL_INBOXES_USE = 'ALL_INBOXES';

/**
 * How a folder's rows are ordered (`mail_window`'s `order`): by date either way, by
 * sender or subject (A to Z), the largest first, or by conversation (newest first; the
 * unified inbox lists messages newest first instead).
 */
export type ListOrder = 'newest_first' | 'oldest_first' | 'sender' | 'subject' | 'largest_first' | 'conversations';

/** Every sort a sort menu offers, in its order (by conversation is a separate choice). */
export const LIST_ORDERS: readonly ListOrder[] = ['newest_first', 'oldest_first', 'sender', 'subject', 'largest_first'];

/** Rows `offset .. offset + items.length` of a folder in the order asked for, and its size now. */
export interface MessageWindow {
  folder: number;
  offset: number;
  total: number;
  items: MessageRow[];
}

export interface Mailbox {
  display_name: string;
  address: string;
}

/** One security note of the reading view, tagged by `code` (heron-mime `SecurityNote`). */
export interface SecurityNote {
  code: string;
  [detail: string]: unknown;
}

export interface AttachmentView {
  /** Safe to show and to save under: no path separators, controls or bidi characters. */
  file_name: string;
  /** As the mail named it, with invisible characters made visible. */
  original_name: string;
  content_type: string;
  size: number;
  inline: boolean;
  content_id: string | null;
  /** Which part of the message: pass back to open/save/preview it. */
  part_path: string;
  /** Executable or script type: opening needs a confirmation. */
  dangerous: boolean;
  warnings: SecurityNote[];
}

/**
 * What the servers found among the messages whose bodies are not downloaded yet
 * (heron-api `ServerSearch`).
 */
export interface ServerSearch {
  /** Stored rows (their headers are here; the bodies download with the next sync). */
  items: MessageRow[];
  /** Accounts that could not be asked, and why. */
  errors: ApiError[];
}

/** What the reader shows of one message (heron-api `ReaderView`). A message opened from
 * a file (not in any folder) has a negative `summary.id`. */
export interface ReaderView {
  summary: MessageRow;
  account: string;
  folder_name: string;
  /** False while only the headers are stored (the body downloads with the next sync). */
  downloaded: boolean;
  sender: Mailbox;
  from: Mailbox[];
  reply_to: Mailbox[];
  to: Mailbox[];
  cc: Mailbox[];
  /** The date in the user's time zone, formatted by the core; `null` when the mail has none. */
  date_unix: number | null;
  subject: string;
  text_body: string;
  /**
   * The isolated body document (served by the shell's `heron-mail:` scheme, no script,
   * no network); `null` for a text-only message, which the UI shows as text.
   */
  body_url: string | null;
  /**
   * Append an image attachment's `part_path` to preview it in a frame without scripts
   * (raster images only); `null` until the body is downloaded.
   */
  preview_base: string | null;
  remote: RemoteContent;
  attachments: AttachmentView[];
  security_notes: SecurityNote[];
  /** Forwarded messages inside this one, each with its own view. */
  nested: { part_path: string; subject: string; sender: Mailbox }[];
}

export interface RemoteContent {
  /** Remote images and styles made inert in this message. */
  blocked: number;
  /** Loaded for this message (by the user, or because the sender is allowed). */
  loaded: boolean;
  /** Whether the policy lets the user allow remote content at all. */
  may_allow: boolean;
}

/** What the sync worker is doing for one account (the `sync-state` event). */
export interface SyncState {
  account: string;
  state: 'idle' | 'syncing' | 'offline' | 'error';
  /** The core's words when `offline` or `error`. */
  error: string | null;
  /**
   * The error's code when `offline` or `error`: `authentication_failed` means the server
   * refused the stored password, and the user is asked to sign in again. Absent from a
   * shell that does not send it.
   */
  error_code?: ErrorCode | null;
  /** While syncing: the folder, how far, and the phase (`headers`, `bodies`, ...). */
  folder: string | null;
  done: number;
  total: number;
  /** Unix seconds of the last successful sync. */
  last_success: number | null;
}

/** A link the user clicked in a message body (the `mail-link` event). */
export interface LinkRequest {
  /** Names this click for `openLink`: the window opens a link by this id, never by a URL. */
  id: string;
  url: string;
  /** http, https, mailto are opened; anything else is refused and reported. */
  allowed: boolean;
  /** Why the user must confirm: the text showed another host, an IDN host (punycode shown) ... */
  warnings: SecurityNote[];
  /** The host as it will really be contacted (punycode for IDN). */
  host: string;
}

export interface NewMail {
  account: string;
  /** The folder's name on the server. */
  folder: string;
  folder_id: number;
  count: number;
  /** The newest new message; sender and subject are empty when `show_content` is false. */
  newest: { id: number; from_name: string; from_addr: string; subject: string } | null;
  /** Whether the policy lets notifications show sender and subject. */
  show_content: boolean;
}

/** Events the shell emits; the UI listens, never polls. */
export interface MailEvents {
  /** Folders whose contents or counts changed (after sync, or a local action). */
  'mail-changed': { folders: number[] };
  'sync-state': SyncState;
  /** New mail arrived in an Inbox. */
  /** New mail in an Inbox (after the first sync of the run). */
  'new-mail': NewMail;
  /** The user clicked a new-mail notification: open this message. */
  'open-message': { id: number };
  'mail-link': LinkRequest;
  /** A queued action the server refused, rolled back in the store. */
  'action-failed': { message: string; folders: number[] };
  /** The administrator's policy files changed (applied, or refused as invalid). */
  'policy-changed': PolicyEvent;
  /** Accounts the administrator removed, wiped from this computer just now. */
  'accounts-removed': RemovedAccount[];
  /**
   * Heron was asked again to open a link or file (`heron mailto:…` while it runs): take
   * it with `takeLaunchCompose` / `takeLaunchMessage`.
   */
  'launch-requested': null;
  /** A shortcut key typed while a message body had the focus (see `bodyKeys.ts`). */
  'body-key': BodyKey;
}
