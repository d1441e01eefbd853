import type { IBackend } from '../lib/backend/IBackend';
import type {
  AcceptedNotice,
  AccountSummary,
  ApiError,
  AppInfo,
  LocalStoreState,
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
  /** A healthy store with its key in the OS keyring, so tests about other things see nothing. */
  storeState: LocalStoreState = STORE_READY;
  /** What a rebuild does: resolve with a state (which becomes current), or reject. */
  rebuildOutcome: { state: LocalStoreState } | { error: ApiError } = { state: STORE_READY };
  /** When set, a rebuild waits for it, so a test can look at the window meanwhile. */
  rebuildGate: Promise<void> | null = null;
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

  localStoreState(): Promise<LocalStoreState> {
    return this.answer('local_store_state', this.storeState);
  }

  async rebuildLocalStore(): Promise<LocalStoreState> {
    this.calls.push('rebuild_local_store');
    if (this.rebuildGate) await this.rebuildGate;
    if (this.failure) throw this.failure;
    const outcome = this.rebuildOutcome;
    if ('error' in outcome) throw outcome.error;
    this.storeState = outcome.state;
    return outcome.state;
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

export const STORE_READY: LocalStoreState = {
  state: 'ready',
  key_storage: 'os_keyring',
  key_dir: null,
  warnings: [],
};

export const STORE_KEY_FILE: LocalStoreState = {
  state: 'ready',
  key_storage: 'key_file',
  key_dir: '/home/ada/.config/heron/keys',
  warnings: [
    'The key of your local mail cache is kept in a file in /home/ada/.config/heron/keys instead of the OS keyring',
  ],
};

type Unreadable = Extract<LocalStoreState, { state: 'unreadable' }>;

export const STORE_KEY_MISSING: Unreadable = {
  state: 'unreadable',
  code: 'store_unreadable',
  reason: 'key_missing',
  message:
    'The local cache at /home/ada/.local/share/app.heron.desktop/heron.db cannot be opened because its key is missing from the keyring; it can be rebuilt from the server',
  loss: { database_bytes: 52_428_800, blob_files: 1204, blob_bytes: 734_003_200, unsent_at_risk: true },
};

export const STORE_DAMAGED: Unreadable = {
  state: 'unreadable',
  code: 'store_unreadable',
  reason: 'wrong_key_or_damaged',
  message:
    'The local cache at /data/heron.db cannot be opened: the key is wrong or the file is damaged (file is not a database; cipher_integrity_check: 46 problems, first: HMAC verification failed for page 1)',
  loss: { database_bytes: 188_416, blob_files: 1, blob_bytes: 2048, unsent_at_risk: false },
};

export const STORE_NO_KEYRING: LocalStoreState = {
  state: 'keyring_unavailable',
  message:
    'The OS keyring is unavailable (no Secret Service on the session bus: test): log in to a desktop session, or install and start a Secret Service such as gnome-keyring',
};
