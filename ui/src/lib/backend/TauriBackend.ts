import { invoke } from '@tauri-apps/api/core';
import type { IBackend } from './IBackend';
import { toApiError } from './errors';
import type {
  AcceptedNotice,
  AccountSummary,
  AppInfo,
  LocalStoreState,
  PrivacyNoticeView,
  Profile,
} from './types';

/** `IBackend` over Tauri commands. Names match `generate_handler!` in src-tauri/lib.rs. */
export class TauriBackend implements IBackend {
  appInfo(): Promise<AppInfo> {
    return call<AppInfo>('app_info');
  }

  profile(): Promise<Profile | null> {
    return call<Profile | null>('profile');
  }

  accounts(): Promise<AccountSummary[]> {
    return call<AccountSummary[]>('accounts');
  }

  privacyNotice(): Promise<PrivacyNoticeView> {
    return call<PrivacyNoticeView>('privacy_notice');
  }

  acceptPrivacyNotice(version: string): Promise<AcceptedNotice> {
    return call<AcceptedNotice>('accept_privacy_notice', { version });
  }

  localStoreState(): Promise<LocalStoreState> {
    return call<LocalStoreState>('local_store_state');
  }

  rebuildLocalStore(): Promise<LocalStoreState> {
    return call<LocalStoreState>('rebuild_local_store');
  }

  quitApp(): Promise<void> {
    return call<void>('quit_app');
  }
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (reason) {
    throw toApiError(reason);
  }
}
