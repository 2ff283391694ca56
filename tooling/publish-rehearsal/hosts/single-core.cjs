// A CommonJS host: require('@mailplug/core') loads core's CJS build, while the registry imports
// the adapter's ESM entry, whose core is the ESM build: two module instances in one process. The
// password is read only by the adapter. Prints what the host's logger and error rendering showed,
// before and after the adapter read the secret.
async function main() {
  const { inspect } = require('node:util');
  const { startEmulator } = require('@mailplug/emulator');

  const core = require('@mailplug/core');
  const { createMailer, createMemoryTokenStore, createRedactingLogger, createRegistry, MailplugError } = core;

  const password = 'correct-horse-battery-staple';
  const emulator = await startEmulator({
    identity: { users: [{ email: 'office@example.test', displayName: 'Office', password }] },
  });
  const lines = [];
  const logger = createRedactingLogger({ info: (message) => lines.push(message) });
  logger.info(`before the adapter read it: ${password}`);

  const registry = createRegistry();
  registry.discover({ from: process.cwd() });
  const mailer = createMailer({
    registry,
    // The host's own store, not core's: only the adapter's read can register the password.
    secrets: { get: async (name) => (name === 'office-password' ? password : undefined) },
    tokenStore: createMemoryTokenStore(),
    permissions: { canSendOnBehalfOfOrganization: () => true },
  });
  const account = {
    id: 'office',
    protocol: 'smtp',
    server: {
      host: '127.0.0.1',
      port: emulator.ports.smtp,
      security: 'starttls',
      caFile: emulator.caCertPath,
    },
    auth: {
      provider: 'basic',
      settings: { username: 'office@example.test', password: { secretRef: 'office-password' } },
    },
    identity: { fromAddress: 'office@example.test' },
    scope: { kind: 'organization' },
  };
  const sent = await mailer.send({
    account,
    actingUser: 'host-user',
    message: { to: 'client@example.test', subject: 'single core', text: 'hello' },
  });
  logger.info(`after the adapter read it: ${password}`);
  const error = new MailplugError({
    code: 'HOST_FAILURE',
    action: 'developer',
    message: `the host failed with ${password}`,
    hint: 'Nothing to fix; this error is rendered by the host.',
  });
  console.log(
    JSON.stringify({
      module: typeof require === 'undefined' ? 'esm' : 'cjs',
      accepted: sent.accepted,
      lines,
      message: error.message,
      inspected: inspect(error),
    }),
  );
  await mailer.dispose();
  await registry.dispose();
  await emulator.stop();
}
main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
