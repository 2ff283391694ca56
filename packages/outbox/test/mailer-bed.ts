/** Core's mailer with the basic-auth provider and protocol-smtp (also loaded by crash-test workers). */
import { basicAuth } from '@mailplug/auth-basic';
import {
  createMailer,
  createMemorySecretStore,
  createMemoryTokenStore,
  createRegistry,
  type MailAccount,
  type Mailer,
  type Registry,
} from '@mailplug/core';
import { createSmtpProtocol } from '@mailplug/protocol-smtp';

export const PASSWORD = 'correct-horse-battery-staple-7Q';

export function testAccount(port: number, overrides: Partial<MailAccount> = {}): MailAccount {
  return {
    id: 'office',
    protocol: 'smtp',
    server: { host: '127.0.0.1', port, security: 'none', timeoutSeconds: 10 },
    auth: { provider: 'basic', settings: { username: 'office@example.test', password: { secretRef: 'pw' } } },
    identity: { fromAddress: 'office@example.test', displayName: 'Example Office' },
    scope: { kind: 'organization' },
    allowInsecureAuth: true,
    ...overrides,
  };
}

export interface MailerBed {
  readonly registry: Registry;
  readonly mailer: Mailer;
  dispose(): Promise<void>;
}

/** A mailer with the basic provider and SMTP; `organizationSenders` may send from organization accounts. */
export function createTestMailer(organizationSenders: readonly string[] = ['alice']): MailerBed {
  const registry = createRegistry();
  registry.register(basicAuth);
  registry.register(createSmtpProtocol());
  const mailer = createMailer({
    registry,
    secrets: createMemorySecretStore({ pw: PASSWORD }),
    tokenStore: createMemoryTokenStore(),
    permissions: { canSendOnBehalfOfOrganization: (user) => organizationSenders.includes(user) },
  });
  return {
    registry,
    mailer,
    async dispose() {
      await mailer.dispose();
      await registry.dispose();
    },
  };
}
