import type { Correspondent } from '../../backend/composeTypes';

/** One comma-separated entry of an address field: where it is and what it says. */
export interface AddressToken {
  start: number;
  end: number;
  /** The entry without the spaces around it. */
  text: string;
}

/**
 * The entry of `field` the caret is in: from the comma before `caret` to the comma after
 * it. Commas inside a quoted name ("Zhang, Wei") or angle brackets do not separate.
 */
export function tokenAt(field: string, caret: number): AddressToken {
  const separators = separatorOffsets(field);
  let start = 0;
  let end = field.length;
  for (const offset of separators) {
    if (offset < caret) start = offset + 1;
    else {
      end = offset;
      break;
    }
  }
  return { start, end, text: field.slice(start, end).trim() };
}

/**
 * What to look up for the entry at `caret`, or `null` when it is empty or already a
 * complete `Name <address>`.
 */
export function lookupText(field: string, caret: number): string | null {
  const { text } = tokenAt(field, caret);
  if (!text || text.includes('<') || text.includes('>')) return null;
  return text.replace(/^"/, '');
}

/**
 * `field` with the entry at `caret` replaced by `person` and a separator, so the next
 * address can be typed at once; `caret` is where the caret goes (after the separator).
 */
export function replaceToken(field: string, caret: number, person: Correspondent): { field: string; caret: number } {
  const token = tokenAt(field, caret);
  const before = field.slice(0, token.start).trimEnd();
  const after = field.slice(token.end).replace(/^[\s,]+/, '');
  const head = `${before}${before ? ' ' : ''}${formatAddress(person)}, `;
  return { field: head + after, caret: head.length };
}

/**
 * `Name <address>`, the name quoted when it has characters that mean something in an
 * address (RFC 5322 specials), or the bare address when there is no name.
 */
export function formatAddress(person: Correspondent): string {
  const name = person.name.replace(/[\r\n\t]+/g, ' ').trim();
  const address = person.address.trim();
  if (!name || name.toLowerCase() === address.toLowerCase()) return address;
  if (/[()<>[\]:;@\\,."]/.test(name)) return `"${name.replace(/(["\\])/g, '\\$1')}" <${address}>`;
  return `${name} <${address}>`;
}

/** The addresses (lower case) already in `field`, to leave them out of suggestions. */
export function addressesIn(field: string): Set<string> {
  const found = new Set<string>();
  for (const match of field.matchAll(/[^\s<>,;"]+@[^\s<>,;"]+/g)) found.add(match[0].toLowerCase());
  return found;
}

/** Whether any of the fields names at least one recipient. */
export function hasRecipients(...fields: string[]): boolean {
  return fields.some((field) => field.split(',').some((entry) => entry.trim() !== ''));
}

function separatorOffsets(field: string): number[] {
  const offsets: number[] = [];
  let quoted = false;
  let angle = false;
  for (let index = 0; index < field.length; index += 1) {
    const char = field[index];
    if (char === '\\' && quoted) index += 1;
    else if (char === '"') quoted = !quoted;
    else if (!quoted && char === '<') angle = true;
    else if (!quoted && char === '>') angle = false;
    else if (char === ',' && !quoted && !angle) offsets.push(index);
  }
  return offsets;
}
