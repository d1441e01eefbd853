import { describe, expect, it } from 'vitest';
import type { NewMail } from '../backend/mailTypes';
import { translate, type Locale, type MessageKey, type MessageParams } from '../i18n/locale';
import { newMailNotice } from './newMailNotice';

function localizer(locale: Locale) {
  return {
    t: (key: MessageKey, params?: MessageParams) => translate(locale, key, params),
    plural: (count: number): 'one' | 'other' =>
      new Intl.PluralRules(locale).select(count) === 'one' ? 'one' : 'other',
    formatNumber: (value: number) => new Intl.NumberFormat(locale).format(value),
  };
}

const event = (over: Partial<NewMail> = {}): NewMail => ({
  account: 'acct-ada',
  folder: 'INBOX',
  folder_id: 1,
  count: 1,
  newest: { id: 42, from_name: 'Alice Martin', from_addr: 'alice@example.com', subject: 'Quarterly plan' },
  show_content: true,
  ...over,
});

const label = () => 'ada@example.com';

describe('newMailNotice', () => {
  it('names the sender and subject of one message', () => {
    expect(newMailNotice(event(), localizer('en'), label)).toEqual({
      title: 'Alice Martin',
      body: 'Quarterly plan',
      message: 42,
    });
  });

  it('counts several and shows the newest', () => {
    expect(newMailNotice(event({ count: 1200 }), localizer('en'), label)).toEqual({
      title: '1,200 new messages',
      body: 'Alice Martin: Quarterly plan',
      message: 42,
    });
    expect(newMailNotice(event({ count: 3 }), localizer('zh-CN'), label)?.title).toBe('3 封新邮件');
  });

  it('shows only the count and the account when policy hides content', () => {
    const hidden = event({
      show_content: false,
      newest: { id: 42, from_name: '', from_addr: '', subject: '' },
    });
    expect(newMailNotice(hidden, localizer('en'), label)).toEqual({
      title: 'New message',
      body: 'ada@example.com',
      message: 42,
    });
  });

  it('shows nothing without a message to open', () => {
    expect(newMailNotice(event({ newest: null }), localizer('en'), label)).toBeNull();
  });
});
