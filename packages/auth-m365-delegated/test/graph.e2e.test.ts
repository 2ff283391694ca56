import { createMemoryTokenStore, type OAuth2Credential } from '@mailplug/core';
import type { Emulator } from '@mailplug/emulator';
import { createGraphProtocol } from '@mailplug/protocol-graph';
import { emulatorApiServer } from '@mailplug/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createM365DelegatedSession, emulatorFor, followAuthorize, initFor } from './helpers.js';

const ALICE = 'alice@contoso.test';
const BOB = 'bob@contoso.test';

/** JWT payload of an emulator token (its audience and delegated scopes). */
function claims(token: string): { aud?: string; scp?: string } {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
}

describe('m365-delegated and Microsoft Graph (real msal-node against the emulator)', () => {
  let emulator: Emulator;
  const graph = createGraphProtocol({ basePath: '/graph', proxy: false });
  beforeAll(async () => {
    emulator = await emulatorFor();
  });
  afterAll(async () => {
    await emulator?.stop();
  });

  it('an SMTP + Graph account gets both tokens from one sign-in, each for its own resource, and sends through Graph', async () => {
    const store = createMemoryTokenStore();
    const session = createM365DelegatedSession(
      initFor(emulator, { protocols: ['smtp', 'graph'] }, store, 'mixed'),
    );
    // Nobody signed in yet: the Graph credential says so like any other.
    await expect(session.getCredential({ protocol: 'graph' })).rejects.toMatchObject({ action: 'user' });

    const start = await session.interactive.begin();
    // One resource per request: the sign-in asks for Exchange only.
    expect(new URL(start.url).searchParams.get('scope')).not.toMatch(/graph/i);
    await session.interactive.complete(await followAuthorize(start.url, emulator.caCertPem));

    const smtp = (await session.getCredential({ protocol: 'smtp' })) as OAuth2Credential;
    const viaGraph = (await session.getCredential({ protocol: 'graph' })) as OAuth2Credential;
    expect(claims(smtp.accessToken).aud).toBe('https://outlook.office.com');
    expect(claims(viaGraph.accessToken).aud).toBe('https://graph.microsoft.com');
    expect(claims(viaGraph.accessToken).scp?.split(' ')).toContain('Mail.Send');
    expect(viaGraph.user).toBe(ALICE);
    // Neither token overwrote the other.
    expect(((await session.getCredential({ protocol: 'smtp' })) as OAuth2Credential).accessToken).toBe(
      smtp.accessToken,
    );
    expect(await store.get('mixed:graph:tokens')).toBeDefined();
    // Check Authorization lists the scopes of each resource.
    expect((await session.checkAuthorization()).grantedScopes).toEqual(
      expect.arrayContaining([
        'https://outlook.office.com/SMTP.Send',
        'https://graph.microsoft.com/Mail.Send',
      ]),
    );

    const connection = await graph.connect(emulatorApiServer(emulator), session);
    try {
      const result = await connection.send({
        from: ALICE,
        to: BOB,
        subject: 'Delegated via Graph',
        text: 'x',
      });
      expect(result.accepted).toEqual([BOB]);
    } finally {
      await connection.close();
    }
    expect(emulator.mail.list(BOB).some((m) => m.subject === 'Delegated via Graph')).toBe(true);

    await session.signOut();
    expect(await store.get('mixed:graph:tokens')).toBeUndefined();
    session.dispose();
  });

  it('a Graph-only account signs in asking only Graph Mail.Send', async () => {
    const session = createM365DelegatedSession(initFor(emulator, { protocols: ['graph'] }, undefined, 'g'));
    const start = await session.interactive.begin();
    const scope = new URL(start.url).searchParams.get('scope') ?? '';
    expect(scope).toContain('https://graph.microsoft.com/Mail.Send');
    expect(scope).not.toMatch(/outlook/i);
    await session.interactive.complete(await followAuthorize(start.url, emulator.caCertPem));
    const credential = (await session.getCredential({ protocol: 'graph' })) as OAuth2Credential;
    expect(claims(credential.accessToken).aud).toBe('https://graph.microsoft.com');
    await expect(session.getCredential({ protocol: 'smtp' })).rejects.toMatchObject({
      code: 'PROTOCOL_MISMATCH',
    });
    session.dispose();
  });
});
