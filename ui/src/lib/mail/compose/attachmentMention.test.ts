import { describe, expect, it } from 'vitest';
import { countMentions, mentionsAttachment } from './attachmentMention';

const EMPTY = { subject: '', body: '' };

describe('attachment mentions', () => {
  it('find the English and Chinese words, in any case', () => {
    for (const text of [
      'I attached the report',
      'See the ATTACHMENT',
      'attachments follow',
      'Please find enclosed the invoice',
      '详见附件',
      '我附上了合同',
      '随附报价单',
    ]) {
      expect(countMentions(text), text).toBe(1);
    }
    for (const text of ['The detached house', 'An attacher', 'Nothing here', '附近的餐厅']) {
      expect(countMentions(text), text).toBe(0);
    }
  });

  it('ignore quoted lines', () => {
    expect(countMentions('Thanks!\n> I attached the file\n>> attachment')).toBe(0);
  });

  it('count only what the user added to the subject and body', () => {
    const signature = { subject: 'Re: Contract attached', body: '--\nAny attachments are confidential.' };
    expect(mentionsAttachment(signature, signature)).toBe(false);
    expect(mentionsAttachment({ ...signature, body: `Here it is, attached.\n${signature.body}` }, signature)).toBe(true);
    expect(mentionsAttachment({ subject: 'Attachment: plan', body: '' }, EMPTY)).toBe(true);
  });
});
