/**
 * Words that say a file comes with the message, in English and Chinese. `\b` keeps
 * "detached" and "attacher" out; Chinese has no word boundaries to look for.
 */
const MENTION = /\b(?:attach(?:es|ed|ing|ment|ments)?|enclos(?:ed|ure|ures))\b|附件|附上|随附/gi;

/** How often `text` mentions an attachment, leaving out quoted lines ("> ..."). */
export function countMentions(text: string): number {
  let count = 0;
  for (const line of text.split('\n')) {
    if (line.trimStart().startsWith('>')) continue;
    count += line.match(MENTION)?.length ?? 0;
  }
  return count;
}

/**
 * Whether the user mentioned an attachment in what they wrote: more mentions now than in
 * what the message started with (a signature's "any attachments are confidential", the
 * "Re: Contract attached" of the message answered). The quoted original is never counted:
 * it is not in the body.
 */
export function mentionsAttachment(
  now: { subject: string; body: string },
  before: { subject: string; body: string },
): boolean {
  return (
    countMentions(now.subject) > countMentions(before.subject) || countMentions(now.body) > countMentions(before.body)
  );
}
