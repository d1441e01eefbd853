import type { Locale } from '../i18n/locale';
import type { Theme } from '../theme/theme';

/**
 * Reflects the resolved theme and locale on <html>: `data-theme` drives the CSS custom
 * properties (and `color-scheme` through them), `lang` drives fonts and screen readers.
 */
export function applyToDocument(root: HTMLElement, theme: Theme, locale: Locale): void {
  root.dataset.theme = theme;
  root.lang = locale;
}
