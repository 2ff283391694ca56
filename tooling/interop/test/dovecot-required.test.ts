import { existsSync } from 'node:fs';
import { expect, it } from 'vitest';
import { DOVECOT_BINARY, DOVECOT_INSTALL_HINT } from '../src/index.js';

// Never skipped: without Dovecot the interop suite must fail and say how to install it.
it('needs a real Dovecot on this machine', () => {
  expect(
    existsSync(DOVECOT_BINARY),
    `Dovecot is missing (${DOVECOT_BINARY}). Install it with: ${DOVECOT_INSTALL_HINT}`,
  ).toBe(true);
});
