/** A ready-made time to send a message later. */
export interface SendLaterChoice {
  kind: 'hour' | 'tomorrow' | 'monday';
  at: Date;
}

/** The hour of the morning "tomorrow" and "Monday" mean. */
const MORNING = 8;

/**
 * In an hour, tomorrow morning and next Monday morning, from `now` (passed in, so the
 * result is deterministic). On a Sunday, tomorrow is Monday and is offered once.
 */
export function sendLaterChoices(now: Date): SendLaterChoice[] {
  const inAnHour = new Date(now.getTime() + 3_600_000);
  inAnHour.setSeconds(0, 0);
  const day = (offset: number) => new Date(now.getFullYear(), now.getMonth(), now.getDate() + offset, MORNING);
  const choices: SendLaterChoice[] = [
    { kind: 'hour', at: inAnHour },
    { kind: 'tomorrow', at: day(1) },
  ];
  const toMonday = (8 - now.getDay()) % 7 || 7;
  if (toMonday !== 1) choices.push({ kind: 'monday', at: day(toMonday) });
  return choices;
}

/** Unix seconds of `date`. */
export function unixSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

/** The local time an `<input type="datetime-local">` holds ("2025-12-01T08:00"), or `null`. */
export function parseLocalDateTime(value: string): Date | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(value);
  if (!match) return null;
  const [year, month, day, hour, minute] = match.slice(1).map(Number);
  const date = new Date(year, month - 1, day, hour, minute);
  // Rejects 2025-02-30 and the like, which Date would roll over.
  return date.getMonth() === month - 1 && date.getDate() === day ? date : null;
}

/** `date` as an `<input type="datetime-local">` value, to the minute. */
export function toLocalDateTime(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const day = `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
  return `${day}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}
