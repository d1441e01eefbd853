import { describe, expect, it } from 'vitest';
import { parseLocalDateTime, sendLaterChoices, toLocalDateTime, unixSeconds } from './sendLater';

describe('send later', () => {
  it('offers an hour from now, tomorrow 8:00 and next Monday 8:00', () => {
    const saturday = new Date(2025, 10, 29, 9, 30, 42);
    expect(sendLaterChoices(saturday)).toEqual([
      { kind: 'hour', at: new Date(2025, 10, 29, 10, 30) },
      { kind: 'tomorrow', at: new Date(2025, 10, 30, 8, 0) },
      { kind: 'monday', at: new Date(2025, 11, 1, 8, 0) },
    ]);
  });

  it('offers Monday once on a Sunday, and the next one on a Monday', () => {
    expect(sendLaterChoices(new Date(2025, 10, 30, 20, 0)).map((c) => c.kind)).toEqual(['hour', 'tomorrow']);
    const monday = sendLaterChoices(new Date(2025, 11, 1, 7, 0));
    expect(monday[2]).toEqual({ kind: 'monday', at: new Date(2025, 11, 8, 8, 0) });
  });

  it('reads and writes the datetime-local format in local time', () => {
    expect(parseLocalDateTime('2025-12-01T08:05')).toEqual(new Date(2025, 11, 1, 8, 5));
    expect(parseLocalDateTime('2025-02-30T08:00')).toBeNull();
    expect(parseLocalDateTime('')).toBeNull();
    expect(toLocalDateTime(new Date(2026, 0, 2, 3, 4))).toBe('2026-01-02T03:04');
    expect(unixSeconds(new Date(1_764_400_000_999))).toBe(1_764_400_000);
  });
});
