import { describe, expect, it } from 'vitest';
import { initials } from './initials';

describe('initials', () => {
  it('takes first and last initial of a Latin name', () => {
    expect(initials('Ada Lovelace', 'ada@example.com')).toBe('AL');
    expect(initials('ada king lovelace', 'ada@example.com')).toBe('AL');
    expect(initials('  Émilie du Châtelet ', 'e@example.com')).toBe('ÉC');
  });

  it('uses one initial for a single Latin name', () => {
    expect(initials('Plato', 'plato@example.com')).toBe('P');
  });

  it('takes the last character of a Chinese name', () => {
    expect(initials('王小明', 'xiaoming@example.cn')).toBe('明');
    expect(initials('欧阳 娜娜', 'nana@example.cn')).toBe('娜');
  });

  it('falls back to the first letter of the email', () => {
    expect(initials('', 'grace@example.com')).toBe('G');
    expect(initials('Иван Петров', 'ivan@example.com')).toBe('I');
    expect(initials('  ', '_ops@example.com')).toBe('O');
  });

  it('returns nothing when there is nothing to show', () => {
    expect(initials('', '')).toBe('');
  });
});
