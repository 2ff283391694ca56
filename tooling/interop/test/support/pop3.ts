/**
 * TEMPORARY BRIDGE — loads @mailplug/protocol-pop3 through its public entry (package self-reference)
 * without declaring it as a devDependency. Declaring it would close a dependency cycle
 * (protocol-pop3 devDepends on @mailplug/interop) and turbo refuses to build a cyclic graph.
 * Remove this file once protocol-pop3 stops depending on @mailplug/interop (its Dovecot tests can
 * move here) and `@mailplug/protocol-pop3` is a devDependency of this package.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ReceiveProtocol } from '@mailplug/core';

export interface Pop3Module {
  createPop3Protocol(options?: {
    passwordMechanism?: 'auto' | 'plain' | 'user';
    silenceDeprecation?: boolean;
  }): ReceiveProtocol;
}

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '../../../../packages/protocol-pop3');

export function loadPop3(): Pop3Module {
  if (!existsSync(join(packageDir, 'dist/index.cjs'))) {
    throw new Error(
      '@mailplug/protocol-pop3 is not built: run `flock /tmp/mailplug-build.lock pnpm turbo run build --filter=@mailplug/protocol-pop3...`',
    );
  }
  const require = createRequire(join(packageDir, 'package.json'));
  return require('@mailplug/protocol-pop3') as Pop3Module;
}
