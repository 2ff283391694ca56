#!/usr/bin/env node
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { demoBanner, startDemo } from './demo.js';
import { startWebAdmin } from './server.js';

const HELP = `mailplug-web-admin — the "Setup → Email" admin screens

Usage:
  mailplug-web-admin [--port 8080] [--host 127.0.0.1] [--data-dir DIR] [--public-url https://admin.example.com]
  mailplug-web-admin --demo [--port 8080]     start with the emulator (no configuration)

Prints the URL and a one-time admin token to log in with. Data: --data-dir, else
$MAILPLUG_WEB_ADMIN_DIR, else ~/.config/mailplug-web-admin. Token store key: $MAILPLUG_TOKEN_KEY,
else a key file created in the data directory.`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      demo: { type: 'boolean' },
      port: { type: 'string' },
      host: { type: 'string' },
      'data-dir': { type: 'string' },
      'public-url': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  const port = values.port ? Number(values.port) : undefined;
  let stop: () => Promise<void>;
  if (values.demo) {
    const demo = await startDemo({
      ...(port !== undefined ? { port } : {}),
      users: [
        { id: 'alice', name: 'Alice Example', sendOnBehalfOfOrganization: true },
        { id: 'bob', name: 'Bob Example', sendOnBehalfOfOrganization: false },
      ],
    });
    process.stdout.write(`${demoBanner(demo)}\n`);
    stop = () => demo.stop();
  } else {
    const dataDir =
      values['data-dir'] ??
      process.env.MAILPLUG_WEB_ADMIN_DIR ??
      join(homedir(), '.config', 'mailplug-web-admin');
    const app = await startWebAdmin({
      dataDir,
      ...(port !== undefined ? { port } : {}),
      ...(values.host ? { hostname: values.host } : {}),
      ...(values['public-url'] ? { publicUrl: values['public-url'] } : {}),
    });
    process.stdout.write(
      `Mailplug web admin\n  Open:         ${app.url}/login\n  Admin token:  ${app.adminToken}\n  Redirect URI: ${app.redirectUri} (register it on your Google / Microsoft OAuth clients)\n  Data:         ${dataDir}\n`,
    );
    stop = () => app.close();
  }
  const shutdown = () => {
    stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
