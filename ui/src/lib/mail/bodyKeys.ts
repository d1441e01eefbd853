/**
 * Shortcuts while a message body has the focus.
 *
 * A body is shown in a frame without scripts and of another origin, so keys typed
 * after clicking into it never reach this page. The shell catches the shortcut keys
 * there instead (src-tauri/body_keys.rs) while the page says a body has the focus, and
 * sends each as a `body-key` event. Scrolling, selecting, copying and following links
 * in the body keep working: the shell passes those keys on to the frame.
 */

/** A shortcut key the shell caught in a message body. */
export interface BodyKey {
  /** As `KeyboardEvent.key` would name it: `j`, `#`, `Escape`, `Backspace`. */
  key: string;
  /** Whether Ctrl was held (Ctrl+N, Ctrl+P). */
  ctrl: boolean;
}

const BODY_FRAME = 'iframe[data-testid="reader-body"]';

/**
 * Calls `report(true)` when the focus goes into a message body and `report(false)`
 * when it comes back to the page; returns the function that stops watching.
 */
export function watchBodyFocus(report: (inside: boolean) => void, doc: Document = document): () => void {
  let inside = false;
  const update = () => {
    const now = doc.activeElement instanceof HTMLIFrameElement && doc.activeElement.matches(BODY_FRAME);
    if (now !== inside) {
      inside = now;
      report(now);
    }
  };
  // The page's window loses the focus to the frame; the frame is the active element
  // only once the blur has run.
  const onBlur = () => setTimeout(update, 0);
  const view = doc.defaultView ?? window;
  view.addEventListener('blur', onBlur);
  doc.addEventListener('focusin', update);
  return () => {
    view.removeEventListener('blur', onBlur);
    doc.removeEventListener('focusin', update);
  };
}

/**
 * Plays a key caught in a body as if typed in the message list: the focus leaves the
 * body for the list (so Escape alone takes the user out of the body), then the page's
 * own shortcut handling takes the key.
 */
export function replayBodyKey(pressed: BodyKey, doc: Document = document): void {
  const list = doc.querySelector<HTMLElement>('[data-testid="message-list"]');
  const target = list ?? doc.body;
  target.focus({ preventScroll: true });
  target.dispatchEvent(
    new KeyboardEvent('keydown', { key: pressed.key, ctrlKey: pressed.ctrl, bubbles: true, cancelable: true }),
  );
}
