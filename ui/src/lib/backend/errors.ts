import type { ApiError } from './types';

export function isApiError(value: unknown): value is ApiError {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return typeof candidate.code === 'string' && typeof candidate.message === 'string';
}

/**
 * Whatever a rejected call produced, as an `ApiError`. The shell sends `{code, message}`;
 * anything else means the IPC layer itself failed (for example a command that is not
 * registered), which the UI reports as `ipc_failed`.
 */
export function toApiError(reason: unknown): ApiError {
  if (isApiError(reason)) return { code: reason.code, message: reason.message };
  if (reason instanceof Error) return { code: 'ipc_failed', message: reason.message };
  return { code: 'ipc_failed', message: String(reason) };
}
