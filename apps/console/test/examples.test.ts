import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXAMPLES_DIR, runNode } from './helpers.js';

/**
 * The host scripts in /examples, each run as its own process exactly as the README says
 * (`node examples/dist/<name>.js`): each starts the emulator, does its job, checks that the mail
 * arrived and exits 0.
 */
const EXAMPLES: Record<string, readonly string[]> = {
  'send-with-password': ['✓ password account: sent', 'arrived in bob@contoso.test’s inbox'],
  'gmail-sign-in-and-send': ['✓ Gmail: signed in as alice@contoso.test; the message arrived'],
  'm365-app-only': ['✓ Microsoft 365 app-only: authorized for alice@contoso.test; notification arrived'],
  'receive-pop3-loop': ['poll 1: 1 new message(s)', 'poll 2: 0 new message(s)', 'imported exactly once'],
};

describe('examples', () => {
  it('covers every example script', () => {
    const scripts = readdirSync(join(EXAMPLES_DIR, 'src')).map((name) => name.replace(/\.ts$/, ''));
    expect(scripts.sort()).toEqual(Object.keys(EXAMPLES).sort());
  });

  for (const [name, expected] of Object.entries(EXAMPLES)) {
    it(`${name} runs on its own and exits 0`, async () => {
      const result = await runNode(join(EXAMPLES_DIR, 'dist', `${name}.js`), []);
      expect(result.code, result.stdout + result.stderr).toBe(0);
      for (const text of expected) expect(result.stdout).toContain(text);
    }, 60_000);
  }
});
