// Heron's end-to-end suite: drives the real app window over WebDriver (tauri-driver in
// front of WebKitWebDriver) and saves screenshots of what a person would see.
//
// Run by `cargo xtask test` / `cargo xtask e2e`, which start Xvfb, tauri-driver and the
// real-server stack and set HERON_WEBDRIVER, HERON_APP and HERON_E2E_OUT.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const DRIVER = process.env.HERON_WEBDRIVER;
const APP = process.env.HERON_APP;
const OUT = process.env.HERON_E2E_OUT;
if (!DRIVER || !APP || !OUT) {
  console.error('HERON_WEBDRIVER, HERON_APP and HERON_E2E_OUT must be set (use `cargo xtask e2e`)');
  process.exit(2);
}
const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';

async function wd(method, path, body) {
  const response = await fetch(`${DRIVER}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  });
  const json = await response.json().catch(() => ({}));
  if (!response.ok) {
    const v = json.value ?? {};
    throw new Error(`${method} ${path}: ${response.status} ${v.error ?? ''} ${v.message ?? ''}`);
  }
  return json.value;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

class Window {
  constructor(id) {
    this.base = `/session/${id}`;
  }
  static async open() {
    const value = await wd('POST', '/session', {
      capabilities: { alwaysMatch: { 'tauri:options': { application: APP } } },
    });
    return new Window(value.sessionId);
  }
  close() {
    return wd('DELETE', this.base);
  }
  async find(css, { timeout = 15_000 } = {}) {
    const deadline = Date.now() + timeout;
    for (;;) {
      try {
        const v = await wd('POST', `${this.base}/element`, { using: 'css selector', value: css });
        return v[ELEMENT];
      } catch (e) {
        if (Date.now() > deadline) throw new Error(`No element ${css} after ${timeout} ms (${e.message})`);
        await sleep(100);
      }
    }
  }
  async absent(css, { timeout = 5_000 } = {}) {
    const deadline = Date.now() + timeout;
    for (;;) {
      const found = await wd('POST', `${this.base}/elements`, { using: 'css selector', value: css });
      if (found.length === 0) return;
      if (Date.now() > deadline) throw new Error(`${css} is still there after ${timeout} ms`);
      await sleep(100);
    }
  }
  async click(css) {
    const id = await this.find(css);
    await wd('POST', `${this.base}/element/${id}/click`, {});
  }
  async text(css) {
    const id = await this.find(css);
    return wd('GET', `${this.base}/element/${id}/text`);
  }
  async attribute(css, name) {
    const id = await this.find(css);
    return wd('GET', `${this.base}/element/${id}/attribute/${name}`);
  }
  script(source, args = []) {
    return wd('POST', `${this.base}/execute/sync`, { script: source, args });
  }
  async select(css, value) {
    // Choosing an <option> the way a person does: the select changes and fires `change`.
    await this.click(`${css} option[value="${value}"]`);
    const chosen = await this.script('return document.querySelector(arguments[0]).value', [css]);
    if (chosen !== value) throw new Error(`${css} is ${chosen}, not ${value}`);
  }
  async pressEscape() {
    await wd('POST', `${this.base}/actions`, {
      actions: [
        {
          type: 'key',
          id: 'keyboard',
          actions: [
            { type: 'keyDown', value: '\uE00C' },
            { type: 'keyUp', value: '\uE00C' },
          ],
        },
      ],
    });
  }
  async screenshot(name) {
    await sleep(400); // let transitions settle
    const png = await wd('GET', `${this.base}/screenshot`);
    const file = join(OUT, `${name}.png`);
    await writeFile(file, Buffer.from(png, 'base64'));
    return file;
  }
  async waitFor(check, what, timeout = 5_000) {
    const deadline = Date.now() + timeout;
    for (;;) {
      if (await check()) return;
      if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
      await sleep(100);
    }
  }
}

const SECTIONS = ['mail', 'calendar', 'directory', 'settings'];
const results = [];
async function test(name, body) {
  const started = Date.now();
  try {
    await body();
    results.push({ name, ok: true });
    console.log(`ok   ${name} (${Date.now() - started} ms)`);
  } catch (e) {
    results.push({ name, ok: false });
    console.log(`FAIL ${name}: ${e.message}`);
  }
}

async function setPreferences(win, { language, theme }) {
  await win.click('[data-testid="rail-settings"]');
  await win.find('[data-testid="section-settings"]');
  await win.select('[data-testid="setting-language"]', language);
  await win.select('[data-testid="setting-theme"]', theme);
  const want = language === 'system' ? null : language;
  await win.waitFor(
    async () => (await win.script('return document.documentElement.dataset.theme')) === theme &&
      (want === null || (await win.script('return document.documentElement.lang')) === want),
    `theme ${theme} and language ${language}`,
  );
}

const win = await Window.open();
try {
  // xtask gives every run a fresh data directory, so this is the app's first start.
  await test('the privacy notice is shown on first run and must be accepted', async () => {
    await win.find('[data-testid="privacy-notice"]', { timeout: 30_000 });
    const modal = await win.attribute('[data-testid="privacy-notice"]', 'aria-modal');
    if (modal !== 'true') throw new Error(`the notice is not modal (aria-modal=${modal})`);
    const version = await win.text('[data-testid="privacy-notice-version"]');
    if (!version.includes('2026-11-01')) throw new Error(`notice version is ${version}`);
    const inert = await win.script('return document.querySelector(".frame").inert');
    if (inert !== true) throw new Error('the app behind the notice can still be reached');
    await win.screenshot('heron-en-light-privacy-notice');

    await win.click('[data-testid="privacy-decline"]');
    await win.find('[data-testid="privacy-declined"]');
    await win.find('[data-testid="privacy-quit"]');
    await win.screenshot('heron-en-light-privacy-declined');
    await win.click('[data-testid="privacy-back"]');
    await win.absent('[data-testid="privacy-declined"]');

    await win.click('[data-testid="privacy-accept"]');
    await win.absent('[data-testid="privacy-notice"]');
    await win.click('[data-testid="rail-calendar"]');
    await win.find('[data-testid="section-calendar"]');
    await win.click('[data-testid="rail-mail"]');
    await win.find('[data-testid="section-mail"]');
  });

  await test('the window opens on Mail with the rail and the signed-in user', async () => {
    await win.find('[data-testid="section-mail"]', { timeout: 30_000 });
    for (const s of SECTIONS) await win.find(`[data-testid="rail-${s}"]`);
    await win.find('[data-testid="avatar"]');
  });

  await test('English and light theme can be chosen in Settings', async () => {
    await setPreferences(win, { language: 'en', theme: 'light' });
  });

  await test('every section renders its own view with an English heading', async () => {
    const expected = { mail: 'Mail', calendar: 'Calendar', directory: 'Directory', settings: 'Settings' };
    for (const s of SECTIONS) {
      await win.click(`[data-testid="rail-${s}"]`);
      const heading = await win.text(`[data-testid="section-${s}"] h1`);
      if (!heading.includes(expected[s])) throw new Error(`${s} heading is ${JSON.stringify(heading)}`);
      const current = await win.attribute(`[data-testid="rail-${s}"]`, 'aria-current');
      if (!current || current === 'false') throw new Error(`rail-${s} is not marked current`);
      await win.screenshot(`heron-en-light-${s}`);
    }
  });

  await test('the avatar opens the profile provisioned by the admin, Esc closes it', async () => {
    await win.click('[data-testid="rail-mail"]');
    await win.click('[data-testid="avatar"]');
    const panel = await win.text('[data-testid="profile-panel"]');
    for (const want of ['Alice Martin', 'alice@example.test', 'Engineering']) {
      if (!panel.includes(want)) throw new Error(`profile panel lacks ${want}: ${panel}`);
    }
    await win.screenshot('heron-en-light-profile');
    await win.pressEscape();
    await win.absent('[data-testid="profile-panel"]');
  });

  await test('dark theme applies at once', async () => {
    await setPreferences(win, { language: 'en', theme: 'dark' });
    await win.click('[data-testid="rail-mail"]');
    await win.screenshot('heron-en-dark-mail');
    await win.click('[data-testid="rail-settings"]');
    await win.screenshot('heron-en-dark-settings');
  });

  await test('switching to 简体中文 translates the whole frame', async () => {
    await setPreferences(win, { language: 'zh-CN', theme: 'dark' });
    const expected = { mail: '邮件', calendar: '日历', directory: '通讯录', settings: '设置' };
    for (const s of SECTIONS) {
      await win.click(`[data-testid="rail-${s}"]`);
      const heading = await win.text(`[data-testid="section-${s}"] h1`);
      if (!/[\u4e00-\u9fff]/.test(heading)) throw new Error(`${s} heading is not Chinese: ${heading}`);
      if (expected[s] && !heading.includes(expected[s])) {
        console.log(`note: ${s} heading is ${heading} (expected to contain ${expected[s]})`);
      }
      await win.screenshot(`heron-zh-CN-dark-${s}`);
    }
    await win.click('[data-testid="avatar"]');
    await win.find('[data-testid="profile-panel"]');
    await win.screenshot('heron-zh-CN-dark-profile');
    await win.pressEscape();
    await win.absent('[data-testid="profile-panel"]');
  });

  await test('zh-CN in the light theme', async () => {
    await setPreferences(win, { language: 'zh-CN', theme: 'light' });
    await win.click('[data-testid="rail-mail"]');
    await win.screenshot('heron-zh-CN-light-mail');
    await win.click('[data-testid="rail-settings"]');
    await win.screenshot('heron-zh-CN-light-settings');
  });

  await test('preferences return to the system defaults', async () => {
    await win.click('[data-testid="rail-settings"]');
    await win.select('[data-testid="setting-language"]', 'system');
    await win.select('[data-testid="setting-theme"]', 'system');
  });
} finally {
  await win.close().catch(() => {});
}

const passed = results.filter((r) => r.ok).length;
const failed = results.length - passed;
console.log(`e2e: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
