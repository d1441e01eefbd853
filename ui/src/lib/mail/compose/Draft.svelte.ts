import type { IBackend } from '../../backend/IBackend';
import type {
  ComposerAttachment,
  ComposerInput,
  ComposerState,
  Identity,
  Quote,
  RespondMode,
} from '../../backend/composeTypes';
import { toApiError } from '../../backend/errors';
import type { ApiError } from '../../backend/types';
import { readBase64 } from './files';
import { textOfHtml } from './richText';

/** How long changes must pause before the draft saves itself. */
export const AUTOSAVE_DELAY_MS = 2000;

/** How the message came to be written: it names the composer. */
export type DraftKind = 'new' | RespondMode | 'draft';

export type SaveStatus =
  | { state: 'idle' }
  | { state: 'saving' }
  | { state: 'saved'; at: number }
  | { state: 'failed'; error: ApiError };

/** A file added since the last save, read and waiting to be stored by the next one. */
export interface NewAttachment {
  key: number;
  file_name: string;
  content_type: string;
  size: number;
  data_base64: string;
}

/** A file that was not attached, and why; shown until the next file is added. */
export interface RefusedFile {
  name: string;
  reason: 'too_large' | 'unreadable';
}

/** What the user edits. */
export interface DraftFields {
  from: string;
  to: string;
  cc: string;
  bcc: string;
  subject: string;
  bodyHtml: string;
  /** The body as text: what is edited in plain text, else the text of `bodyHtml`. */
  bodyText: string;
  plainText: boolean;
}

/**
 * One message being written. Changes save themselves once they pause for
 * `AUTOSAVE_DELAY_MS`; saves never overlap (a change during a save is saved right after
 * it), and a failed save keeps the changes and says so in `status`.
 */
export class Draft {
  readonly kind: DraftKind;
  readonly account: string;
  readonly identities: readonly Identity[];
  readonly quote: Quote | null;
  readonly attachmentLimit: number;
  readonly undoSeconds: number;
  /** What the message started with, to tell what the user wrote from what was there. */
  readonly initial: { subject: string; body: string };

  draftId = $state<number | null>(null);
  from = $state('');
  to = $state('');
  cc = $state('');
  bcc = $state('');
  subject = $state('');
  bodyHtml = $state('');
  bodyText = $state('');
  plainText = $state(false);
  /** Files stored with the draft (inline images of the body too). */
  attachments = $state.raw<ComposerAttachment[]>([]);
  added = $state.raw<NewAttachment[]>([]);
  refused = $state.raw<RefusedFile[]>([]);
  /** Changes that are not saved yet. */
  dirty = $state(false);
  status = $state.raw<SaveStatus>({ state: 'idle' });
  sending = $state(false);
  /** A send or discard that failed; the message stays open. */
  error = $state.raw<{ action: 'send' | 'discard'; error: ApiError } | null>(null);

  /** The files the strip lists (inline images are part of the body). */
  readonly listed: ComposerAttachment[] = $derived(this.attachments.filter((a) => !a.inline));
  readonly hasAttachments: boolean = $derived(this.listed.length + this.added.length > 0);
  readonly totalSize: number = $derived(
    this.attachments.reduce((sum, a) => sum + a.size, 0) + this.added.reduce((sum, a) => sum + a.size, 0),
  );

  #backend: IBackend;
  #removed: string[] = [];
  #changes = 0;
  /** Bytes of files being read, so two drops at once cannot pass the limit together. */
  #reading = 0;
  #nextKey = 1;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running: Promise<boolean> | null = null;
  #again = false;
  #disposed = false;

  constructor(backend: IBackend, state: ComposerState, kind: DraftKind) {
    this.#backend = backend;
    this.kind = kind;
    this.account = state.account;
    this.identities = state.identities;
    this.quote = state.quote;
    this.attachmentLimit = state.attachment_limit;
    this.undoSeconds = state.undo_seconds;
    this.draftId = state.draft_id;
    this.from = state.from;
    this.to = state.to;
    this.cc = state.cc;
    this.bcc = state.bcc;
    this.subject = state.subject;
    this.plainText = state.plain_text;
    this.bodyHtml = state.body_html;
    this.bodyText = state.plain_text ? state.body_text : textOfHtml(state.body_html);
    this.attachments = state.attachments;
    this.initial = { subject: state.subject, body: this.bodyText };
  }

  /** The user changed something: it is saved once changes pause. */
  edit(patch: Partial<DraftFields>): void {
    Object.assign(this, patch);
    this.#changed();
  }

  /** Whether `size` more bytes stay within the policy's limit. */
  fits(size: number): boolean {
    return this.totalSize + this.#reading + size <= this.attachmentLimit;
  }

