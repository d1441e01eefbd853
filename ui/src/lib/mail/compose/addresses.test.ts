import { describe, expect, it } from 'vitest';
import { addressesIn, formatAddress, hasRecipients, lookupText, replaceToken, tokenAt } from './addresses';

describe('address fields', () => {
  it('find the entry the caret is in, ignoring commas in quoted names and brackets', () => {
    const field = '"Zhang, Wei" <wei@example.com>, bo';
    expect(tokenAt(field, field.length)).toEqual({ start: 31, end: field.length, text: 'bo' });
    expect(tokenAt(field, 5).text).toBe('"Zhang, Wei" <wei@example.com>');
    expect(tokenAt('ann, bo, cy', 6)).toEqual({ start: 4, end: 7, text: 'bo' });
    expect(tokenAt('', 0)).toEqual({ start: 0, end: 0, text: '' });
  });

  it('look up what is being typed, not complete or empty entries', () => {
    expect(lookupText('ann@example.com, we', 19)).toBe('we');
    expect(lookupText('ann@example.com, ', 17)).toBeNull();
    expect(lookupText('Wei <wei@example.com>', 21)).toBeNull();
    expect(lookupText('"Zha', 4)).toBe('Zha');
  });

  it('replace the entry with the person picked and leave the caret after a separator', () => {
    const wei = { name: 'Wei Zhang', address: 'wei@example.com' };
    expect(replaceToken('we', 2, wei)).toEqual({ field: 'Wei Zhang <wei@example.com>, ', caret: 29 });
    expect(replaceToken('ann@example.com,we', 18, wei).field).toBe('ann@example.com, Wei Zhang <wei@example.com>, ');
    // In the middle: what follows stays, with one separator.
    const middle = replaceToken('ann@example.com, we, bob@example.com', 19, wei);
    expect(middle.field).toBe('ann@example.com, Wei Zhang <wei@example.com>, bob@example.com');
    expect(middle.caret).toBe('ann@example.com, Wei Zhang <wei@example.com>, '.length);
  });

  it('quote names that have special characters, and drop line breaks', () => {
    expect(formatAddress({ name: 'Zhang, Wei', address: 'wei@example.com' })).toBe('"Zhang, Wei" <wei@example.com>');
    expect(formatAddress({ name: 'A "B" C', address: 'b@example.com' })).toBe('"A \\"B\\" C" <b@example.com>');
    expect(formatAddress({ name: 'Evil\r\nBcc: x@evil.example', address: 'e@example.com' })).toBe(
      '"Evil Bcc: x@evil.example" <e@example.com>',
    );
    expect(formatAddress({ name: '', address: 'bare@example.com' })).toBe('bare@example.com');
    expect(formatAddress({ name: '王小明', address: 'wang@example.cn' })).toBe('王小明 <wang@example.cn>');
  });

  it('list the addresses present and tell whether there is any recipient', () => {
    expect([...addressesIn('Ann <Ann@Example.com>, bob@example.org')]).toEqual(['ann@example.com', 'bob@example.org']);
    expect(hasRecipients('', ' , ', '')).toBe(false);
    expect(hasRecipients('', '', 'x@example.com')).toBe(true);
  });
});
