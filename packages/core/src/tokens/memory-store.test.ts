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
    const hold = (key: string, name: string, ms: number) =>
      store.withLock(key, async () => {
        log.push(`${name}+`);
        await new Promise((resolve) => setTimeout(resolve, ms));
        log.push(`${name}-`);
        return name;
      });
    const results = await Promise.all([hold('x', 'a', 20), hold('x', 'b', 1), hold('y', 'c', 1)]);
    expect(results).toEqual(['a', 'b', 'c']);
    expect(log.indexOf('b+')).toBeGreaterThan(log.indexOf('a-'));
    expect(log.indexOf('c-')).toBeLessThan(log.indexOf('a-'));
  });

  it('releases the lock when fn throws', async () => {
    const store = createMemoryTokenStore();
    await expect(store.withLock('x', async () => Promise.reject(new Error('fail')))).rejects.toThrow('fail');
    expect(await store.withLock('x', async () => 'ok')).toBe('ok');
  });
});
