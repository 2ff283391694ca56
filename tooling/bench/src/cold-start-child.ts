/**
 * Child process for the cold-start figure. argv: `<lazy|eager> <count|time> <adapter names as JSON>`.
 * lazy  = import('@mailplug/core') + createRegistry().discover() + list() (adapters stay unloaded);
 * eager = the same after importing every adapter package up front.
 * `count` mode registers a loader hook first and reports the modules loaded; `time` mode has no
 * hook so the timing is not disturbed.
 */
import { createRequire, register } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageChannel, type MessagePort } from 'node:worker_threads';

const [variant, mode, adaptersJson] = process.argv.slice(2);
const adapters = JSON.parse(adaptersJson ?? '[]') as string[];
const benchDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');

let port: MessagePort | undefined;
if (mode === 'count') {
  const channel = new MessageChannel();
  port = channel.port1;
  register('./count-hook.js', import.meta.url, {
    data: { port: channel.port2 },
    transferList: [channel.port2],
  });
}

interface CoreLike {
  createRegistry(): { discover(o: { from: string }): string[]; list(): unknown[] };
}

async function work(): Promise<{ discovered: number; contributions: number }> {
  const core = (await import('@mailplug/core')) as unknown as CoreLike;
  if (variant === 'eager') {
    for (const name of adapters) await import(name);
  }
  const registry = core.createRegistry();
  const discovered = registry.discover({ from: benchDir });
  return { discovered: discovered.length, contributions: registry.list().length };
}

async function loadedModules(): Promise<{ files: string[]; esm: number; cjs: number }> {
  const esm = port
    ? await new Promise<string[]>((done) => {
        port?.once('message', (urls: string[]) => done(urls));
        port?.postMessage('report');
      })
    : [];
  const files = new Set<string>();
  for (const url of esm) if (url.startsWith('file:')) files.add(fileURLToPath(url));
  const esmFiles = files.size;
  // CommonJS modules required by CJS packages bypass the ESM hooks on Node 20; the CJS cache has them.
  const cjs = Object.keys(createRequire(import.meta.url).cache);
  for (const key of cjs) files.add(key);
  files.delete(fileURLToPath(import.meta.url));
  return { files: [...files], esm: esmFiles, cjs: cjs.length };
}

const start = performance.now();
work().then(
  async (outcome) => {
    const workMs = performance.now() - start;
    const sinceProcessStartMs = performance.now();
    const loaded = mode === 'count' ? await loadedModules() : undefined;
    const modules = loaded?.files;
    const heavy = ['nodemailer', '@azure/msal-node', 'google-auth-library', 'imapflow'].filter((lib) =>
      modules?.some((m) => m.includes(`/node_modules/${lib}/`)),
    );
    process.send?.(
      {
        ok: true,
        result: {
          variant,
          workMs,
          sinceProcessStartMs,
          ...outcome,
          ...(loaded
            ? {
                moduleCount: loaded.files.length,
                esmModules: loaded.esm,
                cjsModules: loaded.cjs,
                heavyLibrariesLoaded: heavy,
              }
            : {}),
        },
      },
      () => process.exit(0),
    );
  },
  (error: unknown) => process.send?.({ ok: false, error: String(error) }, () => process.exit(1)),
);
