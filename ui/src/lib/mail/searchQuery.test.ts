import { describe, expect, it } from 'vitest';
import { freeTextWords, queryChips, removeChip } from './searchQuery';

describe('queryChips', () => {
  it('finds the filters the store understands, as the store reads them', () => {
    const query =
      'from:alice@example.com to:"Bob Li" subject:plan has:attachment is:unread is:flagged before:2024-03-01 after:2024-01-31 in:INBOX budget';
    expect(queryChips(query).map((c) => [c.kind, c.value])).toEqual([
      ['from', 'alice@example.com'],
      ['to', 'Bob Li'],
      ['subject', 'plan'],
      ['has_attachment', 'attachment'],
      ['unread', 'unread'],
      ['flagged', 'flagged'],
      ['before', '2024-03-01'],
      ['after', '2024-01-31'],
      ['in', 'INBOX'],
    ]);
  });

  it('ignores what the store searches as text', () => {
    expect(queryChips('foo:bar before:2024-02-30 is:weird http://x "from:quoted" FROM:')).toEqual([]);
  });

  it('takes keys in any case and an unclosed quote to the end', () => {
    expect(queryChips('FROM:ann subject:"still typ').map((c) => c.value)).toEqual(['ann', 'still typ']);
  });
});

describe('removeChip', () => {
  it('takes the filter out of the text and tidies the spaces', () => {
    const query = 'from:"Ann Lee"  report is:unread';
    const [from, unread] = queryChips(query);
    expect(removeChip(query, from)).toBe('report is:unread');
    expect(removeChip(query, unread)).toBe('from:"Ann Lee" report');
  });
});

describe('freeTextWords', () => {
  it('is what is left once the filters the store understands are taken out', () => {
    expect(freeTextWords('from:alice is:unread budget "q3 plan"')).toEqual(['budget', 'q3', 'plan']);
    expect(freeTextWords('from:alice subject:"big plan" before:2024-03-01')).toEqual([]);
    // Not filters to the store, so words it searches the text for.
    expect(freeTextWords('has:nothing from:')).toEqual(['has:nothing', 'from:']);
    expect(freeTextWords('  ""  ')).toEqual([]);
  });
});
