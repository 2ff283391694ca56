/**
 * One value per process, whatever number of copies of core the process loaded (a CommonJS host and
 * an ESM adapter, or two installed versions): kept on `globalThis` under a registered symbol.
 */
export function processWide<T>(name: string, init: () => T): T {
  const key = Symbol.for(`@mailplug/core.${name}`);
  const holder = globalThis as Record<symbol, unknown>;
  if (!(key in holder)) holder[key] = init();
  return holder[key] as T;
}
