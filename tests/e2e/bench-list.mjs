// The message-list benchmark in the real window (run by `cargo xtask bench-ui`): how
// long a folder of HERON_BENCH_MESSAGES messages takes to show its first screen, how
// smoothly it scrolls, and the resident memory of the app and its web processes with it
// open. Timings are taken in the page with performance.now() and requestAnimationFrame,
// so WebDriver's own round trips are not counted. Writes JSON to HERON_BENCH_OUT.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Window, sleep } from './webdriver.mjs';

const MESSAGES = Number(process.env.HERON_BENCH_MESSAGES);
const OUT = process.env.HERON_BENCH_OUT;
const APP = process.env.HERON_APP;
if (!MESSAGES || !OUT || !APP) {
  console.error('HERON_BENCH_MESSAGES, HERON_BENCH_OUT and HERON_APP must be set (use `cargo xtask bench-ui`)');
  process.exit(2);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const percentile = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];

/** Resident memory (KiB) of the app and every process below it (WebKit's web and network processes). */
function treeRssKiB(root) {
  const procs = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const name = stat.slice(stat.indexOf('(') + 1, close);
      const ppid = Number(stat.slice(close + 2).split(' ')[1]);
      const status = readFileSync(`/proc/${entry}/status`, 'utf8');
      const field = (n) => Number(new RegExp(`${n}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
      let pss = 0;
      try {
        pss = Number(/^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${entry}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
      } catch {
        // smaps_rollup needs Linux 4.14
      }
      procs.set(Number(entry), {
        name,
        ppid,
        rss: field('VmRSS'),
        pss,
        anon: field('RssAnon'),
        file: field('RssFile'),
      });
    } catch {
      // gone meanwhile
    }
  }
  const roots = [...procs.entries()]
    .filter(([pid, p]) => (typeof root === 'number' ? pid === root : p.name === root))
    .map(([pid]) => pid);
  const seen = new Set(roots);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, p] of procs) {
      if (!seen.has(pid) && seen.has(p.ppid)) {
        seen.add(pid);
        grew = true;
      }
    }
  }
  const parts = [...seen].map((pid) => ({ pid, ...procs.get(pid) }));
  const sum = (key) => parts.reduce((total, p) => total + p[key], 0);
  return { kib: sum('rss'), pssKib: sum('pss'), anonKib: sum('anon'), parts };
}

/**
 * The floor: a bare WebKitGTK window of the same size and painting mode showing a
 * screenful of mail-like text (bare-webview.py), measured like the app.
 */
async function bareWebViewMemory() {
  const setting = process.env.HERON_RENDERING;
  const gpu =
    setting === 'gpu' ||
    (setting !== 'software' && existsSync('/dev/dri') && readdirSync('/dev/dri').some((n) => n.startsWith('renderD')));
  const script = new URL('./bare-webview.py', import.meta.url).pathname;
  const child = spawn('/usr/bin/python3', [script, gpu ? 'gpu' : 'software'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the bare web view did not load within 30 s')), 30_000);
      child.stdout.on('data', (chunk) => {
        if (String(chunk).includes('ready')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.on('exit', (code) => reject(new Error(`the bare web view ended (${code})`)));
    });
    await sleep(3000);
    return treeRssKiB(child.pid);
  } finally {
    child.kill('SIGTERM');
  }
}

Window.screenshotDir = dirname(OUT);
const win = await Window.open();
const result = { messages: MESSAGES, ok: false };
try {
  // First start: accept the privacy notice if it is shown.
  const notice = await win.find('[data-testid="privacy-notice"]', { timeout: 20_000 }).catch(() => null);
  if (notice) {
    await win.click('[data-testid="privacy-accept"]');
    await win.absent('[data-testid="privacy-notice"]');
  }
  const inbox = '[data-testid="folder"][data-special-use="INBOX"]';
  await win.find(inbox, { timeout: 60_000 });
  await win.find('[data-testid="message-row"][data-id]', { timeout: 60_000 });
  const other = await win.script(
    `return [...document.querySelectorAll('[data-testid="folder"]')].find((f) => f.dataset.specialUse !== 'INBOX')?.dataset.folderId ?? null`,
  );
  if (other === null) throw new Error('the account has no second folder to switch from');

  // Opening the folder: from a click to the frame that shows its first screen of rows.
  const openRuns = [];
  for (let run = 0; run < 7; run += 1) {
    await win.click(`[data-testid="folder"][data-folder-id="${other}"]`);
    await sleep(500);
    const ms = await win.asyncScript(
      `const done = arguments[arguments.length - 1];
       const list = () => document.querySelector('[data-testid="message-list"]');
       const t0 = performance.now();
       document.querySelector(arguments[0]).click();
       const check = () => {
         const l = list();
         const rows = l ? l.querySelectorAll('[data-testid="message-row"][data-id]').length : 0;
         const want = l ? Math.min(Math.floor(l.clientHeight / 72), 8) : 8;
         if (rows >= want) {
           // Two frames: the one that lays the rows out and the one that paints them.
           requestAnimationFrame(() => requestAnimationFrame(() => done(performance.now() - t0)));
         } else if (performance.now() - t0 > 10000) {
           done(-1);
         } else {
           requestAnimationFrame(check);
         }
       };
       check();`,
      [inbox],
    );
    if (ms < 0) throw new Error('the folder did not show its rows within 10 s');
    openRuns.push(ms);
  }
  result.open_runs = openRuns.length;
  result.open_all_ms = openRuns;
  result.open_median_ms = median(openRuns);
  result.open_max_ms = Math.max(...openRuns);

  // Scrolling: a 3 s fling at 3,000 px/s, one scroll step per frame; every frame's
  // duration, and how many frames showed rows still waiting for their data.
  const scroll = await win.asyncScript(
    `const done = arguments[arguments.length - 1];
     const list = document.querySelector('[data-testid="message-list"]');
     list.scrollTop = 0;
     const frames = [];
     let waiting = 0;
     const start = performance.now();
     let last = start;
     const step = (now) => {
       frames.push(now - last);
       last = now;
       if (list.querySelector('.skeleton')) waiting += 1;
       list.scrollTop = ((now - start) * 3000) / 1000;
       if (now - start < 3000) requestAnimationFrame(step);
       else done({ frames: frames.slice(1), waiting, top: list.scrollTop });
     };
     requestAnimationFrame(step);`,
  );
  const frames = scroll.frames;
  result.scroll_frames = frames.length;
  result.scroll_fps = (frames.length / frames.reduce((a, b) => a + b, 0)) * 1000;
  result.scroll_p95_ms = percentile(frames, 0.95);
  result.scroll_long_frames = frames.filter((f) => f > 33.4).length;
  result.scroll_waiting_frames = scroll.waiting;
  result.scroll_distance_px = scroll.top;

  // A jump to the middle (dragging the scrollbar): until the rows there are shown.
  result.jump_ms = await win.asyncScript(
    `const done = arguments[arguments.length - 1];
     const list = document.querySelector('[data-testid="message-list"]');
     const t0 = performance.now();
     list.scrollTop = list.scrollHeight / 2;
     const check = () => {
       const ids = [...list.querySelectorAll('[data-testid="message-row"][data-id]')];
       const visible = ids.filter((r) => {
         const b = r.getBoundingClientRect();
         const v = list.getBoundingClientRect();
         return b.bottom > v.top && b.top < v.bottom;
       });
       if (visible.length >= 6 && !list.querySelector('.skeleton')) {
         requestAnimationFrame(() => requestAnimationFrame(() => done(performance.now() - t0)));
       } else if (performance.now() - t0 > 10000) done(-1);
       else requestAnimationFrame(check);
     };
     requestAnimationFrame(check);`,
  );

  await sleep(1000);
  const memory = treeRssKiB('heron');
  result.rss_mib = memory.kib / 1024;
  // Shared libraries (WebKit is mapped in every process) count once in PSS.
  result.pss_mib = memory.pssKib / 1024;
  result.anon_mib = memory.anonKib / 1024;
  result.rss_parts = memory.parts.map((p) => ({
    name: p.name,
    mib: p.rss / 1024,
    pss_mib: p.pss / 1024,
    anon_mib: p.anon / 1024,
    file_mib: p.file / 1024,
  }));
  await win.screenshot('bench-list');

  // The floor is measured alone: with the app still running, the shared libraries'
  // pages would be split between the two and the floor would look smaller.
  await win.close();
  await sleep(1500);
  const bare = await bareWebViewMemory();
  result.bare_pss_mib = bare.pssKib / 1024;
  result.bare_rss_mib = bare.kib / 1024;
  result.bare_anon_mib = bare.anonKib / 1024;
  result.bare_parts = bare.parts.map((p) => ({ name: p.name, pss_mib: p.pss / 1024, anon_mib: p.anon / 1024 }));

  result.ok =
    result.open_median_ms < 100 && result.scroll_fps >= 55 && result.pss_mib < 200 && result.jump_ms >= 0;
} finally {
  await writeFile(OUT, JSON.stringify(result, null, 2));
  console.log(JSON.stringify(result, null, 2));
  await win.close().catch(() => {});
}
