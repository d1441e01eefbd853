// Composer transport types: what crosses IPC from the shell's composer commands
// (heron-api `composer` module). Field names stay snake_case.

/** An address the user may send as (the account's own and its identities'). */
export interface Identity {
  address: string;
  display_name: string;
}

/** A file attached to a draft (stored encrypted by the core). */
export interface ComposerAttachment {
  /** The stored blob: pass back in `removed_attachments` to take it off. */
  blob: string;
  file_name: string;
  content_type: string;
  size: number;
  /** An image shown inside the HTML body (pasted); not listed in the strip. */
  inline: boolean;
}

/** The quoted original of a reply or forward: shown read-only, as text. */
export interface Quote {
  /** The original as text, for the read-only block ("Show quoted text"), without `header`. */
  text: string;
  /** A line like "On 3 March 2026, Wei Zhang wrote:" (already in `text`'s language: English). */
  header: string;
}

/** A message being written. */
export interface ComposerState {
  /** `null` until the first save. */
  draft_id: number | null;
  version: number;
  account: string;
  identities: Identity[];
  from: string;
  to: string;
  cc: string;
  bcc: string;
  subject: string;
  /**
   * The user's own part of the body as HTML (what the editor edits). Images pasted into
   * it are `data:` URLs; the core turns them into inline attachments when it saves.
   * Starts with the signature of the sending identity (if any).
   */
  body_html: string;
  /** The user chose plain text only; `body_text` is then what is edited and sent. */
  plain_text: boolean;
  body_text: string;
  quote: Quote | null;
  attachments: ComposerAttachment[];
  /** The policy's attachment limit, in bytes (sum of all files). */
  attachment_limit: number;
  /** Seconds a sent message waits in the outbox so it can be taken back. */
  undo_seconds: number;
}

/** What the composer saves. */
export interface ComposerInput {
  draft_id: number | null;
  account: string;
  from: string;
  to: string;
  cc: string;
  bcc: string;
  subject: string;
  body_html: string;
  plain_text: boolean;
  body_text: string;
  /** Files added since the last save (picker, drag-drop, paste), base64. */
  new_attachments: { file_name: string; content_type: string; data_base64: string }[];
  /** Blobs of attachments the user removed since the last save. */
  removed_attachments: string[];
}

export interface DraftSaved {
  draft_id: number;
  version: number;
  /** Unix seconds. */
  saved_at: number;
  attachments: ComposerAttachment[];
}

/** A message in the outbox. */
export interface QueuedSend {
  outbox: number;
  /** Unix seconds before which it does not leave (undo until then). */
  not_before: number;
  message_id: string;
}

export type RespondMode = 'reply' | 'reply_all' | 'forward';

export interface Correspondent {
  name: string;
  address: string;
}
