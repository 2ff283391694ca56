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

  it('start --fault injects faults that last until the emulator stops (or times=n)', async () => {
    let out = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out += String(chunk);
      return true;
    });
    const running = main([
      'start',
      '--no-mail',
      '--fault',
      'google/token=503-text',
      '--fault',
      'microsoft/sendMail=429,retry-after=5,times=1',
    ]);
    await vi.waitFor(() => expect(out).toContain('Injected faults'), { timeout: 10_000 });
    expect(out).toContain('  microsoft/sendMail=429,retry-after=5,times=1');
    const http = /Introspection\s+(http:\/\/[^/]+)/.exec(out)?.[1] ?? '';
    for (let i = 0; i < 2; i++) {
      const token = await fetch(`${http}/google/token`, { method: 'POST', body: new URLSearchParams({}) });
      expect(token.status).toBe(503);
      expect(await token.text()).toBe('Service Unavailable\n');
    }
    const graph = () => fetch(`${http}/graph/v1.0/me/sendMail`, { method: 'POST', body: 'aGk=' });
    const throttled = await graph();
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('5');
    expect((await graph()).status).toBe(401);
    process.emit('SIGINT');
    expect(await running).toBe(0);
  });

  it('refuses a malformed --fault before starting anything, exit code 2', async () => {
    let err = '';
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      err += String(chunk);
      return true;
    });
    expect(await main(['start', '--no-mail', '--fault', 'google/token=418'])).toBe(2);
    expect(err).toContain('--fault "google/token=418": status 418');
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
