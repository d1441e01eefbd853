const HAN = /\p{Script=Han}/u;
const LATIN_LETTER = /\p{Script=Latin}/u;
const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;

/**
 * What the avatar shows when there is no photo: for a Latin-script name the first and
 * last initials ("Ada King Lovelace" -> "AL"); for a Chinese name its last character
 * ("王小明" -> "明"), as is customary; otherwise the first letter of the email address.
 * Returns "" when there is nothing usable, and the caller shows a neutral placeholder.
 */
export function initials(displayName: string, email: string): string {
  const name = displayName.trim();

  const han = Array.from(name).filter((ch) => HAN.test(ch));
  if (han.length > 0) return han[han.length - 1];

  const words = name.split(/\s+/).filter((word) => LATIN_LETTER.test(Array.from(word)[0] ?? ''));
  if (words.length > 0) {
    const first = Array.from(words[0])[0];
    const last = words.length > 1 ? Array.from(words[words.length - 1])[0] : '';
    return (first + last).toLocaleUpperCase();
  }

  const fromEmail = Array.from(email.trim()).find((ch) => LETTER_OR_DIGIT.test(ch));
  return fromEmail ? fromEmail.toLocaleUpperCase() : '';
}
