// The composer's formatting, over `document.execCommand`: deprecated, but the only
// editing API of contenteditable that WebKitGTK (and every other engine) implements with
// undo. Everything that touches it is in this module, so it can be replaced in one place.

/** The formatting buttons of the composer. */
export type FormatCommand = 'bold' | 'italic' | 'bullets' | 'numbers' | 'quote' | 'clear';

const COMMANDS: Record<Exclude<FormatCommand, 'quote' | 'clear'>, string> = {
  bold: 'bold',
  italic: 'italic',
  bullets: 'insertUnorderedList',
  numbers: 'insertOrderedList',
};

/** Runs `name` on the selection; `false` when the engine has no such command (jsdom). */
function exec(name: string, value?: string): boolean {
  if (typeof document.execCommand !== 'function') return false;
  try {
    return document.execCommand(name, false, value);
  } catch {
    return false;
  }
}

/** Formats the selection of the focused editor. */
export function applyFormat(command: FormatCommand): boolean {
  switch (command) {
    case 'quote':
      // A second press takes the quote off again.
      return selectionInside('blockquote') ? exec('outdent') : exec('formatBlock', 'blockquote');
    case 'clear': {
      const cleared = exec('removeFormat');
      return exec('unlink') || cleared;
    }
    default:
      return exec(COMMANDS[command]);
  }
}

/** Whether `command` is on at the caret (for the buttons' pressed state). */
export function isFormatActive(command: FormatCommand): boolean {
  if (command === 'quote') return selectionInside('blockquote');
  if (command === 'clear' || typeof document.queryCommandState !== 'function') return false;
  try {
    return document.queryCommandState(COMMANDS[command]);
  } catch {
    return false;
  }
}

/**
 * Makes the selection a link to `url` (already checked with `linkTarget`); with nothing
 * selected, inserts the address itself as the link's text.
 */
export function insertLink(url: string): boolean {
  const selection = document.getSelection();
  if (selection && selection.rangeCount > 0 && !selection.isCollapsed) return exec('createLink', url);
  const anchor = document.createElement('a');
  anchor.href = url;
  anchor.textContent = url.replace(/^mailto:/i, '');
  return insertNode(anchor);
}

/** Inserts a pasted image (a `data:` URL read from the clipboard) at the caret. */
export function insertImage(dataUrl: string): boolean {
  if (exec('insertImage', dataUrl)) return true;
  const image = document.createElement('img');
  image.src = dataUrl;
  return insertNode(image);
}

/** The selection as it is, to put back after a dialog took the focus. */
export function saveSelection(root: HTMLElement): Range | null {
  const selection = document.getSelection();
  if (!selection || selection.rangeCount === 0) return null;
  const range = selection.getRangeAt(0);
  return root.contains(range.commonAncestorContainer) ? range.cloneRange() : null;
}

export function restoreSelection(root: HTMLElement, range: Range | null): void {
  root.focus();
  const selection = document.getSelection();
  if (!selection) return;
  selection.removeAllRanges();
  if (range) {
    selection.addRange(range);
  } else {
    const end = document.createRange();
    end.selectNodeContents(root);
    end.collapse(false);
    selection.addRange(end);
  }
}

/**
 * The address a link may go to, or `null`: http, https and mailto only. A bare host
 * ("example.com/page") means https, a bare address means mailto.
 */
