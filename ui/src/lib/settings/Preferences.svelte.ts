import { LIST_ORDERS, type ListOrder } from '../backend/mailTypes';
import type { LanguagePreference } from '../i18n/locale';
import type { ThemePreference } from '../theme/theme';

/** Where the UI keeps its own choices. Values are the same strings as the <option>s. */
export const STORAGE_KEYS = {
  language: 'heron.ui.language',
  theme: 'heron.ui.theme',
  mailLayout: 'heron.ui.mail.layout',
  mailPanes: 'heron.ui.mail.panes',
  mailOrder: 'heron.ui.mail.order',
  mailConversations: 'heron.ui.mail.conversations',
} as const;

/** Where the reader goes: beside the list, below it, or instead of it. */
export type MailLayout = 'three-pane' | 'reader-below' | 'list-only';

/** The sizes of the mail panes a splitter sets, in CSS pixels. */
export interface PaneSizes {
  /** Width of the folder pane. */
  folders: number;
  /** Width of the message list beside the reader. */
  list: number;
  /** Height of the message list above the reader. */
  listHeight: number;
}

export type PaneName = keyof PaneSizes;

const LANGUAGES: readonly LanguagePreference[] = ['system', 'en', 'zh-CN'];
const THEMES: readonly ThemePreference[] = ['system', 'light', 'dark'];
/** How the conversations choice is stored: off unless the user turned it on. */
const SWITCH: readonly ('off' | 'on')[] = ['off', 'on'];
export const MAIL_LAYOUTS: readonly MailLayout[] = ['three-pane', 'reader-below', 'list-only'];

/** The smallest and largest size of each pane, and where it starts. */
export const PANE_LIMITS: Record<PaneName, { min: number; max: number; initial: number }> = {
  folders: { min: 160, max: 400, initial: 232 },
  list: { min: 280, max: 720, initial: 380 },
  listHeight: { min: 160, max: 800, initial: 320 },
};

/**
 * The user's UI choices (language, theme, mail layout, pane sizes, how the message list
 * is sorted and whether it groups conversations), persisted in
 * `storage`. A missing, unknown or unreadable value means the default ("system" for
 * language and theme), so a bad entry can never break the window.
 */
export class Preferences {
  #storage: Storage | null;
  language = $state<LanguagePreference>('system');
  theme = $state<ThemePreference>('system');
  mailLayout = $state<MailLayout>('three-pane');
  paneSizes = $state.raw<PaneSizes>(initialPaneSizes());
  /** How folders are sorted (the same for every folder). */
  listOrder = $state<ListOrder>('newest_first');
  /** Folders list one row per conversation (newest first) instead of one per message. */
  conversations = $state(false);
  /** The order folders are asked for: by conversation when grouped, else the sort chosen. */
  readonly folderOrder: ListOrder = $derived(this.conversations ? 'conversations' : this.listOrder);

  constructor(storage: Storage | null) {
    this.#storage = storage;
    this.language = read(storage, STORAGE_KEYS.language, LANGUAGES);
    this.theme = read(storage, STORAGE_KEYS.theme, THEMES);
    this.mailLayout = read(storage, STORAGE_KEYS.mailLayout, MAIL_LAYOUTS);
    this.paneSizes = readPaneSizes(storage);
    this.listOrder = read(storage, STORAGE_KEYS.mailOrder, LIST_ORDERS);
    this.conversations = read(storage, STORAGE_KEYS.mailConversations, SWITCH) === 'on';
  }

  setConversations(on: boolean): void {
    this.conversations = on;
    write(this.#storage, STORAGE_KEYS.mailConversations, on ? 'on' : 'off');
  }

  setListOrder(value: ListOrder): void {
    this.listOrder = value;
    write(this.#storage, STORAGE_KEYS.mailOrder, value);
  }

  setMailLayout(value: MailLayout): void {
    this.mailLayout = value;
    write(this.#storage, STORAGE_KEYS.mailLayout, value);
  }

  /** Sets one pane's size, kept within its limits; returns the size set. */
  setPaneSize(pane: PaneName, pixels: number): number {
    const size = clampPane(pane, pixels);
    this.paneSizes = { ...this.paneSizes, [pane]: size };
    write(this.#storage, STORAGE_KEYS.mailPanes, JSON.stringify(this.paneSizes));
    return size;
  }

  setLanguage(value: LanguagePreference): void {
    this.language = value;
    write(this.#storage, STORAGE_KEYS.language, value);
  }

  setTheme(value: ThemePreference): void {
    this.theme = value;
    write(this.#storage, STORAGE_KEYS.theme, value);
  }
}

export function clampPane(pane: PaneName, pixels: number): number {
  const { min, max } = PANE_LIMITS[pane];
  return Math.round(Math.min(max, Math.max(min, pixels)));
}

function initialPaneSizes(): PaneSizes {
  return {
    folders: PANE_LIMITS.folders.initial,
    list: PANE_LIMITS.list.initial,
    listHeight: PANE_LIMITS.listHeight.initial,
  };
}

function readPaneSizes(storage: Storage | null): PaneSizes {
  const sizes = initialPaneSizes();
  let stored: unknown = null;
  try {
    stored = JSON.parse(storage?.getItem(STORAGE_KEYS.mailPanes) ?? 'null');
  } catch {
    // Unreadable or not JSON: the initial sizes apply.
  }
  if (typeof stored !== 'object' || stored === null) return sizes;
  for (const pane of Object.keys(sizes) as PaneName[]) {
    const value = (stored as Record<string, unknown>)[pane];
    if (typeof value === 'number' && Number.isFinite(value)) sizes[pane] = clampPane(pane, value);
  }
  return sizes;
}

function read<T extends string>(storage: Storage | null, key: string, allowed: readonly T[]): T {
  let stored: string | null = null;
  try {
    stored = storage?.getItem(key) ?? null;
  } catch {
    // Storage can be unavailable (e.g. disabled by policy); the default applies.
  }
  return allowed.find((value) => value === stored) ?? allowed[0];
}

function write(storage: Storage | null, key: string, value: string): void {
  try {
    storage?.setItem(key, value);
  } catch {
    // Not persisting is acceptable: the choice still applies for this session.
  }
}
