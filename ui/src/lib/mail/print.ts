/** Marks one element as what prints. */
export const PRINT_ROOT = 'data-print-root';
/** Marks the elements it sits in, laid out as plain blocks for paper. */
export const PRINT_PATH = 'data-print-path';
/** Marks an element inside it that is left out. */
export const PRINT_SKIP = 'data-print-skip';

/**
 * Prints `root` alone, without what is in `skip`: the print stylesheet (ReaderPane's
 * `@media print`) hides the rest of the window, and lets the elements `root` sits in
 * grow with it so it flows over as many pages as it needs.
 *
 * The marks stay until the next print: they change nothing on screen, and WebKitGTK
 * may lay the pages out after `print()` has returned.
 */
export function printOnly(root: HTMLElement, skip: readonly Element[] = [], win: Window = window): void {
  const document = root.ownerDocument;
  for (const mark of [PRINT_ROOT, PRINT_PATH, PRINT_SKIP]) {
    document.querySelectorAll(`[${mark}]`).forEach((element) => element.removeAttribute(mark));
  }
  root.setAttribute(PRINT_ROOT, '');
  for (let element = root.parentElement; element; element = element.parentElement) element.setAttribute(PRINT_PATH, '');
  skip.forEach((element) => element.setAttribute(PRINT_SKIP, ''));
  win.print();
}
