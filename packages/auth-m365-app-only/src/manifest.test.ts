import { expectManifestMatches } from '@mailplug/testkit';
import { describe, it } from 'vitest';
import packageJson from '../package.json';
import { m365AppOnly } from './index.js';

describe('package.json manifest', () => {
  it('declares exactly what the code registers (the registry reads it without importing us)', () => {
    expectManifestMatches(packageJson, m365AppOnly);
  });
});
