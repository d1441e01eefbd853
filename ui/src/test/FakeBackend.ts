import type { IBackend } from '../lib/backend/IBackend';
import type {
  AcceptedNotice,
  AccountSummary,
  ApiError,
  AppInfo,
  PrivacyNoticeView,
  Profile,
} from '../lib/backend/types';

/** Test double for `IBackend`: canned answers, or one error for every call. */
export class FakeBackend implements IBackend {
  info: AppInfo = { version: '0.1.0', config_sources: [], account_count: 0 };
  user: Profile | null = null;
  accountList: AccountSummary[] = [];
  /** Accepted already by default, so tests about other things see no dialog. */
  notice: PrivacyNoticeView = { ...BUILTIN_NOTICE, accepted: ACCEPTED, must_accept: false };
  failure: ApiError | null = null;
  calls: string[] = [];

  appInfo(): Promise<AppInfo> {
    return this.answer('app_info', this.info);
  }

  profile(): Promise<Profile | null> {
    return this.answer('profile', this.user);
  }

  accounts(): Promise<AccountSummary[]> {
    return this.answer('accounts', this.accountList);
  }

  privacyNotice(): Promise<PrivacyNoticeView> {
    return this.answer('privacy_notice', this.notice);
  }

  acceptPrivacyNotice(version: string): Promise<AcceptedNotice> {
    const accepted = { version, accepted_at_unix: 1_795_000_000 };
    this.notice = {
      ...this.notice,
      accepted,
      must_accept: false,
      previous_accepted_version: null,
    };
    return this.answer(`accept_privacy_notice:${version}`, accepted);
  }

  quitApp(): Promise<void> {
    return this.answer('quit_app', undefined);
  }

  private answer<T>(command: string, value: T): Promise<T> {
    this.calls.push(command);
    return this.failure ? Promise.reject(this.failure) : Promise.resolve(value);
  }
}

export const ADA: Profile = {
  account_id: 'acct-ada',
  display_name: 'Ada Lovelace',
  email: 'ada@example.com',
  department: 'Analytical Engines',
  title: 'Principal Engineer',
  phone: '+44 20 7946 0018',
  avatar_data_url: null,
};

export const ADA_ACCOUNT: AccountSummary = {
  id: 'acct-ada',
  display_name: 'Ada Lovelace',
  email: 'ada@example.com',
  incoming: 'imaps://imap.example.com:993',
  outgoing: 'smtps://smtp.example.com:465',
};

export const ACCEPTED: AcceptedNotice = { version: '2026-11-01', accepted_at_unix: 1_794_787_200 };

export const BUILTIN_NOTICE: PrivacyNoticeView = {
  version: '2026-11-01',
  updated: '2026-11-01',
  effective: '2026-11-01',
  contact: null,
  text: 'Heron sends no telemetry.',
  text_zh: 'Heron 不发送遥测数据。',
  source: 'builtin',
  accepted: null,
  must_accept: true,
  previous_accepted_version: null,
};
