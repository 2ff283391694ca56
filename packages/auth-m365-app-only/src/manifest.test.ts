import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { m365AppOnly } from './index.js';

describe('package.json manifest', () => {
  it('declares exactly what the code registers (the registry reads it without importing us)', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    const [entry] = pkg.mailplug.authProviders;
    expect(entry).toEqual(
      JSON.parse(
        JSON.stringify({
          id: m365AppOnly.id,
          label: m365AppOnly.label,
          capabilities: m365AppOnly.capabilities,
          settingsSchema: m365AppOnly.settingsSchema,
        }),
      ),
    );
  });
});
