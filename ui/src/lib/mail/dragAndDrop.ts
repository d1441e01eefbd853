/** The drag data type of message rows: a JSON array of message ids. */
export const MESSAGES_MIME = 'application/x-heron-messages';

export function writeDraggedIds(data: DataTransfer | null, ids: number[]): void {
  if (!data) return;
  data.setData(MESSAGES_MIME, JSON.stringify(ids));
  data.effectAllowed = 'move';
}

/** The message ids being dropped; nothing for any other drag (files, text, a bad payload). */
export function readDraggedIds(data: DataTransfer | null): number[] {
  const text = data?.getData(MESSAGES_MIME);
  if (!text) return [];
  try {
    const ids: unknown = JSON.parse(text);
    return Array.isArray(ids) && ids.every((id) => Number.isSafeInteger(id)) ? (ids as number[]) : [];
  } catch {
    return [];
  }
}
