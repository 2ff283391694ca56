/**
 * Workaround: @mailplug/emulator's dist imports @peculiar/x509, whose CJS build loads tsyringe, which
 * needs the Reflect metadata API at import time. This is a minimal in-memory implementation of that
 * API for tests. Remove once the emulator loads `reflect-metadata` itself (reported to its owner).
 */
type Key = unknown;
const store = new WeakMap<object, Map<PropertyKey | undefined, Map<Key, unknown>>>();
const table = (target: object, prop: PropertyKey | undefined, create: boolean) => {
  let byProp = store.get(target);
  if (!byProp && create) {
    byProp = new Map();
    store.set(target, byProp);
  }
  let entries = byProp?.get(prop);
  if (!entries && create && byProp) {
    entries = new Map();
    byProp.set(prop, entries);
  }
  return entries;
};
const getOwn = (key: Key, target: object, prop?: PropertyKey) => table(target, prop, false)?.get(key);
const get = (key: Key, target: object, prop?: PropertyKey): unknown => {
  for (let t: object | null = target; t; t = Object.getPrototypeOf(t)) {
    const entries = table(t, prop, false);
    if (entries?.has(key)) return entries.get(key);
  }
  return undefined;
};
const reflect = Reflect as unknown as Record<string, unknown>;
if (typeof reflect.getOwnMetadata !== 'function') {
  Object.assign(reflect, {
    defineMetadata: (key: Key, value: unknown, target: object, prop?: PropertyKey) => {
      table(target, prop, true)?.set(key, value);
    },
    getOwnMetadata: getOwn,
    getMetadata: get,
    hasOwnMetadata: (key: Key, target: object, prop?: PropertyKey) =>
      table(target, prop, false)?.has(key) ?? false,
    hasMetadata: (key: Key, target: object, prop?: PropertyKey) => get(key, target, prop) !== undefined,
    getOwnMetadataKeys: (target: object, prop?: PropertyKey) => [
      ...(table(target, prop, false)?.keys() ?? []),
    ],
    getMetadataKeys: (target: object, prop?: PropertyKey) => {
      const keys = new Set<Key>();
      for (let t: object | null = target; t; t = Object.getPrototypeOf(t)) {
        for (const k of table(t, prop, false)?.keys() ?? []) keys.add(k);
      }
      return [...keys];
    },
    deleteMetadata: (key: Key, target: object, prop?: PropertyKey) =>
      table(target, prop, false)?.delete(key) ?? false,
    metadata: (key: Key, value: unknown) => (target: object, prop?: PropertyKey) => {
      table(target, prop, true)?.set(key, value);
    },
  });
}

export {};
