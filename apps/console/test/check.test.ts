import { type Emulator, startEmulator } from '@mailplug/emulator';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { appOnlyAccount, runCli, tempDir } from './helpers.js';

let emulator: Emulator;
let dir: { path: string; remove(): Promise<void> };
beforeAll(async () => {
  emulator = await startEmulator();
  dir = await tempDir();
  const { args, env } = appOnlyAccount(emulator, 'notifications');
  const added = await runCli(args, { configDir: dir.path, env });
  expect(added.code, added.stderr).toBe(0);
});
afterAll(async () => {
  await emulator?.stop();
  await dir?.remove();
});

it('check: an identity platform outage is "temporarily unavailable", exit 6 (retry), never misconfigured', async () => {
  const outage = emulator.inject.microsoft({
    endpoint: 'token',
    status: 503,
    times: Number.POSITIVE_INFINITY,
  });
  const down = await runCli(['check', 'notifications'], { configDir: dir.path });
  expect(outage.hits).toBeGreaterThan(0);
  expect(down.code, down.stdout + down.stderr).toBe(6);
  expect(down.stdout).toContain('✗ notifications: temporarily unavailable — try again later');
  const json = await runCli(['check', 'notifications', '--json'], { configDir: dir.path });
  expect(json.code).toBe(6);
  expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, state: 'temporarilyUnavailable' });
  expect(JSON.parse(json.stdout).error.action).toBe('retry');

  outage.remove();
  const up = await runCli(['check', 'notifications'], { configDir: dir.path });
  expect(up.code, up.stderr).toBe(0);
  expect(up.stdout).toContain('✓ notifications: authorized');
}, 120_000);
