import {
  resolveLocale,
  translate,
  type LanguagePreference,
  type Locale,
  type MessageKey,
  type MessageParams,
} from './locale';

/**
 * The active locale as reactive state. Reading `locale` or calling `t` inside a
 * component or effect re-runs it when the preference or the OS languages change.
 */
export class Localizer {
  #preference: () => LanguagePreference;
  systemLanguages = $state<readonly string[]>([]);
  readonly locale: Locale = $derived.by(() =>
    resolveLocale(this.#preference(), this.systemLanguages),
  );

  constructor(preference: () => LanguagePreference, systemLanguages: readonly string[]) {
    this.#preference = preference;
    this.systemLanguages = systemLanguages;
  }

  t = (key: MessageKey, params?: MessageParams): string => translate(this.locale, key, params);

  formatDate = (date: Date, options: Intl.DateTimeFormatOptions): string =>
    new Intl.DateTimeFormat(this.locale, options).format(date);

  formatNumber = (value: number, options?: Intl.NumberFormatOptions): string =>
    new Intl.NumberFormat(this.locale, options).format(value);

  /** `key.one` or `key.other`, by the locale's plural rule for `count`. */
  plural = (count: number): 'one' | 'other' =>
    new Intl.PluralRules(this.locale).select(count) === 'one' ? 'one' : 'other';
}
