/**
 * An in-process async mutex per key. Waiters run in arrival order. Not re-entrant: calling
 * `run(key, ...)` from inside `run(key, ...)` for the same key deadlocks, exactly like a file lock.
 */
export type KeyedMutex = <T>(key: string, fn: () => Promise<T>) => Promise<T>;

export function createKeyedMutex(): KeyedMutex {
  // The tail promise of each key's queue; removed when the queue drains so the map does not grow.
  const tails = new Map<string, Promise<void>>();
  return async <T>(key: string, fn: () => Promise<T>): Promise<T> => {
    const previous = tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => mine);
    tails.set(key, tail);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      if (tails.get(key) === tail) tails.delete(key);
    }
  };
}
