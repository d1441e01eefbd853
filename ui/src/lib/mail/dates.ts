import type { Locale } from '../i18n/locale';

/**
 * A message's date as a list shows it: the time for today, day and month for this year,
 * the full date before. `now` is passed in so the result is deterministic.
 */
export function formatListDate(unixSeconds: number, now: Date, locale: Locale): string {
  const date = new Date(unixSeconds * 1000);
  const sameYear = date.getFullYear() === now.getFullYear();
  if (sameYear && date.getMonth() === now.getMonth() && date.getDate() === now.getDate()) {
    return new Intl.DateTimeFormat(locale, { hour: 'numeric', minute: '2-digit' }).format(date);
  }
  if (sameYear) {
    return new Intl.DateTimeFormat(locale, { month: 'short', day: 'numeric' }).format(date);
  }
  return new Intl.DateTimeFormat(locale, { year: 'numeric', month: 'numeric', day: 'numeric' }).format(date);
}

/** A message's date and time in full, for the reader and for tooltips. */
export function formatFullDate(unixSeconds: number, locale: Locale): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: 'full', timeStyle: 'short' }).format(
    new Date(unixSeconds * 1000),
  );
}
