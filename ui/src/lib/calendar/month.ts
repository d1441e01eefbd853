import type { Locale } from '../i18n/locale';

/** Monday for Chinese calendars, Sunday for English (en-US) ones. */
export function firstDayOfWeek(locale: Locale): 0 | 1 {
  return locale === 'zh-CN' ? 1 : 0;
}

/**
 * The weeks of the month containing `day`, as rows of seven day-of-month numbers;
 * `null` pads the days that belong to the neighbouring months.
 */
export function monthWeeks(day: Date, weekStartsOn: 0 | 1): (number | null)[][] {
  const year = day.getFullYear();
  const month = day.getMonth();
  const daysInMonth = new Date(year, month + 1, 0).getDate();
  const lead = (new Date(year, month, 1).getDay() - weekStartsOn + 7) % 7;

  const cells: (number | null)[] = [];
  for (let i = 0; i < lead; i++) cells.push(null);
  for (let d = 1; d <= daysInMonth; d++) cells.push(d);
  while (cells.length % 7 !== 0) cells.push(null);

  const weeks: (number | null)[][] = [];
  for (let i = 0; i < cells.length; i += 7) weeks.push(cells.slice(i, i + 7));
  return weeks;
}

/** Seven weekday dates in display order, for formatting column headers. */
export function weekdayDates(weekStartsOn: 0 | 1): Date[] {
  // 2023-01-01 was a Sunday.
  return Array.from({ length: 7 }, (_, i) => new Date(2023, 0, 1 + weekStartsOn + i));
}
