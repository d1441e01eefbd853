import { describe, expect, it } from 'vitest';
import { formatFullDate, formatListDate } from './dates';

const NOW = new Date(2025, 10, 29, 9, 30);
const at = (...parts: [number, number, number, number?, number?]) =>
  Math.floor(new Date(parts[0], parts[1], parts[2], parts[3] ?? 0, parts[4] ?? 0).getTime() / 1000);

describe('formatListDate', () => {
  it('shows the time today, day and month this year, the full date before', () => {
    expect(formatListDate(at(2025, 10, 29, 8, 5), NOW, 'en')).toBe('8:05 AM');
    expect(formatListDate(at(2025, 10, 28, 23, 59), NOW, 'en')).toBe('Nov 28');
    expect(formatListDate(at(2025, 0, 2), NOW, 'en')).toBe('Jan 2');
    expect(formatListDate(at(2024, 11, 31), NOW, 'en')).toBe('12/31/2024');
  });

  it('follows the locale', () => {
    expect(formatListDate(at(2025, 10, 29, 14, 5), NOW, 'zh-CN')).toBe('14:05');
    expect(formatListDate(at(2025, 0, 2), NOW, 'zh-CN')).toBe('1月2日');
    expect(formatListDate(at(2024, 11, 31), NOW, 'zh-CN')).toBe('2024/12/31');
  });
});

describe('formatFullDate', () => {
  it('spells the date out with the time', () => {
    expect(formatFullDate(at(2025, 10, 29, 8, 5), 'en')).toBe('Saturday, November 29, 2025 at 8:05 AM');
    expect(formatFullDate(at(2025, 10, 29, 8, 5), 'zh-CN')).toBe('2025年11月29日星期六 08:05');
  });
});
