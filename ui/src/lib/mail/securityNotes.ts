import type { SecurityNote } from '../backend/mailTypes';
import type { MessageKey, MessageParams } from '../i18n/locale';

/** A sentence for a security note: its catalog key and the evidence to fill in. */
export interface NoteText {
  key: MessageKey;
  params: MessageParams;
}

/**
 * What the reader says for a note (heron-mime `SecurityNote`), by its `code`. The fields
 * are the core's evidence, already escaped so hidden characters show as `<U+XXXX>`; they
 * are shown as text. A code this UI does not know yet gets a generic sentence.
 */
export function describeNote(note: SecurityNote): NoteText {
  const field = (name: string) => {
    const value = note[name];
    return typeof value === 'string' || typeof value === 'number' ? String(value) : '';
  };
  switch (note.code) {
    case 'missing_from':
      return { key: 'note.missing_from', params: {} };
    case 'encoded_word_hides_address':
      return { key: 'note.encoded_word_hides_address', params: { shown: field('shown'), address: field('address') } };
    case 'control_chars_in_sender':
      return { key: 'note.control_chars_in_sender', params: { shown: field('shown') } };
    case 'several_from_addresses':
      return { key: 'note.several_from_addresses', params: { count: field('count'), shown: field('shown') } };
    case 'display_name_contains_other_address':
      return {
        key: 'note.display_name_contains_other_address',
        params: { shown: field('shown'), address: field('address') },
      };
    case 'sender_differs_from_from':
      return { key: 'note.sender_differs_from_from', params: { sender: field('sender'), from: field('from') } };
    case 'invisible_or_bidi_chars':
      return { key: invisibleKey(field('field')), params: { shown: field('shown') } };
    case 'dangerous_attachment':
      return { key: 'note.dangerous_attachment', params: { name: field('file_name'), reason: field('reason') } };
    case 'double_extension':
      return { key: 'note.double_extension', params: { name: field('file_name') } };
    case 'link_text_host_mismatch':
      return { key: 'note.link_text_host_mismatch', params: { shown: field('text_host'), host: field('href_host') } };
    case 'ip_literal_host':
      return { key: 'note.ip_literal_host', params: { href: field('href') } };
    case 'userinfo_in_url':
      return { key: 'note.userinfo_in_url', params: { href: field('href') } };
    case 'idn_host':
      return { key: 'note.idn_host', params: { shown: field('unicode'), host: field('punycode') } };
    case 'part_not_displayed':
      return { key: 'note.part_not_displayed', params: {} };
    case 'limit_exceeded':
      return { key: 'note.limit_exceeded', params: {} };
    case 'tnef_attachment':
      return { key: 'note.tnef_attachment', params: {} };
    default:
      return { key: 'note.unknown', params: {} };
  }
}

function invisibleKey(where: string): MessageKey {
  switch (where) {
    case 'from':
      return 'note.invisible_or_bidi_chars.from';
    case 'subject':
      return 'note.invisible_or_bidi_chars.subject';
    case 'attachment':
      return 'note.invisible_or_bidi_chars.attachment';
    default:
      return 'note.invisible_or_bidi_chars';
  }
}
