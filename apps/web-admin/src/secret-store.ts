import {
  createEnvSecretStore,
  readFileIfExists,
  registerSecret,
  type SecretStore,
  writeFileAtomic,
} from '@mailplug/core';

export interface AdminSecretStore extends Required<SecretStore> {
  /** Whether a value exists (the form shows "stored" without ever reading the value out). */
  has(name: string): Promise<boolean>;
}

/**
 * Secrets the admin typed into a form: a JSON file (mode 0600, atomic writes) next to the
 * configuration, then `MAILPLUG_SECRET_<NAME>` environment variables. The configuration only
 * holds `{ secretRef }`. A host with a vault implements the same four calls against it.
 */
export function createAdminSecretStore(path: string, env: NodeJS.ProcessEnv = process.env): AdminSecretStore {
  const fromEnv = createEnvSecretStore({ env });
  let queue: Promise<unknown> = Promise.resolve();

  async function load(): Promise<Record<string, string>> {
    const text = await readFileIfExists(path);
    const values = text ? ((JSON.parse(text) as { secrets?: Record<string, string> }).secrets ?? {}) : {};
    for (const value of Object.values(values)) registerSecret(value);
    return values;
  }

  function change(apply: (values: Record<string, string>) => void): Promise<void> {
    const next = queue.then(async () => {
      const values = await load();
      apply(values);
      await writeFileAtomic(path, `${JSON.stringify({ version: 1, secrets: values }, null, 2)}\n`);
    });
    queue = next.catch(() => undefined);
    return next;
  }

  const store: AdminSecretStore = {
    async get(name) {
      const value = (await load())[name];
      return value ? value : fromEnv.get(name);
    },
    set(name, value) {
      registerSecret(value);
      return change((values) => {
        values[name] = value;
      });
    },
    delete(name) {
      return change((values) => {
        delete values[name];
      });
    },
    async has(name) {
      return (await store.get(name)) !== undefined;
    },
  };
  return store;
}
