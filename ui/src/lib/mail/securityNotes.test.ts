import { describe, expect, it } from 'vitest';
import { translate } from '../i18n/locale';
import { describeNote } from './securityNotes';

/** Every `SecurityNote` of crates/heron-mime/src/notes.rs, with evidence in each field. */
const NOTES = [
  { code: 'missing_from' },
  { code: 'encoded_word_hides_address', shown: 'ceo@bank.example', address: 'x@evil.example' },
  { code: 'control_chars_in_sender', header: 'from', shown: 'ceo<U+0000>@evil' },
  { code: 'several_from_addresses', count: 2, shown: 'a@x, b@y' },
  { code: 'display_name_contains_other_address', shown: 'ceo@bank.example', address: 'x@evil.example' },
  { code: 'sender_differs_from_from', sender: 'bulk@mailer', from: 'ceo@example.com' },
  { code: 'invisible_or_bidi_chars', field: 'from', shown: 'a<U+202E>b' },
  { code: 'invisible_or_bidi_chars', field: 'subject', shown: 'a<U+202E>b' },
  { code: 'invisible_or_bidi_chars', field: 'attachment', shown: 'a<U+202E>b' },
  { code: 'invisible_or_bidi_chars', field: 'reply_to', shown: 'a<U+202E>b' },
  { code: 'dangerous_attachment', file_name: 'a.exe', reason: '.exe' },
  { code: 'double_extension', file_name: 'a.pdf.exe' },
  { code: 'link_text_host_mismatch', text_host: 'bank.example', href_host: 'evil.example' },
  { code: 'ip_literal_host', href: 'http://10.0.0.1/' },
  { code: 'userinfo_in_url', href: 'https://bank.example@evil.example/' },
  { code: 'idn_host', unicode: 'аpple.com', punycode: 'xn--pple-43d.com' },
  { code: 'part_not_displayed', part_path: '2', reason: 'bad charset' },
  { code: 'limit_exceeded', limit: 'depth' },
  { code: 'tnef_attachment', part_path: '3' },
];

describe('describeNote', () => {
  it('has its own sentence for every code the core sends, with every placeholder filled', () => {
    for (const note of NOTES) {
      const { key, params } = describeNote(note);
      expect(key, note.code).not.toBe('note.unknown');
      for (const locale of ['en', 'zh-CN'] as const) {
        const text = translate(locale, key, params);
        expect(text, `${note.code} in ${locale}`).not.toMatch(/\{\w+\}/);
      }
    }
  });

  it('shows the evidence as given', () => {
    const { key, params } = describeNote(NOTES[12]);
    expect(translate('en', key, params)).toBe('A link shows bank.example but goes to evil.example.');
    expect(translate('zh-CN', key, params)).toBe('某个链接显示为 bank.example，实际却指向 evil.example。');
  });

  it('falls back to a generic sentence for a code it does not know', () => {
    expect(describeNote({ code: 'from_the_future', x: 1 }).key).toBe('note.unknown');
  });
});
