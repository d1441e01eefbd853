import { en, type MessageKey } from './en';
import { zhCN } from './zh-CN';

export type Locale = 'en' | 'zh-CN';
export type LanguagePreference = 'system' | Locale;
export type { MessageKey };

export const LOCALES: readonly Locale[] = ['en', 'zh-CN'];

export const catalogs: Record<Locale, Record<MessageKey, string>> = { en, 'zh-CN': zhCN };

/**
 * The locale to show: the user's choice in Settings, else the first OS language Heron
 * has a catalog for (any `zh*` means Simplified Chinese), else English.
 */
export function resolveLocale(
  preference: LanguagePreference,
  systemLanguages: readonly string[],
): Locale {
  if (preference !== 'system') return preference;
  for (const tag of systemLanguages) {
    const lower = tag.toLowerCase();
    if (lower === 'zh' || lower.startsWith('zh-')) return 'zh-CN';
    if (lower === 'en' || lower.startsWith('en-')) return 'en';
  }
  return 'en';
}

export type MessageParams = Record<string, string | number>;

/** The message for `key` in `locale`, with `{name}` placeholders filled from `params`. */
export function translate(locale: Locale, key: MessageKey, params?: MessageParams): string {
  const template = catalogs[locale][key];
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}
