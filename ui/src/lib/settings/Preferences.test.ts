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

  it('remembers the mail layout and pane sizes, within limits', () => {
    const prefs = new Preferences(localStorage);
    expect(prefs.mailLayout).toBe('three-pane');
    expect(prefs.paneSizes).toEqual({ folders: 232, list: 380, listHeight: 320 });
    prefs.setMailLayout('list-only');
    expect(prefs.setPaneSize('folders', 300)).toBe(300);
    expect(prefs.setPaneSize('list', 5000)).toBe(720);

    const again = new Preferences(localStorage);
    expect(again.mailLayout).toBe('list-only');
    expect(again.paneSizes).toEqual({ folders: 300, list: 720, listHeight: 320 });
  });

  it('remembers whether the mail list groups conversations', () => {
    const prefs = new Preferences(localStorage);
    expect(prefs.conversations).toBe(false);
    prefs.setListOrder('sender');
    expect(prefs.folderOrder).toBe('sender');
    prefs.setConversations(true);
    expect(prefs.folderOrder).toBe('conversations');
    expect(localStorage.getItem(STORAGE_KEYS.mailConversations)).toBe('on');

    const again = new Preferences(localStorage);
    expect(again.conversations).toBe(true);
    expect(again.folderOrder).toBe('conversations');
    // The sort chosen before stays, for when conversations are turned off.
    again.setConversations(false);
    expect(again.folderOrder).toBe('sender');
    localStorage.setItem(STORAGE_KEYS.mailConversations, 'yes');
    expect(new Preferences(localStorage).conversations).toBe(false);
  });

  it('ignores a damaged pane size entry', () => {
    localStorage.setItem(STORAGE_KEYS.mailPanes, '{"folders": "wide", "list": 10');
    expect(new Preferences(localStorage).paneSizes.list).toBe(380);
    localStorage.setItem(STORAGE_KEYS.mailPanes, '{"folders": 12, "list": "wide"}');
    const prefs = new Preferences(localStorage);
    expect(prefs.paneSizes.folders).toBe(160);
    expect(prefs.paneSizes.list).toBe(380);
    localStorage.setItem(STORAGE_KEYS.mailLayout, 'tabs');
    expect(new Preferences(localStorage).mailLayout).toBe('three-pane');
  });
});
