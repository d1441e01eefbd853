import type { LanguagePreference } from '../i18n/locale';
import type { ThemePreference } from '../theme/theme';

/** Where the UI keeps its own choices. Values are the same strings as the <option>s. */
export const STORAGE_KEYS = {
  language: 'heron.ui.language',
  theme: 'heron.ui.theme',
} as const;

const LANGUAGES: readonly LanguagePreference[] = ['system', 'en', 'zh-CN'];
const THEMES: readonly ThemePreference[] = ['system', 'light', 'dark'];

/**
 * The user's UI choices (language, theme), persisted in `storage`. A missing, unknown
 * or unreadable value means "system", so a bad entry can never break the window.
 */
export class Preferences {
  #storage: Storage | null;
  language = $state<LanguagePreference>('system');
  theme = $state<ThemePreference>('system');

  constructor(storage: Storage | null) {
    this.#storage = storage;
    this.language = read(storage, STORAGE_KEYS.language, LANGUAGES);
    this.theme = read(storage, STORAGE_KEYS.theme, THEMES);
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
