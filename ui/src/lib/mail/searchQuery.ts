/**
 * The structured filters of a search box string, found the way the store's parser
 * (heron-store `search::parse_query`) finds them, so a chip is shown exactly for what
 * the store will treat as a filter.
 */

/** Which filter a chip stands for. */
export type ChipKind =
  | 'from'
  | 'to'
  | 'subject'
  | 'has_attachment'
  | 'unread'
  | 'flagged'
  | 'before'
  | 'after'
  | 'in';

export interface QueryChip {
  kind: ChipKind;
  /** The filter's value as typed, without quotes (empty for `has:` and `is:`). */
  value: string;
  /** Where the filter is in the query text, end exclusive (in UTF-16 units). */
  start: number;
  end: number;
}

const KEYS = new Set(['from', 'to', 'subject', 'has', 'is', 'before', 'after', 'in']);

export function queryChips(query: string): QueryChip[] {
  const chips: QueryChip[] = [];
  const isSpace = (c: string) => /\s/.test(c);
  let i = 0;
  while (i < query.length) {
    if (isSpace(query[i])) {
      i += 1;
      continue;
    }
    if (query[i] === '"') {
      i = closingQuote(query, i + 1);
      continue;
    }
    const start = i;
    while (i < query.length && !isSpace(query[i]) && query[i] !== ':' && query[i] !== '"') i += 1;
    const key = query.slice(start, i).toLowerCase();
    if (!(i < query.length && query[i] === ':' && KEYS.has(key))) {
      while (i < query.length && !isSpace(query[i])) i += 1;
      continue;
    }
    i += 1;
    let value: string;
    if (query[i] === '"') {
      const end = closingQuote(query, i + 1);
      value = query.slice(i + 1, query[end - 1] === '"' && end - 1 > i ? end - 1 : end);
      i = end;
    } else {
      const valueStart = i;
      while (i < query.length && !isSpace(query[i])) i += 1;
      value = query.slice(valueStart, i);
    }
    const kind = chipKind(key, value);
    if (kind) chips.push({ kind, value: value.trim(), start, end: i });
  }
  return chips;
}

/**
 * The words of `query` that are not filters: what the store searches the text of the
 * messages for, and the servers too for mail not downloaded yet. Quotes are dropped.
 */
export function freeTextWords(query: string): string[] {
  let rest = '';
  let from = 0;
  for (const chip of queryChips(query)) {
    rest += `${query.slice(from, chip.start)} `;
    from = chip.end;
  }
  rest += query.slice(from);
  return rest
    .replaceAll('"', ' ')
    .split(/\s+/)
    .filter((word) => word !== '');
}

/** The query without `chip`, its surrounding space tidied. */
export function removeChip(query: string, chip: QueryChip): string {
  return `${query.slice(0, chip.start)} ${query.slice(chip.end)}`.replace(/\s+/g, ' ').trim();
}

function chipKind(key: string, value: string): ChipKind | null {
  const lower = value.toLowerCase();
  switch (key) {
    case 'from':
    case 'to':
    case 'subject':
      return value.trim() ? key : null;
    case 'has':
      return lower === 'attachment' || lower === 'attachments' ? 'has_attachment' : null;
    case 'is':
      if (lower === 'unread') return 'unread';
      return lower === 'flagged' || lower === 'starred' ? 'flagged' : null;
    case 'before':
    case 'after':
      return isDay(value) ? key : null;
    case 'in':
      return value ? 'in' : null;
    default:
      return null;
  }
}

/** Index just past the closing quote; an unclosed quote runs to the end (still typing). */
function closingQuote(query: string, from: number): number {
  const end = query.indexOf('"', from);
  return end === -1 ? query.length : end + 1;
}

function isDay(value: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}
