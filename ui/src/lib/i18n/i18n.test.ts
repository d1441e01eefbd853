import { describe, expect, it } from 'vitest';
import { en } from './en';
import { zhCN } from './zh-CN';
import { resolveLocale, translate } from './locale';

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('message catalogs', () => {
  it('have identical key sets', () => {
    expect(Object.keys(zhCN).sort()).toEqual(Object.keys(en).sort());
    expect(Object.keys(en).length).toBeGreaterThan(0);
  });

  it('have no empty values', () => {
    for (const catalog of [en, zhCN]) {
      for (const [key, value] of Object.entries(catalog)) {
        expect(value.trim(), key).not.toBe('');
      }
    }
  });

  it('use the same placeholders in both languages', () => {
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      expect(placeholders(zhCN[key]), key).toEqual(placeholders(en[key]));
    }
  });
});

describe('resolveLocale', () => {
  it('follows the OS: any Chinese variant means zh-CN', () => {
    expect(resolveLocale('system', ['zh-CN'])).toBe('zh-CN');
    expect(resolveLocale('system', ['zh-TW', 'en'])).toBe('zh-CN');
    expect(resolveLocale('system', ['zh'])).toBe('zh-CN');
    expect(resolveLocale('system', ['fr-FR', 'zh-Hans-CN'])).toBe('zh-CN');
  });

  it('falls back to English', () => {
    expect(resolveLocale('system', ['en-US', 'en'])).toBe('en');
    expect(resolveLocale('system', ['de-DE'])).toBe('en');
    expect(resolveLocale('system', [])).toBe('en');
  });

  it('keeps the order of the OS languages', () => {
    expect(resolveLocale('system', ['en-GB', 'zh-CN'])).toBe('en');
  });

  it('lets an explicit choice win over the OS', () => {
    expect(resolveLocale('en', ['zh-CN'])).toBe('en');
    expect(resolveLocale('zh-CN', ['en-US'])).toBe('zh-CN');
  });
});

describe('translate', () => {
  it('fills placeholders', () => {
    expect(translate('en', 'avatar.label', { name: 'Ada Lovelace' })).toBe(
      'Your profile: Ada Lovelace',
    );
    expect(translate('zh-CN', 'avatar.label', { name: '王小明' })).toBe('你的个人资料：王小明');
  });
});
