import type { ErrorCode } from '../backend/types';
import type { MessageKey } from '../i18n/locale';

/** What the user was doing when an account command failed. */
export type AccountAction = 'add' | 'signIn' | 'remove';

const FALLBACK: Record<AccountAction, MessageKey> = {
  add: 'account.error.addFailed',
  signIn: 'account.error.signInFailed',
  remove: 'account.error.removeFailed',
};

/**
 * What to tell the user when `action` failed with `code`: what happened and what to do.
 * Branches on the code only; the core's own words are shown beside it.
 */
export function accountErrorKey(code: ErrorCode, action: AccountAction): MessageKey {
  switch (code) {
    case 'authentication_failed':
      return 'account.error.authentication_failed';
    case 'server_unreachable':
      return 'account.error.server_unreachable';
    case 'certificate_untrusted':
      return 'account.error.certificate_untrusted';
    case 'tls_failed':
      return 'account.error.tls_failed';
    case 'connection_lost':
      return 'account.error.connection_lost';
    case 'not_allowed':
      if (action === 'add') return 'account.error.not_allowed';
      return action === 'remove' ? 'account.error.removeNotAllowed' : FALLBACK[action];
    case 'conflict':
      return action === 'add' ? 'account.error.conflict' : FALLBACK[action];
    case 'invalid_value':
      return 'account.error.invalid_value';
    default:
      return FALLBACK[action];
  }
}
