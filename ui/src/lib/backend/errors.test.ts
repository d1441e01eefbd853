import { describe, expect, it } from 'vitest';
import { isApiError, toApiError } from './errors';

describe('toApiError', () => {
  it('keeps an error the shell sent as {code, message}', () => {
    const err = toApiError({ code: 'invalid_config', message: 'policy.json line 3: unknown key' });
    expect(err).toEqual({ code: 'invalid_config', message: 'policy.json line 3: unknown key' });
  });

  it('reports anything else as ipc_failed with its text', () => {
    expect(toApiError('command profile not found')).toEqual({
      code: 'ipc_failed',
      message: 'command profile not found',
    });
    expect(toApiError(new Error('boom')).code).toBe('ipc_failed');
    expect(isApiError({ code: 1, message: 'x' })).toBe(false);
  });
});
