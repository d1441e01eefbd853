import { beforeEach, describe, expect, it } from 'vitest';
import { Preferences, STORAGE_KEYS } from './Preferences.svelte';

describe('Preferences', () => {
  beforeEach(() => localStorage.clear());

  it('defaults to following the system', () => {
    const prefs = new Preferences(localStorage);
    expect(prefs.language).toBe('system');
    expect(prefs.theme).toBe('system');
  });

  it('persists choices and reads them back', () => {
    const prefs = new Preferences(localStorage);
    prefs.setLanguage('zh-CN');
    prefs.setTheme('dark');
    expect(localStorage.getItem(STORAGE_KEYS.language)).toBe('zh-CN');
    expect(localStorage.getItem(STORAGE_KEYS.theme)).toBe('dark');

    const again = new Preferences(localStorage);
    expect(again.language).toBe('zh-CN');
    expect(again.theme).toBe('dark');
  });

  it('ignores values it does not know', () => {
    localStorage.setItem(STORAGE_KEYS.language, 'klingon');
    localStorage.setItem(STORAGE_KEYS.theme, 'sepia');
    const prefs = new Preferences(localStorage);
    expect(prefs.language).toBe('system');
    expect(prefs.theme).toBe('system');
  });
});
