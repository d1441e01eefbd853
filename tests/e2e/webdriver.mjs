// A small WebDriver client for the real window: tauri-driver in front of
// WebKitWebDriver. Shared by the end-to-end suite (run.mjs) and the list benchmark
// (bench-list.mjs).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const DRIVER = process.env.HERON_WEBDRIVER;
const APP = process.env.HERON_APP;

export const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';
export const KEY = { tab: '\uE004', enter: '\uE007', escape: '\uE00C' };

export async function wd(method, path, body) {
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

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export class Window {
  /** Where `screenshot` writes its PNG files. */
  static screenshotDir = '.';
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
  async pressKey(key) {
    await wd('POST', `${this.base}/actions`, {
      actions: [
        {
          type: 'key',
          id: 'keyboard',
          actions: [
            { type: 'keyDown', value: key },
            { type: 'keyUp', value: key },
          ],
        },
      ],
    });
  }
  pressEscape() {
    return this.pressKey(KEY.escape);
  }
  /** The `data-testid` of the focused element. */
  focused() {
    return this.script('return document.activeElement?.dataset?.testid ?? null');
  }
  asyncScript(source, args = []) {
    return wd('POST', `${this.base}/execute/async`, { script: source, args });
  }
  async type(css, text) {
    const id = await this.find(css);
    await wd('POST', `${this.base}/element/${id}/value`, { text });
  }
  async clear(css) {
    const id = await this.find(css);
    await wd('POST', `${this.base}/element/${id}/clear`, {});
  }
  /** Runs `body` with the browsing context switched into the frame `css`. */
  async inFrame(css, body) {
    const id = await this.find(css);
    await wd('POST', `${this.base}/frame`, { id: { [ELEMENT]: id } });
    try {
      return await body();
    } finally {
      await wd('POST', `${this.base}/frame/parent`, {});
    }
  }
  /** The main window as the X server shows it (window-shot.py says why not WebDriver's). */
  async screenshot(name) {
    await sleep(400); // let transitions settle
    const file = join(Window.screenshotDir, `${name}.png`);
    const shot = spawnSync('/usr/bin/python3', [new URL('./window-shot.py', import.meta.url).pathname, file], {
      encoding: 'utf8',
    });
    if (shot.status !== 0) throw new Error(`screenshot ${name}: ${shot.stderr || shot.error}`);
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
