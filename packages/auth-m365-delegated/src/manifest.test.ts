import { MICROSOFT_CLOUDS } from '@mailplug/microsoft-identity';
import { expectManifestMatches } from '@mailplug/testkit';
import { describe, expect, it } from 'vitest';
import packageJson from '../package.json';
import { m365Delegated } from './index.js';

describe('package.json manifest', () => {
  it('declares exactly what the code registers (the registry reads it without importing us)', () => {
    expectManifestMatches(packageJson, m365Delegated);
  });

  it("offers exactly microsoft-identity's clouds", () => {
    const cloud = m365Delegated.settingsSchema.fields.find((f) => f.key === 'cloud');
    expect(cloud?.options).toEqual(
      Object.values(MICROSOFT_CLOUDS).map((c) => ({ value: c.id, label: c.label })),
    );
  });
});
