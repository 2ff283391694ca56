import { describe, expect, it } from 'vitest';
import { createMemoryTokenStore } from './memory-store.js';

describe('createMemoryTokenStore', () => {
  it('stores copies, so callers cannot mutate stored values', async () => {
    const store = createMemoryTokenStore();
    const value = { scopes: ['a'] };
    await store.set('k', value);
    value.scopes.push('b');
    const read = (await store.get('k')) as { scopes: string[] };
    expect(read).toEqual({ scopes: ['a'] });
    read.scopes.push('c');
    expect(await store.get('k')).toEqual({ scopes: ['a'] });
    await store.delete('k');
    expect(await store.get('k')).toBeUndefined();
  });

  it('withLock serialises callers per key and leaves other keys free', async () => {
    const store = createMemoryTokenStore();
    const log: string[] = [];
    // `a` holds key x until the test releases it: no timers, so the order cannot depend on load.
    let releaseA!: () => void;
    const aHeld = new Promise<void>((resolve) => {
      releaseA = resolve;
    });
    const a = store.withLock('x', async () => {
      log.push('a+');
      await aHeld;
      log.push('a-');
      return 'a';
    });
    const b = store.withLock('x', async () => {
      log.push('b+');
      return 'b';
    });
    // Another key is free while x is held.
    await expect(store.withLock('y', async () => 'c')).resolves.toBe('c');
    expect(log).toEqual(['a+']);
    releaseA();
    await expect(Promise.all([a, b])).resolves.toEqual(['a', 'b']);
    expect(log).toEqual(['a+', 'a-', 'b+']);
  });

  it('releases the lock when fn throws', async () => {
    const store = createMemoryTokenStore();
    await expect(store.withLock('x', async () => Promise.reject(new Error('fail')))).rejects.toThrow('fail');
    expect(await store.withLock('x', async () => 'ok')).toBe('ok');
  });
});
