import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { m365Delegated } from './index.js';

describe('package.json manifest', () => {
  it('declares exactly what the code registers (the registry reads it without importing us)', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    const [entry] = pkg.mailplug.authProviders;
    expect(entry).toEqual(
      JSON.parse(
        JSON.stringify({
          id: m365Delegated.id,
          label: m365Delegated.label,
          capabilities: m365Delegated.capabilities,
          settingsSchema: m365Delegated.settingsSchema,
        }),
      ),
    );
  });
});
