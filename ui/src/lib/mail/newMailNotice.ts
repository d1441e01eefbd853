import type { NewMail } from '../backend/mailTypes';
import type { Localizer } from '../i18n/Localizer.svelte';

/** What a new-mail notification says. */
export interface NewMailNotice {
  title: string;
  body: string;
  /** The message a click on the notification opens. */
  message: number;
}

/**
 * The words of the desktop notification for a `new-mail` event, in the user's language.
 * When policy hides content, it names only the count and the account; `null` when there
 * is no message to open.
 */
export function newMailNotice(
  event: NewMail,
  i18n: Pick<Localizer, 't' | 'plural' | 'formatNumber'>,
  accountLabel: (account: string) => string,
): NewMailNotice | null {
  const newest = event.newest;
  if (!newest || event.count < 1) return null;
  const count = i18n.formatNumber(event.count);
  const account = accountLabel(event.account);
  if (!event.show_content) {
    return { title: i18n.t(`notify.title.${i18n.plural(event.count)}`, { count }), body: account, message: newest.id };
  }
  const sender = newest.from_name.trim() || newest.from_addr;
  const subject = newest.subject.trim() || i18n.t('mail.noSubject');
  if (event.count === 1) return { title: sender, body: subject, message: newest.id };
  return {
    title: i18n.t(`notify.title.${i18n.plural(event.count)}`, { count }),
    body: i18n.t('notify.latest', { sender, subject }),
    message: newest.id,
  };
}
