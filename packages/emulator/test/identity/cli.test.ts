import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('mailplug-emulator CLI', () => {
  it('start --config prints endpoints and settings, serves until SIGINT, then frees its port', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'emulator-cli-'));
    const config = join(dir, 'emulator.json');
    await writeFile(config, JSON.stringify({ users: [{ email: 'carol@fabrikam.test' }] }));
    let out = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out += String(chunk);
      return true;
    });
    const running = main(['start', '--config', config, '--no-mail']);
    await vi.waitFor(() => expect(out).toContain('Microsoft authority'), { timeout: 10_000 });
    expect(out).toContain('carol@fabrikam.test');
    expect(out).toContain('m365-app-only');
    const web = /Web page\s+(\S+)/.exec(out)?.[1] ?? '';
    expect((await fetch(web)).status).toBe(200);
    process.emit('SIGINT');
    expect(await running).toBe(0);
    await expect(fetch(web)).rejects.toThrow();
    await rm(dir, { recursive: true, force: true });
  });

  it('prints usage and exits 2 without a command', async () => {
    let out = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out += String(chunk);
      return true;
    });
    expect(await main([])).toBe(2);
    expect(out).toContain('Usage: mailplug-emulator start');
  });
});
