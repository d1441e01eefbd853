/** A file's contents as a `data:` URL. */
export function readDataUrl(file: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(typeof reader.result === 'string' ? reader.result : '');
    reader.onerror = () => reject(reader.error ?? new Error('The file could not be read'));
    reader.readAsDataURL(file);
  });
}

/** A file's contents in base64, as the core takes new attachments. */
export async function readBase64(file: Blob): Promise<string> {
  const url = await readDataUrl(file);
  return url.slice(url.indexOf(',') + 1);
}

/** Image types a message body shows inline (no SVG: it is a document, not a picture). */
const INLINE_IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);

export function isInlineImage(file: Blob): boolean {
  return INLINE_IMAGE_TYPES.has(file.type.toLowerCase());
}

/** Whether a drag carries files from outside (not messages, not text). */
export function carriesFiles(data: DataTransfer | null): boolean {
  return !!data && Array.from(data.types ?? []).includes('Files');
}
