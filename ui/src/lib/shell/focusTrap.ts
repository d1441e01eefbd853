/** What Tab can reach inside a dialog. */
const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), summary, [tabindex="0"]';

/**
 * Keeps Tab and Shift+Tab inside a modal `panel`: from the last control to the first and
 * back, and into the panel when focus is outside it (or on the panel itself). Call it
 * from the window's keydown handler while the dialog is open.
 */
export function keepTabInside(panel: HTMLElement, event: KeyboardEvent): void {
  if (event.key !== 'Tab') return;
  const focusable = Array.from(panel.querySelectorAll<HTMLElement>(FOCUSABLE));
  const first = focusable[0];
  const last = focusable[focusable.length - 1];
  const current = document.activeElement;
  if (!first || !last) {
    event.preventDefault();
    return;
  }
  if (!panel.contains(current) || current === panel || (event.shiftKey && current === first)) {
    event.preventDefault();
    (event.shiftKey ? last : first).focus();
  } else if (!event.shiftKey && current === last) {
    event.preventDefault();
    first.focus();
  }
}
