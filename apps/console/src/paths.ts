import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Environment variable that overrides where the console keeps its files. */
export const CONFIG_DIR_ENV = 'MAILPLUG_CONFIG_DIR';

/**
 * The console's configuration directory: `--config-dir`, else `$MAILPLUG_CONFIG_DIR`, else
 * `$XDG_CONFIG_HOME/mailplug`, else `~/.config/mailplug`.
 */
export function resolveConfigDir(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (flag) return resolve(flag);
  const fromEnv = env[CONFIG_DIR_ENV];
  if (fromEnv) return resolve(fromEnv);
  const xdg = env.XDG_CONFIG_HOME;
  if (xdg) return join(resolve(xdg), 'mailplug');
  return join(homedir(), '.config', 'mailplug');
}

/** Files inside the configuration directory. */
export function consoleFiles(configDir: string) {
  return {
    config: join(configDir, 'config.json'),
    secrets: join(configDir, 'secrets.json'),
    tokens: join(configDir, 'tokens.bin'),
    tokenKey: join(configDir, 'token.key'),
    /** The outbox (SQLite, WAL): queued messages and their attempt history, beside the token store. */
    outbox: join(configDir, 'outbox.db'),
  };
}

/**
 * The console's own package directory: the registry discovers adapters from the dependencies
 * declared there. Walks up from the running file (dist/cli.js or src/*.ts under vitest).
 */
export function consolePackageDir(start: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = start;
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === '@mailplug/console') {
          return dir;
        }
      } catch {
        // An unreadable package.json on the way up is not ours; keep looking.
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('Cannot find the @mailplug/console package directory.');
    dir = parent;
  }
}
