import { describe, expect, it } from 'vitest';
import { monthWeeks, weekdayDates } from './month';

describe('monthWeeks', () => {
  it('lays out November 2025 from Sunday', () => {
    const weeks = monthWeeks(new Date(2025, 10, 29), 0);
    expect(weeks[0]).toEqual([null, null, null, null, null, null, 1]);
    expect(weeks[weeks.length - 1]).toEqual([30, null, null, null, null, null, null]);
    expect(weeks.flat().filter((d) => d !== null)).toHaveLength(30);
  });

  it('lays out November 2025 from Monday', () => {
    const weeks = monthWeeks(new Date(2025, 10, 29), 1);
    expect(weeks[0]).toEqual([null, null, null, null, null, 1, 2]);
    expect(weeks[weeks.length - 1]).toEqual([24, 25, 26, 27, 28, 29, 30]);
  });

  it('starts weekday headers on the requested day', () => {
    expect(weekdayDates(0)[0].getDay()).toBe(0);
    expect(weekdayDates(1)[0].getDay()).toBe(1);
  });
});
