import { copyFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { beforeAll, expect, inject, it } from 'vitest';
import { npm, outsideEnv, run } from '../support/commands.js';
import { hostProject } from '../support/host-project.js';

const rehearsal = inject('rehearsal');
const PASSWORD = 'correct-horse-battery-staple';
let host: string;

beforeAll(async () => {
  host = await hostProject(rehearsal);
  for (const file of ['single-core.mjs', 'single-core.cjs'])
    copyFileSync(new URL(`../../hosts/${file}`, import.meta.url), join(host, file));
});

interface HostReport {
  readonly module: 'esm' | 'cjs';
  readonly accepted: readonly string[];
  readonly lines: readonly string[];
  readonly message: string;
  readonly inspected: string;
}

async function runHost(file: string, env: Record<string, string> = {}): Promise<HostReport> {
  const output = await run('node', [file], { cwd: host, env: outsideEnv(env), timeoutMs: 60_000 });
  const last = output.trim().split('\n').pop() ?? '';
  return JSON.parse(last) as HostReport;
}

function expectMaskedAfterTheAdapterReadIt(report: HostReport) {
  expect(report.accepted).toEqual(['client@example.test']);
  // Control: before the adapter read the password, nothing told the host's core it is a secret.
  expect(report.lines[0]).toContain(PASSWORD);
  expect(report.lines[1]).toBe('after the adapter read it: [REDACTED]');
  expect(report.message).not.toContain(PASSWORD);
  expect(report.inspected).not.toContain(PASSWORD);
  expect(report.inspected).toContain('HOST_FAILURE');
}

function coreCopies(dir: string): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const path = join(d, entry.name);
      if (entry.name === 'core' && d.endsWith('@mailplug')) found.push(relative(dir, path));
      else walk(path);
    }
  };
  walk(join(dir, 'node_modules'));
  return found;
}

it('npm installs one @mailplug/core for the host and all its adapters (core is their peer dependency)', () => {
  expect(coreCopies(host)).toEqual(['node_modules/@mailplug/core']);
});

it("a CommonJS host's logger and errors mask a secret the adapter registered through core's ESM build", async () => {
  const report = await runHost('single-core.cjs');
  expect(report.module).toBe('cjs');
  expectMaskedAfterTheAdapterReadIt(report);
});

it("an ESM host's logger and errors mask a secret the adapter registered", async () => {
  const report = await runHost('single-core.mjs');
  expect(report.module).toBe('esm');
  expectMaskedAfterTheAdapterReadIt(report);
});

it('with a second copy of core installed elsewhere, the host using that copy still masks the secret', async () => {
  const second = join(rehearsal.work, 'second-core');
  await npm(['install', `@mailplug/core@${rehearsal.versions['@mailplug/core']}`, '--prefix', second], {
    cwd: rehearsal.work,
    env: outsideEnv({ 'npm_config_@mailplug:registry': rehearsal.registry }),
  });
  const corePath = join(second, 'node_modules/@mailplug/core/dist/index.js');
  const report = await runHost('single-core.mjs', { CORE_PATH: corePath });
  expectMaskedAfterTheAdapterReadIt(report);
});
