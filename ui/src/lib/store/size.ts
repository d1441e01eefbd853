import type { Locale } from '../i18n/locale';

const UNITS = ['kilobyte', 'megabyte', 'gigabyte', 'terabyte'] as const;

/**
 * A size in bytes as people read it, in decimal units (1 MB = 1,000,000 bytes, as file
 * managers show it): "734 MB", "1.2 GB". Less than a kilobyte shows as a fraction of one,
 * so the unit name is always the short one both languages use.
 */
export function formatSize(bytes: number, locale: Locale): string {
  let value = Math.max(0, bytes) / 1000;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return new Intl.NumberFormat(locale, {
    style: 'unit',
    unit: UNITS[unit],
    unitDisplay: 'short',
    maximumFractionDigits: value < 10 ? 1 : 0,
  }).format(value);
}
