import { afterEach, describe, expect, it, vi } from 'vitest';
import { emitDeprecationOnce, SILENCE_DEPRECATION_ENV } from './deprecation.js';

afterEach(() => {
  vi.restoreAllMocks();
  delete process.env[SILENCE_DEPRECATION_ENV];
});

describe('emitDeprecationOnce', () => {
  it('warns once per code per process with type DeprecationWarning', () => {
    const spy = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    expect(emitDeprecationOnce({ code: 'TEST_ONCE', message: 'old' })).toBe(true);
    expect(emitDeprecationOnce({ code: 'TEST_ONCE', message: 'old' })).toBe(false);
    expect(spy).toHaveBeenCalledTimes(1);
    expect(spy).toHaveBeenCalledWith('old', { type: 'DeprecationWarning', code: 'TEST_ONCE' });
  });

  it('is silenced by the option and by MAILPLUG_SILENCE_DEPRECATION=1', () => {
    const spy = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    expect(emitDeprecationOnce({ code: 'TEST_OPT', message: 'x', silence: true })).toBe(false);
    process.env[SILENCE_DEPRECATION_ENV] = '1';
    expect(emitDeprecationOnce({ code: 'TEST_ENV', message: 'x' })).toBe(false);
    expect(spy).not.toHaveBeenCalled();
  });
});