export function linkTarget(text: string): string | null {
  const value = text.trim();
  if (!value || /[\s<>"]/.test(value)) return null;
  let candidate: string;
  if (/^[a-z][a-z0-9+.-]*:/i.test(value)) candidate = value;
  else if (/^[^@/]+@[^@/]+\.[^@/]+$/.test(value)) candidate = `mailto:${value}`;
  else if (/^[\w-]+(\.[\w-]+)+(:\d+)?([/?#].*)?$/.test(value)) candidate = `https://${value}`;
  else return null;
  try {
    const url = new URL(candidate);
    if (url.protocol === 'mailto:') return url.pathname.includes('@') ? url.href : null;
    if (url.protocol === 'http:' || url.protocol === 'https:') return url.hostname ? url.href : null;
    return null;
  } catch {
    return null;
  }
}

/** `text` as editor HTML: escaped, one `<div>` a line (as the editor writes lines). */
export function textToHtml(text: string): string {
  const escape = (line: string) =>
    line.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  return text
    .split(/\r?\n/)
    .map((line) => `<div>${line ? escape(line) : '<br>'}</div>`)
    .join('');
}

/** The text of the user's own HTML (a body or signature from the core), parsed inert. */
export function textOfHtml(html: string): string {
  // A parsed document is not rendered: nothing loads and no script runs.
  const parsed = new DOMParser().parseFromString(html, 'text/html');
  return htmlToText(parsed.body);
}

const BLOCKS = new Set([
  'ADDRESS', 'ARTICLE', 'ASIDE', 'DD', 'DIV', 'DL', 'DT', 'FIGURE', 'FOOTER', 'H1', 'H2', 'H3', 'H4',
  'H5', 'H6', 'HEADER', 'HR', 'P', 'PRE', 'SECTION', 'TABLE', 'TR',
]);

/**
 * The text of an editor's content as a plain text message would have it: a line per
 * block or `<br>`, "- " and "1. " before list items, "> " before quoted lines. Written
 * out, because `innerText` depends on layout (and jsdom has none).
 */
export function htmlToText(root: Node): string {
  const lines = new TextLines();
  walk(root, lines);
  return lines.finish();
}

class TextLines {
  #done: string[] = [];
  #line = '';

  text(value: string): void {
    // Spaces collapse as the editor shows them; the editor writes the spaces that must
    // stay as no-break spaces, which become spaces at the end of the line.
    const collapsed = value.replace(/[ \t\n\r\f]+/g, ' ');
    this.#line += this.#line === '' ? collapsed.replace(/^ +/, '') : collapsed;
  }

  /** Ends the line, unless it is empty (a block after a block starts one line, not two). */
  endLine(): void {
    if (this.#line !== '') this.breakLine();
  }

  breakLine(): void {
    // "-- " keeps its space: it is the signature separator mail programs look for.
    const line = this.#line === '-- ' ? this.#line : this.#line.replace(/ +$/, '');
    this.#done.push(line.replace(/\u00a0/g, ' '));
    this.#line = '';
  }

  finish(): string {
    this.endLine();
    return this.#done.join('\n').replace(/\n+$/, '');
  }
}

function walk(node: Node, lines: TextLines): void {
  if (node.nodeType === Node.TEXT_NODE) {
    lines.text(node.nodeValue ?? '');
    return;
  }
  if (!(node instanceof Element)) return;
  const tag = node.tagName;
  if (tag === 'BR') {
    lines.breakLine();
    return;
  }
  if (tag === 'SCRIPT' || tag === 'STYLE' || tag === 'IMG' || tag === 'TEMPLATE') return;
  if (tag === 'UL' || tag === 'OL') {
    lines.endLine();
    let number = 1;
    for (const child of node.children) {
      if (child.tagName !== 'LI') continue;
      lines.text(tag === 'OL' ? `${number++}. ` : '- ');
      for (const grandchild of child.childNodes) walk(grandchild, lines);
      lines.endLine();
    }
    return;
  }
  if (tag === 'BLOCKQUOTE') {
    lines.endLine();
    const inner = new TextLines();
    for (const child of node.childNodes) walk(child, inner);
    for (const line of inner.finish().split('\n')) {
      lines.text(line ? `> ${line}` : '>');
      lines.breakLine();
    }
    return;
  }
  const block = BLOCKS.has(tag) || tag === 'LI';
  if (block) lines.endLine();
  for (const child of node.childNodes) walk(child, lines);
  if (tag === 'A') {
    const href = node.getAttribute('href') ?? '';
    const shown = node.textContent?.trim() ?? '';
    const bare = href.replace(/^mailto:/i, '');
    if (/^(https?|mailto):/i.test(href) && shown !== href && shown !== bare) lines.text(` <${bare}>`);
  }
  if (block) lines.endLine();
}

function selectionInside(tag: string): boolean {
  const node = document.getSelection()?.anchorNode ?? null;
  const element = node instanceof Element ? node : (node?.parentElement ?? null);
  const found = element?.closest(tag);
  return !!found && found.parentElement?.closest('[contenteditable="true"]') != null;
}

function insertNode(node: Node): boolean {
  const selection = document.getSelection();
  if (!selection || selection.rangeCount === 0) return false;
  const range = selection.getRangeAt(0);
  range.deleteContents();
  range.insertNode(node);
  range.setStartAfter(node);
  range.collapse(true);
  selection.removeAllRanges();
  selection.addRange(range);
  return true;
}
