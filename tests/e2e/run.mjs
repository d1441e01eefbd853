// Heron's end-to-end suite: drives the real app window over WebDriver (tauri-driver in
// front of WebKitWebDriver) and saves screenshots of what a person would see.
//
// Run by `cargo xtask test` / `cargo xtask e2e`, which start Xvfb, tauri-driver and the
// real-server stack and set HERON_WEBDRIVER, HERON_APP, HERON_E2E_OUT and
// HERON_E2E_KEY_DIR.
import { spawn, spawnSync } from 'node:child_process';
import { readdir, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { KEY, Window, sleep } from './webdriver.mjs';

const DRIVER = process.env.HERON_WEBDRIVER;
const APP = process.env.HERON_APP;
const OUT = process.env.HERON_E2E_OUT;
// Where xtask kept the key of the local store it made before the first start.
const KEY_DIR = process.env.HERON_E2E_KEY_DIR;
// The run's own account, and the port of the HTTP sink its hostile mail points at.
const EMAIL = process.env.HERON_E2E_EMAIL;
// Its password: the policy provisions the account without it, as a real one would.
const PASSWORD = process.env.HERON_E2E_PASSWORD;
const PEER = process.env.HERON_E2E_PEER;
// The peer's password and the servers' ports, for adding the peer as an account by hand.
const PEER_PASSWORD = process.env.HERON_E2E_PEER_PASSWORD;
const PEER_SERVERS = JSON.parse(process.env.HERON_E2E_PORTS ?? 'null');
// The harness binary: `heron-harness dovecot stop|start` takes the IMAP server away.
const HARNESS = process.env.HERON_E2E_HARNESS;
const SINK_PORT = Number(process.env.HERON_E2E_SINK_PORT);
const HOSTILE = Number(process.env.HERON_E2E_HOSTILE);
// The app's session bus (to ask the notification service what it showed), and how to
// run doveadm against the test Dovecot (to deliver mail while the window runs).
const BUS_FILE = process.env.HERON_E2E_BUS_FILE;
const DOVEADM = JSON.parse(process.env.HERON_E2E_DOVEADM ?? 'null');
if (!DRIVER || !APP || !OUT || !KEY_DIR || !EMAIL || !PASSWORD || !PEER || !PEER_PASSWORD || !PEER_SERVERS || !HARNESS || !SINK_PORT || !HOSTILE || !BUS_FILE || !DOVEADM) {
  console.error(
    'HERON_WEBDRIVER, HERON_APP, HERON_E2E_OUT and HERON_E2E_KEY_DIR must be set (use `cargo xtask e2e`)',
  );
  process.exit(2);
}

// The sink every load in the hostile corpus points at: any request it sees is a leak.
const sinkHits = [];
const sink = createServer((request, response) => {
  sinkHits.push(`${request.method} ${request.url}`);
  response.writeHead(204).end();
});
await new Promise((resolve) => sink.listen(SINK_PORT, '127.0.0.1', resolve));


const SECTIONS = ['mail', 'calendar', 'directory', 'settings'];
const LOOKS = [
  { language: 'en', theme: 'light' },
  { language: 'en', theme: 'dark' },
  { language: 'zh-CN', theme: 'dark' },
  { language: 'zh-CN', theme: 'light' },
];
Window.screenshotDir = OUT;
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

/**
 * Sets the language and theme the way Settings stores them, and reloads the window: for a
 * dialog that keeps Settings out of reach. The window asks the backend for everything again.
 */
async function reloadWith(win, { language, theme }) {
  await win.script(
    `localStorage.setItem('heron.ui.language', arguments[0]);
     localStorage.setItem('heron.ui.theme', arguments[1]);
     window.heronE2eBeforeReload = true;
     setTimeout(() => location.reload(), 0);`,
    [language, theme],
  );
  await win.waitFor(
    async () => {
      try {
        return await win.script(
          `return window.heronE2eBeforeReload === undefined &&
             document.documentElement.lang === arguments[0] &&
             document.documentElement.dataset.theme === arguments[1]`,
          [language, theme],
        );
      } catch {
        return false; // the page is between documents
      }
    },
    `the window reloaded in ${language}, ${theme}`,
    15_000,
  );
}

async function isInert(win) {
  return (await win.script('return document.querySelector(".frame").inert')) === true;
}

let win = await Window.open();
try {
  // xtask gives every run a fresh data directory, so this is the app's first start (over
  // a local store xtask made, whose key is in a file).
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

  // xtask made the local store with its key in a file, as where no keyring was reachable.
  await test('a store whose key is in a file shows a warning that blocks nothing', async () => {
    const banner = await win.text('[data-testid="store-warning"]');
    for (const want of [
      "Heron's key is in a file on this computer",
      'Anyone who can read your files can read your cached mail.',
      'Ask IT to set up a keyring (Secret Service).',
      KEY_DIR,
    ]) {
      if (!banner.includes(want)) throw new Error(`the warning lacks ${JSON.stringify(want)}: ${banner}`);
    }
    if (await isInert(win)) throw new Error('the warning blocks the window');
    for (const look of LOOKS) {
      await setPreferences(win, look);
      await win.click('[data-testid="rail-mail"]');
      await win.find('[data-testid="store-warning"]');
      await win.screenshot(`heron-${look.language}-${look.theme}-store-key-file-warning`);
    }
    await setPreferences(win, { language: 'en', theme: 'light' });
    await win.click('[data-testid="rail-mail"]');
    // Dismissed from the keyboard, for this session.
    await win.script('document.querySelector(\'[data-testid="store-warning-dismiss"]\').focus()');
    await win.pressKey(KEY.enter);
    await win.absent('[data-testid="store-warning"]');
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
    // The panel fades in; WebDriver reads no text from it until it is visible.
    let panel = '';
    await win.waitFor(async () => {
      panel = await win.text('[data-testid="profile-panel"]');
      return panel.includes('Alice Martin');
    }, 'the profile panel to show');
    for (const want of ['Alice Martin', EMAIL, 'Engineering']) {
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

  await test('the provisioned account asks only for its password, checked by the server', async () => {
    await win.click('[data-testid="rail-mail"]');
    await win.find('[data-testid="sign-in-banner"]', { timeout: 30_000 });
    const banner = await win.text('[data-testid="sign-in-banner"]');
    if (!banner.includes(EMAIL)) throw new Error(`the banner names no account: ${banner}`);
    for (const look of LOOKS) {
      await setPreferences(win, look);
      await win.click('[data-testid="rail-mail"]');
      await win.find('[data-testid="sign-in-banner"]');
      await win.screenshot(`heron-${look.language}-${look.theme}-sign-in-banner`);
      await win.click('[data-testid="rail-settings"]');
      await win.find('[data-testid="account-sign-in"]');
      await win.screenshot(`heron-${look.language}-${look.theme}-settings-accounts`);
    }
    await setPreferences(win, { language: 'en', theme: 'light' });
    await win.click('[data-testid="rail-mail"]');
    await win.click('[data-testid="sign-in-banner"] button');
    await win.find('[data-testid="sign-in-dialog"]');
    // A wrong password: the server refuses it and the dialog says so; nothing is kept.
    await win.type('[data-testid="sign-in-password"]', 'not-the-password');
    await win.click('[data-testid="sign-in-submit"]');
    await win.find('[data-testid="sign-in-error"]', { timeout: 30_000 });
    const code = await win.attribute('[data-testid="sign-in-error"]', 'data-error-code');
    if (code !== 'authentication_failed') throw new Error(`the refusal is ${code}`);
    await win.screenshot('heron-en-light-sign-in-refused');
    await win.clear('[data-testid="sign-in-password"]');
    await win.type('[data-testid="sign-in-password"]', PASSWORD);
    await win.click('[data-testid="sign-in-submit"]');
    await win.absent('[data-testid="sign-in-dialog"]', { timeout: 30_000 });
    await win.absent('[data-testid="sign-in-banner"]', { timeout: 30_000 });
  });

  await test('the Inbox syncs on its own and a message opens in the isolated reader', async () => {
    await win.click('[data-testid="rail-mail"]');
    const row = '[data-testid="message-row"]';
    await win.find(row, { timeout: 90_000 });
    await win.waitFor(
      async () => (await win.script(
        `return [...document.querySelectorAll(arguments[0])].some((r) => r.textContent.includes('Quarterly planning'))`,
        [row],
      )),
      'the welcome message in the list',
      60_000,
    );
    await win.script(
      `[...document.querySelectorAll(arguments[0])].find((r) => r.textContent.includes('Quarterly planning')).click()`,
      [row],
    );
    await win.waitFor(
      async () => (await win.text('[data-testid="reader"]')).includes('wei.zhang@example.test'),
      'the sender in the reader',
      15_000,
    );
    const reader = await win.text('[data-testid="reader"]');
    for (const want of ['Wei Zhang', 'wei.zhang@example.test', 'Quarterly planning']) {
      if (!reader.includes(want)) throw new Error(`the reader lacks ${want}: ${reader}`);
    }
    const sandbox = await win.attribute('[data-testid="reader-body"]', 'sandbox');
    if (sandbox !== '') throw new Error(`the body frame's sandbox is ${JSON.stringify(sandbox)}`);
    const src = await win.attribute('[data-testid="reader-body"]', 'src');
    if (!src.startsWith('heron-mail://')) throw new Error(`the body comes from ${src}`);
    const agenda = await win.inFrame('[data-testid="reader-body"]', async () => {
      await win.find('ol li');
      return win.text('ol');
    });
    if (!agenda.includes('Roadmap review')) throw new Error(`the body shows ${agenda}`);
    for (const look of LOOKS) {
      await setPreferences(win, look);
      await win.click('[data-testid="rail-mail"]');
      await win.find('[data-testid="reader-body"]');
      await win.screenshot(`heron-${look.language}-${look.theme}-mail-reader`);
    }
    await setPreferences(win, { language: 'en', theme: 'light' });
    await win.click('[data-testid="rail-mail"]');
  });

  await test('shortcut keys typed inside a message body act on the mail; scrolling keys stay with it', async () => {
    // The welcome message is open, its HTML body in a frame without scripts. A real
    // click (through the X server) into the body's margin gives that frame the
    // keyboard, as a user's click does; the keys then come from the X server too.
    const heron = ['search', '--onlyvisible', '--name', '^Heron'];
    const x = (...args) => {
      const done = spawnSync('xdotool', [...heron, ...args], { encoding: 'utf8' });
      if (done.status !== 0) throw new Error(`xdotool ${args.join(' ')}: ${done.stderr}`);
    };
    const readerId = () => win.attribute('[data-testid="reader"]', 'data-message-id');
    const focused = () => win.script('return document.activeElement?.dataset?.testid ?? null');
    const before = await readerId();
    const frame = await win.script(
      `const r = document.querySelector('[data-testid="reader-body"]').getBoundingClientRect();
       return [Math.round(r.left + 12), Math.round(r.top + 12)];`,
    );
    x('windowfocus', '--sync', 'mousemove', '--window', '%1', String(frame[0]), String(frame[1]), 'click', '1');
    await win.waitFor(async () => (await focused()) === 'reader-body', 'the keyboard focus in the body');

    x('windowfocus', '--sync', 'key', 'Down', 'Page_Down');
    await sleep(700);
    if ((await readerId()) !== before) throw new Error('a scrolling key in the body changed the message');
    if ((await focused()) !== 'reader-body') throw new Error(`the body lost the focus to ${await focused()}`);

    x('windowfocus', '--sync', 'key', 'j');
    await win.waitFor(async () => (await readerId()) !== before, 'j typed in the body to open the next message');
    if ((await focused()) !== 'message-list') throw new Error(`after j the focus is on ${await focused()}`);

    // Back into the body: ? opens the shortcut sheet, Escape closes it.
    x('windowfocus', '--sync', 'mousemove', '--window', '%1', String(frame[0]), String(frame[1]), 'click', '1');
    await win.waitFor(async () => (await focused()) === 'reader-body', 'the focus back in the body');
    x('windowfocus', '--sync', 'key', 'question');
    await win.find('[data-testid="shortcuts-dialog"]');
    // The focus is back in the page, so Escape is the page's own again.
    await sleep(300);
    x('windowfocus', '--sync', 'key', 'Escape');
    await win.absent('[data-testid="shortcuts-dialog"]');
  });

  await test('the window title carries the unread count of the inboxes, and follows the reader', async () => {
    // The native title, as the desktop's taskbar shows it (not document.title).
    const titled = () => {
      const tree = spawnSync('xwininfo', ['-root', '-tree'], { encoding: 'utf8' }).stdout ?? '';
      const match = tree.match(/"Heron(?: \((\d+)\))?"/);
      return match ? Number(match[1] ?? 0) : null;
    };
    const inboxUnread = async () =>
      Number(
        await win.script(
          `const inbox = document.querySelector('[data-testid="folder"][data-special-use="INBOX"] [data-testid="unread-badge"]');
           return inbox ? inbox.textContent.replace(/[^0-9]/g, '') : '0'`,
        ),
      );
    await win.waitFor(async () => titled() !== null && titled() === (await inboxUnread()), 'the title and the Inbox agree', 30_000);
    const before = titled();
    // The open message is read; marking it unread counts it, marking it read again not.
    await win.click('[data-testid="reader-read"]');
    await win.waitFor(async () => titled() === before + 1, `the title counts ${before + 1}`, 15_000);
    await win.click('[data-testid="reader-read"]');
    await win.waitFor(async () => titled() === before, `the title counts ${before} again`, 15_000);
  });

  await test('an attachment dragged out of the window lands in another app as the file', async () => {
    // A plain GTK window as a file manager's, to the right of the app, that writes down
    // what is dropped on it.
    const dropped = join(OUT, 'dropped.json');
    const script = new URL('./drop-target.py', import.meta.url).pathname;
    const target = spawn('/usr/bin/python3', [script, dropped, '1180', '640'], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise((resolve, reject) => {
        target.stdout.on('data', (chunk) => String(chunk).includes('ready') && resolve());
        target.on('exit', (code) => reject(new Error(`the drop target exited (${code})`)));
      });
      const row = '[data-testid="message-row"]';
      await win.waitFor(
        async () => win.script(
          `return [...document.querySelectorAll(arguments[0])].some((r) => r.textContent.includes('Budget figures attached'))`,
          [row],
        ),
        'the message with the attachment in the list',
        30_000,
      );
      await win.script(
        `[...document.querySelectorAll(arguments[0])].find((r) => r.textContent.includes('Budget figures attached')).click()`,
        [row],
      );
      await win.find('[data-testid="attachment"]');
      const [x, y] = await win.script(
        `const r = document.querySelector('[data-testid="attachment"] .file-name').getBoundingClientRect();
         return [Math.round(r.left + r.width / 2), Math.round(r.top + r.height / 2)]`,
      );
      // Where the window is on the screen (no window manager: no frame around it).
      const geometry = spawnSync('xdotool', ['search', '--onlyvisible', '--name', '^Heron', 'getwindowgeometry'], {
        encoding: 'utf8',
      }).stdout;
      const position = geometry.match(/Position: (\d+),(\d+)/);
      if (!position) throw new Error(`no window geometry: ${geometry}`);
      const [sx, sy] = [Number(position[1]) + x, Number(position[2]) + y];
      const drag = spawnSync('xdotool', [
        'mousemove', `${sx}`, `${sy}`, 'mousedown', '1', 'sleep', '0.3',
        'mousemove', `${sx + 6}`, `${sy + 3}`, 'sleep', '0.2',
        'mousemove', `${sx + 20}`, `${sy + 10}`, 'sleep', '0.5',
        'mousemove', '1330', '760', 'sleep', '0.5',
        'mousemove', '1340', '770', 'sleep', '0.5',
        'mouseup', '1',
      ]);
      if (drag.status !== 0) throw new Error(`xdotool failed: ${drag.stderr}`);
      await win.waitFor(async () => {
        try {
          await readFile(dropped);
          return true;
        } catch {
          return false;
        }
      }, 'the drop target received a file', 15_000);
      const [file] = JSON.parse(await readFile(dropped, 'utf8'));
      if (file.name !== '季度报告 Q3.csv') throw new Error(`dropped ${JSON.stringify(file)}`);
      // "Quarter,Revenue\r\nQ3,1200\r\n", as sent.
      if (file.sha256 !== '66be59432d406fb294f1377902525b752a3d2abee8eaa6b1c9ba4d82e4491995') {
        throw new Error(`the dropped file's content differs: ${JSON.stringify(file)}`);
      }
    } finally {
      target.kill();
    }
  });

  await test('conversations: a thread is one row, and the reader shows it with the newest open', async () => {
    await win.click('[data-testid="rail-mail"]');
    await win.click('[data-testid="conversations-toggle"]');
    const row = '[data-testid="message-row"]';
    await win.waitFor(
      async () => win.script(
        `const r = [...document.querySelectorAll(arguments[0])].find((r) => r.textContent.includes('Release freeze'));
         return !!r && r.querySelector('[data-testid="conversation-count"]')?.textContent.trim() === '3'`,
        [row],
      ),
      'the release thread as one row of three',
      30_000,
    );
    await win.script(
      `[...document.querySelectorAll(arguments[0])].find((r) => r.textContent.includes('Release freeze')).click()`,
      [row],
    );
    await win.find('[data-testid="conversation"]', { timeout: 15_000 });
    const expanded = await win.script(
      `return [...document.querySelectorAll('[data-testid="conversation-toggle"]')].map((b) => b.getAttribute('aria-expanded'))`,
    );
    if (JSON.stringify(expanded) !== '["false","false","true"]') {
      throw new Error(`the conversation's messages are expanded as ${JSON.stringify(expanded)}`);
    }
    await win.find('[data-testid="reader-body"], [data-testid="conversation-message"]');
    for (const look of LOOKS) {
      await setPreferences(win, look);
      await win.click('[data-testid="rail-mail"]');
      await win.find('[data-testid="conversation"]');
      await win.screenshot(`heron-${look.language}-${look.theme}-mail-conversation`);
    }
    await setPreferences(win, { language: 'en', theme: 'light' });
    await win.click('[data-testid="rail-mail"]');
    await win.click('[data-testid="conversations-toggle"]');
    await win.waitFor(
      async () => (await win.script(`return document.querySelectorAll('[data-testid="conversation-count"]').length`)) === 0,
      'the plain list again',
      15_000,
    );
  });

  await test('printing shows the whole message in a print window and opens the print dialog', async () => {
    await win.click('[data-testid="rail-mail"]');
    const row = '[data-testid="message-row"]';
    await win.waitFor(
      async () => win.script(
        `return [...document.querySelectorAll(arguments[0])].some((r) => r.textContent.includes('Quarterly planning'))`,
        [row],
      ),
      'a message to print',
      30_000,
    );
    await win.script(
      `[...document.querySelectorAll(arguments[0])].find((r) => r.textContent.includes('Quarterly planning')).click()`,
      [row],
    );
    await win.find('[data-testid="reader-body"]');
    await win.click('[data-testid="reader-print"]');
    const windows = () => spawnSync('xwininfo', ['-root', '-tree'], { encoding: 'utf8' }).stdout ?? '';
    await win.waitFor(async () => windows().includes('"Print — Heron"'), 'the print window', 15_000);
    await win.waitFor(async () => /"Print": \(/.test(windows()), 'the print dialog', 15_000);
    // What the screen shows: the print window behind its dialog.
    spawnSync('import', ['-window', 'root', join(OUT, 'heron-en-light-print-dialog.png')]);
    spawnSync('xdotool', ['search', '--name', '^Print$', 'windowfocus', '--sync', 'key', 'Escape']);
    await win.waitFor(async () => !/"Print": \(/.test(windows()), 'the print dialog closed', 15_000);
    // Cancelling the dialog ends the printing: its window goes too.
    await win.waitFor(async () => !windows().includes('"Print — Heron"'), 'the print window closed', 15_000);
  });

  await test('searching a Chinese word finds the message and opens it', async () => {
    await win.click('[data-testid="search-box"]');
    await win.type('[data-testid="search-box"]', '预算');
    const row = '[data-testid="message-row"]';
    await win.waitFor(
      async () => (await win.script(
        `return [...document.querySelectorAll(arguments[0])].some((r) => r.textContent.includes('季度预算审批'))`,
        [row],
      )),
      'the Chinese message among the results',
      15_000,
    );
    await win.script(
      `[...document.querySelectorAll(arguments[0])].find((r) => r.textContent.includes('季度预算审批')).click()`,
      [row],
    );
    await win.waitFor(
      async () => (await win.text('[data-testid="reader"]')).includes('li.na@example.test'),
      'the Chinese message in the reader',
      15_000,
    );
    await win.screenshot('heron-en-light-mail-search');
    await win.clear('[data-testid="search-box"]');
    await win.pressEscape();
  });

  await test('hostile mail runs no script, loads nothing and calls no command', async () => {
    await win.click('[data-testid="search-box"]');
    await win.type('[data-testid="search-box"]', 'Hostile');
    const row = '[data-testid="message-row"]';
    await win.waitFor(
      async () => (await win.script(
        `const first = document.querySelector(arguments[0]);
         return first !== null && first.textContent.includes('Hostile')`,
        [row],
      )),
      'the hostile messages as results',
      15_000,
    );
    // Walk the results from the keyboard: each j opens the next one in the reader.
    await win.click(row); // a real click: the list takes the keyboard focus
    const seen = new Set();
    const shown = () => win.script(
      `const r = document.querySelector('[data-testid="reader"]');
       return r && r.dataset.messageId && r.textContent.includes('Hostile') ? r.dataset.messageId : null`,
    );
    let current = null;
    await win.waitFor(async () => (current = await shown()) !== null, 'the first hostile message', 10_000);
    for (;;) {
      seen.add(current);
      const framed = await win.script(`return document.querySelector('[data-testid="reader-body"]')?.tagName ?? null`);
      if (framed === 'IFRAME') {
        const sandbox = await win.attribute('[data-testid="reader-body"]', 'sandbox');
        if (sandbox !== '') throw new Error(`message ${current}: sandbox is ${JSON.stringify(sandbox)}`);
        await win.inFrame('[data-testid="reader-body"]', () => win.find('body'));
      }
      if (seen.size === 1) await win.screenshot('heron-en-light-mail-hostile');
      const before = current;
      await win.pressKey('j');
      const moved = await win
        .waitFor(async () => { current = await shown(); return current !== null && current !== before; }, 'the next result', 3_000)
        .then(() => true, () => false);
      if (!moved) break; // the end of the results
    }
    if (seen.size < HOSTILE) throw new Error(`opened ${seen.size} of ${HOSTILE} hostile messages`);
    await sleep(2_000); // anything a message set off has time to arrive
    const pwned = await win.script('return window.__heronPwned ?? null');
    if (pwned !== null) throw new Error('a script in a message set the canary in the window');
    if (sinkHits.length > 0) throw new Error(`the sink was contacted: ${sinkHits.join(', ')}`);
    // The payloads would have deleted these messages through the app's commands.
    const survivors = await win.asyncScript(
      `const done = arguments[arguments.length - 1];
       Promise.all([1, 2, 3].map((id) => window.__TAURI_INTERNALS__.invoke('read_message', { id })))
         .then(() => done(true), (e) => done(String(e?.message ?? e)));`,
    );
    if (survivors !== true) throw new Error(`the messages the payloads target are gone: ${survivors}`);
    await win.click('[data-testid="search-box"]');
    await win.pressEscape();
  });

  await test('remote images load only when allowed for the message, fetched by Heron', async () => {
    if (sinkHits.length > 0) throw new Error(`the sink was contacted before: ${sinkHits.join(', ')}`);
    await win.click('[data-testid="search-box"]');
    await win.type('[data-testid="search-box"]', 'tracking pixel');
    const row = '[data-testid="message-row"]';
    await win.waitFor(
      async () => (await win.script(
        `const first = document.querySelector(arguments[0]);
         return first !== null && first.textContent.includes('tracking pixel')`,
        [row],
      )),
      'the tracking-pixel message',
      15_000,
    );
    await win.click(row);
    await win.find('[data-testid="remote-bar"]');
    await win.screenshot('heron-en-light-mail-remote-blocked');
    await sleep(1_000);
    if (sinkHits.length > 0) throw new Error(`loaded before it was allowed: ${sinkHits.join(', ')}`);
    await win.click('[data-testid="remote-allow-message"]');
    await win.waitFor(async () => sinkHits.some((h) => h.includes('/pixel.gif')), 'the pixel fetched', 15_000);
    await win.absent('[data-testid="remote-bar"]');
    sinkHits.length = 0;
    await win.click('[data-testid="search-box"]');
    await win.pressEscape();
  });

  await test('a reply written in the composer arrives in the other account', async () => {
    await win.click('[data-testid="search-box"]');
    await win.type('[data-testid="search-box"]', 'Design review');
    const row = '[data-testid="message-row"]';
    await win.waitFor(
      async () => (await win.script(
        `const first = document.querySelector(arguments[0]);
         return first !== null && first.textContent.includes('Design review notes')`,
        [row],
      )),
      'the message from the peer',
      15_000,
    );
    await win.click(row);
    await win.click('[data-testid="reader-reply"]');
    await win.find('[data-testid="composer"]');
    const to = await win.script(`return document.querySelector('[data-testid="compose-to"]').value`);
    if (!to.includes(PEER)) throw new Error(`the reply goes to ${to}, not ${PEER}`);
    await win.click('[data-testid="compose-body"]');
    await win.type('[data-testid="compose-body"]', 'Thanks Priya, the notes look right.');
    await win.screenshot('heron-en-light-mail-composer');
    await win.click('[data-testid="compose-send"]');
    await win.find('[data-testid="send-undo"]');
    await win.absent('[data-testid="composer"]');
    // After the undo delay the worker sends it through Postfix to Dovecot.
    await win.waitFor(
      async () => {
        const found = spawnSync(
          DOVEADM[0],
          [...DOVEADM.slice(1), 'search', '-u', PEER, 'mailbox', 'INBOX', 'subject', 'Re: Design review notes'],
          { encoding: 'utf8' },
        );
        return found.status === 0 && found.stdout.trim().length > 0;
      },
      'the reply in the peer\'s Inbox',
      60_000,
    );
    await win.click('[data-testid="search-box"]');
    await win.pressEscape();
  });

  await test('dragging a message onto a folder moves it on the server', async () => {
    await win.click('[data-testid="search-box"]');
    await win.type('[data-testid="search-box"]', 'Quarterly planning');
    const row = '[data-testid="message-row"]';
    await win.waitFor(
      async () => (await win.script(
        `const first = document.querySelector(arguments[0]);
         return first !== null && first.textContent.includes('Quarterly planning')`,
        [row],
      )),
      'the message to move',
      15_000,
    );
    // WebDriver cannot drive HTML5 drag and drop in WebKit; the drag is dispatched as
    // the browser would: dragstart on the row, dragover and drop on the folder, one
    // DataTransfer throughout.
    const dropped = await win.script(
      `const row = document.querySelector(arguments[0]);
       const folder = [...document.querySelectorAll('[data-testid="folder"]')]
         .find((f) => f.dataset.specialUse.endsWith('Archive'));
       if (!folder) return 'no Archive folder';
       const data = new DataTransfer();
       const fire = (target, type) =>
         target.dispatchEvent(new DragEvent(type, { dataTransfer: data, bubbles: true, cancelable: true }));
       fire(row, 'dragstart');
       fire(folder, 'dragenter');
       const accepted = !fire(folder, 'dragover');
       fire(folder, 'drop');
       fire(row, 'dragend');
       return accepted ? 'ok' : 'the folder refused the drag';`,
      [row],
    );
    if (dropped !== 'ok') throw new Error(dropped);
    await win.waitFor(
      async () => {
        const found = spawnSync(
          DOVEADM[0],
          [...DOVEADM.slice(1), 'search', '-u', EMAIL, 'mailbox', 'Archive', 'header', 'Message-ID', 'e2e-welcome@heron.test'],
          { encoding: 'utf8' },
        );
        return found.status === 0 && found.stdout.trim().length > 0;
      },
      'the message in the server\'s Archive',
      30_000,
    );
    await win.click('[data-testid="search-box"]');
    await win.pressEscape();
  });

  await test('offline, a flag and a move are kept and reach the server when it is back', async () => {
    const harness = (action) => {
      const r = spawnSync(HARNESS, ['dovecot', action], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`heron-harness dovecot ${action}: ${r.stderr}`);
    };
    const onServer = (mailbox, ...query) => {
      const r = spawnSync(DOVEADM[0], [...DOVEADM.slice(1), 'search', '-u', EMAIL, 'mailbox', mailbox, ...query], {
        encoding: 'utf8',
      });
      return r.status === 0 && r.stdout.trim().length > 0;
    };
    const open = async (words, subject) => {
      await win.click('[data-testid="search-box"]');
      await win.clear('[data-testid="search-box"]');
      await win.type('[data-testid="search-box"]', words);
      await win.waitFor(
        async () => (await win.script(
          `const first = document.querySelector('[data-testid="message-row"]');
           return first !== null && first.textContent.includes(arguments[0])`,
          [subject],
        )),
        subject,
        15_000,
      );
      await win.click('[data-testid="message-row"]');
      await win.waitFor(async () => (await win.text('[data-testid="reader"]')).includes(subject), subject, 10_000);
    };
    harness('stop');
    try {
      // Flag one message from the reader.
      await open('预算', '季度预算审批');
      await win.click('[data-testid="reader-flag"]');
      // The worker tries the server, fails, and the window says it is offline.
      await win.find('[data-testid="sync-banner"]', { timeout: 30_000 });
      await win.screenshot('heron-en-light-mail-offline');
      // Move another to Junk by dragging it there.
      await open('Design review', 'Design review notes');
      const dropped = await win.script(
        `const row = document.querySelector('[data-testid="message-row"]');
         const folder = [...document.querySelectorAll('[data-testid="folder"]')]
           .find((f) => f.dataset.specialUse.endsWith('Junk'));
         if (!folder) return 'no Junk folder';
         const data = new DataTransfer();
         const fire = (target, type) =>
           target.dispatchEvent(new DragEvent(type, { dataTransfer: data, bubbles: true, cancelable: true }));
         fire(row, 'dragstart');
         fire(folder, 'dragenter');
         fire(folder, 'dragover');
         fire(folder, 'drop');
         fire(row, 'dragend');
         return 'ok';`,
      );
      if (dropped !== 'ok') throw new Error(dropped);
      await sleep(1_000);
      if (onServer('Junk', 'subject', 'Design review notes')) throw new Error('the server changed while down?');
    } finally {
      harness('start');
    }
    // Back online: Retry (or the worker's own retry) replays both actions.
    await win.click('[data-testid="sync-banner"] button').catch(() => {});
    await win.waitFor(
      async () => onServer('INBOX', 'flagged', 'header', 'Message-ID', 'e2e-chinese@heron.test'),
      'the flag on the server',
      60_000,
    );
    await win.waitFor(
      async () => onServer('Junk', 'header', 'Message-ID', 'e2e-from-peer@heron.test'),
      'the move on the server',
      60_000,
    );
    await win.absent('[data-testid="sync-banner"]', { timeout: 30_000 });
    await win.click('[data-testid="search-box"]');
    await win.pressEscape();
  });

  await test('new mail raises a desktop notification, and clicking it opens the message', async () => {
    const bus = (await readFile(BUS_FILE, 'utf8')).trim();
    const dunstctl = (...args) => {
      const r = spawnSync('dunstctl', args, {
        env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: bus },
        encoding: 'utf8',
      });
      if (r.status !== 0) throw new Error(`dunstctl ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    // Notifications are for mail that arrives while the user looks elsewhere.
    await win.click('[data-testid="rail-calendar"]');
    await win.find('[data-testid="section-calendar"]');
    const subject = `Build is green again ${Date.now()}`;
    const raw =
      `Message-ID: <e2e-new-${Date.now()}@heron.test>\r\nFrom: Priya Patel <priya.patel@example.test>\r\n` +
      `To: Alice Martin <${EMAIL}>\r\nSubject: ${subject}\r\nDate: ${new Date().toUTCString()}\r\n` +
      `\r\nAll checks passed on main.\r\n`;
    const saved = spawnSync(DOVEADM[0], [...DOVEADM.slice(1), 'save', '-u', EMAIL, '-m', 'INBOX'], {
      input: raw,
      encoding: 'utf8',
    });
    if (saved.status !== 0) throw new Error(`doveadm save failed: ${saved.stderr}`);
    // The window learns of it through IMAP IDLE and the notification service shows it.
    await win.waitFor(
      async () => Number(dunstctl('count', 'displayed').trim()) > 0,
      'a notification on the desktop',
      60_000,
    );
    await win.screenshot('heron-en-light-mail-notification');
    // The default action is a click on the notification: Heron opens the message.
    dunstctl('action', '0');
    await win.waitFor(
      async () => (await win.text('[data-testid="reader"]')).includes(subject),
      'the notified message in the reader',
      15_000,
    );
    dunstctl('close-all');
    const shown = dunstctl('history');
    if (!shown.includes('Priya Patel') || !shown.includes(subject)) {
      throw new Error(`the notification did not show sender and subject: ${shown}`);
    }
  });

  await test('a store whose key is gone blocks the window and is rebuilt from the server', async () => {
    // The key file goes while Heron is closed; the keyring never had the key. Heron must
    // not make a new key over the existing database.
    await win.close();
    for (const name of await readdir(KEY_DIR)) await rm(join(KEY_DIR, name));
    win = await Window.open();

    await win.find('[data-testid="store-dialog"]', { timeout: 30_000 });
    // The window starts in the language and theme the last test left; back to English.
    await reloadWith(win, { language: 'en', theme: 'light' });
    await win.find('[data-testid="store-dialog"]');
    const role = await win.attribute('[data-testid="store-dialog"]', 'role');
    const modal = await win.attribute('[data-testid="store-dialog"]', 'aria-modal');
    if (role !== 'alertdialog' || modal !== 'true') throw new Error(`the dialog is ${role}, aria-modal=${modal}`);
    const text = await win.text('[data-testid="store-dialog"]');
    for (const want of [
      "Heron can't open its local copy of your mail",
      'Its key is missing from the system keyring',
      'Unsent messages and drafts that were not saved to the server may be lost.',
      'Rebuild from the server',
    ]) {
      if (!text.includes(want)) throw new Error(`the dialog lacks ${JSON.stringify(want)}: ${text}`);
    }
    if (!(await isInert(win))) throw new Error('the window behind the dialog can still be reached');
    await win.pressEscape();
    await win.find('[data-testid="store-dialog"]');

    for (const look of LOOKS) {
      await reloadWith(win, look);
      await win.find('[data-testid="store-dialog"]');
      await win.screenshot(`heron-${look.language}-${look.theme}-store-unreadable`);
    }
    await reloadWith(win, { language: 'en', theme: 'light' });
    await win.find('[data-testid="store-dialog"]');

    // Keyboard only: the dialog has focus; Tab reaches the details, Quit, then Rebuild.
    for (let i = 0; i < 3; i++) await win.pressKey(KEY.tab);
    const focused = await win.focused();
    if (focused !== 'store-rebuild') throw new Error(`three Tabs reached ${focused}, not the rebuild button`);
    await win.pressKey(KEY.enter);
    await win.absent('[data-testid="store-dialog"]', { timeout: 30_000 });
    await win.find('[data-testid="store-rebuilt"]');
    if (await isInert(win)) throw new Error('the window is still blocked after the rebuild');
    // The new store's key went into the keyring: no key-file warning any more.
    await win.absent('[data-testid="store-warning"]');
    await win.screenshot('heron-en-light-store-rebuilt');
  });

  await test('the user adds an account in the window, the servers check it, and removes it again', async () => {
    // The policy lets users add and remove accounts of their own beside the managed one.
    await win.click('[data-testid="rail-settings"]');
    await win.click('[data-testid="add-account"]');
    await win.find('[data-testid="add-account-dialog"]');
    await win.type('[data-testid="account-name"]', 'Peer Person');
    await win.type('[data-testid="account-email"]', PEER);
    // No autoconfig or SRV record exists for the test domain: the servers are typed in.
    await win.click('[data-testid="enter-manually"]');
    await win.find('[data-testid="add-account-settings"]');
    // The security first: choosing it proposes that protocol's usual port.
    await win.select('[data-testid="imap-security"]', 'tls');
    await win.select('[data-testid="smtp-security"]', 'tls');
    for (const [field, value] of [
      ['imap-host', '127.0.0.1'],
      ['imap-port', PEER_SERVERS.imaps],
      ['smtp-host', '127.0.0.1'],
      ['smtp-port', PEER_SERVERS.submissions],
    ]) {
      await win.clear(`[data-testid="${field}"]`);
      await win.type(`[data-testid="${field}"]`, String(value));
    }
    await win.clear('[data-testid="account-login"]');
    await win.type('[data-testid="account-login"]', PEER);

    // A wrong password is refused by the real Dovecot, and nothing is added.
    await win.type('[data-testid="account-password"]', 'not the password');
    await win.click('[data-testid="add-account-submit"]');
    await win.find('[data-testid="add-account-error"]', { timeout: 30_000 });
    await win.screenshot('heron-en-light-add-account-refused');
    const refused = await win.text('[data-testid="add-account-error"]');
    if (!/refused|password/i.test(refused)) throw new Error(`the refusal reads: ${refused}`);

    await win.clear('[data-testid="account-password"]');
    await win.type('[data-testid="account-password"]', PEER_PASSWORD);
    await win.click('[data-testid="add-account-submit"]');
    await win.absent('[data-testid="add-account-dialog"]', { timeout: 30_000 });
    const added = `[data-testid="account"][data-account]:not([data-account="demo"])`;
    await win.find(added, { timeout: 15_000 });
    const origin = await win.attribute(`${added} [data-testid="account-origin"]`, 'data-origin');
    if (origin !== 'user') throw new Error(`the added account's origin is ${origin}`);
    await win.screenshot('heron-en-light-settings-two-accounts');

    // It syncs: its folders appear under its address (the managed account's local copy
    // went with the rebuilt store, and it waits for a sign-in), and its Inbox holds the
    // reply the composer test sent it.
    await win.click('[data-testid="rail-mail"]');
    const tree = () => win.script(`return document.querySelector('[data-testid="section-mail"]')?.innerText ?? ''`);
    await win.waitFor(async () => (await tree()).includes(PEER), "the added account's folders", 60_000);
    await win.click('[data-testid="folder"][data-special-use="INBOX"]');
    await win.waitFor(
      async () => win.script(
        `return [...document.querySelectorAll('[data-testid="message-row"]')].some((r) => r.textContent.includes('Re: Design review notes'))`,
      ),
      "the reply in the added account's Inbox",
      60_000,
    ).catch(async (e) => {
      throw new Error(`${e.message}; the window shows: ${(await tree()).slice(0, 600)}`);
    });

    // Removing it deletes this computer's copy; the managed account stays.
    await win.click('[data-testid="rail-settings"]');
    await win.click(`${added} [data-testid="account-remove"]`);
    await win.click('[data-testid="remove-account-confirm"]');
    await win.absent(added, { timeout: 30_000 });
    await win.find('[data-testid="account"][data-account="demo"]');
    await win.click('[data-testid="rail-mail"]');
  });

  await test('preferences return to the system defaults', async () => {
    await win.click('[data-testid="rail-settings"]');
    await win.select('[data-testid="setting-language"]', 'system');
    await win.select('[data-testid="setting-theme"]', 'system');
  });
} finally {
  await win.close().catch(() => {});
  sink.close();
}

const passed = results.filter((r) => r.ok).length;
const failed = results.length - passed;
console.log(`e2e: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
