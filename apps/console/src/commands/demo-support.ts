import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import type { ConsoleIo } from '../output.js';

/** A GET that does not follow redirects and trusts `ca` for https. */
export function getOnce(url: string, ca?: string): Promise<{ status: number; location?: string }> {
  const target = new URL(url);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(target, { method: 'GET', ...(ca ? { ca } : {}) }, (res) => {
      res.resume();
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          ...(res.headers.location ? { location: res.headers.location } : {}),
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * The browser's part of a sign-in, headless: the emulator (auto-approve) answers the authorize
 * URL with a redirect to our loopback listener, which we then call like the browser would.
 */
export async function followSignInHeadless(url: string, ca: string): Promise<void> {
  const first = await getOnce(url, ca);
  if (!first.location || first.status < 300 || first.status >= 400) {
    throw new Error(`The authorize endpoint answered ${first.status} instead of redirecting back.`);
  }
  const back = new URL(first.location, url);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(back.hostname)) {
    throw new Error('The sign-in redirect does not point at this machine.');
  }
  await getOnce(back.toString());
}

/** An io that indents a command's output under the demo's step header and records it. */
export function nestedIo(
  parent: ConsoleIo,
  env: NodeJS.ProcessEnv,
  extra: { stdin?: string; openUrl?: ConsoleIo['openUrl']; onDeviceCode?: ConsoleIo['onDeviceCode'] } = {},
): ConsoleIo & { output(): string } {
  let captured = '';
  const indent = (text: string) => text.replace(/^(?=.)/gm, '    ');
  return {
    stdout: {
      write(text: string) {
        captured += text;
        return parent.stdout.write(indent(text));
      },
    },
    stderr: { write: (text: string) => parent.stdout.write(indent(text)) },
    stdin: Readable.from(extra.stdin !== undefined ? [extra.stdin] : []),
    env,
    ...(extra.openUrl ? { openUrl: extra.openUrl } : {}),
    ...(extra.onDeviceCode ? { onDeviceCode: extra.onDeviceCode } : {}),
    output: () => captured,
  };
}

/**
 * `accounts add <id>` arguments from objects: `flags` become `--key value` (an empty value is a
 * bare switch), `settings` become `--setting key=value`, `secretEnv` become `--secret-env key=VAR`.
 */
export function addAccountArgs(
  id: string,
  flags: Record<string, string>,
  settings: Record<string, string> = {},
  secretEnv: Record<string, string> = {},
): string[] {
  return [
    'accounts',
    'add',
    id,
    ...Object.entries(flags).flatMap(([k, v]) => (v === '' ? [`--${k}`] : [`--${k}`, v])),
    ...Object.entries(settings).flatMap(([k, v]) => ['--setting', `${k}=${v}`]),
    ...Object.entries(secretEnv).flatMap(([k, v]) => ['--secret-env', `${k}=${v}`]),
  ];
}
