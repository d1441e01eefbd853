import type { IBackend } from '../lib/backend/IBackend';
import type { AccountSummary, ApiError, AppInfo, Profile } from '../lib/backend/types';

/** Test double for `IBackend`: canned answers, or one error for every call. */
export class FakeBackend implements IBackend {
  info: AppInfo = { version: '0.1.0', config_sources: [], account_count: 0 };
  user: Profile | null = null;
  accountList: AccountSummary[] = [];
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
