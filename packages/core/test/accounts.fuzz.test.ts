import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportAccount, type MailAccount, parseMailAccount } from '../src/accounts/index.js';
import { createRegistry, type Registry } from '../src/registry/index.js';
import { isMailplugError } from '../src/spec/v1/mailplug-error.js';
import { registerSecret } from '../src/spec/v1/redact.js';
import {
  oauthProvider,
  passwordProvider,
  receiveProtocol,
  recordingSendProtocol,
  sendAccount,
} from './helpers.js';

/**
 * Fixed seed per property (shown in the test name) so `pnpm test` never passes on luck;
 * `MAILPLUG_FUZZ=1` switches to a random, printed seed and 10× the runs, `MAILPLUG_FUZZ_SEED=<n>` replays one.
 */
const fuzzSeed =
  process.env.MAILPLUG_FUZZ === '1' || process.env.MAILPLUG_FUZZ_SEED
    ? Number(process.env.MAILPLUG_FUZZ_SEED) || (Date.now() ^ (Math.random() * 0x100000000)) | 0
    : undefined;
if (fuzzSeed !== undefined) console.info(`[fuzz] fast-check seed ${fuzzSeed}`);
function fuzzRun<Ts>(seed: number, numRuns: number, examples: Ts[]) {
  const params = {
    seed: fuzzSeed ?? seed,
    numRuns: fuzzSeed === undefined ? numRuns : numRuns * 10,
    examples,
  };
  return { label: fuzzSeed === undefined ? `seed ${seed}` : `fuzz seed ${fuzzSeed}`, params };
}

let registry: Registry;
beforeAll(() => {
  registry = createRegistry();
  registry.register(passwordProvider());
  registry.register(oauthProvider());
  registry.register(recordingSendProtocol({ sent: [], connects: 0, closes: 0 }));
  registry.register(receiveProtocol());
});
afterAll(() => registry.dispose());

/** A password or key an admin pasted inline (never registered anywhere). */
const secretArb = fc.stringMatching(/^[A-Za-z0-9._~-]{12,40}$/).map((s) => `Pl4nted-${s}`);
const SECRET_KEYS = ['password', 'clientSecret', 'apiKey', 'refreshToken', 'privateKey', 'access_token'];

interface Planted {
  readonly secret: string;
  readonly account: Record<string, unknown>;
}

/** Account-shaped JSON whose secret settings hold `secret` inline, every other part arbitrary. */
const accountArb = (secret: fc.Arbitrary<string>): fc.Arbitrary<Planted> =>
  fc
    .record({
      secret,
      secretKey: fc.constantFrom(...SECRET_KEYS),
      base: fc.record(
        {
          id: fc.oneof(fc.string({ maxLength: 20 }), fc.jsonValue()),
          protocol: fc.oneof(fc.constantFrom('test-send', 'test-receive'), fc.jsonValue()),
          server: fc.oneof(
            fc.record({
              host: fc.oneof(fc.domain(), fc.string({ maxLength: 30 })),
              port: fc.oneof(fc.integer({ min: -1, max: 70_000 }), fc.jsonValue()),
              security: fc.oneof(fc.constantFrom('starttls', 'tls', 'none'), fc.jsonValue()),
            }),
            fc.jsonValue(),
          ),
          provider: fc.oneof(fc.constantFrom('test-password', 'test-oauth'), fc.string({ maxLength: 12 })),
          settings: fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 }), {
            maxKeys: 4,
          }),
          identity: fc.jsonValue({ maxDepth: 2 }),
          scope: fc.oneof(fc.constant({ kind: 'organization' }), fc.jsonValue({ maxDepth: 2 })),
        },
        { requiredKeys: ['provider', 'settings'] },
      ),
    })
    .map(({ secret, secretKey, base: { provider, settings, ...rest } }) => ({
      secret,
      account: { ...rest, auth: { provider, settings: { ...settings, [secretKey]: secret } } },
    }));

describe('parseMailAccount on arbitrary JSON', () => {
  const values = fuzzRun<[unknown]>(0xacc0, 300, [
    [null],
    [[]],
    ['text'],
    [{ id: 1, auth: null }],
    [sendAccount()],
  ]);
  it(`resolves or rejects with CONFIG_INVALID, never anything else (${values.label})`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.jsonValue(), fc.string(), fc.json()), async (value) => {
        const outcome = await parseMailAccount(value, { registry }).then(
          () => undefined,
          (error: unknown) => error,
        );
        if (outcome !== undefined) {
          expect(isMailplugError(outcome) && [outcome.code, outcome.action]).toEqual([
            'CONFIG_INVALID',
            'admin',
          ]);
        }
      }),
      values.params,
    );
  });

  const planted = fuzzRun<[Planted, number]>(0xacc1, 300, [
    [
      {
        secret: 'Pl4nted-hunter2-inline-value',
        account: {
          ...sendAccount(),
          auth: {
            provider: 'test-password',
            settings: { username: 'o', password: 'Pl4nted-hunter2-inline-value' },
          },
        },
      },
      2,
    ],
  ]);
  it(`never echoes an inline secret, as a value or as JSON text, whole or cut off (${planted.label})`, async () => {
    await fc.assert(
      fc.asyncProperty(accountArb(secretArb), fc.nat(), async ({ secret, account }, cut) => {
        const text = JSON.stringify(account);
        for (const input of [
          account,
          text,
          text.slice(0, text.indexOf(secret) + secret.length + (cut % 4)),
        ]) {
          const outcome = await parseMailAccount(input, { registry }).then(
            () => undefined,
            (error: unknown) => error,
          );
          if (outcome === undefined) continue;
          expect(isMailplugError(outcome) && outcome.code).toBe('CONFIG_INVALID');
          const shown = isMailplugError(outcome)
            ? [outcome.message, outcome.hint, JSON.stringify(outcome), outcome.stack ?? '']
            : [];
          for (const s of shown) expect(s).not.toContain(secret);
        }
      }),
      planted.params,
    );
  });
});

describe('exportAccount', () => {
  const run = fuzzRun<[Planted, string, string]>(0xacc2, 300, [
    [
      {
        secret: 'Pl4nted-client-secret-value',
        account: {
          ...sendAccount(),
          auth: {
            provider: 'test-oauth',
            settings: { clientId: 'c', clientSecret: 'Pl4nted-client-secret-value' },
          },
        },
      },
      'Registered-Token-Value-0001',
      'label',
    ],
  ]);
  it(`never outputs an inline secret setting or a known secret anywhere (${run.label})`, () => {
    fc.assert(
      fc.property(
        accountArb(secretArb),
        secretArb,
        fc.constantFrom('label', 'note', 'identity'),
        ({ secret, account }, known, where) => {
          // A secret the library knows (read from the secret store or a token), pasted somewhere else.
          registerSecret(known);
          const withKnown = { ...account, [where]: { text: `see ${known} here`, list: [known] } };
          const { account: safe, dropped } = exportAccount(withKnown as unknown as MailAccount, { registry });
          const text = JSON.stringify(safe);
          expect(text).not.toContain(secret);
          expect(text).not.toContain(known);
          expect(dropped.length).toBeGreaterThanOrEqual(2);
          for (const issue of dropped) expect(JSON.stringify(issue)).not.toContain(secret);
        },
      ),
      run.params,
    );
  });
});
