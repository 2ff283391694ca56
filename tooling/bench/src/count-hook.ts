/**
 * Module customization hook (runs on Node's loader thread): remembers every URL the ESM loader
 * loads and reports the list when the main thread asks over the port it passed to `register`.
 */
import type { MessagePort } from 'node:worker_threads';

const loaded = new Set<string>();

export async function initialize(data: { port: MessagePort }): Promise<void> {
  data.port.on('message', (message: unknown) => {
    if (message === 'report') data.port.postMessage([...loaded]);
  });
  data.port.unref();
}

export async function load(
  url: string,
  context: unknown,
  nextLoad: (url: string, context: unknown) => Promise<unknown>,
): Promise<unknown> {
  loaded.add(url);
  return nextLoad(url, context);
}