  refuse(name: string, reason: RefusedFile['reason']): void {
    this.refused = [...this.refused, { name, reason }];
  }

  dismissRefused(): void {
    this.refused = [];
  }

  /** Reads `files` and keeps them for the next save; refuses those past the limit. */
  async addFiles(files: readonly File[]): Promise<void> {
    this.refused = [];
    const accepted: File[] = [];
    for (const file of files) {
      if (this.fits(file.size)) {
        accepted.push(file);
        this.#reading += file.size;
      } else {
        this.refuse(file.name, 'too_large');
      }
    }
    const read = await Promise.all(
      accepted.map(async (file) => {
        try {
          return { file, data: await readBase64(file) };
        } catch {
          this.refuse(file.name, 'unreadable');
          return null;
        } finally {
          this.#reading -= file.size;
        }
      }),
    );
    const added = read
      .filter((entry) => entry !== null)
      .map(
        ({ file, data }): NewAttachment => ({
          key: this.#nextKey++,
          file_name: file.name,
          content_type: file.type || 'application/octet-stream',
          size: file.size,
          data_base64: data,
        }),
      );
    if (added.length === 0 || this.#disposed) return;
    this.added = [...this.added, ...added];
    this.#changed();
  }

  removeAttachment(target: ComposerAttachment | NewAttachment): void {
    if ('blob' in target) {
      this.#removed.push(target.blob);
      this.attachments = this.attachments.filter((a) => a.blob !== target.blob);
    } else {
      this.added = this.added.filter((a) => a.key !== target.key);
    }
    this.#changed();
  }

  /**
   * Saves now; resolves with whether everything up to now is saved. A call during a save
   * waits for it and saves once more after it.
   */
  save(): Promise<boolean> {
    clearTimeout(this.#timer);
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = this.#drain();
    return this.#running;
  }

  /**
   * Saves what is not saved yet; `create` saves a message that was never saved even when
   * unchanged (it must exist to be sent). Resolves with whether all is saved.
   */
  async flush(create: boolean): Promise<boolean> {
    if (this.#running && !(await this.#running)) return false;
    if (this.dirty || (create && this.draftId === null)) return this.save();
    return this.status.state !== 'failed';
  }

  /** Deletes the draft (if it was ever saved); `false` when the core refused. */
  async discard(): Promise<boolean> {
    clearTimeout(this.#timer);
    if (this.#running) await this.#running;
    clearTimeout(this.#timer);
    if (this.draftId === null) return true;
    this.error = null;
    try {
      await this.#backend.discardDraft(this.draftId);
      return true;
    } catch (reason) {
      this.error = { action: 'discard', error: toApiError(reason) };
      return false;
    }
  }

  /** Stops saving by itself (the composer closed). */
  dispose(): void {
    this.#disposed = true;
    clearTimeout(this.#timer);
  }

  #changed(): void {
    this.#changes += 1;
    this.dirty = true;
    clearTimeout(this.#timer);
    if (!this.#disposed) this.#timer = setTimeout(() => void this.save(), AUTOSAVE_DELAY_MS);
  }

  async #drain(): Promise<boolean> {
    try {
      for (;;) {
        this.#again = false;
        const saved = await this.#saveOnce();
        if (!saved || !this.#again) return saved;
      }
    } finally {
      this.#running = null;
    }
  }

  async #saveOnce(): Promise<boolean> {
    const mark = this.#changes;
    const sentFiles = new Set(this.added.map((a) => a.key));
    const sentRemovals = [...this.#removed];
    const input: ComposerInput = {
      draft_id: this.draftId,
      account: this.account,
      from: this.from,
      to: this.to,
      cc: this.cc,
      bcc: this.bcc,
      subject: this.subject,
      body_html: this.plainText ? '' : this.bodyHtml,
      plain_text: this.plainText,
      body_text: this.bodyText,
      new_attachments: this.added.map(({ file_name, content_type, data_base64 }) => ({
        file_name,
        content_type,
        data_base64,
      })),
      removed_attachments: sentRemovals,
    };
    this.status = { state: 'saving' };
    try {
      const saved = await this.#backend.saveDraft(input);
      this.draftId = saved.draft_id;
      this.#removed = this.#removed.filter((blob) => !sentRemovals.includes(blob));
      // Removed while this save was on its way: stays off, and goes with the next save.
      this.attachments = saved.attachments.filter((a) => !this.#removed.includes(a.blob));
      this.added = this.added.filter((a) => !sentFiles.has(a.key));
      this.dirty = this.#changes !== mark;
      this.status = { state: 'saved', at: saved.saved_at };
      return true;
    } catch (reason) {
      this.status = { state: 'failed', error: toApiError(reason) };
      return false;
    }
  }
}
